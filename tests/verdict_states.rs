//! Every state a path can end in, in every output (text, JSON, CSV, Markdown,
//! BMF, the PR comment and statuses), from the judging functions on
//! synthetic rounds (nothing is measured): regressed, improved, unchanged,
//! inconclusive (machine busy with a probable slowdown, and undecided), not
//! confirmed (switched off, and base side not available), identical (not
//! re-measured) and new. And the rules the issue asked for: no "unchanged"
//! without a comparison that ran, no "No regression" while a path is
//! undecided, `--fail-on-undecided` fails such a build.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::Path;

use edgeperf::compare::inputs::{identical_path, PathInputs};
use edgeperf::compare::{self, Comparison, PathStatus, Remeasure, Verdict};
use edgeperf::record::baseline::Baseline;
use edgeperf::record::RunRecord;
use edgeperf::report::export::{exporter, Format, Options};
use edgeperf::suite::{CompareConfig, Provider, Suite};
use fixtures::{
    interleaved, interleaved_undecided, mixed_scenario, path_record, run_record, synth_rounds,
    write_json, BASE_COMMIT, HEAD_COMMIT,
};

macro_rules! snap {
    ($name:expr, $command:expr, $value:expr) => {
        insta::with_settings!({ description => $command, omit_expression => true }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

const MODELS: [&str; 9] = [
    "mobilenet_v2",
    "efficientnet_lite0",
    "efficientnet_lite1",
    "efficientnet_lite2",
    "resnet50",
    "efficientnet_b0",
    "squeezenet",
    "mobilenet_v3",
    "shufflenet_v2",
];

/// What happens to each of [`MODELS`] (the last is new: no baseline).
fn remeasure(model: &str) -> Remeasure {
    match model {
        "mobilenet_v2" => Remeasure::Measured(interleaved(1.06, 9, false)),
        "efficientnet_lite0" => Remeasure::Measured(interleaved(0.9, 9, false)),
        "efficientnet_lite1" => Remeasure::Measured(interleaved(1.0, 6, false)),
        "efficientnet_lite2" => Remeasure::Measured(interleaved(1.18, 24, true)),
        "resnet50" => Remeasure::Measured(interleaved_undecided(12)),
        "efficientnet_b0" => {
            Remeasure::NotDone("the confirmation is switched off (--no-confirm)".into())
        }
        _ => Remeasure::Unavailable(
            "base model not available: squeezenet (sha256 abababababab) is not tracked in git at the base commit and not in the artifact store (turned off); run `edgeperf run` on the base commit on this runner".into(),
        ),
    }
}

fn runs() -> (RunRecord, RunRecord) {
    let all = [true; 70];
    let path = |m: &str, level: f64| {
        let acc = (m != "resnet50").then_some(&all[..]);
        path_record("cpu", m, Provider::Cpu, &synth_rounds(level, 3, 60), acc)
    };
    let base = run_record(
        MODELS[..8].iter().map(|m| path(m, 9.0)).collect(),
        BASE_COMMIT,
        true,
    );
    let head = run_record(
        MODELS.iter().map(|m| path(m, 9.0)).collect(),
        HEAD_COMMIT,
        true,
    );
    (base, head)
}

/// The comparison with one path in each state.
fn every_state() -> Comparison {
    let (base, head) = runs();
    let cfg = CompareConfig::default();
    let suite = Suite::parse(
        Path::new("edgeperf.toml"),
        "[[device]]\nname = \"cpu\"\nruntime = \"lib.so\"\n[[model]]\nname = \"mobilenet_v3\"\nfile = \"m.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n",
        Path::new("."),
    )
    .unwrap();
    let mut paths = Vec::new();
    for p in &head.paths {
        let Some(bp) = base.path(&p.device, &p.model) else {
            paths.push(compare::new_path(&head, p));
            continue;
        };
        let b = Baseline::from_path(&base, bp);
        if p.model == "mobilenet_v3" {
            let inputs = PathInputs {
                model_sha256: b.model_sha256.clone(),
                device: suite.devices[0].clone(),
                model: suite.models[0].clone(),
                runtime_sha256: Some("fc".repeat(32)),
                dataset_fingerprint: None,
                edgeperf_version: b.edgeperf_version.clone(),
            };
            paths.push(identical_path(&inputs, &b, Some(HEAD_COMMIT.into())));
            continue;
        }
        let s = compare::screen_path(&head, p, &b, &cfg);
        paths.push(compare::judge_path(
            &head,
            p,
            &b,
            &cfg,
            s,
            &remeasure(&p.model),
        ));
    }
    compare::summarise(
        &head,
        "head.json",
        "baselines at merge-base aaaaaaaaaa",
        paths,
    )
}

fn render(c: &Comparison, f: Format) -> String {
    exporter(f, Options::default()).comparison(c).unwrap()
}

#[test]
fn each_state_is_what_its_rounds_say() {
    let c = every_state();
    let status: Vec<(&str, PathStatus)> = c
        .paths
        .iter()
        .map(|p| (p.model.as_str(), p.status))
        .collect();
    assert_eq!(
        status,
        [
            ("mobilenet_v2", PathStatus::Regressed),
            ("efficientnet_lite0", PathStatus::Improved),
            ("efficientnet_lite1", PathStatus::Unchanged),
            ("efficientnet_lite2", PathStatus::Inconclusive),
            ("resnet50", PathStatus::Inconclusive),
            ("efficientnet_b0", PathStatus::NotConfirmed),
            ("squeezenet", PathStatus::NotConfirmed),
            ("mobilenet_v3", PathStatus::Identical),
            ("shufflenet_v2", PathStatus::New),
        ]
    );
    let reason = |m: &str| {
        c.paths
            .iter()
            .find(|p| p.model == m)
            .unwrap()
            .latency
            .as_ref()
            .unwrap()
            .reason
            .clone()
    };
    let busy = reason("efficientnet_lite2");
    assert!(
        busy.starts_with(
            "machine busy (24 of 24 rounds not counted: run-queue wait 48%, load 3.4, steal 0%)"
        ) && busy.contains("probably slower: +18.0% ["),
        "{busy}"
    );
    assert!(
        reason("resnet50").starts_with("undecided: "),
        "{}",
        reason("resnet50")
    );
    // Not confirmed: the screen's figures are quoted as a screen, never as a change.
    let off = &c.paths[5];
    let l = off.latency.as_ref().unwrap();
    assert_eq!(l.verdict, Verdict::NotConfirmed);
    assert!(l.change.is_nan(), "{l:?}");
    assert!(
        l.reason
            .starts_with("not confirmed: the confirmation is switched off"),
        "{}",
        l.reason
    );
}

#[test]
fn every_state_in_every_format() {
    let c = every_state();
    for (name, f) in [
        ("text", Format::Text),
        ("json", Format::Json),
        ("csv", Format::Csv),
        ("markdown", Format::Markdown),
        ("bmf", Format::Bmf),
    ] {
        snap!(
            format!("every_state_{name}"),
            format!("a comparison with a path in each state, --format {name}"),
            render(&c, f)
        );
    }
    // The JSON reads back as the same comparison (report github reads it).
    let json = render(&c, Format::Json);
    let back = Comparison::parse(Path::new("c.json"), json.as_bytes()).unwrap();
    assert_eq!(back.paths.len(), c.paths.len());
    assert_eq!(
        back.paths.iter().map(|p| p.status).collect::<Vec<_>>(),
        c.paths.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    // BMF: the identical path has no head figures and is left out.
    let bmf = render(&c, Format::Bmf);
    assert!(!bmf.contains("cpu/mobilenet_v3"), "{bmf}");
    assert!(bmf.contains("cpu/mobilenet_v2"), "{bmf}");
}

#[test]
fn the_headline_never_says_no_regression_while_a_path_is_undecided() {
    let c = every_state();
    let undecided = Comparison {
        paths: c
            .paths
            .iter()
            .filter(|p| p.status != PathStatus::Regressed)
            .cloned()
            .collect(),
        regressions: 0,
        ..c.clone()
    };
    for text in [
        edgeperf::report::compare::summary_line(std::slice::from_ref(&undecided)),
        render(&undecided, Format::Markdown),
        render(&undecided, Format::Text),
    ] {
        assert!(!text.contains("No regression"), "{text}");
        assert!(
            text.contains("4 paths undecided (2 inconclusive, 2 not confirmed, 1 probably slower)"),
            "{text}"
        );
    }
    // Decided paths only (identical among them): no regression, said so.
    let decided = Comparison {
        paths: undecided
            .paths
            .iter()
            .filter(|p| !p.status.is_undecided())
            .cloned()
            .collect(),
        ..undecided
    };
    let line = edgeperf::report::compare::summary_line(std::slice::from_ref(&decided));
    assert_eq!(
        line,
        "No regression in 4 paths (1 identical: not re-measured)."
    );
}

/// The PR comment and statuses of the every-state comparison, and
/// `--fail-on-undecided`.
#[test]
fn report_github_with_every_state() {
    let d = tempfile::tempdir().unwrap();
    let mut c = every_state();
    c.paths.retain(|p| p.status != PathStatus::Regressed);
    c.regressions = 0;
    write_json(&d.path().join("compare-cpu.json"), &c);
    let report = |extra: &[&str]| {
        let mut cmd = common::bin();
        cmd.args([
            "report",
            "github",
            "--result",
            "cpu=compare-cpu.json",
            "--pr",
            "42",
        ])
        .args(["--sha", HEAD_COMMIT, "--dry-run"])
        .args(extra)
        .current_dir(d.path())
        .env("GITHUB_REPOSITORY", "edgeperf-org/edgeperf-demo");
        for k in [
            "GITHUB_TOKEN",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_EVENT_PATH",
            "GITHUB_SHA",
            "GITHUB_API_URL",
            "GITHUB_SERVER_URL",
            "GITHUB_RUN_ID",
            "EDGEPERF_SITE_URL",
        ] {
            cmd.env_remove(k);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = report(&[]);
    assert_eq!(
        code, 0,
        "undecided paths do not fail the build by default: {out}"
    );
    assert!(out.contains("undecided: 4 of 8 path(s)"), "{out}");
    assert!(!out.contains("No regression"), "{out}");
    snap!(
        "report_github_every_state",
        "edgeperf report github --result cpu=compare-cpu.json --pr 42 --sha <HEAD> --dry-run (every state but regressed)",
        out
    );
    let (code, out) = report(&["--fail-on-undecided"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("failure"), "{out}");
}

/// `compare --no-confirm`: every path with a baseline is "not confirmed", its
/// exit code 0 unless `--fail-on-undecided` (or a regression).
#[test]
fn compare_without_confirmation_claims_nothing() {
    let d = tempfile::tempdir().unwrap();
    mixed_scenario(d.path());
    let run = |extra: &[&str]| {
        let mut cmd = common::bin();
        cmd.args(["compare", "head.json", "--format", "json"])
            .args(extra)
            .current_dir(d.path())
            .env_remove("EDGEPERF_SITE_URL");
        let out = cmd.output().unwrap();
        let c = Comparison::parse(Path::new("stdout"), &out.stdout).unwrap();
        (out.status.code().unwrap(), c)
    };
    let (code, c) = run(&["--no-confirm"]);
    assert_eq!(
        code, 1,
        "the scenario has an accuracy regression and a provider guard"
    );
    let mobilenet = c.paths.iter().find(|p| p.model == "mobilenet_v2").unwrap();
    assert_eq!(mobilenet.status, PathStatus::NotConfirmed);
    assert!(c.paths.iter().all(|p| p.status != PathStatus::Unchanged));
    // Without a suite file there is nothing to re-measure with: not confirmed too.
    let (_, c) = run(&["--suite", "missing.toml"]);
    let l = c.paths[0].latency.as_ref().unwrap();
    assert_eq!(l.verdict, Verdict::NotConfirmed);
    assert!(
        l.reason
            .starts_with("not confirmed: no suite file missing.toml to re-measure the path with"),
        "{}",
        l.reason
    );
    // --fail-on-undecided: the undecided paths fail it even without a regression.
    let d = tempfile::tempdir().unwrap();
    let base = run_record(
        vec![path_record(
            "cpu",
            "m",
            Provider::Cpu,
            &synth_rounds(9.0, 3, 60),
            None,
        )],
        BASE_COMMIT,
        true,
    );
    fixtures::write_baselines(&d.path().join("baselines"), &base);
    let head = run_record(
        vec![path_record(
            "cpu",
            "m",
            Provider::Cpu,
            &synth_rounds(9.0, 3, 60),
            None,
        )],
        HEAD_COMMIT,
        true,
    );
    write_json(&d.path().join("head.json"), &head);
    for (extra, want) in [(&[][..], 0), (&["--fail-on-undecided"][..], 1)] {
        let out = common::bin()
            .args(["compare", "head.json", "--no-confirm"])
            .args(extra)
            .current_dir(d.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(want), "{extra:?}: {text}");
        assert!(
            text.contains("NOT CONFIRMED") && !text.contains("No regression"),
            "{text}"
        );
    }
}

/// A comparison written by the edgeperf before schema 2 still loads (its
/// verdicts as they were); a newer schema is refused, naming the fix.
#[test]
fn older_comparisons_load_and_newer_ones_are_refused() {
    let file = common::root().join("tests/fixtures/comparison-v1.json");
    let c = edgeperf::store::load_comparison(&file).unwrap();
    assert_eq!(c.schema_version, 1);
    assert_eq!(c.paths[0].status, PathStatus::Unchanged);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    v["schema_version"] = 3.into();
    let e = Comparison::parse(Path::new("c.json"), v.to_string().as_bytes()).unwrap_err();
    let msg = e.one_line();
    assert!(
        msg.contains("c.json")
            && msg.contains("schema_version 3 is newer")
            && msg.contains("upgrade edgeperf"),
        "{msg}"
    );
}

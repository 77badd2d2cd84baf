//! The exports read back as what they claim to be: Bencher Metric Format
//! checked against the shape Bencher documents (and the checker against bad
//! documents), BMF bounds that mean what docs/FORMATS.md says, CSV that parses
//! back to the same numbers, and the links a published dashboard adds to the PR
//! comment and the commit statuses (`report github` against a fake GitHub API).
//!
//! The snapshots of the same outputs are in `output_formats.rs`.

mod common;
#[path = "common/fake_github.rs"]
mod fake_github;
#[path = "common/fixtures.rs"]
mod fixtures;

use edgeperf::report::export::{exporter, Format, Options};
use edgeperf::suite::Provider;
use fixtures::{
    history_lines, mixed_scenario, path_record, run_record, seeded_correct, synth_rounds,
    write_history, HEAD_COMMIT,
};
use serde_json::Value;

// ---------------------------------------------------------------------------
// A checker written from Bencher's documentation
// ---------------------------------------------------------------------------

/// Checks a document against Bencher Metric Format as documented at
/// <https://bencher.dev/docs/reference/bencher-metric-format> (its JSON schema,
/// <https://bencher.dev/bmf.json>, and the limits on that page):
///
/// - an object whose keys are benchmark names (non-empty, at most 1024
///   characters), each an object whose keys are measures;
/// - a measure given by slug: non-empty, at most 64 characters; Bencher makes
///   slugs of lowercase letters, digits and `-` (we hold our slugs to that);
/// - each measure an object with a number `value` (required) and optional number
///   `lower_value` and `upper_value`.
///
/// Stricter than the schema where a valid-but-wrong document would hide a bug:
/// no other keys, finite numbers only (JSON has no NaN; serde writes `null`),
/// and `lower_value <= value <= upper_value`.
fn check_bmf(v: &Value) -> Result<usize, String> {
    let benches = v.as_object().ok_or("the document is not a JSON object")?;
    if benches.is_empty() {
        return Err("no benchmark".into());
    }
    let mut metrics = 0;
    for (name, measures) in benches {
        if name.is_empty() || name.chars().count() > 1024 {
            return Err(format!(
                "benchmark name {name:?}: empty or over 1024 characters"
            ));
        }
        let measures = measures
            .as_object()
            .ok_or(format!("{name}: not an object of measures"))?;
        if measures.is_empty() {
            return Err(format!("{name}: no measure"));
        }
        for (slug, m) in measures {
            let slug_ok = !slug.is_empty()
                && slug.len() <= 64
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !slug_ok {
                return Err(format!("{name}: measure {slug:?} is not a slug"));
            }
            let m = m
                .as_object()
                .ok_or(format!("{name}/{slug}: not an object"))?;
            for k in m.keys() {
                if !["value", "lower_value", "upper_value"].contains(&k.as_str()) {
                    return Err(format!("{name}/{slug}: unknown key {k:?}"));
                }
            }
            let num = |k: &str| -> Result<Option<f64>, String> {
                match m.get(k) {
                    None => Ok(None),
                    Some(Value::Number(n)) => n
                        .as_f64()
                        .filter(|x| x.is_finite())
                        .map(Some)
                        .ok_or(format!("{name}/{slug}: {k} is not a finite number")),
                    Some(other) => Err(format!("{name}/{slug}: {k} is {other}, not a number")),
                }
            };
            let value = num("value")?.ok_or(format!("{name}/{slug}: no value"))?;
            let (lo, hi) = (num("lower_value")?, num("upper_value")?);
            if lo.is_some_and(|l| l > value) || hi.is_some_and(|h| h < value) {
                return Err(format!(
                    "{name}/{slug}: value {value} outside [{lo:?}, {hi:?}]"
                ));
            }
            metrics += 1;
        }
    }
    Ok(metrics)
}

#[test]
fn the_bmf_checker_refuses_what_bencher_would_refuse() {
    let ok = serde_json::json!({
        "cpu/m": {"latency-p50": {"value": 9.0, "lower_value": 8.5, "upper_value": 9.5},
                  "top-1": {"value": 75.0}}
    });
    assert_eq!(check_bmf(&ok), Ok(2));
    for (bad, why) in [
        (serde_json::json!([1, 2]), "not a JSON object"),
        (serde_json::json!({}), "no benchmark"),
        (serde_json::json!({"b": 1}), "not an object of measures"),
        (serde_json::json!({"b": {}}), "no measure"),
        (
            serde_json::json!({"b": {"m": {"lower_value": 1.0}}}),
            "no value",
        ),
        (
            serde_json::json!({"b": {"m": {"value": "9"}}}),
            "not a number",
        ),
        (
            serde_json::json!({"b": {"m": {"value": null}}}),
            "not a number",
        ),
        (
            serde_json::json!({"b": {"m": {"value": 1.0, "unit": "ms"}}}),
            "unknown key",
        ),
        (
            serde_json::json!({"b": {"m": {"value": 1.0, "lower_value": 2.0}}}),
            "outside",
        ),
        (
            serde_json::json!({"b": {"Latency P50": {"value": 1.0}}}),
            "not a slug",
        ),
        (
            serde_json::json!({"b": {"x".repeat(65): {"value": 1.0}}}),
            "not a slug",
        ),
    ] {
        let e = check_bmf(&bad).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

/// A run of two paths: an accuracy model (54 of 70 right) over three rounds
/// at different levels, and a latency-only model.
fn run() -> edgeperf::record::RunRecord {
    let mut rounds = synth_rounds(9.0, 3, 60);
    for s in &mut rounds[2] {
        *s *= 1.2;
    }
    run_record(
        vec![
            path_record(
                "cpu",
                "mobilenet_v2",
                Provider::Cpu,
                &rounds,
                Some(&seeded_correct(70, 0.75, 7)),
            ),
            path_record(
                "cpu",
                "resnet50",
                Provider::Cpu,
                &synth_rounds(60.0, 3, 60),
                None,
            ),
        ],
        HEAD_COMMIT,
        true,
    )
}

#[test]
fn run_bmf_has_a_benchmark_per_path_bounded_by_its_rounds_and_images() {
    let record = run();
    let text = exporter(Format::Bmf, Options::default())
        .run(&record)
        .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    // 7 measures for the accuracy model, 5 for the latency-only one.
    assert_eq!(check_bmf(&v), Ok(12));
    let p = &record.paths[0];
    let m = &v["cpu/mobilenet_v2"];
    let p50s: Vec<f64> = p.rounds.iter().map(|r| r.latency_ms.p50).collect();
    assert_eq!(m["latency-p50"]["value"], p.latency_ms.p50);
    assert_eq!(
        m["latency-p50"]["lower_value"],
        p50s.iter().copied().fold(f64::INFINITY, f64::min)
    );
    assert_eq!(
        m["latency-p50"]["upper_value"],
        p50s.iter().copied().fold(0.0, f64::max)
    );
    // The slow third round widens the spread to about 20%.
    let spread = m["latency-p50"]["upper_value"].as_f64().unwrap()
        / m["latency-p50"]["lower_value"].as_f64().unwrap();
    assert!(spread > 1.15 && spread < 1.25, "{spread}");
    assert_eq!(m["throughput"]["value"], p.fps);
    // top-1 in percent with its 95% Wilson interval over the 70 images.
    let a = p.accuracy.as_ref().unwrap();
    let (lo, hi) = edgeperf::stats::wilson_interval(a.correct_top1 as u64, 70, 0.95).unwrap();
    assert_eq!(m["top-1"]["value"], a.top1 * 100.0);
    assert_eq!(m["top-1"]["lower_value"], lo * 100.0);
    assert_eq!(m["top-1"]["upper_value"], hi * 100.0);
    assert!(v["cpu/resnet50"].get("top-1").is_none());
}

#[test]
fn compare_and_history_bmf_pass_the_checker_from_the_cli() {
    let d = tempfile::tempdir().unwrap();
    mixed_scenario(d.path());
    write_history(
        &d.path().join("baselines"),
        "cpu",
        "mobilenet_v2",
        &history_lines(&fixtures::dashboard_history(8, 9.0, Some(0.75))),
    );
    let (code, out, err) = common::run(
        &["compare", "head.json", "--no-confirm", "--format", "bmf"],
        d.path(),
    );
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // Four paths; the accuracy ones have top-1 and top-5 too.
    assert_eq!(v.as_object().unwrap().len(), 4);
    assert!(check_bmf(&v).unwrap() >= 12, "{out}");
    let (code, out, err) = common::run(&["history", "--format", "bmf"], d.path());
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(check_bmf(&v), Ok(8), "{out}");
    assert_eq!(v["cpu/mobilenet_v2"]["top-5"]["value"], 92.0);
    // The latest baseline's paired change, its interval as the bounds.
    let pc = &v["cpu/mobilenet_v2"]["paired-change"];
    assert!(pc["lower_value"].as_f64() < pc["value"].as_f64(), "{pc}");
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside cells).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn csv_reads_back_to_the_same_numbers() {
    let mut record = run();
    record.paths[1].model = "resnet,50 \"random\"".into();
    let text = exporter(Format::Csv, Options::default())
        .run(&record)
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let header = csv_fields(lines[0]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (line, p) in lines[1..].iter().zip(&record.paths) {
        let f = csv_fields(line);
        assert_eq!(f.len(), header.len(), "{line}");
        assert_eq!(f[col("model")], p.model);
        assert_eq!(f[col("p50_ms")].parse::<f64>().unwrap(), p.latency_ms.p50);
        assert_eq!(f[col("p99_ms")].parse::<f64>().unwrap(), p.latency_ms.p99);
        assert_eq!(f[col("fps")].parse::<f64>().unwrap(), p.fps);
        match &p.accuracy {
            Some(a) => assert_eq!(f[col("top1")].parse::<f64>().unwrap(), a.top1),
            None => assert_eq!(f[col("top1")], ""),
        }
    }
}

#[test]
fn history_csv_has_a_row_per_entry_with_its_change_points() {
    let d = tempfile::tempdir().unwrap();
    let entries = fixtures::level_shift_history(12, 6);
    write_history(
        &d.path().join("baselines"),
        "cpu",
        "m",
        &history_lines(&entries),
    );
    let (code, out, err) = common::run(&["history", "--format", "csv"], d.path());
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Vec<String>> = out.lines().map(csv_fields).collect();
    assert_eq!(lines.len(), 13);
    let col = |name: &str| lines[0].iter().position(|h| h == name).unwrap();
    let flagged: Vec<usize> = lines[1..]
        .iter()
        .enumerate()
        .filter(|(_, r)| r[col("latency_change_point")] == "true")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(flagged, vec![6]);
    assert_eq!(
        lines[7][col("p10_rounds_ms")].parse::<f64>().unwrap(),
        entries[6].p10_rounds
    );
    // Fields the older entries lack are empty, not zero.
    assert_eq!(lines[1][col("cold_start_ms")], "");
}

// ---------------------------------------------------------------------------
// Links from the PR comment and the statuses
// ---------------------------------------------------------------------------

/// `report github` inside a workflow run: each status links to the run, the
/// comment links each model to its page on the published dashboard.
#[test]
fn report_github_links_statuses_to_the_run_and_models_to_the_dashboard() {
    let d = tempfile::tempdir().unwrap();
    mixed_scenario(d.path());
    let (code, _, err) = common::run(
        &[
            "compare",
            "head.json",
            "--no-confirm",
            "--format",
            "json",
            "--out",
            "compare-cpu.json",
        ],
        d.path(),
    );
    assert_eq!(code, 1, "{err}");
    let (gh, base) = fake_github::FakeGithub::start();
    let out = common::bin()
        .args([
            "report",
            "github",
            "compare-cpu.json",
            "--pr",
            "5",
            "--sha",
            HEAD_COMMIT,
        ])
        .current_dir(d.path())
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("GITHUB_API_URL", &base)
        .env("GITHUB_TOKEN", "ghs_test")
        .env("GITHUB_REPOSITORY", "acme/models")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "987654321")
        .env("EDGEPERF_SITE_URL", "https://acme.github.io/models/")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let statuses = gh.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        statuses[0].target_url.as_deref(),
        Some("https://github.com/acme/models/actions/runs/987654321")
    );
    let comments = gh.comments_on("acme/models", 5);
    assert_eq!(comments.len(), 1);
    let body = &comments[0].body;
    for page in [
        "mobilenet_v2",
        "resnet-18",
        "squeezenet",
        "efficientnet_lite0",
    ] {
        assert!(
            body.contains(&format!(
                "(https://acme.github.io/models/paths/cpu/{page}.html)"
            )),
            "{page}: {body}"
        );
    }
    // Without the workflow's variables there is no link at all.
    let out = common::bin()
        .args(["report", "github", "compare-cpu.json", "--dry-run"])
        .current_dir(d.path())
        .env_remove("EDGEPERF_SITE_URL")
        .env_remove("GITHUB_RUN_ID")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("github.io"), "{stdout}");
}

//! `compare`, `baseline accept` and `history` through the CLI, on run records and
//! baselines written as JSON by the shared fixture builders (`common/fixtures.rs`;
//! no ONNX Runtime needed).
//!
//! Latency verdict fixtures use real noise data of the 2-core reference machine
//! kind, kept in `tests/fixtures/latency-noise/` (its README says how it was
//! measured): per-inference times of mobilenet_v2 (A), the same +5% (B) and
//! +11% (C), 30 rounds.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use edgeperf::compare::latency::{judge_interleaved, screen};
use edgeperf::compare::Verdict;
use edgeperf::compare::{round_stats, Comparison, PathStatus};
use edgeperf::record::baseline::{Baseline, HistoryEntry};
use edgeperf::record::RunRecord;
use edgeperf::store::baselines::{baseline_file, history_file};
use edgeperf::suite::{LatencyRule, Provider};
use fixtures::{
    at, fake_commit, first_wrong, history_lines, level_shift_history, mixed_scenario, path_record,
    run_record, synth_rounds, write_baselines, write_history, write_json, BASE_COMMIT, HEAD_COMMIT,
};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn compare_json(dir: &Path, extra: &[&str]) -> (i32, Comparison, String) {
    let mut args = vec![
        "compare",
        "head.json",
        "--baselines",
        "baselines",
        "--no-confirm",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = common::run(&args, dir);
    assert!(!err.contains("panicked"), "{err}");
    let c: Comparison = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("compare JSON does not parse ({e}): {out}\nstderr: {err}"));
    (code, c, err)
}

// ---------------------------------------------------------------------------
// Real noise data (tests/fixtures/latency-noise)
// ---------------------------------------------------------------------------

fn noise_dir() -> PathBuf {
    common::root().join("tests/fixtures/latency-noise")
}

fn noise(dir: &Path, set: char, k: usize) -> Vec<f64> {
    let f = dir.join(format!("{set}_{k:02}.txt"));
    let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    let v: Vec<f64> = text
        .split_whitespace()
        .map(|x| x.parse().expect("ms value"))
        .collect();
    assert_eq!(v.len(), 300, "{}", f.display());
    v
}

fn p10(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    edgeperf::stats::quantile(&s, 0.10).unwrap()
}

// ---------------------------------------------------------------------------
// baseline accept
// ---------------------------------------------------------------------------

#[test]
fn accept_writes_baseline_and_appends_history() {
    let d = tmp();
    let correct = vec![true; 70];
    let run = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &synth_rounds(9.0, 3, 50),
            Some(&correct),
        )],
        BASE_COMMIT,
        true,
    );
    write_json(&d.path().join("run.json"), &run);
    let (code, _, err) = common::run(
        &["baseline", "accept", "run.json", "--baselines", "bl"],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let bf = baseline_file(&d.path().join("bl"), "cpu", "mobilenet_v2");
    let hf = history_file(&d.path().join("bl"), "cpu", "mobilenet_v2");
    assert_eq!(bf, d.path().join("bl/cpu/mobilenet_v2.json"));
    assert_eq!(hf, d.path().join("bl/cpu/mobilenet_v2.history.jsonl"));
    let b = Baseline::parse(&bf, &std::fs::read(&bf).unwrap()).unwrap();
    assert_eq!(b.rounds.len(), 3);
    assert_eq!(b.git.as_ref().unwrap().commit, BASE_COMMIT);
    assert_eq!(b.accuracy.as_ref().unwrap().images, 70);
    let lines = std::fs::read_to_string(&hf).unwrap();
    assert_eq!(lines.lines().count(), 1);

    // A second accept appends a second history line.
    let run2 = run_record(run.paths.clone(), HEAD_COMMIT, true);
    write_json(&d.path().join("run2.json"), &run2);
    let (code, _, err) = common::run(
        &["baseline", "accept", "run2.json", "--baselines", "bl"],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&hf).unwrap();
    let entries: Vec<HistoryEntry> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].commit.as_deref(), Some(BASE_COMMIT));
    assert_eq!(entries[1].commit.as_deref(), Some(HEAD_COMMIT));
    assert_eq!(entries[1].top1, Some(1.0));
}

#[test]
fn accept_refuses_an_incomplete_record() {
    let d = tmp();
    let run = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &synth_rounds(9.0, 3, 50),
            None,
        )],
        BASE_COMMIT,
        false,
    );
    write_json(&d.path().join("run.json"), &run);
    let (code, _, err) = common::run(
        &["baseline", "accept", "run.json", "--baselines", "bl"],
        d.path(),
    );
    common::assert_error(code, &err, &["incomplete"]);
    assert!(!d.path().join("bl").exists(), "nothing may be written");
}

// ---------------------------------------------------------------------------
// compare: bad baselines
// ---------------------------------------------------------------------------

fn simple_head(d: &Path) -> RunRecord {
    let run = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &synth_rounds(9.0, 3, 50),
            Some(&[true; 70]),
        )],
        HEAD_COMMIT,
        true,
    );
    write_json(&d.join("head.json"), &run);
    run
}

#[test]
fn compare_without_baselines_dir_reports_new() {
    let d = tmp();
    simple_head(d.path());
    let (code, c, err) = compare_json(d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(c.paths.len(), 1);
    assert_eq!(c.paths[0].status, PathStatus::New);
    assert_eq!(c.regressions, 0);
}

#[test]
fn compare_with_bad_baseline_files_fails_naming_the_file() {
    let d = tmp();
    let run = simple_head(d.path());
    let good = {
        let mut b = Baseline::from_path(&run, &run.paths[0]);
        b.accepted_at = at(0);
        serde_json::to_string_pretty(&b).unwrap()
    };
    let mut newer: serde_json::Value = serde_json::from_str(&good).unwrap();
    newer["schema_version"] = 99.into();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_string(),
            "truncated JSON",
        ),
        ("non-JSON", "this is not json\n".into(), "not valid JSON"),
        ("empty", String::new(), "empty"),
        ("newer", newer.to_string(), "schema_version 99"),
    ];
    let f = d.path().join("baselines/cpu/mobilenet_v2.json");
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    for (what, text, needle) in cases {
        std::fs::write(&f, &text).unwrap();
        let (code, out, err) = common::run(
            &[
                "compare",
                "head.json",
                "--baselines",
                "baselines",
                "--no-confirm",
            ],
            d.path(),
        );
        assert!(out.is_empty(), "{what}: no report on error: {out}");
        eprintln!("{what}: {err}");
        common::assert_error(code, &err, &["baselines/cpu/mobilenet_v2.json", needle]);
    }
}

// ---------------------------------------------------------------------------
// compare: latency verdicts from the real noise data
// ---------------------------------------------------------------------------

fn noise_rounds(dir: &Path, set: char, ks: &[usize]) -> Vec<Vec<f64>> {
    ks.iter().map(|&k| noise(dir, set, k)).collect()
}

fn noise_fixture(d: &Path, nd: &Path, base: &[usize], head_set: char, head: &[usize]) {
    let base_run = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &noise_rounds(nd, 'A', base),
            None,
        )],
        BASE_COMMIT,
        true,
    );
    write_baselines(&d.join("baselines"), &base_run);
    let head_run = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &noise_rounds(nd, head_set, head),
            None,
        )],
        HEAD_COMMIT,
        true,
    );
    write_json(&d.join("head.json"), &head_run);
}

#[test]
fn real_noise_a_vs_a_is_not_a_regression() {
    let nd = noise_dir();
    let d = tmp();
    noise_fixture(d.path(), &nd, &[1, 2, 3], 'A', &[4, 5, 6]);
    let (code, c, err) = compare_json(d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let p = &c.paths[0];
    assert_ne!(p.status, PathStatus::Regressed);
    let l = p.latency.as_ref().unwrap();
    assert_ne!(l.verdict, Verdict::Regressed, "{l:?}");
    assert_eq!(l.statistic, "p10 per round");
    assert!(l.confirmation.is_none());
}

#[test]
fn real_noise_a_vs_b_is_suspect_and_not_confirmed_without_confirmation() {
    let nd = noise_dir();
    let d = tmp();
    noise_fixture(d.path(), &nd, &[1, 2, 3], 'B', &[1, 2, 3]);
    let (code, c, err) = compare_json(d.path(), &[]);
    assert_eq!(code, 0, "unconfirmed suspects do not fail: {err}");
    let p = &c.paths[0];
    assert_eq!(p.status, PathStatus::NotConfirmed);
    let l = p.latency.as_ref().unwrap();
    assert_eq!(l.verdict, Verdict::NotConfirmed, "{l:?}");
    let s = l.screen.as_ref().unwrap();
    assert!(s.suspect, "{s:?}");
    assert!(s.change > 0.03 && s.change < 0.08, "B is about +5%: {s:?}");
    assert!(l.reason.starts_with("not confirmed: "), "{}", l.reason);
    assert!(l.confirmation.is_none() && l.change.is_nan());
}

fn rule() -> LatencyRule {
    LatencyRule::default()
}

/// Interleaved pairs: base = A_k, head = `set`_k (or A_{k+1} for A/A), p10 per round.
fn interleaved(nd: &Path, ks: &[usize], head_set: char) -> (Vec<f64>, Vec<f64>) {
    let base: Vec<f64> = ks.iter().map(|&k| p10(&noise(nd, 'A', k))).collect();
    let head: Vec<f64> = ks
        .iter()
        .map(|&k| match head_set {
            'A' => p10(&noise(nd, 'A', k % 30 + 1)),
            s => p10(&noise(nd, s, k)),
        })
        .collect();
    (base, head)
}

#[test]
fn real_noise_interleaved_judgement() {
    let nd = noise_dir();
    let ks: Vec<usize> = (1..=10).collect();
    let (a, b) = interleaved(&nd, &ks, 'B');
    let c = judge_interleaved(&a, &b, &rule(), 20.0);
    assert_eq!(c.verdict, Verdict::Regressed, "A/B k=1..10: {c:?}");
    let (a, a2) = interleaved(&nd, &ks, 'A');
    let c = judge_interleaved(&a, &a2, &rule(), 20.0);
    assert_ne!(c.verdict, Verdict::Regressed, "A/A k=1..10: {c:?}");
}

fn tally(v: &[Verdict]) -> String {
    let n = |x| v.iter().filter(|&&y| y == x).count();
    format!(
        "regressed {} / unchanged {} / inconclusive {} / improved {} (of {})",
        n(Verdict::Regressed),
        n(Verdict::Unchanged),
        n(Verdict::Inconclusive),
        n(Verdict::Improved),
        v.len()
    )
}

/// Counts over disjoint windows of the 30 rounds (printed with --nocapture):
/// the screen over 10 windows of 3 rounds, interleaving over 3 windows of 10
/// pairs and over 10 windows of 3 pairs.
#[test]
fn real_noise_window_counts() {
    let nd = noise_dir();
    let r = rule();
    let p10s = |set: char| -> Vec<f64> { (1..=30).map(|k| p10(&noise(&nd, set, k))).collect() };
    let (a, b, c) = (p10s('A'), p10s('B'), p10s('C'));
    let win = |v: &[f64], w: usize, len: usize| v[w * len..(w + 1) * len].to_vec();

    // Screen: baseline = A rounds of window w; head = A of window w+1 (A/A), B or C of window w.
    let (mut aa, mut ab, mut ac) = (vec![], vec![], vec![]);
    let (mut aa_s, mut ab_s, mut ac_s) = (0, 0, 0);
    for w in 0..10 {
        let base = win(&a, w, 3);
        let s = screen(&base, &win(&a, (w + 1) % 10, 3), &r).unwrap();
        aa_s += s.suspect as usize;
        aa.push(s.verdict);
        let s = screen(&base, &win(&b, w, 3), &r).unwrap();
        ab_s += s.suspect as usize;
        ab.push(s.verdict);
        let s = screen(&base, &win(&c, w, 3), &r).unwrap();
        ac_s += s.suspect as usize;
        ac.push(s.verdict);
    }
    eprintln!(
        "screen, 10 windows x 3 rounds: A/A suspect {aa_s}/10, {}",
        tally(&aa)
    );
    eprintln!(
        "screen, 10 windows x 3 rounds: A/B suspect {ab_s}/10, {}",
        tally(&ab)
    );
    eprintln!(
        "screen, 10 windows x 3 rounds: A/C suspect {ac_s}/10, {}",
        tally(&ac)
    );
    assert!(!aa.contains(&Verdict::Regressed));
    assert_eq!(
        ab_s, 10,
        "every same-round A/B window must be screened as suspect"
    );
    assert_eq!(ac_s, 10);

    // Interleaved: A_k vs A_{k+1} (A/A, k+1 wraps to 1 after 30), A_k vs B_k, A_k vs C_k.
    let a_next: Vec<f64> = (0..30).map(|i| a[(i + 1) % 30]).collect();
    for len in [10usize, 3] {
        let windows = 30 / len;
        let judge = |h: &[f64]| -> Vec<Verdict> {
            (0..windows)
                .map(|w| judge_interleaved(&win(&a, w, len), &win(h, w, len), &r, 20.0).verdict)
                .collect()
        };
        let (vaa, vab, vac) = (judge(&a_next), judge(&b), judge(&c));
        eprintln!(
            "interleaved, {windows} windows x {len} pairs: A/A {}",
            tally(&vaa)
        );
        eprintln!(
            "interleaved, {windows} windows x {len} pairs: A/B {}",
            tally(&vab)
        );
        eprintln!(
            "interleaved, {windows} windows x {len} pairs: A/C {}",
            tally(&vac)
        );
        assert!(!vaa.contains(&Verdict::Regressed), "A/A regressed: {vaa:?}");
        if len == 10 {
            assert!(vab.iter().all(|v| *v == Verdict::Regressed), "{vab:?}");
            assert!(vac.iter().all(|v| *v == Verdict::Regressed), "{vac:?}");
        }
    }
    // The screen works on the recorded rounds' p10 exactly as compare does.
    let rounds = noise_rounds(&nd, 'A', &[1, 2, 3]);
    let pr = path_record("cpu", "m", Provider::Cpu, &rounds, None);
    assert_eq!(round_stats(&pr.rounds, 0.10), win(&a, 0, 3));
}

// ---------------------------------------------------------------------------
// compare: accuracy and guards
// ---------------------------------------------------------------------------

fn accuracy_fixture(
    d: &Path,
    head_correct: &[bool],
    head_provider: Provider,
    base_provider: Provider,
) {
    let rounds = synth_rounds(9.0, 3, 50);
    let base = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            base_provider,
            &rounds,
            Some(&[true; 70]),
        )],
        BASE_COMMIT,
        true,
    );
    write_baselines(&d.join("baselines"), &base);
    let head = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            head_provider,
            &rounds,
            Some(head_correct),
        )],
        HEAD_COMMIT,
        true,
    );
    write_json(&d.join("head.json"), &head);
}

#[test]
fn accuracy_drop_is_a_mcnemar_regression() {
    let d = tmp();
    let correct = first_wrong(70, 20);
    accuracy_fixture(d.path(), &correct, Provider::Cpu, Provider::Cpu);
    let (code, c, err) = compare_json(d.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(c.regressions, 1);
    let p = &c.paths[0];
    assert_eq!(p.status, PathStatus::Regressed);
    let a = p.accuracy.as_ref().unwrap();
    assert_eq!(a.verdict, Verdict::Regressed);
    assert_eq!((a.lost, a.gained, a.paired), (20, 0, 70));
    assert!(a.reason.contains("McNemar"), "{}", a.reason);
    // Nothing re-measured (--no-confirm): latency claims nothing.
    assert_eq!(p.latency.as_ref().unwrap().verdict, Verdict::NotConfirmed);
}

#[test]
fn provider_change_is_a_regression() {
    let d = tmp();
    accuracy_fixture(d.path(), &[true; 70], Provider::Cpu, Provider::Openvino);
    let (code, c, err) = compare_json(d.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let p = &c.paths[0];
    assert_eq!(p.status, PathStatus::Regressed);
    assert!(
        p.guards
            .iter()
            .any(|g| g.contains("execution provider changed")),
        "{:?}",
        p.guards
    );
    // The text report says it too.
    let (code, out, _) = common::run(
        &["compare", "head.json", "--no-confirm", "--color", "never"],
        d.path(),
    );
    assert_eq!(code, 1);
    assert!(out.contains("execution provider changed"), "{out}");
    assert!(out.contains("fell back to CPU"), "{out}");
}

// ---------------------------------------------------------------------------
// compare: output formats
// ---------------------------------------------------------------------------

#[test]
fn json_report_parses_back_and_matches_the_file_output() {
    let d = tmp();
    mixed_scenario(d.path());
    let (code, c, _) = compare_json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(c.schema_version, 2);
    assert_eq!(c.head_commit.as_deref(), Some(HEAD_COMMIT));
    assert_eq!(c.measured_at, at(0));
    let statuses: Vec<PathStatus> = c.paths.iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        [
            PathStatus::NotConfirmed,
            PathStatus::Regressed,
            PathStatus::Regressed,
            PathStatus::New
        ]
    );
    assert_eq!(c.regressions, 2);
    // --out writes the same document, loadable by `report github`.
    let (code, _, err) = common::run(
        &[
            "compare",
            "head.json",
            "--no-confirm",
            "--format",
            "json",
            "--out",
            "cmp.json",
        ],
        d.path(),
    );
    assert_eq!(code, 1);
    assert!(err.contains("2 of 4 paths regressed"), "{err}");
    let loaded = edgeperf::store::load_comparison(&d.path().join("cmp.json")).unwrap();
    // Compared as JSON: an unknown change is NaN, which equals nothing.
    assert_eq!(
        serde_json::to_value(&loaded).unwrap(),
        serde_json::to_value(&c).unwrap()
    );
}

// ---------------------------------------------------------------------------
// history
// ---------------------------------------------------------------------------

/// A 40-entry history of cpu/mobilenet_v2 whose latency level changes at entry 20.
fn lines_40_jump_20() -> Vec<String> {
    history_lines(&level_shift_history(40, 20))
}

#[derive(serde::Deserialize)]
struct PathHistoryJson {
    device: String,
    model: String,
    entries: Vec<HistoryEntry>,
    latency_change_points: Vec<usize>,
    accuracy_change_points: Vec<usize>,
}

#[test]
fn history_finds_the_latency_level_change() {
    let d = tmp();
    write_history(
        &d.path().join("baselines"),
        "cpu",
        "mobilenet_v2",
        &lines_40_jump_20(),
    );
    let (code, out, err) = common::run(&["history", "--format", "json"], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    let h: Vec<PathHistoryJson> = serde_json::from_str(&out).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].device.as_str(), h[0].model.as_str()),
        ("cpu", "mobilenet_v2")
    );
    assert_eq!(h[0].entries.len(), 40);
    assert_eq!(
        h[0].latency_change_points.len(),
        1,
        "{:?}",
        h[0].latency_change_points
    );
    let cp = h[0].latency_change_points[0];
    assert_eq!(cp, 20, "the paired step is at the commit that changed");
    assert!(h[0].accuracy_change_points.is_empty());

    let (code, out, _) = common::run(
        &["history", "--device", "cpu", "--model", "mobilenet_v2"],
        d.path(),
    );
    assert_eq!(code, 0);
    let flagged: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("paired step: slower"))
        .collect();
    assert_eq!(flagged.len(), 1, "{out}");
    assert!(flagged[0].contains(&fake_commit(cp)[..10]), "{out}");
}

#[test]
fn history_skips_a_truncated_last_line_with_a_warning() {
    let d = tmp();
    let mut lines = lines_40_jump_20();
    let last = lines.pop().unwrap();
    lines.push(last[..last.len() / 2].to_string());
    let f = history_file(&d.path().join("baselines"), "cpu", "mobilenet_v2");
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    // No newline after the interrupted append.
    std::fs::write(&f, lines.join("\n")).unwrap();
    let (code, out, err) = common::run(&["history", "--format", "json"], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("warning: "), "{err}");
    assert!(err.contains("mobilenet_v2.history.jsonl"), "{err}");
    assert!(err.contains("line 40"), "{err}");
    let h: Vec<PathHistoryJson> = serde_json::from_str(&out).unwrap();
    assert_eq!(h[0].entries.len(), 39);
}

#[test]
fn history_malformed_middle_line_is_an_error() {
    let d = tmp();
    let mut lines = lines_40_jump_20();
    lines[9] = "{\"accepted_at\": 12, \"oops\"".into();
    write_history(&d.path().join("baselines"), "cpu", "mobilenet_v2", &lines);
    let (code, out, err) = common::run(&["history"], d.path());
    assert!(out.is_empty(), "{out}");
    common::assert_error(code, &err, &["mobilenet_v2.history.jsonl", "line 10"]);
}

#[test]
fn json_report_without_usable_rounds_parses_back() {
    // A head path whose rounds carry no samples: latency cannot be judged, its
    // change and interval are NaN (written as null) and must still load back.
    let d = tmp();
    let rounds = synth_rounds(9.0, 3, 50);
    let base = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &rounds,
            None,
        )],
        BASE_COMMIT,
        true,
    );
    write_baselines(&d.path().join("baselines"), &base);
    let mut head = run_record(base.paths.clone(), HEAD_COMMIT, true);
    head.paths[0].rounds.clear();
    write_json(&d.path().join("head.json"), &head);
    let (code, _, err) = common::run(
        &[
            "compare",
            "head.json",
            "--no-confirm",
            "--format",
            "json",
            "--out",
            "cmp.json",
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let loaded = edgeperf::store::load_comparison(&d.path().join("cmp.json"))
        .unwrap_or_else(|e| panic!("{}", e.one_line()));
    let l = loaded.paths[0].latency.as_ref().unwrap();
    assert_eq!(l.verdict, Verdict::NotConfirmed);
    assert!(l.change.is_nan() && l.ci[0].is_nan() && l.ci[1].is_nan());
    assert!(l.screen.is_none(), "no usable rounds to screen: {l:?}");
    assert!(l.reason.starts_with("not confirmed: "), "{}", l.reason);
}

//! Unit tests of the comparator's flow on in-memory values: no file, no process.

use super::*;
use crate::fixtures::{
    first_wrong, path_record, run_record, synth_rounds, BASE_COMMIT, HEAD_COMMIT,
};
use crate::record::baseline::Baseline;
use crate::suite::CompareConfig;

fn base_of(run: &RunRecord) -> Baseline {
    Baseline::from_path(run, &run.paths[0])
}

fn one_path(level: f64, correct: Option<&[bool]>, commit: &str) -> RunRecord {
    let p = path_record(
        "cpu",
        "m",
        Provider::Cpu,
        &synth_rounds(level, 3, 200),
        correct,
    );
    run_record(vec![p], commit, true)
}

/// Interleaved rounds whose per-round ratio head/base is `ratio` (with a little
/// jitter that keeps the median exact).
fn interleaved(ratio: f64) -> Interleaved {
    let jitter = [
        1.0, 1.004, 0.996, 1.002, 0.998, 1.0, 1.003, 0.997, 1.001, 0.999,
    ];
    let base: Vec<f64> = (0..10).map(|i| 9.0 + 0.01 * i as f64).collect();
    let head: Vec<f64> = base
        .iter()
        .zip(jitter)
        .map(|(b, j)| b * ratio * j)
        .collect();
    Interleaved {
        log_ratios: base.iter().zip(&head).map(|(b, h)| (h / b).ln()).collect(),
        machine: vec![None; base.len()],
        base,
        head,
        seconds_per_side: 12.0,
        ..Default::default()
    }
}

#[test]
fn a_path_without_baseline_is_new() {
    let run = one_path(9.0, None, HEAD_COMMIT);
    let c = new_path(&run, &run.paths[0]);
    assert_eq!(c.status, PathStatus::New);
    assert!(c.base.is_none() && c.latency.is_none());
    assert_eq!(c.head.commit.as_deref(), Some(HEAD_COMMIT));
}

#[test]
fn confirmation_is_asked_for_every_path_by_default_and_never_when_disabled() {
    let base = base_of(&one_path(9.0, None, BASE_COMMIT));
    let head = one_path(9.0, None, HEAD_COMMIT);
    let mut rule = CompareConfig::default();
    let s = screen_path(&head, &head.paths[0], &base, &rule);
    assert!(!s.screen.as_ref().unwrap().suspect);
    assert!(s.needs_confirmation, "confirm.always is on by default");
    rule.confirm.always = false;
    assert!(!screen_path(&head, &head.paths[0], &base, &rule).needs_confirmation);
    let slow = one_path(9.5, None, HEAD_COMMIT);
    let s = screen_path(&slow, &slow.paths[0], &base, &rule);
    assert!(s.screen.as_ref().unwrap().suspect && s.needs_confirmation);
    rule.confirm.enabled = false;
    assert!(!screen_path(&slow, &slow.paths[0], &base, &rule).needs_confirmation);
}

#[test]
fn a_measured_slowdown_is_a_regression_and_no_change_is_unchanged() {
    let base = base_of(&one_path(9.0, None, BASE_COMMIT));
    let head = one_path(9.0, None, HEAD_COMMIT);
    let rule = CompareConfig::default();
    let judge = |r: Remeasure| {
        let s = screen_path(&head, &head.paths[0], &base, &rule);
        judge_path(&head, &head.paths[0], &base, &rule, s, &r)
    };
    let c = judge(Remeasure::Measured(interleaved(1.06)));
    assert_eq!(c.status, PathStatus::Regressed, "{c:?}");
    let l = c.latency.unwrap();
    assert!((l.change - 0.06).abs() < 0.005, "{}", l.change);
    assert!(l.confirmation.is_some() && l.reason.contains("confirmed"));
    let c = judge(Remeasure::Measured(interleaved(1.0)));
    assert_eq!(c.status, PathStatus::Unchanged, "{c:?}");
    let c = judge(Remeasure::Measured(interleaved(0.9)));
    assert_eq!(c.status, PathStatus::Improved, "{c:?}");
}

#[test]
fn without_a_measurement_nothing_is_claimed_the_path_is_not_confirmed() {
    let base = base_of(&one_path(9.0, None, BASE_COMMIT));
    let slow = one_path(9.6, None, HEAD_COMMIT);
    let same = one_path(9.0, None, HEAD_COMMIT);
    let rule = CompareConfig::default();
    // Suspect or not, switched off, without a suite or without the base side:
    // "not confirmed", the screen's figures quoted as a screen, no change claimed.
    for run in [&slow, &same] {
        for (r, want) in [
            (
                Remeasure::NotDone("the confirmation is switched off (--no-confirm)".into()),
                "not confirmed: the confirmation is switched off (--no-confirm); the screen against the stored baseline reads ",
            ),
            (
                Remeasure::Unavailable("the base model is not on disk".into()),
                "not confirmed: the base model is not on disk; the screen",
            ),
        ] {
            let s = screen_path(run, &run.paths[0], &base, &rule);
            let c = judge_path(run, &run.paths[0], &base, &rule, s, &r);
            assert_eq!(c.status, PathStatus::NotConfirmed, "{c:?}");
            assert!(c.status.is_undecided());
            let l = c.latency.unwrap();
            assert_eq!(l.verdict, Verdict::NotConfirmed);
            assert!(l.reason.starts_with(want), "{}", l.reason);
            assert!(l.change.is_nan() && l.confirmation.is_none(), "{l:?}");
        }
    }
}

#[test]
fn a_provider_that_changed_fails_the_path_whatever_the_latency() {
    let base = base_of(&one_path(9.0, None, BASE_COMMIT));
    let mut head = one_path(9.0, None, HEAD_COMMIT);
    head.paths[0].provider_ran = Provider::Openvino;
    let rule = CompareConfig::default();
    let s = screen_path(&head, &head.paths[0], &base, &rule);
    let c = judge_path(
        &head,
        &head.paths[0],
        &base,
        &rule,
        s,
        &Remeasure::Measured(interleaved(1.0)),
    );
    assert_eq!(c.status, PathStatus::Regressed);
    assert!(
        c.guards[0].contains("execution provider changed"),
        "{:?}",
        c.guards
    );
}

#[test]
fn accuracy_is_judged_per_image_and_lost_accuracy_is_a_guard() {
    let all_right = first_wrong(70, 0);
    let twenty_wrong = first_wrong(70, 20);
    let base = base_of(&one_path(9.0, Some(&all_right), BASE_COMMIT));
    let head = one_path(9.0, Some(&twenty_wrong), HEAD_COMMIT);
    let rule = CompareConfig::default();
    let s = screen_path(&head, &head.paths[0], &base, &rule);
    let c = judge_path(
        &head,
        &head.paths[0],
        &base,
        &rule,
        s,
        &Remeasure::Measured(interleaved(1.0)),
    );
    assert_eq!(c.status, PathStatus::Regressed);
    let a = c.accuracy.unwrap();
    assert_eq!((a.lost, a.gained), (20, 0));
    let none = one_path(9.0, None, HEAD_COMMIT);
    let s = screen_path(&none, &none.paths[0], &base, &rule);
    let c = judge_path(
        &none,
        &none.paths[0],
        &base,
        &rule,
        s,
        &Remeasure::Measured(interleaved(1.0)),
    );
    assert_eq!(c.status, PathStatus::Regressed);
    assert!(c.guards[0].contains("has none"), "{:?}", c.guards);
}

#[test]
fn a_short_model_hash_in_a_baseline_does_not_panic() {
    let mut base = base_of(&one_path(9.0, None, BASE_COMMIT));
    base.model_sha256 = "ab".into();
    let head = one_path(9.0, None, HEAD_COMMIT);
    let s = screen_path(&head, &head.paths[0], &base, &CompareConfig::default());
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("sha256 ab -> abababababab")),
        "{:?}",
        s.notes
    );
    assert_eq!(short_hash("é".repeat(20).as_str()).chars().count(), 12);
}

#[test]
fn summarise_counts_regressions_and_names_the_head() {
    let base = base_of(&one_path(9.0, None, BASE_COMMIT));
    let head = one_path(9.0, None, HEAD_COMMIT);
    let rule = CompareConfig::default();
    let mk = |ratio| {
        let s = screen_path(&head, &head.paths[0], &base, &rule);
        judge_path(
            &head,
            &head.paths[0],
            &base,
            &rule,
            s,
            &Remeasure::Measured(interleaved(ratio)),
        )
    };
    let c = summarise(
        &head,
        "head.json",
        "baselines",
        vec![mk(1.1), mk(1.0), mk(1.2)],
    );
    assert_eq!(c.regressions, 2);
    assert_eq!(c.head_commit.as_deref(), Some(HEAD_COMMIT));
    assert_eq!(c.devices(), vec!["cpu".to_string()]);
    // The JSON document reads back (NaN is written as null and read as NaN).
    let json = crate::record::to_json_pretty(&c).unwrap();
    let back = Comparison::parse(Path::new("c.json"), json.as_bytes()).unwrap();
    let statuses = |c: &Comparison| c.paths.iter().map(|p| p.status).collect::<Vec<_>>();
    assert_eq!(statuses(&back), statuses(&c));
    assert_eq!(back.regressions, 2);
}

#[test]
fn path_overrides_change_only_their_path() {
    let mut cfg = CompareConfig::default();
    cfg.paths.insert(
        "cpu/m".into(),
        crate::suite::PathOverride {
            min_change: Some(0.10),
            ..Default::default()
        },
    );
    assert_eq!(rule_for(&cfg, "cpu", "m").latency.min_change, 0.10);
    assert_eq!(rule_for(&cfg, "cpu", "other").latency.min_change, 0.03);
}

#[test]
fn cold_start_is_judged_in_the_confirmations_paired_rounds() {
    let base = base_of(&one_path(9.0, None, BASE_COMMIT));
    let mut head = one_path(9.0, None, HEAD_COMMIT);
    // The head run started 80% slower than the baseline's run: another time, maybe
    // another machine state; alone it is never a verdict of change.
    for r in &mut head.paths[0].rounds {
        r.cold_start_ms.session_create *= 1.8;
        r.cold_start_ms.first_inference *= 1.8;
    }
    let rule = CompareConfig::default();
    let cold = |c: &PathComparison| {
        c.resources
            .iter()
            .find(|j| j.what == "cold start")
            .cloned()
            .expect("a cold start judgement")
    };
    let judge = |r: Remeasure| {
        let s = screen_path(&head, &head.paths[0], &base, &rule);
        judge_path(&head, &head.paths[0], &base, &rule, s, &r)
    };
    let c = judge(Remeasure::NotDone("off".into()));
    assert_eq!(cold(&c).verdict, Verdict::Inconclusive, "{c:?}");
    assert_eq!(c.status, PathStatus::NotConfirmed, "{c:?}");
    // Paired rounds where both sides start alike (the first session of each
    // round 30 ms slower): unchanged, whatever the runs said.
    let mut m = interleaved(1.0);
    m.base_cold_ms = (0..10)
        .map(|k| if k % 2 == 0 { 130.0 } else { 100.0 })
        .collect();
    m.head_cold_ms = (0..10)
        .map(|k| if k % 2 == 0 { 100.0 } else { 130.0 })
        .collect();
    let c = judge(Remeasure::Measured(m.clone()));
    assert_eq!(cold(&c).verdict, Verdict::Unchanged, "{c:?}");
    assert_eq!(c.status, PathStatus::Unchanged, "{c:?}");
    // The head session 50% slower to start in every round: a regression.
    m.head_cold_ms.iter_mut().for_each(|x| *x *= 1.5);
    let c = judge(Remeasure::Measured(m));
    assert_eq!(cold(&c).verdict, Verdict::Regressed, "{c:?}");
    assert_eq!(c.status, PathStatus::Regressed, "{c:?}");
}

#[test]
fn judge_run_confirms_only_the_paths_the_rule_asks_for_and_stops_on_an_error() {
    // Two paths: "m" has a baseline and is confirmed (slower, measured +6%);
    // "n" has none and is new, never re-measured.
    let mut head = one_path(9.0, None, HEAD_COMMIT);
    let mut n = head.paths[0].clone();
    n.model = "n".into();
    head.paths.push(n);
    let base = base_of(&one_path(9.0, None, BASE_COMMIT));
    let rule = CompareConfig::default();
    let load = |p: &PathRecord| Ok((p.model == "m").then(|| base.clone()));
    let mut asked = Vec::new();
    let c = judge_run(&head, "head.json", "baselines", &rule, load, |p, _, _| {
        asked.push(p.model.clone());
        Ok(Remeasure::Measured(interleaved(1.06)))
    })
    .unwrap();
    assert_eq!(asked, vec!["m"]);
    let status: Vec<_> = c.paths.iter().map(|p| p.status).collect();
    assert_eq!(status, vec![PathStatus::Regressed, PathStatus::New]);
    assert_eq!((c.regressions, c.run.as_str()), (1, "head.json"));
    // With confirmation off nothing is re-measured.
    let mut off = rule.clone();
    off.confirm.enabled = false;
    let c = judge_run(&head, "head.json", "baselines", &off, load, |_, _, _| {
        panic!("re-measured with confirmation off")
    })
    .unwrap();
    assert_eq!(c.paths.len(), 2);
    // An error from either side ends the judging (e.g. Ctrl-C while confirming).
    let stop = |_: &PathRecord, _: &Baseline, _: &CompareConfig| -> Result<Remeasure> {
        Err(crate::Error::Interrupted {
            signal: 2,
            message: "confirming".into(),
        })
    };
    let e = judge_run(&head, "head.json", "baselines", &rule, load, stop).unwrap_err();
    assert!(matches!(e, crate::Error::Interrupted { .. }), "{e}");
}

//! A path's latest baseline against the one before it (the colour and words
//! of the index's cells and the page's header: from its paired change, the
//! absolute change of two separate runs shown only as such) and what changed
//! around it between neighbouring baselines (runtime, provider, threads,
//! model file).

use super::format::{runtime, runtime_name};
use super::input::SiteInput;
use crate::compare::short_hash;
use crate::history::{Direction, PathHistory};
use crate::record::baseline::HistoryEntry;

/// A path's change against its previous baseline, and how it reads.
pub struct Change {
    /// The latest baseline's paired change (replayed interleaved against the
    /// previous one), a fraction; `None` when it is not paired.
    pub latency: Option<f64>,
    /// The change of the absolute statistic (median round p10) of the two
    /// separate runs: shown as such, never coloured.
    pub absolute: Option<f64>,
    /// Change of top-1 in percentage points.
    pub top1_points: Option<f64>,
    /// `v-bad` (a slower step or less accurate), `v-good`, `v-same`; `v-none`
    /// when not paired (no colour); `v-new` for a first baseline.
    pub class: &'static str,
    /// "+5.2% slower (paired)", "not paired (absolute +8.1%)", "-1.4 pts top-1".
    pub text: String,
    /// What else changed (runtime, threads, provider, model).
    pub notes: Vec<String>,
}

/// The latest baseline of `h` against the one before it. Latency reads the
/// paired chain: coloured only when its paired change is a step (the
/// confirmation decided a change of at least the path's `min_change`);
/// top-1 against `max_top1_drop_points`.
pub fn change(input: &SiteInput<'_>, h: &PathHistory) -> Change {
    let n = h.entries.len();
    if n < 2 {
        return Change {
            latency: None,
            absolute: None,
            top1_points: None,
            class: "v-new",
            text: "first baseline".into(),
            notes: Vec::new(),
        };
    }
    let (prev, last) = (&h.entries[n - 2], &h.entries[n - 1]);
    let rule = crate::compare::rule_for(input.compare, &h.device, &h.model);
    let absolute = (prev.p10_rounds > 0.0)
        .then(|| last.p10_rounds / prev.p10_rounds - 1.0)
        .filter(|x| x.is_finite());
    let latency = last.paired.as_ref().and_then(|p| p.change.change);
    let top1_points = match (prev.top1, last.top1) {
        (Some(a), Some(b)) => Some((b - a) * 100.0),
        _ => None,
    };
    let step = h.chain.steps[n - 1];
    let slower = step == Some(Direction::Slower);
    let faster = step == Some(Direction::Faster);
    let limit = rule.accuracy.max_top1_drop_points;
    let less_accurate = top1_points.is_some_and(|d| d < -limit);
    let more_accurate = top1_points.is_some_and(|d| d > limit);
    let mut words = Vec::new();
    match (latency, absolute) {
        (Some(x), _) => words.push(format!(
            "{:+.1}%{} (paired)",
            x * 100.0,
            if slower {
                " slower"
            } else if faster {
                " faster"
            } else {
                ""
            }
        )),
        (None, Some(a)) => words.push(format!("not paired (absolute {:+.1}%)", a * 100.0)),
        (None, None) => words.push("not paired".into()),
    }
    if let Some(d) = top1_points.filter(|d| d.abs() >= 0.05) {
        words.push(format!("{d:+.1} pts top-1"));
    }
    let class = if slower || less_accurate {
        "v-bad"
    } else if faster || more_accurate {
        "v-good"
    } else if latency.is_none() {
        "v-none"
    } else {
        "v-same"
    };
    Change {
        latency,
        absolute,
        top1_points,
        class,
        text: words.join(", "),
        notes: setting_changes(prev, last),
    }
}

/// What changed around a path between two baselines, each as a short phrase.
pub fn setting_changes(prev: &HistoryEntry, e: &HistoryEntry) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (prev.runtime_kind, e.runtime_kind);
    let versions_differ = prev.runtime_version != e.runtime_version;
    if a == b && versions_differ {
        out.push(format!(
            "{} {} → {}",
            runtime_name(e),
            prev.runtime_version,
            e.runtime_version
        ));
    } else if a != b && (versions_differ || (a.is_some() && b.is_some())) {
        // Another runtime, or a new version where one kind is unknown (a line
        // older than the kind is not taken to be a change of kind on its own).
        out.push(format!("{} → {}", runtime(prev), runtime(e)));
    }
    if prev.provider_ran != e.provider_ran {
        out.push(format!(
            "provider {} → {}",
            prev.provider_ran, e.provider_ran
        ));
    }
    if let (Some(a), Some(b)) = (prev.threads, e.threads) {
        if a != b {
            out.push(format!(
                "threads {}/{} → {}/{} (intra/inter)",
                a.intra, a.inter, b.intra, b.inter
            ));
        }
    }
    if prev.model_sha256 != e.model_sha256 {
        out.push(format!(
            "model file {} → {}",
            short_hash(&prev.model_sha256),
            short_hash(&e.model_sha256)
        ));
    }
    out
}

/// Entries where a setting changed: (index, what changed).
pub fn annotations(entries: &[HistoryEntry]) -> Vec<(usize, String)> {
    entries
        .windows(2)
        .enumerate()
        .filter_map(|(i, w)| {
            let c = setting_changes(&w[0], &w[1]);
            (!c.is_empty()).then(|| (i + 1, c.join("; ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::dashboard_path;
    use crate::suite::{CompareConfig, PathOverride, RuntimeKind};

    fn site<'a>(hs: &'a [PathHistory], compare: &'a CompareConfig) -> SiteInput<'a> {
        SiteInput {
            histories: hs,
            repo_url: None,
            compare,
        }
    }

    /// `h` with its last entry's p10 of the rounds (and top-1) set, paired
    /// as the fixtures pair (the ratio to the one before, the 3% rule).
    fn with_last(h: PathHistory, p10_rounds: f64, top1: Option<f64>) -> PathHistory {
        let mut entries = h.entries;
        let e = entries.last_mut().unwrap();
        e.p10_rounds = p10_rounds;
        e.top1 = top1;
        PathHistory::new(h.device, h.model, crate::fixtures::paired_chain(entries))
    }

    #[test]
    fn the_change_comes_from_the_paired_step_with_the_suites_thresholds() {
        let cfg = CompareConfig::default();
        let base = dashboard_path("cpu", "m", 6, 9.0, Some(0.75));
        let prev = base.entries[4].p10_rounds;
        let judge = |h: &PathHistory, cfg: &CompareConfig| {
            let hs = [PathHistory::anchored(
                h.device.clone(),
                h.model.clone(),
                h.entries.clone(),
                0,
                crate::compare::rule_for(cfg, "cpu", "m").latency.min_change,
            )];
            let c = change(&site(&hs, cfg), &hs[0]);
            (c.class, c.text)
        };
        let slower = with_last(base.clone(), prev * 1.05, Some(0.75));
        assert_eq!(
            judge(&slower, &cfg),
            ("v-bad", "+5.0% slower (paired)".into())
        );
        let faster = with_last(base.clone(), prev * 0.9, Some(0.75));
        assert_eq!(
            judge(&faster, &cfg),
            ("v-good", "-10.0% faster (paired)".into())
        );
        let same = with_last(base.clone(), prev * 1.02, Some(0.75));
        assert_eq!(judge(&same, &cfg), ("v-same", "+2.0% (paired)".into()));
        // Three points of top-1 lost: beyond the 2-point floor.
        let less = with_last(base.clone(), prev, Some(0.72));
        assert_eq!(
            judge(&less, &cfg),
            ("v-bad", "+0.0% (paired), -3.0 pts top-1".into())
        );
        // A per-path override of the suite applies.
        let mut loose = CompareConfig::default();
        loose.paths.insert(
            "cpu/m".into(),
            PathOverride {
                min_change: Some(0.10),
                ..Default::default()
            },
        );
        assert_eq!(judge(&slower, &loose).0, "v-same");
        // Not paired: the absolute change of two runs is said, never coloured.
        let mut unpaired = slower.clone();
        unpaired.entries.last_mut().unwrap().paired = None;
        assert_eq!(
            judge(&unpaired, &cfg),
            ("v-none", "not paired (absolute +5.0%)".into())
        );
        let first = PathHistory::new("cpu".into(), "m".into(), base.entries[..1].to_vec());
        assert_eq!(judge(&first, &cfg), ("v-new", "first baseline".into()));
    }

    #[test]
    fn setting_changes_are_found_between_neighbours() {
        let h = dashboard_path("cpu", "m", 9, 9.0, None);
        let mut entries = h.entries.clone();
        for e in &mut entries[5..] {
            e.threads = Some(crate::record::Threads { intra: 2, inter: 1 });
            e.provider_ran = crate::suite::Provider::Openvino;
        }
        for e in &mut entries[7..] {
            e.model_sha256 = "cd".repeat(32);
        }
        let notes = annotations(&entries);
        let at: Vec<usize> = notes.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, vec![3, 5, 7], "{notes:?}");
        assert_eq!(notes[0].1, "onnxruntime 1.24.1 → 1.31.1");
        assert!(notes[1].1.contains("provider cpu → openvino"), "{notes:?}");
        assert!(notes[1].1.contains("threads 1/1 → 2/1"), "{notes:?}");
        assert_eq!(notes[2].1, "model file abababababab → cdcdcdcdcdcd");
    }

    #[test]
    fn a_runtime_change_names_both_runtimes_and_an_unknown_kind_is_no_change() {
        use crate::suite::RuntimeKind::{Litert, Onnxruntime};
        let entries = crate::fixtures::dashboard_path("npu", "m", 2, 9.0, None).entries;
        let note = |a: (Option<RuntimeKind>, &str), b: (Option<RuntimeKind>, &str)| {
            let (mut prev, mut e) = (entries[0].clone(), entries[1].clone());
            (prev.runtime_kind, prev.runtime_version) = (a.0, a.1.into());
            (e.runtime_kind, e.runtime_version) = (b.0, b.1.into());
            setting_changes(&prev, &e)
        };
        let ort = Some(Onnxruntime);
        assert_eq!(
            note((ort, "1.31.1"), (Some(Litert), "1.4.0")),
            ["onnxruntime 1.31.1 → litert 1.4.0"]
        );
        assert_eq!(
            note((ort, "1.31.1"), (Some(Litert), "1.31.1")),
            ["onnxruntime 1.31.1 → litert 1.31.1"]
        );
        assert_eq!(
            note((Some(Litert), "1.3.0"), (Some(Litert), "1.4.0")),
            ["litert 1.3.0 → 1.4.0"]
        );
        // A line older than the kind, then the same version with its kind: no change.
        assert!(note((None, "1.31.1"), (ort, "1.31.1")).is_empty());
        assert_eq!(
            note((None, "1.24.1"), (ort, "1.31.1")),
            ["unknown runtime 1.24.1 → onnxruntime 1.31.1"]
        );
        assert_eq!(
            note((None, "1.24.1"), (None, "1.31.1")),
            ["unknown runtime 1.24.1 → 1.31.1"]
        );
    }
}

//! Resource verdicts: peak memory and cold start of a path against its baseline.
//! Both come from the run's rounds, each a fresh worker process measuring one
//! session alone: peak resident memory (VmHWM) after the timed inferences, and
//! session creation + first inference.
//!
//! Rule (pure, on the per-round values of each side): with `b` and `h` the
//! medians and `m` the rule's `max_increase`, a change counts only past both
//! `m` (relative) and `min_increase` (absolute: MiB, ms), and only when the sides
//! do not overlap (every head round above every base round for a regression),
//! so one slow process start cannot fail a build. Unchanged when every head round
//! lies within the margins of the base median; inconclusive otherwise, which is
//! reported but does not change the path's status.

use serde::{Deserialize, Serialize};

use super::latency::Verdict;
use crate::stats;
use crate::suite::ResourceRule;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResourceJudgement {
    /// "memory" or "cold start".
    pub what: String,
    /// "MiB" or "ms".
    pub unit: String,
    pub verdict: Verdict,
    /// Medians of the base and head rounds.
    pub base: f64,
    pub head: f64,
    /// head / base - 1.
    pub change: f64,
    pub reason: String,
}

/// Judges one resource; `None` when a side has no values (a baseline from before
/// edgeperf measured it, or the rule is off).
pub fn judge(
    what: &str,
    unit: &str,
    base: &[f64],
    head: &[f64],
    rule: &ResourceRule,
) -> Option<ResourceJudgement> {
    if !rule.enabled {
        return None;
    }
    let finite = |v: &[f64]| -> Vec<f64> { v.iter().copied().filter(|x| x.is_finite()).collect() };
    let (base, head) = (finite(base), finite(head));
    let b = stats::median(&base)?;
    let h = stats::median(&head)?;
    if b <= 0.0 {
        return None;
    }
    let (lo_b, hi_b) = min_max(&base);
    let (lo_h, hi_h) = min_max(&head);
    let change = h / b - 1.0;
    let (m, floor) = (rule.max_increase, rule.min_increase);
    let past = |delta: f64| delta.abs() > floor && (delta / b).abs() > m;
    let within = |x: f64| (x - b).abs() <= floor || ((x - b) / b).abs() <= m;
    let values = format!(
        "{b:.1} {unit} -> {h:.1} {unit} ({:+.1}%, {} vs {} rounds)",
        change * 100.0,
        base.len(),
        head.len()
    );
    let limits = format!("±{:.0}% and ±{floor:.0} {unit}", m * 100.0);
    let (verdict, reason) = if past(h - b) && h > b && lo_h > hi_b {
        (Verdict::Regressed, format!("{values}: past {limits}"))
    } else if past(h - b) && h < b && hi_h < lo_b {
        (Verdict::Improved, format!("{values}: past {limits}"))
    } else if head.iter().all(|&x| within(x)) {
        (Verdict::Unchanged, format!("{values}: within {limits}"))
    } else {
        (
            Verdict::Inconclusive,
            format!("{values}: the rounds spread across {limits}"),
        )
    };
    Some(ResourceJudgement {
        what: what.into(),
        unit: unit.into(),
        verdict,
        base: b,
        head: h,
        change,
        reason,
    })
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem() -> ResourceRule {
        ResourceRule::default()
    }

    #[test]
    fn thirty_percent_more_memory_is_a_regression() {
        let j = judge(
            "memory",
            "MiB",
            &[100.0, 101.0, 99.5],
            &[131.0, 130.2, 132.0],
            &mem(),
        )
        .unwrap();
        assert_eq!(j.verdict, Verdict::Regressed, "{j:?}");
        assert!(j.reason.contains("+31.0%"), "{}", j.reason);
    }

    #[test]
    fn small_or_overlapping_changes_do_not_fail() {
        // +12% but only 3 MiB: below the absolute floor.
        let j = judge(
            "memory",
            "MiB",
            &[25.0, 25.0, 25.0],
            &[28.0, 28.0, 28.0],
            &mem(),
        )
        .unwrap();
        assert_eq!(j.verdict, Verdict::Unchanged, "{j:?}");
        // One slow head process does not make a regression when the rest overlap.
        let cs = ResourceRule::cold_start();
        let j = judge(
            "cold start",
            "ms",
            &[100.0, 140.0, 105.0],
            &[135.0, 102.0, 180.0],
            &cs,
        )
        .unwrap();
        assert_eq!(j.verdict, Verdict::Inconclusive, "{j:?}");
        let j = judge(
            "cold start",
            "ms",
            &[100.0, 104.0, 98.0],
            &[101.0, 99.0, 103.0],
            &cs,
        )
        .unwrap();
        assert_eq!(j.verdict, Verdict::Unchanged);
    }

    #[test]
    fn nothing_to_judge_without_values() {
        assert!(judge("memory", "MiB", &[], &[1.0], &mem()).is_none());
        let off = ResourceRule {
            enabled: false,
            ..mem()
        };
        assert!(judge("memory", "MiB", &[1.0], &[9.0], &off).is_none());
        let j = judge("memory", "MiB", &[200.0; 3], &[100.0; 3], &mem()).unwrap();
        assert_eq!(j.verdict, Verdict::Improved);
    }
}

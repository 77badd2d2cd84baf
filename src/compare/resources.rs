//! Resource verdicts: peak memory and cold start of a path against its baseline.
//!
//! Peak memory comes from the run's rounds, each a fresh worker process
//! measuring one session alone (VmHWM after the timed inferences). Rule ([`judge`],
//! pure, on the per-round values of each side): with `b` and `h` the medians and
//! `m` the rule's `max_increase`, a change counts only past both `m` (relative)
//! and `min_increase` (absolute: MiB, ms), and only when the sides do not overlap
//! (every head round above every base round for a regression). Unchanged when
//! every head round lies within the margins of the base median; inconclusive
//! otherwise, which is reported but does not change the path's status.
//!
//! Cold start (session creation + first inference) moves with the machine's
//! state like latency does: between two runs of the same models measured minutes
//! to hours apart on this machine its median moved by more than +25% and 20 ms,
//! with no round overlapping, in 42 of 516 ordered pairs of real runs (8%). So a cold
//! start is judged from the rounds of the interleaved confirmation, where both
//! sessions are created in the same round ([`judge_paired`]); compared only
//! against a run from another time it can say "unchanged" or "inconclusive",
//! never a change ([`unpaired`]).

/// Coverage of the sign-test interval a paired cold-start change must
/// exclude 0 with (fixed: one look at the rounds the confirmation took).
pub const COLD_START_CONFIDENCE: f64 = 0.95;

use serde::{Deserialize, Serialize};

use super::types::Verdict;
use crate::record::{MemoryOf, Round};
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

/// The peak memory of the baseline's rounds and of the run's, when both
/// measured the same process (the worker, or an external runner: its process
/// tree and its own report agree on what they measure); else the note that
/// says why memory is not judged: not measured on this run, or not comparable
/// (a baseline of an older edgeperf measured the worker of an external path,
/// this run its runner).
pub fn memory_sides(base: &[Round], head: &[Round]) -> Result<(Vec<f64>, Vec<f64>), String> {
    let of = |rs: &[Round]| {
        rs.iter()
            .find(|r| r.peak_rss_mb.is_some() || r.peak_rss_of.is_some())
            .map(Round::memory_of)
    };
    let values = |rs: &[Round]| rs.iter().filter_map(|r| r.peak_rss_mb).collect::<Vec<_>>();
    let runner = |m: MemoryOf| matches!(m, MemoryOf::Runner | MemoryOf::RunnerReported);
    match (of(base), of(head)) {
        (_, Some(MemoryOf::NotMeasured)) => Err(
            "memory not measured: the runner runs the model outside its own process tree and reported no peak_rss_mb (docs/EXTERNAL_RUNNERS.md)".into(),
        ),
        (Some(b), Some(h)) if b != h && !(runner(b) && runner(h)) => Err(format!(
            "memory not comparable: the baseline measured {}, this run {}",
            b.describe(),
            h.describe()
        )),
        _ => Ok((values(base), values(head))),
    }
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
    let verdict = if past(h - b) && h > b && lo_h > hi_b {
        Verdict::Regressed
    } else if past(h - b) && h < b && hi_h < lo_b {
        Verdict::Improved
    } else if head.iter().all(|&x| within(x)) {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    };
    let sides = Sides {
        what,
        unit,
        base: b,
        head: h,
        change,
    };
    Some(sides.judged(verdict, &values, &limits, "the rounds spread across"))
}

/// What both rules report about a resource, whatever they decided.
struct Sides<'a> {
    what: &'a str,
    unit: &'a str,
    base: f64,
    head: f64,
    change: f64,
}

impl Sides<'_> {
    /// The judgement with its reason: `values`, then past / within `limits`, or
    /// `undecided` and the limits when inconclusive.
    fn judged(
        self,
        verdict: Verdict,
        values: &str,
        limits: &str,
        undecided: &str,
    ) -> ResourceJudgement {
        let reason = match verdict {
            Verdict::Regressed | Verdict::Improved => format!("{values}: past {limits}"),
            Verdict::Unchanged => format!("{values}: within {limits}"),
            Verdict::Inconclusive | Verdict::NotConfirmed | Verdict::Identical => {
                format!("{values}: {undecided} {limits}")
            }
        };
        ResourceJudgement {
            what: self.what.into(),
            unit: self.unit.into(),
            verdict,
            base: self.base,
            head: self.head,
            change: self.change,
            reason,
        }
    }
}

/// Judges a resource measured in the rounds of an interleaved confirmation:
/// `base[k]` and `head[k]` were created in the same round `k`, the base side
/// first in even rounds and second in odd ones (the first session a process
/// creates pays one-time costs). Each pair of rounds (2j, 2j+1) gives one
/// order-free value v_j = (ln(h/b) of round 2j + ln(h/b) of round 2j+1) / 2.
///
/// change = exp(median v) - 1. Regressed iff the change is past both
/// `max_increase` and `min_increase` (as base median x change) and the v_j lie
/// above 0: all of them with fewer than 6 pairs (3 pairs at least), else the
/// sign-test interval of their median at `confidence`. Improved symmetrically.
/// Unchanged iff the change is within either margin; inconclusive otherwise.
/// `None` when the rule is off or no pair of rounds was measured.
pub fn judge_paired(
    what: &str,
    unit: &str,
    base: &[f64],
    head: &[f64],
    rule: &ResourceRule,
    confidence: f64,
) -> Option<ResourceJudgement> {
    if !rule.enabled {
        return None;
    }
    let n = base.len().min(head.len());
    let ln = |k: usize| (head[k] / base[k]).ln();
    let mut v: Vec<f64> = (0..n / 2)
        .map(|j| (ln(2 * j) + ln(2 * j + 1)) / 2.0)
        .collect();
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let b = stats::median(&base[..n])?;
    let h = stats::median(&head[..n])?;
    let change = stats::median(&v)?.exp() - 1.0;
    let (m, floor) = (rule.max_increase, rule.min_increase);
    // The absolute change on the base median, from the paired change (the raw
    // medians mix first and second sessions).
    let delta = b * change;
    let past = change.abs() > m && delta.abs() > floor;
    let pairs = v.len();
    let (lo, hi) = if pairs < 6 {
        (v[0], v[pairs - 1])
    } else {
        match super::latency::median_interval_ranks(pairs, confidence) {
            Some(k) => (v[k - 1], v[pairs - k]),
            None => (v[0], v[pairs - 1]),
        }
    };
    let values = format!(
        "{b:.1} {unit} -> {h:.1} {unit} ({:+.1}%, {delta:+.1} {unit} paired over {} rounds, creation order alternated)",
        change * 100.0,
        2 * pairs
    );
    let limits = format!("±{:.0}% and ±{floor:.0} {unit}", m * 100.0);
    let enough = pairs >= 3;
    let verdict = if enough && past && change > 0.0 && lo > 0.0 {
        Verdict::Regressed
    } else if enough && past && change < 0.0 && hi < 0.0 {
        Verdict::Improved
    } else if !past {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    };
    let sides = Sides {
        what,
        unit,
        base: b,
        head: h,
        change,
    };
    Some(sides.judged(
        verdict,
        &values,
        &limits,
        "the pairs of rounds disagree, past",
    ))
}

/// A judgement made only against a run from another time (no paired rounds):
/// a change it sees may be the machine's state moving between the two runs, so
/// it is kept as inconclusive, with why; "unchanged" and "inconclusive" stand.
pub fn unpaired(mut j: ResourceJudgement) -> ResourceJudgement {
    if matches!(j.verdict, Verdict::Regressed | Verdict::Improved) {
        j.verdict = Verdict::Inconclusive;
        j.reason = format!(
            "{}; measured against a run from another time, not in paired rounds (no confirmation)",
            j.reason
        );
    }
    j
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

    /// Cold starts (ms) of a real no-change confirmation, cpu/mobilenet_v2 on this
    /// machine (`edgeperf compare` of a run of 32c5bc3 against baselines/): the
    /// first session of a process pays ~15 ms more, whichever side it is (the
    /// base side is first in rounds 0, 2, 4, ...).
    const BASE: [f64; 12] = [
        59.0, 41.0, 62.0, 57.0, 59.0, 42.0, 71.0, 39.0, 69.0, 55.0, 50.0, 56.0,
    ];
    const HEAD: [f64; 12] = [
        44.0, 54.0, 40.0, 69.0, 42.0, 66.0, 56.0, 53.0, 55.0, 70.0, 39.0, 71.0,
    ];

    #[test]
    fn paired_rounds_cancel_the_first_session_cost() {
        let cs = ResourceRule::cold_start();
        // Round by round head/base swings from -35% to +57% with the creation order;
        // pairs of rounds cancel it.
        let j = judge_paired("cold start", "ms", &BASE, &HEAD, &cs, 0.95).unwrap();
        assert_eq!(j.verdict, Verdict::Unchanged, "{j:?}");
        assert!(j.change.abs() < 0.05, "{j:?}");
        assert!(
            j.reason.contains(" ms paired over 12 rounds"),
            "{}",
            j.reason
        );
    }

    #[test]
    fn a_slower_session_in_every_pair_of_rounds_is_a_regression() {
        let cs = ResourceRule::cold_start();
        let slow: Vec<f64> = HEAD.iter().map(|x| x * 1.5).collect();
        let j = judge_paired("cold start", "ms", &BASE, &slow, &cs, 0.95).unwrap();
        assert_eq!(j.verdict, Verdict::Regressed, "{j:?}");
        assert!(j.reason.contains("past ±25% and ±20 ms"), "{}", j.reason);
        let j = judge_paired("cold start", "ms", &slow, &BASE, &cs, 0.95).unwrap();
        assert_eq!(j.verdict, Verdict::Improved, "{j:?}");
        // +50% in five pairs of six, -10% in one: at 95% six pairs must all agree.
        let mut mixed = slow.clone();
        mixed[10] = BASE[10] * 0.9;
        mixed[11] = BASE[11] * 0.9;
        let j = judge_paired("cold start", "ms", &BASE, &mixed, &cs, 0.95).unwrap();
        assert_eq!(j.verdict, Verdict::Inconclusive, "{j:?}");
        // Fewer than 3 pairs never decide.
        let j = judge_paired("cold start", "ms", &BASE[..4], &slow[..4], &cs, 0.95).unwrap();
        assert_eq!(j.verdict, Verdict::Inconclusive, "{j:?}");
    }

    #[test]
    fn an_unpaired_change_is_never_a_verdict_of_change() {
        let cs = ResourceRule::cold_start();
        // Two real runs of cpu/efficientnet_b0 (rounds, ms), same model and
        // settings, measured at different times (shipped baselines 4 and 2).
        let j = judge(
            "cold start",
            "ms",
            &[77.9, 106.2, 108.3],
            &[167.3, 146.5, 153.0],
            &cs,
        )
        .unwrap();
        assert_eq!(j.verdict, Verdict::Regressed);
        let u = unpaired(j);
        assert_eq!(u.verdict, Verdict::Inconclusive);
        assert!(u.reason.contains("not in paired rounds"), "{}", u.reason);
        let same = judge("cold start", "ms", &[100.0; 3], &[101.0; 3], &cs).unwrap();
        assert_eq!(unpaired(same).verdict, Verdict::Unchanged);
        assert!(judge_paired("cold start", "ms", &[], &[], &cs, 0.95).is_none());
    }
}

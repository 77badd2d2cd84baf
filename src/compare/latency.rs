//! Latency verdicts. Pure functions over per-round detection statistics.
//!
//! **Statistic.** Each round (a fresh process) yields one value: the `quantile`
//! (default p10) of its timed inferences. Low quantiles are what this machine
//! kind measures reliably: in the real noise data of tests/fixtures/latency-noise
//! the p50 of identical runs moved 8.9..12.0 ms (sd of log p50 ~7%) while p5 of
//! adjacent runs differed by sd ~1.7%; tail noise (preemption, cache misses) only
//! ever adds time, so the lower part of the distribution tracks the model's cost.
//! Users still see p50/p90/p99.
//!
//! **Screen** (head run vs the stored baseline, possibly days apart): the change
//! of the median over rounds, judged against the two runs' recorded round-to-round
//! spread (floored at [`ROUND_SD_FLOOR`]). A change past half the minimum practical
//! change makes the path *suspect*; suspects are re-measured by interleaving.
//!
//! **Confirmation** (base and head interleaved in the same worker processes):
//! per-process ratios of the statistic, median and sign-test interval; see
//! [`judge_interleaved`]. By default every path with a baseline is confirmed
//! (`compare.confirm.always`): on this machine kind processes settle on latency
//! levels ~40% apart, more than any effect worth catching, so a run-vs-stored-run
//! screen can be fooled either way (docs/DETECTION.md).

use serde::{Deserialize, Serialize};

use super::types::{null_as_nan, Verdict};
use crate::stats;
use crate::suite::LatencyRule;

/// Floor on the round-to-round sd of ln(statistic): 2%, a little above the 1.7%
/// measured between adjacent runs of the same model on this machine kind.
pub const ROUND_SD_FLOOR: f64 = 0.02;

/// The screen of a head run against a stored baseline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Screen {
    /// Median over rounds of the detection statistic, ms.
    pub base_stat: f64,
    pub head_stat: f64,
    /// head/base - 1.
    pub change: f64,
    /// Interval on the change from the recorded round-to-round noise.
    pub ci: [f64; 2],
    /// Past the screen threshold (half the minimum practical change): confirm.
    pub suspect: bool,
    /// Verdict the screen alone supports when the path is not suspect.
    pub verdict: Verdict,
    pub reason: String,
}

/// Interleaved confirmation of one path.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Confirmation {
    /// Per-round detection statistic (p10) of the base side, in measurement order.
    pub base: Vec<f64>,
    pub head: Vec<f64>,
    /// The per-round statistic judged: ln(head/base) per round.
    #[serde(default)]
    pub log_ratios: Vec<f64>,
    /// exp(median ln(head/base)) - 1.
    #[serde(deserialize_with = "null_as_nan::f64")]
    pub change: f64,
    #[serde(deserialize_with = "null_as_nan::pair")]
    pub ci: [f64; 2],
    #[serde(deserialize_with = "null_as_nan::f64")]
    pub p_value: f64,
    pub verdict: Verdict,
    pub reason: String,
    /// Seconds of measurement per side.
    pub seconds_per_side: f64,
    /// How the two sides were paired.
    #[serde(default)]
    pub pairing: ProcessPairing,
}

fn logs(v: &[f64]) -> Option<Vec<f64>> {
    v.iter()
        .map(|x| (x.is_finite() && *x > 0.0).then(|| x.ln()))
        .collect()
}

/// Coefficient of variation of positive values (sd/mean); 0 for fewer than 2.
pub fn cv(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    match (stats::mean(v), stats::sd(v)) {
        (Ok(m), Ok(s)) if m > 0.0 => s / m,
        _ => 0.0,
    }
}

/// Screens head rounds against baseline rounds (per-round detection statistic).
pub fn screen(base: &[f64], head: &[f64], rule: &LatencyRule) -> Option<Screen> {
    let lb = logs(base)?;
    let lh = logs(head)?;
    let mb = stats::median(&lb)?;
    let mh = stats::median(&lh)?;
    let d = mh - mb;
    let var = |l: &[f64]| {
        let s = if l.len() >= 2 {
            stats::sd(l).unwrap_or(0.0)
        } else {
            0.0
        };
        s.max(ROUND_SD_FLOOR).powi(2) / l.len() as f64
    };
    let se = (var(&lb) + var(&lh)).sqrt();
    let z = stats::normal_quantile(0.5 + rule.confidence / 2.0);
    let ci = [(d - z * se).exp() - 1.0, (d + z * se).exp() - 1.0];
    let change = d.exp() - 1.0;
    let suspect = change > rule.min_change / 2.0;
    let head_cv = cv(head);
    let (verdict, reason) = if head_cv > rule.max_round_cv {
        (
            Verdict::Inconclusive,
            format!(
                "run too noisy to judge: its rounds' p{:.0} spread {:.1}% (coefficient of variation) > {:.1}%",
                rule.quantile * 100.0,
                head_cv * 100.0,
                rule.max_round_cv * 100.0
            ),
        )
    } else if suspect {
        (
            Verdict::Inconclusive,
            format!(
                "{:+.1}% vs the baseline: suspected, needs confirmation",
                change * 100.0
            ),
        )
    } else if ci[1] < 0.0 && change <= -rule.min_change {
        (
            Verdict::Improved,
            format!("{:+.1}% vs the baseline", change * 100.0),
        )
    } else {
        (
            Verdict::Unchanged,
            format!("{:+.1}% vs the baseline, within noise", change * 100.0),
        )
    };
    Some(Screen {
        base_stat: mb.exp(),
        head_stat: mh.exp(),
        change,
        ci,
        suspect: suspect && head_cv <= rule.max_round_cv,
        verdict,
        reason,
    })
}

/// Distribution-free interval for the median of `n` sorted values: the 1-based
/// order statistics `(k, n + 1 - k)` with the largest `k` whose two-sided coverage,
/// 1 - 2 P(Bin(n, 1/2) < k), is at least `confidence`. `None` when even the full
/// range does not reach it (n too small). Source: the sign-test interval, e.g.
/// Hollander & Wolfe, *Nonparametric Statistical Methods*, ch. 3.
pub fn median_interval_ranks(n: usize, confidence: f64) -> Option<usize> {
    let alpha = (1.0 - confidence) / 2.0;
    let mut best = None;
    for k in 1..=n / 2 {
        // P(X <= k - 1) must stay below alpha for order statistic k.
        if stats::binomial_half_cdf(n as u64, (k - 1) as u64) <= alpha {
            best = Some(k);
        } else {
            break;
        }
    }
    best
}

/// How a confirmation paired its two sides: in one worker process, or in two
/// driven in lockstep (the JSON field stays `pairing`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ProcessPairing {
    /// `None`: both sides in one worker process (same runtime library);
    /// `Some(why)`: two worker processes in lockstep, because the runtime library
    /// differs (`why` names both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub across_processes: Option<String>,
    /// Rounds measured, and the looks at which the interval was checked.
    #[serde(default)]
    pub rounds: usize,
}

/// The per-round statistic of an interleaved round: the median over its block
/// pairs of ln(median of head block j / median of base block j). Blocks `j` of
/// the two sides were timed next to each other (a few tenths of a second apart),
/// so a change of the machine's latency level between blocks cancels; the median
/// over blocks ignores the block pairs that straddle a change. `None` without a
/// whole block pair or with a non-positive time.
pub fn block_log_ratio(base: &[f64], head: &[f64], block: usize) -> Option<f64> {
    if block == 0 {
        return None;
    }
    let pairs = base.len().min(head.len()) / block;
    let mut d = Vec::with_capacity(pairs);
    for j in 0..pairs {
        let a = stats::median(&base[j * block..(j + 1) * block])?;
        let b = stats::median(&head[j * block..(j + 1) * block])?;
        if !(a > 0.0 && b > 0.0) {
            return None;
        }
        d.push((b / a).ln());
    }
    stats::median(&d)
}

/// Judges interleaved rounds given as per-round p10s: `base[k]` and `head[k]`
/// were measured in the same worker process (alternating blocks), so their
/// ratio is free of the process's level. See [`judge_log_ratios`].
pub fn judge_interleaved(
    base: &[f64],
    head: &[f64],
    rule: &LatencyRule,
    seconds_per_side: f64,
) -> Confirmation {
    let d = match (logs(base), logs(head)) {
        (Some(lb), Some(lh)) if lb.len() == lh.len() => {
            Some(lb.iter().zip(&lh).map(|(a, b)| b - a).collect::<Vec<_>>())
        }
        (Some(_), Some(_)) => {
            let mut c = judge_log_ratios(&[], rule, seconds_per_side);
            c.reason = "interleaved rounds are unpaired".into();
            c.base = base.to_vec();
            c.head = head.to_vec();
            return c;
        }
        _ => None,
    };
    let mut c = match d {
        Some(d) => judge_log_ratios(&d, rule, seconds_per_side),
        None => {
            let mut c = judge_log_ratios(&[], rule, seconds_per_side);
            c.reason = "interleaved rounds hold a non-positive or missing value".into();
            c
        }
    };
    c.base = base.to_vec();
    c.head = head.to_vec();
    c
}

/// Judges per-round log-ratios d_k = ln(head_k / base_k) of interleaved rounds:
///
/// * change = exp(median d) - 1: the median, because a round whose machine state
///   changed half-way gives an outlying ratio (seen here: 13%, 22%, 31% among
///   ratios of 4-6%), which a mean would follow;
/// * interval = the sign-test interval of the median at `rule.confidence`
///   ([`median_interval_ranks`]; with 10 rounds, the 2nd and 9th of the sorted
///   ratios, 97.9% coverage); p = two-sided sign test.
///
/// Regressed iff the sign-test interval at `rule.decide_confidence` (stricter:
/// a sequential confirmation looks several times) lies above 0 and the change is
/// at least `min_change`; improved symmetrically. Unchanged iff the interval at
/// `rule.confidence` lies inside ±`min_change` and the ratios' robust spread
/// (1.4826 MAD) is at most `rule.max_round_cv` (a noisy machine never passes a
/// path as unchanged; a change far past the noise still counts). Otherwise
/// inconclusive. Needs at least 6 rounds (the smallest n whose sign-test
/// interval reaches 95%); a decisive change at 0.995 needs 9.
pub fn judge_log_ratios(d: &[f64], rule: &LatencyRule, seconds_per_side: f64) -> Confirmation {
    let mk = |verdict, reason: String, change, ci, p| Confirmation {
        base: Vec::new(),
        head: Vec::new(),
        log_ratios: d.to_vec(),
        change,
        ci,
        p_value: p,
        verdict,
        reason,
        seconds_per_side,
        pairing: ProcessPairing::default(),
    };
    let nan = |reason: String| {
        mk(
            Verdict::Inconclusive,
            reason,
            f64::NAN,
            [f64::NAN; 2],
            f64::NAN,
        )
    };
    if d.iter().any(|x| !x.is_finite()) {
        return nan("interleaved rounds hold a non-positive or missing value".into());
    }
    let mut d = d.to_vec();
    d.sort_by(f64::total_cmp);
    let n = d.len();
    let Some(k) = median_interval_ranks(n, rule.confidence) else {
        return nan(format!(
            "too few interleaved rounds ({n}) for a {:.0}% interval",
            rule.confidence * 100.0
        ));
    };
    let med = stats::median(&d).unwrap_or(f64::NAN);
    let spread = 1.4826 * stats::mad(&d).unwrap_or(0.0);
    let change = med.exp() - 1.0;
    let interval = |k: usize| [d[k - 1].exp() - 1.0, d[n - k].exp() - 1.0];
    let ci = interval(k);
    // The stricter interval a regression or an improvement must clear.
    let decide = median_interval_ranks(n, rule.decide_confidence).map(interval);
    let pos = d.iter().filter(|x| **x > 0.0).count() as u64;
    let neg = d.iter().filter(|x| **x < 0.0).count() as u64;
    let p = (2.0 * stats::binomial_half_cdf(pos + neg, pos.min(neg))).min(1.0);
    let rounds = Rounds {
        n,
        change,
        ci,
        decide,
        spread,
    };
    let (verdict, reason) = rounds.verdict(rule);
    mk(verdict, reason, change, ci, p)
}

/// What [`judge_log_ratios`] found in the rounds, before the verdict.
struct Rounds {
    n: usize,
    /// exp(median) - 1 and its interval at `rule.confidence`.
    change: f64,
    ci: [f64; 2],
    /// The interval at `rule.decide_confidence`, when `n` reaches it.
    decide: Option<[f64; 2]>,
    /// Robust spread of the log-ratios (1.4826 MAD).
    spread: f64,
}

impl Rounds {
    /// The verdict and its reason, by the rule [`judge_log_ratios`] states.
    fn verdict(&self, rule: &LatencyRule) -> (Verdict, String) {
        let (n, change, ci) = (self.n, self.change, self.ci);
        let m = rule.min_change;
        let pct = |x: f64| format!("{:+.1}%", x * 100.0);
        let span = format!(
            "{} [{} .. {}] over {n} interleaved rounds",
            pct(change),
            pct(ci[0]),
            pct(ci[1])
        );
        let noisy = self.spread > rule.max_round_cv;
        if self.decide.is_some_and(|c| c[0] > 0.0) && change >= m {
            (
                Verdict::Regressed,
                format!("confirmed by interleaving: {span}"),
            )
        } else if self.decide.is_some_and(|c| c[1] < 0.0) && change <= -m {
            (
                Verdict::Improved,
                format!("confirmed by interleaving: {span}"),
            )
        } else if noisy {
            (
                Verdict::Inconclusive,
                format!(
                    "machine too noisy to judge: interleaved ratios spread {:.1}% > {:.1}% ({span})",
                    self.spread * 100.0,
                    rule.max_round_cv * 100.0
                ),
            )
        } else if ci[0] > -m && ci[1] < m {
            (
                Verdict::Unchanged,
                format!("interleaved: {span}, within ±{:.0}%", m * 100.0),
            )
        } else {
            (
                Verdict::Inconclusive,
                format!(
                    "interleaving cannot rule out a ±{:.0}% change: {span}",
                    m * 100.0
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> LatencyRule {
        LatencyRule::default()
    }

    #[test]
    fn screen_flags_suspects_and_passes_noise() {
        let base = [9.0, 9.1, 8.95];
        let s = screen(&base, &[9.05, 9.0, 9.1], &rule()).unwrap();
        assert!(!s.suspect);
        assert_eq!(s.verdict, Verdict::Unchanged);
        let s = screen(&base, &[9.5, 9.45, 9.55], &rule()).unwrap();
        assert!(s.suspect, "+5% must be screened as suspect: {s:?}");
        let s = screen(&base, &[8.0, 8.05, 7.98], &rule()).unwrap();
        assert_eq!(s.verdict, Verdict::Improved);
        let s = screen(&base, &[9.0, 12.0, 9.0], &rule()).unwrap();
        assert_eq!(s.verdict, Verdict::Inconclusive);
        assert!(s.reason.contains("too noisy"), "{}", s.reason);
        assert!(screen(&[], &[1.0], &rule()).is_none());
        assert!(screen(&[0.0], &[1.0], &rule()).is_none());
    }

    #[test]
    fn median_interval_ranks_known_values() {
        // n = 10: P(X <= 1) = 11/1024 <= 0.025 < P(X <= 2) = 56/1024.
        assert_eq!(median_interval_ranks(10, 0.95), Some(2));
        assert_eq!(median_interval_ranks(6, 0.95), Some(1)); // 2/64 = 0.031 coverage 96.9%
        assert_eq!(median_interval_ranks(5, 0.95), None); // 2/32 = 0.0625 > 0.05
        assert_eq!(median_interval_ranks(20, 0.95), Some(6));
    }

    #[test]
    fn one_outlying_round_does_not_sway_the_verdict() {
        // Real in-process ratios of the +5% model include rounds whose process changed
        // level half-way (31%, 13%, 22%); the median ignores them.
        let ratios = [
            1.043, 1.051, 1.312, 1.095, 1.048, 1.072, 1.059, 1.042, 1.049, 1.04,
        ];
        let base = [7.2; 10];
        let head: Vec<f64> = ratios.iter().map(|r| 7.2 * r).collect();
        let c = judge_interleaved(&base, &head, &rule(), 20.0);
        assert_eq!(c.verdict, Verdict::Regressed, "{c:?}");
        assert!((c.change - 0.05).abs() < 0.005, "{}", c.change);
        let aa = [
            1.003, 0.995, 1.21, 0.998, 1.004, 0.992, 1.001, 1.0, 0.997, 1.006,
        ];
        let head: Vec<f64> = aa.iter().map(|r| 7.2 * r).collect();
        assert_eq!(
            judge_interleaved(&base, &head, &rule(), 20.0).verdict,
            Verdict::Unchanged
        );
        let c = judge_interleaved(&base[..5], &head[..5], &rule(), 20.0);
        assert_eq!(c.verdict, Verdict::Inconclusive);
        assert!(c.reason.contains("too few"), "{}", c.reason);
    }

    #[test]
    fn interleaved_verdicts() {
        let base = [9.0, 9.1, 8.9, 9.05, 9.0, 8.95, 9.1, 9.0, 9.02, 8.98];
        let same: Vec<f64> = base
            .iter()
            .zip([1.01, 0.99, 1.0, 1.005, 0.995, 1.0, 1.01, 0.99, 1.0, 1.0])
            .map(|(b, f)| b * f)
            .collect();
        assert_eq!(
            judge_interleaved(&base, &same, &rule(), 20.0).verdict,
            Verdict::Unchanged
        );
        let slow: Vec<f64> = same.iter().map(|x| x * 1.05).collect();
        let c = judge_interleaved(&base, &slow, &rule(), 20.0);
        assert_eq!(c.verdict, Verdict::Regressed, "{c:?}");
        assert!((c.change - 0.05).abs() < 0.01);
        let fast: Vec<f64> = same.iter().map(|x| x * 0.9).collect();
        assert_eq!(
            judge_interleaved(&base, &fast, &rule(), 20.0).verdict,
            Verdict::Improved
        );
        let small: Vec<f64> = same.iter().map(|x| x * 1.015).collect();
        // +1.5% with tight pairs: interval inside ±3% -> unchanged (below the practical minimum)
        assert_eq!(
            judge_interleaved(&base, &small, &rule(), 20.0).verdict,
            Verdict::Unchanged
        );
        // +2%: the interval reaches past +3%, so a practical change cannot be ruled out.
        let two: Vec<f64> = same.iter().map(|x| x * 1.02).collect();
        assert_eq!(
            judge_interleaved(&base, &two, &rule(), 20.0).verdict,
            Verdict::Inconclusive
        );
        let noisy: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, b)| b * if i % 2 == 0 { 1.2 } else { 0.85 })
            .collect();
        assert_eq!(
            judge_interleaved(&base, &noisy, &rule(), 20.0).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn a_large_change_counts_however_much_it_spreads() {
        // Real rounds of intra_threads 2 -> 1 on the 2-core machine (benches/verdicts.rs):
        // the ratio itself moves with contention (robust spread ~25% > max_round_cv),
        // but every round is far past +3%: regressed, not "too noisy".
        let ratios = [1.77, 1.91, 1.70, 1.44, 1.28, 1.55, 1.32, 1.73, 1.27, 1.37];
        let d: Vec<f64> = ratios.iter().map(|r: &f64| r.ln()).collect();
        let c = judge_log_ratios(&d, &rule(), 6.0);
        assert_eq!(c.verdict, Verdict::Regressed, "{c:?}");
        // The same spread around no change is never "unchanged".
        let d: Vec<f64> = ratios.iter().map(|r: &f64| r.ln() - 1.5f64.ln()).collect();
        let c = judge_log_ratios(&d, &rule(), 6.0);
        assert_eq!(c.verdict, Verdict::Inconclusive, "{c:?}");
        assert!(c.reason.contains("too noisy"), "{}", c.reason);
    }

    #[test]
    fn a_decisive_change_needs_the_stricter_interval() {
        // Eight rounds all at +5%: the 95% interval is above 0, but the sign test
        // cannot reach 99.5% with 8 rounds (1 - 2/256 = 99.2%): not decided yet.
        let d = [0.05f64; 8].map(|x| x.ln_1p());
        let c = judge_log_ratios(&d, &rule(), 4.8);
        assert!(c.ci[0] > 0.0, "{c:?}");
        assert_eq!(c.verdict, Verdict::Inconclusive, "{c:?}");
        let d = [0.05f64; 10].map(|x| x.ln_1p());
        assert_eq!(
            judge_log_ratios(&d, &rule(), 6.0).verdict,
            Verdict::Regressed
        );
    }
}

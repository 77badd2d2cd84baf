//! Latency verdicts. Pure functions over per-round detection statistics.
//!
//! **Statistic.** Each round (a fresh process) yields one value: the `quantile`
//! (default p10) of its timed inferences. Low quantiles are what this machine
//! kind measures reliably: in the shared noise data (../shared/data/latency-noise)
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
//! **Confirmation** (interleaved rounds on one machine, base and head alternating
//! A-B, B-A, ...): paired log-ratios of the per-round statistic, t-interval at the
//! configured confidence. Regressed iff the interval lies above 0 and the mean
//! change is at least `min_change`; unchanged iff the interval lies inside
//! ±`min_change`; otherwise inconclusive.

use serde::{Deserialize, Serialize};

use crate::compare::config::LatencyRule;
use crate::stats;

/// Floor on the round-to-round sd of ln(statistic): 2%, a little above the 1.7%
/// measured between adjacent runs of the same model on this machine kind.
pub const ROUND_SD_FLOOR: f64 = 0.02;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

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
    /// Per-round detection statistic of the base side, in measurement order.
    pub base: Vec<f64>,
    pub head: Vec<f64>,
    /// exp(mean ln(head/base)) - 1.
    #[serde(deserialize_with = "crate::compare::null_as_nan::f64")]
    pub change: f64,
    #[serde(deserialize_with = "crate::compare::null_as_nan::pair")]
    pub ci: [f64; 2],
    #[serde(deserialize_with = "crate::compare::null_as_nan::f64")]
    pub p_value: f64,
    pub verdict: Verdict,
    pub reason: String,
    /// Seconds of measurement per side.
    pub seconds_per_side: f64,
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

/// Judges interleaved rounds: `base[k]` and `head[k]` were measured next to each other.
pub fn judge_interleaved(
    base: &[f64],
    head: &[f64],
    rule: &LatencyRule,
    seconds_per_side: f64,
) -> Confirmation {
    let mk = |verdict, reason: String, change, ci, p| Confirmation {
        base: base.to_vec(),
        head: head.to_vec(),
        change,
        ci,
        p_value: p,
        verdict,
        reason,
        seconds_per_side,
    };
    let worst_cv = cv(base).max(cv(head));
    if worst_cv > rule.max_round_cv {
        return mk(
            Verdict::Inconclusive,
            format!(
                "machine too noisy to judge: interleaved rounds spread {:.1}% > {:.1}%",
                worst_cv * 100.0,
                rule.max_round_cv * 100.0
            ),
            f64::NAN,
            [f64::NAN, f64::NAN],
            f64::NAN,
        );
    }
    let Some(pc) = stats::paired_log_ratio(base, head, rule.confidence) else {
        return mk(
            Verdict::Inconclusive,
            "too few interleaved rounds".into(),
            f64::NAN,
            [f64::NAN; 2],
            f64::NAN,
        );
    };
    let change = pc.mean_log.exp() - 1.0;
    let ci = [pc.ci_lo, pc.ci_hi];
    let m = rule.min_change;
    let pct = |x: f64| format!("{:+.1}%", x * 100.0);
    let (verdict, reason) = if pc.ci_lo > 0.0 && change >= m {
        (
            Verdict::Regressed,
            format!(
                "confirmed by interleaving: {} ({} .. {})",
                pct(change),
                pct(ci[0]),
                pct(ci[1])
            ),
        )
    } else if pc.ci_hi < 0.0 && change <= -m {
        (
            Verdict::Improved,
            format!(
                "confirmed by interleaving: {} ({} .. {})",
                pct(change),
                pct(ci[0]),
                pct(ci[1])
            ),
        )
    } else if pc.ci_lo > -m && pc.ci_hi < m {
        (
            Verdict::Unchanged,
            format!(
                "not confirmed by interleaving: {} ({} .. {}), within ±{:.0}%",
                pct(change),
                pct(ci[0]),
                pct(ci[1]),
                m * 100.0
            ),
        )
    } else {
        (
            Verdict::Inconclusive,
            format!(
                "interleaving cannot rule out a ±{:.0}% change: {} ({} .. {})",
                m * 100.0,
                pct(change),
                pct(ci[0]),
                pct(ci[1])
            ),
        )
    };
    mk(verdict, reason, change, ci, pc.p_value)
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
        let two: Vec<f64> = same.iter().map(|x| x * 1.02).collect();
        // +2% with tight pairs: CI inside ±3% -> unchanged (below the practical minimum)
        assert_eq!(
            judge_interleaved(&base, &two, &rule(), 20.0).verdict,
            Verdict::Unchanged
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
}

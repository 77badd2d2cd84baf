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

use super::boundaries::Boundaries;
use super::types::{null_as_nan, Verdict};
use crate::record::machine::MachineState;
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

/// Interleaved confirmation of one path: every round measured, the verdict of
/// the sequential rule on them (`compare::sequential`) and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Confirmation {
    /// Per-round detection statistic (p10) of the base side, in measurement order.
    pub base: Vec<f64>,
    pub head: Vec<f64>,
    /// The per-round statistic judged: ln(head/base) per round.
    pub log_ratios: Vec<f64>,
    /// exp(median ln(head/base)) - 1 over the rounds counted.
    #[serde(deserialize_with = "null_as_nan::f64")]
    pub change: f64,
    /// The confidence sequence at `latency.confidence` over all looks, as
    /// changes; `null` when the rounds hold none yet.
    #[serde(deserialize_with = "null_as_nan::pair")]
    pub ci: [f64; 2],
    pub verdict: Verdict,
    pub reason: String,
    /// Seconds of measurement per side.
    pub seconds_per_side: f64,
    /// How the two sides were paired.
    #[serde(default)]
    pub pairing: ProcessPairing,
    /// Rounds the rule counted (those not measured on a busy machine).
    #[serde(default)]
    pub counted: usize,
    /// Per round: why it was measured on a busy machine and not counted
    /// (`null`: counted).
    #[serde(default)]
    pub busy: Vec<Option<String>>,
    /// Per round: what the machine was doing (`null`: not read).
    #[serde(default)]
    pub machine: Vec<Option<MachineState>>,
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
/// pairs of ln(median of head block j / median of base block j), each block
/// without its first `discard` inferences (the ones right after the other
/// session ran: cold caches). Blocks `j` of the two sides were timed next to
/// each other, so a change of the machine's latency level between blocks
/// cancels; the median over blocks ignores the pairs that straddle a change.
/// `None` without a whole block pair, with a block that `discard` empties, or
/// with a non-positive time.
pub fn block_log_ratio(base: &[f64], head: &[f64], block: usize, discard: usize) -> Option<f64> {
    if block == 0 || discard >= block {
        return None;
    }
    let pairs = base.len().min(head.len()) / block;
    let mut d = Vec::with_capacity(pairs);
    for j in 0..pairs {
        let a = stats::median(&base[j * block + discard..(j + 1) * block])?;
        let b = stats::median(&head[j * block + discard..(j + 1) * block])?;
        if !(a > 0.0 && b > 0.0) {
            return None;
        }
        d.push((b / a).ln());
    }
    stats::median(&d)
}

/// Judges `n` interleaved rounds given as per-round p10s (`base[k]` and
/// `head[k]` from the same worker process) in one look at exactly these `n`
/// rounds: the fixed-sample form of the sequential rule ([`Rounds::look`] with
/// boundaries made for a single look at `n`). For experiments on recorded
/// rounds; `edgeperf compare` judges with `compare::sequential`.
pub fn judge_interleaved(
    base: &[f64],
    head: &[f64],
    rule: &LatencyRule,
    seconds_per_side: f64,
) -> Confirmation {
    let values: Vec<f64> = match (logs(base), logs(head)) {
        (Some(lb), Some(lh)) if lb.len() == lh.len() => {
            lb.iter().zip(&lh).map(|(a, b)| b - a).collect()
        }
        _ => vec![f64::NAN; base.len().max(head.len()).max(1)],
    };
    let n = values.len();
    let one_sided = |confidence: f64| (1.0 - confidence) / 2.0;
    let change = Boundaries::new(n, n, one_sided(rule.decide_confidence));
    let equivalence = Boundaries::new(n, n, one_sided(rule.confidence));
    let look = Rounds {
        busy: vec![None; n],
        machine: vec![None; n],
        values: values.clone(),
        min_rounds: n,
        change: &change,
        equivalence: &equivalence,
    }
    .look(rule);
    Confirmation {
        base: base.to_vec(),
        head: head.to_vec(),
        log_ratios: values,
        change: look.change,
        ci: look.ci,
        verdict: look.verdict,
        reason: look.reason,
        seconds_per_side,
        pairing: ProcessPairing::default(),
        counted: look.counted,
        busy: vec![None; n],
        machine: vec![None; n],
    }
}

/// What a look at the rounds concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub verdict: Verdict,
    /// exp(median) - 1 of the rounds described (NaN without any).
    pub change: f64,
    /// The reported interval (the equivalence sequence) as changes; NaN when
    /// the rounds hold none yet.
    pub ci: [f64; 2],
    /// Rounds counted (not busy).
    pub counted: usize,
    pub reason: String,
}

/// The rounds of a confirmation as a look sees them.
pub struct Rounds<'a> {
    /// ln(head/base) per round, in measurement order.
    pub values: Vec<f64>,
    /// Per round: why it was busy (not counted), or `None`.
    pub busy: Vec<Option<String>>,
    pub machine: Vec<Option<MachineState>>,
    /// Fewer counted rounds never decide.
    pub min_rounds: usize,
    /// The confidence sequences of the change and the equivalence decisions.
    pub change: &'a Boundaries,
    pub equivalence: &'a Boundaries,
}

/// Busy rounds are blamed for an undecided verdict from this share of the
/// rounds on.
const BUSY_SHARE: f64 = 0.25;

impl Rounds<'_> {
    /// The verdict on the counted rounds, by the rule `compare::sequential`
    /// states, with a reason whose numbers are the ones reported.
    pub fn look(&self, rule: &LatencyRule) -> Look {
        let n_all = self.values.len();
        if self.values.iter().any(|x| !x.is_finite()) {
            return Look {
                verdict: Verdict::Inconclusive,
                change: f64::NAN,
                ci: [f64::NAN; 2],
                counted: 0,
                reason: "interleaved rounds hold a non-positive or missing value".into(),
            };
        }
        let counted: Vec<f64> = self
            .values
            .iter()
            .zip(&self.busy)
            .filter(|(_, b)| b.is_none())
            .map(|(v, _)| *v)
            .collect();
        let n_busy = n_all - counted.len();
        let enough = counted.len() >= self.min_rounds;
        let mut d = if enough {
            counted.clone()
        } else {
            self.values.clone()
        };
        d.sort_by(f64::total_cmp);
        let described = describe(&d, self.equivalence, self.change, rule);
        let verdict = if enough {
            decide(&d, self.change, self.equivalence, rule)
        } else {
            Verdict::Inconclusive
        };
        let busy_blamed = verdict == Verdict::Inconclusive
            && n_busy > 0
            && (!enough || n_busy as f64 >= BUSY_SHARE * n_all as f64);
        let reason = if busy_blamed {
            let states: Vec<&MachineState> = self
                .machine
                .iter()
                .zip(&self.busy)
                .filter(|(_, b)| b.is_some())
                .filter_map(|(m, _)| m.as_ref())
                .collect();
            let over = if enough {
                format!("over the {} counted rounds", counted.len())
            } else {
                "over all rounds, busy ones included".into()
            };
            format!(
                "machine busy ({n_busy} of {n_all} rounds not counted: {}); {over}: {}",
                super::busy::summary(&states),
                described.phrase(verdict, rule, enough)
            )
        } else {
            let mut r = described.phrase(verdict, rule, true);
            if n_busy > 0 {
                r += &format!(" ({n_busy} busy round(s) not counted)");
            }
            r
        };
        Look {
            verdict,
            change: described.change,
            ci: described.ci,
            counted: counted.len(),
            reason,
        }
    }
}

/// Regressed, improved, unchanged or inconclusive for sorted counted values.
fn decide(d: &[f64], change: &Boundaries, equivalence: &Boundaries, rule: &LatencyRule) -> Verdict {
    let m = rule.min_change;
    let est = stats::median(d).map(|x| x.exp() - 1.0).unwrap_or(f64::NAN);
    if let Some([lo, hi]) = change.interval(d) {
        if lo > 0.0 && est >= m {
            return Verdict::Regressed;
        }
        if hi < 0.0 && est <= -m {
            return Verdict::Improved;
        }
    }
    match equivalence.interval(d) {
        Some([lo, hi]) if lo > (1.0 - m).ln() && hi < (1.0 + m).ln() => Verdict::Unchanged,
        _ => Verdict::Inconclusive,
    }
}

/// The numbers a reason states: the estimate, the reported interval, how many
/// rounds and how many of them point the other way.
struct Described {
    n: usize,
    /// Whether this many rounds can decide a change at all.
    decidable: bool,
    decide_confidence: f64,
    change: f64,
    ci: [f64; 2],
    /// Rounds not slower (<= 0) and not faster (>= 0).
    not_slower: usize,
    not_faster: usize,
}

fn describe(
    d: &[f64],
    equivalence: &Boundaries,
    change: &Boundaries,
    rule: &LatencyRule,
) -> Described {
    let estimate = stats::median(d).map(|x| x.exp() - 1.0).unwrap_or(f64::NAN);
    let ci = equivalence
        .interval(d)
        .map(|[lo, hi]| [lo.exp() - 1.0, hi.exp() - 1.0])
        .unwrap_or([f64::NAN; 2]);
    Described {
        n: d.len(),
        decidable: change.rank(d.len()) >= 1 && d.len() <= change.n_max(),
        decide_confidence: rule.decide_confidence,
        change: estimate,
        ci,
        not_slower: d.iter().filter(|x| **x <= 0.0).count(),
        not_faster: d.iter().filter(|x| **x >= 0.0).count(),
    }
}

impl Described {
    /// "+12.1% [+9.0, +18.5] over 20 rounds" (no interval: "over 4 rounds,
    /// too few for an interval").
    fn span(&self) -> String {
        let pct = |x: f64| format!("{:+.1}", x * 100.0);
        if self.ci[0].is_finite() {
            format!(
                "{}% [{}, {}] over {} rounds",
                pct(self.change),
                pct(self.ci[0]),
                pct(self.ci[1]),
                self.n
            )
        } else {
            format!(
                "{}% over {} rounds, too few for an interval",
                pct(self.change),
                self.n
            )
        }
    }

    /// What the numbers say, in words that agree with them; `judged`: the
    /// rounds described are the ones the rule counted (else busy ones, which
    /// it never judges, so no reason to doubt is given beyond that).
    fn phrase(&self, verdict: Verdict, rule: &LatencyRule, judged: bool) -> String {
        let m = rule.min_change;
        let span = self.span();
        let doubt = |word: &str, against: usize| {
            if !judged {
                String::new()
            } else if !self.decidable {
                format!(
                    "; not confirmed: {} rounds are too few for a decision at {:.0}%",
                    self.n,
                    100.0 * self.decide_confidence
                )
            } else {
                format!(
                    "; not confirmed: {against} of the {} rounds were not {word}",
                    self.n
                )
            }
        };
        match verdict {
            Verdict::Regressed => format!("confirmed slower: {span}"),
            Verdict::Improved => format!("confirmed faster: {span}"),
            Verdict::Unchanged => format!("unchanged: {span}, within ±{:.0}%", m * 100.0),
            _ if !self.change.is_finite() => "no rounds to judge".into(),
            _ if self.change >= m => {
                format!(
                    "probably slower: {span}{}",
                    doubt("slower", self.not_slower)
                )
            }
            _ if self.change <= -m => {
                format!(
                    "probably faster: {span}{}",
                    doubt("faster", self.not_faster)
                )
            }
            _ => format!(
                "undecided: {span}; a change of {:.0}% or more is not ruled out",
                m * 100.0
            ),
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
        // Five rounds, the outlier among them: the interval reaches it.
        let c = judge_interleaved(&base[..5], &head[..5], &rule(), 20.0);
        assert_eq!(c.verdict, Verdict::Inconclusive);
        assert!(
            c.reason
                .starts_with("undecided: +0.3% [-0.5, +21.0] over 5 rounds"),
            "{}",
            c.reason
        );
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
        // Real rounds of intra_threads 2 -> 1 on the 2-core machine: the ratio
        // moves with contention (spread ~25%), but every round is far past +3%.
        let ratios = [1.77, 1.91, 1.70, 1.44, 1.28, 1.55, 1.32, 1.73, 1.27, 1.37];
        let base = [9.0; 10];
        let head: Vec<f64> = ratios.iter().map(|r| 9.0 * r).collect();
        let c = judge_interleaved(&base, &head, &rule(), 6.0);
        assert_eq!(c.verdict, Verdict::Regressed, "{c:?}");
        // The same spread around no change is never "unchanged", and its reason
        // states the interval it has.
        let head: Vec<f64> = ratios.iter().map(|r| 9.0 * r / 1.5).collect();
        let c = judge_interleaved(&base, &head, &rule(), 6.0);
        assert_eq!(c.verdict, Verdict::Inconclusive, "{c:?}");
        assert!(c.reason.starts_with("undecided: "), "{}", c.reason);
        assert!(c.ci[0] < -0.03 && c.ci[1] > 0.03, "{c:?}");
    }

    #[test]
    fn a_decisive_change_needs_the_stricter_interval() {
        // Seven rounds all at +5%: 2^-7 = 0.78% one-sided, more than the 0.5%
        // a change may err by on each side: not decided with seven, with eight.
        let c = judge_interleaved(&[9.0; 7], &[9.45; 7], &rule(), 4.8);
        assert_eq!(c.verdict, Verdict::Inconclusive, "{c:?}");
        assert!(
            c.reason == "probably slower: +5.0% [+5.0, +5.0] over 7 rounds; not confirmed: 7 rounds are too few for a decision at 99%",
            "{}",
            c.reason
        );
        let c = judge_interleaved(&[9.0; 8], &[9.45; 8], &rule(), 6.0);
        assert_eq!(c.verdict, Verdict::Regressed, "{c:?}");
    }

    #[test]
    fn a_block_log_ratio_leaves_out_the_first_inference_after_a_switch() {
        let base = [15.0, 10.0, 10.0, 15.0, 10.0, 10.0];
        let head = [15.0, 10.5, 10.5, 15.0, 10.5, 10.5];
        let d = block_log_ratio(&base, &head, 3, 1).unwrap();
        assert!((d - 1.05f64.ln()).abs() < 1e-12);
        assert_eq!(block_log_ratio(&base, &head, 3, 3), None);
        assert_eq!(block_log_ratio(&base, &head, 0, 0), None);
    }
}

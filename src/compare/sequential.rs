//! The sequential confirmation rule: while paired rounds of base and head come
//! in, when to look at the interval and when to stop measuring. The one place
//! this rule lives: `commands::confirm` feeds it rounds as they are measured and
//! `benches/verdicts.rs` replays recorded rounds through it.
//!
//! **What it decides.** After each round, whether to measure another. It looks
//! (judges the rounds so far with [`judge_log_ratios`]) after `min_rounds`
//! rounds, then every two rounds, and at `rounds` (the cap), and stops at the
//! first look whose verdict is decisive: regressed, improved or unchanged.
//!
//! **Per-look confidence.** A change (regressed or improved) must clear the
//! sign-test interval of the median round ratio at `latency.decide_confidence`
//! (99.5% by default), because there are several looks: with the defaults (rounds
//! 6 to 20) at most eight, so by Bonferroni a false alarm stays under 8 x 0.25% =
//! 2% per direction (measured: under 1%, docs/DETECTION.md). "Unchanged" needs
//! the interval at `latency.confidence` (95%) inside ±`min_change` and a round
//! spread within `max_round_cv`. Six rounds are the fewest whose interval reaches
//! 95%, nine the fewest that reach 99.5%: fewer rounds never decide.
//!
//! **Caps.** It stops, whatever the verdict, at `confirm.rounds` rounds or once
//! either side has been measured for `confirm.budget_seconds` (it then looks
//! first, so a decisive budget-limited look still counts).
//!
//! Pure: rounds in, a [`Decision`] out; no clock, no process.

use super::latency::{block_log_ratio, judge_log_ratios, Confirmation};
use super::types::Verdict;
use crate::stats;
use crate::suite::{ConfirmRule, LatencyRule};

/// One paired round of a confirmation, reduced to what the rule and the report
/// need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundStatistic {
    /// The statistic judged: the median over the round's block pairs of
    /// ln(head block median / base block median) ([`block_log_ratio`]).
    pub log_ratio: f64,
    /// The round's detection statistic (the rule's quantile, p10 by default) per
    /// side, ms: reported, not judged.
    pub base_stat: f64,
    pub head_stat: f64,
    /// Seconds of timed inference per side in this round.
    pub base_seconds: f64,
    pub head_seconds: f64,
}

impl RoundStatistic {
    /// The statistic of a round from each side's timed inferences (ms, in the
    /// order timed, blocks of `block` inferences alternating) at `quantile`.
    /// `None` without a whole block pair or with a non-positive time.
    pub fn of_round(
        base: &[f64],
        head: &[f64],
        block: usize,
        quantile: f64,
    ) -> Option<RoundStatistic> {
        let log_ratio = block_log_ratio(base, head, block)?;
        let stat = |s: &[f64]| {
            let mut s = s.to_vec();
            s.sort_by(f64::total_cmp);
            stats::quantile(&s, quantile).unwrap_or(f64::NAN)
        };
        let seconds = |s: &[f64]| s.iter().sum::<f64>() / 1e3;
        Some(RoundStatistic {
            log_ratio,
            base_stat: stat(base),
            head_stat: stat(head),
            base_seconds: seconds(base),
            head_seconds: seconds(head),
        })
    }
}

/// Why a confirmation stops measuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The look was decisive (regressed, improved or unchanged).
    Decided,
    /// A side has been measured for the budget's seconds.
    Budget,
    /// The most rounds were measured.
    Rounds,
}

/// What the rule says after the rounds so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Rounds measured so far.
    pub rounds: usize,
    /// The verdict of this round's look; `None` when this round is not a look.
    pub verdict: Option<Verdict>,
    /// Why measuring stops here; `None`: measure another round.
    pub stop: Option<Stop>,
}

/// The sequential rule with the rounds measured so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequential {
    latency: LatencyRule,
    min_rounds: usize,
    max_rounds: usize,
    budget_seconds: f64,
    rounds: Vec<RoundStatistic>,
}

impl Sequential {
    /// No rounds yet; looks and caps from `confirm`, verdicts by `latency`.
    pub fn new(latency: &LatencyRule, confirm: &ConfirmRule) -> Sequential {
        Sequential {
            latency: latency.clone(),
            min_rounds: confirm.min_rounds as usize,
            max_rounds: confirm.rounds as usize,
            budget_seconds: confirm.budget_seconds,
            rounds: Vec::new(),
        }
    }

    /// Adds the next round, in measurement order.
    pub fn push(&mut self, round: RoundStatistic) {
        self.rounds.push(round);
    }

    /// The rounds so far, in measurement order.
    pub fn rounds(&self) -> &[RoundStatistic] {
        &self.rounds
    }

    /// Each round's statistic judged, ln(head/base), in measurement order.
    pub fn log_ratios(&self) -> Vec<f64> {
        self.rounds.iter().map(|r| r.log_ratio).collect()
    }

    /// Seconds measured per side so far (base and head summed per side).
    fn seconds(&self) -> (f64, f64) {
        self.rounds.iter().fold((0.0, 0.0), |(a, b), r| {
            (a + r.base_seconds, b + r.head_seconds)
        })
    }

    /// Mean seconds of measurement per side so far (reported).
    pub fn seconds_per_side(&self) -> f64 {
        let (a, b) = self.seconds();
        (a + b) / 2.0
    }

    /// Either side has been measured for the budget.
    pub fn out_of_budget(&self) -> bool {
        let (a, b) = self.seconds();
        a.max(b) >= self.budget_seconds
    }

    /// Whether the rounds so far are judged: after `min_rounds`, then every two
    /// rounds, at the most rounds, and when the budget is spent.
    pub fn should_look(&self) -> bool {
        let n = self.rounds.len();
        let scheduled = n >= self.min_rounds
            && (n == self.max_rounds || (n - self.min_rounds).is_multiple_of(2));
        scheduled || self.out_of_budget()
    }

    /// The judgement of the rounds so far ([`judge_log_ratios`]): what a look sees.
    pub fn judge(&self) -> Confirmation {
        judge_log_ratios(&self.log_ratios(), &self.latency, self.seconds_per_side())
    }

    /// Whether to stop after the rounds so far, and the verdict when this is a
    /// look.
    pub fn decision(&self) -> Decision {
        let rounds = self.rounds.len();
        let verdict = self.should_look().then(|| self.judge().verdict);
        let stop = if verdict.is_some_and(|v| v != Verdict::Inconclusive) {
            Some(Stop::Decided)
        } else if self.out_of_budget() {
            Some(Stop::Budget)
        } else if rounds >= self.max_rounds {
            Some(Stop::Rounds)
        } else {
            None
        };
        Decision {
            rounds,
            verdict,
            stop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A round whose head/base ratio is `ratio`, each side measured `secs`.
    fn round(ratio: f64, secs: f64) -> RoundStatistic {
        RoundStatistic {
            log_ratio: ratio.ln(),
            base_stat: 9.0,
            head_stat: 9.0 * ratio,
            base_seconds: secs,
            head_seconds: secs,
        }
    }

    /// Rounds of `ratios` pushed one by one until the rule stops (or they run out).
    fn run(seq: &mut Sequential, ratios: &[f64], secs: f64) -> Decision {
        let mut last = seq.decision();
        for &r in ratios {
            seq.push(round(r, secs));
            last = seq.decision();
            if last.stop.is_some() {
                break;
            }
        }
        last
    }

    fn default_rule() -> Sequential {
        Sequential::new(&LatencyRule::default(), &ConfirmRule::default())
    }

    /// Small jitter around 1 whose median is exactly 1.
    const JITTER: [f64; 10] = [
        1.0, 1.004, 0.996, 1.002, 0.998, 1.0, 1.003, 0.997, 1.001, 0.999,
    ];

    #[test]
    fn a_clear_change_is_decided_at_the_first_look_that_reaches_99_5_percent() {
        // +10% in every round: the 95% interval is clear at 6 rounds, but a change
        // needs 99.5%, which the sign test first reaches at 9 rounds; looks are at
        // 6, 8, 10, ... so it stops at round 10, long before the cap of 20.
        let ratios: Vec<f64> = JITTER.iter().cycle().take(20).map(|j| 1.1 * j).collect();
        let mut seq = default_rule();
        let d = run(&mut seq, &ratios, 0.6);
        assert_eq!(
            d,
            Decision {
                rounds: 10,
                verdict: Some(Verdict::Regressed),
                stop: Some(Stop::Decided)
            }
        );
        let slower: Vec<f64> = ratios.iter().map(|r| 0.9 / 1.1 * r).collect();
        let d = run(&mut default_rule(), &slower, 0.6);
        assert_eq!((d.rounds, d.verdict), (10, Some(Verdict::Improved)));
    }

    #[test]
    fn no_change_is_decided_at_the_first_look() {
        // Within ±0.4%: the 95% interval of 6 rounds (their extremes) lies inside ±3%.
        let d = run(&mut default_rule(), &JITTER, 0.6);
        assert_eq!(
            d,
            Decision {
                rounds: 6,
                verdict: Some(Verdict::Unchanged),
                stop: Some(Stop::Decided)
            }
        );
    }

    #[test]
    fn too_few_rounds_never_decide() {
        // Before min_rounds there is no look, however clear the rounds are.
        let mut seq = default_rule();
        for k in 1..6 {
            seq.push(round(1.5, 0.6));
            let d = seq.decision();
            assert!(!seq.should_look(), "round {k}");
            assert_eq!(
                d,
                Decision {
                    rounds: k,
                    verdict: None,
                    stop: None
                }
            );
        }
        // A rule that looks earlier than 6 rounds still cannot decide: no sign-test
        // interval of fewer rounds reaches 95%.
        let early = ConfirmRule {
            min_rounds: 2,
            ..ConfirmRule::default()
        };
        let mut seq = Sequential::new(&LatencyRule::default(), &early);
        for k in 1..6 {
            seq.push(round(1.5, 0.6));
            let d = seq.decision();
            let looks = k % 2 == 0;
            assert_eq!(seq.should_look(), looks, "round {k}");
            let expected = looks.then_some(Verdict::Inconclusive);
            assert_eq!((d.verdict, d.stop), (expected, None), "round {k}");
        }
        assert!(seq.judge().reason.contains("too few"));
    }

    #[test]
    fn an_undecided_confirmation_stops_at_the_most_rounds() {
        // Rounds swinging between +20% and -15%: never decisive.
        let noisy: Vec<f64> = (0..40)
            .map(|k| if k % 2 == 0 { 1.2 } else { 0.85 })
            .collect();
        let mut seq = default_rule();
        let d = run(&mut seq, &noisy, 0.5);
        assert_eq!(
            d,
            Decision {
                rounds: 20,
                verdict: Some(Verdict::Inconclusive),
                stop: Some(Stop::Rounds)
            }
        );
        // The looks: 6, 8, ..., 20; with a cap of 19, also at 19.
        let looks = |max: u32| {
            let cap = ConfirmRule {
                rounds: max,
                ..ConfirmRule::default()
            };
            let mut seq = Sequential::new(&LatencyRule::default(), &cap);
            (1..=max as usize)
                .filter(|_| {
                    seq.push(round(1.2, 0.1));
                    seq.should_look()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(looks(20), vec![6, 8, 10, 12, 14, 16, 18, 20]);
        assert_eq!(looks(19), vec![6, 8, 10, 12, 14, 16, 18, 19]);
    }

    #[test]
    fn the_budget_stops_it_when_either_side_has_spent_it() {
        // Head rounds take 3 s, base rounds 1 s: the head side reaches the 12 s
        // budget after 4 rounds (the mean of the sides would take 6).
        let mut seq = default_rule();
        for k in 1..=4 {
            seq.push(RoundStatistic {
                base_seconds: 1.0,
                head_seconds: 3.0,
                ..round(1.5, 0.0)
            });
            let d = seq.decision();
            if k < 4 {
                assert_eq!(d.stop, None, "round {k}");
            } else {
                // It looks before stopping; four rounds cannot decide.
                assert_eq!(d.verdict, Some(Verdict::Inconclusive));
                assert_eq!(d.stop, Some(Stop::Budget));
            }
        }
        assert_eq!(seq.seconds_per_side(), 8.0);
        // A decisive look that spends the budget counts as decided.
        let d = run(&mut default_rule(), &JITTER, 2.0);
        assert_eq!(
            (d.rounds, d.verdict, d.stop),
            (6, Some(Verdict::Unchanged), Some(Stop::Decided))
        );
    }

    #[test]
    fn a_round_statistic_from_its_blocks() {
        // Blocks of 2: base 10 10 | 10 10, head 11 11 | 11 11 (ms).
        let r = RoundStatistic::of_round(&[10.0; 4], &[11.0; 4], 2, 0.1).unwrap();
        assert!((r.log_ratio - 1.1f64.ln()).abs() < 1e-12, "{r:?}");
        assert_eq!((r.base_stat, r.head_stat), (10.0, 11.0));
        assert!((r.base_seconds - 0.04).abs() < 1e-12);
        assert!((r.head_seconds - 0.044).abs() < 1e-12);
        // Fewer samples than a block, or a zero time: no statistic.
        assert_eq!(RoundStatistic::of_round(&[10.0], &[11.0], 2, 0.1), None);
        assert_eq!(
            RoundStatistic::of_round(&[0.0; 2], &[11.0; 2], 2, 0.1),
            None
        );
    }
}

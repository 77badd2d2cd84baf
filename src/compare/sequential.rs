//! The sequential confirmation rule: while paired rounds of base and head come
//! in, whether to measure another, and the verdict they support. The one place
//! this rule lives: `commands::confirm` feeds it rounds as they are measured,
//! `compare::judge_measured` judges the saved rounds with it, and
//! `benches/verdicts` replays recorded rounds through it.
//!
//! **Looks.** After every round from `confirm.min_rounds` on, the counted
//! rounds (those not measured on a busy machine, `compare::busy`) are judged.
//! Both decisions use sign-test confidence sequences for the median round
//! log-ratio (`compare::boundaries`), valid over every look up to
//! `confirm.max_rounds` together, so looking after each round and stopping at
//! the first decision keeps each error rate:
//!
//! * **regressed / improved**: the sequence at one-sided error
//!   (1 - `latency.decide_confidence`) / 2 lies above 0 (below 0), and the
//!   estimate exp(median) - 1 is at least `latency.min_change` (at most
//!   -`min_change`). With no real change, P(any look says regressed) ≤ 0.5%
//!   and P(improved) ≤ 0.5% with the defaults: false alarms ≤ 1%.
//! * **unchanged**: the sequence at one-sided error (1 - `latency.confidence`)
//!   / 2 lies inside (ln(1 - min_change), ln(1 + min_change)). A true change
//!   of +min_change or more (or -min_change or less) is called unchanged with
//!   probability ≤ 5% with the defaults (two one-sided tests, each over all
//!   looks).
//!
//! The interval reported is the second sequence (90% over all looks).
//!
//! **Caps.** It stops undecided at `confirm.rounds` rounds or once a side was
//! measured for `confirm.budget_seconds`, unless the estimate is past the
//! minimum change: such a path is measured on, up to `confirm.max_rounds` and
//! `confirm.max_budget_seconds`, before it is reported undecided.
//!
//! Pure: rounds in, a [`Decision`] out; no clock, no process.

use super::boundaries::Boundaries;
use super::latency::{Look, Rounds};
use super::types::Verdict;
use crate::record::machine::MachineState;
use crate::suite::{ConfirmRule, LatencyRule};

/// One paired round of a confirmation, reduced to what the rule and the
/// report need.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundStatistic {
    /// The statistic judged: ln(head / base) of the round
    /// ([`RoundStatistic::of_round`]).
    pub log_ratio: f64,
    /// The round's detection quantile (p10 by default) per side, ms: reported.
    pub base_stat: f64,
    pub head_stat: f64,
    /// Seconds of timed inference per side in this round.
    pub base_seconds: f64,
    pub head_seconds: f64,
    /// What the machine was doing while the round's blocks were timed.
    pub machine: Option<MachineState>,
}

impl RoundStatistic {
    /// The statistic of a round from each side's timed inferences (ms, in the
    /// order timed, blocks of `block` inferences alternating): the median over
    /// block pairs of ln(median head block / median base block), each block
    /// without its first `discard` inferences (the ones right after a switch
    /// from the other session). `None` without a whole block pair, with a
    /// block left empty, or with a non-positive time.
    pub fn of_round(
        base: &[f64],
        head: &[f64],
        block: usize,
        discard: usize,
        quantile: f64,
    ) -> Option<RoundStatistic> {
        let log_ratio = super::latency::block_log_ratio(base, head, block, discard)?;
        let stat = |s: &[f64]| {
            let mut s = s.to_vec();
            s.sort_by(f64::total_cmp);
            crate::stats::quantile(&s, quantile).unwrap_or(f64::NAN)
        };
        let seconds = |s: &[f64]| s.iter().sum::<f64>() / 1e3;
        Some(RoundStatistic {
            log_ratio,
            base_stat: stat(base),
            head_stat: stat(head),
            base_seconds: seconds(base),
            head_seconds: seconds(head),
            machine: None,
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
    /// Rounds measured so far (busy ones included).
    pub rounds: usize,
    /// The verdict of this round's look; `None` before the first look.
    pub verdict: Option<Verdict>,
    /// Why measuring stops here; `None`: measure another round.
    pub stop: Option<Stop>,
}

/// The sequential rule with the rounds measured so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequential {
    latency: LatencyRule,
    confirm: ConfirmRule,
    /// Confidence sequences of the change and of the equivalence decision.
    change: Boundaries,
    equivalence: Boundaries,
    rounds: Vec<RoundStatistic>,
}

impl Sequential {
    /// No rounds yet; looks and caps from `confirm`, verdicts by `latency`.
    pub fn new(latency: &LatencyRule, confirm: &ConfirmRule) -> Sequential {
        let n_max = confirm.max_rounds.max(confirm.rounds).max(1) as usize;
        let first = confirm.min_rounds.max(1) as usize;
        let one_sided = |confidence: f64| (1.0 - confidence) / 2.0;
        Sequential {
            latency: latency.clone(),
            confirm: confirm.clone(),
            change: Boundaries::new(n_max, first, one_sided(latency.decide_confidence)),
            equivalence: Boundaries::new(n_max, first, one_sided(latency.confidence)),
            rounds: Vec::new(),
        }
    }

    /// The rule over rounds already measured, in measurement order.
    pub fn with_rounds(
        latency: &LatencyRule,
        confirm: &ConfirmRule,
        rounds: Vec<RoundStatistic>,
    ) -> Sequential {
        let mut s = Sequential::new(latency, confirm);
        s.rounds = rounds;
        s
    }

    /// Adds the next round, in measurement order.
    pub fn push(&mut self, round: RoundStatistic) {
        self.rounds.push(round);
    }

    /// The rounds so far, in measurement order.
    pub fn rounds(&self) -> &[RoundStatistic] {
        &self.rounds
    }

    /// Why each round was busy (`None`: counted), in measurement order.
    pub fn busy(&self) -> Vec<Option<String>> {
        self.rounds
            .iter()
            .map(|r| {
                r.machine
                    .as_ref()
                    .and_then(|m| super::busy::busy(m, &self.confirm))
            })
            .collect()
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

    /// The judgement of the rounds so far: what a look sees.
    pub fn judge(&self) -> Look {
        let busy = self.busy();
        Rounds {
            values: self.rounds.iter().map(|r| r.log_ratio).collect(),
            busy,
            machine: self.rounds.iter().map(|r| r.machine.clone()).collect(),
            min_rounds: self.confirm.min_rounds as usize,
            change: &self.change,
            equivalence: &self.equivalence,
        }
        .look(&self.latency)
    }

    /// Whether to stop after the rounds so far, and the verdict of the look.
    pub fn decision(&self) -> Decision {
        let rounds = self.rounds.len();
        let look = self.judge();
        let verdict = (look.counted >= self.confirm.min_rounds as usize).then_some(look.verdict);
        let (a, b) = self.seconds();
        let spent = a.max(b);
        // Undecided with the estimate past the minimum change: measure on, to
        // the larger caps, before reporting it undecided.
        let past = look.change.is_finite() && look.change.abs() >= self.latency.min_change;
        let (cap, budget) = if past {
            (self.confirm.max_rounds, self.confirm.max_budget_seconds)
        } else {
            (self.confirm.rounds, self.confirm.budget_seconds)
        };
        let stop = if verdict.is_some_and(|v| v != Verdict::Inconclusive) {
            Some(Stop::Decided)
        } else if spent >= budget {
            Some(Stop::Budget)
        } else if rounds >= cap.max(self.confirm.rounds) as usize {
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
mod tests;

//! The paired chain of a path's history: each baseline's change against the
//! baseline it was replayed against (its `paired` step, measured interleaved on
//! one machine), chained from an anchor. This is the trend of a history; the
//! absolute levels of separate runs (which on a shared machine sit up to ~40%
//! apart, docs/DETECTION.md) stay recorded and are shown as such, but no change
//! point and no colour is drawn from them.
//!
//! * **Level**: the anchor is 1; an entry paired against an entry `j` whose
//!   level is known has level(j) x (1 + change); entries before the anchor are
//!   reached backwards, by division. An entry that is not paired, or paired
//!   against a commit the history does not hold, has no level ("not paired"),
//!   and neither do entries that only chain through it.
//! * **Interval of a level**: the steps' intervals combined in log space as if
//!   independent and roughly normal: the lower and upper half-widths
//!   (ln(1+change) - ln(1+lo), ln(1+hi) - ln(1+change)) add in quadrature along
//!   the chain. An approximation: the sign-test intervals are not normal, but
//!   it says how far a long chain of noise can drift.
//! * **Step**: a paired change the confirmation's rule called a change
//!   (regressed or improved: its interval at `latency.decide_confidence` clears
//!   zero) whose size is at least the path's `min_change` now. These are the
//!   history's latency change points, the dashboard's colours and what an alert
//!   is raised on.
//!
//! Pure; cost O(n) per pass over n entries (commits looked up in a map).

use std::collections::HashMap;

use serde::Serialize;

use crate::record::baseline::HistoryEntry;
use crate::record::paired::PairedStep;

/// The direction of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Slower,
    Faster,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Slower => "slower",
            Direction::Faster => "faster",
        }
    }
}

/// Whether `p` is a step at `min_change` (a fraction): the rule decided a
/// change and its size is at least `min_change`.
pub fn step_of(p: &PairedStep, min_change: f64) -> Option<Direction> {
    let c = p.change.change?;
    if !p.change.verdict.is_change() || c.abs() < min_change {
        return None;
    }
    Some(if c > 0.0 {
        Direction::Slower
    } else {
        Direction::Faster
    })
}

/// An entry's place in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Level {
    /// This entry's statistic over the anchor's (1 = the anchor's).
    pub level: f64,
    /// Approximate interval of `level` (see the module's notes).
    pub lo: f64,
    pub hi: f64,
}

/// How an entry is paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "with")]
pub enum Pairing {
    /// No paired change: a line from before pairing, or a base side that could
    /// not be had.
    NotPaired,
    /// Paired against the entry at this index.
    Entry(usize),
    /// Paired against a commit the history does not hold.
    Elsewhere,
}

/// The paired chain of a history, anchored at one entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// Index of the anchor entry (level 1).
    pub anchor: usize,
    /// Per entry: how it is paired.
    pub pairing: Vec<Pairing>,
    /// Per entry: its level, when the chain reaches it.
    pub levels: Vec<Option<Level>>,
    /// Per entry: its step, when its paired change is one.
    pub steps: Vec<Option<Direction>>,
}

/// Log-space half-widths of a step's interval below and above its change.
fn half_widths(p: &PairedStep) -> (f64, f64) {
    match (p.change.change, p.change.ci) {
        (Some(c), Some([lo, hi])) => {
            let m = (1.0 + c).ln();
            (
                (m - (1.0 + lo).ln()).max(0.0),
                ((1.0 + hi).ln() - m).max(0.0),
            )
        }
        _ => (f64::INFINITY, f64::INFINITY),
    }
}

/// A level with its log-space half-widths, while the chain is built.
#[derive(Clone, Copy)]
struct Acc {
    log: f64,
    var_lo: f64,
    var_hi: f64,
}

impl Acc {
    fn level(self) -> Level {
        Level {
            level: self.log.exp(),
            lo: (self.log - self.var_lo.sqrt()).exp(),
            hi: (self.log + self.var_hi.sqrt()).exp(),
        }
    }
}

impl Chain {
    /// The chain of `entries` (oldest first) anchored at index `anchor`, with
    /// steps at `min_change`. An `anchor` past the end is taken as the last.
    pub fn new(entries: &[HistoryEntry], anchor: usize, min_change: f64) -> Chain {
        let anchor = anchor.min(entries.len().saturating_sub(1));
        let mut index: HashMap<&str, usize> = HashMap::new();
        let pairing: Vec<Pairing> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let p = match &e.paired {
                    None => Pairing::NotPaired,
                    Some(p) => match index.get(p.base.as_str()) {
                        Some(&j) => Pairing::Entry(j),
                        None => Pairing::Elsewhere,
                    },
                };
                if let Some(c) = &e.commit {
                    index.insert(c.as_str(), i);
                }
                p
            })
            .collect();
        let mut acc: Vec<Option<Acc>> = vec![None; entries.len()];
        if !entries.is_empty() {
            acc[anchor] = Some(Acc {
                log: 0.0,
                var_lo: 0.0,
                var_hi: 0.0,
            });
        }
        // Forwards: an entry after the anchor from the entry it was paired with.
        for i in anchor + 1..entries.len() {
            if let (Pairing::Entry(j), Some(p)) = (pairing[i], &entries[i].paired) {
                if let (Some(a), Some(c)) = (acc[j], p.change.change) {
                    let (lo, hi) = half_widths(p);
                    acc[i] = Some(Acc {
                        log: a.log + (1.0 + c).ln(),
                        var_lo: a.var_lo + lo * lo,
                        var_hi: a.var_hi + hi * hi,
                    });
                }
            }
        }
        // Backwards: the entry an entry at or before the anchor was paired with.
        for i in (1..=anchor).rev() {
            if let (Pairing::Entry(j), Some(p)) = (pairing[i], &entries[i].paired) {
                if let (Some(a), Some(c), None) = (acc[i], p.change.change, acc[j]) {
                    let (lo, hi) = half_widths(p);
                    // level(j) = level(i) / (1 + c): the bounds swap sides.
                    acc[j] = Some(Acc {
                        log: a.log - (1.0 + c).ln(),
                        var_lo: a.var_lo + hi * hi,
                        var_hi: a.var_hi + lo * lo,
                    });
                }
            }
        }
        Chain {
            anchor,
            steps: entries
                .iter()
                .map(|e| e.paired.as_ref().and_then(|p| step_of(p, min_change)))
                .collect(),
            levels: acc.into_iter().map(|a| a.map(Acc::level)).collect(),
            pairing,
        }
    }

    /// Indices of the entries whose paired change is a step, oldest first.
    pub fn step_indices(&self) -> Vec<usize> {
        (0..self.steps.len())
            .filter(|i| self.steps[*i].is_some())
            .collect()
    }

    /// The largest distance of a level from the anchor's, as a fraction
    /// (`max |level - 1|`); `None` when no other entry is chained.
    pub fn max_drift(&self) -> Option<f64> {
        self.levels
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.anchor)
            .filter_map(|(_, l)| l.map(|l| (l.level - 1.0).abs()))
            .reduce(f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{fake_commit, history_entry};
    use crate::record::paired::{PairedChange, PairedVerdict};

    /// A paired step of `change` against `base`, interval ±`half`, with the
    /// verdict a rule at 3% would give.
    fn step(base: usize, change: f64, half: f64) -> PairedStep {
        let verdict = if change - half > 0.0 && change >= 0.03 {
            PairedVerdict::Regressed
        } else if change + half < 0.0 && change <= -0.03 {
            PairedVerdict::Improved
        } else {
            PairedVerdict::Unchanged
        };
        PairedStep {
            base: fake_commit(base),
            change: PairedChange {
                change: Some(change),
                ci: Some([change - half, change + half]),
                verdict,
                rounds: 10,
                seconds_per_side: 6.0,
            },
        }
    }

    /// Entries whose absolute p10 swings by ±20%, each paired against the one
    /// before with `changes[i - 1]`.
    fn chained(changes: &[f64]) -> Vec<HistoryEntry> {
        (0..=changes.len())
            .map(|i| {
                let mut e = history_entry(i, if i % 2 == 0 { 9.0 } else { 11.0 }, None);
                if i > 0 {
                    e.paired = Some(step(i - 1, changes[i - 1], 0.01));
                }
                e
            })
            .collect()
    }

    #[test]
    fn the_chain_multiplies_paired_changes_and_ignores_absolute_swings() {
        let entries = chained(&[0.01, -0.005, 0.06, 0.0]);
        let c = Chain::new(&entries, 0, 0.03);
        let levels: Vec<f64> = c.levels.iter().map(|l| l.unwrap().level).collect();
        let want = [
            1.0,
            1.01,
            1.01 * 0.995,
            1.01 * 0.995 * 1.06,
            1.01 * 0.995 * 1.06,
        ];
        for (l, w) in levels.iter().zip(want) {
            assert!((l - w).abs() < 1e-12, "{levels:?}");
        }
        // Only the +6% is a step, though p10 jumps ±20% between every entry.
        assert_eq!(c.step_indices(), vec![3]);
        assert_eq!(c.steps[3], Some(Direction::Slower));
        assert_eq!(c.pairing[2], Pairing::Entry(1));
        // Two ±1% intervals in quadrature: ±1.41% in log space.
        let l2 = c.levels[2].unwrap();
        let half = ((1.01f64).ln() - (1.0f64).ln()).hypot((0.995f64).ln() - (0.985f64).ln());
        assert!(((l2.hi / l2.level).ln() - half).abs() < 1e-3, "{l2:?}");
        assert!(l2.lo < l2.level && l2.level < l2.hi);
        assert!((c.max_drift().unwrap() - (want[4] - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn a_step_needs_a_decided_change_past_the_threshold_now() {
        let mut s = step(0, 0.06, 0.01);
        assert_eq!(step_of(&s, 0.03), Some(Direction::Slower));
        // A larger threshold set later in the suite: no longer a step.
        assert_eq!(step_of(&s, 0.08), None);
        // Past the threshold but not decided by the rule (interval holds zero).
        s.change.verdict = PairedVerdict::Inconclusive;
        assert_eq!(step_of(&s, 0.03), None);
        assert_eq!(
            step_of(&step(0, -0.05, 0.01), 0.03),
            Some(Direction::Faster)
        );
        s.change.change = None;
        s.change.verdict = PairedVerdict::Regressed;
        assert_eq!(step_of(&s, 0.03), None);
    }

    #[test]
    fn an_unpaired_line_breaks_the_chain_and_the_anchor_can_be_anywhere() {
        let mut entries = chained(&[0.02, 0.01, 0.03, -0.01]);
        entries[2].paired = None;
        let c = Chain::new(&entries, 0, 0.03);
        assert_eq!(c.pairing[2], Pairing::NotPaired);
        assert!(c.levels[1].is_some());
        assert!(c.levels[2..].iter().all(Option::is_none), "{:?}", c.levels);
        // Anchored at entry 3: entry 4 forwards; entries before 3 are reached
        // backwards only through entry 3's own pairing (with entry 2).
        let c = Chain::new(&entries, 3, 0.03);
        assert_eq!(c.levels[3].unwrap().level, 1.0);
        assert!((c.levels[4].unwrap().level - 0.99).abs() < 1e-12);
        assert!((c.levels[2].unwrap().level - 1.0 / 1.03).abs() < 1e-12);
        assert!(c.levels[1].is_none() && c.levels[0].is_none());
        // A base commit the history lacks.
        entries[4].paired.as_mut().unwrap().base = "f".repeat(40);
        let c = Chain::new(&entries, 3, 0.03);
        assert_eq!(c.pairing[4], Pairing::Elsewhere);
        assert!(c.levels[4].is_none());
        // Out-of-range anchor, empty history.
        assert_eq!(Chain::new(&entries, 99, 0.03).anchor, 4);
        let empty = Chain::new(&[], 0, 0.03);
        assert!(empty.levels.is_empty() && empty.max_drift().is_none());
    }

    #[test]
    fn a_step_against_an_older_entry_chains_from_that_entry() {
        // Entry 2 was paired against entry 0 (entry 1's run landed late).
        let mut entries = chained(&[0.01, 0.02]);
        entries[2].paired = Some(step(0, 0.02, 0.01));
        let c = Chain::new(&entries, 0, 0.03);
        assert_eq!(c.pairing[2], Pairing::Entry(0));
        assert!((c.levels[2].unwrap().level - 1.02).abs() < 1e-12);
    }
}

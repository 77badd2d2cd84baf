//! Baseline history of a path: its accepted baselines over commits, the paired
//! chain that is its trend (`chain.rs`: each baseline re-measured interleaved
//! against the previous one, chained from an anchor; steps where a paired
//! change clears the threshold), top-1 levels (PELT change points), and the
//! search for the commit that changed a path (`bisect.rs`). Pure: the entries
//! come from `store::baselines`, the measurements from the caller.

pub mod bisect;
pub mod chain;

use serde::Serialize;

pub use chain::{step_of, Chain, Direction, Level, Pairing};

use crate::record::baseline::HistoryEntry;

/// The threshold steps are judged at without a suite (the `[compare]` default).
pub const DEFAULT_MIN_CHANGE: f64 = 0.03;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathHistory {
    pub device: String,
    pub model: String,
    pub entries: Vec<HistoryEntry>,
    /// The paired chain: each entry's paired change chained from the anchor.
    pub chain: Chain,
    /// Indices into `entries` whose paired change is a step (the chain's
    /// steps): where the latency changed. Never drawn from absolute levels.
    pub latency_change_points: Vec<usize>,
    /// Indices where a new top-1 level starts (PELT on top-1).
    pub accuracy_change_points: Vec<usize>,
}

impl PathHistory {
    /// A path's history, its chain anchored at the first entry, steps at the
    /// default minimum change.
    pub fn new(device: String, model: String, entries: Vec<HistoryEntry>) -> PathHistory {
        PathHistory::anchored(device, model, entries, 0, DEFAULT_MIN_CHANGE)
    }

    /// A path's history with its chain anchored at entry `anchor` and steps
    /// at `min_change` (the path's threshold, a fraction).
    pub fn anchored(
        device: String,
        model: String,
        entries: Vec<HistoryEntry>,
        anchor: usize,
        min_change: f64,
    ) -> PathHistory {
        let acc: Vec<f64> = entries.iter().filter_map(|e| e.top1).collect();
        let accuracy_change_points = if acc.len() == entries.len() {
            change_points(&acc)
        } else {
            Vec::new()
        };
        let chain = Chain::new(&entries, anchor, min_change);
        PathHistory {
            device,
            model,
            latency_change_points: chain.step_indices(),
            chain,
            accuracy_change_points,
            entries,
        }
    }

    /// The index of the entry of `commit` ([`find_commit`]).
    pub fn find_commit(&self, commit: &str) -> Option<usize> {
        find_commit(&self.entries, commit)
    }
}

/// The index of the entry of `commit` (a full id or a prefix of at least 7
/// hex digits); the newest when a commit was accepted more than once.
pub fn find_commit(entries: &[HistoryEntry], commit: &str) -> Option<usize> {
    if commit.len() < 7 {
        return None;
    }
    entries
        .iter()
        .rposition(|e| e.commit.as_deref().is_some_and(|c| c.starts_with(commit)))
}

/// Change points of a series (PELT, normal mean-change cost, penalty 3 ln(n) σ²);
/// none for fewer than 6 points.
pub fn change_points(series: &[f64]) -> Vec<usize> {
    if series.len() < 6 {
        return Vec::new();
    }
    crate::stats::pelt_default(series).unwrap_or_default()
}

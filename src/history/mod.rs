//! Baseline history of a path: its accepted baselines over commits and where a
//! new latency or accuracy level starts (PELT change points, not neighbour
//! comparisons). Pure: the entries come from `store::baselines`.

use serde::Serialize;

use crate::record::baseline::HistoryEntry;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathHistory {
    pub device: String,
    pub model: String,
    pub entries: Vec<HistoryEntry>,
    /// Indices into `entries` where a new latency level starts (PELT on each
    /// baseline's per-round p10).
    pub latency_change_points: Vec<usize>,
    /// Indices where a new top-1 level starts.
    pub accuracy_change_points: Vec<usize>,
}

impl PathHistory {
    /// A path's history with its change points.
    pub fn new(device: String, model: String, entries: Vec<HistoryEntry>) -> PathHistory {
        let lat: Vec<f64> = entries.iter().map(|e| e.p10_rounds).collect();
        let acc: Vec<f64> = entries.iter().filter_map(|e| e.top1).collect();
        let accuracy_change_points = if acc.len() == entries.len() {
            change_points(&acc)
        } else {
            Vec::new()
        };
        PathHistory {
            device,
            model,
            latency_change_points: change_points(&lat),
            accuracy_change_points,
            entries,
        }
    }
}

/// Change points of a series (PELT, normal mean-change cost, penalty 3 ln(n) σ²);
/// none for fewer than 6 points.
pub fn change_points(series: &[f64]) -> Vec<usize> {
    if series.len() < 6 {
        return Vec::new();
    }
    crate::stats::pelt_default(series).unwrap_or_default()
}

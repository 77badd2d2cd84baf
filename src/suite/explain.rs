//! `[compare.explain]`: how `compare` explains the paths it finds changed
//! (docs/EXPLAIN.md): the runtime's own per-operator profile of base and head,
//! a graph diff, the settings that differ.

use serde::{Deserialize, Serialize};

/// Explanations of changed paths. Every field has a documented default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExplainRule {
    /// Explain every regressed or improved path of a comparison (unchanged and
    /// inconclusive paths are never profiled). `compare --no-explain` turns it off.
    pub enabled: bool,
    /// Profiled seconds per side, after the warm-up (base and head alternate in
    /// blocks of `confirm.block_ms`, as in a confirmation round), over all rounds.
    pub seconds_per_side: f64,
    /// Worker processes the profile is split over, the side created first
    /// alternating (the first session of a process pays costs the second does
    /// not); each node's time is the mean of its per-round medians.
    pub rounds: u32,
    /// Most seconds all explanations of one comparison may take together; a
    /// changed path after it says "explanation not available: ... budget".
    pub budget_seconds: f64,
}

impl Default for ExplainRule {
    fn default() -> Self {
        ExplainRule {
            enabled: true,
            seconds_per_side: 3.0,
            rounds: 2,
            budget_seconds: 120.0,
        }
    }
}

impl ExplainRule {
    /// Checks ranges; the error is (dotted key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(1..=100).contains(&self.rounds) {
            return Err((
                "compare.explain.rounds".into(),
                format!("must be between 1 and 100, got {}", self.rounds),
            ));
        }
        for (k, v, hi) in [
            ("seconds_per_side", self.seconds_per_side, 600.0),
            ("budget_seconds", self.budget_seconds, 36000.0),
        ] {
            if !(v.is_finite() && v > 0.0 && v < hi) {
                return Err((
                    format!("compare.explain.{k}"),
                    format!("must be between 0 and {hi} (exclusive), got {v}"),
                ));
            }
        }
        Ok(())
    }
}

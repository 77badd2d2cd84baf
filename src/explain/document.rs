//! The explanation of one path as it is stored in a comparison (`--format
//! json`, docs/RECORD.md) and, in brief, with an accepted baseline's history
//! entry. A leaf: `why.rs` and the report use these types.

use serde::{Deserialize, Serialize};

use super::attribution::ProfileDiff;
use super::graph::GraphDiff;

/// A part of an explanation, or why it could not be made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part<T> {
    Available(T),
    NotAvailable(String),
}

impl<T> Part<T> {
    pub fn available(&self) -> Option<&T> {
        match self {
            Part::Available(t) => Some(t),
            Part::NotAvailable(_) => None,
        }
    }
}

/// Why a path's latency changed: per-operator profiles of base and head side by
/// side, what changed in the model graph and in the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// One line: where the change went (the PR comment's "why").
    pub why: String,
    /// Settings that differ between base and head (`intra_threads 2 → 1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<String>,
    pub profile: Part<ProfileDiff>,
    pub graph: Part<GraphDiff>,
    /// Seconds the explanation took (both profiles, both graphs).
    pub seconds: f64,
}

impl Explanation {
    /// An explanation that could not be made at all, and why.
    pub fn not_available(reason: &str, seconds: f64) -> Explanation {
        Explanation {
            why: format!("explanation not available: {reason}"),
            settings: vec![],
            profile: Part::NotAvailable(reason.to_string()),
            graph: Part::NotAvailable(reason.to_string()),
            seconds,
        }
    }

    /// The few lines kept with an accepted baseline's history entry.
    pub fn brief(&self) -> Brief {
        let mut details: Vec<String> = self.settings.clone();
        if let Some(g) = self.graph.available() {
            details.extend(g.changes.iter().skip(1).cloned());
        }
        if let Some(p) = self.profile.available() {
            details.extend(p.nodes.iter().take(3).map(|n| {
                let pct = n
                    .share
                    .map(|s| format!(", {:.0}% of the change", s * 100.0))
                    .unwrap_or_default();
                format!("{} ({}): {:+.2} ms{pct}", n.name, n.op_type, n.change_ms)
            }));
        }
        details.truncate(BRIEF_LINES);
        Brief {
            why: self.why.clone(),
            details,
        }
    }
}

/// Most detail lines of a [`Brief`].
pub const BRIEF_LINES: usize = 8;

/// An explanation in a few lines: the history entry of an accepted baseline
/// keeps this, not the whole tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brief {
    pub why: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// Version of the `edgeperf explain --format json` document.
pub const EXPLAIN_SCHEMA_VERSION: u32 = 1;

/// What `edgeperf explain --format json` writes: one path's explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainDocument {
    pub schema_version: u32,
    pub device: String,
    pub model: String,
    pub explanation: Explanation,
}

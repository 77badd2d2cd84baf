//! The measured data as saved under docs/data: every round of every kind, with
//! each side's timed inferences grouped by block (block `j` of the base was
//! timed next to block `j` of the head, in the order A B B A ...), the round's
//! wall time and what the machine was doing. Anyone can recompute any per-block
//! or per-round statistic from it.

use std::path::Path;

use edgeperf::record::machine::MachineState;
use serde::{Deserialize, Serialize};

/// Format of the data files this bench writes.
pub const FORMAT: &str = "edgeperf-verdicts-2";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub format: String,
    /// `grid` (block lengths, one model) or `kinds` (every kind of change).
    pub mode: String,
    /// The load condition: quiet, one (a competing inference process pinned to
    /// the other core), both (one pinned to each core).
    pub load: String,
    /// `/proc/loadavg` before and after the measurement.
    pub loadavg_before: String,
    pub loadavg_after: String,
    pub started_at: String,
    pub host: String,
    /// The confirmation settings the rounds were measured with.
    pub round_seconds: f64,
    pub warmup: u32,
    pub kinds: Vec<KindData>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KindData {
    pub name: String,
    /// The right verdict: "regressed", "improved", "none" (no change),
    /// "small" (a real change under the 3% minimum), "boundary" (+3%: must
    /// not be called unchanged).
    pub expect: String,
    /// Two worker processes in lockstep (the libraries differ).
    pub lockstep: bool,
    pub rounds: Vec<RoundData>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundData {
    /// Target block duration, ms.
    pub block_ms: f64,
    /// The base session was created first (and timed first in block pair 0).
    pub base_first: bool,
    /// Timed inferences (ms, 4 decimals) per block, in order.
    pub base: Vec<Vec<f64>>,
    pub head: Vec<Vec<f64>>,
    /// Wall seconds of the whole round (process, sessions, warm-up included).
    pub wall: f64,
    /// The machine during the timed blocks.
    #[serde(default)]
    pub machine: Option<MachineState>,
}

impl RoundData {
    /// Samples (ms) of a side in blocks of `block` inferences.
    pub fn new(
        block_ms: f64,
        base_first: bool,
        base: &[f64],
        head: &[f64],
        block: usize,
        wall: f64,
        machine: Option<MachineState>,
    ) -> RoundData {
        let blocks = |s: &[f64]| -> Vec<Vec<f64>> {
            s.chunks(block.max(1))
                .map(|c| c.iter().map(|x| (x * 1e4).round() / 1e4).collect())
                .collect()
        };
        RoundData {
            block_ms,
            base_first,
            base: blocks(base),
            head: blocks(head),
            wall,
            machine,
        }
    }

    /// Whole block pairs.
    pub fn pairs(&self) -> usize {
        self.base.len().min(self.head.len())
    }

    /// Seconds of timed inference of a side over its first `pairs` blocks.
    pub fn seconds(side: &[Vec<f64>], pairs: usize) -> f64 {
        side.iter().take(pairs).flatten().sum::<f64>() / 1e3
    }
}

pub fn save(path: &Path, d: &Data) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec(d).unwrap()).unwrap();
}

pub fn load(path: &Path) -> Data {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let d: Data =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(d.format, FORMAT, "{}: another format", path.display());
    d
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|e| format!("unreadable: {e}"))
}

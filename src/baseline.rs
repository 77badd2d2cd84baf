//! Baselines stored in the repository: `baselines/<device>/<model>.json` holds the
//! accepted measurement of one path (all its rounds, so its run-to-run spread is
//! known, and its per-image accuracy outcomes); `<model>.history.jsonl` beside it
//! holds one line per accepted baseline, so history works in a shallow CI checkout.
//!
//! Every write is atomic (temp file + rename): a crash or `kill -9` mid-write
//! leaves the previous files intact.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::accuracy::Accuracy;
use crate::config::Provider;
use crate::env::{GitInfo, Host};
use crate::error::{Error, Result};
use crate::record::{LatencySummary, PathRecord, Round, RunRecord, Threads};
use crate::runtime::RuntimeInfo;

pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// The accepted measurement of one path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    pub device: String,
    pub model: String,
    /// When `baseline accept` wrote it.
    pub accepted_at: chrono::DateTime<chrono::Utc>,
    /// When the run was measured.
    pub measured_at: chrono::DateTime<chrono::Utc>,
    /// The commit the run measured (`None` outside git).
    pub git: Option<GitInfo>,
    pub host: Host,
    pub edgeperf_version: String,
    pub runtime: RuntimeInfo,
    pub provider_requested: Provider,
    pub provider_ran: Provider,
    pub threads: Threads,
    pub model_file: String,
    pub model_sha256: String,
    pub suite_sha256: String,
    pub dataset_fingerprint: Option<String>,
    pub latency_ms: LatencySummary,
    pub rounds: Vec<Round>,
    pub accuracy: Option<Accuracy>,
}

/// One line of `<model>.history.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    pub accepted_at: chrono::DateTime<chrono::Utc>,
    pub measured_at: chrono::DateTime<chrono::Utc>,
    pub commit: Option<String>,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    /// Median over rounds of each round's p10 (the detection statistic).
    pub p10_rounds: f64,
    pub top1: Option<f64>,
    pub top5: Option<f64>,
    pub runtime_version: String,
    pub provider_ran: Provider,
    pub model_sha256: String,
}

impl Baseline {
    pub fn from_path(run: &RunRecord, p: &PathRecord) -> Baseline {
        Baseline {
            schema_version: BASELINE_SCHEMA_VERSION,
            device: p.device.clone(),
            model: p.model.clone(),
            accepted_at: chrono::Utc::now(),
            measured_at: run.environment.timestamp,
            git: run.environment.git.clone(),
            host: run.environment.host.clone(),
            edgeperf_version: run.environment.edgeperf_version.clone(),
            runtime: p.runtime.clone(),
            provider_requested: p.provider_requested,
            provider_ran: p.provider_ran,
            threads: p.threads,
            model_file: p.model_file.clone(),
            model_sha256: p.model_sha256.clone(),
            suite_sha256: run.suite.sha256.clone(),
            dataset_fingerprint: run.dataset.as_ref().map(|d| d.fingerprint.clone()),
            latency_ms: p.latency_ms.clone(),
            rounds: p.rounds.clone(),
            accuracy: p.accuracy.clone(),
        }
    }

    pub fn history_entry(&self) -> HistoryEntry {
        let p10s: Vec<f64> = self.rounds.iter().map(|r| r.latency_ms.p10).collect();
        HistoryEntry {
            accepted_at: self.accepted_at,
            measured_at: self.measured_at,
            commit: self.git.as_ref().map(|g| g.commit.clone()),
            p50: self.latency_ms.p50,
            p90: self.latency_ms.p90,
            p99: self.latency_ms.p99,
            p10_rounds: crate::stats::median(&p10s).unwrap_or(self.latency_ms.p10),
            top1: self.accuracy.as_ref().map(|a| a.top1),
            top5: self.accuracy.as_ref().map(|a| a.top5),
            runtime_version: self.runtime.version.clone(),
            provider_ran: self.provider_ran,
            model_sha256: self.model_sha256.clone(),
        }
    }

    /// Parses a baseline document that came from `path` (a file or a git blob).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Baseline> {
        let v: serde_json::Value = crate::fs::parse_json(path, bytes)?;
        crate::record::check_schema(path, &v, BASELINE_SCHEMA_VERSION, "baseline")?;
        serde_json::from_value(v)
            .map_err(|e| Error::json(path, format!("not an edgeperf baseline: {e}")))
    }
}

/// Where a path's files live under a baselines directory.
pub fn baseline_file(dir: &Path, device: &str, model: &str) -> PathBuf {
    dir.join(device).join(format!("{model}.json"))
}

pub fn history_file(dir: &Path, device: &str, model: &str) -> PathBuf {
    dir.join(device).join(format!("{model}.history.jsonl"))
}

/// Loads a path's baseline; `Ok(None)` when the path has none yet.
pub fn load(dir: &Path, device: &str, model: &str) -> Result<Option<Baseline>> {
    let f = baseline_file(dir, device, model);
    match std::fs::read(&f) {
        Ok(bytes) => Baseline::parse(&f, &bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&f, e)),
    }
}

/// Parses history lines. A malformed line is an error naming file and line,
/// except a malformed *last* line (an interrupted append by an older writer),
/// which is skipped and reported in the returned warnings.
pub fn parse_history(path: &Path, text: &str) -> Result<(Vec<HistoryEntry>, Vec<String>)> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<HistoryEntry>(line) {
            Ok(e) => out.push(e),
            Err(e) if i + 1 == lines.len() => warnings.push(format!(
                "{}: line {}: skipped an incomplete last entry ({e})",
                path.display(),
                i + 1
            )),
            Err(e) => {
                return Err(Error::json(
                    path,
                    format!("line {}: not a history entry: {e}", i + 1),
                ))
            }
        }
    }
    Ok((out, warnings))
}

pub fn load_history(
    dir: &Path,
    device: &str,
    model: &str,
) -> Result<(Vec<HistoryEntry>, Vec<String>)> {
    let f = history_file(dir, device, model);
    match std::fs::read_to_string(&f) {
        Ok(text) => parse_history(&f, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Vec::new(), Vec::new())),
        Err(e) => Err(Error::io(&f, e)),
    }
}

/// Accepts every path of a run as the new baseline: writes `<model>.json`
/// atomically and appends to the history (rewritten atomically as a whole).
/// Returns the files written.
pub fn accept(dir: &Path, run: &RunRecord) -> Result<Vec<PathBuf>> {
    if !run.complete {
        return Err(Error::Other(
            "the run record is incomplete (its run was interrupted); run again before accepting it"
                .into(),
        ));
    }
    // Validate everything first so a bad history file stops the accept before any write.
    let mut plans = Vec::new();
    for p in &run.paths {
        let b = Baseline::from_path(run, p);
        let hf = history_file(dir, &p.device, &p.model);
        let existing = match std::fs::read_to_string(&hf) {
            Ok(t) => {
                parse_history(&hf, &t)?;
                t
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(&hf, e)),
        };
        plans.push((b, hf, existing));
    }
    let mut written = Vec::new();
    for (b, hf, mut text) in plans {
        let bf = baseline_file(dir, &b.device, &b.model);
        crate::fs::write_json_atomic(&bf, &b)?;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let line =
            serde_json::to_string(&b.history_entry()).map_err(|e| Error::Other(e.to_string()))?;
        text.push_str(&line);
        text.push('\n');
        crate::fs::write_atomic(&hf, text.as_bytes())?;
        written.push(bf);
        written.push(hf);
    }
    Ok(written)
}

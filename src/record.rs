//! The run record (`edgeperf run --out FILE`), JSON, `schema_version: 1`.
//! Documented field by field in docs/RECORD.md; other tools rely on
//! `paths[].device`, `paths[].model`, `paths[].latency_ms.{p50,p90,p99}`,
//! `paths[].accuracy.{top1,top5,per_image[].image,per_image[].top5}`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::accuracy::Accuracy;
use crate::config::Provider;
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::runtime::RuntimeInfo;

/// Newest record schema this build writes and reads.
pub const RECORD_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema_version: u32,
    /// False while `edgeperf run` is still going (the file is rewritten after every path).
    pub complete: bool,
    pub environment: Environment,
    pub suite: SuiteInfo,
    pub sampling: crate::config::Sampling,
    pub dataset: Option<DatasetInfo>,
    pub paths: Vec<PathRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteInfo {
    pub file: String,
    /// SHA-256 of the suite file ("config hash").
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub root: String,
    pub images: usize,
    /// SHA-256 over every image's relative path and content hash.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PathRecord {
    pub device: String,
    pub model: String,
    pub model_file: String,
    pub model_sha256: String,
    pub provider_requested: Provider,
    /// The provider that really ran (differs only when the device allows fallback).
    pub provider_ran: Provider,
    pub fallback_reason: Option<String>,
    pub threads: Threads,
    pub runtime: RuntimeInfo,
    /// Summary over all timed samples of all rounds (milliseconds).
    pub latency_ms: LatencySummary,
    /// Frames per second implied by the mean latency (one image at a time).
    pub fps: f64,
    /// Cold start, median over rounds (each round is a fresh process).
    pub cold_start_ms: ColdStart,
    /// Every round with every timed sample.
    pub rounds: Vec<Round>,
    /// `null` for latency-only models (`accuracy = false`).
    pub accuracy: Option<Accuracy>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Threads {
    pub intra: usize,
    pub inter: usize,
}

/// Distribution summary of per-inference latencies, milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatencySummary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub p5: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl LatencySummary {
    pub fn from_samples(samples: &[f64]) -> Option<LatencySummary> {
        let s = crate::stats::summary(samples)?;
        Some(LatencySummary {
            n: s.n,
            mean: s.mean,
            sd: s.sd,
            min: s.min,
            p5: s.p5,
            p10: s.p10,
            p50: s.p50,
            p90: s.p90,
            p99: s.p99,
            max: s.max,
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct ColdStart {
    /// dlopen of ONNX Runtime and environment creation.
    pub library_load: f64,
    /// Session creation: model load, graph optimisation, provider set-up.
    pub session_create: f64,
    /// The first inference after session creation.
    pub first_inference: f64,
}

/// One round: a fresh process and session, warm-up, then timed inferences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Round {
    pub index: u32,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub warmup: u32,
    pub cold_start_ms: ColdStart,
    /// Every timed inference, in order, milliseconds.
    pub samples_ms: Vec<f64>,
    pub latency_ms: LatencySummary,
}

impl RunRecord {
    /// Reads a run record, refusing other documents and newer schemas by name.
    pub fn load(path: &Path) -> Result<RunRecord> {
        let v: serde_json::Value = crate::fs::read_json(path)?;
        check_schema(path, &v, RECORD_SCHEMA_VERSION, "run record")?;
        serde_json::from_value(v)
            .map_err(|e| Error::json(path, format!("not an edgeperf run record: {e}")))
    }

    pub fn path(&self, device: &str, model: &str) -> Option<&PathRecord> {
        self.paths
            .iter()
            .find(|p| p.device == device && p.model == model)
    }
}

/// Checks `schema_version` of a JSON document: missing -> error, newer -> error
/// that says to upgrade.
pub fn check_schema(path: &Path, v: &serde_json::Value, newest: u32, what: &str) -> Result<()> {
    match v.get("schema_version").and_then(|s| s.as_u64()) {
        None => Err(Error::json(path, format!("not an edgeperf {what}: no schema_version"))),
        Some(n) if n > newest as u64 => Err(Error::json(
            path,
            format!("{what} schema_version {n} is newer than this edgeperf understands ({newest}); upgrade edgeperf"),
        )),
        Some(_) => Ok(()),
    }
}

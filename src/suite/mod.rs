//! The suite (`edgeperf.toml`): devices, models, dataset, sampling and the
//! `[compare]` thresholds, validated.
//!
//! A *path* is one device x one model. Every relative path in the suite is
//! resolved against the directory of the suite file. Validation errors name the
//! file and the dotted key (`model[2].preprocess.crop`). Parsing is pure: the
//! caller reads the text (from disk, or from a git blob for a base commit).

pub mod compare;
mod parse;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::preprocess::Preprocess;

pub use compare::{
    AccuracyRule, CompareConfig, ConfirmRule, LatencyRule, PathOverride, ResourceRule,
};
pub use parse::PreprocessSpec;

/// Newest suite schema this build understands.
pub const SUITE_SCHEMA_VERSION: u32 = 1;

/// How latency is sampled for every path.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    /// Untimed inferences after session creation and the first (cold) inference.
    pub warmup: u32,
    /// Timed single-image inferences per round (upper bound).
    pub samples: u32,
    /// Rounds per path; each round is a fresh process and session, so the
    /// record carries the run-to-run spread, not only the within-run one.
    pub rounds: u32,
    /// Time budget per path for all its timed rounds, in seconds; a slow model
    /// gets fewer samples per round (never fewer than `min_samples`).
    pub max_seconds: f64,
    /// Floor on samples per round whatever the budget.
    pub min_samples: u32,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            warmup: 10,
            samples: 200,
            rounds: 3,
            max_seconds: 12.0,
            min_samples: 20,
        }
    }
}

impl Sampling {
    /// The `--quick` variant: one short round, for smoke tests.
    pub fn quick(&self) -> Sampling {
        Sampling {
            warmup: 2,
            samples: self.samples.min(30),
            rounds: 1,
            max_seconds: self.max_seconds.min(3.0),
            min_samples: self.min_samples.min(10),
        }
    }

    /// Samples for one round given an estimate of the per-inference latency.
    pub fn samples_per_round(&self, est_ms: f64) -> u32 {
        let rounds = self.rounds.max(1) as f64;
        let budget_ms = self.max_seconds * 1000.0 / rounds;
        let by_budget = if est_ms > 0.0 {
            (budget_ms / est_ms).floor() as u64
        } else {
            u64::MAX
        };
        (by_budget.min(self.samples as u64) as u32).max(self.min_samples.min(self.samples))
    }
}

/// Execution providers edgeperf knows how to register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Cpu,
    Openvino,
    Cuda,
    Tensorrt,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Cpu => "cpu",
            Provider::Openvino => "openvino",
            Provider::Cuda => "cuda",
            Provider::Tensorrt => "tensorrt",
        }
    }
    pub fn parse(s: &str) -> Option<Provider> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Some(Provider::Cpu),
            "openvino" => Some(Provider::Openvino),
            "cuda" => Some(Provider::Cuda),
            "tensorrt" | "trt" => Some(Provider::Tensorrt),
            _ => None,
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device: an execution provider with its options, threads and runtime library.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Device {
    pub name: String,
    pub provider: Provider,
    pub intra_threads: usize,
    pub inter_threads: usize,
    /// The ONNX Runtime shared library for this device, if the suite names one.
    pub runtime: Option<PathBuf>,
    /// Whether a provider that cannot load may fall back to CPU (recorded).
    pub allow_fallback: bool,
    /// Whether `edgeperf run` without `--device` includes this device.
    pub default: bool,
    /// Provider options passed to ONNX Runtime as strings.
    pub options: BTreeMap<String, String>,
    /// Seconds a worker of this device may take for one round before it is
    /// killed; `None` = derived from the sampling budget (`engine::spawn::time_limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_timeout_seconds: Option<f64>,
}

/// A model and how its inputs are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "parse::ModelSpec", try_from = "parse::ModelSpec")]
pub struct Model {
    pub name: String,
    pub file: PathBuf,
    /// Input name; `None` = the model's first input.
    pub input: Option<String>,
    /// Whether the model carries an accuracy figure (false for random-weight, latency-only models).
    pub accuracy: bool,
    pub preprocess: Preprocess,
}

/// The labelled photos of the suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub root: PathBuf,
    pub classes: Option<PathBuf>,
    pub num_classes: u32,
    pub limit: Option<usize>,
}

/// A validated suite.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The suite file as given (or `<commit>:<path>` for a suite read from git).
    pub path: PathBuf,
    /// The directory relative paths in the suite resolve against.
    pub dir: PathBuf,
    /// SHA-256 of the suite file's bytes.
    pub sha256: String,
    pub sampling: Sampling,
    pub dataset: Option<Dataset>,
    pub devices: Vec<Device>,
    pub models: Vec<Model>,
    pub compare: CompareConfig,
}

impl Suite {
    /// Reads and validates a suite file.
    pub fn load(path: &Path) -> Result<Suite> {
        let text = crate::fs::read_to_string(path)?;
        Suite::parse(path, &text, crate::fs::parent_dir(path))
    }

    /// Parses suite text that came from `path`, resolving relative paths against `dir`.
    pub fn parse(path: &Path, text: &str, dir: &Path) -> Result<Suite> {
        parse::parse(path, text, dir)
    }

    /// The directory of the suite file (relative paths in it resolve against it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.name == name)
    }
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The (device, model) paths selected by optional name filters. Without a
    /// device filter only devices with `default = true` are taken.
    pub fn select(&self, devices: &[String], models: &[String]) -> Result<Vec<(&Device, &Model)>> {
        for d in devices {
            if self.device(d).is_none() {
                let known: Vec<_> = self.devices.iter().map(|d| d.name.as_str()).collect();
                return Err(Error::config(
                    &self.path,
                    "--device",
                    format!(
                        "no device named {d:?} (the suite has: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        for m in models {
            if self.model(m).is_none() {
                let known: Vec<_> = self.models.iter().map(|m| m.name.as_str()).collect();
                return Err(Error::config(
                    &self.path,
                    "--model",
                    format!("no model named {m:?} (the suite has: {})", known.join(", ")),
                ));
            }
        }
        let mut out = Vec::new();
        for d in &self.devices {
            let wanted = if devices.is_empty() {
                d.default
            } else {
                devices.contains(&d.name)
            };
            if !wanted {
                continue;
            }
            for m in &self.models {
                if models.is_empty() || models.contains(&m.name) {
                    out.push((d, m));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;

//! The suite (`edgeperf.toml`): devices, models, dataset, sampling and the
//! `[compare]` thresholds, validated.
//!
//! A *path* is one device x one model. Every relative path in the suite is
//! resolved against the directory of the suite file. Validation errors name the
//! file and the dotted key (`model[2].preprocess.crop`). Pure: the caller reads
//! the text (`store::load_suite` from disk, or a git blob for a base commit) and
//! [`Suite::parse`] validates it.
//!
//! Files: `device` (runtimes, providers, external runners), `devstate` (a
//! device's `[device.state]`: governor, temperature, power mode, cooldown), `model` (a model
//! entry as written and validated), `preprocess` (the input recipe as data),
//! `compare` (the `[compare]` thresholds), `explain` (`[compare.explain]`), `key` (errors naming their key),
//! `parse` (the TOML document to a [`Suite`]); this file holds the suite, its
//! sampling and dataset, and path selection.

pub mod compare;
mod device;
mod devstate;
mod explain;
mod key;
mod model;
mod parse;
mod preprocess;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use compare::{
    AccuracyRule, CompareConfig, ConfirmRule, LatencyRule, PathOverride, ResourceRule,
};
pub use device::{Device, ExternalRunner, ModelFormat, Provider, RuntimeKind};
pub use devstate::{CooldownRule, DeviceStateRule, OnThrottle, PLACEHOLDER_ZONES};
pub use explain::ExplainRule;
pub use key::check_name;
pub use model::{Model, PreprocessSpec};
pub use preprocess::{ChannelOrder, ConfigError, Interpolation, Layout, Normalize, Preprocess};

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

/// Seed of the class-stratified subset `limit` takes when the suite gives none.
pub const DEFAULT_SUBSET_SEED: u64 = 0;

/// The labelled photos of the suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub root: PathBuf,
    pub classes: Option<PathBuf>,
    pub num_classes: u32,
    /// At most this many images: a class-stratified sample (`dataset::scan`).
    pub limit: Option<usize>,
    /// Seed of that sample ([`DEFAULT_SUBSET_SEED`] unless the suite sets `seed`).
    #[serde(default)]
    pub seed: u64,
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
    /// device filter only devices with `default = true` are taken. A device runs
    /// the models that have a file in its format (LiteRT: `tflite`); naming a
    /// model that none of the named devices can run is an error.
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
                if !(models.is_empty() || models.contains(&m.name)) {
                    continue;
                }
                if m.runs_on(d) {
                    out.push((d, m));
                }
            }
        }
        // A model named on the command line must run on at least one named device.
        if !devices.is_empty() {
            for name in models {
                if out.iter().any(|(_, m)| &m.name == name) {
                    continue;
                }
                let (m, d) = (
                    self.model(name).expect("checked above"),
                    self.device(&devices[0]).expect("checked above"),
                );
                return Err(Error::config(
                    &self.path,
                    "--model",
                    m.for_device(d)
                        .err()
                        .map(|e| e.one_line())
                        .unwrap_or_default(),
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;

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
pub use parse::{check_name, PreprocessSpec};

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

/// What runs a path's inferences: an ONNX Runtime execution provider, a LiteRT
/// accelerator, or what an external runner reports. The first four are ONNX
/// Runtime's; `gpu` and `npu` are LiteRT's accelerators; an external runner may
/// report any of them, and `edgetpu` (Coral).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Cpu,
    Openvino,
    Cuda,
    Tensorrt,
    Gpu,
    Npu,
    Edgetpu,
}

impl Provider {
    /// Every provider, in the order error messages list them.
    pub const ALL: [Provider; 7] = [
        Provider::Cpu,
        Provider::Openvino,
        Provider::Cuda,
        Provider::Tensorrt,
        Provider::Gpu,
        Provider::Npu,
        Provider::Edgetpu,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Cpu => "cpu",
            Provider::Openvino => "openvino",
            Provider::Cuda => "cuda",
            Provider::Tensorrt => "tensorrt",
            Provider::Gpu => "gpu",
            Provider::Npu => "npu",
            Provider::Edgetpu => "edgetpu",
        }
    }
    pub fn parse(s: &str) -> Option<Provider> {
        match s.to_ascii_lowercase().as_str() {
            "trt" => Some(Provider::Tensorrt),
            s => Provider::ALL.into_iter().find(|p| p.as_str() == s),
        }
    }
}

/// Which runtime a device runs its paths on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeKind {
    /// ONNX Runtime, loaded in the worker (`runtime` or `ORT_DYLIB_PATH`).
    #[default]
    Onnxruntime,
    /// LiteRT (TensorFlow Lite) through its C API, loaded in the worker
    /// (`runtime` or `LITERT_LIB_PATH`).
    Litert,
    /// A runner program speaking docs/EXTERNAL_RUNNERS.md on stdio.
    External,
}

impl RuntimeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeKind::Onnxruntime => "onnxruntime",
            RuntimeKind::Litert => "litert",
            RuntimeKind::External => "external",
        }
    }
    pub fn is_onnxruntime(&self) -> bool {
        *self == RuntimeKind::Onnxruntime
    }
    /// The accelerators a device of this kind may ask for.
    pub fn providers(self) -> &'static [Provider] {
        match self {
            RuntimeKind::Onnxruntime => &Provider::ALL[..4],
            RuntimeKind::Litert => &[Provider::Cpu, Provider::Gpu, Provider::Npu],
            RuntimeKind::External => &Provider::ALL,
        }
    }
}

impl std::fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The file format of a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelFormat {
    #[default]
    Onnx,
    Tflite,
}

impl ModelFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelFormat::Onnx => "onnx",
            ModelFormat::Tflite => "tflite",
        }
    }
    /// The format a file name implies: `.tflite` is TFLite, anything else ONNX.
    pub fn of_path(path: &Path) -> ModelFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("tflite") => ModelFormat::Tflite,
            _ => ModelFormat::Onnx,
        }
    }
}

impl std::fmt::Display for ModelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an external runner is started (`runtime_kind = "external"`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExternalRunner {
    /// argv; the program is resolved against the suite's directory when it is a
    /// relative path with a `/`.
    pub command: Vec<String>,
    /// The directory the runner starts in (the suite's).
    pub workdir: PathBuf,
    /// Which of a model's files the runner is handed.
    pub model_format: ModelFormat,
    /// Seconds edgeperf waits for any one line from the runner.
    pub timeout_s: f64,
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device: a runtime (ONNX Runtime, LiteRT or an external runner), what it
/// should run on (execution provider / accelerator) with its options, threads and
/// runtime library.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Device {
    pub name: String,
    #[serde(default)]
    pub runtime_kind: RuntimeKind,
    pub provider: Provider,
    pub intra_threads: usize,
    pub inter_threads: usize,
    /// The ONNX Runtime shared library for this device, if the suite names one.
    pub runtime: Option<PathBuf>,
    /// Whether a provider that cannot load may fall back to CPU (recorded).
    pub allow_fallback: bool,
    /// Whether `edgeperf run` without `--device` includes this device.
    pub default: bool,
    /// Provider options passed to ONNX Runtime (or the external runner) as strings.
    pub options: BTreeMap<String, String>,
    /// Seconds a worker of this device may take for one round before it is
    /// killed; `None` = derived from the sampling budget (`engine::spawn::time_limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_timeout_seconds: Option<f64>,
    /// The runner of an external device.
    #[serde(default)]
    pub external: Option<ExternalRunner>,
}

impl Device {
    /// The model format this device runs.
    pub fn model_format(&self) -> ModelFormat {
        match (&self.runtime_kind, &self.external) {
            (RuntimeKind::Litert, _) => ModelFormat::Tflite,
            (RuntimeKind::External, Some(x)) => x.model_format,
            _ => ModelFormat::Onnx,
        }
    }
}

/// A model and how its inputs are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "parse::ModelSpec", try_from = "parse::ModelSpec")]
pub struct Model {
    pub name: String,
    /// The model file; `.tflite` is a TFLite model, anything else ONNX.
    pub file: PathBuf,
    /// The same network as a TFLite model, for LiteRT devices (`tflite = ...`).
    pub tflite: Option<PathBuf>,
    /// Input name; `None` = the model's first input.
    pub input: Option<String>,
    /// Whether the model carries an accuracy figure (false for random-weight, latency-only models).
    pub accuracy: bool,
    pub preprocess: Preprocess,
}

impl Model {
    /// This model's file in `format`, if it has one.
    pub fn file_for(&self, format: ModelFormat) -> Option<&Path> {
        match format {
            ModelFormat::Tflite => self.tflite.as_deref().or_else(|| {
                (ModelFormat::of_path(&self.file) == ModelFormat::Tflite)
                    .then_some(self.file.as_path())
            }),
            ModelFormat::Onnx => (ModelFormat::of_path(&self.file) == ModelFormat::Onnx)
                .then_some(self.file.as_path()),
        }
    }

    /// Whether `device` can run this model (it has a file in the device's format).
    pub fn runs_on(&self, device: &Device) -> bool {
        self.file_for(device.model_format()).is_some()
    }

    /// The model as `device` runs it: `file` is the file in the device's format;
    /// a `tflite` alternative file takes the preprocessing in NHWC layout.
    pub fn for_device(&self, device: &Device) -> Result<Model> {
        let format = device.model_format();
        let file = self.file_for(format).ok_or_else(|| {
            Error::device(
                &device.name,
                format!(
                    "model {:?} has no {format} file for this {} device (add `{}` to the model)",
                    self.name,
                    device.runtime_kind,
                    match format {
                        ModelFormat::Tflite => "tflite = \"....tflite\"",
                        ModelFormat::Onnx => "file = \"....onnx\"",
                    }
                ),
            )
        })?;
        let preprocess = if file == self.file {
            self.preprocess.clone()
        } else {
            self.preprocess.with_layout(crate::preprocess::Layout::Nhwc)
        };
        Ok(Model {
            file: file.to_path_buf(),
            tflite: None,
            preprocess,
            ..self.clone()
        })
    }
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

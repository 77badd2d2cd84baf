//! Devices: which runtime runs a path (ONNX Runtime, LiteRT, an external
//! runner), on what (execution provider / accelerator), with which options,
//! threads and library, and the model file format each runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
    /// `[device.state]`: the clocks, temperature and power its measurements
    /// need, and a cooldown before each round.
    #[serde(default)]
    pub state: super::DeviceStateRule,
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

//! The suite file (`edgeperf.toml`): devices, models, dataset and sampling.
//!
//! A *path* is one device x one model. Every relative path in the suite is
//! resolved against the directory of the suite file. Validation errors name the
//! file and the dotted key (`model[2].preprocess.crop`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::preprocess::{ChannelOrder, Interpolation, Layout, Normalize, Preprocess};

/// Newest suite schema this build understands.
pub const SUITE_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    schema_version: Option<u32>,
    #[serde(default)]
    sampling: Sampling,
    dataset: Option<RawDataset>,
    #[serde(default, rename = "device")]
    devices: Vec<RawDevice>,
    #[serde(default, rename = "model")]
    models: Vec<RawModel>,
    #[serde(default)]
    compare: crate::compare::CompareConfig,
}

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    root: PathBuf,
    #[serde(default = "default_layout")]
    layout: String,
    classes: Option<PathBuf>,
    #[serde(default = "default_num_classes")]
    num_classes: u32,
    #[serde(default)]
    limit: Option<usize>,
}

fn default_layout() -> String {
    "class-folders".into()
}
fn default_num_classes() -> u32 {
    1000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: String,
    #[serde(default = "default_provider")]
    provider: String,
    #[serde(default = "one")]
    intra_threads: usize,
    #[serde(default = "one")]
    inter_threads: usize,
    runtime: Option<PathBuf>,
    #[serde(default)]
    allow_fallback: bool,
    #[serde(default = "yes")]
    default: bool,
    #[serde(default)]
    options: BTreeMap<String, toml::Value>,
}

fn default_provider() -> String {
    "cpu".into()
}
fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    file: PathBuf,
    #[serde(default)]
    input: Option<String>,
    #[serde(default = "yes")]
    accuracy: bool,
    preprocess: RawPreprocess,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreprocess {
    resize: u32,
    crop: u32,
    #[serde(default = "default_interp")]
    interpolation: String,
    /// Pixels (0..255) are divided by this first: 255 for torchvision's ToTensor.
    #[serde(default = "default_divisor")]
    divisor: f64,
    #[serde(default = "zero3")]
    mean: Vec<f32>,
    #[serde(default = "one3")]
    std: Vec<f32>,
    #[serde(default = "default_layout_nchw")]
    layout: String,
    #[serde(default = "default_rgb")]
    channels: String,
}

fn default_interp() -> String {
    "bilinear".into()
}
fn default_divisor() -> f64 {
    1.0
}
fn zero3() -> Vec<f32> {
    vec![0.0; 3]
}
fn one3() -> Vec<f32> {
    vec![1.0; 3]
}
fn default_layout_nchw() -> String {
    "nchw".into()
}
fn default_rgb() -> String {
    "rgb".into()
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
    fn parse(s: &str) -> Option<Provider> {
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
#[derive(Debug, Clone, Serialize)]
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
}

/// A model and how its inputs are made.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub file: PathBuf,
    /// Input name; `None` = the model's first input.
    pub input: Option<String>,
    /// Whether the model carries an accuracy figure (false for random-weight, latency-only models).
    pub accuracy: bool,
    pub preprocess: Preprocess,
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub root: PathBuf,
    pub classes: Option<PathBuf>,
    pub num_classes: u32,
    pub limit: Option<usize>,
}

/// A validated suite.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The suite file as given.
    pub path: PathBuf,
    /// SHA-256 of the suite file's bytes.
    pub sha256: String,
    pub sampling: Sampling,
    pub dataset: Option<Dataset>,
    pub devices: Vec<Device>,
    pub models: Vec<Model>,
    pub compare: crate::compare::CompareConfig,
}

impl Suite {
    /// Loads and validates a suite file.
    pub fn load(path: &Path) -> Result<Suite> {
        let text = crate::fs::read_to_string(path)?;
        let base = crate::fs::parent_dir(path).to_path_buf();
        Suite::parse(path, &text, &base)
    }

    /// Parses suite text that came from `path`, resolving relative paths against `base`.
    pub fn parse(path: &Path, text: &str, base: &Path) -> Result<Suite> {
        let raw: RawSuite = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        let cfg = |key: String, msg: String| Error::config(path, key, msg);
        if let Some(v) = raw.schema_version {
            if v > SUITE_SCHEMA_VERSION {
                return Err(cfg(
                    "schema_version".into(),
                    format!("suite schema {v} is newer than this edgeperf understands ({SUITE_SCHEMA_VERSION}); upgrade edgeperf"),
                ));
            }
        }
        let s = &raw.sampling;
        if s.rounds == 0 {
            return Err(cfg("sampling.rounds".into(), "must be at least 1".into()));
        }
        if s.samples == 0 {
            return Err(cfg("sampling.samples".into(), "must be at least 1".into()));
        }
        if !(s.max_seconds.is_finite() && s.max_seconds > 0.0) {
            return Err(cfg(
                "sampling.max_seconds".into(),
                "must be a positive number".into(),
            ));
        }
        if raw.devices.is_empty() {
            return Err(cfg(
                "device".into(),
                "the suite defines no [[device]]".into(),
            ));
        }
        let resolve = |p: &Path| -> PathBuf {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };

        let mut devices = Vec::new();
        for (i, d) in raw.devices.iter().enumerate() {
            let key = |k: &str| format!("device[{i}].{k}");
            check_name(&d.name).map_err(|m| cfg(key("name"), m))?;
            if devices.iter().any(|x: &Device| x.name == d.name) {
                return Err(cfg(
                    key("name"),
                    format!("duplicate device name {:?}", d.name),
                ));
            }
            let provider = Provider::parse(&d.provider).ok_or_else(|| {
                cfg(
                    key("provider"),
                    format!("unknown execution provider {:?} (expected cpu, openvino, cuda or tensorrt)", d.provider),
                )
            })?;
            if d.intra_threads == 0 || d.intra_threads > 1024 {
                return Err(cfg(
                    key("intra_threads"),
                    "must be between 1 and 1024".into(),
                ));
            }
            if d.inter_threads == 0 || d.inter_threads > 1024 {
                return Err(cfg(
                    key("inter_threads"),
                    "must be between 1 and 1024".into(),
                ));
            }
            let mut options = BTreeMap::new();
            for (k, v) in &d.options {
                let s = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(n) => n.to_string(),
                    toml::Value::Float(x) => x.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    _ => {
                        return Err(cfg(
                            format!("device[{i}].options.{k}"),
                            "must be a string, number or boolean".into(),
                        ))
                    }
                };
                options.insert(k.clone(), s);
            }
            devices.push(Device {
                name: d.name.clone(),
                provider,
                intra_threads: d.intra_threads,
                inter_threads: d.inter_threads,
                runtime: d.runtime.as_deref().map(resolve),
                allow_fallback: d.allow_fallback,
                default: d.default,
                options,
            });
        }

        if raw.models.is_empty() {
            return Err(cfg("model".into(), "the suite defines no [[model]]".into()));
        }
        let mut models = Vec::new();
        for (i, m) in raw.models.iter().enumerate() {
            let key = |k: &str| format!("model[{i}].{k}");
            check_name(&m.name).map_err(|e| cfg(key("name"), e))?;
            if models.iter().any(|x: &Model| x.name == m.name) {
                return Err(cfg(
                    key("name"),
                    format!("duplicate model name {:?}", m.name),
                ));
            }
            let p = &m.preprocess;
            let interpolation = match p.interpolation.to_ascii_lowercase().as_str() {
                "bilinear" => Interpolation::Bilinear,
                "bicubic" => Interpolation::Bicubic,
                "nearest" => Interpolation::Nearest,
                other => {
                    return Err(cfg(
                        key("preprocess.interpolation"),
                        format!(
                        "unknown interpolation {other:?} (expected bilinear, bicubic or nearest)"
                    ),
                    ))
                }
            };
            if p.crop == 0 {
                return Err(cfg(key("preprocess.crop"), "must be at least 1".into()));
            }
            if p.resize < p.crop {
                return Err(cfg(
                    key("preprocess.resize"),
                    format!(
                        "shorter side {} is smaller than the crop {}",
                        p.resize, p.crop
                    ),
                ));
            }
            if !(p.divisor.is_finite() && p.divisor > 0.0) {
                return Err(cfg(key("preprocess.divisor"), "must be positive".into()));
            }
            let mean = three(&p.mean)
                .ok_or_else(|| cfg(key("preprocess.mean"), "needs 3 values (R, G, B)".into()))?;
            let std = three(&p.std)
                .ok_or_else(|| cfg(key("preprocess.std"), "needs 3 values (R, G, B)".into()))?;
            if std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
                return Err(cfg(
                    key("preprocess.std"),
                    "every value must be positive".into(),
                ));
            }
            let layout = match p.layout.to_ascii_lowercase().as_str() {
                "nchw" => Layout::Nchw,
                "nhwc" => Layout::Nhwc,
                other => {
                    return Err(cfg(
                        key("preprocess.layout"),
                        format!("unknown layout {other:?} (expected nchw or nhwc)"),
                    ))
                }
            };
            let channel_order = match p.channels.to_ascii_lowercase().as_str() {
                "rgb" => ChannelOrder::Rgb,
                "bgr" => ChannelOrder::Bgr,
                other => {
                    return Err(cfg(
                        key("preprocess.channels"),
                        format!("unknown channel order {other:?} (expected rgb or bgr)"),
                    ))
                }
            };
            models.push(Model {
                name: m.name.clone(),
                file: resolve(&m.file),
                input: m.input.clone(),
                accuracy: m.accuracy,
                preprocess: Preprocess::new(
                    p.resize,
                    p.crop,
                    interpolation,
                    Normalize {
                        divisor: p.divisor as f32,
                        mean,
                        std,
                    },
                    layout,
                    channel_order,
                )
                .map_err(|e| cfg(key("preprocess"), e.to_string()))?,
            });
        }

        let dataset = match &raw.dataset {
            Some(d) => {
                if d.layout != "class-folders" {
                    return Err(cfg(
                        "dataset.layout".into(),
                        format!("unknown layout {:?} (expected \"class-folders\": <class index>/<image>, as ImageNetV2)", d.layout),
                    ));
                }
                if d.num_classes == 0 {
                    return Err(cfg(
                        "dataset.num_classes".into(),
                        "must be at least 1".into(),
                    ));
                }
                Some(Dataset {
                    root: resolve(&d.root),
                    classes: d.classes.as_deref().map(resolve),
                    num_classes: d.num_classes,
                    limit: d.limit,
                })
            }
            None => None,
        };
        if dataset.is_none() {
            if let Some((i, _)) = models.iter().enumerate().find(|(_, m)| m.accuracy) {
                return Err(cfg(
                    format!("model[{i}].accuracy"),
                    "the model asks for accuracy but the suite has no [dataset] (set accuracy = false or add one)".into(),
                ));
            }
        }
        raw.compare.validate().map_err(|(k, m)| cfg(k, m))?;

        Ok(Suite {
            path: path.to_path_buf(),
            sha256: crate::fs::sha256_bytes(text.as_bytes()),
            sampling: raw.sampling.clone(),
            dataset,
            devices,
            models,
            compare: raw.compare.clone(),
        })
    }

    /// The directory of the suite file (relative paths in it resolve against it).
    pub fn dir(&self) -> &Path {
        crate::fs::parent_dir(&self.path)
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
                return Err(Error::Other(format!(
                    "{}: no device named {d:?} (the suite has: {})",
                    self.path.display(),
                    known.join(", ")
                )));
            }
        }
        for m in models {
            if self.model(m).is_none() {
                let known: Vec<_> = self.models.iter().map(|m| m.name.as_str()).collect();
                return Err(Error::Other(format!(
                    "{}: no model named {m:?} (the suite has: {})",
                    self.path.display(),
                    known.join(", ")
                )));
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

fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!("{name:?} may only hold letters, digits, '-', '_' and '.' (it names files in baselines/)"));
    }
    Ok(())
}

fn three(v: &[f32]) -> Option<[f32; 3]> {
    (v.len() == 3).then(|| [v[0], v[1], v[2]])
}

/// Turns a TOML error into one line: file, line, the key when toml knows it.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> Error {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let msg = e.message().replace('\n', " ");
    let key = match line {
        Some(l) => match dotted_key_at(text, l) {
            Some(k) => format!("line {l} ({k})"),
            None => format!("line {l}"),
        },
        None => "(document)".into(),
    };
    Error::config(path, key, msg)
}

/// The dotted key assigned on 1-based line `line` (`sampling.rounds`), from the
/// nearest table header above it; `None` when the line is not `key = value`.
fn dotted_key_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    let (k, _) = here.split_once('=')?;
    let k = k.trim();
    if k.is_empty() || k.starts_with('[') || k.starts_with('#') {
        return None;
    }
    let table = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match table {
        Some(t) => format!("{t}.{k}"),
        None => k.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
schema_version = 1
[sampling]
rounds = 2
[dataset]
root = "data"
[[device]]
name = "cpu"
runtime = "lib/libonnxruntime.so"
[[device]]
name = "ov"
provider = "openvino"
default = false
options = { device_type = "CPU", num_of_threads = 1 }
[[model]]
name = "m"
file = "m.onnx"
preprocess = { resize = 256, crop = 224, interpolation = "bicubic", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }
"#;

    fn parse(text: &str) -> Result<Suite> {
        Suite::parse(Path::new("suite.toml"), text, Path::new("/base"))
    }

    #[test]
    fn parses_and_resolves_paths() {
        let s = parse(GOOD).unwrap();
        assert_eq!(s.sampling.rounds, 2);
        assert_eq!(
            s.devices[0].runtime.as_deref(),
            Some(Path::new("/base/lib/libonnxruntime.so"))
        );
        assert_eq!(s.devices[1].provider, Provider::Openvino);
        assert_eq!(s.devices[1].options["num_of_threads"], "1");
        assert_eq!(s.models[0].preprocess.normalize().divisor, 255.0);
        assert_eq!(s.models[0].file, Path::new("/base/m.onnx"));
        // Default selection skips non-default devices.
        assert_eq!(s.select(&[], &[]).unwrap().len(), 1);
        assert_eq!(s.select(&["ov".into()], &[]).unwrap().len(), 1);
        let e = s.select(&["gpu".into()], &[]).unwrap_err().to_string();
        assert!(e.contains("no device named \"gpu\""), "{e}");
    }

    #[test]
    fn errors_name_file_and_key() {
        let e = parse(&GOOD.replace("crop = 224", "crop = 300"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("suite.toml: model[0].preprocess.resize:"),
            "{e}"
        );
        let e = parse(&GOOD.replace("provider = \"openvino\"", "provider = \"npu\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("device[1].provider"), "{e}");
        let e = parse(&GOOD.replace("rounds = 2", "rounds = 0"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sampling.rounds"), "{e}");
        let e = parse(&GOOD.replace("rounds = 2", "roundz = 2"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("suite.toml: line 4") && e.contains("roundz"),
            "{e}"
        );
        let e = parse(&GOOD.replace("mean = [0.485, 0.456, 0.406]", "mean = [1.0]"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("model[0].preprocess.mean"), "{e}");
        let e = parse(&GOOD.replace("schema_version = 1", "schema_version = 9"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema_version") && e.contains("newer"), "{e}");
        let e = parse("[[device]]\nname='a b'\n").unwrap_err().to_string();
        assert!(e.contains("device[0].name"), "{e}");
    }

    #[test]
    fn accuracy_without_dataset_is_refused() {
        let text = GOOD.replace("[dataset]\nroot = \"data\"\n", "");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("model[0].accuracy"), "{e}");
    }

    #[test]
    fn samples_per_round_respects_budget_and_floor() {
        let s = Sampling {
            warmup: 0,
            samples: 200,
            rounds: 3,
            max_seconds: 12.0,
            min_samples: 20,
        };
        assert_eq!(s.samples_per_round(9.0), 200); // 4 s / 9 ms = 444 -> capped
        assert_eq!(s.samples_per_round(100.0), 40); // 4 s / 100 ms
        assert_eq!(s.samples_per_round(1000.0), 20); // floor
    }
}

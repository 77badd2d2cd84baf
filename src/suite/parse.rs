//! From TOML text to a validated [`Suite`]: the raw serde shapes, one validating
//! function per table, and TOML errors turned into "file: line N (key): message".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::compare::CompareConfig;
use super::device::{Device, ExternalRunner, ModelFormat, Provider, RuntimeKind};
use super::devstate::DeviceStateRule;
use super::key::{check_name, key_err, KeyError};
use super::model::{self, Model, ModelSpec};
use super::{Dataset, Sampling, Suite, SUITE_SCHEMA_VERSION};
use crate::error::{Error, Result};

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
    models: Vec<ModelSpec>,
    #[serde(default)]
    compare: CompareConfig,
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
    seed: Option<u64>,
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
    #[serde(default = "default_runtime_kind")]
    runtime_kind: String,
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
    worker_timeout_seconds: Option<f64>,
    /// External runners: argv.
    command: Option<Vec<String>>,
    /// External runners: which model file they are handed (onnx | tflite).
    model_format: Option<String>,
    /// External runners: seconds to wait for any one line.
    timeout_s: Option<f64>,
    /// `[device.state]` under this device.
    #[serde(default)]
    state: DeviceStateRule,
}

fn default_runtime_kind() -> String {
    "onnxruntime".into()
}
fn default_provider() -> String {
    "cpu".into()
}

/// Seconds edgeperf waits for a line from an external runner unless the device says.
pub const DEFAULT_RUNNER_TIMEOUT_S: f64 = 60.0;
fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}

impl Suite {
    /// Parses and validates suite text that came from `path` (a file, or
    /// `<commit>:<path>` for a git blob), resolving relative paths against `dir`.
    pub fn parse(path: &Path, text: &str, dir: &Path) -> Result<Suite> {
        parse(path, text, dir)
    }
}

/// Parses and validates suite text that came from `path`.
fn parse(path: &Path, text: &str, dir: &Path) -> Result<Suite> {
    let raw: RawSuite = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    let cfg = |(key, msg): KeyError| Error::config(path, key, msg);
    if let Some(v) = raw.schema_version {
        if v > SUITE_SCHEMA_VERSION {
            return Err(cfg(key_err(
                "schema_version",
                format!(
                    "suite schema {v} is newer than this edgeperf understands ({}); upgrade edgeperf",
                    SUITE_SCHEMA_VERSION
                ),
            )));
        }
    }
    validate_sampling(&raw.sampling).map_err(cfg)?;
    let resolve = |p: &Path| -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    };
    if raw.devices.is_empty() {
        return Err(cfg(key_err("device", "the suite defines no [[device]]")));
    }
    let mut devices: Vec<Device> = Vec::new();
    for (i, d) in raw.devices.iter().enumerate() {
        let prefix = |(k, m): KeyError| (format!("device[{i}].{k}"), m);
        let device = device(d, &resolve, dir).map_err(prefix).map_err(cfg)?;
        if devices.iter().any(|x| x.name == device.name) {
            return Err(cfg(prefix(key_err(
                "name",
                format!("duplicate device name {:?}", device.name),
            ))));
        }
        devices.push(device);
    }
    if raw.models.is_empty() {
        return Err(cfg(key_err("model", "the suite defines no [[model]]")));
    }
    let mut models: Vec<Model> = Vec::new();
    for (i, m) in raw.models.iter().enumerate() {
        let prefix = |(k, m): KeyError| (format!("model[{i}].{k}"), m);
        let mut model = model::validate(m).map_err(prefix).map_err(cfg)?;
        model.file = resolve(&model.file);
        model.tflite = model.tflite.as_deref().map(resolve);
        if models.iter().any(|x| x.name == model.name) {
            return Err(cfg(prefix(key_err(
                "name",
                format!("duplicate model name {:?}", model.name),
            ))));
        }
        models.push(model);
    }
    let dataset = match &raw.dataset {
        Some(d) => Some(dataset(d, &resolve).map_err(cfg)?),
        None => None,
    };
    if dataset.is_none() {
        if let Some((i, _)) = models.iter().enumerate().find(|(_, m)| m.accuracy) {
            return Err(cfg(key_err(
                &format!("model[{i}].accuracy"),
                "the model asks for accuracy but the suite has no [dataset] (set accuracy = false or add one)",
            )));
        }
    }
    raw.compare.validate().map_err(cfg)?;
    let compare = with_device_rules(raw.compare, &devices);
    Ok(Suite {
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
        sha256: sha256_hex(text.as_bytes()),
        sampling: raw.sampling,
        dataset,
        devices,
        models,
        compare,
    })
}

/// `[compare]` with each device's `[device.state]`, so a comparison judges
/// device state by the suite's rules.
fn with_device_rules(mut compare: CompareConfig, devices: &[Device]) -> CompareConfig {
    compare.device_state = devices
        .iter()
        .map(|d| (d.name.clone(), d.state.clone()))
        .collect();
    compare
}

fn validate_sampling(s: &Sampling) -> std::result::Result<(), KeyError> {
    if s.rounds == 0 {
        return Err(key_err("sampling.rounds", "must be at least 1"));
    }
    if s.samples == 0 {
        return Err(key_err("sampling.samples", "must be at least 1"));
    }
    if !(s.max_seconds.is_finite() && s.max_seconds > 0.0) {
        return Err(key_err("sampling.max_seconds", "must be a positive number"));
    }
    Ok(())
}

fn device(
    d: &RawDevice,
    resolve: &dyn Fn(&Path) -> PathBuf,
    dir: &Path,
) -> std::result::Result<Device, KeyError> {
    check_name(&d.name).map_err(|m| key_err("name", m))?;
    let (kind, provider) = runtime_and_provider(d)?;
    let external = external_runner(d, kind, resolve, dir)?;
    for (key, n) in [
        ("intra_threads", d.intra_threads),
        ("inter_threads", d.inter_threads),
    ] {
        if n == 0 || n > 1024 {
            return Err(key_err(key, "must be between 1 and 1024"));
        }
    }
    if let Some(t) = d.worker_timeout_seconds {
        if !(t.is_finite() && t > 0.0) {
            return Err(key_err(
                "worker_timeout_seconds",
                format!("must be a positive number of seconds, got {t}"),
            ));
        }
    }
    let options = options(d, provider)?;
    d.state.validate()?;
    Ok(Device {
        name: d.name.clone(),
        runtime_kind: kind,
        provider,
        intra_threads: d.intra_threads,
        inter_threads: d.inter_threads,
        runtime: d.runtime.as_deref().map(resolve),
        allow_fallback: d.allow_fallback,
        default: d.default,
        options,
        worker_timeout_seconds: d.worker_timeout_seconds,
        external,
        state: d.state.clone(),
    })
}

/// The device's runtime kind, and its provider (one that kind has).
fn runtime_and_provider(d: &RawDevice) -> std::result::Result<(RuntimeKind, Provider), KeyError> {
    let kind = match d.runtime_kind.to_ascii_lowercase().as_str() {
        "onnxruntime" | "ort" => RuntimeKind::Onnxruntime,
        "litert" | "tflite" => RuntimeKind::Litert,
        "external" => RuntimeKind::External,
        other => {
            return Err(key_err(
                "runtime_kind",
                format!(
                    "unknown runtime kind {other:?} (expected onnxruntime, litert or external)"
                ),
            ))
        }
    };
    let allowed = kind.providers();
    let provider = Provider::parse(&d.provider)
        .filter(|p| allowed.contains(p))
        .ok_or_else(|| {
            let names: Vec<_> = allowed.iter().map(|p| p.as_str()).collect();
            let what = match kind {
                RuntimeKind::Onnxruntime => "execution provider",
                _ => "accelerator",
            };
            key_err(
                "provider",
                format!(
                    "unknown {what} {:?} for runtime_kind = \"{kind}\" (expected {})",
                    d.provider,
                    names.join(", ")
                ),
            )
        })?;
    Ok((kind, provider))
}

/// The provider options as strings; the cpu provider takes none.
fn options(
    d: &RawDevice,
    provider: Provider,
) -> std::result::Result<BTreeMap<String, String>, KeyError> {
    // ONNX Runtime's CPU provider is registered without options: any given
    // would be silently ignored, and the run measured as if they applied.
    if let (Provider::Cpu, Some(k)) = (provider, d.options.keys().next()) {
        return Err(key_err(
            &format!("options.{k}"),
            "the cpu provider takes no options (they are for openvino, cuda and tensorrt)",
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
                return Err(key_err(
                    &format!("options.{k}"),
                    "must be a string, number or boolean",
                ))
            }
        };
        options.insert(k.clone(), s);
    }
    Ok(options)
}

/// The runner of an external device; the runner keys on any other device are errors.
fn external_runner(
    d: &RawDevice,
    kind: RuntimeKind,
    resolve: &dyn Fn(&Path) -> PathBuf,
    dir: &Path,
) -> std::result::Result<Option<ExternalRunner>, KeyError> {
    if kind != RuntimeKind::External {
        for (key, set) in [
            ("command", d.command.is_some()),
            ("model_format", d.model_format.is_some()),
            ("timeout_s", d.timeout_s.is_some()),
        ] {
            if set {
                return Err(key_err(
                    key,
                    format!(
                        "only an external device takes `{key}` (set runtime_kind = \"external\")"
                    ),
                ));
            }
        }
        return Ok(None);
    }
    if d.runtime.is_some() {
        return Err(key_err(
            "runtime",
            "an external device runs `command`, not a runtime library",
        ));
    }
    let mut command = match &d.command {
        Some(c) if !c.is_empty() && !c[0].trim().is_empty() => c.clone(),
        _ => {
            return Err(key_err(
                "command",
                "an external device needs `command = [\"program\", \"arg\", ...]` (docs/EXTERNAL_RUNNERS.md)",
            ))
        }
    };
    if command[0].contains('/') {
        command[0] = resolve(Path::new(&command[0])).display().to_string();
    }
    let model_format = match d.model_format.as_deref().map(str::to_ascii_lowercase) {
        None => ModelFormat::Onnx,
        Some(f) if f == "onnx" => ModelFormat::Onnx,
        Some(f) if f == "tflite" => ModelFormat::Tflite,
        Some(f) => {
            return Err(key_err(
                "model_format",
                format!("unknown model format {f:?} (expected onnx or tflite)"),
            ))
        }
    };
    let timeout_s = d.timeout_s.unwrap_or(DEFAULT_RUNNER_TIMEOUT_S);
    if !(timeout_s.is_finite() && timeout_s > 0.0) {
        return Err(key_err("timeout_s", "must be a positive number of seconds"));
    }
    Ok(Some(ExternalRunner {
        command,
        workdir: dir.to_path_buf(),
        model_format,
        timeout_s,
    }))
}

fn dataset(
    d: &RawDataset,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> std::result::Result<Dataset, KeyError> {
    if d.layout != "class-folders" {
        return Err(key_err(
            "dataset.layout",
            format!("unknown layout {:?} (expected \"class-folders\": <class index>/<image>, as ImageNetV2)", d.layout),
        ));
    }
    if d.num_classes == 0 {
        return Err(key_err("dataset.num_classes", "must be at least 1"));
    }
    if d.limit == Some(0) {
        return Err(key_err("dataset.limit", "must be at least 1 image"));
    }
    if d.seed.is_some() && d.limit.is_none() {
        return Err(key_err(
            "dataset.seed",
            "only a subset has a seed: set dataset.limit too (or remove seed)",
        ));
    }
    Ok(Dataset {
        root: resolve(&d.root),
        classes: d.classes.as_deref().map(resolve),
        num_classes: d.num_classes,
        limit: d.limit,
        seed: d.seed.unwrap_or(super::DEFAULT_SUBSET_SEED),
    })
}

/// SHA-256 of the suite's bytes, as lowercase hex (what records keep).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

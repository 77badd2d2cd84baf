//! Models: the model file (and its TFLite twin), its input, whether it has an
//! accuracy figure, and its preprocessing; as written in the suite
//! ([`ModelSpec`], also the worker protocol's shape) and validated.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::device::{Device, ModelFormat};
use super::key::{check_name, key_err, KeyError};
use super::preprocess::{ChannelOrder, Interpolation, Layout, Normalize, Preprocess};
use crate::error::{Error, Result};

/// A model and how its inputs are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ModelSpec", try_from = "ModelSpec")]
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
            self.preprocess.with_layout(Layout::Nhwc)
        };
        Ok(Model {
            file: file.to_path_buf(),
            tflite: None,
            preprocess,
            ..self.clone()
        })
    }
}

/// A model entry as written in the suite (and as sent to a worker process).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModelSpec {
    name: String,
    file: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tflite: Option<PathBuf>,
    #[serde(default)]
    input: Option<String>,
    #[serde(default = "yes")]
    accuracy: bool,
    preprocess: PreprocessSpec,
}

fn yes() -> bool {
    true
}

/// The `preprocess` table of a model, as written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PreprocessSpec {
    pub resize: u32,
    pub crop: u32,
    #[serde(default = "default_interp")]
    pub interpolation: String,
    /// Pixels (0..255) are divided by this first: 255 for torchvision's ToTensor.
    #[serde(default = "default_divisor")]
    pub divisor: f64,
    #[serde(default = "zero3")]
    pub mean: Vec<f32>,
    #[serde(default = "one3")]
    pub std: Vec<f32>,
    #[serde(default = "default_layout_nchw")]
    pub layout: String,
    #[serde(default = "default_rgb")]
    pub channels: String,
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

/// Validates a model entry; its file stays as written (the caller resolves it).
pub(super) fn validate(m: &ModelSpec) -> std::result::Result<Model, KeyError> {
    check_name(&m.name).map_err(|e| key_err("name", e))?;
    let preprocess = preprocess(&m.preprocess).map_err(|(k, e)| match k.as_str() {
        "" => ("preprocess".to_string(), e),
        _ => (format!("preprocess.{k}"), e),
    })?;
    if let Some(t) = &m.tflite {
        if ModelFormat::of_path(t) != ModelFormat::Tflite {
            return Err(key_err(
                "tflite",
                format!("{} is not a .tflite file", t.display()),
            ));
        }
    }
    Ok(Model {
        name: m.name.clone(),
        file: m.file.clone(),
        tflite: m.tflite.clone(),
        input: m.input.clone(),
        accuracy: m.accuracy,
        preprocess,
    })
}

fn preprocess(p: &PreprocessSpec) -> std::result::Result<Preprocess, KeyError> {
    let interpolation = match p.interpolation.to_ascii_lowercase().as_str() {
        "bilinear" => Interpolation::Bilinear,
        "bicubic" => Interpolation::Bicubic,
        "nearest" => Interpolation::Nearest,
        other => {
            return Err(key_err(
                "interpolation",
                format!("unknown interpolation {other:?} (expected bilinear, bicubic or nearest)"),
            ))
        }
    };
    if p.crop == 0 {
        return Err(key_err("crop", "must be at least 1"));
    }
    if p.resize < p.crop {
        return Err(key_err(
            "resize",
            format!(
                "shorter side {} is smaller than the crop {}",
                p.resize, p.crop
            ),
        ));
    }
    if !(p.divisor.is_finite() && p.divisor > 0.0) {
        return Err(key_err("divisor", "must be positive"));
    }
    let mean = three(&p.mean).ok_or_else(|| key_err("mean", "needs 3 values (R, G, B)"))?;
    let std = three(&p.std).ok_or_else(|| key_err("std", "needs 3 values (R, G, B)"))?;
    if std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(key_err("std", "every value must be positive"));
    }
    let layout = match p.layout.to_ascii_lowercase().as_str() {
        "nchw" => Layout::Nchw,
        "nhwc" => Layout::Nhwc,
        other => {
            return Err(key_err(
                "layout",
                format!("unknown layout {other:?} (expected nchw or nhwc)"),
            ))
        }
    };
    let channel_order = match p.channels.to_ascii_lowercase().as_str() {
        "rgb" => ChannelOrder::Rgb,
        "bgr" => ChannelOrder::Bgr,
        other => {
            return Err(key_err(
                "channels",
                format!("unknown channel order {other:?} (expected rgb or bgr)"),
            ))
        }
    };
    let normalize = Normalize {
        divisor: p.divisor as f32,
        mean,
        std,
    };
    Preprocess::new(
        p.resize,
        p.crop,
        interpolation,
        normalize,
        layout,
        channel_order,
    )
    .map_err(|e| key_err("", e.to_string()))
}

impl From<Model> for ModelSpec {
    fn from(m: Model) -> ModelSpec {
        let p = &m.preprocess;
        let n = p.normalize();
        ModelSpec {
            name: m.name.clone(),
            file: m.file.clone(),
            tflite: m.tflite.clone(),
            input: m.input.clone(),
            accuracy: m.accuracy,
            preprocess: PreprocessSpec {
                resize: p.resize(),
                crop: p.crop(),
                interpolation: p.interpolation().as_str().to_string(),
                divisor: n.divisor as f64,
                mean: n.mean.to_vec(),
                std: n.std.to_vec(),
                layout: match p.layout() {
                    Layout::Nchw => "nchw".into(),
                    Layout::Nhwc => "nhwc".into(),
                },
                channels: match p.channel_order() {
                    ChannelOrder::Rgb => "rgb".into(),
                    ChannelOrder::Bgr => "bgr".into(),
                },
            },
        }
    }
}

impl TryFrom<ModelSpec> for Model {
    type Error = String;
    fn try_from(m: ModelSpec) -> std::result::Result<Model, String> {
        validate(&m).map_err(|(k, e)| format!("model {:?}: {k}: {e}", m.name))
    }
}

fn three(v: &[f32]) -> Option<[f32; 3]> {
    (v.len() == 3).then(|| [v[0], v[1], v[2]])
}

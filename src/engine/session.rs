//! The backend-agnostic session `measure` times: one path's model loaded in ONNX
//! Runtime, LiteRT or an external runner, with the same operations for all three
//! (set the input, time `n` inferences, classify an image).
//!
//! The timed unit is the same everywhere: one inference on a pre-set input,
//! timed around the runtime's inference call (by edgeperf for the runtimes it
//! loads, by the runner itself for external runners, so no protocol round trip is
//! ever inside a sample).

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::external::ExternalSession;
use super::litert::LitertSession;
use super::ort::{PathSession, ProviderOutcome};
use super::protocol::PathSpec;
use crate::error::{Error, Result};
use crate::record::accuracy::top_k;
use crate::record::RuntimeInfo;
use crate::suite::{Device, RuntimeKind};

/// Something that runs one inference on its current input (the timed unit).
pub trait Infer {
    fn infer(&mut self) -> Result<()>;
}

impl Infer for PathSession {
    #[inline]
    fn infer(&mut self) -> Result<()> {
        PathSession::infer(self)
    }
}

impl Infer for LitertSession {
    #[inline]
    fn infer(&mut self) -> Result<()> {
        LitertSession::infer(self)
    }
}

/// Times `n` calls of `infer`, returning each one's milliseconds.
pub fn time_calls<S: Infer>(session: &mut S, n: u32) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = Instant::now();
        session.infer()?;
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

/// Which library (or runner program) a device runs on: for ONNX Runtime the
/// `--runtime` override, the device's `runtime`, then `ORT_DYLIB_PATH`; for
/// LiteRT the device's `runtime`, then `LITERT_LIB_PATH`; for an external device
/// its command's program.
pub fn library_for(device: &Device, ort_override: Option<&Path>) -> Result<PathBuf> {
    match device.runtime_kind {
        RuntimeKind::Onnxruntime => super::ort::library_for(device, ort_override),
        RuntimeKind::Litert => super::litert::library_for(device),
        RuntimeKind::External => device
            .external
            .as_ref()
            .map(|x| PathBuf::from(&x.command[0]))
            .ok_or_else(|| Error::device(&device.name, "an external device needs `command`")),
    }
}

/// Loads the runtime library of `side` into this process (a no-op for external
/// runners, which start with their first session).
pub fn load_runtime(side: &PathSpec) -> Result<()> {
    match side.device.runtime_kind {
        RuntimeKind::Onnxruntime => super::ort::load(&side.library).map(|_| ()),
        RuntimeKind::Litert => super::litert::load(&side.library).map(|_| ()),
        RuntimeKind::External => Ok(()),
    }
}

/// The version of a device's runtime without running anything (`edgeperf env`):
/// (library or program, version; `None` for an external runner, which reports
/// its runtime only when it runs) or why it is unavailable.
pub fn probe(device: &Device) -> Result<(PathBuf, Option<String>)> {
    let lib = library_for(device, None)?;
    let version = match device.runtime_kind {
        RuntimeKind::Onnxruntime => Some(super::ort::probe_version(&lib)?),
        RuntimeKind::Litert => {
            if !crate::fs::exists(&lib) {
                return Err(Error::runtime(&lib, "LiteRT library not found (run scripts/setup.sh, or fix the device's `runtime` / LITERT_LIB_PATH)"));
            }
            Some(super::litert::version_beside(&lib))
        }
        RuntimeKind::External => None,
    };
    Ok((lib, version))
}

/// A loaded model of one path, whatever runs it.
pub enum Session {
    Ort(Box<PathSession>),
    Litert(Box<LitertSession>),
    External(Box<ExternalSession>),
}

impl Session {
    /// Creates the session of `side` (its runtime already loaded by [`load_runtime`]).
    pub fn create(side: &PathSpec) -> Result<Session> {
        let (d, m) = (&side.device, &side.model);
        Ok(match d.runtime_kind {
            RuntimeKind::Onnxruntime => Session::Ort(Box::new(PathSession::create(d, m)?)),
            RuntimeKind::Litert => Session::Litert(Box::new(LitertSession::create(d, m)?)),
            RuntimeKind::External => Session::External(Box::new(ExternalSession::create(d, m)?)),
        })
    }

    /// The runtime this session runs on, as recorded.
    pub fn runtime(&self, side: &PathSpec) -> Result<RuntimeInfo> {
        match self {
            Session::Ort(_) => super::ort::load(&side.library).cloned(),
            Session::Litert(_) => super::litert::load(&side.library).cloned(),
            Session::External(s) => Ok(s.runtime.clone()),
        }
    }

    pub fn set_input(&mut self, data: &[f32]) -> Result<()> {
        match self {
            Session::Ort(s) => s.set_input(data),
            Session::Litert(s) => s.set_input(data),
            Session::External(s) => s.set_input(data),
        }
    }

    /// `n` inferences on the current input, each one's milliseconds.
    pub fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        match self {
            Session::Ort(s) => time_calls(s.as_mut(), n),
            Session::Litert(s) => time_calls(s.as_mut(), n),
            Session::External(s) => s.time(n),
        }
    }

    /// The `k` best classes of `data`, best first (ties: lower index first), and
    /// the length of the model's output. `data` becomes the current input.
    pub fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)> {
        let logits = match self {
            Session::Ort(s) => {
                s.set_input(data)?;
                s.infer_logits()?
            }
            Session::Litert(s) => {
                s.set_input(data)?;
                s.infer_logits()?
            }
            Session::External(s) => return s.classify(data, k),
        };
        Ok((top_k(&logits, k), logits.len()))
    }

    pub fn provider(&self) -> &ProviderOutcome {
        match self {
            Session::Ort(s) => &s.provider,
            Session::Litert(s) => &s.provider,
            Session::External(s) => &s.provider,
        }
    }

    /// What really ran, in the runtime's words (`None` for ONNX Runtime).
    pub fn accelerator(&self) -> Option<String> {
        match self {
            Session::Ort(_) => None,
            Session::Litert(s) => Some(s.accelerator.clone()),
            Session::External(s) => Some(s.accelerator.clone()),
        }
    }

    pub fn session_create_ms(&self) -> f64 {
        match self {
            Session::Ort(s) => s.session_create_ms,
            Session::Litert(s) => s.session_create_ms,
            Session::External(s) => s.session_create_ms,
        }
    }

    /// The runtime's own cold start when the session measured it (an external
    /// runner: start to hello); `None` when the library was loaded before.
    pub fn library_load_ms(&self) -> Option<f64> {
        match self {
            Session::External(s) => Some(s.library_load_ms),
            _ => None,
        }
    }
}

/// Whether a model input of `dims` (negative = dynamic) takes the 4-d tensor
/// `shape` the preprocessing makes.
pub(crate) fn input_fits(dims: &[i64], shape: &[usize]) -> bool {
    dims.len() == 4
        && dims
            .iter()
            .zip(shape)
            .all(|(&d, &s)| d < 0 || d as usize == s)
}

/// The model's file exists, or an error naming it and the model.
pub(crate) fn require_model_file(model: &crate::suite::Model) -> Result<()> {
    if crate::fs::exists(&model.file) {
        return Ok(());
    }
    Err(Error::model(
        &model.file,
        format!(
            "model file not found (model {:?}; run scripts/setup.sh for the default suite)",
            model.name
        ),
    ))
}

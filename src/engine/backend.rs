//! The seam between measuring and the runtimes: a [`Backend`] is one path's model
//! loaded in some runtime (ONNX Runtime in `ort`, LiteRT in `litert`, a runner
//! program in `external`), with the operations `measure` needs. The backends
//! implement it and import nothing of each other; `session` picks one for a
//! device, and the worker protocol names only the types defined here.
//!
//! The timed unit is the same everywhere: one inference on a pre-set input,
//! timed around the runtime's inference call. A backend edgeperf loads times it
//! with [`time_calls`] inside its own [`Backend::time`], so the loop is compiled
//! for that backend (no dynamic call per inference); an external runner times
//! its own call, so no protocol round trip is ever inside a sample.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::explain::profile::RawProfile;
use crate::record::RuntimeInfo;
use crate::suite::{Model, Provider};

/// The execution provider that really runs a session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProviderOutcome {
    pub requested: Provider,
    pub ran: Provider,
    /// Why the requested provider did not run (only with `allow_fallback`).
    pub fallback_reason: Option<String>,
}

/// One path's model, loaded and ready to time, whatever runs it.
pub trait Backend {
    /// Makes `data` the input of every following inference (its length must
    /// match the model's input).
    fn set_input(&mut self, data: &[f32]) -> Result<()>;

    /// `n` inferences on the current input, each one's milliseconds.
    fn time(&mut self, n: u32) -> Result<Vec<f64>>;

    /// The `k` best classes of `data`, best first (ties: lower index first), and
    /// the length of the model's output. `data` becomes the current input.
    fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)>;

    /// The execution provider asked for and the one that really runs.
    fn provider(&self) -> &ProviderOutcome;

    /// What really ran, in the runtime's words (`None` for ONNX Runtime).
    fn accelerator(&self) -> Option<String>;

    /// Milliseconds spent creating the session.
    fn session_create_ms(&self) -> f64;

    /// The runtime's own cold start when the session measured it (an external
    /// runner: start to hello); `None` when the library was loaded before.
    fn library_load_ms(&self) -> Option<f64>;

    /// The runtime this session runs on, as recorded.
    fn runtime(&self) -> &RuntimeInfo;

    /// The runtime's own per-operator profile of every inference this session
    /// ran, in order, when it was created for profiling
    /// (`session::create_profiled`); else, or when the runtime has no profiler,
    /// why not (one line, shown as "explanation not available: ...").
    fn end_profile(&mut self) -> std::result::Result<RawProfile, String> {
        Err("this session was not created for profiling".into())
    }
}

/// Times `n` calls of `infer`, returning each one's milliseconds. Generic, so
/// each backend's loop is compiled around its own inference call.
#[inline]
pub fn time_calls(n: u32, mut infer: impl FnMut() -> Result<()>) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = Instant::now();
        infer()?;
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

/// The `k` best classes of `logits` and their number, as [`Backend::classify`]
/// answers.
pub fn top_k(logits: &[f32], k: usize) -> (Vec<u32>, usize) {
    (crate::record::accuracy::top_k(logits, k), logits.len())
}

/// Whether a model input of `dims` (negative = dynamic) takes the 4-d tensor
/// `shape` the preprocessing makes.
pub fn input_fits(dims: &[i64], shape: &[usize]) -> bool {
    dims.len() == 4
        && dims
            .iter()
            .zip(shape)
            .all(|(&d, &s)| d < 0 || d as usize == s)
}

/// The model's file exists, or an error naming it and the model.
pub fn require_model_file(model: &Model) -> Result<()> {
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

/// A runtime's message on one line (ONNX Runtime and LiteRT write several).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_fits_its_shape_or_a_dynamic_dimension() {
        assert!(input_fits(&[1, 3, 224, 224], &[1, 3, 224, 224]));
        assert!(input_fits(&[-1, 3, -1, -1], &[1, 3, 224, 224]));
        assert!(!input_fits(&[1, 224, 224, 3], &[1, 3, 224, 224]));
        assert!(!input_fits(&[3, 224, 224], &[1, 3, 224, 224]));
    }

    #[test]
    fn every_call_is_timed_and_the_first_error_stops() {
        let mut calls = 0;
        let ms = time_calls(5, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!((ms.len(), calls), (5, 5));
        assert!(ms.iter().all(|&x| x >= 0.0));
        let mut calls = 0;
        let e = time_calls(5, || {
            calls += 1;
            if calls == 2 {
                Err(Error::Usage("boom".into()))
            } else {
                Ok(())
            }
        });
        assert!(e.is_err());
        assert_eq!(calls, 2);
    }
}

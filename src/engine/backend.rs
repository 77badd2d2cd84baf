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
use crate::record::{MemoryOf, RuntimeInfo};
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

    /// Peak resident memory so far of the process that runs the model, MiB,
    /// and whose it is: this worker's for a runtime loaded in-process (the
    /// default); an external runner's own, or not measured.
    fn peak_memory(&self) -> (Option<f64>, MemoryOf) {
        (vm_hwm_mb("self"), MemoryOf::Worker)
    }
}

/// Peak resident memory (VmHWM) of process `pid` (`"self"`: this one), MiB;
/// `None` where the kernel does not report it or the process is gone.
pub fn vm_hwm_mb(pid: &str) -> Option<f64> {
    let path = std::path::PathBuf::from(format!("/proc/{pid}/status"));
    let status = crate::fs::read_to_string(&path).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
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

/// VmHWM of process `pid` plus that of each of its living descendants, MiB
/// (the peaks of several processes need not coincide: with children this is
/// an upper bound of their joint peak); `None` when /proc has no such process.
pub fn process_tree_hwm_mb(pid: u32) -> Option<f64> {
    let mut total = vm_hwm_mb(&pid.to_string())?;
    let mut parents = vec![pid];
    let tree = parent_links();
    while let Some(p) = parents.pop() {
        for (child, _) in tree.iter().filter(|(_, parent)| *parent == p) {
            total += vm_hwm_mb(&child.to_string()).unwrap_or(0.0);
            parents.push(*child);
        }
    }
    Some(total)
}

/// (pid, parent pid) of every process /proc lists.
fn parent_links() -> Vec<(u32, u32)> {
    let entries = crate::fs::list_dir(std::path::Path::new("/proc")).unwrap_or_default();
    entries
        .iter()
        .filter_map(|e| {
            let pid: u32 = e.name.parse().ok()?;
            let stat = crate::fs::read_to_string(&e.path.join("stat")).ok()?;
            Some((pid, parent_of(&stat)?))
        })
        .collect()
}

/// The parent pid in a `/proc/<pid>/stat` line: the second field after the
/// command name, which is in parentheses and may hold spaces and parentheses.
fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
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
    fn the_parent_pid_is_read_past_any_command_name() {
        assert_eq!(parent_of("412 (python3) S 400 412 ..."), Some(400));
        assert_eq!(parent_of("9 (a (b) c) R 7 9 9"), Some(7));
        assert_eq!(parent_of("garbage"), None);
        // This process's own tree holds at least this process.
        let me = std::process::id();
        let own = vm_hwm_mb("self").unwrap();
        assert!(
            process_tree_hwm_mb(me).unwrap() >= own,
            "the tree holds this process"
        );
    }

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
                Err(Error::worker_protocol("boom"))
            } else {
                Ok(())
            }
        });
        assert!(e.is_err());
        assert_eq!(calls, 2);
    }
}

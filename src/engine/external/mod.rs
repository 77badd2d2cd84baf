//! External runners: runtimes edgeperf cannot load (TensorRT engines, PyTorch,
//! an Edge TPU, RKNN, ...) measured by a program that speaks a small versioned
//! JSON-lines protocol on stdio (docs/EXTERNAL_RUNNERS.md).
//!
//! The worker process starts the runner (one per worker, so one per round),
//! hands it the model, the options and each preprocessed input as a raw
//! little-endian float32 file, and reads back the per-inference times the runner
//! measured around its own inference call, and each image's top-k. Every reply is
//! checked: a runner that times out, dies, writes a line that is not the reply
//! asked for, or answers with the wrong number of values is an error naming the
//! device and the runner's line.

mod runner;

use runner::{with_runner, Runner, RUNNER};
pub use runner::{RUNNER_PROTOCOL, TIME_CHUNK};

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

use super::backend::{Backend, ProviderOutcome};
use crate::error::{Error, Result};
use crate::explain::profile::RawProfile;
use crate::record::{MemoryOf, RuntimeInfo};
use crate::suite::{Device, Layout, Model};
/// One model loaded in the runner.
pub struct ExternalSession {
    id: String,
    input_len: usize,
    pub provider: ProviderOutcome,
    /// What the runner says really ran (`detail`).
    pub accelerator: String,
    pub session_create_ms: f64,
    /// Milliseconds from starting the runner to its hello (the runner's cold
    /// start: interpreter, imports, library loading).
    pub library_load_ms: f64,
    pub runtime: RuntimeInfo,
    /// Loaded with `"profile": true`, or why not (profile mode only).
    profile: Option<std::result::Result<(), String>>,
}

impl Drop for ExternalSession {
    fn drop(&mut self) {
        let mut guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
        let last = match guard.as_mut() {
            Some(r) => {
                r.sessions = r.sessions.saturating_sub(1);
                r.sessions == 0
            }
            None => false,
        };
        if last {
            if let Some(r) = guard.take() {
                r.shutdown();
            }
        }
    }
}

impl ExternalSession {
    /// Starts the device's runner if this worker has none yet, and loads `model`
    /// (its file in the device's `model_format`) in it.
    pub fn create(device: &Device, model: &Model) -> Result<ExternalSession> {
        ExternalSession::create_with(device, model, false)
    }

    /// [`ExternalSession::create`] with `"profile": true` in the `load`, when
    /// the runner's hello offers profiles (read by `end_profile`).
    pub fn create_profiled(device: &Device, model: &Model) -> Result<ExternalSession> {
        ExternalSession::create_with(device, model, true)
    }

    fn create_with(device: &Device, model: &Model, profiled: bool) -> Result<ExternalSession> {
        let spec = device
            .external
            .as_ref()
            .ok_or_else(|| Error::device(&device.name, "an external device needs `command`"))?;
        if !crate::fs::exists(&model.file) {
            return Err(Error::model(
                &model.file,
                format!("model file not found (model {:?})", model.name),
            ));
        }
        let mut guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(Runner::start(device, spec)?);
        }
        let r = guard.as_mut().expect("set above");
        r.next_id += 1;
        let id = format!("m{}", r.next_id);
        let shape = model.preprocess.input_shape();
        let layout = match model.preprocess.layout() {
            Layout::Nchw => "nchw",
            Layout::Nhwc => "nhwc",
        };
        let started = Instant::now();
        let profile = profiled.then(|| match r.profiles {
            true => Ok(()),
            false => Err(format!(
                "the external runner {} offers no profile (its hello has no \"profile\": true)",
                r.shown
            )),
        });
        let mut load = json!({
            "op": "load",
            "id": id,
            "model": absolute(&model.file),
            "format": spec.model_format.as_str(),
            "input": { "name": model.input, "shape": shape, "layout": layout, "dtype": "float32" },
            "accelerator": device.provider.as_str(),
            "threads": { "intra": device.intra_threads, "inter": device.inter_threads },
            "options": device.options,
        });
        if profile == Some(Ok(())) {
            load["profile"] = json!(true);
        }
        let reply = r.request(load)?;
        let roundtrip = started.elapsed().as_secs_f64() * 1e3;
        let (ran, detail, fallback_reason) = r.ran_on(&reply, device)?;
        let session_create_ms = r.load_ms(&reply, roundtrip)?;
        r.sessions += 1;
        Ok(ExternalSession {
            id,
            input_len: shape.iter().product(),
            provider: ProviderOutcome {
                requested: device.provider,
                ran,
                fallback_reason,
            },
            accelerator: detail,
            session_create_ms,
            library_load_ms: r.hello_ms,
            runtime: r.runtime.clone(),
            profile,
        })
    }

    fn check_len(&self, data: &[f32]) -> Result<()> {
        if data.len() != self.input_len {
            return with_runner(|r| {
                Err(r.error(format!(
                    "input has {} values, the model takes {}",
                    data.len(),
                    self.input_len
                )))
            });
        }
        Ok(())
    }

    /// Hands the runner the input every following `time` uses.
    pub fn set_input(&mut self, data: &[f32]) -> Result<()> {
        self.check_len(data)?;
        let id = self.id.clone();
        with_runner(|r| {
            let path = r.write_input(&id, data)?;
            r.request(json!({"op": "input", "id": id, "path": path}))?;
            Ok(())
        })
    }

    /// `n` inferences on the current input, timed by the runner around its own
    /// inference call; asked for in chunks of at most [`TIME_CHUNK`].
    pub fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(n as usize);
        while (out.len() as u32) < n {
            let k = TIME_CHUNK.min(n - out.len() as u32);
            let id = self.id.clone();
            let ms = with_runner(|r| {
                let reply = r.request(json!({"op": "time", "id": id, "n": k}))?;
                r.note_memory(&reply)?;
                let ms = reply.get("ms").and_then(Value::as_array).ok_or_else(|| {
                    r.bad("the `time` reply needs \"ms\": [one number per inference]")
                })?;
                if ms.len() != k as usize {
                    return Err(r.bad(format!(
                        "asked for {k} timings, the runner sent {}",
                        ms.len()
                    )));
                }
                ms.iter()
                    .map(|v| match v.as_f64() {
                        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
                        _ => Err(r.bad(format!(
                            "timings must be non-negative milliseconds, got {v}"
                        ))),
                    })
                    .collect::<Result<Vec<f64>>>()
            })?;
            out.extend(ms);
        }
        Ok(out)
    }

    /// The `k` best classes of `data` (best first), and how many classes the
    /// model has. `data` replaces the current input.
    pub fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)> {
        self.check_len(data)?;
        let id = self.id.clone();
        with_runner(|r| {
            let path = r.write_input(&format!("{id}-classify"), data)?;
            let reply = r.request(json!({"op": "classify", "id": id, "path": path, "k": k}))?;
            let classes = reply
                .get("classes")
                .and_then(Value::as_u64)
                .filter(|&c| c > 0)
                .ok_or_else(|| {
                    r.bad(
                        "the `classify` reply needs \"classes\": the length of the model's output",
                    )
                })? as usize;
            let top = reply.get("top").and_then(Value::as_array).ok_or_else(|| {
                r.bad("the `classify` reply needs \"top\": [class indices, best first]")
            })?;
            let want = k.min(classes);
            if top.len() != want {
                return Err(r.bad(format!(
                    "asked for the top {want} classes, the runner sent {}",
                    top.len()
                )));
            }
            let mut out: Vec<u32> = Vec::with_capacity(want);
            for v in top {
                match v.as_u64() {
                    Some(c) if (c as usize) < classes && !out.contains(&(c as u32)) => {
                        out.push(c as u32)
                    }
                    _ => {
                        return Err(r.bad(format!(
                        "\"top\" must hold {want} distinct class indices below {classes}, got {v}"
                    )))
                    }
                }
            }
            Ok((out, classes))
        })
    }
}

impl Backend for ExternalSession {
    fn end_profile(&mut self) -> std::result::Result<RawProfile, String> {
        match &self.profile {
            None => return Err("this session was not created for profiling".into()),
            Some(Err(why)) => return Err(why.clone()),
            Some(Ok(())) => {}
        }
        let reply = with_runner(|r| r.request(json!({"op": "profile", "id": self.id})))
            .map_err(|e| e.one_line())?;
        crate::explain::runner::parse_runner_profile(&reply)
    }
    fn set_input(&mut self, data: &[f32]) -> Result<()> {
        ExternalSession::set_input(self, data)
    }
    fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        ExternalSession::time(self, n)
    }
    fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)> {
        ExternalSession::classify(self, data, k)
    }
    fn provider(&self) -> &ProviderOutcome {
        &self.provider
    }
    fn accelerator(&self) -> Option<String> {
        Some(self.accelerator.clone())
    }
    fn session_create_ms(&self) -> f64 {
        self.session_create_ms
    }
    fn library_load_ms(&self) -> Option<f64> {
        Some(self.library_load_ms)
    }
    fn runtime(&self) -> &RuntimeInfo {
        &self.runtime
    }
    fn peak_memory(&self) -> (Option<f64>, MemoryOf) {
        let guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(r) => r.peak_memory(),
            None => (None, MemoryOf::NotMeasured),
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    crate::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

//! ONNX Runtime: loading the shared library (one per process), creating a session
//! for a device x model path with its execution provider, and running it.
//!
//! ONNX Runtime allows one environment per process and `ort` loads one library per
//! process, so every round runs in its own worker process (see `spawn`), and two
//! sessions paired in one process share the library.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use ort::ep::{self, ArbitrarilyConfigurableExecutionProvider};
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use ort::value::Tensor;

use super::backend::{self, one_line, Backend, ProviderOutcome};
use crate::error::{Error, Result};
use crate::explain::profile::RawProfile;
use crate::record::RuntimeInfo;
use crate::suite::{Device, Model, Provider, RuntimeKind};

/// Oldest ONNX Runtime minor version this build accepts (the `ort` API level).
pub const MIN_ORT_MINOR: u32 = 24;

static LOADED: OnceLock<(RuntimeInfo, ort::environment::Environment)> = OnceLock::new();

/// Which library a device uses: `--runtime` override, the device's `runtime`, then
/// `ORT_DYLIB_PATH`.
pub fn library_for(device: &Device, cli_override: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = cli_override {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = &device.runtime {
        return Ok(p.clone());
    }
    match std::env::var_os("ORT_DYLIB_PATH") {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => Err(Error::device(
            &device.name,
            "no ONNX Runtime library: set `runtime` for it in the suite, pass --runtime, or set ORT_DYLIB_PATH (scripts/setup.sh installs one)",
        )),
    }
}

/// Reads the version of an ONNX Runtime library without making it the process's
/// runtime. Errors name the file: missing, not a library, no `OrtGetApiBase`.
pub fn probe_version(path: &Path) -> Result<String> {
    if !crate::fs::exists(path) {
        return Err(Error::runtime(
            path,
            "ONNX Runtime library not found (run scripts/setup.sh, or fix the device's `runtime` / ORT_DYLIB_PATH)",
        ));
    }
    // SAFETY: loading a shared library runs its initialisers; ONNX Runtime's are benign.
    let lib = unsafe { libloading::Library::new(path) }.map_err(|e| {
        // libloading's Display is only "dlopen failed"; the reason (dlerror) is its source.
        let why = match std::error::Error::source(&e) {
            Some(s) => format!("{e}: {}", one_line(&s.to_string())),
            None => e.to_string(),
        };
        Error::runtime(path, format!("cannot load ONNX Runtime library: {why}"))
    })?;
    // SAFETY: the symbol type matches ONNX Runtime's C API (`const OrtApiBase* OrtGetApiBase(void)`).
    let getter: libloading::Symbol<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
        unsafe { lib.get(b"OrtGetApiBase") }.map_err(|_| {
            Error::runtime(
                path,
                "not an ONNX Runtime library (no OrtGetApiBase symbol)",
            )
        })?;
    // SAFETY: `getter` is `OrtGetApiBase` of the library still loaded in `lib`;
    // a non-null `OrtApiBase` points at a static struct whose
    // `GetVersionString` returns a static NUL-terminated string (ONNX Runtime's
    // C API, every version since 1.0), so the dereference and `CStr` are valid.
    let version = unsafe {
        let base = getter();
        if base.is_null() {
            return Err(Error::runtime(path, "OrtGetApiBase returned null"));
        }
        CStr::from_ptr(((*base).GetVersionString)())
            .to_string_lossy()
            .into_owned()
    };
    // Keep the library mapped: unloading ONNX Runtime can crash in its destructors.
    std::mem::forget(lib);
    Ok(version)
}

/// Loads `path` as this process's ONNX Runtime (idempotent for the same path).
pub fn load(path: &Path) -> Result<&'static RuntimeInfo> {
    let abs = crate::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some((info, _)) = LOADED.get() {
        if info.library == abs {
            return Ok(info);
        }
        return Err(Error::runtime(
            &abs,
            format!(
                "this process already runs ONNX Runtime from {}; one library per process",
                info.library.display()
            ),
        ));
    }
    let version = probe_version(&abs)?;
    let minor: u32 = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if minor < MIN_ORT_MINOR {
        return Err(Error::runtime(
            &abs,
            format!("ONNX Runtime {version} is too old; edgeperf needs 1.{MIN_ORT_MINOR} or newer"),
        ));
    }
    let builder = ort::init_from(&abs).map_err(|e| Error::runtime(&abs, e.to_string()))?;
    let env = builder
        .with_name("edgeperf")
        .with_telemetry(false)
        .build()
        .map_err(|e| {
            Error::runtime(&abs, format!("cannot create ONNX Runtime environment: {e}"))
        })?;
    let _ = LOADED.set((
        RuntimeInfo {
            version,
            library: abs,
            sha256: None,
            kind: RuntimeKind::Onnxruntime,
        },
        env,
    ));
    Ok(&LOADED.get().expect("set above").0)
}

/// A ready-to-run session for one path with its fixed input tensor.
pub struct PathSession {
    session: Session,
    /// Device and model names, for errors.
    device: String,
    model: String,
    input_name: String,
    input: Tensor<f32>,
    /// Expected input shape (from the preprocessing).
    pub shape: [usize; 4],
    pub provider: ProviderOutcome,
    /// Milliseconds spent creating the session (graph load + optimisation + EP set-up).
    pub session_create_ms: f64,
    /// The library the session runs on (this process's ONNX Runtime).
    runtime: RuntimeInfo,
    /// Created with ONNX Runtime's profiler on (`create_profiled`).
    profiling: bool,
}

const NOT_LOADED: &str = "no ONNX Runtime library is loaded yet";

/// The execution provider of `device`; `None` for an accelerator ONNX Runtime
/// does not have (the suite refuses those for onnxruntime devices).
fn ep_for(device: &Device) -> Option<ep::ExecutionProviderDispatch> {
    fn with_opts<E: ArbitrarilyConfigurableExecutionProvider>(mut e: E, d: &Device) -> E {
        for (k, v) in &d.options {
            e = e.with_arbitrary_config(k, v);
        }
        e
    }
    let ep = match device.provider {
        Provider::Cpu => ep::CPU::default().build(),
        Provider::Openvino => with_opts(ep::OpenVINO::default(), device).build(),
        Provider::Cuda => with_opts(ep::CUDA::default(), device).build(),
        Provider::Tensorrt => with_opts(ep::TensorRT::default(), device).build(),
        Provider::Gpu | Provider::Npu | Provider::Edgetpu => return None,
    };
    Some(ep.error_on_failure())
}

fn builder(device: &Device) -> std::result::Result<SessionBuilder, String> {
    let env = match LOADED.get() {
        Some((_, env)) => env,
        None => return Err(NOT_LOADED.into()),
    };
    Session::builder(env)
        .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::Level3)?))
        .and_then(|b| Ok(b.with_intra_threads(device.intra_threads)?))
        .and_then(|b| Ok(b.with_inter_threads(device.inter_threads)?))
        .map_err(|e| e.to_string())
}

impl PathSession {
    /// Creates the session for `device` x `model` and checks the model's input
    /// against the preprocessing. Never falls back to CPU silently.
    pub fn create(device: &Device, model: &Model) -> Result<PathSession> {
        PathSession::create_with(device, model, None)
    }

    /// [`PathSession::create`] with ONNX Runtime's profiler on: every inference's
    /// node times go to a file named after `prefix`, read by `end_profile`. A
    /// session of its own: the timed rounds never run with the profiler.
    pub fn create_profiled(device: &Device, model: &Model, prefix: &Path) -> Result<PathSession> {
        PathSession::create_with(device, model, Some(prefix))
    }

    fn create_with(device: &Device, model: &Model, profile: Option<&Path>) -> Result<PathSession> {
        let file = &model.file;
        backend::require_model_file(model)?;
        if let Some(p) = crate::store::lfs::pointer_at(file) {
            return Err(Error::model(
                file,
                format!(
                    "is a Git LFS pointer (object sha256 {}), not a model: run `git lfs pull`",
                    &p.oid[..12]
                ),
            ));
        }
        let started = Instant::now();
        let (mut b, provider) = with_provider(device)?;
        if let Some(prefix) = profile {
            b = b.with_profiling(prefix).map_err(|e| {
                Error::device(
                    &device.name,
                    format!("cannot turn on ONNX Runtime's profiler: {e}"),
                )
            })?;
        }
        let session = b.commit_from_file(file).map_err(|e| {
            Error::model(
                file,
                format!(
                    "ONNX Runtime cannot load this model: {}",
                    one_line(&e.to_string())
                ),
            )
        })?;
        let session_create_ms = started.elapsed().as_secs_f64() * 1e3;
        let shape = model.preprocess.input_shape();
        let input_name = checked_input(&session, model, shape)?;
        let n: usize = shape.iter().product();
        let input = Tensor::from_array((shape.map(|d| d as i64), vec![0.0f32; n]))
            .map_err(|e| Error::model(file, format!("cannot allocate the input tensor: {e}")))?;
        let runtime = match LOADED.get() {
            Some((info, _)) => info.clone(),
            None => return Err(Error::device(&device.name, NOT_LOADED)),
        };
        Ok(PathSession {
            session,
            device: device.name.clone(),
            model: model.name.clone(),
            input_name,
            input,
            shape,
            provider,
            session_create_ms,
            runtime,
            profiling: profile.is_some(),
        })
    }

    /// Replaces the input tensor's data (length must match the shape).
    pub fn set_input(&mut self, data: &[f32]) -> Result<()> {
        let error = |m| inference_error(&self.device, &self.model, m);
        let (_, buf) = self
            .input
            .try_extract_tensor_mut::<f32>()
            .map_err(|e| error(format!("input tensor: {e}")))?;
        if buf.len() != data.len() {
            let (have, want) = (data.len(), buf.len());
            return Err(error(format!(
                "input has {have} values, the model takes {want}"
            )));
        }
        buf.copy_from_slice(data);
        Ok(())
    }

    /// One inference on the current input; the outputs are dropped. This is the
    /// timed unit of work, for `edgeperf run` and the criterion benchmarks alike.
    #[inline]
    pub fn infer(&mut self) -> Result<()> {
        let error = |m| inference_error(&self.device, &self.model, m);
        let outputs = self
            .session
            .run(ort::inputs![self.input_name.as_str() => &self.input])
            .map_err(|e| error(format!("inference failed: {}", one_line(&e.to_string()))))?;
        drop(outputs);
        Ok(())
    }

    /// One inference returning the first output as f32 values (the logits).
    pub fn infer_logits(&mut self) -> Result<Vec<f32>> {
        let error = |m| inference_error(&self.device, &self.model, m);
        let outputs = self
            .session
            .run(ort::inputs![self.input_name.as_str() => &self.input])
            .map_err(|e| error(format!("inference failed: {}", one_line(&e.to_string()))))?;
        let (_, data) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| error(format!("model output is not a float32 tensor: {e}")))?;
        Ok(data.to_vec())
    }

    /// The underlying session, for the bare-ORT comparison benchmark.
    pub fn raw(&mut self) -> (&mut Session, &str, &Tensor<f32>) {
        (&mut self.session, &self.input_name, &self.input)
    }
}

impl Backend for PathSession {
    fn set_input(&mut self, data: &[f32]) -> Result<()> {
        PathSession::set_input(self, data)
    }
    fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        backend::time_calls(n, || self.infer())
    }
    fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)> {
        PathSession::set_input(self, data)?;
        Ok(backend::top_k(&self.infer_logits()?, k))
    }
    fn provider(&self) -> &ProviderOutcome {
        &self.provider
    }
    fn accelerator(&self) -> Option<String> {
        None
    }
    fn session_create_ms(&self) -> f64 {
        self.session_create_ms
    }
    fn library_load_ms(&self) -> Option<f64> {
        None
    }
    fn runtime(&self) -> &RuntimeInfo {
        &self.runtime
    }
    fn end_profile(&mut self) -> std::result::Result<RawProfile, String> {
        if !self.profiling {
            return Err("this session was not created for profiling".into());
        }
        self.profiling = false;
        let file = self.session.end_profiling().map_err(|e| {
            format!(
                "ONNX Runtime's profiler failed: {}",
                one_line(&e.to_string())
            )
        })?;
        let file = PathBuf::from(file);
        let text = crate::fs::read_to_string(&file).map_err(|e| e.to_string());
        let _ = crate::fs::remove_file(&file);
        crate::explain::trace::parse_ort_trace(&text?)
    }
}

/// A session builder with the device's execution provider registered, and what
/// will really run. A provider that cannot register is an error naming the device,
/// unless the device allows the fall back to CPU (which is then recorded).
fn with_provider(device: &Device) -> Result<(SessionBuilder, ProviderOutcome)> {
    let outcome = |ran, fallback_reason| ProviderOutcome {
        requested: device.provider,
        ran,
        fallback_reason,
    };
    let b = builder(device).map_err(|e| Error::device(&device.name, e))?;
    if device.provider == Provider::Cpu {
        return Ok((b, outcome(Provider::Cpu, None)));
    }
    let ep = ep_for(device).ok_or_else(|| {
        Error::device(
            &device.name,
            format!(
                "ONNX Runtime has no {} execution provider (use cpu, openvino, cuda or tensorrt)",
                device.provider
            ),
        )
    })?;
    match b.with_execution_providers([ep]) {
        Ok(b) => Ok((b, outcome(device.provider, None))),
        Err(e) => {
            let reason = one_line(&e.to_string());
            if !device.allow_fallback {
                return Err(Error::device(
                    &device.name,
                    format!("the {} execution provider could not be registered: {reason} (no CPU fallback: set allow_fallback = true for this device to permit it)", device.provider),
                ));
            }
            let b = builder(device).map_err(|e| Error::device(&device.name, e))?;
            Ok((b, outcome(Provider::Cpu, Some(reason))))
        }
    }
}

/// The name of the model input edgeperf feeds (the suite's `input`, else the
/// first), after checking its shape against what the preprocessing makes.
fn checked_input(session: &Session, model: &Model, shape: [usize; 4]) -> Result<String> {
    let file = &model.file;
    let input = match &model.input {
        Some(name) => session
            .inputs()
            .iter()
            .find(|i| i.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = session
                    .inputs()
                    .iter()
                    .map(|i| i.name().to_string())
                    .collect();
                Error::model(
                    file,
                    format!(
                        "model has no input named {name:?} (it has: {}); fix `input` of model {:?}",
                        names.join(", "),
                        model.name
                    ),
                )
            })?,
        None => session
            .inputs()
            .first()
            .ok_or_else(|| Error::model(file, "model has no inputs"))?,
    };
    let input_name = input.name().to_string();
    if let Some(dims) = input.dtype().tensor_shape() {
        let dims: Vec<i64> = dims.iter().copied().collect();
        if !backend::input_fits(&dims, &shape) {
            return Err(Error::model(
                file,
                format!(
                    "input {input_name:?} has shape {dims:?} but the preprocessing of model {:?} makes {shape:?} (check preprocess.crop and layout)",
                    model.name
                ),
            ));
        }
    }
    Ok(input_name)
}

/// An inference error naming its path; built only on failure, so the timed call
/// allocates nothing.
fn inference_error(device: &str, model: &str, message: String) -> Error {
    Error::Inference {
        device: device.to_string(),
        model: model.to_string(),
        message,
    }
}

//! LiteRT (TensorFlow Lite): loading the LiteRT C API library
//! (`libLiteRtRuntimeCApi.so` of the `ai-edge-litert` wheel) at run time,
//! compiling a `.tflite` model for the device's accelerator, and running it.
//!
//! The C API is declared by hand in [`ffi`] (LiteRT 1.4.0's `litert/c/*.h`) and
//! resolved with `libloading`, as `ort::probe_version` does for ONNX Runtime, so
//! one edgeperf binary runs both runtimes and needs neither at build time.
//!
//! What really ran is worked out, never assumed: LiteRT applies every registered
//! accelerator that does not do its own JIT compilation whatever was asked for
//! (its CPU accelerator, XNNPACK, among them), so a model compiled for the GPU on a
//! host without a GPU accelerator runs on the CPU *without an error*. edgeperf
//! compares the accelerators LiteRT applied with the one requested, refuses the
//! silent fall back unless the device allows it (then records it), and records
//! whether every op was delegated (`LiteRtCompiledModelIsFullyAccelerated`).

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use super::ort::ProviderOutcome;
use crate::error::{Error, Result};
use crate::record::RuntimeInfo;
use crate::suite::{Device, Model, Provider, RuntimeKind};

mod ffi;
mod flatbuffer;

use ffi::{
    resolve, Api, Handle, Layout, RankedTensorType, Status, BUFFER_HOST_MEMORY, ELEMENT_FLOAT32,
    HW_CPU, HW_GPU, HW_NPU, LOCK_READ, LOCK_WRITE, STATUS_OK,
};

/// Environment variable naming the LiteRT library when the device has no `runtime`.
pub const LITERT_LIB_ENV: &str = "LITERT_LIB_PATH";

/// An accelerator registered in the LiteRT environment.
#[derive(Debug, Clone)]
struct Accelerator {
    name: String,
    hardware: c_int,
    /// Applied only when its hardware is asked for (else: always applied).
    jit: bool,
}

/// This process's LiteRT: the library, its environment and its accelerators.
struct Loaded {
    info: RuntimeInfo,
    api: Api,
    env: Handle,
    accelerators: Vec<Accelerator>,
}

// SAFETY: the environment handle is created once and only read afterwards; the
// worker measures on one thread, and LiteRT's environment is not tied to the
// thread that created it.
unsafe impl Send for Loaded {}
// SAFETY: as above; `Loaded` is never mutated after it is stored.
unsafe impl Sync for Loaded {}

static LOADED: OnceLock<Loaded> = OnceLock::new();

/// Which LiteRT library a device uses: its `runtime`, then `LITERT_LIB_PATH`.
pub fn library_for(device: &Device) -> Result<PathBuf> {
    if let Some(p) = &device.runtime {
        return Ok(p.clone());
    }
    match std::env::var_os(LITERT_LIB_ENV) {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => Err(Error::device(
            &device.name,
            format!("no LiteRT library: set `runtime` for it in the suite or set {LITERT_LIB_ENV} (scripts/setup.sh installs .edgeperf/runtime/litert-1.4.0/libLiteRtRuntimeCApi.so)"),
        )),
    }
}

/// The version recorded for a LiteRT library: the C API exposes none, so set-up
/// writes the wheel's version into `VERSION` beside the library.
pub fn version_beside(library: &Path) -> String {
    let file = crate::fs::parent_dir(library).join("VERSION");
    match crate::fs::read_to_string(&file) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => "unknown (no VERSION file beside the library)".to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn dlerror(e: &libloading::Error) -> String {
    match std::error::Error::source(e) {
        Some(s) => format!("{e}: {}", one_line(&s.to_string())),
        None => e.to_string(),
    }
}

impl Loaded {
    /// `LiteRtStatus` as its name (`kLiteRtStatusErrorFileIO`).
    fn status(&self, s: Status) -> String {
        // SAFETY: LiteRtGetStatusString returns a static string (or null) for any value.
        let p = unsafe { (self.api.get_status_string)(s) };
        if p.is_null() {
            return format!("LiteRtStatus {s}");
        }
        // SAFETY: non-null, NUL-terminated static string.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    /// The last warning or error LiteRT logged (its log goes to a sink, not to
    /// the worker's stderr), first line only.
    fn last_log(&self) -> Option<String> {
        // SAFETY: the default logger is the sink installed by `load`; size and
        // message calls only read it, and messages are NUL-terminated strings it owns.
        unsafe {
            let logger = (self.api.get_default_logger)();
            let mut n = 0usize;
            if logger.is_null() || (self.api.get_sink_logger_size)(logger, &mut n) != STATUS_OK {
                return None;
            }
            (0..n).rev().find_map(|i| {
                let mut p: *const c_char = std::ptr::null();
                if (self.api.get_sink_logger_message)(logger, i, &mut p) != STATUS_OK || p.is_null()
                {
                    return None;
                }
                let m = CStr::from_ptr(p).to_string_lossy().into_owned();
                (m.starts_with("ERROR") || m.starts_with("WARNING"))
                    .then(|| one_line(m.lines().next().unwrap_or_default()))
            })
        }
    }

    /// A failed call as text: the call, its status and LiteRT's last log line.
    fn failed(&self, call: &str, s: Status) -> String {
        match self.last_log() {
            Some(log) => format!("{call} failed ({}): {log}", self.status(s)),
            None => format!("{call} failed ({})", self.status(s)),
        }
    }
}

/// Loads `path` as this process's LiteRT (idempotent for the same path): the
/// library, its environment, and the list of accelerators it registered.
pub fn load(path: &Path) -> Result<&'static RuntimeInfo> {
    let abs = crate::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some(l) = LOADED.get() {
        if l.info.library == abs {
            return Ok(&l.info);
        }
        return Err(Error::runtime(
            &abs,
            format!(
                "this process already runs LiteRT from {}; one library per process",
                l.info.library.display()
            ),
        ));
    }
    if !crate::fs::exists(&abs) {
        return Err(Error::runtime(
            &abs,
            format!("LiteRT library not found (run scripts/setup.sh, or fix the device's `runtime` / {LITERT_LIB_ENV})"),
        ));
    }
    // SAFETY: loading a shared library runs its initialisers; LiteRT's only
    // register its built-in kernels.
    let lib = unsafe { libloading::Library::new(&abs) }.map_err(|e| {
        Error::runtime(
            &abs,
            format!("cannot load the LiteRT library: {}", dlerror(&e)),
        )
    })?;
    let api = resolve(&lib, &abs)?;
    // Keep the library mapped for the life of the process: the function pointers
    // above point into it.
    std::mem::forget(lib);
    // SAFETY: no arguments; switches LiteRT's default logger to an in-memory sink.
    unsafe { (api.use_sink_logger)() };
    let mut env: Handle = std::ptr::null_mut();
    // SAFETY: zero options (null array is allowed with num_options = 0); env is an out-pointer.
    let s = unsafe { (api.create_environment)(0, std::ptr::null(), &mut env) };
    let mut loaded = Loaded {
        info: RuntimeInfo {
            version: version_beside(&abs),
            library: abs.clone(),
            kind: RuntimeKind::Litert,
            sha256: None,
        },
        api,
        env,
        accelerators: Vec::new(),
    };
    if s != STATUS_OK || env.is_null() {
        return Err(Error::runtime(
            &abs,
            loaded.failed("LiteRtCreateEnvironment", s),
        ));
    }
    loaded.accelerators = accelerators(&loaded);
    let _ = LOADED.set(loaded);
    Ok(&LOADED.get().expect("set above").info)
}

/// The accelerators the environment registered.
fn accelerators(l: &Loaded) -> Vec<Accelerator> {
    let mut out = Vec::new();
    let mut n = 0usize;
    // SAFETY: env is a live environment; out-pointers are valid locals; the name
    // is a NUL-terminated string owned by the accelerator.
    unsafe {
        if (l.api.get_num_accelerators)(l.env, &mut n) != STATUS_OK {
            return out;
        }
        for i in 0..n {
            let mut a: Handle = std::ptr::null_mut();
            if (l.api.get_accelerator)(l.env, i, &mut a) != STATUS_OK || a.is_null() {
                continue;
            }
            let mut name: *const c_char = std::ptr::null();
            let mut hw: c_int = 0;
            let mut jit = false;
            let _ = (l.api.get_accelerator_name)(a, &mut name);
            let _ = (l.api.get_accelerator_hardware_support)(a, &mut hw);
            let _ = (l.api.is_accelerator_jit)(a, &mut jit);
            let name = if name.is_null() {
                format!("accelerator{i}")
            } else {
                CStr::from_ptr(name).to_string_lossy().into_owned()
            };
            out.push(Accelerator {
                name,
                hardware: hw,
                jit,
            });
        }
    }
    out
}

fn hardware_of(p: Provider) -> c_int {
    match p {
        Provider::Gpu => HW_GPU,
        Provider::Npu => HW_NPU,
        _ => HW_CPU,
    }
}

fn provider_of(hw: c_int) -> Provider {
    if hw & HW_NPU != 0 {
        Provider::Npu
    } else if hw & HW_GPU != 0 {
        Provider::Gpu
    } else {
        Provider::Cpu
    }
}

/// What LiteRT will apply when asked for `requested` hardware: every registered
/// accelerator without JIT, and the JIT ones whose hardware was asked for.
fn applied(accelerators: &[Accelerator], requested: c_int) -> Vec<&Accelerator> {
    accelerators
        .iter()
        .filter(|a| !a.jit || a.hardware & requested != 0)
        .collect()
}

/// What really runs a path asked to run on `device.provider`: the provider, and
/// the accelerators applied. A requested GPU/NPU that no applied accelerator
/// provides is an error naming the device, unless it allows the fall back to CPU.
fn plan(device: &Device, accelerators: &[Accelerator]) -> Result<(c_int, ProviderOutcome)> {
    let want = hardware_of(device.provider);
    let names: Vec<&str> = accelerators.iter().map(|a| a.name.as_str()).collect();
    let provides = applied(accelerators, want)
        .iter()
        .any(|a| a.hardware & want != 0);
    if provides || want == HW_CPU {
        return Ok((
            want | HW_CPU,
            ProviderOutcome {
                requested: device.provider,
                ran: device.provider,
                fallback_reason: None,
            },
        ));
    }
    let reason = format!(
        "this LiteRT library registered no {} accelerator (registered: {})",
        device.provider,
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    );
    if !device.allow_fallback {
        return Err(Error::device(
            &device.name,
            format!("{reason}; LiteRT would run the model on the CPU instead (no CPU fallback: set allow_fallback = true for this device to permit it)"),
        ));
    }
    let ran = provider_of(
        applied(accelerators, HW_CPU)
            .iter()
            .fold(0, |h, a| h | a.hardware),
    );
    Ok((
        HW_CPU,
        ProviderOutcome {
            requested: device.provider,
            ran,
            fallback_reason: Some(reason),
        },
    ))
}

/// A compiled `.tflite` model with its input and output buffers.
pub struct LitertSession {
    compiled: Handle,
    model: Handle,
    input: Handle,
    output: Handle,
    input_len: usize,
    output_len: usize,
    device: String,
    model_name: String,
    pub provider: ProviderOutcome,
    /// The accelerators applied and whether every op was delegated.
    pub accelerator: String,
    /// Milliseconds to read the model and compile it (accelerators applied).
    pub session_create_ms: f64,
}

impl Drop for LitertSession {
    fn drop(&mut self) {
        if let Some(l) = LOADED.get() {
            // SAFETY: each handle was created by this library, is destroyed once
            // here, and nothing uses it afterwards (the model after the compiled
            // model); buffers not created yet are null and skipped.
            unsafe {
                for b in [self.input, self.output] {
                    if !b.is_null() {
                        (l.api.destroy_tensor_buffer)(b);
                    }
                }
                (l.api.destroy_compiled_model)(self.compiled);
                (l.api.destroy_model)(self.model);
            }
        }
    }
}

/// Options for `hw` with the CPU accelerator's thread count.
fn options(l: &Loaded, device: &Device, hw: c_int) -> std::result::Result<Handle, String> {
    let mut opts: Handle = std::ptr::null_mut();
    // SAFETY: out-pointers to locals; every handle passed was just created by
    // this library; the opaque CPU options are owned by `opts` once added (and
    // destroyed here if adding fails).
    unsafe {
        let s = (l.api.create_options)(&mut opts);
        if s != STATUS_OK {
            return Err(l.failed("LiteRtCreateOptions", s));
        }
        let s = (l.api.set_options_hardware_accelerators)(opts, hw);
        if s != STATUS_OK {
            (l.api.destroy_options)(opts);
            return Err(l.failed("LiteRtSetOptionsHardwareAccelerators", s));
        }
        let mut opaque: Handle = std::ptr::null_mut();
        let mut cpu: Handle = std::ptr::null_mut();
        let threads = c_int::try_from(device.intra_threads).unwrap_or(c_int::MAX);
        let s = (l.api.create_cpu_options)(&mut opaque);
        if s != STATUS_OK {
            (l.api.destroy_options)(opts);
            return Err(l.failed("LiteRtCreateCpuOptions", s));
        }
        let mut s = (l.api.find_cpu_options)(opaque, &mut cpu);
        if s == STATUS_OK {
            s = (l.api.set_cpu_options_num_thread)(cpu, threads);
        }
        if s == STATUS_OK {
            s = (l.api.add_opaque_options)(opts, opaque);
        }
        if s != STATUS_OK {
            (l.api.destroy_opaque_options)(opaque);
            (l.api.destroy_options)(opts);
            return Err(l.failed("setting the CPU accelerator's thread count", s));
        }
    }
    Ok(opts)
}

/// The single input or output tensor of the model's first signature.
fn tensor(
    l: &Loaded,
    model: Handle,
    input: bool,
) -> std::result::Result<(String, RankedTensorType), String> {
    let what = if input { "input" } else { "output" };
    // SAFETY: `model` is a live model; out-pointers are locals; names are
    // NUL-terminated strings owned by the model.
    unsafe {
        let mut n = 0usize;
        let s = (l.api.get_num_model_signatures)(model, &mut n);
        if s != STATUS_OK || n == 0 {
            return Err("the model has no signature".into());
        }
        let (mut sig, mut sub): (Handle, Handle) = (std::ptr::null_mut(), std::ptr::null_mut());
        let s = (l.api.get_model_signature)(model, 0, &mut sig);
        if s != STATUS_OK {
            return Err(l.failed("LiteRtGetModelSignature", s));
        }
        let s = (l.api.get_signature_subgraph)(sig, &mut sub);
        if s != STATUS_OK {
            return Err(l.failed("LiteRtGetSignatureSubgraph", s));
        }
        let mut count = 0usize;
        let (num, get) = if input {
            (l.api.get_num_subgraph_inputs, l.api.get_subgraph_input)
        } else {
            (l.api.get_num_subgraph_outputs, l.api.get_subgraph_output)
        };
        let _ = num(sub, &mut count);
        if count != 1 {
            return Err(format!(
                "the model has {count} {what}s; edgeperf feeds one image and reads one logits tensor"
            ));
        }
        let mut t: Handle = std::ptr::null_mut();
        let s = get(sub, 0, &mut t);
        if s != STATUS_OK {
            return Err(l.failed(&format!("reading the model's {what}"), s));
        }
        let mut name: *const c_char = std::ptr::null();
        let _ = (l.api.get_tensor_name)(t, &mut name);
        let name = if name.is_null() {
            String::new()
        } else {
            CStr::from_ptr(name).to_string_lossy().into_owned()
        };
        let mut tt = RankedTensorType {
            element_type: 0,
            layout: Layout {
                bits: 0,
                dimensions: [0; 8],
                strides: [0; 8],
            },
        };
        let s = (l.api.get_ranked_tensor_type)(t, &mut tt);
        if s != STATUS_OK {
            return Err(format!("the model's {what} {name:?} has no ranked shape"));
        }
        if tt.element_type != ELEMENT_FLOAT32 {
            return Err(format!(
                "the model's {what} {name:?} is not float32 (element type {}); edgeperf feeds float32 images",
                tt.element_type
            ));
        }
        Ok((name, tt))
    }
}

/// A managed host-memory buffer for a tensor of `tt` with the size the compiled
/// model requires.
fn buffer(
    l: &Loaded,
    compiled: Handle,
    tt: &RankedTensorType,
    input: bool,
    floats: usize,
) -> std::result::Result<Handle, String> {
    // SAFETY: `compiled` is live; the requirements handle is owned by it; `tt`
    // outlives the call; out-pointers are locals.
    unsafe {
        let mut req: Handle = std::ptr::null_mut();
        let get = if input {
            l.api.get_input_requirements
        } else {
            l.api.get_output_requirements
        };
        let s = get(compiled, 0, 0, &mut req);
        if s != STATUS_OK {
            return Err(l.failed("reading the buffer requirements", s));
        }
        let mut size = 0usize;
        let s = (l.api.get_requirements_buffer_size)(req, &mut size);
        if s != STATUS_OK {
            return Err(l.failed("LiteRtGetTensorBufferRequirementsBufferSize", s));
        }
        if size < floats * std::mem::size_of::<f32>() {
            return Err(format!(
                "LiteRT asks for a {size}-byte buffer for a tensor of {floats} float32 values"
            ));
        }
        let mut buf: Handle = std::ptr::null_mut();
        let s = (l.api.create_managed_tensor_buffer)(l.env, BUFFER_HOST_MEMORY, tt, size, &mut buf);
        if s != STATUS_OK {
            return Err(l.failed("LiteRtCreateManagedTensorBuffer", s));
        }
        Ok(buf)
    }
}

/// Refuses files that are not whole TFLite flatbuffers before LiteRT reads
/// them: LiteRT 1.4.0 does not verify a model, so a truncated file crashes the
/// process (SIGSEGV) instead of failing, and its messages go to stderr.
fn check_flatbuffer(file: &Path) -> Result<()> {
    let bytes = crate::fs::read(file)?;
    if bytes.len() < 8 || &bytes[4..8] != b"TFL3" {
        return Err(Error::model(
            file,
            "not a TFLite model (no TFL3 flatbuffer identifier); LiteRT devices run .tflite files",
        ));
    }
    flatbuffer::check_model(&bytes).map_err(|what| {
        Error::model(
            file,
            format!(
                "truncated or corrupt TFLite model ({what} lies outside the file's {} bytes)",
                bytes.len()
            ),
        )
    })
}

impl LitertSession {
    /// Compiles `model` (its `.tflite` file) for `device`'s accelerator with
    /// `intra_threads` CPU threads, checks its input against the preprocessing,
    /// and allocates the input and output buffers.
    pub fn create(device: &Device, model: &Model) -> Result<LitertSession> {
        let l = LOADED
            .get()
            .ok_or_else(|| Error::device(&device.name, "no LiteRT library is loaded yet"))?;
        let file = &model.file;
        crate::engine::session::require_model_file(model)?;
        check_flatbuffer(file)?;
        let (hw, provider) = plan(device, &l.accelerators)?;
        let started = Instant::now();
        let cpath = CString::new(file.as_os_str().as_encoded_bytes())
            .map_err(|_| Error::model(file, "the path holds a NUL byte"))?;
        let mut m: Handle = std::ptr::null_mut();
        // SAFETY: NUL-terminated path; out-pointer to a local.
        let s = unsafe { (l.api.create_model_from_file)(cpath.as_ptr(), &mut m) };
        if s != STATUS_OK || m.is_null() {
            return Err(Error::model(
                file,
                format!(
                    "LiteRT cannot load this model: {}",
                    l.failed("LiteRtCreateModelFromFile", s)
                ),
            ));
        }
        let destroy_model = |m: Handle| {
            // SAFETY: `m` was created above and is not used after this call.
            unsafe { (l.api.destroy_model)(m) }
        };
        let opts = match options(l, device, hw) {
            Ok(o) => o,
            Err(e) => {
                destroy_model(m);
                return Err(Error::device(&device.name, e));
            }
        };
        let mut compiled: Handle = std::ptr::null_mut();
        // SAFETY: env, model and options are live handles; out-pointer to a local.
        // The options are only read during compilation and destroyed right after.
        let s = unsafe { (l.api.create_compiled_model)(l.env, m, opts, &mut compiled) };
        // SAFETY: created by `options` above, no longer used.
        unsafe { (l.api.destroy_options)(opts) };
        if s != STATUS_OK || compiled.is_null() {
            destroy_model(m);
            return Err(Error::model(
                file,
                format!(
                    "LiteRT cannot compile this model for {}: {}",
                    device.provider,
                    l.failed("LiteRtCreateCompiledModel", s)
                ),
            ));
        }
        let session_create_ms = started.elapsed().as_secs_f64() * 1e3;
        let mut full = false;
        // SAFETY: `compiled` is live; out-pointer to a local.
        let _ = unsafe { (l.api.is_fully_accelerated)(compiled, &mut full) };
        let names: Vec<&str> = applied(&l.accelerators, hw)
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        let accelerator = format!(
            "{} ({}), {}",
            provider.ran,
            if names.is_empty() {
                "no accelerator: TFLite built-in kernels".to_string()
            } else {
                names.join(" + ")
            },
            if full {
                "all ops delegated"
            } else {
                "some ops on TFLite's built-in CPU kernels"
            }
        );
        // From here on the session owns the handles (Drop destroys them).
        let mut session = LitertSession {
            compiled,
            model: m,
            input: std::ptr::null_mut(),
            output: std::ptr::null_mut(),
            input_len: 0,
            output_len: 0,
            device: device.name.clone(),
            model_name: model.name.clone(),
            provider,
            accelerator,
            session_create_ms,
        };
        let (in_name, in_type) = tensor(l, m, true).map_err(|e| Error::model(file, e))?;
        let (_, out_type) = tensor(l, m, false).map_err(|e| Error::model(file, e))?;
        let shape = model.preprocess.input_shape();
        let dims = in_type.dims();
        if !crate::engine::session::input_fits(&dims, &shape) {
            return Err(Error::model(
                file,
                format!(
                    "input {in_name:?} has shape {dims:?} but the preprocessing of model {:?} makes {shape:?} (TFLite models are NHWC: set preprocess.layout = \"nhwc\"; check preprocess.crop)",
                    model.name
                ),
            ));
        }
        session.input_len = shape.iter().product();
        session.output_len = out_type.dims().iter().map(|&d| d.max(1) as usize).product();
        session.input = buffer(l, compiled, &in_type, true, session.input_len)
            .map_err(|e| Error::model(file, e))?;
        session.output = buffer(l, compiled, &out_type, false, session.output_len)
            .map_err(|e| Error::model(file, e))?;
        Ok(session)
    }

    fn error(&self, message: String) -> Error {
        Error::Inference {
            device: self.device.clone(),
            model: self.model_name.clone(),
            message,
        }
    }

    /// Copies `data` into the input buffer (length must match the shape).
    pub fn set_input(&mut self, data: &[f32]) -> Result<()> {
        if data.len() != self.input_len {
            return Err(self.error(format!(
                "input has {} values, the model takes {}",
                data.len(),
                self.input_len
            )));
        }
        let l = LOADED.get().expect("a session exists only after load");
        let mut addr: *mut c_void = std::ptr::null_mut();
        // SAFETY: the buffer is live and holds at least input_len f32 (its size
        // comes from the compiled model's requirements for this tensor); the
        // lock gives exclusive host access until unlock.
        unsafe {
            let s = (l.api.lock_tensor_buffer)(self.input, &mut addr, LOCK_WRITE);
            if s != STATUS_OK || addr.is_null() {
                return Err(self.error(l.failed("LiteRtLockTensorBuffer", s)));
            }
            std::ptr::copy_nonoverlapping(data.as_ptr(), addr as *mut f32, data.len());
            (l.api.unlock_tensor_buffer)(self.input);
        }
        Ok(())
    }

    /// One inference on the current input; the timed unit of work.
    #[inline]
    pub fn infer(&mut self) -> Result<()> {
        let l = LOADED.get().expect("a session exists only after load");
        let (mut i, mut o) = (self.input, self.output);
        // SAFETY: compiled model and both buffers are live; one input and one
        // output buffer, passed as one-element arrays.
        let s = unsafe { (l.api.run_compiled_model)(self.compiled, 0, 1, &mut i, 1, &mut o) };
        if s != STATUS_OK {
            return Err(self.error(format!(
                "inference failed: {}",
                l.failed("LiteRtRunCompiledModel", s)
            )));
        }
        Ok(())
    }

    /// One inference returning the output (the logits).
    pub fn infer_logits(&mut self) -> Result<Vec<f32>> {
        self.infer()?;
        let l = LOADED.get().expect("a session exists only after load");
        let mut out = vec![0f32; self.output_len];
        let mut addr: *mut c_void = std::ptr::null_mut();
        // SAFETY: the output buffer is live and holds output_len f32 (the product
        // of the output tensor's dimensions); read-locked while copied.
        unsafe {
            let s = (l.api.lock_tensor_buffer)(self.output, &mut addr, LOCK_READ);
            if s != STATUS_OK || addr.is_null() {
                return Err(self.error(l.failed("LiteRtLockTensorBuffer", s)));
            }
            std::ptr::copy_nonoverlapping(addr as *const f32, out.as_mut_ptr(), out.len());
            (l.api.unlock_tensor_buffer)(self.output);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(provider: Provider, allow_fallback: bool) -> Device {
        let s = crate::suite::Suite::parse(
            Path::new("s.toml"),
            &format!("[[device]]\nname = \"lt\"\nruntime_kind = \"litert\"\nprovider = \"{provider}\"\nallow_fallback = {allow_fallback}\n[[model]]\nname = \"m\"\nfile = \"m.tflite\"\naccuracy = false\npreprocess = {{ resize = 8, crop = 8, layout = \"nhwc\" }}\n"),
            Path::new("."),
        )
        .unwrap();
        s.devices[0].clone()
    }

    fn cpu_only() -> Vec<Accelerator> {
        vec![Accelerator {
            name: "CpuAccelerator".into(),
            hardware: HW_CPU,
            jit: false,
        }]
    }

    #[test]
    fn the_c_structs_have_the_headers_layout() {
        assert_eq!(std::mem::size_of::<Layout>(), 68);
        assert_eq!(std::mem::size_of::<RankedTensorType>(), 72);
        let mut t = RankedTensorType {
            element_type: ELEMENT_FLOAT32,
            layout: Layout {
                bits: 4 | 0x80,
                dimensions: [1, 224, 224, 3, 0, 0, 0, 0],
                strides: [0; 8],
            },
        };
        assert_eq!(t.dims(), vec![1, 224, 224, 3]);
        t.layout.bits = 0;
        assert!(t.dims().is_empty());
    }

    #[test]
    fn cpu_runs_on_the_cpu_accelerator() {
        let (hw, p) = plan(&device(Provider::Cpu, false), &cpu_only()).unwrap();
        assert_eq!(hw, HW_CPU);
        assert_eq!((p.requested, p.ran), (Provider::Cpu, Provider::Cpu));
    }

    #[test]
    fn a_gpu_that_is_not_there_is_an_error_not_a_silent_cpu_run() {
        let e = plan(&device(Provider::Gpu, false), &cpu_only())
            .unwrap_err()
            .one_line();
        assert!(
            e.contains("\"lt\"")
                && e.contains("no gpu accelerator")
                && e.contains("CpuAccelerator")
                && e.contains("allow_fallback"),
            "{e}"
        );
        let (hw, p) = plan(&device(Provider::Gpu, true), &cpu_only()).unwrap();
        assert_eq!(hw, HW_CPU);
        assert_eq!((p.requested, p.ran), (Provider::Gpu, Provider::Cpu));
        assert!(p.fallback_reason.unwrap().contains("no gpu accelerator"));
    }

    #[test]
    fn a_registered_gpu_accelerator_runs_gpu_paths() {
        let mut acc = cpu_only();
        acc.push(Accelerator {
            name: "GpuAccelerator".into(),
            hardware: HW_GPU,
            jit: true,
        });
        let (hw, p) = plan(&device(Provider::Gpu, false), &acc).unwrap();
        assert_eq!(hw, HW_GPU | HW_CPU);
        assert_eq!(p.ran, Provider::Gpu);
        // A JIT accelerator is applied only when its hardware is asked for.
        assert_eq!(applied(&acc, HW_CPU).len(), 1);
        assert_eq!(applied(&acc, HW_GPU | HW_CPU).len(), 2);
    }
}

//! A `.tflite` model compiled by LiteRT for its accelerators, with its input
//! and output buffers: set the input, time inferences, read the logits.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::Path;
use std::time::Instant;

use super::ffi::{
    Handle, Layout, RankedTensorType, BUFFER_HOST_MEMORY, ELEMENT_FLOAT32, LOCK_READ, LOCK_WRITE,
    STATUS_OK,
};
use super::flatbuffer;
use super::loaded::{Loaded, LOADED};
use super::plan::{applied, plan};
use super::profile::{self, Profiler};
use crate::engine::backend::{self, Backend, ProviderOutcome};
use crate::error::{Error, Result};
use crate::explain::profile::RawProfile;
use crate::record::RuntimeInfo;
use crate::suite::{Device, Model, Provider};

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
    /// This process's LiteRT library.
    runtime: RuntimeInfo,
    /// LiteRT's profiler, when created for profiling (dropped after the handles).
    profiler: Option<std::result::Result<Profiler, String>>,
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

/// Reads `file` and compiles it for the accelerators `hw`: the model and the
/// compiled model (the caller owns both; nothing is left behind on an error).
fn compile(l: &Loaded, device: &Device, file: &Path, hw: c_int) -> Result<(Handle, Handle)> {
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
    Ok((m, compiled))
}

/// What ran, as recorded: the provider, the accelerators LiteRT applied, and
/// whether every op was delegated.
fn describe(l: &Loaded, compiled: Handle, hw: c_int, ran: Provider) -> String {
    let mut full = false;
    // SAFETY: `compiled` is live; out-pointer to a local.
    let _ = unsafe { (l.api.is_fully_accelerated)(compiled, &mut full) };
    let names: Vec<&str> = applied(&l.accelerators, hw)
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    format!(
        "{ran} ({}), {}",
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
    )
}

impl LitertSession {
    /// Compiles `model` (its `.tflite` file) for `device`'s accelerator with
    /// `intra_threads` CPU threads, checks its input against the preprocessing,
    /// and allocates the input and output buffers.
    pub fn create(device: &Device, model: &Model) -> Result<LitertSession> {
        LitertSession::create_with(device, model, false)
    }

    /// [`LitertSession::create`] with LiteRT's profiler attached, recording
    /// every inference from the first (read by `end_profile`). A session of its
    /// own: the timed rounds never run with the profiler.
    pub fn create_profiled(device: &Device, model: &Model) -> Result<LitertSession> {
        LitertSession::create_with(device, model, true)
    }

    fn create_with(device: &Device, model: &Model, profiled: bool) -> Result<LitertSession> {
        let l = LOADED
            .get()
            .ok_or_else(|| Error::device(&device.name, "no LiteRT library is loaded yet"))?;
        backend::require_model_file(model)?;
        check_flatbuffer(&model.file)?;
        let (hw, provider) = plan(device, &l.accelerators)?;
        let started = Instant::now();
        let (m, compiled) = compile(l, device, &model.file, hw)?;
        let session_create_ms = started.elapsed().as_secs_f64() * 1e3;
        let accelerator = describe(l, compiled, hw, provider.ran);
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
            runtime: l.info.clone(),
            profiler: None,
        };
        if profiled {
            session.profiler = Some(Profiler::attach(compiled));
        }
        session.attach_buffers(l, model)?;
        Ok(session)
    }

    /// Checks the model's input against the preprocessing and allocates the
    /// input and output buffers.
    fn attach_buffers(&mut self, l: &Loaded, model: &Model) -> Result<()> {
        let file = &model.file;
        let (in_name, in_type) = tensor(l, self.model, true).map_err(|e| Error::model(file, e))?;
        let (_, out_type) = tensor(l, self.model, false).map_err(|e| Error::model(file, e))?;
        let shape = model.preprocess.input_shape();
        let dims = in_type.dims();
        if !backend::input_fits(&dims, &shape) {
            return Err(Error::model(
                file,
                format!(
                    "input {in_name:?} has shape {dims:?} but the preprocessing of model {:?} makes {shape:?} (TFLite models are NHWC: set preprocess.layout = \"nhwc\"; check preprocess.crop)",
                    model.name
                ),
            ));
        }
        self.input_len = shape.iter().product();
        self.output_len = out_type.dims().iter().map(|&d| d.max(1) as usize).product();
        self.input = buffer(l, self.compiled, &in_type, true, self.input_len)
            .map_err(|e| Error::model(file, e))?;
        self.output = buffer(l, self.compiled, &out_type, false, self.output_len)
            .map_err(|e| Error::model(file, e))?;
        Ok(())
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

impl Backend for LitertSession {
    fn set_input(&mut self, data: &[f32]) -> Result<()> {
        LitertSession::set_input(self, data)
    }
    fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        backend::time_calls(n, || self.infer())
    }
    fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)> {
        LitertSession::set_input(self, data)?;
        Ok(backend::top_k(&self.infer_logits()?, k))
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
        None
    }
    fn runtime(&self) -> &RuntimeInfo {
        &self.runtime
    }
    fn end_profile(&mut self) -> std::result::Result<RawProfile, String> {
        match self.profiler.as_mut() {
            None => Err("this session was not created for profiling".into()),
            Some(Err(why)) => Err(why.clone()),
            Some(Ok(p)) => profile::to_raw(&p.events()?, &self.accelerator),
        }
    }
}

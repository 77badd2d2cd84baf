//! This process's LiteRT: the library loaded once, its environment, and the
//! accelerators it registered; LiteRT's status codes and log as error text.

use std::ffi::{c_char, c_int, CStr};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::ffi::{resolve, Api, Handle, Status, STATUS_OK};
use super::plan::Accelerator;
use crate::engine::backend::one_line;
use crate::error::{Error, Result};
use crate::record::RuntimeInfo;
use crate::suite::{Device, RuntimeKind};

/// Environment variable naming the LiteRT library when the device has no `runtime`.
pub const LITERT_LIB_ENV: &str = "LITERT_LIB_PATH";

/// This process's LiteRT: the library, its environment and its accelerators.
pub(super) struct Loaded {
    pub(super) info: RuntimeInfo,
    pub(super) api: Api,
    pub(super) env: Handle,
    pub(super) accelerators: Vec<Accelerator>,
}

// SAFETY: the environment handle is created once and only read afterwards; the
// worker measures on one thread, and LiteRT's environment is not tied to the
// thread that created it.
unsafe impl Send for Loaded {}
// SAFETY: as above; `Loaded` is never mutated after it is stored.
unsafe impl Sync for Loaded {}

pub(super) static LOADED: OnceLock<Loaded> = OnceLock::new();

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
    pub(super) fn failed(&self, call: &str, s: Status) -> String {
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

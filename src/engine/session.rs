//! Which backend runs a device: its runtime library (or runner program), loading
//! that runtime into the worker, its version for `edgeperf env`, and creating a
//! path's session as a [`Backend`]. The one place that knows all three backends;
//! everything after creation goes through the trait.

use std::path::{Path, PathBuf};

use super::backend::Backend;
use super::external::ExternalSession;
use super::litert::LitertSession;
use super::ort::PathSession;
use super::protocol::PathSpec;
use crate::error::{Error, Result};
use crate::store::base_side::RuntimeLibraries;
use crate::suite::{Device, RuntimeKind};

/// The engine's answers about runtime libraries, for the store's lookup of a
/// base side (`store::base_side`): where a device's library is configured, and
/// the version an ONNX Runtime library reports without a session.
pub struct Libraries;

impl RuntimeLibraries for Libraries {
    fn configured(&self, device: &Device) -> Option<PathBuf> {
        library_for(device, None).ok()
    }
    fn version(&self, kind: RuntimeKind, path: &Path) -> Option<String> {
        // Only ONNX Runtime can be asked its version without a session.
        kind.is_onnxruntime()
            .then(|| super::ort::probe_version(path).ok())
            .flatten()
    }
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

/// Creates the session of `side` with the runtime's own per-operator profiler
/// on (read back with [`Backend::end_profile`]); ONNX Runtime writes its profile
/// to a file named after `prefix`. Only for explaining a change: the timed
/// rounds never run a profiled session.
pub fn create_profiled(side: &PathSpec, prefix: &Path) -> Result<Box<dyn Backend>> {
    let (d, m) = (&side.device, &side.model);
    Ok(match d.runtime_kind {
        RuntimeKind::Onnxruntime => Box::new(PathSession::create_profiled(d, m, prefix)?),
        RuntimeKind::Litert => Box::new(LitertSession::create_profiled(d, m)?),
        RuntimeKind::External => Box::new(ExternalSession::create_profiled(d, m)?),
    })
}

/// Creates the session of `side` (its runtime already loaded by [`load_runtime`]).
pub fn create(side: &PathSpec) -> Result<Box<dyn Backend>> {
    let (d, m) = (&side.device, &side.model);
    Ok(match d.runtime_kind {
        RuntimeKind::Onnxruntime => Box::new(PathSession::create(d, m)?),
        RuntimeKind::Litert => Box::new(LitertSession::create(d, m)?),
        RuntimeKind::External => Box::new(ExternalSession::create(d, m)?),
    })
}

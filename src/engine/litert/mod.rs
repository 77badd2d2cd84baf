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
//!
//! Files: `ffi` (the C API declared by hand), `flatbuffer` (bounds checks so a
//! truncated model is an error, not a crash), `loaded` (this process's library,
//! environment and accelerators), `plan` (what really runs a device's model),
//! `session` (a compiled model, timed and classified).

mod ffi;
mod flatbuffer;
mod loaded;
mod plan;
mod profile;
mod session;

pub use loaded::{library_for, load, version_beside, LITERT_LIB_ENV};
pub use session::LitertSession;

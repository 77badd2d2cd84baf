//! The LiteRT C API as edgeperf declares it: the types and functions of LiteRT
//! 1.4.0's `litert/c/*.h` that edgeperf calls, resolved from the library with
//! `libloading` (no headers or bindings at build time).

use std::ffi::{c_char, c_int, c_void};
use std::path::Path;

use crate::error::{Error, Result};

pub(super) type Handle = *mut c_void;
pub(super) type Status = c_int;

pub(super) const STATUS_OK: Status = 0;
pub(super) const HW_CPU: c_int = 1;
pub(super) const HW_GPU: c_int = 2;
pub(super) const HW_NPU: c_int = 4;
pub(super) const ELEMENT_FLOAT32: c_int = 1;
pub(super) const BUFFER_HOST_MEMORY: c_int = 1;
pub(super) const LOCK_READ: c_int = 0;
pub(super) const LOCK_WRITE: c_int = 1;

/// `LiteRtLayout`: `unsigned rank : 7; bool has_strides : 1;` share the first
/// 4-byte unit (GCC / SysV layout), then 8 dimensions and 8 strides.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct Layout {
    pub(super) bits: u32,
    pub(super) dimensions: [i32; 8],
    pub(super) strides: [u32; 8],
}

/// `LiteRtRankedTensorType`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct RankedTensorType {
    pub(super) element_type: c_int,
    pub(super) layout: Layout,
}

impl RankedTensorType {
    pub(super) fn dims(&self) -> Vec<i64> {
        let rank = (self.layout.bits & 0x7f) as usize;
        self.layout.dimensions[..rank.min(8)]
            .iter()
            .map(|&d| d as i64)
            .collect()
    }
}

/// The C functions edgeperf uses, resolved once from the library (which is never
/// unloaded, so the pointers stay valid for the life of the process).
pub(super) struct Api {
    pub(super) create_environment:
        unsafe extern "C" fn(c_int, *const c_void, *mut Handle) -> Status,
    pub(super) get_num_accelerators: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub(super) get_accelerator: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub(super) get_accelerator_name: unsafe extern "C" fn(Handle, *mut *const c_char) -> Status,
    pub(super) get_accelerator_hardware_support: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
    pub(super) is_accelerator_jit: unsafe extern "C" fn(Handle, *mut bool) -> Status,
    pub(super) create_model_from_file: unsafe extern "C" fn(*const c_char, *mut Handle) -> Status,
    pub(super) destroy_model: unsafe extern "C" fn(Handle),
    pub(super) create_options: unsafe extern "C" fn(*mut Handle) -> Status,
    pub(super) destroy_options: unsafe extern "C" fn(Handle),
    pub(super) set_options_hardware_accelerators: unsafe extern "C" fn(Handle, c_int) -> Status,
    pub(super) create_cpu_options: unsafe extern "C" fn(*mut Handle) -> Status,
    pub(super) find_cpu_options: unsafe extern "C" fn(Handle, *mut Handle) -> Status,
    pub(super) set_cpu_options_num_thread: unsafe extern "C" fn(Handle, c_int) -> Status,
    pub(super) add_opaque_options: unsafe extern "C" fn(Handle, Handle) -> Status,
    pub(super) destroy_opaque_options: unsafe extern "C" fn(Handle),
    pub(super) create_compiled_model:
        unsafe extern "C" fn(Handle, Handle, Handle, *mut Handle) -> Status,
    pub(super) destroy_compiled_model: unsafe extern "C" fn(Handle),
    pub(super) is_fully_accelerated: unsafe extern "C" fn(Handle, *mut bool) -> Status,
    pub(super) get_num_model_signatures: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub(super) get_model_signature: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub(super) get_signature_subgraph: unsafe extern "C" fn(Handle, *mut Handle) -> Status,
    pub(super) get_num_subgraph_inputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub(super) get_num_subgraph_outputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub(super) get_subgraph_input: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub(super) get_subgraph_output: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    pub(super) get_tensor_name: unsafe extern "C" fn(Handle, *mut *const c_char) -> Status,
    pub(super) get_ranked_tensor_type:
        unsafe extern "C" fn(Handle, *mut RankedTensorType) -> Status,
    pub(super) get_input_requirements:
        unsafe extern "C" fn(Handle, usize, usize, *mut Handle) -> Status,
    pub(super) get_output_requirements:
        unsafe extern "C" fn(Handle, usize, usize, *mut Handle) -> Status,
    pub(super) get_requirements_buffer_size: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub(super) create_managed_tensor_buffer:
        unsafe extern "C" fn(Handle, c_int, *const RankedTensorType, usize, *mut Handle) -> Status,
    pub(super) destroy_tensor_buffer: unsafe extern "C" fn(Handle),
    pub(super) lock_tensor_buffer: unsafe extern "C" fn(Handle, *mut *mut c_void, c_int) -> Status,
    pub(super) unlock_tensor_buffer: unsafe extern "C" fn(Handle) -> Status,
    pub(super) run_compiled_model:
        unsafe extern "C" fn(Handle, usize, usize, *mut Handle, usize, *mut Handle) -> Status,
    pub(super) get_status_string: unsafe extern "C" fn(Status) -> *const c_char,
    pub(super) use_sink_logger: unsafe extern "C" fn() -> Status,
    pub(super) get_default_logger: unsafe extern "C" fn() -> Handle,
    pub(super) get_sink_logger_size: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    pub(super) get_sink_logger_message:
        unsafe extern "C" fn(Handle, usize, *mut *const c_char) -> Status,
}

/// Resolves every function of [`Api`]; the first missing one names the library
/// as "not a LiteRT C API library".
pub(super) fn resolve(lib: &libloading::Library, path: &Path) -> Result<Api> {
    macro_rules! sym {
        ($name:literal) => {{
            // SAFETY: each symbol is declared with the signature of LiteRT 1.4.0's
            // C header for that name (litert/c/*.h).
            let s = unsafe { lib.get(concat!($name, "\0").as_bytes()) }.map_err(|_| {
                Error::runtime(
                    path,
                    format!("not a LiteRT C API library (no {} symbol)", $name),
                )
            })?;
            *s
        }};
    }
    Ok(Api {
        create_environment: sym!("LiteRtCreateEnvironment"),
        get_num_accelerators: sym!("LiteRtGetNumAccelerators"),
        get_accelerator: sym!("LiteRtGetAccelerator"),
        get_accelerator_name: sym!("LiteRtGetAcceleratorName"),
        get_accelerator_hardware_support: sym!("LiteRtGetAcceleratorHardwareSupport"),
        is_accelerator_jit: sym!("LiteRtIsAcceleratorDelegateResponsibleForJitCompilation"),
        create_model_from_file: sym!("LiteRtCreateModelFromFile"),
        destroy_model: sym!("LiteRtDestroyModel"),
        create_options: sym!("LiteRtCreateOptions"),
        destroy_options: sym!("LiteRtDestroyOptions"),
        set_options_hardware_accelerators: sym!("LiteRtSetOptionsHardwareAccelerators"),
        create_cpu_options: sym!("LiteRtCreateCpuOptions"),
        find_cpu_options: sym!("LiteRtFindCpuOptions"),
        set_cpu_options_num_thread: sym!("LiteRtSetCpuOptionsNumThread"),
        add_opaque_options: sym!("LiteRtAddOpaqueOptions"),
        destroy_opaque_options: sym!("LiteRtDestroyOpaqueOptions"),
        create_compiled_model: sym!("LiteRtCreateCompiledModel"),
        destroy_compiled_model: sym!("LiteRtDestroyCompiledModel"),
        is_fully_accelerated: sym!("LiteRtCompiledModelIsFullyAccelerated"),
        get_num_model_signatures: sym!("LiteRtGetNumModelSignatures"),
        get_model_signature: sym!("LiteRtGetModelSignature"),
        get_signature_subgraph: sym!("LiteRtGetSignatureSubgraph"),
        get_num_subgraph_inputs: sym!("LiteRtGetNumSubgraphInputs"),
        get_num_subgraph_outputs: sym!("LiteRtGetNumSubgraphOutputs"),
        get_subgraph_input: sym!("LiteRtGetSubgraphInput"),
        get_subgraph_output: sym!("LiteRtGetSubgraphOutput"),
        get_tensor_name: sym!("LiteRtGetTensorName"),
        get_ranked_tensor_type: sym!("LiteRtGetRankedTensorType"),
        get_input_requirements: sym!("LiteRtGetCompiledModelInputBufferRequirements"),
        get_output_requirements: sym!("LiteRtGetCompiledModelOutputBufferRequirements"),
        get_requirements_buffer_size: sym!("LiteRtGetTensorBufferRequirementsBufferSize"),
        create_managed_tensor_buffer: sym!("LiteRtCreateManagedTensorBuffer"),
        destroy_tensor_buffer: sym!("LiteRtDestroyTensorBuffer"),
        lock_tensor_buffer: sym!("LiteRtLockTensorBuffer"),
        unlock_tensor_buffer: sym!("LiteRtUnlockTensorBuffer"),
        run_compiled_model: sym!("LiteRtRunCompiledModel"),
        get_status_string: sym!("LiteRtGetStatusString"),
        use_sink_logger: sym!("LiteRtUseSinkLogger"),
        get_default_logger: sym!("LiteRtGetDefaultLogger"),
        get_sink_logger_size: sym!("LiteRtGetSinkLoggerSize"),
        get_sink_logger_message: sym!("LiteRtGetSinkLoggerMessage"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

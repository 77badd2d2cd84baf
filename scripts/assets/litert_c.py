"""Minimal ctypes binding of the LiteRT C API (libLiteRtRuntimeCApi.so of ai-edge-litert 1.4.0).

The same calls edgeperf's Rust adapter (src/engine/litert.rs) makes: environment, model from
file, compilation options with the CPU accelerator and its thread count, compiled model,
managed host-memory tensor buffers, run. Used at set-up to check the converted .tflite models
against ONNX Runtime through the very library edgeperf loads.

  m = CompiledModel(lib_path, "m.tflite", threads=1)
  logits = m.run(x)            # x: float32 array of the input's shape (NHWC)
"""
import ctypes as C

import numpy as np

CPU = 1  # kLiteRtHwAcceleratorCpu
FLOAT32 = 1  # kLiteRtElementTypeFloat32 (= kTfLiteFloat32)
HOST_MEMORY = 1  # kLiteRtTensorBufferTypeHostMemory
LOCK_READ, LOCK_WRITE = 0, 1


class Layout(C.Structure):
    # unsigned rank:7 + bool has_strides:1 share the first 4-byte unit (GCC/SysV).
    _fields_ = [("bits", C.c_uint32), ("dimensions", C.c_int32 * 8), ("strides", C.c_uint32 * 8)]


class RankedTensorType(C.Structure):
    _fields_ = [("element_type", C.c_int), ("layout", Layout)]


assert C.sizeof(RankedTensorType) == 72


class LiteRtError(RuntimeError):
    pass


class Lib:
    def __init__(self, path):
        self.dll = C.CDLL(path)
        self.dll.LiteRtUseSinkLogger()  # LiteRT's INFO lines stay out of the set-up log

    def __call__(self, name, *args):
        status = getattr(self.dll, name)(*args)
        if status != 0:
            raise LiteRtError(f"{name} failed with LiteRtStatus {status}")


class CompiledModel:
    def __init__(self, lib_path, model_path, threads=1):
        self.lib = lib = Lib(lib_path)
        p = C.c_void_p
        self.env, self.model, self.opts, self.compiled = p(), p(), p(), p()
        lib("LiteRtCreateEnvironment", C.c_int(0), None, C.byref(self.env))
        lib("LiteRtCreateModelFromFile", str(model_path).encode(), C.byref(self.model))
        lib("LiteRtCreateOptions", C.byref(self.opts))
        lib("LiteRtSetOptionsHardwareAccelerators", self.opts, C.c_int(CPU))
        opaque, cpu = p(), p()
        lib("LiteRtCreateCpuOptions", C.byref(opaque))
        lib("LiteRtFindCpuOptions", opaque, C.byref(cpu))
        lib("LiteRtSetCpuOptionsNumThread", cpu, C.c_int(threads))
        lib("LiteRtAddOpaqueOptions", self.opts, opaque)
        lib("LiteRtCreateCompiledModel", self.env, self.model, self.opts, C.byref(self.compiled))
        sig, sub = p(), p()
        lib("LiteRtGetModelSignature", self.model, C.c_size_t(0), C.byref(sig))
        lib("LiteRtGetSignatureSubgraph", sig, C.byref(sub))
        self.inp, self.in_shape = self._buffer(sub, "LiteRtGetSubgraphInput", "LiteRtGetCompiledModelInputBufferRequirements")
        self.out, self.out_shape = self._buffer(sub, "LiteRtGetSubgraphOutput", "LiteRtGetCompiledModelOutputBufferRequirements")
        full = C.c_bool()
        lib("LiteRtCompiledModelIsFullyAccelerated", self.compiled, C.byref(full))
        self.fully_accelerated = bool(full.value)

    def _buffer(self, sub, get_tensor, get_req):
        lib, p = self.lib, C.c_void_p
        t, req, buf = p(), p(), p()
        lib(get_tensor, sub, C.c_size_t(0), C.byref(t))
        tt = RankedTensorType()
        lib("LiteRtGetRankedTensorType", t, C.byref(tt))
        if tt.element_type != FLOAT32:
            raise LiteRtError(f"tensor element type {tt.element_type} is not float32")
        rank = tt.layout.bits & 0x7F
        shape = tuple(tt.layout.dimensions[i] for i in range(rank))
        lib(get_req, self.compiled, C.c_size_t(0), C.c_size_t(0), C.byref(req))
        size = C.c_size_t()
        lib("LiteRtGetTensorBufferRequirementsBufferSize", req, C.byref(size))
        lib("LiteRtCreateManagedTensorBuffer", self.env, C.c_int(HOST_MEMORY), C.byref(tt), size, C.byref(buf))
        return buf, shape

    def run(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape != self.in_shape:
            raise LiteRtError(f"input shape {x.shape} != model input {self.in_shape}")
        lib, addr = self.lib, C.c_void_p()
        lib("LiteRtLockTensorBuffer", self.inp, C.byref(addr), C.c_int(LOCK_WRITE))
        C.memmove(addr, x.ctypes.data, x.nbytes)
        lib("LiteRtUnlockTensorBuffer", self.inp)
        ins, outs = (C.c_void_p * 1)(self.inp), (C.c_void_p * 1)(self.out)
        lib("LiteRtRunCompiledModel", self.compiled, C.c_size_t(0), C.c_size_t(1), ins, C.c_size_t(1), outs)
        n = int(np.prod(self.out_shape))
        y = np.empty(n, np.float32)
        lib("LiteRtLockTensorBuffer", self.out, C.byref(addr), C.c_int(LOCK_READ))
        C.memmove(y.ctypes.data, addr, y.nbytes)
        lib("LiteRtUnlockTensorBuffer", self.out)
        return y

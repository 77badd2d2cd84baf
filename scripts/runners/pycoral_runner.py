#!/usr/bin/env python3
"""edgeperf external runner: a Coral Edge TPU through pycoral / tflite_runtime (Coral boards).

NOT RUNNABLE ON edgeperf's development machine: it needs a Coral device (USB Accelerator, Dev
Board, M.2/PCIe module), the Edge TPU runtime `libedgetpu.so.1` (Debian package
`libedgetpu1-std` from Coral's apt repository) and `pycoral` + `tflite_runtime` (Coral's
Python wheels). PyPI's `pycoral` is an unrelated package ("Simple CLI for Allen Coral Atlas"):
install Coral's own wheels as their documentation says.

The Edge TPU runs fully int8-quantised .tflite models compiled with `edgetpu_compiler`
(`model_edgetpu.tflite`); give the model entry that file as `tflite` (or `file`) and set
`model_format = "tflite"`. Ops the compiler could not map run on the board's CPU: the runner
reports "edgetpu" only when the interpreter holds an Edge TPU custom op, else "cpu" (edgeperf
refuses that unless the device allows the fall back).

    [[device]]
    name = "coral-tpu"
    runtime_kind = "external"
    command = ["python3", "scripts/runners/pycoral_runner.py"]
    model_format = "tflite"
    provider = "edgetpu"
    options = { device = "usb" }     # pycoral device string: "usb", "pci", "usb:0", ...

    [[model]]
    name = "mobilenet_v2_edgetpu"
    file = "models/mobilenet_v2_int8_edgetpu.tflite"
    preprocess = { resize = 256, crop = 224, interpolation = "bilinear", divisor = 255,
                   mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225], layout = "nhwc" }

Inputs arrive as float32 (edgeperf's preprocessing); the runner quantises them with the input
tensor's scale and zero point before `set_tensor`, and dequantises the output for `classify`.
The timed call is `interpreter.invoke()` on the pre-set quantised input.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from edgeperf_runner import serve  # noqa: E402

try:
    from pycoral.utils import edgetpu  # noqa: E402
    import tflite_runtime  # noqa: E402
except ImportError as e:  # said once, on stderr, before the hello edgeperf waits for
    print(f"pycoral_runner: {e} (install Coral's pycoral and tflite_runtime wheels)", file=sys.stderr)
    sys.exit(3)


def quantize(x, detail):
    scale, zero = detail["quantization"]
    if scale == 0:
        return x.astype(detail["dtype"])
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])


def dequantize(y, detail):
    scale, zero = detail["quantization"]
    return y.astype(np.float32) if scale == 0 else (y.astype(np.float32) - zero) * scale


class Model:
    def __init__(self, req):
        if req["format"] != "tflite":
            raise ValueError("the Edge TPU runs .tflite models (set model_format = \"tflite\")")
        opts = req.get("options") or {}
        want = req["accelerator"]
        if want == "edgetpu":
            self.interp = edgetpu.make_interpreter(req["model"], device=opts.get("device"))
        else:
            from tflite_runtime.interpreter import Interpreter

            self.interp = Interpreter(req["model"], num_threads=int(req["threads"]["intra"]))
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]
        ops = {d.get("op_name", "") for d in self.interp._get_ops_details()} if hasattr(self.interp, "_get_ops_details") else set()
        on_tpu = any("edgetpu" in o.lower() for o in ops)
        self.accelerator = "edgetpu" if on_tpu else "cpu"
        self.detail = (f"Edge TPU ({opts.get('device') or 'first device'}), tflite_runtime {tflite_runtime.__version__}"
                       if on_tpu else f"tflite_runtime {tflite_runtime.__version__} CPU")

    def _set(self, x):
        if tuple(self.inp["shape"]) != tuple(x.shape):
            raise ValueError(f"the model takes {tuple(self.inp['shape'])}, edgeperf sends {tuple(x.shape)}")
        self.interp.set_tensor(self.inp["index"], quantize(x, self.inp))

    def set_input(self, x):
        self._set(x)

    def infer(self):
        self.interp.invoke()

    def logits(self, x):
        self._set(x)
        self.interp.invoke()
        return dequantize(self.interp.get_tensor(self.out["index"]), self.out).reshape(-1)


if __name__ == "__main__":
    serve("tflite_runtime+edgetpu", tflite_runtime.__version__, Model)

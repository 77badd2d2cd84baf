#!/usr/bin/env python3
"""edgeperf external runner: plain PyTorch (eager mode), on CUDA when asked for and present.

The 2019 benchmark ran its desktop GPU row through plain PyTorch; this runner does the same for
edgeperf's models. It builds the network from the ONNX file edgeperf hands it (the operators
scripts/assets/build_onnx.py emits: Conv, Clip, Relu, Add, Mul, Sigmoid, MaxPool,
GlobalAveragePool, Flatten, Gemm) as torch.nn.functional calls on torch tensors, so no
converter and no TorchScript are needed; any other operator is refused by name.

    [[device]]
    name = "gpu-pytorch"
    runtime_kind = "external"
    command = ["python3", "scripts/runners/pytorch_runner.py"]   # a Python with torch and onnx
    provider = "cuda"                 # or "cpu"
    intra_threads = 1                 # torch.set_num_threads (CPU)
    options = { fp16 = false }        # true: half precision on CUDA

Timing: one forward pass on the pre-set input; on CUDA each timed call ends with
torch.cuda.synchronize(), so the time is the device's, not the launch's. It reports "cuda" only
when the model really sits on a CUDA device, so a CUDA request on a machine without one comes
back as "cpu" (refused by edgeperf unless the device allows the fall back).
Needs: torch (any 1.13+), onnx, numpy.  Debian: apt install python3-torch python3-onnx.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from onnx import numpy_helper  # noqa: E402

from edgeperf_runner import serve  # noqa: E402


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def torch_pads(pads):
    """ONNX [h_begin, w_begin, h_end, w_end] -> F.pad's (w_begin, w_end, h_begin, h_end)."""
    hb, wb, he, we = pads
    return (wb, we, hb, he)


class Graph:
    """An ONNX graph run op by op with torch.nn.functional (inference only)."""

    def __init__(self, path, device, dtype):
        m = onnx.load(path)
        g = m.graph
        self.inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()).to(device) for t in g.initializer}
        for k, v in self.inits.items():
            if v.is_floating_point():
                self.inits[k] = v.to(dtype)
        self.nodes = list(g.node)
        self.input = [i.name for i in g.input if i.name not in self.inits][0]
        self.output = g.output[0].name
        for n in self.nodes:
            if n.op_type not in OPS:
                raise ValueError(f"ONNX operator {n.op_type} ({n.name}) is not supported by pytorch_runner.py")

    def __call__(self, x):
        env = dict(self.inits)
        env[self.input] = x
        for n in self.nodes:
            env[n.output[0]] = OPS[n.op_type](n, [env[i] if i else None for i in n.input], attrs(n))
        return env[self.output]


def conv(n, xs, a):
    x, w = xs[0], xs[1]
    b = xs[2] if len(xs) > 2 else None
    pads = a.get("pads", [0, 0, 0, 0])
    hb, wb, he, we = pads
    if hb == he and wb == we:
        return F.conv2d(x, w, b, stride=a.get("strides", [1, 1]), padding=(hb, wb), groups=a.get("group", 1))
    return F.conv2d(F.pad(x, torch_pads(pads)), w, b, stride=a.get("strides", [1, 1]), groups=a.get("group", 1))


def maxpool(n, xs, a):
    x = F.pad(xs[0], torch_pads(a.get("pads", [0, 0, 0, 0])), value=float("-inf"))
    return F.max_pool2d(x, a["kernel_shape"], a.get("strides", a["kernel_shape"]))


def gemm(n, xs, a):
    x, w, b = xs
    if a.get("transB", 0) != 1:
        raise ValueError("only Gemm with transB=1")
    return F.linear(x, w, b)


def clip(n, xs, a):
    lo = float(xs[1]) if len(xs) > 1 and xs[1] is not None else None
    hi = float(xs[2]) if len(xs) > 2 and xs[2] is not None else None
    return torch.clamp(xs[0], lo, hi)


OPS = {
    "Conv": conv,
    "Clip": clip,
    "Relu": lambda n, xs, a: F.relu(xs[0]),
    "Add": lambda n, xs, a: xs[0] + xs[1],
    "Mul": lambda n, xs, a: xs[0] * xs[1],
    "Sigmoid": lambda n, xs, a: torch.sigmoid(xs[0]),
    "MaxPool": maxpool,
    "GlobalAveragePool": lambda n, xs, a: xs[0].mean(dim=(2, 3), keepdim=True),
    "Flatten": lambda n, xs, a: torch.flatten(xs[0], a.get("axis", 1)),
    "Gemm": gemm,
}


class Model:
    def __init__(self, req):
        if req["format"] != "onnx":
            raise ValueError(f"this runner builds the network from ONNX files, not {req['format']}")
        if req["input"]["layout"] != "nchw":
            raise ValueError("PyTorch models take NCHW input (set preprocess.layout = \"nchw\")")
        want = req["accelerator"]
        if want not in ("cpu", "cuda"):
            raise ValueError(f"this runner runs on cpu or cuda, not {want!r}")
        torch.set_num_threads(int(req["threads"]["intra"]))
        opts = req.get("options") or {}
        cuda = want == "cuda" and torch.cuda.is_available()
        self.device = torch.device("cuda") if cuda else torch.device("cpu")
        self.dtype = torch.float16 if (cuda and str(opts.get("fp16", "false")).lower() == "true") else torch.float32
        self.graph = Graph(req["model"], self.device, self.dtype)
        self.accelerator = "cuda" if cuda else "cpu"
        if cuda:
            self.detail = f"torch {torch.__version__} eager on {torch.cuda.get_device_name(0)} ({self.dtype})"
        else:
            self.detail = f"torch {torch.__version__} eager on CPU ({self.dtype}, {torch.get_num_threads()} threads)"
        self.sync = torch.cuda.synchronize if cuda else (lambda: None)
        self.x = None

    def _tensor(self, x):
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device, self.dtype)

    def set_input(self, x):
        self.x = self._tensor(x)
        self.sync()

    def infer(self):
        with torch.inference_mode():
            self.graph(self.x)
        self.sync()

    def logits(self, x):
        with torch.inference_mode():
            y = self.graph(self._tensor(x))
        return y.float().cpu().numpy().reshape(-1)


if __name__ == "__main__":
    serve("torch", torch.__version__, Model)

#!/usr/bin/env python3
"""edgeperf external runner: ONNX models through Python onnxruntime (the reference runner).

Suite entry (edgeperf.toml has it as `python-ort`):

    [[device]]
    name = "python-ort"
    runtime_kind = "external"
    command = [".edgeperf/venv/bin/python", "scripts/runners/onnxruntime_runner.py"]
    provider = "cpu"                  # cpu | cuda | tensorrt | openvino (the EP asked for)
    intra_threads = 1
    inter_threads = 1
    options = { }                     # passed to the execution provider as provider options

It reports the execution provider that really runs the session (`get_providers()[0]`), so a
CUDA request on a machine without CUDA comes back as "cpu" and edgeperf refuses it unless the
device allows the fall back. The timed call is `InferenceSession.run` on a pre-built feed,
the same unit edgeperf's native ONNX Runtime path times.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from edgeperf_runner import serve  # noqa: E402

EP = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
}
BACK = {v: k for k, v in EP.items()}


class Model:
    def __init__(self, req):
        if req["format"] != "onnx":
            raise ValueError(f"this runner runs ONNX models, not {req['format']}")
        want = req["accelerator"]
        if want not in EP:
            raise ValueError(f"no onnxruntime execution provider for {want!r} (use {', '.join(EP)})")
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(req["threads"]["intra"])
        so.inter_op_num_threads = int(req["threads"]["inter"])
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = [(EP[want], dict(req.get("options") or {}))]
        if want != "cpu":
            providers.append("CPUExecutionProvider")
        self.session = ort.InferenceSession(req["model"], so, providers=providers)
        ran = self.session.get_providers()[0]
        self.accelerator = BACK.get(ran, "cpu")
        self.detail = f"onnxruntime {ort.__version__} {ran}"
        inputs = self.session.get_inputs()
        name = req["input"].get("name") or inputs[0].name
        if name not in [i.name for i in inputs]:
            raise ValueError(f"the model has no input {name!r} (it has {', '.join(i.name for i in inputs)})")
        self.name = name
        self.feed = None

    def set_input(self, x):
        self.feed = {self.name: np.ascontiguousarray(x, dtype=np.float32)}

    def infer(self):
        self.session.run(None, self.feed)

    def logits(self, x):
        return self.session.run(None, {self.name: np.ascontiguousarray(x, dtype=np.float32)})[0]


if __name__ == "__main__":
    serve("onnxruntime", ort.__version__, Model)

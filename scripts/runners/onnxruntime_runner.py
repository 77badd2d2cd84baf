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

Profiles (`edgeperf explain`): a `load` with `"profile": true` turns on onnxruntime's own
profiler for that session; `profile` returns its node times per inference, read from the
Chrome-trace file onnxruntime writes (the file is removed afterwards).
"""
import bisect
import json
import os
import sys
import tempfile

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
        self.profile_dir = None
        if req.get("profile"):
            self.profile_dir = tempfile.mkdtemp(prefix="edgeperf-runner-profile-")
            so.enable_profiling = True
            so.profile_file_prefix = os.path.join(self.profile_dir, "ort")
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

    def end_profile(self):
        if self.profile_dir is None:
            raise ValueError("this model was not loaded with \"profile\": true")
        path = self.session.end_profiling()
        try:
            with open(path) as f:
                events = json.load(f)
        finally:
            os.remove(path)
            os.rmdir(self.profile_dir)
            self.profile_dir = None
        return trace_to_profile(events)


def shapes(args):
    def one(key):
        return ", ".join(f"{t}[{','.join(str(d) for d in dims)}]"
                         for item in args.get(key, []) for t, dims in item.items())
    ins, outs = one("input_type_shape"), one("output_type_shape")
    return f"{ins} -> {outs}" if ins or outs else ""


def trace_to_profile(events):
    """onnxruntime's Chrome trace as the protocol's profile: each model_run an inference,
    each "<node>_kernel_time" event a node time inside the inference whose window holds it."""
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                  if e.get("cat") == "Session" and e.get("name") == "model_run")
    nodes, index, times = [], {}, [[] for _ in runs]
    starts = [r[0] for r in runs]
    for e in sorted((e for e in events if e.get("cat") == "Node"
                     and e.get("name", "").endswith("_kernel_time")), key=lambda e: e["ts"]):
        k = bisect.bisect_right(starts, e["ts"]) - 1
        if k < 0 or e["ts"] > runs[k][1]:
            continue
        name = e["name"][: -len("_kernel_time")]
        if name not in index:
            args = e.get("args", {})
            index[name] = len(nodes)
            nodes.append({"name": name, "op": args.get("op_name", "?"),
                          "provider": args.get("provider", "?"), "shapes": shapes(args)})
        row = times[k]
        i = index[name]
        row.extend([0.0] * (i + 1 - len(row)))
        row[i] += e["dur"] / 1e3
    return {"nodes": nodes,
            "runs": [{"total_ms": (end - start) / 1e3, "ms": row + [0.0] * (len(nodes) - len(row))}
                     for (start, end), row in zip(runs, times)]}


if __name__ == "__main__":
    serve("onnxruntime", ort.__version__, Model)

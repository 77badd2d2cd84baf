"""The edgeperf external-runner protocol, version 1 (docs/EXTERNAL_RUNNERS.md), for Python runners.

A runner only has to say how to load a model and run it; `serve` speaks the protocol:

    class MyModel:
        accelerator = "cpu"            # what really runs it: cpu, gpu, npu, cuda, tensorrt, openvino, edgetpu
        detail = "MyRuntime CPU"       # free text, recorded
        def __init__(self, request): ...          # the `load` request (model path, input shape, ...)
        def set_input(self, x): ...               # x: float32 numpy array of the input shape
        def infer(self): ...                      # ONE inference on the current input (the timed call)
        def logits(self, x): ...                  # the model's output for x, as a 1-D float array
        def end_profile(self): ...                # optional: the runtime's per-operator profile

    serve("myruntime", "1.2.3", MyModel)

A class with `end_profile` makes the hello offer profiles (`"profile": true`): a `load` with
`"profile": true` (edgeperf explain) must then turn the runtime's profiler on (`request["profile"]`),
and `end_profile` returns {"nodes": [{"name", "op", "provider", "shapes"}], "runs": [{"total_ms",
"ms": [one time per node]}]} for every inference since the load (docs/EXTERNAL_RUNNERS.md).

Only protocol lines go to stdout; log to stderr. The runner exits on `bye` or end of input.
Every `time` reply carries the runner's own peak resident memory (`peak_rss_mb`), which
edgeperf records and judges as the path's memory.
"""
import json
import resource
import sys
import time

import numpy as np

PROTOCOL = 1


def read_input(path, shape):
    """The raw little-endian float32 file edgeperf wrote, as an array of `shape`."""
    x = np.fromfile(path, dtype="<f4")
    want = int(np.prod(shape))
    if x.size != want:
        raise ValueError(f"{path} holds {x.size} float32 values, the input shape {shape} needs {want}")
    return x.reshape(shape)


def top_k(scores, k):
    """Indices of the k largest scores, best first; ties keep the lower index first, NaN last."""
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    s = np.where(np.isnan(s), -np.inf, s)
    return np.argsort(-s, kind="stable")[:k].tolist()


def peak_rss_mb():
    """This process's peak resident memory (VmHWM), MiB: `ru_maxrss` is in KiB on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def serve(runtime, version, model_class, stdin=None, stdout=None):
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout

    def send(obj):
        stdout.write(json.dumps(obj) + "\n")
        stdout.flush()

    hello = {"edgeperf_runner": PROTOCOL, "runtime": runtime, "version": version}
    if hasattr(model_class, "end_profile"):
        hello["profile"] = True
    send(hello)
    models = {}
    for line in stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req.get("op")
        if op == "bye":
            break
        try:
            if op == "load":
                t = time.perf_counter()
                m = model_class(req)
                load_ms = (time.perf_counter() - t) * 1e3
                m.shape = tuple(req["input"]["shape"])
                models[req["id"]] = m
                send({"op": op, "ok": True, "accelerator": m.accelerator, "detail": m.detail, "load_ms": load_ms})
                continue
            m = models[req["id"]]
            if op == "input":
                m.set_input(read_input(req["path"], m.shape))
                send({"op": op, "ok": True})
            elif op == "time":
                ms = []
                for _ in range(int(req["n"])):
                    t = time.perf_counter()
                    m.infer()
                    ms.append((time.perf_counter() - t) * 1e3)
                send({"op": op, "ok": True, "ms": ms, "peak_rss_mb": peak_rss_mb()})
            elif op == "profile":
                profile = m.end_profile()
                send({"op": op, "ok": True, "nodes": profile["nodes"], "runs": profile["runs"]})
            elif op == "classify":
                scores = np.asarray(m.logits(read_input(req["path"], m.shape))).reshape(-1)
                send({"op": op, "ok": True, "classes": int(scores.size), "top": top_k(scores, int(req["k"]))})
            else:
                send({"op": op, "ok": False, "error": f"unknown op {op!r}"})
        except Exception as e:  # one line back to edgeperf, which names the device and the line
            msg = " ".join(f"{type(e).__name__}: {e}".split())
            send({"op": op, "ok": False, "error": msg})

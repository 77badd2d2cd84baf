"""Time single-image onnxruntime inference from Python (baseline for the Rust comparison).

  python bench_python.py MODEL.onnx [--threads 1] [-n 200] [--warmup 20] [--seed 0]

Input: random float32 of the model's (static) input shape, fixed seed.  Session: CPU EP,
intra_op = inter_op = threads, sequential execution, full graph optimisation.  Prints one JSON
object on stdout with p50/p90/p99/mean/min/max in milliseconds.
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("-n", "--iterations", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = a.threads
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    x = np.random.default_rng(a.seed).standard_normal(shape, dtype=np.float32)
    feeds = {inp.name: x}
    outs = [o.name for o in sess.get_outputs()]

    for _ in range(a.warmup):
        sess.run(outs, feeds)
    times = np.empty(a.iterations, dtype=np.float64)
    for i in range(a.iterations):
        t0 = time.perf_counter_ns()
        sess.run(outs, feeds)
        times[i] = (time.perf_counter_ns() - t0) / 1e6

    def pct(p):
        return round(float(np.percentile(times, p)), 4)

    print(json.dumps({
        "runtime": "onnxruntime-python",
        "onnxruntime_version": ort.__version__,
        "model": os.path.basename(a.model),
        "input": {"name": inp.name, "shape": shape},
        "threads": a.threads,
        "iterations": a.iterations,
        "warmup": a.warmup,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "mean_ms": round(float(times.mean()), 4),
        "min_ms": round(float(times.min()), 4),
        "max_ms": round(float(times.max()), 4),
    }))


if __name__ == "__main__":
    main()

"""Make a genuinely slower copy of an ONNX classifier whose outputs are bitwise identical.

  python slow_variant.py IN.onnx OUT.onnx --blocks N [--verify-samples DIR]   # deterministic build
  python slow_variant.py IN.onnx OUT.onnx --factor 1.05 [-n 2000]              # calibrate N, then build
  python slow_variant.py --measure A.onnx B.onnx [C.onnx ...] [-n 2000] [--blocks-per-side 10]
  python slow_variant.py --check-equal ORIG.onnx VARIANT.onnx [...] --verify-samples DIR

The trick (a "dead" side chain that ONNX Runtime cannot prove dead):

    w_0 = Relu(Conv3x3(input, W0, stride 8, pad 1))    [1,16,S/8,S/8]  W0 = 1/(9*3) everywhere
    w_k = Relu(Conv3x3(w_{k-1}, W, pad 1))   k=1..N    [1,16,S/8,S/8]  W  = 1/(9*16) everywhere
    s   = Mul(Abs(ReduceMax(w_N)), -0.0)               scalar
    x'  = Add(input, s)                                fed to every consumer of `input`

* s is -0.0 for every finite input: each weight tensor sums to 1 over an output's receptive
  field and there is no bias, so |w_k| <= max|input| (no overflow, no NaN); Abs gives +0 or a
  positive finite number, and (+0 or +finite) * (-0.0) == -0.0 in IEEE 754.
* x + (-0.0) == x bit for bit for every float x, including +0.0, -0.0, Inf and NaN (adding +0.0
  would turn -0.0 into +0.0), so every consumer of the input, hence every output, is bitwise
  unchanged.  --verify-samples / --check-equal check this on real photos (bytes of every output).
* ONNX Runtime cannot remove the chain: constant folding needs all inputs constant (`input` is
  not), and it has no algebraic `x * 0 -> 0` rewrite (it would be wrong for Inf/NaN).  So the
  stem and all N blocks (Conv+Relu fused into NCHWc convs at ORT_ENABLE_ALL) really run, before
  the original graph starts (its input depends on s).  --check-optimized saves ORT's optimised
  graph and asserts that the N+1 chain convs are still there.

N is the knob: the stem (+ Add/ReduceMax) is a fixed cost (~2% of mobilenet_v2, 1 thread) and
each block costs the same (~0.5% of mobilenet_v2), so extra latency is about linear in N.
mobilenet_v2: --blocks 6 ~ +5%, --blocks 16 ~ +11% (setup-assets.sh's slow5 / slow11).
A build with --blocks N is deterministic (no timing involved; same bytes on every run with the
pinned onnx).  --factor F measures the base model, the stem-only variant and a --probe-block
variant on this machine (interleaved, see --measure), fits a line, picks N, writes OUT and
prints the measured ratio; the chosen N depends on the machine, so setup-assets.sh uses fixed
--blocks values found this way.

--measure: one process, CPU EP, intra = inter = 1 thread, sequential, ORT_ENABLE_ALL, same
fixed-seed random input for all.  -n timed inferences per model, in --blocks-per-side blocks run
in alternating order (A..A B..B, then B..B A..A, ...) so that load drift from other processes hits
every model alike; each model runs back to back inside its block (after 10 untimed runs), i.e.
warm, as in a benchmark loop.  (Interleaving inference by inference is NOT used: a model that
runs right after another one runs with a cold cache, and a model that happens to run twice in a
row gets a fast mode, which skews p10 by several percent.)  Prints p10 / p50 per block and the
ratio of each model to the first (median over blocks, and pooled over all inferences).

--at output adds s to every graph output instead of the input (same cost, same bitwise identity).
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PREFIX = "slowvar_"
CHANNELS = 16  # width of the chain (the AVX-512 NCHWc block size)
STRIDE = 8  # stem stride: the blocks run at S/8 x S/8 (~0.5% of mobilenet_v2 each)


def make_slow(model, blocks, at="input", channels=CHANNELS, stride=STRIDE):
    g = model.graph
    if len(g.input) != 1:
        raise SystemExit("slow_variant: expected exactly one graph input")
    inp = g.input[0]
    name = inp.name
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    if len(dims) != 4 or min(dims) <= 0 or inp.type.tensor_type.elem_type != TensorProto.FLOAT:
        raise SystemExit(f"slow_variant: expected a static float32 NCHW input, got {dims}")
    c = dims[1]
    if any(n.name.startswith(PREFIX) for n in g.node) or any(i.name.startswith(PREFIX) for i in g.initializer):
        raise SystemExit("slow_variant: model already has a slow_variant chain")

    outs = [o.name for o in g.output]
    if name in outs:
        raise SystemExit("slow_variant: the input is also a graph output")
    if at == "input":  # every consumer of the input now reads input + (-0.0)
        ren = {name: PREFIX + "input_plus_zero"}
        targets = [(name, ren[name])]
    else:  # every graph output becomes (its old value) + (-0.0)
        ren = {o: PREFIX + o + "_pre" for o in outs}
        targets = [(ren[o], o) for o in outs]
    for n in g.node:
        for lst in ((n.input,) if at == "input" else (n.input, n.output)):
            for i, x in enumerate(lst):
                if x in ren:
                    lst[i] = ren[x]
    w0 = np.full((channels, c, 3, 3), 1.0 / (9 * c), np.float32)
    w = np.full((channels, channels, 3, 3), 1.0 / (9 * channels), np.float32)
    inits = [numpy_helper.from_array(w0, PREFIX + "w0"), numpy_helper.from_array(np.array(-0.0, np.float32), PREFIX + "neg_zero")]
    if blocks:
        inits.append(numpy_helper.from_array(w, PREFIX + "w"))
    nodes = [helper.make_node("Conv", [name, PREFIX + "w0"], [PREFIX + "stem"], name=PREFIX + "stem",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride]),
             helper.make_node("Relu", [PREFIX + "stem"], [PREFIX + "stem_relu"], name=PREFIX + "stem_relu")]
    cur = PREFIX + "stem_relu"
    for k in range(blocks):
        conv, relu = f"{PREFIX}conv{k}", f"{PREFIX}relu{k}"
        nodes.append(helper.make_node("Conv", [cur, PREFIX + "w"], [conv], name=conv,
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]))
        nodes.append(helper.make_node("Relu", [conv], [relu], name=relu))
        cur = relu
    nodes += [
        helper.make_node("ReduceMax", [cur], [PREFIX + "max"], name=PREFIX + "max", keepdims=0),
        helper.make_node("Abs", [PREFIX + "max"], [PREFIX + "abs"], name=PREFIX + "abs"),
        helper.make_node("Mul", [PREFIX + "abs", PREFIX + "neg_zero"], [PREFIX + "zero"], name=PREFIX + "zero"),
    ]
    nodes_after = [helper.make_node("Add", [src, PREFIX + "zero"], [dst], name=f"{PREFIX}add{i}")
                   for i, (src, dst) in enumerate(targets)]
    old = list(g.node)
    del g.node[:]
    g.node.extend(nodes + old + nodes_after if at == "output" else nodes + nodes_after + old)
    g.initializer.extend(inits)
    model.doc_string = (f"slow_variant.py: stem + {blocks} dead Conv3x3+Relu blocks ({channels} ch, "
                        f"1/{stride} resolution) on the input, added to the {at} as "
                        "Mul(Abs(ReduceMax), -0.0); outputs bitwise identical")
    onnx.checker.check_model(model)
    return model


def build(src, dst, blocks, at="input", stride=STRIDE):
    m = make_slow(onnx.load(src), blocks, at, stride=stride)
    tmp = dst + ".tmp"
    onnx.save_model(m, tmp)
    os.replace(tmp, dst)


def session(path, optimized_out=None):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if optimized_out:
        so.optimized_model_filepath = optimized_out
        so.log_severity_level = 3  # the "hardware specific optimizations" warning is expected here
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def check_optimized(path, blocks):
    """Assert that ORT's optimised graph still contains the N convolutions of the chain."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "opt.onnx")
        session(path, out)
        g = onnx.load(out).graph
    convs = [n for n in g.node if n.name.startswith(PREFIX) and n.op_type in ("Conv", "FusedConv")]
    if len(convs) != blocks + 1:
        raise SystemExit(f"slow_variant: ORT's optimised graph keeps {len(convs)} of the {blocks + 1} chain convs")
    print(f"optimised graph keeps all {blocks + 1} chain convs ({sorted({n.op_type for n in convs})})", file=sys.stderr)


def verify_samples(orig, variant, samples):
    """Bitwise comparison of the logits on every photo under SAMPLES (mobilenet_v2 preprocessing)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from verify import MODELS, list_samples, preprocess
    a, b = session(orig), session(variant)
    size = a.get_inputs()[0].shape[2]
    pre = next(v[:4] for v in MODELS.values() if v[1] == size)
    n = 0
    for _, key, path in list_samples(samples):
        x = preprocess(path, *pre)
        la = a.run(None, {a.get_inputs()[0].name: x})
        lb = b.run(None, {b.get_inputs()[0].name: x})
        for ya, yb in zip(la, lb):
            if ya.dtype != yb.dtype or ya.shape != yb.shape or ya.tobytes() != yb.tobytes():
                raise SystemExit(f"slow_variant: outputs differ on {key} (max abs diff "
                                 f"{float(np.max(np.abs(ya.astype(np.float64) - yb))):.3g})")
        n += 1
    if n == 0:
        raise SystemExit(f"slow_variant: no photos under {samples}")
    print(f"bitwise equal outputs on {n} photos: {os.path.basename(variant)} == {os.path.basename(orig)}",
          file=sys.stderr)
    return n


def measure(paths, n=2000, blocks=10, warmup=50, settle=10, seed=0, quiet=False):
    """Interleaved latency of several models in one process; returns ratios to paths[0]."""
    sess = [session(p) for p in paths]
    shape = [d if isinstance(d, int) else 1 for d in sess[0].get_inputs()[0].shape]
    x = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
    feeds = [{s.get_inputs()[0].name: x} for s in sess]
    for s, f in zip(sess, feeds):
        for _ in range(warmup):
            s.run(None, f)
    per = max(1, n // blocks)
    times = [[] for _ in paths]
    for b in range(blocks):
        order = list(range(len(paths))) if b % 2 == 0 else list(reversed(range(len(paths))))
        for i in order:  # A A A .. B B B .. | .. B B B A A A: each model runs back to back (warm, as in a benchmark)
            s, f = sess[i], feeds[i]
            for _ in range(settle):
                s.run(None, f)
            t = np.empty(per)
            for j in range(per):
                t0 = time.perf_counter_ns()
                s.run(None, f)
                t[j] = (time.perf_counter_ns() - t0) / 1e6
            times[i].append(t)
    names = [os.path.basename(p) for p in paths]
    res = {"inferences_per_model": per * blocks, "blocks": blocks, "models": {}}
    for i, nm in enumerate(names):
        p10 = [float(np.percentile(t, 10)) for t in times[i]]
        p50 = [float(np.percentile(t, 50)) for t in times[i]]
        allt = np.concatenate(times[i])
        res["models"][nm] = {"p10_ms_blocks": [round(v, 4) for v in p10], "p50_ms_blocks": [round(v, 4) for v in p50],
                             "p10_ms": round(float(np.percentile(allt, 10)), 4),
                             "p50_ms": round(float(np.percentile(allt, 50)), 4)}
        if i:
            r10 = [v / w for v, w in zip(p10, res["models"][names[0]]["p10_ms_blocks"])]
            r50 = [v / w for v, w in zip(p50, res["models"][names[0]]["p50_ms_blocks"])]
            res["models"][nm].update({
                "ratio_p10_median_of_blocks": round(float(np.median(r10)), 4),
                "ratio_p50_median_of_blocks": round(float(np.median(r50)), 4),
                "ratio_p10_blocks": [round(v, 4) for v in r10], "ratio_p50_blocks": [round(v, 4) for v in r50],
                "ratio_p10_pooled": round(res["models"][nm]["p10_ms"] / res["models"][names[0]]["p10_ms"], 4),
                "ratio_p50_pooled": round(res["models"][nm]["p50_ms"] / res["models"][names[0]]["p50_ms"], 4),
            })
    if not quiet:
        print(json.dumps(res, indent=1))
    return res


def calibrate(src, dst, factor, n, probe):
    """Measure base, stem-only and probe variants, fit extra(N) = a + b*N, build N, measure it."""
    with tempfile.TemporaryDirectory() as d:
        p0, pk = os.path.join(d, "stem.onnx"), os.path.join(d, "probe.onnx")
        build(src, p0, 0)
        build(src, pk, probe)
        r = measure([src, p0, pk], n=max(400, n // 2), quiet=True)["models"]
    ext = {k: (r[f]["ratio_p10_median_of_blocks"] + r[f]["ratio_p50_median_of_blocks"]) / 2 - 1
           for k, f in ((0, "stem.onnx"), (probe, "probe.onnx"))}
    per_block = (ext[probe] - ext[0]) / probe
    if per_block <= 0:
        raise SystemExit(f"slow_variant: probe with {probe} blocks is not slower than the stem; too noisy?")
    blocks = max(0, int(round((factor - 1 - ext[0]) / per_block)))
    print(f"calibrate: stem {ext[0]:+.2%}, {per_block:.3%}/block -> --blocks {blocks}", file=sys.stderr)
    build(src, dst, blocks)
    res = measure([src, dst], n=n, quiet=True)
    out = res["models"][os.path.basename(dst)]
    print(json.dumps({"blocks": blocks, "inferences_per_model": res["inferences_per_model"],
                      **{k: v for k, v in out.items() if "median" in k or "pooled" in k}}))
    return blocks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="IN.onnx OUT.onnx, or the models to compare with --measure")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--blocks", type=int, help="number of dead Conv3x3+Relu blocks (deterministic build)")
    g.add_argument("--factor", type=float, help="target latency ratio; calibrates --blocks on this machine")
    g.add_argument("--measure", action="store_true", help="interleaved latency comparison of the given models")
    g.add_argument("--check-equal", action="store_true",
                   help="ORIG.onnx VARIANT.onnx ...: only the bitwise check against ORIG (needs --verify-samples)")
    ap.add_argument("-n", type=int, default=2000, help="inferences per model for --measure / --factor")
    ap.add_argument("--blocks-per-side", type=int, default=10, help="interleaving blocks for --measure")
    ap.add_argument("--probe", type=int, default=16, help="--factor: blocks of the probe variant")
    ap.add_argument("--stride", type=int, default=STRIDE, help="stem stride (chain resolution S/stride)")
    ap.add_argument("--at", choices=("input", "output"), default="input",
                    help="where the -0.0 is added: to the input (chain runs first) or to every output")
    ap.add_argument("--verify-samples", help="directory of photos: assert bitwise equal outputs")
    ap.add_argument("--check-optimized", action="store_true", help="assert ORT keeps the chain")
    a = ap.parse_args()

    if a.measure:
        measure(a.paths, n=a.n, blocks=a.blocks_per_side)
        return
    if a.check_equal:
        if not a.verify_samples or len(a.paths) < 2:
            ap.error("--check-equal needs ORIG.onnx VARIANT.onnx ... and --verify-samples DIR")
        for v in a.paths[1:]:
            verify_samples(a.paths[0], v, a.verify_samples)
        return
    if len(a.paths) != 2:
        ap.error("expected IN.onnx OUT.onnx")
    src, dst = a.paths
    if a.blocks is not None:
        if a.blocks < 0:
            ap.error("--blocks must be >= 0")
        build(src, dst, a.blocks, a.at, a.stride)
        blocks = a.blocks
    else:
        blocks = calibrate(src, dst, a.factor, a.n, a.probe)
    if a.check_optimized:
        check_optimized(dst, blocks)
    if a.verify_samples:
        verify_samples(src, dst, a.verify_samples)


if __name__ == "__main__":
    main()

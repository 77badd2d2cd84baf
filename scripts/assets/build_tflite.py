"""Convert edgeperf's ONNX models (build_onnx.py) to TFLite flatbuffers, without TensorFlow.

The flatbuffer is written with the TFLite schema's generated object API
(`schema_py_generated.py`, shipped in the ai-edge-litert wheel) and the `flatbuffers` package.
Only the operators build_onnx.py emits are handled; anything else is refused by name.

  ONNX (NCHW)                          TFLite (NHWC, float32)
  Conv group=1                         CONV_2D, filter OHWI
  Conv group=C=in=out                  DEPTHWISE_CONV_2D, filter 1HWC, depth multiplier 1
  Clip(0, 6) / Relu after Conv or Add  fused RELU6 / RELU (standalone: RELU6 / RELU ops)
  Add, Mul, Sigmoid                    ADD, MUL, LOGISTIC
  MaxPool                              MAX_POOL_2D
  GlobalAveragePool                    MEAN over H, W (keep_dims)
  Flatten                              RESHAPE [1, C]
  Gemm (transB=1)                      FULLY_CONNECTED (weights [out, in])

Padding: ONNX pads are explicit; TFLite has SAME (extra pixel at the end) and VALID. A pad
that equals SAME for that input size becomes SAME; zero pads become VALID; anything else
(PyTorch's symmetric pad on a stride-2 conv of an even-sized input) becomes an explicit PAD
op followed by a VALID op. Batch norm is already folded into the ONNX convs.

Input "input" [1,S,S,3] float32 NHWC, output "logits" [1,1000] float32, one signature
"serving_default". Buffers are 16-byte aligned.

  python build_tflite.py --schema schema_py_generated.py --onnx M.onnx --out M.tflite
"""
import argparse
import importlib.util
import math
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
SIGNATURE = "serving_default"
ALIGN = 16


def load_schema(path):
    spec = importlib.util.spec_from_file_location("tflite_schema", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Converter:
    def __init__(self, schema, model):
        self.s = schema
        self.g = model.graph
        self.inits = {t.name: numpy_helper.to_array(t) for t in self.g.initializer}
        self.tensors = []  # TensorT
        self.buffers = [self._buffer(None)]  # buffer 0: the empty sentinel
        self.ops = []
        self.opcodes = {}  # builtin code -> index
        self.names = {}  # onnx tensor name -> tflite tensor index
        self.shapes = {}  # tflite tensor index -> NHWC shape
        self.consumers = {}
        for n in self.g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.fused = set()  # names of activation nodes folded into their producer
        self.relu_out = set()  # tflite tensors known to be >= 0

    # ------------------------------------------------------------- flatbuffer objects
    def _buffer(self, arr):
        b = self.s.BufferT()
        if arr is not None:
            b.data = np.frombuffer(np.ascontiguousarray(arr).tobytes(), dtype=np.uint8)
        return b

    def tensor(self, name, shape, data=None, dtype=np.float32):
        t = self.s.TensorT()
        t.name = name
        t.shape = [int(d) for d in shape]
        t.type = {np.float32: self.s.TensorType.FLOAT32, np.int32: self.s.TensorType.INT32}[dtype]
        if data is not None:
            data = np.array(data, dtype=dtype, order="C")
            assert tuple(data.shape) == tuple(shape), (name, data.shape, shape)
            self.buffers.append(self._buffer(data))
            t.buffer = len(self.buffers) - 1
        else:
            self.buffers.append(self._buffer(None))
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        idx = len(self.tensors) - 1
        self.shapes[idx] = tuple(t.shape)
        return idx

    def opcode(self, code):
        if code not in self.opcodes:
            oc = self.s.OperatorCodeT()
            oc.builtinCode = code
            oc.deprecatedBuiltinCode = min(code, 127)
            oc.version = 1
            self.opcodes[code] = oc
        return list(self.opcodes).index(code)

    def op(self, code, inputs, outputs, opt_type=0, opts=None):
        o = self.s.OperatorT()
        o.opcodeIndex = self.opcode(code)
        o.inputs = list(inputs)
        o.outputs = list(outputs)
        o.builtinOptionsType = opt_type
        o.builtinOptions = opts
        self.ops.append(o)

    # ------------------------------------------------------------- helpers
    def attrs(self, node):
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def single_consumer(self, name, op_types):
        """The activation node that alone consumes `name`, if it is one of op_types."""
        cs = self.consumers.get(name, [])
        if len(cs) == 1 and cs[0].op_type in op_types and name not in [o.name for o in self.g.output]:
            c = cs[0]
            if c.op_type == "Clip" and not self.is_relu6(c):
                return None
            return c
        return None

    def is_relu6(self, clip):
        def bound(i, default):
            if len(clip.input) > i and clip.input[i]:
                return float(np.asarray(self.inits[clip.input[i]]).reshape(-1)[0])
            return default

        lo, hi = bound(1, -math.inf), bound(2, math.inf)
        return lo == 0.0 and hi == 6.0

    def activation_after(self, out_name):
        """(fused activation, name of the tensor the fused op produces)."""
        A = self.s.ActivationFunctionType
        c = self.single_consumer(out_name, ("Clip", "Relu"))
        if c is None:
            return A.NONE, out_name
        self.fused.add(c.name)
        return (A.RELU6 if c.op_type == "Clip" else A.RELU), c.output[0]

    def padding(self, in_hw, k, s, pads):
        """('SAME'|'VALID', explicit pads or None) for ONNX pads [hb, wb, he, we]."""
        hb, wb, he, we = pads
        if not any(pads):
            return "VALID", None
        same = []
        for size, kk, ss in zip(in_hw, k, s):
            out = math.ceil(size / ss)
            total = max((out - 1) * ss + kk - size, 0)
            same.append((total // 2, total - total // 2))
        if same[0] == (hb, he) and same[1] == (wb, we):
            return "SAME", None
        return "VALID", ((hb, he), (wb, we))

    def explicit_pad(self, x, pads, name, for_max=False):
        """PAD (zeros) before x; PADV2 with the lowest float before a max pool over values
        that may be negative."""
        (hb, he), (wb, we) = pads
        n, h, w, c = self.shapes[x]
        p = self.tensor(name + "_paddings", [4, 2], np.array([[0, 0], [hb, he], [wb, we], [0, 0]], np.int32), np.int32)
        y = self.tensor(name + "_padded", [n, h + hb + he, w + wb + we, c])
        if not for_max or x in self.relu_out:
            self.op(self.s.BuiltinOperator.PAD, [x, p], [y], self.s.BuiltinOptions.PadOptions, self.s.PadOptionsT())
        else:
            v = self.tensor(name + "_padvalue", [], np.array(np.finfo(np.float32).min, np.float32))
            self.op(self.s.BuiltinOperator.PADV2, [x, p, v], [y], self.s.BuiltinOptions.PadV2Options, self.s.PadV2OptionsT())
        if x in self.relu_out:
            self.relu_out.add(y)
        return y

    # ------------------------------------------------------------- operators
    def conv(self, n):
        s, A = self.s, self.s.ActivationFunctionType
        a = self.attrs(n)
        x = self.names[n.input[0]]
        w = self.inits[n.input[1]].astype(np.float32)
        b = self.inits[n.input[2]].astype(np.float32) if len(n.input) > 2 else np.zeros(w.shape[0], np.float32)
        o, ipg, kh, kw = w.shape
        group = a.get("group", 1)
        stride = a.get("strides", [1, 1])
        if a.get("dilations", [1, 1]) != [1, 1]:
            raise SystemExit(f"{n.name}: dilated convolutions are not supported")
        _, h, wd, cin = self.shapes[x]
        mode, explicit = self.padding((h, wd), (kh, kw), stride, a.get("pads", [0, 0, 0, 0]))
        if explicit:
            x = self.explicit_pad(x, explicit, n.name)
            _, h, wd, cin = self.shapes[x]
        if mode == "SAME":
            oh, ow = math.ceil(h / stride[0]), math.ceil(wd / stride[1])
        else:
            oh, ow = (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1
        act, out_name = self.activation_after(n.output[0])
        pad = s.Padding.SAME if mode == "SAME" else s.Padding.VALID
        bias = self.tensor(n.name + "_bias", [o], b)
        y = self.tensor(out_name, [1, oh, ow, o])
        if group == 1:
            filt = self.tensor(n.name + "_filter", [o, kh, kw, ipg], w.transpose(0, 2, 3, 1))
            opts = s.Conv2DOptionsT()
            opts.padding, opts.strideH, opts.strideW = pad, stride[0], stride[1]
            opts.fusedActivationFunction = act
            opts.dilationHFactor = opts.dilationWFactor = 1
            self.op(s.BuiltinOperator.CONV_2D, [x, filt, bias], [y], s.BuiltinOptions.Conv2DOptions, opts)
        elif group == cin == o and ipg == 1:
            filt = self.tensor(n.name + "_filter", [1, kh, kw, o], w.transpose(1, 2, 3, 0))
            opts = s.DepthwiseConv2DOptionsT()
            opts.padding, opts.strideH, opts.strideW = pad, stride[0], stride[1]
            opts.depthMultiplier = 1
            opts.fusedActivationFunction = act
            opts.dilationHFactor = opts.dilationWFactor = 1
            self.op(s.BuiltinOperator.DEPTHWISE_CONV_2D, [x, filt, bias], [y], s.BuiltinOptions.DepthwiseConv2DOptions, opts)
        else:
            raise SystemExit(f"{n.name}: grouped convolution with group={group} is not supported")
        if act != A.NONE:
            self.relu_out.add(y)
        self.names[out_name] = y

    def binary(self, n, code, opt_type, opts_cls):
        a, b = self.names[n.input[0]], self.names[n.input[1]]
        act, out_name = self.activation_after(n.output[0]) if n.op_type == "Add" else (self.s.ActivationFunctionType.NONE, n.output[0])
        sa, sb = self.shapes[a], self.shapes[b]
        shape = tuple(max(p, q) for p, q in zip(sa, sb))
        y = self.tensor(out_name, shape)
        opts = opts_cls()
        opts.fusedActivationFunction = act
        self.op(code, [a, b], [y], opt_type, opts)
        if act != self.s.ActivationFunctionType.NONE:
            self.relu_out.add(y)
        self.names[out_name] = y

    def unary(self, n, code):
        x = self.names[n.input[0]]
        y = self.tensor(n.output[0], self.shapes[x])
        self.op(code, [x], [y])
        if code in (self.s.BuiltinOperator.RELU, self.s.BuiltinOperator.RELU6):
            self.relu_out.add(y)
        self.names[n.output[0]] = y

    def maxpool(self, n):
        s = self.s
        a = self.attrs(n)
        x = self.names[n.input[0]]
        kh, kw = a["kernel_shape"]
        stride = a.get("strides", [1, 1])
        _, h, w, c = self.shapes[x]
        mode, explicit = self.padding((h, w), (kh, kw), stride, a.get("pads", [0, 0, 0, 0]))
        if explicit:
            x = self.explicit_pad(x, explicit, n.name, for_max=True)
            _, h, w, c = self.shapes[x]
        if mode == "SAME":
            oh, ow = math.ceil(h / stride[0]), math.ceil(w / stride[1])
        else:
            oh, ow = (h - kh) // stride[0] + 1, (w - kw) // stride[1] + 1
        y = self.tensor(n.output[0], [1, oh, ow, c])
        opts = s.Pool2DOptionsT()
        opts.padding = s.Padding.SAME if mode == "SAME" else s.Padding.VALID
        opts.strideH, opts.strideW = stride
        opts.filterHeight, opts.filterWidth = kh, kw
        self.op(s.BuiltinOperator.MAX_POOL_2D, [x], [y], s.BuiltinOptions.Pool2DOptions, opts)
        if x in self.relu_out:
            self.relu_out.add(y)
        self.names[n.output[0]] = y

    def gap(self, n):
        s = self.s
        x = self.names[n.input[0]]
        _, h, w, c = self.shapes[x]
        axes = self.tensor(n.name + "_axes", [2], np.array([1, 2], np.int32), np.int32)
        y = self.tensor(n.output[0], [1, 1, 1, c])
        opts = s.ReducerOptionsT()
        opts.keepDims = True
        self.op(s.BuiltinOperator.MEAN, [x, axes], [y], s.BuiltinOptions.ReducerOptions, opts)
        self.names[n.output[0]] = y

    def flatten(self, n):
        s = self.s
        x = self.names[n.input[0]]
        shape = self.shapes[x]
        if any(d != 1 for d in shape[1:3]):
            raise SystemExit(f"{n.name}: Flatten of a map larger than 1x1 would need NCHW order")
        size = int(np.prod(shape[1:]))
        new = self.tensor(n.name + "_shape", [2], np.array([1, size], np.int32), np.int32)
        y = self.tensor(n.output[0], [1, size])
        opts = s.ReshapeOptionsT()
        opts.newShape = [1, size]
        self.op(s.BuiltinOperator.RESHAPE, [x, new], [y], s.BuiltinOptions.ReshapeOptions, opts)
        self.names[n.output[0]] = y

    def gemm(self, n):
        s = self.s
        a = self.attrs(n)
        if a.get("transB", 0) != 1 or a.get("transA", 0) != 0 or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise SystemExit(f"{n.name}: only Gemm with transB=1, alpha=beta=1 is supported")
        x = self.names[n.input[0]]
        w = self.inits[n.input[1]].astype(np.float32)
        b = self.inits[n.input[2]].astype(np.float32)
        wt = self.tensor(n.name + "_weights", list(w.shape), w)
        bt = self.tensor(n.name + "_bias", [w.shape[0]], b)
        y = self.tensor(n.output[0], [1, w.shape[0]])
        opts = s.FullyConnectedOptionsT()
        opts.fusedActivationFunction = s.ActivationFunctionType.NONE
        self.op(s.BuiltinOperator.FULLY_CONNECTED, [x, wt, bt], [y], s.BuiltinOptions.FullyConnectedOptions, opts)
        self.names[n.output[0]] = y

    # ------------------------------------------------------------- int8 (post-training, full integer)
    def quantize(self, x, y, ranges):
        """Makes the float graph fully int8: activations per-tensor asymmetric int8 from the
        calibration `ranges` ({onnx tensor name: (min, max)}), conv weights per-channel
        symmetric int8, fully-connected weights per-tensor symmetric int8, biases int32 at
        input scale x weight scale. A QUANTIZE op takes the float input, a DEQUANTIZE op
        gives float logits, so edgeperf feeds and reads the model as the float one."""
        s, B = self.s, self.s.BuiltinOperator
        T = s.TensorType
        codes = list(self.opcodes)
        params = {}  # tflite tensor -> (scale, zero point)

        def act(lo, hi):
            lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
            scale = max((hi - lo) / 255.0, 1e-8)
            zp = int(np.clip(round(-128 - lo / scale), -128, 127))
            return scale, zp

        for onnx_name, idx in self.names.items():
            if onnx_name in ranges:
                params[idx] = act(*ranges[onnx_name])
        for o in self.ops:  # ops whose output must carry its input's parameters
            if codes[o.opcodeIndex] in (B.PAD, B.PADV2, B.RESHAPE):
                params[o.outputs[0]] = params[o.inputs[0]]
        missing = [self.tensors[i].name for i in range(len(self.tensors))
                   if self.tensors[i].type == T.FLOAT32 and self.buffers[self.tensors[i].buffer].data is None
                   and i not in params]
        if missing:
            raise SystemExit(f"int8: no calibration range for {missing[:5]}")

        def qparams(scales, zps, dim=0):
            q = s.QuantizationParametersT()
            q.scale, q.zeroPoint, q.quantizedDimension = [float(v) for v in scales], [int(v) for v in zps], dim
            return q

        def floats(idx):
            return np.frombuffer(self.buffers[self.tensors[idx].buffer].data.tobytes(), np.float32).reshape(
                self.tensors[idx].shape)

        def store(idx, arr, ttype, q):
            self.buffers[self.tensors[idx].buffer].data = np.frombuffer(np.ascontiguousarray(arr).tobytes(), np.uint8)
            self.tensors[idx].type, self.tensors[idx].quantization = ttype, q

        for idx, (sc, zp) in params.items():
            self.tensors[idx].type = T.INT8
            self.tensors[idx].quantization = qparams([sc], [zp])
        for o in self.ops:
            code = codes[o.opcodeIndex]
            if code in (B.CONV_2D, B.DEPTHWISE_CONV_2D, B.FULLY_CONNECTED):
                xin, w, b = o.inputs
                wf, bf = floats(w), floats(b)
                dim = 0 if code != B.DEPTHWISE_CONV_2D else 3
                axes = tuple(i for i in range(wf.ndim) if i != dim)
                # A channel whose weights are (nearly) all zero still needs its bias to fit
                # int32 at input scale x weight scale.
                floor = np.maximum(np.abs(bf) / (params[xin][0] * 2.0**30), 1e-12)
                if code == B.FULLY_CONNECTED:
                    wscale = np.full(wf.shape[0], max(float(np.abs(wf).max()) / 127.0, float(floor.max())))
                    wq = np.clip(np.round(wf / wscale[0]), -127, 127).astype(np.int8)
                    store(w, wq, T.INT8, qparams([wscale[0]], [0]))
                else:
                    wscale = np.maximum(np.abs(wf).max(axis=axes) / 127.0, floor)
                    shape = [1] * wf.ndim
                    shape[dim] = -1
                    wq = np.clip(np.round(wf / wscale.reshape(shape)), -127, 127).astype(np.int8)
                    store(w, wq, T.INT8, qparams(wscale, [0] * len(wscale), dim))
                bscale = params[xin][0] * wscale
                bq = np.round(bf / bscale).astype(np.int32)
                if code == B.FULLY_CONNECTED:
                    store(b, bq, T.INT32, qparams([bscale[0]], [0]))
                else:
                    store(b, bq, T.INT32, qparams(bscale, [0] * len(bscale), 0))
            elif code == B.PADV2:
                sc, zp = params[o.inputs[0]]
                store(o.inputs[2], np.array(-128, np.int8), T.INT8, qparams([sc], [zp]))
            elif code in (B.LOGISTIC, B.MUL, B.MAX_POOL_2D):
                raise SystemExit("int8: only the conv/add/mean/fully-connected networks are quantised")
        versions = {B.CONV_2D: 3, B.DEPTHWISE_CONV_2D: 3, B.ADD: 2, B.FULLY_CONNECTED: 4, B.MEAN: 2, B.PAD: 2,
                    B.PADV2: 2, B.RESHAPE: 1}
        for code, oc in self.opcodes.items():
            oc.version = versions.get(code, oc.version)
        # Float input -> QUANTIZE -> the int8 graph -> DEQUANTIZE -> float logits.
        self.tensors[x].name, self.tensors[y].name = INPUT_NAME + "_int8", OUTPUT_NAME + "_int8"
        fin = self.tensor(INPUT_NAME, self.tensors[x].shape)
        fout = self.tensor(OUTPUT_NAME, self.tensors[y].shape)
        self.op(B.QUANTIZE, [fin], [x], s.BuiltinOptions.QuantizeOptions, s.QuantizeOptionsT())
        self.ops.insert(0, self.ops.pop())  # first: it feeds the graph
        self.op(B.DEQUANTIZE, [y], [fout], s.BuiltinOptions.DequantizeOptions, s.DequantizeOptionsT())
        for code in (B.QUANTIZE, B.DEQUANTIZE):
            self.opcodes[code].version = 2
        return fin, fout

    # ------------------------------------------------------------- whole graph
    def convert(self, int8_ranges=None):
        s, B, O = self.s, self.s.BuiltinOperator, self.s.BuiltinOptions
        (inp,) = [i for i in self.g.input if i.name not in self.inits]
        dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
        if len(dims) != 4 or dims[0] != 1 or dims[1] != 3:
            raise SystemExit(f"input {inp.name}: expected [1,3,S,S], got {dims}")
        x = self.tensor(INPUT_NAME, [1, dims[2], dims[3], 3])
        self.names[inp.name] = x
        for n in self.g.node:
            if n.name in self.fused:
                continue
            t = n.op_type
            if t == "Conv":
                self.conv(n)
            elif t == "Add":
                self.binary(n, B.ADD, O.AddOptions, s.AddOptionsT)
            elif t == "Mul":
                self.binary(n, B.MUL, O.MulOptions, s.MulOptionsT)
            elif t == "Clip":
                if not self.is_relu6(n):
                    raise SystemExit(f"{n.name}: only Clip(0, 6) is supported")
                self.unary(n, B.RELU6)
            elif t == "Relu":
                self.unary(n, B.RELU)
            elif t == "Sigmoid":
                self.unary(n, B.LOGISTIC)
            elif t == "MaxPool":
                self.maxpool(n)
            elif t == "GlobalAveragePool":
                self.gap(n)
            elif t == "Flatten":
                self.flatten(n)
            elif t == "Gemm":
                self.gemm(n)
            else:
                raise SystemExit(f"{n.name}: ONNX operator {t} is not supported by build_tflite.py")
        (out,) = self.g.output
        y = self.names[out.name]
        self.tensors[y].name = OUTPUT_NAME
        if int8_ranges is not None:
            x, y = self.quantize(x, y, int8_ranges)
        return self.model(x, y, int8_ranges is not None)

    def model(self, x, y, int8=False):
        s = self.s
        sg = s.SubGraphT()
        sg.tensors, sg.inputs, sg.outputs, sg.operators = self.tensors, [x], [y], self.ops
        sg.name = "main"
        sig = s.SignatureDefT()
        sig.signatureKey = SIGNATURE
        sig.subgraphIndex = 0
        sig.inputs, sig.outputs = [s.TensorMapT(), ], [s.TensorMapT()]
        sig.inputs[0].name, sig.inputs[0].tensorIndex = INPUT_NAME, x
        sig.outputs[0].name, sig.outputs[0].tensorIndex = OUTPUT_NAME, y
        m = s.ModelT()
        m.version = 3
        m.description = "edgeperf build_tflite.py (" + ("int8, float in/out" if int8 else "float32") + ", NHWC)"
        m.operatorCodes = list(self.opcodes.values())
        m.subgraphs = [sg]
        m.buffers = self.buffers
        m.signatureDefs = [sig]
        return m


def aligned_buffers(schema):
    """BufferT whose data vectors start on ALIGN bytes (kernels read weights in place)."""
    import flatbuffers

    class AlignedBufferT(schema.BufferT):
        def Pack(self, builder):
            data = None
            if self.data is not None and len(self.data):
                raw = self.data.tobytes()
                builder.StartVector(1, len(raw), ALIGN)
                builder.head = builder.head - len(raw)
                builder.Bytes[builder.Head():builder.Head() + len(raw)] = raw
                builder.vectorNumElems = len(raw)
                data = builder.EndVector()
            schema.BufferStart(builder)
            if data is not None:
                schema.BufferAddData(builder, data)
            return schema.BufferEnd(builder)

    return AlignedBufferT, flatbuffers


def write(schema, m, out):
    Aligned, flatbuffers = aligned_buffers(schema)
    for b in m.buffers:
        b.__class__ = Aligned
    size = sum(len(b.data) for b in m.buffers if b.data is not None)
    builder = flatbuffers.Builder(size + (1 << 20))
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(builder.Output())
    os.replace(tmp, out)


def calibrate(onnx_model, model_name, images):
    """(min, max) of every tensor of the ONNX graph over the calibration images, each
    preprocessed as the model's evaluation photos (verify.py) and also mirrored."""
    import onnxruntime as ort
    from verify import MODELS, preprocess

    resize, crop, interp, norm = MODELS[model_name][:4]
    m = onnx.ModelProto()
    m.CopyFrom(onnx_model)
    known = {o.name for o in m.graph.output}
    for n in m.graph.node:
        for o in n.output:
            if o not in known:
                m.graph.output.append(onnx.helper.make_tensor_value_info(o, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    ranges = {}
    inp = sess.get_inputs()[0].name
    for path in images:
        x = preprocess(path, resize, crop, interp, norm)
        for sample in (x, x[..., ::-1].copy()):
            outs = sess.run(names, {inp: sample})
            for name, v in list(zip(names, outs)) + [(inp, sample)]:
                lo, hi = float(v.min()), float(v.max())
                a, b = ranges.get(name, (lo, hi))
                ranges[name] = (min(a, lo), max(b, hi))
    return ranges


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schema", required=True, help="schema_py_generated.py from the ai-edge-litert wheel")
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--int8-calibration", metavar="DIR",
                    help="make a full-integer int8 model calibrated on the images in DIR (never the evaluation photos)")
    ap.add_argument("--model-name", help="with --int8-calibration: the model's name in verify.py (its preprocessing)")
    a = ap.parse_args()
    schema = load_schema(a.schema)
    model = onnx.load(a.onnx)
    ranges = None
    if a.int8_calibration:
        images = sorted(os.path.join(a.int8_calibration, f) for f in os.listdir(a.int8_calibration))
        ranges = calibrate(model, a.model_name, images)
    c = Converter(schema, model)
    m = c.convert(ranges)
    write(schema, m, a.out)
    counts = {}
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    for o in c.ops:
        code = list(c.opcodes)[o.opcodeIndex]
        counts[names[code]] = counts.get(names[code], 0) + 1
    ops = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"built {os.path.basename(a.out)}: {len(c.ops)} ops ({ops})", file=sys.stderr)


if __name__ == "__main__":
    main()

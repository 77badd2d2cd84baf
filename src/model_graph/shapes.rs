//! Static shape inference over the common CNN operators, and the
//! multiply-accumulates (MACs) of one inference per node.
//!
//! Shapes start from the graph inputs (a dynamic dimension takes the value the
//! suite's preprocessing feeds, when given), the initializers and `Constant`
//! nodes, and flow through the nodes in order (ONNX graphs are topologically
//! sorted). Where an operator is not covered, or an input is unknown, the
//! graph's own `value_info` / `output` shapes are used when they are static;
//! else the output is unknown, and so is everything computed from it.
//!
//! MACs: `Conv` N·M·∏out·(C/group)·∏kernel; `ConvTranspose` N·C·∏in·(M/group)·∏kernel;
//! `Gemm` M·N·K; `MatMul` ∏batch·M·N·K. Other operators count no MACs.

use std::collections::HashMap;

use super::onnx::{Dim, Graph, Node};

type Shape = Vec<i64>;

/// Shapes known so far and the values of small integer tensors.
#[derive(Default)]
struct Known {
    shapes: HashMap<String, Shape>,
    ints: HashMap<String, Vec<i64>>,
}

impl Known {
    fn shape(&self, n: &Node, i: usize) -> Option<&Shape> {
        n.inputs.get(i).and_then(|x| self.shapes.get(x))
    }
    fn ints(&self, n: &Node, i: usize) -> Option<&Vec<i64>> {
        n.inputs.get(i).and_then(|x| self.ints.get(x))
    }
}

/// Whether an operator counts MACs (an unknown count makes the total a lower bound).
pub fn counts_macs(op: &str) -> bool {
    matches!(
        op,
        "Conv"
            | "ConvTranspose"
            | "Gemm"
            | "MatMul"
            | "ConvInteger"
            | "MatMulInteger"
            | "QLinearConv"
            | "QLinearMatMul"
    )
}

fn static_dims(dims: &[Dim]) -> Option<Shape> {
    dims.iter()
        .map(|d| match d {
            Dim::Value(v) if *v >= 0 => Some(*v),
            _ => None,
        })
        .collect()
}

fn axis(a: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let a = if a < 0 { a + r } else { a };
    (0..r).contains(&a).then_some(a as usize)
}

fn broadcast(shapes: &[&Shape]) -> Option<Shape> {
    let rank = shapes.iter().map(|s| s.len()).max()?;
    (0..rank)
        .map(|k| {
            let mut d = 1;
            for s in shapes {
                let off = rank - s.len();
                if k < off {
                    continue;
                }
                let x = s[k - off];
                if x != 1 && d != 1 && x != d {
                    return None;
                }
                if x != 1 {
                    d = x;
                }
            }
            Some(d)
        })
        .collect()
}

/// Output spatial size of a window of `k` over `input` (pool / conv rules).
fn window(n: &Node, input: &[i64], k: &[i64], transpose: bool) -> Option<Vec<i64>> {
    let r = k.len();
    let strides = n
        .ints("strides")
        .map(<[i64]>::to_vec)
        .unwrap_or_else(|| vec![1; r]);
    let dil = n
        .ints("dilations")
        .map(<[i64]>::to_vec)
        .unwrap_or_else(|| vec![1; r]);
    let pads = n
        .ints("pads")
        .map(<[i64]>::to_vec)
        .unwrap_or_else(|| vec![0; 2 * r]);
    let auto = n
        .attr("auto_pad")
        .and_then(|a| a.s.clone())
        .unwrap_or_default();
    let ceil = n.int("ceil_mode") == Some(1);
    if strides.len() != r || dil.len() != r || pads.len() != 2 * r || input.len() != r {
        return None;
    }
    (0..r)
        .map(|i| {
            let (x, s, ek) = (input[i], strides[i].max(1), dil[i] * (k[i] - 1) + 1);
            if transpose {
                let op = n
                    .ints("output_padding")
                    .and_then(|p| p.get(i).copied())
                    .unwrap_or(0);
                return Some(s * (x - 1) + op + ek - pads[i] - pads[i + r]);
            }
            match auto.as_str() {
                "SAME_UPPER" | "SAME_LOWER" => Some((x + s - 1) / s),
                "VALID" => Some((x - ek) / s + 1),
                _ => {
                    let span = x + pads[i] + pads[i + r] - ek;
                    if span < 0 {
                        return None;
                    }
                    Some(if ceil { (span + s - 1) / s } else { span / s } + 1)
                }
            }
        })
        .collect()
}

fn conv(n: &Node, k: &Known, transpose: bool) -> Option<(Shape, u64)> {
    let (x, w) = (k.shape(n, 0)?, k.shape(n, 1)?);
    if x.len() < 3 || w.len() != x.len() {
        return None;
    }
    let g = n.int("group").unwrap_or(1).max(1);
    let kernel = &w[2..];
    let out = window(n, &x[2..], kernel, transpose)?;
    let kprod: i64 = kernel.iter().product();
    let (channels, macs) = if transpose {
        let m = w[1] * g;
        (
            m,
            x[0] * x[1] * x[2..].iter().product::<i64>() * (m / g) * kprod,
        )
    } else {
        (
            w[0],
            x[0] * w[0] * out.iter().product::<i64>() * (x[1] / g) * kprod,
        )
    };
    let mut s = vec![x[0], channels];
    s.extend(out);
    Some((s, u64::try_from(macs).ok()?))
}

fn pool(n: &Node, k: &Known) -> Option<Shape> {
    let x = k.shape(n, 0)?;
    let kernel = n.ints("kernel_shape")?;
    let mut s = x[..2.min(x.len())].to_vec();
    s.extend(window(n, x.get(2..)?, kernel, false)?);
    Some(s)
}

fn gemm(n: &Node, k: &Known) -> Option<(Shape, u64)> {
    let (a, b) = (k.shape(n, 0)?, k.shape(n, 1)?);
    if a.len() != 2 || b.len() != 2 {
        return None;
    }
    let (m, ka) = if n.int("transA") == Some(1) {
        (a[1], a[0])
    } else {
        (a[0], a[1])
    };
    let (kb, nn) = if n.int("transB") == Some(1) {
        (b[1], b[0])
    } else {
        (b[0], b[1])
    };
    (ka == kb).then(|| (vec![m, nn], (m * nn * ka) as u64))
}

fn matmul(n: &Node, k: &Known) -> Option<(Shape, u64)> {
    let (mut a, mut b) = (k.shape(n, 0)?.clone(), k.shape(n, 1)?.clone());
    let (a1, b1) = (a.len() == 1, b.len() == 1);
    if a1 {
        a.insert(0, 1);
    }
    if b1 {
        b.push(1);
    }
    if a.len() < 2 || b.len() < 2 || a[a.len() - 1] != b[b.len() - 2] {
        return None;
    }
    let batch = broadcast(&[&a[..a.len() - 2].to_vec(), &b[..b.len() - 2].to_vec()])?;
    let (m, kk, nn) = (a[a.len() - 2], a[a.len() - 1], b[b.len() - 1]);
    let macs = batch.iter().product::<i64>() * m * nn * kk;
    let mut s = batch;
    if !a1 {
        s.push(m);
    }
    if !b1 {
        s.push(nn);
    }
    Some((s, macs as u64))
}

fn reshape(n: &Node, k: &Known) -> Option<Shape> {
    let x = k.shape(n, 0)?;
    let target = k.ints(n, 1)?;
    let total: i64 = x.iter().product();
    let mut s: Shape = target
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if d == 0 {
                x.get(i).copied().unwrap_or(0)
            } else {
                d
            }
        })
        .collect();
    if let Some(i) = s.iter().position(|&d| d == -1) {
        let rest: i64 = s.iter().filter(|&&d| d != -1).product();
        s[i] = if rest > 0 { total / rest } else { 0 };
    }
    (s.iter().product::<i64>() == total).then_some(s)
}

fn axes(n: &Node, k: &Known) -> Option<Vec<i64>> {
    n.ints("axes")
        .map(<[i64]>::to_vec)
        .or_else(|| k.ints(n, 1).cloned())
}

fn reduce(n: &Node, k: &Known) -> Option<Shape> {
    let x = k.shape(n, 0)?;
    let keep = n.int("keepdims").unwrap_or(1) == 1;
    let all: Vec<i64> = (0..x.len() as i64).collect();
    let ax: Vec<usize> = axes(n, k)
        .filter(|a| !a.is_empty())
        .unwrap_or(all)
        .iter()
        .map(|&a| axis(a, x.len()))
        .collect::<Option<_>>()?;
    Some(
        x.iter()
            .enumerate()
            .filter_map(|(i, &d)| match (ax.contains(&i), keep) {
                (true, true) => Some(1),
                (true, false) => None,
                _ => Some(d),
            })
            .collect(),
    )
}

fn squeeze(n: &Node, k: &Known, un: bool) -> Option<Shape> {
    let x = k.shape(n, 0)?;
    let ax = axes(n, k);
    if un {
        let ax = ax?;
        let rank = x.len() + ax.len();
        let mut ax: Vec<usize> = ax.iter().map(|&a| axis(a, rank)).collect::<Option<_>>()?;
        ax.sort();
        let mut s = x.clone();
        for a in ax {
            s.insert(a.min(s.len()), 1);
        }
        return Some(s);
    }
    let ax: Vec<usize> = match ax {
        Some(a) => a.iter().map(|&a| axis(a, x.len())).collect::<Option<_>>()?,
        None => (0..x.len()).filter(|&i| x[i] == 1).collect(),
    };
    Some(
        x.iter()
            .enumerate()
            .filter(|(i, _)| !ax.contains(i))
            .map(|(_, &d)| d)
            .collect(),
    )
}

fn concat(n: &Node, k: &Known) -> Option<Shape> {
    let shapes: Vec<&Shape> = (0..n.inputs.len())
        .map(|i| k.shape(n, i))
        .collect::<Option<_>>()?;
    let first = shapes.first()?;
    let a = axis(n.int("axis")?, first.len())?;
    let mut s = (*first).clone();
    s[a] = shapes.iter().map(|x| x.get(a).copied().unwrap_or(0)).sum();
    Some(s)
}

/// The first output's shape and the node's MACs, when its inputs are known.
fn node_shape(n: &Node, k: &Known) -> Option<(Shape, Option<u64>)> {
    let same = || k.shape(n, 0).cloned();
    let plain = |s: Option<Shape>| s.map(|s| (s, None));
    match n.op_type.as_str() {
        "Conv" => conv(n, k, false).map(|(s, m)| (s, Some(m))),
        "ConvTranspose" => conv(n, k, true).map(|(s, m)| (s, Some(m))),
        "Gemm" => gemm(n, k).map(|(s, m)| (s, Some(m))),
        "MatMul" => matmul(n, k).map(|(s, m)| (s, Some(m))),
        "MaxPool" | "AveragePool" | "LpPool" => plain(pool(n, k)),
        "GlobalAveragePool" | "GlobalMaxPool" | "GlobalLpPool" => plain(same().map(|mut s| {
            s.iter_mut().skip(2).for_each(|d| *d = 1);
            s
        })),
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "Max" | "Min" | "Sum" | "Mean" | "Where"
        | "Equal" | "Greater" | "Less" | "And" | "Or" | "PRelu" => {
            let all: Vec<&Shape> = (0..n.inputs.len())
                .map(|i| k.shape(n, i))
                .collect::<Option<_>>()?;
            plain(broadcast(&all))
        }
        "Flatten" => plain(same().and_then(|s| {
            let a = axis(n.int("axis").unwrap_or(1), s.len() + 1)?;
            Some(vec![s[..a].iter().product(), s[a..].iter().product()])
        })),
        "Reshape" => plain(reshape(n, k)),
        "Transpose" => plain(same().and_then(|s| {
            let perm: Vec<i64> = n
                .ints("perm")
                .map(<[i64]>::to_vec)
                .unwrap_or_else(|| (0..s.len() as i64).rev().collect());
            perm.iter().map(|&p| s.get(p as usize).copied()).collect()
        })),
        "Concat" => plain(concat(n, k)),
        "Squeeze" => plain(squeeze(n, k, false)),
        "Unsqueeze" => plain(squeeze(n, k, true)),
        op if op.starts_with("Reduce") => plain(reduce(n, k)),
        "Shape" => plain(same().map(|s| vec![s.len() as i64])),
        "Relu"
        | "Clip"
        | "Sigmoid"
        | "Tanh"
        | "HardSwish"
        | "HardSigmoid"
        | "LeakyRelu"
        | "Elu"
        | "Selu"
        | "Softplus"
        | "Exp"
        | "Log"
        | "Sqrt"
        | "Neg"
        | "Abs"
        | "Erf"
        | "Gelu"
        | "Identity"
        | "Dropout"
        | "BatchNormalization"
        | "InstanceNormalization"
        | "LayerNormalization"
        | "Softmax"
        | "LogSoftmax"
        | "Cast"
        | "Floor"
        | "Ceil"
        | "Round"
        | "Not"
        | "Sign"
        | "Reciprocal"
        | "LRN"
        | "Mish"
        | "QuantizeLinear"
        | "DequantizeLinear" => plain(same()),
        _ => None,
    }
}

/// Each node's MACs (`None`: unknown or no MACs), after inferring shapes from
/// the graph and `input` (the shape the suite feeds its first input, which
/// fills the input's dynamic dimensions).
pub fn macs(g: &Graph, input: Option<&[usize]>) -> Vec<Option<u64>> {
    let mut k = Known::default();
    for t in &g.initializers {
        k.shapes.insert(t.name.clone(), t.dims.clone());
        if let Some(v) = &t.ints {
            k.ints.insert(t.name.clone(), v.clone());
        }
    }
    let mut fed = input;
    let inits: std::collections::HashSet<&str> =
        g.initializers.iter().map(|t| t.name.as_str()).collect();
    for i in g.inputs.iter().filter(|i| !inits.contains(i.name.as_str())) {
        let Some(dims) = &i.dims else { continue };
        let s = match (static_dims(dims), fed.take()) {
            (Some(s), _) => Some(s),
            (None, Some(f)) if f.len() == dims.len() => Some(
                dims.iter()
                    .zip(f)
                    .map(|(d, &x)| match d {
                        Dim::Value(v) if *v > 0 => *v,
                        _ => x as i64,
                    })
                    .collect(),
            ),
            _ => None,
        };
        if let Some(s) = s {
            k.shapes.insert(i.name.clone(), s);
        }
    }
    let declared: HashMap<&str, Shape> = g
        .value_info
        .iter()
        .chain(&g.outputs)
        .filter_map(|v| Some((v.name.as_str(), static_dims(v.dims.as_ref()?)?)))
        .collect();
    g.nodes
        .iter()
        .map(|n| {
            if n.op_type == "Constant" {
                if let (Some(out), Some(t)) = (
                    n.outputs.first(),
                    n.attr("value").and_then(|a| a.t.as_ref()),
                ) {
                    k.shapes.insert(out.clone(), t.dims.clone());
                    if let Some(v) = &t.ints {
                        k.ints.insert(out.clone(), v.clone());
                    }
                }
                return None;
            }
            let (shape, macs) = match node_shape(n, &k) {
                Some((s, m)) => (Some(s), m),
                None => (None, None),
            };
            if let Some(out) = n.outputs.first() {
                match shape.or_else(|| declared.get(out.as_str()).cloned()) {
                    Some(s) => {
                        k.shapes.insert(out.clone(), s);
                    }
                    None => {
                        k.shapes.remove(out);
                    }
                }
            }
            if n.op_type == "Shape" {
                if let (Some(out), Some(x)) = (n.outputs.first(), k.shape(n, 0).cloned()) {
                    k.ints.insert(out.clone(), x);
                }
            }
            macs
        })
        .collect()
}

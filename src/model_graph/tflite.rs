//! A `.tflite` file (schema.fbs `Model`) read for the graph diff: the first
//! subgraph's operators (named by their first output tensor, which converters
//! name after the layer), tensor shapes (all static in TFLite), the weights
//! (tensors backed by a non-empty buffer) and MACs of convolutions and fully
//! connected layers. Every offset is bounds-checked, so a truncated file is an
//! error, never a crash.

use super::onnx::{MAX_NODES, TOO_MANY};
use super::tflite_ops::NAMES;
use crate::explain::graph::{GraphNode, ModelGraph};

/// A bounds-checked view of a flatbuffer.
struct Fb<'a>(&'a [u8]);

type R<T> = Result<T, String>;

const BAD: &str = "truncated or corrupt TFLite flatbuffer";

impl<'a> Fb<'a> {
    fn u16(&self, at: usize) -> R<u16> {
        Ok(u16::from_le_bytes(
            self.0
                .get(at..at + 2)
                .ok_or(BAD)?
                .try_into()
                .map_err(|_| BAD)?,
        ))
    }
    fn u32(&self, at: usize) -> R<u32> {
        Ok(u32::from_le_bytes(
            self.0
                .get(at..at + 4)
                .ok_or(BAD)?
                .try_into()
                .map_err(|_| BAD)?,
        ))
    }
    fn u64(&self, at: usize) -> R<u64> {
        Ok(u64::from_le_bytes(
            self.0
                .get(at..at + 8)
                .ok_or(BAD)?
                .try_into()
                .map_err(|_| BAD)?,
        ))
    }
    /// The position of field `i` of the table at `t`, if present.
    fn field(&self, t: usize, i: usize) -> R<Option<usize>> {
        let vt = usize::try_from(t as i64 - self.u32(t)? as i32 as i64).map_err(|_| BAD)?;
        if 4 + 2 * i + 2 > self.u16(vt)? as usize {
            return Ok(None);
        }
        Ok(match self.u16(vt + 4 + 2 * i)? {
            0 => None,
            o => Some(t + o as usize),
        })
    }
    fn deref(&self, at: usize) -> R<usize> {
        let target = at.checked_add(self.u32(at)? as usize).ok_or(BAD)?;
        if target >= self.0.len() {
            return Err(BAD.into());
        }
        Ok(target)
    }
    /// (first element, length) of the vector in field `i`, `elem` bytes each.
    fn vector(&self, t: usize, i: usize, elem: usize) -> R<Option<(usize, usize)>> {
        let Some(f) = self.field(t, i)? else {
            return Ok(None);
        };
        let v = self.deref(f)?;
        let n = self.u32(v)? as usize;
        let end = n
            .checked_mul(elem)
            .and_then(|b| b.checked_add(v + 4))
            .ok_or(BAD)?;
        if end > self.0.len() {
            return Err(BAD.into());
        }
        Ok(Some((v + 4, n)))
    }
    fn tables(&self, t: usize, i: usize) -> R<Vec<usize>> {
        match self.vector(t, i, 4)? {
            None => Ok(vec![]),
            Some((first, n)) => (0..n).map(|k| self.deref(first + 4 * k)).collect(),
        }
    }
    fn ints(&self, t: usize, i: usize) -> R<Vec<i32>> {
        match self.vector(t, i, 4)? {
            None => Ok(vec![]),
            Some((first, n)) => (0..n)
                .map(|k| Ok(self.u32(first + 4 * k)? as i32))
                .collect(),
        }
    }
    fn string(&self, t: usize, i: usize) -> R<String> {
        Ok(match self.vector(t, i, 1)? {
            None => String::new(),
            Some((first, n)) => String::from_utf8_lossy(&self.0[first..first + n]).into_owned(),
        })
    }
    fn scalar_u32(&self, t: usize, i: usize, default: u32) -> R<u32> {
        match self.field(t, i)? {
            Some(f) => self.u32(f),
            None => Ok(default),
        }
    }
}

struct Tensor {
    name: String,
    shape: Vec<i64>,
    kind: u8,
    buffer: u32,
}

fn type_name(t: u8) -> &'static str {
    match t {
        0 => "float32",
        1 => "float16",
        2 => "int32",
        3 => "uint8",
        4 => "int64",
        6 => "bool",
        7 => "int16",
        9 => "int8",
        _ => "?",
    }
}

/// Operators whose MACs are counted.
const MAC_OPS: [&str; 5] = [
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "FULLY_CONNECTED",
    "BATCH_MATMUL",
    "TRANSPOSE_CONV",
];

/// The MACs of operator `op` with input and output tensors `ins` and `outs`.
fn macs(op: &str, ins: &[&Tensor], outs: &[&Tensor]) -> Option<u64> {
    let out: i64 = outs.first()?.shape.iter().product();
    let w = &ins.get(1)?.shape;
    let m = match op {
        // out [N,H,W,Cout] x filter [Cout,kh,kw,Cin]
        "CONV_2D" if w.len() == 4 => out * w[1] * w[2] * w[3],
        // filter [1,kh,kw,Cout]
        "DEPTHWISE_CONV_2D" if w.len() == 4 => out * w[1] * w[2],
        // weights [out, in]
        "FULLY_CONNECTED" if w.len() == 2 => out * w[1],
        "BATCH_MATMUL" => out * ins.first()?.shape.last()?,
        // inputs: output_shape, weights [Cout,kh,kw,Cin], input [N,H,W,Cin]
        "TRANSPOSE_CONV" if w.len() == 4 => {
            ins.get(2)?.shape.iter().product::<i64>() * w[0] * w[1] * w[2]
        }
        _ => return None,
    };
    u64::try_from(m).ok()
}

/// Each operator code's name (a builtin's, or the custom code) and version.
fn op_codes(fb: &Fb<'_>, model: usize) -> R<Vec<(String, u32)>> {
    let mut codes = Vec::new();
    for c in fb.tables(model, 1)? {
        let deprecated = match fb.field(c, 0)? {
            Some(f) => *fb.0.get(f).ok_or(BAD)? as i8 as i32,
            None => 0,
        };
        let code = (fb.scalar_u32(c, 3, 0)? as i32).max(deprecated);
        let name = match NAMES.get(code as usize) {
            Some(n) if code != 32 => n.to_string(), // 32 = CUSTOM
            _ => fb.string(c, 1)?,
        };
        codes.push((name, fb.scalar_u32(c, 2, 1)?));
    }
    Ok(codes)
}

fn tensors(fb: &Fb<'_>, sg: usize) -> R<Vec<Tensor>> {
    fb.tables(sg, 0)?
        .into_iter()
        .map(|t| {
            Ok(Tensor {
                shape: fb.ints(t, 0)?.into_iter().map(i64::from).collect(),
                kind: fb
                    .field(t, 1)?
                    .and_then(|f| fb.0.get(f).copied())
                    .unwrap_or(0),
                buffer: fb.scalar_u32(t, 2, 0)?,
                name: fb.string(t, 3)?,
            })
        })
        .collect()
}

/// Elements of the tensors backed by a non-empty buffer (the weights).
fn params(fb: &Fb<'_>, model: usize, tensors: &[Tensor]) -> R<u64> {
    let buffers = fb.tables(model, 4)?;
    let mut n = 0u64;
    for t in tensors {
        let Some(&b) = buffers.get(t.buffer as usize).filter(|_| t.buffer > 0) else {
            continue;
        };
        let inline = fb.vector(b, 0, 1)?.is_some_and(|(_, len)| len > 0);
        let outside = match fb.field(b, 1)? {
            Some(f) => fb.u64(f)? > 1,
            None => false,
        };
        if inline || outside {
            n += t.shape.iter().product::<i64>().max(0) as u64;
        }
    }
    Ok(n)
}

/// Reads a `.tflite` file's first subgraph as a [`ModelGraph`] (sha256 is the
/// caller's).
pub fn graph(bytes: &[u8]) -> R<ModelGraph> {
    if bytes.len() < 8 || &bytes[4..8] != b"TFL3" {
        return Err("not a TFLite model (no TFL3 flatbuffer identifier)".into());
    }
    let fb = Fb(bytes);
    let model = fb.deref(0)?;
    let version = fb.scalar_u32(model, 0, 0)?;
    let codes = op_codes(&fb, model)?;
    let Some(&sg) = fb.tables(model, 2)?.first() else {
        return Err("the TFLite model has no subgraph".into());
    };
    let tensors = tensors(&fb, sg)?;
    let params = params(&fb, model, &tensors)?;
    let tensor = |i: i32| tensors.get(usize::try_from(i).ok()?);
    let ops = fb.tables(sg, 3)?;
    if ops.len() > MAX_NODES {
        return Err(format!(
            "the graph has {} operator {TOO_MANY} ({MAX_NODES})",
            ops.len()
        ));
    }
    let mut nodes = Vec::new();
    let mut versions = std::collections::BTreeSet::new();
    for op in ops {
        let (name, v) = codes
            .get(fb.scalar_u32(op, 0, 0)? as usize)
            .cloned()
            .ok_or("an operator names an operator code the model does not have")?;
        versions.insert(format!("{name} v{v}"));
        let ins: Vec<&Tensor> = fb.ints(op, 1)?.into_iter().filter_map(tensor).collect();
        let outs: Vec<&Tensor> = fb.ints(op, 2)?.into_iter().filter_map(tensor).collect();
        nodes.push(GraphNode {
            name: outs.first().map(|t| t.name.clone()).unwrap_or_default(),
            macs: macs(&name, &ins, &outs),
            counts_macs: MAC_OPS.contains(&name.as_str()),
            op_type: name,
        });
    }
    let inputs = fb
        .ints(sg, 1)?
        .into_iter()
        .filter_map(tensor)
        .map(|t| {
            let dims: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
            format!("{} {}[{}]", t.name, type_name(t.kind), dims.join(","))
        })
        .collect();
    Ok(ModelGraph {
        format: "tflite".into(),
        sha256: String::new(),
        bytes: bytes.len() as u64,
        producer: format!("TFLite schema {version} ({})", fb.string(model, 3)?),
        opsets: versions.into_iter().collect(),
        inputs,
        nodes,
        params,
    })
}

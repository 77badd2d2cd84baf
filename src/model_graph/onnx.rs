//! The ONNX messages the graph diff reads (onnx.proto3 field numbers), decoded
//! by hand from the wire format: the model's opsets and producer, the main
//! graph's nodes (name, operator, inputs, outputs, attributes), initializers
//! (their shapes; the values of small integer ones, which shape inference needs
//! for `Reshape` and the like), inputs, outputs and value_info. Subgraphs of
//! control-flow nodes (`If`, `Loop`) are not read: their nodes are not counted.

use super::wire::{ints, Reader, Value};

/// Most nodes of a graph read; past it the diff is "not available".
pub const MAX_NODES: usize = 200_000;
/// What the error of a graph past [`MAX_NODES`] says (both readers).
pub const TOO_MANY: &str = "nodes, more than a graph diff reads";
/// Integer tensors up to this many elements keep their values.
const SMALL: i64 = 64;

const INT32: i32 = 6;
const INT64: i32 = 7;

/// A dimension of a declared shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Value(i64),
    Param(String),
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueInfo {
    pub name: String,
    pub elem_type: i32,
    /// `None`: no shape declared.
    pub dims: Option<Vec<Dim>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<i64>,
    pub data_type: i32,
    /// The values of a small INT64/INT32 tensor.
    pub ints: Option<Vec<i64>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attr {
    pub name: String,
    pub i: Option<i64>,
    pub ints: Vec<i64>,
    pub s: Option<String>,
    pub t: Option<Tensor>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub name: String,
    pub op_type: String,
    pub domain: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attrs: Vec<Attr>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        self.attr(name).and_then(|a| a.i)
    }
    pub fn ints(&self, name: &str) -> Option<&[i64]> {
        self.attr(name).map(|a| a.ints.as_slice())
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub initializers: Vec<Tensor>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
    pub value_info: Vec<ValueInfo>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub ir_version: i64,
    pub producer_name: String,
    pub producer_version: String,
    /// (domain, version); the empty domain is `ai.onnx`.
    pub opsets: Vec<(String, i64)>,
    pub graph: Graph,
}

type R<T> = Result<T, String>;

fn bytes<'a>(v: Value<'a>, what: &str) -> R<&'a [u8]> {
    v.as_bytes()
        .ok_or_else(|| format!("{what} is not a length-delimited field"))
}

fn opset(b: &[u8], at: usize) -> R<(String, i64)> {
    let (mut domain, mut version) = (String::new(), 0);
    let mut r = Reader::nested(b, at);
    while let Some((f, _, v)) = r.next_field()? {
        match f {
            1 => domain = v.as_str().unwrap_or_default(),
            2 => version = v.as_i64().unwrap_or(0),
            _ => {}
        }
    }
    Ok((domain, version))
}

/// A little-endian integer tensor's values from `raw_data`.
fn raw_ints(raw: &[u8], data_type: i32) -> Option<Vec<i64>> {
    match data_type {
        INT64 => Some(
            raw.chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("8")))
                .collect(),
        ),
        INT32 => Some(
            raw.chunks_exact(4)
                .map(|c| i32::from_le_bytes(c.try_into().expect("4")) as i64)
                .collect(),
        ),
        _ => None,
    }
}

pub fn tensor(b: &[u8], at: usize) -> R<Tensor> {
    let mut t = Tensor::default();
    let (mut raw, mut listed) = (None, Vec::new());
    let mut r = Reader::nested(b, at);
    while let Some((f, off, v)) = r.next_field()? {
        match f {
            1 => ints(v, off, &mut t.dims)?,
            2 => t.data_type = v.as_i64().unwrap_or(0) as i32,
            5 | 7 => ints(v, off, &mut listed)?,
            8 => t.name = v.as_str().unwrap_or_default(),
            9 => raw = Some(bytes(v, "raw_data")?),
            _ => {}
        }
    }
    if t.dims.iter().any(|&d| d < 0) {
        return Err(format!(
            "tensor {:?} has a negative dimension {:?}",
            t.name, t.dims
        ));
    }
    let n: i64 = t.dims.iter().product();
    if matches!(t.data_type, INT32 | INT64) && n <= SMALL {
        t.ints = match raw {
            Some(raw) => raw_ints(raw, t.data_type),
            None => Some(listed),
        }
        .filter(|v| v.len() as i64 == n);
    }
    Ok(t)
}

fn attr(b: &[u8], at: usize) -> R<Attr> {
    let mut a = Attr::default();
    let mut r = Reader::nested(b, at);
    while let Some((f, off, v)) = r.next_field()? {
        match f {
            1 => a.name = v.as_str().unwrap_or_default(),
            3 => a.i = v.as_i64(),
            4 => a.s = v.as_str(),
            5 => a.t = Some(tensor(bytes(v, "an attribute's tensor")?, off)?),
            8 => ints(v, off, &mut a.ints)?,
            _ => {}
        }
    }
    Ok(a)
}

fn node(b: &[u8], at: usize) -> R<Node> {
    let mut n = Node::default();
    let mut r = Reader::nested(b, at);
    while let Some((f, off, v)) = r.next_field()? {
        match f {
            1 => n.inputs.push(v.as_str().unwrap_or_default()),
            2 => n.outputs.push(v.as_str().unwrap_or_default()),
            3 => n.name = v.as_str().unwrap_or_default(),
            4 => n.op_type = v.as_str().unwrap_or_default(),
            5 => n.attrs.push(attr(bytes(v, "an attribute")?, off)?),
            7 => n.domain = v.as_str().unwrap_or_default(),
            _ => {}
        }
    }
    if n.op_type.is_empty() {
        return Err(format!("a node at byte {at} has no op_type"));
    }
    Ok(n)
}

fn shape(b: &[u8], at: usize) -> R<Vec<Dim>> {
    let mut dims = Vec::new();
    let mut r = Reader::nested(b, at);
    while let Some((f, off, v)) = r.next_field()? {
        if f != 1 {
            continue;
        }
        let mut d = Dim::Unknown;
        let mut dr = Reader::nested(bytes(v, "a dimension")?, off);
        while let Some((g, _, x)) = dr.next_field()? {
            match g {
                1 => d = Dim::Value(x.as_i64().unwrap_or(-1)),
                2 => d = Dim::Param(x.as_str().unwrap_or_default()),
                _ => {}
            }
        }
        dims.push(d);
    }
    Ok(dims)
}

fn value_info(b: &[u8], at: usize) -> R<ValueInfo> {
    let mut vi = ValueInfo::default();
    let mut r = Reader::nested(b, at);
    while let Some((f, off, v)) = r.next_field()? {
        match f {
            1 => vi.name = v.as_str().unwrap_or_default(),
            2 => {
                let mut tr = Reader::nested(bytes(v, "a type")?, off);
                while let Some((g, off, x)) = tr.next_field()? {
                    if g != 1 {
                        continue; // sequences, maps: no tensor shape
                    }
                    let mut t = Reader::nested(bytes(x, "a tensor type")?, off);
                    while let Some((h, off, y)) = t.next_field()? {
                        match h {
                            1 => vi.elem_type = y.as_i64().unwrap_or(0) as i32,
                            2 => vi.dims = Some(shape(bytes(y, "a shape")?, off)?),
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(vi)
}

fn graph(b: &[u8], at: usize) -> R<Graph> {
    let mut g = Graph::default();
    let mut r = Reader::nested(b, at);
    while let Some((f, off, v)) = r.next_field()? {
        match f {
            1 => {
                if g.nodes.len() == MAX_NODES {
                    return Err(format!("the graph has more than {MAX_NODES} {TOO_MANY}"));
                }
                g.nodes.push(node(bytes(v, "a node")?, off)?);
            }
            5 => g
                .initializers
                .push(tensor(bytes(v, "an initializer")?, off)?),
            11 => g.inputs.push(value_info(bytes(v, "an input")?, off)?),
            12 => g.outputs.push(value_info(bytes(v, "an output")?, off)?),
            13 => g
                .value_info
                .push(value_info(bytes(v, "a value_info")?, off)?),
            _ => {}
        }
    }
    Ok(g)
}

/// Decodes an ONNX `ModelProto`. Errors say what is wrong and where.
pub fn model(b: &[u8]) -> R<Model> {
    let mut m = Model::default();
    let mut has_graph = false;
    let mut r = Reader::new(b);
    while let Some((f, off, v)) = r.next_field()? {
        match f {
            1 => m.ir_version = v.as_i64().unwrap_or(0),
            2 => m.producer_name = v.as_str().unwrap_or_default(),
            3 => m.producer_version = v.as_str().unwrap_or_default(),
            7 => {
                m.graph = graph(bytes(v, "the graph")?, off)?;
                has_graph = true;
            }
            8 => m.opsets.push(opset(bytes(v, "an opset")?, off)?),
            _ => {}
        }
    }
    if !has_graph || m.ir_version <= 0 {
        return Err("not an ONNX model (no ir_version or no graph)".into());
    }
    Ok(m)
}

/// An element type's name (`float`, `int64`).
pub fn type_name(t: i32) -> &'static str {
    match t {
        1 => "float",
        2 => "uint8",
        3 => "int8",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        9 => "bool",
        10 => "float16",
        11 => "double",
        16 => "bfloat16",
        _ => "?",
    }
}

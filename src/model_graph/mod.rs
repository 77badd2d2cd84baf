//! Model files read as graphs for the graph diff of an explanation
//! (`explain::graph`): ONNX (`onnx.rs`, the protobuf decoded by hand from the
//! wire format in `wire.rs`, no protoc or generated code; `shapes.rs`, static
//! shape inference and MACs) and TFLite (`tflite.rs`, the flatbuffer read with
//! every offset checked). An adapter: it reads the file (through `crate::fs`)
//! and hashes it; what it makes is the domain's [`ModelGraph`].

mod onnx;
mod shapes;
mod tflite;
mod tflite_ops;
mod wire;

use std::path::Path;

use crate::error::Error;
use crate::explain::graph::{GraphNode, ModelGraph};

pub use onnx::{MAX_NODES, TOO_MANY};

/// Largest model file read (ONNX protobufs stop at 2 GiB; larger models keep
/// their weights in external data files, which are not read).
pub const MAX_BYTES: u64 = 2 << 30;

/// `dims` as `float[1,3,224,224]` (`N` for a named dimension, `?` unknown).
fn shape_words(vi: &onnx::ValueInfo) -> String {
    let dims = match &vi.dims {
        None => "?".to_string(),
        Some(d) => d
            .iter()
            .map(|d| match d {
                onnx::Dim::Value(v) => v.to_string(),
                onnx::Dim::Param(p) if !p.is_empty() => p.clone(),
                _ => "?".into(),
            })
            .collect::<Vec<_>>()
            .join(","),
    };
    format!("{} {}[{dims}]", vi.name, onnx::type_name(vi.elem_type))
}

/// An ONNX model's bytes as a graph; `input` fills its input's dynamic
/// dimensions for the MACs.
pub fn onnx_graph(
    bytes: &[u8],
    input: Option<&[usize]>,
) -> std::result::Result<ModelGraph, String> {
    let m = onnx::model(bytes)?;
    let g = &m.graph;
    let macs = shapes::macs(g, input);
    let inits: std::collections::HashSet<&str> =
        g.initializers.iter().map(|t| t.name.as_str()).collect();
    let params = g
        .initializers
        .iter()
        .map(|t| t.dims.iter().product::<i64>().max(0) as u64)
        .sum();
    let nodes = g
        .nodes
        .iter()
        .zip(macs)
        .filter(|(n, _)| n.op_type != "Constant")
        .map(|(n, macs)| GraphNode {
            name: n.name.clone(),
            op_type: if n.domain.is_empty() || n.domain == "ai.onnx" {
                n.op_type.clone()
            } else {
                format!("{}:{}", n.domain, n.op_type)
            },
            macs,
            counts_macs: shapes::counts_macs(&n.op_type),
        })
        .collect();
    let mut opsets: Vec<String> = m
        .opsets
        .iter()
        .map(|(d, v)| format!("{} {v}", if d.is_empty() { "ai.onnx" } else { d }))
        .collect();
    opsets.sort();
    let producer = format!("{} {}", m.producer_name, m.producer_version)
        .trim()
        .to_string();
    Ok(ModelGraph {
        format: "onnx".into(),
        sha256: String::new(),
        bytes: bytes.len() as u64,
        producer: if producer.is_empty() {
            "(unknown)".into()
        } else {
            producer
        },
        opsets,
        inputs: g
            .inputs
            .iter()
            .filter(|i| !inits.contains(i.name.as_str()))
            .map(shape_words)
            .collect(),
        nodes,
        params,
    })
}

/// Why a model file was not read as a graph.
#[derive(Debug)]
pub enum Unread {
    /// Past [`MAX_BYTES`] or [`MAX_NODES`]: too large to explain (and to be
    /// worth profiling for an explanation).
    TooLarge(Error),
    /// Missing, unreadable, corrupt, or not a model.
    Bad(Error),
}

impl Unread {
    /// The error as one line (it names the file).
    pub fn one_line(&self) -> String {
        match self {
            Unread::TooLarge(e) | Unread::Bad(e) => e.one_line(),
        }
    }
}

/// Reads the model file at `path` (ONNX, or TFLite by its identifier) as a
/// graph with its sha256. `input` is the shape the suite feeds (for dynamic
/// dimensions). Errors name the file.
pub fn read(path: &Path, input: Option<&[usize]>) -> std::result::Result<ModelGraph, Unread> {
    let size = crate::fs::file_size(path).map_err(|e| Unread::Bad(e.into()))?;
    if size > MAX_BYTES {
        return Err(Unread::TooLarge(Error::model(
            path,
            format!("{size} bytes, more than the {MAX_BYTES} a graph diff reads"),
        )));
    }
    let bytes = crate::fs::read(path).map_err(|e| Unread::Bad(e.into()))?;
    let tflite = bytes.len() >= 8 && &bytes[4..8] == b"TFL3";
    let mut g = if tflite {
        tflite::graph(&bytes)
    } else {
        onnx_graph(&bytes, input)
    }
    .map_err(|e| {
        let what = if tflite { "TFLite" } else { "ONNX" };
        let err = Error::model(path, format!("cannot read the {what} graph: {e}"));
        if e.contains(TOO_MANY) {
            Unread::TooLarge(err)
        } else {
            Unread::Bad(err)
        }
    })?;
    g.sha256 = crate::fs::sha256_bytes(&bytes);
    Ok(g)
}

#[cfg(test)]
mod tests;

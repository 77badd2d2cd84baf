//! What changed in the model graph: two model files as the graph reader
//! (`model_graph`) makes of them ([`ModelGraph`]), summarised and compared:
//! nodes added and removed by operator type, parameters, multiply-accumulates
//! per inference, inputs, opsets, producer, and each file's sha256.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Most node names listed as added or removed (the counts by operator are
/// always complete).
pub const MAX_LISTED_NODES: usize = 20;

/// A node of a model graph.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphNode {
    pub name: String,
    pub op_type: String,
    /// Multiply-accumulates of one inference, when its shapes are known.
    pub macs: Option<u64>,
    /// An operator whose MACs are counted (convolutions, matrix products): an
    /// unknown count for it makes the total a lower bound.
    pub counts_macs: bool,
}

/// A model file as the graph reader makes of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelGraph {
    /// `onnx` or `tflite`.
    pub format: String,
    pub sha256: String,
    pub bytes: u64,
    /// Who wrote it (`pytorch 2.1.0`, `TFLite schema 3`).
    pub producer: String,
    /// Operator sets (`ai.onnx 13`); for TFLite each builtin's version is in its op name.
    pub opsets: Vec<String>,
    /// Each graph input with its type and shape (`input float[1,3,224,224]`).
    pub inputs: Vec<String>,
    pub nodes: Vec<GraphNode>,
    /// Elements of the weights (initializers / constant buffers).
    pub params: u64,
}

/// A model file in a few numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphSummary {
    pub format: String,
    pub sha256: String,
    pub bytes: u64,
    pub producer: String,
    pub opsets: Vec<String>,
    pub inputs: Vec<String>,
    pub nodes: usize,
    pub params: u64,
    /// Multiply-accumulates per inference over the nodes whose count is known.
    pub macs: u64,
    /// Convolutions and matrix products whose shapes were not known: `macs`
    /// leaves them out.
    pub macs_unknown: usize,
}

impl ModelGraph {
    pub fn summary(&self) -> GraphSummary {
        GraphSummary {
            format: self.format.clone(),
            sha256: self.sha256.clone(),
            bytes: self.bytes,
            producer: self.producer.clone(),
            opsets: self.opsets.clone(),
            inputs: self.inputs.clone(),
            nodes: self.nodes.len(),
            params: self.params,
            macs: self.nodes.iter().filter_map(|n| n.macs).sum(),
            macs_unknown: self
                .nodes
                .iter()
                .filter(|n| n.counts_macs && n.macs.is_none())
                .count(),
        }
    }
}

/// How many nodes of an operator type came or went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCount {
    pub op_type: String,
    pub count: usize,
}

/// Two model graphs compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphDiff {
    pub base: GraphSummary,
    pub head: GraphSummary,
    /// Operator types with more nodes in head, and with fewer.
    pub ops_added: Vec<OpCount>,
    pub ops_removed: Vec<OpCount>,
    /// Nodes (`name (Op)`) only in head and only in base, by name and operator;
    /// [`MAX_LISTED_NODES`] each at most, the totals apart.
    pub nodes_added: Vec<String>,
    pub nodes_removed: Vec<String>,
    pub nodes_added_total: usize,
    pub nodes_removed_total: usize,
    /// The differences, one line each (empty: the same graph).
    pub changes: Vec<String>,
}

fn op_counts(g: &ModelGraph) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for n in &g.nodes {
        *m.entry(n.op_type.as_str()).or_insert(0) += 1;
    }
    m
}

/// The nodes of `a` not in `b`, as a multiset of (name, op type).
fn only_in(a: &ModelGraph, b: &ModelGraph) -> Vec<String> {
    let mut left: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for n in &b.nodes {
        *left
            .entry((n.name.as_str(), n.op_type.as_str()))
            .or_insert(0) += 1;
    }
    a.nodes
        .iter()
        .filter(
            |n| match left.get_mut(&(n.name.as_str(), n.op_type.as_str())) {
                Some(c) if *c > 0 => {
                    *c -= 1;
                    false
                }
                _ => true,
            },
        )
        .map(|n| {
            let name = if n.name.is_empty() {
                "(unnamed)"
            } else {
                &n.name
            };
            format!("{name} ({})", n.op_type)
        })
        .collect()
}

/// 3504872 as "3,504,872".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 300_800_000 as "300.8 M".
pub fn si(n: u64) -> String {
    let x = n as f64;
    match n {
        0..=9_999 => n.to_string(),
        10_000..=9_999_999 => format!("{:.1} k", x / 1e3),
        10_000_000..=999_999_999 => format!("{:.1} M", x / 1e6),
        _ => format!("{:.2} G", x / 1e9),
    }
}

fn signed(d: i128) -> String {
    let s = thousands(d.unsigned_abs() as u64);
    if d < 0 {
        format!("-{s}")
    } else {
        format!("+{s}")
    }
}

fn counted(ops: &[OpCount], sign: char) -> Vec<String> {
    ops.iter()
        .map(|o| format!("{sign}{} {}", o.count, o.op_type))
        .collect()
}

/// The lines of [`GraphDiff::changes`].
fn change_lines(d: &GraphDiff) -> Vec<String> {
    let (b, h) = (&d.base, &d.head);
    let mut out = Vec::new();
    if b.sha256 == h.sha256 {
        return out;
    }
    let short = |s: &str| s.get(..12).unwrap_or(s).to_string();
    out.push(format!(
        "model file changed: sha256 {} ({} bytes) → {} ({} bytes)",
        short(&b.sha256),
        thousands(b.bytes),
        short(&h.sha256),
        thousands(h.bytes)
    ));
    if b.format != h.format {
        out.push(format!("format {} → {}", b.format, h.format));
    }
    if b.opsets != h.opsets {
        out.push(format!(
            "opset {} → {}",
            b.opsets.join(", "),
            h.opsets.join(", ")
        ));
    }
    if b.producer != h.producer {
        out.push(format!("producer {} → {}", b.producer, h.producer));
    }
    if b.inputs != h.inputs {
        out.push(format!(
            "inputs {} → {}",
            b.inputs.join(", "),
            h.inputs.join(", ")
        ));
    }
    if b.nodes != h.nodes || !d.ops_added.is_empty() || !d.ops_removed.is_empty() {
        let mut ops = counted(&d.ops_added, '+');
        ops.extend(counted(&d.ops_removed, '-'));
        let ops = if ops.is_empty() {
            String::new()
        } else {
            format!(": {}", ops.join(", "))
        };
        out.push(format!("nodes {} → {}{ops}", b.nodes, h.nodes));
    } else if d.nodes_added_total > 0 {
        out.push(format!(
            "{} nodes renamed or rewired (the same operators)",
            d.nodes_added_total
        ));
    }
    if b.params != h.params {
        out.push(format!(
            "parameters {} → {} ({})",
            thousands(b.params),
            thousands(h.params),
            signed(h.params as i128 - b.params as i128)
        ));
    }
    if b.macs != h.macs || b.macs_unknown != h.macs_unknown {
        let pct = if b.macs > 0 {
            format!(" ({:+.1}%)", (h.macs as f64 / b.macs as f64 - 1.0) * 100.0)
        } else {
            String::new()
        };
        let unknown = match (b.macs_unknown, h.macs_unknown) {
            (0, 0) => String::new(),
            (x, y) => {
                format!("; shapes unknown for {x} → {y} convolutions or matrix products, left out")
            }
        };
        out.push(format!(
            "MACs per inference {} → {}{pct}{unknown}",
            si(b.macs),
            si(h.macs)
        ));
    }
    out
}

/// `base` and `head` compared.
pub fn diff(base: &ModelGraph, head: &ModelGraph) -> GraphDiff {
    let (cb, ch) = (op_counts(base), op_counts(head));
    let mut ops_added = Vec::new();
    let mut ops_removed = Vec::new();
    let types: std::collections::BTreeSet<&str> = cb.keys().chain(ch.keys()).copied().collect();
    for t in types {
        let (x, y) = (
            cb.get(t).copied().unwrap_or(0),
            ch.get(t).copied().unwrap_or(0),
        );
        let entry = |count| OpCount {
            op_type: t.to_string(),
            count,
        };
        if y > x {
            ops_added.push(entry(y - x));
        } else if x > y {
            ops_removed.push(entry(x - y));
        }
    }
    let (added, removed) = (only_in(head, base), only_in(base, head));
    let mut d = GraphDiff {
        base: base.summary(),
        head: head.summary(),
        ops_added,
        ops_removed,
        nodes_added_total: added.len(),
        nodes_removed_total: removed.len(),
        nodes_added: added.into_iter().take(MAX_LISTED_NODES).collect(),
        nodes_removed: removed.into_iter().take(MAX_LISTED_NODES).collect(),
        changes: vec![],
    };
    d.changes = change_lines(&d);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, op: &str, macs: Option<u64>) -> GraphNode {
        GraphNode {
            name: name.into(),
            op_type: op.into(),
            macs,
            counts_macs: matches!(op, "Conv" | "Gemm" | "MatMul"),
        }
    }

    fn graph(sha: &str, nodes: Vec<GraphNode>, params: u64) -> ModelGraph {
        ModelGraph {
            format: "onnx".into(),
            sha256: sha.repeat(64),
            bytes: 14_000_000,
            producer: "pytorch 2.1.0".into(),
            opsets: vec!["ai.onnx 13".into()],
            inputs: vec!["input float[1,3,224,224]".into()],
            nodes,
            params,
        }
    }

    fn mobilenet_like() -> Vec<GraphNode> {
        vec![
            node("conv0", "Conv", Some(10_838_016)),
            node("clip0", "Clip", None),
            node("conv1", "Conv", Some(3_612_672)),
            node("gap", "GlobalAveragePool", None),
            node("fc", "Gemm", Some(1_280_000)),
        ]
    }

    #[test]
    fn an_added_convolution_is_listed_with_its_parameters_and_macs() {
        let base = graph("a", mobilenet_like(), 3_504_872);
        let mut h = mobilenet_like();
        h.insert(2, node("extra", "Conv", Some(12_845_056)));
        let mut head = graph("b", h, 3_504_872 + 1_024);
        head.opsets = vec!["ai.onnx 17".into()];
        let d = diff(&base, &head);
        assert_eq!(
            d.ops_added,
            vec![OpCount {
                op_type: "Conv".into(),
                count: 1
            }]
        );
        assert!(d.ops_removed.is_empty());
        assert_eq!(d.nodes_added, vec!["extra (Conv)"]);
        assert_eq!(d.head.macs - d.base.macs, 12_845_056);
        let text = d.changes.join("\n");
        assert!(
            text.contains(
                "model file changed: sha256 aaaaaaaaaaaa (14,000,000 bytes) → bbbbbbbbbbbb"
            ),
            "{text}"
        );
        assert!(text.contains("opset ai.onnx 13 → ai.onnx 17"), "{text}");
        assert!(text.contains("nodes 5 → 6: +1 Conv"), "{text}");
        assert!(
            text.contains("parameters 3,504,872 → 3,505,896 (+1,024)"),
            "{text}"
        );
        assert!(
            text.contains("MACs per inference 15.7 M → 28.6 M (+81.7%)"),
            "{text}"
        );
    }

    #[test]
    fn a_folded_batch_norm_is_a_removed_operator() {
        let mut b = mobilenet_like();
        b.insert(1, node("bn0", "BatchNormalization", None));
        let base = graph("a", b, 100);
        let head = graph("b", mobilenet_like(), 100);
        let d = diff(&base, &head);
        assert_eq!(d.ops_removed[0].op_type, "BatchNormalization");
        assert_eq!(d.nodes_removed, vec!["bn0 (BatchNormalization)"]);
        assert!(
            d.changes
                .iter()
                .any(|c| c == "nodes 6 → 5: -1 BatchNormalization"),
            "{:?}",
            d.changes
        );
        assert!(!d.changes.iter().any(|c| c.starts_with("parameters")));
    }

    #[test]
    fn the_same_file_has_no_changes_and_unknown_macs_are_counted() {
        let mut n = mobilenet_like();
        n[2].macs = None;
        let g = graph("a", n, 1);
        let d = diff(&g, &g);
        assert!(d.changes.is_empty());
        assert_eq!(d.base.macs_unknown, 1);
        assert_eq!(d.base.macs, 10_838_016 + 1_280_000);
    }

    #[test]
    fn renamed_nodes_with_the_same_operators_are_said_to_be_renamed() {
        let base = graph("a", mobilenet_like(), 1);
        let head = graph(
            "b",
            mobilenet_like()
                .into_iter()
                .map(|mut n| {
                    n.name = format!("{}_r", n.name);
                    n
                })
                .collect(),
            1,
        );
        let d = diff(&base, &head);
        assert_eq!(d.nodes_added_total, 5);
        assert!(d
            .changes
            .iter()
            .any(|c| c == "5 nodes renamed or rewired (the same operators)"));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(si(999), "999");
        assert_eq!(si(300_800_000), "300.8 M");
        assert_eq!(si(4_100_000_000), "4.10 G");
    }
}

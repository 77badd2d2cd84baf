//! Where the time went: two sides' profiles ([`ProfileSummary`]) side by side,
//! per node and per operator type, each change as a share of the whole
//! inference's change, and whether the change sits in a few nodes or spreads
//! over most of them.
//!
//! **Pairing nodes.** Nodes pair in execution order with a node of the same
//! operator family (the operator without a trailing number, which execution
//! providers give their fused nodes per process: 1 point), preferring the same
//! operator (1 point), the same shapes (2 points) and the same name (1 point):
//! the order-preserving pairing with the most points (a weighted longest common
//! subsequence, so one inserted node does not shift the rest, an export that
//! renumbered its nodes still pairs by shapes, and a new input size still pairs
//! by names). Past [`MAX_ALIGN`] cells it pairs by name, then greedily by
//! operator and shapes. What is left is only in base or only in head.
//!
//! **Shares.** A node's share is its change over the change of the whole
//! inference (`profile.rs`: the node medians plus the median time outside the
//! nodes, so the node shares and the outside share add up to 100%). Shares are given only when the whole inference moved
//! by at least [`MIN_SHARE_CHANGE`]: the share of nothing is noise.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::profile::{NodeTime, ProfileSummary};
use crate::suite::Provider;

/// Smallest relative change of the whole inference for which shares are given.
pub const MIN_SHARE_CHANGE: f64 = 0.01;
/// Most DP cells (unpaired base x unpaired head nodes) of the alignment.
pub const MAX_ALIGN: usize = 4_000_000;
/// Most node rows kept in an explanation (the largest changes first).
pub const MAX_NODE_ROWS: usize = 200;
/// The part of the change "a few nodes" must cover to call it concentrated.
pub const CONCENTRATED: f64 = 0.7;

/// One node of either side, side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDiff {
    /// The head's name (the base's for a node only in base).
    pub name: String,
    /// The base's name when the node was paired under another name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_name: Option<String>,
    pub op_type: String,
    /// What ran it (the head's; the base's for a node only in base).
    pub provider: String,
    /// What ran it in base, when that was something else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_provider: Option<String>,
    /// Mean ms per inference; `None`: not on that side.
    pub base_ms: Option<f64>,
    pub head_ms: Option<f64>,
    pub change_ms: f64,
    /// Of the whole inference's change (`None` when it did not move enough).
    pub share: Option<f64>,
}

/// One operator type, its nodes together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpDiff {
    pub op_type: String,
    pub base_nodes: usize,
    pub head_nodes: usize,
    pub base_ms: f64,
    pub head_ms: f64,
    pub change_ms: f64,
    pub share: Option<f64>,
}

/// Where a change sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpreadKind {
    /// At most three nodes make [`CONCENTRATED`] of it.
    Concentrated,
    /// Most sizeable nodes moved the same way.
    Broad,
    /// Neither: spread over several nodes, not most.
    Mixed,
    /// The whole inference did not move by [`MIN_SHARE_CHANGE`].
    None,
}

/// How the change spreads over the nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub kind: SpreadKind,
    /// Nodes on both sides that take at least 1% of the base's node time.
    pub sizeable: usize,
    /// Of those, the ones whose own relative change goes the way of the whole's
    /// and is at least half as large.
    pub moved: usize,
    /// Fewest nodes whose changes make [`CONCENTRATED`] of the whole's, if any do.
    pub top: Option<usize>,
}

/// Two profiles side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileDiff {
    /// Ms of a whole inference per side: node medians plus the median outside.
    pub base_ms: f64,
    pub head_ms: f64,
    pub change_ms: f64,
    /// `change_ms / base_ms`.
    pub change: f64,
    /// Inferences profiled per side (after the warm-up).
    pub base_runs: usize,
    pub head_runs: usize,
    /// Time outside the nodes (the runtime's own) per side, ms.
    pub base_outside_ms: f64,
    pub head_outside_ms: f64,
    /// The largest changes first ([`MAX_NODE_ROWS`] at most).
    pub nodes: Vec<NodeDiff>,
    /// Nodes past [`MAX_NODE_ROWS`], and their change together.
    #[serde(default)]
    pub nodes_left_out: usize,
    #[serde(default)]
    pub left_out_change_ms: f64,
    pub only_base: usize,
    pub only_head: usize,
    /// The largest changes first.
    pub ops: Vec<OpDiff>,
    pub spread: Spread,
    /// Nodes that ran on the CPU though the device asks for an accelerator, and
    /// nodes that ran on something else than in base.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<String>,
}

type Pair<'a> = (Option<&'a NodeTime>, Option<&'a NodeTime>);

/// An operator without its trailing number: the fused nodes of an execution
/// provider are numbered per process (`OpenVINO-EP-subgraph_1` in the session
/// created first, `_2` in the second), so the two sides' numbers differ.
fn family(op: &str) -> &str {
    op.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
}

/// How well base node `a` stands for head node `b`: 0 (not at all: another
/// operator family), else 1, +1 for the same operator (number included), +2
/// for the same known shapes, +1 for the same name.
fn score(a: &NodeTime, b: &NodeTime) -> u32 {
    let (x, y) = (&a.node.op_type, &b.node.op_type);
    if family(x) != family(y) {
        return 0;
    }
    let shapes = !a.node.shapes.is_empty() && a.node.shapes == b.node.shapes;
    1 + (x == y) as u32 + 2 * shapes as u32 + (a.node.name == b.node.name) as u32
}

/// Pairs of (base, head) indices: the order-preserving pairing of the highest
/// total [`score`] (a weighted longest common subsequence, O(n m)); past
/// [`MAX_ALIGN`] cells, same names first, then the k-th node of an (operator,
/// shapes) key on one side with the k-th on the other.
fn align(a: &[&NodeTime], b: &[&NodeTime]) -> Vec<(usize, usize)> {
    if a.is_empty() || b.is_empty() {
        return vec![];
    }
    if (a.len() + 1) * (b.len() + 1) > MAX_ALIGN {
        return align_greedy(a, b);
    }
    let w = b.len() + 1;
    let mut dp = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            let s = score(a[i], b[j]);
            let take = if s > 0 {
                dp[(i + 1) * w + j + 1] + s
            } else {
                0
            };
            dp[i * w + j] = take.max(dp[(i + 1) * w + j]).max(dp[i * w + j + 1]);
        }
    }
    let (mut i, mut j, mut out) = (0, 0, vec![]);
    while i < a.len() && j < b.len() {
        let s = score(a[i], b[j]);
        if s > 0 && dp[i * w + j] == dp[(i + 1) * w + j + 1] + s {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if dp[i * w + j] == dp[(i + 1) * w + j] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn align_greedy(a: &[&NodeTime], b: &[&NodeTime]) -> Vec<(usize, usize)> {
    let by_name: HashMap<&str, usize> = b
        .iter()
        .enumerate()
        .map(|(j, n)| (n.node.name.as_str(), j))
        .collect();
    let mut taken = vec![false; b.len()];
    let mut out = Vec::new();
    let mut rest = Vec::new();
    for (i, n) in a.iter().enumerate() {
        match by_name.get(n.node.name.as_str()) {
            Some(&j) if !taken[j] && score(n, b[j]) > 0 => {
                taken[j] = true;
                out.push((i, j));
            }
            _ => rest.push(i),
        }
    }
    let key = |n: &NodeTime| (n.node.op_type.clone(), n.node.shapes.clone());
    let mut free: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (j, n) in b.iter().enumerate().rev().filter(|(j, _)| !taken[*j]) {
        free.entry(key(n)).or_default().push(j);
    }
    for i in rest {
        if let Some(j) = free.get_mut(&key(a[i])).and_then(Vec::pop) {
            out.push((i, j));
        }
    }
    out
}

/// Every node of either side, paired where it can be (head order first, then
/// the nodes only in base).
fn pair<'a>(base: &'a ProfileSummary, head: &'a ProfileSummary) -> Vec<Pair<'a>> {
    let a: Vec<&NodeTime> = base.nodes.iter().collect();
    let b: Vec<&NodeTime> = head.nodes.iter().collect();
    let mut partner: Vec<Option<usize>> = vec![None; b.len()];
    let mut paired = vec![false; a.len()];
    for (i, j) in align(&a, &b) {
        partner[j] = Some(i);
        paired[i] = true;
    }
    let mut out: Vec<Pair<'a>> = b
        .iter()
        .zip(&partner)
        .map(|(h, p)| (p.map(|i| a[i]), Some(*h)))
        .collect();
    out.extend(
        a.iter()
            .zip(paired)
            .filter(|(_, p)| !p)
            .map(|(n, _)| (Some(*n), None)),
    );
    out
}

fn node_diff(p: &Pair<'_>, share: &dyn Fn(f64) -> Option<f64>) -> NodeDiff {
    let (b, h) = *p;
    let main = h.or(b).expect("a pair has a side");
    let (bm, hm) = (b.map(|n| n.ms), h.map(|n| n.ms));
    let change_ms = hm.unwrap_or(0.0) - bm.unwrap_or(0.0);
    NodeDiff {
        name: main.node.name.clone(),
        base_name: b
            .filter(|b| h.is_some_and(|h| h.node.name != b.node.name))
            .map(|b| b.node.name.clone()),
        op_type: main.node.op_type.clone(),
        provider: main.node.provider.clone(),
        base_provider: b
            .filter(|b| h.is_some_and(|h| h.node.provider != b.node.provider))
            .map(|b| b.node.provider.clone()),
        base_ms: bm,
        head_ms: hm,
        change_ms,
        share: share(change_ms),
    }
}

fn by_op(nodes: &[NodeDiff], share: &dyn Fn(f64) -> Option<f64>) -> Vec<OpDiff> {
    let mut ops: Vec<OpDiff> = Vec::new();
    for n in nodes {
        let i = match ops.iter().position(|o| o.op_type == n.op_type) {
            Some(i) => i,
            None => {
                ops.push(OpDiff {
                    op_type: n.op_type.clone(),
                    base_nodes: 0,
                    head_nodes: 0,
                    base_ms: 0.0,
                    head_ms: 0.0,
                    change_ms: 0.0,
                    share: None,
                });
                ops.len() - 1
            }
        };
        let o = &mut ops[i];
        o.base_nodes += n.base_ms.is_some() as usize;
        o.head_nodes += n.head_ms.is_some() as usize;
        o.base_ms += n.base_ms.unwrap_or(0.0);
        o.head_ms += n.head_ms.unwrap_or(0.0);
    }
    for o in &mut ops {
        o.change_ms = o.head_ms - o.base_ms;
        o.share = share(o.change_ms);
    }
    ops.sort_by(|a, b| b.change_ms.abs().total_cmp(&a.change_ms.abs()));
    ops
}

/// How the change spreads: see [`Spread`].
fn spread(nodes: &[NodeDiff], base_nodes_ms: f64, change_ms: f64, base_ms: f64) -> Spread {
    let whole = if base_ms > 0.0 {
        change_ms / base_ms
    } else {
        0.0
    };
    let sizeable: Vec<&NodeDiff> = nodes
        .iter()
        .filter(|n| n.head_ms.is_some() && n.base_ms.is_some_and(|b| b >= 0.01 * base_nodes_ms))
        .collect();
    let moved = sizeable
        .iter()
        .filter(|n| {
            let b = n.base_ms.unwrap_or(0.0);
            b > 0.0 && (n.change_ms / b) * whole.signum() >= 0.5 * whole.abs()
        })
        .count();
    let mut toward: Vec<f64> = nodes
        .iter()
        .map(|n| n.change_ms * change_ms.signum())
        .filter(|&c| c > 0.0)
        .collect();
    toward.sort_by(|a, b| b.total_cmp(a));
    let goal = CONCENTRATED * change_ms.abs();
    let mut acc = 0.0;
    let top = toward.iter().position(|c| {
        acc += c;
        acc >= goal
    });
    let top = top.map(|i| i + 1);
    let kind = if whole.abs() < MIN_SHARE_CHANGE {
        SpreadKind::None
    } else if top.is_some_and(|k| k <= 3) {
        SpreadKind::Concentrated
    } else if !sizeable.is_empty() && 2 * moved >= sizeable.len() {
        SpreadKind::Broad
    } else {
        SpreadKind::Mixed
    };
    Spread {
        kind,
        sizeable: sizeable.len(),
        moved,
        top,
    }
}

/// What ran where: nodes on the CPU though `requested` is an accelerator, and
/// nodes that ran on something else in base (20 lines at most).
fn provider_notes(nodes: &[NodeDiff], requested: Provider) -> Vec<String> {
    let cpu = |p: &str| p.to_ascii_lowercase().contains("cpu");
    let mut out: Vec<String> = Vec::new();
    let fell: Vec<&NodeDiff> = nodes
        .iter()
        .filter(|n| requested != Provider::Cpu && n.head_ms.is_some() && cpu(&n.provider))
        .collect();
    for n in fell.iter().take(10) {
        out.push(format!(
            "{} ({}) ran on {}, not on the {} asked for",
            n.name, n.op_type, n.provider, requested
        ));
    }
    if fell.len() > 10 {
        out.push(format!("{} more nodes ran on the CPU", fell.len() - 10));
    }
    for n in nodes.iter().filter(|n| n.base_provider.is_some()).take(10) {
        out.push(format!(
            "{} ({}) ran on {} in base, on {} in head",
            n.name,
            n.op_type,
            n.base_provider.as_deref().unwrap_or("?"),
            n.provider
        ));
    }
    out
}

/// `base` and `head` side by side; `requested` is what the head's device asks
/// to run on (a node on the CPU under an accelerator is named).
pub fn attribute(base: &ProfileSummary, head: &ProfileSummary, requested: Provider) -> ProfileDiff {
    let change_ms = head.total_ms - base.total_ms;
    let change = if base.total_ms > 0.0 {
        change_ms / base.total_ms
    } else {
        f64::NAN
    };
    let moved = change.is_finite() && change.abs() >= MIN_SHARE_CHANGE;
    let share = move |c: f64| moved.then(|| c / change_ms);
    let mut nodes: Vec<NodeDiff> = pair(base, head)
        .iter()
        .map(|p| node_diff(p, &share))
        .collect();
    let ops = by_op(&nodes, &share);
    let spread = spread(&nodes, base.nodes_ms(), change_ms, base.total_ms);
    let providers = provider_notes(&nodes, requested);
    let only_base = nodes.iter().filter(|n| n.head_ms.is_none()).count();
    let only_head = nodes.iter().filter(|n| n.base_ms.is_none()).count();
    nodes.sort_by(|a, b| b.change_ms.abs().total_cmp(&a.change_ms.abs()));
    let left_out: Vec<NodeDiff> = nodes.split_off(nodes.len().min(MAX_NODE_ROWS));
    ProfileDiff {
        base_ms: base.total_ms,
        head_ms: head.total_ms,
        change_ms,
        change,
        base_runs: base.runs,
        head_runs: head.runs,
        base_outside_ms: base.outside_ms,
        head_outside_ms: head.outside_ms,
        nodes,
        nodes_left_out: left_out.len(),
        left_out_change_ms: left_out.iter().map(|n| n.change_ms).sum(),
        only_base,
        only_head,
        ops,
        spread,
        providers,
    }
}

#[cfg(test)]
mod tests;

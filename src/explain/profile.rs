//! One side's per-operator profile: what a runtime's own profiler recorded
//! ([`RawProfile`]: every node and its time in each inference) and the summary
//! the explanation compares ([`ProfileSummary`]: each node's mean time over the
//! inferences kept). A leaf: the other files of `explain/` use these types.
//!
//! **Which inferences count.** The first ones (the cold first inference and the
//! warm-up) are dropped by the caller (`skip`); of the rest, the slowest
//! [`DROP_SLOWEST`] are dropped too, because a shared machine only ever *adds*
//! time (a preempted inference, a cache flushed by a neighbour). Each node's time
//! is then its mean over the same kept inferences, so the node times add up
//! exactly to the mean of the kept inferences' node sums: a share of the change
//! is a share of something that adds up.

use serde::{Deserialize, Serialize};

/// Fraction of the profiled inferences (the slowest, by the sum of their node
/// times) left out of the summary.
pub const DROP_SLOWEST: f64 = 0.2;

/// Most nodes a profile may have: past it the explanation is "not available"
/// (a profile that large is not read by a person, and costs seconds to match).
pub const MAX_PROFILE_NODES: usize = 20_000;

/// A node as the runtime's profiler names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfiledNode {
    /// The node's name in the runtime's (optimised) graph, e.g. ONNX Runtime's
    /// `relu6_6_nchwc` for the original node `relu6_6` after its NCHWc rewrite.
    pub name: String,
    /// The operator (`Conv`, `CONV_2D`, a fused subgraph's name).
    pub op_type: String,
    /// What ran it, in the runtime's words (`CPUExecutionProvider`, `XNNPACK`).
    pub provider: String,
    /// Input and output shapes (`float[1,32,112,112] -> float[1,16,112,112]`),
    /// used to pair nodes that were renamed; empty when the profiler gives none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub shapes: String,
}

/// One profiled inference: each node's milliseconds (indexed like
/// [`RawProfile::nodes`], 0 for a node that did not run) and the whole
/// inference's, when the profiler times it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfiledRun {
    pub total_ms: Option<f64>,
    pub node_ms: Vec<f64>,
}

/// What a runtime's profiler recorded for one session, every inference in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawProfile {
    pub nodes: Vec<ProfiledNode>,
    pub runs: Vec<ProfiledRun>,
}

/// Builds a [`RawProfile`] event by event, as a profiler's output is read:
/// nodes are indexed in the order they first ran, and a profile past
/// [`MAX_PROFILE_NODES`] nodes is refused as soon as it gets there.
#[derive(Debug, Default)]
pub struct ProfileBuilder {
    raw: RawProfile,
    index: std::collections::HashMap<String, usize>,
}

impl ProfileBuilder {
    /// Starts the next inference (its whole time, when the profiler has it).
    pub fn start_run(&mut self, total_ms: Option<f64>) {
        self.raw.runs.push(ProfiledRun {
            total_ms,
            node_ms: Vec::new(),
        });
    }

    /// Adds `ms` to `node`'s time in the current inference (a node that runs
    /// twice in one inference, in a loop, counts both).
    pub fn add(&mut self, node: ProfiledNode, ms: f64) -> Result<(), String> {
        let i = match self.index.get(&node.name) {
            Some(&i) => i,
            None => {
                if self.raw.nodes.len() == MAX_PROFILE_NODES {
                    return Err(format!(
                        "the profile has more than the {MAX_PROFILE_NODES} nodes an explanation reads"
                    ));
                }
                self.index.insert(node.name.clone(), self.raw.nodes.len());
                self.raw.nodes.push(node);
                self.raw.nodes.len() - 1
            }
        };
        let Some(run) = self.raw.runs.last_mut() else {
            return Err("a node time came before any inference".into());
        };
        if run.node_ms.len() <= i {
            run.node_ms.resize(i + 1, 0.0);
        }
        run.node_ms[i] += ms;
        Ok(())
    }

    /// The profile, every inference with a time for every node.
    pub fn finish(mut self) -> RawProfile {
        let n = self.raw.nodes.len();
        for r in &mut self.raw.runs {
            r.node_ms.resize(n, 0.0);
        }
        self.raw
    }
}

/// A node's mean time over the kept inferences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeTime {
    #[serde(flatten)]
    pub node: ProfiledNode,
    pub ms: f64,
}

/// One side's profile as the explanation compares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileSummary {
    /// Inferences profiled after the warm-up.
    pub runs: usize,
    /// Of those, the ones kept (the fastest `1 - DROP_SLOWEST`).
    pub kept: usize,
    /// Mean milliseconds of a whole kept inference, as the profiler timed it
    /// (the node sum where it does not time whole inferences).
    pub total_ms: f64,
    /// Every node in the order it first ran, with its mean time.
    pub nodes: Vec<NodeTime>,
}

impl ProfileSummary {
    /// Milliseconds of a kept inference spent in nodes.
    pub fn nodes_ms(&self) -> f64 {
        self.nodes.iter().map(|n| n.ms).sum()
    }
}

/// The summary of `raw` without its first `skip` inferences (cold start and
/// warm-up), or why there is none: no inference left, too many nodes, a node
/// time that is not a finite non-negative number.
///
/// Cost: O(runs x nodes) plus a sort of the runs.
pub fn summarise(raw: &RawProfile, skip: usize) -> Result<ProfileSummary, String> {
    if raw.nodes.len() > MAX_PROFILE_NODES {
        return Err(format!(
            "the profile has {} nodes, more than the {MAX_PROFILE_NODES} an explanation reads",
            raw.nodes.len()
        ));
    }
    let runs = raw.runs.get(skip..).unwrap_or(&[]);
    if runs.is_empty() {
        return Err(format!(
            "the profiler recorded {} inferences, none after the {skip} of the warm-up",
            raw.runs.len()
        ));
    }
    let n = raw.nodes.len();
    if let Some(r) = runs.iter().find(|r| r.node_ms.len() != n) {
        return Err(format!(
            "a profiled inference has {} node times for {n} nodes",
            r.node_ms.len()
        ));
    }
    let bad = |x: f64| !(x.is_finite() && x >= 0.0);
    if runs
        .iter()
        .any(|r| r.node_ms.iter().any(|&x| bad(x)) || r.total_ms.is_some_and(bad))
    {
        return Err("the profile holds a time that is not a finite, non-negative number".into());
    }
    let sums: Vec<f64> = runs.iter().map(|r| r.node_ms.iter().sum()).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| sums[a].total_cmp(&sums[b]).then(a.cmp(&b)));
    let keep = ((runs.len() as f64 * (1.0 - DROP_SLOWEST)).round() as usize).clamp(1, runs.len());
    let kept = &order[..keep];
    let k = keep as f64;
    let nodes = raw
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| NodeTime {
            node: node.clone(),
            ms: kept.iter().map(|&r| runs[r].node_ms[i]).sum::<f64>() / k,
        })
        .collect();
    let total_ms = kept
        .iter()
        .map(|&r| runs[r].total_ms.unwrap_or(sums[r]))
        .sum::<f64>()
        / k;
    Ok(ProfileSummary {
        runs: runs.len(),
        kept: keep,
        total_ms,
        nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> ProfiledNode {
        ProfiledNode {
            name: name.into(),
            op_type: "Conv".into(),
            provider: "CPUExecutionProvider".into(),
            shapes: String::new(),
        }
    }

    fn run(total: f64, nodes: &[f64]) -> ProfiledRun {
        ProfiledRun {
            total_ms: Some(total),
            node_ms: nodes.to_vec(),
        }
    }

    #[test]
    fn the_warm_up_and_the_slowest_fifth_are_left_out_and_node_times_add_up() {
        let raw = RawProfile {
            nodes: vec![node("a"), node("b")],
            runs: vec![
                run(100.0, &[90.0, 9.0]), // the cold first inference
                run(3.2, &[1.0, 2.0]),
                run(3.4, &[1.2, 2.0]),
                run(3.1, &[1.0, 1.8]),
                run(3.3, &[1.1, 2.0]),
                run(9.0, &[6.0, 2.5]), // preempted: the slowest fifth
            ],
        };
        let s = summarise(&raw, 1).unwrap();
        assert_eq!((s.runs, s.kept), (5, 4));
        assert!((s.nodes[0].ms - 1.075).abs() < 1e-12, "{s:?}");
        assert!((s.nodes[1].ms - 1.95).abs() < 1e-12);
        assert!((s.total_ms - 3.25).abs() < 1e-12);
        // The node means add up to the mean node sum of the same inferences.
        assert!((s.nodes_ms() - 3.025).abs() < 1e-12);
    }

    #[test]
    fn a_profile_without_whole_inference_times_uses_the_node_sums() {
        let raw = RawProfile {
            nodes: vec![node("a")],
            runs: vec![ProfiledRun {
                total_ms: None,
                node_ms: vec![2.0],
            }],
        };
        let s = summarise(&raw, 0).unwrap();
        assert_eq!((s.kept, s.total_ms), (1, 2.0));
    }

    #[test]
    fn degenerate_profiles_say_why_they_cannot_be_summarised() {
        let raw = RawProfile {
            nodes: vec![node("a")],
            runs: vec![run(1.0, &[1.0])],
        };
        assert!(summarise(&raw, 1).unwrap_err().contains("none after the 1"));
        let mut bad = raw.clone();
        bad.runs[0].node_ms = vec![f64::NAN];
        assert!(summarise(&bad, 0).unwrap_err().contains("finite"));
        let mut short = raw.clone();
        short.runs[0].node_ms.clear();
        assert!(summarise(&short, 0).unwrap_err().contains("0 node times"));
        let huge = RawProfile {
            nodes: (0..=MAX_PROFILE_NODES)
                .map(|i| node(&i.to_string()))
                .collect(),
            runs: vec![],
        };
        assert!(summarise(&huge, 0).unwrap_err().contains("more than"));
    }

    #[test]
    fn a_builder_indexes_nodes_in_the_order_they_first_ran_and_pads_the_runs() {
        let mut b = ProfileBuilder::default();
        assert!(b.add(node("x"), 1.0).is_err(), "no inference yet");
        b.start_run(Some(3.0));
        b.add(node("x"), 1.0).unwrap();
        b.start_run(None);
        b.add(node("y"), 2.0).unwrap();
        b.add(node("x"), 0.5).unwrap();
        b.add(node("x"), 0.25).unwrap();
        let raw = b.finish();
        let names: Vec<_> = raw.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["x", "y"]);
        assert_eq!(raw.runs[0].node_ms, vec![1.0, 0.0]);
        assert_eq!(raw.runs[1].node_ms, vec![0.75, 2.0]);
        assert_eq!(raw.runs[1].total_ms, None);
    }
}

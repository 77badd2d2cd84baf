//! One side's per-operator profile: what a runtime's own profiler recorded
//! ([`RawProfile`]: every node and its time in each inference) and the summary
//! the explanation compares ([`ProfileSummary`]: each node's median over the
//! inferences profiled). A leaf: the other files of `explain/` use these types.
//!
//! **Which statistic.** The first inferences (the cold first one and the
//! warm-up) are dropped by the caller (`skip`). Each node's time is then its
//! *median* over the profiled inferences, and so is the time outside the nodes
//! (the runtime's own, between them): a shared machine only ever adds time, to
//! a random few inferences and nodes, which moves a mean (by tens of percent on
//! a loaded 2-core machine, measured) but hardly a median. The whole inference
//! is defined as the sum of those medians, so node shares of its change, with
//! the share outside the nodes, add up to exactly 100%.

use serde::{Deserialize, Serialize};

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

/// A node's median time over the profiled inferences.
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
    /// The whole inference: the node medians plus [`ProfileSummary::outside_ms`].
    pub total_ms: f64,
    /// Median milliseconds of an inference outside its nodes (0 where the
    /// profiler does not time whole inferences).
    pub outside_ms: f64,
    /// Every node in the order it first ran, with its median time.
    pub nodes: Vec<NodeTime>,
}

impl ProfileSummary {
    /// Milliseconds of an inference spent in nodes (the sum of node medians).
    pub fn nodes_ms(&self) -> f64 {
        self.nodes.iter().map(|n| n.ms).sum()
    }
}

/// The median of `xs` (finite, non-empty), reordering it.
fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if !n.is_multiple_of(2) {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
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
    let mut column = vec![0.0; runs.len()];
    let nodes: Vec<NodeTime> = raw
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            column
                .iter_mut()
                .zip(runs)
                .for_each(|(c, r)| *c = r.node_ms[i]);
            NodeTime {
                node: node.clone(),
                ms: median(&mut column),
            }
        })
        .collect();
    column.iter_mut().zip(runs).for_each(|(c, r)| {
        *c = r
            .total_ms
            .map_or(0.0, |t| t - r.node_ms.iter().sum::<f64>())
    });
    let outside_ms = median(&mut column);
    let nodes_ms: f64 = nodes.iter().map(|n| n.ms).sum();
    Ok(ProfileSummary {
        runs: runs.len(),
        total_ms: nodes_ms + outside_ms,
        outside_ms,
        nodes,
    })
}

/// One summary of several rounds' (each a worker process, the sides created
/// in alternating order, as a confirmation's rounds are): each node's time is
/// the mean of its per-round medians, inferences add up. Cancels what the first
/// session of a process pays that the second does not. Rounds with as many
/// nodes as the first pair node by node in execution order (an execution
/// provider may number its fused nodes per process, so names can differ between
/// rounds; the first round's names are kept); otherwise by name, a node missing
/// from a round counting 0 there. `None` for no rounds.
pub fn combine(rounds: &[ProfileSummary]) -> Option<ProfileSummary> {
    let first = rounds.first()?;
    let k = rounds.len() as f64;
    let outside_ms = rounds.iter().map(|r| r.outside_ms).sum::<f64>() / k;
    let runs = rounds.iter().map(|r| r.runs).sum();
    if rounds.iter().all(|r| r.nodes.len() == first.nodes.len()) {
        let nodes: Vec<NodeTime> = first
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeTime {
                node: n.node.clone(),
                ms: rounds.iter().map(|r| r.nodes[i].ms).sum::<f64>() / k,
            })
            .collect();
        return Some(ProfileSummary {
            runs,
            total_ms: nodes.iter().map(|n| n.ms).sum::<f64>() + outside_ms,
            outside_ms,
            nodes,
        });
    }
    let mut nodes: Vec<NodeTime> = first.nodes.clone();
    let mut index: std::collections::HashMap<String, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.node.name.clone(), i))
        .collect();
    nodes.iter_mut().for_each(|n| n.ms = 0.0);
    for r in rounds {
        for n in &r.nodes {
            let i = *index.entry(n.node.name.clone()).or_insert_with(|| {
                nodes.push(NodeTime {
                    node: n.node.clone(),
                    ms: 0.0,
                });
                nodes.len() - 1
            });
            nodes[i].ms += n.ms / k;
        }
    }
    Some(ProfileSummary {
        runs,
        total_ms: nodes.iter().map(|n| n.ms).sum::<f64>() + outside_ms,
        outside_ms,
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
    fn node_times_are_medians_and_the_whole_is_their_sum_plus_the_outside() {
        let raw = RawProfile {
            nodes: vec![node("a"), node("b")],
            runs: vec![
                run(100.0, &[90.0, 9.0]), // the cold first inference
                run(3.2, &[1.0, 2.0]),
                run(3.4, &[1.2, 2.0]),
                run(3.1, &[1.0, 1.8]),
                run(3.3, &[1.1, 2.0]),
                run(9.0, &[6.0, 2.5]), // preempted: moves a mean, not a median
            ],
        };
        let s = summarise(&raw, 1).unwrap();
        assert_eq!(s.runs, 5);
        assert_eq!((s.nodes[0].ms, s.nodes[1].ms), (1.1, 2.0));
        // Outside the nodes: 0.2, 0.2, 0.3, 0.2, 0.5 -> 0.2.
        assert!((s.outside_ms - 0.2).abs() < 1e-9, "{s:?}");
        assert!((s.total_ms - 3.3).abs() < 1e-9);
        assert!((s.nodes_ms() + s.outside_ms - s.total_ms).abs() < 1e-12);
    }

    #[test]
    fn rounds_combine_by_the_mean_of_their_medians() {
        let one = |ms: &[f64], outside: f64| ProfileSummary {
            runs: 10,
            total_ms: ms.iter().sum::<f64>() + outside,
            outside_ms: outside,
            nodes: ms
                .iter()
                .enumerate()
                .map(|(i, &ms)| NodeTime {
                    node: node(&format!("n{i}")),
                    ms,
                })
                .collect(),
        };
        let mut renamed = one(&[3.0, 1.0], 0.0);
        renamed.nodes[0].node.name = "other".into();
        let same = combine(&[one(&[1.0, 2.0], 0.2), renamed]).unwrap();
        let names: Vec<&str> = same.nodes.iter().map(|n| n.node.name.as_str()).collect();
        assert_eq!(
            names,
            ["n0", "n1"],
            "paired by position, the first names kept"
        );
        assert_eq!((same.nodes[0].ms, same.nodes[1].ms), (2.0, 1.5));
        let c = combine(&[one(&[1.0, 2.0], 0.2), one(&[1.2, 2.0, 0.5], 0.4)]).unwrap();
        assert_eq!(c.runs, 20);
        let ms: Vec<f64> = c.nodes.iter().map(|n| n.ms).collect();
        assert_eq!(ms, vec![1.1, 2.0, 0.25]);
        assert!((c.outside_ms - 0.3).abs() < 1e-12);
        assert!((c.total_ms - 3.65).abs() < 1e-12);
        assert!(combine(&[]).is_none());
    }

    #[test]
    fn a_profile_without_whole_inference_times_has_nothing_outside() {
        let raw = RawProfile {
            nodes: vec![node("a")],
            runs: vec![
                ProfiledRun {
                    total_ms: None,
                    node_ms: vec![2.0],
                },
                ProfiledRun {
                    total_ms: None,
                    node_ms: vec![3.0],
                },
            ],
        };
        let s = summarise(&raw, 0).unwrap();
        assert_eq!((s.outside_ms, s.total_ms), (0.0, 2.5));
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

//! Why a path's latency changed (docs/EXPLAIN.md): the runtime's own
//! per-operator profiles of base and head side by side, what changed in the
//! model graph, and what changed in the settings.
//!
//! Pure: profiles and graphs come in as values (`engine` profiles each side in
//! a worker, `model_graph` reads the model files), an [`Explanation`] comes out.
//!
//! * [`profile`]: one side's profile, raw (every inference) and summarised (each
//!   node's median over the profiled inferences);
//! * [`trace`]: ONNX Runtime's Chrome-trace profile file read; [`runner`]: an
//!   external runner's `profile` reply read;
//! * [`attribution`]: two profiles side by side, per node and per operator,
//!   shares of the change, and how it spreads;
//! * [`graph`]: two model graphs compared; [`settings`]: device settings compared;
//! * [`why`]: the one line; [`document`]: the [`Explanation`] stored.

pub mod attribution;
pub mod document;
pub mod graph;
pub mod profile;
pub mod runner;
pub mod settings;
pub mod trace;
pub mod why;

pub use document::{Brief, ExplainDocument, Explanation, Part, EXPLAIN_SCHEMA_VERSION};

use crate::suite::Provider;

/// An explanation from its parts: the settings that differ, both sides'
/// profile summaries (or why there are none), what the head's device asks to
/// run on, both graphs (or why not), and the seconds it all took.
pub fn assemble(
    settings: Vec<String>,
    profiles: Result<(profile::ProfileSummary, profile::ProfileSummary), String>,
    requested: Provider,
    graphs: Result<(graph::ModelGraph, graph::ModelGraph), String>,
    seconds: f64,
) -> Explanation {
    let fused = match (&profiles, &graphs) {
        (Ok((_, h)), Ok((_, g))) => fused_note(h.nodes.len(), g),
        _ => None,
    };
    let profile = match profiles {
        Ok((b, h)) => {
            let mut d = attribution::attribute(&b, &h, requested);
            d.providers.extend(fused);
            Part::Available(d)
        }
        Err(why) => Part::NotAvailable(why),
    };
    let graph = match graphs {
        Ok((b, h)) => Part::Available(graph::diff(&b, &h)),
        Err(why) => Part::NotAvailable(why),
    };
    Explanation {
        why: why::why_line(&settings, &profile, &graph),
        settings,
        profile,
        graph,
        seconds,
    }
}

/// A note when the runtime ran the head's graph as a few fused nodes (an
/// execution provider such as OpenVINO or TensorRT taking whole subgraphs): the
/// profile cannot say which operator inside them took the time.
fn fused_note(profiled: usize, head: &graph::ModelGraph) -> Option<String> {
    let n = head.nodes.len();
    (profiled > 0 && profiled <= 5 && n >= 4 * profiled).then(|| {
        format!(
            "the runtime ran the graph's {n} nodes as {profiled} fused node{}: per-operator detail ends there",
            if profiled == 1 { "" } else { "s" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_run_as_a_few_fused_nodes_is_said_to_be() {
        let g = graph::ModelGraph {
            format: "onnx".into(),
            sha256: String::new(),
            bytes: 0,
            producer: String::new(),
            opsets: vec![],
            inputs: vec![],
            nodes: (0..101)
                .map(|i| graph::GraphNode {
                    name: i.to_string(),
                    op_type: "Conv".into(),
                    macs: None,
                    counts_macs: true,
                })
                .collect(),
            params: 0,
        };
        let note = fused_note(1, &g).unwrap();
        assert_eq!(
            note,
            "the runtime ran the graph's 101 nodes as 1 fused node: per-operator detail ends there"
        );
        assert!(fused_note(56, &g).is_none());
    }
}

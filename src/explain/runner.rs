//! An external runner's profile (the reply to `profile`, docs/EXTERNAL_RUNNERS.md)
//! read into a [`RawProfile`]:
//!
//! ```json
//! {"op": "profile", "ok": true,
//!  "nodes": [{"name": "conv0", "op": "Conv", "provider": "CPUExecutionProvider", "shapes": "..."}],
//!  "runs": [{"total_ms": 9.1, "ms": [0.72, ...]}, ...]}
//! ```
//!
//! `nodes` in the order they run; `runs`, one per inference since `load`, in
//! order, each with one time per node (`ms[i]` for `nodes[i]`) and optionally the
//! whole inference's. Pure: `engine::external` asks the runner.

use serde::Deserialize;
use serde_json::Value;

use super::profile::{ProfileBuilder, ProfiledNode, RawProfile};

#[derive(Deserialize)]
struct Node {
    name: String,
    op: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    shapes: String,
}

#[derive(Deserialize)]
struct Run {
    #[serde(default)]
    total_ms: Option<f64>,
    ms: Vec<f64>,
}

#[derive(Deserialize)]
struct Reply {
    nodes: Vec<Node>,
    runs: Vec<Run>,
}

/// The profile in a runner's reply, or what is wrong with it (one line).
pub fn parse_runner_profile(reply: &Value) -> Result<RawProfile, String> {
    let r = Reply::deserialize(reply)
        .map_err(|e| format!("the profile reply needs \"nodes\" and \"runs\": {e}"))?;
    let mut b = ProfileBuilder::default();
    let nodes: Vec<ProfiledNode> = r
        .nodes
        .into_iter()
        .map(|n| ProfiledNode {
            name: n.name,
            op_type: n.op,
            provider: n.provider,
            shapes: n.shapes,
        })
        .collect();
    for (k, run) in r.runs.iter().enumerate() {
        if run.ms.len() != nodes.len() {
            return Err(format!(
                "run {k} of the profile has {} times for {} nodes",
                run.ms.len(),
                nodes.len()
            ));
        }
        b.start_run(run.total_ms);
        for (n, &ms) in nodes.iter().zip(&run.ms) {
            b.add(n.clone(), ms)?;
        }
    }
    if r.runs.is_empty() {
        // Still index the nodes, so an empty profile says "no inference".
        return Ok(RawProfile {
            nodes,
            runs: vec![],
        });
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runner_profile_is_read_run_by_run() {
        let v: Value = serde_json::from_str(
            r#"{"op":"profile","ok":true,
                "nodes":[{"name":"a","op":"Conv","provider":"cpu"},{"name":"b","op":"Gemm"}],
                "runs":[{"total_ms":2.0,"ms":[1.5,0.25]},{"ms":[1.0,0.5]}]}"#,
        )
        .unwrap();
        let raw = parse_runner_profile(&v).unwrap();
        assert_eq!(raw.nodes[1].op_type, "Gemm");
        assert_eq!(raw.runs[0].total_ms, Some(2.0));
        assert_eq!(raw.runs[1].node_ms, vec![1.0, 0.5]);
    }

    #[test]
    fn a_malformed_runner_profile_says_what_is_wrong() {
        let missing: Value = serde_json::from_str(r#"{"op":"profile","ok":true}"#).unwrap();
        assert!(parse_runner_profile(&missing)
            .unwrap_err()
            .contains("\"nodes\""));
        let short: Value =
            serde_json::from_str(r#"{"nodes":[{"name":"a","op":"Conv"}],"runs":[{"ms":[]}]}"#)
                .unwrap();
        assert!(parse_runner_profile(&short).unwrap_err().contains("run 0"));
    }
}

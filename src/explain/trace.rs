//! ONNX Runtime's profile (the file `SessionEndProfiling` writes) read into a
//! [`RawProfile`]. The file is Chrome trace JSON: an array of complete events
//! (`"ph": "X"`, `ts` and `dur` in microseconds). Two kinds matter:
//!
//! * `{"cat": "Session", "name": "model_run"}`: one per inference, its window;
//! * `{"cat": "Node", "name": "<node>_kernel_time", "args": {"op_name", "provider",
//!   "input_type_shape", "output_type_shape"}}`: one per node executed, inside
//!   its inference's window (`_fence_before` / `_fence_after` events of older
//!   versions are not kernel time and are skipped).
//!
//! Pure: text in, profile out; `engine::ort` reads the file.

use serde::Deserialize;
use serde_json::Value;

use super::profile::{ProfileBuilder, ProfiledNode, RawProfile};

#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    cat: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ts: f64,
    #[serde(default)]
    dur: f64,
    #[serde(default)]
    args: Option<Value>,
}

/// `[{"float": [1, 3, 224, 224]}, ...]` as `float[1,3,224,224], ...`.
fn shapes(v: Option<&Value>) -> String {
    let Some(Value::Array(items)) = v else {
        return String::new();
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.iter())
        .map(|(ty, dims)| {
            let dims: Vec<String> = dims
                .as_array()
                .map(|d| d.iter().map(|x| x.to_string()).collect())
                .unwrap_or_default();
            format!("{ty}[{}]", dims.join(","))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn node_of(name: &str, args: Option<&Value>) -> ProfiledNode {
    let arg = |k: &str| {
        args.and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let (ins, outs) = (
        shapes(args.and_then(|a| a.get("input_type_shape"))),
        shapes(args.and_then(|a| a.get("output_type_shape"))),
    );
    ProfiledNode {
        name: name.to_string(),
        op_type: arg("op_name"),
        provider: arg("provider"),
        shapes: if ins.is_empty() && outs.is_empty() {
            String::new()
        } else {
            format!("{ins} -> {outs}")
        },
    }
}

/// Reads an ONNX Runtime profile: each `model_run` is an inference, each node
/// event counts in the inference whose window holds its start. Errors say what
/// is wrong with the file in one line.
pub fn parse_ort_trace(text: &str) -> Result<RawProfile, String> {
    let events: Vec<Event> = serde_json::from_str(text)
        .map_err(|e| format!("ONNX Runtime's profile is not a Chrome trace event array: {e}"))?;
    let mut runs: Vec<(f64, f64)> = events
        .iter()
        .filter(|e| e.cat == "Session" && e.name == "model_run")
        .map(|e| (e.ts, e.ts + e.dur))
        .collect();
    if runs.is_empty() {
        return Err(
            "ONNX Runtime's profile has no model_run event (no inference was profiled)".into(),
        );
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut nodes: Vec<(usize, &Event, &str)> = Vec::new();
    for e in &events {
        let Some(name) = e.name.strip_suffix("_kernel_time") else {
            continue;
        };
        if e.cat != "Node" {
            continue;
        }
        // The inference whose window holds the event's start.
        let i = runs.partition_point(|r| r.0 <= e.ts);
        if i > 0 && e.ts <= runs[i - 1].1 {
            nodes.push((i - 1, e, name));
        }
    }
    nodes.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.ts.total_cmp(&b.1.ts)));
    let mut b = ProfileBuilder::default();
    let mut next = 0;
    for (run, e, name) in nodes {
        while next <= run {
            b.start_run(Some((runs[next].1 - runs[next].0) / 1e3));
            next += 1;
        }
        b.add(node_of(name, e.args.as_ref()), e.dur / 1e3)?;
    }
    while next < runs.len() {
        b.start_run(Some((runs[next].1 - runs[next].0) / 1e3));
        next += 1;
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two inferences of a two-node graph, as ONNX Runtime 1.31 writes them
    /// (abridged args), with the session events before them.
    const TRACE: &str = r#"[
{"cat" : "Session","pid" :1,"tid" :1,"dur" :57797,"ts" :7,"ph" : "X","name" :"model_loading_uri","args" : {}},
{"cat" : "Session","pid" :1,"tid" :1,"dur" :80386,"ts" :57905,"ph" : "X","name" :"session_initialization","args" : {}},
{"cat" : "Node","pid" :1,"tid" :1,"dur" :739,"ts" :138649,"ph" : "X","name" :"relu6_6_nchwc_kernel_time","args" : {"op_name" : "Conv","provider" : "CPUExecutionProvider","input_type_shape" : [{"float":[1,3,224,224]},{"float":[32,3,3,3]}],"output_type_shape" : [{"float":[1,32,112,112]}]}},
{"cat" : "Node","pid" :1,"tid" :1,"dur" :100,"ts" :139400,"ph" : "X","name" :"gemm_kernel_time","args" : {"op_name" : "Gemm","provider" : "CPUExecutionProvider"}},
{"cat" : "Session","pid" :1,"tid" :1,"dur" :1000,"ts" :138640,"ph" : "X","name" :"SequentialExecutor::Execute","args" : {}},
{"cat" : "Session","pid" :1,"tid" :1,"dur" :1010,"ts" :138615,"ph" : "X","name" :"model_run","args" : {}},
{"cat" : "Node","pid" :1,"tid" :1,"dur" :700,"ts" :150000,"ph" : "X","name" :"relu6_6_nchwc_kernel_time","args" : {"op_name" : "Conv","provider" : "CPUExecutionProvider"}},
{"cat" : "Node","pid" :1,"tid" :1,"dur" :5,"ts" :150001,"ph" : "X","name" :"relu6_6_nchwc_fence_before","args" : {"op_name" : "Conv"}},
{"cat" : "Node","pid" :1,"tid" :1,"dur" :90,"ts" :150710,"ph" : "X","name" :"gemm_kernel_time","args" : {"op_name" : "Gemm","provider" : "CPUExecutionProvider"}},
{"cat" : "Session","pid" :1,"tid" :1,"dur" :900,"ts" :149990,"ph" : "X","name" :"model_run","args" : {}}
]"#;

    #[test]
    fn each_model_run_is_an_inference_and_each_kernel_event_a_node_time() {
        let raw = parse_ort_trace(TRACE).unwrap();
        assert_eq!(raw.nodes.len(), 2);
        assert_eq!(raw.nodes[0].name, "relu6_6_nchwc");
        assert_eq!(raw.nodes[0].op_type, "Conv");
        assert_eq!(raw.nodes[0].provider, "CPUExecutionProvider");
        assert_eq!(
            raw.nodes[0].shapes,
            "float[1,3,224,224], float[32,3,3,3] -> float[1,32,112,112]"
        );
        assert_eq!(raw.runs.len(), 2);
        assert_eq!(raw.runs[0].node_ms, vec![0.739, 0.1]);
        assert_eq!(raw.runs[0].total_ms, Some(1.01));
        assert_eq!(raw.runs[1].node_ms, vec![0.7, 0.09]);
        assert_eq!(raw.runs[1].total_ms, Some(0.9));
    }

    #[test]
    fn a_file_that_is_not_a_profile_says_so() {
        assert!(parse_ort_trace("{")
            .unwrap_err()
            .contains("not a Chrome trace"));
        assert!(parse_ort_trace("[]").unwrap_err().contains("no model_run"));
    }

    #[test]
    fn an_inference_without_node_events_still_counts() {
        let t = r#"[{"cat":"Session","name":"model_run","ts":0,"dur":2000},
                    {"cat":"Session","name":"model_run","ts":5000,"dur":1000},
                    {"cat":"Node","name":"a_kernel_time","ts":5100,"dur":500,"args":{"op_name":"Relu","provider":"CPUExecutionProvider"}}]"#;
        let raw = parse_ort_trace(t).unwrap();
        assert_eq!(raw.runs.len(), 2);
        assert_eq!(raw.runs[0].node_ms, vec![0.0]);
        assert_eq!(raw.runs[1].node_ms, vec![0.5]);
    }
}

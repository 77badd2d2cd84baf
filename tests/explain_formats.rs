//! Snapshot tests of the explanation as people read it (product surface, as
//! `output_formats.rs` pins the rest): `edgeperf explain`'s terminal report and
//! Markdown, and the PR comment of a comparison with an explained path, on a
//! fixed explanation assembled from hand-made profiles and graphs (no model, no
//! runtime). Snapshots: `tests/snapshots/explain_formats__*.snap`; after an
//! intended change, `cargo insta review` (or `INSTA_UPDATE=always`, `git diff`).

#[path = "common/fixtures.rs"]
mod fixtures;

use edgeperf::compare::{PathStatus, Remeasure, Verdict};
use edgeperf::explain::graph::{GraphNode, ModelGraph};
use edgeperf::explain::profile::{NodeTime, ProfileSummary, ProfiledNode};
use edgeperf::explain::{assemble, Explanation};
use edgeperf::suite::{CompareConfig, Provider};

fn node(name: &str, op: &str, ms: f64) -> NodeTime {
    NodeTime {
        node: ProfiledNode {
            name: name.into(),
            op_type: op.into(),
            provider: "CPUExecutionProvider".into(),
            shapes: String::new(),
        },
        ms,
    }
}

fn side(nodes: Vec<NodeTime>) -> ProfileSummary {
    let outside = 0.3;
    ProfileSummary {
        runs: 270,
        total_ms: nodes.iter().map(|n| n.ms).sum::<f64>() + outside,
        outside_ms: outside,
        nodes,
    }
}

fn graph(sha: &str, extra: bool) -> ModelGraph {
    let conv = |name: &str, macs| GraphNode {
        name: name.into(),
        op_type: "Conv".into(),
        macs: Some(macs),
        counts_macs: true,
    };
    let mut nodes = vec![conv("conv_3", 10_838_016), conv("conv_9", 3_612_672)];
    if extra {
        nodes.insert(1, conv("extra_identity_conv", 12_845_056));
    }
    nodes.push(GraphNode {
        name: "fc".into(),
        op_type: "Gemm".into(),
        macs: Some(1_280_000),
        counts_macs: true,
    });
    ModelGraph {
        format: "onnx".into(),
        sha256: sha.repeat(64),
        bytes: 13_964_809,
        producer: "edgeperf-build_onnx 1".into(),
        opsets: vec!["ai.onnx 13".into()],
        inputs: vec!["input float[1,3,224,224]".into()],
        nodes,
        params: 3_487_818 + if extra { 1_056 } else { 0 },
    }
}

/// The hidden-style change as a profile would show it: one node added after the
/// stem, the node after it a little faster.
fn explanation() -> Explanation {
    let base = vec![
        node("relu6_6_nchwc", "Conv", 0.279),
        node("relu6_21_nchwc", "Conv", 0.302),
        node("relu6_44_nchwc", "Conv", 0.071),
        node("fc", "Gemm", 0.313),
    ];
    let mut head = base.clone();
    head.insert(1, node("extra_identity_out_nchwc", "Conv", 0.190));
    head[2].ms = 0.249;
    head[3].ms = 0.077;
    assemble(
        vec![],
        Ok((side(base), side(head))),
        Provider::Cpu,
        Ok((graph("6e", false), graph("ec", true))),
        7.3,
    )
}

#[test]
fn explain_text() {
    insta::assert_snapshot!(edgeperf::report::explain::text(
        "cpu",
        "mobilenet_v2",
        &explanation()
    ));
}

#[test]
fn explain_markdown() {
    insta::assert_snapshot!(edgeperf::report::explain::markdown(&explanation()));
}

#[test]
fn compare_markdown_with_an_explained_path() {
    let path = |level| {
        fixtures::path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &fixtures::synth_rounds(level, 3, 40),
            None,
        )
    };
    let base = fixtures::run_record(vec![path(9.0)], fixtures::BASE_COMMIT, true);
    let b = edgeperf::record::baseline::Baseline::from_path(&base, &base.paths[0]);
    let run = fixtures::run_record(vec![path(9.6)], fixtures::HEAD_COMMIT, true);
    // The interleaved re-measurement confirms +6.7%, so the path is judged
    // regressed the way a real PR run judges it.
    let mut c = edgeperf::compare::judge_run(
        &run,
        "head.json",
        "baselines",
        &CompareConfig::default(),
        |_| Ok(Some(b.clone())),
        |_, _, _| Ok(Remeasure::Measured(fixtures::interleaved(1.067, 16, false))),
    )
    .unwrap();
    let p = &mut c.paths[0];
    assert_eq!(p.status, PathStatus::Regressed, "{:?}", p.latency);
    assert_eq!(p.latency.as_ref().unwrap().verdict, Verdict::Regressed);
    assert_eq!(c.regressions, 1);
    p.explanation = Some(explanation());
    insta::assert_snapshot!(edgeperf::report::compare::markdown(&[c], &[]));
}

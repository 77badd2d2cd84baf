use super::*;
use crate::explain::profile::ProfiledNode;

fn node(name: &str, op: &str, shapes: &str, ms: f64) -> NodeTime {
    NodeTime {
        node: ProfiledNode {
            name: name.into(),
            op_type: op.into(),
            provider: "CPUExecutionProvider".into(),
            shapes: shapes.into(),
        },
        ms,
    }
}

fn side(nodes: Vec<NodeTime>, outside: f64) -> ProfileSummary {
    let total = nodes.iter().map(|n| n.ms).sum::<f64>() + outside;
    ProfileSummary {
        runs: 100,
        total_ms: total,
        outside_ms: outside,
        nodes,
    }
}

/// mobilenet-like: a stem conv, ten blocks, a head.
fn base_nodes() -> Vec<NodeTime> {
    let mut v = vec![node("stem", "Conv", "s", 0.7)];
    for i in 0..10 {
        v.push(node(&format!("b{i}"), "Conv", &format!("k{i}"), 0.6));
    }
    v.push(node("pool", "GlobalAveragePool", "p", 0.05));
    v.push(node("fc", "Gemm", "f", 0.1));
    v
}

#[test]
fn an_added_node_takes_the_change_and_is_named() {
    let base = side(base_nodes(), 0.2);
    let mut h = base_nodes();
    h.insert(1, node("extra_nchwc", "Conv", "e", 0.45));
    h[5].ms += 0.01; // noise
    let head = side(h, 0.21);
    let d = attribute(&base, &head, Provider::Cpu);
    assert_eq!((d.only_head, d.only_base), (1, 0));
    let top = &d.nodes[0];
    assert_eq!(top.name, "extra_nchwc");
    assert_eq!((top.base_ms, top.head_ms), (None, Some(0.45)));
    let share = top.share.unwrap();
    assert!((share - 0.45 / 0.47).abs() < 1e-9, "{share}");
    assert_eq!(d.spread.kind, SpreadKind::Concentrated);
    assert_eq!(d.spread.top, Some(1));
    assert_eq!(d.ops[0].op_type, "Conv");
    assert_eq!((d.ops[0].base_nodes, d.ops[0].head_nodes), (11, 12));
    assert!((d.base_outside_ms - 0.2).abs() < 1e-9);
    assert!(d.providers.is_empty());
}

#[test]
fn a_uniform_slowdown_is_broad_not_concentrated() {
    let base = side(base_nodes(), 0.2);
    let head = side(
        base_nodes()
            .into_iter()
            .map(|mut n| {
                n.ms *= if n.node.op_type == "Conv" { 1.6 } else { 1.0 };
                n
            })
            .collect(),
        0.2,
    );
    let d = attribute(&base, &head, Provider::Cpu);
    assert_eq!(d.spread.kind, SpreadKind::Broad, "{:?}", d.spread);
    assert_eq!((d.spread.moved, d.spread.sizeable), (11, 12));
    assert!(d.spread.top.unwrap() > 3);
    assert_eq!(d.only_head + d.only_base, 0);
    let sum: f64 = d.nodes.iter().filter_map(|n| n.share).sum();
    assert!((sum - 1.0).abs() < 1e-9, "node shares add up: {sum}");
}

#[test]
fn no_change_gives_no_shares() {
    let base = side(base_nodes(), 0.2);
    let d = attribute(&base, &base.clone(), Provider::Cpu);
    assert_eq!(d.spread.kind, SpreadKind::None);
    assert!(d.nodes.iter().all(|n| n.share.is_none()));
}

#[test]
fn renamed_nodes_pair_by_operator_and_shapes_in_order() {
    // An export that numbers its nodes: one node inserted renames the rest.
    let base = side(
        vec![
            node("Conv_0", "Conv", "a", 1.0),
            node("Conv_1", "Conv", "b", 1.0),
            node("Gemm_2", "Gemm", "c", 0.5),
        ],
        0.0,
    );
    let head = side(
        vec![
            node("Conv_0", "Conv", "a", 1.0),
            node("Conv_1", "Conv", "x", 0.4),
            node("Conv_2", "Conv", "b", 1.0),
            node("Gemm_3", "Gemm", "c", 0.5),
        ],
        0.0,
    );
    let d = attribute(&base, &head, Provider::Cpu);
    assert_eq!((d.only_head, d.only_base), (1, 0), "{:#?}", d.nodes);
    let added = d.nodes.iter().find(|n| n.base_ms.is_none()).unwrap();
    assert_eq!(added.name, "Conv_1");
    let gemm = d.nodes.iter().find(|n| n.op_type == "Gemm").unwrap();
    assert_eq!(gemm.base_name.as_deref(), Some("Gemm_2"));
    let conv2 = d.nodes.iter().find(|n| n.name == "Conv_2").unwrap();
    assert_eq!(conv2.base_name.as_deref(), Some("Conv_1"));
}

#[test]
fn the_greedy_pairing_past_the_cell_limit_pairs_in_order() {
    let a: Vec<NodeTime> = (0..2100)
        .map(|i| node(&format!("a{i}"), "Relu", "r", 0.01))
        .collect();
    let b: Vec<NodeTime> = (0..2100)
        .map(|i| node(&format!("b{i}"), "Relu", "r", 0.01))
        .collect();
    let (ra, rb): (Vec<&NodeTime>, Vec<&NodeTime>) = (a.iter().collect(), b.iter().collect());
    let pairs = align(&ra, &rb);
    assert_eq!(pairs.len(), 2100);
    assert!(pairs.iter().all(|&(i, j)| i == j));
}

#[test]
fn a_node_that_fell_back_to_the_cpu_is_named() {
    let mut b = base_nodes();
    for n in &mut b {
        n.node.provider = "CUDAExecutionProvider".into();
    }
    let base = side(b.clone(), 0.1);
    b[3].node.provider = "CPUExecutionProvider".into();
    b[3].ms = 3.0;
    let head = side(b, 0.1);
    let d = attribute(&base, &head, Provider::Cuda);
    assert_eq!(d.providers.len(), 2, "{:?}", d.providers);
    assert!(d.providers[0].contains("b2 (Conv) ran on CPUExecutionProvider, not on the cuda"));
    assert!(
        d.providers[1].contains("CUDAExecutionProvider in base, on CPUExecutionProvider in head")
    );
    assert_eq!(
        d.nodes[0].base_provider.as_deref(),
        Some("CUDAExecutionProvider")
    );
}

#[test]
fn rows_past_the_limit_are_counted_with_their_change() {
    let many: Vec<NodeTime> = (0..MAX_NODE_ROWS + 5)
        .map(|i| node(&format!("n{i}"), "Relu", &i.to_string(), 0.01))
        .collect();
    let base = side(many.clone(), 0.0);
    let head = side(
        many.into_iter()
            .map(|mut n| {
                n.ms = 0.02;
                n
            })
            .collect(),
        0.0,
    );
    let d = attribute(&base, &head, Provider::Cpu);
    assert_eq!((d.nodes.len(), d.nodes_left_out), (MAX_NODE_ROWS, 5));
    assert!((d.left_out_change_ms - 0.05).abs() < 1e-9);
}

#[test]
fn fused_nodes_numbered_per_process_still_pair() {
    let fused = |n: u32, ms| {
        let mut x = node(
            &format!("EP_subgraph_{n}_0"),
            &format!("EP-subgraph_{n}"),
            "s",
            ms,
        );
        x.node.provider = "OpenVINOExecutionProvider".into();
        x
    };
    let base = side(vec![fused(1, 5.0)], 0.0);
    let head = side(vec![fused(2, 5.5)], 0.0);
    let d = attribute(&base, &head, Provider::Openvino);
    assert_eq!((d.only_base, d.only_head), (0, 0), "{:#?}", d.nodes);
    assert_eq!(d.nodes[0].base_name.as_deref(), Some("EP_subgraph_1_0"));
    assert!(
        d.providers.is_empty(),
        "no CPU node under OpenVINO: {:?}",
        d.providers
    );
}

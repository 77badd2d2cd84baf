//! The one line that says why a path changed: the settings that differ, where
//! the profiled time went (a few nodes, or most of them), and what changed in
//! the graph.

use super::attribution::{NodeDiff, ProfileDiff, SpreadKind};
use super::document::Part;
use super::graph::GraphDiff;

/// Why a path regressed or improved on something else than latency (accuracy,
/// memory, a guard) has no profile: its explanation is the graph and settings.
pub const LATENCY_UNCHANGED: &str = "not profiled: the path's latency did not change";

fn pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

/// `extra_nchwc (Conv, only in head, +0.45 ms)`.
fn node_words(n: &NodeDiff) -> String {
    let place = match (n.base_ms, n.head_ms) {
        (None, _) => ", only in head",
        (_, None) => ", only in base",
        _ => "",
    };
    format!("{} ({}{place}, {:+.2} ms)", n.name, n.op_type, n.change_ms)
}

/// The nodes only in one side, in words (`1 node only in head (+0.18 ms):
/// extra (Conv)`), the largest first, three at most; `None` when there are none.
fn lone_words(p: &ProfileDiff) -> Option<String> {
    let lone: Vec<&NodeDiff> = p
        .nodes
        .iter()
        .filter(|n| n.base_ms.is_none() || n.head_ms.is_none())
        .collect();
    if lone.is_empty() {
        return None;
    }
    let sum: f64 = lone.iter().map(|n| n.change_ms).sum();
    let share = lone.iter().filter_map(|n| n.share).sum::<f64>();
    let share = if lone.iter().any(|n| n.share.is_some()) {
        format!(", {:.0}% of the change", share * 100.0)
    } else {
        String::new()
    };
    let names: Vec<String> = lone
        .iter()
        .take(3)
        .map(|n| {
            let side = if n.base_ms.is_none() { "head" } else { "base" };
            format!("{} ({}, only in {side})", n.name, n.op_type)
        })
        .collect();
    let more = if lone.len() > 3 {
        format!(" and {} more", lone.len() - 3)
    } else {
        String::new()
    };
    Some(format!(
        "{} node{} only on one side ({sum:+.2} ms{share}): {}{more}",
        lone.len(),
        if lone.len() == 1 { "" } else { "s" },
        names.join(", ")
    ))
}

/// Where the profiled change went, in words, and the nodes only on one side
/// whatever the change did (a node added is always named).
pub fn profile_words(p: &ProfileDiff) -> String {
    let main = spread_words(p);
    match (p.spread.kind, lone_words(p)) {
        (SpreadKind::Concentrated, _) | (_, None) => main,
        (_, Some(lone)) => format!("{main}; {lone}"),
    }
}

/// Where the profiled change went: a few nodes, most of them, or neither.
fn spread_words(p: &ProfileDiff) -> String {
    let whole = pct(p.change);
    let toward: Vec<&NodeDiff> = p
        .nodes
        .iter()
        .filter(|n| n.change_ms * p.change_ms > 0.0)
        .collect();
    let share = |ns: &[&NodeDiff]| ns.iter().filter_map(|n| n.share).sum::<f64>() * 100.0;
    match p.spread.kind {
        SpreadKind::None => format!(
            "the profiled inference did not move ({whole}, {:.2} → {:.2} ms)",
            p.base_ms, p.head_ms
        ),
        SpreadKind::Concentrated => {
            let k = p.spread.top.unwrap_or(1).min(3).min(toward.len());
            let top = &toward[..k];
            let top_ms: f64 = top.iter().map(|n| n.change_ms).sum();
            // More than all of it: the rest moved the other way.
            let rest = if share(top) > 105.0 {
                format!(" (the rest moved {:+.2} ms)", p.change_ms - top_ms)
            } else {
                String::new()
            };
            let nodes = if k == 1 {
                "one node".to_string()
            } else {
                format!("{k} nodes")
            };
            let names: Vec<String> = top.iter().map(|n| node_words(n)).collect();
            format!(
                "{:.0}% of the profiled {whole} ({:.2} → {:.2} ms) is in {nodes}: {}{rest}",
                share(top),
                p.base_ms,
                p.head_ms,
                names.join(", ")
            )
        }
        SpreadKind::Broad => {
            let verb = if p.change_ms > 0.0 { "grew" } else { "fell" };
            let largest = toward
                .first()
                .map(|n| {
                    format!(
                        "; the largest, {} ({}), is {:.0}% of it",
                        n.name,
                        n.op_type,
                        n.share.unwrap_or(0.0) * 100.0
                    )
                })
                .unwrap_or_default();
            format!(
                "the time {verb} across most operators, not in one: {} of {} sizeable nodes moved with the profiled {whole} ({:.2} → {:.2} ms){largest}",
                p.spread.moved, p.spread.sizeable, p.base_ms, p.head_ms
            )
        }
        SpreadKind::Mixed => {
            let top = &toward[..toward.len().min(3)];
            format!(
                "the profiled {whole} ({:.2} → {:.2} ms) is spread over several nodes; the top {}: {} ({:.0}%)",
                p.base_ms,
                p.head_ms,
                top.len(),
                top.iter().map(|n| node_words(n)).collect::<Vec<_>>().join(", "),
                share(top)
            )
        }
    }
}

/// The graph's change in a few words: `graph +1 Conv, MACs +4.3%`.
pub fn graph_words(g: &GraphDiff) -> Option<String> {
    if g.changes.is_empty() {
        return Some("same model file".into());
    }
    let mut parts: Vec<String> = g
        .ops_added
        .iter()
        .map(|o| format!("+{} {}", o.count, o.op_type))
        .chain(
            g.ops_removed
                .iter()
                .map(|o| format!("-{} {}", o.count, o.op_type)),
        )
        .take(4)
        .collect();
    if g.base.opsets != g.head.opsets {
        parts.push(format!(
            "opset {} → {}",
            g.base.opsets.join(","),
            g.head.opsets.join(",")
        ));
    }
    if g.base.macs != g.head.macs && g.base.macs > 0 {
        parts.push(format!(
            "MACs {}",
            pct(g.head.macs as f64 / g.base.macs as f64 - 1.0)
        ));
    }
    if g.base.params != g.head.params {
        parts.push(format!(
            "params {:+}",
            g.head.params as i128 - g.base.params as i128
        ));
    }
    if parts.is_empty() {
        parts.push("model file changed, same operators".into());
    }
    Some(format!("graph: {}", parts.join(", ")))
}

/// The "why" line of a path.
pub fn why_line(
    settings: &[String],
    profile: &Part<ProfileDiff>,
    graph: &Part<GraphDiff>,
) -> String {
    let mut parts = Vec::new();
    if !settings.is_empty() {
        parts.push(format!("settings changed ({})", settings.join(", ")));
    }
    match profile {
        Part::Available(p) => {
            parts.push(profile_words(p));
            if let Some(first) = p.providers.first() {
                parts.push(first.clone());
            }
        }
        Part::NotAvailable(why) if why == LATENCY_UNCHANGED => parts.push(why.clone()),
        Part::NotAvailable(why) => parts.push(format!("explanation not available: {why}")),
    }
    if let Part::Available(g) = graph {
        parts.extend(graph_words(g));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::attribution::Spread;

    fn node(name: &str, base: Option<f64>, head: Option<f64>, share: f64) -> NodeDiff {
        NodeDiff {
            name: name.into(),
            base_name: None,
            op_type: "Conv".into(),
            provider: "CPUExecutionProvider".into(),
            base_provider: None,
            base_ms: base,
            head_ms: head,
            change_ms: head.unwrap_or(0.0) - base.unwrap_or(0.0),
            share: Some(share),
        }
    }

    fn diff(kind: SpreadKind, top: Option<usize>, nodes: Vec<NodeDiff>) -> ProfileDiff {
        ProfileDiff {
            base_ms: 8.0,
            head_ms: 8.5,
            change_ms: 0.5,
            change: 0.0625,
            base_runs: 100,
            head_runs: 100,
            base_outside_ms: 0.1,
            head_outside_ms: 0.1,
            nodes,
            nodes_left_out: 0,
            left_out_change_ms: 0.0,
            only_base: 0,
            only_head: 1,
            ops: vec![],
            spread: Spread {
                kind,
                sizeable: 50,
                moved: 45,
                top,
            },
            providers: vec![],
        }
    }

    #[test]
    fn a_concentrated_change_names_its_nodes() {
        let p = diff(
            SpreadKind::Concentrated,
            Some(1),
            vec![
                node("extra_nchwc", None, Some(0.45), 0.9),
                node("b1", Some(1.0), Some(1.05), 0.1),
            ],
        );
        let line = why_line(&[], &Part::Available(p), &Part::NotAvailable("x".into()));
        assert_eq!(
            line,
            "90% of the profiled +6.2% (8.00 → 8.50 ms) is in one node: extra_nchwc (Conv, only in head, +0.45 ms)"
        );
    }

    #[test]
    fn a_broad_change_says_most_operators_and_the_settings() {
        let p = diff(
            SpreadKind::Broad,
            Some(20),
            vec![node("b1", Some(1.0), Some(1.05), 0.1)],
        );
        let line = why_line(
            &["intra_threads 2 → 1".into()],
            &Part::Available(p),
            &Part::NotAvailable("x".into()),
        );
        assert!(line.starts_with("settings changed (intra_threads 2 → 1); the time grew across most operators, not in one: 45 of 50 sizeable nodes"), "{line}");
        assert!(
            line.ends_with("the largest, b1 (Conv), is 10% of it"),
            "{line}"
        );
    }

    #[test]
    fn a_node_added_is_named_even_when_the_profile_did_not_move() {
        let mut extra = node("extra_nchwc", None, Some(0.18), 0.0);
        extra.share = None;
        let mut p = diff(SpreadKind::None, None, vec![extra]);
        p.change = 0.004;
        let line = why_line(&[], &Part::Available(p), &Part::NotAvailable("x".into()));
        assert!(
            line.starts_with("the profiled inference did not move (+0.4%"),
            "{line}"
        );
        assert!(
            line.ends_with(
                "; 1 node only on one side (+0.18 ms): extra_nchwc (Conv, only in head)"
            ),
            "{line}"
        );
    }

    #[test]
    fn a_path_changed_on_something_else_says_it_was_not_profiled() {
        let line = why_line(
            &[],
            &Part::NotAvailable(LATENCY_UNCHANGED.into()),
            &Part::NotAvailable("x".into()),
        );
        assert_eq!(line, "not profiled: the path's latency did not change");
    }

    #[test]
    fn a_missing_profile_is_said_to_be_not_available() {
        let line = why_line(
            &[],
            &Part::NotAvailable("LiteRT's C API has no profiler".into()),
            &Part::NotAvailable("y".into()),
        );
        assert_eq!(
            line,
            "explanation not available: LiteRT's C API has no profiler"
        );
    }
}

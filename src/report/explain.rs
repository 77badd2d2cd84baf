//! An explanation rendered (docs/EXPLAIN.md): the terminal report of `edgeperf
//! explain`, and the Markdown of the pull-request comment (a "why" line per
//! changed path, the tables folded in `<details>`). Both show the same rows:
//! per operator type and per node, base ms, head ms, the change and its share
//! of the whole inference's change; then what ran where, the graph diff and the
//! settings that differ.

use super::markdown::md_escape;
use super::table::{Align, Table};
use crate::compare::Comparison;
use crate::explain::attribution::ProfileDiff;
use crate::explain::graph::GraphDiff;
use crate::explain::{Explanation, Part};

/// Node rows shown (the largest changes; the JSON has up to 200).
pub const NODE_ROWS: usize = 15;
/// Operator rows shown.
pub const OP_ROWS: usize = 12;

fn ms(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into())
}

fn share(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// Rows of the operator table.
fn op_rows(p: &ProfileDiff) -> Vec<Vec<String>> {
    p.ops
        .iter()
        .take(OP_ROWS)
        .map(|o| {
            vec![
                o.op_type.clone(),
                format!("{} → {}", o.base_nodes, o.head_nodes),
                ms(Some(o.base_ms)),
                ms(Some(o.head_ms)),
                format!("{:+.3}", o.change_ms),
                share(o.share),
            ]
        })
        .collect()
}

const OP_HEAD: [(&str, Align); 6] = [
    ("operator", Align::Left),
    ("nodes", Align::Right),
    ("base ms", Align::Right),
    ("head ms", Align::Right),
    ("change ms", Align::Right),
    ("share", Align::Right),
];

const NODE_HEAD: [(&str, Align); 7] = [
    ("node", Align::Left),
    ("operator", Align::Left),
    ("ran on", Align::Left),
    ("base ms", Align::Right),
    ("head ms", Align::Right),
    ("change ms", Align::Right),
    ("share", Align::Right),
];

/// Rows of the node table: the largest changes, then one row for the rest.
fn node_rows(p: &ProfileDiff) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = p
        .nodes
        .iter()
        .take(NODE_ROWS)
        .map(|n| {
            let mut name = n.name.clone();
            match (n.base_ms, n.head_ms, &n.base_name) {
                (None, _, _) => name += " (only in head)",
                (_, None, _) => name += " (only in base)",
                (_, _, Some(b)) => name += &format!(" (base: {b})"),
                _ => {}
            }
            let ran = match &n.base_provider {
                Some(b) => format!("{b} → {}", n.provider),
                None => n.provider.clone(),
            };
            vec![
                name,
                n.op_type.clone(),
                ran,
                ms(n.base_ms),
                ms(n.head_ms),
                format!("{:+.3}", n.change_ms),
                share(n.share),
            ]
        })
        .collect();
    let rest = p.nodes.len().saturating_sub(NODE_ROWS) + p.nodes_left_out;
    if rest > 0 {
        let change: f64 = p
            .nodes
            .iter()
            .skip(NODE_ROWS)
            .map(|n| n.change_ms)
            .sum::<f64>()
            + p.left_out_change_ms;
        let total = p.change_ms;
        let sh =
            (p.nodes.iter().any(|n| n.share.is_some()) && total != 0.0).then(|| change / total);
        rows.push(vec![
            format!("({rest} more nodes)"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("{change:+.3}"),
            share(sh),
        ]);
    }
    rows
}

/// The profile in a sentence: both sides' whole inference, inferences, time
/// outside the nodes.
fn profile_header(p: &ProfileDiff) -> String {
    format!(
        "Profiled inference {:.3} → {:.3} ms ({:+.1}%): each node's median over {} (base) and {} (head) inferences, plus the median outside the nodes ({:.3} → {:.3} ms); {} node(s) only in base, {} only in head.",
        p.base_ms,
        p.head_ms,
        p.change * 100.0,
        p.base_runs,
        p.head_runs,
        p.base_outside_ms,
        p.head_outside_ms,
        p.only_base,
        p.only_head
    )
}

fn graph_lines(g: &GraphDiff) -> Vec<String> {
    let short = |s: &str| s.get(..12).unwrap_or(s).to_string();
    let mut out = if g.changes.is_empty() {
        vec![format!(
            "same model file (sha256 {}, {} nodes, {} parameters, {} MACs)",
            short(&g.head.sha256),
            g.head.nodes,
            crate::explain::graph::thousands(g.head.params),
            crate::explain::graph::si(g.head.macs)
        )]
    } else {
        g.changes.clone()
    };
    if !g.nodes_added.is_empty() {
        out.push(format!(
            "nodes only in head ({}): {}",
            g.nodes_added_total,
            g.nodes_added.join(", ")
        ));
    }
    if !g.nodes_removed.is_empty() {
        out.push(format!(
            "nodes only in base ({}): {}",
            g.nodes_removed_total,
            g.nodes_removed.join(", ")
        ));
    }
    out
}

/// The lines under the tables: what ran where, the graph, the settings.
fn notes(e: &Explanation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = e.profile.available() {
        out.extend(p.providers.iter().map(|l| format!("ran on: {l}")));
    }
    match &e.graph {
        Part::Available(g) => out.extend(graph_lines(g).into_iter().map(|l| format!("graph: {l}"))),
        Part::NotAvailable(why) => out.push(format!("graph diff not available: {why}")),
    }
    out.extend(e.settings.iter().map(|s| format!("setting: {s}")));
    out
}

/// The terminal report of one path's explanation.
pub fn text(device: &str, model: &str, e: &Explanation) -> String {
    let mut s = format!("edgeperf explain: {device}/{model}\n\nwhy: {}\n", e.why);
    match &e.profile {
        Part::Available(p) => {
            s += &format!("\n{}\n\n", profile_header(p));
            let mut t = Table::new(&OP_HEAD);
            op_rows(p).into_iter().for_each(|r| t.row(r));
            s += &t.render();
            s += "\n";
            let mut t = Table::new(&NODE_HEAD);
            node_rows(p).into_iter().for_each(|r| t.row(r));
            s += &t.render();
        }
        Part::NotAvailable(why) => s += &format!("\nprofile not available: {why}\n"),
    }
    s += "\n";
    for l in notes(e) {
        s += &format!("{l}\n");
    }
    s + &format!("\n(explained in {:.1} s)\n", e.seconds)
}

fn md_table(head: &[(&str, Align)], rows: Vec<Vec<String>>) -> String {
    let mut s = format!(
        "| {} |\n|{}|\n",
        head.iter().map(|(h, _)| *h).collect::<Vec<_>>().join(" | "),
        head.iter()
            .map(|(_, a)| if *a == Align::Right { "---:" } else { "---" })
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| md_escape(c)).collect();
        s += &format!("| {} |\n", cells.join(" | "));
    }
    s
}

/// The tables and notes of one explanation in Markdown (the body of its
/// `<details>` in the PR comment, and `explain --format markdown`).
pub fn markdown(e: &Explanation) -> String {
    let mut s = String::new();
    match &e.profile {
        Part::Available(p) => {
            s += &format!("{}\n\n", md_escape(&profile_header(p)));
            s += &md_table(&OP_HEAD, op_rows(p));
            s += "\n";
            s += &md_table(&NODE_HEAD, node_rows(p));
            s += "\n";
        }
        Part::NotAvailable(why) => s += &format!("Profile not available: {}\n\n", md_escape(why)),
    }
    for l in notes(e) {
        s += &format!("- {}\n", md_escape(&l));
    }
    s + &format!(
        "\n<sub>Explained in {:.1} s, in runs of their own (never the timed rounds).</sub>\n",
        e.seconds
    )
}

/// The PR comment's explanations: for every path that has one, its "why" line
/// and, folded, its tables.
pub fn markdown_section(cs: &[Comparison]) -> String {
    let mut s = String::new();
    for p in cs.iter().flat_map(|c| &c.paths) {
        let Some(e) = &p.explanation else { continue };
        let name = format!("{}/{}", md_escape(&p.device), md_escape(&p.model));
        s += &format!(
            "\n**{name}**, why: {}\n<details><summary>{name}: per-operator profile and graph diff</summary>\n\n{}</details>\n",
            md_escape(&e.why),
            markdown(e)
        );
    }
    s
}

//! The terminal table of `edgeperf history`: one table per path. Absolute
//! values (each baseline's own run, the machine's level included) and the
//! paired change (replayed interleaved against the previous baseline) stand in
//! separate, labelled columns; the chain multiplies the paired changes from
//! the anchor; the flags mark paired steps, never absolute swings.

use super::paired::{level_cell, paired_cell};
use super::table::{Align, Table};
use crate::history::PathHistory;

/// The columns of a path's history table.
pub const COLUMNS: [(&str, Align); 8] = [
    ("accepted (UTC)", Align::Left),
    ("commit", Align::Left),
    ("p50 ms (abs)", Align::Right),
    ("p10 ms (abs)", Align::Right),
    ("top-1", Align::Right),
    ("paired change [CI %]", Align::Right),
    ("chain vs anchor [CI %]", Align::Right),
    ("", Align::Left),
];

/// What the columns mean, printed under each table.
pub const LEGEND: &str = "abs = each baseline's own run (the machine's level included); paired = replayed interleaved against the previous baseline on one machine; chain = paired changes multiplied from the anchor; steps come from paired changes only";

/// A path's history as displayed rows, oldest first.
pub fn rows(p: &PathHistory) -> Vec<Vec<String>> {
    p.entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut flag = Vec::new();
            if let Some(d) = p.chain.steps[i] {
                flag.push(format!("◀ paired step: {}", d.as_str()));
            }
            if p.accuracy_change_points.contains(&i) {
                flag.push("◀ accuracy level change".into());
            }
            vec![
                e.accepted_at.format("%Y-%m-%d %H:%M").to_string(),
                e.commit
                    .as_deref()
                    .map(|c| c[..c.len().min(10)].to_string())
                    .unwrap_or_else(|| "-".into()),
                format!("{:.2}", e.p50),
                format!("{:.2}", e.p10_rounds),
                e.top1
                    .map(|v| format!("{:.1}%", v * 100.0))
                    .unwrap_or_else(|| "-".into()),
                paired_cell(p, i),
                level_cell(p, i),
                flag.join(", "),
            ]
        })
        .collect()
}

/// The line above a path's table: its name, size, anchor and steps.
pub fn title(p: &PathHistory) -> String {
    let anchor = p
        .entries
        .get(p.chain.anchor)
        .and_then(|e| e.commit.as_deref())
        .map(|c| format!("; chain anchored at {}", &c[..c.len().min(10)]))
        .unwrap_or_default();
    let paired = p.entries.iter().filter(|e| e.paired.is_some()).count();
    format!(
        "{}/{} ({} baselines, {paired} paired{anchor}; {} paired step{})",
        p.device,
        p.model,
        p.entries.len(),
        p.latency_change_points.len(),
        if p.latency_change_points.len() == 1 {
            ""
        } else {
            "s"
        }
    )
}

pub fn render(h: &[PathHistory]) -> String {
    let mut s = String::new();
    for p in h {
        s += &title(p);
        s += "\n";
        let mut t = Table::new(&COLUMNS);
        for r in rows(p) {
            t.row(r);
        }
        s += &t.render();
        s += "\n";
    }
    if !h.is_empty() {
        s += LEGEND;
        s += "\n";
    }
    s
}

//! The terminal table of `edgeperf history`: one table per path, change points marked.

use super::table::{Align, Table};
use crate::history::PathHistory;

/// The columns of a path's history table.
pub const COLUMNS: [(&str, Align); 7] = [
    ("accepted (UTC)", Align::Left),
    ("commit", Align::Left),
    ("p50 ms", Align::Right),
    ("p90 ms", Align::Right),
    ("p10 ms", Align::Right),
    ("top-1", Align::Right),
    ("", Align::Left),
];

/// A path's history as displayed rows, oldest first.
pub fn rows(p: &PathHistory) -> Vec<Vec<String>> {
    p.entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut flag = Vec::new();
            if p.latency_change_points.contains(&i) {
                flag.push("◀ latency level change");
            }
            if p.accuracy_change_points.contains(&i) {
                flag.push("◀ accuracy level change");
            }
            vec![
                e.accepted_at.format("%Y-%m-%d %H:%M").to_string(),
                e.commit
                    .as_deref()
                    .map(|c| c[..c.len().min(10)].to_string())
                    .unwrap_or_else(|| "-".into()),
                format!("{:.2}", e.p50),
                format!("{:.2}", e.p90),
                format!("{:.2}", e.p10_rounds),
                e.top1
                    .map(|v| format!("{:.1}%", v * 100.0))
                    .unwrap_or_else(|| "-".into()),
                flag.join(", "),
            ]
        })
        .collect()
}

pub fn render(h: &[PathHistory]) -> String {
    let mut s = String::new();
    for p in h {
        s += &format!("{}/{} ({} baselines)\n", p.device, p.model, p.entries.len());
        let mut t = Table::new(&COLUMNS);
        for r in rows(p) {
            t.row(r);
        }
        s += &t.render();
        s += "\n";
    }
    s
}

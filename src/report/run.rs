//! The table `edgeperf run` prints: one row per path (also its Markdown form).

use super::table::{Align, Table};
use crate::record::{PathRecord, RunRecord};

/// The columns of the run table.
pub const COLUMNS: [(&str, Align); 10] = [
    ("device", Align::Left),
    ("model", Align::Left),
    ("EP", Align::Left),
    ("p50 ms", Align::Right),
    ("p90 ms", Align::Right),
    ("p99 ms", Align::Right),
    ("FPS", Align::Right),
    ("cold ms", Align::Right),
    ("top-1", Align::Right),
    ("top-5", Align::Right),
];

/// Whether any path of the run measured its peak memory (records of older
/// versions did not): the table then has a memory column.
pub fn has_memory(record: &RunRecord) -> bool {
    record.paths.iter().any(|p| p.peak_rss_mb.is_some())
}

/// The columns of the run table: [`COLUMNS`], with "peak MiB" after "cold ms"
/// when `memory`.
pub fn columns(memory: bool) -> Vec<(&'static str, Align)> {
    let mut c = COLUMNS.to_vec();
    if memory {
        c.insert(8, ("peak MiB", Align::Right));
    }
    c
}

/// One row of the run table, as displayed (with the memory cell when `memory`).
pub fn row(p: &PathRecord, memory: bool) -> Vec<String> {
    let ep = if p.provider_ran == p.provider_requested {
        p.provider_ran.to_string()
    } else {
        format!(
            "{} (fell back from {})",
            p.provider_ran, p.provider_requested
        )
    };
    let (t1, t5) = match &p.accuracy {
        Some(a) => (
            format!("{:.1}% ({}/{})", a.top1 * 100.0, a.correct_top1, a.images),
            format!("{:.1}% ({}/{})", a.top5 * 100.0, a.correct_top5, a.images),
        ),
        None => ("-".into(), "-".into()),
    };
    let mut r = vec![
        p.device.clone(),
        p.model.clone(),
        ep,
        format!("{:.2}", p.latency_ms.p50),
        format!("{:.2}", p.latency_ms.p90),
        format!("{:.2}", p.latency_ms.p99),
        format!("{:.1}", p.fps),
        format!("{:.0}", p.cold_start_ms.reported_ms()),
    ];
    if memory {
        r.push(
            p.peak_rss_mb
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| "-".into()),
        );
    }
    r.extend([t1, t5]);
    r
}

/// The summary table `edgeperf run` prints: one row per path.
pub fn run_table(record: &RunRecord) -> String {
    let memory = has_memory(record);
    let mut t = Table::new(&columns(memory));
    for p in &record.paths {
        t.row(row(p, memory));
    }
    t.render()
}

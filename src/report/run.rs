//! The table `edgeperf run` prints: one row per path.

use super::table::{Align, Table};
use crate::record::RunRecord;

/// The summary table `edgeperf run` prints: one row per path.
pub fn run_table(record: &RunRecord) -> String {
    // Peak memory shows when the run measured it (records of older versions did not).
    let memory = record.paths.iter().any(|p| p.peak_rss_mb.is_some());
    let mut headers = vec![
        ("device", Align::Left),
        ("model", Align::Left),
        ("EP", Align::Left),
        ("p50 ms", Align::Right),
        ("p90 ms", Align::Right),
        ("p99 ms", Align::Right),
        ("FPS", Align::Right),
        ("cold ms", Align::Right),
    ];
    if memory {
        headers.push(("peak MiB", Align::Right));
    }
    headers.extend([("top-1", Align::Right), ("top-5", Align::Right)]);
    let mut t = Table::new(&headers);
    for p in &record.paths {
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
        let mut row = vec![
            p.device.clone(),
            p.model.clone(),
            ep,
            format!("{:.2}", p.latency_ms.p50),
            format!("{:.2}", p.latency_ms.p90),
            format!("{:.2}", p.latency_ms.p99),
            format!("{:.1}", p.fps),
            format!(
                "{:.0}",
                p.cold_start_ms.session_create + p.cold_start_ms.first_inference
            ),
        ];
        if memory {
            row.push(
                p.peak_rss_mb
                    .map(|m| format!("{m:.0}"))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        row.extend([t1, t5]);
        t.row(row);
    }
    t.render()
}

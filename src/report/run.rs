//! The table `edgeperf run` prints: one row per path (also its Markdown form).

use super::table::{Align, Table};
use crate::record::devsummary::DeviceSummary;
use crate::record::{MemoryOf, PathRecord, RunRecord};

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

/// The summary table `edgeperf run` prints: one row per path, then what
/// [`device_lines`] says.
pub fn run_table(record: &RunRecord) -> String {
    let memory = has_memory(record);
    let mut t = Table::new(&columns(memory));
    for p in &record.paths {
        t.row(row(p, memory));
    }
    let mut out = t.render();
    for line in device_lines(record) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The lines under the run table: the device state of the whole run in one
/// line ("device state: 41.0-68.5 °C (cpu-thermal) · ..."), then, per path
/// where it matters, the rounds with a device problem, the cooldowns that
/// waited and a memory that could not be measured. Nothing for records of
/// older edgeperf, which did not record the device state.
pub fn device_lines(record: &RunRecord) -> Vec<String> {
    let mut out = Vec::new();
    let states = record
        .paths
        .iter()
        .flat_map(|p| p.rounds.iter().filter_map(|r| r.device.as_ref()));
    if let Some(s) = DeviceSummary::of(states) {
        out.push(format!("device state: {}", s.text()));
    }
    for p in &record.paths {
        let name = format!("{}/{}", p.device, p.model);
        if let Some(line) = problem_rounds(p) {
            out.push(format!("  {name}: {line}"));
        }
        let n = p.rounds.len();
        for (i, r) in p.rounds.iter().enumerate() {
            let waited = r.device.as_ref().and_then(|d| d.cooldown.as_ref());
            if let Some(c) = waited.filter(|c| c.waited_s >= 0.5 || !c.reached) {
                out.push(format!(
                    "  {name}: cooldown before round {} of {n}: {}",
                    i + 1,
                    c.describe()
                ));
            }
        }
        if p.rounds
            .iter()
            .any(|r| r.peak_rss_of == Some(MemoryOf::NotMeasured))
        {
            out.push(format!(
                "  {name}: memory not measured (the runner runs the model outside its process tree and reports no peak_rss_mb)"
            ));
        }
    }
    out
}

/// "device problems in rounds 2, 3 of 3: Pi firmware: throttled" for the
/// rounds whose device state had problems when they ran.
fn problem_rounds(p: &PathRecord) -> Option<String> {
    let mut rounds = Vec::new();
    let mut problems: Vec<&str> = Vec::new();
    for (i, r) in p.rounds.iter().enumerate() {
        let Some(d) = r.device.as_ref().filter(|d| !d.problems.is_empty()) else {
            continue;
        };
        rounds.push((i + 1).to_string());
        for x in &d.problems {
            if !problems.contains(&x.as_str()) {
                problems.push(x);
            }
        }
    }
    if rounds.is_empty() {
        return None;
    }
    let word = if rounds.len() == 1 { "round" } else { "rounds" };
    Some(format!(
        "device problems in {word} {} of {}: {}",
        rounds.join(", "),
        p.rounds.len(),
        problems.join("; ")
    ))
}

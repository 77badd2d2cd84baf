//! `edgeperf history`: accepted baselines of each path over commits, with change
//! points found by PELT (not by comparing neighbours).

use std::path::Path;

use serde::Serialize;

use crate::baseline::{load_history, HistoryEntry};
use crate::cli::{HistoryArgs, RunFormat};
use crate::error::{Error, Result, EXIT_OK};
use crate::report::table::{Align, Table};

#[derive(Debug, Serialize)]
pub struct PathHistory {
    pub device: String,
    pub model: String,
    pub entries: Vec<HistoryEntry>,
    /// Indices into `entries` where a new latency level starts (PELT on each
    /// baseline's per-round p10).
    pub latency_change_points: Vec<usize>,
    /// Indices where a new top-1 level starts.
    pub accuracy_change_points: Vec<usize>,
}

/// Change points of a series (PELT, normal mean-change cost, penalty 3 ln(n) σ²).
pub fn change_points(series: &[f64]) -> Vec<usize> {
    if series.len() < 6 {
        return Vec::new();
    }
    crate::stats::pelt_default(series).unwrap_or_default()
}

/// Lists (device, model) pairs that have a history file under `dir`.
pub fn paths_in(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Other(format!(
            "{}: no baselines directory (accept a run first: edgeperf baseline accept RUN.json)",
            dir.display()
        )))
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    for d in rd {
        let d = d.map_err(|e| Error::io(dir, e))?;
        if !d.path().is_dir() {
            continue;
        }
        let device = d.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(d.path()).map_err(|e| Error::io(d.path(), e))? {
            let f = f.map_err(|e| Error::io(d.path(), e))?;
            let name = f.file_name().to_string_lossy().into_owned();
            if let Some(model) = name.strip_suffix(".history.jsonl") {
                out.push((device.clone(), model.to_string()));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn build(
    dir: &Path,
    device: Option<&str>,
    model: Option<&str>,
) -> Result<(Vec<PathHistory>, Vec<String>)> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (d, m) in paths_in(dir)? {
        if device.is_some_and(|x| x != d) || model.is_some_and(|x| x != m) {
            continue;
        }
        let (entries, w) = load_history(dir, &d, &m)?;
        warnings.extend(w);
        let lat: Vec<f64> = entries.iter().map(|e| e.p10_rounds).collect();
        let acc: Vec<f64> = entries.iter().filter_map(|e| e.top1).collect();
        let accuracy_change_points = if acc.len() == entries.len() {
            change_points(&acc)
        } else {
            Vec::new()
        };
        out.push(PathHistory {
            device: d,
            model: m,
            latency_change_points: change_points(&lat),
            accuracy_change_points,
            entries,
        });
    }
    if out.is_empty() {
        return Err(Error::Other(format!(
            "{}: no history for {}",
            dir.display(),
            match (device, model) {
                (Some(d), Some(m)) => format!("{d}/{m}"),
                (Some(d), None) => format!("device {d}"),
                (None, Some(m)) => format!("model {m}"),
                _ => "any path".into(),
            }
        )));
    }
    Ok((out, warnings))
}

pub fn render(h: &[PathHistory]) -> String {
    let mut s = String::new();
    for p in h {
        s += &format!("{}/{} ({} baselines)\n", p.device, p.model, p.entries.len());
        let mut t = Table::new(&[
            ("accepted (UTC)", Align::Left),
            ("commit", Align::Left),
            ("p50 ms", Align::Right),
            ("p90 ms", Align::Right),
            ("p10 ms", Align::Right),
            ("top-1", Align::Right),
            ("", Align::Left),
        ]);
        for (i, e) in p.entries.iter().enumerate() {
            let mut flag = Vec::new();
            if p.latency_change_points.contains(&i) {
                flag.push("◀ latency level change");
            }
            if p.accuracy_change_points.contains(&i) {
                flag.push("◀ accuracy level change");
            }
            t.row(vec![
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
            ]);
        }
        s += &t.render();
        s += "\n";
    }
    s
}

pub fn run(a: HistoryArgs) -> Result<i32> {
    let (h, warnings) = build(&a.baselines, a.device.as_deref(), a.model.as_deref())?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let text = match a.format {
        RunFormat::Text => render(&h),
        RunFormat::Json => {
            serde_json::to_string_pretty(&h).map_err(|e| Error::Other(e.to_string()))? + "\n"
        }
    };
    crate::cli::print_out(&text)?;
    Ok(EXIT_OK)
}

//! `--format csv`: one header row, then one row per path (run, compare), per
//! history entry (history) or per fact (env). Numbers at full precision (the
//! shortest text that reads back as the same float), fractions as fractions
//! (top-1 0.7714), milliseconds in columns ending `_ms`, an empty cell for
//! unknown. Quoting as RFC 4180: a cell with a comma, quote or line break is
//! quoted, quotes doubled.

use super::exporter::Exporter;
use crate::compare::Comparison;
use crate::error::Result;
use crate::history::bisect::{Outcome, Report as BisectReport};
use crate::history::PathHistory;
use crate::record::RunRecord;
use crate::report::doctor::DoctorReport;
use crate::report::env::{lines, EnvReport};

pub struct Csv;

/// A cell, quoted when it must be.
pub fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A number cell: empty when unknown or not finite.
pub fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// Header and rows as CSV text (CRLF-free: one `\n` per row).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = header.join(",");
    s.push('\n');
    for r in rows {
        s += &r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
        s.push('\n');
    }
    s
}

const RUN_HEADER: [&str; 18] = [
    "device",
    "model",
    "provider_requested",
    "provider_ran",
    "runtime_version",
    "intra_threads",
    "inter_threads",
    "samples",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "mean_ms",
    "fps",
    "cold_start_ms",
    "peak_rss_mb",
    "top1",
    "top5",
    "images",
];

const COMPARE_HEADER: [&str; 21] = [
    "device",
    "model",
    "status",
    "base_commit",
    "head_commit",
    "base_p50_ms",
    "head_p50_ms",
    "base_p90_ms",
    "head_p90_ms",
    "base_p99_ms",
    "head_p99_ms",
    "base_top1",
    "head_top1",
    "base_top5",
    "head_top5",
    "latency_statistic",
    "latency_change",
    "latency_ci_low",
    "latency_ci_high",
    "latency_verdict",
    "accuracy_verdict",
];

pub const HISTORY_HEADER: [&str; 32] = [
    "device",
    "model",
    "index",
    "accepted_at",
    "measured_at",
    "commit",
    "p10_ms",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "p10_rounds_ms",
    "mean_ms",
    "fps",
    "top1",
    "top5",
    "cold_start_ms",
    "peak_rss_mb",
    "runtime_version",
    "provider_ran",
    "intra_threads",
    "inter_threads",
    "model_sha256",
    "latency_change_point",
    "accuracy_change_point",
    "paired_base",
    "paired_change",
    "paired_ci_low",
    "paired_ci_high",
    "paired_verdict",
    "chain_level",
    "chain_low",
    "chain_high",
];

/// `bisect --format csv`: one row per probe, in the order made.
pub const BISECT_HEADER: [&str; 14] = [
    "step",
    "commit",
    "subject",
    "position",
    "attempt",
    "change",
    "ci_low",
    "ci_high",
    "verdict",
    "rounds",
    "decision",
    "skip_reason",
    "seconds",
    "culprit",
];

/// The history of some paths as CSV: one row per entry, oldest first.
pub fn history_rows(h: &[PathHistory]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for p in h {
        for (i, e) in p.entries.iter().enumerate() {
            let mut row = vec![
                p.device.clone(),
                p.model.clone(),
                i.to_string(),
                e.accepted_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.measured_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.commit.clone().unwrap_or_default(),
                num(e.p10),
                num(Some(e.p50)),
                num(Some(e.p90)),
                num(Some(e.p99)),
                num(Some(e.p10_rounds)),
                num(e.mean),
                num(e.mean.filter(|m| *m > 0.0).map(|m| 1000.0 / m)),
                num(e.top1),
                num(e.top5),
                num(e.cold_start_ms),
                num(e.peak_rss_mb),
                e.runtime_version.clone(),
                e.provider_ran.to_string(),
                e.threads.map(|t| t.intra.to_string()).unwrap_or_default(),
                e.threads.map(|t| t.inter.to_string()).unwrap_or_default(),
                e.model_sha256.clone(),
                p.latency_change_points.contains(&i).to_string(),
                p.accuracy_change_points.contains(&i).to_string(),
            ];
            let paired = e.paired.as_ref();
            let change = paired.map(|s| &s.change);
            let level = p.chain.levels[i];
            row.extend([
                paired.map(|s| s.base.clone()).unwrap_or_default(),
                num(change.and_then(|c| c.change)),
                num(change.and_then(|c| c.ci).map(|c| c[0])),
                num(change.and_then(|c| c.ci).map(|c| c[1])),
                change
                    .map(|c| c.verdict.as_str().to_string())
                    .unwrap_or_default(),
                num(level.map(|l| l.level)),
                num(level.map(|l| l.lo)),
                num(level.map(|l| l.hi)),
            ]);
            rows.push(row);
        }
    }
    rows
}

impl Exporter for Csv {
    fn run(&self, record: &RunRecord) -> Result<String> {
        let rows: Vec<Vec<String>> = record
            .paths
            .iter()
            .map(|p| {
                let a = p.accuracy.as_ref();
                vec![
                    p.device.clone(),
                    p.model.clone(),
                    p.provider_requested.to_string(),
                    p.provider_ran.to_string(),
                    p.runtime.version.clone(),
                    p.threads.intra.to_string(),
                    p.threads.inter.to_string(),
                    p.latency_ms.n.to_string(),
                    num(Some(p.latency_ms.p50)),
                    num(Some(p.latency_ms.p90)),
                    num(Some(p.latency_ms.p99)),
                    num(Some(p.latency_ms.mean)),
                    num(Some(p.fps)),
                    num(Some(p.cold_start_ms.reported_ms())),
                    num(p.peak_rss_mb),
                    num(a.map(|a| a.top1)),
                    num(a.map(|a| a.top5)),
                    a.map(|a| a.images.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        Ok(table(&RUN_HEADER, &rows))
    }

    fn comparison(&self, c: &Comparison) -> Result<String> {
        let rows: Vec<Vec<String>> = c
            .paths
            .iter()
            .map(|p| {
                let b = p.base.as_ref();
                let l = p.latency.as_ref();
                vec![
                    p.device.clone(),
                    p.model.clone(),
                    p.status.token().to_string(),
                    b.and_then(|b| b.commit.clone()).unwrap_or_default(),
                    p.head.commit.clone().unwrap_or_default(),
                    num(b.map(|b| b.p50)),
                    num(Some(p.head.p50)),
                    num(b.map(|b| b.p90)),
                    num(Some(p.head.p90)),
                    num(b.map(|b| b.p99)),
                    num(Some(p.head.p99)),
                    num(b.and_then(|b| b.top1)),
                    num(p.head.top1),
                    num(b.and_then(|b| b.top5)),
                    num(p.head.top5),
                    l.map(|l| l.statistic.clone()).unwrap_or_default(),
                    num(l.map(|l| l.change)),
                    num(l.map(|l| l.ci[0])),
                    num(l.map(|l| l.ci[1])),
                    l.map(|l| l.verdict.token().to_string()).unwrap_or_default(),
                    p.accuracy
                        .as_ref()
                        .map(|a| a.verdict.as_str().to_string())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        Ok(table(&COMPARE_HEADER, &rows))
    }

    fn history(&self, h: &[PathHistory]) -> Result<String> {
        Ok(table(&HISTORY_HEADER, &history_rows(h)))
    }

    fn doctor(&self, report: &DoctorReport) -> Result<String> {
        let rows: Vec<Vec<String>> = report
            .checks
            .iter()
            .map(|c| {
                vec![
                    c.status.as_str().to_string(),
                    c.check.clone(),
                    c.subject.clone().unwrap_or_default(),
                    c.detail.clone(),
                    c.fix.clone().unwrap_or_default(),
                ]
            })
            .collect();
        Ok(table(
            &["status", "check", "subject", "found", "fix"],
            &rows,
        ))
    }
    fn env(&self, report: &EnvReport) -> Result<String> {
        let rows: Vec<Vec<String>> = lines(report)
            .into_iter()
            .map(|(label, value)| vec![label.to_string(), value])
            .collect();
        Ok(table(&["field", "value"], &rows))
    }
    fn bisect(&self, r: &BisectReport) -> Result<String> {
        let culprits: Vec<&str> = match &r.outcome {
            Outcome::Culprit { commit, .. } => vec![commit.as_str()],
            Outcome::OneOf { commits } => commits.iter().map(|c| c.commit.as_str()).collect(),
            _ => Vec::new(),
        };
        let rows: Vec<Vec<String>> = r
            .steps
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let p = s.paired.as_ref();
                vec![
                    (k + 1).to_string(),
                    s.commit.clone(),
                    s.subject.clone(),
                    s.position.to_string(),
                    s.attempt.to_string(),
                    num(p.and_then(|p| p.change)),
                    num(p.and_then(|p| p.ci).map(|c| c[0])),
                    num(p.and_then(|p| p.ci).map(|c| c[1])),
                    p.map(|p| p.verdict.as_str().to_string())
                        .unwrap_or_default(),
                    p.map(|p| p.rounds.to_string()).unwrap_or_default(),
                    s.decision.label().to_string(),
                    match &s.decision {
                        crate::history::bisect::Decision::Skip(why) => why.clone(),
                        _ => String::new(),
                    },
                    num(Some(s.seconds)),
                    culprits.contains(&s.commit.as_str()).to_string(),
                ]
            })
            .collect();
        Ok(table(&BISECT_HEADER, &rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_they_must_be() {
        assert_eq!(cell("cpu"), "cpu");
        assert_eq!(cell("resnet|18"), "resnet|18");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(num(Some(9.5)), "9.5");
        assert_eq!(num(Some(f64::NAN)), "");
        assert_eq!(num(None), "");
    }
}

//! `--format bmf`: Bencher Metric Format, the JSON `bencher run --adapter json`
//! reads (<https://bencher.dev/docs/reference/bencher-metric-format>):
//! `{"<benchmark>": {"<measure>": {"value": .., "lower_value": .., "upper_value": ..}}}`
//! with `lower_value` and `upper_value` optional.
//!
//! One benchmark per path, named `device/model`. Measures (slugs; Bencher
//! creates a measure the first time it sees its slug):
//!
//! | measure | unit | value | lower / upper (run) |
//! |---|---|---|---|
//! | `latency-p50`, `latency-p90`, `latency-p99` | ms | percentile of every timed inference of every round | lowest / highest of that percentile over the rounds (each a fresh process): the run-to-run spread |
//! | `throughput` | images/s | 1000 / mean latency (FPS) | lowest / highest round |
//! | `cold-start` | ms | session creation + first inference (median over rounds) | lowest / highest round |
//! | `top-1`, `top-5` | % of images | accuracy | 95% Wilson score interval over the images |
//! | `paired-change` (history only) | % | the latest baseline's paired change against the one before it | its interval |
//!
//! Latencies are not Bencher's built-in `latency` measure, which is in
//! nanoseconds and has one value per benchmark; three percentiles in ms need
//! measures of their own. Bounds are widened to include the value when the
//! rounds' figures do not (a pooled percentile can sit outside the rounds' own).
//! `compare` and `check` export the head side of each path (a path reported
//! identical was not re-measured and is left out) and `history` the latest
//! accepted baseline of each path, without bounds (neither keeps the rounds).

use std::collections::BTreeMap;

use serde::Serialize;

use super::exporter::Exporter;
use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::history::bisect::Report as BisectReport;
use crate::history::PathHistory;
use crate::record::{PathRecord, RunRecord};
use crate::report::doctor::DoctorReport;
use crate::report::env::EnvReport;

pub struct Bmf;

/// One metric: a value and its optional bounds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Metric {
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper_value: Option<f64>,
}

/// Benchmark name -> measure slug -> metric.
pub type Report = BTreeMap<String, BTreeMap<String, Metric>>;

/// The benchmark name of a path.
pub fn benchmark_name(device: &str, model: &str) -> String {
    format!("{device}/{model}")
}

/// Adds `measure` when `value` is finite; bounds only when finite, widened to
/// include the value.
fn put(m: &mut BTreeMap<String, Metric>, measure: &str, value: f64, bounds: Option<(f64, f64)>) {
    if !value.is_finite() {
        return;
    }
    let bounds = bounds.filter(|(l, u)| l.is_finite() && u.is_finite());
    m.insert(
        measure.to_string(),
        Metric {
            value,
            lower_value: bounds.map(|(l, _)| l.min(value)),
            upper_value: bounds.map(|(_, u)| u.max(value)),
        },
    );
}

/// Lowest and highest of `f` over the path's rounds.
fn round_range(p: &PathRecord, f: impl Fn(&crate::record::Round) -> f64) -> Option<(f64, f64)> {
    let v: Vec<f64> = p.rounds.iter().map(f).filter(|x| x.is_finite()).collect();
    let lo = v.iter().copied().reduce(f64::min)?;
    let hi = v.iter().copied().reduce(f64::max)?;
    Some((lo, hi))
}

fn percent(x: f64) -> f64 {
    x * 100.0
}

/// The BMF measures of one path of a run.
pub fn run_path(p: &PathRecord) -> BTreeMap<String, Metric> {
    let mut m = BTreeMap::new();
    let l = &p.latency_ms;
    put(
        &mut m,
        "latency-p50",
        l.p50,
        round_range(p, |r| r.latency_ms.p50),
    );
    put(
        &mut m,
        "latency-p90",
        l.p90,
        round_range(p, |r| r.latency_ms.p90),
    );
    put(
        &mut m,
        "latency-p99",
        l.p99,
        round_range(p, |r| r.latency_ms.p99),
    );
    put(
        &mut m,
        "throughput",
        p.fps,
        round_range(p, |r| 1000.0 / r.latency_ms.mean),
    );
    put(
        &mut m,
        "cold-start",
        p.cold_start_ms.reported_ms(),
        round_range(p, |r| r.cold_start_ms.reported_ms()),
    );
    if let Some(mb) = p.peak_rss_mb {
        put(
            &mut m,
            "memory-peak",
            mb,
            round_range(p, |r| r.peak_rss_mb.unwrap_or(f64::NAN)),
        );
    }
    if let Some(a) = &p.accuracy {
        let n = a.images as u64;
        let wilson = |k: usize| {
            crate::stats::wilson_interval(k as u64, n, 0.95)
                .map(|(lo, hi)| (percent(lo), percent(hi)))
        };
        put(&mut m, "top-1", percent(a.top1), wilson(a.correct_top1));
        put(&mut m, "top-5", percent(a.top5), wilson(a.correct_top5));
    }
    m
}

/// Serialises a report as pretty JSON with a final newline.
fn to_text(report: &Report) -> Result<String> {
    crate::record::to_json_pretty(report)
}

impl Exporter for Bmf {
    fn run(&self, record: &RunRecord) -> Result<String> {
        let report: Report = record
            .paths
            .iter()
            .map(|p| (benchmark_name(&p.device, &p.model), run_path(p)))
            .collect();
        to_text(&report)
    }

    fn comparison(&self, c: &Comparison) -> Result<String> {
        let report: Report = c
            .paths
            .iter()
            .map(|p| {
                let mut m = BTreeMap::new();
                let h = &p.head;
                put(&mut m, "latency-p50", h.p50, None);
                put(&mut m, "latency-p90", h.p90, None);
                put(&mut m, "latency-p99", h.p99, None);
                if let Some(t) = h.top1 {
                    put(&mut m, "top-1", percent(t), None);
                }
                if let Some(t) = h.top5 {
                    put(&mut m, "top-5", percent(t), None);
                }
                (benchmark_name(&p.device, &p.model), m)
            })
            // An identical path was not re-measured: it has no head figures.
            .filter(|(_, m)| !m.is_empty())
            .collect();
        to_text(&report)
    }

    fn history(&self, h: &[PathHistory]) -> Result<String> {
        let report: Report = h
            .iter()
            .filter_map(|p| {
                let e = p.entries.last()?;
                let mut m = BTreeMap::new();
                put(&mut m, "latency-p50", e.p50, None);
                put(&mut m, "latency-p90", e.p90, None);
                put(&mut m, "latency-p99", e.p99, None);
                if let Some(mean) = e.mean.filter(|x| *x > 0.0) {
                    put(&mut m, "throughput", 1000.0 / mean, None);
                }
                if let Some(c) = e.cold_start_ms {
                    put(&mut m, "cold-start", c, None);
                }
                if let Some(r) = e.peak_rss_mb {
                    put(&mut m, "peak-rss", r, None);
                }
                if let Some(t) = e.top1 {
                    put(&mut m, "top-1", percent(t), None);
                }
                if let Some(t) = e.top5 {
                    put(&mut m, "top-5", percent(t), None);
                }
                // The paired change of the latest baseline against the one
                // before it (percent), its interval as the bounds.
                if let Some(c) = e.paired.as_ref().map(|s| &s.change) {
                    if let Some(x) = c.change {
                        let b = c.ci.map(|[l, u]| (percent(l), percent(u)));
                        put(&mut m, "paired-change", percent(x), b);
                    }
                }
                Some((benchmark_name(&p.device, &p.model), m))
            })
            .collect();
        to_text(&report)
    }

    fn doctor(&self, _: &DoctorReport) -> Result<String> {
        Err(Error::argument(
            "--format bmf",
            "doctor has no measurements to report (use text, json, csv or markdown)",
        ))
    }
    /// Each replayed commit as a benchmark `device/model@<commit>`, its paired
    /// change against GOOD (percent) with the interval as bounds.
    fn bisect(&self, r: &BisectReport) -> Result<String> {
        let mut report: Report = BTreeMap::new();
        for s in &r.steps {
            let Some(p) = &s.paired else { continue };
            let Some(x) = p.change else { continue };
            let mut m = BTreeMap::new();
            let b = p.ci.map(|[l, u]| (percent(l), percent(u)));
            put(&mut m, "paired-change", percent(x), b);
            let name = format!(
                "{}@{}",
                benchmark_name(&r.device, &r.model),
                &s.commit[..s.commit.len().min(12)]
            );
            report.insert(name, m);
        }
        to_text(&report)
    }
    fn env(&self, _: &EnvReport) -> Result<String> {
        Err(Error::argument(
            "--format bmf",
            "env has no measurements to report (use text, json, csv or markdown)",
        ))
    }
}

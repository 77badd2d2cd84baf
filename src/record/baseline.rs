//! The baseline documents: `<model>.json` holds the accepted measurement of one
//! path (all its rounds, so its run-to-run spread is known, and its per-image
//! accuracy outcomes); each line of `<model>.history.jsonl` summarises one
//! accepted baseline. Pure: `store::baselines` reads and writes the files.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::accuracy::Accuracy;
use super::devsummary::DeviceSummary;
use super::paired::PairedStep;
use super::{
    GitInfo, Host, LatencySummary, PathRecord, Round, RunRecord, RuntimeInfo, Subset, Threads,
};
use crate::error::{Error, Result};
use crate::suite::{Provider, RuntimeKind};

pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// The accepted measurement of one path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    pub device: String,
    pub model: String,
    /// When `baseline accept` wrote it.
    pub accepted_at: chrono::DateTime<chrono::Utc>,
    /// When the run was measured.
    pub measured_at: chrono::DateTime<chrono::Utc>,
    /// The commit the run measured (`None` outside git).
    pub git: Option<GitInfo>,
    pub host: Host,
    pub edgeperf_version: String,
    pub runtime: RuntimeInfo,
    pub provider_requested: Provider,
    pub provider_ran: Provider,
    /// What really ran, in the runtime's words (see `PathRecord::accelerator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<String>,
    pub threads: Threads,
    pub model_file: String,
    pub model_sha256: String,
    pub suite_sha256: String,
    pub dataset_fingerprint: Option<String>,
    /// The run's `dataset.images_sha256` (absent in baselines of older edgeperf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_images_sha256: Option<String>,
    /// The run's `dataset.subset`, when it judged a subset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_subset: Option<Subset>,
    /// Images the run judged accuracy on (with `dataset_subset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_images: Option<usize>,
    pub latency_ms: LatencySummary,
    pub rounds: Vec<Round>,
    pub accuracy: Option<Accuracy>,
}

/// One line of `<model>.history.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    pub accepted_at: chrono::DateTime<chrono::Utc>,
    pub measured_at: chrono::DateTime<chrono::Utc>,
    pub commit: Option<String>,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    /// Median over rounds of each round's p10 (the detection statistic).
    pub p10_rounds: f64,
    pub top1: Option<f64>,
    pub top5: Option<f64>,
    pub runtime_version: String,
    pub provider_ran: Provider,
    pub model_sha256: String,
    // The fields below came after the first history files were written: each is
    // optional (an older line loads with `None`) and left out of the line when
    // unknown, so lines without them stay byte-identical.
    /// p10 of every timed sample of every round (pooled): the lower edge of the
    /// dashboard's p10-p90 band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p10: Option<f64>,
    /// Mean of the pooled samples: "ms per image"; FPS = 1000 / mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// ONNX Runtime intra-/inter-op threads the path ran with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<Threads>,
    /// Cold start: session creation plus the first inference, each the median
    /// over rounds (as `cold_start_ms` of the run record), in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start_ms: Option<f64>,
    /// Peak resident memory of a measuring process, MB (filled by the memory
    /// measurement when it records one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
    /// Which runtime measured it (`onnxruntime`, `litert`, `external`; its
    /// version is `runtime_version`). `None`, shown as unknown, for lines
    /// written before it was recorded: such a line may come from any runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_kind: Option<RuntimeKind>,
    /// The committer date of `commit`: history lines are kept in its order
    /// (`store::baselines::accept`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The device state over the baseline's rounds (temperatures, clocks,
    /// throttling, rounds with a problem); absent for baselines whose runs did
    /// not record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceSummary>,
    /// Why this step changed the path, in brief (a "why" line and a few
    /// details), when it was accepted with the comparison that explained it
    /// (`baseline accept --explanations`, docs/EXPLAIN.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<crate::explain::Brief>,
    /// This commit's path re-measured interleaved against the whole path of
    /// the previous baseline's commit (`baseline accept --paired`): the change
    /// the history's trend is made of. Absent: not paired (lines written
    /// before pairing, or a path whose base side could not be had).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<PairedStep>,
}

impl Baseline {
    pub fn from_path(run: &RunRecord, p: &PathRecord) -> Baseline {
        Baseline {
            schema_version: BASELINE_SCHEMA_VERSION,
            device: p.device.clone(),
            model: p.model.clone(),
            accepted_at: chrono::Utc::now(),
            measured_at: run.environment.timestamp,
            git: run.environment.git.clone(),
            host: run.environment.host.clone(),
            edgeperf_version: run.environment.edgeperf_version.clone(),
            runtime: p.runtime.clone(),
            provider_requested: p.provider_requested,
            provider_ran: p.provider_ran,
            accelerator: p.accelerator.clone(),
            threads: p.threads,
            model_file: p.model_file.clone(),
            model_sha256: p.model_sha256.clone(),
            suite_sha256: run.suite.sha256.clone(),
            dataset_fingerprint: run.dataset.as_ref().map(|d| d.fingerprint.clone()),
            dataset_images_sha256: run.dataset.as_ref().and_then(|d| d.images_sha256.clone()),
            dataset_subset: run.dataset.as_ref().and_then(|d| d.subset.clone()),
            dataset_images: run.dataset.as_ref().map(|d| d.images),
            latency_ms: p.latency_ms.clone(),
            rounds: p.rounds.clone(),
            accuracy: p.accuracy.clone(),
        }
    }

    pub fn history_entry(&self) -> HistoryEntry {
        let p10s: Vec<f64> = self.rounds.iter().map(|r| r.latency_ms.p10).collect();
        let median_over_rounds = |f: fn(&super::ColdStart) -> f64| {
            crate::stats::median(
                &self
                    .rounds
                    .iter()
                    .map(|r| f(&r.cold_start_ms))
                    .collect::<Vec<_>>(),
            )
        };
        let cold_start_ms = match (
            median_over_rounds(|c| c.session_create),
            median_over_rounds(|c| c.first_inference),
        ) {
            (Some(create), Some(first)) if (create + first).is_finite() => Some(create + first),
            _ => None,
        };
        HistoryEntry {
            accepted_at: self.accepted_at,
            measured_at: self.measured_at,
            commit: self.git.as_ref().map(|g| g.commit.clone()),
            p50: self.latency_ms.p50,
            p90: self.latency_ms.p90,
            p99: self.latency_ms.p99,
            p10_rounds: crate::stats::median(&p10s).unwrap_or(self.latency_ms.p10),
            top1: self.accuracy.as_ref().map(|a| a.top1),
            top5: self.accuracy.as_ref().map(|a| a.top5),
            runtime_version: self.runtime.version.clone(),
            provider_ran: self.provider_ran,
            model_sha256: self.model_sha256.clone(),
            p10: Some(self.latency_ms.p10),
            mean: Some(self.latency_ms.mean),
            threads: Some(self.threads),
            cold_start_ms,
            peak_rss_mb: crate::stats::median(
                &self
                    .rounds
                    .iter()
                    .filter_map(|r| r.peak_rss_mb)
                    .collect::<Vec<_>>(),
            ),
            runtime_kind: Some(self.runtime.kind),
            committed_at: self.committed_at(),
            device: DeviceSummary::of(self.rounds.iter().filter_map(|r| r.device.as_ref())),
            explanation: None,
            paired: None,
        }
    }

    /// The committer date of the commit measured, when the record knows it.
    pub fn committed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.git.as_ref().and_then(|g| g.committed_at)
    }

    /// Parses a baseline document that came from `path` (a file or a git blob).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Baseline> {
        super::parse_document(path, bytes, BASELINE_SCHEMA_VERSION, "baseline")
    }
}

/// Parses history lines. A malformed line is an error naming file and line,
/// except a malformed *last* line (an interrupted append by an older writer),
/// which is skipped and reported in the returned warnings.
pub fn parse_history(path: &Path, text: &str) -> Result<(Vec<HistoryEntry>, Vec<String>)> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<HistoryEntry>(line) {
            Ok(e) => out.push(e),
            Err(e) if i + 1 == lines.len() => warnings.push(format!(
                "{}: line {}: skipped an incomplete last entry ({e})",
                path.display(),
                i + 1
            )),
            Err(e) => {
                return Err(Error::document(
                    path,
                    format!("line {}: not a history entry: {e}", i + 1),
                ))
            }
        }
    }
    Ok((out, warnings))
}

/// `text` (a history file) with `entry` added as a line: at the end, unless the
/// file already holds lines of commits made later (by `committed_at`), in which
/// case it goes before the first of them, so the history stays in commit order
/// when the run of an older commit is accepted last. With `replace` (a run of
/// a clean checkout), a line of the same commit is replaced where it stands
/// instead: one line per commit, so accepting a commit again (a re-run, a
/// resumed backfill) never duplicates it. Other lines are kept as they are.
pub fn insert_history_line(text: &str, entry: &HistoryEntry, replace: bool) -> Result<String> {
    let line = entry.to_line()?;
    let parsed = |l: &str| serde_json::from_str::<HistoryEntry>(l).ok();
    let later = |e: &Option<HistoryEntry>| {
        matches!(
            (e.as_ref().and_then(|e| e.committed_at), entry.committed_at),
            (Some(theirs), Some(ours)) if theirs > ours
        )
    };
    let same = |e: &Option<HistoryEntry>| {
        replace && entry.commit.is_some() && e.as_ref().is_some_and(|e| e.commit == entry.commit)
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + line.len() + 1);
    let mut placed = false;
    for l in &lines {
        let e = parsed(l);
        if same(&e) {
            if !placed {
                out.push_str(&line);
                out.push('\n');
                placed = true;
            }
            continue;
        }
        if !placed && later(&e) {
            out.push_str(&line);
            out.push('\n');
            placed = true;
        }
        out.push_str(l);
        out.push('\n');
    }
    if !placed {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

impl HistoryEntry {
    /// The entry as one JSON line (no newline).
    pub fn to_line(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|source| Error::Serialise {
            what: "a history entry",
            source,
        })
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::fixtures;
    use crate::suite::Provider;

    #[test]
    fn a_baseline_carries_its_run_and_its_history_line_the_median_round_p10() {
        let rounds = vec![vec![9.0; 20], vec![12.0; 20], vec![10.0; 20]];
        let p = fixtures::path_record("cpu", "m", Provider::Cpu, &rounds, None);
        let run = fixtures::run_record(vec![p.clone()], fixtures::HEAD_COMMIT, true);
        let b = Baseline::from_path(&run, &p);
        assert_eq!(b.git.as_ref().unwrap().commit, fixtures::HEAD_COMMIT);
        assert_eq!(b.rounds.len(), 3);
        let h = b.history_entry();
        assert_eq!(h.p10_rounds, 10.0);
        assert_eq!(h.commit.as_deref(), Some(fixtures::HEAD_COMMIT));
        let line = h.to_line().unwrap();
        assert!(!line.contains('\n'));
        let (back, warnings) = parse_history(Path::new("h"), &line).unwrap();
        assert_eq!((back, warnings.len()), (vec![h], 0));
    }

    #[test]
    fn a_history_line_carries_the_band_threads_and_cold_start() {
        let rounds = vec![vec![9.0; 20], vec![12.0; 20], vec![10.0; 20]];
        let p = fixtures::path_record("cpu", "m", Provider::Cpu, &rounds, None);
        let run = fixtures::run_record(vec![p.clone()], fixtures::HEAD_COMMIT, true);
        let mut b = Baseline::from_path(&run, &p);
        // Rounds with different cold starts: the entry takes each part's median.
        for (r, (create, first)) in
            b.rounds
                .iter_mut()
                .zip([(100.0, 9.0), (300.0, 30.0), (200.0, 20.0)])
        {
            r.cold_start_ms.session_create = create;
            r.cold_start_ms.first_inference = first;
        }
        let h = b.history_entry();
        assert_eq!(h.p10, Some(p.latency_ms.p10));
        assert_eq!(h.p10, Some(9.0), "pooled p10 of 9/10/12 ms rounds");
        assert_eq!(h.mean, Some(p.latency_ms.mean));
        assert_eq!(
            h.threads,
            Some(crate::record::Threads { intra: 1, inter: 1 })
        );
        assert_eq!(h.cold_start_ms, Some(220.0));
        assert_eq!(h.peak_rss_mb, None, "no round measured memory");
        let line = h.to_line().unwrap();
        assert!(
            !line.contains("peak_rss_mb"),
            "unknown memory is left out: {line}"
        );
    }

    #[test]
    fn an_older_history_line_loads_and_writes_back_unchanged() {
        // A line as edgeperf wrote it before p10, mean, threads and cold start.
        let old = r#"{"accepted_at":"2026-01-02T03:04:05Z","measured_at":"2026-01-02T02:54:05Z","commit":"abc","p50":9.45,"p90":10.8,"p99":13.5,"p10_rounds":9.0,"top1":0.75,"top5":0.92,"runtime_version":"1.31.1","provider_ran":"cpu","model_sha256":"ab"}"#;
        let (entries, warnings) = parse_history(Path::new("h"), old).unwrap();
        assert!(warnings.is_empty());
        let e = &entries[0];
        assert_eq!(
            (e.p10, e.mean, e.threads, e.cold_start_ms, e.peak_rss_mb),
            (None, None, None, None, None)
        );
        assert_eq!(e.runtime_kind, None, "an older line's runtime is unknown");
        assert_eq!(e.to_line().unwrap(), old);
        let with_memory = old.replace("}", r#","peak_rss_mb":212.5}"#);
        let (entries, _) = parse_history(Path::new("h"), &with_memory).unwrap();
        assert_eq!(entries[0].peak_rss_mb, Some(212.5));
    }

    #[test]
    fn a_history_line_keeps_the_runtime_kind_of_its_baseline() {
        let rounds = vec![vec![9.0; 20]; 3];
        let p = fixtures::path_record("cpu", "m", Provider::Cpu, &rounds, None);
        let run = fixtures::run_record(vec![p.clone()], fixtures::HEAD_COMMIT, true);
        let mut b = Baseline::from_path(&run, &p);
        assert_eq!(
            b.history_entry().runtime_kind,
            Some(RuntimeKind::Onnxruntime)
        );
        b.runtime.kind = RuntimeKind::Litert;
        b.runtime.version = "1.4.0".into();
        let h = b.history_entry();
        assert_eq!(
            (h.runtime_kind, h.runtime_version.as_str()),
            (Some(RuntimeKind::Litert), "1.4.0")
        );
        let line = h.to_line().unwrap();
        assert!(line.ends_with(r#","runtime_kind":"litert"}"#), "{line}");
        let (back, _) = parse_history(Path::new("h"), &line).unwrap();
        assert_eq!(back[0].runtime_kind, Some(RuntimeKind::Litert));
    }

    #[test]
    fn history_skips_only_an_incomplete_last_line() {
        let e = fixtures::history_entry(0, 9.0, Some(0.7))
            .to_line()
            .unwrap();
        let text = format!("{e}\n{e}\n{{\"accepted_at\": \"20");
        let (entries, warnings) = parse_history(Path::new("m.history.jsonl"), &text).unwrap();
        assert_eq!(entries.len(), 2);
        assert!(warnings[0].contains("line 3"), "{warnings:?}");
        let text = format!("{e}\nnot json\n{e}\n");
        let err = parse_history(Path::new("m.history.jsonl"), &text)
            .unwrap_err()
            .one_line();
        assert!(
            err.contains("m.history.jsonl") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn a_baseline_document_is_checked_like_every_document() {
        let e = Baseline::parse(Path::new("b.json"), b"{\"schema_version\": 7}")
            .unwrap_err()
            .one_line();
        assert!(e.contains("b.json") && e.contains("newer"), "{e}");
    }
}

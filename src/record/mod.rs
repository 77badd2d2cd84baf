//! The documents edgeperf writes and reads, as versioned serde structs: the run
//! record (`edgeperf run --out FILE`, `schema_version: 2`; version 1 records
//! still load), baselines and their history ([`baseline`]), accuracy outcomes
//! ([`accuracy`]), the device state of each round ([`devstate`]). Documented field by
//! field in docs/RECORD.md; other tools rely on `paths[].device`, `paths[].model`,
//! `paths[].latency_ms.{p50,p90,p99}`,
//! `paths[].accuracy.{top1,top5,per_image[].image,per_image[].top5}`.
//!
//! Pure: documents are parsed from bytes the caller read (`store` reads files and
//! git blobs); nothing here touches a file, a process or the network.

pub mod accuracy;
pub mod baseline;
pub mod devstate;
pub mod devsummary;
pub mod machine;
pub mod paired;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::suite::{Provider, RuntimeKind, Sampling};
use accuracy::Accuracy;

/// Newest record schema this build writes and reads. 2 added each round's
/// device state, whose process the memory figure is of, and the dataset's
/// image list and subset; a version 1 record loads with them absent.
pub const RECORD_SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema_version: u32,
    /// False while `edgeperf run` is still going (the file is rewritten after every path).
    pub complete: bool,
    /// Why a run stopped before its end (a worker killed by a signal or past its
    /// time limit, Ctrl-C, any error after the first round), as its one-line
    /// error; absent in a complete record and in records of older edgeperf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete_reason: Option<String>,
    pub environment: Environment,
    pub suite: SuiteInfo,
    pub sampling: Sampling,
    pub dataset: Option<DatasetInfo>,
    pub paths: Vec<PathRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteInfo {
    pub file: String,
    /// SHA-256 of the suite file ("config hash").
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub root: String,
    pub images: usize,
    /// SHA-256 over every image's relative path and content hash.
    pub fingerprint: String,
    /// SHA-256 over the list of images judged (relative path and label, in
    /// order): which images, whatever their bytes (absent in version 1 records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images_sha256: Option<String>,
    /// The subset `dataset.limit` took, when the suite sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<Subset>,
}

/// A class-stratified subset of a dataset (`dataset.limit`, `dataset.seed`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Subset {
    /// `dataset.limit`.
    pub limit: usize,
    pub seed: u64,
    /// Images in the whole dataset, and classes among them.
    pub of_images: usize,
    pub classes: usize,
}

impl Subset {
    /// "50 of 70 images (stratified over 68 classes, seed 0)".
    pub fn describe(&self, images: usize) -> String {
        format!(
            "{images} of {} images (stratified over {} classes, seed {})",
            self.of_images, self.classes, self.seed
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PathRecord {
    pub device: String,
    pub model: String,
    pub model_file: String,
    pub model_sha256: String,
    pub provider_requested: Provider,
    /// The provider that really ran (differs only when the device allows fallback).
    pub provider_ran: Provider,
    pub fallback_reason: Option<String>,
    pub threads: Threads,
    pub runtime: RuntimeInfo,
    /// What really ran the inferences, in the runtime's own words (LiteRT: the
    /// accelerators applied and whether every op was delegated; an external
    /// runner: its `detail`). Absent for ONNX Runtime, whose `provider_ran` says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<String>,
    /// Summary over all timed samples of all rounds (milliseconds).
    pub latency_ms: LatencySummary,
    /// Frames per second implied by the mean latency (one image at a time).
    pub fps: f64,
    /// Cold start, median over rounds (each round is a fresh process).
    pub cold_start_ms: ColdStart,
    /// Every round with every timed sample.
    pub rounds: Vec<Round>,
    /// Peak resident memory of the worker, median over rounds, MiB (absent in
    /// records of edgeperf versions that did not measure it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
    /// `null` for latency-only models (`accuracy = false`).
    pub accuracy: Option<Accuracy>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Threads {
    pub intra: usize,
    pub inter: usize,
}

/// Distribution summary of per-inference latencies, milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatencySummary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub p5: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl LatencySummary {
    pub fn from_samples(samples: &[f64]) -> Option<LatencySummary> {
        let s = crate::stats::summary(samples)?;
        Some(LatencySummary {
            n: s.n,
            mean: s.mean,
            sd: s.sd,
            min: s.min,
            p5: s.p5,
            p10: s.p10,
            p50: s.p50,
            p90: s.p90,
            p99: s.p99,
            max: s.max,
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct ColdStart {
    /// dlopen of ONNX Runtime and environment creation.
    pub library_load: f64,
    /// Session creation: model load, graph optimisation, provider set-up.
    pub session_create: f64,
    /// The first inference after session creation.
    pub first_inference: f64,
}

impl ColdStart {
    /// The cold start edgeperf reports and judges: session creation + first
    /// inference (library load is once per process, apart).
    pub fn reported_ms(&self) -> f64 {
        self.session_create + self.first_inference
    }
}

/// One round: a fresh process and session, warm-up, then timed inferences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Round {
    pub index: u32,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub warmup: u32,
    pub cold_start_ms: ColdStart,
    /// Every timed inference, in order, milliseconds.
    pub samples_ms: Vec<f64>,
    pub latency_ms: LatencySummary,
    /// Peak resident memory after the timed inferences (VmHWM), MiB, of the
    /// process [`peak_rss_of`](Round::peak_rss_of) names; only for rounds that
    /// ran one session alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
    /// Whose memory `peak_rss_mb` is: absent in records of older edgeperf,
    /// which measured the worker (even for an external runner's path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_of: Option<MemoryOf>,
    /// The device's state before, during and after the round (absent in
    /// records of older edgeperf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<devstate::RoundDeviceState>,
    /// What the machine was doing during the timed inferences (load, steal,
    /// the worker's run-queue waits, CPU pressure; absent in records of older
    /// edgeperf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<machine::MachineState>,
}

/// Whose peak memory a round measured: the process that ran the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemoryOf {
    /// The edgeperf worker, which runs ONNX Runtime and LiteRT in-process.
    Worker,
    /// An external runner and its descendants, read from /proc while it ran.
    Runner,
    /// An external runner, as it reported itself (`peak_rss_mb` in its replies).
    RunnerReported,
    /// Nothing could measure the process that ran the model (a runner that
    /// runs it elsewhere and reports no figure): `peak_rss_mb` is absent.
    NotMeasured,
}

impl MemoryOf {
    /// Whose memory, for reasons and reports.
    pub fn describe(self) -> &'static str {
        match self {
            MemoryOf::Worker => "the edgeperf worker",
            MemoryOf::Runner => "the runner's process tree",
            MemoryOf::RunnerReported => "the runner's own report",
            MemoryOf::NotMeasured => "nothing (not measured)",
        }
    }
}

impl Round {
    /// Whose memory this round measured; a record of older edgeperf measured the worker.
    pub fn memory_of(&self) -> MemoryOf {
        self.peak_rss_of.unwrap_or(MemoryOf::Worker)
    }
}

impl RunRecord {
    /// Parses a run record that came from `path`, refusing other documents and
    /// newer schemas by name.
    /// Device and model names are checked by the suite's name rules
    /// ([`check_path_names`]).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<RunRecord> {
        let run: RunRecord = parse_document(path, bytes, RECORD_SCHEMA_VERSION, "run record")?;
        check_path_names(path, run.path_names())?;
        Ok(run)
    }

    /// (device, model) of every path, in order.
    pub fn path_names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.paths
            .iter()
            .map(|p| (p.device.as_str(), p.model.as_str()))
    }

    /// Refuses a record holding a path of any device but `device`: the run of
    /// one device's job may only speak for that device (`baseline accept
    /// --device`, the main workflow).
    pub fn check_device(&self, path: &Path, device: &str) -> Result<()> {
        check_only_device(path, self.path_names(), device)
    }

    pub fn path(&self, device: &str, model: &str) -> Option<&PathRecord> {
        self.paths
            .iter()
            .find(|p| p.device == device && p.model == model)
    }
}

/// The runtime library a path ran on and its version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuntimeInfo {
    /// The version as the library reports it (ONNX Runtime's `GetVersionString`;
    /// LiteRT's from the `VERSION` file set-up writes beside the library; an
    /// external runner's from its hello line).
    pub version: String,
    /// Absolute path of the shared library (an external runner: its program).
    pub library: PathBuf,
    /// SHA-256 of the library file: which build ran, whatever its path (absent in
    /// older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Which runtime: absent in the JSON means `onnxruntime` (records written
    /// before LiteRT and external runners existed).
    #[serde(default, skip_serializing_if = "RuntimeKind::is_onnxruntime")]
    pub kind: RuntimeKind,
}

/// The environment fingerprint recorded with every run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    pub edgeperf_version: String,
    /// UTC time the run started.
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub git: Option<GitInfo>,
    pub host: Host,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GitInfo {
    pub commit: String,
    /// `None` on a detached HEAD (as in CI checkouts of a pull request).
    pub branch: Option<String>,
    /// Tracked files differ from HEAD (untracked and ignored files do not count).
    pub dirty: bool,
    /// The commit's committer date (absent in records of older edgeperf):
    /// `baseline accept` orders by it, so the run of an older commit that lands
    /// late never replaces the baseline of a newer one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Host {
    pub hostname: String,
    pub cpu_model: String,
    pub cores: usize,
    pub os: String,
    pub kernel: String,
    pub arch: String,
}

/// Checks the device and model name of every path of a document that came
/// from `path` by the suite's name rules ([`crate::suite::check_name`]): the
/// names become folders and files under `baselines/`, statuses and PR comment
/// rows, so a record naming `../../x`, `/etc` or `a|b` is refused with the file
/// and the key (`paths[2].device`).
pub fn check_path_names<'a>(
    path: &Path,
    names: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    for (i, (device, model)) in names.into_iter().enumerate() {
        for (key, name) in [("device", device), ("model", model)] {
            crate::suite::check_name(name)
                .map_err(|m| Error::config(path, format!("paths[{i}].{key}"), m))?;
        }
    }
    Ok(())
}

/// Refuses a document (from `path`) with a path of another device than `device`.
pub fn check_only_device<'a>(
    path: &Path,
    names: impl IntoIterator<Item = (&'a str, &'a str)>,
    device: &str,
) -> Result<()> {
    for (i, (d, _)) in names.into_iter().enumerate() {
        if d != device {
            return Err(Error::config(
                path,
                format!("paths[{i}].device"),
                format!(
                    "{d:?} is not {device:?}: this file may only hold results of device {device:?}"
                ),
            ));
        }
    }
    Ok(())
}

/// Parses JSON bytes that came from `path` (a file or a git blob). Empty,
/// truncated or non-JSON input becomes a one-line error naming the file, the line
/// and the column.
pub fn parse_json<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::document(
            path,
            "file is empty (expected a JSON document)",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_eof() {
            "truncated JSON"
        } else if e.is_syntax() {
            "not valid JSON"
        } else {
            "unexpected JSON content"
        };
        Error::document(path, format!("{what}: {e}"))
    })
}

/// Parses a versioned edgeperf document (`what` names it in errors): it must be
/// JSON, carry a `schema_version` no newer than `newest`, and match the schema.
pub fn parse_document<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    newest: u32,
    what: &str,
) -> Result<T> {
    let v: serde_json::Value = parse_json(path, bytes)?;
    // Another kind of edgeperf document is named as such, whatever its version
    // (a version 2 run record handed to `report` is not "newer", it is a run record).
    if let Some(kind) = kind_of(&v).filter(|k| *k != what) {
        return Err(Error::document(
            path,
            format!("not an edgeperf {what}: it is an edgeperf {kind}"),
        ));
    }
    check_schema(path, &v, newest, what)?;
    serde_json::from_value(v)
        .map_err(|e| Error::document(path, format!("not an edgeperf {what}: {e}")))
}

/// Which edgeperf document `v` is, by the fields only that kind has; `None`
/// for anything else.
fn kind_of(v: &serde_json::Value) -> Option<&'static str> {
    let has = |keys: &[&str]| keys.iter().all(|k| v.get(k).is_some());
    if has(&["complete", "environment", "sampling", "paths"]) {
        Some("run record")
    } else if has(&["regressions", "baselines", "paths"]) {
        Some("comparison")
    } else if has(&["accepted_at", "measured_at", "rounds"]) {
        Some("baseline")
    } else if has(&["run_sha256", "head_commit", "paths"]) {
        Some("paired document")
    } else {
        None
    }
}

/// Checks `schema_version` of a JSON document: missing -> error, newer -> error
/// that says to upgrade.
pub fn check_schema(path: &Path, v: &serde_json::Value, newest: u32, what: &str) -> Result<()> {
    match v.get("schema_version").and_then(|s| s.as_u64()) {
        None => Err(Error::document(path, format!("not an edgeperf {what}: no schema_version"))),
        Some(n) if n > newest as u64 => Err(Error::document(
            path,
            format!("{what} schema_version {n} is newer than this edgeperf understands ({newest}); upgrade edgeperf"),
        )),
        Some(_) => Ok(()),
    }
}

/// Serialises a document as pretty JSON with a final newline.
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|source| Error::Serialise {
            what: "the output",
            source,
        })
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::fixtures;

    fn err(bytes: &[u8]) -> String {
        RunRecord::parse(Path::new("run.json"), bytes)
            .unwrap_err()
            .one_line()
    }

    #[test]
    fn documents_round_trip() {
        let run = fixtures::run_record(
            vec![fixtures::path_record(
                "cpu",
                "m",
                Provider::Cpu,
                &fixtures::synth_rounds(9.0, 2, 50),
                Some(&fixtures::first_wrong(10, 3)),
            )],
            fixtures::HEAD_COMMIT,
            true,
        );
        let json = to_json_pretty(&run).unwrap();
        let back = RunRecord::parse(Path::new("run.json"), json.as_bytes()).unwrap();
        assert_eq!(back.paths[0].rounds.len(), 2);
        assert_eq!(back.paths[0].accuracy.as_ref().unwrap().correct_top1, 7);
        assert_eq!(back.path("cpu", "m").unwrap().model, "m");
        assert!(back.path("cpu", "x").is_none());
    }

    #[test]
    fn incomplete_reason_is_optional_and_kept() {
        let p = fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let mut run = fixtures::run_record(vec![p], fixtures::HEAD_COMMIT, false);
        // A record of an older edgeperf has no such field, and still loads.
        let old = to_json_pretty(&run).unwrap();
        assert!(!old.contains("incomplete_reason"), "{old}");
        let back = RunRecord::parse(Path::new("run.json"), old.as_bytes()).unwrap();
        assert_eq!(back.incomplete_reason, None);
        run.incomplete_reason = Some("interrupted by SIGINT: ...".into());
        let json = to_json_pretty(&run).unwrap();
        let back = RunRecord::parse(Path::new("run.json"), json.as_bytes()).unwrap();
        assert_eq!(
            back.incomplete_reason.as_deref(),
            Some("interrupted by SIGINT: ...")
        );
    }

    #[test]
    fn bad_documents_are_one_line_errors_naming_the_file() {
        for (bytes, want) in [
            (&b""[..], "empty"),
            (b"  \n", "empty"),
            (b"{\"schema_version\": 1, \"paths\": [", "truncated JSON"),
            (b"not json", "not valid JSON"),
            (b"{\"a\": 1}", "no schema_version"),
            (
                b"{\"schema_version\": 99}",
                "newer than this edgeperf understands",
            ),
            (b"{\"schema_version\": 1}", "not an edgeperf run record"),
            (b"[1, 2]", "no schema_version"),
        ] {
            let e = err(bytes);
            assert!(e.starts_with("run.json: ") && e.contains(want), "{e}");
        }
    }

    #[test]
    fn records_without_runtime_kind_read_as_onnx_runtime_and_litert_ones_round_trip() {
        let p = fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let run = fixtures::run_record(vec![p], fixtures::HEAD_COMMIT, true);
        let old = to_json_pretty(&run).unwrap();
        assert!(!old.contains("\"kind\"") && !old.contains("\"accelerator\""));
        let back = RunRecord::parse(Path::new("run.json"), old.as_bytes()).unwrap();
        assert_eq!(back.paths[0].runtime.kind, RuntimeKind::Onnxruntime);
        assert_eq!(back.paths[0].accelerator, None);
        let mut lt = run.clone();
        lt.paths[0].runtime.kind = RuntimeKind::Litert;
        lt.paths[0].accelerator = Some("cpu (CpuAccelerator), all ops delegated".into());
        let json = to_json_pretty(&lt).unwrap();
        assert!(json.contains("\"kind\": \"litert\""), "{json}");
        let back = RunRecord::parse(Path::new("run.json"), json.as_bytes()).unwrap();
        assert_eq!(back.paths[0].runtime.kind, RuntimeKind::Litert);
        assert_eq!(back.paths[0].accelerator, lt.paths[0].accelerator);
    }

    #[test]
    fn a_version_1_record_loads_and_a_version_3_one_is_refused() {
        let p = fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let run = fixtures::run_record(vec![p], fixtures::HEAD_COMMIT, true);
        let mut v: serde_json::Value =
            serde_json::from_str(&to_json_pretty(&run).unwrap()).unwrap();
        assert_eq!(v["schema_version"], 2);
        v["schema_version"] = 1.into();
        let old = serde_json::to_vec(&v).unwrap();
        let back = RunRecord::parse(Path::new("run.json"), &old).unwrap();
        let r = &back.paths[0].rounds[0];
        assert!(r.device.is_none() && r.peak_rss_of.is_none());
        assert_eq!(
            r.memory_of(),
            MemoryOf::Worker,
            "older edgeperf measured the worker"
        );
        assert!(back.dataset.unwrap().images_sha256.is_none());
        v["schema_version"] = 3.into();
        let e = err(&serde_json::to_vec(&v).unwrap());
        assert!(
            e.contains("schema_version 3 is newer") && e.contains("upgrade edgeperf"),
            "{e}"
        );
    }

    #[test]
    fn latency_summary_needs_samples() {
        assert!(LatencySummary::from_samples(&[]).is_none());
        let s = LatencySummary::from_samples(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.n, s.min, s.p50, s.max), (3, 1.0, 2.0, 3.0));
    }
}

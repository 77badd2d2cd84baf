//! Fixture builders shared by the integration tests and the benches: run records,
//! path records with synthetic rounds, per-image accuracy, the host, baselines and
//! history files, all written as the JSON edgeperf reads (no ONNX Runtime needed).
//!
//! Everything here is deterministic: times are offsets from [`TEST_TIME`] (never
//! the clock), and the only "randomness" is [`mix`] (and [`unit`] over it), a
//! hash of an index and a fixed seed. The same call gives the same bytes on every run, so snapshot tests
//! can render these fixtures.
//!
//! Include it with `#[path = "common/fixtures.rs"] mod fixtures;` from `tests/` and
//! `#[path = "../tests/common/fixtures.rs"] mod fixtures;` from `benches/`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use edgeperf::history::PathHistory;
use edgeperf::record::accuracy::{Accuracy, ImageOutcome};
use edgeperf::record::baseline::{Baseline, HistoryEntry};
use edgeperf::record::paired::{PairedChange, PairedStep, PairedVerdict};
use edgeperf::record::RuntimeInfo;
use edgeperf::record::{
    ColdStart, DatasetInfo, LatencySummary, PathRecord, Round, RunRecord, SuiteInfo, Threads,
    RECORD_SCHEMA_VERSION,
};
use edgeperf::record::{Environment, GitInfo, Host};
use edgeperf::store::baselines::{baseline_file, history_file};
use edgeperf::suite::{Provider, RuntimeKind, Sampling};

// ---------------------------------------------------------------------------
// Time, commits, host
// ---------------------------------------------------------------------------

/// The fixed "now" of every fixture: 2026-01-02T03:04:05Z (like bencher's `DateTime::TEST`).
pub const TEST_TIME: DateTime<Utc> = match DateTime::from_timestamp_secs(1_767_323_045) {
    Some(t) => t,
    None => panic!("TEST_TIME out of range"),
};

/// [`TEST_TIME`] plus `secs` seconds (negative: before it).
pub fn at(secs: i64) -> DateTime<Utc> {
    TEST_TIME + chrono::Duration::seconds(secs)
}

/// The commit a head run measured.
pub const HEAD_COMMIT: &str = "1111111111222222222233333333334444444444";
/// The commit the baselines were measured at.
pub const BASE_COMMIT: &str = "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd";

/// The host every fixture run was measured on.
pub fn host() -> Host {
    Host {
        hostname: "ci-runner".into(),
        cpu_model: "Test CPU".into(),
        cores: 2,
        os: "Linux".into(),
        kernel: "6.0".into(),
        arch: "x86_64".into(),
    }
}

// ---------------------------------------------------------------------------
// Samples
// ---------------------------------------------------------------------------

/// SplitMix64-style hash of index `i` under `seed`: stateless, so any order of
/// calls gives the same values.
pub fn mix(i: usize, seed: u64) -> u64 {
    let mut x = (i as u64 ^ (seed << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    x
}

/// Deterministic pseudo-random number in [0, 1) for index `i` under `seed`.
pub fn unit(i: usize, seed: u64) -> f64 {
    (mix(i, seed) >> 11) as f64 / (1u64 << 53) as f64
}

/// A 40-hex-digit commit id for index `i`, distinct in its first 10 digits (the
/// short form reports print).
pub fn fake_commit(i: usize) -> String {
    format!(
        "{:016x}{:016x}{:08x}",
        mix(i, 0xC0),
        mix(i, 0xC1),
        mix(i, 0xC2) as u32
    )
}

/// `rounds` rounds of `n` per-inference times around `level` ms: a fixed
/// pattern within +2% per sample, +0.2% per round, and a 2 ms spike every 50th.
pub fn synth_rounds(level: f64, rounds: usize, n: usize) -> Vec<Vec<f64>> {
    (0..rounds)
        .map(|r| {
            (0..n)
                .map(|i| {
                    let x = ((i * 7919 + r * 104_729) % 1000) as f64 / 1000.0;
                    level * (1.0 + 0.02 * x + 0.002 * r as f64)
                        + if i % 50 == 0 { 2.0 } else { 0.0 }
                })
                .collect()
        })
        .collect()
}

/// `rounds` rounds of `n` times uniformly in `level * [1, 1 + spread)`, drawn with [`unit`].
pub fn seeded_rounds(level: f64, rounds: usize, n: usize, spread: f64, seed: u64) -> Vec<Vec<f64>> {
    (0..rounds)
        .map(|r| {
            (0..n)
                .map(|i| level * (1.0 + spread * unit(i, seed.wrapping_mul(16) + r as u64)))
                .collect()
        })
        .collect()
}

/// `n` per-image outcomes, each right with probability `p_right`, drawn with [`unit`].
pub fn seeded_correct(n: usize, p_right: f64, seed: u64) -> Vec<bool> {
    (0..n).map(|i| unit(i, seed) < p_right).collect()
}

/// `n` outcomes: all right except the first `wrong`.
pub fn first_wrong(n: usize, wrong: usize) -> Vec<bool> {
    (0..n).map(|i| i >= wrong).collect()
}

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// Per-image outcomes: image i is right (top-1 and top-5) iff `correct[i]`.
pub fn accuracy(correct: &[bool]) -> Accuracy {
    accuracy_top5(correct, correct)
}

/// Per-image outcomes: image i has its label first when `top1[i]`, fifth when
/// only `top5[i]`, else not among the five (`top1[i]` implies `top5[i]`).
pub fn accuracy_top5(top1: &[bool], top5: &[bool]) -> Accuracy {
    assert_eq!(top1.len(), top5.len());
    let per = top1
        .iter()
        .zip(top5)
        .enumerate()
        .map(|(i, (&c1, &c5))| {
            assert!(c5 || !c1, "image {i}: right in top-1 but not in top-5");
            let label = (i % 1000) as u32;
            let wrong = (label + 1) % 1000;
            ImageOutcome {
                image: format!("class{:03}/img{i:05}.jpg", i % 1000),
                label,
                top5: match (c1, c5) {
                    (true, _) => vec![label, wrong, 2000, 2001, 2002],
                    (false, true) => vec![wrong, 2000, 2001, 2002, label],
                    (false, false) => vec![wrong, 2000, 2001, 2002, 2003],
                },
            }
        })
        .collect();
    Accuracy::from_outcomes(per).expect("at least one image")
}

/// A path that ran on `provider` as requested, with the given rounds (each a list
/// of per-inference ms, started 10 s apart) and, when `correct` is given,
/// per-image accuracy outcomes (`None`: a latency-only model).
pub fn path_record(
    device: &str,
    model: &str,
    provider: Provider,
    rounds: &[Vec<f64>],
    correct: Option<&[bool]>,
) -> PathRecord {
    let cold = ColdStart {
        library_load: 40.0,
        session_create: 120.0,
        first_inference: 30.0,
    };
    let all: Vec<f64> = rounds.iter().flatten().copied().collect();
    let latency_ms = LatencySummary::from_samples(&all).expect("samples");
    PathRecord {
        device: device.into(),
        model: model.into(),
        model_file: format!("models/{model}.onnx"),
        model_sha256: "ab".repeat(32),
        provider_requested: provider,
        provider_ran: provider,
        fallback_reason: None,
        threads: Threads { intra: 1, inter: 1 },
        runtime: RuntimeInfo {
            version: "1.31.1".into(),
            library: PathBuf::from("/opt/ort/libonnxruntime.so.1.31.1"),
            sha256: None,
            kind: Default::default(),
        },
        accelerator: None,
        fps: 1000.0 / latency_ms.mean,
        latency_ms,
        cold_start_ms: cold,
        rounds: rounds
            .iter()
            .enumerate()
            .map(|(i, s)| Round {
                index: i as u32,
                started_at: at(i as i64 * 10),
                warmup: 20,
                cold_start_ms: cold,
                samples_ms: s.clone(),
                latency_ms: LatencySummary::from_samples(s).expect("round samples"),
                peak_rss_mb: None,
                peak_rss_of: None,
                device: None,
                machine: None,
            })
            .collect(),
        accuracy: correct.map(accuracy),
        peak_rss_mb: None,
    }
}

/// `p` as if `requested` had been asked for and the device fell back to the
/// provider `p` ran on, for `reason`.
pub fn fell_back(mut p: PathRecord, requested: Provider, reason: &str) -> PathRecord {
    p.provider_requested = requested;
    p.fallback_reason = Some(reason.into());
    p
}

/// A run record (this build's schema_version) measured at [`TEST_TIME`] at `commit` on [`host`];
/// the dataset has as many images as the largest accuracy pass.
pub fn run_record(paths: Vec<PathRecord>, commit: &str, complete: bool) -> RunRecord {
    let images = paths
        .iter()
        .filter_map(|p| p.accuracy.as_ref().map(|a| a.images))
        .max()
        .unwrap_or(0);
    RunRecord {
        schema_version: RECORD_SCHEMA_VERSION,
        complete,
        incomplete_reason: None,
        environment: Environment {
            edgeperf_version: "0.1.0".into(),
            timestamp: TEST_TIME,
            git: Some(GitInfo {
                commit: commit.into(),
                branch: None,
                dirty: false,
                committed_at: None,
            }),
            host: host(),
        },
        suite: SuiteInfo {
            file: "edgeperf.toml".into(),
            sha256: "cd".repeat(32),
        },
        sampling: Sampling::default(),
        dataset: Some(DatasetInfo {
            root: "data/imagenet-samples".into(),
            images,
            fingerprint: "ef".repeat(32),
            images_sha256: None,
            subset: None,
        }),
        paths,
    }
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/// Writes `v` as pretty JSON, creating the parent folders.
pub fn write_json<T: serde::Serialize>(path: &Path, v: &T) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// Writes every path of `run` as a baseline under `dir`, accepted an hour after
/// [`TEST_TIME`] (no history lines).
pub fn write_baselines(dir: &Path, run: &RunRecord) {
    for p in &run.paths {
        let mut b = Baseline::from_path(run, p);
        b.accepted_at = at(3600);
        write_json(&baseline_file(dir, &p.device, &p.model), &b);
    }
}

// ---------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------

/// History entry `i` of a path: accepted `i` days after [`TEST_TIME`], measured
/// 10 minutes before, at commit [`fake_commit`]`(i)`; p50/p90/p99 are 1.05/1.2/1.5 x `p10`,
/// top-5 is 92% when `top1` is given; runtime 1.31.1 of no recorded kind (as in lines
/// written before the kind was).
pub fn history_entry(i: usize, p10: f64, top1: Option<f64>) -> HistoryEntry {
    let day = i as i64 * 86_400;
    HistoryEntry {
        accepted_at: at(day),
        measured_at: at(day - 600),
        commit: Some(fake_commit(i)),
        p50: p10 * 1.05,
        p90: p10 * 1.2,
        p99: p10 * 1.5,
        p10_rounds: p10,
        top1,
        top5: top1.map(|_| 0.92),
        runtime_version: "1.31.1".into(),
        provider_ran: Provider::Cpu,
        model_sha256: "ab".repeat(32),
        p10: None,
        mean: None,
        threads: None,
        cold_start_ms: None,
        peak_rss_mb: None,
        runtime_kind: None,
        committed_at: None,
        device: None,
        explanation: None,
        paired: None,
    }
}

/// `entries` with every entry after the first paired against the one before
/// it: the change is the ratio of their p10 of the rounds, its interval ±1%,
/// and the verdict the default rule (3%) gives such a change.
pub fn paired_chain(mut entries: Vec<HistoryEntry>) -> Vec<HistoryEntry> {
    for i in 1..entries.len() {
        let change = entries[i].p10_rounds / entries[i - 1].p10_rounds - 1.0;
        let verdict = if change >= 0.03 {
            PairedVerdict::Regressed
        } else if change <= -0.03 {
            PairedVerdict::Improved
        } else {
            PairedVerdict::Unchanged
        };
        entries[i].paired = Some(PairedStep {
            base: entries[i - 1].commit.clone().unwrap_or_default(),
            change: PairedChange {
                change: Some(change),
                ci: Some([change - 0.01, change + 0.01]),
                verdict,
                rounds: 10,
                seconds_per_side: 6.0,
            },
        });
    }
    entries
}

/// `n` entries whose p10 is 9 ms before entry `jump_at` and 10 ms from it on, with
/// a small fixed noise (|e| <= 0.06 ms); top-1 stays at 75%.
pub fn level_shift_history(n: usize, jump_at: usize) -> Vec<HistoryEntry> {
    paired_chain(level_shift_levels(n, jump_at))
}

/// [`level_shift_history`] as lines written before pairing (no `paired`).
pub fn level_shift_levels(n: usize, jump_at: usize) -> Vec<HistoryEntry> {
    (0..n)
        .map(|i| {
            let level = if i < jump_at { 9.0 } else { 10.0 };
            let e = 0.06 * (((i * 37 + 11) % 13) as f64 / 6.0 - 1.0);
            history_entry(i, level + e, Some(0.75))
        })
        .collect()
}

/// A history with every field the dashboard draws: `n` entries of
/// [`history_entry`] around `level` ms (p10 of the rounds, within +-0.5%), 10%
/// slower from entry `2n/3` on (a new latency level), onnxruntime (kind recorded)
/// 1.24.1 before entry `n/3` and 1.31.1 from it, pooled p10 0.97x, mean 1.08x, threads 1/1,
/// cold start 150-154 ms; top-1 `top1` (top-5 92%) or latency only.
pub fn dashboard_history(n: usize, level: f64, top1: Option<f64>) -> Vec<HistoryEntry> {
    let entries = (0..n)
        .map(|i| {
            let shift = if i >= 2 * n / 3 { 1.1 } else { 1.0 };
            let p10 = level * shift * (1.0 + 0.01 * (unit(i, 17) - 0.5));
            let mut e = history_entry(i, p10, top1);
            e.p10 = Some(p10 * 0.97);
            e.mean = Some(p10 * 1.08);
            e.threads = Some(Threads { intra: 1, inter: 1 });
            e.cold_start_ms = Some(150.0 + (i % 5) as f64);
            e.runtime_kind = Some(RuntimeKind::Onnxruntime);
            if i < n / 3 {
                e.runtime_version = "1.24.1".into();
            }
            e
        })
        .collect();
    paired_chain(entries)
}

/// [`dashboard_history`] as the `PathHistory` of `device/model` (with its change points).
pub fn dashboard_path(
    device: &str,
    model: &str,
    n: usize,
    level: f64,
    top1: Option<f64>,
) -> PathHistory {
    PathHistory::new(
        device.into(),
        model.into(),
        dashboard_history(n, level, top1),
    )
}

/// One JSON line per entry, as in `<model>.history.jsonl`.
pub fn history_lines(entries: &[HistoryEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect()
}

/// Writes `lines` (each ended by a newline) as the history of `device/model` under
/// the baselines folder `dir`; returns the file.
pub fn write_history(dir: &Path, device: &str, model: &str, lines: &[String]) -> PathBuf {
    let f = history_file(dir, device, model);
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&f, text).unwrap();
    f
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

/// Writes `baselines/` and `head.json` under `dir`: four paths on `cpu`, one of
/// each outcome: mobilenet_v2 unchanged (+1%), `resnet-18` losing 20 of 70 images
/// (accuracy regression), squeezenet that ran on openvino in the baseline and on
/// cpu now (provider guard), efficientnet_lite0 without a baseline (new).
pub fn mixed_scenario(dir: &Path) {
    let rounds = synth_rounds(9.0, 3, 60);
    let slower = synth_rounds(9.1, 3, 60);
    let lost = first_wrong(70, 20);
    let all = [true; 70];
    let base = run_record(
        vec![
            path_record("cpu", "mobilenet_v2", Provider::Cpu, &rounds, Some(&all)),
            path_record("cpu", "resnet-18", Provider::Cpu, &rounds, Some(&all)),
            path_record("cpu", "squeezenet", Provider::Openvino, &rounds, None),
        ],
        BASE_COMMIT,
        true,
    );
    write_baselines(&dir.join("baselines"), &base);
    let head = run_record(
        vec![
            path_record("cpu", "mobilenet_v2", Provider::Cpu, &slower, Some(&all)),
            path_record("cpu", "resnet-18", Provider::Cpu, &rounds, Some(&lost)),
            path_record("cpu", "squeezenet", Provider::Cpu, &rounds, None),
            path_record("cpu", "efficientnet_lite0", Provider::Cpu, &rounds, None),
        ],
        HEAD_COMMIT,
        true,
    );
    write_json(&dir.join("head.json"), &head);
}

// ---------------------------------------------------------------------------
// Confirmations without measuring
// ---------------------------------------------------------------------------

/// `n` interleaved rounds whose head/base ratio is `ratio` (with a little
/// jitter that keeps the median exact), each measured while the machine was
/// quiet, or busy (its worker waiting for a CPU 48% of the time) when `busy`.
pub fn interleaved(ratio: f64, n: usize, busy: bool) -> edgeperf::compare::Interleaved {
    use edgeperf::record::machine::{MachineState, Reading};
    let jitter = [
        1.0, 1.004, 0.996, 1.002, 0.998, 1.0, 1.003, 0.997, 1.001, 0.999,
    ];
    let base: Vec<f64> = (0..n).map(|i| 9.0 + 0.01 * (i % 10) as f64).collect();
    let head: Vec<f64> = base
        .iter()
        .enumerate()
        .map(|(i, b)| b * ratio * jitter[i % 10])
        .collect();
    let machine = MachineState {
        seconds: 1.2,
        load1: Reading::Value(if busy { 3.4 } else { 0.6 }),
        cpus: Reading::Value(2),
        steal: Reading::Value(0.0),
        run_wait: Reading::Value(if busy { 0.48 } else { 0.01 }),
        cpu_pressure: Reading::Absent("/proc/pressure/cpu: not found".into()),
    };
    edgeperf::compare::Interleaved {
        log_ratios: base.iter().zip(&head).map(|(b, h)| (h / b).ln()).collect(),
        machine: vec![Some(machine); n],
        seconds_per_side: 0.6 * n as f64,
        base,
        head,
        ..Default::default()
    }
}

/// Rounds swinging between +4% and -3.5%: never decided, the estimate within
/// the minimum change.
pub fn interleaved_undecided(n: usize) -> edgeperf::compare::Interleaved {
    let mut m = interleaved(1.0, n, false);
    m.head = m
        .base
        .iter()
        .enumerate()
        .map(|(i, b)| b * if i % 2 == 0 { 1.04 } else { 0.965 })
        .collect();
    m.log_ratios = m
        .base
        .iter()
        .zip(&m.head)
        .map(|(b, h)| (h / b).ln())
        .collect();
    m
}

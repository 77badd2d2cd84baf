//! Scale benchmark of the comparator and the history, no ONNX Runtime needed:
//!
//! - `compare/100_paths`: load a run record of 100 paths (3 rounds x 200 samples,
//!   1000-image accuracy each) and compare it against 100 baselines on disk (no
//!   confirmation), then render the Markdown report: what `edgeperf compare
//!   --no-confirm --format markdown` does.
//! - `history/10k_entries`: `commands::history::build` over one path's
//!   `.history.jsonl` of 10,000 lines (parse + PELT change points).
//!
//!   cargo bench --bench scale -- --warm-up-time 1 --measurement-time 3

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use edgeperf::commands::compare::judge_run;
use edgeperf::compare::PathStatus;
use edgeperf::record::accuracy::{Accuracy, ImageOutcome};
use edgeperf::record::baseline::{Baseline, HistoryEntry};
use edgeperf::record::RuntimeInfo;
use edgeperf::record::{
    ColdStart, DatasetInfo, LatencySummary, PathRecord, Round, RunRecord, SuiteInfo, Threads,
    RECORD_SCHEMA_VERSION,
};
use edgeperf::record::{Environment, GitInfo, Host};
use edgeperf::store::baselines::Source;
use edgeperf::store::baselines::{baseline_file, history_file};
use edgeperf::suite::CompareConfig;
use edgeperf::suite::{Provider, Sampling};

const PATHS: usize = 100;
const ROUNDS: usize = 3;
const SAMPLES: usize = 200;
const IMAGES: usize = 1000;
const HISTORY: usize = 10_000;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::seconds(secs)
}

/// Deterministic pseudo-random in [0, 1).
fn u(i: usize, salt: usize) -> f64 {
    let mut x = (i as u64 ^ ((salt as u64) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn path_record(k: usize, level: f64, salt: usize) -> PathRecord {
    let cold = ColdStart {
        library_load: 40.0,
        session_create: 120.0,
        first_inference: 30.0,
    };
    let rounds: Vec<Round> = (0..ROUNDS)
        .map(|r| {
            let s: Vec<f64> = (0..SAMPLES)
                .map(|i| level * (1.0 + 0.03 * u(i, salt * 1000 + k * 10 + r)))
                .collect();
            Round {
                index: r as u32,
                started_at: t(r as i64 * 10),
                warmup: 20,
                cold_start_ms: cold,
                latency_ms: LatencySummary::from_samples(&s).unwrap(),
                samples_ms: s,
            }
        })
        .collect();
    let all: Vec<f64> = rounds.iter().flat_map(|r| r.samples_ms.clone()).collect();
    let latency_ms = LatencySummary::from_samples(&all).unwrap();
    let per = (0..IMAGES)
        .map(|i| {
            let label = (i % 1000) as u32;
            let right = u(i, salt * 7 + k) < 0.75;
            let first = if right { label } else { (label + 1) % 1000 };
            ImageOutcome {
                image: format!("class{label:03}/img{i:05}.jpg"),
                label,
                top5: vec![first, 1001, 1002, 1003, 1004],
            }
        })
        .collect();
    PathRecord {
        device: format!("dev{}", k % 4),
        model: format!("model{k:03}"),
        model_file: format!("models/model{k:03}.onnx"),
        model_sha256: "ab".repeat(32),
        provider_requested: Provider::Cpu,
        provider_ran: Provider::Cpu,
        fallback_reason: None,
        threads: Threads { intra: 1, inter: 1 },
        runtime: RuntimeInfo {
            version: "1.31.1".into(),
            library: PathBuf::from("/opt/ort/libonnxruntime.so"),
        },
        fps: 1000.0 / latency_ms.mean,
        latency_ms,
        cold_start_ms: cold,
        rounds,
        accuracy: Accuracy::from_outcomes(per),
    }
}

fn run_record(salt: usize, slower: f64) -> RunRecord {
    RunRecord {
        schema_version: RECORD_SCHEMA_VERSION,
        complete: true,
        environment: Environment {
            edgeperf_version: "0.1.0".into(),
            timestamp: t(0),
            git: Some(GitInfo {
                commit: format!("{salt:040x}"),
                branch: None,
                dirty: false,
            }),
            host: Host {
                hostname: "bench".into(),
                cpu_model: "cpu".into(),
                cores: 2,
                os: "Linux".into(),
                kernel: "6".into(),
                arch: "x86_64".into(),
            },
        },
        suite: SuiteInfo {
            file: "edgeperf.toml".into(),
            sha256: "cd".repeat(32),
        },
        sampling: Sampling::default(),
        dataset: Some(DatasetInfo {
            root: "data".into(),
            images: IMAGES,
            fingerprint: "ef".repeat(32),
        }),
        // Every tenth path is 6% slower (suspect, unconfirmed).
        paths: (0..PATHS)
            .map(|k| path_record(k, if k % 10 == 0 { 9.0 * slower } else { 9.0 }, salt))
            .collect(),
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn bench_compare(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let baselines = dir.path().join("baselines");
    let base = run_record(1, 1.0);
    for p in &base.paths {
        let mut b = Baseline::from_path(&base, p);
        b.accepted_at = t(60);
        write(
            &baseline_file(&baselines, &p.device, &p.model),
            &serde_json::to_vec_pretty(&b).unwrap(),
        );
    }
    let head_file = dir.path().join("head.json");
    write(
        &head_file,
        &serde_json::to_vec_pretty(&run_record(2, 1.06)).unwrap(),
    );
    let mut cfg = CompareConfig::default();
    cfg.confirm.enabled = false;
    let source = Source::Dir(baselines);
    let mut g = c.benchmark_group("compare");
    g.sample_size(10);
    g.bench_function("100_paths", |b| {
        b.iter(|| {
            let run = edgeperf::store::load_run(&head_file).unwrap();
            let cmp = judge_run(&run, "head.json", &source, &cfg, None).unwrap();
            assert_eq!(cmp.paths.len(), PATHS);
            assert!(cmp.paths.iter().all(|p| p.status != PathStatus::New));
            edgeperf::report::compare::markdown(std::slice::from_ref(&cmp), &[])
        })
    });
    g.finish();
}

fn bench_history(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..HISTORY {
        // Three latency levels with noise, so PELT has real work to do.
        let level = match i {
            i if i < 4000 => 9.0,
            i if i < 7000 => 9.5,
            _ => 9.2,
        };
        let p10 = level + 0.1 * (u(i, 99) - 0.5);
        let e = HistoryEntry {
            accepted_at: t(i as i64 * 3600),
            measured_at: t(i as i64 * 3600 - 60),
            commit: Some(format!("{i:040x}")),
            p50: p10 * 1.05,
            p90: p10 * 1.2,
            p99: p10 * 1.5,
            p10_rounds: p10,
            top1: Some(0.75 + 0.001 * (u(i, 5) - 0.5)),
            top5: Some(0.92),
            runtime_version: "1.31.1".into(),
            provider_ran: Provider::Cpu,
            model_sha256: "ab".repeat(32),
        };
        text += &serde_json::to_string(&e).unwrap();
        text.push('\n');
    }
    let baselines = dir.path().join("baselines");
    write(
        &history_file(&baselines, "cpu", "mobilenet_v2"),
        text.as_bytes(),
    );
    let mut g = c.benchmark_group("history");
    g.sample_size(10);
    g.bench_function("10k_entries", |b| {
        b.iter(|| {
            let (h, w) = edgeperf::commands::history::build(&baselines, None, None).unwrap();
            assert!(w.is_empty());
            assert_eq!(h[0].entries.len(), HISTORY);
            h
        })
    });
    g.finish();
}

criterion_group!(benches, bench_compare, bench_history);
criterion_main!(benches);

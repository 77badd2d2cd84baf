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

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use criterion::{criterion_group, criterion_main, Criterion};
use edgeperf::compare::{judge_run, PathStatus, Remeasure};
use edgeperf::record::RunRecord;
use edgeperf::store::baselines::Source;
use edgeperf::suite::{CompareConfig, Provider};
use fixtures::{
    history_entry, history_lines, path_record, run_record, seeded_correct, seeded_rounds, unit,
    write_baselines, write_history, write_json,
};

const PATHS: usize = 100;
const ROUNDS: usize = 3;
const SAMPLES: usize = 200;
const IMAGES: usize = 1000;
const HISTORY: usize = 10_000;

/// 100 paths on 4 devices, samples within +3% of 9 ms and 75% top-1, all drawn
/// under `seed`; every tenth path is `slower` times slower (with 1.06: suspect,
/// unconfirmed).
fn run(seed: u64, slower: f64) -> RunRecord {
    let paths = (0..PATHS)
        .map(|k| {
            let level = if k % 10 == 0 { 9.0 * slower } else { 9.0 };
            let s = seed * 1000 + k as u64;
            path_record(
                &format!("dev{}", k % 4),
                &format!("model{k:03}"),
                Provider::Cpu,
                &seeded_rounds(level, ROUNDS, SAMPLES, 0.03, s),
                Some(&seeded_correct(IMAGES, 0.75, s)),
            )
        })
        .collect();
    run_record(paths, &format!("{seed:040x}"), true)
}

fn bench_compare(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let baselines = dir.path().join("baselines");
    write_baselines(&baselines, &run(1, 1.0));
    let head_file = dir.path().join("head.json");
    write_json(&head_file, &run(2, 1.06));
    let mut cfg = CompareConfig::default();
    cfg.confirm.enabled = false;
    let source = Source::Dir(baselines);
    let mut g = c.benchmark_group("compare");
    g.sample_size(10);
    g.bench_function("100_paths", |b| {
        b.iter(|| {
            let run = edgeperf::store::load_run(&head_file).unwrap();
            let cmp = judge_run(
                &run,
                "head.json",
                &source.label(),
                &cfg,
                |p| source.load(&p.device, &p.model),
                |_, _, _| {
                    Ok(Remeasure::NotDone(
                        "the bench judges without re-measuring".into(),
                    ))
                },
            )
            .unwrap();
            assert_eq!(cmp.paths.len(), PATHS);
            assert!(cmp.paths.iter().all(|p| p.status != PathStatus::New));
            edgeperf::report::compare::markdown(std::slice::from_ref(&cmp), &[])
        })
    });
    g.finish();
}

fn bench_history(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<_> = (0..HISTORY)
        .map(|i| {
            // Three latency levels with noise, so PELT has real work to do.
            let level = match i {
                i if i < 4000 => 9.0,
                i if i < 7000 => 9.5,
                _ => 9.2,
            };
            let p10 = level + 0.1 * (unit(i, 99) - 0.5);
            history_entry(i, p10, Some(0.75 + 0.001 * (unit(i, 5) - 0.5)))
        })
        .collect();
    let baselines = dir.path().join("baselines");
    write_history(&baselines, "cpu", "mobilenet_v2", &history_lines(&entries));
    let mut g = c.benchmark_group("history");
    g.sample_size(10);
    g.bench_function("10k_entries", |b| {
        b.iter(|| {
            let (h, w) = edgeperf::commands::history::build(
                &baselines,
                None,
                None,
                &Default::default(),
                None,
            )
            .unwrap();
            assert!(w.is_empty());
            assert_eq!(h[0].entries.len(), HISTORY);
            h
        })
    });
    g.finish();
}

criterion_group!(benches, bench_compare, bench_history);
criterion_main!(benches);

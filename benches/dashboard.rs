//! Scale of `edgeperf dashboard` (goal: 100 paths x 1,000 accepted baselines in
//! <= 5 s): read 100 `.history.jsonl` files of 1,000 lines each (4 devices x 25
//! models), find each path's change points, draw the index and 100 path pages
//! with their charts, and write the site (202 files) atomically, as the command
//! does. Before measuring it prints the site's weight (total, index, path pages).
//!
//!   cargo bench --bench dashboard

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use edgeperf::commands::dashboard::{write_site, DashboardArgs};
use fixtures::{dashboard_history, history_lines, write_history};

const DEVICES: usize = 4;
const MODELS: usize = 25;
const ENTRIES: usize = 1000;

fn sizes(dir: &std::path::Path, out: &mut Vec<(String, u64)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sizes(&p, out);
        } else {
            out.push((p.display().to_string(), p.metadata().unwrap().len()));
        }
    }
}

fn bench_dashboard(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let baselines = dir.path().join("baselines");
    for d in 0..DEVICES {
        for m in 0..MODELS {
            // Levels from 5 to 120 ms; half the models report accuracy.
            let level = 5.0 + ((d * MODELS + m) * 37 % 115) as f64;
            let top1 = (m % 2 == 0).then_some(0.7 + 0.004 * m as f64);
            let mut entries = dashboard_history(ENTRIES, level, top1);
            for (i, e) in entries.iter_mut().enumerate().skip(ENTRIES - 200) {
                e.peak_rss_mb = Some(150.0 + (i % 7) as f64);
            }
            write_history(
                &baselines,
                &format!("device{d}"),
                &format!("model{m:02}"),
                &history_lines(&entries),
            );
        }
    }
    let args = DashboardArgs {
        baselines,
        out: dir.path().join("site"),
        suite: PathBuf::from("no-suite.toml"),
        repo_url: Some("https://github.com/edgeperf-org/edgeperf".into()),
        anchor: None,
    };
    // The site's weight, once.
    let w = write_site(&args).unwrap();
    assert_eq!(
        (w.paths, w.files),
        (DEVICES * MODELS, 2 + 2 * DEVICES * MODELS)
    );
    let mut files = Vec::new();
    sizes(&args.out, &mut files);
    let total: u64 = files.iter().map(|(_, n)| n).sum();
    let mut pages: Vec<u64> = files
        .iter()
        .filter(|(p, _)| p.contains("/paths/") && p.ends_with(".html"))
        .map(|(_, n)| *n)
        .collect();
    pages.sort();
    let index = files
        .iter()
        .find(|(p, _)| p.ends_with("/index.html"))
        .unwrap()
        .1;
    let csv: u64 = files
        .iter()
        .filter(|(p, _)| p.ends_with(".csv"))
        .map(|(_, n)| n)
        .sum();
    eprintln!(
        "site: {} files, {:.1} MB in all ({:.1} MB of it CSV); index {:.1} KB; path pages {:.0} KB (smallest) / {:.0} KB (median) / {:.0} KB (largest)",
        files.len(),
        total as f64 / 1e6,
        csv as f64 / 1e6,
        index as f64 / 1e3,
        pages[0] as f64 / 1e3,
        pages[pages.len() / 2] as f64 / 1e3,
        pages[pages.len() - 1] as f64 / 1e3
    );
    let mut g = c.benchmark_group("dashboard");
    g.sample_size(10);
    g.bench_function("100_paths_x_1000_entries", |b| {
        b.iter(|| write_site(&args).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_dashboard);
criterion_main!(benches);

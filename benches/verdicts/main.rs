//! Verdicts for every kind of change a pull request makes, measured on this
//! machine as `edgeperf compare` / `edgeperf check` measure them, and the
//! measurements behind the confirmation's settings (docs/DETECTION.md).
//!
//! Two modes (`EDGEPERF_VERDICTS_MODE`):
//!
//! * `grid`: rounds of no change and of a +5% model at several block lengths
//!   (`EDGEPERF_VERDICTS_BLOCKS`, default 20,40,80,150 ms), 1.2 s per side each
//!   (`EDGEPERF_VERDICTS_ROUND_SECONDS`);
//!   judged at every block length, round length (0.3, 0.6, 1.2 s, the first
//!   blocks of a round), discard after a switch (0, 1) and per-round
//!   statistic. What the default settings were chosen from.
//! * `kinds` (default): rounds of every kind of change (no change in one and
//!   in two processes, the model +3/+5/+11/+18%, threads both ways, an OpenVINO
//!   option, the runtime library) with the default settings, each judged by the
//!   sequential rule in comparisons drawn as independent resamples (whole
//!   rounds, with replacement) and in disjoint windows of fresh rounds.
//!
//! * `loop`: the pull-request loop timed (`edgeperf check` on the default
//!   suite's `cpu` paths in a throw-away repository: a PR changing no input,
//!   every path measured, a ~18% slower model), under the same loads.
//!
//! Load (`EDGEPERF_VERDICTS_LOAD`): `quiet` (nothing started), `one` (a
//! competing inference process pinned to CPU 1, started and stopped by the
//! bench), `both` (one pinned to each of CPUs 0 and 1). Rounds per kind:
//! `EDGEPERF_VERDICTS_ROUNDS` (grid 30, kinds 40). Only some kinds:
//! `EDGEPERF_VERDICTS_ONLY="no change,+5%"`. The data (every timed inference,
//! by block, the machine state of each round, /proc/loadavg before and after)
//! goes to `EDGEPERF_VERDICTS_OUT` (default `.edgeperf/verdicts/<mode>-<load>.json`);
//! `EDGEPERF_VERDICTS_DATA=file` judges a saved file without measuring.
//!
//!   scripts/measure-verdicts.sh quiet    # what docs/DETECTION.md reports, per load

mod collect;
mod data;
mod grid;
mod judge;
mod pr_loop;
mod stats;

use std::path::{Path, PathBuf};

use edgeperf::suite::CompareConfig;

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn measure(mode: &str, suite: &edgeperf::suite::Suite) -> data::Data {
    let exe = PathBuf::from("target/release/edgeperf");
    assert!(exe.exists(), "build first: cargo build --release");
    let load = std::env::var("EDGEPERF_VERDICTS_LOAD").unwrap_or_else(|_| "quiet".into());
    let base = CompareConfig::default();
    let (ks, cfgs, rounds, round_seconds) = match mode {
        "grid" => {
            let grid_seconds: f64 = std::env::var("EDGEPERF_VERDICTS_ROUND_SECONDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1.2);
            let blocks =
                std::env::var("EDGEPERF_VERDICTS_BLOCKS").unwrap_or_else(|_| "20,40,80,150".into());
            let cfgs: Vec<CompareConfig> = blocks
                .split(',')
                .map(|b| {
                    let mut c = base.clone();
                    c.confirm.block_ms = b.trim().parse().expect("EDGEPERF_VERDICTS_BLOCKS: ms");
                    c.confirm.round_seconds = grid_seconds;
                    c
                })
                .collect();
            let ks = collect::selected(collect::grid_kinds(suite));
            (
                ks,
                cfgs,
                env_usize("EDGEPERF_VERDICTS_ROUNDS", 30),
                grid_seconds,
            )
        }
        "kinds" => {
            let ks = collect::selected(collect::kinds(suite));
            let r = base.confirm.round_seconds;
            (
                ks,
                vec![base.clone()],
                env_usize("EDGEPERF_VERDICTS_ROUNDS", 40),
                r,
            )
        }
        other => panic!("EDGEPERF_VERDICTS_MODE={other}: grid or kinds"),
    };
    let loadavg_before = data::loadavg();
    let started_at = chrono::Utc::now().to_rfc3339();
    let kinds = {
        let _competitors = collect::Competitors::start(&load, &exe, suite);
        collect::collect(&exe, &ks, &cfgs, rounds, suite)
    };
    let d = data::Data {
        format: data::FORMAT.into(),
        mode: mode.into(),
        load: load.clone(),
        loadavg_before,
        loadavg_after: data::loadavg(),
        started_at,
        host: edgeperf::env::host().cpu_model,
        round_seconds,
        warmup: base.confirm.warmup,
        kinds,
    };
    let out = std::env::var_os("EDGEPERF_VERDICTS_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!(".edgeperf/verdicts/{mode}-{load}.json")));
    data::save(&out, &d);
    eprintln!("data: {}", out.display());
    d
}

/// What a load condition starts, in words.
fn competitors(load: &str) -> &'static str {
    match load {
        "one" => "one inference worker pinned to CPU 1",
        "both" => "one inference worker pinned to each of CPUs 0 and 1",
        _ => "none",
    }
}

fn main() {
    let suite = edgeperf::store::load_suite(Path::new("edgeperf.toml")).expect("edgeperf.toml");
    let mode = std::env::var("EDGEPERF_VERDICTS_MODE").unwrap_or_else(|_| "kinds".into());
    if mode == "loop" && std::env::var_os("EDGEPERF_VERDICTS_DATA").is_none() {
        let exe = std::fs::canonicalize("target/release/edgeperf").expect("cargo build --release");
        let load = std::env::var("EDGEPERF_VERDICTS_LOAD").unwrap_or_else(|_| "quiet".into());
        println!(
            "# edgeperf PR loop: {load} load, loadavg before {}",
            data::loadavg()
        );
        let _competitors = collect::Competitors::start(&load, &exe, &suite);
        pr_loop::report(&exe);
        println!("\nloadavg after {}", data::loadavg());
        return;
    }
    let d = match std::env::var_os("EDGEPERF_VERDICTS_DATA") {
        Some(f) => data::load(Path::new(&f)),
        None => measure(&mode, &suite),
    };
    println!(
        "# edgeperf verdicts bench: {} mode, {} load (competing processes the bench started: {}), {}, loadavg before {} / after {}",
        d.mode,
        d.load,
        competitors(&d.load),
        d.started_at,
        d.loadavg_before,
        d.loadavg_after
    );
    match d.mode.as_str() {
        "grid" => grid::report(&d),
        _ => judge::report(&d, &CompareConfig::default()),
    }
}

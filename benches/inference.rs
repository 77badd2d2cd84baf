//! Criterion benchmarks: one per device x model path of the suite, timing the same
//! unit of work `edgeperf run` times (`PathSession::infer`, one image at a time).
//!
//!   cargo bench --bench inference                       # default devices of edgeperf.toml
//!   EDGEPERF_SUITE=my.toml EDGEPERF_DEVICE=openvino-cpu cargo bench --bench inference
//!
//! ONNX Runtime allows one library per process: paths whose device uses a different
//! runtime library than the first selected path are skipped with a note (run them
//! with EDGEPERF_DEVICE).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use edgeperf::engine::ort::{library_for, load, PathSession};
use edgeperf::suite::Suite;

fn suite_paths() -> Option<Suite> {
    let file = std::env::var_os("EDGEPERF_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("edgeperf.toml"));
    match Suite::load(&file) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("edgeperf bench: skipped: {}", e.one_line());
            None
        }
    }
}

fn bench_paths(c: &mut Criterion) {
    let Some(suite) = suite_paths() else { return };
    let devices: Vec<String> = std::env::var("EDGEPERF_DEVICE")
        .map(|d| vec![d])
        .unwrap_or_default();
    let models: Vec<String> = std::env::var("EDGEPERF_MODEL")
        .map(|m| vec![m])
        .unwrap_or_default();
    let paths = match suite.select(&devices, &models) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("edgeperf bench: {}", e.one_line());
            return;
        }
    };
    let mut loaded: Option<PathBuf> = None;
    let mut group = c.benchmark_group("inference");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (device, model) in paths {
        let lib = match library_for(device, None) {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "edgeperf bench: {}/{} skipped: {}",
                    device.name,
                    model.name,
                    e.one_line()
                );
                continue;
            }
        };
        if let Some(l) = &loaded {
            if *l != lib {
                eprintln!("edgeperf bench: {}/{} skipped: needs {} (one runtime per process; use EDGEPERF_DEVICE)", device.name, model.name, lib.display());
                continue;
            }
        }
        if let Err(e) = load(&lib) {
            eprintln!("edgeperf bench: {}", e.one_line());
            return;
        }
        loaded = Some(lib);
        let mut session = match PathSession::create(device, model) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "edgeperf bench: {}/{} skipped: {}",
                    device.name,
                    model.name,
                    e.one_line()
                );
                continue;
            }
        };
        match edgeperf::engine::measure::timing_input(suite.dataset.as_ref(), model) {
            Ok((x, _)) => session.set_input(&x).expect("input matches the model"),
            Err(e) => eprintln!(
                "edgeperf bench: {}/{}: synthetic input ({})",
                device.name,
                model.name,
                e.one_line()
            ),
        }
        group.bench_function(format!("{}/{}", device.name, model.name), |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    session.infer().expect("inference");
                }
                t.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_paths);
criterion_main!(benches);

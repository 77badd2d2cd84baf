//! Criterion benchmarks: one per device x model path of the suite, timing the same
//! unit of work `edgeperf run` times (`Backend::time`: one inference on a pre-set
//! input, one image at a time; ONNX Runtime, LiteRT or an external runner).
//!
//!   cargo bench --bench inference                       # default devices of edgeperf.toml
//!   EDGEPERF_SUITE=my.toml EDGEPERF_DEVICE=openvino-cpu cargo bench --bench inference
//!   EDGEPERF_DEVICE=litert-cpu cargo bench --bench inference
//!
//! ONNX Runtime and LiteRT allow one library each per process: paths whose device
//! uses another library of the same runtime than the first selected path are
//! skipped with a note (run them with EDGEPERF_DEVICE).

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use edgeperf::engine::run::path_spec;
use edgeperf::engine::session::{self, load_runtime};
use edgeperf::suite::{RuntimeKind, Suite};

fn suite_paths() -> Option<Suite> {
    let file = std::env::var_os("EDGEPERF_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("edgeperf.toml"));
    match edgeperf::store::load_suite(&file) {
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
    let mut loaded: Vec<(RuntimeKind, PathBuf)> = Vec::new();
    let mut group = c.benchmark_group("inference");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (device, model) in paths {
        let spec = match path_spec(device, model, None) {
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
        let kind = device.runtime_kind;
        if let Some((_, l)) = loaded.iter().find(|(k, _)| *k == kind) {
            if *l != spec.library && kind != RuntimeKind::External {
                eprintln!("edgeperf bench: {}/{} skipped: needs {} (one {kind} library per process; use EDGEPERF_DEVICE)", device.name, model.name, spec.library.display());
                continue;
            }
        }
        if let Err(e) = load_runtime(&spec) {
            eprintln!("edgeperf bench: {}", e.one_line());
            return;
        }
        loaded.push((kind, spec.library.clone()));
        let mut session = match session::create(&spec) {
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
        match edgeperf::engine::measure::timing_input(suite.dataset.as_ref(), &spec.model) {
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
                let ms: f64 = session.time(iters as u32).expect("inference").iter().sum();
                Duration::from_secs_f64(ms / 1e3)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_paths);
criterion_main!(benches);

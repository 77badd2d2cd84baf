//! Overhead benchmark: edgeperf's measured p50 against a bare ONNX Runtime loop in
//! the same process and against Python onnxruntime, same model and threads.
//!
//!   cargo bench --bench overhead                  # cpu / mobilenet_v2, 1 thread
//!   EDGEPERF_MODEL=efficientnet_lite0 cargo bench --bench overhead
//!
//! Both in-process sides share one session and alternate in blocks (A-B, B-A, ...),
//! so drift of the machine and order effects hit both equally. Results go in docs/PERFORMANCE.md.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use edgeperf::engine::backend::Backend;
use edgeperf::engine::ort::{library_for, load, PathSession};

const BLOCKS: usize = 20;
const PER_BLOCK: u32 = 200;

fn p50(v: &[f64]) -> f64 {
    edgeperf::stats::median(v).expect("samples")
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let suite_file = std::env::var_os("EDGEPERF_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("edgeperf.toml"));
    let device_name = std::env::var("EDGEPERF_DEVICE").unwrap_or_else(|_| "cpu".into());
    let model_name = std::env::var("EDGEPERF_MODEL").unwrap_or_else(|_| "mobilenet_v2".into());
    let suite = match edgeperf::store::load_suite(&suite_file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("overhead bench skipped: {}", e.one_line());
            return;
        }
    };
    let device = suite.device(&device_name).expect("device in suite");
    let model = suite.model(&model_name).expect("model in suite");
    let lib = library_for(device, None).expect("runtime library");
    let info = load(&lib).expect("load runtime").clone();
    let mut s = PathSession::create(device, model).expect("session");
    let (x, input) =
        edgeperf::engine::measure::timing_input(suite.dataset.as_ref(), model).expect("input");
    s.set_input(&x).expect("input");
    for _ in 0..50 {
        s.infer().expect("warm-up");
    }

    let mut ours = Vec::new();
    let mut bare = Vec::new();
    let mut ratios = Vec::new();
    for block in 0..BLOCKS {
        // Alternate which side goes first (A B, B A, ...) so order effects cancel.
        let bare_first = block % 2 == 1;
        let mut b = Vec::with_capacity(PER_BLOCK as usize);
        let bare_block = |s: &mut PathSession, b: &mut Vec<f64>| {
            let (session, name, tensor) = s.raw();
            for _ in 0..PER_BLOCK {
                let t = Instant::now();
                let out = session.run(ort::inputs![name => tensor]).expect("bare run");
                drop(out);
                b.push(t.elapsed().as_secs_f64() * 1e3);
            }
        };
        if bare_first {
            bare_block(&mut s, &mut b);
        }
        // edgeperf's loop as a worker runs it: through the backend seam.
        let a = (&mut s as &mut dyn Backend)
            .time(PER_BLOCK)
            .expect("edgeperf loop");
        if !bare_first {
            bare_block(&mut s, &mut b);
        }
        ratios.push(p50(&a) / p50(&b));
        ours.extend(a);
        bare.extend(b);
    }
    let (po, pb) = (p50(&ours), p50(&bare));
    let overhead_block = p50(&ratios) - 1.0;

    let py = std::path::Path::new(".edgeperf/venv/bin/python");
    let py_result = if py.exists() {
        let out = Command::new(py)
            .arg("scripts/assets/bench_python.py")
            .arg(&model.file)
            .args([
                "--threads",
                &device.intra_threads.to_string(),
                "-n",
                &(BLOCKS as u32 * PER_BLOCK).to_string(),
                "--warmup",
                "50",
            ])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                serde_json::from_slice::<serde_json::Value>(&o.stdout).ok()
            }
            _ => None,
        }
    } else {
        None
    };

    println!(
        "model {} on {} ({} intra / {} inter threads), onnxruntime {} at {}",
        model.name,
        device.name,
        device.intra_threads,
        device.inter_threads,
        info.version,
        info.library.display()
    );
    println!("input: {input}; {BLOCKS} alternating blocks x {PER_BLOCK} timed inferences per side");
    println!();
    println!("| loop | p50 ms | p90 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    let q = |v: &[f64], p: f64| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        edgeperf::stats::quantile(&s, p).expect("samples")
    };
    println!(
        "| edgeperf (`PathSession::infer`, timed per call) | {:.3} | {:.3} | {:.3} |",
        po,
        q(&ours, 0.9),
        q(&ours, 0.99)
    );
    println!(
        "| bare ort `Session::run` loop, same process | {:.3} | {:.3} | {:.3} |",
        pb,
        q(&bare, 0.9),
        q(&bare, 0.99)
    );
    match &py_result {
        Some(v) => println!(
            "| Python onnxruntime {} (`InferenceSession.run`) | {} | {} | {} |",
            v["onnxruntime_version"].as_str().unwrap_or("?"),
            v["p50_ms"],
            v["p90_ms"],
            v["p99_ms"]
        ),
        None => println!("| Python onnxruntime | (not run: .edgeperf/venv missing) | | |"),
    }
    println!();
    println!("edgeperf overhead vs bare loop: pooled p50 {:+.2}%, median of per-block p50 ratios {:+.2}%", (po / pb - 1.0) * 100.0, overhead_block * 100.0);
}

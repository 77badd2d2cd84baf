//! The other runtimes on the real models and photos: LiteRT (`litert-cpu`, the
//! set-up's .tflite models) and the reference external runner (`python-ort`,
//! scripts/runners/onnxruntime_runner.py), measured in ONE run next to ONNX
//! Runtime (`cpu`) from the default suite, and checked image by image against it.
//! The PyTorch runner is checked too where a Python with torch is installed.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

const PRETRAINED: [&str; 4] = [
    "mobilenet_v2",
    "efficientnet_lite0",
    "efficientnet_lite1",
    "efficientnet_lite2",
];

/// The int8 variants (TFLite-only: LiteRT runs them, the other devices skip them).
const INT8: [&str; 4] = [
    "mobilenet_v2_int8",
    "efficientnet_lite0_int8",
    "efficientnet_lite1_int8",
    "efficientnet_lite2_int8",
];

/// `edgeperf run --quick --device cpu --device litert-cpu --device python-ort`
/// on the four pretrained models and their int8 variants, shared by the tests
/// of this file.
fn side_by_side() -> &'static Value {
    static RUN: OnceLock<Value> = OnceLock::new();
    RUN.get_or_init(|| {
        common::assets();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run.json");
        let mut args = vec!["run", "--quick", "--out", out.to_str().unwrap()];
        for d in ["cpu", "litert-cpu", "python-ort"] {
            args.extend(["--device", d]);
        }
        for m in PRETRAINED.iter().chain(INT8.iter()) {
            args.extend(["--model", m]);
        }
        let (code, stdout, stderr) = common::run(&args, &common::root());
        assert_eq!(code, 0, "edgeperf run failed: {stderr}");
        assert!(
            stdout.contains("litert-cpu") && stdout.contains("python-ort"),
            "{stdout}"
        );
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
    })
}

fn path<'a>(run: &'a Value, device: &str, model: &str) -> &'a Value {
    run["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["device"] == device && p["model"] == model)
        .unwrap_or_else(|| panic!("no path {device}/{model}"))
}

/// Each image's top-5 of a path.
fn top5s(p: &Value) -> BTreeMap<String, Vec<u64>> {
    p["accuracy"]["per_image"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let t = o["top5"].as_array().unwrap();
            (
                o["image"].as_str().unwrap().to_string(),
                t.iter().map(|c| c.as_u64().unwrap()).collect(),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn litert_paths_are_recorded_with_runtime_version_and_accelerator() {
    let run = side_by_side();
    assert_eq!(
        run["paths"].as_array().unwrap().len(),
        16,
        "3 x 4 float + 4 int8 on LiteRT"
    );
    for m in PRETRAINED {
        let p = path(run, "litert-cpu", m);
        assert_eq!(p["runtime"]["kind"], "litert");
        assert_eq!(p["runtime"]["version"], "1.4.0");
        assert!(p["runtime"]["library"]
            .as_str()
            .unwrap()
            .ends_with("litert-1.4.0/libLiteRtRuntimeCApi.so"));
        assert!(p["model_file"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{m}.tflite")));
        assert_eq!(p["provider_ran"], "cpu");
        assert_eq!(
            p["accelerator"], "cpu (CpuAccelerator), all ops delegated",
            "{m}: every op must run on XNNPACK"
        );
        assert_eq!(
            p["threads"]["intra"],
            path(run, "cpu", m)["threads"]["intra"]
        );
        let l = &p["latency_ms"];
        assert!(l["p50"].as_f64().unwrap() > 0.5, "{l}");
        let samples = p["rounds"][0]["samples_ms"].as_array().unwrap();
        assert_eq!(samples.len() as u64, l["n"].as_u64().unwrap());
        // The ONNX Runtime path of the same run does not carry the new fields.
        assert!(path(run, "cpu", m)["runtime"].get("kind").is_none());
        assert!(path(run, "cpu", m).get("accelerator").is_none());
    }
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn litert_agrees_with_onnx_runtime_image_by_image() {
    let run = side_by_side();
    for (m, top1, top5) in [
        ("mobilenet_v2", 53, 68),
        ("efficientnet_lite0", 58, 64),
        ("efficientnet_lite1", 57, 68),
        ("efficientnet_lite2", 56, 69),
    ] {
        let lt = path(run, "litert-cpu", m);
        let a = &lt["accuracy"];
        let (c1, c5) = (
            a["correct_top1"].as_i64().unwrap(),
            a["correct_top5"].as_i64().unwrap(),
        );
        assert!(
            (c1 - top1).abs() <= 1,
            "{m}: LiteRT top-1 {c1}/70, reference {top1}"
        );
        assert!(
            (c5 - top5).abs() <= 1,
            "{m}: LiteRT top-5 {c5}/70, reference {top5}"
        );
        let (t, o) = (top5s(lt), top5s(path(run, "cpu", m)));
        assert_eq!(t.len(), 70);
        let agree = t.iter().filter(|(k, v)| o[*k][0] == v[0]).count();
        assert!(
            agree >= 69,
            "{m}: LiteRT top-1 agrees with ONNX Runtime on {agree}/70 photos (need >= 69)"
        );
    }
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn int8_variants_run_fully_delegated_and_stay_close_to_float() {
    let run = side_by_side();
    for (q, f) in INT8.iter().zip(PRETRAINED) {
        let qp = path(run, "litert-cpu", q);
        assert_eq!(
            qp["accelerator"], "cpu (CpuAccelerator), all ops delegated",
            "{q}"
        );
        assert!(qp["model_file"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{q}.tflite")));
        let fp = path(run, "litert-cpu", f);
        let (cq, cf) = (
            qp["accuracy"]["correct_top1"].as_i64().unwrap(),
            fp["accuracy"]["correct_top1"].as_i64().unwrap(),
        );
        // A broken quantisation (wrong scales, zero points, layout) lands far below.
        assert!(cq >= cf - 5, "{q}: int8 top-1 {cq}/70 vs float {cf}/70");
        let (tq, tf) = (top5s(qp), top5s(fp));
        let agree = tq.iter().filter(|(k, v)| tf[*k][0] == v[0]).count();
        assert!(
            agree >= 56,
            "{q}: top-1 agrees with float on {agree}/70 photos (need >= 56)"
        );
    }
    for d in ["cpu", "python-ort"] {
        assert!(!run["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["device"] == d && p["model"].as_str().unwrap().ends_with("_int8")));
    }
}

#[test]
fn the_python_runner_gives_the_native_paths_top5_on_every_photo() {
    let run = side_by_side();
    for m in PRETRAINED {
        let py = path(run, "python-ort", m);
        assert_eq!(py["runtime"]["kind"], "external");
        // The venv's onnxruntime: 1.31.1 on CPython 3.11/3.12 (the pin), older on 3.10.
        assert!(py["runtime"]["version"]
            .as_str()
            .unwrap()
            .starts_with("onnxruntime 1."));
        assert_eq!(py["provider_ran"], "cpu");
        assert!(py["accelerator"]
            .as_str()
            .unwrap()
            .contains("CPUExecutionProvider"));
        let native = path(run, "cpu", m);
        assert_eq!(
            top5s(py),
            top5s(native),
            "{m}: top-5 differ from the native path"
        );
        assert_eq!(
            py["accuracy"]["correct_top1"],
            native["accuracy"]["correct_top1"]
        );
        // Timed inside the runner: every sample kept, none of them zero.
        let s = py["rounds"][0]["samples_ms"].as_array().unwrap();
        assert!(s.len() >= 10 && s.iter().all(|x| x.as_f64().unwrap() > 0.1));
        assert!(py["cold_start_ms"]["library_load"].as_f64().unwrap() > 0.0);
        // Issue 19: the memory is the runner's own (onnxruntime, numpy and the
        // model in the Python process), not the edgeperf worker's 7 MiB.
        let r = &py["rounds"][0];
        assert_eq!(r["peak_rss_of"], "runner-reported", "{r}");
        let mb = r["peak_rss_mb"].as_f64().unwrap();
        assert!(
            mb > 30.0,
            "{m}: the runner's peak {mb} MiB is not onnxruntime's"
        );
        assert_eq!(path(run, "cpu", m)["rounds"][0]["peak_rss_of"], "worker");
    }
}

/// The Python with torch and onnx the PyTorch runner test uses:
/// `EDGEPERF_TORCH_PYTHON`, else Debian's /usr/bin/python3 if it has them.
fn torch_python() -> Option<String> {
    let py = std::env::var("EDGEPERF_TORCH_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let ok = std::process::Command::new(&py)
        .args(["-c", "import torch, onnx, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

#[test]
fn the_pytorch_runner_gives_the_native_paths_top5_where_torch_is_installed() {
    let Some(py) = torch_python() else {
        eprintln!("skipped: no Python with torch + onnx (apt install python3-torch python3-onnx, or set EDGEPERF_TORCH_PYTHON)");
        return;
    };
    let a = common::assets();
    let dir = tempfile::tempdir().unwrap();
    let text = common::suite_text(
        &common::mobilenet(&a.join("models/mobilenet_v2.onnx")),
        None,
    )
    .replace(
        "[[model]]",
        &format!(
            "[[device]]\nname = \"torch\"\nruntime_kind = \"external\"\ncommand = [\"{py}\", \"{}\"]\ntimeout_s = 300\n[[model]]",
            common::root().join("scripts/runners/pytorch_runner.py").display()
        ),
    );
    let suite = common::write(dir.path(), "suite.toml", &text);
    let out = dir.path().join("run.json");
    let (code, _, stderr) = common::run(
        &[
            "run",
            "--quick",
            "--suite",
            suite.to_str().unwrap(),
            "--device",
            "cpu",
            "--device",
            "torch",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let run: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let t = path(&run, "torch", "mobilenet_v2");
    assert!(t["runtime"]["version"]
        .as_str()
        .unwrap()
        .starts_with("torch "));
    assert_eq!(t["provider_ran"], "cpu");
    let (tt, o) = (top5s(t), top5s(path(&run, "cpu", "mobilenet_v2")));
    let agree = tt.iter().filter(|(k, v)| o[*k][0] == v[0]).count();
    assert!(
        agree >= 69,
        "PyTorch top-1 agrees with ONNX Runtime on {agree}/70 photos"
    );
}

/// Baselines, comparison and the interleaved confirmation (base and head loaded
/// in one worker: two LiteRT compiled models, or two models in one runner) work
/// for LiteRT and external paths as for any other.
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn litert_and_runner_paths_go_through_baselines_and_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let suite = common::root().join("edgeperf.toml");
    let s = suite.to_str().unwrap();
    let run = |out: &str| {
        let (code, _, stderr) = common::run(
            &[
                "run",
                "--quick",
                "--suite",
                s,
                "--device",
                "litert-cpu",
                "--device",
                "python-ort",
                "--model",
                "mobilenet_v2",
                "--out",
                out,
            ],
            d,
        );
        assert_eq!(code, 0, "{stderr}");
    };
    run("run1.json");
    let (code, _, stderr) =
        common::run(&["baseline", "accept", "run1.json", "--baselines", "B"], d);
    assert_eq!(code, 0, "{stderr}");
    let b: Value =
        serde_json::from_slice(&std::fs::read(d.join("B/litert-cpu/mobilenet_v2.json")).unwrap())
            .unwrap();
    assert_eq!(b["runtime"]["kind"], "litert");
    assert_eq!(b["accelerator"], "cpu (CpuAccelerator), all ops delegated");
    run("run2.json");
    let (code, _, stderr) = common::run(
        &[
            "compare",
            "run2.json",
            "--baselines",
            "B",
            "--suite",
            s,
            "--confirm-budget",
            "1",
            "--format",
            "json",
            "--out",
            "c.json",
        ],
        d,
    );
    assert!(code == 0 || code == 1, "compare failed: {stderr}");
    let c: Value = serde_json::from_slice(&std::fs::read(d.join("c.json")).unwrap()).unwrap();
    for p in c["paths"].as_array().unwrap() {
        let conf = &p["latency"]["confirmation"];
        let rounds = |side: &str| {
            conf[side]
                .as_array()
                .unwrap_or_else(|| panic!("no interleaved confirmation: {p}"))
                .len()
        };
        // A 1 s budget per side stops the sequential confirmation after a couple of
        // rounds (each round 0.6 s per side): paired rounds, as many base as head.
        let (b, h) = (rounds("base"), rounds("head"));
        assert!(
            b == h && (1..=3).contains(&h),
            "{b} base / {h} head rounds: {p}"
        );
        assert_eq!(p["accuracy"]["verdict"], "unchanged", "{p}");
        assert!(p["guards"].as_array().unwrap().is_empty(), "{p}");
    }
}

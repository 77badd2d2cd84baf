//! The real thing: the default suite's models on the 70 labelled photos through
//! ONNX Runtime, checked against the reference accuracies of scripts/README.md
//! (the models table of `setup-assets.sh`) and the PIL reference predictions made by scripts/setup-assets.sh.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

/// One quick run of the whole default suite, shared by the tests of this file.
fn default_run() -> &'static Value {
    static RUN: OnceLock<Value> = OnceLock::new();
    RUN.get_or_init(|| {
        common::assets();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run.json");
        let (code, stdout, stderr) = common::run(
            &["run", "--quick", "--out", out.to_str().unwrap()],
            &common::root(),
        );
        assert_eq!(code, 0, "edgeperf run failed: {stderr}");
        for col in [
            "device", "model", "EP", "p50 ms", "p90 ms", "p99 ms", "FPS", "top-1", "top-5",
        ] {
            assert!(stdout.contains(col), "table lacks {col}: {stdout}");
        }
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
    })
}

fn path<'a>(run: &'a Value, model: &str) -> &'a Value {
    run["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["model"] == model)
        .unwrap_or_else(|| panic!("no path {model}"))
}

#[test]
fn default_suite_record_contract() {
    let run = default_run();
    assert_eq!(run["schema_version"], 2);
    assert_eq!(run["complete"], true);
    let paths = run["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 6, "6 models on the CPU path");
    for p in paths {
        assert_eq!(p["device"], "cpu");
        assert_eq!(p["provider_requested"], "cpu");
        assert_eq!(p["provider_ran"], "cpu");
        assert_eq!(p["runtime"]["version"], "1.31.1");
        let l = &p["latency_ms"];
        let (p50, p90, p99) = (
            l["p50"].as_f64().unwrap(),
            l["p90"].as_f64().unwrap(),
            l["p99"].as_f64().unwrap(),
        );
        assert!(p50 > 0.5 && p50 <= p90 && p90 <= p99, "{l}");
        let samples = p["rounds"][0]["samples_ms"].as_array().unwrap();
        assert_eq!(
            samples.len() as u64,
            l["n"].as_u64().unwrap(),
            "every inference kept"
        );
        assert!(p["cold_start_ms"]["session_create"].as_f64().unwrap() > 0.0);
        assert_eq!(p["model_sha256"].as_str().unwrap().len(), 64);
        assert_eq!(p["threads"]["intra"], 1);
        // Issue 19: the worker's memory, and the device state around the round
        // (before and after at least; on this VM every source absent).
        let r = &p["rounds"][0];
        assert_eq!(r["peak_rss_of"], "worker");
        let states = r["device"]["samples"].as_array().unwrap();
        assert!(states.len() >= 2 && states[0]["t_s"] == 0.0, "{r}");
        assert!(r["device"]["absent"].is_array());
    }
    for m in ["resnet50", "efficientnet_b0"] {
        assert!(path(run, m)["accuracy"].is_null(), "{m} is latency-only");
    }
    let env = &run["environment"];
    assert!(env["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(env["host"]["cores"].as_u64().unwrap() >= 1);
    assert_eq!(run["dataset"]["images"], 70);
    assert_eq!(run["dataset"]["images_sha256"].as_str().unwrap().len(), 64);
    assert!(
        run["dataset"].get("subset").is_none(),
        "no limit, no subset"
    );
    assert_eq!(run["suite"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn top1_matches_reference_accuracy() {
    let run = default_run();
    // scripts/README.md (and scripts/assets/verify.py): Python onnxruntime + PIL
    // on the same 70 photos.
    for (model, top1, top5) in [
        ("mobilenet_v2", 53, 68),
        ("efficientnet_lite0", 58, 64),
        ("efficientnet_lite1", 57, 68),
        ("efficientnet_lite2", 56, 69),
    ] {
        let a = &path(run, model)["accuracy"];
        let c1 = a["correct_top1"].as_i64().unwrap();
        let c5 = a["correct_top5"].as_i64().unwrap();
        assert!(
            (c1 - top1).abs() <= 1,
            "{model}: top-1 {c1}/70, reference {top1}"
        );
        assert!(
            (c5 - top5).abs() <= 1,
            "{model}: top-5 {c5}/70, reference {top5}"
        );
        assert!((a["top1"].as_f64().unwrap() - c1 as f64 / 70.0).abs() < 1e-9);
        let per = a["per_image"].as_array().unwrap();
        assert_eq!(per.len(), 70);
        assert!(per.iter().all(|o| o["top5"].as_array().unwrap().len() == 5
            && o["image"].as_str().unwrap().contains('/')));
    }
}

#[test]
fn rust_preprocessing_agrees_with_pil_per_image() {
    let run = default_run();
    let reference: BTreeMap<String, BTreeMap<String, Vec<u32>>> = serde_json::from_slice(
        &std::fs::read(common::assets().join("reference/predictions.json")).unwrap(),
    )
    .unwrap();
    for model in [
        "mobilenet_v2",
        "efficientnet_lite0",
        "efficientnet_lite1",
        "efficientnet_lite2",
    ] {
        let refm = &reference[model];
        let per = path(run, model)["accuracy"]["per_image"]
            .as_array()
            .unwrap();
        let agree = per
            .iter()
            .filter(|o| {
                refm[o["image"].as_str().unwrap()][0] == o["top5"][0].as_u64().unwrap() as u32
            })
            .count();
        assert!(
            agree >= 68,
            "{model}: top-1 agrees with PIL on {agree}/70 photos (need >= 68)"
        );
    }
}

#[test]
fn openvino_build_loads_in_the_same_binary() {
    let ov = common::assets().join("runtime/onnxruntime-openvino-1.24.1/libonnxruntime.so.1.24.1");
    if !ov.exists() {
        eprintln!("skipped: OpenVINO runtime not set up (EDGEPERF_SKIP_OPENVINO=1)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ov.json");
    let (code, _, stderr) = common::run(
        &[
            "run",
            "--quick",
            "--device",
            "openvino-cpu",
            "--model",
            "mobilenet_v2",
            "--out",
            out.to_str().unwrap(),
        ],
        &common::root(),
    );
    assert_eq!(code, 0, "{stderr}");
    let run: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let p = &run["paths"][0];
    assert_eq!(p["runtime"]["version"], "1.24.1");
    assert_eq!(p["provider_ran"], "openvino");
    let c1 = p["accuracy"]["correct_top1"].as_i64().unwrap();
    assert!((c1 - 53).abs() <= 1, "OpenVINO mobilenet_v2 top-1 {c1}/70");
}

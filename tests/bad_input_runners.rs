//! Bad input on the LiteRT and external-runner paths: broken runners (timeouts,
//! crashes, malformed lines, lies about counts, wrong protocol) and bad LiteRT
//! models and libraries. Every failure exits 2 with one `error: ` line naming the
//! device (runners) or the file, and the runner's line where there is one.
//!
//! The runner cases use `tests/fixtures/runners/fake_runner.py` (plain python3,
//! no packages), which speaks the protocol except for what its mode breaks.

mod common;

use std::path::{Path, PathBuf};

use tempfile::TempDir;

fn fake_runner() -> PathBuf {
    common::root().join("tests/fixtures/runners/fake_runner.py")
}

fn litert_lib() -> PathBuf {
    let lib = common::assets().join("runtime/litert-1.4.0/libLiteRtRuntimeCApi.so");
    assert!(
        lib.exists(),
        "LiteRT missing: run scripts/setup-assets.sh (scripts/test.sh does it for you)"
    );
    lib
}

const MOBILENET_PRE: &str = r#"preprocess = { resize = 256, crop = 224, interpolation = "bilinear", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }"#;

/// A suite with one device block (`device`) and mobilenet_v2 (ONNX + `tflite`).
fn suite(device: &str, tflite: &Path, accuracy: bool) -> String {
    let a = common::assets();
    format!(
        r#"schema_version = 1
[sampling]
warmup = 2
samples = 20
rounds = 1
max_seconds = 2
min_samples = 5
[dataset]
root = "{ds}"
{device}
[[model]]
name = "mobilenet_v2"
file = "{onnx}"
tflite = "{tflite}"
accuracy = {accuracy}
{MOBILENET_PRE}
"#,
        ds = a.join("data/imagenet-samples").display(),
        onnx = a.join("models/mobilenet_v2.onnx").display(),
        tflite = tflite.display(),
    )
}

fn real_tflite() -> PathBuf {
    common::assets().join("models/mobilenet_v2.tflite")
}

/// An external device running the fake runner in `mode`.
fn runner_device(mode: &str, extra: &str) -> String {
    format!(
        "[[device]]\nname = \"fake-npu\"\nruntime_kind = \"external\"\ncommand = [\"python3\", \"{}\", \"{mode}\"]\n{extra}\n",
        fake_runner().display()
    )
}

fn litert_device(extra: &str) -> String {
    format!(
        "[[device]]\nname = \"litert-cpu\"\nruntime_kind = \"litert\"\nruntime = \"{}\"\n{extra}\n",
        litert_lib().display()
    )
}

/// Runs `edgeperf run --quick` on `text`; returns (dir, exit code, stdout, stderr).
fn run(text: &str) -> (TempDir, i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let suite = common::write(dir.path(), "suite.toml", text);
    let out = dir.path().join("run.json");
    let (code, stdout, stderr) = common::run(
        &[
            "run",
            "--quick",
            "--suite",
            suite.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    (dir, code, stdout, stderr)
}

/// Asserts the error contract with `needles` and returns the line.
fn expect_error(text: &str, needles: &[&str]) -> String {
    let (_dir, code, _stdout, stderr) = run(text);
    common::assert_error(code, &stderr, needles);
    eprintln!("{}", stderr.trim()); // shown with --nocapture
    stderr.trim().to_string()
}

fn runner_error(mode: &str, accuracy: bool, extra: &str, needles: &[&str]) -> String {
    let mut all = vec!["device \"fake-npu\"", "fake_runner.py"];
    all.extend_from_slice(needles);
    expect_error(
        &suite(&runner_device(mode, extra), &real_tflite(), accuracy),
        &all,
    )
}

// ---------------------------------------------------------------- external runners

#[test]
fn a_well_behaved_runner_is_measured_and_recorded() {
    let (dir, code, stdout, stderr) = run(&suite(&runner_device("ok", ""), &real_tflite(), true));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("fake-npu"), "{stdout}");
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    let p = &rec["paths"][0];
    assert_eq!(p["runtime"]["kind"], "external");
    assert_eq!(p["runtime"]["version"], "fake 0.1");
    assert_eq!(p["accelerator"], "fake");
    assert_eq!(
        p["cold_start_ms"]["session_create"], 1.5,
        "the runner's load_ms"
    );
    let samples = p["rounds"][0]["samples_ms"].as_array().unwrap();
    assert!(samples.len() >= 5 && samples.iter().all(|s| s == 1.0));
    assert_eq!(p["accuracy"]["images"], 70);
    assert_eq!(
        p["accuracy"]["per_image"][0]["top5"],
        serde_json::json!([0, 1, 2, 3, 4])
    );
}

#[test]
fn a_runner_that_does_not_answer_in_time_is_stopped() {
    let line = runner_error(
        "hang-on-time",
        false,
        "timeout_s = 5",
        &["no line", "within 5 s", "timeout_s", "`time`"],
    );
    assert!(line.contains("line 4"), "{line}");
}

#[test]
fn a_runner_that_dies_before_its_hello_is_reported_with_its_stderr() {
    runner_error(
        "crash-at-start",
        false,
        "",
        &[
            "exited with code 3",
            "before line 1",
            "cannot open the accelerator",
        ],
    );
}

#[test]
fn a_runner_that_crashes_while_timing_names_the_line_and_its_last_words() {
    runner_error(
        "crash-on-time",
        false,
        "",
        &[
            "exited with code 3",
            "before line 4",
            "`time`",
            "segmentation fault in the driver",
        ],
    );
}

#[test]
fn a_malformed_line_is_quoted_with_its_number() {
    runner_error(
        "garbage-on-time",
        false,
        "",
        &["line 4 is not a JSON object", "timing done!", "stderr"],
    );
}

#[test]
fn a_reply_to_another_request_is_refused() {
    runner_error(
        "wrong-op",
        false,
        "",
        &["line 4 is not the reply to `time`"],
    );
}

#[test]
fn a_runner_that_sends_too_few_timings_is_caught() {
    runner_error(
        "short-timings",
        false,
        "",
        &["line 4", "asked for 1 timings, the runner sent 0"],
    );
}

#[test]
fn a_negative_timing_is_refused() {
    runner_error(
        "negative-timing",
        false,
        "",
        &["line 4", "non-negative", "-1"],
    );
}

#[test]
fn a_runner_that_returns_a_short_top5_is_caught() {
    runner_error(
        "short-top",
        true,
        "",
        &["asked for the top 5 classes, the runner sent 4"],
    );
}

#[test]
fn a_class_index_outside_the_output_is_caught() {
    runner_error(
        "top-out-of-range",
        true,
        "",
        &["distinct class indices below 1000", "1000"],
    );
}

#[test]
fn a_runner_error_reply_is_passed_on() {
    runner_error(
        "fail-load",
        false,
        "",
        &["line 2", "`load` failed", "model format not supported"],
    );
}

#[test]
fn a_runner_of_another_protocol_version_is_refused() {
    runner_error(
        "old-protocol",
        false,
        "",
        &["line 1", "protocol 99", "speaks 1"],
    );
}

#[test]
fn a_runner_that_logs_on_stdout_instead_of_its_hello_is_refused() {
    runner_error(
        "no-hello",
        false,
        "",
        &[
            "line 1 is not a JSON object",
            "`hello`",
            "loading libraries",
        ],
    );
}

#[test]
fn a_runner_that_silently_runs_on_the_cpu_is_refused() {
    runner_error(
        "runs-on-cpu",
        false,
        "provider = \"edgetpu\"",
        &[
            "runs the model on cpu",
            "not on the edgetpu",
            "allow_fallback",
        ],
    );
}

#[test]
fn a_runner_fallback_that_is_allowed_is_recorded() {
    let dev = runner_device(
        "runs-on-cpu",
        "provider = \"edgetpu\"\nallow_fallback = true",
    );
    let (dir, code, stdout, stderr) = run(&suite(&dev, &real_tflite(), false));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("cpu (fell back from edgetpu)"), "{stdout}");
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(rec["paths"][0]["provider_ran"], "cpu");
    assert!(rec["paths"][0]["fallback_reason"]
        .as_str()
        .unwrap()
        .contains("edgetpu"));
}

#[test]
fn an_unknown_accelerator_is_refused_with_the_known_ones() {
    runner_error(
        "unknown-accel",
        false,
        "",
        &["line 2", "unknown accelerator \"quantum\"", "edgetpu"],
    );
}

#[test]
fn a_runner_command_that_does_not_exist_names_the_program() {
    let dev = "[[device]]\nname = \"fake-npu\"\nruntime_kind = \"external\"\ncommand = [\"/nonexistent/fake_runner.py\"]\n";
    expect_error(
        &suite(dev, &real_tflite(), false),
        &[
            "device \"fake-npu\"",
            "/nonexistent/fake_runner.py",
            "cannot start it",
        ],
    );
}

#[test]
fn runner_keys_are_checked_by_name() {
    let no_cmd = "[[device]]\nname = \"x\"\nruntime_kind = \"external\"\n";
    expect_error(
        &suite(no_cmd, &real_tflite(), false),
        &["device[0].command", "needs `command"],
    );
    let stray = "[[device]]\nname = \"x\"\ncommand = [\"a\"]\n";
    expect_error(
        &suite(stray, &real_tflite(), false),
        &["device[0].command", "only an external device"],
    );
    let kind = "[[device]]\nname = \"x\"\nruntime_kind = \"tensorflow\"\n";
    expect_error(
        &suite(kind, &real_tflite(), false),
        &["device[0].runtime_kind", "onnxruntime, litert or external"],
    );
    let t = runner_device("ok", "timeout_s = 0");
    expect_error(
        &suite(&t, &real_tflite(), false),
        &["device[0].timeout_s", "positive"],
    );
}

// ---------------------------------------------------------------- LiteRT

/// Deterministic garbage bytes.
fn garbage(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect()
}

fn litert_error_with_model(bytes: &[u8], needles: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.tflite");
    std::fs::write(&bad, bytes).unwrap();
    let mut all = vec![bad.to_str().unwrap()];
    all.extend_from_slice(needles);
    expect_error(&suite(&litert_device(""), &bad, false), &all)
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn a_tflite_file_that_is_not_a_flatbuffer_names_the_file() {
    litert_error_with_model(&garbage(4096), &["not a TFLite model", "TFL3"]);
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn an_onnx_file_given_as_tflite_is_refused() {
    let onnx = std::fs::read(common::assets().join("models/mobilenet_v2.onnx")).unwrap();
    litert_error_with_model(&onnx, &["not a TFLite model"]);
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn a_truncated_tflite_is_an_error_not_a_crash() {
    let real = std::fs::read(real_tflite()).unwrap();
    for cut in [12, 5000, real.len() / 2] {
        let line = litert_error_with_model(&real[..cut], &["truncated or corrupt TFLite model"]);
        assert!(!line.contains("signal"), "{line}");
    }
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn a_missing_tflite_names_the_file_and_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.tflite");
    expect_error(
        &suite(&litert_device(""), &missing, false),
        &[missing.to_str().unwrap(), "not found", "mobilenet_v2"],
    );
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn a_tflite_whose_input_does_not_fit_the_preprocessing_says_so() {
    let text = suite(&litert_device(""), &real_tflite(), false).replace("crop = 224", "crop = 200");
    expect_error(
        &text,
        &[
            "mobilenet_v2.tflite",
            "[1, 224, 224, 3]",
            "[1, 200, 200, 3]",
            "NHWC",
        ],
    );
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn a_gpu_request_without_a_gpu_accelerator_is_refused() {
    expect_error(
        &suite(&litert_device("provider = \"gpu\""), &real_tflite(), false),
        &[
            "device \"litert-cpu\"",
            "no gpu accelerator",
            "CpuAccelerator",
            "allow_fallback",
        ],
    );
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn a_gpu_fallback_that_is_allowed_runs_on_the_cpu_and_says_so() {
    let dev = litert_device("provider = \"gpu\"\nallow_fallback = true");
    let (dir, code, stdout, stderr) = run(&suite(&dev, &real_tflite(), false));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("cpu (fell back from gpu)"), "{stdout}");
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    let p = &rec["paths"][0];
    assert_eq!(p["provider_requested"], "gpu");
    assert_eq!(p["provider_ran"], "cpu");
    assert!(p["fallback_reason"]
        .as_str()
        .unwrap()
        .contains("no gpu accelerator"));
}

#[test]
fn a_litert_accelerator_litert_does_not_have_is_a_suite_error() {
    expect_error(
        &suite(&litert_device("provider = \"cuda\""), &real_tflite(), false),
        &["device[0].provider", "cuda", "cpu, gpu, npu"],
    );
}

#[test]
fn a_missing_litert_library_names_the_path() {
    let dev = "[[device]]\nname = \"litert-cpu\"\nruntime_kind = \"litert\"\nruntime = \"/nonexistent/libLiteRtRuntimeCApi.so\"\n";
    expect_error(
        &suite(dev, &real_tflite(), false),
        &[
            "/nonexistent/libLiteRtRuntimeCApi.so",
            "LiteRT library not found",
        ],
    );
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn an_onnx_runtime_library_given_as_litert_is_refused_by_symbol() {
    let dev = format!(
        "[[device]]\nname = \"litert-cpu\"\nruntime_kind = \"litert\"\nruntime = \"{}\"\n",
        common::cpu_runtime().display()
    );
    expect_error(
        &suite(&dev, &real_tflite(), false),
        &[
            "libonnxruntime",
            "not a LiteRT C API library",
            "LiteRtCreateEnvironment",
        ],
    );
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "set-up fetches LiteRT on x86_64 only"
)]
fn a_model_without_a_tflite_file_is_skipped_by_default_and_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = suite(&litert_device(""), &real_tflite(), false)
        .replace(&format!("tflite = \"{}\"\n", real_tflite().display()), "");
    let suite = common::write(dir.path(), "suite.toml", &text);
    let (code, _, stderr) = common::run(
        &[
            "run",
            "--quick",
            "--suite",
            suite.to_str().unwrap(),
            "--device",
            "litert-cpu",
            "--model",
            "mobilenet_v2",
        ],
        dir.path(),
    );
    common::assert_error(
        code,
        &stderr,
        &["--model", "mobilenet_v2", "no tflite file", "tflite = "],
    );
    let (code, _, stderr) = common::run(
        &[
            "run",
            "--quick",
            "--suite",
            suite.to_str().unwrap(),
            "--device",
            "litert-cpu",
        ],
        dir.path(),
    );
    common::assert_error(code, &stderr, &["nothing to run"]);
}

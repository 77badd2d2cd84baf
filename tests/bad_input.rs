//! Bad input, one case per test: every failure exits 2 with one `error: ` line on
//! stderr that names the file or the key at fault, never panics, and never
//! loses stored data. Through the real binary: `run` on broken models, images,
//! datasets, suites (every validation of `suite/parse.rs` and
//! `suite/compare.rs`), runtime libraries and providers; `compare`, `baseline
//! accept`, `history` and `report github` on broken run records, baselines,
//! history files and comparisons; `--against` refs; command-line arguments.
//!
//! Each test writes its own files into a temp folder; a `run` case uses a single
//! model (mobilenet_v2) and `--quick`, so the whole file takes seconds. The cases
//! that really measure (CUDA fallback, second path failing) also set
//! `accuracy = false` to skip the 70-image accuracy pass.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

/// The real mobilenet_v2 model file of the assets.
fn mobilenet_file() -> PathBuf {
    common::assets().join("models/mobilenet_v2.onnx")
}

/// A one-device, one-model suite: the real mobilenet_v2 on the real photos.
fn good_suite() -> String {
    common::suite_text(&common::mobilenet(&mobilenet_file()), None)
}

/// Writes `text` as `suite.toml` into a new temp folder.
fn suite_dir(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let suite = common::write(dir.path(), "suite.toml", text);
    (dir, suite)
}

/// `edgeperf run --quick --suite <suite> [extra...]` in the suite's folder.
fn run_suite(suite: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["run", "--quick", "--suite", suite.to_str().unwrap()];
    args.extend_from_slice(extra);
    common::run(&args, suite.parent().unwrap())
}

/// Runs `text` and asserts the error contract with `needles`; returns the line.
fn expect_error(text: &str, extra: &[&str], needles: &[&str]) -> String {
    let (_dir, suite) = suite_dir(text);
    let (code, _stdout, stderr) = run_suite(&suite, extra);
    common::assert_error(code, &stderr, needles);
    eprintln!("{}", stderr.trim()); // shown with --nocapture
    stderr.trim().to_string()
}

/// Replaces `from` (which must occur) in `text`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "suite text lacks {from:?}:\n{text}");
    text.replacen(from, to, 1)
}

/// A device block that runs the given provider instead of the CPU one.
fn with_device(text: &str, device_lines: &str) -> String {
    edit(
        text,
        "name = \"cpu\"\n",
        &format!("name = \"cpu\"\n{device_lines}\n"),
    )
}

/// A dataset of one class folder `class` holding `file` with `bytes`.
fn dataset_with(dir: &Path, class: &str, file: &str, bytes: &[u8]) -> PathBuf {
    let root = dir.join("photos");
    std::fs::create_dir_all(root.join(class)).unwrap();
    std::fs::write(root.join(class).join(file), bytes).unwrap();
    root
}

// ---------------------------------------------------------------- 1, 2, 3: model

#[test]
fn missing_model_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere/mobilenet_v2.onnx");
    let text = common::suite_text(&common::mobilenet(&missing), None);
    let line = expect_error(&text, &[], &[missing.to_str().unwrap(), "not found"]);
    assert!(line.contains("mobilenet_v2"), "{line}");
}

#[test]
fn corrupt_onnx_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // Deterministic garbage: not a protobuf ModelProto.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    let bad = dir.path().join("corrupt.onnx");
    std::fs::write(&bad, bytes).unwrap();
    let text = common::suite_text(&common::mobilenet(&bad), None);
    expect_error(
        &text,
        &[],
        &[bad.to_str().unwrap(), "cannot load this model"],
    );
}

#[test]
fn input_shape_mismatch_mentions_shape_and_preprocess() {
    let text = edit(&good_suite(), "crop = 224", "crop = 200");
    let line = expect_error(
        &text,
        &[],
        &["mobilenet_v2.onnx", "preprocess", "224", "200"],
    );
    assert!(line.contains("shape"), "{line}");
}

// ---------------------------------------------------------------- 4: execution provider

#[test]
fn unavailable_provider_fails_without_fallback() {
    let text = with_device(&good_suite(), "provider = \"cuda\"");
    let line = expect_error(&text, &[], &["cuda", "no CPU fallback", "allow_fallback"]);
    assert!(line.contains("device \"cpu\""), "{line}");
}

#[test]
fn unavailable_provider_falls_back_when_allowed_and_says_so() {
    let text = with_device(&good_suite(), "provider = \"cuda\"\nallow_fallback = true")
        + "accuracy = false\n";
    let (dir, suite) = suite_dir(&text);
    let out = dir.path().join("run.json");
    let (code, stdout, stderr) = run_suite(&suite, &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "fallback run failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains("fell back"),
        "table does not show the fallback: {stdout}"
    );
    let run: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(run["complete"], true);
    let p = &run["paths"][0];
    assert_eq!(p["provider_requested"], "cuda", "{p}");
    assert_eq!(p["provider_ran"], "cpu", "{p}");
    let reason = p["fallback_reason"].as_str().expect("fallback_reason set");
    assert!(!reason.trim().is_empty(), "{p}");
}

// ---------------------------------------------------------------- 5, 6, 9: dataset

#[test]
fn corrupt_image_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset_with(dir.path(), "1", "broken.jpg", b"not a jpeg");
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    let bad = root.join("1/broken.jpg");
    expect_error(&text, &[], &[bad.to_str().unwrap()]);
}

/// The bytes of a real photo of the assets, `<class>/<file>` under the dataset.
fn real_photo(rel: &str) -> Vec<u8> {
    std::fs::read(common::assets().join("data/imagenet-samples").join(rel)).unwrap()
}

/// Runs mobilenet_v2 on a dataset holding only `bytes` as `<class>/<file>` and
/// asserts one error line that names the file and says it is truncated (PIL:
/// "image file is truncated"), not a grey image scored and exit 0.
fn expect_truncated(class: &str, file: &str, bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset_with(dir.path(), class, file, bytes);
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    let bad = root.join(class).join(file);
    expect_error(&text, &[], &[bad.to_str().unwrap(), "truncated"])
}

#[test]
fn jpeg_cut_to_a_quarter_is_refused_as_truncated() {
    let jpg = real_photo("243/imagenet_00_243.jpg");
    expect_truncated("243", "quarter.jpg", &jpg[..jpg.len() / 4]);
}

/// PIL refuses this too: the sample photos are progressive, and libjpeg reads
/// every scan up to EOI before it gives a row.
#[test]
fn jpeg_cut_just_before_its_end_marker_is_refused_as_truncated() {
    let jpg = real_photo("243/imagenet_00_243.jpg");
    assert!(jpg.ends_with(&[0xFF, 0xD9]), "photo does not end with EOI");
    expect_truncated("243", "no-eoi.jpg", &jpg[..jpg.len() - 2]);
}

#[test]
fn png_cut_to_a_quarter_is_refused_as_truncated() {
    let png = real_photo("822/ffffffe1e0a40000_0822.png");
    expect_truncated("822", "quarter.png", &png[..png.len() / 4]);
}

#[test]
fn dangling_image_link_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("photos");
    std::fs::create_dir_all(root.join("3")).unwrap();
    let img = root.join("3/gone.jpg");
    std::os::unix::fs::symlink(dir.path().join("nothing.jpg"), &img).unwrap();
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    expect_error(&text, &[], &[img.to_str().unwrap()]);
}

#[test]
fn class_folder_out_of_range_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset_with(dir.path(), "1200", "a.jpg", b"x");
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    let folder = root.join("1200");
    expect_error(
        &text,
        &[],
        &[folder.to_str().unwrap(), "out of range", "num_classes"],
    );
}

#[test]
fn empty_dataset_folder_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("empty");
    std::fs::create_dir_all(&root).unwrap();
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    expect_error(&text, &[], &[root.to_str().unwrap(), "no .jpg"]);
}

#[test]
fn missing_dataset_root_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("no-photos-here");
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    expect_error(&text, &[], &[root.to_str().unwrap(), "dataset root"]);
}

// ---------------------------------------------------------------- 7, 9: suite file

#[test]
fn missing_suite_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("no-such-suite.toml");
    let (code, _, stderr) = run_suite(&suite, &[]);
    common::assert_error(code, &stderr, &[suite.to_str().unwrap()]);
}

#[test]
fn unknown_key_names_key_and_line() {
    let text = edit(&good_suite(), "rounds = 1\n", "rounds = 1\nroundz = 3\n");
    let line_no = text.lines().position(|l| l.starts_with("roundz")).unwrap() + 1;
    expect_error(
        &text,
        &[],
        &["suite.toml", "roundz", &format!("line {line_no}")],
    );
}

#[test]
fn bad_value_type_names_the_line() {
    let text = edit(&good_suite(), "rounds = 1\n", "rounds = \"x\"\n");
    let line_no = text.lines().position(|l| l.starts_with("rounds")).unwrap() + 1;
    // toml reports the line and the type, not the key: the line is what points
    // at `rounds`.
    expect_error(
        &text,
        &[],
        &[
            "suite.toml",
            &format!("line {line_no}"),
            "invalid type",
            "\"x\"",
        ],
    );
}

#[test]
fn unknown_device_lists_known_devices() {
    expect_error(
        &good_suite(),
        &["--device", "nope"],
        &["\"nope\"", "the suite has: cpu"],
    );
}

#[test]
fn unknown_model_lists_known_models() {
    expect_error(
        &good_suite(),
        &["--model", "nope"],
        &["\"nope\"", "the suite has: mobilenet_v2"],
    );
}

#[test]
fn unknown_provider_names_the_key() {
    let text = with_device(&good_suite(), "provider = \"npu\"");
    expect_error(
        &text,
        &[],
        &[
            "suite.toml",
            "device[0].provider",
            "\"npu\"",
            "expected cpu",
        ],
    );
}

// ---------------------------------------------------------------- 8: runtime library

#[test]
fn missing_runtime_library_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib/libonnxruntime.so.9.9.9");
    let text = edit(
        &good_suite(),
        &common::cpu_runtime().display().to_string(),
        lib.to_str().unwrap(),
    );
    expect_error(&text, &[], &[lib.to_str().unwrap(), "not found"]);
}

#[test]
fn runtime_that_is_not_a_library_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let lib = common::write(dir.path(), "libonnxruntime.so", "this is not an ELF file\n");
    let text = edit(
        &good_suite(),
        &common::cpu_runtime().display().to_string(),
        lib.to_str().unwrap(),
    );
    let line = expect_error(&text, &[], &[lib.to_str().unwrap(), "cannot load"]);
    // The loader's reason (glibc: "invalid ELF header"), not just "dlopen failed".
    assert!(!line.ends_with("dlopen failed"), "no reason given: {line}");
}

/// A shared library that looks like ONNX Runtime 1.16.3 to `OrtGetApiBase`.
const FAKE_ORT_116: &str = r#"
#include <stdint.h>
#include <stddef.h>
typedef struct {
    const void* (*GetApi)(uint32_t version);
    const char* (*GetVersionString)(void);
} OrtApiBase;
static const void* get_api(uint32_t version) { (void)version; return NULL; }
static const char* get_version(void) { return "1.16.3"; }
static const OrtApiBase base = { get_api, get_version };
const OrtApiBase* OrtGetApiBase(void) { return &base; }
"#;

#[test]
fn runtime_too_old_says_so_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::write(dir.path(), "fake_ort.c", FAKE_ORT_116);
    let lib = dir.path().join("libonnxruntime.so.1.16.3");
    let built = std::process::Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .output();
    match built {
        Err(e) => {
            eprintln!("skipped: gcc is not available ({e}); cannot build a fake old runtime");
            return;
        }
        Ok(o) => assert!(
            o.status.success(),
            "gcc failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
    }
    let text = edit(
        &good_suite(),
        &common::cpu_runtime().display().to_string(),
        lib.to_str().unwrap(),
    );
    // The library path is canonicalised; the temp dir may sit behind a symlink.
    let canon = std::fs::canonicalize(&lib).unwrap();
    let line = expect_error(&text, &[], &["1.16.3", "too old", "1.24"]);
    assert!(
        line.contains(lib.to_str().unwrap()) || line.contains(canon.to_str().unwrap()),
        "{line}"
    );
}

#[test]
fn runtime_override_that_is_missing_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libonnxruntime.so");
    expect_error(
        &good_suite(),
        &["--runtime", lib.to_str().unwrap()],
        &[lib.to_str().unwrap(), "not found"],
    );
}

// ---------------------------------------------------------------- no partial garbage

/// Files in `dir` other than the suite and the photos.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "suite.toml" && n != "photos")
        .collect();
    v.sort();
    v
}

/// When the first (only) path fails, `--out` is not written at all: the record is
/// written only after a path's first round succeeds. No temp file is left either.
#[test]
fn failed_first_path_writes_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.onnx");
    common::write(
        dir.path(),
        "suite.toml",
        &common::suite_text(&common::mobilenet(&missing), None),
    );
    let out = dir.path().join("out/run.json");
    let (code, _, stderr) = run_suite(
        &dir.path().join("suite.toml"),
        &["--out", out.to_str().unwrap()],
    );
    common::assert_error(code, &stderr, &["gone.onnx"]);
    assert!(!out.exists(), "a failed run wrote {}", out.display());
    let outdir = dir.path().join("out");
    if outdir.exists() {
        assert_eq!(leftovers(&outdir), Vec::<String>::new(), "temp files left");
    }
}

/// When a later path fails, the record written so far stays, marked
/// `"complete": false`, holding only the paths that finished.
#[test]
fn failed_later_path_leaves_an_incomplete_record() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.onnx");
    let models = common::mobilenet(&mobilenet_file())
        + "accuracy = false\n"
        + &common::mobilenet(&missing).replace("name = \"mobilenet_v2\"", "name = \"zz_missing\"");
    let suite = common::write(dir.path(), "suite.toml", &common::suite_text(&models, None));
    let out = dir.path().join("run.json");
    let (code, _, stderr) = run_suite(&suite, &["--out", out.to_str().unwrap()]);
    common::assert_error(code, &stderr, &["gone.onnx"]);
    let run: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(run["complete"], false, "{run}");
    let paths = run["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 1);
    assert_eq!(paths[0]["model"], "mobilenet_v2");
    assert_eq!(
        leftovers(dir.path()),
        vec!["run.json".to_string()],
        "temp files left"
    );
}

// ---------------------------------------------------------------- suite validation, one key each

/// `good_suite()` with `from` replaced by `to`.
fn good_with(from: &str, to: &str) -> String {
    edit(&good_suite(), from, to)
}

/// `good_suite()` with its `[[device]]` block extended by `lines`.
fn device_with(lines: &str) -> String {
    with_device(&good_suite(), lines)
}

/// `good_suite()` with `extra` appended (a table after the model).
fn good_plus(extra: &str) -> String {
    good_suite() + extra
}

/// The device block of `good_suite()`.
fn device_block() -> String {
    format!(
        "[[device]]\nname = \"cpu\"\nruntime = \"{}\"\n",
        common::cpu_runtime().display()
    )
}

/// The model block of `good_suite()`.
fn model_block() -> String {
    common::mobilenet(&mobilenet_file())
}

/// One test per case: `edgeperf run --quick` on the suite text must fail with
/// one line holding every needle (the file name, the dotted key, the reason).
macro_rules! bad_suite {
    ($($(#[$doc:meta])* $name:ident: $text:expr => [$($needle:expr),* $(,)?];)*) => {$(
        $(#[$doc])*
        #[test]
        fn $name() {
            let text: String = $text;
            expect_error(&text, &[], &["suite.toml", $(&*$needle),*]);
        }
    )*};
}

bad_suite! {
    suite_toml_syntax_error_names_the_line:
        good_with("[sampling]", "[sampling") => ["line 2", "unclosed table"];
    suite_missing_required_key_names_it:
        edit(&good_suite(), &format!("file = \"{}\"\n", mobilenet_file().display()), "")
            => ["missing field `file`"];
    suite_schema_newer_than_edgeperf_says_upgrade:
        good_with("schema_version = 1", "schema_version = 99")
            => ["schema_version", "suite schema 99 is newer", "upgrade edgeperf"];
    suite_zero_rounds:
        good_with("rounds = 1\n", "rounds = 0\n") => ["sampling.rounds", "at least 1"];
    suite_zero_samples:
        good_with("samples = 20", "samples = 0") => ["sampling.samples", "at least 1"];
    suite_negative_time_budget:
        good_with("max_seconds = 2", "max_seconds = -1") => ["sampling.max_seconds", "positive"];
    suite_without_devices:
        edit(&good_suite(), &device_block(), "") => ["device", "no [[device]]"];
    suite_empty_device_name:
        good_with("name = \"cpu\"", "name = \"\"") => ["device[0].name", "must not be empty"];
    suite_device_name_that_cannot_name_a_file:
        good_with("name = \"cpu\"", "name = \"my gpu\"") => ["device[0].name", "\"my gpu\"", "baselines/"];
    suite_duplicate_device:
        edit(&good_suite(), "[[model]]", &format!("{}[[model]]", device_block()))
            => ["device[1].name", "duplicate device name \"cpu\""];
    suite_zero_intra_threads:
        device_with("intra_threads = 0") => ["device[0].intra_threads", "between 1 and 1024"];
    suite_too_many_inter_threads:
        device_with("inter_threads = 2000") => ["device[0].inter_threads", "between 1 and 1024"];
    suite_provider_option_of_a_wrong_type:
        device_with("provider = \"openvino\"\noptions = { device_type = [\"CPU\"] }")
            => ["device[0].options.device_type", "string, number or boolean"];
    /// The CPU provider is registered without options: they would be ignored.
    suite_options_on_the_cpu_provider:
        device_with("options = { num_of_threads = 4 }")
            => ["device[0].options.num_of_threads", "cpu provider takes no options"];
    suite_zero_worker_timeout:
        device_with("worker_timeout_seconds = 0") => ["device[0].worker_timeout_seconds", "positive"];
    suite_worker_timeout_as_text:
        device_with("worker_timeout_seconds = \"1m\"")
            => ["device.worker_timeout_seconds", "invalid type: string \"1m\""];
    suite_without_models:
        edit(&good_suite(), &model_block(), "") => ["model", "no [[model]]"];
    suite_model_name_with_a_slash:
        good_with("name = \"mobilenet_v2\"", "name = \"mobile/net\"") => ["model[0].name", "\"mobile/net\""];
    suite_duplicate_model:
        good_plus(&model_block()) => ["model[1].name", "duplicate model name \"mobilenet_v2\""];
    suite_unknown_interpolation:
        good_with("\"bilinear\"", "\"lanczos\"") => ["model[0].preprocess.interpolation", "\"lanczos\""];
    suite_zero_crop:
        good_with("crop = 224", "crop = 0") => ["model[0].preprocess.crop", "at least 1"];
    suite_resize_smaller_than_crop:
        good_with("resize = 256", "resize = 200") => ["model[0].preprocess.resize", "200", "224"];
    suite_zero_divisor:
        good_with("divisor = 255", "divisor = 0") => ["model[0].preprocess.divisor", "positive"];
    suite_mean_of_two_values:
        good_with("mean = [0.485, 0.456, 0.406]", "mean = [0.5, 0.5]") => ["model[0].preprocess.mean", "3 values"];
    suite_std_of_four_values:
        good_with("std = [0.229, 0.224, 0.225]", "std = [0.2, 0.2, 0.2, 0.2]") => ["model[0].preprocess.std", "3 values"];
    suite_zero_std:
        good_with("std = [0.229, 0.224, 0.225]", "std = [0.229, 0, 0.225]") => ["model[0].preprocess.std", "positive"];
    suite_unknown_layout:
        good_with("0.225] }", "0.225], layout = \"chw\" }") => ["model[0].preprocess.layout", "\"chw\""];
    suite_unknown_channel_order:
        good_with("0.225] }", "0.225], channels = \"rgba\" }") => ["model[0].preprocess.channels", "\"rgba\""];
    suite_unknown_dataset_layout:
        good_with("[dataset]\n", "[dataset]\nlayout = \"flat\"\n") => ["dataset.layout", "\"flat\""];
    suite_zero_classes:
        good_with("[dataset]\n", "[dataset]\nnum_classes = 0\n") => ["dataset.num_classes", "at least 1"];
    suite_accuracy_without_a_dataset:
        edit(
            &good_suite(),
            &format!("[dataset]\nroot = \"{}\"\n", common::assets().join("data/imagenet-samples").display()),
            "",
        ) => ["model[0].accuracy", "no [dataset]"];
    suite_compare_min_change_zero:
        good_plus("[compare]\nlatency.min_change = 0\n") => ["compare.latency.min_change", "got 0"];
    suite_compare_quantile_one:
        good_plus("[compare]\nlatency.quantile = 1\n") => ["compare.latency.quantile", "got 1"];
    suite_compare_confidence_below_half:
        good_plus("[compare]\nlatency.confidence = 0.4\n") => ["compare.latency.confidence", "got 0.4"];
    suite_compare_negative_round_cv:
        good_plus("[compare]\nlatency.max_round_cv = -0.1\n") => ["compare.latency.max_round_cv", "got -0.1"];
    suite_compare_unknown_latency_key:
        good_plus("[compare]\nlatency.treshold = 0.1\n") => ["compare.latency.treshold", "unknown field `treshold`"];
    suite_compare_decide_confidence_below_confidence:
        good_plus("[compare]\nlatency.decide_confidence = 0.85\n") => ["compare.latency.decide_confidence", "at least latency.confidence (0.9)"];
    suite_compare_alpha_one:
        good_plus("[compare]\naccuracy.alpha = 1\n") => ["compare.accuracy.alpha", "got 1"];
    suite_compare_top1_drop_over_100_points:
        good_plus("[compare]\naccuracy.max_top1_drop_points = 101\n") => ["compare.accuracy.max_top1_drop_points", "got 101"];
    suite_compare_zero_confirm_budget:
        good_plus("[compare]\nconfirm.budget_seconds = 0\n") => ["compare.confirm.budget_seconds", "got 0"];
    suite_compare_confirm_rounds_below_min_rounds:
        good_plus("[compare]\nconfirm.rounds = 4\n") => ["compare.confirm.rounds", "at least min_rounds (6)"];
    suite_compare_min_rounds_zero:
        good_plus("[compare]\nconfirm.min_rounds = 0\n") => ["compare.confirm.min_rounds", "at least 1"];
    suite_compare_max_rounds_below_rounds:
        good_plus("[compare]\nconfirm.max_rounds = 10\n") => ["compare.confirm.max_rounds", "between rounds (16) and 1000"];
    suite_compare_max_budget_below_budget:
        good_plus("[compare]\nconfirm.max_budget_seconds = 4\n") => ["compare.confirm.max_budget_seconds", "between budget_seconds (10) and 36000"];
    suite_compare_busy_run_wait_zero:
        good_plus("[compare]\nconfirm.busy_run_wait = 0\n") => ["compare.confirm.busy_run_wait", "got 0"];
    suite_compare_zero_round_seconds:
        good_plus("[compare]\nconfirm.round_seconds = 0\n") => ["compare.confirm.round_seconds", "got 0"];
    suite_compare_block_of_a_minute:
        good_plus("[compare]\nconfirm.block_ms = 60000\n") => ["compare.confirm.block_ms", "got 60000"];
    suite_compare_zero_memory_increase:
        good_plus("[compare]\nmemory.max_increase = 0\n") => ["compare.memory.max_increase", "got 0"];
    suite_compare_negative_cold_start_floor:
        good_plus("[compare]\ncold_start.min_increase = -1\n") => ["compare.cold_start.min_increase", "got -1"];
    suite_compare_path_memory_increase_zero:
        good_plus("[compare.paths.\"cpu/mobilenet_v2\"]\nmemory_max_increase = 0\n")
            => ["compare.paths.\"cpu/mobilenet_v2\".memory_max_increase", "got 0"];
    suite_compare_path_cold_start_increase_too_large:
        good_plus("[compare.paths.\"cpu/mobilenet_v2\"]\ncold_start_max_increase = 200\n")
            => ["compare.paths.\"cpu/mobilenet_v2\".cold_start_max_increase", "got 200"];
    suite_compare_path_key_without_a_slash:
        good_plus("[compare.paths.\"cpu-mobilenet_v2\"]\nmin_change = 0.05\n")
            => ["compare.paths.\"cpu-mobilenet_v2\"", "\"device/model\""];
    suite_compare_path_min_change_too_large:
        good_plus("[compare.paths.\"cpu/mobilenet_v2\"]\nmin_change = 20\n")
            => ["compare.paths.\"cpu/mobilenet_v2\".min_change", "got 20"];
    suite_compare_path_alpha_zero:
        good_plus("[compare.paths.\"cpu/mobilenet_v2\"]\nalpha = 0\n")
            => ["compare.paths.\"cpu/mobilenet_v2\".alpha", "got 0"];
    suite_compare_path_negative_top1_drop:
        good_plus("[compare.paths.\"cpu/mobilenet_v2\"]\nmax_top1_drop_points = -1\n")
            => ["compare.paths.\"cpu/mobilenet_v2\".max_top1_drop_points", "got -1"];
}

// ---------------------------------------------------------------- more models

/// A suite running `model` (a path) on the real photos, latency only.
fn latency_suite_for(model: &Path) -> String {
    common::suite_text(&(common::mobilenet(model) + "accuracy = false\n"), None)
}

#[test]
fn empty_model_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = common::write(dir.path(), "empty.onnx", "");
    expect_error(
        &latency_suite_for(&empty),
        &[],
        &[empty.to_str().unwrap(), "cannot load this model"],
    );
}

#[test]
fn model_path_that_is_a_directory_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("model.onnx");
    std::fs::create_dir_all(&folder).unwrap();
    expect_error(
        &latency_suite_for(&folder),
        &[],
        &[folder.to_str().unwrap(), "directory"],
    );
}

#[test]
fn model_input_name_that_does_not_exist_names_model_and_key() {
    let text = latency_suite_for(&mobilenet_file()) + "input = \"pixels\"\n";
    expect_error(
        &text,
        &[],
        &[
            "mobilenet_v2.onnx",
            "no input named \"pixels\"",
            "(it has: input)",
        ],
    );
}

#[test]
fn model_output_longer_than_num_classes_names_model_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset_with(
        dir.path(),
        "3",
        "a.jpg",
        &real_photo("243/imagenet_00_243.jpg"),
    );
    let text = edit(
        &common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root)),
        "[[device]]",
        "num_classes = 10\n[[device]]",
    );
    expect_error(
        &text,
        &[],
        &[
            "mobilenet_v2.onnx",
            "1000 values",
            "dataset.num_classes = 10",
        ],
    );
}

// ---------------------------------------------------------------- more datasets

#[test]
fn class_folder_that_is_not_a_number_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset_with(
        dir.path(),
        "cats",
        "a.jpg",
        &real_photo("243/imagenet_00_243.jpg"),
    );
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    let folder = root.join("cats");
    expect_error(&text, &[], &[folder.to_str().unwrap(), "not a class index"]);
}

#[test]
fn zero_byte_image_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset_with(dir.path(), "3", "zero.jpg", b"");
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&root));
    let bad = root.join("3/zero.jpg");
    expect_error(&text, &[], &[bad.to_str().unwrap()]);
}

#[test]
fn dataset_root_that_is_a_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::write(dir.path(), "photos.tar", "not a folder");
    let text = common::suite_text(&common::mobilenet(&mobilenet_file()), Some(&file));
    expect_error(
        &text,
        &[],
        &[file.to_str().unwrap(), "cannot read dataset root"],
    );
}

/// `good_suite()` whose dataset names `classes` as its class-name file.
fn with_classes(classes: &Path) -> String {
    good_with(
        "[dataset]\n",
        &format!("[dataset]\nclasses = \"{}\"\n", classes.display()),
    )
}

#[test]
fn missing_class_names_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let classes = dir.path().join("classes.json");
    expect_error(
        &with_classes(&classes),
        &[],
        &[classes.to_str().unwrap(), "No such file"],
    );
}

#[test]
fn class_names_file_that_is_not_a_list_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let classes = common::write(dir.path(), "classes.json", "{\"0\": \"tench\"}");
    expect_error(
        &with_classes(&classes),
        &[],
        &[classes.to_str().unwrap(), "expected a sequence"],
    );
}

#[test]
fn class_names_of_another_dataset_name_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let classes = common::write(dir.path(), "classes.json", "[\"cat\", \"dog\"]");
    expect_error(
        &with_classes(&classes),
        &[],
        &[
            classes.to_str().unwrap(),
            "holds 2 class names",
            "dataset.num_classes = 1000",
        ],
    );
}

// ---------------------------------------------------------------- more runtime libraries

/// `good_suite()` with its device on `lib`.
fn on_runtime(lib: &Path) -> String {
    good_with(
        &common::cpu_runtime().display().to_string(),
        lib.to_str().unwrap(),
    )
}

#[test]
fn runtime_without_ort_get_api_base_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let lib = common::build_shared_library(
        dir.path(),
        "libnotort.so",
        "int not_onnx_runtime(void) { return 1; }\n",
    );
    expect_error(
        &on_runtime(&lib),
        &[],
        &[lib.to_str().unwrap(), "no OrtGetApiBase symbol"],
    );
}

#[test]
fn runtime_whose_api_base_is_null_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let lib = common::build_shared_library(
        dir.path(),
        "libnullort.so",
        "const void* OrtGetApiBase(void) { return 0; }\n",
    );
    expect_error(
        &on_runtime(&lib),
        &[],
        &[lib.to_str().unwrap(), "OrtGetApiBase returned null"],
    );
}

#[test]
fn runtime_path_that_is_a_directory_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libonnxruntime.so");
    std::fs::create_dir_all(&lib).unwrap();
    expect_error(
        &on_runtime(&lib),
        &[],
        &[lib.to_str().unwrap(), "directory"],
    );
}

/// `edgeperf run --quick --suite <suite>` with `env` set and `ORT_DYLIB_PATH`
/// unset unless `env` sets it.
fn run_with_env(suite: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = common::bin();
    cmd.args(["run", "--quick", "--suite", suite.to_str().unwrap()])
        .current_dir(suite.parent().unwrap())
        .env_remove("ORT_DYLIB_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `good_suite()` whose device names no runtime library.
fn suite_without_runtime() -> String {
    good_with(
        &format!("runtime = \"{}\"\n", common::cpu_runtime().display()),
        "",
    )
}

#[test]
fn no_runtime_library_anywhere_names_the_device_and_the_ways_to_set_one() {
    let (_dir, suite) = suite_dir(&suite_without_runtime());
    let (code, stderr) = run_with_env(&suite, &[]);
    common::assert_error(
        code,
        &stderr,
        &["device \"cpu\"", "runtime", "--runtime", "ORT_DYLIB_PATH"],
    );
}

#[test]
fn ort_dylib_path_to_a_missing_library_names_it() {
    let (dir, suite) = suite_dir(&suite_without_runtime());
    let lib = dir.path().join("gone/libonnxruntime.so");
    let (code, stderr) = run_with_env(&suite, &[("ORT_DYLIB_PATH", lib.to_str().unwrap())]);
    common::assert_error(code, &stderr, &[lib.to_str().unwrap(), "not found"]);
}

// ---------------------------------------------------------------- more providers

#[test]
fn openvino_option_it_does_not_know_names_the_device_and_provider() {
    let lib = common::assets().join("runtime/onnxruntime-openvino-1.24.1/libonnxruntime.so.1.24.1");
    let text = edit(
        &device_with("provider = \"openvino\"\noptions = { no_such_option = \"1\" }"),
        &common::cpu_runtime().display().to_string(),
        lib.to_str().unwrap(),
    );
    expect_error(
        &text,
        &[],
        &["device \"cpu\"", "openvino", "could not be registered"],
    );
}

#[test]
fn tensorrt_without_its_libraries_fails_without_fallback() {
    expect_error(
        &device_with("provider = \"trt\""),
        &[],
        &["device \"cpu\"", "tensorrt", "no CPU fallback"],
    );
}

// ---------------------------------------------------------------- run records, baselines, history

use edgeperf::suite::Provider;

/// Writes a complete run of `cpu/m` (`complete` as given) as `name` in `dir`.
fn write_run(dir: &Path, name: &str, complete: bool) -> PathBuf {
    let p = fixtures::path_record(
        "cpu",
        "m",
        Provider::Cpu,
        &fixtures::synth_rounds(9.0, 3, 40),
        None,
    );
    let run = fixtures::run_record(vec![p], fixtures::HEAD_COMMIT, complete);
    let f = dir.join(name);
    fixtures::write_json(&f, &run);
    f
}

/// `edgeperf <args>` in `dir`; asserts the error contract with `needles`.
fn expect_cli_error(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let (code, _stdout, stderr) = common::run(args, dir);
    common::assert_error(code, &stderr, needles);
    eprintln!("{}", stderr.trim());
    stderr.trim().to_string()
}

/// A run file holding `bytes`, compared without confirmation: the error names it.
fn expect_bad_run(bytes: &[u8], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.json"), bytes).unwrap();
    let mut all = vec!["run.json"];
    all.extend_from_slice(needles);
    expect_cli_error(dir.path(), &["compare", "run.json", "--no-confirm"], &all);
}

#[test]
fn compare_of_a_missing_run_names_it() {
    let dir = tempfile::tempdir().unwrap();
    expect_cli_error(
        dir.path(),
        &["compare", "nope.json"],
        &["nope.json", "No such file"],
    );
}

#[test]
fn empty_run_record_names_it() {
    expect_bad_run(b"", &["file is empty"]);
}

#[test]
fn run_record_that_is_not_json_names_it() {
    expect_bad_run(b"device,model,p50\ncpu,m,9.1\n", &["not valid JSON"]);
}

#[test]
fn json_without_a_schema_version_is_not_a_run_record() {
    expect_bad_run(b"{\"paths\": []}", &["no schema_version"]);
}

#[test]
fn run_record_from_a_newer_edgeperf_says_upgrade() {
    expect_bad_run(
        b"{\"schema_version\": 2, \"paths\": []}",
        &["run record schema_version 2 is newer", "upgrade edgeperf"],
    );
}

#[test]
fn a_baseline_given_as_a_run_record_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = write_run(dir.path(), "run.json", true);
    fixtures::write_baselines(dir.path(), &edgeperf::store::load_run(&run).unwrap());
    let baseline = dir.path().join("cpu/m.json");
    expect_cli_error(
        dir.path(),
        &["compare", baseline.to_str().unwrap(), "--no-confirm"],
        &["cpu/m.json", "not an edgeperf run record"],
    );
}

#[test]
fn compare_of_an_incomplete_run_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), "run.json", false);
    expect_cli_error(
        dir.path(),
        &["compare", "run.json", "--no-confirm"],
        &["run.json", "incomplete"],
    );
}

#[test]
fn accept_of_a_truncated_run_names_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = write_run(dir.path(), "run.json", true);
    let bytes = std::fs::read(&run).unwrap();
    std::fs::write(&run, &bytes[..bytes.len() / 2]).unwrap();
    expect_cli_error(
        dir.path(),
        &["baseline", "accept", "run.json"],
        &["run.json", "truncated JSON"],
    );
    assert!(!dir.path().join("baselines").exists());
}

#[test]
fn accept_of_an_incomplete_run_names_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), "run.json", false);
    expect_cli_error(
        dir.path(),
        &["baseline", "accept", "run.json"],
        &["run.json", "incomplete", "run again"],
    );
    assert!(!dir.path().join("baselines/cpu").exists());
}

/// A complete run in `dir` with its baseline accepted under `dir/baselines`.
fn accepted(dir: &Path) -> PathBuf {
    write_run(dir, "run.json", true);
    let (code, _, stderr) = common::run(&["baseline", "accept", "run.json"], dir);
    assert_eq!(code, 0, "{stderr}");
    dir.join("baselines/cpu/m.json")
}

#[test]
fn baseline_that_is_not_json_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let b = accepted(dir.path());
    std::fs::write(&b, "<<<<<<< HEAD\n").unwrap();
    expect_cli_error(
        dir.path(),
        &["compare", "run.json", "--no-confirm"],
        &["baselines/cpu/m.json", "not valid JSON"],
    );
}

#[test]
fn baseline_from_a_newer_edgeperf_says_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let b = accepted(dir.path());
    let text = std::fs::read_to_string(&b).unwrap();
    std::fs::write(
        &b,
        text.replacen("\"schema_version\": 1", "\"schema_version\": 7", 1),
    )
    .unwrap();
    expect_cli_error(
        dir.path(),
        &["compare", "run.json", "--no-confirm"],
        &[
            "baselines/cpu/m.json",
            "baseline schema_version 7",
            "upgrade edgeperf",
        ],
    );
}

#[test]
fn baselines_path_that_is_a_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), "run.json", true);
    common::write(dir.path(), "baselines", "not a folder");
    expect_cli_error(
        dir.path(),
        &["compare", "run.json", "--no-confirm"],
        &["baselines/cpu/m.json", "Not a directory"],
    );
}

/// Three accepts of the run in `dir`, then line 2 of the history broken.
fn broken_history(dir: &Path) -> PathBuf {
    accepted(dir);
    for _ in 0..2 {
        let (code, _, stderr) = common::run(&["baseline", "accept", "run.json"], dir);
        assert_eq!(code, 0, "{stderr}");
    }
    let h = dir.join("baselines/cpu/m.history.jsonl");
    let text = std::fs::read_to_string(&h).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&h, format!("{}\n{{\"p50\": \n{}\n", lines[0], lines[2])).unwrap();
    h
}

#[test]
fn history_with_a_malformed_middle_line_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    broken_history(dir.path());
    expect_cli_error(
        dir.path(),
        &["history"],
        &["baselines/cpu/m.history.jsonl", "line 2"],
    );
}

#[test]
fn accept_into_a_broken_history_names_it_and_keeps_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let h = broken_history(dir.path());
    let b = dir.path().join("baselines/cpu/m.json");
    let (history, baseline) = (std::fs::read(&h).unwrap(), std::fs::read(&b).unwrap());
    expect_cli_error(
        dir.path(),
        &["baseline", "accept", "run.json"],
        &["baselines/cpu/m.history.jsonl", "line 2"],
    );
    assert_eq!(std::fs::read(&h).unwrap(), history, "history changed");
    assert_eq!(std::fs::read(&b).unwrap(), baseline, "baseline changed");
}

#[test]
fn history_without_a_baselines_folder_says_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    expect_cli_error(
        dir.path(),
        &["history"],
        &["baselines", "no baselines directory", "baseline accept"],
    );
}

#[test]
fn history_of_an_unknown_device_names_it() {
    let dir = tempfile::tempdir().unwrap();
    accepted(dir.path());
    expect_cli_error(
        dir.path(),
        &["history", "--device", "gpu"],
        &["baselines", "no history for device gpu"],
    );
}

// ---------------------------------------------------------------- comparisons for `report github`

/// A comparison file `compare.json` in `dir` (from a real `edgeperf compare`).
fn comparison(dir: &Path) -> PathBuf {
    accepted(dir);
    let (code, _, stderr) = common::run(
        &[
            "compare",
            "run.json",
            "--no-confirm",
            "--format",
            "json",
            "--out",
            "compare.json",
        ],
        dir,
    );
    assert_eq!(code, 0, "{stderr}");
    dir.join("compare.json")
}

/// `edgeperf report github <args>` in `dir` without any GitHub environment.
fn report(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = common::bin();
    cmd.args(["report", "github"]).args(args).current_dir(dir);
    for k in [
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_EVENT_PATH",
        "GITHUB_SHA",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_API_URL",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn report_of_a_missing_comparison_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = report(dir.path(), &["compare-cpu.json", "--dry-run"], &[]);
    common::assert_error(code, &stderr, &["compare-cpu.json", "No such file"]);
}

#[test]
fn report_of_a_truncated_comparison_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let c = comparison(dir.path());
    let bytes = std::fs::read(&c).unwrap();
    std::fs::write(&c, &bytes[..bytes.len() / 3]).unwrap();
    let (code, stderr) = report(dir.path(), &["compare.json", "--dry-run"], &[]);
    common::assert_error(code, &stderr, &["compare.json", "truncated JSON"]);
}

#[test]
fn report_of_a_comparison_from_a_newer_edgeperf_says_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let c = comparison(dir.path());
    let text = std::fs::read_to_string(&c).unwrap();
    std::fs::write(
        &c,
        text.replacen("\"schema_version\": 2", "\"schema_version\": 3", 1),
    )
    .unwrap();
    let (code, stderr) = report(dir.path(), &["compare.json", "--dry-run"], &[]);
    common::assert_error(
        code,
        &stderr,
        &[
            "compare.json",
            "comparison schema_version 3",
            "upgrade edgeperf",
        ],
    );
}

#[test]
fn report_of_a_run_record_instead_of_a_comparison_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), "run.json", true);
    let (code, stderr) = report(dir.path(), &["run.json", "--dry-run"], &[]);
    common::assert_error(code, &stderr, &["run.json", "not an edgeperf comparison"]);
}

#[test]
fn report_of_nothing_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = report(dir.path(), &["--dry-run"], &[]);
    common::assert_error(code, &stderr, &["no comparison files", "--expect-device"]);
}

#[test]
fn report_without_a_token_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    comparison(dir.path());
    let (code, stderr) = report(
        dir.path(),
        &["compare.json", "--pr", "1", "--sha", "abc"],
        &[],
    );
    common::assert_error(code, &stderr, &["GITHUB_TOKEN"]);
}

#[test]
fn report_with_a_malformed_repository_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    comparison(dir.path());
    let (code, stderr) = report(
        dir.path(),
        &["compare.json", "--pr", "1", "--sha", "abc"],
        &[("GITHUB_TOKEN", "t"), ("GITHUB_REPOSITORY", "no-slash")],
    );
    common::assert_error(
        code,
        &stderr,
        &["GITHUB_REPOSITORY", "\"no-slash\"", "owner/name"],
    );
}

// ---------------------------------------------------------------- git refs for --against

/// Commits every file of the repository's work tree to `update_ref`, with
/// `message`, as a root commit.
fn commit_all(repo: &git2::Repository, update_ref: &str, message: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
    repo.commit(Some(update_ref), &sig, &sig, message, &tree, &[])
        .unwrap()
}

/// A repository in `dir` holding a complete run and its baseline, committed.
fn repository(dir: &Path) -> git2::Repository {
    let repo = git2::Repository::init(dir).unwrap();
    accepted(dir);
    commit_all(&repo, "HEAD", "baselines");
    repo
}

#[test]
fn against_outside_a_git_repository_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), "run.json", true);
    expect_cli_error(
        dir.path(),
        &["compare", "run.json", "--no-confirm", "--against", "main"],
        &["not inside a git repository"],
    );
}

#[test]
fn against_an_unknown_ref_names_it() {
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path());
    expect_cli_error(
        dir.path(),
        &[
            "compare",
            "run.json",
            "--no-confirm",
            "--against",
            "origin/nope",
        ],
        &[
            "--against origin/nope",
            "no such commit or branch",
            "fetch-depth: 0",
        ],
    );
}

#[test]
fn against_a_ref_without_a_merge_base_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository(dir.path());
    // A branch with unrelated history (a root commit of its own).
    commit_all(&repo, "refs/heads/unrelated", "unrelated");
    expect_cli_error(
        dir.path(),
        &[
            "compare",
            "run.json",
            "--no-confirm",
            "--against",
            "unrelated",
        ],
        &["--against unrelated", "no merge-base"],
    );
}

// ---------------------------------------------------------------- command-line arguments

#[test]
fn unknown_subcommand_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    expect_cli_error(
        dir.path(),
        &["benchmark"],
        &[
            "unrecognized subcommand 'benchmark'",
            "usage: edgeperf <COMMAND>",
        ],
    );
}

#[test]
fn misspelt_option_is_one_line_with_the_tip() {
    let dir = tempfile::tempdir().unwrap();
    expect_cli_error(
        dir.path(),
        &["run", "--suit", "x.toml"],
        &["'--suit'", "a similar argument exists: '--suite'"],
    );
}

#[test]
fn missing_argument_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    expect_cli_error(
        dir.path(),
        &["baseline", "accept"],
        &["required arguments were not provided: <RUN>"],
    );
}

#[test]
fn unknown_format_lists_the_possible_values() {
    let dir = tempfile::tempdir().unwrap();
    expect_cli_error(
        dir.path(),
        &["compare", "run.json", "--format", "html"],
        &[
            "'html'",
            "--format",
            "[possible values: text, json, csv, markdown, bmf]",
        ],
    );
}

#[test]
fn pull_request_number_that_is_not_a_number_names_the_option() {
    let dir = tempfile::tempdir().unwrap();
    expect_cli_error(
        dir.path(),
        &["report", "github", "c.json", "--pr", "forty-two"],
        &["'forty-two'", "--pr"],
    );
}

/// A budget of 0, -5 or NaN seconds would silently confirm nothing.
#[test]
fn confirm_budget_that_is_not_positive_names_the_option() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "-5", "nan"] {
        expect_cli_error(
            dir.path(),
            &["compare", "run.json", &format!("--confirm-budget={bad}")],
            &["--confirm-budget", "positive number of seconds"],
        );
    }
}

#[test]
fn out_that_is_a_directory_names_it() {
    let dir = tempfile::tempdir().unwrap();
    accepted(dir.path());
    std::fs::create_dir_all(dir.path().join("report")).unwrap();
    expect_cli_error(
        dir.path(),
        &["compare", "run.json", "--no-confirm", "--out", "report"],
        &["report", "Is a directory"],
    );
}

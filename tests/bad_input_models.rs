//! Bad input that reaches a real model, photo or runtime library, one case per
//! test: every failure exits 2 with one `error: ` line on stderr that names the
//! file or the key at fault, never panics, and never loses stored data. Through
//! the real binary: `run` on broken models, images, datasets, runtime libraries
//! and providers, and what a failed run leaves behind.
//!
//! The slow tier (`cargo test --features slow-tests`, after
//! scripts/setup-assets.sh). The cases that need no asset are `bad_input.rs`.
//! Each test writes its own files into a temp folder; a `run` case uses a single
//! model (mobilenet_v2) and `--quick`, so the whole file takes seconds. The cases
//! that really measure (CUDA fallback, second path failing) also set
//! `accuracy = false` to skip the 70-image accuracy pass.

mod common;

use std::path::{Path, PathBuf};

use common::{edit, expect_error, run_suite, suite_dir, with_device};
use serde_json::Value;

/// The real mobilenet_v2 model file of the assets.
fn mobilenet_file() -> PathBuf {
    common::assets().join("models/mobilenet_v2.onnx")
}

/// A one-device, one-model suite: the real mobilenet_v2 on the real photos.
fn good_suite() -> String {
    common::suite_text(&common::mobilenet(&mobilenet_file()), None)
}

/// `good_suite()` with `from` replaced by `to`.
fn good_with(from: &str, to: &str) -> String {
    edit(&good_suite(), from, to)
}

/// `good_suite()` with its `[[device]]` block extended by `lines`.
fn device_with(lines: &str) -> String {
    with_device(&good_suite(), lines)
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

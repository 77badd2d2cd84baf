//! Shared helpers for the integration tests: the repository root, the built
//! assets (scripts/setup-assets.sh), suites written into temp folders, the error
//! contract, and the git-repository fixture (`git_repo`).
//!
//! The helpers that reach the downloaded assets ([`assets`], [`cpu_runtime`],
//! [`suite_text`]) exist only with the `slow-tests` feature, so a test file of
//! the fast tier that calls one does not compile under plain `cargo test`: put
//! such a test in a slow-tier file (listed under `[[test]]` with
//! `required-features = ["slow-tests"]` in Cargo.toml; CONTRIBUTING.md).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tempfile::TempDir;

pub mod git_repo;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The asset folder; panics with the fix when the set-up has not run.
#[cfg(feature = "slow-tests")]
pub fn assets() -> PathBuf {
    let a = root().join(".edgeperf");
    assert!(
        a.join("models/mobilenet_v2.onnx").exists(),
        "assets missing: run scripts/setup-assets.sh (scripts/test.sh does it for you)"
    );
    a
}

/// The ONNX Runtime CPU library of the assets.
#[cfg(feature = "slow-tests")]
pub fn cpu_runtime() -> PathBuf {
    assets().join("runtime/onnxruntime-1.31.1/libonnxruntime.so.1.31.1")
}

pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("edgeperf").expect("edgeperf binary")
}

/// A suite with one CPU device and the given model entries (TOML), dataset = the
/// real photos unless `dataset` overrides it.
#[cfg(feature = "slow-tests")]
pub fn suite_text(models: &str, dataset: Option<&Path>) -> String {
    let a = assets();
    let ds = dataset
        .map(Path::to_path_buf)
        .unwrap_or_else(|| a.join("data/imagenet-samples"));
    suite_text_at(models, &ds, &cpu_runtime())
}

/// A suite with one CPU device running `runtime`, the given model entries
/// (TOML) and `dataset`, quick sampling: the files need not exist.
pub fn suite_text_at(models: &str, dataset: &Path, runtime: &Path) -> String {
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
[[device]]
name = "cpu"
runtime = "{rt}"
{models}"#,
        ds = dataset.display(),
        rt = runtime.display(),
    )
}

/// The head of a suite the end-to-end verdict tests share: short runs (2
/// rounds of at most 1.5 s) on 5 of the real photos. The device, model and
/// `[compare]` tables follow it.
#[cfg(feature = "slow-tests")]
pub fn short_suite_head() -> String {
    format!(
        r#"schema_version = 1
[sampling]
warmup = 3
samples = 100
rounds = 2
max_seconds = 1.5
min_samples = 10
[dataset]
root = "{}"
limit = 5
"#,
        assets().join("data/imagenet-samples").display()
    )
}

pub fn mobilenet(file: &Path) -> String {
    format!(
        r#"[[model]]
name = "mobilenet_v2"
file = "{}"
preprocess = {{ resize = 256, crop = 224, interpolation = "bilinear", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }}
"#,
        file.display()
    )
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs edgeperf and returns (exit code, stdout, stderr).
pub fn run(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = bin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run edgeperf");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts the error contract: exit 2, exactly one non-empty stderr line, no panic,
/// mentioning every `needle`.
pub fn assert_error(code: i32, stderr: &str, needles: &[&str]) {
    assert_eq!(code, 2, "expected exit 2, stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for n in needles {
        assert!(lines[0].contains(n), "error {:?} lacks {n:?}", lines[0]);
    }
}

/// Writes `text` as `suite.toml` into a new temp folder.
pub fn suite_dir(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", text);
    (dir, suite)
}

/// `edgeperf run --quick --suite <suite> [extra...]` in the suite's folder.
pub fn run_suite(suite: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["run", "--quick", "--suite", suite.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args, suite.parent().unwrap())
}

/// Runs the suite `text` and asserts the error contract with `needles`;
/// returns the line.
pub fn expect_error(text: &str, extra: &[&str], needles: &[&str]) -> String {
    let (_dir, suite) = suite_dir(text);
    let (code, _stdout, stderr) = run_suite(&suite, extra);
    assert_error(code, &stderr, needles);
    eprintln!("{}", stderr.trim()); // shown with --nocapture
    stderr.trim().to_string()
}

/// Replaces `from` (which must occur) in the suite `text`.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "suite text lacks {from:?}:\n{text}");
    text.replacen(from, to, 1)
}

/// The suite `text` with `device_lines` added to its `cpu` device.
pub fn with_device(text: &str, device_lines: &str) -> String {
    edit(
        text,
        "name = \"cpu\"\n",
        &format!("name = \"cpu\"\n{device_lines}\n"),
    )
}

/// Builds `source` (C) into the shared library `dir/name` with the system C
/// compiler (`cc`, which cargo needs to link anyway): fake runtimes whose
/// `OrtGetApiBase` hangs, crashes or reports an old version.
pub fn build_shared_library(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = write(dir, &format!("{name}.c"), source);
    let lib = dir.join(name);
    let out = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O0", "-o"])
        .arg(&lib)
        .arg(&src)
        .output()
        .expect("cc (the C compiler cargo links with) runs");
    assert!(
        out.status.success(),
        "cc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lib
}

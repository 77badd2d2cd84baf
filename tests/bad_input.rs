//! Bad input, one case per test, with no model, photo or runtime library: every
//! failure exits 2 with one `error: ` line on stderr that names the file or the
//! key at fault, never panics, and never loses stored data. Through the real
//! binary: `run` on broken suites (every validation of `suite/parse.rs` and
//! `suite/compare.rs`); `compare`, `baseline accept`, `history` and `report
//! github` on broken run records, baselines, history files and comparisons;
//! `--against` refs; command-line arguments.
//!
//! The fast tier (plain `cargo test`). The cases that load a real model, photos
//! or a runtime library are `bad_input_models.rs` (the slow tier).

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use common::git_repo::GitRepo;
use common::{edit, expect_error, run_suite, with_device};

/// The model file of `good_suite()`, relative to the suite.
const MODEL: &str = "models/mobilenet_v2.onnx";
/// The dataset folder of `good_suite()`, relative to the suite.
const DATASET: &str = "data/imagenet-samples";
/// The runtime library of `good_suite()`, relative to the suite.
const RUNTIME: &str = "runtime/libonnxruntime.so";

/// A one-device, one-model suite that validates: mobilenet_v2 on a dataset,
/// through a runtime library. None of the files it names exists, and none needs
/// to: every case here is refused while the suite is read, before any of them
/// is opened (a case that gets further would fail on a missing file instead,
/// and its needles would not match).
fn good_suite() -> String {
    common::suite_text_at(
        &common::mobilenet(Path::new(MODEL)),
        Path::new(DATASET),
        Path::new(RUNTIME),
    )
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
    format!("[[device]]\nname = \"cpu\"\nruntime = \"{RUNTIME}\"\n")
}

/// The model block of `good_suite()`.
fn model_block() -> String {
    common::mobilenet(Path::new(MODEL))
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
        edit(&good_suite(), &format!("file = \"{MODEL}\"\n"), "")
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
            &format!("[dataset]\nroot = \"{DATASET}\"\n"),
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
        b"{\"schema_version\": 3, \"paths\": []}",
        &["run record schema_version 3 is newer", "upgrade edgeperf"],
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

/// Accepts of three commits' runs in `dir`, then line 2 of the history broken.
fn broken_history(dir: &Path) -> PathBuf {
    accepted(dir);
    let mut commit = fixtures::HEAD_COMMIT.to_string();
    for i in 1..3 {
        // A commit's line replaces an earlier one of the same commit, so each
        // accept is of another commit.
        let f = dir.join("run.json");
        let text = std::fs::read_to_string(&f).unwrap();
        let next = fixtures::fake_commit(i);
        let text = text.replace(&commit, &next);
        commit = next;
        std::fs::write(&f, text).unwrap();
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
        &[
            "cannot list baselines",
            "no baselines folder",
            "baseline accept",
        ],
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

/// A repository in `dir` holding a complete run and its baseline, committed.
fn repository(dir: &Path) -> GitRepo {
    let repo = GitRepo::init(dir);
    accepted(dir);
    repo.commit_all("baselines");
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
    repo.commit_all_as_root("refs/heads/unrelated", "unrelated");
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

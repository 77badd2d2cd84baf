//! Snapshot tests for every output format edgeperf prints: the `run` table and
//! record JSON, `compare` as text (with and without colour), Markdown and JSON
//! (stdout and `--out`), `history` as text and JSON, the `report github --dry-run`
//! account (statuses and PR comment body), `baseline accept`'s lines and the shape
//! of `env --json`; and the exports of `--format csv|markdown|bmf` for `run`,
//! `compare` and `history` (and `env` as csv and Markdown, labels only). These are
//! product surface: a change to any of them shows up as a snapshot diff to review.
//!
//! The CLI outputs come from the real binary (`assert_cmd`) run in a temp folder
//! with relative paths, on the deterministic fixtures of `common/fixtures.rs`, and
//! with `--no-confirm` so nothing is measured. Snapshots live in
//! `tests/snapshots/output_formats__*.snap`; after an intended change, review and
//! accept them with `cargo insta review` (or `INSTA_UPDATE=always` and `git diff`).

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::collections::BTreeSet;
use std::path::Path;

use edgeperf::record::{PathRecord, RunRecord};
use edgeperf::suite::Provider;
use fixtures::{
    accuracy_top5, fell_back, first_wrong, history_lines, interleaved, level_shift_history,
    mixed_scenario, path_record, run_record, seeded_correct, synth_rounds, unit, write_baselines,
    write_history, write_json, BASE_COMMIT, HEAD_COMMIT,
};

/// Environment variables edgeperf reads; removed so the host's CI settings (a
/// GitHub Actions job summary, a runtime library, NO_COLOR) cannot leak in.
const ENV_READ: &[&str] = &[
    "GITHUB_TOKEN",
    "GITHUB_REPOSITORY",
    "GITHUB_API_URL",
    "GITHUB_EVENT_PATH",
    "GITHUB_SHA",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_SERVER_URL",
    "GITHUB_RUN_ID",
    "EDGEPERF_SITE_URL",
    "ORT_DYLIB_PATH",
    "NO_COLOR",
];

/// Runs edgeperf in `cwd` with a clean environment; (exit code, stdout, stderr).
fn edgeperf(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = common::bin();
    for k in ENV_READ {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run edgeperf");
    let (code, stdout, stderr) = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, stdout, stderr)
}

/// Runs a command line written as in a shell ("edgeperf compare head.json ..."),
/// split on spaces, in a clean environment; the line is also the description of
/// the snapshot it makes.
fn edgeperf_line(line: &str, cwd: &Path) -> (i32, String, String) {
    edgeperf_line_env(line, cwd, &[])
}

/// [`edgeperf_line`] with extra environment variables.
fn edgeperf_line_env(line: &str, cwd: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let args: Vec<&str> = line
        .strip_prefix("edgeperf ")
        .expect("a command line starting with edgeperf")
        .split(' ')
        .collect();
    edgeperf(&args, cwd, env)
}

/// Asserts the snapshot `name`, with the command that made it as its description.
macro_rules! snap {
    ($name:expr, $command:expr, $value:expr) => {
        insta::with_settings!({ description => $command, omit_expression => true }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// ANSI escapes made visible: ESC written as `\x1b`.
fn visible_escapes(s: &str) -> String {
    s.replace('\x1b', "\\x1b")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---------------------------------------------------------------------------
// edgeperf run
// ---------------------------------------------------------------------------

/// A run of three paths: an accuracy model on cpu (54/70 right in top-1, 65/70 in
/// top-5), the same model on a device that fell back from OpenVINO to the CPU
/// provider, and a latency-only model.
fn run_fixture() -> RunRecord {
    let top1 = seeded_correct(70, 0.75, 7);
    let top5: Vec<bool> = (0..70).map(|i| top1[i] || unit(i, 8) < 0.6).collect();
    let with_accuracy = |mut p: PathRecord| {
        p.accuracy = Some(accuracy_top5(&top1, &top5));
        p
    };
    run_record(
        vec![
            with_accuracy(path_record(
                "cpu",
                "mobilenet_v2",
                Provider::Cpu,
                &synth_rounds(9.6, 3, 60),
                None,
            )),
            with_accuracy(fell_back(
                path_record(
                    "openvino-cpu",
                    "mobilenet_v2",
                    Provider::Cpu,
                    &synth_rounds(11.2, 3, 60),
                    None,
                ),
                Provider::Openvino,
                "OpenVINO execution provider not available in this ONNX Runtime build",
            )),
            path_record(
                "cpu",
                "resnet50_random",
                Provider::Cpu,
                &synth_rounds(48.0, 3, 60),
                None,
            ),
        ],
        HEAD_COMMIT,
        true,
    )
}

/// `edgeperf run` (text): the table it prints (it needs ONNX Runtime to measure,
/// so this renders a fixture record through the same function).
#[test]
fn run_table() {
    snap!(
        "run_table",
        "edgeperf run (report::run_table on a fixture record)",
        edgeperf::report::run_table(&run_fixture())
    );
}

/// `edgeperf run --format json`: the run record schema (docs/RECORD.md) on a
/// small record: one round of five samples, three images.
#[test]
fn run_json_record() {
    let record = run_record(
        vec![path_record(
            "cpu",
            "mobilenet_v2",
            Provider::Cpu,
            &[vec![9.5, 9.25, 9.75, 10.0, 9.5]],
            Some(&[true, false, true]),
        )],
        HEAD_COMMIT,
        true,
    );
    // What `commands::run` prints for --format json.
    let json = serde_json::to_string_pretty(&record).unwrap() + "\n";
    snap!(
        "run_json_record",
        "edgeperf run --format json (a fixture record)",
        json
    );
}

/// `edgeperf run --format csv|markdown|bmf`: the exports of the run table's
/// fixture (rendered through the exporter `commands::run` picks).
#[test]
fn run_exports() {
    use edgeperf::report::export::{exporter, Format, Options};
    let record = run_fixture();
    for (format, name) in [
        (Format::Csv, "csv"),
        (Format::Markdown, "markdown"),
        (Format::Bmf, "bmf"),
    ] {
        let out = exporter(format, Options::default()).run(&record).unwrap();
        snap!(
            format!("run_{name}"),
            format!("edgeperf run --format {name} (a fixture record)"),
            out
        );
    }
}

// ---------------------------------------------------------------------------
// edgeperf compare
// ---------------------------------------------------------------------------

/// Writes `baselines/` and `head.json`: five paths on cpu, one per status:
/// mobilenet_v2 unchanged, resnet18 losing 20 of 70 images from top-1 and 8
/// from top-5 (regressed),
/// squeezenet 5.6% slower (suspect, inconclusive without confirmation),
/// efficientnet_lite0 10% faster on a newer onnxruntime (improved, with a note),
/// shufflenet_v2 without a baseline (new).
fn every_status_scenario(d: &Path) {
    let all = [true; 70];
    let base = run_record(
        vec![
            path_record(
                "cpu",
                "mobilenet_v2",
                Provider::Cpu,
                &synth_rounds(9.0, 3, 60),
                Some(&all),
            ),
            path_record(
                "cpu",
                "resnet18",
                Provider::Cpu,
                &synth_rounds(20.0, 3, 60),
                Some(&all),
            ),
            path_record(
                "cpu",
                "squeezenet",
                Provider::Cpu,
                &synth_rounds(9.0, 3, 60),
                None,
            ),
            path_record(
                "cpu",
                "efficientnet_lite0",
                Provider::Cpu,
                &synth_rounds(12.0, 3, 60),
                Some(&all),
            ),
        ],
        BASE_COMMIT,
        true,
    );
    write_baselines(&d.join("baselines"), &base);
    let mut faster = path_record(
        "cpu",
        "efficientnet_lite0",
        Provider::Cpu,
        &synth_rounds(10.8, 3, 60),
        Some(&all),
    );
    faster.runtime.version = "1.32.0".into();
    // 20 images fall out of top-1; 12 of them stay in the top five.
    let mut resnet18_head = path_record(
        "cpu",
        "resnet18",
        Provider::Cpu,
        &synth_rounds(20.0, 3, 60),
        None,
    );
    resnet18_head.accuracy = Some(accuracy_top5(&first_wrong(70, 20), &first_wrong(70, 8)));
    let head = run_record(
        vec![
            path_record(
                "cpu",
                "mobilenet_v2",
                Provider::Cpu,
                &synth_rounds(9.05, 3, 60),
                Some(&all),
            ),
            resnet18_head,
            path_record(
                "cpu",
                "squeezenet",
                Provider::Cpu,
                &synth_rounds(9.5, 3, 60),
                None,
            ),
            faster,
            path_record(
                "cpu",
                "shufflenet_v2",
                Provider::Cpu,
                &synth_rounds(7.0, 3, 60),
                None,
            ),
        ],
        HEAD_COMMIT,
        true,
    );
    write_json(&d.join("head.json"), &head);
}

#[test]
fn compare_text_color_never() {
    let d = tmp();
    every_status_scenario(d.path());
    let cmd = "edgeperf compare head.json --no-confirm --format text --color never";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    // `--color auto` (the default) does not colour a pipe, as stdout is here.
    let auto = edgeperf_line("edgeperf compare head.json --no-confirm", d.path());
    assert_eq!(auto.1, out, "auto coloured a pipe");
    snap!("compare_text", cmd, out);
}

#[test]
fn compare_text_color_always() {
    let d = tmp();
    every_status_scenario(d.path());
    let cmd = "edgeperf compare head.json --no-confirm --format text --color always";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 1, "{err}");
    assert!(out.contains('\x1b'), "{out}");
    snap!(
        "compare_text_color",
        format!("{cmd} (ESC shown as \\x1b)"),
        visible_escapes(&out)
    );
}

/// Markdown of every status.
#[test]
fn compare_markdown_every_status() {
    let d = tmp();
    every_status_scenario(d.path());
    let cmd = "edgeperf compare head.json --no-confirm --format markdown";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 1, "{err}");
    snap!("compare_markdown_every_status", cmd, out);
}

#[test]
fn compare_json_stdout() {
    let d = tmp();
    every_status_scenario(d.path());
    let cmd = "edgeperf compare head.json --no-confirm --format json";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    snap!("compare_json", cmd, out);
}

/// `--out FILE` writes the report to the file (here the four-path scenario of
/// compare_cli.rs, with a provider guard) and prints one summary line on stderr.
#[test]
fn compare_json_out_file() {
    let d = tmp();
    mixed_scenario(d.path());
    let cmd = "edgeperf compare head.json --no-confirm --format json --out cmp.json";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    let file = std::fs::read_to_string(d.path().join("cmp.json")).unwrap();
    // The file holds exactly what stdout gets without --out.
    let (_, stdout, _) = edgeperf_line(
        "edgeperf compare head.json --no-confirm --format json",
        d.path(),
    );
    assert_eq!(file, stdout);
    snap!("compare_json_out_file", format!("{cmd}: cmp.json"), file);
    snap!("compare_json_out_stderr", format!("{cmd}: stderr"), err);
}

#[test]
fn compare_exports() {
    let d = tmp();
    every_status_scenario(d.path());
    for name in ["csv", "bmf"] {
        let cmd = format!("edgeperf compare head.json --no-confirm --format {name}");
        let (code, out, err) = edgeperf_line(&cmd, d.path());
        assert_eq!(code, 1, "{err}");
        assert!(err.is_empty(), "{err}");
        snap!(format!("compare_{name}"), cmd, out);
    }
}

/// With the dashboard's address known, the Markdown (the PR comment) links
/// each model to its page.
#[test]
fn compare_markdown_with_site_links() {
    let d = tmp();
    mixed_scenario(d.path());
    let cmd = "edgeperf compare head.json --no-confirm --format markdown";
    let (code, out, err) = edgeperf_line_env(
        cmd,
        d.path(),
        &[("EDGEPERF_SITE_URL", "https://edgeperf-org.github.io/demo/")],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out.matches("](https://edgeperf-org.github.io/demo/paths/cpu/")
            .count(),
        4,
        "{out}"
    );
    snap!(
        "compare_markdown_site_links",
        format!("EDGEPERF_SITE_URL=https://edgeperf-org.github.io/demo/ {cmd}"),
        out
    );
}

// ---------------------------------------------------------------------------
// edgeperf history
// ---------------------------------------------------------------------------

/// 12 accepted baselines of cpu/mobilenet_v2; latency moves from 9 to 10 ms at
/// entry 6.
fn history_fixture(d: &Path) {
    write_history(
        &d.join("baselines"),
        "cpu",
        "mobilenet_v2",
        &history_lines(&level_shift_history(12, 6)),
    );
}

#[test]
fn history_text() {
    let d = tmp();
    history_fixture(d.path());
    let cmd = "edgeperf history";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(out.matches("paired step: slower").count(), 1, "{out}");
    snap!("history_text", cmd, out);
}

#[test]
fn history_json() {
    let d = tmp();
    history_fixture(d.path());
    let cmd = "edgeperf history --format json";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    snap!("history_json", cmd, out);
}

/// The history exports, on a history with every field the dashboard draws
/// (pooled p10, mean, threads, cold start, a runtime change, a level change).
#[test]
fn history_exports() {
    let d = tmp();
    write_history(
        &d.path().join("baselines"),
        "cpu",
        "mobilenet_v2",
        &history_lines(&fixtures::dashboard_history(9, 9.0, Some(0.75))),
    );
    for name in ["csv", "markdown", "bmf"] {
        let cmd = format!("edgeperf history --format {name}");
        let (code, out, err) = edgeperf_line(&cmd, d.path());
        assert_eq!(code, 0, "{err}");
        assert!(err.is_empty(), "{err}");
        snap!(format!("history_{name}"), cmd, out);
    }
}

// ---------------------------------------------------------------------------
// edgeperf report github --dry-run
// ---------------------------------------------------------------------------

/// Two device jobs, cpu (mobilenet_v2 with accuracy, latency-only squeezenet)
/// and rpi4 (mobilenet_v2): writes their baselines and each device's
/// comparison `compare-<device>.json`, as the CI jobs do, judged with every
/// path re-measured in unchanged paired rounds (the judging functions on
/// synthetic rounds: nothing is measured). On cpu, mobilenet_v2 loses
/// `cpu_lost` of 70 images.
fn fleet(d: &Path, cpu_lost: usize) {
    let all = [true; 70];
    let cpu = |correct: &[bool]| {
        vec![
            path_record(
                "cpu",
                "mobilenet_v2",
                Provider::Cpu,
                &synth_rounds(9.0, 3, 60),
                Some(correct),
            ),
            path_record(
                "cpu",
                "squeezenet",
                Provider::Cpu,
                &synth_rounds(6.0, 3, 60),
                None,
            ),
        ]
    };
    let rpi4 = vec![path_record(
        "rpi4",
        "mobilenet_v2",
        Provider::Cpu,
        &synth_rounds(42.0, 3, 60),
        Some(&all),
    )];
    write_baselines(
        &d.join("baselines"),
        &run_record(cpu(&all), BASE_COMMIT, true),
    );
    write_baselines(
        &d.join("baselines"),
        &run_record(rpi4.clone(), BASE_COMMIT, true),
    );
    let lost = first_wrong(70, cpu_lost);
    write_json(
        &d.join("head-cpu.json"),
        &run_record(cpu(&lost), HEAD_COMMIT, true),
    );
    write_json(
        &d.join("head-rpi4.json"),
        &run_record(rpi4, HEAD_COMMIT, true),
    );
    for dev in ["cpu", "rpi4"] {
        let head = edgeperf::store::load_run(&d.join(format!("head-{dev}.json"))).unwrap();
        let c = edgeperf::compare::judge_run(
            &head,
            &format!("head-{dev}.json"),
            "baselines",
            &edgeperf::suite::CompareConfig::default(),
            |p| edgeperf::store::baselines::load(&d.join("baselines"), &p.device, &p.model),
            |_, _, _| {
                Ok(edgeperf::compare::Remeasure::Measured(interleaved(
                    1.0, 6, false,
                )))
            },
        )
        .unwrap();
        write_json(&d.join(format!("compare-{dev}.json")), &c);
    }
}

const REPOSITORY: (&str, &str) = ("GITHUB_REPOSITORY", "edgeperf-org/edgeperf-demo");

/// `report github FILES --dry-run` for a fixed repository, PR and sha, expecting
/// both devices; returns (exit code, stdout, the command line). Stdout is the
/// statuses it would set and the comment body it would upsert.
fn report_dry_run(d: &Path, files: &str) -> (i32, String, String) {
    let line = format!(
        "edgeperf report github {files} --expect-device cpu --expect-device rpi4 --pr 42 --sha {HEAD_COMMIT} --dry-run"
    );
    let (code, out, err) = edgeperf_line_env(&line, d, &[REPOSITORY]);
    assert!(err.is_empty(), "{err}");
    (
        code,
        out,
        format!("{}={} {line}", REPOSITORY.0, REPOSITORY.1),
    )
}

#[test]
fn report_github_dry_run_all_unchanged() {
    let d = tmp();
    fleet(d.path(), 0);
    let (code, out, cmd) = report_dry_run(d.path(), "compare-cpu.json compare-rpi4.json");
    assert_eq!(code, 0);
    snap!("report_github_all_unchanged", cmd, out);
}

#[test]
fn report_github_dry_run_one_regression() {
    let d = tmp();
    fleet(d.path(), 20);
    let (code, out, cmd) = report_dry_run(d.path(), "compare-cpu.json compare-rpi4.json");
    assert_eq!(code, 1);
    snap!("report_github_one_regression", cmd, out);
}

#[test]
fn report_github_dry_run_device_missing() {
    let d = tmp();
    fleet(d.path(), 0);
    let (code, out, cmd) = report_dry_run(d.path(), "compare-cpu.json");
    assert_eq!(code, 1, "a device without a result fails");
    snap!("report_github_device_missing", cmd, out);
}

// ---------------------------------------------------------------------------
// edgeperf baseline accept
// ---------------------------------------------------------------------------

#[test]
fn baseline_accept_stderr() {
    let d = tmp();
    write_json(&d.path().join("run.json"), &run_fixture());
    let cmd = "edgeperf baseline accept run.json --baselines bl";
    let (code, out, err) = edgeperf_line(cmd, d.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    snap!("baseline_accept_stderr", format!("{cmd}: stderr"), err);
}

// ---------------------------------------------------------------------------
// edgeperf env
// ---------------------------------------------------------------------------

/// A folder that is a git repository with one commit and a suite of two devices:
/// cpu with a runtime library that does not exist, rpi4 with none configured.
fn env_fixture(d: &Path) {
    common::git_repo::GitRepo::init(d).commit_all("init");
    common::write(
        d,
        "edgeperf.toml",
        r#"schema_version = 1
[[device]]
name = "cpu"
provider = "cpu"
runtime = "runtime/libonnxruntime.so"
[[device]]
name = "rpi4"
provider = "cpu"
[[model]]
name = "mobilenet_v2"
file = "models/mobilenet_v2.onnx"
accuracy = false
preprocess = { resize = 256, crop = 224 }
"#,
    );
}

/// Every leaf of `v` as `path: type`, array elements as `[]` (the values depend on
/// the machine and the clock; the keys and types are the contract).
fn json_shape(v: &serde_json::Value, path: &str, out: &mut BTreeSet<String>) {
    use serde_json::Value;
    let leaf = |t: &str| format!("{}: {t}", if path.is_empty() { "." } else { path });
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                json_shape(x, &p, out);
            }
        }
        Value::Array(a) if a.is_empty() => {
            out.insert(leaf("[]"));
        }
        Value::Array(a) => {
            for x in a {
                json_shape(x, &format!("{path}[]"), out);
            }
        }
        Value::Null => {
            out.insert(leaf("null"));
        }
        Value::Bool(_) => {
            out.insert(leaf("bool"));
        }
        Value::Number(_) => {
            out.insert(leaf("number"));
        }
        Value::String(_) => {
            out.insert(leaf("string"));
        }
    }
}

#[test]
fn env_json_shape() {
    let d = tmp();
    env_fixture(d.path());
    let (code, out, err) = edgeperf_line("edgeperf env --json", d.path());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut shape = BTreeSet::new();
    json_shape(&v, "", &mut shape);
    let shape: Vec<String> = shape.into_iter().collect();
    snap!(
        "env_json_shape",
        "edgeperf env --json: every key with its value's type",
        shape.join("\n")
    );
}

#[test]
fn env_text_labels() {
    let d = tmp();
    env_fixture(d.path());
    let (code, out, err) = edgeperf_line("edgeperf env", d.path());
    assert_eq!(code, 0, "{err}");
    let labels: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    snap!(
        "env_text_labels",
        "edgeperf env: the label of each line (values depend on the machine)",
        labels.join("\n")
    );
}

/// `env --format csv|markdown`: the first column (the values depend on the
/// machine); `--json` and `--format json` print the same document; bmf is
/// refused in one line.
#[test]
fn env_exports() {
    let d = tmp();
    env_fixture(d.path());
    let (code, csv, err) = edgeperf_line("edgeperf env --format csv", d.path());
    assert_eq!(code, 0, "{err}");
    let (_, md, _) = edgeperf_line("edgeperf env --format markdown", d.path());
    let first_column = |text: &str, sep: char| {
        text.lines()
            .map(|l| {
                l.trim_start_matches('|')
                    .split(sep)
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    snap!(
        "env_csv_fields",
        "edgeperf env --format csv: the first column",
        first_column(&csv, ',')
    );
    snap!(
        "env_markdown_labels",
        "edgeperf env --format markdown: the first column",
        first_column(&md, '|')
    );
    let (_, a, _) = edgeperf_line("edgeperf env --json", d.path());
    let (_, b, _) = edgeperf_line("edgeperf env --format json", d.path());
    let shape = |t: &str| {
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        let mut s = BTreeSet::new();
        json_shape(&v, "", &mut s);
        s
    };
    assert_eq!(shape(&a), shape(&b));
    let (code, out, err) = edgeperf_line("edgeperf env --format bmf", d.path());
    assert!(out.is_empty());
    common::assert_error(code, &err, &["--format bmf", "env"]);
}

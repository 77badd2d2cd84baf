//! Device state on fake system trees (issue 19), with no downloaded asset:
//! the fake runner (`tests/fixtures/runners/fake_runner.py`, plain python3)
//! stands in for the runtime and `tests/fixtures/sysroot/*` for the board
//! (`EDGEPERF_SYSROOT`, `doctor --sysroot`):
//!
//! * a Raspberry Pi that throttles mid-run: `run` names the rounds, `compare`
//!   makes the path inconclusive (or fails it with `on_throttle = "fail"`);
//! * a Jetson Nano in 5 W mode, a CPU on the powersave governor: `doctor` and
//!   `run` name them when the suite's `[device.state]` asks otherwise;
//! * a machine where none of the files exist: everything is absent, said so;
//! * the runner's own memory (reported, its process tree, not measured);
//! * a class-stratified `dataset.limit` whose subset change is named.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

/// Environment variables a developer's or CI's shell may set that change what
/// these commands do.
const ENV_CLEARED: &[&str] = &[
    "EDGEPERF_SYSROOT",
    "FAKE_RUNNER_THROTTLE",
    "GITHUB_ACTIONS",
    "RUNNER_ENVIRONMENT",
    "EDGEPERF_RUNNER_HOOK",
    "NO_COLOR",
];

fn tree(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/sysroot").join(name)
}

fn fake_runner() -> PathBuf {
    common::root().join("tests/fixtures/runners/fake_runner.py")
}

/// Copies a fake tree into `to` (the throttling runner writes into it).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Runs edgeperf in `cwd` with `env` on a cleared environment; (code, stdout, stderr).
fn edgeperf(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = common::bin();
    for k in ENV_CLEARED {
        cmd.env_remove(k);
    }
    cmd.env("EDGEPERF_ARTIFACTS", "off");
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

/// A suite in a new folder: device `device` runs the fake runner in `mode`,
/// with `state` (the lines of its `[device.state]`, may be empty), and one
/// latency-only model (a file the fake runner never reads).
fn suite(device: &str, mode: &str, state: &str, rounds: u32) -> TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("m.onnx"), b"not read by the fake runner").unwrap();
    let state = if state.is_empty() {
        String::new()
    } else {
        format!("[device.state]\n{state}\n")
    };
    let text = format!(
        r#"schema_version = 1
[sampling]
warmup = 1
samples = 5
rounds = {rounds}
max_seconds = 1
min_samples = 1
[[device]]
name = "{device}"
runtime_kind = "external"
command = ["python3", "{runner}", "{mode}"]
provider = "cpu"
{state}
[[model]]
name = "m"
file = "m.onnx"
accuracy = false
preprocess = {{ resize = 8, crop = 8 }}
"#,
        runner = fake_runner().display()
    );
    std::fs::write(d.path().join("suite.toml"), text).unwrap();
    d
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn read_json(path: &Path) -> Value {
    json(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn a_pi_that_throttles_mid_run_is_named_by_run_and_makes_compare_inconclusive() {
    let d = suite("rpi4", "ok", "", 3);
    let pi = d.path().join("pi");
    copy_tree(&tree("rpi4"), &pi);
    let root = pi.display().to_string();
    let env = [("EDGEPERF_SYSROOT", root.as_str())];
    let (code, out, err) = edgeperf(
        &["run", "--suite", "suite.toml", "--out", "base.json"],
        d.path(),
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("device state: 48.3 °C (cpu-thermal) · ondemand 1500 MHz · Pi throttle flags clear · absent: Jetson power mode, devfreq clocks, EMC clock\n"),
        "{out}"
    );
    assert!(!out.contains("device problems"), "{out}");
    let (code, _, err) = edgeperf(&["baseline", "accept", "base.json"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");

    // The runner of round 2 heats the tree: under-voltage, throttled, 85 °C.
    let throttle = format!("{root} 2");
    let env = [
        ("EDGEPERF_SYSROOT", root.as_str()),
        ("FAKE_RUNNER_THROTTLE", throttle.as_str()),
    ];
    let (code, out, err) = edgeperf(
        &["run", "--suite", "suite.toml", "--out", "head.json"],
        d.path(),
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("  rpi4/m: device problems in rounds 2, 3 of 3: Pi firmware: under-voltage, throttled\n"),
        "{out}"
    );
    assert!(out.contains("48.3-85.0 °C (cpu-thermal)"), "{out}");
    let head = read_json(&d.path().join("head.json"));
    assert_eq!(head["schema_version"], 2);
    let rounds = head["paths"][0]["rounds"].as_array().unwrap();
    let samples = |i: usize| rounds[i]["device"]["samples"].as_array().unwrap().clone();
    assert_eq!(samples(0).last().unwrap()["throttled"], 0);
    assert_eq!(samples(1)[0]["throttled"], 0, "round 2 began cool");
    assert_eq!(samples(1).last().unwrap()["throttled"], 0x5_0005);
    assert_eq!(rounds[0]["device"].get("problems"), None);

    let (code, out, err) = edgeperf(
        &[
            "compare",
            "head.json",
            "--suite",
            "suite.toml",
            "--no-confirm",
            "--format",
            "json",
        ],
        d.path(),
        &[],
    );
    assert_eq!(code, 0, "inconclusive is not a failure: {err}");
    let p = &json(&out)["paths"][0];
    assert_eq!(p["status"], "inconclusive", "{p}");
    let reason = p["latency"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "device throttled (head rounds 2, 3 of 3: Pi firmware: under-voltage, throttled)"
        ),
        "{reason}"
    );
    let (_, text, _) = edgeperf(
        &[
            "compare",
            "head.json",
            "--suite",
            "suite.toml",
            "--no-confirm",
        ],
        d.path(),
        &[],
    );
    assert!(
        text.contains("device throttled (head rounds 2, 3 of 3"),
        "{text}"
    );

    // With on_throttle = "fail" the same rounds fail the path.
    let strict = std::fs::read_to_string(d.path().join("suite.toml"))
        .unwrap()
        .replace(
            "provider = \"cpu\"\n",
            "provider = \"cpu\"\n[device.state]\non_throttle = \"fail\"\n",
        );
    std::fs::write(d.path().join("strict.toml"), strict).unwrap();
    let (code, out, _) = edgeperf(
        &[
            "compare",
            "head.json",
            "--suite",
            "strict.toml",
            "--no-confirm",
            "--format",
            "json",
        ],
        d.path(),
        &[],
    );
    assert_eq!(code, 1);
    let p = &json(&out)["paths"][0];
    assert_eq!(p["status"], "regressed");
    assert!(
        p["guards"][0]
            .as_str()
            .unwrap()
            .starts_with("device throttled (head rounds 2, 3 of 3"),
        "{p}"
    );
}

#[test]
fn a_jetson_in_5w_mode_is_a_problem_for_doctor_and_run_when_the_suite_wants_maxn() {
    let d = suite("jetson-nano", "ok", "power_mode = \"MAXN\"", 1);
    let jetson = tree("jetson-nano-5w").display().to_string();
    let (code, out, err) = edgeperf(
        &[
            "doctor",
            "--suite",
            "suite.toml",
            "--sysroot",
            &jetson,
            "--format",
            "json",
        ],
        d.path(),
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    let r = json(&out);
    assert_eq!(r["ready"], false);
    let check = |name: &str| -> Value {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}: {r}"))
    };
    assert_eq!(check("power mode")["status"], "problem");
    assert_eq!(
        check("power mode")["detail"],
        "5W (mode 1) (its [device.state] requires MAXN)"
    );
    assert_eq!(
        check("provider")["status"],
        "ok",
        "the fake runner's session registers"
    );
    assert_eq!(
        check("temperature")["detail"],
        "41.5 °C (CPU-therm), the hottest zone",
        "PMIC-Die's placeholder 100 °C is not a temperature"
    );

    let env = [("EDGEPERF_SYSROOT", jetson.as_str())];
    let (code, out, err) = edgeperf(
        &["run", "--suite", "suite.toml", "--out", "run.json"],
        d.path(),
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("power mode 5W (mode 1)"), "{out}");
    assert!(
        out.contains("  jetson-nano/m: device problems in round 1 of 1: power mode 5W (mode 1) (expected MAXN)\n"),
        "{out}"
    );
    let sample =
        &read_json(&d.path().join("run.json"))["paths"][0]["rounds"][0]["device"]["samples"][0];
    assert_eq!(sample["power_mode"]["name"], "5W");
    assert_eq!(sample["devfreq"][0]["name"], "57000000.gpu");
    assert_eq!(sample["devfreq"][0]["cur_mhz"], 640.0);
}

#[test]
fn a_cpu_on_powersave_fails_doctor_and_flags_the_rounds_when_the_suite_wants_performance() {
    let d = suite("laptop", "ok", "governor = \"performance\"", 2);
    let powersave = tree("powersave").display().to_string();
    let (code, out, _) = edgeperf(
        &["doctor", "--suite", "suite.toml", "--sysroot", &powersave],
        d.path(),
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("problem  governor laptop"), "{out}");
    assert!(
        out.contains(
            "policy0 powersave, policy1 powersave (its [device.state] requires performance)"
        ),
        "{out}"
    );
    assert!(out.contains("fix: echo performance | sudo tee"), "{out}");
    assert!(out.contains("\nnot ready: 1 problem"), "{out}");

    let env = [("EDGEPERF_SYSROOT", powersave.as_str())];
    let (code, out, err) = edgeperf(
        &["run", "--suite", "suite.toml", "--out", "run.json"],
        d.path(),
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("45.0 °C (x86_pkg_temp) · powersave 800 MHz"),
        "{out}"
    );
    assert!(
        out.contains("  laptop/m: device problems in rounds 1, 2 of 2: governor powersave (expected performance)\n"),
        "{out}"
    );
    // Without the suite's requirement the governor is recorded, and only a warning.
    let free = suite("laptop", "ok", "", 1);
    let (code, out, _) = edgeperf(
        &["doctor", "--suite", "suite.toml", "--sysroot", &powersave],
        free.path(),
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warn     governor"), "{out}");
}

#[test]
fn a_machine_without_any_of_the_files_reports_every_source_absent() {
    let d = suite("vm", "ok", "", 1);
    let empty = tree("empty").display().to_string();
    let env = [("EDGEPERF_SYSROOT", empty.as_str())];
    let (code, out, err) = edgeperf(
        &["run", "--suite", "suite.toml", "--out", "run.json"],
        d.path(),
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("device state: no source readable on this machine (absent: thermal zones, cpufreq, Pi throttle flags, Jetson power mode, devfreq clocks, EMC clock, cooling devices)\n"),
        "{out}"
    );
    let state = &read_json(&d.path().join("run.json"))["paths"][0]["rounds"][0]["device"];
    assert_eq!(state["absent"].as_array().unwrap().len(), 7, "{state}");
    for s in state["samples"].as_array().unwrap() {
        assert_eq!(
            s.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["t_s"],
            "nothing invented: {s}"
        );
    }
    let (code, out, _) = edgeperf(
        &[
            "doctor",
            "--suite",
            "suite.toml",
            "--sysroot",
            &empty,
            "--format",
            "json",
        ],
        d.path(),
        &[],
    );
    assert_eq!(code, 0, "absent sources are not problems: {out}");
    let r = json(&out);
    let checks: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(
        !checks.contains(&"memory") && !checks.contains(&"governor"),
        "{checks:?}"
    );
    // A suite that requires a governor cannot be satisfied here, and says so.
    let strict = suite("vm", "ok", "governor = \"performance\"\nmax_temp_c = 80", 1);
    let (code, out, _) = edgeperf(
        &["doctor", "--suite", "suite.toml", "--sysroot", &empty],
        strict.path(),
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no cpufreq here: cannot check the governor performance"),
        "{out}"
    );
    assert!(out.contains("no watched thermal zone here"), "{out}");
}

#[test]
fn an_external_path_measures_the_runners_memory_or_says_it_cannot() {
    let memory = |mode: &str| -> (Value, String) {
        let d = suite("npu", mode, "", 1);
        let (code, out, err) = edgeperf(
            &["run", "--suite", "suite.toml", "--out", "run.json"],
            d.path(),
            &[],
        );
        assert_eq!(code, 0, "{mode}: {err}");
        (
            read_json(&d.path().join("run.json"))["paths"][0]["rounds"][0].clone(),
            out,
        )
    };
    let (r, _) = memory("reports-memory");
    assert_eq!(
        (r["peak_rss_mb"].as_f64(), r["peak_rss_of"].as_str()),
        (Some(123.5), Some("runner-reported"))
    );
    let (r, _) = memory("ok");
    assert_eq!(r["peak_rss_of"], "runner", "{r}");
    let mb = r["peak_rss_mb"].as_f64().unwrap();
    assert!(
        mb > 2.0 && mb < 500.0,
        "python3's own peak, not edgeperf's: {mb}"
    );
    let (r, out) = memory("remote");
    assert_eq!(r["peak_rss_of"], "not-measured");
    assert!(r.get("peak_rss_mb").is_none(), "never a wrong figure: {r}");
    assert!(
        out.contains(
            "  npu/m: memory not measured (the runner runs the model outside its process tree"
        ),
        "{out}"
    );

    // compare: a run that cannot measure memory says so instead of judging it.
    let d = suite("npu", "reports-memory", "", 2);
    assert_eq!(
        edgeperf(
            &["run", "--suite", "suite.toml", "--out", "base.json"],
            d.path(),
            &[]
        )
        .0,
        0
    );
    assert_eq!(
        edgeperf(&["baseline", "accept", "base.json"], d.path(), &[]).0,
        0
    );
    let remote = std::fs::read_to_string(d.path().join("suite.toml"))
        .unwrap()
        .replace("\"reports-memory\"", "\"remote\"");
    std::fs::write(d.path().join("suite.toml"), remote).unwrap();
    assert_eq!(
        edgeperf(
            &["run", "--suite", "suite.toml", "--out", "head.json"],
            d.path(),
            &[]
        )
        .0,
        0
    );
    let (_, out, err) = edgeperf(
        &[
            "compare",
            "head.json",
            "--suite",
            "suite.toml",
            "--no-confirm",
            "--format",
            "json",
        ],
        d.path(),
        &[],
    );
    let p = &json(&out)["paths"][0];
    assert!(
        p.get("resources").is_none_or(|r| !r
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["what"] == "memory")),
        "{p} {err}"
    );
    assert!(
        p["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("memory not measured")),
        "{p}"
    );

    // A runner that reports a figure that is not one is refused by line.
    let d = suite("npu", "bad-memory", "", 1);
    let (code, _, err) = edgeperf(
        &["run", "--suite", "suite.toml", "--out", "run.json"],
        d.path(),
        &[],
    );
    common::assert_error(code, &err, &["npu", "peak_rss_mb", "non-negative"]);
}

/// A dataset of `classes` x `per_class` tiny PNGs in `dir/photos`.
fn photos(dir: &Path, classes: u32, per_class: u32) {
    for c in 0..classes {
        let folder = dir.join("photos").join(c.to_string());
        std::fs::create_dir_all(&folder).unwrap();
        for i in 0..per_class {
            let img = image::RgbImage::from_fn(8, 8, |x, y| {
                image::Rgb([(x * 30) as u8, (y * 30) as u8, (c * 20 + i) as u8])
            });
            img.save(folder.join(format!("{i}.png"))).unwrap();
        }
    }
}

#[test]
fn a_limit_is_a_stratified_subset_and_a_changed_subset_is_not_compared() {
    let d = suite("npu", "ok", "", 1);
    photos(d.path(), 10, 4);
    let with = |seed: u32| {
        std::fs::read_to_string(d.path().join("suite.toml"))
            .unwrap()
            .replace("accuracy = false", "accuracy = true")
            .replace(
                "[[device]]",
                &format!("[dataset]\nroot = \"photos\"\nlimit = 10\nseed = {seed}\n[[device]]"),
            )
    };
    std::fs::write(d.path().join("s0.toml"), with(0)).unwrap();
    std::fs::write(d.path().join("s1.toml"), with(1)).unwrap();
    let (code, _, err) = edgeperf(
        &["run", "--suite", "s0.toml", "--out", "base.json"],
        d.path(),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let base = read_json(&d.path().join("base.json"));
    let ds = &base["dataset"];
    assert_eq!(ds["images"], 10);
    assert_eq!(
        ds["subset"],
        json(r#"{"limit": 10, "seed": 0, "of_images": 40, "classes": 10}"#)
    );
    assert_eq!(ds["images_sha256"].as_str().unwrap().len(), 64);
    let labels: std::collections::BTreeSet<u64> = base["paths"][0]["accuracy"]["per_image"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["label"].as_u64().unwrap())
        .collect();
    assert_eq!(
        labels.len(),
        10,
        "one image of every class, not the first 10 of class 0-2"
    );
    assert_eq!(
        edgeperf(&["baseline", "accept", "base.json"], d.path(), &[]).0,
        0
    );

    // The same subset again compares; another seed's subset does not.
    assert_eq!(
        edgeperf(
            &["run", "--suite", "s0.toml", "--out", "same.json"],
            d.path(),
            &[]
        )
        .0,
        0
    );
    let (_, out, _) = edgeperf(
        &[
            "compare",
            "same.json",
            "--suite",
            "s0.toml",
            "--no-confirm",
            "--format",
            "json",
        ],
        d.path(),
        &[],
    );
    assert_eq!(json(&out)["paths"][0]["accuracy"]["paired"], 10);
    assert_eq!(
        edgeperf(
            &["run", "--suite", "s1.toml", "--out", "other.json"],
            d.path(),
            &[]
        )
        .0,
        0
    );
    let (code, out, _) = edgeperf(
        &[
            "compare",
            "other.json",
            "--suite",
            "s1.toml",
            "--no-confirm",
            "--format",
            "json",
        ],
        d.path(),
        &[],
    );
    assert_eq!(code, 0);
    let p = &json(&out)["paths"][0];
    assert_eq!(p["status"], "inconclusive");
    assert_eq!(p["accuracy"]["verdict"], "inconclusive");
    assert_eq!(
        p["accuracy"]["reason"],
        "not comparable: subset changed (baseline: 10 of 40 images (stratified over 10 classes, seed 0); this run: 10 of 40 images (stratified over 10 classes, seed 1))"
    );
}

#[test]
fn bad_device_state_keys_and_sysroots_are_one_line_errors() {
    for (state, needle) in [
        ("max_temp_c = \"hot\"", "device.state.max_temp_c"),
        (
            "cooldown = { below_c = 90, timeout_s = 60 }\nmax_temp_c = 80",
            "device[0].state.cooldown.below_c",
        ),
        ("on_throttle = \"ignore\"", "on_throttle"),
        ("governer = \"performance\"", "governer"),
    ] {
        let d = suite("pi", "ok", state, 1);
        let (code, _, err) = edgeperf(&["run", "--suite", "suite.toml"], d.path(), &[]);
        common::assert_error(code, &err, &["suite.toml", needle]);
    }
    let d = suite("pi", "ok", "", 1);
    let (code, _, err) = edgeperf(
        &[
            "doctor",
            "--suite",
            "suite.toml",
            "--sysroot",
            "no/such/dir",
        ],
        d.path(),
        &[],
    );
    common::assert_error(code, &err, &["--sysroot", "no/such/dir"]);
}

/// `doctor`'s output on the Pi tree with the fake runner, the free-space line
/// (this machine's disk) and the checkout's path replaced.
fn doctor_on_the_pi(format: &str) -> String {
    let d = suite(
        "rpi4",
        "ok",
        "governor = \"performance\"\nmax_temp_c = 80\ncooldown = { below_c = 45, timeout_s = 60 }",
        1,
    );
    let pi = tree("rpi4").display().to_string();
    let (code, out, err) = edgeperf(
        &[
            "doctor",
            "--suite",
            "suite.toml",
            "--sysroot",
            &pi,
            "--format",
            format,
        ],
        d.path(),
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    let repo = common::root().display().to_string();
    out.lines()
        .map(
            |l| match (l.contains("GiB free of"), l.find("\"detail\": \"")) {
                (true, Some(i)) => format!(
                    "{}<free space here>{}",
                    &l[..i + 11],
                    &l[l.rfind('"').unwrap()..]
                ),
                (true, None) => "<the disk line: free space here>".into(),
                _ => l.replace(&repo, "<repo>"),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn doctor_text_snapshot() {
    insta::assert_snapshot!(doctor_on_the_pi("text"));
}

#[test]
fn doctor_json_snapshot() {
    insta::assert_snapshot!(doctor_on_the_pi("json"));
}

#[test]
fn run_text_snapshot_of_a_pi_that_throttles_from_round_2() {
    let d = suite(
        "rpi4",
        "reports-memory",
        "max_temp_c = 80\ncooldown = { below_c = 60, timeout_s = 0.1 }",
        3,
    );
    let pi = d.path().join("pi");
    copy_tree(&tree("rpi4"), &pi);
    let root = pi.display().to_string();
    let throttle = format!("{root} 2");
    let env = [
        ("EDGEPERF_SYSROOT", root.as_str()),
        ("FAKE_RUNNER_THROTTLE", throttle.as_str()),
    ];
    let (code, out, err) = edgeperf(
        &["run", "--suite", "suite.toml", "--out", "run.json"],
        d.path(),
        &env,
    );
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
}

//! Run records and comparisons come from device jobs, which run a pull
//! request's code: their names and texts are untrusted (issue 18).
//!
//! * `baseline accept` refuses a record whose device or model name would leave
//!   `--baselines` (`..`, absolute, hidden) and, with `--device`, a record that
//!   speaks for another device: one line naming the file and the key, exit 2,
//!   nothing written anywhere;
//! * `report github --result DEVICE=FILE` takes a comparison only for its own
//!   device, and names out of the suite's rules are refused;
//! * links, images, HTML, line breaks, @mentions, issue references and autolinks
//!   in a comparison's texts are inert in the PR comment;
//! * `--no-runner` reports a device whose job never got a runner, without a
//!   result and without holding up the others.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use edgeperf::record::RunRecord;
use edgeperf::suite::Provider;
use fixtures::{path_record, run_record, synth_rounds, write_baselines, write_json, HEAD_COMMIT};

/// Variables edgeperf reads, removed so the host's CI settings cannot leak in.
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
    "EDGEPERF_ARTIFACTS",
];

/// edgeperf in `cwd` with a clean environment: (exit code, stdout, stderr).
fn edgeperf(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = common::bin();
    for k in ENV_READ {
        cmd.env_remove(k);
    }
    // Accepted runs are not copied into the user's artifact store.
    cmd.env("EDGEPERF_ARTIFACTS", "off");
    cmd.env("GITHUB_REPOSITORY", "acme/models");
    let out = cmd.args(args).current_dir(cwd).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (code, stdout, stderr) = (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, stdout, stderr)
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn one_path_run(device: &str, model: &str) -> RunRecord {
    run_record(
        vec![path_record(
            device,
            model,
            Provider::Cpu,
            &synth_rounds(9.0, 2, 30),
            None,
        )],
        HEAD_COMMIT,
        true,
    )
}

fn assert_one_line_exit_2(what: &str, (code, out, err): &(i32, String, String), has: &[&str]) {
    assert_eq!(*code, 2, "{what}: {out}{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{what}: {err}");
    for h in has {
        assert!(lines[0].contains(h), "{what}: {err} lacks {h:?}");
    }
}

#[test]
fn baseline_accept_never_writes_outside_the_devices_folder() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let repo = root.join("work/repo");
    std::fs::create_dir_all(repo.join("baselines")).unwrap();
    let abs_target = root.join("abs-target");
    let cases: Vec<(&str, RunRecord, &str)> = vec![
        (
            "dotdot-device",
            one_path_run("../../../escaped", "m"),
            "paths[0].device",
        ),
        ("dotdot-only", one_path_run("..", "m"), "paths[0].device"),
        (
            "dotdot-model",
            one_path_run("cpu", "../../escaped"),
            "paths[0].model",
        ),
        (
            "abs-device",
            one_path_run(abs_target.to_str().unwrap(), "m"),
            "paths[0].device",
        ),
        (
            "abs-model",
            one_path_run("cpu", abs_target.join("m").to_str().unwrap()),
            "paths[0].model",
        ),
        (
            "hidden-device",
            one_path_run(".git", "config"),
            "paths[0].device",
        ),
        (
            "slash-model",
            one_path_run("cpu", "sub/m"),
            "paths[0].model",
        ),
    ];
    for (name, run, _) in &cases {
        write_json(&root.join(format!("{name}.json")), run);
    }
    // A record holding a path of its own device and one of another device.
    let mut mixed = one_path_run("cpu", "m");
    mixed.paths.push(one_path_run("rpi4", "m").paths.remove(0));
    write_json(&root.join("foreign.json"), &mixed);
    let before = files_under(root);

    for (name, _, key) in &cases {
        let file = root.join(format!("{name}.json"));
        let out = edgeperf(
            &repo,
            &[
                "baseline",
                "accept",
                file.to_str().unwrap(),
                "--baselines",
                "baselines",
            ],
        );
        assert_one_line_exit_2(name, &out, &[&format!("{name}.json: {key}: ")]);
    }
    let foreign = root.join("foreign.json");
    let out = edgeperf(
        &repo,
        &[
            "baseline",
            "accept",
            foreign.to_str().unwrap(),
            "--baselines",
            "baselines",
            "--device",
            "cpu",
        ],
    );
    assert_one_line_exit_2(
        "foreign",
        &out,
        &["foreign.json: paths[1].device: ", "\"rpi4\" is not \"cpu\""],
    );
    assert_eq!(files_under(root), before, "something was written");

    // The control: the same device's record is accepted into its own folder only.
    let own = root.join("own.json");
    write_json(&own, &one_path_run("rpi4", "m"));
    let (code, _, err) = edgeperf(
        &repo,
        &[
            "baseline",
            "accept",
            own.to_str().unwrap(),
            "--baselines",
            "baselines",
            "--device",
            "rpi4",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut after = files_under(root);
    after.retain(|f| !before.contains(f) && f != "own.json");
    assert_eq!(
        after,
        vec![
            "work/repo/baselines/.edgeperf.lock",
            "work/repo/baselines/rpi4/m.history.jsonl",
            "work/repo/baselines/rpi4/m.json",
        ]
    );
}

/// `baselines/` and a comparison of `device` at `dir/compare-<device>.json`.
fn comparison(dir: &Path, device: &str) -> PathBuf {
    let base = run_record(
        vec![path_record(
            device,
            "mobilenet_v2",
            Provider::Cpu,
            &synth_rounds(9.0, 3, 60),
            None,
        )],
        fixtures::BASE_COMMIT,
        true,
    );
    write_baselines(&dir.join("baselines"), &base);
    let head = run_record(
        vec![path_record(
            device,
            "mobilenet_v2",
            Provider::Cpu,
            &synth_rounds(9.0, 3, 60),
            None,
        )],
        HEAD_COMMIT,
        true,
    );
    let run = dir.join(format!("head-{device}.json"));
    write_json(&run, &head);
    let out = dir.join(format!("compare-{device}.json"));
    let (code, _, err) = edgeperf(
        dir,
        &[
            "compare",
            run.to_str().unwrap(),
            "--no-confirm",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(code == 0 || code == 1, "{err}");
    out
}

fn edit_json(f: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(f, v.to_string()).unwrap();
}

fn report(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "report",
        "github",
        "--pr",
        "7",
        "--sha",
        HEAD_COMMIT,
        "--dry-run",
    ];
    args.extend_from_slice(extra);
    edgeperf(dir, &args)
}

#[test]
fn the_report_takes_each_devices_artifact_only_for_that_device() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let cpu = comparison(dir, "cpu");
    // rpi4's artifact holds a comparison of cpu (a device job speaking for another).
    let forged = dir.join("forged-rpi4.json");
    std::fs::copy(&cpu, &forged).unwrap();
    let out = report(
        dir,
        &[
            "--result",
            &format!("cpu={}", cpu.display()),
            "--result",
            &format!("rpi4={}", forged.display()),
        ],
    );
    assert_one_line_exit_2(
        "forged",
        &out,
        &[
            "forged-rpi4.json: paths[0].device: ",
            "\"cpu\" is not \"rpi4\"",
        ],
    );
    // Names out of the suite's rules, bound or not.
    for (device, model, key) in [
        ("../../x", "mobilenet_v2", "paths[0].device"),
        ("/etc", "mobilenet_v2", "paths[0].device"),
        ("cpu", "[x](https://evil.example)", "paths[0].model"),
    ] {
        let f = dir.join("evil.json");
        std::fs::copy(&cpu, &f).unwrap();
        edit_json(&f, |v| {
            v["paths"][0]["device"] = device.into();
            v["paths"][0]["model"] = model.into();
        });
        for args in [
            vec![f.to_str().unwrap().to_string()],
            vec!["--result".into(), format!("cpu={}", f.display())],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = report(dir, &args);
            assert_one_line_exit_2(device, &out, &[&format!("evil.json: {key}: ")]);
        }
    }
    let out = report(dir, &["--result", "../x=compare-cpu.json"]);
    assert_eq!(out.0, 2, "{}", out.2);
    assert!(out.2.contains("--result"), "{}", out.2);
    // The control: each file for its own device is reported.
    let rpi4 = comparison(dir, "rpi4");
    let (code, body, err) = report(
        dir,
        &[
            "--result",
            &format!("cpu={}", cpu.display()),
            "--result",
            &format!("rpi4={}", rpi4.display()),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        body.contains("edgeperf/cpu ") && body.contains("edgeperf/rpi4 "),
        "{body}"
    );
}

#[test]
fn markdown_from_a_comparison_is_inert_in_the_pr_comment() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let cpu = comparison(dir, "cpu");
    let evil = "[click](https://evil.example/a) ![x](https://evil.example/i.png) \
                <img src=x onerror=alert(1)> &lt;b&gt; @octocat cc @acme/team #123 \
                https://evil.example/b www.evil.example \\[y](https://evil.example/c)\n\n\
                ## injected heading\n| a | b |\n[ref]: https://evil.example/r";
    edit_json(&cpu, |v| {
        v["paths"][0]["notes"] = serde_json::json!([evil]);
        v["paths"][0]["guards"] = serde_json::json!([evil]);
        v["paths"][0]["latency"]["statistic"] = evil.into();
        v["head_commit"] = "@mallory [x](https://evil.example/h)".into();
        v["baselines"] = evil.into();
    });
    let (code, out, err) = report(dir, &["--result", &format!("cpu={}", cpu.display())]);
    assert!(code == 0 || code == 1, "{err}");
    let body = out
        .split_once("----- comment body -----\n")
        .and_then(|(_, b)| b.split_once("----- end of comment body -----"))
        .map(|(b, _)| b)
        .unwrap_or_else(|| panic!("no body: {out}"));
    assert!(
        body.contains("click"),
        "the text itself is still shown: {body}"
    );
    // A link needs `](` with an unescaped `]`; every one left is escaped.
    for (i, _) in body.match_indices("](") {
        let backslashes = body[..i].chars().rev().take_while(|c| *c == '\\').count();
        assert!(backslashes % 2 == 1, "a link survived at {i}:\n{body}");
    }
    for bad in [
        "<img",
        "&lt;b&gt;",
        "@octocat",
        "@acme",
        "@mallory",
        "#123",
        "https://",
        "www.evil",
        "\n## injected",
        "\n| a | b |",
        "\n[ref]:",
    ] {
        assert!(
            !body.contains(bad),
            "{bad:?} survived in the comment:\n{body}"
        );
    }
    // Every line of the body is one of edgeperf's own: the table and the list
    // lines hold the texts, none of them starts a block of its own.
    for line in body.lines() {
        assert!(
            line.is_empty()
                || [
                    "<!--",
                    "###",
                    "|",
                    "<details>",
                    "</details>",
                    "**",
                    "- ",
                    "<sub>",
                    "⛔"
                ]
                .iter()
                .any(|p| line.starts_with(p)),
            "a record started a line of its own: {line:?}\n{body}"
        );
    }
}

#[test]
fn a_device_without_a_runner_is_reported_without_holding_up_the_others() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let cpu = comparison(dir, "cpu");
    let (code, out, err) = report(
        dir,
        &[
            "--result",
            &format!("cpu={}", cpu.display()),
            "--expect-device",
            "rpi4",
            "--no-runner",
            "jetson-orin",
        ],
    );
    assert_eq!(code, 1, "a device without a runner fails the check: {err}");
    insta::assert_snapshot!(
        "report_github_no_runner",
        out.replace(&dir.display().to_string(), "DIR")
    );
    // A device cannot be both: it had no runner but a result came.
    let out = report(
        dir,
        &[
            "--result",
            &format!("cpu={}", cpu.display()),
            "--no-runner",
            "cpu",
        ],
    );
    assert_one_line_exit_2("both", &out, &["--no-runner cpu"]);
}

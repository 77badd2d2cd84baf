//! `edgeperf dashboard`, `completions` and `man` as a user runs them: the site
//! from a baselines folder (deterministic, commit links from the flag, GitHub
//! Actions' variables or the `origin` remote), the error contract on bad input
//! (one line naming the file, exit 2, nothing half-written), and the generated
//! completion scripts and man pages. The browser's view of the site is
//! `dashboard_browser.rs`.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::Path;

use common::git_repo::GitRepo;
use fixtures::{dashboard_history, fake_commit, history_lines, write_history};

/// Runs edgeperf in `cwd` without the GitHub Actions variables of the host.
fn edgeperf(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = common::bin();
    for k in ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).current_dir(cwd).output().unwrap();
    let (code, stdout, stderr) = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, stdout, stderr)
}

/// `baselines/` with cpu/mobilenet_v2 (6 baselines) and cpu/resnet50 (3).
fn baselines(dir: &Path) {
    let b = dir.join("baselines");
    write_history(
        &b,
        "cpu",
        "mobilenet_v2",
        &history_lines(&dashboard_history(6, 9.0, Some(0.75))),
    );
    write_history(
        &b,
        "cpu",
        "resnet50",
        &history_lines(&dashboard_history(3, 60.0, None)),
    );
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_site_is_written_where_asked_and_is_the_same_every_time() {
    let d = tempfile::tempdir().unwrap();
    baselines(d.path());
    let (code, out, err) = edgeperf(&["dashboard", "--out", "site"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("wrote 6 files for 2 paths under site"),
        "{err}"
    );
    assert!(err.contains("no repository URL"), "{err}");
    let mut files = Vec::new();
    for rel in [
        "index.html",
        "style.css",
        "paths/cpu/mobilenet_v2.html",
        "paths/cpu/mobilenet_v2.csv",
        "paths/cpu/resnet50.html",
        "paths/cpu/resnet50.csv",
    ] {
        files.push((rel, read(&d.path().join("site").join(rel))));
    }
    // The CSV beside a page is the path's history as `history --format csv` gives it.
    let (_, csv, _) = edgeperf(
        &["history", "--model", "resnet50", "--format", "csv"],
        d.path(),
        &[],
    );
    assert_eq!(files[5].1, csv);
    // Drawn from the history alone (no clock): a second run writes the same bytes.
    let (code, _, err) = edgeperf(&["dashboard", "--out", "site"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    for (rel, text) in &files {
        assert_eq!(&read(&d.path().join("site").join(rel)), text, "{rel}");
    }
    // The default folder is .edgeperf/site.
    let (code, _, err) = edgeperf(&["dashboard"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        read(&d.path().join(".edgeperf/site/index.html")),
        files[0].1
    );
}

#[test]
fn commit_links_come_from_the_flag_github_actions_or_the_origin_remote() {
    let d = tempfile::tempdir().unwrap();
    baselines(d.path());
    GitRepo::init(d.path()).add_remote("origin", "git@github.com:acme/models.git");
    let page = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["dashboard", "--out", "site"];
        args.extend_from_slice(extra);
        let (code, _, err) = edgeperf(&args, d.path(), env);
        assert_eq!(code, 0, "{err}");
        read(&d.path().join("site/paths/cpu/mobilenet_v2.html"))
    };
    let sha = fake_commit(5);
    let html = page(&[], &[]);
    assert!(
        html.contains(&format!("https://github.com/acme/models/commit/{sha}")),
        "the ssh remote becomes an https link"
    );
    let html = page(
        &[
            ("GITHUB_SERVER_URL", "https://ghe.example.com"),
            ("GITHUB_REPOSITORY", "team/models"),
        ],
        &[],
    );
    assert!(html.contains(&format!("https://ghe.example.com/team/models/commit/{sha}")));
    let html = page(
        &[
            ("GITHUB_SERVER_URL", "https://ghe.example.com"),
            ("GITHUB_REPOSITORY", "team/models"),
        ],
        &["--repo-url", "https://git.example.org/x/y/"],
    );
    assert!(html.contains(&format!("https://git.example.org/x/y/commit/{sha}")));
    assert!(!html.contains("ghe.example.com"));
}

/// Issue 15: the runtime was written as "onnxruntime" on every page. A run
/// with an ONNX Runtime, a LiteRT and an external-runner path, accepted as
/// baselines, keeps each path's runtime kind in its history line, and the
/// dashboard names each runtime; a line from before the kind was recorded
/// shows it as unknown.
#[test]
fn litert_and_external_runner_paths_are_labelled_with_their_runtime() {
    use edgeperf::suite::{Provider, RuntimeKind};
    use fixtures::{path_record, run_record, synth_rounds, write_json, HEAD_COMMIT};
    let d = tempfile::tempdir().unwrap();
    let rounds = synth_rounds(9.0, 3, 60);
    let mut litert = path_record("npu", "mobilenet_v2", Provider::Npu, &rounds, None);
    litert.runtime.kind = RuntimeKind::Litert;
    litert.runtime.version = "1.4.0".into();
    let mut external = path_record("coral", "mobilenet_v2", Provider::Npu, &rounds, None);
    external.runtime.kind = RuntimeKind::External;
    external.runtime.version = "edgetpu 16.0".into();
    let ort = path_record("cpu", "mobilenet_v2", Provider::Cpu, &rounds, None);
    let run = run_record(vec![external, ort, litert], HEAD_COMMIT, true);
    write_json(&d.path().join("run.json"), &run);
    let (code, _, err) = edgeperf(&["baseline", "accept", "run.json"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let line = read(&d.path().join("baselines/npu/mobilenet_v2.history.jsonl"));
    assert!(line.contains(r#""runtime_kind":"litert""#), "{line}");
    // A path whose only line predates the kind.
    let mut old = dashboard_history(1, 9.0, None);
    old[0].runtime_kind = None;
    write_history(
        &d.path().join("baselines"),
        "rpi4",
        "mobilenet_v2",
        &history_lines(&old),
    );
    let (code, _, err) = edgeperf(&["dashboard", "--out", "site"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    for (device, label, provider) in [
        ("npu", "litert 1.4.0", "npu"),
        ("coral", "external edgetpu 16.0", "npu"),
        ("cpu", "onnxruntime 1.31.1", "cpu"),
        ("rpi4", "unknown runtime 1.31.1", "cpu"),
    ] {
        let page = read(
            &d.path()
                .join(format!("site/paths/{device}/mobilenet_v2.html")),
        );
        assert!(
            page.contains(&format!(" · {label} · {provider} · threads ")),
            "{device}: {page}"
        );
        assert!(page.contains(&format!("\n{label} · {provider} · threads ")));
        let own = &page[page.find(r#"<table class="entries">"#).unwrap()..];
        assert!(
            own.contains(&format!(r#"<td class="l">{label}</td>"#)),
            "{own}"
        );
        if device != "cpu" {
            assert!(!own.contains("onnxruntime"), "{device}: {own}");
        }
    }
}

#[test]
fn bad_input_is_one_line_naming_the_file_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    // No baselines at all.
    let (code, _, err) = edgeperf(&["dashboard", "--out", "site"], d.path(), &[]);
    common::assert_error(code, &err, &["baselines", "accept a run first"]);
    // A broken line in the middle of a history.
    baselines(d.path());
    let f = d.path().join("baselines/cpu/resnet50.history.jsonl");
    let text = read(&f);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(1, "{\"accepted_at\": 12}");
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let (code, _, err) = edgeperf(&["dashboard", "--out", "site"], d.path(), &[]);
    common::assert_error(code, &err, &["resnet50.history.jsonl", "line 2"]);
    assert!(!d.path().join("site").exists(), "nothing written");
    std::fs::write(&f, text).unwrap();
    // A suite that does not parse (its thresholds colour the changes).
    common::write(d.path(), "edgeperf.toml", "schema_version = 1\n[compare\n");
    let (code, _, err) = edgeperf(&["dashboard", "--out", "site"], d.path(), &[]);
    common::assert_error(code, &err, &["edgeperf.toml"]);
    std::fs::remove_file(d.path().join("edgeperf.toml")).unwrap();
    // An output folder that is a file.
    common::write(d.path(), "taken", "not a folder");
    let (code, _, err) = edgeperf(&["dashboard", "--out", "taken"], d.path(), &[]);
    common::assert_error(code, &err, &["taken"]);
    assert_eq!(read(&d.path().join("taken")), "not a folder");
}

#[test]
fn completions_name_every_command_and_parse_in_their_shell() {
    let d = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = edgeperf(&["completions", shell], d.path(), &[]);
        assert_eq!(code, 0, "{shell}: {err}");
        for word in ["dashboard", "history", "--format", "bmf", "completions"] {
            assert!(out.contains(word), "{shell} lacks {word}");
        }
    }
    // The bash script is valid bash.
    let (_, script, _) = edgeperf(&["completions", "bash"], d.path(), &[]);
    let f = common::write(d.path(), "edgeperf.bash", &script);
    let ok = std::process::Command::new("bash")
        .arg("-n")
        .arg(&f)
        .status()
        .unwrap();
    assert!(ok.success(), "bash -n failed on the completion script");
    let (code, _, err) = edgeperf(&["completions", "tcsh"], d.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tcsh"), "{err}");
}

#[test]
fn the_man_page_documents_the_commands() {
    let d = tempfile::tempdir().unwrap();
    let (code, out, err) = edgeperf(&["man"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH edgeperf 1"));
    assert!(out.contains("dashboard"));
    let (code, _, err) = edgeperf(&["man", "--out", "man"], d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let dashboard = read(&d.path().join("man/edgeperf-dashboard.1"));
    assert!(
        dashboard.contains(".TH edgeperf-dashboard 1"),
        "{dashboard}"
    );
    assert!(dashboard.contains("repo\\-url"), "{dashboard}");
    assert!(d.path().join("man/edgeperf-run.1").is_file());
    assert!(
        !d.path().join("man/edgeperf-__worker.1").exists(),
        "hidden commands have no page"
    );
}

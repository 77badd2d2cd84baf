//! The pull-request loop as a device runner runs it, timed: `edgeperf check
//! --device cpu --against main` on a branch of a throw-away repository whose
//! `main` holds the default suite and baselines accepted from a run of it
//! (so the baselines record every input's sha256, as accepted baselines do).
//!
//! Three pull requests: one that changes no path input (a README edit: every
//! path identical, goal <= 10 s), the same with `--remeasure-identical` (every
//! path measured base against head: the loop's cost when all paths need it,
//! goal <= 75 s on a quiet machine), and one that points mobilenet_v2 at the
//! ~18% slower variant (a real regression; the other paths identical).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn git(repo: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(repo)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

/// Runs edgeperf in `repo`; (exit code, seconds, stderr).
fn edgeperf(exe: &Path, repo: &Path, args: &[&str]) -> (i32, f64, String) {
    let t = Instant::now();
    let out = Command::new(exe)
        .args(args)
        .current_dir(repo)
        .env("NO_COLOR", "1")
        .env("EDGEPERF_ARTIFACTS", repo.join(".artifacts"))
        .output()
        .expect("edgeperf");
    (
        out.status.code().unwrap_or(-1),
        t.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The comparison a check wrote, as one line per path.
fn verdicts(file: &Path) -> String {
    let c = edgeperf::store::load_comparison(file).expect("the check's comparison");
    let mut s = String::new();
    for p in &c.paths {
        let l = p.latency.as_ref().map(|l| l.reason.as_str()).unwrap_or("-");
        s += &format!(
            "  - {}/{}: {} ({l})\n",
            p.device,
            p.model,
            p.status.as_str()
        );
    }
    s + &format!(
        "  {}\n",
        edgeperf::report::compare::summary_line(std::slice::from_ref(&c))
    )
}

/// A repository with the default suite and its `cpu` baselines on `main`,
/// the assets reached through a `.edgeperf` link to this checkout's.
fn repository(exe: &Path, dir: &Path) -> PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let assets = std::fs::canonicalize(".edgeperf").expect(".edgeperf (scripts/setup.sh)");
    std::os::unix::fs::symlink(assets, repo.join(".edgeperf")).unwrap();
    std::fs::copy("edgeperf.toml", repo.join("edgeperf.toml")).unwrap();
    std::fs::write(repo.join(".gitignore"), ".edgeperf\n.artifacts/\n/*.json\n").unwrap();
    std::fs::write(repo.join("README.md"), "bench\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "suite"]);
    let (code, secs, err) = edgeperf(
        exe,
        &repo,
        &["run", "--device", "cpu", "--out", "base.json"],
    );
    assert_eq!(code, 0, "{err}");
    eprintln!("main: run in {secs:.1} s");
    let (code, _, err) = edgeperf(exe, &repo, &["baseline", "accept", "base.json"]);
    assert_eq!(code, 0, "{err}");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "baselines"]);
    repo
}

/// Times one `check` of the branch against main; prints the table line and
/// returns the verdicts.
fn timed_check(exe: &Path, repo: &Path, what: &str, extra: &[&str]) -> String {
    let mut args = vec!["check", "--device", "cpu", "--against", "main"];
    args.extend_from_slice(&["--format", "json", "--out", "check.json"]);
    args.extend_from_slice(extra);
    let (code, secs, err) = edgeperf(exe, repo, &args);
    assert!(code == 0 || code == 1, "check failed: {err}");
    println!("| {what} | {secs:.1} | {code} |");
    format!("{what}:\n{}", verdicts(&repo.join("check.json")))
}

/// The three pull requests, timed, as a Markdown table on stdout, then each
/// one's verdicts.
pub fn report(exe: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository(exe, dir.path());
    println!("\n| pull request (`edgeperf check --device cpu --against main`, 6 paths) | wall s | exit |");
    println!("|---|---:|---:|");
    git(&repo, &["checkout", "-qb", "docs"]);
    std::fs::write(repo.join("README.md"), "bench, documented\n").unwrap();
    git(&repo, &["commit", "-qam", "docs only"]);
    let mut said = vec![timed_check(
        exe,
        &repo,
        "documentation only (every path identical)",
        &[],
    )];
    said.push(timed_check(
        exe,
        &repo,
        "every path measured (`--remeasure-identical`)",
        &["--remeasure-identical"],
    ));
    git(&repo, &["checkout", "-qb", "slower", "main"]);
    let suite = std::fs::read_to_string(repo.join("edgeperf.toml")).unwrap();
    let slower = suite.replace(
        "file = \".edgeperf/models/mobilenet_v2.onnx\"",
        "file = \".edgeperf/verdicts/mobilenet_v2_slow18.onnx\"",
    );
    assert_ne!(
        slower, suite,
        "the default suite names .edgeperf/models/mobilenet_v2.onnx"
    );
    std::fs::write(repo.join("edgeperf.toml"), slower).unwrap();
    git(&repo, &["commit", "-qam", "mobilenet_v2 ~18% slower"]);
    said.push(timed_check(
        exe,
        &repo,
        "mobilenet_v2 ~18% slower (the others identical)",
        &[],
    ));
    println!("\n{}", said.join("\n"));
}

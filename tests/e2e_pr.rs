//! The pull-request loop end to end, scripted as the PR workflow runs it: real
//! measurements of a real model on the real photos, baselines committed in a
//! temporary git repository, a PR branch that swaps in a genuinely ~11% slower
//! model (identical outputs), `edgeperf check --against main` (the head's
//! accuracy once, base and head interleaved: measured once), and `report
//! github` against a fake GitHub API (one sticky comment, a commit status per
//! device). Then the fix (a revert) makes the path identical to main's: not
//! re-measured, and the same comment and the status turn green.
//!
//! On a busy machine the slower model can come out "inconclusive: machine
//! busy", probably slower: the test accepts that honest answer (never
//! "unchanged"), and then reports with `--fail-on-undecided`, which fails the
//! build just the same. It is in the slow tier; run it with `cargo test --release --features slow-tests
//! --test e2e_pr -- --nocapture` to see each step's tables.
#![cfg(feature = "github")] // the GitHub client is the default `github` feature

mod common;

#[path = "common/fake_github.rs"]
mod fake_github;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::git_repo::{git, head};
use edgeperf::compare::{Comparison, PathComparison, PathStatus, Verdict};
use edgeperf::github::MARKER;
use edgeperf::record::RunRecord;
use fake_github::FakeGithub;

const TOKEN: &str = "ghs_e2eDemoSecret_7Qv3Lk9Zp2Xw5Rt8Nm4";
const REPO: &str = "acme/models";
const PR: u64 = 7;
const CONTEXT: &str = "edgeperf/cpu";
/// What the workflow passes as `--target-url`: the run's page.
const RUN_URL: &str = "https://github.com/acme/models/actions/runs/4242";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn both(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }
}

/// Runs edgeperf in `cwd` with extra environment variables. The GitHub Actions
/// variables that would change `report github`'s behaviour are removed so the test
/// behaves the same inside a workflow.
fn edgeperf(step: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let t = Instant::now();
    let mut cmd = common::bin();
    cmd.args(args).current_dir(cwd);
    for k in [
        "GITHUB_EVENT_PATH",
        "GITHUB_SHA",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "ORT_DYLIB_PATH",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("[{step}] cannot run edgeperf {args:?}: {e}"));
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!(
        "[{step}] edgeperf {} -> exit {} ({:.1} s)",
        args.join(" "),
        out.code,
        t.elapsed().as_secs_f64()
    );
    assert!(
        !out.stderr.contains("panicked"),
        "[{step}] edgeperf panicked:\n{}",
        out.both()
    );
    out
}

fn expect_exit(step: &str, out: &Out, want: i32) {
    assert_eq!(
        out.code,
        want,
        "[{step}] expected exit {want}, got {}:\n{}",
        out.code,
        out.both()
    );
}

fn suite_toml(assets: &Path) -> String {
    format!(
        r#"# e2e demo suite: one CPU device, one model committed in this repository.
schema_version = 1

[sampling]
warmup = 5
samples = 150
rounds = 3
max_seconds = 4

[dataset]
root = "{ds}"

[[device]]
name = "cpu"
provider = "cpu"
intra_threads = 1
inter_threads = 1
runtime = "{rt}"

[[model]]
name = "mobilenet_v2"
file = "models/mobilenet_v2.onnx"
input = "input"
preprocess = {{ resize = 256, crop = 224, interpolation = "bilinear", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }}
"#,
        ds = assets.join("data/imagenet-samples").display(),
        rt = common::cpu_runtime().display(),
    )
}

/// `edgeperf run --out FILE` in the repo: exit 0, a complete record of the one path,
/// measured at `commit`. Prints the run table.
fn measure(step: &str, repo: &Path, file: &str, commit: &str) -> RunRecord {
    let out = edgeperf(step, repo, &["run", "--out", file], &[]);
    expect_exit(step, &out, 0);
    eprintln!("{}", out.stdout);
    let rec = edgeperf::store::load_run(&repo.join(file))
        .unwrap_or_else(|e| panic!("[{step}] {file} does not load: {e}"));
    assert!(rec.complete, "[{step}] {file} is not complete");
    assert_eq!(
        rec.paths.len(),
        1,
        "[{step}] expected one path (cpu/mobilenet_v2)"
    );
    let p = &rec.paths[0];
    assert_eq!(
        (p.device.as_str(), p.model.as_str()),
        ("cpu", "mobilenet_v2"),
        "[{step}]"
    );
    assert_eq!(p.rounds.len(), 3, "[{step}] sampling.rounds = 3");
    assert!(
        p.accuracy.is_some(),
        "[{step}] mobilenet_v2 must carry an accuracy figure"
    );
    let git = rec.environment.git.as_ref().unwrap_or_else(|| {
        panic!("[{step}] {file} records no git state (run from inside the repo)")
    });
    assert_eq!(
        git.commit, commit,
        "[{step}] {file} records the wrong commit"
    );
    assert!(
        !git.dirty,
        "[{step}] tracked files should be clean at {commit}"
    );
    rec
}

/// `edgeperf check --against main --format json --out compare-cpu.json`, as the
/// workflow's device step runs it; checked again (at most three times in all)
/// while the latency verdict is undecided for another reason than a busy
/// machine. Returns the comparison (its table printed for humans).
fn check(step: &str, repo: &Path) -> Comparison {
    let mut last = None;
    for attempt in 0..3 {
        let out = edgeperf(
            step,
            repo,
            &[
                "check",
                "--against",
                "main",
                "--format",
                "json",
                "--out",
                "compare-cpu.json",
            ],
            &[],
        );
        assert!(
            out.code == 0 || out.code == 1,
            "[{step}] check failed:\n{}",
            out.both()
        );
        let c = edgeperf::store::load_comparison(&repo.join("compare-cpu.json"))
            .unwrap_or_else(|e| panic!("[{step}] compare-cpu.json does not load: {e}"));
        eprintln!(
            "[{step}] check table (attempt {attempt}):\n{}",
            edgeperf::report::compare::text(&c, false)
        );
        assert_eq!(c.paths.len(), 1, "[{step}] one path expected");
        assert!(
            c.baselines.contains("merge-base"),
            "[{step}] baselines must come from the merge-base with main, got {:?}",
            c.baselines
        );
        let again = c.paths[0].status == PathStatus::Inconclusive && !busy(&c.paths[0]);
        last = Some(c);
        if !again {
            break;
        }
        eprintln!("[{step}] NOTE: undecided; checking once more");
    }
    last.unwrap()
}

/// Undecided because the machine was busy: the honest answer under load.
fn busy(p: &PathComparison) -> bool {
    p.latency
        .as_ref()
        .is_some_and(|l| l.verdict == Verdict::Inconclusive && l.reason.starts_with("machine busy"))
}

/// Every number of a path's latency verdict, for assertion messages.
fn latency_numbers(p: &PathComparison) -> String {
    match &p.latency {
        None => "no latency result".into(),
        Some(l) => {
            let mut s = format!(
                "status {:?}; latency verdict {:?}: {} (change {:+.2}%, CI [{:+.2}, {:+.2}]%)",
                p.status,
                l.verdict,
                l.reason,
                l.change * 100.0,
                l.ci[0] * 100.0,
                l.ci[1] * 100.0
            );
            if let Some(sc) = &l.screen {
                s += &format!(
                    "\n  screen: base p10 {:.3} ms, head p10 {:.3} ms, change {:+.2}%, suspect {}, {}",
                    sc.base_stat,
                    sc.head_stat,
                    sc.change * 100.0,
                    sc.suspect,
                    sc.reason
                );
            }
            if let Some(c) = &l.confirmation {
                s += &format!(
                    "\n  confirmation: {:?} {} (change {:+.2}%, CI [{:+.2}, {:+.2}]%, {} rounds counted, {:.1} s/side)\n  base rounds {:?}\n  head rounds {:?}",
                    c.verdict,
                    c.reason,
                    c.change * 100.0,
                    c.ci[0] * 100.0,
                    c.ci[1] * 100.0,
                    c.counted,
                    c.seconds_per_side,
                    c.base,
                    c.head
                );
                let ratios: Vec<String> = c
                    .base
                    .iter()
                    .zip(&c.head)
                    .map(|(b, h)| format!("{:+.1}%", (h / b - 1.0) * 100.0))
                    .collect();
                s += &format!("\n  per-round head/base: {}", ratios.join(" "));
            }
            s
        }
    }
}

/// `report github compare-cpu.json --expect-device cpu --pr 7 --sha SHA`
/// (with `--fail-on-undecided` when `strict`) against the fake API; asserts
/// the exit code and that the token never leaks to the output.
fn report(step: &str, repo: &Path, base_url: &str, sha: &str, want_exit: i32, strict: bool) -> Out {
    let pr = PR.to_string();
    let mut args = vec![
        "report",
        "github",
        "compare-cpu.json",
        "--expect-device",
        "cpu",
        "--pr",
        &pr,
        "--sha",
        sha,
        "--target-url",
        RUN_URL,
    ];
    if strict {
        args.push("--fail-on-undecided");
    }
    let out = edgeperf(
        step,
        repo,
        &args,
        &[
            ("GITHUB_API_URL", base_url),
            ("GITHUB_TOKEN", TOKEN),
            ("GITHUB_REPOSITORY", REPO),
        ],
    );
    eprintln!("[{step}] {}", out.stderr.trim());
    expect_exit(step, &out, want_exit);
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "[{step}] the token leaked into edgeperf's output:\n{}",
        out.both()
    );
    out
}

/// The one marker comment on the PR (asserting there is exactly one comment at all)
/// and that the token appears in no comment or status.
fn the_comment(step: &str, gh: &FakeGithub) -> fake_github::Comment {
    let all = gh.comments_on(REPO, PR);
    assert_eq!(
        all.len(),
        1,
        "[{step}] expected exactly one comment on PR {PR}, got {}: {:#?}",
        all.len(),
        all
    );
    for c in gh.comments() {
        assert!(!c.body.contains(TOKEN), "[{step}] token in a comment body");
    }
    for s in gh.statuses() {
        assert!(
            !s.description.contains(TOKEN),
            "[{step}] token in a status description"
        );
    }
    let c = all.into_iter().next().unwrap();
    assert!(
        c.body.contains(MARKER),
        "[{step}] the comment lacks the marker:\n{}",
        c.body
    );
    assert!(
        c.body.contains("mobilenet_v2"),
        "[{step}] the comment does not name the model:\n{}",
        c.body
    );
    c
}

/// The latest `edgeperf/cpu` status for `sha`; it links to the workflow run.
fn latest_status(step: &str, gh: &FakeGithub, sha: &str) -> fake_github::Status {
    let s = gh
        .statuses()
        .into_iter()
        .rev()
        .find(|s| s.repo == REPO && s.sha == sha && s.context == CONTEXT)
        .unwrap_or_else(|| {
            panic!(
                "[{step}] no {CONTEXT} status for {sha}; statuses: {:#?}",
                gh.statuses()
            )
        });
    assert_eq!(
        s.target_url.as_deref(),
        Some(RUN_URL),
        "[{step}] status link"
    );
    s
}

fn copy(step: &str, from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| {
        panic!(
            "[{step}] cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        )
    });
}

#[test]
fn pull_request_loop_end_to_end() {
    let started = Instant::now();
    let assets = common::assets();
    let original: PathBuf = assets.join("models/mobilenet_v2.onnx");
    let slow: PathBuf = assets.join("models/mobilenet_v2_slow11.onnx");
    assert!(
        slow.exists(),
        "assets missing: {} (scripts/setup-assets.sh)",
        slow.display()
    );
    let original_bytes = std::fs::read(&original).unwrap();
    assert_ne!(
        original_bytes,
        std::fs::read(&slow).unwrap(),
        "the slow variant must differ from the original model"
    );

    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let model = repo.join("models/mobilenet_v2.onnx");

    // ---------------------------------------------------------------- set-up
    let step = "0 set-up";
    std::fs::create_dir_all(repo.join("models")).unwrap();
    std::fs::create_dir_all(repo.join("baselines")).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    copy(step, &original, &model);
    common::write(&repo, "edgeperf.toml", &suite_toml(&assets));
    common::write(
        &repo,
        ".gitignore",
        "# run records, comparisons and edgeperf's scratch space are not committed\n/run*.json\n/compare-*.json\n/.edgeperf/\n",
    );
    common::write(
        &repo,
        "baselines/README.md",
        "Accepted edgeperf baselines: baselines/<device>/<model>.json\n",
    );
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "commit",
            "-q",
            "-m",
            "Suite: mobilenet_v2 on the cpu device",
        ],
    );

    // ------------------------------------------- commit 1: baselines on main
    let step = "1 baselines on main";
    let suite_commit = head(&repo);
    let run1 = measure(step, &repo, "run1.json", &suite_commit);
    let out = edgeperf(
        step,
        &repo,
        &[
            "baseline",
            "accept",
            "run1.json",
            "--baselines",
            "baselines",
        ],
        &[],
    );
    expect_exit(step, &out, 0);
    eprintln!("{}", out.stderr.trim());
    assert!(
        repo.join("baselines/cpu/mobilenet_v2.json").exists()
            && repo
                .join("baselines/cpu/mobilenet_v2.history.jsonl")
                .exists(),
        "[{step}] baseline files not written:\n{}",
        out.both()
    );
    git(&repo, &["add", "baselines"]);
    git(&repo,
        &[
            "commit",
            "-q",
            "-m",
            &format!(
                "Accept cpu/mobilenet_v2 baselines measured at {}\n\nPull requests are judged against these (edgeperf compare --against main).",
                &suite_commit[..10]
            ),
        ],
    );
    let main_sha = head(&repo);
    let base_p50 = run1.paths[0].latency_ms.p50;

    // ------------------------- commit 2 on branch pr: the ~11% slower model
    let step = "2 slower model on pr";
    git(&repo, &["checkout", "-q", "-b", "pr"]);
    copy(step, &slow, &model);
    git(&repo, &["add", "models/mobilenet_v2.onnx"]);
    git(
        &repo,
        &[
            "commit",
            "-q",
            "-m",
            "mobilenet_v2: swap in the re-exported graph (mobilenet_v2_slow11)",
        ],
    );
    let slow_sha = head(&repo);
    let c = check(step, &repo);
    let p = &c.paths[0];
    assert_eq!(
        c.head_commit.as_deref(),
        Some(slow_sha.as_str()),
        "[{step}] the comparison names the wrong head commit"
    );
    assert!(
        p.guards.is_empty(),
        "[{step}] unexpected guards: {:?}",
        p.guards
    );
    let l = p.latency.as_ref().expect("latency result");
    let conf = l.confirmation.as_ref().unwrap_or_else(|| {
        panic!(
            "[{step}] the latency verdict must come from interleaving:\n{}",
            latency_numbers(p)
        )
    });
    // Sequential looks (compare.confirm defaults): a decision from min_rounds (6)
    // up to max_rounds (24), always as many base rounds as head rounds.
    assert_eq!(conf.base.len(), conf.head.len(), "[{step}] paired rounds");
    assert!(
        (6..=24).contains(&conf.head.len()),
        "[{step}] between compare.confirm.min_rounds = 6 and max_rounds = 24, got {}",
        conf.head.len()
    );
    // A busy machine may leave it undecided, pointing the right way; never a pass.
    let strict = busy(p);
    if strict {
        eprintln!(
            "[{step}] NOTE: the machine was busy:\n{}",
            latency_numbers(p)
        );
        assert_ne!(
            l.leaning,
            Some(edgeperf::compare::Leaning::Faster),
            "[{step}] {}",
            latency_numbers(p)
        );
    } else {
        assert_eq!(c.regressions, 1, "[{step}] {}", latency_numbers(p));
        assert_eq!(
            p.status,
            PathStatus::Regressed,
            "[{step}] the ~11% slower model must be a confirmed regression:\n{}",
            latency_numbers(p)
        );
        assert_eq!(
            conf.verdict,
            Verdict::Regressed,
            "[{step}] {}",
            latency_numbers(p)
        );
    }
    // Identical outputs: accuracy must not move (measured once, in the solo round).
    let acc = p.accuracy.as_ref().expect("accuracy judgement");
    assert_eq!(
        (acc.verdict, acc.lost, acc.gained),
        (Verdict::Unchanged, 0, 0),
        "[{step}] the slow variant has identical outputs: {}",
        acc.reason
    );
    assert!(
        p.notes.iter().any(|n| n.contains("model file changed")),
        "[{step}] the model change should be noted: {:?}",
        p.notes
    );
    eprintln!(
        "[{step}] p50 {:.2} -> {:.2} ms (the head's from the paired rounds); {}",
        base_p50,
        p.head.p50,
        latency_numbers(p)
    );

    // Report to the PR.
    let (gh, base_url) = FakeGithub::start();
    gh.expect_token(TOKEN);
    report(step, &repo, &base_url, &slow_sha, 1, strict);
    let comment = the_comment(step, &gh);
    let said = if strict {
        "probably slower"
    } else {
        "regressed"
    };
    assert!(
        comment.body.contains(said),
        "[{step}] the comment must say {said}:\n{}",
        comment.body
    );
    assert!(
        !comment.body.contains("No regression"),
        "[{step}]\n{}",
        comment.body
    );
    assert!(
        gh.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path == format!("/repos/{REPO}/issues/{PR}/comments")),
        "[{step}] the comment should have been created with a POST"
    );
    let st = latest_status(step, &gh, &slow_sha);
    assert_eq!(st.state, "failure", "[{step}] {st:?}");
    assert!(
        st.description.contains("mobilenet_v2"),
        "[{step}] the status should name the model: {st:?}"
    );
    for r in gh.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str()),
            "[{step}] {} {} without the token",
            r.method,
            r.path
        );
    }
    eprintln!("[{step}] PR comment:\n{}\n", comment.body);

    // ------------------------------- the report again: the same comment
    let step = "3 report again";
    gh.clear_requests();
    report(step, &repo, &base_url, &slow_sha, 1, strict);
    let again = the_comment(step, &gh);
    assert_eq!(
        again.id, comment.id,
        "[{step}] a new comment replaced the old one"
    );
    assert!(again.body.contains(said), "[{step}]\n{}", again.body);
    let reqs = gh.requests();
    assert!(
        reqs.iter().any(|r| r.method == "PATCH"
            && r.path == format!("/repos/{REPO}/issues/comments/{}", comment.id)),
        "[{step}] no PATCH of comment {}: {:?}",
        comment.id,
        reqs.iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    assert!(
        !reqs
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/comments")),
        "[{step}] the rerun must not POST a new comment"
    );
    assert_eq!(
        latest_status(step, &gh, &slow_sha).state,
        "failure",
        "[{step}]"
    );

    // ------------------------------------------- commit 3: the fix (revert)
    let step = "4 revert";
    git(&repo, &["revert", "--no-edit", "HEAD"]);
    let fixed_sha = head(&repo);
    assert_ne!(fixed_sha, slow_sha);
    assert_eq!(
        std::fs::read(&model).unwrap(),
        original_bytes,
        "[{step}] the revert must restore the original model"
    );
    assert_eq!(
        git(&repo, &["merge-base", "HEAD", "main"]),
        main_sha,
        "[{step}] the merge-base with main"
    );
    // The revert restores every input of main's path: nothing to measure.
    let t = Instant::now();
    let c = check(step, &repo);
    let p = &c.paths[0];
    assert_eq!(c.regressions, 0, "[{step}] {}", latency_numbers(p));
    assert_eq!(
        p.status,
        PathStatus::Identical,
        "[{step}] the original model, suite and runtime are main's:\n{}",
        latency_numbers(p)
    );
    assert!(
        t.elapsed().as_secs_f64() < 10.0,
        "[{step}] an identical path costs only hashing: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(
        p.accuracy.is_none() && p.head.p50.is_nan(),
        "[{step}] nothing measured"
    );

    gh.clear_requests();
    report(step, &repo, &base_url, &fixed_sha, 0, strict);
    let fixed = the_comment(step, &gh);
    assert_eq!(
        fixed.id, comment.id,
        "[{step}] the same comment must be updated"
    );
    assert!(
        !fixed.body.to_lowercase().contains("regressed"),
        "[{step}] the updated comment still says regressed:\n{}",
        fixed.body
    );
    assert!(
        gh.requests().iter().any(|r| r.method == "PATCH"
            && r.path == format!("/repos/{REPO}/issues/comments/{}", comment.id)),
        "[{step}] the comment was not PATCHed"
    );
    let st = latest_status(step, &gh, &fixed_sha);
    assert_eq!(st.state, "success", "[{step}] {st:?}");
    // The slow commit keeps its red status.
    assert_eq!(
        latest_status(step, &gh, &slow_sha).state,
        "failure",
        "[{step}]"
    );
    for r in gh.requests() {
        assert!(
            !r.raw()
                .replace(&format!("Bearer {TOKEN}"), "")
                .contains(TOKEN),
            "[{step}] the token appears outside the Authorization header: {}",
            r.path
        );
    }
    eprintln!("[{step}] PR comment now:\n{}\n", fixed.body);
    eprintln!(
        "e2e pull-request loop: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

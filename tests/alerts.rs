//! Regression alerts on the default branch against a fake GitHub API
//! (127.0.0.1): one issue per path and paired step, found again by its hidden
//! marker among the issues the bot opened, updated in place and never opened
//! twice; nothing for a history without a slower step. Fast tier: history
//! fixtures only, no assets.
#![cfg(feature = "github")]

mod common;
#[path = "common/fake_github.rs"]
mod fake_github;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::Path;
use std::time::Duration;

use edgeperf::github::{GithubContext, IssueAction, IssueDraft, Publisher, RetryPolicy};
use fake_github::{FakeGithub, Fault};
use fixtures::{
    fake_commit, history_entry, history_lines, level_shift_history, paired_chain, write_history,
};

const TOKEN: &str = "ghs_AlertToken0123456789abcdef";
const REPO: &str = "acme/widgets";
const BOT: &str = "github-actions[bot]";

fn ctx(base: &str) -> GithubContext {
    GithubContext {
        api_url: base.to_string(),
        token: TOKEN.into(),
        repository: REPO.into(),
        pr: None,
        sha: fake_commit(6),
    }
}

fn publisher() -> Publisher {
    Publisher::with_policy(RetryPolicy {
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        request_timeout: Duration::from_secs(10),
        ..RetryPolicy::default()
    })
    .with_sleeper(|_| ())
}

fn draft(marker: &str, change: &str) -> IssueDraft {
    IssueDraft {
        marker: marker.into(),
        title: format!("edgeperf: m on cpu {change} slower"),
        body: format!("{marker}\n## m on cpu: {change} slower\n"),
        labels: vec!["edgeperf-regression".into()],
    }
}

#[test]
fn an_issue_is_opened_once_then_updated_in_place() {
    let (gh, base) = FakeGithub::start();
    gh.expect_token(TOKEN);
    let m = "<!-- edgeperf-alert cpu/m aaa..bbb -->";
    // Someone quoting the marker in their own issue, and a pull request by the
    // bot that carries it: neither is ours to update.
    let theirs = gh.add_issue(
        REPO,
        "about the alert",
        &format!("see {m}"),
        "someone",
        false,
    );
    gh.add_issue(REPO, "a PR", m, BOT, true);
    let p = publisher();
    let first = p.upsert_issue(&ctx(&base), &draft(m, "+6.0%")).unwrap();
    let IssueAction::Created { number, url } = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        url.as_deref(),
        Some(format!("https://github.com/{REPO}/issues/{number}").as_str())
    );
    let again = p.upsert_issue(&ctx(&base), &draft(m, "+6.4%")).unwrap();
    assert!(
        matches!(again, IssueAction::Updated { number: n, .. } if n == number),
        "{again:?}"
    );
    let ours: Vec<_> = gh
        .issues()
        .into_iter()
        .filter(|i| i.user == BOT && !i.pull)
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert!(ours[0].body.contains("+6.4%") && ours[0].title.contains("+6.4%"));
    assert_eq!(ours[0].labels, vec!["edgeperf-regression".to_string()]);
    assert_eq!(gh.issues()[theirs as usize - 1].body, format!("see {m}"));
    // Closed by a maintainer: still found (state=all) and updated, not reopened twice.
    gh.close_issue(number);
    let closed = p.upsert_issue(&ctx(&base), &draft(m, "+6.1%")).unwrap();
    assert!(matches!(closed, IssueAction::Updated { .. }), "{closed:?}");
    assert_eq!(
        gh.issues()
            .iter()
            .filter(|i| i.user == BOT && !i.pull)
            .count(),
        1
    );
    // Another step of the same path is another issue.
    let other = "<!-- edgeperf-alert cpu/m bbb..ccc -->";
    assert!(matches!(
        p.upsert_issue(&ctx(&base), &draft(other, "+9%")).unwrap(),
        IssueAction::Created { .. }
    ));
    // Every request asked only for the bot's issues, and the token never leaked.
    for r in gh.requests() {
        if r.method == "GET" {
            assert_eq!(
                r.query_param("creator"),
                Some("github-actions%5Bbot%5D"),
                "{r:?}"
            );
            assert_eq!(r.query_param("state"), Some("all"));
        }
        assert!(!r.body.contains(TOKEN));
    }
}

#[test]
fn a_failed_open_looks_again_instead_of_opening_twice() {
    let (gh, base) = FakeGithub::start();
    // The first POST gets a 502 after GitHub created nothing; the retry lists
    // again and opens exactly one.
    gh.inject(Fault::new(&format!("/repos/{REPO}/issues"), 502).method("POST"));
    let m = "<!-- edgeperf-alert cpu/m aaa..bbb -->";
    let got = publisher()
        .upsert_issue(&ctx(&base), &draft(m, "+6%"))
        .unwrap();
    assert!(matches!(got, IssueAction::Created { .. }), "{got:?}");
    assert_eq!(gh.issues().len(), 1);
    let lists = gh.requests().iter().filter(|r| r.method == "GET").count();
    assert_eq!(lists, 2, "listed again before the second POST");
}

/// `report alerts` in a folder whose cpu/mobilenet_v2 history steps up 11% at
/// entry 6 (paired), against the fake API.
fn alerts_cli(dir: &Path, base: &str, extra: &[&str]) -> (i32, String, String) {
    let out = common::bin()
        .args(["report", "alerts", "--commit", &fake_commit(6)])
        .args(extra)
        .current_dir(dir)
        .env("GITHUB_API_URL", base)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_SHA", fake_commit(6))
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env_remove("GITHUB_EVENT_PATH")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn report_alerts_opens_one_issue_per_step_and_a_rerun_updates_it() {
    let d = tempfile::tempdir().unwrap();
    let baselines = d.path().join("baselines");
    write_history(
        &baselines,
        "cpu",
        "mobilenet_v2",
        &history_lines(&level_shift_history(12, 6)),
    );
    let flat: Vec<_> = (0..12).map(|i| history_entry(i, 7.0, Some(0.75))).collect();
    write_history(
        &baselines,
        "openvino-cpu",
        "mobilenet_v2",
        &history_lines(&paired_chain(flat)),
    );
    let (gh, base) = FakeGithub::start();
    gh.expect_token(TOKEN);
    let (code, _, err) = alerts_cli(d.path(), &base, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("opened issue #1"), "{err}");
    let issues = gh.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let i = &issues[0];
    assert!(
        i.title.starts_with("edgeperf: mobilenet_v2 on cpu +12."),
        "{}",
        i.title
    );
    let marker = format!(
        "<!-- edgeperf-alert cpu/mobilenet_v2 {}..{} -->",
        fake_commit(5),
        fake_commit(6)
    );
    assert!(i.body.starts_with(&marker), "{}", i.body);
    for part in [
        format!(
            "edgeperf bisect {} {} --path cpu/mobilenet_v2",
            fake_commit(5),
            fake_commit(6)
        ),
        format!(
            "https://github.com/{REPO}/compare/{}...{}",
            fake_commit(5),
            fake_commit(6)
        ),
        "| openvino-cpu | +0.0% [-1.0, +1.0] | unchanged | - | 7.35 |".to_string(),
        "| cpu | +12.4% [+11.4, +13.4] | regressed | slower |".to_string(),
    ] {
        assert!(i.body.contains(&part), "{part}\n{}", i.body);
    }
    let (code, _, err) = alerts_cli(d.path(), &base, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("updated issue #1"), "{err}");
    assert_eq!(gh.issues().len(), 1);
    // Another commit of the same history: no step there, no request at all.
    gh.clear_requests();
    let out = common::bin()
        .args(["report", "alerts", "--commit", &fake_commit(7)])
        .current_dir(d.path())
        .env("GITHUB_API_URL", &base)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", REPO)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(gh.requests().is_empty());
    // A dry run prints the issue and sends nothing.
    let (code, out, _) = alerts_cli(d.path(), &base, &["--dry-run"]);
    assert_eq!(code, 1);
    assert!(out.contains(&marker), "{out}");
    assert!(gh.requests().is_empty());
}

#[test]
fn a_bad_commit_argument_is_one_error_line() {
    let d = tempfile::tempdir().unwrap();
    write_history(
        &d.path().join("baselines"),
        "cpu",
        "m",
        &history_lines(&level_shift_history(8, 4)),
    );
    let (code, _, err) = common::run(
        &["report", "alerts", "--commit", "HEAD; rm -rf /"],
        d.path(),
    );
    common::assert_error(code, &err, &["--commit", "not a commit id"]);
}

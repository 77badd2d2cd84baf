//! `edgeperf::github` against a fake GitHub API on 127.0.0.1.
#![cfg(feature = "github")] // the GitHub client is the default `github` feature

#[path = "common/fake_github.rs"]
mod fake_github;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use edgeperf::github::{
    prepare_body, prepare_body_with_limit, write_step_summary_to, CommentAction, CommitStatus,
    GithubContext, GithubError, Publisher, RetryPolicy, StatusState, GITHUB_COMMENT_LIMIT, MARKER,
};
use fake_github::{FakeGithub, Fault};

const TOKEN: &str = "ghs_SuperSecretToken0123456789abcdef";
const REPO: &str = "acme/widgets";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn ctx(base: &str, pr: Option<u64>) -> GithubContext {
    GithubContext {
        api_url: base.to_string(),
        token: TOKEN.into(),
        repository: REPO.into(),
        pr,
        sha: SHA.into(),
    }
}

/// Fast retries, and the waits recorded instead of slept.
fn fast_publisher() -> (Publisher, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = waits.clone();
    let p = Publisher::with_policy(RetryPolicy {
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        request_timeout: Duration::from_secs(10),
        ..RetryPolicy::default()
    })
    .with_sleeper(move |d| w.lock().unwrap().push(d));
    (p, waits)
}

fn statuses() -> Vec<CommitStatus> {
    vec![
        CommitStatus::for_device("cpu-x86", StatusState::Success, "p50 4.1 ms (-0.3%)", None),
        CommitStatus::for_device(
            "jetson-nano",
            StatusState::Failure,
            "p50 regressed +12.4% (9.8 ms -> 11.0 ms)",
            Some("https://github.com/acme/widgets/actions/runs/1".into()),
        ),
    ]
}

fn marker_comments(gh: &FakeGithub, pr: u64) -> Vec<fake_github::Comment> {
    gh.comments_on(REPO, pr)
        .into_iter()
        .filter(|c| c.body.contains(MARKER))
        .collect()
}

#[test]
fn first_publish_creates_comment_and_sets_statuses() {
    let (gh, base) = FakeGithub::start();
    gh.expect_token(TOKEN);
    gh.seed_comments(REPO, 7, 3);
    let (p, _) = fast_publisher();

    let out = p
        .publish(
            &ctx(&base, Some(7)),
            "## edgeperf\n| device | p50 |\n",
            &statuses(),
        )
        .unwrap();

    let id = match out.comment {
        CommentAction::Created { id, .. } => id,
        other => panic!("expected Created, got {other:?}"),
    };
    let mine = marker_comments(&gh, 7);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, id);
    assert!(mine[0].body.starts_with(MARKER));
    assert!(mine[0].body.contains("| device | p50 |"));

    let st = gh.statuses();
    assert_eq!(st.len(), 2);
    assert_eq!(
        (
            st[0].context.as_str(),
            st[0].state.as_str(),
            st[0].sha.as_str()
        ),
        ("edgeperf/cpu-x86", "success", SHA)
    );
    assert_eq!(st[1].context, "edgeperf/jetson-nano");
    assert_eq!(st[1].state, "failure");
    assert_eq!(
        st[1].target_url.as_deref(),
        Some("https://github.com/acme/widgets/actions/runs/1")
    );

    // Headers GitHub asks for, on every request.
    let reqs = gh.requests();
    assert!(reqs
        .iter()
        .any(|r| r.method == "POST" && r.path == "/repos/acme/widgets/issues/7/comments"));
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
        assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
        assert!(
            r.header("user-agent").unwrap().starts_with("edgeperf/"),
            "{:?}",
            r.header("user-agent")
        );
    }
    let list = reqs.iter().find(|r| r.method == "GET").unwrap();
    assert_eq!(list.query_param("per_page"), Some("100"));
}

#[test]
fn second_publish_patches_the_marker_comment_on_page_two() {
    let (gh, base) = FakeGithub::start();
    gh.seed_comments(REPO, 42, 150);
    let (p, _) = fast_publisher();
    let c = ctx(&base, Some(42));

    let first = p.publish(&c, "run 1", &statuses()).unwrap();
    let CommentAction::Created { id, .. } = first.comment else {
        panic!("{:?}", first.comment)
    };
    // More chatter after ours: the marker comment is #151 of 160, on page 2.
    gh.seed_comments(REPO, 42, 10);
    gh.clear_requests();

    let second = p.publish(&c, "run 2", &statuses()).unwrap();
    assert_eq!(
        second.comment,
        CommentAction::Updated {
            id,
            url: Some(format!(
                "https://github.com/{REPO}/pull/42#issuecomment-{id}"
            ))
        }
    );

    let mine = marker_comments(&gh, 42);
    assert_eq!(mine.len(), 1, "exactly one edgeperf comment");
    assert!(mine[0].body.contains("run 2") && !mine[0].body.contains("run 1"));
    assert_eq!(gh.comments_on(REPO, 42).len(), 161);

    let reqs = gh.requests();
    let pages: Vec<_> = reqs
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.query_param("page").unwrap().to_string())
        .collect();
    assert_eq!(
        pages,
        ["1", "2"],
        "followed Link rel=next to page 2 and stopped there"
    );
    assert!(reqs
        .iter()
        .any(|r| r.method == "PATCH" && r.path == format!("/repos/{REPO}/issues/comments/{id}")));
    assert!(!reqs
        .iter()
        .any(|r| r.method == "POST" && r.path.ends_with("/comments")));
    assert_eq!(gh.statuses().len(), 4);
}

#[test]
fn pagination_without_link_headers_stops_on_empty_page() {
    let (gh, base) = FakeGithub::start();
    gh.set_link_headers(false);
    gh.seed_comments(REPO, 5, 200);
    let (p, _) = fast_publisher();

    let out = p.publish(&ctx(&base, Some(5)), "hello", &[]).unwrap();
    assert!(matches!(out.comment, CommentAction::Created { .. }));
    let pages: Vec<_> = gh
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.query_param("page").unwrap().to_string())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
    assert_eq!(marker_comments(&gh, 5).len(), 1);
}

#[test]
fn several_marker_comments_update_the_oldest() {
    let (gh, base) = FakeGithub::start();
    let old = gh.add_comment(REPO, 9, &format!("{MARKER}\nold"), "github-actions[bot]");
    let newer = gh.add_comment(REPO, 9, &format!("{MARKER}\nnewer"), "github-actions[bot]");
    let (p, _) = fast_publisher();
    let out = p.publish(&ctx(&base, Some(9)), "fresh", &[]).unwrap();
    assert!(matches!(out.comment, CommentAction::Updated { id, .. } if id == old));
    let all = gh.comments_on(REPO, 9);
    assert!(all
        .iter()
        .find(|c| c.id == old)
        .unwrap()
        .body
        .contains("fresh"));
    assert!(all
        .iter()
        .find(|c| c.id == newer)
        .unwrap()
        .body
        .contains("newer"));
}

#[test]
fn a_marker_in_someone_elses_comment_is_never_overwritten() {
    let (gh, base) = FakeGithub::start();
    // A reviewer quotes the bot's comment, marker included; then the bot's own.
    let quote = gh.add_comment(REPO, 12, &format!("> {MARKER}\n> old table"), "alice");
    let (p, _) = fast_publisher();
    let out = p.publish(&ctx(&base, Some(12)), "first", &[]).unwrap();
    let created = match out.comment {
        CommentAction::Created { id, .. } => id,
        other => panic!("expected a new comment, got {other:?}"),
    };
    let out = p.publish(&ctx(&base, Some(12)), "second", &[]).unwrap();
    assert!(matches!(out.comment, CommentAction::Updated { id, .. } if id == created));
    let all = gh.comments_on(REPO, 12);
    assert_eq!(all.len(), 2);
    let alice = all.iter().find(|c| c.id == quote).unwrap();
    assert_eq!(alice.body, format!("> {MARKER}\n> old table"));
    assert!(all
        .iter()
        .find(|c| c.id == created)
        .unwrap()
        .body
        .contains("second"));

    // A token that posts as another account (a GitHub App) names it.
    let app = gh.add_comment(
        REPO,
        13,
        &format!("{MARKER}\nby the app"),
        "edgeperf-app[bot]",
    );
    let out = p
        .clone()
        .with_comment_author("edgeperf-app[bot]")
        .publish(&ctx(&base, Some(13)), "third", &[])
        .unwrap();
    assert!(matches!(out.comment, CommentAction::Updated { id, .. } if id == app));
}

#[test]
fn server_error_then_success_is_retried() {
    let (gh, base) = FakeGithub::start();
    gh.fail_next("/repos/acme/widgets/issues/3/comments", 502, &[]);
    gh.inject(Fault::new("/repos/acme/widgets/statuses/", 503).method("POST"));
    let (p, waits) = fast_publisher();

    let out = p
        .publish(&ctx(&base, Some(3)), "body", &statuses())
        .unwrap();
    assert!(matches!(out.comment, CommentAction::Created { .. }));
    assert_eq!(out.retries, 2);
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_millis(5), Duration::from_millis(5)]
    );
    assert_eq!(marker_comments(&gh, 3).len(), 1);
    assert_eq!(gh.statuses().len(), 2);
    let gets = gh.requests().iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets, 2, "the failed listing was repeated");
}

#[test]
fn failed_create_relists_instead_of_posting_twice() {
    let (gh, base) = FakeGithub::start();
    // POST fails with 502 once; the retry must look for the comment again.
    gh.inject(Fault::new("/repos/acme/widgets/issues/4/comments", 502).method("POST"));
    gh.inject(Fault::new("/repos/acme/widgets/issues/4/comments", 500).method("POST"));
    let (p, _) = fast_publisher();
    let out = p.publish(&ctx(&base, Some(4)), "body", &[]).unwrap();
    assert!(matches!(out.comment, CommentAction::Created { .. }));
    let methods: Vec<_> = gh.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "POST", "GET", "POST"]);
    assert_eq!(marker_comments(&gh, 4).len(), 1);
}

#[test]
fn network_error_is_retried() {
    let (gh, base) = FakeGithub::start();
    gh.inject(Fault::new("/repos/acme/widgets/statuses/", 0).drop_connection());
    let (p, _) = fast_publisher();
    let out = p.publish(&ctx(&base, None), "body", &statuses()).unwrap();
    assert_eq!(out.comment, CommentAction::SkippedNoPr);
    assert_eq!(out.retries, 1);
    assert_eq!(gh.statuses().len(), 2);
}

#[test]
fn persistent_server_errors_give_up_within_the_budget() {
    let (gh, base) = FakeGithub::start();
    gh.inject(Fault::new("/repos/", 500).times(100));
    let (p, waits) = fast_publisher();
    let err = p.publish(&ctx(&base, Some(1)), "body", &[]).unwrap_err();
    assert!(
        matches!(err, GithubError::Server { attempts: 5, .. }),
        "{err:?}"
    );
    assert_eq!(gh.requests().len(), 5);
    assert_eq!(waits.lock().unwrap().len(), 4);
    assert!(err.to_string().contains("after 5 attempt(s)"), "{err}");
}

#[test]
fn rate_limit_403_with_retry_after_waits_then_succeeds() {
    let (gh, base) = FakeGithub::start();
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    gh.inject(
        Fault::new("/repos/acme/widgets/issues/11/comments", 403)
            .method("GET")
            .header("retry-after", "1")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", &reset.to_string())
            .body(r#"{"message":"API rate limit exceeded"}"#),
    );
    // Real sleeping here: the wait GitHub asked for is honoured.
    let p = Publisher::with_policy(RetryPolicy {
        base_backoff: Duration::from_millis(5),
        ..RetryPolicy::default()
    });
    let t0 = Instant::now();
    let out = p
        .publish(&ctx(&base, Some(11)), "body", &statuses())
        .unwrap();
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(1), "waited only {took:?}");
    assert!(took < Duration::from_secs(10), "waited {took:?}");
    assert_eq!(out.retries, 1);
    assert_eq!(out.waited, Duration::from_secs(1));
    assert_eq!(marker_comments(&gh, 11).len(), 1);
    assert_eq!(gh.statuses().len(), 2);
}

#[test]
fn rate_limit_reset_header_and_429_are_waited_out() {
    let (gh, base) = FakeGithub::start();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    gh.fail_next(
        "/repos/acme/widgets/statuses/",
        403,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &(now + 20).to_string()),
        ],
    );
    gh.fail_next(
        "/repos/acme/widgets/statuses/",
        429,
        &[("retry-after", "3")],
    );
    let (p, waits) = fast_publisher();
    p.publish(&ctx(&base, None), "", &statuses()).unwrap();
    let w = waits.lock().unwrap().clone();
    assert_eq!(w.len(), 2);
    assert!(
        (Duration::from_secs(19)..=Duration::from_secs(22)).contains(&w[0]),
        "{w:?}"
    );
    assert_eq!(w[1], Duration::from_secs(3));
    assert_eq!(gh.statuses().len(), 2);
}

#[test]
fn rate_limit_past_the_budget_fails_saying_when_it_resets() {
    let (gh, base) = FakeGithub::start();
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    gh.fail_next(
        "/repos/",
        403,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset.to_string()),
        ],
    );
    let (p, waits) = fast_publisher();
    let err = p.publish(&ctx(&base, Some(2)), "body", &[]).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, GithubError::RateLimited { reset_epoch: Some(r), .. } if r == reset),
        "{err:?}"
    );
    assert!(
        msg.contains(&format!("epoch {reset}")) && msg.contains("resets at"),
        "{msg}"
    );
    assert!(waits.lock().unwrap().is_empty(), "must not sleep an hour");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn unauthorized_says_how_to_fix_the_token() {
    let (gh, base) = FakeGithub::start();
    gh.expect_token("the-right-token");
    let (p, _) = fast_publisher();
    let err = p
        .publish(&ctx(&base, Some(1)), "body", &statuses())
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, GithubError::Unauthorized { .. }), "{err:?}");
    assert!(
        msg.contains("401") && msg.contains("GITHUB_TOKEN") && msg.contains("secrets.GITHUB_TOKEN"),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert_eq!(err.exit_code(), 2, "exit-code class: error");
    assert!(!msg.contains(TOKEN) && !format!("{err:?}").contains(TOKEN));
    assert_eq!(gh.requests().len(), 1, "401 is not retried");
}

#[test]
fn forbidden_prints_the_permissions_yaml() {
    let (gh, base) = FakeGithub::start();
    gh.fail_next("/repos/acme/widgets/statuses/", 403, &[]);
    let (p, _) = fast_publisher();
    let err = p
        .publish(&ctx(&base, None), "body", &statuses())
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, GithubError::Forbidden { .. }), "{err:?}");
    assert!(
        msg.contains("permissions:\n  pull-requests: write\n  statuses: write"),
        "{msg}"
    );
    assert!(msg.contains("fork"), "{msg}");
    assert!(msg.contains("/repos/acme/widgets/statuses/"), "{msg}");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn not_found_names_the_repository_path() {
    let (gh, base) = FakeGithub::start();
    gh.restrict_repos(&["acme/other"]);
    let (p, _) = fast_publisher();
    let err = p.publish(&ctx(&base, Some(8)), "body", &[]).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");
    assert!(
        msg.contains("/repos/acme/widgets/issues/8/comments"),
        "{msg}"
    );
    assert!(msg.contains("GITHUB_REPOSITORY"), "{msg}");
    assert!(!msg.contains(&base), "path, not the full URL: {msg}");
}

#[test]
fn other_4xx_reports_githubs_message() {
    let (gh, base) = FakeGithub::start();
    let (p, _) = fast_publisher();
    // A description is cut to 140 chars before sending; 422 comes from an injected fault.
    gh.inject(
        Fault::new("/repos/acme/widgets/statuses/", 422)
            .body(r#"{"message":"Validation Failed","errors":[]}"#),
    );
    let err = p.publish(&ctx(&base, None), "", &statuses()).unwrap_err();
    assert!(
        matches!(err, GithubError::Api { status: 422, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("422") && err.to_string().contains("Validation Failed"),
        "{err}"
    );
}

#[test]
fn token_never_leaks() {
    let (gh, base) = FakeGithub::start();
    let (p, _) = fast_publisher();
    let c = ctx(&base, Some(12));

    // Debug output of the context is redacted.
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(TOKEN) && dbg.contains("***"), "{dbg}");
    assert!(!format!("{p:?}").contains(TOKEN));

    // A body or description that (accidentally) contains the token is scrubbed.
    let body = format!("log line: token={TOKEN}\n");
    let st = [CommitStatus::for_device(
        "rpi4",
        StatusState::Error,
        &format!("crashed with {TOKEN}"),
        None,
    )];
    let out = p.publish(&c, &body, &st).unwrap();
    assert!(!out.body.contains(TOKEN) && !format!("{out:?}").contains(TOKEN));
    for r in gh.requests() {
        let without_auth = r
            .raw()
            .replace(&format!("authorization: Bearer {TOKEN}"), "");
        assert!(!without_auth.contains(TOKEN), "leak in {}", r.raw());
    }
    assert!(gh.comments().iter().all(|c| !c.body.contains(TOKEN)));
    assert!(gh.statuses().iter().all(|s| !s.description.contains(TOKEN)));

    // Errors: every kind we can provoke.
    for (status, body) in [
        (401, "{}"),
        (403, "{}"),
        (404, "{}"),
        (422, &*format!(r#"{{"message":"bad {TOKEN}"}}"#)),
    ] {
        gh.inject(Fault::new("/repos/", status).body(body));
        let err = p.publish(&c, "x", &[]).unwrap_err();
        assert!(!err.to_string().contains(TOKEN), "{err}");
        assert!(!format!("{err:?}").contains(TOKEN), "{err:?}");
    }
    let unreachable = GithubContext {
        api_url: "http://127.0.0.1:1".into(),
        ..c.clone()
    };
    let err = fast_publisher()
        .0
        .publish(&unreachable, "x", &[])
        .unwrap_err();
    assert!(matches!(err, GithubError::Network { .. }), "{err:?}");
    assert!(!err.to_string().contains(TOKEN) && !format!("{err:?}").contains(TOKEN));
}

#[test]
fn truncation_keeps_body_under_limit_and_keeps_marker() {
    let line = "| mobilenet_v2 | cpu-x86 | 4.12 ms | 4.10 ms | +0.5% | ✅ ünïcödé |\n";
    let huge = format!("## edgeperf\n```\n{}", line.repeat(5000));
    let body = prepare_body(&huge);
    assert!(
        body.chars().count() <= GITHUB_COMMENT_LIMIT,
        "{}",
        body.chars().count()
    );
    assert!(body.starts_with(MARKER));
    assert_eq!(body.matches(MARKER).count(), 1);
    assert!(body.contains("… truncated: "), "visible note");
    assert!(body.contains("more characters; see the workflow artifacts"));
    // Cut on a line boundary: the last table row before the note is whole,
    // and the open ``` fence is closed before the note.
    let before_note = body.split("\n```\n\n> **… truncated").next().unwrap();
    assert!(
        before_note.ends_with("ünïcödé |"),
        "{:?}",
        &before_note[before_note.len() - 80..]
    );
    // N is exact.
    let n: usize = body
        .split("truncated: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let kept = before_note.strip_prefix(&format!("{MARKER}\n")).unwrap();
    assert_eq!(kept.chars().count() + n, huge.chars().count());

    // A single giant line (no newline to cut at) still fits, on a char boundary.
    let one = "é".repeat(100_000);
    let b = prepare_body(&one);
    assert!(b.chars().count() <= GITHUB_COMMENT_LIMIT && b.starts_with(MARKER));

    // Small bodies are untouched apart from the marker; a marker already in the input is not doubled.
    assert_eq!(prepare_body("hi"), format!("{MARKER}\nhi"));
    assert_eq!(
        prepare_body(&format!("{MARKER}\nhi"))
            .matches(MARKER)
            .count(),
        1
    );
    let tiny = prepare_body_with_limit(&"abc\n".repeat(200), 300);
    assert!(
        tiny.chars().count() <= 300 && tiny.starts_with(MARKER) && tiny.contains("truncated"),
        "{tiny}"
    );
}

#[test]
fn oversized_body_is_accepted_by_github() {
    let (gh, base) = FakeGithub::start();
    let (p, _) = fast_publisher();
    let out = p
        .publish(&ctx(&base, Some(20)), &"x".repeat(70_000), &[])
        .unwrap();
    assert!(matches!(out.comment, CommentAction::Created { .. }));
    let c = &marker_comments(&gh, 20)[0];
    assert!(c.body.chars().count() <= GITHUB_COMMENT_LIMIT);
}

#[test]
fn dry_run_sends_nothing() {
    let (gh, base) = FakeGithub::start();
    let c = ctx(&base, Some(3));
    let long = "d".repeat(300);
    let st = [CommitStatus {
        context: "edgeperf/rpi4".into(),
        state: StatusState::Pending,
        description: long,
        target_url: None,
    }];
    let out = Publisher::dry_run().publish(&c, "## report", &st).unwrap();
    assert!(out.dry_run && out.comment == CommentAction::DryRun);
    assert!(out.body.starts_with(MARKER) && out.body.contains("## report"));
    assert_eq!(out.statuses[0].description.chars().count(), 140);
    let text = out.summary(&c);
    assert!(
        text.contains("dry run") && text.contains("edgeperf/rpi4") && text.contains("## report"),
        "{text}"
    );
    assert!(gh.requests().is_empty());

    // A dry-run context needs no token.
    let dc = GithubContext::for_dry_run_lookup(Some(5), None, |_| None);
    assert_eq!(dc.pr, Some(5));
    assert!(dc.token.is_empty());
}

fn lookup(map: HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> {
    move |k| map.get(k).cloned()
}

#[test]
fn context_from_event_file() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("event.json");
    std::fs::write(
        &ev,
        r#"{"action":"synchronize","number":77,"pull_request":{"number":77,"head":{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","ref":"feature"},"base":{"ref":"main"}}}"#,
    )
    .unwrap();
    let env = || {
        HashMap::from([
            ("GITHUB_TOKEN", TOKEN.to_string()),
            ("GITHUB_REPOSITORY", REPO.to_string()),
            ("GITHUB_EVENT_PATH", ev.display().to_string()),
            (
                "GITHUB_SHA",
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".to_string(),
            ),
        ])
    };
    let c = GithubContext::from_lookup(None, None, lookup(env())).unwrap();
    assert_eq!(c.pr, Some(77));
    assert_eq!(
        c.sha, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "PR head, not the merge commit"
    );
    assert_eq!(c.api_url, "https://api.github.com");
    assert_eq!(c.repository, REPO);

    // --pr / --sha win; GHE API URL is used as given (trailing slash dropped).
    let mut e = env();
    e.insert("GITHUB_API_URL", "https://ghe.example.com/api/v3/".into());
    let c = GithubContext::from_lookup(Some(5), Some("cccccccc".into()), lookup(e)).unwrap();
    assert_eq!(
        (c.pr, c.sha.as_str(), c.api_url.as_str()),
        (Some(5), "cccccccc", "https://ghe.example.com/api/v3")
    );

    // issue_comment events: issue.number, GITHUB_SHA.
    std::fs::write(
        &ev,
        r#"{"issue":{"number":31,"pull_request":{"url":"x"}},"comment":{"body":"/bench"}}"#,
    )
    .unwrap();
    let c = GithubContext::from_lookup(None, None, lookup(env())).unwrap();
    assert_eq!(
        (c.pr, c.sha.as_str()),
        (Some(31), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
    );

    // push events: no PR.
    std::fs::write(&ev, r#"{"ref":"refs/heads/main","after":"bbbb"}"#).unwrap();
    assert_eq!(
        GithubContext::from_lookup(None, None, lookup(env()))
            .unwrap()
            .pr,
        None
    );

    // Broken event file -> error naming it, suggesting --pr.
    std::fs::write(&ev, "not json").unwrap();
    let err = GithubContext::from_lookup(None, None, lookup(env())).unwrap_err();
    assert!(
        matches!(err, GithubError::EventFile { .. }) && err.to_string().contains("--pr"),
        "{err}"
    );
}

#[test]
fn context_missing_variables_are_named() {
    let full = || {
        HashMap::from([
            ("GITHUB_TOKEN", TOKEN.to_string()),
            ("GITHUB_REPOSITORY", REPO.to_string()),
            ("GITHUB_SHA", SHA.to_string()),
        ])
    };
    for var in ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_SHA"] {
        let mut e = full();
        e.remove(var);
        let err = GithubContext::from_lookup(Some(1), None, lookup(e)).unwrap_err();
        assert!(err.to_string().contains(var), "{err}");
        assert!(!err.to_string().contains(TOKEN));
    }
    let mut e = full();
    e.insert("GITHUB_TOKEN", "   ".into());
    assert!(GithubContext::from_lookup(Some(1), None, lookup(e))
        .unwrap_err()
        .to_string()
        .contains("GITHUB_TOKEN"));
    let mut e = full();
    e.insert("GITHUB_REPOSITORY", "not-a-repo".into());
    assert!(matches!(
        GithubContext::from_lookup(Some(1), None, lookup(e)),
        Err(GithubError::InvalidEnv { .. })
    ));
    let err = GithubContext::from_lookup(Some(1), Some("main; rm -rf".into()), lookup(full()))
        .unwrap_err();
    assert!(matches!(err, GithubError::InvalidEnv { .. }), "{err:?}");
}

/// The only test here that touches the process environment.
#[test]
fn from_env_and_step_summary_use_the_real_environment() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("event.json");
    std::fs::write(&ev, r#"{"pull_request":{"number":3,"head":{"sha":"dddddddddddddddddddddddddddddddddddddddd"}}}"#).unwrap();
    let summary = dir.path().join("summary.md");
    std::env::set_var("GITHUB_TOKEN", TOKEN);
    std::env::set_var("GITHUB_REPOSITORY", REPO);
    std::env::set_var("GITHUB_EVENT_PATH", &ev);
    std::env::set_var("GITHUB_STEP_SUMMARY", &summary);
    std::env::remove_var("GITHUB_API_URL");
    let c = GithubContext::from_env(None, None).unwrap();
    assert_eq!(
        (c.pr, c.sha.as_str()),
        (Some(3), "dddddddddddddddddddddddddddddddddddddddd")
    );

    assert_eq!(
        edgeperf::github::write_step_summary("# one")
            .unwrap()
            .as_deref(),
        Some(summary.as_path())
    );
    edgeperf::github::write_step_summary("# two\n").unwrap();
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "# one\n# two\n");
    std::env::remove_var("GITHUB_STEP_SUMMARY");
    assert_eq!(
        edgeperf::github::write_step_summary("# three").unwrap(),
        None
    );

    // Oversized summaries are cut below GitHub's 1 MiB.
    let big = dir.path().join("big.md");
    write_step_summary_to(&big, &"row\n".repeat(400_000)).unwrap();
    let len = std::fs::metadata(&big).unwrap().len();
    assert!(len <= 1_000_000, "{len}");
}

#[test]
fn comment_deleted_between_list_and_patch_is_looked_up_again() {
    let (gh, base) = FakeGithub::start();
    let id = gh.add_comment(REPO, 14, &format!("{MARKER}\nold"), "github-actions[bot]");
    gh.inject(
        Fault::new(&format!("/repos/acme/widgets/issues/comments/{id}"), 404).method("PATCH"),
    );
    // The fault stands in for the deletion; the store still has the comment,
    // so the retry finds and patches it again.
    let (p, _) = fast_publisher();
    let out = p.publish(&ctx(&base, Some(14)), "new", &[]).unwrap();
    assert!(matches!(out.comment, CommentAction::Updated { id: i, .. } if i == id));
    let methods: Vec<_> = gh.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET", "PATCH", "GET", "PATCH"]);
    assert!(marker_comments(&gh, 14)[0].body.contains("new"));
}

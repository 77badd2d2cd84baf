//! `scripts/runner/job-started.sh`, the admission check a device runner runs before
//! every job: with the variables and event payloads GitHub gives a job, a fork's
//! pull request (whatever its edited workflow asks for), Dependabot, other events,
//! workflows, branches and repositories are refused (exit 1, one line why), and
//! the three ways edgeperf's own workflows reach a device are admitted.

use std::path::PathBuf;
use std::process::Command;

const REPO: &str = "acme/models";

fn hook() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/runner/job-started.sh")
}

struct Job<'a> {
    event: &'a str,
    workflow_ref: String,
    payload: serde_json::Value,
    actor: &'a str,
}

fn pr_payload(head_repo: &str, author: &str) -> serde_json::Value {
    serde_json::json!({
        "repository": { "full_name": REPO, "default_branch": "main" },
        "pull_request": {
            "number": 7,
            "user": { "login": author },
            "head": { "sha": "1111111111222222222233333333334444444444", "repo": { "full_name": head_repo } },
            "base": { "ref": "main", "repo": { "full_name": REPO } }
        }
    })
}

fn repo_payload() -> serde_json::Value {
    serde_json::json!({ "repository": { "full_name": REPO, "default_branch": "main" } })
}

fn wf(file: &str, r#ref: &str) -> String {
    format!("{REPO}/.github/workflows/{file}@{ref}")
}

/// Runs the hook for `job` on a runner serving `serves`; (exit code, stderr).
fn admit(job: &Job, serves: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(&event, job.payload.to_string()).unwrap();
    let out = Command::new("bash")
        .arg(hook())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("EDGEPERF_REPOSITORY", serves)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_EVENT_NAME", job.event)
        .env("GITHUB_WORKFLOW_REF", &job.workflow_ref)
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_ACTOR", job.actor)
        .env("GITHUB_TRIGGERING_ACTOR", job.actor)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn refused(job: &Job, why: &str) {
    let (code, err) = admit(job, REPO);
    assert_eq!(code, 1, "admitted {}: {err}", job.workflow_ref);
    let lines: Vec<&str> = err.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("edgeperf runner: refused: ") && lines[0].contains(why),
        "{err} lacks {why:?}"
    );
}

fn admitted(job: &Job) {
    let (code, err) = admit(job, REPO);
    assert_eq!(code, 0, "refused {}: {err}", job.workflow_ref);
}

#[test]
fn a_fork_pull_request_never_reaches_a_device_whatever_its_workflow_says() {
    // The fork's edited PR workflow, a new workflow of its own, and a call into
    // the main workflow: pull_request jobs from a fork are refused in every case.
    for file in ["edgeperf-pr.yml", "my-own-bench.yml", "edgeperf-main.yml"] {
        let job = Job {
            event: "pull_request",
            workflow_ref: wf(file, "refs/pull/7/merge"),
            payload: pr_payload("mallory/models", "mallory"),
            actor: "mallory",
        };
        let (code, err) = admit(&job, REPO);
        assert_eq!(code, 1, "{file}: {err}");
    }
    refused(
        &Job {
            event: "pull_request",
            workflow_ref: wf("edgeperf-pr.yml", "refs/pull/7/merge"),
            payload: pr_payload("mallory/models", "mallory"),
            actor: "mallory",
        },
        "a fork",
    );
    // pull_request_target runs base-branch YAML with a write-capable token: not for devices.
    refused(
        &Job {
            event: "pull_request_target",
            workflow_ref: wf("edgeperf-pr.yml", "refs/heads/main"),
            payload: pr_payload("mallory/models", "mallory"),
            actor: "mallory",
        },
        "never runs on device runners",
    );
}

#[test]
fn dependabot_is_treated_like_a_fork() {
    for (author, actor) in [
        ("dependabot[bot]", "dependabot[bot]"),
        ("dependabot[bot]", "alice"),
        ("alice", "dependabot[bot]"),
    ] {
        refused(
            &Job {
                event: "pull_request",
                workflow_ref: wf("edgeperf-pr.yml", "refs/pull/9/merge"),
                payload: pr_payload(REPO, author),
                actor,
            },
            "Dependabot",
        );
    }
}

#[test]
fn edgeperf_workflows_from_the_default_branch_and_same_repository_prs_are_admitted() {
    admitted(&Job {
        event: "pull_request",
        workflow_ref: wf("edgeperf-pr.yml", "refs/pull/7/merge"),
        payload: pr_payload(REPO, "alice"),
        actor: "alice",
    });
    admitted(&Job {
        event: "workflow_dispatch",
        workflow_ref: wf("edgeperf-pr.yml", "refs/heads/main"),
        payload: repo_payload(),
        actor: "maintainer",
    });
    admitted(&Job {
        event: "push",
        workflow_ref: wf("edgeperf-main.yml", "refs/heads/main"),
        payload: repo_payload(),
        actor: "alice",
    });
}

#[test]
fn other_branches_workflows_events_and_repositories_are_refused() {
    refused(
        &Job {
            event: "workflow_dispatch",
            workflow_ref: wf("edgeperf-pr.yml", "refs/heads/feature"),
            payload: repo_payload(),
            actor: "alice",
        },
        "start it from the default branch main",
    );
    refused(
        &Job {
            event: "push",
            workflow_ref: wf("edgeperf-main.yml", "refs/heads/feature"),
            payload: repo_payload(),
            actor: "alice",
        },
        "not the default branch",
    );
    refused(
        &Job {
            event: "push",
            workflow_ref: wf("ci.yml", "refs/heads/main"),
            payload: repo_payload(),
            actor: "alice",
        },
        "is not an edgeperf workflow",
    );
    refused(
        &Job {
            event: "issue_comment",
            workflow_ref: wf("edgeperf-pr.yml", "refs/heads/main"),
            payload: repo_payload(),
            actor: "alice",
        },
        "never runs on device runners",
    );
    let job = Job {
        event: "push",
        workflow_ref: wf("edgeperf-main.yml", "refs/heads/main"),
        payload: repo_payload(),
        actor: "alice",
    };
    let (code, err) = admit(&job, "acme/other");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("this runner serves 'acme/other'"), "{err}");
    let (code, err) = admit(&job, "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("EDGEPERF_REPOSITORY is not set"), "{err}");
}

//! `scripts/runner/job-started.sh`, the admission check a device runner runs before
//! every job: with the variables and event payloads GitHub gives a job, a fork's
//! pull request (whatever its edited workflow asks for), Dependabot, other events,
//! workflows, branches and repositories are refused (exit 1, one line why), and
//! the three ways edgeperf's own workflows reach a device are admitted, each with
//! the marker the job's first step checks. Nothing planted in the workspace the
//! hook starts in (`json.py`, `sitecustomize.py`, a `python3` earlier on PATH,
//! PYTHONPATH) changes its answer. `scripts/runner/job-completed.sh` empties the
//! workspace after every job and nothing outside it.

use std::path::{Path, PathBuf};
use std::process::Command;

const REPO: &str = "acme/models";

fn hook() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/runner/job-started.sh")
}

fn completed_hook() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/runner/job-completed.sh")
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

/// What the hook said: exit code, stderr, and what it added to GITHUB_ENV.
struct Answer {
    code: i32,
    stderr: String,
    github_env: String,
}

/// Runs the hook for `job` on a runner serving `serves`, started (as the runner
/// does) in `workspace` with `path` as PATH and `extra` variables.
fn admit_in(
    job: &Job,
    serves: &str,
    workspace: &Path,
    path: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(&event, job.payload.to_string()).unwrap();
    let github_env = dir.path().join("github_env");
    std::fs::write(&github_env, "").unwrap();
    let mut c = Command::new("/bin/bash");
    c.arg("-e")
        .arg(hook())
        .current_dir(workspace)
        .env_clear()
        .env("PATH", path)
        .env("EDGEPERF_REPOSITORY", serves)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_EVENT_NAME", job.event)
        .env("GITHUB_WORKFLOW_REF", &job.workflow_ref)
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_ACTOR", job.actor)
        .env("GITHUB_TRIGGERING_ACTOR", job.actor)
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_RUN_ATTEMPT", "3")
        .env("GITHUB_ENV", &github_env);
    for (k, v) in extra {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    Answer {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        github_env: std::fs::read_to_string(&github_env).unwrap(),
    }
}

/// Runs the hook for `job` on a runner serving `serves`; (exit code, stderr).
fn admit(job: &Job, serves: &str) -> (i32, String) {
    let ws = tempfile::tempdir().unwrap();
    let a = admit_in(
        job,
        serves,
        ws.path(),
        &std::env::var("PATH").unwrap_or_default(),
        &[],
    );
    (a.code, a.stderr)
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
    // A maintainer's bisect (issue 17): the main workflow dispatched from main.
    admitted(&Job {
        event: "workflow_dispatch",
        workflow_ref: wf("edgeperf-main.yml", "refs/heads/main"),
        payload: repo_payload(),
        actor: "maintainer",
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
            event: "workflow_dispatch",
            workflow_ref: wf("edgeperf-main.yml", "refs/heads/feature"),
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

/// A job GitHub would send for a fork's pull request whose author edited the PR
/// workflow (the payload says where the head branch lives).
fn fork_job() -> Job<'static> {
    Job {
        event: "pull_request",
        workflow_ref: wf("edgeperf-pr.yml", "refs/pull/7/merge"),
        payload: pr_payload("mallory/models", "mallory"),
        actor: "mallory",
    }
}

#[test]
fn the_admitted_job_gets_the_marker_its_first_step_checks_and_a_refused_one_none() {
    let ws = tempfile::tempdir().unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    let ok = admit_in(
        &Job {
            event: "push",
            workflow_ref: wf("edgeperf-main.yml", "refs/heads/main"),
            payload: repo_payload(),
            actor: "alice",
        },
        REPO,
        ws.path(),
        &path,
        &[],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.github_env, "EDGEPERF_RUNNER_HOOK=3 4242.3\n");
    let no = admit_in(&fork_job(), REPO, ws.path(), &path, &[]);
    assert_eq!(no.code, 1, "{}", no.stderr);
    assert_eq!(no.github_env, "", "a refused job gets no marker");
}

#[test]
fn a_json_py_and_a_python3_planted_in_the_workspace_do_not_admit_a_fork() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    // What the previous job (same-repository PR code) could leave in the workspace
    // the hook starts in: modules Python imports from the current directory, and
    // a python3 found first on PATH. All of them answer "same repository, main".
    let fake_fields = "print('main'); print('acme/models'); print('alice')";
    let module = format!(
        "import sys\nclass _E(dict):\n    pass\ndef load(f, *a, **k):\n    return {{'repository': {{'default_branch': 'main'}}, 'pull_request': {{'head': {{'repo': {{'full_name': '{REPO}'}}}}, 'user': {{'login': 'alice'}}}}}}\nMARKER = 'planted json'\n"
    );
    std::fs::write(w.join("json.py"), &module).unwrap();
    std::fs::write(
        w.join("sitecustomize.py"),
        format!("import sys\n{fake_fields}\nsys.exit(0)\n"),
    )
    .unwrap();
    let bin = w.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["python3", "python"] {
        let f = bin.join(name);
        std::fs::write(
            &f,
            "#!/bin/sh\ncat >/dev/null\necho main\necho acme/models\necho alice\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pythonpath = w.display().to_string();

    // The plants are live: a plain `python3 -` from PATH in that folder is the
    // fake, and the system interpreter without -I imports the planted json.py.
    let fake = Command::new("sh")
        .args(["-c", "echo | python3 -"])
        .current_dir(w)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&fake.stdout),
        "main\nacme/models\nalice\n"
    );
    let hijacked = Command::new("/usr/bin/python3")
        .args(["-c", "pass"])
        .current_dir(w)
        .env("PYTHONPATH", &pythonpath)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&hijacked.stdout),
        "main\nacme/models\nalice\n",
        "sitecustomize.py on PYTHONPATH is live"
    );
    let planted = Command::new("/usr/bin/python3")
        .arg("-")
        .current_dir(w)
        .env_remove("PYTHONPATH")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"import json; print(json.MARKER)")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        String::from_utf8_lossy(&planted.stdout).contains("planted json"),
        "{planted:?}"
    );

    // The hook still refuses the fork, and admits a same-repository PR for what
    // the payload really says.
    let extra = [("PYTHONPATH", pythonpath.as_str()), ("PYTHONSTARTUP", "")];
    let a = admit_in(&fork_job(), REPO, w, &path, &extra);
    assert_eq!(a.code, 1, "the fork was admitted: {}", a.stderr);
    assert!(a.stderr.contains("(a fork)"), "{}", a.stderr);
    assert_eq!(a.github_env, "");
    let own = Job {
        event: "pull_request",
        workflow_ref: wf("edgeperf-pr.yml", "refs/pull/7/merge"),
        payload: pr_payload(REPO, "alice"),
        actor: "alice",
    };
    let a = admit_in(&own, REPO, w, &path, &extra);
    assert_eq!(a.code, 0, "{}", a.stderr);
}

/// A runner's work folder `_work/models/models` with a checkout and the kinds of
/// leftovers a job can leave, plus a file outside that must survive.
fn workspace_scene(t: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let work = t.join("runner/_work");
    let ws = work.join("models/models");
    std::fs::create_dir_all(ws.join(".git/hooks")).unwrap();
    std::fs::create_dir_all(ws.join("src/deep")).unwrap();
    std::fs::write(ws.join("json.py"), "planted").unwrap();
    std::fs::write(ws.join(".git/hooks/post-checkout"), "planted").unwrap();
    std::fs::write(ws.join("src/deep/file"), "x").unwrap();
    let outside = t.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep"), "keep").unwrap();
    std::os::unix::fs::symlink(&outside, ws.join("link-to-outside")).unwrap();
    std::os::unix::fs::symlink(&outside, ws.join(".edgeperf")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(ws.join("src/deep"), std::fs::Permissions::from_mode(0o555)).unwrap();
    (work, ws, outside)
}

fn complete(ws: &Path, env: &[(&str, &Path)]) -> (i32, String) {
    let mut c = Command::new("/bin/bash");
    c.arg("-e")
        .arg(completed_hook())
        .current_dir(ws.parent().unwrap())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GITHUB_WORKSPACE", ws);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_job_completed_hook_empties_the_workspace_and_nothing_outside_it() {
    let t = tempfile::tempdir().unwrap();
    let (work, ws, outside) = workspace_scene(t.path());
    let (code, err) = complete(&ws, &[("RUNNER_WORKSPACE", &work.join("models"))]);
    assert_eq!(code, 0, "{err}");
    assert!(ws.is_dir(), "the workspace folder itself stays");
    assert_eq!(std::fs::read_dir(&ws).unwrap().count(), 0, "not emptied");
    assert_eq!(
        std::fs::read_to_string(outside.join("keep")).unwrap(),
        "keep"
    );

    // Only strictly inside the runner's work folder: never the folder itself,
    // never elsewhere.
    let (_, ws, _) = workspace_scene(&t.path().join("again"));
    for (root, why) in [
        (ws.clone(), "is not inside the runner's work folder"),
        (t.path().join("elsewhere"), "cannot resolve"),
        (PathBuf::from("relative"), "is not an absolute path"),
    ] {
        if root.is_absolute() && !root.exists() {
            std::fs::create_dir_all(t.path().join("elsewhere/x")).unwrap();
        }
        let (code, err) = complete(&ws, &[("EDGEPERF_RUNNER_WORK", &root)]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(why) || err.contains("is not inside"), "{err}");
        assert!(
            ws.join("json.py").exists(),
            "deleted although refused: {err}"
        );
    }
}

//! `scripts/device-jobs.sh`, how the hosted jobs of the workflows deal with device
//! jobs without making anything `needs:` them (a queued job waits a day for its
//! runner): `pending` sets a pending status per device at the start; `wait`
//! follows the run's `bench (<device>)` jobs against a fake GitHub API and reports
//! a device whose job never started as "no runner" once the wait is over, while
//! a device whose job started is waited for until it completes. The token goes
//! to curl on stdin, never on a command line.

mod common;
#[path = "common/fake_github.rs"]
mod fake_github;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use fake_github::{FakeGithub, Fault};

const TOKEN: &str = "ghs_deviceJobsToken_4Xq9";
const SHA: &str = "1111111111222222222233333333334444444444";
const JOBS: &str = "/repos/acme/models/actions/runs/77/attempts/2/jobs";

fn script() -> PathBuf {
    common::root().join("scripts/device-jobs.sh")
}

fn run(base_url: &str, args: &[&str], output: &std::path::Path) -> Output {
    Command::new("bash")
        .arg(script())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", base_url)
        .env("GITHUB_REPOSITORY", "acme/models")
        .env("GITHUB_RUN_ID", "77")
        .env("GITHUB_RUN_ATTEMPT", "2")
        .env("GITHUB_OUTPUT", output)
        .env("GH_TOKEN", TOKEN)
        .env("EDGEPERF_POLL_SECONDS", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The jobs API's answer with `bench (<device>)` jobs in the given states.
fn jobs(states: &[(&str, &str, Option<&str>)]) -> String {
    let mut list = vec![
        serde_json::json!({ "name": "build-x64", "status": "completed", "conclusion": "success" }),
    ];
    for (device, status, conclusion) in states {
        list.push(serde_json::json!({
            "name": format!("bench ({device})"),
            "status": status,
            "conclusion": conclusion,
        }));
    }
    serde_json::json!({ "total_count": list.len(), "jobs": list }).to_string()
}

#[test]
fn pending_statuses_are_set_for_every_device_at_the_start() {
    let (gh, url) = FakeGithub::start();
    gh.expect_token(TOKEN);
    let t = tempfile::tempdir().unwrap();
    let out = run(
        &url,
        &[
            "pending",
            "--devices",
            r#"["cpu","rpi4"]"#,
            "--sha",
            SHA,
            "--target-url",
            "https://github.com/acme/models/actions/runs/77",
            "--wait-minutes",
            "45",
        ],
        &t.path().join("out"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let st = gh.statuses();
    assert_eq!(st.len(), 2, "{st:?}");
    for (s, d) in st.iter().zip(["cpu", "rpi4"]) {
        assert_eq!(s.sha, SHA);
        assert_eq!(s.context, format!("edgeperf/{d}"));
        assert_eq!(s.state, "pending");
        assert!(s.description.contains("after 45 min"), "{s:?}");
        assert_eq!(
            s.target_url.as_deref(),
            Some("https://github.com/acme/models/actions/runs/77")
        );
    }
    assert!(!text(&out).contains(TOKEN));
    // Bad input: one line, exit 2, nothing sent.
    gh.clear_requests();
    for bad in [r#"["../x"]"#, "cpu", r#"[1]"#] {
        let out = run(
            &url,
            &["pending", "--devices", bad, "--sha", SHA],
            &t.path().join("out"),
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    }
    assert!(gh.requests().is_empty());
}

#[test]
fn a_device_without_a_runner_is_given_up_after_the_wait_and_a_started_one_is_waited_for() {
    let (gh, url) = FakeGithub::start();
    gh.expect_token(TOKEN);
    // cpu runs for a while and finishes after the wait is over; rpi4's job never
    // leaves the queue (its runner is offline); jetson fails quickly.
    gh.inject(
        Fault::new(JOBS, 200)
            .method("GET")
            .body(&jobs(&[
                ("cpu", "in_progress", None),
                ("rpi4", "queued", None),
                ("jetson", "in_progress", None),
            ]))
            .times(1),
    );
    gh.inject(
        Fault::new(JOBS, 200)
            .method("GET")
            .body(&jobs(&[
                ("cpu", "in_progress", None),
                ("rpi4", "queued", None),
                ("jetson", "completed", Some("failure")),
            ]))
            .times(4),
    );
    gh.inject(
        Fault::new(JOBS, 200)
            .method("GET")
            .body(&jobs(&[
                ("cpu", "completed", Some("success")),
                ("rpi4", "queued", None),
                ("jetson", "completed", Some("failure")),
            ]))
            .times(100),
    );
    let t = tempfile::tempdir().unwrap();
    let output = t.path().join("out");
    let started = Instant::now();
    let out = run(
        &url,
        &[
            "wait",
            "--devices",
            r#"["cpu","rpi4","jetson"]"#,
            "--wait-seconds",
            "2",
        ],
        &output,
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cpu: finished (success)"), "{stdout}");
    assert!(stdout.contains("jetson: finished (failure)"), "{stdout}");
    assert!(stdout.contains("rpi4: no runner"), "{stdout}");
    let got = std::fs::read_to_string(&output).unwrap();
    assert_eq!(
        got,
        "finished=[\"cpu\",\"jetson\"]\nno_runner=[\"rpi4\"]\n",
        "{}",
        text(&out)
    );
    // cpu was still running when the 2 s wait was over: it was waited for (six
    // answers, a second apart), and nothing waited for rpi4 beyond that.
    let polls = gh.requests().iter().filter(|r| r.path == JOBS).count();
    assert_eq!(polls, 6, "{}", text(&out));
    assert!(took < Duration::from_secs(30), "{took:?}");
    let argv_free = gh
        .requests()
        .iter()
        .all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}")));
    assert!(argv_free);
}

#[test]
fn jobs_that_all_finish_end_the_wait_at_once_and_an_api_error_is_exit_1() {
    let (gh, url) = FakeGithub::start();
    gh.inject(
        Fault::new(JOBS, 200)
            .body(&jobs(&[("cpu", "completed", Some("success"))]))
            .times(1),
    );
    let t = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = run(
        &url,
        &["wait", "--devices", r#"["cpu"]"#, "--wait-minutes", "30"],
        &t.path().join("out"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(gh.requests().len(), 1);
    // The API answers 404 from now on (a wrong run id, a token without actions: read).
    let out = run(
        &url,
        &["wait", "--devices", r#"["cpu"]"#, "--wait-minutes", "30"],
        &t.path().join("out2"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        !t.path().join("out2").exists(),
        "no outputs after a failure"
    );
}

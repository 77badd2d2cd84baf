//! `scripts/runner/supervise.sh`, the ephemeral runner's supervisor, for one job
//! (EDGEPERF_SUPERVISE_ONCE) against a fake GitHub API and a fake `run.sh`: the
//! runner user starts from a clean home (only the sha256-checked download cache
//! kept, never through a link) and an empty work folder, the just-in-time
//! configuration reaches the runner in its environment, never its command line,
//! the registration token only in the request header; a runner folder a job
//! could change stops it before anything runs.

mod common;
#[path = "common/fake_github.rs"]
mod fake_github;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fake_github::{FakeGithub, Fault};

const TOKEN: &str = "github_pat_supervisorTest_77Zq";
const JIT: &str = "ZW5jb2RlZC1qaXQtY29uZmlnLWZvci10ZXN0";
const JIT_PATH: &str = "/repos/acme/models/actions/runners/generate-jitconfig";

fn script() -> PathBuf {
    common::root().join("scripts/runner/supervise.sh")
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn whoami() -> (u32, String) {
    let id = |a: &str| {
        let o = Command::new("id").arg(a).output().unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    (id("-u").parse().unwrap(), id("-un"))
}

/// A runner folder with a fake run.sh that logs what it got and leaves files
/// behind, a home with plants and a download cache, and the token file.
struct Scene {
    tmp: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let s = Scene { tmp };
        let runner = s.p("runner");
        std::fs::create_dir_all(runner.join("_work/models/models/.git")).unwrap();
        std::fs::write(runner.join("_work/models/models/json.py"), "left by a job").unwrap();
        std::fs::write(runner.join(".env"), "EDGEPERF_REPOSITORY=acme/models\n").unwrap();
        std::fs::write(runner.join(".path"), "/usr/bin:/bin\n").unwrap();
        let run = runner.join("run.sh");
        std::fs::write(
            &run,
            format!(
                "#!/bin/sh\nlog='{log}'\nprintf '%s\\n' \"$@\" > \"$log/argv\"\nprintf '%s' \"$ACTIONS_RUNNER_INPUT_JITCONFIG\" > \"$log/jit\"\nls -A '{home}' > \"$log/home-at-start\"\nls -A '{runner}/_work' > \"$log/work-at-start\"\ntouch '{home}/.bashrc' '{runner}/_work/leftover'\n",
                log = s.p("log").display(),
                home = s.p("home").display(),
                runner = runner.display()
            ),
        )
        .unwrap();
        chmod(&run, 0o755);
        std::fs::create_dir_all(s.p("log")).unwrap();
        let home = s.p("home");
        std::fs::create_dir_all(home.join(".local/bin")).unwrap();
        std::fs::create_dir_all(home.join(".cache/edgeperf/downloads")).unwrap();
        std::fs::create_dir_all(home.join(".cache/edgeperf/assets/venv")).unwrap();
        std::fs::write(home.join(".bashrc"), "planted").unwrap();
        std::fs::write(home.join(".local/bin/python3"), "planted").unwrap();
        std::fs::write(
            home.join(".cache/edgeperf/downloads/onnxruntime.whl"),
            "kept",
        )
        .unwrap();
        std::fs::write(home.join(".cache/edgeperf/assets/venv/python"), "planted").unwrap();
        std::fs::write(s.p("token"), format!("{TOKEN}\n")).unwrap();
        chmod(&s.p("token"), 0o600);
        s
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn supervise(&self, api: &str) -> Output {
        let (uid, name) = whoami();
        // As root the runner user is `nobody`; else the user running the test.
        let user = if uid == 0 { "nobody".to_string() } else { name };
        Command::new("bash")
            .arg(script())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("RUNNER_DIR", self.p("runner"))
            .env("RUNNER_USER", user)
            .env("RUNNER_HOME", self.p("home"))
            .env("REPOSITORY", "acme/models")
            .env("LABELS", "edgeperf,rpi4")
            .env("RUNNER_NAME", "rpi4-01")
            .env("TOKEN_FILE", self.p("token"))
            .env("GITHUB_API_URL", api)
            .env("EDGEPERF_SUPERVISE_ONCE", "1")
            .env("EDGEPERF_RUNNER_LAUNCH", "direct")
            .output()
            .unwrap()
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.p(rel)).unwrap_or_default()
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn one_job_from_a_clean_runner_user_with_the_configuration_in_its_environment() {
    let s = Scene::new();
    let (gh, url) = FakeGithub::start();
    gh.expect_token(TOKEN);
    gh.inject(Fault::new(JIT_PATH, 201).method("POST").body(&format!(
        "{{\"runner\":{{\"id\":9}},\"encoded_jit_config\":\"{JIT}\"}}"
    )));
    let out = s.supervise(&url);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The registration: labels and a fresh name, the token only in the header.
    let reqs = gh.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let body = reqs[0].json();
    assert_eq!(body["labels"], serde_json::json!(["edgeperf", "rpi4"]));
    assert!(
        body["name"].as_str().unwrap().starts_with("rpi4-01-"),
        "{body}"
    );
    assert!(!text(&out).contains(TOKEN));

    // The runner got the configuration in its environment, not its arguments,
    // and started from a home holding only the kept downloads and an empty _work.
    assert_eq!(s.read("log/jit"), JIT);
    assert!(!s.read("log/argv").contains(JIT), "{}", s.read("log/argv"));
    assert_eq!(s.read("log/home-at-start"), ".cache\n");
    assert_eq!(s.read("log/work-at-start"), "");
    // After the job: what it left is gone again, the downloads stay.
    assert_eq!(
        std::fs::read_to_string(s.p("home/.cache/edgeperf/downloads/onnxruntime.whl")).unwrap(),
        "kept"
    );
    assert!(!s.p("home/.bashrc").exists() && !s.p("runner/_work/leftover").exists());
    assert!(!s.p("home/.cache/edgeperf/assets").exists());
}

#[test]
fn a_kept_folder_reached_through_a_link_is_not_kept_nor_followed() {
    let s = Scene::new();
    // A job replaced the download cache by a link to a folder elsewhere.
    let elsewhere = s.p("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("precious"), "x").unwrap();
    std::fs::remove_dir_all(s.p("home/.cache/edgeperf/downloads")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, s.p("home/.cache/edgeperf/downloads")).unwrap();
    let (gh, url) = FakeGithub::start();
    gh.inject(Fault::new(JIT_PATH, 201).body(&format!("{{\"encoded_jit_config\":\"{JIT}\"}}")));
    let out = s.supervise(&url);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(s.read("log/home-at-start"), "", "the link was kept");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("precious")).unwrap(),
        "x"
    );
}

#[test]
fn a_runner_folder_a_job_could_change_stops_it_before_anything_runs() {
    for (rel, mode) in [
        (".env", 0o666),
        (".path", 0o622),
        ("run.sh", 0o777),
        ("", 0o777),
    ] {
        let s = Scene::new();
        let f = if rel.is_empty() {
            s.p("runner")
        } else {
            s.p("runner").join(rel)
        };
        chmod(&f, mode);
        let (gh, url) = FakeGithub::start();
        let out = s.supervise(&url);
        assert_eq!(out.status.code(), Some(2), "{rel}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("writable by group or others"),
            "{rel}: {}",
            text(&out)
        );
        assert!(gh.requests().is_empty(), "{rel}: registered anyway");
        assert_eq!(s.read("log/jit"), "", "{rel}: the runner ran");
        chmod(&f, 0o755);
    }
    // A token file others can read is refused too.
    let s = Scene::new();
    chmod(&s.p("token"), 0o644);
    let (gh, url) = FakeGithub::start();
    let out = s.supervise(&url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(gh.requests().is_empty());
}

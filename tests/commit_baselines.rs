//! `scripts/commit-baselines.sh`, the one write step of the main workflow, driven
//! against a local bare repository with the real `edgeperf baseline accept`:
//!
//! * two main runs (each with two devices' run records) racing to push onto a
//!   branch that also moved on since the workspace was checked out: both land,
//!   every history line is kept, no conflict or stray file is left;
//! * a workspace with planted git hooks (`.git/hooks/*`, `core.hooksPath`,
//!   `core.fsmonitor`, a poisoned global config): none of them runs;
//! * the token reaches git through the environment only, never through argv;
//! * a run that cannot be accepted stops with exit 2 and one line naming it,
//!   and the branch is untouched; an unreachable remote gives up with exit 1.
//!
//! Git is real; a thin `git` wrapper put first on PATH records every command
//! line and, for the race, holds each script's first push until both scripts
//! have committed on the same tip, so the race happens on every run.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::git_repo::{git, git_program, NAME};
use edgeperf::suite::Provider;

const MODELS: [&str; 2] = ["mobilenet_v2", "efficientnet_lite0"];
const DEVICES: [&str; 2] = ["cpu", "rpi4"];
const TOKEN: &str = "ghs_commitBackSecret_9Kq2Wx7Lm4";

fn script() -> PathBuf {
    common::root().join("scripts/commit-baselines.sh")
}

/// A run record of `device` for both models, measured at `commit`, p50 near `level` ms.
fn write_run(dir: &Path, device: &str, commit: &str, level: f64) -> PathBuf {
    let paths = MODELS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            fixtures::path_record(
                device,
                m,
                Provider::Cpu,
                &fixtures::synth_rounds(level + i as f64, 2, 30),
                Some(&fixtures::first_wrong(20, 3)),
            )
        })
        .collect();
    let run = fixtures::run_record(paths, commit, true);
    let f = dir.join(format!("run-{device}-{}.json", &commit[..8]));
    fixtures::write_json(&f, &run);
    f
}

/// The scene: a bare `origin.git` whose `main` holds a README and the baselines of
/// an earlier main run (one history line per path), a `workspace` clone of it (the
/// job's checkout), and then a later commit on `main` the workspace does not have.
struct Scene {
    tmp: tempfile::TempDir,
    origin: PathBuf,
    workspace: PathBuf,
    bin_dir: PathBuf,
}

impl Scene {
    fn new() -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let origin = t.join("origin.git");
        std::fs::create_dir_all(&origin).unwrap();
        git(&origin, &["init", "-q", "--bare", "-b", "main"]);
        let seed = t.join("seed");
        git(
            t,
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                seed.to_str().unwrap(),
            ],
        );
        std::fs::write(seed.join("README.md"), "edgeperf demo\n").unwrap();
        let runs = t.join("runs");
        for d in DEVICES {
            let r = write_run(&runs, d, &fixtures::fake_commit(0), 9.0);
            let out = Command::new(env!("CARGO_BIN_EXE_edgeperf"))
                .args(["baseline", "accept"])
                .arg(&r)
                .args(["--baselines", "baselines"])
                .current_dir(&seed)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
        }
        std::fs::remove_file(seed.join("baselines/.edgeperf.lock")).unwrap();
        git(&seed, &["add", "-A"]);
        git(&seed, &["commit", "-q", "-m", "initial baselines"]);
        git(&seed, &["push", "-q", "origin", "HEAD:main"]);

        let workspace = t.join("workspace");
        git(
            t,
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                workspace.to_str().unwrap(),
            ],
        );
        // main moves on after the job's checkout (someone merged a PR).
        std::fs::write(seed.join("CHANGELOG.md"), "a change merged later\n").unwrap();
        git(&seed, &["add", "-A"]);
        git(&seed, &["commit", "-q", "-m", "a later merge"]);
        git(&seed, &["push", "-q", "origin", "HEAD:main"]);

        let bin_dir = t.join("bin");
        std::fs::create_dir_all(&bin_dir).unwrap();
        Scene {
            tmp,
            origin,
            workspace,
            bin_dir,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Installs the recording `git` wrapper first on PATH. With a barrier of `n`,
    /// each script's first `push` waits (at most 120 s) until `n` scripts reached
    /// their first push.
    fn git_wrapper(&self) {
        let w = self.bin_dir.join("git");
        std::fs::write(
            &w,
            format!(
                r#"#!/usr/bin/env bash
log="$EP_TEST_LOG/argv.$EP_TEST_ME"
printf '%s\n' "$*" >> "$log"
env | grep '^GIT_CONFIG_' >> "$EP_TEST_LOG/env.$EP_TEST_ME" || true
if [ "${{1:-}}" = push ] && [ -n "${{EP_TEST_BARRIER:-}}" ] && [ ! -e "$EP_TEST_BARRIER/$EP_TEST_ME" ]; then
  touch "$EP_TEST_BARRIER/$EP_TEST_ME"
  for _ in $(seq 1 2400); do
    [ "$(ls "$EP_TEST_BARRIER" | wc -l)" -ge "$EP_TEST_BARRIER_N" ] && break
    sleep 0.05
  done
fi
exec {real} "$@"
"#,
                real = git_program().display()
            ),
        )
        .unwrap();
        chmod_x(&w);
        std::fs::create_dir_all(self.path("log")).unwrap();
    }

    /// The script as the main workflow's write job runs it, from the workspace.
    fn commit_back(&self, me: &str, runs: &[PathBuf], extra_env: &[(&str, &str)]) -> Command {
        let mut c = Command::new("bash");
        c.arg(script())
            .args(["--remote", self.origin.to_str().unwrap()])
            .args(["--branch", "main"])
            .args([
                "--message",
                &format!("edgeperf: baselines of {me} [skip edgeperf]"),
            ])
            .args(runs)
            .current_dir(&self.workspace)
            .env("EDGEPERF_BIN", env!("CARGO_BIN_EXE_edgeperf"))
            .env("EDGEPERF_PUSH_BACKOFF", "0")
            .env("EDGEPERF_WORK_DIR", self.tmp.path())
            .env("EP_TEST_ME", me)
            .env("EP_TEST_LOG", self.path("log"))
            .env_remove("GITHUB_TOKEN")
            .env_remove("EDGEPERF_PUSH_TOKEN")
            .env_remove("GITHUB_ACTIONS");
        let path = std::env::var("PATH").unwrap_or_default();
        c.env("PATH", format!("{}:{path}", self.bin_dir.display()));
        for (k, v) in extra_env {
            c.env(k, v);
        }
        c
    }

    /// `main` of the origin checked out into a fresh clone.
    fn origin_main(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        git(
            self.tmp.path(),
            &[
                "clone",
                "-q",
                self.origin.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        );
        dir
    }

    fn argv_log(&self, me: &str) -> String {
        std::fs::read_to_string(self.path("log").join(format!("argv.{me}"))).unwrap_or_default()
    }
}

fn chmod_x(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The `commit` of each line of a history file.
fn history_commits(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: bad line {l:?}: {e}", file.display()));
            v["commit"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

#[test]
fn two_main_runs_with_two_devices_race_and_nothing_is_lost() {
    let s = Scene::new();
    s.git_wrapper();
    let barrier = s.path("barrier");
    std::fs::create_dir_all(&barrier).unwrap();
    let runs_dir = s.path("runs");
    let (c1, c2) = (fixtures::fake_commit(1), fixtures::fake_commit(2));
    let run_a: Vec<PathBuf> = DEVICES
        .iter()
        .map(|d| write_run(&runs_dir, d, &c1, 10.0))
        .collect();
    let run_b: Vec<PathBuf> = DEVICES
        .iter()
        .map(|d| write_run(&runs_dir, d, &c2, 11.0))
        .collect();
    let barrier_env = [
        ("EP_TEST_BARRIER", barrier.to_str().unwrap()),
        ("EP_TEST_BARRIER_N", "2"),
    ];
    let spawn = |me: &str, runs: &[PathBuf]| {
        s.commit_back(me, runs, &barrier_env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("run-a", &run_a), spawn("run-b", &run_b));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b));
    // The race really happened: both held at the barrier, one push was rejected.
    let retried = [&a, &b]
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("push to main was rejected"))
        .count();
    assert_eq!(retried, 1, "{}\n{}", text(&a), text(&b));

    let main = s.origin_main("check");
    let log = git(&main, &["log", "--format=%s|%an|%cn"]);
    let subjects: Vec<&str> = log.lines().collect();
    assert_eq!(subjects.len(), 4, "{log}");
    assert!(
        log.contains(&format!("a later merge|{NAME}|{NAME}")),
        "{log}"
    );
    assert!(log.contains("initial baselines"), "{log}");
    for me in ["run-a", "run-b"] {
        assert!(
            log.contains(&format!(
                "edgeperf: baselines of {me} [skip edgeperf]|edgeperf-bot|edgeperf-bot"
            )),
            "{log}"
        );
    }
    // Every path keeps the earlier line and gains one per main run, in push order.
    let last_pushed = if subjects[0].contains("run-a") {
        &c1
    } else {
        &c2
    };
    for d in DEVICES {
        for m in MODELS {
            let h = main.join(format!("baselines/{d}/{m}.history.jsonl"));
            let mut got = history_commits(&h);
            assert_eq!(got.len(), 3, "{}: {got:?}", h.display());
            assert_eq!(got[0], fixtures::fake_commit(0));
            assert_eq!(&got[2], last_pushed, "the later push is the newest line");
            got.sort();
            let mut want = vec![fixtures::fake_commit(0), c1.clone(), c2.clone()];
            want.sort();
            assert_eq!(got, want, "{}", h.display());
            let b: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(main.join(format!("baselines/{d}/{m}.json"))).unwrap(),
            )
            .unwrap();
            assert_eq!(b["git"]["commit"].as_str(), Some(last_pushed.as_str()));
        }
    }
    // No conflict markers, no lock file, nothing but baselines in the bot commits.
    let files = git(&main, &["ls-files"]);
    assert!(!files.contains(".edgeperf.lock"), "{files}");
    let grep = Command::new(git_program())
        .args(["grep", "-n", "^<<<<<<<\\|^>>>>>>>"])
        .current_dir(&main)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(!grep.status.success(), "conflict markers: {}", text(&grep));
    let touched = git(&main, &["diff", "--name-only", "HEAD~2", "HEAD"]);
    assert!(
        touched.lines().all(|f| f.starts_with("baselines/")),
        "{touched}"
    );
    // The scratch repositories are gone; the workspace was never written to.
    let left: Vec<_> = std::fs::read_dir(s.tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("edgeperf-baselines.")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(git(&s.workspace, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&s.workspace, &["log", "--format=%s"]).lines().count(),
        1
    );
}

#[test]
fn hooks_planted_in_the_workspace_never_run() {
    let s = Scene::new();
    let marks = s.path("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let evil = |dir: &Path, tag: &str| {
        std::fs::create_dir_all(dir).unwrap();
        for hook in [
            "pre-commit",
            "prepare-commit-msg",
            "commit-msg",
            "post-commit",
            "pre-push",
            "post-checkout",
            "post-merge",
            "pre-rebase",
            "post-rewrite",
            "reference-transaction",
            "post-index-change",
            "pre-auto-gc",
            "fsmonitor-watchman",
        ] {
            let f = dir.join(hook);
            std::fs::write(
                &f,
                format!("#!/bin/sh\ntouch '{}/{tag}-{hook}'\n", marks.display()),
            )
            .unwrap();
            chmod_x(&f);
        }
    };
    let ws_git = s.workspace.join(".git");
    evil(&ws_git.join("hooks"), "dot-git-hooks");
    let hooks_path = s.path("evil-hooks");
    evil(&hooks_path, "hooks-path");
    let fsmonitor = s.path("evil-fsmonitor");
    std::fs::write(
        &fsmonitor,
        format!("#!/bin/sh\ntouch '{}/fsmonitor'\n", marks.display()),
    )
    .unwrap();
    chmod_x(&fsmonitor);
    git(
        &s.workspace,
        &["config", "core.hooksPath", hooks_path.to_str().unwrap()],
    );
    git(
        &s.workspace,
        &["config", "core.fsmonitor", fsmonitor.to_str().unwrap()],
    );
    // A persistent runner's HOME can be poisoned too.
    let home = s.path("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        format!(
            "[core]\n\thooksPath = {}\n\tfsmonitor = {}\n",
            hooks_path.display(),
            fsmonitor.display()
        ),
    )
    .unwrap();

    // The plants are live: an ordinary commit in the workspace runs them.
    let control = Command::new(git_program())
        .args(["commit", "-q", "--allow-empty", "-m", "control"])
        .current_dir(&s.workspace)
        .env("GIT_AUTHOR_NAME", "x")
        .env("GIT_AUTHOR_EMAIL", "x@example.invalid")
        .env("GIT_COMMITTER_NAME", "x")
        .env("GIT_COMMITTER_EMAIL", "x@example.invalid")
        .output()
        .unwrap();
    assert!(control.status.success(), "{}", text(&control));
    let fired: Vec<String> = std::fs::read_dir(&marks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        fired.iter().any(|m| m.starts_with("hooks-path-")),
        "control commit ran no planted hook: {fired:?}"
    );
    for e in std::fs::read_dir(&marks).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }

    let runs: Vec<PathBuf> = DEVICES
        .iter()
        .map(|d| write_run(&s.path("runs"), d, &fixtures::fake_commit(5), 10.0))
        .collect();
    let out = s
        .commit_back("hooked", &runs, &[("HOME", home.to_str().unwrap())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let fired: Vec<String> = std::fs::read_dir(&marks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(fired.is_empty(), "planted hooks ran: {fired:?}");
    let main = s.origin_main("check");
    assert_eq!(
        history_commits(&main.join("baselines/rpi4/mobilenet_v2.history.jsonl")).len(),
        2
    );
}

#[test]
fn the_token_goes_through_the_environment_never_the_command_line() {
    let s = Scene::new();
    s.git_wrapper();
    let runs = vec![write_run(
        &s.path("runs"),
        "cpu",
        &fixtures::fake_commit(3),
        10.0,
    )];
    // Nothing listens on port 1 of the loopback: every fetch fails fast.
    let mut c = s.commit_back("token", &runs, &[]);
    let c = c
        .args(["--remote", "https://127.0.0.1:1/acme/models.git"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("EDGEPERF_PUSH_ATTEMPTS", "2");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("after 2 attempts"), "{stderr}");
    let argv = s.argv_log("token");
    assert!(argv.contains("fetch"), "git never ran: {argv}");
    let encoded = {
        let out = Command::new("sh")
            .args([
                "-c",
                "printf 'x-access-token:%s' \"$T\" | base64 | tr -d '\\n'",
            ])
            .env("T", TOKEN)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(!argv.contains(TOKEN) && !argv.contains(&encoded), "{argv}");
    assert!(!stderr.contains(TOKEN) && !stderr.contains(&encoded));
    let env = std::fs::read_to_string(s.path("log/env.token")).unwrap();
    assert!(
        env.contains(&format!("=AUTHORIZATION: basic {encoded}")),
        "header not in git's environment: {env}"
    );
    assert!(
        env.contains("GIT_CONFIG_KEY_") && env.contains("extraHeader"),
        "{env}"
    );
}

#[test]
fn a_run_that_cannot_be_accepted_stops_with_one_line_and_leaves_the_branch() {
    let s = Scene::new();
    let before = git(&s.origin, &["rev-parse", "main"]);
    let runs_dir = s.path("runs");
    let good = write_run(&runs_dir, "cpu", &fixtures::fake_commit(4), 10.0);
    let partial = runs_dir.join("run-partial.json");
    let mut run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    run["complete"] = serde_json::Value::Bool(false);
    std::fs::write(&partial, run.to_string()).unwrap();

    let out = s
        .commit_back("bad", &[good.clone(), partial.clone()], &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("run-partial.json") && lines[0].contains("incomplete"),
        "{stderr}"
    );
    assert_eq!(git(&s.origin, &["rev-parse", "main"]), before);

    let missing = runs_dir.join("nope.json");
    let out = s.commit_back("missing", &[missing], &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nope.json: run record not found"),
        "{}",
        text(&out)
    );
    let out = s
        .commit_back(
            "file-remote-with-token",
            &[good],
            &[("GITHUB_TOKEN", TOKEN)],
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(TOKEN));
    assert_eq!(git(&s.origin, &["rev-parse", "main"]), before);
}

#[test]
fn a_record_for_another_device_or_with_escaping_names_changes_nothing() {
    let s = Scene::new();
    let before = git(&s.origin, &["rev-parse", "main"]);
    let runs_dir = s.path("runs");
    let rpi4 = write_run(&runs_dir, "rpi4", &fixtures::fake_commit(6), 10.0);
    // The cpu job's artifact holds rpi4's record (or its names leave baselines/).
    let out = s
        .commit_back("foreign", &[], &[])
        .args(["--run", &format!("cpu={}", rpi4.display())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("paths[0].device") && lines[0].contains("\"rpi4\" is not \"cpu\""),
        "{stderr}"
    );
    for (name, device, model) in [
        ("dotdot", "../../../../escaped", "m"),
        ("absolute", "/tmp/edgeperf-escaped", "m"),
        ("model", "cpu", "../../README.md"),
    ] {
        let f = runs_dir.join(format!("{name}.json"));
        let mut run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&rpi4).unwrap()).unwrap();
        for p in run["paths"].as_array_mut().unwrap() {
            p["device"] = device.into();
            p["model"] = model.into();
        }
        std::fs::write(&f, run.to_string()).unwrap();
        let out = s
            .commit_back(name, std::slice::from_ref(&f), &[])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("{name}.json: paths[0].")),
            "{name}: {}",
            text(&out)
        );
    }
    assert_eq!(git(&s.origin, &["rev-parse", "main"]), before);
    assert!(!std::path::Path::new("/tmp/edgeperf-escaped").exists());

    // The control: bound to its own device, it lands in that device's folder only.
    let out = s
        .commit_back("own", &[], &[])
        .args(["--run", &format!("rpi4={}", rpi4.display())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let main = s.origin_main("check");
    let touched = git(&main, &["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert!(
        !touched.is_empty() && touched.lines().all(|f| f.starts_with("baselines/rpi4/")),
        "{touched}"
    );
}

#[test]
fn a_deploy_key_pushes_over_ssh_alone_and_never_reaches_a_command_line() {
    let s = Scene::new();
    s.git_wrapper();
    // An `ssh` first on PATH that checks what it was given and then serves the
    // local bare repository the way sshd would run git on the server.
    let fake_ssh = s.bin_dir.join("ssh");
    std::fs::write(
        &fake_ssh,
        r#"#!/usr/bin/env bash
log="$EP_TEST_LOG"
printf '%s\n' "$@" >> "$log/ssh.argv"
args=("$@") key="" kh=""
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    -i) key="${args[$((i + 1))]}" ;;
    UserKnownHostsFile=*) kh="${args[$i]#UserKnownHostsFile=}" ;;
  esac
done
stat -c '%a' "$key" > "$log/ssh.keymode"
cat "$key" > "$log/ssh.key"
cat "$kh" > "$log/ssh.known_hosts"
exec sh -c "${args[$((${#args[@]} - 1))]}"
"#,
    )
    .unwrap();
    chmod_x(&fake_ssh);
    let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAdeployKeyTest\n-----END OPENSSH PRIVATE KEY-----";
    let known = "github.test ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    let runs = vec![write_run(
        &s.path("runs"),
        "cpu",
        &fixtures::fake_commit(8),
        10.0,
    )];
    let remote = format!("ssh://git@github.test{}", s.origin.display());
    // edgeperf itself, wrapped to record the environment it gets.
    let bin = s.bin_dir.join("edgeperf-wrapped");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\nenv > '{}/edgeperf.env'\nexec '{}' \"$@\"\n",
            s.path("log").display(),
            env!("CARGO_BIN_EXE_edgeperf")
        ),
    )
    .unwrap();
    chmod_x(&bin);
    let mut c = s.commit_back("ssh", &runs, &[]);
    let out = c
        .args(["--remote", &remote])
        .env("EDGEPERF_BIN", &bin)
        .env("EDGEPERF_PUSH_SSH_KEY", key)
        .env("EDGEPERF_SSH_KNOWN_HOSTS", known)
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let main = s.origin_main("check");
    assert_eq!(
        history_commits(&main.join("baselines/cpu/mobilenet_v2.history.jsonl")).len(),
        2
    );
    let log = s.path("log");
    let read = |f: &str| std::fs::read_to_string(log.join(f)).unwrap();
    assert_eq!(read("ssh.keymode").trim(), "600");
    assert_eq!(read("ssh.key").trim_end(), key);
    assert_eq!(read("ssh.known_hosts").trim_end(), known);
    let ssh_argv = read("ssh.argv");
    for want in [
        "IdentitiesOnly=yes",
        "IdentityAgent=none",
        "StrictHostKeyChecking=yes",
        "BatchMode=yes",
    ] {
        assert!(ssh_argv.contains(want), "{want}: {ssh_argv}");
    }
    let everything = format!("{ssh_argv}{}{}", s.argv_log("ssh"), text(&out));
    assert!(!everything.contains("deployKeyTest"), "{everything}");
    assert!(!everything.contains(TOKEN), "{everything}");
    // The credential went to git fetch and git push only, never to edgeperf.
    let edgeperf_env = read("edgeperf.env");
    assert!(
        edgeperf_env.contains("GIT_CONFIG_COUNT=6"),
        "{edgeperf_env}"
    );
    for secret in [
        "GIT_SSH_COMMAND",
        "deployKeyTest",
        "EDGEPERF_PUSH_SSH_KEY",
        TOKEN,
    ] {
        assert!(
            !edgeperf_env.contains(secret),
            "{secret} in edgeperf's environment"
        );
    }
    // The token was not used: no extra header reached git.
    let env = std::fs::read_to_string(log.join("env.ssh")).unwrap_or_default();
    assert!(!env.contains("extraHeader"), "{env}");
    // The scratch folder with the key is gone.
    let left: Vec<_> = std::fs::read_dir(s.tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("edgeperf-baselines.")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Without host keys it does not even try.
    let out = s
        .commit_back("ssh-no-hosts", &runs, &[])
        .args(["--remote", &remote])
        .env("EDGEPERF_PUSH_SSH_KEY", key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EDGEPERF_SSH_KNOWN_HOSTS"));
}

/// The paired document `baseline pair` would have written for the run `run`
/// (its bytes' sha256, its commit), every path +0.5% against `base`.
fn write_paired(run: &Path, base: &str) -> PathBuf {
    let bytes = std::fs::read(run).unwrap();
    let r: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let paths: Vec<serde_json::Value> = r["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            serde_json::json!({
                "device": p["device"], "model": p["model"], "base_commit": base,
                "paired": {"change": 0.005, "ci": [-0.002, 0.012], "verdict": "unchanged",
                           "rounds": 6, "seconds_per_side": 3.6}
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schema_version": 1,
        "run_sha256": edgeperf::fs::sha256_bytes(&bytes),
        "head_commit": r["environment"]["git"]["commit"],
        "measured_at": "2026-01-02T03:04:05Z",
        "paths": paths,
    });
    let f = run.with_extension("paired.json");
    std::fs::write(&f, doc.to_string()).unwrap();
    f
}

#[test]
fn paired_documents_go_with_their_own_device_run_or_nothing_is_written() {
    let s = Scene::new();
    let runs_dir = s.path("runs");
    let cpu = write_run(&runs_dir, "cpu", &fixtures::fake_commit(4), 10.0);
    let paired = write_paired(&cpu, &fixtures::fake_commit(0));
    // Handed with another run (same device, other bytes): refused, branch untouched.
    let other = write_run(&runs_dir, "cpu", &fixtures::fake_commit(5), 11.0);
    let before = git(&s.origin, &["rev-parse", "main"]);
    let out = s
        .commit_back("mismatch", &[], &[])
        .args(["--run", &format!("cpu={}", other.display())])
        .args(["--paired", &format!("cpu={}", paired.display())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("run_sha256: pairs another run record"),
        "{}",
        text(&out)
    );
    assert_eq!(git(&s.origin, &["rev-parse", "main"]), before);
    // With its own run: every history line of the commit keeps its paired change.
    let out = s
        .commit_back("paired", &[], &[])
        .args(["--run", &format!("cpu={}", cpu.display())])
        .args(["--paired", &format!("cpu={}", paired.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let main = s.origin_main("after-paired");
    for m in MODELS {
        let text =
            std::fs::read_to_string(main.join(format!("baselines/cpu/{m}.history.jsonl"))).unwrap();
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["commit"], fixtures::fake_commit(4));
        assert_eq!(last["paired"]["base"], fixtures::fake_commit(0));
        assert_eq!(last["paired"]["change"], 0.005);
    }
}

//! Issue 11: workers that hang or die, and SIGINT, SIGTERM or `kill -9` while
//! `run` or `compare` wait on a worker. Nothing may be lost or left behind: the
//! error names the device, model and round (and the signal), the `--out` record
//! stays valid JSON marked incomplete with its reason, no temporary file stays,
//! and no process of the run survives.
//!
//! The workers run fake ONNX Runtime libraries built here with `cc`, whose
//! `OrtGetApiBase` blocks forever (a runtime stuck in a driver) or crashes. Every
//! edgeperf started here carries a unique marker in its environment, which its
//! workers inherit, so the test finds each process of its run in /proc.

mod common;
#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edgeperf::suite::Provider;
use serde_json::Value;

/// A runtime stuck in a driver call: `OrtGetApiBase` never returns.
const HANGS: &str = "#include <unistd.h>
const void* OrtGetApiBase(void) { for (;;) pause(); }
";
/// A runtime that crashes on load: a write through a null pointer.
const SEGFAULTS: &str = "const void* OrtGetApiBase(void) { *(volatile int*)0 = 42; return 0; }
";
/// A runtime whose load gets the process killed (as the OOM killer does).
const GETS_KILLED: &str = "#include <signal.h>
#include <unistd.h>
const void* OrtGetApiBase(void) { kill(getpid(), SIGKILL); for (;;) pause(); }
";

const MARKER_VAR: &str = "EDGEPERF_TEST_MARKER";

/// A suite with the real CPU device `cpu` and a device `name` on the library
/// `runtime` (with `extra` TOML lines), both running mobilenet_v2 without the
/// accuracy pass.
fn suite(dir: &Path, name: &str, runtime: &Path, extra: &str) -> PathBuf {
    let model = common::mobilenet(&common::assets().join("models/mobilenet_v2.onnx"))
        + "accuracy = false\n";
    let device = format!(
        "[[device]]\nname = \"{name}\"\nruntime = \"{}\"\n{extra}\n",
        runtime.display()
    );
    common::write(
        dir,
        "suite.toml",
        &common::suite_text(&(device + &model), None),
    )
}

/// The processes of one test's edgeperf runs, found by the marker in their
/// environment; whatever is left of them is killed when the marker is dropped,
/// so a failing test leaves nothing running.
struct Marker(String);

impl Marker {
    fn new(test: &str) -> Marker {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Marker(format!("{test}-{}-{nanos}", std::process::id()))
    }

    /// Starts `edgeperf args...` in `cwd` carrying the marker.
    fn start(&self, args: &[&str], cwd: &Path) -> Child {
        Command::new(env!("CARGO_BIN_EXE_edgeperf"))
            .args(args)
            .current_dir(cwd)
            .env(MARKER_VAR, &self.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start edgeperf")
    }

    /// Live (not zombie) processes carrying the marker: (pid, command line).
    fn processes(&self) -> Vec<(i32, String)> {
        let needle = format!("{MARKER_VAR}={}", self.0);
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(environ) = std::fs::read(e.path().join("environ")) else {
                continue;
            };
            if !environ.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
                continue;
            }
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let state = stat.rsplit_once(") ").map(|(_, s)| s.chars().next());
            if state == Some(Some('Z')) {
                continue;
            }
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            out.push((pid, cmdline.trim().to_string()));
        }
        out
    }

    /// The pid of a live worker of this marker's run: any of its processes
    /// other than edgeperf itself (`parent`).
    fn worker(&self, parent: &Child) -> Option<i32> {
        self.processes()
            .into_iter()
            .map(|(pid, _)| pid)
            .find(|pid| *pid != parent.id() as i32)
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        for (pid, _) in self.processes() {
            // SAFETY: kill(2) on a pid of this test's own run.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Polls `cond` every 20 ms for up to `limit`; whether it came true.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Waits for `child` to exit within `limit` (else kills it and fails the test);
/// returns its exit code (-1 for a signal) and stderr.
fn finish(mut child: Child, limit: Duration) -> (i32, String) {
    let exited = wait_until(limit, || child.try_wait().unwrap().is_some());
    if !exited {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "edgeperf did not exit within {limit:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Sends `sig` to `pid` (one process, not its group).
fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) on a child of this test.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
}

/// The names in `dir` (none when it does not exist), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

#[test]
fn a_hung_worker_is_killed_at_its_time_limit_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let lib = common::build_shared_library(dir.path(), "libhang.so", HANGS);
    let suite = suite(dir.path(), "hang", &lib, "worker_timeout_seconds = 2");
    let out = dir.path().join("out/run.json");
    let m = Marker::new("timeout");
    let started = Instant::now();
    let child = m.start(
        &[
            "run",
            "--quick",
            "--suite",
            suite.to_str().unwrap(),
            "--device",
            "hang",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let (code, stderr) = finish(child, Duration::from_secs(90));
    common::assert_error(
        code,
        &stderr,
        &[
            "hang/mobilenet_v2, round 0",
            "time limit of 2 s (worker_timeout_seconds of device \"hang\")",
            "was killed",
        ],
    );
    // The limit, not the default (312 s for --quick), ended it.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(m.processes(), vec![], "processes of the run remain");
    assert_eq!(names(&dir.path().join("out")), Vec::<String>::new());
}

#[test]
fn a_worker_killed_by_a_signal_is_named_and_the_record_kept_incomplete() {
    for (name, source, want) in [
        ("segv", SEGFAULTS, "killed by signal 11 (SIGSEGV)"),
        ("oom", GETS_KILLED, "killed by signal 9 (SIGKILL)"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let lib = common::build_shared_library(dir.path(), &format!("lib{name}.so"), source);
        let suite = suite(dir.path(), name, &lib, "");
        let out = dir.path().join("out/run.json");
        let m = Marker::new(name);
        let child = m.start(
            &[
                "run",
                "--quick",
                "--suite",
                suite.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        let (code, stderr) = finish(child, Duration::from_secs(180));
        let path = format!("{name}/mobilenet_v2, round 0");
        common::assert_error(code, &stderr, &[want, &path]);
        // The earlier path's round is kept, in a valid record that says why it
        // is incomplete.
        let run = read_json(&out);
        assert_eq!(run["complete"], false, "{run}");
        let reason = run["incomplete_reason"].as_str().unwrap_or_default();
        assert!(reason.contains(want) && reason.contains(&path), "{run}");
        let paths = run["paths"].as_array().unwrap();
        assert_eq!(paths.len(), 1, "{run}");
        assert_eq!(paths[0]["device"], "cpu");
        assert_eq!(names(&dir.path().join("out")), vec!["run.json"]);
        assert_eq!(m.processes(), vec![], "processes of the run remain");
    }
}

/// Starts `edgeperf run` on the real `cpu` path and a path whose worker hangs
/// (default time limit), and waits until the first path's round is on disk and
/// the hung worker runs. Returns the temp folder, the `--out` file, the marker
/// and the child.
fn run_until_the_worker_hangs(test: &str) -> (tempfile::TempDir, PathBuf, Marker, Child) {
    let dir = tempfile::tempdir().unwrap();
    let lib = common::build_shared_library(dir.path(), "libhang.so", HANGS);
    let suite = suite(dir.path(), "hang", &lib, "");
    let out = dir.path().join("out/run.json");
    let m = Marker::new(test);
    let child = m.start(
        &[
            "run",
            "--quick",
            "--suite",
            suite.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    // The record is written after the cpu worker was reaped: a worker seen
    // after that is the hung one.
    assert!(
        wait_until(Duration::from_secs(180), || out.exists()),
        "the cpu path never finished"
    );
    assert!(
        wait_until(Duration::from_secs(30), || m.worker(&child).is_some()),
        "the hung worker never started"
    );
    (dir, out, m, child)
}

#[test]
fn sigint_or_sigterm_during_run_stops_the_worker_and_keeps_the_record() {
    for (sig, name, code_wanted) in [
        (libc::SIGINT, "SIGINT", 130),
        (libc::SIGTERM, "SIGTERM", 143),
    ] {
        let (dir, out, m, child) = run_until_the_worker_hangs(name);
        let sent = Instant::now();
        signal(child.id() as i32, sig);
        let (code, stderr) = finish(child, Duration::from_secs(30));
        // Promptly: the worker is killed at once, not at its time limit (312 s).
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "took {:?}",
            sent.elapsed()
        );
        assert_eq!(code, code_wanted, "{stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        for want in [
            &format!("error: interrupted by {name}"),
            "hang/mobilenet_v2, round 0",
            out.to_str().unwrap(),
            "complete: false",
        ] {
            assert!(lines[0].contains(want), "{:?} lacks {want:?}", lines[0]);
        }
        assert_eq!(m.processes(), vec![], "processes of the run remain");
        assert_eq!(
            names(&dir.path().join("out")),
            vec!["run.json"],
            "temp files left"
        );
        let run = read_json(&out);
        assert_eq!(run["complete"], false, "{run}");
        assert_eq!(run["paths"].as_array().unwrap().len(), 1, "{run}");
        let reason = run["incomplete_reason"].as_str().unwrap_or_default();
        assert!(reason.contains(&format!("interrupted by {name}")), "{run}");
    }
}

#[test]
fn kill_9_of_edgeperf_takes_its_worker_along() {
    let (_dir, _out, m, mut child) = run_until_the_worker_hangs("kill9");
    signal(child.id() as i32, libc::SIGKILL);
    child.wait().unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || m.processes().is_empty()),
        "the worker outlived edgeperf: {:?}",
        m.processes()
    );
}

/// A folder for `edgeperf compare head.json --suite suite.toml`: one path
/// `hang/m` whose baseline ran on `base_lib` and whose head run on `head_lib`
/// (the suite's runtime), with `device_extra` lines in the device block. The run
/// and its baseline name this suite, model and libraries by their bytes, so the
/// base side of the confirmation is all here (no git; libraries are found by
/// hash, never loaded by edgeperf itself). Same library: one worker holds both
/// sides; two libraries: two workers in lockstep.
fn compare_fixture(d: &Path, head_lib: &Path, base_lib: &Path, device_extra: &str) -> PathBuf {
    let suite = common::write(
        d,
        "suite.toml",
        &format!(
            "[[device]]\nname = \"hang\"\nruntime = \"{}\"\n{device_extra}\n[[model]]\nname = \"m\"\nfile = \"m.onnx\"\naccuracy = false\npreprocess = {{ resize = 8, crop = 8 }}\n",
            head_lib.display()
        ),
    );
    // The workers hang before they read the model.
    let model = common::write(d, "m.onnx", "model bytes");
    let sha = |f: &Path| edgeperf::fs::sha256_file(f).unwrap();
    let run_on = |lib: &Path| {
        let mut p = fixtures::path_record(
            "hang",
            "m",
            Provider::Cpu,
            &fixtures::synth_rounds(9.0, 3, 40),
            None,
        );
        p.model_sha256 = sha(&model);
        p.runtime.library = lib.to_path_buf();
        p.runtime.sha256 = Some(sha(lib));
        let mut run = fixtures::run_record(vec![p], fixtures::HEAD_COMMIT, true);
        run.suite.sha256 = sha(&suite);
        run
    };
    fixtures::write_baselines(&d.join("baselines"), &run_on(base_lib));
    fixtures::write_json(&d.join("head.json"), &run_on(head_lib));
    suite
}

/// Starts `edgeperf compare head.json --format json --out out/compare.json`
/// in `d` and waits until a confirmation worker runs.
fn compare_until_a_worker_runs(d: &Path, suite: &Path, m: &Marker) -> Child {
    let child = m.start(
        &[
            "compare",
            "head.json",
            "--suite",
            suite.to_str().unwrap(),
            "--format",
            "json",
            "--out",
            "out/compare.json",
        ],
        d,
    );
    if !wait_until(Duration::from_secs(60), || m.worker(&child).is_some()) {
        let (code, stderr) = finish(child, Duration::from_secs(60));
        panic!("no confirmation worker started; compare exited {code}: {stderr}");
    }
    child
}

#[test]
fn sigint_during_compare_stops_the_confirmation_workers_and_writes_nothing() {
    // One worker with both sides, then two workers in lockstep (the base side's
    // library differs: a second build of the hanging runtime).
    for (case, second, killed) in [
        ("in-process", false, "the worker was killed"),
        ("lockstep", true, "the workers were killed"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let lib = common::build_shared_library(d, "libhang.so", HANGS);
        let base_lib = match second {
            false => lib.clone(),
            true => common::build_shared_library(
                d,
                "libhang-base.so",
                &format!("{HANGS}int base_build = 1;\n"),
            ),
        };
        let suite = compare_fixture(d, &lib, &base_lib, "");
        let m = Marker::new(case);
        let child = compare_until_a_worker_runs(d, &suite, &m);
        signal(child.id() as i32, libc::SIGINT);
        let (code, stderr) = finish(child, Duration::from_secs(30));
        assert_eq!(code, 130, "{case}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{case}: {stderr}");
        for want in [
            "error: interrupted by SIGINT",
            killed,
            "hang/m, round 0",
            "no comparison was written",
        ] {
            assert!(
                lines[0].contains(want),
                "{case}: {:?} lacks {want:?}",
                lines[0]
            );
        }
        assert_eq!(
            m.processes(),
            vec![],
            "{case}: processes of the compare remain"
        );
        assert_eq!(
            names(&d.join("out")),
            Vec::<String>::new(),
            "{case}: files left"
        );
    }
}

/// Lockstep workers are talked to block by block rather than waited for; a
/// watchdog gives them their time limit too. The path is then unconfirmed,
/// with the reason in the comparison.
#[test]
fn hung_lockstep_workers_are_killed_at_their_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = common::build_shared_library(d, "libhang.so", HANGS);
    let base_lib = common::build_shared_library(
        d,
        "libhang-base.so",
        &format!("{HANGS}int base_build = 1;\n"),
    );
    let suite = compare_fixture(d, &lib, &base_lib, "worker_timeout_seconds = 1");
    let m = Marker::new("lockstep-timeout");
    let child = compare_until_a_worker_runs(d, &suite, &m);
    let (code, stderr) = finish(child, Duration::from_secs(90));
    assert_eq!(code, 0, "{stderr}");
    let c = read_json(&d.join("out/compare.json"));
    let latency = c["paths"][0]["latency"].to_string();
    assert!(
        latency.contains("lockstep workers did not finish within their time limit of 2 s"),
        "{latency}"
    );
    assert_eq!(m.processes(), vec![], "processes of the compare remain");
}

//! Running a round in a fresh worker process (`edgeperf __worker`): the request
//! goes to the worker's stdin as JSON, the reply comes back on its stdout. A fresh
//! process per round is needed anyway (ONNX Runtime allows one library per
//! process) and it makes every round draw its own process-level state, so records
//! carry the run-to-run spread.
//!
//! A worker is never waited for without bound: it is killed past its time limit
//! ([`time_limit`]: the device's `worker_timeout_seconds`, else derived from the
//! sampling budget), and when edgeperf receives SIGINT or SIGTERM
//! (`crate::interrupt`). It dies with edgeperf too (`PR_SET_PDEATHSIG`), so even a
//! `kill -9` of edgeperf leaves no worker behind.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::protocol::{RoundResult, WorkerReply, WorkerRequest};
use crate::error::{Error, Result};
use crate::suite::Sampling;

/// Time allowed for what precedes the timed inferences of a round: loading the
/// runtime library, creating the session(s) (a provider may compile the model
/// then: OpenVINO, or a TensorRT engine build of minutes), the first inference.
pub const STARTUP_SECONDS: f64 = 300.0;
/// Multiple of a round's budget (`max_seconds / rounds`, per side) allowed for
/// the warm-up and the timed inferences: the `min_samples` floor lets a slow
/// model overrun the budget, and a loaded machine runs slower.
pub const BUDGET_FACTOR: f64 = 4.0;
/// Seconds per image allowed for the accuracy pass (decode, preprocess, infer).
pub const SECONDS_PER_IMAGE: f64 = 2.0;
/// How often a wait looks at the interrupt flag.
const POLL: Duration = Duration::from_millis(50);
/// How long a killed worker may take to exit before edgeperf stops waiting.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// The default time limit of one worker: [`STARTUP_SECONDS`], plus
/// [`BUDGET_FACTOR`] x the round's budget for each side it times, plus
/// [`SECONDS_PER_IMAGE`] per image of its accuracy pass (`images`, 0 for none).
/// 316 s for a round of the default sampling (12 s over 3 rounds), 456 s for its
/// first round with an accuracy pass over the 70 sample photos.
pub fn default_time_limit(sampling: &Sampling, paired: bool, images: usize) -> Duration {
    let round_budget = sampling.max_seconds / sampling.rounds.max(1) as f64;
    let sides = if paired { 2.0 } else { 1.0 };
    let secs =
        STARTUP_SECONDS + BUDGET_FACTOR * round_budget * sides + SECONDS_PER_IMAGE * images as f64;
    Duration::from_secs_f64(secs)
}

/// How long the worker for `req` may run before it is killed: the device's
/// `worker_timeout_seconds` when the suite sets it, else [`default_time_limit`]
/// (counting the dataset's images when the round runs the accuracy pass).
pub fn time_limit(req: &WorkerRequest) -> Duration {
    if let Some(secs) = req.head.device.worker_timeout_seconds {
        return Duration::from_secs_f64(secs);
    }
    let images = match (&req.dataset, req.accuracy && req.head.model.accuracy) {
        // A dataset that cannot be read is the worker's error to report.
        (Some(ds), true) => crate::dataset::scan(ds).map(|s| s.len()).unwrap_or(0),
        _ => 0,
    };
    default_time_limit(&req.sampling, req.paired.is_some(), images)
}

/// Runs `req` in a fresh `exe __worker` process and returns its measurement,
/// with the device's state before, during and after it (`observe`).
/// Errors name the device, model and round: the worker's own one-line error when
/// it sent one, else how it died, or that it ran past its [`time_limit`];
/// a SIGINT or SIGTERM to edgeperf stops the worker and returns
/// [`Error::Interrupted`].
pub fn spawn_round(exe: &Path, req: &WorkerRequest) -> Result<RoundResult> {
    super::observe::observed(req, || spawn_worker(exe, req))
}

/// [`spawn_round`] without the device state.
fn spawn_worker(exe: &Path, req: &WorkerRequest) -> Result<RoundResult> {
    let (device, model) = (&req.head.device.name, &req.head.model.name);
    let fail = |message: String| Error::Worker {
        device: device.clone(),
        model: model.clone(),
        round: req.round,
        message,
    };
    let interrupted = |signal: i32, what: &str| Error::Interrupted {
        signal,
        message: format!("{what} ({device}/{model}, round {})", req.round),
    };
    if let Some(sig) = crate::interrupt::received() {
        return Err(interrupted(sig, "no worker was started"));
    }
    let body =
        serde_json::to_vec(req).map_err(|e| fail(format!("cannot encode the request: {e}")))?;
    let limit = time_limit(req);
    let mut worker = Worker::start(exe, body)
        .map_err(|e| fail(format!("{}: cannot start the worker: {e}", exe.display())))?;
    let status = match worker.wait(Instant::now() + limit) {
        Ending::Exited(status) => status,
        Ending::Interrupted(sig, how) => {
            return Err(interrupted(sig, &format!("the worker was {how}")))
        }
        Ending::TimedOut(how) => {
            let source = match req.head.device.worker_timeout_seconds {
                Some(_) => format!("worker_timeout_seconds of device {device:?}"),
                None => format!("derived from the sampling budget; set worker_timeout_seconds of device {device:?} in the suite to change it"),
            };
            return Err(fail(format!(
                "the worker did not finish within its time limit of {} ({source}) and was {how}",
                seconds(limit)
            )));
        }
        Ending::Lost(e) => return Err(fail(format!("lost the worker: {e}"))),
    };
    let (stdout, stderr) = worker.output();
    // A terminal's Ctrl-C reaches the worker too, and it may die of it before
    // edgeperf's own handler has run: give the flag a moment.
    if matches!(status.signal(), Some(libc::SIGINT | libc::SIGTERM)) {
        std::thread::sleep(POLL);
        if let Some(sig) = crate::interrupt::received() {
            return Err(interrupted(sig, "the worker was stopped"));
        }
    }
    let reply: Option<WorkerReply> = serde_json::from_slice(&stdout).ok();
    match reply {
        Some(WorkerReply::Ok(r)) if status.success() => Ok(*r),
        Some(WorkerReply::Error { message }) => Err(fail(message)),
        _ => Err(fail(death(&status, &stderr))),
    }
}

/// How waiting for a worker ended; the `&str` says how it was stopped.
enum Ending {
    /// It exited (and was reaped) on its own.
    Exited(ExitStatus),
    /// It ran past its deadline and was stopped.
    TimedOut(&'static str),
    /// edgeperf received this signal and stopped it.
    Interrupted(i32, &'static str),
    /// Reaping it failed.
    Lost(std::io::Error),
}

/// A running worker: the child, a channel that fires when it has exited (not yet
/// reaped, so its pid stays valid for a kill), and the threads feeding its stdin
/// and reading its stdout and stderr (so a chatty worker never blocks on a pipe).
struct Worker {
    child: Child,
    exited: Receiver<()>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl Worker {
    fn start(exe: &Path, request: Vec<u8>) -> std::io::Result<Worker> {
        let mut cmd = Command::new(exe);
        cmd.arg("__worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        die_with_edgeperf(&mut cmd);
        let mut child = cmd.spawn()?;
        let (tx, exited) = mpsc::channel();
        let pid = child.id() as libc::id_t;
        std::thread::spawn(move || {
            // Wait for the exit without reaping (WNOWAIT): until `Child::wait`
            // reaps it, the pid cannot be reused, so a kill never hits another
            // process.
            loop {
                // SAFETY: a zeroed siginfo_t is a valid out-parameter.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: waitid(2) on our own child's pid with a valid
                // out-pointer; WNOWAIT leaves the child to `Child::wait`.
                let r = unsafe {
                    libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT)
                };
                if r == 0
                    || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                {
                    break;
                }
            }
            let _ = tx.send(());
        });
        if let Some(mut stdin) = child.stdin.take() {
            std::thread::spawn(move || {
                // A worker that dies before reading its request is reported by its exit.
                let _ = stdin.write_all(&request);
            });
        }
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            pipe.map(|mut p| {
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let _ = p.read_to_end(&mut buf);
                    buf
                })
            })
        };
        let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
        Ok(Worker {
            child,
            exited,
            stdout,
            stderr,
        })
    }

    /// Waits until the worker exits, `deadline` passes, or edgeperf receives
    /// SIGINT or SIGTERM (looked at every [`POLL`]); stops the worker in the
    /// last two cases.
    fn wait(&mut self, deadline: Instant) -> Ending {
        loop {
            if let Some(sig) = crate::interrupt::received() {
                return Ending::Interrupted(sig, self.stop());
            }
            let now = Instant::now();
            if now >= deadline {
                return Ending::TimedOut(self.stop());
            }
            match self.exited.recv_timeout((deadline - now).min(POLL)) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        match self.child.wait() {
            Ok(status) => Ending::Exited(status),
            Err(e) => Ending::Lost(e),
        }
    }

    /// Kills the worker (SIGKILL) and reaps it; says how that went.
    fn stop(&mut self) -> &'static str {
        let _ = self.child.kill();
        match self.exited.recv_timeout(KILL_GRACE) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                let _ = self.child.wait();
                "killed"
            }
            // Stuck in the kernel (a driver call): it cannot be reaped now; it
            // dies when the call returns, and is reparented when edgeperf exits.
            Err(RecvTimeoutError::Timeout) => "sent SIGKILL but had not exited 5 s later",
        }
    }

    /// What the worker wrote on stdout and stderr (after it exited).
    fn output(&mut self) -> (Vec<u8>, Vec<u8>) {
        let join =
            |h: Option<JoinHandle<Vec<u8>>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
        (join(self.stdout.take()), join(self.stderr.take()))
    }
}

/// Makes the process `cmd` starts die with edgeperf (`PR_SET_PDEATHSIG`,
/// SIGKILL), so not even a `kill -9` of edgeperf leaves a worker behind. The
/// signal comes when the *thread* that spawned it exits: spawn workers from the
/// thread that waits for them.
pub fn die_with_edgeperf(cmd: &mut Command) {
    let parent = std::process::id();
    // SAFETY: runs in the forked child before exec and only makes two system
    // calls (async-signal-safe) and builds an error without allocating.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // edgeperf died before the line above took effect.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Guards workers that are talked to rather than waited for (`lockstep`): a
/// thread that kills every watched process (SIGKILL) when the time limit passes
/// or edgeperf receives SIGINT/SIGTERM, so a blocked read on their pipes ends.
pub struct Watchdog {
    targets: std::sync::Arc<std::sync::Mutex<Vec<Target>>>,
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<bool>>,
}

/// A process to kill: by a pidfd, which names that process and no other even
/// after it is reaped (Linux 5.3+), else by its pid.
enum Target {
    Pidfd(std::os::fd::OwnedFd),
    Pid(u32),
}

impl Target {
    fn of(pid: u32) -> Target {
        // SAFETY: pidfd_open(2) takes a pid and flags; a non-negative result is
        // a new file descriptor that we own.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
        match i32::try_from(fd) {
            // SAFETY: `fd` is the new descriptor pidfd_open returned: open,
            // and owned by nothing else, so the `OwnedFd` may close it.
            Ok(fd) if fd >= 0 => Target::Pidfd(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }),
            _ => Target::Pid(pid),
        }
    }

    fn kill(&self) {
        use std::os::fd::AsRawFd;
        // SAFETY: signals one process; a pidfd whose process is gone gives ESRCH.
        unsafe {
            match self {
                Target::Pidfd(fd) => {
                    let none: *const libc::siginfo_t = std::ptr::null();
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        fd.as_raw_fd(),
                        libc::SIGKILL,
                        none,
                        0,
                    );
                }
                Target::Pid(pid) => {
                    libc::kill(*pid as libc::pid_t, libc::SIGKILL);
                }
            }
        }
    }
}

impl Watchdog {
    /// Starts watching; the limit counts from now.
    pub fn arm(limit: Duration) -> Watchdog {
        let targets = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Target>::new()));
        let (cancel, cancelled) = mpsc::channel::<()>();
        let watched = targets.clone();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + limit;
            loop {
                let now = Instant::now();
                if now < deadline && crate::interrupt::received().is_none() {
                    match cancelled.recv_timeout((deadline - now).min(POLL)) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => return false,
                    }
                }
                if let Ok(ts) = watched.lock() {
                    ts.iter().for_each(Target::kill);
                }
                return now >= deadline;
            }
        });
        Watchdog {
            targets,
            cancel: Some(cancel),
            thread: Some(thread),
        }
    }

    /// Watches the process `pid`: call it right after spawning, before anything
    /// can reap it.
    pub fn watch(&self, pid: u32) {
        if let Ok(mut ts) = self.targets.lock() {
            ts.push(Target::of(pid));
        }
    }

    /// Stops watching; whether the time limit had passed and the processes were
    /// killed for it.
    pub fn disarm(&mut self) -> bool {
        drop(self.cancel.take());
        self.thread
            .take()
            .map(|t| t.join().unwrap_or(false))
            .unwrap_or(false)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// A duration as a user reads it: "2 s", "316 s", "0.5 s".
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// How a worker ended, when it said nothing itself: its signal or exit code.
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    death(status, b"")
}

/// How a worker that sent no reply ended: its signal or exit code, and the last
/// line it wrote on stderr.
fn death(status: &ExitStatus, stderr: &[u8]) -> String {
    let how = match (status.signal(), status.code()) {
        (Some(sig), _) => format!(
            "the worker was killed by signal {sig} ({})",
            crate::interrupt::signal_name(sig)
        ),
        (None, Some(0)) => "the worker sent a malformed result".to_string(),
        (None, Some(code)) => format!("the worker exited with code {code}"),
        (None, None) => format!("the worker ended ({status})"),
    };
    let stderr = String::from_utf8_lossy(stderr);
    match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => format!("{how}: {}", last.trim_start_matches("error: ")),
        None => how,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_that_died_is_described_by_its_signal_or_code_and_last_line() {
        let killed = ExitStatus::from_raw(9);
        assert_eq!(
            death(&killed, b""),
            "the worker was killed by signal 9 (SIGKILL)"
        );
        let segv = ExitStatus::from_raw(11);
        assert_eq!(
            death(&segv, b"loading\n"),
            "the worker was killed by signal 11 (SIGSEGV): loading"
        );
        let failed = ExitStatus::from_raw(3 << 8);
        assert_eq!(
            death(&failed, b"noise\nerror: out of memory\n\n"),
            "the worker exited with code 3: out of memory"
        );
        let ok = ExitStatus::from_raw(0);
        assert!(death(&ok, b"").contains("malformed"));
    }

    #[test]
    fn the_default_time_limit_grows_with_the_budget_the_pairing_and_the_images() {
        let s = Sampling::default(); // 12 s over 3 rounds: 4 s a round
        assert_eq!(default_time_limit(&s, false, 0), Duration::from_secs(316));
        assert_eq!(default_time_limit(&s, true, 0), Duration::from_secs(332));
        assert_eq!(default_time_limit(&s, false, 70), Duration::from_secs(456));
        let quick = s.quick(); // 3 s, one round
        assert_eq!(
            default_time_limit(&quick, false, 0),
            Duration::from_secs(312)
        );
    }

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(seconds(Duration::from_secs(2)), "2 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}

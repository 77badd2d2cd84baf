//! The runner process of an external device: starting it under its time limits,
//! the hello, one request and its checked reply, the runner's stderr kept for
//! errors, its memory, and stopping it (docs/EXTERNAL_RUNNERS.md).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engine::backend::process_tree_hwm_mb;
use crate::error::{Error, Result};
use crate::record::{MemoryOf, RuntimeInfo};
use crate::suite::{Device, ExternalRunner, Provider, RuntimeKind};

/// The protocol version edgeperf speaks; a runner's hello must name it.
pub const RUNNER_PROTOCOL: u64 = 1;
/// Most timings asked for in one `time` request, so that `timeout_s` bounds the
/// wait for any one reply whatever the sample count.
pub const TIME_CHUNK: u32 = 50;
/// Lines of the runner's stderr kept for error messages.
const STDERR_TAIL: usize = 20;
/// How much of a bad line an error message quotes.
const QUOTE: usize = 120;

/// A running runner process.
pub(super) struct Runner {
    pub(super) device: String,
    /// The command as the user wrote it, for messages.
    pub(super) shown: String,
    pub(super) child: Child,
    pub(super) stdin: Option<ChildStdin>,
    pub(super) lines: Receiver<std::io::Result<String>>,
    pub(super) stderr: Arc<Mutex<VecDeque<String>>>,
    /// Lines read from the runner's stdout so far (the hello is line 1).
    pub(super) line_no: usize,
    pub(super) timeout: Duration,
    pub(super) timeout_s: f64,
    pub(super) runtime: RuntimeInfo,
    /// Milliseconds from starting the runner to its hello line.
    pub(super) hello_ms: f64,
    /// Where input files go (removed with the runner).
    pub(super) scratch: tempfile::TempDir,
    pub(super) sessions: usize,
    pub(super) next_id: usize,
    /// The hello said the model runs outside the runner's process tree (in a
    /// container, on another machine): /proc cannot measure its memory.
    pub(super) remote: bool,
    /// The runner's own latest `peak_rss_mb`, when it reports one.
    pub(super) reported_mb: Option<f64>,
    /// The hello says `"profile": true`: the runner answers `profile`.
    pub(super) profiles: bool,
}

/// The worker's runner (one per process, shared by a paired head and base).
pub(super) static RUNNER: Mutex<Option<Runner>> = Mutex::new(None);

fn quote(line: &str) -> String {
    let t = line.trim();
    match t.char_indices().nth(QUOTE) {
        Some((i, _)) => format!("{:?}...", &t[..i]),
        None => format!("{t:?}"),
    }
}

impl Runner {
    pub(super) fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::device(
            &self.device,
            format!("external runner {}: {message}", self.shown),
        )
    }

    /// The last non-empty line the runner wrote on stderr, if any.
    pub(super) fn stderr_last(&self) -> Option<String> {
        let tail = self.stderr.lock().ok()?;
        tail.iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
    }

    /// How the runner ended, after its stdout closed.
    pub(super) fn death(&mut self, waiting_for: &str) -> Error {
        use std::os::unix::process::ExitStatusExt;
        // stdout is closed; give the process a moment to be reaped.
        let deadline = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
            }
        };
        let how = match status {
            Some(s) => match (s.signal(), s.code()) {
                (Some(sig), _) => format!("was killed by signal {sig}"),
                (None, Some(c)) => format!("exited with code {c}"),
                _ => format!("ended ({s})"),
            },
            None => "ended".to_string(),
        };
        let line = self.line_no + 1;
        let mut m = format!("{how} before line {line} (the reply to `{waiting_for}`)");
        if let Some(last) = self.stderr_last() {
            m += &format!("; its last stderr line: {}", quote(&last));
        }
        self.error(m)
    }

    /// The next stdout line, within the timeout.
    pub(super) fn read_line(&mut self, waiting_for: &str) -> Result<String> {
        match self.lines.recv_timeout(self.timeout) {
            Ok(Ok(line)) => {
                self.line_no += 1;
                Ok(line)
            }
            Ok(Err(e)) => {
                self.line_no += 1;
                Err(self.error(format!("line {} is not UTF-8 text: {e}", self.line_no)))
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                Err(self.error(format!(
                    "sent no line {} (the reply to `{waiting_for}`) within {} s (the device's timeout_s); the runner was stopped",
                    self.line_no + 1,
                    self.timeout_s
                )))
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.death(waiting_for)),
        }
    }

    /// The next line as a JSON object.
    pub(super) fn read_json(&mut self, waiting_for: &str) -> Result<(Value, String)> {
        let line = self.read_line(waiting_for)?;
        match serde_json::from_str::<Value>(&line) {
            Ok(v) if v.is_object() => Ok((v, line)),
            _ => Err(self.error(format!(
                "line {} is not a JSON object (expected the reply to `{waiting_for}`; write logs to stderr, not stdout): {}",
                self.line_no,
                quote(&line)
            ))),
        }
    }

    /// Sends one request and returns its checked reply: the same `op`, `ok: true`.
    pub(super) fn request(&mut self, req: Value) -> Result<Value> {
        let op = req["op"].as_str().unwrap_or("?").to_string();
        let mut text = req.to_string();
        text.push('\n');
        let sent = match self.stdin.as_mut() {
            Some(s) => s.write_all(text.as_bytes()).and_then(|_| s.flush()),
            None => Err(std::io::Error::other("stdin closed")),
        };
        if sent.is_err() {
            return Err(self.death(&op));
        }
        let (v, line) = self.read_json(&op)?;
        if v.get("op").and_then(Value::as_str) != Some(op.as_str()) {
            return Err(self.error(format!(
                "line {} is not the reply to `{op}` (its \"op\" must be {op:?}): {}",
                self.line_no,
                quote(&line)
            )));
        }
        match v.get("ok").and_then(Value::as_bool) {
            Some(true) => Ok(v),
            Some(false) => Err(self.error(format!(
                "line {}: `{op}` failed: {}",
                self.line_no,
                v.get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("(no \"error\" given)")
            ))),
            None => Err(self.error(format!(
                "line {} has no boolean \"ok\": {}",
                self.line_no,
                quote(&line)
            ))),
        }
    }

    /// A reply field that breaks the protocol, as an error naming the line.
    pub(super) fn bad(&self, what: impl std::fmt::Display) -> Error {
        self.error(format!("line {}: {what}", self.line_no))
    }

    /// Starts the device's runner and checks its hello line.
    pub(super) fn start(device: &Device, runner: &ExternalRunner) -> Result<Runner> {
        let shown = format!("`{}`", runner.command.join(" "));
        let started = Instant::now();
        let (mut child, lines, stderr) = spawn(runner).map_err(|e| {
            Error::device(
                &device.name,
                format!("external runner {shown}: cannot start it: {e}"),
            )
        })?;
        let scratch = crate::fs::temp_dir("edgeperf-runner-")?;
        let mut r = Runner {
            device: device.name.clone(),
            shown,
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
            line_no: 0,
            timeout: Duration::from_secs_f64(runner.timeout_s),
            timeout_s: runner.timeout_s,
            runtime: RuntimeInfo {
                version: String::new(),
                library: std::path::absolute(&runner.command[0])
                    .unwrap_or_else(|_| PathBuf::from(&runner.command[0])),
                kind: RuntimeKind::External,
                sha256: None,
            },
            hello_ms: 0.0,
            scratch,
            sessions: 0,
            next_id: 0,
            remote: false,
            reported_mb: None,
            profiles: false,
        };
        r.hello(started)?;
        Ok(r)
    }

    /// Reads the runner's first line (its cold start ends there, counted from
    /// `started`): the protocol it speaks and its runtime.
    pub(super) fn hello(&mut self, started: Instant) -> Result<()> {
        let (hello, line) = self.read_json("hello")?;
        self.hello_ms = started.elapsed().as_secs_f64() * 1e3;
        match hello.get("edgeperf_runner").and_then(Value::as_u64) {
            Some(RUNNER_PROTOCOL) => {}
            Some(v) => {
                return Err(self.bad(format!(
                    "the runner speaks protocol {v}, this edgeperf speaks {RUNNER_PROTOCOL}"
                )))
            }
            None => {
                return Err(self.bad(format!(
                    "expected the hello {{\"edgeperf_runner\": {RUNNER_PROTOCOL}, \"runtime\": ..., \"version\": ...}}, got {}",
                    quote(&line)
                )))
            }
        }
        self.remote = match hello.get("remote") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(self.bad(format!(
                    "\"remote\" must be true or false (the model runs outside the runner's process tree), got {v}"
                )))
            }
        };
        self.profiles = hello.get("profile").and_then(Value::as_bool) == Some(true);
        let field = |k: &str| hello.get(k).and_then(Value::as_str).map(str::to_string);
        match (field("runtime"), field("version")) {
            (Some(rt), Some(v)) if !rt.is_empty() => self.runtime.version = format!("{rt} {v}"),
            _ => {
                return Err(self.bad(
                    "the hello needs string fields \"runtime\" and \"version\" (they are recorded)",
                ))
            }
        }
        Ok(())
    }

    /// What runs the model, from a `load` reply: the provider, the runner's
    /// words for it, and why it is not the one asked for (only with
    /// `allow_fallback`; otherwise that is an error).
    pub(super) fn ran_on(
        &self,
        reply: &Value,
        device: &Device,
    ) -> Result<(Provider, String, Option<String>)> {
        let ran = match reply.get("accelerator").and_then(Value::as_str) {
            Some(a) => Provider::parse(a).ok_or_else(|| {
                let known: Vec<_> = Provider::ALL.iter().map(|p| p.as_str()).collect();
                self.bad(format!(
                    "unknown accelerator {a:?} (report one of {})",
                    known.join(", ")
                ))
            })?,
            None => {
                return Err(
                    self.bad("the `load` reply needs \"accelerator\": what really runs the model")
                )
            }
        };
        let detail = reply
            .get("detail")
            .and_then(Value::as_str)
            .unwrap_or(ran.as_str())
            .to_string();
        if ran == device.provider {
            return Ok((ran, detail, None));
        }
        let why = format!(
            "the runner runs the model on {ran} ({detail}), not on the {} asked for",
            device.provider
        );
        if !device.allow_fallback {
            return Err(self.bad(format!(
                "{why} (no fallback: set allow_fallback = true for this device to permit it)"
            )));
        }
        Ok((ran, detail, Some(why)))
    }

    /// The session's creation time: the runner's `load_ms`, else the request's
    /// round trip.
    pub(super) fn load_ms(&self, reply: &Value, roundtrip: f64) -> Result<f64> {
        match reply.get("load_ms") {
            None => Ok(roundtrip),
            Some(v) => match v.as_f64() {
                Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(ms),
                _ => Err(self.bad(format!(
                    "\"load_ms\" must be a non-negative number, got {v}"
                ))),
            },
        }
    }

    /// Keeps the runner's own `peak_rss_mb` from a reply, when it gives one.
    pub(super) fn note_memory(&mut self, reply: &Value) -> Result<()> {
        match reply.get("peak_rss_mb") {
            None => Ok(()),
            Some(v) => match v.as_f64() {
                Some(mb) if mb.is_finite() && mb >= 0.0 => {
                    self.reported_mb = Some(mb);
                    Ok(())
                }
                _ => Err(self.bad(format!(
                    "\"peak_rss_mb\" must be a non-negative number of MiB, got {v}"
                ))),
            },
        }
    }

    /// The peak memory of whatever runs the model: the runner's report, else
    /// its process tree from /proc, else (a remote runner, no /proc) nothing.
    pub(super) fn peak_memory(&self) -> (Option<f64>, MemoryOf) {
        if let Some(mb) = self.reported_mb {
            return (Some(mb), MemoryOf::RunnerReported);
        }
        if self.remote {
            return (None, MemoryOf::NotMeasured);
        }
        match process_tree_hwm_mb(self.child.id()) {
            Some(mb) => (Some(mb), MemoryOf::Runner),
            None => (None, MemoryOf::NotMeasured),
        }
    }

    /// Writes `data` as raw little-endian float32 to `<scratch>/<name>.f32`.
    pub(super) fn write_input(&self, name: &str, data: &[f32]) -> Result<PathBuf> {
        let path = self.scratch.path().join(format!("{name}.f32"));
        let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        crate::fs::write(&path, &bytes)?;
        Ok(path)
    }

    /// Says goodbye and waits briefly for the runner to exit; kills it otherwise.
    pub(super) fn shutdown(mut self) {
        if let Some(mut s) = self.stdin.take() {
            let _ = s.write_all(b"{\"op\":\"bye\"}\n");
            drop(s);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
    }
}

/// The runner's stdout lines and the tail of its stderr, each read by a thread.
type Pipes = (
    Child,
    Receiver<std::io::Result<String>>,
    Arc<Mutex<VecDeque<String>>>,
);

/// Starts the runner process with piped stdio.
fn spawn(runner: &ExternalRunner) -> std::io::Result<Pipes> {
    let mut child = Command::new(&runner.command[0])
        .args(&runner.command[1..])
        .current_dir(&runner.workdir)
        .env("EDGEPERF_RUNNER_PROTOCOL", RUNNER_PROTOCOL.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let stop = line.is_err();
            if tx.send(line).is_err() || stop {
                break;
            }
        }
    });
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let keep = Arc::clone(&tail);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
            if let Ok(mut t) = keep.lock() {
                if t.len() == STDERR_TAIL {
                    t.pop_front();
                }
                t.push_back(line);
            }
        }
    });
    Ok((child, lines, tail))
}

/// Runs `f` on this worker's runner.
pub(super) fn with_runner<T>(f: impl FnOnce(&mut Runner) -> Result<T>) -> Result<T> {
    let mut guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
    let r = guard.as_mut().ok_or_else(|| {
        Error::worker_protocol(
            "a request reached the external runner before its runtime was loaded",
        )
    })?;
    f(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_quoted_short() {
        assert_eq!(quote("  abc \n"), "\"abc\"");
        let q = quote(&"x".repeat(500));
        assert!(q.len() < 130 && q.ends_with("..."), "{q}");
    }
}

//! External runners: runtimes edgeperf cannot load (TensorRT engines, PyTorch,
//! an Edge TPU, RKNN, ...) measured by a program that speaks a small versioned
//! JSON-lines protocol on stdio (docs/EXTERNAL_RUNNERS.md).
//!
//! The worker process starts the runner (one per worker, so one per round),
//! hands it the model, the options and each preprocessed input as a raw
//! little-endian float32 file, and reads back the per-inference times the runner
//! measured around its own inference call, and each image's top-k. Every reply is
//! checked: a runner that times out, dies, writes a line that is not the reply
//! asked for, or answers with the wrong number of values is an error naming the
//! device and the runner's line.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::backend::{process_tree_hwm_mb, Backend, ProviderOutcome};
use crate::error::{Error, Result};
use crate::explain::profile::RawProfile;
use crate::record::{MemoryOf, RuntimeInfo};
use crate::suite::{Device, ExternalRunner, Layout, Model, Provider, RuntimeKind};

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
struct Runner {
    device: String,
    /// The command as the user wrote it, for messages.
    shown: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Lines read from the runner's stdout so far (the hello is line 1).
    line_no: usize,
    timeout: Duration,
    timeout_s: f64,
    runtime: RuntimeInfo,
    /// Milliseconds from starting the runner to its hello line.
    hello_ms: f64,
    /// Where input files go (removed with the runner).
    scratch: tempfile::TempDir,
    sessions: usize,
    next_id: usize,
    /// The hello said the model runs outside the runner's process tree (in a
    /// container, on another machine): /proc cannot measure its memory.
    remote: bool,
    /// The runner's own latest `peak_rss_mb`, when it reports one.
    reported_mb: Option<f64>,
    /// The hello says `"profile": true`: the runner answers `profile`.
    profiles: bool,
}

/// The worker's runner (one per process, shared by a paired head and base).
static RUNNER: Mutex<Option<Runner>> = Mutex::new(None);

fn quote(line: &str) -> String {
    let t = line.trim();
    match t.char_indices().nth(QUOTE) {
        Some((i, _)) => format!("{:?}...", &t[..i]),
        None => format!("{t:?}"),
    }
}

impl Runner {
    fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::device(
            &self.device,
            format!("external runner {}: {message}", self.shown),
        )
    }

    /// The last non-empty line the runner wrote on stderr, if any.
    fn stderr_last(&self) -> Option<String> {
        let tail = self.stderr.lock().ok()?;
        tail.iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
    }

    /// How the runner ended, after its stdout closed.
    fn death(&mut self, waiting_for: &str) -> Error {
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
    fn read_line(&mut self, waiting_for: &str) -> Result<String> {
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
    fn read_json(&mut self, waiting_for: &str) -> Result<(Value, String)> {
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
    fn request(&mut self, req: Value) -> Result<Value> {
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
    fn bad(&self, what: impl std::fmt::Display) -> Error {
        self.error(format!("line {}: {what}", self.line_no))
    }

    /// Starts the device's runner and checks its hello line.
    fn start(device: &Device, runner: &ExternalRunner) -> Result<Runner> {
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
    fn hello(&mut self, started: Instant) -> Result<()> {
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
    fn ran_on(&self, reply: &Value, device: &Device) -> Result<(Provider, String, Option<String>)> {
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
    fn load_ms(&self, reply: &Value, roundtrip: f64) -> Result<f64> {
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
    fn note_memory(&mut self, reply: &Value) -> Result<()> {
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
    fn peak_memory(&self) -> (Option<f64>, MemoryOf) {
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
    fn write_input(&self, name: &str, data: &[f32]) -> Result<PathBuf> {
        let path = self.scratch.path().join(format!("{name}.f32"));
        let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        crate::fs::write(&path, &bytes)?;
        Ok(path)
    }

    /// Says goodbye and waits briefly for the runner to exit; kills it otherwise.
    fn shutdown(mut self) {
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
fn with_runner<T>(f: impl FnOnce(&mut Runner) -> Result<T>) -> Result<T> {
    let mut guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
    let r = guard.as_mut().ok_or_else(|| {
        Error::worker_protocol(
            "a request reached the external runner before its runtime was loaded",
        )
    })?;
    f(r)
}

/// One model loaded in the runner.
pub struct ExternalSession {
    id: String,
    input_len: usize,
    pub provider: ProviderOutcome,
    /// What the runner says really ran (`detail`).
    pub accelerator: String,
    pub session_create_ms: f64,
    /// Milliseconds from starting the runner to its hello (the runner's cold
    /// start: interpreter, imports, library loading).
    pub library_load_ms: f64,
    pub runtime: RuntimeInfo,
    /// Loaded with `"profile": true`, or why not (profile mode only).
    profile: Option<std::result::Result<(), String>>,
}

impl Drop for ExternalSession {
    fn drop(&mut self) {
        let mut guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
        let last = match guard.as_mut() {
            Some(r) => {
                r.sessions = r.sessions.saturating_sub(1);
                r.sessions == 0
            }
            None => false,
        };
        if last {
            if let Some(r) = guard.take() {
                r.shutdown();
            }
        }
    }
}

impl ExternalSession {
    /// Starts the device's runner if this worker has none yet, and loads `model`
    /// (its file in the device's `model_format`) in it.
    pub fn create(device: &Device, model: &Model) -> Result<ExternalSession> {
        ExternalSession::create_with(device, model, false)
    }

    /// [`ExternalSession::create`] with `"profile": true` in the `load`, when
    /// the runner's hello offers profiles (read by `end_profile`).
    pub fn create_profiled(device: &Device, model: &Model) -> Result<ExternalSession> {
        ExternalSession::create_with(device, model, true)
    }

    fn create_with(device: &Device, model: &Model, profiled: bool) -> Result<ExternalSession> {
        let spec = device
            .external
            .as_ref()
            .ok_or_else(|| Error::device(&device.name, "an external device needs `command`"))?;
        if !crate::fs::exists(&model.file) {
            return Err(Error::model(
                &model.file,
                format!("model file not found (model {:?})", model.name),
            ));
        }
        let mut guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(Runner::start(device, spec)?);
        }
        let r = guard.as_mut().expect("set above");
        r.next_id += 1;
        let id = format!("m{}", r.next_id);
        let shape = model.preprocess.input_shape();
        let layout = match model.preprocess.layout() {
            Layout::Nchw => "nchw",
            Layout::Nhwc => "nhwc",
        };
        let started = Instant::now();
        let profile = profiled.then(|| match r.profiles {
            true => Ok(()),
            false => Err(format!(
                "the external runner {} offers no profile (its hello has no \"profile\": true)",
                r.shown
            )),
        });
        let mut load = json!({
            "op": "load",
            "id": id,
            "model": absolute(&model.file),
            "format": spec.model_format.as_str(),
            "input": { "name": model.input, "shape": shape, "layout": layout, "dtype": "float32" },
            "accelerator": device.provider.as_str(),
            "threads": { "intra": device.intra_threads, "inter": device.inter_threads },
            "options": device.options,
        });
        if profile == Some(Ok(())) {
            load["profile"] = json!(true);
        }
        let reply = r.request(load)?;
        let roundtrip = started.elapsed().as_secs_f64() * 1e3;
        let (ran, detail, fallback_reason) = r.ran_on(&reply, device)?;
        let session_create_ms = r.load_ms(&reply, roundtrip)?;
        r.sessions += 1;
        Ok(ExternalSession {
            id,
            input_len: shape.iter().product(),
            provider: ProviderOutcome {
                requested: device.provider,
                ran,
                fallback_reason,
            },
            accelerator: detail,
            session_create_ms,
            library_load_ms: r.hello_ms,
            runtime: r.runtime.clone(),
            profile,
        })
    }

    fn check_len(&self, data: &[f32]) -> Result<()> {
        if data.len() != self.input_len {
            return with_runner(|r| {
                Err(r.error(format!(
                    "input has {} values, the model takes {}",
                    data.len(),
                    self.input_len
                )))
            });
        }
        Ok(())
    }

    /// Hands the runner the input every following `time` uses.
    pub fn set_input(&mut self, data: &[f32]) -> Result<()> {
        self.check_len(data)?;
        let id = self.id.clone();
        with_runner(|r| {
            let path = r.write_input(&id, data)?;
            r.request(json!({"op": "input", "id": id, "path": path}))?;
            Ok(())
        })
    }

    /// `n` inferences on the current input, timed by the runner around its own
    /// inference call; asked for in chunks of at most [`TIME_CHUNK`].
    pub fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(n as usize);
        while (out.len() as u32) < n {
            let k = TIME_CHUNK.min(n - out.len() as u32);
            let id = self.id.clone();
            let ms = with_runner(|r| {
                let reply = r.request(json!({"op": "time", "id": id, "n": k}))?;
                r.note_memory(&reply)?;
                let ms = reply.get("ms").and_then(Value::as_array).ok_or_else(|| {
                    r.bad("the `time` reply needs \"ms\": [one number per inference]")
                })?;
                if ms.len() != k as usize {
                    return Err(r.bad(format!(
                        "asked for {k} timings, the runner sent {}",
                        ms.len()
                    )));
                }
                ms.iter()
                    .map(|v| match v.as_f64() {
                        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
                        _ => Err(r.bad(format!(
                            "timings must be non-negative milliseconds, got {v}"
                        ))),
                    })
                    .collect::<Result<Vec<f64>>>()
            })?;
            out.extend(ms);
        }
        Ok(out)
    }

    /// The `k` best classes of `data` (best first), and how many classes the
    /// model has. `data` replaces the current input.
    pub fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)> {
        self.check_len(data)?;
        let id = self.id.clone();
        with_runner(|r| {
            let path = r.write_input(&format!("{id}-classify"), data)?;
            let reply = r.request(json!({"op": "classify", "id": id, "path": path, "k": k}))?;
            let classes = reply
                .get("classes")
                .and_then(Value::as_u64)
                .filter(|&c| c > 0)
                .ok_or_else(|| {
                    r.bad(
                        "the `classify` reply needs \"classes\": the length of the model's output",
                    )
                })? as usize;
            let top = reply.get("top").and_then(Value::as_array).ok_or_else(|| {
                r.bad("the `classify` reply needs \"top\": [class indices, best first]")
            })?;
            let want = k.min(classes);
            if top.len() != want {
                return Err(r.bad(format!(
                    "asked for the top {want} classes, the runner sent {}",
                    top.len()
                )));
            }
            let mut out: Vec<u32> = Vec::with_capacity(want);
            for v in top {
                match v.as_u64() {
                    Some(c) if (c as usize) < classes && !out.contains(&(c as u32)) => {
                        out.push(c as u32)
                    }
                    _ => {
                        return Err(r.bad(format!(
                        "\"top\" must hold {want} distinct class indices below {classes}, got {v}"
                    )))
                    }
                }
            }
            Ok((out, classes))
        })
    }
}

impl Backend for ExternalSession {
    fn end_profile(&mut self) -> std::result::Result<RawProfile, String> {
        match &self.profile {
            None => return Err("this session was not created for profiling".into()),
            Some(Err(why)) => return Err(why.clone()),
            Some(Ok(())) => {}
        }
        let reply = with_runner(|r| r.request(json!({"op": "profile", "id": self.id})))
            .map_err(|e| e.one_line())?;
        crate::explain::runner::parse_runner_profile(&reply)
    }
    fn set_input(&mut self, data: &[f32]) -> Result<()> {
        ExternalSession::set_input(self, data)
    }
    fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        ExternalSession::time(self, n)
    }
    fn classify(&mut self, data: &[f32], k: usize) -> Result<(Vec<u32>, usize)> {
        ExternalSession::classify(self, data, k)
    }
    fn provider(&self) -> &ProviderOutcome {
        &self.provider
    }
    fn accelerator(&self) -> Option<String> {
        Some(self.accelerator.clone())
    }
    fn session_create_ms(&self) -> f64 {
        self.session_create_ms
    }
    fn library_load_ms(&self) -> Option<f64> {
        Some(self.library_load_ms)
    }
    fn runtime(&self) -> &RuntimeInfo {
        &self.runtime
    }
    fn peak_memory(&self) -> (Option<f64>, MemoryOf) {
        let guard = RUNNER.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(r) => r.peak_memory(),
            None => (None, MemoryOf::NotMeasured),
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    crate::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
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

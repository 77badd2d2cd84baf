//! Two worker processes in lockstep: the base side on its runtime library, the
//! head side on another (ONNX Runtime allows one library per process), timed in
//! alternating blocks exactly like two sessions paired in one process. Each
//! worker warms up and waits on stdin; the parent tells one side to time a block,
//! then the other (A B B A ...), so only one process computes at a time and both
//! see the same machine state, block by block.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::measure::block_pairs;
use super::protocol::{LockstepCommand, LockstepEvent, RoundResult, WorkerReply, WorkerRequest};
use crate::error::{Error, Result};

/// One lockstep worker process.
struct Side {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    device: String,
    model: String,
    round: u32,
}

impl Side {
    fn start(exe: &Path, req: &WorkerRequest) -> Result<Side> {
        let fail = |message: String| worker_error(req, message);
        let mut cmd = Command::new(exe);
        cmd.arg("__worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        super::spawn::die_with_edgeperf(&mut cmd);
        let mut child = cmd
            .spawn()
            .map_err(|e| fail(format!("{}: cannot start the worker: {e}", exe.display())))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| fail("no stdin for the worker".into()))?;
        let stdout = BufReader::new(
            child
                .stdout
                .take()
                .ok_or_else(|| fail("no stdout for the worker".into()))?,
        );
        let line = serde_json::to_string(req)
            .map_err(|e| fail(format!("cannot encode the request: {e}")))?;
        writeln!(stdin, "{line}").map_err(|e| fail(format!("cannot send the request: {e}")))?;
        Ok(Side {
            child,
            stdin,
            stdout,
            device: req.head.device.name.clone(),
            model: req.head.model.name.clone(),
            round: req.round,
        })
    }

    fn error(&self, message: String) -> Error {
        Error::Worker {
            device: self.device.clone(),
            model: self.model.clone(),
            round: self.round,
            message,
        }
    }

    /// The next line the worker prints: an event, or its final reply.
    fn read(&mut self) -> Result<std::result::Result<LockstepEvent, WorkerReply>> {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| self.error(format!("cannot read the worker: {e}")))?;
        if n == 0 {
            let status = self.child.wait().map_err(|e| self.error(e.to_string()))?;
            return Err(self.error(super::spawn::describe_exit(&status)));
        }
        if let Ok(e) = serde_json::from_str::<LockstepEvent>(&line) {
            return Ok(Ok(e));
        }
        serde_json::from_str::<WorkerReply>(&line)
            .map(Err)
            .map_err(|e| {
                self.error(format!(
                    "malformed line from the worker ({e}): {}",
                    line.trim()
                ))
            })
    }

    fn send(&mut self, cmd: &LockstepCommand) -> Result<()> {
        let line = serde_json::to_string(cmd).map_err(|e| self.error(e.to_string()))?;
        writeln!(self.stdin, "{line}")
            .and_then(|_| self.stdin.flush())
            .map_err(|e| self.error(format!("the worker stopped listening: {e}")))
    }

    fn ready(&mut self) -> Result<f64> {
        match self.read()? {
            Ok(LockstepEvent::Ready { est_ms }) => Ok(est_ms),
            Err(WorkerReply::Error { message }) => Err(self.error(message)),
            other => Err(self.error(format!("expected `ready`, got {other:?}"))),
        }
    }

    fn time(&mut self, n: u32) -> Result<Vec<f64>> {
        self.send(&LockstepCommand::Time(n))?;
        match self.read()? {
            Ok(LockstepEvent::Samples(xs)) if xs.len() == n as usize => Ok(xs),
            Ok(LockstepEvent::Samples(xs)) => {
                Err(self.error(format!("asked for {n} timed inferences, got {}", xs.len())))
            }
            Err(WorkerReply::Error { message }) => Err(self.error(message)),
            other => Err(self.error(format!("expected samples, got {other:?}"))),
        }
    }

    fn finish(mut self) -> Result<RoundResult> {
        self.send(&LockstepCommand::Finish)?;
        let reply = self.read()?;
        let _ = self.child.wait();
        match reply {
            Err(WorkerReply::Ok(r)) => Ok(*r),
            Err(WorkerReply::Error { message }) => Err(self.error(message)),
            Ok(e) => Err(self.error(format!("expected the final reply, got {e:?}"))),
        }
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        // A side dropped on an error path must not outlive the comparison.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn worker_error(req: &WorkerRequest, message: String) -> Error {
    Error::Worker {
        device: req.head.device.name.clone(),
        model: req.head.model.name.clone(),
        round: req.round,
        message,
    }
}

/// Runs one lockstep round: `base` and `head` are requests for one side each
/// (their `paired` is ignored). Returns the head's result with the base's round
/// as its `paired` round, like an in-process pair. The two workers together get
/// the sum of their time limits (`spawn::time_limit`: two start-ups); past it, or
/// on SIGINT/SIGTERM, both are killed. The device state is observed around the
/// pair (`observe`).
pub fn run_pair(exe: &Path, base: &WorkerRequest, head: &WorkerRequest) -> Result<RoundResult> {
    super::observe::observed(head, || pair(exe, base, head))
}

/// [`run_pair`] without the device state.
fn pair(exe: &Path, base: &WorkerRequest, head: &WorkerRequest) -> Result<RoundResult> {
    let mut base_req = base.clone();
    base_req.lockstep = true;
    base_req.paired = None;
    let mut head_req = head.clone();
    head_req.lockstep = true;
    head_req.paired = None;
    let limit = super::spawn::time_limit(&base_req) + super::spawn::time_limit(&head_req);
    let interrupted = |signal: i32| Error::Interrupted {
        signal,
        message: format!(
            "the workers were killed ({}/{}, round {})",
            head.head.device.name, head.head.model.name, head.round
        ),
    };
    if let Some(sig) = crate::interrupt::received() {
        return Err(interrupted(sig));
    }
    // The sides live here, so an error keeps them (alive or a zombie) until the
    // watchdog is disarmed; then dropping them kills and reaps them.
    let (mut a, mut b) = (None, None);
    let mut dog = super::spawn::Watchdog::arm(limit);
    let timed = time_blocks(exe, &base_req, &head_req, &dog, &mut a, &mut b);
    let timed_out = dog.disarm();
    if let Some(sig) = crate::interrupt::received() {
        return Err(interrupted(sig));
    }
    if timed_out {
        return Err(worker_error(
            head,
            format!(
                "the lockstep workers did not finish within their time limit of {} and were killed",
                super::spawn::seconds(limit)
            ),
        ));
    }
    let len = timed?;
    let (Some(a), Some(b)) = (a, b) else {
        return Err(worker_error(head, "a lockstep worker did not start".into()));
    };
    let mut base_result = a.finish()?;
    let mut head_result = b.finish()?;
    if let (Some(h), Some(b)) = (head_result.profiles.as_mut(), base_result.profiles) {
        h.base = Some(b.head);
    }
    // Both workers measured over the same blocks: one state for the pair, their
    // run-queue waits added (as for two sessions in one process).
    let both: Vec<_> = [&base_result.round.machine, &head_result.round.machine]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let machine = if both.len() == 2 {
        crate::machine::combine(&both)
    } else {
        None
    };
    base_result.round.machine = machine.clone();
    head_result.round.machine = machine;
    head_result.paired = Some(base_result.round);
    head_result.block = Some(len);
    Ok(head_result)
}

/// Starts the two sides one after the other (into `a` and `b`, which the caller
/// owns), so their set-up does not overlap in time either (rounds alternate who
/// goes first), each watched by `dog`, and times the block pairs. Returns the
/// block length.
fn time_blocks(
    exe: &Path,
    base: &WorkerRequest,
    head: &WorkerRequest,
    dog: &super::spawn::Watchdog,
    a: &mut Option<Side>,
    b: &mut Option<Side>,
) -> Result<u32> {
    let start = |req: &WorkerRequest, slot: &mut Option<Side>| -> Result<f64> {
        let side = slot.insert(Side::start(exe, req)?);
        dog.watch(side.child.id());
        side.ready()
    };
    let (est_a, est_b);
    if head.pairing.base_first {
        est_a = start(base, a)?;
        est_b = start(head, b)?;
    } else {
        est_b = start(head, b)?;
        est_a = start(base, a)?;
    }
    let (Some(a), Some(b)) = (a.as_mut(), b.as_mut()) else {
        return Err(worker_error(head, "a lockstep worker did not start".into()));
    };
    let est = est_a.max(est_b);
    let len = head.pairing.block_len(est);
    for k in 0..block_pairs(&head.sampling, &head.pairing, len, est) {
        if head.pairing.base_leads(k) {
            a.time(len)?;
            b.time(len)?;
        } else {
            b.time(len)?;
            a.time(len)?;
        }
    }
    Ok(len)
}

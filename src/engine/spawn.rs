//! Running a round in a fresh worker process (`edgeperf __worker`): the request
//! goes to the worker's stdin as JSON, the reply comes back on its stdout. A fresh
//! process per round is needed anyway (ONNX Runtime allows one library per
//! process) and it makes every round draw its own process-level state, so records
//! carry the run-to-run spread.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::protocol::{RoundResult, WorkerReply, WorkerRequest};
use crate::error::{Error, Result};

/// Runs `req` in a fresh `exe __worker` process and returns its measurement.
/// Errors name the device, model and round: the worker's own one-line error when
/// it sent one, else how it died.
pub fn spawn_round(exe: &Path, req: &WorkerRequest) -> Result<RoundResult> {
    let fail = |message: String| Error::Worker {
        device: req.head.device.name.clone(),
        model: req.head.model.name.clone(),
        round: req.round,
        message,
    };
    let body =
        serde_json::to_vec(req).map_err(|e| fail(format!("cannot encode the request: {e}")))?;
    let mut child = Command::new(exe)
        .arg("__worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("{}: cannot start the worker: {e}", exe.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A worker that dies before reading its request is reported below by its exit.
        let _ = stdin.write_all(&body);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("lost the worker: {e}")))?;
    let reply: Option<WorkerReply> = serde_json::from_slice(&out.stdout).ok();
    match reply {
        Some(WorkerReply::Ok(r)) if out.status.success() => Ok(*r),
        Some(WorkerReply::Error { message }) => Err(fail(message)),
        _ => Err(fail(death(&out.status, &out.stderr))),
    }
}

/// How a worker ended, when it said nothing itself: its signal or exit code.
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    death(status, b"")
}

/// How a worker that sent no reply ended: its signal or exit code, and the last
/// line it wrote on stderr.
fn death(status: &std::process::ExitStatus, stderr: &[u8]) -> String {
    use std::os::unix::process::ExitStatusExt;
    let how = match (status.signal(), status.code()) {
        (Some(sig), _) => format!("the worker was killed by signal {sig}"),
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
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_worker_that_died_is_described_by_its_signal_or_code_and_last_line() {
        let killed = std::process::ExitStatus::from_raw(9);
        assert_eq!(death(&killed, b""), "the worker was killed by signal 9");
        let failed = std::process::ExitStatus::from_raw(3 << 8);
        assert_eq!(
            death(&failed, b"noise\nerror: out of memory\n\n"),
            "the worker exited with code 3: out of memory"
        );
        let ok = std::process::ExitStatus::from_raw(0);
        assert!(death(&ok, b"").contains("malformed"));
    }
}

//! `edgeperf __worker`: one measurement round in this process. Reads a
//! [`WorkerRequest`] as one JSON document (or line) on stdin and writes a
//! [`WorkerReply`] as JSON on stdout (its error too, as one line, besides
//! exiting with code 2). In lockstep mode it then keeps reading timing commands
//! (`engine::lockstep`).

use std::io::BufRead;

use clap::Args;

use super::output::print_out;
use crate::engine::measure::{reply, run_lockstep, run_round};
use crate::engine::{WorkerReply, WorkerRequest};
use crate::error::{Error, Result, EXIT_ERROR, EXIT_OK};

#[derive(Debug, Args)]
pub struct WorkerArgs {}

pub fn run(_: WorkerArgs) -> Result<i32> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let reply = reply(read_request(&mut input).and_then(|req| {
        if req.lockstep {
            let mut out = std::io::stdout().lock();
            run_lockstep(&req, &mut input, &mut out)
        } else {
            run_round(&req)
        }
    }));
    let code = match reply {
        WorkerReply::Ok(_) => EXIT_OK,
        WorkerReply::Error { .. } => EXIT_ERROR,
    };
    let json = serde_json::to_string(&reply).map_err(|source| Error::Serialise {
        what: "the worker's reply",
        source,
    })?;
    print_out(&(json + "\n"))?;
    Ok(code)
}

/// The request: the first line of stdin when it is a whole JSON document (lockstep
/// workers keep reading commands after it), else all of stdin.
fn read_request(input: &mut dyn BufRead) -> Result<WorkerRequest> {
    let mut text = String::new();
    input.read_line(&mut text).map_err(|e| {
        Error::worker_protocol(format!("cannot read the worker request on stdin: {e}"))
    })?;
    if serde_json::from_str::<serde_json::Value>(&text).is_err() {
        input.read_to_string(&mut text).map_err(|e| {
            Error::worker_protocol(format!("cannot read the worker request on stdin: {e}"))
        })?;
    }
    serde_json::from_str(&text)
        .map_err(|e| Error::worker_protocol(format!("malformed worker request on stdin: {e}")))
}

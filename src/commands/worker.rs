//! `edgeperf __worker`: one measurement round in this process. Reads a
//! [`WorkerRequest`] as JSON on stdin and writes a [`WorkerReply`] as JSON on
//! stdout (its error too, as one line, besides exiting with code 2).

use std::io::Read;

use clap::Args;

use super::output::print_out;
use crate::engine::{WorkerReply, WorkerRequest};
use crate::error::{Error, Result, EXIT_ERROR, EXIT_OK};

#[derive(Debug, Args)]
pub struct WorkerArgs {}

pub fn run(_: WorkerArgs) -> Result<i32> {
    let reply = match measure() {
        Ok(r) => WorkerReply::Ok(Box::new(r)),
        Err(e) => WorkerReply::Error {
            message: e.one_line(),
        },
    };
    let code = match reply {
        WorkerReply::Ok(_) => EXIT_OK,
        WorkerReply::Error { .. } => EXIT_ERROR,
    };
    let json = serde_json::to_string(&reply)
        .map_err(|e| Error::Usage(format!("cannot encode the worker's reply: {e}")))?;
    print_out(&(json + "\n"))?;
    Ok(code)
}

fn measure() -> Result<crate::engine::RoundResult> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Error::Usage(format!("cannot read the worker request on stdin: {e}")))?;
    let req: WorkerRequest = serde_json::from_slice(&input)
        .map_err(|e| Error::Usage(format!("malformed worker request on stdin: {e}")))?;
    crate::engine::measure::run_round(&req)
}

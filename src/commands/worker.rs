//! `edgeperf __worker`: one measurement round in a fresh process, JSON on stdout.

use crate::cli::WorkerArgs;
use crate::config::Suite;
use crate::error::{Error, Result, EXIT_OK};
use crate::runner::{run_round, RoundSpec};

pub fn run(a: WorkerArgs) -> Result<i32> {
    let suite = Suite::load(&a.suite.suite)?;
    let device = suite
        .device(&a.device)
        .ok_or_else(|| Error::Other(format!("no device {:?}", a.device)))?;
    let model = suite
        .model(&a.model)
        .ok_or_else(|| Error::Other(format!("no model {:?}", a.model)))?;
    let mut sampling = suite.sampling.clone();
    if let Some(v) = a.warmup {
        sampling.warmup = v;
    }
    if let Some(v) = a.samples {
        sampling.samples = v;
    }
    if let Some(v) = a.rounds {
        sampling.rounds = v;
    }
    if let Some(v) = a.max_seconds {
        sampling.max_seconds = v;
    }
    if let Some(v) = a.min_samples {
        sampling.min_samples = v;
    }
    let spec = RoundSpec {
        round: a.round,
        accuracy: a.accuracy,
        sampling,
        model_file: a.model_file,
        runtime: a.runtime,
        paired_with: a.paired_with,
    };
    let result = run_round(&suite, device, model, &spec)?;
    let json = serde_json::to_string(&result)
        .map_err(|e| Error::Other(format!("cannot serialise result: {e}")))?;
    crate::cli::print_out(&(json + "\n"))?;
    Ok(EXIT_OK)
}

//! `edgeperf baseline accept RUN.json`: store a run's paths as the new baselines.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::error::{Result, EXIT_OK};

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Store every path of a run as its new baseline and append to its history.
    #[command(after_help = "Example:\n  edgeperf baseline accept run.json --baselines baselines/")]
    Accept(BaselineAcceptArgs),
}

#[derive(Debug, Args)]
pub struct BaselineAcceptArgs {
    /// The run record to accept (`edgeperf run --out FILE`): every path in it
    /// becomes that path's baseline. An incomplete run is refused.
    pub run: PathBuf,
    /// The baselines folder: writes `<DIR>/<device>/<model>.json` and appends a
    /// line to `<model>.history.jsonl` beside it.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// Accept the run only if every path in it is of this device (the record of
    /// one device's CI job may only speak for that device).
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
}

pub fn run(c: BaselineCommand) -> Result<i32> {
    match c {
        BaselineCommand::Accept(a) => accept(a),
    }
}

pub fn accept(a: BaselineAcceptArgs) -> Result<i32> {
    let run = crate::store::load_run(&a.run)?;
    if let Some(device) = &a.device {
        run.check_device(&a.run, device)?;
    }
    let done = crate::store::baselines::accept(&a.baselines, &a.run, &run)?;
    if let Some(store) = crate::store::artifacts::ArtifactStore::from_env() {
        for w in crate::store::artifacts::keep_run(&store, &run) {
            eprintln!("warning: artifact store {}: {w}", store.dir.display());
        }
    }
    for (device, model, commit) in &done.kept_newer {
        eprintln!(
            "kept the baseline of {device}/{model}: it measured {}, a later commit than this run's (the run went into the history only)",
            &commit[..commit.len().min(12)]
        );
    }
    for p in &run.paths {
        eprintln!(
            "accepted {}/{}: p50 {:.2} ms{}",
            p.device,
            p.model,
            p.latency_ms.p50,
            p.accuracy
                .as_ref()
                .map(|a| format!(", top-1 {:.1}%", a.top1 * 100.0))
                .unwrap_or_default()
        );
    }
    eprintln!(
        "wrote {} files under {}",
        done.written.len(),
        a.baselines.display()
    );
    Ok(EXIT_OK)
}

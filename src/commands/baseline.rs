//! `edgeperf baseline accept RUN.json`: store a run's paths as the new baselines.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::error::{Result, EXIT_OK};

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Store every path of a run as its new baseline and append to its history.
    #[command(
        after_help = "Examples:\n  edgeperf baseline accept run.json --baselines baselines/\n  edgeperf baseline accept run.json --explanations compare.json   # keep each path's \"why\""
    )]
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
    /// The comparison of this run (`compare --format json`): each explained
    /// path's history line keeps its explanation in brief (the dashboard shows
    /// it). Kept only when the comparison judged the run's commit.
    #[arg(long, value_name = "COMPARISON")]
    pub explanations: Option<PathBuf>,
}

pub fn run(c: BaselineCommand) -> Result<i32> {
    match c {
        BaselineCommand::Accept(a) => accept(a),
    }
}

/// The brief explanations of the comparison in `file`, by device and model,
/// when it judged the commit `run` measured (else none, with a warning).
fn briefs(
    file: &std::path::Path,
    run: &crate::record::RunRecord,
) -> Result<Vec<(String, String, crate::explain::Brief)>> {
    let c = crate::store::load_comparison(file)?;
    let commit = run.environment.git.as_ref().map(|g| g.commit.as_str());
    if c.head_commit.as_deref() != commit {
        eprintln!(
            "warning: {} judged commit {}, the run measured {}: its explanations are not kept",
            file.display(),
            c.head_commit.as_deref().unwrap_or("(none)"),
            commit.unwrap_or("(none)")
        );
        return Ok(Vec::new());
    }
    Ok(c.paths
        .iter()
        .filter_map(|p| {
            let e = p.explanation.as_ref()?;
            Some((p.device.clone(), p.model.clone(), e.brief()))
        })
        .collect())
}

pub fn accept(a: BaselineAcceptArgs) -> Result<i32> {
    let run = crate::store::load_run(&a.run)?;
    if let Some(device) = &a.device {
        run.check_device(&a.run, device)?;
    }
    let briefs = match &a.explanations {
        Some(f) => briefs(f, &run)?,
        None => Vec::new(),
    };
    let brief = |d: &str, m: &str| {
        briefs
            .iter()
            .find(|(bd, bm, _)| bd == d && bm == m)
            .map(|(_, _, b)| b.clone())
    };
    let done = crate::store::baselines::accept_explained(&a.baselines, &a.run, &run, &brief)?;
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

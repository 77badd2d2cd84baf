//! `edgeperf baseline accept RUN.json [--paired PAIRED.json]`: store a run's
//! paths as the new baselines (with their paired changes); `baseline pair`
//! lives in `pair.rs`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::error::{Result, EXIT_OK};

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Store every path of a run as its new baseline and append to its history.
    #[command(after_help = "\
Examples:
  edgeperf baseline accept run.json --baselines baselines/
  edgeperf baseline accept run.json --paired paired.json --device cpu   # what main's workflow runs
  edgeperf baseline accept run.json --explanations compare.json        # keep each path's \"why\"")]
    Accept(BaselineAcceptArgs),
    /// Replay each path of a run against its previous baseline's whole path,
    /// interleaved on this machine, and write the paired changes for `accept --paired`.
    #[command(after_help = "\
Examples:
  edgeperf run --device cpu --out run.json
  edgeperf baseline pair run.json --device cpu --out paired.json
  edgeperf baseline accept run.json --paired paired.json --device cpu

The previous baseline's commit must be in the checkout (fetch-depth: 0): its
suite and model bytes are read from git (or the artifact store), its runtime
library by sha256. A path whose base side cannot be had is written as not
paired, with the reason.")]
    Pair(super::pair::BaselinePairArgs),
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
    /// The paired document of this run (`baseline pair --out FILE`): each
    /// path's history line keeps its paired change. Refused unless it was
    /// written for exactly this run record (sha256 of its bytes) and commit.
    #[arg(long, value_name = "FILE")]
    pub paired: Option<PathBuf>,
}

pub fn run(c: BaselineCommand) -> Result<i32> {
    match c {
        BaselineCommand::Accept(a) => accept(a),
        BaselineCommand::Pair(a) => super::pair::pair(a),
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
    let (run, sha) = crate::store::load_run_hashed(&a.run)?;
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
    let paired = match &a.paired {
        Some(f) => {
            let doc = crate::store::load_paired(f)?;
            doc.check_pairs(f, &a.run, &sha, &run, a.device.as_deref())?;
            Some(doc)
        }
        None => None,
    };
    let step = |d: &str, m: &str| paired.as_ref().and_then(|p| p.step(d, m));
    let done = crate::store::baselines::accept_with(&a.baselines, &a.run, &run, &|d, m, e| {
        e.paired = step(d, m);
        e.explanation = brief(d, m);
    })?;
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
        let pairing = match (&paired, step(&p.device, &p.model)) {
            (None, _) => String::new(),
            (Some(_), Some(s)) => format!(
                "; paired against {}: {}",
                &s.base[..s.base.len().min(10)],
                crate::report::paired::change_with_interval(&s.change)
            ),
            (Some(_), None) => "; not paired".into(),
        };
        eprintln!(
            "accepted {}/{}: p50 {:.2} ms (absolute){}{pairing}",
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

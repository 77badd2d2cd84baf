//! `edgeperf baseline pair RUN.json --out PAIRED.json`: on the device that
//! measured a run of the default branch, each path of the run replayed
//! interleaved against the whole path of its previous baseline's commit (the
//! replay a pull request gets: that commit's suite, model bytes and runtime),
//! written as a paired document beside the run record. The device job holds no
//! write token; the hosted job's `baseline accept --paired` checks the document
//! belongs to the run and keeps each path's paired change in its history line.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::confirm::EngineLibraries;
use super::replay::Replayer;
use crate::compare::short_hash;
use crate::error::{Error, Result, EXIT_OK};
use crate::record::baseline::Baseline;
use crate::record::paired::{PairedDocument, PairedPath, PAIRED_SCHEMA_VERSION};
use crate::record::{PathRecord, RunRecord};
use crate::store::artifacts::ArtifactStore;
use crate::store::base_side::{head_side, BaseSideFinder, Side};
use crate::suite::Suite;

#[derive(Debug, Args)]
pub struct BaselinePairArgs {
    /// The run record of this commit (`edgeperf run --out FILE`).
    pub run: PathBuf,
    /// Where to write the paired document (`baseline accept --paired` reads it).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The baselines folder holding each path's previous baseline (the base side).
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// The suite: the head side, and the `[compare]` rule of the replay.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Refuse a run with a path of another device (a device job speaks for
    /// its own device only).
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
}

/// Why a path is not paired, or its base commit and replay.
fn pair_path(
    suite: &Suite,
    finder: &BaseSideFinder<'_>,
    replayer: &mut Replayer<'_>,
    p: &PathRecord,
    base: Option<Baseline>,
    head_commit: &str,
) -> Result<PairedPath> {
    let mut out = PairedPath {
        device: p.device.clone(),
        model: p.model.clone(),
        base_commit: None,
        paired: None,
        reason: None,
    };
    let Some(base) = base else {
        out.reason = Some("no previous baseline: the first of this path".into());
        return Ok(out);
    };
    let Some(commit) = base.git.as_ref().map(|g| g.commit.clone()) else {
        out.reason = Some("the previous baseline was measured outside git".into());
        return Ok(out);
    };
    if commit == head_commit {
        out.reason = Some("the previous baseline is of this commit".into());
        return Ok(out);
    }
    if !crate::record::paired::is_commit_id(&commit) {
        out.reason = Some(format!(
            "the previous baseline names no commit id ({commit:?})"
        ));
        return Ok(out);
    }
    out.base_commit = Some(commit.clone());
    let base_files = match finder.base_side(&p.device, &p.model, &base, &EngineLibraries)? {
        Side::Available(f) => f,
        Side::Unavailable(u) => {
            out.reason = Some(u.to_string());
            return Ok(out);
        }
    };
    let head_files = match head_side(suite, p)? {
        Side::Available(f) => f,
        Side::Unavailable(u) => {
            out.reason = Some(u.to_string());
            return Ok(out);
        }
    };
    let cfg = crate::compare::rule_for(&suite.compare, &p.device, &p.model);
    let label = format!(
        "{}/{} {}..{}",
        p.device,
        p.model,
        short_hash(&commit),
        short_hash(head_commit)
    );
    match replayer.replay(&label, &base_files, &head_files, &cfg) {
        Ok(c) => out.paired = Some(c),
        Err(e @ Error::Interrupted { .. }) => return Err(e),
        Err(e) => out.reason = Some(e.one_line()),
    }
    Ok(out)
}

/// The paired document of `run` (whose bytes hash to `sha`).
fn pair_run(a: &BaselinePairArgs, run: &RunRecord, sha: String) -> Result<PairedDocument> {
    let head_commit = match &run.environment.git {
        Some(g) => g.commit.clone(),
        None => {
            return Err(Error::document(
                &a.run,
                "the run was not measured in a git checkout: there is no commit to pair",
            ))
        }
    };
    let suite = crate::store::load_suite(&a.suite)?;
    let interactive = std::io::stderr().is_terminal();
    let mut replayer = Replayer::new(suite.dataset.clone())?;
    let finder = BaseSideFinder {
        suite: &suite,
        base_tree: None,
        scratch: suite.dir().join(".edgeperf").join("confirm"),
        artifacts: ArtifactStore::from_env(),
    };
    let mut paths = Vec::new();
    for p in &run.paths {
        let base = crate::store::baselines::load(&a.baselines, &p.device, &p.model)?;
        paths.push(pair_path(
            &suite,
            &finder,
            &mut replayer,
            p,
            base,
            &head_commit,
        )?);
    }
    if interactive {
        eprint!("\r\x1b[2K");
    }
    Ok(PairedDocument {
        schema_version: PAIRED_SCHEMA_VERSION,
        run_sha256: sha,
        head_commit,
        measured_at: chrono::Utc::now(),
        paths,
    })
}

/// One line per path: its paired change, or why it was not paired.
pub fn describe(p: &PairedPath) -> String {
    match (&p.paired, &p.base_commit) {
        (Some(c), Some(b)) => format!(
            "{}/{}: paired against {}: {} ({}, {} rounds)",
            p.device,
            p.model,
            short_hash(b),
            crate::report::paired::change_with_interval(c),
            c.verdict.as_str(),
            c.rounds
        ),
        _ => format!(
            "{}/{}: not paired: {}",
            p.device,
            p.model,
            p.reason.as_deref().unwrap_or("no replay")
        ),
    }
}

pub fn pair(a: BaselinePairArgs) -> Result<i32> {
    let (run, sha) = crate::store::load_run_hashed(&a.run)?;
    if !run.complete {
        return Err(Error::document(
            &a.run,
            "the run record is incomplete (its run was interrupted); run again",
        ));
    }
    if let Some(device) = &a.device {
        run.check_device(&a.run, device)?;
    }
    let doc = pair_run(&a, &run, sha)?;
    crate::store::write_json(&a.out, &doc)?;
    for p in &doc.paths {
        eprintln!("{}", describe(p));
    }
    eprintln!("paired document: {}", a.out.display());
    Ok(EXIT_OK)
}

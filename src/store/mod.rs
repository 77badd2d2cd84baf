//! Where edgeperf keeps and finds its documents: the suite, run records and comparisons on
//! disk, baselines in a directory or at a commit ([`baselines`]), files at other
//! commits ([`git`]), Git LFS objects ([`lfs`]), models and runtime libraries by
//! sha256 ([`artifacts`]), and from all of these the base side of a confirmation
//! ([`base_side`]). Every read names its file in errors (through `crate::fs`);
//! every write is atomic.

pub mod artifacts;
pub mod base_side;
pub mod baselines;
pub mod commit_side;
pub mod git;
pub mod lfs;
pub mod worktree;

use std::path::Path;

use serde::Serialize;

use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::record::RunRecord;
use crate::suite::Suite;

/// Reads and validates a suite file; its relative paths resolve against its
/// directory.
pub fn load_suite(path: &Path) -> Result<Suite> {
    let text = crate::fs::read_to_string(path).map_err(|e| {
        missing_fix(
            e,
            "run edgeperf in the folder of your edgeperf.toml, or give --suite FILE",
        )
    })?;
    Suite::parse(path, &text, crate::fs::parent_dir(path))
}

/// Reads a run record (`edgeperf run --out`).
pub fn load_run(path: &Path) -> Result<RunRecord> {
    let bytes = crate::fs::read(path)
        .map_err(|e| missing_fix(e, "give a run record that `edgeperf run --out FILE` wrote"))?;
    RunRecord::parse(path, &bytes)
}

/// Reads a run record and the sha256 of the very bytes it was parsed from (what
/// a paired document is bound to).
pub fn load_run_hashed(path: &Path) -> Result<(RunRecord, String)> {
    let bytes = crate::fs::read(path)
        .map_err(|e| missing_fix(e, "give a run record that `edgeperf run --out FILE` wrote"))?;
    Ok((
        RunRecord::parse(path, &bytes)?,
        crate::fs::sha256_bytes(&bytes),
    ))
}

/// Reads a paired document (`edgeperf baseline pair --out`), checked as the
/// untrusted input it is (`PairedDocument::parse`).
pub fn load_paired(path: &Path) -> Result<crate::record::paired::PairedDocument> {
    let bytes = crate::fs::read(path).map_err(|e| {
        missing_fix(
            e,
            "give the paired document that `edgeperf baseline pair --out FILE` wrote",
        )
    })?;
    crate::record::paired::PairedDocument::parse(path, &bytes)
}

/// Reads a comparison (`edgeperf compare --format json --out`); its device and
/// model names are checked by the suite's name rules, like a run record's.
pub fn load_comparison(path: &Path) -> Result<Comparison> {
    let bytes = crate::fs::read(path).map_err(|e| {
        missing_fix(
            e,
            "give a comparison that `edgeperf compare --format json --out FILE` wrote",
        )
    })?;
    let c = Comparison::parse(path, &bytes)?;
    crate::record::check_path_names(
        path,
        c.paths
            .iter()
            .map(|p| (p.device.as_str(), p.model.as_str())),
    )?;
    Ok(c)
}

/// `e` as an [`Error`], with `fix` when the file does not exist.
fn missing_fix(e: crate::fs::FsError, fix: &str) -> Error {
    if e.is_not_found() {
        Error::io_with_fix(e, fix)
    } else {
        e.into()
    }
}

/// Writes a document as pretty JSON, atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    crate::fs::write_atomic(path, crate::record::to_json_pretty(value)?.as_bytes())?;
    Ok(())
}

//! Where edgeperf keeps and finds its documents: the suite, run records and comparisons on
//! disk, baselines in a directory or at a commit ([`baselines`]), files at other
//! commits ([`git`]), Git LFS objects ([`lfs`]), models and runtime libraries by
//! sha256 ([`artifacts`]), and from all of these the base side of a confirmation
//! ([`base_side`]). Every read names its file in errors (through `crate::fs`);
//! every write is atomic.

pub mod artifacts;
pub mod base_side;
pub mod baselines;
pub mod git;
pub mod lfs;

use std::path::Path;

use serde::Serialize;

use crate::compare::Comparison;
use crate::error::Result;
use crate::record::RunRecord;
use crate::suite::Suite;

/// Reads and validates a suite file; its relative paths resolve against its
/// directory.
pub fn load_suite(path: &Path) -> Result<Suite> {
    let text = crate::fs::read_to_string(path)?;
    Suite::parse(path, &text, crate::fs::parent_dir(path))
}

/// Reads a run record (`edgeperf run --out`).
pub fn load_run(path: &Path) -> Result<RunRecord> {
    RunRecord::parse(path, &crate::fs::read(path)?)
}

/// Reads a comparison (`edgeperf compare --format json --out`); its device and
/// model names are checked by the suite's name rules, like a run record's.
pub fn load_comparison(path: &Path) -> Result<Comparison> {
    let c = Comparison::parse(path, &crate::fs::read(path)?)?;
    crate::record::check_path_names(
        path,
        c.paths
            .iter()
            .map(|p| (p.device.as_str(), p.model.as_str())),
    )?;
    Ok(c)
}

/// Writes a document as pretty JSON, atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    crate::fs::write_atomic(path, crate::record::to_json_pretty(value)?.as_bytes())?;
    Ok(())
}

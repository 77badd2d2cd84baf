//! Where edgeperf keeps and finds its documents: run records and comparisons on
//! disk, baselines in a directory or at a commit ([`baselines`]), files at other
//! commits ([`git`]). Every read names its file in errors (through `crate::fs`);
//! every write is atomic.

pub mod artifacts;
pub mod baselines;
pub mod git;
pub mod lfs;

use std::path::Path;

use serde::Serialize;

use crate::compare::Comparison;
use crate::error::Result;
use crate::record::RunRecord;

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

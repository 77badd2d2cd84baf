//! `edgeperf history`: accepted baselines of each path over commits: absolute
//! values as measured, the paired change of each against the one before it,
//! and their chain from an anchor, with steps where a paired change clears the
//! path's threshold (`history::chain`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::output::print_out;
use crate::error::{Error, Result, EXIT_OK};
use crate::history::PathHistory;
use crate::report::export::{exporter, Format, Options};
use crate::store::baselines::{load_history, paths_in};
use crate::suite::CompareConfig;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The baselines folder whose `*.history.jsonl` files are read.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// Only the paths of this device [default: every device].
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Only the paths of this model [default: every model].
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Tables (text), every entry with its change points (json), a row per
    /// entry (csv), Markdown, or the latest baseline of each path (bmf).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The suite whose `[compare]` thresholds (with per-path overrides) make a
    /// paired change a step (defaults without it).
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Chain the paired changes from the baseline of this commit (a full id or
    /// a prefix of 7+ digits) [default: each path's first baseline].
    #[arg(long, value_name = "COMMIT")]
    pub anchor: Option<String>,
}

/// The `[compare]` thresholds of `suite` when the file exists, else the defaults.
pub fn thresholds(suite: &Path) -> Result<CompareConfig> {
    Ok(if crate::fs::exists(suite) {
        crate::store::load_suite(suite)?.compare
    } else {
        CompareConfig::default()
    })
}

/// The histories of the paths under `dir` that match the filters, and the
/// warnings of reading them.
pub fn build(
    dir: &Path,
    device: Option<&str>,
    model: Option<&str>,
    cfg: &CompareConfig,
    anchor: Option<&str>,
) -> Result<(Vec<PathHistory>, Vec<String>)> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (d, m) in paths_in(dir)? {
        if device.is_some_and(|x| x != d) || model.is_some_and(|x| x != m) {
            continue;
        }
        let (entries, w) = load_history(dir, &d, &m)?;
        warnings.extend(w);
        let at = match anchor {
            None => 0,
            Some(a) => crate::history::find_commit(&entries, a).ok_or_else(|| {
                Error::argument(
                    "--anchor",
                    format!("{a} is not a commit of the history of {d}/{m} (pick one path with --device and --model)"),
                )
            })?,
        };
        let min_change = crate::compare::rule_for(cfg, &d, &m).latency.min_change;
        out.push(PathHistory::anchored(d, m, entries, at, min_change));
    }
    if out.is_empty() {
        return Err(Error::NoHistory {
            dir: dir.to_path_buf(),
            what: match (device, model) {
                (Some(d), Some(m)) => format!("{d}/{m}"),
                (Some(d), None) => format!("device {d}"),
                (None, Some(m)) => format!("model {m}"),
                _ => "any path".into(),
            },
        });
    }
    Ok((out, warnings))
}

pub fn run(a: HistoryArgs) -> Result<i32> {
    let cfg = thresholds(&a.suite)?;
    let (h, warnings) = build(
        &a.baselines,
        a.device.as_deref(),
        a.model.as_deref(),
        &cfg,
        a.anchor.as_deref(),
    )?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    print_out(&exporter(a.format, Options::default()).history(&h)?)?;
    Ok(EXIT_OK)
}

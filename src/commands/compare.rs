//! `edgeperf compare RUN.json`: verdicts against baselines; exit 1 on a regression.

use std::io::IsTerminal;
use std::path::Path;

use crate::cli::{Color, CompareArgs, Format};
use crate::compare::{compare, BaselineSource, CompareConfig, Confirmer};
use crate::config::Suite;
use crate::error::{Error, Result, EXIT_OK, EXIT_REGRESSION};
use crate::git::GitTree;
use crate::record::RunRecord;

pub fn run(a: CompareArgs) -> Result<i32> {
    let run = RunRecord::load(&a.run)?;
    if !run.complete {
        return Err(Error::Other(format!(
            "{}: the run record is incomplete (its run was interrupted)",
            a.run.display()
        )));
    }
    let suite = if a.suite.suite.exists() {
        Some(Suite::load(&a.suite.suite)?)
    } else {
        None
    };
    let cfg = suite
        .as_ref()
        .map(|s| s.compare.clone())
        .unwrap_or_else(CompareConfig::default);
    let mut cfg = cfg;
    if a.no_confirm {
        cfg.confirm.enabled = false;
    }
    if let Some(b) = a.confirm_budget {
        cfg.confirm.budget_seconds = b;
    }
    let source = match &a.against {
        Some(reference) => {
            let here = suite.as_ref().map(|s| s.dir()).unwrap_or(Path::new("."));
            let tree = GitTree::merge_base(here, reference)?;
            let dir_rel = tree
                .relative(&a.baselines)
                .unwrap_or_else(|| a.baselines.clone());
            BaselineSource::Git { tree, dir_rel }
        }
        None => BaselineSource::Dir(a.baselines.clone()),
    };
    let interactive = std::io::stderr().is_terminal();
    let mut interleaver = match &suite {
        Some(s) => {
            let exe = std::env::current_exe()
                .map_err(|e| Error::Other(format!("cannot locate edgeperf: {e}")))?;
            // The merge-base already resolved for the baselines makes the base side too.
            let base_tree = match &source {
                BaselineSource::Git { tree, .. } => Some(tree),
                BaselineSource::Dir(_) => None,
            };
            let scratch = s.dir().join(".edgeperf").join("confirm");
            Some(crate::confirm::Interleaver {
                suite: s,
                exe,
                base_tree,
                scratch,
                progress: Box::new(move |m: &str| {
                    if interactive {
                        eprint!("\r\x1b[2K{m}");
                    }
                }),
            })
        }
        None => None,
    };
    let confirmer: Option<&mut dyn Confirmer> =
        interleaver.as_mut().map(|i| i as &mut dyn Confirmer);
    let c = compare(&run, &a.run.display().to_string(), &source, &cfg, confirmer)?;
    if interactive {
        eprint!("\r\x1b[2K");
    }
    let color = match a.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            a.out.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let text = match a.format {
        Format::Text => crate::report::compare::text(&c, color),
        Format::Json => {
            serde_json::to_string_pretty(&c).map_err(|e| Error::Other(e.to_string()))? + "\n"
        }
        Format::Markdown => crate::report::compare::markdown(std::slice::from_ref(&c), &[]),
    };
    match &a.out {
        Some(p) => {
            crate::fs::write_atomic(p, text.as_bytes())?;
            eprintln!(
                "{}",
                crate::report::compare::summary_line(std::slice::from_ref(&c))
            );
        }
        None => crate::cli::print_out(&text)?,
    }
    Ok(if c.regressions > 0 {
        EXIT_REGRESSION
    } else {
        EXIT_OK
    })
}

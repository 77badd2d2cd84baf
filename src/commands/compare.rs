//! `edgeperf compare RUN.json`: verdicts against baselines; exit 1 on a regression.
//! The orchestration: load the run, the suite and each path's baseline (`store`),
//! screen (`compare`), re-measure interleaved when the rule asks (`confirm`),
//! judge (`compare`), write and report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use super::confirm::Interleaver;
use super::output::{emit, Color};
use crate::compare::{self, Remeasure};
use crate::error::{Error, Result, EXIT_OK, EXIT_REGRESSION};
use crate::report::export::{exporter, Format, Options};
use crate::store::baselines::Source;
use crate::store::git::GitTree;
use crate::suite::{CompareConfig, Suite};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run record to judge (from `edgeperf run --out`).
    pub run: PathBuf,
    /// Baselines directory.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// Judge against the baselines as they are at the merge-base of HEAD and REF (read through git).
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,
    /// The suite (thresholds, and the paths to re-measure when confirming).
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Table and reasons (text), the comparison document (json, what `report
    /// github` reads), the PR comment (markdown), csv, or the head's
    /// measurements as Bencher Metric Format (bmf).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The published dashboard (`edgeperf dashboard`): Markdown links each
    /// model to its page there.
    #[arg(long, env = "EDGEPERF_SITE_URL", value_name = "URL")]
    pub site_url: Option<String>,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Do not re-measure suspects; they are reported as inconclusive.
    #[arg(long)]
    pub no_confirm: bool,
    /// Most seconds of measurement per side when confirming a path (raises
    /// compare.confirm.rounds to as many rounds as it holds). On a 2-core machine
    /// ~30 s lets most unchanged paths be called unchanged (docs/DETECTION.md).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub confirm_budget: Option<f64>,
    /// Fail (exit 1) on a path whose base side cannot be measured here (its
    /// model, runtime library or suite is not available), instead of reporting it
    /// inconclusive. Also `[compare.confirm] require_base = true`.
    #[arg(long)]
    pub require_base: bool,
}

/// A positive, finite number of seconds (a budget of 0, -5 or NaN would
/// silently confirm nothing).
fn positive_seconds(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("must be a positive number of seconds, got {v}")),
        Err(e) => Err(e.to_string()),
    }
}

/// The thresholds: the suite's `[compare]` (defaults without a suite) with the
/// command line's overrides.
fn thresholds(suite: Option<&Suite>, a: &CompareArgs) -> CompareConfig {
    let mut cfg = suite.map(|s| s.compare.clone()).unwrap_or_default();
    if a.no_confirm {
        cfg.confirm.enabled = false;
    }
    if let Some(b) = a.confirm_budget {
        cfg.confirm.budget_seconds = b;
        // As many rounds as the budget holds, so a larger budget is really spent.
        let fits = (b / cfg.confirm.round_seconds).ceil();
        if fits.is_finite() && fits > cfg.confirm.rounds as f64 {
            cfg.confirm.rounds = fits.min(1000.0) as u32;
        }
    }
    if a.require_base {
        cfg.confirm.require_base = true;
    }
    cfg
}

/// Where the baselines come from: a directory, or the merge-base with `--against`.
fn baseline_source(suite: Option<&Suite>, a: &CompareArgs) -> Result<Source> {
    match &a.against {
        Some(reference) => {
            let here = suite.map(|s| s.dir()).unwrap_or(Path::new("."));
            let tree = GitTree::merge_base(here, reference)?;
            let dir_rel = tree
                .relative(&a.baselines)
                .unwrap_or_else(|| a.baselines.clone());
            Ok(Source::Git { tree, dir_rel })
        }
        None => Ok(Source::Dir(a.baselines.clone())),
    }
}

pub fn run(a: CompareArgs) -> Result<i32> {
    let run = crate::store::load_run(&a.run)?;
    if !run.complete {
        return Err(Error::document(
            &a.run,
            "the run record is incomplete (its run was interrupted)",
        ));
    }
    let suite = if crate::fs::exists(&a.suite) {
        Some(crate::store::load_suite(&a.suite)?)
    } else {
        None
    };
    let cfg = thresholds(suite.as_ref(), &a);
    let source = baseline_source(suite.as_ref(), &a)?;
    let interactive = std::io::stderr().is_terminal();
    let progress = Box::new(move |m: &str| {
        if interactive {
            eprint!("\r\x1b[2K{m}");
        }
    });
    // The merge-base already resolved for the baselines makes the base side too.
    let mut interleaver = match &suite {
        Some(s) => Some(Interleaver::new(s, source.tree(), progress)?),
        None => None,
    };
    let c = compare::judge_run(
        &run,
        &a.run.display().to_string(),
        &source.label(),
        &cfg,
        |p| source.load(&p.device, &p.model),
        |p, base, rule| match interleaver.as_mut() {
            Some(i) => i.remeasure(p, base, rule),
            None => Ok(Remeasure::NotDone(format!(
                "no suite file {} to re-measure the path with",
                a.suite.display()
            ))),
        },
    );
    if interactive {
        eprint!("\r\x1b[2K");
    }
    let c = c.map_err(|e| match e {
        Error::Interrupted { signal, message } => Error::Interrupted {
            signal,
            message: format!("{message}; no comparison was written"),
        },
        e => e,
    })?;
    // A signal that came while nothing was waiting on a worker stops it here.
    if let Some(signal) = crate::interrupt::received() {
        return Err(Error::Interrupted {
            signal,
            message: "no comparison was written".into(),
        });
    }
    let link = |d: &str, m: &str| crate::dashboard::page_url(a.site_url.as_deref()?, d, m);
    let options = Options {
        color: a.color.enabled(a.out.as_deref()),
        path_link: Some(&link),
    };
    let text = exporter(a.format, options).comparison(&c)?;
    emit(&text, a.out.as_deref())?;
    if a.out.is_some() {
        eprintln!(
            "{}",
            crate::report::compare::summary_line(std::slice::from_ref(&c))
        );
    }
    Ok(if c.regressions > 0 {
        EXIT_REGRESSION
    } else {
        EXIT_OK
    })
}

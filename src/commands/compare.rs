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
    /// Colour the verdicts of the text table: auto colours a terminal unless
    /// NO_COLOR is set (never a file or a pipe).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Re-measure nothing: every path with a baseline is reported "not
    /// confirmed" (the screen against the stored baseline is quoted, never a
    /// verdict).
    #[arg(long)]
    pub no_confirm: bool,
    /// Most seconds of measurement per side when confirming a path whose
    /// estimate is within the minimum change (paths past it get
    /// compare.confirm.max_budget_seconds / budget_seconds times more); the
    /// rounds caps rise to what the budgets hold.
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub confirm_budget: Option<f64>,
    /// Do not explain regressed or improved paths (per-operator profiles and
    /// graph diff, docs/EXPLAIN.md). Also `[compare.explain] enabled = false`.
    #[arg(long)]
    pub no_explain: bool,
    /// Exit 1 when a path is undecided (inconclusive or not confirmed), as on
    /// a regression: a build that must not pass without a decision.
    #[arg(long)]
    pub fail_on_undecided: bool,
    /// Fail (exit 1) on a path whose base side cannot be measured here (its
    /// model, runtime library or suite is not available), instead of reporting it
    /// inconclusive. Also `[compare.confirm] require_base = true`.
    #[arg(long)]
    pub require_base: bool,
}

/// A positive, finite number of seconds (a budget of 0, -5 or NaN would
/// silently confirm nothing).
pub(crate) fn positive_seconds(s: &str) -> std::result::Result<f64, String> {
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
    confirm_overrides(&mut cfg, a.confirm_budget, a.require_base);
    if a.no_explain {
        cfg.explain.enabled = false;
    }
    cfg
}

/// `--confirm-budget` and `--require-base` on the suite's `[compare]`. A
/// budget sets `budget_seconds`, keeps the ratio of `max_budget_seconds` to
/// it, and raises both rounds caps to what the budgets hold, so a larger
/// budget is really spent.
pub(crate) fn confirm_overrides(cfg: &mut CompareConfig, budget: Option<f64>, require_base: bool) {
    let c = &mut cfg.confirm;
    if let Some(b) = budget {
        let factor = (c.max_budget_seconds / c.budget_seconds).max(1.0);
        c.budget_seconds = b;
        c.max_budget_seconds = b * factor;
        let fits = |s: f64| (s / c.round_seconds).ceil().min(1000.0) as u32;
        c.rounds = c.rounds.max(fits(b));
        c.max_rounds = c.max_rounds.max(fits(b * factor)).max(c.rounds);
    }
    if require_base {
        c.require_base = true;
    }
}

/// Where the baselines come from: `baselines`, or that directory at the
/// merge-base of HEAD and `against` (found from `here`).
pub(crate) fn baseline_source(
    here: &Path,
    against: Option<&str>,
    baselines: &Path,
) -> Result<Source> {
    match against {
        Some(reference) => {
            let tree = GitTree::merge_base(here, reference)?;
            let dir_rel = tree
                .relative(baselines)
                .unwrap_or_else(|| baselines.to_path_buf());
            Ok(Source::Git { tree, dir_rel })
        }
        None => Ok(Source::Dir(baselines.to_path_buf())),
    }
}

/// The exit code of a comparison: 1 on a regression, or on an undecided path
/// with `fail_on_undecided`; else 0.
pub(crate) fn exit_code(c: &crate::compare::Comparison, fail_on_undecided: bool) -> i32 {
    let undecided = c.paths.iter().any(|p| p.status.is_undecided());
    if c.regressions > 0 || (fail_on_undecided && undecided) {
        EXIT_REGRESSION
    } else {
        EXIT_OK
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
    let here = suite.as_ref().map(|s| s.dir()).unwrap_or(Path::new("."));
    let source = baseline_source(here, a.against.as_deref(), &a.baselines)?;
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
    // Issue 20: why each regressed or improved path changed (never a verdict).
    let c = super::explain::after_verdicts(c, &run, suite.as_ref(), &source, &cfg, interactive)?;
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
    Ok(exit_code(&c, a.fail_on_undecided))
}

//! `edgeperf bisect GOOD BAD --path DEVICE/MODEL [--build CMD]`: the first
//! commit on BAD's first-parent chain after GOOD whose path is changed by at
//! least the threshold against GOOD. Each probe replays GOOD's whole path
//! against the commit's, interleaved on this machine (`commands::replay`); the
//! sides come from `store::commit_side` (git, LFS, the artifact store, or the
//! build command in a temporary worktree); the search is `history::bisect`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::confirm::EngineLibraries;
use super::output::emit;
use super::replay::Replayer;
use crate::error::{Error, Result, EXIT_OK};
use crate::history::bisect::{bisect, Candidate, Outcome, Probe, Probed, Prober, Report, Step};
use crate::report::export::{exporter, Format, Options};
use crate::store::artifacts::ArtifactStore;
use crate::store::base_side::{Side, SideFiles};
use crate::store::commit_side::CommitSides;
use crate::suite::{CompareConfig, Suite};

/// Exit status when no culprit is named: BAD is not changed against GOOD, or
/// BAD could not be judged.
pub const EXIT_NOTHING_FOUND: i32 = 1;

#[derive(Debug, Args)]
pub struct BisectArgs {
    /// A commit where the path is as it should be (a sha, branch, tag, HEAD~20).
    pub good: String,
    /// A later commit where it changed; GOOD must be on its first-parent chain.
    pub bad: String,
    /// The path to search: DEVICE/MODEL as the suite names them.
    #[arg(long, value_name = "DEVICE/MODEL")]
    pub path: String,
    /// A command (run with `sh -c` in a temporary worktree of each commit) that
    /// makes the suite's model files when they are build artifacts; it gets
    /// EDGEPERF_COMMIT and EDGEPERF_REPO. A commit whose build fails is skipped.
    #[arg(long, value_name = "CMD")]
    pub build: Option<String>,
    /// The suite (as it is now: thresholds, where files resolve; each commit's
    /// own suite gives that commit's path).
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Baselines whose history lines name the model bytes of past commits
    /// (looked up in the artifact store).
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// The change to look for, in percent [default: the path's
    /// `compare.min_change`].
    #[arg(long, value_name = "PERCENT", value_parser = positive_percent)]
    pub threshold: Option<f64>,
    /// The steps and the culprit as a table (text), the search as a document
    /// (json), a row per probe (csv), Markdown (a job summary), or each probe's
    /// paired change (bmf).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// A positive percentage below 100.
fn positive_percent(s: &str) -> std::result::Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 100.0 => Ok(v / 100.0),
        Ok(v) => Err(format!("must be a percentage between 0 and 100, got {v}")),
        Err(e) => Err(e.to_string()),
    }
}

/// `DEVICE/MODEL`, both names by the suite's rules.
pub fn split_path(arg: &str, path: &str) -> Result<(String, String)> {
    let Some((d, m)) = path.split_once('/') else {
        return Err(Error::argument(
            arg,
            format!("{path:?} is not DEVICE/MODEL"),
        ));
    };
    for name in [d, m] {
        crate::suite::check_name(name).map_err(|e| Error::argument(arg, e))?;
    }
    Ok((d.to_string(), m.to_string()))
}

/// Model bytes of past commits, from the history lines of `device/model`.
pub fn know_history(sides: &mut CommitSides<'_>, baselines: &std::path::Path, d: &str, m: &str) {
    if let Ok((entries, _)) = crate::store::baselines::load_history(baselines, d, m) {
        for e in entries {
            if let Some(c) = &e.commit {
                sides.know(c, d, m, &e.model_sha256);
            }
        }
    }
}

/// The probes of a search: GOOD's side against each commit's.
struct Replays<'a> {
    sides: &'a CommitSides<'a>,
    replayer: Replayer<'a>,
    good: SideFiles,
    device: String,
    model: String,
    cfg: CompareConfig,
    probes: usize,
}

impl Prober for Replays<'_> {
    fn probe(&mut self, c: &Candidate, attempt: u32) -> Result<Probed> {
        let t = Instant::now();
        let head = match self
            .sides
            .side(&c.commit, &self.device, &self.model, &EngineLibraries)?
        {
            Side::Available(f) => *f,
            Side::Unavailable(u) => {
                return Ok(Probed {
                    probe: Probe::Skip(u.reason),
                    seconds: t.elapsed().as_secs_f64(),
                })
            }
        };
        // A second look at an inconclusive commit measures twice as long.
        let mut cfg = self.cfg.clone();
        if attempt > 1 {
            cfg.confirm.rounds *= 2;
            cfg.confirm.budget_seconds *= 2.0;
        }
        let label = format!("{}/{} @{}", self.device, self.model, &c.commit[..10]);
        let probe = match self.replayer.replay(&label, &self.good, &head, &cfg) {
            Ok(m) => Probe::Measured(m),
            Err(e @ Error::Interrupted { .. }) => return Err(e),
            Err(e) => Probe::Skip(e.one_line()),
        };
        Ok(Probed {
            probe,
            seconds: t.elapsed().as_secs_f64(),
        })
    }

    fn decided(&mut self, step: &Step) {
        self.probes += 1;
        let row = crate::report::bisect::step_row_line(step);
        let clear = super::output::clear_progress();
        eprintln!("{clear}bisect: probe {}: {row}", self.probes);
    }
}

/// Runs the search of `a` with the suite loaded.
fn search(a: &BisectArgs, suite: &Suite) -> Result<Report> {
    let (device, model) = split_path("--path", &a.path)?;
    let dir = suite.dir();
    let good = crate::store::git::resolve(dir, &a.good, "GOOD")?;
    let bad = crate::store::git::resolve(dir, &a.bad, "BAD")?;
    let range = crate::store::git::first_parent_range(dir, &good.commit, &bad.commit)?;
    let mut sides = CommitSides::new(
        suite,
        dir.join(".edgeperf").join("bisect"),
        ArtifactStore::from_env(),
        a.build.clone(),
    )?;
    know_history(&mut sides, &a.baselines, &device, &model);
    let good_files = match sides.side(&good.commit, &device, &model, &EngineLibraries)? {
        Side::Available(f) => *f,
        Side::Unavailable(u) => {
            return Err(Error::argument(
                "GOOD",
                format!("{}: {u}", &good.commit[..10]),
            ))
        }
    };
    let mut cfg = crate::compare::rule_for(&suite.compare, &device, &model);
    if let Some(t) = a.threshold {
        cfg.latency.min_change = t;
    }
    let mut replays = Replays {
        sides: &sides,
        replayer: Replayer::new(suite.dataset.clone())?,
        good: good_files,
        device: device.clone(),
        model: model.clone(),
        cfg: cfg.clone(),
        probes: 0,
    };
    let candidates: Vec<Candidate> = range
        .into_iter()
        .map(|c| Candidate {
            commit: c.commit,
            subject: c.subject,
        })
        .collect();
    let start = Report {
        good: good.commit,
        bad: bad.commit,
        device,
        model,
        threshold: cfg.latency.min_change,
        candidates: 0,
        direction: None,
        steps: Vec::new(),
        outcome: Outcome::NoChange,
        replays: 0,
        seconds: 0.0,
    };
    bisect(&candidates, start, &mut replays)
}

pub fn run(a: BisectArgs) -> Result<i32> {
    let suite = crate::store::load_suite(&a.suite)?;
    let report = search(&a, &suite)?;
    let text = exporter(a.format, Options::default()).bisect(&report)?;
    emit(&text, a.out.as_deref())?;
    eprintln!("{}", crate::report::bisect::outcome(&report));
    eprintln!("{}", crate::report::bisect::cost(&report));
    Ok(match report.outcome {
        Outcome::Culprit { .. } | Outcome::OneOf { .. } => EXIT_OK,
        Outcome::NoChange | Outcome::Undecided { .. } => EXIT_NOTHING_FOUND,
    })
}

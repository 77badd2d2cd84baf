//! `edgeperf check`: the pull-request loop's step on one device, measuring
//! once. For every selected path:
//!
//! * no baseline: the head is measured like `edgeperf run` does (new path);
//! * every input byte-identical to the base's (`compare::inputs`): reported
//!   "identical: not re-measured", in the time it takes to hash its files;
//! * else base and head are measured interleaved (`confirm::measure_pair`)
//!   until the sequential rule stops, after one solo round of the head for its
//!   accuracy, peak memory and cold start; the head's latency figures are its
//!   own inferences in those rounds (no separate screening run); a base side
//!   that cannot be had leaves the path "not confirmed" after a head run.
//!
//! Then every path is judged as `edgeperf compare` judges a run, and the
//! comparison is written. `run` + `compare` stay for people who want them.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::compare::{baseline_source, confirm_overrides, exit_code, positive_seconds};
use super::confirm::{measure_pair, EngineLibraries, Measured, Sides};
use super::output::{emit, Color};
use crate::compare::inputs::{self, PathInputs};
use crate::compare::{self, PathComparison, Remeasure};
use crate::engine::run::path_spec;
use crate::engine::{PathSpec, RoundResult, WorkerRequest, WORKER_PROTOCOL};
use crate::error::{Error, Result};
use crate::record::baseline::Baseline;
use crate::record::{PathRecord, RunRecord, SuiteInfo};
use crate::report::export::{exporter, Format, Options};
use crate::store::artifacts::ArtifactStore;
use crate::store::base_side::{BaseSideFinder, Side};
use crate::suite::{CompareConfig, Device, Model, Sampling, Suite};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The suite file (the head's).
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Only this device (repeatable). Without it: every device with `default = true`.
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// Only this model (repeatable).
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// Baselines directory.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// The base: baselines and base side as they are at the merge-base of HEAD
    /// and REF (read through git). Without it: the baselines directory as it
    /// is, each base side at its baseline's commit.
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,
    /// The comparison as a table (text), the document `report github` reads
    /// (json), the PR comment (markdown), csv, or Bencher Metric Format (bmf).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The published dashboard: Markdown links each model to its page there.
    #[arg(long, env = "EDGEPERF_SITE_URL", value_name = "URL")]
    pub site_url: Option<String>,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Colour the text table: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Most seconds of measurement per side for a path whose estimate is
    /// within the minimum change (see `compare --confirm-budget`).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub confirm_budget: Option<f64>,
    /// Fail (exit 1) on a path whose base side cannot be measured here,
    /// instead of reporting it not confirmed.
    #[arg(long)]
    pub require_base: bool,
    /// Do not explain regressed or improved paths (see `compare --no-explain`).
    #[arg(long)]
    pub no_explain: bool,
    /// Exit 1 when a path is undecided (inconclusive or not confirmed).
    #[arg(long)]
    pub fail_on_undecided: bool,
    /// Measure paths whose inputs are all identical to the base's too (the
    /// time the whole loop takes when everything changed).
    #[arg(long)]
    pub remeasure_identical: bool,
}

/// What became of one path before it is judged.
enum Outcome {
    Identical(Box<PathComparison>),
    New(Box<PathRecord>),
    Measured {
        head: Box<PathRecord>,
        baseline: Box<Baseline>,
        remeasure: Box<Remeasure>,
    },
}

pub fn run(a: CheckArgs) -> Result<i32> {
    let suite = crate::store::load_suite(&a.suite)?;
    let paths = suite.select(&a.devices, &a.models)?;
    if paths.is_empty() {
        return Err(Error::config(
            &suite.path,
            "device",
            "nothing to check (no default device, or no selected model in a selected device's format; pass --device)",
        ));
    }
    let mut cfg = suite.compare.clone();
    confirm_overrides(&mut cfg, a.confirm_budget, a.require_base);
    if a.no_explain {
        cfg.explain.enabled = false;
    }
    let source = baseline_source(suite.dir(), a.against.as_deref(), &a.baselines)?;
    let environment = crate::env::capture(suite.dir());
    // As `run` records it (and so the baselines): the suite's photos when a
    // selected path measures accuracy.
    let dataset_fingerprint =
        crate::engine::run::dataset_info(&suite, &paths)?.map(|d| d.fingerprint);
    let mut checker = Checker {
        suite: &suite,
        exe: crate::engine::run::current_exe()?,
        finder: BaseSideFinder {
            suite: &suite,
            base_tree: source.tree(),
            scratch: suite.dir().join(".edgeperf").join("confirm"),
            artifacts: ArtifactStore::from_env(),
        },
        interactive: std::io::stderr().is_terminal(),
        head_commit: environment.git.as_ref().map(|g| g.commit.clone()),
    };
    let mut outcomes = Vec::new();
    for (device, model) in &paths {
        interrupted()?;
        let spec = path_spec(device, model, None)?;
        let head_inputs = head_inputs(
            device,
            &spec,
            dataset_fingerprint.clone(),
            &environment.edgeperf_version,
        )?;
        let baseline = source.load(&device.name, &model.name)?;
        outcomes.push(checker.outcome(spec, &head_inputs, baseline, &cfg, &a)?);
    }
    checker.clear();
    let (c, head) = judge(&suite, environment, &paths, outcomes, &cfg, &source.label())?;
    // Issue 20: why each regressed or improved path changed (never a verdict).
    let c = super::explain::after_verdicts(
        c,
        &head,
        Some(&suite),
        &source,
        &cfg,
        std::io::stderr().is_terminal(),
    )?;
    // Later comparisons find this head's model and library by their sha256.
    if let Some(store) = ArtifactStore::from_env() {
        for w in crate::store::artifacts::keep_run(&store, &head) {
            eprintln!("warning: artifact store {}: {w}", store.dir.display());
        }
    }
    let link = |d: &str, m: &str| crate::dashboard::page_url(a.site_url.as_deref()?, d, m);
    let options = Options {
        color: a.color.enabled(a.out.as_deref()),
        path_link: Some(&link),
    };
    emit(
        &exporter(a.format, options).comparison(&c)?,
        a.out.as_deref(),
    )?;
    if a.out.is_some() {
        eprintln!(
            "{}",
            crate::report::compare::summary_line(std::slice::from_ref(&c))
        );
    }
    Ok(exit_code(&c, a.fail_on_undecided))
}

/// What the head's path is made of, to tell whether any input differs from the
/// base's (`compare::inputs`).
fn head_inputs(
    device: &Device,
    spec: &PathSpec,
    dataset_fingerprint: Option<String>,
    edgeperf_version: &str,
) -> Result<PathInputs> {
    Ok(PathInputs {
        model_sha256: crate::fs::sha256_file(&spec.model.file)?,
        device: device.clone(),
        model: spec.model.clone(),
        runtime_sha256: crate::fs::exists(&spec.library)
            .then(|| crate::fs::sha256_file(&spec.library))
            .transpose()?,
        dataset_fingerprint,
        edgeperf_version: edgeperf_version.to_string(),
    })
}

/// Stops at a Ctrl-C or SIGTERM that came between workers.
fn interrupted() -> Result<()> {
    match crate::interrupt::received() {
        Some(signal) => Err(Error::Interrupted {
            signal,
            message: "no comparison was written".into(),
        }),
        None => Ok(()),
    }
}

/// Every path judged in the suite's order, and the head as a run record of
/// the paths it measured.
fn judge(
    suite: &Suite,
    environment: crate::record::Environment,
    paths: &[(&Device, &Model)],
    outcomes: Vec<Outcome>,
    cfg: &CompareConfig,
    baselines: &str,
) -> Result<(compare::Comparison, RunRecord)> {
    let measured: Vec<PathRecord> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::New(p) | Outcome::Measured { head: p, .. } => Some((**p).clone()),
            Outcome::Identical(_) => None,
        })
        .collect();
    let mut run = head_run(suite, environment, paths)?;
    run.paths = measured;
    let mut judged = Vec::new();
    for o in outcomes {
        judged.push(match o {
            Outcome::Identical(c) => *c,
            Outcome::New(p) => compare::new_path(&run, &p),
            Outcome::Measured {
                head,
                baseline,
                remeasure,
            } => {
                let rule = compare::rule_for(cfg, &head.device, &head.model);
                let screened = compare::screen_path(&run, &head, &baseline, &rule);
                compare::judge_path(&run, &head, &baseline, &rule, screened, &remeasure)
            }
        });
    }
    let label = format!("edgeperf check of {}", suite.path.display());
    Ok((compare::summarise(&run, &label, baselines, judged), run))
}

/// A run record of the head with no paths yet.
fn head_run(
    suite: &Suite,
    environment: crate::record::Environment,
    paths: &[(&Device, &Model)],
) -> Result<RunRecord> {
    Ok(RunRecord {
        schema_version: crate::record::RECORD_SCHEMA_VERSION,
        complete: true,
        incomplete_reason: None,
        environment,
        suite: SuiteInfo {
            file: suite.path.display().to_string(),
            sha256: suite.sha256.clone(),
        },
        sampling: suite.sampling.clone(),
        dataset: crate::engine::run::dataset_info(suite, paths)?,
        paths: Vec::new(),
    })
}

/// What measures and looks up the paths of one check.
struct Checker<'a> {
    suite: &'a Suite,
    exe: PathBuf,
    finder: BaseSideFinder<'a>,
    interactive: bool,
    head_commit: Option<String>,
}

impl Checker<'_> {
    fn say(&self, m: &str) {
        if self.interactive {
            eprint!("\r\x1b[2K{m}");
        }
    }

    fn clear(&self) {
        self.say("");
    }

    /// What becomes of one path: new, identical, or measured.
    fn outcome(
        &mut self,
        spec: PathSpec,
        head: &PathInputs,
        baseline: Option<Baseline>,
        cfg: &CompareConfig,
        a: &CheckArgs,
    ) -> Result<Outcome> {
        let (device, model) = (&head.device, &head.model);
        let Some(b) = baseline else {
            let entry = self.suite.model(&model.name).unwrap_or(model);
            return Ok(Outcome::New(Box::new(self.run_head(device, entry)?)));
        };
        if self.identical(head, &b, a.remeasure_identical)? {
            let c = inputs::identical_path(head, &b, self.head_commit.clone());
            return Ok(Outcome::Identical(Box::new(c)));
        }
        self.measure(spec, head, b, cfg)
    }

    /// Whether every input of the path is the base's (never with
    /// `remeasure_identical`, nor when the base's inputs cannot be had).
    fn identical(
        &self,
        head: &PathInputs,
        b: &Baseline,
        remeasure_identical: bool,
    ) -> Result<bool> {
        if remeasure_identical {
            return Ok(false);
        }
        Ok(match self.finder.base_inputs(&b.device, &b.model, b)? {
            Some(base) => inputs::differences(head, &base, b).is_empty(),
            None => false,
        })
    }

    /// The head alone, measured like `edgeperf run` measures a path.
    fn run_head(&mut self, device: &Device, model: &Model) -> Result<PathRecord> {
        let label = format!("measuring {}/{}", device.name, model.name);
        let mut progress = |done: usize, total: usize, _: &str| {
            self.say(&format!("{label}: round {}/{total}", done + 1));
        };
        let run = crate::engine::run::run_suite(
            self.suite,
            &[(device, model)],
            &self.suite.sampling,
            None,
            &mut progress,
            &mut |_| Ok(()),
        )?;
        run.paths
            .into_iter()
            .next()
            .ok_or_else(|| Error::worker_protocol(format!("{label}: no round was measured")))
    }

    /// Base and head interleaved after one solo round of the head; a head
    /// run when the base side cannot be had.
    fn measure(
        &mut self,
        head: PathSpec,
        inputs: &PathInputs,
        baseline: Baseline,
        cfg: &CompareConfig,
    ) -> Result<Outcome> {
        let device = &inputs.device;
        let model = self
            .suite
            .model(&inputs.model.name)
            .unwrap_or(&inputs.model);
        let rule = compare::rule_for(cfg, &device.name, &model.name);
        let base =
            match self
                .finder
                .base_side(&device.name, &model.name, &baseline, &EngineLibraries)?
            {
                Side::Available(files) => files,
                Side::Unavailable(u) => {
                    return Ok(Outcome::Measured {
                        head: Box::new(self.run_head(device, model)?),
                        baseline: Box::new(baseline),
                        remeasure: Box::new(Remeasure::Unavailable(u.to_string())),
                    })
                }
            };
        let solo = self.solo_round(&head, inputs, &rule)?;
        let base_spec = PathSpec {
            device: base.device,
            model: base.model,
            library: base.library,
        };
        let sides = Sides::new(base_spec, head, &baseline.runtime, &solo.runtime);
        let label = format!("checking {}/{}", device.name, model.name);
        let m = measure_pair(
            &self.exe,
            &sides,
            self.suite.dataset.as_ref(),
            &rule,
            &mut |i| self.say(&format!("{label}: round {i}")),
        )?;
        let record = head_record(device, solo, &m)?;
        Ok(Outcome::Measured {
            head: Box::new(record),
            baseline: Box::new(baseline),
            remeasure: Box::new(Remeasure::Measured(m.interleaved)),
        })
    }

    /// One round of the head alone: its accuracy pass, peak memory and cold
    /// start (a few timed inferences only: its latency comes from the pairs).
    fn solo_round(
        &self,
        head: &PathSpec,
        inputs: &PathInputs,
        rule: &CompareConfig,
    ) -> Result<RoundResult> {
        self.say(&format!(
            "checking {}/{}: accuracy and memory",
            head.device.name, head.model.name
        ));
        let req = WorkerRequest {
            protocol: WORKER_PROTOCOL,
            round: 0,
            sampling: Sampling {
                warmup: rule.confirm.warmup,
                samples: 5,
                rounds: 1,
                max_seconds: 5.0,
                min_samples: 1,
            },
            accuracy: head.model.accuracy,
            dataset: self.suite.dataset.clone(),
            head: head.clone(),
            paired: None,
            pairing: Default::default(),
            lockstep: false,
            profile: false,
        };
        let mut r = crate::engine::spawn::spawn_round(&self.exe, &req)?;
        r.model_sha256 = inputs.model_sha256.clone();
        r.runtime.sha256 = inputs.runtime_sha256.clone();
        Ok(r)
    }
}

/// The head's path record: accuracy, memory and cold start of the solo round,
/// latency of its inferences in the interleaved rounds.
fn head_record(device: &Device, solo: RoundResult, m: &Measured) -> Result<PathRecord> {
    let mut p = crate::engine::run::path_record(device, std::slice::from_ref(&solo))
        .ok_or_else(|| Error::worker_protocol("the solo round of the head took no sample"))?;
    let pooled: Vec<f64> = m
        .head_rounds
        .iter()
        .flat_map(|r| r.samples_ms.iter().copied())
        .collect();
    if let Some(l) = crate::record::LatencySummary::from_samples(&pooled) {
        p.fps = if l.mean > 0.0 { 1000.0 / l.mean } else { 0.0 };
        p.latency_ms = l;
        p.rounds = m.head_rounds.clone();
    }
    Ok(p)
}

//! `edgeperf explain`: why a path's latency changed (docs/EXPLAIN.md), and the
//! same for every regressed or improved path of `compare` ([`explain_changed`],
//! the hook `commands::compare` calls after the verdicts).
//!
//! The orchestration: the two sides are found as a confirmation finds them
//! (`store::base_side`: the base commit's suite, model bytes and runtime
//! library; the head as the run measured it, or the working tree), profiled
//! with the runtime's own profiler in a worker of their own (base and head
//! alternating in blocks in one process when they share a library, two
//! processes in lockstep otherwise: `engine`'s profile mode), both model files
//! read as graphs (`model_graph`), and the parts put together (`explain`).
//! Whatever cannot be had makes that part "not available: why"; only an
//! interruption is an error, and no verdict ever changes.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::output::emit;
use crate::compare::{Comparison, PathStatus, Verdict};
use crate::engine::measure::confirmation_sampling;
use crate::engine::{Alternation, PathSpec, WorkerRequest, WORKER_PROTOCOL};
use crate::error::{Error, Result, EXIT_OK};
use crate::explain::profile::{combine, ProfileSummary};
use crate::explain::settings::SideSettings;
use crate::explain::why::LATENCY_UNCHANGED;
use crate::explain::{ExplainDocument, Explanation, EXPLAIN_SCHEMA_VERSION};
use crate::model_graph::Unread;
use crate::record::baseline::Baseline;
use crate::record::{PathRecord, RunRecord};
use crate::report::export::Format;
use crate::store::artifacts::ArtifactStore;
use crate::store::base_side::{head_side, BaseSideFinder, Side, SideFiles};
use crate::store::baselines::Source;
use crate::store::git::GitTree;
use crate::suite::{CompareConfig, Suite};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The head's run record (from `edgeperf run --out`); without it the head
    /// is the working tree's model on the device's configured runtime library.
    pub run: Option<PathBuf>,
    /// The path's device.
    #[arg(long, value_name = "NAME")]
    pub device: String,
    /// The path's model.
    #[arg(long, value_name = "NAME")]
    pub model: String,
    /// Baselines directory (the base side is the path's baseline).
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// The base side as it is at the merge-base of HEAD and REF (read through git).
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,
    /// Explain against this model file instead of the baseline's (same device
    /// and settings as the head).
    #[arg(long, value_name = "FILE", conflicts_with = "against")]
    pub base_model: Option<PathBuf>,
    /// The suite.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Profiled seconds per side [default: compare.explain.seconds_per_side].
    #[arg(long, value_name = "SECONDS", value_parser = positive)]
    pub seconds: Option<f64>,
    /// The report (text), the explanation document (json), or the tables in
    /// Markdown (markdown).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn positive(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("must be a positive number of seconds, got {v}")),
        Err(e) => Err(e.to_string()),
    }
}

/// The two sides of an explanation, ready to profile.
struct Sides {
    base: PathSpec,
    head: PathSpec,
    /// Each side's runtime as recorded (`onnxruntime 1.31.1`).
    base_runtime: String,
    head_runtime: String,
}

fn spec(files: SideFiles) -> PathSpec {
    PathSpec {
        device: files.device,
        model: files.model,
        library: files.library,
    }
}

fn runtime_words(r: &crate::record::RuntimeInfo) -> String {
    format!("{} {}", r.kind.as_str(), r.version)
}

/// Whether two runtime libraries are the same build: the same file, or the
/// same bytes.
fn same_library(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| crate::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if canon(a) == canon(b) {
        return true;
    }
    matches!(
        (crate::fs::sha256_file(a), crate::fs::sha256_file(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

/// Where the base side comes from.
struct BaseSource<'a> {
    finder: BaseSideFinder<'a>,
    baselines: &'a Source,
}

impl BaseSource<'_> {
    /// The base side of `device`/`model` (the baseline's) with the head `head`,
    /// or why it cannot be had.
    fn sides(
        &self,
        device: &str,
        model: &str,
        head: (PathSpec, String),
    ) -> Result<std::result::Result<Sides, String>> {
        let Some(base) = self.baselines.load(device, model)? else {
            return Ok(Err(format!(
                "no baseline for {device}/{model} in {}",
                self.baselines.label()
            )));
        };
        let libraries = crate::engine::session::Libraries;
        let files = match self.finder.base_side(device, model, &base, &libraries)? {
            Side::Available(files) => *files,
            Side::Unavailable(u) => return Ok(Err(u.to_string())),
        };
        Ok(Ok(with_head(spec(files), &base, head)))
    }
}

/// The sides, the base on the head's library when both are the same build.
fn with_head(mut base: PathSpec, b: &Baseline, (head, head_runtime): (PathSpec, String)) -> Sides {
    if same_library(&base.library, &head.library) {
        base.library = head.library.clone();
    }
    Sides {
        base,
        head,
        base_runtime: runtime_words(&b.runtime),
        head_runtime,
    }
}

/// The head side as the run measured it, or why it cannot be had.
fn head_of_run(
    suite: &Suite,
    path: &PathRecord,
) -> Result<std::result::Result<(PathSpec, String), String>> {
    Ok(match head_side(suite, path)? {
        Side::Available(files) => Ok((spec(*files), runtime_words(&path.runtime))),
        Side::Unavailable(u) => Err(u.to_string()),
    })
}

/// The head side from the working tree: the suite's device and model on the
/// device's configured library.
fn head_of_tree(suite: &Suite, device: &str, model: &str) -> Result<(PathSpec, String)> {
    let d = suite.device(device).ok_or_else(|| {
        Error::argument(
            "--device",
            format!("the suite has no device {device:?} (see `edgeperf env` for its devices)"),
        )
    })?;
    let m = suite
        .model(model)
        .ok_or_else(|| Error::argument("--model", format!("the suite has no model {model:?}")))?
        .for_device(d)?;
    let library = crate::engine::session::library_for(d, None)?;
    let runtime = match crate::engine::session::probe(d) {
        Ok((_, Some(v))) => format!("{} {v}", d.runtime_kind.as_str()),
        _ => String::new(),
    };
    let head = PathSpec {
        device: d.clone(),
        model: m,
        library,
    };
    Ok((head, runtime))
}

/// Both sides profiled in one worker (a shared library) or two in lockstep,
/// for `seconds` per side: each side's profile, or why there is none (an
/// interruption is an error).
#[allow(clippy::type_complexity)]
fn profile_round(
    suite: &Suite,
    sides: &Sides,
    cfg: &CompareConfig,
    seconds: f64,
    base_first: bool,
) -> Result<std::result::Result<(ProfileSummary, ProfileSummary), String>> {
    let sampling = confirmation_sampling(seconds, cfg.confirm.warmup);
    let req = WorkerRequest {
        protocol: WORKER_PROTOCOL,
        round: 0,
        sampling,
        accuracy: false,
        dataset: suite.dataset.clone(),
        head: sides.head.clone(),
        paired: Some(sides.base.clone()),
        pairing: Alternation {
            block_ms: cfg.confirm.block_ms,
            base_first,
            discard: cfg.confirm.discard,
        },
        lockstep: false,
        profile: true,
    };
    let exe = crate::engine::run::current_exe()?;
    let result = if sides.base.library == sides.head.library {
        crate::engine::spawn::spawn_round(&exe, &req)
    } else {
        let mut base_req = req.clone();
        base_req.head = sides.base.clone();
        crate::engine::lockstep::run_pair(&exe, &base_req, &req)
    };
    let r = match result {
        Ok(r) => r,
        Err(e @ Error::Interrupted { .. }) => return Err(e),
        Err(e) => return Ok(Err(e.one_line())),
    };
    Ok(match r.profiles {
        None => Err("the worker sent no profile".into()),
        Some(p) => match (p.base, p.head) {
            (Some(Ok(b)), Ok(h)) => Ok((b, h)),
            (Some(Err(why)), _) | (_, Err(why)) => Err(why),
            (None, _) => Err("the worker sent no base profile".into()),
        },
    })
}

/// Both sides' profiles over `cfg.explain.rounds` rounds (the side created
/// first alternating), combined; or why not.
#[allow(clippy::type_complexity)]
fn profiles(
    suite: &Suite,
    sides: &Sides,
    cfg: &CompareConfig,
    seconds: f64,
) -> Result<std::result::Result<(ProfileSummary, ProfileSummary), String>> {
    let rounds = cfg.explain.rounds.max(1);
    let (mut base, mut head) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        match profile_round(suite, sides, cfg, seconds / rounds as f64, i % 2 == 0)? {
            Ok((b, h)) => {
                base.push(b);
                head.push(h);
            }
            Err(why) => return Ok(Err(why)),
        }
    }
    match (combine(&base), combine(&head)) {
        (Some(b), Some(h)) => Ok(Ok((b, h))),
        _ => Ok(Err("no profile round ran".into())),
    }
}

/// Explains a path whose sides were found: graphs, profiles (`seconds` per
/// side; `None`: not profiled, its latency did not change), settings. A graph
/// too large to explain is not profiled either.
fn explain_sides(
    suite: &Suite,
    sides: &Sides,
    cfg: &CompareConfig,
    seconds: Option<f64>,
) -> Result<Explanation> {
    let started = Instant::now();
    let graph = |s: &PathSpec| {
        let shape = s.model.preprocess.input_shape();
        crate::model_graph::read(&s.model.file, Some(&shape))
    };
    let graphs = graph(&sides.base).and_then(|b| Ok((b, graph(&sides.head)?)));
    let profiles = match (&graphs, seconds) {
        (Err(Unread::TooLarge(e)), _) => Err(format!("not profiled: {}", e.one_line())),
        (_, None) => Err(LATENCY_UNCHANGED.into()),
        (_, Some(s)) => profiles(suite, sides, cfg, s)?,
    };
    let graphs = graphs.map_err(|e| e.one_line());
    let mut settings = crate::explain::settings::changes(
        &SideSettings {
            device: &sides.base.device,
            model: &sides.base.model,
            runtime: sides.base_runtime.clone(),
        },
        &SideSettings {
            device: &sides.head.device,
            model: &sides.head.model,
            runtime: sides.head_runtime.clone(),
        },
    );
    if sides.base_runtime.is_empty() || sides.head_runtime.is_empty() {
        settings.retain(|s| !s.starts_with("runtime "));
    }
    Ok(crate::explain::assemble(
        settings,
        profiles,
        sides.head.device.provider,
        graphs,
        started.elapsed().as_secs_f64(),
    ))
}

/// The explanation, or the one saying why there is none, from found sides.
fn explain_found(
    suite: &Suite,
    sides: Result<std::result::Result<Sides, String>>,
    cfg: &CompareConfig,
    seconds: Option<f64>,
    started: Instant,
) -> Result<Explanation> {
    match sides {
        Ok(Ok(s)) => explain_sides(suite, &s, cfg, seconds),
        Ok(Err(why)) => Ok(Explanation::not_available(
            &why,
            started.elapsed().as_secs_f64(),
        )),
        Err(e @ Error::Interrupted { .. }) => Err(e),
        Err(e) => Ok(Explanation::not_available(
            &e.one_line(),
            started.elapsed().as_secs_f64(),
        )),
    }
}

fn base_source<'a>(
    suite: &'a Suite,
    tree: Option<&'a GitTree>,
    baselines: &'a Source,
) -> BaseSource<'a> {
    BaseSource {
        finder: BaseSideFinder {
            suite,
            base_tree: tree,
            scratch: suite.dir().join(".edgeperf").join("confirm"),
            artifacts: ArtifactStore::from_env(),
        },
        baselines,
    }
}

/// Whether `compare` explains a path, and whether it profiles it: a path
/// regressed or improved on latency is profiled; one regressed or improved on
/// something else (accuracy, memory, a guard) gets its graph and settings only.
fn wants(p: &crate::compare::PathComparison) -> Option<bool> {
    if !matches!(p.status, PathStatus::Regressed | PathStatus::Improved) || p.base.is_none() {
        return None;
    }
    let latency = p
        .latency
        .as_ref()
        .is_some_and(|l| matches!(l.verdict, Verdict::Regressed | Verdict::Improved));
    Some(latency)
}

/// The hook `compare` calls after its verdicts (issue 20): explains every
/// regressed or improved path of `c` within `cfg.explain.budget_seconds`,
/// unchanged and inconclusive paths never. A failure becomes that path's
/// "explanation not available: ..."; only an interruption is an error; no
/// verdict changes.
pub fn explain_changed(
    c: &mut Comparison,
    run: &RunRecord,
    suite: &Suite,
    baselines: &Source,
    cfg: &CompareConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<()> {
    if !cfg.explain.enabled {
        return Ok(());
    }
    let started = Instant::now();
    let source = base_source(suite, baselines.tree(), baselines);
    for p in &mut c.paths {
        let Some(profile) = wants(p) else { continue };
        let spent = started.elapsed().as_secs_f64();
        if spent >= cfg.explain.budget_seconds {
            p.explanation = Some(Explanation::not_available(
                &format!(
                    "the explain budget of {} s (compare.explain.budget_seconds) was spent on the paths before it",
                    cfg.explain.budget_seconds
                ),
                0.0,
            ));
            continue;
        }
        progress(&format!("explaining {}/{}", p.device, p.model));
        let t = Instant::now();
        let Some(rec) = run
            .paths
            .iter()
            .find(|r| r.device == p.device && r.model == p.model)
        else {
            continue;
        };
        let sides = head_of_run(suite, rec).and_then(|h| match h {
            Ok(head) => source.sides(&p.device, &p.model, head),
            Err(why) => Ok(Err(why)),
        });
        let rule = crate::compare::rule_for(cfg, &p.device, &p.model);
        let seconds = profile.then_some(rule.explain.seconds_per_side);
        p.explanation = Some(explain_found(suite, sides, &rule, seconds, t)?);
    }
    Ok(())
}

/// The sides `edgeperf explain` asks for: the head from the run or the working
/// tree; the base from `--base-model`, or the path's baseline (at `--against`).
fn sides_for(a: &ExplainArgs, suite: &Suite) -> Result<std::result::Result<Sides, String>> {
    let head = match &a.run {
        Some(file) => {
            let run = crate::store::load_run(file)?;
            let rec = run
                .paths
                .iter()
                .find(|p| p.device == a.device && p.model == a.model)
                .ok_or_else(|| {
                    Error::document(
                        file,
                        format!("the run has no path {}/{}", a.device, a.model),
                    )
                })?;
            head_of_run(suite, rec)?
        }
        None => Ok(head_of_tree(suite, &a.device, &a.model)?),
    };
    let head = match head {
        Ok(h) => h,
        Err(why) => return Ok(Err(why)),
    };
    if let Some(file) = &a.base_model {
        let (head, rt) = head;
        let mut base = head.clone();
        base.model.file = file.clone();
        return Ok(Ok(Sides {
            base,
            head,
            base_runtime: rt.clone(),
            head_runtime: rt,
        }));
    }
    let source = match &a.against {
        Some(r) => {
            let tree = GitTree::merge_base(suite.dir(), r)?;
            let dir_rel = tree
                .relative(&a.baselines)
                .unwrap_or_else(|| a.baselines.clone());
            Source::Git { tree, dir_rel }
        }
        None => Source::Dir(a.baselines.clone()),
    };
    base_source(suite, source.tree(), &source).sides(&a.device, &a.model, head)
}

/// The explanation in `--format`.
fn render(a: &ExplainArgs, e: Explanation) -> Result<String> {
    use crate::report::markdown::md_escape;
    Ok(match a.format {
        Format::Json => crate::record::to_json_pretty(&ExplainDocument {
            schema_version: EXPLAIN_SCHEMA_VERSION,
            device: a.device.clone(),
            model: a.model.clone(),
            explanation: e,
        })?,
        Format::Markdown => format!(
            "### {}/{}, why: {}\n\n{}",
            md_escape(&a.device),
            md_escape(&a.model),
            md_escape(&e.why),
            crate::report::explain::markdown(&e)
        ),
        _ => crate::report::explain::text(&a.device, &a.model, &e),
    })
}

/// [`explain_changed`] as `compare` calls it: with the suite (none: nothing
/// is explained), progress on a terminal, and an interruption saying no
/// comparison was written.
pub fn after_verdicts(
    mut c: Comparison,
    run: &RunRecord,
    suite: Option<&Suite>,
    baselines: &Source,
    cfg: &CompareConfig,
    interactive: bool,
) -> Result<Comparison> {
    let Some(suite) = suite else { return Ok(c) };
    let mut say = |m: &str| {
        if interactive {
            eprint!("\r\x1b[2K{m}");
        }
    };
    let done = explain_changed(&mut c, run, suite, baselines, cfg, &mut say);
    if interactive {
        eprint!("\r\x1b[2K");
    }
    done.map_err(|e| match e {
        Error::Interrupted { signal, message } => Error::Interrupted {
            signal,
            message: format!("{message}; no comparison was written"),
        },
        e => e,
    })?;
    Ok(c)
}

/// `edgeperf explain`: prints the explanation (parts that cannot be had say
/// why); exit 0, or 2 on bad arguments, suite or run record.
pub fn run(a: ExplainArgs) -> Result<i32> {
    if !matches!(a.format, Format::Text | Format::Json | Format::Markdown) {
        return Err(Error::argument(
            "--format",
            "explain writes text, json or markdown (csv and bmf have no explanation)",
        ));
    }
    let suite = crate::store::load_suite(&a.suite)?;
    let rule = crate::compare::rule_for(&suite.compare, &a.device, &a.model);
    let seconds = a.seconds.unwrap_or(rule.explain.seconds_per_side);
    if std::io::stderr().is_terminal() {
        eprintln!(
            "explaining {}/{}: profiling base and head ({seconds} s each)",
            a.device, a.model
        );
    }
    let started = Instant::now();
    // Bad arguments, a bad suite, run record or baseline are errors here; a
    // side that cannot be had is an explanation saying why.
    let sides = sides_for(&a, &suite)?;
    let e = explain_found(&suite, Ok(sides), &rule, Some(seconds), started)?;
    emit(&render(&a, e)?, a.out.as_deref())?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Remeasure;
    use crate::fixtures;
    use crate::suite::Provider;

    /// A comparison of two paths, `cpu/a` judged regressed (on latency) and
    /// `cpu/b` unchanged, whose head model file no longer holds the bytes the
    /// run measured: an explanation cannot be had.
    fn judged(dir: &Path) -> (Comparison, RunRecord, Suite) {
        let text = "[[device]]\nname = \"cpu\"\nruntime = \"lib.so\"\n[[model]]\nname = \"a\"\nfile = \"a.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n[[model]]\nname = \"b\"\nfile = \"b.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n";
        crate::fs::write_atomic(&dir.join("a.onnx"), b"not the bytes measured").unwrap();
        let suite = Suite::parse(&dir.join("edgeperf.toml"), text, dir).unwrap();
        let path = |m: &str, level| {
            fixtures::path_record(
                "cpu",
                m,
                Provider::Cpu,
                &fixtures::synth_rounds(level, 2, 30),
                None,
            )
        };
        let base = fixtures::run_record(
            vec![path("a", 9.0), path("b", 9.0)],
            fixtures::BASE_COMMIT,
            true,
        );
        fixtures::write_baselines(&dir.join("baselines"), &base);
        let run = fixtures::run_record(
            vec![path("a", 9.9), path("b", 9.0)],
            fixtures::HEAD_COMMIT,
            true,
        );
        let mut cfg = CompareConfig::default();
        cfg.confirm.enabled = false;
        let source = Source::Dir(dir.join("baselines"));
        let mut c = crate::compare::judge_run(
            &run,
            "head.json",
            "baselines",
            &cfg,
            |p| source.load(&p.device, &p.model),
            |_, _, _| Ok(Remeasure::NotDone("not asked for in this test".into())),
        )
        .unwrap();
        // The screen alone does not decide: stand in for a confirmed regression.
        c.paths[0].status = PathStatus::Regressed;
        c.paths[0].latency.as_mut().unwrap().verdict = Verdict::Regressed;
        c.paths[1].status = PathStatus::Unchanged;
        (c, run, suite)
    }

    #[test]
    fn a_path_that_cannot_be_explained_says_why_and_keeps_its_verdict() {
        let d = tempfile::tempdir().unwrap();
        let (mut c, run, suite) = judged(d.path());
        let before = c.clone();
        let source = Source::Dir(d.path().join("baselines"));
        let cfg = CompareConfig::default();
        let mut said = Vec::new();
        explain_changed(&mut c, &run, &suite, &source, &cfg, &mut |m| {
            said.push(m.to_string())
        })
        .unwrap();
        let e = c.paths[0]
            .explanation
            .as_ref()
            .expect("the regressed path is explained");
        assert!(
            e.why.starts_with("explanation not available: "),
            "{}",
            e.why
        );
        assert!(e.why.contains("changed since the run"), "{}", e.why);
        assert!(
            c.paths[1].explanation.is_none(),
            "unchanged paths are never explained"
        );
        assert_eq!(said, vec!["explaining cpu/a"]);
        // Nothing but the explanation moved (compared as written, since an
        // unconfirmed change is NaN and NaN never equals itself).
        c.paths[0].explanation = None;
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            serde_json::to_string(&before).unwrap()
        );
    }

    #[test]
    fn paths_past_the_budget_say_so_and_a_disabled_rule_explains_nothing() {
        let d = tempfile::tempdir().unwrap();
        let (mut c, run, suite) = judged(d.path());
        let source = Source::Dir(d.path().join("baselines"));
        let mut cfg = CompareConfig::default();
        cfg.explain.budget_seconds = 1e-9;
        explain_changed(&mut c, &run, &suite, &source, &cfg, &mut |_| {}).unwrap();
        let why = &c.paths[0].explanation.as_ref().unwrap().why;
        assert!(why.contains("budget of 0.000000001 s"), "{why}");
        c.paths[0].explanation = None;
        cfg.explain.enabled = false;
        explain_changed(&mut c, &run, &suite, &source, &cfg, &mut |_| {}).unwrap();
        assert!(c.paths[0].explanation.is_none());
    }
}

//! Confirmation: a path's base and head re-measured on this machine, each side
//! exactly as its commit defines it, in alternating blocks, round after round
//! until the sequential rule stops. This file only orchestrates:
//!
//! * the sides come from the store (`store::base_side`: the base commit's suite,
//!   model bytes and runtime library; the head as the run measured it); a side
//!   that cannot be had leaves the path not confirmed, saying why and how to
//!   fix it;
//! * [`measure_pair`] measures two sides given as files, which `compare`,
//!   `check` and any later caller (a bisection over commits) share: each round
//!   is one worker process holding both sessions when both sides run on the
//!   same runtime library, else two worker processes in lockstep
//!   (`engine::lockstep`); either way the sides alternate in blocks of
//!   `confirm.block_ms`, so the machine's changing latency level hits both
//!   alike; each round's statistic goes to the sequential rule
//!   (`compare::sequential::Sequential`), which says when to stop.

use std::path::{Path, PathBuf};

use crate::compare::latency::ProcessPairing;
use crate::compare::sequential::{RoundStatistic, Sequential};
use crate::compare::{Interleaved, Remeasure};
use crate::engine::measure::confirmation_sampling;
use crate::engine::spawn::spawn_round;
use crate::engine::{Alternation, PathSpec, RoundResult, WorkerRequest, WORKER_PROTOCOL};
use crate::error::{Error, Result};
use crate::record::baseline::Baseline;
use crate::record::{PathRecord, Round, RuntimeInfo};
use crate::store::artifacts::ArtifactStore;
use crate::store::base_side::{self, BaseSideFinder, RuntimeLibraries, Side, SideFiles};
use crate::store::git::GitTree;
use crate::suite::{CompareConfig, Dataset, Device, RuntimeKind, Suite};

/// Confirms the paths of one suite: finds each path's two sides and measures
/// them in paired rounds.
pub struct Interleaver<'a> {
    suite: &'a Suite,
    /// This executable, started as the measurement worker.
    exe: PathBuf,
    /// Where the base side's files are found.
    base: BaseSideFinder<'a>,
    /// Told what is being measured ("confirming cpu/m: round 3").
    progress: Box<dyn FnMut(&str) + 'a>,
}

/// The engine's answers about runtime libraries, for the store's lookup.
pub(crate) struct EngineLibraries;

impl RuntimeLibraries for EngineLibraries {
    fn configured(&self, device: &Device) -> Option<PathBuf> {
        crate::engine::session::library_for(device, None).ok()
    }
    fn version(&self, kind: RuntimeKind, path: &Path) -> Option<String> {
        // Only ONNX Runtime can be asked its version without a session.
        kind.is_onnxruntime()
            .then(|| crate::engine::ort::probe_version(path).ok())
            .flatten()
    }
}

fn spec(files: Box<SideFiles>) -> PathSpec {
    let files = *files;
    PathSpec {
        device: files.device,
        model: files.model,
        library: files.library,
    }
}

impl<'a> Interleaver<'a> {
    /// Confirms `suite`'s paths with this executable as the worker, the base
    /// side from `base_tree` (`None`: each baseline's own commit), files taken
    /// out of git kept under the suite's `.edgeperf/confirm`, and the artifact
    /// store the environment names.
    pub fn new(
        suite: &'a Suite,
        base_tree: Option<&'a GitTree>,
        progress: Box<dyn FnMut(&str) + 'a>,
    ) -> Result<Interleaver<'a>> {
        Ok(Interleaver {
            suite,
            exe: crate::engine::run::current_exe()?,
            base: BaseSideFinder {
                suite,
                base_tree,
                scratch: suite.dir().join(".edgeperf").join("confirm"),
                artifacts: ArtifactStore::from_env(),
            },
            progress,
        })
    }

    /// What became of confirming `path`: measured, or why it could not be.
    /// Only an interruption (Ctrl-C) is an error: any other failure leaves the
    /// path unconfirmed, with the failure as the reason.
    pub fn remeasure(
        &mut self,
        path: &PathRecord,
        base: &Baseline,
        cfg: &CompareConfig,
    ) -> Result<Remeasure> {
        match self.measure(path, base, cfg) {
            Ok(r) => Ok(r),
            Err(e @ Error::Interrupted { .. }) => Err(e),
            Err(e) => Ok(Remeasure::Unavailable(e.one_line())),
        }
    }

    /// Finds both sides, then measures them in rounds until the rule stops.
    fn measure(
        &mut self,
        path: &PathRecord,
        base: &Baseline,
        cfg: &CompareConfig,
    ) -> Result<Remeasure> {
        let head = match base_side::head_side(self.suite, path)? {
            Side::Available(files) => spec(files),
            Side::Unavailable(u) => return Ok(Remeasure::Unavailable(u.to_string())),
        };
        let base_side =
            match self
                .base
                .base_side(&path.device, &path.model, base, &EngineLibraries)?
            {
                Side::Available(files) => spec(files),
                Side::Unavailable(u) => return Ok(Remeasure::Unavailable(u.to_string())),
            };
        let sides = Sides::new(base_side, head, &base.runtime, &path.runtime);
        let label = format!("confirming {}/{}", path.device, path.model);
        let progress = &mut self.progress;
        let m = measure_pair(
            &self.exe,
            &sides,
            self.suite.dataset.as_ref(),
            cfg,
            &mut |i| progress(&format!("{label}: round {i}")),
        )?;
        Ok(Remeasure::Measured(m.interleaved))
    }
}

/// The two sides of a confirmation as files, ready to measure.
#[derive(Debug, Clone)]
pub struct Sides {
    pub base: PathSpec,
    pub head: PathSpec,
    /// `Some(why)`: two worker processes in lockstep (the runtime libraries
    /// differ); `None`: one process holds both sessions.
    pub across: Option<String>,
}

impl Sides {
    /// `base` against `head`, in one process when their runtime libraries are
    /// the same build by content (`base_rt` what the baseline ran, `head_rt`
    /// what the head runs; then both sessions load the head's file), else in
    /// two processes in lockstep.
    pub fn new(
        mut base: PathSpec,
        head: PathSpec,
        base_rt: &RuntimeInfo,
        head_rt: &RuntimeInfo,
    ) -> Sides {
        let across = across_processes(&base, &head, base_rt, head_rt);
        if across.is_none() {
            base.library = head.library.clone();
        }
        Sides { base, head, across }
    }
}

/// What [`measure_pair`] measured: every round, judged by the sequential rule
/// (`compare::judge_measured` on `interleaved` gives the verdict), and the
/// head side's own rounds.
#[derive(Debug, Clone)]
pub struct Measured {
    pub interleaved: Interleaved,
    /// The head side's timed inferences of each round, without the first
    /// `confirm.discard` of each block: the head's latency figures.
    pub head_rounds: Vec<Round>,
}

/// Measures `sides` in paired rounds until the sequential rule of `cfg` stops
/// (decided, or out of rounds or budget), with `exe` as the worker and the
/// dataset's first photo as the timing input. `progress` hears "round N".
/// The one measuring loop of a confirmation: `compare`, `check` and every
/// replay of two commits (`commands::replay`: `baseline pair`, `bisect`,
/// `backfill`) share it. An interruption (Ctrl-C) or a failing worker is an
/// error.
pub fn measure_pair(
    exe: &Path,
    sides: &Sides,
    dataset: Option<&Dataset>,
    cfg: &CompareConfig,
    progress: &mut dyn FnMut(u32),
) -> Result<Measured> {
    let c = &cfg.confirm;
    let sampling = confirmation_sampling(c.round_seconds, c.warmup);
    let mut seq = Sequential::new(&cfg.latency, c);
    let (mut base_cold_ms, mut head_cold_ms) = (Vec::new(), Vec::new());
    let mut head_rounds = Vec::new();
    let mut device_states = Vec::new();
    for i in 0..c.max_rounds.max(c.rounds) {
        progress(i + 1);
        let req = WorkerRequest {
            protocol: WORKER_PROTOCOL,
            round: i,
            sampling: sampling.clone(),
            accuracy: false,
            dataset: dataset.cloned(),
            head: sides.head.clone(),
            paired: Some(sides.base.clone()),
            pairing: Alternation {
                block_ms: c.block_ms,
                base_first: i % 2 == 0,
                discard: c.discard,
            },
            lockstep: false,
            profile: false,
        };
        let r = round(exe, &req, sides)?;
        seq.push(round_statistic(&r, i, cfg)?);
        if let Some(b) = &r.paired {
            base_cold_ms.push(b.cold_start_ms.reported_ms());
            head_cold_ms.push(r.round.cold_start_ms.reported_ms());
        }
        // Issue 19: each round's device state, for compare::devstate::guard.
        device_states.extend(r.round.device.clone());
        head_rounds.push(without_switches(&r, c.discard as usize));
        if seq.decision().stop.is_some() {
            break;
        }
    }
    let rounds = seq.rounds();
    Ok(Measured {
        interleaved: Interleaved {
            base: rounds.iter().map(|r| r.base_stat).collect(),
            head: rounds.iter().map(|r| r.head_stat).collect(),
            log_ratios: rounds.iter().map(|r| r.log_ratio).collect(),
            machine: rounds.iter().map(|r| r.machine.clone()).collect(),
            seconds_per_side: seq.seconds_per_side(),
            pairing: ProcessPairing {
                across_processes: sides.across.clone(),
                rounds: rounds.len(),
            },
            base_cold_ms,
            head_cold_ms,
            device_states,
        },
        head_rounds,
    })
}

/// One round: both sessions in one worker, or two workers in lockstep.
fn round(exe: &Path, req: &WorkerRequest, sides: &Sides) -> Result<RoundResult> {
    if sides.across.is_none() {
        return spawn_round(exe, req);
    }
    let mut base_req = req.clone();
    base_req.head = sides.base.clone();
    crate::engine::lockstep::run_pair(exe, &base_req, req)
}

/// The head's round of a paired round without the first `discard`
/// inferences of each block (they ran on caches the base session filled).
fn without_switches(r: &RoundResult, discard: usize) -> Round {
    let mut round = r.round.clone();
    let block = r.block.unwrap_or(1).max(1) as usize;
    if discard > 0 && discard < block {
        round.samples_ms = round
            .samples_ms
            .chunks(block)
            .flat_map(|b| b.iter().skip(discard).copied())
            .collect();
        if let Some(l) = crate::record::LatencySummary::from_samples(&round.samples_ms) {
            round.latency_ms = l;
        }
    }
    round
}

/// `Some(why)` when the two sides need two processes: their runtime libraries
/// differ (by content when both are hashed, else by path). `base_rt` is what
/// the baseline ran, `head_rt` what the head runs.
fn across_processes(
    base: &PathSpec,
    head: &PathSpec,
    base_rt: &RuntimeInfo,
    head_rt: &RuntimeInfo,
) -> Option<String> {
    let canon = |p: &Path| crate::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let same = match (&base_rt.sha256, &head_rt.sha256) {
        (Some(x), Some(y)) => x == y,
        _ => canon(&base.library) == canon(&head.library),
    };
    (!same).then(|| {
        format!(
            "base on {} {} ({}), head on {} {} ({})",
            base_rt.kind.as_str(),
            base_rt.version,
            base.library.display(),
            head_rt.kind.as_str(),
            head_rt.version,
            head.library.display()
        )
    })
}

/// The statistic of paired round `round` from the worker's samples, with the
/// machine state the worker read.
fn round_statistic(r: &RoundResult, round: u32, cfg: &CompareConfig) -> Result<RoundStatistic> {
    let failed = |message: &str| Error::Worker {
        device: r.device.clone(),
        model: r.model.clone(),
        round,
        message: message.into(),
    };
    let base = r
        .paired
        .as_ref()
        .ok_or_else(|| failed("the worker returned no paired samples"))?;
    let block = r.block.unwrap_or(1) as usize;
    let mut s = RoundStatistic::of_round(
        &base.samples_ms,
        &r.round.samples_ms,
        block,
        cfg.confirm.discard as usize,
        cfg.latency.quantile,
    )
    .ok_or_else(|| failed("a confirmation round took no whole block pair"))?;
    s.machine = r.round.machine.clone();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Provider;

    #[test]
    fn different_libraries_need_two_processes() {
        let suite = Suite::parse(
            Path::new("s.toml"),
            "[[device]]\nname = \"cpu\"\nruntime = \"lib.so\"\n[[model]]\nname = \"m\"\nfile = \"m.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n",
            Path::new("/x"),
        )
        .unwrap();
        let h = crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let run = crate::fixtures::run_record(vec![h.clone()], crate::fixtures::BASE_COMMIT, true);
        let mut b = Baseline::from_path(&run, &h);
        let spec = PathSpec {
            device: suite.devices[0].clone(),
            model: suite.models[0].clone(),
            library: PathBuf::from("/x/lib.so"),
        };
        b.runtime.sha256 = Some("1".repeat(64));
        let mut h = h;
        h.runtime.sha256 = b.runtime.sha256.clone();
        assert_eq!(across_processes(&spec, &spec, &b.runtime, &h.runtime), None);
        b.runtime.sha256 = Some("0".repeat(64));
        b.runtime.version = "1.24.1".into();
        let why = across_processes(&spec, &spec, &b.runtime, &h.runtime).unwrap();
        assert!(why.contains("1.24.1") && why.contains("1.31.1"), "{why}");
    }
}

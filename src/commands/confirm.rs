//! Confirmation: a path's base and head re-measured on this machine, each side
//! exactly as its commit defines it, in alternating blocks, round after round
//! until the sequential rule stops. This file only orchestrates:
//!
//! * the sides come from the store (`store::base_side`: the base commit's suite,
//!   model bytes and runtime library; the head as the run measured it); a side
//!   that cannot be had leaves the path unconfirmed, saying why and how to fix it;
//! * each round is one worker process holding both sessions when both sides run
//!   on the same runtime library, else two worker processes in lockstep
//!   (`engine::lockstep`); either way the sides alternate in blocks of
//!   `confirm.block_ms`, so the machine's changing latency level hits both alike;
//! * each round's statistic goes to the sequential rule
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
use crate::record::PathRecord;
use crate::store::artifacts::ArtifactStore;
use crate::store::base_side::{self, BaseSideFinder, RuntimeLibraries, Side, SideFiles};
use crate::store::git::GitTree;
use crate::suite::{CompareConfig, Device, RuntimeKind, Suite};

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
struct EngineLibraries;

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
        let mut base_side = match self.base.base_side(path, base, &EngineLibraries)? {
            Side::Available(files) => spec(files),
            Side::Unavailable(u) => return Ok(Remeasure::Unavailable(u.to_string())),
        };
        let across = across_processes(&base_side, &head, base, path);
        if across.is_none() {
            // The same build (by content): both sessions load the head's file.
            base_side.library = head.library.clone();
        }
        let sides = Sides {
            base: base_side,
            head,
            across: across.is_some(),
        };
        let mut m = self.rounds(path, &sides, cfg)?;
        m.pairing.across_processes = across;
        Ok(Remeasure::Measured(m))
    }

    /// Rounds of both sides, each handed to the sequential rule, until it stops.
    fn rounds(
        &mut self,
        path: &PathRecord,
        sides: &Sides,
        cfg: &CompareConfig,
    ) -> Result<Interleaved> {
        let c = &cfg.confirm;
        let mut sampling = confirmation_sampling(&self.suite.sampling, c.round_seconds);
        sampling.warmup = c.warmup;
        let mut seq = Sequential::new(&cfg.latency, c);
        let (mut base_cold_ms, mut head_cold_ms) = (Vec::new(), Vec::new());
        for i in 0..c.rounds {
            (self.progress)(&format!(
                "confirming {}/{}: round {}",
                path.device,
                path.model,
                i + 1
            ));
            let req = WorkerRequest {
                protocol: WORKER_PROTOCOL,
                round: i,
                sampling: sampling.clone(),
                accuracy: false,
                dataset: self.suite.dataset.clone(),
                head: sides.head.clone(),
                paired: Some(sides.base.clone()),
                pairing: Alternation {
                    block_ms: c.block_ms,
                    base_first: i % 2 == 0,
                    discard: c.discard,
                },
                lockstep: false,
            };
            let r = self.round(&req, sides)?;
            seq.push(round_statistic(&r, i, cfg)?);
            if let Some(b) = &r.paired {
                base_cold_ms.push(b.cold_start_ms.reported_ms());
                head_cold_ms.push(r.round.cold_start_ms.reported_ms());
            }
            if seq.decision().stop.is_some() {
                break;
            }
        }
        let rounds = seq.rounds();
        Ok(Interleaved {
            base: rounds.iter().map(|r| r.base_stat).collect(),
            head: rounds.iter().map(|r| r.head_stat).collect(),
            log_ratios: rounds.iter().map(|r| r.log_ratio).collect(),
            machine: rounds.iter().map(|r| r.machine.clone()).collect(),
            seconds_per_side: seq.seconds_per_side(),
            pairing: ProcessPairing {
                across_processes: None,
                rounds: rounds.len(),
            },
            base_cold_ms,
            head_cold_ms,
        })
    }

    /// One round: both sessions in one worker, or two workers in lockstep.
    fn round(&self, req: &WorkerRequest, sides: &Sides) -> Result<RoundResult> {
        if !sides.across {
            return spawn_round(&self.exe, req);
        }
        let mut base_req = req.clone();
        base_req.head = sides.base.clone();
        crate::engine::lockstep::run_pair(&self.exe, &base_req, req)
    }
}

/// The two sides of a confirmation, ready to measure.
struct Sides {
    base: PathSpec,
    head: PathSpec,
    /// Two worker processes in lockstep (the runtime libraries differ).
    across: bool,
}

/// `Some(why)` when the two sides need two processes: their runtime libraries
/// differ (by content when both are hashed, else by path).
fn across_processes(
    base: &PathSpec,
    head: &PathSpec,
    b: &Baseline,
    h: &PathRecord,
) -> Option<String> {
    let canon = |p: &Path| crate::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let same = match (&b.runtime.sha256, &h.runtime.sha256) {
        (Some(x), Some(y)) => x == y,
        _ => canon(&base.library) == canon(&head.library),
    };
    (!same).then(|| {
        format!(
            "base on {} {} ({}), head on {} {} ({})",
            b.runtime.kind.as_str(),
            b.runtime.version,
            base.library.display(),
            h.runtime.kind.as_str(),
            h.runtime.version,
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
        assert_eq!(across_processes(&spec, &spec, &b, &h), None);
        b.runtime.sha256 = Some("0".repeat(64));
        b.runtime.version = "1.24.1".into();
        let why = across_processes(&spec, &spec, &b, &h).unwrap();
        assert!(why.contains("1.24.1") && why.contains("1.31.1"), "{why}");
    }
}

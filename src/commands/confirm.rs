//! Confirmation: a path's base and head re-measured on this machine, each side
//! exactly as its commit defines it, in alternating blocks, round after round
//! until the interval on the change is decisive:
//!
//! * the sides come from the store (`store::base_side`: the base commit's suite,
//!   model bytes and runtime library; the head as the run measured it); a side
//!   that cannot be had leaves the path unconfirmed, saying why and how to fix it;
//! * each round is one worker process holding both sessions when both sides run
//!   on the same runtime library, else two worker processes in lockstep
//!   (`engine::lockstep`); either way the sides alternate in blocks of
//!   `confirm.block_ms`, so the machine's changing latency level hits both alike;
//! * after `confirm.min_rounds` rounds, then every two, the sign-test interval
//!   of the median round ratio is checked (`compare::latency::judge_log_ratios`);
//!   the confirmation stops as soon as it is decisive, or at `confirm.rounds` /
//!   `confirm.budget_seconds` per side.

use std::path::{Path, PathBuf};

use crate::compare::latency::{block_log_ratio, decisive, is_look};
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

pub struct Interleaver<'a> {
    pub suite: &'a Suite,
    pub exe: PathBuf,
    /// Where the base side's files are found.
    pub base: BaseSideFinder<'a>,
    pub progress: Box<dyn FnMut(&str) + 'a>,
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

    /// Rounds of both sides until the interval is decisive: one statistic per
    /// round (the median over its block pairs of the head/base log-ratio).
    fn rounds(
        &mut self,
        path: &PathRecord,
        sides: &Sides,
        cfg: &CompareConfig,
    ) -> Result<Interleaved> {
        let c = &cfg.confirm;
        let mut sampling = confirmation_sampling(&self.suite.sampling, c.round_seconds);
        sampling.warmup = c.warmup;
        let mut m = Interleaved::default();
        let (mut secs_a, mut secs_b) = (0.0, 0.0);
        let q = cfg.latency.quantile;
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
                },
                lockstep: false,
            };
            let r = self.round(&req, sides)?;
            let (d, pa, pb, ta, tb) = round_statistic(&r, q)?;
            if let Some(b) = &r.paired {
                m.base_cold_ms.push(b.cold_start_ms.reported_ms());
                m.head_cold_ms.push(r.round.cold_start_ms.reported_ms());
            }
            m.log_ratios.push(d);
            m.base.push(pa);
            m.head.push(pb);
            secs_a += ta;
            secs_b += tb;
            m.seconds_per_side = (secs_a + secs_b) / 2.0;
            let n = m.log_ratios.len();
            m.pairing.rounds = n;
            let out_of_budget = secs_a.max(secs_b) >= c.budget_seconds;
            if is_look(n, c.min_rounds as usize, c.rounds as usize) || out_of_budget {
                let verdict = crate::compare::judge_measured(&m, &cfg.latency);
                if decisive(&verdict) || out_of_budget {
                    break;
                }
            }
        }
        Ok(m)
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

/// (log-ratio statistic, base p10, head p10, base seconds, head seconds) of a
/// paired round.
fn round_statistic(r: &RoundResult, q: f64) -> Result<(f64, f64, f64, f64, f64)> {
    let base = r
        .paired
        .as_ref()
        .ok_or_else(|| Error::Usage("the worker returned no paired samples".into()))?;
    let (a, b) = (&base.samples_ms, &r.round.samples_ms);
    let block = r.block.unwrap_or(1) as usize;
    let d = block_log_ratio(a, b, block)
        .ok_or_else(|| Error::Usage("a confirmation round took no whole block pair".into()))?;
    let p = |s: &[f64]| {
        let mut s = s.to_vec();
        s.sort_by(f64::total_cmp);
        crate::stats::quantile(&s, q).unwrap_or(f64::NAN)
    };
    let secs = |s: &[f64]| s.iter().sum::<f64>() / 1e3;
    Ok((d, p(a), p(b), secs(a), secs(b)))
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

//! One measurement round inside a worker process: load the runtime, create the
//! session(s), time one cold inference, the warm-up, then every timed inference
//! one image at a time (MLPerf SingleStream style), and on request the accuracy
//! pass over the dataset.
//!
//! Two sides (a confirmation's base and head) are timed in alternating blocks
//! of about [`Alternation::block_ms`] each (A B B A ...), inside one process when they
//! share a runtime library ([`run_round`]), or across two lockstep processes when
//! they do not ([`run_lockstep`], driven by `engine::lockstep`).
//!
//! The measured unit is one inference on a pre-set input, timed around the
//! runtime's call ([`Backend::time`]: `PathSession::infer` for ONNX Runtime, the
//! same one the criterion benchmarks in `benches/` time, so `cargo bench` and
//! `edgeperf run` agree; LiteRT's run call; an external runner's own timing).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::backend::Backend;
use super::protocol::{
    Alternation, LockstepCommand, LockstepEvent, PathSpec, RoundProfiles, RoundResult, WorkerReply,
    WorkerRequest, WORKER_PROTOCOL,
};
use crate::error::{Error, Result};
use crate::explain::profile::ProfileSummary;
use crate::machine::Sampler;
use crate::record::accuracy::{Accuracy, ImageOutcome};
use crate::record::machine::MachineState;
use crate::record::{ColdStart, LatencySummary, MemoryOf, Round};
use crate::suite::{Dataset, Model, Sampling};

/// The fixed input all timed inferences of a path use: the dataset's first image
/// preprocessed for the model, or a deterministic pattern without a dataset.
pub fn timing_input(dataset: Option<&Dataset>, model: &Model) -> Result<(Vec<f32>, String)> {
    if let Some(ds) = dataset {
        let samples = crate::dataset::scan(ds)?;
        let first = &samples[0];
        let input = crate::preprocess::load(&model.preprocess, &first.path)?;
        return Ok((input, first.rel.clone()));
    }
    let n: usize = model.preprocess.input_shape().iter().product();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let data = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Ok((data, "synthetic".into()))
}

/// A warm session ready to time: its cold start and its warm-up median.
struct Warm {
    session: Box<dyn Backend>,
    cold: ColdStart,
    est_ms: f64,
}

/// Creates a side's session on its own timing input (with the runtime's
/// profiler on, writing next to `profile`, in profile mode), times the first
/// inference and the warm-up.
fn warm_up(
    side: &PathSpec,
    dataset: Option<&Dataset>,
    warmup: u32,
    library_load: f64,
    profile: Option<&Path>,
) -> Result<Warm> {
    let (input, _) = timing_input(dataset, &side.model)?;
    let mut session = match profile {
        Some(prefix) => super::session::create_profiled(side, prefix)?,
        None => super::session::create(side)?,
    };
    session.set_input(&input)?;
    let first_inference = session.time(1)?[0];
    let warm = session.time(warmup)?;
    let cold = ColdStart {
        library_load: session.library_load_ms().unwrap_or(library_load),
        session_create: session.session_create_ms(),
        first_inference,
    };
    let est_ms = crate::stats::median(&warm).unwrap_or(first_inference);
    Ok(Warm {
        session,
        cold,
        est_ms,
    })
}

/// Loads the request's runtime library (idempotent) and says how long it took.
fn load_library(req: &WorkerRequest) -> Result<f64> {
    if req.protocol != WORKER_PROTOCOL {
        return Err(Error::worker_protocol(format!(
            "worker protocol {} requested, this edgeperf speaks {WORKER_PROTOCOL}",
            req.protocol
        )));
    }
    let t0 = Instant::now();
    super::session::load_runtime(&req.head)?;
    Ok(t0.elapsed().as_secs_f64() * 1e3)
}

fn round_of(
    req: &WorkerRequest,
    started_at: chrono::DateTime<chrono::Utc>,
    samples: Vec<f64>,
    cold: ColdStart,
    memory: Option<(Option<f64>, MemoryOf)>,
    machine: Option<MachineState>,
) -> Result<Round> {
    Ok(Round {
        index: req.round,
        started_at,
        warmup: req.sampling.warmup,
        cold_start_ms: cold,
        latency_ms: LatencySummary::from_samples(&samples).ok_or_else(|| {
            Error::Inference {
                device: req.head.device.name.clone(),
                model: req.head.model.name.clone(),
                message: format!(
                    "round {}: no latency samples were taken (raise sampling.samples or sampling.max_seconds)",
                    req.round
                ),
            }
        })?,
        samples_ms: samples,
        peak_rss_mb: memory.and_then(|(mb, _)| mb),
        peak_rss_of: memory.map(|(_, of)| of),
        device: None,
        machine,
    })
}

/// Where a profile-mode round's sessions write their profiles: a private
/// temporary folder (removed with the handle) and each side's file prefix.
struct ProfileFiles {
    _dir: tempfile::TempDir,
    head: PathBuf,
    base: PathBuf,
}

fn profile_files(req: &WorkerRequest) -> Result<Option<ProfileFiles>> {
    if !req.profile {
        return Ok(None);
    }
    let dir = crate::fs::temp_dir("edgeperf-profile-")?;
    Ok(Some(ProfileFiles {
        head: dir.path().join("head"),
        base: dir.path().join("base"),
        _dir: dir,
    }))
}

/// A profiled side's profile without its cold first inference and warm-up.
fn end_profile(w: &mut Warm, warmup: u32) -> std::result::Result<ProfileSummary, String> {
    let raw = w.session.end_profile()?;
    crate::explain::profile::summarise(&raw, 1 + warmup as usize)
}

/// What a round measured on its sides before the result is put together.
struct Sides {
    head: Warm,
    samples: Vec<f64>,
    paired: Option<Round>,
    block: Option<u32>,
    profiles: Option<RoundProfiles>,
    /// What the machine did during the timed inferences.
    machine: Option<MachineState>,
}

/// Measures one round in this process. Loads the request's runtime library if
/// this process has none yet.
pub fn run_round(req: &WorkerRequest) -> Result<RoundResult> {
    let head = &req.head;
    let started_at = chrono::Utc::now();
    let library_load = load_library(req)?;
    let s = &req.sampling;
    let ds = req.dataset.as_ref();
    let files = profile_files(req)?;
    let sampler = Sampler::this_process();
    let mut m = match &req.paired {
        None => {
            let prefix = files.as_ref().map(|f| f.head.as_path());
            let mut h = warm_up(head, ds, s.warmup, library_load, prefix)?;
            let n = s.samples_per_round(h.est_ms);
            let before = sampler.read();
            let samples = h.session.time(n)?;
            let machine = sampler.between(&before, &sampler.read());
            let profiles = req.profile.then(|| RoundProfiles {
                head: end_profile(&mut h, s.warmup),
                base: None,
            });
            Sides {
                head: h,
                samples,
                paired: None,
                block: None,
                profiles,
                machine: Some(machine),
            }
        }
        Some(base_side) => paired_round(
            req,
            base_side,
            library_load,
            started_at,
            files.as_ref(),
            &sampler,
        )?,
    };
    // Memory of the process that runs the model (an external runner's, not
    // this worker's), only when it ran one session alone.
    let rss = if m.paired.is_none() {
        Some(m.head.session.peak_memory())
    } else {
        None
    };
    let h = &mut m.head;
    let accuracy = match (ds, req.accuracy && head.model.accuracy && !req.profile) {
        (Some(d), true) => Some(accuracy_pass(d, &head.model, h.session.as_mut())?),
        _ => None,
    };
    Ok(RoundResult {
        device: head.device.name.clone(),
        model: head.model.name.clone(),
        model_file: head.model.file.display().to_string(),
        model_sha256: String::new(),
        runtime: h.session.runtime().clone(),
        provider: h.session.provider().clone(),
        accelerator: h.session.accelerator(),
        input: input_name(ds)?,
        round: round_of(req, started_at, m.samples, h.cold, rss, m.machine)?,
        accuracy,
        paired: m.paired,
        block: m.block,
        profiles: m.profiles,
    })
}

/// Both sides of a confirmation (or profile) round in this process, timed in
/// alternating blocks; they must share the runtime library.
fn paired_round(
    req: &WorkerRequest,
    base_side: &PathSpec,
    library_load: f64,
    started_at: chrono::DateTime<chrono::Utc>,
    files: Option<&ProfileFiles>,
    sampler: &Sampler,
) -> Result<Sides> {
    let (head, s, ds) = (&req.head, &req.sampling, req.dataset.as_ref());
    let canon = |p: &Path| crate::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if canon(&base_side.library) != canon(&head.library) {
        return Err(Error::runtime(
            &base_side.library,
            format!(
                "cannot pair it with {} in one process (one runtime library per process)",
                head.library.display()
            ),
        ));
    }
    let (hp, bp) = match files {
        Some(f) => (Some(f.head.as_path()), Some(f.base.as_path())),
        None => (None, None),
    };
    // The first session a process creates pays one-time costs: rounds
    // alternate which side goes first.
    let (mut b, mut h) = if req.pairing.base_first {
        let b = warm_up(base_side, ds, s.warmup, library_load, bp)?;
        (b, warm_up(head, ds, s.warmup, library_load, hp)?)
    } else {
        let h = warm_up(head, ds, s.warmup, library_load, hp)?;
        (warm_up(base_side, ds, s.warmup, library_load, bp)?, h)
    };
    let before = sampler.read();
    let (a, samples, block) = alternate(&mut b, &mut h, s, &req.pairing)?;
    let machine = Some(sampler.between(&before, &sampler.read()));
    let profiles = req.profile.then(|| RoundProfiles {
        head: end_profile(&mut h, s.warmup),
        base: Some(end_profile(&mut b, s.warmup)),
    });
    let base_round = round_of(req, started_at, a, b.cold, None, machine.clone())?;
    Ok(Sides {
        head: h,
        samples,
        paired: Some(base_round),
        block: Some(block),
        profiles,
        machine,
    })
}

fn input_name(ds: Option<&Dataset>) -> Result<String> {
    match ds {
        Some(d) => Ok(crate::dataset::scan(d)?[0].rel.clone()),
        None => Ok("synthetic".into()),
    }
}

/// Block pairs a round of `sampling` holds for blocks of `len` inferences of
/// about `est_ms` each: its time budget per side over the block's duration
/// (`pairing.block_ms`, or longer when a block's inferences take longer), and
/// no more than `samples` inferences per side; at least one.
pub fn block_pairs(sampling: &Sampling, pairing: &Alternation, len: u32, est_ms: f64) -> u32 {
    let per_side_ms = sampling.max_seconds * 1e3 / sampling.rounds.max(1) as f64;
    let block_ms = if est_ms.is_finite() && est_ms > 0.0 {
        pairing.block_ms.max(len as f64 * est_ms)
    } else {
        pairing.block_ms
    };
    let by_time = (per_side_ms / block_ms).round();
    let by_samples = (sampling.samples as f64 / len.max(1) as f64).ceil();
    (by_time.min(by_samples) as u32).max(1)
}

/// Times `a` and `b` in alternating blocks (A B B A A B B A ...: each side goes
/// first equally often); each side's block holds as many inferences as fit in
/// `pairing.block_ms`. Returns both sides' samples in order and the head's block
/// length.
fn alternate(
    a: &mut Warm,
    b: &mut Warm,
    sampling: &Sampling,
    pairing: &Alternation,
) -> Result<(Vec<f64>, Vec<f64>, u32)> {
    // One block length for both sides (the slower side's), so block j of each
    // covers the same number of inferences and the per-block medians compare.
    let est = a.est_ms.max(b.est_ms);
    let len = pairing.block_len(est);
    let pairs = block_pairs(sampling, pairing, len, est);
    let (mut xa, mut xb) = (Vec::new(), Vec::new());
    for k in 0..pairs {
        if pairing.base_leads(k) {
            xa.extend(a.session.time(len)?);
            xb.extend(b.session.time(len)?);
        } else {
            xb.extend(b.session.time(len)?);
            xa.extend(a.session.time(len)?);
        }
    }
    Ok((xa, xb, len))
}

/// A lockstep worker: prepares its one session, says it is ready, then times
/// inferences on command until told to finish, and answers with the whole round.
pub fn run_lockstep(
    req: &WorkerRequest,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> Result<RoundResult> {
    let started_at = chrono::Utc::now();
    let library_load = load_library(req)?;
    let ds = req.dataset.as_ref();
    let files = profile_files(req)?;
    let prefix = files.as_ref().map(|f| f.head.as_path());
    let mut h = warm_up(&req.head, ds, req.sampling.warmup, library_load, prefix)?;
    let say = |out: &mut dyn Write, e: &LockstepEvent| -> Result<()> {
        let line = serde_json::to_string(e).map_err(|source| Error::Serialise {
            what: "a lockstep event",
            source,
        })?;
        writeln!(out, "{line}")
            .and_then(|_| out.flush())
            .map_err(Error::Output)
    };
    say(output, &LockstepEvent::Ready { est_ms: h.est_ms })?;
    let mut samples = Vec::new();
    let mut line = String::new();
    // The machine from the first block this worker times to its last.
    let sampler = Sampler::this_process();
    let mut first: Option<crate::machine::Snapshot> = None;
    let mut last = None;
    while let LockstepCommand::Time(n) = next_command(input, &mut line)? {
        first.get_or_insert_with(|| sampler.read());
        let xs = h.session.time(n)?;
        last = Some(sampler.read());
        samples.extend_from_slice(&xs);
        say(output, &LockstepEvent::Samples(xs))?;
    }
    let profiles = req.profile.then(|| RoundProfiles {
        head: end_profile(&mut h, req.sampling.warmup),
        base: None,
    });
    Ok(RoundResult {
        device: req.head.device.name.clone(),
        model: req.head.model.name.clone(),
        model_file: req.head.model.file.display().to_string(),
        model_sha256: String::new(),
        runtime: h.session.runtime().clone(),
        provider: h.session.provider().clone(),
        accelerator: h.session.accelerator(),
        input: input_name(ds)?,
        round: round_of(
            req,
            started_at,
            samples,
            h.cold,
            Some(h.session.peak_memory()),
            first.zip(last).map(|(a, b)| sampler.between(&a, &b)),
        )?,
        accuracy: None,
        paired: None,
        block: None,
        profiles,
    })
}

/// The next command the parent sends a lockstep worker (one JSON line).
fn next_command(input: &mut dyn BufRead, line: &mut String) -> Result<LockstepCommand> {
    line.clear();
    let n = input.read_line(line).map_err(|e| {
        Error::worker_protocol(format!("lockstep worker: cannot read a command: {e}"))
    })?;
    if n == 0 {
        return Err(Error::worker_protocol(
            "lockstep worker: stdin closed before `finish`",
        ));
    }
    serde_json::from_str(line.trim()).map_err(|e| {
        Error::worker_protocol(format!(
            "lockstep worker: bad command {:?}: {e}",
            line.trim()
        ))
    })
}

/// The reply a worker prints for a result.
pub fn reply(result: Result<RoundResult>) -> WorkerReply {
    match result {
        Ok(r) => WorkerReply::Ok(Box::new(r)),
        Err(e) => WorkerReply::Error {
            message: e.one_line(),
        },
    }
}

/// Top-1/top-5 over the whole dataset, keeping each image's top-5.
pub fn accuracy_pass(ds: &Dataset, model: &Model, session: &mut dyn Backend) -> Result<Accuracy> {
    let samples = crate::dataset::scan(ds)?;
    let mut outcomes = Vec::with_capacity(samples.len());
    for s in &samples {
        let x = crate::preprocess::load(&model.preprocess, &s.path)?;
        let (top5, classes) = session.classify(&x, 5)?;
        if classes != ds.num_classes as usize {
            return Err(Error::model(
                &model.file,
                format!(
                    "model output has {classes} values but dataset.num_classes = {}",
                    ds.num_classes
                ),
            ));
        }
        outcomes.push(ImageOutcome {
            image: s.rel.clone(),
            label: s.label,
            top5,
        });
    }
    Accuracy::from_outcomes(outcomes).ok_or_else(|| Error::Dataset {
        path: ds.root.clone(),
        message: "dataset holds no images".into(),
    })
}

/// The sampling of one confirmation round: `seconds_per_side` of block pairs
/// after `warmup` untimed inferences of each side.
pub fn confirmation_sampling(seconds_per_side: f64, warmup: u32) -> Sampling {
    Sampling {
        warmup,
        samples: 1_000_000,
        rounds: 1,
        max_seconds: seconds_per_side,
        min_samples: 1,
    }
}

//! One measurement round inside a worker process: load the runtime, create the
//! session(s), time one cold inference, the warm-up, then every timed inference
//! one image at a time (MLPerf SingleStream style), and on request the accuracy
//! pass over the dataset.
//!
//! The measured unit is one inference on a pre-set input, timed around the
//! runtime's call ([`Session::time`]: `PathSession::infer` for ONNX Runtime, the
//! same one the criterion benchmarks in `benches/` time, so `cargo bench` and
//! `edgeperf run` agree; LiteRT's run call; an external runner's own timing).

use std::time::Instant;

use super::protocol::{PathSpec, RoundResult, WorkerRequest, WORKER_PROTOCOL};
use super::session::{Infer, Session};
use crate::error::{Error, Result};
use crate::record::accuracy::{Accuracy, ImageOutcome};
use crate::record::{ColdStart, LatencySummary, Round};
use crate::suite::{Dataset, Model, Sampling};

/// Inferences per block when two sessions alternate in one process. Blocks, not
/// single inferences: alternating every call lets one model's cache state leak into
/// the other's timing.
pub const PAIR_BLOCK: u32 = 20;

/// The fixed input all timed inferences of a path use: the dataset's first image
/// preprocessed for the model, or a deterministic pattern without a dataset.
pub fn timing_input(dataset: Option<&Dataset>, model: &Model) -> Result<(Vec<f32>, String)> {
    if let Some(ds) = dataset {
        let samples = crate::dataset::scan(ds)?;
        let first = &samples[0];
        return Ok((model.preprocess.load(&first.path)?, first.rel.clone()));
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

/// Times `n` inferences of a runtime edgeperf loads, returning each one's milliseconds.
pub fn time_inferences<S: Infer>(session: &mut S, n: u32) -> Result<Vec<f64>> {
    super::session::time_calls(session, n)
}

/// A session ready to time, with its cold-start figures.
struct Prepared {
    session: Session,
    cold: ColdStart,
}

/// Creates a side's session, sets the timing input and times the first inference.
fn prepare(side: &PathSpec, input: &[f32], library_load: f64) -> Result<Prepared> {
    let mut session = Session::create(side)?;
    session.set_input(input)?;
    let first_inference = session.time(1)?[0];
    let cold = ColdStart {
        library_load: session.library_load_ms().unwrap_or(library_load),
        session_create: session.session_create_ms(),
        first_inference,
    };
    Ok(Prepared { session, cold })
}

/// Measures one round in this process. Loads the request's runtime library if
/// this process has none yet.
pub fn run_round(req: &WorkerRequest) -> Result<RoundResult> {
    if req.protocol != WORKER_PROTOCOL {
        return Err(Error::Usage(format!(
            "worker protocol {} requested, this edgeperf speaks {WORKER_PROTOCOL}",
            req.protocol
        )));
    }
    let head = &req.head;
    let started_at = chrono::Utc::now();
    let t0 = Instant::now();
    super::session::load_runtime(head)?;
    let library_load = t0.elapsed().as_secs_f64() * 1e3;

    let (input, input_name) = timing_input(req.dataset.as_ref(), &head.model)?;
    let mut h = prepare(head, &input, library_load)?;
    let s = &req.sampling;
    let warm = h.session.time(s.warmup)?;
    let est = crate::stats::median(&warm).unwrap_or(h.cold.first_inference);
    let n = s.samples_per_round(est);
    let round = |samples: Vec<f64>, cold: ColdStart| -> Result<Round> {
        Ok(Round {
            index: req.round,
            started_at,
            warmup: s.warmup,
            cold_start_ms: cold,
            latency_ms: LatencySummary::from_samples(&samples).ok_or_else(|| {
                Error::Usage(format!(
                    "round {}: no latency samples were taken",
                    req.round
                ))
            })?,
            samples_ms: samples,
        })
    };
    let (samples, paired) = match &req.paired {
        None => (h.session.time(n)?, None),
        Some(base_side) => {
            if base_side.library != head.library {
                return Err(Error::runtime(
                    &base_side.library,
                    format!(
                        "cannot pair it with {} in one process (one runtime library per process)",
                        head.library.display()
                    ),
                ));
            }
            let (base_input, _) = timing_input(req.dataset.as_ref(), &base_side.model)?;
            let mut b = prepare(base_side, &base_input, library_load)?;
            b.session.time(s.warmup)?;
            let (a, hs) = alternate(&mut b.session, &mut h.session, n)?;
            (hs, Some(round(a, b.cold)?))
        }
    };
    let accuracy = match (&req.dataset, req.accuracy && head.model.accuracy) {
        (Some(ds), true) => Some(accuracy_pass(ds, &head.model, &mut h.session)?),
        _ => None,
    };
    Ok(RoundResult {
        device: head.device.name.clone(),
        model: head.model.name.clone(),
        model_file: head.model.file.display().to_string(),
        model_sha256: crate::fs::sha256_file(&head.model.file)?,
        runtime: h.session.runtime(head)?,
        provider: h.session.provider().clone(),
        accelerator: h.session.accelerator(),
        input: input_name,
        round: round(samples, h.cold)?,
        accuracy,
        paired,
    })
}

/// Times `a` and `b` in alternating blocks of [`PAIR_BLOCK`] (A B B A A B B A
/// ...: each side goes first equally often) until each has `n` samples.
pub fn alternate(a: &mut Session, b: &mut Session, n: u32) -> Result<(Vec<f64>, Vec<f64>)> {
    let (mut xa, mut xb) = (Vec::new(), Vec::new());
    let mut k = 0;
    while (xb.len() as u32) < n {
        let m = PAIR_BLOCK.min(n - xb.len() as u32);
        if k % 4 == 0 || k % 4 == 3 {
            xa.extend(a.time(m)?);
            xb.extend(b.time(m)?);
        } else {
            xb.extend(b.time(m)?);
            xa.extend(a.time(m)?);
        }
        k += 1;
    }
    Ok((xa, xb))
}

/// Top-1/top-5 over the whole dataset, keeping each image's top-5.
pub fn accuracy_pass(ds: &Dataset, model: &Model, session: &mut Session) -> Result<Accuracy> {
    let samples = crate::dataset::scan(ds)?;
    let mut outcomes = Vec::with_capacity(samples.len());
    for s in &samples {
        let x = model.preprocess.load(&s.path)?;
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

/// The sampling a confirmation uses: no cap on samples, the confirmation budget.
pub fn confirmation_sampling(base: &Sampling, rounds: u32, budget_seconds: f64) -> Sampling {
    Sampling {
        warmup: base.warmup,
        samples: 1_000_000,
        rounds,
        max_seconds: budget_seconds,
        min_samples: base.min_samples,
    }
}

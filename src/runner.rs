//! Running a suite: every path is measured in rounds, each round in a fresh worker
//! process (`edgeperf __worker`), so the record carries process-to-process spread
//! (the dominant noise on small machines) and each device can load its own ONNX
//! Runtime build. Rounds are interleaved across paths (path1 r0, path2 r0, ...,
//! path1 r1, ...) so slow drift of the machine spreads over all paths.
//!
//! The measured unit is [`PathSession::infer`], the same one the criterion
//! benchmarks in `benches/` time, so `cargo bench` and `edgeperf run` agree.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::accuracy::{top_k, Accuracy, ImageOutcome};
use crate::config::{Device, Model, Sampling, Suite};
use crate::error::{Error, Result};
use crate::record::{
    ColdStart, DatasetInfo, LatencySummary, PathRecord, Round, RunRecord, SuiteInfo, Threads,
};
use crate::runtime::{PathSession, ProviderOutcome, RuntimeInfo};

/// What a worker process measures for one path.
#[derive(Debug, Clone)]
pub struct RoundSpec {
    pub round: u32,
    /// Also run the accuracy pass over the dataset.
    pub accuracy: bool,
    pub sampling: Sampling,
    /// Use this model file instead of the suite's (interleaved confirmation).
    pub model_file: Option<PathBuf>,
    /// Use this ONNX Runtime library instead of the device's.
    pub runtime: Option<PathBuf>,
    /// Also load this (base) model in the same process and time both in
    /// alternating blocks (A B B A ...): process-level state, which moves latency
    /// by tens of percent between processes on small machines, then hits both alike.
    pub paired_with: Option<PathBuf>,
}

/// Inferences per block when two sessions alternate in one process. Blocks, not
/// single inferences: alternating every call lets one model's cache state leak into
/// the other's timing.
pub const PAIR_BLOCK: u32 = 20;

/// What a worker reports back (JSON on its stdout).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundResult {
    pub device: String,
    pub model: String,
    pub model_file: String,
    pub model_sha256: String,
    pub runtime: RuntimeInfo,
    pub provider: ProviderOutcome,
    /// The image the timed inferences use (relative to the dataset root), or "synthetic".
    pub input: String,
    pub round: Round,
    pub accuracy: Option<Accuracy>,
    /// The paired (base) model's samples from the same process, when asked for.
    #[serde(default)]
    pub paired: Option<Round>,
}

/// The fixed input all timed inferences of a path use: the dataset's first image
/// preprocessed for the model, or a deterministic pattern without a dataset.
pub fn timing_input(suite: &Suite, model: &Model) -> Result<(Vec<f32>, String)> {
    if let Some(ds) = &suite.dataset {
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

/// Times `n` inferences, returning each one's milliseconds.
pub fn time_inferences(session: &mut PathSession, n: u32) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = Instant::now();
        session.infer()?;
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

/// Measures one round in this process. Loads the device's runtime if this process
/// has none yet.
pub fn run_round(
    suite: &Suite,
    device: &Device,
    model: &Model,
    spec: &RoundSpec,
) -> Result<RoundResult> {
    let mut model = model.clone();
    if let Some(f) = &spec.model_file {
        model.file = f.clone();
    }
    let started_at = chrono::Utc::now();
    let t0 = Instant::now();
    let lib = crate::runtime::library_for(device, spec.runtime.as_deref())?;
    let runtime = crate::runtime::load(&lib)?.clone();
    let library_load = t0.elapsed().as_secs_f64() * 1e3;

    let mut session = PathSession::create(device, &model)?;
    let (input, input_name) = timing_input(suite, &model)?;
    session.set_input(&input)?;
    let t = Instant::now();
    session.infer()?;
    let first_inference = t.elapsed().as_secs_f64() * 1e3;

    let s = &spec.sampling;
    let warm = time_inferences(&mut session, s.warmup)?;
    let est = if warm.is_empty() {
        first_inference
    } else {
        crate::stats::median(&warm).unwrap_or(first_inference)
    };
    let n = s.samples_per_round(est);
    let mut paired = None;
    let samples = match &spec.paired_with {
        None => time_inferences(&mut session, n)?,
        Some(base_file) => {
            let mut base_model = model.clone();
            base_model.file = base_file.clone();
            let mut base = PathSession::create(device, &base_model)?;
            base.set_input(&input)?;
            let base_first = time_inferences(&mut base, 1)?[0];
            time_inferences(&mut base, s.warmup)?;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let mut k = 0;
            while (b.len() as u32) < n {
                let m = PAIR_BLOCK.min(n - b.len() as u32);
                // A B B A A B B A ...: each side goes first equally often.
                if k % 4 == 0 || k % 4 == 3 {
                    a.extend(time_inferences(&mut base, m)?);
                    b.extend(time_inferences(&mut session, m)?);
                } else {
                    b.extend(time_inferences(&mut session, m)?);
                    a.extend(time_inferences(&mut base, m)?);
                }
                k += 1;
            }
            paired = Some(Round {
                index: spec.round,
                started_at,
                warmup: s.warmup,
                cold_start_ms: ColdStart {
                    library_load,
                    session_create: base.session_create_ms,
                    first_inference: base_first,
                },
                latency_ms: LatencySummary::from_samples(&a)
                    .ok_or_else(|| Error::Runtime("no paired samples".into()))?,
                samples_ms: a,
            });
            b
        }
    };
    let cold = ColdStart {
        library_load,
        session_create: session.session_create_ms,
        first_inference,
    };
    let latency = LatencySummary::from_samples(&samples)
        .ok_or_else(|| Error::Runtime("no latency samples were taken".into()))?;

    let accuracy = if spec.accuracy && model.accuracy {
        Some(accuracy_pass(suite, &model, &mut session)?)
    } else {
        None
    };
    Ok(RoundResult {
        device: device.name.clone(),
        model: model.name.clone(),
        model_file: model.file.display().to_string(),
        model_sha256: crate::fs::sha256_file(&model.file)?,
        runtime,
        provider: session.provider.clone(),
        input: input_name,
        round: Round {
            index: spec.round,
            started_at,
            warmup: s.warmup,
            cold_start_ms: cold,
            samples_ms: samples,
            latency_ms: latency,
        },
        accuracy,
        paired,
    })
}

/// Top-1/top-5 over the whole dataset, keeping each image's top-5.
pub fn accuracy_pass(suite: &Suite, model: &Model, session: &mut PathSession) -> Result<Accuracy> {
    let ds = suite
        .dataset
        .as_ref()
        .ok_or_else(|| Error::Other("accuracy needs a [dataset]".into()))?;
    let samples = crate::dataset::scan(ds)?;
    let mut outcomes = Vec::with_capacity(samples.len());
    for s in &samples {
        let x = model.preprocess.load(&s.path)?;
        session.set_input(&x)?;
        let logits = session.infer_logits()?;
        if logits.len() != ds.num_classes as usize {
            return Err(Error::Runtime(format!(
                "{}: model output has {} values but dataset.num_classes = {}",
                model.file.display(),
                logits.len(),
                ds.num_classes
            )));
        }
        outcomes.push(ImageOutcome {
            image: s.rel.clone(),
            label: s.label,
            top5: top_k(&logits, 5),
        });
    }
    Ok(Accuracy::from_outcomes(outcomes).expect("dataset::scan never returns an empty list"))
}

/// Runs one round in a fresh worker process (`edgeperf __worker`).
pub fn spawn_round(
    exe: &Path,
    suite: &Suite,
    device: &Device,
    model: &Model,
    spec: &RoundSpec,
) -> Result<RoundResult> {
    let mut cmd = Command::new(exe);
    cmd.arg("__worker")
        .arg("--suite")
        .arg(&suite.path)
        .args(["--device", &device.name, "--model", &model.name])
        .args(["--round", &spec.round.to_string()])
        .args(["--warmup", &spec.sampling.warmup.to_string()])
        .args(["--samples", &spec.sampling.samples.to_string()])
        .args(["--rounds", &spec.sampling.rounds.to_string()])
        .args(["--max-seconds", &spec.sampling.max_seconds.to_string()])
        .args(["--min-samples", &spec.sampling.min_samples.to_string()]);
    if spec.accuracy {
        cmd.arg("--accuracy");
    }
    if let Some(f) = &spec.model_file {
        cmd.arg("--model-file").arg(f);
    }
    if let Some(r) = &spec.runtime {
        cmd.arg("--runtime").arg(r);
    }
    if let Some(f) = &spec.paired_with {
        cmd.arg("--paired-with").arg(f);
    }
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Error::Other(format!("{}: cannot start worker: {e}", exe.display())))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let msg = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim_start_matches("error: ").to_string())
            .unwrap_or_else(|| {
                format!(
                    "worker for {}/{} died ({})",
                    device.name, model.name, out.status
                )
            });
        return Err(Error::Other(msg));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        Error::Other(format!(
            "worker for {}/{} sent a malformed result: {e}",
            device.name, model.name
        ))
    })
}

/// Progress callback: (done, total, label).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, &str);

/// Runs the selected paths of a suite and builds the record. `on_update` receives
/// the partial record after every round so callers can rewrite their output file.
pub fn run_suite(
    suite: &Suite,
    paths: &[(&Device, &Model)],
    sampling: &Sampling,
    runtime: Option<&Path>,
    progress: Progress<'_>,
    on_update: &mut dyn FnMut(&RunRecord) -> Result<()>,
) -> Result<RunRecord> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::Other(format!("cannot locate the edgeperf executable: {e}")))?;
    let suite_dir = suite.dir();
    let environment = crate::env::Environment::capture(suite_dir);
    let needs_dataset = paths.iter().any(|(_, m)| m.accuracy);
    let dataset = match (&suite.dataset, needs_dataset) {
        (Some(ds), true) => {
            let samples = crate::dataset::scan(ds)?;
            Some(DatasetInfo {
                root: ds.root.display().to_string(),
                images: samples.len(),
                fingerprint: crate::dataset::fingerprint(&samples)?,
            })
        }
        _ => None,
    };
    let mut record = RunRecord {
        schema_version: crate::record::RECORD_SCHEMA_VERSION,
        complete: false,
        environment,
        suite: SuiteInfo {
            file: suite.path.display().to_string(),
            sha256: suite.sha256.clone(),
        },
        sampling: sampling.clone(),
        dataset,
        paths: Vec::new(),
    };
    let mut results: Vec<Vec<RoundResult>> = vec![Vec::new(); paths.len()];
    let total = paths.len() * sampling.rounds as usize;
    let mut done = 0;
    for round in 0..sampling.rounds {
        for (i, (device, model)) in paths.iter().enumerate() {
            progress(
                done,
                total,
                &format!(
                    "{}/{} round {}/{}",
                    device.name,
                    model.name,
                    round + 1,
                    sampling.rounds
                ),
            );
            let spec = RoundSpec {
                round,
                accuracy: round == 0 && model.accuracy,
                sampling: sampling.clone(),
                model_file: None,
                runtime: runtime.map(Path::to_path_buf),
                paired_with: None,
            };
            let r = spawn_round(&exe, suite, device, model, &spec)?;
            results[i].push(r);
            done += 1;
            record.paths = assemble(paths, &results);
            on_update(&record)?;
        }
    }
    progress(done, total, "done");
    record.complete = true;
    on_update(&record)?;
    Ok(record)
}

/// Builds path records from the rounds gathered so far.
pub fn assemble(paths: &[(&Device, &Model)], results: &[Vec<RoundResult>]) -> Vec<PathRecord> {
    paths
        .iter()
        .zip(results)
        .filter(|(_, rs)| !rs.is_empty())
        .map(|((device, _), rs)| path_record(device, rs))
        .collect()
}

/// Merges a path's rounds into its record (pooled latency summary, median cold start).
pub fn path_record(device: &Device, rs: &[RoundResult]) -> PathRecord {
    let first = &rs[0];
    let pooled: Vec<f64> = rs
        .iter()
        .flat_map(|r| r.round.samples_ms.iter().copied())
        .collect();
    let latency = LatencySummary::from_samples(&pooled).expect("rounds always hold samples");
    let med = |f: fn(&ColdStart) -> f64| {
        crate::stats::median(
            &rs.iter()
                .map(|r| f(&r.round.cold_start_ms))
                .collect::<Vec<_>>(),
        )
        .unwrap_or(f64::NAN)
    };
    PathRecord {
        device: first.device.clone(),
        model: first.model.clone(),
        model_file: first.model_file.clone(),
        model_sha256: first.model_sha256.clone(),
        provider_requested: first.provider.requested,
        provider_ran: first.provider.ran,
        fallback_reason: first.provider.fallback_reason.clone(),
        threads: Threads {
            intra: device.intra_threads,
            inter: device.inter_threads,
        },
        runtime: first.runtime.clone(),
        fps: if latency.mean > 0.0 {
            1000.0 / latency.mean
        } else {
            0.0
        },
        latency_ms: latency,
        cold_start_ms: ColdStart {
            library_load: med(|c| c.library_load),
            session_create: med(|c| c.session_create),
            first_inference: med(|c| c.first_inference),
        },
        rounds: rs.iter().map(|r| r.round.clone()).collect(),
        accuracy: rs.iter().find_map(|r| r.accuracy.clone()),
    }
}

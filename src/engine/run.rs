//! Running a suite's paths: every path is measured in rounds, each round in a
//! fresh worker process, and the rounds are interleaved across paths (path1 r0,
//! path2 r0, ..., path1 r1, ...) so slow drift of the machine spreads over all
//! paths. The record is handed to the caller after every round so a crash keeps
//! the rounds measured so far.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::protocol::{PathSpec, RoundResult, WorkerRequest, WORKER_PROTOCOL};
use super::spawn::spawn_round;
use crate::error::{Error, Result};
use crate::record::{
    ColdStart, DatasetInfo, LatencySummary, PathRecord, RunRecord, Subset, SuiteInfo, Threads,
};
use crate::suite::{Device, Model, Sampling, Suite};

/// Progress callback: (done, total, label).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, &str);

/// The edgeperf executable that worker processes run.
pub fn current_exe() -> Result<PathBuf> {
    std::env::current_exe().map_err(Error::Executable)
}

/// A path's side as a worker runs it: the device with its runtime library resolved
/// (`session::library_for`) and the model's file in the device's format.
pub fn path_spec(device: &Device, model: &Model, runtime: Option<&Path>) -> Result<PathSpec> {
    Ok(PathSpec {
        device: device.clone(),
        model: model.for_device(device)?,
        library: super::session::library_for(device, runtime)?,
    })
}

/// Runs the selected paths of a suite and builds the record. `on_update` receives
/// the partial record after every round so callers can rewrite their output file;
/// when a round fails after others were measured (a worker error, death by a
/// signal or past its time limit, Ctrl-C) it receives the record once more with
/// `complete: false` and `incomplete_reason` set, and the error is returned.
pub fn run_suite(
    suite: &Suite,
    paths: &[(&Device, &Model)],
    sampling: &Sampling,
    runtime: Option<&Path>,
    progress: Progress<'_>,
    on_update: &mut dyn FnMut(&RunRecord) -> Result<()>,
) -> Result<RunRecord> {
    let exe = current_exe()?;
    let specs = paths
        .iter()
        .map(|(d, m)| path_spec(d, m, runtime))
        .collect::<Result<Vec<_>>>()?;
    let sha = file_hashes(&specs)?;
    let dataset = dataset_info(suite, paths)?;
    let mut record = RunRecord {
        schema_version: crate::record::RECORD_SCHEMA_VERSION,
        complete: false,
        incomplete_reason: None,
        environment: crate::env::capture(suite.dir()),
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
    let mut rounds = || -> Result<()> {
        for round in 0..sampling.rounds {
            for (i, spec) in specs.iter().enumerate() {
                let label = format!(
                    "{}/{} round {}/{}",
                    spec.device.name,
                    spec.model.name,
                    round + 1,
                    sampling.rounds
                );
                progress(done, total, &label);
                let req = WorkerRequest {
                    protocol: WORKER_PROTOCOL,
                    round,
                    sampling: sampling.clone(),
                    accuracy: round == 0 && spec.model.accuracy,
                    dataset: suite.dataset.clone(),
                    head: spec.clone(),
                    paired: None,
                    pairing: Default::default(),
                    lockstep: false,
                    profile: false,
                };
                let mut r = spawn_round(&exe, &req)?;
                r.runtime.sha256 = sha.get(&spec.library).cloned();
                r.model_sha256 = sha.get(&spec.model.file).cloned().unwrap_or_default();
                results[i].push(r);
                done += 1;
                record.paths = assemble(paths, &results);
                on_update(&record)?;
            }
        }
        progress(done, total, "done");
        Ok(())
    };
    if let Err(e) = rounds() {
        // Once a round is on disk, the record says why it ends here; the first
        // error is the one reported, whatever this write does.
        if !record.paths.is_empty() {
            record.incomplete_reason = Some(e.one_line());
            let _ = on_update(&record);
        }
        return Err(e);
    }
    record.complete = true;
    on_update(&record)?;
    Ok(record)
}

/// The SHA-256 of every library and model file the paths run (those that
/// exist): which library build and which model bytes ran, whatever their paths.
/// Each file is hashed once per run, here rather than in every round's worker.
fn file_hashes(specs: &[PathSpec]) -> Result<BTreeMap<PathBuf, String>> {
    let mut sha = BTreeMap::new();
    for s in specs {
        for f in [&s.library, &s.model.file] {
            if !sha.contains_key(f) && crate::fs::exists(f) {
                sha.insert(f.clone(), crate::fs::sha256_file(f)?);
            }
        }
    }
    Ok(sha)
}

/// The dataset as recorded (root, images, fingerprint) when a path measures
/// accuracy; its class names are checked first.
pub fn dataset_info(suite: &Suite, paths: &[(&Device, &Model)]) -> Result<Option<DatasetInfo>> {
    let ds = match &suite.dataset {
        Some(ds) if paths.iter().any(|(_, m)| m.accuracy) => ds,
        _ => return Ok(None),
    };
    if let Some(classes) = &ds.classes {
        check_class_names(classes, ds.num_classes)?;
    }
    let all = crate::dataset::scan_all(ds)?;
    let subset = ds.limit.map(|limit| Subset {
        limit,
        seed: ds.seed,
        of_images: all.len(),
        classes: all
            .iter()
            .map(|s| s.label)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
    });
    let samples = match ds.limit {
        Some(limit) => crate::dataset::stratified(all, limit, ds.seed),
        None => all,
    };
    Ok(Some(DatasetInfo {
        root: ds.root.display().to_string(),
        images: samples.len(),
        fingerprint: crate::dataset::fingerprint(&samples)?,
        images_sha256: Some(crate::dataset::list_hash(&samples)),
        subset,
    }))
}

/// The suite's `dataset.classes` must be a JSON array of exactly `num_classes`
/// names: a wrong file (the labels of another dataset) is caught before any
/// round runs.
fn check_class_names(path: &Path, num_classes: u32) -> Result<()> {
    let names = crate::dataset::class_names(path)?;
    if names.len() != num_classes as usize {
        return Err(Error::Dataset {
            path: path.to_path_buf(),
            message: format!(
                "holds {} class names but dataset.num_classes = {num_classes} (dataset.classes)",
                names.len()
            ),
        });
    }
    Ok(())
}

/// Builds path records from the rounds gathered so far.
pub fn assemble(paths: &[(&Device, &Model)], results: &[Vec<RoundResult>]) -> Vec<PathRecord> {
    paths
        .iter()
        .zip(results)
        .filter_map(|((device, _), rs)| path_record(device, rs))
        .collect()
}

/// Merges a path's rounds into its record (pooled latency summary, median cold
/// start); `None` before its first round.
pub fn path_record(device: &Device, rs: &[RoundResult]) -> Option<PathRecord> {
    let first = rs.first()?;
    let pooled: Vec<f64> = rs
        .iter()
        .flat_map(|r| r.round.samples_ms.iter().copied())
        .collect();
    let latency = LatencySummary::from_samples(&pooled)?;
    let med = |f: fn(&ColdStart) -> f64| {
        crate::stats::median(
            &rs.iter()
                .map(|r| f(&r.round.cold_start_ms))
                .collect::<Vec<_>>(),
        )
        .unwrap_or(f64::NAN)
    };
    Some(PathRecord {
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
        accelerator: first.accelerator.clone(),
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
        peak_rss_mb: crate::stats::median(
            &rs.iter()
                .filter_map(|r| r.round.peak_rss_mb)
                .collect::<Vec<_>>(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::backend::ProviderOutcome;
    use crate::suite::Provider;

    fn round(cold_ms: f64, samples: Vec<f64>, acc: bool) -> RoundResult {
        let p = crate::fixtures::path_record(
            "cpu",
            "m",
            Provider::Cpu,
            &[samples],
            acc.then_some(&[true, false][..]),
        );
        let mut r = p.rounds[0].clone();
        r.cold_start_ms.session_create = cold_ms;
        RoundResult {
            device: "cpu".into(),
            model: "m".into(),
            model_file: p.model_file,
            model_sha256: p.model_sha256,
            runtime: p.runtime,
            provider: ProviderOutcome {
                requested: Provider::Openvino,
                ran: Provider::Cpu,
                fallback_reason: Some("no plugin".into()),
            },
            accelerator: None,
            input: "0/a.jpg".into(),
            round: r,
            accuracy: p.accuracy,
            paired: None,
            block: None,
            profiles: None,
        }
    }

    #[test]
    fn a_path_record_pools_its_rounds_and_takes_the_median_cold_start() {
        let s = crate::suite::Suite::parse(
            Path::new("s.toml"),
            "[[device]]\nname = \"cpu\"\nintra_threads = 2\n[[model]]\nname = \"m\"\nfile = \"m.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n",
            Path::new("."),
        )
        .unwrap();
        let d = &s.devices[0];
        assert!(path_record(d, &[]).is_none());
        let rs = vec![
            round(100.0, vec![1.0, 2.0], true),
            round(300.0, vec![3.0], false),
            round(200.0, vec![4.0, 5.0], false),
        ];
        let p = path_record(d, &rs).unwrap();
        assert_eq!(p.latency_ms.n, 5);
        assert_eq!(p.latency_ms.p50, 3.0);
        assert_eq!(p.cold_start_ms.session_create, 200.0);
        assert_eq!(p.threads, Threads { intra: 2, inter: 1 });
        assert_eq!(p.provider_ran, Provider::Cpu);
        assert_eq!(p.fallback_reason.as_deref(), Some("no plugin"));
        assert_eq!(p.accuracy.unwrap().images, 2);
        assert!((p.fps - 1000.0 / 3.0).abs() < 1e-9);
        let paths = [(d, &s.models[0]), (d, &s.models[0])];
        let partial = assemble(&paths, &[rs, vec![]]);
        assert_eq!(partial.len(), 1, "a path without rounds yet is left out");
    }
}

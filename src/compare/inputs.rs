//! Nothing to measure when nothing changed: a path whose every input is
//! byte-identical between the base and the head cannot have changed its
//! latency or accuracy, so it is reported "identical: not re-measured"
//! (never "unchanged", which is a measured claim) and costs no time.
//!
//! The inputs of a path: the model's bytes (sha256), the suite's device entry
//! (provider, its options, threads, runtime path) and model entry (file,
//! input, preprocessing, accuracy), the runtime library's bytes (sha256), the
//! dataset's images (its fingerprint: every image's path and content) and the
//! edgeperf version. The base's are the base commit's device and model entries
//! and model blob, and what its baseline recorded (model, library, dataset,
//! version); the test is strict: any input that differs or is unknown on
//! either side means the path is measured.

use super::{side_of_baseline, LatencyResult, PathComparison, PathStatus, Side, Verdict};
use crate::record::baseline::Baseline;
use crate::suite::{Device, Model};

/// What the head's path is made of, as it is on disk now.
#[derive(Debug, Clone, PartialEq)]
pub struct PathInputs {
    pub model_sha256: String,
    /// The device entry and the model entry in the device's format.
    pub device: Device,
    pub model: Model,
    /// The runtime library's sha256 (`None`: not a file, e.g. a runner on PATH).
    pub runtime_sha256: Option<String>,
    /// `dataset::fingerprint` of the suite's photos (`None`: no dataset).
    pub dataset_fingerprint: Option<String>,
    pub edgeperf_version: String,
}

/// The base commit's part of a path's inputs (the rest is its baseline's).
#[derive(Debug, Clone, PartialEq)]
pub struct BaseInputs {
    pub device: Device,
    pub model: Model,
    /// The sha256 of the model bytes git holds at the base commit (an LFS
    /// object id), `None` when git does not track the model there.
    pub model_blob_sha256: Option<String>,
}

/// Every input in which the head differs from the base (empty: identical).
pub fn differences(head: &PathInputs, base: &BaseInputs, baseline: &Baseline) -> Vec<String> {
    let mut d = Vec::new();
    let model_base = base.model_blob_sha256.as_deref();
    if head.model_sha256 != baseline.model_sha256
        || model_base.is_some_and(|b| b != head.model_sha256)
    {
        d.push("model bytes".to_string());
    }
    if head.device != base.device {
        d.push("device entry".into());
    }
    if head.model != base.model {
        d.push("model entry".into());
    }
    match (&head.runtime_sha256, &baseline.runtime.sha256) {
        (Some(h), Some(b)) if h == b => {}
        _ => d.push("runtime library".into()),
    }
    if head.dataset_fingerprint != baseline.dataset_fingerprint {
        d.push("dataset".into());
    }
    if head.edgeperf_version != baseline.edgeperf_version {
        d.push("edgeperf version".into());
    }
    d
}

/// The comparison of a path whose inputs are all identical to the base's: not
/// measured, so the head side has no figures of its own (`null` in JSON).
pub fn identical_path(
    head: &PathInputs,
    baseline: &Baseline,
    head_commit: Option<String>,
) -> PathComparison {
    let reason = format!(
        "identical: not re-measured; model sha256 {}, the device and model entries, the runtime library sha256 {}, {} and edgeperf {} are the base's",
        super::short_hash(&head.model_sha256),
        head.runtime_sha256
            .as_deref()
            .map(super::short_hash)
            .unwrap_or("-"),
        if head.dataset_fingerprint.is_some() {
            "the dataset"
        } else {
            "no dataset"
        },
        head.edgeperf_version
    );
    PathComparison {
        device: baseline.device.clone(),
        model: baseline.model.clone(),
        status: PathStatus::Identical,
        base: Some(side_of_baseline(baseline)),
        head: Side {
            p50: f64::NAN,
            p90: f64::NAN,
            p99: f64::NAN,
            top1: None,
            top5: None,
            provider_ran: head.device.provider,
            runtime_version: baseline.runtime.version.clone(),
            commit: head_commit,
        },
        latency: Some(LatencyResult {
            verdict: Verdict::Identical,
            statistic: "not measured".into(),
            screen: None,
            confirmation: None,
            change: f64::NAN,
            ci: [f64::NAN; 2],
            reason,
            leaning: None,
        }),
        accuracy: None,
        guards: vec![],
        notes: vec![],
        resources: vec![],
        explanation: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{path_record, run_record, BASE_COMMIT};
    use crate::suite::Provider;

    fn fixture() -> (PathInputs, BaseInputs, Baseline) {
        let suite = crate::suite::Suite::parse(
            std::path::Path::new("s.toml"),
            "[[device]]\nname = \"cpu\"\nruntime = \"lib.so\"\n[[model]]\nname = \"m\"\nfile = \"m.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n",
            std::path::Path::new("/x"),
        )
        .unwrap();
        let p = path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let run = run_record(vec![p.clone()], BASE_COMMIT, true);
        let mut b = Baseline::from_path(&run, &p);
        b.runtime.sha256 = Some("11".repeat(32));
        b.dataset_fingerprint = Some("ds".into());
        let head = PathInputs {
            model_sha256: b.model_sha256.clone(),
            device: suite.devices[0].clone(),
            model: suite.models[0].clone(),
            runtime_sha256: b.runtime.sha256.clone(),
            dataset_fingerprint: Some("ds".into()),
            edgeperf_version: b.edgeperf_version.clone(),
        };
        let base = BaseInputs {
            device: suite.devices[0].clone(),
            model: suite.models[0].clone(),
            model_blob_sha256: Some(b.model_sha256.clone()),
        };
        (head, base, b)
    }

    #[test]
    fn a_path_is_identical_only_when_every_input_is() {
        let (head, base, b) = fixture();
        assert!(differences(&head, &base, &b).is_empty());
        let c = identical_path(&head, &b, Some("c".into()));
        assert_eq!(c.status, PathStatus::Identical);
        let l = c.latency.unwrap();
        assert_eq!(l.verdict, Verdict::Identical);
        assert!(
            l.reason.starts_with("identical: not re-measured"),
            "{}",
            l.reason
        );
        assert!(
            c.head.p50.is_nan() && c.head.top1.is_none(),
            "nothing measured"
        );
        let changed = |f: &dyn Fn(&mut PathInputs, &mut BaseInputs, &mut Baseline)| {
            let (mut h, mut bi, mut b) = fixture();
            f(&mut h, &mut bi, &mut b);
            differences(&h, &bi, &b)
        };
        assert_eq!(
            changed(&|h, _, _| h.model_sha256 = "ff".into()),
            ["model bytes"]
        );
        assert_eq!(
            changed(&|_, bi, _| bi.model_blob_sha256 = Some("ee".into())),
            ["model bytes"],
            "the base commit's blob differs from what the baseline measured"
        );
        assert_eq!(
            changed(&|h, _, _| h.device.intra_threads = 2),
            ["device entry"]
        );
        assert_eq!(changed(&|h, _, _| h.model.accuracy = true), ["model entry"]);
        let other = crate::suite::Suite::parse(
            std::path::Path::new("s.toml"),
            "[[device]]\nname = \"cpu\"\nruntime = \"lib.so\"\n[[model]]\nname = \"m\"\nfile = \"m.onnx\"\naccuracy = false\npreprocess = { resize = 9, crop = 8 }\n",
            std::path::Path::new("/x"),
        )
        .unwrap();
        let resized = other.models[0].clone();
        assert_eq!(
            changed(&|h, _, _| h.model = resized.clone()),
            ["model entry"],
            "preprocessing is part of the model entry"
        );
        assert_eq!(
            changed(&|h, _, _| h.runtime_sha256 = None),
            ["runtime library"]
        );
        assert_eq!(
            changed(&|_, _, b| b.runtime.sha256 = None),
            ["runtime library"]
        );
        assert_eq!(
            changed(&|h, _, _| h.dataset_fingerprint = None),
            ["dataset"]
        );
        assert_eq!(
            changed(&|h, _, _| h.edgeperf_version = "9.9.9".into()),
            ["edgeperf version"]
        );
        // An untracked model: the baseline's bytes are the base's.
        assert!(changed(&|_, bi, _| bi.model_blob_sha256 = None).is_empty());
    }
}

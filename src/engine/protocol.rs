//! The worker protocol: what `edgeperf` asks a measurement worker process
//! (`edgeperf __worker`) to do, and what the worker answers. One type each way,
//! serialised as JSON: the request on the worker's stdin, the reply as one JSON
//! document on its stdout. The request carries everything the worker needs (the
//! resolved device, model, dataset and sampling), so the worker reads no suite.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::backend::ProviderOutcome;
use crate::explain::profile::ProfileSummary;
use crate::record::accuracy::Accuracy;
use crate::record::{Round, RuntimeInfo};
use crate::suite::{Dataset, Device, Model, Sampling};

/// Version of the request/reply shapes; a worker refuses any other.
pub const WORKER_PROTOCOL: u32 = 1;

/// One side of a measurement: a device (with its runtime library resolved) and a model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathSpec {
    pub device: Device,
    pub model: Model,
    /// The runtime library this side runs on (an external runner: its program).
    pub library: PathBuf,
}

/// What a worker measures in one round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerRequest {
    pub protocol: u32,
    /// Round index (recorded, and named in errors).
    pub round: u32,
    pub sampling: Sampling,
    /// Also run the accuracy pass over the dataset.
    pub accuracy: bool,
    /// The photos: the first one is the timing input; all of them for accuracy.
    pub dataset: Option<Dataset>,
    /// The path measured.
    pub head: PathSpec,
    /// A second path (the base side of a confirmation) loaded in the same process
    /// and timed in alternating blocks (A B B A ...): the machine's state, which
    /// moves latency by tens of percent within seconds on small shared machines,
    /// then hits both alike. It must run on the same library as `head`.
    pub paired: Option<PathSpec>,
    /// How the timed inferences are grouped when two sides alternate.
    #[serde(default)]
    pub pairing: Alternation,
    /// Lockstep mode: after its warm-up the worker answers timing commands on
    /// stdin one JSON line at a time (see [`LockstepCommand`]), so that two worker
    /// processes on different runtime libraries can alternate in blocks.
    #[serde(default)]
    pub lockstep: bool,
    /// Profile mode (`edgeperf explain`): the sessions are created with the
    /// runtime's own per-operator profiler on, timed exactly as a confirmation
    /// round times them, and the reply carries each side's profile
    /// ([`RoundResult::profiles`]); its timings judge nothing.
    #[serde(default)]
    pub profile: bool,
}

/// How the two sides of a paired round alternate: in blocks, which side first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Alternation {
    /// Target duration of one block of inferences, milliseconds: a block holds
    /// as many inferences as fit (at least one), so slow and fast models alike
    /// alternate a few times per second.
    pub block_ms: f64,
    /// Create the paired (base) session before the head's, and start the
    /// round's block pattern with the base ([`Alternation::base_leads`]).
    /// Rounds alternate it: the first session a process creates pays one-time
    /// costs, and a block that follows a block of its own side runs on warmer
    /// caches, so a fixed order favours one side.
    pub base_first: bool,
    /// Inferences at the start of each block the statistic leaves out: every
    /// block holds at least one more than this.
    #[serde(default)]
    pub discard: u32,
}

impl Alternation {
    /// Whether the base's block comes first in block pair `k` of a round: the
    /// pairs go AB BA BA AB (drift within a round hits both sides alike),
    /// mirrored when the head leads. Over a round of `base_first` and one of
    /// not, each side follows itself equally often.
    pub fn base_leads(&self, k: u32) -> bool {
        (k.is_multiple_of(4) || k % 4 == 3) == self.base_first
    }
}

impl Default for Alternation {
    fn default() -> Self {
        Alternation {
            block_ms: 150.0,
            base_first: true,
            discard: 0,
        }
    }
}

impl Alternation {
    /// Inferences per block for a side whose inference takes `est_ms`: as
    /// many as fit in `block_ms`, at least `discard + 1`.
    pub fn block_len(&self, est_ms: f64) -> u32 {
        let fit = if est_ms.is_finite() && est_ms > 0.0 {
            (self.block_ms / est_ms).round() as u32
        } else {
            1
        };
        fit.clamp(self.discard.saturating_add(1).min(1000), 1000)
    }
}

/// A command to a lockstep worker (one JSON line on its stdin).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum LockstepCommand {
    /// Time this many inferences and answer [`LockstepEvent::Samples`].
    Time(u32),
    /// Stop: answer with the whole round as a [`WorkerReply`].
    Finish,
}

/// A lockstep worker's line on stdout before its final reply.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum LockstepEvent {
    /// The session is created and warm; `est_ms` is its warm-up median.
    Ready { est_ms: f64 },
    /// The milliseconds of the inferences just timed.
    Samples(Vec<f64>),
}

/// What a worker measured in one round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundResult {
    pub device: String,
    pub model: String,
    pub model_file: String,
    /// SHA-256 of the model file: left empty by the worker and filled by the
    /// parent, which hashes each file once per run (as `runtime.sha256`), not once
    /// per round (a 100 MB model costs ~0.5 s to hash).
    #[serde(default)]
    pub model_sha256: String,
    pub runtime: RuntimeInfo,
    pub provider: ProviderOutcome,
    /// What really ran, in the runtime's words (LiteRT, external runners).
    #[serde(default)]
    pub accelerator: Option<String>,
    /// The image the timed inferences use (relative to the dataset root), or "synthetic".
    pub input: String,
    pub round: Round,
    pub accuracy: Option<Accuracy>,
    /// The paired (base) side's samples from the same process, when asked for.
    #[serde(default)]
    pub paired: Option<Round>,
    /// Inferences per block when two sides alternated (block `j` of one side
    /// was timed next to block `j` of the other).
    #[serde(default)]
    pub block: Option<u32>,
    /// Each side's profile in profile mode, or why the runtime gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<RoundProfiles>,
}

/// The profiles of a profile-mode round (after the cold first inference and
/// the warm-up), or why each could not be had.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundProfiles {
    pub head: Result<ProfileSummary, String>,
    /// The paired (base) side's, when there was one.
    pub base: Option<Result<ProfileSummary, String>>,
}

/// The worker's answer: its measurement, or its error as one line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerReply {
    Ok(Box<RoundResult>),
    Error { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SUITE: &str = r#"
[dataset]
root = "photos"
[[device]]
name = "ov"
provider = "openvino"
intra_threads = 2
options = { device_type = "CPU" }
[[model]]
name = "lite0"
file = "m.onnx"
input = "images"
preprocess = { resize = 256, crop = 224, interpolation = "bicubic", divisor = 1, mean = [127, 127, 127], std = [128, 128, 128], layout = "nhwc", channels = "bgr" }
"#;

    #[test]
    fn a_request_survives_the_trip_to_the_worker_unchanged() {
        let s = crate::suite::Suite::parse(Path::new("s.toml"), SUITE, Path::new("/x")).unwrap();
        let side = PathSpec {
            device: s.devices[0].clone(),
            model: s.models[0].clone(),
            library: "/lib/libonnxruntime.so".into(),
        };
        let req = WorkerRequest {
            protocol: WORKER_PROTOCOL,
            round: 3,
            sampling: s.sampling.clone(),
            accuracy: true,
            dataset: s.dataset.clone(),
            head: side.clone(),
            paired: Some(side),
            pairing: Alternation::default(),
            lockstep: false,
            profile: false,
        };
        let json = serde_json::to_string(&req).unwrap();
        let back: WorkerRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back.head, req.head);
        assert_eq!(back.paired, req.paired);
        assert_eq!(back.dataset, req.dataset);
        assert_eq!(back.head.model.preprocess, s.models[0].preprocess);
        assert_eq!(back.head.device.options["device_type"], "CPU");
    }

    #[test]
    fn an_invalid_model_in_a_request_is_refused_by_name() {
        let bad = r#"{"name": "m", "file": "m.onnx", "preprocess": {"resize": 10, "crop": 20}}"#;
        let e = serde_json::from_str::<crate::suite::Model>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("model \"m\"") && e.contains("resize"), "{e}");
    }

    #[test]
    fn a_request_without_the_profile_flag_never_profiles() {
        // What the timed rounds send: `profile` is false unless asked for.
        let s = crate::suite::Suite::parse(Path::new("s.toml"), SUITE, Path::new("/x")).unwrap();
        let side = PathSpec {
            device: s.devices[0].clone(),
            model: s.models[0].clone(),
            library: "/lib/libonnxruntime.so".into(),
        };
        let req = WorkerRequest {
            protocol: WORKER_PROTOCOL,
            round: 0,
            sampling: s.sampling.clone(),
            accuracy: false,
            dataset: None,
            head: side,
            paired: None,
            pairing: Alternation::default(),
            lockstep: false,
            profile: false,
        };
        let mut v = serde_json::to_value(&req).unwrap();
        v.as_object_mut().unwrap().remove("profile");
        let back: WorkerRequest = serde_json::from_value(v).unwrap();
        assert!(!back.profile);
    }

    #[test]
    fn replies_are_tagged() {
        let r = WorkerReply::Error {
            message: "boom".into(),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"error":{"message":"boom"}}"#
        );
    }

    #[test]
    fn two_rounds_of_either_lead_give_each_side_the_same_warm_blocks() {
        // The blocks of a round in the order they run (true = base) and how
        // many follow a block of their own side, for every length of round.
        let follows_itself = |base_first: bool, pairs: u32| {
            let a = Alternation {
                base_first,
                ..Alternation::default()
            };
            let order: Vec<bool> = (0..pairs)
                .flat_map(|k| {
                    let b = a.base_leads(k);
                    [b, !b]
                })
                .collect();
            let (mut base, mut head) = (0, 0);
            for w in order.windows(2).filter(|w| w[0] == w[1]) {
                if w[1] {
                    base += 1
                } else {
                    head += 1
                }
            }
            (base, head)
        };
        for pairs in 1..40 {
            let (b1, h1) = follows_itself(true, pairs);
            let (b2, h2) = follows_itself(false, pairs);
            assert_eq!(b1 + b2, h1 + h2, "{pairs} block pairs");
        }
        // A single round of 7 pairs is not balanced by itself (the bias the
        // alternation removes): the head follows itself twice, the base once.
        assert_eq!(follows_itself(true, 7), (1, 2));
    }
}

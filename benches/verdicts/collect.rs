//! Measuring: the kinds of change a pull request makes, the competing
//! processes of a load condition, and confirmation rounds measured exactly as
//! `edgeperf compare` measures them (one worker holding both sessions, or two
//! workers in lockstep when the runtime libraries differ).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use edgeperf::engine::measure::confirmation_sampling;
use edgeperf::engine::run::path_spec;
use edgeperf::engine::{Alternation, PathSpec, RoundResult, WorkerRequest, WORKER_PROTOCOL};
use edgeperf::suite::{CompareConfig, Sampling, Suite};

use super::data::{KindData, RoundData};

/// One kind of change: its base and head sides.
pub struct Kind {
    pub name: &'static str,
    pub base: PathSpec,
    pub head: PathSpec,
    pub lockstep: bool,
    pub expect: &'static str,
}

/// Where the slower model variants are (built by scripts/measure-verdicts.sh
/// with scripts/assets/slow_variant.py; +5% and +11% come with the set-up).
fn variant(name: &str) -> PathBuf {
    for dir in [".edgeperf/models", ".edgeperf/verdicts"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is missing: scripts/measure-verdicts.sh builds it (or scripts/setup-assets.sh)")
}

/// Every kind of change, on mobilenet_v2 (`cpu`: 1 thread, ONNX Runtime 1.31.1).
pub fn kinds(suite: &Suite) -> Vec<Kind> {
    let cpu = suite.device("cpu").expect("cpu device");
    let ov = suite.device("openvino-cpu").expect("openvino-cpu device");
    let model = suite.model("mobilenet_v2").expect("mobilenet_v2");
    let a = path_spec(cpu, model, None).expect("cpu runtime");
    let ov_a = path_spec(ov, model, None).expect("openvino runtime");
    let with = |file: &str| {
        let mut s = a.clone();
        s.model.file = variant(file);
        s
    };
    let threads = |n: usize| {
        let mut s = a.clone();
        s.device.intra_threads = n;
        s
    };
    let ov_threads = |n: &str| {
        let mut s = ov_a.clone();
        s.device.options.insert("num_of_threads".into(), n.into());
        s
    };
    let mut runtime_b = a.clone();
    runtime_b.library = ov.runtime.clone().expect("openvino-cpu names its library");
    let k = |name, base: &PathSpec, head: PathSpec, lockstep, expect| Kind {
        name,
        base: base.clone(),
        head,
        lockstep,
        expect,
    };
    vec![
        k("no change", &a, a.clone(), false, "none"),
        k(
            "no change, model bytes in another file",
            &a,
            model_copy(&a),
            false,
            "none",
        ),
        k("no change, across processes", &a, a.clone(), true, "none"),
        k(
            "model +3%",
            &a,
            with("mobilenet_v2_slow3.onnx"),
            false,
            "boundary",
        ),
        k(
            "model +5%",
            &a,
            with("mobilenet_v2_slow5.onnx"),
            false,
            "regressed",
        ),
        k(
            "model +11%",
            &a,
            with("mobilenet_v2_slow11.onnx"),
            false,
            "regressed",
        ),
        k(
            "model +18%",
            &a,
            with("mobilenet_v2_slow18.onnx"),
            false,
            "regressed",
        ),
        k(
            "threads 2 -> 1",
            &threads(2),
            threads(1),
            false,
            "regressed",
        ),
        k("threads 1 -> 2", &threads(1), threads(2), false, "improved"),
        k(
            "OpenVINO num_of_threads 2 -> 1",
            &ov_threads("2"),
            ov_threads("1"),
            false,
            "regressed",
        ),
        k("runtime 1.31.1 -> 1.24.1", &a, runtime_b, true, "small"),
    ]
}

/// The grid's kinds: no change and +5%, on mobilenet_v2.
pub fn grid_kinds(suite: &Suite) -> Vec<Kind> {
    kinds(suite)
        .into_iter()
        .filter(|k| k.name == "no change" || k.name == "model +5%")
        .collect()
}

/// `a` with its model bytes copied to another file, as when the base model
/// comes from a git blob or the artifact store.
fn model_copy(a: &PathSpec) -> PathSpec {
    let copy = PathBuf::from(".edgeperf/verdicts/mobilenet_v2-copy.onnx");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&a.model.file, &copy).expect("copy the model");
    let mut s = a.clone();
    s.model.file = copy;
    s
}

/// The kinds whose name contains `EDGEPERF_VERDICTS_ONLY` (all without it).
pub fn selected(ks: Vec<Kind>) -> Vec<Kind> {
    match std::env::var("EDGEPERF_VERDICTS_ONLY") {
        Ok(only) => ks
            .into_iter()
            .filter(|k| only.split(',').any(|o| k.name.contains(o.trim())))
            .collect(),
        Err(_) => ks,
    }
}

/// Competing inference processes that run while they are alive: a worker
/// timing efficientnet_lite0 without end, pinned to a core with `taskset`.
pub struct Competitors(Vec<Child>);

impl Competitors {
    /// `quiet`: none; `one`: one on CPU 1 (the other core of a 2-core
    /// machine); `both`: one on each of CPUs 0 and 1.
    pub fn start(load: &str, exe: &Path, suite: &Suite) -> Competitors {
        let cores: &[&str] = match load {
            "quiet" => &[],
            "one" => &["1"],
            "both" => &["0", "1"],
            other => panic!("EDGEPERF_VERDICTS_LOAD={other}: quiet, one or both"),
        };
        let cpu = suite.device("cpu").unwrap();
        let spec = path_spec(cpu, suite.model("efficientnet_lite0").unwrap(), None).unwrap();
        let req = WorkerRequest {
            protocol: WORKER_PROTOCOL,
            round: 0,
            sampling: Sampling {
                warmup: 1,
                samples: u32::MAX,
                rounds: 1,
                max_seconds: 1e7,
                min_samples: 1,
            },
            accuracy: false,
            dataset: suite.dataset.clone(),
            head: spec,
            paired: None,
            pairing: Alternation::default(),
            lockstep: false,
            profile: false,
        };
        let line = serde_json::to_string(&req).unwrap() + "\n";
        let children = cores
            .iter()
            .map(|core| {
                let mut c = Command::new("taskset")
                    .args(["-c", core])
                    .arg(exe)
                    .arg("__worker")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("taskset (util-linux) starts the competing worker");
                c.stdin.take().unwrap().write_all(line.as_bytes()).unwrap();
                c
            })
            .collect();
        // Let them load and settle into their loop.
        std::thread::sleep(std::time::Duration::from_secs(if cores.is_empty() {
            0
        } else {
            3
        }));
        Competitors(children)
    }
}

impl Drop for Competitors {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The request of round `round` of kind `k`.
pub fn request(k: &Kind, round: u32, cfg: &CompareConfig, suite: &Suite) -> WorkerRequest {
    let sampling = confirmation_sampling(cfg.confirm.round_seconds, cfg.confirm.warmup);
    WorkerRequest {
        protocol: WORKER_PROTOCOL,
        round,
        sampling,
        accuracy: false,
        dataset: suite.dataset.clone(),
        head: k.head.clone(),
        paired: Some(k.base.clone()),
        pairing: Alternation {
            block_ms: cfg.confirm.block_ms,
            base_first: round.is_multiple_of(2),
            discard: cfg.confirm.discard,
        },
        lockstep: false,
        profile: false,
    }
}

fn measure_round(exe: &Path, k: &Kind, req: &WorkerRequest) -> RoundResult {
    if k.lockstep {
        let mut base = req.clone();
        base.head = k.base.clone();
        edgeperf::engine::lockstep::run_pair(exe, &base, req).expect("lockstep round")
    } else {
        edgeperf::engine::spawn::spawn_round(exe, req).expect("worker round")
    }
}

/// One round of `k` under `cfg`, as saved.
pub fn round(exe: &Path, k: &Kind, i: u32, cfg: &CompareConfig, suite: &Suite) -> RoundData {
    let t = Instant::now();
    let req = request(k, i, cfg, suite);
    let r = measure_round(exe, k, &req);
    let base = r.paired.as_ref().expect("paired samples");
    RoundData::new(
        cfg.confirm.block_ms,
        req.pairing.base_first,
        &base.samples_ms,
        &r.round.samples_ms,
        r.block.unwrap_or(1) as usize,
        t.elapsed().as_secs_f64(),
        r.round.machine.clone(),
    )
}

/// `rounds` rounds of every kind, the kinds taking turns round by round (so
/// the machine's drift spreads over all of them), each under each of `cfgs`.
pub fn collect(
    exe: &Path,
    ks: &[Kind],
    cfgs: &[CompareConfig],
    rounds: usize,
    suite: &Suite,
) -> Vec<KindData> {
    let mut out: Vec<KindData> = Vec::new();
    for k in ks {
        for c in cfgs {
            out.push(KindData {
                name: label(k.name, c, cfgs.len()),
                expect: k.expect.into(),
                lockstep: k.lockstep,
                rounds: Vec::new(),
            });
        }
    }
    for i in 0..rounds {
        let mut j = 0;
        for k in ks {
            for c in cfgs {
                out[j].rounds.push(round(exe, k, i as u32, c, suite));
                j += 1;
            }
        }
        eprintln!(
            "round {:3}/{rounds} done; load {}",
            i + 1,
            super::data::loadavg()
        );
    }
    out
}

/// The kind's name, with its block length when several are measured.
fn label(name: &str, c: &CompareConfig, n: usize) -> String {
    if n > 1 {
        format!("{name} @ {} ms", c.confirm.block_ms)
    } else {
        name.to_string()
    }
}

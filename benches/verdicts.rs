//! Verdicts for every kind of change a pull request makes (docs/DETECTION.md):
//! nothing, the model (+5%, +11%), the threads (1 -> 2, 2 -> 1), a provider option
//! (OpenVINO `num_of_threads`), the runtime library (ONNX Runtime 1.31.1 -> the
//! 1.24.1 OpenVINO build), and nothing across two processes. Each comparison is
//! judged exactly as `edgeperf compare` confirms a path: rounds of alternating
//! blocks (in one worker, or two workers in lockstep when the libraries differ),
//! the block-median log-ratio per round, sequential looks at the sign-test
//! interval (`compare.confirm` defaults), the default 3% minimum change.
//!
//!   cargo bench --bench verdicts                      # 40 rounds per kind (~10 min on 2 cores)
//!   EDGEPERF_VERDICTS_ROUNDS=60 cargo bench --bench verdicts
//!   EDGEPERF_VERDICTS_DATA=.edgeperf/verdicts/rounds.json cargo bench --bench verdicts  # re-judge
//!   EDGEPERF_VERDICTS_ONLY="no change" EDGEPERF_VERDICTS_ROUNDS=100 \
//!     EDGEPERF_VERDICTS_BUDGETS=6,12,18,24 cargo bench --bench verdicts  # budget trade-off
//!
//! `EDGEPERF_VERDICTS_ONLY` keeps the kinds whose name contains it;
//! `EDGEPERF_VERDICTS_BUDGETS` re-judges every kind at each budget (seconds per
//! side, with as many rounds as it holds) after the default rule's table.
//!
//! Measurement: the kinds take turns round by round (so the machine's drift
//! spreads over all of them); each round is one confirmation round with the
//! default rule (0.6 s per side in blocks of ~150 ms, 5 warm-up inferences).
//! Judging: 200 comparisons per kind, each a seeded random order of that kind's
//! rounds fed to the sequential rule until it decides or runs out of rounds or
//! budget; they reuse rounds, so they are not independent. Consecutive disjoint
//! windows are judged too.

use std::path::{Path, PathBuf};
use std::time::Instant;

use edgeperf::compare::sequential::{RoundStatistic, Sequential};
use edgeperf::compare::Verdict;
use edgeperf::engine::measure::confirmation_sampling;
use edgeperf::engine::run::path_spec;
use edgeperf::engine::{Alternation, PathSpec, RoundResult, WorkerRequest, WORKER_PROTOCOL};
use edgeperf::suite::{CompareConfig, Suite};
use serde::{Deserialize, Serialize};

const DRAWS: usize = 200;

/// One kind of change: its base and head sides, and whether they need two processes.
struct Kind {
    name: &'static str,
    base: PathSpec,
    head: PathSpec,
    lockstep: bool,
    /// What a right verdict is: `None` for no change.
    expect: Option<Verdict>,
}

#[derive(Serialize, Deserialize, Clone)]
struct RoundData {
    /// ln(head/base): median over the round's block pairs.
    d: f64,
    /// Measurement seconds of each side.
    secs: f64,
    /// Wall seconds of the whole round (processes, sessions, warm-up included).
    wall: f64,
}

#[derive(Serialize, Deserialize)]
struct Data {
    kinds: Vec<(String, Vec<RoundData>)>,
}

fn kinds(suite: &Suite) -> Vec<Kind> {
    let cpu = suite.device("cpu").expect("cpu device");
    let ov = suite.device("openvino-cpu").expect("openvino-cpu device");
    let model = suite.model("mobilenet_v2").expect("mobilenet_v2");
    let a = path_spec(cpu, model, None).expect("cpu runtime");
    let ov_a = path_spec(ov, model, None).expect("openvino runtime");
    let slow5 = with_model(&a, ".edgeperf/models/mobilenet_v2_slow5.onnx");
    let slow11 = with_model(&a, ".edgeperf/models/mobilenet_v2_slow11.onnx");
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
    use Verdict::{Improved, Regressed};
    vec![
        kind("no change", a.clone(), a.clone(), false, None),
        kind(
            "no change, model bytes copied to another file",
            a.clone(),
            model_copy(&a),
            false,
            None,
        ),
        kind(
            "no change, across processes",
            a.clone(),
            a.clone(),
            true,
            None,
        ),
        kind("model +5%", a.clone(), slow5, false, Some(Regressed)),
        kind("model +11%", a.clone(), slow11, false, Some(Regressed)),
        kind(
            "threads 2 -> 1",
            threads(2),
            threads(1),
            false,
            Some(Regressed),
        ),
        kind(
            "threads 1 -> 2",
            threads(1),
            threads(2),
            false,
            Some(Improved),
        ),
        kind(
            "OpenVINO num_of_threads 2 -> 1",
            ov_threads("2"),
            ov_threads("1"),
            false,
            Some(Regressed),
        ),
        kind("runtime 1.31.1 -> 1.24.1", a.clone(), runtime_b, true, None),
    ]
}

fn kind(
    name: &'static str,
    base: PathSpec,
    head: PathSpec,
    lockstep: bool,
    expect: Option<Verdict>,
) -> Kind {
    Kind {
        name,
        base,
        head,
        lockstep,
        expect,
    }
}

/// `a` with the model file `file` (which must be there).
fn with_model(a: &PathSpec, file: &str) -> PathSpec {
    let mut s = a.clone();
    s.model.file = PathBuf::from(file);
    assert!(
        s.model.file.exists(),
        "run scripts/setup-assets.sh: {file} is missing"
    );
    s
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

/// The kinds `EDGEPERF_VERDICTS_ONLY` selects (all without it).
fn selected(ks: Vec<Kind>) -> Vec<Kind> {
    match std::env::var("EDGEPERF_VERDICTS_ONLY") {
        Ok(only) => ks.into_iter().filter(|k| k.name.contains(&only)).collect(),
        Err(_) => ks,
    }
}

fn request(k: &Kind, round: u32, cfg: &CompareConfig, suite: &Suite) -> WorkerRequest {
    let mut sampling = confirmation_sampling(&suite.sampling, cfg.confirm.round_seconds);
    sampling.warmup = cfg.confirm.warmup;
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

fn collect(n: usize, suite: &Suite, cfg: &CompareConfig) -> Data {
    let exe = PathBuf::from("target/release/edgeperf");
    assert!(exe.exists(), "build first: cargo build --release");
    let ks = selected(kinds(suite));
    let mut data: Vec<(String, Vec<RoundData>)> = ks
        .iter()
        .map(|k| (k.name.to_string(), Vec::new()))
        .collect();
    for i in 0..n {
        for (j, k) in ks.iter().enumerate() {
            let t = Instant::now();
            let r = measure_round(&exe, k, &request(k, i as u32, cfg, suite));
            let base = r.paired.as_ref().expect("paired samples");
            let s = RoundStatistic::of_round(
                &base.samples_ms,
                &r.round.samples_ms,
                r.block.unwrap_or(1) as usize,
                cfg.latency.quantile,
            )
            .expect("block pairs");
            let (d, secs) = (s.log_ratio, (s.base_seconds + s.head_seconds) / 2.0);
            data[j].1.push(RoundData {
                d,
                secs,
                wall: t.elapsed().as_secs_f64(),
            });
        }
        eprintln!(
            "round {:3}/{n}: {}",
            i + 1,
            data.iter()
                .map(|(name, v)| format!(
                    "{name} {:+.1}%",
                    100.0 * (v.last().unwrap().d.exp() - 1.0)
                ))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    Data { kinds: data }
}

/// One sequential comparison over `rounds` in order, by the rule `compare`
/// uses (`compare::sequential`): (verdict, rounds used, measurement seconds per
/// side, wall seconds). A stored round keeps the mean seconds of its two sides,
/// which stands for both here (the rule's budget counts the larger side).
fn sequential(rounds: &[&RoundData], cfg: &CompareConfig) -> (Verdict, usize, f64, f64) {
    let mut seq = Sequential::new(&cfg.latency, &cfg.confirm);
    let (mut verdict, mut wall) = (Verdict::Inconclusive, 0.0);
    for r in rounds {
        seq.push(RoundStatistic {
            log_ratio: r.d,
            base_stat: f64::NAN,
            head_stat: f64::NAN,
            base_seconds: r.secs,
            head_seconds: r.secs,
        });
        wall += r.wall;
        let decision = seq.decision();
        if let Some(v) = decision.verdict {
            verdict = v;
        }
        if decision.stop.is_some() {
            break;
        }
    }
    (verdict, seq.rounds().len(), seq.seconds_per_side(), wall)
}

/// `DRAWS` sequential comparisons, each over a seeded random order of `rounds`.
fn draws(rounds: &[RoundData], cfg: &CompareConfig) -> Tally {
    let mut t = Tally::default();
    for s in 0..DRAWS {
        let order: Vec<&RoundData> = permutation(rounds.len(), s as u64 + 1)
            .into_iter()
            .map(|i| &rounds[i])
            .collect();
        t.add(sequential(&order, cfg));
    }
    t
}

/// A seeded permutation (xorshift, Fisher-Yates).
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p.swap(i, (x % (i as u64 + 1)) as usize);
    }
    p
}

#[derive(Default)]
struct Tally {
    n: usize,
    regressed: usize,
    improved: usize,
    unchanged: usize,
    inconclusive: usize,
    rounds: Vec<f64>,
    secs: Vec<f64>,
    wall: Vec<f64>,
}

impl Tally {
    fn add(&mut self, (v, n, secs, wall): (Verdict, usize, f64, f64)) {
        self.n += 1;
        match v {
            Verdict::Regressed => self.regressed += 1,
            Verdict::Improved => self.improved += 1,
            Verdict::Unchanged => self.unchanged += 1,
            Verdict::Inconclusive => self.inconclusive += 1,
        }
        self.rounds.push(n as f64);
        self.secs.push(secs);
        self.wall.push(wall);
    }
    fn pct(&self, k: usize) -> String {
        format!(
            "{k}/{} ({:.1}%)",
            self.n,
            100.0 * k as f64 / self.n.max(1) as f64
        )
    }
}

fn median(v: &[f64]) -> f64 {
    edgeperf::stats::median(v).unwrap_or(f64::NAN)
}

fn main() {
    let suite = edgeperf::store::load_suite(Path::new("edgeperf.toml")).expect("edgeperf.toml");
    let cfg = CompareConfig::default();
    let data: Data = match std::env::var_os("EDGEPERF_VERDICTS_DATA") {
        Some(f) => {
            serde_json::from_slice(&std::fs::read(&f).expect("data file")).expect("data json")
        }
        None => {
            let n = std::env::var("EDGEPERF_VERDICTS_ROUNDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(40);
            let d = collect(n, &suite, &cfg);
            let out = PathBuf::from(".edgeperf/verdicts/rounds.json");
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            std::fs::write(&out, serde_json::to_vec(&d).unwrap()).unwrap();
            eprintln!("raw rounds: {}", out.display());
            d
        }
    };
    let expects: Vec<(&str, Option<Verdict>)> =
        kinds(&suite).iter().map(|k| (k.name, k.expect)).collect();
    println!(
        "{} rounds per kind; rule: compare.confirm defaults (min {} rounds, looks every 2, at most {} rounds or {} s per side, {} s per side per round, blocks of {} ms), min change {:.0}%, regressed/improved at {:.1}% per look, unchanged at {:.0}%\n",
        data.kinds.first().map(|k| k.1.len()).unwrap_or(0),
        cfg.confirm.min_rounds,
        cfg.confirm.rounds,
        cfg.confirm.budget_seconds,
        cfg.confirm.round_seconds,
        cfg.confirm.block_ms,
        100.0 * cfg.latency.min_change,
        100.0 * cfg.latency.decide_confidence,
        100.0 * cfg.latency.confidence
    );
    println!("| change | median round ratio (all rounds) | regressed | improved | unchanged | inconclusive | rounds (median) | s per side (median / p90) | wall s (median) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, rounds) in &data.kinds {
        let truth = median(&rounds.iter().map(|r| r.d).collect::<Vec<_>>()).exp() - 1.0;
        let t = draws(rounds, &cfg);
        let mut secs = t.secs.clone();
        secs.sort_by(f64::total_cmp);
        let p90 = secs.get((secs.len() * 9) / 10).copied().unwrap_or(f64::NAN);
        println!(
            "| {name} | {:+.1}% | {} | {} | {} | {} | {:.0} | {:.1} / {:.1} | {:.1} |",
            100.0 * truth,
            t.pct(t.regressed),
            t.pct(t.improved),
            t.pct(t.unchanged),
            t.pct(t.inconclusive),
            median(&t.rounds),
            median(&t.secs),
            p90,
            median(&t.wall)
        );
        // Disjoint windows: consecutive rounds, each comparison starting where the last stopped.
        let mut w = Tally::default();
        let mut at = 0;
        while at + cfg.confirm.min_rounds as usize <= rounds.len() {
            let order: Vec<&RoundData> = rounds[at..].iter().collect();
            let r = sequential(&order, &cfg);
            at += r.1;
            w.add(r);
        }
        let expect = expects
            .iter()
            .find(|e| e.0 == name.as_str())
            .and_then(|e| e.1);
        eprintln!(
            "{name}: disjoint windows regressed {} improved {} unchanged {} inconclusive {} (expected {:?})",
            w.pct(w.regressed),
            w.pct(w.improved),
            w.pct(w.unchanged),
            w.pct(w.inconclusive),
            expect
        );
    }
    budgets(&data, &cfg);
}

/// The same comparisons at other budgets per side (`EDGEPERF_VERDICTS_BUDGETS`):
/// what more seconds buy in decided no-change paths, and what fewer cost.
fn budgets(data: &Data, cfg: &CompareConfig) {
    let Ok(list) = std::env::var("EDGEPERF_VERDICTS_BUDGETS") else {
        return;
    };
    println!("\n| change | budget s per side (most rounds) | regressed | improved | unchanged | inconclusive | s per side (median) | wall s (median) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, rounds) in &data.kinds {
        for b in list.split(',').filter_map(|b| b.trim().parse::<f64>().ok()) {
            let mut c = cfg.clone();
            c.confirm.budget_seconds = b;
            c.confirm.rounds =
                ((b / c.confirm.round_seconds).round() as u32).max(c.confirm.min_rounds);
            if c.confirm.rounds as usize > rounds.len() {
                eprintln!(
                    "{name}: {b} s needs {} rounds, {} measured: skipped",
                    c.confirm.rounds,
                    rounds.len()
                );
                continue;
            }
            let t = draws(rounds, &c);
            println!(
                "| {name} | {b:.0} ({}) | {} | {} | {} | {} | {:.1} | {:.1} |",
                c.confirm.rounds,
                t.pct(t.regressed),
                t.pct(t.improved),
                t.pct(t.unchanged),
                t.pct(t.inconclusive),
                median(&t.secs),
                median(&t.wall)
            );
        }
    }
}

//! Detection-quality experiment (docs/DETECTION.md): how often edgeperf's latency
//! verdict raises a false alarm on no-change comparisons (A/A) and how often it
//! catches a genuinely slower model (A/B, mobilenet_v2 with ~+5% prepended work,
//! identical outputs), next to the rules of criterion, asv and
//! github-action-benchmark applied to the same measurements.
//!
//!   cargo bench --bench detection                       # 60 rounds (~8 min on 2 cores)
//!   EDGEPERF_DETECTION_ROUNDS=100 cargo bench --bench detection
//!   EDGEPERF_DETECTION_DATA=file.json cargo bench --bench detection   # re-judge saved rounds
//!
//! Measurement: real `edgeperf __worker` rounds (a fresh process each, 10 warm-up +
//! 200 timed single-image inferences, 1 thread), in triples A, A', B per round in a
//! rotating order. A comparison takes K = 10 triples (the default `compare.confirm.rounds`): base = their A rounds, head =
//! their A' rounds (A/A) or B rounds (A/B), i.e. 10 x 200 inferences (~18 s) per side
//! (the budget is 30 s). Comparisons are drawn as random K-subsets of the
//! rounds (seeded), so they overlap and are not independent; non-overlapping windows
//! are reported too.
//!
//! The other tools' rules and the statistics only they need live next to the
//! experiment, not in `edgeperf::stats`: `anchors` (criterion, asv,
//! github-action-benchmark), `bootstrap` (seeded `Rng`, bootstrap interval) and
//! `rank` (Mann-Whitney). Their unit tests run from `tests/detection_stats.rs`
//! (this target has `harness = false`).

mod anchors;
mod bootstrap;
mod rank;

use std::path::PathBuf;

use edgeperf::compare::latency::{judge_interleaved, screen};
use edgeperf::compare::Verdict;
use edgeperf::engine::run::path_spec;
use edgeperf::engine::spawn::spawn_round;
use edgeperf::engine::{Alternation, WorkerRequest, WORKER_PROTOCOL};
use edgeperf::stats;
use edgeperf::suite::{LatencyRule, Sampling};
use serde::{Deserialize, Serialize};

use bootstrap::Rng;

const K: usize = 10;
const DRAWS: usize = 200;
/// Bootstrap resamples for the criterion rule (criterion uses 100,000; 2,000 keeps
/// 400+ comparisons of 1,000-sample sides to minutes; p and CI are stable to ~0.01).
const CRITERION_RESAMPLES: usize = 2_000;

fn criterion_regressed(a: &[f64], b: &[f64]) -> bool {
    let cfg = anchors::CriterionConfig {
        resamples: CRITERION_RESAMPLES,
        ..Default::default()
    };
    anchors::criterion_compare(a, b, &cfg, 7).unwrap().verdict == anchors::Verdict::Regressed
}

#[derive(Serialize, Deserialize)]
struct Data {
    model: String,
    slow_model: String,
    samples_per_round: u32,
    /// rounds[i] = [A, A', A2, B] per-inference samples (ms): one process timed A
    /// and A' (the same model loaded twice), another A2 and B, each pair in
    /// alternating blocks, exactly as `compare`'s confirmation does.
    rounds: Vec<[Vec<f64>; 4]>,
}

fn p(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    stats::quantile(&s, q).unwrap()
}

fn collect(n: usize) -> Data {
    let suite =
        edgeperf::store::load_suite(&PathBuf::from("edgeperf.toml")).expect("edgeperf.toml");
    let device = suite.device("cpu").expect("cpu device");
    let model = suite.model("mobilenet_v2").expect("mobilenet_v2");
    let slow = PathBuf::from(".edgeperf/models/mobilenet_v2_slow5.onnx");
    assert!(
        slow.exists(),
        "run scripts/setup-assets.sh: {} is missing",
        slow.display()
    );
    let exe = PathBuf::from("target/release/edgeperf");
    assert!(exe.exists(), "build first: cargo build --release");
    let sampling = Sampling {
        warmup: 10,
        samples: 200,
        rounds: 1,
        max_seconds: 1e9,
        min_samples: 200,
    };
    let base = path_spec(device, model, None).expect("cpu runtime library");
    let mut slow_side = base.clone();
    slow_side.model.file = slow.clone();
    let mut rounds = Vec::new();
    for i in 0..n {
        let mut got: [Vec<f64>; 4] = Default::default();
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let req = WorkerRequest {
                protocol: WORKER_PROTOCOL,
                round: i as u32,
                sampling: sampling.clone(),
                accuracy: false,
                dataset: suite.dataset.clone(),
                head: if which == 1 {
                    slow_side.clone()
                } else {
                    base.clone()
                },
                paired: Some(base.clone()),
                pairing: Alternation {
                    base_first: i % 2 == 0,
                    ..Alternation::default()
                },
                lockstep: false,
                profile: false,
            };
            let r = spawn_round(&exe, &req).expect("worker round");
            got[2 * which] = r.paired.expect("paired samples").samples_ms;
            got[2 * which + 1] = r.round.samples_ms;
        }
        eprintln!(
            "round {:3}/{n}: p10 A {:.3} A' {:.3} | A {:.3} B {:.3} ms",
            i + 1,
            p(&got[0], 0.1),
            p(&got[1], 0.1),
            p(&got[2], 0.1),
            p(&got[3], 0.1)
        );
        rounds.push(got);
    }
    Data {
        model: model.file.display().to_string(),
        slow_model: slow.display().to_string(),
        samples_per_round: 200,
        rounds,
    }
}

#[derive(Default)]
struct Tally {
    n: usize,
    regressed: usize,
    inconclusive: usize,
}

impl Tally {
    fn add(&mut self, regressed: bool, inconclusive: bool) {
        self.n += 1;
        self.regressed += regressed as usize;
        self.inconclusive += inconclusive as usize;
    }
    fn rate(&self) -> String {
        format!(
            "{}/{} ({:.1}%)",
            self.regressed,
            self.n,
            100.0 * self.regressed as f64 / self.n.max(1) as f64
        )
    }
}

fn main() {
    let data = match std::env::var_os("EDGEPERF_DETECTION_DATA") {
        Some(f) => {
            serde_json::from_slice(&std::fs::read(&f).expect("data file")).expect("data json")
        }
        None => {
            let n: usize = std::env::var("EDGEPERF_DETECTION_ROUNDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(60);
            let d = collect(n);
            let out = PathBuf::from(".edgeperf/detection/rounds.json");
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            std::fs::write(&out, serde_json::to_vec(&d).unwrap()).unwrap();
            eprintln!("raw rounds: {}", out.display());
            d
        }
    };
    let n = data.rounds.len();
    assert!(n >= 2 * K, "need at least {} rounds", 2 * K);
    let rule = LatencyRule::default();
    let q = rule.quantile;
    let stat: Vec<[f64; 4]> = data
        .rounds
        .iter()
        .map(|r| [p(&r[0], q), p(&r[1], q), p(&r[2], q), p(&r[3], q)])
        .collect();

    // Subsets: DRAWS seeded random K-subsets, plus non-overlapping windows.
    let mut rng = Rng::new(20261126);
    let mut subsets: Vec<Vec<usize>> = Vec::new();
    for _ in 0..DRAWS {
        let mut idx: Vec<usize> = (0..n).collect();
        for i in 0..K {
            let j = i + rng.below((n - i) as u64) as usize;
            idx.swap(i, j);
        }
        let mut s = idx[..K].to_vec();
        s.sort();
        subsets.push(s);
    }
    let windows: Vec<Vec<usize>> = (0..n / K).map(|w| (w * K..w * K + K).collect()).collect();

    let judge = |sets: &[Vec<usize>], head: usize| {
        let mut ours = Tally::default();
        let mut screen_suspect = Tally::default();
        let mut crit = Tally::default();
        let mut asv = Tally::default();
        let mut gab = Tally::default();
        for s in sets {
            let a: Vec<f64> = s.iter().map(|&i| stat[i][head - 1]).collect();
            let b: Vec<f64> = s.iter().map(|&i| stat[i][head]).collect();
            let c = judge_interleaved(&a, &b, &rule, 0.0);
            ours.add(
                c.verdict == Verdict::Regressed,
                c.verdict == Verdict::Inconclusive,
            );
            // Screen as against a stored baseline: the first 3 base rounds vs the last 3 head rounds.
            let sc = screen(&a[..3], &b[K - 3..], &rule).unwrap();
            screen_suspect.add(sc.suspect, false);
            let pa: Vec<f64> = s
                .iter()
                .flat_map(|&i| data.rounds[i][head - 1].iter().copied())
                .collect();
            let pb: Vec<f64> = s
                .iter()
                .flat_map(|&i| data.rounds[i][head].iter().copied())
                .collect();
            crit.add(criterion_regressed(&pa, &pb), false);
            asv.add(
                anchors::asv_rule(&pa, &pb).unwrap() == anchors::Verdict::Regressed,
                false,
            );
            let (ma, mb) = (stats::mean(&pa).unwrap(), stats::mean(&pb).unwrap());
            gab.add(
                anchors::ratio_rule(ma, mb, 2.0).unwrap() == anchors::Verdict::Regressed,
                false,
            );
        }
        (ours, screen_suspect, crit, asv, gab)
    };
    // One run vs the next run (what the anchor tools do in CI): round i's A vs round i's A' / B.
    let single = |head: usize| {
        let (mut crit, mut asv, mut gab) = (Tally::default(), Tally::default(), Tally::default());
        for r in &data.rounds {
            crit.add(criterion_regressed(&r[head - 1], &r[head]), false);
            asv.add(
                anchors::asv_rule(&r[head - 1], &r[head]).unwrap() == anchors::Verdict::Regressed,
                false,
            );
            gab.add(
                anchors::ratio_rule(
                    stats::mean(&r[head - 1]).unwrap(),
                    stats::mean(&r[head]).unwrap(),
                    2.0,
                )
                .unwrap()
                    == anchors::Verdict::Regressed,
                false,
            );
        }
        (crit, asv, gab)
    };

    let ratio: Vec<f64> = stat.iter().map(|s| s[3] / s[2] - 1.0).collect();
    let ratio50: Vec<f64> = data
        .rounds
        .iter()
        .map(|r| p(&r[3], 0.5) / p(&r[2], 0.5) - 1.0)
        .collect();
    let aa: Vec<f64> = stat.iter().map(|s| s[1] / s[0] - 1.0).collect();
    println!(
        "rounds: {n} triples (A, A', B) x {} timed inferences; model {} vs {}",
        data.samples_per_round, data.model, data.slow_model
    );
    println!(
        "B vs A per round: p10 {:+.2}% (sd {:.2}%), p50 {:+.2}% (sd {:.2}%); A' vs A p10 sd {:.2}%",
        100.0 * stats::mean(&ratio).unwrap(),
        100.0 * stats::sd(&ratio).unwrap(),
        100.0 * stats::mean(&ratio50).unwrap(),
        100.0 * stats::sd(&ratio50).unwrap(),
        100.0 * stats::sd(&aa).unwrap()
    );
    println!();
    println!("| rule | A/A false alarms | A/B (+5%) detected |");
    println!("|---|---:|---:|");
    for (label, sets) in [
        (format!("{DRAWS} random {K}-round subsets"), &subsets),
        (
            format!("{} disjoint {K}-round windows", windows.len()),
            &windows,
        ),
    ] {
        let (o0, s0, c0, a0, g0) = judge(sets, 1);
        let (o1, s1, c1, a1, g1) = judge(sets, 3);
        println!(
            "| **edgeperf** (interleaved p10, median of in-process ratios, sign-test 95% interval, min change 3%), {label} | {} | {} |",
            o0.rate(),
            o1.rate()
        );
        println!(
            "| edgeperf screen alone vs a stored run (suspect), {label} | {} | {} |",
            s0.rate(),
            s1.rate()
        );
        println!(
            "| criterion (95% CI past +1%, p < 0.05), pooled samples, {label} | {} | {} |",
            c0.rate(),
            c1.rate()
        );
        println!(
            "| asv (ratio > 1.1, Mann-Whitney p < 0.002), pooled samples, {label} | {} | {} |",
            a0.rate(),
            a1.rate()
        );
        println!(
            "| github-action-benchmark (mean ratio >= 2.0), {label} | {} | {} |",
            g0.rate(),
            g1.rate()
        );
        let _ = (o0.inconclusive, o1.inconclusive);
        println!(
            "| (edgeperf inconclusive: A/A {} / A/B {}) | | |",
            o0.inconclusive, o1.inconclusive
        );
    }
    let (c0, a0, g0) = single(1);
    let (c1, a1, g1) = single(3);
    println!(
        "| criterion, one run vs one run ({n} pairs) | {} | {} |",
        c0.rate(),
        c1.rate()
    );
    println!(
        "| asv, one run vs one run | {} | {} |",
        a0.rate(),
        a1.rate()
    );
    println!(
        "| github-action-benchmark, one run vs one run | {} | {} |",
        g0.rate(),
        g1.rate()
    );
}

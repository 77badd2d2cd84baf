//! Judging the kinds: each kind's rounds through the sequential rule of
//! `edgeperf::compare::sequential`, in comparisons that are independent of
//! each other given the measured rounds: each draws its rounds one by one,
//! uniformly **with replacement**, from the kind's rounds, until the rule
//! stops (a bootstrap of whole rounds, the independent unit: blocks of one
//! round share the round's process and are never split). Disjoint windows of
//! the rounds in measurement order (fresh data, fewer comparisons) are
//! judged too, and the no-change rounds shifted to exactly +3% and +5% show
//! the rule at its boundary on this machine's own noise.

use edgeperf::compare::sequential::{RoundStatistic, Sequential, Stop};
use edgeperf::compare::Verdict;
use edgeperf::suite::CompareConfig;

use super::data::{Data, KindData, RoundData};
use super::stats::{self, Rng};

/// Comparisons drawn per kind (`EDGEPERF_VERDICTS_DRAWS`, default 2000).
fn draws() -> usize {
    std::env::var("EDGEPERF_VERDICTS_DRAWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// A saved round as the rule sees it, with its wall time; `shift` is added
/// to its log-ratio (0 for the measured kinds).
pub fn statistic(r: &RoundData, cfg: &CompareConfig, shift: f64) -> Option<(RoundStatistic, f64)> {
    let block = r.base.first()?.len();
    let flat =
        |s: &[Vec<f64>]| -> Vec<f64> { s.iter().take(r.pairs()).flatten().copied().collect() };
    let mut s = RoundStatistic::of_round(
        &flat(&r.base),
        &flat(&r.head),
        block,
        cfg.confirm.discard as usize,
        cfg.latency.quantile,
    )?;
    s.log_ratio += shift;
    s.machine = r.machine.clone();
    Some((s, r.wall))
}

/// One comparison: rounds from `next` until the rule stops.
fn compare(
    cfg: &CompareConfig,
    mut next: impl FnMut() -> Option<(RoundStatistic, f64)>,
) -> Option<Outcome> {
    let mut seq = Sequential::new(&cfg.latency, &cfg.confirm);
    let mut wall = 0.0;
    loop {
        let (r, w) = next()?;
        seq.push(r);
        wall += w;
        let d = seq.decision();
        if let Some(stop) = d.stop {
            let look = seq.judge();
            return Some(Outcome {
                verdict: look.verdict,
                rounds: d.rounds,
                counted: look.counted,
                secs: seq.seconds_per_side(),
                wall,
                extended: stop != Stop::Decided && d.rounds > cfg.confirm.rounds as usize,
            });
        }
    }
}

struct Outcome {
    verdict: Verdict,
    rounds: usize,
    counted: usize,
    secs: f64,
    wall: f64,
    extended: bool,
}

#[derive(Default)]
struct Tally {
    n: usize,
    regressed: usize,
    improved: usize,
    unchanged: usize,
    inconclusive: usize,
    extended: usize,
    rounds: Vec<f64>,
    counted: Vec<f64>,
    secs: Vec<f64>,
    wall: Vec<f64>,
}

impl Tally {
    fn add(&mut self, o: Outcome) {
        self.n += 1;
        match o.verdict {
            Verdict::Regressed => self.regressed += 1,
            Verdict::Improved => self.improved += 1,
            Verdict::Unchanged => self.unchanged += 1,
            _ => self.inconclusive += 1,
        }
        self.extended += o.extended as usize;
        self.rounds.push(o.rounds as f64);
        self.counted.push(o.counted as f64);
        self.secs.push(o.secs);
        self.wall.push(o.wall);
    }

    /// "k/n (p%, 95% Wilson interval a-b%)".
    fn rate(&self, k: usize) -> String {
        let (lo, hi) = wilson(k, self.n);
        format!(
            "{k}/{} ({:.1}% [{:.1}, {:.1}])",
            self.n,
            100.0 * k as f64 / self.n.max(1) as f64,
            100.0 * lo,
            100.0 * hi
        )
    }
}

/// The 95% Wilson score interval of k successes in n.
fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (z, n, p) = (1.959964, n as f64, k as f64 / n as f64);
    let c = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    (c - h, c + h)
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    edgeperf::stats::quantile(&s, q).unwrap_or(f64::NAN)
}

/// `draws()` bootstrap comparisons of `rounds` (each shifted by `shift`).
fn bootstrap(
    rounds: &[(RoundStatistic, f64)],
    cfg: &CompareConfig,
    shift: f64,
    seed: u64,
) -> Tally {
    let mut t = Tally::default();
    let mut rng = Rng::new(seed);
    for _ in 0..draws() {
        let o = compare(cfg, || {
            let (mut r, w) = rounds[rng.below(rounds.len())].clone();
            r.log_ratio += shift;
            Some((r, w))
        });
        t.add(o.expect("a bootstrap comparison never runs out of rounds"));
    }
    t
}

/// Comparisons over consecutive disjoint windows of the rounds as measured.
fn windows(rounds: &[(RoundStatistic, f64)], cfg: &CompareConfig) -> Tally {
    let mut t = Tally::default();
    let mut at = 0;
    while at < rounds.len() {
        let mut it = rounds[at..].iter().cloned();
        match compare(cfg, || it.next()) {
            Some(o) => {
                at += o.rounds;
                t.add(o);
            }
            None => break,
        }
    }
    t
}

fn rows(k: &KindData, cfg: &CompareConfig) -> Vec<(RoundStatistic, f64)> {
    k.rounds
        .iter()
        .filter_map(|r| statistic(r, cfg, 0.0))
        .collect()
}

/// The kinds' table, the windows, the boundary checks.
pub fn report(d: &Data, cfg: &CompareConfig) {
    println!(
        "\nRule: block {} ms, {} s per side per round, discard {}, looks from {} rounds, {}/{} rounds and {}/{} s per side (undecided / past the minimum change), min change {:.0}%, change at {:.1}% and unchanged at {:.0}% over all looks; {} comparisons per kind, each drawing whole rounds with replacement.\n",
        cfg.confirm.block_ms, cfg.confirm.round_seconds, cfg.confirm.discard, cfg.confirm.min_rounds,
        cfg.confirm.rounds, cfg.confirm.max_rounds, cfg.confirm.budget_seconds, cfg.confirm.max_budget_seconds,
        100.0 * cfg.latency.min_change, 100.0 * cfg.latency.decide_confidence, 100.0 * cfg.latency.confidence, draws()
    );
    println!("| change | expected | median round ratio | busy rounds | regressed | improved | unchanged | inconclusive | measured longer | rounds (median / p90) | s per side (median / p90) | wall s (median / p90) |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (i, k) in d.kinds.iter().enumerate() {
        let rs = rows(k, cfg);
        if rs.is_empty() {
            continue;
        }
        let med = stats::median(&rs.iter().map(|r| r.0.log_ratio).collect::<Vec<_>>())
            .unwrap_or(f64::NAN);
        let seq = Sequential::with_rounds(
            &cfg.latency,
            &cfg.confirm,
            rs.iter().map(|r| r.0.clone()).collect(),
        );
        let busy = seq.busy().iter().filter(|b| b.is_some()).count();
        let t = bootstrap(&rs, cfg, 0.0, 1 + i as u64);
        println!(
            "| {} | {} | {:+.1}% | {busy}/{} | {} | {} | {} | {} | {} | {:.0} / {:.0} | {:.1} / {:.1} | {:.1} / {:.1} |",
            k.name, k.expect, 100.0 * (med.exp() - 1.0), rs.len(),
            t.rate(t.regressed), t.rate(t.improved), t.rate(t.unchanged), t.rate(t.inconclusive),
            t.rate(t.extended),
            quantile(&t.rounds, 0.5), quantile(&t.rounds, 0.9),
            quantile(&t.secs, 0.5), quantile(&t.secs, 0.9),
            quantile(&t.wall, 0.5), quantile(&t.wall, 0.9),
        );
    }
    println!("\nDisjoint windows of the rounds in measurement order (fresh data):\n");
    println!("| change | comparisons | regressed | improved | unchanged | inconclusive |");
    println!("|---|---:|---:|---:|---:|---:|");
    for k in &d.kinds {
        let t = windows(&rows(k, cfg), cfg);
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            k.name, t.n, t.regressed, t.improved, t.unchanged, t.inconclusive
        );
    }
    boundary(d, cfg);
}

/// The no-change rounds moved so that their median is exactly +3% (the
/// equivalence boundary) and +5%: the rule on this machine's own noise.
fn boundary(d: &Data, cfg: &CompareConfig) {
    println!("\nNo-change rounds shifted to a known change (the round-to-round noise of this machine, the change exact):\n");
    println!("| rounds of | shifted to | regressed | unchanged | inconclusive | rounds (median) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for k in d.kinds.iter().filter(|k| k.expect == "none") {
        let rs = rows(k, cfg);
        let counted: Vec<f64> = {
            let seq = Sequential::with_rounds(
                &cfg.latency,
                &cfg.confirm,
                rs.iter().map(|r| r.0.clone()).collect(),
            );
            rs.iter()
                .zip(seq.busy())
                .filter(|(_, b)| b.is_none())
                .map(|(r, _)| r.0.log_ratio)
                .collect()
        };
        let Some(med) = stats::median(&counted) else {
            continue;
        };
        for target in [1.03f64, 1.05] {
            let t = bootstrap(&rs, cfg, target.ln() - med, 99);
            println!(
                "| {} | {:+.0}% | {} | {} | {} | {:.0} |",
                k.name,
                100.0 * (target - 1.0),
                t.rate(t.regressed),
                t.rate(t.unchanged),
                t.rate(t.inconclusive),
                quantile(&t.rounds, 0.5)
            );
        }
    }
}

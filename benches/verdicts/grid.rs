//! The grid: which block length, round length, discard after a switch and
//! per-round statistic make rounds of no change tightest around 0 (the share
//! of rounds outside ±3% is what an "unchanged" needs to be small) while a +5%
//! change stays clear of 0, per second of wall time. Rounds of 1.2 s per side
//! are measured at each block length; shorter rounds are their first blocks.

use super::data::{Data, KindData, RoundData};
use super::stats::{self, pairs_for, robust_sd, Statistic};

/// Round lengths (timed seconds per side) judged from the measured rounds.
pub const ROUND_SECONDS: [f64; 3] = [0.3, 0.6, 1.2];

/// What one grid cell shows for one kind.
struct Cell {
    median: f64,
    robust_sd: f64,
    /// Share of rounds whose |ln ratio| reaches ln(1.03).
    outside3: f64,
    /// Share of rounds at or below 0.
    nonpositive: f64,
}

fn cell(rounds: &[RoundData], stat: Statistic, seconds: f64, discard: usize) -> Option<Cell> {
    let v: Vec<f64> = rounds
        .iter()
        .filter_map(|r| stat.of(r, pairs_for(r, seconds), discard))
        .collect();
    if v.len() < 4 {
        return None;
    }
    let m = 1.03f64.ln();
    Some(Cell {
        median: stats::median(&v)?,
        robust_sd: robust_sd(&v),
        outside3: v.iter().filter(|x| x.abs() >= m).count() as f64 / v.len() as f64,
        nonpositive: v.iter().filter(|x| **x <= 0.0).count() as f64 / v.len() as f64,
    })
}

/// Wall seconds of a round of `seconds` per side: the measured rounds' wall
/// time less the timed seconds they spent beyond it.
pub fn wall_for(rounds: &[RoundData], seconds: f64) -> f64 {
    let v: Vec<f64> = rounds
        .iter()
        .map(|r| {
            let timed =
                RoundData::seconds(&r.base, r.pairs()) + RoundData::seconds(&r.head, r.pairs());
            let used = RoundData::seconds(&r.base, pairs_for(r, seconds))
                + RoundData::seconds(&r.head, pairs_for(r, seconds));
            r.wall - timed + used
        })
        .collect();
    stats::median(&v).unwrap_or(f64::NAN)
}

/// The kinds measured at each block length: (block ms, no change, +5%).
fn pairs_by_block(d: &Data) -> Vec<(f64, &KindData, Option<&KindData>)> {
    let mut out = Vec::new();
    for k in d.kinds.iter().filter(|k| k.expect == "none") {
        let block = k.rounds.first().map(|r| r.block_ms).unwrap_or(f64::NAN);
        let five = d.kinds.iter().find(|o| {
            o.expect == "regressed" && o.rounds.first().map(|r| r.block_ms) == Some(block)
        });
        out.push((block, k, five));
    }
    out
}

/// The grid as a Markdown table (stdout), every cell of every statistic.
pub fn report(d: &Data) {
    println!(
        "\n## Grid: per-round statistic of no change and of +5% ({} load, {} rounds each)\n",
        d.load,
        d.kinds.first().map(|k| k.rounds.len()).unwrap_or(0)
    );
    println!("| block ms | discard | s per side | statistic | no change: median | robust sd | outside ±3% | +5%: median | robust sd | ≤ 0 | wall s per round |");
    println!("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let pct = |x: f64| format!("{:+.2}%", 100.0 * (x.exp() - 1.0));
    for (block, none, five) in pairs_by_block(d) {
        for discard in [0, 1] {
            for secs in ROUND_SECONDS {
                for stat in stats::ALL {
                    let Some(a) = cell(&none.rounds, stat, secs, discard) else {
                        continue;
                    };
                    let b = five.and_then(|f| cell(&f.rounds, stat, secs, discard));
                    println!(
                        "| {block:.0} | {discard} | {secs} | {} | {} | {:.2}% | {:.0}% | {} | {} | {} | {:.2} |",
                        stat.name(),
                        pct(a.median),
                        100.0 * a.robust_sd,
                        100.0 * a.outside3,
                        b.as_ref().map(|b| pct(b.median)).unwrap_or("-".into()),
                        b.as_ref().map(|b| format!("{:.2}%", 100.0 * b.robust_sd)).unwrap_or("-".into()),
                        b.as_ref().map(|b| format!("{:.0}%", 100.0 * b.nonpositive)).unwrap_or("-".into()),
                        wall_for(&none.rounds, secs),
                    );
                }
            }
        }
    }
    independence(d);
}

/// Are the blocks of one round independent? If they were, the spread of a
/// round's mean block log-ratio across rounds would match the within-round
/// standard error (block sd / sqrt(block pairs)); a ratio well above 1 says
/// the blocks of a round share a round-level effect, so only rounds count as
/// independent units.
fn independence(d: &Data) {
    println!("\n| kind | between-round sd of the mean block log-ratio | mean within-round standard error | ratio |");
    println!("|---|---:|---:|---:|");
    for k in &d.kinds {
        let mut means = Vec::new();
        let mut ses = Vec::new();
        for r in &k.rounds {
            let v: Vec<f64> = (0..r.pairs())
                .filter_map(|j| Some((stats::mean(&r.head[j])? / stats::mean(&r.base[j])?).ln()))
                .collect();
            if v.len() >= 3 {
                means.push(stats::mean(&v).unwrap());
                ses.push(stats::sd(&v) / (v.len() as f64).sqrt());
            }
        }
        if means.len() < 3 {
            continue;
        }
        let between = stats::sd(&means);
        let within = stats::mean(&ses).unwrap_or(f64::NAN);
        println!(
            "| {} | {:.2}% | {:.2}% | {:.1} |",
            k.name,
            100.0 * between,
            100.0 * within,
            between / within
        );
    }
}

//! Per-round statistics a confirmation could judge, computed from a saved
//! round's blocks: the candidates the grid compares. The one `edgeperf`
//! uses is `edgeperf::compare::sequential::RoundStatistic::of_round`; the
//! grid checks it against the others on the same rounds.

use super::data::RoundData;

/// A candidate per-round statistic: ln(head/base) from a round's first
/// `pairs` block pairs, each block without its first `discard` inferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Median over block pairs of ln(median head block / median base block).
    BlockMedian,
    /// Mean over block pairs of ln(mean head block / mean base block).
    BlockMean,
    /// ln(median of all head samples / median of all base samples).
    PooledMedian,
    /// ln(p10 of all head samples / p10 of all base samples).
    PooledP10,
    /// ln(sum of head block minima / sum of base block minima).
    BlockMin,
}

pub const ALL: [Statistic; 5] = [
    Statistic::BlockMedian,
    Statistic::BlockMean,
    Statistic::PooledMedian,
    Statistic::PooledP10,
    Statistic::BlockMin,
];

impl Statistic {
    pub fn name(self) -> &'static str {
        match self {
            Statistic::BlockMedian => "median of block log-ratios",
            Statistic::BlockMean => "mean of block log-ratios (block means)",
            Statistic::PooledMedian => "log-ratio of pooled medians",
            Statistic::PooledP10 => "log-ratio of pooled p10",
            Statistic::BlockMin => "log-ratio of summed block minima",
        }
    }

    /// The statistic of `r` over its first `pairs` block pairs.
    pub fn of(self, r: &RoundData, pairs: usize, discard: usize) -> Option<f64> {
        let pairs = pairs.min(r.pairs());
        let trim = |b: &Vec<f64>| -> Vec<f64> { b.iter().skip(discard).copied().collect() };
        let base: Vec<Vec<f64>> = r.base.iter().take(pairs).map(trim).collect();
        let head: Vec<Vec<f64>> = r.head.iter().take(pairs).map(trim).collect();
        if base.iter().chain(&head).any(|b| b.is_empty()) || pairs == 0 {
            return None;
        }
        let pooled = |s: &[Vec<f64>]| -> Vec<f64> { s.iter().flatten().copied().collect() };
        match self {
            Statistic::BlockMedian => median(
                &base
                    .iter()
                    .zip(&head)
                    .map(|(a, b)| (median(b)? / median(a)?).ln().into())
                    .collect::<Option<Vec<f64>>>()?,
            ),
            Statistic::BlockMean => mean(
                &base
                    .iter()
                    .zip(&head)
                    .map(|(a, b)| (mean(b)? / mean(a)?).ln().into())
                    .collect::<Option<Vec<f64>>>()?,
            ),
            Statistic::PooledMedian => {
                Some((median(&pooled(&head))? / median(&pooled(&base))?).ln())
            }
            Statistic::PooledP10 => Some((p10(&pooled(&head))? / p10(&pooled(&base))?).ln()),
            Statistic::BlockMin => {
                let mins = |s: &[Vec<f64>]| -> f64 {
                    s.iter()
                        .map(|b| b.iter().copied().fold(f64::INFINITY, f64::min))
                        .sum()
                };
                Some((mins(&head) / mins(&base)).ln())
            }
        }
    }
}

pub fn median(v: &[f64]) -> Option<f64> {
    edgeperf::stats::median(v)
}

pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn p10(v: &[f64]) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    edgeperf::stats::quantile(&s, 0.10)
}

/// 1.4826 x the median absolute deviation: a robust standard deviation.
pub fn robust_sd(v: &[f64]) -> f64 {
    let m = median(v).unwrap_or(f64::NAN);
    let dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    1.4826 * median(&dev).unwrap_or(f64::NAN)
}

/// Sample standard deviation.
pub fn sd(v: &[f64]) -> f64 {
    let m = mean(v).unwrap_or(f64::NAN);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().max(2) - 1) as f64).sqrt()
}

/// Block pairs of `r` that hold `seconds` of timed inference per side.
pub fn pairs_for(r: &RoundData, seconds: f64) -> usize {
    let mut t = 0.0;
    for j in 0..r.pairs() {
        t += (r.base[j].iter().sum::<f64>() + r.head[j].iter().sum::<f64>()) / 2e3;
        if t >= seconds - 1e-9 {
            return j + 1;
        }
    }
    r.pairs()
}

/// A seeded generator (splitmix64), for resampling.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

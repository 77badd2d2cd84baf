//! Pure statistics for edgeperf: quantiles and summaries, rank tests, exact
//! McNemar, seeded bootstrap, distribution functions, PELT change-point
//! detection and the "anchor" decision rules used by criterion.rs, asv and
//! github-action-benchmark.
//!
//! Everything here is a pure function of its arguments: no I/O, no global
//! state, no clock. Randomised procedures take an explicit `seed` and are
//! bit-for-bit reproducible (see [`Rng`]).
//!
//! # Degenerate input
//!
//! Functions whose contract is "a value or nothing" (quantiles, median,
//! summary, rank tests, bootstrap intervals) return `Option`;
//! functions where the caller benefits from knowing *why* (mean, sd, MAD,
//! change points, anchor rules) return `Result<_, StatsError>`. Empty input and NaN/±inf
//! samples never panic. Constant data is *not* an error: it yields a standard
//! deviation of 0, a rank-test p-value of 1, no change points, etc.

mod anchors;
mod bootstrap;
mod changepoint;
mod dist;
mod mannwhitney;
mod mcnemar;
mod quantile;

pub use anchors::{
    asv_compare, asv_rule, criterion_compare, ratio_rule, AsvConfig, AsvReport, CriterionConfig,
    CriterionReport, Verdict,
};
pub use bootstrap::{bootstrap_ratio_ci, resample_into, Rng};
pub use changepoint::{
    pelt, pelt_default, robust_noise_variance, PeltConfig, DEFAULT_PENALTY_FACTOR,
};
pub use dist::{erfc, ln_gamma, normal_cdf, normal_quantile, normal_sf};
pub use mannwhitney::{mann_whitney_u, MannWhitney, EXACT_MAX_N};
pub use mcnemar::{binomial_half_cdf, mcnemar_one_sided};
pub use quantile::{mad, mean, median, quantile, sd, summary, Summary};

use std::fmt;

/// Why a statistic could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsError {
    /// The input had no elements.
    Empty,
    /// The input had fewer elements than the method needs.
    TooFew {
        /// Minimum number of elements required.
        need: usize,
        /// Number of elements supplied.
        got: usize,
    },
    /// The input contained NaN or ±infinity.
    NonFinite,
    /// A parameter (confidence level, threshold, segment length, …) is out of
    /// its documented domain.
    InvalidParameter(&'static str),
    /// A value that must be strictly positive (e.g. a latency entering a log
    /// ratio) was zero or negative.
    NonPositive,
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::Empty => write!(f, "input is empty"),
            StatsError::TooFew { need, got } => {
                write!(f, "need at least {need} values, got {got}")
            }
            StatsError::NonFinite => write!(f, "input contains NaN or infinite values"),
            StatsError::InvalidParameter(what) => write!(f, "invalid parameter: {what}"),
            StatsError::NonPositive => write!(f, "input contains zero or negative values"),
        }
    }
}

impl std::error::Error for StatsError {}

/// `Err(Empty)` / `Err(NonFinite)` checks shared by the submodules.
pub(crate) fn check_finite(data: &[f64]) -> Result<(), StatsError> {
    if data.is_empty() {
        return Err(StatsError::Empty);
    }
    if data.iter().any(|x| !x.is_finite()) {
        return Err(StatsError::NonFinite);
    }
    Ok(())
}

/// Sorted copy of finite data (total order; caller has checked finiteness).
pub(crate) fn sorted_copy(data: &[f64]) -> Vec<f64> {
    let mut v = data.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Average ranks (1-based) of `values`, ties receiving the mean of the ranks
/// they span, together with the tie term `Σ (t³ − t)` over tie groups.
/// Cost O(n log n).
pub(crate) fn average_ranks(values: &[f64]) -> (Vec<f64>, f64) {
    let n = values.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; n];
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && values[idx[j]] == values[idx[i]] {
            j += 1;
        }
        // positions i..j (0-based) share ranks i+1..=j
        let avg = (i + 1 + j) as f64 / 2.0;
        for &k in &idx[i..j] {
            ranks[k] = avg;
        }
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    (ranks, tie_term)
}

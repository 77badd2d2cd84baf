//! Pure statistics behind edgeperf's records and verdicts: type-7 quantiles,
//! moments, MAD and the run [`Summary`] (records, baselines, the latency
//! rule), the standard normal quantile (interval width of the latency
//! verdict), the exact binomial tail of the sign tests and one-sided McNemar
//! (latency and accuracy verdicts), the Wilson interval of a proportion
//! (accuracy bounds in exports), and PELT change points (`edgeperf history`).
//!
//! Only what the product calls lives here. The statistics of the detection
//! experiment alone (the criterion/asv/github-action-benchmark rules, their
//! rank test and resampling, a seeded generator) live next to it in
//! `benches/detection/`.
//!
//! Everything here is a pure function of its arguments: no I/O, no global
//! state, no clock, no randomness.
//!
//! # Degenerate input
//!
//! Functions whose contract is "a value or nothing" (quantile, median,
//! summary) return `Option`; functions where the caller benefits from knowing
//! *why* (mean, sd, MAD, change points) return `Result<_, StatsError>`. Empty
//! input and NaN/±inf samples never panic. Constant data is *not* an error: it
//! yields a standard deviation of 0, a MAD of 0, no change points, etc.

mod changepoint;
mod dist;
mod mcnemar;
mod proportion;
mod quantile;

pub use changepoint::{
    pelt, pelt_default, robust_noise_variance, PeltConfig, DEFAULT_PENALTY_FACTOR,
};
pub use dist::{normal_cdf, normal_quantile};
pub use mcnemar::{binomial_half_cdf, mcnemar_one_sided};
pub use proportion::wilson_interval;
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
    /// A parameter (segment length, penalty, …) is out of its documented
    /// domain.
    InvalidParameter(&'static str),
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

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
mod error;
mod mcnemar;
mod proportion;
mod quantile;

pub use changepoint::{
    pelt, pelt_default, robust_noise_variance, PeltConfig, DEFAULT_PENALTY_FACTOR,
};
pub use dist::{normal_cdf, normal_quantile};
pub use error::StatsError;
pub use mcnemar::{binomial_half_cdf, mcnemar_one_sided};
pub use proportion::wilson_interval;
pub use quantile::{mad, mean, median, quantile, sd, summary, Summary};

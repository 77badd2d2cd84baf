//! Why a statistic could not be computed, and the input checks shared by the
//! statistics that raise it.

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
pub(super) fn check_finite(data: &[f64]) -> Result<(), StatsError> {
    if data.is_empty() {
        return Err(StatsError::Empty);
    }
    if data.iter().any(|x| !x.is_finite()) {
        return Err(StatsError::NonFinite);
    }
    Ok(())
}

/// Sorted copy of finite data (total order; caller has checked finiteness).
pub(super) fn sorted_copy(data: &[f64]) -> Vec<f64> {
    let mut v = data.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

//! Quantiles (Hyndman–Fan type 7), moments, median absolute deviation and a
//! one-call [`Summary`] of a latency sample.
//!
//! Source: R. J. Hyndman & Y. Fan, "Sample Quantiles in Statistical
//! Packages", *The American Statistician* 50(4), 1996 — definition 7, the
//! default of R's `quantile` and NumPy's `np.quantile` (`method="linear"`).

use super::error::{check_finite, sorted_copy, StatsError};

/// Type-7 quantile of already **ascending-sorted**, finite data.
///
/// With h = (n − 1)·q, returns x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋) (0-based), i.e.
/// linear interpolation between order statistics; q = 0 is the minimum and
/// q = 1 the maximum. Invariant: min <= result <= max, monotone in q.
///
/// Returns `None` when `sorted` is empty, `q` is NaN or outside [0, 1], or
/// either interpolated order statistic (or an end point) is non-finite. The
/// sort order itself is the caller's responsibility (not checked: O(1) cost).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || q.is_nan() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    if !sorted[0].is_finite() || !sorted[n - 1].is_finite() {
        return None;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let lo = lo.min(n - 1);
    let frac = h - lo as f64;
    let a = sorted[lo];
    if lo + 1 >= n || frac == 0.0 {
        return a.is_finite().then_some(a);
    }
    let b = sorted[lo + 1];
    let v = a + (b - a) * frac;
    v.is_finite().then_some(v)
}

/// Type-7 median of unsorted `data` (mean of the two middle values for even
/// n). `None` if `data` is empty or contains NaN/±∞. Cost O(n log n).
pub fn median(data: &[f64]) -> Option<f64> {
    check_finite(data).ok()?;
    quantile(&sorted_copy(data), 0.5)
}

/// Arithmetic mean. `Err(Empty)` / `Err(NonFinite)` on degenerate input.
///
/// Computed as x₀ + mean(xᵢ − x₀), so constant data returns exactly that
/// constant (and [`sd`] exactly 0). Cost O(n).
pub fn mean(data: &[f64]) -> Result<f64, StatsError> {
    check_finite(data)?;
    Ok(shifted_mean(data))
}

fn shifted_mean(data: &[f64]) -> f64 {
    let shift = data[0];
    let s: f64 = data.iter().map(|x| x - shift).sum();
    shift + s / data.len() as f64
}

/// Sample standard deviation (Bessel-corrected, divisor n − 1), two-pass.
///
/// `Err(TooFew{need: 2})` for fewer than two points; 0 for constant data.
/// Cost O(n).
pub fn sd(data: &[f64]) -> Result<f64, StatsError> {
    check_finite(data)?;
    if data.len() < 2 {
        return Err(StatsError::TooFew {
            need: 2,
            got: data.len(),
        });
    }
    let m = shifted_mean(data);
    let ss: f64 = data.iter().map(|x| (x - m) * (x - m)).sum();
    Ok((ss / (data.len() - 1) as f64).sqrt())
}

/// Raw median absolute deviation, median(|xᵢ − median(x)|) — *not* scaled by
/// 1.4826 (multiply by that constant for a consistent estimator of σ under
/// normality). 0 for constant data. Cost O(n log n).
pub fn mad(data: &[f64]) -> Result<f64, StatsError> {
    check_finite(data)?;
    let sorted = sorted_copy(data);
    Ok(mad_sorted(&sorted))
}

/// MAD of non-empty, sorted, finite data.
pub(crate) fn mad_sorted(sorted: &[f64]) -> f64 {
    let med = quantile(sorted, 0.5).unwrap_or(f64::NAN);
    let mut dev: Vec<f64> = sorted.iter().map(|x| (x - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    quantile(&dev, 0.5).unwrap_or(f64::NAN)
}

/// Descriptive summary of one sample set. Percentiles are type 7.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of samples (>= 1).
    pub n: usize,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1). A single sample has no
    /// observable spread and reports 0 (not an estimate; check `n`).
    pub sd: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Raw median absolute deviation (unscaled).
    pub mad: f64,
}

/// Summarise `samples`: n, min/max, mean, sd, type-7 percentiles and MAD.
///
/// `None` if `samples` is empty or contains NaN/±∞ (use [`mean`]/[`sd`]
/// for the reason). A single sample gives all percentiles equal to it and
/// `mad` = `sd` = 0. Invariant: min <= p5 <= … <= p99 <= max; sd, mad >= 0.
/// Cost O(n log n) (one sort plus one for the MAD).
pub fn summary(samples: &[f64]) -> Option<Summary> {
    check_finite(samples).ok()?;
    let s = sorted_copy(samples);
    let q = |p: f64| quantile(&s, p).unwrap_or(f64::NAN);
    Some(Summary {
        n: s.len(),
        min: s[0],
        max: s[s.len() - 1],
        mean: shifted_mean(samples),
        sd: sd(samples).unwrap_or(0.0),
        p5: q(0.05),
        p10: q(0.10),
        p25: q(0.25),
        p50: q(0.50),
        p75: q(0.75),
        p90: q(0.90),
        p95: q(0.95),
        p99: q(0.99),
        mad: mad_sorted(&s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn quantile_type7_matches_numpy() {
        // np.quantile([1, 2, 3, 4, 10], q) (method="linear")
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile(&s, 0.0), Some(1.0));
        assert_eq!(quantile(&s, 1.0), Some(10.0));
        assert_eq!(quantile(&s, 0.5), Some(3.0));
        assert!(close(quantile(&s, 0.9).unwrap(), 7.6));
        assert!(close(quantile(&s, 0.33).unwrap(), 2.32));
        // even n: median is the midpoint
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        // np.quantile(range(1, 11), 0.99) == 9.91
        let r: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!(close(quantile(&r, 0.99).unwrap(), 9.91));
        assert!(close(quantile(&r, 0.05).unwrap(), 1.45));
    }

    #[test]
    fn quantile_degenerate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.0), Some(7.0));
        assert_eq!(quantile(&[7.0], 0.37), Some(7.0));
        assert_eq!(quantile(&[1.0, 2.0], -0.1), None);
        assert_eq!(quantile(&[1.0, 2.0], 1.1), None);
        assert_eq!(quantile(&[1.0, 2.0], f64::NAN), None);
        assert_eq!(quantile(&[1.0, f64::NAN], 0.5), None);
        assert_eq!(quantile(&[3.0, 3.0, 3.0], 0.9), Some(3.0));
    }

    #[test]
    fn moments_known() {
        // np.mean / np.std(ddof=1) of [2, 4, 4, 4, 5, 5, 7, 9]
        let d = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&d), Ok(5.0));
        assert!(close(sd(&d).unwrap(), 2.138_089_935_299_395));
        assert_eq!(mean(&[]), Err(StatsError::Empty));
        assert_eq!(sd(&[1.0]), Err(StatsError::TooFew { need: 2, got: 1 }));
        assert_eq!(sd(&[1.0, f64::NAN]), Err(StatsError::NonFinite));
        // constant data: exact
        let c = [0.1; 7];
        assert_eq!(mean(&c), Ok(0.1));
        assert_eq!(sd(&c), Ok(0.0));
    }

    #[test]
    fn median_known() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn mad_known() {
        // scipy.stats.median_abs_deviation([1, 1, 2, 2, 4, 6, 9]) == 1.0
        assert_eq!(mad(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]), Ok(1.0));
        // [1, 2, 3, 4, 100]: median 3, |dev| = [2,1,0,1,97] -> 1
        assert_eq!(mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), Ok(1.0));
        assert_eq!(mad(&[5.0; 4]), Ok(0.0));
        assert_eq!(mad(&[]), Err(StatsError::Empty));
        assert_eq!(mad(&[f64::NAN]), Err(StatsError::NonFinite));
    }

    #[test]
    fn summary_known() {
        let d: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summary(&d).unwrap();
        assert_eq!(s.n, 100);
        assert_eq!((s.min, s.max), (1.0, 100.0));
        assert_eq!(s.mean, 50.5);
        // np.std(range(1,101), ddof=1)
        assert!(close(s.sd, 29.011_491_975_882_016));
        // np.percentile(range(1,101), [5,10,25,50,75,90,95,99])
        assert!(close(s.p5, 5.95));
        assert!(close(s.p10, 10.9));
        assert!(close(s.p25, 25.75));
        assert!(close(s.p50, 50.5));
        assert!(close(s.p75, 75.25));
        assert!(close(s.p90, 90.1));
        assert!(close(s.p95, 95.05));
        assert!(close(s.p99, 99.01));
        assert_eq!(s.mad, 25.0);
    }

    #[test]
    fn summary_degenerate() {
        assert_eq!(summary(&[]), None);
        assert_eq!(summary(&[1.0, f64::NAN]), None);
        let one = summary(&[3.5]).unwrap();
        assert_eq!((one.n, one.sd), (1, 0.0));
        assert_eq!((one.p5, one.p99, one.mad), (3.5, 3.5, 0.0));
        let c = summary(&[2.0; 10]).unwrap();
        assert_eq!(c.sd, 0.0);
        assert_eq!(c.mad, 0.0);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn quantile_monotone_and_bounded(
                data in prop::collection::vec(-1e9f64..1e9, 1..60),
                q1 in 0.0f64..=1.0, q2 in 0.0f64..=1.0
            ) {
                let (lo, hi) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
                let sorted = sorted_copy(&data);
                let v: Vec<f64> = [lo, hi, 0.0, 1.0]
                    .iter()
                    .map(|&q| quantile(&sorted, q).unwrap())
                    .collect();
                prop_assert!(v[0] <= v[1]);
                prop_assert!(v[2] <= v[0] && v[1] <= v[3]);
                let s = summary(&data).unwrap();
                prop_assert!(s.min <= s.p5 && s.p5 <= s.p25 && s.p25 <= s.p50);
                prop_assert!(s.p50 <= s.p75 && s.p75 <= s.p95 && s.p99 <= s.max);
                prop_assert!(s.mad >= 0.0 && s.sd >= 0.0);
                prop_assert_eq!(median(&data), Some(s.p50));
            }
        }
    }
}

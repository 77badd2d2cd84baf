//! Exact binomial tail for the sign tests: the one-sided exact McNemar test
//! for paired binary outcomes (per-example accuracy of base vs head model on
//! the same evaluation set, `compare::accuracy`) and the sign test over
//! interleaved latency pairs (`compare::latency`).
//!
//! Source: Q. McNemar, *Psychometrika* 12(2), 1947; the exact (conditional)
//! version is a binomial test on the discordant pairs, see A. Agresti,
//! *Categorical Data Analysis* (3rd ed., §11.1). Values agree with
//! `scipy.stats.binomtest(k, n, 0.5)`.

use super::dist::ln_gamma;
use std::f64::consts::LN_2;

/// P(X <= k) for X ~ Binomial(n, ½).
///
/// Evaluated in log space: ln pmf(k) from log-gamma, then the remaining
/// terms by the ratio pmf(i−1)/pmf(i) = i/(n−i+1), summed until negligible,
/// always on the lighter tail (k < n/2; the other side by symmetry). Handles n
/// in the millions; relative error ~1e-10 at n = 10⁵ (log-gamma rounding).
/// Cost O(min(k, √n · 40)) terms.
pub fn binomial_half_cdf(n: u64, k: u64) -> f64 {
    if k >= n {
        return 1.0;
    }
    // For k >= n/2 use P(X <= k) = 1 − P(X <= n−k−1).
    if 2 * k >= n {
        return 1.0 - lower_tail(n, n - k - 1);
    }
    lower_tail(n, k)
}

/// P(X <= k) for k < n/2 (so every term below k is smaller than pmf(k)).
fn lower_tail(n: u64, k: u64) -> f64 {
    let (nf, kf) = (n as f64, k as f64);
    let ln_pmf_k = ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0) - nf * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut i = k;
    while i > 0 {
        term *= i as f64 / (n - i + 1) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
        i -= 1;
    }
    (ln_pmf_k + sum.ln()).exp().min(1.0)
}

/// One-sided exact McNemar p-value for "head is worse": P(X >= b) with
/// X ~ Bin(b + c, ½), where `b` = base-correct/head-wrong and
/// `c` = base-wrong/head-correct. Equals P(X <= c) by symmetry.
/// `b + c == 0` gives 1.0. Invariant: 0 <= p <= 1. Cost: see
/// [`binomial_half_cdf`].
pub fn mcnemar_one_sided(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    binomial_half_cdf(n, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    /// Two-sided exact p-value min(1, 2·P(X <= min(b, c))), X ~ Bin(b + c, ½):
    /// the sign test `compare::latency` computes from [`binomial_half_cdf`].
    fn two_sided(b: u64, c: u64) -> f64 {
        if b + c == 0 {
            return 1.0;
        }
        (2.0 * binomial_half_cdf(b + c, b.min(c))).min(1.0)
    }

    /// (b, c, two-sided, one-sided greater) from scipy 1.17.1 binomtest.
    const CASES: [(u64, u64, f64, f64); 10] = [
        (10, 2, 0.038_574_218_75, 0.019_287_109_375),
        (0, 5, 0.0625, 1.0),
        (5, 5, 1.0, 0.623_046_875),
        (3, 4, 1.0, 0.773_437_5),
        (1, 0, 1.0, 0.5),
        (25, 10, 0.016_673_847_800_120_715, 0.008_336_923_900_060_357),
        (
            50_400,
            49_600,
            0.011_514_925_490_229_02,
            0.005_757_462_745_114_51,
        ),
        (
            50_100,
            49_900,
            0.529_157_294_080_198_1,
            0.264_578_647_040_099_04,
        ),
        (
            1_000,
            1_200,
            2.181_702_640_791_419_4e-5,
            0.999_990_992_096_639_3,
        ),
        (0, 60, 1.734_723_475_976_807e-18, 1.0),
    ];

    #[test]
    fn matches_scipy_binomtest() {
        for (b, c, two, one) in CASES {
            let (p2, p1) = (two_sided(b, c), mcnemar_one_sided(b, c));
            assert!(
                close(p2, two, 1e-8),
                "two-sided({b},{c}) = {p2}, want {two}"
            );
            assert!(
                close(p1, one, 1e-8),
                "one-sided({b},{c}) = {p1}, want {one}"
            );
            assert_eq!(two_sided(c, b), p2);
        }
    }

    #[test]
    fn degenerate() {
        assert_eq!(mcnemar_one_sided(0, 0), 1.0);
        assert_eq!(binomial_half_cdf(0, 0), 1.0);
        assert_eq!(binomial_half_cdf(10, 10), 1.0);
        assert!(close(binomial_half_cdf(10, 0), 1.0 / 1024.0, 1e-12));
    }

    #[test]
    fn large_n_in_unit_interval() {
        for (b, c) in [
            (100_000, 0),
            (0, 100_000),
            (49_999, 50_001),
            (70_000, 30_000),
        ] {
            let p = two_sided(b, c);
            assert!((0.0..=1.0).contains(&p), "{b},{c}: {p}");
            let q = mcnemar_one_sided(b, c);
            assert!((0.0..=1.0).contains(&q), "{b},{c}: {q}");
        }
    }
}

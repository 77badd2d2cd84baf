//! Paired analysis of interleaved A/B rounds: log-ratio t-interval and the
//! Wilcoxon signed-rank test.
//!
//! Sources: one-sample Student t on log ratios (e.g. Kalibera & Jones,
//! "Rigorous Benchmarking in Reasonable Time", ISMM 2013, for ratios of
//! execution times); F. Wilcoxon, *Biometrics Bulletin* 1(6), 1945, with the
//! normal approximation and tie correction of Hollander, Wolfe & Chicken,
//! *Nonparametric Statistical Methods* (3rd ed., §3.1), matching
//! `scipy.stats.wilcoxon(zero_method="wilcox", correction=False,
//! method="approx")`.

use super::average_ranks;
use super::dist::{normal_sf, student_t_quantile, student_t_sf};
use super::quantile::quantile;

/// Result of [`paired_log_ratio`]. Fractional changes are head relative to
/// base: 0.05 means head (`b`) is 5 % larger than base (`a`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedChange {
    /// exp(median ln(bᵢ/aᵢ)) − 1: robust point estimate of the change.
    pub estimate: f64,
    /// Mean of the log ratios ln(bᵢ/aᵢ).
    pub mean_log: f64,
    /// Sample standard deviation (n − 1) of the log ratios; 0 if constant.
    pub sd_log: f64,
    /// Lower end of the t-interval for the mean log ratio, as exp(·) − 1.
    pub ci_lo: f64,
    /// Upper end of the t-interval for the mean log ratio, as exp(·) − 1.
    pub ci_hi: f64,
    /// Two-sided one-sample t-test p-value for H₀: E[ln(b/a)] = 0.
    pub p_value: f64,
    /// Number of pairs.
    pub n: usize,
}

/// Paired change of `b` (head) relative to `a` (base) from per-round values.
///
/// With dᵢ = ln(bᵢ/aᵢ): estimate = exp(median d) − 1; interval
/// exp(d̄ ± t₍₁₊c₎/₂,ₙ₋₁ · s/√n) − 1; p from t = d̄/(s/√n) with n − 1 df.
/// If all dᵢ are equal (s = 0) the interval collapses to the point and
/// p = 1 when d̄ = 0, else 0.
///
/// `None` when lengths differ, n < 2, any value is non-finite or <= 0, or
/// `confidence` is not in (0, 1). Invariant: ci_lo <= ci_hi, both > −1.
/// Cost O(n log n) (median).
pub fn paired_log_ratio(a: &[f64], b: &[f64], confidence: f64) -> Option<PairedChange> {
    let n = a.len();
    if n != b.len() || n < 2 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    if a.iter().chain(b).any(|x| !x.is_finite() || *x <= 0.0) {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| (y / x).ln()).collect();
    if d.iter().any(|x| !x.is_finite()) {
        return None; // ratio overflow/underflow at the extremes of f64
    }
    let shift = d[0];
    let mean_log = shift + d.iter().map(|x| x - shift).sum::<f64>() / n as f64;
    let ss: f64 = d.iter().map(|x| (x - mean_log) * (x - mean_log)).sum();
    let sd_log = (ss / (n - 1) as f64).sqrt();
    let mut sorted = d.clone();
    sorted.sort_by(f64::total_cmp);
    let median = quantile(&sorted, 0.5)?;
    let df = (n - 1) as f64;
    let se = sd_log / (n as f64).sqrt();
    let (ci_lo, ci_hi, p_value) = if se == 0.0 {
        let p = if mean_log == 0.0 { 1.0 } else { 0.0 };
        (mean_log.exp_m1(), mean_log.exp_m1(), p)
    } else {
        let tcrit = student_t_quantile(0.5 + confidence / 2.0, df);
        let t = mean_log / se;
        (
            (mean_log - tcrit * se).exp_m1(),
            (mean_log + tcrit * se).exp_m1(),
            (2.0 * student_t_sf(t.abs(), df)).min(1.0),
        )
    };
    Some(PairedChange {
        estimate: median.exp_m1(),
        mean_log,
        sd_log,
        ci_lo,
        ci_hi,
        p_value,
        n,
    })
}

/// Result of [`wilcoxon_signed_rank`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    /// Sum of ranks of |dᵢ| over positive dᵢ = bᵢ − aᵢ (zeros dropped).
    pub w_plus: f64,
    /// Sum of ranks over negative dᵢ. w_plus + w_minus = m(m+1)/2.
    pub w_minus: f64,
    /// (w_plus − m(m+1)/4)/σ with tie-corrected σ, no continuity
    /// correction; positive when `b` tends to exceed `a`. 0 when m = 0.
    pub z: f64,
    /// Two-sided p-value from the normal approximation; 1 when m = 0.
    pub p_two_sided: f64,
    /// m: number of non-zero differences actually ranked.
    pub n_nonzero: usize,
}

/// Wilcoxon signed-rank test on the paired differences dᵢ = bᵢ − aᵢ.
///
/// Zero handling is Wilcoxon's ("wilcox", scipy's default): zero differences
/// are discarded before ranking. Ties among |dᵢ| get average ranks and the
/// variance m(m+1)(2m+1)/24 is reduced by Σ(t³ − t)/48. Normal approximation
/// without continuity correction: p = 2·(1 − Φ(|z|)). For ratio data pass
/// logarithms (`ln aᵢ`, `ln bᵢ`) to test the log ratios instead.
///
/// The normal approximation is poor for m below ~10; treat such p-values as
/// indicative only.
///
/// `None` when lengths differ, inputs are empty, or any value is
/// non-finite. All-zero differences give p = 1. Cost O(n log n).
pub fn wilcoxon_signed_rank(a: &[f64], b: &[f64]) -> Option<Wilcoxon> {
    if a.len() != b.len() || a.is_empty() || a.iter().chain(b).any(|x| !x.is_finite()) {
        return None;
    }
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| y - x)
        .filter(|v| *v != 0.0)
        .collect();
    let m = d.len();
    if m == 0 {
        return Some(Wilcoxon {
            w_plus: 0.0,
            w_minus: 0.0,
            z: 0.0,
            p_two_sided: 1.0,
            n_nonzero: 0,
        });
    }
    let abs: Vec<f64> = d.iter().map(|v| v.abs()).collect();
    let (ranks, tie_term) = average_ranks(&abs);
    let w_plus: f64 = d
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| **v > 0.0)
        .map(|(_, r)| r)
        .sum();
    let mf = m as f64;
    let total = mf * (mf + 1.0) / 2.0;
    let mean = total / 2.0;
    let var = mf * (mf + 1.0) * (2.0 * mf + 1.0) / 24.0 - tie_term / 48.0;
    let z = if var > 0.0 {
        (w_plus - mean) / var.sqrt()
    } else {
        0.0
    };
    Some(Wilcoxon {
        w_plus,
        w_minus: total - w_plus,
        z,
        p_two_sided: (2.0 * normal_sf(z.abs())).min(1.0),
        n_nonzero: m,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    const A: [f64; 10] = [10.2, 10.5, 9.9, 10.1, 10.4, 10.0, 10.3, 10.6, 9.8, 10.2];
    const B: [f64; 10] = [10.9, 10.8, 10.4, 10.6, 10.9, 10.3, 10.8, 11.2, 10.1, 10.7];

    #[test]
    fn log_ratio_matches_scipy() {
        // numpy/scipy 1.17.1: d = log(B/A); expm1(median), t.interval(0.95),
        // ttest_1samp(d, 0).pvalue
        let r = paired_log_ratio(&A, &B, 0.95).unwrap();
        assert_eq!(r.n, 10);
        assert!(close(r.estimate, 0.048_781_621_586_338_704, 1e-12));
        assert!(close(r.mean_log, 0.044_912_243_294_440_93, 1e-12));
        assert!(close(r.sd_log, 0.012_234_332_970_164_196, 1e-10));
        assert!(close(r.ci_lo, 0.036_822_065_514_437_285, 1e-9));
        assert!(close(r.ci_hi, 0.055_130_185_480_313_25, 1e-9));
        assert!(close(r.p_value, 1.020_703_794_630_821e-6, 1e-8));
    }

    #[test]
    fn log_ratio_no_effect() {
        let a = [5.0, 5.3, 4.8, 5.1, 5.2, 4.9];
        let b = [5.1, 5.0, 4.9, 5.3, 5.0, 5.0];
        let r = paired_log_ratio(&a, &b, 0.9).unwrap();
        assert!(close(r.estimate, 0.020_204_061_220_407_16, 1e-10));
        assert!(close(r.mean_log, 2.668_802_278_290_034e-4, 1e-9));
        assert!(close(r.sd_log, 0.039_085_050_441_663_27, 1e-10));
        assert!(close(r.ci_lo, -0.031_383_048_140_954_85, 1e-9));
        assert!(close(r.ci_hi, 0.032_951_055_637_437_97, 1e-9));
        assert!(close(r.p_value, 0.987_302_421_577_693_8, 1e-9));
    }

    #[test]
    fn log_ratio_degenerate() {
        assert!(paired_log_ratio(&[1.0], &[1.0], 0.95).is_none());
        assert!(paired_log_ratio(&[1.0, 2.0], &[1.0], 0.95).is_none());
        assert!(paired_log_ratio(&[1.0, 0.0], &[1.0, 1.0], 0.95).is_none());
        assert!(paired_log_ratio(&[1.0, -2.0], &[1.0, 1.0], 0.95).is_none());
        assert!(paired_log_ratio(&[1.0, f64::NAN], &[1.0, 1.0], 0.95).is_none());
        assert!(paired_log_ratio(&[1.0, 2.0], &[1.0, 2.0], 1.0).is_none());
        let same = paired_log_ratio(&[3.0; 5], &[3.0; 5], 0.95).unwrap();
        assert_eq!((same.estimate, same.sd_log, same.p_value), (0.0, 0.0, 1.0));
        assert_eq!((same.ci_lo, same.ci_hi), (0.0, 0.0));
        let doubled = paired_log_ratio(&[1.0, 2.0, 4.0], &[2.0, 4.0, 8.0], 0.95).unwrap();
        assert!(close(doubled.estimate, 1.0, 1e-12));
        assert_eq!(doubled.p_value, 0.0);
        assert!(close(doubled.ci_lo, 1.0, 1e-12) && close(doubled.ci_hi, 1.0, 1e-12));
    }

    /// scipy.stats.wilcoxon(x, y, zero_method="wilcox", correction=False,
    /// method="approx"), where scipy's d = x − y, i.e. our (a, b) = (y, x).
    #[test]
    fn wilcoxon_matches_scipy() {
        let r = wilcoxon_signed_rank(&A, &B).unwrap();
        assert_eq!((r.w_plus, r.w_minus, r.n_nonzero), (55.0, 0.0, 10));
        assert!(close(r.p_two_sided, 0.004_481_980_156_450_947, 1e-9));
        assert!(close(r.z, 2.842_083_141_308_41, 1e-9));

        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let y = [1.5, 1.0, 3.5, 2.0, 4.0, 7.0, 5.5, 6.0, 8.0, 8.5];
        let r = wilcoxon_signed_rank(&y, &x).unwrap();
        assert_eq!(r.w_minus.min(r.w_plus), 7.5);
        assert!(close(r.p_two_sided, 0.039_780_718_750_726_51, 1e-9));
        assert!(close(r.z.abs(), 2.056_018_648_173_709, 1e-9));

        // zeros dropped (m = 3) and tied |d|
        let r =
            wilcoxon_signed_rank(&[3.0, 4.0, 2.0, 5.0, 9.0], &[3.0, 3.0, 3.0, 5.0, 6.0]).unwrap();
        assert_eq!((r.n_nonzero, r.w_plus.min(r.w_minus)), (3, 1.5));
        assert!(close(r.p_two_sided, 0.414_216_178_242_525_2, 1e-9));

        let x: Vec<f64> = (1..=12).map(f64::from).collect();
        let y = [
            2.0, 2.0, 1.0, 6.0, 4.0, 9.0, 8.0, 12.0, 11.0, 10.0, 14.0, 13.0,
        ];
        let r = wilcoxon_signed_rank(&y, &x).unwrap();
        assert_eq!(r.w_plus.min(r.w_minus), 8.5);
        assert!(close(r.p_two_sided, 0.050_488_359_686_041_09, 1e-9));
    }

    #[test]
    fn wilcoxon_degenerate() {
        assert!(wilcoxon_signed_rank(&[], &[]).is_none());
        assert!(wilcoxon_signed_rank(&[1.0], &[1.0, 2.0]).is_none());
        assert!(wilcoxon_signed_rank(&[1.0], &[f64::NAN]).is_none());
        let z = wilcoxon_signed_rank(&[2.0; 4], &[2.0; 4]).unwrap();
        assert_eq!((z.p_two_sided, z.n_nonzero, z.z), (1.0, 0, 0.0));
    }
}

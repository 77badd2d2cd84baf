//! Confidence interval of a proportion: how sure a top-1 of 54/70 is.
//!
//! Wilson score interval (E. B. Wilson, "Probable inference, the law of
//! succession, and statistical inference", JASA 1927): unlike the normal
//! ("Wald") interval it stays inside [0, 1] and keeps close to its nominal
//! coverage for small n and for proportions near 0 or 1, which is where
//! accuracy on a few dozen photos lives. O(1).

use super::dist::normal_quantile;

/// Two-sided Wilson score interval of `successes` out of `n` at `confidence`
/// (e.g. 0.95), as fractions `(low, high)` with `low <= successes / n <= high`.
/// `None` when `n == 0`, `successes > n`, or `confidence` is not in (0, 1).
pub fn wilson_interval(successes: u64, n: u64, confidence: f64) -> Option<(f64, f64)> {
    if n == 0 || successes > n || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let z = normal_quantile(0.5 + confidence / 2.0);
    let n = n as f64;
    let p = successes as f64 / n;
    let z2n = z * z / n;
    let centre = (p + z2n / 2.0) / (1.0 + z2n);
    let half = z / (1.0 + z2n) * (p * (1.0 - p) / n + z2n / (4.0 * n)).sqrt();
    // Exact ends at 0 and n (the formula gives them up to rounding).
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if successes as f64 == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Newcombe, "Two-sided confidence intervals for the single proportion"
        // (Statistics in Medicine 1998), Table II, method 3 (Wilson, no
        // continuity correction), to four decimals.
        for (k, n, want_lo, want_hi) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ] {
            let (lo, hi) = wilson_interval(k, n, 0.95).unwrap();
            assert!(
                (lo - want_lo).abs() < 5e-5 && (hi - want_hi).abs() < 5e-5,
                "{k}/{n}: {lo} {hi}"
            );
        }
    }

    #[test]
    fn ends_and_degenerate_input() {
        let (lo, hi) = wilson_interval(0, 20, 0.95).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.1 && hi < 0.2, "{hi}");
        let (lo, hi) = wilson_interval(20, 20, 0.95).unwrap();
        assert_eq!(hi, 1.0);
        assert!(lo > 0.8 && lo < 0.9, "{lo}");
        assert_eq!(wilson_interval(1, 0, 0.95), None);
        assert_eq!(wilson_interval(3, 2, 0.95), None);
        assert_eq!(wilson_interval(1, 2, 1.0), None);
        assert_eq!(wilson_interval(1, 2, f64::NAN), None);
    }

    #[test]
    fn wider_with_more_confidence_and_narrower_with_more_data() {
        let w = |k, n, c| {
            let (lo, hi) = wilson_interval(k, n, c).unwrap();
            hi - lo
        };
        assert!(w(54, 70, 0.99) > w(54, 70, 0.95));
        assert!(w(540, 700, 0.95) < w(54, 70, 0.95));
    }
}

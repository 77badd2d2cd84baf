//! Mann–Whitney U (Wilcoxon rank-sum) test for two independent samples, the
//! significance part of the asv rule ([`crate::anchors::asv_compare`]).
//!
//! Sources: H. B. Mann & D. R. Whitney, *Ann. Math. Statist.* 18(1), 1947;
//! normal approximation with tie and continuity correction as in Hollander,
//! Wolfe & Chicken, *Nonparametric Statistical Methods* (3rd ed., §4.1), and
//! matching `scipy.stats.mannwhitneyu` (SciPy ≥ 1.7).

use edgeperf::stats::normal_cdf;

/// Standard normal upper tail 1 − Φ(z) without cancellation: Φ(−z) is
/// computed as ½·erfc(z/√2), the same expression (bit for bit) as an upper
/// tail, so p-values stay accurate far into the tail.
fn normal_sf(z: f64) -> f64 {
    normal_cdf(-z)
}

/// Average ranks (1-based) of `values`, ties receiving the mean of the ranks
/// they span, together with the tie term `Σ (t³ − t)` over tie groups.
/// Cost O(n log n).
fn average_ranks(values: &[f64]) -> (Vec<f64>, f64) {
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

/// Largest per-sample size for which the exact null distribution is used
/// (when there are also no ties).
pub const EXACT_MAX_N: usize = 20;

/// Result of [`mann_whitney_u`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the **first** sample `a`: the number of pairs
    /// (aᵢ, bⱼ) with aᵢ > bⱼ, ties counting ½ (scipy's returned statistic).
    /// Invariant: 0 <= u <= n_a·n_b.
    pub u: f64,
    /// Signed normal score of `u`, (u − n_a n_b/2 ∓ ½)/σ_U with tie-corrected
    /// σ_U and the continuity correction applied toward zero. Positive means
    /// `a` tends to be larger than `b`. 0 when σ_U = 0 (all values tied).
    /// Reported even when the p-values are exact.
    pub z: f64,
    /// Two-sided p-value for H₀: the two distributions are equal.
    pub p_two_sided: f64,
    /// One-sided p-value for the alternative "`a` is stochastically
    /// **greater** than `b`" (scipy `alternative="greater"`). For latency
    /// regression checks pass the head sample as `a`.
    pub p_greater: f64,
    /// Whether the exact null distribution was used.
    pub exact: bool,
}

/// Mann–Whitney U test of samples `a` and `b`.
///
/// * Exact permutation distribution of U (scipy `method="exact"`) when both
///   samples have at most [`EXACT_MAX_N`] points and there are no ties.
///   p_two_sided = min(1, 2·P(U >= max(U₁, U₂))), p_greater = P(U >= U₁).
/// * Otherwise the normal approximation with tie correction
///   σ² = n₁n₂/12 · ((n+1) − Σ(t³−t)/(n(n−1))) and continuity correction ½
///   (scipy `method="asymptotic", use_continuity=True`).
///
/// Returns `None` if either sample is empty or contains NaN/±∞. When every
/// value is tied (σ = 0) both p-values are 1.
///
/// Cost: O((n₁+n₂) log(n₁+n₂)) for ranking; the exact branch adds
/// O(n₁² n₂²) ≤ 1.6·10⁵ operations.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    if a.is_empty() || b.is_empty() || a.iter().chain(b).any(|x| !x.is_finite()) {
        return None;
    }
    let (n1, n2) = (a.len(), b.len());
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    let (ranks, tie_term) = average_ranks(&all);
    let r1: f64 = ranks[..n1].iter().sum();
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u1 = r1 - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let mu = f1 * f2 / 2.0;
    let n = f1 + f2;
    let var = f1 * f2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    let s = var.max(0.0).sqrt();
    let z = if s > 0.0 {
        let d = u1 - mu;
        d.signum() * (d.abs() - 0.5).max(0.0) / s
    } else {
        0.0
    };

    if n1 <= EXACT_MAX_N && n2 <= EXACT_MAX_N && tie_term == 0.0 {
        let counts = u_distribution(n1, n2);
        let total: f64 = counts.iter().sum();
        // U values are integers when there are no ties.
        let sf = |u: f64| -> f64 {
            let k = u.round() as usize;
            counts[k.min(counts.len())..].iter().sum::<f64>() / total
        };
        return Some(MannWhitney {
            u: u1,
            z,
            p_two_sided: (2.0 * sf(u1.max(u2))).min(1.0),
            p_greater: sf(u1).min(1.0),
            exact: true,
        });
    }

    if s == 0.0 {
        return Some(MannWhitney {
            u: u1,
            z: 0.0,
            p_two_sided: 1.0,
            p_greater: 1.0,
            exact: false,
        });
    }
    let z_two = (u1.max(u2) - mu - 0.5) / s;
    let z_greater = (u1 - mu - 0.5) / s;
    Some(MannWhitney {
        u: u1,
        z,
        p_two_sided: (2.0 * normal_sf(z_two)).min(1.0),
        p_greater: normal_sf(z_greater).min(1.0),
        exact: false,
    })
}

/// Number of arrangements giving each U = 0..=m·n for sample sizes (m, n),
/// via f(m, n, u) = f(m−1, n, u−n) + f(m, n−1, u) (Mann & Whitney 1947).
/// Counts are exact in f64 up to C(40, 20) ≈ 1.4·10¹¹.
fn u_distribution(m: usize, n: usize) -> Vec<f64> {
    // rows[j] holds f(i, j, ·) for the current i.
    let mut prev: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect(); // i = 0
    for i in 1..=m {
        let mut cur: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        cur.push(vec![1.0]); // j = 0
        for j in 1..=n {
            let mut v = vec![0.0; i * j + 1];
            // largest element from a: contributes j
            for (u, &c) in prev[j].iter().enumerate() {
                v[u + j] += c;
            }
            // largest element from b: contributes 0
            for (u, &c) in cur[j - 1].iter().enumerate() {
                v[u] += c;
            }
            cur.push(v);
        }
        prev = cur;
    }
    prev.swap_remove(n)
}

// Run by tests/detection_stats.rs. `cargo bench` also builds this module
// (`--cfg test`, harness = false) but without its #[test] functions, which
// leaves their helpers and imports unused there.
#[cfg(test)]
#[allow(dead_code, unused_imports)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn exact_distribution_sums_to_binomial() {
        let d = u_distribution(4, 6);
        assert_eq!(d.len(), 25);
        assert_eq!(d.iter().sum::<f64>(), 210.0); // C(10, 4)
                                                  // symmetric
        for u in 0..d.len() {
            assert_eq!(d[u], d[d.len() - 1 - u]);
        }
        let big = u_distribution(20, 20);
        assert_eq!(big.iter().sum::<f64>(), 137_846_528_820.0);
    }

    fn seq(len: usize, mult: usize, modulus: usize, offset: f64) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * mult) % modulus) as f64 / 10.0 + offset)
            .collect()
    }

    /// (u, p_two_sided, p_greater, exact) against scipy 1.17.1
    /// `mannwhitneyu(a, b, use_continuity=True, method=...)`.
    fn check(a: &[f64], b: &[f64], u: f64, p2: f64, pg: f64, exact: bool) {
        let r = mann_whitney_u(a, b).unwrap();
        assert_eq!(r.exact, exact);
        assert_eq!(r.u, u);
        assert!(
            close(r.p_two_sided, p2, 1e-10),
            "p2 {} vs {p2}",
            r.p_two_sided
        );
        assert!(close(r.p_greater, pg, 1e-10), "pg {} vs {pg}", r.p_greater);
    }

    #[test]
    fn exact_matches_scipy() {
        check(
            &[1.1, 2.3, 3.5, 4.2, 5.9],
            &[2.0, 6.1, 7.3, 8.8, 9.4, 10.2],
            4.0,
            0.051_948_051_948_051_95,
            0.984_848_484_848_484_9,
            true,
        );
        let b = seq(20, 53, 103, 0.05);
        check(
            &seq(20, 37, 101, 0.0),
            &b,
            230.0,
            0.429_081_640_577_505_53,
            0.214_540_820_288_752_76,
            true,
        );
        check(
            &seq(20, 37, 101, 3.0),
            &b,
            321.0,
            7.474_079_534_823_355e-4,
            3.737_039_767_411_677_3e-4,
            true,
        );
        check(&[3.0], &[1.0, 2.0, 4.0, 5.0], 2.0, 1.0, 0.6, true);
        check(
            &[10.0, 11.0, 12.0, 13.0],
            &[1.0, 2.0, 3.0, 4.0],
            16.0,
            0.028_571_428_571_428_57,
            0.014_285_714_285_714_285,
            true,
        );
    }

    #[test]
    fn asymptotic_matches_scipy() {
        // ties -> normal approximation with tie correction
        check(
            &[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0],
            &[3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0, 8.0],
            7.5,
            0.006_373_133_838_085_873,
            0.997_638_665_807_353_5,
            false,
        );
        // n > 20 -> normal approximation
        check(
            &seq(30, 37, 101, 0.0),
            &seq(25, 53, 103, 2.05),
            268.0,
            0.071_832_447_670_033_41,
            0.965_397_693_793_171_2,
            false,
        );
    }

    #[test]
    fn degenerate_inputs() {
        assert!(mann_whitney_u(&[], &[1.0]).is_none());
        assert!(mann_whitney_u(&[1.0], &[]).is_none());
        assert!(mann_whitney_u(&[1.0, f64::NAN], &[1.0]).is_none());
        assert!(mann_whitney_u(&[1.0], &[f64::INFINITY]).is_none());
        let t = mann_whitney_u(&[5.0; 3], &[5.0; 2]).unwrap();
        assert_eq!((t.p_two_sided, t.p_greater, t.z, t.u), (1.0, 1.0, 0.0, 3.0));
        let big = mann_whitney_u(&[2.0; 40], &[2.0; 40]).unwrap();
        assert_eq!(big.p_two_sided, 1.0);
    }

    #[test]
    fn z_sign_follows_direction() {
        let lo = seq(25, 37, 101, 0.0);
        let hi = seq(25, 53, 103, 5.05);
        assert!(mann_whitney_u(&hi, &lo).unwrap().z > 0.0);
        assert!(mann_whitney_u(&lo, &hi).unwrap().z < 0.0);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn p_values_valid_and_swap_symmetric(
                a in prop::collection::vec(0u8..20, 1..30),
                b in prop::collection::vec(0u8..20, 1..30),
            ) {
                // small integer values: plenty of ties, both code paths
                let a: Vec<f64> = a.into_iter().map(f64::from).collect();
                let b: Vec<f64> = b.into_iter().map(f64::from).collect();
                let ab = mann_whitney_u(&a, &b).unwrap();
                let ba = mann_whitney_u(&b, &a).unwrap();
                prop_assert!((0.0..=1.0).contains(&ab.p_two_sided));
                prop_assert!((0.0..=1.0).contains(&ab.p_greater));
                prop_assert!((ab.u + ba.u - (a.len() * b.len()) as f64).abs() < 1e-9);
                prop_assert!((ab.p_two_sided - ba.p_two_sided).abs() < 1e-12);
                prop_assert!(ab.p_greater + 1e-12 >= ab.p_two_sided / 2.0 || ab.z <= 0.0);
            }
        }
    }
}

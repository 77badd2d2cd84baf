//! Seeded pseudo-random numbers (the experiment's random K-round subsets) and
//! the percentile bootstrap interval of criterion's rule
//! ([`crate::anchors::criterion_compare`]).
//!
//! Sources: B. Efron & R. J. Tibshirani, *An Introduction to the Bootstrap*
//! (1993), ch. 13 (percentile interval); D. Blackman & S. Vigna, "Scrambled
//! linear pseudorandom number generators", *ACM TOMS* 47(4), 2021
//! (xoshiro256**, seeded through SplitMix64 as the authors recommend);
//! D. Lemire, "Fast random integer generation in an interval", *ACM TOMACS*
//! 29(1), 2019 (unbiased bounded integers).

use edgeperf::stats::quantile;

/// Small, fast, seedable PRNG: xoshiro256** with SplitMix64 seeding.
///
/// Not cryptographic. The stream for a given seed is fixed forever (it is
/// part of the reproducibility contract of every seeded function here).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Seed the generator; any `u64` (including 0) is fine.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// Next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform integer in [0, n) without modulo bias (Lemire 2019).
    /// Returns 0 when `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        let mut low = m as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
                low = m as u64;
            }
        }
        (m >> 64) as u64
    }
}

/// Synthetic test data for the unit tests (tests/detection_stats.rs).
// `cargo bench` builds this harness-less target with `--cfg test` but drops
// its #[test] functions, so there nothing calls these.
#[cfg(test)]
#[allow(dead_code)]
impl Rng {
    /// Uniform f64 in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal deviate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64(); // (0, 1]
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Fill `out` with a with-replacement resample of `data` (`out.len()` draws;
/// callers normally size it to `data.len()`). No-op if `data` is empty.
pub fn resample_into(rng: &mut Rng, data: &[f64], out: &mut [f64]) {
    if data.is_empty() {
        return;
    }
    for o in out.iter_mut() {
        *o = data[rng.below(data.len() as u64) as usize];
    }
}

fn valid_params(resamples: usize, confidence: f64) -> bool {
    resamples > 0 && confidence > 0.0 && confidence < 1.0
}

fn finite_nonempty(d: &[f64]) -> bool {
    !d.is_empty() && d.iter().all(|x| x.is_finite())
}

/// Percentile interval of a bootstrap distribution (type-7 quantiles at
/// (1 ∓ confidence)/2). `None` if any replicate is non-finite.
fn percentile_interval(mut reps: Vec<f64>, confidence: f64) -> Option<(f64, f64)> {
    if reps.iter().any(|x| !x.is_finite()) {
        return None;
    }
    reps.sort_by(f64::total_cmp);
    let alpha = (1.0 - confidence) / 2.0;
    Some((quantile(&reps, alpha)?, quantile(&reps, 1.0 - alpha)?))
}

/// Two-sample percentile-bootstrap interval for `stat(b) / stat(a)`
/// (e.g. head/base mean latency; 1.05 = 5 % slower).
///
/// `a` and `b` are resampled **independently** (independent sample sets,
/// lengths may differ), each with replacement to its own length; the interval
/// is the type-7 quantiles of the `resamples` replicate ratios at
/// (1 − confidence)/2 and (1 + confidence)/2 (Efron & Tibshirani 1993,
/// §13.3). Deterministic for a given `seed`. Invariant: lo <= hi.
///
/// `None` if either input is empty or non-finite, `resamples == 0`,
/// `confidence` is not in (0, 1), or a replicate ratio is non-finite (e.g.
/// `stat(a*) == 0`).
///
/// Cost: `resamples` × (|a| + |b| draws + two `stat` calls) + a sort of the
/// replicates.
pub fn bootstrap_ratio_ci(
    a: &[f64],
    b: &[f64],
    stat: impl Fn(&[f64]) -> f64,
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    if !finite_nonempty(a) || !finite_nonempty(b) || !valid_params(resamples, confidence) {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut ba = vec![0.0; a.len()];
    let mut bb = vec![0.0; b.len()];
    let reps: Vec<f64> = (0..resamples)
        .map(|_| {
            resample_into(&mut rng, a, &mut ba);
            resample_into(&mut rng, b, &mut bb);
            stat(&bb) / stat(&ba)
        })
        .collect();
    percentile_interval(reps, confidence)
}

// Run by tests/detection_stats.rs. `cargo bench` also builds this module
// (`--cfg test`, harness = false) but without its #[test] functions, which
// leaves their helpers and imports unused there.
#[cfg(test)]
#[allow(dead_code, unused_imports)]
mod tests {
    use super::Rng; // shadows proptest's `Rng` trait from the prelude glob
    use super::*;
    use proptest::prelude::*;

    fn mean(x: &[f64]) -> f64 {
        x.iter().sum::<f64>() / x.len() as f64
    }

    #[test]
    fn splitmix_xoshiro_reference_stream() {
        // Reference: xoshiro256** seeded by SplitMix64(0); first SplitMix64(0)
        // output is 0xE220A8397B1DCDAF (Vigna's splitmix64.c).
        let mut sm = 0u64;
        sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = sm;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        assert_eq!(z ^ (z >> 31), 0xE220_A839_7B1D_CDAF);
        let r = Rng::new(0);
        assert_eq!(r.s[0], 0xE220_A839_7B1D_CDAF);
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let mut c = Rng::new(43);
        let va: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn below_is_roughly_uniform_and_in_range() {
        let mut rng = Rng::new(7);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut rng = Rng::new(1);
        let x: Vec<f64> = (0..100_000).map(|_| rng.normal()).collect();
        let m = mean(&x);
        let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64;
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.02, "{m} {v}");
    }

    #[test]
    fn ratio_ci_detects_ten_percent() {
        let mut rng = Rng::new(5);
        let a: Vec<f64> = (0..200).map(|_| 100.0 + rng.normal()).collect();
        let b: Vec<f64> = (0..150).map(|_| 110.0 + rng.normal()).collect();
        let (lo, hi) = bootstrap_ratio_ci(&a, &b, mean, 1_000, 0.95, 1).unwrap();
        assert!(
            lo > 1.09 && hi < 1.11 && lo < 1.1 && 1.1 < hi,
            "({lo}, {hi})"
        );
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(
            bootstrap_ratio_ci(&[0.0; 3], &[1.0; 3], mean, 10, 0.9, 0),
            None
        );
        assert_eq!(bootstrap_ratio_ci(&[], &[1.0], mean, 10, 0.9, 0), None);
        assert_eq!(bootstrap_ratio_ci(&[1.0], &[], mean, 10, 0.9, 0), None);
        let two = [1.0, 2.0];
        let nan = [1.0, f64::NAN];
        assert_eq!(bootstrap_ratio_ci(&nan, &two, mean, 10, 0.9, 0), None);
        assert_eq!(bootstrap_ratio_ci(&two, &nan, mean, 10, 0.9, 0), None);
        assert_eq!(bootstrap_ratio_ci(&two, &two, mean, 0, 0.95, 0), None);
        assert_eq!(bootstrap_ratio_ci(&two, &two, mean, 10, 1.0, 0), None);
        assert_eq!(bootstrap_ratio_ci(&two, &two, mean, 10, 0.0, 0), None);
        assert_eq!(
            bootstrap_ratio_ci(&two, &two, |_| f64::NAN, 10, 0.9, 0),
            None
        );
        assert_eq!(
            bootstrap_ratio_ci(&[2.0; 3], &[3.0; 4], mean, 10, 0.9, 0),
            Some((1.5, 1.5))
        );
    }

    fn sample() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(-1e6f64..1e6, 1..40)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn prop_resample_preserves_length_and_membership(
            data in sample(), seed in any::<u64>()
        ) {
            let mut rng = Rng::new(seed);
            let mut out = vec![f64::NAN; data.len()];
            resample_into(&mut rng, &data, &mut out);
            prop_assert_eq!(out.len(), data.len());
            for v in &out {
                prop_assert!(data.contains(v));
            }
        }

        #[test]
        fn prop_ratio_ci_ordered_and_deterministic(
            a in prop::collection::vec(1.0f64..1e3, 1..30),
            b in prop::collection::vec(1.0f64..1e3, 1..30),
            seed in any::<u64>()
        ) {
            let ci = bootstrap_ratio_ci(&a, &b, mean, 200, 0.9, seed).unwrap();
            prop_assert!(ci.0 <= ci.1 && ci.0 > 0.0);
            prop_assert_eq!(Some(ci), bootstrap_ratio_ci(&a, &b, mean, 200, 0.9, seed));
        }
    }
}

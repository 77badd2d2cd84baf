//! The sequential sign-test boundaries: for every number of rounds `n` up to
//! a maximum, which order statistics of the rounds' values bound the median,
//! such that the bounds hold **at every look at once** with the stated error.
//! A leaf of `compare/`: pure arithmetic, no other file of the module.
//!
//! **Setting.** Rounds give values d_1, d_2, ... that are independent and
//! identically distributed with a continuous distribution whose median is θ.
//! For any θ, the indicators 1{d_i ≥ θ} are then independent fair coins, so
//! S_n = #{i ≤ n : d_i ≥ θ} is a simple binomial random walk whatever the
//! distribution of the d_i (distribution-free, exact).
//!
//! **Bound.** At `n` rounds the upper bound on θ is the order statistic
//! d_(n+1-k_n) (the k_n-th largest): it lies below θ exactly when S_n ≤ k_n - 1.
//! The ranks k_n are chosen by alpha spending (Lan & DeMets, 1983, with
//! Pocock's spending function A(t) = α ln(1 + (e - 1) t), t = n / n_max):
//! walking n = 1, 2, ..., n_max and carrying the distribution of S_n over the
//! paths that have not crossed yet (dynamic programming over the walk), k_n is
//! the largest rank whose crossing probability, added to what earlier looks
//! crossed, stays within A(t). So
//!
//!   P(∃ n ≤ n_max : d_(n+1-k_n) < θ) ≤ α,
//!
//! and by symmetry the same for the lower bound d_(k_n) > θ. The interval
//! [d_(k_n), d_(n+1-k_n)] is a confidence sequence for the median with
//! coverage at least 1 - 2α over all looks together: a rule may look after
//! every round and stop whenever it likes (also for reasons unrelated to the
//! values, such as a time budget) without raising the error. `k_n = 0`: no
//! bound yet (too few rounds for the error allowed so far).
//!
//! Cost: O(n_max²) additions, once per rule (n_max is tens to hundreds).

/// Pocock's alpha-spending function: the share of α that may be spent by
/// information fraction `t` (0..=1).
pub fn pocock(t: f64) -> f64 {
    (1.0 + (std::f64::consts::E - 1.0) * t.clamp(0.0, 1.0)).ln()
}

/// The ranks of a one-sided confidence sequence for the median.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundaries {
    /// `ranks[n]`: k_n for `n` rounds (index 0 unused, 0 = no bound).
    ranks: Vec<usize>,
    /// The error the sequence really spends over all `n_max` looks (≤ α; less,
    /// since a sign test moves in whole steps).
    pub spent: f64,
    pub alpha: f64,
}

impl Boundaries {
    /// The ranks for looks at every n from `first` to `n_max` (none before
    /// `first`), spending one-sided error `alpha` over all of them.
    pub fn new(n_max: usize, first: usize, alpha: f64) -> Boundaries {
        let mut ranks = vec![0; n_max + 1];
        // f[s] = P(S_n = s, no crossing yet): the walk's surviving mass.
        let mut f = vec![1.0f64];
        let mut crossed = 0.0;
        for (n, rank) in ranks.iter_mut().enumerate().skip(1) {
            let mut g = vec![0.0; n + 1];
            for (s, p) in f.iter().enumerate() {
                g[s] += p / 2.0;
                g[s + 1] += p / 2.0;
            }
            f = g;
            if n < first {
                continue;
            }
            let allowed = alpha * pocock(n as f64 / n_max as f64);
            // Rank k crosses when S_n <= k - 1: add the mass at s = k - 1
            // while the total stays within what may be spent by now.
            let mut k = 0;
            while k < n && crossed + f[k] <= allowed * (1.0 + 1e-12) {
                crossed += f[k];
                f[k] = 0.0;
                k += 1;
            }
            *rank = k;
        }
        Boundaries {
            ranks,
            spent: crossed,
            alpha,
        }
    }

    /// k_n for `n` rounds (0: no bound yet; past `n_max`: the last rank).
    pub fn rank(&self, n: usize) -> usize {
        let last = self.ranks.len() - 1;
        self.ranks[n.min(last)]
    }

    /// The most rounds the sequence was made for.
    pub fn n_max(&self) -> usize {
        self.ranks.len() - 1
    }

    /// The interval [d_(k), d_(n+1-k)] of `sorted` values (ascending), when
    /// there is one.
    pub fn interval(&self, sorted: &[f64]) -> Option<[f64; 2]> {
        let n = sorted.len();
        let k = self.rank(n);
        (k >= 1 && n >= 1 && n <= self.n_max()).then(|| [sorted[k - 1], sorted[n - k]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact one-sided crossing probability of `b` under a median of θ:
    /// the walk of S_n = #{d_i ≥ θ} over all looks, by enumeration of every
    /// sequence of coin flips (n_max ≤ 20).
    fn crossing_by_enumeration(b: &Boundaries) -> f64 {
        let n_max = b.n_max();
        let mut crossed = 0u64;
        for bits in 0u64..(1 << n_max) {
            let mut s = 0;
            for n in 1..=n_max {
                s += (bits >> (n - 1) & 1) as usize;
                let k = b.rank(n);
                if k >= 1 && s < k {
                    crossed += 1;
                    break;
                }
            }
        }
        crossed as f64 / (1u64 << n_max) as f64
    }

    #[test]
    fn the_spent_error_is_exact_and_within_alpha() {
        for (n_max, first, alpha) in [(20, 6, 0.05), (20, 6, 0.005), (16, 4, 0.025)] {
            let b = Boundaries::new(n_max, first, alpha);
            let exact = crossing_by_enumeration(&b);
            assert!((exact - b.spent).abs() < 1e-12, "{exact} vs {}", b.spent);
            assert!(b.spent <= alpha, "{b:?}");
            // No rank could be one higher anywhere without passing alpha.
            assert!(b.spent > alpha / 3.0, "{b:?}");
        }
    }

    #[test]
    fn known_ranks() {
        // With 5% one-sided over 20 looks from 6: at 6 rounds all six must lie
        // on one side (2^-6 = 1.6% is within Pocock's 2.1% for t = 0.3).
        let b = Boundaries::new(20, 6, 0.05);
        assert_eq!(b.rank(5), 0);
        assert_eq!(b.rank(6), 1);
        // 0.5% one-sided: 2^-8 = 0.39% is the first that fits.
        let c = Boundaries::new(20, 6, 0.005);
        assert_eq!((c.rank(6), c.rank(7), c.rank(8)), (0, 0, 0));
        assert_eq!(c.rank(9), 1);
        // Ranks never fall as rounds come in, and never pass the middle.
        for n in 7..=20 {
            assert!(b.rank(n) >= b.rank(n - 1) && 2 * b.rank(n) <= n, "{n}");
        }
        let v: Vec<f64> = (1..=6).map(f64::from).collect();
        assert_eq!(b.interval(&v), Some([1.0, 6.0]));
        assert_eq!(b.interval(&v[..5]), None);
    }

    #[test]
    fn the_default_sequences_are_the_ones_docs_detection_lists() {
        // compare.confirm defaults: looks from 6 rounds to max_rounds = 24;
        // unchanged at 5% per side, a change at 0.5% per side.
        let eq = Boundaries::new(24, 6, 0.05);
        let ch = Boundaries::new(24, 6, 0.005);
        let ranks = |b: &Boundaries| (6..=24).map(|n| b.rank(n)).collect::<Vec<_>>();
        assert_eq!(
            ranks(&eq),
            [1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7]
        );
        assert_eq!(
            ranks(&ch),
            [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5]
        );
        assert!((eq.spent - 0.04719).abs() < 5e-6, "{}", eq.spent);
        assert!((ch.spent - 0.004620).abs() < 5e-7, "{}", ch.spent);
    }

    #[test]
    fn pocock_spends_all_alpha_at_the_end_and_none_at_the_start() {
        assert_eq!(pocock(0.0), 0.0);
        assert!((pocock(1.0) - 1.0).abs() < 1e-12);
        assert!(pocock(0.3) > 0.3, "front-loaded");
    }
}

//! Top-1 / top-5 accuracy with each image's top-5 kept, so the comparator can pair
//! per-image outcomes (McNemar).

use serde::{Deserialize, Serialize};

/// One image's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImageOutcome {
    /// Path relative to the dataset root.
    pub image: String,
    /// Ground-truth class index.
    pub label: u32,
    /// The five highest-scoring class indices, best first.
    pub top5: Vec<u32>,
}

impl ImageOutcome {
    pub fn top1_correct(&self) -> bool {
        self.top5.first() == Some(&self.label)
    }
    pub fn top5_correct(&self) -> bool {
        self.top5.contains(&self.label)
    }
}

/// Accuracy of one path over the dataset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Accuracy {
    /// Fraction of images whose top-1 class is the label.
    pub top1: f64,
    /// Fraction of images whose label is among the top 5.
    pub top5: f64,
    pub images: usize,
    pub correct_top1: usize,
    pub correct_top5: usize,
    pub per_image: Vec<ImageOutcome>,
}

impl Accuracy {
    /// Summarises per-image outcomes. `None` for an empty list.
    pub fn from_outcomes(per_image: Vec<ImageOutcome>) -> Option<Accuracy> {
        if per_image.is_empty() {
            return None;
        }
        let n = per_image.len();
        let c1 = per_image.iter().filter(|o| o.top1_correct()).count();
        let c5 = per_image.iter().filter(|o| o.top5_correct()).count();
        Some(Accuracy {
            top1: c1 as f64 / n as f64,
            top5: c5 as f64 / n as f64,
            images: n,
            correct_top1: c1,
            correct_top5: c5,
            per_image,
        })
    }
}

/// Indices of the `k` largest values, largest first; ties keep the lower index
/// first. NaN scores rank last. O(n k).
pub fn top_k(scores: &[f32], k: usize) -> Vec<u32> {
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
    for (i, &s) in scores.iter().enumerate() {
        let s = if s.is_nan() { f32::NEG_INFINITY } else { s };
        if best.len() == k && k > 0 && s <= best[k - 1].0 {
            continue;
        }
        let pos = best.iter().position(|&(b, _)| s > b).unwrap_or(best.len());
        best.insert(pos, (s, i as u32));
        best.truncate(k);
    }
    best.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_and_breaks_ties_by_index() {
        assert_eq!(top_k(&[0.1, 0.9, 0.5, 0.9, -1.0, 0.7], 3), vec![1, 3, 5]);
        assert_eq!(top_k(&[1.0, f32::NAN, 2.0], 2), vec![2, 0]);
        assert_eq!(top_k(&[3.0], 5), vec![0]);
        assert!(top_k(&[1.0, 2.0], 0).is_empty());
    }

    #[test]
    fn accuracy_counts() {
        let o = |label, top5: &[u32]| ImageOutcome {
            image: "x".into(),
            label,
            top5: top5.to_vec(),
        };
        let a = Accuracy::from_outcomes(vec![
            o(1, &[1, 2, 3, 4, 5]),
            o(2, &[1, 2, 3, 4, 5]),
            o(9, &[1, 2, 3, 4, 5]),
        ])
        .unwrap();
        assert_eq!((a.correct_top1, a.correct_top5, a.images), (1, 2, 3));
        assert!((a.top1 - 1.0 / 3.0).abs() < 1e-12);
        assert!(Accuracy::from_outcomes(vec![]).is_none());
    }
}

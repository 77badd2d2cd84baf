//! Accuracy verdict: paired exact McNemar on per-image top-1 correctness plus an
//! absolute floor on the top-1 drop. Images are paired by their path relative to
//! the dataset root; only images present in both runs count.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::types::Verdict;
use crate::record::accuracy::Accuracy;
use crate::record::baseline::Baseline;
use crate::record::DatasetInfo;
use crate::stats;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccuracyJudgement {
    pub verdict: Verdict,
    pub base_top1: f64,
    pub head_top1: f64,
    pub base_top5: f64,
    pub head_top5: f64,
    /// Images present in both runs.
    pub paired: usize,
    /// Base right, head wrong (top-1).
    pub lost: u64,
    /// Base wrong, head right (top-1).
    pub gained: u64,
    /// One-sided exact McNemar p-value for "head is worse".
    pub p_worse: f64,
    /// Top-1 drop on the paired images, percentage points (negative = gain).
    pub drop_points: f64,
    pub reason: String,
}

/// Judges head against base accuracy. `alpha` is the McNemar level, `max_drop`
/// the largest tolerated top-1 drop in percentage points.
pub fn judge(base: &Accuracy, head: &Accuracy, alpha: f64, max_drop: f64) -> AccuracyJudgement {
    let base_by: HashMap<&str, bool> = base
        .per_image
        .iter()
        .map(|o| (o.image.as_str(), o.top1_correct()))
        .collect();
    let (mut lost, mut gained, mut paired) = (0u64, 0u64, 0usize);
    for o in &head.per_image {
        if let Some(&b) = base_by.get(o.image.as_str()) {
            paired += 1;
            match (b, o.top1_correct()) {
                (true, false) => lost += 1,
                (false, true) => gained += 1,
                _ => {}
            }
        }
    }
    let mut j = AccuracyJudgement {
        verdict: Verdict::Unchanged,
        base_top1: base.top1,
        head_top1: head.top1,
        base_top5: base.top5,
        head_top5: head.top5,
        paired,
        lost,
        gained,
        p_worse: 1.0,
        drop_points: 0.0,
        reason: String::new(),
    };
    if paired == 0 {
        j.verdict = Verdict::Inconclusive;
        j.reason = "no images in common with the baseline (dataset changed?)".into();
        return j;
    }
    j.p_worse = stats::mcnemar_one_sided(lost, gained);
    let p_better = stats::mcnemar_one_sided(gained, lost);
    j.drop_points = (lost as f64 - gained as f64) / paired as f64 * 100.0;
    let counts = format!("{lost} images lost, {gained} gained of {paired}");
    if j.p_worse < alpha || j.drop_points > max_drop {
        j.verdict = Verdict::Regressed;
        let why = match (j.p_worse < alpha, j.drop_points > max_drop) {
            (true, true) => format!(
                "McNemar p = {:.2e} < {alpha} and top-1 fell {:.1} points > {max_drop}",
                j.p_worse, j.drop_points
            ),
            (true, false) => format!("McNemar p = {:.2e} < {alpha}", j.p_worse),
            _ => format!("top-1 fell {:.1} points > {max_drop}", j.drop_points),
        };
        j.reason = format!("{why} ({counts})");
    } else if p_better < alpha {
        j.verdict = Verdict::Improved;
        j.reason = format!("McNemar p = {p_better:.2e} ({counts})");
    } else {
        j.reason = counts;
    }
    j
}

/// Why the run's images are not the baseline's subset, when either judged a
/// subset (`dataset.limit`) and their image lists differ: by the lists' hashes
/// when both have one, else by the content fingerprints. `None` when both
/// judged the whole dataset (a grown dataset is paired on the shared images)
/// or the same subset.
pub fn subset_change(base: &Baseline, head: Option<&DatasetInfo>) -> Option<String> {
    let head_subset = head.and_then(|d| d.subset.as_ref());
    if base.dataset_subset.is_none() && head_subset.is_none() {
        return None;
    }
    let same = match (
        base.dataset_images_sha256.as_deref(),
        head.and_then(|d| d.images_sha256.as_deref()),
    ) {
        (Some(b), Some(h)) => b == h,
        _ => {
            base.dataset_fingerprint.is_some()
                && base.dataset_fingerprint.as_deref() == head.map(|d| d.fingerprint.as_str())
        }
    };
    if same {
        return None;
    }
    let describe =
        |subset: Option<&crate::record::Subset>, images: Option<usize>| match (subset, images) {
            (Some(s), Some(n)) => s.describe(n),
            (Some(s), None) => s.describe(s.limit),
            (None, Some(n)) => format!("all {n} images"),
            (None, None) => "an image list it did not record".into(),
        };
    Some(format!(
        "not comparable: subset changed (baseline: {}; this run: {})",
        describe(base.dataset_subset.as_ref(), base.dataset_images),
        describe(head_subset, head.map(|d| d.images)),
    ))
}

/// The judgement of accuracies measured on different images: inconclusive,
/// with the figures of both and `reason`; nothing is paired.
pub fn not_comparable(base: &Accuracy, head: &Accuracy, reason: String) -> AccuracyJudgement {
    AccuracyJudgement {
        verdict: Verdict::Inconclusive,
        base_top1: base.top1,
        head_top1: head.top1,
        base_top5: base.top5,
        head_top5: head.top5,
        paired: 0,
        lost: 0,
        gained: 0,
        p_worse: 1.0,
        drop_points: 0.0,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::accuracy::ImageOutcome;

    fn acc(correct: &[bool]) -> Accuracy {
        let per = correct
            .iter()
            .enumerate()
            .map(|(i, &c)| ImageOutcome {
                image: format!("{i}/x.jpg"),
                label: i as u32,
                top5: if c { vec![i as u32] } else { vec![9999] },
            })
            .collect();
        Accuracy::from_outcomes(per).unwrap()
    }

    #[test]
    fn mcnemar_and_floor() {
        let base = acc(&[true; 70]);
        let same = judge(&base, &acc(&[true; 70]), 0.05, 2.0);
        assert_eq!(same.verdict, Verdict::Unchanged);
        let mut one = vec![true; 70];
        one[3] = false;
        let j = judge(&base, &acc(&one), 0.05, 2.0);
        assert_eq!(j.verdict, Verdict::Unchanged, "{j:?}"); // 1 image = 1.4 points, p = 0.5
        let mut many = vec![true; 70];
        for x in many.iter_mut().take(20) {
            *x = false;
        }
        let j = judge(&base, &acc(&many), 0.05, 2.0);
        assert_eq!(j.verdict, Verdict::Regressed);
        assert_eq!((j.lost, j.gained), (20, 0));
        assert!(j.p_worse < 1e-5);
        // Floor alone: 2 images lost = 2.9 points > 2.
        let mut two = vec![true; 70];
        two[0] = false;
        two[1] = false;
        let j = judge(&base, &acc(&two), 0.05, 2.0);
        assert_eq!(j.verdict, Verdict::Regressed);
        assert!(j.reason.contains("points"), "{}", j.reason);
        let j = judge(&acc(&many), &base, 0.05, 2.0);
        assert_eq!(j.verdict, Verdict::Improved);
    }
}

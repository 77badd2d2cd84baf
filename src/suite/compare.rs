//! `[compare]` in edgeperf.toml: thresholds for the verdicts, per path overridable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Thresholds and budgets of the comparator. Every field has a documented default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CompareConfig {
    pub latency: LatencyRule,
    pub accuracy: AccuracyRule,
    pub confirm: ConfirmRule,
    /// Overrides keyed by "device/model".
    pub paths: BTreeMap<String, PathOverride>,
}

/// Latency rule: a change counts only past `min_change` (fraction, 0.03 = 3%).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LatencyRule {
    /// Minimum practical change of the detection statistic, as a fraction.
    pub min_change: f64,
    /// Quantile of each round's samples used for detection (0.10 = p10).
    pub quantile: f64,
    /// Confidence of the interval on the change (two-sided).
    pub confidence: f64,
    /// A run whose rounds' detection statistic spreads more than this (coefficient
    /// of variation across rounds) is too noisy to judge.
    pub max_round_cv: f64,
}

impl Default for LatencyRule {
    fn default() -> Self {
        LatencyRule {
            min_change: 0.03,
            quantile: 0.10,
            confidence: 0.95,
            max_round_cv: 0.10,
        }
    }
}

/// Accuracy rule: paired exact McNemar on per-image top-1 correctness, and a floor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AccuracyRule {
    /// Significance level of the one-sided exact McNemar test ("head is worse").
    pub alpha: f64,
    /// Top-1 may not fall by more than this many percentage points, significant or not.
    pub max_top1_drop_points: f64,
}

impl Default for AccuracyRule {
    fn default() -> Self {
        AccuracyRule {
            alpha: 0.05,
            max_top1_drop_points: 2.0,
        }
    }
}

/// Confirmation of a suspected latency regression by interleaved A-B rounds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmRule {
    pub enabled: bool,
    /// Confirm every path that has a baseline, not only screen suspects. On by
    /// default: processes on small shared machines settle on latency levels far
    /// apart (docs/DETECTION.md), so a screen against a stored run can miss a
    /// slowdown that a change of level hides.
    pub always: bool,
    /// Measurement seconds per path per side (base and head each get this much).
    pub budget_seconds: f64,
    /// A-B round pairs.
    pub rounds: u32,
}

impl Default for ConfirmRule {
    fn default() -> Self {
        ConfirmRule {
            enabled: true,
            always: true,
            budget_seconds: 20.0,
            rounds: 10,
        }
    }
}

/// Per-path overrides; unset fields inherit the suite-wide rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PathOverride {
    pub min_change: Option<f64>,
    pub max_top1_drop_points: Option<f64>,
    pub alpha: Option<f64>,
}

impl CompareConfig {
    /// Checks ranges; the error is (dotted key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let frac = |k: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v > lo && v < hi {
                Ok(())
            } else {
                Err((
                    k.to_string(),
                    format!("must be between {lo} and {hi} (exclusive), got {v}"),
                ))
            }
        };
        frac(
            "compare.latency.min_change",
            self.latency.min_change,
            0.0,
            10.0,
        )?;
        frac("compare.latency.quantile", self.latency.quantile, 0.0, 1.0)?;
        frac(
            "compare.latency.confidence",
            self.latency.confidence,
            0.5,
            1.0,
        )?;
        frac(
            "compare.latency.max_round_cv",
            self.latency.max_round_cv,
            0.0,
            10.0,
        )?;
        frac("compare.accuracy.alpha", self.accuracy.alpha, 0.0, 1.0)?;
        frac(
            "compare.accuracy.max_top1_drop_points",
            self.accuracy.max_top1_drop_points,
            -1e-12,
            100.0,
        )?;
        frac(
            "compare.confirm.budget_seconds",
            self.confirm.budget_seconds,
            0.0,
            36000.0,
        )?;
        if self.confirm.rounds < 3 {
            return Err(("compare.confirm.rounds".into(), "must be at least 3".into()));
        }
        for (k, o) in &self.paths {
            if !k.contains('/') {
                return Err((
                    format!("compare.paths.\"{k}\""),
                    "keys are \"device/model\"".into(),
                ));
            }
            if let Some(v) = o.min_change {
                frac(&format!("compare.paths.\"{k}\".min_change"), v, 0.0, 10.0)?;
            }
            if let Some(v) = o.alpha {
                frac(&format!("compare.paths.\"{k}\".alpha"), v, 0.0, 1.0)?;
            }
            if let Some(v) = o.max_top1_drop_points {
                frac(
                    &format!("compare.paths.\"{k}\".max_top1_drop_points"),
                    v,
                    -1e-12,
                    100.0,
                )?;
            }
        }
        Ok(())
    }
}

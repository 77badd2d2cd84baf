//! `[compare]` in edgeperf.toml: thresholds for the verdicts, per path overridable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Thresholds and budgets of the comparator. Every field has a documented default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CompareConfig {
    pub latency: LatencyRule,
    pub accuracy: AccuracyRule,
    pub confirm: ConfirmRule,
    /// Peak resident memory of the worker (VmHWM) against the baseline's.
    pub memory: ResourceRule,
    /// Cold start (session creation + first inference) against the baseline's.
    pub cold_start: ResourceRule,
    /// Explanations of changed paths (`suite/explain.rs`).
    pub explain: super::explain::ExplainRule,
    /// Overrides keyed by "device/model".
    pub paths: BTreeMap<String, PathOverride>,
    /// Each device's `[device.state]` (not a `[compare]` key: the suite parser
    /// copies it from the devices, so a comparison judges device state by the
    /// suite's rules; no suite: none, the firmware's throttle signals only).
    #[serde(skip)]
    pub device_state: BTreeMap<String, super::devstate::DeviceStateRule>,
}

impl Default for CompareConfig {
    fn default() -> Self {
        CompareConfig {
            latency: LatencyRule::default(),
            accuracy: AccuracyRule::default(),
            confirm: ConfirmRule::default(),
            memory: ResourceRule::default(),
            cold_start: ResourceRule::cold_start(),
            explain: Default::default(),
            paths: BTreeMap::new(),
            device_state: BTreeMap::new(),
        }
    }
}

/// Latency rule: a change counts only past `min_change` (fraction, 0.03 = 3%).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LatencyRule {
    /// Minimum practical change of the detection statistic, as a fraction.
    pub min_change: f64,
    /// Quantile of each round's samples used for detection (0.10 = p10).
    pub quantile: f64,
    /// Confidence of the interval on the change (two-sided): the interval
    /// reported, and the one that must lie within ±`min_change` for "unchanged".
    pub confidence: f64,
    /// Confidence of the interval that must exclude 0 for "regressed" or
    /// "improved" at a look of a sequential confirmation. Higher than
    /// `confidence` because a confirmation looks up to eight times (0.995 per
    /// look bounds the chance of any false alarm at 8 x 0.25% = 2% per
    /// direction; measured: under 1%, docs/DETECTION.md).
    pub decide_confidence: f64,
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
            decide_confidence: 0.995,
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

/// Confirmation: base and head re-measured in alternating blocks, round after
/// round, until the interval on the change is decisive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmRule {
    pub enabled: bool,
    /// Confirm every path that has a baseline, not only screen suspects. On by
    /// default: small shared machines move latency by tens of percent within
    /// seconds (docs/DETECTION.md), so a screen against a stored run can miss a
    /// slowdown that such a change hides.
    pub always: bool,
    /// Most measurement seconds per side per path; the confirmation stops earlier
    /// once its interval is decisive.
    pub budget_seconds: f64,
    /// Most rounds (each a fresh worker process, or two in lockstep).
    pub rounds: u32,
    /// Rounds before the first look at the interval (6 is the smallest number of
    /// rounds whose sign-test interval reaches 95%).
    pub min_rounds: u32,
    /// Measurement seconds per side in one round.
    pub round_seconds: f64,
    /// Duration of one block of inferences when the sides alternate, ms.
    pub block_ms: f64,
    /// Untimed inferences of each side before a round's blocks.
    pub warmup: u32,
    /// A path whose base side cannot be had (its model, runtime library or suite
    /// is not available here) fails the comparison instead of being inconclusive
    /// (`compare --require-base`).
    pub require_base: bool,
}

impl Default for ConfirmRule {
    fn default() -> Self {
        ConfirmRule {
            enabled: true,
            always: true,
            budget_seconds: 12.0,
            rounds: 20,
            min_rounds: 6,
            round_seconds: 0.6,
            block_ms: 150.0,
            warmup: 5,
            require_base: false,
        }
    }
}

/// A resource judged against the baseline (peak memory, cold start): a change
/// counts past `max_increase` (a fraction) *and* `min_increase` (absolute: MiB
/// for memory, ms for cold start), so small values do not fail on noise.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ResourceRule {
    pub enabled: bool,
    pub max_increase: f64,
    pub min_increase: f64,
}

impl Default for ResourceRule {
    fn default() -> Self {
        ResourceRule {
            enabled: true,
            max_increase: 0.10,
            min_increase: 8.0,
        }
    }
}

impl ResourceRule {
    /// The cold-start default: +25% and at least 20 ms.
    pub fn cold_start() -> ResourceRule {
        ResourceRule {
            enabled: true,
            max_increase: 0.25,
            min_increase: 20.0,
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
    pub memory_max_increase: Option<f64>,
    pub cold_start_max_increase: Option<f64>,
}

/// A range error: (dotted key, message).
type RangeError = (String, String);

/// `v` strictly between `lo` and `hi`, or an error naming key `k`.
fn between(k: &str, v: f64, lo: f64, hi: f64) -> Result<(), RangeError> {
    if v.is_finite() && v > lo && v < hi {
        Ok(())
    } else {
        Err((
            k.to_string(),
            format!(
                "must be between {} and {} (exclusive), got {}",
                num(lo),
                num(hi),
                num(v)
            ),
        ))
    }
}

/// `lo <= v < hi`, or an error naming key `k`.
fn from_up_to(k: &str, v: f64, lo: f64, hi: f64) -> Result<(), RangeError> {
    if v.is_finite() && v >= lo && v < hi {
        Ok(())
    } else {
        Err((
            k.to_string(),
            format!(
                "must be at least {} and less than {}, got {}",
                num(lo),
                num(hi),
                num(v)
            ),
        ))
    }
}

/// A number as a message shows it: the shortest form that reads back as the
/// same value (0.1, 1000000000, NaN), and never "-0".
fn num(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else {
        v.to_string()
    }
}

impl CompareConfig {
    /// Checks ranges; the error is (dotted key, message).
    pub fn validate(&self) -> Result<(), RangeError> {
        self.latency.validate()?;
        self.accuracy.validate()?;
        self.confirm.validate()?;
        self.explain.validate()?;
        for (k, r) in [
            ("compare.memory", &self.memory),
            ("compare.cold_start", &self.cold_start),
        ] {
            between(&format!("{k}.max_increase"), r.max_increase, 0.0, 100.0)?;
            from_up_to(&format!("{k}.min_increase"), r.min_increase, 0.0, 1e9)?;
        }
        for (k, o) in &self.paths {
            o.validate(k)?;
        }
        Ok(())
    }
}

impl LatencyRule {
    fn validate(&self) -> Result<(), RangeError> {
        between("compare.latency.min_change", self.min_change, 0.0, 10.0)?;
        between("compare.latency.quantile", self.quantile, 0.0, 1.0)?;
        between("compare.latency.confidence", self.confidence, 0.5, 1.0)?;
        between(
            "compare.latency.decide_confidence",
            self.decide_confidence,
            0.5,
            1.0,
        )?;
        if self.decide_confidence < self.confidence {
            return Err((
                "compare.latency.decide_confidence".into(),
                format!("must be at least latency.confidence ({})", self.confidence),
            ));
        }
        between("compare.latency.max_round_cv", self.max_round_cv, 0.0, 10.0)
    }
}

impl AccuracyRule {
    fn validate(&self) -> Result<(), RangeError> {
        between("compare.accuracy.alpha", self.alpha, 0.0, 1.0)?;
        from_up_to(
            "compare.accuracy.max_top1_drop_points",
            self.max_top1_drop_points,
            0.0,
            100.0,
        )
    }
}

impl ConfirmRule {
    fn validate(&self) -> Result<(), RangeError> {
        between(
            "compare.confirm.budget_seconds",
            self.budget_seconds,
            0.0,
            36000.0,
        )?;
        if self.min_rounds < 6 {
            return Err((
                "compare.confirm.min_rounds".into(),
                "must be at least 6 (the fewest rounds whose sign-test interval reaches 95%)"
                    .into(),
            ));
        }
        if self.rounds < self.min_rounds {
            return Err((
                "compare.confirm.rounds".into(),
                format!("must be at least min_rounds ({})", self.min_rounds),
            ));
        }
        between(
            "compare.confirm.round_seconds",
            self.round_seconds,
            0.0,
            3600.0,
        )?;
        between("compare.confirm.block_ms", self.block_ms, 0.0, 60000.0)
    }
}

impl PathOverride {
    /// Checks the override of path `k` ("device/model").
    fn validate(&self, k: &str) -> Result<(), RangeError> {
        if !k.contains('/') {
            return Err((
                format!("compare.paths.\"{k}\""),
                "keys are \"device/model\"".into(),
            ));
        }
        let key = |name: &str| format!("compare.paths.\"{k}\".{name}");
        if let Some(v) = self.min_change {
            between(&key("min_change"), v, 0.0, 10.0)?;
        }
        if let Some(v) = self.alpha {
            between(&key("alpha"), v, 0.0, 1.0)?;
        }
        for (name, v) in [
            ("memory_max_increase", self.memory_max_increase),
            ("cold_start_max_increase", self.cold_start_max_increase),
        ] {
            if let Some(v) = v {
                between(&key(name), v, 0.0, 100.0)?;
            }
        }
        if let Some(v) = self.max_top1_drop_points {
            from_up_to(&key("max_top1_drop_points"), v, 0.0, 100.0)?;
        }
        Ok(())
    }
}

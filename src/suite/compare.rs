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
    /// Quantile of each round's samples reported per side (0.10 = p10), and
    /// the statistic of the screen against a stored baseline.
    pub quantile: f64,
    /// Coverage of the interval reported, a confidence sequence valid over all
    /// looks of a confirmation together; "unchanged" needs it inside
    /// ±`min_change`, so a true change of `min_change` is called unchanged
    /// with probability at most (1 - confidence) / 2 (5% by default).
    pub confidence: f64,
    /// Coverage of the sequence that must exclude 0 for "regressed" or
    /// "improved": a false alarm has probability at most (1 - this) / 2 per
    /// direction over all looks (0.5% each, 1% in all, by default).
    pub decide_confidence: f64,
    /// A stored run whose rounds' detection statistic spreads more than this
    /// (coefficient of variation across rounds) is too noisy to screen.
    pub max_round_cv: f64,
}

impl Default for LatencyRule {
    fn default() -> Self {
        LatencyRule {
            min_change: 0.03,
            quantile: 0.10,
            confidence: 0.90,
            decide_confidence: 0.99,
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
/// round, until the sequential rule decides (`compare::sequential`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmRule {
    pub enabled: bool,
    /// Confirm every path that has a baseline, not only screen suspects. On by
    /// default: small shared machines move latency by tens of percent within
    /// seconds (docs/DETECTION.md), so a screen against a stored run can miss a
    /// slowdown that such a change hides.
    pub always: bool,
    /// Most measurement seconds per side per path while the estimate is
    /// within ±`latency.min_change`; the confirmation stops earlier once it
    /// decides.
    pub budget_seconds: f64,
    /// Most rounds while the estimate is within ±`latency.min_change`.
    pub rounds: u32,
    /// Most rounds for a path whose estimate is past the minimum change but
    /// not yet decided (it is re-measured before being reported undecided);
    /// the sequential rule's error bounds hold over all of them.
    pub max_rounds: u32,
    /// Most measurement seconds per side for such a path.
    pub max_budget_seconds: f64,
    /// Rounds before the first look at the interval.
    pub min_rounds: u32,
    /// Measurement seconds per side in one round.
    pub round_seconds: f64,
    /// Duration of one block of inferences when the sides alternate, ms.
    pub block_ms: f64,
    /// Inferences at the start of each block left out of the round's statistic
    /// (the first after a switch runs on caches the other session filled).
    pub discard: u32,
    /// Untimed inferences of each side before a round's blocks.
    pub warmup: u32,
    /// A round whose measuring threads waited for a CPU this share of its wall
    /// time or more (schedstat run_delay) was measured on a busy machine and
    /// is not counted.
    pub busy_run_wait: f64,
    /// A round during which the host stole this share of CPU time or more is
    /// not counted either.
    pub busy_steal: f64,
    /// A path whose base side cannot be had (its model, runtime library or suite
    /// is not available here) fails the comparison instead of being not
    /// confirmed (`compare --require-base`).
    pub require_base: bool,
}

impl Default for ConfirmRule {
    fn default() -> Self {
        ConfirmRule {
            enabled: true,
            always: true,
            budget_seconds: 10.0,
            rounds: 16,
            max_rounds: 24,
            max_budget_seconds: 16.0,
            min_rounds: 6,
            round_seconds: 0.6,
            block_ms: 40.0,
            discard: 1,
            warmup: 5,
            busy_run_wait: 0.15,
            busy_steal: 0.10,
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
        if self.min_rounds < 1 {
            return Err((
                "compare.confirm.min_rounds".into(),
                "must be at least 1".into(),
            ));
        }
        if self.rounds < self.min_rounds {
            return Err((
                "compare.confirm.rounds".into(),
                format!("must be at least min_rounds ({})", self.min_rounds),
            ));
        }
        if self.max_rounds < self.rounds || self.max_rounds > 1000 {
            return Err((
                "compare.confirm.max_rounds".into(),
                format!("must be between rounds ({}) and 1000", self.rounds),
            ));
        }
        if !(self.max_budget_seconds >= self.budget_seconds && self.max_budget_seconds <= 36000.0) {
            return Err((
                "compare.confirm.max_budget_seconds".into(),
                format!(
                    "must be between budget_seconds ({}) and 36000",
                    self.budget_seconds
                ),
            ));
        }
        between(
            "compare.confirm.busy_run_wait",
            self.busy_run_wait,
            0.0,
            100.0,
        )?;
        between(
            "compare.confirm.busy_steal",
            self.busy_steal,
            0.0,
            1.0 + 1e-9,
        )?;
        between(
            "compare.confirm.round_seconds",
            self.round_seconds,
            0.0,
            3600.0,
        )?;
        between("compare.confirm.block_ms", self.block_ms, 0.0, 60000.0)?;
        if self.discard > 100 {
            return Err((
                "compare.confirm.discard".into(),
                format!("must be at most 100, got {}", self.discard),
            ));
        }
        Ok(())
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

//! Judging a run against baselines: latency and accuracy verdicts per path.
//!
//! Pure: every function takes values that are already loaded (the run, a path's
//! baseline, the thresholds) and, for confirmation, a measurement the caller
//! obtained; nothing here reads a file or starts a process. The caller's flow per
//! path (see `commands::compare`):
//!
//! 1. no baseline -> [`new_path`];
//! 2. [`screen_path`]: guards (provider that really ran), notes (runtime, threads,
//!    host, model changes) and the latency screen against the baseline's rounds;
//!    [`Screened::needs_confirmation`] says whether to re-measure;
//! 3. the caller re-measures base and head interleaved (or cannot) and passes the
//!    outcome as a [`Remeasure`] to [`judge_path`], which adds the accuracy verdict
//!    (paired McNemar) and the path's status;
//! 4. [`summarise`] makes the [`Comparison`].
//!
//! [`judge_run`] is that flow over a whole run, with the loading of baselines
//! and the re-measurement passed in by the caller.

pub mod accuracy;
mod boundaries;
pub mod busy;
pub mod devstate;
mod guards;
pub use guards::short_hash;
pub mod inputs;
pub mod latency;
pub mod resources;
pub mod sequential;
mod types;

use std::path::Path;

use serde::{Deserialize, Serialize};

use types::null_as_nan;
pub use types::{Leaning, Verdict};

use crate::error::Result;
use crate::record::baseline::Baseline;
use crate::record::{PathRecord, RunRecord};
use crate::suite::{CompareConfig, Provider};

/// Version 2: the states "not confirmed" and "identical", verdicts from the
/// sequential rule over all looks, busy rounds; version-1 documents still load.
pub const COMPARISON_SCHEMA_VERSION: u32 = 2;

/// What one side of a comparison measured, for the report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Side {
    /// Latency of the side's own measurement, ms; `null` for a head side that
    /// was not measured (an identical path).
    #[serde(deserialize_with = "null_as_nan::f64")]
    pub p50: f64,
    #[serde(deserialize_with = "null_as_nan::f64")]
    pub p90: f64,
    #[serde(deserialize_with = "null_as_nan::f64")]
    pub p99: f64,
    pub top1: Option<f64>,
    pub top5: Option<f64>,
    pub provider_ran: Provider,
    pub runtime_version: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatencyResult {
    pub verdict: Verdict,
    /// The detection statistic, e.g. "p10 per round".
    pub statistic: String,
    pub screen: Option<latency::Screen>,
    pub confirmation: Option<latency::Confirmation>,
    /// Best estimate of the change of the detection statistic and its interval
    /// (from the confirmation when there was one, else the screen).
    #[serde(deserialize_with = "null_as_nan::f64")]
    pub change: f64,
    #[serde(deserialize_with = "null_as_nan::pair")]
    pub ci: [f64; 2],
    pub reason: String,
    /// An undecided estimate past the minimum change: which way it points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaning: Option<Leaning>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathStatus {
    Regressed,
    Improved,
    Unchanged,
    /// A comparison ran and did not decide.
    Inconclusive,
    /// No base-vs-head comparison ran (switched off, no suite, the base side
    /// not available here): nothing is claimed about latency.
    NotConfirmed,
    /// Every input of the path is byte-identical between base and head: not
    /// re-measured.
    Identical,
    /// The baselines have no entry for this path yet.
    New,
}

impl PathStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PathStatus::Regressed => "regressed",
            PathStatus::Improved => "improved",
            PathStatus::Unchanged => "unchanged",
            PathStatus::Inconclusive => "inconclusive",
            PathStatus::NotConfirmed => "not confirmed",
            PathStatus::Identical => "identical",
            PathStatus::New => "new",
        }
    }

    /// The value as JSON and CSV write it (`not_confirmed`).
    pub fn token(self) -> &'static str {
        match self {
            PathStatus::NotConfirmed => "not_confirmed",
            s => s.as_str(),
        }
    }

    /// A path whose latency was not decided: inconclusive or not confirmed
    /// (`--fail-on-undecided` fails on it; no headline says "no regression").
    pub fn is_undecided(self) -> bool {
        matches!(self, PathStatus::Inconclusive | PathStatus::NotConfirmed)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathComparison {
    pub device: String,
    pub model: String,
    pub status: PathStatus,
    pub base: Option<Side>,
    pub head: Side,
    pub latency: Option<LatencyResult>,
    pub accuracy: Option<accuracy::AccuracyJudgement>,
    /// Guards that make the path a regression on their own (provider fell back).
    pub guards: Vec<String>,
    /// Environment changes the verdict should be read with.
    pub notes: Vec<String>,
    /// Peak memory and cold start against the baseline, where both were measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<resources::ResourceJudgement>,
    /// Why a regressed or improved path changed (`edgeperf explain`, filled by
    /// `commands::explain` after the verdicts; it never changes them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<crate::explain::Explanation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    pub schema_version: u32,
    /// The run compared (file as given).
    pub run: String,
    pub head_commit: Option<String>,
    pub measured_at: chrono::DateTime<chrono::Utc>,
    pub host: String,
    pub baselines: String,
    pub paths: Vec<PathComparison>,
    pub regressions: usize,
}

impl Comparison {
    /// Devices present in this comparison, sorted.
    pub fn devices(&self) -> Vec<String> {
        let mut d: Vec<String> = self.paths.iter().map(|p| p.device.clone()).collect();
        d.sort();
        d.dedup();
        d
    }

    /// Parses a comparison document that came from `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Comparison> {
        crate::record::parse_document(path, bytes, COMPARISON_SCHEMA_VERSION, "comparison")
    }
}

/// Base and head re-measured interleaved: per-round detection statistics in
/// measurement order (`base[k]` and `head[k]` from the same round).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Interleaved {
    /// Each round's p10 per side (reported).
    pub base: Vec<f64>,
    pub head: Vec<f64>,
    /// Each round's statistic judged, ln(head/base) over its block pairs
    /// ([`latency::block_log_ratio`]); empty: judge the ratio of the p10s.
    pub log_ratios: Vec<f64>,
    /// Seconds of measurement per side.
    pub seconds_per_side: f64,
    pub pairing: latency::ProcessPairing,
    /// Each round's cold start per side (session creation + first inference), ms;
    /// the base session is created first in even rounds, second in odd ones.
    pub base_cold_ms: Vec<f64>,
    pub head_cold_ms: Vec<f64>,
    /// Each round's device state, when recorded (judged by [`devstate::guard`]).
    pub device_states: Vec<crate::record::devstate::RoundDeviceState>,
    /// Each round's machine state (`None`: not read).
    pub machine: Vec<Option<crate::record::machine::MachineState>>,
}

/// What the caller could do about confirming a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Remeasure {
    /// Confirmation is off (`--no-confirm`, no suite) or was not asked for;
    /// the reason says which.
    NotDone(String),
    /// It was needed but could not be done; the reason says why.
    Unavailable(String),
    /// Base and head were measured interleaved.
    Measured(Interleaved),
}

/// Guards, notes and the latency screen of one path: the part of the judgement
/// made before any re-measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub guards: Vec<String>,
    pub notes: Vec<String>,
    /// "p10 per round".
    pub statistic: String,
    /// `None` when either side has no usable rounds.
    pub screen: Option<latency::Screen>,
    /// The rule asks for an interleaved re-measurement of this path.
    pub needs_confirmation: bool,
}

fn side_of_path(p: &PathRecord, commit: Option<String>) -> Side {
    Side {
        p50: p.latency_ms.p50,
        p90: p.latency_ms.p90,
        p99: p.latency_ms.p99,
        top1: p.accuracy.as_ref().map(|a| a.top1),
        top5: p.accuracy.as_ref().map(|a| a.top5),
        provider_ran: p.provider_ran,
        runtime_version: p.runtime.version.clone(),
        commit,
    }
}

pub(crate) fn side_of_baseline(b: &Baseline) -> Side {
    Side {
        p50: b.latency_ms.p50,
        p90: b.latency_ms.p90,
        p99: b.latency_ms.p99,
        top1: b.accuracy.as_ref().map(|a| a.top1),
        top5: b.accuracy.as_ref().map(|a| a.top5),
        provider_ran: b.provider_ran,
        runtime_version: b.runtime.version.clone(),
        commit: b.git.as_ref().map(|g| g.commit.clone()),
    }
}

fn head_commit(run: &RunRecord) -> Option<String> {
    run.environment.git.as_ref().map(|g| g.commit.clone())
}

/// The per-round detection statistic of a list of rounds.
pub fn round_stats(rounds: &[crate::record::Round], q: f64) -> Vec<f64> {
    rounds
        .iter()
        .filter_map(|r| {
            let mut s = r.samples_ms.clone();
            s.sort_by(f64::total_cmp);
            crate::stats::quantile(&s, q)
        })
        .collect()
}

/// The effective rule for one path (suite-wide rule with the path's overrides).
pub fn rule_for(cfg: &CompareConfig, device: &str, model: &str) -> CompareConfig {
    let mut c = cfg.clone();
    if let Some(o) = cfg.paths.get(&format!("{device}/{model}")) {
        if let Some(v) = o.min_change {
            c.latency.min_change = v;
        }
        if let Some(v) = o.alpha {
            c.accuracy.alpha = v;
        }
        if let Some(v) = o.max_top1_drop_points {
            c.accuracy.max_top1_drop_points = v;
        }
        if let Some(v) = o.memory_max_increase {
            c.memory.max_increase = v;
        }
        if let Some(v) = o.cold_start_max_increase {
            c.cold_start.max_increase = v;
        }
    }
    c
}

/// A path the baselines do not have yet.
pub fn new_path(run: &RunRecord, p: &PathRecord) -> PathComparison {
    PathComparison {
        device: p.device.clone(),
        model: p.model.clone(),
        status: PathStatus::New,
        base: None,
        head: side_of_path(p, head_commit(run)),
        latency: None,
        accuracy: None,
        guards: vec![],
        notes: vec![
            "no baseline for this path yet: accept one with `edgeperf baseline accept`".into(),
        ],
        resources: vec![],
        explanation: None,
    }
}

/// Guards, notes and the latency screen of a path against its baseline.
pub fn screen_path(
    run: &RunRecord,
    p: &PathRecord,
    base: &Baseline,
    rule: &CompareConfig,
) -> Screened {
    let (guards, notes) = guards::check(run, p, base);
    let q = rule.latency.quantile;
    let screen = latency::screen(
        &round_stats(&base.rounds, q),
        &round_stats(&p.rounds, q),
        &rule.latency,
    );
    let needs_confirmation =
        rule.confirm.enabled && (rule.confirm.always || screen.as_ref().is_some_and(|s| s.suspect));
    Screened {
        guards,
        notes,
        statistic: format!("p{} per round", (q * 100.0).round()),
        screen,
        needs_confirmation,
    }
}

/// What a confirmation judges, as the reports name it.
pub const PAIRED_STATISTIC: &str = "paired blocks";

/// The latency verdict from the screen and what became of the re-measurement.
/// Only a measured confirmation gives a verdict of change or of no change;
/// without one the path is "not confirmed", and the screen's figures (a run
/// against a stored run, blind to this machine's latency levels) are quoted
/// in the reason, never as the change.
pub fn judge_latency(
    screened: &Screened,
    remeasure: &Remeasure,
    rule: &CompareConfig,
) -> LatencyResult {
    let statistic = screened.statistic.clone();
    let not_confirmed = |why: &str| {
        let seen = match &screened.screen {
            Some(s) => format!(
                "; the screen against the stored baseline reads {:+.1}% [{:+.1}, {:+.1}], not a comparison",
                s.change * 100.0,
                s.ci[0] * 100.0,
                s.ci[1] * 100.0
            ),
            None => String::new(),
        };
        LatencyResult {
            verdict: Verdict::NotConfirmed,
            statistic: statistic.clone(),
            screen: screened.screen.clone(),
            confirmation: None,
            change: f64::NAN,
            ci: [f64::NAN; 2],
            reason: format!("not confirmed: {why}{seen}"),
            leaning: None,
        }
    };
    match remeasure {
        Remeasure::Measured(m) => {
            let c = judge_measured(m, rule);
            let leaning = (c.verdict == Verdict::Inconclusive)
                .then(|| {
                    if c.change >= rule.latency.min_change {
                        Some(Leaning::Slower)
                    } else if c.change <= -rule.latency.min_change {
                        Some(Leaning::Faster)
                    } else {
                        None
                    }
                })
                .flatten();
            LatencyResult {
                verdict: c.verdict,
                statistic: PAIRED_STATISTIC.into(),
                change: c.change,
                ci: c.ci,
                reason: c.reason.clone(),
                screen: screened.screen.clone(),
                confirmation: Some(c),
                leaning,
            }
        }
        Remeasure::NotDone(why) => not_confirmed(why),
        Remeasure::Unavailable(why) => not_confirmed(why),
    }
}

/// The confirmation of a re-measured path by the sequential rule, with the
/// pairing named in its reason.
pub fn judge_measured(m: &Interleaved, rule: &CompareConfig) -> latency::Confirmation {
    let n = m.log_ratios.len();
    let rounds: Vec<sequential::RoundStatistic> = (0..n)
        .map(|k| sequential::RoundStatistic {
            log_ratio: m.log_ratios[k],
            base_stat: m.base.get(k).copied().unwrap_or(f64::NAN),
            head_stat: m.head.get(k).copied().unwrap_or(f64::NAN),
            base_seconds: 0.0,
            head_seconds: 0.0,
            machine: m.machine.get(k).cloned().flatten(),
        })
        .collect();
    let seq = sequential::Sequential::with_rounds(&rule.latency, &rule.confirm, rounds);
    let look = seq.judge();
    let mut reason = look.reason;
    if let Some(why) = &m.pairing.across_processes {
        let resolves = if look.ci[0].is_finite() && look.ci[1].is_finite() {
            format!(
                "; its interval is ±{:.1}% wide",
                50.0 * (look.ci[1] - look.ci[0])
            )
        } else {
            String::new()
        };
        reason = format!("{reason} (across processes in lockstep: {why}{resolves})");
    }
    latency::Confirmation {
        base: m.base.clone(),
        head: m.head.clone(),
        log_ratios: m.log_ratios.clone(),
        change: look.change,
        ci: look.ci,
        verdict: look.verdict,
        reason,
        seconds_per_side: m.seconds_per_side,
        pairing: m.pairing.clone(),
        counted: look.counted,
        busy: seq.busy(),
        machine: m.machine.clone(),
    }
}

/// The whole verdict of a path with a baseline.
pub fn judge_path(
    run: &RunRecord,
    p: &PathRecord,
    base: &Baseline,
    rule: &CompareConfig,
    screened: Screened,
    remeasure: &Remeasure,
) -> PathComparison {
    let mut latency = judge_latency(&screened, remeasure, rule);
    let Screened {
        mut guards,
        mut notes,
        ..
    } = screened;
    if let (Remeasure::Unavailable(why), true) = (remeasure, rule.confirm.require_base) {
        guards.push(format!(
            "the base side could not be measured and the comparison requires it (--require-base): {why}"
        ));
    }
    let accuracy = judge_accuracy(run, p, base, rule, &mut guards, &mut notes);
    let mut resources = judge_resources(p, base, rule, remeasure, &mut notes);
    // Device state (issue 19): throttled, hot or misconfigured rounds on either side.
    let confirmation = match remeasure {
        Remeasure::Measured(m) => &m.device_states[..],
        _ => &[],
    };
    let device_rule = rule
        .device_state
        .get(&p.device)
        .cloned()
        .unwrap_or_default();
    if let Some(g) = devstate::guard(&base.rounds, &p.rounds, confirmation, &device_rule) {
        devstate::apply(
            &g,
            &mut latency.verdict,
            &mut latency.reason,
            &mut resources,
            &mut guards,
        );
    }
    let mut verdicts = vec![Some(latency.verdict), accuracy.as_ref().map(|a| a.verdict)];
    // A resource counts when it is decisive; an inconclusive one is only reported.
    verdicts.extend(
        resources
            .iter()
            .filter(|r| r.verdict != Verdict::Inconclusive)
            .map(|r| Some(r.verdict)),
    );
    let status = status(&guards, &verdicts);
    PathComparison {
        device: p.device.clone(),
        model: p.model.clone(),
        status,
        base: Some(side_of_baseline(base)),
        head: side_of_path(p, head_commit(run)),
        latency: Some(latency),
        accuracy,
        guards,
        notes,
        resources,
        explanation: None,
    }
}

/// Accuracy of the run against the baseline: paired McNemar, or "not
/// comparable" when the image subset changed between them.
fn judge_accuracy(
    run: &RunRecord,
    p: &PathRecord,
    base: &Baseline,
    rule: &CompareConfig,
    guards: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Option<accuracy::AccuracyJudgement> {
    match (&base.accuracy, &p.accuracy) {
        (Some(b), Some(h)) => {
            let head_ds = run.dataset.as_ref();
            if let Some(why) = accuracy::subset_change(base, head_ds) {
                return Some(accuracy::not_comparable(b, h, why));
            }
            if base.dataset_fingerprint.is_some()
                && head_ds.map(|d| &d.fingerprint) != base.dataset_fingerprint.as_ref()
            {
                notes.push("dataset changed since the baseline: accuracy is judged on the images both runs share".into());
            }
            Some(accuracy::judge(
                b,
                h,
                rule.accuracy.alpha,
                rule.accuracy.max_top1_drop_points,
            ))
        }
        (Some(_), None) => {
            guards.push("the baseline has accuracy but this run has none".into());
            None
        }
        _ => None,
    }
}

/// Memory of the run's rounds against the baseline's (only when both measured
/// the same process: [`resources::memory_sides`]; else a note says why not);
/// cold start from the confirmation's paired rounds when there were some, else
/// against the baseline's rounds without claiming a change
/// ([`resources::unpaired`]).
fn judge_resources(
    p: &PathRecord,
    base: &Baseline,
    rule: &CompareConfig,
    remeasure: &Remeasure,
    notes: &mut Vec<String>,
) -> Vec<resources::ResourceJudgement> {
    let cold = |rs: &[crate::record::Round]| {
        rs.iter()
            .map(|r| r.cold_start_ms.reported_ms())
            .collect::<Vec<_>>()
    };
    let (base_mb, head_mb) = match resources::memory_sides(&base.rounds, &p.rounds) {
        Ok(sides) => sides,
        Err(note) => {
            if rule.memory.enabled {
                notes.push(note);
            }
            (Vec::new(), Vec::new())
        }
    };
    [
        resources::judge("memory", "MiB", &base_mb, &head_mb, &rule.memory),
        match remeasure {
            Remeasure::Measured(m) if !m.head_cold_ms.is_empty() => resources::judge_paired(
                "cold start",
                "ms",
                &m.base_cold_ms,
                &m.head_cold_ms,
                &rule.cold_start,
                resources::COLD_START_CONFIDENCE,
            ),
            _ => resources::judge(
                "cold start",
                "ms",
                &cold(&base.rounds),
                &cold(&p.rounds),
                &rule.cold_start,
            )
            .map(resources::unpaired),
        },
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A path's status: any guard or regressed verdict -> regressed; else any
/// inconclusive -> inconclusive; else any not confirmed -> not confirmed; else
/// any improvement -> improved; else unchanged.
pub fn status(guards: &[String], verdicts: &[Option<Verdict>]) -> PathStatus {
    if !guards.is_empty() || verdicts.contains(&Some(Verdict::Regressed)) {
        PathStatus::Regressed
    } else if verdicts.contains(&Some(Verdict::Inconclusive)) {
        PathStatus::Inconclusive
    } else if verdicts.contains(&Some(Verdict::NotConfirmed)) {
        PathStatus::NotConfirmed
    } else if verdicts.contains(&Some(Verdict::Improved)) {
        PathStatus::Improved
    } else {
        PathStatus::Unchanged
    }
}

/// Judges every path of `run`: new without a baseline, else screened,
/// re-measured when the rule asks, and judged. `baseline` loads a path's
/// baseline (`None`: the path is new); `remeasure` confirms a path the rule
/// asks to (base and head interleaved, or why not). Pure itself: what it reads
/// or measures comes through these two; an error from either ends the judging.
pub fn judge_run(
    run: &RunRecord,
    run_file: &str,
    baselines: &str,
    cfg: &CompareConfig,
    mut baseline: impl FnMut(&PathRecord) -> Result<Option<Baseline>>,
    mut remeasure: impl FnMut(&PathRecord, &Baseline, &CompareConfig) -> Result<Remeasure>,
) -> Result<Comparison> {
    let mut paths = Vec::new();
    for p in &run.paths {
        let Some(base) = baseline(p)? else {
            paths.push(new_path(run, p));
            continue;
        };
        let rule = rule_for(cfg, &p.device, &p.model);
        let screened = screen_path(run, p, &base, &rule);
        let measured = if screened.needs_confirmation {
            remeasure(p, &base, &rule)?
        } else if !rule.confirm.enabled {
            Remeasure::NotDone("the confirmation is switched off (--no-confirm)".into())
        } else {
            Remeasure::NotDone(
                "not re-measured: the screen saw no suspect and compare.confirm.always is off"
                    .into(),
            )
        };
        paths.push(judge_path(run, p, &base, &rule, screened, &measured));
    }
    Ok(summarise(run, run_file, baselines, paths))
}

/// The comparison of a run made of its paths' verdicts.
pub fn summarise(
    run: &RunRecord,
    run_file: &str,
    baselines: &str,
    paths: Vec<PathComparison>,
) -> Comparison {
    let regressions = paths
        .iter()
        .filter(|p| p.status == PathStatus::Regressed)
        .count();
    Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        run: run_file.to_string(),
        head_commit: head_commit(run),
        measured_at: run.environment.timestamp,
        host: run.environment.host.hostname.clone(),
        baselines: baselines.to_string(),
        paths,
        regressions,
    }
}

#[cfg(test)]
mod tests;

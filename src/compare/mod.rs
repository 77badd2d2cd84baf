//! Comparing a run against baselines: latency and accuracy verdicts per path.
//!
//! Flow: for each path of the run, load its baseline (from `baselines/` or from the
//! merge-base commit through git2), apply the guards (provider that really ran,
//! runtime/threads/host changes), screen latency against the baseline's recorded
//! rounds, confirm suspects by interleaving (a callback that measures base and
//! head alternately on this machine), and judge accuracy with paired McNemar.

pub mod accuracy;
mod config;
pub mod latency;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use config::{AccuracyRule, CompareConfig, ConfirmRule, LatencyRule, PathOverride};
pub use latency::Verdict;

use crate::baseline::Baseline;
use crate::error::Result;
use crate::git::GitTree;
use crate::record::{PathRecord, RunRecord};

pub const COMPARISON_SCHEMA_VERSION: u32 = 1;

/// Where baselines come from.
pub enum BaselineSource {
    /// A directory on disk (default `baselines/`).
    Dir(PathBuf),
    /// The baselines directory as it is at a commit (`--against REF`).
    Git { tree: GitTree, dir_rel: PathBuf },
}

impl BaselineSource {
    pub fn label(&self) -> String {
        match self {
            BaselineSource::Dir(d) => d.display().to_string(),
            BaselineSource::Git { tree, dir_rel } => {
                format!("{} at {}", dir_rel.display(), tree.label)
            }
        }
    }

    /// A path's baseline, `Ok(None)` when the source has none for it.
    pub fn load(&self, device: &str, model: &str) -> Result<Option<Baseline>> {
        match self {
            BaselineSource::Dir(d) => crate::baseline::load(d, device, model),
            BaselineSource::Git { tree, dir_rel } => {
                let rel = crate::baseline::baseline_file(dir_rel, device, model);
                match tree.read(&rel)? {
                    Some(bytes) => {
                        let shown = PathBuf::from(format!(
                            "{}:{}",
                            &tree.commit.to_string()[..10],
                            rel.display()
                        ));
                        Baseline::parse(&shown, &bytes).map(Some)
                    }
                    None => Ok(None),
                }
            }
        }
    }
}

/// What one side of a comparison measured, for the report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Side {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub top1: Option<f64>,
    pub top5: Option<f64>,
    pub provider_ran: crate::config::Provider,
    pub runtime_version: String,
    pub commit: Option<String>,
}

/// serde_json writes non-finite floats (an unknown change) as `null`; read `null`
/// back as NaN so a comparison always loads again (`report github`).
pub(crate) mod null_as_nan {
    use serde::{Deserialize, Deserializer};

    pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    pub fn pair<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
        let [a, b] = <[Option<f64>; 2]>::deserialize(d)?;
        Ok([a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)])
    }
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathStatus {
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
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
            PathStatus::New => "new",
        }
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
    /// Devices present in this comparison.
    pub fn devices(&self) -> Vec<String> {
        let mut d: Vec<String> = self.paths.iter().map(|p| p.device.clone()).collect();
        d.sort();
        d.dedup();
        d
    }

    pub fn load(path: &Path) -> Result<Comparison> {
        let v: serde_json::Value = crate::fs::read_json(path)?;
        crate::record::check_schema(path, &v, COMPARISON_SCHEMA_VERSION, "comparison")?;
        serde_json::from_value(v)
            .map_err(|e| crate::Error::json(path, format!("not an edgeperf comparison: {e}")))
    }
}

/// Measures a path interleaved (base, head alternating); returns per-round
/// detection statistics for (base, head) and the seconds per side, or a reason
/// why it cannot (e.g. the base model is not available).
pub trait Confirmer {
    fn confirm(
        &mut self,
        path: &PathRecord,
        base: &Baseline,
        rule: &CompareConfig,
    ) -> std::result::Result<(Vec<f64>, Vec<f64>, f64), String>;
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

fn side_of_baseline(b: &Baseline) -> Side {
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
    }
    c
}

/// Compares every path of `run` against `source`.
pub fn compare(
    run: &RunRecord,
    run_file: &str,
    source: &BaselineSource,
    cfg: &CompareConfig,
    mut confirmer: Option<&mut dyn Confirmer>,
) -> Result<Comparison> {
    let head_commit = run.environment.git.as_ref().map(|g| g.commit.clone());
    let mut paths = Vec::new();
    for p in &run.paths {
        let rule = rule_for(cfg, &p.device, &p.model);
        let head = side_of_path(p, head_commit.clone());
        let Some(base) = source.load(&p.device, &p.model)? else {
            paths.push(PathComparison {
                device: p.device.clone(),
                model: p.model.clone(),
                status: PathStatus::New,
                base: None,
                head,
                latency: None,
                accuracy: None,
                guards: vec![],
                notes: vec![
                    "no baseline for this path yet: accept one with `edgeperf baseline accept`"
                        .into(),
                ],
            });
            continue;
        };
        let mut guards = Vec::new();
        let mut notes = Vec::new();
        if p.provider_ran != base.provider_ran {
            guards.push(format!(
                "execution provider changed: the baseline ran on {}, this run on {}{}",
                base.provider_ran,
                p.provider_ran,
                if p.provider_ran == crate::config::Provider::Cpu {
                    " (fell back to CPU)"
                } else {
                    ""
                }
            ));
        }
        if p.runtime.version != base.runtime.version {
            notes.push(format!(
                "onnxruntime changed: {} -> {}",
                base.runtime.version, p.runtime.version
            ));
        }
        if p.threads != base.threads {
            notes.push(format!(
                "threads changed: intra/inter {}/{} -> {}/{}",
                base.threads.intra, base.threads.inter, p.threads.intra, p.threads.inter
            ));
        }
        let h = &run.environment.host;
        if h.cpu_model != base.host.cpu_model
            || h.cores != base.host.cores
            || h.hostname != base.host.hostname
        {
            notes.push(format!(
                "host changed: {} ({} x {}) -> {} ({} x {})",
                base.host.hostname,
                base.host.cores,
                base.host.cpu_model,
                h.hostname,
                h.cores,
                h.cpu_model
            ));
        }
        if p.model_sha256 != base.model_sha256 {
            notes.push(format!(
                "model file changed: sha256 {} -> {}",
                &base.model_sha256[..12.min(base.model_sha256.len())],
                &p.model_sha256[..12.min(p.model_sha256.len())]
            ));
        }

        // Latency.
        let q = rule.latency.quantile;
        let statistic = format!("p{} per round", (q * 100.0).round());
        let bstats = round_stats(&base.rounds, q);
        let hstats = round_stats(&p.rounds, q);
        let confirm_all = rule.confirm.enabled && rule.confirm.always && confirmer.is_some();
        let latency = match latency::screen(&bstats, &hstats, &rule.latency) {
            None => LatencyResult {
                verdict: Verdict::Inconclusive,
                statistic,
                screen: None,
                confirmation: None,
                change: f64::NAN,
                ci: [f64::NAN; 2],
                reason: "no usable latency rounds".into(),
            },
            Some(s) if !s.suspect && !confirm_all => LatencyResult {
                verdict: s.verdict,
                statistic,
                change: s.change,
                ci: s.ci,
                reason: s.reason.clone(),
                screen: Some(s),
                confirmation: None,
            },
            Some(s) => {
                let attempt = match (&mut confirmer, rule.confirm.enabled) {
                    (Some(c), true) => Some(c.confirm(p, &base, &rule)),
                    _ => None,
                };
                match attempt {
                    Some(Ok((a, b, secs))) => {
                        let c = latency::judge_interleaved(&a, &b, &rule.latency, secs);
                        LatencyResult {
                            verdict: c.verdict,
                            statistic,
                            change: c.change,
                            ci: c.ci,
                            reason: c.reason.clone(),
                            screen: Some(s),
                            confirmation: Some(c),
                        }
                    }
                    Some(Err(why)) if !s.suspect => LatencyResult {
                        verdict: s.verdict,
                        statistic,
                        change: s.change,
                        ci: s.ci,
                        reason: format!(
                            "{} (screen only; confirmation impossible: {why})",
                            s.reason
                        ),
                        screen: Some(s),
                        confirmation: None,
                    },
                    Some(Err(why)) => LatencyResult {
                        verdict: Verdict::Inconclusive,
                        statistic,
                        change: s.change,
                        ci: s.ci,
                        reason: format!(
                            "{:+.1}% vs the baseline, unconfirmed: {why}",
                            s.change * 100.0
                        ),
                        screen: Some(s),
                        confirmation: None,
                    },
                    None => LatencyResult {
                        verdict: Verdict::Inconclusive,
                        statistic,
                        change: s.change,
                        ci: s.ci,
                        reason: format!(
                            "{:+.1}% vs the baseline, unconfirmed (confirmation disabled)",
                            s.change * 100.0
                        ),
                        screen: Some(s),
                        confirmation: None,
                    },
                }
            }
        };

        // Accuracy.
        let accuracy = match (&base.accuracy, &p.accuracy) {
            (Some(b), Some(h)) => {
                if base.dataset_fingerprint.is_some()
                    && run.dataset.as_ref().map(|d| &d.fingerprint)
                        != base.dataset_fingerprint.as_ref()
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
        };

        let verdicts = [Some(latency.verdict), accuracy.as_ref().map(|a| a.verdict)];
        let status = if !guards.is_empty() || verdicts.contains(&Some(Verdict::Regressed)) {
            PathStatus::Regressed
        } else if verdicts.contains(&Some(Verdict::Inconclusive)) {
            PathStatus::Inconclusive
        } else if verdicts.contains(&Some(Verdict::Improved)) {
            PathStatus::Improved
        } else {
            PathStatus::Unchanged
        };
        paths.push(PathComparison {
            device: p.device.clone(),
            model: p.model.clone(),
            status,
            base: Some(side_of_baseline(&base)),
            head,
            latency: Some(latency),
            accuracy,
            guards,
            notes,
        });
    }
    let regressions = paths
        .iter()
        .filter(|p| p.status == PathStatus::Regressed)
        .count();
    Ok(Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        run: run_file.to_string(),
        head_commit,
        measured_at: run.environment.timestamp,
        host: run.environment.host.hostname.clone(),
        baselines: source.label(),
        paths,
        regressions,
    })
}

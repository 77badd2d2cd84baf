//! Paired changes: a commit's path re-measured interleaved against another
//! commit's whole path (model bytes, settings, runtime: the replay a pull
//! request gets), reduced to what the history keeps.
//!
//! * [`PairedChange`]: what one replay found (the change of the confirmation's
//!   statistic, its interval, the verdict of the confirmation's rule);
//! * [`PairedDocument`]: what `edgeperf baseline pair RUN.json` writes beside
//!   the run record on a device (it holds no write token): one entry per path,
//!   bound to the run by the sha256 of the record's bytes and its commit;
//! * [`PairedStep`]: the field `paired` of a history line, kept by `baseline
//!   accept --paired` once the document is checked to belong to that run.
//!
//! Pure: `store` reads and writes the files. The document comes from a device
//! job, so it is untrusted input: [`PairedDocument::parse`] checks names by the
//! suite's rules, commits as hex ids and every number as finite.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const PAIRED_SCHEMA_VERSION: u32 = 1;

/// The confirmation rule's verdict on a replay, as the history keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairedVerdict {
    /// Slower: the rule's interval clears zero and the change is at least the
    /// path's minimum change.
    Regressed,
    /// Faster, by the same rule.
    Improved,
    /// Within the minimum change, with confidence.
    Unchanged,
    /// The rounds did not decide.
    Inconclusive,
}

impl PairedVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            PairedVerdict::Regressed => "regressed",
            PairedVerdict::Improved => "improved",
            PairedVerdict::Unchanged => "unchanged",
            PairedVerdict::Inconclusive => "inconclusive",
        }
    }

    /// A decided change (regressed or improved).
    pub fn is_change(self) -> bool {
        matches!(self, PairedVerdict::Regressed | PairedVerdict::Improved)
    }
}

/// What one interleaved replay of a base side against a head side found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedChange {
    /// head / base - 1 of the confirmation's statistic (exp of the median
    /// round log-ratio); `None` when the rounds gave none.
    pub change: Option<f64>,
    /// Its interval at the rule's `confidence` (fractions, lo <= hi).
    pub ci: Option<[f64; 2]>,
    pub verdict: PairedVerdict,
    /// Paired rounds measured.
    pub rounds: usize,
    /// Seconds of timed inference per side.
    pub seconds_per_side: f64,
}

impl PairedChange {
    /// Checks what a document from elsewhere claims: finite numbers, an
    /// ordered interval, a plausible round count. `key` names the field.
    pub fn check(&self, path: &Path, key: &str) -> Result<()> {
        let bad = |what: &str| Error::config(path, key, what.to_string());
        if self.change.is_some_and(|c| !c.is_finite() || c <= -1.0) {
            return Err(bad("change is not a finite fraction above -1"));
        }
        if let Some([lo, hi]) = self.ci {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi && lo > -1.0) {
                return Err(bad("ci is not an ordered pair of finite fractions"));
            }
        }
        if self.rounds > 100_000 || !self.seconds_per_side.is_finite() {
            return Err(bad("rounds or seconds_per_side out of range"));
        }
        Ok(())
    }
}

/// `paired` of a history line: this commit's path against the whole path of
/// `base` (the previous baseline's commit), measured interleaved on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedStep {
    /// The commit replayed as the base side.
    pub base: String,
    #[serde(flatten)]
    pub change: PairedChange,
}

/// One path of a [`PairedDocument`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedPath {
    pub device: String,
    pub model: String,
    /// The commit of the previous baseline (the base side), when there is one.
    pub base_commit: Option<String>,
    /// The replay's outcome; `None` when the path was not paired.
    pub paired: Option<PairedChange>,
    /// Why it was not paired (no previous baseline, the base side cannot be
    /// had here, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `edgeperf baseline pair RUN.json --out FILE`: each path of a run replayed
/// against its previous baseline's commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedDocument {
    pub schema_version: u32,
    /// SHA-256 of the run record's bytes this document pairs.
    pub run_sha256: String,
    /// The commit the run measured.
    pub head_commit: String,
    pub measured_at: chrono::DateTime<chrono::Utc>,
    pub paths: Vec<PairedPath>,
}

/// Whether `s` is a full git object id (40 or 64 lowercase hex digits).
pub fn is_commit_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl PairedDocument {
    /// Parses a paired document that came from `path` and checks everything a
    /// device job could have written into it.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<PairedDocument> {
        let doc: PairedDocument =
            super::parse_document(path, bytes, PAIRED_SCHEMA_VERSION, "paired document")?;
        super::check_path_names(path, doc.paths.iter().map(|p| (&*p.device, &*p.model)))?;
        let commit = |key: String, c: &str| {
            if is_commit_id(c) {
                Ok(())
            } else {
                Err(Error::config(
                    path,
                    key,
                    format!("{c:?} is not a commit id"),
                ))
            }
        };
        commit("head_commit".into(), &doc.head_commit)?;
        if !(doc.run_sha256.len() == 64 && is_commit_id(&doc.run_sha256)) {
            return Err(Error::config(path, "run_sha256", "not a sha256 in hex"));
        }
        for (i, p) in doc.paths.iter().enumerate() {
            if let Some(b) = &p.base_commit {
                commit(format!("paths[{i}].base_commit"), b)?;
            }
            if let Some(c) = &p.paired {
                c.check(path, &format!("paths[{i}].paired"))?;
                if p.base_commit.is_none() {
                    return Err(Error::config(
                        path,
                        format!("paths[{i}].base_commit"),
                        "a paired path names no base commit",
                    ));
                }
            }
        }
        Ok(doc)
    }

    /// Checks that this document (from `path`) pairs the run record `run`
    /// read from `run_file` whose bytes hash to `run_sha256`: the same bytes,
    /// the same commit, and only paths of that run (of `device`, when given).
    pub fn check_pairs(
        &self,
        path: &Path,
        run_file: &Path,
        run_sha256: &str,
        run: &super::RunRecord,
        device: Option<&str>,
    ) -> Result<()> {
        if self.run_sha256 != run_sha256 {
            return Err(Error::config(
                path,
                "run_sha256",
                format!(
                    "pairs another run record ({}), not {} ({}): hand accept the paired document written with this run",
                    &self.run_sha256[..12],
                    run_file.display(),
                    &run_sha256[..run_sha256.len().min(12)]
                ),
            ));
        }
        let commit = run.environment.git.as_ref().map(|g| g.commit.as_str());
        if commit != Some(self.head_commit.as_str()) {
            return Err(Error::config(
                path,
                "head_commit",
                format!(
                    "{} is not the commit the run measured ({})",
                    self.head_commit,
                    commit.unwrap_or("none")
                ),
            ));
        }
        if let Some(d) = device {
            super::check_only_device(path, self.paths.iter().map(|p| (&*p.device, &*p.model)), d)?;
        }
        for (i, p) in self.paths.iter().enumerate() {
            if run.path(&p.device, &p.model).is_none() {
                return Err(Error::config(
                    path,
                    format!("paths[{i}]"),
                    format!(
                        "{}/{} is not a path of {}",
                        p.device,
                        p.model,
                        run_file.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The paired step of `device`/`model`, when it was paired.
    pub fn step(&self, device: &str, model: &str) -> Option<PairedStep> {
        let p = self.path(device, model)?;
        Some(PairedStep {
            base: p.base_commit.clone()?,
            change: p.paired.clone()?,
        })
    }

    /// The path `device`/`model`, if the document has it.
    pub fn path(&self, device: &str, model: &str) -> Option<&PairedPath> {
        self.paths
            .iter()
            .find(|p| p.device == device && p.model == model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> PairedDocument {
        PairedDocument {
            schema_version: PAIRED_SCHEMA_VERSION,
            run_sha256: "ab".repeat(32),
            head_commit: "1".repeat(40),
            measured_at: crate::fixtures::at(0),
            paths: vec![PairedPath {
                device: "cpu".into(),
                model: "m".into(),
                base_commit: Some("2".repeat(40)),
                paired: Some(PairedChange {
                    change: Some(0.012),
                    ci: Some([-0.004, 0.02]),
                    verdict: PairedVerdict::Unchanged,
                    rounds: 6,
                    seconds_per_side: 3.6,
                }),
                reason: None,
            }],
        }
    }

    fn parse(d: &PairedDocument) -> Result<PairedDocument> {
        PairedDocument::parse(
            Path::new("paired.json"),
            serde_json::to_string(d).unwrap().as_bytes(),
        )
    }

    #[test]
    fn a_paired_document_round_trips_and_a_step_flattens_into_its_line() {
        let d = doc();
        assert_eq!(parse(&d).unwrap(), d);
        let step = PairedStep {
            base: "2".repeat(40),
            change: d.paths[0].paired.clone().unwrap(),
        };
        let line = serde_json::to_string(&step).unwrap();
        assert!(
            line.starts_with(&format!(
                "{{\"base\":\"{}\",\"change\":0.012,",
                "2".repeat(40)
            )),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<PairedStep>(&line).unwrap(), step);
    }

    #[test]
    fn what_a_device_job_could_plant_is_refused_naming_the_key() {
        let err = |f: &dyn Fn(&mut PairedDocument)| {
            let mut d = doc();
            f(&mut d);
            parse(&d).unwrap_err().one_line()
        };
        let e = err(&|d| d.paths[0].device = "../../x".into());
        assert!(e.starts_with("paired.json: paths[0].device: "), "{e}");
        let e = err(&|d| d.head_commit = "HEAD; rm -rf /".into());
        assert!(
            e.contains("head_commit") && e.contains("not a commit id"),
            "{e}"
        );
        let e = err(&|d| d.paths[0].base_commit = Some("<b>".into()));
        assert!(e.contains("paths[0].base_commit"), "{e}");
        let e = err(&|d| d.paths[0].paired.as_mut().unwrap().ci = Some([0.1, -0.1]));
        assert!(
            e.contains("paths[0].paired") && e.contains("ordered"),
            "{e}"
        );
        let e = err(&|d| d.run_sha256 = "abc".into());
        assert!(e.contains("run_sha256"), "{e}");
        let e = err(&|d| d.paths[0].base_commit = None);
        assert!(e.contains("names no base commit"), "{e}");
        let e = PairedDocument::parse(Path::new("p.json"), b"{\"schema_version\": 9}")
            .unwrap_err()
            .one_line();
        assert!(e.contains("newer"), "{e}");
    }
}

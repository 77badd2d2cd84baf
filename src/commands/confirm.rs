//! Confirmation: a path's base and head re-measured on this machine, each side
//! exactly as its commit defines it, in alternating blocks, round after round
//! until the interval on the change is decisive.
//!
//! * **The base side is the base commit's whole path**: the base suite (read
//!   through git2 at the merge-base for `--against`, else at the baseline's own
//!   commit) gives the device (provider, options, threads) and the model entry
//!   (input, preprocessing); the model bytes are the base commit's (a git blob,
//!   a Git LFS object) or, for models git does not track, the bytes the baseline
//!   measured, found by their sha256 on disk or in the artifact store; the runtime
//!   library is the one the baseline ran (by sha256: its path, or the artifact
//!   store). What cannot be had makes the path inconclusive, saying what is missing.
//! * **Pairing**: when both sides run on the same runtime library, one worker
//!   process holds both sessions; otherwise two worker processes in lockstep
//!   (`engine::lockstep`). Either way the sides alternate in blocks of
//!   `confirm.block_ms`, so the machine's changing latency level hits both alike.
//! * **Sequential**: after `confirm.min_rounds` rounds, then every two, the
//!   sign-test interval of the median round ratio is checked
//!   (`compare::latency::judge_log_ratios`); the confirmation stops as soon as it
//!   is decisive, or at `confirm.rounds` / `confirm.budget_seconds` per side.

use std::path::{Path, PathBuf};

use crate::compare::latency::{block_log_ratio, decisive, is_look, Pairing as Paired};
use crate::compare::{short_hash, Interleaved};
use crate::engine::measure::confirmation_sampling;
use crate::engine::spawn::spawn_round;
use crate::engine::{Pairing, PathSpec, RoundResult, WorkerRequest, WORKER_PROTOCOL};
use crate::error::{Error, Result};
use crate::record::baseline::Baseline;
use crate::record::PathRecord;
use crate::store::artifacts::ArtifactStore;
use crate::store::git::GitTree;
use crate::suite::{CompareConfig, Model, Suite};

pub struct Interleaver<'a> {
    pub suite: &'a Suite,
    pub exe: PathBuf,
    /// The commit whose files make the base side; `None` = each baseline's commit.
    pub base_tree: Option<&'a GitTree>,
    /// Where base files extracted from git are kept (content-addressed).
    pub scratch: PathBuf,
    /// The artifact store, when there is one.
    pub artifacts: Option<ArtifactStore>,
    pub progress: Box<dyn FnMut(&str) + 'a>,
}

/// A side of the path that cannot be had: the reason shown to the user.
fn unavailable(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}

impl Interleaver<'_> {
    /// The commit the base side comes from.
    fn tree_for(&self, base: &Baseline) -> Option<GitTree> {
        if self.base_tree.is_some() {
            return None;
        }
        base.git
            .as_ref()
            .and_then(|g| GitTree::at_commit(self.suite.dir(), &g.commit))
    }

    /// The base commit's suite: the suite file as `tree` has it; the current suite
    /// when it is byte-for-byte the one the baseline ran.
    fn base_suite(&self, tree: Option<&GitTree>, base: &Baseline) -> Result<Suite> {
        if let Some(t) = tree {
            if let Some(rel) = t.relative(&self.suite.path) {
                if let Some(bytes) = t.read(&rel)? {
                    let text = String::from_utf8_lossy(&bytes);
                    return Suite::parse(&t.shown(&rel), &text, self.suite.dir());
                }
            }
        }
        if base.suite_sha256 == self.suite.sha256 {
            return Ok(self.suite.clone());
        }
        Err(unavailable(match tree {
            Some(t) => format!(
                "base suite not available: {} is not tracked at {}, and the current suite is not the one the baseline ran (commit the suite file)",
                self.suite.path.display(),
                t.label
            ),
            None => format!(
                "base suite not available: the base commit {} is not in this repository (fetch it: actions/checkout with fetch-depth: 0)",
                base.git.as_ref().map(|g| short_hash(&g.commit)).unwrap_or("(unknown)")
            ),
        }))
    }

    /// The base model's bytes as a file: the base commit's blob (a Git LFS
    /// pointer resolved) when git tracks it there, else the bytes the baseline
    /// measured, by sha256, on disk or in the artifact store.
    fn base_model_file(
        &self,
        tree: Option<&GitTree>,
        model: &Model,
        base: &Baseline,
    ) -> Result<PathBuf> {
        if let Some(t) = tree {
            if let Some(rel) = t.relative(&model.file) {
                if let Some(bytes) = t.read(&rel)? {
                    return self.model_from_blob(t, &rel, bytes);
                }
            }
        }
        let sha = &base.model_sha256;
        if crate::fs::sha256_file(&model.file).ok().as_deref() == Some(sha.as_str()) {
            return Ok(model.file.clone());
        }
        if let Some(p) = self.artifacts.as_ref().and_then(|a| a.model(sha)) {
            return Ok(p);
        }
        Err(unavailable(format!(
            "base model not available: {} (sha256 {}) is not tracked in git at the base commit and not in the artifact store{}; run `edgeperf run` on the base commit on this runner (it fills the store), keep the store between jobs, or commit the model",
            model.name,
            short_hash(sha),
            self.artifacts
                .as_ref()
                .map(|a| format!(" {}", a.dir.display()))
                .unwrap_or_else(|| " (turned off)".into())
        )))
    }

    /// A model blob from git as a file (LFS pointers resolved), cached by content.
    fn model_from_blob(&self, t: &GitTree, rel: &Path, bytes: Vec<u8>) -> Result<PathBuf> {
        if let Some(p) = crate::store::lfs::parse_pointer(&bytes) {
            let local = crate::store::lfs::object_path(t.git_dir(), &p.oid)
                .filter(|o| crate::fs::exists(o));
            let stored = self.artifacts.as_ref().and_then(|a| a.model(&p.oid));
            return local.or(stored).ok_or_else(|| {
                unavailable(format!(
                    "base model not available: {} is a Git LFS pointer at {} (object {}) whose content is not on this runner: run `git lfs fetch` for the base commit, or keep the artifact store between jobs",
                    rel.display(),
                    t.label,
                    short_hash(&p.oid)
                ))
            });
        }
        let sha = crate::fs::sha256_bytes(&bytes);
        // Keep the extension: a runtime may tell formats by it.
        let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("model");
        let file = self.scratch.join(format!("model-{sha}.{ext}"));
        if !crate::fs::exists(&file) {
            crate::fs::write_atomic(&file, &bytes)?;
        }
        Ok(file)
    }

    /// The runtime library the baseline ran: by its sha256 at the base device's
    /// library path, at the recorded path, or in the artifact store.
    fn base_library(&self, base: &Baseline, configured: Option<PathBuf>) -> Result<PathBuf> {
        let recorded = base.runtime.library.clone();
        let candidates: Vec<PathBuf> = configured.into_iter().chain([recorded]).collect();
        match &base.runtime.sha256 {
            Some(sha) => {
                for c in &candidates {
                    if crate::fs::sha256_file(c).ok().as_deref() == Some(sha.as_str()) {
                        return Ok(c.clone());
                    }
                }
                if let Some(p) = self.artifacts.as_ref().and_then(|a| a.runtime(sha)) {
                    return Ok(p);
                }
                Err(unavailable(format!(
                    "base runtime library not available: {} {} (sha256 {}) is neither at {} nor in the artifact store; install it on this runner or keep the artifact store between jobs",
                    base.runtime.kind.as_str(),
                    base.runtime.version,
                    short_hash(sha),
                    base.runtime.library.display()
                )))
            }
            // A baseline from before libraries were hashed: its recorded path,
            // when the library there still reports the same version.
            // (Only ONNX Runtime can be asked its version without a session.)
            None => candidates
                .into_iter()
                .find(|c| {
                    base.runtime.kind.is_onnxruntime()
                        && crate::engine::ort::probe_version(c).ok().as_deref()
                            == Some(base.runtime.version.as_str())
                })
                .ok_or_else(|| {
                    unavailable(format!(
                        "base runtime library not available: {} {} at {}",
                        base.runtime.kind.as_str(),
                        base.runtime.version,
                        base.runtime.library.display()
                    ))
                }),
        }
    }

    /// The base side of a path: the base commit's device and model, the bytes
    /// and the library the baseline measured.
    pub fn base_side(&self, path: &PathRecord, base: &Baseline) -> Result<PathSpec> {
        let own = self.tree_for(base);
        let tree = self.base_tree.or(own.as_ref());
        let suite = self.base_suite(tree, base)?;
        let no_path = |what: &str| {
            unavailable(format!(
                "the base suite ({}) has no {what} {:?}",
                suite.path.display(),
                if what == "device" {
                    &path.device
                } else {
                    &path.model
                }
            ))
        };
        let device = suite
            .device(&path.device)
            .ok_or_else(|| no_path("device"))?;
        // The model file of the device's format (.onnx, or .tflite for LiteRT).
        let mut model = suite
            .model(&path.model)
            .ok_or_else(|| no_path("model"))?
            .for_device(device)?;
        model.file = self.base_model_file(tree, &model, base)?;
        let configured = crate::engine::session::library_for(device, None).ok();
        let library = self.base_library(base, configured)?;
        Ok(PathSpec {
            device: device.clone(),
            model,
            library,
        })
    }

    /// The head side as the run measured it: the current suite's device and model
    /// (whose file must still hold the bytes the run measured) on the run's library.
    pub fn head_side(&self, path: &PathRecord) -> Result<PathSpec> {
        let device = self
            .suite
            .device(&path.device)
            .ok_or_else(|| unavailable("the path's device is not in the current suite"))?;
        let model = self
            .suite
            .model(&path.model)
            .ok_or_else(|| unavailable("the path's model is not in the current suite"))?
            .for_device(device)?;
        let now = crate::fs::sha256_file(&model.file)?;
        if now != path.model_sha256 {
            return Err(unavailable(format!(
                "{} changed since the run (sha256 {} -> {}): run again",
                model.file.display(),
                short_hash(&path.model_sha256),
                short_hash(&now)
            )));
        }
        Ok(PathSpec {
            device: device.clone(),
            model,
            library: path.runtime.library.clone(),
        })
    }

    /// Re-measures a path until the interval is decisive: one statistic per round
    /// (the median over its block pairs of the head/base log-ratio).
    pub fn measure(
        &mut self,
        path: &PathRecord,
        base: &Baseline,
        cfg: &CompareConfig,
    ) -> Result<Interleaved> {
        let head = self.head_side(path)?;
        let base_side = self.base_side(path, base)?;
        let mut base_side = base_side;
        let across = across_processes(&base_side, &head, base, path);
        if across.is_none() {
            // The same build (by content): both sessions load the head's file.
            base_side.library = head.library.clone();
        }
        let c = &cfg.confirm;
        let mut sampling = confirmation_sampling(&self.suite.sampling, c.round_seconds);
        sampling.warmup = c.warmup;
        let mut m = Interleaved {
            pairing: Paired {
                across_processes: across.clone(),
                rounds: 0,
            },
            ..Default::default()
        };
        let (mut secs_a, mut secs_b) = (0.0, 0.0);
        let q = cfg.latency.quantile;
        for i in 0..c.rounds {
            (self.progress)(&format!(
                "confirming {}/{}: round {}",
                path.device,
                path.model,
                i + 1
            ));
            let req = WorkerRequest {
                protocol: WORKER_PROTOCOL,
                round: i,
                sampling: sampling.clone(),
                accuracy: false,
                dataset: self.suite.dataset.clone(),
                head: head.clone(),
                paired: Some(base_side.clone()),
                pairing: Pairing {
                    block_ms: c.block_ms,
                    base_first: i % 2 == 0,
                },
                lockstep: false,
            };
            let r = self.round(&req, &base_side, across.is_some())?;
            let (d, pa, pb, ta, tb) = round_statistic(&r, q)?;
            if let Some(b) = &r.paired {
                m.base_cold_ms.push(b.cold_start_ms.reported_ms());
                m.head_cold_ms.push(r.round.cold_start_ms.reported_ms());
            }
            m.log_ratios.push(d);
            m.base.push(pa);
            m.head.push(pb);
            secs_a += ta;
            secs_b += tb;
            m.seconds_per_side = (secs_a + secs_b) / 2.0;
            let n = m.log_ratios.len();
            m.pairing.rounds = n;
            let out_of_budget = secs_a.max(secs_b) >= c.budget_seconds;
            if is_look(n, c.min_rounds as usize, c.rounds as usize) || out_of_budget {
                let verdict = crate::compare::judge_measured(&m, &cfg.latency);
                if decisive(&verdict) || out_of_budget {
                    break;
                }
            }
        }
        Ok(m)
    }

    /// One round: both sessions in one worker, or two workers in lockstep.
    fn round(
        &self,
        req: &WorkerRequest,
        base_side: &PathSpec,
        across: bool,
    ) -> Result<RoundResult> {
        if !across {
            return spawn_round(&self.exe, req);
        }
        let mut base_req = req.clone();
        base_req.head = base_side.clone();
        crate::engine::lockstep::run_pair(&self.exe, &base_req, req)
    }
}

/// `Some(why)` when the two sides need two processes: their runtime libraries
/// differ (by content when both are hashed, else by path).
fn across_processes(
    base: &PathSpec,
    head: &PathSpec,
    b: &Baseline,
    h: &PathRecord,
) -> Option<String> {
    let canon = |p: &Path| crate::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let same = match (&b.runtime.sha256, &h.runtime.sha256) {
        (Some(x), Some(y)) => x == y,
        _ => canon(&base.library) == canon(&head.library),
    };
    (!same).then(|| {
        format!(
            "base on {} {} ({}), head on {} {} ({})",
            b.runtime.kind.as_str(),
            b.runtime.version,
            base.library.display(),
            h.runtime.kind.as_str(),
            h.runtime.version,
            head.library.display()
        )
    })
}

/// (log-ratio statistic, base p10, head p10, base seconds, head seconds) of a
/// paired round.
fn round_statistic(r: &RoundResult, q: f64) -> Result<(f64, f64, f64, f64, f64)> {
    let base = r
        .paired
        .as_ref()
        .ok_or_else(|| unavailable("the worker returned no paired samples"))?;
    let (a, b) = (&base.samples_ms, &r.round.samples_ms);
    let block = r.block.unwrap_or(1) as usize;
    let d = block_log_ratio(a, b, block)
        .ok_or_else(|| unavailable("a confirmation round took no whole block pair"))?;
    let p = |s: &[f64]| {
        let mut s = s.to_vec();
        s.sort_by(f64::total_cmp);
        crate::stats::quantile(&s, q).unwrap_or(f64::NAN)
    };
    let secs = |s: &[f64]| s.iter().sum::<f64>() / 1e3;
    Ok((d, p(a), p(b), secs(a), secs(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Provider;

    const SUITE: &str = "[[device]]\nname = \"cpu\"\nruntime = \"lib.so\"\n[[model]]\nname = \"m\"\nfile = \"models/m.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n";

    fn commit_all(repo: &git2::Repository) -> git2::Oid {
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &parents)
            .unwrap()
    }

    /// A repository whose committed suite has `suite_text` and model "v1"; the
    /// working tree then has model "v2" and `head_suite`.
    fn fixture(suite_text: &str, head_suite: &str) -> (tempfile::TempDir, git2::Oid, Suite) {
        let d = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(d.path()).unwrap();
        crate::fs::write_atomic(&d.path().join("edgeperf.toml"), suite_text.as_bytes()).unwrap();
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), b"v1").unwrap();
        crate::fs::write_atomic(&d.path().join("lib.so"), b"library").unwrap();
        let oid = commit_all(&repo);
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), b"v2").unwrap();
        crate::fs::write_atomic(&d.path().join("edgeperf.toml"), head_suite.as_bytes()).unwrap();
        let suite = crate::store::load_suite(&d.path().join("edgeperf.toml")).unwrap();
        (d, oid, suite)
    }

    fn baseline(model_sha: &str, commit: &str, dir: &Path) -> Baseline {
        let p = crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let run = crate::fixtures::run_record(vec![p.clone()], commit, true);
        let mut b = Baseline::from_path(&run, &p);
        b.model_sha256 = model_sha.to_string();
        b.runtime.library = dir.join("lib.so");
        b.runtime.sha256 = Some(crate::fs::sha256_bytes(b"library"));
        b
    }

    fn interleaver<'a>(suite: &'a Suite, dir: &Path) -> Interleaver<'a> {
        Interleaver {
            suite,
            exe: PathBuf::from("edgeperf"),
            base_tree: None,
            scratch: dir.join("scratch"),
            artifacts: Some(ArtifactStore {
                dir: dir.join("artifacts"),
                max_bytes: 1 << 20,
            }),
            progress: Box::new(|_| {}),
        }
    }

    fn path() -> PathRecord {
        crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None)
    }

    #[test]
    fn the_base_side_is_the_base_commits_device_model_and_library() {
        let base_suite = SUITE.replace("name = \"cpu\"\n", "name = \"cpu\"\nintra_threads = 2\n");
        let (d, oid, suite) = fixture(&base_suite, SUITE);
        let i = interleaver(&suite, d.path());
        let v1 = crate::fs::sha256_bytes(b"v1");
        let side = i
            .base_side(&path(), &baseline(&v1, &oid.to_string(), d.path()))
            .unwrap();
        assert_eq!(side.device.intra_threads, 2, "the base commit's threads");
        assert_eq!(suite.devices[0].intra_threads, 1);
        assert_eq!(crate::fs::read(&side.model.file).unwrap(), b"v1");
        assert_eq!(side.library, d.path().join("lib.so"));
    }

    #[test]
    fn an_untracked_base_model_is_found_by_its_hash_in_the_artifact_store() {
        // The suite names a model git never tracks (exported by the build).
        let untracked = SUITE.replace("models/m.onnx", "gen/m.onnx");
        let (d, oid, suite) = fixture(&untracked, &untracked);
        let i = interleaver(&suite, d.path());
        let old = d.path().join("old.onnx");
        crate::fs::write_atomic(&old, b"untracked base").unwrap();
        let sha = crate::fs::sha256_bytes(b"untracked base");
        let mut b = baseline(&sha, &oid.to_string(), d.path());
        let e = i.base_side(&path(), &b).unwrap_err().one_line();
        assert!(
            e.contains("base model not available") && e.contains("artifact store"),
            "{e}"
        );
        i.artifacts.as_ref().unwrap().put_model(&old, &sha).unwrap();
        let side = i.base_side(&path(), &b).unwrap();
        assert_eq!(
            crate::fs::read(&side.model.file).unwrap(),
            b"untracked base"
        );
        // A library that is gone and not stored: unavailable, naming it.
        b.runtime.sha256 = Some("f".repeat(64));
        let e = i.base_side(&path(), &b).unwrap_err().one_line();
        assert!(e.contains("base runtime library not available"), "{e}");
    }

    #[test]
    fn a_base_commit_that_is_not_here_is_a_reason_not_a_panic() {
        let (d, _, suite) = fixture(SUITE, &SUITE.replace("resize = 8", "resize = 9"));
        let i = interleaver(&suite, d.path());
        let e = i
            .base_side(&path(), &baseline("abc", &"9".repeat(40), d.path()))
            .unwrap_err()
            .one_line();
        assert!(
            e.contains("base suite not available") && e.contains("fetch-depth"),
            "{e}"
        );
    }

    #[test]
    fn an_lfs_pointer_at_the_base_commit_is_resolved_never_loaded() {
        let d = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(d.path()).unwrap();
        let real = b"the real model bytes";
        let oid = crate::fs::sha256_bytes(real);
        let pointer = format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
            real.len()
        );
        crate::fs::write_atomic(&d.path().join("edgeperf.toml"), SUITE.as_bytes()).unwrap();
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), pointer.as_bytes()).unwrap();
        crate::fs::write_atomic(&d.path().join("lib.so"), b"library").unwrap();
        let c = commit_all(&repo);
        let suite = crate::store::load_suite(&d.path().join("edgeperf.toml")).unwrap();
        let i = interleaver(&suite, d.path());
        let b = baseline(&oid, &c.to_string(), d.path());
        let e = i.base_side(&path(), &b).unwrap_err().one_line();
        assert!(
            e.contains("Git LFS pointer") && e.contains("git lfs fetch"),
            "{e}"
        );
        let obj = crate::store::lfs::object_path(repo.commondir(), &oid).unwrap();
        crate::fs::write_atomic(&obj, real).unwrap();
        let side = i.base_side(&path(), &b).unwrap();
        assert_eq!(crate::fs::read(&side.model.file).unwrap(), real);
    }

    #[test]
    fn a_head_model_that_changed_since_the_run_is_refused() {
        let (d, _, suite) = fixture(SUITE, SUITE);
        let i = interleaver(&suite, d.path());
        let e = i.head_side(&path()).unwrap_err().one_line();
        assert!(e.contains("changed since the run"), "{e}");
    }

    #[test]
    fn different_libraries_need_two_processes() {
        let (d, oid, suite) = fixture(SUITE, SUITE);
        let mut b = baseline("x", &oid.to_string(), d.path());
        let mut h = path();
        let spec = PathSpec {
            device: suite.devices[0].clone(),
            model: suite.models[0].clone(),
            library: d.path().join("lib.so"),
        };
        h.runtime.sha256 = b.runtime.sha256.clone();
        assert_eq!(across_processes(&spec, &spec, &b, &h), None);
        b.runtime.sha256 = Some("0".repeat(64));
        b.runtime.version = "1.24.1".into();
        let why = across_processes(&spec, &spec, &b, &h).unwrap();
        assert!(why.contains("1.24.1") && why.contains("1.31.1"), "{why}");
    }
}

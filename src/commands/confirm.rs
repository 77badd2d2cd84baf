//! Confirmation by interleaving: a path is re-measured on this machine with base
//! and head interleaved. Each confirmation round is a fresh worker process that
//! loads the base and the head model and times them in alternating blocks
//! (A B B A ...), so both the slow drift of the machine and the process-level state
//! (which moves latency by 30% or more between processes on a 2-core VM) hit both
//! sides alike; the verdict uses the per-process ratios. The base model is the one
//! of the base commit's suite, read through git2 without a checkout (the
//! merge-base for `--against`, else the baseline's own commit).

use std::path::PathBuf;

use crate::compare::Interleaved;
use crate::engine::measure::confirmation_sampling;
use crate::engine::run::path_spec;
use crate::engine::spawn::spawn_round;
use crate::engine::{PathSpec, WorkerRequest, WORKER_PROTOCOL};
use crate::error::{Error, Result};
use crate::record::baseline::Baseline;
use crate::record::PathRecord;
use crate::store::git::GitTree;
use crate::suite::{CompareConfig, Suite};

pub struct Interleaver<'a> {
    pub suite: &'a Suite,
    pub exe: PathBuf,
    /// The commit whose files make the base side; `None` = each baseline's commit.
    pub base_tree: Option<&'a GitTree>,
    /// Where extracted base files are cached (content-addressed).
    pub scratch: PathBuf,
    pub progress: Box<dyn FnMut(&str) + 'a>,
}

/// Why a path cannot be confirmed, as the reason shown to the user.
fn unavailable(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}

impl Interleaver<'_> {
    /// The base commit's suite: as the tree has it when git has the suite file,
    /// else the current one.
    fn base_suite(&self, tree: Option<&GitTree>) -> Result<Suite> {
        let Some(t) = tree else {
            return Ok(self.suite.clone());
        };
        let Some(rel) = t.relative(&self.suite.path) else {
            return Ok(self.suite.clone());
        };
        match t.read(&rel)? {
            Some(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let shown = PathBuf::from(format!("{}:{}", t.label, rel.display()));
                Suite::parse(&shown, &text, self.suite.dir())
            }
            None => Ok(self.suite.clone()),
        }
    }

    /// The base side of a path: the base suite's model, with its bytes from the
    /// working tree when they are the baseline's, else from the base commit.
    fn base_side(&self, path: &PathRecord, base: &Baseline, head: &PathSpec) -> Result<PathSpec> {
        let own;
        let tree = match self.base_tree {
            Some(t) => Some(t),
            None => {
                own = base
                    .git
                    .as_ref()
                    .and_then(|g| GitTree::at_commit(self.suite.dir(), &g.commit));
                own.as_ref()
            }
        };
        let suite = self.base_suite(tree)?;
        let model = suite
            .model(&path.model)
            .ok_or_else(|| unavailable("the base suite has no such path"))?;
        let device = suite
            .device(&path.device)
            .ok_or_else(|| unavailable("the base suite has no such path"))?;
        let mut side = head.clone();
        side.model = model.for_device(device)?;
        if crate::fs::sha256_file(&side.model.file).ok().as_deref()
            == Some(base.model_sha256.as_str())
        {
            return Ok(side);
        }
        let t = tree.ok_or_else(|| {
            unavailable(format!(
                "the baseline's model (sha256 {}) is not on disk and its commit is not in this repository",
                crate::compare::short_hash(&base.model_sha256)
            ))
        })?;
        let rel = t
            .relative(&side.model.file)
            .ok_or_else(|| unavailable("the model file is outside the repository"))?;
        let bytes = t.read(&rel)?.ok_or_else(|| {
            unavailable(format!("{} is not tracked at {}", rel.display(), t.label))
        })?;
        let sha = crate::fs::sha256_bytes(&bytes);
        let ext = side
            .model
            .file
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("onnx");
        let file = self.scratch.join(format!("model-{}.{ext}", &sha[..16]));
        if !crate::fs::exists(&file) {
            crate::fs::write_atomic(&file, &bytes)?;
        }
        side.model.file = file;
        Ok(side)
    }

    /// Re-measures a path: `confirm.rounds` worker processes, each timing the base
    /// and the head side in alternating blocks; one detection statistic per side
    /// and round.
    pub fn measure(
        &mut self,
        path: &PathRecord,
        base: &Baseline,
        cfg: &CompareConfig,
    ) -> Result<Interleaved> {
        let device = self
            .suite
            .device(&path.device)
            .ok_or_else(|| unavailable("the path's device is not in the current suite"))?;
        let model = self
            .suite
            .model(&path.model)
            .ok_or_else(|| unavailable("the path's model is not in the current suite"))?;
        let head = path_spec(device, model, None)?;
        let paired = self.base_side(path, base, &head)?;
        let k = cfg.confirm.rounds;
        let sampling = confirmation_sampling(&self.suite.sampling, k, cfg.confirm.budget_seconds);
        let q = cfg.latency.quantile;
        let stat = |samples: &[f64]| -> Result<(f64, f64)> {
            let mut s = samples.to_vec();
            let total = s.iter().sum::<f64>() / 1e3;
            s.sort_by(f64::total_cmp);
            let v = crate::stats::quantile(&s, q)
                .ok_or_else(|| unavailable("a confirmation round took no samples"))?;
            Ok((v, total))
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let (mut secs_a, mut secs_b) = (0.0, 0.0);
        for i in 0..k {
            (self.progress)(&format!(
                "confirming {}/{}: round {}/{k}",
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
                paired: Some(paired.clone()),
            };
            let r = spawn_round(&self.exe, &req)?;
            let base_round = r
                .paired
                .as_ref()
                .ok_or_else(|| unavailable("the worker returned no paired samples"))?;
            let (va, ta) = stat(&base_round.samples_ms)?;
            let (vb, tb) = stat(&r.round.samples_ms)?;
            a.push(va);
            b.push(vb);
            secs_a += ta;
            secs_b += tb;
        }
        Ok(Interleaved {
            base: a,
            head: b,
            seconds_per_side: (secs_a + secs_b) / 2.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Provider;
    use std::path::Path;

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

    /// A repository whose committed model is "v1" and whose working tree has "v2".
    fn fixture() -> (tempfile::TempDir, git2::Oid, Suite) {
        let d = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(d.path()).unwrap();
        crate::fs::write_atomic(&d.path().join("edgeperf.toml"), SUITE.as_bytes()).unwrap();
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), b"v1").unwrap();
        let oid = commit_all(&repo);
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), b"v2").unwrap();
        let suite = Suite::load(&d.path().join("edgeperf.toml")).unwrap();
        (d, oid, suite)
    }

    fn baseline(sha: &str, commit: &str) -> Baseline {
        let p = crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let run = crate::fixtures::run_record(vec![p.clone()], commit, true);
        let mut b = Baseline::from_path(&run, &p);
        b.model_sha256 = sha.to_string();
        b
    }

    fn interleaver<'a>(suite: &'a Suite, scratch: &Path) -> Interleaver<'a> {
        Interleaver {
            suite,
            exe: PathBuf::from("edgeperf"),
            base_tree: None,
            scratch: scratch.to_path_buf(),
            progress: Box::new(|_| {}),
        }
    }

    #[test]
    fn the_base_model_comes_from_the_baselines_commit_when_the_working_tree_changed() {
        let (d, oid, suite) = fixture();
        let i = interleaver(&suite, &d.path().join("scratch"));
        let head = path_spec(&suite.devices[0], &suite.models[0], None).unwrap();
        let p = crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let v1 = crate::fs::sha256_bytes(b"v1");
        let side = i
            .base_side(&p, &baseline(&v1, &oid.to_string()), &head)
            .unwrap();
        assert!(side.model.file.starts_with(d.path().join("scratch")));
        assert_eq!(crate::fs::read(&side.model.file).unwrap(), b"v1");
        // When the working tree holds the baseline's bytes, they are used as they are.
        let v2 = crate::fs::sha256_bytes(b"v2");
        let side = i
            .base_side(&p, &baseline(&v2, &oid.to_string()), &head)
            .unwrap();
        assert_eq!(side.model.file, suite.models[0].file);
    }

    #[test]
    fn a_base_model_that_cannot_be_found_is_a_reason_not_a_panic() {
        let (d, _, suite) = fixture();
        let i = interleaver(&suite, &d.path().join("scratch"));
        let head = path_spec(&suite.devices[0], &suite.models[0], None).unwrap();
        let p = crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        // A short hash and a commit that is not in the repository.
        let e = i
            .base_side(&p, &baseline("abc", &"9".repeat(40)), &head)
            .unwrap_err()
            .one_line();
        assert!(e.contains("sha256 abc") && e.contains("not on disk"), "{e}");
    }
}

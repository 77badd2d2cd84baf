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
        suite
            .device(&path.device)
            .ok_or_else(|| unavailable("the base suite has no such path"))?;
        let mut side = head.clone();
        side.model = model.clone();
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
        let file = self.scratch.join(format!("model-{}.onnx", &sha[..16]));
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

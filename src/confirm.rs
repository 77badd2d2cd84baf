//! Confirmation by interleaving: a suspected latency regression is re-measured on
//! this machine with base and head interleaved. Each confirmation round is a fresh
//! worker process that loads both the base and the head model and times them in
//! alternating blocks (A B B A ...), so both the slow drift of the machine and the
//! process-level state (which moves latency by 30% or more between processes on a
//! 2-core VM) hit both sides alike; the verdict uses the per-process ratios. The base
//! model is the one of the base commit's suite, read through git2 without a checkout
//! (the merge-base for `--against`, else the baseline's own commit).

use std::path::PathBuf;

use crate::baseline::Baseline;
use crate::compare::{CompareConfig, Confirmer};
use crate::config::{Sampling, Suite};
use crate::git::GitTree;
use crate::record::PathRecord;
use crate::runner::{spawn_round, RoundSpec};

pub struct Interleaver<'a> {
    pub suite: &'a Suite,
    pub exe: PathBuf,
    /// The commit whose files make the base side; `None` = each baseline's commit.
    pub base_tree: Option<&'a GitTree>,
    /// Where extracted base files are cached (content-addressed).
    pub scratch: PathBuf,
    pub progress: Box<dyn FnMut(&str) + 'a>,
}

struct BaseSide {
    suite: Suite,
    model_file: PathBuf,
}

impl<'a> Interleaver<'a> {
    fn base_side(&self, path: &PathRecord, base: &Baseline) -> Result<BaseSide, String> {
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
        let head_model = self
            .suite
            .model(&path.model)
            .ok_or("the path is not in the current suite")?;
        let suite_dir = self.suite.dir().to_path_buf();
        // The base suite (only to find the base model's file): as it was at the base
        // commit when git has it, else the current one.
        let mut side = BaseSide {
            suite: self.suite.clone(),
            model_file: head_model.file.clone(),
        };
        if let Some(t) = tree {
            if let Some(rel) = t.relative(&self.suite.path) {
                if let Ok(Some(bytes)) = t.read(&rel) {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let shown = PathBuf::from(format!("{}:{}", t.label, rel.display()));
                    let s = Suite::parse(&shown, &text, &suite_dir)
                        .map_err(|e| format!("base suite at {}: {}", t.label, e.one_line()))?;
                    if let Some(m) = s.model(&path.model) {
                        side.model_file = m.file.clone();
                    }
                    side.suite = s;
                }
            }
        }
        if side.suite.device(&path.device).is_none() || side.suite.model(&path.model).is_none() {
            return Err("the base suite has no such path".into());
        }
        // The base model bytes: the working-tree file when its hash is the baseline's,
        // else the file as the base commit has it.
        if crate::fs::sha256_file(&side.model_file).ok().as_deref()
            == Some(base.model_sha256.as_str())
        {
            return Ok(side);
        }
        let t = tree.ok_or_else(|| format!("the baseline's model (sha256 {}) is not on disk and its commit is not in this repository", &base.model_sha256[..12]))?;
        let rel = t
            .relative(&side.model_file)
            .ok_or("the model file is outside the repository")?;
        let bytes = t
            .read(&rel)
            .map_err(|e| e.one_line())?
            .ok_or_else(|| format!("{} is not tracked at {}", rel.display(), t.label))?;
        let sha = crate::fs::sha256_bytes(&bytes);
        let file = self.scratch.join(format!("model-{}.onnx", &sha[..16]));
        if !file.exists() {
            crate::fs::write_atomic(&file, &bytes).map_err(|e| e.one_line())?;
        }
        side.model_file = file;
        Ok(side)
    }
}

impl Confirmer for Interleaver<'_> {
    fn confirm(
        &mut self,
        path: &PathRecord,
        base: &Baseline,
        cfg: &CompareConfig,
    ) -> Result<(Vec<f64>, Vec<f64>, f64), String> {
        let side = self.base_side(path, base)?;
        let device = self
            .suite
            .device(&path.device)
            .ok_or("the path's device is not in the current suite")?;
        let model = self
            .suite
            .model(&path.model)
            .ok_or("the path's model is not in the current suite")?;
        let k = cfg.confirm.rounds;
        let sampling = Sampling {
            warmup: self.suite.sampling.warmup,
            samples: 1_000_000,
            rounds: k,
            max_seconds: cfg.confirm.budget_seconds,
            min_samples: self.suite.sampling.min_samples,
        };
        let q = cfg.latency.quantile;
        let stat = |samples: &[f64]| -> Result<(f64, f64), String> {
            let mut s = samples.to_vec();
            let total = s.iter().sum::<f64>() / 1e3;
            s.sort_by(f64::total_cmp);
            Ok((
                crate::stats::quantile(&s, q).ok_or("a round took no samples")?,
                total,
            ))
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
            let spec = RoundSpec {
                round: i,
                accuracy: false,
                sampling: sampling.clone(),
                model_file: None,
                runtime: None,
                paired_with: Some(side.model_file.clone()),
            };
            let r = spawn_round(&self.exe, self.suite, device, model, &spec)
                .map_err(|e| e.one_line())?;
            let paired = r
                .paired
                .as_ref()
                .ok_or("the worker returned no paired samples")?;
            let (va, ta) = stat(&paired.samples_ms)?;
            let (vb, tb) = stat(&r.round.samples_ms)?;
            a.push(va);
            b.push(vb);
            secs_a += ta;
            secs_b += tb;
        }
        Ok((a, b, (secs_a + secs_b) / 2.0))
    }
}

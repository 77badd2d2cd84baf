//! A replay: the two sides of a path (files the store found: a previous
//! baseline's commit, any commit's suite and model bytes, a build of it) measured
//! interleaved on this machine exactly as a pull request's confirmation is, and
//! reduced to a [`PairedChange`].
//!
//! The one place a paired measurement of two commits goes through (`baseline
//! pair` on main, `bisect`, `backfill`): it calls the confirmation as a library
//! ([`super::confirm::measure_pair`]) and its judgement
//! ([`crate::compare::judge_measured`]), and maps the verdict into the history's
//! words ([`PairedVerdict`]). When the confirmation's rule changes, this
//! function is what follows it.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::confirm::{measure_pair, Sides};
use crate::compare::Verdict;
use crate::engine::PathSpec;
use crate::error::Result;
use crate::record::paired::{PairedChange, PairedVerdict};
use crate::store::base_side::SideFiles;
use crate::suite::{CompareConfig, Dataset};

/// Measures pairs of sides with this executable as the worker.
pub struct Replayer<'a> {
    exe: PathBuf,
    dataset: Option<Dataset>,
    /// Told what is being measured ("replaying cpu/m 1a2b3c..4d5e6f: round 3").
    progress: Box<dyn FnMut(&str) + 'a>,
}

fn spec(f: &SideFiles) -> PathSpec {
    PathSpec {
        device: f.device.clone(),
        model: f.model.clone(),
        library: f.library.clone(),
    }
}

/// The history's word for a confirmation verdict.
fn paired_verdict(v: Verdict) -> PairedVerdict {
    match v {
        Verdict::Regressed => PairedVerdict::Regressed,
        Verdict::Improved => PairedVerdict::Improved,
        // Byte-identical inputs are never replayed; said here for the match.
        Verdict::Unchanged | Verdict::Identical => PairedVerdict::Unchanged,
        Verdict::Inconclusive | Verdict::NotConfirmed => PairedVerdict::Inconclusive,
    }
}

impl<'a> Replayer<'a> {
    /// A replayer timing on the dataset's first photo (the suite's dataset, as
    /// a confirmation does); its progress ("replaying ...: round N") is one
    /// line rewritten in place on a terminal, nothing otherwise.
    pub fn new(dataset: Option<Dataset>) -> Result<Self> {
        let interactive = std::io::stderr().is_terminal();
        Ok(Replayer {
            exe: crate::engine::run::current_exe()?,
            dataset,
            progress: Box::new(move |m: &str| {
                if interactive {
                    eprint!("\r\x1b[2K{m}");
                }
            }),
        })
    }

    /// `base` against `head`, interleaved, under the path's rule `cfg` (the
    /// suite's `[compare]` with the path's overrides). One worker process
    /// holds both sessions when their runtime libraries are the same file by
    /// content; two in lockstep otherwise. A failing worker or Ctrl-C is an
    /// error (the caller decides what a failure means for its search).
    pub fn replay(
        &mut self,
        label: &str,
        base: &SideFiles,
        head: &SideFiles,
        cfg: &CompareConfig,
    ) -> Result<PairedChange> {
        let mut sides = Sides {
            base: spec(base),
            head: spec(head),
            across: None,
        };
        let hash = |p: &std::path::Path| crate::fs::sha256_file(p).ok();
        if base.library == head.library || hash(&base.library) == hash(&head.library) {
            sides.base.library = head.library.clone();
        } else {
            sides.across = Some(format!(
                "base on {}, head on {}",
                base.library.display(),
                head.library.display()
            ));
        }
        let progress = &mut self.progress;
        let m = measure_pair(&self.exe, &sides, self.dataset.as_ref(), cfg, &mut |i| {
            progress(&format!("replaying {label}: round {i}"))
        })?;
        let c = crate::compare::judge_measured(&m.interleaved, cfg);
        let finite = |x: f64| x.is_finite().then_some(x);
        Ok(PairedChange {
            change: finite(c.change),
            ci: (c.ci[0].is_finite() && c.ci[1].is_finite()).then_some(c.ci),
            verdict: paired_verdict(c.verdict),
            rounds: m.interleaved.pairing.rounds,
            seconds_per_side: m.interleaved.seconds_per_side,
        })
    }
}

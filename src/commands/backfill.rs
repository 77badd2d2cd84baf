//! `edgeperf backfill A..B [--build CMD]`: baselines for past commits. Each
//! first-parent commit after A up to B, oldest first, is measured as `edgeperf
//! run` would have measured it (its own suite and model bytes, from git, the
//! artifact store or the build command), replayed interleaved against the
//! nearest earlier commit that has a history line for the path, and accepted
//! with that paired change: the history gets the commits in commit order,
//! chained.
//!
//! **Resumable.** A progress file under `.edgeperf/backfill/` names the commits
//! done; after Ctrl-C or a crash the same command goes on from the first commit
//! not done. A commit interrupted half-way is measured again; its history line
//! replaces any line of the same commit (one line per commit), so nothing is
//! ever duplicated.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::confirm::EngineLibraries;
use super::replay::Replayer;
use crate::error::{Error, Result, EXIT_OK};
use crate::record::paired::{PairedChange, PairedStep};
use crate::record::{GitInfo, RunRecord};
use crate::store::artifacts::ArtifactStore;
use crate::store::base_side::Side;
use crate::store::commit_side::CommitSides;
use crate::store::git::CommitInfo;
use crate::suite::Suite;

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// The commits after A up to B on B's first-parent chain (git's A..B).
    #[arg(value_name = "A..B")]
    pub range: String,
    /// A command (`sh -c` in a temporary worktree of each commit) that makes
    /// the suite's model files when they are build artifacts.
    #[arg(long, value_name = "CMD")]
    pub build: Option<String>,
    /// Only this device (repeatable) [default: the suite's default devices].
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// Only this model (repeatable).
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// The baselines folder the history lines go into.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// The suite as it is now (thresholds, where relative paths resolve).
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
}

/// What the loop needs measured; a fake in the tests.
pub trait Measurer {
    /// A complete run record of the selected paths at commit `c`, or why it
    /// cannot be had (the commit is then skipped).
    fn run_at(&mut self, c: &CommitInfo) -> Result<std::result::Result<RunRecord, String>>;
    /// `base` replayed against `head` for `device`/`model`, or why not.
    fn replay(
        &mut self,
        base: &str,
        head: &str,
        device: &str,
        model: &str,
    ) -> Result<std::result::Result<PairedChange, String>>;
}

/// The progress file: which commits of the range are done.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    pub schema_version: u32,
    pub from: String,
    pub to: String,
    pub done: Vec<String>,
}

/// What a backfill did.
#[derive(Debug, Default, PartialEq)]
pub struct Backfilled {
    /// Commits measured and accepted now.
    pub accepted: Vec<String>,
    /// Commits done before (a resumed backfill).
    pub already: usize,
    /// Commits that could not be measured, and why.
    pub skipped: Vec<(String, String)>,
}

/// The nearest commit before position `i` of `commits` (or `from`) that has a
/// history line for `device`/`model`.
fn previous_line(
    baselines: &Path,
    from: &str,
    commits: &[CommitInfo],
    i: usize,
    device: &str,
    model: &str,
) -> Result<Option<String>> {
    let (entries, _) = crate::store::baselines::load_history(baselines, device, model)?;
    let has = |c: &str| entries.iter().any(|e| e.commit.as_deref() == Some(c));
    Ok(commits[..i]
        .iter()
        .rev()
        .map(|c| c.commit.as_str())
        .chain(std::iter::once(from))
        .find(|c| has(c))
        .map(str::to_string))
}

/// Measures, pairs and accepts each commit of `commits` (after `from`) not yet
/// in `progress_file`, saving it after every commit. `log` hears one line per
/// commit.
pub fn backfill(
    from: &str,
    commits: &[CommitInfo],
    baselines: &Path,
    progress_file: &Path,
    m: &mut dyn Measurer,
    log: &mut dyn FnMut(&str),
) -> Result<Backfilled> {
    let to = commits.last().map(|c| c.commit.clone()).unwrap_or_default();
    let mut progress = match crate::fs::read_if_exists(progress_file)? {
        Some(bytes) => crate::record::parse_json::<Progress>(progress_file, &bytes)?,
        None => Progress::default(),
    };
    if progress.from != from || progress.to != to {
        progress = Progress {
            schema_version: 1,
            from: from.to_string(),
            to: to.clone(),
            done: Vec::new(),
        };
    }
    let mut out = Backfilled::default();
    for (i, c) in commits.iter().enumerate() {
        if progress.done.contains(&c.commit) {
            out.already += 1;
            continue;
        }
        let run = match m.run_at(c)? {
            Ok(r) => r,
            Err(why) => {
                log(&format!("{} skipped: {why}", &c.commit[..10]));
                out.skipped.push((c.commit.clone(), why));
                progress.done.push(c.commit.clone());
                crate::store::write_json(progress_file, &progress)?;
                continue;
            }
        };
        let steps = pair_paths(from, commits, i, &run, baselines, m, log)?;
        let shown = PathBuf::from(format!("backfill of {}", &c.commit[..10]));
        crate::store::baselines::accept_with(baselines, &shown, &run, &|d, mo, e| {
            e.paired = steps
                .iter()
                .find(|((sd, sm), _)| sd == d && sm == mo)
                .and_then(|(_, s)| s.clone());
        })?;
        out.accepted.push(c.commit.clone());
        progress.done.push(c.commit.clone());
        crate::store::write_json(progress_file, &progress)?;
    }
    Ok(out)
}

/// A path (device, model) and the paired step its history line keeps.
type PathStep = ((String, String), Option<PairedStep>);

/// Each path of `run` (commit `commits[i]`) replayed against its previous
/// history line: the paired step its line keeps (`None`: the first of its
/// path, or not paired, which `log` hears with the reason).
fn pair_paths(
    from: &str,
    commits: &[CommitInfo],
    i: usize,
    run: &RunRecord,
    baselines: &Path,
    m: &mut dyn Measurer,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<PathStep>> {
    let c = &commits[i];
    let mut steps = Vec::new();
    for p in &run.paths {
        let prev = previous_line(baselines, from, commits, i, &p.device, &p.model)?;
        let step = match &prev {
            Some(b) => match m.replay(b, &c.commit, &p.device, &p.model)? {
                Ok(change) => Some(PairedStep {
                    base: b.clone(),
                    change,
                }),
                Err(why) => {
                    log(&format!(
                        "{} {}/{} not paired: {why}",
                        &c.commit[..10],
                        p.device,
                        p.model
                    ));
                    None
                }
            },
            None => None,
        };
        let words = step
            .as_ref()
            .map(|s| {
                format!(
                    "paired {}",
                    crate::report::paired::change_with_interval(&s.change)
                )
            })
            .unwrap_or_else(|| "not paired".into());
        log(&format!(
            "{} {}/{}: p50 {:.2} ms (absolute), {words}",
            &c.commit[..10],
            p.device,
            p.model,
            p.latency_ms.p50
        ));
        steps.push(((p.device.clone(), p.model.clone()), step));
    }
    Ok(steps)
}

/// The real measurements: runs and replays of commits of the suite's repository.
struct Commits<'a> {
    sides: &'a CommitSides<'a>,
    replayer: Replayer<'a>,
    suite: &'a Suite,
    devices: Vec<String>,
    models: Vec<String>,
    artifacts: Option<ArtifactStore>,
}

impl Measurer for Commits<'_> {
    fn run_at(&mut self, c: &CommitInfo) -> Result<std::result::Result<RunRecord, String>> {
        let suite = match self.sides.suite_at(&c.commit)? {
            Ok(s) => s,
            Err(why) => return Ok(Err(why)),
        };
        let selected = match suite.select(&self.devices, &self.models) {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => return Ok(Err("no path selected in that commit's suite".into())),
            Err(e) => return Ok(Err(e.one_line())),
        };
        let mut files = Vec::new();
        for (d, m) in &selected {
            match self
                .sides
                .side(&c.commit, &d.name, &m.name, &EngineLibraries)?
            {
                Side::Available(f) => files.push(*f),
                Side::Unavailable(u) => return Ok(Err(u.to_string())),
            }
        }
        let paths: Vec<_> = files.iter().map(|f| (&f.device, &f.model)).collect();
        let interactive = std::io::stderr().is_terminal();
        let mut progress = |_: usize, _: usize, label: &str| {
            if interactive {
                eprint!("\r\x1b[2K{} {label}", &c.commit[..10]);
            }
        };
        let mut record = match crate::engine::run::run_suite(
            &suite,
            &paths,
            &suite.sampling,
            None,
            &mut progress,
            &mut |_| Ok(()),
        ) {
            Ok(r) => r,
            Err(e @ Error::Interrupted { .. }) => return Err(e),
            Err(e) => return Ok(Err(e.one_line())),
        };
        if interactive {
            eprint!("\r\x1b[2K");
        }
        record.environment.git = Some(GitInfo {
            commit: c.commit.clone(),
            branch: None,
            dirty: false,
            committed_at: c.committed_at,
        });
        if let Some(store) = &self.artifacts {
            for w in crate::store::artifacts::keep_run(store, &record) {
                eprintln!("warning: artifact store {}: {w}", store.dir.display());
            }
        }
        Ok(Ok(record))
    }

    fn replay(
        &mut self,
        base: &str,
        head: &str,
        device: &str,
        model: &str,
    ) -> Result<std::result::Result<PairedChange, String>> {
        let side = |c: &str| -> Result<std::result::Result<_, String>> {
            Ok(match self.sides.side(c, device, model, &EngineLibraries)? {
                Side::Available(f) => Ok(*f),
                Side::Unavailable(u) => Err(u.to_string()),
            })
        };
        let (b, h) = match (side(base)?, side(head)?) {
            (Ok(b), Ok(h)) => (b, h),
            (Err(why), _) | (_, Err(why)) => return Ok(Err(why)),
        };
        let cfg = crate::compare::rule_for(&self.suite.compare, device, model);
        let label = format!("{device}/{model} {}..{}", &base[..10], &head[..10]);
        match self.replayer.replay(&label, &b, &h, &cfg) {
            Ok(c) => Ok(Ok(c)),
            Err(e @ Error::Interrupted { .. }) => Err(e),
            Err(e) => Ok(Err(e.one_line())),
        }
    }
}

/// Where the progress of backfilling `from..to` into `baselines` is kept.
fn progress_file(suite: &Suite, from: &str, to: &str, a: &BackfillArgs) -> PathBuf {
    let key = format!(
        "{from}..{to} {} {:?} {:?}",
        a.baselines.display(),
        a.devices,
        a.models
    );
    let sha = crate::fs::sha256_bytes(key.as_bytes());
    suite.dir().join(".edgeperf").join("backfill").join(format!(
        "{}..{}-{}.json",
        &from[..10],
        &to[..10],
        &sha[..12]
    ))
}

pub fn run(a: BackfillArgs) -> Result<i32> {
    let Some((from, to)) = a
        .range
        .split_once("..")
        .filter(|(f, t)| !f.is_empty() && !t.is_empty() && !t.starts_with('.'))
    else {
        return Err(Error::argument(
            "A..B",
            format!("{:?} is not a range A..B", a.range),
        ));
    };
    let suite = crate::store::load_suite(&a.suite)?;
    let dir = suite.dir();
    let from = crate::store::git::resolve(dir, from, "A")?;
    let to = crate::store::git::resolve(dir, to, "B")?;
    let commits = crate::store::git::first_parent_range(dir, &from.commit, &to.commit)?;
    let mut sides = CommitSides::new(
        &suite,
        dir.join(".edgeperf").join("backfill").join("files"),
        ArtifactStore::from_env(),
        a.build.clone(),
    )?;
    for (d, m) in crate::store::baselines::paths_in(&a.baselines).unwrap_or_default() {
        super::bisect::know_history(&mut sides, &a.baselines, &d, &m);
    }
    let mut measurer = Commits {
        sides: &sides,
        replayer: Replayer::new(suite.dataset.clone())?,
        suite: &suite,
        devices: a.devices.clone(),
        models: a.models.clone(),
        artifacts: ArtifactStore::from_env(),
    };
    let progress = progress_file(&suite, &from.commit, &to.commit, &a);
    let done = backfill(
        &from.commit,
        &commits,
        &a.baselines,
        &progress,
        &mut measurer,
        &mut |line| eprintln!("{}backfill: {line}", super::output::clear_progress()),
    )
    .map_err(|e| match e {
        Error::Interrupted { signal, message } => Error::Interrupted {
            signal,
            message: format!(
                "{message}; run the same command again to go on ({} keeps the commits done)",
                progress.display()
            ),
        },
        e => e,
    })?;
    eprintln!(
        "backfill {}..{}: {} commit{} accepted, {} done before, {} skipped",
        &from.commit[..10],
        &to.commit[..10],
        done.accepted.len(),
        if done.accepted.len() == 1 { "" } else { "s" },
        done.already,
        done.skipped.len()
    );
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{at, fake_commit, path_record, run_record, synth_rounds};
    use crate::record::paired::PairedVerdict;
    use crate::suite::Provider;

    /// A fake machine: commit `k` runs at 9 ms; every replay says +0.2%;
    /// `stop_at` (a commit index) is interrupted, `broken` cannot be built.
    struct Fake {
        stop_at: Option<usize>,
        broken: Vec<usize>,
        runs: Vec<usize>,
        replays: Vec<(String, String)>,
    }

    fn fake() -> Fake {
        Fake {
            stop_at: None,
            broken: Vec::new(),
            runs: Vec::new(),
            replays: Vec::new(),
        }
    }

    fn index(commit: &str) -> usize {
        (0..100).find(|k| fake_commit(*k) == commit).unwrap()
    }

    impl Measurer for Fake {
        fn run_at(&mut self, c: &CommitInfo) -> Result<std::result::Result<RunRecord, String>> {
            let k = index(&c.commit);
            if self.stop_at == Some(k) {
                return Err(Error::Interrupted {
                    signal: 2,
                    message: "interrupted by SIGINT".into(),
                });
            }
            if self.broken.contains(&k) {
                return Ok(Err("--build failed (exit status: 1)".into()));
            }
            self.runs.push(k);
            let p = path_record("cpu", "m", Provider::Cpu, &synth_rounds(9.0, 2, 20), None);
            let mut r = run_record(vec![p], &c.commit, true);
            r.environment.git.as_mut().unwrap().committed_at = c.committed_at;
            Ok(Ok(r))
        }
        fn replay(
            &mut self,
            base: &str,
            head: &str,
            _: &str,
            _: &str,
        ) -> Result<std::result::Result<PairedChange, String>> {
            self.replays.push((base.to_string(), head.to_string()));
            Ok(Ok(PairedChange {
                change: Some(0.002),
                ci: Some([-0.004, 0.008]),
                verdict: PairedVerdict::Unchanged,
                rounds: 6,
                seconds_per_side: 3.6,
            }))
        }
    }

    /// Commits 1..=n after commit 0, a minute apart.
    fn commits(n: usize) -> Vec<CommitInfo> {
        (1..=n)
            .map(|k| CommitInfo {
                commit: fake_commit(k),
                subject: format!("commit {k}"),
                committed_at: Some(at(k as i64 * 60)),
            })
            .collect()
    }

    fn lines(dir: &Path) -> Vec<crate::record::baseline::HistoryEntry> {
        crate::store::baselines::load_history(dir, "cpu", "m")
            .unwrap()
            .0
    }

    #[test]
    fn a_backfill_interrupted_after_four_commits_resumes_to_eight_entries_none_twice() {
        let d = tempfile::tempdir().unwrap();
        let (dir, progress) = (d.path().join("baselines"), d.path().join("p/progress.json"));
        let cs = commits(8);
        let from = fake_commit(0);
        let mut f = fake();
        f.stop_at = Some(5);
        let e = backfill(&from, &cs, &dir, &progress, &mut f, &mut |_| ()).unwrap_err();
        assert!(matches!(e, Error::Interrupted { .. }), "{e:?}");
        assert_eq!(f.runs, vec![1, 2, 3, 4]);
        assert_eq!(lines(&dir).len(), 4);
        // A crash after commit 4 was accepted but before the progress said so:
        // it is measured again, and its line replaced, not added.
        let mut p: Progress = serde_json::from_slice(&crate::fs::read(&progress).unwrap()).unwrap();
        assert_eq!(p.done.len(), 4);
        p.done.pop();
        crate::store::write_json(&progress, &p).unwrap();
        let mut f = fake();
        let done = backfill(&from, &cs, &dir, &progress, &mut f, &mut |_| ()).unwrap();
        assert_eq!((done.already, done.accepted.len()), (3, 5));
        assert_eq!(f.runs, vec![4, 5, 6, 7, 8]);
        let h = lines(&dir);
        let got: Vec<String> = h.iter().map(|e| e.commit.clone().unwrap()).collect();
        let want: Vec<String> = (1..=8).map(fake_commit).collect();
        assert_eq!(got, want, "8 entries in commit order, none twice");
        // Each paired with its neighbour; the first has nothing before it.
        assert!(h[0].paired.is_none());
        for (k, e) in h.iter().enumerate().skip(1) {
            assert_eq!(e.paired.as_ref().unwrap().base, fake_commit(k), "entry {k}");
        }
        // Done: a third run measures nothing.
        let mut f = fake();
        let done = backfill(&from, &cs, &dir, &progress, &mut f, &mut |_| ()).unwrap();
        assert_eq!((done.already, f.runs.len()), (8, 0));
        assert_eq!(lines(&dir).len(), 8);
    }

    #[test]
    fn a_commit_that_cannot_be_built_is_skipped_and_the_next_pairs_across_it() {
        let d = tempfile::tempdir().unwrap();
        let (dir, progress) = (d.path().join("baselines"), d.path().join("progress.json"));
        let mut f = fake();
        f.broken = vec![2];
        let mut log = Vec::new();
        let done = backfill(
            &fake_commit(0),
            &commits(3),
            &dir,
            &progress,
            &mut f,
            &mut |l| log.push(l.to_string()),
        )
        .unwrap();
        assert_eq!(done.skipped.len(), 1);
        assert!(
            log.iter().any(|l| l.contains("skipped: --build failed")),
            "{log:?}"
        );
        let h = lines(&dir);
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].paired.as_ref().unwrap().base, fake_commit(1));
        assert_eq!(f.replays, vec![(fake_commit(1), fake_commit(3))]);
    }

    #[test]
    fn the_first_commit_pairs_against_a_when_a_has_a_line() {
        let d = tempfile::tempdir().unwrap();
        let (dir, progress) = (d.path().join("baselines"), d.path().join("progress.json"));
        let mut f = fake();
        let a = CommitInfo {
            commit: fake_commit(0),
            subject: "a".into(),
            committed_at: Some(at(0)),
        };
        let run = f.run_at(&a).unwrap().unwrap();
        crate::store::baselines::accept(&dir, Path::new("a.json"), &run).unwrap();
        backfill(
            &fake_commit(0),
            &commits(2),
            &dir,
            &progress,
            &mut f,
            &mut |_| (),
        )
        .unwrap();
        let h = lines(&dir);
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].paired.as_ref().unwrap().base, fake_commit(0));
    }
}

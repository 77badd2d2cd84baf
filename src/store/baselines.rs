//! Baselines stored in the repository: `baselines/<device>/<model>.json` (the
//! accepted measurement of one path) and `<model>.history.jsonl` beside it (one line
//! per accepted baseline, so history works in a shallow CI checkout). Read from a
//! directory or, for `--against REF`, from a commit through git2.
//!
//! Writes are atomic (unique temp file + rename) and `accept` holds an exclusive
//! advisory lock on `<dir>/.edgeperf.lock` while it reads, appends and rewrites the
//! history, so concurrent accepts into one directory never lose an entry.

use std::path::{Path, PathBuf};

use super::git::GitTree;
use crate::error::{Error, Result};
use crate::record::baseline::{insert_history_line, parse_history, Baseline, HistoryEntry};
use crate::record::RunRecord;

/// Where a path's files live under a baselines directory.
pub fn baseline_file(dir: &Path, device: &str, model: &str) -> PathBuf {
    dir.join(device).join(format!("{model}.json"))
}

pub fn history_file(dir: &Path, device: &str, model: &str) -> PathBuf {
    dir.join(device).join(format!("{model}.history.jsonl"))
}

/// The lock file `accept` holds while it writes.
pub fn lock_file(dir: &Path) -> PathBuf {
    dir.join(".edgeperf.lock")
}

/// Where baselines come from.
pub enum Source {
    /// A directory on disk (default `baselines/`).
    Dir(PathBuf),
    /// The baselines directory as it is at a commit (`--against REF`).
    Git { tree: GitTree, dir_rel: PathBuf },
}

impl Source {
    pub fn label(&self) -> String {
        match self {
            Source::Dir(d) => d.display().to_string(),
            Source::Git { tree, dir_rel } => format!("{} at {}", dir_rel.display(), tree.label),
        }
    }

    /// The commit the baselines are read at, if they come from git.
    pub fn tree(&self) -> Option<&GitTree> {
        match self {
            Source::Git { tree, .. } => Some(tree),
            Source::Dir(_) => None,
        }
    }

    /// A path's baseline, `Ok(None)` when the source has none for it.
    pub fn load(&self, device: &str, model: &str) -> Result<Option<Baseline>> {
        match self {
            Source::Dir(d) => load(d, device, model),
            Source::Git { tree, dir_rel } => {
                let rel = baseline_file(dir_rel, device, model);
                match tree.read(&rel)? {
                    Some(bytes) => Baseline::parse(&tree.shown(&rel), &bytes).map(Some),
                    None => Ok(None),
                }
            }
        }
    }
}

/// Loads a path's baseline; `Ok(None)` when the path has none yet.
pub fn load(dir: &Path, device: &str, model: &str) -> Result<Option<Baseline>> {
    let f = baseline_file(dir, device, model);
    match crate::fs::read_if_exists(&f)? {
        Some(bytes) => Baseline::parse(&f, &bytes).map(Some),
        None => Ok(None),
    }
}

/// A path's history and the warnings of reading it (a skipped incomplete last line).
pub fn load_history(
    dir: &Path,
    device: &str,
    model: &str,
) -> Result<(Vec<HistoryEntry>, Vec<String>)> {
    let f = history_file(dir, device, model);
    match crate::fs::read_if_exists(&f)? {
        Some(bytes) => parse_history(&f, &String::from_utf8_lossy(&bytes)),
        None => Ok((Vec::new(), Vec::new())),
    }
}

/// Lists (device, model) pairs that have a history file under `dir`, sorted.
pub fn paths_in(dir: &Path) -> Result<Vec<(String, String)>> {
    let devices = match crate::fs::list_dir(dir) {
        Ok(d) => d,
        Err(e) if e.is_not_found() => {
            return Err(Error::io_with_fix(
                e,
                "no baselines folder: accept a run first, edgeperf baseline accept RUN.json",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for d in devices.iter().filter(|d| d.is_dir) {
        for f in crate::fs::list_dir(&d.path)? {
            if let Some(model) = f.name.strip_suffix(".history.jsonl") {
                out.push((d.name.clone(), model.to_string()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What [`accept`] did.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Every file written.
    pub written: Vec<PathBuf>,
    /// Paths whose baseline stayed: it measured a commit made after the run's
    /// (device, model, that commit); the run only went into the history.
    pub kept_newer: Vec<(String, String, String)>,
}

/// Accepts every path of a run as the new baseline: writes `<model>.json`
/// atomically and adds the history line (the file rewritten atomically as a
/// whole), under the directory's lock. A path whose baseline measured a later
/// commit (committer date) keeps it and gets the history line at its place in
/// commit order: the run of an older commit that lands last never wins.
/// Device and model names are checked first by the suite's name rules, so no
/// record writes outside `dir`. The run file's path names it in errors.
pub fn accept(dir: &Path, run_file: &Path, run: &RunRecord) -> Result<Accepted> {
    accept_with(dir, run_file, run, &|_, _, _| ())
}

/// [`accept`], each path's history line first handed to `amend` (device,
/// model, line) to add what came with the run: its paired change (`baseline
/// accept --paired`) and brief explanation (`--explanations`). A commit's
/// line replaces an earlier line of the same commit when the run's checkout
/// was clean (one line per commit).
pub fn accept_with(
    dir: &Path,
    run_file: &Path,
    run: &RunRecord,
    amend: &dyn Fn(&str, &str, &mut HistoryEntry),
) -> Result<Accepted> {
    if !run.complete {
        return Err(Error::document(
            run_file,
            "the run record is incomplete (its run was interrupted); run again before accepting it",
        ));
    }
    crate::record::check_path_names(run_file, run.path_names())?;
    crate::fs::create_dir_all(dir)?;
    let _lock = crate::fs::lock_exclusive(&lock_file(dir))?;
    // Read and check everything first so a bad file stops the accept before any write.
    let mut plans = Vec::new();
    for p in &run.paths {
        let b = Baseline::from_path(run, p);
        let newer = load(dir, &p.device, &p.model)?.filter(
            |old| matches!((old.committed_at(), b.committed_at()), (Some(o), Some(n)) if o > n),
        );
        let hf = history_file(dir, &p.device, &p.model);
        let existing = match crate::fs::read_if_exists(&hf)? {
            Some(bytes) => {
                let t = String::from_utf8_lossy(&bytes).into_owned();
                parse_history(&hf, &t)?;
                t
            }
            None => String::new(),
        };
        let mut entry = b.history_entry();
        amend(&p.device, &p.model, &mut entry);
        let clean = run.environment.git.as_ref().is_some_and(|g| !g.dirty);
        let history = insert_history_line(&existing, &entry, clean)?;
        plans.push((b, newer, hf, history));
    }
    let mut done = Accepted::default();
    for (b, newer, hf, history) in plans {
        match newer.and_then(|n| n.git) {
            Some(g) => done
                .kept_newer
                .push((b.device.clone(), b.model.clone(), g.commit)),
            None => {
                let bf = baseline_file(dir, &b.device, &b.model);
                crate::fs::write_atomic(&bf, crate::record::to_json_pretty(&b)?.as_bytes())?;
                done.written.push(bf);
            }
        }
        crate::fs::write_atomic(&hf, history.as_bytes())?;
        done.written.push(hf);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::suite::Provider;

    fn run(level: f64, commit: &str) -> RunRecord {
        let p = fixtures::path_record(
            "cpu",
            "m",
            Provider::Cpu,
            &fixtures::synth_rounds(level, 2, 30),
            None,
        );
        fixtures::run_record(vec![p], commit, true)
    }

    #[test]
    fn accept_writes_the_baseline_and_appends_history() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("baselines");
        let files = accept(&dir, Path::new("r1.json"), &run(9.0, fixtures::BASE_COMMIT)).unwrap();
        assert_eq!(files.written.len(), 2);
        accept(&dir, Path::new("r2.json"), &run(9.5, fixtures::HEAD_COMMIT)).unwrap();
        let b = load(&dir, "cpu", "m").unwrap().unwrap();
        assert_eq!(b.git.unwrap().commit, fixtures::HEAD_COMMIT);
        let (h, w) = load_history(&dir, "cpu", "m").unwrap();
        assert_eq!((h.len(), w.len()), (2, 0));
        assert_eq!(paths_in(&dir).unwrap(), vec![("cpu".into(), "m".into())]);
        assert!(load(&dir, "cpu", "other").unwrap().is_none());
        assert!(load_history(&dir, "gpu", "m").unwrap().0.is_empty());
    }

    #[test]
    fn accept_refuses_an_incomplete_run_and_a_broken_history_before_writing() {
        let d = tempfile::tempdir().unwrap();
        let mut r = run(9.0, fixtures::HEAD_COMMIT);
        r.complete = false;
        let e = accept(d.path(), Path::new("r.json"), &r)
            .unwrap_err()
            .one_line();
        assert!(e.starts_with("r.json: ") && e.contains("incomplete"), "{e}");
        let hf = history_file(d.path(), "cpu", "m");
        crate::fs::write_atomic(&hf, b"garbage\n{}\n").unwrap();
        let e = accept(
            d.path(),
            Path::new("r.json"),
            &run(9.0, fixtures::HEAD_COMMIT),
        )
        .unwrap_err()
        .one_line();
        assert!(e.contains("m.history.jsonl") && e.contains("line 1"), "{e}");
        assert!(
            load(d.path(), "cpu", "m").unwrap().is_none(),
            "nothing written"
        );
    }

    /// A run of `commit`, made `day` days after the test time.
    fn dated(level: f64, commit: &str, day: i64) -> RunRecord {
        let mut r = run(level, commit);
        r.environment.git.as_mut().unwrap().committed_at = Some(fixtures::at(day * 86_400));
        r
    }

    #[test]
    fn the_run_of_an_older_commit_landing_last_keeps_the_newer_baseline_and_history_order() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("baselines");
        let (c1, c2, c3) = (
            fixtures::fake_commit(1),
            fixtures::fake_commit(2),
            fixtures::fake_commit(3),
        );
        accept(&dir, Path::new("r1.json"), &dated(9.0, &c1, 1)).unwrap();
        accept(&dir, Path::new("r3.json"), &dated(9.3, &c3, 3)).unwrap();
        // The main run of commit 2 finishes last.
        let done = accept(&dir, Path::new("r2.json"), &dated(9.2, &c2, 2)).unwrap();
        assert_eq!(
            done.kept_newer,
            vec![("cpu".into(), "m".into(), c3.clone())]
        );
        assert_eq!(done.written, vec![history_file(&dir, "cpu", "m")]);
        let b = load(&dir, "cpu", "m").unwrap().unwrap();
        assert_eq!(
            b.git.unwrap().commit,
            c3,
            "the newest commit's baseline stays"
        );
        let (h, _) = load_history(&dir, "cpu", "m").unwrap();
        let commits: Vec<_> = h.iter().map(|e| e.commit.clone().unwrap()).collect();
        assert_eq!(commits, vec![c1.clone(), c2.clone(), c3.clone()]);
        // The same commit measured again, or a newer one, replaces it as before.
        let done = accept(&dir, Path::new("r3b.json"), &dated(9.4, &c3, 3)).unwrap();
        assert!(done.kept_newer.is_empty());
        assert!(load(&dir, "cpu", "m").unwrap().unwrap().latency_ms.p50 > 9.35);
    }

    #[test]
    fn names_that_would_leave_the_baselines_directory_are_refused_before_any_write() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("repo/baselines");
        for (device, model, key) in [
            ("../../escaped", "m", "paths[0].device"),
            ("..", "m", "paths[0].device"),
            ("cpu", "../../../escaped", "paths[0].model"),
            ("/tmp/abs", "m", "paths[0].device"),
            ("cpu", "/etc/passwd", "paths[0].model"),
            (".hidden", "m", "paths[0].device"),
            ("cpu", "a|b", "paths[0].model"),
        ] {
            let mut r = run(9.0, fixtures::HEAD_COMMIT);
            r.paths[0].device = device.into();
            r.paths[0].model = model.into();
            let e = accept(&dir, Path::new("evil.json"), &r)
                .unwrap_err()
                .one_line();
            assert!(e.starts_with(&format!("evil.json: {key}: ")), "{e}");
        }
        let mut left = Vec::new();
        let mut stack = vec![d.path().to_path_buf()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap().path();
                if e.is_dir() {
                    stack.push(e);
                } else {
                    left.push(e);
                }
            }
        }
        assert!(left.is_empty(), "written: {left:?}");
    }

    #[test]
    fn a_missing_baselines_directory_says_how_to_start() {
        let d = tempfile::tempdir().unwrap();
        let e = paths_in(&d.path().join("none")).unwrap_err().one_line();
        assert!(e.contains("accept a run first"), "{e}");
    }

    #[test]
    fn baselines_are_read_at_a_commit_without_a_checkout() {
        let d = tempfile::tempdir().unwrap();
        let repo = crate::git_repo::GitRepo::init(d.path());
        let dir = d.path().join("baselines");
        accept(&dir, Path::new("r.json"), &run(9.0, fixtures::BASE_COMMIT)).unwrap();
        let oid = repo.commit_all("b");
        // The working tree moves on; the commit keeps the old baseline.
        accept(&dir, Path::new("r.json"), &run(20.0, fixtures::HEAD_COMMIT)).unwrap();
        let at = GitTree::at_commit(d.path(), &oid).unwrap();
        let src = Source::Git {
            tree: at,
            dir_rel: PathBuf::from("baselines"),
        };
        let b = src.load("cpu", "m").unwrap().unwrap();
        assert_eq!(b.git.unwrap().commit, fixtures::BASE_COMMIT);
        assert!(src.load("cpu", "nope").unwrap().is_none());
        assert!(
            src.label().contains("baselines at commit"),
            "{}",
            src.label()
        );
    }
}

//! A path's side at any commit of the repository, as files on this machine:
//! what `bisect` and `backfill` replay and measure (a pull request's base side
//! is `base_side.rs`, which starts from a baseline).
//!
//! * **Suite**: the suite file as the commit has it (a git blob), its relative
//!   paths resolved against the current suite's folder, so the runtime
//!   libraries and the dataset are this machine's.
//! * **Model bytes**, in this order: the commit's git blob (a Git LFS pointer
//!   resolved from the LFS objects or the artifact store, never loaded as a
//!   model); for a file git does not track there, the artifact store by the
//!   sha256 a history line recorded for that commit and path; else a `--build`
//!   command run in a temporary worktree of the commit (`worktree.rs`), the
//!   files at the suite's model paths taken from it. Files are kept under the
//!   scratch folder by content, with their extension.
//! * **Runtime library**: the one the commit's device names on this machine
//!   (`RuntimeLibraries::configured`), which must exist.
//!
//! What cannot be had (the commit is not here, its suite lacks the path, the
//! build failed or made no model) is a [`Side::Unavailable`] with the reason:
//! `bisect` skips that commit and names it, as `git bisect skip` would. A
//! failure to read or write stays an error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::artifacts::ArtifactStore;
use super::base_side::{
    answer, unavailable, BaseSideFinder, Found, RuntimeLibraries, Side, SideFiles,
};
use super::git::GitTree;
use super::worktree::Worktree;
use crate::compare::short_hash;
use crate::error::{Error, Result};
use crate::suite::Suite;

/// What a build of one commit left: each model file by its path relative to
/// the repository's root, or why the build failed.
type Built = std::result::Result<HashMap<PathBuf, PathBuf>, (String, PathBuf)>;

/// Finds sides of a path at commits of the suite's repository.
pub struct CommitSides<'a> {
    /// The current suite: where the suite file is and where its paths resolve.
    suite: &'a Suite,
    /// The repository's work tree.
    repo: PathBuf,
    /// The suite file relative to the work tree.
    suite_rel: PathBuf,
    /// Where extracted and built files, build logs and worktrees go.
    scratch: PathBuf,
    artifacts: Option<ArtifactStore>,
    /// `--build CMD`.
    build: Option<String>,
    /// Model sha256 by (commit, device, model), from history lines.
    known: HashMap<(String, String, String), String>,
    built: RefCell<HashMap<String, Built>>,
}

impl<'a> CommitSides<'a> {
    /// Sides at commits of the repository holding `suite`; files under
    /// `scratch`; models git does not track from `artifacts` or `build`.
    pub fn new(
        suite: &'a Suite,
        scratch: PathBuf,
        artifacts: Option<ArtifactStore>,
        build: Option<String>,
    ) -> Result<CommitSides<'a>> {
        let head = GitTree::head(suite.dir())?;
        let repo = head.workdir().map(Path::to_path_buf).ok_or_else(|| {
            Error::git(
                suite.dir().display().to_string(),
                "a bare repository has no suite",
            )
        })?;
        let suite_rel = head.relative(&suite.path).ok_or_else(|| {
            Error::git(
                suite.path.display().to_string(),
                "the suite file is not inside the repository",
            )
        })?;
        Ok(CommitSides {
            suite,
            repo,
            suite_rel,
            scratch,
            artifacts,
            build,
            known: HashMap::new(),
            built: RefCell::new(HashMap::new()),
        })
    }

    /// The repository's work tree.
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// Records that a history line measured `sha` as `device`/`model` at
    /// `commit` (the artifact store is searched by it).
    pub fn know(&mut self, commit: &str, device: &str, model: &str, sha: &str) {
        self.known
            .insert((commit.into(), device.into(), model.into()), sha.into());
    }

    /// The suite as `commit` has it, or why it cannot be had.
    pub fn suite_at(&self, commit: &str) -> Result<std::result::Result<Suite, String>> {
        match self.find_suite(commit) {
            Ok((_, s)) => Ok(Ok(s)),
            Err(super::base_side::Miss::Unavailable(u)) => Ok(Err(u.to_string())),
            Err(super::base_side::Miss::Failed(e)) => Err(e),
        }
    }

    fn find_suite(&self, commit: &str) -> Found<(GitTree, Suite)> {
        let Some(tree) = GitTree::at_commit(&self.repo, commit) else {
            return unavailable(
                format!("commit {} is not in this repository", short_hash(commit)),
                "fetch it (actions/checkout with fetch-depth: 0)",
            );
        };
        let Some(bytes) = tree.read(&self.suite_rel)? else {
            return unavailable(
                format!(
                    "{} is not in commit {}",
                    self.suite_rel.display(),
                    short_hash(commit)
                ),
                "bisect within the commits that have the suite",
            );
        };
        let text = String::from_utf8_lossy(&bytes);
        match Suite::parse(&tree.shown(&self.suite_rel), &text, self.suite.dir()) {
            Ok(s) => Ok((tree, s)),
            Err(e) => unavailable(
                e.one_line(),
                "this edgeperf cannot read that commit's suite",
            ),
        }
    }

    /// The side of `device`/`model` at `commit`.
    pub fn side(
        &self,
        commit: &str,
        device: &str,
        model: &str,
        libraries: &dyn RuntimeLibraries,
    ) -> Result<Side> {
        answer(self.find(commit, device, model, libraries))
    }

    fn find(
        &self,
        commit: &str,
        device_name: &str,
        model_name: &str,
        libraries: &dyn RuntimeLibraries,
    ) -> Found<SideFiles> {
        let (tree, suite) = self.find_suite(commit)?;
        let at = short_hash(commit);
        let missing = |what: &str, name: &str| {
            unavailable(
                format!("the suite at {at} has no {what} {name:?}"),
                "bisect within the commits that have the path",
            )
        };
        let Some(device) = suite.device(device_name) else {
            return missing("device", device_name);
        };
        let Some(entry) = suite.model(model_name) else {
            return missing("model", model_name);
        };
        let mut model = match entry.for_device(device) {
            Ok(m) => m,
            Err(e) => {
                return unavailable(e.one_line(), "bisect within the commits that have the path")
            }
        };
        model.file = self.model_file(&tree, &suite, commit, device_name, &model.file)?;
        let library = match libraries.configured(device) {
            Some(l) if crate::fs::exists(&l) => l,
            other => {
                return unavailable(
                    format!(
                        "the runtime library of device {device_name:?} at {at} is not on this machine{}",
                        other.map(|l| format!(" ({})", l.display())).unwrap_or_default()
                    ),
                    "install it where the suite names it",
                )
            }
        };
        Ok(SideFiles {
            device: device.clone(),
            model,
            library,
        })
    }

    /// The model file `file` (as the commit's suite names it) of `commit`.
    fn model_file(
        &self,
        tree: &GitTree,
        suite: &Suite,
        commit: &str,
        device: &str,
        file: &Path,
    ) -> Found<PathBuf> {
        let finder = BaseSideFinder {
            suite: self.suite,
            base_tree: None,
            scratch: self.scratch.clone(),
            artifacts: self.artifacts.clone(),
        };
        let rel = tree.relative(file).unwrap_or_else(|| file.to_path_buf());
        if let Some(bytes) = tree.read(&rel)? {
            return finder.model_from_blob(tree, &rel, bytes);
        }
        let model_name = suite
            .models
            .iter()
            .find(|m| m.file == file || m.tflite.as_deref() == Some(file))
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let key = (commit.to_string(), device.to_string(), model_name);
        if let Some(p) = self
            .known
            .get(&key)
            .and_then(|sha| self.artifacts.as_ref()?.model(sha))
        {
            return Ok(p);
        }
        let Some(command) = &self.build else {
            return unavailable(
                format!(
                    "{} is not tracked at {} (a build artifact?) and not in the artifact store",
                    rel.display(),
                    short_hash(commit)
                ),
                "give --build CMD that makes it in a checkout of the commit",
            );
        };
        match self.built(tree, commit, suite, command)? {
            Ok(files) => match files.get(&rel) {
                Some(p) => Ok(p.clone()),
                None => unavailable(
                    format!(
                        "--build made no {} at {}",
                        rel.display(),
                        short_hash(commit)
                    ),
                    "the build command must write the suite's model files",
                ),
            },
            Err((why, log)) => unavailable(
                format!("{why} at {}", short_hash(commit)),
                format!("see {}", log.display()),
            ),
        }
    }

    /// Builds `commit` once (in a temporary worktree) and keeps every model
    /// file of its suite that the build left.
    fn built(&self, tree: &GitTree, commit: &str, suite: &Suite, command: &str) -> Result<Built> {
        if let Some(b) = self.built.borrow().get(commit) {
            return Ok(b.clone());
        }
        let wt = Worktree::add(&self.repo, commit, &self.scratch.join("worktrees"))?;
        let log = self
            .scratch
            .join("builds")
            .join(format!("build-{}.log", short_hash(commit)));
        let b = match wt.build(command, commit, &log)? {
            Some(why) => Err((why, log)),
            None => {
                let mut files = HashMap::new();
                for m in &suite.models {
                    for f in std::iter::once(&m.file).chain(m.tflite.as_ref()) {
                        let Some(rel) = tree.relative(f) else {
                            continue;
                        };
                        let made = wt.path().join(&rel);
                        if crate::fs::exists(&made) {
                            files.insert(rel.clone(), self.keep(&made, &rel)?);
                        }
                    }
                }
                Ok(files)
            }
        };
        self.built
            .borrow_mut()
            .insert(commit.to_string(), b.clone());
        Ok(b)
    }

    /// `file` copied under the scratch folder by its content (extension kept).
    fn keep(&self, file: &Path, rel: &Path) -> Result<PathBuf> {
        let sha = crate::fs::sha256_file(file)?;
        let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("model");
        let kept = self.scratch.join(format!("model-{sha}.{ext}"));
        if !crate::fs::exists(&kept) {
            crate::fs::create_dir_all(&self.scratch)?;
            crate::fs::copy(file, &kept)?;
        }
        Ok(kept)
    }
}

//! The one git-repository fixture of the tests: a repository made with git2
//! ([`GitRepo`]: init, commit the work tree, add a remote) for tests that only
//! need commits to exist, and [`git`] for tests that drive the `git` program
//! itself (scripts, workflows, the branch moves a pull request makes).
//!
//! Both commit as [`NAME`] <[`EMAIL`]> and read no user or system git
//! configuration, so a developer's `commit.gpgsign`, hooks or default branch
//! never change what a test sees. [`GitRepo`] commits at a fixed time, so the
//! same files give the same commit id on every run.
//!
//! The integration tests reach it as `common::git_repo` (`tests/common/mod.rs`);
//! the unit tests of the library as `crate::git_repo` (`src/lib.rs` includes this
//! file under `cfg(test)`). It uses nothing but `git2` and `std`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The author and committer of every commit a test makes.
pub const NAME: &str = "edgeperf-test";
/// [`NAME`]'s e-mail address.
pub const EMAIL: &str = "test@edgeperf.invalid";
/// The time of every [`GitRepo`] commit: 2026-01-02T03:04:05Z, the fixtures'
/// `TEST_TIME`.
pub const COMMIT_TIME: i64 = 1_767_323_045;

/// A git repository in a test's folder, with `main` as its first branch.
pub struct GitRepo {
    repo: git2::Repository,
}

impl GitRepo {
    /// `git init` in `dir` (created if missing); HEAD names `refs/heads/main`.
    pub fn init(dir: &Path) -> GitRepo {
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        let repo = git2::Repository::init_opts(dir, &opts)
            .unwrap_or_else(|e| panic!("git init {}: {e}", dir.display()));
        GitRepo { repo }
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.repo.workdir().expect("a repository with a work tree")
    }

    /// The git2 handle, for what the fixture does not offer.
    pub fn git2(&self) -> &git2::Repository {
        &self.repo
    }

    /// Stages every file of the work tree (as `git add -A`) and commits it on
    /// HEAD, after the current HEAD commit if there is one; returns the commit id.
    pub fn commit_all(&self, message: &str) -> String {
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.commit(Some("HEAD"), message, &parents)
    }

    /// Stages every file of the work tree and commits it as a root commit (no
    /// parent: a history unrelated to any other) on `reference`.
    pub fn commit_all_as_root(&self, reference: &str, message: &str) -> String {
        self.commit(Some(reference), message, &[])
    }

    /// Adds the remote `name` at `url` (nothing is fetched).
    pub fn add_remote(&self, name: &str, url: &str) {
        self.repo
            .remote(name, url)
            .unwrap_or_else(|e| panic!("git remote add {name} {url}: {e}"));
    }

    fn commit(&self, update_ref: Option<&str>, message: &str, parents: &[&git2::Commit]) -> String {
        let mut index = self.repo.index().expect("the repository's index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("stage the work tree");
        index.update_all(["*"], None).expect("stage removed files");
        index.write().expect("write the index");
        let tree_id = index.write_tree().expect("write the tree");
        let tree = self.repo.find_tree(tree_id).expect("the new tree");
        let sig = git2::Signature::new(NAME, EMAIL, &git2::Time::new(COMMIT_TIME, 0))
            .expect("the test signature");
        self.repo
            .commit(update_ref, &sig, &sig, message, &tree, parents)
            .unwrap_or_else(|e| panic!("git commit -m {message:?}: {e}"))
            .to_string()
    }
}

/// The `git` program on PATH (for a test that puts a wrapper named `git` first
/// on the PATH of the processes it starts and needs the real one behind it).
pub fn git_program() -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "git is needed for this test: install it"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Runs `git args` in `dir` as [`NAME`], with no user or system configuration,
/// no commit signing and `main` as the default branch; returns its standard
/// output without the surrounding white space. Panics naming the command, the
/// folder and git's own error when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", NAME)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_COMMITTER_NAME", NAME)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .output()
        .unwrap_or_else(|e| panic!("cannot run git {args:?} in {}: {e}", dir.display()));
    assert!(
        out.status.success(),
        "git {args:?} in {} failed ({}): {}{}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `git rev-parse HEAD` in `dir`: the 40-digit id of the commit checked out.
pub fn head(dir: &Path) -> String {
    let sha = git(dir, &["rev-parse", "HEAD"]);
    assert_eq!(
        sha.len(),
        40,
        "unexpected HEAD id {sha:?} in {}",
        dir.display()
    );
    sha
}

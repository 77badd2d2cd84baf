//! Reading files as they were at another commit, through git2, without a checkout.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A repository and one commit in it.
pub struct GitTree {
    repo: git2::Repository,
    pub commit: git2::Oid,
    /// Human label, e.g. "merge-base 1a2b3c4 of HEAD and origin/main".
    pub label: String,
}

impl GitTree {
    /// The merge-base of HEAD and `reference` (a branch, tag, remote ref or sha)
    /// in the repository containing `dir`.
    pub fn merge_base(dir: &Path, reference: &str) -> Result<GitTree> {
        let repo = git2::Repository::discover(dir).map_err(|e| {
            Error::git(
                dir.display().to_string(),
                format!("not inside a git repository ({})", e.message()),
            )
        })?;
        let head = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(|e| Error::git("HEAD", format!("cannot resolve it: {}", e.message())))?
            .id();
        let against = format!("--against {reference}");
        let other = repo
            .revparse_single(reference)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| Error::git(&against, format!("no such commit or branch ({}); fetch it first (actions/checkout with fetch-depth: 0)", e.message())))?
            .id();
        let base = repo.merge_base(head, other).map_err(|e| {
            Error::git(
                &against,
                format!(
                    "no merge-base with HEAD ({}); the checkout may be too shallow (use fetch-depth: 0)",
                    e.message()
                ),
            )
        })?;
        let label = format!(
            "merge-base {} of HEAD and {reference}",
            &base.to_string()[..10]
        );
        Ok(GitTree {
            repo,
            commit: base,
            label,
        })
    }

    /// HEAD of the repository containing `dir`.
    pub fn head(dir: &Path) -> Result<GitTree> {
        let repo = discover(dir)?;
        let commit = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(|e| Error::git("HEAD", format!("cannot resolve it: {}", e.message())))?
            .id();
        Ok(GitTree {
            repo,
            commit,
            label: "HEAD".into(),
        })
    }

    /// A specific commit (used to find a baseline's own commit).
    pub fn at_commit(dir: &Path, sha: &str) -> Option<GitTree> {
        let repo = git2::Repository::discover(dir).ok()?;
        let oid = git2::Oid::from_str(sha).ok()?;
        if repo.find_commit(oid).is_err() {
            return None;
        }
        Some(GitTree {
            repo,
            commit: oid,
            label: format!("commit {}", &sha[..sha.len().min(10)]),
        })
    }

    /// The repository's git directory (`.git`, or the common directory of a
    /// worktree), where git-lfs keeps its objects.
    pub fn git_dir(&self) -> &Path {
        self.repo.commondir()
    }

    /// The repository's working directory.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// How a file at this commit is named in messages: `<commit>:<path>`.
    pub fn shown(&self, rel: &Path) -> PathBuf {
        PathBuf::from(format!(
            "{}:{}",
            &self.commit.to_string()[..10],
            rel.display()
        ))
    }

    /// Converts a path on disk to a path relative to the repository root, if inside.
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        let wd = crate::fs::canonicalize(self.repo.workdir()?).ok()?;
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(path)
        };
        // Canonicalise the longest existing ancestor so symlinks and `..` resolve.
        let mut existing = abs.clone();
        let mut rest = Vec::new();
        while !crate::fs::exists(&existing) {
            rest.push(existing.file_name()?.to_os_string());
            existing = existing.parent()?.to_path_buf();
        }
        let mut canon = crate::fs::canonicalize(&existing).ok()?;
        for r in rest.iter().rev() {
            canon.push(r);
        }
        canon.strip_prefix(&wd).ok().map(Path::to_path_buf)
    }

    /// The bytes of `rel` (relative to the repository root) at this commit, or
    /// `Ok(None)` when the commit has no such file.
    pub fn read(&self, rel: &Path) -> Result<Option<Vec<u8>>> {
        let at = |e: git2::Error| Error::git(&self.label, e.message().to_string());
        let commit = self.repo.find_commit(self.commit).map_err(at)?;
        let tree = commit.tree().map_err(at)?;
        let in_file = |e: git2::Error| {
            Error::git(
                self.shown(rel).display().to_string(),
                format!("{} ({})", e.message(), self.label),
            )
        };
        let entry = match tree.get_path(rel) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(in_file(e)),
        };
        let obj = entry.to_object(&self.repo).map_err(in_file)?;
        match obj.as_blob() {
            Some(b) => Ok(Some(b.content().to_vec())),
            None => Ok(None),
        }
    }
}

fn discover(dir: &Path) -> Result<git2::Repository> {
    git2::Repository::discover(dir).map_err(|e| {
        Error::git(
            dir.display().to_string(),
            format!("not inside a git repository ({})", e.message()),
        )
    })
}

/// A commit of a first-parent chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub commit: String,
    /// The first line of its message.
    pub subject: String,
    pub committed_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn info(c: &git2::Commit) -> CommitInfo {
    CommitInfo {
        commit: c.id().to_string(),
        subject: c.summary().ok().flatten().unwrap_or("").to_string(),
        committed_at: chrono::DateTime::from_timestamp(c.time().seconds(), 0),
    }
}

/// `rev` (a branch, tag, `HEAD~3`, a sha) as a commit of the repository
/// containing `dir`; `arg` names it in errors (`GOOD`, `--anchor`).
pub fn resolve(dir: &Path, rev: &str, arg: &str) -> Result<CommitInfo> {
    let repo = discover(dir)?;
    let c = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            Error::git(
                format!("{arg} {rev}"),
                format!(
                    "no such commit ({}); fetch it first (fetch-depth: 0)",
                    e.message()
                ),
            )
        })?;
    Ok(info(&c))
}

/// The commits after `good` up to `bad` on `bad`'s first-parent chain, oldest
/// first (`bad` last): the commits main went through, merges as one step.
/// `good` must be on that chain.
pub fn first_parent_range(dir: &Path, good: &str, bad: &str) -> Result<Vec<CommitInfo>> {
    let repo = discover(dir)?;
    let find = |sha: &str| {
        git2::Oid::from_str(sha)
            .and_then(|o| repo.find_commit(o))
            .map_err(|e| Error::git(sha.to_string(), e.message().to_string()))
    };
    let stop = find(good)?.id();
    let mut c = find(bad)?;
    let mut out = Vec::new();
    while c.id() != stop {
        out.push(info(&c));
        c = match c.parent(0) {
            Ok(p) => p,
            Err(_) => {
                return Err(Error::git(
                    format!("{}..{}", &good[..good.len().min(10)], &bad[..bad.len().min(10)]),
                    "the first commit is not on the second's first-parent chain (give an older GOOD, or fetch more history)",
                ))
            }
        };
    }
    out.reverse();
    Ok(out)
}

/// The URL of the remote `name` (e.g. `origin`) of the repository containing
/// `dir`, as configured; `None` outside git or without that remote.
pub fn remote_url(dir: &Path, name: &str) -> Option<String> {
    let repo = git2::Repository::discover(dir).ok()?;
    let remote = repo.find_remote(name).ok()?;
    remote.url().ok().map(|u| u.to_string())
}

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

/// The URL of the remote `name` (e.g. `origin`) of the repository containing
/// `dir`, as configured; `None` outside git or without that remote.
pub fn remote_url(dir: &Path, name: &str) -> Option<String> {
    let repo = git2::Repository::discover(dir).ok()?;
    let remote = repo.find_remote(name).ok()?;
    remote.url().ok().map(|u| u.to_string())
}

//! A commit checked out in a temporary worktree (`git worktree add --detach`)
//! where a build command (`bisect --build`, `backfill --build`) makes the
//! commit's build artifacts, such as models exported by a script. The worktree
//! shares the repository's objects (and its Git LFS objects), carries a link
//! to the repository's `.edgeperf/` (assets, the venv) when there is one, and is
//! removed again (`git worktree remove --force`, then `prune`) when dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// A temporary worktree of one commit.
pub struct Worktree {
    repo: PathBuf,
    dir: PathBuf,
    /// Holds the folder the worktree lives in.
    _parent: tempfile::TempDir,
}

/// `git` in `repo` with `args`: its output, or an error naming the command.
fn git(repo: &Path, args: &[&str]) -> Result<String> {
    let what = format!("git {}", args.join(" "));
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::git(&what, format!("cannot run git ({e}); install git")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Error::git(
            &what,
            err.lines().last().unwrap_or("failed").trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Worktree {
    /// Checks `commit` of the repository at `repo` out into a new folder
    /// under `parent`.
    pub fn add(repo: &Path, commit: &str, parent: &Path) -> Result<Worktree> {
        crate::fs::create_dir_all(parent)?;
        let holder = crate::fs::temp_dir_in(parent, "worktree-")?;
        let dir = holder.path().join(&commit[..commit.len().min(12)]);
        let shown = dir.display().to_string();
        git(
            repo,
            &["worktree", "add", "--detach", "--quiet", &shown, commit],
        )?;
        let assets = repo.join(".edgeperf");
        if crate::fs::is_dir(&assets) && !crate::fs::exists(&dir.join(".edgeperf")) {
            // Best effort: a build that needs the assets finds them as in the repository.
            let _ = crate::fs::symlink(&assets, &dir.join(".edgeperf"));
        }
        Ok(Worktree {
            repo: repo.to_path_buf(),
            dir,
            _parent: holder,
        })
    }

    /// The worktree's root.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Runs `command` with `sh -c` in the worktree, its output into `log`;
    /// `EDGEPERF_COMMIT` names the commit and `EDGEPERF_REPO` the repository.
    /// `Ok(None)` when it succeeded, `Ok(Some(why))` when it failed.
    pub fn build(&self, command: &str, commit: &str, log: &Path) -> Result<Option<String>> {
        crate::fs::create_dir_all(crate::fs::parent_dir(log))?;
        let file = crate::fs::create_file(log)?;
        let err = crate::fs::clone_file(&file, log)?;
        let status = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&self.dir)
            .env("EDGEPERF_COMMIT", commit)
            .env("EDGEPERF_REPO", &self.repo)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .status()
            .map_err(|e| Error::argument("--build", format!("cannot start sh: {e}")))?;
        if let Some(signal) = crate::interrupt::received() {
            return Err(Error::Interrupted {
                signal,
                message: format!("while building {}", &commit[..commit.len().min(10)]),
            });
        }
        if status.success() {
            return Ok(None);
        }
        let text = crate::fs::read_to_string(log).unwrap_or_default();
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Ok(Some(format!(
            "--build failed ({status}){}",
            if last.is_empty() {
                String::new()
            } else {
                format!(": {}", last.trim())
            }
        )))
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let shown = self.dir.display().to_string();
        if git(&self.repo, &["worktree", "remove", "--force", &shown]).is_err() {
            let _ = crate::fs::remove_dir_all(&self.dir);
        }
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worktree_holds_the_commit_builds_in_it_and_is_removed_after() {
        let d = tempfile::tempdir().unwrap();
        let repo = crate::git_repo::GitRepo::init(&d.path().join("repo"));
        crate::fs::write_atomic(&repo.path().join("spec.txt"), b"v1").unwrap();
        let c1 = repo.commit_all("one");
        crate::fs::write_atomic(&repo.path().join("spec.txt"), b"v2").unwrap();
        repo.commit_all("two");
        let scratch = d.path().join("scratch");
        let dir;
        {
            let wt = Worktree::add(repo.path(), &c1, &scratch).unwrap();
            dir = wt.path().to_path_buf();
            assert_eq!(crate::fs::read(&dir.join("spec.txt")).unwrap(), b"v1");
            let log = scratch.join("build.log");
            let ok = wt
                .build(
                    "cp spec.txt out.bin && echo built $EDGEPERF_COMMIT",
                    &c1,
                    &log,
                )
                .unwrap();
            assert_eq!(ok, None);
            assert_eq!(crate::fs::read(&dir.join("out.bin")).unwrap(), b"v1");
            assert!(crate::fs::read_to_string(&log).unwrap().contains(&c1));
            let failed = wt
                .build("echo making; echo 'no compiler' >&2; exit 3", &c1, &log)
                .unwrap()
                .unwrap();
            assert!(
                failed.contains("exit status: 3") && failed.ends_with(": no compiler"),
                "{failed}"
            );
        }
        assert!(!crate::fs::exists(&dir), "removed when dropped");
        let list = git(repo.path(), &["worktree", "list"]).unwrap();
        assert_eq!(list.lines().count(), 1, "{list}");
        let e = Worktree::add(repo.path(), &"9".repeat(40), &scratch)
            .err()
            .unwrap()
            .one_line();
        assert!(e.contains("git worktree add"), "{e}");
    }
}

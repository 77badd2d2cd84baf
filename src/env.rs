//! Captures the environment fingerprint recorded with every run: edgeperf
//! version, git state (git2), UTC time (chrono), host (CPU model, cores, OS,
//! kernel from /proc and /etc/os-release).

use std::path::Path;

use crate::record::{Environment, GitInfo, Host};

/// Captures the environment; `dir` is where the git repository is discovered.
pub fn capture(dir: &Path) -> Environment {
    Environment {
        edgeperf_version: env!("CARGO_PKG_VERSION").to_string(),
        timestamp: chrono::Utc::now(),
        git: git_info(dir),
        host: host(),
    }
}

/// Git state of the repository containing `dir`, or `None` outside a repository.
pub fn git_info(dir: &Path) -> Option<GitInfo> {
    let repo = git2::Repository::discover(dir).ok()?;
    let head = repo.head().ok()?;
    let head_commit = head.peel_to_commit().ok()?;
    let commit = head_commit.id().to_string();
    let committed_at = chrono::DateTime::from_timestamp(head_commit.time().seconds(), 0);
    let branch = if head.is_branch() {
        head.shorthand().ok().map(str::to_string)
    } else {
        None
    };
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(false).include_ignored(false);
    let dirty = repo
        .statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    Some(GitInfo {
        commit,
        branch,
        dirty,
        committed_at,
    })
}

/// The host: CPU model, cores, OS and kernel.
pub fn host() -> Host {
    let read = |p: &str| {
        crate::fs::read_to_string(Path::new(p))
            .map(|s| s.trim().to_string())
            .ok()
    };
    let cpu_model = read("/proc/cpuinfo")
        .and_then(|c| {
            c.lines()
                .find(|l| {
                    l.starts_with("model name")
                        || l.starts_with("Model")
                        || l.starts_with("Hardware")
                })
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let os = read("/etc/os-release")
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    Host {
        hostname: read("/proc/sys/kernel/hostname").unwrap_or_else(|| "unknown".into()),
        cpu_model,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        os,
        kernel: read("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
        arch: std::env::consts::ARCH.to_string(),
    }
}

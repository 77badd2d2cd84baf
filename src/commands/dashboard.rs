//! `edgeperf dashboard`: the static site of the baseline history (`dashboard`
//! draws it, `store` reads the histories, `crate::fs` writes the files).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::dashboard::{render, repo_url_from_github, repo_web_url, SiteInput};
use crate::error::{Result, EXIT_OK};

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Baselines directory.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// Where to write the site (created if needed; files are replaced atomically).
    #[arg(long, default_value = ".edgeperf/site", value_name = "DIR")]
    pub out: PathBuf,
    /// The suite whose `[compare]` thresholds colour the changes (defaults without it).
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Web address of the repository, for commit links [default: from
    /// GITHUB_SERVER_URL + GITHUB_REPOSITORY, else the `origin` remote].
    #[arg(long, value_name = "URL")]
    pub repo_url: Option<String>,
    /// Chain each path's paired changes from the baseline of this commit
    /// [default: each path's first baseline].
    #[arg(long, value_name = "COMMIT")]
    pub anchor: Option<String>,
}

/// The repository's web address: the flag, GitHub Actions' variables, or the
/// `origin` remote of the repository holding `baselines`.
fn repo_url(a: &DashboardArgs) -> Option<String> {
    if let Some(u) = &a.repo_url {
        return Some(u.trim().trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
    }
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let (Some(server), Some(repo)) = (var("GITHUB_SERVER_URL"), var("GITHUB_REPOSITORY")) {
        if let Some(u) = repo_url_from_github(&server, &repo) {
            return Some(u);
        }
    }
    let here = if crate::fs::is_dir(&a.baselines) {
        a.baselines.as_path()
    } else {
        Path::new(".")
    };
    crate::store::git::remote_url(here, "origin").and_then(|r| repo_web_url(&r))
}

/// What [`write_site`] wrote.
pub struct Written {
    pub files: usize,
    pub paths: usize,
    pub bytes: usize,
    /// The repository commits link to, if any.
    pub repo_url: Option<String>,
}

/// Loads every history under `--baselines`, draws the site and writes it under
/// `--out`; nothing is written when a history cannot be read.
pub fn write_site(a: &DashboardArgs) -> Result<Written> {
    let compare = super::history::thresholds(&a.suite)?;
    let (histories, warnings) =
        super::history::build(&a.baselines, None, None, &compare, a.anchor.as_deref())?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let repo = repo_url(a);
    let files = render(&SiteInput {
        histories: &histories,
        repo_url: repo.as_deref(),
        compare: &compare,
    });
    for f in &files {
        crate::fs::write_atomic_readable(&a.out.join(&f.path), f.text.as_bytes())?;
    }
    Ok(Written {
        files: files.len(),
        paths: histories.len(),
        bytes: files.iter().map(|f| f.text.len()).sum(),
        repo_url: repo,
    })
}

pub fn run(a: DashboardArgs) -> Result<i32> {
    let w = write_site(&a)?;
    eprintln!(
        "wrote {} files for {} paths under {}{}; open {}",
        w.files,
        w.paths,
        a.out.display(),
        match &w.repo_url {
            Some(r) => format!(" (commits link to {r})"),
            None => " (no repository URL: commits are not linked)".into(),
        },
        a.out.join("index.html").display()
    );
    Ok(EXIT_OK)
}

//! `edgeperf report alerts`: on the default branch, after the baselines of a
//! commit are committed, one GitHub issue per path and slower paired step
//! (opened, or updated when its hidden marker is found: never twice), with the
//! commit range, the paired change and interval, the model on every device and
//! the bisect command (`report::alert` writes them, `github` sends them).

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result, EXIT_OK, EXIT_REGRESSION};

#[derive(Debug, Args)]
pub struct ReportAlertsArgs {
    /// The baselines folder whose histories are read.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// The suite whose `[compare]` thresholds make a paired change a step.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Only the steps of this commit (what main's workflow just measured)
    /// [default: every slower step in the histories].
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Print the issues instead of opening them.
    #[arg(long)]
    pub dry_run: bool,
    /// Web address of the repository for commit links [default: from
    /// GITHUB_SERVER_URL and GITHUB_REPOSITORY].
    #[arg(long, value_name = "URL")]
    pub repo_url: Option<String>,
    /// The account the token posts as: only its issues are updated, never
    /// someone else's that quotes a marker.
    #[arg(long, value_name = "LOGIN", default_value = "github-actions[bot]")]
    pub author: String,
}

/// The alerts of the histories under `--baselines`.
fn alerts(a: &ReportAlertsArgs) -> Result<Vec<crate::report::alert::Alert>> {
    if let Some(c) = &a.commit {
        if c.len() < 7 || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::argument(
                "--commit",
                format!("{c:?} is not a commit id (7 or more hex digits)"),
            ));
        }
    }
    let cfg = super::history::thresholds(&a.suite)?;
    let (hs, warnings) = super::history::build(&a.baselines, None, None, &cfg, None)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let repo = a.repo_url.clone().or_else(|| {
        crate::dashboard::repo_url_from_github(
            &var("GITHUB_SERVER_URL")?,
            &var("GITHUB_REPOSITORY")?,
        )
    });
    Ok(crate::report::alert::alerts(
        &hs,
        a.commit.as_deref().map(str::to_ascii_lowercase).as_deref(),
        repo.as_deref(),
    ))
}

/// Opens or updates each alert's issue (prints them with `--dry-run`); exit 1
/// when there was any.
pub fn run(a: ReportAlertsArgs) -> Result<i32> {
    let alerts = alerts(&a)?;
    if alerts.is_empty() {
        eprintln!("no slower paired step: no alert");
        return Ok(EXIT_OK);
    }
    if a.dry_run {
        for al in &alerts {
            println!("----- issue: {} -----\n{}", al.title, al.body);
        }
    } else {
        send(&a, &alerts)?;
    }
    Ok(EXIT_REGRESSION)
}

#[cfg(not(feature = "github"))]
fn send(_a: &ReportAlertsArgs, _alerts: &[crate::report::alert::Alert]) -> Result<()> {
    Err(Error::NotBuilt {
        command: "report alerts",
        message: super::report::NO_GITHUB_CLIENT,
    })
}

#[cfg(feature = "github")]
fn send(a: &ReportAlertsArgs, alerts: &[crate::report::alert::Alert]) -> Result<()> {
    use crate::github::{GithubContext, IssueAction, IssueDraft, Publisher};
    let ctx = GithubContext::from_env(None, None)?;
    let publisher = Publisher::new().with_comment_author(&a.author);
    for al in alerts {
        let draft = IssueDraft {
            marker: al.marker.clone(),
            title: al.title.clone(),
            body: al.body.clone(),
            labels: vec![crate::report::alert::LABEL.to_string()],
        };
        let (verb, number, url) = match publisher.upsert_issue(&ctx, &draft)? {
            IssueAction::Created { number, url } => ("opened", number, url),
            IssueAction::Updated { number, url } => ("updated", number, url),
            IssueAction::DryRun => continue,
        };
        eprintln!(
            "{verb} issue #{number} ({}): {}",
            url.as_deref().unwrap_or("?"),
            al.title
        );
    }
    Ok(())
}

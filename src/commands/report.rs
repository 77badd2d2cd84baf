//! `edgeperf report github`: one sticky PR comment and a commit status per device.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[cfg(feature = "github")]
use super::output::print_out;
#[cfg(feature = "github")]
use crate::compare::{Comparison, PathStatus};
use crate::error::{Error, Result};
#[cfg(feature = "github")]
use crate::error::{EXIT_OK, EXIT_REGRESSION};
#[cfg(feature = "github")]
use crate::github::{CommentAction, CommitStatus, GithubContext, Publisher, StatusState};
#[cfg(feature = "github")]
use crate::report::compare::{markdown_linked, Missing};

/// What `report github` says in a build without the `github` feature.
pub const NO_GITHUB_CLIENT: &str = "this edgeperf was built without the GitHub client (cargo feature `github`, e.g. a device build with --no-default-features): run `report github` with a default build";

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Upsert one PR comment (found by a hidden marker) and set a commit status per device.
    #[command(after_help = "\
Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL (default https://api.github.com),
the PR number from --pr or GITHUB_EVENT_PATH, the sha from --sha or GITHUB_SHA.
Also appends the report to $GITHUB_STEP_SUMMARY when set. Statuses link to the
workflow run (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID); the comment
links each model to its dashboard page when EDGEPERF_SITE_URL is set.

Examples:
  edgeperf report github --result cpu=results/cpu/compare-cpu.json --expect-device rpi4
  edgeperf report github --result cpu=compare-cpu.json --no-runner jetson-orin
  edgeperf report github compare-cpu.json --pr 42 --sha $SHA --dry-run

Exit codes: 0 = no regression, 1 = a regression or a device without a result or a
runner (or an undecided path with --fail-on-undecided), 2 = error (also: a file
holding another device's paths, or names that are not suite names).")]
    Github(ReportGithubArgs),
    /// Open (or update, never twice) one GitHub issue per slower paired step on the default branch.
    #[command(after_help = "\
Reads GITHUB_TOKEN (issues: write), GITHUB_REPOSITORY, GITHUB_API_URL like
`report github`. Each issue carries a hidden marker per path and step
(<!-- edgeperf-alert DEVICE/MODEL BASE..HEAD -->) and is looked for among the
issues the token's account opened, open or closed.

Examples:
  edgeperf report alerts --commit $GITHUB_SHA          # main's workflow, after the baselines job
  edgeperf report alerts --dry-run                     # every slower step, printed

Exit codes: 0 = no slower step, 1 = at least one alert opened or updated, 2 = error.")]
    Alerts(super::alerts::ReportAlertsArgs),
}

#[derive(Debug, Args)]
pub struct ReportGithubArgs {
    /// Comparison files (`edgeperf compare --format json --out ...`), one per device.
    pub results: Vec<PathBuf>,
    /// A device's comparison file, bound to that device: every path in FILE
    /// must be of DEVICE, else exit 2 (the artifact of one device's CI job may
    /// only speak for that device). Implies --expect-device DEVICE.
    #[arg(long = "result", value_name = "DEVICE=FILE", value_parser = device_file)]
    pub device_results: Vec<(String, PathBuf)>,
    /// A device that must have a result; without one it shows as "no result" and fails.
    #[arg(long = "expect-device", value_name = "NAME")]
    pub expect_devices: Vec<String>,
    /// A device whose CI job no runner picked up within the workflow's wait: it
    /// shows as "no runner" (an error status) and fails, without holding up
    /// the others.
    #[arg(long = "no-runner", value_name = "NAME")]
    pub no_runner: Vec<String>,
    /// The pull request to comment on [default: the one of GITHUB_EVENT_PATH's
    /// event].
    #[arg(long)]
    pub pr: Option<u64>,
    /// The commit to set the statuses on (a hexadecimal commit id) [default:
    /// GITHUB_SHA].
    #[arg(long)]
    pub sha: Option<String>,
    /// Print the comment body and statuses instead of sending them.
    #[arg(long)]
    pub dry_run: bool,
    /// Link of every status (e.g. the workflow run:
    /// $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID).
    #[arg(long, value_name = "URL")]
    pub target_url: Option<String>,
    /// The account the token posts as: only its comment carrying the marker is
    /// updated, never someone else's that quotes it.
    #[arg(long, value_name = "LOGIN", default_value = "github-actions[bot]")]
    pub comment_author: String,
    /// The published dashboard (`edgeperf dashboard`): the comment links each
    /// model to its page there.
    #[arg(long, env = "EDGEPERF_SITE_URL", value_name = "URL")]
    pub site_url: Option<String>,
    /// An undecided path (inconclusive or not confirmed) fails its device's
    /// status and the exit code, as a regression does.
    #[arg(long)]
    pub fail_on_undecided: bool,
}

/// `DEVICE=FILE` of `--result`.
fn device_file(s: &str) -> std::result::Result<(String, PathBuf), String> {
    let (device, file) = s
        .split_once('=')
        .ok_or_else(|| format!("expected DEVICE=FILE, got {s:?}"))?;
    crate::suite::check_name(device).map_err(|e| format!("device name {e}"))?;
    if file.is_empty() {
        return Err(format!("no file after {device}="));
    }
    Ok((device.to_string(), PathBuf::from(file)))
}

pub fn run(c: ReportCommand) -> Result<i32> {
    match c {
        ReportCommand::Github(a) => github(a),
        ReportCommand::Alerts(a) => super::alerts::run(a),
    }
}

/// In a build without the `github` feature: refuses with [`NO_GITHUB_CLIENT`] (exit 2).
#[cfg(not(feature = "github"))]
pub fn github(_a: ReportGithubArgs) -> Result<i32> {
    Err(Error::NotBuilt {
        command: "report github",
        message: NO_GITHUB_CLIENT,
    })
}

#[cfg(feature = "github")]
pub fn github(a: ReportGithubArgs) -> Result<i32> {
    let (comparisons, expected) = load_results(&a)?;
    let present: Vec<String> = comparisons.iter().flat_map(|c| c.devices()).collect();
    let no_runner: Vec<&str> = a.no_runner.iter().map(String::as_str).collect();
    let missing: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|d| !present.iter().any(|p| p == d) && !no_runner.contains(d))
        .collect();
    if comparisons.is_empty() && missing.is_empty() && no_runner.is_empty() {
        return Err(Error::argument(
            "report github",
            "no comparison files given and no --expect-device: nothing to report (give the files of `edgeperf compare --format json --out FILE`, or --expect-device DEVICE)",
        ));
    }
    let link = |d: &str, m: &str| crate::dashboard::page_url(a.site_url.as_deref()?, d, m);
    let mut body = markdown_linked(
        &comparisons,
        &missing
            .iter()
            .chain(&no_runner)
            .map(|d| Missing { device: d })
            .collect::<Vec<_>>(),
        Some(&link),
    );
    body.push_str(&no_runner_note(&no_runner));
    // Each status links to the workflow run (its logs and artifacts): --target-url,
    // else the run of the environment's GitHub Actions variables.
    let run_url = a
        .target_url
        .clone()
        .or_else(|| crate::github::workflow_run_url(|k| std::env::var(k).ok()));
    let mut statuses = statuses(
        &comparisons,
        &missing,
        run_url.as_deref(),
        a.fail_on_undecided,
    );
    statuses.extend(no_runner.iter().map(|d| {
        CommitStatus::for_device(
            d,
            StatusState::Error,
            "no runner: the device's job was not picked up within the wait",
            run_url.clone(),
        )
    }));
    publish(&a, &body, &statuses)?;
    let regressions: usize = comparisons.iter().map(|c| c.regressions).sum();
    let undecided = comparisons
        .iter()
        .flat_map(|c| &c.paths)
        .any(|p| p.status.is_undecided());
    Ok(
        if regressions > 0
            || (a.fail_on_undecided && undecided)
            || !missing.is_empty()
            || !no_runner.is_empty()
        {
            EXIT_REGRESSION
        } else {
            EXIT_OK
        },
    )
}

/// The comparisons of the positional files and of `--result DEVICE=FILE` (each
/// checked to hold only DEVICE's paths), and the devices that must have a
/// result. Names given on the command line follow the suite's name rules.
#[cfg(feature = "github")]
fn load_results(a: &ReportGithubArgs) -> Result<(Vec<Comparison>, Vec<String>)> {
    for (flag, names) in [
        ("--expect-device", &a.expect_devices),
        ("--no-runner", &a.no_runner),
    ] {
        for d in names {
            crate::suite::check_name(d).map_err(|e| Error::argument(format!("{flag} {d}"), e))?;
        }
    }
    let mut comparisons = Vec::new();
    for f in &a.results {
        comparisons.push(crate::store::load_comparison(f)?);
    }
    let mut expected = a.expect_devices.clone();
    for (device, f) in &a.device_results {
        let c = crate::store::load_comparison(f)?;
        crate::record::check_only_device(
            f,
            c.paths
                .iter()
                .map(|p| (p.device.as_str(), p.model.as_str())),
            device,
        )?;
        comparisons.push(c);
        expected.push(device.clone());
    }
    if let Some(d) = a.no_runner.iter().find(|d| {
        comparisons
            .iter()
            .any(|c| c.paths.iter().any(|p| &p.device == *d))
    }) {
        return Err(Error::argument(
            format!("--no-runner {d}"),
            format!(
                "a result of {d} was given too (a device either had no runner or has a result)"
            ),
        ));
    }
    expected.sort();
    expected.dedup();
    Ok((comparisons, expected))
}

/// The line under the table for devices without a runner (names are checked,
/// so they go into the Markdown as they are).
#[cfg(feature = "github")]
fn no_runner_note(devices: &[&str]) -> String {
    if devices.is_empty() {
        return String::new();
    }
    let list: Vec<String> = devices.iter().map(|d| format!("`{d}`")).collect();
    format!(
        "\n⛔ No runner picked up the job of {} within the wait: is the device's runner online? The other devices were reported without waiting for it (docs/RUNNERS.md).\n",
        list.join(", ")
    )
}

/// One commit status per device: failure naming the regressed models; with
/// undecided paths, success naming them (failure with `fail_on_undecided`),
/// never "no regression"; success otherwise; error for an expected device
/// without a result; each links to `target_url` (the workflow run) when given.
#[cfg(feature = "github")]
pub fn statuses(
    comparisons: &[Comparison],
    missing: &[&str],
    target_url: Option<&str>,
    fail_on_undecided: bool,
) -> Vec<CommitStatus> {
    let mut devices: Vec<String> = comparisons.iter().flat_map(|c| c.devices()).collect();
    devices.sort();
    devices.dedup();
    let mut out = Vec::new();
    for d in &devices {
        let paths: Vec<_> = comparisons
            .iter()
            .flat_map(|c| &c.paths)
            .filter(|p| &p.device == d)
            .collect();
        let models = |f: fn(PathStatus) -> bool| -> Vec<&str> {
            paths
                .iter()
                .filter(|p| f(p.status))
                .map(|p| p.model.as_str())
                .collect()
        };
        let regressed = models(|s| s == PathStatus::Regressed);
        let undecided = models(PathStatus::is_undecided);
        let identical = models(|s| s == PathStatus::Identical).len();
        let (state, desc) = if !regressed.is_empty() {
            (
                StatusState::Failure,
                format!("regressed: {}", regressed.join(", ")),
            )
        } else if !undecided.is_empty() {
            let state = if fail_on_undecided {
                StatusState::Failure
            } else {
                StatusState::Success
            };
            (
                state,
                format!(
                    "undecided: {} of {} path(s): {}",
                    undecided.len(),
                    paths.len(),
                    undecided.join(", ")
                ),
            )
        } else if identical > 0 {
            (
                StatusState::Success,
                format!(
                    "no regression in {} path(s), {identical} identical: not re-measured",
                    paths.len()
                ),
            )
        } else {
            (
                StatusState::Success,
                format!("no regression in {} path(s)", paths.len()),
            )
        };
        out.push(CommitStatus::for_device(
            d,
            state,
            &desc,
            target_url.map(str::to_string),
        ));
    }
    for d in missing {
        out.push(CommitStatus::for_device(
            d,
            StatusState::Error,
            "no result: the device job produced no comparison",
            target_url.map(str::to_string),
        ));
    }
    out
}

/// Sends (or, with `--dry-run`, prints) the comment and the statuses, and appends
/// the body to the job summary.
#[cfg(feature = "github")]
fn publish(a: &ReportGithubArgs, body: &str, statuses: &[CommitStatus]) -> Result<()> {
    let (ctx, publisher) = if a.dry_run {
        (
            GithubContext::for_dry_run(a.pr, a.sha.clone()),
            Publisher::dry_run(),
        )
    } else {
        (
            GithubContext::from_env(a.pr, a.sha.clone())?,
            Publisher::new().with_comment_author(&a.comment_author),
        )
    };
    if let Err(e) = crate::github::write_step_summary(body) {
        eprintln!("warning: {e}");
    }
    let outcome = publisher.publish(&ctx, body, statuses)?;
    if outcome.dry_run {
        return print_out(&outcome.summary(&ctx));
    }
    let said = match &outcome.comment {
        CommentAction::Created { url, .. } => format!(
            "created the edgeperf comment: {}",
            url.as_deref().unwrap_or("?")
        ),
        CommentAction::Updated { url, .. } => format!(
            "updated the edgeperf comment: {}",
            url.as_deref().unwrap_or("?")
        ),
        CommentAction::SkippedNoPr => "no pull request: statuses only".to_string(),
        CommentAction::DryRun => String::new(),
    };
    eprintln!("{said}");
    Ok(())
}

//! Publishing benchmark comparisons to a GitHub pull request.
//!
//! * one PR comment, found again by the hidden [`MARKER`] and updated in place
//!   ("upsert"), so re-runs never spam the PR;
//! * one commit status per device (`edgeperf/<device>`) on the PR head commit;
//! * the same Markdown appended to the job summary (`$GITHUB_STEP_SUMMARY`).
//!
//! Everything is blocking (reqwest's blocking client, rustls with the *ring*
//! provider, certificates from the platform trust store) and bounded: 5xx
//! answers and network errors are retried with exponential backoff, rate limits
//! are waited out as GitHub asks, all within a [`RetryPolicy`].
//!
//! The token is sent only in the `Authorization` header. It never appears in a
//! [`GithubError`], in `Debug` output of [`GithubContext`], in a comment body or
//! in a status description (occurrences are replaced by `***`).

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Hidden HTML comment that identifies edgeperf's PR comment.
pub const MARKER: &str = "<!-- edgeperf:report -->";
/// GitHub's hard limit for an issue/PR comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;
/// What [`prepare_body`] aims for: a little below [`GITHUB_COMMENT_LIMIT`].
pub const BODY_TARGET_CHARS: usize = 65_000;
/// GitHub's limit for a commit status description, in characters.
pub const STATUS_DESCRIPTION_LIMIT: usize = 140;
/// GitHub's limit for one step's job summary (1 MiB); we stay a bit below.
pub const STEP_SUMMARY_LIMIT_BYTES: usize = 1_000_000;
/// Default REST endpoint (GitHub Enterprise Server sets `GITHUB_API_URL`).
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// Exit code of the CLI's "error" class (0 = ok, 1 = regression, 2 = error).
pub const EXIT_ERROR: i32 = 2;

const API_VERSION: &str = "2022-11-28";
const ACCEPT: &str = "application/vnd.github+json";
const MAX_PAGES: u32 = 200;

const PERMISSIONS_YAML: &str = "permissions:\n  pull-requests: write\n  statuses: write";

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Everything that can go wrong while talking to GitHub. Every message says
/// how to fix it and none contains the token.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("missing environment variable {var}: {hint}")]
    MissingEnv { var: String, hint: String },

    #[error("invalid {var}: {reason}")]
    InvalidEnv { var: String, reason: String },

    #[error("cannot read the GitHub event file {path} (GITHUB_EVENT_PATH): {reason}; pass --pr N instead")]
    EventFile { path: PathBuf, reason: String },

    #[error("GitHub answered 401 Unauthorized for {method} {path}: the token is missing, expired or invalid; set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}`)")]
    Unauthorized { method: String, path: String },

    #[error("GitHub answered 403 Forbidden for {method} {path} ({message}): the token lacks permission; give the job\n{yaml}\n(pull requests from forks only ever get a read-only GITHUB_TOKEN, so their results cannot be posted)", yaml = PERMISSIONS_YAML)]
    Forbidden {
        method: String,
        path: String,
        message: String,
    },

    #[error("GitHub answered 404 Not Found for {method} {path}: the repository or pull request does not exist or the token cannot access it; check GITHUB_REPOSITORY, --pr and the token's repository access")]
    NotFound { method: String, path: String },

    #[error("GitHub rate limit hit for {method} {path}: {detail}; try again after that (or raise the retry budget)")]
    RateLimited {
        method: String,
        path: String,
        detail: String,
        reset_epoch: Option<u64>,
    },

    #[error("GitHub answered {status} for {method} {path}: {message}")]
    Api {
        status: u16,
        method: String,
        path: String,
        message: String,
    },

    #[error("GitHub kept failing for {method} {path} ({detail}) after {attempts} attempt(s); GitHub may be degraded, rerun the job later")]
    Server {
        method: String,
        path: String,
        detail: String,
        attempts: u32,
    },

    #[error("cannot reach GitHub for {method} {path} after {attempts} attempt(s): {detail}; check GITHUB_API_URL and the runner's network/proxy")]
    Network {
        method: String,
        path: String,
        detail: String,
        attempts: u32,
    },

    #[error("unexpected answer from GitHub for {method} {path}: {detail}")]
    Protocol {
        method: String,
        path: String,
        detail: String,
    },

    #[error("cannot build the HTTP client: {0}")]
    Client(String),

    #[error("cannot write the job summary {path}: {reason}")]
    StepSummary { path: PathBuf, reason: String },
}

impl GithubError {
    /// The CLI exit code for this error: always the "error" class ([`EXIT_ERROR`]).
    pub fn exit_code(&self) -> i32 {
        EXIT_ERROR
    }

    /// Replaces every occurrence of `secret` in the error's text fields.
    fn redact(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let r = |s: String| redact_str(&s, secret);
        use GithubError::*;
        match self {
            MissingEnv { var, hint } => MissingEnv { var, hint: r(hint) },
            InvalidEnv { var, reason } => InvalidEnv {
                var,
                reason: r(reason),
            },
            EventFile { path, reason } => EventFile {
                path,
                reason: r(reason),
            },
            Unauthorized { method, path } => Unauthorized {
                method,
                path: r(path),
            },
            Forbidden {
                method,
                path,
                message,
            } => Forbidden {
                method,
                path: r(path),
                message: r(message),
            },
            NotFound { method, path } => NotFound {
                method,
                path: r(path),
            },
            RateLimited {
                method,
                path,
                detail,
                reset_epoch,
            } => RateLimited {
                method,
                path: r(path),
                detail: r(detail),
                reset_epoch,
            },
            Api {
                status,
                method,
                path,
                message,
            } => Api {
                status,
                method,
                path: r(path),
                message: r(message),
            },
            Server {
                method,
                path,
                detail,
                attempts,
            } => Server {
                method,
                path: r(path),
                detail: r(detail),
                attempts,
            },
            Network {
                method,
                path,
                detail,
                attempts,
            } => Network {
                method,
                path: r(path),
                detail: r(detail),
                attempts,
            },
            Protocol {
                method,
                path,
                detail,
            } => Protocol {
                method,
                path: r(path),
                detail: r(detail),
            },
            Client(s) => Client(r(s)),
            StepSummary { path, reason } => StepSummary {
                path,
                reason: r(reason),
            },
        }
    }
}

fn redact_str(s: &str, secret: &str) -> String {
    if secret.is_empty() {
        s.to_string()
    } else {
        s.replace(secret, "***")
    }
}

// ---------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------

/// Where to publish: API endpoint, credentials, repository, PR and commit.
#[derive(Clone, PartialEq, Eq)]
pub struct GithubContext {
    /// `GITHUB_API_URL`, default `https://api.github.com`; no trailing slash.
    pub api_url: String,
    /// `GITHUB_TOKEN`. Never printed: `Debug` shows `***`.
    pub token: String,
    /// `owner/name` (`GITHUB_REPOSITORY`).
    pub repository: String,
    /// PR number: `--pr`, else `pull_request.number` / `issue.number` of the event.
    pub pr: Option<u64>,
    /// Commit for the statuses: `--sha`, else the PR head, else `GITHUB_SHA`.
    pub sha: String,
}

impl fmt::Debug for GithubContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubContext")
            .field("api_url", &self.api_url)
            .field(
                "token",
                &if self.token.is_empty() {
                    "<empty>"
                } else {
                    "***"
                },
            )
            .field("repository", &self.repository)
            .field("pr", &self.pr)
            .field("sha", &self.sha)
            .finish()
    }
}

impl GithubContext {
    /// Reads `GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL`,
    /// `GITHUB_EVENT_PATH` and `GITHUB_SHA` from the process environment.
    /// `pr` / `sha` (from `--pr` / `--sha`) win over the environment.
    pub fn from_env(pr: Option<u64>, sha: Option<String>) -> Result<Self, GithubError> {
        Self::from_lookup(pr, sha, |k| std::env::var(k).ok())
    }

    /// [`from_env`](Self::from_env) with an injectable variable lookup (tests).
    pub fn from_lookup(
        pr: Option<u64>,
        sha: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, GithubError> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let token = get("GITHUB_TOKEN").ok_or_else(|| GithubError::MissingEnv {
            var: "GITHUB_TOKEN".into(),
            hint: "set it to a token with pull-requests: write and statuses: write (in a workflow: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`)".into(),
        })?;
        let repository = get("GITHUB_REPOSITORY").ok_or_else(|| GithubError::MissingEnv {
            var: "GITHUB_REPOSITORY".into(),
            hint: "set it to owner/name (GitHub Actions sets it automatically)".into(),
        })?;
        validate_repository(&repository)?;
        let api_url = normalize_api_url(get("GITHUB_API_URL").as_deref())?;

        let event = match get("GITHUB_EVENT_PATH") {
            Some(p) => Some(EventInfo::read(Path::new(&p))?),
            None => None,
        };
        let pr = pr.or_else(|| event.as_ref().and_then(|e| e.pr));

        let sha = sha
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .or_else(|| event.as_ref().and_then(|e| e.head_sha.clone()))
            .or_else(|| get("GITHUB_SHA"))
            .ok_or_else(|| GithubError::MissingEnv {
                var: "GITHUB_SHA".into(),
                hint: "pass --sha <commit> (GitHub Actions sets GITHUB_SHA automatically)".into(),
            })?;
        validate_sha(&sha)?;

        Ok(GithubContext {
            api_url,
            token,
            repository,
            pr,
            sha,
        })
    }

    /// A best-effort context for `--dry-run`: never fails, needs no token,
    /// fills what is missing with placeholders.
    pub fn for_dry_run(pr: Option<u64>, sha: Option<String>) -> Self {
        Self::for_dry_run_lookup(pr, sha, |k| std::env::var(k).ok())
    }

    /// [`for_dry_run`](Self::for_dry_run) with an injectable variable lookup.
    pub fn for_dry_run_lookup(
        pr: Option<u64>,
        sha: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let event = get("GITHUB_EVENT_PATH").and_then(|p| EventInfo::read(Path::new(&p)).ok());
        GithubContext {
            api_url: normalize_api_url(get("GITHUB_API_URL").as_deref())
                .unwrap_or_else(|_| DEFAULT_API_URL.into()),
            token: String::new(),
            repository: get("GITHUB_REPOSITORY").unwrap_or_else(|| "<owner>/<repo>".into()),
            pr: pr.or_else(|| event.as_ref().and_then(|e| e.pr)),
            sha: sha
                .or_else(|| event.as_ref().and_then(|e| e.head_sha.clone()))
                .or_else(|| get("GITHUB_SHA"))
                .unwrap_or_else(|| "<sha>".into()),
        }
    }
}

fn validate_repository(repo: &str) -> Result<(), GithubError> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repo.split_once('/') {
        Some((o, n)) if ok_part(o) && ok_part(n) => Ok(()),
        _ => Err(GithubError::InvalidEnv {
            var: "GITHUB_REPOSITORY".into(),
            reason: format!("{repo:?} is not of the form owner/name"),
        }),
    }
}

fn validate_sha(sha: &str) -> Result<(), GithubError> {
    if (4..=64).contains(&sha.len()) && sha.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(GithubError::InvalidEnv {
            var: "commit sha (--sha / GITHUB_SHA)".into(),
            reason: format!("{sha:?} is not a hexadecimal commit id"),
        })
    }
}

fn normalize_api_url(v: Option<&str>) -> Result<String, GithubError> {
    let url = v
        .unwrap_or(DEFAULT_API_URL)
        .trim_end_matches('/')
        .to_string();
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url)
    } else {
        Err(GithubError::InvalidEnv {
            var: "GITHUB_API_URL".into(),
            reason: format!("{url:?} is not an http(s) URL (e.g. https://api.github.com or https://ghe.example.com/api/v3)"),
        })
    }
}

/// The parts of `$GITHUB_EVENT_PATH` that matter here.
#[derive(Debug, Default)]
struct EventInfo {
    pr: Option<u64>,
    head_sha: Option<String>,
}

impl EventInfo {
    fn read(path: &Path) -> Result<Self, GithubError> {
        let err = |reason: String| GithubError::EventFile {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(format!("not JSON: {e}")))?;
        let pr_obj = v.get("pull_request").filter(|p| p.is_object());
        let pr = pr_obj
            .and_then(|p| p.get("number"))
            .and_then(|n| n.as_u64())
            .or_else(|| {
                v.get("issue")
                    .and_then(|i| i.get("number"))
                    .and_then(|n| n.as_u64())
            })
            .or_else(|| {
                v.get("number")
                    .and_then(|n| n.as_u64())
                    .filter(|_| pr_obj.is_some())
            });
        // For pull_request events GITHUB_SHA is the test merge commit; the PR's
        // checks live on the head commit.
        let head_sha = pr_obj
            .and_then(|p| p.get("head"))
            .and_then(|h| h.get("sha"))
            .and_then(|s| s.as_str())
            .map(str::to_string);
        Ok(EventInfo { pr, head_sha })
    }
}

// ---------------------------------------------------------------------------
// Statuses
// ---------------------------------------------------------------------------

/// State of a commit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    Success,
    Failure,
    Error,
    Pending,
}

impl StatusState {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Success => "success",
            StatusState::Failure => "failure",
            StatusState::Error => "error",
            StatusState::Pending => "pending",
        }
    }
}

impl fmt::Display for StatusState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One commit status, e.g. context `edgeperf/jetson-nano`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStatus {
    /// `edgeperf/<device>`.
    pub context: String,
    pub state: StatusState,
    /// At most 140 characters; longer ones are cut with `…` when published.
    pub description: String,
    pub target_url: Option<String>,
}

impl CommitStatus {
    /// A status with context `edgeperf/<device>` and the description already
    /// cut to GitHub's 140 characters.
    pub fn for_device(
        device: &str,
        state: StatusState,
        description: &str,
        target_url: Option<String>,
    ) -> Self {
        CommitStatus {
            context: format!("edgeperf/{device}"),
            state,
            description: truncate_description(description),
            target_url,
        }
    }
}

/// Cuts a status description to [`STATUS_DESCRIPTION_LIMIT`] characters
/// (ending in `…` when it had to cut).
pub fn truncate_description(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= STATUS_DESCRIPTION_LIMIT {
        return s.to_string();
    }
    let mut out: String = s.chars().take(STATUS_DESCRIPTION_LIMIT - 1).collect();
    out.push('…');
    out
}

// ---------------------------------------------------------------------------
// Body preparation
// ---------------------------------------------------------------------------

/// Adds the hidden [`MARKER`] (first line) and cuts the body below GitHub's
/// 65,536-character limit ([`BODY_TARGET_CHARS`]): on a line boundary when one
/// is near, never inside the marker or a UTF-8 character, closing an open code
/// fence, and ending with a visible "… truncated: N more characters" note.
pub fn prepare_body(markdown: &str) -> String {
    prepare_body_with_limit(markdown, BODY_TARGET_CHARS)
}

/// [`prepare_body`] with an explicit limit in characters (at least ~200).
pub fn prepare_body_with_limit(markdown: &str, limit_chars: usize) -> String {
    // One marker, always at the top; drop copies the caller may have added.
    let content = markdown.replace(MARKER, "");
    let content = content.trim_start_matches(['\r', '\n']);
    let head = format!("{MARKER}\n");
    let head_chars = head.chars().count();
    let content_chars = content.chars().count();
    if head_chars + content_chars <= limit_chars {
        return head + content;
    }

    // Room for the note, sized for the largest possible N.
    let note = |n: usize, fence: bool| {
        format!(
            "{}\n\n> **… truncated: {n} more characters; see the workflow artifacts for the full report.**\n",
            if fence { "\n```" } else { "" }
        )
    };
    let reserve = note(content_chars, true).chars().count();
    let budget = limit_chars.saturating_sub(head_chars + reserve);

    // Byte index of the `budget`-th char: always a char boundary.
    let cut = content
        .char_indices()
        .nth(budget)
        .map(|(i, _)| i)
        .unwrap_or(content.len());
    let mut kept = &content[..cut];
    // Prefer a line boundary if one is within the last quarter of the budget.
    if let Some(nl) = kept.rfind('\n') {
        if kept[..nl].chars().count() >= budget * 3 / 4 {
            kept = &content[..nl];
        }
    }
    let kept = kept.trim_end_matches(['\r']);
    let omitted = content_chars - kept.chars().count();
    let open_fence = kept
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count()
        % 2
        == 1;
    let mut out = head;
    out.push_str(kept);
    out.push_str(&note(omitted, open_fence));
    out
}

/// Appends `markdown` to `$GITHUB_STEP_SUMMARY` when it is set. Returns the
/// file written, or `None` when the variable is unset (not in Actions).
pub fn write_step_summary(markdown: &str) -> Result<Option<PathBuf>, GithubError> {
    match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
        Some(p) => {
            let p = PathBuf::from(p);
            write_step_summary_to(&p, markdown)?;
            Ok(Some(p))
        }
        None => Ok(None),
    }
}

/// Appends `markdown` (cut below GitHub's 1 MiB per-step limit) to `path`.
pub fn write_step_summary_to(path: &Path, markdown: &str) -> Result<(), GithubError> {
    let text = if markdown.len() > STEP_SUMMARY_LIMIT_BYTES {
        let mut cut = STEP_SUMMARY_LIMIT_BYTES - 200;
        while !markdown.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = markdown[..cut].rfind('\n').unwrap_or(cut);
        format!(
            "{}\n\n> **… truncated: {} more bytes; see the workflow artifacts.**\n",
            &markdown[..cut],
            markdown.len() - cut
        )
    } else {
        markdown.to_string()
    };
    let err = |e: std::io::Error| GithubError::StepSummary {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)?;
    if !text.ends_with('\n') {
        f.write_all(b"\n").map_err(err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Publisher
// ---------------------------------------------------------------------------

/// How hard to try. Attempts count per request; the wait budget is shared by
/// the whole [`Publisher::publish`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, including the first (default 5).
    pub max_attempts: u32,
    /// Total time all retries of one publish may sleep (default 60 s). A rate
    /// limit that resets later than this fails at once, saying when it resets.
    pub max_total_wait: Duration,
    /// First backoff after a 5xx / network error, doubled each time (default 1 s).
    pub base_backoff: Duration,
    /// Cap for one backoff step (default 20 s).
    pub max_backoff: Duration,
    /// Per-request timeout (default 30 s).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_total_wait: Duration::from_secs(60),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// What happened to the PR comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentAction {
    Created {
        id: u64,
        url: Option<String>,
    },
    Updated {
        id: u64,
        url: Option<String>,
    },
    /// No PR number (e.g. a push build): only statuses were set.
    SkippedNoPr,
    /// `--dry-run`: nothing was sent.
    DryRun,
}

/// Result of [`Publisher::publish`].
#[derive(Debug, Clone)]
pub struct PublishOutcome {
    pub dry_run: bool,
    pub comment: CommentAction,
    /// The body as sent (or as it would be sent): marker added, truncated, token redacted.
    pub body: String,
    /// The statuses set (or that would be set), descriptions already cut.
    pub statuses: Vec<CommitStatus>,
    /// Retries made (all requests together).
    pub retries: u32,
    /// Time spent sleeping between retries.
    pub waited: Duration,
}

impl PublishOutcome {
    /// Human-readable account; for a dry run it includes the full body.
    pub fn summary(&self, ctx: &GithubContext) -> String {
        let mut s = String::new();
        let pr = ctx
            .pr
            .map(|n| format!("#{n}"))
            .unwrap_or_else(|| "(no PR)".into());
        match &self.comment {
            CommentAction::DryRun => s.push_str(&format!(
                "dry run: would upsert the edgeperf comment on {} PR {pr} ({} characters) and set {} status(es) on {}:\n",
                ctx.repository,
                self.body.chars().count(),
                self.statuses.len(),
                ctx.sha
            )),
            CommentAction::Created { id, url } => s.push_str(&format!(
                "created comment {id} on PR {pr}{}\n",
                url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default()
            )),
            CommentAction::Updated { id, url } => s.push_str(&format!(
                "updated comment {id} on PR {pr}{}\n",
                url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default()
            )),
            CommentAction::SkippedNoPr => s.push_str("no pull request number: comment skipped\n"),
        }
        if !self.dry_run {
            s.push_str(&format!(
                "set {} status(es) on {}:\n",
                self.statuses.len(),
                ctx.sha
            ));
        }
        for st in &self.statuses {
            s.push_str(&format!(
                "  {:<24} {:<8} {}\n",
                st.context,
                st.state.as_str(),
                st.description
            ));
        }
        if self.dry_run {
            s.push_str("----- comment body -----\n");
            s.push_str(&self.body);
            if !self.body.ends_with('\n') {
                s.push('\n');
            }
            s.push_str("----- end of comment body -----\n");
        }
        s
    }
}

type Sleeper = Arc<dyn Fn(Duration) + Send + Sync>;

/// Posts the report comment and the commit statuses.
#[derive(Clone)]
pub struct Publisher {
    policy: RetryPolicy,
    dry_run: bool,
    sleeper: Sleeper,
    user_agent: String,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("policy", &self.policy)
            .field("dry_run", &self.dry_run)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl Default for Publisher {
    fn default() -> Self {
        Self::new()
    }
}

impl Publisher {
    /// A publisher with the default [`RetryPolicy`].
    pub fn new() -> Self {
        Self::with_policy(RetryPolicy::default())
    }

    pub fn with_policy(policy: RetryPolicy) -> Self {
        Publisher {
            policy,
            dry_run: false,
            sleeper: Arc::new(std::thread::sleep),
            user_agent: format!("edgeperf/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// A publisher that sends nothing: [`publish`](Self::publish) only prepares
    /// the body and statuses and returns them ([`CommentAction::DryRun`]).
    pub fn dry_run() -> Self {
        Publisher {
            dry_run: true,
            ..Self::new()
        }
    }

    /// Replaces `std::thread::sleep` (tests record waits instead of sleeping).
    pub fn with_sleeper(mut self, sleeper: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Upserts the PR comment (when `ctx.pr` is set), then sets each status.
    pub fn publish(
        &self,
        ctx: &GithubContext,
        body_markdown: &str,
        statuses: &[CommitStatus],
    ) -> Result<PublishOutcome, GithubError> {
        let body = prepare_body(&redact_str(body_markdown, &ctx.token));
        let statuses: Vec<CommitStatus> = statuses
            .iter()
            .map(|s| CommitStatus {
                context: s.context.clone(),
                state: s.state,
                description: truncate_description(&redact_str(&s.description, &ctx.token)),
                target_url: s.target_url.clone(),
            })
            .collect();
        if self.dry_run {
            return Ok(PublishOutcome {
                dry_run: true,
                comment: CommentAction::DryRun,
                body,
                statuses,
                retries: 0,
                waited: Duration::ZERO,
            });
        }
        let session = Session::new(self, ctx)?;
        let result = (|| {
            let comment = match ctx.pr {
                Some(pr) => session.upsert_comment(pr, &body)?,
                None => CommentAction::SkippedNoPr,
            };
            for st in &statuses {
                session.set_status(st)?;
            }
            Ok(comment)
        })();
        match result {
            Ok(comment) => Ok(PublishOutcome {
                dry_run: false,
                comment,
                body,
                statuses,
                retries: session.retries.get(),
                waited: session.waited.get(),
            }),
            Err(e) => Err(GithubError::redact(e, &ctx.token)),
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Resp {
    fn json(&self, method: &str, path: &str) -> Result<serde_json::Value, GithubError> {
        serde_json::from_str(&self.body).map_err(|e| GithubError::Protocol {
            method: method.into(),
            path: path.into(),
            detail: format!("response is not JSON ({e})"),
        })
    }
}

/// A failure worth retrying, and how long GitHub asked us to wait (if it did).
enum Transient {
    Network(String),
    Server(u16, String),
    RateLimit {
        wait: Option<Duration>,
        reset_epoch: Option<u64>,
        message: String,
    },
}

enum Step {
    Done(Resp),
    Retry(Transient),
    Fail(GithubError),
}

struct Session<'a> {
    p: &'a Publisher,
    ctx: &'a GithubContext,
    client: reqwest::blocking::Client,
    retries: std::cell::Cell<u32>,
    waited: std::cell::Cell<Duration>,
}

impl<'a> Session<'a> {
    fn new(p: &'a Publisher, ctx: &'a GithubContext) -> Result<Self, GithubError> {
        // reqwest is built with `rustls-no-provider`: install ring once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::blocking::Client::builder()
            .user_agent(p.user_agent.clone())
            .timeout(p.policy.request_timeout)
            .connect_timeout(p.policy.request_timeout.min(Duration::from_secs(10)));
        if is_loopback(&ctx.api_url) {
            b = b.no_proxy();
        }
        let client = b.build().map_err(|e| GithubError::Client(e.to_string()))?;
        Ok(Session {
            p,
            ctx,
            client,
            retries: 0.into(),
            waited: Duration::ZERO.into(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.ctx.api_url, path)
    }

    /// One request, classified.
    fn send_once(&self, method: &str, url: &str, body: Option<&serde_json::Value>) -> Step {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("valid method");
        let mut rb = self
            .client
            .request(m, url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", self.ctx.token),
            )
            .header(reqwest::header::ACCEPT, ACCEPT)
            .header("X-GitHub-Api-Version", API_VERSION);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = match rb.send() {
            Ok(r) => r,
            Err(e) => return Step::Retry(Transient::Network(error_chain(&e))),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = match resp.text() {
            Ok(t) => t,
            Err(e) => return Step::Retry(Transient::Network(error_chain(&e))),
        };
        let r = Resp {
            status,
            headers,
            body,
        };
        let path = path_of(url, &self.ctx.api_url);
        let message = github_message(&r.body);
        match status {
            200..=299 => Step::Done(r),
            403 | 429 if is_rate_limited(&r, &message) => {
                let (wait, reset_epoch) = rate_limit_wait(&r.headers);
                Step::Retry(Transient::RateLimit {
                    wait,
                    reset_epoch,
                    message,
                })
            }
            401 => Step::Fail(GithubError::Unauthorized {
                method: method.into(),
                path,
            }),
            403 => Step::Fail(GithubError::Forbidden {
                method: method.into(),
                path,
                message,
            }),
            404 => Step::Fail(GithubError::NotFound {
                method: method.into(),
                path,
            }),
            500..=599 => Step::Retry(Transient::Server(status, message)),
            _ => Step::Fail(GithubError::Api {
                status,
                method: method.into(),
                path,
                message,
            }),
        }
    }

    /// Decides whether (and how long) to wait after the `attempt`-th failure;
    /// sleeps and returns `Ok(())`, or returns the final error.
    fn wait_or_fail(
        &self,
        method: &str,
        url: &str,
        attempt: u32,
        t: Transient,
    ) -> Result<(), GithubError> {
        let path = path_of(url, &self.ctx.api_url);
        let policy = &self.p.policy;
        let left = policy.max_total_wait.saturating_sub(self.waited.get());
        let (wait, give_up) = match &t {
            Transient::RateLimit { wait, .. } => {
                let w = wait.unwrap_or_else(|| policy.backoff(attempt));
                (w, attempt >= policy.max_attempts || w > left)
            }
            _ => {
                let w = policy.backoff(attempt);
                (w, attempt >= policy.max_attempts || w > left)
            }
        };
        if give_up {
            return Err(match t {
                Transient::Network(detail) => GithubError::Network {
                    method: method.into(),
                    path,
                    detail,
                    attempts: attempt,
                },
                Transient::Server(status, message) => GithubError::Server {
                    method: method.into(),
                    path,
                    detail: format!(
                        "{status} {}",
                        if message.is_empty() {
                            reason(status)
                        } else {
                            &message
                        }
                    ),
                    attempts: attempt,
                },
                Transient::RateLimit {
                    wait: w,
                    reset_epoch,
                    message,
                } => {
                    let when = match (reset_epoch, w) {
                        (Some(e), _) => format!("it resets at {} (epoch {e})", fmt_epoch_utc(e)),
                        (None, Some(w)) => format!("GitHub asked to retry after {} s", w.as_secs()),
                        (None, None) => "GitHub gave no reset time".to_string(),
                    };
                    let msg = if message.is_empty() {
                        String::new()
                    } else {
                        format!(" ({message})")
                    };
                    GithubError::RateLimited {
                        method: method.into(),
                        path,
                        detail: format!(
                            "{when}, beyond the retry budget ({} attempt(s), {} s total wait){msg}",
                            attempt,
                            policy.max_total_wait.as_secs()
                        ),
                        reset_epoch,
                    }
                }
            });
        }
        (self.p.sleeper)(wait);
        self.waited.set(self.waited.get() + wait);
        self.retries.set(self.retries.get() + 1);
        Ok(())
    }

    /// A request retried as the policy allows (for idempotent requests).
    fn execute(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Resp, GithubError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.send_once(method, url, body) {
                Step::Done(r) => return Ok(r),
                Step::Fail(e) => return Err(e),
                Step::Retry(t) => self.wait_or_fail(method, url, attempt, t)?,
            }
        }
    }

    /// Id and URL of the oldest comment carrying the marker, following pages.
    fn find_marker_comment(&self, pr: u64) -> Result<Option<(u64, Option<String>)>, GithubError> {
        let repo = &self.ctx.repository;
        let first = self.url(&format!(
            "/repos/{repo}/issues/{pr}/comments?per_page=100&page=1"
        ));
        let mut url = first;
        let mut page = 1u32;
        loop {
            let resp = self.execute("GET", &url, None)?;
            let path = path_of(&url, &self.ctx.api_url);
            let v = resp.json("GET", &path)?;
            let items = v.as_array().ok_or_else(|| GithubError::Protocol {
                method: "GET".into(),
                path: path.clone(),
                detail: "expected a JSON array of comments".into(),
            })?;
            if items.is_empty() {
                return Ok(None);
            }
            for c in items {
                let body = c.get("body").and_then(|b| b.as_str()).unwrap_or("");
                if body.contains(MARKER) {
                    if let Some(id) = c.get("id").and_then(|i| i.as_u64()) {
                        let html = c
                            .get("html_url")
                            .and_then(|u| u.as_str())
                            .map(str::to_string);
                        return Ok(Some((id, html)));
                    }
                }
            }
            page += 1;
            if page > MAX_PAGES {
                return Ok(None);
            }
            // Follow `Link: rel="next"` when it points at the same API (the
            // token must not go elsewhere); without one, a full page means
            // "try the next page", a short page means "done".
            url = match link_next(&resp.headers) {
                Some(next) if same_api(&next, &self.ctx.api_url) => next,
                Some(_) | None if items.len() >= 100 => self.url(&format!(
                    "/repos/{repo}/issues/{pr}/comments?per_page=100&page={page}"
                )),
                _ => return Ok(None),
            };
        }
    }

    fn upsert_comment(&self, pr: u64, body: &str) -> Result<CommentAction, GithubError> {
        let repo = &self.ctx.repository;
        let payload = serde_json::json!({ "body": body });
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some((id, _)) = self.find_marker_comment(pr)? {
                let url = self.url(&format!("/repos/{repo}/issues/comments/{id}"));
                let r = match self.execute("PATCH", &url, Some(&payload)) {
                    Ok(r) => r,
                    // Deleted between listing and updating: look again.
                    Err(GithubError::NotFound { .. }) if attempt < self.p.policy.max_attempts => {
                        continue
                    }
                    Err(e) => return Err(e),
                };
                let html = r
                    .json("PATCH", &path_of(&url, &self.ctx.api_url))
                    .ok()
                    .and_then(|v| {
                        v.get("html_url")
                            .and_then(|u| u.as_str())
                            .map(str::to_string)
                    });
                return Ok(CommentAction::Updated { id, url: html });
            }
            // Creating is not idempotent: after a 5xx / network error the
            // comment may exist anyway, so retry the whole find-then-write.
            let url = self.url(&format!("/repos/{repo}/issues/{pr}/comments"));
            match self.send_once("POST", &url, Some(&payload)) {
                Step::Done(r) => {
                    let path = path_of(&url, &self.ctx.api_url);
                    let v = r.json("POST", &path)?;
                    let id = v.get("id").and_then(|i| i.as_u64()).ok_or_else(|| {
                        GithubError::Protocol {
                            method: "POST".into(),
                            path,
                            detail: "created comment has no id".into(),
                        }
                    })?;
                    let html = v
                        .get("html_url")
                        .and_then(|u| u.as_str())
                        .map(str::to_string);
                    return Ok(CommentAction::Created { id, url: html });
                }
                Step::Fail(e) => return Err(e),
                Step::Retry(t) => self.wait_or_fail("POST", &url, attempt, t)?,
            }
        }
    }

    fn set_status(&self, st: &CommitStatus) -> Result<(), GithubError> {
        let url = self.url(&format!(
            "/repos/{}/statuses/{}",
            self.ctx.repository, self.ctx.sha
        ));
        let mut payload = serde_json::json!({
            "state": st.state.as_str(),
            "context": st.context,
            "description": st.description,
        });
        if let Some(t) = &st.target_url {
            payload["target_url"] = serde_json::Value::String(t.clone());
        }
        self.execute("POST", &url, Some(&payload)).map(|_| ())
    }
}

fn same_api(url: &str, api_url: &str) -> bool {
    url.strip_prefix(api_url)
        .is_some_and(|rest| rest.starts_with('/'))
}

fn is_loopback(api_url: &str) -> bool {
    let rest = api_url.split_once("://").map(|(_, r)| r).unwrap_or(api_url);
    let host = rest.split('/').next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The URL without the API base (what error messages show).
fn path_of(url: &str, api_url: &str) -> String {
    url.strip_prefix(api_url).unwrap_or(url).to_string()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let cs = c.to_string();
        if !s.contains(&cs) {
            s.push_str(": ");
            s.push_str(&cs);
        }
        src = c.source();
    }
    s
}

fn github_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            let t = body.trim();
            let mut s: String = t.chars().take(200).collect();
            if t.chars().count() > 200 {
                s.push('…');
            }
            s.replace(['\n', '\r'], " ")
        })
}

fn header_str<'h>(h: &'h reqwest::header::HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn is_rate_limited(r: &Resp, message: &str) -> bool {
    r.status == 429
        || header_str(&r.headers, "retry-after").is_some()
        || header_str(&r.headers, "x-ratelimit-remaining") == Some("0")
        || message.to_ascii_lowercase().contains("rate limit")
}

/// How long GitHub asks us to wait, and when the limit resets.
fn rate_limit_wait(h: &reqwest::header::HeaderMap) -> (Option<Duration>, Option<u64>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let reset = if header_str(h, "x-ratelimit-remaining") == Some("0") {
        header_str(h, "x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok())
    } else {
        None
    };
    if let Some(secs) = header_str(h, "retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return (Some(Duration::from_secs(secs)), reset.or(Some(now + secs)));
    }
    if let Some(r) = reset {
        // +1 s: the reset second itself may still be limited.
        return (
            Some(Duration::from_secs(r.saturating_sub(now) + 1)),
            Some(r),
        );
    }
    // Secondary rate limit without headers: GitHub says wait at least a minute.
    (Some(Duration::from_secs(60)), None)
}

fn link_next(h: &reqwest::header::HeaderMap) -> Option<String> {
    for value in h.get_all(reqwest::header::LINK) {
        let Ok(v) = value.to_str() else { continue };
        for part in v.split(',') {
            let mut segs = part.split(';');
            let Some(url) = segs.next() else { continue };
            let url = url.trim().trim_start_matches('<').trim_end_matches('>');
            if segs.any(|s| {
                let s = s.trim().replace(' ', "");
                s == "rel=\"next\"" || s == "rel=next"
            }) {
                return Some(url.to_string());
            }
        }
    }
    None
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn fmt_epoch_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formatting() {
        assert_eq!(fmt_epoch_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_epoch_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(fmt_epoch_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn link_header_parsing() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::LINK,
            "<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            link_next(&h).as_deref(),
            Some("https://api.github.com/x?page=2")
        );
        h.insert(
            reqwest::header::LINK,
            "<https://api.github.com/x?page=1>; rel=\"prev\""
                .parse()
                .unwrap(),
        );
        assert_eq!(link_next(&h), None);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_secs(1));
        assert_eq!(p.backoff(3), Duration::from_secs(4));
        assert_eq!(p.backoff(40), Duration::from_secs(20));
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("http://127.0.0.1:4000"));
        assert!(is_loopback("http://localhost:80/api/v3"));
        assert!(is_loopback("http://[::1]:9"));
        assert!(!is_loopback("https://api.github.com"));
    }

    #[test]
    fn description_truncation() {
        let d = truncate_description(&"x".repeat(300));
        assert_eq!(d.chars().count(), 140);
        assert!(d.ends_with('…'));
        assert_eq!(truncate_description("short"), "short");
    }
}

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
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod body;
mod context;
mod error;
mod status;

pub use body::{
    prepare_body, prepare_body_with_limit, write_step_summary, write_step_summary_to,
    BODY_TARGET_CHARS, GITHUB_COMMENT_LIMIT, MARKER, STEP_SUMMARY_LIMIT_BYTES,
};
pub use context::{GithubContext, DEFAULT_API_URL};
use error::redact_str;
pub use error::{GithubError, EXIT_ERROR};
pub use status::{truncate_description, CommitStatus, StatusState, STATUS_DESCRIPTION_LIMIT};

const API_VERSION: &str = "2022-11-28";
const ACCEPT: &str = "application/vnd.github+json";
const MAX_PAGES: u32 = 200;

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
}

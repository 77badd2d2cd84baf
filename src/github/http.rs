//! The HTTP session with GitHub's REST API: authenticated requests, answers
//! sorted into done / retry / fail, retries with exponential backoff and
//! rate-limit waits within a [`RetryPolicy`], and pagination (`Link: rel="next"`).

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::context::GithubContext;
use super::error::GithubError;

const API_VERSION: &str = "2022-11-28";
const ACCEPT: &str = "application/vnd.github+json";
/// Most pages [`Session::find_in_pages`] reads (20,000 items).
const MAX_PAGES: u32 = 200;
/// Items per page asked for (GitHub's maximum).
const PER_PAGE: usize = 100;

/// How hard to try. Attempts count per request; the wait budget is shared by
/// the whole [`Publisher::publish`](super::Publisher::publish) call.
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

pub(super) type Sleeper = std::sync::Arc<dyn Fn(Duration) + Send + Sync>;

/// An answer read to the end: status, headers and body text.
pub(super) struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Resp {
    pub(super) fn json(&self, method: &str, path: &str) -> Result<serde_json::Value, GithubError> {
        serde_json::from_str(&self.body).map_err(|e| GithubError::Protocol {
            method: method.into(),
            path: path.into(),
            detail: format!("response is not JSON ({e})"),
        })
    }
}

/// A failure worth retrying, and how long GitHub asked us to wait (if it did).
pub(super) enum Transient {
    Network(String),
    Server(u16, String),
    RateLimit {
        wait: Option<Duration>,
        reset_epoch: Option<u64>,
        message: String,
    },
}

impl Transient {
    /// The error reported when the retry budget does not allow another attempt.
    fn into_error(
        self,
        method: &str,
        path: String,
        attempts: u32,
        policy: &RetryPolicy,
    ) -> GithubError {
        match self {
            Transient::Network(detail) => GithubError::Network {
                method: method.into(),
                path,
                detail,
                attempts,
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
                attempts,
            },
            Transient::RateLimit {
                wait,
                reset_epoch,
                message,
            } => GithubError::RateLimited {
                method: method.into(),
                path,
                detail: rate_limit_detail(wait, reset_epoch, &message, attempts, policy),
                reset_epoch,
            },
        }
    }
}

/// What one attempt of a request came to.
pub(super) enum Step {
    Done(Resp),
    Retry(Transient),
    Fail(GithubError),
}

/// One publish's connection to the API: the client, and the retries and wait
/// time spent so far (the wait budget is shared by all requests).
pub(super) struct Session<'a> {
    ctx: &'a GithubContext,
    policy: &'a RetryPolicy,
    sleeper: &'a (dyn Fn(Duration) + Send + Sync),
    client: reqwest::blocking::Client,
    retries: Cell<u32>,
    waited: Cell<Duration>,
}

impl<'a> Session<'a> {
    pub(super) fn new(
        ctx: &'a GithubContext,
        policy: &'a RetryPolicy,
        sleeper: &'a (dyn Fn(Duration) + Send + Sync),
        user_agent: &str,
    ) -> Result<Self, GithubError> {
        // reqwest is built with `rustls-no-provider`: install ring once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::blocking::Client::builder()
            .user_agent(user_agent)
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout.min(Duration::from_secs(10)));
        if is_loopback(&ctx.api_url) {
            b = b.no_proxy();
        }
        let client = b.build().map_err(|e| GithubError::Client(e.to_string()))?;
        Ok(Session {
            ctx,
            policy,
            sleeper,
            client,
            retries: 0.into(),
            waited: Duration::ZERO.into(),
        })
    }

    pub(super) fn ctx(&self) -> &GithubContext {
        self.ctx
    }

    pub(super) fn policy(&self) -> &RetryPolicy {
        self.policy
    }

    /// Retries made so far (all requests together).
    pub(super) fn retries(&self) -> u32 {
        self.retries.get()
    }

    /// Time slept between retries so far.
    pub(super) fn waited(&self) -> Duration {
        self.waited.get()
    }

    /// The full URL of an API path such as `/repos/o/n/statuses/<sha>`.
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{}", self.ctx.api_url, path)
    }

    /// `url` without the API base, as error messages show it.
    pub(super) fn path(&self, url: &str) -> String {
        path_of(url, &self.ctx.api_url)
    }

    /// One request, classified.
    pub(super) fn send_once(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Step {
        match self.request(method, url, body) {
            Ok(r) => self.classify(method, url, r),
            Err(t) => Step::Retry(t),
        }
    }

    /// Sends one authenticated request and reads the whole answer; failing to
    /// send it or to read the answer is a network problem, worth a retry.
    fn request(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Resp, Transient> {
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
        let resp = rb.send().map_err(|e| Transient::Network(error_chain(&e)))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .text()
            .map_err(|e| Transient::Network(error_chain(&e)))?;
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    /// Done (2xx), worth a retry (rate limit, 5xx) or a final error that says
    /// what to fix (401, 403, 404, other statuses).
    fn classify(&self, method: &str, url: &str, r: Resp) -> Step {
        let status = r.status;
        let path = self.path(url);
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
    pub(super) fn wait_or_fail(
        &self,
        method: &str,
        url: &str,
        attempt: u32,
        t: Transient,
    ) -> Result<(), GithubError> {
        let policy = self.policy;
        let left = policy.max_total_wait.saturating_sub(self.waited.get());
        let wait = match &t {
            Transient::RateLimit { wait: Some(w), .. } => *w,
            _ => policy.backoff(attempt),
        };
        if attempt >= policy.max_attempts || wait > left {
            return Err(t.into_error(method, self.path(url), attempt, policy));
        }
        (self.sleeper)(wait);
        self.waited.set(self.waited.get() + wait);
        self.retries.set(self.retries.get() + 1);
        Ok(())
    }

    /// A request retried as the policy allows (for idempotent requests).
    pub(super) fn execute(
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

    /// GETs the list at `list_path` page by page (`per_page=100`, at most
    /// [`MAX_PAGES`] pages) and returns the first item `pick` accepts, or
    /// `None` at the end of the list. `what` names the items in errors.
    pub(super) fn find_in_pages<T>(
        &self,
        list_path: &str,
        what: &str,
        mut pick: impl FnMut(&serde_json::Value) -> Option<T>,
    ) -> Result<Option<T>, GithubError> {
        let mut url = self.page_url(list_path, 1);
        let mut page = 1u32;
        loop {
            let resp = self.execute("GET", &url, None)?;
            let path = self.path(&url);
            let v = resp.json("GET", &path)?;
            let items = v.as_array().ok_or_else(|| GithubError::Protocol {
                method: "GET".into(),
                path: path.clone(),
                detail: format!("expected a JSON array of {what}"),
            })?;
            if items.is_empty() {
                return Ok(None);
            }
            if let Some(found) = items.iter().find_map(&mut pick) {
                return Ok(Some(found));
            }
            page += 1;
            if page > MAX_PAGES {
                return Ok(None);
            }
            match self.next_page_url(&resp, items.len(), list_path, page) {
                Some(next) => url = next,
                None => return Ok(None),
            }
        }
    }

    fn page_url(&self, list_path: &str, page: u32) -> String {
        let sep = if list_path.contains('?') { '&' } else { '?' };
        self.url(&format!("{list_path}{sep}per_page={PER_PAGE}&page={page}"))
    }

    /// Where the list goes on: `Link: rel="next"` when it points at the same
    /// API (the token must not go elsewhere); without one, a full page means
    /// "try page `page`", a short page means "done" (`None`).
    fn next_page_url(
        &self,
        resp: &Resp,
        items_on_page: usize,
        list_path: &str,
        page: u32,
    ) -> Option<String> {
        match link_next(&resp.headers) {
            Some(next) if same_api(&next, &self.ctx.api_url) => Some(next),
            _ if items_on_page >= PER_PAGE => Some(self.page_url(list_path, page)),
            _ => None,
        }
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

/// Why a rate limit ends the publish: when it resets (or how long GitHub asked
/// to wait), the budget it exceeds, and GitHub's own message.
fn rate_limit_detail(
    wait: Option<Duration>,
    reset_epoch: Option<u64>,
    message: &str,
    attempts: u32,
    policy: &RetryPolicy,
) -> String {
    let when = match (reset_epoch, wait) {
        (Some(e), _) => format!("it resets at {} (epoch {e})", fmt_epoch_utc(e)),
        (None, Some(w)) => format!("GitHub asked to retry after {} s", w.as_secs()),
        (None, None) => "GitHub gave no reset time".to_string(),
    };
    let msg = if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    };
    format!(
        "{when}, beyond the retry budget ({} attempt(s), {} s total wait){msg}",
        attempts,
        policy.max_total_wait.as_secs()
    )
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

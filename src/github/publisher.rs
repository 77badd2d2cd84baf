//! [`Publisher`]: upserts the one PR comment found again by its [`MARKER`], then
//! sets the commit statuses, all through one HTTP `Session`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::error::redact_str;
use super::http::{link_next, path_of, same_api, Session, Sleeper, Step, MAX_PAGES};
use super::{
    prepare_body, truncate_description, CommitStatus, GithubContext, GithubError, RetryPolicy,
    MARKER,
};

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
        let session = Session::new(ctx, &self.policy, &*self.sleeper, &self.user_agent)?;
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

impl Session<'_> {
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
                    Err(GithubError::NotFound { .. }) if attempt < self.policy.max_attempts => {
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

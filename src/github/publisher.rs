//! [`Publisher`]: upserts the one PR comment found again by its [`MARKER`], then
//! sets the commit statuses, all through one HTTP `Session`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::body::{prepare_body, MARKER};
use super::context::GithubContext;
use super::error::{redact_str, GithubError};
use super::http::{Resp, RetryPolicy, Session, Sleeper, Step};
use super::issues::{IssueAction, IssueDraft};
use super::status::CommitStatus;

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
    comment_author: String,
}

/// The account `GITHUB_TOKEN` posts as in GitHub Actions.
pub const DEFAULT_COMMENT_AUTHOR: &str = "github-actions[bot]";

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("policy", &self.policy)
            .field("dry_run", &self.dry_run)
            .field("user_agent", &self.user_agent)
            .field("comment_author", &self.comment_author)
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
            comment_author: DEFAULT_COMMENT_AUTHOR.to_string(),
        }
    }

    /// The login whose comment carrying the [`MARKER`] is the one to update
    /// (default [`DEFAULT_COMMENT_AUTHOR`]); anyone else's copy of the marker is
    /// ignored, so a comment quoting it is never overwritten.
    pub fn with_comment_author(mut self, login: &str) -> Self {
        self.comment_author = login.to_string();
        self
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
            .map(|s| s.for_publishing(&ctx.token))
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
        let comment = send_all(&session, ctx.pr, &body, &statuses, &self.comment_author)
            .map_err(|e| GithubError::redact(e, &ctx.token))?;
        Ok(PublishOutcome {
            dry_run: false,
            comment,
            body,
            statuses,
            retries: session.retries(),
            waited: session.waited(),
        })
    }
}

impl Publisher {
    /// Opens the issue carrying `draft.marker`, or updates it when the
    /// publisher's account opened it before (open or closed). The token is
    /// redacted from title and body; the body is cut below GitHub's limit.
    pub fn upsert_issue(
        &self,
        ctx: &GithubContext,
        draft: &IssueDraft,
    ) -> Result<IssueAction, GithubError> {
        if self.dry_run {
            return Ok(IssueAction::DryRun);
        }
        let mut draft = draft.clone();
        draft.title = redact_str(&draft.title, &ctx.token);
        draft.body = redact_str(&draft.body, &ctx.token);
        if draft.body.chars().count() > super::body::BODY_TARGET_CHARS {
            draft.body = draft
                .body
                .chars()
                .take(super::body::BODY_TARGET_CHARS)
                .collect::<String>()
                + "\n\n> **… truncated**\n";
        }
        let session = Session::new(ctx, &self.policy, &*self.sleeper, &self.user_agent)?;
        super::issues::upsert(&session, &draft, &self.comment_author)
            .map_err(|e| GithubError::redact(e, &ctx.token))
    }
}

/// The comment (when there is a PR), then each status; stops at the first error.
fn send_all(
    session: &Session,
    pr: Option<u64>,
    body: &str,
    statuses: &[CommitStatus],
    author: &str,
) -> Result<CommentAction, GithubError> {
    let comment = match pr {
        Some(pr) => upsert_comment(session, pr, body, author)?,
        None => CommentAction::SkippedNoPr,
    };
    for st in statuses {
        set_status(session, st)?;
    }
    Ok(comment)
}

/// Id of the oldest comment on PR `pr` that `author` wrote and that carries the
/// [`MARKER`] (a marker in anyone else's comment does not count).
fn find_marker_comment(
    session: &Session,
    pr: u64,
    author: &str,
) -> Result<Option<u64>, GithubError> {
    let list = format!("/repos/{}/issues/{pr}/comments", session.ctx().repository);
    session.find_in_pages(&list, "comments", |c| {
        let body = c.get("body").and_then(|b| b.as_str()).unwrap_or("");
        let login = c.pointer("/user/login").and_then(|l| l.as_str());
        if body.contains(MARKER) && login == Some(author) {
            c.get("id").and_then(|i| i.as_u64())
        } else {
            None
        }
    })
}

/// Updates the marker comment if there is one, else creates it.
fn upsert_comment(
    session: &Session,
    pr: u64,
    body: &str,
    author: &str,
) -> Result<CommentAction, GithubError> {
    let payload = serde_json::json!({ "body": body });
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(id) = find_marker_comment(session, pr, author)? {
            match update_comment(session, id, &payload) {
                // Deleted between listing and updating: look again.
                Err(GithubError::NotFound { .. }) if attempt < session.policy().max_attempts => {
                    continue
                }
                result => return result,
            }
        }
        // Creating is not idempotent: after a 5xx / network error the
        // comment may exist anyway, so retry the whole find-then-write.
        let url = session.url(&format!(
            "/repos/{}/issues/{pr}/comments",
            session.ctx().repository
        ));
        match session.send_once("POST", &url, Some(&payload)) {
            Step::Done(r) => return created_comment(session, &url, &r),
            Step::Fail(e) => return Err(e),
            Step::Retry(t) => session.wait_or_fail("POST", &url, attempt, t)?,
        }
    }
}

/// PATCHes comment `id` (retried as the policy allows).
fn update_comment(
    session: &Session,
    id: u64,
    payload: &serde_json::Value,
) -> Result<CommentAction, GithubError> {
    let url = session.url(&format!(
        "/repos/{}/issues/comments/{id}",
        session.ctx().repository
    ));
    let r = session.execute("PATCH", &url, Some(payload))?;
    let html = r
        .json("PATCH", &session.path(&url))
        .ok()
        .and_then(|v| html_url(&v));
    Ok(CommentAction::Updated { id, url: html })
}

/// The comment a successful POST to `url` created.
fn created_comment(session: &Session, url: &str, r: &Resp) -> Result<CommentAction, GithubError> {
    let path = session.path(url);
    let v = r.json("POST", &path)?;
    let id = v
        .get("id")
        .and_then(|i| i.as_u64())
        .ok_or_else(|| GithubError::Protocol {
            method: "POST".into(),
            path,
            detail: "created comment has no id".into(),
        })?;
    Ok(CommentAction::Created {
        id,
        url: html_url(&v),
    })
}

fn html_url(comment: &serde_json::Value) -> Option<String> {
    comment
        .get("html_url")
        .and_then(|u| u.as_str())
        .map(str::to_string)
}

fn set_status(session: &Session, st: &CommitStatus) -> Result<(), GithubError> {
    let ctx = session.ctx();
    let url = session.url(&format!("/repos/{}/statuses/{}", ctx.repository, ctx.sha));
    session
        .execute("POST", &url, Some(&st.payload()))
        .map(|_| ())
}

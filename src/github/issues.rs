//! Issues found again by a hidden marker: opened, or updated in place
//! ("upsert"), never opened twice. The regression alerts of the default
//! branch (`report alerts`) use it, one issue per path and paired step.
//!
//! The issue is looked for among the issues (open or closed) the token's
//! account opened (`creator`), so a marker quoted in someone else's issue is
//! never taken for ours; pull requests in the list are ignored.

use super::error::GithubError;
use super::http::{Session, Step};

/// One issue to open or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueDraft {
    /// Hidden text that identifies the issue (an HTML comment in its body).
    pub marker: String,
    pub title: String,
    /// Markdown; must contain `marker`.
    pub body: String,
    /// Labels given when the issue is opened.
    pub labels: Vec<String>,
}

/// What happened to an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueAction {
    Created {
        number: u64,
        url: Option<String>,
    },
    Updated {
        number: u64,
        url: Option<String>,
    },
    /// `--dry-run`: nothing was sent.
    DryRun,
}

/// The number of the oldest issue `author` opened whose body carries `marker`.
fn find(session: &Session, marker: &str, author: &str) -> Result<Option<u64>, GithubError> {
    let list = format!(
        "/repos/{}/issues?state=all&creator={}",
        session.ctx().repository,
        author.replace('[', "%5B").replace(']', "%5D")
    );
    session.find_in_pages(&list, "issues", |i| {
        let body = i.get("body").and_then(|b| b.as_str()).unwrap_or("");
        let login = i.pointer("/user/login").and_then(|l| l.as_str());
        let pull = i.get("pull_request").is_some();
        if !pull && login == Some(author) && body.contains(marker) {
            i.get("number").and_then(|n| n.as_u64())
        } else {
            None
        }
    })
}

fn action(v: &serde_json::Value, created: bool) -> Option<IssueAction> {
    let number = v.get("number")?.as_u64()?;
    let url = v
        .get("html_url")
        .and_then(|u| u.as_str())
        .map(str::to_string);
    Some(if created {
        IssueAction::Created { number, url }
    } else {
        IssueAction::Updated { number, url }
    })
}

/// Updates the issue carrying the draft's marker, else opens it.
pub(super) fn upsert(
    session: &Session,
    draft: &IssueDraft,
    author: &str,
) -> Result<IssueAction, GithubError> {
    let repo = &session.ctx().repository;
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(n) = find(session, &draft.marker, author)? {
            let url = session.url(&format!("/repos/{repo}/issues/{n}"));
            let payload = serde_json::json!({ "title": draft.title, "body": draft.body });
            let r = session.execute("PATCH", &url, Some(&payload))?;
            let v = r.json("PATCH", &session.path(&url))?;
            return Ok(action(&v, false).unwrap_or(IssueAction::Updated {
                number: n,
                url: None,
            }));
        }
        // Opening is not idempotent: after a 5xx or a network error the issue
        // may exist anyway, so the whole find-then-open is retried.
        let url = session.url(&format!("/repos/{repo}/issues"));
        let payload = serde_json::json!({
            "title": draft.title,
            "body": draft.body,
            "labels": draft.labels,
        });
        match session.send_once("POST", &url, Some(&payload)) {
            Step::Done(r) => {
                let path = session.path(&url);
                let v = r.json("POST", &path)?;
                return action(&v, true).ok_or(GithubError::Protocol {
                    method: "POST".into(),
                    path,
                    detail: "the opened issue has no number".into(),
                });
            }
            Step::Fail(e) => return Err(e),
            Step::Retry(t) => session.wait_or_fail("POST", &url, attempt, t)?,
        }
    }
}

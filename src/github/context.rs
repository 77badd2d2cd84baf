//! [`GithubContext`]: where to publish, read from the Actions environment
//! (`GITHUB_*` variables and the event file), validated before any request.

use std::fmt;
use std::path::Path;

use super::error::{fs_reason, GithubError};

/// Default REST endpoint (GitHub Enterprise Server sets `GITHUB_API_URL`).
pub const DEFAULT_API_URL: &str = "https://api.github.com";

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

/// The page of the running workflow, the `target_url` of the commit statuses:
/// `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID` (all
/// three set by GitHub Actions); `None` outside Actions or when one is unusable.
pub fn workflow_run_url(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    let get = |k: &str| {
        lookup(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let server = get("GITHUB_SERVER_URL")?;
    let server = server.trim_end_matches('/');
    let repository = get("GITHUB_REPOSITORY")?;
    let run_id = get("GITHUB_RUN_ID")?;
    let ok = (server.starts_with("https://") || server.starts_with("http://"))
        && validate_repository(&repository).is_ok()
        && run_id.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| format!("{server}/{repository}/actions/runs/{run_id}"))
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
        let text = crate::fs::read_to_string(path).map_err(|e| err(fs_reason(e)))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_run_url_needs_all_three_variables() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        const ALL: [(&str, &str); 3] = [
            ("GITHUB_SERVER_URL", "https://github.com/"),
            ("GITHUB_REPOSITORY", "acme/models"),
            ("GITHUB_RUN_ID", "1234567890"),
        ];
        assert_eq!(
            workflow_run_url(env(&ALL)).as_deref(),
            Some("https://github.com/acme/models/actions/runs/1234567890")
        );
        assert_eq!(workflow_run_url(env(&ALL[..2])), None);
        assert_eq!(
            workflow_run_url(env(&[
                ("GITHUB_SERVER_URL", "https://github.com"),
                ("GITHUB_REPOSITORY", "acme/models"),
                ("GITHUB_RUN_ID", "12; rm -rf /"),
            ])),
            None
        );
    }

    #[test]
    fn unreadable_event_file_is_named_once_with_the_os_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        let err = EventInfo::read(&path).unwrap_err();
        let os = std::fs::read_to_string(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read the GitHub event file {} (GITHUB_EVENT_PATH): {os}; pass --pr N instead",
                path.display()
            )
        );
    }
}

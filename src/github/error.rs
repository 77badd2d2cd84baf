//! [`GithubError`]: everything that can go wrong while publishing, and the
//! redaction that keeps the token out of every message.

use std::path::PathBuf;

/// Exit code of the CLI's "error" class (0 = ok, 1 = regression, 2 = error).
pub const EXIT_ERROR: i32 = 2;

const PERMISSIONS_YAML: &str = "permissions:\n  pull-requests: write\n  statuses: write";

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

    /// Replaces every occurrence of `secret` in the error's text fields (the
    /// free text and the request path; not the method, the name of a variable
    /// or a local file path).
    pub(super) fn redact(mut self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let r = |s: &mut String| *s = redact_str(s, secret);
        use GithubError::*;
        match &mut self {
            MissingEnv { hint, .. } => r(hint),
            InvalidEnv { reason, .. } | EventFile { reason, .. } | StepSummary { reason, .. } => {
                r(reason)
            }
            Unauthorized { path, .. } | NotFound { path, .. } => r(path),
            Forbidden { path, message, .. } | Api { path, message, .. } => {
                r(path);
                r(message);
            }
            RateLimited { path, detail, .. }
            | Server { path, detail, .. }
            | Network { path, detail, .. }
            | Protocol { path, detail, .. } => {
                r(path);
                r(detail);
            }
            Client(s) => r(s),
        }
        self
    }
}

/// The reason of a [`crate::fs`] error, for the `GithubError` variants that
/// name the file themselves ([`GithubError::EventFile`],
/// [`GithubError::StepSummary`]): for an I/O error only the OS message, as
/// `crate::Error::Io` would otherwise print the path a second time.
pub(super) fn fs_reason(e: crate::fs::FsError) -> String {
    e.source.to_string()
}

pub(super) fn redact_str(s: &str, secret: &str) -> String {
    if secret.is_empty() {
        s.to_string()
    } else {
        s.replace(secret, "***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ghs_secret";

    #[test]
    fn redact_replaces_the_token_in_text_and_path_only() {
        let e = GithubError::Forbidden {
            method: "POST".into(),
            path: format!("/x?t={TOKEN}"),
            message: format!("bad {TOKEN}, {TOKEN}"),
        }
        .redact(TOKEN);
        let GithubError::Forbidden {
            method,
            path,
            message,
        } = &e
        else {
            panic!("variant changed: {e:?}");
        };
        assert_eq!(
            (method.as_str(), path.as_str(), message.as_str()),
            ("POST", "/x?t=***", "bad ***, ***")
        );

        let e = GithubError::RateLimited {
            method: "GET".into(),
            path: TOKEN.into(),
            detail: TOKEN.into(),
            reset_epoch: Some(7),
        }
        .redact(TOKEN);
        assert!(
            matches!(&e, GithubError::RateLimited { path, detail, reset_epoch: Some(7), .. }
                if path == "***" && detail == "***"),
            "{e:?}"
        );
        let e = GithubError::EventFile {
            path: PathBuf::from("ev.json"),
            reason: TOKEN.into(),
        }
        .redact(TOKEN);
        assert!(!e.to_string().contains(TOKEN), "{e}");
    }

    #[test]
    fn redact_with_an_empty_secret_changes_nothing() {
        let e = GithubError::Client("a b".into()).redact("");
        assert!(matches!(&e, GithubError::Client(s) if s == "a b"), "{e:?}");
    }

    #[test]
    fn fs_reason_drops_the_path_of_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone.json");
        let e = crate::fs::read_to_string(&missing).unwrap_err();
        let os = std::fs::read_to_string(&missing).unwrap_err();
        assert_eq!(fs_reason(e), os.to_string());
    }
}

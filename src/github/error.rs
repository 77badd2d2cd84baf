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

    /// Replaces every occurrence of `secret` in the error's text fields.
    pub(super) fn redact(self, secret: &str) -> Self {
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

/// The reason of a [`crate::fs`] error, for the `GithubError` variants that
/// name the file themselves ([`GithubError::EventFile`],
/// [`GithubError::StepSummary`]): for an I/O error only the OS message, as
/// `crate::Error::Io` would otherwise print the path a second time.
pub(super) fn fs_reason(e: crate::Error) -> String {
    match e {
        crate::Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

pub(super) fn redact_str(s: &str, secret: &str) -> String {
    if secret.is_empty() {
        s.to_string()
    } else {
        s.replace(secret, "***")
    }
}

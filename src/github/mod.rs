//! Publishing benchmark comparisons to a GitHub pull request.
//!
//! * one PR comment, found again by the hidden [`MARKER`] and updated in place
//!   ("upsert"), so re-runs never spam the PR;
//! * one commit status per device (`edgeperf/<device>`) on the PR head commit;
//! * the same Markdown appended to the job summary (`$GITHUB_STEP_SUMMARY`);
//! * on the default branch, one issue per path and paired step, found again by
//!   its own hidden marker and updated in place (`issues`: regression alerts).
//!
//! Everything is blocking (reqwest's blocking client, rustls with the *ring*
//! provider, certificates from the platform trust store) and bounded: 5xx
//! answers and network errors are retried with exponential backoff, rate limits
//! are waited out as GitHub asks, all within a [`RetryPolicy`].
//!
//! The token is sent only in the `Authorization` header. It never appears in a
//! [`GithubError`], in `Debug` output of [`GithubContext`], in a comment body or
//! in a status description (occurrences are replaced by `***`).
//!
//! Layout: `context` (where to publish, from the Actions environment), `body`
//! (comment body and job summary), `status` (commit statuses), `publisher`
//! (the comment upsert and status calls), `issues` (the issue upsert), `http`
//! (requests, retries, rate limits, pagination) and `error`. Everything public is re-exported here.

mod body;
mod context;
mod error;
mod http;
mod issues;
mod publisher;
mod status;

pub use body::{
    prepare_body, prepare_body_with_limit, write_step_summary, write_step_summary_to,
    BODY_TARGET_CHARS, GITHUB_COMMENT_LIMIT, MARKER, STEP_SUMMARY_LIMIT_BYTES,
};
pub use context::{workflow_run_url, GithubContext, DEFAULT_API_URL};
pub use error::{GithubError, EXIT_ERROR};
pub use http::RetryPolicy;
pub use issues::{IssueAction, IssueDraft};
pub use publisher::{CommentAction, PublishOutcome, Publisher, DEFAULT_COMMENT_AUTHOR};
pub use status::{truncate_description, CommitStatus, StatusState, STATUS_DESCRIPTION_LIMIT};

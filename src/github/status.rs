//! Commit statuses: one per device (`edgeperf/<device>`) on the PR head commit,
//! with descriptions cut to GitHub's limit.

use std::fmt;

use serde::{Deserialize, Serialize};

/// GitHub's limit for a commit status description, in characters.
pub const STATUS_DESCRIPTION_LIMIT: usize = 140;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_truncation() {
        let d = truncate_description(&"x".repeat(300));
        assert_eq!(d.chars().count(), 140);
        assert!(d.ends_with('…'));
        assert_eq!(truncate_description("short"), "short");
    }
}

//! Commit statuses: one per device (`edgeperf/<device>`) on the PR head commit,
//! with descriptions cut to GitHub's limit.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::redact_str;

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

    /// The status as it is sent: `token` replaced by `***` in the description,
    /// which is then cut to [`STATUS_DESCRIPTION_LIMIT`].
    pub(super) fn for_publishing(&self, token: &str) -> Self {
        CommitStatus {
            context: self.context.clone(),
            state: self.state,
            description: truncate_description(&redact_str(&self.description, token)),
            target_url: self.target_url.clone(),
        }
    }

    /// The JSON body of `POST /repos/{owner}/{repo}/statuses/{sha}`.
    pub(super) fn payload(&self) -> serde_json::Value {
        let mut payload = serde_json::json!({
            "state": self.state.as_str(),
            "context": self.context,
            "description": self.description,
        });
        if let Some(t) = &self.target_url {
            payload["target_url"] = serde_json::Value::String(t.clone());
        }
        payload
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

    #[test]
    fn status_for_publishing_and_its_payload() {
        let long = format!("{} token ghs_x", "y".repeat(200));
        let st = CommitStatus {
            context: "edgeperf/cpu".into(),
            state: StatusState::Failure,
            description: format!("leaked ghs_x {long}"),
            target_url: None,
        }
        .for_publishing("ghs_x");
        assert!(st.description.starts_with("leaked *** y"));
        assert_eq!(st.description.chars().count(), STATUS_DESCRIPTION_LIMIT);
        assert_eq!(
            st.payload(),
            serde_json::json!({
                "state": "failure",
                "context": "edgeperf/cpu",
                "description": st.description,
            })
        );
        let with_url = CommitStatus {
            target_url: Some("https://ci/1".into()),
            ..st
        };
        assert_eq!(with_url.payload()["target_url"], "https://ci/1");
    }
}

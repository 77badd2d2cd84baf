//! The Markdown that is published: the PR comment body (marker first, cut below
//! GitHub's 65,536-character limit) and the job summary (`$GITHUB_STEP_SUMMARY`).

use std::path::{Path, PathBuf};

use super::error::{fs_reason, GithubError};

/// Hidden HTML comment that identifies edgeperf's PR comment.
pub const MARKER: &str = "<!-- edgeperf:report -->";
/// GitHub's hard limit for an issue/PR comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;
/// What [`prepare_body`] aims for: a little below [`GITHUB_COMMENT_LIMIT`].
pub const BODY_TARGET_CHARS: usize = 65_000;
/// GitHub's limit for one step's job summary (1 MiB); we stay a bit below.
pub const STEP_SUMMARY_LIMIT_BYTES: usize = 1_000_000;

/// Adds the hidden [`MARKER`] (first line) and cuts the body below GitHub's
/// 65,536-character limit ([`BODY_TARGET_CHARS`]): on a line boundary when one
/// is near, never inside the marker or a UTF-8 character, closing an open code
/// fence, and ending with a visible "… truncated: N more characters" note.
pub fn prepare_body(markdown: &str) -> String {
    prepare_body_with_limit(markdown, BODY_TARGET_CHARS)
}

/// [`prepare_body`] with an explicit limit in characters (at least ~200).
pub fn prepare_body_with_limit(markdown: &str, limit_chars: usize) -> String {
    // One marker, always at the top; drop copies the caller may have added.
    let content = markdown.replace(MARKER, "");
    let content = content.trim_start_matches(['\r', '\n']);
    let head = format!("{MARKER}\n");
    let head_chars = head.chars().count();
    let content_chars = content.chars().count();
    if head_chars + content_chars <= limit_chars {
        return head + content;
    }

    // Room for the note, sized for the largest possible N.
    let note = |n: usize, fence: bool| {
        format!(
            "{}\n\n> **… truncated: {n} more characters; see the workflow artifacts for the full report.**\n",
            if fence { "\n```" } else { "" }
        )
    };
    let reserve = note(content_chars, true).chars().count();
    let budget = limit_chars.saturating_sub(head_chars + reserve);

    // Byte index of the `budget`-th char: always a char boundary.
    let cut = content
        .char_indices()
        .nth(budget)
        .map(|(i, _)| i)
        .unwrap_or(content.len());
    let mut kept = &content[..cut];
    // Prefer a line boundary if one is within the last quarter of the budget.
    if let Some(nl) = kept.rfind('\n') {
        if kept[..nl].chars().count() >= budget * 3 / 4 {
            kept = &content[..nl];
        }
    }
    let kept = kept.trim_end_matches(['\r']);
    let omitted = content_chars - kept.chars().count();
    let open_fence = kept
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count()
        % 2
        == 1;
    let mut out = head;
    out.push_str(kept);
    out.push_str(&note(omitted, open_fence));
    out
}

/// Appends `markdown` to `$GITHUB_STEP_SUMMARY` when it is set. Returns the
/// file written, or `None` when the variable is unset (not in Actions).
pub fn write_step_summary(markdown: &str) -> Result<Option<PathBuf>, GithubError> {
    match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
        Some(p) => {
            let p = PathBuf::from(p);
            write_step_summary_to(&p, markdown)?;
            Ok(Some(p))
        }
        None => Ok(None),
    }
}

/// Appends `markdown` (cut below GitHub's 1 MiB per-step limit) to `path`.
pub fn write_step_summary_to(path: &Path, markdown: &str) -> Result<(), GithubError> {
    let mut text = cap_step_summary(markdown);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    crate::fs::append(path, text.as_bytes()).map_err(|e| GithubError::StepSummary {
        path: path.to_path_buf(),
        reason: fs_reason(e),
    })
}

/// `markdown` as is, or, above [`STEP_SUMMARY_LIMIT_BYTES`], cut on a line
/// boundary (never inside a UTF-8 character) with a visible "truncated" note.
fn cap_step_summary(markdown: &str) -> String {
    if markdown.len() <= STEP_SUMMARY_LIMIT_BYTES {
        return markdown.to_string();
    }
    let mut cut = STEP_SUMMARY_LIMIT_BYTES - 200;
    while !markdown.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = markdown[..cut].rfind('\n').unwrap_or(cut);
    format!(
        "{}\n\n> **… truncated: {} more bytes; see the workflow artifacts.**\n",
        &markdown[..cut],
        markdown.len() - cut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_summary_is_capped_below_the_limit_on_a_line_boundary() {
        assert_eq!(cap_step_summary("# small\n"), "# small\n");
        let exact = "é".repeat(STEP_SUMMARY_LIMIT_BYTES / 2);
        assert_eq!(cap_step_summary(&exact), exact, "at the limit: unchanged");

        let big = "row é\n".repeat(200_000);
        let capped = cap_step_summary(&big);
        assert!(capped.len() <= STEP_SUMMARY_LIMIT_BYTES, "{}", capped.len());
        let (kept, note) = capped.split_once("\n\n> **… truncated: ").unwrap();
        assert!(big.starts_with(kept) && kept.ends_with("row é"));
        assert_eq!(
            note,
            format!(
                "{} more bytes; see the workflow artifacts.**\n",
                big.len() - kept.len()
            )
        );
    }

    #[test]
    fn step_summary_write_error_names_the_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("summary.md");
        let err = write_step_summary_to(&path, "# x").unwrap_err();
        assert!(matches!(err, GithubError::StepSummary { .. }), "{err:?}");
        let msg = err.to_string();
        assert_eq!(
            msg.matches("summary.md").count(),
            1,
            "the reason must not repeat the path: {msg}"
        );
        assert!(msg.contains("No such file or directory"), "{msg}");
    }
}

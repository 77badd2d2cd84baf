//! How the site writes a history entry's values: numbers, dates, commits,
//! threads. Plain text (the pages escape it as they splice it in). A leaf of
//! the dashboard.

use crate::record::baseline::HistoryEntry;
use crate::suite::RuntimeKind;

/// Milliseconds with two decimals, or "-".
pub fn ms(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

/// A whole number (ms of cold start, MiB of memory), or "-".
pub fn whole(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.0}")).unwrap_or_else(|| "-".into())
}

/// A fraction as a percentage with one decimal, or "-".
pub fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The first 10 digits of a commit.
pub fn short(sha: &str) -> &str {
    match sha.char_indices().nth(10) {
        Some((i, _)) => &sha[..i],
        None => sha,
    }
}

/// The entry's commit, short, or "no commit".
pub fn commit_or_none(e: &HistoryEntry) -> &str {
    e.commit.as_deref().map(short).unwrap_or("no commit")
}

/// "2026-11-28 10:15" (UTC), without chrono's format parser: pages format it
/// thousands of times.
pub fn when(e: &HistoryEntry) -> String {
    use chrono::{Datelike, Timelike};
    let t = &e.accepted_at;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// "ms per image": the mean, or p50 for lines written before the mean was.
pub fn ms_per_image(e: &HistoryEntry) -> f64 {
    e.mean.unwrap_or(e.p50)
}

/// "intra/inter" threads, or "-" for lines written before threads were.
pub fn threads(e: &HistoryEntry) -> String {
    e.threads
        .map(|t| format!("{}/{}", t.intra, t.inter))
        .unwrap_or_else(|| "-".into())
}

/// The runtime's name: its kind (`onnxruntime`, `litert`, `external`), or
/// "unknown runtime" for a line written before the kind was recorded (it may
/// come from any runtime).
pub fn runtime_name(e: &HistoryEntry) -> &'static str {
    e.runtime_kind
        .map_or("unknown runtime", RuntimeKind::as_str)
}

/// The runtime and its version: "onnxruntime 1.31.1", "litert 1.4.0",
/// "external onnxruntime 1.31.1" (an external runner's version names the
/// runtime it drives), "unknown runtime 1.31.1".
pub fn runtime(e: &HistoryEntry) -> String {
    format!("{} {}", runtime_name(e), e.runtime_version)
        .trim_end()
        .to_string()
}

/// The lower edge of the latency band: the pooled p10, or the median round p10
/// for history lines written before `p10` was recorded.
pub fn band_low(e: &HistoryEntry) -> f64 {
    e.p10.unwrap_or(e.p10_rounds)
}

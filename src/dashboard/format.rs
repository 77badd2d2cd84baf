//! How the site writes a history entry's values: numbers, dates, commits,
//! threads, the runtime. A leaf of the dashboard.

use std::fmt::{self, Write};

use maud::Render;

use crate::record::baseline::HistoryEntry;
use crate::record::Threads;
use crate::suite::RuntimeKind;

/// Values written as digits, `.`, `-`, `%`, `:`, `/` and spaces only: they
/// implement `Display` (for tooltips built with `write!`) and maud's `Render`
/// by writing that text straight into the page, with no allocation of their
/// own (a page of 1,000 baselines writes tens of thousands of them) and no
/// escaping, as none of `&`, `<`, `>` or `"` can occur in them.
macro_rules! plain_text {
    ($($t:ty),*) => {$(
        impl Render for $t {
            fn render_to(&self, buffer: &mut String) {
                let _ = write!(buffer, "{self}");
            }
        }
    )*};
}

plain_text!(Ms, Whole, Pct, When, ThreadCounts);

/// Milliseconds with two decimals, or "-".
pub fn ms(x: f64) -> Ms {
    Ms(x)
}

pub struct Ms(f64);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_finite() {
            write!(f, "{:.2}", self.0)
        } else {
            f.write_str("-")
        }
    }
}

/// A whole number (ms of cold start, MiB of memory), or "-".
pub fn whole(x: Option<f64>) -> Whole {
    Whole(x)
}

pub struct Whole(Option<f64>);

impl fmt::Display for Whole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v:.0}"),
            None => f.write_str("-"),
        }
    }
}

/// A fraction as a percentage with one decimal, or "-".
pub fn pct(x: Option<f64>) -> Pct {
    Pct(x)
}

pub struct Pct(Option<f64>);

impl fmt::Display for Pct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{:.1}%", v * 100.0),
            None => f.write_str("-"),
        }
    }
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

/// "2026-11-28 10:15" (UTC), without chrono's format parser: pages write it
/// thousands of times.
pub fn when(e: &HistoryEntry) -> When {
    When(e.accepted_at)
}

pub struct When(chrono::DateTime<chrono::Utc>);

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::{Datelike, Timelike};
        let t = &self.0;
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        )
    }
}

/// "ms per image": the mean, or p50 for lines written before the mean was.
pub fn ms_per_image(e: &HistoryEntry) -> f64 {
    e.mean.unwrap_or(e.p50)
}

/// "intra/inter" threads, or "-" for lines written before threads were.
pub fn threads(e: &HistoryEntry) -> ThreadCounts {
    ThreadCounts(e.threads)
}

pub struct ThreadCounts(Option<Threads>);

impl fmt::Display for ThreadCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => write!(f, "{}/{}", t.intra, t.inter),
            None => f.write_str("-"),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use maud::html;

    #[test]
    fn values_read_the_same_in_text_and_in_a_page() {
        let mut e = crate::fixtures::history_entry(0, 9.0, Some(0.75));
        e.threads = Some(Threads { intra: 2, inter: 1 });
        assert_eq!(ms(9.456).to_string(), "9.46");
        assert_eq!(ms(f64::NAN).to_string(), "-");
        assert_eq!(
            (whole(Some(151.6)).to_string(), whole(None).to_string()),
            ("152".into(), "-".into())
        );
        assert_eq!(
            (pct(Some(0.7512)).to_string(), pct(None).to_string()),
            ("75.1%".into(), "-".into())
        );
        assert_eq!(threads(&e).to_string(), "2/1");
        assert_eq!(when(&e).to_string(), "2026-01-02 03:04");
        let page = html! { (ms(9.456)) " " (pct(e.top1)) " " (when(&e)) " " (threads(&e)) };
        assert_eq!(page.into_string(), "9.46 75.0% 2026-01-02 03:04 2/1");
        assert_eq!(runtime(&e), "unknown runtime 1.31.1");
        e.runtime_kind = Some(RuntimeKind::Litert);
        e.runtime_version = "1.4.0".into();
        assert_eq!(runtime(&e), "litert 1.4.0");
    }
}

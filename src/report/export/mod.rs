//! Every output format of `run`, `compare`, `history` and `env` (`--format`),
//! one file per format behind one [`Exporter`] trait, as hyperfine's `export/`:
//!
//! | format | run | compare | history | env |
//! |---|---|---|---|---|
//! | `text` | the table | table + reasons | one table per path | labelled lines |
//! | `json` | the run record | the comparison | paths with entries and change points | the fingerprint |
//! | `csv` | a row per path | a row per path | a row per entry | `key,value` rows |
//! | `markdown` | the table | the PR comment | a table per path | a two-column table |
//! | `bmf` | Bencher Metric Format: a benchmark per `device/model` | head values | latest entry per path | (refused) |
//!
//! Commands pick an exporter with [`exporter`] and print what it returns. Pure:
//! strings from documents.

pub mod bmf;
pub mod csv;
pub mod json;
pub mod markdown;
pub mod text;

use crate::compare::Comparison;
use crate::error::Result;
use crate::history::PathHistory;
use crate::record::RunRecord;
use crate::report::env::EnvReport;

/// `--format`: how a command writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for a terminal.
    Text,
    /// edgeperf's own documents (docs/RECORD.md).
    Json,
    /// Comma-separated values with a header row (RFC 4180), full precision.
    Csv,
    /// GitHub-flavoured Markdown tables.
    Markdown,
    /// Bencher Metric Format JSON (`bencher run --adapter json`).
    Bmf,
}

/// Links from a report to the dashboard page of a path (`device`, `model`),
/// when a site URL is known.
pub type PathLink<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// What a format may need besides the document.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// ANSI colours (text only).
    pub color: bool,
    /// Link each path to its dashboard page (Markdown only).
    pub path_link: Option<PathLink<'a>>,
}

/// One output format: how each command's document is written in it.
pub trait Exporter {
    fn run(&self, record: &RunRecord) -> Result<String>;
    fn comparison(&self, comparison: &Comparison) -> Result<String>;
    fn history(&self, histories: &[PathHistory]) -> Result<String>;
    fn env(&self, report: &EnvReport) -> Result<String>;
}

/// The exporter of `format`.
pub fn exporter<'a>(format: Format, options: Options<'a>) -> Box<dyn Exporter + 'a> {
    match format {
        Format::Text => Box::new(text::Text {
            color: options.color,
        }),
        Format::Json => Box::new(json::Json),
        Format::Csv => Box::new(csv::Csv),
        Format::Markdown => Box::new(markdown::Markdown {
            path_link: options.path_link,
        }),
        Format::Bmf => Box::new(bmf::Bmf),
    }
}

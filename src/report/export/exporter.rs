//! The [`Exporter`] trait every format implements, the `--format` choice, and
//! what a format may need besides the document.

use crate::compare::Comparison;
use crate::error::Result;
use crate::history::bisect::Report as BisectReport;
use crate::history::PathHistory;
use crate::record::RunRecord;
use crate::report::doctor::DoctorReport;
use crate::report::env::EnvReport;
use crate::report::markdown::PathLink;

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
    fn doctor(&self, report: &DoctorReport) -> Result<String>;
    fn bisect(&self, report: &BisectReport) -> Result<String>;
}

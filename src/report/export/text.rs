//! `--format text`: the aligned tables edgeperf has always printed.

use super::exporter::Exporter;
use crate::compare::Comparison;
use crate::error::Result;
use crate::history::bisect::Report as BisectReport;
use crate::history::PathHistory;
use crate::record::RunRecord;
use crate::report::doctor::DoctorReport;
use crate::report::env::EnvReport;

pub struct Text {
    /// ANSI colours in the comparison's verdict column.
    pub color: bool,
}

impl Exporter for Text {
    fn run(&self, record: &RunRecord) -> Result<String> {
        Ok(crate::report::run::run_table(record))
    }
    fn comparison(&self, c: &Comparison) -> Result<String> {
        Ok(crate::report::compare::text(c, self.color))
    }
    fn history(&self, h: &[PathHistory]) -> Result<String> {
        Ok(crate::report::history::render(h))
    }
    fn env(&self, report: &EnvReport) -> Result<String> {
        Ok(crate::report::env::text(report))
    }
    fn doctor(&self, report: &DoctorReport) -> Result<String> {
        Ok(crate::report::doctor::text(report))
    }
    fn bisect(&self, report: &BisectReport) -> Result<String> {
        Ok(crate::report::bisect::text(report))
    }
}

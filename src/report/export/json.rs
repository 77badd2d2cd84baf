//! `--format json`: edgeperf's own documents, pretty-printed (docs/RECORD.md).

use super::exporter::Exporter;
use crate::compare::Comparison;
use crate::error::Result;
use crate::history::bisect::Report as BisectReport;
use crate::history::PathHistory;
use crate::record::{to_json_pretty, RunRecord};
use crate::report::doctor::DoctorReport;
use crate::report::env::EnvReport;

pub struct Json;

impl Exporter for Json {
    fn run(&self, record: &RunRecord) -> Result<String> {
        to_json_pretty(record)
    }
    fn comparison(&self, c: &Comparison) -> Result<String> {
        to_json_pretty(c)
    }
    fn history(&self, h: &[PathHistory]) -> Result<String> {
        to_json_pretty(h)
    }
    fn env(&self, report: &EnvReport) -> Result<String> {
        to_json_pretty(report)
    }
    fn doctor(&self, report: &DoctorReport) -> Result<String> {
        to_json_pretty(report)
    }
    fn bisect(&self, report: &BisectReport) -> Result<String> {
        to_json_pretty(report)
    }
}

//! `--format markdown`: GitHub-flavoured Markdown tables. A comparison is the
//! pull-request comment itself; paths link to their dashboard page when a site
//! URL is known.

use super::exporter::Exporter;
use crate::compare::Comparison;
use crate::error::Result;
use crate::history::bisect::Report as BisectReport;
use crate::history::PathHistory;
use crate::record::RunRecord;
use crate::report::doctor::DoctorReport;
use crate::report::env::{lines, EnvReport};
use crate::report::markdown::{md_escape, model_cell, PathLink};
use crate::report::table::Align;

pub struct Markdown<'a> {
    pub path_link: Option<PathLink<'a>>,
}

/// A Markdown table; cells are escaped (`|`, `<`, `>`), except those that are
/// already Markdown (links built here).
pub fn table(columns: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut s = String::from("|");
    for (h, _) in columns {
        s += &format!(" {h} |");
    }
    s += "\n|";
    for (_, a) in columns {
        s += match a {
            Align::Left => "---|",
            Align::Right => "---:|",
        };
    }
    s.push('\n');
    for r in rows {
        s.push('|');
        for c in r {
            s += &format!(" {c} |");
        }
        s.push('\n');
    }
    s
}

impl Exporter for Markdown<'_> {
    fn run(&self, record: &RunRecord) -> Result<String> {
        let memory = crate::report::run::has_memory(record);
        let rows: Vec<Vec<String>> = record
            .paths
            .iter()
            .map(|p| {
                let mut r: Vec<String> = crate::report::run::row(p, memory)
                    .iter()
                    .map(|c| md_escape(c))
                    .collect();
                r[1] = model_cell(self.path_link, &p.device, &p.model);
                r
            })
            .collect();
        Ok(table(&crate::report::run::columns(memory), &rows))
    }

    fn comparison(&self, c: &Comparison) -> Result<String> {
        Ok(crate::report::compare::markdown_linked(
            std::slice::from_ref(c),
            &[],
            self.path_link,
        ))
    }

    fn history(&self, h: &[PathHistory]) -> Result<String> {
        let mut s = String::new();
        for p in h {
            let title = crate::report::history::title(p);
            let rest = &title[title.find(" (").unwrap_or(title.len())..];
            s += &format!(
                "### {}/{}{}\n\n",
                md_escape(&p.device),
                model_cell(self.path_link, &p.device, &p.model),
                md_escape(rest)
            );
            let rows: Vec<Vec<String>> = crate::report::history::rows(p)
                .into_iter()
                .map(|r| r.iter().map(|c| md_escape(c)).collect())
                .collect();
            s += &table(&crate::report::history::COLUMNS, &rows);
            s.push('\n');
        }
        if !h.is_empty() {
            s += &format!("*{}*\n", crate::report::history::LEGEND);
        }
        Ok(s)
    }

    fn doctor(&self, report: &DoctorReport) -> Result<String> {
        let rows: Vec<Vec<String>> = report
            .checks
            .iter()
            .map(|c| {
                let what = match &c.subject {
                    Some(s) => format!("{} {s}", c.check),
                    None => c.check.clone(),
                };
                vec![
                    c.status.as_str().to_string(),
                    md_escape(&what),
                    md_escape(&c.detail),
                    md_escape(c.fix.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        let cols = [
            ("status", Align::Left),
            ("check", Align::Left),
            ("found", Align::Left),
            ("fix", Align::Left),
        ];
        Ok(format!(
            "{}\n**{}**\n",
            table(&cols, &rows),
            report.verdict()
        ))
    }
    fn env(&self, report: &EnvReport) -> Result<String> {
        let rows: Vec<Vec<String>> = lines(report)
            .into_iter()
            .map(|(label, value)| vec![label.to_string(), md_escape(&value)])
            .collect();
        Ok(table(&[("", Align::Left), ("", Align::Left)], &rows))
    }
    fn bisect(&self, r: &BisectReport) -> Result<String> {
        use crate::report::bisect as b;
        let rows: Vec<Vec<String>> = r
            .steps
            .iter()
            .enumerate()
            .map(|(k, s)| b::step_row(r, k, s).iter().map(|c| md_escape(c)).collect())
            .collect();
        Ok(format!(
            "### {}\n\n{}\n**{}**\n\n{}\n",
            md_escape(&b::title(r)),
            table(&b::COLUMNS, &rows),
            md_escape(&b::outcome(r)),
            md_escape(&b::cost(r))
        ))
    }
}

//! What `edgeperf doctor` reports: one check per line, each ok, a warning, a
//! problem or skipped (a source this machine does not have, a check that does
//! not apply), with what to do about it; its document (the JSON) and its text.

use serde::Serialize;

use super::table::{Align, Table};

/// Version of the doctor document (`edgeperf doctor --format json`).
pub const DOCTOR_SCHEMA_VERSION: u32 = 1;

/// How a check came out. Only a problem makes the device not ready (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    /// Measurements will work but may be noisier or slower than they could be.
    Warn,
    /// Measurements would be wrong, refused or fail: fix before measuring.
    Problem,
    /// Not on this machine, or not applicable here.
    Skipped,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warn => "warn",
            CheckStatus::Problem => "problem",
            CheckStatus::Skipped => "skipped",
        }
    }
}

/// One check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// What was checked: "runtime", "provider", "governor", "throttling",
    /// "temperature", "power mode", "clocks", "memory", "disk", "artifact
    /// store", "runner hook", "device state".
    pub check: String,
    /// The device (suite device, or CPU policy, zone) it is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// What to do about it (warnings and problems).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn new(check: &str, status: CheckStatus, detail: impl Into<String>) -> Check {
        Check {
            check: check.into(),
            subject: None,
            status,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn about(mut self, subject: impl Into<String>) -> Check {
        self.subject = Some(subject.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// `edgeperf doctor`'s document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoctorReport {
    pub schema_version: u32,
    /// The root device state was read under (`/`, or `--sysroot`).
    pub sysroot: String,
    /// The suite whose devices were checked, if one was found.
    pub suite: Option<String>,
    pub checks: Vec<Check>,
    /// Checks with a problem; the device is ready when there are none.
    pub problems: usize,
    pub warnings: usize,
    pub ready: bool,
}

impl DoctorReport {
    pub fn new(sysroot: String, suite: Option<String>, checks: Vec<Check>) -> DoctorReport {
        let count = |s: CheckStatus| checks.iter().filter(|c| c.status == s).count();
        let (problems, warnings) = (count(CheckStatus::Problem), count(CheckStatus::Warn));
        DoctorReport {
            schema_version: DOCTOR_SCHEMA_VERSION,
            sysroot,
            suite,
            problems,
            warnings,
            ready: problems == 0,
            checks,
        }
    }

    /// The last line: whether the device is ready, and how many warnings.
    pub fn verdict(&self) -> String {
        let warnings = match self.warnings {
            0 => String::new(),
            1 => " (1 warning)".into(),
            n => format!(" ({n} warnings)"),
        };
        match self.problems {
            0 => format!("ready: no problem found{warnings}"),
            1 => format!("not ready: 1 problem{warnings}; fix it and run edgeperf doctor again"),
            n => {
                format!("not ready: {n} problems{warnings}; fix them and run edgeperf doctor again")
            }
        }
    }
}

/// The rows of the doctor table: status, check (with its subject), detail;
/// a fix as a row of its own under its check.
pub fn rows(report: &DoctorReport) -> Vec<[String; 3]> {
    let mut out = Vec::new();
    for c in &report.checks {
        let what = match &c.subject {
            Some(s) => format!("{} {s}", c.check),
            None => c.check.clone(),
        };
        out.push([c.status.as_str().to_string(), what, c.detail.clone()]);
        if let Some(f) = &c.fix {
            out.push([String::new(), String::new(), format!("fix: {f}")]);
        }
    }
    out
}

/// The text `edgeperf doctor` prints.
pub fn text(report: &DoctorReport) -> String {
    let mut t = Table::new(&[
        ("status", Align::Left),
        ("check", Align::Left),
        ("found", Align::Left),
    ]);
    for r in rows(report) {
        t.row(r.to_vec());
    }
    let mut out = format!("device state read under {}\n", report.sysroot);
    out.push_str(&t.render());
    out.push_str(&report.verdict());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_makes_the_device_not_ready_and_warnings_do_not() {
        let ok = DoctorReport::new(
            "/".into(),
            None,
            vec![
                Check::new("memory", CheckStatus::Ok, "2048 MiB available"),
                Check::new("governor", CheckStatus::Warn, "ondemand").fix("set performance"),
            ],
        );
        assert!(ok.ready);
        assert_eq!(ok.verdict(), "ready: no problem found (1 warning)");
        let bad = DoctorReport::new(
            "/".into(),
            None,
            vec![Check::new("throttling", CheckStatus::Problem, "under-voltage now").about("rpi4")],
        );
        assert!(!bad.ready && bad.problems == 1);
        let text = text(&bad);
        assert!(
            text.contains("problem  throttling rpi4  under-voltage now"),
            "{text}"
        );
        assert!(text.ends_with("not ready: 1 problem; fix it and run edgeperf doctor again\n"));
    }
}

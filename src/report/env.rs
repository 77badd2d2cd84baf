//! What `edgeperf env` reports: the environment fingerprint recorded with every
//! run, the suite, and each device's runtime library; and its text form.

use serde::Serialize;

use crate::record::Environment;

/// A device of the suite with the runtime library it would load.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceRuntime {
    pub device: String,
    /// onnxruntime, litert or external.
    pub runtime_kind: String,
    pub provider: String,
    pub library: Option<String>,
    pub version: Option<String>,
    /// Why the library cannot be used, when it cannot.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuiteSummary {
    pub file: String,
    pub sha256: String,
}

/// `edgeperf env`'s document (its JSON is this struct).
#[derive(Debug, Clone, Serialize)]
pub struct EnvReport {
    #[serde(flatten)]
    pub environment: Environment,
    pub suite: Option<SuiteSummary>,
    pub devices: Vec<DeviceRuntime>,
}

impl DeviceRuntime {
    /// "onnxruntime 1.31.1 at /lib/...", "unavailable: why", or for an
    /// external runner its program.
    pub fn describe(&self) -> String {
        let at = self.library.as_deref().unwrap_or("?");
        match (&self.version, &self.problem) {
            (Some(v), _) => format!("{} {v} at {at}", self.runtime_kind),
            (None, Some(p)) => format!("unavailable: {p}"),
            (None, None) => format!("external runner {at} (reports its runtime when it runs)"),
        }
    }
}

/// The report as labelled lines (label, value), in the order `env` prints them.
pub fn lines(report: &EnvReport) -> Vec<(&'static str, String)> {
    let e = &report.environment;
    let mut out = vec![
        ("edgeperf", e.edgeperf_version.clone()),
        (
            "time",
            e.timestamp
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
    ];
    out.push((
        "git",
        match &e.git {
            Some(g) => format!(
                "{} ({}){}",
                g.commit,
                g.branch.as_deref().unwrap_or("detached"),
                if g.dirty { ", dirty" } else { "" }
            ),
            None => "(not a git repository)".into(),
        },
    ));
    let h = &e.host;
    out.push(("host", format!("{} ({})", h.hostname, h.arch)));
    out.push(("cpu", format!("{} x {}", h.cores, h.cpu_model)));
    out.push(("os", format!("{} (kernel {})", h.os, h.kernel)));
    if let Some(su) = &report.suite {
        out.push((
            "suite",
            format!(
                "{} (sha256 {})",
                su.file,
                crate::compare::short_hash(&su.sha256)
            ),
        ));
    }
    for d in &report.devices {
        out.push((
            "device",
            format!("{} [{}]: {}", d.device, d.provider, d.describe()),
        ));
    }
    out
}

/// The text `edgeperf env` prints: one labelled line each.
pub fn text(report: &EnvReport) -> String {
    lines(report)
        .into_iter()
        .map(|(label, value)| format!("{label:<10} {value}\n"))
        .collect()
}

//! `edgeperf env`: the environment fingerprint, with each device's runtime library.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::output::print_out;
use crate::error::{Result, EXIT_OK};
use crate::record::Environment;
use crate::suite::Suite;

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The suite file.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct DeviceRuntime {
    device: String,
    runtime_kind: String,
    provider: String,
    library: Option<String>,
    version: Option<String>,
    problem: Option<String>,
}

#[derive(Serialize)]
struct EnvReport {
    #[serde(flatten)]
    environment: Environment,
    suite: Option<SuiteSummary>,
    devices: Vec<DeviceRuntime>,
}

#[derive(Serialize)]
struct SuiteSummary {
    file: String,
    sha256: String,
}

pub fn run(a: EnvArgs) -> Result<i32> {
    let suite = if crate::fs::exists(&a.suite) {
        Some(Suite::load(&a.suite)?)
    } else {
        None
    };
    let dir = suite.as_ref().map(|s| s.dir()).unwrap_or(Path::new("."));
    let environment = crate::env::capture(dir);
    let mut devices = Vec::new();
    for d in suite.iter().flat_map(|s| s.devices.iter()) {
        let (library, version, problem) = match crate::engine::session::probe(d) {
            Ok((lib, v)) => (Some(lib.display().to_string()), v, None),
            Err(e) => {
                let lib = crate::engine::session::library_for(d, None).ok();
                (
                    lib.map(|l| l.display().to_string()),
                    None,
                    Some(e.one_line()),
                )
            }
        };
        devices.push(DeviceRuntime {
            device: d.name.clone(),
            runtime_kind: d.runtime_kind.to_string(),
            provider: d.provider.to_string(),
            library,
            version,
            problem,
        });
    }
    let report = EnvReport {
        environment,
        suite: suite.as_ref().map(|s| SuiteSummary {
            file: s.path.display().to_string(),
            sha256: s.sha256.clone(),
        }),
        devices,
    };
    if a.json {
        print_out(&crate::record::to_json_pretty(&report)?)?;
        return Ok(EXIT_OK);
    }
    let e = &report.environment;
    let mut s = String::new();
    s += &format!("edgeperf   {}\n", e.edgeperf_version);
    s += &format!(
        "time       {}\n",
        e.timestamp
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    match &e.git {
        Some(g) => {
            s += &format!(
                "git        {} ({}){}\n",
                g.commit,
                g.branch.as_deref().unwrap_or("detached"),
                if g.dirty { ", dirty" } else { "" }
            )
        }
        None => s += "git        (not a git repository)\n",
    }
    let h = &e.host;
    s += &format!("host       {} ({})\n", h.hostname, h.arch);
    s += &format!("cpu        {} x {}\n", h.cores, h.cpu_model);
    s += &format!("os         {} (kernel {})\n", h.os, h.kernel);
    if let Some(su) = &report.suite {
        s += &format!(
            "suite      {} (sha256 {})\n",
            su.file,
            crate::compare::short_hash(&su.sha256)
        );
    }
    for d in &report.devices {
        let at = d.library.as_deref().unwrap_or("?");
        let what = match (&d.version, &d.problem) {
            (Some(v), _) => format!("{} {v} at {at}", d.runtime_kind),
            (None, Some(p)) => format!("unavailable: {p}"),
            (None, None) => format!("external runner {at} (reports its runtime when it runs)"),
        };
        s += &format!("device     {} [{}]: {what}\n", d.device, d.provider);
    }
    print_out(&s)?;
    Ok(EXIT_OK)
}

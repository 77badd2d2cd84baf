//! `edgeperf env`: the environment fingerprint, with each device's runtime library.

use std::path::{Path, PathBuf};

use clap::Args;

use super::output::print_out;
use crate::error::{Result, EXIT_OK};
use crate::report::env::{DeviceRuntime, EnvReport, SuiteSummary};
use crate::report::export::{exporter, Format, Options};

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The suite file.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Labelled lines (text), the fingerprint as recorded (json), csv or
    /// markdown; bmf is refused (no measurements).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print JSON (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

pub fn run(a: EnvArgs) -> Result<i32> {
    let suite = if crate::fs::exists(&a.suite) {
        Some(crate::store::load_suite(&a.suite)?)
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
    let format = if a.json { Format::Json } else { a.format };
    print_out(&exporter(format, Options::default()).env(&report)?)?;
    Ok(EXIT_OK)
}

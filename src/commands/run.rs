//! `edgeperf run`: measure the suite, print the table, write the run record.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::output::print_out;
use crate::error::{Error, Result, EXIT_OK};
use crate::record::RunRecord;
use crate::report::export::{exporter, Format, Options};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The suite file.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Only this device (repeatable). Without it: every device with `default = true`.
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// Only this model (repeatable).
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// Where to write the run record [default: .edgeperf/runs/run-<UTC time>.json next to the suite].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// One short round per path (smoke test; latency figures are rough).
    #[arg(long)]
    pub quick: bool,
    /// ONNX Runtime library for every ONNX Runtime device (overrides the suite
    /// and ORT_DYLIB_PATH; LiteRT and external devices keep their own).
    #[arg(long, value_name = "LIB")]
    pub runtime: Option<PathBuf>,
    /// What to print on stdout: the table (text), the run record (json), or
    /// an export (csv, markdown, bmf: Bencher Metric Format).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A progress bar on stderr when it is a terminal.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    Some(pb)
}

pub fn run(a: RunArgs) -> Result<i32> {
    let suite = crate::store::load_suite(&a.suite)?;
    let paths = suite.select(&a.devices, &a.models)?;
    if paths.is_empty() {
        let why = if a.devices.is_empty() {
            "nothing to run (no default device; pass --device)"
        } else {
            "nothing to run: no selected model has a file in the format of the selected devices (a litert device runs a model's `tflite` file)"
        };
        return Err(Error::config(&suite.path, "device", why));
    }
    let sampling = if a.quick {
        suite.sampling.quick()
    } else {
        suite.sampling.clone()
    };
    let out = match &a.out {
        Some(p) => p.clone(),
        None => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            suite
                .dir()
                .join(".edgeperf")
                .join("runs")
                .join(format!("run-{stamp}.json"))
        }
    };
    let bar = progress_bar();
    let mut progress = |done: usize, total: usize, label: &str| {
        if let Some(pb) = &bar {
            pb.set_length(total as u64);
            pb.set_position(done as u64);
            pb.set_message(label.to_string());
        }
    };
    let wrote = std::cell::Cell::new(false);
    let mut write = |r: &RunRecord| {
        crate::store::write_json(&out, r)?;
        wrote.set(true);
        Ok(())
    };
    let record = crate::engine::run::run_suite(
        &suite,
        &paths,
        &sampling,
        a.runtime.as_deref(),
        &mut progress,
        &mut write,
    );
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    let record = record.map_err(|e| match e {
        Error::Interrupted { signal, message } => Error::Interrupted {
            signal,
            message: match wrote.get() {
                true => format!(
                    "{message}; {} keeps the rounds finished so far (complete: false)",
                    out.display()
                ),
                false => format!(
                    "{message}; no round had finished, {} was not written",
                    out.display()
                ),
            },
        },
        e => e,
    })?;
    if let Some(store) = crate::store::artifacts::ArtifactStore::from_env() {
        for w in crate::store::artifacts::keep_run(&store, &record) {
            eprintln!("warning: artifact store {}: {w}", store.dir.display());
        }
    }
    print_out(&exporter(a.format, Options::default()).run(&record)?)?;
    if a.format == Format::Text {
        eprintln!("run record: {}", out.display());
    }
    Ok(EXIT_OK)
}

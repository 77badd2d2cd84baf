//! `edgeperf run`: measure the suite, print the table, write the run record.

use std::io::IsTerminal;

use crate::cli::{RunArgs, RunFormat};
use crate::config::Suite;
use crate::error::{Error, Result, EXIT_OK};

pub fn run(a: RunArgs) -> Result<i32> {
    let suite = Suite::load(&a.suite.suite)?;
    let paths = suite.select(&a.devices, &a.models)?;
    if paths.is_empty() {
        return Err(Error::Other(format!(
            "{}: nothing to run (no default device; pass --device)",
            suite.path.display()
        )));
    }
    let sampling = if a.quick {
        suite.sampling.quick()
    } else {
        suite.sampling.clone()
    };
    let out = match &a.out {
        Some(p) => p.clone(),
        None => {
            let dir = suite.dir().to_path_buf();
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            dir.join(".edgeperf")
                .join("runs")
                .join(format!("run-{stamp}.json"))
        }
    };

    let bar = if std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        Some(pb)
    } else {
        None
    };
    let mut progress = |done: usize, total: usize, label: &str| {
        if let Some(pb) = &bar {
            pb.set_length(total as u64);
            pb.set_position(done as u64);
            pb.set_message(label.to_string());
        }
    };
    let mut write = |r: &crate::record::RunRecord| crate::fs::write_json_atomic(&out, r);
    let record = crate::runner::run_suite(
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
    let record = record?;
    match a.format {
        RunFormat::Text => {
            crate::cli::print_out(&crate::report::run_table(&record))?;
            eprintln!("run record: {}", out.display());
        }
        RunFormat::Json => {
            let json =
                serde_json::to_string_pretty(&record).map_err(|e| Error::Other(e.to_string()))?;
            crate::cli::print_out(&(json + "\n"))?;
        }
    }
    Ok(EXIT_OK)
}

//! `edgeperf baseline accept RUN.json`: store a run's paths as the new baselines.

use crate::cli::BaselineAcceptArgs;
use crate::error::{Result, EXIT_OK};
use crate::record::RunRecord;

pub fn accept(a: BaselineAcceptArgs) -> Result<i32> {
    let run = RunRecord::load(&a.run)?;
    let written = crate::baseline::accept(&a.baselines, &run)?;
    for p in &run.paths {
        eprintln!(
            "accepted {}/{}: p50 {:.2} ms{}",
            p.device,
            p.model,
            p.latency_ms.p50,
            p.accuracy
                .as_ref()
                .map(|a| format!(", top-1 {:.1}%", a.top1 * 100.0))
                .unwrap_or_default()
        );
    }
    eprintln!(
        "wrote {} files under {}",
        written.len(),
        a.baselines.display()
    );
    Ok(EXIT_OK)
}

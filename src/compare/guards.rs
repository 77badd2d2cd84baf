//! Guards and notes: what changed around a path besides its latency and accuracy.
//! A guard makes the path a regression on its own (the execution provider that
//! really ran is not the baseline's, e.g. a silent fall back to CPU); a note is a
//! change the verdict should be read with (runtime, threads, host, model file).

use crate::record::baseline::Baseline;
use crate::record::{PathRecord, RunRecord};
use crate::suite::Provider;

/// The first 12 characters of a hash (fewer if it is shorter; never panics).
pub fn short_hash(hash: &str) -> &str {
    match hash.char_indices().nth(12) {
        Some((i, _)) => &hash[..i],
        None => hash,
    }
}

/// (guards, notes) of a head path against its baseline.
pub fn check(run: &RunRecord, p: &PathRecord, base: &Baseline) -> (Vec<String>, Vec<String>) {
    let mut guards = Vec::new();
    let mut notes = Vec::new();
    if p.provider_ran != base.provider_ran {
        guards.push(format!(
            "execution provider changed: the baseline ran on {}, this run on {}{}",
            base.provider_ran,
            p.provider_ran,
            if p.provider_ran == Provider::Cpu {
                " (fell back to CPU)"
            } else {
                ""
            }
        ));
    }
    if let (Some(was), Some(now)) = (&base.accelerator, &p.accelerator) {
        if was != now {
            guards.push(format!(
                "accelerator changed: the baseline ran on {was}, this run on {now}"
            ));
        }
    }
    if p.runtime.kind != base.runtime.kind {
        notes.push(format!(
            "runtime changed: {} {} -> {} {}",
            base.runtime.kind, base.runtime.version, p.runtime.kind, p.runtime.version
        ));
    } else if p.runtime.version != base.runtime.version {
        notes.push(format!(
            "{} changed: {} -> {}",
            p.runtime.kind, base.runtime.version, p.runtime.version
        ));
    }
    if p.threads != base.threads {
        notes.push(format!(
            "threads changed: intra/inter {}/{} -> {}/{}",
            base.threads.intra, base.threads.inter, p.threads.intra, p.threads.inter
        ));
    }
    let h = &run.environment.host;
    let b = &base.host;
    if h.cpu_model != b.cpu_model || h.cores != b.cores || h.hostname != b.hostname {
        notes.push(format!(
            "host changed: {} ({} x {}) -> {} ({} x {})",
            b.hostname, b.cores, b.cpu_model, h.hostname, h.cores, h.cpu_model
        ));
    }
    if p.model_sha256 != base.model_sha256 {
        notes.push(format!(
            "model file changed: sha256 {} -> {}",
            short_hash(&base.model_sha256),
            short_hash(&p.model_sha256)
        ));
    }
    (guards, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::suite::RuntimeKind;

    fn litert(accelerator: &str) -> PathRecord {
        let mut p = fixtures::path_record("litert-cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        p.runtime.kind = RuntimeKind::Litert;
        p.runtime.version = "1.4.0".into();
        p.accelerator = Some(accelerator.into());
        p
    }

    #[test]
    fn a_litert_path_that_stopped_delegating_every_op_is_a_guard() {
        let base_p = litert("cpu (CpuAccelerator), all ops delegated");
        let run = fixtures::run_record(vec![base_p.clone()], fixtures::HEAD_COMMIT, true);
        let base = Baseline::from_path(&run, &base_p);
        let (g, n) = check(&run, &base_p, &base);
        assert!(g.is_empty() && n.is_empty(), "{g:?} {n:?}");
        let head = litert("cpu (CpuAccelerator), some ops on TFLite's built-in CPU kernels");
        let (g, _) = check(&run, &head, &base);
        assert_eq!(g.len(), 1);
        assert!(
            g[0].starts_with("accelerator changed") && g[0].contains("some ops"),
            "{g:?}"
        );
    }

    #[test]
    fn runtime_notes_name_the_runtime_kind() {
        let p = litert("x");
        let run = fixtures::run_record(vec![p.clone()], fixtures::HEAD_COMMIT, true);
        let mut base = Baseline::from_path(&run, &p);
        base.runtime.version = "1.3.0".into();
        let (_, n) = check(&run, &p, &base);
        assert_eq!(n, vec!["litert changed: 1.3.0 -> 1.4.0"]);
        base.runtime.kind = RuntimeKind::Onnxruntime;
        let (_, n) = check(&run, &p, &base);
        assert_eq!(
            n,
            vec!["runtime changed: onnxruntime 1.3.0 -> litert 1.4.0"]
        );
    }
}

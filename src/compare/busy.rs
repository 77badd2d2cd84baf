//! Whether a round was measured on a busy machine, from the state the worker
//! read (`record::machine::MachineState`). A busy round is not counted by the
//! sequential rule: its blocks were timed while the measuring threads waited
//! for a CPU (or a hypervisor took the CPU), which moves the two sides by
//! different amounts. What was seen is kept and reported.
//!
//! Thresholds (`compare.confirm.busy_run_wait`, `busy_steal`) come from
//! measurements of a quiet machine, one competing inference process on the
//! other core and both cores busy (docs/DETECTION.md, "A busy machine").

use crate::record::machine::MachineState;
use crate::suite::ConfirmRule;

/// Why a round counts as busy (what was seen past which threshold), or `None`.
pub fn busy(m: &MachineState, rule: &ConfirmRule) -> Option<String> {
    let mut why = Vec::new();
    if let Some(w) = m.run_wait.value().filter(|w| *w >= rule.busy_run_wait) {
        why.push(format!(
            "the worker waited for a CPU {:.0}% of the time",
            100.0 * w
        ));
    }
    if let Some(s) = m.steal.value().filter(|s| *s >= rule.busy_steal) {
        why.push(format!("{:.0}% of CPU time stolen by the host", 100.0 * s));
    }
    (!why.is_empty()).then(|| why.join(", "))
}

/// What the busy rounds saw, in one phrase: medians of the shares, the
/// highest load average; absent sources are left out.
pub fn summary(states: &[&MachineState]) -> String {
    let median = |f: fn(&MachineState) -> Option<f64>| {
        let v: Vec<f64> = states.iter().filter_map(|s| f(s)).collect();
        crate::stats::median(&v)
    };
    let mut parts = Vec::new();
    if let Some(w) = median(|s| s.run_wait.value()) {
        parts.push(format!("run-queue wait {:.0}%", 100.0 * w));
    }
    if let Some(l) = states
        .iter()
        .filter_map(|s| s.load1.value())
        .reduce(f64::max)
    {
        parts.push(format!("load {l:.1}"));
    }
    if let Some(s) = median(|s| s.steal.value()) {
        parts.push(format!("steal {:.0}%", 100.0 * s));
    }
    if let Some(p) = median(|s| s.cpu_pressure.value()) {
        parts.push(format!("CPU pressure {:.0}%", 100.0 * p));
    }
    if parts.is_empty() {
        "no machine state was read".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::machine::Reading;

    fn state(wait: f64, steal: f64) -> MachineState {
        MachineState {
            seconds: 1.0,
            load1: Reading::Value(3.2),
            cpus: Reading::Value(2),
            steal: Reading::Value(steal),
            run_wait: Reading::Value(wait),
            cpu_pressure: Reading::Absent("/proc/pressure/cpu: not found".into()),
        }
    }

    #[test]
    fn a_round_is_busy_past_either_threshold_and_says_what_it_saw() {
        let rule = ConfirmRule::default();
        assert_eq!(busy(&state(0.01, 0.0), &rule), None);
        let why = busy(&state(0.45, 0.0), &rule).unwrap();
        assert!(why.contains("waited for a CPU 45%"), "{why}");
        let why = busy(&state(0.0, 0.3), &rule).unwrap();
        assert!(why.contains("30% of CPU time stolen"), "{why}");
        // Nothing read: not busy (never invented), and the summary says so.
        assert_eq!(busy(&MachineState::default(), &rule), None);
        assert_eq!(
            summary(&[&MachineState::default()]),
            "no machine state was read"
        );
        let s = summary(&[&state(0.4, 0.0), &state(0.2, 0.0)]);
        assert_eq!(s, "run-queue wait 30%, load 3.2, steal 0%");
    }
}

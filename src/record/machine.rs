//! What the machine was doing while a round was measured: the state record the
//! measurement worker fills from /proc (the `machine` adapter reads it) and the
//! comparator judges (`compare::busy`). Pure data: every source is either
//! present with its value or absent with why, never invented.
//!
//! One record per round. New sources (thermal zones, CPU frequency, throttling)
//! are new fields with `#[serde(default)]`, so older records still load (their
//! new sources read as absent).

use serde::{Deserialize, Serialize};

/// A value read from the machine, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reading<T> {
    /// The value that was read.
    Value(T),
    /// Why there is no value (the file is missing on this kernel, unreadable, malformed).
    Absent(String),
}

impl<T> Default for Reading<T> {
    fn default() -> Self {
        Reading::Absent("not read by the edgeperf that wrote this record".into())
    }
}

impl<T: Copy> Reading<T> {
    /// The value, when there is one.
    pub fn value(&self) -> Option<T> {
        match self {
            Reading::Value(v) => Some(*v),
            Reading::Absent(_) => None,
        }
    }
}

/// The machine's load during one round of measurement, as shares of the
/// round's wall time (0.12 = 12%) where it is a rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MachineState {
    /// Wall seconds between the two readings (the round's timed part).
    pub seconds: f64,
    /// The 1-minute load average at the end of the round (`/proc/loadavg`):
    /// runnable and uninterruptible tasks, a slow average, reported only.
    #[serde(default)]
    pub load1: Reading<f64>,
    /// CPUs online (`cpuN` lines of `/proc/stat`).
    #[serde(default)]
    pub cpus: Reading<u32>,
    /// Share of all CPUs' time a hypervisor gave to other guests during the
    /// round (`steal` of `/proc/stat`).
    #[serde(default)]
    pub steal: Reading<f64>,
    /// Share of the round's wall time the measuring process's threads, summed,
    /// spent runnable but waiting for a CPU (`run_delay` of
    /// `/proc/<pid>/task/*/schedstat`). About 0 when the worker has a core to
    /// itself; ~0.5 per thread that shares its core with one busy process.
    #[serde(default)]
    pub run_wait: Reading<f64>,
    /// Share of the round's wall time some task of the machine waited for a
    /// CPU (`some total` of `/proc/pressure/cpu`, Linux PSI).
    #[serde(default)]
    pub cpu_pressure: Reading<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_say_value_or_why_absent_and_old_records_load() {
        let s = MachineState {
            seconds: 1.5,
            load1: Reading::Value(2.5),
            cpus: Reading::Value(2),
            steal: Reading::Value(0.0),
            run_wait: Reading::Value(0.31),
            cpu_pressure: Reading::Absent("/proc/pressure/cpu: not found".into()),
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            json.contains(r#""run_wait":{"value":0.31}"#)
                && json.contains(r#""cpu_pressure":{"absent":"/proc/pressure/cpu: not found"}"#),
            "{json}"
        );
        let back: MachineState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        // A record without the sources (an older edgeperf): each reads as absent.
        let old: MachineState = serde_json::from_str(r#"{"seconds": 1.0}"#).unwrap();
        assert_eq!(old.run_wait.value(), None);
        assert!(matches!(old.steal, Reading::Absent(ref why) if why.contains("not read")));
    }
}

//! The machine's state while a round is measured, read from `/proc`: the load
//! average, CPU steal, the measuring process's run-queue waits and CPU
//! pressure. A measurement worker reads a [`Snapshot`] before its timed
//! inferences and another after them; [`Sampler::between`] turns the two into
//! the round's `record::machine::MachineState` (rates over the round's wall
//! time), which the comparator judges (`compare::busy`).
//!
//! Every source is optional: a file that is missing (no PSI on this kernel),
//! unreadable or malformed gives `Reading::Absent` with the file and the
//! reason, never a made-up value. The root is `/proc` unless a test points the
//! sampler at a fake tree ([`Sampler::with_root`]). Sources a later edgeperf
//! reads (thermal zones, CPU frequency, throttling) go in files of their own
//! beside [`proc`] and into the same record.

mod proc;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::record::machine::{MachineState, Reading};

/// Reads the machine's counters under a `/proc` root for one process.
#[derive(Debug, Clone)]
pub struct Sampler {
    root: PathBuf,
    /// The process whose threads' run-queue waits count: `self` or a pid.
    process: String,
    epoch: Instant,
}

/// The counters at one moment; two of them make a [`MachineState`].
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Seconds since the sampler was made (a monotonic clock).
    at: f64,
    stat: Result<proc::CpuTimes, String>,
    run_delay_ns: Result<u64, String>,
    pressure_us: Result<u64, String>,
    load1: Result<f64, String>,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::with_root(Path::new("/proc"))
    }
}

impl Sampler {
    /// This process, under the real `/proc`.
    pub fn this_process() -> Sampler {
        Sampler::default()
    }

    /// This process (`self`) under `root` instead of `/proc`.
    pub fn with_root(root: &Path) -> Sampler {
        Sampler {
            root: root.to_path_buf(),
            process: "self".into(),
            epoch: Instant::now(),
        }
    }

    /// The same sampler for process `pid`.
    pub fn for_pid(mut self, pid: u32) -> Sampler {
        self.process = pid.to_string();
        self
    }

    /// The counters now.
    pub fn read(&self) -> Snapshot {
        self.read_at(self.epoch.elapsed().as_secs_f64())
    }

    /// The counters, stamped `at` seconds (tests give their own clock).
    pub fn read_at(&self, at: f64) -> Snapshot {
        Snapshot {
            at,
            stat: self.source("stat", proc::cpu_times),
            run_delay_ns: self.run_delay_ns(),
            pressure_us: self.source("pressure/cpu", proc::pressure_some_total_us),
            load1: self.source("loadavg", proc::load1),
        }
    }

    /// The file `rel` under the root, parsed; an error names the file.
    fn source<T>(&self, rel: &str, parse: fn(&str) -> Result<T, String>) -> Result<T, String> {
        let p = self.root.join(rel);
        let text = crate::fs::read_to_string(&p).map_err(absent)?;
        parse(&text).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// The run-queue wait of every thread of the process, summed (ns).
    fn run_delay_ns(&self) -> Result<u64, String> {
        let tasks = self.root.join(&self.process).join("task");
        let entries = crate::fs::list_dir(&tasks).map_err(absent)?;
        let mut sum = 0u64;
        for t in entries.iter().filter(|e| e.is_dir) {
            let f = t.path.join("schedstat");
            match crate::fs::read_to_string(&f) {
                Ok(text) => {
                    sum += proc::run_delay_ns(&text).map_err(|e| format!("{}: {e}", f.display()))?
                }
                // A thread that ended between the listing and the read.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(sum)
    }

    /// The state of the machine between two snapshots of this sampler.
    pub fn between(&self, start: &Snapshot, end: &Snapshot) -> MachineState {
        between(start, end)
    }
}

/// A rate over `wall` seconds from two counters, or why not.
fn rate(
    a: &Result<u64, String>,
    b: &Result<u64, String>,
    per_second: f64,
    wall: f64,
) -> Reading<f64> {
    match (a, b) {
        (Ok(a), Ok(b)) if wall > 0.0 => {
            Reading::Value((b.saturating_sub(*a) as f64 / per_second / wall).max(0.0))
        }
        (Ok(_), Ok(_)) => Reading::Absent("no time passed between the two readings".into()),
        (Err(e), _) | (_, Err(e)) => Reading::Absent(e.clone()),
    }
}

/// The rates of the machine's counters between `start` and `end`.
pub fn between(start: &Snapshot, end: &Snapshot) -> MachineState {
    let wall = end.at - start.at;
    let steal = match (&start.stat, &end.stat) {
        (Ok(a), Ok(b)) => {
            let total = b.total.saturating_sub(a.total);
            if total == 0 {
                Reading::Absent("no CPU time passed between the two readings of stat".into())
            } else {
                Reading::Value(b.steal.saturating_sub(a.steal) as f64 / total as f64)
            }
        }
        (Err(e), _) | (_, Err(e)) => Reading::Absent(e.clone()),
    };
    let reading = |r: &Result<f64, String>| match r {
        Ok(v) => Reading::Value(*v),
        Err(e) => Reading::Absent(e.clone()),
    };
    MachineState {
        seconds: wall,
        load1: reading(&end.load1),
        cpus: match &end.stat {
            Ok(t) => Reading::Value(t.cpus),
            Err(e) => Reading::Absent(e.clone()),
        },
        steal,
        run_wait: rate(&start.run_delay_ns, &end.run_delay_ns, 1e9, wall),
        cpu_pressure: rate(&start.pressure_us, &end.pressure_us, 1e6, wall),
    }
}

/// Why a file gave no reading: "not found" for a source this kernel lacks,
/// else the error with its path.
fn absent(e: crate::fs::FsError) -> String {
    if e.is_not_found() {
        format!("{}: not found", e.path.display())
    } else {
        e.to_string()
    }
}

/// Processes measured over the same time (two lockstep workers): their
/// run-queue waits add up; the machine-wide sources are the longest reading's.
pub fn combine(states: &[MachineState]) -> Option<MachineState> {
    let longest = states
        .iter()
        .max_by(|a, b| a.seconds.total_cmp(&b.seconds))?
        .clone();
    // A sum with an unknown part is unknown: the first absent reading says why.
    let run_wait = match states.iter().find(|s| s.run_wait.value().is_none()) {
        Some(s) => s.run_wait.clone(),
        None => Reading::Value(states.iter().filter_map(|s| s.run_wait.value()).sum()),
    };
    Some(MachineState {
        run_wait,
        ..longest
    })
}

#[cfg(test)]
mod tests;

//! Parsers of the `/proc` files the sampler reads, one pure function each (the
//! text in, the counter out or why not). Formats: proc(5) and the kernel's
//! Documentation/accounting/psi.rst and scheduler/sched-stats.rst.

/// The all-CPUs line of `/proc/stat`, in clock ticks, and the CPUs counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// user + nice + system + idle + iowait + irq + softirq + steal.
    pub total: u64,
    pub steal: u64,
    /// `cpuN` lines.
    pub cpus: u32,
}

/// `/proc/stat`: the first line, `cpu  user nice system idle iowait irq
/// softirq steal guest guest_nice` (steal since Linux 2.6.11; guest time is
/// already inside user and nice, so it is not added again).
pub fn cpu_times(text: &str) -> Result<CpuTimes, String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("cpu "))
        .ok_or("no `cpu` line")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| {
            x.parse::<u64>()
                .map_err(|e| format!("`cpu` line: {x:?}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    if v.len() < 8 {
        return Err(format!(
            "`cpu` line has {} fields, steal is the 8th (Linux >= 2.6.11)",
            v.len()
        ));
    }
    let cpus = text
        .lines()
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count() as u32;
    Ok(CpuTimes {
        total: v[..8].iter().sum(),
        steal: v[7],
        cpus,
    })
}

/// `/proc/<pid>/task/<tid>/schedstat`: `run_ns run_delay_ns timeslices`.
pub fn run_delay_ns(text: &str) -> Result<u64, String> {
    let field = text
        .split_whitespace()
        .nth(1)
        .ok_or("expected `run_ns run_delay_ns timeslices`")?;
    field
        .parse::<u64>()
        .map_err(|e| format!("run_delay {field:?}: {e}"))
}

/// `/proc/pressure/cpu`: the `total` (µs) of the `some` line.
pub fn pressure_some_total_us(text: &str) -> Result<u64, String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("some "))
        .ok_or("no `some` line")?;
    let total = line
        .split_whitespace()
        .find_map(|f| f.strip_prefix("total="))
        .ok_or("no `total=` on the `some` line")?;
    total
        .parse::<u64>()
        .map_err(|e| format!("total {total:?}: {e}"))
}

/// `/proc/loadavg`: the first number, the 1-minute load average.
pub fn load1(text: &str) -> Result<f64, String> {
    let first = text.split_whitespace().next().ok_or("empty")?;
    first
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .ok_or(format!("not a load average: {first:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_as_the_kernel_writes_them() {
        let stat = "cpu  93751 449088 51338 119850 4205 0 803 491 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\nintr 1 2\n";
        assert_eq!(
            cpu_times(stat),
            Ok(CpuTimes {
                total: 93751 + 449088 + 51338 + 119850 + 4205 + 803 + 491,
                steal: 491,
                cpus: 2
            })
        );
        assert_eq!(run_delay_ns("95550 2636129 2\n"), Ok(2636129));
        assert_eq!(
            pressure_some_total_us(
                "some avg10=0.51 avg60=1.29 avg300=18.86 total=1778169258\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
            ),
            Ok(1778169258)
        );
        assert_eq!(load1("0.65 1.62 2.65 3/109 10481\n"), Ok(0.65));
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        assert!(cpu_times("intr 1\n").unwrap_err().contains("no `cpu` line"));
        assert!(cpu_times("cpu  1 2 3 4\n").unwrap_err().contains("steal"));
        assert!(cpu_times("cpu  1 2 x 4 5 6 7 8\n")
            .unwrap_err()
            .contains("\"x\""));
        assert!(run_delay_ns("12\n").is_err());
        assert!(pressure_some_total_us("full total=1\n").is_err());
        assert!(pressure_some_total_us("some avg10=1\n").is_err());
        assert!(load1("-1 0 0").is_err());
        assert!(load1("").is_err());
    }
}

//! The machine's free memory (`/proc/meminfo`'s `MemAvailable`), for
//! `edgeperf doctor`.

use super::root::Root;

/// Memory available to new work without swapping, and the total, MiB.
pub fn memory_mb(root: &Root) -> Option<(f64, f64)> {
    let text = root.read("/proc/meminfo")?;
    let kb = |key: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(key))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kb("MemAvailable:")? / 1024.0, kb("MemTotal:")? / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_reads_in_mib() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("proc")).unwrap();
        std::fs::write(
            d.path().join("proc/meminfo"),
            "MemTotal:        3884084 kB\nMemFree:          120000 kB\nMemAvailable:    2097152 kB\n",
        )
        .unwrap();
        let (avail, total) = memory_mb(&Root::at(d.path())).unwrap();
        assert_eq!(avail, 2048.0);
        assert!((total - 3793.05).abs() < 0.01);
        assert_eq!(memory_mb(&Root::at(d.path().join("x"))), None);
    }
}

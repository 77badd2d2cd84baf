//! CPU frequency policies (`/sys/devices/system/cpu/cpufreq/policy*`): the
//! governor, the current clock and the policy's and hardware's limits (kHz in
//! sysfs, MHz in the record).

use super::root::Root;
use crate::record::devstate::CpuPolicy;

const DIR: &str = "/sys/devices/system/cpu/cpufreq";

/// Every policy with at least a governor or a clock readable.
pub fn policies(root: &Root) -> Vec<CpuPolicy> {
    root.entries(DIR, "policy")
        .into_iter()
        .filter_map(|e| {
            let mhz = |f: &str| root.number(&e.path.join(f)).map(|khz| khz / 1000.0);
            let p = CpuPolicy {
                governor: root
                    .read_path(&e.path.join("scaling_governor"))
                    .filter(|g| !g.is_empty()),
                cur_mhz: mhz("scaling_cur_freq"),
                min_mhz: mhz("scaling_min_freq"),
                max_mhz: mhz("scaling_max_freq"),
                hw_max_mhz: mhz("cpuinfo_max_freq"),
                policy: e.name,
            };
            (p.governor.is_some() || p.cur_mhz.is_some()).then_some(p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_reads_in_mhz() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sys/devices/system/cpu/cpufreq/policy0");
        std::fs::create_dir_all(&p).unwrap();
        for (f, v) in [
            ("scaling_governor", "powersave\n"),
            ("scaling_cur_freq", "600000\n"),
            ("scaling_min_freq", "600000\n"),
            ("scaling_max_freq", "1500000\n"),
            ("cpuinfo_max_freq", "1800000\n"),
        ] {
            std::fs::write(p.join(f), v).unwrap();
        }
        std::fs::create_dir_all(d.path().join("sys/devices/system/cpu/cpufreq/policy4")).unwrap();
        let got = policies(&Root::at(d.path()));
        assert_eq!(got.len(), 1, "an empty policy is not a reading");
        assert_eq!(got[0].governor.as_deref(), Some("powersave"));
        assert_eq!(
            (got[0].cur_mhz, got[0].max_mhz, got[0].hw_max_mhz),
            (Some(600.0), Some(1500.0), Some(1800.0))
        );
    }
}

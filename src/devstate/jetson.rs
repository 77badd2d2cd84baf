//! A Jetson's power and clocks: the nvpmodel power mode (the id in
//! `/var/lib/nvpmodel/status`, `pmode:0001`, named by the `POWER_MODEL` lines
//! of nvpmodel.conf), devfreq clocks (`/sys/class/devfreq/*`: the GPU, and on
//! other SoCs GPUs, NPUs and memory controllers; Hz in sysfs) and the EMC
//! (memory) clock from debugfs, which only root can read.

use super::root::Root;
use crate::record::devstate::{Clock, PowerMode};

/// The file nvpmodel writes the current mode to.
pub const STATUS: &str = "/var/lib/nvpmodel/status";
/// Where nvpmodel's configuration is, first found wins (`/etc/nvpmodel.conf`
/// is a link to the board's file on JetPack).
pub const CONF: [&str; 3] = [
    "/etc/nvpmodel.conf",
    "/odm/etc/nvpmodel.conf",
    "/vendor/etc/nvpmodel.conf",
];
/// The EMC clock's rate in debugfs: Orin and Xavier (BPMP), then Nano and TX.
pub const EMC: [&str; 2] = [
    "/sys/kernel/debug/bpmp/debug/clk/emc/rate",
    "/sys/kernel/debug/clk/emc/clk_rate",
];

/// The current power mode, when nvpmodel has written one.
pub fn power_mode(root: &Root) -> Option<PowerMode> {
    let status = root.read(STATUS)?;
    let id = status
        .split_whitespace()
        .find_map(|w| w.strip_prefix("pmode:"))?
        .parse::<u32>()
        .ok()?;
    let name = CONF
        .iter()
        .find_map(|p| root.read(p))
        .and_then(|conf| mode_name(&conf, id));
    Some(PowerMode { id, name })
}

/// The name of mode `id` in nvpmodel.conf (`< POWER_MODEL ID=1 NAME=5W >`).
pub fn mode_name(conf: &str, id: u32) -> Option<String> {
    conf.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('<') && l.contains("POWER_MODEL"))
        .find_map(|l| {
            let field = |k: &str| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(k))
                    .map(|v| v.trim_end_matches('>').to_string())
            };
            (field("ID=")?.parse::<u32>().ok()? == id).then(|| field("NAME="))?
        })
}

/// Every devfreq device with a readable current clock.
pub fn devfreq(root: &Root) -> Vec<Clock> {
    root.entries("/sys/class/devfreq", "")
        .into_iter()
        .filter_map(|e| {
            let mhz = |f: &str| root.number(&e.path.join(f)).map(|hz| hz / 1e6);
            let cur = mhz("cur_freq")?;
            Some(Clock {
                cur_mhz: Some(cur),
                min_mhz: mhz("min_freq"),
                max_mhz: mhz("max_freq"),
                governor: root.read_path(&e.path.join("governor")),
                name: e.name,
            })
        })
        .collect()
}

/// The EMC clock, MHz, where debugfs is readable.
pub fn emc_mhz(root: &Root) -> Option<f64> {
    EMC.iter()
        .find_map(|p| root.number(&root.path(p)))
        .map(|hz| hz / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF_NANO: &str = "# Jetson Nano\n< POWER_MODEL ID=0 NAME=MAXN >\nCPU_ONLINE CORE_0 1\n< POWER_MODEL ID=1 NAME=5W >\nCPU_ONLINE CORE_2 0\n< PM_CONFIG DEFAULT=0 >\n";

    #[test]
    fn mode_names_come_from_the_conf() {
        assert_eq!(mode_name(CONF_NANO, 0).as_deref(), Some("MAXN"));
        assert_eq!(mode_name(CONF_NANO, 1).as_deref(), Some("5W"));
        assert_eq!(mode_name(CONF_NANO, 7), None);
    }

    #[test]
    fn the_status_file_gives_the_mode_and_nothing_is_invented_without_it() {
        let d = tempfile::tempdir().unwrap();
        let root = Root::at(d.path());
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        std::fs::write(d.path().join("etc/nvpmodel.conf"), CONF_NANO).unwrap();
        assert_eq!(
            power_mode(&root),
            None,
            "no status: absent, not the default"
        );
        std::fs::create_dir_all(d.path().join("var/lib/nvpmodel")).unwrap();
        std::fs::write(
            d.path().join("var/lib/nvpmodel/status"),
            "pmode:0001 fmode:quiet\n",
        )
        .unwrap();
        assert_eq!(
            power_mode(&root),
            Some(PowerMode {
                id: 1,
                name: Some("5W".into())
            })
        );
        assert_eq!(emc_mhz(&root), None);
        assert!(devfreq(&root).is_empty());
    }
}

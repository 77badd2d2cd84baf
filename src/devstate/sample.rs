//! One reading of every source.

use super::root::Root;
use crate::record::devstate::DeviceSample;

/// Reads every source under `root`; `t_s` is the sample's time in its round.
pub fn sample(root: &Root, t_s: f64) -> DeviceSample {
    DeviceSample {
        t_s,
        thermal: super::thermal::zones(root),
        cpufreq: super::cpufreq::policies(root),
        throttled: super::rpi::throttled(root),
        power_mode: super::jetson::power_mode(root),
        devfreq: super::jetson::devfreq(root),
        emc_mhz: super::jetson::emc_mhz(root),
        cooling: super::thermal::cooling(root),
    }
}

//! The device state a round ran in, as recorded: the board's temperatures,
//! CPU clocks and governor, a Raspberry Pi's firmware throttle flags, a
//! Jetson's power mode, devfreq (GPU) and EMC clocks, thermal cooling devices.
//! Sampled by the `devstate` adapter before, during and after every round
//! (`engine::spawn`); judged by `compare::devstate`.
//!
//! Every source is optional: one this machine does not have is listed in
//! [`RoundDeviceState::absent`] and left out of the samples, never filled in.
//! A sample is open to more sources: a new one is one more optional field
//! (machine load and CPU steal are meant to join it that way).

use serde::{Deserialize, Serialize};

/// One place device state is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `/sys/class/thermal/thermal_zone*/{type,temp}`.
    Thermal,
    /// `/sys/devices/system/cpu/cpufreq/policy*/scaling_*`.
    Cpufreq,
    /// A Raspberry Pi's `get_throttled` (firmware sysfs file or `vcgencmd`).
    Throttle,
    /// A Jetson's nvpmodel mode (`/var/lib/nvpmodel/status`, `/etc/nvpmodel.conf`).
    PowerMode,
    /// `/sys/class/devfreq/*` (a Jetson's GPU, other SoCs' GPU/NPU/memory).
    Devfreq,
    /// A Jetson's EMC (memory) clock, from debugfs (readable by root only).
    Emc,
    /// `/sys/class/thermal/cooling_device*/{type,cur_state,max_state}`.
    Cooling,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Thermal,
        Source::Cpufreq,
        Source::Throttle,
        Source::PowerMode,
        Source::Devfreq,
        Source::Emc,
        Source::Cooling,
    ];

    /// How reports name the source.
    pub fn label(self) -> &'static str {
        match self {
            Source::Thermal => "thermal zones",
            Source::Cpufreq => "cpufreq",
            Source::Throttle => "Pi throttle flags",
            Source::PowerMode => "Jetson power mode",
            Source::Devfreq => "devfreq clocks",
            Source::Emc => "EMC clock",
            Source::Cooling => "cooling devices",
        }
    }
}

/// One thermal zone's reading.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThermalZone {
    /// The zone's `type` (e.g. `cpu-thermal`, `GPU-therm`), else `thermal_zoneN`.
    pub zone: String,
    pub temp_c: f64,
}

/// One cpufreq policy (a cluster of CPUs that share a clock).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct CpuPolicy {
    /// `policy0`, ...
    pub policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governor: Option<String>,
    /// The current clock (`scaling_cur_freq`), MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cur_mhz: Option<f64>,
    /// The policy's limits (`scaling_min_freq`, `scaling_max_freq`), MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_mhz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_mhz: Option<f64>,
    /// The hardware's highest clock (`cpuinfo_max_freq`), MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hw_max_mhz: Option<f64>,
}

/// A Jetson power mode.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PowerMode {
    pub id: u32,
    /// Its name in nvpmodel.conf (`MAXN`, `5W`), when the file names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl PowerMode {
    /// "5W (mode 1)", or "mode 1" without a name.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} (mode {})", self.id),
            None => format!("mode {}", self.id),
        }
    }

    /// Whether the mode is the one `wanted` names (its name, any case, or its id).
    pub fn is(&self, wanted: &str) -> bool {
        let w = wanted.trim();
        self.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(w))
            || w.parse::<u32>().ok() == Some(self.id)
    }
}

/// A devfreq device's clock (a GPU, an NPU, a memory controller).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Clock {
    /// Its name under `/sys/class/devfreq` (`57000000.gpu`, `17000000.ga10b`).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cur_mhz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_mhz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_mhz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governor: Option<String>,
}

/// A thermal cooling device: a fan, or a clock cap (`cpufreq-cpu0`, a devfreq
/// device) that the kernel raises as the board heats.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CoolingDevice {
    /// Its `type`.
    pub kind: String,
    pub cur_state: u32,
    pub max_state: u32,
}

impl CoolingDevice {
    /// Whether this device caps a clock (cpufreq or devfreq cooling): at a
    /// state above 0 the clock it governs is held below its maximum.
    pub fn caps_clock(&self) -> bool {
        let k = self.kind.to_ascii_lowercase();
        k.contains("cpufreq") || k.contains("devfreq")
    }
}

/// The firmware's throttle bits of a Raspberry Pi (`get_throttled`): bit n is
/// happening now, bit n + 16 has happened since boot.
pub const THROTTLE_BITS: [(u32, &str); 4] = [
    (0, "under-voltage"),
    (1, "arm frequency capped"),
    (2, "throttled"),
    (3, "soft temperature limit"),
];

/// The conditions happening now in `flags`.
pub fn throttle_now(flags: u32) -> Vec<&'static str> {
    THROTTLE_BITS
        .iter()
        .filter(|(bit, _)| flags & (1 << bit) != 0)
        .map(|(_, what)| *what)
        .collect()
}

/// The conditions that happened since boot in `flags`.
pub fn throttle_since_boot(flags: u32) -> Vec<&'static str> {
    THROTTLE_BITS
        .iter()
        .filter(|(bit, _)| flags & (1 << (bit + 16)) != 0)
        .map(|(_, what)| *what)
        .collect()
}

/// Every source read at one moment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DeviceSample {
    /// Seconds since the round's first sample (taken just before its worker started).
    pub t_s: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thermal: Vec<ThermalZone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpufreq: Vec<CpuPolicy>,
    /// A Raspberry Pi's `get_throttled` flags ([`THROTTLE_BITS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_mode: Option<PowerMode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devfreq: Vec<Clock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emc_mhz: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cooling: Vec<CoolingDevice>,
}

impl DeviceSample {
    /// Whether this sample holds a reading of `source`.
    pub fn has(&self, source: Source) -> bool {
        match source {
            Source::Thermal => !self.thermal.is_empty(),
            Source::Cpufreq => !self.cpufreq.is_empty(),
            Source::Throttle => self.throttled.is_some(),
            Source::PowerMode => self.power_mode.is_some(),
            Source::Devfreq => !self.devfreq.is_empty(),
            Source::Emc => self.emc_mhz.is_some(),
            Source::Cooling => !self.cooling.is_empty(),
        }
    }

    /// The sources this sample lacks.
    pub fn absent(&self) -> Vec<Source> {
        Source::ALL.into_iter().filter(|s| !self.has(*s)).collect()
    }

    /// The hottest zone that `watched` accepts.
    pub fn hottest(&self, watched: impl Fn(&str) -> bool) -> Option<&ThermalZone> {
        self.thermal
            .iter()
            .filter(|z| watched(&z.zone) && z.temp_c.is_finite())
            .max_by(|a, b| a.temp_c.total_cmp(&b.temp_c))
    }
}

/// The wait before a round for the board to cool down (`[device.state] cooldown`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cooldown {
    /// The temperature waited for and the longest wait, from the suite.
    pub below_c: f64,
    pub timeout_s: f64,
    /// Seconds waited.
    pub waited_s: f64,
    /// The hottest watched zone when the wait began and when it ended; `None`
    /// when no watched zone could be read (then nothing was waited for).
    pub from_c: Option<f64>,
    pub to_c: Option<f64>,
    /// Whether the board got below `below_c` before the timeout.
    pub reached: bool,
}

impl Cooldown {
    /// "waited 42 s: 71.2 -> 59.8 °C", "waited 120 s (timeout): 78.0 -> 66.1
    /// °C, not below 60 °C", or that no zone could be read.
    pub fn describe(&self) -> String {
        match (self.from_c, self.to_c) {
            (Some(a), Some(b)) if self.reached => {
                format!("waited {:.0} s: {a:.1} -> {b:.1} °C", self.waited_s)
            }
            (Some(a), Some(b)) => format!(
                "waited {:.0} s (timeout): {a:.1} -> {b:.1} °C, not below {:.0} °C",
                self.waited_s, self.below_c
            ),
            _ => "no watched thermal zone to wait for".into(),
        }
    }
}

/// The device state of one round (a worker process, or a lockstep pair).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RoundDeviceState {
    /// The sources no sample of the round could read (not on this machine, or
    /// not readable by this user).
    #[serde(default)]
    pub absent: Vec<Source>,
    /// Before the worker started (`t_s` 0), every `sample_every_s` while it
    /// ran, and after it ended.
    #[serde(default)]
    pub samples: Vec<DeviceSample>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<Cooldown>,
    /// What the suite's `[device.state]` said of this round when it ran
    /// (`compare` judges again from the samples, by its own suite).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl RoundDeviceState {
    /// A round's state from its samples: the sources none of them read are absent.
    pub fn from_samples(samples: Vec<DeviceSample>, cooldown: Option<Cooldown>) -> Self {
        let absent = Source::ALL
            .into_iter()
            .filter(|s| !samples.iter().any(|x| x.has(*s)))
            .collect();
        RoundDeviceState {
            absent,
            samples,
            cooldown,
            problems: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_flags_decode_now_and_since_boot() {
        assert!(throttle_now(0).is_empty());
        assert_eq!(throttle_now(0x5_0005), vec!["under-voltage", "throttled"]);
        assert_eq!(
            throttle_since_boot(0x5_0005),
            vec!["under-voltage", "throttled"]
        );
        assert_eq!(
            throttle_since_boot(0x8_0000),
            vec!["soft temperature limit"]
        );
        assert!(throttle_now(0x8_0000).is_empty());
    }

    #[test]
    fn a_source_no_sample_read_is_absent() {
        let mut a = DeviceSample::default();
        assert_eq!(a.absent(), Source::ALL.to_vec());
        a.thermal.push(ThermalZone {
            zone: "cpu-thermal".into(),
            temp_c: 50.0,
        });
        let b = DeviceSample {
            throttled: Some(0),
            ..Default::default()
        };
        let s = RoundDeviceState::from_samples(vec![a, b], None);
        assert!(!s.absent.contains(&Source::Thermal));
        assert!(!s.absent.contains(&Source::Throttle));
        assert!(s.absent.contains(&Source::PowerMode));
        // Unread sources leave no trace in a sample's JSON.
        let json = serde_json::to_string(&s.samples[1]).unwrap();
        assert_eq!(json, r#"{"t_s":0.0,"throttled":0}"#);
    }

    #[test]
    fn power_modes_match_by_name_or_id() {
        let m = PowerMode {
            id: 1,
            name: Some("5W".into()),
        };
        assert!(m.is("5w") && m.is("1") && !m.is("MAXN") && !m.is("0"));
        assert_eq!(m.describe(), "5W (mode 1)");
    }

    #[test]
    fn only_clock_capping_cooling_devices_throttle() {
        let c = |k: &str| CoolingDevice {
            kind: k.into(),
            cur_state: 1,
            max_state: 3,
        };
        assert!(c("cpufreq-cpu0").caps_clock() && c("thermal-devfreq-0").caps_clock());
        assert!(!c("pwm-fan").caps_clock() && !c("Processor").caps_clock());
    }
}

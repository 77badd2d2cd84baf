//! A compact summary of the device state of many rounds (a path's, a run's, a
//! baseline's): temperature range, governors and CPU clock range, power modes,
//! throttle conditions seen, rounds with a problem, sources absent. What `run`
//! prints under its table and a history line keeps for the dashboard.

use serde::{Deserialize, Serialize};

use super::devstate::{throttle_now, RoundDeviceState, Source};
use crate::suite::PLACEHOLDER_ZONES;

/// What the device did across some rounds, in a few values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DeviceSummary {
    /// Rounds summarised (those that recorded a device state).
    pub rounds: usize,
    /// Rounds with a problem by the suite's `[device.state]` when they ran.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub problem_rounds: usize,
    /// Lowest and highest reading of the hottest zone (placeholders left out), °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temp_c: Option<[f64; 2]>,
    /// The zone that was hottest at the highest reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Governors seen, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub governors: Vec<String>,
    /// Lowest and highest current CPU clock over every policy and sample, MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_mhz: Option<[f64; 2]>,
    /// Jetson power modes seen ("5W (mode 1)").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub power_modes: Vec<String>,
    /// Pi throttle conditions seen happening ("under-voltage"); `None` when the
    /// flags were never read, empty when they were always clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Vec<String>>,
    /// Sources no round could read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<Source>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn widen(range: &mut Option<[f64; 2]>, x: f64) {
    if !x.is_finite() {
        return;
    }
    *range = Some(match *range {
        Some([lo, hi]) => [lo.min(x), hi.max(x)],
        None => [x, x],
    });
}

fn add_unique(list: &mut Vec<String>, s: &str) {
    if !list.iter().any(|x| x == s) {
        list.push(s.to_string());
    }
}

impl DeviceSummary {
    /// The summary of `rounds`; `None` when none recorded a device state
    /// (records of older edgeperf).
    pub fn of<'a>(rounds: impl IntoIterator<Item = &'a RoundDeviceState>) -> Option<Self> {
        let mut s = DeviceSummary::default();
        let mut absent: Option<Vec<Source>> = None;
        let mut hottest = f64::NEG_INFINITY;
        for r in rounds {
            s.rounds += 1;
            s.problem_rounds += usize::from(!r.problems.is_empty());
            absent = Some(match absent {
                None => r.absent.clone(),
                Some(a) => a.into_iter().filter(|x| r.absent.contains(x)).collect(),
            });
            for x in &r.samples {
                if let Some(z) = x.hottest(|n| !PLACEHOLDER_ZONES.contains(&n)) {
                    widen(&mut s.temp_c, z.temp_c);
                    if z.temp_c > hottest {
                        hottest = z.temp_c;
                        s.zone = Some(z.zone.clone());
                    }
                }
                for p in &x.cpufreq {
                    if let Some(g) = &p.governor {
                        add_unique(&mut s.governors, g);
                    }
                    if let Some(mhz) = p.cur_mhz {
                        widen(&mut s.cpu_mhz, mhz);
                    }
                }
                if let Some(m) = &x.power_mode {
                    add_unique(&mut s.power_modes, &m.describe());
                }
                if let Some(f) = x.throttled {
                    let seen = s.throttle.get_or_insert_with(Vec::new);
                    for what in throttle_now(f) {
                        add_unique(seen, what);
                    }
                }
            }
        }
        s.governors.sort();
        s.absent = absent?;
        Some(s)
    }

    /// One line: "41.0-68.5 °C (cpu-thermal) · performance 1500 MHz · Pi
    /// throttle flags clear · device problems in 2 of 3 rounds · absent:
    /// Jetson power mode, ...".
    pub fn text(&self) -> String {
        if self.absent.len() == Source::ALL.len() {
            return format!(
                "no source readable on this machine (absent: {})",
                labels(&self.absent)
            );
        }
        let mut parts = Vec::new();
        if let Some([lo, hi]) = self.temp_c {
            let zone = self
                .zone
                .as_deref()
                .map(|z| format!(" ({z})"))
                .unwrap_or_default();
            parts.push(format!("{} °C{zone}", range(lo, hi, 1)));
        }
        match (self.governors.is_empty(), self.cpu_mhz) {
            (false, Some([lo, hi])) => parts.push(format!(
                "{} {} MHz",
                self.governors.join("/"),
                range(lo, hi, 0)
            )),
            (false, None) => parts.push(format!("governor {}", self.governors.join("/"))),
            (true, Some([lo, hi])) => parts.push(format!("CPU {} MHz", range(lo, hi, 0))),
            (true, None) => {}
        }
        if !self.power_modes.is_empty() {
            parts.push(format!("power mode {}", self.power_modes.join(", ")));
        }
        match &self.throttle {
            Some(t) if t.is_empty() => parts.push("Pi throttle flags clear".into()),
            Some(t) => parts.push(format!("Pi firmware: {}", t.join(", "))),
            None => {}
        }
        if self.problem_rounds > 0 {
            parts.push(format!(
                "device problems in {} of {} rounds",
                self.problem_rounds, self.rounds
            ));
        }
        if !self.absent.is_empty() {
            parts.push(format!("absent: {}", labels(&self.absent)));
        }
        parts.join(" · ")
    }
}

impl DeviceSummary {
    /// A table cell: "48-85 °C · ondemand · power mode 5W (mode 1) · problems
    /// in 2 of 3 rounds"; "not readable" where no source was.
    pub fn short(&self) -> String {
        if self.absent.len() == Source::ALL.len() {
            return "not readable".into();
        }
        let mut parts = Vec::new();
        if let Some([lo, hi]) = self.temp_c {
            parts.push(format!("{} °C", range(lo, hi, 0)));
        }
        if !self.governors.is_empty() {
            parts.push(self.governors.join("/"));
        }
        if !self.power_modes.is_empty() {
            parts.push(format!("power mode {}", self.power_modes.join(", ")));
        }
        if let Some(t) = self.throttle.as_ref().filter(|t| !t.is_empty()) {
            parts.push(format!("Pi firmware: {}", t.join(", ")));
        }
        if self.problem_rounds > 0 {
            parts.push(format!(
                "problems in {} of {} rounds",
                self.problem_rounds, self.rounds
            ));
        }
        if parts.is_empty() {
            "recorded".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// "41.0-68.5", or one value when both ends round alike.
fn range(lo: f64, hi: f64, decimals: usize) -> String {
    let (a, b) = (format!("{lo:.decimals$}"), format!("{hi:.decimals$}"));
    if a == b {
        a
    } else {
        format!("{a}-{b}")
    }
}

/// Sources by their labels, comma-separated.
pub fn labels(sources: &[Source]) -> String {
    sources
        .iter()
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::devstate::{CpuPolicy, DeviceSample, ThermalZone};

    fn sample(temp: f64, mhz: f64, flags: Option<u32>) -> DeviceSample {
        DeviceSample {
            thermal: vec![
                ThermalZone {
                    zone: "cpu-thermal".into(),
                    temp_c: temp,
                },
                ThermalZone {
                    zone: "PMIC-Die".into(),
                    temp_c: 100.0,
                },
            ],
            cpufreq: vec![CpuPolicy {
                policy: "policy0".into(),
                governor: Some("ondemand".into()),
                cur_mhz: Some(mhz),
                ..Default::default()
            }],
            throttled: flags,
            ..Default::default()
        }
    }

    #[test]
    fn a_summary_spans_every_round_and_names_what_was_absent() {
        let a = RoundDeviceState::from_samples(
            vec![sample(48.0, 600.0, Some(0)), sample(71.5, 1500.0, Some(0))],
            None,
        );
        let mut b =
            RoundDeviceState::from_samples(vec![sample(83.2, 1000.0, Some(0x5_0005))], None);
        b.problems.push("throttled".into());
        let s = DeviceSummary::of([&a, &b]).unwrap();
        assert_eq!(
            s.temp_c,
            Some([48.0, 83.2]),
            "the placeholder zone is left out"
        );
        assert_eq!(s.cpu_mhz, Some([600.0, 1500.0]));
        assert_eq!((s.rounds, s.problem_rounds), (2, 1));
        assert_eq!(
            s.short(),
            "48-83 °C · ondemand · Pi firmware: under-voltage, throttled · problems in 1 of 2 rounds"
        );
        assert_eq!(
            s.text(),
            "48.0-83.2 °C (cpu-thermal) · ondemand 600-1500 MHz · Pi firmware: under-voltage, throttled · device problems in 1 of 2 rounds · absent: Jetson power mode, devfreq clocks, EMC clock, cooling devices"
        );
        assert!(DeviceSummary::of([]).is_none());
    }

    #[test]
    fn a_machine_without_any_source_says_so() {
        let none = RoundDeviceState::from_samples(vec![DeviceSample::default()], None);
        let s = DeviceSummary::of([&none]).unwrap();
        assert!(
            s.text().starts_with("no source readable on this machine (absent: thermal zones, cpufreq, Pi throttle flags"),
            "{}",
            s.text()
        );
    }
}

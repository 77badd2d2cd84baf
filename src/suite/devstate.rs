//! `[device.state]`: what a device's clocks, temperature and power must be for
//! its measurements to count (docs/SUITE.md). Written under a `[[device]]`
//! table, so each device (board) has its own:
//!
//! ```toml
//! [[device]]
//! name = "rpi4"
//! [device.state]
//! governor = "performance"
//! max_temp_c = 80
//! cooldown = { below_c = 60, timeout_s = 120 }
//! on_throttle = "inconclusive"
//! ```
//!
//! Every key is optional. Without any, the device state is still recorded and
//! the firmware's own throttling signals (a Raspberry Pi's `get_throttled`
//! flags, a thermal cooling device capping the CPU or GPU clock) still make a
//! path inconclusive; the governor, temperature and power mode are judged only
//! when the suite names what it expects.

use serde::{Deserialize, Serialize};

use super::key::{key_err, KeyError};

/// Thermal zones left out of the watched set unless the suite names them: they
/// report a fixed placeholder, not a temperature (Jetson Nano/TX's `PMIC-Die`
/// always reads 100 °C).
pub const PLACEHOLDER_ZONES: [&str; 1] = ["PMIC-Die"];

/// Default seconds between two device-state samples during a round.
pub const DEFAULT_SAMPLE_EVERY_S: f64 = 2.0;

/// What happens to a path whose base or head rounds ran on a throttled,
/// overheated or misconfigured device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OnThrottle {
    /// The latency and cold start verdicts become inconclusive (the default).
    #[default]
    Inconclusive,
    /// A guard: the path fails (exit 1), as a regression would.
    Fail,
}

/// Wait before each round until the watched zones are cooler than `below_c`,
/// at most `timeout_s` seconds (then the round runs anyway, and says so).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CooldownRule {
    pub below_c: f64,
    pub timeout_s: f64,
}

/// A device's `[device.state]`, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceStateRule {
    /// The cpufreq governor every CPU policy must run (e.g. "performance").
    pub governor: Option<String>,
    /// Hottest watched zone allowed during a round, °C.
    pub max_temp_c: Option<f64>,
    /// Thermal zones watched, by their `type` (e.g. "cpu-thermal"); empty: every
    /// zone but the [`PLACEHOLDER_ZONES`].
    pub zones: Vec<String>,
    /// Jetson power mode (nvpmodel) expected, by name ("MAXN") or id ("0").
    pub power_mode: Option<String>,
    pub cooldown: Option<CooldownRule>,
    pub on_throttle: OnThrottle,
    /// Seconds between two samples while a round runs (one before and one after
    /// each round whatever this says).
    pub sample_every_s: f64,
}

impl Default for DeviceStateRule {
    fn default() -> Self {
        DeviceStateRule {
            governor: None,
            max_temp_c: None,
            zones: Vec::new(),
            power_mode: None,
            cooldown: None,
            on_throttle: OnThrottle::Inconclusive,
            sample_every_s: DEFAULT_SAMPLE_EVERY_S,
        }
    }
}

impl DeviceStateRule {
    /// Whether thermal zone `name` is watched: one the suite names, or any but
    /// a placeholder when it names none.
    pub fn watches(&self, name: &str) -> bool {
        if self.zones.is_empty() {
            !PLACEHOLDER_ZONES.contains(&name)
        } else {
            self.zones.iter().any(|z| z == name)
        }
    }

    /// Checks the values; errors name the key under `state.`.
    pub fn validate(&self) -> std::result::Result<(), KeyError> {
        let temp = |key: &str, v: f64| {
            if v.is_finite() && (-50.0..=200.0).contains(&v) {
                Ok(())
            } else {
                Err(key_err(
                    key,
                    format!("must be a temperature in °C between -50 and 200, got {v}"),
                ))
            }
        };
        if let Some(t) = self.max_temp_c {
            temp("state.max_temp_c", t)?;
        }
        if let Some(c) = &self.cooldown {
            temp("state.cooldown.below_c", c.below_c)?;
            if !(c.timeout_s.is_finite() && c.timeout_s > 0.0 && c.timeout_s <= 3600.0) {
                return Err(key_err(
                    "state.cooldown.timeout_s",
                    format!(
                        "must be a number of seconds above 0 and at most 3600, got {}",
                        c.timeout_s
                    ),
                ));
            }
            if let Some(max) = self.max_temp_c {
                if c.below_c > max {
                    return Err(key_err(
                        "state.cooldown.below_c",
                        format!("{} is above state.max_temp_c = {max}: every round would start past the limit", c.below_c),
                    ));
                }
            }
        }
        if let Some(g) = &self.governor {
            if g.trim().is_empty() || g.contains(char::is_whitespace) {
                return Err(key_err(
                    "state.governor",
                    format!("{g:?} is not a cpufreq governor name (e.g. \"performance\")"),
                ));
            }
        }
        if matches!(&self.power_mode, Some(m) if m.trim().is_empty()) {
            return Err(key_err(
                "state.power_mode",
                "must name an nvpmodel mode (e.g. \"MAXN\") or its id",
            ));
        }
        if !(self.sample_every_s.is_finite() && (0.1..=600.0).contains(&self.sample_every_s)) {
            return Err(key_err(
                "state.sample_every_s",
                format!(
                    "must be between 0.1 and 600 seconds, got {}",
                    self.sample_every_s
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_watch_every_real_zone_and_judge_nothing_configurable() {
        let r = DeviceStateRule::default();
        assert!(r.validate().is_ok());
        assert!(r.watches("cpu-thermal") && !r.watches("PMIC-Die"));
        let named = DeviceStateRule {
            zones: vec!["GPU-therm".into()],
            ..r
        };
        assert!(named.watches("GPU-therm") && !named.watches("cpu-thermal"));
    }

    #[test]
    fn bad_values_name_their_key() {
        let bad = [
            (
                DeviceStateRule {
                    max_temp_c: Some(f64::NAN),
                    ..Default::default()
                },
                "state.max_temp_c",
            ),
            (
                DeviceStateRule {
                    cooldown: Some(CooldownRule {
                        below_c: 60.0,
                        timeout_s: 0.0,
                    }),
                    ..Default::default()
                },
                "state.cooldown.timeout_s",
            ),
            (
                DeviceStateRule {
                    max_temp_c: Some(70.0),
                    cooldown: Some(CooldownRule {
                        below_c: 75.0,
                        timeout_s: 10.0,
                    }),
                    ..Default::default()
                },
                "state.cooldown.below_c",
            ),
            (
                DeviceStateRule {
                    governor: Some("on demand".into()),
                    ..Default::default()
                },
                "state.governor",
            ),
            (
                DeviceStateRule {
                    sample_every_s: 0.0,
                    ..Default::default()
                },
                "state.sample_every_s",
            ),
        ];
        for (rule, key) in bad {
            let (k, m) = rule.validate().unwrap_err();
            assert_eq!(k, key, "{m}");
        }
    }
}

//! The checks of `edgeperf doctor` that judge readings: one device-state
//! sample against the suite's `[device.state]` of each device checked, free
//! memory and disk. Pure: `commands::doctor` takes the readings.
//!
//! Thresholds: memory available below [`MEMORY_PROBLEM_MB`] is a problem,
//! below [`MEMORY_WARN_MB`] a warning; free disk below [`DISK_PROBLEM_MB`] a
//! problem, below [`DISK_WARN_MB`] a warning.

use super::doctor::{Check, CheckStatus};
use crate::record::devstate::{throttle_now, throttle_since_boot, DeviceSample, Source};
use crate::record::devsummary::labels;
use crate::suite::DeviceStateRule;

pub const MEMORY_PROBLEM_MB: f64 = 256.0;
pub const MEMORY_WARN_MB: f64 = 512.0;
pub const DISK_PROBLEM_MB: f64 = 1024.0;
pub const DISK_WARN_MB: f64 = 2048.0;

const GOVERNOR_FIX: &str = "echo performance | sudo tee /sys/devices/system/cpu/cpufreq/policy*/scaling_governor (docs/RUNNERS.md, 5)";

/// What doctor read.
pub struct Readings<'a> {
    pub sample: &'a DeviceSample,
    /// The `[device.state]` of each device checked, by device name.
    pub rules: &'a [(String, DeviceStateRule)],
    /// Memory available and total, MiB.
    pub memory_mb: Option<(f64, f64)>,
    /// The folder checked for space, its free and total bytes.
    pub disk: Option<(String, u64, u64)>,
}

/// Every check of the readings, in the order doctor prints them.
pub fn checks(r: &Readings<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    let absent = r.sample.absent();
    if !absent.is_empty() {
        out.push(Check::new(
            "device state",
            CheckStatus::Skipped,
            format!(
                "not on this machine (recorded as absent): {}",
                labels(&absent)
            ),
        ));
    }
    out.extend(governor(r));
    out.extend(clocks(r.sample));
    out.extend(throttling(r.sample));
    out.extend(temperature(r));
    out.extend(power_mode(r));
    out.extend(memory(r.memory_mb));
    out.extend(disk(r.disk.as_ref()));
    out
}

/// Each policy's governor against the governor each device expects; without
/// an expectation, anything but `performance` is a warning.
fn governor(r: &Readings<'_>) -> Vec<Check> {
    let policies = &r.sample.cpufreq;
    let seen: Vec<String> = policies
        .iter()
        .map(|p| format!("{} {}", p.policy, p.governor.as_deref().unwrap_or("?")))
        .collect();
    let mut out = Vec::new();
    for (device, rule) in r.rules {
        let Some(want) = &rule.governor else { continue };
        let c = if policies.is_empty() {
            Check::new(
                "governor",
                CheckStatus::Problem,
                format!("no cpufreq here: cannot check the governor {want} its [device.state] requires"),
            )
            .fix("remove state.governor for a machine without cpufreq, or run on the device it describes")
        } else if policies.iter().all(|p| p.governor.as_deref() == Some(want)) {
            Check::new(
                "governor",
                CheckStatus::Ok,
                format!("{want} ({})", seen.join(", ")),
            )
        } else {
            Check::new(
                "governor",
                CheckStatus::Problem,
                format!("{} (its [device.state] requires {want})", seen.join(", ")),
            )
            .fix(GOVERNOR_FIX.replace("performance", want))
        };
        out.push(c.about(device));
    }
    if out.is_empty() && !policies.is_empty() {
        out.push(
            if policies
                .iter()
                .all(|p| p.governor.as_deref() == Some("performance"))
            {
                Check::new("governor", CheckStatus::Ok, seen.join(", "))
            } else {
                Check::new(
                    "governor",
                    CheckStatus::Warn,
                    format!(
                        "{}: the clock follows the load, so latency varies with it",
                        seen.join(", ")
                    ),
                )
                .fix(GOVERNOR_FIX)
            },
        );
    }
    out
}

/// CPU policies held below the hardware's maximum, clock-capping cooling
/// devices active now, devfreq clocks that scale with load.
fn clocks(s: &DeviceSample) -> Vec<Check> {
    let mut out = Vec::new();
    for p in &s.cpufreq {
        if let (Some(max), Some(hw)) = (p.max_mhz, p.hw_max_mhz) {
            if max < hw {
                out.push(
                    Check::new("clocks", CheckStatus::Warn, format!("capped at {max:.0} of {hw:.0} MHz (scaling_max_freq)"))
                        .about(&p.policy)
                        .fix(format!("raise /sys/devices/system/cpu/cpufreq/{}/scaling_max_freq, or keep it and keep it the same for every run", p.policy)),
                );
            }
        }
    }
    for c in s
        .cooling
        .iter()
        .filter(|c| c.caps_clock() && c.cur_state > 0)
    {
        out.push(
            Check::new("clocks", CheckStatus::Problem, format!("cooling device at state {}/{}: the kernel is capping this clock now (the board is hot)", c.cur_state, c.max_state))
                .about(&c.kind)
                .fix("cool the board (a fan or heatsink) and let it idle; [device.state] cooldown waits before each round"),
        );
    }
    for d in &s.devfreq {
        let cur = d.cur_mhz.unwrap_or(f64::NAN);
        match (d.min_mhz, d.max_mhz) {
            (Some(min), Some(max)) if min < max => out.push(
                Check::new("clocks", CheckStatus::Warn, format!("{cur:.0} MHz, scaling with load between {min:.0} and {max:.0} MHz ({})", d.governor.as_deref().unwrap_or("?")))
                    .about(&d.name)
                    .fix("on a Jetson: sudo jetson_clocks pins the GPU and EMC clocks at their maximum (docs/RUNNERS.md, 4.3)"),
            ),
            _ => out.push(Check::new("clocks", CheckStatus::Ok, format!("{cur:.0} MHz")).about(&d.name)),
        }
    }
    if let Some(emc) = s.emc_mhz {
        out.push(Check::new("clocks", CheckStatus::Ok, format!("{emc:.0} MHz")).about("EMC"));
    }
    out
}

/// A Raspberry Pi's firmware flags now, and since boot.
fn throttling(s: &DeviceSample) -> Option<Check> {
    let flags = s.throttled?;
    let now = throttle_now(flags);
    let before = throttle_since_boot(flags);
    let fix = if now.contains(&"under-voltage") || before.contains(&"under-voltage") {
        "use the official power supply (5.1 V, 3 A for a Pi 4, 5 A for a Pi 5) and a short cable"
    } else {
        "cool the board (a fan or heatsink, docs/RUNNERS.md 4.2) and let it idle before measuring"
    };
    Some(if !now.is_empty() {
        Check::new(
            "throttling",
            CheckStatus::Problem,
            format!("now: {} (get_throttled = {flags:#x})", now.join(", ")),
        )
        .fix(fix)
    } else if !before.is_empty() {
        Check::new(
            "throttling",
            CheckStatus::Warn,
            format!(
                "not now, but since boot: {} (get_throttled = {flags:#x})",
                before.join(", ")
            ),
        )
        .fix(fix)
    } else {
        Check::new(
            "throttling",
            CheckStatus::Ok,
            format!("Pi firmware flags clear (get_throttled = {flags:#x})"),
        )
    })
}

/// The hottest watched zone against each device's `max_temp_c` and cooldown.
fn temperature(r: &Readings<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    for (device, rule) in r.rules {
        if rule.max_temp_c.is_none() && rule.cooldown.is_none() {
            continue;
        }
        let Some(z) = r.sample.hottest(|n| rule.watches(n)) else {
            out.push(
                Check::new("temperature", CheckStatus::Problem, "no watched thermal zone here: its [device.state] asks for a temperature (max_temp_c or cooldown)")
                    .about(device)
                    .fix("name zones that exist (state.zones; /sys/class/thermal/thermal_zone*/type) or remove the temperature keys"),
            );
            continue;
        };
        let at = format!("{:.1} °C ({})", z.temp_c, z.zone);
        let c = match (rule.max_temp_c, rule.cooldown) {
            (Some(max), _) if z.temp_c > max => Check::new("temperature", CheckStatus::Problem, format!("{at} > max_temp_c {max}"))
                .fix("cool the board and let it idle; a cooldown (state.cooldown) waits before each round"),
            (_, Some(c)) if z.temp_c >= c.below_c => Check::new("temperature", CheckStatus::Warn, format!("{at}: each round will first wait (at most {} s) for it to fall below {} °C", c.timeout_s, c.below_c))
                .fix("better cooling makes runs shorter"),
            _ => Check::new("temperature", CheckStatus::Ok, at),
        };
        out.push(c.about(device));
    }
    if out.is_empty() {
        if let Some(z) = r
            .sample
            .hottest(|n| !crate::suite::PLACEHOLDER_ZONES.contains(&n))
        {
            out.push(Check::new(
                "temperature",
                CheckStatus::Ok,
                format!("{:.1} °C ({}), the hottest zone", z.temp_c, z.zone),
            ));
        }
    }
    out
}

/// A Jetson's power mode against each device's `power_mode`; without one,
/// any mode but MAXN is a warning.
fn power_mode(r: &Readings<'_>) -> Vec<Check> {
    let mode = r.sample.power_mode.as_ref();
    let fix = "sudo nvpmodel -m <the id of MAXN in /etc/nvpmodel.conf> && sudo jetson_clocks (docs/RUNNERS.md, 4.3)";
    let mut out = Vec::new();
    for (device, rule) in r.rules {
        let Some(want) = &rule.power_mode else {
            continue;
        };
        let c = match mode {
            None => Check::new("power mode", CheckStatus::Problem, format!("no nvpmodel status here: cannot check the power mode {want} its [device.state] requires"))
                .fix("run on the Jetson it describes (nvpmodel writes /var/lib/nvpmodel/status), or remove state.power_mode"),
            Some(m) if m.is(want) => Check::new("power mode", CheckStatus::Ok, m.describe()),
            Some(m) => Check::new("power mode", CheckStatus::Problem, format!("{} (its [device.state] requires {want})", m.describe()))
                .fix(fix.replace("MAXN", want)),
        };
        out.push(c.about(device));
    }
    if let (true, Some(m)) = (out.is_empty(), mode) {
        let maxn = m
            .name
            .as_deref()
            .is_some_and(|n| n.to_ascii_uppercase().starts_with("MAXN"));
        out.push(if maxn {
            Check::new("power mode", CheckStatus::Ok, m.describe())
        } else {
            Check::new(
                "power mode",
                CheckStatus::Warn,
                format!(
                    "{}: not the board's MAXN mode, clocks and cores are limited",
                    m.describe()
                ),
            )
            .fix(fix)
        });
    }
    out
}

fn memory(m: Option<(f64, f64)>) -> Option<Check> {
    let (avail, total) = m?;
    let found = format!("{avail:.0} MiB available of {total:.0} MiB");
    Some(if avail < MEMORY_PROBLEM_MB {
        Check::new("memory", CheckStatus::Problem, found).fix("stop other work on the device: a model and its runtime need room, and swapping ruins latency")
    } else if avail < MEMORY_WARN_MB {
        Check::new("memory", CheckStatus::Warn, found)
            .fix("stop other work on the device before measuring larger models")
    } else {
        Check::new("memory", CheckStatus::Ok, found)
    })
}

fn disk(d: Option<&(String, u64, u64)>) -> Option<Check> {
    let (path, free, total) = d?;
    let mb = |b: u64| b as f64 / (1u64 << 20) as f64;
    let found = format!(
        "{:.1} GiB free of {:.1} GiB at {path}",
        mb(*free) / 1024.0,
        mb(*total) / 1024.0
    );
    Some(if mb(*free) < DISK_PROBLEM_MB {
        Check::new("disk", CheckStatus::Problem, found)
            .fix("free space: run records, the artifact store and the assets need it")
    } else if mb(*free) < DISK_WARN_MB {
        Check::new("disk", CheckStatus::Warn, found)
            .fix("free some space (EDGEPERF_ARTIFACTS_MAX_MB bounds the artifact store)")
    } else {
        Check::new("disk", CheckStatus::Ok, found)
    })
}

/// Whether every source is absent (a machine with none of the files).
pub fn nothing_readable(s: &DeviceSample) -> bool {
    Source::ALL.iter().all(|x| !s.has(*x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::devstate::{CpuPolicy, PowerMode, ThermalZone};

    fn readings<'a>(s: &'a DeviceSample, rules: &'a [(String, DeviceStateRule)]) -> Vec<Check> {
        checks(&Readings {
            sample: s,
            rules,
            memory_mb: Some((2048.0, 4096.0)),
            disk: Some(("/x".into(), 10 << 30, 20 << 30)),
        })
    }

    fn status_of(cs: &[Check], check: &str) -> Vec<CheckStatus> {
        cs.iter()
            .filter(|c| c.check == check)
            .map(|c| c.status)
            .collect()
    }

    #[test]
    fn a_machine_without_any_source_is_not_a_problem_by_itself() {
        let s = DeviceSample::default();
        let cs = readings(&s, &[]);
        assert!(nothing_readable(&s));
        assert_eq!(cs[0].status, CheckStatus::Skipped);
        assert!(
            cs[0]
                .detail
                .contains("thermal zones, cpufreq, Pi throttle flags"),
            "{}",
            cs[0].detail
        );
        assert!(
            cs.iter().all(|c| c.status != CheckStatus::Problem),
            "{cs:?}"
        );
        // ... unless the suite requires what it cannot show.
        let rules = [(
            "rpi4".to_string(),
            DeviceStateRule {
                governor: Some("performance".into()),
                ..Default::default()
            },
        )];
        assert_eq!(
            status_of(&readings(&s, &rules), "governor"),
            [CheckStatus::Problem]
        );
    }

    #[test]
    fn powersave_and_5w_are_problems_when_the_suite_says_and_warnings_otherwise() {
        let s = DeviceSample {
            cpufreq: vec![CpuPolicy {
                policy: "policy0".into(),
                governor: Some("powersave".into()),
                ..Default::default()
            }],
            power_mode: Some(PowerMode {
                id: 1,
                name: Some("5W".into()),
            }),
            thermal: vec![ThermalZone {
                zone: "CPU-therm".into(),
                temp_c: 41.5,
            }],
            ..Default::default()
        };
        let cs = readings(&s, &[]);
        assert_eq!(status_of(&cs, "governor"), [CheckStatus::Warn]);
        assert_eq!(status_of(&cs, "power mode"), [CheckStatus::Warn]);
        assert_eq!(status_of(&cs, "temperature"), [CheckStatus::Ok]);
        let rules = [(
            "jetson".to_string(),
            DeviceStateRule {
                governor: Some("performance".into()),
                power_mode: Some("MAXN".into()),
                max_temp_c: Some(40.0),
                ..Default::default()
            },
        )];
        let cs = readings(&s, &rules);
        for what in ["governor", "power mode", "temperature"] {
            assert_eq!(
                status_of(&cs, what),
                [CheckStatus::Problem],
                "{what}: {cs:?}"
            );
        }
        let pm = cs.iter().find(|c| c.check == "power mode").unwrap();
        assert_eq!(pm.detail, "5W (mode 1) (its [device.state] requires MAXN)");
        assert!(pm.fix.as_deref().unwrap().contains("nvpmodel -m"));
    }

    #[test]
    fn throttle_flags_now_are_problems_and_since_boot_warnings() {
        let s = |f| DeviceSample {
            throttled: Some(f),
            ..Default::default()
        };
        let st = |f| throttling(&s(f)).unwrap().status;
        assert_eq!(st(0), CheckStatus::Ok);
        assert_eq!(st(0x5_0000), CheckStatus::Warn);
        assert_eq!(st(0x5_0005), CheckStatus::Problem);
        assert!(throttling(&s(0x1))
            .unwrap()
            .fix
            .unwrap()
            .contains("power supply"));
        assert!(throttling(&DeviceSample::default()).is_none());
    }

    #[test]
    fn little_memory_or_disk_is_a_problem() {
        assert_eq!(
            memory(Some((100.0, 1000.0))).unwrap().status,
            CheckStatus::Problem
        );
        assert_eq!(
            memory(Some((400.0, 1000.0))).unwrap().status,
            CheckStatus::Warn
        );
        assert_eq!(
            disk(Some(&("/".into(), 500 << 20, 1 << 34)))
                .unwrap()
                .status,
            CheckStatus::Problem
        );
        assert_eq!(
            disk(Some(&("/".into(), 1500 << 20, 1 << 34)))
                .unwrap()
                .status,
            CheckStatus::Warn
        );
    }
}

//! Device-state guards: a path whose base, head or confirmation rounds ran on
//! a throttled, overheated or misconfigured device has no latency verdict to
//! trust ("inconclusive: device throttled (...)", or a failure when the
//! suite's `[device.state] on_throttle = "fail"`).
//!
//! What counts against a round, from its samples (`record::devstate`):
//!
//! * a Raspberry Pi's firmware flags: under-voltage, ARM clock capped,
//!   throttled or soft temperature limit happening in any sample, or newly set
//!   in the "since boot" bits between the round's first and last sample (an
//!   episode shorter than the sampling interval);
//! * a thermal cooling device that caps a clock (cpufreq or devfreq cooling)
//!   at a state above 0 in any sample;
//! * with `governor`: a CPU policy on another governor;
//! * with `max_temp_c`: a watched zone past it;
//! * with `power_mode`: a Jetson in another nvpmodel mode;
//! * what the suite asks to check but the machine does not show (no cpufreq,
//!   no watched zone, no nvpmodel status): "unknown", which counts too, since
//!   nothing says the round ran as the suite requires.
//!
//! A round without a recorded device state (records of older edgeperf) is not
//! judged. Pure: the samples come in, reasons go out.

use std::collections::{BTreeMap, BTreeSet};

use super::resources::ResourceJudgement;
use super::types::Verdict;
use crate::record::devstate::{throttle_now, RoundDeviceState, Source};
use crate::record::Round;
use crate::suite::{DeviceStateRule, OnThrottle};

/// What was wrong with the device over one or more rounds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// Pi firmware conditions (the "now" bits of `get_throttled`).
    firmware: u32,
    /// Clock-capping cooling devices above state 0: type -> (highest state, max).
    cooling: BTreeMap<String, (u32, u32)>,
    /// Governors other than the expected one.
    governors: BTreeSet<String>,
    /// The hottest watched reading past `max_temp_c`, and its zone.
    hottest: Option<(f64, String)>,
    /// Power modes other than the expected one.
    power_modes: BTreeSet<String>,
    /// Requirements the machine does not show.
    unknown: BTreeSet<&'static str>,
}

impl Findings {
    /// What the samples of one round show against `rule`.
    pub fn of_round(state: &RoundDeviceState, rule: &DeviceStateRule) -> Findings {
        let mut f = Findings::default();
        let flags: Vec<u32> = state.samples.iter().filter_map(|s| s.throttled).collect();
        for x in &flags {
            f.firmware |= x & 0xF;
        }
        if let (Some(first), Some(last)) = (flags.first(), flags.last()) {
            f.firmware |= ((last & !first) >> 16) & 0xF;
        }
        for s in &state.samples {
            for c in s
                .cooling
                .iter()
                .filter(|c| c.caps_clock() && c.cur_state > 0)
            {
                let e = f.cooling.entry(c.kind.clone()).or_insert((0, c.max_state));
                e.0 = e.0.max(c.cur_state);
            }
            if let Some(want) = &rule.governor {
                for g in s.cpufreq.iter().filter_map(|p| p.governor.as_ref()) {
                    if g != want {
                        f.governors.insert(g.clone());
                    }
                }
            }
            if let (Some(max), Some(z)) = (rule.max_temp_c, s.hottest(|n| rule.watches(n))) {
                if z.temp_c > max && f.hottest.as_ref().is_none_or(|(t, _)| z.temp_c > *t) {
                    f.hottest = Some((z.temp_c, z.zone.clone()));
                }
            }
            if let (Some(want), Some(m)) = (&rule.power_mode, &s.power_mode) {
                if !m.is(want) {
                    f.power_modes.insert(m.describe());
                }
            }
        }
        let never = |pred: &dyn Fn(&crate::record::devstate::DeviceSample) -> bool| {
            !state.samples.iter().any(pred)
        };
        if rule.governor.is_some() && never(&|s| s.cpufreq.iter().any(|p| p.governor.is_some())) {
            f.unknown.insert("governor");
        }
        if rule.max_temp_c.is_some() && never(&|s| s.hottest(|n| rule.watches(n)).is_some()) {
            f.unknown.insert("temperature");
        }
        if rule.power_mode.is_some() && never(&|s| s.has(Source::PowerMode)) {
            f.unknown.insert("power mode");
        }
        f
    }

    pub fn is_empty(&self) -> bool {
        *self == Findings::default()
    }

    fn merge(&mut self, o: Findings) {
        self.firmware |= o.firmware;
        for (k, (s, m)) in o.cooling {
            let e = self.cooling.entry(k).or_insert((0, m));
            e.0 = e.0.max(s);
        }
        self.governors.extend(o.governors);
        if let Some((t, z)) = o.hottest {
            if self.hottest.as_ref().is_none_or(|(h, _)| t > *h) {
                self.hottest = Some((t, z));
            }
        }
        self.power_modes.extend(o.power_modes);
        self.unknown.extend(o.unknown);
    }

    /// The findings as phrases, in a fixed order.
    pub fn phrases(&self, rule: &DeviceStateRule) -> Vec<String> {
        let mut out = Vec::new();
        if self.firmware != 0 {
            out.push(format!(
                "Pi firmware: {}",
                throttle_now(self.firmware).join(", ")
            ));
        }
        for (kind, (state, max)) in &self.cooling {
            out.push(format!(
                "{kind} cooling at state {state}/{max} (clock capped)"
            ));
        }
        if !self.governors.is_empty() {
            let want = rule.governor.as_deref().unwrap_or("?");
            let seen: Vec<&str> = self.governors.iter().map(String::as_str).collect();
            out.push(format!("governor {} (expected {want})", seen.join("/")));
        }
        if let (Some((t, zone)), Some(max)) = (&self.hottest, rule.max_temp_c) {
            out.push(format!("{t:.1} °C on {zone} > max_temp_c {max}"));
        }
        if !self.power_modes.is_empty() {
            let want = rule.power_mode.as_deref().unwrap_or("?");
            let seen: Vec<&str> = self.power_modes.iter().map(String::as_str).collect();
            out.push(format!("power mode {} (expected {want})", seen.join(", ")));
        }
        for what in &self.unknown {
            out.push(format!(
                "{what} unknown (the suite requires it, this machine does not show it)"
            ));
        }
        out
    }
}

/// What was wrong with the device during one round, as phrases; empty when
/// nothing was (`run` records them, and prints the rounds that have some).
pub fn round_problems(state: &RoundDeviceState, rule: &DeviceStateRule) -> Vec<String> {
    Findings::of_round(state, rule).phrases(rule)
}

/// The guard of a path whose rounds ran on a device with a problem.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceGuard {
    /// "device throttled (head rounds 2, 3 of 3: Pi firmware: throttled; ...)".
    pub reason: String,
    /// `on_throttle = "fail"`: the path fails, else its latency and cold start
    /// are inconclusive.
    pub fail: bool,
}

/// "head rounds 2, 3 of 3: ..." for the rounds of one side that had findings
/// (1-based, as `run` counts them); `None` when none had.
fn side(
    what: &str,
    states: &[Option<&RoundDeviceState>],
    rule: &DeviceStateRule,
) -> Option<String> {
    let mut affected = Vec::new();
    let mut all = Findings::default();
    for (i, s) in states.iter().enumerate() {
        let Some(s) = s else { continue };
        let f = Findings::of_round(s, rule);
        if !f.is_empty() {
            affected.push((i + 1).to_string());
            all.merge(f);
        }
    }
    if affected.is_empty() {
        return None;
    }
    let rounds = if affected.len() == 1 {
        "round"
    } else {
        "rounds"
    };
    Some(format!(
        "{what} {rounds} {} of {}: {}",
        affected.join(", "),
        states.len(),
        all.phrases(rule).join("; ")
    ))
}

/// The device guard of a path: its base (baseline) rounds, head (run) rounds
/// and confirmation rounds judged by `rule`; `None` when no round had a
/// finding.
pub fn guard(
    base: &[Round],
    head: &[Round],
    confirmation: &[RoundDeviceState],
    rule: &DeviceStateRule,
) -> Option<DeviceGuard> {
    fn states(rs: &[Round]) -> Vec<Option<&RoundDeviceState>> {
        rs.iter().map(|r| r.device.as_ref()).collect()
    }
    let confirm: Vec<Option<&RoundDeviceState>> = confirmation.iter().map(Some).collect();
    let parts: Vec<String> = [
        side("head", &states(head), rule),
        side("base", &states(base), rule),
        side("confirmation", &confirm, rule),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        return None;
    }
    Some(DeviceGuard {
        reason: format!("device throttled ({})", parts.join("; ")),
        fail: rule.on_throttle == OnThrottle::Fail,
    })
}

/// Applies a device guard to a path's verdicts: with `fail` it is a guard
/// (the path fails); otherwise the latency verdict (`verdict`, `reason`) and
/// the cold start judgement become inconclusive, the guard's reason first.
/// Memory does not depend on clocks and keeps its verdict; accuracy neither.
pub fn apply(
    g: &DeviceGuard,
    verdict: &mut Verdict,
    reason: &mut String,
    resources: &mut [ResourceJudgement],
    guards: &mut Vec<String>,
) {
    if g.fail {
        guards.push(g.reason.clone());
        return;
    }
    *verdict = Verdict::Inconclusive;
    *reason = format!("{}; the latency measured: {reason}", g.reason);
    for r in resources.iter_mut().filter(|r| r.what == "cold start") {
        r.verdict = Verdict::Inconclusive;
        r.reason = format!("{}; {}", g.reason, r.reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::devstate::{CoolingDevice, CpuPolicy, DeviceSample, PowerMode, ThermalZone};

    fn sample(temp: f64, flags: Option<u32>, governor: &str) -> DeviceSample {
        DeviceSample {
            thermal: vec![ThermalZone {
                zone: "cpu-thermal".into(),
                temp_c: temp,
            }],
            cpufreq: vec![CpuPolicy {
                policy: "policy0".into(),
                governor: Some(governor.into()),
                cur_mhz: Some(1500.0),
                ..Default::default()
            }],
            throttled: flags,
            ..Default::default()
        }
    }

    fn state(samples: Vec<DeviceSample>) -> RoundDeviceState {
        RoundDeviceState::from_samples(samples, None)
    }

    #[test]
    fn a_cool_board_at_full_speed_has_no_problem() {
        let rule = DeviceStateRule {
            governor: Some("performance".into()),
            max_temp_c: Some(80.0),
            ..Default::default()
        };
        let s = state(vec![sample(50.0, Some(0), "performance"); 3]);
        assert!(round_problems(&s, &rule).is_empty());
        // Without a rule nothing configurable is judged.
        let s = state(vec![sample(95.0, Some(0), "powersave"); 2]);
        assert!(round_problems(&s, &DeviceStateRule::default()).is_empty());
    }

    #[test]
    fn firmware_flags_count_now_and_when_they_appear_between_samples() {
        let rule = DeviceStateRule::default();
        let now = state(vec![
            sample(60.0, Some(0), "x"),
            sample(60.0, Some(0x5_0005), "x"),
        ]);
        assert_eq!(
            round_problems(&now, &rule),
            ["Pi firmware: under-voltage, throttled"]
        );
        // An episode between two samples leaves only its "since boot" bit.
        let between = state(vec![
            sample(60.0, Some(0), "x"),
            sample(60.0, Some(0x4_0000), "x"),
        ]);
        assert_eq!(round_problems(&between, &rule), ["Pi firmware: throttled"]);
        // A bit set since boot before the round began is not this round's.
        let old = state(vec![sample(60.0, Some(0x5_0000), "x"); 2]);
        assert!(round_problems(&old, &rule).is_empty());
    }

    #[test]
    fn governor_temperature_power_mode_and_unknowns_are_named() {
        let rule = DeviceStateRule {
            governor: Some("performance".into()),
            max_temp_c: Some(80.0),
            power_mode: Some("MAXN".into()),
            ..Default::default()
        };
        let mut hot = sample(84.25, None, "powersave");
        hot.power_mode = Some(PowerMode {
            id: 1,
            name: Some("5W".into()),
        });
        hot.cooling.push(CoolingDevice {
            kind: "cpufreq-cpu0".into(),
            cur_state: 2,
            max_state: 5,
        });
        assert_eq!(
            round_problems(&state(vec![hot]), &rule),
            [
                "cpufreq-cpu0 cooling at state 2/5 (clock capped)",
                "governor powersave (expected performance)",
                "84.2 °C on cpu-thermal > max_temp_c 80",
                "power mode 5W (mode 1) (expected MAXN)",
            ]
        );
        let bare = state(vec![DeviceSample::default()]);
        let p = round_problems(&bare, &rule);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p.iter().all(|x| x.contains("unknown")), "{p:?}");
    }

    fn round_with(s: Option<RoundDeviceState>) -> Round {
        let p = crate::fixtures::path_record(
            "cpu",
            "m",
            crate::suite::Provider::Cpu,
            &[vec![9.0]],
            None,
        );
        let mut r = p.rounds[0].clone();
        r.device = s;
        r
    }

    #[test]
    fn applied_it_makes_latency_and_cold_start_inconclusive_or_fails_the_path() {
        let judged = |what: &str| ResourceJudgement {
            what: what.into(),
            unit: "ms".into(),
            verdict: Verdict::Regressed,
            base: 1.0,
            head: 2.0,
            change: 1.0,
            reason: "past".into(),
        };
        let g = DeviceGuard {
            reason: "device throttled (head round 1 of 1: Pi firmware: throttled)".into(),
            fail: false,
        };
        let (mut v, mut why) = (Verdict::Regressed, "+9.0% slower".to_string());
        let mut res = vec![judged("memory"), judged("cold start")];
        let mut guards = Vec::new();
        apply(&g, &mut v, &mut why, &mut res, &mut guards);
        assert_eq!(v, Verdict::Inconclusive);
        assert_eq!(why, "device throttled (head round 1 of 1: Pi firmware: throttled); the latency measured: +9.0% slower");
        assert_eq!(
            (res[0].verdict, res[1].verdict),
            (Verdict::Regressed, Verdict::Inconclusive),
            "memory does not depend on clocks"
        );
        assert!(guards.is_empty());
        let fail = DeviceGuard { fail: true, ..g };
        let mut v = Verdict::Unchanged;
        apply(&fail, &mut v, &mut why, &mut res, &mut guards);
        assert_eq!((v, guards.len()), (Verdict::Unchanged, 1));
    }

    #[test]
    fn the_guard_names_each_side_and_its_rounds() {
        let rule = DeviceStateRule::default();
        let ok = || Some(state(vec![sample(50.0, Some(0), "x")]));
        let bad = || {
            Some(state(vec![
                sample(50.0, Some(0), "x"),
                sample(50.0, Some(0x5_0005), "x"),
            ]))
        };
        let head = [round_with(ok()), round_with(bad()), round_with(bad())];
        let base = [round_with(None), round_with(ok())];
        let g = guard(&base, &head, &[], &rule).unwrap();
        assert_eq!(
            g.reason,
            "device throttled (head rounds 2, 3 of 3: Pi firmware: under-voltage, throttled)"
        );
        assert!(!g.fail);
        let fail = DeviceStateRule {
            on_throttle: OnThrottle::Fail,
            ..Default::default()
        };
        let g = guard(&head, &base, &[bad().unwrap()], &fail).unwrap();
        assert!(g.fail);
        assert!(
            g.reason.contains("base rounds 2, 3 of 3")
                && g.reason.contains("confirmation round 1 of 1"),
            "{}",
            g.reason
        );
        assert!(
            guard(&base, &base, &[], &rule).is_none(),
            "old rounds are not judged"
        );
    }
}

//! Sampling a round: one sample just before its worker starts, one every
//! `sample_every_s` while it runs (a thread that sleeps between samples, so the
//! measured process shares the CPU with a few file reads a second at most), one
//! after it ends; and the cooldown before it.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::root::Root;
use crate::record::devstate::{Cooldown, DeviceSample, RoundDeviceState};
use crate::suite::CooldownRule;

/// The samples of one round, being taken.
pub struct Monitor {
    root: Root,
    started: Instant,
    first: DeviceSample,
    cooldown: Option<Cooldown>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<Vec<DeviceSample>>>,
}

impl Monitor {
    /// Takes the first sample now and samples every `every` until [`finish`](Monitor::finish).
    /// `cooldown` is the wait that came before, recorded with the round.
    pub fn start(root: Root, every: Duration, cooldown: Option<Cooldown>) -> Monitor {
        let started = Instant::now();
        let first = super::sample(&root, 0.0);
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (r, s) = (root.clone(), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("edgeperf-devstate".into())
            .spawn(move || {
                let mut out = Vec::new();
                let (lock, cv) = &*s;
                let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                let mut next = started + every;
                loop {
                    let now = Instant::now();
                    if now < next {
                        let (g, _) = cv
                            .wait_timeout(stopped, next - now)
                            .unwrap_or_else(|p| p.into_inner());
                        stopped = g;
                    }
                    if *stopped {
                        return out;
                    }
                    if Instant::now() >= next {
                        out.push(super::sample(&r, started.elapsed().as_secs_f64()));
                        next += every;
                    }
                }
            })
            .ok();
        Monitor {
            root,
            started,
            first,
            cooldown,
            stop,
            thread,
        }
    }

    /// Stops the sampling, takes the last sample, and returns the round's state.
    pub fn finish(mut self) -> RoundDeviceState {
        {
            let (lock, cv) = &*self.stop;
            *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
            cv.notify_all();
        }
        let during = self
            .thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        let last = super::sample(&self.root, self.started.elapsed().as_secs_f64());
        let mut samples = Vec::with_capacity(during.len() + 2);
        samples.push(std::mem::take(&mut self.first));
        samples.extend(during);
        samples.push(last);
        RoundDeviceState::from_samples(samples, self.cooldown.take())
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let (lock, cv) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }
}

/// Waits until the hottest zone `watched` accepts is below `rule.below_c`, at
/// most `rule.timeout_s`, looking every second; stops early when edgeperf is
/// interrupted (the caller checks the flag). With no readable watched zone it
/// waits for nothing and says so.
pub fn cool_down(root: &Root, rule: &CooldownRule, watched: &dyn Fn(&str) -> bool) -> Cooldown {
    let hottest = || {
        super::thermal::zones(root)
            .into_iter()
            .filter(|z| watched(&z.zone))
            .map(|z| z.temp_c)
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
    };
    let started = Instant::now();
    let from = hottest();
    let mut now_c = from;
    let poll = Duration::from_secs_f64(rule.timeout_s.clamp(0.05, 1.0));
    while let Some(t) = now_c {
        if t < rule.below_c
            || started.elapsed().as_secs_f64() >= rule.timeout_s
            || crate::interrupt::received().is_some()
        {
            break;
        }
        std::thread::sleep(poll);
        now_c = hottest();
    }
    Cooldown {
        below_c: rule.below_c,
        timeout_s: rule.timeout_s,
        waited_s: started.elapsed().as_secs_f64(),
        from_c: from,
        to_c: now_c,
        reached: now_c.is_some_and(|t| t < rule.below_c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(dir: &std::path::Path, milli: u32) {
        let z = dir.join("sys/class/thermal/thermal_zone0");
        std::fs::create_dir_all(&z).unwrap();
        std::fs::write(z.join("type"), "cpu-thermal\n").unwrap();
        std::fs::write(z.join("temp"), format!("{milli}\n")).unwrap();
    }

    #[test]
    fn a_round_is_sampled_before_during_and_after() {
        let d = tempfile::tempdir().unwrap();
        zone(d.path(), 50_000);
        let m = Monitor::start(Root::at(d.path()), Duration::from_millis(20), None);
        std::thread::sleep(Duration::from_millis(300));
        zone(d.path(), 81_000);
        let s = m.finish();
        assert!(s.samples.len() >= 3, "{}", s.samples.len());
        assert_eq!(s.samples[0].t_s, 0.0);
        assert_eq!(s.samples[0].thermal[0].temp_c, 50.0);
        assert_eq!(s.samples.last().unwrap().thermal[0].temp_c, 81.0);
        assert!(s.samples.windows(2).all(|w| w[0].t_s <= w[1].t_s));
        assert!(!s.absent.contains(&crate::record::devstate::Source::Thermal));
    }

    #[test]
    fn a_cooldown_waits_for_the_temperature_or_the_timeout() {
        let d = tempfile::tempdir().unwrap();
        let root = Root::at(d.path());
        let all = |_: &str| true;
        let rule = CooldownRule {
            below_c: 60.0,
            timeout_s: 0.3,
        };
        let none = cool_down(&root, &rule, &all);
        assert!(!none.reached && none.from_c.is_none() && none.waited_s < 0.1);
        zone(d.path(), 70_000);
        let hot = cool_down(&root, &rule, &all);
        assert!(!hot.reached && hot.waited_s >= 0.3, "{hot:?}");
        assert!(hot.describe().contains("(timeout)"), "{}", hot.describe());
        zone(d.path(), 55_000);
        let cool = cool_down(&root, &rule, &all);
        assert!(cool.reached && cool.waited_s < 0.1, "{cool:?}");
        assert_eq!(cool.to_c, Some(55.0));
    }
}

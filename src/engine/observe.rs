//! The device state around a round (issue 19): the cooldown the device's
//! `[device.state]` asks for before it, samples before, during and after it
//! (`crate::devstate`, read under `EDGEPERF_SYSROOT` when set), judged by the
//! same rule and kept in the round's record, and in its paired (base) round's
//! too when base and head ran together. Every worker round goes through here
//! (`spawn::spawn_round`, `lockstep::run_pair`): `run`'s and a confirmation's.

use std::time::Duration;

use super::protocol::{RoundResult, WorkerRequest};
use crate::devstate::{cool_down, Monitor, Root};
use crate::error::Result;

/// Runs `measure` (one worker round of `req`) with its device state observed.
/// On an error the samples are dropped with the round.
pub fn observed(
    req: &WorkerRequest,
    measure: impl FnOnce() -> Result<RoundResult>,
) -> Result<RoundResult> {
    let rule = &req.head.device.state;
    let root = Root::from_env();
    let cooldown = rule
        .cooldown
        .as_ref()
        .map(|c| cool_down(&root, c, &|zone| rule.watches(zone)));
    let every = Duration::from_secs_f64(rule.sample_every_s);
    let monitor = Monitor::start(root, every, cooldown);
    let mut result = measure()?;
    let mut state = monitor.finish();
    state.problems = crate::compare::devstate::round_problems(&state, rule);
    if let Some(base) = result.paired.as_mut() {
        base.device = Some(state.clone());
    }
    result.round.device = Some(state);
    Ok(result)
}

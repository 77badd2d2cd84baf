//! Reading a device's state from the standard Linux places, one file per
//! source: thermal zones and cooling devices ([`thermal`]), cpufreq governor
//! and clocks ([`cpufreq`]), a Raspberry Pi's firmware throttle flags
//! ([`rpi`]), a Jetson's power mode, devfreq (GPU) and EMC clocks ([`jetson`]),
//! free memory ([`host`]); one [`sample`] of all of them, and the [`Monitor`]
//! that samples a round before, during and after it, with the cooldown before
//! it.
//!
//! Every path is read under a [`Root`]: `/` on a real device, a fake tree in
//! tests (`EDGEPERF_SYSROOT`, `edgeperf doctor --sysroot`). Every source is
//! optional: a file that is not there, or not readable, makes its source
//! absent (recorded as such), never a made-up value. The records these
//! readings go into are `record::devstate`; judging them is `compare::devstate`.

pub mod cpufreq;
pub mod host;
pub mod jetson;
mod monitor;
pub mod root;
pub mod rpi;
mod sample;
pub mod thermal;

pub use monitor::{cool_down, Monitor};
pub use root::Root;
pub use sample::sample;

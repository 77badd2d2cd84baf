//! LiteRT's own profiler (`litert/c/litert_profiler.h`, LiteRT 1.4.0): a
//! profiler attached to a compiled model records the TFLite interpreter's
//! events (each `Invoke`, each operator, and the operators a delegate such as
//! XNNPACK reports inside its own node), read back as a [`RawProfile`].
//!
//! The profiler functions are resolved apart from the rest of the C API: a
//! library without them still runs, and says "LiteRT's C API has no profiler".
//!
//! **The event struct.** `ProfiledEventData` has two layouts in the header:
//! the C one (`LiteRtMemoryUsage`, two `int64_t`) and the C++ one
//! (`tflite::profiling::memory::MemoryUsage`: `int64_t, size_t, size_t`). The
//! library is C++ and fills the C++ one (104 bytes on 64-bit), so that is the
//! one declared here.

use std::ffi::{c_char, c_int, CStr};
use std::sync::OnceLock;

use super::ffi::{Handle, Status, STATUS_OK};
use super::loaded::LOADED;
use crate::explain::profile::{ProfileBuilder, ProfiledNode, RawProfile};

/// Events the profiler keeps (a ring: past it the oldest are overwritten).
pub(super) const CAPACITY: c_int = 400_000;

/// `tflite::profiling::memory::MemoryUsage`.
#[repr(C)]
#[derive(Clone, Copy)]
struct MemoryUsage {
    mem_footprint_kb: i64,
    total_allocated_bytes: usize,
    in_use_allocated_bytes: usize,
}

/// `ProfiledEventData` as the C++ library lays it out.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct Event {
    tag: *const c_char,
    event_type: u32,
    start_timestamp_us: u64,
    elapsed_time_us: u64,
    begin_mem_usage: MemoryUsage,
    end_mem_usage: MemoryUsage,
    event_metadata1: u64,
    event_metadata2: u64,
    event_source: c_int,
}

/// `tflite::Profiler::EventType` values the explanation reads.
const DEFAULT: u32 = 1;
const OPERATOR_INVOKE: u32 = 2;
const DELEGATE_OPERATOR_INVOKE: u32 = 4;
const DELEGATE_PROFILED_OPERATOR_INVOKE: u32 = 8;

struct ProfilerApi {
    create: unsafe extern "C" fn(c_int, *mut Handle) -> Status,
    destroy: unsafe extern "C" fn(Handle),
    start: unsafe extern "C" fn(Handle) -> Status,
    stop: unsafe extern "C" fn(Handle) -> Status,
    count: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
    events: unsafe extern "C" fn(Handle, c_int, *mut Event) -> Status,
    attach: unsafe extern "C" fn(Handle, Handle) -> Status,
}

static API: OnceLock<Option<ProfilerApi>> = OnceLock::new();

/// The profiler functions of this process's LiteRT, or `None` when it has none.
fn api() -> Option<&'static ProfilerApi> {
    API.get_or_init(|| {
        let path = &LOADED.get()?.info.library;
        // SAFETY: the library is already loaded (this only takes a reference
        // to it, kept for the life of the process like the first one); each
        // symbol is declared with its signature in litert_profiler.h /
        // litert_compiled_model.h of LiteRT 1.4.0.
        unsafe {
            let lib = libloading::Library::new(path).ok()?;
            let api = ProfilerApi {
                create: *lib.get(b"LiteRtCreateProfiler\0").ok()?,
                destroy: *lib.get(b"LiteRtDestroyProfiler\0").ok()?,
                start: *lib.get(b"LiteRtStartProfiler\0").ok()?,
                stop: *lib.get(b"LiteRtStopProfiler\0").ok()?,
                count: *lib.get(b"LiteRtGetNumProfilerEvents\0").ok()?,
                events: *lib.get(b"LiteRtGetProfilerEvents\0").ok()?,
                attach: *lib.get(b"LiteRtCompiledModelSetProfiler\0").ok()?,
            };
            std::mem::forget(lib);
            Some(api)
        }
    })
    .as_ref()
}

/// A profiler attached to one compiled model, recording from the start.
pub(super) struct Profiler {
    handle: Handle,
}

impl Drop for Profiler {
    fn drop(&mut self) {
        if let Some(a) = api() {
            // SAFETY: created by `attach`, destroyed once; the compiled model
            // that holds a pointer to it is destroyed first (the session drops
            // its profiler after its handles).
            unsafe { (a.destroy)(self.handle) }
        }
    }
}

impl Profiler {
    /// A started profiler attached to `compiled`, or why there is none.
    pub(super) fn attach(compiled: Handle) -> Result<Profiler, String> {
        let a = api().ok_or("LiteRT's C API library has no profiler (LiteRtCreateProfiler)")?;
        let mut h: Handle = std::ptr::null_mut();
        // SAFETY: out-pointer to a local; `compiled` is a live compiled model
        // that keeps the profiler pointer, which outlives its use (Drop order).
        unsafe {
            if (a.create)(CAPACITY, &mut h) != STATUS_OK || h.is_null() {
                return Err("LiteRtCreateProfiler failed".into());
            }
            if (a.attach)(compiled, h) != STATUS_OK {
                (a.destroy)(h);
                return Err("LiteRtCompiledModelSetProfiler failed".into());
            }
            // Attached: the compiled model keeps the pointer, so the profiler
            // lives at least as long as the session from here on.
            let p = Profiler { handle: h };
            if (a.start)(h) != STATUS_OK {
                // Still attached: leaked rather than freed under the model.
                std::mem::forget(p);
                return Err("LiteRtStartProfiler failed".into());
            }
            Ok(p)
        }
    }

    /// Stops recording and reads every event.
    pub(super) fn events(&mut self) -> Result<Vec<(String, Event)>, String> {
        let a = api().ok_or("LiteRT's C API library has no profiler")?;
        let mut n: c_int = 0;
        // SAFETY: live profiler; the event array holds `n` elements, as many as
        // the profiler says it has; tags are NUL-terminated strings it owns,
        // copied before it can change.
        unsafe {
            (a.stop)(self.handle);
            if (a.count)(self.handle, &mut n) != STATUS_OK {
                return Err("LiteRtGetNumProfilerEvents failed".into());
            }
            if n <= 0 {
                return Ok(vec![]);
            }
            let mut evs: Vec<Event> = vec![std::mem::zeroed(); n as usize];
            if (a.events)(self.handle, n, evs.as_mut_ptr()) != STATUS_OK {
                return Err("LiteRtGetProfilerEvents failed".into());
            }
            Ok(evs
                .into_iter()
                .map(|e| {
                    let tag = if e.tag.is_null() {
                        String::new()
                    } else {
                        CStr::from_ptr(e.tag).to_string_lossy().into_owned()
                    };
                    (tag, e)
                })
                .collect())
        }
    }
}

/// Why LiteRT 1.4.0 gives no per-operator profile of an XNNPACK model.
pub(super) const WHOLE_ONLY: &str = "LiteRT's profiler recorded whole inferences only, no operator: XNNPACK runs the model as one delegate node, and its per-operator timings need a runtime flag LiteRT 1.4.0's C API does not set";

/// The events of a profiler as inferences: each `Invoke` (a DEFAULT event of
/// the interpreter) is one; within its window, operator events are nodes
/// (`TAG:index`) and a delegate's own operator events are nodes inside the
/// delegate (`TAG:index@delegate`). Telemetry and LiteRT's own buffer events
/// are not node time.
pub(super) fn to_raw(events: &[(String, Event)], provider: &str) -> Result<RawProfile, String> {
    let mut sorted: Vec<&(String, Event)> = events.iter().collect();
    sorted.sort_by_key(|(_, e)| e.start_timestamp_us);
    let runs: Vec<(u64, u64)> = sorted
        .iter()
        .filter(|(t, e)| e.event_type == DEFAULT && t == "Invoke")
        .map(|(_, e)| {
            (
                e.start_timestamp_us,
                e.start_timestamp_us + e.elapsed_time_us,
            )
        })
        .collect();
    if runs.is_empty() {
        return Err("LiteRT's profiler recorded no inference (no Invoke event)".into());
    }
    let op_event = |t: u32| {
        matches!(
            t,
            OPERATOR_INVOKE | DELEGATE_OPERATOR_INVOKE | DELEGATE_PROFILED_OPERATOR_INVOKE
        )
    };
    if !sorted.iter().any(|(_, e)| op_event(e.event_type)) {
        return Err(WHOLE_ONLY.into());
    }
    let mut b = ProfileBuilder::default();
    let mut started = 0;
    for (tag, e) in sorted {
        if !op_event(e.event_type) {
            continue;
        }
        let run = runs.partition_point(|r| r.0 <= e.start_timestamp_us);
        if run == 0 || e.start_timestamp_us > runs[run - 1].1 {
            continue;
        }
        while started < run {
            let (s, end) = runs[started];
            b.start_run(Some((end - s) as f64 / 1e3));
            started += 1;
        }
        let suffix = if e.event_type == OPERATOR_INVOKE {
            ""
        } else {
            "@delegate"
        };
        let node = ProfiledNode {
            name: format!("{tag}:{}{suffix}", e.event_metadata1),
            op_type: tag.clone(),
            provider: provider.to_string(),
            shapes: String::new(),
        };
        b.add(node, e.elapsed_time_us as f64 / 1e3)?;
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_struct_has_the_cpp_layout() {
        assert_eq!(std::mem::size_of::<MemoryUsage>(), 24);
        assert_eq!(std::mem::size_of::<Event>(), 104);
    }

    fn ev(tag: &str, kind: u32, start: u64, dur: u64, node: u64) -> (String, Event) {
        // SAFETY: an all-zero Event is valid (null tag, zero numbers).
        let mut e: Event = unsafe { std::mem::zeroed() };
        e.event_type = kind;
        e.start_timestamp_us = start;
        e.elapsed_time_us = dur;
        e.event_metadata1 = node;
        (tag.to_string(), e)
    }

    #[test]
    fn invokes_are_inferences_and_operator_events_their_nodes() {
        let events = vec![
            ev("AllocateTensors", DEFAULT, 0, 50, 0),
            ev("Invoke", DEFAULT, 100, 1000, 0),
            ev("CONV_2D", OPERATOR_INVOKE, 110, 600, 0),
            ev(
                "Convolution (NHWC, F32) IGEMM",
                DELEGATE_OPERATOR_INVOKE,
                720,
                300,
                4,
            ),
            ev("Invoke", 32, 0, 1 << 32, u64::MAX),
            ev("Invoke", DEFAULT, 2000, 900, 0),
            ev("CONV_2D", OPERATOR_INVOKE, 2010, 500, 0),
        ];
        let raw = to_raw(&events, "cpu (XNNPACK)").unwrap();
        let names: Vec<_> = raw.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            ["CONV_2D:0", "Convolution (NHWC, F32) IGEMM:4@delegate"]
        );
        assert_eq!(raw.runs.len(), 2);
        assert_eq!(raw.runs[0].node_ms, vec![0.6, 0.3]);
        assert_eq!(raw.runs[1].total_ms, Some(0.9));
    }

    #[test]
    fn whole_inferences_only_say_why_there_is_no_explanation() {
        let events = vec![
            ev("Invoke", DEFAULT, 100, 1000, 0),
            ev("Invoke", 32, 0, 1, 0),
        ];
        assert_eq!(to_raw(&events, "cpu").unwrap_err(), WHOLE_ONLY);
        assert!(to_raw(&[], "cpu").unwrap_err().contains("no Invoke"));
    }
}

//! Ctrl-C (SIGINT) and SIGTERM while `run` or `compare` measure: the signal only
//! sets a flag, and the places that wait (a worker process in `engine::spawn`,
//! the loop over rounds) look at it, stop their worker and return an error, so
//! every file is either its last complete atomic write or untouched, and no
//! temporary file is left behind. A second signal while the first is being
//! handled ends the process at once (the default action), for a user who does
//! not want to wait.
//!
//! Depends on nothing else in the crate, like `fs`.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first SIGINT or SIGTERM received since [`install`]; 0 = none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: an atomic swap, and on the second signal
    // `signal` + `raise` to die of it as if no handler were installed.
    if RECEIVED.swap(sig, Ordering::SeqCst) != 0 {
        // SAFETY: both are async-signal-safe (POSIX.1-2008, signal-safety(7)).
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
}

/// Handles SIGINT and SIGTERM by recording them (see the module doc) instead of
/// dying. Call it once, before the first worker starts.
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a handler that only touches an atomic
        // (and the async-signal-safe calls above) is a valid disposition.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// The signal received since [`install`], if any (SIGINT or SIGTERM).
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// The exit code for a process stopped by `sig`: 128 + the signal number, as a
/// shell reports it (130 for SIGINT, 143 for SIGTERM).
pub fn exit_code(sig: i32) -> i32 {
    128 + sig
}

/// A signal's name (`SIGSEGV`), or `signal N` for one without a common name.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_named_and_exit_like_a_shell_says() {
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(libc::SIGKILL), "SIGKILL");
        assert_eq!(signal_name(64), "signal 64");
        assert_eq!(exit_code(libc::SIGINT), 130);
        assert_eq!(exit_code(libc::SIGTERM), 143);
    }
}

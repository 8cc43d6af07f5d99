//! Fault injection for the crash tests (debug builds only).
//!
//! [`point`] marks a place where a crash must leave a consistent state. In
//! a debug build, `RPOD_FAULT=NAME` kills the process with SIGKILL the
//! first time it reaches the point `NAME`, and `RPOD_FAULT=NAME:N` the
//! N-th time. A release build compiles every point to nothing and never
//! reads the variable.

/// The environment variable naming the point to crash at.
pub const ENV: &str = "RPOD_FAULT";

/// A crash point. In a debug build, kills the process when [`ENV`] names it.
#[cfg(debug_assertions)]
pub fn point(name: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static HITS: AtomicU64 = AtomicU64::new(0);
    let Some(spec) = std::env::var_os(ENV) else {
        return;
    };
    let spec = spec.to_string_lossy();
    let (want, nth) = match spec.rsplit_once(':') {
        Some((p, n)) => (p, n.parse::<u64>().unwrap_or(1).max(1)),
        None => (&*spec, 1),
    };
    if want != name {
        return;
    }
    if HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        // Nothing is flushed or unwound: the process is gone at once, as
        // with `kill -9` from outside.
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}

/// A crash point; nothing in a release build.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn point(_name: &str) {}

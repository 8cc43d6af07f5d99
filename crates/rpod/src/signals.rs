//! `run`'s and `start --attach`'s signal proxy (`--sig-proxy`, on by
//! default as in Podman): signals this process receives while attached are
//! sent on to the container's process instead of ending this one.
//!
//! The handlers only write the signal number to a pipe; a thread reads it
//! and signals the container. Handlers (unlike a blocked signal mask) are
//! not inherited by the processes this one starts, so the monitor and the
//! runtime keep the default dispositions.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::unistd::Pid;

/// The signals passed on (Podman passes on all but those the terminal and
/// the process itself need: SIGCHLD, SIGPIPE, SIGURG, SIGWINCH, SIGKILL, SIGSTOP).
const PROXIED: &[Signal] = &[
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGALRM,
];

/// The write end of the pipe, for the handler (-1: no proxy installed).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = PIPE_WRITE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = sig as u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is one byte on
        // the stack.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }
}

/// Passes the proxied signals on to `pid` until this process exits.
pub fn proxy_to(pid: i32) -> std::io::Result<()> {
    if pid <= 0 {
        return Ok(());
    }
    let (read, write): (OwnedFd, OwnedFd) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(std::io::Error::from)?;
    PIPE_WRITE.store(write.as_raw_fd(), Ordering::Relaxed);
    // The write end lives as long as the process: handlers may run at any time.
    std::mem::forget(write);
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in PROXIED {
        // SAFETY: the handler only does an async-signal-safe write.
        unsafe { signal::sigaction(*sig, &action) }.map_err(std::io::Error::from)?;
    }
    std::thread::spawn(move || {
        let mut file = std::fs::File::from(read);
        let mut byte = [0u8; 1];
        while std::io::Read::read_exact(&mut file, &mut byte).is_ok() {
            if let Ok(sig) = Signal::try_from(i32::from(byte[0])) {
                let _ = signal::kill(Pid::from_raw(pid), sig);
            }
        }
    });
    Ok(())
}

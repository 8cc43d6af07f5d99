//! Detaching from the caller and settling in as the container's reaper.

use std::fs::{self, File};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;

use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{dup2, fork, setsid, ForkResult};

use crate::MONITOR_PID_FILE;

/// Which process returned from [`detach`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The process the caller spawned: the detached monitor exists, exit now.
    Caller,
    /// The detached monitor (grandchild, own session, stdio on /dev/null).
    Monitor,
}

/// Double-forks: the intermediate child starts a new session, points its
/// stdio at /dev/null and forks the monitor, then exits; the original
/// process waits for the intermediate one, so when it returns
/// [`Role::Caller`] the monitor exists.
///
/// Must be called while the process is single-threaded (it always is).
pub(crate) fn detach() -> io::Result<Role> {
    // SAFETY: the monitor never starts threads, so the child of fork() may
    // run arbitrary code.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => match waitpid(child, None)? {
            WaitStatus::Exited(_, 0) => Ok(Role::Caller),
            other => Err(io::Error::other(format!(
                "the intermediate monitor process failed: {other:?}"
            ))),
        },
        ForkResult::Child => {
            let detached = setsid()
                .map_err(io::Error::from)
                .and_then(|_| stdio_to_dev_null());
            if detached.is_err() {
                std::process::exit(1);
            }
            // SAFETY: as above, single-threaded.
            match unsafe { fork() } {
                Ok(ForkResult::Child) => Ok(Role::Monitor),
                Ok(ForkResult::Parent { .. }) => std::process::exit(0),
                Err(_) => std::process::exit(1),
            }
        }
    }
}

/// Points fds 0, 1 and 2 at /dev/null.
fn stdio_to_dev_null() -> io::Result<()> {
    let null = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..=2 {
        dup2(null.as_raw_fd(), fd)?;
    }
    Ok(())
}

/// Sets close-on-exec on every inherited fd above 2, so the runtime and the
/// container inherit none of the caller's fds (the monitor keeps using
/// them, e.g. the sync fd).
pub(crate) fn cloexec_inherited_fds() -> io::Result<()> {
    let fds: Vec<RawFd> = fs::read_dir("/proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // The directory's own fd is gone by now: EBADF is expected there.
        let _ = fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    }
    Ok(())
}

/// Makes the monitor the reaper of the container (whose parent, the
/// runtime, exits after `create`), moves into the persist dir and writes
/// `monitor.pid`.
pub(crate) fn settle(persist_dir: &Path) -> io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| with_context(e, "cannot become a child subreaper"))?;
    std::env::set_current_dir(persist_dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot enter persist dir {}: {e}", persist_dir.display()),
        )
    })?;
    fs::write(MONITOR_PID_FILE, format!("{}\n", std::process::id()))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write {MONITOR_PID_FILE}: {e}")))?;
    Ok(())
}

/// Checks that `fd` is an open descriptor the monitor may own.
pub(crate) fn check_inherited_fd(fd: RawFd) -> io::Result<()> {
    if fd <= 2 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("sync fd {fd} must be above 2"),
        ));
    }
    fcntl(fd, FcntlArg::F_GETFD)
        .map(drop)
        .map_err(|e| with_context(e, &format!("sync fd {fd} is not open")))
}

/// Opens `/dev/null` for reading and writing.
pub(crate) fn dev_null() -> io::Result<File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
}

/// An `io::Error` of the errno's kind, with a message.
fn with_context(e: nix::errno::Errno, what: &str) -> io::Error {
    let e = io::Error::from(e);
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

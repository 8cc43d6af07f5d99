//! Reaping children: `SIGCHLD` is blocked and read from a signalfd, so the
//! poll loop wakes up when a child exits.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// Exit code of a wait status: the exit status, or 128 + signal number.
pub(crate) fn exit_code(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, sig, _) => Some(128 + sig as i32),
        _ => None,
    }
}

/// Owner of the `SIGCHLD` signalfd.
#[derive(Debug)]
pub(crate) struct Reaper {
    sigfd: SignalFd,
}

/// What a reaping pass found out about the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reaped {
    /// The container is still running.
    Running,
    /// The container exited with this code.
    Exited(i32),
    /// The monitor has no children at all: the container is not (or no
    /// longer) its child and cannot be waited for.
    NotAChild,
}

impl Reaper {
    /// Blocks `SIGCHLD` and opens the signalfd. Call before spawning any
    /// child so no exit is missed. (Spawned programs get an empty signal
    /// mask again: `std::process::Command` resets it.)
    pub(crate) fn new() -> io::Result<Reaper> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGCHLD);
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), None)?;
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(Reaper { sigfd })
    }

    /// Consumes pending `SIGCHLD` notifications (call when the fd polls
    /// readable, then reap).
    pub(crate) fn clear(&self) {
        while let Ok(Some(_)) = self.sigfd.read_signal() {}
    }

    /// Exit code of `pid` if it has exited (without reaping anything else).
    pub(crate) fn try_wait(&self, pid: Pid) -> io::Result<Option<i32>> {
        loop {
            match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(status) => match exit_code(status) {
                    Some(code) => return Ok(Some(code)),
                    None if status == WaitStatus::StillAlive => return Ok(None),
                    None => continue,
                },
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reaps every exited child; reports the container's fate.
    pub(crate) fn reap_all(&self, container: Pid, mut other: impl FnMut(Pid)) -> Reaped {
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => return Reaped::Running,
                Ok(status) => {
                    if status.pid() == Some(container) {
                        if let Some(code) = exit_code(status) {
                            return Reaped::Exited(code);
                        }
                    } else if let Some(pid) = status.pid() {
                        other(pid);
                    }
                }
                Err(Errno::EINTR) => continue,
                Err(Errno::ECHILD) => return Reaped::NotAChild,
                Err(_) => return Reaped::Running,
            }
        }
    }
}

impl AsFd for Reaper {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sigfd.as_fd()
    }
}

//! Process file descriptors: a handle on one process that a recycled pid
//! can never be mistaken for.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// A pidfd (`pidfd_open(2)`).
#[derive(Debug)]
pub struct PidFd(OwnedFd);

impl PidFd {
    /// Opens `pid`; `None` when there is no such process.
    pub fn open(pid: i32) -> Option<PidFd> {
        if pid <= 0 {
            return None;
        }
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return None;
        }
        // SAFETY: the kernel just returned this descriptor to us alone.
        Some(PidFd(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
    }

    /// `pidfd_send_signal(2)`.
    pub fn send_signal(&self, signal: i32) -> std::io::Result<()> {
        // SAFETY: a valid pidfd, a signal number, no siginfo, no flags.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if rc < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Waits up to `timeout` for the process to exit; true when it did.
    pub fn wait_exit(&self, timeout: Duration) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        rc > 0
    }
}

/// A process's start time in clock ticks since boot (field 22 of
/// `/proc/PID/stat`), as runtimes record it.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_signalled_and_waited_for() {
        let mut child = std::process::Command::new("sleep")
            .arg("100")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        assert!(start_time(pid).is_some());
        let fd = PidFd::open(pid).unwrap();
        assert!(!fd.wait_exit(Duration::from_millis(10)));
        fd.send_signal(libc::SIGKILL).unwrap();
        assert!(fd.wait_exit(Duration::from_secs(5)));
        child.wait().unwrap();
    }

    #[test]
    fn own_start_time_parses() {
        let me = std::process::id() as i32;
        assert!(start_time(me).unwrap() > 0);
        assert!(start_time(-1).is_none());
    }
}

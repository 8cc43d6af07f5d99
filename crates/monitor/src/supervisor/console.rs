//! The container's terminal: receiving the pty master from the runtime
//! over `--console-socket`, resizing it, sending it EOF.

use std::io::{self, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use nix::sys::termios::{tcgetattr, SpecialCharacterIndices};

use nix::errno::Errno;

/// Name of the console socket in the monitor's cwd (the persist dir).
const CONSOLE_SOCKET: &str = "console.sock";

/// The listening console socket; removed when dropped.
#[derive(Debug)]
pub(crate) struct ConsoleSocket {
    listener: UnixListener,
    runtime_path: PathBuf,
}

impl ConsoleSocket {
    /// Binds `console.sock` in the cwd (a relative path, so a long persist
    /// dir does not overflow `sun_path`).
    pub(crate) fn bind() -> io::Result<ConsoleSocket> {
        match std::fs::remove_file(CONSOLE_SOCKET) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = UnixListener::bind(CONSOLE_SOCKET)?;
        listener.set_nonblocking(true)?;
        // The runtime changes into the bundle before connecting, so it gets
        // a short absolute path to the same socket through our cwd.
        let runtime_path =
            PathBuf::from(format!("/proc/{}/cwd/{CONSOLE_SOCKET}", std::process::id()));
        Ok(ConsoleSocket {
            listener,
            runtime_path,
        })
    }

    /// The path to pass as `--console-socket`.
    pub(crate) fn runtime_path(&self) -> &Path {
        &self.runtime_path
    }

    /// Takes the pty master the runtime sent (call after `create`
    /// succeeded: the connection and the fd are queued on the socket). The
    /// master is returned non-blocking.
    pub(crate) fn receive_master(&self) -> io::Result<OwnedFd> {
        let (conn, _) = self.listener.accept().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("the runtime did not connect to the console socket: {e}"),
            )
        })?;
        conn.set_nonblocking(false)?;
        let mut name = [0u8; 4096];
        let mut cmsg = nix::cmsg_space!([RawFd; 4]);
        let mut fds = Vec::new();
        loop {
            let mut iov = [IoSliceMut::new(&mut name)];
            match recvmsg::<()>(
                conn.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::MSG_CMSG_CLOEXEC,
            ) {
                Ok(msg) => {
                    for c in msg.cmsgs()? {
                        if let ControlMessageOwned::ScmRights(received) = c {
                            // SAFETY: SCM_RIGHTS installed these fds in this
                            // process; nothing else owns them.
                            fds.extend(
                                received
                                    .into_iter()
                                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                            );
                        }
                    }
                    break;
                }
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let mut fds = fds.into_iter();
        let master = fds.next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the runtime sent no fd on the console socket",
            )
        })?;
        super::stdio::set_nonblocking(&master)?;
        Ok(master)
    }
}

impl Drop for ConsoleSocket {
    fn drop(&mut self) {
        // Best effort: the socket is of no use after start-up.
        let _ = std::fs::remove_file(CONSOLE_SOCKET);
    }
}

nix::ioctl_write_ptr_bad!(set_window_size, libc::TIOCSWINSZ, libc::winsize);

/// Sets the terminal size of the pty.
pub(crate) fn resize(master: BorrowedFd<'_>, rows: u16, cols: u16) -> io::Result<()> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `ws` is a valid winsize for the duration of the call and
    // `master` is an open fd.
    unsafe { set_window_size(master.as_raw_fd(), &ws) }?;
    Ok(())
}

/// The terminal's end-of-file character (VEOF, usually ^D), which closes
/// the container's stdin when written to the master at a line start.
pub(crate) fn eof_char(master: impl AsFd) -> u8 {
    tcgetattr(master)
        .map(|t| t.control_chars[SpecialCharacterIndices::VEOF as usize])
        // 0 means "disabled" (or a terminal not set up yet): use ^D.
        .ok()
        .filter(|c| *c != 0)
        .unwrap_or(0x04)
}

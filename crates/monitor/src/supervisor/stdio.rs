//! The container's stdio without a terminal: pipes whose far ends become
//! the runtime's (and so the container's) stdio.

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use nix::fcntl::OFlag;
use nix::unistd::pipe2;

use super::daemon::dev_null;

/// The three fds the runtime process gets as its stdin, stdout and stderr.
#[derive(Debug)]
pub(crate) struct RuntimeStdio {
    pub(crate) stdin: OwnedFd,
    pub(crate) stdout: OwnedFd,
    pub(crate) stderr: OwnedFd,
}

/// The monitor's ends of the container's stdio pipes.
#[derive(Debug)]
pub(crate) struct PipeEnds {
    /// Read end of the stdout pipe (non-blocking).
    pub(crate) stdout: OwnedFd,
    /// Read end of the stderr pipe (non-blocking). It also carries what the
    /// runtime itself prints while `create` runs.
    pub(crate) stderr: OwnedFd,
    /// Write end of the stdin pipe (non-blocking), with `--stdin`.
    pub(crate) stdin: Option<OwnedFd>,
}

/// Creates the pipes: stdin is a pipe only when `with_stdin`, else
/// /dev/null.
pub(crate) fn pipes(with_stdin: bool) -> io::Result<(RuntimeStdio, PipeEnds)> {
    let (out_r, out_w) = output_pipe()?;
    let (err_r, err_w) = output_pipe()?;
    let (stdin, stdin_w) = if with_stdin {
        let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
        set_nonblocking(&w)?;
        (r, Some(w))
    } else {
        (OwnedFd::from(dev_null()?), None)
    };
    Ok((
        RuntimeStdio {
            stdin,
            stdout: out_w,
            stderr: err_w,
        },
        PipeEnds {
            stdout: out_r,
            stderr: err_r,
            stdin: stdin_w,
        },
    ))
}

/// Stdio for the runtime when the container has a terminal: the container
/// gets the pty, so the runtime's stdin and stdout are /dev/null and its
/// stderr is a pipe whose returned read end captures its error messages.
pub(crate) fn for_terminal() -> io::Result<(RuntimeStdio, OwnedFd)> {
    let (err_r, err_w) = output_pipe()?;
    Ok((
        RuntimeStdio {
            stdin: dev_null()?.into(),
            stdout: dev_null()?.into(),
            stderr: err_w,
        },
        err_r,
    ))
}

/// A pipe whose read end (first) is non-blocking.
fn output_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
    set_nonblocking(&r)?;
    Ok((r, w))
}

/// Sets `O_NONBLOCK` on `fd`.
pub(crate) fn set_nonblocking(fd: &impl AsFd) -> io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg};
    use std::os::fd::AsRawFd;
    let raw = fd.as_fd().as_raw_fd();
    let flags = OFlag::from_bits_truncate(fcntl(raw, FcntlArg::F_GETFL)?);
    fcntl(raw, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

//! Attaching to a container: copying its output to ours and our input to
//! it through the monitor's attach socket.

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use monitor::{AttachClient, Frame};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::{Container, ContainerStatus};
use crate::error::{Error, IoContext, Result};

/// What to connect.
#[derive(Debug, Clone, Default)]
pub struct AttachStreams {
    /// Forward our stdin to the container.
    pub stdin: bool,
    /// Our terminal is in raw mode and the container has a tty: watch for
    /// the detach keys and pass window size changes on.
    pub tty: bool,
    /// The key sequence that detaches (default ctrl-p ctrl-q).
    pub detach_keys: Vec<u8>,
}

/// How an attach ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachOutcome {
    /// The container exited and all its output was copied.
    Exited,
    /// The user pressed the detach keys; the container goes on.
    Detached,
}

/// Parses detach keys as Podman writes them: `ctrl-p,ctrl-q`, `a,ctrl-x`.
pub fn parse_detach_keys(text: &str) -> Result<Vec<u8>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|k| {
            let k = k.trim();
            if let Some(c) = k.strip_prefix("ctrl-") {
                let b = c.as_bytes();
                match b {
                    [ch] if ch.is_ascii_alphabetic() => Ok(ch.to_ascii_lowercase() - b'a' + 1),
                    b"@" => Ok(0),
                    b"[" => Ok(27),
                    b"\\" => Ok(28),
                    b"]" => Ok(29),
                    b"^" => Ok(30),
                    b"_" => Ok(31),
                    _ => Err(Error::InvalidArgument(format!("invalid detach key {k:?}"))),
                }
            } else if k.len() == 1 {
                Ok(k.as_bytes()[0])
            } else {
                Err(Error::InvalidArgument(format!("invalid detach key {k:?}")))
            }
        })
        .collect()
}

impl Container<'_> {
    /// Connects to the attach socket of a created or running container.
    pub fn attach_client(&mut self) -> Result<AttachClient> {
        {
            let _guard = self.lock()?;
            if !matches!(
                self.state.status,
                ContainerStatus::Created | ContainerStatus::Running | ContainerStatus::Paused
            ) {
                return Err(self.invalid_state("can only attach to created or running containers"));
            }
        }
        let client = AttachClient::connect(&self.rundir())
            .ctx(|| format!("connecting to the attach socket of container {}", self.id()))?;
        self.event("attach");
        Ok(client)
    }
}

/// Copies between the attach socket and our stdio until the container's
/// output ends or the user detaches. `winsize` is called to learn our
/// terminal's size (rows, cols) when `streams.tty`.
pub fn pump(
    client: &AttachClient,
    streams: &AttachStreams,
    winsize: impl Fn() -> Option<(u16, u16)>,
) -> Result<AttachOutcome> {
    let stdin = std::io::stdin();
    let stdin_fd: BorrowedFd<'_> = stdin.as_fd();
    let mut stdin_open = streams.stdin;
    let mut buf = vec![0u8; monitor::attach::MAX_PAYLOAD];
    let mut matched = 0usize;
    let mut last_size = None;
    let io_err = |e: std::io::Error| Error::Io {
        context: "copying container I/O".into(),
        source: e,
    };
    loop {
        if streams.tty {
            let size = winsize();
            if size.is_some() && size != last_size {
                last_size = size;
                if let Some((rows, cols)) = size {
                    let _ = client.resize(rows, cols);
                }
            }
        }
        let mut fds = vec![PollFd::new(client.as_fd(), PollFlags::POLLIN)];
        if stdin_open {
            fds.push(PollFd::new(stdin_fd, PollFlags::POLLIN));
        }
        let timeout = if streams.tty {
            PollTimeout::from(250u16)
        } else {
            PollTimeout::NONE
        };
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(io_err(e.into())),
        }
        let sock_ready = fds[0].revents().is_some_and(|r| !r.is_empty());
        let stdin_ready = stdin_open
            && fds
                .get(1)
                .and_then(|f| f.revents())
                .is_some_and(|r| !r.is_empty());
        if sock_ready {
            match client.recv(&mut buf).map_err(io_err)? {
                Frame::Stdout(n) => write_all(&mut std::io::stdout(), &buf[..n])?,
                Frame::Stderr(n) => write_all(&mut std::io::stderr(), &buf[..n])?,
                Frame::Eof => return Ok(AttachOutcome::Exited),
            }
        }
        if stdin_ready {
            let n = match nix::unistd::read(stdin_fd.as_raw_fd(), &mut buf) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => continue,
                Err(e) => return Err(io_err(e.into())),
            };
            if n == 0 {
                stdin_open = false;
                let _ = client.close_stdin();
                continue;
            }
            let data = &buf[..n];
            if !streams.detach_keys.is_empty() {
                let mut forward = Vec::with_capacity(n);
                for &b in data {
                    if b == streams.detach_keys[matched] {
                        matched += 1;
                        if matched == streams.detach_keys.len() {
                            if !forward.is_empty() {
                                let _ = client.send_stdin(&forward);
                            }
                            return Ok(AttachOutcome::Detached);
                        }
                    } else {
                        forward.extend_from_slice(&streams.detach_keys[..matched]);
                        matched = 0;
                        if b == streams.detach_keys[0] {
                            matched = 1;
                        } else {
                            forward.push(b);
                        }
                    }
                }
                if !forward.is_empty() {
                    client.send_stdin(&forward).map_err(io_err)?;
                }
            } else {
                client.send_stdin(data).map_err(io_err)?;
            }
        }
    }
}

fn write_all(out: &mut impl Write, data: &[u8]) -> Result<()> {
    match out.write_all(data).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // Our reader went away (e.g. `| head`): keep draining silently.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Io {
            context: "writing container output".into(),
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_detach_keys;

    #[test]
    fn detach_keys_parse() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(parse_detach_keys("a,ctrl-[").unwrap(), vec![b'a', 27]);
        assert!(parse_detach_keys("ctrl-").is_err());
        assert!(parse_detach_keys("").unwrap().is_empty());
    }
}

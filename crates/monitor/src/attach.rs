//! The attach socket: `<socket-dir>/attach`, an `AF_UNIX` `SOCK_SEQPACKET`
//! socket served by the monitor, and the client side of it.
//!
//! Every packet starts with one byte telling its kind, followed by the
//! payload (at most [`MAX_PAYLOAD`] bytes):
//!
//! | kind | direction | payload |
//! |------|-----------|---------|
//! | [`KIND_STDIN`] (0) | client → monitor | bytes for the container's stdin |
//! | [`KIND_STDOUT`] (1) | monitor → client | container stdout (all output with a terminal) |
//! | [`KIND_STDERR`] (2) | monitor → client | container stderr |
//! | [`KIND_RESIZE`] (3) | client → monitor | rows `u16` BE, cols `u16` BE |
//! | [`KIND_CLOSE_STDIN`] (4) | client → monitor | none: close the container's stdin |
//! | [`KIND_STARTED`] (5) | client → monitor | none: the container was started (`--notify-socket`) |
//!
//! Any number of clients may be attached; each gets all output produced
//! while it is connected. When the container has exited and its output is
//! drained the monitor closes the client sockets: clients read EOF.

use std::fs::File;
use std::io::{self, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::sys::socket::{self, AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr};

use crate::ATTACH_SOCKET;

/// Packet kind: stdin data (client → monitor).
pub const KIND_STDIN: u8 = 0;
/// Packet kind: stdout data (monitor → client).
pub const KIND_STDOUT: u8 = 1;
/// Packet kind: stderr data (monitor → client).
pub const KIND_STDERR: u8 = 2;
/// Packet kind: terminal resize, rows and cols as `u16` big endian
/// (client → monitor).
pub const KIND_RESIZE: u8 = 3;
/// Packet kind: close the container's stdin (client → monitor).
pub const KIND_CLOSE_STDIN: u8 = 4;
/// Client → monitor, empty: the caller started the container (the monitor
/// then sends `READY=1` to `--notify-socket` unless it proxies the
/// container's own notifications). Older monitors ignore it.
pub const KIND_STARTED: u8 = 5;

/// Largest payload of one packet (the packet is one byte more).
pub const MAX_PAYLOAD: usize = 8192;

/// Path through which a socket in the directory `dir_fd` can be bound or
/// connected, whatever the directory's path length (`sun_path` holds only
/// 108 bytes).
pub(crate) fn socket_path_via_fd(dir_fd: RawFd, name: &str) -> String {
    format!("/proc/self/fd/{dir_fd}/{name}")
}

/// Opens a directory as an `O_PATH` fd, for [`socket_path_via_fd`].
pub(crate) fn open_dir_path(dir: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
        .open(dir)
}

/// One received packet's meaning (the payload is in the caller's buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// `len` bytes of stdout were stored at the start of the buffer.
    Stdout(usize),
    /// `len` bytes of stderr were stored at the start of the buffer.
    Stderr(usize),
    /// The monitor closed the connection: the container exited and all its
    /// output was delivered (or the monitor went away).
    Eof,
}

/// A connection to a container's attach socket.
#[derive(Debug)]
pub struct AttachClient {
    fd: OwnedFd,
}

impl AttachClient {
    /// Connects to `<socket_dir>/attach` (through `/proc/self/fd`, so long
    /// paths work). The socket is blocking; set `O_NONBLOCK` on
    /// [`as_fd`](AsFd::as_fd) to poll it.
    pub fn connect(socket_dir: &Path) -> io::Result<AttachClient> {
        let dir = open_dir_path(socket_dir)?;
        let addr = UnixAddr::new(socket_path_via_fd(dir.as_raw_fd(), ATTACH_SOCKET).as_str())?;
        let fd = socket::socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        retry_eintr(|| socket::connect(fd.as_raw_fd(), &addr))?;
        Ok(AttachClient { fd })
    }

    /// Sends bytes for the container's stdin (split into packets as
    /// needed). Ignored by the monitor unless it runs with `--stdin`.
    pub fn send_stdin(&self, data: &[u8]) -> io::Result<()> {
        for chunk in data.chunks(MAX_PAYLOAD) {
            self.send_packet(KIND_STDIN, chunk)?;
        }
        Ok(())
    }

    /// Asks the monitor to resize the container's terminal.
    pub fn resize(&self, rows: u16, cols: u16) -> io::Result<()> {
        let [r0, r1] = rows.to_be_bytes();
        let [c0, c1] = cols.to_be_bytes();
        self.send_packet(KIND_RESIZE, &[r0, r1, c0, c1])
    }

    /// Closes the container's stdin (EOF for a pipe, the VEOF character for
    /// a terminal).
    pub fn close_stdin(&self) -> io::Result<()> {
        self.send_packet(KIND_CLOSE_STDIN, &[])
    }

    /// Tells the monitor the container was started ([`KIND_STARTED`]), and
    /// waits (up to a second) until the monitor has read it: a client that
    /// hangs up at once can have its packet dropped with the connection.
    pub fn started(&self) -> io::Result<()> {
        self.send_packet(KIND_STARTED, &[])?;
        for _ in 0..1000 {
            let mut unread: libc::c_int = 0;
            // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int, the bytes of this
            // socket's sends the peer has not read yet.
            let rc = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TIOCOUTQ, &mut unread) };
            if rc != 0 || unread == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Ok(())
    }

    fn send_packet(&self, kind: u8, payload: &[u8]) -> io::Result<()> {
        let kind = [kind];
        let iov = [io::IoSlice::new(&kind), io::IoSlice::new(payload)];
        retry_eintr(|| {
            socket::sendmsg::<()>(self.fd.as_raw_fd(), &iov, &[], MsgFlags::MSG_NOSIGNAL, None)
        })?;
        Ok(())
    }

    /// Receives the next output packet into `buf` (which should hold
    /// [`MAX_PAYLOAD`] bytes; a larger packet fails with
    /// [`io::ErrorKind::InvalidData`]). Packets of unknown kinds are
    /// skipped. On a non-blocking socket, fails with
    /// [`io::ErrorKind::WouldBlock`] when nothing is there.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Frame> {
        loop {
            let mut kind = [0u8; 1];
            let (n, truncated) = loop {
                let mut iov = [IoSliceMut::new(&mut kind), IoSliceMut::new(buf)];
                match socket::recvmsg::<()>(self.fd.as_raw_fd(), &mut iov, None, MsgFlags::empty())
                {
                    Ok(msg) => break (msg.bytes, msg.flags.contains(MsgFlags::MSG_TRUNC)),
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            if n == 0 {
                return Ok(Frame::Eof);
            }
            if truncated {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "attach packet larger than the receive buffer",
                ));
            }
            match kind[0] {
                KIND_STDOUT => return Ok(Frame::Stdout(n - 1)),
                KIND_STDERR => return Ok(Frame::Stderr(n - 1)),
                _ => continue,
            }
        }
    }
}

impl AsFd for AttachClient {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for AttachClient {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<AttachClient> for OwnedFd {
    fn from(c: AttachClient) -> OwnedFd {
        c.fd
    }
}

/// A packet a client sent to the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientPacket<'a> {
    Stdin(&'a [u8]),
    Resize { rows: u16, cols: u16 },
    CloseStdin,
    Started,
}

impl ClientPacket<'_> {
    /// Decodes a packet; `None` for unknown kinds or malformed payloads.
    pub(crate) fn decode(packet: &[u8]) -> Option<ClientPacket<'_>> {
        let (&kind, payload) = packet.split_first()?;
        match (kind, payload) {
            (KIND_STDIN, data) => Some(ClientPacket::Stdin(data)),
            (KIND_RESIZE, &[r0, r1, c0, c1]) => Some(ClientPacket::Resize {
                rows: u16::from_be_bytes([r0, r1]),
                cols: u16::from_be_bytes([c0, c1]),
            }),
            (KIND_CLOSE_STDIN, []) => Some(ClientPacket::CloseStdin),
            (KIND_STARTED, []) => Some(ClientPacket::Started),
            _ => None,
        }
    }
}

/// Runs a nix call again while it fails with `EINTR`.
pub(crate) fn retry_eintr<T>(mut f: impl FnMut() -> nix::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(nix::errno::Errno::EINTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_client_packets() {
        assert_eq!(
            ClientPacket::decode(&[KIND_STDIN, b'h', b'i']),
            Some(ClientPacket::Stdin(b"hi"))
        );
        assert_eq!(
            ClientPacket::decode(&[KIND_RESIZE, 0, 24, 0, 80]),
            Some(ClientPacket::Resize { rows: 24, cols: 80 })
        );
        assert_eq!(
            ClientPacket::decode(&[KIND_CLOSE_STDIN]),
            Some(ClientPacket::CloseStdin)
        );
        assert_eq!(ClientPacket::decode(&[KIND_RESIZE, 0, 24]), None);
        assert_eq!(ClientPacket::decode(&[KIND_CLOSE_STDIN, 1]), None);
        assert_eq!(ClientPacket::decode(&[KIND_STDOUT, 1]), None);
        assert_eq!(ClientPacket::decode(&[]), None);
    }

    #[test]
    fn client_talks_packets() {
        // A socketpair stands in for the monitor.
        let (a, b) = socket::socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let client = AttachClient { fd: a };
        client.send_stdin(b"abc").unwrap();
        client.resize(50, 132).unwrap();
        client.close_stdin().unwrap();
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        for _ in 0..3 {
            let n = socket::recv(b.as_raw_fd(), &mut buf, MsgFlags::empty()).unwrap();
            got.push(buf[..n].to_vec());
        }
        assert_eq!(got[0], [KIND_STDIN, b'a', b'b', b'c']);
        assert_eq!(got[1], [KIND_RESIZE, 0, 50, 0, 132]);
        assert_eq!(got[2], [KIND_CLOSE_STDIN]);

        for packet in [&[9u8, 1, 2][..], &[KIND_STDERR, b'e'], &[KIND_STDOUT; 20]] {
            socket::send(b.as_raw_fd(), packet, MsgFlags::empty()).unwrap();
        }
        let mut out = [0u8; 8];
        assert_eq!(client.recv(&mut out).unwrap(), Frame::Stderr(1));
        assert_eq!(out[0], b'e');
        let e = client.recv(&mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        drop(b);
        assert_eq!(client.recv(&mut out).unwrap(), Frame::Eof);
    }
}

//! The monitor's side of the attach socket (format in [`crate::attach`]).

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    self, accept4, AddressFamily, Backlog, MsgFlags, SockFlag, SockType, UnixAddr,
};

use crate::attach::{open_dir_path, socket_path_via_fd, MAX_PAYLOAD};
use crate::ATTACH_SOCKET;

/// Output queued for one client beyond which the client is disconnected
/// (it stopped reading; the container must not wait for it).
const CLIENT_QUEUE_LIMIT: usize = 4 * 1024 * 1024;

/// Size of the receive buffer for client packets: one byte more than the
/// largest valid packet, to detect oversized ones.
pub(crate) const RECV_BUFFER: usize = MAX_PAYLOAD + 2;

#[derive(Debug)]
struct Client {
    fd: OwnedFd,
    queue: VecDeque<Vec<u8>>,
    queued: usize,
    /// The client shut down its sending side: still gets output.
    input_closed: bool,
    dead: bool,
}

/// What reading from a client gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// A packet of this many bytes is at the start of the buffer.
    Packet(usize),
    /// Nothing to read right now.
    Nothing,
    /// The client will send nothing more (it closed or shut down its
    /// sending side); it keeps receiving output until it hangs up.
    EndOfInput,
}

/// The listening attach socket and its clients.
#[derive(Debug)]
pub(crate) struct AttachServer {
    listener: OwnedFd,
    clients: Vec<Client>,
}

impl AttachServer {
    /// Binds `<socket_dir>/attach` (replacing a stale socket file) through
    /// `/proc/self/fd`, so the directory's path length does not matter.
    pub(crate) fn bind(socket_dir: &Path) -> io::Result<AttachServer> {
        let dir = open_dir_path(socket_dir)?;
        let path = socket_path_via_fd(dir.as_raw_fd(), ATTACH_SOCKET);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = socket::socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        socket::bind(listener.as_raw_fd(), &UnixAddr::new(path.as_str())?)?;
        socket::listen(&listener, Backlog::new(32)?)?;
        Ok(AttachServer {
            listener,
            clients: Vec::new(),
        })
    }

    /// The listening socket, to poll for `POLLIN`.
    pub(crate) fn listener(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }

    /// Accepts every pending connection.
    pub(crate) fn accept_pending(&mut self) -> io::Result<()> {
        loop {
            match accept4(
                self.listener.as_raw_fd(),
                SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            ) {
                Ok(fd) => self.clients.push(Client {
                    // SAFETY: accept4 just returned this new fd; we own it.
                    fd: unsafe { OwnedFd::from_raw_fd(fd) },
                    queue: VecDeque::new(),
                    queued: 0,
                    input_closed: false,
                    dead: false,
                }),
                Err(Errno::EAGAIN) => return Ok(()),
                Err(Errno::EINTR | Errno::ECONNABORTED) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Every live client with the events to poll it for: `POLLIN` when
    /// `want_input`, `POLLOUT` while output is queued for it.
    pub(crate) fn poll_entries(
        &self,
        want_input: bool,
    ) -> impl Iterator<Item = (usize, BorrowedFd<'_>, PollFlags)> + '_ {
        self.clients
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.dead)
            .map(move |(i, c)| {
                let mut events = PollFlags::empty();
                if want_input && !c.input_closed {
                    events |= PollFlags::POLLIN;
                }
                if !c.queue.is_empty() {
                    events |= PollFlags::POLLOUT;
                }
                (i, c.fd.as_fd(), events)
            })
    }

    /// Sends output of packet `kind` to every client; returns how many
    /// clients were disconnected for not keeping up.
    pub(crate) fn broadcast(&mut self, kind: u8, data: &[u8]) -> usize {
        let mut dropped = 0;
        for chunk in data.chunks(MAX_PAYLOAD) {
            for c in self.clients.iter_mut().filter(|c| !c.dead) {
                if c.queue.is_empty() {
                    let kind = [kind];
                    let iov = [IoSlice::new(&kind), IoSlice::new(chunk)];
                    match socket::sendmsg::<()>(
                        c.fd.as_raw_fd(),
                        &iov,
                        &[],
                        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
                        None,
                    ) {
                        Ok(_) => continue,
                        Err(Errno::EAGAIN | Errno::EINTR) => {}
                        Err(_) => {
                            c.dead = true;
                            continue;
                        }
                    }
                }
                let mut packet = Vec::with_capacity(chunk.len() + 1);
                packet.push(kind);
                packet.extend_from_slice(chunk);
                c.queued += packet.len();
                c.queue.push_back(packet);
                if c.queued > CLIENT_QUEUE_LIMIT {
                    c.dead = true;
                    dropped += 1;
                }
            }
        }
        dropped
    }

    /// Sends as much of client `i`'s queued output as its socket takes.
    pub(crate) fn flush(&mut self, i: usize) {
        let Some(c) = self.clients.get_mut(i).filter(|c| !c.dead) else {
            return;
        };
        while let Some(packet) = c.queue.front() {
            match socket::send(
                c.fd.as_raw_fd(),
                packet,
                MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
            ) {
                Ok(_) => {
                    c.queued -= packet.len();
                    c.queue.pop_front();
                }
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return,
                Err(_) => {
                    c.dead = true;
                    return;
                }
            }
        }
        c.queue.shrink_to_fit();
    }

    /// Reads one packet from client `i` into `buf` (of [`RECV_BUFFER`]
    /// bytes; a packet filling it is oversized and skipped).
    pub(crate) fn receive(&mut self, i: usize, buf: &mut [u8]) -> Received {
        let Some(c) = self.clients.get_mut(i).filter(|c| !c.dead) else {
            return Received::EndOfInput;
        };
        loop {
            match socket::recv(c.fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => {
                    c.input_closed = true;
                    return Received::EndOfInput;
                }
                Ok(n) if n >= buf.len() => return Received::Nothing,
                Ok(n) => return Received::Packet(n),
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return Received::Nothing,
                Err(_) => {
                    c.dead = true;
                    return Received::EndOfInput;
                }
            }
        }
    }

    /// Marks client `i` as gone (after a hang-up or error on it).
    pub(crate) fn hang_up(&mut self, i: usize) {
        if let Some(c) = self.clients.get_mut(i) {
            c.dead = true;
        }
    }

    /// Closes and forgets the clients marked gone. Call between poll
    /// rounds only: it shifts client indices.
    pub(crate) fn sweep(&mut self) {
        self.clients.retain(|c| !c.dead);
    }

    /// Tries for up to `timeout` to deliver all queued output, then closes
    /// every client and the listener: clients read EOF.
    pub(crate) fn finish(mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            self.sweep();
            let pending: Vec<usize> = (0..self.clients.len())
                .filter(|&i| !self.clients[i].queue.is_empty())
                .collect();
            let left = deadline.saturating_duration_since(Instant::now());
            if pending.is_empty() || left.is_zero() {
                return;
            }
            let mut fds: Vec<PollFd<'_>> = pending
                .iter()
                .map(|&i| PollFd::new(self.clients[i].fd.as_fd(), PollFlags::POLLOUT))
                .collect();
            let ready = poll(
                &mut fds,
                PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
            );
            let revents: Vec<PollFlags> = fds
                .iter()
                .map(|f| f.revents().unwrap_or(PollFlags::empty()))
                .collect();
            drop(fds);
            if matches!(ready, Err(e) if e != Errno::EINTR) {
                return;
            }
            for (&i, ev) in pending.iter().zip(revents) {
                if ev.intersects(PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL) {
                    self.hang_up(i);
                } else if ev.contains(PollFlags::POLLOUT) {
                    self.flush(i);
                }
            }
        }
    }
}

//! The monitor's single-threaded `poll()` loop: copies the container's
//! output to the log and to attach clients, forwards client input and
//! resizes, and reaps children until the container has exited.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::Pid;

use super::attach_server::{AttachServer, Received, RECV_BUFFER};
use super::console;
use super::diag::Diag;
use super::health::HealthSchedule;
use super::oom::OomWatch;
use super::reaper::{Reaped, Reaper};
use super::stdio::PipeEnds;
use crate::attach::{ClientPacket, KIND_STDERR, KIND_STDOUT, MAX_PAYLOAD};
use crate::exitfile::EXIT_CODE_UNKNOWN;
use crate::logfile::{LogWriter, Stream};

/// Output read per output fd once the container has exited (bounds the
/// drain when other processes keep writing to an inherited pipe).
const DRAIN_LIMIT: usize = 4 * 1024 * 1024;

/// How often to check on a container that is not the monitor's child.
const LOST_CHILD_CHECK: Duration = Duration::from_secs(1);

/// The monitor's ends of the container's stdio.
#[derive(Debug)]
pub(crate) enum ContainerIo {
    /// Pipes (no terminal).
    Pipes(PipeEnds),
    /// The pty master; `stdin` says whether client input is forwarded.
    Terminal { master: OwnedFd, stdin: bool },
}

/// Everything the loop serves.
#[derive(Debug)]
pub(crate) struct LoopParts {
    pub(crate) container: Pid,
    pub(crate) reaper: Reaper,
    pub(crate) io: ContainerIo,
    pub(crate) attach: AttachServer,
    pub(crate) log: Option<LogWriter>,
    pub(crate) oom: OomWatch,
    pub(crate) health: Option<HealthSchedule>,
    pub(crate) notify: Option<super::notify::Notifier>,
    /// When the container is killed for running too long (`--timeout`).
    pub(crate) kill_at: Option<std::time::Instant>,
}

/// The result of the loop: the container is gone and its output drained.
#[derive(Debug)]
pub(crate) struct Finished {
    /// Exit code (128 + signal if killed).
    pub(crate) exit_code: i32,
    /// Whether the OOM killer struck the container.
    pub(crate) oom_killed: bool,
    /// The attach clients, still connected, to close after the exit file is
    /// written.
    pub(crate) attach: AttachServer,
}

#[derive(Debug)]
struct Output {
    fd: OwnedFd,
    stream: Stream,
    open: bool,
}

/// Where client input goes: the stdin pipe or the pty master.
#[derive(Debug)]
struct StdinSink {
    fd: OwnedFd,
    /// For a terminal, closing stdin means writing this VEOF character.
    eof_char: Option<u8>,
    pending: Vec<u8>,
    close_when_flushed: bool,
}

/// State of the stdin sink after an operation.
#[derive(Debug, PartialEq, Eq)]
enum SinkState {
    /// Everything written; keep it.
    Idle,
    /// Bytes wait for the fd to become writable.
    Busy,
    /// Closed on request, or the container stopped reading: drop it.
    Done,
}

impl StdinSink {
    fn write(&mut self, data: &[u8]) -> SinkState {
        self.pending.extend_from_slice(data);
        self.flush()
    }

    fn close(&mut self) -> SinkState {
        match self.eof_char {
            Some(c) => self.pending.push(c),
            None => self.close_when_flushed = true,
        }
        self.flush()
    }

    fn flush(&mut self) -> SinkState {
        let mut written = 0;
        let state = loop {
            if written == self.pending.len() {
                break if self.close_when_flushed {
                    SinkState::Done
                } else {
                    SinkState::Idle
                };
            }
            match nix::unistd::write(&self.fd, &self.pending[written..]) {
                // A pipe or pty never accepts 0 bytes of a non-empty write.
                Ok(0) => break SinkState::Done,
                Ok(n) => written += n,
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => break SinkState::Busy,
                Err(_) => break SinkState::Done,
            }
        };
        self.pending.drain(..written);
        if self.pending.is_empty() {
            self.pending = Vec::new();
        }
        state
    }
}

#[derive(Debug, Clone, Copy)]
enum Token {
    Signal,
    Output(usize),
    Stdin,
    Listener,
    Client(usize),
    Oom,
    Notify,
}

/// The loop's state.
#[derive(Debug)]
pub(crate) struct EventLoop<'d> {
    container: Pid,
    reaper: Reaper,
    outputs: Vec<Output>,
    stdin: Option<StdinSink>,
    master: Option<OwnedFd>,
    attach: AttachServer,
    log: Option<LogWriter>,
    oom: OomWatch,
    health: Option<HealthSchedule>,
    notify: Option<super::notify::Notifier>,
    kill_at: Option<std::time::Instant>,
    /// Killed for its timeout: the exit code is unknown (-1), as conmon
    /// records it.
    timed_out: bool,
    diag: &'d Diag,
    exit_code: Option<i32>,
    lost_child: bool,
    log_failed: bool,
}

impl<'d> EventLoop<'d> {
    /// Sets the loop up.
    pub(crate) fn new(parts: LoopParts, diag: &'d Diag) -> io::Result<EventLoop<'d>> {
        let (outputs, stdin, master) = match parts.io {
            ContainerIo::Pipes(ends) => (
                vec![
                    Output {
                        fd: ends.stdout,
                        stream: Stream::Stdout,
                        open: true,
                    },
                    Output {
                        fd: ends.stderr,
                        stream: Stream::Stderr,
                        open: true,
                    },
                ],
                ends.stdin.map(|fd| StdinSink {
                    fd,
                    eof_char: None,
                    pending: Vec::new(),
                    close_when_flushed: false,
                }),
                None,
            ),
            ContainerIo::Terminal { master, stdin } => {
                let sink = if stdin {
                    Some(StdinSink {
                        fd: master.try_clone()?,
                        eof_char: Some(console::eof_char(&master)),
                        pending: Vec::new(),
                        close_when_flushed: false,
                    })
                } else {
                    None
                };
                let output = Output {
                    fd: master.try_clone()?,
                    stream: Stream::Stdout,
                    open: true,
                };
                (vec![output], sink, Some(master))
            }
        };
        Ok(EventLoop {
            container: parts.container,
            reaper: parts.reaper,
            outputs,
            stdin,
            master,
            attach: parts.attach,
            log: parts.log,
            oom: parts.oom,
            health: parts.health,
            notify: parts.notify,
            kill_at: parts.kill_at,
            timed_out: false,
            diag,
            exit_code: None,
            lost_child: false,
            log_failed: false,
        })
    }

    /// Serves the container until it exited, then drains its output.
    pub(crate) fn run(mut self) -> Finished {
        // The caller may have connected, started the container and seen it
        // exit before this loop first runs (the sync message went out
        // already): accept those clients before anything else, so they get
        // all the output and an orderly EOF rather than a reset.
        self.accept_clients();
        // Children that exited while `create` ran have already signalled.
        self.on_sigchld();
        while self.exit_code.is_none() {
            if let Err(e) = self.turn() {
                self.diag.log(format_args!(
                    "poll loop failed: {e}; no more I/O, only waiting for the container"
                ));
                self.exit_code = Some(self.wait_blocking());
            }
        }
        self.accept_clients();
        self.drain_outputs();
        self.stdin = None;
        Finished {
            exit_code: if self.timed_out {
                EXIT_CODE_UNKNOWN
            } else {
                self.exit_code.unwrap_or(EXIT_CODE_UNKNOWN)
            },
            oom_killed: self.oom.killed(),
            attach: self.attach,
        }
    }

    /// One poll round.
    fn turn(&mut self) -> io::Result<()> {
        let lost_check = self.lost_child.then_some(LOST_CHILD_CHECK);
        let health_due = self.health.as_ref().map(HealthSchedule::until_due);
        let kill_due = self
            .kill_at
            .map(|t| t.saturating_duration_since(std::time::Instant::now()));
        let timeout = match lost_check
            .into_iter()
            .chain(health_due)
            .chain(kill_due)
            .min()
        {
            // Round up so a due check is not polled for in a busy loop.
            Some(wait) => {
                PollTimeout::try_from(wait + Duration::from_millis(1)).unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        for (token, revents) in self.poll(timeout)? {
            self.dispatch(token, revents);
        }
        self.attach.sweep();
        if self.exit_code.is_none() {
            if let Some(health) = &mut self.health {
                health.tick(self.diag);
            }
        }
        if self.lost_child && self.exit_code.is_none() {
            self.check_lost_child();
        }
        if let Some(at) = self.kill_at {
            if self.exit_code.is_none() && std::time::Instant::now() >= at {
                self.kill_at = None;
                self.timed_out = true;
                self.diag.log(format_args!(
                    "the container ran past its timeout: killing it"
                ));
                let _ = nix::sys::signal::kill(self.container, nix::sys::signal::Signal::SIGKILL);
            }
        }
        Ok(())
    }

    /// Polls every fd of interest; returns the ready ones.
    fn poll(&self, timeout: PollTimeout) -> io::Result<Vec<(Token, PollFlags)>> {
        let mut fds = Vec::with_capacity(8);
        let mut tokens = Vec::with_capacity(8);
        fds.push(PollFd::new(self.reaper.as_fd(), PollFlags::POLLIN));
        tokens.push(Token::Signal);
        // New clients are accepted before output of the same round is
        // sent, so a client that connected before the container started
        // misses none of its output.
        fds.push(PollFd::new(self.attach.listener(), PollFlags::POLLIN));
        tokens.push(Token::Listener);
        for (i, o) in self.outputs.iter().enumerate().filter(|(_, o)| o.open) {
            fds.push(PollFd::new(o.fd.as_fd(), PollFlags::POLLIN));
            tokens.push(Token::Output(i));
        }
        // While stdin is backed up, stop reading clients: they wait.
        let stdin_busy = self.stdin.as_ref().is_some_and(|s| !s.pending.is_empty());
        if let Some(s) = self.stdin.as_ref().filter(|_| stdin_busy) {
            fds.push(PollFd::new(s.fd.as_fd(), PollFlags::POLLOUT));
            tokens.push(Token::Stdin);
        }
        for (i, fd, events) in self.attach.poll_entries(!stdin_busy) {
            fds.push(PollFd::new(fd, events));
            tokens.push(Token::Client(i));
        }
        if let Some(fd) = self.oom.poll_fd() {
            fds.push(PollFd::new(fd, PollFlags::POLLPRI));
            tokens.push(Token::Oom);
        }
        if let Some(fd) = self.notify.as_ref().and_then(|n| n.proxy_fd()) {
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
            tokens.push(Token::Notify);
        }
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
        Ok(tokens
            .into_iter()
            .zip(
                fds.iter()
                    .map(|f| f.revents().unwrap_or(PollFlags::empty())),
            )
            .filter(|(_, revents)| !revents.is_empty())
            .collect())
    }

    fn dispatch(&mut self, token: Token, revents: PollFlags) {
        match token {
            Token::Signal => self.on_sigchld(),
            Token::Output(i) => self.on_output(i),
            Token::Stdin => {
                if let Some(s) = &mut self.stdin {
                    let state = s.flush();
                    self.after_stdin(state);
                }
            }
            Token::Listener => self.accept_clients(),
            Token::Client(i) => self.on_client(i, revents),
            Token::Oom => self.oom.refresh(),
            Token::Notify => {
                if let Some(n) = &mut self.notify {
                    n.on_proxy(self.diag);
                }
            }
        }
    }

    fn accept_clients(&mut self) {
        if let Err(e) = self.attach.accept_pending() {
            self.diag
                .log(format_args!("cannot accept an attach client: {e}"));
        }
    }

    fn on_sigchld(&mut self) {
        self.reaper.clear();
        let health = &mut self.health;
        match self.reaper.reap_all(self.container, |pid| {
            if let Some(h) = health.as_mut() {
                h.reaped(pid);
            }
        }) {
            Reaped::Running => {}
            Reaped::Exited(code) => self.exit_code = Some(code),
            Reaped::NotAChild => {
                if !self.lost_child {
                    self.lost_child = true;
                    self.diag.log(format_args!(
                        "container process {} is not a child of the monitor; \
                         its exit code will be unknown",
                        self.container
                    ));
                }
            }
        }
    }

    /// Without the container as a child, notices when it is gone.
    fn check_lost_child(&mut self) {
        if nix::sys::signal::kill(self.container, None) == Err(Errno::ESRCH) {
            self.exit_code = Some(EXIT_CODE_UNKNOWN);
        }
    }

    /// Last resort when polling fails: stop serving I/O (closing the pipes
    /// so the container cannot block on them) and wait for the container.
    fn wait_blocking(&mut self) -> i32 {
        self.outputs.clear();
        self.stdin = None;
        loop {
            match nix::sys::wait::waitpid(self.container, None) {
                Ok(status) => {
                    if let Some(code) = super::reaper::exit_code(status) {
                        return code;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(_) => return EXIT_CODE_UNKNOWN,
            }
        }
    }

    fn on_output(&mut self, i: usize) {
        let mut buf = [0u8; MAX_PAYLOAD];
        if let Some(n) = self.read_output(i, &mut buf) {
            let stream = self.outputs[i].stream;
            self.emit(stream, &buf[..n]);
        }
    }

    /// Reads one chunk from output `i`; `None` when nothing was read (the
    /// output is marked closed at EOF or on a hung-up terminal).
    fn read_output(&mut self, i: usize, buf: &mut [u8]) -> Option<usize> {
        let out = self.outputs.get_mut(i).filter(|o| o.open)?;
        loop {
            match nix::unistd::read(out.fd.as_raw_fd(), buf) {
                Ok(0) => {}
                Ok(n) => return Some(n),
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return None,
                // EIO: the terminal's last user went away.
                Err(Errno::EIO) => {}
                Err(e) => self.diag.log(format_args!(
                    "reading container {}: {e}",
                    out.stream.as_str()
                )),
            }
            out.open = false;
            return None;
        }
    }

    /// Sends output to the log and to every attach client.
    fn emit(&mut self, stream: Stream, data: &[u8]) {
        if let Some(log) = &mut self.log {
            if let Err(e) = log.write(stream, data) {
                if !self.log_failed {
                    self.log_failed = true;
                    self.diag.log(format_args!(
                        "cannot write the container log (further errors not reported): {e}"
                    ));
                }
            }
        }
        let kind = match stream {
            Stream::Stdout => KIND_STDOUT,
            Stream::Stderr => KIND_STDERR,
        };
        let dropped = self.attach.broadcast(kind, data);
        if dropped > 0 {
            self.diag.log(format_args!(
                "disconnected {dropped} attach client(s) that stopped reading"
            ));
        }
    }

    /// Reads what is left in the outputs after the container exited.
    fn drain_outputs(&mut self) {
        let mut buf = [0u8; MAX_PAYLOAD];
        for i in 0..self.outputs.len() {
            let mut total = 0;
            while total < DRAIN_LIMIT {
                let Some(n) = self.read_output(i, &mut buf) else {
                    break;
                };
                total += n;
                let stream = self.outputs[i].stream;
                self.emit(stream, &buf[..n]);
            }
        }
    }

    fn on_client(&mut self, i: usize, revents: PollFlags) {
        if revents.contains(PollFlags::POLLOUT) {
            self.attach.flush(i);
        }
        if revents.contains(PollFlags::POLLIN) {
            let mut buf = [0u8; RECV_BUFFER];
            if let Received::Packet(n) = self.attach.receive(i, &mut buf) {
                self.on_packet(&buf[..n]);
            }
        }
        if revents.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL) {
            self.attach.hang_up(i);
        }
    }

    fn on_packet(&mut self, packet: &[u8]) {
        match ClientPacket::decode(packet) {
            Some(ClientPacket::Stdin(data)) => {
                if let Some(s) = &mut self.stdin {
                    let state = s.write(data);
                    self.after_stdin(state);
                }
            }
            Some(ClientPacket::CloseStdin) => {
                if let Some(s) = &mut self.stdin {
                    let state = s.close();
                    self.after_stdin(state);
                }
            }
            Some(ClientPacket::Started) => {
                if let Some(n) = &mut self.notify {
                    n.started(self.diag);
                }
            }
            Some(ClientPacket::Resize { rows, cols }) => {
                if let Some(master) = &self.master {
                    if let Err(e) = console::resize(master.as_fd(), rows, cols) {
                        self.diag
                            .log(format_args!("cannot resize the terminal: {e}"));
                    }
                }
            }
            // Unknown or malformed: ignored, for forward compatibility.
            None => {}
        }
    }

    fn after_stdin(&mut self, state: SinkState) {
        if state == SinkState::Done {
            self.stdin = None;
        }
    }
}

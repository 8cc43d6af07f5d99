//! sd_notify for a service manager (`--notify-socket`): the monitor sends
//! `READY=1` with `MAINPID` set to the container's pid, either when the
//! caller reports the container started, or (`--notify-proxy`) when the
//! container itself says so on the socket bound for it.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

use super::diag::Diag;

/// The proxy socket, relative to the persist dir (the monitor's cwd), so
/// long paths don't matter; the caller bind-mounts its directory.
pub const PROXY_DIR: &str = "notify";
pub const PROXY_SOCKET: &str = "notify/notify.sock";

/// Binds the socket the container notifies on (before `runtime create`).
pub(crate) fn bind_proxy() -> io::Result<UnixDatagram> {
    std::fs::create_dir_all(PROXY_DIR)?;
    let _ = std::fs::remove_file(PROXY_SOCKET);
    let sock = UnixDatagram::bind(PROXY_SOCKET)?;
    // Any user of the container may notify.
    std::fs::set_permissions(PROXY_SOCKET, std::fs::Permissions::from_mode(0o777))?;
    sock.set_nonblocking(true)?;
    Ok(sock)
}

#[derive(Debug)]
pub(crate) struct Notifier {
    target: SocketAddr,
    sender: UnixDatagram,
    proxy: Option<UnixDatagram>,
    pid: i32,
    ready_sent: bool,
}

impl Notifier {
    pub(crate) fn new(target: &OsStr, proxy: Option<UnixDatagram>, pid: i32) -> io::Result<Self> {
        let bytes = target.as_bytes();
        let target = match bytes.strip_prefix(b"@") {
            Some(name) => SocketAddr::from_abstract_name(name)?,
            None => SocketAddr::from_pathname(std::path::Path::new(target))?,
        };
        Ok(Notifier {
            target,
            sender: UnixDatagram::unbound()?,
            proxy,
            pid,
            ready_sent: false,
        })
    }

    pub(crate) fn proxy_fd(&self) -> Option<BorrowedFd<'_>> {
        self.proxy.as_ref().map(|s| s.as_fd())
    }

    fn send(&self, msg: &str, diag: &Diag) {
        if let Err(e) = self.sender.send_to_addr(msg.as_bytes(), &self.target) {
            diag.log(format_args!("cannot notify the service manager: {e}"));
        }
    }

    /// The caller started the container: without a proxy, that is ready.
    pub(crate) fn started(&mut self, diag: &Diag) {
        if self.proxy.is_none() && !self.ready_sent {
            self.ready_sent = true;
            self.send(&format!("MAINPID={}\nREADY=1\n", self.pid), diag);
        }
    }

    /// Relays what the container sent, its own `MAINPID` replaced by the
    /// container's pid as the host sees it.
    pub(crate) fn on_proxy(&mut self, diag: &Diag) {
        let mut buf = vec![0u8; 4096];
        loop {
            let n = match self.proxy.as_ref().map(|p| p.recv(&mut buf)) {
                Some(Ok(n)) => n,
                Some(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => return,
                Some(Err(e)) => {
                    diag.log(format_args!(
                        "cannot read the container's notification: {e}"
                    ));
                    return;
                }
                None => return,
            };
            let text = String::from_utf8_lossy(&buf[..n]);
            let mut out = String::new();
            let mut ready = false;
            for line in text.lines().filter(|l| !l.is_empty()) {
                if line.starts_with("MAINPID=") {
                    continue;
                }
                ready |= line == "READY=1";
                out.push_str(line);
                out.push('\n');
            }
            if ready {
                out = format!("MAINPID={}\n{out}", self.pid);
                self.ready_sent = true;
            }
            if !out.is_empty() {
                self.send(&out, diag);
            }
        }
    }
}

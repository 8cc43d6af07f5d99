//! Shared helpers of the `api_*` tests: a `rpod system service` on a
//! per-test socket, the docker CLI against it, raw HTTP, and a pty.

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;

/// A running `rpod system service`, killed (by PID) when dropped.
pub struct Service {
    pub child: Child,
    pub socket: PathBuf,
    pub stderr: PathBuf,
}

impl Service {
    /// Starts the service on `<tmp>/api.sock` with `extra` flags.
    pub fn start_with(e: &Engine, extra: &[&str]) -> Service {
        let socket = e.file("api.sock");
        let uri = format!("unix://{}", socket.display());
        let mut args = vec!["system", "service", &uri, "--time", "0"];
        args.extend_from_slice(extra);
        let stderr = e.file("service.log");
        let mut cmd = e.cmd(&args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&stderr).expect("service log"));
        let child = cmd.spawn().expect("spawning rpod system service");
        let svc = Service {
            child,
            socket,
            stderr,
        };
        wait_until("the API socket", POLL_TIMEOUT, || {
            UnixStream::connect(&svc.socket).is_ok()
        });
        svc
    }

    pub fn start(e: &Engine) -> Service {
        Service::start_with(e, &[])
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The docker CLI against this service.
    pub fn docker_cmd(&self, e: &Engine, args: &[&str]) -> Command {
        let mut c = Command::new("docker");
        c.args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", e.file("docker-config"))
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT");
        c
    }

    pub fn docker(&self, e: &Engine, args: &[&str]) -> Output {
        run_with_timeout(self.docker_cmd(e, args), None, COMMAND_TIMEOUT)
    }

    pub fn docker_ok(&self, e: &Engine, args: &[&str]) -> String {
        let out = self.docker(e, args);
        assert!(
            out.status.success(),
            "docker {args:?} failed\n{}\nservice log:\n{}",
            describe(&out),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        kill_pid(self.child.id() as i32, libc::SIGTERM);
        wait_child(&mut self.child, COMMAND_TIMEOUT);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            kill_pid(self.child.id() as i32, libc::SIGKILL);
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Asserts that a client program the test drives is on PATH: a missing
/// client fails the test (`.ci/run` installs every one), never skips it.
pub fn have(bin: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {bin}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(found, "{bin} is not installed: .ci/run installs it");
    found
}

/// Asserts that python3 can import `module` (a client library the test
/// drives); a missing one fails the test.
pub fn have_python_module(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(found, "python3 cannot import {module}: .ci/run installs it");
    found
}

/// A raw HTTP/1.0 request over the socket: (status, headers, body).
pub fn http(
    sock: &Path,
    method: &str,
    path: &str,
    content_type: &str,
    body: Option<&[u8]>,
) -> (u16, String, Vec<u8>) {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(COMMAND_TIMEOUT)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: d\r\n");
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    if let Some(b) = body {
        let _ = s.write_all(b);
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, raw[split + 4..].to_vec())
}

/// The `message` of a JSON error body.
pub fn message(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "error body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(body)
        )
    });
    v["message"].as_str().expect("message field").to_string()
}

/// A plain HTTP GET over TCP to 127.0.0.1:port; `None` until it answers.
pub fn http_get_tcp(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    (!out.is_empty()).then_some(out)
}

/// A name unique to this test process.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", std::process::id())
}

/// A command running with a pty as its controlling terminal.
pub struct Pty {
    pub master: File,
    pub child: Child,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    pub fn spawn(mut cmd: Command) -> Pty {
        let ws = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&ws), None).expect("openpty");
        let slave: OwnedFd = pty.slave;
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave.try_clone().unwrap()));
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawning under a pty");
        drop(cmd);
        drop(slave);
        let master = File::from(pty.master);
        let mut reader = master.try_clone().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                }
            }
        });
        Pty {
            master,
            child,
            seen,
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    pub fn send(&mut self, data: &[u8]) {
        self.master.write_all(data).unwrap();
        self.master.flush().unwrap();
    }

    /// Waits until the output after byte `from` contains `needle`.
    pub fn expect(&self, needle: &str, from: usize) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if t.len() >= from && t[from..].contains(needle) {
                return t;
            }
            if start.elapsed() > POLL_TIMEOUT {
                panic!("timed out waiting for {needle:?} on the terminal; got {t:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait(&mut self) -> Option<i32> {
        wait_child(&mut self.child, COMMAND_TIMEOUT).code()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Debian's Docker Engine (`dockerd`, 20.10) on a private socket, as the
/// reference for differential API tests: its data, exec root and
/// containerd namespace live in the test's directory, with no iptables
/// rules and no default bridge. Stopped by its PID when dropped, after its
/// user networks (their `br-*` links) are removed.
pub struct Dockerd {
    child: Child,
    pub socket: PathBuf,
    log: PathBuf,
}

impl Dockerd {
    pub fn start(e: &Engine) -> Dockerd {
        have("dockerd");
        let dir = e.file("dockerd");
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("d.sock");
        let log = dir.join("log");
        let ns = format!("rpodtest-{}", std::process::id());
        let mut cmd = Command::new("dockerd");
        cmd.arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("x"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .arg("--pidfile")
            .arg(dir.join("pid"))
            .args(["--containerd-namespace", &ns])
            .args(["--containerd-plugins-namespace", &format!("{ns}-p")])
            .stdin(Stdio::null())
            .stdout(File::create(&log).unwrap())
            .stderr(File::create(dir.join("log.err")).unwrap());
        let child = cmd.spawn().expect("spawning dockerd");
        let d = Dockerd { child, socket, log };
        wait_until("dockerd's socket", Duration::from_secs(60), || {
            UnixStream::connect(&d.socket).is_ok()
                && http(&d.socket, "GET", "/_ping", "", None).0 == 200
        });
        d
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        // Containers first (they hold networks), then user networks.
        let (_, _, body) = http(&self.socket, "GET", "/containers/json?all=1", "", None);
        if let Ok(serde_json::Value::Array(list)) = serde_json::from_slice(&body) {
            for c in list {
                if let Some(id) = c["Id"].as_str() {
                    http(
                        &self.socket,
                        "DELETE",
                        &format!("/containers/{id}?force=1&v=1"),
                        "",
                        None,
                    );
                }
            }
        }
        http(&self.socket, "POST", "/networks/prune", "", None);
        kill_pid(self.child.id() as i32, libc::SIGTERM);
        let start = Instant::now();
        while let Ok(None) = self.child.try_wait() {
            if start.elapsed() > Duration::from_secs(30) {
                kill_pid(self.child.id() as i32, libc::SIGKILL);
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A helper process of a test (a file server, …), killed by its PID when
/// dropped, also when the test fails.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        kill_pid(self.0.id() as i32, libc::SIGKILL);
        let _ = self.0.wait();
    }
}

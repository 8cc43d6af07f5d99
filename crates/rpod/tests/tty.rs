//! `run -it` and `attach` driven through a real pseudo-terminal.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// The CLI running with a pty as its controlling terminal.
struct PtyCli {
    master: File,
    child: Child,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl PtyCli {
    fn spawn(e: &Engine, args: &[&str]) -> PtyCli {
        let ws = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&ws), None).expect("openpty");
        let slave: OwnedFd = pty.slave;
        let mut cmd = e.cmd(args);
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
        let child = cmd.spawn().expect("spawning rpod under a pty");
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
        let _ = master.as_raw_fd();
        PtyCli {
            master,
            child,
            seen,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    fn send(&mut self, data: &[u8]) {
        self.master.write_all(data).unwrap();
        self.master.flush().unwrap();
    }

    /// Waits until the output contains `needle` (after what was seen at `from`).
    fn expect(&self, needle: &str, from: usize) -> String {
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

    fn wait(&mut self) -> Option<i32> {
        wait_child(&mut self.child, COMMAND_TIMEOUT).code()
    }
}

impl Drop for PtyCli {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn run_it_gives_a_terminal_and_passes_the_exit_code() {
    let e = Engine::with_image();
    let mut cli = PtyCli::spawn(&e, &["run", "-it", "--name", "t", "busybox", "sh"]);
    cli.expect("#", 0);
    let mark = cli.text().len();
    cli.send(b"tty; echo $((6*7))\r");
    let t = cli.expect("42", mark);
    assert!(t[mark..].contains("/dev/pts/0"), "{t:?}");
    cli.send(b"exit 5\r");
    assert_eq!(cli.wait(), Some(5), "{:?}", cli.text());
    assert_eq!(e.inspect_fmt("t", "{{.State.ExitCode}}"), "5");
    assert_eq!(e.inspect_fmt("t", "{{.Config.Tty}}"), "true");
}

#[test]
fn run_it_sees_the_terminal_size_and_term() {
    let e = Engine::with_image();
    let mut cli = PtyCli::spawn(&e, &["run", "-it", "--rm", "busybox", "sh"]);
    cli.expect("#", 0);
    let mark = cli.text().len();
    cli.send(b"echo size=$(stty size) term=$TERM\r");
    let t = cli.expect("term=", mark);
    let got = &t[mark..];
    let line = got
        .lines()
        .find(|l| l.starts_with("size="))
        .unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(line.trim(), "size=24 80 term=xterm", "{got:?}");
    cli.send(b"exit\r");
    assert_eq!(cli.wait(), Some(0));
}

#[test]
fn detach_keys_leave_the_container_running_and_attach_works_again() {
    let e = Engine::with_image();
    let mut cli = PtyCli::spawn(&e, &["run", "-it", "--name", "d", "busybox", "sh"]);
    cli.expect("#", 0);
    cli.send(b"\x10\x11");
    assert_eq!(
        cli.wait(),
        Some(0),
        "detach should exit 0: {:?}",
        cli.text()
    );
    assert_eq!(e.status("d"), "running");

    let mut again = PtyCli::spawn(&e, &["attach", "d"]);
    // Nothing is printed on attach: type until the shell answers.
    let mark = again.text().len();
    again.send(b"echo $((6*7))\r");
    again.expect("42", mark);
    again.send(b"exit 3\r");
    assert_eq!(again.wait(), Some(3), "{:?}", again.text());
    e.wait_status("d", "exited");
}

#[test]
fn custom_detach_keys() {
    let e = Engine::with_image();
    let mut cli = PtyCli::spawn(
        &e,
        &[
            "run",
            "-it",
            "--detach-keys",
            "ctrl-x",
            "--name",
            "d",
            "busybox",
            "sh",
        ],
    );
    cli.expect("#", 0);
    cli.send(b"\x18");
    assert_eq!(cli.wait(), Some(0), "{:?}", cli.text());
    assert_eq!(e.status("d"), "running");
}

#[test]
fn bad_detach_keys_are_refused() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["run", "--detach-keys", "ctrl-", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("ctrl-"), "{err}");
}

#[test]
fn run_t_without_terminal_stdin_still_runs() {
    let e = Engine::with_image();
    let out = e.rpod(&["run", "-t", "--rm", "busybox", "sh", "-c", "tty; echo done"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/dev/pts/0") && text.contains("done"),
        "{text}"
    );
}

#[test]
fn exec_it_gives_a_terminal_and_passes_the_exit_code() {
    let e = Engine::with_image();
    e.ok(&["run", "-d", "--name", "x", "busybox", "sleep", "300"]);
    let mut cli = PtyCli::spawn(&e, &["exec", "-it", "x", "sh"]);
    cli.expect("#", 0);
    let mark = cli.text().len();
    cli.send(b"tty; echo $((6*7))\r");
    let t = cli.expect("42", mark);
    assert!(t[mark..].contains("/dev/pts/"), "{t:?}");
    cli.send(b"exit 5\r");
    assert_eq!(cli.wait(), Some(5), "{:?}", cli.text());
    assert_eq!(e.status("x"), "running");
}

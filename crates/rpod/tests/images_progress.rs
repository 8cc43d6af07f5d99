//! Transfer progress: per-layer bars when stderr is a terminal, plain lines otherwise,
//! nothing with `-q`.

mod common;

use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::Stdio;

use common::*;

/// Runs rpod with a pty as stdin, stdout, stderr and controlling terminal; returns the exit
/// code and everything written to the terminal.
fn run_on_pty(e: &Engine, args: &[&str]) -> (Option<i32>, String) {
    let ws = nix::pty::Winsize {
        ws_row: 24,
        ws_col: 120,
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
    let mut child = cmd.spawn().expect("spawning rpod under a pty");
    drop(cmd);
    drop(slave);
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Ends with EIO once the last slave descriptor is closed.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    });
    let code = wait_child(&mut child, COMMAND_TIMEOUT).code();
    let seen = reader.join().unwrap_or_default();
    (code, String::from_utf8_lossy(&seen).into_owned())
}

#[test]
fn pull_shows_per_layer_bars_on_a_terminal_lines_otherwise_nothing_quiet() {
    let reg = Registry::start(None);
    let e = Engine::new();
    // A two-layer image: the busybox root file system and a second layer.
    let busybox = std::fs::read(e.busybox_tar()).unwrap();
    let second = tar_with_files(&[("etc/extra", &[7u8; 300_000][..])]);
    let diff_ids = [
        format!("sha256:{}", sha256_hex(&busybox)),
        format!("sha256:{}", sha256_hex(&second)),
    ];
    let config = image_config_json(&diff_ids, &["sh"]);
    let layout = e.file("layout");
    write_oci_layout(
        &layout,
        &config,
        &[
            (busybox, "application/vnd.oci.image.layer.v1.tar"),
            (second, "application/vnd.oci.image.layer.v1.tar"),
        ],
        |_| {},
    );
    e.ok(&["load", "-q", "-i", layout.to_str().unwrap()]);
    let dest = format!("{}/progress/two:1", reg.host());
    e.ok(&["push", "-q", "--tls-verify=false", "crafted", &dest]);
    // The registry's layers are the pushed, compressed blobs.
    let manifest = {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(reg.host()).unwrap();
        write!(
            s,
            "GET /v2/progress/two/manifests/1 HTTP/1.0\r\nHost: x\r\nAccept: application/vnd.oci.image.manifest.v1+json\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split_once("\r\n\r\n").unwrap().1.to_string();
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let short: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap()[7..19].to_string())
        .collect();
    assert_eq!(short.len(), 2);

    // On a terminal: one bar per layer, drawn with indicatif.
    let tty = Engine::new();
    let (code, text) = run_on_pty(&tty, &["pull", "--tls-verify=false", &dest]);
    assert_eq!(code, Some(0), "{text}\n{}", reg.log());
    for id in &short {
        let line = text
            .split(['\n', '\r'])
            .find(|l| l.contains(&format!("Copying blob {id}")))
            .unwrap_or_else(|| panic!("no bar for layer {id} in {text:?}"));
        assert!(line.contains('[') && line.contains(']'), "a bar: {line:?}");
    }
    assert!(
        text.contains('\u{1b}'),
        "terminal control sequences: {text:?}"
    );

    // Not a terminal: plain lines, no escape sequences.
    let plain = Engine::new();
    let out = plain.rpod(&["pull", "--tls-verify=false", &dest]);
    assert!(out.status.success(), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for id in &short {
        assert!(stderr.contains(&format!("Copying blob {id}")), "{stderr}");
    }
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");

    // -q on a terminal: only the ID.
    let quiet = Engine::new();
    let (code, text) = run_on_pty(&quiet, &["pull", "-q", "--tls-verify=false", &dest]);
    assert_eq!(code, Some(0), "{text}");
    let id = quiet.ok(&["images", "-q", "--no-trunc"]);
    assert_eq!(text.trim(), id.trim_start_matches("sha256:"), "{text:?}");
}

//! `--sdnotify=container|conmon|ignore` with a notify listener of the
//! test's own (a unix datagram socket), no systemd needed: the monitor
//! relays the container's READY or sends its own, with MAINPID the
//! container's pid.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

/// A notify listener bound in the test's directory.
fn listener(e: &Engine) -> (UnixDatagram, String) {
    let path = e.file("notify.sock");
    let sock = UnixDatagram::bind(&path).expect("bind the notify socket");
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    (sock, path.display().to_string())
}

/// Every message received within `wait`.
fn messages(sock: &UnixDatagram, wait: Duration) -> Vec<String> {
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < wait {
        if let Ok(n) = sock.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    out
}

/// Waits for the first message.
fn first_message(sock: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    wait_for("a notify message", POLL_TIMEOUT, || {
        sock.recv(&mut buf)
            .ok()
            .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
    })
}

fn rpod_notify(e: &Engine, socket: &str, args: &[&str]) -> String {
    let mut c = e.cmd(args);
    c.env("NOTIFY_SOCKET", socket);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{args:?}\n{}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn build_notifier(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probe/notify.c");
    let out = Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(dir.join("notify"))
        .arg(&src)
        .output()
        .expect("running cc (gcc and libc6-dev are needed)");
    assert!(out.status.success(), "cc: {}", describe(&out));
}

#[test]
fn conmon_mode_sends_ready_with_the_container_pid_once_it_runs() {
    let e = Engine::with_image();
    let (sock, path) = listener(&e);
    rpod_notify(
        &e,
        &path,
        &[
            "run",
            "-d",
            "--name",
            "c",
            "--sdnotify=conmon",
            "busybox",
            "sh",
            "-c",
            "echo \"NS=$NOTIFY_SOCKET.\"; sleep 100",
        ],
    );
    let msg = first_message(&sock);
    let pid = e.inspect_fmt("c", "{{.State.Pid}}");
    let lines: Vec<&str> = msg.lines().collect();
    assert!(lines.contains(&"READY=1"), "{msg:?}");
    assert!(
        lines.contains(&format!("MAINPID={pid}").as_str()),
        "{msg:?} pid {pid}"
    );
    // The container never sees the socket.
    e.wait_logs("c", "NS=.");
    // Nothing more, and create + start in two commands notify at the start.
    assert!(messages(&sock, Duration::from_millis(300)).is_empty());
    rpod_notify(
        &e,
        &path,
        &[
            "create",
            "--name",
            "c2",
            "--sdnotify=conmon",
            "busybox",
            "sleep",
            "100",
        ],
    );
    assert!(
        messages(&sock, Duration::from_millis(500)).is_empty(),
        "notified before start"
    );
    rpod_notify(&e, &path, &["start", "c2"]);
    let msg = first_message(&sock);
    let pid = e.inspect_fmt("c2", "{{.State.Pid}}");
    assert!(
        msg.contains("READY=1") && msg.contains(&format!("MAINPID={pid}")),
        "{msg:?}"
    );
}

#[test]
fn container_mode_relays_the_containers_ready_with_its_pid() {
    let e = Engine::with_image();
    let (sock, path) = listener(&e);
    let bin = e.file("bin");
    build_notifier(&bin);
    let vol = format!("{}:/probe:ro", bin.display());
    rpod_notify(
        &e,
        &path,
        &[
            "run",
            "-d",
            "--name",
            "n",
            "--sdnotify=container",
            "-v",
            &vol,
            "busybox",
            "/probe/notify",
        ],
    );
    let msg = first_message(&sock);
    let pid = e.inspect_fmt("n", "{{.State.Pid}}");
    let lines: Vec<&str> = msg.lines().collect();
    assert!(
        lines.contains(&"READY=1") && lines.contains(&"STATUS=serving"),
        "{msg:?}"
    );
    // The container's own MAINPID (1 in its namespace) is replaced.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("MAINPID="))
            .collect::<Vec<_>>(),
        [&format!("MAINPID={pid}").as_str()],
        "{msg:?}"
    );
    assert!(e.logs("n").contains("notified /run/notify/notify.sock"));
    // The default mode is container.
    rpod_notify(
        &e,
        &path,
        &[
            "run",
            "-d",
            "--name",
            "d",
            "-v",
            &vol,
            "busybox",
            "/probe/notify",
        ],
    );
    let msg = first_message(&sock);
    assert!(msg.contains("READY=1"), "{msg:?}");
    // Without a NOTIFY_SOCKET nothing is mounted and nothing is sent.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "plain",
        "-v",
        &vol,
        "busybox",
        "/probe/notify",
    ]);
    e.wait_logs("plain", "no NOTIFY_SOCKET");
}

#[test]
fn ignore_mode_keeps_the_socket_out_and_sends_nothing() {
    let e = Engine::with_image();
    let (sock, path) = listener(&e);
    let bin = e.file("bin");
    build_notifier(&bin);
    let vol = format!("{}:/probe:ro", bin.display());
    rpod_notify(
        &e,
        &path,
        &[
            "run",
            "-d",
            "--name",
            "i",
            "--sdnotify=ignore",
            "-e",
            "NOTIFY_SOCKET=/nowhere",
            "-v",
            &vol,
            "busybox",
            "sh",
            "-c",
            "unset NOTIFY_SOCKET; /probe/notify",
        ],
    );
    e.wait_logs("i", "no NOTIFY_SOCKET");
    assert!(messages(&sock, Duration::from_millis(500)).is_empty());
    let (code, err) = e.fails(&["create", "--sdnotify=bogus", "busybox"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("invalid sdnotify value \"bogus\": must be container, conmon or ignore"),
        "{err}"
    );
}

#[test]
fn mode_is_recorded_in_the_config() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "a", "--sdnotify=conmon", "busybox"]);
    let db = e.ok(&["inspect", "--format", "{{.Config.CreateCommand}}", "a"]);
    assert!(db.contains("--sdnotify=conmon"), "{db}");
}

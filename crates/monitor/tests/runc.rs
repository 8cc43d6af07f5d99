//! The monitor driving the real runc with a busybox container (as root).

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::{can_run, process_alive, stat_field, Fixture, Spec};
use monitor::attach::MAX_PAYLOAD;
use monitor::logfile::{LogDriver, LogEntry, LogFormat, Stream};
use monitor::{AttachClient, Frame, SyncMessage, ATTACH_SOCKET, OOM_FILE};

fn expect_pid(msg: SyncMessage) -> i32 {
    match msg {
        SyncMessage::Pid(pid) => {
            assert!(pid > 1);
            pid
        }
        SyncMessage::Error(e) => panic!("container did not start: {e}"),
    }
}

/// `(stream, partial, text)` of every entry.
fn summary(entries: &[LogEntry]) -> Vec<(Stream, bool, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e.stream,
                e.partial,
                String::from_utf8_lossy(&e.text).into_owned(),
            )
        })
        .collect()
}

/// Reads frames until EOF; returns (stdout, stderr).
fn read_until_eof(client: &AttachClient) -> (Vec<u8>, Vec<u8>) {
    let mut buf = vec![0u8; MAX_PAYLOAD];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    loop {
        match client.recv(&mut buf).expect("recv") {
            Frame::Stdout(n) => out.extend_from_slice(&buf[..n]),
            Frame::Stderr(n) => err.extend_from_slice(&buf[..n]),
            Frame::Eof => return (out, err),
        }
    }
}

/// Reads stdout frames until `needle` appeared; returns all stdout read.
fn read_until(client: &AttachClient, needle: &str) -> String {
    let mut buf = vec![0u8; MAX_PAYLOAD];
    let mut out = String::new();
    while !out.contains(needle) {
        match client.recv(&mut buf).expect("recv") {
            Frame::Stdout(n) => out.push_str(&String::from_utf8_lossy(&buf[..n])),
            Frame::Stderr(_) => {}
            Frame::Eof => panic!("EOF before {needle:?}; got {out:?}"),
        }
    }
    out
}

#[test]
fn k8s_file_log_and_exit_code_zero() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(
        &Spec::new(&["sh", "-c", "echo hello; echo oops >&2; printf partial"]),
        false,
    );
    let pid = expect_pid(f.spawn(&f.args()));
    assert!(f.socket_dir.join(ATTACH_SOCKET).exists());
    f.start();
    assert_eq!(f.wait_exit(), 0);
    assert_eq!(f.wait_monitor_gone(), 0);

    let entries = f.log_entries(LogFormat::K8sFile);
    let mut got = summary(&entries);
    got.sort_by_key(|(s, _, _)| *s == Stream::Stderr);
    assert_eq!(
        got,
        vec![
            (Stream::Stdout, false, "hello".to_string()),
            (Stream::Stdout, true, "partial".to_string()),
            (Stream::Stderr, false, "oops".to_string()),
        ]
    );
    // Raw format check: `<RFC3339Nano>Z stdout F hello`.
    let raw = fs::read_to_string(&f.log_path).unwrap();
    let line = raw.lines().find(|l| l.ends_with("hello")).unwrap();
    let (ts, rest) = line.split_once(' ').unwrap();
    assert_eq!(rest, "stdout F hello");
    assert_eq!(ts.len(), "2026-11-29T07:01:02.123456789Z".len(), "{ts}");
    assert!(ts.ends_with('Z'));
    assert!(!process_alive(pid));
    assert!(!f.persist_dir.join(OOM_FILE).exists());
    assert_eq!(f.monitor_log(), "");
}

#[test]
fn json_file_log() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(
        &Spec::new(&["sh", "-c", "echo 'say \"hi\"'; echo err >&2"]),
        false,
    );
    let mut args = f.args();
    args.log_driver = LogDriver::JsonFile;
    expect_pid(f.spawn(&args));
    f.start();
    assert_eq!(f.wait_exit(), 0);
    assert_eq!(f.wait_monitor_gone(), 0);

    // Docker's format, checked with a real JSON parser.
    let raw = fs::read_to_string(&f.log_path).unwrap();
    let mut lines: Vec<serde_json::Value> = raw
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    lines.sort_by_key(|v| v["stream"].as_str().unwrap_or_default().to_string());
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["stream"], "stderr");
    assert_eq!(lines[0]["log"], "err\n");
    assert_eq!(lines[1]["stream"], "stdout");
    assert_eq!(lines[1]["log"], "say \"hi\"\n");
    assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1].as_object().unwrap().len(), 3);

    let entries = f.log_entries(LogFormat::JsonFile);
    assert!(entries
        .iter()
        .any(|e| e.text == b"say \"hi\"" && !e.partial && e.stream == Stream::Stdout));
}

#[test]
fn exit_code_and_exit_command() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(&Spec::new(&["sh", "-c", "exit 3"]), false);
    let marker = f.dir.path().join("exit-command-ran");
    let mut args = f.args();
    args.log_driver = LogDriver::None;
    args.log_path = None;
    args.exit_command = Some("/bin/sh".into());
    args.exit_command_args = vec![
        "-c".into(),
        format!("echo \"$0\" > {}", marker.display()).into(),
        "cleanup-arg".into(),
    ];
    expect_pid(f.spawn(&args));
    let before = std::time::SystemTime::now() - Duration::from_secs(1);
    f.start();
    assert_eq!(f.wait_exit(), 3);
    let (_, finished) = monitor::read_exit_file(&f.exit_dir.join(&f.cid))
        .unwrap()
        .unwrap();
    assert!(finished >= before);
    assert_eq!(f.wait_monitor_gone(), 0);
    assert_eq!(fs::read_to_string(&marker).unwrap(), "cleanup-arg\n");
    assert!(!f.log_path.exists());
}

#[test]
fn relative_paths_are_resolved_before_chdir() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(&Spec::new(&["echo", "relative"]), false);
    let base = f.dir.path().to_path_buf();
    let rel = |p: &std::path::Path| p.strip_prefix(&base).unwrap().to_path_buf();
    let mut args = f.args();
    args.bundle = rel(&f.bundle);
    args.pidfile = rel(&f.pidfile);
    args.exit_dir = rel(&f.exit_dir);
    args.persist_dir = rel(&f.persist_dir);
    args.socket_dir = rel(&f.socket_dir);
    args.log_path = Some(rel(&f.log_path));
    assert!(args.bundle.is_relative());
    expect_pid(f.spawn_in(&args, Some(&base)));
    f.start();
    assert_eq!(f.wait_exit(), 0);
    assert_eq!(f.wait_monitor_gone(), 0);
    let entries = f.log_entries(LogFormat::K8sFile);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].text, b"relative");
}

#[test]
fn sigkill_gives_137() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(&Spec::new(&["sleep", "30"]), false);
    expect_pid(f.spawn(&f.args()));
    f.start();
    let out = f.runc(&["kill", &f.cid, "KILL"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f.wait_exit(), 137);
    assert_eq!(f.wait_monitor_gone(), 0);
}

#[test]
fn attach_clients_get_output_and_send_stdin() {
    if !can_run() {
        return;
    }
    // The attach socket lives in a directory longer than sun_path.
    let mut f = Fixture::new(&Spec::new(&["cat"]), true);
    assert!(f.socket_dir.as_os_str().len() > 108);
    let mut args = f.args();
    args.stdin = true;
    expect_pid(f.spawn(&args));

    let a = AttachClient::connect(&f.socket_dir).expect("connect");
    let b = AttachClient::connect(&f.socket_dir).expect("connect second");
    f.start();
    a.send_stdin(b"hello\n").unwrap();
    assert_eq!(read_until(&a, "hello\n"), "hello\n");
    assert_eq!(read_until(&b, "hello\n"), "hello\n");

    // Larger than one packet.
    let big: Vec<u8> = (0..3 * MAX_PAYLOAD)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    b.send_stdin(&big).unwrap();
    b.send_stdin(b"\n").unwrap();
    b.close_stdin().unwrap();

    let (out_a, err_a) = read_until_eof(&a);
    let (out_b, _) = read_until_eof(&b);
    let mut expected = big.clone();
    expected.push(b'\n');
    assert_eq!(out_a, expected);
    assert_eq!(out_b, expected);
    assert!(err_a.is_empty());
    assert_eq!(f.wait_exit(), 0);
    assert_eq!(f.wait_monitor_gone(), 0);

    let text: Vec<u8> = f
        .log_entries(LogFormat::K8sFile)
        .into_iter()
        .flat_map(|mut e| {
            if !e.partial {
                e.text.push(b'\n');
            }
            e.text
        })
        .collect();
    let mut all = b"hello\n".to_vec();
    all.extend_from_slice(&expected);
    assert_eq!(text, all);
}

#[test]
fn terminal_container() {
    if !can_run() {
        return;
    }
    let spec = Spec {
        terminal: true,
        ..Spec::new(&["sh", "-c", "tty"])
    };
    let mut f = Fixture::new(&spec, false);
    let mut args = f.args();
    args.terminal = true;
    expect_pid(f.spawn(&args));
    f.start();
    assert_eq!(f.wait_exit(), 0);
    assert_eq!(f.wait_monitor_gone(), 0);
    let entries = f.log_entries(LogFormat::K8sFile);
    assert!(entries.iter().all(|e| e.stream == Stream::Stdout));
    let text: String = entries
        .iter()
        .map(|e| String::from_utf8_lossy(&e.text))
        .collect();
    assert_eq!(text.trim_end_matches('\r'), "/dev/pts/0");
    assert!(!f.persist_dir.join("console.sock").exists());
}

#[test]
fn terminal_resize_stdin_and_eof() {
    if !can_run() {
        return;
    }
    let script = "read line; busybox stty size; echo \"got $line\"; cat; echo end";
    let spec = Spec {
        terminal: true,
        ..Spec::new(&["sh", "-c", script])
    };
    let mut f = Fixture::new(&spec, false);
    let mut args = f.args();
    args.terminal = true;
    args.stdin = true;
    expect_pid(f.spawn(&args));
    let client = AttachClient::connect(&f.socket_dir).unwrap();
    client.resize(33, 101).unwrap();
    f.start();
    client.send_stdin(b"ping\n").unwrap();
    let out = read_until(&client, "got ping");
    assert!(out.contains("33 101"), "{out:?}");
    // VEOF ends `cat`; the script goes on and exits.
    client.close_stdin().unwrap();
    let (rest, _) = read_until_eof(&client);
    assert!(String::from_utf8_lossy(&rest).contains("end"), "{rest:?}");
    assert_eq!(f.wait_exit(), 0);
}

#[test]
fn monitor_is_detached() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(&Spec::new(&["sleep", "30"]), false);
    expect_pid(f.spawn(&f.args()));
    let pid = f.monitor_pid();
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let ppid: i32 = stat_field(&stat, 1).parse().unwrap();
    let session: i32 = stat_field(&stat, 3).parse().unwrap();
    let own_session = nix::unistd::getsid(None).unwrap().as_raw();
    // Its parent exited: it was reparented to the test process, which is
    // a subreaper (without one it would be init's).
    assert_eq!(ppid, std::process::id() as i32);
    assert_ne!(Some(ppid), f.spawned_pid);
    assert_ne!(session, own_session);
    // Not a session leader (double fork), so it can never get a terminal.
    assert_ne!(session, pid);
    for fd in 0..=2 {
        let target = fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        assert_eq!(target, std::path::Path::new("/dev/null"));
    }
    assert_eq!(
        fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        f.persist_dir
    );
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let threads = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    assert_eq!(threads.split_whitespace().nth(1), Some("1"));

    f.start();
    f.runc(&["kill", &f.cid, "KILL"]);
    assert_eq!(f.wait_exit(), 137);
    assert_eq!(f.wait_monitor_gone(), 0);
}

#[test]
fn create_failure_reports_runtime_log_error() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(&Spec::new(&["/no-such-command"]), false);
    let mut args = f.args();
    let runtime_log = f.persist_dir.join("runtime.log");
    args.runtime_args.extend([
        "--log".into(),
        runtime_log.clone().into(),
        "--log-format".into(),
        "json".into(),
    ]);
    match f.spawn(&args) {
        SyncMessage::Error(e) => assert!(e.contains("no-such-command"), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(runtime_log.exists());
    assert_eq!(f.wait_monitor_gone(), 1);
    assert!(!f.exit_dir.join(&f.cid).exists());
    assert!(f.monitor_log().contains("no-such-command"));
}

#[test]
fn create_failure_reports_runtime_stderr() {
    if !can_run() {
        return;
    }
    for terminal in [false, true] {
        let spec = Spec {
            terminal,
            ..Spec::new(&["/no-such-command"])
        };
        let mut f = Fixture::new(&spec, false);
        let mut args = f.args();
        args.terminal = terminal;
        match f.spawn(&args) {
            SyncMessage::Error(e) => assert!(e.contains("no-such-command"), "{e}"),
            other => panic!("expected an error, got {other:?}"),
        }
        assert_eq!(f.wait_monitor_gone(), 1);
        assert!(!f.exit_dir.join(&f.cid).exists());
    }
}

#[test]
fn log_max_size_truncates() {
    if !can_run() {
        return;
    }
    let script = "i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done";
    let mut f = Fixture::new(&Spec::new(&["sh", "-c", script]), false);
    let mut args = f.args();
    args.log_max_size = 4096;
    expect_pid(f.spawn(&args));
    f.start();
    assert_eq!(f.wait_exit(), 0);
    assert_eq!(f.wait_monitor_gone(), 0);
    let entries = f.log_entries(LogFormat::K8sFile);
    let last = entries.last().expect("some log left");
    assert_eq!(last.text, b"line 299");
    // 300 lines of ~50 bytes would be ~15 KB; older ones were dropped.
    assert!(entries.len() < 300);
    assert!(!entries.iter().any(|e| e.text == b"line 0"));
}

#[test]
fn oom_kill_creates_oom_file() {
    if !can_run() {
        return;
    }
    let spec = Spec {
        memory_limit: Some(32 * 1024 * 1024),
        ..Spec::new(&[
            "sh",
            "-c",
            "x=0123456789abcdef; while true; do x=$x$x; done",
        ])
    };
    let mut f = Fixture::new(&spec, false);
    match f.spawn(&f.args()) {
        SyncMessage::Pid(_) => {}
        SyncMessage::Error(e) => {
            eprintln!("skipping: memory limits unavailable here: {e}");
            return;
        }
    }
    f.start();
    assert_eq!(f.wait_exit(), 137);
    assert!(f.persist_dir.join(OOM_FILE).exists(), "{}", f.monitor_log());
}

#[test]
fn rss_of_idle_monitor() {
    if !can_run() {
        return;
    }
    let mut f = Fixture::new(&Spec::new(&["sleep", "30"]), false);
    expect_pid(f.spawn(&f.args()));
    f.start();
    // Let it settle into its poll loop.
    let deadline = Instant::now() + Duration::from_millis(300);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = fs::read_to_string(format!("/proc/{}/status", f.monitor_pid())).unwrap();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: unknown");
    println!(
        "rpod-monitor ({}) idle {rss}",
        common::monitor_bin().display()
    );
    f.runc(&["kill", &f.cid, "KILL"]);
    assert_eq!(f.wait_exit(), 137);
}

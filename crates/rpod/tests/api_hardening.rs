//! The service holds its ground against hostile or sloppy clients: a
//! panicking handler is a 500 for that request alone; thousands of idle
//! connections neither exhaust it nor its memory; a half-sent request or
//! an idle kept-alive connection is closed; a huge JSON body is decoded in
//! memory proportional to its size; the socket never appears with another
//! mode than 0660.

mod api_support;
mod common;

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use api_support::*;
use common::*;

const JSON: &str = "application/json";

/// Starts `rpod system service` on `<tmp>/api.sock` with extra environment
/// variables.
fn start_service_env(e: &Engine, env: &[(&str, &str)]) -> Service {
    let socket = e.file("api.sock");
    let uri = format!("unix://{}", socket.display());
    let stderr = e.file("service.log");
    let mut cmd = e.cmd(&["system", "service", &uri, "--time", "0"]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr).expect("service log"));
    for (k, v) in env {
        cmd.env(k, v);
    }
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

fn pid(svc: &Service) -> i32 {
    svc.child.id() as i32
}

/// A `VmRSS`/`VmHWM` figure of the service, in KiB.
fn mem_kib(svc: &Service, field: &str) -> u64 {
    let v = proc_status_field(pid(svc), field).unwrap_or_else(|| panic!("no {field}"));
    v.trim_end_matches("kB")
        .trim()
        .parse()
        .expect("a number of kB")
}

fn open_fds(svc: &Service) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", pid(svc)))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn ping(sock: &Path) {
    let (status, _, body) = http(sock, "GET", "/_ping", JSON, None);
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&body), "OK");
}

/// Whether the server has closed this connection (EOF or reset), without
/// waiting.
fn closed_by_server(s: &UnixStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    let mut reader = s;
    let closed = match reader.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    };
    s.set_nonblocking(false).unwrap();
    closed
}

/// Reads until the server closes the connection; returns what came and how
/// long it took. Fails the test if it stays open for `limit`.
fn wait_closed(s: &mut UnixStream, limit: Duration) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, start.elapsed()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (got, start.elapsed()),
            Err(e) => panic!(
                "the connection is still open after {:?} ({e}); got {:?}",
                start.elapsed(),
                String::from_utf8_lossy(&got)
            ),
        }
        assert!(start.elapsed() < limit, "still open after {limit:?}");
    }
}

/// Raises this process's soft limit on open files to at least `want` (up
/// to the hard limit); returns the soft limit now.
fn raise_nofile(want: u64) -> u64 {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a valid struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl), 0);
        if rl.rlim_cur < want {
            rl.rlim_cur = want.min(rl.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &rl), 0);
        }
    }
    rl.rlim_cur
}

#[test]
fn a_panicking_handler_is_a_500_and_the_service_goes_on() {
    let e = Engine::new();
    let svc = start_service_env(&e, &[("RPOD_TEST_PANIC_ROUTE", "1")]);
    let sock = &svc.socket;
    for round in 0..3 {
        let (status, head, body) = http(sock, "GET", "/_rpod_test/panic", JSON, None);
        assert_eq!(status, 500, "round {round}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        let msg = message(&body);
        assert!(msg.starts_with("internal error: "), "{msg}");
        assert!(msg.contains("deliberate panic"), "{msg}");
        // Under a version prefix and on a blocking thread too.
        let (status, _, body) = http(
            sock,
            "GET",
            "/v1.44/_rpod_test/panic?blocking=1",
            JSON,
            None,
        );
        assert_eq!(status, 500);
        assert!(message(&body).contains("deliberate panic"));
        ping(sock);
    }
    assert!(pid_alive(pid(&svc)));
    let (status, _, _) = http(sock, "GET", "/containers/json", JSON, None);
    assert_eq!(status, 200);
    drop(svc);

    // Without the variable there is no such route.
    let svc = Service::start(&e);
    let (status, _, _) = http(&svc.socket, "GET", "/_rpod_test/panic", JSON, None);
    assert_eq!(status, 404);
    ping(&svc.socket);
}

#[test]
fn thousands_of_idle_connections_are_bounded() {
    const CONNECTIONS: usize = 3000;
    const MAX: usize = 1024;
    let soft = raise_nofile(CONNECTIONS as u64 + 256);
    assert!(
        soft >= CONNECTIONS as u64 + 64,
        "the hard limit on open files ({soft}) is too low for this test"
    );
    let e = Engine::new();
    let svc = Service::start(&e);
    let rss_before = mem_kib(&svc, "VmRSS");
    let mut conns = Vec::with_capacity(CONNECTIONS);
    for i in 0..CONNECTIONS {
        let s =
            UnixStream::connect(&svc.socket).unwrap_or_else(|err| panic!("connection {i}: {err}"));
        conns.push(s);
    }
    // The service still answers, at once.
    let start = Instant::now();
    ping(&svc.socket);
    assert!(start.elapsed() < Duration::from_secs(10));
    // It keeps at most MAX of them: the idle ones that never sent a
    // request are closed to make room for new ones.
    wait_until(
        "the server to close the connections over its cap",
        POLL_TIMEOUT,
        || conns.iter().filter(|s| closed_by_server(s)).count() >= CONNECTIONS - MAX,
    );
    let fds = open_fds(&svc);
    assert!(fds <= MAX + 64, "the service has {fds} open files");
    let rss = mem_kib(&svc, "VmRSS");
    let hwm = mem_kib(&svc, "VmHWM");
    eprintln!(
        "{CONNECTIONS} idle connections: VmRSS {rss_before} -> {rss} kB, VmHWM {hwm} kB, {fds} fds"
    );
    assert!(hwm < 200 * 1024, "VmHWM {hwm} kB");
    // The newest connections are still served.
    let last = conns.last_mut().unwrap();
    last.write_all(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
        .unwrap();
    let (got, _) = wait_closed(last, COMMAND_TIMEOUT);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.0 200") && text.ends_with("OK"),
        "{text}"
    );
    drop(conns);
    ping(&svc.socket);
    assert!(pid_alive(pid(&svc)));
}

#[test]
fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let e = Engine::new();
    let svc = start_service_env(&e, &[("RPOD_API_HEADER_TIMEOUT_MS", "1000")]);
    let mut slow = UnixStream::connect(&svc.socket).unwrap();
    slow.write_all(b"GET /_pi").unwrap();
    // Others are served meanwhile.
    ping(&svc.socket);
    let (got, took) = wait_closed(&mut slow, Duration::from_secs(30));
    eprintln!("half a request line: closed after {took:?}");
    assert!(
        !String::from_utf8_lossy(&got).contains(" 200 "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    // A connection that sends nothing at all is closed too.
    let mut silent = UnixStream::connect(&svc.socket).unwrap();
    let (got, _) = wait_closed(&mut silent, Duration::from_secs(30));
    assert!(got.is_empty());
    ping(&svc.socket);
}

#[test]
fn an_idle_kept_alive_connection_is_closed_but_a_stream_is_not() {
    let e = Engine::new();
    let svc = start_service_env(
        &e,
        &[
            ("RPOD_API_HEADER_TIMEOUT_MS", "0"),
            ("RPOD_API_IDLE_CONN_TIMEOUT_MS", "1000"),
        ],
    );
    let mut s = UnixStream::connect(&svc.socket).unwrap();
    s.write_all(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(COMMAND_TIMEOUT)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"\r\n\r\nOK") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the answer");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
    // Kept alive, then closed once idle.
    let (rest, took) = wait_closed(&mut s, Duration::from_secs(30));
    assert!(rest.is_empty());
    eprintln!("idle kept-alive connection: closed after {took:?}");

    // A request in flight (an event stream) keeps its connection open.
    let mut events = UnixStream::connect(&svc.socket).unwrap();
    events
        .write_all(b"GET /events HTTP/1.1\r\nHost: d\r\n\r\n")
        .unwrap();
    events.set_read_timeout(Some(COMMAND_TIMEOUT)).unwrap();
    let n = events.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    std::thread::sleep(Duration::from_secs(3));
    assert!(!closed_by_server(&events), "the event stream was cut");
    ping(&svc.socket);
}

/// A ~50 MB create body of `entries` values of `len` bytes each.
fn big_create_body(field: &str, entries: usize, len: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(entries * (len + 4) + 64);
    body.extend_from_slice(b"{\"Image\":\"no-such-image-rpod\",\"HostConfig\":null,\"");
    body.extend_from_slice(field.as_bytes());
    body.extend_from_slice(b"\":[");
    for i in 0..entries {
        if i > 0 {
            body.push(b',');
        }
        if len == 0 {
            body.push(b'1');
        } else {
            body.push(b'"');
            let head = format!("K{i:08}=");
            body.extend_from_slice(head.as_bytes());
            body.resize(body.len() + len.saturating_sub(head.len()), b'v');
            body.push(b'"');
        }
    }
    body.extend_from_slice(b"]}");
    body
}

#[test]
fn a_huge_json_body_is_decoded_in_bounded_memory() {
    let e = Engine::new();
    let svc = Service::start(&e);
    let sock = &svc.socket;
    let base = mem_kib(&svc, "VmHWM");

    // 50 MB of environment entries the request really holds: decoded (the
    // image is missing, which is found afterwards).
    let body = big_create_body("Env", 200_000, 250);
    let size_kib = body.len() as u64 / 1024;
    let (status, _, resp) = http(sock, "POST", "/containers/create", JSON, Some(&body));
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&resp));
    assert!(message(&resp).contains("no-such-image-rpod"));
    drop(body);
    let after_env = mem_kib(&svc, "VmHWM");

    // 50 MB of tiny values (which cost tens of bytes each once decoded),
    // in a member the request does not know and in one it does.
    for field in ["Unknown", "Env"] {
        let body = big_create_body(field, 25_000_000, 0);
        let (status, _, resp) = http(sock, "POST", "/containers/create", JSON, Some(&body));
        assert_eq!(status, 413, "{field}: {}", String::from_utf8_lossy(&resp));
        assert!(message(&resp).contains("values"), "{}", message(&resp));
        let (status, _, resp) = http(
            sock,
            "POST",
            "/v4.0.0/libpod/containers/create",
            JSON,
            Some(&body),
        );
        assert_eq!(status, 413, "{}", String::from_utf8_lossy(&resp));
    }
    let hwm = mem_kib(&svc, "VmHWM");
    eprintln!(
        "{size_kib} KiB JSON bodies: VmHWM {base} kB at start, {after_env} kB after the \
         environment body, {hwm} kB at the end"
    );
    assert!(
        hwm < 6 * size_kib,
        "VmHWM {hwm} kB for a {size_kib} KiB body"
    );
    assert!(e.all_ids().is_empty());
    ping(sock);
}

#[test]
fn the_socket_has_its_final_mode_as_soon_as_it_appears() {
    let e = Engine::new();
    let socket = e.file("api.sock");
    // A stale socket (nothing listens) is replaced.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    for round in 0..10 {
        if round > 0 {
            assert!(!socket.exists());
        }
        let mut cmd = e.cmd(&[
            "system",
            "service",
            &format!("unix://{}", socket.display()),
            "--time",
            "0",
        ]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let stale = round == 0;
        let child = cmd.spawn().unwrap();
        let mut svc = Service {
            child,
            socket: socket.clone(),
            stderr: e.file("service.log"),
        };
        let start = Instant::now();
        let meta = loop {
            // The stale socket of round 0 is a socket too, but has another
            // inode; wait for the new one.
            if !stale || UnixStream::connect(&socket).is_ok() {
                if let Ok(m) = std::fs::symlink_metadata(&socket) {
                    break m;
                }
            }
            assert!(start.elapsed() < POLL_TIMEOUT, "no socket at {socket:?}");
            std::hint::spin_loop();
        };
        assert!(meta.file_type().is_socket());
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o660,
            "round {round}: mode {:o}",
            meta.permissions().mode()
        );
        assert_eq!((meta.uid(), meta.gid()), (0, 0));
        wait_until("the API socket", POLL_TIMEOUT, || {
            UnixStream::connect(&socket).is_ok()
        });
        ping(&socket);
        svc.stop();
        drop(svc);
    }
    // A path near the length limit of unix sockets (its staging path is
    // over it), and one over it, refused.
    let base = e.path().display().to_string().len();
    let long_dir = e.file(&"d".repeat(104 - base - 1 - "/s.sock".len()));
    std::fs::create_dir_all(&long_dir).unwrap();
    let long = long_dir.join("s.sock");
    assert_eq!(long.as_os_str().len(), 104);
    let mut cmd = e.cmd(&[
        "system",
        "service",
        &format!("unix://{}", long.display()),
        "--time",
        "0",
    ]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut svc = Service {
        child: cmd.spawn().unwrap(),
        socket: long.clone(),
        stderr: e.file("service.log"),
    };
    wait_until("the API socket", POLL_TIMEOUT, || {
        UnixStream::connect(&long).is_ok()
    });
    let meta = std::fs::symlink_metadata(&long).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    ping(&long);
    svc.stop();
    drop(svc);
    assert_eq!(std::fs::read_dir(&long_dir).unwrap().count(), 0);
    let too_long = long_dir.join("a-longer-name.sock");
    let out = e.rpod(&[
        "system",
        "service",
        &format!("unix://{}", too_long.display()),
        "--time",
        "0",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("longer than 107 bytes"),
        "{}",
        describe(&out)
    );
    assert!(!too_long.exists());

    // Nothing is left of the staging directories.
    let leftovers: Vec<_> = std::fs::read_dir(e.path())
        .unwrap()
        .filter_map(|d| d.ok())
        .map(|d| d.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".rpod-api-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn cors_headers_are_podmans() {
    let e = Engine::with_image();
    let origin = "https://a.example";
    let mut ours = Service::start_with(&e, &["--cors", origin]);
    let podman_sock = e.file("podman.sock");
    let mut theirs = KillOnDrop(
        Podman::new(&e)
            .cmd(&[
                "system",
                "service",
                "--cors",
                origin,
                "--time",
                "0",
                &format!("unix://{}", podman_sock.display()),
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until("podman's socket", POLL_TIMEOUT, || {
        std::os::unix::net::UnixStream::connect(&podman_sock).is_ok()
    });
    let cors = |sock: &std::path::Path| -> Vec<(String, String)> {
        let (status, head, _) = http(sock, "GET", "/_ping", "", None);
        assert_eq!(status, 200);
        let mut h: Vec<(String, String)> = head
            .lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .filter(|(k, _)| k.starts_with("access-control-"))
            .collect();
        h.sort();
        h
    };
    let want = cors(&podman_sock);
    assert_eq!(want.len(), 3, "{want:?}");
    assert_eq!(cors(&ours.socket), want);
    ours.stop();
    kill_pid(theirs.0.id() as i32, libc::SIGKILL);
    let _ = theirs.0.wait();
}

/// SIGTERM ends the service also while a client follows `/events` (a
/// stream that never ends by itself): the socket file goes and the process
/// exits.
#[test]
fn sigterm_ends_the_service_while_an_events_stream_is_open() {
    let e = Engine::new();
    let mut svc = Service::start(&e);
    let mut follower = UnixStream::connect(&svc.socket).unwrap();
    follower
        .write_all(b"GET /events HTTP/1.1\r\nHost: d\r\n\r\n")
        .unwrap();
    follower
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = [0u8; 12];
    follower.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "the stream is open");
    // The follower stays connected while the service is told to stop.
    svc.stop();
    assert!(
        svc.child.try_wait().unwrap().is_some(),
        "the service exited"
    );
    assert!(!svc.socket.exists(), "its socket file is removed");
    drop(follower);
}

/// BuildKit's `/session` is a clear 501 naming the classic builder, as the
/// Docker API issue asks (a Docker engine without BuildKit refuses it too).
#[test]
fn a_buildkit_session_is_refused_with_the_way_out() {
    let e = Engine::new();
    let svc = Service::start(&e);
    let (status, _, body) = http(&svc.socket, "POST", "/v1.44/session", "", None);
    let text = String::from_utf8_lossy(&body);
    assert_eq!(status, 501, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("a JSON error");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("BuildKit") && m.contains("DOCKER_BUILDKIT=0")),
        "{text}"
    );
}

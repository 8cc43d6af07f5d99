//! The REST API service (`rpod system service`) driven by real clients: the
//! docker CLI, docker-py, and raw HTTP over the unix socket.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::*;

/// A running `rpod system service`, killed (by PID) when dropped.
struct Service {
    child: Child,
    socket: PathBuf,
}

impl Service {
    fn start(e: &Engine) -> Service {
        let socket = e.file("api.sock");
        let uri = format!("unix://{}", socket.display());
        let mut cmd = e.cmd(&["system", "service", &uri, "--time", "0"]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("spawning rpod system service");
        let svc = Service { child, socket };
        wait_until("the API socket", POLL_TIMEOUT, || {
            UnixStream::connect(&svc.socket).is_ok()
        });
        svc
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The docker CLI against this service.
    fn docker(&self, e: &Engine, args: &[&str]) -> Output {
        let mut c = Command::new("docker");
        c.args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", e.file("docker-config"))
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT");
        run_with_timeout(c, None, COMMAND_TIMEOUT)
    }

    fn docker_ok(&self, e: &Engine, args: &[&str]) -> String {
        let out = self.docker(e, args);
        assert!(
            out.status.success(),
            "docker {args:?} failed\n{}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn stop(&mut self) {
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
    }
}

fn have(bin: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {bin}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A raw HTTP/1.0 request (the server closes after the response, so no
/// chunked decoding is needed): (status, headers, body).
fn http(sock: &Path, method: &str, path: &str, body: Option<&[u8]>) -> (u16, String, Vec<u8>) {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(COMMAND_TIMEOUT)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: d\r\n");
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
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

fn message(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "error body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(body)
        )
    });
    v["message"].as_str().expect("message field").to_string()
}

#[test]
fn docker_cli_lifecycle() {
    if !have("docker") {
        panic!("a test client is missing (no docker CLI): .ci/run installs it");
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);

    let v = svc.docker_ok(&e, &["version", "--format", "{{.Server.APIVersion}}"]);
    assert_eq!(v, "1.44");
    let info = svc.docker_ok(&e, &["info", "--format", "{{.Images}} {{.OSType}}"]);
    assert_eq!(info, "1 linux");
    assert!(svc.docker_ok(&e, &["images"]).contains("busybox"));

    // Foreground run: output and exit codes pass through; --rm removes.
    assert_eq!(
        svc.docker_ok(&e, &["run", "--rm", "busybox", "echo", "hi"]),
        "hi"
    );
    let out = svc.docker(
        &e,
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "out");
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), "err");
    assert_eq!(e.ok(&["ps", "-a", "-q"]), "");

    // Detached, visible to rpod and docker alike.
    let id = svc.docker_ok(
        &e,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "busybox",
            "sh",
            "-c",
            "echo started; exec sleep 1000",
        ],
    );
    assert_eq!(id.len(), 64);
    assert!(e.ok(&["ps"]).contains("web"));
    assert!(svc.docker_ok(&e, &["ps"]).contains("web"));
    wait_until("web's log", POLL_TIMEOUT, || {
        svc.docker_ok(&e, &["logs", "web"]).contains("started")
    });
    let inspected = svc.docker_ok(
        &e,
        &[
            "inspect",
            "--format",
            "{{.State.Status}} {{.Name}} {{.Config.Image}}",
            "web",
        ],
    );
    assert!(inspected.starts_with("running /web "), "{inspected}");
    assert!(inspected.ends_with("busybox:latest"), "{inspected}");

    // exec: output and exit code.
    assert_eq!(
        svc.docker_ok(&e, &["exec", "web", "echo", "inside"]),
        "inside"
    );
    let out = svc.docker(&e, &["exec", "web", "sh", "-c", "exit 4"]);
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));

    let top = svc.docker_ok(&e, &["top", "web"]);
    assert!(top.contains("sleep 1000"), "{top}");

    svc.docker_ok(&e, &["pause", "web"]);
    assert_eq!(e.status("web"), "paused");
    svc.docker_ok(&e, &["unpause", "web"]);
    assert_eq!(e.status("web"), "running");

    svc.docker_ok(&e, &["rename", "web", "web2"]);
    assert!(e.exists("web2"));
    svc.docker_ok(&e, &["stop", "-t", "1", "web2"]);
    assert_eq!(svc.docker_ok(&e, &["wait", "web2"]), "137");
    svc.docker_ok(&e, &["rm", "-f", "web2"]);
    assert!(!e.exists("web2"));

    // logs -f ends when the container exits; created by rpod, read by docker.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "counter",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3; do echo line$i; sleep 0.2; done",
    ]);
    let logs = svc.docker_ok(&e, &["logs", "-f", "counter"]);
    assert_eq!(logs, "line1\nline2\nline3");
    svc.docker_ok(&e, &["rm", "-f", "counter"]);

    // A running container survives the service.
    svc.docker_ok(
        &e,
        &["run", "-d", "--name", "keeper", "busybox", "sleep", "1000"],
    );
    let mut svc = svc;
    svc.stop();
    assert_eq!(e.status("keeper"), "running");
    assert!(!svc.socket.exists(), "socket removed on exit");
}

#[test]
fn docker_py_client() {
    let has_py = Command::new("python3")
        .args(["-c", "import docker"])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_py {
        panic!("a test client is missing (no docker-py): .ci/run installs it");
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let script = r#"
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
out = c.containers.run("busybox", "echo hi", remove=True)
assert out == b"hi\n", out
ctr = c.containers.run("busybox", ["sh", "-c", "echo ready; sleep 1000"], detach=True, name="py")
names = [x.name for x in c.containers.list(all=True)]
assert "py" in names, names
import time
for _ in range(200):
    if b"ready" in ctr.logs():
        break
    time.sleep(0.05)
assert ctr.logs() == b"ready\n", ctr.logs()
code, output = ctr.exec_run("sh -c 'echo ex; exit 2'")
assert (code, output) == (2, b"ex\n"), (code, output)
tags = [t for i in c.images.list() for t in i.tags]
assert any("busybox" in t for t in tags), tags
ctr.remove(force=True)
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host()]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn http_errors_and_headers() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let sock = svc.socket.clone();

    let (status, head, body) = http(&sock, "GET", "/_ping", None);
    assert_eq!(status, 200);
    assert_eq!(body, b"OK");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("api-version: 1.44"), "{head}");
    assert!(lower.contains("ostype: linux"), "{head}");
    assert!(lower.contains("docker-experimental: false"), "{head}");

    let (status, _, body) = http(&sock, "GET", "/v1.41/containers/nope/json", None);
    assert_eq!(status, 404);
    assert!(message(&body).contains("nope"));

    let (status, _, body) = http(
        &sock,
        "POST",
        "/v1.44/containers/create",
        Some(b"{not json"),
    );
    assert_eq!(status, 400);
    assert!(message(&body).contains("JSON"));

    let create = br#"{"Image":"busybox","Cmd":["true"]}"#;
    let (status, _, body) = http(&sock, "POST", "/containers/create?name=dup", Some(create));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = http(&sock, "POST", "/containers/create?name=dup", Some(create));
    assert_eq!(status, 409);
    assert!(message(&body).contains("dup"));
    assert!(e.exists("dup"));

    // Removing a running container without force is a conflict.
    e.sleeper("busy");
    let (status, _, body) = http(&sock, "DELETE", "/containers/busy", None);
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));

    // Bodies above the limit are refused without reading them all.
    let mut s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(COMMAND_TIMEOUT)).unwrap();
    let len = 65 << 20;
    let head = format!(
        "POST /containers/create HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..65 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.0 413") || text.starts_with("HTTP/1.1 413"),
        "{text}"
    );

    let (status, _, _) = http(&sock, "GET", "/v1.99/info", None);
    assert_eq!(status, 400);
    let (status, _, body) = http(&sock, "POST", "/libpod/manifests/create", Some(b"{}"));
    assert_eq!(status, 501);
    assert!(message(&body).contains("not implemented"));
    let (status, _, body) = http(&sock, "GET", "/images/get", None);
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = http(&sock, "POST", "/v4.0.0/libpod/play/kube", Some(b"{}"));
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("no kind"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = http(&sock, "GET", "/no/such/route", None);
    assert_eq!(status, 404);

    // Built-in networks and no volumes.
    let (status, _, body) = http(&sock, "GET", "/networks", None);
    assert_eq!(status, 200);
    let nets: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(nets.as_array().map(|a| a.len()), Some(3));

    // libpod API.
    let (status, _, _) = http(&sock, "GET", "/v4.0.0/libpod/_ping", None);
    assert_eq!(status, 200);
    let (status, _, body) = http(
        &sock,
        "GET",
        "/v4.0.0/libpod/containers/json?all=true",
        None,
    );
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list.as_array().map(|a| a.len()), Some(2), "{list}");
    let (status, _, _) = http(&sock, "GET", "/v4.0.0/libpod/containers/busy/exists", None);
    assert_eq!(status, 204);
    let (status, _, _) = http(&sock, "GET", "/v4.0.0/libpod/containers/gone/exists", None);
    assert_eq!(status, 404);
    let (status, _, _) = http(
        &sock,
        "GET",
        "/v4.0.0/libpod/images/localhost/busybox/exists",
        None,
    );
    assert_eq!(status, 204);
}

#[test]
fn logs_stream_framing() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    e.ok(&[
        "run",
        "--name",
        "mixed",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    let (status, head, body) = http(
        &svc.socket,
        "GET",
        "/containers/mixed/logs?stdout=1&stderr=1",
        None,
    );
    assert_eq!(status, 200);
    assert!(
        head.contains("application/vnd.docker.multiplexed-stream"),
        "{head}"
    );
    let mut frames = Vec::new();
    let mut rest = &body[..];
    while rest.len() >= 8 {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        assert_eq!(&rest[1..4], &[0, 0, 0]);
        frames.push((
            rest[0],
            String::from_utf8_lossy(&rest[8..8 + len]).into_owned(),
        ));
        rest = &rest[8 + len..];
    }
    assert!(rest.is_empty());
    assert!(frames.contains(&(1, "out\n".to_string())), "{frames:?}");
    assert!(frames.contains(&(2, "err\n".to_string())), "{frames:?}");
    let (status, _, body) = http(&svc.socket, "GET", "/containers/mixed/logs?stdout=1", None);
    assert_eq!(status, 200);
    assert_eq!(&body[..8], &[1, 0, 0, 0, 0, 0, 0, 4]);
    assert_eq!(body.len(), 12);
}

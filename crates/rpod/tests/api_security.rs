//! The service's defences: socket ownership and mode (and `--group`),
//! refusal of malformed or mistyped JSON, and hostile uploads (archive put
//! with `../` entries, image load of a hostile tar) answered with 400 and
//! without any change.

mod api_support;
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use api_support::*;
use common::*;

const JSON: &str = "application/json";

#[test]
fn socket_mode_owner_and_group_flag() {
    let e = Engine::new();
    let svc = Service::start(&e);
    let meta = std::fs::metadata(&svc.socket).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert_eq!((meta.uid(), meta.gid()), (0, 0));
    drop(svc);

    let svc = Service::start_with(&e, &["--group", "4321"]);
    let meta = std::fs::metadata(&svc.socket).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert_eq!((meta.uid(), meta.gid()), (0, 4321));
    drop(svc);

    // An unknown group name is refused before anything listens.
    let out = e.rpod(&[
        "system",
        "service",
        &format!("unix://{}", e.file("other.sock").display()),
        "--group",
        "no-such-group-rpod",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-group-rpod"));
    assert!(!e.file("other.sock").exists());

    // TCP only when asked, on loopback without a warning.
    let port = free_port();
    let mut cmd = e.cmd(&[
        "system",
        "service",
        &format!("tcp://127.0.0.1:{port}"),
        "--time",
        "0",
    ]);
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(e.file("tcp.log")).unwrap());
    let mut child = cmd.spawn().unwrap();
    let page = wait_for("the TCP listener", POLL_TIMEOUT, || {
        http_get_tcp(port, "/_ping")
    });
    assert!(
        page.starts_with("HTTP/1.") && page.ends_with("OK"),
        "{page}"
    );
    kill_pid(child.id() as i32, libc::SIGTERM);
    wait_child(&mut child, COMMAND_TIMEOUT);
    let log = std::fs::read_to_string(e.file("tcp.log")).unwrap_or_default();
    assert!(!log.contains("warning"), "{log}");
}

#[test]
fn bad_json_and_wrong_types_are_400() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let sock = &svc.socket;
    let cases: &[(&str, &[u8], &str)] = &[
        ("/containers/create", b"{\"Image\": ", "JSON"),
        ("/containers/create", br#"{"Image": 5}"#, "invalid type"),
        (
            "/containers/create",
            br#"{"Image":"busybox","HostConfig":{"Memory":"lots"}}"#,
            "invalid type",
        ),
        (
            "/containers/create",
            br#"{"Image":"busybox","Cmd":[1,2]}"#,
            "JSON",
        ),
        ("/networks/create", br#"{"Name": 7}"#, "invalid type"),
        ("/volumes/create", br#"{"Name": ["x"]}"#, "invalid type"),
        (
            "/v4.0.0/libpod/containers/create",
            br#"{"image":"busybox","command":"echo"}"#,
            "invalid type",
        ),
        (
            "/v4.0.0/libpod/pods/create",
            br#"{"name": false}"#,
            "invalid type",
        ),
    ];
    for (path, body, want) in cases {
        let (status, _, resp) = http(sock, "POST", path, JSON, Some(body));
        assert_eq!(status, 400, "{path} {}", String::from_utf8_lossy(&resp));
        let msg = message(&resp);
        assert!(msg.contains(want), "{path}: {msg}");
    }
    assert!(e.all_ids().is_empty());
    assert_eq!(e.ok(&["volume", "ls", "-q"]), "");
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
    let nets = e.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(nets, "rpod");
    // The server is still there.
    let (status, _, _) = http(sock, "GET", "/_ping", JSON, None);
    assert_eq!(status, 200);
}

#[test]
fn hostile_archive_put_and_image_load_change_nothing() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let sock = &svc.socket;
    e.ok(&["create", "--name", "box", "busybox", "true"]);

    let hostile = tar_with_files(&[("good.txt", b"fine\n"), ("../../escape.txt", b"evil\n")]);
    let ctype = "application/x-tar";
    let (status, _, body) = http(
        sock,
        "PUT",
        "/containers/box/archive?path=/tmp",
        ctype,
        Some(&hostile),
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(message(&body).contains("unsafe"), "{}", message(&body));
    let (status, _, _) = http(
        sock,
        "HEAD",
        "/containers/box/archive?path=/tmp/good.txt",
        ctype,
        None,
    );
    assert_eq!(status, 404);
    let (status, _, body) = http(sock, "GET", "/containers/box/changes", JSON, None);
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&body), "[]");
    let (status, _, body) = http(
        sock,
        "PUT",
        "/containers/box/archive?path=/tmp",
        ctype,
        Some(b"this is not a tar archive at all, not even close......"),
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = http(
        sock,
        "PUT",
        "/containers/box/archive",
        ctype,
        Some(&hostile),
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    // A good archive still goes in.
    let good = tar_with_files(&[("good.txt", b"fine\n")]);
    let (status, _, body) = http(
        sock,
        "PUT",
        "/containers/box/archive?path=/tmp",
        ctype,
        Some(&good),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, head, _) = http(
        sock,
        "HEAD",
        "/containers/box/archive?path=/tmp/good.txt",
        ctype,
        None,
    );
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("x-docker-container-path-stat"),
        "{head}"
    );

    let images_before = e.ok(&["images", "-q", "--no-trunc"]);
    let evil = tar_with_files(&[
        (
            "manifest.json",
            b"[{\"Config\":\"c.json\",\"RepoTags\":[\"evil:1\"],\"Layers\":[\"l.tar\"]}]",
        ),
        ("../../../evil-image.txt", b"evil\n"),
    ]);
    // Refused as a Docker engine refuses an archive: an error record.
    for archive in [evil.as_slice(), b"garbage"] {
        let (status, _, body) = http(sock, "POST", "/images/load", ctype, Some(archive));
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, 200, "{text}");
        let record: serde_json::Value = serde_json::from_str(text.trim()).expect("one record");
        assert!(
            record["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{text}"
        );
        assert_eq!(record["errorDetail"]["message"], record["error"], "{text}");
    }
    assert_eq!(e.ok(&["images", "-q", "--no-trunc"]), images_before);
    for dir in [e.root(), e.runroot()] {
        let parent = dir.parent().unwrap().to_path_buf();
        assert!(!parent.join("evil-image.txt").exists());
        assert!(!parent.join("escape.txt").exists());
    }
    e.ok(&["rm", "box"]);
}

/// What the docker CLI sends for `--security-opt`, namespaces, devices,
/// sysctls and groups reaches the container (seccomp profiles travel as
/// JSON in the request).
#[test]
fn docker_cli_security_and_isolation_fields_take_effect() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let status = |flags: &[&str], cmd: &str| -> String {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(flags);
        args.extend(["busybox", "sh", "-c", cmd]);
        svc.docker_ok(&e, &args)
    };
    let field = |text: &str, name: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    let out = status(&[], "cat /proc/self/status");
    assert_eq!(field(&out, "Seccomp:"), "2");
    let out = status(
        &[
            "--security-opt",
            "no-new-privileges",
            "--security-opt",
            "seccomp=unconfined",
        ],
        "cat /proc/self/status",
    );
    assert_eq!(field(&out, "Seccomp:"), "0");
    assert_eq!(field(&out, "NoNewPrivs:"), "1");
    let profile = e.file("no-mkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", profile.display());
    let out = status(
        &["--security-opt", &opt],
        "mkdir /x 2>/dev/null && echo made || echo refused",
    );
    assert_eq!(out, "refused");

    let ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let out = status(&["--pid", "host"], "readlink /proc/self/ns/pid");
    assert_eq!(out, ns.to_string_lossy());
    let out = status(
        &[
            "--sysctl",
            "kernel.msgmax=4096",
            "--group-add",
            "27",
            "--oom-score-adj",
            "7",
            "--device",
            "/dev/fuse",
        ],
        "cat /proc/sys/kernel/msgmax /proc/self/oom_score_adj; id -G; stat -c %t:%T /dev/fuse",
    );
    assert_eq!(out, "4096\n7\n0 27\na:e5");

    // Refused values come back as errors naming the reason.
    let out = svc.docker(
        &e,
        &[
            "run",
            "--rm",
            "--sysctl",
            "vm.swappiness=1",
            "busybox",
            "true",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("vm.swappiness")
            && String::from_utf8_lossy(&out.stderr).contains("is not allowed")
    );
    let out = svc.docker(
        &e,
        &["run", "--rm", "--security-opt", "bogus", "busybox", "true"],
    );
    assert!(!out.status.success());
    // The engine's own checks, past the CLI's: a 400 naming the reason, nothing created.
    for (body, phrase) in [
        (
            r#"{"Image":"busybox","HostConfig":{"Sysctls":{"vm.swappiness":"1"}}}"#,
            "sysctl 'vm.swappiness' is not allowed",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{"SecurityOpt":["apparmor=foo"]}}"#,
            "Apparmor is not enabled",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{"Devices":[{"PathOnHost":"/dev/nonexistent"}]}}"#,
            "no such file or directory",
        ),
    ] {
        let (status, _, reply) = http(
            &svc.socket,
            "POST",
            "/v1.44/containers/create",
            JSON,
            Some(body.as_bytes()),
        );
        assert_eq!(status, 400, "{body}: {}", String::from_utf8_lossy(&reply));
        assert!(
            message(&reply).contains(phrase),
            "{body}: {}",
            message(&reply)
        );
    }
    assert!(e.all_ids().is_empty());

    // Inspect shows them as Docker names them.
    let id = svc.docker_ok(
        &e,
        &[
            "create",
            "--pid",
            "host",
            "--security-opt",
            "no-new-privileges",
            "busybox",
            "true",
        ],
    );
    let template = "{{.HostConfig.PidMode}} {{json .HostConfig.SecurityOpt}}";
    assert_eq!(
        svc.docker_ok(&e, &["inspect", "--format", template, &id]),
        r#"host ["no-new-privileges"]"#
    );
}

/// A create field rpod does not apply is named in `Warnings`, never
/// dropped in silence; the fields a default `docker run` sends give none.
#[test]
fn unapplied_create_fields_are_refused_by_name() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    // What the docker CLI sends for a plain create passes.
    let out = svc.docker(&e, &["create", "--network", "none", "busybox", "true"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("WARNING"),
        "{}",
        describe(&out)
    );
    let before = e.all_ids();
    let create = |body: &str| {
        let (status, _, reply) = http(
            &svc.socket,
            "POST",
            "/v1.44/containers/create",
            JSON,
            Some(body.as_bytes()),
        );
        let v: serde_json::Value = serde_json::from_slice(&reply).unwrap();
        (status, v)
    };
    // A field with no effect to give (CpuCount is for Windows) is refused
    // by name, and nothing is created.
    let (status, v) = create(
        r#"{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none","CpuCount":2}}"#,
    );
    assert_eq!(status, 400, "{v}");
    assert_eq!(
        v["message"],
        "HostConfig.CpuCount is not supported by rpod: the field is for Windows containers"
    );
    let (status, v) = create(r#"{"Image":"busybox","Cmd":["true"],"Bogus":{"a":1}}"#);
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["message"], "Bogus is not supported by rpod yet");
    assert_eq!(e.all_ids(), before);
    // Values meaning "not set" and applied fields pass, with no warning.
    let (status, v) = create(
        r#"{"Image":"busybox","Cmd":["true"],"Domainname":"example.org","AttachStdout":true,
        "HostConfig":{"NetworkMode":"none","CpuShares":512,"MemorySwappiness":-1,"Isolation":""}}"#,
    );
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["Warnings"], serde_json::json!([]));
    let id = v["Id"].as_str().unwrap();
    assert_eq!(e.inspect_fmt(id, "{{.HostConfig.CpuShares}}"), "512");
}

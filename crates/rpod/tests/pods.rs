//! Pods: an infra container holding shared namespaces, members that depend
//! on it, and the pod commands.

mod common;

use common::*;

#[test]
fn two_containers_in_a_pod_talk_over_localhost_and_share_a_hostname() {
    let e = Engine::with_image();
    let id = e.ok(&["pod", "create", "--name", "web", "--hostname", "podhost"]);
    assert_eq!(id.len(), 64);
    e.ok(&[
        "run",
        "-d",
        "--pod",
        "web",
        "--name",
        "srv",
        "busybox",
        "sh",
        "-c",
        "mkdir /w; echo pod-ok > /w/index.html; httpd -f -p 8080 -h /w",
    ]);
    let out = wait_for("the pod's web server", POLL_TIMEOUT, || {
        let o = e.rpod(&[
            "run",
            "--rm",
            "--pod",
            "web",
            "busybox",
            "sh",
            "-c",
            "hostname; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 8080 | tail -1",
        ]);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        text.contains("pod-ok").then_some(text)
    });
    assert!(out.starts_with("podhost"), "{out}");
    // The infra container started first and is a dependency of the members.
    let infra = e.ok(&["pod", "inspect", "web", "--format", "{{.InfraContainerID}}"]);
    assert_eq!(e.inspect_fmt(&infra, "{{.State.Status}}"), "running");
    assert_eq!(e.inspect("srv")["Dependencies"][0], infra.as_str());
    assert_eq!(
        e.ok(&[
            "pod",
            "ps",
            "--format",
            "{{.Name}} {{.Status}} {{.NumberOfContainers}}"
        ]),
        "web Running 2"
    );
    let (code, err) = e.fails(&[
        "run",
        "--rm",
        "--pod",
        "web",
        "--hostname",
        "x",
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("hostname"), "{err}");
}

#[test]
fn pod_lifecycle_commands_act_on_all_containers() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "p"]);
    e.ok(&[
        "create", "--pod", "p", "--name", "a", "busybox", "sleep", "300",
    ]);
    e.ok(&[
        "create", "--pod", "p", "--name", "b", "busybox", "sleep", "300",
    ]);
    assert_eq!(e.ok(&["pod", "ps", "--format", "{{.Status}}"]), "Created");
    e.ok(&["pod", "start", "p"]);
    assert_eq!(e.status("a"), "running");
    assert_eq!(e.status("b"), "running");
    e.ok(&["pod", "pause", "p"]);
    assert_eq!(e.status("a"), "paused");
    assert_eq!(e.ok(&["pod", "ps", "--format", "{{.Status}}"]), "Paused");
    e.ok(&["pod", "unpause", "p"]);
    let top = e.ok(&["pod", "top", "p"]);
    assert!(top.contains("sleep 300"), "{top}");
    e.ok(&["pod", "stop", "-t", "0", "p"]);
    assert_eq!(e.status("a"), "exited");
    assert_eq!(e.ok(&["pod", "ps", "--format", "{{.Status}}"]), "Exited");
    e.ok(&["pod", "restart", "-t", "0", "p"]);
    assert_eq!(e.status("b"), "running");
    e.ok(&["pod", "kill", "p"]);
    e.wait_status("a", "exited");
    e.ok(&["pod", "exists", "p"]);
    assert_eq!(e.fails(&["pod", "exists", "nope"]).0, 1);
    let events = e.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "type=pod",
        "--format",
        "{{.Status}}",
    ]);
    assert!(
        events.contains("create") && events.contains("stop"),
        "{events}"
    );
}

#[test]
fn removing_a_pod_removes_its_containers_and_refuses_running_ones() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "p"]);
    e.ok(&[
        "run", "-d", "--pod", "p", "--name", "m", "busybox", "sleep", "300",
    ]);
    let (code, err) = e.fails(&["pod", "rm", "p"]);
    assert_eq!(code, 125);
    assert!(err.contains("running"), "{err}");
    e.ok(&["pod", "rm", "-f", "-t", "0", "p"]);
    assert!(e.all_ids().is_empty());
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
    assert!(e.leftover_mounts().is_empty());
}

#[test]
fn run_pod_new_creates_the_pod_and_prune_removes_stopped_pods() {
    let e = Engine::with_image();
    let out = e.ok(&[
        "run",
        "--pod",
        "new:fresh",
        "--name",
        "x",
        "busybox",
        "echo",
        "in-pod",
    ]);
    assert_eq!(out, "in-pod");
    e.ok(&["pod", "exists", "fresh"]);
    e.ok(&["pod", "stop", "-t", "0", "fresh"]);
    let pruned = e.ok(&["pod", "prune", "-f"]);
    assert_eq!(pruned.lines().count(), 1, "{pruned}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn pods_share_pid_namespace_when_asked() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "p", "--share", "net,ipc,uts,pid"]);
    e.ok(&[
        "run", "-d", "--pod", "p", "--name", "s", "busybox", "sleep", "300",
    ]);
    let ps = e.ok(&["run", "--rm", "--pod", "p", "busybox", "ps", "-o", "args"]);
    assert!(ps.contains("sleep 300"), "{ps}");
    assert!(ps.contains("catatonit"), "{ps}");
    let (code, err) = e.fails(&["pod", "create", "--share", "bogus"]);
    assert_eq!(code, 125);
    assert!(err.contains("bogus"), "{err}");
}

#[test]
fn a_pod_without_infra_runs_containers_on_their_own() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "bare", "--infra=false"]);
    assert_eq!(
        e.ok(&[
            "pod",
            "inspect",
            "bare",
            "--format",
            "{{.InfraContainerID}}"
        ]),
        ""
    );
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--pod",
            "bare",
            "busybox",
            "echo",
            "ok"
        ]),
        "ok"
    );
}

#[test]
fn ports_published_on_the_pod_reach_its_containers_and_pod_stats_lists_them() {
    use std::io::{Read, Write};
    let e = Engine::with_image();
    let port = free_port();
    let publish = format!("{port}:8080");
    e.ok(&["pod", "create", "--name", "pp", "-p", &publish]);
    e.ok(&[
        "run",
        "-d",
        "--pod",
        "pp",
        "--name",
        "web",
        "busybox",
        "sh",
        "-c",
        "mkdir /w; echo from-the-pod > /w/index.html; httpd -f -p 8080 -h /w",
    ]);
    let body = wait_for("the pod's published port", POLL_TIMEOUT, || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .ok()?;
        s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.contains("from-the-pod").then_some(out)
    });
    assert!(body.starts_with("HTTP/1."), "{body}");
    let stats = e.ok(&["pod", "stats", "--no-stream", "--format", "{{.Name}}", "pp"]);
    assert!(stats.lines().any(|l| l == "web"), "{stats}");
    e.ok(&["pod", "rm", "-f", "-t", "0", "pp"]);
}

//! Podman's libpod API: `podman --remote` (Podman 4.3) and podman-py
//! against `rpod system service`.

mod api_support;
mod common;

use std::process::Command;

use api_support::*;
use common::*;

fn podman(svc: &Service, args: &[&str]) -> std::process::Output {
    let mut c = Command::new("podman");
    c.arg("--remote")
        .arg("--url")
        .arg(svc.host())
        .args(args)
        .env_remove("CONTAINER_HOST")
        .env_remove("CONTAINER_CONNECTION");
    run_with_timeout(c, None, COMMAND_TIMEOUT)
}

fn podman_ok(svc: &Service, args: &[&str]) -> String {
    let out = podman(svc, args);
    assert!(
        out.status.success(),
        "podman --remote {args:?}\n{}\nservice log:\n{}",
        describe(&out),
        svc.log()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn podman_remote_common_calls() {
    if !have("podman") {
        eprintln!("skipping: no podman");
        return;
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    assert!(podman_ok(&svc, &["images"]).contains("localhost/busybox"));
    assert_eq!(
        podman_ok(&svc, &["run", "--rm", "busybox", "echo", "hi"]),
        "hi"
    );
    let out = podman(&svc, &["run", "--rm", "busybox", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let id = podman_ok(
        &svc,
        &[
            "run",
            "-d",
            "--name",
            "pr",
            "busybox",
            "sh",
            "-c",
            "echo L1; exec sleep 1000",
        ],
    );
    assert_eq!(id.len(), 64);
    let ps = podman_ok(&svc, &["ps"]);
    assert!(ps.contains(" pr") && ps.contains("Up "), "{ps}");
    wait_until("the log line", POLL_TIMEOUT, || {
        podman_ok(&svc, &["logs", "pr"]).contains("L1")
    });
    podman_ok(&svc, &["stop", "-t", "1", "pr"]);
    assert_eq!(e.status("pr"), "exited");
    podman_ok(&svc, &["rm", "pr"]);
    assert!(!e.exists("pr"));

    let pod = unique("ppod");
    podman_ok(&svc, &["pod", "create", "--name", &pod]);
    assert!(podman_ok(&svc, &["pod", "ls"]).contains(&pod));
    podman_ok(&svc, &["pod", "rm", "-f", &pod]);
    assert!(!podman_ok(&svc, &["pod", "ls"]).contains(&pod));

    let vol = unique("pvol");
    e.ok(&["volume", "create", &vol]);
    assert!(podman_ok(&svc, &["volume", "ls"]).contains(&vol));
    e.ok(&["volume", "rm", &vol]);
    let nets = podman_ok(&svc, &["network", "ls"]);
    assert!(nets.contains("rpod"), "{nets}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn podman_py_client() {
    if !have_python_module("podman") {
        eprintln!("skipping: no podman-py (pip install podman)");
        return;
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let pod = unique("pypod");
    let vol = unique("pyvol");
    let script = r#"
import sys, time, podman
with podman.PodmanClient(base_url=sys.argv[1]) as c:
    assert c.ping()
    assert any("localhost/busybox:latest" in i.tags for i in c.images.list())
    ctr = c.containers.run("busybox", ["sh", "-c", "echo pyout; exec sleep 1000"], detach=True, name="ppy")
    assert ctr.status == "running", ctr.status
    assert "ppy" in [x.name for x in c.containers.list(all=True)]
    out = b""
    for _ in range(200):
        out = b"".join(ctr.logs(stdout=True, stderr=True))
        if b"pyout" in out:
            break
        time.sleep(0.05)
    assert out == b"pyout\n", out
    ctr.stop(timeout=1)
    ctr.reload()
    assert ctr.status == "exited", ctr.status
    ctr.remove(force=True)
    p = c.pods.create(name=sys.argv[2])
    assert sys.argv[2] in [x.name for x in c.pods.list()]
    p.remove(force=True)
    assert "rpod" in [n.name for n in c.networks.list()]
    v = c.volumes.create(sys.argv[3])
    assert sys.argv[3] in [x.name for x in c.volumes.list()]
    v.remove()
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host(), &pod, &vol]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    assert!(e.all_ids().is_empty());
}

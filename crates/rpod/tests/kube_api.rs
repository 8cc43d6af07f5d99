//! The libpod API's Kubernetes endpoints through `podman --remote` (Podman
//! 4.3): `kube generate`, `kube play` and `kube down` against
//! `rpod system service`.

mod api_support;
mod common;

use std::process::Command;

use api_support::*;
use common::*;

fn podman_ok(svc: &Service, args: &[&str]) -> String {
    let mut c = Command::new("podman");
    c.arg("--remote")
        .arg("--url")
        .arg(svc.host())
        .args(args)
        .env_remove("CONTAINER_HOST")
        .env_remove("CONTAINER_CONNECTION");
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(
        out.status.success(),
        "podman --remote {args:?}\n{}\nservice log:\n{}",
        describe(&out),
        svc.log()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn podman_remote_generates_plays_and_downs() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    e.ok(&["pod", "create", "--name", "apipod"]);
    e.ok(&[
        "create", "--pod", "apipod", "--name", "apipod-c", "-e", "X=1", "busybox", "sleep", "1000",
    ]);
    let yaml = podman_ok(&svc, &["kube", "generate", "apipod"]);
    assert_eq!(yaml, e.ok(&["kube", "generate", "apipod"]));
    assert!(
        yaml.contains("kind: Pod") && yaml.contains("name: X"),
        "{yaml}"
    );
    let file = e.file("apipod.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let f = file.to_str().unwrap();
    e.ok(&["pod", "rm", "-f", "apipod"]);
    let out = podman_ok(
        &svc,
        &["kube", "play", "--network", "none", "--start=false", f],
    );
    let re = regex::Regex::new("^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}$").unwrap();
    assert!(re.is_match(&out), "{out}");
    assert_eq!(e.status("apipod-c"), "created");
    assert!(e.inspect("apipod-c")["Config"]["Env"]
        .to_string()
        .contains("X=1"));
    let down = podman_ok(&svc, &["kube", "down", f]);
    assert!(down.starts_with("Pods stopped:\n"), "{down}");
    assert!(down.contains("Pods removed:\n"), "{down}");
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
    assert_eq!(e.ok(&["ps", "-aq"]), "");
}

//! podman-compose (1.6, from PyPI) driving the rpod CLI in place of podman:
//! a project with a pod, a network with aliases, a named volume, a
//! published port, depends_on and environment, through up, ps, logs, exec
//! and down, which leaves nothing behind.

mod api_support;
mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use api_support::*;
use common::*;

fn compose(e: &Engine, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut c = Command::new("podman-compose");
    c.arg("--podman-path")
        .arg(e.file("podman"))
        .args(args)
        .current_dir(dir);
    run_with_timeout(c, None, COMMAND_TIMEOUT)
}

fn compose_ok(e: &Engine, dir: &std::path::Path, args: &[&str]) -> String {
    let out = compose(e, dir, args);
    assert!(
        out.status.success(),
        "podman-compose {args:?}: {}",
        describe(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn podman_compose_up_ps_logs_exec_down() {
    assert!(have("podman-compose"));
    let e = Engine::with_image();
    // podman-compose runs "podman": here a script that is rpod on this
    // test's storage.
    let wrapper = e.file("podman");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec {RPOD} --root {} --runroot {} --config {} \"$@\"\n",
            e.root().display(),
            e.runroot().display(),
            e.config_path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = e.file("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    std::fs::write(
        dir.join("docker-compose.yml"),
        format!(
            r#"services:
  web:
    image: localhost/busybox
    command: sh -c "echo hello from web; mkdir -p /www; echo page > /www/index.html; exec httpd -f -p 8080 -h /www"
    environment:
      ROLE: web
    ports:
      - "127.0.0.1:{port}:8080"
    volumes:
      - data:/data
  client:
    image: localhost/busybox
    command: sh -c "echo client up; exec sleep 1000"
    depends_on: [web]
volumes:
  data:
"#
        ),
    )
    .unwrap();
    compose_ok(&e, &dir, &["up", "-d"]);
    let ps = e.ok(&[
        "ps",
        "--filter",
        "label=io.podman.compose.project=proj",
        "--format",
        "{{.Names}} {{.Status}}",
    ]);
    assert!(ps.contains("proj_web_1 Up"), "{ps}");
    assert!(ps.contains("proj_client_1 Up"), "{ps}");
    let listed = compose_ok(&e, &dir, &["ps"]);
    assert!(listed.contains("proj_web_1"), "{listed}");
    wait_until("the web page", POLL_TIMEOUT, || {
        http_get_tcp(port, "/index.html").is_some_and(|r| r.contains("page"))
    });
    // The client reaches the web service by its name on the project network.
    wait_until("the client's view of web", POLL_TIMEOUT, || {
        e.rpod(&[
            "exec",
            "proj_client_1",
            "wget",
            "-q",
            "-O",
            "-",
            "http://web:8080/index.html",
        ])
        .stdout
        .starts_with(b"page")
    });
    assert_eq!(
        e.ok(&["exec", "proj_web_1", "sh", "-c", "echo $ROLE"]),
        "web"
    );
    let logs = compose_ok(&e, &dir, &["logs", "web"]);
    assert!(logs.contains("hello from web"), "{logs}");
    compose_ok(&e, &dir, &["exec", "-T", "client", "true"]);
    compose_ok(&e, &dir, &["down", "-v"]);
    assert!(e.all_ids().is_empty(), "{}", e.ok(&["ps", "-a"]));
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
    assert!(!e
        .ok(&["network", "ls", "--format", "{{.Name}}"])
        .contains("proj_default"));
    assert!(!e.ok(&["volume", "ls", "-q"]).contains("proj_data"));
}

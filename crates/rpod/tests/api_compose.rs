//! docker-compose 1.29 against `rpod system service`: a two-service project
//! with a network, a named volume and a published port, brought up, reached
//! from the host over TCP, and torn down without leftovers.

mod api_support;
mod common;

use std::process::Command;

use api_support::*;
use common::*;

#[test]
fn compose_up_reach_and_down() {
    if !have("docker-compose") {
        panic!("a test client is missing (no docker-compose (apt-get install docker-compose)): .ci/run installs it");
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let port = free_port();
    let project = unique("cproj");
    let dir = e.file("project");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("docker-compose.yml"),
        format!(
            r#"version: "3.7"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo hello-compose > /data/index.html && exec httpd -f -p 80 -h /data"]
    ports:
      - "127.0.0.1:{port}:80"
    volumes:
      - webdata:/data
    networks:
      - backend
  client:
    image: busybox
    command: ["sleep", "1000"]
    networks:
      - backend
    depends_on:
      - web
networks:
  backend: {{}}
volumes:
  webdata: {{}}
"#
        ),
    )
    .unwrap();
    let compose = |args: &[&str]| {
        let mut c = Command::new("docker-compose");
        c.arg("-p")
            .arg(&project)
            .args(args)
            .current_dir(&dir)
            .env("DOCKER_HOST", svc.host())
            .env("DOCKER_CONFIG", e.file("docker-config"))
            .env("COMPOSE_INTERACTIVE_NO_CLI", "1")
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT");
        let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
        assert!(
            out.status.success(),
            "docker-compose {args:?}\n{}\nservice log:\n{}",
            describe(&out),
            svc.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    compose(&["up", "-d"]);
    let page = wait_for("the published port", POLL_TIMEOUT, || {
        http_get_tcp(port, "/index.html").filter(|p| p.contains("hello-compose"))
    });
    assert!(page.starts_with("HTTP/1."), "{page}");

    let ps = compose(&["ps"]);
    let web = format!("{project}_web_1");
    let client = format!("{project}_client_1");
    assert!(ps.contains(&web) && ps.contains(&client), "{ps}");
    assert_eq!(ps.matches(&web).count(), 1, "{ps}");
    assert!(ps.contains(&format!("127.0.0.1:{port}->80/tcp")), "{ps}");

    // The service name resolves on the project network (aardvark-dns), or
    // at least the address does.
    let net = format!("{project}_backend");
    let tmpl = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}");
    let ip = svc.docker_ok(&e, &["inspect", "-f", &tmpl, &web]);
    let got = svc.docker_ok(
        &e,
        &[
            "exec",
            &client,
            "wget",
            "-qO-",
            &format!("http://{ip}/index.html"),
        ],
    );
    assert_eq!(got, "hello-compose");
    let vols = svc.docker_ok(&e, &["volume", "ls", "-q"]);
    assert_eq!(vols, format!("{project}_webdata"));

    compose(&["down", "-v"]);
    assert!(e.all_ids().is_empty(), "containers left");
    assert_eq!(svc.docker_ok(&e, &["volume", "ls", "-q"]), "");
    assert!(!svc.docker_ok(&e, &["network", "ls"]).contains(&net));
}

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

/// The docker-compose scenario of a real project: a service built from a
/// Dockerfile with a healthcheck, another that waits for it to be healthy
/// (`depends_on: condition: service_healthy`), two networks with IPAM
/// settings (a static address on one), a named volume, `--scale web=3`,
/// and `down --rmi local -v` leaving nothing behind.
#[test]
fn compose_build_healthcheck_scale_and_down() {
    assert!(have("docker-compose"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let project = unique("cscale");
    let pid = std::process::id();
    let (front, back) = (
        format!("10.86.{}", pid % 256),
        format!("10.87.{}", pid % 256),
    );
    let dir = e.file("project");
    std::fs::create_dir_all(dir.join("db")).unwrap();
    std::fs::write(
        dir.join("db/Dockerfile"),
        "FROM busybox\nRUN mkdir -p /www && echo built > /built\n\
         CMD [\"sh\", \"-c\", \"cat /built > /www/index.html; sleep 2; touch /tmp/healthy; exec httpd -f -p 80 -h /www\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("docker-compose.yml"),
        format!(
            r#"version: "2.4"
services:
  db:
    build: ./db
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/healthy"]
      interval: 1s
      timeout: 2s
      retries: 60
    volumes:
      - data:/www
    networks:
      back:
        ipv4_address: {back}.10
        aliases: [database]
  web:
    image: busybox
    command: ["sh", "-c", "wget -qO- http://database/index.html > /tmp/seen; exec sleep 1000"]
    depends_on:
      db:
        condition: service_healthy
    networks:
      - front
      - back
networks:
  front:
    ipam:
      config:
        - subnet: {front}.0/24
  back:
    ipam:
      config:
        - subnet: {back}.0/24
          gateway: {back}.1
          ip_range: {back}.128/25
volumes:
  data: {{}}
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
    compose(&["build"]);
    compose(&["up", "-d", "--scale", "web=3"]);
    let db = format!("{project}_db_1");
    let health = svc.docker_ok(&e, &["inspect", "-f", "{{.State.Health.Status}}", &db]);
    assert_eq!(health, "healthy");
    let back_net = format!("{project}_back");
    let front_net = format!("{project}_front");
    let ip = svc.docker_ok(
        &e,
        &[
            "inspect",
            "-f",
            &format!("{{{{(index .NetworkSettings.Networks \"{back_net}\").IPAddress}}}}"),
            &db,
        ],
    );
    assert_eq!(ip, format!("{back}.10"));
    for i in 1..=3 {
        let web = format!("{project}_web_{i}");
        // Started once the database was healthy: it read the page at once.
        assert_eq!(
            svc.docker_ok(&e, &["exec", &web, "cat", "/tmp/seen"]),
            "built"
        );
        let addrs = svc.docker_ok(
            &e,
            &[
                "inspect", "-f",
                &format!("{{{{(index .NetworkSettings.Networks \"{front_net}\").IPAddress}}}} {{{{(index .NetworkSettings.Networks \"{back_net}\").IPAddress}}}}"),
                &web,
            ],
        );
        let (f, b) = addrs.split_once(' ').unwrap();
        assert!(f.starts_with(&format!("{front}.")), "{addrs}");
        let last: u8 = b.rsplit('.').next().unwrap().parse().unwrap();
        assert!(b.starts_with(&format!("{back}.")) && last >= 129, "{addrs}");
    }
    let ipam = svc.docker_ok(
        &e,
        &[
            "network",
            "inspect",
            "-f",
            "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}",
            &back_net,
        ],
    );
    assert_eq!(ipam, format!("{back}.0/24 {back}.1 {back}.128/25"));
    let image = format!("{project}_db");
    assert!(svc
        .docker_ok(&e, &["images", "--format", "{{.Repository}}"])
        .contains(&image));

    compose(&["down", "--rmi", "local", "-v"]);
    assert!(e.all_ids().is_empty(), "containers left");
    assert_eq!(svc.docker_ok(&e, &["volume", "ls", "-q"]), "");
    let nets = svc.docker_ok(&e, &["network", "ls", "--format", "{{.Name}}"]);
    assert!(!nets.contains(&project), "{nets}");
    let images = svc.docker_ok(&e, &["images", "--format", "{{.Repository}}"]);
    assert!(!images.contains(&image), "{images}");
    assert!(images.contains("busybox"), "{images}");
}

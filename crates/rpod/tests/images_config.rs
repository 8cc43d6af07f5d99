//! The image config honoured by create/run on a loaded image: User, ExposedPorts (-P),
//! Volumes, Healthcheck, StopSignal, Labels, and entrypoint/cmd overrides.

mod common;

use common::*;

/// Writes a docker-archive at `path` holding the busybox root file system as one layer and
/// `config` (Docker's image config, with `rootfs` filled in here), named `tag`.
fn docker_archive(e: &Engine, path: &std::path::Path, tag: &str, mut config: serde_json::Value) {
    let layer = std::fs::read(e.busybox_tar()).unwrap();
    let layer_hex = sha256_hex(&layer);
    config["architecture"] = serde_json::json!("amd64");
    config["os"] = serde_json::json!("linux");
    config["created"] = serde_json::json!("2024-01-01T00:00:00Z");
    config["rootfs"] =
        serde_json::json!({"type": "layers", "diff_ids": [format!("sha256:{layer_hex}")]});
    config["history"] = serde_json::json!([{"created_by": "crafted by the test"}]);
    let config = serde_json::to_vec(&config).unwrap();
    let config_hex = sha256_hex(&config);
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": format!("{config_hex}.json"),
        "RepoTags": [tag],
        "Layers": [format!("{layer_hex}/layer.tar")],
    }]))
    .unwrap();
    let mut out = Vec::new();
    {
        let mut b = tar::Builder::new(&mut out);
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(0);
            b.append_data(&mut h, name, data).unwrap();
        };
        add(&format!("{config_hex}.json"), &config);
        add(&format!("{layer_hex}/layer.tar"), &layer);
        add("manifest.json", &manifest);
        b.finish().unwrap();
    }
    std::fs::write(path, out).unwrap();
}

/// Loads a crafted image `tag` with `config` (the `config` section of Docker's image config).
fn load(e: &Engine, tag: &str, config: serde_json::Value) {
    let path = e.file("crafted.tar");
    docker_archive(e, &path, tag, serde_json::json!({ "config": config }));
    e.ok(&["load", "-q", "-i", path.to_str().unwrap()]);
    std::fs::remove_file(path).unwrap();
}

/// `id` output without the names busybox may or may not print: `uid=1 gid=1 ...`.
fn numeric_id(e: &Engine, args: &[&str]) -> String {
    let out = e.ok(args);
    let mut plain = String::new();
    let mut depth = 0;
    for c in out.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn image_user_by_name_and_by_uid_gid() {
    let e = Engine::new();
    load(
        &e,
        "localhost/byname:latest",
        serde_json::json!({"User": "daemon", "Cmd": ["id"]}),
    );
    assert_eq!(numeric_id(&e, &["run", "--rm", "byname"]), "uid=1 gid=1");
    load(
        &e,
        "localhost/bynum:latest",
        serde_json::json!({"User": "1:65534", "Cmd": ["id"]}),
    );
    assert_eq!(numeric_id(&e, &["run", "--rm", "bynum"]), "uid=1 gid=65534");
    // --user overrides the image's user.
    assert_eq!(
        numeric_id(&e, &["run", "--rm", "--user", "0", "byname"]),
        "uid=0 gid=0"
    );
    // A user only the image's /etc/passwd knows (made with commit --change).
    e.ok(&[
        "run",
        "--name",
        "mk",
        "--user",
        "0",
        "byname",
        "sh",
        "-c",
        "echo tester:x:4321:8765::/:/bin/sh >> /etc/passwd",
    ]);
    e.ok(&[
        "commit",
        "-q",
        "--change",
        "USER tester",
        "--change",
        r#"CMD ["id"]"#,
        "mk",
        "withuser",
    ]);
    e.ok(&["rm", "mk"]);
    assert_eq!(
        numeric_id(&e, &["run", "--rm", "withuser"]),
        "uid=4321 gid=8765",
        "resolved against the image's /etc/passwd"
    );
    // A name the image's /etc/passwd lacks is an error.
    load(
        &e,
        "localhost/ghost:latest",
        serde_json::json!({"User": "ghost", "Cmd": ["id"]}),
    );
    let (code, err) = e.fails(&["run", "--rm", "ghost"]);
    assert_ne!(code, 0);
    assert!(err.contains("ghost"), "{err}");
}

#[test]
fn exposed_ports_are_inspected_and_published_by_capital_p() {
    let e = Engine::new();
    load(
        &e,
        "localhost/ports:latest",
        serde_json::json!({"ExposedPorts": {"8080/tcp": {}, "53/udp": {}}, "Cmd": ["sleep", "60"]}),
    );
    let exposed: serde_json::Value = serde_json::from_str(&e.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.ExposedPorts}}",
        "ports",
    ]))
    .unwrap();
    assert_eq!(exposed, serde_json::json!({"8080/tcp": {}, "53/udp": {}}));
    e.ok(&["run", "-d", "--name", "p", "-P", "ports"]);
    let ports = e.ok(&["port", "p"]);
    assert!(ports.contains("8080/tcp -> 0.0.0.0:"), "{ports}");
    assert!(ports.contains("53/udp -> 0.0.0.0:"), "{ports}");
    let one = e.ok(&["port", "p", "8080/tcp"]);
    let host_port: u16 = one
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0);
    assert!(host_port > 0, "{one}");
    e.ok(&["rm", "-f", "-t", "0", "p"]);
    // Without -P nothing is published.
    e.ok(&["create", "--name", "q", "ports"]);
    assert_eq!(e.ok(&["port", "q"]), "");
    e.ok(&["rm", "q"]);
}

#[test]
fn image_volume_gets_an_anonymous_volume() {
    let e = Engine::new();
    load(
        &e,
        "localhost/vol:latest",
        serde_json::json!({"Volumes": {"/data": {}}, "Cmd": ["sh", "-c", "echo kept > /data/f"]}),
    );
    e.ok(&["run", "--name", "v", "vol"]);
    let mounts: serde_json::Value =
        serde_json::from_str(&e.inspect_fmt("v", "{{json .Mounts}}")).unwrap();
    let data = mounts
        .as_array()
        .and_then(|m| m.iter().find(|m| m["Destination"] == "/data"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(data["Type"], "volume", "{mounts}");
    let name = data["Name"].as_str().unwrap_or_default().to_string();
    assert_eq!(e.ok(&["volume", "ls", "-q"]), name);
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "-v",
            &format!("{name}:/mnt"),
            "vol",
            "cat",
            "/mnt/f"
        ]),
        "kept"
    );
    e.ok(&["rm", "-v", "v"]);
    assert_eq!(e.ok(&["volume", "ls", "-q"]), "");
}

#[test]
fn image_healthcheck_runs() {
    let e = Engine::new();
    load(
        &e,
        "localhost/health:latest",
        serde_json::json!({
            "Cmd": ["sleep", "60"],
            "Healthcheck": {"Test": ["CMD-SHELL", "test -e /tmp/ok"], "Interval": 3_600_000_000_000u64, "Retries": 1}
        }),
    );
    e.ok(&["run", "-d", "--name", "h", "health"]);
    let test = e.inspect_fmt("h", "{{json .Config.Healthcheck.Test}}");
    assert_eq!(test, r#"["CMD-SHELL","test -e /tmp/ok"]"#);
    assert_eq!(e.rpod(&["healthcheck", "run", "h"]).status.code(), Some(1));
    e.ok(&["exec", "h", "touch", "/tmp/ok"]);
    assert_eq!(e.rpod(&["healthcheck", "run", "h"]).status.code(), Some(0));
    assert_eq!(e.inspect_fmt("h", "{{.State.Health.Status}}"), "healthy");
    e.ok(&["rm", "-f", "-t", "0", "h"]);
    // --no-healthcheck disables the image's check.
    e.ok(&["create", "--name", "n", "--no-healthcheck", "health"]);
    let doc: serde_json::Value = serde_json::from_str(&e.ok(&["inspect", "n"])).unwrap();
    assert!(
        doc[0]["Config"]
            .get("Healthcheck")
            .is_none_or(|h| h.is_null()),
        "{}",
        doc[0]["Config"]
    );
    e.ok(&["rm", "n"]);
}

#[test]
fn stop_signal_and_labels_come_from_the_image() {
    let e = Engine::new();
    load(
        &e,
        "localhost/sig:latest",
        serde_json::json!({"StopSignal": "SIGUSR2", "Labels": {"tier": "back", "owner": "img"}, "Cmd": ["sleep", "60"]}),
    );
    e.ok(&["create", "--name", "s", "--label", "owner=cli", "sig"]);
    assert_eq!(e.inspect_fmt("s", "{{.Config.StopSignal}}"), "12");
    let labels: serde_json::Value =
        serde_json::from_str(&e.inspect_fmt("s", "{{json .Config.Labels}}")).unwrap();
    assert_eq!(labels["tier"], "back");
    assert_eq!(labels["owner"], "cli", "the command line wins");
    assert_eq!(
        e.ok(&["image", "inspect", "--format", "{{.Labels.tier}}", "sig"]),
        "back"
    );
    e.ok(&["rm", "s"]);
    e.ok(&["create", "--name", "t", "--stop-signal", "SIGTERM", "sig"]);
    assert_eq!(e.inspect_fmt("t", "{{.Config.StopSignal}}"), "15");
    e.ok(&["rm", "t"]);
}

#[test]
fn entrypoint_and_cmd_overrides_follow_docker() {
    let e = Engine::new();
    load(
        &e,
        "localhost/ep:latest",
        serde_json::json!({"Entrypoint": ["echo", "ep"], "Cmd": ["from-cmd"]}),
    );
    assert_eq!(e.ok(&["run", "--rm", "ep"]), "ep from-cmd");
    // Arguments replace CMD only.
    assert_eq!(e.ok(&["run", "--rm", "ep", "a", "b"]), "ep a b");
    // --entrypoint '' drops the entrypoint; the arguments are the command.
    assert_eq!(
        e.ok(&["run", "--rm", "--entrypoint", "", "ep", "echo", "hi"]),
        "hi"
    );
    // --entrypoint resets the image's CMD, like Docker.
    assert_eq!(
        e.ok(&["run", "--rm", "--entrypoint", "/bin/echo", "ep"]),
        ""
    );
    assert_eq!(
        e.ok(&["run", "--rm", "--entrypoint", "/bin/echo", "ep", "x"]),
        "x"
    );
    // Nothing left to run.
    let (code, err) = e.fails(&["run", "--rm", "--entrypoint", "", "ep"]);
    assert_eq!(code, 125);
    assert!(err.contains("no command"), "{err}");
}

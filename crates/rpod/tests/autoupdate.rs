//! `auto-update` without systemd: the registry policy against a registry on
//! 127.0.0.1, the local policy, `--dry-run`, `--rollback` and `--format`.

mod common;

use common::*;

const LOCAL: &str = "io.containers.autoupdate=local";
const REGISTRY: &str = "io.containers.autoupdate=registry";

fn id_of(e: &Engine, name: &str) -> String {
    e.ok(&["inspect", name, "--format", "{{.Id}}"])
}

fn image_of(e: &Engine, name: &str) -> String {
    e.ok(&["inspect", name, "--format", "{{.Image}}"])
}

fn image_id(e: &Engine, name: &str) -> String {
    e.ok(&["image", "inspect", name, "--format", "{{.Id}}"])
}

/// Imports the busybox tree as `name` with `change` (a different image ID
/// per change).
fn import(e: &Engine, change: &str, name: &str) -> String {
    let tar = e.busybox_tar();
    e.ok(&["import", "--change", change, tar.to_str().unwrap(), name]);
    image_id(e, name)
}

/// `auto-update` with `args`, as `Updated` values per container name.
fn updates(e: &Engine, args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["auto-update", "--format", "{{.ContainerName}}|{{.Updated}}"];
    all.extend_from_slice(args);
    e.ok(&all)
        .lines()
        .map(|l| {
            let (a, b) = l.split_once('|').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect()
}

fn one(name: &str, updated: &str) -> Vec<(String, String)> {
    vec![(name.to_string(), updated.to_string())]
}

#[test]
fn local_policy_dry_run_then_update_keeps_name_and_runs() {
    let e = Engine::with_image();
    let old = import(&e, r#"CMD ["sleep","1000"]"#, "app");
    e.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "--label",
        LOCAL,
        "--stop-signal",
        "KILL",
        "app",
    ]);
    // Unlabelled containers are not looked at.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "other",
        "--stop-signal",
        "KILL",
        "app",
    ]);
    let before = id_of(&e, "web");
    assert_eq!(updates(&e, &[]), one("web", "false"));
    assert_eq!(id_of(&e, "web"), before);

    let new = import(&e, r#"CMD ["sleep","2000"]"#, "app");
    assert_ne!(old, new);
    assert_eq!(updates(&e, &["--dry-run"]), one("web", "pending"));
    assert_eq!(id_of(&e, "web"), before, "--dry-run changes nothing");
    assert_eq!(image_of(&e, "web"), old);

    assert_eq!(updates(&e, &[]), one("web", "true"));
    assert_ne!(id_of(&e, "web"), before, "recreated");
    assert_eq!(image_of(&e, "web"), new);
    assert_eq!(e.status("web"), "running");
    assert!(e
        .ok(&["inspect", "web", "--format", "{{.Config.Labels}}"])
        .contains("io.containers.autoupdate:local"));
    assert_eq!(updates(&e, &[]), one("web", "false"));
    e.ok(&["rm", "-f", "-t", "0", "web", "other"]);
}

#[test]
fn rollback_when_the_new_image_exits_at_once() {
    let e = Engine::with_image();
    let old = import(&e, r#"CMD ["sleep","1000"]"#, "app");
    e.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "--label",
        LOCAL,
        "--stop-signal",
        "KILL",
        "app",
    ]);
    let new = import(&e, r#"CMD ["false"]"#, "app");
    assert_eq!(updates(&e, &[]), one("web", "rolled back"));
    assert_eq!(e.status("web"), "running");
    assert_eq!(image_of(&e, "web"), old);
    assert_eq!(image_id(&e, "app"), old, "the old image has its name back");

    // Without rollback: failed, exit 125, the failing container stays.
    e.ok(&["tag", &new, "app"]);
    let out = e.rpod(&[
        "auto-update",
        "--rollback=false",
        "--format",
        "{{.Updated}}",
    ]);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "failed");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("web"),
        "{}",
        describe(&out)
    );
    assert_eq!(image_of(&e, "web"), new);
    e.ok(&["rm", "-f", "-t", "0", "web"]);
}

#[test]
fn rollback_when_the_new_image_is_unhealthy() {
    let e = Engine::with_image();
    let ctx = e.file("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    // Docker's format keeps HEALTHCHECK.
    let image = |health: &str| {
        let text = format!("FROM busybox\n{health}\nCMD [\"sleep\", \"1000\"]\n");
        std::fs::write(ctx.join("Containerfile"), text).unwrap();
        let c = ctx.to_str().unwrap();
        e.ok(&["build", "-q", "--format", "docker", "-t", "app", c]);
        image_id(&e, "app")
    };
    let old = image("HEALTHCHECK --interval=1h CMD true");
    e.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "--label",
        LOCAL,
        "--stop-signal",
        "KILL",
        "app",
    ]);
    // The new image runs, but its health check fails.
    let new = image("HEALTHCHECK --interval=1h CMD false");
    assert_ne!(old, new);
    assert_eq!(updates(&e, &[]), one("web", "rolled back"));
    assert_eq!(e.status("web"), "running");
    assert_eq!(image_of(&e, "web"), old);
    assert_eq!(image_id(&e, "app"), old, "the old image has its name back");
    e.ok(&["rm", "-f", "-t", "0", "web"]);
}

#[test]
fn registry_policy_pulls_a_newer_digest() {
    let reg = Registry::start(None);
    let publisher = Engine::with_image();
    let dest = format!("{}/test/app:latest", reg.host());
    import(&publisher, r#"CMD ["sleep","1000"]"#, "app");
    publisher.ok(&["push", "-q", "--tls-verify=false", "app", &dest]);

    let e = Engine::new();
    e.ok(&["pull", "-q", "--tls-verify=false", &dest]);
    let old = image_id(&e, &dest);
    e.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "--label",
        REGISTRY,
        "--stop-signal",
        "KILL",
        &dest,
    ]);
    let before = id_of(&e, "web");
    assert_eq!(updates(&e, &["--tls-verify=false"]), one("web", "false"));

    let new = import(&publisher, r#"CMD ["sleep","2000"]"#, "app");
    publisher.ok(&["push", "-q", "--tls-verify=false", "app", &dest]);
    assert_eq!(
        updates(&e, &["--tls-verify=false", "--dry-run"]),
        one("web", "pending")
    );
    assert_eq!(id_of(&e, "web"), before, "--dry-run changes nothing");
    assert_eq!(image_id(&e, &dest), old, "--dry-run pulls nothing");

    assert_eq!(updates(&e, &["--tls-verify=false"]), one("web", "true"));
    assert_eq!(image_id(&e, &dest), new);
    assert_eq!(image_of(&e, "web"), new);
    assert_eq!(e.status("web"), "running");
    assert_eq!(updates(&e, &["--tls-verify=false"]), one("web", "false"));

    // A registry that cannot be reached fails the container, exit 125.
    drop(reg);
    let out = e.rpod(&[
        "auto-update",
        "--tls-verify=false",
        "--format",
        "{{.Updated}}",
    ]);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "failed");
    e.ok(&["rm", "-f", "-t", "0", "web"]);
}

#[test]
fn table_format_and_json_have_podmans_fields() {
    let e = Engine::with_image();
    import(&e, r#"CMD ["sleep","1000"]"#, "app");
    e.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "--label",
        LOCAL,
        "--label",
        "PODMAN_SYSTEMD_UNIT=web.service",
        "--stop-signal",
        "KILL",
        "app",
    ]);
    let id = id_of(&e, "web");
    let table = e.ok(&["auto-update"]);
    let lines: Vec<&str> = table.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    // Podman's columns (podman-auto-update(1)).
    assert_eq!(header, ["UNIT", "CONTAINER", "IMAGE", "POLICY", "UPDATED"]);
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        row,
        [
            "web.service",
            &id[..12],
            "(web)",
            "localhost/app:latest",
            "local",
            "false"
        ]
    );
    assert_eq!(
        e.ok(&[
            "auto-update",
            "--format",
            "{{.Unit}} {{.Container}} {{.ContainerName}} {{.ContainerID}} {{.Image}} {{.Policy}} {{.Updated}}"
        ]),
        format!("web.service {} (web) web {} localhost/app:latest local false", &id[..12], &id[..12])
    );
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["auto-update", "--format", "json"])).unwrap();
    let keys: Vec<&str> = json[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = [
        "Container",
        "ContainerID",
        "ContainerName",
        "Image",
        "Policy",
        "Unit",
        "Updated",
    ];
    want.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, want);

    // An unknown policy is a one-line error naming the container.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "bad",
        "--label",
        "io.containers.autoupdate=sometimes",
        "--stop-signal",
        "KILL",
        "app",
    ]);
    let (code, err) = e.fails(&["auto-update"]);
    assert_eq!(code, 125);
    assert!(err.contains("bad") && err.contains("sometimes"), "{err}");
    e.ok(&["rm", "-f", "-t", "0", "web", "bad"]);
}

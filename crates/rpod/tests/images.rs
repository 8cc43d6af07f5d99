//! Image commands: import, images, image exists/inspect/prune, rmi.

mod common;

use common::*;

#[test]
fn import_from_file_prints_id_and_lists_image() {
    let e = Engine::new();
    let tar = e.busybox_tar();
    let out = e.ok(&["import", tar.to_str().unwrap(), "busybox"]);
    assert!(out.starts_with("sha256:"), "{out}");
    let id = out.trim_start_matches("sha256:");
    assert_eq!(id.len(), 64);
    let listed = e.ok(&["images"]);
    assert!(listed.contains("localhost/busybox"), "{listed}");
    assert!(listed.contains(&id[..12]), "{listed}");
}

#[test]
fn import_from_stdin() {
    let e = Engine::new();
    let data = std::fs::read(e.busybox_tar()).unwrap();
    let out = e.rpod_stdin(&["import", "--change", "CMD=sh", "-", "fromstdin"], &data);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        e.rpod(&["image", "exists", "fromstdin"]).status.code(),
        Some(0)
    );
    e.ok(&["run", "--rm", "fromstdin", "true"]);
}

#[test]
fn import_quiet_prints_bare_id() {
    let e = Engine::new();
    let out = e.ok(&["import", "-q", e.busybox_tar().to_str().unwrap(), "q"]);
    assert_eq!(out.len(), 64, "{out}");
    assert!(out.chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn import_changes_are_in_inspect_and_take_effect() {
    let e = Engine::new();
    let tar = e.busybox_tar();
    e.ok(&[
        "import",
        "--change",
        r#"ENTRYPOINT ["/bin/sh", "-c"]"#,
        "--change",
        r#"CMD ["echo $GREETING from $(pwd)"]"#,
        "--change",
        "ENV GREETING=hello",
        "--change",
        "WORKDIR=/tmp",
        tar.to_str().unwrap(),
        "changed",
    ]);
    let cfg = e.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config}}",
        "changed",
    ]);
    let cfg: serde_json::Value =
        serde_json::from_str(&cfg).unwrap_or_else(|err| panic!("{err}: {cfg}"));
    assert_eq!(
        cfg["Entrypoint"],
        serde_json::json!(["/bin/sh", "-c"]),
        "{cfg}"
    );
    assert_eq!(cfg["WorkingDir"], "/tmp", "{cfg}");
    assert!(
        cfg["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "GREETING=hello"),
        "{cfg}"
    );
    let out = e.ok(&["run", "--rm", "changed"]);
    assert_eq!(out, "hello from /tmp");
}

#[test]
fn import_message_is_recorded_in_history() {
    let e = Engine::new();
    e.ok(&[
        "import",
        "-m",
        "my-special-message",
        e.busybox_tar().to_str().unwrap(),
        "msg",
    ]);
    let doc = e.ok(&["image", "inspect", "msg"]);
    assert!(doc.contains("my-special-message"), "{doc}");
}

#[test]
fn images_quiet_prints_short_ids() {
    let e = Engine::with_image();
    let out = e.ok(&["images", "-q"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0].len(), 12);
    let full = e.ok(&["images", "-q", "--no-trunc"]);
    assert!(
        full.starts_with("sha256:") && full.contains(lines[0]),
        "{full}"
    );
}

#[test]
fn images_format_template_repository_tag() {
    let e = Engine::with_image();
    let out = e.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert_eq!(out, "localhost/busybox:latest");
}

#[test]
fn images_format_json_is_an_array() {
    let e = Engine::with_image();
    let out = e.ok(&["images", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out}"));
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), 1, "{out}");
    assert!(out.contains("busybox"), "{out}");
}

#[test]
fn image_exists_exit_codes() {
    let e = Engine::with_image();
    assert_eq!(
        e.rpod(&["image", "exists", "busybox"]).status.code(),
        Some(0)
    );
    assert_eq!(
        e.rpod(&["image", "exists", "nothere"]).status.code(),
        Some(1)
    );
}

#[test]
fn image_inspect_shows_id_repotags_and_cmd() {
    let e = Engine::with_image();
    let id = e.ok(&["images", "-q", "--no-trunc"]);
    let doc = e.ok(&["image", "inspect", "busybox"]);
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let img = &v[0];
    assert_eq!(
        format!("sha256:{}", img["Id"].as_str().unwrap()),
        id.trim(),
        "{doc}"
    );
    assert_eq!(
        img["RepoTags"],
        serde_json::json!(["localhost/busybox:latest"]),
        "{doc}"
    );
    // CMD=sh is the shell form: ["/bin/sh", "-c", "sh"], as Docker makes it.
    let cmd = img["Config"]["Cmd"].as_array().expect("Cmd array");
    assert_eq!(cmd.last().unwrap(), "sh", "{doc}");
    // inspect without --type finds images too
    let cmd = e.ok(&["inspect", "--format", "{{.Config.Cmd}}", "busybox"]);
    assert!(cmd.contains("sh"), "{cmd}");
}

#[test]
fn rmi_refused_while_a_container_uses_the_image() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "user1", "busybox", "true"]);
    let (code, err) = e.fails(&["rmi", "busybox"]);
    // Podman: 2 for an image in use.
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("user1") || err.contains(&e.inspect_fmt("user1", "{{.Id}}")),
        "{err}"
    );
    assert_eq!(
        e.rpod(&["image", "exists", "busybox"]).status.code(),
        Some(0)
    );
    assert!(e.exists("user1"));
}

#[test]
fn rmi_force_removes_the_containers_too() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "user1", "busybox", "true"]);
    e.ok(&["rmi", "-f", "busybox"]);
    assert!(!e.exists("user1"));
    assert_eq!(
        e.rpod(&["image", "exists", "busybox"]).status.code(),
        Some(1)
    );
    assert_eq!(e.ok(&["images", "-q"]), "");
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn rmi_of_unknown_image_is_no_such() {
    let e = Engine::new();
    let (code, err) = e.fails(&["rmi", "nothere"]);
    // Podman: 1 for a missing image.
    assert_eq!(code, 1);
    assert!(
        err.to_lowercase().contains("no such") || err.contains("not known"),
        "{err}"
    );
}

#[test]
fn image_prune_removes_dangling_but_keeps_named() {
    let e = Engine::with_image();
    let tar = e.busybox_tar();
    // Unnamed import: a dangling image, but identical content yields the same
    // ID, so make it differ with a change.
    let dangling = e.ok(&[
        "import",
        "-q",
        "--change",
        "CMD=true",
        tar.to_str().unwrap(),
    ]);
    assert_eq!(
        e.ok(&["images", "-q"]).lines().count(),
        2,
        "{}",
        e.ok(&["images"])
    );
    let out = e.ok(&["image", "prune", "-f"]);
    assert!(
        out.contains(&dangling[..12]),
        "prune printed {out:?}, expected {dangling}"
    );
    let left = e.ok(&["images", "--format", "{{.Repository}}"]);
    assert_eq!(left, "localhost/busybox");
}

#[test]
fn image_prune_all_removes_unused_named_images() {
    let e = Engine::with_image();
    let tar = e.busybox_tar();
    e.ok(&[
        "import",
        "--change",
        "CMD=true",
        tar.to_str().unwrap(),
        "other",
    ]);
    e.ok(&["create", "--name", "keeper", "busybox", "true"]);
    e.ok(&["image", "prune", "-a", "-f"]);
    assert_eq!(e.rpod(&["image", "exists", "other"]).status.code(), Some(1));
    assert_eq!(
        e.rpod(&["image", "exists", "busybox"]).status.code(),
        Some(0),
        "image in use must stay"
    );
}

#[test]
fn hostile_tarball_with_dotdot_entry_is_refused() {
    let e = Engine::new();
    let tar = tar_with_entry("../escape", b"gotcha\n");
    let path = e.file("hostile.tar");
    std::fs::write(&path, &tar).unwrap();
    let (code, err) = e.fails(&["import", path.to_str().unwrap(), "hostile"]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("..") || err.to_lowercase().contains("escape") || err.contains("outside"),
        "unclear error: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(e.ok(&["images", "-q"]), "");
    assert!(!e.root().join("escape").exists());
    assert!(!e.root().join("storage/escape").exists());
    assert!(!e.path().join("escape").exists());
}

#[test]
fn hostile_tarball_with_absolute_symlink_parent_does_not_escape() {
    // An archive whose entry goes through a symlink pointing outside: the
    // file must never land outside the layer.
    let e = Engine::new();
    let outside = e.file("outside");
    std::fs::create_dir(&outside).unwrap();
    let mut tar = symlink_entry("link", outside.to_str().unwrap());
    let file = tar_with_entry("link/planted", b"x\n");
    tar.extend_from_slice(&file);
    let path = e.file("hostile2.tar");
    std::fs::write(&path, &tar).unwrap();
    let _ = e.rpod(&["import", path.to_str().unwrap(), "hostile2"]);
    assert!(
        !outside.join("planted").exists(),
        "tar entry escaped through a symlink"
    );
}

/// A symlink entry header (no end-of-archive marker).
fn symlink_entry(name: &str, target: &str) -> Vec<u8> {
    let mut h = tar_with_entry(name, b"");
    h.truncate(512);
    h[156] = b'2';
    h[157..157 + target.len()].copy_from_slice(target.as_bytes());
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{:06o}\0 ", sum).as_bytes());
    h
}

/// `import --arch/--os/--variant` record the platform as podman's do.
#[test]
fn import_records_the_platform_given_as_podman() {
    let b = Both::new();
    let tar = b.e.probe_tar();
    let tar = tar.to_str().unwrap();
    let args = [
        "import",
        "-q",
        "--arch",
        "arm64",
        "--os",
        "linux",
        "--variant",
        "v8",
        tar,
        "localhost/armbb",
    ];
    b.e.ok(&args);
    b.p.ok(&args);
    let fmt = ["inspect", "--format", "{{.Architecture}} {{.Os}}", "armbb"];
    assert_eq!(b.e.ok(&fmt), "arm64 linux");
    assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt));
    // (podman's image inspect has no Variant; the config keeps it.)
    let out =
        b.e.ok(&["image", "inspect", "--format", "{{.Architecture}}", "armbb"]);
    assert_eq!(out, "arm64");
}

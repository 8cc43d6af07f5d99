//! version, info, system df/prune/reset, completion.

mod common;

use common::*;

#[test]
fn version_prints_the_client_version() {
    let e = Engine::new();
    let v = e.ok(&["version", "--format", "{{.Client.Version}}"]);
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    let plain = e.ok(&["version"]);
    assert!(plain.contains("Version:") && plain.contains(&v), "{plain}");
    let json = e.ok(&["version", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["Client"]["Version"], v);
}

#[test]
fn info_format_podman_template() {
    let e = Engine::new();
    assert_eq!(
        e.ok(&["info", "--format", "{{.Host.OciRuntime.Name}}"]),
        "runc"
    );
    assert_eq!(
        e.ok(&["system", "info", "--format", "{{.Host.OciRuntime.Name}}"]),
        "runc"
    );
}

#[test]
fn info_names_runc_and_the_test_store() {
    let e = Engine::with_image();
    assert_eq!(
        e.ok(&["info", "--format", "{{.Host.OciRuntime.Name}}"]),
        "runc"
    );
    let info = e.ok(&["info"]);
    let v: serde_json::Value =
        serde_json::from_str(&info).unwrap_or_else(|err| panic!("{err}: {info}"));
    let text = v.to_string();
    assert!(
        text.contains(e.root().to_str().unwrap()),
        "root missing: {info}"
    );
    assert!(
        text.contains(e.runroot().to_str().unwrap()),
        "runroot missing: {info}"
    );
    assert!(
        !text.contains("/var/lib/rpod"),
        "default root leaked: {info}"
    );
    assert_eq!(v["host"]["ociRuntime"]["name"], "runc", "{info}");
    assert_eq!(
        v["store"]["graphRoot"],
        e.root().to_str().unwrap(),
        "{info}"
    );
    assert_eq!(
        v["store"]["runRoot"],
        e.runroot().to_str().unwrap(),
        "{info}"
    );
}

#[test]
fn system_df_lists_images_and_containers() {
    let e = Engine::with_image();
    e.sleeper("a");
    e.ok(&["create", "--name", "b", "busybox", "true"]);
    let out = e.ok(&["system", "df"]);
    assert!(out.lines().next().unwrap().contains("TYPE"), "{out}");
    assert!(out.contains("Images"), "{out}");
    assert!(out.contains("Containers"), "{out}");
    let json = e.ok(&["system", "df", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|err| panic!("{err}: {json}"));
    assert!(v.is_array(), "{json}");
    let text = e.ok(&[
        "system",
        "df",
        "--format",
        "{{.Type}} {{.Total}} {{.Active}}",
    ]);
    assert!(text.contains("Containers 2 1"), "{text}");
    assert!(text.contains("Images 1 1"), "{text}");
}

#[test]
fn system_prune_removes_stopped_containers_and_dangling_images() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "done", "busybox", "true"]);
    e.sleeper("alive");
    let dangling = e.ok(&[
        "import",
        "-q",
        "--change",
        "CMD=true",
        e.busybox_tar().to_str().unwrap(),
    ]);
    let out = e.ok(&["system", "prune", "-f"]);
    assert!(
        out.contains("Deleted Containers") && out.contains("Deleted Images"),
        "{out}"
    );
    assert!(!e.exists("done"));
    assert!(e.exists("alive"));
    assert!(!e.ok(&["images", "-q"]).contains(&dangling[..12]));
    assert_eq!(
        e.rpod(&["image", "exists", "busybox"]).status.code(),
        Some(0)
    );
}

#[test]
fn system_prune_all_removes_unused_images() {
    let e = Engine::with_image();
    e.ok(&["system", "prune", "-a", "-f"]);
    assert_eq!(e.ok(&["images", "-q"]), "");
}

#[test]
fn system_reset_empties_the_root() {
    let e = Engine::with_image();
    e.sleeper("a");
    e.ok(&["create", "--name", "b", "busybox", "true"]);
    e.ok(&["system", "reset", "-f"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    let left: Vec<_> = std::fs::read_dir(e.root())
        .map(|d| d.flatten().map(|x| x.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "root not empty after reset: {left:?}");
    // The engine still works afterwards.
    assert_eq!(e.ok(&["ps", "-a", "-q"]), "");
    assert_eq!(e.ok(&["images", "-q"]), "");
}

#[test]
fn completion_scripts_are_generated() {
    let e = Engine::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = e.ok(&["completion", shell]);
        assert!(out.len() > 100, "{shell}: {out}");
        assert!(out.contains("rpod"), "{shell}");
    }
    let (code, _) = e.fails(&["completion", "tcsh-ish"]);
    assert_eq!(code, 125);
}

#[test]
fn nothing_is_written_outside_the_given_roots() {
    let e = Engine::with_image();
    e.ok(&["run", "--rm", "busybox", "true"]);
    assert!(e.path().join("root/rpod.db").exists());
    assert!(e.runroot().join("alive").exists());
}

/// `system df`'s table as podman prints it (empty stores: every figure
/// the same), byte for byte.
#[test]
fn system_df_table_matches_podman() {
    let e = Engine::new();
    let p = Podman::new(&e);
    assert_eq!(e.ok(&["system", "df"]), p.ok(&["system", "df"]));
}

//! save / load: docker-archive, oci-archive, oci-dir; round trips, skopeo interop, and
//! hostile archives refused with nothing stored.

mod common;

use common::*;

fn image_id(e: &Engine, name: &str) -> String {
    e.ok(&["image", "inspect", name, "--format", "{{.Id}}"])
}

fn image_digest(e: &Engine, name: &str) -> String {
    e.ok(&["image", "inspect", name, "--format", "{{.Digest}}"])
}

fn image_count(e: &Engine) -> usize {
    e.ok(&["images", "-q"]).lines().count()
}

#[test]
fn save_load_round_trips_keep_ids_and_digests() {
    let src = Engine::with_image();
    src.ok(&["tag", "busybox", "other:1"]);
    let id = image_id(&src, "busybox");
    let digest = image_digest(&src, "busybox");
    for format in ["docker-archive", "oci-archive", "oci-dir"] {
        let out = src.file(&format!("saved-{format}"));
        src.ok(&[
            "save",
            "--format",
            format,
            "-o",
            out.to_str().unwrap(),
            "busybox",
        ]);
        let dst = Engine::new();
        let loaded = dst.ok(&["load", "-q", "-i", out.to_str().unwrap()]);
        assert!(
            loaded.contains("localhost/busybox:latest"),
            "{format}: {loaded}"
        );
        assert_eq!(image_id(&dst, "busybox"), id, "{format}");
        assert_eq!(image_digest(&dst, "busybox"), digest, "{format}");
        assert_eq!(dst.ok(&["run", "--rm", "busybox", "echo", "hi"]), "hi");
    }
}

#[test]
fn docker_archive_with_several_images_and_gzip_stdin() {
    let e = Engine::with_image();
    let tar = e.busybox_tar();
    e.ok(&[
        "import",
        "--change",
        "CMD=sh",
        tar.to_str().unwrap(),
        "second",
    ]);
    e.ok(&["tag", "busybox", "third"]);
    let out = e.file("multi.tar");
    e.ok(&["save", "-o", out.to_str().unwrap(), "busybox", "second"]);
    let gz = e.file("multi.tar.gz");
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", out.display(), gz.display()))
        .status()
        .unwrap();
    assert!(st.success());
    let dst = Engine::new();
    let loaded = dst.rpod_stdin(&["load"], &std::fs::read(&gz).unwrap());
    assert!(loaded.status.success(), "{}", describe(&loaded));
    assert!(dst.rpod(&["image", "exists", "busybox"]).status.success());
    assert!(dst.rpod(&["image", "exists", "second"]).status.success());
}

#[test]
fn skopeo_reads_what_rpod_saves_and_rpod_loads_what_skopeo_writes() {
    let e = Engine::with_image();
    let id = image_id(&e, "busybox");
    let archive = e.file("bb-docker.tar");
    e.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);
    let oci = e.file("bb-oci.tar");
    e.ok(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        oci.to_str().unwrap(),
        "busybox",
    ]);
    for (source, dest) in [
        (format!("docker-archive:{}", archive.display()), "oci:"),
        (format!("oci-archive:{}", oci.display()), "docker-archive:"),
    ] {
        let inspect = std::process::Command::new("skopeo")
            .args(["inspect", "--raw", &source])
            .output()
            .unwrap();
        assert!(inspect.status.success(), "{source}: {}", describe(&inspect));
        let target = if dest == "oci:" {
            format!("oci:{}:bb", e.file("skopeo-oci").display())
        } else {
            format!(
                "docker-archive:{}:localhost/bb:latest",
                e.file("skopeo-docker.tar").display()
            )
        };
        let copy = std::process::Command::new("skopeo")
            .args(["copy", "-q", &source, &target])
            .output()
            .unwrap();
        assert!(
            copy.status.success(),
            "{source} -> {target}: {}",
            describe(&copy)
        );
    }
    let dst = Engine::new();
    dst.ok(&["load", "-i", e.file("skopeo-docker.tar").to_str().unwrap()]);
    assert_eq!(image_id(&dst, "localhost/bb:latest"), id);
    // The OCI layout skopeo wrote loads, keeping the config skopeo recorded
    // (skopeo may rewrite the config when it converts, so the ID to expect is
    // its config digest, read from the layout).
    let layout = e.file("skopeo-oci");
    let blob = |digest: &str| -> serde_json::Value {
        let hex = digest.trim_start_matches("sha256:");
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap())
            .unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest = blob(index["manifests"][0]["digest"].as_str().unwrap());
    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_string();
    let dst2 = Engine::new();
    dst2.ok(&["load", "-i", layout.to_str().unwrap()]);
    assert_eq!(dst2.ok(&["images", "-q", "--no-trunc"]), config_digest);
    if config_digest != format!("sha256:{id}") {
        eprintln!("skopeo rewrote the config: {config_digest} (was sha256:{id})");
    }
}

/// A crafted single-layer OCI layout in `dir`, with the layer given raw.
fn crafted(dir: &std::path::Path, layer: Vec<u8>, tamper: impl FnOnce(&mut serde_json::Value)) {
    let diff_id = format!("sha256:{}", sha256_hex(&layer));
    let config = image_config_json(&[diff_id], &["sh"]);
    write_oci_layout(
        dir,
        &config,
        &[(layer, "application/vnd.oci.image.layer.v1.tar")],
        tamper,
    );
}

fn refused(e: &Engine, dir: &std::path::Path, needle: &str) {
    let (code, err) = e.fails(&["load", "-i", dir.to_str().unwrap()]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert_eq!(image_count(e), 0, "nothing stored");
    let layers = std::fs::read_dir(e.root().join("storage/layers"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(layers, 0, "no layer stored");
}

#[test]
fn hostile_archives_are_refused_and_nothing_is_stored() {
    let e = Engine::new();
    let ok_layer = tar_with_files(&[("hello", b"world")]);

    let dir = e.file("traversal");
    crafted(&dir, tar_with_files(&[("../escape", b"x")]), |_| {});
    refused(&e, &dir, "unsafe archive entry");

    let dir = e.file("absolute");
    crafted(&dir, tar_with_files(&[("/etc/evil", b"x")]), |_| {});
    refused(&e, &dir, "absolute");

    let dir = e.file("digest");
    crafted(&dir, ok_layer.clone(), |m| {
        m["layers"][0]["digest"] = serde_json::json!(format!("sha256:{}", "ab".repeat(32)));
    });
    refused(&e, &dir, "blob");

    let dir = e.file("size");
    crafted(&dir, ok_layer.clone(), |m| {
        m["layers"][0]["size"] = serde_json::json!(10u64 << 30);
    });
    refused(&e, &dir, "size mismatch");

    let dir = e.file("diffid");
    let config = image_config_json(&[format!("sha256:{}", "cd".repeat(32))], &["sh"]);
    write_oci_layout(
        &dir,
        &config,
        &[(ok_layer.clone(), "application/vnd.oci.image.layer.v1.tar")],
        |_| {},
    );
    refused(&e, &dir, "digest mismatch");

    let dir = e.file("notjson");
    write_oci_layout(
        &dir,
        b"this is not json",
        &[(ok_layer, "application/vnd.oci.image.layer.v1.tar")],
        |_| {},
    );
    refused(&e, &dir, "config is not JSON");

    // A symlink escape: a link to / followed by a file written through it.
    let mut layer = Vec::new();
    {
        let mut b = tar::Builder::new(&mut layer);
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        b.append_link(&mut h, "link", "/").unwrap();
        let mut f = tar::Header::new_ustar();
        f.set_size(1);
        f.set_mode(0o644);
        f.set_uid(0);
        f.set_gid(0);
        f.set_mtime(0);
        b.append_data(&mut f, "link/tmp/rpod-escape", &b"x"[..])
            .unwrap();
        b.finish().unwrap();
    }
    let dir = e.file("symlink");
    crafted(&dir, layer, |_| {});
    refused(&e, &dir, "unsafe archive entry");
    assert!(!std::path::Path::new("/tmp/rpod-escape").exists());
}

#[test]
fn image_config_is_honoured_by_run() {
    let e = Engine::new();
    let layer = std::fs::read(e.busybox_tar()).unwrap();
    let diff_id = format!("sha256:{}", sha256_hex(&layer));
    let config = image_config_json(&[diff_id], &["sh", "-c", "echo $FROM_IMAGE; pwd"]);
    let dir = e.file("layout");
    write_oci_layout(
        &dir,
        &config,
        &[(layer, "application/vnd.oci.image.layer.v1.tar")],
        |_| {},
    );
    e.ok(&["load", "-i", dir.to_str().unwrap()]);
    assert_eq!(e.ok(&["run", "--rm", "crafted"]), "yes\n/srv");
    e.ok(&["create", "--name", "c", "crafted"]);
    assert_eq!(e.inspect_fmt("c", "{{.Config.StopSignal}}"), "10");
    let history = e.ok(&["history", "--format", "{{.CreatedBy}}", "crafted"]);
    assert_eq!(history, "test");
    assert!(e.ok(&["image", "tree", "crafted"]).contains("Image Layers"));
}

/// `save` as podman's: without `-m` the extra arguments are more names
/// for the first image in the archive; with `-m` each is an image, one
/// entry per image whatever the names it is asked by.
#[test]
fn save_extra_names_and_multi_image_archives_as_podman() {
    let b = Both::new();
    let manifest = |e_ours: bool, args: &[&str], file: &str| -> serde_json::Value {
        let path = b.e.file(file);
        let mut full = vec!["save", "-q", "-o", path.to_str().unwrap()];
        full.extend_from_slice(args);
        if e_ours {
            b.e.ok(&full);
        } else {
            b.p.ok(&full);
        }
        let out = std::process::Command::new("tar")
            .args(["-xOf", path.to_str().unwrap(), "manifest.json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let tag = ["tag", "probe", "localhost/second"];
    b.e.ok(&tag);
    b.p.ok(&tag);
    let tags = |m: &serde_json::Value| -> Vec<Vec<String>> {
        m.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let mut v: Vec<String> = e["RepoTags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect();
                v.sort();
                v
            })
            .collect()
    };
    let args = ["localhost/probe:latest", "localhost/extra:t1"];
    assert_eq!(
        tags(&manifest(true, &args, "o1.tar")),
        tags(&manifest(false, &args, "p1.tar"))
    );
    let args = ["-m", "localhost/probe:latest", "localhost/second:latest"];
    let ours = tags(&manifest(true, &args, "o2.tar"));
    assert_eq!(ours, tags(&manifest(false, &args, "p2.tar")));
    // Two names of one image: one entry with both.
    assert_eq!(
        ours,
        [["localhost/probe:latest", "localhost/second:latest"]]
    );
    let (code, err) =
        b.e.fails(&["save", "--compress", "-o", "/dev/null", "probe"]);
    assert_eq!(code, 125);
    assert!(err.contains("docker-dir"), "{err}");
}

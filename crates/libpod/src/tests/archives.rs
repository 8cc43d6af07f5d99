//! Loading images from docker-archive and oci-archive tars built here,
//! into a vfs store under a temporary root, and running a container of one.

use std::io::Cursor;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::support::TestEngine;
use crate::images::NoProgress;
use crate::{ContainerStatus, CreateOptions, Error};

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Appends a regular file to a tar being built.
fn add_file(tar: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(mode);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mtime(1_700_000_000);
    h.set_uid(0);
    h.set_gid(0);
    tar.append_data(&mut h, path, data).unwrap();
}

/// A one-layer root file system: `/bin/hello`, `/etc/passwd`.
fn layer() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    dir.set_uid(0);
    dir.set_gid(0);
    dir.set_mtime(1_700_000_000);
    for d in ["bin/", "etc/"] {
        tar.append_data(&mut dir.clone(), d, std::io::empty())
            .unwrap();
    }
    add_file(&mut tar, "bin/hello", b"#!/bin/sh\necho hello\n", 0o755);
    add_file(
        &mut tar,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\n",
        0o644,
    );
    tar.into_inner().unwrap()
}

fn image_config(layer: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": if cfg!(target_arch = "aarch64") { "arm64" } else { "amd64" },
        "os": "linux",
        "created": "2024-01-02T03:04:05Z",
        "config": {
            "Cmd": ["/bin/hello"],
            "Env": ["PATH=/bin", "GREETING=hi"],
            "Labels": {"made.by": "unit-test"},
            "WorkingDir": "/"
        },
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha256(layer))]},
        "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "test"}]
    }))
    .unwrap()
}

fn docker_archive(tag: &str) -> Vec<u8> {
    let layer = layer();
    let config = image_config(&layer);
    let config_name = format!("{}.json", sha256(&config));
    let layer_name = format!("{}/layer.tar", sha256(&layer));
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_name,
        "RepoTags": [tag],
        "Layers": [layer_name]
    }]))
    .unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    add_file(&mut tar, &config_name, &config, 0o644);
    add_file(&mut tar, &layer_name, &layer, 0o644);
    add_file(&mut tar, "manifest.json", &manifest, 0o644);
    tar.into_inner().unwrap()
}

fn oci_archive(name: &str, gzip: bool) -> Vec<u8> {
    let layer = layer();
    let config = image_config(&layer);
    let (blob, media) = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &layer).unwrap();
        (
            enc.finish().unwrap(),
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )
    } else {
        (layer.clone(), "application/vnd.oci.image.layer.v1.tar")
    };
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{}", sha256(&config)),
            "size": config.len()
        },
        "layers": [{
            "mediaType": media,
            "digest": format!("sha256:{}", sha256(&blob)),
            "size": blob.len()
        }]
    }))
    .unwrap();
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{}", sha256(&manifest)),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": name}
        }]
    }))
    .unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    add_file(
        &mut tar,
        "oci-layout",
        br#"{"imageLayoutVersion":"1.0.0"}"#,
        0o644,
    );
    add_file(&mut tar, "index.json", &index, 0o644);
    for data in [&config, &blob, &manifest] {
        add_file(
            &mut tar,
            &format!("blobs/sha256/{}", sha256(data)),
            data,
            0o644,
        );
    }
    tar.into_inner().unwrap()
}

#[test]
fn a_docker_archive_loads_and_runs() {
    let e = TestEngine::new();
    let loaded =
        e.rt.load_images(
            &mut Cursor::new(docker_archive("localhost/hello:1")),
            &NoProgress,
        )
        .unwrap();
    assert_eq!(loaded, ["localhost/hello:1"]);
    let images = e.rt.images().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].repo_tags, ["localhost/hello:1"]);
    let inspect = e.rt.inspect_image("localhost/hello:1").unwrap();
    let inspect = serde_json::to_value(&inspect).unwrap();
    assert_eq!(inspect["Config"]["Cmd"], json!(["/bin/hello"]));
    assert_eq!(inspect["Labels"]["made.by"], "unit-test");

    // A container of it takes the image's command and environment, and its
    // root file system holds the layer's files.
    let mut c =
        e.rt.create_container(CreateOptions {
            name: Some("hi".into()),
            image: Some("localhost/hello:1".into()),
            network: crate::NetworkMode::None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(c.config().cmd, ["/bin/hello"]);
    assert!(c.config().env.iter().any(|v| v == "GREETING=hi"));
    c.start().unwrap();
    let rootfs = std::path::PathBuf::from(c.state().mount_point.clone().unwrap());
    assert_eq!(
        std::fs::read(rootfs.join("bin/hello")).unwrap(),
        b"#!/bin/sh\necho hello\n"
    );
    assert_eq!(e.fake.container(c.id()).unwrap().args, ["/bin/hello"]);
    c.stop(Some(1)).unwrap();
    assert_eq!(e.reload("hi").status(), ContainerStatus::Exited);

    // The image is in use until its container goes.
    let err = e.rt.remove_image("localhost/hello:1", false).unwrap_err();
    assert!(matches!(err, Error::ImageInUse { .. }), "{err:?}");
    e.rt.container("hi").unwrap().remove(false, None).unwrap();
    e.rt.remove_image("localhost/hello:1", false).unwrap();
    assert!(e.rt.images().unwrap().is_empty());
}

#[test]
fn oci_archives_load_plain_and_gzipped_layers() {
    let e = TestEngine::new();
    let plain =
        e.rt.load_images(
            &mut Cursor::new(oci_archive("localhost/plain:latest", false)),
            &NoProgress,
        )
        .unwrap();
    assert_eq!(plain, ["localhost/plain:latest"]);
    let gz =
        e.rt.load_images(
            &mut Cursor::new(oci_archive("localhost/zipped:latest", true)),
            &NoProgress,
        )
        .unwrap();
    assert_eq!(gz, ["localhost/zipped:latest"]);
    let mut tags: Vec<_> =
        e.rt.images()
            .unwrap()
            .into_iter()
            .flat_map(|i| i.repo_tags)
            .collect();
    tags.sort();
    assert_eq!(tags, ["localhost/plain:latest", "localhost/zipped:latest"]);
    // The archive as a whole may be compressed too.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &docker_archive("localhost/again:2")).unwrap();
    let loaded =
        e.rt.load_images(&mut Cursor::new(enc.finish().unwrap()), &NoProgress)
            .unwrap();
    assert_eq!(loaded, ["localhost/again:2"]);
}

#[test]
fn broken_archives_are_refused_whole() {
    let e = TestEngine::new();
    // No manifest at all.
    let mut tar = tar::Builder::new(Vec::new());
    add_file(&mut tar, "readme", b"not an image", 0o644);
    let err =
        e.rt.load_images(&mut Cursor::new(tar.into_inner().unwrap()), &NoProgress)
            .unwrap_err();
    assert!(err.to_string().contains("neither index.json"), "{err}");
    assert_eq!(err.exit_code(), 125);

    // A layer whose content is not what the config says.
    let mut archive = docker_archive("localhost/bad:1");
    let needle = b"echo hello";
    let at = archive
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    archive[at] = b'E';
    let err =
        e.rt.load_images(&mut Cursor::new(archive), &NoProgress)
            .unwrap_err();
    assert!(!err.to_string().is_empty());
    assert!(e.rt.images().unwrap().is_empty());

    // A path that leaves the archive.
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    {
        let name = b"../escape";
        let old = h.as_old_mut();
        old.name[..name.len()].copy_from_slice(name);
    }
    h.set_cksum();
    tar.append(&h, &b"x"[..]).unwrap();
    let err =
        e.rt.load_images(&mut Cursor::new(tar.into_inner().unwrap()), &NoProgress)
            .unwrap_err();
    assert_eq!(err.exit_code(), 125, "{err:?}");
    assert!(!e.dir.path().join("escape").exists());
}

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::ops::Deref;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::*;
use crate::digest::sha256_hex;
use crate::mountinfo;
use crate::options::ImportOptions;
use crate::testutil::{gzip, single_file_layer, TarBuilder};
use crate::xattr;

/// A store in a temporary directory; mounts below it are detached when dropped, even when an
/// assertion failed half-way.
struct Fixture {
    store: Store,
    tmp: TempDir,
}

impl Fixture {
    fn new(driver: DriverKind) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(StoreOptions {
            root: tmp.path().join("root"),
            run_root: tmp.path().join("run"),
            driver: Some(driver),
            mount_program: None,
        })
        .unwrap();
        Fixture { store, tmp }
    }

    fn options(&self, driver: Option<DriverKind>) -> StoreOptions {
        StoreOptions {
            root: self.tmp.path().join("root"),
            run_root: self.tmp.path().join("run"),
            driver,
            mount_program: None,
        }
    }

    fn import_bytes(&self, tar: &[u8], names: &[&str]) -> Image {
        self.store
            .import(&mut &tar[..], import_options(names))
            .unwrap()
    }

    fn import_layers(&self, layers: &[Vec<u8>], names: &[&str]) -> Image {
        let mut readers: Vec<&[u8]> = layers.iter().map(Vec::as_slice).collect();
        let mut refs: Vec<&mut dyn Read> = readers.iter_mut().map(|r| r as &mut dyn Read).collect();
        self.store
            .import_layers(&mut refs, import_options(names))
            .unwrap()
    }

    fn entries(&self, sub: &str) -> usize {
        fs::read_dir(self.store.root().join(sub)).unwrap().count()
    }

    fn mounts_under(&self, id: &str) -> usize {
        let dir = self.store.root().join(CONTAINERS_DIR).join(id);
        mountinfo::mount_points_under(&dir).unwrap().len()
    }
}

impl Deref for Fixture {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = mountinfo::detach_mounts_under(self.tmp.path());
    }
}

fn import_options(names: &[&str]) -> ImportOptions {
    ImportOptions {
        names: names.iter().map(|n| n.to_string()).collect(),
        ..ImportOptions::default()
    }
}

fn container_id(n: u32) -> String {
    format!("{n:064x}")
}

/// Lower layer: files, a directory, a symlink and a hardlinked pair.
fn lower_layer() -> Vec<u8> {
    let mut tar = TarBuilder::new();
    tar.file("a", b"lower a")
        .file("keep", b"kept")
        .dir("d")
        .file("d/x", b"lower x")
        .symlink("link", "keep")
        .file("pair1", b"pair")
        .hardlink("pair2", "pair1")
        .node("null", tar::EntryType::Char, 1, 3);
    tar.into_bytes()
}

/// Upper layer: deletes `a`, makes `d` opaque, adds files.
fn upper_layer() -> Vec<u8> {
    let mut tar = TarBuilder::new();
    tar.file(".wh.a", b"")
        .dir("d")
        .file("d/.wh..wh..opq", b"")
        .file("d/y", b"upper y")
        .file("new", b"new");
    tar.into_bytes()
}

fn assert_two_layer_view(root: &Path) {
    assert!(!root.join("a").exists(), "whiteout hides the lower file");
    assert_eq!(fs::read(root.join("keep")).unwrap(), b"kept");
    assert_eq!(fs::read(root.join("new")).unwrap(), b"new");
    assert_eq!(fs::read(root.join("d/y")).unwrap(), b"upper y");
    assert!(
        !root.join("d/x").exists(),
        "opaque directory hides lower content"
    );
    assert_eq!(
        fs::read_link(root.join("link")).unwrap(),
        PathBuf::from("keep")
    );
    assert!(fs::symlink_metadata(root.join("null"))
        .unwrap()
        .file_type()
        .is_char_device());
}

#[test]
fn open_creates_the_layout_and_records_the_driver() {
    let fx = Fixture::new(DriverKind::Vfs);
    for sub in [LAYERS_DIR, IMAGES_DIR, BLOBS_DIR, CONTAINERS_DIR, TMP_DIR] {
        assert!(fx.root().join(sub).is_dir(), "{sub}");
    }
    assert!(fx.run_root().is_dir());
    assert_eq!(
        fs::read_to_string(fx.root().join(DRIVER_FILE)).unwrap(),
        "vfs"
    );
    let reopened = Store::open(fx.options(None)).unwrap();
    assert_eq!(reopened.driver(), DriverKind::Vfs);
    let err = Store::open(fx.options(Some(DriverKind::Overlay))).unwrap_err();
    assert!(matches!(err, Error::DriverMismatch { .. }), "{err:?}");
}

#[test]
fn open_detects_a_driver_for_a_new_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(StoreOptions {
        root: tmp.path().join("root"),
        run_root: tmp.path().join("run"),
        driver: None,
        mount_program: None,
    })
    .unwrap();
    let filesystems = fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if filesystems.lines().any(|l| l.ends_with("\toverlay")) {
        assert_eq!(store.driver(), DriverKind::Overlay);
    }
    assert_eq!(fs::read_dir(store.root().join(TMP_DIR)).unwrap().count(), 0);
}

#[test]
fn open_removes_staging_leftovers() {
    let fx = Fixture::new(DriverKind::Vfs);
    let leftover = fx.root().join(TMP_DIR).join("stage-crashed/diff");
    fs::create_dir_all(&leftover).unwrap();
    fs::write(leftover.join("half"), b"x").unwrap();
    Store::open(fx.options(None)).unwrap();
    assert_eq!(fx.entries(TMP_DIR), 0);
}

#[test]
fn open_keeps_leftovers_while_another_process_holds_the_lock() {
    let fx = Fixture::new(DriverKind::Vfs);
    let live = fx.root().join(TMP_DIR).join("stage-live");
    fs::create_dir(&live).unwrap();
    let guard = fx.lock.lock().unwrap();
    Store::open(fx.options(None)).unwrap();
    assert!(live.exists());
    drop(guard);
}

#[test]
fn import_creates_a_single_layer_image() {
    let fx = Fixture::new(DriverKind::Overlay);
    let tar = single_file_layer("hello", b"hello world");
    let opts = ImportOptions {
        names: vec!["hello".into(), "quay.io/x/hello:v1".into()],
        comment: Some("a comment".into()),
        created_by: Some("rpod import".into()),
        ..ImportOptions::default()
    };
    let image = fx.import(&mut &tar[..], opts).unwrap();

    let config_blob = fx.image_config_blob(&image).unwrap();
    assert_eq!(image.id, sha256_hex(&config_blob));
    assert_eq!(
        image.names,
        ["localhost/hello:latest", "quay.io/x/hello:v1"]
    );
    let diff_id = format!("sha256:{}", sha256_hex(&tar));
    assert_eq!(
        image.layers,
        [sha256_hex(&tar)],
        "chain id of a base layer is its diff id"
    );
    assert_eq!(image.size, 11);

    let config = fx.image_config(&image).unwrap();
    assert_eq!(config.rootfs().diff_ids(), &vec![diff_id.clone()]);
    assert_eq!(config.history().len(), 1);
    assert_eq!(config.history()[0].comment().as_deref(), Some("a comment"));
    // Go's RFC 3339 with nanoseconds drops trailing zeros: compare instants.
    let created = config.created().as_deref().expect("created");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(created).unwrap(),
        image.created
    );

    let manifest = fx.image_manifest(&image).unwrap();
    let manifest_blob = fs::read(
        fx.root()
            .join(BLOBS_DIR)
            .join(image.digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    assert_eq!(
        image.digest,
        format!("sha256:{}", sha256_hex(&manifest_blob))
    );
    assert_eq!(
        manifest.config().digest().to_string(),
        format!("sha256:{}", image.id)
    );
    assert_eq!(manifest.layers()[0].digest().to_string(), diff_id);

    let layer = fx.layer(&image.layers[0]).unwrap();
    assert_eq!(layer.diff_id, diff_id);
    assert_eq!(layer.parent, None);
    assert_eq!(layer.size, 11);
    assert_eq!(layer.tar_size, tar.len() as u64);
    let diff = fx
        .root()
        .join(LAYERS_DIR)
        .join(&layer.chain_id)
        .join("diff");
    assert_eq!(fs::read(diff.join("hello")).unwrap(), b"hello world");

    assert_eq!(fx.images().unwrap(), vec![image]);
    assert_eq!(fx.entries(TMP_DIR), 0);
}

#[test]
fn import_of_an_existing_layer_reuses_it() {
    let fx = Fixture::new(DriverKind::Overlay);
    let tar = single_file_layer("f", b"same content");
    let first = fx.import_bytes(&tar, &[]);
    let layer_dir = fx.root().join(LAYERS_DIR).join(&first.layers[0]);
    let inode = fs::metadata(&layer_dir).unwrap().ino();
    let layer_before = fx.layer(&first.layers[0]).unwrap();

    let second = fx.import_bytes(&gzip(&tar), &[]);
    assert_eq!(
        second.layers, first.layers,
        "gzip input gives the same chain id"
    );
    assert_ne!(second.id, first.id, "distinct configs (created differs)");
    assert_eq!(fx.entries(LAYERS_DIR), 1);
    assert_eq!(fs::metadata(&layer_dir).unwrap().ino(), inode);
    assert_eq!(fx.layer(&first.layers[0]).unwrap(), layer_before);
    assert_eq!(fx.entries(TMP_DIR), 0);

    // The shared layer survives the removal of one image, not of both.
    fx.remove_image(&first.id).unwrap();
    assert!(layer_dir.exists());
    fx.remove_image(&second.id).unwrap();
    assert_eq!(fx.entries(LAYERS_DIR), 0);
    assert_eq!(fx.entries(BLOBS_DIR), 0);
    assert_eq!(fx.entries(IMAGES_DIR), 0);
}

#[test]
fn interrupted_import_leaves_nothing() {
    let fx = Fixture::new(DriverKind::Overlay);
    let mut tar = TarBuilder::new();
    for i in 0..20 {
        tar.file(&format!("f{i}"), &vec![i as u8; 20_000]);
    }
    let compressed = tar.into_gzip();
    let truncated = &compressed[..compressed.len() * 2 / 3];
    let err = fx
        .import(&mut &truncated[..], import_options(&["broken"]))
        .unwrap_err();
    assert!(matches!(err, Error::Archive(_)), "{err:?}");
    for sub in [LAYERS_DIR, IMAGES_DIR, BLOBS_DIR, TMP_DIR] {
        assert_eq!(fx.entries(sub), 0, "{sub}");
    }
}

#[test]
fn hostile_import_leaves_nothing() {
    let fx = Fixture::new(DriverKind::Overlay);
    let outside = fx.tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let mut tar = TarBuilder::new();
    tar.file("ok", b"fine")
        .symlink("escape", outside.to_str().unwrap())
        .file("escape/planted", b"evil");
    let err = fx
        .import(&mut &tar.into_bytes()[..], import_options(&[]))
        .unwrap_err();
    assert!(matches!(err, Error::UnsafeArchive { .. }), "{err:?}");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    for sub in [LAYERS_DIR, IMAGES_DIR, TMP_DIR] {
        assert_eq!(fx.entries(sub), 0, "{sub}");
    }
}

#[test]
fn multi_layer_images_chain_their_layers() {
    let fx = Fixture::new(DriverKind::Overlay);
    let (lower, upper) = (lower_layer(), upper_layer());
    let image = fx.import_layers(&[lower.clone(), upper.clone()], &["two"]);
    let bottom = fx.layer(&image.layers[0]).unwrap();
    let top = fx.layer(&image.layers[1]).unwrap();
    assert_eq!(bottom.chain_id, sha256_hex(&lower));
    assert_eq!(top.parent.as_deref(), Some(bottom.chain_id.as_str()));
    assert_eq!(
        top.chain_id,
        sha256_hex(format!("sha256:{} sha256:{}", bottom.chain_id, sha256_hex(&upper)).as_bytes())
    );
    assert_eq!(
        fx.image_config(&image).unwrap().rootfs().diff_ids().len(),
        2
    );
    assert_eq!(fx.image_manifest(&image).unwrap().layers().len(), 2);
}

#[test]
fn overlay_mount_shows_the_merged_image() {
    let fx = Fixture::new(DriverKind::Overlay);
    let image = fx.import_layers(&[lower_layer(), upper_layer()], &["two"]);
    let id = container_id(1);
    fx.create_container(&id, Some(&image.id)).unwrap();
    assert_eq!(
        fx.container(&id).unwrap().image.as_deref(),
        Some(image.id.as_str())
    );
    assert!(!fx.is_mounted(&id).unwrap());

    let merged = fx.mount_container(&id).unwrap();
    assert_eq!(merged, fx.container_mount_point(&id));
    assert!(fx.is_mounted(&id).unwrap());
    assert_two_layer_view(&merged);

    // Idempotent: no second mount stacked on the first.
    assert_eq!(fx.mount_container(&id).unwrap(), merged);
    assert_eq!(fx.mounts_under(&id), 1);

    fs::write(merged.join("written"), vec![0u8; 1000]).unwrap();
    fx.unmount_container(&id).unwrap();
    fx.unmount_container(&id).unwrap();
    assert!(!fx.is_mounted(&id).unwrap());
    assert!(!merged.join("keep").exists());
    // upper holds the new file, the whiteout for nothing else: only the written bytes count.
    assert_eq!(fx.container_rw_size(&id).unwrap(), 1000);

    fx.remove_container(&id).unwrap();
    assert!(!fx.root().join(CONTAINERS_DIR).join(&id).exists());
    assert_eq!(fx.entries(TMP_DIR), 0);
}

#[test]
fn overlay_remove_unmounts_and_busy_mounts_are_detached() {
    let fx = Fixture::new(DriverKind::Overlay);
    let image = fx.import_bytes(&single_file_layer("f", b"data"), &[]);
    let id = container_id(2);
    fx.create_container(&id, Some(&image.id)).unwrap();
    let merged = fx.mount_container(&id).unwrap();
    let busy = fs::File::open(merged.join("f")).unwrap();
    fx.unmount_container(&id).unwrap();
    assert!(!fx.is_mounted(&id).unwrap());
    drop(busy);

    fx.mount_container(&id).unwrap();
    fx.remove_container(&id).unwrap();
    assert_eq!(fx.mounts_under(&id), 0);
    assert!(fx.container_ids().unwrap().is_empty());
    fx.remove_container(&id).unwrap();
}

#[test]
fn overlay_mounts_images_with_many_layers() {
    let fx = Fixture::new(DriverKind::Overlay);
    let layers: Vec<Vec<u8>> = (0..70)
        .map(|i| single_file_layer(&format!("layer{i}"), format!("{i}").as_bytes()))
        .collect();
    let image = fx.import_layers(&layers, &[]);
    assert_eq!(image.layers.len(), 70);
    let id = container_id(3);
    fx.create_container(&id, Some(&image.id)).unwrap();
    let merged = fx.mount_container(&id).unwrap();
    let short_links = fx.root().join(CONTAINERS_DIR).join(&id).join("l");
    assert!(
        short_links.is_dir(),
        "absolute lowerdirs do not fit in a page"
    );
    assert_eq!(fs::read(merged.join("layer0")).unwrap(), b"0");
    assert_eq!(fs::read(merged.join("layer69")).unwrap(), b"69");
    fx.remove_container(&id).unwrap();
}

#[test]
fn overlay_container_without_image_mounts_an_empty_root() {
    let fx = Fixture::new(DriverKind::Overlay);
    let id = container_id(4);
    fx.create_container(&id, None).unwrap();
    let merged = fx.mount_container(&id).unwrap();
    assert_eq!(fs::read_dir(&merged).unwrap().count(), 0);
    fx.remove_container(&id).unwrap();
}

#[test]
fn overlay_upper_takes_the_image_root_mode() {
    let fx = Fixture::new(DriverKind::Overlay);
    let mut tar = TarBuilder::new();
    tar.dir_with("./", 0o711, 1);
    let image = fx.import_bytes(&tar.into_bytes(), &[]);
    let id = container_id(5);
    fx.create_container(&id, Some(&image.id)).unwrap();
    let merged = fx.mount_container(&id).unwrap();
    assert_eq!(fs::metadata(&merged).unwrap().mode() & 0o7777, 0o711);
    fx.remove_container(&id).unwrap();
}

#[test]
fn vfs_copy_applies_layers_like_overlay() {
    let fx = Fixture::new(DriverKind::Vfs);
    let image = fx.import_layers(&[lower_layer(), upper_layer()], &["two"]);
    let id = container_id(6);
    fx.create_container(&id, Some(&image.id)).unwrap();
    let rootfs = fx.mount_container(&id).unwrap();
    assert_eq!(rootfs, fx.container_mount_point(&id));
    assert!(fx.is_mounted(&id).unwrap());
    assert_two_layer_view(&rootfs);
    let pair1 = fs::metadata(rootfs.join("pair1")).unwrap();
    let pair2 = fs::metadata(rootfs.join("pair2")).unwrap();
    assert_eq!(pair1.ino(), pair2.ino(), "hardlinks stay hardlinks");
    assert_eq!(
        xattr::get(&rootfs.join("d"), xattr::OVERLAY_OPAQUE).unwrap(),
        None,
        "overlay xattrs are not copied"
    );
    let lower_layer_dir = fx
        .root()
        .join(LAYERS_DIR)
        .join(&image.layers[0])
        .join("diff");
    assert_eq!(
        fs::read(lower_layer_dir.join("a")).unwrap(),
        b"lower a",
        "the copy never modifies layers"
    );
    // keep + new + d/y + symlink target text + pair (once).
    let expected = 4 + 3 + 7 + 4 + 4;
    assert_eq!(fx.container_rw_size(&id).unwrap(), expected);
    fx.unmount_container(&id).unwrap();
    fx.remove_container(&id).unwrap();
    assert!(!rootfs.exists());
}

#[test]
fn vfs_copy_preserves_owners_modes_times_and_xattrs() {
    let fx = Fixture::new(DriverKind::Vfs);
    let mut tar = TarBuilder::new();
    tar.dir_with("etc", 0o750, 12345)
        .pax(&[("SCHILY.xattr.user.k", b"v")])
        .file_with("etc/shadow", b"s", 0o640, 0, 42)
        .file_with("bin/su", b"su", 0o4755, 0, 0);
    let image = fx.import_bytes(&tar.into_bytes(), &[]);
    let id = container_id(7);
    fx.create_container(&id, Some(&image.id)).unwrap();
    let rootfs = fx.mount_container(&id).unwrap();
    let etc = fs::metadata(rootfs.join("etc")).unwrap();
    assert_eq!((etc.mode() & 0o7777, etc.mtime()), (0o750, 12345));
    let shadow = fs::metadata(rootfs.join("etc/shadow")).unwrap();
    assert_eq!((shadow.mode() & 0o7777, shadow.gid()), (0o640, 42));
    assert_eq!(
        xattr::get(&rootfs.join("etc/shadow"), b"user.k").unwrap(),
        Some(b"v".to_vec())
    );
    assert_eq!(
        fs::metadata(rootfs.join("bin/su")).unwrap().mode() & 0o7777,
        0o4755
    );
}

#[test]
fn remove_image_refuses_while_a_container_uses_it() {
    let fx = Fixture::new(DriverKind::Overlay);
    let image = fx.import_bytes(&single_file_layer("f", b"x"), &["busy"]);
    let id = container_id(8);
    fx.create_container(&id, Some("busy")).unwrap();
    assert_eq!(
        fx.containers_using_image(&image.id).unwrap(),
        vec![id.clone()]
    );
    assert_eq!(
        fx.containers_using_image(&format!("sha256:{}", image.id))
            .unwrap(),
        vec![id.clone()]
    );
    match fx.remove_image(&image.id) {
        Err(Error::ImageInUse {
            id: image_id,
            containers,
        }) => {
            assert_eq!(image_id, image.id);
            assert_eq!(containers, vec![id.clone()]);
        }
        other => panic!("expected ImageInUse, got {other:?}"),
    }
    assert!(fx.lookup_image("busy").is_ok());

    fx.remove_container(&id).unwrap();
    fx.remove_image("busy").unwrap();
    for sub in [LAYERS_DIR, IMAGES_DIR, BLOBS_DIR, TMP_DIR] {
        assert_eq!(fx.entries(sub), 0, "{sub}");
    }
    assert!(matches!(
        fx.lookup_image("busy"),
        Err(Error::ImageNotFound(_))
    ));
}

#[test]
fn lookup_by_id_digest_and_prefix() {
    let fx = Fixture::new(DriverKind::Vfs);
    let mut by_first_char: HashMap<char, Vec<Image>> = HashMap::new();
    let mut images = Vec::new();
    for i in 0..17 {
        let image = fx.import_bytes(&single_file_layer("f", &[i]), &[]);
        by_first_char
            .entry(image.id.chars().next().unwrap())
            .or_default()
            .push(image.clone());
        images.push(image);
    }
    let image = &images[0];
    assert_eq!(&fx.lookup_image(&image.id).unwrap(), image);
    assert_eq!(
        &fx.lookup_image(&format!("sha256:{}", image.id)).unwrap(),
        image
    );
    assert_eq!(&fx.lookup_image(&image.id[..12]).unwrap(), image);
    assert_eq!(
        &fx.lookup_image(&format!("sha256:{}", &image.id[..12]))
            .unwrap(),
        image
    );

    let (shared, group) = by_first_char
        .iter()
        .find(|(_, group)| group.len() > 1)
        .unwrap();
    match fx.lookup_image(&shared.to_string()) {
        Err(Error::AmbiguousImage { candidates, .. }) => {
            assert_eq!(candidates.len(), group.len());
        }
        other => panic!("expected AmbiguousImage, got {other:?}"),
    }
    assert!(matches!(
        fx.lookup_image(&"0".repeat(64)),
        Err(Error::ImageNotFound(_))
    ));
    assert!(matches!(
        fx.lookup_image("sha256:xyz"),
        Err(Error::ImageNotFound(_))
    ));
    assert!(matches!(
        fx.lookup_image("Not/Valid"),
        Err(Error::InvalidReference { .. })
    ));

    let listed = fx.images().unwrap();
    assert_eq!(listed.len(), 17);
    assert!(
        listed.windows(2).all(|w| w[0].created >= w[1].created),
        "newest first"
    );
}

#[test]
fn lookup_by_name_and_short_name() {
    let fx = Fixture::new(DriverKind::Vfs);
    let hub = fx.import_bytes(
        &single_file_layer("f", b"1"),
        &[
            "docker.io/library/busybox:latest",
            "docker.io/library/busybox:1",
        ],
    );
    assert_eq!(fx.lookup_image("busybox").unwrap().id, hub.id);
    assert_eq!(fx.lookup_image("busybox:1").unwrap().id, hub.id);
    assert_eq!(fx.lookup_image("library/busybox").unwrap().id, hub.id);
    assert_eq!(
        fx.lookup_image("docker.io/library/busybox").unwrap().id,
        hub.id
    );
    assert_eq!(
        fx.lookup_image(&format!("busybox@{}", hub.digest))
            .unwrap()
            .id,
        hub.id
    );
    assert!(matches!(
        fx.lookup_image("busybox:2"),
        Err(Error::ImageNotFound(_))
    ));
    assert!(matches!(
        fx.lookup_image("box"),
        Err(Error::ImageNotFound(_))
    ));

    let quay = fx.import_bytes(&single_file_layer("f", b"2"), &["quay.io/foo/busybox"]);
    match fx.lookup_image("busybox") {
        Err(Error::AmbiguousImage { candidates, .. }) => assert_eq!(
            candidates,
            [
                "docker.io/library/busybox:latest",
                "quay.io/foo/busybox:latest"
            ]
        ),
        other => panic!("expected AmbiguousImage, got {other:?}"),
    }
    assert_eq!(fx.lookup_image("foo/busybox").unwrap().id, quay.id);

    // An exact (localhost/) match wins over short-name matches.
    let local = fx.import_bytes(&single_file_layer("f", b"3"), &["busybox"]);
    assert_eq!(local.names, ["localhost/busybox:latest"]);
    assert_eq!(fx.lookup_image("busybox").unwrap().id, local.id);
    assert_eq!(fx.lookup_image("localhost/busybox").unwrap().id, local.id);
}

#[test]
fn tag_moves_names_and_untag_removes_them() {
    let fx = Fixture::new(DriverKind::Vfs);
    let first = fx.import_bytes(&single_file_layer("f", b"1"), &["app:v1"]);
    let second = fx.import_bytes(&single_file_layer("f", b"2"), &[]);

    fx.tag_image(&second.id, "app:v1").unwrap();
    fx.tag_image(&second.id, "quay.io/org/app:v2").unwrap();
    fx.tag_image(&second.id, "app:v1").unwrap();
    assert!(fx.lookup_image(&first.id).unwrap().names.is_empty());
    assert_eq!(
        fx.lookup_image(&second.id).unwrap().names,
        ["localhost/app:v1", "quay.io/org/app:v2"]
    );
    assert_eq!(fx.lookup_image("app:v1").unwrap().id, second.id);

    fx.untag_image(&second.id, "app:v2").unwrap(); // short name of quay.io/org/app:v2
    fx.untag_image(&second.id, "localhost/app:v1").unwrap();
    assert!(fx.lookup_image(&second.id).unwrap().names.is_empty());
    assert!(matches!(
        fx.untag_image(&second.id, "app:v1"),
        Err(Error::NameNotFound { .. })
    ));
    let digest_name = format!("app@sha256:{}", "a".repeat(64));
    assert!(matches!(
        fx.tag_image(&second.id, &digest_name),
        Err(Error::InvalidReference { .. })
    ));
    assert!(matches!(
        fx.tag_image(&second.id, "Bad Name"),
        Err(Error::InvalidReference { .. })
    ));
}

#[test]
fn container_bookkeeping() {
    let fx = Fixture::new(DriverKind::Overlay);
    let image = fx.import_bytes(&single_file_layer("f", b"x"), &["img"]);
    let (a, b) = (container_id(20), container_id(10));
    fx.create_container(&a, Some("img")).unwrap();
    fx.create_container(&b, None).unwrap();
    assert!(matches!(
        fx.create_container(&a, Some(&image.id)),
        Err(Error::ContainerExists(_))
    ));
    assert!(matches!(
        fx.create_container("../escape", None),
        Err(Error::InvalidContainerId(_))
    ));
    assert!(matches!(
        fx.create_container("c", Some("missing")),
        Err(Error::ImageNotFound(_))
    ));
    assert_eq!(fx.container_ids().unwrap(), [b.clone(), a.clone()]);
    assert_eq!(fx.container(&b).unwrap().image, None);
    assert_eq!(fx.containers().unwrap().len(), 2);
    assert_eq!(fx.container_rw_size(&a).unwrap(), 0);
    assert!(matches!(
        fx.container_rw_size("unknown"),
        Err(Error::ContainerNotFound(_))
    ));
    assert!(matches!(
        fx.mount_container("unknown"),
        Err(Error::ContainerNotFound(_))
    ));
    assert!(!fx.is_mounted("unknown").unwrap());
    fx.unmount_container("unknown").unwrap();
    fx.remove_container("unknown").unwrap();
    assert_eq!(fx.entries(TMP_DIR), 0);
}

#[test]
fn du_is_exported_for_rootfs_containers() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("f"), b"12345").unwrap();
    assert_eq!(crate::du(tmp.path()).unwrap(), 5);
}

#[test]
fn store_and_errors_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Store>();
    assert_send_sync::<Error>();
}

/// An image given as blobs: a gzip layer, its config and manifest; files staged in the store.
fn new_image(
    fx: &Fixture,
    layer_tar: &[u8],
    tamper: impl FnOnce(&mut serde_json::Value),
) -> NewImage {
    let blob = gzip(layer_tar);
    let diff_id = format!("sha256:{}", sha256_hex(layer_tar));
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{}", sha256_hex(&config)), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": format!("sha256:{}", sha256_hex(&blob)), "size": blob.len()}],
    });
    tamper(&mut manifest);
    let staged = fx
        .store
        .root()
        .join("tmp")
        .join(format!("blob-{}", sha256_hex(&blob)));
    fs::write(&staged, &blob).unwrap();
    NewImage {
        manifest: serde_json::to_vec(&manifest).unwrap(),
        config,
        layer_files: vec![Some(staged)],
        names: vec!["example.com/blobs:1".into()],
    }
}

#[test]
fn put_image_keeps_blobs_for_save_and_push() {
    let fx = Fixture::new(DriverKind::Vfs);
    let layer = single_file_layer("hello", b"world");
    let new = new_image(&fx, &layer, |_| {});
    let manifest_digest = format!("sha256:{}", sha256_hex(&new.manifest));
    let image = fx.store.put_image(new, &mut |_| {}).unwrap();
    assert_eq!(image.digest, manifest_digest);
    assert_eq!(image.names, vec!["example.com/blobs:1"]);
    let manifest = fx.store.image_manifest(&image).unwrap();
    let blob = fx
        .store
        .blob_path(manifest.layers()[0].digest().as_ref())
        .unwrap();
    assert_eq!(fs::read(blob).unwrap(), gzip(&layer));
    // Imported images keep their uncompressed layer as the blob of their diff ID.
    let imported = fx.import_bytes(&single_file_layer("x", b"y"), &["imp"]);
    let m = fx.store.image_manifest(&imported).unwrap();
    assert!(fx.store.blob_path(m.layers()[0].digest().as_ref()).is_ok());
    // Removing the image removes its layer blob too.
    fx.store.remove_image(&image.id).unwrap();
    assert!(fx
        .store
        .blob_path(manifest.layers()[0].digest().as_ref())
        .is_err());
}

#[test]
fn put_image_refuses_inconsistent_blobs_and_stores_nothing() {
    let fx = Fixture::new(DriverKind::Vfs);
    let layer = single_file_layer("hello", b"world");
    type Tamper = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(Tamper, &str)> = vec![
        (
            Box::new(|m| m["layers"][0]["size"] = serde_json::json!(10u64 << 30)),
            "size mismatch",
        ),
        (
            Box::new(|m| {
                m["layers"][0]["digest"] = serde_json::json!(format!("sha256:{}", "ab".repeat(32)))
            }),
            "digest mismatch",
        ),
        (
            Box::new(|m| m["config"]["size"] = serde_json::json!(3)),
            "config",
        ),
    ];
    for (tamper, needle) in cases {
        let new = new_image(&fx, &layer, tamper);
        let err = fx
            .store
            .put_image(new, &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(fx.store.images().unwrap().is_empty());
        assert_eq!(fx.entries("layers"), 0, "{needle}");
    }
    let err = check_image(b"{}", b"not json").unwrap_err().to_string();
    assert!(err.contains("manifest"), "{err}");
}

//! The [`Store`]: opening, layout and the shared plumbing of image and container operations.

mod build;
mod commit;
mod containers;
mod images;
mod ingest;
#[cfg(test)]
mod tests;

pub use build::{BuildCommit, BuildLayers};
pub use ingest::{
    chain_ids, check_image, CheckedImage, NewImage, Staging, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE,
};

use std::fs::{self, DirBuilder};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::blob::BlobStore;
use crate::container::ContainerStore;
use crate::driver::{self, Driver, DriverKind};
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::image::{Image, ImageStore};
use crate::layer::LayerStore;
use crate::lock::StoreLock;
use crate::options::StoreOptions;

const LAYERS_DIR: &str = "layers";
const IMAGES_DIR: &str = "images";
const BLOBS_DIR: &str = "blobs/sha256";
const CONTAINERS_DIR: &str = "containers";
const TMP_DIR: &str = "tmp";
const LOCK_FILE: &str = "storage.lock";
const DRIVER_FILE: &str = "storage-driver";

/// An image store rooted at a directory.
///
/// Layout below the root:
///
/// * `layers/<chain-id>/diff/` extracted layer content (overlay format) and
///   `layers/<chain-id>/layer.json` ([`crate::Layer`]);
/// * `images/<image-id>.json` ([`Image`]);
/// * `blobs/sha256/<hex>` image configs and manifests;
/// * `containers/<id>/container.json` ([`crate::Container`]) plus the driver's directories
///   (overlay: `upper/`, `work/`, `merged/`; vfs: `rootfs/`);
/// * `tmp/` staging area: layers and containers are assembled there and renamed into place
///   when complete, and removed objects are renamed there before deletion;
/// * `storage-driver` the driver chosen when the store was first opened;
/// * `storage.lock` an exclusive `flock` held by every mutation.
///
/// Reads take no lock: every metadata file is replaced atomically, and an image record is
/// written only after its layers and blobs exist (and removed before them), so a process killed
/// at any point leaves no image referring to a missing layer and no half layer visible.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    run_root: PathBuf,
    tmp: PathBuf,
    lock: StoreLock,
    driver: Box<dyn Driver>,
    layers: LayerStore,
    images: ImageStore,
    blobs: BlobStore,
    containers: ContainerStore,
}

impl Store {
    /// Opens (creating if needed) the store described by `opts`.
    ///
    /// Cheap enough for every CLI command: it creates missing directories, reads the recorded
    /// driver and, only if `tmp/` is not empty and no other process holds the lock, removes
    /// what an interrupted process left there. The driver is detected only when a store is
    /// first created.
    pub fn open(opts: StoreOptions) -> Result<Store> {
        let root = create_private_dir(&opts.root)?;
        let run_root = create_private_dir(&opts.run_root)?;
        for sub in [LAYERS_DIR, IMAGES_DIR, BLOBS_DIR, CONTAINERS_DIR, TMP_DIR] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).at("create directory", &dir)?;
        }
        let tmp = root.join(TMP_DIR);
        let lock = StoreLock::new(&root.join(LOCK_FILE));
        let kind = resolve_driver(&root, &tmp, opts.driver, &lock)?;
        remove_leftovers(&tmp, &[root.join(IMAGES_DIR)], &lock)?;
        Ok(Store {
            driver: driver::new_driver(kind, opts.mount_program.clone()),
            layers: LayerStore::new(root.join(LAYERS_DIR), tmp.clone()),
            images: ImageStore::new(root.join(IMAGES_DIR)),
            blobs: BlobStore::new(root.join(BLOBS_DIR)),
            containers: ContainerStore::new(root.join(CONTAINERS_DIR)),
            root,
            run_root,
            tmp,
            lock,
        })
    }

    /// The storage driver in use.
    pub fn driver(&self) -> DriverKind {
        self.driver.kind()
    }

    /// The (canonical) store root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The (canonical) run root.
    pub fn run_root(&self) -> &Path {
        &self.run_root
    }

    /// The diff directories of an image's layers, bottom first.
    fn layer_dirs(&self, image: &Image) -> Result<Vec<PathBuf>> {
        image
            .layers
            .iter()
            .map(|chain_id| {
                let dir = self.layers.diff_dir(chain_id)?;
                match fs::symlink_metadata(&dir) {
                    Ok(meta) if meta.is_dir() => Ok(dir),
                    _ => Err(Error::LayerNotFound(chain_id.clone())),
                }
            })
            .collect()
    }
}

/// Creates `path` (mode 0700 for new directories) and returns its canonical form.
fn create_private_dir(path: &Path) -> Result<PathBuf> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .at("create directory", path)?;
    fs::canonicalize(path).at("resolve", path)
}

/// The driver recorded in the store; for a new store the requested one, else the detected one.
fn resolve_driver(
    root: &Path,
    tmp: &Path,
    requested: Option<DriverKind>,
    lock: &StoreLock,
) -> Result<DriverKind> {
    let file = root.join(DRIVER_FILE);
    let check = |stored: DriverKind| match requested {
        Some(requested) if requested != stored => Err(Error::DriverMismatch {
            root: root.to_path_buf(),
            stored,
            requested,
        }),
        _ => Ok(stored),
    };
    if let Some(stored) = read_driver_file(&file)? {
        return check(stored);
    }
    let _guard = lock.lock()?;
    if let Some(stored) = read_driver_file(&file)? {
        return check(stored);
    }
    let kind = requested.unwrap_or_else(|| driver::detect(tmp));
    fsutil::atomic_write(&file, kind.as_str().as_bytes())?;
    Ok(kind)
}

fn read_driver_file(file: &Path) -> Result<Option<DriverKind>> {
    match fs::read_to_string(file) {
        Ok(text) => text.trim().parse().map(Some),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).at("read", file),
    }
}

/// Removes staging leftovers of interrupted processes. Skipped while another process holds
/// the lock, since its staging directories are live.
/// Also removes, from each of `record_dirs`, the temporary files of
/// records whose atomic write was interrupted (`.NAME.tmp-…`): a process
/// killed while storing an image also leaves its staging directory in
/// `tmp/`, so they are swept together.
fn remove_leftovers(
    tmp: &Path,
    record_dirs: &[std::path::PathBuf],
    lock: &StoreLock,
) -> Result<()> {
    let mut entries = fs::read_dir(tmp).at("read directory", tmp)?;
    if entries.next().is_none() {
        return Ok(());
    }
    let Some(_guard) = lock.try_lock()? else {
        return Ok(());
    };
    for entry in fs::read_dir(tmp).at("read directory", tmp)? {
        fsutil::remove_tree(&entry.at("read directory", tmp)?.path())?;
    }
    for dir in record_dirs {
        for entry in fs::read_dir(dir).at("read directory", dir)?.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.contains(".tmp-") {
                let path = entry.path();
                fs::remove_file(&path).at("remove", &path)?;
            }
        }
    }
    Ok(())
}

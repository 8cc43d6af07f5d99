//! Image commits for builds: the caller writes the whole config (Docker's extensions such as
//! `Healthcheck` included), the base may be no image at all (`FROM scratch`), the step may add
//! no layer (ENV, LABEL, …), the manifest may be Docker's, and layer times may be clamped
//! (`--timestamp`) so that the same input gives the same image ID.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Store;
use crate::archive::pack::Packer;
use crate::archive::DirHandle;
use crate::changes::{copy_changes, ChangeKind, LowerView};
use crate::digest::SHA256_PREFIX;
use crate::error::{Error, IoContext, Result};
use crate::fsutil::StagingDir;
use crate::image::Image;
use crate::layer::Layer;

/// What [`Store::commit_build`] makes.
#[derive(Debug, Clone, Default)]
pub struct BuildCommit {
    /// The image the new one extends; `None` for no layers below (`scratch`).
    pub base: Option<String>,
    /// Only the first N layers of `base` (a step inside an image, as a build cache source
    /// gives it); `None` for all of them. Not with `container` or `squash_tree`.
    pub base_layers: Option<usize>,
    /// The container whose changes (against `base`) make the new top layer; `None` for a
    /// step that adds no layer.
    pub container: Option<String>,
    /// Names for the new image.
    pub names: Vec<String>,
    /// The image's creation time (also recorded in the store).
    pub created: Option<DateTime<Utc>>,
    /// Clamp every modification time in the new layer to this (seconds since the epoch).
    pub clamp_mtime: Option<u64>,
    /// Docker's manifest and config media types instead of OCI's.
    pub docker: bool,
    /// Manifest annotations.
    pub annotations: Vec<(String, String)>,
    /// A complete root file system (a mounted container of the image being squashed): the
    /// new layer is its difference from `base` (deletions as whiteouts). Used without
    /// `container`.
    pub squash_tree: Option<std::path::PathBuf>,
}

/// The layers of an image under construction, given to the config writer.
#[derive(Debug, Clone)]
pub struct BuildLayers {
    /// Diff IDs of the base's layers plus the new one, bottom first.
    pub diff_ids: Vec<String>,
    /// The new layer's diff ID, if the step added one.
    pub new_diff_id: Option<String>,
}

impl Store {
    /// Commits a build step. `config` gets the resulting layer list and returns the image
    /// config JSON (its `rootfs.diff_ids` must be the given list).
    pub fn commit_build(
        &self,
        opts: BuildCommit,
        config: impl FnOnce(&BuildLayers) -> std::result::Result<Vec<u8>, String>,
    ) -> Result<Image> {
        let mut base = match &opts.base {
            Some(id) => Some(
                self.images
                    .find(id)?
                    .ok_or_else(|| Error::ImageNotFound(id.clone()))?,
            ),
            None => None,
        };
        if let (Some(b), Some(n)) = (base.as_mut(), opts.base_layers) {
            if n > b.layers.len() || opts.container.is_some() || opts.squash_tree.is_some() {
                return Err(Error::InvalidImage(format!(
                    "image {} has {} layers: cannot build on its first {n} with new changes",
                    b.id,
                    b.layers.len()
                )));
            }
            b.layers.truncate(n);
        }
        let names = opts
            .names
            .iter()
            .map(|n| super::images::assignable_name(n))
            .collect::<Result<Vec<_>>>()?;
        let staging = StagingDir::new(&self.tmp)?;
        let mut layer_file = None;
        if let Some(id) = &opts.container {
            let dir = self.containers.container_dir(id)?;
            let tar_path = staging.path().join("layer.tar");
            let mut file = new_file(&tar_path)?;
            let lower = base.clone().unwrap_or_else(|| Image {
                id: String::new(),
                names: Vec::new(),
                digest: String::new(),
                layers: Vec::new(),
                created: Utc::now(),
                size: 0,
                repo_digests: Vec::new(),
            });
            self.write_layer_tar(&dir, lower, &mut file)?;
            file.seek(SeekFrom::Start(0)).at("seek", &tar_path)?;
            if let Some(ts) = opts.clamp_mtime {
                let clamped_path = staging.path().join("clamped.tar");
                let mut out = new_file(&clamped_path)?;
                clamp_times(&mut file, &mut out, ts)?;
                out.seek(SeekFrom::Start(0)).at("seek", &clamped_path)?;
                file = out;
            }
            layer_file = Some(file);
        } else if let Some(tree) = &opts.squash_tree {
            let tar_path = staging.path().join("layer.tar");
            let mut file = new_file(&tar_path)?;
            let lower_dirs = match &base {
                Some(b) => self.layer_dirs(b)?,
                None => Vec::new(),
            };
            write_tree_diff(tree, &lower_dirs, &mut file)?;
            file.seek(SeekFrom::Start(0)).at("seek", &tar_path)?;
            if let Some(ts) = opts.clamp_mtime {
                let clamped_path = staging.path().join("clamped.tar");
                let mut out = new_file(&clamped_path)?;
                clamp_times(&mut file, &mut out, ts)?;
                out.seek(SeekFrom::Start(0)).at("seek", &clamped_path)?;
                file = out;
            }
            layer_file = Some(file);
        }

        let _guard = self.lock.lock()?;
        let parents: Vec<Layer> = match &base {
            Some(b) => b
                .layers
                .iter()
                .map(|chain_id| self.layers.get(chain_id))
                .collect::<Result<_>>()?,
            None => Vec::new(),
        };
        let mut all_layers = parents;
        let mut new_diff_id = None;
        if let Some(mut file) = layer_file {
            let layer = self.layers.put(&mut file, all_layers.last(), &self.blobs)?;
            new_diff_id = Some(layer.diff_id.clone());
            all_layers.push(layer);
        }
        let layers = BuildLayers {
            diff_ids: all_layers.iter().map(|l| l.diff_id.clone()).collect(),
            new_diff_id,
        };
        let config = config(&layers)
            .map_err(|e| Error::Archive(std::io::Error::other(format!("image config: {e}"))))?;
        let config_hex = self.blobs.put(&config)?;
        let manifest = build_manifest(
            &config,
            &config_hex,
            &all_layers,
            opts.docker,
            &opts.annotations,
        )?;
        let manifest_hex = self.blobs.put(&manifest)?;
        let created = opts.created.unwrap_or_else(Utc::now);
        let mut image = match self.images.find(&config_hex)? {
            Some(existing) => existing,
            None => Image {
                id: config_hex,
                names: Vec::new(),
                digest: format!("{SHA256_PREFIX}{manifest_hex}"),
                layers: all_layers.iter().map(|l| l.chain_id.clone()).collect(),
                created,
                size: all_layers.iter().map(|l| l.size).sum(),
                repo_digests: Vec::new(),
            },
        };
        self.assign_names(&mut image, &names)?;
        self.images.save(&image)?;
        Ok(image)
    }
}

/// Writes the difference between the full tree `tree` and the merged `lower` layers as a
/// layer tar (whiteouts for what `tree` lacks).
fn write_tree_diff(tree: &Path, lower: &[PathBuf], out: &mut File) -> Result<()> {
    let view = LowerView::new(lower)?;
    let root = DirHandle::open(tree)?;
    let mut packer = Packer::new(BufWriter::new(&mut *out), true);
    for change in copy_changes(tree, &view)? {
        let rel = Path::new(change.path.trim_start_matches('/'));
        if change.kind == ChangeKind::Deleted {
            packer.whiteout(rel)?;
            continue;
        }
        let Some(name) = rel.file_name() else {
            continue;
        };
        let parent = open_below(&root, rel.parent().unwrap_or(Path::new("")))?;
        if let Some(meta) = parent.lstat(name)? {
            packer.entry(&parent, name, rel, &meta, false)?;
        }
    }
    packer.finish()?;
    out.flush().at("write", tree)
}

/// Opens the directory `rel` below `root`, one component at a time, never following a
/// symlink.
fn open_below(root: &DirHandle, rel: &Path) -> Result<DirHandle> {
    let mut dir = root.try_clone()?;
    for component in rel.components() {
        if let Component::Normal(name) = component {
            dir = dir
                .open_child_dir(OsStr::new(name))
                .at("open directory", &dir.display_child(name))?;
        }
    }
    Ok(dir)
}

fn new_file(path: &std::path::Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .at("create", path)
}

/// Copies a tar stream with every modification time above `ts` set to `ts`.
fn clamp_times(input: &mut File, out: &mut File, ts: u64) -> Result<()> {
    let mut archive = tar::Archive::new(&mut *input);
    let mut builder = tar::Builder::new(BufWriter::new(&mut *out));
    for entry in archive.entries().map_err(Error::Archive)? {
        let mut entry = entry.map_err(Error::Archive)?;
        let mut header = entry.header().clone();
        if header.mtime().map_err(Error::Archive)? > ts {
            header.set_mtime(ts);
        }
        let path = entry.path_bytes().into_owned();
        let link = entry.link_name_bytes().map(|l| l.into_owned());
        let mut exts: Vec<(String, Vec<u8>)> = Vec::new();
        if let Some(pax) = entry.pax_extensions().map_err(Error::Archive)? {
            for ext in pax {
                let ext = ext.map_err(Error::Archive)?;
                if let Ok(key) = ext.key() {
                    if key != "path" && key != "linkpath" && key != "mtime" {
                        exts.push((key.to_string(), ext.value_bytes().to_vec()));
                    }
                }
            }
        }
        if !exts.is_empty() {
            builder
                .append_pax_extensions(exts.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .map_err(Error::Archive)?;
        }
        if let Some(link) = link {
            builder
                .append_link(
                    &mut header,
                    std::str::from_utf8(&path).unwrap_or("_"),
                    std::str::from_utf8(&link).unwrap_or("_"),
                )
                .map_err(Error::Archive)?;
        } else {
            builder
                .append_data(
                    &mut header,
                    std::str::from_utf8(&path).unwrap_or("_"),
                    &mut entry,
                )
                .map_err(Error::Archive)?;
        }
    }
    builder
        .into_inner()
        .and_then(|mut w| w.flush())
        .map_err(Error::Archive)
}

/// The manifest JSON for uncompressed layers, OCI's or Docker's schema 2.
fn build_manifest(
    config: &[u8],
    config_hex: &str,
    layers: &[Layer],
    docker: bool,
    annotations: &[(String, String)],
) -> Result<Vec<u8>> {
    let (manifest_type, config_type, layer_type) = if docker {
        (
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar",
        )
    } else {
        (
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar",
        )
    };
    let mut value = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": {
            "mediaType": config_type,
            "digest": format!("{SHA256_PREFIX}{config_hex}"),
            "size": config.len(),
        },
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": layer_type,
            "digest": l.diff_id,
            "size": l.tar_size,
        })).collect::<Vec<_>>(),
    });
    if !annotations.is_empty() {
        let map: serde_json::Map<String, serde_json::Value> = annotations
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        value["annotations"] = serde_json::Value::Object(map);
    }
    serde_json::to_vec(&value).map_err(|e| Error::Archive(std::io::Error::other(e)))
}

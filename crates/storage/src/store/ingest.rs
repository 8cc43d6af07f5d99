//! Storing images that come as blobs (a registry pull, an archive load) and reading blobs back
//! (push, save).
//!
//! Every check happens before anything is visible: the config must be JSON with one diff ID
//! per manifest layer, the config and each layer blob must have the digest and size the
//! manifest declares, and each layer's uncompressed content the diff ID the config lists.
//! Layers are extracted in staging directories and the image record is written last, so a
//! refused or interrupted transfer leaves no image behind.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use oci_spec::image::{ImageConfiguration, ImageManifest};

use super::images::assignable_name;
use super::Store;
use crate::digest::{chain_id, sha256_hex, HashingReader, SHA256_PREFIX};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::StagingDir;
use crate::image::Image;
use crate::layer::{check_blob, Layer, LayerExpect};

/// Layer media types that can be stored (plain, gzip or zstd tar; OCI and Docker names).
const LAYER_MEDIA_TYPES: &[&str] = &[
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
];

/// Largest image config accepted (configs are small JSON documents).
pub const MAX_CONFIG_SIZE: u64 = 8 << 20;
/// Largest manifest accepted.
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// A directory below the store's `tmp/` for downloads and unpacked archives; removed when
/// dropped (and by the next [`Store::open`] after a crash).
#[derive(Debug)]
pub struct Staging {
    dir: StagingDir,
}

impl Staging {
    /// The directory (on the store's filesystem, so files can be renamed into the store).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// An image given as its manifest, its config and its layer blobs.
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    /// The image manifest (OCI or Docker v2 schema 2) exactly as received.
    pub manifest: Vec<u8>,
    /// The config blob exactly as received.
    pub config: Vec<u8>,
    /// One entry per manifest layer, bottom first: the file holding the blob, or `None` when
    /// [`Store::layer_reusable`] said the store already has it.
    pub layer_files: Vec<Option<PathBuf>>,
    /// Names to give the image (normalised; moved away from images that had them).
    pub names: Vec<String>,
}

/// A parsed and cross-checked manifest + config pair.
#[derive(Debug, Clone)]
pub struct CheckedImage {
    /// The manifest.
    pub manifest: ImageManifest,
    /// The config.
    pub config: ImageConfiguration,
    /// The diff IDs of the layers, bottom first.
    pub diff_ids: Vec<String>,
}

/// Parses a manifest and its config and checks that they agree with each other: the config is
/// JSON, has the digest and size the manifest declares, and lists one diff ID per layer of a
/// supported media type.
pub fn check_image(manifest: &[u8], config: &[u8]) -> Result<CheckedImage> {
    if manifest.len() as u64 > MAX_MANIFEST_SIZE {
        return Err(Error::InvalidImage(format!(
            "manifest of {} bytes exceeds the limit of {MAX_MANIFEST_SIZE}",
            manifest.len()
        )));
    }
    let parsed: ImageManifest = serde_json::from_slice(manifest)
        .map_err(|e| Error::InvalidImage(format!("manifest is not an image manifest: {e}")))?;
    let declared = parsed.config();
    check_blob(
        declared.digest().as_ref(),
        declared.size(),
        &format!("{SHA256_PREFIX}{}", sha256_hex(config)),
        config.len() as u64,
    )
    .map_err(|e| Error::InvalidImage(format!("config: {e}")))?;
    serde_json::from_slice::<serde_json::Value>(config)
        .map_err(|e| Error::InvalidImage(format!("config is not JSON: {e}")))?;
    let parsed_config = parse_config(config)?;
    let diff_ids = parsed_config.rootfs().diff_ids().clone();
    if diff_ids.len() != parsed.layers().len() {
        return Err(Error::InvalidImage(format!(
            "the manifest lists {} layers but the config {} diff IDs",
            parsed.layers().len(),
            diff_ids.len()
        )));
    }
    for layer in parsed.layers() {
        let media_type = layer.media_type().to_string();
        if !LAYER_MEDIA_TYPES.contains(&media_type.as_str()) {
            return Err(Error::InvalidImage(format!(
                "layer {}: unsupported media type {media_type}",
                layer.digest()
            )));
        }
        if !layer.digest().to_string().starts_with(SHA256_PREFIX) {
            return Err(Error::InvalidImage(format!(
                "layer {}: only sha256 digests are supported",
                layer.digest()
            )));
        }
    }
    for diff_id in &diff_ids {
        if !diff_id.starts_with(SHA256_PREFIX) {
            return Err(Error::InvalidImage(format!("invalid diff ID {diff_id}")));
        }
    }
    Ok(CheckedImage {
        manifest: parsed,
        config: parsed_config,
        diff_ids,
    })
}

/// Parses an image config, tolerating the fields the OCI spec makes optional but `oci-spec`
/// requires (`history`).
pub(crate) fn parse_config(config: &[u8]) -> Result<ImageConfiguration> {
    let mut value: serde_json::Value = serde_json::from_slice(config)
        .map_err(|e| Error::InvalidImage(format!("config is not JSON: {e}")))?;
    if let Some(object) = value.as_object_mut() {
        object
            .entry("history")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_value(value)
        .map_err(|e| Error::InvalidImage(format!("config is not an image config: {e}")))
}

/// The chain IDs (hex) of layers with `diff_ids`, bottom first.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut chains: Vec<String> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let next = chain_id(chains.last().map(String::as_str), diff_id);
        chains.push(next);
    }
    chains
}

impl Store {
    /// A fresh staging directory for downloads or unpacked archives.
    pub fn staging(&self) -> Result<Staging> {
        Ok(Staging {
            dir: StagingDir::new(&self.tmp)?,
        })
    }

    /// True when layer `index` of an image with `diff_ids` is extracted and its blob
    /// `blob_digest` stored, so that it need not be fetched again.
    pub fn layer_reusable(
        &self,
        diff_ids: &[String],
        index: usize,
        blob_digest: &str,
    ) -> Result<bool> {
        if index >= diff_ids.len() {
            return Ok(false);
        }
        let Some(chain) = chain_ids(&diff_ids[..=index]).pop() else {
            return Ok(false);
        };
        let Some(hex) = blob_digest.strip_prefix(SHA256_PREFIX) else {
            return Ok(false);
        };
        Ok(self.layers.find(&chain)?.is_some() && self.blobs.has(hex)?)
    }

    /// Stores an image given as blobs, after checking everything (see the module docs).
    /// `on_layer` is called after each layer is stored, with its index.
    pub fn put_image(&self, new: NewImage, on_layer: &mut dyn FnMut(usize)) -> Result<Image> {
        let checked = check_image(&new.manifest, &new.config)?;
        let names = new
            .names
            .iter()
            .map(|name| assignable_name(name))
            .collect::<Result<Vec<_>>>()?;
        let descriptors = checked.manifest.layers();
        if new.layer_files.len() != descriptors.len() {
            return Err(Error::InvalidImage(format!(
                "{} layer blobs given for {} manifest layers",
                new.layer_files.len(),
                descriptors.len()
            )));
        }
        let _guard = self.lock.lock()?;
        let mut layers: Vec<Layer> = Vec::with_capacity(descriptors.len());
        for (index, (descriptor, file)) in descriptors.iter().zip(&new.layer_files).enumerate() {
            let digest = descriptor.digest().to_string();
            let hex = digest.trim_start_matches(SHA256_PREFIX).to_string();
            let expect = LayerExpect {
                digest: &digest,
                size: descriptor.size(),
                diff_id: &checked.diff_ids[index],
            };
            let chain = chain_id(
                layers.last().map(|l| l.chain_id.as_str()),
                &checked.diff_ids[index],
            );
            let existing = self.layers.find(&chain)?;
            let layer = match (existing, file) {
                (Some(layer), None) if self.blobs.has(&hex)? => layer,
                (_, None) => return Err(Error::BlobNotFound(digest.clone())),
                (Some(layer), Some(path)) => {
                    verify_file(path, &expect)?;
                    self.blobs.put_file(path, &hex)?;
                    layer
                }
                (None, Some(path)) => {
                    let mut blob = File::open(path).at("open", path)?;
                    let layer = self
                        .layers
                        .put_verified(&mut blob, layers.last(), &expect)?;
                    self.blobs.put_file(path, &hex)?;
                    layer
                }
            };
            layers.push(layer);
            on_layer(index);
        }
        let config_hex = self.blobs.put(&new.config)?;
        let manifest_hex = self.blobs.put(&new.manifest)?;
        let created = checked
            .config
            .created()
            .as_deref()
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
            .map(|c| c.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        let mut image = match self.images.find(&config_hex)? {
            Some(existing) => existing,
            None => Image {
                id: config_hex,
                names: Vec::new(),
                digest: String::new(),
                layers: layers.iter().map(|l| l.chain_id.clone()).collect(),
                created,
                size: layers.iter().map(|l| l.size).sum(),
                repo_digests: Vec::new(),
            },
        };
        image.digest = format!("{SHA256_PREFIX}{manifest_hex}");
        self.assign_names(&mut image, &names)?;
        self.images.save(&image)?;
        Ok(image)
    }

    /// The file of a stored blob (`sha256:<hex>`): layer blobs, configs, manifests.
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        let hex = digest
            .strip_prefix(SHA256_PREFIX)
            .ok_or_else(|| Error::BlobNotFound(digest.to_string()))?;
        self.blobs.file_path(hex)
    }

    /// The image's manifest exactly as stored (its sha256 is the image digest).
    pub fn image_manifest_blob(&self, image: &Image) -> Result<Vec<u8>> {
        self.blobs.get(image.manifest_hex())
    }
}

/// Hashes a blob file and checks it against the declared digest and size.
fn verify_file(path: &Path, expect: &LayerExpect<'_>) -> Result<()> {
    let file = File::open(path).at("open", path)?;
    let mut reader = HashingReader::new(file);
    std::io::copy(&mut reader, &mut std::io::sink()).at("read", path)?;
    let (actual, size) = reader.finish();
    check_blob(expect.digest, expect.size, &actual, size)
}

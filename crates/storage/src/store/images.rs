//! Image operations of the [`Store`].

use std::collections::HashSet;
use std::io::Read;

use chrono::Utc;
use oci_spec::image::{ImageConfiguration, ImageManifest};

use super::Store;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layer::Layer;
use crate::names::Reference;
use crate::oci;
use crate::options::ImportOptions;

impl Store {
    /// Imports one layer tarball (plain or gzip-compressed, sniffed by magic bytes) as a new
    /// single-layer image named `opts.names`.
    pub fn import(&self, tar: &mut dyn Read, opts: ImportOptions) -> Result<Image> {
        self.import_layers(&mut [tar], opts)
    }

    /// Imports layer tarballs (bottom first) as one image.
    pub(crate) fn import_layers(
        &self,
        tars: &mut [&mut dyn Read],
        opts: ImportOptions,
    ) -> Result<Image> {
        let names = opts
            .names
            .iter()
            .map(|name| assignable_name(name))
            .collect::<Result<Vec<_>>>()?;
        let _guard = self.lock.lock()?;
        let mut layers: Vec<Layer> = Vec::with_capacity(tars.len());
        for tar in tars.iter_mut() {
            let layer = self.layers.put(&mut **tar, layers.last(), &self.blobs)?;
            layers.push(layer);
        }
        let created = opts.created.unwrap_or_else(Utc::now);
        let config = oci::image_config(&opts, &layers, created)?;
        let config_hex = self.blobs.put(&config)?;
        let manifest = oci::image_manifest(&config, &config_hex, &layers)?;
        let manifest_hex = self.blobs.put(&manifest)?;
        let mut image = match self.images.find(&config_hex)? {
            Some(existing) => existing,
            None => Image {
                id: config_hex,
                names: Vec::new(),
                digest: format!("sha256:{manifest_hex}"),
                layers: layers.iter().map(|l| l.chain_id.clone()).collect(),
                created,
                size: layers.iter().map(|l| l.size).sum(),
                repo_digests: Vec::new(),
            },
        };
        // Layers and blobs exist now; the image record comes last.
        self.assign_names(&mut image, &names)?;
        self.images.save(&image)?;
        Ok(image)
    }

    /// All images, newest first.
    pub fn images(&self) -> Result<Vec<Image>> {
        self.images.list()
    }

    /// Resolves a reference: full ID, `sha256:<id>`, a name (normalised; a short name like
    /// `busybox` or `busybox:1` also matches any stored name whose trailing repository path
    /// components and tag match, if exactly one image has such a name), or a unique ID prefix.
    ///
    /// Errors: [`Error::ImageNotFound`], [`Error::AmbiguousImage`],
    /// [`Error::InvalidReference`].
    pub fn lookup_image(&self, reference: &str) -> Result<Image> {
        self.images.lookup(reference)
    }

    /// The image's OCI config.
    pub fn image_config(&self, image: &Image) -> Result<ImageConfiguration> {
        super::ingest::parse_config(&self.blobs.get(&image.id)?)
    }

    /// The image's config JSON exactly as stored (its sha256 is the image ID).
    pub fn image_config_blob(&self, image: &Image) -> Result<Vec<u8>> {
        self.blobs.get(&image.id)
    }

    /// The image's OCI manifest.
    pub fn image_manifest(&self, image: &Image) -> Result<ImageManifest> {
        self.blobs.get_json(image.manifest_hex())
    }

    /// A layer's metadata by chain ID.
    pub fn layer(&self, chain_id: &str) -> Result<Layer> {
        self.layers.get(chain_id)
    }

    /// Adds `name` (normalised) to the image `id` (any reference [`Store::lookup_image`]
    /// accepts), moving it from any other image that had it.
    pub fn tag_image(&self, id: &str, name: &str) -> Result<()> {
        let name = assignable_name(name)?;
        let _guard = self.lock.lock()?;
        let mut image = self.images.lookup(id)?;
        self.assign_names(&mut image, &[name])?;
        self.images.save(&image)
    }

    /// Records that the image `id` is `repository@digest` in a registry (it
    /// was pulled by that digest); a reference of that form finds it from
    /// then on.
    pub fn add_repo_digest(&self, id: &str, repository: &str, digest: &str) -> Result<()> {
        let repo = Reference::parse(repository)?.normalized().repository();
        let entry = format!("{repo}@{digest}");
        let _guard = self.lock.lock()?;
        let mut image = self.images.lookup(id)?;
        if !image.repo_digests.contains(&entry) {
            image.repo_digests.push(entry);
            self.images.save(&image)?;
        }
        Ok(())
    }

    /// Removes `name` from the image `id`. `name` is normalised; if the image has no such
    /// name, a short name designating exactly one of its names is accepted too.
    pub fn untag_image(&self, id: &str, name: &str) -> Result<()> {
        let wanted = Reference::parse(name)?;
        let normalized = wanted.clone().normalized().to_string();
        let _guard = self.lock.lock()?;
        let mut image = self.images.lookup(id)?;
        let target = if image.names.contains(&normalized) {
            normalized
        } else {
            let designated: Vec<&String> = image
                .names
                .iter()
                .filter(|stored| {
                    wanted.domain().is_none()
                        && Reference::parse(stored)
                            .is_ok_and(|stored| wanted.designates(&stored, &image.digest))
                })
                .collect();
            match designated.as_slice() {
                [single] => (*single).clone(),
                _ => {
                    return Err(Error::NameNotFound {
                        id: image.id.clone(),
                        name: normalized,
                    })
                }
            }
        };
        image.names.retain(|n| *n != target);
        self.images.save(&image)
    }

    /// Removes an image and its layers that no other image uses. Refuses with
    /// [`Error::ImageInUse`] while a container uses it.
    pub fn remove_image(&self, id: &str) -> Result<()> {
        let _guard = self.lock.lock()?;
        let image = self.images.lookup(id)?;
        let containers = self.containers_using(&image.id)?;
        if !containers.is_empty() {
            return Err(Error::ImageInUse {
                id: image.id,
                containers,
            });
        }
        let layer_blobs: Vec<String> = self
            .image_manifest(&image)
            .map(|m| m.layers().iter().map(|l| l.digest().to_string()).collect())
            .unwrap_or_default();
        // The record goes first: a crash later leaves unreferenced layers, never a dangling
        // reference.
        self.images.remove(&image.id)?;
        let remaining = self.images.list()?;
        let used_blobs: HashSet<String> = remaining
            .iter()
            .filter_map(|other| self.image_manifest(other).ok())
            .flat_map(|m| {
                m.layers()
                    .iter()
                    .map(|l| l.digest().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        for digest in layer_blobs.iter().filter(|d| !used_blobs.contains(*d)) {
            if let Some(hex) = digest.strip_prefix("sha256:") {
                self.blobs.remove(hex)?;
            }
        }
        let used: HashSet<&str> = remaining
            .iter()
            .flat_map(|other| other.layers.iter().map(String::as_str))
            .collect();
        for chain_id in image.layers.iter().rev() {
            if !used.contains(chain_id.as_str()) {
                self.layers.remove(chain_id)?;
            }
        }
        if !remaining.iter().any(|other| other.digest == image.digest) {
            self.blobs.remove(image.manifest_hex())?;
        }
        self.blobs.remove(&image.id)
    }

    /// IDs of the containers whose writable layer sits on image `id` (full ID).
    pub fn containers_using_image(&self, id: &str) -> Result<Vec<String>> {
        self.containers_using(id.strip_prefix("sha256:").unwrap_or(id))
    }

    fn containers_using(&self, image_id: &str) -> Result<Vec<String>> {
        Ok(self
            .containers
            .list()?
            .into_iter()
            .filter(|c| c.image.as_deref() == Some(image_id))
            .map(|c| c.id)
            .collect())
    }

    /// Gives `names` to `image` (not saved), first removing them from every other image (which
    /// is saved). The caller holds the lock.
    pub(super) fn assign_names(&self, image: &mut Image, names: &[String]) -> Result<()> {
        for mut other in self.images.list()? {
            if other.id == image.id {
                continue;
            }
            let before = other.names.len();
            other.names.retain(|n| !names.contains(n));
            if other.names.len() != before {
                self.images.save(&other)?;
            }
        }
        for name in names {
            if !image.names.contains(name) {
                image.names.push(name.clone());
            }
        }
        Ok(())
    }
}

/// Normalises a name that is to be assigned to an image (names with digests cannot be).
pub(super) fn assignable_name(name: &str) -> Result<String> {
    let reference = Reference::parse(name)?;
    if reference.digest().is_some() {
        return Err(Error::InvalidReference {
            reference: name.to_string(),
            reason: "a name with a digest cannot be assigned to an image".to_string(),
        });
    }
    Ok(reference.normalized().to_string())
}

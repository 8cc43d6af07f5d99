//! Image records (`images/<id>.json`) and reference resolution.

use std::fs;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::{is_lower_hex, is_sha256_hex, SHA256_PREFIX};
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::names::Reference;

/// A stored image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// sha256 hex of the image config JSON (64 hex digits).
    pub id: String,
    /// Normalised names (`domain/path:tag`), each on at most one image.
    pub names: Vec<String>,
    /// `sha256:<hex>` of the manifest.
    pub digest: String,
    /// Chain IDs of the layers, bottom first.
    pub layers: Vec<String>,
    /// When the image was created (the config's `created`).
    pub created: DateTime<Utc>,
    /// Sum of the layers' extracted sizes.
    pub size: u64,
    /// `repository@sha256:…` the image was pulled as by digest
    /// (normalised), besides its names' repositories at `digest`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
}

impl Image {
    /// sha256 hex of the manifest (the blob name of the manifest).
    pub(crate) fn manifest_hex(&self) -> &str {
        self.digest
            .strip_prefix(SHA256_PREFIX)
            .unwrap_or(&self.digest)
    }
}

/// The `images/` directory.
#[derive(Debug)]
pub(crate) struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    /// Image records live in `dir`.
    pub(crate) fn new(dir: PathBuf) -> ImageStore {
        ImageStore { dir }
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        is_sha256_hex(id).then(|| self.dir.join(format!("{id}.json")))
    }

    /// The image with full ID `id`, if any.
    pub(crate) fn find(&self, id: &str) -> Result<Option<Image>> {
        match self.path(id) {
            Some(path) => fsutil::read_json_if_exists(&path),
            None => Ok(None),
        }
    }

    /// Writes (atomically) an image record.
    pub(crate) fn save(&self, image: &Image) -> Result<()> {
        let path = self
            .path(&image.id)
            .ok_or_else(|| Error::ImageNotFound(image.id.clone()))?;
        fsutil::write_json(&path, image)
    }

    /// Deletes an image record; a missing one is fine.
    pub(crate) fn remove(&self, id: &str) -> Result<()> {
        match self.path(id) {
            Some(path) => fsutil::remove_any(&path),
            None => Ok(()),
        }
    }

    /// IDs of all stored images (unordered).
    pub(crate) fn ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir).at("read directory", &self.dir)? {
            let entry = entry.at("read directory", &self.dir)?;
            let name = entry.file_name();
            let id = name.to_str().and_then(|n| n.strip_suffix(".json"));
            if let Some(id) = id.filter(|id| is_sha256_hex(id)) {
                ids.push(id.to_string());
            }
        }
        Ok(ids)
    }

    /// All images, newest first. Images removed while listing are skipped.
    pub(crate) fn list(&self) -> Result<Vec<Image>> {
        let mut images = Vec::new();
        for id in self.ids()? {
            if let Some(image) = self.find(&id)? {
                images.push(image);
            }
        }
        images.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(images)
    }

    /// Resolves a full ID, `sha256:<id>`, a name (exact after normalisation, else by short
    /// name if that is unambiguous) or a unique ID prefix.
    pub(crate) fn lookup(&self, reference: &str) -> Result<Image> {
        let not_found = || Error::ImageNotFound(reference.to_string());
        if let Some(hex) = reference.strip_prefix(SHA256_PREFIX) {
            if !is_lower_hex(hex) {
                return Err(not_found());
            }
            return self.lookup_id_prefix(reference, hex);
        }
        if is_sha256_hex(reference) {
            return self.find(reference)?.ok_or_else(not_found);
        }
        let wanted = Reference::parse(reference)?;
        let images = self.list()?;
        if let Some(image) = single_match(reference, &images, &wanted.clone().normalized())? {
            return Ok(image);
        }
        if wanted.domain().is_none() {
            if let Some(image) = single_match(reference, &images, &wanted)? {
                return Ok(image);
            }
        }
        if is_lower_hex(reference) {
            return self.lookup_id_prefix(reference, reference);
        }
        // `repository@digest` the image was pulled as.
        if wanted.digest().is_some() {
            let full = wanted.clone().normalized().to_string();
            if let Some(image) = images.iter().find(|i| i.repo_digests.contains(&full)) {
                return Ok(image.clone());
            }
        }
        Err(not_found())
    }

    fn lookup_id_prefix(&self, reference: &str, prefix: &str) -> Result<Image> {
        let mut candidates: Vec<String> = self
            .ids()?
            .into_iter()
            .filter(|id| id.starts_with(prefix))
            .collect();
        match candidates.as_slice() {
            [] => Err(Error::ImageNotFound(reference.to_string())),
            [id] => self
                .find(id)?
                .ok_or_else(|| Error::ImageNotFound(reference.to_string())),
            _ => {
                candidates.sort();
                Err(Error::AmbiguousImage {
                    reference: reference.to_string(),
                    candidates,
                })
            }
        }
    }
}

/// The one image having a name that `wanted` designates; an error if several images do.
fn single_match(reference: &str, images: &[Image], wanted: &Reference) -> Result<Option<Image>> {
    let mut matched: Vec<&Image> = Vec::new();
    let mut matched_names: Vec<String> = Vec::new();
    for image in images {
        for name in &image.names {
            let designated = Reference::parse(name)
                .map(|stored| wanted.designates(&stored, &image.digest))
                .unwrap_or(false);
            if designated {
                matched_names.push(name.clone());
                if !matched.iter().any(|m| m.id == image.id) {
                    matched.push(image);
                }
            }
        }
    }
    match matched.as_slice() {
        [] => Ok(None),
        [image] => Ok(Some((*image).clone())),
        _ => {
            matched_names.sort();
            Err(Error::AmbiguousImage {
                reference: reference.to_string(),
                candidates: matched_names,
            })
        }
    }
}

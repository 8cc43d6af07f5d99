//! Content-addressed layers: `layers/<chain-id>/{diff/,layer.json}`.

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::blob::BlobStore;
use crate::digest::{chain_id, is_sha256_hex, HashingReader, SHA256_PREFIX};
use crate::error::{Error, IoContext, Result};
use crate::extract::{extract_layer_tee, ExtractedLayer};
use crate::fsutil::{self, du, StagingDir};

const DIFF_DIR: &str = "diff";
const LAYER_JSON: &str = "layer.json";
/// Name of the uncompressed tar copy in a staging directory.
const TAR_COPY: &str = "layer.tar";
/// Name of the directory assembled for renaming into `layers/` within a staging directory.
const LAYER_SUBDIR: &str = "layer";

/// What a layer blob must be: its digest and size as a manifest declares them, and the diff
/// ID the image config lists for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerExpect<'a> {
    /// `sha256:<hex>` of the blob as stored (compressed or not).
    pub digest: &'a str,
    /// Length of the blob.
    pub size: u64,
    /// `sha256:<hex>` of the uncompressed tar stream.
    pub diff_id: &'a str,
}

/// Refuses a blob whose digest or size is not the declared one.
pub(crate) fn check_blob(digest: &str, size: u64, actual: &str, actual_size: u64) -> Result<()> {
    if actual_size != size {
        return Err(Error::SizeMismatch {
            what: format!("blob {digest}"),
            expected: size,
            actual: actual_size,
        });
    }
    if actual != digest {
        return Err(Error::DigestMismatch {
            what: "blob".to_string(),
            expected: digest.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// Metadata of an extracted layer (`layer.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// OCI chain ID (64 hex), also the directory name.
    pub chain_id: String,
    /// `sha256:<hex>` of the uncompressed layer tarball.
    pub diff_id: String,
    /// Chain ID of the layer below, if any.
    pub parent: Option<String>,
    /// Bytes of extracted content (as [`crate::du`] counts them).
    pub size: u64,
    /// Length of the uncompressed layer tarball.
    pub tar_size: u64,
    /// When the layer was extracted.
    pub created: DateTime<Utc>,
}

/// The `layers/` directory.
#[derive(Debug)]
pub(crate) struct LayerStore {
    dir: PathBuf,
    tmp: PathBuf,
}

impl LayerStore {
    /// Layers live in `dir`; `tmp` (same filesystem) is used for staging.
    pub(crate) fn new(dir: PathBuf, tmp: PathBuf) -> LayerStore {
        LayerStore { dir, tmp }
    }

    fn layer_dir(&self, chain_id: &str) -> Result<PathBuf> {
        if is_sha256_hex(chain_id) {
            Ok(self.dir.join(chain_id))
        } else {
            Err(Error::LayerNotFound(chain_id.to_string()))
        }
    }

    /// The extracted content of a layer (the overlay lower directory).
    pub(crate) fn diff_dir(&self, chain_id: &str) -> Result<PathBuf> {
        Ok(self.layer_dir(chain_id)?.join(DIFF_DIR))
    }

    /// Reads a layer's metadata.
    pub(crate) fn get(&self, chain_id: &str) -> Result<Layer> {
        self.find(chain_id)?
            .ok_or_else(|| Error::LayerNotFound(chain_id.to_string()))
    }

    /// Reads a layer's metadata, `None` if there is no such layer.
    pub(crate) fn find(&self, chain_id: &str) -> Result<Option<Layer>> {
        fsutil::read_json_if_exists(&self.layer_dir(chain_id)?.join(LAYER_JSON))
    }

    /// Extracts a layer tarball on top of `parent`. The layer is assembled in a staging
    /// directory and renamed into place only when complete; if a layer with the resulting
    /// chain ID already exists, it is reused and the new copy discarded. The uncompressed
    /// tar stream is kept as the blob named by its diff ID in `blobs` (for `save` and `push`).
    ///
    /// The caller must hold the store lock.
    pub(crate) fn put(
        &self,
        tar: &mut dyn Read,
        parent: Option<&Layer>,
        blobs: &BlobStore,
    ) -> Result<Layer> {
        let staging = StagingDir::new(&self.tmp)?;
        let tar_path = staging.path().join(TAR_COPY);
        let mut copy = BufWriter::new(fsutil::write_new(&tar_path, &[])?);
        let mut tar = tar;
        let layer = self.put_staged(&staging, &mut tar, parent, Some(&mut copy), |_, _| Ok(()))?;
        copy.flush().at("write", &tar_path)?;
        drop(copy);
        blobs.put_file(&tar_path, layer.diff_id.trim_start_matches(SHA256_PREFIX))?;
        Ok(layer)
    }

    /// Extracts a layer blob (plain, gzip or zstd) on top of `parent`, refusing it unless the
    /// blob has `expect.digest` and `expect.size` and its uncompressed content the diff ID
    /// `expect.diff_id`. Nothing is stored when a check fails.
    ///
    /// The caller must hold the store lock.
    pub(crate) fn put_verified(
        &self,
        blob: &mut dyn Read,
        parent: Option<&Layer>,
        expect: &LayerExpect<'_>,
    ) -> Result<Layer> {
        let staging = StagingDir::new(&self.tmp)?;
        if expect.digest == expect.diff_id {
            // An uncompressed blob: the diff ID, hashed while extracting over the whole
            // stream, is its digest too, so one hash pass checks both. (A compressed blob
            // cannot have the digest of its own uncompressed content.)
            return self.put_staged(&staging, &mut &mut *blob, parent, None, |extracted, _| {
                if extracted.diff_id != expect.diff_id {
                    return Err(Error::DigestMismatch {
                        what: format!("layer blob {}", expect.digest),
                        expected: expect.diff_id.to_string(),
                        actual: extracted.diff_id.clone(),
                    });
                }
                check_blob(
                    expect.digest,
                    expect.size,
                    &extracted.diff_id,
                    extracted.tar_size,
                )
            });
        }
        let mut raw = HashingReader::new(blob);
        self.put_staged(&staging, &mut raw, parent, None, |extracted, raw| {
            if extracted.diff_id != expect.diff_id {
                return Err(Error::DigestMismatch {
                    what: format!("uncompressed content of layer {}", expect.digest),
                    expected: expect.diff_id.to_string(),
                    actual: extracted.diff_id.clone(),
                });
            }
            // Trailing bytes after the compressed stream count towards the blob digest too.
            io::copy(raw, &mut io::sink()).map_err(Error::Archive)?;
            let (actual, actual_size) = raw.current();
            check_blob(expect.digest, expect.size, &actual, actual_size)
        })
    }

    /// Extracts into `staging`, runs `check`, then renames the layer into place.
    fn put_staged<R: Read>(
        &self,
        staging: &StagingDir,
        tar: &mut R,
        parent: Option<&Layer>,
        tee: Option<&mut dyn Write>,
        check: impl FnOnce(&ExtractedLayer, &mut R) -> Result<()>,
    ) -> Result<Layer> {
        let diff = staging.path().join(DIFF_DIR);
        std::fs::create_dir(&diff).at("create directory", &diff)?;
        let extracted = extract_layer_tee(tar, &diff, tee)?;
        check(&extracted, tar)?;
        let parent_chain = parent.map(|p| p.chain_id.as_str());
        let chain_id = chain_id(parent_chain, &extracted.diff_id);
        if let Some(existing) = self.find(&chain_id)? {
            return Ok(existing);
        }
        let layer = Layer {
            chain_id: chain_id.clone(),
            diff_id: extracted.diff_id,
            parent: parent_chain.map(str::to_string),
            size: du(&diff)?,
            tar_size: extracted.tar_size,
            created: Utc::now(),
        };
        let json_path = staging.path().join(LAYER_JSON);
        fsutil::write_new_synced(&json_path, &fsutil::to_json(&json_path, &layer)?)?;
        fsutil::sync_dir(staging.path())?;
        let dest = self.layer_dir(&chain_id)?;
        // Only the layer's own files go into place; a kept tar copy stays in staging.
        let layer_dir = staging.path().join(LAYER_SUBDIR);
        std::fs::create_dir(&layer_dir).at("create directory", &layer_dir)?;
        std::fs::rename(&diff, layer_dir.join(DIFF_DIR)).at("rename", &diff)?;
        std::fs::rename(&json_path, layer_dir.join(LAYER_JSON)).at("rename", &json_path)?;
        let inner = StagingDir::adopt(layer_dir);
        if !inner.commit(&dest)? {
            return self.get(&chain_id);
        }
        fsutil::sync_dir(&self.dir)?;
        Ok(layer)
    }

    /// Deletes a layer; it disappears atomically. Missing layers are fine.
    pub(crate) fn remove(&self, chain_id: &str) -> Result<()> {
        fsutil::remove_via_tmp(&self.layer_dir(chain_id)?, &self.tmp)
    }
}

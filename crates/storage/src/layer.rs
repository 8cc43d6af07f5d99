//! Content-addressed layers: `layers/<chain-id>/{diff/,layer.json}`.

use std::io::Read;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::{chain_id, is_sha256_hex};
use crate::error::{Error, IoContext, Result};
use crate::extract::extract_layer;
use crate::fsutil::{self, du, StagingDir};

const DIFF_DIR: &str = "diff";
const LAYER_JSON: &str = "layer.json";

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
    /// chain ID already exists, it is reused and the new copy discarded.
    ///
    /// The caller must hold the store lock.
    pub(crate) fn put(&self, tar: &mut dyn Read, parent: Option<&Layer>) -> Result<Layer> {
        let staging = StagingDir::new(&self.tmp)?;
        let diff = staging.path().join(DIFF_DIR);
        std::fs::create_dir(&diff).at("create directory", &diff)?;
        let extracted = extract_layer(tar, &diff)?;
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
        if !staging.commit(&dest)? {
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

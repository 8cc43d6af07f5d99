//! Container layer records: `containers/<id>/container.json` plus the driver's directories.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::fsutil;

const CONTAINER_JSON: &str = "container.json";
const MAX_ID_LEN: usize = 128;

/// A container's writable layer as recorded by the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// The container ID (chosen by the caller).
    pub id: String,
    /// ID of the image the layer sits on; `None` for containers with their own rootfs.
    pub image: Option<String>,
    /// When the layer was created.
    pub created: DateTime<Utc>,
}

/// The `containers/` directory.
#[derive(Debug)]
pub(crate) struct ContainerStore {
    dir: PathBuf,
}

/// True for IDs usable as a directory name: `[A-Za-z0-9_.-]`, not starting with `.`.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl ContainerStore {
    /// Container layers live in `dir`.
    pub(crate) fn new(dir: PathBuf) -> ContainerStore {
        ContainerStore { dir }
    }

    /// The directory of container `id` (which need not exist).
    pub(crate) fn container_dir(&self, id: &str) -> Result<PathBuf> {
        if is_valid_id(id) {
            Ok(self.dir.join(id))
        } else {
            Err(Error::InvalidContainerId(id.to_string()))
        }
    }

    /// Like [`ContainerStore::container_dir`], for callers that cannot fail: an invalid ID maps
    /// to a name no container can have.
    pub(crate) fn container_dir_unchecked(&self, id: &str) -> PathBuf {
        self.container_dir(id)
            .unwrap_or_else(|_| self.dir.join(".invalid-id"))
    }

    /// Writes the record into a (staging) container directory; not atomic: the directory
    /// itself is renamed into place afterwards. Not fsynced either: a container layer is
    /// run-time data that a killed process cannot lose (only a power loss could), and
    /// `create` is on the hot path.
    pub(crate) fn write_record(dir: &Path, container: &Container) -> Result<()> {
        let path = dir.join(CONTAINER_JSON);
        fsutil::write_new(&path, &fsutil::to_json(&path, container)?).map(drop)
    }

    /// The record of container `id`, if it exists.
    pub(crate) fn find(&self, id: &str) -> Result<Option<Container>> {
        fsutil::read_json_if_exists(&self.container_dir(id)?.join(CONTAINER_JSON))
    }

    /// The record of container `id`, or [`Error::ContainerNotFound`].
    pub(crate) fn get(&self, id: &str) -> Result<Container> {
        self.find(id)?
            .ok_or_else(|| Error::ContainerNotFound(id.to_string()))
    }

    /// IDs of all containers, sorted.
    pub(crate) fn ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir).at("read directory", &self.dir)? {
            let entry = entry.at("read directory", &self.dir)?;
            if let Some(id) = entry.file_name().to_str().filter(|id| is_valid_id(id)) {
                ids.push(id.to_string());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// All container records. Containers removed while listing are skipped.
    pub(crate) fn list(&self) -> Result<Vec<Container>> {
        let mut containers = Vec::new();
        for id in self.ids()? {
            if let Some(container) = self.find(&id)? {
                containers.push(container);
            }
        }
        Ok(containers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_ids() {
        assert!(is_valid_id(&"a1".repeat(32)));
        assert!(is_valid_id("my_container-1.2"));
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "../x",
            "a b",
            &"x".repeat(129),
        ] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
    }
}

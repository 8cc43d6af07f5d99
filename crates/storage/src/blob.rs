//! Content-addressed blobs (image configs, manifests): `blobs/sha256/<hex>`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::digest::{is_sha256_hex, sha256_hex};
use crate::error::{Error, IoContext, Result};
use crate::fsutil;

/// The `blobs/sha256/` directory.
#[derive(Debug)]
pub(crate) struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// Blobs live in `dir`.
    pub(crate) fn new(dir: PathBuf) -> BlobStore {
        BlobStore { dir }
    }

    fn path(&self, hex: &str) -> Result<PathBuf> {
        if is_sha256_hex(hex) {
            Ok(self.dir.join(hex))
        } else {
            Err(Error::Io {
                op: "locate blob",
                path: self.dir.join("<invalid digest>"),
                source: io::Error::new(io::ErrorKind::InvalidInput, "not a sha256 hex digest"),
            })
        }
    }

    /// Stores `data` (atomically; a no-op if present) and returns its sha256 hex.
    pub(crate) fn put(&self, data: &[u8]) -> Result<String> {
        let hex = sha256_hex(data);
        let path = self.path(&hex)?;
        if !fsutil::exists_nofollow(&path)? {
            fsutil::atomic_write(&path, data)?;
        }
        Ok(hex)
    }

    /// Moves the file `staged` (on the store's filesystem, already verified to have sha256
    /// `hex`) into place; if the blob exists, `staged` is removed instead.
    pub(crate) fn put_file(&self, staged: &Path, hex: &str) -> Result<()> {
        let path = self.path(hex)?;
        if fsutil::exists_nofollow(&path)? {
            return fsutil::remove_any(staged);
        }
        let file = fs::File::open(staged).at("open", staged)?;
        file.sync_all().at("sync", staged)?;
        fs::rename(staged, &path).at("rename blob to", &path)
    }

    /// True when the blob with sha256 `hex` is stored.
    pub(crate) fn has(&self, hex: &str) -> Result<bool> {
        fsutil::exists_nofollow(&self.path(hex)?)
    }

    /// The file of the blob with sha256 `hex`; [`Error::BlobNotFound`] if it is not stored.
    pub(crate) fn file_path(&self, hex: &str) -> Result<PathBuf> {
        let path = self.path(hex)?;
        if fsutil::exists_nofollow(&path)? {
            Ok(path)
        } else {
            Err(Error::BlobNotFound(format!("sha256:{hex}")))
        }
    }

    /// Reads the blob with sha256 `hex`.
    pub(crate) fn get(&self, hex: &str) -> Result<Vec<u8>> {
        let path = self.path(hex)?;
        fs::read(&path).at("read blob", &path)
    }

    /// Reads and parses a JSON blob.
    pub(crate) fn get_json<T: DeserializeOwned>(&self, hex: &str) -> Result<T> {
        fsutil::read_json(&self.path(hex)?)
    }

    /// Deletes a blob; missing blobs are fine.
    pub(crate) fn remove(&self, hex: &str) -> Result<()> {
        let path = self.path(hex)?;
        match fs::remove_file(&path) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err).at("remove blob", &path),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(tmp.path().to_path_buf());
        let hex = blobs.put(b"{}").unwrap();
        assert_eq!(hex, sha256_hex(b"{}"));
        assert_eq!(blobs.put(b"{}").unwrap(), hex);
        assert_eq!(blobs.get(&hex).unwrap(), b"{}");
        blobs.remove(&hex).unwrap();
        blobs.remove(&hex).unwrap();
        assert!(blobs.get(&hex).unwrap_err().is_not_found());
        assert!(blobs.get("../../etc/passwd").is_err());
    }
}

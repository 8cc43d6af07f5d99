//! The step cache: `build-cache/<key>` under the storage root holds the ID of the image a
//! step made. The key is a hash of the parent image ID, the instruction, the build args the
//! step sees, the content of its sources and the options that change its result. An entry
//! whose image is gone is a miss.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::runtime::Runtime;

pub(crate) fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

fn dir(rt: &Runtime) -> PathBuf {
    rt.paths().storage_root().join("build-cache")
}

/// The cached image for `key`, if it still exists.
pub(crate) fn lookup(rt: &Runtime, key: &str) -> Option<storage::Image> {
    let id = std::fs::read_to_string(dir(rt).join(key)).ok()?;
    rt.store().ok()?.lookup_image(id.trim()).ok()
}

/// Records `image` as the result for `key` (best effort).
pub(crate) fn record(rt: &Runtime, key: &str, image: &str) {
    let d = dir(rt);
    if std::fs::create_dir_all(&d).is_err() {
        return;
    }
    let tmp = d.join(format!(".{key}.tmp"));
    if std::fs::write(&tmp, image).is_ok() {
        let _ = std::fs::rename(&tmp, d.join(key));
    }
}

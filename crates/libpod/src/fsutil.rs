//! Small file-system helpers.

use std::io::Write;
use std::path::Path;

use crate::error::{IoContext, Result};

/// Writes `data` to `path` through a temporary file and a rename, so readers
/// see the old content or the new, never a part.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).ctx(|| format!("creating {}", tmp.display()))?;
    f.write_all(data)
        .ctx(|| format!("writing {}", tmp.display()))?;
    drop(f);
    std::fs::rename(&tmp, path).ctx(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

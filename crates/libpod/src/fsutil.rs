//! Small file-system helpers.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{IoContext, Result};

/// Creates `dir` if needed and takes away any permission beyond `mode`
/// (an existing installation is tightened on its next use).
pub fn ensure_private_dir(dir: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::metadata(dir) {
        Ok(meta) => {
            let current = meta.permissions().mode() & 0o7777;
            if current & !mode != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(current & mode))
                    .ctx(|| format!("restricting the permissions of {}", dir.display()))?;
            }
            Ok(())
        }
        Err(_) => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(mode)
            .create(dir)
            .ctx(|| format!("creating {}", dir.display())),
    }
}

/// Files only the engine reads (specs, process files with environments).
pub const PRIVATE_FILE: u32 = 0o600;
/// Files containers read (`/etc/hosts`, `resolv.conf`, `hostname`).
pub const SHARED_FILE: u32 = 0o644;

/// Writes `data` to `path` with permissions `mode` through a temporary file
/// and a rename, so readers see the old content or the new, never a part,
/// and never the content under wider permissions.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .ctx(|| format!("creating {}", tmp.display()))?;
    f.write_all(data)
        .ctx(|| format!("writing {}", tmp.display()))?;
    drop(f);
    std::fs::rename(&tmp, path).ctx(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// Whether `dir` is the root of a mount (its device differs from its parent's).
pub(crate) fn is_mount_point(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(dir), std::fs::metadata(dir.join(".."))) {
        (Ok(a), Ok(b)) => a.dev() != b.dev(),
        _ => false,
    }
}

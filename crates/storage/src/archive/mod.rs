//! Copying file trees in and out of root file systems as tar streams (`rpod cp`), without
//! ever leaving the root.
//!
//! Paths inside a container are resolved with `openat2(RESOLVE_IN_ROOT)`, so `..` and
//! symlinks (absolute or relative) stay inside the root file system. Below a resolved
//! directory every operation is relative to a directory descriptor and never follows a
//! symlink: trees are walked with `O_NOFOLLOW` opens and `lstat`, and archives are unpacked
//! by creating each entry in its (descriptor-held) parent directory, after removing whatever
//! non-directory was there. A symlink planted in the destination is replaced, never written
//! through.

mod handle;
pub(crate) mod pack;
mod unpack;

pub use handle::{DirHandle, Located};
pub use pack::pack;
pub use unpack::{unpack, UnpackOptions};

#[cfg(test)]
mod tests;

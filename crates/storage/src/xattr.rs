//! Extended attributes on paths, never following a final symlink (`l*xattr`).

use std::ffi::CString;
use std::io;
use std::path::Path;

use crate::fsutil::path_cstring;

/// Prefix of the xattrs overlayfs interprets; never copied from archives or between layers.
pub(crate) const OVERLAY_PREFIX: &[u8] = b"trusted.overlay.";

/// The xattr that marks an overlay directory as opaque.
pub(crate) const OVERLAY_OPAQUE: &[u8] = b"trusted.overlay.opaque";

fn name_cstring(name: &[u8]) -> io::Result<CString> {
    CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "xattr name contains NUL"))
}

/// Sets xattr `name` on `path`.
pub(crate) fn set(path: &Path, name: &[u8], value: &[u8]) -> io::Result<()> {
    let c_path = path_cstring(path)?;
    let c_name = name_cstring(name)?;
    // SAFETY: valid C strings and a buffer of the given length.
    let rc = unsafe {
        libc::lsetxattr(
            c_path.as_ptr(),
            c_name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Reads xattr `name` of `path`; `None` if it is not set.
pub(crate) fn get(path: &Path, name: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let c_path = path_cstring(path)?;
    let c_name = name_cstring(name)?;
    let result = read_sized(|buf, len| {
        // SAFETY: `buf` is valid for `len` bytes (or null with len 0 to query the size).
        unsafe { libc::lgetxattr(c_path.as_ptr(), c_name.as_ptr(), buf.cast(), len) }
    });
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.raw_os_error() == Some(libc::ENODATA) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Names of all xattrs of `path`. Filesystems without xattr support have none.
pub(crate) fn list(path: &Path) -> io::Result<Vec<Vec<u8>>> {
    let c_path = path_cstring(path)?;
    let result = read_sized(|buf, len| {
        // SAFETY: `buf` is valid for `len` bytes (or null with len 0 to query the size).
        unsafe { libc::llistxattr(c_path.as_ptr(), buf.cast(), len) }
    });
    match result {
        Ok(names) => Ok(names
            .split(|b| *b == 0)
            .filter(|name| !name.is_empty())
            .map(<[u8]>::to_vec)
            .collect()),
        Err(err) if err.raw_os_error() == Some(libc::ENOTSUP) => Ok(Vec::new()),
        Err(err) => Err(err),
    }
}

/// Calls a size-query-then-fill style syscall, retrying if the value grows in between.
fn read_sized(mut call: impl FnMut(*mut u8, usize) -> isize) -> io::Result<Vec<u8>> {
    loop {
        let size = call(std::ptr::null_mut(), 0);
        let Ok(size) = usize::try_from(size) else {
            return Err(io::Error::last_os_error());
        };
        if size == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; size];
        let got = call(buf.as_mut_ptr(), buf.len());
        match usize::try_from(got) {
            Ok(got) => {
                buf.truncate(got);
                return Ok(buf);
            }
            Err(_) => {
                let err = io::Error::last_os_error();
                if err.raw_os_error() != Some(libc::ERANGE) {
                    return Err(err);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_list_roundtrip() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"").unwrap();
        set(&file, b"user.test", b"value").unwrap();
        assert_eq!(
            get(&file, b"user.test").unwrap().as_deref(),
            Some(&b"value"[..])
        );
        assert_eq!(get(&file, b"user.absent").unwrap(), None);
        assert!(list(&file).unwrap().contains(&b"user.test".to_vec()));
    }
}

//! Reading `/proc/self/mountinfo` to find (and detach) mounts below a directory.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{umount2, MntFlags};

use crate::error::{IoContext, Result};

const MOUNTINFO: &str = "/proc/self/mountinfo";

/// Mount points listed in `mountinfo` text (the fifth field of each line, unescaped).
fn parse_mount_points(mountinfo: &str) -> Vec<PathBuf> {
    mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(OsString::from_vec(unescape_octal(field))))
        .collect()
}

/// Undoes the kernel's `\ooo` escaping of spaces, tabs, newlines and backslashes.
fn unescape_octal(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes.get(i + 1..i + 4).filter(|_| bytes[i] == b'\\');
        match escape.and_then(|digits| std::str::from_utf8(digits).ok()) {
            Some(digits) if digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) => {
                match u8::from_str_radix(digits, 8) {
                    Ok(value) => out.push(value),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 4]),
                }
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// Mount points equal to or below `dir`, deepest first. A missing `dir` has none.
pub(crate) fn mount_points_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let dir = match fs::canonicalize(dir) {
        Ok(dir) => dir,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).at("resolve", dir),
    };
    let text = fs::read_to_string(MOUNTINFO).at("read", Path::new(MOUNTINFO))?;
    let mut under: Vec<PathBuf> = parse_mount_points(&text)
        .into_iter()
        .filter(|mount_point| mount_point.starts_with(&dir))
        .collect();
    // Later mounts can stack on earlier ones; detach in reverse order, deepest paths first.
    under.reverse();
    under.sort_by_key(|path| std::cmp::Reverse(path.components().count()));
    Ok(under)
}

/// Lazily detaches every mount at or below `dir`.
pub(crate) fn detach_mounts_under(dir: &Path) -> Result<()> {
    for mount_point in mount_points_under(dir)? {
        match umount2(&mount_point, MntFlags::MNT_DETACH) {
            Ok(()) | Err(Errno::EINVAL) | Err(Errno::ENOENT) => {}
            Err(err) => return Err(err).at("unmount", &mount_point),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_unescapes_mount_points() {
        let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                    90 27 0:50 / /var/lib/a\\040b rw - overlay overlay rw,lowerdir=x\n";
        assert_eq!(
            parse_mount_points(text),
            vec![PathBuf::from("/proc"), PathBuf::from("/var/lib/a b")]
        );
    }

    #[test]
    fn unescape_leaves_plain_backslashes() {
        assert_eq!(unescape_octal("a\\x"), b"a\\x");
        assert_eq!(unescape_octal("a\\134b"), b"a\\b");
    }

    #[test]
    fn missing_dir_has_no_mounts() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(mount_points_under(&tmp.path().join("missing"))
            .unwrap()
            .is_empty());
    }
}

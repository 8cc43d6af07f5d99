//! Choosing a driver when none is configured.

use std::fs;
use std::path::Path;

use super::{overlay, DriverKind};

const PROC_FILESYSTEMS: &str = "/proc/filesystems";

/// Overlay if the kernel lists it in `/proc/filesystems` and a test mount in `tmp` (on the
/// store's filesystem) works; vfs otherwise.
pub(crate) fn detect(tmp: &Path) -> DriverKind {
    if kernel_lists_overlay() && overlay::probe(tmp) {
        DriverKind::Overlay
    } else {
        DriverKind::Vfs
    }
}

fn kernel_lists_overlay() -> bool {
    fs::read_to_string(PROC_FILESYSTEMS)
        .map(|text| lists_overlay(&text))
        .unwrap_or(false)
}

fn lists_overlay(filesystems: &str) -> bool {
    filesystems
        .lines()
        .any(|line| line.split_whitespace().last() == Some("overlay"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_filesystems() {
        assert!(lists_overlay("nodev\tproc\nnodev\toverlay\n\text4\n"));
        assert!(!lists_overlay(
            "nodev\tproc\n\text4\nnodev\toverlayfs-ish\n"
        ));
    }

    #[test]
    fn detects_a_driver() {
        let tmp = tempfile::tempdir().unwrap();
        let kind = detect(tmp.path());
        if kernel_lists_overlay() {
            assert_eq!(kind, DriverKind::Overlay);
        }
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "probe cleans up"
        );
    }
}

//! Facts about the host that decide which runtimes can work.

use std::path::Path;

/// How the host mounts cgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupMode {
    /// Only the v1 controllers.
    Legacy,
    /// v1 controllers plus a v2 hierarchy at /sys/fs/cgroup/unified.
    Hybrid,
    /// The unified v2 hierarchy only.
    Unified,
}

impl CgroupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CgroupMode::Legacy => "v1",
            CgroupMode::Hybrid => "hybrid",
            CgroupMode::Unified => "v2",
        }
    }
}

/// Detects the host's cgroup mode from /sys/fs/cgroup.
pub fn cgroup_mode() -> CgroupMode {
    let root = Path::new("/sys/fs/cgroup");
    if root.join("cgroup.controllers").exists() {
        CgroupMode::Unified
    } else if root.join("unified").join("cgroup.controllers").exists() {
        CgroupMode::Hybrid
    } else {
        CgroupMode::Legacy
    }
}

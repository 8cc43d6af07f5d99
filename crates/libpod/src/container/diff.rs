//! `diff`: what a container added, changed and deleted relative to its image.

use super::Container;
use crate::error::{Error, Result};

/// Paths the engine or the runtime creates in every container (mount points and
/// bind-mounted files); `diff` leaves them out, as Podman does.
const INIT_PATHS: &[&str] = &[
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/mtab",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/.containerenv",
    "/run/notify",
    "/run/secrets",
    "/sys",
];

impl Container<'_> {
    /// The container's changes, sorted by path.
    pub fn changes(&mut self) -> Result<Vec<storage::Change>> {
        let _guard = self.lock()?;
        if self.config.rootfs.is_some() {
            return Err(Error::InvalidArgument(format!(
                "container {} uses a root file system of its own (--rootfs): it has no image to compare with",
                self.name()
            )));
        }
        let changes = self.rt.store()?.container_changes(self.id())?;
        Ok(without_init_paths(changes))
    }
}

/// Leaves out the init paths, and directories changed only because they hold one.
fn without_init_paths(changes: Vec<storage::Change>) -> Vec<storage::Change> {
    let (hidden, kept): (Vec<_>, Vec<_>) = changes
        .into_iter()
        .partition(|c| INIT_PATHS.contains(&c.path.as_str()));
    let holds = |dir: &str, path: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    kept.iter()
        .filter(|c| {
            c.kind != storage::ChangeKind::Modified
                || !hidden.iter().any(|h| holds(&c.path, &h.path))
                || kept.iter().any(|k| holds(&c.path, &k.path))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::{Change, ChangeKind};

    #[test]
    fn init_paths_and_their_parents_are_hidden() {
        let c = |p: &str, kind| Change {
            path: p.into(),
            kind,
        };
        let out = without_init_paths(vec![
            c("/etc", ChangeKind::Modified),
            c("/etc/hosts", ChangeKind::Added),
            c("/run", ChangeKind::Added),
            c("/tmp", ChangeKind::Modified),
            c("/tmp/x", ChangeKind::Added),
        ]);
        let paths: Vec<&str> = out.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, vec!["/tmp", "/tmp/x"]);
    }
}

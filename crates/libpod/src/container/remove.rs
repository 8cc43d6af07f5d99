//! `rm`: refuse live containers unless forced; otherwise take the container
//! out of the runtime, storage and database (database last, so an
//! interrupted removal is finished by the next `rm`).

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};

/// How `rm` removes a container.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveOptions {
    /// Stop a running or paused container first (and end its exec sessions).
    pub force: bool,
    /// Seconds to wait for the stop before SIGKILL.
    pub timeout: Option<u32>,
    /// Remove its anonymous volumes too (`rm -v`, `--rm`).
    pub volumes: bool,
    /// Remove the containers that depend on it first (`rm --depend`).
    pub depend: bool,
}

impl Container<'_> {
    /// Removes the container and returns the IDs of the containers removed
    /// with it. Refused for a running or paused container, one with exec
    /// sessions, or one others depend on; `force` stops it first (waiting
    /// `timeout` seconds before SIGKILL) and removes its dependents first.
    pub fn remove(&mut self, force: bool, timeout: Option<u32>) -> Result<Vec<String>> {
        self.remove_with_volumes(force, timeout, false)
    }

    /// [`Self::remove`], also removing the container's anonymous volumes
    /// when `volumes` (`rm -v`, `--rm`).
    pub fn remove_with_volumes(
        &mut self,
        force: bool,
        timeout: Option<u32>,
        volumes: bool,
    ) -> Result<Vec<String>> {
        self.remove_with(RemoveOptions {
            force,
            timeout,
            volumes,
            depend: force,
        })
    }

    /// Removes the container as `opts` say; returns the IDs removed, its
    /// dependents' first.
    pub fn remove_with(&mut self, opts: RemoveOptions) -> Result<Vec<String>> {
        let RemoveOptions {
            force,
            timeout,
            volumes,
            depend,
        } = opts;
        crate::diagnostics::debug(format_args!("Removing container {}", self.id()));
        let dependents = self.rt.dependents_of(self.id())?;
        {
            let _guard = self.lock()?;
            if !force {
                if !self.state.status.can_remove_unforced() {
                    return Err(self.invalid_state(
                        "cannot remove a running or paused container without --force (or stop it first)",
                    ));
                }
                let sessions = self.live_exec_sessions();
                if !sessions.is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "container {} has active exec sessions ({}): stop them or use --force",
                        self.name(),
                        sessions
                            .iter()
                            .map(|s| &s[..12])
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            if !depend && !dependents.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "container {} has dependent containers which must be removed before it: {}",
                    self.name(),
                    dependents
                        .iter()
                        .map(|(_, n)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )));
            }
        }
        let mut removed = Vec::new();
        for (id, _) in &dependents {
            match self.rt.container(id) {
                Ok(mut dep) => match dep.remove_with(opts) {
                    Ok(ids) => removed.extend(ids),
                    // Removed meanwhile by another party.
                    Err(Error::NoSuchContainer(_)) => {}
                    Err(e) => return Err(e),
                },
                Err(Error::NoSuchContainer(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if force {
            self.stop(timeout)?;
        }
        let _guard = self.lock()?;
        if self.state.status.is_active() {
            return Err(
                self.invalid_state("it started again while being removed; stop it and retry")
            );
        }
        // Out of the runtime, unmounted, network torn down, poststop hooks run.
        self.cleanup_locked()?;
        self.state.status = ContainerStatus::Removing;
        self.save()?;
        crate::fault::point("rm.removing");
        // Only a container the runtime still knows (an interrupted create or
        // removal) needs a runtime process here; cleanup took out the rest.
        let oci = self.rt.oci()?;
        if oci.knows(self.id()) {
            oci.delete(self.id(), true)?;
        }
        if self.config.rootfs.is_none() {
            self.rt.store()?.remove_container(self.id())?;
        }
        crate::fault::point("rm.storage_removed");
        self.discard_files();
        self.rt.db.remove_container(self.id())?;
        self.event("remove");
        if volumes {
            for name in self.anonymous_volumes() {
                if let Err(e) = self.rt.remove_volume(&name, false) {
                    crate::diagnostics::warn(format!(
                        "rpod: warning: removing anonymous volume {name}: {e}"
                    ));
                }
            }
        }
        removed.push(self.id().to_string());
        Ok(removed)
    }
}

//! `container checkpoint` and `container restore` with CRIU through `runc checkpoint` and
//! `runc restore`. CRIU is checked first (`criu` present, `criu check` passing); when it
//! cannot work on this host the operation is refused with the reason and the container is
//! left as it was.

use std::path::{Path, PathBuf};

use super::{Container, ContainerStatus};
use crate::error::{Error, IoContext, Result};

/// Where checkpoint images live in the container's userdata directory.
const CHECKPOINT_DIR: &str = "checkpoint";
/// The container's configuration inside an exported checkpoint.
const CONFIG_IN_EXPORT: &str = "config.dump";

/// Options of `container checkpoint`.
#[derive(Debug, Clone, Default)]
pub struct CheckpointOptions {
    /// Write the checkpoint (and the container's config) to this tarball.
    pub export: Option<PathBuf>,
    pub leave_running: bool,
    pub tcp_established: bool,
}

/// Options of `container restore`.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Restore from this tarball (made by `checkpoint --export`).
    pub import: Option<PathBuf>,
    pub tcp_established: bool,
}

/// Why CRIU cannot be used here, if it cannot.
pub use ocirt::criu_unavailable;

impl Container<'_> {
    fn checkpoint_dir(&self) -> PathBuf {
        self.bundle().join(CHECKPOINT_DIR)
    }

    fn refuse(&self, action: &str, reason: String) -> Error {
        Error::InvalidArgument(format!(
            "{action} of container {} is not possible on this host: {reason}",
            self.name()
        ))
    }

    /// Checkpoints the running container with CRIU.
    pub fn checkpoint(&mut self, opts: &CheckpointOptions) -> Result<()> {
        let _guard = self.lock()?;
        if self.state.status != ContainerStatus::Running {
            return Err(self.invalid_state("can only checkpoint running containers"));
        }
        if let Some(reason) = self.rt.oci()?.checkpoint_unavailable() {
            return Err(self.refuse("checkpoint", reason));
        }
        let dir = self.checkpoint_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
        self.rt.oci()?.checkpoint(&ocirt::CheckpointRequest {
            id: self.id(),
            image_path: &dir,
            leave_running: opts.leave_running,
            tcp_established: opts.tcp_established,
        })?;
        if let Some(path) = &opts.export {
            self.export_checkpoint(path)?;
        }
        self.event("checkpoint");
        Ok(())
    }

    /// Restores the container from its checkpoint (or from an exported one).
    pub fn restore(&mut self, opts: &RestoreOptions) -> Result<()> {
        let _guard = self.lock()?;
        if !matches!(
            self.state.status,
            ContainerStatus::Configured | ContainerStatus::Stopped | ContainerStatus::Exited
        ) {
            return Err(self.invalid_state("can only restore stopped containers"));
        }
        if let Some(reason) = self.rt.oci()?.checkpoint_unavailable() {
            return Err(self.refuse("restore", reason));
        }
        let dir = self.checkpoint_dir();
        if let Some(path) = &opts.import {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
            let file = std::fs::File::open(path).ctx(|| format!("opening {}", path.display()))?;
            let target = storage::archive::DirHandle::open(&dir)?;
            storage::archive::unpack(
                &mut std::io::BufReader::new(file),
                &target,
                storage::archive::UnpackOptions::default(),
            )?;
        }
        if !dir.join("inventory.img").exists() {
            return Err(Error::InvalidArgument(format!(
                "container {} has no checkpoint to restore",
                self.name()
            )));
        }
        let oci = self.rt.oci()?;
        let _ = oci.delete(self.id(), true);
        // The checkpointed run's exit file would end the restored one at
        // the next sync.
        let _ = std::fs::remove_file(self.exit_file());
        // The bundle's config.json from the checkpointed run is reused.
        self.mount_rootfs()?;
        let pid_file = self.rundir().join("pidfile");
        self.state.pid = oci.restore(&ocirt::RestoreRequest {
            id: self.id(),
            bundle: &self.bundle(),
            image_path: &dir,
            pid_file: &pid_file,
            tcp_established: opts.tcp_established,
        })?;
        self.state.status = ContainerStatus::Running;
        self.state.monitor_pid = 0;
        self.state.started_at = Some(chrono::Utc::now());
        self.save()?;
        self.event("restore");
        Ok(())
    }

    fn export_checkpoint(&self, path: &Path) -> Result<()> {
        let file = std::fs::File::create(path).ctx(|| format!("creating {}", path.display()))?;
        let mut tar = tar::Builder::new(file);
        let config = serde_json::to_vec_pretty(&self.config).map_err(|source| Error::Json {
            context: "encoding the container config".into(),
            source,
        })?;
        let mut header = tar::Header::new_gnu();
        header.set_size(config.len() as u64);
        header.set_mode(0o600);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, CONFIG_IN_EXPORT, config.as_slice())
            .and_then(|_| tar.append_dir_all(".", self.checkpoint_dir()))
            .and_then(|_| tar.finish())
            .ctx(|| format!("writing {}", path.display()))
    }
}

//! `container checkpoint` and `container restore` with CRIU through `runc checkpoint` and
//! `runc restore`. CRIU is checked first (`criu` present, `criu check` passing); when it
//! cannot work on this host the operation is refused with the reason and the container is
//! left as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
pub fn criu_unavailable() -> Option<String> {
    let Some(criu) = ocirt::find_binary("criu") else {
        return Some("criu is not installed".into());
    };
    match Command::new(&criu)
        .arg("check")
        .stdin(Stdio::null())
        .output()
    {
        Err(e) => Some(format!("running {}: {e}", criu.display())),
        Ok(out) if out.status.success() => None,
        Ok(out) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            );
            Some(format!("criu check failed: {}", criu_reason(&text)))
        }
    }
}

/// The most specific line of `criu check` errors: `Error (file:line): msg` lines without
/// the generic kerndat/crtools summaries.
fn criu_reason(text: &str) -> String {
    let messages: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("Error (")?;
            let (location, msg) = rest.split_once("): ")?;
            Some((location, msg.trim()))
        })
        .collect();
    messages
        .iter()
        .rev()
        .find(|(loc, _)| !loc.starts_with("criu/kerndat.c") && !loc.starts_with("criu/crtools.c"))
        .or(messages.first())
        .map(|(_, m)| m.to_string())
        .unwrap_or_else(|| {
            text.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("unknown error")
                .trim()
                .to_string()
        })
}

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
        if let Some(reason) = criu_unavailable() {
            return Err(self.refuse("checkpoint", reason));
        }
        let dir = self.checkpoint_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
        let mut args = vec![
            "checkpoint".to_string(),
            "--image-path".into(),
            dir.display().to_string(),
            "--work-path".into(),
            dir.display().to_string(),
        ];
        if opts.leave_running {
            args.push("--leave-running".into());
        }
        if opts.tcp_established {
            args.push("--tcp-established".into());
        }
        args.push(self.id().to_string());
        self.run_runtime(&args)?;
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
        if let Some(reason) = criu_unavailable() {
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
        // The bundle's config.json from the checkpointed run is reused.
        self.mount_rootfs()?;
        let pid_file = self.rundir().join("pidfile");
        let mut args = vec![
            "restore".to_string(),
            "--detach".into(),
            "--image-path".into(),
            dir.display().to_string(),
            "--work-path".into(),
            dir.display().to_string(),
            "--bundle".into(),
            self.bundle().display().to_string(),
            "--pid-file".into(),
            pid_file.display().to_string(),
        ];
        if opts.tcp_established {
            args.push("--tcp-established".into());
        }
        args.push(self.id().to_string());
        self.run_runtime(&args)?;
        self.state.pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0);
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

    fn run_runtime(&self, args: &[String]) -> Result<()> {
        let oci = self.rt.oci()?;
        let out = Command::new(oci.path())
            .args(oci.global_args())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .ctx(|| format!("running {}", oci.path().display()))?;
        if out.status.success() {
            return Ok(());
        }
        Err(Error::Runtime(ocirt::Error::Command {
            runtime: oci.name().to_string(),
            action: args.first().cloned().unwrap_or_default(),
            id: self.id().to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specific_criu_error_is_kept() {
        let text = "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n\
Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n\
Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.\n\
Error (criu/crtools.c:260): Could not initialize kernel features detection.\n";
        assert_eq!(criu_reason(text), "vdso: Failed to fill self vdso symtable");
    }
}

//! The rootless network namespace: where an ordinary user's bridge networks
//! live. One namespace per run root, made by rpod inside the user's
//! namespace, connected to the host by slirp4netns (its address there is
//! 10.0.2.100); netavark runs inside it, so its bridges, firewall rules and
//! aardvark-dns are the user's own. A published port is forwarded by
//! slirp4netns from the host to the same port of the namespace, where
//! netavark's rules take it to the container, as Podman 4's rootless
//! networks do.

use std::path::{Path, PathBuf};

use crate::error::{io_err, Error, Result};
use crate::types::PortMapping;
use crate::usermode::{add_hostfwd, remove_hostfwd, spawn_slirp, ApiSocket, SlirpOptions};

/// The namespace's address on slirp4netns's network.
const GUEST_ADDR: &str = "10.0.2.100";

/// The rootless network namespace of one run root, kept in `dir`.
#[derive(Debug, Clone)]
pub struct RootlessNetns {
    dir: PathBuf,
    /// The slirp4netns binary (`--network-cmd-path`); default: found in PATH.
    program: Option<PathBuf>,
}

impl RootlessNetns {
    /// The namespace whose files are in `dir` (the engine's netns directory).
    pub fn new(dir: &Path) -> RootlessNetns {
        RootlessNetns {
            dir: dir.to_path_buf(),
            program: None,
        }
    }

    /// The same namespace, its slirp4netns started from `program`.
    pub fn with_program(mut self, program: Option<PathBuf>) -> RootlessNetns {
        self.program = program;
        self
    }

    /// The pinned namespace.
    pub fn path(&self) -> PathBuf {
        self.dir.join("rootless-netns")
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.join("rootless-netns.slirp.pid")
    }

    fn api(&self) -> ApiSocket {
        ApiSocket {
            dir: self.dir.clone(),
            name: "rootless-netns.sock".into(),
        }
    }

    /// True while the namespace is pinned and its slirp4netns runs.
    fn is_up(&self) -> bool {
        if !crate::netns::is_namespace(&self.path()) {
            return false;
        }
        std::fs::read_to_string(self.pid_file())
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
            .is_some_and(|pid| {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
                    && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|c| c.trim() == "slirp4netns")
            })
    }

    /// Makes the namespace and connects it when it is not up; returns its
    /// path. A lock file keeps two commands from making it at once.
    pub fn ensure(&self) -> Result<PathBuf> {
        let path = self.path();
        if self.is_up() {
            return Ok(path);
        }
        std::fs::create_dir_all(&self.dir).map_err(io_err("creating", &self.dir))?;
        let lock_path = self.dir.join("rootless-netns.lock");
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err("opening", &lock_path))?;
        let _lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive).map_err(
            |(_, e)| Error::Io {
                context: "locking".into(),
                path: lock_path.clone(),
                source: e.into(),
            },
        )?;
        if self.is_up() {
            return Ok(path);
        }
        self.remove();
        crate::netns::create(&path)?;
        let started = spawn_slirp(
            &path,
            &SlirpOptions {
                program: self.program.clone(),
                ..Default::default()
            },
            Some(&self.api()),
            &self.pid_file(),
            &self.dir.join("rootless-netns.log"),
        );
        if let Err(e) = started {
            self.remove();
            return Err(Error::Invalid(format!(
                "setting up the rootless network namespace: {e}"
            )));
        }
        Ok(path)
    }

    /// Forwards the host ports of `ports` into the namespace; returns the
    /// rule IDs for [`Self::unpublish`].
    pub fn publish(&self, ports: &[PortMapping]) -> Result<Vec<u64>> {
        let mut ids = Vec::new();
        for p in ports {
            match add_hostfwd(&self.api(), p, GUEST_ADDR, true) {
                Ok(more) => ids.extend(more),
                Err(e) => {
                    self.unpublish(&ids);
                    return Err(e);
                }
            }
        }
        Ok(ids)
    }

    /// Removes forwarding rules made by [`Self::publish`].
    pub fn unpublish(&self, ids: &[u64]) {
        if !ids.is_empty() {
            remove_hostfwd(&self.api(), ids);
        }
    }

    /// Ends slirp4netns and unpins the namespace (its bridges go with it).
    pub fn remove(&self) {
        crate::usermode::stop(&self.pid_file());
        let _ = crate::netns::remove(&self.path());
        let _ = std::fs::remove_file(self.dir.join("rootless-netns.sock"));
    }
}

/// Port mappings as netavark gets them inside the namespace: any address
/// (slirp4netns binds the host address; in the namespace traffic arrives at
/// its own address).
pub fn inner_ports(ports: &[PortMapping]) -> Vec<PortMapping> {
    ports
        .iter()
        .map(|p| PortMapping {
            host_ip: String::new(),
            ..p.clone()
        })
        .collect()
}

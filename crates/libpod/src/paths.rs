//! Where the engine keeps its files.
//!
//! Root (persistent): the state database, image storage, per-container
//! userdata (bundle `config.json`, artifacts, logs). Run root (gone after a
//! reboot): exit files, lock files, per-container rundirs (hosts,
//! resolv.conf, hostname, monitor files, attach socket), the runtime's state.

use std::path::{Path, PathBuf};

/// The default root directory.
pub const DEFAULT_ROOT: &str = "/var/lib/rpod";
/// The default run root directory.
pub const DEFAULT_RUN_ROOT: &str = "/run/rpod";

/// The root directory when none is given: [`DEFAULT_ROOT`], or the user's
/// own (`~/.local/share/rpod`) in rootless mode.
pub fn default_root() -> PathBuf {
    match crate::rootless::user_dirs() {
        Some(Ok(dirs)) => dirs.root(),
        _ => PathBuf::from(DEFAULT_ROOT),
    }
}

/// The run root when none is given: [`DEFAULT_RUN_ROOT`], or the user's own
/// (`$XDG_RUNTIME_DIR/rpod`) in rootless mode.
pub fn default_run_root() -> PathBuf {
    match crate::rootless::user_dirs() {
        Some(Ok(dirs)) => dirs.run_root(),
        _ => PathBuf::from(DEFAULT_RUN_ROOT),
    }
}

/// All paths the engine derives from its two roots.
#[derive(Debug, Clone)]
pub struct Paths {
    pub root: PathBuf,
    pub run_root: PathBuf,
    /// `--volumepath`: where volume data lives (default `<root>/volumes`).
    pub volume_path: Option<PathBuf>,
    /// `--network-config-dir`: where network definitions live (default
    /// `<root>/networks`).
    pub network_config_dir: Option<PathBuf>,
}

impl Paths {
    pub fn new(root: PathBuf, run_root: PathBuf) -> Self {
        Paths {
            root,
            run_root,
            volume_path: None,
            network_config_dir: None,
        }
    }

    /// The given roots, or the defaults for whoever runs rpod.
    pub fn or_defaults(root: Option<PathBuf>, run_root: Option<PathBuf>) -> Self {
        Paths::new(
            root.unwrap_or_else(default_root),
            run_root.unwrap_or_else(default_run_root),
        )
    }

    /// The engine's paths for `options` (the roots and their overrides).
    pub fn of(options: &crate::RuntimeOptions) -> Self {
        Paths {
            volume_path: options.volume_path.clone(),
            network_config_dir: options.network_config_dir.clone(),
            ..Paths::or_defaults(options.root.clone(), options.run_root.clone())
        }
    }

    /// The directory of the volumes' data.
    pub fn volumes(&self) -> PathBuf {
        self.volume_path
            .clone()
            .unwrap_or_else(|| self.root.join("volumes"))
    }

    /// The directory of the network definitions.
    pub fn network_configs(&self) -> PathBuf {
        self.network_config_dir
            .clone()
            .unwrap_or_else(|| self.root.join("networks"))
    }

    pub fn db(&self) -> PathBuf {
        self.root.join("rpod.db")
    }

    pub fn storage_root(&self) -> PathBuf {
        self.root.join("storage")
    }

    pub fn storage_run_root(&self) -> PathBuf {
        self.run_root.join("storage")
    }

    /// Persistent per-container directory; also the OCI bundle.
    pub fn userdata(&self, id: &str) -> PathBuf {
        self.root.join("containers").join(id).join("userdata")
    }

    /// Per-container run-time directory.
    pub fn rundir(&self, id: &str) -> PathBuf {
        self.run_root.join("containers").join(id)
    }

    /// Network namespaces rpod pins, their status files and, rootless, the
    /// rootless network namespace.
    pub fn netns_dir(&self) -> PathBuf {
        self.run_root.join("netns")
    }

    pub fn exit_dir(&self) -> PathBuf {
        self.run_root.join("exits")
    }

    pub fn exit_file(&self, id: &str) -> PathBuf {
        self.exit_dir().join(id)
    }

    pub fn lock_dir(&self) -> PathBuf {
        self.run_root.join("locks")
    }

    pub fn container_lock(&self, id: &str) -> PathBuf {
        self.lock_dir().join(format!("{id}.lock"))
    }

    /// The OCI runtime's `--root`, kept apart from other engines on the host.
    pub fn runtime_state(&self, runtime: &str) -> PathBuf {
        self.run_root.join(runtime)
    }

    pub fn default_events_file(&self) -> PathBuf {
        self.run_root.join("events").join("events.log")
    }

    /// Present while the run root has been initialised since the last boot.
    pub fn alive_file(&self) -> PathBuf {
        self.run_root.join("alive")
    }

    pub fn is_under_root(&self, p: &Path) -> bool {
        p.starts_with(&self.root) || p.starts_with(&self.run_root)
    }
}

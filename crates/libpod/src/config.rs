//! The engine configuration file (`/etc/rpod/rpod.conf`, TOML).
//!
//! Key names follow Podman's `containers.conf` where one exists, so a user
//! can carry settings over; sections rpod does not know are an error rather
//! than silently ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Where the configuration is read from when neither `--config` nor
/// `RPOD_CONFIG` names a file.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/rpod/rpod.conf";

/// The configuration file read when none is named: [`DEFAULT_CONFIG_PATH`],
/// or in rootless mode the user's `~/.config/rpod/rpod.conf` when it
/// exists.
pub fn default_config_path() -> PathBuf {
    if let Some(Ok(dirs)) = crate::rootless::user_dirs() {
        let own = dirs.config_file();
        if own.exists() {
            return own;
        }
    }
    PathBuf::from(DEFAULT_CONFIG_PATH)
}

/// The keys rpod reads from Podman's `containers.conf` (same names and
/// meanings), by section.
const SHARED_KEYS: &[(&str, &[&str])] = &[
    (
        "containers",
        &[
            "default_ulimits",
            "log_driver",
            "log_size_max",
            "shm_size",
            "env",
            "init_path",
            "seccomp_profile",
            "pids_limit",
            "no_new_privileges",
        ],
    ),
    (
        "engine",
        &[
            "runtime",
            "runtimes",
            "events_logger",
            "events_logfile_path",
            "stop_timeout",
            "hooks_dir",
        ],
    ),
];

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub containers: ContainersSection,
    pub engine: EngineSection,
    pub storage: StorageSection,
}

/// `[containers]`: defaults for new containers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContainersSection {
    /// `name=soft:hard` entries, as `--ulimit` takes them.
    pub default_ulimits: Vec<String>,
    /// `k8s-file`, `json-file` or `none`.
    pub log_driver: String,
    /// Maximum log file size in bytes; negative means unlimited.
    pub log_size_max: i64,
    /// Size of /dev/shm, e.g. `64m`.
    pub shm_size: String,
    /// Environment added to every container.
    pub env: Vec<String>,
    /// The init binary for `--init`.
    pub init_path: String,
    /// The default seccomp profile; unset means the system's
    /// (`/usr/share/containers/seccomp.json`), else rpod's built-in one.
    pub seccomp_profile: Option<PathBuf>,
    /// The default pids limit of a container; 0 or less means none.
    pub pids_limit: i64,
    /// Containers get `no-new-privileges` by default.
    pub no_new_privileges: bool,
}

impl Default for ContainersSection {
    fn default() -> Self {
        ContainersSection {
            default_ulimits: Vec::new(),
            log_driver: "k8s-file".into(),
            log_size_max: -1,
            // containers.conf's "65536k", which Podman reads with decimal
            // units: 65536000 bytes.
            shm_size: "65536000".into(),
            env: vec![
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
                "TERM=xterm".into(),
            ],
            init_path: "/usr/libexec/podman/catatonit".into(),
            seccomp_profile: None,
            pids_limit: 2048,
            no_new_privileges: false,
        }
    }
}

/// `[engine]`: the runtime, events and timeouts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSection {
    /// The default OCI runtime's name.
    pub runtime: String,
    /// Paths of runtimes by name (as containers.conf `[engine.runtimes]`).
    pub runtimes: std::collections::BTreeMap<String, Vec<PathBuf>>,
    /// `file` or `none`.
    pub events_logger: String,
    /// The events file; defaults to `<runroot>/events/events.log`.
    pub events_logfile_path: Option<PathBuf>,
    /// Seconds `stop` waits before SIGKILL.
    pub stop_timeout: u32,
    /// The rpod-monitor binary; defaults to the one next to the rpod binary.
    pub monitor_path: Option<PathBuf>,
    /// OCI hook directories (later ones mask files of the same name in earlier ones).
    pub hooks_dir: Vec<PathBuf>,
}

impl Default for EngineSection {
    fn default() -> Self {
        EngineSection {
            runtime: "runc".into(),
            runtimes: Default::default(),
            events_logger: "file".into(),
            events_logfile_path: None,
            stop_timeout: 10,
            monitor_path: None,
            hooks_dir: crate::hooks::DEFAULT_HOOKS_DIRS
                .iter()
                .map(PathBuf::from)
                .collect(),
        }
    }
}

/// `[storage]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    /// `overlay` or `vfs`; empty picks overlay when the kernel has it.
    pub driver: String,
    /// A FUSE program mounting overlays instead of the kernel
    /// (`/usr/bin/fuse-overlayfs`; containers-storage's `mount_program`).
    pub mount_program: Option<PathBuf>,
}

impl EngineConfig {
    /// Reads `path`; a missing file is only an error when `required`.
    pub fn load(path: &Path, required: bool) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self::default())
            }
            Err(e) => {
                return Err(Error::Config {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })
            }
        };
        Self::parse(&text).map_err(|message| Error::Config {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Rootless: the keys rpod shares with Podman's per-user
    /// `containers.conf`, then rpod's own file (`own`) over them. The keys
    /// of `containers.conf` that rpod has no use for are named at the info
    /// level (`--log-level info`); rpod's own file allows no unknown key.
    pub fn load_layered(containers_conf: &Path, own: &Path) -> Result<Self> {
        let read = |path: &Path| -> Result<Option<toml::Table>> {
            match std::fs::read_to_string(path) {
                Ok(text) => toml::from_str(&text).map(Some).map_err(|e| Error::Config {
                    path: path.to_path_buf(),
                    message: e.message().to_string(),
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(Error::Config {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }),
            }
        };
        let mut merged = toml::Table::new();
        if let Some(podman) = read(containers_conf)? {
            let mut unused = Vec::new();
            for (section, value) in podman {
                let known = SHARED_KEYS.iter().find(|(s, _)| *s == section);
                match (known, value) {
                    (Some((_, keys)), toml::Value::Table(table)) => {
                        let entry = merged
                            .entry(section.clone())
                            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                        for (k, v) in table {
                            if keys.contains(&k.as_str()) {
                                if let toml::Value::Table(t) = entry {
                                    t.insert(k, v);
                                }
                            } else {
                                unused.push(format!("{section}.{k}"));
                            }
                        }
                    }
                    _ => unused.push(section),
                }
            }
            if !unused.is_empty() {
                crate::diagnostics::info(format_args!(
                    "{}: not used by rpod: {}",
                    containers_conf.display(),
                    unused.join(", ")
                ));
            }
        }
        if let Some(mine) = read(own)? {
            for (section, value) in mine {
                match (merged.get_mut(&section), value) {
                    (Some(toml::Value::Table(base)), toml::Value::Table(over)) => base.extend(over),
                    (_, value) => {
                        merged.insert(section, value);
                    }
                }
            }
        }
        let text = toml::to_string(&merged).map_err(|e| Error::Config {
            path: own.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(&text).map_err(|message| Error::Config {
            path: if own.exists() {
                own.to_path_buf()
            } else {
                containers_conf.to_path_buf()
            },
            message,
        })
    }

    /// Parses configuration text.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let cfg: EngineConfig = toml::from_str(text).map_err(|e| e.message().to_string())?;
        crate::container::options::parse_size(&cfg.containers.shm_size)
            .map_err(|e| format!("containers.shm_size: {e}"))?;
        for u in &cfg.containers.default_ulimits {
            crate::container::options::Ulimit::parse(u)
                .map_err(|e| format!("containers.default_ulimits: {e}"))?;
        }
        match cfg.containers.log_driver.as_str() {
            "k8s-file" | "json-file" | "none" => {}
            other => {
                return Err(format!(
                    "containers.log_driver: unknown log driver {other:?}"
                ))
            }
        }
        Ok(cfg)
    }

    /// The configured path of runtime `name`, if any.
    pub fn runtime_path(&self, name: &str) -> Option<&Path> {
        self.engine
            .runtimes
            .get(name)
            .and_then(|paths| paths.iter().find(|p| p.is_file()).or(paths.first()))
            .map(PathBuf::as_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_key_names_are_read() {
        let cfg = EngineConfig::parse(
            "[containers]\ndefault_ulimits=[\"nofile=1024:2048\"]\nlog_driver=\"json-file\"\n[engine]\nruntime=\"crun\"\n[engine.runtimes]\ncrun=[\"/usr/bin/crun\"]\n",
        )
        .unwrap();
        assert_eq!(cfg.engine.runtime, "crun");
        assert_eq!(cfg.containers.log_driver, "json-file");
        assert_eq!(cfg.runtime_path("crun"), Some(Path::new("/usr/bin/crun")));
    }

    #[test]
    fn podmans_file_gives_the_shared_keys_and_rpods_wins() {
        let dir = tempfile::tempdir().unwrap();
        let podman = dir.path().join("containers.conf");
        let own = dir.path().join("rpod.conf");
        std::fs::write(
            &podman,
            "[containers]\nenv=[\"A=1\"]\npids_limit=100\nnetns=\"private\"\n[network]\nnetwork_backend=\"netavark\"\n[engine]\nstop_timeout=3\n",
        )
        .unwrap();
        let cfg = EngineConfig::load_layered(&podman, &own).unwrap();
        assert_eq!(cfg.containers.env, ["A=1"]);
        assert_eq!(cfg.containers.pids_limit, 100);
        assert_eq!(cfg.engine.stop_timeout, 3);
        std::fs::write(&own, "[containers]\nenv=[\"B=2\"]\n").unwrap();
        let cfg = EngineConfig::load_layered(&podman, &own).unwrap();
        assert_eq!(cfg.containers.env, ["B=2"]);
        assert_eq!(cfg.containers.pids_limit, 100);
        std::fs::write(&own, "[containers]\nbogus=1\n").unwrap();
        assert!(EngineConfig::load_layered(&podman, &own).is_err());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(EngineConfig::parse("[containers]\nbogus=1\n").is_err());
        assert!(EngineConfig::parse("[containers]\nlog_driver=\"syslogx\"\n").is_err());
        assert!(EngineConfig::parse("[containers]\ndefault_ulimits=[\"nofile=x\"]\n").is_err());
    }
}

//! The registries configuration: insecure registries, unqualified-search registries and
//! short-name aliases.
//!
//! A TOML file, `registries.conf` next to the engine configuration (`/etc/rpod/registries.conf`
//! by default, or the directory of `--config`), or the file named by `RPOD_REGISTRIES_CONF`:
//!
//! ```toml
//! unqualified-search-registries = ["docker.io", "quay.io"]
//!
//! [[registry]]
//! location = "127.0.0.1:5000"
//! insecure = true            # plain HTTP, or HTTPS without certificate checks
//!
//! [aliases]
//! "busybox" = "docker.io/library/busybox"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Environment variable naming the registries configuration file.
pub const REGISTRIES_CONF_ENV: &str = "RPOD_REGISTRIES_CONF";
/// File name of the registries configuration, next to the engine configuration.
pub const REGISTRIES_CONF_NAME: &str = "registries.conf";

/// One `[[registry]]` table.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    /// `host[:port]` of the registry.
    pub location: String,
    /// Talk plain HTTP (or HTTPS without verifying certificates).
    #[serde(default)]
    pub insecure: bool,
    /// Refuse pulls from this registry.
    #[serde(default)]
    pub blocked: bool,
}

/// The parsed registries configuration.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegistriesConf {
    /// Registries tried in order for names without a registry (`busybox`).
    #[serde(default, rename = "unqualified-search-registries")]
    pub unqualified_search: Vec<String>,
    /// Per-registry settings.
    #[serde(default, rename = "registry")]
    pub registries: Vec<RegistryEntry>,
    /// Short name → fully qualified repository.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

impl RegistriesConf {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<RegistriesConf> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(RegistriesConf::default())
            }
            Err(source) => {
                return Err(Error::Io {
                    context: format!("reading {}", path.display()),
                    source,
                })
            }
        };
        toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// The file to read: `RPOD_REGISTRIES_CONF`, else `registries.conf` in the directory of
    /// the engine configuration file.
    pub fn path_for(engine_config: &Path) -> PathBuf {
        if let Some(path) = std::env::var_os(REGISTRIES_CONF_ENV) {
            return PathBuf::from(path);
        }
        engine_config
            .parent()
            .unwrap_or_else(|| Path::new("/etc/rpod"))
            .join(REGISTRIES_CONF_NAME)
    }

    /// The settings of `host` (`host[:port]`), if configured.
    pub fn entry(&self, host: &str) -> Option<&RegistryEntry> {
        self.registries.iter().find(|r| r.location == host)
    }

    /// True when `host` is configured as insecure.
    pub fn is_insecure(&self, host: &str) -> bool {
        self.entry(host).is_some_and(|r| r.insecure)
    }

    /// The fully qualified names to try for a user's image name, in order: the name itself
    /// when it has a registry, its alias, else one per unqualified-search registry.
    pub fn candidates(&self, name: &str) -> Result<Vec<String>> {
        if has_registry(name) {
            return Ok(vec![name.to_string()]);
        }
        let (repo, suffix) = split_suffix(name);
        if let Some(target) = self.aliases.get(repo) {
            return Ok(vec![format!("{target}{suffix}")]);
        }
        if self.unqualified_search.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "short-name {name:?} did not resolve to an alias and no unqualified-search \
                 registries are defined in the registries configuration"
            )));
        }
        Ok(self
            .unqualified_search
            .iter()
            .map(|registry| {
                if registry == "docker.io" && !repo.contains('/') {
                    format!("{registry}/library/{name}")
                } else {
                    format!("{registry}/{name}")
                }
            })
            .collect())
    }
}

/// True when the first path component of `name` is a registry host (has `.` or `:`, or is
/// `localhost`).
pub fn has_registry(name: &str) -> bool {
    match name.split_once('/') {
        Some((first, _)) => first.contains(['.', ':']) || first == "localhost",
        None => false,
    }
}

/// Splits `repo:tag` / `repo@digest` into the repository and the `:tag`/`@digest` suffix.
fn split_suffix(name: &str) -> (&str, &str) {
    if let Some(at) = name.find('@') {
        return name.split_at(at);
    }
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => name.split_at(slash + i),
        None => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_resolves() {
        let conf: RegistriesConf = toml::from_str(
            r#"
unqualified-search-registries = ["docker.io", "quay.io"]
[[registry]]
location = "127.0.0.1:5000"
insecure = true
[aliases]
"bb" = "127.0.0.1:5000/tools/busybox"
"#,
        )
        .unwrap();
        assert!(conf.is_insecure("127.0.0.1:5000"));
        assert!(!conf.is_insecure("quay.io"));
        assert_eq!(
            conf.candidates("bb:1").unwrap(),
            vec!["127.0.0.1:5000/tools/busybox:1"]
        );
        assert_eq!(
            conf.candidates("alpine").unwrap(),
            vec!["docker.io/library/alpine", "quay.io/alpine"]
        );
        assert_eq!(
            conf.candidates("localhost:5000/x").unwrap(),
            vec!["localhost:5000/x"]
        );
        assert!(RegistriesConf::default().candidates("alpine").is_err());
    }
}

//! Secrets (the `file` driver): blobs of sensitive data given to containers
//! as files or environment variables.
//!
//! Where things live:
//! - `<root>/secrets/secrets.json` (0600) — every secret's ID, name, driver,
//!   options, labels and times; never a value.
//! - `<root>/secrets/filedriver/<id>` (0600, in a 0700 directory) — the value.
//! - A container records only the secret's ID, name and how it is given
//!   ([`ContainerSecret`]). A `mount` secret's value is copied at creation
//!   into `<root>/containers/<id>/userdata/secrets/` (0700 directory, 0600
//!   files) so the container keeps it when the secret is removed, as Podman
//!   does; at init it is written with the requested owner and mode into
//!   `<runroot>/containers/<id>/secrets/` and bind-mounted read-only. An
//!   `env` secret is read from the driver (by name) at init, into the runtime spec
//!   only (`config.json`, 0600).
//!
//! Nothing here goes into the state database, the container's stored
//! configuration, events or logs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use oci_spec::runtime::{Mount, MountBuilder};
use serde::{Deserialize, Serialize};

use crate::container::Container;
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{ensure_private_dir, write_atomic, PRIVATE_FILE};
use crate::lock::lock_exclusive;
use crate::runtime::Runtime;

/// The only driver: values in files under the root.
pub const FILE_DRIVER: &str = "file";
/// Where `mount` secrets go when no absolute target is given.
pub const SECRETS_DIR_IN_CONTAINER: &str = "/run/secrets";
/// Podman's limit: a value is 1 to 511999 bytes.
pub const MAX_SECRET_SIZE: usize = 512_000;
/// The mode of a `mount` secret when none is given: readable by the
/// container's root only (Podman's is 0444).
pub const DEFAULT_MODE: u32 = 0o400;
/// Length of a secret ID (Podman's).
const ID_LEN: usize = 25;

/// A secret's record (no value).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecretConfig {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub driver_options: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `secret inspect` output (Podman's field names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretInspect {
    #[serde(rename = "ID")]
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub spec: SecretSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretSpec {
    pub name: String,
    pub driver: SecretDriverSpec,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretDriverSpec {
    pub name: String,
    pub options: BTreeMap<String, String>,
}

impl SecretConfig {
    pub fn inspect(&self) -> SecretInspect {
        SecretInspect {
            id: self.id.clone(),
            created_at: storage::oci::go_rfc3339(self.created_at),
            updated_at: storage::oci::go_rfc3339(self.updated_at),
            spec: SecretSpec {
                name: self.name.clone(),
                driver: SecretDriverSpec {
                    name: self.driver.clone(),
                    options: self.driver_options.clone(),
                },
                labels: self.labels.clone(),
            },
        }
    }
}

/// How a container gets a secret.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    /// A read-only file.
    #[default]
    Mount,
    /// An environment variable.
    Env,
}

/// One `--secret` as the user asked for it (`CreateOptions::secrets`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretRequest {
    /// The secret's name or ID.
    pub source: String,
    pub kind: SecretKind,
    /// A path (mount) or a variable name (env); defaults to the secret's name.
    pub target: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: Option<u32>,
}

impl SecretRequest {
    /// Parses `NAME[,type=mount|env][,target=…][,uid=…][,gid=…][,mode=…]`
    /// with Podman's rules: uid, gid and mode go with `mount` only.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| Error::InvalidArgument(format!("{why}: parsing secret"));
        let mut parts = text.split(',');
        let source = parts.next().unwrap_or_default();
        if source.is_empty() {
            return Err(bad(format!("no source found {text}")));
        }
        if source.contains('=') {
            return Err(bad(format!("option {source} must be in form option=value")));
        }
        let mut req = SecretRequest {
            source: source.to_string(),
            ..Default::default()
        };
        for part in parts {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("option {part} must be in form option=value")))?;
            match key {
                "type" => {
                    req.kind = match value {
                        "mount" => SecretKind::Mount,
                        "env" => SecretKind::Env,
                        _ => return Err(bad(format!("type {value} is invalid"))),
                    }
                }
                "target" => req.target = Some(value.to_string()).filter(|t| !t.is_empty()),
                "uid" => {
                    req.uid = Some(
                        value
                            .parse()
                            .map_err(|_| bad(format!("UID {value} invalid")))?,
                    )
                }
                "gid" => {
                    req.gid = Some(
                        value
                            .parse()
                            .map_err(|_| bad(format!("GID {value} invalid")))?,
                    )
                }
                "mode" => {
                    req.mode = Some(
                        parse_mode(value).ok_or_else(|| bad(format!("mode {value} invalid")))?,
                    )
                }
                _ => return Err(bad(format!("option {part} invalid"))),
            }
        }
        req.check()?;
        Ok(req)
    }

    /// The rules that hold however the request was made (CLI or API).
    pub fn check(&self) -> Result<()> {
        if self.kind == SecretKind::Env {
            if self.uid.is_some() || self.gid.is_some() || self.mode.is_some() {
                return Err(Error::InvalidArgument(
                    "UID, GID, Mode options cannot be set with secret type env: parsing secret"
                        .into(),
                ));
            }
            if let Some(t) = &self.target {
                if t.contains('=') || t.contains('\0') {
                    return Err(Error::InvalidArgument(format!(
                        "invalid environment variable name {t:?} for secret {}",
                        self.source
                    )));
                }
            }
        }
        if let Some(m) = self.mode {
            if m > 0o777 {
                return Err(Error::InvalidArgument(format!(
                    "mode {m:o} invalid: parsing secret"
                )));
            }
        }
        Ok(())
    }
}

/// An octal mode (`0400`, `400`).
fn parse_mode(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    u32::from_str_radix(digits, 8).ok().filter(|m| *m <= 0o777)
}

/// A secret as a container's configuration records it: no value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContainerSecret {
    pub id: String,
    pub name: String,
    pub kind: SecretKind,
    /// The absolute path (mount) or the variable name (env).
    pub target: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// What `inspect` shows of a container's `mount` secret (Podman's
/// `Config.Secrets[]`).
#[derive(Debug, Clone, Serialize)]
pub struct InspectSecret {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "UID")]
    pub uid: u32,
    #[serde(rename = "GID")]
    pub gid: u32,
    #[serde(rename = "Mode")]
    pub mode: u32,
}

/// Checks a secret name as Podman does: 1 to 64 characters of
/// `[a-zA-Z0-9_.-]`, starting and ending with a letter or digit.
pub fn validate_secret_name(name: &str) -> Result<()> {
    let ends_ok = name
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if name.len() <= 64 && ends_ok && crate::ids::is_valid_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: {name}: invalid secret name"
        )))
    }
}

impl Runtime {
    fn secrets_dir(&self) -> PathBuf {
        self.paths.root.join("secrets")
    }

    /// The file driver's directory (Podman's `path` option).
    pub fn secrets_file_driver_dir(&self) -> PathBuf {
        self.secrets_dir().join("filedriver")
    }

    fn secrets_index(&self) -> PathBuf {
        self.secrets_dir().join("secrets.json")
    }

    fn secret_value_path(&self, id: &str) -> PathBuf {
        self.secrets_file_driver_dir().join(id)
    }

    /// Runs `f` with the secrets store locked and its directories in place.
    fn with_secrets_locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let _guard = lock_exclusive(&self.paths.lock_dir().join("secrets.lock"))?;
        ensure_private_dir(&self.secrets_dir(), 0o700)?;
        ensure_private_dir(&self.secrets_file_driver_dir(), 0o700)?;
        f()
    }

    fn load_secrets(&self) -> Result<Vec<SecretConfig>> {
        let path = self.secrets_index();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                context: format!("reading {}", path.display()),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).ctx(|| format!("reading {}", path.display())),
        }
    }

    fn save_secrets(&self, list: &[SecretConfig]) -> Result<()> {
        let json = serde_json::to_vec_pretty(list).map_err(|source| Error::Json {
            context: "encoding the secrets index".into(),
            source,
        })?;
        write_atomic(&self.secrets_index(), &json, PRIVATE_FILE)
    }

    /// Creates a secret holding `value`; returns its record.
    pub fn create_secret(
        &self,
        name: &str,
        value: &[u8],
        driver: &str,
        mut driver_options: BTreeMap<String, String>,
        labels: BTreeMap<String, String>,
    ) -> Result<SecretConfig> {
        validate_secret_name(name)?;
        let driver = if driver.is_empty() {
            FILE_DRIVER
        } else {
            driver
        };
        if driver != FILE_DRIVER {
            return Err(Error::Unsupported(format!(
                "secret driver {driver:?} is not supported: only \"file\" is available"
            )));
        }
        if value.is_empty() || value.len() >= MAX_SECRET_SIZE {
            return Err(Error::InvalidArgument(
                "secret data must be larger than 0 and less than 512000 bytes".into(),
            ));
        }
        let dir = self.secrets_file_driver_dir().display().to_string();
        match driver_options.get("path") {
            Some(p) if *p != dir => {
                return Err(Error::Unsupported(format!(
                    "the file secret driver keeps its data in {dir}: another path ({p}) is not supported"
                )))
            }
            _ => {
                driver_options.insert("path".into(), dir);
            }
        }
        self.with_secrets_locked(|| {
            let mut list = self.load_secrets()?;
            if list.iter().any(|s| s.name == name) {
                return Err(Error::InvalidArgument(format!(
                    "{name}: secret name in use"
                )));
            }
            let id = loop {
                let candidate = crate::ids::new_id()?[..ID_LEN].to_string();
                if !list.iter().any(|s| s.id == candidate) {
                    break candidate;
                }
            };
            let now = Utc::now();
            let config = SecretConfig {
                id: id.clone(),
                name: name.to_string(),
                driver: driver.to_string(),
                driver_options,
                labels,
                created_at: now,
                updated_at: now,
            };
            write_atomic(&self.secret_value_path(&id), value, PRIVATE_FILE)?;
            list.push(config.clone());
            if let Err(e) = self.save_secrets(&list) {
                let _ = std::fs::remove_file(self.secret_value_path(&id));
                return Err(e);
            }
            Ok(config)
        })
    }

    /// The secrets matching `filters` (`name=` substring, `id=` prefix):
    /// values of one key are alternatives, different keys must all match,
    /// as Podman filters them. An unknown key is an error.
    pub fn secrets_matching(&self, filters: &[(String, String)]) -> Result<Vec<SecretConfig>> {
        if let Some((k, _)) = filters
            .iter()
            .find(|(k, _)| !matches!(k.as_str(), "name" | "id"))
        {
            return Err(Error::InvalidArgument(format!("invalid filter {k:?}")));
        }
        let keep = |s: &SecretConfig| {
            ["name", "id"].iter().all(|key| {
                let wanted: Vec<&str> = filters
                    .iter()
                    .filter(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
                    .collect();
                wanted.is_empty()
                    || wanted.iter().any(|w| match *key {
                        "name" => s.name.contains(w),
                        _ => s.id.starts_with(w),
                    })
            })
        };
        Ok(self.secrets()?.into_iter().filter(|s| keep(s)).collect())
    }

    /// Every secret, oldest first.
    pub fn secrets(&self) -> Result<Vec<SecretConfig>> {
        self.load_secrets()
    }

    /// A secret by name, full ID or unique ID prefix.
    pub fn secret(&self, name_or_id: &str) -> Result<SecretConfig> {
        find_secret(&self.load_secrets()?, name_or_id).cloned()
    }

    pub fn secret_exists(&self, name_or_id: &str) -> Result<bool> {
        match self.secret(name_or_id) {
            Ok(_) => Ok(true),
            Err(Error::NoSuchSecret(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes a secret; returns its ID. Containers that use it keep what
    /// they were given (a `mount` secret was copied at their creation), as
    /// with Podman; an `env` secret is looked up again, by name, at each init.
    pub fn remove_secret(&self, name_or_id: &str) -> Result<String> {
        self.with_secrets_locked(|| {
            let mut list = self.load_secrets()?;
            let id = find_secret(&list, name_or_id)?.id.clone();
            list.retain(|s| s.id != id);
            self.save_secrets(&list)?;
            let value = self.secret_value_path(&id);
            match std::fs::remove_file(&value) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).ctx(|| format!("removing {}", value.display()))
                }
                _ => Ok(id),
            }
        })
    }

    /// A secret's value (for the engine only: containers' files and specs).
    pub(crate) fn secret_value(&self, id: &str) -> Result<Vec<u8>> {
        let path = self.secret_value_path(id);
        match std::fs::read(&path) {
            Ok(v) => Ok(v),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::NoSuchSecret(id.to_string()))
            }
            Err(e) => Err(e).ctx(|| format!("reading {}", path.display())),
        }
    }

    /// Resolves `--secret` requests against the store (at creation).
    pub(crate) fn resolve_secrets(
        &self,
        requests: &[SecretRequest],
    ) -> Result<Vec<ContainerSecret>> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let list = self.load_secrets()?;
        let mut out: Vec<ContainerSecret> = Vec::new();
        for r in requests {
            r.check()?;
            let s = find_secret(&list, &r.source)?;
            let target = match r.kind {
                SecretKind::Env => r.target.clone().unwrap_or_else(|| s.name.clone()),
                SecretKind::Mount => {
                    let t = r.target.clone().unwrap_or_else(|| s.name.clone());
                    if t.starts_with('/') {
                        t
                    } else {
                        format!("{SECRETS_DIR_IN_CONTAINER}/{t}")
                    }
                }
            };
            if out.iter().any(|o| o.kind == r.kind && o.target == target) {
                return Err(Error::InvalidArgument(format!(
                    "secret target {target} is given more than once"
                )));
            }
            out.push(ContainerSecret {
                id: s.id.clone(),
                name: s.name.clone(),
                kind: r.kind,
                target,
                uid: r.uid.unwrap_or(0),
                gid: r.gid.unwrap_or(0),
                mode: r.mode.unwrap_or(DEFAULT_MODE),
            });
        }
        Ok(out)
    }
}

fn find_secret<'a>(list: &'a [SecretConfig], name_or_id: &str) -> Result<&'a SecretConfig> {
    let missing = || Error::NoSuchSecret(name_or_id.to_string());
    if name_or_id.is_empty() {
        return Err(missing());
    }
    if let Some(s) = list
        .iter()
        .find(|s| s.name == name_or_id || s.id == name_or_id)
    {
        return Ok(s);
    }
    let mut by_prefix = list.iter().filter(|s| s.id.starts_with(name_or_id));
    match (by_prefix.next(), by_prefix.next()) {
        (Some(s), None) => Ok(s),
        (Some(_), Some(_)) => Err(Error::InvalidArgument(format!(
            "secret ID prefix {name_or_id:?} is ambiguous"
        ))),
        _ => Err(missing()),
    }
}

impl Container<'_> {
    /// The container's own copies of its `mount` secrets (made at creation).
    fn secret_copies_dir(&self) -> PathBuf {
        self.bundle().join("secrets")
    }

    /// The files bind-mounted into the container (written at init).
    fn secret_mount_dir(&self) -> PathBuf {
        self.rundir().join("secrets")
    }

    /// At creation: copies each `mount` secret's value into the container's
    /// directory, so removing the secret later does not affect it.
    pub(crate) fn copy_secrets(&self) -> Result<()> {
        let mounts: Vec<&ContainerSecret> = self
            .config
            .secrets
            .iter()
            .filter(|s| s.kind == SecretKind::Mount)
            .collect();
        if mounts.is_empty() {
            return Ok(());
        }
        let dir = self.secret_copies_dir();
        ensure_private_dir(&dir, 0o700)?;
        for s in mounts {
            let copy = dir.join(&s.id);
            if !copy.exists() {
                write_atomic(&copy, &self.rt.secret_value(&s.id)?, PRIVATE_FILE)?;
            }
        }
        Ok(())
    }

    /// At init: writes each `mount` secret, owned and moded as asked, into
    /// the run directory (a 0700 directory only the engine reads).
    pub(crate) fn write_secret_files(&self) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mounts = self.secret_mounts_sources();
        if mounts.is_empty() {
            return Ok(());
        }
        ensure_private_dir(&self.secret_mount_dir(), 0o700)?;
        for (s, file) in mounts {
            let copy = self.secret_copies_dir().join(&s.id);
            let value = match std::fs::read(&copy) {
                Ok(v) => v,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Made before the copy existed (an interrupted create).
                    self.copy_secrets()?;
                    std::fs::read(&copy).ctx(|| format!("reading {}", copy.display()))?
                }
                Err(e) => return Err(e).ctx(|| format!("reading {}", copy.display())),
            };
            write_atomic(&file, &value, PRIVATE_FILE)?;
            std::os::unix::fs::chown(&file, Some(s.uid), Some(s.gid))
                .ctx(|| format!("changing the owner of {}", file.display()))?;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(s.mode))
                .ctx(|| format!("changing the mode of {}", file.display()))?;
        }
        Ok(())
    }

    /// Each `mount` secret and the run-directory file it is mounted from.
    fn secret_mounts_sources(&self) -> Vec<(&ContainerSecret, PathBuf)> {
        self.config
            .secrets
            .iter()
            .filter(|s| s.kind == SecretKind::Mount)
            .enumerate()
            .map(|(i, s)| (s, self.secret_mount_dir().join(format!("{i}-{}", s.name))))
            .collect()
    }

    /// The spec's mounts for the `mount` secrets (read-only binds).
    pub(crate) fn secret_spec_mounts(&self) -> Result<Vec<Mount>> {
        self.secret_mounts_sources()
            .into_iter()
            .map(|(s, file)| bind_ro(&file, &s.target))
            .collect()
    }

    /// The process environment with the `env` secrets added (read from the
    /// driver now, by name: they never enter the stored configuration). The
    /// container's process and exec'd ones get it, as with Podman.
    pub(crate) fn env_with_secrets(&self) -> Result<Vec<String>> {
        let mut extra = Vec::new();
        for s in self
            .config
            .secrets
            .iter()
            .filter(|s| s.kind == SecretKind::Env)
        {
            // By name, as Podman: a secret made again under the name is used.
            let current = self.rt.secret(&s.name)?;
            let value = self.rt.secret_value(&current.id).map_err(|e| match e {
                Error::NoSuchSecret(_) => Error::NoSuchSecret(s.name.clone()),
                other => other,
            })?;
            let text = String::from_utf8(value).map_err(|_| {
                Error::InvalidArgument(format!(
                    "secret {} is not valid UTF-8 and cannot be an environment variable",
                    s.name
                ))
            })?;
            extra.push(format!("{}={text}", s.target));
        }
        let mut env = self.config.env.clone();
        for kv in extra {
            let key = kv.split('=').next().unwrap_or_default().to_string();
            env.retain(|e| e.split('=').next() != Some(key.as_str()));
            env.push(kv);
        }
        Ok(env)
    }

    /// `Config.Secrets` of `inspect`: the `mount` secrets, without values.
    pub fn inspect_secrets(&self) -> Vec<InspectSecret> {
        self.config
            .secrets
            .iter()
            .filter(|s| s.kind == SecretKind::Mount)
            .map(|s| InspectSecret {
                name: s.name.clone(),
                id: s.id.clone(),
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
            })
            .collect()
    }
}

fn bind_ro(source: &Path, dest: &str) -> Result<Mount> {
    MountBuilder::default()
        .destination(PathBuf::from(dest))
        .typ("bind")
        .source(source.to_path_buf())
        .options(
            ["bind", "ro", "nosuid", "nodev", "noexec", "rprivate"]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )
        .build()
        .map_err(|e| Error::Runtime(ocirt::Error::Spec(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_secret_name("db-pass.1_x").is_ok());
        assert!(validate_secret_name("a").is_ok());
        assert!(validate_secret_name("").is_err());
        assert!(validate_secret_name("a/b").is_err());
        assert!(validate_secret_name("-a").is_err());
        assert!(validate_secret_name("a-").is_err());
        assert!(validate_secret_name(&"a".repeat(65)).is_err());
        assert!(validate_secret_name(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn requests_follow_podman_rules() {
        let r = SecretRequest::parse("s").unwrap();
        assert_eq!((r.source.as_str(), r.kind), ("s", SecretKind::Mount));
        let r = SecretRequest::parse("s,type=mount,target=x,uid=1,gid=2,mode=0400").unwrap();
        assert_eq!(
            (r.target.as_deref(), r.uid, r.gid, r.mode),
            (Some("x"), Some(1), Some(2), Some(0o400))
        );
        assert_eq!(
            SecretRequest::parse("s,mode=400").unwrap().mode,
            Some(0o400)
        );
        let r = SecretRequest::parse("s,type=env,target=PW").unwrap();
        assert_eq!((r.kind, r.target.as_deref()), (SecretKind::Env, Some("PW")));
        for bad in [
            "",
            ",type=env",
            "type=env,s",
            "s,type",
            "s,type=file",
            "s,bogus=1",
            "s,uid=-1",
            "s,gid=x",
            "s,mode=999",
            "s,mode=abc",
            "s,type=env,uid=1",
            "s,type=env,mode=0400",
            "s,type=env,target=A=B",
        ] {
            assert!(SecretRequest::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn lookup_by_name_id_and_prefix() {
        let mk = |id: &str, name: &str| SecretConfig {
            id: id.into(),
            name: name.into(),
            driver: FILE_DRIVER.into(),
            driver_options: BTreeMap::new(),
            labels: BTreeMap::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let list = vec![mk("abc1", "one"), mk("abc2", "two")];
        assert_eq!(find_secret(&list, "one").unwrap().id, "abc1");
        assert_eq!(find_secret(&list, "abc2").unwrap().name, "two");
        assert_eq!(find_secret(&list, "abc1").unwrap().name, "one");
        assert!(matches!(
            find_secret(&list, "abc"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            find_secret(&list, "nope"),
            Err(Error::NoSuchSecret(_))
        ));
    }
}

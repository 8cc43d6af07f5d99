//! Registry credentials: Podman's `auth.json` (`{"auths": {"host": {"auth": base64(user:pass)}}}`)
//! and `--creds`.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};

/// The auth file Podman uses: `REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`,
/// else `/run/containers/<uid>/auth.json`.
pub fn default_auth_file() -> PathBuf {
    if let Some(path) = std::env::var_os("REGISTRY_AUTH_FILE") {
        return PathBuf::from(path);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        return PathBuf::from(dir).join("containers/auth.json");
    }
    PathBuf::from(format!(
        "/run/containers/{}/auth.json",
        nix::unistd::getuid().as_raw()
    ))
}

/// Splits `user:password` (`--creds`); a missing password is an error.
pub fn parse_creds(creds: &str) -> Result<(String, String)> {
    match creds.split_once(':') {
        Some((user, pass)) if !user.is_empty() => Ok((user.to_string(), pass.to_string())),
        _ => Err(Error::InvalidArgument(
            "--creds must be USERNAME:PASSWORD".to_string(),
        )),
    }
}

fn read_file(path: &Path) -> Result<Value> {
    match std::fs::read(path) {
        Ok(data) if data.iter().all(u8::is_ascii_whitespace) => Ok(json!({})),
        Ok(data) => serde_json::from_slice(&data).map_err(|source| Error::Json {
            context: format!("parsing {}", path.display()),
            source,
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(source) => Err(Error::Io {
            context: format!("reading {}", path.display()),
            source,
        }),
    }
}

/// The credentials stored for `host` in `path`, if any.
pub fn lookup(path: &Path, host: &str) -> Result<Option<(String, String)>> {
    let file = read_file(path)?;
    let Some(entry) = file.get("auths").and_then(|a| a.get(host)) else {
        return Ok(None);
    };
    let Some(encoded) = entry.get("auth").and_then(Value::as_str) else {
        return Ok(None);
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|e| {
        Error::InvalidArgument(format!("{}: bad auth for {host}: {e}", path.display()))
    })?;
    let text = String::from_utf8(decoded).map_err(|_| {
        Error::InvalidArgument(format!("{}: auth for {host} is not UTF-8", path.display()))
    })?;
    Ok(Some(parse_creds(&text)?))
}

/// The user logged into `host` in `path` (`login --get-login`).
pub fn logged_in_user(path: &Path, host: &str) -> Result<String> {
    match lookup(path, host)? {
        Some((user, _)) => Ok(user),
        None => Err(Error::InvalidArgument(format!("not logged into {host}"))),
    }
}

/// Stores credentials for `host` in `path` (created with mode 0600, other entries kept).
pub fn store(path: &Path, host: &str, user: &str, pass: &str) -> Result<()> {
    let mut file = read_file(path)?;
    let auths = auths_mut(&mut file, path)?;
    auths.insert(
        host.to_string(),
        json!({ "auth": STANDARD.encode(format!("{user}:{pass}")) }),
    );
    write_file(path, &file)
}

/// Removes the credentials of `host` (or all with `None`); returns whether any were removed.
pub fn remove(path: &Path, host: Option<&str>) -> Result<bool> {
    let mut file = read_file(path)?;
    let auths = auths_mut(&mut file, path)?;
    let removed = match host {
        Some(host) => auths.remove(host).is_some(),
        None => {
            let any = !auths.is_empty();
            auths.clear();
            any
        }
    };
    if removed {
        write_file(path, &file)?;
    }
    Ok(removed)
}

fn auths_mut<'a>(file: &'a mut Value, path: &Path) -> Result<&'a mut Map<String, Value>> {
    let object = file
        .as_object_mut()
        .ok_or_else(|| Error::InvalidArgument(format!("{}: not a JSON object", path.display())))?;
    object
        .entry("auths")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| {
            Error::InvalidArgument(format!("{}: \"auths\" is not an object", path.display()))
        })
}

fn write_file(path: &Path, value: &Value) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::Io {
        context: format!("writing {}", path.display()),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let text = serde_json::to_vec_pretty(value).map_err(|source| Error::Json {
        context: "encoding auth.json".into(),
        source,
    })?;
    let tmp = path.with_extension("json.tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(&text).map_err(io)?;
    file.write_all(b"\n").map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_lookup_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        assert_eq!(lookup(&path, "h:1").unwrap(), None);
        store(&path, "h:1", "u", "p:w").unwrap();
        store(&path, "other", "a", "b").unwrap();
        assert_eq!(
            lookup(&path, "h:1").unwrap(),
            Some(("u".to_string(), "p:w".to_string()))
        );
        let raw: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(raw["auths"]["h:1"]["auth"], STANDARD.encode("u:p:w"));
        assert!(remove(&path, Some("h:1")).unwrap());
        assert!(!remove(&path, Some("h:1")).unwrap());
        assert!(lookup(&path, "other").unwrap().is_some());
    }
}

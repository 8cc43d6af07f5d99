//! Running netavark (`setup`/`teardown` with the options as JSON on stdin)
//! with rpod's own configuration directory, one call at a time on the host:
//! bridges and firewall rules are shared by every engine.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::fcntl::{Flock, FlockArg};

use crate::error::{io_err, Error, Result};
use crate::types::{NetworkOptions, StatusBlock};

/// Where netavark and aardvark-dns are looked for, in order.
const LIBEXEC_DIRS: &[&str] = &[
    "/usr/local/libexec/podman",
    "/usr/local/lib/podman",
    "/usr/libexec/podman",
    "/usr/lib/podman",
];

/// The host-wide lock serialising netavark calls of every rpod engine.
pub const HOST_LOCK: &str = "/run/lock/rpod-netavark.lock";

/// A netavark binary and rpod's configuration for it.
#[derive(Debug, Clone)]
pub struct Netavark {
    pub binary: PathBuf,
    pub aardvark: PathBuf,
    /// netavark's `--config` (aardvark-dns's files live under it).
    pub config_dir: PathBuf,
    pub lock_path: PathBuf,
    /// The network namespace netavark runs in: `None` for the host's;
    /// rootless, the user's rootless network namespace, where its bridges,
    /// firewall rules and aardvark-dns live.
    pub netns: Option<PathBuf>,
}

/// Finds `name` in the configured path, the libexec directories or PATH.
pub fn find_helper(name: &str, configured: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = configured {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(Error::Invalid(format!(
                "{name} not found at {}",
                p.display()
            )))
        };
    }
    let path_dirs = std::env::var_os("PATH").unwrap_or_default();
    LIBEXEC_DIRS
        .iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(&path_dirs))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{name} not found (looked in {} and PATH): install it (apt-get install netavark aardvark-dns iptables)",
                LIBEXEC_DIRS.join(", ")
            ))
        })
}

impl Netavark {
    /// Finds netavark and aardvark-dns; `config_dir` is rpod's own.
    pub fn find(
        config_dir: PathBuf,
        netavark: Option<&Path>,
        aardvark: Option<&Path>,
    ) -> Result<Self> {
        Ok(Netavark {
            binary: find_helper("netavark", netavark)?,
            aardvark: find_helper("aardvark-dns", aardvark)?,
            config_dir,
            lock_path: PathBuf::from(HOST_LOCK),
            netns: None,
        })
    }

    fn lock(&self) -> Result<Flock<File>> {
        let path = &self.lock_path;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io_err("opening", path))?;
        Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| Error::Io {
            context: "locking".into(),
            path: path.clone(),
            source: e.into(),
        })
    }

    /// Connects the namespace to the networks of `opts`; returns netavark's
    /// result per network.
    pub fn setup(
        &self,
        netns: &Path,
        opts: &NetworkOptions,
    ) -> Result<BTreeMap<String, StatusBlock>> {
        let out = self.run_setup(netns, opts)?;
        serde_json::from_slice(&out).map_err(|source| Error::Json {
            context: "reading netavark's setup result".into(),
            source,
        })
    }

    /// `setup`, again a few times when another netavark on the host (one
    /// rpod's lock does not cover, such as Podman's) removed a shared
    /// firewall chain under it. What the failed try left (netavark does not
    /// always take its veth out of the namespace again) is torn down first,
    /// so the next try does not meet an `eth0` that already exists.
    fn run_setup(&self, netns: &Path, opts: &NetworkOptions) -> Result<Vec<u8>> {
        let mut tries = 0;
        loop {
            match self.run("setup", netns, opts) {
                Err(Error::Netavark { message, .. })
                    if tries < 3
                        && (message.contains("No chain/target/match by that name")
                            || message.contains("Chain already exists")) =>
                {
                    tries += 1;
                    let _ = self.run("teardown", netns, opts);
                    std::thread::sleep(std::time::Duration::from_millis(100 * tries));
                }
                other => return other,
            }
        }
    }

    /// Disconnects the namespace (and removes bridges, firewall rules and
    /// aardvark-dns entries nobody uses any more).
    pub fn teardown(&self, netns: &Path, opts: &NetworkOptions) -> Result<()> {
        self.run("teardown", netns, opts).map(drop)
    }

    fn run(&self, action: &str, netns: &Path, opts: &NetworkOptions) -> Result<Vec<u8>> {
        let input = serde_json::to_vec(opts).map_err(|source| Error::Json {
            context: "encoding netavark's options".into(),
            source,
        })?;
        std::fs::create_dir_all(&self.config_dir).map_err(io_err("creating", &self.config_dir))?;
        let _lock = self.lock()?;
        let mut cmd = Command::new(&self.binary);
        if let Some(ns) = &self.netns {
            use std::os::fd::AsRawFd;
            use std::os::unix::process::CommandExt;
            let file = File::open(ns).map_err(io_err("opening", ns))?;
            let fd = file.as_raw_fd();
            // SAFETY: setns is async-signal-safe; `file` outlives the spawn.
            unsafe {
                cmd.pre_exec(move || {
                    if nix::libc::setns(fd, nix::libc::CLONE_NEWNET) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            let out = self.spawn(cmd, action, netns, &input);
            drop(file);
            return out;
        }
        self.spawn(cmd, action, netns, &input)
    }

    fn spawn(&self, mut cmd: Command, action: &str, netns: &Path, input: &[u8]) -> Result<Vec<u8>> {
        let mut child = cmd
            .arg("--config")
            .arg(&self.config_dir)
            .arg("--rootless")
            .arg("false")
            .arg("--aardvark-binary")
            .arg(&self.aardvark)
            .arg(action)
            .arg(netns)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io_err("running", &self.binary))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input)
                .map_err(io_err("writing to", &self.binary))?;
        }
        let out = child
            .wait_with_output()
            .map_err(io_err("waiting for", &self.binary))?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(Error::Netavark {
            action: action.to_string(),
            message: error_message(&out.stdout, &out.stderr),
        })
    }
}

/// netavark's `{"error": "..."}` (on stdout), or whatever it printed.
fn error_message(stdout: &[u8], stderr: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Failure {
        error: String,
    }
    if let Ok(f) = serde_json::from_slice::<Failure>(stdout) {
        return f.error;
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(stdout).trim(),
        String::from_utf8_lossy(stderr).trim()
    );
    if text.is_empty() {
        "no output".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_read_from_json() {
        assert_eq!(error_message(br#"{"error":"boom"}"#, b""), "boom");
        assert_eq!(error_message(b"", b"bad\n"), "bad");
        assert_eq!(error_message(b"", b""), "no output");
    }
}

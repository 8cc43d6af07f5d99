//! Handing containers to a supervisor on one host: systemd units made from
//! existing containers and pods (`generate systemd`, [`units`]), quadlet
//! files translated to units ([`quadlet`]), and the `--sdnotify` modes the
//! monitor implements.

pub mod quadlet;
pub mod units;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// `--sdnotify`: what happens with the caller's `NOTIFY_SOCKET`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdNotifyMode {
    /// The socket is passed into the container (bind-mounted at
    /// [`CONTAINER_NOTIFY_SOCKET`]); the monitor relays its `READY=1`,
    /// with `MAINPID` set to the container's pid.
    #[default]
    Container,
    /// The monitor sends `READY=1` and `MAINPID` itself once the container
    /// runs; the container never sees the socket.
    Conmon,
    /// `NOTIFY_SOCKET` is left out of the container and nobody notifies.
    Ignore,
}

/// Where the notify socket appears inside a container in `container` mode.
pub const CONTAINER_NOTIFY_DIR: &str = "/run/notify";
/// The value of `NOTIFY_SOCKET` inside the container.
pub const CONTAINER_NOTIFY_SOCKET: &str = "/run/notify/notify.sock";

impl SdNotifyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SdNotifyMode::Container => "container",
            SdNotifyMode::Conmon => "conmon",
            SdNotifyMode::Ignore => "ignore",
        }
    }
}

impl fmt::Display for SdNotifyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SdNotifyMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "container" => Ok(SdNotifyMode::Container),
            "conmon" => Ok(SdNotifyMode::Conmon),
            "ignore" => Ok(SdNotifyMode::Ignore),
            other => Err(Error::InvalidArgument(format!(
                "invalid sdnotify value {other:?}: must be container, conmon or ignore"
            ))),
        }
    }
}

/// The command line that created a container (Podman's `CreateCommand`),
/// and where in it the image (or `--rootfs` directory) argument is: the
/// words after it are the container's command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCommand {
    pub args: Vec<String>,
    pub image_index: usize,
}

impl crate::Container<'_> {
    /// The service manager's notify socket (`NOTIFY_SOCKET` of this
    /// process) that the monitor is to notify, unless the mode ignores it.
    /// A relative path is made absolute: the monitor changes directory.
    pub(crate) fn notify_socket(&self) -> Option<std::ffi::OsString> {
        if self.config().sdnotify == SdNotifyMode::Ignore {
            return None;
        }
        let v = std::env::var_os("NOTIFY_SOCKET").filter(|v| !v.is_empty())?;
        if v.as_encoded_bytes().starts_with(b"@") {
            return Some(v);
        }
        Some(
            std::path::absolute(std::path::Path::new(&v))
                .map(|p| p.into_os_string())
                .unwrap_or(v),
        )
    }

    /// The spec's part of `--sdnotify`: in `container` mode with a notify
    /// socket, the monitor's proxy directory is mounted at
    /// [`CONTAINER_NOTIFY_DIR`] and `NOTIFY_SOCKET` points into it; in every
    /// other case the caller's socket stays out of the container.
    pub(crate) fn apply_sdnotify(
        &self,
        spec: &mut oci_spec::runtime::Spec,
        notify: Option<&std::ffi::OsStr>,
    ) -> crate::Result<()> {
        let proxy = notify.is_some() && self.config().sdnotify == SdNotifyMode::Container;
        if proxy {
            if let Some(process) = spec.process_mut() {
                let mut env: Vec<String> = process
                    .env()
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| !e.starts_with("NOTIFY_SOCKET="))
                    .collect();
                env.push(format!("NOTIFY_SOCKET={CONTAINER_NOTIFY_SOCKET}"));
                process.set_env(Some(env));
            }
            let dir = self.rundir().join("notify");
            std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
                context: format!("creating {}", dir.display()),
                source,
            })?;
            let mount = oci_spec::runtime::MountBuilder::default()
                .destination(std::path::PathBuf::from(CONTAINER_NOTIFY_DIR))
                .typ("bind")
                .source(dir)
                .options(vec!["bind".to_string(), "rw".to_string()])
                .build()
                .map_err(|e| Error::Runtime(ocirt::Error::Spec(e)))?;
            let mut mounts = spec.mounts().clone().unwrap_or_default();
            mounts.push(mount);
            spec.set_mounts(Some(mounts));
        }
        Ok(())
    }

    /// `conmon` mode: tells the monitor the container runs, so it sends
    /// `READY=1` (it ignores this without a notify socket). A monitor that
    /// can't be reached has nobody to notify either.
    pub(crate) fn notify_started(&self) {
        if self.config().sdnotify == SdNotifyMode::Conmon {
            match monitor::attach::AttachClient::connect(&self.rundir()) {
                Ok(client) => {
                    if let Err(e) = client.started() {
                        crate::diagnostics::debug(format_args!(
                            "telling the monitor the container started: {e}"
                        ));
                    }
                }
                Err(e) => crate::diagnostics::debug(format_args!("connecting to the monitor: {e}")),
            }
        }
    }
}

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

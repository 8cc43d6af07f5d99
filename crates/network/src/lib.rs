//! Network configuration for rpod containers.
//!
//! This first cut holds the content of the files every container gets in its
//! run directory (`/etc/hosts`, `/etc/resolv.conf`); netavark-driven bridge
//! networks build on it later.

mod hosts;
mod resolv;

pub use hosts::{hosts_file, HostEntry, HostsBase};
pub use resolv::resolv_conf;

/// How a container is connected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// Its own network namespace with only a loopback interface.
    #[default]
    None,
    /// The host's network namespace.
    Host,
}

impl NetworkMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            NetworkMode::None => "none",
            NetworkMode::Host => "host",
        }
    }
}

/// Errors in network settings given by the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("network mode {0:?} is not supported (supported: none, host)")]
    UnsupportedMode(String),
}

impl std::str::FromStr for NetworkMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "none" => Ok(NetworkMode::None),
            "host" => Ok(NetworkMode::Host),
            other => Err(Error::UnsupportedMode(other.to_string())),
        }
    }
}

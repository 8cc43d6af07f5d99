//! The network crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong with networks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting given by the user is not valid.
    #[error("{0}")]
    Invalid(String),
    #[error("network mode {0:?} is not supported (supported: bridge, none, host, container:ID, ns:PATH, or network names)")]
    UnsupportedMode(String),
    #[error("unable to find network with name or ID {0}: network not found")]
    NoSuchNetwork(String),
    #[error("network name {0} already used: network already exists")]
    NetworkExists(String),
    #[error("{name:?} has associated containers with it ({}). Use -f to forcibly delete containers and pods: network is being used", containers.join(", "))]
    NetworkInUse {
        name: String,
        containers: Vec<String>,
    },
    #[error("IP address {ip} is already allocated in network {network}")]
    AddressInUse { ip: String, network: String },
    #[error("no free IP address left in network {0}")]
    NoFreeAddress(String),
    #[error("no free subnet left for a new network: give one with --subnet")]
    NoFreeSubnet,
    #[error("host port {port}/{proto} on {ip} is already in use: {source}")]
    PortInUse {
        ip: String,
        port: u16,
        proto: String,
        #[source]
        source: std::io::Error,
    },
    #[error("netavark {action} failed: {message}")]
    Netavark { action: String, message: String },
    #[error("{context} {}: {source}", path.display())]
    Io {
        context: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches a path and a description to an I/O error.
pub(crate) fn io_err(
    context: &str,
    path: &std::path::Path,
) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.to_string();
    let path = path.to_path_buf();
    move |source| Error::Io {
        context,
        path,
        source,
    }
}

//! The engine's error type.

use std::path::PathBuf;

use crate::container::ContainerStatus;

/// Everything that can go wrong in the engine. The CLI maps these to Podman's
/// exit codes with [`Error::exit_code`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no container with name or ID {0:?} found: no such container")]
    NoSuchContainer(String),
    #[error("{0}: image not known")]
    NoSuchImage(String),
    #[error("no secret with name or id {0:?}: no such secret")]
    NoSuchSecret(String),
    #[error("no volume with name {0:?} found: no such volume")]
    NoSuchVolume(String),
    #[error("no pod with name or ID {0} found: no such pod")]
    NoSuchPod(String),
    #[error("container ID prefix {prefix:?} is ambiguous: it matches {}", candidates.join(", "))]
    AmbiguousContainer {
        prefix: String,
        candidates: Vec<String>,
    },
    #[error(
        "the container name {0:?} is already in use; remove that container or choose another name: that name is already in use"
    )]
    NameInUse(String),
    #[error("invalid container name {0:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*")]
    InvalidName(String),
    #[error("container {id} is {state}: {action}: container state improper")]
    InvalidState {
        id: String,
        state: ContainerStatus,
        action: String,
    },
    #[error("{0}")]
    InvalidArgument(String),
    /// The host (or this build) cannot do what was asked.
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}: OCI runtime attempted to invoke a command that was not found")]
    CommandNotFound(String),
    #[error("{0}: OCI runtime attempted to invoke a command that is not executable")]
    CommandNotExecutable(String),
    #[error("image {image} is in use by container(s) {}: remove them first or use --force: image is in use by a container", containers.join(", "))]
    ImageInUse {
        image: String,
        containers: Vec<String>,
    },
    /// A tar copied into a container path that does not exist (Podman's
    /// words; the Docker API answers 404).
    #[error("destination {path:?} must be a directory when copying from stdin")]
    NoSuchPath { path: String, container: String },
    /// `rmi ID` of an image with several names, without force.
    #[error("unable to delete image {id:?} by ID with more than one tag ([{}]): please force removal", names.join(" "))]
    ImageHasNames { id: String, names: Vec<String> },
    #[error("volume {volume} is being used by container(s) {}: remove them first or use --force: volume is being used", containers.join(", "))]
    VolumeInUse {
        volume: String,
        containers: Vec<String>,
    },
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(std::time::Duration, String),
    #[error("configuration file {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("state database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The state database cannot be used: it is corrupt, or a newer rpod
    /// wrote it. It is left as it is.
    #[error("state database {}: {message}", path.display())]
    StateDatabase { path: PathBuf, message: String },
    #[error("storage: {0}")]
    Storage(#[from] storage::Error),
    #[error("OCI runtime: {0}")]
    Runtime(#[from] ocirt::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Network(#[from] network::Error),
    /// A registry operation failed (network, HTTP, authentication, malformed data).
    #[error("{context}: {source}")]
    Registry {
        context: String,
        #[source]
        source: crate::images::RegistryError,
    },
    /// The file system filled up during `operation`; what it had stored
    /// so far was removed again.
    #[error("{operation}: no space left on device ({detail})")]
    NoSpace { operation: String, detail: String },
    #[error("rpod-monitor for container {id}: {message}")]
    Monitor { id: String, message: String },
    /// A build step's command failed; the build exits with the command's code, as Podman's.
    #[error("{message}")]
    BuildStepFailed {
        message: String,
        code: i32,
        /// The command the step ran.
        command: Vec<String>,
    },
}

/// What a failing command was doing, as far as its exit code depends on
/// it: Podman's removal commands (`rm`, `rmi`, `volume rm`, `pod rm`,
/// `network rm`) report a missing object with 1 and an object in use or in
/// the wrong state with 2; `exec` reports a container that is not running
/// with 255 (its "no exit status" value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Remove,
    Exec,
    Other,
}

/// Podman's exit code for errors of the engine itself.
pub const EXIT_ENGINE: i32 = 125;

impl Error {
    /// This error as [`Error::NoSpace`] of `operation` when a full file
    /// system caused it; any other error unchanged.
    pub(crate) fn naming_no_space(self, operation: &str) -> Error {
        if matches!(self, Error::NoSpace { .. }) || !self.is_no_space() {
            return self;
        }
        Error::NoSpace {
            operation: operation.to_string(),
            detail: self.to_string(),
        }
    }

    fn is_no_space(&self) -> bool {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.raw_os_error() == Some(nix::errno::Errno::ENOSPC as i32) {
                    return true;
                }
            }
            if let Some(rusqlite::Error::SqliteFailure(f, _)) = e.downcast_ref::<rusqlite::Error>()
            {
                if f.code == rusqlite::ErrorCode::DiskFull {
                    return true;
                }
            }
            cur = e.source();
        }
        // Errors that carry the cause only as text (a registry client's).
        self.to_string().contains("No space left on device")
    }

    /// Podman's exit code for this error: 125 for engine errors, 126 when
    /// the container command cannot be invoked, 127 when it does not exist.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::CommandNotFound(_) => 127,
            Error::CommandNotExecutable(_) => 126,
            Error::BuildStepFailed { code, .. } if (1..=255).contains(code) => *code,
            _ => EXIT_ENGINE,
        }
    }

    /// Podman's exit code for this error in a command doing `op`.
    pub fn exit_code_for(&self, op: Operation) -> i32 {
        match op {
            Operation::Remove if self.is_not_found() => 1,
            Operation::Remove if self.is_in_use() => 2,
            Operation::Exec if matches!(self, Error::InvalidState { .. }) => 255,
            _ => self.exit_code(),
        }
    }

    /// True for errors that mean "this object is in use or in a state that
    /// forbids the operation".
    pub fn is_in_use(&self) -> bool {
        matches!(
            self,
            Error::InvalidState { .. }
                | Error::ImageInUse { .. }
                | Error::VolumeInUse { .. }
                | Error::Network(network::Error::NetworkInUse { .. })
        )
    }

    /// The registry client's error, when this is one.
    fn registry_client_error(&self) -> Option<&oci_client::errors::OciDistributionError> {
        match self {
            Error::Registry {
                source: crate::images::RegistryError::Client(e),
                ..
            } => Some(e),
            _ => None,
        }
    }

    /// True when a registry refused the credentials (or asked for some).
    pub fn is_unauthorized(&self) -> bool {
        use oci_client::errors::{OciDistributionError as D, OciErrorCode};
        match self.registry_client_error() {
            Some(D::AuthenticationFailure(_) | D::UnauthorizedError { .. }) => true,
            Some(D::RegistryError { envelope, .. }) => envelope
                .errors
                .iter()
                .any(|e| e.code == OciErrorCode::Unauthorized),
            Some(D::ServerError { code, .. }) => *code == 401,
            _ => false,
        }
    }

    /// True when a registry has no such repository or manifest.
    pub fn is_unknown_in_registry(&self) -> bool {
        use oci_client::errors::{OciDistributionError as D, OciErrorCode};
        match self.registry_client_error() {
            Some(D::RegistryError { envelope, .. }) => envelope.errors.iter().any(|e| {
                matches!(
                    e.code,
                    OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown
                )
            }),
            Some(D::ImageManifestNotFoundError(_)) => true,
            Some(D::ServerError { code, .. }) => *code == 404,
            _ => false,
        }
    }

    /// True for errors that mean "this object does not exist".
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::NoSuchContainer(_)
                | Error::NoSuchImage(_)
                | Error::NoSuchSecret(_)
                | Error::NoSuchVolume(_)
                | Error::NoSuchPod(_)
                | Error::Storage(storage::Error::ImageNotFound(_))
                | Error::Network(network::Error::NoSuchNetwork(_))
        )
    }
}

/// Adds a description of what was being done to an I/O error.
pub(crate) trait IoContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: context(),
            source,
        })
    }
}

pub type Result<T> = std::result::Result<T, Error>;

use std::path::PathBuf;

/// Errors from running an OCI runtime or building a spec.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("OCI runtime {name:?} not found (looked in {searched})")]
    RuntimeNotFound { name: String, searched: String },
    #[error("OCI runtime {name} cannot run containers on this host: {reason}")]
    RuntimeUnsupported { name: String, reason: String },
    #[error("{runtime} {action} {id}: {message}")]
    Command {
        runtime: String,
        action: String,
        id: String,
        message: String,
    },
    #[error("running {path}: {source}")]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing output of {runtime} {action}: {source}")]
    Parse {
        runtime: String,
        action: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("building runtime spec: {0}")]
    Spec(#[from] oci_spec::OciSpecError),
    /// The engine's supervisor failed to create the container; its own
    /// error, handed back unchanged.
    #[error("{0}")]
    Supervisor(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// True when the runtime said the container does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Command { message, .. }
            if message.contains("does not exist") || message.contains("not found") || message.contains("No such"))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

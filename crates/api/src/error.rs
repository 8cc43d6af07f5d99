//! The API's error type: every failure becomes Docker's `{"message": "..."}`
//! body with the status code Docker uses for that kind of failure.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What went wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named object does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the object's state (409).
    #[error("{0}")]
    Conflict(String),
    /// Bad parameters or a malformed body (400).
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the service accepts (413).
    #[error("{0}")]
    TooLarge(String),
    /// An endpoint or option rpod does not serve yet (501).
    #[error("{0}")]
    NotImplemented(String),
    /// Anything else (500).
    #[error("{0}")]
    Internal(String),
    /// An error of the engine, mapped by its variant.
    #[error(transparent)]
    Engine(#[from] libpod::Error),
    /// Setting up the service (binding the socket, signals).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The API's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The HTTP status Docker answers with for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Error::Internal(_) | Error::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Engine(e) => engine_status(e),
        }
    }

    /// A "not implemented yet" error naming the endpoint.
    pub fn not_yet(what: &str) -> Self {
        Error::NotImplemented(format!("{what} is not implemented by rpod yet"))
    }
}

/// Maps libpod's errors to Docker's status codes.
fn engine_status(e: &libpod::Error) -> StatusCode {
    use libpod::Error as E;
    if e.is_not_found() || e.is_unknown_in_registry() || matches!(e, E::NoSuchPath { .. }) {
        return StatusCode::NOT_FOUND;
    }
    if e.is_unauthorized() {
        return StatusCode::UNAUTHORIZED;
    }
    match e {
        E::NameInUse(_)
        | E::InvalidState { .. }
        | E::ImageInUse { .. }
        | E::ImageHasNames { .. }
        | E::VolumeInUse { .. }
        | E::Network(
            libpod::network::Error::NetworkExists(_)
            | libpod::network::Error::NetworkInUse { .. }
            | libpod::network::Error::AddressInUse { .. },
        ) => StatusCode::CONFLICT,
        E::InvalidName(_)
        | E::InvalidArgument(_)
        | E::Unsupported(_)
        | E::AmbiguousContainer { .. }
        | E::CommandNotFound(_)
        | E::CommandNotExecutable(_)
        | E::Network(
            libpod::network::Error::Invalid(_) | libpod::network::Error::UnsupportedMode(_),
        )
        | E::Storage(
            storage::Error::UnsafeArchive { .. }
            | storage::Error::InvalidArchive { .. }
            | storage::Error::InvalidReference { .. }
            | storage::Error::InvalidImage(_)
            | storage::Error::Archive(_),
        ) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Docker's error body.
pub fn error_body(message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "message": message }))
        .unwrap_or_else(|_| b"{\"message\":\"internal error\"}".to_vec())
}

/// The message a Docker engine gives for a missing object, where it differs
/// from Podman's (which the libpod API keeps). Clients parse these phrases:
/// docker-py turns "No such image" into `ImageNotFound`.
#[derive(Debug, Clone)]
pub struct DockerMessage(pub String);

impl Error {
    /// Docker's wording of this error, where it has its own.
    pub fn docker_message(&self) -> Option<String> {
        use libpod::Error as E;
        let Error::Engine(e) = self else { return None };
        Some(match e {
            E::NoSuchContainer(n) => format!("No such container: {n}"),
            E::NoSuchImage(n) | E::Storage(storage::Error::ImageNotFound(n)) => {
                format!("No such image: {n}")
            }
            E::NoSuchVolume(n) => format!("get {n}: no such volume"),
            E::NoSuchPath { path, container } => {
                format!("Could not find the file {path} in container {container}")
            }
            E::ImageHasNames { id, .. } => format!(
                "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                &id[..id.len().min(12)]
            ),
            E::Network(libpod::network::Error::NoSuchNetwork(n)) => {
                format!("network {n} not found")
            }
            _ => return None,
        })
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let docker = self.docker_message().map(DockerMessage);
        let mut r = (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            error_body(&self.to_string()),
        )
            .into_response();
        if let Some(d) = docker {
            r.extensions_mut().insert(d);
        }
        r
    }
}

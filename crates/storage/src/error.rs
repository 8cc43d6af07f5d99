//! The crate-wide error type.

use std::io;
use std::path::{Path, PathBuf};

use crate::driver::DriverKind;

/// Convenience alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the image store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem or system call on `path` failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "create directory".
        op: &'static str,
        /// The path the operation was applied to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Reading, decompressing or parsing a layer archive failed (truncated or corrupt input).
    #[error("reading layer archive: {0}")]
    Archive(#[source] io::Error),
    /// An archive entry would escape the layer directory or write through a link.
    #[error("unsafe archive entry {path:?}: {reason}")]
    UnsafeArchive {
        /// The entry's path as written in the archive.
        path: String,
        /// Why the entry was refused.
        reason: String,
    },
    /// An archive entry is malformed or of an unsupported kind.
    #[error("invalid archive entry {path:?}: {reason}")]
    InvalidArchive {
        /// The entry's path as written in the archive.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An image name or reference does not follow the reference grammar.
    #[error("invalid reference format {reference:?}: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No image matches the reference.
    #[error("{0}: image not known")]
    ImageNotFound(String),
    /// More than one image matches the reference.
    #[error("{reference}: ambiguous image reference, candidates: {}", candidates.join(", "))]
    AmbiguousImage {
        /// The reference as given.
        reference: String,
        /// The names or IDs that matched.
        candidates: Vec<String>,
    },
    /// The image cannot be removed because containers use it.
    #[error("image {id} is in use by container(s): {}", containers.join(", "))]
    ImageInUse {
        /// The image ID.
        id: String,
        /// IDs of the containers using it.
        containers: Vec<String>,
    },
    /// The image does not carry the name that was to be removed.
    #[error("image {id} has no name {name:?}")]
    NameNotFound {
        /// The image ID.
        id: String,
        /// The (normalised) name.
        name: String,
    },
    /// A layer referenced by an image is missing from the store.
    #[error("layer {0}: layer not known")]
    LayerNotFound(String),
    /// No container layer exists with this ID.
    #[error("{0}: container not known")]
    ContainerNotFound(String),
    /// A container layer with this ID already exists.
    #[error("container {0} already exists")]
    ContainerExists(String),
    /// A container ID contains characters that cannot be used as a directory name.
    #[error("invalid container id {0:?}")]
    InvalidContainerId(String),
    /// A driver name is neither "overlay" nor "vfs".
    #[error("unknown storage driver {0:?} (expected \"overlay\" or \"vfs\")")]
    UnknownDriver(String),
    /// The store was initialised with another driver than the one requested.
    #[error(
        "store {} was initialised with the {stored} driver and cannot be used with {requested}",
        root.display()
    )]
    DriverMismatch {
        /// The store root.
        root: PathBuf,
        /// Driver recorded in the store.
        stored: DriverKind,
        /// Driver asked for.
        requested: DriverKind,
    },
    /// A metadata file could not be parsed or serialised.
    #[error("metadata {}: {source}", path.display())]
    Metadata {
        /// The metadata file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Content does not have the digest it is referred to by.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was checked, e.g. "blob".
        what: String,
        /// The declared digest.
        expected: String,
        /// The digest of the content received.
        actual: String,
    },
    /// Content does not have the size it is declared with.
    #[error("{what}: size mismatch: declared {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was checked.
        what: String,
        /// The declared size.
        expected: u64,
        /// The size of the content received.
        actual: u64,
    },
    /// An image's manifest or config is malformed or inconsistent.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// A blob an image refers to is not stored.
    #[error("blob {0}: blob not known")]
    BlobNotFound(String),
    /// Building an OCI config or manifest failed.
    #[error("building OCI metadata: {0}")]
    Spec(#[from] oci_spec::OciSpecError),
}

impl Error {
    /// True when the error is an I/O error of kind `NotFound`.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// Attaches an operation name and a path to I/O (and errno) results.
pub(crate) trait IoContext<T> {
    /// Converts the error into [`Error::Io`] describing `op` on `path`.
    fn at(self, op: &'static str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, op: &'static str, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            op,
            path: path.to_path_buf(),
            source,
        })
    }
}

impl<T> IoContext<T> for nix::Result<T> {
    fn at(self, op: &'static str, path: &Path) -> Result<T> {
        self.map_err(io::Error::from).at(op, path)
    }
}

//! The rpod engine.
//!
//! [`Runtime`] is the entry point: it opens the configuration, the state
//! database and (lazily) the image store and OCI runtime. Containers are
//! [`Container`] values with one module per operation; every state
//! transition lives here, never in the CLI or the API. Listings and
//! their filters are [`query`]'s, shared by every front end.
//!
//! The OCI runtime is reached only through [`Runtime::oci`], an
//! `ocirt::ContainerRuntime` trait object: runc (or crun, youki) in
//! production, or any implementation given to [`Runtime::with_oci`]. The
//! unit tests (`src/tests/`) run the engine on `ocirt::fake::FakeRuntime`
//! with a temporary root and vfs storage, needing neither root nor runc.

pub mod autoupdate;
pub mod build;
pub mod config;
pub mod container;
mod db;
pub mod diagnostics;
pub mod events;
#[doc(hidden)]
pub mod fault;
pub mod fetch;
mod fsutil;
pub mod hooks;
pub mod humanize;
mod ids;
pub mod images;
pub mod kube;
mod lock;
pub mod networks;
pub mod parse;
pub mod paths;
pub mod pods;
pub mod query;
pub mod rootless;
mod runtime;
pub mod secrets;
pub mod specgen;
pub mod system;
pub mod systemd;
pub mod volumes;

mod error;
#[cfg(test)]
mod tests;

pub use container::{Container, ContainerStatus, CreateOptions};
pub use error::{Error, Operation, Result};
pub use runtime::{DependencyOrder, Runtime, RuntimeOptions};

/// Re-exported for the CLI's attach (frames) and log time formats.
pub use monitor;
/// Re-exported: network definitions and flag types for the CLI.
pub use network;
/// Re-exported network types used in [`CreateOptions`].
pub use network::{NetworkMode, NetworkRequest};
/// Re-exported so the CLI can use the same signal parser.
pub use ocirt::spec::parse_signal;

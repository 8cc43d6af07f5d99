//! rpod's REST API service: the Docker Engine API (versions 1.24–1.44, with
//! 1.40–1.44 shapes) and a first part of Podman's libpod API, served on a
//! unix socket (or a loopback TCP address) by `rpod system service`.
//!
//! The service keeps no container state of its own: every request opens a
//! [`libpod::Runtime`] on a blocking thread and goes through libpod, so the
//! CLI and the API always agree, and containers keep running when the
//! service stops. Only exec sessions created through the API live in the
//! service's memory between their create and start calls.

#![recursion_limit = "256"]

pub mod activity;
pub mod body;
pub mod docker_types;
pub mod error;
pub mod hijack;
pub mod routes;
pub mod server;
pub mod state;
pub mod stream;

pub use error::{Error, Result};
pub use server::{run, serve, Listen, ServiceOptions};

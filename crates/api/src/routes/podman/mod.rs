//! Podman's libpod API (`/vX.Y.Z/libpod/...`) where its shapes differ from
//! Docker's, one module per resource. Endpoints the two APIs share (or
//! that differ only in a few fields) live in the resource modules of
//! `routes`, with `libpod_` handlers beside the Docker ones.

pub mod containers;
pub mod images;
pub mod networks;
pub mod pods;
pub mod system;
pub mod volumes;

//! Image, layer and container-layer storage for rpod.
//!
//! A [`Store`] keeps content-addressed layers (extracted in overlay format), image metadata
//! and blobs, and per-container writable layers managed by a storage driver (overlay or
//! vfs). See [`Store`] for the on-disk layout and the consistency rules.

pub mod archive;
mod blob;
mod changes;
mod container;
mod digest;
mod driver;
mod error;
mod extract;
mod fsutil;
mod idmap;
mod image;
mod layer;
mod lock;
mod mountinfo;
mod names;
pub mod oci;
mod options;
mod store;
mod xattr;

#[cfg(test)]
mod testutil;

pub use changes::{Change, ChangeKind};
pub use container::Container;
pub use driver::DriverKind;
pub use error::{Error, Result};
pub use extract::decompressed as decompress;
pub use extract::extract_layer_to;
pub use fsutil::du;
pub use idmap::{map_to_host, IdMapping, IdMaps};
pub use image::Image;
pub use layer::Layer;
pub use names::{normalize_name, Reference};
pub use options::{CommitOptions, ImportOptions, StoreOptions};
pub use store::{
    chain_ids, check_image, BuildCommit, BuildLayers, CheckedImage, NewImage, Staging, Store,
    MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE,
};

//! Driving OCI runtime binaries (runc, crun, youki) and building runtime specs.
//!
//! rpod never links a runtime: it runs the runtime's command line, exactly as a
//! user could, with its state kept under a root of rpod's own so that other
//! engines on the host never see rpod's containers.

mod error;
mod host;
pub mod pidfd;
mod runtime;
pub mod seccomp;
pub mod spec;

pub use error::{Error, Result};
pub use host::{cgroup_mode, CgroupMode};
pub use runtime::{find_binary, OciRuntime, RuntimeState, RuntimeStatus};

//! Driving OCI runtime binaries (runc, crun, youki) and building runtime specs.
//!
//! rpod never links a runtime: it runs the runtime's command line, exactly as a
//! user could, with its state kept under a root of rpod's own so that other
//! engines on the host never see rpod's containers.
//!
//! The engine sees a runtime only through [`ContainerRuntime`], one
//! object-safe trait over create (through the engine's [`Supervisor`],
//! rpod-monitor), start, state, kill/signal, delete, pause, resume, exec,
//! update, ps, checkpoint and restore. [`OciRuntime`] implements it with a
//! runtime binary; [`fake::FakeRuntime`] (feature `fake`, and in this
//! crate's tests) keeps containers in memory for tests without root or runc.
//! Also here: signals through pidfds ([`pidfd`]), seccomp profiles
//! ([`seccomp`]), the shared parts of runtime specs ([`spec`]) and whether
//! CRIU works on this host ([`criu_unavailable`]).

mod criu;
mod error;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod host;
mod interface;
pub mod pidfd;
mod runtime;
pub mod seccomp;
pub mod spec;

pub use criu::criu_unavailable;
pub use error::{Error, Result};
pub use host::{cgroup_mode, CgroupMode};
pub use interface::{
    CheckpointRequest, ContainerRuntime, CreateRequest, Created, ExecProcess, ExecRequest,
    RestoreRequest, Supervisor,
};
pub use runtime::{find_binary, OciRuntime, RuntimeState, RuntimeStatus};

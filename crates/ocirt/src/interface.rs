//! The engine's view of an OCI runtime: one object-safe trait,
//! [`ContainerRuntime`], over every operation rpod asks a runtime for.
//!
//! [`crate::OciRuntime`] implements it by running a runtime binary (runc,
//! crun, youki); [`crate::fake::FakeRuntime`] (feature `fake`) keeps
//! containers in memory so the engine can be tested without root or runc.
//!
//! Creation is the one operation the engine does not ask for directly: the
//! runtime's `create` runs under a supervisor (rpod-monitor), which stays the
//! container's parent, forwards its output and writes its exit file. The
//! engine hands the runtime a [`Supervisor`] that knows how to start one;
//! a binary runtime gives it its command line, a fake one stands in for
//! both and never calls it.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};

use crate::error::Result;
use crate::runtime::RuntimeState;

/// What a runtime needs to create a container from its bundle.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub id: String,
    /// The bundle directory holding `config.json`.
    pub bundle: PathBuf,
    /// Where the runtime writes the errors of its own (JSON lines).
    pub log: Option<PathBuf>,
    /// Where the supervisor records the container's exit: its code as
    /// decimal text, the file's mtime being the time it finished.
    pub exit_file: PathBuf,
}

/// Starts the supervisor that runs `runtime create` for a bundle and waits
/// for it to report.
pub trait Supervisor {
    /// Runs the supervisor with the runtime's binary and the arguments that
    /// go before its subcommand; returns the container's init pid once the
    /// container is created. The error is the caller's own, handed back
    /// unchanged in [`crate::Error::Supervisor`].
    fn launch(
        &self,
        runtime: &Path,
        runtime_args: Vec<OsString>,
    ) -> std::result::Result<i32, Box<dyn std::error::Error + Send + Sync>>;
}

/// What [`ContainerRuntime::create`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    /// The container's init process (waiting for `start`).
    pub pid: i32,
}

/// A process run in a container by [`ContainerRuntime::exec`].
pub struct ExecRequest<'a> {
    pub id: &'a str,
    /// A JSON file with the OCI `process` object to run.
    pub process: &'a Path,
    /// Return once the process runs (its pid written to `pid_file`).
    pub detach: bool,
    pub pid_file: Option<&'a Path>,
    /// Where the runtime's own errors go (JSON lines).
    pub log: Option<&'a Path>,
    /// Pass this process's descriptors 3 to 3+N-1 on to the new process
    /// (`exec --preserve-fds N`).
    pub preserve_fds: u32,
    pub stdin: Stdio,
    pub stdout: Stdio,
    pub stderr: Stdio,
}

/// The runtime's side of an exec: in the foreground the parent of the
/// process, exiting with its status; detached, gone once it started it.
pub trait ExecProcess: Send {
    /// The pid of the runtime's exec process.
    fn pid(&self) -> u32;
    /// Its stdout, when piped.
    fn take_stdout(&mut self) -> Option<Box<dyn Read + Send>>;
    /// Its stderr, when piped.
    fn take_stderr(&mut self) -> Option<Box<dyn Read + Send>>;
    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>>;
    fn wait(&mut self) -> std::io::Result<ExitStatus>;
    fn kill(&mut self) -> std::io::Result<()>;
}

/// `checkpoint` with CRIU.
#[derive(Debug, Clone)]
pub struct CheckpointRequest<'a> {
    pub id: &'a str,
    /// Where CRIU writes the images (and its work files).
    pub image_path: &'a Path,
    pub leave_running: bool,
    pub tcp_established: bool,
}

/// `restore` from CRIU images, detached from the caller.
#[derive(Debug, Clone)]
pub struct RestoreRequest<'a> {
    pub id: &'a str,
    pub bundle: &'a Path,
    pub image_path: &'a Path,
    /// Where the runtime writes the restored init's pid.
    pub pid_file: &'a Path,
    pub tcp_established: bool,
}

/// Every operation the engine asks of an OCI runtime. Object safe; the
/// engine holds it as `Arc<dyn ContainerRuntime>`.
pub trait ContainerRuntime: Send + Sync {
    /// The runtime's name (`runc`), as `info` and `inspect` show it.
    fn name(&self) -> &str;
    /// The binary, as `info` shows it.
    fn path(&self) -> &Path;
    /// The first line of `runtime --version`.
    fn version(&self) -> Result<String>;

    /// Creates the container from its bundle under the engine's supervisor.
    fn create(&self, req: &CreateRequest, supervisor: &dyn Supervisor) -> Result<Created>;
    /// Runs the created container's process.
    fn start(&self, id: &str) -> Result<()>;
    /// The runtime's view of the container; `None` when it does not know it.
    fn state(&self, id: &str) -> Result<Option<RuntimeState>>;
    /// Whether the runtime keeps state for `id`, without asking it (a stat).
    fn knows(&self, id: &str) -> bool;

    /// `runtime kill [--all] ID SIGNAL`.
    fn kill(&self, id: &str, signal: i32, all: bool) -> Result<()>;
    /// Sends `signal` to the container's init, the cheapest safe way the
    /// runtime has; a container whose process is already gone is not an
    /// error (its exit file tells the rest).
    fn signal(&self, id: &str, signal: i32) -> Result<()>;

    /// `runtime delete [--force] ID`; an unknown container is not an error.
    fn delete(&self, id: &str, force: bool) -> Result<()>;
    /// Takes a created, never started container out of the runtime.
    fn delete_created(&self, id: &str) -> Result<()>;

    fn pause(&self, id: &str) -> Result<()>;
    fn resume(&self, id: &str) -> Result<()>;

    /// Starts a process in the running container.
    fn exec(&self, req: ExecRequest<'_>) -> Result<Box<dyn ExecProcess>>;
    /// New resource limits (a JSON file with an OCI `linux.resources`).
    fn update(&self, id: &str, resources: &Path) -> Result<()>;
    /// The host pids of the container's processes.
    fn pids(&self, id: &str) -> Result<Vec<i32>>;

    /// Why checkpoint/restore cannot work on this host, if it cannot.
    fn checkpoint_unavailable(&self) -> Option<String>;
    fn checkpoint(&self, req: &CheckpointRequest<'_>) -> Result<()>;
    /// Restores the container; returns its init's pid (0 if unknown).
    fn restore(&self, req: &RestoreRequest<'_>) -> Result<i32>;
}

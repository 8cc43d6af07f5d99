//! `rpod-monitor`: the per-container supervisor process of rpod (rpod's
//! counterpart of Podman's `conmon`), and the protocol libpod uses to talk
//! to it.
//!
//! One monitor process runs for every running container. It creates the
//! container through the OCI runtime (`runc create`), reports the container
//! pid on a sync fd, copies the container's output to the log file and to
//! attached clients, forwards stdin and terminal resizes, reaps the
//! container and finally records its exit code in an exit file.
//!
//! This library holds every piece both sides need, so that libpod and the
//! monitor binary share one definition:
//!
//! * [`MonitorArgs`]: the command line (built with [`MonitorArgs::to_args`],
//!   parsed with [`MonitorArgs::parse`]);
//! * [`SyncMessage`]: the single message written on the sync fd;
//! * [`logfile`]: the `k8s-file` / `json-file` log formats (writer, reader,
//!   follower);
//! * [`attach`]: the attach socket packet format and [`AttachClient`];
//! * [`exitfile`]: the exit file ([`read_exit_file`]);
//! * the file names the monitor creates ([`ATTACH_SOCKET`], [`OOM_FILE`],
//!   [`MONITOR_PID_FILE`], [`MONITOR_LOG_FILE`]).
//!
//! The monitor process itself lives in [`supervisor`]; libpod does not need
//! it. See `docs/monitor.md` for the full contract.

pub mod args;
pub mod attach;
pub mod exitfile;
mod json;
pub mod logfile;
pub mod supervisor;
pub mod sync;

pub use args::{ArgsError, MonitorArgs};
pub use attach::{AttachClient, Frame};
pub use exitfile::{exit_file_path, read_exit_file, write_exit_file};
pub use logfile::{LogDriver, LogEntry, LogFormat, Stream};
pub use sync::{read_sync_message, SyncDecodeError, SyncMessage};

/// Version of the caller/monitor protocol described in `docs/monitor.md`.
///
/// `rpod-monitor --version` prints this number alone on a line. It is bumped
/// on any incompatible change to the arguments, the sync message, the attach
/// packets, the log formats or the files the monitor writes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Name of the attach socket inside `--socket-dir`.
pub const ATTACH_SOCKET: &str = "attach";

/// Name of the file created in `--persist-dir` when the container was
/// killed by the kernel OOM killer (created before the exit file).
pub const OOM_FILE: &str = "oom";

/// Name of the file in `--persist-dir` that an attached caller holds an
/// exclusive `flock` on while it waits for the exit, cleans up and removes
/// the container itself; the monitor takes the lock before its exit command.
pub const CLEANER_LOCK: &str = "cleaner";

/// Name of the file the attached caller leaves in `--persist-dir` once it
/// cleaned up: the monitor then runs no exit command (nor when the caller
/// removed the directory with the container).
pub const CLEANED_MARKER: &str = "cleaned";

/// Name of the file in `--persist-dir` holding the monitor's pid (decimal).
pub const MONITOR_PID_FILE: &str = "monitor.pid";

/// Name of the file in `--persist-dir` where the monitor appends its own
/// diagnostics (errors it could not report otherwise).
pub const MONITOR_LOG_FILE: &str = "monitor.log";

//! Flags of the commands about a container's processes: top, stats,
//! checkpoint and restore.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct TopArgs {
    /// The latest container (every argument is then a descriptor)
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Container (name or ID)
    pub container: Option<String>,
    /// ps-style descriptors (pid, user, args, etime, comm, ppid, time, %cpu, …)
    pub descriptors: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Show all containers (default: running)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Print one sample and exit
    #[arg(long)]
    pub no_stream: bool,
    /// Seconds between samples
    #[arg(short = 'i', long, value_name = "SECONDS", default_value_t = 5)]
    pub interval: u64,
    /// Do not clear the screen between samples
    #[arg(long)]
    pub no_reset: bool,
    /// Print full container IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// The latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Write the checkpoint to this tarball
    #[arg(short = 'e', long, value_name = "FILE")]
    pub export: Option<PathBuf>,
    /// Keep the container running after the checkpoint
    #[arg(short = 'R', long)]
    pub leave_running: bool,
    /// Checkpoint established TCP connections
    #[arg(long)]
    pub tcp_established: bool,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Restore from this tarball
    #[arg(short = 'i', long, value_name = "FILE")]
    pub import: Option<PathBuf>,
    /// Restore established TCP connections
    #[arg(long)]
    pub tcp_established: bool,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

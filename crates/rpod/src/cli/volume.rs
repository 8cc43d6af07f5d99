//! Flags of `rpod volume …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum VolumeGroup {
    /// Create a volume
    Create(VolumeCreateArgs),
    /// List volumes
    #[command(visible_alias = "list")]
    Ls(VolumeLsArgs),
    /// Show volume details
    Inspect(VolumeInspectArgs),
    /// Remove volumes
    #[command(visible_alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove volumes no container uses
    Prune(VolumePruneArgs),
    /// Exit 0 if the volume exists, 1 if not
    Exists(VolumeNameArg),
    /// Write a volume's content as a tar archive
    Export(VolumeExportArgs),
    /// Unpack a tar archive into a volume
    Import(VolumeImportArgs),
    /// Mount a volume (its own file system, when it has one) and print its mount point
    Mount(VolumeNameArg),
    /// Unmount a volume's own file system (when no running container uses it)
    #[command(visible_alias = "umount")]
    Unmount(VolumeNameArg),
    /// Reload the volumes of volume plugins (rpod has no volume plugins: nothing changes)
    Reload,
}

#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// Volume driver (only `local`)
    #[arg(short = 'd', long, default_value = "local")]
    pub driver: String,
    /// Set a label (KEY=VALUE)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Driver option: type=FSTYPE, device=DEVICE, o=MOUNT-OPTIONS
    #[arg(short = 'o', long = "opt", value_name = "KEY=VALUE")]
    pub opts: Vec<String>,
    /// Do nothing if the volume exists
    #[arg(long)]
    pub ignore: bool,
    /// Name (generated when not given)
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Print no header line
    #[arg(long = "noheading")]
    pub noheading: bool,
    /// Show only names
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Filter: name, label, driver, dangling
    #[arg(short = 'f', long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    /// Go template or json
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Inspect all volumes
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Volume names
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Remove the containers using the volume, too
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Seconds to wait for running containers using it to stop before killing them (with --force; default: each one's stop timeout)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Remove all volumes
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Volume names
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Prune only what matches these conditions: label=KEY[=VALUE], until=TIME (repeatable)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeNameArg {
    /// Volume name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct VolumeExportArgs {
    /// Write to this file instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Volume name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct VolumeImportArgs {
    /// Volume name
    pub name: String,
    /// Tar archive, or - for stdin
    pub source: String,
}

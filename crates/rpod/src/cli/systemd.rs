//! `quadlet`: the systemd generator for quadlet files.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct QuadletArgs {
    /// Print the units instead of writing them
    #[arg(long, alias = "dry-run")]
    pub dryrun: bool,
    /// Output directories as systemd passes them to generators (normal,
    /// early, late); the units go to the first
    pub dirs: Vec<PathBuf>,
}

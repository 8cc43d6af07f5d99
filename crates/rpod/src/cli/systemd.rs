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

/// `auto-update`: recreate containers from newer images by their
/// `io.containers.autoupdate` policy.
#[derive(Debug, Args)]
pub struct AutoUpdateArgs {
    /// Path to the authentication file
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<PathBuf>,
    /// Check for pending updates; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Change the output format to JSON or a Go template
    #[arg(long)]
    pub format: Option<String>,
    /// Roll back to the previous image if the update fails
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_value_t = true,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub rollback: bool,
    /// Require HTTPS and verify certificates (false: plain HTTP allowed)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
}

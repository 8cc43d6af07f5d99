//! Flags of `rpod secret …`.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum SecretGroup {
    /// Create a secret from a file or stdin
    Create(SecretCreateArgs),
    /// List secrets
    #[command(visible_alias = "list")]
    Ls(SecretLsArgs),
    /// Show secret details (never the value)
    Inspect(SecretInspectArgs),
    /// Remove secrets
    #[command(visible_alias = "remove")]
    Rm(SecretRmArgs),
    /// Exit 0 if the secret exists, 1 if not
    Exists(SecretNameArg),
}

#[derive(Debug, Args)]
pub struct SecretCreateArgs {
    /// Secret driver (only `file`)
    #[arg(short = 'd', long, default_value = "file")]
    pub driver: String,
    /// Driver options (KEY=VALUE, comma-separated or repeated)
    #[arg(long = "driver-opts", value_name = "KEY=VALUE", value_delimiter = ',')]
    pub driver_opts: Vec<String>,
    /// Set a label (KEY=VALUE)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Read the value from the environment variable named by the second argument
    #[arg(long)]
    pub env: bool,
    /// Secret name
    pub name: String,
    /// File with the value, - for stdin (with --env: a variable name)
    pub source: String,
}

#[derive(Debug, Args)]
pub struct SecretLsArgs {
    /// Filter: name=…, id=…
    #[arg(short = 'f', long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Do not print the header row
    #[arg(long = "noheading")]
    pub noheading: bool,
    /// Show only IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SecretInspectArgs {
    /// Go template or json
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Human-readable output
    #[arg(long)]
    pub pretty: bool,
    /// Secret names or IDs
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SecretRmArgs {
    /// Remove all secrets
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Secret names or IDs
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SecretNameArg {
    /// Secret name or ID
    pub name: String,
}

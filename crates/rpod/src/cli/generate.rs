//! `generate`: structured data made from containers and pods.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum GenerateGroup {
    /// Generate Kubernetes YAML from containers, pods or volumes
    Kube(super::KubeGenerateArgs),
    /// Generate systemd units
    Systemd(GenerateSystemdArgs),
}

#[derive(Debug, Args)]
pub struct GenerateSystemdArgs {
    /// Add dependencies order to the generated unit file
    #[arg(long, value_name = "UNIT")]
    pub after: Vec<String>,
    /// Systemd unit name prefix for containers
    #[arg(long, default_value = "container", value_name = "PREFIX")]
    pub container_prefix: String,
    /// Set environment variables to the systemd unit files
    #[arg(short = 'e', long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Generate .service files instead of printing to stdout
    #[arg(short = 'f', long)]
    pub files: bool,
    /// Print the created units in specified format (json)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Use container/pod names instead of IDs
    #[arg(short = 'n', long)]
    pub name: bool,
    /// Create a new container or pod instead of starting an existing one
    #[arg(long)]
    pub new: bool,
    /// Skip header generation
    #[arg(long)]
    pub no_header: bool,
    /// Systemd unit name prefix for pods
    #[arg(long, default_value = "pod", value_name = "PREFIX")]
    pub pod_prefix: String,
    /// Similar to wants, but declares stronger requirement dependencies
    #[arg(long, value_name = "UNIT")]
    pub requires: Vec<String>,
    /// Systemd restart-policy (default "on-failure", or the container's policy)
    #[arg(long, value_name = "POLICY")]
    pub restart_policy: Option<String>,
    /// Systemd restart-sec
    #[arg(long, value_name = "SECONDS")]
    pub restart_sec: Option<u64>,
    /// Systemd unit name separator between name/id and prefix
    #[arg(long, default_value = "-", value_name = "SEP")]
    pub separator: String,
    /// Start timeout override
    #[arg(long, value_name = "SECONDS")]
    pub start_timeout: Option<u64>,
    /// Stop timeout override (also --time/-t, Podman's older name)
    #[arg(long, alias = "time", short_alias = 't', value_name = "SECONDS")]
    pub stop_timeout: Option<u32>,
    /// Make it a template file and use %i and %I specifiers. Working only for containers
    #[arg(long)]
    pub template: bool,
    /// Add (weak) requirement dependencies to the generated unit file
    #[arg(long, value_name = "UNIT")]
    pub wants: Vec<String>,
    /// Container or pod (name or ID)
    pub target: String,
}

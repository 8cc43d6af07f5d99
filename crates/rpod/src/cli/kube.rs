//! Flags of `rpod kube …`, `rpod play kube` and `rpod generate kube`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum KubeGroup {
    /// Generate Kubernetes YAML from containers, pods or volumes
    Generate(KubeGenerateArgs),
    /// Play pods, volumes, configmaps and secrets from Kubernetes YAML
    Play(Box<KubePlayArgs>),
    /// Remove the pods and secrets made from Kubernetes YAML
    Down(KubeDownArgs),
}

/// `rpod play …`.
#[derive(Debug, Subcommand)]
pub enum PlayGroup {
    /// Play pods, volumes, configmaps and secrets from Kubernetes YAML
    Kube(KubePlayArgs),
}

#[derive(Debug, Args)]
pub struct KubeGenerateArgs {
    /// Write the output to this file
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filename: Option<PathBuf>,
    /// Also generate a Service with the published ports
    #[arg(short = 's', long)]
    pub service: bool,
    /// The kind holding the containers: pod or deployment
    #[arg(short = 't', long = "type", default_value = "pod", value_name = "KIND")]
    pub kind: String,
    /// Replicas of a deployment (--type deployment)
    #[arg(short = 'r', long, value_name = "N")]
    pub replicas: Option<u32>,
    /// Containers, pods or volumes
    #[arg(required = true, value_name = "CONTAINER|POD|VOLUME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KubePlayArgs {
    /// Print no progress of the image pulls and builds
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// A YAML file holding a Kubernetes ConfigMap (repeatable, comma-separated)
    #[arg(long = "configmap", value_name = "PATH", value_delimiter = ',')]
    pub configmap: Vec<PathBuf>,
    /// Remove and recreate the pods (and secrets) the YAML names
    #[arg(long)]
    pub replace: bool,
    /// Start the pods after creating them
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub start: bool,
    /// Connect the pods to these networks, or a network mode (none, host, bridge)
    #[arg(long = "network", alias = "net", value_name = "NETWORK")]
    pub network: Vec<String>,
    /// Publish more ports of every pod ([IP:]HOST:CONTAINER[/PROTO])
    #[arg(long = "publish", value_name = "PORT")]
    pub publish: Vec<String>,
    /// Logging driver of the containers (k8s-file, journald, none)
    #[arg(long = "log-driver", value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Options of the containers' logging driver (max-size=SIZE)
    #[arg(long = "log-opt", value_name = "NAME=VALUE", value_delimiter = ',')]
    pub log_opt: Vec<String>,
    /// Static IP addresses of the pods, one per pod in the YAML's order
    #[arg(long = "ip", value_name = "IP", value_delimiter = ',')]
    pub ip: Vec<std::net::IpAddr>,
    /// Static MAC addresses of the pods, one per pod in the YAML's order
    #[arg(long = "mac-address", value_name = "MAC", value_delimiter = ',')]
    pub mac_address: Vec<String>,
    /// User namespace of the pods
    #[arg(long, value_name = "MODE")]
    pub userns: Option<String>,
    /// Build the images that have a directory of their name with a Containerfile
    #[arg(long)]
    pub build: bool,
    /// Where --build looks for those directories (default: the YAML's directory)
    #[arg(long = "context-dir", value_name = "DIR")]
    pub context_dir: Option<PathBuf>,
    /// Add an annotation to every container (KEY=VALUE)
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Directory of Localhost seccomp profiles
    #[arg(
        long = "seccomp-profile-root",
        value_name = "DIR",
        default_value = "/var/lib/kubelet/seccomp"
    )]
    pub seccomp_profile_root: PathBuf,
    /// Require HTTPS and verify certificates when pulling images
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Authentication file for pulling images
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<PathBuf>,
    /// Credentials (USERNAME:PASSWORD) for pulling images
    #[arg(long, value_name = "CREDENTIALS")]
    pub creds: Option<String>,
    /// A directory of TLS certificates for the registries (*.crt CA certificates)
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Do not create /etc/hosts in the containers: keep the images'
    #[arg(long = "no-hosts")]
    pub no_hosts: bool,
    /// Remove what the YAML made instead (as kube down)
    #[arg(long)]
    pub down: bool,
    /// Kubernetes YAML file, or - for stdin
    #[arg(value_name = "KUBEFILE|-")]
    pub file: String,
}

#[derive(Debug, Args)]
pub struct KubeDownArgs {
    /// Also remove the volumes of the YAML's PersistentVolumeClaims
    #[arg(long)]
    pub force: bool,
    /// Kubernetes YAML file, or - for stdin
    #[arg(value_name = "KUBEFILE|-")]
    pub file: String,
}

//! `rpod generate …`.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum GenerateGroup {
    /// Generate Kubernetes YAML from containers, pods or volumes
    Kube(super::KubeGenerateArgs),
}

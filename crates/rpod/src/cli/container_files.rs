//! Flags of the commands that reach a container's files: cp, diff and commit.

use clap::Args;

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Give the copied files the container's user as owner (default true; false keeps their owners)
    #[arg(short = 'a', long, default_value_t = true, action = clap::ArgAction::Set,
          value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub archive: bool,
    /// Replace a directory in the way of a copied file (and a file in the way of a directory)
    #[arg(long)]
    pub overwrite: bool,
    /// Source: CONTAINER:PATH or a host path (- for a tar stream on stdin)
    pub source: String,
    /// Destination: CONTAINER:PATH or a host path (- for a tar stream on stdout)
    pub destination: String,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// The latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Container (name or ID)
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL)
    #[arg(short = 'c', long, value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Commit message
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// Author
    #[arg(short = 'a', long)]
    pub author: Option<String>,
    /// Pause the container while committing (Podman's default: false)
    #[arg(short = 'p', long, default_value_t = false, default_missing_value = "true", num_args = 0..=1, require_equals = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub pause: bool,
    /// Print only the image ID
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Write the new image's ID to this file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<std::path::PathBuf>,
    /// The manifest format of the new image: oci or docker
    #[arg(short = 'f', long, default_value = "oci", value_name = "FORMAT")]
    pub format: String,
    /// Make the new image a single layer holding the whole file system
    #[arg(short = 's', long)]
    pub squash: bool,
    /// Make the mount points of the container's named volumes image volumes too (anonymous ones always are)
    #[arg(long)]
    pub include_volumes: bool,
    /// Container (name or ID)
    pub container: String,
    /// Name for the new image
    pub image: Option<String>,
}

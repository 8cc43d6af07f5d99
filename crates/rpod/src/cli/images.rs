//! Flags of the image commands.

use clap::{Args, Subcommand};

use super::{InspectArgs, NameArg};

/// Image commands that exist at the top level (`rpod images`, `rpod rmi`, …).
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Import a root file system tarball as an image
    Import(ImportArgs),
    /// List images
    Images(ImagesArgs),
    /// Remove images
    Rmi(RmiArgs),
}

#[derive(Debug, Subcommand)]
pub enum ImageGroup {
    /// List images
    #[command(visible_alias = "ls", visible_alias = "list")]
    Images(ImagesArgs),
    /// Remove images
    #[command(visible_alias = "rm")]
    Rmi(RmiArgs),
    /// Show image details
    Inspect(InspectArgs),
    /// Exit 0 if the image exists, 1 if not
    Exists(NameArg),
    /// Import a root file system tarball as an image
    Import(ImportArgs),
    /// Remove unused images
    Prune(ImagePruneArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL)
    #[arg(short = 'c', long, value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Commit message recorded in the image history
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// Print only the image ID
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Tarball path, or - for stdin
    pub source: String,
    /// Name for the image
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Show all images
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Show only IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not truncate IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove containers using the image, too
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove all images
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Images (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImagePruneArgs {
    /// Remove all unused images, not only dangling ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
}

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
    /// Pull an image from a registry
    Pull(PullArgs),
    /// Push an image to a registry
    Push(PushArgs),
    /// Save images to an archive
    Save(SaveArgs),
    /// Load images from an archive
    Load(LoadArgs),
    /// Add names to an image
    Tag(TagArgs),
    /// Remove names from an image
    Untag(UntagArgs),
    /// Show the history of an image
    History(HistoryArgs),
    /// Log in to a registry
    Login(LoginArgs),
    /// Log out of a registry
    Logout(LogoutArgs),
    /// Search a registry for images
    Search(SearchArgs),
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
    /// Pull an image from a registry
    Pull(PullArgs),
    /// Push an image to a registry
    Push(PushArgs),
    /// Save images to an archive
    Save(SaveArgs),
    /// Load images from an archive
    Load(LoadArgs),
    /// Add names to an image
    Tag(TagArgs),
    /// Remove names from an image
    Untag(UntagArgs),
    /// Show the history of an image
    History(HistoryArgs),
    /// Show an image's layers and the images sharing them
    Tree(TreeArgs),
    /// Show what an image's top layer changed relative to its parent
    Diff(ImageDiffArgs),
    /// Build an image using instructions from Containerfiles
    Build(Box<super::BuildArgs>),
    /// Search a registry for images
    Search(SearchArgs),
}

/// Flags shared by the commands that talk to registries.
#[derive(Debug, Args, Clone, Default)]
pub struct RegistryFlags {
    /// Require HTTPS and verify certificates (false: plain HTTP allowed)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Path of the authentication file (Podman's auth.json format)
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<std::path::PathBuf>,
    /// Credentials USERNAME:PASSWORD
    #[arg(long, value_name = "USER:PASS")]
    pub creds: Option<String>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Require HTTPS and verify certificates (false: plain HTTP allowed)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Path of the authentication file (Podman's auth.json format)
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<std::path::PathBuf>,
    /// Also list the stars, official and automated columns (Docker's)
    #[arg(long)]
    pub compatible: bool,
    /// Filter the results: stars=N, is-official, is-automated
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// JSON or a Go template (fields: Index, Name, Description, Stars, Official, Automated, Tag)
    #[arg(long)]
    pub format: Option<String>,
    /// At most this many results per registry (default 25)
    #[arg(long)]
    pub limit: Option<usize>,
    /// List the tags of the repository the term names (HOST/NAME)
    #[arg(long)]
    pub list_tags: bool,
    /// Do not truncate descriptions
    #[arg(long)]
    pub no_trunc: bool,
    /// HOST/ (a registry's whole catalog), HOST/TEXT, or TEXT (the unqualified-search registries)
    pub term: String,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// A directory of TLS certificates for the registry (*.crt CA certificates)
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Option<std::path::PathBuf>,
    /// Platform OS/ARCH[/VARIANT] to pick from a manifest list
    #[arg(long)]
    pub platform: Option<String>,
    /// Architecture to pick from a manifest list
    #[arg(long)]
    pub arch: Option<String>,
    /// OS to pick from a manifest list
    #[arg(long)]
    pub os: Option<String>,
    /// Variant to pick from a manifest list
    #[arg(long)]
    pub variant: Option<String>,
    /// always, missing, never or newer
    #[arg(long, default_value = "always")]
    pub policy: String,
    /// Print only the image ID
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Pull every tag of the repository named
    #[arg(short = 'a', long)]
    pub all_tags: bool,
    /// Docker's image verification switch: a no-op, as in Podman
    #[arg(long)]
    pub disable_content_trust: bool,
    /// Image names to pull
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// A directory of TLS certificates for the registry (*.crt CA certificates)
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Option<std::path::PathBuf>,
    /// Write the pushed manifest's digest to this file
    #[arg(long, value_name = "PATH")]
    pub digestfile: Option<std::path::PathBuf>,
    /// Do not show progress
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Docker's image verification switch: a no-op, as in Podman
    #[arg(long)]
    pub disable_content_trust: bool,
    /// Manifest type at the destination: oci or v2s2 (default: the image's own)
    #[arg(short = 'f', long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Refused: compression applies to the dir: transport, which rpod does not push to
    #[arg(long)]
    pub compress: bool,
    /// Refused: rpod pushes layers as they are stored
    #[arg(long, value_name = "FORMAT")]
    pub compression_format: Option<String>,
    /// Discard the image's signatures (rpod stores none: nothing is pushed but the image)
    #[arg(long)]
    pub remove_signatures: bool,
    /// Refused: rpod does not sign images
    #[arg(long, value_name = "KEY")]
    pub sign_by: Option<String>,
    /// Refused: rpod does not sign images
    #[arg(long, value_name = "PATH")]
    pub sign_by_sigstore_private_key: Option<std::path::PathBuf>,
    /// Refused: rpod does not sign images
    #[arg(long, value_name = "PATH")]
    pub sign_passphrase_file: Option<std::path::PathBuf>,
    /// Local image
    pub image: String,
    /// Destination (default: the image name)
    pub destination: Option<String>,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// docker-archive, oci-archive or oci-dir
    #[arg(long, default_value = "docker-archive")]
    pub format: String,
    /// Output file (directory for oci-dir); default stdout
    #[arg(short = 'o', long)]
    pub output: Option<std::path::PathBuf>,
    /// Do not show progress
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Every argument is an image of its own (default: the first is the image, the others more names for it)
    #[arg(short = 'm', long)]
    pub multi_image_archive: bool,
    /// Compress layers for the docker-dir format (rpod does not write it: refused)
    #[arg(long)]
    pub compress: bool,
    /// Write OCI layers uncompressed as they are stored (rpod never compresses them)
    #[arg(long)]
    pub uncompressed: bool,
    /// Images to save
    #[arg(required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Archive file or OCI layout directory (default stdin)
    #[arg(short = 'i', long)]
    pub input: Option<std::path::PathBuf>,
    /// Do not show progress
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// Image
    pub image: String,
    /// New names
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UntagArgs {
    /// Image
    pub image: String,
    /// Names to remove (default: all)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Do not truncate
    #[arg(long)]
    pub no_trunc: bool,
    /// Show only IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Show times as "3 days ago" (default true; false: RFC 3339 times)
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set,
          value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub human: bool,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Image
    pub image: String,
}

#[derive(Debug, Args)]
pub struct ImageDiffArgs {
    /// json, or a Go template over Path and Kind
    #[arg(long)]
    pub format: Option<String>,
    /// The image (and, to compare two images, the second one)
    #[arg(required = true, num_args = 1..=2)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Show the layers of the images that are built on this one, as a tree
    #[arg(long = "whatrequires")]
    pub what_requires: bool,
    /// Image
    pub image: String,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// A directory of TLS certificates for the registry (*.crt CA certificates)
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Option<std::path::PathBuf>,
    /// User name
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Password
    #[arg(short = 'p', long)]
    pub password: Option<String>,
    /// Read the password from stdin
    #[arg(long)]
    pub password_stdin: bool,
    /// Print the user logged into the registry instead (an error if none)
    #[arg(long)]
    pub get_login: bool,
    /// Also print which authentication file was used
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Registry
    pub registry_host: String,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Path of the authentication file
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<std::path::PathBuf>,
    /// Remove the credentials of every registry
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Registry
    pub registry_host: Option<String>,
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
    /// The architecture the image says it is for (default: this host's)
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// The operating system the image says it is for (default: linux)
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// The CPU variant the image says it is for
    #[arg(long, value_name = "VARIANT")]
    pub variant: Option<String>,
    /// Tarball path, or - for stdin
    pub source: String,
    /// Name for the image
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Print no header line
    #[arg(short = 'n', long = "noheading")]
    pub noheading: bool,
    /// Sort by created (newest first, the default), id, repository, size or tag
    #[arg(long, value_name = "KEY", default_value = "created",
          value_parser = ["created", "id", "repository", "size", "tag"])]
    pub sort: String,
    /// Add a column of the names each image has had
    #[arg(long)]
    pub history: bool,
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
    /// Filter: reference=, label=, dangling=, before=, since=
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Image name to list (like --filter reference=)
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove containers using the image, too
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove all images
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Ignore images that do not exist
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Keep dangling parent images (rpod's images have no parent images: only the image named is ever removed)
    #[arg(long)]
    pub no_prune: bool,
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
    /// Prune only what matches these conditions: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME (repeatable)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Remove images even when external containers (builds' working containers) use them, and those containers
    #[arg(long)]
    pub external: bool,
}

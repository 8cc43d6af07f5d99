//! The command line, as clap types. Flag names, short forms and defaults
//! follow Podman's.

mod build;
mod container_files;
mod container_processes;
mod generate;
mod images;
mod kube;
pub mod network;
mod pod;
mod secret;
mod systemd;
mod volume;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use build::*;
pub use container_files::*;
pub use container_processes::*;
pub use generate::*;
pub use images::*;
pub use kube::*;
pub use pod::*;
pub use secret::*;
pub use systemd::*;
pub use volume::*;

/// rpod: manage OCI containers and images without a daemon.
#[derive(Debug, Parser)]
#[command(
    name = "rpod",
    version,
    about,
    propagate_version = true,
    disable_version_flag = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Print the version
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Root directory of persistent state (database, images, containers)
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Run-time state directory (exit files, locks, sockets)
    #[arg(long, global = true, value_name = "DIR")]
    pub runroot: Option<PathBuf>,
    /// Directory of the volumes' data (default <root>/volumes)
    #[arg(long, global = true, value_name = "DIR")]
    pub volumepath: Option<PathBuf>,
    /// Directory of the network definitions (default <root>/networks)
    #[arg(long, global = true, value_name = "DIR")]
    pub network_config_dir: Option<PathBuf>,
    /// The slirp4netns binary for slirp4netns networks (default: found in PATH)
    #[arg(long, global = true, value_name = "PATH")]
    pub network_cmd_path: Option<PathBuf>,
    /// Refused: rpod runs its own monitor (rpod-monitor), never conmon
    #[arg(long, global = true, value_name = "PATH")]
    pub conmon: Option<PathBuf>,
    /// Refused: no libpod namespaces; give each group of containers its own --root and --runroot
    #[arg(long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Refused: rpod keeps its run-time files under --runroot
    #[arg(long, global = true, value_name = "DIR")]
    pub tmpdir: Option<PathBuf>,
    /// Configuration file (default /etc/rpod/rpod.conf)
    #[arg(long, global = true, env = "RPOD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Storage driver: overlay or vfs
    #[arg(long, global = true, value_name = "NAME")]
    pub storage_driver: Option<String>,
    /// Storage driver option KEY=VALUE (overlay.mount_program=PATH)
    #[arg(long = "storage-opt", global = true, value_name = "KEY=VALUE")]
    pub storage_opt: Vec<String>,
    /// OCI runtime name or path (runc, crun, youki)
    #[arg(long, global = true, value_name = "NAME")]
    pub runtime: Option<String>,
    /// Where events go: file or none
    #[arg(long, global = true, value_name = "NAME")]
    pub events_backend: Option<String>,
    /// OCI hooks directory (repeatable; replaces the configured ones)
    #[arg(long = "hooks-dir", global = true, value_name = "DIR")]
    pub hooks_dirs: Vec<PathBuf>,
    /// Print messages of this level and above: trace, debug, info, warn (the default), warning, error, fatal, panic
    #[arg(long, global = true, value_name = "LEVEL", default_value = "warn")]
    pub log_level: String,
    /// Send the messages to syslog as well
    #[arg(long, global = true)]
    pub syslog: bool,
    /// A global flag for the OCI runtime, without its leading dashes (repeatable)
    #[arg(long, global = true, value_name = "FLAG")]
    pub runtime_flag: Vec<String>,
    /// Send nothing to stdout
    #[arg(long, global = true)]
    pub noout: bool,
    /// The cgroup manager: cgroupfs (systemd needs a running systemd)
    #[arg(long, global = true, value_name = "MANAGER")]
    pub cgroup_manager: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Container(Box<ContainerCommand>),
    /// Manage containers
    #[command(name = "container", subcommand)]
    ContainerGroup(ContainerGroup),
    #[command(flatten)]
    Images(ImageCommand),
    /// Manage images
    #[command(subcommand)]
    Image(ImageGroup),
    /// Build an image using instructions from Containerfiles
    Build(Box<BuildArgs>),
    /// Docker's builder commands (only build)
    #[command(subcommand)]
    Buildx(BuildxGroup),
    /// Show container or image details
    Inspect(InspectArgs),
    /// Show the version
    Version(FormatOnly),
    /// Show information about the host and the engine
    Info(FormatOnly),
    /// Manage the engine
    #[command(subcommand)]
    System(SystemGroup),
    /// Show events
    Events(EventsArgs),
    /// Run container health checks
    #[command(subcommand)]
    Healthcheck(HealthcheckGroup),
    /// Manage networks
    #[command(subcommand)]
    Network(network::NetworkGroup),
    /// Manage volumes
    #[command(subcommand)]
    Volume(VolumeGroup),
    /// Manage pods
    #[command(subcommand)]
    Pod(PodGroup),
    /// Manage secrets
    #[command(subcommand)]
    Secret(SecretGroup),
    /// Play and generate Kubernetes YAML
    #[command(subcommand)]
    Kube(KubeGroup),
    /// Play Kubernetes YAML
    #[command(subcommand)]
    Play(PlayGroup),
    /// Generate structured data based on containers, pods or volumes
    #[command(subcommand)]
    Generate(GenerateGroup),
    /// Translate quadlet files to systemd service units (a systemd generator)
    Quadlet(QuadletArgs),
    /// Auto update containers according to their auto-update policy
    AutoUpdate(AutoUpdateArgs),
    /// Print a shell completion script
    Completion(CompletionArgs),
    /// Run a command in the rootless user's namespace (rootless mode only)
    Unshare(UnshareArgs),
}

#[derive(Debug, Args)]
#[command(trailing_var_arg = true)]
pub struct UnshareArgs {
    /// Join the rootless network namespace of bridge networks
    #[arg(long)]
    pub rootless_netns: bool,
    /// The command and its arguments (default: $SHELL)
    #[arg(allow_hyphen_values = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

impl Command {
    /// What the command does, as far as its exit code on failure depends on it.
    pub fn operation(&self) -> libpod::Operation {
        use libpod::Operation;
        let container = |c: &ContainerCommand| match c {
            ContainerCommand::Rm(_) => Operation::Remove,
            ContainerCommand::Exec(_) => Operation::Exec,
            _ => Operation::Other,
        };
        match self {
            Command::Container(c) | Command::ContainerGroup(ContainerGroup::Common(c)) => {
                container(c)
            }
            Command::Images(ImageCommand::Rmi(_))
            | Command::Image(ImageGroup::Rmi(_))
            | Command::Volume(VolumeGroup::Rm(_))
            | Command::Pod(PodGroup::Rm(_))
            | Command::Network(network::NetworkGroup::Rm(_)) => Operation::Remove,
            _ => Operation::Other,
        }
    }
}

/// Commands that exist both at the top level and under `container`.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Create a container without starting it
    Create(CreateArgs),
    /// Create and start a container
    Run(RunArgs),
    /// Initialise containers in the runtime without starting them
    Init(NamesAll),
    /// Start containers
    Start(StartArgs),
    /// Stop containers
    Stop(StopArgs),
    /// Send a signal to containers
    Kill(KillArgs),
    /// Restart containers
    Restart(RestartArgs),
    /// Remove containers
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// List containers
    #[command(visible_alias = "ls", visible_alias = "list")]
    Ps(PsArgs),
    /// Fetch a container's logs
    Logs(LogsArgs),
    /// Wait for containers to stop and print their exit codes
    Wait(WaitArgs),
    /// Attach to a running container
    Attach(AttachArgs),
    /// Pause containers
    Pause(PauseArgs),
    /// Unpause containers
    Unpause(PauseArgs),
    /// Rename a container
    Rename(RenameArgs),
    /// Mount a container's root file system and print where
    Mount(MountArgs),
    /// Unmount containers' root file systems
    #[command(visible_alias = "unmount")]
    Umount(UmountArgs),
    /// Export a container's file system as a tar archive
    Export(ExportArgs),
    /// List a container's port mappings
    Port(PortArgs),
    /// Run a command in a running container
    Exec(ExecArgs),
    /// Change a container's resource limits or restart policy
    Update(UpdateArgs),

    /// Copy files between a container and the host
    Cp(CpArgs),
    /// Show files added (A), changed (C) and deleted (D) in a container
    Diff(DiffArgs),
    /// Make an image from a container's changes
    Commit(CommitArgs),
    /// Show the processes of a container
    Top(TopArgs),
    /// Show resource usage of containers
    Stats(StatsArgs),
}

#[derive(Debug, Subcommand)]
pub enum ContainerGroup {
    #[command(flatten)]
    Common(Box<ContainerCommand>),
    /// Show container details
    Inspect(InspectArgs),
    /// Exit 0 if the container exists, 1 if not
    Exists(ExistsArgs),
    /// Run the command an image's label describes (IMAGE, NAME and PWD substituted)
    Runlabel(RunlabelArgs),
    /// Remove all stopped containers
    Prune(PruneArgs),
    /// Clean up a container whose process exited (unmount, runtime delete)
    Cleanup(CleanupArgs),
    /// Checkpoint running containers with CRIU
    Checkpoint(CheckpointArgs),
    /// Restore containers from a checkpoint
    Restore(RestoreArgs),
}

#[derive(Debug, Subcommand)]
pub enum SystemGroup {
    /// Show disk usage
    Df(DfArgs),
    /// Remove stopped containers and dangling images
    Prune(SystemPruneArgs),
    /// Remove every container and image and all state
    Reset(ForceArgs),
    /// Show information about the host and the engine
    Info(FormatOnly),
    /// Refresh after a reboot and start containers whose restart policy asks for it
    Boot,
    /// Serve the Docker and libpod REST APIs on a socket
    Service(ServiceArgs),
    /// Stop every running container and, rootless, end the pause process so the next command builds the user namespace anew
    Migrate(MigrateArgs),
    /// Renumber the locks of containers and pods (rpod's locks are files named after each object, so there are no numbers to hand out again: nothing changes)
    Renumber,
}

#[derive(Debug, Args)]
pub struct RunlabelArgs {
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// A directory of TLS certificates for the registry (*.crt CA certificates)
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Option<std::path::PathBuf>,
    /// Print the command the label would run instead of running it
    #[arg(long)]
    pub display: bool,
    /// The container name (NAME); default the image's name without registry and tag
    #[arg(short = 'n', long)]
    pub name: Option<String>,
    /// Print no pull progress
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Put --replace into the label's run or create command
    #[arg(long)]
    pub replace: bool,
    /// The label (e.g. run, install)
    pub label: String,
    /// The image (pulled when missing)
    pub image: String,
    /// More arguments for the command
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Set a new OCI runtime for all containers
    #[arg(long, value_name = "RUNTIME")]
    pub new_runtime: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// Where to listen: unix:///path/to/socket (default <runroot>/rpod.sock) or tcp://127.0.0.1:PORT
    pub uri: Option<String>,
    /// Seconds without activity before the service exits (0: never)
    #[arg(
        short = 't',
        long = "time",
        value_name = "SECONDS",
        default_value_t = 5
    )]
    pub time: u64,
    /// Group owning the unix socket (name or GID; default root); members may use the API
    #[arg(long = "group", value_name = "GROUP")]
    pub group: Option<String>,
    /// Set CORS headers: every response allows this origin (e.g. '*')
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum HealthcheckGroup {
    /// Run a container's health check once (exit 0 healthy, 1 unhealthy)
    Run(NameArg),
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct ExecArgs {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Keep stdin open and forward it
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Run in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set an environment variable (KEY=VALUE, or KEY to copy it from here)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// User (name or UID) and optional group
    #[arg(short = 'u', long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Working directory
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Give the process all capabilities
    #[arg(long)]
    pub privileged: bool,
    /// Keys that detach (accepted for compatibility; the runtime proxies the terminal)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Exec in the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Pass this many more open descriptors (3, 4, …) on to the process
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub preserve_fds: u32,
    /// Container (name or ID), then the command and its arguments
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, num_args = 1..)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub limits: ResourceFlags,
    /// Maximum number of processes (-1 for unlimited)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Restart policy: no, on-failure[:N], always, unless-stopped
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,
    /// Container (name or ID)
    pub name: String,
}

/// The resource limits of `create`, `run` and `update`.
#[derive(Debug, Args, Clone, Default)]
pub struct ResourceFlags {
    /// Memory limit (e.g. 64m)
    #[arg(short = 'm', long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Memory soft limit (e.g. 32m)
    #[arg(long, value_name = "SIZE")]
    pub memory_reservation: Option<String>,
    /// Memory plus swap limit (e.g. 128m), -1 for unlimited swap
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// How readily the kernel swaps the container's pages out (0 to 100)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub memory_swappiness: Option<i64>,
    /// Number of CPUs (e.g. 1.5)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub cpus: Option<f64>,
    /// CPU shares: the container's relative CPU weight
    #[arg(short = 'c', long, value_name = "SHARES")]
    pub cpu_shares: Option<u64>,
    /// Length of a CPU CFS period, in microseconds
    #[arg(long, value_name = "MICROSECONDS")]
    pub cpu_period: Option<u64>,
    /// CPU time per CFS period, in microseconds
    #[arg(long, value_name = "MICROSECONDS", allow_negative_numbers = true)]
    pub cpu_quota: Option<i64>,
    /// Length of a real-time scheduling period, in microseconds
    #[arg(long, value_name = "MICROSECONDS")]
    pub cpu_rt_period: Option<u64>,
    /// Real-time CPU time per period, in microseconds
    #[arg(long, value_name = "MICROSECONDS", allow_negative_numbers = true)]
    pub cpu_rt_runtime: Option<i64>,
    /// CPUs the container may run on (0-3, 0,1)
    #[arg(long, value_name = "CPUS")]
    pub cpuset_cpus: Option<String>,
    /// Memory nodes the container may use (0-3, 0,1)
    #[arg(long, value_name = "NODES")]
    pub cpuset_mems: Option<String>,
    /// Block I/O weight, relative (10 to 1000)
    #[arg(long, value_name = "WEIGHT")]
    pub blkio_weight: Option<String>,
    /// Block I/O weight of one device: DEVICE:WEIGHT
    #[arg(long, value_name = "DEVICE:WEIGHT")]
    pub blkio_weight_device: Vec<String>,
    /// Limit reads from a block device: DEVICE:RATE (e.g. /dev/sda:1mb)
    #[arg(long, value_name = "DEVICE:RATE")]
    pub device_read_bps: Vec<String>,
    /// Limit writes to a block device: DEVICE:RATE (e.g. /dev/sda:1mb)
    #[arg(long, value_name = "DEVICE:RATE")]
    pub device_write_bps: Vec<String>,
    /// Limit read operations per second on a block device: DEVICE:COUNT
    #[arg(long, value_name = "DEVICE:COUNT")]
    pub device_read_iops: Vec<String>,
    /// Limit write operations per second on a block device: DEVICE:COUNT
    #[arg(long, value_name = "DEVICE:COUNT")]
    pub device_write_iops: Vec<String>,
}

/// Flags shared by `create` and `run`.
#[derive(Debug, Args, Clone, Default)]
pub struct CreateFlags {
    /// Name of the container
    #[arg(long)]
    pub name: Option<String>,
    /// Set an environment variable (KEY=VALUE, or KEY to copy it from here)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or UID) and optional group to run as
    #[arg(short = 'u', long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Override the image's entrypoint ('' clears it)
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Container host name
    #[arg(long, short = 'h', value_name = "NAME")]
    pub hostname: Option<String>,
    /// Set a label (KEY=VALUE)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Set an OCI annotation (KEY=VALUE)
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Signal that stops the container
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Seconds to wait after the stop signal before SIGKILL
    #[arg(long, value_name = "SECONDS")]
    pub stop_timeout: Option<u32>,
    /// Use a host directory as the root file system instead of an image
    #[arg(long)]
    pub rootfs: bool,
    /// Mount the root file system read-only
    #[arg(long)]
    pub read_only: bool,
    /// Give the container all capabilities and devices
    #[arg(long)]
    pub privileged: bool,
    /// Add a capability
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a capability
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Security options: seccomp=unconfined|PATH, no-new-privileges,
    /// apparmor=unconfined, label=…, mask=PATHS, unmask=ALL|PATHS, proc-opts=OPTS
    #[arg(long, value_name = "OPTION")]
    pub security_opt: Vec<String>,
    /// Where the seccomp profile comes from: default, or image (the image's
    /// io.containers.seccomp.profile label)
    #[arg(long, value_name = "POLICY", default_value = "default")]
    pub seccomp_policy: String,
    /// PID namespace: private, host, container:ID or ns:PATH
    #[arg(long, value_name = "MODE")]
    pub pid: Option<String>,
    /// User namespace: host, auto[:size=N,uidmapping=C:H:S,gidmapping=C:H:S],
    /// ns:PATH or container:ID
    #[arg(long, value_name = "MODE")]
    pub userns: Option<String>,
    /// A uid map line of a user namespace: CONTAINER:HOST:SIZE
    #[arg(long, value_name = "CONTAINER:HOST:SIZE")]
    pub uidmap: Vec<String>,
    /// A gid map line of a user namespace: CONTAINER:HOST:SIZE
    #[arg(long, value_name = "CONTAINER:HOST:SIZE")]
    pub gidmap: Vec<String>,
    /// Map uids from this user's /etc/subuid ranges
    #[arg(long, value_name = "NAME")]
    pub subuidname: Option<String>,
    /// Map gids from this group's /etc/subgid ranges
    #[arg(long, value_name = "NAME")]
    pub subgidname: Option<String>,
    /// IPC namespace: private, shareable, none, host, container:ID or ns:PATH
    #[arg(long, value_name = "MODE")]
    pub ipc: Option<String>,
    /// UTS namespace: private, host, container:ID or ns:PATH
    #[arg(long, value_name = "MODE")]
    pub uts: Option<String>,
    /// cgroup namespace: private, host, container:ID or ns:PATH
    #[arg(long, value_name = "MODE")]
    pub cgroupns: Option<String>,
    /// Give a host device to the container: HOST[:CONTAINER[:PERMISSIONS]]
    #[arg(long, value_name = "DEVICE")]
    pub device: Vec<String>,
    /// Allow devices in the device cgroup: 'TYPE MAJOR:MINOR PERMISSIONS'
    #[arg(long, value_name = "RULE")]
    pub device_cgroup_rule: Vec<String>,
    /// Set a namespaced kernel parameter: KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub sysctl: Vec<String>,
    /// Add a supplementary group (name or GID) to the container's process
    #[arg(long, value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// Tune the OOM killer's preference for the container's process (-1000 to 1000)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub oom_score_adj: Option<i32>,
    /// With --read-only, mount tmpfs on /run, /tmp and /var/tmp
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub read_only_tmpfs: bool,
    /// The cgroup the container's cgroup is created under
    #[arg(long, value_name = "PATH")]
    pub cgroup_parent: Option<String>,
    /// cgroups mode: enabled, disabled, no-conmon or split
    #[arg(long, value_name = "MODE", default_value = "enabled")]
    pub cgroups: String,
    /// Resource limit: NAME=SOFT[:HARD], or host for this process's limits
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    pub ulimit: Vec<String>,
    #[command(flatten)]
    pub limits: ResourceFlags,
    /// Maximum number of processes (-1 for unlimited)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Keep the OOM killer away from the container
    #[arg(long)]
    pub oom_kill_disable: bool,
    /// Copy this process's whole environment into the container
    #[arg(long)]
    pub env_host: bool,
    /// Leave this variable out of the container's environment (image and defaults included)
    #[arg(long, value_name = "KEY")]
    pub unsetenv: Vec<String>,
    /// Leave out every variable that the image and the engine's defaults set
    #[arg(long)]
    pub unsetenv_all: bool,
    /// Read labels from a file of KEY=VALUE lines
    #[arg(long, value_name = "FILE")]
    pub label_file: Vec<PathBuf>,
    /// The umask of the container's process (octal, default 0022)
    #[arg(long, value_name = "MASK")]
    pub umask: Option<String>,
    /// Remove a container of the same name first, if there is one
    #[arg(long)]
    pub replace: bool,
    /// Docker's image verification switch: a no-op, as in Podman
    #[arg(long)]
    pub disable_content_trust: bool,
    /// Write the container's pid to this file
    #[arg(long, value_name = "FILE")]
    pub pidfile: Option<PathBuf>,
    /// Make no /etc/hosts: the image's own stays
    #[arg(long)]
    pub no_hosts: bool,
    /// The init binary for --init
    #[arg(long, value_name = "PATH")]
    pub init_path: Option<PathBuf>,
    /// The execution domain: LINUX or LINUX32
    #[arg(long, value_name = "DOMAIN")]
    pub personality: Option<String>,
    /// Read the pod (name or ID) from this file
    #[arg(long, value_name = "FILE")]
    pub pod_id_file: Option<PathBuf>,
    /// Pass this process's proxy variables (http_proxy, …) to the container
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub http_proxy: bool,
    /// How the image's volumes are given: bind (anonymous volumes), tmpfs or ignore
    #[arg(long, value_name = "MODE", default_value = "bind")]
    pub image_volume: String,
    /// Platform OS/ARCH[/VARIANT] of the image to pull
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Architecture of the image to pull
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// OS of the image to pull
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// Variant of the image to pull
    #[arg(long, value_name = "VARIANT")]
    pub variant: Option<String>,
    /// Print nothing while pulling the image (rpod's create prints no progress)
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Streams to attach: stdin, stdout, stderr
    #[arg(short = 'a', long, value_name = "STREAM", value_delimiter = ',')]
    pub attach: Vec<String>,
    /// Pass the signals this command receives on to the container (run, start --attach)
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub sig_proxy: bool,
    /// Systemd mode: true (for systemd or init as the command), false or always
    #[arg(long, value_name = "MODE", default_value = "true")]
    pub systemd: String,
    /// sd-notify handling: container, conmon or ignore
    #[arg(long, value_name = "MODE", default_value = "container")]
    pub sdnotify: String,
    /// Add entries for the user to /etc/passwd and /etc/group
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub passwd: bool,
    /// The entry to write to /etc/passwd
    #[arg(long, value_name = "ENTRY")]
    pub passwd_entry: Option<String>,
    /// Host user account to add to the container's /etc/passwd
    #[arg(long, value_name = "USER")]
    pub hostuser: Vec<String>,
    /// Kill the container after this many seconds
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Pass this many more file descriptors (from 3) to the container
    #[arg(long, value_name = "N")]
    pub preserve_fds: Option<u32>,
    /// Mount the volumes of another container: CONTAINER[:ro|rw]
    #[arg(long, value_name = "CONTAINER")]
    pub volumes_from: Vec<String>,
    /// Directories inside the container that are chroots of its own
    #[arg(long, value_name = "DIR")]
    pub chrootdirs: Vec<String>,
    /// cgroup v2 setting KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub cgroup_conf: Vec<String>,
    /// Write the pid of the container's monitor to this file
    #[arg(long, value_name = "FILE")]
    pub conmon_pidfile: Option<PathBuf>,
    /// Time zone of the container (a zone name, or local)
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Expand the image's variables into this one: KEY=VALUE with ${VAR}
    #[arg(long, value_name = "KEY=VALUE")]
    pub env_merge: Vec<String>,
    /// Size of /dev/shm
    #[arg(long, value_name = "SIZE")]
    pub shm_size: Option<String>,
    /// Run an init process that reaps zombies and forwards signals
    #[arg(long)]
    pub init: bool,
    /// Write the container ID to this file
    #[arg(long, value_name = "FILE")]
    pub cidfile: Option<PathBuf>,
    /// Bind mount: /host/path:/container/path[:ro,...]
    #[arg(short = 'v', long = "volume", value_name = "SRC:DST[:OPTS]")]
    pub volumes: Vec<String>,
    /// Mount a tmpfs: /path[:options]
    #[arg(long, value_name = "PATH[:OPTS]")]
    pub tmpfs: Vec<String>,
    /// Mount: type=bind|volume|tmpfs|devpts,source=…,destination=…[,ro][,…]
    #[arg(long, value_name = "SPEC")]
    pub mount: Vec<String>,
    #[command(flatten)]
    pub net: network::NetFlags,
    /// Allocate a pseudo-terminal
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Keep stdin open
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Log driver: k8s-file, json-file or none
    #[arg(long, value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Log driver option (max-size=SIZE, path=FILE)
    #[arg(long, value_name = "OPT=VALUE")]
    pub log_opt: Vec<String>,
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Restart policy: no, on-failure[:N], always, unless-stopped
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,
    /// Run in this pod (`new:NAME` creates it)
    #[arg(long, value_name = "POD")]
    pub pod: Option<String>,
    /// Containers that must run before this one (comma-separated names or IDs)
    #[arg(long, value_name = "CONTAINERS", value_delimiter = ',')]
    pub requires: Vec<String>,
    /// Give the container a secret: NAME[,type=mount|env][,target=PATH|VAR][,uid=UID][,gid=GID][,mode=MODE]
    #[arg(long = "secret", value_name = "SECRET[,OPTS]")]
    pub secrets: Vec<String>,
    /// Health check command (a JSON array runs without a shell)
    #[arg(long, value_name = "COMMAND")]
    pub health_cmd: Option<String>,
    /// Time between health checks (e.g. 30s), or "disable"
    #[arg(long, value_name = "DURATION")]
    pub health_interval: Option<String>,
    /// Time a health check may take before it counts as failed
    #[arg(long, value_name = "DURATION")]
    pub health_timeout: Option<String>,
    /// Failures in a row before the container is unhealthy
    #[arg(long, value_name = "N")]
    pub health_retries: Option<u32>,
    /// Time after start during which failures do not count
    #[arg(long, value_name = "DURATION")]
    pub health_start_period: Option<String>,
    /// What to do when the container turns unhealthy: none, kill, restart, stop
    #[arg(long, value_name = "ACTION")]
    pub health_on_failure: Option<String>,
    /// Disable the image's health check
    #[arg(long)]
    pub no_healthcheck: bool,
    /// Pull the image: always, missing, never or newer
    #[arg(long, default_value = "missing", value_name = "POLICY")]
    pub pull: String,
    /// Registry settings for --pull
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// The image (or root file system directory with --rootfs), then the
    /// command and its arguments. One list, as Podman parses it: after the
    /// image nothing is a flag of rpod's (`run IMG ls -a`, `run IMG sh -c …`).
    #[arg(
        value_name = "IMAGE [COMMAND [ARG...]]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub image_and_command: Vec<String>,
}

impl CreateFlags {
    /// The image (or root file system directory with --rootfs).
    pub fn image(&self) -> &str {
        self.image_and_command.first().map_or("", String::as_str)
    }

    /// The command and its arguments after the image.
    pub fn command(&self) -> &[String] {
        self.image_and_command.get(1..).unwrap_or_default()
    }
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct CreateArgs {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Make this a pod init container: always (runs at every start of the pod) or once (runs at its first start, then is removed)
    #[arg(long = "init-ctr", value_name = "TYPE")]
    pub init_ctr: Option<String>,
    #[command(flatten)]
    pub flags: CreateFlags,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Run in the background and print the container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Keys that detach from the container
    #[arg(long, default_value = "ctrl-p,ctrl-q", value_name = "KEYS")]
    pub detach_keys: String,
    /// After the container is removed, remove its image unless another container uses it (implies --rm)
    #[arg(long)]
    pub rmi: bool,
    #[command(flatten)]
    pub flags: CreateFlags,
}

#[derive(Debug, Args)]
pub struct NamesAll {
    /// Act on all containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach to the container's output
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// Keep stdin open and forward it
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Keys that detach from the container
    #[arg(long, default_value = "ctrl-p,ctrl-q", value_name = "KEYS")]
    pub detach_keys: String,
    /// Pass the signals this command receives on to the container (default: when attaching)
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true")]
    pub sig_proxy: Option<bool>,
    /// Start all containers
    #[arg(long)]
    pub all: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Start the containers that match these conditions (KEY=VALUE, repeatable)
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing
    #[arg(short = 't', long = "time", alias = "timeout", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Act on all containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Ignore containers that do not exist
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Read the container ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Vec<PathBuf>,
    /// Act on the containers that match these conditions (KEY=VALUE, repeatable)
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Seconds to wait before killing
    #[arg(short = 't', long = "time", alias = "timeout", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Act on all containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Restart every running container instead (a name, --all or --latest is still required)
    #[arg(long)]
    pub running: bool,
    /// Read the container ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Vec<PathBuf>,
    /// Act on the containers that match these conditions (KEY=VALUE, repeatable)
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Act on all running (pause) or paused (unpause) containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Read the container ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Vec<PathBuf>,
    /// Act on the containers that match these conditions (KEY=VALUE, repeatable)
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send (name or number)
    #[arg(short = 's', long, default_value = "KILL")]
    pub signal: String,
    /// Act on all running containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Read the container ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Vec<PathBuf>,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Stop running containers first
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Seconds to wait for stop before killing (with --force)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Remove all containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Ignore containers that do not exist
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Remove the container's anonymous volumes too
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Read the container ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Vec<PathBuf>,
    /// Remove the containers that depend on the ones given first
    #[arg(long)]
    pub depend: bool,
    /// Remove the containers that match these conditions (KEY=VALUE, repeatable)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Print no header line
    #[arg(long = "noheading")]
    pub noheading: bool,
    /// Show containers in storage not controlled by rpod (build steps' working containers)
    #[arg(long)]
    pub external: bool,
    /// Show all containers, not only running ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Show only IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Show the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Show the last N containers
    #[arg(short = 'n', long, value_name = "N")]
    pub last: Option<usize>,
    /// Do not truncate IDs and commands
    #[arg(long)]
    pub no_trunc: bool,
    /// Show sizes
    #[arg(short = 's', long)]
    pub size: bool,
    /// Filter: id, name, label, status, exited, ancestor
    #[arg(short = 'f', long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Sort by: command, created (the default, oldest first), id, image, names, runningfor, size, status
    #[arg(long, value_name = "KEY", default_value = "created",
          value_parser = ["command", "created", "id", "image", "names", "runningfor", "size", "status"])]
    pub sort: String,
    /// Add the pod's ID and name to the table
    #[arg(short = 'p', long)]
    pub pod: bool,
    /// Show the namespaces of each container's process instead
    #[arg(long)]
    pub ns: bool,
    /// Sync container states with the OCI runtime first (rpod always does)
    #[arg(long)]
    pub sync: bool,
    /// Print the listing again every SECONDS seconds, clearing the screen (0: once)
    #[arg(short = 'w', long, value_name = "SECONDS", default_value_t = 0)]
    pub watch: u64,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow new output
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Only logs since this time (RFC 3339, Unix time or a duration such as 10m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only logs until this time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only the last N lines (-1: all)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub tail: Option<i64>,
    /// Prefix each line with the container's name
    #[arg(short = 'n', long)]
    pub names: bool,
    /// Give each container's lines a color of their own
    #[arg(long)]
    pub color: bool,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Containers (names or IDs)
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// State to wait for (stopped, exited, running, created, paused, configured); repeatable
    #[arg(long, value_name = "STATE")]
    pub condition: Vec<String>,
    /// How often to check (a duration such as 250ms or 1s; a bare number is milliseconds). Default: soon after the change, checking from every 1 ms up to every 100 ms
    #[arg(short = 'i', long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Act on the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Keys that detach from the container
    #[arg(long, default_value = "ctrl-p,ctrl-q", value_name = "KEYS")]
    pub detach_keys: String,
    /// Do not forward stdin
    #[arg(long)]
    pub no_stdin: bool,
    /// Attach to the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Pass the signals this command receives on to the container
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, num_args = 0..=1,
          default_value = "true", default_missing_value = "true")]
    pub sig_proxy: bool,
    /// Container (name or ID)
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// Container (name or ID)
    pub container: String,
    /// New name
    pub new_name: String,
}

#[derive(Debug, Args)]
pub struct MountArgs {
    /// Go template or json (when listing)
    #[arg(long)]
    pub format: Option<String>,
    /// Do not truncate IDs when listing
    #[arg(long)]
    pub no_trunc: bool,
    /// Mount every container and print where
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Mount the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Containers; without any, list mounted containers
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UmountArgs {
    /// Unmount all containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Unmount the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Accepted for compatibility (rpod keeps no mount count)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Container (name or ID)
    pub name: String,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// Every container
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The latest container (the argument, if any, is then the port)
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Container (name or ID)
    pub name: Option<String>,
    /// Only this private port
    pub port: Option<String>,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// Name or ID
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// Name or ID
    pub name: String,
    /// Count containers in storage not controlled by rpod too
    #[arg(long)]
    pub external: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Prune only what matches these conditions: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME (repeatable)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Remove the container after cleaning up
    #[arg(long)]
    pub rm: bool,
    /// Remove the container's image after cleaning up, unless something else uses it
    #[arg(long)]
    pub rmi: bool,
    /// Clean up every container
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Clean up the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Forget this ended exec session of the container instead
    #[arg(long, value_name = "SESSION")]
    pub exec: Option<String>,
    /// Set by rpod-monitor: a container that is already gone is not an error
    #[arg(long, hide = true)]
    pub from_monitor: bool,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Go template or json
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Show sizes (containers)
    #[arg(short = 's', long)]
    pub size: bool,
    /// What to inspect: container, image or all
    #[arg(short = 't', long = "type", default_value = "all")]
    pub kind: String,
    /// Inspect the latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Names or IDs
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FormatOnly {
    /// Go template or json
    #[arg(short = 'f', long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct DfArgs {
    /// Go template or json (of the summary)
    #[arg(long)]
    pub format: Option<String>,
    /// List each image, container and volume instead of the summary
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Remove all unused images, not only dangling ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Prune unused volumes too
    #[arg(long)]
    pub volumes: bool,
    /// Prune only what matches these conditions: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME (repeatable)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ForceArgs {
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events since this time
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events until this time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Filter: container, event, type, label, image
    #[arg(short = 'f', long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Keep streaming new events (default true)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub stream: bool,
    /// Print full IDs (default true; false: 12 characters, in the default format)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL",
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub no_trunc: bool,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// Shell: bash, zsh or fish
    pub shell: clap_complete::Shell,
}

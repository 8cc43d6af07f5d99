//! Flags of `rpod pod …`.

use clap::{Args, Subcommand};

use super::network::NetFlags;

#[derive(Debug, Subcommand)]
pub enum PodGroup {
    /// Create a pod
    Create(Box<PodCreateArgs>),
    /// Start pods
    Start(PodNames),
    /// Stop pods
    Stop(PodStopArgs),
    /// Restart pods
    Restart(PodStopArgs),
    /// Send a signal to the containers of pods
    Kill(PodKillArgs),
    /// Pause pods
    Pause(PodNames),
    /// Unpause pods
    Unpause(PodNames),
    /// Remove pods
    #[command(visible_alias = "remove")]
    Rm(PodRmArgs),
    /// List pods
    #[command(visible_alias = "ls", visible_alias = "list")]
    Ps(PodPsArgs),
    /// Show pod details
    Inspect(PodInspectArgs),
    /// Exit 0 if the pod exists, 1 if not
    Exists(PodName),
    /// Remove stopped pods
    Prune(PodPruneArgs),
    /// Show the processes of a pod's containers
    Top(PodTopArgs),
    /// Fetch the logs of a pod's containers
    Logs(PodLogsArgs),
    /// Show resource usage of a pod's containers
    Stats(PodStatsArgs),
}

#[derive(Debug, Args)]
pub struct PodStatsArgs {
    /// Print one sample and exit
    #[arg(long)]
    pub no_stream: bool,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Every pod (also the default when none is named)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Do not clear the screen between samples
    #[arg(long)]
    pub no_reset: bool,
    /// Pods (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct PodCreateArgs {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Name of the pod
    #[arg(short = 'n', long)]
    pub name: Option<String>,
    /// Set a label (KEY=VALUE)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Host name of the pod (shared with its containers)
    #[arg(long, short = 'h')]
    pub hostname: Option<String>,
    /// Size of the pod's /dev/shm (e.g. 64m), shared by the containers in its IPC namespace
    #[arg(long = "shm-size", value_name = "SIZE")]
    pub shm_size: Option<String>,
    /// Make no /etc/hosts in the pod's containers (keep the images')
    #[arg(long = "no-hosts")]
    pub no_hosts: bool,
    /// A volume every container of the pod mounts (as run -v)
    #[arg(short = 'v', long = "volume", value_name = "[SRC:]DEST[:OPTS]")]
    pub volume: Vec<String>,
    /// Mount the volumes of these containers in every container of the pod (CONTAINER[:ro|rw])
    #[arg(long = "volumes-from", value_name = "CONTAINER[:OPTS]")]
    pub volumes_from: Vec<String>,
    /// What happens when the last container exits: continue, or stop the pod
    #[arg(
        long = "exit-policy",
        value_name = "POLICY",
        default_value = "continue"
    )]
    pub exit_policy: String,
    /// Namespaces to share: net, ipc, uts, pid, cgroup (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub share: Option<Vec<String>>,
    /// Create an infra container (default true)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub infra: bool,
    /// Create no infra container
    #[arg(long)]
    pub no_infra: bool,
    /// Write the pod's ID to this file (which must not exist)
    #[arg(long, value_name = "FILE")]
    pub pod_id_file: Option<std::path::PathBuf>,
    /// Remove a pod of the same name first, if there is one
    #[arg(long)]
    pub replace: bool,
    /// Read labels from a file of KEY=VALUE lines
    #[arg(long, value_name = "FILE")]
    pub label_file: Vec<std::path::PathBuf>,
    /// The infra container's name
    #[arg(long, value_name = "NAME")]
    pub infra_name: Option<String>,
    /// Write the pid of the infra container's monitor to this file
    #[arg(long, value_name = "FILE")]
    pub infra_conmon_pidfile: Option<std::path::PathBuf>,
    /// The user namespace's mapping from this name's /etc/subuid ranges
    #[arg(long, value_name = "NAME")]
    pub subuidname: Option<String>,
    /// The user namespace's mapping from this name's /etc/subgid ranges
    #[arg(long, value_name = "NAME")]
    pub subgidname: Option<String>,
    /// Memory limit of the pod's cgroup (e.g. 64m)
    #[arg(short = 'm', long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Memory plus swap limit of the pod's cgroup, -1 for unlimited swap
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// CPUs of the pod's cgroup (e.g. 1.5)
    #[arg(long, value_name = "N")]
    pub cpus: Option<f64>,
    /// CPU shares of the pod's cgroup (its relative weight)
    #[arg(short = 'c', long, value_name = "SHARES")]
    pub cpu_shares: Option<u64>,
    /// CPUs the pod's containers may run on (0-3, 0,1)
    #[arg(long, value_name = "CPUS")]
    pub cpuset_cpus: Option<String>,
    /// Memory nodes the pod's containers may use (0-3, 0,1)
    #[arg(long, value_name = "NODES")]
    pub cpuset_mems: Option<String>,
    /// Block I/O weight of the infra container, relative (10 to 1000)
    #[arg(long, value_name = "WEIGHT")]
    pub blkio_weight: Option<String>,
    /// Block I/O weight of one device for the infra container: DEVICE:WEIGHT
    #[arg(long, value_name = "DEVICE:WEIGHT")]
    pub blkio_weight_device: Vec<String>,
    /// The infra container's command
    #[arg(long, value_name = "COMMAND")]
    pub infra_command: Option<String>,
    /// Image of the infra container (instead of rpod's built-in catatonit)
    #[arg(long, value_name = "IMAGE")]
    pub infra_image: Option<String>,
    /// Security options of the infra container (as `run --security-opt`)
    #[arg(long, value_name = "OPTION")]
    pub security_opt: Vec<String>,
    /// Namespaced kernel parameters of the pod: KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub sysctl: Vec<String>,
    /// A host device every container of the pod gets: HOST[:CONTAINER[:PERMISSIONS]]
    #[arg(long, value_name = "DEVICE")]
    pub device: Vec<String>,
    /// Limit reads from a block device: DEVICE:RATE
    #[arg(long, value_name = "DEVICE:RATE")]
    pub device_read_bps: Vec<String>,
    /// Limit writes to a block device: DEVICE:RATE
    #[arg(long, value_name = "DEVICE:RATE")]
    pub device_write_bps: Vec<String>,
    /// PID namespace of the infra container: private, host, ns:PATH
    #[arg(long, value_name = "MODE")]
    pub pid: Option<String>,
    /// UTS namespace of the infra container: private, host, ns:PATH
    #[arg(long, value_name = "MODE")]
    pub uts: Option<String>,
    /// User namespace of the pod (its containers join it): host, auto[:OPTS], ns:PATH
    #[arg(long, value_name = "MODE")]
    pub userns: Option<String>,
    /// UID map of the pod's user namespace: CONTAINER:HOST:SIZE
    #[arg(long, value_name = "MAP")]
    pub uidmap: Vec<String>,
    /// GID map of the pod's user namespace: CONTAINER:HOST:SIZE
    #[arg(long, value_name = "MAP")]
    pub gidmap: Vec<String>,
    /// The cgroup the pod's cgroup is created under
    #[arg(long, value_name = "PATH")]
    pub cgroup_parent: Option<String>,
    /// Make the pod's cgroup the parent of its containers' cgroups
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub share_parent: bool,
    #[command(flatten)]
    pub net: NetFlags,
}

#[derive(Debug, Args)]
pub struct PodNames {
    /// Act on all pods
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Read the pod ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub pod_id_file: Vec<std::path::PathBuf>,
    /// Pods (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodName {
    /// Pod (name or ID)
    pub name: String,
}

#[derive(Debug, Args)]
pub struct PodTopArgs {
    /// Act on the latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Pod (name or ID); with --latest every argument is a descriptor
    pub name: Option<String>,
    /// ps-style descriptors (pid, user, args, comm, …)
    pub descriptors: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodStopArgs {
    /// Seconds to wait before killing
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Act on all pods
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Read the pod ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub pod_id_file: Vec<std::path::PathBuf>,
    /// Ignore pods that do not exist
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Pods (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodKillArgs {
    /// Signal to send (name or number)
    #[arg(short = 's', long, default_value = "KILL")]
    pub signal: String,
    /// Act on all pods
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Pods (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodRmArgs {
    /// Stop running containers first
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Seconds to wait for stop before killing (with --force)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Remove all pods
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Ignore pods that do not exist
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Act on the latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Read the pod ID from the file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub pod_id_file: Vec<std::path::PathBuf>,
    /// Pods (names or IDs)
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodPsArgs {
    /// Print no header line
    #[arg(long = "noheading")]
    pub noheading: bool,
    /// Filter output based on conditions given (KEY=VALUE)
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Show only IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not truncate IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Add the IDs of each pod's containers
    #[arg(long)]
    pub ctr_ids: bool,
    /// Add the names of each pod's containers
    #[arg(long)]
    pub ctr_names: bool,
    /// Add the states of each pod's containers
    #[arg(long)]
    pub ctr_status: bool,
    /// Add the pod's cgroup parent and namespace columns
    #[arg(long)]
    pub ns: bool,
    /// Show only the latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Sort by created (newest first, the default), id, name or number (of containers)
    #[arg(long, value_name = "KEY", default_value = "created",
          value_parser = ["created", "id", "name", "names", "number"])]
    pub sort: String,
}

#[derive(Debug, Args)]
pub struct PodInspectArgs {
    /// Go template or json
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Act on the latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Pod (name or ID)
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct PodPruneArgs {
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PodLogsArgs {
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
    /// Only the last N lines of each container (-1: all)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub tail: Option<i64>,
    /// Prefix each line with the container's name (default: its short ID)
    #[arg(short = 'n', long)]
    pub names: bool,
    /// Give each container's lines a color of their own
    #[arg(long)]
    pub color: bool,
    /// Only this container of the pod (name or ID)
    #[arg(short = 'c', long, value_name = "CONTAINER")]
    pub container: Option<String>,
    /// The latest pod
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Pod (name or ID)
    pub name: Option<String>,
}

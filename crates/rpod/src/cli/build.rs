//! `build` (also `image build` and `buildx build`): every flag of `podman build` parses
//! (Podman 4.3.1's list). Bool flags take `--flag` or `--flag=BOOL` as Go's pflag does;
//! flags rpod cannot honour fail with a one-line reason (see `commands::build`).

use clap::{Args, Subcommand};

/// `buildx` (Docker's name for the builder): only `build`.
#[derive(Debug, Subcommand)]
pub enum BuildxGroup {
    /// Build an image using instructions from Containerfiles
    Build(Box<BuildArgs>),
}

#[derive(Debug, Args, Clone, Default)]
pub struct BuildArgs {
    /// Build context: a directory, a tarball or - (a tar on stdin)
    #[arg(value_name = "CONTEXT")]
    pub context: Option<String>,

    /// Containerfile path (- for stdin)
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Vec<String>,
    /// Name of the image (repeatable)
    #[arg(short = 't', long = "tag", value_name = "NAME")]
    pub tag: Vec<String>,
    /// argument=value to supply to the builder
    #[arg(long = "build-arg", value_name = "ARG=VALUE")]
    pub build_arg: Vec<String>,
    /// name=DIR: an additional build context for COPY --from=name
    #[arg(long = "build-context", value_name = "NAME=DIR")]
    pub build_context: Vec<String>,
    /// The stage to build
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Do not use cached steps
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub no_cache: Option<bool>,
    /// Cache intermediate layers (default true)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub layers: Option<bool>,
    /// Remove intermediate containers after a successful step (default true)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub rm: Option<bool>,
    /// Always remove intermediate containers, also after a failure (default true)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub force_rm: Option<bool>,
    /// Pull policy for base images: always, missing, never, newer (true = missing)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "POLICY")]
    pub pull: Option<String>,
    /// Print only the image ID
    #[arg(short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub quiet: Option<bool>,
    /// Write the image ID to this file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<std::path::PathBuf>,
    /// Image label KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Image annotation KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Environment variable for the image
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Remove an environment variable from the final image
    #[arg(long, value_name = "NAME")]
    pub unsetenv: Vec<String>,
    /// Manifest format: oci or docker
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Created timestamp (seconds since the epoch) for deterministic builds
    #[arg(long, value_name = "SECONDS")]
    pub timestamp: Option<String>,
    /// Network for RUN steps: private, none, host, ns:PATH or a network name
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,
    /// host:ip to add to /etc/hosts of RUN steps
    #[arg(long = "add-host", value_name = "HOST:IP")]
    pub add_host: Vec<String>,
    /// Do not create /etc/hosts for RUN steps
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub no_hosts: Option<bool>,
    #[arg(long, value_name = "SERVER")]
    pub dns: Vec<String>,
    #[arg(long = "dns-option", value_name = "OPTION")]
    pub dns_option: Vec<String>,
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// Bind mount a volume into RUN steps
    #[arg(short = 'v', long, value_name = "VOLUME")]
    pub volume: Vec<String>,
    /// Secret for RUN --mount=type=secret: id=ID,src=PATH
    #[arg(long, value_name = "id=ID,src=PATH")]
    pub secret: Vec<String>,
    /// Squash the new layers into one
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub squash: Option<bool>,
    /// Squash all layers into one
    #[arg(long = "squash-all", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub squash_all: Option<bool>,
    /// Image replacing the first FROM's
    #[arg(long, value_name = "IMAGE")]
    pub from: Option<String>,
    /// OS/ARCH[/VARIANT] to build for
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Vec<String>,
    /// Architecture to build for
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// OS to build for
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// Omit build history from the image
    #[arg(long = "omit-history", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub omit_history: Option<bool>,
    /// Alternate ignore file
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<std::path::PathBuf>,
    /// Log to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    pub logfile: Option<std::path::PathBuf>,
    /// Build only the stages the target needs (default true)
    #[arg(long = "skip-unused-stages", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub skip_unused_stages: Option<bool>,
    /// Stages built in parallel
    #[arg(long, value_name = "N")]
    pub jobs: Option<String>,
    #[arg(long = "cap-add", value_name = "CAP", value_delimiter = ',')]
    pub cap_add: Vec<String>,
    #[arg(long = "cap-drop", value_name = "CAP", value_delimiter = ',')]
    pub cap_drop: Vec<String>,
    #[arg(long = "security-opt", value_name = "OPT")]
    pub security_opt: Vec<String>,
    #[arg(long, value_name = "NAME=SOFT:HARD", value_delimiter = ',')]
    pub ulimit: Vec<String>,
    /// Pass the host's proxy variables to RUN steps (default true)
    #[arg(long = "http-proxy", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub http_proxy: Option<bool>,
    /// Add the default identity label (rpod adds none)
    #[arg(long = "identity-label", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub identity_label: Option<bool>,
    /// Legacy; no effect (layers are stored uncompressed)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub compress: Option<bool>,
    /// Do not compress layers (they never are)
    #[arg(short = 'D', long = "disable-compression", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub disable_compression: Option<bool>,
    /// Docker-specific; no effect
    #[arg(long = "disable-content-trust", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub disable_content_trust: Option<bool>,
    /// Process isolation: oci
    #[arg(long, value_name = "TYPE")]
    pub isolation: Option<String>,
    /// Output destination: type=local,dest=DIR
    #[arg(short = 'o', long, value_name = "OUTPUT")]
    pub output: Option<String>,
    #[arg(long = "tls-verify", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub tls_verify: Option<bool>,
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<std::path::PathBuf>,
    #[arg(long, value_name = "USER:PASS")]
    pub creds: Option<String>,
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Option<String>,

    // Flags Podman has and rpod refuses (each with its reason, in commands::build).
    #[arg(long = "all-platforms", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL", hide = true)]
    pub all_platforms: Option<bool>,
    #[arg(long = "cache-from", value_name = "REPO", hide = true)]
    pub cache_from: Vec<String>,
    #[arg(long = "cache-to", value_name = "REPO", hide = true)]
    pub cache_to: Vec<String>,
    #[arg(long = "cache-ttl", value_name = "DURATION", hide = true)]
    pub cache_ttl: Option<String>,
    #[arg(long = "cgroup-parent", value_name = "PATH", hide = true)]
    pub cgroup_parent: Option<String>,
    #[arg(long, value_name = "MODE", hide = true)]
    pub cgroupns: Option<String>,
    #[arg(long = "cpp-flag", value_name = "FLAG", hide = true)]
    pub cpp_flag: Vec<String>,
    #[arg(long = "cpu-period", value_name = "N", hide = true)]
    pub cpu_period: Option<String>,
    #[arg(long = "cpu-quota", value_name = "N", hide = true)]
    pub cpu_quota: Option<String>,
    #[arg(short = 'c', long = "cpu-shares", value_name = "N", hide = true)]
    pub cpu_shares: Option<String>,
    #[arg(long = "cpuset-cpus", value_name = "CPUS", hide = true)]
    pub cpuset_cpus: Option<String>,
    #[arg(long = "cpuset-mems", value_name = "MEMS", hide = true)]
    pub cpuset_mems: Option<String>,
    #[arg(long = "decryption-key", value_name = "KEY", hide = true)]
    pub decryption_key: Vec<String>,
    #[arg(long, value_name = "DEVICE", hide = true)]
    pub device: Vec<String>,
    #[arg(long, value_name = "MODE", hide = true)]
    pub ipc: Option<String>,
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL", hide = true)]
    pub logsplit: Option<bool>,
    #[arg(long, value_name = "NAME", hide = true)]
    pub manifest: Option<String>,
    #[arg(short = 'm', long, value_name = "SIZE", hide = true)]
    pub memory: Option<String>,
    #[arg(long = "memory-swap", value_name = "SIZE", hide = true)]
    pub memory_swap: Option<String>,
    #[arg(long = "os-feature", value_name = "FEATURE", hide = true)]
    pub os_feature: Vec<String>,
    #[arg(long = "os-version", value_name = "VERSION", hide = true)]
    pub os_version: Option<String>,
    #[arg(long, value_name = "MODE", hide = true)]
    pub pid: Option<String>,
    #[arg(long, value_name = "N", hide = true)]
    pub retry: Option<String>,
    #[arg(long = "retry-delay", value_name = "DURATION", hide = true)]
    pub retry_delay: Option<String>,
    #[arg(long = "runtime-flag", value_name = "FLAG", hide = true)]
    pub runtime_flag: Vec<String>,
    #[arg(long = "shm-size", value_name = "SIZE", hide = true)]
    pub shm_size: Option<String>,
    #[arg(long = "sign-by", value_name = "FINGERPRINT", hide = true)]
    pub sign_by: Option<String>,
    #[arg(long, value_name = "SPEC", hide = true)]
    pub ssh: Vec<String>,
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL", hide = true)]
    pub stdin: Option<bool>,
    #[arg(long, value_name = "MODE", hide = true)]
    pub userns: Option<String>,
    #[arg(long = "userns-gid-map", value_name = "MAP", hide = true)]
    pub userns_gid_map: Vec<String>,
    #[arg(long = "userns-gid-map-group", value_name = "NAME", hide = true)]
    pub userns_gid_map_group: Option<String>,
    #[arg(long = "userns-uid-map", value_name = "MAP", hide = true)]
    pub userns_uid_map: Vec<String>,
    #[arg(long = "userns-uid-map-user", value_name = "NAME", hide = true)]
    pub userns_uid_map_user: Option<String>,
    #[arg(long, value_name = "MODE", hide = true)]
    pub uts: Option<String>,
    /// The platform's variant (e.g. v8) the image is built for
    #[arg(long, value_name = "VARIANT")]
    pub variant: Option<String>,
}

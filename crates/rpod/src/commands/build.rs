//! `build`, `image build`, `buildx build`: flags to [`libpod::build::BuildOptions`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use libpod::build::{BuildOptions, ContainerfileSource, ContextSource};
use libpod::images::{PullPolicy, RegistryOptions};
use libpod::Runtime;

use crate::cli::BuildArgs;

/// A flag rpod does not implement, with the reason given.
fn unsupported(flag: &str, why: &str) -> anyhow::Error {
    anyhow::Error::new(libpod::Error::Unsupported(format!(
        "build --{flag} is not supported by rpod: {why}"
    )))
}

/// Refuses the flags rpod cannot honour (each one line, exit 125).
fn refuse_unsupported(a: &BuildArgs) -> Result<()> {
    let runtime_limits = "RUN steps take no resource limits in rpod's builder";
    let checks: &[(&str, bool, &str)] = &[
        (
            "all-platforms",
            a.all_platforms == Some(true),
            "a build is for one platform (no manifest lists)",
        ),
        (
            "cache-from",
            !a.cache_from.is_empty(),
            "remote cache repositories are not supported (the step cache is local; the Docker API's cachefrom takes local images)",
        ),
        (
            "cache-to",
            !a.cache_to.is_empty(),
            "the step cache is local only",
        ),
        (
            "cache-ttl",
            a.cache_ttl.is_some(),
            "cached steps do not expire",
        ),
        ("cgroup-parent", a.cgroup_parent.is_some(), runtime_limits),
        (
            "cgroupns",
            a.cgroupns.is_some(),
            "RUN steps use the default cgroup namespace",
        ),
        (
            "cpp-flag",
            !a.cpp_flag.is_empty(),
            "Containerfile.in preprocessing is not implemented",
        ),
        ("cpu-period", a.cpu_period.is_some(), runtime_limits),
        ("cpu-quota", a.cpu_quota.is_some(), runtime_limits),
        ("cpu-shares", a.cpu_shares.is_some(), runtime_limits),
        ("cpuset-cpus", a.cpuset_cpus.is_some(), runtime_limits),
        ("cpuset-mems", a.cpuset_mems.is_some(), runtime_limits),
        (
            "decryption-key",
            !a.decryption_key.is_empty(),
            "encrypted images are not supported",
        ),
        (
            "device",
            !a.device.is_empty(),
            "RUN steps get no extra devices",
        ),
        (
            "ipc",
            a.ipc.is_some(),
            "RUN steps use a private IPC namespace",
        ),
        (
            "logsplit",
            a.logsplit == Some(true),
            "builds are for one platform",
        ),
        (
            "manifest",
            a.manifest.is_some(),
            "manifest lists are not supported",
        ),
        ("memory", a.memory.is_some(), runtime_limits),
        ("memory-swap", a.memory_swap.is_some(), runtime_limits),
        (
            "os-feature",
            !a.os_feature.is_empty(),
            "OS features are not recorded",
        ),
        (
            "os-version",
            a.os_version.is_some(),
            "OS versions are not recorded",
        ),
        (
            "pid",
            a.pid.is_some(),
            "RUN steps use a private PID namespace",
        ),
        ("retry", a.retry.is_some(), "pulls are not retried"),
        (
            "retry-delay",
            a.retry_delay.is_some(),
            "pulls are not retried",
        ),
        (
            "runtime-flag",
            !a.runtime_flag.is_empty(),
            "the OCI runtime takes no extra flags",
        ),
        ("shm-size", a.shm_size.is_some(), runtime_limits),
        (
            "sign-by",
            a.sign_by.is_some(),
            "image signing is not supported",
        ),
        (
            "ssh",
            !a.ssh.is_empty(),
            "SSH agent forwarding is not supported",
        ),
        (
            "stdin",
            a.stdin == Some(true),
            "RUN steps get no standard input",
        ),
        (
            "userns",
            a.userns.is_some(),
            "RUN steps run in the host's user namespace",
        ),
        (
            "userns-gid-map",
            !a.userns_gid_map.is_empty(),
            "RUN steps run in the host's user namespace",
        ),
        (
            "userns-gid-map-group",
            a.userns_gid_map_group.is_some(),
            "RUN steps run in the host's user namespace",
        ),
        (
            "userns-uid-map",
            !a.userns_uid_map.is_empty(),
            "RUN steps run in the host's user namespace",
        ),
        (
            "userns-uid-map-user",
            a.userns_uid_map_user.is_some(),
            "RUN steps run in the host's user namespace",
        ),
        (
            "uts",
            a.uts.is_some(),
            "RUN steps use a private UTS namespace",
        ),
        (
            "squash",
            a.squash == Some(true) && a.squash_all == Some(true),
            "give --squash or --squash-all, not both",
        ),
        (
            "disable-compression",
            a.disable_compression == Some(false),
            "layers are stored uncompressed",
        ),
    ];
    for (flag, given, why) in checks {
        if *given {
            return Err(unsupported(flag, why));
        }
    }
    if let Some(j) = &a.jobs {
        if j.parse::<u32>().is_err() {
            bail!(libpod::Error::InvalidArgument(format!(
                "invalid --jobs {j:?}: expected a number"
            )));
        }
    }
    if let Some(i) = &a.isolation {
        if i != "oci" && i != "default" {
            return Err(unsupported(
                "isolation",
                "only oci isolation (rpod's own containers) is available",
            ));
        }
    }
    if a.skip_unused_stages == Some(false) {
        return Err(unsupported(
            "skip-unused-stages",
            "only the stages the target needs are built",
        ));
    }
    Ok(())
}

fn bool_flag(v: Option<bool>, default: bool) -> bool {
    v.unwrap_or(default)
}

fn invalid(msg: String) -> anyhow::Error {
    anyhow::Error::new(libpod::Error::InvalidArgument(msg))
}

/// Turns the flags into build options.
fn options(a: &BuildArgs) -> Result<(BuildOptions, Option<PathBuf>)> {
    refuse_unsupported(a)?;
    let mut opts = BuildOptions::default();
    let context = a.context.clone().unwrap_or_else(|| ".".into());
    if a.file.len() > 1 {
        return Err(unsupported("file", "one Containerfile per build"));
    }
    let file = a.file.first().cloned();
    if file.as_deref() == Some("-") && context == "-" {
        bail!(invalid(
            "the Containerfile and the context cannot both come from standard input".into()
        ));
    }
    if context.starts_with("http://")
        || context.starts_with("https://")
        || context.starts_with("git://")
        || context.starts_with("git@")
    {
        return Err(unsupported(
            "",
            &format!("remote build contexts ({context}) are not supported"),
        ));
    }
    opts.containerfile = match file.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the Containerfile from standard input")?;
            Some(ContainerfileSource::Text {
                name: "Containerfile".into(),
                text,
            })
        }
        Some(f) if f.starts_with("http://") || f.starts_with("https://") => {
            return Err(unsupported(
                "file",
                "Containerfiles from URLs are not supported",
            ))
        }
        Some(f) => Some(ContainerfileSource::Path(PathBuf::from(f))),
        None => None,
    };
    opts.context = if context == "-" {
        ContextSource::tar(std::io::stdin())
    } else {
        let p = Path::new(&context);
        let meta = std::fs::metadata(p)
            .map_err(|e| invalid(format!("the build context {context}: {e}")))?;
        if meta.is_dir() {
            ContextSource::Dir(p.to_path_buf())
        } else {
            let f = std::fs::File::open(p).with_context(|| format!("opening {context}"))?;
            ContextSource::tar(f)
        }
    };
    opts.ignore_file = a.ignorefile.clone();
    for bc in &a.build_context {
        let (name, dir) = bc
            .split_once('=')
            .ok_or_else(|| invalid(format!("invalid --build-context {bc:?}: expected NAME=DIR")))?;
        if dir.contains("://") || dir.starts_with("docker-image:") {
            return Err(unsupported(
                "build-context",
                &format!("{bc:?}: only local directories are supported"),
            ));
        }
        opts.build_contexts
            .push((name.to_string(), PathBuf::from(dir)));
    }
    opts.tags = a.tag.clone();
    for t in &opts.tags {
        libpod::images::split_name(t);
        storage_name_check(t)?;
    }
    opts.build_args = a.build_arg.clone();
    libpod::build::parse_build_args(&opts.build_args)?;
    if bool_flag(a.http_proxy, true) {
        for v in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "FTP_PROXY",
            "ftp_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            if let Ok(val) = std::env::var(v) {
                if !opts
                    .build_args
                    .iter()
                    .any(|a| a.split('=').next() == Some(v))
                {
                    opts.build_args.push(format!("{v}={val}"));
                }
            }
        }
    }
    opts.target = a.target.clone();
    opts.no_cache = bool_flag(a.no_cache, false);
    opts.layers = bool_flag(a.layers, true);
    opts.rm = bool_flag(a.rm, true);
    opts.force_rm = bool_flag(a.force_rm, true);
    opts.pull = match a.pull.as_deref() {
        None | Some("true") | Some("missing") | Some("ifmissing") => PullPolicy::Missing,
        Some("false") | Some("never") => PullPolicy::Never,
        Some(p) => p.parse()?,
    };
    opts.registry = RegistryOptions {
        tls_verify: a.tls_verify,
        authfile: a.authfile.clone(),
        creds: a.creds.clone(),
        platform: None,
        cert_dir: a.cert_dir.as_ref().map(PathBuf::from),
    };
    opts.labels = a.label.clone();
    opts.annotations = a.annotation.clone();
    opts.env = a.env.clone();
    opts.unsetenv = a.unsetenv.clone();
    opts.docker_format = match a.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("oci") => std::env::var("BUILDAH_FORMAT")
            .map(|f| f == "docker")
            .unwrap_or(false),
        Some("docker") => true,
        Some(f) => bail!(invalid(format!(
            "unrecognized image type {f:?}: use oci or docker"
        ))),
    };
    opts.timestamp = match &a.timestamp {
        Some(t) => Some(t.parse::<i64>().map_err(|_| {
            invalid(format!(
                "invalid --timestamp {t:?}: expected seconds since the epoch"
            ))
        })?),
        None => None,
    };
    opts.quiet = bool_flag(a.quiet, false);
    opts.network = a.network.clone();
    opts.add_hosts = a.add_host.clone();
    opts.dns = a.dns.clone();
    opts.dns_search = a.dns_search.clone();
    opts.dns_options = a.dns_option.clone();
    opts.no_hosts = bool_flag(a.no_hosts, false);
    if opts.no_hosts && !opts.add_hosts.is_empty() {
        bail!(invalid(
            "--no-hosts and --add-host conflict, can not be used together".into()
        ));
    }
    opts.volumes = a.volume.clone();
    for s in &a.secret {
        let mut id = None;
        let mut src = None;
        for part in s.split(',') {
            match part.split_once('=') {
                Some(("id", v)) => id = Some(v.to_string()),
                Some(("src", v)) | Some(("source", v)) => src = Some(PathBuf::from(v)),
                Some(("type", "file")) => {}
                _ => bail!(invalid(format!(
                    "invalid --secret {s:?}: expected id=ID,src=PATH"
                ))),
            }
        }
        let (Some(id), Some(src)) = (id, src) else {
            bail!(invalid(format!(
                "invalid --secret {s:?}: expected id=ID,src=PATH"
            )));
        };
        opts.secrets.push((id, src));
    }
    opts.squash = bool_flag(a.squash, false);
    opts.squash_all = bool_flag(a.squash_all, false);
    opts.from = a.from.clone();
    let mut platform = a.platform.first().cloned();
    if a.platform.len() > 1 {
        return Err(unsupported("platform", "one platform per build"));
    }
    if a.arch.is_some() || a.os.is_some() || a.variant.is_some() {
        let os = a.os.clone().unwrap_or_else(|| "linux".into());
        let arch = a
            .arch
            .clone()
            .unwrap_or_else(|| libpod::build::host_arch().into());
        platform = Some(match &a.variant {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        });
    }
    opts.platform = platform;
    opts.omit_history = bool_flag(a.omit_history, false);
    opts.jobs = a
        .jobs
        .as_deref()
        .and_then(|j| j.parse::<usize>().ok())
        .unwrap_or(1);
    opts.cap_add = a.cap_add.clone();
    opts.cap_drop = a.cap_drop.clone();
    for s in &a.security_opt {
        opts.security_opts
            .push(libpod::container::security::SecurityOpt::parse(s)?);
    }
    for u in &a.ulimit {
        opts.ulimits
            .extend(libpod::container::options::Ulimit::parse_flag(u)?);
    }
    if let Some(o) = &a.output {
        opts.output_dir = Some(parse_output(o)?);
    }
    Ok((opts, a.logfile.clone()))
}

/// `-o type=local,dest=DIR` (or a bare directory, as Podman takes it).
fn parse_output(text: &str) -> Result<PathBuf> {
    if !text.contains('=') {
        return Ok(PathBuf::from(text));
    }
    let mut kind = None;
    let mut dest = None;
    for part in text.split(',') {
        match part.split_once('=') {
            Some(("type", t)) => kind = Some(t.to_string()),
            Some(("dest", d)) => dest = Some(PathBuf::from(d)),
            _ => bail!(invalid(format!(
                "invalid --output {text:?}: expected type=local,dest=DIR"
            ))),
        }
    }
    match (kind.as_deref(), dest) {
        (Some("local") | None, Some(d)) => Ok(d),
        (Some("tar"), _) => Err(unsupported(
            "output",
            "type=tar is not supported; use type=local",
        )),
        _ => bail!(invalid(format!(
            "invalid --output {text:?}: expected type=local,dest=DIR"
        ))),
    }
}

fn storage_name_check(t: &str) -> Result<()> {
    if t.is_empty()
        || t.chars()
            .any(|c| c.is_whitespace() || c.is_ascii_uppercase())
    {
        bail!(invalid(format!(
            "invalid image name {t:?}: names must be lower case, without spaces"
        )));
    }
    Ok(())
}

/// Runs a build.
pub fn run(rt: &Runtime, a: BuildArgs) -> Result<u8> {
    let (opts, logfile) = options(&a)?;
    let iidfile = a.iidfile.clone();
    let image = match logfile {
        Some(path) => {
            let mut f = std::fs::File::create(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            rt.build(opts, &mut f)?
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let image = rt.build(opts, &mut out)?;
            out.flush()?;
            image
        }
    };
    if let Some(path) = iidfile {
        std::fs::write(&path, format!("sha256:{}", image.id))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(0)
}

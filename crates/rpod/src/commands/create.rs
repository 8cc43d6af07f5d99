//! `create`, `run`, and attaching to a container's stdio (`run`, `start -a`, `attach`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use libpod::container::isolation::{
    parse_sysctl, BlkioLimits, BlkioRate, CgroupRule, DeviceSpec, IsolationConfig, NamespaceMode,
};
use libpod::container::options::{
    parse_env_file, parse_key_value, parse_log_opts, parse_size, MountSpec, Ulimit,
};
use libpod::container::{parse_detach_keys, pump, AttachOutcome, AttachStreams, SecurityOpt};
use libpod::{Container, CreateOptions, Runtime};

use crate::cli::{CreateArgs, CreateFlags, ResourceFlags, RunArgs};
use crate::terminal::{stdin_is_tty, window_size, RawMode};

/// Turns `create`/`run` flags into the engine's request.
/// Refuses, with a one-line reason, the flags whose effect rpod does not
/// have yet, and the values of accepted flags it can't honour.
fn refuse_unsupported(f: &CreateFlags) -> Result<()> {
    let unsupported = |flag: &str| -> Result<()> {
        Err(libpod::Error::Unsupported(format!("{flag} is not supported yet")).into())
    };
    let given: &[(&str, bool)] = &[
        ("--passwd-entry", f.passwd_entry.is_some()),
        ("--hostuser", !f.hostuser.is_empty()),
        ("--preserve-fds", f.preserve_fds.is_some_and(|n| n > 0)),
        ("--chrootdirs", !f.chrootdirs.is_empty()),
        ("--cgroup-conf", !f.cgroup_conf.is_empty()),
    ];
    for (flag, set) in given {
        if *set {
            return unsupported(flag);
        }
    }
    // Podman's systemd mode only starts for systemd or init as the command.
    let command_is_init = f
        .command()
        .first()
        .map(|c| c.rsplit('/').next().unwrap_or(c))
        .is_some_and(|c| c == "systemd" || c == "init");
    match f.systemd.as_str() {
        "false" => {}
        "true" if !command_is_init => {}
        "true" | "always" => {
            return unsupported(&format!("--systemd {} (systemd mode)", f.systemd))
        }
        other => bail!("invalid --systemd {other:?}: use true, false or always"),
    }
    for s in &f.attach {
        if !matches!(
            s.to_ascii_lowercase().as_str(),
            "stdin" | "stdout" | "stderr"
        ) {
            bail!("invalid stream {s:?} for --attach - must be one of stdin, stdout, or stderr");
        }
    }
    if !f.attach.is_empty()
        && !["stdout", "stderr"]
            .iter()
            .all(|s| f.attach.iter().any(|a| a.eq_ignore_ascii_case(s)))
    {
        return unsupported("--attach of only some of stdout and stderr");
    }
    Ok(())
}

pub fn create_options(f: &CreateFlags) -> Result<CreateOptions> {
    refuse_unsupported(f)?;
    let mut env = Vec::new();
    if f.http_proxy {
        env.extend(libpod::container::options::proxy_env());
    }
    if f.env_host {
        env.extend(std::env::vars().map(|(k, v)| format!("{k}={v}")));
    }
    for file in &f.env_file {
        env.extend(parse_env_file(file)?);
    }
    for e in &f.env {
        if e.contains('=') {
            env.push(e.clone());
        } else if let Ok(v) = std::env::var(e) {
            env.push(format!("{e}={v}"));
        }
    }
    let mut mounts = Vec::new();
    for v in &f.volumes {
        mounts.push(MountSpec::parse_volume(v)?);
    }
    for t in &f.tmpfs {
        mounts.push(MountSpec::parse_tmpfs(t)?);
    }
    for m in &f.mount {
        mounts.push(MountSpec::parse_mount(m)?);
    }
    let log_max_size = parse_log_opts(&f.log_opt)?;
    let (image, rootfs) = if f.rootfs {
        (None, Some(PathBuf::from(f.image())))
    } else {
        (Some(f.image().to_string()), None)
    };
    let entrypoint = f.entrypoint.as_ref().map(|e| {
        if e.is_empty() {
            Vec::new()
        } else if e.starts_with('[') {
            serde_json::from_str::<Vec<String>>(e).unwrap_or_else(|_| vec![e.clone()])
        } else {
            vec![e.clone()]
        }
    });
    Ok(CreateOptions {
        name: f.name.clone(),
        image,
        rootfs,
        command: f.command().to_vec(),
        entrypoint,
        env,
        workdir: f.workdir.clone(),
        user: f.user.clone(),
        hostname: f.hostname.clone(),
        labels: {
            let mut labels = BTreeMap::new();
            for file in &f.label_file {
                for line in parse_env_file(file)? {
                    let (k, v) = parse_key_value(&line);
                    labels.insert(k, v);
                }
            }
            labels.extend(f.labels.iter().map(|l| parse_key_value(l)));
            labels
        },
        unset_env: f.unsetenv.clone(),
        unset_env_all: f.unsetenv_all,
        umask: f.umask.as_deref().map(parse_umask).transpose()?,
        replace: f.replace,
        sdnotify: f.sdnotify.parse()?,
        create_command: None,
        pidfile: f.pidfile.clone(),
        conmon_pidfile: f.conmon_pidfile.clone(),
        no_hosts: f.no_hosts,
        passwd: f.passwd,
        init_path: f.init_path.clone(),
        personality: f.personality.clone(),
        env_merge: f.env_merge.clone(),
        annotations: f.annotations.iter().map(|l| parse_key_value(l)).collect(),
        stop_signal: f.stop_signal.clone(),
        stop_timeout: f.stop_timeout,
        read_only: f.read_only,
        privileged: f.privileged,
        cap_add: f.cap_add.clone(),
        cap_drop: f.cap_drop.clone(),
        security_opts: f
            .security_opt
            .iter()
            .map(|o| SecurityOpt::parse(o))
            .collect::<libpod::Result<_>>()?,
        seccomp_policy: Some(f.seccomp_policy.clone()),
        isolation: isolation(f)?,
        ulimits: f
            .ulimit
            .iter()
            .map(|u| Ulimit::parse_flag(u))
            .collect::<libpod::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect(),
        resources: libpod::container::Resources {
            pids_limit: f.pids_limit,
            oom_kill_disable: f.oom_kill_disable,
            ..resource_limits(&f.limits)?
        },
        shm_size: f.shm_size.as_deref().map(parse_size).transpose()?,
        init: f.init,
        mounts,
        image_volume: f.image_volume.parse()?,
        timezone: f.tz.clone(),
        timeout: f.timeout,
        volumes_from: f.volumes_from.clone(),
        network: libpod::NetworkMode::Bridge,
        net: net_request(&f.net),
        tty: f.tty,
        interactive: f.interactive,
        stdin_once: false,
        log_driver: f.log_driver.clone(),
        log_max_size,
        auto_remove: f.rm,
        restart_policy: f.restart.as_deref().map(str::parse).transpose()?,
        requires: f.requires.clone(),
        pod: match &f.pod_id_file {
            Some(file) => Some(
                std::fs::read_to_string(file)
                    .with_context(|| format!("reading the pod ID file {}", file.display()))?
                    .trim()
                    .to_string(),
            ),
            None => f.pod.clone(),
        },
        init_container: None,
        secrets: f
            .secrets
            .iter()
            .map(|s| libpod::secrets::SecretRequest::parse(s))
            .collect::<libpod::Result<_>>()?,
        userns: libpod::container::userns::UsernsOptions::parse(
            f.userns.as_deref(),
            &f.uidmap,
            &f.gidmap,
            f.subuidname.as_deref(),
            f.subgidname.as_deref(),
        )?,
        health: libpod::container::options::HealthOptions {
            cmd: f.health_cmd.clone(),
            interval: f.health_interval.clone(),
            timeout: f.health_timeout.clone(),
            retries: f.health_retries,
            start_period: f.health_start_period.clone(),
            on_failure: f.health_on_failure.clone(),
            disabled: f.no_healthcheck,
        },
        pull: f.pull.parse()?,
        registry: {
            let mut r = crate::commands::images::registry_options(&f.registry);
            r.platform = crate::commands::images::platform_of(
                f.platform.as_deref(),
                f.arch.as_deref(),
                f.os.as_deref(),
                f.variant.as_deref(),
            )?;
            r
        },
    })
}

/// The memory and CPU limits of `create`, `run` and `update`.
pub(crate) fn resource_limits(f: &ResourceFlags) -> Result<libpod::container::Resources> {
    Ok(libpod::container::Resources {
        memory: f.memory.as_deref().map(parse_size).transpose()?,
        cpus: f.cpus,
        cpu_shares: f.cpu_shares,
        cpu_period: f.cpu_period,
        cpu_quota: f.cpu_quota,
        cpu_rt_period: f.cpu_rt_period,
        cpu_rt_runtime: f.cpu_rt_runtime,
        cpuset_cpus: f.cpuset_cpus.clone(),
        cpuset_mems: f.cpuset_mems.clone(),
        memory_reservation: f
            .memory_reservation
            .as_deref()
            .map(parse_size)
            .transpose()?,
        memory_swap: f
            .memory_swap
            .as_deref()
            .map(libpod::container::options::parse_memory_swap)
            .transpose()?,
        memory_swappiness: f
            .memory_swappiness
            .map(libpod::container::options::parse_swappiness)
            .transpose()?
            .flatten(),
        ..Default::default()
    })
}

/// The block I/O limits of `create`, `run` and `update`.
pub(crate) fn blkio_limits(f: &ResourceFlags) -> Result<BlkioLimits> {
    let rates = |flag: &str, list: &[String], bytes: bool| -> libpod::Result<Vec<BlkioRate>> {
        list.iter()
            .map(|t| BlkioRate::parse(flag, t, bytes))
            .collect()
    };
    Ok(BlkioLimits {
        read_bps: rates("device-read-bps", &f.device_read_bps, true)?,
        write_bps: rates("device-write-bps", &f.device_write_bps, true)?,
        read_iops: rates("device-read-iops", &f.device_read_iops, false)?,
        write_iops: rates("device-write-iops", &f.device_write_iops, false)?,
        weight: f
            .blkio_weight
            .as_deref()
            .map(BlkioLimits::parse_weight)
            .transpose()?,
        weight_device: f
            .blkio_weight_device
            .iter()
            .map(|t| BlkioLimits::parse_weight_device(t))
            .collect::<libpod::Result<_>>()?,
    })
}

/// `--pid`, `--ipc`, `--device`, `--sysctl`, … as the engine takes them.
fn isolation(f: &CreateFlags) -> Result<IsolationConfig> {
    let ns = |flag: &str, v: &Option<String>| -> libpod::Result<NamespaceMode> {
        v.as_deref()
            .map(|t| NamespaceMode::parse(flag, t))
            .unwrap_or(Ok(NamespaceMode::Private))
    };
    Ok(IsolationConfig {
        pid: ns("pid", &f.pid)?,
        ipc: ns("ipc", &f.ipc)?,
        uts: ns("uts", &f.uts)?,
        cgroupns: ns("cgroupns", &f.cgroupns)?,
        cgroupns_explicit: f.cgroupns.as_deref() == Some("private"),
        devices: f
            .device
            .iter()
            .map(|d| DeviceSpec::parse(d))
            .collect::<libpod::Result<_>>()?,
        device_cgroup_rules: f
            .device_cgroup_rule
            .iter()
            .map(|r| CgroupRule::parse(r))
            .collect::<libpod::Result<_>>()?,
        blkio: blkio_limits(&f.limits)?,
        sysctls: f
            .sysctl
            .iter()
            .map(|s| parse_sysctl(s))
            .collect::<libpod::Result<_>>()?,
        group_add: f.group_add.clone(),
        oom_score_adj: f.oom_score_adj,
        read_only_tmpfs: f.read_only_tmpfs,
        cgroup_parent: f.cgroup_parent.clone(),
        cgroups: f.cgroups.clone(),
    })
}

/// The network flags as the engine takes them (containers and pods).
pub fn net_request(n: &crate::cli::network::NetFlags) -> libpod::NetworkRequest {
    libpod::NetworkRequest {
        networks: n.network.clone(),
        ip: n.ip.clone(),
        ip6: n.ip6.clone(),
        network_options: Default::default(),
        ports: Vec::new(),
        // Podman's command line has no links (Docker's API has).
        links: Vec::new(),
        mac: n.mac_address.clone(),
        aliases: n.network_alias.clone(),
        publish: n.publish.clone(),
        publish_all: n.publish_all,
        expose: n.expose.clone(),
        dns: n.dns.clone(),
        dns_search: n.dns_search.clone(),
        dns_options: n.dns_option.clone(),
        add_hosts: n.add_host.clone(),
    }
}

fn check_cidfile(f: &CreateFlags) -> Result<()> {
    if let Some(p) = &f.cidfile {
        if p.exists() {
            bail!(
                "container id file {} exists: remove it or choose another file",
                p.display()
            );
        }
    }
    Ok(())
}

fn write_cidfile(f: &CreateFlags, ctr: &Container<'_>) -> Result<()> {
    if let Some(p) = &f.cidfile {
        std::fs::write(p, ctr.id())
            .with_context(|| format!("writing container id file {}", p.display()))?;
    }
    Ok(())
}

/// This process's command line as the container's create command.
fn create_command(f: &CreateFlags) -> Option<libpod::systemd::CreateCommand> {
    let args: Vec<String> = std::env::args().collect();
    let image_index = args.len().checked_sub(f.image_and_command.len())?;
    (!f.image_and_command.is_empty())
        .then_some(libpod::systemd::CreateCommand { args, image_index })
}

/// `create`.
pub fn create(rt: &Runtime, args: CreateArgs) -> Result<u8> {
    check_cidfile(&args.flags)?;
    let mut opts = create_options(&args.flags)?;
    opts.create_command = create_command(&args.flags);
    opts.init_container = args.init_ctr.as_deref().map(str::parse).transpose()?;
    let ctr = rt.create_container(opts)?;
    write_cidfile(&args.flags, &ctr)?;
    println!("{}", ctr.id());
    Ok(0)
}

/// `run`.
pub fn run(rt: &Runtime, mut args: RunArgs) -> Result<u8> {
    check_cidfile(&args.flags)?;
    if args.rmi {
        args.flags.rm = true;
    }
    let mut opts = create_options(&args.flags)?;
    opts.create_command = create_command(&args.flags);
    let detach_keys = parse_detach_keys(&args.detach_keys)?;
    let mut ctr = rt.create_container(opts)?;
    write_cidfile(&args.flags, &ctr)?;
    if args.detach {
        if let Err(e) = ctr.start() {
            remove_after_failure(&mut ctr, args.flags.rm);
            return Err(e.into());
        }
        println!("{}", ctr.id());
        return Ok(0);
    }
    let proxy = args.flags.sig_proxy;
    let code = match start_attached(&mut ctr, args.flags.interactive, detach_keys, proxy) {
        Ok(c) => c,
        Err(e) => {
            remove_after_failure(&mut ctr, args.flags.rm);
            return Err(e);
        }
    };
    if args.rmi {
        // As Podman: the name given goes (the image with its last name),
        // unless another container uses the image.
        if let Some(image) = ctr.config().image_name.clone() {
            match rt.remove_image(&image, false) {
                Ok(_) => {}
                Err(e) if e.is_in_use() => {}
                Err(e) => libpod::diagnostics::warn(format_args!(
                    "rpod: warning: removing image {image}: {e}"
                )),
            }
        }
    }
    Ok(code)
}

/// A `--rm` container that failed to start is removed, as Podman does.
fn remove_after_failure(ctr: &mut Container<'_>, rm: bool) {
    if rm {
        let _ = ctr.remove(true, Some(0));
    }
}

/// Initialises (if needed), attaches, starts, copies I/O until exit or
/// detach, and returns the exit code to report (0 when detached).
pub fn start_attached(
    ctr: &mut Container<'_>,
    stdin: bool,
    detach_keys: Vec<u8>,
    sig_proxy: bool,
) -> Result<u8> {
    if ctr.status() != libpod::ContainerStatus::Created {
        ctr.init_with_dependencies()?;
    }
    let client = ctr.attach_client()?;
    // This command cleans up after the exit itself; rpod-monitor's exit
    // command only runs if it goes away first.
    let claim = ctr.claim_cleanup()?;
    let tty = ctr.config().tty;
    let raw = if tty && stdin && stdin_is_tty() {
        RawMode::enable()
    } else {
        None
    };
    ctr.start()?;
    if sig_proxy {
        crate::signals::proxy_to(ctr.state().pid).context("passing signals on to the container")?;
    }
    let streams = AttachStreams {
        stdin: stdin && ctr.config().interactive,
        tty: raw.is_some(),
        detach_keys,
    };
    let outcome = pump(&client, &streams, window_size);
    drop(raw);
    match outcome? {
        AttachOutcome::Detached => {
            eprintln!();
            Ok(0)
        }
        AttachOutcome::Exited => {
            let code = finish(ctr)?;
            if let Some(claim) = claim {
                claim.finished();
            }
            Ok(code)
        }
    }
}

/// After the output ended: the exit code, clean-up (as Podman's `run`
/// does, so the container is `exited` when the command returns), and
/// `--rm` removal.
fn finish(ctr: &mut Container<'_>) -> Result<u8> {
    let code = ctr.wait(&[])?;
    match ctr.cleanup(false) {
        Ok(_) | Err(libpod::Error::NoSuchContainer(_)) => {}
        Err(e) => return Err(e.into()),
    }
    if ctr.config().auto_remove {
        match ctr.remove_with_volumes(false, None, true) {
            Ok(_) | Err(libpod::Error::NoSuchContainer(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let _ = std::fs::remove_file(ctr.exit_file());
    }
    Ok(exit_code_byte(code))
}

/// A container exit code as a process exit code (-1, unknown, becomes 255).
pub fn exit_code_byte(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(255)
}

/// `--umask`: an octal mask of at most four digits.
fn parse_umask(text: &str) -> libpod::Result<u32> {
    match u32::from_str_radix(text, 8) {
        Ok(m) if m <= 0o7777 && text.len() <= 4 => Ok(m),
        _ => Err(libpod::Error::InvalidArgument(format!(
            "invalid umask string {text}: invalid argument"
        ))),
    }
}

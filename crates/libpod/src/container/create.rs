//! Creating a container: resolving the request against the image and the
//! engine defaults, then recording it (database first, then storage, undone
//! on failure so nothing half-made remains).

use std::collections::BTreeMap;

use chrono::Utc;

use std::time::Duration;

use super::options::{parse_size, CreateOptions, HealthOptions, Ulimit};
use super::policy::{parse_duration, HealthConfig, HealthOnFailure, RestartPolicyName};
use super::{Container, ContainerConfig, ContainerState};
use crate::error::{Error, IoContext, Result};
use crate::ids::{new_id, random_name, validate_name};
use crate::runtime::Runtime;

/// What an image contributes to a new container.
#[derive(Default)]
struct ImageDefaults {
    /// The image's name as `ps` shows it (its first name, normalised).
    name: String,
    id: Option<String>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    env: Vec<String>,
    workdir: Option<String>,
    user: Option<String>,
    labels: BTreeMap<String, String>,
    stop_signal: Option<String>,
    health: Option<HealthConfig>,
    /// The image's VOLUMEs.
    volumes: Vec<String>,
}

impl Runtime {
    /// Creates a container (state `configured`) and its writable layer.
    pub fn create_container(&self, opts: CreateOptions) -> Result<Container<'_>> {
        let generated_name = opts.name.is_none();
        if let Some(name) = opts.name.as_deref().filter(|_| opts.replace) {
            // `--replace`: the old container goes first, as with `rm -f`.
            match self.container(name) {
                Ok(mut old) if old.name() == name => match old.remove(true, None) {
                    // Gone meanwhile (its own `--rm` clean-up): nothing to replace.
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                    Ok(_) => {}
                },
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        // An `auto` range is picked and recorded under one lock.
        let _userns_guard = if opts.userns.is_auto() {
            Some(self.userns_lock()?)
        } else {
            None
        };
        let mut config = self.resolve_config(opts)?;
        let state = ContainerState::default();
        let mut attempts = 0;
        loop {
            match self.db.add_container(&config, &state) {
                // Another process took the generated name since we checked: pick another.
                Err(Error::NameInUse(_)) if generated_name && attempts < 16 => {
                    attempts += 1;
                    config.name = random_name(|n| self.db.name_exists(n))?;
                }
                other => break other?,
            }
        }
        let ctr = Container {
            rt: self,
            config,
            state,
        };
        crate::fault::point("create.recorded");
        if let Err(e) = ctr.prepare_files() {
            ctr.discard_files();
            ctr.discard_new_volumes();
            let _ = self.db.remove_container(ctr.id());
            return Err(e);
        }
        crate::fault::point("create.prepared");
        ctr.event("create");
        Ok(ctr)
    }

    fn resolve_config(&self, mut opts: CreateOptions) -> Result<ContainerConfig> {
        let name = match &opts.name {
            Some(n) => {
                validate_name(n)?;
                if self.db.name_exists(n)? {
                    return Err(Error::NameInUse(n.clone()));
                }
                n.clone()
            }
            None => random_name(|n| self.db.name_exists(n))?,
        };
        let image = match (&opts.image, &opts.rootfs) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(
                    "--rootfs and an image are mutually exclusive".into(),
                ))
            }
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "an image or --rootfs is required".into(),
                ))
            }
            (Some(reference), None) => self.image_defaults(reference, &opts)?,
            (None, Some(rootfs)) => {
                if !rootfs.is_dir() {
                    return Err(Error::InvalidArgument(format!(
                        "--rootfs {}: not a directory",
                        rootfs.display()
                    )));
                }
                ImageDefaults::default()
            }
        };
        let (entrypoint, cmd) = match opts.entrypoint {
            Some(ep) => (ep, opts.command.clone()),
            None if !opts.command.is_empty() => (image.entrypoint.clone(), opts.command.clone()),
            None => (image.entrypoint.clone(), image.cmd.clone()),
        };
        if entrypoint.is_empty() && cmd.is_empty() {
            return Err(Error::InvalidArgument(
                "no command or entrypoint provided, and no CMD or ENTRYPOINT from image".into(),
            ));
        }
        // The built-in PATH and TERM stay unless the configuration's `env`
        // sets them too, as in Podman.
        let base = merge_env(
            &crate::config::ContainersSection::default().env,
            &self.config.containers.env,
        );
        let mut env = merge_env(&base, &image.env);
        if opts.tty {
            env = merge_env(&env, &["TERM=xterm".to_string()]);
        }
        env = merge_env(&env, &["container=rpod".to_string()]);
        // `--unsetenv`, `--unsetenv-all`: out of the defaults and the image's,
        // never out of what the user sets.
        if opts.unset_env_all {
            env.clear();
        }
        env.retain(|e| {
            !opts
                .unset_env
                .iter()
                .any(|k| e.split('=').next() == Some(k))
        });
        // As Podman: only variables the image or the defaults set are merged.
        let merged: Vec<String> = opts
            .env_merge
            .iter()
            .filter(|m| {
                let key = m.split('=').next();
                env.iter().any(|e| e.split('=').next() == key)
            })
            .map(|m| expand_env(m, &env))
            .collect();
        env = merge_env(&env, &merged);
        env = merge_env(&env, &opts.env);
        // As Podman: HOSTNAME at creation only for a hostname given; both
        // it and HOME are filled in at init otherwise.
        if let Some(h) = &opts.hostname {
            if !env.iter().any(|e| e.starts_with("HOSTNAME=")) {
                env.push(format!("HOSTNAME={h}"));
            }
        }
        let stop_signal_text = opts
            .stop_signal
            .clone()
            .or(image.stop_signal.clone())
            .unwrap_or_else(|| "SIGTERM".into());
        let stop_signal = ocirt::spec::parse_signal(&stop_signal_text)
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let ulimits = self.resolve_ulimits(&opts.ulimits)?;
        let normalize = |c: &String| {
            ocirt::spec::normalize_capability(c).map_err(|e| Error::InvalidArgument(e.to_string()))
        };
        let dropped = opts
            .cap_drop
            .iter()
            .map(normalize)
            .collect::<Result<Vec<_>>>()?;
        for c in &opts.cap_add {
            let cap = normalize(c)?;
            if cap != "ALL" && dropped.contains(&cap) {
                return Err(Error::InvalidArgument(format!(
                    "capability \"CAP_{cap}\" cannot be dropped and added"
                )));
            }
        }
        let log_driver = opts
            .log_driver
            .clone()
            .unwrap_or_else(|| self.config.containers.log_driver.clone());
        if !matches!(log_driver.as_str(), "k8s-file" | "json-file" | "none") {
            return Err(Error::InvalidArgument(format!(
                "unknown log driver {log_driver:?} (supported: k8s-file, json-file, none)"
            )));
        }
        let configured_max = self.config.containers.log_size_max;
        let log_max_size = opts
            .log_max_size
            .or((configured_max > 0).then_some(configured_max as u64));
        opts.resources.default_swap();
        opts.resources.validate()?;
        let init_path = opts
            .init_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| self.config.containers.init_path.clone());
        if opts.init && !std::path::Path::new(&init_path).is_file() {
            return Err(Error::InvalidArgument(format!(
                "--init: init binary {} not found (install catatonit or set containers.init_path)",
                init_path
            )));
        }
        let restart_policy = opts.restart_policy.unwrap_or_default();
        if opts.auto_remove && restart_policy.name != RestartPolicyName::No {
            return Err(Error::InvalidArgument(
                "the --rm option conflicts with --restart, unless the policy is \"no\"".into(),
            ));
        }
        let mut dependencies = opts
            .requires
            .iter()
            .map(|name| self.db.resolve(name))
            .collect::<Result<Vec<_>>>()?;
        let health = resolve_health(&opts.health, image.health.clone())?;
        if opts.init_container.is_some() && opts.pod.is_none() {
            // Podman's words.
            return Err(Error::InvalidArgument(
                "must specify pod value with init-ctr".into(),
            ));
        }
        let pod = match &opts.pod {
            Some(p) => Some(self.pod_for_new_container(p)?),
            None => None,
        };
        let (mut network, mut net) =
            self.resolve_network(&opts.network, &opts.net, opts.image.as_deref())?;
        let mut hostname = opts.hostname.clone();
        if let Some(pod) = &pod {
            if let Some(infra) = &pod.infra_id {
                dependencies.push(infra.clone());
                if pod.shares("net") {
                    if !opts.net.networks.is_empty() || !opts.net.publish.is_empty() {
                        return Err(Error::InvalidArgument(format!(
                            "pod {} shares its network namespace: set networks and ports on the pod, not the container",
                            pod.name
                        )));
                    }
                    network = network::NetworkMode::Container(infra.clone());
                    net = Default::default();
                }
                if pod.shares("uts") {
                    if hostname.is_some() {
                        return Err(Error::InvalidArgument(format!(
                            "pod {} shares its UTS namespace: set the hostname on the pod",
                            pod.name
                        )));
                    }
                    hostname = Some(pod.hostname.clone());
                }
            }
        }
        let mut isolation = opts.isolation;
        if let Some(pod) = &pod {
            if isolation.cgroup_parent.is_none() {
                isolation.cgroup_parent = pod.cgroup_path.clone();
            }
            for d in &pod.devices {
                if !isolation
                    .devices
                    .iter()
                    .any(|x| x.container_path == d.container_path)
                {
                    isolation.devices.push(d.clone());
                }
            }
        }
        isolation.validate(network == network::NetworkMode::Host)?;
        isolation.blkio.check_weight()?;
        for mode in [
            &mut isolation.pid,
            &mut isolation.ipc,
            &mut isolation.uts,
            &mut isolation.cgroupns,
        ] {
            if let super::isolation::NamespaceMode::Container(name) = mode {
                let id = self.db.resolve(name)?;
                if !dependencies.contains(&id) {
                    dependencies.push(id.clone());
                }
                *name = id;
            }
        }
        if isolation.uts == super::isolation::NamespaceMode::Host {
            if hostname.is_some() {
                return Err(Error::InvalidArgument(
                    "cannot set hostname when running in the host UTS namespace".into(),
                ));
            }
            hostname = Some(
                nix::unistd::gethostname()
                    .map(|h| h.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
        let mut userns_opts = opts.userns.clone();
        if let Some(pod) = pod.as_ref().filter(|p| p.userns) {
            // A pod with a user namespace: its containers join the infra's.
            let unset = userns_opts.mode.is_none()
                && userns_opts.uid_maps.is_empty()
                && userns_opts.gid_maps.is_empty()
                && userns_opts.subuidname.is_none()
                && userns_opts.subgidname.is_none();
            if unset {
                if let Some(infra) = &pod.infra_id {
                    userns_opts.mode = Some(super::userns::UsernsMode::Container(infra.clone()));
                }
            }
        }
        let userns = self.resolve_userns(&userns_opts, image.id.as_deref(), &mut dependencies)?;
        // A pod's volumes (`pod create -v`) reach each of its containers, where the
        // container has no mount of its own at the same place.
        let mut wanted = opts.mounts;
        for m in pod.iter().flat_map(|p| p.mounts.iter()) {
            let dest = m.destination.trim_end_matches('/');
            if !wanted
                .iter()
                .any(|x| x.destination.trim_end_matches('/') == dest)
            {
                let mut m = m.clone();
                m.anonymous = false;
                wanted.push(m);
            }
        }
        let mounts = self.resolve_mounts(
            wanted,
            &image.volumes,
            opts.image_volume,
            &opts.volumes_from,
        )?;
        let secrets = self.resolve_secrets(&opts.secrets)?;
        let id = new_id()?;
        let security = super::security::SecurityConfig::resolve(
            &opts.security_opts,
            opts.seccomp_policy.as_deref(),
            image
                .labels
                .get(super::security::IMAGE_SECCOMP_LABEL)
                .map(String::as_str),
            self.config.containers.no_new_privileges,
        )?;
        let mut resources = opts.resources;
        if let Some(why) = crate::rootless::cgroups_unavailable() {
            // Refused rather than dropped: a limit that is not in force
            // must not look as if it were.
            if resources != Default::default() || !isolation.blkio.is_empty() {
                return Err(Error::Unsupported(format!(
                    "{why}: drop --memory, --cpus, --pids-limit and the other limits"
                )));
            }
        } else if resources.pids_limit.is_none() && self.config.containers.pids_limit > 0 {
            resources.pids_limit = Some(self.config.containers.pids_limit);
        }
        let mut labels = image.labels;
        labels.extend(opts.labels);
        Ok(ContainerConfig {
            hostname: hostname.unwrap_or_else(|| id[..12].to_string()),
            id,
            name,
            created_at: Utc::now(),
            image_id: image.id,
            image_name: opts.image.map(|_| image.name.clone()),
            rootfs: opts.rootfs,
            entrypoint,
            cmd,
            env,
            umask: opts.umask,
            pidfile: opts.pidfile.clone(),
            conmon_pidfile: opts.conmon_pidfile.clone(),
            no_hosts: opts.no_hosts || pod.as_ref().is_some_and(|p| p.no_hosts),
            timeout: opts.timeout.filter(|t| *t > 0),
            timezone: opts
                .timezone
                .map(|tz| timezone_file(&tz).map(|_| tz))
                .transpose()?,
            passwd: opts.passwd,
            init_path: opts.init_path.clone(),
            personality: opts
                .personality
                .as_deref()
                .map(|p| match p.to_ascii_uppercase().as_str() {
                    "LINUX" => Ok("LINUX".to_string()),
                    "LINUX32" => Ok("LINUX32".to_string()),
                    _ => Err(Error::InvalidArgument(format!(
                        "invalid --personality {p:?}: the execution domain is LINUX or LINUX32"
                    ))),
                })
                .transpose()?,
            workdir: opts.workdir.or(image.workdir).unwrap_or_else(|| "/".into()),
            // keep-id runs as the user unless told otherwise, as Podman does.
            user: opts
                .user
                .or_else(|| match &userns.mode {
                    super::userns::UsernsMode::KeepId { uid, gid } => {
                        let (u, g) = crate::rootless::host_ids().unwrap_or((0, 0));
                        Some(format!("{}:{}", uid.unwrap_or(u), gid.unwrap_or(g)))
                    }
                    _ => None,
                })
                .or(image.user)
                .unwrap_or_default(),
            labels,
            annotations: opts.annotations,
            stop_signal,
            stop_timeout: opts.stop_timeout.unwrap_or(self.config.engine.stop_timeout),
            read_only: opts.read_only,
            privileged: opts.privileged,
            cap_add: opts.cap_add,
            cap_drop: opts.cap_drop,
            security,
            isolation,
            ulimits,
            resources,
            shm_size: match (opts.shm_size, pod.as_ref().and_then(|p| p.shm_size)) {
                (Some(s), _) | (None, Some(s)) => s,
                (None, None) => parse_size(&self.config.containers.shm_size)?,
            },
            init: opts.init,
            mounts,
            network,
            net,
            tty: opts.tty,
            interactive: opts.interactive,
            stdin_once: opts.stdin_once,
            log_driver,
            log_path: None,
            log_max_size,
            auto_remove: opts.auto_remove,
            restart_policy,
            dependencies,
            health,
            pod: pod.map(|p| p.id),
            is_infra: false,
            init_container: opts.init_container,
            secrets,
            userns,
            sdnotify: opts.sdnotify,
            create_command: opts.create_command,
        })
    }

    /// containers.conf's `default_ulimits` overridden by `--ulimit`. A
    /// default above the engine's own hard limit is lowered to it with a
    /// warning (a default must never fail a run); an explicit one is an error.
    fn resolve_ulimits(&self, explicit: &[Ulimit]) -> Result<Vec<Ulimit>> {
        let own_hard = |u: &Ulimit| -> Result<u64> {
            let typ = ocirt::spec::parse_rlimit_type(&u.name)
                .map_err(|e| Error::InvalidArgument(e.to_string()))?;
            Ok(ocirt::spec::own_limit(typ).map_or(u64::MAX, |(_, hard)| hard))
        };
        let mut ulimits = Vec::new();
        for text in &self.config.containers.default_ulimits {
            let mut u = Ulimit::parse(text)?;
            let cap = own_hard(&u)?;
            if u.hard > cap {
                crate::diagnostics::warn(format!(
                    "rpod: warning: containers.default_ulimits {text:?} is above this process's hard limit {cap}: using {cap}"
                ));
                u.hard = cap;
                u.soft = u.soft.min(cap);
            }
            ulimits.push(u);
        }
        for u in explicit {
            let cap = own_hard(u)?;
            if u.hard > cap {
                return Err(Error::InvalidArgument(format!(
                    "invalid --ulimit {}={}:{}: the hard limit is above this process's own hard limit {cap}",
                    u.name,
                    show_limit(u.soft),
                    show_limit(u.hard)
                )));
            }
            ulimits.retain(|x: &Ulimit| x.name != u.name);
            ulimits.push(u.clone());
        }
        Ok(ulimits)
    }

    fn image_defaults(&self, reference: &str, opts: &CreateOptions) -> Result<ImageDefaults> {
        // --pull: fetch the image first when the policy says so (no progress output here).
        self.pull_for_create(reference, opts.pull, &opts.registry)?;
        let store = self.store()?;
        let image = store.lookup_image(reference).map_err(|e| match e {
            storage::Error::ImageNotFound(_) => Error::NoSuchImage(reference.to_string()),
            other => Error::Storage(other),
        })?;
        let cfg = store.image_config(&image)?;
        let c = cfg.config().clone().unwrap_or_default();
        Ok(ImageDefaults {
            // The image's name that the reference names (an image may have
            // several), else its first.
            name: storage::normalize_name(reference)
                .ok()
                .filter(|n| image.names.contains(n))
                .or_else(|| {
                    image
                        .names
                        .iter()
                        .find(|n| {
                            n.ends_with(&format!("/{reference}"))
                                || n.ends_with(&format!("/{reference}:latest"))
                        })
                        .cloned()
                })
                .or_else(|| image.names.first().cloned())
                .unwrap_or_else(|| reference.to_string()),
            id: Some(image.id.clone()),
            entrypoint: c.entrypoint().clone().unwrap_or_default(),
            cmd: c.cmd().clone().unwrap_or_default(),
            env: c.env().clone().unwrap_or_default(),
            workdir: c.working_dir().clone().filter(|w| !w.is_empty()),
            user: c.user().clone().filter(|u| !u.is_empty()),
            labels: c.labels().clone().unwrap_or_default().into_iter().collect(),
            stop_signal: c.stop_signal().clone().filter(|s| !s.is_empty()),
            health: image_healthcheck(&store.image_config_blob(&image)?),
            volumes: {
                let mut v = c.volumes().clone().unwrap_or_default();
                v.sort();
                v
            },
        })
    }
}

impl Container<'_> {
    /// Makes the container's directories and writable layer.
    fn prepare_files(&self) -> Result<()> {
        let artifacts = self.artifacts_dir();
        std::fs::create_dir_all(&artifacts).ctx(|| format!("creating {}", artifacts.display()))?;
        self.create_volumes()?;
        self.copy_secrets()?;
        if self.config.image_id.is_some() {
            self.rt
                .store()?
                .create_container(self.id(), self.config.image_id.as_deref())?;
        }
        Ok(())
    }

    /// Removes whatever [`Self::prepare_files`] and later operations made,
    /// except the exit file: a foreground `run --rm` may still need to read
    /// the exit code of a container the monitor's exit command removed
    /// (the run root is emptied at boot, so it cannot pile up for long).
    pub(crate) fn discard_files(&self) {
        if self.config.image_id.is_some() {
            if let Ok(store) = self.rt.store() {
                let _ = store.remove_container(self.id());
            }
        }
        if let Some(dir) = self.bundle().parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
        self.unmount_host_shm();
        let _ = std::fs::remove_dir_all(self.rundir());
        let _ = std::fs::remove_file(self.rt.paths.container_lock(self.id()));
    }

    /// After a failed create: the anonymous volumes made for it go too.
    fn discard_new_volumes(&self) {
        for name in self.anonymous_volumes() {
            let _ = self.rt.remove_volume(&name, false);
        }
    }
}

/// The image's HEALTHCHECK (Docker's config extension), read from the raw
/// config since the OCI types do not carry it.
fn image_healthcheck(config_blob: &[u8]) -> Option<HealthConfig> {
    let v: serde_json::Value = serde_json::from_slice(config_blob).ok()?;
    let hc = v.get("config")?.get("Healthcheck")?;
    let test: Vec<String> = serde_json::from_value(hc.get("Test")?.clone()).ok()?;
    if test.is_empty() || test[0] == "NONE" {
        return None;
    }
    let nanos = |k: &str| {
        hc.get(k)
            .and_then(|x| x.as_u64())
            .filter(|n| *n > 0)
            .map(Duration::from_nanos)
    };
    Some(HealthConfig {
        test,
        interval: nanos("Interval").unwrap_or(HealthConfig::DEFAULT_INTERVAL),
        timeout: nanos("Timeout").unwrap_or(HealthConfig::DEFAULT_TIMEOUT),
        retries: hc
            .get("Retries")
            .and_then(|x| x.as_u64())
            .filter(|n| *n > 0)
            .map_or(HealthConfig::DEFAULT_RETRIES, |n| n as u32),
        start_period: nanos("StartPeriod").unwrap_or(Duration::ZERO),
        on_failure: HealthOnFailure::None,
    })
}

/// The health check from the flags over the image's.
fn resolve_health(
    opts: &HealthOptions,
    image: Option<HealthConfig>,
) -> Result<Option<HealthConfig>> {
    if opts.disabled || opts.interval.as_deref() == Some("disable") {
        return Ok(None);
    }
    let mut hc = match (&opts.cmd, image) {
        (Some(cmd), _) if cmd.is_empty() || cmd == "none" => return Ok(None),
        (Some(cmd), _) => HealthConfig {
            test: HealthConfig::test_from_flag(cmd),
            interval: HealthConfig::DEFAULT_INTERVAL,
            timeout: HealthConfig::DEFAULT_TIMEOUT,
            retries: HealthConfig::DEFAULT_RETRIES,
            start_period: Duration::ZERO,
            on_failure: HealthOnFailure::None,
        },
        (None, Some(image)) => image,
        (None, None) => {
            if opts.interval.is_some()
                || opts.timeout.is_some()
                || opts.retries.is_some()
                || opts.start_period.is_some()
            {
                return Err(Error::InvalidArgument(
                    "--health-* options need a health check: give --health-cmd or use an image with HEALTHCHECK".into(),
                ));
            }
            return Ok(None);
        }
    };
    if let Some(i) = &opts.interval {
        hc.interval = parse_duration(i)?;
        if hc.interval < Duration::from_millis(100) {
            return Err(Error::InvalidArgument(format!(
                "--health-interval {i:?} is too short (minimum 100ms)"
            )));
        }
    }
    if let Some(t) = &opts.timeout {
        hc.timeout = parse_duration(t)?;
        if hc.timeout.is_zero() {
            return Err(Error::InvalidArgument(
                "--health-timeout must be above 0".into(),
            ));
        }
    }
    if let Some(r) = opts.retries {
        hc.retries = r.max(1);
    }
    if let Some(s) = &opts.start_period {
        hc.start_period = parse_duration(s)?;
    }
    if let Some(f) = &opts.on_failure {
        hc.on_failure = f.parse()?;
    }
    Ok(Some(hc))
}

/// `--env-merge`: `$NAME` and `${NAME}` in `text` replaced by their values
/// in `env` (empty when unset).
pub(crate) fn expand_env(text: &str, env: &[String]) -> String {
    let lookup = |name: &str| {
        env.iter()
            .find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or_default()
            .to_string()
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            match body.find('}') {
                Some(end) => {
                    out.push_str(&lookup(&body[..end]));
                    rest = &body[end + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if end == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..end]));
            }
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Merges `KEY=VALUE` lists: later lists override earlier keys, order kept.
/// Podman's defaults added at init, when the root file system is at hand:
/// `HOME` from the passwd entry of the container's user (`/` without one)
/// and `HOSTNAME`, each unless already set. Returns the new environment, or
/// `None` when nothing changes.
pub(crate) fn init_env_defaults(
    env: &[String],
    rootfs: &std::path::Path,
    user: &str,
    hostname: &str,
) -> Option<Vec<String>> {
    let has = |k: &str| env.iter().any(|e| e.split('=').next() == Some(k));
    let mut out = env.to_vec();
    if !has("HOME") {
        let name = user.split(':').next().unwrap_or_default();
        let passwd =
            crate::parse::passwd::parse_passwd(&super::spec::read_in_rootfs(rootfs, "etc/passwd"));
        let entry = match name.parse::<u32>() {
            _ if name.is_empty() => passwd.iter().find(|e| e.uid == 0),
            Ok(uid) => passwd.iter().find(|e| e.uid == uid),
            Err(_) => passwd.iter().find(|e| e.name == name),
        };
        let home = entry
            .map(|e| e.home.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "/".into());
        out.push(format!("HOME={home}"));
    }
    if !has("HOSTNAME") && !hostname.is_empty() {
        out.push(format!("HOSTNAME={hostname}"));
    }
    (out.len() != env.len()).then_some(out)
}

pub(crate) fn merge_env(base: &[String], overrides: &[String]) -> Vec<String> {
    let mut out: Vec<String> = base.to_vec();
    for kv in overrides {
        let key = kv.split('=').next().unwrap_or(kv);
        if let Some(slot) = out.iter_mut().find(|e| e.split('=').next() == Some(key)) {
            *slot = kv.clone();
        } else {
            out.push(kv.clone());
        }
    }
    out
}

/// A limit as `--ulimit` spells it (`-1` for unlimited).
fn show_limit(v: u64) -> String {
    if v == u64::MAX {
        "-1".into()
    } else {
        v.to_string()
    }
}

/// The host file behind `--tz`: `/etc/localtime` for `local`, else the
/// zone's file under `/usr/share/zoneinfo` (which must exist; a name that
/// climbs out of it is refused).
pub(crate) fn timezone_file(tz: &str) -> Result<std::path::PathBuf> {
    let path = if tz == "local" {
        std::path::PathBuf::from("/etc/localtime")
    } else {
        if tz.is_empty() || tz.starts_with('/') || tz.split('/').any(|p| p == "..") {
            return Err(Error::InvalidArgument(format!(
                "invalid timezone {tz:?}: a zone name such as Europe/Berlin, or local"
            )));
        }
        std::path::Path::new("/usr/share/zoneinfo").join(tz)
    };
    if !path.is_file() {
        return Err(Error::InvalidArgument(format!(
            "running container create option: stat {}: no such file or directory",
            path.display()
        )));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_healthchecks_are_read_from_the_raw_config() {
        let blob = br#"{"config":{"Healthcheck":{"Test":["CMD-SHELL","curl x"],"Interval":2000000000,"Retries":5}}}"#;
        let hc = image_healthcheck(blob).unwrap();
        assert_eq!(hc.test, vec!["CMD-SHELL", "curl x"]);
        assert_eq!(hc.interval, Duration::from_secs(2));
        assert_eq!(hc.timeout, HealthConfig::DEFAULT_TIMEOUT);
        assert_eq!(hc.retries, 5);
        assert!(image_healthcheck(br#"{"config":{"Healthcheck":{"Test":["NONE"]}}}"#).is_none());
        assert!(image_healthcheck(br#"{"config":{}}"#).is_none());
    }

    #[test]
    fn flags_override_the_image_check() {
        let image = image_healthcheck(br#"{"config":{"Healthcheck":{"Test":["CMD","true"]}}}"#);
        let opts = HealthOptions {
            interval: Some("2s".into()),
            retries: Some(1),
            ..Default::default()
        };
        let hc = resolve_health(&opts, image.clone()).unwrap().unwrap();
        assert_eq!((hc.interval, hc.retries), (Duration::from_secs(2), 1));
        let off = HealthOptions {
            disabled: true,
            ..Default::default()
        };
        assert!(resolve_health(&off, image).unwrap().is_none());
    }

    #[test]
    fn env_merges_by_key() {
        let merged = merge_env(
            &["PATH=/bin".into(), "A=1".into()],
            &["A=2".into(), "B=3".into()],
        );
        assert_eq!(merged, vec!["PATH=/bin", "A=2", "B=3"]);
    }
}

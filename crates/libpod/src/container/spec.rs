//! The runtime spec (`config.json`) of a container: ocirt's shared parts
//! plus everything this container's configuration asks for.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    LinuxBuilder, LinuxCpuBuilder, LinuxDeviceCgroupBuilder, LinuxMemoryBuilder, LinuxPidsBuilder,
    LinuxResourcesBuilder, Mount, MountBuilder, PosixRlimitType, Process, ProcessBuilder,
    RootBuilder, Spec, UserBuilder,
};
use ocirt::spec as base;

use super::options::MountKind;
use super::Container;
use super::ContainerConfig;
use crate::error::{Error, Result};

/// Where `--init`'s binary is mounted inside the container.
const INIT_PATH_IN_CONTAINER: &str = "/run/rpod-init";

impl Container<'_> {
    /// Builds the runtime spec for a root file system at `rootfs`.
    pub(crate) fn build_spec(&self, rootfs: &Path) -> Result<Spec> {
        let c = &self.config;
        let spec_err = |e: oci_spec::OciSpecError| Error::Runtime(ocirt::Error::Spec(e));
        let rt_err = |e: ocirt::Error| Error::InvalidArgument(e.to_string());

        let mut args = c.command();
        if c.init {
            args.splice(0..0, [INIT_PATH_IN_CONTAINER.to_string(), "--".to_string()]);
        }
        let process = self.process_spec(
            rootfs,
            &ProcessParams {
                args,
                env: self.env_with_secrets()?,
                user: c.user.clone(),
                cwd: c.workdir.clone(),
                tty: c.tty,
                privileged: c.privileged,
            },
        )?;

        let mut mounts = base::default_mounts(c.shm_size, !c.privileged).map_err(rt_err)?;
        if !self.has_userns() && !crate::rootless::gid_mapped(5) {
            // A user namespace with only the user in it has no tty group:
            // devpts is mounted without one, as Podman does.
            for m in mounts.iter_mut() {
                if m.destination() == Path::new("/dev/pts") {
                    let options = m.options().clone().unwrap_or_default();
                    m.set_options(Some(options.into_iter().filter(|o| o != "gid=5").collect()));
                }
            }
        }
        if !c.security.proc_opts.is_empty() {
            if let Some(proc_mount) = mounts
                .iter_mut()
                .find(|m| m.destination() == Path::new("/proc"))
            {
                let mut opts = proc_mount.options().clone().unwrap_or_default();
                opts.extend(c.security.proc_opts.iter().cloned());
                proc_mount.set_options(Some(opts));
            }
        }
        match self.shm_source()? {
            None => {}
            Some(source) => {
                mounts.retain(|m| m.destination() != Path::new("/dev/shm"));
                if let Some(source) = source {
                    mounts.push(bind(&source, "/dev/shm", &["rbind", "rprivate"])?);
                }
            }
        }
        let user_dests: Vec<&str> = c.mounts.iter().map(|m| m.destination.as_str()).collect();
        let rundir = self.rundir();
        if c.passwd {
            let (passwd, group) = passwd_additions(rootfs, &c.user);
            for (file, text) in [("passwd", passwd), ("group", group)] {
                let dest = format!("/etc/{file}");
                if let Some(text) = text.filter(|_| !user_dests.contains(&dest.as_str())) {
                    let path = rundir.join(file);
                    crate::fsutil::write_atomic(
                        &path,
                        text.as_bytes(),
                        crate::fsutil::SHARED_FILE,
                    )?;
                    mounts.push(bind(&path, &dest, &["rbind", "rprivate"])?);
                }
            }
        }
        for file in ["hosts", "resolv.conf", "hostname"] {
            let dest = format!("/etc/{file}");
            if file == "hosts" && c.no_hosts {
                continue;
            }
            if !user_dests.contains(&dest.as_str()) {
                mounts.push(bind(&rundir.join(file), &dest, &["rbind", "rprivate"])?);
            }
        }
        if let Some(tz) = &c.timezone {
            if !user_dests.contains(&"/etc/localtime") {
                // A copy in the rundir, as Podman makes: the container never
                // sees (or changes) the host's file.
                let source = super::create::timezone_file(tz)?;
                let copy = rundir.join("localtime");
                std::fs::copy(&source, &copy).map_err(|e| Error::Io {
                    context: format!("copying {} for --tz", source.display()),
                    source: e,
                })?;
                mounts.push(bind(&copy, "/etc/localtime", &["rbind", "rprivate"])?);
            }
        }
        if c.read_only && c.isolation.read_only_tmpfs {
            for dest in ["/tmp", "/var/tmp", "/run"] {
                if !user_dests.contains(&dest) {
                    mounts.push(tmpfs(dest, &["rw", "rprivate", "nosuid", "nodev"])?);
                }
            }
        }
        let containerenv = rundir.join(super::init::CONTAINERENV);
        if !user_dests.contains(&"/run/.containerenv") && containerenv.exists() {
            mounts.push(bind(
                &containerenv,
                "/run/.containerenv",
                &["rbind", "rprivate"],
            )?);
        }
        if c.init {
            let init = c
                .init_path
                .clone()
                .unwrap_or_else(|| PathBuf::from(&self.rt.config.containers.init_path));
            mounts.push(bind(
                &init,
                INIT_PATH_IN_CONTAINER,
                &["bind", "ro", "nosuid", "nodev"],
            )?);
        }
        for m in &c.mounts {
            match m.kind {
                MountKind::Bind | MountKind::Volume => {
                    let source = if m.kind == MountKind::Volume {
                        self.prepare_volume(m, rootfs)?
                    } else {
                        m.source.clone().unwrap_or_default()
                    };
                    if m.options.iter().any(|o| o == "U") {
                        // `:U`: the source belongs to the container's user.
                        let (uid, gid) = resolve_user(rootfs, &c.user)?;
                        let (uid, gid) = self.map_ids(uid, gid);
                        chown_tree(&source, uid, gid)?;
                    }
                    if !source.exists() {
                        return Err(Error::InvalidArgument(format!(
                            "bind mount source {} does not exist",
                            source.display()
                        )));
                    }
                    let mut opts: Vec<&str> = vec!["rbind"];
                    opts.extend(m.options.iter().map(String::as_str).filter(|o| {
                        !matches!(*o, "z" | "Z" | "U" | "bind" | "rbind" | "copy" | "nocopy")
                    }));
                    if !opts.iter().any(|o| {
                        o.contains("private") || o.contains("shared") || o.contains("slave")
                    }) {
                        opts.push("rprivate");
                    }
                    mounts.push(bind(&source, &m.destination, &opts)?);
                }
                MountKind::Tmpfs => {
                    let mut opts: Vec<&str> = vec!["rw", "nosuid", "nodev"];
                    opts.extend(m.options.iter().map(String::as_str));
                    mounts.push(tmpfs(&m.destination, &opts)?);
                }
                MountKind::Devpts => {
                    let mut opts: Vec<&str> = vec![
                        "nosuid",
                        "noexec",
                        "newinstance",
                        "ptmxmode=0666",
                        "mode=0620",
                    ];
                    opts.extend(m.options.iter().map(String::as_str));
                    mounts.push(
                        MountBuilder::default()
                            .destination(PathBuf::from(&m.destination))
                            .typ("devpts")
                            .source(PathBuf::from("devpts"))
                            .options(opts.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                            .build()
                            .map_err(spec_err)?,
                    );
                }
            }
        }
        mounts.extend(self.secret_spec_mounts()?);

        let (devices, device_rules) = self.device_spec()?;
        let mut cgroup_devices = if c.privileged {
            vec![LinuxDeviceCgroupBuilder::default()
                .allow(true)
                .access("rwm")
                .build()
                .map_err(spec_err)?]
        } else {
            base::deny_all_devices().map_err(rt_err)?
        };
        cgroup_devices.extend(device_rules);
        let mut resources = LinuxResourcesBuilder::default().devices(cgroup_devices);
        resources = with_limits(resources, &c.resources)?;
        if let Some(blkio) = self.blkio_spec()? {
            resources = resources.block_io(blkio);
        }
        let (mut joined, host, private_cgroup) = self.isolation_namespaces()?;
        for (typ, path) in self.pod_namespaces()? {
            if !joined.iter().any(|(t, _)| *t == typ) && !host.contains(&typ) {
                joined.push((typ, path));
            }
        }
        let userns_path = self.userns_path()?;
        if let Some(path) = &userns_path {
            joined.push((oci_spec::runtime::LinuxNamespaceType::User, path.clone()));
        }
        let plan = base::NamespacePlan {
            host_network: self.uses_host_network(),
            network_path: self.netns_for_spec()?,
            joined,
            host,
            private_cgroup,
            private_user: self.has_userns() && userns_path.is_none(),
        };
        let parent = c
            .isolation
            .cgroup_parent
            .as_deref()
            .unwrap_or("/rpod")
            .trim_end_matches('/');
        let mut linux = LinuxBuilder::default()
            .namespaces(base::namespaces(&plan).map_err(rt_err)?)
            .resources(resources.build().map_err(spec_err)?);
        // Without a cgroup of its own (rootless), the runtime leaves the
        // container in the cgroup it was started from.
        if crate::rootless::cgroups_unavailable().is_none() {
            linux = linux.cgroups_path(PathBuf::from(format!("{parent}/rpod-{}", c.id)));
        }
        if !devices.is_empty() {
            linux = linux.devices(devices);
        }
        let maps = if plan.private_user {
            Some(c.userns.maps.clone())
        } else {
            // The runtime wants the maps of a joined namespace too.
            self.userns_maps()?
        };
        if let Some(maps) = maps {
            let to_spec = |map: &[super::userns::IdMapping]| -> Result<Vec<_>> {
                map.iter()
                    .map(|m| {
                        oci_spec::runtime::LinuxIdMappingBuilder::default()
                            .container_id(m.container)
                            .host_id(m.host)
                            .size(m.size)
                            .build()
                            .map_err(spec_err)
                    })
                    .collect()
            };
            linux = linux
                .uid_mappings(to_spec(&maps.uid)?)
                .gid_mappings(to_spec(&maps.gid)?);
        }
        if !c.isolation.sysctls.is_empty() {
            linux = linux.sysctl(
                c.isolation
                    .sysctls
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<HashMap<_, _>>(),
            );
        }
        let (masked, readonly) = masked_and_readonly_paths(c);
        linux = linux.masked_paths(masked).readonly_paths(readonly);
        if !c.privileged {
            let sec = &c.security;
            let caps = base::capability_set(&c.cap_add, &c.cap_drop, false).map_err(rt_err)?;
            if let Some(filter) =
                sec.seccomp_filter(&caps, self.rt.config.containers.seccomp_profile.as_deref())?
            {
                linux = linux.seccomp(filter);
            }
        }
        let mut spec = base::empty_spec();
        spec.set_process(Some(process));
        spec.set_root(Some(
            RootBuilder::default()
                .path(rootfs.to_path_buf())
                .readonly(c.read_only)
                .build()
                .map_err(spec_err)?,
        ));
        if c.isolation.uts != super::isolation::NamespaceMode::Host {
            spec.set_hostname(Some(c.hostname.clone()));
        }
        let rootless = crate::rootless::is_rootless();
        if (self.has_userns() && (plan.host_network || plan.network_path.is_some()))
            || (rootless && plan.host_network)
        {
            // sysfs can only be mounted from the user namespace owning the
            // network namespace; one made outside gets the host's /sys bound.
            let sys_mode = if c.privileged { "rw" } else { "ro" };
            for m in mounts.iter_mut() {
                if m.destination() == Path::new("/sys") {
                    *m = bind(
                        Path::new("/sys"),
                        "/sys",
                        &["rbind", "nosuid", "noexec", "nodev", sys_mode],
                    )?;
                }
            }
        }
        spec.set_mounts(Some(mounts));
        if let Some(p) = &c.personality {
            use oci_spec::runtime::{LinuxPersonalityBuilder, LinuxPersonalityDomain};
            let domain = if p == "LINUX32" {
                LinuxPersonalityDomain::PerLinux32
            } else {
                LinuxPersonalityDomain::PerLinux
            };
            linux = linux.personality(
                LinuxPersonalityBuilder::default()
                    .domain(domain)
                    .build()
                    .map_err(spec_err)?,
            );
        }
        spec.set_linux(Some(linux.build().map_err(spec_err)?));
        spec.set_annotations(Some(
            c.annotations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<HashMap<_, _>>(),
        ));
        Ok(spec)
    }
}

/// Adds the memory, CPU and pids limits that are set in `limits`.
pub(crate) fn with_limits(
    mut resources: LinuxResourcesBuilder,
    limits: &super::options::Resources,
) -> Result<LinuxResourcesBuilder> {
    let spec_err = |e: oci_spec::OciSpecError| Error::Runtime(ocirt::Error::Spec(e));
    if limits.has_memory() {
        let mut m = LinuxMemoryBuilder::default();
        if let Some(mem) = limits.memory {
            m = m.limit(mem as i64);
        }
        if let Some(r) = limits.memory_reservation {
            m = m.reservation(r as i64);
        }
        if let Some(s) = limits.memory_swap {
            m = m.swap(s);
        }
        if let Some(s) = limits.memory_swappiness {
            m = m.swappiness(s);
        }
        if limits.oom_kill_disable {
            m = m.disable_oom_killer(true);
        }
        resources = resources.memory(m.build().map_err(spec_err)?);
    }
    if limits.has_cpu() {
        let mut c = LinuxCpuBuilder::default();
        if let Some(cpus) = limits.cpus {
            let period = 100_000u64;
            c = c.period(period).quota((cpus * period as f64) as i64);
        }
        if let Some(p) = limits.cpu_period {
            c = c.period(p);
        }
        if let Some(q) = limits.cpu_quota {
            c = c.quota(q);
        }
        if let Some(s) = limits.cpu_shares {
            c = c.shares(s);
        }
        if let Some(p) = limits.cpu_rt_period {
            c = c.realtime_period(p);
        }
        if let Some(r) = limits.cpu_rt_runtime {
            c = c.realtime_runtime(r);
        }
        if let Some(s) = &limits.cpuset_cpus {
            c = c.cpus(s.clone());
        }
        if let Some(s) = &limits.cpuset_mems {
            c = c.mems(s.clone());
        }
        resources = resources.cpu(c.build().map_err(spec_err)?);
    }
    if let Some(pids) = limits.pids_limit {
        resources = resources.pids(
            LinuxPidsBuilder::default()
                .limit(pids)
                .build()
                .map_err(spec_err)?,
        );
    }
    Ok(resources)
}

/// What differs between the container's process and an exec'd one.
pub(crate) struct ProcessParams {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub user: String,
    pub cwd: String,
    pub tty: bool,
    pub privileged: bool,
}

impl Container<'_> {
    /// The `process` part of a spec: the container's own, or an exec'd one.
    pub(crate) fn process_spec(&self, rootfs: &Path, p: &ProcessParams) -> Result<Process> {
        let c = &self.config;
        let spec_err = |e: oci_spec::OciSpecError| Error::Runtime(ocirt::Error::Spec(e));
        let rt_err = |e: ocirt::Error| Error::InvalidArgument(e.to_string());
        let (uid, gid) = resolve_user(rootfs, &p.user)?;
        // As Podman: a user given by name or number also has its primary
        // group among its supplementary ones, before `--group-add`'s.
        let mut extra_gids = if p.user.is_empty() {
            Vec::new()
        } else {
            vec![gid]
        };
        if !c.isolation.group_add.is_empty() {
            for g in super::isolation::resolve_groups(
                &c.isolation.group_add,
                &read_in_rootfs(rootfs, "etc/group"),
            )? {
                if !extra_gids.contains(&g) {
                    extra_gids.push(g);
                }
            }
        }
        let caps = base::capability_set(&c.cap_add, &c.cap_drop, p.privileged).map_err(rt_err)?;
        let mut rlimits = Vec::new();
        let mut have = Vec::new();
        for u in &c.ulimits {
            let typ = base::parse_rlimit_type(&u.name).map_err(rt_err)?;
            have.push(typ);
            rlimits.push(base::rlimit(typ, u.soft, u.hard).map_err(rt_err)?);
        }
        for (typ, value) in [
            (PosixRlimitType::RlimitNofile, 1_048_576u64),
            (PosixRlimitType::RlimitNproc, 4_194_304),
        ] {
            if !have.contains(&typ) {
                rlimits.push(base::rlimit(typ, value, value).map_err(rt_err)?);
            }
        }
        ProcessBuilder::default()
            .terminal(p.tty)
            .args(p.args.clone())
            .env(p.env.clone())
            .cwd(p.cwd.clone())
            .user({
                let mut user = UserBuilder::default()
                    .uid(uid)
                    .gid(gid)
                    .umask(self.config.umask.unwrap_or(0o022));
                if !extra_gids.is_empty() {
                    user = user.additional_gids(extra_gids);
                }
                user.build().map_err(spec_err)?
            })
            .capabilities(base::linux_capabilities(&caps).map_err(rt_err)?)
            .rlimits(rlimits)
            .no_new_privileges(c.security.no_new_privileges)
            .build()
            .map(|mut process| {
                process.set_oom_score_adj(c.isolation.oom_score_adj);
                process
            })
            .map_err(spec_err)
    }
}

fn bind(source: &Path, dest: &str, options: &[&str]) -> Result<Mount> {
    MountBuilder::default()
        .destination(PathBuf::from(dest))
        .typ("bind")
        .source(source.to_path_buf())
        .options(options.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .build()
        .map_err(|e| Error::Runtime(ocirt::Error::Spec(e)))
}

fn tmpfs(dest: &str, options: &[&str]) -> Result<Mount> {
    MountBuilder::default()
        .destination(PathBuf::from(dest))
        .typ("tmpfs")
        .source(PathBuf::from("tmpfs"))
        .options(options.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .build()
        .map_err(|e| Error::Runtime(ocirt::Error::Spec(e)))
}

/// Changes the owner of `path` and everything below it, never following a
/// symlink (`-v …:U`).
fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<()> {
    let io = |p: &Path, e: std::io::Error| Error::Io {
        context: format!("changing the owner of {}", p.display()),
        source: e,
    };
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).map_err(|e| io(path, e))?;
    let meta = std::fs::symlink_metadata(path).map_err(|e| io(path, e))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| io(path, e))? {
            let entry = entry.map_err(|e| io(path, e))?;
            chown_tree(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Resolves `user[:group]` (names or numbers) against the container's
/// `/etc/passwd` and `/etc/group`, read without following symlinks out of
/// the root file system.
pub(crate) fn resolve_user(rootfs: &Path, user: &str) -> Result<(u32, u32)> {
    if user.is_empty() {
        return Ok((0, 0));
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let passwd = crate::parse::passwd::parse_passwd(&read_in_rootfs(rootfs, "etc/passwd"));
    let (uid, primary_gid) = match u.parse::<u32>() {
        // A uid the image doesn't know has group 0, as in Podman.
        Ok(n) => (n, passwd.iter().find(|e| e.uid == n).map_or(0, |e| e.gid)),
        Err(_) => {
            let entry = passwd.iter().find(|e| e.name == u).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "unable to find user {u}: no matching entries in passwd file"
                ))
            })?;
            (entry.uid, entry.gid)
        }
    };
    let gid = match g {
        None => primary_gid,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                let groups =
                    crate::parse::passwd::parse_group(&read_in_rootfs(rootfs, "etc/group"));
                groups
                    .iter()
                    .find(|e| e.name == g)
                    .map(|e| e.gid)
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "unable to find group {g}: no matching entries in group file"
                        ))
                    })?
            }
        },
    };
    Ok((uid, gid))
}

/// `--passwd`: the image's passwd and group files with an entry added for
/// a numeric user (and group) they lack, as Podman writes them; `None`
/// for a file that needs nothing.
fn passwd_additions(rootfs: &Path, user: &str) -> (Option<String>, Option<String>) {
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let Ok(uid) = u.parse::<u32>() else {
        return (None, None);
    };
    let gid = g.and_then(|g| g.parse::<u32>().ok());
    let mut out = (None, None);
    let passwd_text = read_in_rootfs(rootfs, "etc/passwd");
    let passwd = crate::parse::passwd::parse_passwd(&passwd_text);
    if !passwd_text.is_empty() && !passwd.iter().any(|e| e.uid == uid) {
        let mut text = passwd_text;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "{uid}:*:{uid}:{}:container user:/:/bin/sh\n",
            gid.unwrap_or(0)
        ));
        out.0 = Some(text);
    }
    if let Some(gid) = gid {
        let group_text = read_in_rootfs(rootfs, "etc/group");
        let groups = crate::parse::passwd::parse_group(&group_text);
        if !group_text.is_empty() && !groups.iter().any(|e| e.gid == gid) {
            let mut text = group_text;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("{gid}:x:{gid}:{uid}\n"));
            out.1 = Some(text);
        }
    }
    out
}

/// Reads a file inside `rootfs` only if no component of its path is a symlink.
pub(crate) fn read_in_rootfs(rootfs: &Path, rel: &str) -> String {
    let mut path = rootfs.to_path_buf();
    for part in rel.split('/') {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if !m.file_type().is_symlink() => {}
            _ => return String::new(),
        }
    }
    std::fs::read_to_string(&path).unwrap_or_default()
}

impl Container<'_> {
    /// Applies the matching OCI hooks: `precreate` ones rewrite the spec
    /// (spec JSON on stdin, the new spec on stdout); the runtime's stages go
    /// into `spec.hooks`.
    pub(crate) fn apply_hooks(&self, spec: &mut Spec) -> Result<()> {
        let matching = self.rt.hooks()?.matching(spec)?;
        for hook in matching.get("precreate").into_iter().flatten() {
            let input = serde_json::to_vec(spec).map_err(|source| Error::Json {
                context: "encoding the spec for a precreate hook".into(),
                source,
            })?;
            let output = hook.run("precreate", &input)?;
            *spec = serde_json::from_slice(&output).map_err(|source| Error::Json {
                context: format!(
                    "the spec returned by precreate hook {}",
                    hook.path.display()
                ),
                source,
            })?;
        }
        // Stages added after a precreate rewrite, matched on the final spec.
        let matching = self.rt.hooks()?.matching(spec)?;
        let to_spec = |stage: &str| -> Result<Option<Vec<oci_spec::runtime::Hook>>> {
            let list = matching
                .get(stage)
                .map(|v| {
                    v.iter()
                        .map(|h| h.to_spec_hook())
                        .collect::<Result<Vec<_>>>()
                })
                .transpose()?;
            Ok(list.filter(|l| !l.is_empty()))
        };
        let (prestart, create_runtime, create_container, start_container, poststart) = (
            to_spec("prestart")?,
            to_spec("createRuntime")?,
            to_spec("createContainer")?,
            to_spec("startContainer")?,
            to_spec("poststart")?,
        );
        if prestart.is_none()
            && create_runtime.is_none()
            && create_container.is_none()
            && start_container.is_none()
            && poststart.is_none()
        {
            return Ok(());
        }
        let mut hooks = spec.hooks().clone().unwrap_or_default();
        #[allow(deprecated)]
        if let Some(h) = prestart {
            hooks.set_prestart(Some(h));
        }
        if let Some(h) = create_runtime {
            hooks.set_create_runtime(Some(h));
        }
        if let Some(h) = create_container {
            hooks.set_create_container(Some(h));
        }
        if let Some(h) = start_container {
            hooks.set_start_container(Some(h));
        }
        if let Some(h) = poststart {
            hooks.set_poststart(Some(h));
        }
        spec.set_hooks(Some(hooks));
        Ok(())
    }

    /// Runs the `poststop` hooks that match the container's saved spec, with
    /// the OCI state on stdin. Errors are reported, not returned: the
    /// container is gone from the runtime either way.
    pub(crate) fn run_poststop_hooks(&self) {
        let Ok(text) = std::fs::read(self.bundle().join("config.json")) else {
            return;
        };
        let Ok(spec) = serde_json::from_slice::<Spec>(&text) else {
            return;
        };
        let matching = match self.rt.hooks().and_then(|h| h.matching(&spec)) {
            Ok(m) => m,
            Err(e) => {
                crate::diagnostics::warn(format!(
                    "rpod: warning: poststop hooks of container {}: {e}",
                    self.name()
                ));
                return;
            }
        };
        let Some(hooks) = matching.get("poststop") else {
            return;
        };
        let state = serde_json::json!({
            "ociVersion": "1.0.2",
            "id": self.id(),
            "status": "stopped",
            "pid": 0,
            "bundle": self.bundle(),
            "annotations": self.config.annotations,
        });
        let input = state.to_string().into_bytes();
        for hook in hooks {
            if let Err(e) = hook.run("poststop", &input) {
                crate::diagnostics::warn(format!("rpod: warning: container {}: {e}", self.name()));
            }
        }
    }
}

/// The paths a container sees masked and read-only: the engine's defaults
/// less `--security-opt unmask=`, plus `mask=`; none when privileged (the
/// spec builder's defaults would add some).
pub fn masked_and_readonly_paths(c: &ContainerConfig) -> (Vec<String>, Vec<String>) {
    if c.privileged {
        return (Vec::new(), Vec::new());
    }
    let sec = &c.security;
    let mut masked: Vec<String> = base::MASKED_PATHS
        .iter()
        .filter(|p| !sec.unmasked(p))
        .map(|s| s.to_string())
        .collect();
    for p in &sec.mask {
        if !masked.contains(p) {
            masked.push(p.clone());
        }
    }
    let readonly = base::READONLY_PATHS
        .iter()
        .filter(|p| !sec.unmasked(p))
        .map(|s| s.to_string())
        .collect();
    (masked, readonly)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_resolve_by_name_and_number() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\nweb:x:33:44::/w:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("etc/group"), "root:x:0:\nstaff:x:50:\n").unwrap();
        assert_eq!(resolve_user(dir.path(), "").unwrap(), (0, 0));
        assert_eq!(resolve_user(dir.path(), "web").unwrap(), (33, 44));
        assert_eq!(resolve_user(dir.path(), "33").unwrap(), (33, 44));
        assert_eq!(resolve_user(dir.path(), "1000:1000").unwrap(), (1000, 1000));
        assert_eq!(resolve_user(dir.path(), "web:staff").unwrap(), (33, 50));
        assert!(resolve_user(dir.path(), "nobody").is_err());
        assert!(resolve_user(dir.path(), "web:nogroup").is_err());
    }

    #[test]
    fn passwd_behind_a_symlink_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
        assert!(resolve_user(dir.path(), "root").is_err());
    }
}

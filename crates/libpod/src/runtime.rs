//! The engine's entry point: configuration, paths, the state database, and
//! lazily opened storage and OCI runtime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ocirt::{ContainerRuntime, OciRuntime};
use storage::{DriverKind, Store, StoreOptions};

use crate::config::{default_config_path, EngineConfig};
use crate::db::Db;
use crate::error::{Error, IoContext, Result};
use crate::events::EventLog;
use crate::hooks::HookSet;
use crate::lock::lock_exclusive;
use crate::paths::Paths;

/// How the engine was asked to start (the global CLI flags).
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    pub root: Option<PathBuf>,
    pub run_root: Option<PathBuf>,
    /// A configuration file that must exist (`--config`, `RPOD_CONFIG`).
    pub config_path: Option<PathBuf>,
    pub storage_driver: Option<String>,
    /// OCI runtime name or path (`--runtime`).
    pub runtime: Option<String>,
    pub events_backend: Option<String>,
    /// `--hooks-dir`: replaces the configured hook directories when given.
    pub hooks_dirs: Vec<PathBuf>,
    /// `--runtime-flag`: global flags for every OCI runtime call.
    pub runtime_flags: Vec<String>,
    /// `--volumepath`: where volume data lives.
    pub volume_path: Option<PathBuf>,
    /// `--storage-opt KEY=VALUE`: storage driver options over the configured ones.
    pub storage_opts: Vec<String>,
    /// `--network-cmd-path`: the slirp4netns binary.
    pub network_cmd_path: Option<PathBuf>,
    /// `--network-config-dir`: where network definitions live.
    pub network_config_dir: Option<PathBuf>,
}

impl RuntimeOptions {
    /// The global flags that make another rpod process (the monitor's exit
    /// command) open the same engine.
    pub fn to_cli_args(&self, paths: &Paths) -> Vec<String> {
        let mut args = vec![
            "--root".to_string(),
            paths.root.display().to_string(),
            "--runroot".to_string(),
            paths.run_root.display().to_string(),
        ];
        if let Some(c) = &self.config_path {
            args.extend(["--config".to_string(), c.display().to_string()]);
        }
        if let Some(d) = &self.storage_driver {
            args.extend(["--storage-driver".to_string(), d.clone()]);
        }
        if let Some(r) = &self.runtime {
            args.extend(["--runtime".to_string(), r.clone()]);
        }
        if let Some(e) = &self.events_backend {
            args.extend(["--events-backend".to_string(), e.clone()]);
        }
        for d in &self.hooks_dirs {
            args.extend(["--hooks-dir".to_string(), d.display().to_string()]);
        }
        for f in &self.runtime_flags {
            args.extend(["--runtime-flag".to_string(), f.clone()]);
        }
        for o in &self.storage_opts {
            args.extend(["--storage-opt".to_string(), o.clone()]);
        }
        if let Some(p) = &self.network_cmd_path {
            args.extend(["--network-cmd-path".to_string(), p.display().to_string()]);
        }
        if let Some(v) = &paths.volume_path {
            args.extend(["--volumepath".to_string(), v.display().to_string()]);
        }
        if let Some(n) = &paths.network_config_dir {
            args.extend(["--network-config-dir".to_string(), n.display().to_string()]);
        }
        args
    }
}

/// What `boot` did: the IDs of the containers it started, and the names
/// and errors of those it could not start.
pub type BootReport = (Vec<String>, Vec<(String, Error)>);

/// Which way [`Runtime::on_each_container_ordered`] walks dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyOrder {
    /// All at once (`stop`, `kill`): dependencies do not matter.
    Independent,
    /// A container after those it requires (`start`).
    DependenciesFirst,
    /// A container after those that require it (`rm`).
    DependentsFirst,
}

/// An open engine.
pub struct Runtime {
    pub(crate) options: RuntimeOptions,
    pub(crate) config: EngineConfig,
    pub(crate) paths: Paths,
    pub(crate) db: Db,
    pub(crate) events: EventLog,
    store: OnceLock<Store>,
    oci: OnceLock<Arc<dyn ContainerRuntime>>,
    hooks: OnceLock<HookSet>,
}

impl Runtime {
    /// Opens the engine: reads the configuration, creates the directories,
    /// opens the state database, and refreshes container states when the
    /// run root is new (after a reboot).
    pub fn new(options: RuntimeOptions) -> Result<Self> {
        Self::open(options, None)
    }

    /// [`Self::new`] with a given OCI runtime instead of the configured
    /// one (tests use `ocirt::fake::FakeRuntime`).
    pub fn with_oci(options: RuntimeOptions, oci: Arc<dyn ContainerRuntime>) -> Result<Self> {
        Self::open(options, Some(oci))
    }

    /// [`Self::new`] with the given OCI runtime, if any (another handle on
    /// an engine passes its [`Self::oci_handle`]).
    pub(crate) fn open(
        options: RuntimeOptions,
        oci: Option<Arc<dyn ContainerRuntime>>,
    ) -> Result<Self> {
        let config = match &options.config_path {
            Some(p) => EngineConfig::load(p, true)?,
            None => match crate::rootless::user_dirs() {
                Some(dirs) => EngineConfig::load_layered(
                    &dirs?.config.join("containers").join("containers.conf"),
                    &default_config_path(),
                )?,
                None => EngineConfig::load(&default_config_path(), false)?,
            },
        };
        let paths = Paths::of(&options);
        for dir in [
            &paths.root,
            &paths.run_root,
            &paths.exit_dir(),
            &paths.lock_dir(),
        ] {
            std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
        }
        // Other users may pass through the roots but never list or read what
        // is below; image layers, volumes and container data are the
        // engine's alone (a setuid file in them must not be reachable).
        for (dir, mode) in [
            (paths.root.clone(), 0o711),
            (paths.run_root.clone(), 0o711),
            (paths.storage_root(), 0o700),
            // Image content stays private even where a user-namespaced
            // container needs the storage root to be searchable.
            (paths.storage_root().join("layers"), 0o700),
            (paths.storage_root().join("blobs"), 0o700),
            (paths.storage_root().join("images"), 0o700),
            (paths.volumes(), 0o700),
            (paths.root.join("containers"), 0o700),
        ] {
            crate::fsutil::ensure_private_dir(&dir, mode)?;
        }
        crate::diagnostics::debug(format_args!(
            "Using configuration {}, root {}, run root {}, state database {}",
            options
                .config_path
                .clone()
                .unwrap_or_else(default_config_path)
                .display(),
            paths.root.display(),
            paths.run_root.display(),
            paths.db().display()
        ));
        let db = Db::open(&paths.db())?;
        // As Podman: an engine's volume path is the one its database was
        // made with.
        let volumes = paths.volumes().display().to_string();
        let recorded = db.setting_or_record("volume_path", &volumes)?;
        if recorded != volumes {
            return Err(Error::InvalidArgument(format!(
                "database volume path {recorded:?} does not match our volume path {volumes:?}: database configuration mismatch"
            )));
        }
        let backend = options
            .events_backend
            .clone()
            .unwrap_or_else(|| config.engine.events_logger.clone());
        let events = match backend.as_str() {
            "none" => EventLog::new(None),
            "file" => EventLog::new(Some(
                config
                    .engine
                    .events_logfile_path
                    .clone()
                    .unwrap_or_else(|| paths.default_events_file()),
            )),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "unknown events backend {other:?} (supported: file, none)"
                )))
            }
        };
        let rt = Runtime {
            options,
            config,
            paths,
            db,
            events,
            store: OnceLock::new(),
            oci: oci.map(OnceLock::from).unwrap_or_default(),
            hooks: OnceLock::new(),
        };
        rt.refresh_if_rebooted()?;
        Ok(rt)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// The image store, opened on first use.
    pub fn store(&self) -> Result<&Store> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let name = self
            .options
            .storage_driver
            .clone()
            .unwrap_or_else(|| self.config.storage.driver.clone());
        let driver = match name.as_str() {
            "" => None,
            other => Some(other.parse::<DriverKind>().map_err(|_| {
                Error::InvalidArgument(format!(
                    "unknown storage driver {other:?} (supported: overlay, vfs)"
                ))
            })?),
        };
        let mut mount_program = self.config.storage.mount_program.clone();
        for opt in self.options.storage_opts.iter().filter(|o| !o.is_empty()) {
            match opt.split_once('=') {
                Some(("overlay.mount_program" | "mount_program", p)) => {
                    mount_program = (!p.is_empty()).then(|| PathBuf::from(p));
                }
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "storage option {opt:?} is not supported yet (supported: overlay.mount_program=PATH)"
                    )))
                }
            }
        }
        let store = Store::open(StoreOptions {
            root: self.paths.storage_root(),
            run_root: self.paths.storage_run_root(),
            driver,
            mount_program,
        })?;
        Ok(self.store.get_or_init(|| store))
    }

    /// The OCI hooks of the configured directories, read on first use.
    pub fn hooks(&self) -> Result<&HookSet> {
        if let Some(h) = self.hooks.get() {
            return Ok(h);
        }
        let dirs = if self.options.hooks_dirs.is_empty() {
            &self.config.engine.hooks_dir
        } else {
            &self.options.hooks_dirs
        };
        let set = HookSet::load(dirs)?;
        Ok(self.hooks.get_or_init(|| set))
    }

    /// The OCI runtime, found on first use (or the one given to
    /// [`Self::with_oci`]). Every runtime call of the engine goes through it.
    pub fn oci(&self) -> Result<&dyn ContainerRuntime> {
        if let Some(r) = self.oci.get() {
            return Ok(r.as_ref());
        }
        let wanted = self
            .options
            .runtime
            .clone()
            .unwrap_or_else(|| self.config.engine.runtime.clone());
        let (name, path) = if wanted.contains('/') {
            let p = PathBuf::from(&wanted);
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| wanted.clone());
            (name, Some(p))
        } else {
            let p = self.config.runtime_path(&wanted).map(Path::to_path_buf);
            (wanted, p)
        };
        let oci = OciRuntime::find(&name, path.as_deref(), &self.paths.runtime_state(&name))?
            .with_flags(&self.options.runtime_flags);
        Ok(self.oci.get_or_init(|| Arc::new(oci)).as_ref())
    }

    /// What another handle on this engine needs to reach the same OCI
    /// runtime: the one given to [`Self::with_oci`] (or found), for
    /// [`Self::open`] on another thread.
    pub(crate) fn oci_handle(&self) -> Option<Arc<dyn ContainerRuntime>> {
        self.oci.get().cloned()
    }

    /// Runs `op` on each of `names` (names or IDs), up to three per core at
    /// once plus one (Podman's worker count: stops mostly wait), each
    /// worker with its own handle on this engine:
    /// the batch commands (`stop`, `kill`, `restart`, a pod's members). The
    /// results come back in the order of `names`; a name that resolves to
    /// no container gives [`Error::NoSuchContainer`] in its slot.
    pub fn on_each_container<T: Send>(
        &self,
        names: &[String],
        op: impl Fn(&mut crate::container::Container<'_>) -> Result<T> + Sync,
    ) -> Vec<Result<T>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;
        let one = |rt: &Runtime, name: &str| rt.container(name).and_then(|mut c| op(&mut c));
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get() * 3 + 1)
            .min(names.len());
        if workers <= 1 {
            return names.iter().map(|n| one(self, n)).collect();
        }
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<Result<T>>>> = names.iter().map(|_| Mutex::new(None)).collect();
        let oci = self.oci_handle();
        let options = &self.options;
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    // A worker that cannot open its own handle leaves its
                    // share to the others and to the caller's handle below.
                    let Ok(rt) = Runtime::open(options.clone(), oci.clone()) else {
                        return;
                    };
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(name) = names.get(i) else { break };
                        let r = one(&rt, name);
                        if let Ok(mut slot) = slots[i].lock() {
                            *slot = Some(r);
                        }
                    }
                });
            }
        });
        slots
            .into_iter()
            .zip(names)
            .map(|(slot, name)| {
                slot.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| one(self, name))
            })
            .collect()
    }

    /// [`Self::on_each_container`] in dependency order: in waves, each wave
    /// side by side, a container only after the others of `names` it
    /// depends on (`DependenciesFirst`: `start`) or after those that depend
    /// on it (`DependentsFirst`: `rm`). Results in the order of `names`.
    pub fn on_each_container_ordered<T: Send>(
        &self,
        names: &[String],
        order: DependencyOrder,
        op: impl Fn(&mut crate::container::Container<'_>) -> Result<T> + Sync,
    ) -> Vec<Result<T>> {
        let waves = self.dependency_waves(names, order);
        let mut slots: Vec<Option<Result<T>>> = names.iter().map(|_| None).collect();
        for wave in waves {
            let wave_names: Vec<String> = wave.iter().map(|&i| names[i].clone()).collect();
            for (i, r) in wave
                .into_iter()
                .zip(self.on_each_container(&wave_names, &op))
            {
                slots[i] = Some(r);
            }
        }
        slots
            .into_iter()
            .zip(names)
            .map(|(slot, name)| slot.unwrap_or_else(|| Err(Error::NoSuchContainer(name.clone()))))
            .collect()
    }

    /// Indices of `names` grouped in waves by [`DependencyOrder`]; a name
    /// that resolves to nothing goes in the first wave (its operation then
    /// reports it), and a cycle's members in the last.
    pub(crate) fn dependency_waves(
        &self,
        names: &[String],
        order: DependencyOrder,
    ) -> Vec<Vec<usize>> {
        use std::collections::HashMap;
        if order == DependencyOrder::Independent {
            return vec![(0..names.len()).collect()];
        }
        let resolved: Vec<Option<(String, Vec<String>)>> = names
            .iter()
            .map(|n| {
                self.container(n)
                    .ok()
                    .map(|c| (c.id().to_string(), c.config().dependencies.clone()))
            })
            .collect();
        let index: HashMap<&str, usize> = resolved
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|(id, _)| (id.as_str(), i)))
            .collect();
        // before[i]: the indices that must be done before i.
        let mut before: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
        for (i, r) in resolved.iter().enumerate() {
            let Some((_, deps)) = r else { continue };
            for dep in deps {
                let Some(&j) = index.get(dep.as_str()) else {
                    continue;
                };
                if j == i {
                    continue;
                }
                match order {
                    DependencyOrder::DependentsFirst => before[j].push(i),
                    _ => before[i].push(j),
                }
            }
        }
        let mut wave_of: Vec<Option<usize>> = vec![None; names.len()];
        let mut waves: Vec<Vec<usize>> = Vec::new();
        let mut left = names.len();
        while left > 0 {
            let ready: Vec<usize> = (0..names.len())
                .filter(|&i| wave_of[i].is_none())
                .filter(|&i| {
                    before[i]
                        .iter()
                        .all(|&j| wave_of[j].is_some_and(|w| w < waves.len()))
                })
                .collect();
            // A cycle: what is left goes last, in the order given.
            let ready = if ready.is_empty() {
                (0..names.len()).filter(|&i| wave_of[i].is_none()).collect()
            } else {
                ready
            };
            for &i in &ready {
                wave_of[i] = Some(waves.len());
            }
            left -= ready.len();
            waves.push(ready);
        }
        waves
    }

    /// The rpod-monitor binary: configured, next to this executable, or in
    /// the usual libexec directories.
    pub fn monitor_path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.config.engine.monitor_path {
            return Ok(p.clone());
        }
        let mut candidates = Vec::new();
        if let Ok(exe) = std::env::current_exe() {
            if let Some(dir) = exe.parent() {
                candidates.push(dir.join("rpod-monitor"));
            }
        }
        candidates.push(PathBuf::from("/usr/local/libexec/rpod/rpod-monitor"));
        candidates.push(PathBuf::from("/usr/libexec/rpod/rpod-monitor"));
        candidates.push(PathBuf::from("/usr/local/bin/rpod-monitor"));
        candidates.push(PathBuf::from("/usr/bin/rpod-monitor"));
        candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .ok_or_else(|| Error::InvalidArgument(format!(
                "rpod-monitor not found (looked at {}); install it next to rpod or set engine.monitor_path",
                candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            )))
    }

    /// The command the monitor runs when its container exits.
    pub(crate) fn exit_command(&self) -> Result<(PathBuf, Vec<String>)> {
        let exe = std::env::current_exe().ctx(|| "finding the rpod executable".to_string())?;
        Ok((exe, self.options.to_cli_args(&self.paths)))
    }

    /// What an init system runs at boot (`rpod system boot`): the refresh
    /// if this boot has not had it yet, then start every container whose
    /// restart policy says so and that is not running. Returns the IDs
    /// started and the errors of those that failed.
    pub fn boot(&self) -> Result<BootReport> {
        self.refresh_if_rebooted()?;
        self.start_boot_containers()
    }

    fn start_boot_containers(&self) -> Result<BootReport> {
        let mut started = Vec::new();
        let mut failed = Vec::new();
        for (config, state) in self.db.all_containers()? {
            if state.status.is_active()
                || !config.restart_policy.starts_at_boot(state.stopped_by_user)
            {
                continue;
            }
            let result = self.container(&config.id).and_then(|mut c| {
                if c.status().is_active() {
                    return Ok(());
                }
                c.start()
            });
            match result {
                Ok(()) => started.push(config.id),
                Err(e) => failed.push((config.name, e)),
            }
        }
        Ok((started, failed))
    }

    /// After a reboot (the run root has no `alive` file) every container's
    /// run-time state is stale: reset it, as the seed's refresh does, then
    /// start the containers whose restart policy asks for it.
    fn refresh_if_rebooted(&self) -> Result<()> {
        let alive = self.paths.alive_file();
        if alive.exists() {
            return Ok(());
        }
        {
            let _guard = lock_exclusive(&self.paths.lock_dir().join("refresh.lock"))?;
            if alive.exists() {
                return Ok(());
            }
            self.refresh()?;
        }
        let (_, failed) = self.start_boot_containers()?;
        for (name, e) in failed {
            crate::diagnostics::warn(format!(
                "rpod: warning: starting container {name} after reboot: {e}"
            ));
        }
        Ok(())
    }

    /// The seed's refresh: reset every container's run-time state.
    fn refresh(&self) -> Result<()> {
        let alive = self.paths.alive_file();
        for (config, mut state) in self.db.all_containers()? {
            state.reset_runtime_fields();
            self.db.save_state(&config.id, &state)?;
            let exit = self.paths.exit_file(&config.id);
            if exit.exists() {
                let mut old = exit.clone().into_os_string();
                old.push("-old");
                let _ = std::fs::rename(&exit, old);
            }
        }
        std::fs::write(&alive, b"").ctx(|| format!("writing {}", alive.display()))
    }
}

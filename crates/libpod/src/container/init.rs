//! `init`: mount the root file system, write the run-time files and the
//! runtime spec, and have a new rpod-monitor create the container in the
//! OCI runtime (configured/stopped/exited → created).

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use monitor::{LogDriver, MonitorArgs, SyncMessage};
use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};

use super::{Container, ContainerStatus};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{write_atomic, PRIVATE_FILE, SHARED_FILE};

/// The rundir's file mounted at `/run/.containerenv`.
pub(crate) const CONTAINERENV: &str = ".containerenv";

impl Container<'_> {
    /// Initialises the container in the runtime (state `created`).
    pub fn init(&mut self) -> Result<()> {
        let _guard = self.lock()?;
        if !self.state.status.can_init() {
            return Err(self.invalid_state(
                "only configured, stopped or exited containers can be initialised",
            ));
        }
        self.check_dependencies()?;
        self.init_locked()
    }

    /// Starts the container's dependencies, then initialises it (what `run`
    /// and `start --attach` need before attaching).
    pub fn init_with_dependencies(&mut self) -> Result<()> {
        self.start_dependencies()?;
        self.init()
    }

    /// [`Self::init`] with the lock held; from stopped it cleans up first.
    pub(crate) fn init_locked(&mut self) -> Result<()> {
        crate::diagnostics::debug(format_args!(
            "Creating container {} in the OCI runtime",
            self.id()
        ));
        if self.state.status == ContainerStatus::Stopped {
            self.cleanup_locked()?;
        }
        match self.create_in_runtime() {
            Ok(()) => {
                self.event("init");
                Ok(())
            }
            Err(e) => {
                self.undo_init();
                Err(e)
            }
        }
    }

    fn create_in_runtime(&mut self) -> Result<()> {
        let rundir = self.rundir();
        self.forget_interrupted_init(&rundir)?;
        // A shm left mounted by a run that was killed.
        self.unmount_host_shm();
        if rundir.exists() {
            std::fs::remove_dir_all(&rundir).ctx(|| format!("clearing {}", rundir.display()))?;
        }
        std::fs::create_dir_all(&rundir).ctx(|| format!("creating {}", rundir.display()))?;
        let exit = self.exit_file();
        if exit.exists() {
            std::fs::remove_file(&exit).ctx(|| format!("removing stale {}", exit.display()))?;
        }
        let rootfs = self.mount_rootfs()?;
        if let Err(e) = self.mount_host_shm() {
            self.unmount_rootfs();
            return Err(e);
        }
        if let Some(env) = super::create::init_env_defaults(
            &self.config.env,
            &rootfs,
            &self.config.user,
            &self.config.hostname,
        ) {
            self.config.env = env;
            self.rt.db.save_config(&self.config)?;
        }
        self.setup_network()?;
        self.write_rundir_files()?;
        self.write_secret_files()?;
        self.prepare_userns_files(&rootfs)?;
        let mut spec = self.build_spec(&rootfs)?;
        self.apply_sdnotify(&mut spec, self.notify_socket().as_deref())?;
        self.apply_hooks(&mut spec)?;
        let bundle = self.bundle();
        std::fs::create_dir_all(&bundle).ctx(|| format!("creating {}", bundle.display()))?;
        let json = serde_json::to_vec_pretty(&spec).map_err(|source| Error::Json {
            context: "encoding the runtime spec".into(),
            source,
        })?;
        write_atomic(&bundle.join("config.json"), &json, PRIVATE_FILE)?;
        let pid = self.spawn_monitor()?;
        self.setup_userns_network(pid)?;
        self.state.status = ContainerStatus::Created;
        self.state.pid = pid;
        if let Some(file) = &self.config.pidfile {
            // `--pidfile`: the user's own copy (kept after removal, as Podman).
            std::fs::write(file, pid.to_string())
                .ctx(|| format!("writing the pid file {}", file.display()))?;
        }
        self.state.monitor_pid = read_pid(&rundir.join(monitor::MONITOR_PID_FILE)).unwrap_or(0);
        if let Some(file) = &self.config.conmon_pidfile {
            std::fs::write(file, self.state.monitor_pid.to_string())
                .ctx(|| format!("writing the monitor pid file {}", file.display()))?;
        }
        // Read now that the monitor has reported: with the pid it tells the
        // monitor from a later process that gets the same pid.
        self.state.monitor_start_time =
            super::state::process_start_time(self.state.monitor_pid).unwrap_or(0);
        self.state.exit_code = 0;
        self.state.oom_killed = false;
        self.state.stopped_by_user = false;
        self.state.error.clear();
        self.state.health = self.config.health.as_ref().map(|_| Default::default());
        self.save()
    }

    /// Mounts the root file system (or uses `--rootfs`) and records where.
    pub(crate) fn mount_rootfs(&mut self) -> Result<PathBuf> {
        let path = match &self.config.rootfs {
            Some(p) => p.clone(),
            None => {
                let store = self.rt.store()?;
                // In a user namespace the image's files appear with mapped owners.
                let maps = self.userns_maps()?;
                let mount = || match &maps {
                    Some(maps) => store.mount_container_mapped(self.id(), maps),
                    None => store.mount_container(self.id()),
                };
                match mount() {
                    // Its layer was never made (creation was interrupted): make it now.
                    Err(storage::Error::ContainerNotFound(_)) => {
                        store.create_container(self.id(), self.config.image_id.as_deref())?;
                        mount()?
                    }
                    other => other?,
                }
            }
        };
        self.state.mount_point = Some(path.display().to_string());
        self.save()?;
        Ok(path)
    }

    /// Writes `hosts`, `resolv.conf`, `hostname` and `.containerenv` into
    /// the rundir.
    fn write_rundir_files(&self) -> Result<()> {
        let rundir = self.rundir();
        self.write_network_files()?;
        write_atomic(
            &rundir.join("hostname"),
            format!("{}\n", self.config.hostname).as_bytes(),
            SHARED_FILE,
        )?;
        write_atomic(
            &rundir.join(CONTAINERENV),
            self.containerenv().as_bytes(),
            SHARED_FILE,
        )
    }

    /// `/run/.containerenv` as Podman writes it: empty, but with the
    /// engine, the container and its image for a privileged container.
    fn containerenv(&self) -> String {
        if !self.config.privileged {
            return String::new();
        }
        let c = &self.config;
        format!(
            "engine=\"rpod-{}\"\nname={:?}\nid={:?}\nimage={:?}\nimageid={:?}\nrootless={}\n",
            crate::system::VERSION,
            c.name,
            c.id,
            c.image_name.clone().unwrap_or_default(),
            c.image_id.clone().unwrap_or_default(),
            u8::from(crate::rootless::is_rootless()),
        )
    }

    /// Has the runtime create the container under a new rpod-monitor (the
    /// [`MonitorSupervisor`]) and returns the container's pid.
    fn spawn_monitor(&self) -> Result<i32> {
        let req = ocirt::CreateRequest {
            id: self.id().to_string(),
            bundle: self.bundle(),
            log: Some(self.rundir().join("runtime.log")),
            exit_file: self.exit_file(),
        };
        match self.rt.oci()?.create(&req, &MonitorSupervisor(self)) {
            Ok(created) => Ok(created.pid),
            Err(ocirt::Error::Supervisor(e)) => Err(match e.downcast::<Error>() {
                Ok(e) => *e,
                Err(e) => Error::Monitor {
                    id: self.id().to_string(),
                    message: e.to_string(),
                },
            }),
            // A runtime that reports its own create failure: classified
            // as the monitor's report of one is.
            Err(ocirt::Error::Command { message, .. }) => Err(self.runtime_create_error(message)),
            Err(e) => Err(e.into()),
        }
    }

    /// Starts an rpod-monitor that runs `runtime create` with these
    /// arguments and waits for it to report the container's pid (or the
    /// runtime's error).
    fn launch_monitor(&self, runtime: &Path, runtime_args: Vec<OsString>) -> Result<i32> {
        let rundir = self.rundir();
        let mut args = MonitorArgs::new(
            self.id(),
            self.name(),
            runtime,
            self.bundle(),
            rundir.join("pidfile"),
            self.rt.paths.exit_dir(),
            rundir.clone(),
            rundir.clone(),
        );
        args.runtime_args = runtime_args;
        args.log_driver = match self.config.log_driver.as_str() {
            "json-file" => LogDriver::JsonFile,
            "none" => LogDriver::None,
            _ => LogDriver::K8sFile,
        };
        args.log_path = self.log_path();
        args.log_max_size = self.config.log_max_size.unwrap_or(0);
        args.terminal = self.config.tty;
        args.stdin = self.config.interactive;
        args.notify_socket = self.notify_socket();
        args.notify_proxy = args.notify_socket.is_some()
            && self.config.sdnotify == crate::systemd::SdNotifyMode::Container;
        let (exe, mut exit_args) = self.rt.exit_command()?;
        exit_args.extend([
            "container".into(),
            "cleanup".into(),
            "--from-monitor".into(),
        ]);
        exit_args.push(self.id().to_string());
        if let Some(hc) = &self.config.health {
            let (health_exe, mut health_args) = self.rt.exit_command()?;
            health_args.extend(["healthcheck".into(), "run".into(), self.id().to_string()]);
            args.health_interval_ms = u64::try_from(hc.interval.as_millis())
                .unwrap_or(u64::MAX)
                .max(1);
            args.health_command = Some(health_exe);
            args.health_command_args = health_args.into_iter().map(Into::into).collect();
        }
        args.timeout_secs = self.config.timeout.unwrap_or(0);
        args.exit_command = Some(exe);
        args.exit_command_args = exit_args.into_iter().map(Into::into).collect();

        let (read_end, write_end) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| Error::Io {
                context: "creating the monitor's sync pipe".into(),
                source: e.into(),
            })?;
        let write_raw = write_end.as_raw_fd();
        args.sync_fd = Some(write_raw);
        let monitor_path = self.rt.monitor_path()?;
        let mut cmd = Command::new(&monitor_path);
        cmd.args(args.to_args())
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: the closure only calls fcntl, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                let fd = std::os::fd::BorrowedFd::borrow_raw(write_raw);
                fcntl(fd.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::empty()))
                    .map(drop)
                    .map_err(std::io::Error::from)
            });
        }
        crate::fault::point("init.before_monitor");
        let mut child = cmd
            .spawn()
            .ctx(|| format!("starting {}", monitor_path.display()))?;
        drop(write_end);
        child
            .wait()
            .ctx(|| "waiting for rpod-monitor to detach".to_string())?;
        let message =
            monitor::read_sync_message(File::from(read_end)).map_err(|e| Error::Monitor {
                id: self.id().to_string(),
                message: format!(
                    "{e} (see {})",
                    rundir.join(monitor::MONITOR_LOG_FILE).display()
                ),
            })?;
        crate::fault::point("init.monitor_started");
        match message {
            SyncMessage::Pid(pid) => Ok(pid),
            SyncMessage::Error(text) => Err(self.runtime_create_error(text)),
        }
    }

    /// An init killed after its monitor had the runtime create the
    /// container, but before the state was saved, leaves a container the
    /// runtime knows while the record says it is not there: its monitor
    /// goes first (so it records no exit of it), then the runtime's copy.
    fn forget_interrupted_init(&self, rundir: &Path) -> Result<()> {
        let oci = self.rt.oci()?;
        if !oci.knows(self.id()) {
            return Ok(());
        }
        if let Some(pid) = read_pid(&rundir.join(monitor::MONITOR_PID_FILE)) {
            if super::state::is_monitor_of(pid, self.id()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
                while super::state::process_alive(pid) && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
        }
        oci.delete(self.id(), true)?;
        Ok(())
    }

    /// Classifies a `runtime create` failure: a missing or non-executable
    /// command gets Podman's exit codes 127/126.
    fn runtime_create_error(&self, text: String) -> Error {
        let lower = text.to_ascii_lowercase();
        if lower.contains("executable file not found")
            || lower.contains("no such file or directory") && lower.contains("exec")
        {
            Error::CommandNotFound(text)
        } else if lower.contains("permission denied") && lower.contains("exec") {
            Error::CommandNotExecutable(text)
        } else {
            Error::Runtime(ocirt::Error::Command {
                runtime: self
                    .rt
                    .oci()
                    .map(|o| o.name().to_string())
                    .unwrap_or_default(),
                action: "create".into(),
                id: self.id().to_string(),
                message: text,
            })
        }
    }

    /// Best-effort undo of a failed init: the runtime forgets the container,
    /// storage is unmounted, and the saved state says so.
    fn undo_init(&mut self) {
        if let Ok(oci) = self.rt.oci() {
            let _ = oci.delete(self.id(), true);
        }
        self.unmount_rootfs();
        self.unmount_host_shm();
        self.teardown_network();
        self.state.pid = 0;
        self.state.monitor_pid = 0;
        if self.state.status == ContainerStatus::Created {
            self.state.status = ContainerStatus::Configured;
        }
        let _ = self.save();
    }

    /// Unmounts the root file system if rpod mounted it.
    pub(crate) fn unmount_rootfs(&mut self) {
        if self.config.rootfs.is_none() {
            if let Ok(store) = self.rt.store() {
                if let Err(e) = store.unmount_container(self.id()) {
                    crate::diagnostics::warn(format!(
                        "rpod: warning: unmounting container {}: {e}",
                        self.id()
                    ));
                }
            }
        }
        self.state.mount_point = None;
    }
}

/// The supervisor the runtime creates the container under: rpod-monitor.
struct MonitorSupervisor<'c, 'r>(&'c Container<'r>);

impl ocirt::Supervisor for MonitorSupervisor<'_, '_> {
    fn launch(
        &self,
        runtime: &Path,
        runtime_args: Vec<OsString>,
    ) -> std::result::Result<i32, Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .launch_monitor(runtime, runtime_args)
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
    }
}

fn read_pid(path: &std::path::Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

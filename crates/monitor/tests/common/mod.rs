//! Test harness: a busybox bundle, a private runc root, and the monitor run
//! the way libpod runs it.

#![allow(dead_code)]

use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use monitor::logfile::{LogEntry, LogFormat, LogReader};
use monitor::{read_exit_file, MonitorArgs, SyncMessage, MONITOR_PID_FILE};
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use serde_json::{json, Value};
use tempfile::TempDir;

pub const RUNC: &str = "/usr/sbin/runc";
const BUSYBOX: &str = "/usr/bin/busybox";
const APPLETS: [&str; 6] = ["sh", "echo", "cat", "sleep", "true", "false"];
const TIMEOUT: Duration = Duration::from_secs(30);

/// The monitor binary under test (`RPOD_MONITOR_BIN` overrides, e.g. to
/// measure a release build).
pub fn monitor_bin() -> PathBuf {
    std::env::var_os("RPOD_MONITOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_rpod-monitor")))
}

/// Whether the real-runtime tests can run here (root and runc present).
pub fn can_run() -> bool {
    let ok =
        nix::unistd::geteuid().is_root() && Path::new(RUNC).exists() && Path::new(BUSYBOX).exists();
    if !ok {
        eprintln!("skipping: needs root, {RUNC} and {BUSYBOX}");
    }
    ok
}

/// One container's world: bundle, runc root and the monitor's directories,
/// all in one temporary directory. Dropping it deletes the container, kills
/// a monitor still running and removes everything.
pub struct Fixture {
    pub dir: TempDir,
    pub cid: String,
    pub bundle: PathBuf,
    pub runc_root: PathBuf,
    pub exit_dir: PathBuf,
    pub persist_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub log_path: PathBuf,
    pub pidfile: PathBuf,
    /// Pid of the process the test spawned (exits once the monitor is
    /// detached).
    pub spawned_pid: Option<i32>,
    monitor_pid: Option<i32>,
    monitor_reaped: bool,
}

/// Options of the container's runtime spec.
#[derive(Default, Clone)]
pub struct Spec {
    pub args: Vec<String>,
    pub terminal: bool,
    pub memory_limit: Option<u64>,
}

impl Spec {
    pub fn new(args: &[&str]) -> Spec {
        Spec {
            args: args.iter().map(|s| s.to_string()).collect(),
            ..Spec::default()
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Fixture {
    /// Prepares a bundle for `spec`; `long_socket_dir` puts the attach
    /// socket in a directory whose path exceeds `sun_path`.
    pub fn new(spec: &Spec, long_socket_dir: bool) -> Fixture {
        become_subreaper();
        let dir = tempfile::Builder::new()
            .prefix("rpod-monitor-test-")
            .tempdir()
            .expect("tempdir");
        let cid = format!(
            "rpodmon-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let base = dir.path().to_path_buf();
        let bundle = base.join("bundle");
        make_rootfs(&bundle.join("rootfs"));
        fs::write(
            bundle.join("config.json"),
            serde_json::to_vec_pretty(&config(spec)).expect("json"),
        )
        .expect("write config.json");
        let socket_dir = if long_socket_dir {
            let mut p = base.join("sockets");
            while p.as_os_str().len() <= 120 {
                p = p.join("a-rather-long-directory-name");
            }
            p
        } else {
            base.join("sockets")
        };
        let f = Fixture {
            cid,
            runc_root: base.join("runc"),
            exit_dir: base.join("exits"),
            persist_dir: base.join("persist"),
            log_path: base.join("persist/ctr.log"),
            pidfile: base.join("persist/pidfile"),
            socket_dir,
            bundle,
            dir,
            spawned_pid: None,
            monitor_pid: None,
            monitor_reaped: false,
        };
        for d in [&f.runc_root, &f.exit_dir, &f.persist_dir, &f.socket_dir] {
            fs::create_dir_all(d).expect("mkdir");
        }
        f
    }

    /// The arguments libpod would pass.
    pub fn args(&self) -> MonitorArgs {
        let mut a = MonitorArgs::new(
            self.cid.clone(),
            "test-container",
            RUNC,
            &self.bundle,
            &self.pidfile,
            &self.exit_dir,
            &self.persist_dir,
            &self.socket_dir,
        );
        a.runtime_args = vec!["--root".into(), self.runc_root.clone().into()];
        a.log_path = Some(self.log_path.clone());
        a
    }

    /// Spawns the monitor with a sync pipe, checks the spawned process
    /// exits at once and successfully, and returns the sync message.
    pub fn spawn(&mut self, args: &MonitorArgs) -> SyncMessage {
        self.spawn_in(args, None)
    }

    /// [`spawn`](Self::spawn) with the monitor started in directory `cwd`.
    pub fn spawn_in(&mut self, args: &MonitorArgs, cwd: Option<&Path>) -> SyncMessage {
        let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC).expect("pipe");
        let mut args = args.clone();
        let raw = write_end.as_raw_fd();
        args.sync_fd = Some(raw);
        let mut cmd = Command::new(monitor_bin());
        cmd.args(args.to_args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        // SAFETY: fcntl is async-signal-safe; it only clears close-on-exec
        // on the sync fd in the child.
        unsafe {
            cmd.pre_exec(move || {
                if libc::fcntl(raw, libc::F_SETFD, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn monitor");
        self.spawned_pid = i32::try_from(child.id()).ok();
        drop(write_end);
        // The spawned process exits once the monitor is detached; its
        // stdout/stderr reach EOF, so the monitor does not hold them.
        let out = child.wait_with_output().expect("wait monitor");
        assert!(
            out.status.success(),
            "monitor start failed: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let msg = read_sync(read_end);
        self.monitor_pid = fs::read_to_string(self.persist_dir.join(MONITOR_PID_FILE))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        msg
    }

    /// The detached monitor's pid (from `monitor.pid`).
    pub fn monitor_pid(&self) -> i32 {
        self.monitor_pid.expect("monitor.pid")
    }

    /// Runs `runc --root <root> ARGS`.
    pub fn runc(&self, args: &[&str]) -> Output {
        Command::new(RUNC)
            .arg("--root")
            .arg(&self.runc_root)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run runc")
    }

    /// `runc start`, which must succeed.
    pub fn start(&self) {
        let out = self.runc(&["start", &self.cid]);
        assert!(
            out.status.success(),
            "runc start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Waits for the exit file and returns the exit code.
    pub fn wait_exit(&self) -> i32 {
        let path = self.exit_dir.join(&self.cid);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some((code, _)) = read_exit_file(&path).expect("read exit file") {
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "no exit file after {TIMEOUT:?}; monitor.log: {}",
                self.monitor_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the monitor process exited, and reaps it (the test
    /// process is its subreaper); returns its exit status.
    pub fn wait_monitor_gone(&mut self) -> i32 {
        let pid = Pid::from_raw(self.monitor_pid());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, code)) => {
                    self.monitor_reaped = true;
                    return code;
                }
                Ok(WaitStatus::StillAlive) => {}
                other => panic!("monitor {pid}: unexpected wait result {other:?}"),
            }
            assert!(Instant::now() < deadline, "monitor {pid} still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The container's log entries.
    pub fn log_entries(&self, format: LogFormat) -> Vec<LogEntry> {
        let file = File::open(&self.log_path).expect("open log");
        let mut r = LogReader::new(file, format);
        let mut out = Vec::new();
        while let Some(e) = r.next_entry().expect("parse log") {
            out.push(e);
        }
        assert!(r.pending().is_empty(), "unterminated last log line");
        out
    }

    /// `monitor.log`, or an empty string.
    pub fn monitor_log(&self) -> String {
        fs::read_to_string(self.persist_dir.join(monitor::MONITOR_LOG_FILE)).unwrap_or_default()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.runc(&["delete", "-f", &self.cid]);
        let Some(pid) = self.monitor_pid.filter(|_| !self.monitor_reaped) else {
            return;
        };
        // Not reaped yet, so the pid is still our monitor's (alive or a
        // zombie): stop it if needed and reap it.
        let pid = Pid::from_raw(pid);
        if process_alive(pid.as_raw()) {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = waitpid(pid, None);
    }
}

/// Whether `pid` exists and is not a zombie.
pub fn process_alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat_field(&stat, 0) != "Z",
        Err(_) => false,
    }
}

/// Field `n` of `/proc/<pid>/stat` counted from the state (0 = state,
/// 1 = ppid, 2 = pgrp, 3 = session).
pub fn stat_field(stat: &str, n: usize) -> String {
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    after.split_whitespace().nth(n).unwrap_or("").to_string()
}

/// Makes the test process the subreaper of the monitors (whose parent
/// exits when they detach), so it can reap them instead of leaving zombies
/// to an init that may not reap.
fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        nix::sys::prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
    });
}

fn read_sync(fd: OwnedFd) -> SyncMessage {
    let mut file = File::from(fd);
    let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
    let ready = poll(&mut fds, PollTimeout::from(30_000u16)).expect("poll sync fd");
    assert!(ready > 0, "no sync message within 30s");
    let mut data = Vec::new();
    file.read_to_end(&mut data).expect("read sync fd");
    SyncMessage::decode(&data).expect("decode sync message")
}

fn make_rootfs(rootfs: &Path) {
    let bin = rootfs.join("bin");
    fs::create_dir_all(&bin).expect("mkdir rootfs");
    for d in ["proc", "dev", "sys", "tmp"] {
        fs::create_dir_all(rootfs.join(d)).expect("mkdir");
    }
    fs::copy(BUSYBOX, bin.join("busybox")).expect("copy busybox");
    for applet in APPLETS {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("symlink");
    }
}

fn config(spec: &Spec) -> Value {
    let mut linux = json!({
        "namespaces": [
            {"type": "pid"}, {"type": "mount"}, {"type": "ipc"},
            {"type": "uts"}, {"type": "network"}
        ]
    });
    if let Some(limit) = spec.memory_limit {
        linux["resources"] = json!({"memory": {"limit": limit, "swap": limit}});
    }
    json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": spec.terminal,
            "user": {"uid": 0, "gid": 0},
            "args": spec.args,
            "env": ["PATH=/bin", "TERM=xterm"],
            "cwd": "/",
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": false},
        "hostname": "rpod-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]}
        ],
        "linux": linux
    })
}

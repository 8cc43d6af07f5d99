//! The monitor process: what `rpod-monitor` runs after parsing its
//! arguments. libpod does not use this module; it spawns the binary.
//!
//! Phases:
//! 1. detach (`daemon::detach`): the process the caller spawned exits once
//!    the detached monitor exists;
//! 2. start-up (`start`): become subreaper, open the log, bind the attach
//!    socket, run `runtime create`, read the pid, report on the sync fd;
//! 3. the poll loop (`event_loop`): serve the container until it exits;
//! 4. `finish`: OOM marker, exit file, close clients, exit command.

mod attach_server;
mod console;
mod daemon;
mod diag;
mod event_loop;
mod health;
mod notify;
mod oom;
mod reaper;
mod runtime;
mod stdio;

use std::fmt::Display;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, FromRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::unistd::Pid;

use self::attach_server::AttachServer;
use self::console::ConsoleSocket;
use self::daemon::Role;
use self::diag::Diag;
use self::event_loop::{ContainerIo, EventLoop, Finished, LoopParts};
use self::oom::OomWatch;
use self::reaper::Reaper;
use self::runtime::RuntimeLog;
use crate::exitfile::write_exit_file;
use crate::logfile::LogWriter;
use crate::{MonitorArgs, SyncMessage, OOM_FILE};

/// Longest error text sent on the sync fd (a message must fit in a pipe
/// buffer so writing it never blocks).
const MAX_SYNC_ERROR: usize = 16 * 1024;

/// How long attach clients get to take the last output after the exit.
const CLIENT_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the monitor; returns the exit status for the current process.
///
/// In the process the caller spawned this returns 0 as soon as the detached
/// monitor exists (or 1 if detaching failed, after reporting on the sync
/// fd); in the detached monitor it returns when everything is done.
pub fn run(args: &MonitorArgs) -> i32 {
    let mut sync = match SyncPipe::adopt(args.sync_fd) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rpod-monitor: {e}");
            return 1;
        }
    };
    let prepared = absolute_paths(args)
        .map_err(|e| format!("cannot resolve the monitor's paths: {e}"))
        .and_then(|args| {
            daemon::cloexec_inherited_fds()
                .and_then(|()| daemon::detach())
                .map(|role| (args, role))
                .map_err(|e| format!("cannot start the monitor: {e}"))
        });
    match prepared {
        Ok((_, Role::Caller)) => 0,
        Ok((args, Role::Monitor)) => supervise(&args, sync),
        Err(msg) => {
            eprintln!("rpod-monitor: {msg}");
            // Nothing else to do if the caller is gone.
            let _ = sync.send(&SyncMessage::Error(msg));
            1
        }
    }
}

/// The detached monitor's life: start the container, report, serve it,
/// record its exit.
fn supervise(args: &MonitorArgs, mut sync: SyncPipe) -> i32 {
    let diag = Diag::new(&args.persist_dir);
    let (pid, event_loop) = match start(args, &diag) {
        Ok(started) => started,
        Err(msg) => {
            diag.log(format_args!("container {} did not start: {msg}", args.name));
            sync.report(&SyncMessage::Error(msg), &diag);
            return 1;
        }
    };
    sync.report(&SyncMessage::Pid(pid.as_raw()), &diag);
    let finished = event_loop.run();
    finish(args, &diag, finished)
}

/// The arguments with every path the monitor uses made absolute (it
/// changes into the persist dir). Bare command names (`runc`) are left for
/// the `PATH` lookup; paths inside runtime args are passed as they are.
fn absolute_paths(args: &MonitorArgs) -> io::Result<MonitorArgs> {
    fn command(p: &mut PathBuf) -> io::Result<()> {
        if p.components().count() > 1 {
            *p = std::path::absolute(&*p)?;
        }
        Ok(())
    }
    let mut a = args.clone();
    for p in [
        &mut a.bundle,
        &mut a.pidfile,
        &mut a.exit_dir,
        &mut a.persist_dir,
        &mut a.socket_dir,
    ] {
        *p = std::path::absolute(&*p)?;
    }
    if let Some(p) = &mut a.log_path {
        *p = std::path::absolute(&*p)?;
    }
    command(&mut a.runtime)?;
    if let Some(p) = &mut a.exit_command {
        command(p)?;
    }
    Ok(a)
}

/// Adds context to an error, as the text of the sync error message.
trait Context<T> {
    fn context(self, what: impl Display) -> Result<T, String>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// Start-up in the detached monitor, up to a created container.
fn start<'d>(args: &MonitorArgs, diag: &'d Diag) -> Result<(Pid, EventLoop<'d>), String> {
    daemon::settle(&args.persist_dir).map_err(|e| e.to_string())?;
    let reaper = Reaper::new().context("cannot watch for child exits")?;
    let log = match (args.log_driver.format(), &args.log_path) {
        (Some(format), Some(path)) => Some(
            LogWriter::open(path, format, args.log_max_size)
                .context(format_args!("cannot open log file {}", path.display()))?,
        ),
        (Some(_), None) => return Err("no --log-path given".into()),
        (None, _) => None,
    };
    let attach = AttachServer::bind(&args.socket_dir).context(format_args!(
        "cannot create the attach socket in {}",
        args.socket_dir.display()
    ))?;
    let runtime_log = RuntimeLog::locate(&args.runtime_args);
    let proxy = if args.notify_proxy {
        Some(notify::bind_proxy().context("cannot create the container's notify socket")?)
    } else {
        None
    };

    let create_failed = |outcome: &runtime::CreateOutcome| {
        runtime::failure_message(&args.runtime, runtime_log.as_ref(), outcome)
    };
    let (io, outcome) = if args.terminal {
        let console = ConsoleSocket::bind().context("cannot create the console socket")?;
        let (stdio, capture) =
            stdio::for_terminal().context("cannot set up the runtime's stdio")?;
        let outcome = runtime::create(
            args,
            stdio,
            Some(console.runtime_path()),
            capture.as_fd(),
            &reaper,
        )
        .map_err(|e| e.to_string())?;
        if outcome.code != 0 {
            return Err(create_failed(&outcome));
        }
        let master = console
            .receive_master()
            .context("cannot receive the container's terminal")?;
        let io = ContainerIo::Terminal {
            master,
            stdin: args.stdin,
        };
        (io, outcome)
    } else {
        let (stdio, ends) =
            stdio::pipes(args.stdin).context("cannot create the container's stdio pipes")?;
        let outcome = runtime::create(args, stdio, None, ends.stderr.as_fd(), &reaper)
            .map_err(|e| e.to_string())?;
        if outcome.code != 0 {
            return Err(create_failed(&outcome));
        }
        (ContainerIo::Pipes(ends), outcome)
    };
    if !outcome.stderr.is_empty() {
        diag.log(format_args!(
            "runtime create said: {}",
            String::from_utf8_lossy(&outcome.stderr).trim()
        ));
    }

    let pid = read_pidfile(&args.pidfile)?;
    let oom = OomWatch::for_pid(pid.as_raw()).unwrap_or_else(|e| {
        diag.log(format_args!("cannot watch for OOM kills: {e}"));
        OomWatch::none()
    });
    let notify = match &args.notify_socket {
        Some(target) => Some(
            notify::Notifier::new(target, proxy, pid.as_raw())
                .context("cannot set up notifying the service manager")?,
        ),
        None => None,
    };
    let parts = LoopParts {
        notify,
        kill_at: (args.timeout_secs > 0)
            .then(|| std::time::Instant::now() + std::time::Duration::from_secs(args.timeout_secs)),
        container: pid,
        reaper,
        io,
        attach,
        log,
        oom,
        health: args.health_command.as_ref().map(|cmd| {
            health::HealthSchedule::new(
                std::time::Duration::from_millis(args.health_interval_ms),
                cmd.clone(),
                args.health_command_args.clone(),
            )
        }),
    };
    let event_loop = EventLoop::new(parts, diag).context("cannot set up the event loop")?;
    Ok((pid, event_loop))
}

/// Reads the container pid the runtime wrote.
fn read_pidfile(path: &Path) -> Result<Pid, String> {
    let text = std::fs::read_to_string(path)
        .context(format_args!("cannot read pid file {}", path.display()))?;
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|pid| *pid > 0)
        .map(Pid::from_raw)
        .ok_or_else(|| format!("pid file {} holds {:?}", path.display(), text))
}

/// After the container exited: OOM marker, exit file, clients, exit
/// command. Returns the monitor's exit status.
fn finish(args: &MonitorArgs, diag: &Diag, finished: Finished) -> i32 {
    let mut status = 0;
    if finished.oom_killed {
        if let Err(e) = File::create(args.persist_dir.join(OOM_FILE)) {
            diag.log(format_args!("cannot create the {OOM_FILE} file: {e}"));
        }
    }
    if let Err(e) = write_exit_file(&args.exit_dir, &args.cid, finished.exit_code) {
        diag.log(format_args!(
            "cannot write exit file (exit code {}) in {}: {e}",
            finished.exit_code,
            args.exit_dir.display()
        ));
        status = 1;
    }
    finished.attach.finish(CLIENT_FLUSH_TIMEOUT);
    if let Some(cmd) = &args.exit_command {
        if cleanup_left_to_monitor(&args.persist_dir) {
            run_exit_command(cmd, &args.exit_command_args, diag);
        }
    }
    status
}

/// Whether the exit command must run: not when an attached caller claimed
/// the clean-up (it holds [`crate::CLEANER_LOCK`]) and did it, leaving
/// [`crate::CLEANED_MARKER`] or removing the directory with the container.
/// A caller that died released its lock without the marker: then the exit
/// command runs, so exactly one party cleans.
fn cleanup_left_to_monitor(dir: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let lock = match File::open(dir.join(crate::CLEANER_LOCK)) {
        Ok(f) => f,
        // No claim: the usual case of a detached container.
        Err(_) => return dir.is_dir(),
    };
    // SAFETY: flock on a descriptor this function owns; it blocks until the
    // caller is done (or gone) and is released when `lock` is dropped.
    loop {
        let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
        if rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    dir.is_dir() && !dir.join(crate::CLEANED_MARKER).exists()
}

/// Runs the exit command with stdio on /dev/null and waits for it.
fn run_exit_command(cmd: &Path, args: &[std::ffi::OsString], diag: &Diag) {
    let status = Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => diag.log(format_args!("exit command {} {s}", cmd.display())),
        Err(e) => diag.log(format_args!(
            "cannot run exit command {}: {e}",
            cmd.display()
        )),
    }
}

/// The sync fd: written once, then closed.
#[derive(Debug)]
struct SyncPipe(Option<File>);

impl SyncPipe {
    /// Takes ownership of the inherited `--sync-fd`, if any.
    fn adopt(fd: Option<RawFd>) -> io::Result<SyncPipe> {
        let Some(fd) = fd else {
            return Ok(SyncPipe(None));
        };
        daemon::check_inherited_fd(fd)?;
        // SAFETY: the fd is open (just checked) and the caller handed it
        // over for the monitor's exclusive use; nothing else in this
        // process refers to it.
        Ok(SyncPipe(Some(unsafe { File::from_raw_fd(fd) })))
    }

    /// Writes `msg` and closes the fd.
    fn send(&mut self, msg: &SyncMessage) -> io::Result<()> {
        let Some(mut file) = self.0.take() else {
            return Ok(());
        };
        let msg = match msg {
            SyncMessage::Error(text) if text.len() > MAX_SYNC_ERROR => {
                let mut cut = MAX_SYNC_ERROR;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                SyncMessage::Error(format!("{}...", &text[..cut]))
            }
            other => other.clone(),
        };
        file.write_all(&msg.encode())
    }

    /// [`send`](Self::send), logging a failure (the caller went away).
    fn report(&mut self, msg: &SyncMessage, diag: &Diag) {
        if let Err(e) = self.send(msg) {
            diag.log(format_args!("cannot write the sync message: {e}"));
        }
    }
}

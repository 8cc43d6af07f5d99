//! Rootless mode: an ordinary user's engine.
//!
//! Run by a user other than root, rpod keeps its files under the user's own
//! directories ([`UserDirs`]) and does its work inside a user namespace of
//! the user's: the user is root there, and the subordinate IDs of
//! `/etc/subuid` and `/etc/subgid` are the other IDs. A small pause process
//! (named `rpod-pause`) keeps that namespace and its mount namespace alive,
//! so that every later command joins the same pair ([`enter`]): the
//! container root file systems and network namespaces mounted by one
//! command are seen by the next. `rpod system migrate` ends the pause
//! process, so the next command builds the namespace from the current
//! ranges.
//!
//! The commands rpod starts from inside (the monitor, its exit command)
//! inherit the namespaces and learn the user from [`UID_ENV`]/[`GID_ENV`].

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, ForkResult, Gid, Pid, Uid};

use crate::error::{Error, Result};

/// The user's UID, set for the processes rpod runs inside the namespace.
pub const UID_ENV: &str = "_RPOD_ROOTLESS_UID";
/// The user's GID, likewise.
pub const GID_ENV: &str = "_RPOD_ROOTLESS_GID";
/// The pause process's name (its `comm`) when no catatonit is installed.
const PAUSE_NAME: &str = "rpod-pause";
/// catatonit's pause mode holds the namespaces in a few hundred KiB (the
/// pause process Podman uses too); without it a fork of rpod waits.
const CATATONIT: &str = "/usr/libexec/podman/catatonit";

/// The user's IDs on the host when rpod runs rootless, whether or not it has
/// joined the namespace yet; `None` for root.
pub fn host_ids() -> Option<(u32, u32)> {
    static IDS: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    *IDS.get_or_init(|| {
        let euid = nix::unistd::geteuid();
        if !euid.is_root() {
            return Some((euid.as_raw(), nix::unistd::getegid().as_raw()));
        }
        // Root inside a user namespace that rpod set up: the variables say
        // whose it is. They count only inside a namespace, so the real root
        // cannot be talked into rootless mode by its environment.
        let uid = std::env::var(UID_ENV).ok()?.parse().ok()?;
        let gid = std::env::var(GID_ENV).ok()?.parse().ok()?;
        in_user_namespace().then_some((uid, gid))
    })
}

/// True when rpod runs for an ordinary user.
pub fn is_rootless() -> bool {
    host_ids().is_some()
}

/// Podman's words when a container cannot be frozen for lack of a cgroup.
pub const PAUSE_UNSUPPORTED: &str =
    "can not pause containers on rootless containers with cgroup V1: this container does not have a cgroup";

/// Why this engine cannot use cgroups of its own, when it cannot: rootless
/// with no cgroup delegated to the user (always so on cgroup v1, where
/// Podman likewise sets no limits for rootless containers).
pub fn cgroups_unavailable() -> Option<String> {
    if !is_rootless() {
        return None;
    }
    let v1 = ocirt::cgroup_mode() != ocirt::CgroupMode::Unified;
    Some(if v1 {
        "rootless mode: resource limits are not supported on cgroups V1 rootless systems (no cgroup can be delegated to an ordinary user)".into()
    } else {
        "rootless mode: no cgroup is delegated to this user, so resource limits cannot be set"
            .into()
    })
}

/// True when this process is not in the host's (initial) user namespace.
pub fn in_user_namespace() -> bool {
    match std::fs::read_to_string("/proc/self/uid_map") {
        Ok(map) => {
            let fields: Vec<&str> = map.split_whitespace().collect();
            fields != ["0", "0", "4294967295"]
        }
        Err(_) => false,
    }
}

/// Where an ordinary user's files go: XDG's directories, as Podman uses them.
#[derive(Debug, Clone)]
pub struct UserDirs {
    /// `$XDG_DATA_HOME`, default `~/.local/share`.
    pub data: PathBuf,
    /// `$XDG_RUNTIME_DIR`, else `/run/user/UID` when the user owns it, else
    /// a private `/tmp/rpod-run-UID`.
    pub runtime: PathBuf,
    /// `$XDG_CONFIG_HOME`, default `~/.config`.
    pub config: PathBuf,
}

impl UserDirs {
    /// The directories of the user `uid` (the one running rpod).
    pub fn of(uid: u32) -> Result<UserDirs> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                nix::unistd::User::from_uid(Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.dir)
            })
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "rootless mode: user {uid} has neither $HOME nor a home directory"
                ))
            })?;
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(fallback))
        };
        Ok(UserDirs {
            data: xdg("XDG_DATA_HOME", ".local/share"),
            config: xdg("XDG_CONFIG_HOME", ".config"),
            runtime: runtime_dir(uid)?,
        })
    }

    /// The user's rpod root (`~/.local/share/rpod`).
    pub fn root(&self) -> PathBuf {
        self.data.join("rpod")
    }

    /// The user's rpod run root (`$XDG_RUNTIME_DIR/rpod`).
    pub fn run_root(&self) -> PathBuf {
        self.runtime.join("rpod")
    }

    /// The user's configuration file (`~/.config/rpod/rpod.conf`).
    pub fn config_file(&self) -> PathBuf {
        self.config.join("rpod").join("rpod.conf")
    }

    /// Where the pause process's PID and lock are kept: outside the run
    /// root, which `system reset` empties.
    fn userns_dir(&self) -> PathBuf {
        self.runtime.join("rpod-userns")
    }
}

/// The directories of the rootless user, when rpod runs rootless.
pub fn user_dirs() -> Option<Result<UserDirs>> {
    host_ids().map(|(uid, _)| UserDirs::of(uid))
}

/// `$XDG_RUNTIME_DIR` if set; else `/run/user/UID` if the user owns it; else
/// `/tmp/rpod-run-UID`, made private to the user (and refused when someone
/// else owns it or it is a symbolic link).
fn runtime_dir(uid: u32) -> Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(dir);
    }
    let owned = |p: &Path| {
        std::fs::symlink_metadata(p)
            .map(|m| m.is_dir() && m.uid() == uid)
            .unwrap_or(false)
    };
    let run_user = PathBuf::from(format!("/run/user/{uid}"));
    if owned(&run_user) {
        return Ok(run_user);
    }
    let tmp = std::env::temp_dir().join(format!("rpod-run-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::Io {
                context: format!("creating the run-time directory {}", tmp.display()),
                source: e,
            })
        }
    }
    // The owner's UID here is the host's: inside the namespace rpod is
    // root, and the user's own files show as root's.
    let me = nix::unistd::geteuid().as_raw();
    let meta = std::fs::symlink_metadata(&tmp).map_err(|e| Error::Io {
        context: format!("reading {}", tmp.display()),
        source: e,
    })?;
    if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o022 != 0 {
        return Err(Error::Unsupported(format!(
            "rootless mode: {} is not a private directory of user {uid}; set XDG_RUNTIME_DIR",
            tmp.display()
        )));
    }
    Ok(tmp)
}

/// A user's subordinate ID range (`/etc/subuid` or `/etc/subgid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub start: u32,
    pub count: u32,
}

/// The ranges of `user` (matched by name or by ID) in a subordinate ID file's
/// text (`name:start:count` lines).
pub fn parse_subid(text: &str, name: &str, id: u32) -> Vec<IdRange> {
    let id = id.to_string();
    text.lines()
        .filter_map(|line| {
            let mut f = line.trim().split(':');
            let (who, start, count) = (f.next()?, f.next()?, f.next()?);
            if who != name && who != id {
                return None;
            }
            Some(IdRange {
                start: start.parse().ok()?,
                count: count.parse().ok().filter(|c| *c > 0)?,
            })
        })
        .collect()
}

/// The user's ranges from `/etc/subuid` (`gid` false) or `/etc/subgid`.
fn subordinate_ranges(uid: u32, gid: bool) -> Vec<IdRange> {
    let name = nix::unistd::User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_default();
    let file = if gid { "/etc/subgid" } else { "/etc/subuid" };
    let text = std::fs::read_to_string(file).unwrap_or_default();
    parse_subid(&text, &name, uid)
}

/// Joins the user's namespace, making it (and its pause process) first
/// when there is none. Must be called while the process has one thread.
/// Does nothing for root, or when already inside.
pub fn enter() -> Result<()> {
    let euid = nix::unistd::geteuid();
    if euid.is_root() {
        return Ok(());
    }
    let (uid, gid) = (euid.as_raw(), nix::unistd::getegid().as_raw());
    let dirs = UserDirs::of(uid)?;
    // Later commands (the monitor's exit command among them) find the same
    // directory even when it is a fallback.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", &dirs.runtime);
    }
    let dir = dirs.userns_dir();
    crate::fsutil::ensure_private_dir(&dir, 0o700)?;
    let lock = crate::lock::lock_exclusive(&dir.join("pause.lock"))?;
    let pid_file = dir.join("pause.pid");
    let pid = match live_pause(&pid_file) {
        Some(pid) => pid,
        None => {
            let pid = spawn_pause(uid, gid)?;
            let record = format!("{pid} {}", start_time(pid).unwrap_or_default());
            std::fs::write(&pid_file, record).map_err(|e| Error::Io {
                context: format!("writing {}", pid_file.display()),
                source: e,
            })?;
            pid
        }
    };
    drop(lock);
    join(pid)?;
    std::env::set_var(UID_ENV, uid.to_string());
    std::env::set_var(GID_ENV, gid.to_string());
    Ok(())
}

/// Ends the user's pause process (`system migrate`), so that the next
/// command makes a new namespace from the current subordinate ranges.
/// Returns whether there was one.
pub fn end_pause_process() -> Result<bool> {
    let Some((uid, _)) = host_ids() else {
        return Ok(false);
    };
    let dirs = UserDirs::of(uid)?;
    let dir = dirs.userns_dir();
    if !dir.exists() {
        return Ok(false);
    }
    let _lock = crate::lock::lock_exclusive(&dir.join("pause.lock"))?;
    let pid_file = dir.join("pause.pid");
    let Some(pid) = live_pause(&pid_file) else {
        return Ok(false);
    };
    let _ = nix::sys::signal::kill(Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    let _ = std::fs::remove_file(&pid_file);
    Ok(true)
}

/// The PID in `pid_file` when it is the user's live pause process: the
/// file holds the PID and the process's start time, so a PID used again by
/// another process does not count, and the process belongs to this
/// process's effective user (the user outside the namespace, root inside).
fn live_pause(pid_file: &Path) -> Option<i32> {
    use std::os::unix::fs::MetadataExt;
    let uid = nix::unistd::geteuid().as_raw();
    let text = std::fs::read_to_string(pid_file).ok()?;
    let mut fields = text.split_whitespace();
    let pid: i32 = fields.next()?.parse().ok()?;
    let started: u64 = fields.next()?.parse().ok()?;
    let owner = std::fs::metadata(format!("/proc/{pid}")).ok()?.uid();
    (owner == uid && start_time(pid) == Some(started)).then_some(pid)
}

/// A process's start time (clock ticks since boot, `/proc/PID/stat` field 22).
fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: count after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Makes the namespace pair and its pause process; returns the pause PID.
///
/// A child unshares its user and mount namespaces and waits; this process
/// writes the child's ID maps (`newuidmap`/`newgidmap` with the user's
/// subordinate ranges, or just the user when there are none); the child
/// then forks the pause process, which holds both namespaces until killed,
/// and exits.
fn spawn_pause(uid: u32, gid: u32) -> Result<i32> {
    let pipe = || {
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| Error::Io {
            context: "making a pipe for the user namespace".into(),
            source: e.into(),
        })
    };
    let (ready_r, ready_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let (pid_r, pid_w) = pipe()?;
    // SAFETY: rpod calls this before it starts any thread; the child only
    // makes system calls and exits.
    match unsafe { fork() } {
        Err(e) => Err(Error::Io {
            context: "forking the pause process".into(),
            source: e.into(),
        }),
        Ok(ForkResult::Child) => {
            drop((ready_r, go_w, pid_r));
            pause_child(ready_w, go_r, pid_w)
        }
        Ok(ForkResult::Parent { child }) => {
            drop((ready_w, go_r, pid_w));
            let result = map_and_release(child, uid, gid, ready_r, go_w, pid_r);
            let _ = waitpid(child, None);
            result
        }
    }
}

/// The parent's half of [`spawn_pause`].
fn map_and_release(
    child: Pid,
    uid: u32,
    gid: u32,
    ready_r: OwnedFd,
    go_w: OwnedFd,
    pid_r: OwnedFd,
) -> Result<i32> {
    let mut ready = File::from(ready_r);
    let mut byte = [0u8; 1];
    if ready.read_exact(&mut byte).is_err() || byte[0] != 1 {
        return Err(Error::Unsupported(
            "rootless mode: cannot create a user namespace (is user.max_user_namespaces 0?)".into(),
        ));
    }
    let mut go = File::from(go_w);
    if let Err(e) = write_maps(child, uid, gid) {
        let _ = go.write_all(&[0]);
        return Err(e);
    }
    let _ = go.write_all(&[1]);
    drop(go);
    let mut text = String::new();
    let _ = File::from(pid_r).read_to_string(&mut text);
    text.trim()
        .parse()
        .map_err(|_| Error::Unsupported("rootless mode: the pause process did not start".into()))
}

/// Writes the ID maps of `child`'s new user namespace.
fn write_maps(child: Pid, uid: u32, gid: u32) -> Result<()> {
    let uids = subordinate_ranges(uid, false);
    let gids = subordinate_ranges(uid, true);
    if !uids.is_empty() && !gids.is_empty() {
        new_id_map("newuidmap", child, uid, &uids)?;
        new_id_map("newgidmap", child, gid, &gids)?;
        return Ok(());
    }
    crate::diagnostics::warn(format!(
        "rpod: warning: no subordinate IDs for user {uid} in /etc/subuid and /etc/subgid: only the user itself is mapped into the user namespace, so images with files of other users cannot be used"
    ));
    let write = |name: &str, text: String| {
        std::fs::write(format!("/proc/{child}/{name}"), text).map_err(|e| Error::Io {
            context: format!("writing the user namespace's {name}"),
            source: e,
        })
    };
    write("uid_map", format!("0 {uid} 1\n"))?;
    write("setgroups", "deny".into())?;
    write("gid_map", format!("0 {gid} 1\n"))
}

/// Runs `newuidmap`/`newgidmap`: the user as 0, the ranges from 1 on.
fn new_id_map(tool: &str, child: Pid, id: u32, ranges: &[IdRange]) -> Result<()> {
    let mut args = vec![child.to_string(), "0".into(), id.to_string(), "1".into()];
    let mut next = 1u64;
    for r in ranges {
        args.extend([next.to_string(), r.start.to_string(), r.count.to_string()]);
        next += u64::from(r.count);
    }
    let out = Command::new(tool).args(&args).output().map_err(|e| {
        Error::Unsupported(format!(
            "rootless mode needs {tool} (Debian package uidmap) to map the subordinate IDs: {e}"
        ))
    })?;
    if !out.status.success() {
        return Err(Error::Unsupported(format!(
            "rootless mode: {tool} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// The child's half of [`spawn_pause`]; never returns.
fn pause_child(ready_w: OwnedFd, go_r: OwnedFd, pid_w: OwnedFd) -> ! {
    let mut ready = File::from(ready_w);
    let ok = unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS).is_ok();
    let _ = ready.write_all(&[u8::from(ok)]);
    let mut byte = [0u8; 1];
    if !ok || File::from(go_r).read_exact(&mut byte).is_err() || byte[0] != 1 {
        // SAFETY: _exit ends the forked child without running the parent's
        // exit handlers.
        unsafe { nix::libc::_exit(1) }
    }
    // SAFETY: as above; the grandchild is the pause process.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {}
        Ok(ForkResult::Parent { child }) => {
            let _ = File::from(pid_w).write_all(child.to_string().as_bytes());
            unsafe { nix::libc::_exit(0) }
        }
        Err(_) => unsafe { nix::libc::_exit(1) },
    }
    drop(pid_w);
    let _ = nix::unistd::setsid();
    let _ = nix::sys::prctl::set_name(&std::ffi::CString::new(PAUSE_NAME).unwrap_or_default());
    let _ = nix::unistd::chdir("/");
    if let Ok(null) = File::options().read(true).write(true).open("/dev/null") {
        for fd in 0..3 {
            let _ = nix::unistd::dup2(null.as_raw_fd(), fd);
        }
    }
    // SAFETY: closes every descriptor above stdio; nothing else runs here.
    unsafe { nix::libc::syscall(nix::libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    for sig in [
        nix::sys::signal::Signal::SIGHUP,
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGPIPE,
        nix::sys::signal::Signal::SIGTERM,
    ] {
        // SAFETY: ignoring a signal installs no handler code.
        let _ = unsafe { nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigIgn) };
    }
    if Path::new(CATATONIT).is_file() {
        let prog = std::ffi::CString::new(CATATONIT).unwrap_or_default();
        let flag = std::ffi::CString::new("-P").unwrap_or_default();
        let _ = nix::unistd::execv(&prog, &[prog.as_c_str(), flag.as_c_str()]);
    }
    loop {
        nix::unistd::pause();
    }
}

/// Joins the pause process's user and mount namespaces, as root there,
/// keeping the working directory.
fn join(pid: i32) -> Result<()> {
    let cwd = std::env::current_dir().ok();
    let open = |kind: &str| {
        File::open(format!("/proc/{pid}/ns/{kind}")).map_err(|e| Error::Io {
            context: format!("opening the pause process's {kind} namespace"),
            source: e,
        })
    };
    let (user, mnt) = (open("user")?, open("mnt")?);
    let fail = |what: &str, e: nix::Error| Error::Io {
        context: format!("joining the rootless {what} namespace"),
        source: e.into(),
    };
    setns(user.as_fd(), CloneFlags::CLONE_NEWUSER).map_err(|e| fail("user", e))?;
    setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS).map_err(|e| fail("mount", e))?;
    let root = (Uid::from_raw(0), Gid::from_raw(0));
    nix::unistd::setresgid(root.1, root.1, root.1).map_err(|e| fail("user", e))?;
    nix::unistd::setresuid(root.0, root.0, root.0).map_err(|e| fail("user", e))?;
    if let Some(dir) = cwd {
        let _ = std::env::set_current_dir(dir);
    }
    Ok(())
}

/// `unshare --rootless-netns`: joins (making it first when needed) the
/// rootless network namespace of the engine at `paths`. Call after
/// [`enter`].
pub fn join_rootless_netns(paths: &crate::paths::Paths) -> Result<()> {
    let ns = network::rootless_netns::RootlessNetns::new(&paths.netns_dir()).ensure()?;
    let file = File::open(&ns).map_err(|e| Error::Io {
        context: format!("opening {}", ns.display()),
        source: e,
    })?;
    setns(file.as_fd(), CloneFlags::CLONE_NEWNET).map_err(|e| Error::Io {
        context: "joining the rootless network namespace".into(),
        source: e.into(),
    })
}

/// True when group `gid` of this namespace maps to a host group.
pub fn gid_mapped(gid: u32) -> bool {
    let (_, map) = id_maps();
    map.lines().any(|l| {
        let f: Vec<u64> = l
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        f.len() == 3 && f[0] <= u64::from(gid) && u64::from(gid) < f[0] + f[2]
    })
}

/// `rpod unshare`: the ID maps of the user's namespace, as `/proc` shows
/// them (inside ID, host ID, count).
pub fn id_maps() -> (String, String) {
    let read = |f: &str| std::fs::read_to_string(format!("/proc/self/{f}")).unwrap_or_default();
    (read("uid_map"), read("gid_map"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subordinate_ranges_match_by_name_or_id() {
        let text = "alice:100000:65536\n1001:300000:10\nbob:200000:65536\nbad:x:1\nalice:1:0\n";
        assert_eq!(
            parse_subid(text, "alice", 1001),
            vec![
                IdRange {
                    start: 100000,
                    count: 65536
                },
                IdRange {
                    start: 300000,
                    count: 10
                }
            ]
        );
        assert!(parse_subid(text, "carol", 5).is_empty());
    }

    #[test]
    fn root_is_not_rootless() {
        if nix::unistd::geteuid().is_root() && !in_user_namespace() {
            assert!(!is_rootless());
        }
    }
}

//! User namespaces (`--userns`, `--uidmap`, `--gidmap`, `--subuidname`,
//! `--subgidname`): parsing the flags as Podman does, allocating ranges for
//! `--userns auto` from the `containers` user's subordinate IDs, and what the
//! rest of the engine needs (maps for the spec and for the root file system,
//! owners for the files the container gets).

use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
pub use storage::{map_to_host, IdMapping, IdMaps};

use super::Container;
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// The user whose `/etc/subuid` and `/etc/subgid` ranges `--userns auto`
/// takes IDs from (Podman's `root-auto-userns-user` default).
pub const AUTO_USER: &str = "containers";
/// `--userns auto` maps at least this many IDs (Podman's `auto-userns-min-size`).
pub const AUTO_MIN_SIZE: u32 = 1024;
/// The most a `size` may ask for.
pub const AUTO_MAX_SIZE: u32 = 65536;
const SUBUID: &str = "/etc/subuid";
const SUBGID: &str = "/etc/subgid";

/// How the container's user namespace is set up.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UsernsMode {
    /// The host's (no user namespace).
    #[default]
    Host,
    /// A namespace of its own with a range picked from the `containers`
    /// user's subordinate IDs.
    Auto(AutoOptions),
    /// A namespace of its own with the maps given (`--uidmap`, `--subuidname`, …).
    Private,
    /// The namespace at this path (`ns:PATH`).
    Path(PathBuf),
    /// Another container's (its ID once created).
    Container(String),
    /// Rootless: a namespace of its own where the user keeps its own ID
    /// (`keep-id[:uid=U,gid=G]`: the user is U:G inside, the user's own
    /// IDs by default) and the subordinate IDs fill the rest.
    KeepId { uid: Option<u32>, gid: Option<u32> },
    /// Rootless: a namespace of its own without the user in it, only the
    /// subordinate IDs.
    NoMap,
}

/// The options of `--userns auto:…`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AutoOptions {
    /// `size=N`; unset (or 0) picks the image's highest ID + 1, at least 1024.
    pub size: Option<u32>,
    /// `uidmapping=C:H:S`: lines forced into the uid map.
    pub uidmapping: Vec<IdMapping>,
    /// `gidmapping=C:H:S`.
    pub gidmapping: Vec<IdMapping>,
}

/// What the flags ask for, before ranges are picked.
#[derive(Debug, Clone, Default)]
pub struct UsernsOptions {
    /// `--userns`; `None` when not given.
    pub mode: Option<UsernsMode>,
    pub uid_maps: Vec<IdMapping>,
    pub gid_maps: Vec<IdMapping>,
    pub subuidname: Option<String>,
    pub subgidname: Option<String>,
}

/// A container's user namespace as recorded in its configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct UsernsConfig {
    pub mode: UsernsMode,
    /// The maps (empty in the host's namespace; for `ns:` and `container:`
    /// those of the namespace when the container was created).
    #[serde(default)]
    pub maps: IdMaps,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

/// Parses `C:H:S`; `kind` is `UID` or `GID` (for Podman's message).
pub fn parse_mapping(kind: &str, text: &str) -> Result<IdMapping> {
    let bad = || {
        invalid(format!(
            "initializing ID mappings: {kind} setting is malformed expected [\"uint32:uint32:uint32\"]: [{text:?}]"
        ))
    };
    let parts: Vec<&str> = text.split(':').collect();
    let [c, h, s] = parts.as_slice() else {
        return Err(bad());
    };
    let num = |v: &str| v.trim().parse::<u32>().map_err(|_| bad());
    Ok(IdMapping {
        container: num(c)?,
        host: num(h)?,
        size: num(s)?,
    })
}

impl UsernsMode {
    /// Parses `--userns`.
    pub fn parse(text: &str) -> Result<UsernsMode> {
        let (kind, rest) = match text.split_once(':') {
            Some((k, r)) => (k, Some(r)),
            None => (text, None),
        };
        match (kind, rest) {
            ("" | "host", None) => Ok(UsernsMode::Host),
            ("auto", rest) => Ok(UsernsMode::Auto(AutoOptions::parse(rest.unwrap_or(""))?)),
            ("keep-id" | "nomap", _) if !crate::rootless::is_rootless() => Err(invalid(format!(
                "{kind} is only supported in rootless mode"
            ))),
            ("nomap", None) => Ok(UsernsMode::NoMap),
            ("keep-id", rest) => {
                let (mut uid, mut gid) = (None, None);
                for opt in rest.unwrap_or("").split(',').filter(|o| !o.is_empty()) {
                    let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
                    let n = v.parse::<u32>().map_err(|_| {
                        invalid(format!("cannot parse {k} value {v:?} of --userns keep-id"))
                    });
                    match k {
                        "uid" => uid = Some(n?),
                        "gid" => gid = Some(n?),
                        _ => return Err(invalid(format!("unknown option specified: {k:?}"))),
                    }
                }
                Ok(UsernsMode::KeepId { uid, gid })
            }
            ("ns", Some(path)) if !path.is_empty() => Ok(UsernsMode::Path(PathBuf::from(path))),
            ("container", Some(id)) if !id.is_empty() => Ok(UsernsMode::Container(id.into())),
            _ => Err(invalid(format!(
                "unrecognized namespace mode {text} passed"
            ))),
        }
    }

    /// `HostConfig.UsernsMode` as Podman shows it.
    pub fn display(&self) -> String {
        match self {
            UsernsMode::Host | UsernsMode::Auto(_) => String::new(),
            UsernsMode::KeepId { .. } => "keep-id".into(),
            UsernsMode::NoMap => "nomap".into(),
            UsernsMode::Private => "private".into(),
            UsernsMode::Path(p) => format!("ns:{}", p.display()),
            UsernsMode::Container(id) => format!("container:{id}"),
        }
    }
}

impl AutoOptions {
    /// Parses the comma-separated options after `auto:`.
    pub fn parse(text: &str) -> Result<AutoOptions> {
        let mut out = AutoOptions::default();
        for opt in text.split(',').filter(|o| !o.is_empty()) {
            let (key, value) = opt.split_once('=').unwrap_or((opt, ""));
            match key {
                "size" => {
                    let n: u32 = value.parse().map_err(|_| {
                        invalid(format!(
                            "strconv.ParseUint: parsing {value:?}: invalid syntax"
                        ))
                    })?;
                    if n > AUTO_MAX_SIZE {
                        return Err(invalid(format!(
                            "invalid --userns auto size {n}: the most is {AUTO_MAX_SIZE}"
                        )));
                    }
                    out.size = (n > 0).then_some(n);
                }
                "uidmapping" => out.uidmapping.push(parse_mapping("UID", value)?),
                "gidmapping" => out.gidmapping.push(parse_mapping("GID", value)?),
                _ => return Err(invalid(format!("unknown option specified: {key:?}"))),
            }
        }
        Ok(out)
    }
}

impl UsernsOptions {
    /// The flags, parsed and checked against each other.
    pub fn parse(
        userns: Option<&str>,
        uidmap: &[String],
        gidmap: &[String],
        subuidname: Option<&str>,
        subgidname: Option<&str>,
    ) -> Result<UsernsOptions> {
        let mode = userns.map(UsernsMode::parse).transpose()?;
        let maps_given = !uidmap.is_empty()
            || !gidmap.is_empty()
            || subuidname.is_some()
            || subgidname.is_some();
        if mode.is_some() && maps_given {
            return Err(invalid(
                "--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive",
            ));
        }
        Ok(UsernsOptions {
            mode,
            uid_maps: uidmap
                .iter()
                .map(|m| parse_mapping("UID", m))
                .collect::<Result<_>>()?,
            gid_maps: gidmap
                .iter()
                .map(|m| parse_mapping("GID", m))
                .collect::<Result<_>>()?,
            subuidname: subuidname.map(str::to_string),
            subgidname: subgidname.map(str::to_string),
        })
    }

    /// Whether creating needs the allocation lock (`--userns auto`).
    pub fn is_auto(&self) -> bool {
        matches!(self.mode, Some(UsernsMode::Auto(_)))
    }
}

/// A user's ranges in a subordinate ID file, as maps from container ID 0 on.
fn sub_ranges(file: &str, user: &str) -> Result<Vec<IdMapping>> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let uid = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .map(|u| u.uid.as_raw().to_string());
    let mut out = Vec::new();
    let mut next = 0u32;
    for line in text.lines() {
        let parts: Vec<&str> = line.trim().split(':').collect();
        let [name, start, count] = parts.as_slice() else {
            continue;
        };
        if *name != user && Some(name.to_string()) != uid {
            continue;
        }
        let (Ok(start), Ok(count)) = (start.parse::<u32>(), count.parse::<u32>()) else {
            continue;
        };
        if count == 0 {
            continue;
        }
        out.push(IdMapping {
            container: next,
            host: start,
            size: count,
        });
        next = next.saturating_add(count);
    }
    if out.is_empty() {
        let kind = if file == SUBUID { "subuid" } else { "subgid" };
        return Err(invalid(format!(
            "no {kind} ranges found for user {user:?} in {file}"
        )));
    }
    Ok(out)
}

/// Rootless: the subordinate IDs of the user's namespace (every ID there
/// but 0, the user), as `/proc/self/uid_map` and `gid_map` show them.
fn own_ranges() -> Result<(Vec<IdMapping>, Vec<IdMapping>)> {
    let (uid, gid) = crate::rootless::id_maps();
    let ranges = |kind: &str, text: &str| -> Result<Vec<IdMapping>> {
        let out: Vec<IdMapping> = parse_map_text(text)
            .into_iter()
            .filter_map(|m| {
                // Inside IDs are what a nested namespace maps to.
                let (start, size) = if m.container == 0 {
                    (1, m.size.checked_sub(1)?)
                } else {
                    (m.container, m.size)
                };
                (size > 0).then_some(IdMapping {
                    container: 0,
                    host: start,
                    size,
                })
            })
            .collect();
        if out.is_empty() {
            return Err(invalid(format!(
                "rootless mode: the user namespace has no subordinate {kind}s (add a range for the user to /etc/sub{kind} and run rpod system migrate)"
            )));
        }
        Ok(out)
    };
    Ok((ranges("uid", &uid)?, ranges("gid", &gid)?))
}

/// `keep-id`'s map: container IDs below `id` from the subordinate IDs, `id`
/// the user itself (0 in the user's namespace), the rest above it.
fn keep_id_map(id: u32, sub: &[IdMapping]) -> Vec<IdMapping> {
    let mut out = Vec::new();
    let mut container = 0u32;
    let push = |out: &mut Vec<IdMapping>, container: &mut u32, host: u32, size: u32| {
        if size > 0 {
            out.push(IdMapping {
                container: *container,
                host,
                size,
            });
            *container = container.saturating_add(size);
        }
    };
    // Walk the subordinate ranges, leaving a hole at `id` for the user.
    let mut placed = false;
    for r in sub {
        let (mut host, mut left) = (r.host, r.size);
        while left > 0 {
            if !placed && container == id {
                out.push(IdMapping {
                    container: id,
                    host: 0,
                    size: 1,
                });
                container += 1;
                placed = true;
            }
            let room = if placed {
                left
            } else {
                left.min(id - container)
            };
            push(&mut out, &mut container, host, room);
            host += room;
            left -= room;
        }
    }
    if !placed {
        // Fewer subordinate IDs than `id`: the user sits above them all.
        out.push(IdMapping {
            container: id,
            host: 0,
            size: 1,
        });
    }
    out
}

/// The lowest free block of `size` host IDs inside `available`, avoiding
/// `taken` (host ranges as `(start, end)`).
fn free_block(available: &[IdMapping], taken: &[(u64, u64)], size: u32) -> Option<u32> {
    let mut taken = taken.to_vec();
    taken.sort();
    for range in available {
        let end = range.host as u64 + range.size as u64;
        let mut cursor = range.host as u64;
        for &(t_start, t_end) in &taken {
            if t_end <= cursor || t_start >= end {
                continue;
            }
            if cursor + size as u64 <= t_start {
                break;
            }
            cursor = cursor.max(t_end);
        }
        if cursor + size as u64 <= end {
            return u32::try_from(cursor).ok();
        }
    }
    None
}

/// An `auto` map: `size` container IDs from 0, the forced lines as given,
/// the rest filled in order from one free block of the available ranges.
fn auto_map(
    available: &[IdMapping],
    taken: &[(u64, u64)],
    size: u32,
    forced: &[IdMapping],
) -> Result<Vec<IdMapping>> {
    let mut holes: Vec<(u32, u32)> = Vec::new();
    let mut id = 0u32;
    let mut sorted = forced.to_vec();
    sorted.sort_by_key(|m| m.container);
    for m in &sorted {
        if m.container > id && id < size {
            holes.push((id, m.container.min(size) - id));
        }
        id = id.max(m.container.saturating_add(m.size));
    }
    if id < size {
        holes.push((id, size - id));
    }
    let needed: u32 = holes.iter().map(|h| h.1).sum();
    let mut taken = taken.to_vec();
    taken.extend(
        forced
            .iter()
            .map(|m| (m.host as u64, m.host as u64 + m.size as u64)),
    );
    let mut out = Vec::new();
    if needed > 0 {
        let base = free_block(available, &taken, needed).ok_or_else(|| {
            invalid("creating container storage: could not find enough available IDs")
        })?;
        let mut host = base;
        for (container, len) in holes {
            out.push(IdMapping {
                container,
                host,
                size: len,
            });
            host += len;
        }
    }
    out.extend(forced.iter().copied());
    Ok(out)
}

fn host_ranges(map: &[IdMapping]) -> impl Iterator<Item = (u64, u64)> + '_ {
    map.iter()
        .map(|m| (m.host as u64, m.host as u64 + m.size as u64))
}

/// Refuses maps the runtime cannot use.
fn check_maps(maps: &IdMaps) -> Result<()> {
    let show = |m: &[IdMapping]| {
        m.iter()
            .map(|l| format!("{}:{}:{}", l.container, l.host, l.size))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (kind, map) in [("UID", &maps.uid), ("GID", &maps.gid)] {
        if map_to_host(map, 0).is_none() {
            return Err(invalid(format!(
                "container uses ID mappings ({}), but doesn't map {kind} 0",
                show(map)
            )));
        }
        if map.len() > 340 {
            return Err(invalid(format!(
                "too many {kind} mappings: the most is 340"
            )));
        }
    }
    Ok(())
}

impl Runtime {
    /// Resolves the user namespace of a new container. `image` is its image
    /// (for `auto`'s default size); `dependencies` gets a joined container.
    /// For `auto` the caller holds [`Runtime::userns_lock`] until the
    /// container is in the database.
    pub(crate) fn resolve_userns(
        &self,
        opts: &UsernsOptions,
        image: Option<&str>,
        dependencies: &mut Vec<String>,
    ) -> Result<UsernsConfig> {
        let mode = match &opts.mode {
            Some(m) => m.clone(),
            None if !opts.uid_maps.is_empty()
                || !opts.gid_maps.is_empty()
                || opts.subuidname.is_some()
                || opts.subgidname.is_some() =>
            {
                UsernsMode::Private
            }
            None => UsernsMode::Host,
        };
        let maps = match &mode {
            UsernsMode::Host => IdMaps::default(),
            UsernsMode::Private => {
                let mut uid = opts.uid_maps.clone();
                let mut gid = opts.gid_maps.clone();
                if uid.is_empty() {
                    if let Some(name) = opts.subuidname.as_deref().or(opts.subgidname.as_deref()) {
                        uid = sub_ranges(SUBUID, name)?;
                    }
                }
                if gid.is_empty() {
                    if let Some(name) = opts.subgidname.as_deref().or(opts.subuidname.as_deref()) {
                        gid = sub_ranges(SUBGID, name)?;
                    }
                }
                // One map given: the other follows it, as Podman does.
                if uid.is_empty() {
                    uid = gid.clone();
                }
                if gid.is_empty() {
                    gid = uid.clone();
                }
                let maps = IdMaps { uid, gid };
                check_maps(&maps)?;
                maps
            }
            UsernsMode::Auto(auto) => {
                let size = match auto.size {
                    Some(n) => n,
                    None => match image {
                        Some(reference) => {
                            let max = self.store()?.image_max_id(reference)?;
                            max.saturating_add(1).clamp(AUTO_MIN_SIZE, AUTO_MAX_SIZE)
                        }
                        None => AUTO_MIN_SIZE,
                    },
                };
                let rootless = if crate::rootless::is_rootless() {
                    Some(own_ranges()?)
                } else {
                    None
                };
                let uid_avail = match &rootless {
                    Some((uid, _)) => Ok(uid.clone()),
                    None => sub_ranges(SUBUID, AUTO_USER),
                }
                .map_err(|e| {
                    invalid(format!(
                        "creating container storage: could not find enough available IDs: {}",
                        e
                    ))
                })?;
                let gid_avail = match &rootless {
                    Some((_, gid)) => Ok(gid.clone()),
                    None => sub_ranges(SUBGID, AUTO_USER),
                }
                .map_err(|e| {
                    invalid(format!(
                        "creating container storage: could not find enough available IDs: {}",
                        e
                    ))
                })?;
                let (mut uid_taken, mut gid_taken) = (Vec::new(), Vec::new());
                for (config, _) in self.db.all_containers()? {
                    uid_taken.extend(host_ranges(&config.userns.maps.uid));
                    gid_taken.extend(host_ranges(&config.userns.maps.gid));
                }
                let maps = IdMaps {
                    uid: auto_map(&uid_avail, &uid_taken, size, &auto.uidmapping)?,
                    gid: auto_map(&gid_avail, &gid_taken, size, &auto.gidmapping)?,
                };
                check_maps(&maps)?;
                maps
            }
            UsernsMode::KeepId { uid, gid } => {
                let (host_uid, host_gid) = crate::rootless::host_ids().unwrap_or((0, 0));
                let (sub_uid, sub_gid) = own_ranges()?;
                let maps = IdMaps {
                    uid: keep_id_map(uid.unwrap_or(host_uid), &sub_uid),
                    gid: keep_id_map(gid.unwrap_or(host_gid), &sub_gid),
                };
                check_maps(&maps)?;
                maps
            }
            UsernsMode::NoMap => {
                let (uid, gid) = own_ranges()?;
                let renumber = |ranges: Vec<IdMapping>| {
                    let mut next = 0u32;
                    ranges
                        .into_iter()
                        .map(|r| {
                            let m = IdMapping {
                                container: next,
                                host: r.host,
                                size: r.size,
                            };
                            next = next.saturating_add(r.size);
                            m
                        })
                        .collect::<Vec<_>>()
                };
                let maps = IdMaps {
                    uid: renumber(uid),
                    gid: renumber(gid),
                };
                check_maps(&maps)?;
                maps
            }
            UsernsMode::Path(path) => {
                std::fs::metadata(path).map_err(|e| {
                    invalid(format!(
                        "cannot find specified user namespace path: stat {}: {}",
                        path.display(),
                        go_reason(&e)
                    ))
                })?;
                namespace_maps(path).unwrap_or_default()
            }
            UsernsMode::Container(name) => {
                let id = self.db.resolve(name).map_err(|e| {
                    invalid(format!(
                        "looking up container to share user namespace with: {}",
                        e
                    ))
                })?;
                if !dependencies.contains(&id) {
                    dependencies.push(id.clone());
                }
                let other = self.container(&id)?;
                let maps = other.config.userns.maps.clone();
                return Ok(UsernsConfig {
                    mode: UsernsMode::Container(id),
                    maps,
                });
            }
        };
        Ok(UsernsConfig { mode, maps })
    }

    /// The lock held while an `auto` range is picked and recorded.
    pub(crate) fn userns_lock(&self) -> Result<crate::lock::LockGuard> {
        crate::lock::lock_exclusive(&self.paths.lock_dir().join("userns-auto.lock"))
    }
}

/// An I/O error as Go prints it.
fn go_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn parse_map_text(text: &str) -> Vec<IdMapping> {
    text.lines()
        .filter_map(|l| {
            let n: Vec<u32> = l
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            match n.as_slice() {
                [c, h, s] => Some(IdMapping {
                    container: *c,
                    host: *h,
                    size: *s,
                }),
                _ => None,
            }
        })
        .collect()
}

/// The maps of the user namespace at `path`: read by a child that joins it
/// (`/proc/self/uid_map` there shows them relative to the host).
pub fn namespace_maps(path: &Path) -> Option<IdMaps> {
    if let Some(pid) = path
        .to_str()
        .and_then(|p| p.strip_prefix("/proc/"))
        .and_then(|p| p.strip_suffix("/ns/user"))
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        let uid = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).ok()?;
        let gid = std::fs::read_to_string(format!("/proc/{pid}/gid_map")).ok()?;
        return Some(IdMaps {
            uid: parse_map_text(&uid),
            gid: parse_map_text(&gid),
        });
    }
    let file = std::fs::File::open(path).ok()?;
    let mut out = Vec::new();
    for which in ["uid_map", "gid_map"] {
        let text = read_in_namespace(&file, which)?;
        out.push(parse_map_text(&text));
    }
    let gid = out.pop()?;
    let uid = out.pop()?;
    Some(IdMaps { uid, gid })
}

/// Reads `/proc/self/<which>` from a child process that joined the user
/// namespace `ns`.
fn read_in_namespace(ns: &std::fs::File, which: &str) -> Option<String> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok()?;
    let path = std::ffi::CString::new(format!("/proc/self/{which}")).ok()?;
    let mut buf = vec![0u8; 16384];
    let (ns_fd, w_fd) = (ns.as_raw_fd(), w.as_raw_fd());
    let buf_ptr = buf.as_mut_ptr();
    let buf_len = buf.len();
    // SAFETY: the child only makes system calls (setns, open, read, write,
    // _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return None;
    }
    if pid == 0 {
        // SAFETY: see above; `_exit` never returns.
        unsafe {
            if libc::setns(ns_fd, libc::CLONE_NEWUSER) != 0 {
                libc::_exit(1);
            }
            let fd = libc::open(path.as_ptr(), libc::O_RDONLY);
            if fd < 0 {
                libc::_exit(1);
            }
            let n = libc::read(fd, buf_ptr.cast(), buf_len);
            if n > 0 {
                libc::write(w_fd, buf_ptr.cast(), n as usize);
            }
            libc::_exit(0);
        }
    }
    drop(w);
    let mut text = Vec::new();
    let mut file = std::fs::File::from(r);
    let _ = std::io::Read::read_to_end(&mut file, &mut text);
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    String::from_utf8(text).ok().filter(|t| !t.is_empty())
}

/// Adds search permission for others to every directory from `path` up
/// (those without it): the runtime sets up the container's mounts as the
/// mapped root, which sees root-owned directories as "others".
pub(crate) fn ensure_traversable(path: &Path) -> Result<()> {
    let mut dir = Some(path);
    while let Some(d) = dir {
        if let Ok(meta) = std::fs::symlink_metadata(d) {
            if meta.is_dir() && meta.mode() & 0o001 == 0 {
                let mode = (meta.mode() & 0o7777) | 0o001;
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode)).map_err(
                    |source| Error::Io {
                        context: format!("letting the container's root reach {}", d.display()),
                        source,
                    },
                )?;
            }
        }
        dir = d.parent();
    }
    Ok(())
}

impl Container<'_> {
    /// Whether the container has a user namespace of its own or joined.
    pub(crate) fn has_userns(&self) -> bool {
        self.config.userns.mode != UsernsMode::Host
    }

    /// The maps to shift the root file system by: recorded ones, or those of
    /// the joined namespace as it is now.
    pub(crate) fn userns_maps(&self) -> Result<Option<IdMaps>> {
        let u = &self.config.userns;
        let maps = match &u.mode {
            UsernsMode::Host => return Ok(None),
            UsernsMode::Auto(_)
            | UsernsMode::Private
            | UsernsMode::KeepId { .. }
            | UsernsMode::NoMap => u.maps.clone(),
            UsernsMode::Path(p) => namespace_maps(p).ok_or_else(|| {
                invalid(format!(
                    "cannot read the ID mappings of user namespace {}",
                    p.display()
                ))
            })?,
            UsernsMode::Container(_) => match self.userns_path()? {
                Some(p) => namespace_maps(&p).unwrap_or_else(|| u.maps.clone()),
                None => u.maps.clone(),
            },
        };
        Ok((!maps.uid.is_empty()).then_some(maps))
    }

    /// The path of a joined user namespace (`ns:`, `container:`).
    pub(crate) fn userns_path(&self) -> Result<Option<PathBuf>> {
        Ok(match &self.config.userns.mode {
            UsernsMode::Path(p) => Some(p.clone()),
            UsernsMode::Container(id) => {
                let other = self.rt.container(id)?;
                if !matches!(
                    other.status(),
                    super::ContainerStatus::Running
                        | super::ContainerStatus::Paused
                        | super::ContainerStatus::Created
                ) || other.state().pid <= 0
                {
                    return Err(invalid(format!(
                        "--userns container:{}: that container is not running",
                        other.name()
                    )));
                }
                Some(PathBuf::from(format!(
                    "/proc/{}/ns/user",
                    other.state().pid
                )))
            }
            _ => None,
        })
    }

    /// The host uid and gid of the container's root (0, 0 without a user namespace).
    pub(crate) fn mapped_root(&self) -> (u32, u32) {
        self.map_ids(0, 0)
    }

    /// Host IDs of container IDs `(uid, gid)`.
    pub(crate) fn map_ids(&self, uid: u32, gid: u32) -> (u32, u32) {
        let m = &self.config.userns.maps;
        if self.config.userns.mode == UsernsMode::Host || m.uid.is_empty() {
            return (uid, gid);
        }
        (
            map_to_host(&m.uid, uid).unwrap_or(uid),
            map_to_host(&m.gid, gid).unwrap_or(gid),
        )
    }

    /// Makes the run-time files the container gets reachable and owned by
    /// its root.
    pub(crate) fn prepare_userns_files(&self, rootfs: &Path) -> Result<()> {
        if !self.has_userns() {
            return Ok(());
        }
        let rundir = self.rundir();
        ensure_traversable(&rundir)?;
        ensure_traversable(rootfs)?;
        let (uid, gid) = self.mapped_root();
        for file in ["hosts", "resolv.conf", "hostname"] {
            let path = rundir.join(file);
            if path.exists() {
                std::os::unix::fs::lchown(&path, Some(uid), Some(gid)).map_err(|source| {
                    Error::Io {
                        context: format!("changing the owner of {}", path.display()),
                        source,
                    }
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(container: u32, host: u32, size: u32) -> IdMapping {
        IdMapping {
            container,
            host,
            size,
        }
    }

    #[test]
    fn flags_parse_as_podman_takes_them() {
        assert_eq!(UsernsMode::parse("host").unwrap(), UsernsMode::Host);
        assert_eq!(UsernsMode::parse("").unwrap(), UsernsMode::Host);
        let auto = UsernsMode::parse("auto:size=2000,uidmapping=0:5:1").unwrap();
        assert_eq!(
            auto,
            UsernsMode::Auto(AutoOptions {
                size: Some(2000),
                uidmapping: vec![m(0, 5, 1)],
                gidmapping: vec![],
            })
        );
        assert!(matches!(
            UsernsMode::parse("ns:/proc/1/ns/user").unwrap(),
            UsernsMode::Path(_)
        ));
        let err = |t: &str| UsernsMode::parse(t).unwrap_err().to_string();
        assert!(err("keep-id").contains("keep-id is only supported in rootless mode"));
        assert!(err("nomap").contains("nomap is only supported in rootless mode"));
        assert!(err("bogus").contains("unrecognized namespace mode bogus passed"));
        assert!(err("auto:size=abc").contains("parsing \"abc\": invalid syntax"));
        assert!(err("auto:foo=1").contains("unknown option specified: \"foo\""));
        assert!(parse_mapping("UID", "0:1").is_err());
        assert!(parse_mapping("UID", "x:1:2").is_err());
        assert_eq!(
            parse_mapping("UID", "0:100000:65536").unwrap(),
            m(0, 100000, 65536)
        );
        assert!(UsernsOptions::parse(Some("host"), &["0:1:1".into()], &[], None, None).is_err());
    }

    #[test]
    fn free_blocks_skip_taken_ranges() {
        let avail = [m(0, 100000, 65536)];
        assert_eq!(free_block(&avail, &[], 1024), Some(100000));
        assert_eq!(free_block(&avail, &[(100000, 101024)], 1024), Some(101024));
        assert_eq!(
            free_block(&avail, &[(101024, 102048), (100000, 101024)], 1024),
            Some(102048)
        );
        // A gap too small is skipped; a freed one is reused.
        assert_eq!(
            free_block(&avail, &[(100000, 100500), (101000, 102000)], 1024),
            Some(102000)
        );
        assert_eq!(free_block(&avail, &[(100000, 165536)], 1), None);
    }

    #[test]
    fn keep_id_puts_the_user_at_its_own_id() {
        let sub = [IdMapping {
            container: 0,
            host: 1,
            size: 65536,
        }];
        let m = |c, h, s| IdMapping {
            container: c,
            host: h,
            size: s,
        };
        assert_eq!(
            keep_id_map(1000, &sub),
            vec![m(0, 1, 1000), m(1000, 0, 1), m(1001, 1001, 64536)]
        );
        assert_eq!(keep_id_map(0, &sub), vec![m(0, 0, 1), m(1, 1, 65536)]);
        assert_eq!(
            keep_id_map(70000, &sub),
            vec![m(0, 1, 65536), m(70000, 0, 1)]
        );
    }

    #[test]
    fn auto_maps_fill_around_forced_lines() {
        let avail = [m(0, 100000, 65536)];
        assert_eq!(
            auto_map(&avail, &[], 1024, &[m(0, 100000, 10)]).unwrap(),
            vec![m(10, 100010, 1014), m(0, 100000, 10)]
        );
        assert_eq!(
            auto_map(&avail, &[], 1024, &[m(5, 0, 1)]).unwrap(),
            vec![m(0, 100000, 5), m(6, 100005, 1018), m(5, 0, 1)]
        );
        assert_eq!(
            auto_map(&avail, &[], 100, &[]).unwrap(),
            vec![m(0, 100000, 100)]
        );
    }

    #[test]
    fn maps_must_cover_root() {
        let maps = IdMaps {
            uid: vec![m(1, 100000, 10)],
            gid: vec![m(0, 100000, 10)],
        };
        assert!(check_maps(&maps)
            .unwrap_err()
            .to_string()
            .contains("doesn't map UID 0"));
    }
}

//! The overlay driver: `containers/<id>/{upper,work,merged}` over the image's layer dirs.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::fs::{lchown, symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use super::{Driver, DriverKind, LayerDirs};
use crate::error::{IoContext, Result};
use crate::fsutil::{path_cstring, remove_any, StagingDir};

const UPPER: &str = "upper";
const WORK: &str = "work";
const MERGED: &str = "merged";
/// Lower directory for containers without an image (overlay needs at least one).
const EMPTY_LOWER: &str = "empty";
/// The shifted copy of the image where idmapped mounts are not allowed.
const SHIFTED_LOWER: &str = "shifted";
/// Short symlinks to the lower directories, used when absolute paths do not fit.
const SHORT_LINKS: &str = "l";
/// Mount data is limited to one page.
const MAX_MOUNT_DATA: usize = 4095;
/// Upper bound on unmount attempts for (unexpectedly) stacked mounts.
const MAX_UNMOUNTS: usize = 8;

/// The overlay driver.
#[derive(Debug)]
pub(crate) struct Overlay {
    /// A FUSE program (fuse-overlayfs) mounting instead of the kernel.
    pub(crate) mount_program: Option<PathBuf>,
}

impl Driver for Overlay {
    fn kind(&self) -> DriverKind {
        DriverKind::Overlay
    }

    fn create(&self, container_dir: &Path, layers: &[PathBuf]) -> Result<()> {
        let upper = container_dir.join(UPPER);
        for name in [UPPER, WORK, MERGED] {
            let dir = container_dir.join(name);
            fs::create_dir(&dir).at("create directory", &dir)?;
        }
        match layers.last() {
            // The merged root takes its owner and mode from the upper directory.
            Some(top) => copy_owner_and_mode(top, &upper)?,
            None => {
                let empty = container_dir.join(EMPTY_LOWER);
                fs::create_dir(&empty).at("create directory", &empty)?;
            }
        }
        Ok(())
    }

    fn mount_point(&self, container_dir: &Path) -> PathBuf {
        container_dir.join(MERGED)
    }

    fn mount(&self, container_dir: &Path, layers: LayerDirs<'_>) -> Result<PathBuf> {
        let merged = self.mount_point(container_dir);
        if self.is_mounted(container_dir)? {
            return Ok(merged);
        }
        let mut lowers = layers()?;
        lowers.reverse(); // overlay wants the top layer first
        if lowers.is_empty() {
            lowers.push(container_dir.join(EMPTY_LOWER));
        }
        self.mount_overlay(container_dir, &lowers)?;
        Ok(merged)
    }

    fn mount_mapped(
        &self,
        container_dir: &Path,
        layers: LayerDirs<'_>,
        maps: &crate::idmap::IdMaps,
    ) -> Result<PathBuf> {
        let merged = self.mount_point(container_dir);
        if self.is_mounted(container_dir)? {
            return Ok(merged);
        }
        let mut lowers = layers()?;
        let upper = container_dir.join(UPPER);
        match lowers.last() {
            Some(top) => crate::idmap::shift_root_owner(&upper, top, maps)?,
            None => lowers.push(container_dir.join(EMPTY_LOWER)),
        }
        let bottom_first = lowers.clone();
        lowers.reverse(); // overlay wants the top layer first
        let views = match crate::idmap::attach_idmapped(container_dir, &lowers, maps) {
            Ok(views) => views,
            // Inside a user namespace (rootless) the layers' file system
            // cannot be idmapped: the container gets one shifted copy of
            // the image, made once, as its only lower layer.
            Err(crate::Error::Io { source, .. })
                if source.raw_os_error() == Some(nix::libc::EPERM) =>
            {
                let shifted = container_dir.join(SHIFTED_LOWER);
                if !crate::idmap::already_shifted(container_dir, maps) {
                    if shifted.exists() {
                        fs::remove_dir_all(&shifted).at("remove", &shifted)?;
                    }
                    super::vfs::LayerCopier::flatten(&bottom_first, &shifted)?;
                    crate::idmap::shift_tree(&shifted, maps)?;
                    crate::idmap::mark_shifted(container_dir, maps)?;
                }
                self.mount_overlay(container_dir, &[shifted])?;
                return Ok(merged);
            }
            Err(e) => return Err(e),
        };
        let mounted = self.mount_overlay(container_dir, &views);
        // The overlay holds its own clones of the layers: the views can go.
        let detached = crate::idmap::detach_idmapped(container_dir);
        mounted?;
        detached?;
        Ok(merged)
    }

    fn unmount(&self, container_dir: &Path) -> Result<()> {
        crate::idmap::detach_idmapped(container_dir)?;
        let merged = self.mount_point(container_dir);
        for _ in 0..MAX_UNMOUNTS {
            if !self.is_mounted(container_dir)? {
                return Ok(());
            }
            match umount2(&merged, MntFlags::empty()) {
                Ok(()) => {}
                Err(Errno::EBUSY) => {
                    umount2(&merged, MntFlags::MNT_DETACH).at("detach", &merged)?;
                }
                Err(Errno::EINVAL) | Err(Errno::ENOENT) => return Ok(()),
                Err(err) => return Err(err).at("unmount", &merged),
            }
        }
        Ok(())
    }

    fn is_mounted(&self, container_dir: &Path) -> Result<bool> {
        let merged = self.mount_point(container_dir);
        let mount_point = match fs::symlink_metadata(&merged) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(err) => return Err(err).at("stat", &merged),
        };
        let parent = fs::symlink_metadata(container_dir).at("stat", container_dir)?;
        Ok(mount_point.dev() != parent.dev())
    }

    fn writable_dir(&self, container_dir: &Path) -> PathBuf {
        container_dir.join(UPPER)
    }
}

fn copy_owner_and_mode(from: &Path, to: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(from).at("stat", from)?;
    lchown(to, Some(meta.uid()), Some(meta.gid())).at("chown", to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(meta.mode() & 0o7777)).at("chmod", to)
}

/// Escapes the characters the overlay option parser treats specially.
fn escape(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        if matches!(c, ',' | ':' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// overlayfs's options for `lowers` (top first) over the container's upper
/// and work directories, as absolute paths.
fn absolute_mount_data(container_dir: &Path, lowers: &[PathBuf]) -> String {
    let absolute: Vec<String> = lowers.iter().map(|p| escape(p)).collect();
    mount_data(
        &absolute,
        &escape(&container_dir.join(UPPER)),
        &escape(&container_dir.join(WORK)),
    )
}

fn mount_data(lowers: &[String], upper: &str, work: &str) -> String {
    format!(
        "lowerdir={},upperdir={upper},workdir={work}",
        lowers.join(":")
    )
}

/// Mounts the overlay at `container_dir/merged` with `lowers` (top first).
/// Where fuse-overlayfs is looked for when the kernel refuses.
const FUSE_OVERLAYFS: &[&str] = &["/usr/bin/fuse-overlayfs", "/usr/local/bin/fuse-overlayfs"];

impl Overlay {
    /// Mounts the overlay at `container_dir/merged` with `lowers` (top
    /// first): through the mount program when one is configured, else by
    /// the kernel, and through fuse-overlayfs when the kernel refuses inside
    /// a user namespace (rootless, before Linux 5.11).
    fn mount_overlay(&self, container_dir: &Path, lowers: &[PathBuf]) -> Result<()> {
        if let Some(program) = &self.mount_program {
            return mount_fuse(program, container_dir, lowers);
        }
        match mount_overlay_once(container_dir, lowers) {
            Err(crate::Error::Io { source, path, .. })
                if matches!(
                    source.raw_os_error(),
                    Some(libc::EPERM) | Some(libc::EINVAL)
                ) && in_user_namespace() =>
            {
                match FUSE_OVERLAYFS.iter().map(Path::new).find(|p| p.is_file()) {
                    Some(program) => mount_fuse(program, container_dir, lowers),
                    None => Err(crate::Error::Io {
                        op: "mount overlay inside the user namespace (this kernel refuses it and fuse-overlayfs is not installed; use --storage-driver vfs) on",
                        path,
                        source,
                    }),
                }
            }
            other => other,
        }
    }
}

/// Mounts the overlay with a FUSE program taking overlayfs's options
/// (`fuse-overlayfs -o lowerdir=…,upperdir=…,workdir=… MERGED`); the
/// program serves the mount until it is unmounted.
fn mount_fuse(program: &Path, container_dir: &Path, lowers: &[PathBuf]) -> Result<()> {
    let merged = container_dir.join(MERGED);
    let data = absolute_mount_data(container_dir, lowers);
    let out = std::process::Command::new(program)
        .arg("-o")
        .arg(&data)
        .arg(&merged)
        .stdin(std::process::Stdio::null())
        .output()
        .at("run the mount program for", &merged)?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        return Err(io::Error::other(format!(
            "{} failed: {}",
            program.display(),
            text.trim()
        )))
        .at("mount overlay with a FUSE program on", &merged);
    }
    Ok(())
}

/// True when this process is not in the host's user namespace.
fn in_user_namespace() -> bool {
    fs::read_to_string("/proc/self/uid_map")
        .map(|m| m.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"])
        .unwrap_or(false)
}

fn mount_overlay_once(container_dir: &Path, lowers: &[PathBuf]) -> Result<()> {
    let merged = container_dir.join(MERGED);
    let data = absolute_mount_data(container_dir, lowers);
    if data.len() <= MAX_MOUNT_DATA {
        return mount(
            Some("overlay"),
            &merged,
            Some("overlay"),
            MsFlags::empty(),
            Some(data.as_str()),
        )
        .at("mount overlay on", &merged);
    }

    // Too long for one page: name the lowers through short symlinks and mount with paths
    // relative to the container directory.
    let links = container_dir.join(SHORT_LINKS);
    remove_any(&links)?;
    fs::create_dir(&links).at("create directory", &links)?;
    let mut relative = Vec::with_capacity(lowers.len());
    for (index, lower) in lowers.iter().enumerate() {
        let link = links.join(index.to_string());
        symlink(lower, &link).at("create symlink", &link)?;
        relative.push(format!("{SHORT_LINKS}/{index}"));
    }
    let data = mount_data(&relative, UPPER, WORK);
    if data.len() > MAX_MOUNT_DATA {
        return Err(io::Error::from_raw_os_error(libc::E2BIG))
            .at("mount overlay (too many layers) on", &merged);
    }
    mount_with_cwd(container_dir, &merged, &data).at("mount overlay on", &merged)
}

/// Mounts an overlay from a child process whose working directory is `cwd`, so that relative
/// paths in `data` resolve there without changing the caller's (process-wide) directory.
fn mount_with_cwd(cwd: &Path, target: &Path, data: &str) -> io::Result<()> {
    let cwd = path_cstring(cwd)?;
    let target = path_cstring(target)?;
    let data = CString::new(data.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "mount data contains NUL"))?;
    let fstype = c"overlay";
    // SAFETY: the child only calls async-signal-safe functions (chdir, mount, _exit) on memory
    // prepared before the fork, so forking a multi-threaded process is sound.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: see above; `_exit` never returns.
        unsafe {
            let ok = libc::chdir(cwd.as_ptr()) == 0
                && libc::mount(
                    fstype.as_ptr(),
                    target.as_ptr(),
                    fstype.as_ptr(),
                    0,
                    data.as_ptr().cast(),
                ) == 0;
            let code = if ok {
                0
            } else {
                io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO)
            };
            libc::_exit(code);
        }
    }
    let status = loop {
        match waitpid(Pid::from_raw(pid), None) {
            Err(Errno::EINTR) => continue,
            other => break other.map_err(io::Error::from)?,
        }
    };
    match status {
        WaitStatus::Exited(_, 0) => Ok(()),
        WaitStatus::Exited(_, errno) => Err(io::Error::from_raw_os_error(errno)),
        other => Err(io::Error::other(format!(
            "mount helper ended with {other:?}"
        ))),
    }
}

/// Whether an overlay can be mounted in `tmp` (on the store's filesystem). Leaves nothing
/// behind.
pub(crate) fn probe(tmp: &Path) -> bool {
    let Ok(staging) = StagingDir::new(tmp) else {
        return false;
    };
    let dir = staging.path();
    let lower = dir.join("lower");
    let kernel = Overlay {
        mount_program: None,
    };
    let prepared =
        fs::create_dir(&lower).is_ok() && kernel.create(dir, std::slice::from_ref(&lower)).is_ok();
    if !prepared {
        return false;
    }
    let lowers = move || -> Result<Vec<PathBuf>> { Ok(vec![lower.clone()]) };
    let mounted = kernel.mount(dir, &lowers).is_ok();
    let unmounted = kernel.unmount(dir).is_ok();
    mounted && unmounted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_option_separators() {
        assert_eq!(escape(Path::new("/a,b:c\\d")), "/a\\,b\\:c\\\\d");
    }

    #[test]
    fn builds_mount_data() {
        let data = mount_data(&["/l1".into(), "/l0".into()], "/u", "/w");
        assert_eq!(data, "lowerdir=/l1:/l0,upperdir=/u,workdir=/w");
    }
}

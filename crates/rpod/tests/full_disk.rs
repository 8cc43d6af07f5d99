//! A full disk: with the root on a small loop-mounted ext4 (made here and
//! removed after, also when the test fails), running out of space during
//! load, pull, build, commit, cp into a container and a container's log
//! writes gives a clear error, stores nothing half, leaves the database
//! unchanged and the logging container running; once space is freed,
//! everything works again.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// Size of the loop file system, in MiB.
const DISK_MB: u64 = 96;

/// A loop device with an ext4 file system mounted at a directory; the
/// mount and the device go on drop.
struct LoopFs {
    dev: String,
    mountpoint: PathBuf,
    _image_dir: tempfile::TempDir,
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    assert!(out.status.success(), "{cmd:?}: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl LoopFs {
    fn mount(at: &Path) -> LoopFs {
        let dir = tempfile::Builder::new()
            .prefix("rpod-disk-")
            .tempdir()
            .unwrap();
        let img = dir.path().join("disk.img");
        sh(Command::new("truncate")
            .arg("-s")
            .arg(format!("{DISK_MB}M"))
            .arg(&img));
        // 4 KiB blocks, as on real disks, and no blocks reserved for root
        // (the engine runs as root: the disk must really fill up).
        sh(Command::new("mkfs.ext4")
            .args(["-q", "-F", "-m", "0", "-b", "4096"])
            .arg(&img));
        let dev = sh(Command::new("losetup").args(["--find", "--show"]).arg(&img));
        let fs = LoopFs {
            dev,
            mountpoint: at.to_path_buf(),
            _image_dir: dir,
        };
        sh(Command::new("mount").arg(&fs.dev).arg(at));
        fs
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        if let Ok(c) = std::ffi::CString::new(self.mountpoint.as_os_str().as_encoded_bytes()) {
            // SAFETY: umount2 with a valid C string.
            unsafe {
                libc::umount2(c.as_ptr(), libc::MNT_DETACH);
            }
        }
        let _ = Command::new("losetup")
            .arg("-d")
            .arg(&self.dev)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// An engine whose root is a small file system. The engine goes first on
/// drop (its containers removed and mounts released), then the disk.
struct Disk {
    e: Engine,
    _fs: LoopFs,
}

impl Disk {
    fn new() -> Disk {
        let e = Engine::new();
        let fs = LoopFs::mount(&e.root());
        Disk { e, _fs: fs }
    }

    fn filler(&self) -> PathBuf {
        self.e.root().join("filler")
    }

    /// Grows a file until the file system is full, then gives `leave`
    /// bytes back.
    fn fill_leaving(&self, leave: u64) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.filler())
            .unwrap();
        for chunk in [1 << 20, 4096] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).is_ok() {}
        }
        let _ = f.sync_all();
        if leave > 0 {
            let len = f.metadata().unwrap().len();
            f.set_len(len.saturating_sub(leave)).unwrap();
            let _ = f.sync_all();
        }
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        // Space first, so the engine's clean-up can remove its containers.
        let _ = std::fs::remove_file(self.filler());
    }
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|x| x.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// What must not change when an operation fails: the database's content
/// and the stored blobs, layers and images.
fn snapshot(e: &Engine) -> (String, Vec<BTreeSet<String>>) {
    let dump = sh(Command::new("sqlite3")
        .arg(e.root().join("rpod.db"))
        .arg(".dump"));
    let storage = e.root().join("storage");
    (
        dump,
        vec![
            entries(&storage.join("blobs/sha256")),
            entries(&storage.join("layers")),
            entries(&storage.join("images")),
            entries(&storage.join("containers")),
        ],
    )
}

fn fails_for_space(e: &Engine, args: &[&str], operation: &str) -> String {
    let (code, stderr) = e.fails(args);
    assert_eq!(code, 125, "{args:?}: {stderr}");
    let lower = stderr.to_ascii_lowercase();
    assert!(
        lower.contains("no space left on device") && stderr.contains(operation),
        "{args:?} should name {operation:?} and say no space left on device: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_full_disk_fails_cleanly_and_recovers_without_repair() {
    let d = Disk::new();
    let e = &d.e;
    let tar = e.busybox_tar();
    e.ok(&["import", tar.to_str().unwrap(), "busybox"]);
    // An image with a layer of its own (so loading and pulling it must
    // write a new layer), saved to a file and pushed, then removed.
    e.ok(&[
        "run",
        "--name",
        "mk",
        "busybox",
        "dd",
        "if=/dev/urandom",
        "of=/big",
        "bs=1M",
        "count=4",
    ]);
    e.ok(&["commit", "mk", "other"]);
    e.ok(&["rm", "mk"]);
    let archive = e.file("other.tar");
    e.ok(&["save", "-o", archive.to_str().unwrap(), "other"]);
    let reg = Registry::start(None);
    let dest = format!("{}/disk/other:1", reg.host());
    e.ok(&["push", "-q", "--tls-verify=false", "other", &dest]);
    e.ok(&["rmi", "other"]);
    let big = e.file("big.bin");
    std::fs::write(&big, vec![7u8; 4 << 20]).unwrap();
    let ctx = e.file("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM busybox\nRUN dd if=/dev/urandom of=/built bs=1M count=4\n",
    )
    .unwrap();
    // A container with changes to commit, and one that logs all the time.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "target",
        "busybox",
        "sh",
        "-c",
        "dd if=/dev/urandom of=/data bs=1M count=2; sleep 1000",
    ]);
    e.ok(&[
        "run",
        "-d",
        "--name",
        "logger",
        "busybox",
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.005; done",
    ]);
    e.wait_logs("logger", "line 10");
    let logger_pid: i32 = e.inspect_fmt("logger", "{{.State.Pid}}").parse().unwrap();
    let target_pid: i32 = e.inspect_fmt("target", "{{.State.Pid}}").parse().unwrap();
    let before = snapshot(e);

    let monitor_log = {
        let id = e.inspect_fmt("logger", "{{.Id}}");
        e.runroot().join("containers").join(id).join("monitor.log")
    };
    // Less space left than each operation needs (4 MiB of data each).
    d.fill_leaving(1 << 20);
    let archive_s = archive.to_str().unwrap();
    fails_for_space(e, &["load", "-i", archive_s], "load");
    fails_for_space(e, &["pull", "-q", "--tls-verify=false", &dest], "pull");
    fails_for_space(
        e,
        &["commit", "target", "committed"],
        "commit of container target",
    );
    let cp_dest = "target:/";
    fails_for_space(
        e,
        &["cp", big.to_str().unwrap(), cp_dest],
        "copy into container target",
    );
    // build runs its steps in a container: it fails too, and keeps nothing.
    fails_for_space(
        e,
        &["build", "-q", "-t", "built", ctx.to_str().unwrap()],
        "build of built",
    );
    assert!(entries(&e.root().join("storage/tmp")).is_empty());
    // Now not a block left: the logger's writes fail.
    d.fill_leaving(0);
    wait_until(
        "the log writer to report the full disk",
        POLL_TIMEOUT,
        || {
            std::fs::read_to_string(&monitor_log)
                .unwrap_or_default()
                .contains("cannot write the container log")
        },
    );
    // A command that must open the database says why it cannot.
    let out = e.rpod(&["ps", "-a"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success()
            || stderr
                .to_ascii_lowercase()
                .contains("no space left on device"),
        "{}",
        describe(&out)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The logging container runs on, its lines dropped.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        common::pid_alive(logger_pid) && common::pid_alive(target_pid),
        "a container stopped on the full disk"
    );
    let reports = std::fs::read_to_string(&monitor_log)
        .unwrap_or_default()
        .matches("cannot write the container log")
        .count();
    assert_eq!(reports, 1, "the full log is reported once");
    assert!(entries(&e.root().join("storage/tmp")).is_empty());

    d.free();
    assert_eq!(e.status("logger"), "running");
    assert_eq!(e.status("target"), "running");
    // Nothing of the failed operations was kept, the database unchanged.
    let after = snapshot(e);
    assert_eq!(
        after.1, before.1,
        "storage changed (blobs, layers, images, containers)"
    );
    assert_eq!(after.0, before.0, "the database changed");
    // Everything works again, without any repair.
    e.ok(&["load", "-i", archive_s]);
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "other",
            "sh",
            "-c",
            "test -s /big && echo ok"
        ]),
        "ok"
    );
    e.ok(&["pull", "-q", "--tls-verify=false", &dest]);
    e.ok(&["commit", "target", "committed"]);
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "committed",
            "sh",
            "-c",
            "test -s /data && echo ok"
        ]),
        "ok"
    );
    e.ok(&["cp", big.to_str().unwrap(), cp_dest]);
    assert_eq!(
        e.ok(&["exec", "target", "sh", "-c", "wc -c < /big.bin"]),
        (4 << 20).to_string()
    );
    e.ok(&["build", "-q", "-t", "built", ctx.to_str().unwrap()]);
    // The log has whole entries only, and new lines after the gap.
    let last = |text: &str| -> u64 {
        text.lines()
            .filter_map(|l| l.strip_prefix("line ")?.trim().parse().ok())
            .next_back()
            .unwrap_or(0)
    };
    let now = last(&e.logs("logger"));
    wait_until("new log lines", POLL_TIMEOUT, || {
        last(&e.logs("logger")) > now + 10
    });
    assert_eq!(e.status("logger"), "running");
    let integrity = sh(Command::new("sqlite3")
        .arg(e.root().join("rpod.db"))
        .arg("PRAGMA integrity_check;"));
    assert_eq!(integrity, "ok");
    e.ok(&["rm", "-a", "-f", "-t", "0"]);
    assert!(
        e.leftover_mounts().iter().all(|m| m == &e.root()),
        "{:?}",
        e.leftover_mounts()
    );
}

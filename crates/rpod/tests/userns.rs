//! User namespaces of root-run containers (`--userns`, `--uidmap`,
//! `--gidmap`, `--subuidname`, `--subgidname`), side by side with the
//! installed podman where it works on this host.

mod common;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// The `containers` user whose subordinate ranges `--userns auto` uses:
/// made with `useradd` (which gives it ranges) when missing, and removed
/// again afterwards. Tests needing it run one at a time (a file lock).
struct AutoUser {
    created: bool,
    _lock: File,
}

fn user_exists(name: &str) -> bool {
    Command::new("getent")
        .args(["passwd", name])
        .output()
        .is_ok_and(|o| o.status.success())
}

impl AutoUser {
    fn get() -> AutoUser {
        let lock = File::create("/tmp/rpod-userns-tests.lock").unwrap();
        // SAFETY: flock on a descriptor this function owns.
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
        let created = !user_exists("containers");
        if created {
            let out = user_db(Command::new("useradd").args([
                "-M",
                "-s",
                "/usr/sbin/nologin",
                "containers",
            ]));
            assert!(
                out.status.success(),
                "useradd containers: {}",
                describe(&out)
            );
        }
        AutoUser {
            created,
            _lock: lock,
        }
    }

    /// The user's (first) range in /etc/subuid: (start, count).
    fn range(&self) -> (u64, u64) {
        let text = std::fs::read_to_string("/etc/subuid").unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("containers:"))
            .expect("a subuid range for containers");
        let parts: Vec<u64> = line
            .split(':')
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect();
        (parts[0], parts[1])
    }
}

impl Drop for AutoUser {
    fn drop(&mut self) {
        if self.created {
            let _ = user_db(Command::new("userdel").arg("containers"));
        }
    }
}

fn normalize(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

const MAPS: &str = "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map";

#[test]
fn explicit_maps_match_podman() {
    let t = Both::new();
    for flags in [
        &["--uidmap", "0:100000:65536"][..],
        &["--uidmap", "0:100000:5000", "--uidmap", "5000:200000:100"],
        &["--uidmap", "0:100000:65536", "--gidmap", "0:300000:65536"],
        &["--gidmap", "0:200000:1000"],
        &["--userns", "host"],
    ] {
        let (ours, theirs) = t.both(flags, &["sh", "-c", MAPS]);
        assert_eq!(normalize(&ours), normalize(&theirs), "{flags:?}");
        // The image's files belong to the container's root.
        let (ours, theirs) = t.both(flags, &["stat", "-c", "%u:%g", "/bin/busybox", "/"]);
        assert_eq!(ours, "0:0\n0:0", "{flags:?}");
        assert_eq!(ours, theirs, "{flags:?}");
    }
    let (ours, _) = t.both(&["--uidmap", "0:100000:65536"], &["sh", "-c", MAPS]);
    assert_eq!(normalize(&ours), "0 100000 65536\n--\n0 100000 65536");
    // Inspect shows the mode and the maps as podman does.
    for (name, flags) in [
        (
            "m",
            &["--uidmap", "0:100000:5000", "--uidmap", "5000:200000:100"][..],
        ),
        (
            "g",
            &["--uidmap", "0:100000:65536", "--gidmap", "0:300000:65536"],
        ),
        ("h", &["--userns", "host"]),
    ] {
        let mut args = vec!["create", "--name", name, "--network", "none"];
        args.extend_from_slice(flags);
        args.extend(["probe", "true"]);
        t.e.ok(&args);
        t.p.ok(&args);
        let fmt = "{{.HostConfig.UsernsMode}}|{{json .HostConfig.IDMappings}}";
        let ours = t.e.ok(&["inspect", "--format", fmt, name]);
        let theirs = t.p.ok(&["inspect", "--format", fmt, name]);
        let parse = |s: &str| -> (String, serde_json::Value) {
            let (mode, json) = s.split_once('|').unwrap();
            (
                mode.to_string(),
                serde_json::from_str(json).unwrap_or_default(),
            )
        };
        assert_eq!(parse(&ours), parse(&theirs), "{name}");
        let hc = &t.e.inspect(name)["HostConfig"];
        assert_eq!(hc["IDMappings"].is_null(), name == "h", "{hc}");
    }
}

#[test]
fn bad_values_fail_like_podman() {
    let t = Both::new();
    for (flags, phrase) in [
        (&["--userns", "keep-id"][..], "keep-id is only supported in rootless mode"),
        (&["--userns", "nomap"], "nomap is only supported in rootless mode"),
        (&["--userns", "bogus"], "unrecognized namespace mode bogus passed"),
        (&["--uidmap", "0:100000"], "UID setting is malformed"),
        (&["--uidmap", "x:1:2"], "UID setting is malformed"),
        (&["--userns", "auto:size=abc"], "parsing \"abc\": invalid syntax"),
        (&["--userns", "auto:foo=1"], "unknown option specified: \"foo\""),
        (
            &["--subuidname", "rpod-no-such-user"],
            "no subuid ranges found for user \"rpod-no-such-user\" in /etc/subuid",
        ),
        (
            &["--userns", "host", "--uidmap", "0:1:10"],
            "--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive",
        ),
        (
            &["--userns", "ns:/nonexistent"],
            "cannot find specified user namespace path: stat /nonexistent: no such file or directory",
        ),
        (
            &["--userns", "container:nosuch"],
            "looking up container to share user namespace with: no container with name or ID \"nosuch\" found",
        ),
    ] {
        let (ours, theirs) = t.both_raw(flags, &["true"]);
        assert_eq!(ours.status.code(), Some(125), "{flags:?}: {}", describe(&ours));
        assert_eq!(theirs.status.code(), Some(125), "{flags:?}: {}", describe(&theirs));
        let (a, b) = (
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&theirs.stderr),
        );
        assert!(a.contains(phrase), "{flags:?}: {a}");
        assert!(b.contains(phrase), "{flags:?} (podman): {b}");
    }
    // A map without the container's root: refused at once (podman fails at start).
    let (code, err) =
        t.e.fails(&["create", "--uidmap", "1:100000:10", "probe", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("doesn't map UID 0"), "{err}");
}

fn container_dir(e: &Engine, id: &str) -> PathBuf {
    e.root().join("storage/containers").join(id)
}

#[test]
fn owners_on_the_host_are_the_mapped_ones() {
    let e = Engine::with_image();
    let data = e.file("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let bind = format!("{}:/data", data.display());
    let id = e.ok(&[
        "run", "-d", "--network", "none", "--uidmap", "0:200000:65536", "-v", &bind, "-v",
        "vol:/vol", "busybox", "sh", "-c",
        "echo a > /data/f && echo b > /tmp/g && echo c > /vol/h && echo d >> /etc/hosts && touch /ready && sleep 1000",
    ]);
    let merged = PathBuf::from(e.inspect_fmt(&id, "{{.GraphDriver.Data.MergedDir}}"));
    wait_until("the container's writes", Duration::from_secs(20), || {
        e.rpod(&["exec", &id, "ls", "/ready"]).status.success()
    });
    let uid = |p: &Path| std::fs::symlink_metadata(p).unwrap().uid();
    assert_eq!(uid(&data.join("f")), 200000, "a file made in a bind mount");
    let upper = container_dir(&e, &id).join("upper");
    assert_eq!(uid(&upper.join("tmp/g")), 200000, "a file in the upper dir");
    // The image's files show the mapped owner in the merged view, without
    // being copied up.
    if merged.is_dir() {
        assert_eq!(uid(&merged.join("bin/busybox")), 200000);
    }
    assert!(!upper.join("bin").exists(), "nothing copied up");
    // The volume belongs to the container's root; /etc/hosts is writable to it.
    let vol = e.ok(&["volume", "inspect", "--format", "{{.Mountpoint}}", "vol"]);
    assert_eq!(uid(Path::new(&vol)), 200000);
    assert_eq!(uid(&Path::new(&vol).join("h")), 200000);
    assert!(e.ok(&["exec", &id, "cat", "/etc/hosts"]).contains('d'));
    assert_eq!(
        e.ok(&[
            "exec",
            &id,
            "stat",
            "-c",
            "%u",
            "/bin/busybox",
            "/vol/h",
            "/data/f"
        ]),
        "0\n0\n0"
    );
    e.ok(&["rm", "-f", "-t", "0", &id]);
    e.ok(&["volume", "rm", "vol"]);
    assert!(!container_dir(&e, &id).exists());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn auto_ranges_do_not_overlap_and_are_reused() {
    let user = AutoUser::get();
    let (start, count) = user.range();
    let t = Both::new();
    let (ours, theirs) = t.both(&["--userns", "auto"], &["sh", "-c", MAPS]);
    assert_eq!(normalize(&ours), normalize(&theirs));
    let (ours, theirs) = t.both(
        &["--userns", "auto:size=2000"],
        &["cat", "/proc/self/uid_map"],
    );
    assert_eq!(normalize(&ours), normalize(&theirs));
    let (ours, theirs) = t.both(&["--userns", "auto:uidmapping=5:0:1"], &["sh", "-c", MAPS]);
    assert_eq!(normalize(&ours), normalize(&theirs));
    let e = &t.e;
    let range_of = |name: &str| -> (u64, u64) {
        let text = e.ok(&["start", "-a", name]);
        let lines = map_lines(&text);
        assert_eq!(lines.len(), 1, "{text}");
        let (c, h, s) = lines[0];
        assert_eq!(c, 0);
        assert!(s >= 1024, "{text}");
        assert!(
            h >= start && h + s <= start + count,
            "{text} inside {start}:{count}"
        );
        (h, h + s)
    };
    for name in ["a1", "a2"] {
        e.ok(&[
            "create",
            "--name",
            name,
            "--network",
            "none",
            "--userns",
            "auto",
            "probe",
            "cat",
            "/proc/self/uid_map",
        ]);
    }
    let (r1, r2) = (range_of("a1"), range_of("a2"));
    assert!(r1.1 <= r2.0 || r2.1 <= r1.0, "{r1:?} and {r2:?} overlap");
    // Inspect agrees with what the container saw.
    let want = format!("[\"0:{}:{}\"]", r1.0, r1.1 - r1.0);
    assert_eq!(
        e.inspect_fmt("a1", "{{json .HostConfig.IDMappings.UidMap}}"),
        want
    );
    assert_eq!(e.inspect_fmt("a1", "{{.HostConfig.UsernsMode}}"), "");
    e.ok(&["rm", "a1"]);
    e.ok(&[
        "create",
        "--name",
        "a3",
        "--network",
        "none",
        "--userns",
        "auto",
        "probe",
        "cat",
        "/proc/self/uid_map",
    ]);
    assert_eq!(range_of("a3"), r1, "the freed range is reused");
    e.ok(&["rm", "-a", "-f"]);
    drop(t);
    drop(user);
}

#[test]
fn bridge_network_with_auto_userns() {
    let user = AutoUser::get();
    let e = Engine::with_image();
    let id = e.ok(&["run", "-d", "--userns", "auto", "busybox", "sleep", "1000"]);
    let ip = e.inspect_fmt(&id, "{{.NetworkSettings.IPAddress}}");
    assert!(!ip.is_empty(), "the container has an address");
    let addr = e.ok(&["exec", &id, "ip", "-4", "addr", "show", "eth0"]);
    assert!(addr.contains(&format!("inet {ip}/")), "{addr}");
    let map = e.ok(&["exec", &id, "cat", "/proc/self/uid_map"]);
    assert_ne!(map_lines(&map)[0].1, 0, "{map}");
    e.ok(&["rm", "-f", "-t", "0", &id]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    drop(e);
    drop(user);
}

#[test]
fn joined_namespaces_are_the_other_containers() {
    let e = Engine::with_image();
    let first = e.ok(&[
        "run",
        "-d",
        "--network",
        "none",
        "--uidmap",
        "0:300000:65536",
        "busybox",
        "sleep",
        "1000",
    ]);
    let pid = e.inspect_fmt(&first, "{{.State.Pid}}");
    let theirs = std::fs::read_link(format!("/proc/{pid}/ns/user")).unwrap();
    let ns = format!("ns:/proc/{pid}/ns/user");
    let cmd = "readlink /proc/self/ns/user; cat /proc/self/uid_map; stat -c %u /bin/busybox";
    for mode in [ns.clone(), format!("container:{first}")] {
        let out = e.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--userns",
            &mode,
            "busybox",
            "sh",
            "-c",
            cmd,
        ]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], theirs.to_str().unwrap(), "{mode}");
        assert_eq!(normalize(lines[1]), "0 300000 65536", "{mode}");
        assert_eq!(lines[2], "0", "{mode}");
    }
    e.ok(&[
        "create",
        "--name",
        "j",
        "--network",
        "none",
        "--userns",
        &format!("container:{first}"),
        "busybox",
        "true",
    ]);
    assert_eq!(
        e.inspect_fmt("j", "{{.HostConfig.UsernsMode}}"),
        format!("container:{first}")
    );
    assert_eq!(
        e.inspect_fmt("j", "{{json .HostConfig.IDMappings.UidMap}}"),
        "[\"0:300000:65536\"]"
    );
    e.ok(&["rm", "j"]);
    e.ok(&["rm", "-f", "-t", "0", &first]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn restarts_do_not_shift_again() {
    for driver in ["overlay", "vfs"] {
        let e = Engine::new();
        e.set_config(&format!("[storage]\ndriver = \"{driver}\"\n"));
        let tar = e.busybox_tar();
        e.ok(&["import", tar.to_str().unwrap(), "busybox"]);
        let id = e.ok(&[
            "create",
            "--network",
            "none",
            "--uidmap",
            "0:400000:65536",
            "busybox",
            "sh",
            "-c",
            "stat -c %u /bin/busybox; cat /proc/self/uid_map",
        ]);
        let started = Instant::now();
        let first = e.ok(&["start", "-a", &id]);
        let first_time = started.elapsed();
        assert_eq!(normalize(&first), "0\n0 400000 65536", "{driver}");
        let dir = container_dir(&e, &id);
        let marker = dir.join("idmap.json");
        let marked = std::fs::metadata(&marker)
            .ok()
            .map(|m| m.mtime_nsec() + m.mtime() * 1_000_000_000);
        if driver == "vfs" {
            assert!(marked.is_some(), "vfs records the shift");
            assert_eq!(
                std::fs::symlink_metadata(dir.join("rootfs/bin/busybox"))
                    .unwrap()
                    .uid(),
                400000
            );
        } else {
            assert!(!dir.join("upper/bin").exists(), "overlay copies nothing up");
        }
        let started = Instant::now();
        let second = e.ok(&["start", "-a", &id]);
        let second_time = started.elapsed();
        assert_eq!(second, first, "{driver}");
        let again = std::fs::metadata(&marker)
            .ok()
            .map(|m| m.mtime_nsec() + m.mtime() * 1_000_000_000);
        assert_eq!(marked, again, "{driver}: the shift is not redone");
        eprintln!("{driver}: first start {first_time:?}, second {second_time:?}");
        e.ok(&["rm", &id]);
        assert!(!dir.exists());
        assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    }
}

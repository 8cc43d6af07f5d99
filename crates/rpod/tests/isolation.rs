//! Namespaces, devices, sysctls, groups and cgroup settings, probed from
//! inside containers of rpod and of the installed podman side by side.

mod common;

use std::process::Command;

use common::*;

fn host_ns(kind: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn readlink_ns(kind: &str) -> String {
    format!("readlink /proc/self/ns/{kind}")
}

#[test]
fn host_namespaces_are_the_hosts() {
    let t = Both::new();
    for (flag, kind) in [
        ("--pid", "pid"),
        ("--ipc", "ipc"),
        ("--uts", "uts"),
        ("--cgroupns", "cgroup"),
    ] {
        let cmd = readlink_ns(kind);
        let (ours, theirs) = t.both(&[flag, "host"], &["sh", "-c", &cmd]);
        assert_eq!(ours, host_ns(kind), "{flag} host");
        assert_eq!(ours, theirs, "{flag} host");
        let (ours, theirs) = t.both(&[flag, "private"], &["sh", "-c", &cmd]);
        assert_ne!(ours, host_ns(kind), "{flag} private");
        assert_ne!(theirs, host_ns(kind), "{flag} private (podman)");
    }
    // The host's processes and name.
    let count = &["sh", "-c", "ls /proc | grep -c '^[0-9]'"];
    let (ours, _) = t.both(&["--pid", "host"], count);
    assert!(ours.parse::<u32>().unwrap() > 5, "{ours}");
    let (ours, theirs) = t.both(&["--uts", "host"], &["hostname"]);
    assert_eq!(ours, theirs);
    let (ours, theirs) = t.both_raw(&["--uts", "host", "--hostname", "x"], &["true"]);
    assert_eq!(ours.status.code(), Some(125), "{}", describe(&ours));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert!(String::from_utf8_lossy(&ours.stderr)
        .contains("cannot set hostname when running in the host UTS namespace"));
    // --ipc none: no /dev/shm at all; host: the host's.
    let shm = &["sh", "-c", "grep -c ' /dev/shm ' /proc/self/mounts || true"];
    let (ours, theirs) = t.both(&["--ipc", "none"], shm);
    assert_eq!((ours.as_str(), theirs.as_str()), ("0", "0"));
    let (ours, theirs) = t.both(&["--ipc", "host"], shm);
    assert_eq!(ours, theirs);
}

#[test]
fn namespaces_of_another_container_are_joined() {
    let t = Both::new();
    let mut ids = Vec::new();
    for (name, out) in [
        (
            "rpod",
            t.e.ok(&[
                "run",
                "-d",
                "--network",
                "none",
                "--name",
                "first",
                "probe",
                "sleep",
                "1000",
            ]),
        ),
        (
            "podman",
            t.p.ok(&[
                "run",
                "-d",
                "--network",
                "none",
                "--name",
                "first",
                "probe",
                "sleep",
                "1000",
            ]),
        ),
    ] {
        assert!(!out.is_empty(), "{name}");
        ids.push(out);
    }
    let first_pid = |engine: &str| -> String {
        let pid = if engine == "rpod" {
            t.e.ok(&["inspect", "first", "--format", "{{.State.Pid}}"])
        } else {
            t.p.ok(&["inspect", "first", "--format", "{{.State.Pid}}"])
        };
        std::fs::read_link(format!("/proc/{pid}/ns/pid"))
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let cmd = readlink_ns("pid");
    let (ours, theirs) = t.both(&["--pid", "container:first"], &["sh", "-c", &cmd]);
    assert_eq!(ours, first_pid("rpod"));
    assert_eq!(theirs, first_pid("podman"));
    // The joined container's processes are visible.
    let (ours, theirs) = t.both(
        &["--pid", "container:first"],
        &["sh", "-c", "ps -o comm | grep -c sleep"],
    );
    assert_eq!((ours.as_str(), theirs.as_str()), ("1", "1"));
    // Inspect names the mode as podman does (with the container's ID).
    let args = [
        "create",
        "--name",
        "second",
        "--network",
        "none",
        "--pid",
        "container:first",
        "--ipc",
        "host",
        "probe",
        "true",
    ];
    t.e.ok(&args);
    t.p.ok(&args);
    let template = "{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}}";
    let ours = t.e.ok(&["inspect", "second", "--format", template]);
    let theirs = t.p.ok(&["inspect", "second", "--format", template]);
    assert_eq!(
        ours.replace(&ids[0], "ID"),
        theirs.replace(&ids[1], "ID").replace("shareable", "host")
    );
    assert!(ours.starts_with(&format!("container:{}", ids[0])), "{ours}");
}

#[test]
fn sysctls_as_podman_allows_them() {
    let t = Both::new();
    let cmd = &[
        "sh",
        "-c",
        "cat /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ping_group_range",
    ];
    let flags = [
        "--sysctl",
        "kernel.msgmax=4096",
        "--sysctl",
        "net.ipv4.ping_group_range=0 0",
    ];
    let (ours, theirs) = t.both(&flags, cmd);
    assert_eq!(ours, theirs);
    assert!(ours.starts_with("4096"), "{ours}");
    for (flags, phrase) in [
        (
            &["--sysctl", "vm.swappiness=1"][..],
            "sysctl 'vm.swappiness' is not allowed",
        ),
        (
            &["--sysctl", "bogus"][..],
            "sysctl values must be in the form of KEY=VALUE",
        ),
        (
            &["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"][..],
            "can't be set since Network Namespace set to host",
        ),
    ] {
        let (ours, theirs) = t.both_raw(flags, &["true"]);
        assert_eq!(
            ours.status.code(),
            Some(125),
            "{flags:?}: {}",
            describe(&ours)
        );
        assert_eq!(ours.status.code(), theirs.status.code(), "{flags:?}");
        let err = String::from_utf8_lossy(&ours.stderr);
        assert!(err.contains(phrase), "{flags:?}: {err}");
    }
}

#[test]
fn groups_oom_score_and_read_only_tmpfs() {
    let t = Both::new();
    let (ours, theirs) = t.both(&["--group-add", "27", "--group-add", "1000"], &["id"]);
    assert_eq!(ours, theirs);
    assert!(ours.contains("groups=27,1000"), "{ours}");
    let (ours, theirs) = t.both_raw(&["--group-add", "keep-groups", "--group-add", "1"], &["id"]);
    assert_eq!(ours.status.code(), theirs.status.code());
    assert!(
        String::from_utf8_lossy(&ours.stderr).contains("not allowed with any other --group-add")
    );
    let (ours, theirs) = t.both(
        &["--oom-score-adj", "100"],
        &["cat", "/proc/self/oom_score_adj"],
    );
    assert_eq!((ours.as_str(), theirs.as_str()), ("100", "100"));
    let touch = &[
        "sh",
        "-c",
        "touch /tmp/x 2>/dev/null && echo yes || echo no",
    ];
    let (ours, theirs) = t.both(&["--read-only"], touch);
    assert_eq!((ours.as_str(), theirs.as_str()), ("yes", "yes"));
    let (ours, theirs) = t.both(&["--read-only", "--read-only-tmpfs=false"], touch);
    assert_eq!((ours.as_str(), theirs.as_str()), ("no", "no"));
}

#[test]
fn devices_and_device_rules() {
    let t = Both::new();
    let stat = &["sh", "-c", "stat -c '%F %t:%T %a' /dev/fuse /dev/mynull"];
    let flags = [
        "--device",
        "/dev/fuse",
        "--device",
        "/dev/null:/dev/mynull:r",
    ];
    let (ours, theirs) = t.both(&flags, stat);
    assert_eq!(ours, theirs);
    assert!(ours.starts_with("character special file a:e5"), "{ours}");
    let (ours, theirs) = t.both_raw(&["--device", "/dev/nonexistent"], &["true"]);
    assert_eq!(ours.status.code(), Some(125));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert!(String::from_utf8_lossy(&ours.stderr)
        .contains("stat /dev/nonexistent: no such file or directory"));
    // The device cgroup lets the rule's device through (cgroup v1 lists it).
    let list = &["cat", "/sys/fs/cgroup/devices/devices.list"];
    let (ours, theirs) = t.both(&["--device-cgroup-rule", "c 10:229 rwm"], list);
    for text in [&ours, &theirs] {
        assert!(text.lines().any(|l| l == "c 10:229 rwm"), "{text}");
    }
    // Privileged: the host's devices, /sys and /proc/sys writable.
    let cmd = &[
        "sh",
        "-c",
        "ls /dev/fuse /dev/loop-control >/dev/null && echo devices; grep -c ' /proc/sys proc ro' /proc/self/mounts; grep ' /sys sysfs' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1",
    ];
    let (ours, theirs) = t.both(&["--privileged"], cmd);
    assert_eq!(ours, theirs);
    assert_eq!(ours, "devices\n0\nrw");
}

/// A block device of this machine and its numbers.
fn block_device() -> (String, String) {
    for entry in std::fs::read_dir("/sys/block").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("loop") || name.starts_with("ram") {
            continue;
        }
        let dev = std::fs::read_to_string(entry.path().join("dev")).unwrap();
        if std::path::Path::new(&format!("/dev/{name}")).exists() {
            return (format!("/dev/{name}"), dev.trim().to_string());
        }
    }
    panic!("no block device on this machine");
}

#[test]
fn block_io_limits_and_cgroup_parent() {
    let t = Both::new();
    let (dev, numbers) = block_device();
    let read = format!("{dev}:1mb");
    let iops = format!("{dev}:100");
    let cmd = &[
        "sh",
        "-c",
        "cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device",
    ];
    let (ours, theirs) = t.both(
        &["--device-read-bps", &read, "--device-write-iops", &iops],
        cmd,
    );
    assert_eq!(ours, theirs);
    assert_eq!(ours, format!("{numbers} 1048576\n{numbers} 100"));

    let parent = format!("/rpodtest{}", std::process::id());
    let (ours, theirs) = t.both(&["--cgroup-parent", &parent], &["cat", "/proc/self/cgroup"]);
    for text in [&ours, &theirs] {
        assert!(
            text.lines().any(|l| l.contains(&format!(":{parent}/"))),
            "{text}"
        );
    }
    // The parent cgroups the runtime made are the test's to remove.
    for entry in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let dir = entry.path().join(parent.trim_start_matches('/'));
        if dir.is_dir() {
            let _ = Command::new("rmdir").arg(&dir).status();
        }
    }
    let (ours, theirs) = t.both_raw(&["--cgroups", "split"], &["true"]);
    assert_eq!(ours.status.code(), Some(125), "{}", describe(&ours));
    assert!(!theirs.status.success());
}

#[test]
fn pod_devices_sysctls_and_security_opts_as_podman() {
    let t = Both::new();
    let create = [
        "pod",
        "create",
        "--name",
        "pp",
        "--network",
        "none",
        "--device",
        "/dev/fuse",
        "--sysctl",
        "kernel.msgmax=4096",
        "--security-opt",
        "no-new-privileges",
    ];
    t.e.ok(&create);
    t.p.ok(&create);
    let cmd = "ls /dev/fuse; grep NoNewPrivs /proc/self/status; cat /proc/sys/kernel/msgmax";
    let args = ["run", "--rm", "--pod", "pp", "probe", "sh", "-c", cmd];
    let (ours, theirs) = (t.e.ok(&args), t.p.ok(&args));
    assert_eq!(ours, theirs);
    assert!(
        ours.contains("/dev/fuse") && ours.contains("4096"),
        "{ours}"
    );
    // The infra container carries the security options.
    let infra =
        t.e.ok(&["pod", "inspect", "pp", "--format", "{{.InfraContainerID}}"]);
    let opts = t.e.ok(&[
        "inspect",
        &infra,
        "--format",
        "{{json .HostConfig.SecurityOpt}}",
    ]);
    assert_eq!(opts, r#"["no-new-privileges"]"#);
    // `--share ""` shares nothing (podman-compose creates its pods so).
    t.e.ok(&["pod", "create", "--name", "alone", "--share", ""]);
    t.p.ok(&["pod", "create", "--name", "alone", "--share", ""]);
    let template = "{{json .SharedNamespaces}}";
    let ours = t.e.ok(&["pod", "inspect", "alone", "--format", template]);
    let theirs = t.p.ok(&["pod", "inspect", "alone", "--format", template]);
    assert_eq!(ours.replace("[]", "null"), theirs.replace("[]", "null"));
    t.e.ok(&["pod", "rm", "-f", "pp", "alone"]);
    t.p.ok(&["pod", "rm", "-f", "pp", "alone"]);
}

/// `--share-parent` (the default): the pod's cgroup holds its containers'
/// cgroups, and goes away with the pod.
#[test]
fn pod_cgroup_is_the_parent_of_its_containers() {
    let e = Engine::with_image();
    let pod = e.ok(&["pod", "create", "--name", "cg", "--network", "none"]);
    let path = e.ok(&["pod", "inspect", "cg", "--format", "{{.CgroupPath}}"]);
    assert_eq!(path, format!("/rpod/rpod-pod-{pod}"));
    let cgroups = e.ok(&[
        "run",
        "--rm",
        "--pod",
        "cg",
        "busybox",
        "cat",
        "/proc/self/cgroup",
    ]);
    assert!(
        cgroups
            .lines()
            .any(|l| l.contains(&format!("{path}/rpod-"))),
        "{cgroups}"
    );
    let pids_dir = std::path::Path::new("/sys/fs/cgroup/pids").join(path.trim_start_matches('/'));
    assert!(pids_dir.is_dir(), "{}", pids_dir.display());
    e.ok(&["pod", "rm", "-f", "cg"]);
    assert!(!pids_dir.exists(), "{} left behind", pids_dir.display());

    e.ok(&[
        "pod",
        "create",
        "--name",
        "flat",
        "--network",
        "none",
        "--share-parent=false",
    ]);
    assert_eq!(
        e.ok(&["pod", "inspect", "flat", "--format", "{{.CgroupPath}}"]),
        ""
    );
    let cgroups = e.ok(&[
        "run",
        "--rm",
        "--pod",
        "flat",
        "busybox",
        "cat",
        "/proc/self/cgroup",
    ]);
    assert!(!cgroups.contains("rpod-pod-"), "{cgroups}");
    e.ok(&["pod", "rm", "-f", "flat"]);
}

/// `pod create --uidmap`: the infra container gets the user namespace and
/// the pod's containers join it, as in podman.
#[test]
fn a_pods_containers_join_its_user_namespace() {
    let t = Both::new();
    let create = [
        "pod",
        "create",
        "--name",
        "up",
        "--network",
        "none",
        "--uidmap",
        "0:300000:65536",
    ];
    t.e.ok(&create);
    t.p.ok(&create);
    let args = [
        "run",
        "--rm",
        "--pod",
        "up",
        "probe",
        "sh",
        "-c",
        "cat /proc/self/uid_map; stat -c %u /bin",
    ];
    let (ours, theirs) = (t.e.ok(&args), t.p.ok(&args));
    assert_eq!(
        ours.split_whitespace().collect::<Vec<_>>(),
        theirs.split_whitespace().collect::<Vec<_>>()
    );
    assert!(ours.contains("300000"), "{ours}");
    let infra =
        t.e.ok(&["pod", "inspect", "up", "--format", "{{.InfraContainerID}}"]);
    let pid = t.e.ok(&["inspect", &infra, "--format", "{{.State.Pid}}"]);
    let member =
        t.e.ok(&["run", "-d", "--pod", "up", "probe", "sleep", "100"]);
    let mpid = t.e.ok(&["inspect", &member, "--format", "{{.State.Pid}}"]);
    let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/user")).unwrap();
    assert_eq!(ns(&pid), ns(&mpid));
    t.e.ok(&["pod", "rm", "-f", "up"]);
    // Podman 4.3.1 at times fails this removal with EBUSY on the
    // container's shm mount; the peer's leftovers are cleaned by its Drop.
    let _ = t.p.run(&["pod", "rm", "-f", "up"]);
}

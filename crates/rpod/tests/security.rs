//! Secure defaults, side by side with the installed podman: seccomp,
//! `--security-opt`, the pids limit, ulimits, /dev, and the file modes
//! that keep other local users out.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::*;

fn status_line(text: &str, field: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

const STATUS: &[&str] = &["cat", "/proc/self/status"];

#[test]
fn default_container_is_confined_as_podmans() {
    let t = Both::new();
    let (ours, theirs) = t.both(&[], STATUS);
    for field in ["Seccomp", "NoNewPrivs"] {
        assert_eq!(
            status_line(&ours, field),
            status_line(&theirs, field),
            "{field}"
        );
    }
    assert_eq!(status_line(&ours, "Seccomp"), "2");

    // The probe's syscalls fail the same way under both default profiles.
    let (ours, theirs) = t.both(&[], &["/probe"]);
    assert_eq!(ours, theirs, "probe results differ");
    for blocked in [
        "io_uring_setup",
        "perf_event_open",
        "add_key",
        "userfaultfd",
    ] {
        let line = ours
            .lines()
            .find(|l| l.starts_with(&format!("{blocked}=")))
            .unwrap();
        assert_ne!(line, format!("{blocked}=ok"), "{blocked} is not blocked");
    }
    assert!(ours.contains("getpid=ok"));

    // The pids limit, and /dev mounted noexec.
    let (ours, theirs) = t.both(&[], &["cat", "/sys/fs/cgroup/pids/pids.max"]);
    assert_eq!(ours, theirs);
    assert_eq!(ours, "2048");
    let dev = &["sh", "-c", "grep ' /dev tmpfs' /proc/self/mounts"];
    let (ours, theirs) = t.both(&[], dev);
    for text in [&ours, &theirs] {
        assert!(text.contains("noexec"), "/dev without noexec: {text}");
    }
}

#[test]
fn privileged_and_unconfined_have_no_filter() {
    let t = Both::new();
    for flags in [
        &["--privileged"][..],
        &["--security-opt", "seccomp=unconfined"][..],
    ] {
        let (ours, theirs) = t.both(flags, STATUS);
        assert_eq!(status_line(&ours, "Seccomp"), "0", "{flags:?}");
        assert_eq!(status_line(&theirs, "Seccomp"), "0", "{flags:?}");
        let (ours, theirs) = t.both(flags, &["/probe"]);
        assert_eq!(ours, theirs, "{flags:?}");
        assert!(ours.contains("io_uring_setup=ok"), "{flags:?}: {ours}");
    }
}

#[test]
fn security_opts_take_effect_as_in_podman() {
    let t = Both::new();
    // no-new-privileges
    let (ours, theirs) = t.both(&["--security-opt", "no-new-privileges"], STATUS);
    assert_eq!(status_line(&ours, "NoNewPrivs"), "1");
    assert_eq!(status_line(&theirs, "NoNewPrivs"), "1");

    // A profile of one's own: everything allowed but mkdir.
    let profile = t.e.file("no-mkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", profile.display());
    let cmd = &[
        "sh",
        "-c",
        "mkdir /x 2>/dev/null && echo made || echo refused",
    ];
    let (ours, theirs) = t.both(&["--security-opt", &opt], cmd);
    assert_eq!(ours, "refused");
    assert_eq!(ours, theirs);

    // mask= hides a path, proc-opts= reach the /proc mount.
    let cmd = &["sh", "-c", "cat /etc/hostname | wc -c"];
    let (ours, theirs) = t.both(&["--security-opt", "mask=/etc/hostname"], cmd);
    assert_eq!(ours, "0");
    assert_eq!(ours, theirs);
    let cmd = &["sh", "-c", "grep '^proc /proc ' /proc/self/mounts"];
    let (ours, theirs) = t.both(&["--security-opt", "proc-opts=hidepid=1"], cmd);
    for text in [&ours, &theirs] {
        assert!(text.contains("hidepid"), "{text}");
    }

    // unmask=ALL: none of the default read-only /proc submounts remain.
    let cmd = &[
        "sh",
        "-c",
        "grep -c ' /proc/[a-z]* proc .*ro,' /proc/self/mounts || true",
    ];
    let (ours, theirs) = t.both(&["--security-opt", "unmask=ALL"], cmd);
    assert_eq!(ours, theirs, "unmask=ALL");
    let (masked_ours, masked_theirs) = t.both(&[], cmd);
    assert_eq!(masked_ours, masked_theirs, "default read-only /proc paths");
    assert_ne!(masked_ours, ours, "unmask=ALL changed nothing");
}

#[test]
fn bad_security_opts_fail_as_in_podman() {
    let t = Both::new();
    for (opt, phrase) in [
        ("bogus", "invalid --security-opt"),
        ("apparmor=foo", "Apparmor is not enabled"),
        (
            "seccomp=/nonexistent/profile.json",
            "opening seccomp profile failed",
        ),
        ("seccomp-policy", "invalid --security-opt"),
    ] {
        let args = [
            "run",
            "--rm",
            "--network",
            "none",
            "--security-opt",
            opt,
            "probe",
            "true",
        ];
        let ours = t.e.rpod(&args);
        let theirs = t.p.run(&args);
        assert_eq!(ours.status.code(), Some(125), "{opt}: {}", describe(&ours));
        assert_eq!(ours.status.code(), theirs.status.code(), "{opt}");
        let err = String::from_utf8_lossy(&ours.stderr);
        assert!(err.contains(phrase), "{opt}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{opt}: {err}");
    }
    assert!(
        t.e.all_ids().is_empty(),
        "a refused create left a container"
    );
    let args = ["create", "--seccomp-policy", "bogus", "probe", "true"];
    let out = t.e.rpod(&args);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    assert_eq!(out.status.code(), t.p.run(&args).status.code());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid seccomp policy"));
    let args = [
        "create",
        "--cap-add",
        "net_admin",
        "--cap-drop",
        "NET_ADMIN",
        "probe",
        "true",
    ];
    let out = t.e.rpod(&args);
    assert_eq!(out.status.code(), t.p.run(&args).status.code());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("capability \"CAP_NET_ADMIN\" cannot be dropped and added"),
        "{}",
        describe(&out)
    );
    assert!(
        t.e.all_ids().is_empty(),
        "a refused create left a container"
    );
}

#[test]
fn inspect_shows_security_opts_and_pids_limit_as_podman() {
    let t = Both::new();
    let args = [
        "create",
        "--name",
        "sec",
        "--network",
        "none",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "no-new-privileges",
        "--security-opt",
        "label=disable",
        "probe",
        "true",
    ];
    t.e.ok(&args);
    t.p.ok(&args);
    for template in [
        "{{json .HostConfig.SecurityOpt}}",
        "{{.HostConfig.PidsLimit}}",
    ] {
        let ours = t.e.ok(&["inspect", "sec", "--format", template]);
        let theirs = t.p.ok(&["inspect", "sec", "--format", template]);
        assert_eq!(ours, theirs, "{template}");
    }
    let json: serde_json::Value = serde_json::from_str(&t.e.ok(&["inspect", "sec"])).unwrap();
    assert_eq!(
        json[0]["HostConfig"]["SecurityOpt"],
        serde_json::json!(["no-new-privileges", "label=disable", "seccomp=unconfined"])
    );

    // info reports the profile podman uses.
    let ours = t.e.ok(&["info", "--format", "json"]);
    let theirs = t.p.ok(&["info", "--format", "json"]);
    let (ours, theirs): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&ours).unwrap(),
        serde_json::from_str(&theirs).unwrap(),
    );
    for key in [
        "seccompEnabled",
        "seccompProfilePath",
        "apparmorEnabled",
        "rootless",
    ] {
        assert_eq!(
            ours["host"]["security"][key], theirs["host"]["security"][key],
            "info host.security.{key}"
        );
    }
}

fn own_limits(resource: libc::__rlimit_resource_t) -> (u64, u64) {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills the struct passed in.
    assert_eq!(unsafe { libc::getrlimit(resource, &mut l) }, 0);
    (l.rlim_cur, l.rlim_max)
}

#[test]
fn ulimits_are_checked_against_the_engines_own_limits() {
    let e = Engine::with_image();
    let (_, hard) = own_limits(libc::RLIMIT_NOFILE);
    // An explicit limit above the hard limit is refused, naming it.
    let too_high = format!("nofile={}:{}", hard + 1, hard + 1);
    let (code, err) = e.fails(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--ulimit",
        &too_high,
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--ulimit") && err.contains("hard limit"),
        "{err}"
    );
    // --ulimit host: this process's own limits.
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--ulimit",
        "host",
        "busybox",
        "sh",
        "-c",
        "ulimit -Hn; ulimit -Hu",
    ]);
    let (_, nproc_hard) = own_limits(libc::RLIMIT_NPROC);
    assert_eq!(out, format!("{hard}\n{nproc_hard}"));
    // A configured default above it is lowered, with one warning, and runs.
    e.set_config(&format!(
        "[containers]\ndefault_ulimits=[\"nofile={0}:{0}\"]\npids_limit=100\n",
        hard + 10
    ));
    let out = e.rpod(&[
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "ulimit -Hn; cat /sys/fs/cgroup/pids/pids.max",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{hard}\n100")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("warning").count(), 1, "{err}");
    // An explicit --pids-limit wins; -1 means none.
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--pids-limit",
        "-1",
        "busybox",
        "cat",
        "/sys/fs/cgroup/pids/pids.max",
    ]);
    assert_eq!(out, "max");
}

/// A local user made for one test, removed with everything it owns.
struct LocalUser {
    name: String,
    uid: u32,
}

impl LocalUser {
    fn new(tag: &str) -> LocalUser {
        let name = format!("rpod{tag}{}", std::process::id() % 100000);
        let out =
            user_db(Command::new("useradd").args(["-M", "-N", "-s", "/usr/sbin/nologin", &name]));
        assert!(out.status.success(), "useradd: {}", describe(&out));
        let out = Command::new("id").args(["-u", &name]).output().unwrap();
        let uid = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        LocalUser { name, uid }
    }

    /// Runs `args` as this user, with no supplementary groups.
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={}", self.uid))
            .arg("--regid=65534")
            .arg("--clear-groups")
            .arg("--")
            .args(args);
        run_with_timeout(c, None, COMMAND_TIMEOUT)
    }
}

impl Drop for LocalUser {
    fn drop(&mut self) {
        let _ = user_db(Command::new("userdel").arg(&self.name));
    }
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn other_users_cannot_reach_volumes_the_database_or_specs() {
    let e = Engine::with_image();
    // Only rpod's own modes stand between the user and the files.
    std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    e.ok(&["volume", "create", "data"]);
    e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "data:/data",
        "-e",
        "SECRET_TOKEN=hunter2",
        "busybox",
        "sh",
        "-c",
        "cp /bin/busybox /data/sb && chmod 4755 /data/sb",
    ]);
    let id = e.ok(&[
        "create",
        "--network",
        "none",
        "-e",
        "SECRET_TOKEN=hunter2",
        "busybox",
        "true",
    ]);
    e.ok(&["start", &id]);
    e.ok(&["wait", &id]);

    let root = e.root();
    let volume = root.join("volumes/data/_data/sb");
    assert!(volume.exists());
    let config = root.join(format!("containers/{id}/userdata/config.json"));
    assert_eq!(mode(&root) & 0o077, 0o011, "root is {:o}", mode(&root));
    assert_eq!(mode(&e.runroot()) & 0o077, 0o011);
    assert_eq!(mode(&root.join("volumes")), 0o700);
    assert_eq!(mode(&root.join("storage")), 0o700);
    assert_eq!(mode(&root.join("rpod.db")), 0o600);
    assert_eq!(mode(&config), 0o600);
    for entry in std::fs::read_dir(e.runroot().join("exits"))
        .unwrap()
        .flatten()
    {
        assert_eq!(mode(&entry.path()), 0o600, "{}", entry.path().display());
    }

    let user = LocalUser::new("sec");
    let out = user.run(&[volume.to_str().unwrap(), "id", "-u"]);
    assert!(
        !out.status.success(),
        "the setuid file ran: {}",
        describe(&out)
    );
    for file in [root.join("rpod.db"), config.clone()] {
        let out = user.run(&["cat", file.to_str().unwrap()]);
        assert!(
            !out.status.success(),
            "{} readable: {}",
            file.display(),
            describe(&out)
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
    }
    let out = user.run(&[
        super_rpod(),
        "--root",
        root.to_str().unwrap(),
        "--runroot",
        e.runroot().to_str().unwrap(),
        "inspect",
        &id,
    ]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));

    // An older, wider installation is tightened on its next use.
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(root.join("rpod.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(root.join("volumes"), std::fs::Permissions::from_mode(0o755)).unwrap();
    e.ok(&["ps", "-a"]);
    assert_eq!(mode(&root), 0o711);
    assert_eq!(mode(&root.join("rpod.db")), 0o600);
    assert_eq!(mode(&root.join("volumes")), 0o700);
}

fn super_rpod() -> &'static str {
    RPOD
}

/// `cp CTR:LINK` resolves the link inside the container, as podman does:
/// the copy is the target's content under the target's name, and a link
/// to a host path never lands on the host.
#[test]
fn cp_resolves_source_links_inside_the_container_as_podman() {
    let t = Both::new();
    let setup = "echo inside > /f; ln -s /f /l; mkdir /d; echo x > /d/y; ln -s /d /ld; \
                 ln -s /etc/shadow-of-the-host /dangling; ln -s ../../../../etc/hostname /up";
    for engine in ["rpod", "podman"] {
        let args = [
            "run",
            "--name",
            "links",
            "--network",
            "none",
            "probe",
            "sh",
            "-c",
            setup,
        ];
        if engine == "rpod" {
            t.e.ok(&args);
        } else {
            t.p.ok(&args);
        }
    }
    let cp = |engine: &str, args: &[&str]| {
        if engine == "rpod" {
            t.e.rpod(args)
        } else {
            t.p.run(args)
        }
    };
    let listing = |dir: &std::path::Path| -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                let meta = std::fs::symlink_metadata(e.path()).unwrap();
                let kind = if meta.file_type().is_symlink() {
                    "link"
                } else if meta.is_dir() {
                    "dir"
                } else {
                    "file"
                };
                format!("{} {kind}", e.file_name().to_string_lossy())
            })
            .collect();
        out.sort();
        out
    };
    let mut results = Vec::new();
    for engine in ["rpod", "podman"] {
        let dir = t.e.file(&format!("cp-{engine}"));
        std::fs::create_dir_all(&dir).unwrap();
        let d = format!("{}/", dir.display());
        for src in ["links:/l", "links:/ld", "links:/up"] {
            let out = cp(engine, &["cp", src, &d]);
            assert!(
                out.status.success(),
                "{engine} cp {src}: {}",
                describe(&out)
            );
        }
        let out = cp(engine, &["cp", "links:/l", &format!("{}named", d)]);
        assert!(out.status.success(), "{}", describe(&out));
        let dangling = cp(engine, &["cp", "links:/dangling", &d]);
        assert_eq!(
            dangling.status.code(),
            Some(125),
            "{engine}: {}",
            describe(&dangling)
        );
        if engine == "rpod" {
            assert!(String::from_utf8_lossy(&dangling.stderr)
                .contains("could not be found on container"));
        }
        assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "inside\n");
        results.push(listing(&dir));
    }
    assert_eq!(results[0], results[1]);
    assert!(
        !results[0].iter().any(|l| l.ends_with(" link")),
        "{:?}",
        results[0]
    );
}

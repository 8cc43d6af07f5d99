//! Rootless mode with real unprivileged users: each test makes a user with
//! `useradd` (and its `/etc/subuid`/`/etc/subgid` ranges), runs rpod as that
//! user through `runuser` with a run-time directory of its own, and removes
//! the user, its processes and its files afterwards. Nothing here passes
//! `--root`/`--runroot`: the point is the user's own defaults, and every
//! test has its own user.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// Serialises `useradd`/`usermod`/`userdel` with the other suites that make
/// users (they lock the password files and fail when busy).
fn with_user_db<T>(f: impl FnOnce() -> T) -> T {
    let lock = File::create("/tmp/rpod-users.lock").unwrap();
    // SAFETY: flock on a descriptor this function owns.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    f()
}

/// Runs a user-database command, again while another suite holds the
/// password files' lock or the user's last processes are being reaped.
fn run_ok(cmd: &mut Command) -> String {
    let out = user_db(cmd);
    assert!(out.status.success(), "{cmd:?}: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A subordinate range of `name` in `/etc/subuid` or `/etc/subgid`.
fn sub_range(file: &str, name: &str) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() == 3 && f[0] == name).then(|| (f[1].parse().unwrap(), f[2].parse().unwrap()))
    })
}

/// An unprivileged user made for one test.
struct User {
    name: String,
    uid: u32,
    gid: u32,
    home: PathBuf,
    /// Root-owned scratch directory (readable by the user): the run-time
    /// directory, the image tarball, shared files.
    dir: tempfile::TempDir,
}

impl User {
    /// A user with subordinate IDs (`subids`) or without.
    fn new(tag: &str, subids: bool) -> User {
        let name = format!("rpodrl{tag}{}", std::process::id() % 100000);
        with_user_db(|| {
            let _ = Command::new("userdel").args(["-r", &name]).output();
            run_ok(Command::new("useradd").args(["-m", "-s", "/bin/sh", &name]));
            let has = sub_range("/etc/subuid", &name).is_some();
            match (subids, has) {
                (false, true) => {
                    let (s, c) = sub_range("/etc/subuid", &name).unwrap();
                    let (gs, gc) = sub_range("/etc/subgid", &name).unwrap();
                    run_ok(Command::new("usermod").args([
                        "--del-subuids",
                        &format!("{s}-{}", s + c - 1),
                        "--del-subgids",
                        &format!("{gs}-{}", gs + gc - 1),
                        &name,
                    ]));
                }
                (true, false) => panic!("useradd gave {name} no subordinate IDs"),
                _ => {}
            }
        });
        let pw = nix::unistd::User::from_name(&name).unwrap().unwrap();
        let dir = tempfile::Builder::new()
            .prefix("rpod-rootless-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::os::unix::fs::chown(&run, Some(pw.uid.as_raw()), Some(pw.gid.as_raw())).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        User {
            name,
            uid: pw.uid.as_raw(),
            gid: pw.gid.as_raw(),
            home: pw.dir,
            dir,
        }
    }

    fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// `program args` as the user, with a clean environment: HOME, USER,
    /// PATH and (when `xdg`) XDG_RUNTIME_DIR.
    fn command(&self, xdg: bool, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("runuser");
        c.args(["-u", &self.name, "--", "env", "-i"])
            .arg(format!("HOME={}", self.home.display()))
            .arg(format!("USER={}", self.name))
            .arg("PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
        if xdg {
            c.arg(format!("XDG_RUNTIME_DIR={}", self.runtime_dir().display()));
        }
        c.arg(program).args(args).current_dir(self.dir.path());
        c
    }

    fn rpod(&self, args: &[&str]) -> Output {
        run_with_timeout(self.command(true, RPOD, args), None, COMMAND_TIMEOUT)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.rpod(args);
        assert!(
            out.status.success(),
            "rpod {args:?} as {}: {}",
            self.name,
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.rpod(args);
        assert!(!out.status.success(), "rpod {args:?} should fail");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    }

    /// Imports the busybox root file system as `localhost/busybox`.
    fn with_image(self) -> User {
        let tar = self.dir.path().join("busybox.tar");
        let st = Command::new("sh")
            .arg(script())
            .arg(&tar)
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        std::fs::set_permissions(&tar, std::fs::Permissions::from_mode(0o644)).unwrap();
        self.ok(&[
            "import",
            "--change",
            "CMD=sh",
            tar.to_str().unwrap(),
            "localhost/busybox",
        ]);
        self
    }

    /// A directory owned by the user inside the scratch directory.
    fn own_dir(&self, name: &str) -> PathBuf {
        let d = self.dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::os::unix::fs::chown(&d, Some(self.uid), Some(self.gid)).unwrap();
        d
    }

    /// The pause process's PID, from its record.
    fn pause_pid(&self) -> Option<i32> {
        let text =
            std::fs::read_to_string(self.runtime_dir().join("rpod-userns/pause.pid")).ok()?;
        text.split_whitespace().next()?.parse().ok()
    }

    /// PIDs of the user's processes.
    fn processes(&self) -> Vec<i32> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
            .filter(|pid| {
                // Real, effective, saved or file-system UID: what userdel
                // counts as the user's.
                proc_status_field(*pid, "Uid")
                    .is_some_and(|ids| ids.split_whitespace().any(|id| id == self.uid.to_string()))
            })
            .collect()
    }
}

impl Drop for User {
    fn drop(&mut self) {
        let _ = self.rpod(&["pod", "rm", "-a", "-f", "-t", "0"]);
        let _ = self.rpod(&["rm", "-a", "-f", "-t", "0"]);
        let _ = self.rpod(&["system", "reset", "-f"]);
        // Ends the pause process: its namespaces, and the mounts in them, go.
        let _ = self.rpod(&["system", "migrate"]);
        for _ in 0..50 {
            let left = self.processes();
            if left.is_empty() {
                break;
            }
            for pid in left {
                kill_pid(pid, libc::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = std::fs::remove_dir_all(format!("/tmp/rpod-run-{}", self.uid));
        with_user_db(|| {
            // -f: zombies of the user's processes may wait for PID 1.
            let _ = Command::new("userdel")
                .args(["-f", "-r", &self.name])
                .output();
        });
    }
}

/// GET `path` from 127.0.0.1:`port`; the body, or None.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

/// A world-readable web root with `index.html` = `body`.
fn web_root(u: &User, body: &str) -> PathBuf {
    let www = u.dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), body).unwrap();
    std::fs::set_permissions(&www, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        www.join("index.html"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    www
}

#[test]
fn a_user_gets_its_own_roots_namespace_and_info() {
    let u = User::new("a", true);
    let (sub_start, sub_count) = sub_range("/etc/subuid", &u.name).unwrap();
    let info: serde_json::Value =
        serde_json::from_str(&u.ok(&["info", "--format", "json"])).unwrap();
    assert_eq!(info["host"]["security"]["rootless"], true, "{info}");
    let graph = info["store"]["graphRoot"].as_str().unwrap();
    assert!(
        graph.starts_with(&format!("{}/.local/share/rpod", u.home.display())),
        "{graph}"
    );
    let run_root = info["store"]["runRoot"].as_str().unwrap();
    assert!(
        run_root.starts_with(&format!("{}/rpod", u.runtime_dir().display())),
        "{run_root}"
    );
    let uidmap = &info["host"]["idMappings"]["uidmap"];
    assert_eq!(uidmap[0]["container_id"], 0);
    assert_eq!(uidmap[0]["host_id"], u.uid);
    assert_eq!(uidmap[0]["size"], 1);
    assert_eq!(uidmap[1]["host_id"], sub_start);
    assert_eq!(uidmap[1]["size"], sub_count);
    assert_eq!(info["host"]["rootlessNetworkCmd"], "pasta");

    // unshare: root inside, the maps, the storage variables.
    assert_eq!(u.ok(&["unshare", "id", "-u"]), "0");
    let maps = map_lines(&u.ok(&["unshare", "cat", "/proc/self/uid_map"]));
    assert_eq!(maps, vec![(0, u.uid as u64, 1), (1, sub_start, sub_count)]);
    let graphroot = u.ok(&["unshare", "sh", "-c", "echo $CONTAINERS_GRAPHROOT"]);
    assert!(graphroot.starts_with(graph), "{graphroot}");
    let (code, _) = u.fails(&["unshare", "sh", "-c", "exit 7"]);
    assert_eq!(code, 7, "unshare passes the command's exit code");

    // One pause process, joined by every later command.
    let pause = u.pause_pid().expect("a pause process");
    assert!(pid_alive(pause));
    u.ok(&["ps", "-a"]);
    assert_eq!(u.pause_pid(), Some(pause));
    let own_ns = std::fs::read_link(format!("/proc/{pause}/ns/user")).unwrap();
    assert_ne!(own_ns, std::fs::read_link("/proc/self/ns/user").unwrap());

    // Root refuses unshare, with podman's words and exit code.
    let root = Engine::new();
    let (code, err) = root.fails(&["unshare", "true"]);
    let podman = Podman::new(&root).run(&["unshare", "true"]);
    assert_eq!(Some(code), podman.status.code());
    let podman_err = String::from_utf8_lossy(&podman.stderr);
    assert!(
        podman_err.contains("please use unshare with rootless")
            && err.contains("please use unshare with rootless"),
        "rpod: {err}\npodman: {podman_err}"
    );

    // Without XDG_RUNTIME_DIR: a private /tmp/rpod-run-UID.
    let out = run_with_timeout(
        u.command(false, RPOD, &["info", "--format", "{{.Store.RunRoot}}"]),
        None,
        COMMAND_TIMEOUT,
    );
    assert!(out.status.success(), "{}", describe(&out));
    let fallback = PathBuf::from(format!("/tmp/rpod-run-{}", u.uid));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        fallback.join("rpod").display().to_string()
    );
    let meta = std::fs::symlink_metadata(&fallback).unwrap();
    assert_eq!(meta.uid(), u.uid);
    assert_eq!(meta.mode() & 0o077 & !0o011, 0, "{:o}", meta.mode());
    let out = run_with_timeout(
        u.command(false, RPOD, &["system", "migrate"]),
        None,
        COMMAND_TIMEOUT,
    );
    assert!(out.status.success(), "{}", describe(&out));

    // Users never see each other's containers, images or volumes.
    let u = u.with_image();
    u.ok(&["create", "--name", "mine", "localhost/busybox"]);
    u.ok(&["volume", "create", "myvol"]);
    let other = User::new("b", true);
    assert_eq!(other.ok(&["ps", "-aq"]), "");
    assert_eq!(other.ok(&["images", "-q"]), "");
    assert_eq!(other.ok(&["volume", "ls", "-q"]), "");
    assert!(other.fails(&["inspect", "mine"]).1.contains("mine"));
    // …and cannot read them on disk either.
    let home_data = u.home.join(".local/share/rpod");
    let probe = run_with_timeout(
        other.command(true, "ls", &[home_data.join("storage").to_str().unwrap()]),
        None,
        COMMAND_TIMEOUT,
    );
    assert!(!probe.status.success(), "{}", describe(&probe));
}

#[test]
fn containers_run_exec_and_stay_inside_what_the_user_may_touch() {
    let u = User::new("c", true).with_image();
    let (sub_start, _) = sub_range("/etc/subuid", &u.name).unwrap();
    assert_eq!(u.ok(&["run", "--rm", "localhost/busybox", "id", "-u"]), "0");
    let containerenv = u.ok(&[
        "run",
        "--rm",
        "--privileged",
        "localhost/busybox",
        "cat",
        "/run/.containerenv",
    ]);
    assert!(containerenv.contains("rootless=1"), "{containerenv}");

    // Lifecycle of a detached container.
    u.ok(&[
        "run",
        "-d",
        "--name",
        "s",
        "localhost/busybox",
        "sh",
        "-c",
        "echo started; exec sleep 600",
    ]);
    assert_eq!(u.ok(&["exec", "s", "cat", "/proc/1/comm"]), "sleep");
    wait_until("logs", POLL_TIMEOUT, || {
        u.ok(&["logs", "s"]).contains("started")
    });
    u.ok(&[
        "cp",
        u.dir.path().join("busybox.tar").to_str().unwrap(),
        "s:/tmp/in.tar",
    ]);
    assert!(u
        .ok(&["exec", "s", "ls", "-l", "/tmp/in.tar"])
        .contains("in.tar"));
    let out_dir = u.own_dir("out");
    u.ok(&["cp", "s:/etc/hostname", out_dir.to_str().unwrap()]);
    assert_eq!(
        std::fs::metadata(out_dir.join("hostname")).unwrap().uid(),
        u.uid
    );
    u.ok(&["commit", "s", "localhost/committed"]);
    u.ok(&["export", "-o", out_dir.join("s.tar").to_str().unwrap(), "s"]);
    // Freezing needs a cgroup: refused in podman's words, still running.
    let (code, err) = u.fails(&["pause", "s"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("can not pause containers on rootless containers with cgroup V1"),
        "{err}"
    );
    assert_eq!(
        u.ok(&["inspect", "s", "--format", "{{.State.Status}}"]),
        "running"
    );
    let (code, err) = u.fails(&["stats", "--no-stream", "s"]);
    assert_eq!(code, 125, "{err}");
    let (code, err) = u.fails(&["update", "--memory", "64m", "s"]);
    assert_eq!(code, 125, "{err}");
    // attach: the output of the running container reaches the client.
    u.ok(&[
        "run",
        "-d",
        "--name",
        "ticker",
        "localhost/busybox",
        "sh",
        "-c",
        "while true; do echo tick; sleep 0.2; done",
    ]);
    let attached = run_with_timeout(
        u.command(
            true,
            "timeout",
            &[
                "-s",
                "KILL",
                "3",
                RPOD,
                "attach",
                "--no-stdin",
                "--sig-proxy=false",
                "ticker",
            ],
        ),
        None,
        COMMAND_TIMEOUT,
    );
    assert!(
        String::from_utf8_lossy(&attached.stdout).contains("tick"),
        "{}",
        describe(&attached)
    );
    u.ok(&["rm", "-f", "-t", "0", "ticker"]);
    u.ok(&["stop", "-t", "1", "s"]);
    assert_eq!(
        u.ok(&["inspect", "s", "--format", "{{.State.Status}}"]),
        "exited"
    );
    u.ok(&["start", "s"]);
    u.ok(&["kill", "s"]);
    u.ok(&["rm", "-f", "s"]);
    assert_eq!(
        u.ok(&["run", "--rm", "localhost/committed", "ls", "/tmp/in.tar"]),
        "/tmp/in.tar"
    );

    // Limits need a delegated cgroup: refused, nothing left behind.
    for flags in [
        &["--memory", "64m"][..],
        &["--cpus", "1"],
        &["--pids-limit", "10"],
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend(["localhost/busybox", "true"]);
        let (code, err) = u.fails(&args);
        assert_eq!(code, 125);
        assert!(err.contains("cgroups V1 rootless"), "{flags:?}: {err}");
    }
    assert_eq!(u.ok(&["ps", "-aq"]), "");

    // Files made in a bind mount belong to the user, or to the mapped
    // subordinate ID; a root-owned host file stays unwritable.
    let shared = u.own_dir("shared");
    let bind = format!("{}:/b", shared.display());
    u.ok(&[
        "run",
        "--rm",
        "-v",
        &bind,
        "localhost/busybox",
        "sh",
        "-c",
        "touch /b/by-root && touch /b/by-1000 && chown 1000:1000 /b/by-1000",
    ]);
    assert_eq!(
        std::fs::metadata(shared.join("by-root")).unwrap().uid(),
        u.uid
    );
    assert_eq!(
        std::fs::metadata(shared.join("by-1000")).unwrap().uid() as u64,
        sub_start + 999
    );
    let host_file = u.dir.path().join("root-owned");
    std::fs::write(&host_file, "keep\n").unwrap();
    std::fs::set_permissions(&host_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = u.rpod(&[
        "run",
        "--rm",
        "-v",
        &format!("{}:/f", host_file.display()),
        "localhost/busybox",
        "sh",
        "-c",
        "echo changed > /f",
    ]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&host_file).unwrap(), "keep\n");

    // Named volumes live in the user's root, owned by the user.
    u.ok(&[
        "run",
        "--rm",
        "-v",
        "data:/data",
        "localhost/busybox",
        "touch",
        "/data/f",
    ]);
    let vol = PathBuf::from(u.ok(&["volume", "inspect", "data", "--format", "{{.Mountpoint}}"]));
    assert!(vol.starts_with(&u.home), "{}", vol.display());
    assert_eq!(std::fs::metadata(vol.join("f")).unwrap().uid(), u.uid);

    // User namespace modes of rootless containers.
    assert_eq!(
        u.ok(&[
            "run",
            "--rm",
            "--userns",
            "keep-id",
            "localhost/busybox",
            "id",
            "-u"
        ]),
        u.uid.to_string()
    );
    let keep = map_lines(&u.ok(&[
        "run",
        "--rm",
        "--userns",
        "keep-id",
        "localhost/busybox",
        "cat",
        "/proc/self/uid_map",
    ]));
    assert!(keep.contains(&(u.uid as u64, 0, 1)), "{keep:?}");
    assert_eq!(
        u.ok(&[
            "run",
            "--rm",
            "--userns",
            "keep-id:uid=5,gid=6",
            "localhost/busybox",
            "sh",
            "-c",
            "echo $(id -u) $(id -g)"
        ]),
        "5 6"
    );
    let nomap = map_lines(&u.ok(&[
        "run",
        "--rm",
        "--userns",
        "nomap",
        "localhost/busybox",
        "cat",
        "/proc/self/uid_map",
    ]));
    assert!(
        nomap.iter().all(|(_, outside, _)| *outside != 0),
        "{nomap:?}"
    );
    let auto = map_lines(&u.ok(&[
        "run",
        "--rm",
        "--userns",
        "auto",
        "localhost/busybox",
        "cat",
        "/proc/self/uid_map",
    ]));
    assert_eq!(auto.len(), 1, "{auto:?}");
    assert_eq!(auto[0].0, 0);
    assert!(auto[0].1 >= 1, "{auto:?}");

    // Health checks and restart policies need no systemd.
    u.ok(&[
        "run",
        "-d",
        "--name",
        "hc",
        "--health-cmd",
        "true",
        "--health-interval",
        "1s",
        "localhost/busybox",
        "sleep",
        "600",
    ]);
    wait_until("healthy", POLL_TIMEOUT, || {
        u.ok(&["inspect", "hc", "--format", "{{.State.Health.Status}}"]) == "healthy"
    });
    u.ok(&[
        "run",
        "-d",
        "--name",
        "rs",
        "--restart",
        "on-failure:2",
        "localhost/busybox",
        "sh",
        "-c",
        "exit 3",
    ]);
    wait_until("two restarts", POLL_TIMEOUT, || {
        u.ok(&[
            "inspect",
            "rs",
            "--format",
            "{{.RestartCount}} {{.State.Status}}",
        ]) == "2 exited"
    });
}

#[test]
fn published_ports_reach_containers_and_the_host_loopback_stays_closed() {
    let u = User::new("d", true).with_image();
    let www = web_root(&u, "rootless-page\n");
    let web_mount = format!("{}:/www:ro", www.display());

    // pasta by default.
    let port = free_port();
    u.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        &format!("{port}:80"),
        "-v",
        &web_mount,
        "localhost/busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ]);
    assert_eq!(
        u.ok(&["inspect", "web", "--format", "{{.HostConfig.NetworkMode}}"]),
        "pasta"
    );
    let body = wait_for("the page through pasta", POLL_TIMEOUT, || {
        http_get(port, "/")
    });
    assert_eq!(body, "rootless-page\n");
    assert!(u.ok(&["port", "web"]).contains(&port.to_string()));
    let hosts = u.ok(&["exec", "web", "cat", "/etc/hosts"]);
    assert!(!hosts.contains("host.containers.internal"), "{hosts}");
    u.ok(&["rm", "-f", "-t", "0", "web"]);

    // A listener on the host's loopback: closed to pasta's and to
    // slirp4netns's containers, open with allow_host_loopback=true.
    // Every connection is counted and closed at once, so a client that got
    // through ends too.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let lport = listener.local_addr().unwrap().port().to_string();
    listener.set_nonblocking(true).unwrap();
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acceptor = {
        let (reached, done) = (reached.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok((conn, _)) = listener.accept() {
                    reached.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    drop(conn);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let probe = |net: &str, addr: &str| {
        u.rpod(&[
            "run",
            "--rm",
            "--network",
            net,
            "localhost/busybox",
            "sh",
            "-c",
            &format!("nc -w 2 {addr} {lport} </dev/null"),
        ])
        .status
        .success()
    };
    let count = || reached.load(std::sync::atomic::Ordering::SeqCst);
    assert!(!probe("pasta", "127.0.0.1"));
    assert!(!probe("slirp4netns", "10.0.2.2"));
    assert_eq!(count(), 0, "nothing reached the host loopback");
    assert!(probe("slirp4netns:allow_host_loopback=true", "10.0.2.2"));
    wait_until("the host loopback reached", POLL_TIMEOUT, || count() == 1);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    acceptor.join().unwrap();

    // slirp4netns with a published port.
    let port = free_port();
    u.ok(&[
        "run",
        "-d",
        "--name",
        "sl",
        "--network",
        "slirp4netns",
        "-p",
        &format!("{port}:80"),
        "-v",
        &web_mount,
        "localhost/busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ]);
    let body = wait_for("the page through slirp4netns", POLL_TIMEOUT, || {
        http_get(port, "/")
    });
    assert_eq!(body, "rootless-page\n");
    assert!(u
        .ok(&["exec", "sl", "cat", "/etc/resolv.conf"])
        .contains("nameserver 10.0.2.3"));
    u.ok(&["rm", "-f", "-t", "0", "sl"]);

    // none and host.
    let addrs = u.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "localhost/busybox",
        "ip",
        "-o",
        "link",
    ]);
    assert_eq!(addrs.lines().count(), 1, "{addrs}");
    let host_links: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let seen = u.ok(&[
        "run",
        "--rm",
        "--network",
        "host",
        "localhost/busybox",
        "ls",
        "/sys/class/net",
    ]);
    for link in &host_links {
        assert!(
            seen.split_whitespace().any(|l| l == link),
            "{link} in {seen}"
        );
    }

    // A bridge network of the user's own, in the rootless network
    // namespace: names resolve through aardvark-dns, ports are published.
    u.ok(&["network", "create", "backend"]);
    u.ok(&[
        "run",
        "-d",
        "--name",
        "db",
        "--network",
        "backend",
        "localhost/busybox",
        "sh",
        "-c",
        "echo pong > /tmp/p; exec httpd -f -p 8000 -h /tmp",
    ]);
    let port = free_port();
    u.ok(&[
        "run",
        "-d",
        "--name",
        "front",
        "--network",
        "backend",
        "-p",
        &format!("127.0.0.1:{port}:80"),
        "-v",
        &web_mount,
        "localhost/busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ]);
    let body = wait_for("the page through the bridge", POLL_TIMEOUT, || {
        http_get(port, "/")
    });
    assert_eq!(body, "rootless-page\n");
    let resolved = u.ok(&["exec", "front", "nslookup", "db"]);
    let db_ip = u.ok(&[
        "inspect",
        "db",
        "--format",
        "{{(index .NetworkSettings.Networks \"backend\").IPAddress}}",
    ]);
    assert!(resolved.contains(&db_ip), "{resolved}\n{db_ip}");
    let fetched = u.ok(&[
        "exec",
        "front",
        "sh",
        "-c",
        "printf 'GET /p HTTP/1.0\\r\\n\\r\\n' | nc -w 3 db 8000",
    ]);
    assert!(fetched.ends_with("pong"), "{fetched}");
    // The bridge lives in the rootless network namespace, which unshare
    // joins.
    let links = u.ok(&["unshare", "--rootless-netns", "ip", "-o", "link"]);
    assert!(links.contains("tap0"), "{links}");
    assert!(links.contains(" master "), "the containers' veths: {links}");
    u.ok(&["rm", "-f", "-t", "0", "db", "front"]);
    assert_eq!(http_get(port, "/"), None, "the port is closed again");

    // A pod publishes through its infra container.
    let port = free_port();
    u.ok(&["pod", "create", "--name", "p", "-p", &format!("{port}:80")]);
    u.ok(&[
        "run",
        "-d",
        "--pod",
        "p",
        "--name",
        "pw",
        "-v",
        &web_mount,
        "localhost/busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ]);
    let body = wait_for("the pod's page", POLL_TIMEOUT, || http_get(port, "/"));
    assert_eq!(body, "rootless-page\n");
    assert_eq!(u.ok(&["pod", "ps", "--format", "{{.Status}}"]), "Running");
    u.ok(&["pod", "rm", "-f", "p"]);
}

#[test]
fn images_move_through_a_registry_archives_and_builds() {
    let u = User::new("e", true).with_image();
    let registry = Registry::start(None);
    let remote = format!("{}/rootless/busybox:1", registry.host());
    u.ok(&["tag", "localhost/busybox", &remote]);
    u.ok(&["push", "--tls-verify=false", &remote]);
    u.ok(&["rmi", &remote]);
    u.ok(&["pull", "--tls-verify=false", &remote]);
    assert_eq!(u.ok(&["run", "--rm", &remote, "echo", "pulled"]), "pulled");

    let out = u.own_dir("out");
    let archive = out.join("bb.tar");
    u.ok(&["save", "-o", archive.to_str().unwrap(), &remote]);
    assert_eq!(std::fs::metadata(&archive).unwrap().uid(), u.uid);
    u.ok(&["rmi", &remote]);
    assert!(u
        .ok(&["load", "-i", archive.to_str().unwrap()])
        .contains("rootless/busybox"));

    let ctx = u.own_dir("ctx");
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM localhost/busybox\nRUN echo built > /built && chown 1000:1000 /built\nUSER 1000\nCMD [\"cat\", \"/built\"]\n",
    )
    .unwrap();
    std::fs::set_permissions(
        ctx.join("Containerfile"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    u.ok(&[
        "build",
        "-q",
        "-t",
        "localhost/built",
        ctx.to_str().unwrap(),
    ]);
    assert_eq!(u.ok(&["run", "--rm", "localhost/built"]), "built");
    assert_eq!(
        u.ok(&[
            "run",
            "--rm",
            "localhost/built",
            "stat",
            "-c",
            "%u %g",
            "/built"
        ]),
        "1000 1000"
    );
}

#[test]
fn system_migrate_rebuilds_the_namespace_from_new_ranges() {
    let u = User::new("f", true).with_image();
    u.ok(&[
        "run",
        "-d",
        "--name",
        "s",
        "localhost/busybox",
        "sleep",
        "600",
    ]);
    let (start, count) = sub_range("/etc/subuid", &u.name).unwrap();
    let (gstart, gcount) = sub_range("/etc/subgid", &u.name).unwrap();
    // Far above what useradd hands out, and distinct per test process.
    let new_start = 3_000_000_000u64 + u64::from(std::process::id() % 1000) * 70_000;
    // Edited as usermod would, without its refusal while the user's last
    // processes wait to be reaped.
    with_user_db(|| {
        for (file, old) in [
            ("/etc/subuid", format!("{}:{start}:{count}", u.name)),
            ("/etc/subgid", format!("{}:{gstart}:{gcount}", u.name)),
        ] {
            let text = std::fs::read_to_string(file).unwrap();
            assert!(text.contains(&old), "{file}: {text}");
            let new = text.replace(&old, &format!("{}:{new_start}:65536", u.name));
            std::fs::write(format!("{file}.rpod-test"), new).unwrap();
            std::fs::rename(format!("{file}.rpod-test"), file).unwrap();
        }
    });
    // The pause process still holds the old ranges until migrate ends it.
    let old = map_lines(&u.ok(&["unshare", "cat", "/proc/self/uid_map"]));
    assert_eq!(old[1].1, start);
    let pause = u.pause_pid().unwrap();
    u.ok(&["system", "migrate"]);
    assert!(
        !pid_alive(pause) || proc_status_field(pause, "State").is_some_and(|s| s.starts_with('Z'))
    );
    assert_eq!(
        u.ok(&["inspect", "s", "--format", "{{.State.Status}}"]),
        "exited"
    );
    let maps = map_lines(&u.ok(&["unshare", "cat", "/proc/self/uid_map"]));
    assert_eq!(maps, vec![(0, u.uid as u64, 1), (1, new_start, 65536)]);
    assert_ne!(u.pause_pid(), Some(pause));
    u.ok(&["start", "s"]);
    assert_eq!(u.ok(&["exec", "s", "id", "-u"]), "0");
}

#[test]
fn a_user_without_subordinate_ids_has_only_itself_mapped() {
    let u = User::new("g", false);
    let first = u.rpod(&["unshare", "cat", "/proc/self/uid_map"]);
    assert!(first.status.success(), "{}", describe(&first));
    let warning = String::from_utf8_lossy(&first.stderr);
    assert!(warning.contains("no subordinate IDs"), "{warning}");
    assert_eq!(
        map_lines(&String::from_utf8_lossy(&first.stdout)),
        vec![(0, u.uid as u64, 1)]
    );
    let again = u.rpod(&["unshare", "true"]);
    assert!(again.status.success());
    assert!(again.stderr.is_empty(), "said once: {}", describe(&again));
    let u = u.with_image();
    assert_eq!(u.ok(&["run", "--rm", "localhost/busybox", "id", "-u"]), "0");
    let (code, err) = u.fails(&[
        "run",
        "--rm",
        "--userns",
        "keep-id",
        "localhost/busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("subordinate"), "{err}");
}

/// Rootless podman run by the same user (storage under the test's directory,
/// vfs, runc, cgroupfs, this host's rlimits), as the reference.
fn podman_as(u: &User, args: &[&str]) -> Output {
    let conf = u.dir.path().join("containers.conf");
    if !conf.exists() {
        std::fs::write(
            &conf,
            "[containers]\ndefault_ulimits=[\"nofile=1024:1024\",\"nproc=5000:5000\"]\n\
             [network]\nnetwork_backend=\"netavark\"\n\
             [engine]\nruntime=\"runc\"\ncgroup_manager=\"cgroupfs\"\nevents_logger=\"file\"\n\
             helper_binaries_dir=[\"/usr/lib/podman\",\"/usr/libexec/podman\"]\n",
        )
        .unwrap();
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let store = u.own_dir("podman");
    let mut c = u.command(true, "env", &[]);
    c.arg(format!("CONTAINERS_CONF={}", conf.display()))
        .arg("podman")
        .arg("--root")
        .arg(store.join("root"))
        .arg("--runroot")
        .arg(store.join("run"))
        .arg("--storage-driver")
        .arg("vfs")
        .args(args);
    run_with_timeout(c, None, COMMAND_TIMEOUT)
}

#[test]
fn a_rootless_user_sees_what_rootless_podman_shows() {
    let u = User::new("h", true).with_image();
    let tar = u.dir.path().join("busybox.tar");
    let imported = podman_as(&u, &["import", tar.to_str().unwrap(), "localhost/busybox"]);
    assert!(imported.status.success(), "{}", describe(&imported));
    let both = |args: &[&str]| -> (Output, Output) { (u.rpod(args), podman_as(&u, args)) };
    let same_output = |args: &[&str]| {
        let (r, p) = both(args);
        assert!(p.status.success(), "podman {args:?}: {}", describe(&p));
        assert!(r.status.success(), "rpod {args:?}: {}", describe(&r));
        assert_eq!(
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&p.stdout),
            "{args:?}"
        );
    };
    // The user's namespace.
    same_output(&["unshare", "cat", "/proc/self/uid_map"]);
    same_output(&["unshare", "cat", "/proc/self/gid_map"]);
    same_output(&["unshare", "id", "-u"]);
    same_output(&[
        "info",
        "--format",
        "{{.Host.Security.Rootless}} {{.Host.IDMappings.UIDMap}} {{.Host.IDMappings.GIDMap}}",
    ]);
    // What a container sees of it, in each user namespace mode.
    for userns in [
        None,
        Some("keep-id"),
        Some("keep-id:uid=5,gid=6"),
        Some("nomap"),
        Some("auto"),
    ] {
        let mut args = vec!["run", "--rm"];
        if let Some(mode) = userns {
            args.extend(["--userns", mode]);
        }
        args.extend([
            "localhost/busybox",
            "sh",
            "-c",
            "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map",
        ]);
        same_output(&args);
    }
    // Who owns what a container writes into a bind mount.
    let owners = |engine: &str| -> Vec<(String, u32, u32)> {
        let dir = u.own_dir(&format!("bind-{engine}"));
        let args = [
            "run",
            "--rm",
            "-v",
            &format!("{}:/b", dir.display()),
            "localhost/busybox",
            "sh",
            "-c",
            "touch /b/root && touch /b/u1000 && chown 1000:1000 /b/u1000 && mkdir /b/d && chown 0:5 /b/d",
        ];
        let out = if engine == "rpod" {
            u.rpod(&args)
        } else {
            podman_as(&u, &args)
        };
        assert!(out.status.success(), "{engine}: {}", describe(&out));
        let mut seen: Vec<(String, u32, u32)> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| {
                let m = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    m.uid(),
                    m.gid(),
                )
            })
            .collect();
        seen.sort();
        seen
    };
    assert_eq!(owners("rpod"), owners("podman"));
    // What cannot work without a cgroup: podman's exit codes and words.
    for engine in ["rpod", "podman"] {
        let out = if engine == "rpod" {
            u.rpod(&[
                "run",
                "-d",
                "--name",
                "frozen",
                "localhost/busybox",
                "sleep",
                "600",
            ])
        } else {
            podman_as(
                &u,
                &[
                    "run",
                    "-d",
                    "--name",
                    "frozen",
                    "localhost/busybox",
                    "sleep",
                    "600",
                ],
            )
        };
        assert!(out.status.success(), "{engine}: {}", describe(&out));
    }
    for args in [
        &["pause", "frozen"][..],
        &["stats", "--no-stream", "frozen"],
    ] {
        let (r, p) = both(args);
        assert_eq!(r.status.code(), p.status.code(), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&r.stderr).trim(),
            String::from_utf8_lossy(&p.stderr).trim(),
            "{args:?}"
        );
    }
    let _ = podman_as(&u, &["rm", "-f", "-t", "0", "frozen"]);
}

#[test]
fn the_api_service_of_a_user_runs_its_containers() {
    let u = User::new("i", true).with_image();
    let sock = u.runtime_dir().join("api.sock");
    let mut service = u
        .command(
            true,
            RPOD,
            &[
                "system",
                "service",
                "--time",
                "0",
                &format!("unix://{}", sock.display()),
            ],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the socket", POLL_TIMEOUT, || sock.exists());
    let docker = |args: &[&str]| {
        let mut c = Command::new("docker");
        c.env("DOCKER_HOST", format!("unix://{}", sock.display()))
            .env("DOCKER_CONFIG", u.dir.path().join("docker-config"))
            .args(args);
        let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
        assert!(out.status.success(), "docker {args:?}: {}", describe(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(
        docker(&[
            "run",
            "--rm",
            "--name",
            "viaapi",
            "localhost/busybox",
            "id",
            "-u"
        ]),
        "0"
    );
    docker(&["create", "--name", "made", "localhost/busybox", "true"]);
    // The CLI sees what the API made: the same user's engine.
    assert_eq!(u.ok(&["ps", "-a", "--format", "{{.Names}}"]), "made");
    let info = docker(&["info", "--format", "{{json .SecurityOptions}}"]);
    assert!(info.contains("rootless"), "{info}");
    kill_pid(service.id() as i32, libc::SIGTERM);
    let _ = wait_child(&mut service, Duration::from_secs(20));
}

#[test]
fn the_users_containers_conf_applies_as_in_podman_and_rpod_conf_wins() {
    let u = User::new("j", true).with_image();
    let conf_dir = u.home.join(".config/containers");
    std::fs::create_dir_all(&conf_dir).unwrap();
    std::fs::write(
        conf_dir.join("containers.conf"),
        "[containers]\nenv=[\"FROMCONF=podman-keys\"]\ndefault_ulimits=[\"nofile=512:512\",\"nproc=5000:5000\"]\n\
         [network]\nnetwork_backend=\"netavark\"\n\
         [engine]\nruntime=\"runc\"\ncgroup_manager=\"cgroupfs\"\nevents_logger=\"file\"\n\
         helper_binaries_dir=[\"/usr/lib/podman\",\"/usr/libexec/podman\"]\n",
    )
    .unwrap();
    run_ok(Command::new("chown").args([
        "-R",
        &format!("{}:{}", u.uid, u.gid),
        u.home.join(".config").to_str().unwrap(),
    ]));
    let probe = [
        "run",
        "--rm",
        "--network",
        "none",
        "localhost/busybox",
        "sh",
        "-c",
        "echo $FROMCONF; ulimit -n",
    ];
    // Podman reads the same file (and no CONTAINERS_CONF).
    let store = u.own_dir("podman");
    let tar = u.dir.path().join("busybox.tar");
    let podman = |args: &[&str]| {
        let mut c = u.command(true, "podman", &[]);
        c.arg("--root")
            .arg(store.join("root"))
            .arg("--runroot")
            .arg(store.join("run"))
            .arg("--storage-driver")
            .arg("vfs")
            .args(args);
        run_with_timeout(c, None, COMMAND_TIMEOUT)
    };
    let out = podman(&["import", tar.to_str().unwrap(), "localhost/busybox"]);
    assert!(out.status.success(), "{}", describe(&out));
    let theirs = podman(&probe);
    assert!(theirs.status.success(), "{}", describe(&theirs));
    let ours = u.ok(&probe);
    assert_eq!(ours, String::from_utf8_lossy(&theirs.stdout).trim());
    assert_eq!(ours, "podman-keys\n512");
    // rpod's own file wins over Podman's, key by key.
    let own = u.home.join(".config/rpod");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(
        own.join("rpod.conf"),
        "[containers]\nenv=[\"FROMCONF=rpod\"]\n",
    )
    .unwrap();
    run_ok(Command::new("chown").args([
        "-R",
        &format!("{}:{}", u.uid, u.gid),
        own.to_str().unwrap(),
    ]));
    assert_eq!(u.ok(&probe), "rpod\n512");
    // The keys rpod has no use for are named at the info level.
    let out = u.rpod(&["--log-level", "info", "ps"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("engine.cgroup_manager"), "{err}");
}

#[test]
fn a_configured_mount_program_mounts_the_overlay_through_fuse() {
    let u = User::new("k", true).with_image();
    let own = u.home.join(".config/rpod");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(
        own.join("rpod.conf"),
        "[storage]\nmount_program=\"/usr/bin/fuse-overlayfs\"\n",
    )
    .unwrap();
    run_ok(Command::new("chown").args([
        "-R",
        &format!("{}:{}", u.uid, u.gid),
        u.home.join(".config").to_str().unwrap(),
    ]));
    u.ok(&[
        "run",
        "-d",
        "--name",
        "f",
        "localhost/busybox",
        "sleep",
        "600",
    ]);
    let mounts = u.ok(&["unshare", "cat", "/proc/self/mountinfo"]);
    let merged = u.ok(&[
        "inspect",
        "f",
        "--format",
        "{{.GraphDriver.Data.MergedDir}}",
    ]);
    let line = mounts
        .lines()
        .find(|l| l.split_whitespace().nth(4) == Some(merged.as_str()))
        .unwrap_or_else(|| panic!("{merged} in {mounts}"));
    assert!(
        line.contains("fuse-overlayfs") || line.contains("fuse."),
        "{line}"
    );
    u.ok(&["exec", "f", "sh", "-c", "echo kept > /tmp/kept"]);
    u.ok(&["stop", "-t", "0", "f"]);
    u.ok(&["start", "f"]);
    assert_eq!(u.ok(&["exec", "f", "cat", "/tmp/kept"]), "kept");
    u.ok(&["rm", "-f", "-t", "0", "f"]);
    let mounts = u.ok(&["unshare", "cat", "/proc/self/mountinfo"]);
    assert!(!mounts.contains(&merged), "unmounted: {mounts}");
}

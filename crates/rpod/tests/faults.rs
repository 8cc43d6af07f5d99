//! kill -9 anywhere: every command, rpod-monitor and the API service are
//! killed at named crash points (`RPOD_FAULT`, compiled into debug builds
//! only) and after random delays, many times over. After each kill the
//! next commands see a consistent state: every listed container and image
//! is complete and removable, nothing stays locked or mounted, and the
//! database passes `PRAGMA integrity_check`.
//!
//! The counts are the constants below; each test prints its tally
//! (`fault <point>: <kills> kills`), which docs/faults.md records.

mod api_support;
mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use api_support::*;
use common::*;

/// Random-delay kills per command.
const RANDOM_KILLS: usize = 6;
/// How long a command after a kill may take: longer means something
/// stayed locked.
const NEXT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A small deterministic generator (the seed is printed, so a failing
/// sequence can be replayed by setting `RPOD_FAULT_SEED`).
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("RPOD_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            });
        eprintln!("RPOD_FAULT_SEED={seed}");
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn delay(&mut self, max: Duration) -> Duration {
        Duration::from_micros(self.below(max.as_micros() as u64 + 1))
    }
}

/// Runs rpod with `RPOD_FAULT=point`; asserts it died of SIGKILL.
fn crash_at(e: &Engine, point: &str, args: &[&str]) {
    let mut cmd = e.cmd(args);
    cmd.env("RPOD_FAULT", point);
    let out = run_with_timeout(cmd, None, COMMAND_TIMEOUT);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGKILL),
        "rpod {args:?} with RPOD_FAULT={point} was not killed there\n{}",
        describe(&out)
    );
}

/// Runs rpod and kills it with SIGKILL after `delay` (if it is still
/// running); true when the kill hit it.
fn kill_after(e: &Engine, args: &[&str], delay: Duration) -> bool {
    let mut child = e.spawn(args);
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if start.elapsed() >= delay {
            break;
        }
        std::thread::sleep(Duration::from_millis(1).min(delay));
    }
    kill_pid(child.id() as i32, libc::SIGKILL);
    let st = wait_child(&mut child, COMMAND_TIMEOUT);
    st.signal() == Some(libc::SIGKILL)
}

/// How long `args` takes when nothing kills it.
fn timed(e: &Engine, args: &[&str]) -> Duration {
    let start = Instant::now();
    e.ok(args);
    start.elapsed()
}

/// A command run after a kill: it must answer within
/// [`NEXT_COMMAND_TIMEOUT`] (a lock left held would block it).
fn next(e: &Engine, args: &[&str]) -> Output {
    run_with_timeout(e.cmd(args), None, NEXT_COMMAND_TIMEOUT)
}

fn next_ok(e: &Engine, args: &[&str]) -> String {
    let out = next(e, args);
    assert!(
        out.status.success(),
        "after a kill, rpod {args:?} failed\n{}",
        describe(&out)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn integrity_ok(e: &Engine) {
    let out = Command::new("sqlite3")
        .arg(e.root().join("rpod.db"))
        .arg("PRAGMA integrity_check;")
        .stdin(Stdio::null())
        .output()
        .expect("sqlite3");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "{}",
        describe(&out)
    );
}

fn dir_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|x| x.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The state after a kill: every container in `ps -a` inspects (its record
/// is whole), every image inspects and has all its layers, the store's
/// staging area was swept, and the database is intact.
fn consistent(e: &Engine) {
    let ids = next_ok(e, &["ps", "-a", "-q", "--no-trunc"]);
    for id in ids.lines() {
        next_ok(e, &["container", "inspect", id]);
    }
    let images = next_ok(e, &["images", "-q", "--no-trunc"]);
    for id in images.lines() {
        let layers = next_ok(
            e,
            &["image", "inspect", "--format", "{{.RootFS.Layers}}", id],
        );
        assert!(!layers.is_empty(), "image {id} without layers");
    }
    // Every layer directory in place is a complete one (the diff and its
    // record): an interrupted extraction never got renamed into place.
    let layers = e.root().join("storage/layers");
    for name in dir_entries(&layers) {
        let dir = layers.join(&name);
        let files = dir_entries(&dir);
        assert!(
            files.iter().any(|f| f == "diff") && files.len() >= 2,
            "layer {name} is incomplete: {files:?}"
        );
    }
    let tmp = dir_entries(&e.root().join("storage/tmp"));
    assert!(tmp.is_empty(), "staging leftovers: {tmp:?}");
    integrity_ok(e);
}

/// Removes everything and checks nothing is left: no containers, no
/// mounts, no runtime state, no monitor, no layers once images are gone.
fn all_removable(e: &Engine) {
    next_ok(e, &["rm", "-a", "-f", "-t", "0"]);
    next_ok(e, &["rmi", "-a", "-f"]);
    next_ok(e, &["system", "prune", "-a", "-f"]);
    assert!(e.all_ids().is_empty());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    let runc = dir_entries(&e.runroot().join("runc"));
    assert!(runc.is_empty(), "runc still knows {runc:?}");
    for sub in ["layers", "containers", "images"] {
        let left = dir_entries(&e.root().join("storage").join(sub));
        let left: Vec<_> = left.into_iter().filter(|n| !n.ends_with(".json")).collect();
        assert!(left.is_empty(), "storage/{sub} keeps {left:?}");
    }
    let dir = e.path().to_string_lossy().into_owned();
    let left = monitors_of(&dir);
    assert!(
        left.is_empty(),
        "rpod-monitors of this engine still run: {left:?}"
    );
    integrity_ok(e);
}

/// Live rpod-monitor processes whose command line names `dir`.
fn monitors_of(dir: &str) -> Vec<i32> {
    let mut v = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        if cmdline.contains("rpod-monitor") && cmdline.contains(dir) && pid_alive(pid) {
            v.push(pid);
        }
    }
    v
}

/// After a kill, the container (if listed) can be removed and its name
/// used again.
fn removable_and_reusable(e: &Engine, name: &str) {
    consistent(e);
    next_ok(e, &["rm", "-f", "-t", "0", "--ignore", name]);
    assert!(!e.exists(name), "{name} survived rm -f");
    next_ok(
        e,
        &["run", "-d", "--name", name, "busybox", "sleep", "1000"],
    );
    next_ok(e, &["rm", "-f", "-t", "0", name]);
    let stray = stray_mounts(e);
    assert!(stray.is_empty(), "mounts of no listed container: {stray:?}");
}

/// Mounts under the engine's directories that belong to no container in
/// `ps -a` (other containers of the test may be running).
fn stray_mounts(e: &Engine) -> Vec<std::path::PathBuf> {
    let ids = next_ok(e, &["ps", "-a", "-q", "--no-trunc"]);
    e.leftover_mounts()
        .into_iter()
        .filter(|m| {
            let m = m.to_string_lossy();
            !ids.lines().any(|id| m.contains(id))
        })
        .collect()
}

fn tally(point: &str, kills: usize, of: usize) {
    eprintln!("fault {point}: {kills} kills (of {of} tries)");
}

#[test]
fn run_and_create_killed_at_every_point() {
    let e = Engine::with_image();
    let run_points = [
        "db.open",
        "db.add_container",
        "create.recorded",
        "create.prepared",
        "init.before_monitor",
        "init.monitor_started",
        "db.save_state",
        "start.before_runtime",
        "start.before_save",
    ];
    for point in run_points {
        crash_at(
            &e,
            point,
            &["run", "-d", "--name", "c", "busybox", "sleep", "1000"],
        );
        removable_and_reusable(&e, "c");
        tally(&format!("run -d @ {point}"), 1, 1);
    }
    for point in ["db.add_container", "create.recorded", "create.prepared"] {
        crash_at(&e, point, &["create", "--name", "c", "busybox", "true"]);
        removable_and_reusable(&e, "c");
        tally(&format!("create @ {point}"), 1, 1);
    }
    // A container created while the previous one's record was half made
    // starts: nothing of the killed attempt is in its way.
    let mut rng = Rng::new();
    for cmd in [
        &["run", "-d", "--name", "r", "busybox", "sleep", "1000"][..],
        &["create", "--name", "r", "busybox", "sleep", "1000"][..],
    ] {
        let full = timed(&e, cmd);
        next_ok(&e, &["rm", "-f", "-t", "0", "r"]);
        let mut kills = 0;
        for _ in 0..RANDOM_KILLS {
            kills += usize::from(kill_after(&e, cmd, rng.delay(full)));
            removable_and_reusable(&e, "r");
        }
        tally(&format!("{} (random delay)", cmd[0]), kills, RANDOM_KILLS);
    }
    all_removable(&e);
}

#[test]
fn start_stop_and_rm_killed_at_every_point() {
    let e = Engine::with_image();
    for point in [
        "init.before_monitor",
        "init.monitor_started",
        "start.before_runtime",
        "start.before_save",
        "db.save_state",
    ] {
        e.ok(&["create", "--name", "c", "busybox", "sleep", "1000"]);
        crash_at(&e, point, &["start", "c"]);
        consistent(&e);
        // The next start (or a stop first, when it did run) brings it up.
        next_ok(&e, &["stop", "-t", "0", "c"]);
        next_ok(&e, &["start", "c"]);
        assert_eq!(e.status("c"), "running");
        removable_and_reusable(&e, "c");
        tally(&format!("start @ {point}"), 1, 1);
    }
    for point in [
        "stop.signalled",
        "stop.before_cleanup",
        "db.save_state",
        "cleanup.runtime_deleted",
        "cleanup.unmounted",
    ] {
        e.sleeper("c");
        crash_at(&e, point, &["stop", "-t", "0", "c"]);
        consistent(&e);
        let st = e.status("c");
        assert!(
            st == "exited" || st == "stopped",
            "after a killed stop: {st}"
        );
        next_ok(&e, &["start", "c"]);
        assert_eq!(e.status("c"), "running");
        removable_and_reusable(&e, "c");
        tally(&format!("stop @ {point}"), 1, 1);
    }
    for point in [
        "db.save_state",
        "cleanup.runtime_deleted",
        "cleanup.unmounted",
        "rm.removing",
        "rm.storage_removed",
        "db.remove_container",
    ] {
        e.sleeper("c");
        crash_at(&e, point, &["rm", "-f", "-t", "0", "c"]);
        removable_and_reusable(&e, "c");
        tally(&format!("rm -f @ {point}"), 1, 1);
    }
    let mut rng = Rng::new();
    e.sleeper("s");
    let full = timed(&e, &["stop", "-t", "0", "s"]);
    let mut kills = 0;
    for _ in 0..RANDOM_KILLS {
        kills += usize::from(kill_after(&e, &["start", "s"], rng.delay(full * 2)));
        consistent(&e);
        next_ok(&e, &["stop", "-t", "0", "s"]);
        next_ok(&e, &["start", "s"]);
        assert_eq!(e.status("s"), "running");
        next_ok(&e, &["stop", "-t", "0", "s"]);
    }
    tally("start (random delay)", kills, RANDOM_KILLS);
    let mut kills = 0;
    for _ in 0..RANDOM_KILLS {
        next_ok(&e, &["start", "s"]);
        kills += usize::from(kill_after(&e, &["stop", "-t", "0", "s"], rng.delay(full)));
        consistent(&e);
        next_ok(&e, &["stop", "-t", "0", "s"]);
        let st = e.status("s");
        assert!(st == "exited" || st == "stopped", "{st}");
    }
    tally("stop (random delay)", kills, RANDOM_KILLS);
    let mut kills = 0;
    for _ in 0..RANDOM_KILLS {
        e.sleeper("x");
        kills += usize::from(kill_after(
            &e,
            &["rm", "-f", "-t", "0", "x"],
            rng.delay(full),
        ));
        removable_and_reusable(&e, "x");
    }
    tally("rm -f (random delay)", kills, RANDOM_KILLS);
    all_removable(&e);
}

/// `rpod container cleanup` is the monitor's exit command: with the fault
/// variable passed down through the monitor, it dies after the container
/// exits; the next command finds the container exited and cleans it.
#[test]
fn cleanup_and_monitor_killed() {
    let e = Engine::with_image();
    for point in [
        "cleanup.runtime_deleted",
        "cleanup.unmounted",
        "db.save_state",
    ] {
        let mut cmd = e.cmd(&["run", "-d", "--name", "c", "busybox", "sleep", "0.2"]);
        // The run itself does not reach these points before it returns:
        // the kill comes in the monitor's exit command.
        cmd.env("RPOD_FAULT", point);
        let out = run_with_timeout(cmd, None, COMMAND_TIMEOUT);
        if point == "db.save_state" {
            // run -d saves the state itself: it dies there.
            assert_eq!(
                out.status.signal(),
                Some(libc::SIGKILL),
                "{}",
                describe(&out)
            );
        } else {
            assert!(out.status.success(), "{}", describe(&out));
            let monitor: i32 = e
                .inspect_fmt("c", "{{.State.ConmonPid}}")
                .parse()
                .unwrap_or(0);
            wait_until("the monitor to exit", POLL_TIMEOUT, || !pid_alive(monitor));
        }
        consistent(&e);
        let st = e.status("c");
        assert!(
            ["exited", "stopped", "created", "configured"].contains(&st.as_str()),
            "after a killed cleanup: {st}"
        );
        next_ok(&e, &["start", "c"]);
        next_ok(&e, &["wait", "c"]);
        removable_and_reusable(&e, "c");
        tally(&format!("container cleanup @ {point}"), 1, 1);
    }
    // The monitor killed at random points of a run: the container is
    // either running with the death noticed later, or never started.
    let mut rng = Rng::new();
    let mut kills = 0;
    let monitors_dir = e.path().to_string_lossy().into_owned();
    for i in 0..RANDOM_KILLS {
        let name = format!("m{i}");
        let mut child = e.spawn(&["run", "-d", "--name", &name, "busybox", "sleep", "1000"]);
        let delay = rng.delay(Duration::from_millis(400));
        let start = Instant::now();
        let mut hit = false;
        while start.elapsed() < delay + Duration::from_millis(400) && !hit {
            if start.elapsed() >= delay {
                for pid in monitors_of(&monitors_dir) {
                    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                    if String::from_utf8_lossy(&cmdline).contains(&format!("\0{name}\0")) {
                        kill_pid(pid, libc::SIGKILL);
                        hit = true;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        kills += usize::from(hit);
        let _ = wait_child(&mut child, COMMAND_TIMEOUT);
        consistent(&e);
        next_ok(&e, &["rm", "-f", "-t", "0", &name]);
        assert!(!e.exists(&name));
    }
    tally(
        "rpod-monitor during run -d (random delay)",
        kills,
        RANDOM_KILLS,
    );
    all_removable(&e);
}

#[test]
fn pull_load_build_and_commit_killed() {
    let e = Engine::with_image();
    let reg = Registry::start(None);
    let dest = format!("{}/faults/busybox:1", reg.host());
    e.ok(&["push", "-q", "--tls-verify=false", "busybox", &dest]);
    let archive = e.file("busybox-save.tar");
    e.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);
    let ctx = e.file("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM busybox\nRUN echo one > /one\nRUN dd if=/dev/zero of=/blob bs=1k count=2048 2>/dev/null\nRUN echo three > /three\n",
    )
    .unwrap();
    let ctx_s = ctx.to_str().unwrap().to_string();
    let pull = ["pull", "-q", "--tls-verify=false", dest.as_str()];
    let load = ["load", "-q", "-i", archive.to_str().unwrap()];
    let build = ["build", "-q", "-t", "built", ctx_s.as_str()];
    // `other` holds the loaded/pulled copies so `busybox` itself stays.
    let other = Engine::new();
    let mut rng = Rng::new();

    for point in ["pull.layer_stored", "pull.image_stored"] {
        crash_at(&other, point, &pull);
        consistent(&other);
        next_ok(&other, &pull);
        assert_eq!(next_ok(&other, &["run", "--rm", &dest, "echo", "ok"]), "ok");
        next_ok(&other, &["rmi", "-f", &dest]);
        tally(&format!("pull @ {point}"), 1, 1);
    }
    for point in ["load.layer_stored", "load.image_stored"] {
        crash_at(&other, point, &load);
        consistent(&other);
        next_ok(&other, &load);
        assert_eq!(
            next_ok(&other, &["run", "--rm", "busybox", "echo", "ok"]),
            "ok"
        );
        next_ok(&other, &["rmi", "-f", "busybox"]);
        tally(&format!("load @ {point}"), 1, 1);
    }
    for (what, args, image) in [
        ("pull", &pull[..], dest.as_str()),
        ("load", &load[..], "busybox"),
    ] {
        let full = timed(&other, args);
        next_ok(&other, &["rmi", "-f", image]);
        let mut kills = 0;
        for _ in 0..RANDOM_KILLS {
            kills += usize::from(kill_after(&other, args, rng.delay(full)));
            consistent(&other);
            next_ok(&other, args);
            assert_eq!(next_ok(&other, &["run", "--rm", image, "echo", "ok"]), "ok");
            next_ok(&other, &["rmi", "-f", image]);
        }
        tally(&format!("{what} (random delay)"), kills, RANDOM_KILLS);
    }
    all_removable(&other);

    let full = timed(&e, &build);
    next_ok(&e, &["rmi", "-f", "built"]);
    let mut kills = 0;
    for _ in 0..RANDOM_KILLS {
        kills += usize::from(kill_after(&e, &build, rng.delay(full)));
        consistent(&e);
        next_ok(&e, &build);
        assert_eq!(
            next_ok(&e, &["run", "--rm", "built", "cat", "/three"]),
            "three"
        );
        next_ok(&e, &["rmi", "-f", "built"]);
    }
    tally("build (random delay)", kills, RANDOM_KILLS);

    e.ok(&[
        "run",
        "-d",
        "--name",
        "src",
        "busybox",
        "sh",
        "-c",
        "echo c > /c; echo ready; sleep 1000",
    ]);
    e.wait_logs("src", "ready");
    crash_at(&e, "commit.before_store", &["commit", "src", "committed"]);
    consistent(&e);
    tally("commit @ commit.before_store", 1, 1);
    let full = timed(&e, &["commit", "src", "committed"]);
    next_ok(&e, &["rmi", "-f", "committed"]);
    let mut kills = 0;
    for _ in 0..RANDOM_KILLS {
        kills += usize::from(kill_after(
            &e,
            &["commit", "src", "committed"],
            rng.delay(full),
        ));
        consistent(&e);
        next_ok(&e, &["commit", "src", "committed"]);
        assert_eq!(next_ok(&e, &["run", "--rm", "committed", "cat", "/c"]), "c");
        next_ok(&e, &["rmi", "-f", "committed"]);
    }
    tally("commit (random delay)", kills, RANDOM_KILLS);
    all_removable(&e);
}

/// `rpod system service` killed in the middle of an API create and an
/// API exec: a new service (and the CLI) see a consistent state.
#[test]
fn the_api_service_killed_mid_request() {
    let e = Engine::with_image();
    for point in ["db.add_container", "create.recorded", "create.prepared"] {
        let socket = e.file("api.sock");
        let uri = format!("unix://{}", socket.display());
        let mut cmd = e.cmd(&["system", "service", &uri, "--time", "0"]);
        cmd.env("RPOD_FAULT", point)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        wait_until("the API socket", POLL_TIMEOUT, || {
            std::os::unix::net::UnixStream::connect(&socket).is_ok()
        });
        let body = br#"{"Image":"busybox","Cmd":["sleep","1000"]}"#;
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        use std::io::{Read, Write};
        let req = format!(
            "POST /v1.41/containers/create?name=api HTTP/1.0\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        let st = wait_child(&mut child, COMMAND_TIMEOUT);
        assert_eq!(
            st.signal(),
            Some(libc::SIGKILL),
            "the service survived {point}"
        );
        let _ = std::fs::remove_file(&socket);
        let svc = Service::start(&e);
        let (status, _, _) = http(&svc.socket, "GET", "/containers/json?all=true", "", None);
        assert_eq!(status, 200);
        drop(svc);
        removable_and_reusable(&e, "api");
        tally(&format!("system service (API create) @ {point}"), 1, 1);
    }
    // Exec: the service dies once the exec session is prepared.
    e.sleeper("target");
    {
        let socket = e.file("api.sock");
        let uri = format!("unix://{}", socket.display());
        let mut cmd = e.cmd(&["system", "service", &uri, "--time", "0"]);
        cmd.env("RPOD_FAULT", "exec.prepared")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        wait_until("the API socket", POLL_TIMEOUT, || {
            std::os::unix::net::UnixStream::connect(&socket).is_ok()
        });
        let (status, _, body) = http(
            &socket,
            "POST",
            "/v1.41/containers/target/exec",
            "application/json",
            Some(br#"{"Cmd":["echo","hi"],"AttachStdout":true}"#),
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let exec_id = v["Id"].as_str().unwrap().to_string();
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        use std::io::{Read, Write};
        let body = br#"{"Detach":false,"Tty":false}"#;
        let req = format!(
            "POST /v1.41/exec/{exec_id}/start HTTP/1.0\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        let st = wait_child(&mut child, COMMAND_TIMEOUT);
        assert_eq!(
            st.signal(),
            Some(libc::SIGKILL),
            "the service survived exec.prepared"
        );
        let _ = std::fs::remove_file(&socket);
    }
    consistent(&e);
    assert_eq!(e.status("target"), "running");
    assert_eq!(next_ok(&e, &["exec", "target", "echo", "again"]), "again");
    tally("system service (API exec) @ exec.prepared", 1, 1);
    // Random kills of the service while it creates containers.
    let mut rng = Rng::new();
    let mut kills = 0;
    for i in 0..RANDOM_KILLS {
        let svc = Service::start(&e);
        let socket = svc.socket.clone();
        let pid = svc.child.id() as i32;
        let name = format!("api{i}");
        let delay = rng.delay(Duration::from_millis(300));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            kill_pid(pid, libc::SIGKILL);
        });
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        use std::io::{Read, Write};
        let body = br#"{"Image":"busybox","Cmd":["sleep","1000"]}"#;
        let req = format!(
            "POST /v1.41/containers/create?name={name} HTTP/1.0\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(req.as_bytes());
        let _ = s.write_all(body);
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        killer.join().unwrap();
        drop(svc);
        kills += 1;
        removable_and_reusable(&e, &name);
    }
    tally(
        "system service (API create, random delay)",
        kills,
        RANDOM_KILLS,
    );
    all_removable(&e);
}

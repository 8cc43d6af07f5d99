//! Crash safety (the CLI or the monitor killed, the run root wiped) and
//! the monitor's process shape.

mod common;

use std::time::Duration;

use common::*;

/// The state `ps -a` shows (Podman's `{{.State}}` is the human status:
/// `Up 2 seconds ago` is running).
fn ps_state(e: &Engine, name: &str) -> String {
    let out = e.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    let human = out
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_string))
        .unwrap_or_else(|| panic!("{name} not in ps -a: {out}"));
    match human.split(' ').next().unwrap_or_default() {
        "Up" => "running".into(),
        word => word.to_lowercase(),
    }
}

fn stat_field(pid: i32, index_after_comm: usize) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(index_after_comm)?.parse().ok()
}

/// Our ancestors' pids (parent, grandparent, ... 1).
fn ancestors() -> Vec<i32> {
    let mut v = Vec::new();
    let mut pid = std::process::id() as i32;
    while pid > 1 {
        match proc_status_field(pid, "PPid").and_then(|p| p.parse().ok()) {
            Some(pp) => {
                v.push(pp);
                pid = pp;
            }
            None => break,
        }
    }
    v
}

#[test]
fn killing_the_run_cli_leaves_the_container_running_and_rm_cleans_up() {
    let e = Engine::with_image();
    let mut cli = e.spawn(&["run", "--name", "c", "busybox", "sleep", "1000"]);
    wait_until("the container to run", POLL_TIMEOUT, || {
        e.rpod(&["inspect", "--format", "{{.State.Status}}", "c"])
            .stdout
            .starts_with(b"running")
    });
    kill_pid(cli.id() as i32, libc::SIGKILL);
    let _ = cli.wait();
    assert_eq!(ps_state(&e, "c"), "running");
    let pid: i32 = e.inspect_fmt("c", "{{.State.Pid}}").parse().unwrap();
    assert!(pid_alive(pid));
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    assert!(!e.exists("c"));
    wait_until("the container process to go", POLL_TIMEOUT, || {
        !pid_alive(pid)
    });
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn killing_the_monitor_then_rm_force_stops_the_container() {
    let e = Engine::with_image();
    e.sleeper("c");
    let monitor: i32 = e.inspect_fmt("c", "{{.State.ConmonPid}}").parse().unwrap();
    let pid: i32 = e.inspect_fmt("c", "{{.State.Pid}}").parse().unwrap();
    kill_pid(monitor, libc::SIGKILL);
    wait_until("the monitor to die", POLL_TIMEOUT, || !pid_alive(monitor));
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    wait_until("the container process to go", POLL_TIMEOUT, || {
        !pid_alive(pid)
    });
    assert!(!e.exists("c"));
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

/// Simulates a reboot: every process of the engine is gone, mounts are
/// gone, and the run root is empty.
#[test]
fn after_a_reboot_a_created_container_is_configured_and_starts() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo after-reboot",
    ]);
    e.ok(&["init", "c"]);
    assert_eq!(e.status("c"), "created");
    reboot(&e);
    let st = e.status("c");
    assert!(st == "configured" || st == "created", "{st}");
    e.ok(&["start", "c"]);
    e.wait_status("c", "exited");
    assert_eq!(e.logs("c").trim(), "after-reboot");
}

#[test]
fn after_a_reboot_a_running_container_can_be_started_again() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo boot; sleep 1000",
    ]);
    e.wait_logs("c", "boot");
    reboot(&e);
    let st = ps_state(&e, "c");
    assert!(
        st == "created" || st == "exited",
        "after reboot ps says {st}"
    );
    e.ok(&["start", "c"]);
    assert_eq!(e.status("c"), "running");
    wait_until("second boot", POLL_TIMEOUT, || {
        e.logs("c").matches("boot").count() == 2
    });
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn after_a_reboot_an_exited_container_stays_exited_and_restarts() {
    let e = Engine::with_image();
    let out = e.rpod(&[
        "run",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo once; exit 2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    reboot(&e);
    assert_eq!(e.status("c"), "exited");
    assert_eq!(e.inspect_fmt("c", "{{.State.ExitCode}}"), "2");
    let out = e.rpod(&["start", "-a", "c"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

#[test]
fn monitor_is_detached_from_the_cli() {
    let e = Engine::with_image();
    e.sleeper("c");
    let monitor: i32 = e.inspect_fmt("c", "{{.State.ConmonPid}}").parse().unwrap();
    assert!(pid_alive(monitor));
    let ppid: i32 = proc_status_field(monitor, "PPid").unwrap().parse().unwrap();
    let anc = ancestors();
    assert!(
        ppid == 1 || anc.contains(&ppid),
        "monitor's parent {ppid} is neither init nor a subreaper above us ({anc:?})"
    );
    assert_ne!(ppid, std::process::id() as i32);
    let sid = stat_field(monitor, 3).unwrap();
    // SAFETY: getsid(0) is always safe.
    let ours = unsafe { libc::getsid(0) } as i64;
    assert_ne!(sid, ours, "monitor shares our session");
}

#[test]
fn monitor_writes_the_exit_file() {
    let e = Engine::with_image();
    let id = e.ok(&["run", "-d", "--name", "c", "busybox", "sh", "-c", "exit 4"]);
    let path = e.runroot().join("exits").join(&id);
    let text = wait_for("the exit file", POLL_TIMEOUT, || {
        std::fs::read_to_string(&path)
            .ok()
            .filter(|t| !t.is_empty())
    });
    assert_eq!(text.trim(), "4");
    assert_eq!(e.ok(&["wait", "c"]), "4");
}

#[test]
fn monitor_exits_after_the_container() {
    let e = Engine::with_image();
    e.ok(&["run", "-d", "--name", "c", "busybox", "sleep", "0.5"]);
    let monitor: i32 = e.inspect_fmt("c", "{{.State.ConmonPid}}").parse().unwrap();
    e.ok(&["wait", "c"]);
    wait_until("the monitor to exit", POLL_TIMEOUT, || !pid_alive(monitor));
    wait_until("mounts to be released", POLL_TIMEOUT, || {
        e.leftover_mounts().is_empty()
    });
}

#[test]
fn monitor_rss_of_a_sleep_container() {
    let e = Engine::with_image();
    e.sleeper("c");
    let monitor: i32 = e.inspect_fmt("c", "{{.State.ConmonPid}}").parse().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let rss = proc_status_field(monitor, "VmRSS").unwrap_or_else(|| "?".into());
    println!("rpod-monitor (pid {monitor}) VmRSS: {rss}");
    eprintln!("rpod-monitor (pid {monitor}) VmRSS: {rss}");
}

#[test]
fn no_processes_or_mounts_remain_after_rm() {
    let e = Engine::with_image();
    e.sleeper("c");
    let monitor: i32 = e.inspect_fmt("c", "{{.State.ConmonPid}}").parse().unwrap();
    let pid: i32 = e.inspect_fmt("c", "{{.State.Pid}}").parse().unwrap();
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    wait_until("processes to go", POLL_TIMEOUT, || {
        !pid_alive(pid) && !pid_alive(monitor)
    });
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    let runc_state = e.runroot().join("runc");
    let left: Vec<_> = std::fs::read_dir(&runc_state)
        .map(|d| d.flatten().map(|x| x.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "runc still knows {left:?}");
}

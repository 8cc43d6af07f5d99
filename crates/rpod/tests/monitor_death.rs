//! A container whose rpod-monitor is killed: the next command that looks
//! at it notices, stops the container, records why, cleans up and applies
//! the restart policy; `wait` and `logs -f` end.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use libpod::container::{process_start_time, same_process_alive, ContainerState};

/// How long `wait` and `logs -f` are given to end after the monitor died.
const END_TIMEOUT: Duration = Duration::from_secs(20);

fn pid_of(e: &Engine, name: &str, template: &str) -> i32 {
    let text = e.inspect_fmt(name, template);
    text.parse()
        .unwrap_or_else(|_| panic!("{template} of {name} is {text:?}"))
}

/// Kills the container's monitor and waits until it is gone; returns the
/// container's pid and the monitor's from before.
fn kill_monitor(e: &Engine, name: &str) -> (i32, i32) {
    let id = e.inspect_fmt(name, "{{.Id}}");
    let monitor = read_pid(&e.runroot().join("containers").join(&id).join("monitor.pid"))
        .expect("monitor.pid");
    assert_eq!(pid_of(e, name, "{{.State.ConmonPid}}"), monitor);
    let pid = pid_of(e, name, "{{.State.Pid}}");
    assert!(pid_alive(pid) && pid_alive(monitor));
    kill_pid(monitor, libc::SIGKILL);
    wait_until("the monitor to die", POLL_TIMEOUT, || !pid_alive(monitor));
    (pid, monitor)
}

/// Mounts under the container's directories (storage and run root).
fn container_mounts(e: &Engine, id: &str) -> Vec<std::path::PathBuf> {
    e.leftover_mounts()
        .into_iter()
        .filter(|m| m.to_string_lossy().contains(id))
        .collect()
}

fn died_events(e: &Engine, id: &str) -> usize {
    e.ok(&["events", "--stream=false", "--filter", "event=died"])
        .lines()
        .filter(|l| l.contains(id))
        .count()
}

#[test]
fn a_dead_monitor_stops_the_container_and_says_why() {
    let e = Engine::with_image();
    let id = e.sleeper("c");
    let (pid, monitor) = kill_monitor(&e, "c");
    let status = e.status("c");
    assert!(status == "exited" || status == "stopped", "status {status}");
    let error = e.inspect_fmt("c", "{{.State.Error}}");
    assert!(
        error.contains("monitor") && error.contains(&monitor.to_string()),
        "State.Error: {error:?}"
    );
    assert_eq!(e.inspect_fmt("c", "{{.State.ExitCode}}"), "137");
    assert!(!pid_alive(pid), "the container's process {pid} still runs");
    assert_eq!(e.inspect_fmt("c", "{{.State.Pid}}"), "0");
    assert_eq!(e.inspect_fmt("c", "{{.State.ConmonPid}}"), "0");
    assert_eq!(died_events(&e, &id), 1);
    assert!(container_mounts(&e, &id).is_empty());
    e.ok(&["rm", "c"]);
    assert!(!e.exists("c"));
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    let runc_state = e.runroot().join("runc").join(&id);
    assert!(!runc_state.exists(), "runc still knows the container");
}

#[test]
fn ps_notices_a_dead_monitor_too() {
    let e = Engine::with_image();
    let id = e.sleeper("c");
    let (pid, _) = kill_monitor(&e, "c");
    let out = e.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    assert!(
        out.lines().any(|l| l.starts_with("c Exited (")),
        "ps -a: {out}"
    );
    assert!(!pid_alive(pid));
    assert!(container_mounts(&e, &id).is_empty());
    // The stopped container starts again, with a new monitor.
    e.ok(&["start", "c"]);
    assert_eq!(e.status("c"), "running");
    assert_eq!(e.inspect_fmt("c", "{{.State.Error}}"), "");
    let monitor = pid_of(&e, "c", "{{.State.ConmonPid}}");
    assert!(pid_alive(monitor));
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn restart_always_brings_it_back_with_a_new_monitor_once() {
    let e = Engine::with_image();
    let id = e.ok(&[
        "run",
        "-d",
        "--restart",
        "always",
        "--name",
        "c",
        "busybox",
        "sleep",
        "1000",
    ]);
    let (pid, monitor) = kill_monitor(&e, "c");
    // Several commands notice at once; the container is handled once.
    let lookers: Vec<_> = (0..4)
        .map(|i| {
            if i % 2 == 0 {
                e.spawn(&["inspect", "--format", "{{.State.Status}}", "c"])
            } else {
                e.spawn(&["ps", "-a"])
            }
        })
        .collect();
    for mut child in lookers {
        let status = wait_child(&mut child, COMMAND_TIMEOUT);
        assert!(status.success(), "a command failed: {status}");
    }
    assert_eq!(e.status("c"), "running");
    assert_eq!(e.inspect_fmt("c", "{{.RestartCount}}"), "1");
    let new_monitor = pid_of(&e, "c", "{{.State.ConmonPid}}");
    assert_ne!(new_monitor, monitor);
    assert!(
        pid_alive(new_monitor),
        "new monitor {new_monitor} is not running"
    );
    let new_pid = pid_of(&e, "c", "{{.State.Pid}}");
    assert_ne!(new_pid, pid);
    assert!(pid_alive(new_pid));
    assert!(
        !pid_alive(pid),
        "the old container process {pid} still runs"
    );
    assert_eq!(died_events(&e, &id), 1);
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn a_second_quick_death_restarts_after_the_back_off() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--restart",
        "always",
        "--name",
        "c",
        "busybox",
        "sleep",
        "1000",
    ]);
    kill_monitor(&e, "c");
    assert_eq!(e.status("c"), "running");
    assert_eq!(e.inspect_fmt("c", "{{.RestartCount}}"), "1");
    // It ran for less than the back-off reset time: this restart waits,
    // in the background, as after a normal exit.
    let (pid, monitor) = kill_monitor(&e, "c");
    let _ = e.status("c");
    assert!(!pid_alive(pid));
    wait_until("the second restart", POLL_TIMEOUT, || {
        e.inspect_fmt("c", "{{.State.Status}} {{.RestartCount}}") == "running 2"
    });
    let new_monitor = pid_of(&e, "c", "{{.State.ConmonPid}}");
    assert_ne!(new_monitor, monitor);
    assert!(pid_alive(new_monitor));
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn wait_and_logs_follow_end_when_the_monitor_dies() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo before-the-kill; sleep 1000",
    ]);
    e.wait_logs("c", "before-the-kill");
    let mut follow = e.spawn(&["logs", "-f", "c"]);
    let mut wait = e.spawn(&["wait", "c"]);
    // Both are in their loops (and neither has ended on its own).
    std::thread::sleep(Duration::from_millis(500));
    assert!(follow.try_wait().unwrap().is_none(), "logs -f ended early");
    assert!(wait.try_wait().unwrap().is_none(), "wait ended early");
    let start = Instant::now();
    let (pid, _) = kill_monitor(&e, "c");
    let wait_status = wait_child(&mut wait, END_TIMEOUT);
    let follow_status = wait_child(&mut follow, END_TIMEOUT);
    assert!(start.elapsed() < END_TIMEOUT);
    let wait_out = wait.wait_with_output().unwrap();
    let follow_out = follow.wait_with_output().unwrap();
    assert!(wait_status.success(), "wait: {}", describe(&wait_out));
    assert_eq!(String::from_utf8_lossy(&wait_out.stdout).trim(), "137");
    assert!(
        follow_status.success(),
        "logs -f: {}",
        describe(&follow_out)
    );
    assert!(String::from_utf8_lossy(&follow_out.stdout).contains("before-the-kill"));
    assert!(!pid_alive(pid));
    assert_eq!(e.status("c"), "exited");
    e.ok(&["rm", "c"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

/// Runs SQL on the engine's state database with the sqlite3 shell.
fn sql(e: &Engine, statement: &str) {
    let out = Command::new("sqlite3")
        .arg(e.root().join("rpod.db"))
        .arg(statement)
        .stdin(Stdio::null())
        .output()
        .expect("sqlite3 (apt-get install sqlite3)");
    assert!(out.status.success(), "sqlite3: {}", describe(&out));
}

#[test]
fn a_live_process_with_another_start_time_is_not_the_monitor() {
    let e = Engine::with_image();
    let id = e.sleeper("c");
    let monitor = pid_of(&e, "c", "{{.State.ConmonPid}}");
    let pid = pid_of(&e, "c", "{{.State.Pid}}");
    // A state saved before start times were recorded: the monitor is
    // still recognised (by its command line).
    sql(
        &e,
        &format!(
            "UPDATE containers SET state = json_remove(state, '$.monitor_start_time') \
             WHERE id = '{id}'"
        ),
    );
    assert_eq!(e.status("c"), "running");
    assert!(pid_alive(pid));
    // The pid is a live process, but not the one that started at the
    // recorded time (as when the pid was reused): the monitor is dead.
    let start = process_start_time(monitor).expect("the monitor's start time");
    sql(
        &e,
        &format!(
            "UPDATE containers SET state = json_set(state, '$.monitor_start_time', {}) \
             WHERE id = '{id}'",
            start + 1
        ),
    );
    assert!(pid_alive(monitor));
    let status = e.status("c");
    assert!(status == "exited" || status == "stopped", "status {status}");
    assert!(e.inspect_fmt("c", "{{.State.Error}}").contains("monitor"));
    assert!(!pid_alive(pid));
    e.ok(&["rm", "-f", "-t", "0", "c"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn liveness_needs_the_same_start_time() {
    let mut child = Command::new("sleep")
        .arg("100")
        .stdin(Stdio::null())
        .spawn()
        .expect("sleep");
    let pid = child.id() as i32;
    let start = process_start_time(pid).expect("start time of a live process");
    assert!(same_process_alive(pid, start));
    assert!(!same_process_alive(pid, start + 1), "a fake start time");
    let recorded = ContainerState {
        monitor_pid: pid,
        monitor_start_time: start + 1,
        ..Default::default()
    };
    assert!(!recorded.monitor_alive("some-id"));
    let recorded = ContainerState {
        monitor_start_time: start,
        ..recorded
    };
    assert!(recorded.monitor_alive("some-id"));
    kill_pid(pid, libc::SIGKILL);
    let _ = child.wait();
    assert!(!same_process_alive(pid, start));
    assert!(!recorded.monitor_alive("some-id"));
}

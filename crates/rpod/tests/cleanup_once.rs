//! Exactly one party cleans up after a container exits: the attached
//! `rpod run` when it lives to see the exit, rpod-monitor's exit command
//! when it does not, never both.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn cleanups(e: &Engine, name: &str) -> usize {
    e.ok(&[
        "events",
        "--stream=false",
        "--filter",
        &format!("container={name}"),
        "--filter",
        "event=cleanup",
        "--format",
        "{{.Status}}",
    ])
    .lines()
    .filter(|l| *l == "cleanup")
    .count()
}

/// Waits until the container is no longer on its way (exited, or never
/// started), and returns its status.
fn settle(e: &Engine, name: &str) -> String {
    let deadline = Instant::now() + POLL_TIMEOUT;
    loop {
        let status = e.status(name);
        if matches!(status.as_str(), "exited" | "created" | "configured")
            || Instant::now() > deadline
        {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_attached_run_cleans_up_itself_and_the_monitor_does_not() {
    let e = Engine::with_image();
    for i in 0..3 {
        let name = format!("att{i}");
        let out = e.rpod(&[
            "run",
            "--name",
            &name,
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "exit 3",
        ]);
        assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
        // The monitor had its chance to run its exit command by now.
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(e.status(&name), "exited");
        assert_eq!(cleanups(&e, &name), 1, "{name}");
    }
    // --rm: removed by the command, once.
    let out = e.rpod(&[
        "run",
        "--rm",
        "--name",
        "gone",
        "--network",
        "none",
        "busybox",
        "true",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!e.exists("gone"));
    assert_eq!(cleanups(&e, "gone"), 1);
}

#[test]
fn a_killed_run_leaves_the_clean_up_to_the_monitor_exactly_once() {
    let e = Engine::with_image();
    // Kill points spread over creation, start, the run and the clean-up.
    // `None`: killed as soon as the container is seen running, so that some
    // runs reach their exit however slow the machine is.
    let delays_ms = [
        Some(0u64),
        Some(15),
        Some(30),
        Some(60),
        Some(90),
        Some(120),
        Some(180),
        Some(250),
        Some(350),
        Some(500),
        None,
        None,
        None,
    ];
    let mut exited = 0;
    for (i, delay) in delays_ms.iter().enumerate() {
        let name = format!("k{i}");
        let mut child = e.spawn(&[
            "run",
            "--name",
            &name,
            "--network",
            "none",
            "busybox",
            "sleep",
            "0.2",
        ]);
        match delay {
            Some(ms) => std::thread::sleep(Duration::from_millis(*ms)),
            None => {
                let deadline = Instant::now() + POLL_TIMEOUT;
                while Instant::now() < deadline
                    && !(e.exists(&name) && e.status(&name) == "running")
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        kill_pid(child.id() as i32, libc::SIGKILL);
        let _ = child.wait();
        // A kill before the container existed leaves nothing to check.
        if !e.exists(&name) {
            continue;
        }
        match settle(&e, &name).as_str() {
            "exited" => {
                exited += 1;
                std::thread::sleep(Duration::from_millis(200));
                assert_eq!(cleanups(&e, &name), 1, "{name} (killed at {delay:?} ms)");
            }
            other => {
                assert!(matches!(other, "created" | "configured"), "{name}: {other}");
            }
        }
        e.ok(&["rm", "-f", &name]);
    }
    assert!(exited >= 3, "too few runs reached their exit: {exited}");
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

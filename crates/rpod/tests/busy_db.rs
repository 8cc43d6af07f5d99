//! A busy state database: a hundred commands at once (CLI and API) never
//! fail with "database is locked", and `rm -af` of a hundred running
//! containers completes.

mod api_support;
mod common;

use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use api_support::*;
use common::*;

/// Commands started at once.
const CONCURRENT: usize = 100;
/// Of those, how many are `run -d` (the rest are ps, inspect, stop, rm and
/// API list calls).
const RUNS: usize = 40;

fn integrity_ok(e: &Engine) {
    let out = std::process::Command::new("sqlite3")
        .arg(e.root().join("rpod.db"))
        .arg("PRAGMA integrity_check;")
        .output()
        .expect("sqlite3");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "{}",
        describe(&out)
    );
}

fn locked(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("database is locked") || t.contains("database is busy")
}

#[test]
fn a_hundred_concurrent_commands_never_see_a_locked_database() {
    let e = Arc::new(Engine::with_image());
    // Containers the stop / rm / inspect commands act on while new ones
    // are created.
    for i in 0..10 {
        e.ok(&[
            "run",
            "-d",
            "--name",
            &format!("old{i}"),
            "busybox",
            "sleep",
            "1000",
        ]);
    }
    let svc = Service::start(&e);
    let socket = svc.socket.clone();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let start = Instant::now();
    let mut threads = Vec::new();
    for i in 0..CONCURRENT {
        let e = e.clone();
        let failures = failures.clone();
        let socket = socket.clone();
        threads.push(std::thread::spawn(move || {
            let check = |what: String, out: Output| {
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                if !out.status.success() || locked(&text) {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{what}: {}", describe(&out)));
                }
            };
            if i < RUNS {
                let name = format!("new{i}");
                check(
                    format!("run -d {name}"),
                    e.rpod(&["run", "-d", "--name", &name, "busybox", "sleep", "1000"]),
                );
                return;
            }
            match i % 6 {
                0 => check("ps".into(), e.rpod(&["ps", "-a"])),
                1 => {
                    let name = format!("old{}", i % 10);
                    // The container may be removed meanwhile: only a
                    // locked database is a failure here.
                    let out = e.rpod(&["inspect", "--format", "{{.State.Status}}", &name]);
                    let text = String::from_utf8_lossy(&out.stderr).into_owned();
                    if locked(&text) || (!out.status.success() && !text.contains("no such")) {
                        failures.lock().unwrap().push(format!("inspect: {text}"));
                    }
                }
                2 if i % 4 == 0 => {
                    let name = format!("old{}", i % 10);
                    let out = e.rpod(&["stop", "-t", "0", &name]);
                    let text = String::from_utf8_lossy(&out.stderr).into_owned();
                    if locked(&text) || (!out.status.success() && !text.contains("no such")) {
                        failures.lock().unwrap().push(format!("stop: {text}"));
                    }
                }
                3 if i % 4 == 1 => {
                    let name = format!("old{}", i % 10);
                    let out = e.rpod(&["rm", "-f", "-t", "0", &name]);
                    let text = String::from_utf8_lossy(&out.stderr).into_owned();
                    if locked(&text) || (!out.status.success() && !text.contains("no such")) {
                        failures.lock().unwrap().push(format!("rm: {text}"));
                    }
                }
                _ => {
                    let (status, _, body) = http(
                        &socket,
                        "GET",
                        "/v4.0.0/libpod/containers/json?all=true",
                        "",
                        None,
                    );
                    let text = String::from_utf8_lossy(&body).into_owned();
                    if status != 200 || locked(&text) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("API list: {status} {text}"));
                    }
                    let (status, _, body) = http(&socket, "GET", "/containers/json", "", None);
                    let text = String::from_utf8_lossy(&body).into_owned();
                    if status != 200 || locked(&text) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("docker API list: {status} {text}"));
                    }
                }
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let took = start.elapsed();
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} of {CONCURRENT} commands failed:\n{}\nservice log:\n{}",
        failures.len(),
        failures.join("\n"),
        svc.log()
    );
    let names = e.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    for i in 0..RUNS {
        let name = format!("new{i}");
        assert!(
            names.lines().any(|l| l == name),
            "{name} missing from ps -a:\n{names}"
        );
    }
    let (status, _, body) = http(&socket, "GET", "/containers/json?all=true", "", None);
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        listed.as_array().map(Vec::len).unwrap_or(0),
        names.lines().count(),
        "the API and the CLI list different containers"
    );
    integrity_ok(&e);
    eprintln!("{CONCURRENT} concurrent commands ({RUNS} run -d) took {took:?}");
}

#[test]
fn rm_af_of_a_hundred_running_containers_completes() {
    const N: usize = 100;
    let e = Arc::new(Engine::with_image());
    // Created 10 at a time, so the set-up is itself concurrent.
    let start = Instant::now();
    for batch in 0..N / 10 {
        let threads: Vec<_> = (0..10)
            .map(|j| {
                let e = e.clone();
                std::thread::spawn(move || {
                    let name = format!("c{}", batch * 10 + j);
                    e.ok(&["run", "-d", "--name", &name, "busybox", "sleep", "1000"]);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
    let created = start.elapsed();
    assert_eq!(e.ok(&["ps", "-q"]).lines().count(), N);
    let start = Instant::now();
    let out = e.rpod(&["rm", "-a", "-f", "-t", "0"]);
    let removed = start.elapsed();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(!locked(&String::from_utf8_lossy(&out.stderr)));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), N);
    assert!(e.all_ids().is_empty());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    integrity_ok(&e);
    eprintln!("{N} run -d (10 at a time) took {created:?}; rm -af took {removed:?}");
}

/// The first commands on a new root create and migrate the database at
/// the same time: one migrates, the others wait and see the result.
#[test]
fn concurrent_first_opens_migrate_once() {
    const N: usize = 30;
    let e = Arc::new(Engine::new());
    let threads: Vec<_> = (0..N)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || e.rpod(&["ps", "-a"]))
        })
        .collect();
    for t in threads {
        let out = t.join().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }
    integrity_ok(&e);
}

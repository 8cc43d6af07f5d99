//! Container life cycle: create, init, start, run, stop, kill, rm, wait,
//! pause, restart, rename, mount, export, attach, prune.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;

#[test]
fn create_then_start_runs_the_container() {
    let e = Engine::with_image();
    let id = e.ok(&[
        "create",
        "--name",
        "c1",
        "busybox",
        "sh",
        "-c",
        "echo started; exit 0",
    ]);
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(e.status("c1"), "created");
    assert_eq!(e.ok(&["start", "c1"]), "c1");
    e.wait_status("c1", "exited");
    assert_eq!(e.logs("c1").trim(), "started");
}

#[test]
fn start_attach_prints_output_and_passes_exit_code() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "c1",
        "busybox",
        "sh",
        "-c",
        "echo out-line; exit 4",
    ]);
    let out = e.rpod(&["start", "-a", "c1"]);
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "out-line");
}

#[test]
fn init_leaves_container_created_and_start_runs_it() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "c1",
        "busybox",
        "sh",
        "-c",
        "echo hi-from-init",
    ]);
    let out = e.ok(&["init", "c1"]);
    assert_eq!(out.len(), 64, "{out}");
    assert_eq!(e.status("c1"), "created");
    e.ok(&["start", "c1"]);
    e.wait_status("c1", "exited");
    assert_eq!(e.logs("c1").trim(), "hi-from-init");
}

#[test]
fn run_prints_output_and_exit_code_passes_through() {
    let e = Engine::with_image();
    let out = e.rpod(&[
        "run",
        "busybox",
        "sh",
        "-c",
        "echo to-out; echo to-err >&2; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "to-out");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("to-err"),
        "{}",
        describe(&out)
    );
}

#[test]
fn run_detached_prints_id_and_container_runs() {
    let e = Engine::with_image();
    let id = e.ok(&["run", "-d", "--name", "d1", "busybox", "sleep", "1000"]);
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(e.status("d1"), "running");
    assert_eq!(e.inspect_fmt("d1", "{{.Id}}"), id);
}

#[test]
fn run_interactive_forwards_piped_stdin() {
    let e = Engine::with_image();
    let out = e.rpod_stdin(&["run", "-i", "busybox", "cat"], b"hi\nthere\n");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\nthere\n");
}

#[test]
fn run_without_interactive_does_not_read_stdin() {
    let e = Engine::with_image();
    let out = e.rpod_stdin(&["run", "busybox", "cat"], b"should-not-arrive\n");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

#[test]
fn run_rm_removes_the_container_afterwards() {
    let e = Engine::with_image();
    let out = e.ok(&["run", "--rm", "--name", "gone", "busybox", "echo", "bye"]);
    assert_eq!(out, "bye");
    assert!(!e.exists("gone"));
    assert!(e.all_ids().is_empty());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn run_rm_keeps_exit_code() {
    let e = Engine::with_image();
    let out = e.rpod(&["run", "--rm", "busybox", "sh", "-c", "exit 9"]);
    assert_eq!(out.status.code(), Some(9), "{}", describe(&out));
    assert!(e.all_ids().is_empty());
}

#[test]
fn run_rm_detached_is_removed_once_it_exits() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--rm",
        "--name",
        "gone",
        "busybox",
        "sh",
        "-c",
        "sleep 0.2",
    ]);
    wait_until("the --rm container to be removed", POLL_TIMEOUT, || {
        !e.exists("gone")
    });
    wait_until("mounts to go", POLL_TIMEOUT, || {
        e.leftover_mounts().is_empty()
    });
}

#[test]
fn run_name_sets_the_name_and_duplicates_are_refused() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "dup", "busybox", "true"]);
    assert_eq!(e.inspect_fmt("dup", "{{.Name}}"), "dup");
    let before = e.all_ids();
    let (code, err) = e.fails(&["run", "--name", "dup", "busybox", "true"]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("dup") && err.contains("in use"), "{err}");
    assert_eq!(e.all_ids(), before);
}

#[test]
fn invalid_name_is_refused() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "--name", "bad/name", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("bad/name"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn stop_stops_a_running_container() {
    let e = Engine::with_image();
    e.sleeper("s1");
    assert_eq!(e.ok(&["stop", "-t", "0", "s1"]), "s1");
    let st = e.status("s1");
    assert!(st == "exited" || st == "stopped", "{st}");
    assert_eq!(e.inspect_fmt("s1", "{{.State.Running}}"), "false");
}

#[test]
fn stop_uses_sigterm_and_a_trapping_container_exits_cleanly() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "t1",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done",
    ]);
    e.wait_logs("t1", "ready");
    e.ok(&["stop", "-t", "30", "t1"]);
    assert_eq!(e.inspect_fmt("t1", "{{.State.ExitCode}}"), "0");
    assert!(e.logs("t1").contains("got-term"));
}

#[test]
fn stop_of_container_ignoring_term_kills_it_after_timeout() {
    let e = Engine::with_image();
    // pid 1 in its namespace ignores TERM with no handler.
    e.ok(&[
        "run", "-d", "--name", "stubborn", "busybox", "sleep", "1000",
    ]);
    e.ok(&["stop", "-t", "1", "stubborn"]);
    assert_eq!(e.inspect_fmt("stubborn", "{{.State.ExitCode}}"), "137");
}

#[test]
fn stop_all_stops_everything() {
    let e = Engine::with_image();
    e.sleeper("a1");
    e.sleeper("a2");
    e.ok(&["stop", "-a", "-t", "0"]);
    assert_eq!(e.ok(&["ps", "-q"]), "");
}

#[test]
fn stop_kill_restart_of_many_act_and_print_as_podman_does() {
    let b = Both::new();
    let names = ["m1", "m2", "m3", "m4"];
    for n in names {
        let args = [
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            n,
            "probe",
            "sleep",
            "1000",
        ];
        b.e.ok(&args);
        b.p.ok(&args);
    }
    let running = |ours: bool| -> usize {
        let args = ["ps", "-q"];
        let out = if ours { b.e.ok(&args) } else { b.p.ok(&args) };
        out.lines().count()
    };
    // A missing name fails the whole command before any container is
    // touched: same exit code, nothing printed, all still running.
    let args = ["stop", "-t", "0", "m3", "m1", "nothere", "m2"];
    let (ours, theirs) = (b.e.rpod(&args), b.p.run(&args));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_eq!(ours.status.code(), Some(125));
    assert_eq!(ours.stdout, theirs.stdout);
    assert!(ours.stdout.is_empty());
    let err = String::from_utf8_lossy(&ours.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nothere"), "{err}");
    assert_eq!((running(true), running(false)), (4, 4));
    // Podman prints each container as it finishes; rpod prints the same
    // lines in the order given.
    let sorted = |out: &str| {
        let mut v: Vec<&str> = out.lines().collect();
        v.sort_unstable();
        v.join("\n")
    };
    let args = ["stop", "-t", "0", "m4", "m2", "m1"];
    let (ours, theirs) = (b.e.ok(&args), b.p.ok(&args));
    assert_eq!(ours, "m4\nm2\nm1");
    assert_eq!(sorted(&ours), sorted(&theirs));
    assert_eq!((running(true), running(false)), (1, 1));
    // --ignore skips the missing name and acts on the others.
    let args = ["stop", "-i", "-t", "0", "m3", "nothere"];
    assert_eq!(b.e.ok(&args), b.p.ok(&args));
    // restart and kill print the names as given, too.
    for args in [
        ["restart", "-t", "0", "m3", "m1"],
        ["kill", "-s", "KILL", "m1", "m3"],
    ] {
        let (ours, theirs) = (b.e.ok(&args), b.p.ok(&args));
        assert_eq!(ours, args[3..].join("\n"));
        assert_eq!(sorted(&ours), sorted(&theirs));
    }
}

#[test]
fn stop_ignore_skips_missing_containers() {
    let e = Engine::new();
    e.ok(&["stop", "-i", "nothere"]);
    let (code, _) = e.fails(&["stop", "nothere"]);
    assert_eq!(code, 125);
}

#[test]
fn kill_sends_the_named_signal_to_a_trap() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "k1",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done",
    ]);
    e.wait_logs("k1", "ready");
    assert_eq!(e.ok(&["kill", "-s", "USR1", "k1"]), "k1");
    e.wait_logs("k1", "got-usr1");
    assert_eq!(e.status("k1"), "running");
    e.ok(&["kill", "k1"]);
    e.wait_status("k1", "exited");
    assert_eq!(e.inspect_fmt("k1", "{{.State.ExitCode}}"), "137");
}

#[test]
fn kill_accepts_numbers_and_sig_prefix() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "k1",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-usr2' USR2; trap 'echo got-hup' HUP; echo ready; while :; do sleep 0.1; done",
    ]);
    e.wait_logs("k1", "ready");
    e.ok(&["kill", "-s", "SIGUSR2", "k1"]);
    e.wait_logs("k1", "got-usr2");
    e.ok(&["kill", "-s", "1", "k1"]);
    e.wait_logs("k1", "got-hup");
}

#[test]
fn rm_removes_a_stopped_container() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "r1", "busybox", "true"]);
    let id = e.inspect_fmt("r1", "{{.Id}}");
    assert_eq!(
        e.ok(&["rm", "r1"]),
        "r1",
        "printed as given, as podman prints it"
    );
    assert!(!e.exists("r1"));
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    assert!(!e.root().join("containers").join(&id).exists());
    assert!(!e.runroot().join("containers").join(&id).exists());
}

#[test]
fn rm_of_running_container_without_force_is_refused() {
    let e = Engine::with_image();
    e.sleeper("r1");
    let (code, err) = e.fails(&["rm", "r1"]);
    // Podman: 2, "container state improper".
    assert_eq!(code, 2);
    assert!(err.contains("running"), "{err}");
    assert_eq!(e.status("r1"), "running");
}

#[test]
fn rm_force_with_timeout_removes_a_running_container() {
    let e = Engine::with_image();
    e.sleeper("r1");
    e.ok(&["rm", "-f", "-t", "0", "r1"]);
    assert!(!e.exists("r1"));
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn rm_all_force_removes_everything() {
    let e = Engine::with_image();
    e.sleeper("r1");
    e.ok(&["create", "--name", "r2", "busybox", "true"]);
    e.ok(&["run", "--name", "r3", "busybox", "true"]);
    e.ok(&["rm", "-a", "-f", "-t", "0"]);
    assert!(e.all_ids().is_empty());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn rm_ignore_skips_missing() {
    let e = Engine::new();
    e.ok(&["rm", "-i", "nothere"]);
}

#[test]
fn wait_prints_the_exit_code() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "w1",
        "busybox",
        "sh",
        "-c",
        "sleep 0.3; exit 6",
    ]);
    assert_eq!(e.ok(&["wait", "w1"]), "6");
}

#[test]
fn wait_condition_running_returns_once_started() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "w1", "busybox", "sleep", "1000"]);
    let mut waiter = e.spawn(&["wait", "--condition", "running", "w1"]);
    e.ok(&["start", "w1"]);
    let st = wait_child(&mut waiter, COMMAND_TIMEOUT);
    assert!(st.success());
    assert_eq!(e.status("w1"), "running");
}

#[test]
fn wait_with_bad_condition_fails() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "w1", "busybox", "true"]);
    let (code, err) = e.fails(&["wait", "--condition", "sideways", "w1"]);
    assert_eq!(code, 125);
    assert!(err.contains("sideways"), "{err}");
}

#[test]
fn container_exists_exit_codes() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "x1", "busybox", "true"]);
    assert_eq!(
        e.rpod(&["container", "exists", "x1"]).status.code(),
        Some(0)
    );
    assert_eq!(
        e.rpod(&["container", "exists", "nothere"]).status.code(),
        Some(1)
    );
}

#[test]
fn container_prune_removes_only_stopped_containers() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "done1", "busybox", "true"]);
    let done_id = e.inspect_fmt("done1", "{{.Id}}");
    e.sleeper("alive");
    let out = e.ok(&["container", "prune", "-f"]);
    assert!(out.contains(&done_id), "{out}");
    assert!(!e.exists("done1"));
    assert!(e.exists("alive"));
}

#[test]
fn rename_changes_the_name_and_emits_an_event() {
    let e = Engine::with_image();
    let id = e.ok(&["create", "--name", "old", "busybox", "true"]);
    e.ok(&["rename", "old", "new"]);
    assert!(!e.exists("old"));
    assert_eq!(e.inspect_fmt("new", "{{.Id}}"), id);
    let ev = e.ok(&["events", "--stream=false", "--filter", "event=rename"]);
    assert!(ev.contains("rename") && ev.contains(&id), "{ev}");
}

#[test]
fn rename_to_a_used_name_is_refused() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "a", "busybox", "true"]);
    e.ok(&["create", "--name", "b", "busybox", "true"]);
    let (code, err) = e.fails(&["rename", "a", "b"]);
    assert_eq!(code, 125);
    assert!(err.contains("\"b\"") || err.contains("b"), "{err}");
    assert!(e.exists("a") && e.exists("b"));
}

#[test]
fn mount_prints_the_root_and_umount_releases_it() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "m1", "busybox", "true"]);
    let dir = e.ok(&["mount", "m1"]);
    assert!(
        std::path::Path::new(&dir).join("bin/busybox").is_file(),
        "{dir}"
    );
    let listed = e.ok(&["mount"]);
    assert!(listed.contains(&dir), "{listed}");
    e.ok(&["umount", "m1"]);
    assert!(!std::path::Path::new(&dir).join("bin/busybox").exists());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn umount_of_running_container_is_refused() {
    let e = Engine::with_image();
    e.sleeper("m1");
    let (code, err) = e.fails(&["umount", "m1"]);
    assert_eq!(code, 125);
    assert!(err.contains("running"), "{err}");
    assert_eq!(e.status("m1"), "running");
}

#[test]
fn export_writes_a_tar_with_busybox() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--name",
        "x1",
        "busybox",
        "sh",
        "-c",
        "echo data > /marker",
    ]);
    let out = e.file("export.tar");
    e.ok(&["export", "-o", out.to_str().unwrap(), "x1"]);
    let data = std::fs::read(&out).unwrap();
    let names = tar_entry_names(&data);
    let norm: Vec<String> = names
        .iter()
        .map(|n| {
            n.trim_start_matches("./")
                .trim_start_matches('/')
                .to_string()
        })
        .collect();
    assert!(
        norm.iter().any(|n| n == "bin/busybox"),
        "{:?}",
        &norm[..norm.len().min(20)]
    );
    assert!(
        norm.iter().any(|n| n == "marker"),
        "container changes missing from export"
    );
    assert!(
        e.leftover_mounts().is_empty(),
        "export left a mount: {:?}",
        e.leftover_mounts()
    );
}

#[test]
fn export_to_stdout() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "x1", "busybox", "true"]);
    let out = e.rpod(&["export", "x1"]);
    assert!(out.status.success(), "{}", describe(&out));
    let names = tar_entry_names(&out.stdout);
    assert!(names
        .iter()
        .any(|n| n.trim_start_matches("./") == "bin/busybox"));
}

#[test]
fn pause_and_unpause() {
    let e = Engine::with_image();
    e.sleeper("p1");
    e.ok(&["pause", "p1"]);
    assert_eq!(e.status("p1"), "paused");
    assert_eq!(e.inspect_fmt("p1", "{{.State.Paused}}"), "true");
    let ps = e.ok(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps.contains("p1 Paused"), "{ps}");
    e.ok(&["unpause", "p1"]);
    assert_eq!(e.status("p1"), "running");
}

#[test]
fn rm_force_removes_a_paused_container() {
    let e = Engine::with_image();
    e.sleeper("p1");
    e.ok(&["pause", "p1"]);
    e.ok(&["rm", "-f", "-t", "0", "p1"]);
    assert!(!e.exists("p1"));
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn restart_runs_the_container_again() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "rs",
        "busybox",
        "sh",
        "-c",
        "echo boot; sleep 1000",
    ]);
    e.wait_logs("rs", "boot");
    let pid1 = e.inspect_fmt("rs", "{{.State.Pid}}");
    e.ok(&["restart", "-t", "0", "rs"]);
    assert_eq!(e.status("rs"), "running");
    let pid2 = e.inspect_fmt("rs", "{{.State.Pid}}");
    assert_ne!(pid1, pid2);
    wait_until("two boots in the log", POLL_TIMEOUT, || {
        e.logs("rs").matches("boot").count() == 2
    });
}

#[test]
fn restart_of_an_exited_container_starts_it() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "rs", "busybox", "sh", "-c", "echo boot"]);
    e.ok(&["restart", "rs"]);
    wait_until("two boots", POLL_TIMEOUT, || {
        e.logs("rs").matches("boot").count() == 2
    });
}

#[test]
fn start_of_an_exited_container_runs_it_again() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "again", "busybox", "sh", "-c", "echo once"]);
    let out = e.rpod(&["start", "-a", "again"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "once");
    assert_eq!(e.logs("again").matches("once").count(), 2);
}

#[test]
fn attach_receives_output_of_a_running_container() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "loop",
        "busybox",
        "sh",
        "-c",
        "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.1; done",
    ]);
    let mut child = e.spawn(&["attach", "loop"]);
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut all = Vec::new();
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            if tx.send(String::from_utf8_lossy(&all).into_owned()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + POLL_TIMEOUT;
    while std::time::Instant::now() < deadline && seen.matches("tick-").count() < 3 {
        if let Ok(s) = rx.recv_timeout(Duration::from_millis(200)) {
            seen = s;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.matches("tick-").count() >= 3, "attach got {seen:?}");
    assert_eq!(
        e.status("loop"),
        "running",
        "killing attach must not stop the container"
    );
}

#[test]
fn attach_ends_with_the_exit_code_when_the_container_exits() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "short",
        "busybox",
        "sh",
        "-c",
        "sleep 1; echo last-words; exit 5",
    ]);
    let out = e.rpod(&["attach", "short"]);
    // Either attach caught it running (exit 5) or it had already exited (refused).
    if out.status.code() == Some(5) {
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("last-words"),
            "{}",
            describe(&out)
        );
    } else {
        assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    }
}

#[test]
fn attach_to_a_stopped_container_is_refused() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c1", "busybox", "true"]);
    let (code, err) = e.fails(&["attach", "c1"]);
    assert_eq!(code, 125);
    assert!(err.contains("created") || err.contains("running"), "{err}");
}

#[test]
fn latest_flag_acts_on_the_newest_container() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "first", "busybox", "true"]);
    e.ok(&["create", "--name", "second", "busybox", "true"]);
    assert_eq!(e.ok(&["inspect", "-l", "--format", "{{.Name}}"]), "second");
    e.ok(&["rm", "-l"]);
    assert!(!e.exists("second"));
    assert!(e.exists("first"));
}

#[test]
fn container_subcommand_group_works() {
    let e = Engine::with_image();
    e.ok(&["container", "create", "--name", "g1", "busybox", "true"]);
    let out = e.ok(&["container", "ls", "-a", "--format", "{{.Names}}"]);
    assert_eq!(out, "g1");
    e.ok(&["container", "rm", "g1"]);
    assert!(!e.exists("g1"));
}

#[test]
fn port_lists_nothing_for_none_network() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "p", "busybox", "true"]);
    assert_eq!(e.ok(&["port", "p"]), "");
    assert_eq!(e.fails(&["port", "nothere"]).0, 125);
}

/// Runs `args` `n` rounds of four concurrent runs; returns the failures' output.
fn run_pairs(e: &Engine, args: &[&str], n: usize, expect_stdout: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for _ in 0..n {
        let outs: Vec<std::process::Output> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| e.rpod(args))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for o in outs {
            if !o.status.success() || String::from_utf8_lossy(&o.stdout).trim() != expect_stdout {
                failures.push(describe(&o));
            }
        }
    }
    failures
}

#[test]
fn concurrent_run_rm_always_succeeds() {
    let e = Engine::with_image();
    let failures = run_pairs(&e, &["run", "--rm", "busybox", "echo", "hi"], 15, "hi");
    assert!(
        failures.is_empty(),
        "{} failures, first:\n{}",
        failures.len(),
        failures[0]
    );
    assert!(e.all_ids().is_empty());
}

#[test]
fn concurrent_run_always_delivers_output() {
    let e = Engine::with_image();
    let failures = run_pairs(&e, &["run", "busybox", "echo", "hi"], 15, "hi");
    assert!(
        failures.is_empty(),
        "{} failures, first:\n{}",
        failures.len(),
        failures[0]
    );
}

#[test]
fn concurrent_create_with_generated_names_never_collides() {
    let e = Engine::with_image();
    let mut failures = Vec::new();
    for _ in 0..20 {
        let outs: Vec<std::process::Output> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| e.rpod(&["create", "busybox", "true"])))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        failures.extend(outs.iter().filter(|o| !o.status.success()).map(describe));
    }
    assert!(
        failures.is_empty(),
        "{} of 160 creates failed, first:\n{}",
        failures.len(),
        failures[0]
    );
    assert_eq!(e.all_ids().len(), 160);
}

/// `--filter`, `--latest`, `--cidfile`, `--running` and `--depend` on the
/// batch commands select, act and print as in podman: the same command on
/// the same containers in both engines, IDs printed mapped back to names.
#[test]
fn batch_selections_act_and_print_as_podman_does() {
    let b = Both::new();
    let create = |args: &[&str]| {
        let mut full = vec!["create", "--network", "none"];
        full.extend_from_slice(args);
        b.e.ok(&full);
        b.p.ok(&full);
    };
    create(&[
        "--name", "base", "--label", "tier=db", "probe", "sleep", "1000",
    ]);
    create(&[
        "--name",
        "app",
        "--requires",
        "base",
        "--label",
        "tier=web",
        "probe",
        "sleep",
        "1000",
    ]);
    create(&[
        "--name", "web2", "--label", "tier=web", "probe", "sleep", "1000",
    ]);
    create(&["--name", "lone", "probe", "sleep", "1000"]);
    // Names for printed IDs, sorted (podman prints in completion order).
    let table = |ours: bool| -> std::collections::BTreeMap<String, String> {
        let args = ["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"];
        let out = if ours { b.e.ok(&args) } else { b.p.ok(&args) };
        out.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(id, n)| (id.to_string(), n.to_string()))
            .collect()
    };
    let (our_names, their_names) = (table(true), table(false));
    let names_of = |ours: bool, out: &str| -> String {
        let names = if ours { &our_names } else { &their_names };
        let mut v: Vec<String> = out
            .lines()
            .map(|l| names.get(l).cloned().unwrap_or_else(|| l.to_string()))
            .collect();
        v.sort();
        v.join(",")
    };
    let states = |ours: bool| -> String {
        let args = ["ps", "-a", "--format", "{{.Names}}={{.State}}"];
        let out = if ours { b.e.ok(&args) } else { b.p.ok(&args) };
        // The first word of the human state (`Up 2 seconds ago`).
        let mut v: Vec<&str> = out
            .lines()
            .map(|l| l.split(' ').next().unwrap_or(l))
            .collect();
        v.sort_unstable();
        v.join(" ")
    };
    let cidfile = b.e.file("app.cid");
    let app_id = b.e.inspect_fmt("app", "{{.Id}}");
    let papp_id = b.p.ok(&["inspect", "--format", "{{.Id}}", "app"]);
    let cidfile_p = b.e.file("papp.cid");
    std::fs::write(&cidfile, &app_id).unwrap();
    std::fs::write(&cidfile_p, &papp_id).unwrap();
    let steps: Vec<Vec<String>> = [
        "start --filter label=tier=web",
        "start lone base",
        "start --filter label=tier=db app",
        "stop -t 0 --filter label=tier=web",
        "restart --running -t 0 app lone",
        "pause --filter name=lone",
        "unpause -a",
        "start -l",
        "kill --cidfile CID",
        "rm nothere lone",
        "rm -f -t 0 base",
        "rm -f -t 0 --depend base",
        "rm --filter bogus=1",
        "rm -f -t 0 --filter label=tier=web",
    ]
    .iter()
    .map(|s| s.split(' ').map(str::to_string).collect())
    .collect();
    for step in steps {
        let with = |cid: &std::path::Path| -> Vec<String> {
            step.iter()
                .map(|a| {
                    if a == "CID" {
                        cid.display().to_string()
                    } else {
                        a.clone()
                    }
                })
                .collect()
        };
        let (ours_args, theirs_args) = (with(&cidfile), with(&cidfile_p));
        let ours_args: Vec<&str> = ours_args.iter().map(String::as_str).collect();
        let theirs_args: Vec<&str> = theirs_args.iter().map(String::as_str).collect();
        let (ours, theirs) = (b.e.rpod(&ours_args), b.p.run(&theirs_args));
        let what = step.join(" ");
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{what}: rpod {} / podman {}",
            describe(&ours),
            describe(&theirs)
        );
        assert_eq!(
            names_of(true, &String::from_utf8_lossy(&ours.stdout)),
            names_of(false, &String::from_utf8_lossy(&theirs.stdout)),
            "{what}"
        );
        assert_eq!(states(true), states(false), "after {what}");
    }
    // Podman 4.3 removes nothing for `rm -f nothere lone` (the missing
    // name empties the whole batch); rpod removes what exists.
    assert_eq!(b.e.ok(&["rm", "-f", "-t", "0", "nothere", "lone"]), "lone");
    assert!(b.e.all_ids().is_empty(), "{}", states(true));
}

/// `--latest` on the one-container commands and `wait --interval`, against
/// podman: the same exit codes, and the same output where IDs and paths
/// do not differ.
#[test]
fn latest_flags_pick_the_newest_container_as_podman_does() {
    let b = Both::new();
    let both = |args: &[&str]| {
        b.e.ok(args);
        b.p.ok(args);
    };
    both(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "older",
        "probe",
        "sleep",
        "1000",
    ]);
    both(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "newest",
        "probe",
        "sh",
        "-c",
        "echo hi > /made; sleep 1000",
    ]);
    // The same exit code and stdout in both engines.
    let same = |args: &[&str]| -> String {
        let (ours, theirs) = (b.e.rpod(args), b.p.run(args));
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{args:?}: {}",
            describe(&ours)
        );
        let o = String::from_utf8_lossy(&ours.stdout).to_string();
        assert_eq!(o, String::from_utf8_lossy(&theirs.stdout), "{args:?}");
        o
    };
    for ours in [true, false] {
        wait_for("/made in newest", POLL_TIMEOUT, || {
            let args = ["diff", "newest"];
            let out = if ours {
                b.e.rpod(&args)
            } else {
                b.p.run(&args)
            };
            String::from_utf8_lossy(&out.stdout)
                .contains("/made")
                .then_some(())
        });
    }
    // (podman also lists the /etc it adds mount points to.)
    for ours in [true, false] {
        let out = if ours {
            b.e.ok(&["diff", "-l"])
        } else {
            b.p.ok(&["diff", "-l"])
        };
        assert!(out.lines().any(|l| l == "A /made"), "ours={ours}: {out}");
    }
    same(&["diff", "-l", "older"]);
    same(&["attach", "-l", "older"]);
    same(&["attach"]);
    same(&["port", "-l"]);
    let top = same(&["top", "-l", "comm"]);
    assert!(top.contains("sleep"), "{top}");
    same(&["wait", "-i", "bogus", "newest"]);
    // wait with an interval sees the exit.
    both(&["kill", "newest"]);
    same(&["wait", "-i", "50", "newest"]);
    same(&["wait", "--interval", "20ms", "-l"]);
    // Mount and unmount the latest: rpod prints the path of its own store.
    let path = b.e.ok(&["mount", "-l"]);
    assert!(std::path::Path::new(&path).join("made").exists(), "{path}");
    assert_eq!(
        b.e.ok(&["umount", "-l"]),
        b.e.inspect_fmt("newest", "{{.Id}}")
    );
}

/// `update` changes a running container's limits: recorded (inspect, and
/// a later update keeps what an earlier one set) and in force in its
/// cgroup. (Podman 4.3.1's own `update` neither records nor applies
/// `--cpu-shares` or `--memory-reservation`, so podman is the reference
/// only for the defaults and the refusals here.)
#[test]
fn update_changes_limits_in_force_and_on_record() {
    let b = Both::new();
    let run = [
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "u",
        "--memory",
        "64m",
        "probe",
        "sleep",
        "1000",
    ];
    b.e.ok(&run);
    b.p.ok(&run);
    let fields =
        "{{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} {{.HostConfig.MemorySwap}} \
                  {{.HostConfig.CpuShares}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} \
                  {{.HostConfig.CpusetCpus}}";
    let args = ["inspect", "--format", fields, "u"];
    // Before: podman's defaults (swap twice the memory).
    assert_eq!(b.e.ok(&args), b.p.ok(&args));
    for (args, want) in [
        (
            &[
                "update",
                "--cpu-shares",
                "512",
                "--memory-reservation",
                "32m",
                "u",
            ][..],
            "67108864 33554432 134217728 512 0 0",
        ),
        (
            &[
                "update",
                "-c",
                "256",
                "--cpu-period",
                "50000",
                "--cpu-quota",
                "25000",
                "--cpuset-cpus",
                "0",
                "u",
            ],
            "67108864 33554432 134217728 256 50000 25000 0",
        ),
        (
            &["update", "--memory", "96m", "--memory-swap", "192m", "u"],
            "100663296 33554432 201326592 256 50000 25000 0",
        ),
    ] {
        assert_eq!(b.e.ok(args), b.e.inspect_fmt("u", "{{.Id}}"), "{args:?}");
        assert_eq!(b.e.inspect_fmt("u", fields), want, "after {args:?}");
    }
    // In force: the container's cgroup (v1 controllers on this host).
    let pid = b.e.inspect_fmt("u", "{{.State.Pid}}");
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let path_of = |controller: &str| -> String {
        cgroup
            .lines()
            .find_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
                ctrls
                    .split(',')
                    .any(|c| c == controller)
                    .then(|| path.to_string())
            })
            .unwrap_or_default()
    };
    let read = |controller: &str, file: &str| -> String {
        let p = format!("/sys/fs/cgroup/{controller}{}/{file}", path_of(controller));
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .trim()
            .to_string()
    };
    assert_eq!(read("cpu", "cpu.shares"), "256");
    assert_eq!(read("cpu", "cpu.cfs_quota_us"), "25000");
    assert_eq!(
        read("memory", "memory.limit_in_bytes"),
        (96u64 << 20).to_string()
    );
    assert_eq!(
        read("memory", "memory.soft_limit_in_bytes"),
        (32u64 << 20).to_string()
    );
    // Bad values are refused as `create` refuses them (podman's create
    // does; podman 4.3.1's update takes anything).
    for bad in [
        &["--memory-swappiness", "101"][..],
        &["--cpus", "1", "--cpu-quota", "1000"],
    ] {
        let mut create = vec!["create", "--network", "none"];
        create.extend_from_slice(bad);
        create.extend(["probe", "true"]);
        let theirs = b.p.run(&create);
        assert_eq!(
            b.e.rpod(&create).status.code(),
            theirs.status.code(),
            "{create:?}"
        );
        let mut update = vec!["update"];
        update.extend_from_slice(bad);
        update.push("u");
        let (code, _) = b.e.fails(&update);
        assert_eq!(Some(code), theirs.status.code(), "{update:?}");
    }
    assert_eq!(
        read("cpu", "cpu.cfs_quota_us"),
        "25000",
        "unchanged after a refusal"
    );
}

/// `container cleanup` as podman's: prints what it cleaned, refuses a
/// running container (also under `--all`), `--exec` names a session that
/// must exist, `--rm --rmi` takes the container and its unused image.
#[test]
fn container_cleanup_flags_as_podman() {
    let b = Both::new();
    for args in [
        &["tag", "probe", "localhost/throwaway"][..],
        &[
            "run",
            "--network",
            "none",
            "--name",
            "done",
            "probe",
            "true",
        ],
        &[
            "run",
            "--network",
            "none",
            "--name",
            "gone",
            "localhost/throwaway",
            "true",
        ],
        &[
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            "up",
            "probe",
            "sleep",
            "1000",
        ],
    ] {
        b.e.ok(args);
        b.p.ok(args);
    }
    let same = |args: &[&str]| {
        let (ours, theirs) = (b.e.rpod(args), b.p.run(args));
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{args:?}: {}",
            describe(&ours)
        );
        (
            String::from_utf8_lossy(&ours.stdout).to_string(),
            String::from_utf8_lossy(&theirs.stdout).to_string(),
        )
    };
    let (o, t) = same(&["container", "cleanup", "done"]);
    assert_eq!((o.as_str(), t.as_str()), ("done\n", "done\n"));
    same(&["container", "cleanup", "up"]);
    same(&["container", "cleanup", "-a"]);
    same(&["container", "cleanup", "--exec", "nosuchsession", "up"]);
    same(&["container", "cleanup", "--rm", "--rmi", "gone"]);
    for ours in [true, false] {
        let args = ["image", "exists", "localhost/throwaway"];
        let code = if ours {
            b.e.rpod(&args)
        } else {
            b.p.run(&args)
        }
        .status
        .code();
        assert_eq!(code, Some(1), "ours={ours}: the unused image is removed");
    }
    assert!(!b.e.exists("gone"));
}

/// `exec --preserve-fds 1` hands the caller's descriptor 3 to the process,
/// as podman's does.
#[test]
fn exec_preserve_fds_passes_descriptors_on_as_podman() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let b = Both::new();
    let run = [
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "pf",
        "probe",
        "sleep",
        "1000",
    ];
    b.e.ok(&run);
    b.p.ok(&run);
    let path = b.e.file("fd3.txt");
    std::fs::write(&path, "through fd 3\n").unwrap();
    let args = [
        "exec",
        "--preserve-fds",
        "1",
        "pf",
        "cat",
        "/proc/self/fd/3",
    ];
    let with_fd3 = |mut cmd: std::process::Command| -> std::process::Output {
        let file = std::fs::File::open(&path).unwrap();
        let raw = file.as_raw_fd();
        // SAFETY: dup2/fcntl in the child between fork and exec, on a
        // descriptor that stays open (`file` lives until the child has
        // run). When the file already is descriptor 3, dup2 would leave it
        // close-on-exec: the flag is cleared instead.
        unsafe {
            cmd.pre_exec(move || {
                let rc = if raw == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(raw, 3)
                };
                if rc < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
        drop(file);
        out
    };
    let ours = with_fd3(b.e.cmd(&args));
    let theirs = with_fd3(b.p.cmd(&args));
    assert!(ours.status.success(), "{}", describe(&ours));
    assert_eq!(String::from_utf8_lossy(&ours.stdout), "through fd 3\n");
    assert_eq!(ours.stdout, theirs.stdout, "{}", describe(&theirs));
}

//! State-machine guards, name resolution, bad input and exit codes.

mod common;

use common::*;

#[test]
fn start_of_a_running_container_does_nothing_and_start_attach_attaches_as_in_podman() {
    let b = Both::new();
    for args in [
        vec![
            "run",
            "-d",
            "--name",
            "r",
            "probe",
            "sh",
            "-c",
            "sleep 1; echo late",
        ],
        vec!["start", "r"],
    ] {
        let (ours, theirs) = (b.e.rpod(&args), b.p.run(&args));
        assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
        if args[0] == "start" {
            assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
            assert!(ours.stdout.is_empty(), "{}", describe(&ours));
        }
    }
    // Attached to the running container: its later output and exit code.
    let args = ["start", "-a", "r"];
    let (ours, theirs) = (b.e.rpod(&args), b.p.run(&args));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        "late\n",
        "{}",
        describe(&ours)
    );
    assert_eq!(ours.stdout, theirs.stdout);
}

#[test]
fn pause_of_a_stopped_container_fails() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "s", "busybox", "true"]);
    let (code, err) = e.fails(&["pause", "s"]);
    assert_eq!(code, 125);
    assert!(err.contains("exited") || err.contains("stopped"), "{err}");
}

#[test]
fn pause_of_a_created_container_fails() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "busybox", "true"]);
    let (code, err) = e.fails(&["pause", "c"]);
    assert_eq!(code, 125);
    assert!(err.contains("created"), "{err}");
}

#[test]
fn unpause_of_a_running_container_fails() {
    let e = Engine::with_image();
    e.sleeper("r");
    let (code, err) = e.fails(&["unpause", "r"]);
    assert_eq!(code, 125);
    assert!(err.contains("running"), "{err}");
}

#[test]
fn init_of_a_running_container_fails() {
    let e = Engine::with_image();
    e.sleeper("r");
    let (code, err) = e.fails(&["init", "r"]);
    assert_eq!(code, 125);
    assert!(err.contains("running"), "{err}");
}

#[test]
fn init_of_a_created_container_fails() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "busybox", "true"]);
    e.ok(&["init", "c"]);
    let (code, err) = e.fails(&["init", "c"]);
    assert_eq!(code, 125);
    assert!(err.contains("created"), "{err}");
}

#[test]
fn kill_of_a_stopped_container_fails() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "s", "busybox", "true"]);
    let (code, err) = e.fails(&["kill", "s"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("exited") || err.contains("stopped") || err.contains("running"),
        "{err}"
    );
}

#[test]
fn kill_with_a_bad_signal_fails() {
    let e = Engine::with_image();
    e.sleeper("r");
    let (code, err) = e.fails(&["kill", "-s", "SIGBOGUS", "r"]);
    assert_eq!(code, 125);
    assert!(err.contains("BOGUS"), "{err}");
    let (code, _) = e.fails(&["kill", "-s", "99", "r"]);
    assert_eq!(code, 125);
    assert_eq!(e.status("r"), "running");
}

#[test]
fn stop_of_a_created_container_is_harmless() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "busybox", "true"]);
    let out = e.rpod(&["stop", "c"]);
    // Podman accepts stopping a container that is not running.
    assert!(
        out.status.success() || out.status.code() == Some(125),
        "{}",
        describe(&out)
    );
    assert!(e.exists("c"));
}

#[test]
fn ambiguous_id_prefix_is_reported() {
    let e = Engine::with_image();
    let mut by_first: std::collections::HashMap<char, Vec<String>> = Default::default();
    let digit = loop {
        let id = e.ok(&["create", "busybox", "true"]);
        let c = id.chars().next().unwrap();
        let v = by_first.entry(c).or_default();
        v.push(id);
        if v.len() == 2 {
            break c;
        }
        assert!(by_first.values().map(Vec::len).sum::<usize>() <= 17);
    };
    let (code, err) = e.fails(&["inspect", "--type", "container", &digit.to_string()]);
    assert_eq!(code, 125);
    assert!(err.contains("ambiguous"), "{err}");
    let ids = &by_first[&digit];
    // A unique (longer) prefix resolves.
    let len = (1..64).find(|n| ids[0][..*n] != ids[1][..*n]).unwrap();
    let got = e.inspect_fmt(&ids[0][..len], "{{.Id}}");
    assert_eq!(got, ids[0]);
    let (code, err) = e.fails(&["rm", &digit.to_string()]);
    assert_eq!(code, 125);
    assert!(err.contains("ambiguous"), "{err}");
    assert!(e.exists(&ids[0]) && e.exists(&ids[1]));
}

#[test]
fn unknown_container_is_no_such() {
    let e = Engine::with_image();
    for args in [
        vec!["start", "nothere"],
        vec!["stop", "nothere"],
        vec!["kill", "nothere"],
        vec!["logs", "nothere"],
        vec!["container", "inspect", "nothere"],
        vec!["pause", "nothere"],
        vec!["mount", "nothere"],
        vec!["export", "-o", "/dev/null", "nothere"],
        vec!["rename", "nothere", "x"],
        vec!["attach", "nothere"],
    ] {
        let (code, err) = e.fails(&args);
        assert_eq!(code, 125, "{args:?}: {err}");
        assert!(err.to_lowercase().contains("no such"), "{args:?}: {err}");
    }
    let out = e.rpod(&["wait", "nothere"]);
    assert_eq!(out.status.code(), Some(125));
    // Podman's removal commands report a missing object with 1.
    let (code, err) = e.fails(&["rm", "nothere"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no such container"), "{err}");
}

#[test]
fn unknown_image_is_no_such() {
    let e = Engine::with_image();
    for args in [
        vec!["create", "nosuchimage"],
        vec!["run", "nosuchimage", "true"],
        vec!["image", "inspect", "nosuchimage"],
    ] {
        let (code, err) = e.fails(&args);
        assert_eq!(code, 125, "{args:?}: {err}");
        assert!(err.contains("image not known"), "{args:?}: {err}");
    }
    assert!(e.all_ids().is_empty());
}

fn refused_create(e: &Engine, flags: &[&str], needle: &str) {
    let before = e.all_ids();
    let mut args = vec!["create"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["busybox", "true"]);
    let (code, err) = e.fails(&args);
    assert_eq!(code, 125, "{flags:?}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "{flags:?}: error should be one line: {err}"
    );
    assert!(err.contains(needle), "{flags:?}: {err}");
    assert_eq!(e.all_ids(), before, "{flags:?} left a half-made container");
}

#[test]
fn bad_memory_value_is_one_line_125() {
    let e = Engine::with_image();
    refused_create(&e, &["--memory", "lots"], "lots");
}

#[test]
fn bad_ulimit_value_is_one_line_125() {
    let e = Engine::with_image();
    refused_create(&e, &["--ulimit", "nofile=x"], "nofile=x");
    refused_create(&e, &["--ulimit", "nofile=200:100"], "nofile=200:100");
    refused_create(&e, &["--ulimit", "bogus=1"], "bogus");
}

#[test]
fn bad_cpus_value_is_one_line_125() {
    let e = Engine::with_image();
    refused_create(&e, &["--cpus=-1"], "-1");
    refused_create(&e, &["--cpus", "0"], "0");
}

#[test]
fn bad_shm_size_is_one_line_125() {
    let e = Engine::with_image();
    refused_create(&e, &["--shm-size", "huge"], "huge");
}

#[test]
fn unknown_flag_is_125() {
    let e = Engine::with_image();
    let out = e.rpod(&["run", "--no-such-flag", "busybox", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--no-such-flag"), "{err}");
    assert!(e.all_ids().is_empty());
    let out = e.rpod(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(125));
}

#[test]
fn help_and_version_flags_exit_zero() {
    let e = Engine::new();
    assert!(e.rpod(&["--help"]).status.success());
    assert!(e.rpod(&["run", "--help"]).status.success());
    assert!(e.rpod(&["--version"]).status.success());
}

#[test]
fn missing_command_and_image_cmd_is_refused() {
    let e = Engine::new();
    e.ok(&["import", e.busybox_tar().to_str().unwrap(), "nocmd"]);
    let (code, err) = e.fails(&["create", "nocmd"]);
    assert_eq!(code, 125);
    assert!(err.contains("command"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn command_not_found_is_127() {
    let e = Engine::with_image();
    let out = e.rpod(&["run", "busybox", "/no/such/command"]);
    assert_eq!(out.status.code(), Some(127), "{}", describe(&out));
    let out = e.rpod(&["run", "busybox", "nosuchcommand-in-path"]);
    assert_eq!(out.status.code(), Some(127), "{}", describe(&out));
}

#[test]
fn command_not_executable_is_126() {
    let e = Engine::with_image();
    let dir = e.file("noexec");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("script"), "#!/bin/sh\necho hi\n").unwrap();
    let vol = format!("{}:/x", dir.display());
    let out = e.rpod(&["run", "-v", &vol, "busybox", "/x/script"]);
    assert_eq!(out.status.code(), Some(126), "{}", describe(&out));
}

#[test]
fn start_attach_of_not_found_command_is_127() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "nf", "busybox", "/no/such/command"]);
    let out = e.rpod(&["start", "-a", "nf"]);
    assert_eq!(out.status.code(), Some(127), "{}", describe(&out));
}

#[test]
fn failed_start_leaves_no_mount_and_a_startable_record() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "nf", "busybox", "/no/such/command"]);
    let (code, _) = e.fails(&["start", "nf"]);
    assert_eq!(code, 127);
    let st = e.status("nf");
    assert!(st == "created" || st == "exited" || st == "stopped", "{st}");
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    e.ok(&["rm", "nf"]);
}

#[test]
fn exit_codes_pass_through_run_and_start_attach() {
    let e = Engine::with_image();
    for code in [0, 1, 3, 42, 255] {
        let script = format!("exit {code}");
        let out = e.rpod(&[
            "run",
            "--name",
            &format!("c{code}"),
            "busybox",
            "sh",
            "-c",
            &script,
        ]);
        assert_eq!(out.status.code(), Some(code), "{}", describe(&out));
        let out = e.rpod(&["start", "-a", &format!("c{code}")]);
        assert_eq!(out.status.code(), Some(code), "{}", describe(&out));
    }
}

#[test]
fn killed_container_exit_code_is_128_plus_signal() {
    let e = Engine::with_image();
    let out = e.rpod(&["run", "--init", "busybox", "sh", "-c", "kill -9 $$"]);
    assert_eq!(out.status.code(), Some(137), "{}", describe(&out));
}

#[test]
fn config_file_errors_are_reported() {
    let e = Engine::new();
    e.set_config("[nonsense]\nx = 1\n");
    let (code, err) = e.fails(&["ps"]);
    assert_eq!(code, 125);
    assert!(err.contains("rpod.conf"), "{err}");
}

#[test]
fn config_file_defaults_apply() {
    let e = Engine::with_image();
    e.set_config("[containers]\nenv = [\"PATH=/bin\", \"FROM_CONF=yes\"]\ndefault_ulimits = [\"nofile=77:88\"]\n");
    let out = e.ok(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo $FROM_CONF; ulimit -n; ulimit -Hn",
    ]);
    assert_eq!(out, "yes\n77\n88");
}

#[test]
fn missing_explicit_config_file_is_an_error() {
    let e = Engine::new();
    std::fs::remove_file(e.config_path()).unwrap();
    let out = e.rpod(&["ps"]);
    // An explicitly named config file that is missing must not be silently ignored.
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
}

#[test]
fn negative_cpus_as_separate_argument_is_one_line_125() {
    let e = Engine::with_image();
    refused_create(&e, &["--cpus", "-1"], "-1");
}

#[test]
fn unknown_flag_error_is_one_line() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["run", "--no-such-flag", "busybox", "true"]);
    assert_eq!(code, 125);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
}

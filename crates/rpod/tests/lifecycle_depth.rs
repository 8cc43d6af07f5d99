//! Restart policies, health checks, dependencies, reboot recovery, OCI
//! hooks, exec and update: all without systemd or a daemon.

mod common;

use std::time::Duration;

use common::*;

fn restarts(e: &Engine, name: &str) -> u32 {
    e.inspect_fmt(name, "{{.RestartCount}}")
        .parse()
        .unwrap_or(0)
}

#[test]
fn always_restarts_a_crash_looping_container_with_growing_backoff_until_stopped() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "loop",
        "--restart",
        "always",
        "busybox",
        "sh",
        "-c",
        "cut -d' ' -f1 /proc/uptime; exit 1",
    ]);
    wait_until("three restarts", POLL_TIMEOUT, || restarts(&e, "loop") >= 3);
    // restart then start for every restart
    let events = e.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "container=loop",
        "--format",
        "{{.Status}}",
    ]);
    let seq: Vec<&str> = events
        .lines()
        .filter(|l| *l == "restart" || *l == "start")
        .collect();
    assert!(
        seq.windows(2).any(|w| w == ["restart", "start"]),
        "{events}"
    );
    // Back-off: gaps between runs grow (0, 100 ms, 200 ms, ...): each run
    // logs the host's uptime (centiseconds are enough to see it).
    wait_until("four runs logged", POLL_TIMEOUT, || {
        e.logs("loop").lines().count() >= 4
    });
    let times: Vec<f64> = e
        .logs("loop")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() >= 3, "{times:?}");
    assert!(
        gaps[2] >= 0.15,
        "third restart waited at least the back-off: {gaps:?}"
    );
    e.ok(&["stop", "-t", "1", "loop"]);
    let after = restarts(&e, "loop");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        restarts(&e, "loop"),
        after,
        "stop wins over the restart policy"
    );
    assert_ne!(e.status("loop"), "running");
    assert_eq!(
        e.inspect_fmt("loop", "{{.HostConfig.RestartPolicy.Name}}"),
        "always"
    );
}

#[test]
fn on_failure_restarts_at_most_n_times_and_only_on_failure() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "f",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ]);
    wait_until("two restarts", POLL_TIMEOUT, || restarts(&e, "f") == 2);
    e.wait_status("f", "exited");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(restarts(&e, "f"), 2);
    assert_eq!(e.inspect_fmt("f", "{{.State.ExitCode}}"), "3");
    assert_eq!(e.ok(&["ps", "-a", "--format", "{{.Restarts}}"]), "2");

    e.ok(&[
        "run",
        "-d",
        "--name",
        "ok",
        "--restart",
        "on-failure",
        "busybox",
        "true",
    ]);
    e.wait_status("ok", "exited");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(restarts(&e, "ok"), 0, "a clean exit is not restarted");
}

#[test]
fn a_user_stop_or_kill_is_never_restarted() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "s",
        "--restart",
        "always",
        "busybox",
        "sleep",
        "100",
    ]);
    e.ok(&["kill", "s"]);
    e.wait_status("s", "exited");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(restarts(&e, "s"), 0);
    assert_eq!(e.status("s"), "exited");
}

#[test]
fn restart_policy_conflicts_and_bad_values_are_clear_errors() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["run", "--rm", "--restart", "always", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("--rm"), "{err}");
    let (code, err) = e.fails(&["create", "--restart", "sometimes", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("restart policy"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn health_flips_between_healthy_and_unhealthy_by_a_file() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "h",
        "--health-cmd",
        "test -f /tmp/ok && echo fine",
        "--health-interval",
        "500ms",
        "--health-retries",
        "2",
        "--health-timeout",
        "5s",
        "busybox",
        "sleep",
        "300",
    ]);
    assert_eq!(e.inspect_fmt("h", "{{.State.Health.Status}}"), "starting");
    wait_until("unhealthy", POLL_TIMEOUT, || {
        e.inspect_fmt("h", "{{.State.Health.Status}}") == "unhealthy"
    });
    let streak: u32 = e
        .inspect_fmt("h", "{{.State.Health.FailingStreak}}")
        .parse()
        .unwrap();
    assert!(streak >= 2, "{streak}");
    assert!(e
        .ok(&["ps", "--format", "{{.Status}}"])
        .contains("(unhealthy)"));
    assert_eq!(e.fails(&["healthcheck", "run", "h"]).0, 1);
    e.ok(&["exec", "h", "touch", "/tmp/ok"]);
    wait_until("healthy", POLL_TIMEOUT, || {
        e.inspect_fmt("h", "{{.State.Health.Status}}") == "healthy"
    });
    e.ok(&["healthcheck", "run", "h"]);
    let health = e.inspect("h")["State"]["Health"].clone();
    let log = health["Log"].as_array().unwrap();
    assert!(!log.is_empty() && log.len() <= 5, "{health}");
    let last = log.last().unwrap();
    assert_eq!(last["ExitCode"], 0);
    assert!(last["Output"].as_str().unwrap().contains("fine"));
    assert!(last["Start"].is_string() && last["End"].is_string());
    assert!(e
        .ok(&["ps", "--format", "{{.Status}}"])
        .contains("(healthy)"));
    let events = e.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "event=health_status",
        "--format",
        "json",
    ]);
    assert!(
        events.contains("unhealthy") && events.contains("\"healthy\""),
        "{events}"
    );
}

#[test]
fn a_hanging_health_check_is_killed_at_its_timeout() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "slow",
        "--health-cmd",
        "sleep 60",
        "--health-interval",
        "1h",
        "--health-timeout",
        "1s",
        "--health-retries",
        "1",
        "busybox",
        "sleep",
        "300",
    ]);
    let started = std::time::Instant::now();
    assert_eq!(e.fails(&["healthcheck", "run", "slow"]).0, 1);
    assert!(started.elapsed() < Duration::from_secs(30));
    let log = e.inspect("slow")["State"]["Health"]["Log"][0].clone();
    assert_eq!(log["ExitCode"], -1, "{log}");
    assert!(log["Output"].as_str().unwrap().contains("timeout"), "{log}");
    // The check's process is gone from the container.
    let procs = e.ok(&["exec", "slow", "ps", "-o", "args"]);
    assert!(!procs.contains("sleep 60"), "{procs}");
}

#[test]
fn health_on_failure_kill_stops_the_container() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "k",
        "--health-cmd",
        "false",
        "--health-interval",
        "300ms",
        "--health-retries",
        "1",
        "--health-on-failure",
        "kill",
        "busybox",
        "sleep",
        "300",
    ]);
    e.wait_status("k", "exited");
}

#[test]
fn healthcheck_without_a_check_and_no_healthcheck_are_clear() {
    let e = Engine::with_image();
    e.ok(&["run", "-d", "--name", "n", "busybox", "sleep", "300"]);
    let (code, err) = e.fails(&["healthcheck", "run", "n"]);
    assert_eq!(code, 125);
    assert!(err.contains("no defined healthcheck"), "{err}");
    e.ok(&[
        "run",
        "-d",
        "--name",
        "d",
        "--health-cmd",
        "true",
        "--no-healthcheck",
        "busybox",
        "sleep",
        "300",
    ]);
    // Podman shows an empty Health without a check.
    let health = &e.inspect("d")["State"]["Health"];
    assert_eq!(health["Status"], "", "{health}");
    assert!(health["Log"].is_null(), "{health}");
    let (code, _) = e.fails(&[
        "create",
        "--health-cmd",
        "true",
        "--health-interval",
        "soon",
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
}

#[test]
fn health_flags_without_a_check_are_refused() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "--health-interval", "1s", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("health"), "{err}");
}

#[test]
fn a_three_container_chain_starts_in_order_and_guards_removal() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "a", "busybox", "sleep", "300"]);
    e.ok(&[
        "create",
        "--name",
        "b",
        "--requires",
        "a",
        "busybox",
        "sleep",
        "300",
    ]);
    e.ok(&[
        "create",
        "--name",
        "c",
        "--requires",
        "b",
        "busybox",
        "sleep",
        "300",
    ]);
    let (code, err) = e.fails(&["init", "c"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("some dependencies of container c are not started: b"),
        "{err}"
    );
    e.ok(&["start", "c"]);
    for n in ["a", "b", "c"] {
        assert_eq!(e.status(n), "running", "{n}");
    }
    let starts = e.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "event=start",
        "--format",
        "{{.Name}}",
    ]);
    assert_eq!(starts.lines().collect::<Vec<_>>(), vec!["a", "b", "c"]);
    assert_eq!(
        e.inspect("c")["Dependencies"][0],
        e.inspect_fmt("b", "{{.Id}}")
    );
    e.ok(&["stop", "-t", "0", "a"]);
    let (code, err) = e.fails(&["rm", "a"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("dependent containers") && err.contains('b'),
        "{err}"
    );
    // --force alone does not take the dependents along; --depend does.
    let (code, err) = e.fails(&["rm", "-f", "-t", "0", "a"]);
    assert_eq!(code, 125);
    assert!(err.contains("dependent containers"), "{err}");
    let removed = e.ok(&["rm", "-f", "--depend", "-t", "0", "a"]);
    assert_eq!(removed.lines().count(), 3, "{removed}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn missing_dependencies_are_refused_at_create() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "--requires", "ghost", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("ghost"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn reboot_resets_states_and_starts_always_and_unless_stopped_containers() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "always",
        "--restart",
        "always",
        "busybox",
        "sleep",
        "300",
    ]);
    e.ok(&[
        "run",
        "-d",
        "--name",
        "unless",
        "--restart",
        "unless-stopped",
        "busybox",
        "sleep",
        "300",
    ]);
    e.ok(&[
        "run",
        "-d",
        "--name",
        "stopped",
        "--restart",
        "unless-stopped",
        "busybox",
        "sleep",
        "300",
    ]);
    e.ok(&["stop", "-t", "0", "stopped"]);
    e.ok(&["run", "-d", "--name", "plain", "busybox", "sleep", "300"]);
    e.ok(&["run", "--name", "done", "busybox", "true"]);
    reboot(&e);
    // The first command after the reboot refreshes and starts what the policies ask for.
    e.ok(&["ps", "-a"]);
    assert_eq!(e.status("always"), "running");
    assert_eq!(e.status("unless"), "running");
    assert_eq!(e.status("stopped"), "exited");
    assert_eq!(e.status("plain"), "created");
    assert_eq!(e.status("done"), "exited");
    assert_eq!(restarts(&e, "always"), 0);
    assert!(e.runroot().join("alive").exists());
    // `system boot` is idempotent and starts nothing more.
    assert_eq!(e.ok(&["system", "boot"]), "");
}

#[test]
fn system_boot_does_the_refresh_explicitly() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "always",
        "--restart",
        "always",
        "busybox",
        "sleep",
        "300",
    ]);
    reboot(&e);
    let started = e.ok(&["system", "boot"]);
    // The refresh ran inside the same command, which then found nothing more to start.
    assert!(started.is_empty() || started.contains(&e.inspect_fmt("always", "{{.Id}}")));
    assert_eq!(e.status("always"), "running");
}

fn write_hook(dir: &std::path::Path, name: &str, json: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), json).unwrap();
}

#[test]
fn hooks_run_at_their_stages_with_the_state_on_stdin() {
    let e = Engine::with_image();
    let hooks = e.file("hooks");
    let marks = e.file("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let m = marks.display();
    write_hook(
        &hooks,
        "10-prestart.json",
        &format!(
            r#"{{"version":"1.0.0","hook":{{"path":"/bin/sh","args":["sh","-c","cat > {m}/prestart"]}},"when":{{"annotations":{{"^hooktest$":"^on$"}}}},"stages":["prestart"]}}"#
        ),
    );
    write_hook(
        &hooks,
        "20-poststop.json",
        &format!(
            r#"{{"version":"1.0.0","hook":{{"path":"/bin/sh","args":["sh","-c","cat > {m}/poststop"]}},"when":{{"always":true}},"stages":["poststop"]}}"#
        ),
    );
    write_hook(
        &hooks,
        "30-precreate.json",
        &format!(
            r#"{{"version":"1.0.0","hook":{{"path":"/bin/sh","args":["sh","-c","tee {m}/precreate | sed 's/\"hostname\":\"[^\"]*\"/\"hostname\":\"rewritten\"/'"]}},"when":{{"commands":["^hostname$"]}},"stages":["precreate"]}}"#
        ),
    );
    let h = hooks.display().to_string();
    e.ok(&[
        "--hooks-dir",
        &h,
        "run",
        "--annotation",
        "hooktest=on",
        "--name",
        "x",
        "busybox",
        "true",
    ]);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(marks.join("prestart")).unwrap()).unwrap();
    assert_eq!(state["id"], e.inspect_fmt("x", "{{.Id}}"));
    let post: serde_json::Value =
        serde_json::from_slice(&std::fs::read(marks.join("poststop")).unwrap()).unwrap();
    assert_eq!(post["status"], "stopped");
    assert!(
        !marks.join("precreate").exists(),
        "precreate matched only `hostname` commands"
    );
    // precreate rewrites the spec.
    let out = e.ok(&["--hooks-dir", &h, "run", "--rm", "busybox", "hostname"]);
    assert_eq!(out, "rewritten");
    assert!(marks.join("precreate").exists());
}

#[test]
fn failing_and_hanging_hooks_are_clear_errors() {
    let e = Engine::with_image();
    let hooks = e.file("hooks");
    write_hook(
        &hooks,
        "10-fail.json",
        r#"{"version":"1.0.0","hook":{"path":"/bin/sh","args":["sh","-c","echo nope >&2; exit 3"]},"when":{"always":true},"stages":["precreate"]}"#,
    );
    let h = hooks.display().to_string();
    let (code, err) = e.fails(&["--hooks-dir", &h, "run", "--name", "f", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("precreate hook") && err.contains("nope"),
        "{err}"
    );
    assert_eq!(e.status("f"), "created");
    assert!(e.leftover_mounts().is_empty());
    write_hook(
        &hooks,
        "10-fail.json",
        r#"{"version":"1.0.0","hook":{"path":"/bin/sleep","args":["sleep","30"],"timeout":1},"when":{"always":true},"stages":["precreate"]}"#,
    );
    let (code, err) = e.fails(&["--hooks-dir", &h, "start", "f"]);
    assert_eq!(code, 125);
    assert!(err.contains("timed out"), "{err}");
    write_hook(&hooks, "10-fail.json", "{broken");
    let (code, err) = e.fails(&["--hooks-dir", &h, "start", "f"]);
    assert_eq!(code, 125);
    assert!(err.contains("10-fail.json"), "{err}");
}

#[test]
fn exec_runs_commands_with_options_and_passes_exit_codes() {
    let e = Engine::with_image();
    e.ok(&[
        "run", "-d", "--name", "x", "-e", "A=1", "busybox", "sleep", "300",
    ]);
    assert_eq!(e.ok(&["exec", "x", "sh", "-c", "echo $A"]), "1");
    assert_eq!(
        e.ok(&[
            "exec",
            "-e",
            "A=2",
            "-e",
            "B=3",
            "x",
            "sh",
            "-c",
            "echo $A$B"
        ]),
        "23"
    );
    assert_eq!(e.ok(&["exec", "-w", "/tmp", "x", "pwd"]), "/tmp");
    assert_eq!(
        e.ok(&["exec", "-u", "65534:65534", "x", "id", "-u"]),
        "65534"
    );
    let caps = e.ok(&[
        "exec",
        "--privileged",
        "x",
        "grep",
        "CapEff",
        "/proc/self/status",
    ]);
    let plain = e.ok(&["exec", "x", "grep", "CapEff", "/proc/self/status"]);
    assert_ne!(caps, plain);
    assert_eq!(e.fails(&["exec", "x", "sh", "-c", "exit 7"]).0, 7);
    assert_eq!(e.fails(&["exec", "x", "no-such-command"]).0, 127);
    let out = e.rpod_stdin(&["exec", "-i", "x", "cat"], b"through stdin");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through stdin");
    e.ok(&[
        "exec",
        "-d",
        "x",
        "sh",
        "-c",
        "sleep 1; touch /tmp/detached",
    ]);
    wait_until("detached exec", POLL_TIMEOUT, || {
        e.rpod(&["exec", "x", "test", "-f", "/tmp/detached"])
            .status
            .success()
    });
    let events = e.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "event=exec",
        "--format",
        "{{.Name}}",
    ]);
    assert!(events.lines().count() >= 5, "{events}");
}

#[test]
fn exec_into_a_stopped_container_is_refused() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "busybox", "true"]);
    let (code, err) = e.fails(&["exec", "c", "true"]);
    // Podman: 255 for exec into a container that is not running.
    assert_eq!(code, 255);
    assert!(err.contains("running"), "{err}");
}

#[test]
fn update_changes_limits_live_and_the_restart_policy() {
    let e = Engine::with_image();
    e.ok(&["run", "-d", "--name", "u", "busybox", "sleep", "300"]);
    e.ok(&[
        "update",
        "--memory",
        "64m",
        "--pids-limit",
        "50",
        "--restart",
        "always",
        "u",
    ]);
    assert_eq!(
        e.inspect_fmt("u", "{{.HostConfig.Memory}}"),
        (64u64 << 20).to_string()
    );
    assert_eq!(e.inspect_fmt("u", "{{.HostConfig.PidsLimit}}"), "50");
    assert_eq!(
        e.inspect_fmt("u", "{{.HostConfig.RestartPolicy.Name}}"),
        "always"
    );
    let pid = e.inspect_fmt("u", "{{.State.Pid}}");
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let mem_path = cgroup.lines().find_map(|l| {
        l.split(':')
            .nth(1)
            .filter(|c| c.split(',').any(|x| x == "memory"))
            .map(|_| l.rsplit(':').next().unwrap().to_string())
    });
    if let Some(p) = mem_path {
        let limit =
            std::fs::read_to_string(format!("/sys/fs/cgroup/memory{p}/memory.limit_in_bytes"))
                .unwrap_or_default();
        if !limit.is_empty() {
            assert_eq!(limit.trim(), (64u64 << 20).to_string());
        }
    }
    let (code, _) = e.fails(&["update", "--restart", "never", "u"]);
    assert_eq!(code, 125);
}

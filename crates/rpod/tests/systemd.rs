//! `generate systemd`: units of Podman's shape that drive rpod, checked by
//! `systemd-analyze verify`, against podman's own units key by key, and by
//! running their commands by hand.

mod api_support;
mod common;
mod unit_support;

use std::path::Path;

use common::*;
use unit_support::*;

/// `generate systemd --files` in `dir`; returns the paths it printed.
fn generate_files(e: &Engine, dir: &Path, args: &[&str]) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let mut full = vec!["generate", "systemd", "--files"];
    full.extend_from_slice(args);
    let mut c = e.cmd(&full);
    c.current_dir(dir);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}", describe(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Dependency units the user named, so verify finds them.
fn write_dummy(dir: &Path, name: &str) {
    std::fs::write(
        dir.join(name),
        "[Unit]\nDescription=dependency\n\n[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
}

#[test]
fn container_and_pod_units_pass_systemd_analyze_verify() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "web",
        "-e",
        "A=b c",
        "busybox",
        "sh",
        "-c",
        "echo 100% $HOME; sleep 100",
    ]);
    e.ok(&["pod", "create", "--name", "pp"]);
    e.ok(&[
        "create", "--pod", "pp", "--name", "member", "busybox", "sleep", "100",
    ]);

    let plain = e.file("plain");
    let files = generate_files(&e, &plain, &["web"]);
    assert_eq!(files.len(), 1);
    let id = e.inspect_fmt("web", "{{.Id}}");
    assert!(
        files[0].ends_with(&format!("container-{id}.service")),
        "{files:?}"
    );
    verify_units(&plain);

    let named = e.file("named");
    let files = generate_files(
        &e,
        &named,
        &[
            "--name",
            "--restart-policy",
            "always",
            "--restart-sec",
            "3",
            "--start-timeout",
            "30",
            "--stop-timeout",
            "7",
            "--wants",
            "w.service",
            "--after",
            "a.service",
            "--requires",
            "r.service",
            "-e",
            "FOO=bar baz",
            "--container-prefix",
            "ctr",
            "--separator",
            "_",
            "web",
        ],
    );
    for d in ["w.service", "a.service", "r.service"] {
        write_dummy(&named, d);
    }
    assert!(files[0].ends_with("/ctr_web.service"), "{files:?}");
    verify_units(&named);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(values(&text, "Service", "Restart"), ["always"]);
    assert_eq!(values(&text, "Service", "RestartSec"), ["3"]);
    assert_eq!(values(&text, "Service", "TimeoutStartSec"), ["30"]);
    assert_eq!(values(&text, "Service", "TimeoutStopSec"), ["67"]);
    assert_eq!(values(&text, "Unit", "Requires"), ["r.service"]);
    assert_eq!(
        values(&text, "Service", "Environment"),
        ["PODMAN_SYSTEMD_UNIT=%n", "\"FOO=bar baz\""]
    );

    let new = e.file("new");
    generate_files(&e, &new, &["--new", "--name", "web"]);
    verify_units(&new);

    let pod = e.file("pod");
    let files = generate_files(&e, &pod, &["--name", "--pod-prefix", "p", "pp"]);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].ends_with("/p-pp.service") && files[1].ends_with("/container-member.service"));
    verify_units(&pod);
    let member = std::fs::read_to_string(&files[1]).unwrap();
    assert_eq!(values(&member, "Unit", "BindsTo"), ["p-pp.service"]);

    // JSON: unit name → text, as the libpod API answers.
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["generate", "systemd", "--format", "json", "--name", "pp"]))
            .unwrap();
    assert!(
        json["p-pp"].is_null()
            && json["pod-pp"].is_string()
            && json["container-member"].is_string()
    );
}

/// The (section, key) sequence of a unit, the values left out.
fn shape(text: &str) -> Vec<(String, String)> {
    entries(text).into_iter().map(|(s, k, _)| (s, k)).collect()
}

#[test]
fn unit_shape_is_podmans() {
    let e = Engine::with_image();
    let podman = Podman::new(&e);
    let tar = e.busybox_tar();
    podman.ok(&[
        "import",
        "--change",
        "CMD=sh",
        tar.to_str().unwrap(),
        "busybox",
    ]);
    let create: &[&str] = &[
        "create",
        "--name",
        "web",
        "--restart",
        "unless-stopped",
        "busybox",
        "sleep",
        "100",
    ];
    e.ok(create);
    podman.ok(create);
    e.ok(&["pod", "create", "--name", "pp"]);
    podman.ok(&["pod", "create", "--name", "pp"]);
    let member: &[&str] = &[
        "create", "--pod", "pp", "--name", "member", "busybox", "sleep", "100",
    ];
    e.ok(member);
    podman.ok(member);
    let cases: &[&[&str]] = &[
        &["generate", "systemd", "--name", "web"],
        &["generate", "systemd", "--new", "--name", "web"],
        &[
            "generate",
            "systemd",
            "--name",
            "--wants",
            "x.service",
            "--restart-sec",
            "0",
            "-e",
            "A=1",
            "web",
        ],
        &["generate", "systemd", "--name", "--format", "json", "pp"],
    ];
    for args in cases {
        let ours = e.ok(args);
        let theirs = podman.ok(args);
        if args.contains(&"json") {
            let ours: std::collections::BTreeMap<String, String> =
                serde_json::from_str(&ours).unwrap();
            let theirs: std::collections::BTreeMap<String, String> =
                serde_json::from_str(&theirs).unwrap();
            assert_eq!(
                ours.keys().collect::<Vec<_>>(),
                theirs.keys().collect::<Vec<_>>()
            );
            for (k, v) in &ours {
                assert_eq!(
                    shape(v),
                    shape(&theirs[k]),
                    "{args:?} {k}\n{v}\n---\n{}",
                    theirs[k]
                );
            }
        } else {
            assert_eq!(
                shape(&ours),
                shape(&theirs),
                "{args:?}\n{ours}\n---\n{theirs}"
            );
        }
        // Same values where they don't name the engine or its files.
        for (s, k, v) in entries(&theirs) {
            if s == "Service" && (k.starts_with("Exec") || k == "PIDFile")
                || k == "RequiresMountsFor"
            {
                continue;
            }
            if args.contains(&"json") {
                continue;
            }
            assert!(
                entries(&ours).contains(&(s.clone(), k.clone(), v.clone())),
                "{args:?}: podman's {s}.{k}={v} missing\n{ours}"
            );
        }
    }
    // The --new command line is podman's with podman's global flags
    // replaced by rpod's.
    let ours = e.ok(&["generate", "systemd", "--new", "--name", "web"]);
    let start = &values(&ours, "Service", "ExecStart")[0];
    let tail = start.split(" run ").nth(1).unwrap();
    assert_eq!(
        tail,
        "--cidfile=%t/%n.ctr-id --cgroups=no-conmon --rm --sdnotify=conmon -d --replace --name web busybox sleep 100"
    );
    assert!(start.starts_with(&format!("{RPOD} --root ")), "{start}");
}

#[test]
fn new_unit_commands_create_run_and_remove_the_container() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "svc",
        "-e",
        "MSG=a b",
        "busybox",
        "sh",
        "-c",
        "echo \"$MSG\"; sleep 100",
    ]);
    let text = e.ok(&[
        "generate",
        "systemd",
        "--new",
        "--name",
        "--stop-timeout",
        "1",
        "svc",
    ]);
    // Podman's older names of --stop-timeout give the same unit.
    for old in ["--time", "-t"] {
        let again = e.ok(&["generate", "systemd", "--new", "--name", old, "1", "svc"]);
        // The header carries the time of generation.
        let body = |t: &str| {
            t.lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(body(&again), body(&text), "{old}");
    }
    e.ok(&["rm", "svc"]);
    let rundir = e.file("unitrun");
    std::fs::create_dir_all(&rundir).unwrap();
    let unit = "container-svc.service";
    for pre in values(&text, "Service", "ExecStartPre") {
        run_exec_ok(&pre, &rundir, unit);
    }
    run_exec_ok(&values(&text, "Service", "ExecStart")[0], &rundir, unit);
    let id = std::fs::read_to_string(rundir.join(format!("{unit}.ctr-id"))).unwrap();
    assert_eq!(e.inspect_fmt("svc", "{{.Id}}"), id.trim());
    assert_eq!(e.status("svc"), "running");
    e.wait_logs("svc", "a b");
    // Running ExecStart again replaces the container (as a restart does).
    for pre in values(&text, "Service", "ExecStartPre") {
        run_exec_ok(&pre, &rundir, unit);
    }
    run_exec_ok(&values(&text, "Service", "ExecStart")[0], &rundir, unit);
    assert_eq!(e.all_ids().len(), 1);
    run_exec_ok(&values(&text, "Service", "ExecStop")[0], &rundir, unit);
    run_exec_ok(&values(&text, "Service", "ExecStopPost")[0], &rundir, unit);
    assert!(!e.exists("svc"));
    // Stopping again with the container gone is no error (--ignore).
    run_exec_ok(&values(&text, "Service", "ExecStop")[0], &rundir, unit);
    run_exec_ok(&values(&text, "Service", "ExecStopPost")[0], &rundir, unit);
}

#[test]
fn existing_container_unit_starts_and_stops_it_with_the_monitor_as_pidfile() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "old",
        "--stop-timeout",
        "1",
        "busybox",
        "sleep",
        "100",
    ]);
    e.ok(&["pod", "create", "--name", "pp"]);
    e.ok(&[
        "create", "--pod", "pp", "--name", "inpod", "busybox", "sleep", "100",
    ]);
    let text = e.ok(&["generate", "systemd", "--name", "old"]);
    let rundir = e.file("unitrun");
    run_exec_ok(
        &values(&text, "Service", "ExecStart")[0],
        &rundir,
        "container-old.service",
    );
    assert_eq!(e.status("old"), "running");
    let pidfile = &values(&text, "Service", "PIDFile")[0];
    let pid = read_pid(Path::new(pidfile)).expect("the PIDFile");
    assert_eq!(
        e.inspect_fmt("old", "{{.State.ConmonPid}}"),
        pid.to_string()
    );
    run_exec_ok(
        &values(&text, "Service", "ExecStop")[0],
        &rundir,
        "container-old.service",
    );
    assert_eq!(e.status("old"), "exited");

    // A pod's unit starts its infra container; the members' units start them.
    let out = e.ok(&["generate", "systemd", "--name", "--format", "json", "pp"]);
    let units: std::collections::BTreeMap<String, String> = serde_json::from_str(&out).unwrap();
    run_exec_ok(
        &values(&units["pod-pp"], "Service", "ExecStart")[0],
        &rundir,
        "pod-pp.service",
    );
    run_exec_ok(
        &values(&units["container-inpod"], "Service", "ExecStart")[0],
        &rundir,
        "container-inpod.service",
    );
    assert_eq!(e.status("inpod"), "running");
    let infra_pid = read_pid(Path::new(
        &values(&units["pod-pp"], "Service", "PIDFile")[0],
    ));
    assert!(infra_pid.is_some_and(pid_alive));
    run_exec_ok(
        &values(&units["container-inpod"], "Service", "ExecStop")[0],
        &rundir,
        "container-inpod.service",
    );
    run_exec_ok(
        &values(&units["pod-pp"], "Service", "ExecStop")[0],
        &rundir,
        "pod-pp.service",
    );
}

#[test]
fn bad_requests_fail_with_one_line_reasons() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "web", "busybox"]);
    e.ok(&["pod", "create", "--name", "noinfra", "--infra=false"]);
    e.ok(&["pod", "create", "--name", "pp"]);
    let cases: &[(&[&str], &str)] = &[
        (&["generate", "systemd", "nope"], "no such container"),
        (
            &[
                "generate",
                "systemd",
                "--restart-policy",
                "sometimes",
                "web",
            ],
            "sometimes is not a valid restart policy",
        ),
        (&["generate", "systemd", "--template", "web"], "--template"),
        (&["generate", "systemd", "--format", "yaml", "web"], "yaml"),
        (
            &["generate", "systemd", "-e", "NO_SUCH_VARIABLE_HERE", "web"],
            "NO_SUCH_VARIABLE_HERE",
        ),
        (&["generate", "systemd", "--wants", "a b", "web"], "--wants"),
        (
            &["generate", "systemd", "noinfra"],
            "has no infra container",
        ),
        (&["generate", "systemd", "--new", "pp"], "--new"),
    ];
    for (args, want) in cases {
        let (code, err) = e.fails(args);
        assert_eq!(code, 125, "{args:?}: {err}");
        assert!(
            err.contains(want) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}

#[test]
fn libpod_api_generate_systemd() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "web", "busybox", "sleep", "100"]);
    let svc = api_support::Service::start(&e);
    let (status, _, body) = api_support::http(
        &svc.socket,
        "GET",
        "/v4.3.1/libpod/generate/web/systemd?useName=true&noHeader=true&restartPolicy=always&stopTimeout=5&wants=a.service&additionalEnvVariables=K%3Dv",
        "",
        None,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let map: std::collections::BTreeMap<String, String> = serde_json::from_slice(&body).unwrap();
    let text = &map["container-web"];
    assert_eq!(
        text,
        &e.ok(&[
            "generate",
            "systemd",
            "--name",
            "--no-header",
            "--restart-policy",
            "always",
            "--stop-timeout",
            "5",
            "--wants",
            "a.service",
            "-e",
            "K=v",
            "web",
        ])
        .lines()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
    );
    let (status, _, body) = api_support::http(
        &svc.socket,
        "GET",
        "/libpod/generate/nope/systemd",
        "",
        None,
    );
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = api_support::http(
        &svc.socket,
        "GET",
        "/libpod/generate/web/systemd?restartPolicy=bogus",
        "",
        None,
    );
    assert_eq!(status, 400);
}

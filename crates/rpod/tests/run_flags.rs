//! `run`/`create` flags of Podman's command line, side by side with the
//! installed podman: what the container's cgroups and process see, what
//! inspect records, and the errors for values Podman refuses.

mod common;

use common::*;
use serde_json::Value;

/// The `HostConfig` keys of `name` starting with one of `prefixes`.
fn host_config(json: &Value, prefixes: &[&str]) -> Vec<(String, Value)> {
    let hc = json
        .get(0)
        .unwrap_or(json)
        .get("HostConfig")
        .and_then(Value::as_object)
        .expect("HostConfig");
    hc.iter()
        .filter(|(k, _)| prefixes.iter().any(|p| k.starts_with(p)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn inspect_both(t: &Both, flags: &[&str]) -> (Value, Value) {
    let mut args = vec!["create"];
    args.extend_from_slice(flags);
    args.extend(["probe", "true"]);
    let ours = t.e.ok(&args);
    let theirs = t.p.ok(&args);
    let parse = |text: String| serde_json::from_str::<Value>(&text).unwrap();
    let a = parse(t.e.ok(&["inspect", ours.trim()]));
    let b = parse(t.p.ok(&["inspect", theirs.trim()]));
    t.e.ok(&["rm", ours.trim()]);
    t.p.ok(&["rm", theirs.trim()]);
    (a, b)
}

const RESOURCE_FLAGS: &[&str] = &[
    "--cpu-shares=512",
    "--cpu-period=50000",
    "--cpu-quota=25000",
    "--cpuset-cpus=0",
    "--cpuset-mems=0",
    "--memory=64m",
    "--memory-reservation=32m",
    "--memory-swap=128m",
    "--memory-swappiness=10",
    "--oom-kill-disable",
];

/// The cgroup settings reach the kernel as Podman's do, and inspect shows
/// the same `HostConfig` values.
#[test]
fn cpu_and_memory_settings_as_podman() {
    let t = Both::new();
    let files = if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "cpu.weight cpu.max cpuset.cpus cpuset.mems memory.max memory.low memory.swap.max"
    } else {
        "cpu/cpu.shares cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us cpuset/cpuset.cpus \
         cpuset/cpuset.mems memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes \
         memory/memory.memsw.limit_in_bytes memory/memory.swappiness memory/memory.oom_control"
    };
    let script = format!("cd /sys/fs/cgroup; for f in {files}; do echo $f=$(head -1 $f); done");
    let (ours, theirs) = t.both(RESOURCE_FLAGS, &["sh", "-c", &script]);
    assert_eq!(ours, theirs);
    assert!(
        ours.contains("=512") || ours.contains("cpu.weight="),
        "{ours}"
    );

    let keys = &["Cpu", "Memory", "Oom", "Blkio", "NanoCpus"];
    let (a, b) = inspect_both(&t, RESOURCE_FLAGS);
    assert_eq!(host_config(&a, keys), host_config(&b, keys));
    let (a, b) = inspect_both(&t, &[]);
    assert_eq!(host_config(&a, keys), host_config(&b, keys));
}

/// A block device weight is recorded as Podman records it; a weight the
/// host's cgroups can't take is dropped with Podman's warning.
#[test]
fn blkio_weights_as_podman() {
    let t = Both::new();
    let dev = std::fs::read_dir("/sys/block")
        .unwrap()
        .flatten()
        .map(|e| format!("/dev/{}", e.file_name().to_string_lossy()))
        .find(|d| std::path::Path::new(d).exists() && !d.contains("loop"))
        .expect("a block device");
    let weight = format!("{dev}:200");
    let flags = ["--blkio-weight=300", "--blkio-weight-device", &weight];
    let keys = &["Blkio"];
    let (a, b) = inspect_both(&t, &flags);
    assert_eq!(host_config(&a, keys), host_config(&b, keys));
    for weight in ["--blkio-weight=5", "--blkio-weight=x"] {
        let (ours, theirs) = t.both_raw(&[weight], &["true"]);
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{}",
            describe(&ours)
        );
    }
}

/// Values Podman refuses are refused with its words and exit code.
#[test]
fn resource_errors_as_podman() {
    let t = Both::new();
    for flags in [
        &["--cpus=1", "--cpu-quota=1000"][..],
        &["--memory-swap=10m"],
        &["--memory=20m", "--memory-swap=10m"],
        &["--memory-swappiness=101"],
        &["--cpu-shares=-3"],
    ] {
        let (ours, theirs) = t.both_raw(flags, &["true"]);
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{flags:?}: {}",
            describe(&ours)
        );
        let line = |o: &std::process::Output| {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        };
        if !flags[0].starts_with("--cpu-shares") {
            assert_eq!(line(&ours), line(&theirs), "{flags:?}");
        }
    }
}

/// The environment as the process sees it, sorted, with the values that
/// differ by engine masked (HOSTNAME, `container=`).
fn env_of(out: &str) -> Vec<String> {
    let mut lines: Vec<String> = out
        .lines()
        .map(|l| match l.split_once('=') {
            Some(("HOSTNAME", _)) => "HOSTNAME=*".into(),
            Some(("container", _)) => "container=*".into(),
            _ => l.to_string(),
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn environment_flags_as_podman() {
    let t = Both::new();
    for flags in [
        &["--unsetenv=PATH", "--unsetenv=TERM"][..],
        &["--unsetenv-all"],
        &["--unsetenv-all", "-e", "A=1"],
        &["--unsetenv=A", "-e", "A=2"],
    ] {
        let (ours, theirs) = t.both(flags, &["/bin/env"]);
        assert_eq!(env_of(&ours), env_of(&theirs), "{flags:?}");
    }
    // --env-host: this process's variables, the user's -e on top.
    let mut args = vec!["run", "--rm", "--network", "none", "--env-host"];
    args.extend(["-e", "FROM_FLAG=1", "probe", "/bin/env"]);
    let mut ours = t.e.cmd(&args);
    ours.env("RPOD_TEST_HOST_VAR", "seen");
    let out = run_with_timeout(ours, None, COMMAND_TIMEOUT);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text.lines().any(|l| l == "RPOD_TEST_HOST_VAR=seen"),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "FROM_FLAG=1"), "{text}");
}

#[test]
fn labels_umask_and_replace_as_podman() {
    let t = Both::new();
    let file = t.e.file("labels");
    std::fs::write(&file, "# comment\nfrom=file\nshared=file\n").unwrap();
    let file = file.to_str().unwrap();
    let (a, b) = inspect_both(
        &t,
        &[
            "--label-file",
            file,
            "--label",
            "shared=flag",
            "--umask",
            "0077",
        ],
    );
    for v in [&a, &b] {
        let c = &v[0]["Config"];
        assert_eq!(c["Labels"]["from"], "file", "{c}");
        assert_eq!(c["Labels"]["shared"], "flag", "{c}");
        assert_eq!(c["Umask"], "0077", "{c}");
    }
    let (ours, theirs) = t.both(
        &["--umask", "027"],
        &["sh", "-c", "umask; touch /tmp/f; stat -c %a /tmp/f"],
    );
    assert_eq!(ours, theirs);
    assert_eq!(ours, "0027\n640");
    let (ours, theirs) = t.both_raw(&["--umask", "999"], &["true"]);
    assert_eq!(ours.status.code(), Some(125));
    assert_eq!(theirs.status.code(), Some(125));

    // --replace: a second container of the name takes the first's place.
    let first = t.e.ok(&["create", "--name", "rep", "probe", "true"]);
    let (code, _) = t.e.fails(&["create", "--name", "rep", "probe", "true"]);
    assert_eq!(code, 125);
    let second =
        t.e.ok(&["create", "--replace", "--name", "rep", "probe", "true"]);
    assert_ne!(first.trim(), second.trim());
    assert_eq!(t.e.inspect_fmt("rep", "{{.Id}}"), second.trim());
    t.e.ok(&["rm", "rep"]);
    // As podman: --replace of a name nobody has is a plain create.
    t.p.ok(&["create", "--replace", "--name", "rep2", "probe", "true"]);
    t.e.ok(&["create", "--replace", "--name", "rep2", "probe", "true"]);
    t.e.ok(&["rm", "rep2"]);
    t.p.ok(&["rm", "rep2"]);
    // Docker's content-trust switch is accepted and does nothing, as in podman.
    let (ours, theirs) = t.both(&["--disable-content-trust"], &["echo", "ok"]);
    assert_eq!(ours, theirs);
}

/// `--noheading` of the listings and `logs --color` print as Podman's.
#[test]
fn noheading_and_log_colors_as_podman() {
    let t = Both::new();
    for (name, word) in [("la", "one"), ("lb", "two")] {
        t.e.ok(&[
            "run",
            "--name",
            name,
            "--network",
            "none",
            "probe",
            "echo",
            word,
        ]);
        t.p.ok(&[
            "run",
            "--name",
            name,
            "--network",
            "none",
            "probe",
            "echo",
            word,
        ]);
    }
    for args in [
        &["ps", "-a", "--noheading", "--format", "table {{.Names}}"][..],
        &[
            "ps",
            "-a",
            "--noheading",
            "--format",
            "{{.Names}} {{.Image}}",
        ],
        &["volume", "ls", "--noheading"],
        &["images", "--noheading", "--format", "table {{.Repository}}"],
    ] {
        let ours = t.e.ok(args);
        let theirs = t.p.ok(args);
        let sorted = |s: &str| {
            let mut v: Vec<String> = s.lines().map(str::to_string).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&ours), sorted(&theirs), "{args:?}");
    }
    // Podman reads the containers' logs side by side: lines compared as a set.
    let lines = |o: std::process::Output| {
        let mut v: Vec<Vec<u8>> = o
            .stdout
            .split(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        v.sort();
        v
    };
    let ours = t.e.rpod(&["logs", "--color", "-n", "la", "lb"]);
    let theirs = t.p.run(&["logs", "--color", "-n", "la", "lb"]);
    assert_eq!(lines(ours), lines(theirs));
    t.e.ok(&["rm", "la", "lb"]);
    t.p.ok(&["rm", "la", "lb"]);
}

/// What the process sees with --no-hosts, --env-merge, --http-proxy,
/// --passwd and --user, and the pid files, side by side with podman.
#[test]
fn process_flags_as_podman() {
    let t = Both::new();
    for (flags, cmd) in [
        (&["--no-hosts"][..], "cat /etc/hosts 2>&1 | head -1"),
        (
            &["--env-merge", "TERM=${TERM}-x", "--env-merge", "NEW=abc"],
            "echo [$TERM] [$NEW]",
        ),
        (
            &["-e", "HELLO=w", "--env-merge", "HELLO=${HELLO}-x"],
            "echo [$HELLO]",
        ),
        (
            &["--user", "4321:55"],
            "grep -E '4321|^55' /etc/passwd /etc/group; id",
        ),
        (
            &["--user", "4321", "--passwd=false"],
            "grep -c 4321 /etc/passwd; true",
        ),
        (&["--personality", "LINUX"], "uname -m"),
    ] {
        let (ours, theirs) = t.both(flags, &["sh", "-c", cmd]);
        assert_eq!(ours, theirs, "{flags:?} {cmd}");
    }
    // Proxy variables pass on unless --http-proxy=false.
    for (flag, want) in [
        ("--http-proxy=true", "[http://127.0.0.1:3]"),
        ("--http-proxy=false", "[]"),
    ] {
        let args = [
            "run",
            "--rm",
            "--network",
            "none",
            flag,
            "probe",
            "sh",
            "-c",
            "echo [$http_proxy]",
        ];
        let mut ours = t.e.cmd(&args);
        ours.env("http_proxy", "http://127.0.0.1:3");
        let mut theirs = t.p.cmd(&args);
        theirs.env("http_proxy", "http://127.0.0.1:3");
        let ours = run_with_timeout(ours, None, COMMAND_TIMEOUT);
        let theirs = run_with_timeout(theirs, None, COMMAND_TIMEOUT);
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout).trim(),
            want,
            "{}",
            describe(&ours)
        );
        assert_eq!(ours.stdout, theirs.stdout);
    }
    // --pidfile and --conmon-pidfile name the container's and the monitor's pids.
    let pidfile = t.e.file("ctr.pid");
    let monfile = t.e.file("mon.pid");
    let (p, m) = (pidfile.to_str().unwrap(), monfile.to_str().unwrap());
    t.e.ok(&[
        "run",
        "-d",
        "--name",
        "pf",
        "--pidfile",
        p,
        "--conmon-pidfile",
        m,
        "probe",
        "sleep",
        "100",
    ]);
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        t.e.inspect_fmt("pf", "{{.State.Pid}}")
    );
    assert_eq!(t.e.inspect_fmt("pf", "{{.PidFile}}"), p);
    assert_eq!(t.e.inspect_fmt("pf", "{{.ConmonPidFile}}"), m);
    let mon: i32 = std::fs::read_to_string(&monfile).unwrap().parse().unwrap();
    assert!(std::path::Path::new(&format!("/proc/{mon}")).exists());
    t.e.ok(&["rm", "-f", "-t", "0", "pf"]);
    // --timeout, --volumes-from, --tz and --image-volume have tests of
    // their own.
}

/// --sig-proxy (the default): a signal to `run` reaches the container.
#[test]
fn run_passes_signals_on() {
    let e = Engine::with_image();
    let mut cmd = e.cmd(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--name",
        "sp",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-term; exit 7' TERM; echo ready; while true; do sleep 0.1; done",
    ]);
    cmd.stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut buf).unwrap();
    assert_eq!(&buf, b"ready\n");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_child(&mut child, COMMAND_TIMEOUT);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert_eq!(rest, "got-term\n");
    assert_eq!(status.code(), Some(7));
    assert!(e.all_ids().is_empty());
}

/// --rmi: the name given goes with the container (the image with its last
/// name), as in Podman.
#[test]
fn run_rmi_removes_the_image() {
    let e = Engine::with_image();
    e.ok(&["tag", "busybox", "localhost/other:1"]);
    e.ok(&["create", "--name", "user", "busybox", "true"]);
    assert_eq!(
        e.ok(&[
            "run",
            "--rmi",
            "--network",
            "none",
            "localhost/other:1",
            "echo",
            "hi"
        ]),
        "hi"
    );
    assert_eq!(e.all_ids().len(), 1);
    assert!(!e
        .rpod(&["image", "exists", "localhost/other:1"])
        .status
        .success());
    e.ok(&["image", "exists", "busybox"]);
    e.ok(&["rm", "user"]);
    e.ok(&["run", "--rmi", "--network", "none", "busybox", "true"]);
    assert!(!e.rpod(&["image", "exists", "busybox"]).status.success());
    assert_eq!(e.ok(&["images", "-q"]), "");
}

#[test]
fn tz_gives_the_zone_as_podman_does() {
    let b = Both::new();
    let probe = ["sh", "-c", "md5sum /etc/localtime; date +%Z"];
    for tz in ["Europe/Berlin", "local", "UTC"] {
        let (ours, theirs) = b.both(&["--tz", tz], &probe);
        assert_eq!(ours, theirs, "--tz {tz}");
    }
    let args = [
        "create",
        "--name",
        "tzc",
        "--tz",
        "Asia/Tokyo",
        "probe",
        "true",
    ];
    b.e.ok(&args);
    b.p.ok(&args);
    let fmt = ["inspect", "tzc", "--format", "{{.Config.Timezone}}"];
    assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt));
    let (ours, theirs) = b.both_raw(&["--tz", "Bogus/Zone"], &["true"]);
    assert_eq!(ours.status.code(), theirs.status.code());
    let err = String::from_utf8_lossy(&ours.stderr);
    assert!(
        err.contains("stat /usr/share/zoneinfo/Bogus/Zone: no such file or directory"),
        "{err}"
    );
    let (code, err) =
        b.e.fails(&["create", "--tz", "../../etc/passwd", "probe", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid timezone"), "{err}");
}

#[test]
fn timeout_kills_a_container_that_runs_too_long_as_podman_does() {
    let b = Both::new();
    let (ours, theirs) = b.both_raw(&["--timeout", "1"], &["sleep", "60"]);
    assert_eq!(
        ours.status.code(),
        theirs.status.code(),
        "{}",
        describe(&ours)
    );
    assert_eq!(ours.status.code(), Some(255));
    let (ours, theirs) = b.both(&["--timeout", "30"], &["echo", "in time"]);
    assert_eq!(ours, theirs);
    let args = [
        "run",
        "-d",
        "--name",
        "slow",
        "--network",
        "none",
        "--timeout",
        "1",
        "probe",
        "sleep",
        "60",
    ];
    b.e.ok(&args);
    b.p.ok(&args);
    assert_eq!(b.e.ok(&["wait", "slow"]), b.p.ok(&["wait", "slow"]));
    let fmt = [
        "inspect",
        "slow",
        "--format",
        "{{.State.Status}} {{.State.ExitCode}} {{.Config.Timeout}}",
    ];
    assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt));
    assert_eq!(b.e.ok(&fmt), "exited -1 1");
}

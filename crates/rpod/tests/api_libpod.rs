//! Podman's libpod API: `podman --remote` (Podman 4.3) and podman-py
//! against `rpod system service`.

mod api_support;
mod common;

use std::process::Command;

use api_support::*;
use common::*;

fn podman(svc: &Service, args: &[&str]) -> std::process::Output {
    let mut c = Command::new("podman");
    c.arg("--remote")
        .arg("--url")
        .arg(svc.host())
        .args(args)
        .env_remove("CONTAINER_HOST")
        .env_remove("CONTAINER_CONNECTION");
    run_with_timeout(c, None, COMMAND_TIMEOUT)
}

fn podman_ok(svc: &Service, args: &[&str]) -> String {
    let out = podman(svc, args);
    assert!(
        out.status.success(),
        "podman --remote {args:?}\n{}\nservice log:\n{}",
        describe(&out),
        svc.log()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn podman_remote_common_calls() {
    if !have("podman") {
        panic!("a test client is missing (no podman): .ci/run installs it");
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    assert!(podman_ok(&svc, &["images"]).contains("localhost/busybox"));
    assert_eq!(
        podman_ok(&svc, &["run", "--rm", "busybox", "echo", "hi"]),
        "hi"
    );
    let out = podman(&svc, &["run", "--rm", "busybox", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let id = podman_ok(
        &svc,
        &[
            "run",
            "-d",
            "--name",
            "pr",
            "busybox",
            "sh",
            "-c",
            "echo L1; exec sleep 1000",
        ],
    );
    assert_eq!(id.len(), 64);
    let ps = podman_ok(&svc, &["ps"]);
    assert!(ps.contains(" pr") && ps.contains("Up "), "{ps}");
    wait_until("the log line", POLL_TIMEOUT, || {
        podman_ok(&svc, &["logs", "pr"]).contains("L1")
    });
    podman_ok(&svc, &["stop", "-t", "1", "pr"]);
    assert_eq!(e.status("pr"), "exited");
    podman_ok(&svc, &["rm", "pr"]);
    assert!(!e.exists("pr"));

    let pod = unique("ppod");
    // The pod options the libpod API's pod create applies, sent by the real client.
    podman_ok(
        &svc,
        &[
            "pod",
            "create",
            "--name",
            &pod,
            "--shm-size",
            "10m",
            "--no-hosts",
            "--exit-policy",
            "stop",
        ],
    );
    assert!(podman_ok(&svc, &["pod", "ls"]).contains(&pod));
    assert_eq!(
        e.ok(&[
            "pod",
            "inspect",
            "--format",
            "{{.ExitPolicy}} {{.InfraConfig.NoManageHosts}}",
            &pod,
        ]),
        "stop true"
    );
    let shm = e.ok(&[
        "run",
        "--rm",
        "--pod",
        &pod,
        "busybox",
        "sh",
        "-c",
        "df -k /dev/shm | tail -1 | awk '{print $2}'; test -e /etc/hosts || echo no-hosts",
    ]);
    assert_eq!(shm, "10240\nno-hosts");
    podman_ok(&svc, &["pod", "restart", &pod]);
    podman_ok(&svc, &["pod", "rm", "-f", &pod]);
    assert!(!podman_ok(&svc, &["pod", "ls"]).contains(&pod));

    let vol = unique("pvol");
    e.ok(&["volume", "create", &vol]);
    assert!(podman_ok(&svc, &["volume", "ls"]).contains(&vol));
    e.ok(&["volume", "rm", &vol]);
    let nets = podman_ok(&svc, &["network", "ls"]);
    assert!(nets.contains("rpod"), "{nets}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn podman_py_client() {
    if !have_python_module("podman") {
        panic!("a test client is missing (no podman-py (pip install podman)): .ci/run installs it");
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let pod = unique("pypod");
    let vol = unique("pyvol");
    let script = r#"
import sys, time, podman
with podman.PodmanClient(base_url=sys.argv[1]) as c:
    assert c.ping()
    assert any("localhost/busybox:latest" in i.tags for i in c.images.list())
    ctr = c.containers.run("busybox", ["sh", "-c", "echo pyout; exec sleep 1000"], detach=True, name="ppy")
    assert ctr.status == "running", ctr.status
    assert "ppy" in [x.name for x in c.containers.list(all=True)]
    out = b""
    for _ in range(200):
        out = b"".join(ctr.logs(stdout=True, stderr=True))
        if b"pyout" in out:
            break
        time.sleep(0.05)
    assert out == b"pyout\n", out
    ctr.stop(timeout=1)
    ctr.reload()
    assert ctr.status == "exited", ctr.status
    ctr.remove(force=True)
    p = c.pods.create(name=sys.argv[2])
    assert sys.argv[2] in [x.name for x in c.pods.list()]
    p.remove(force=True)
    assert "rpod" in [n.name for n in c.networks.list()]
    v = c.volumes.create(sys.argv[3])
    assert sys.argv[3] in [x.name for x in c.volumes.list()]
    v.remove()
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host(), &pod, &vol]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    assert!(e.all_ids().is_empty());
}

fn podman_input(svc: &Service, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut c = Command::new("podman");
    c.arg("--remote")
        .arg("--url")
        .arg(svc.host())
        .args(args)
        .env_remove("CONTAINER_HOST")
        .env_remove("CONTAINER_CONNECTION");
    run_with_timeout(c, Some(input), COMMAND_TIMEOUT)
}

/// Children of `pid` whose executable is the rpod binary.
fn rpod_children(pid: u32) -> Vec<u32> {
    let rpod = std::fs::canonicalize(RPOD).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|d| d.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
            ppid == Some(pid)
        })
        .filter(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok().as_ref() == Some(&rpod))
        .collect()
}

/// `podman --remote` streams as Podman frames them: exec (output, stdin,
/// exit codes, a terminal, detached), attach, `logs -f` and `run -it`; the
/// service runs exec itself, never through an rpod child process.
#[test]
fn podman_remote_streams() {
    assert!(have("podman"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    e.ok(&["run", "-d", "--name", "s1", "busybox", "sleep", "1000"]);

    assert_eq!(podman_ok(&svc, &["exec", "s1", "echo", "hi"]), "hi");
    let out = podman_input(&svc, &["exec", "-i", "s1", "cat"], b"from stdin\n");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from stdin\n");
    let out = podman(
        &svc,
        &["exec", "s1", "sh", "-c", "echo out; echo err >&2; exit 3"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    let out = podman(&svc, &["exec", "s1", "/no/such"]);
    assert_eq!(out.status.code(), Some(127), "{}", describe(&out));
    podman_ok(&svc, &["exec", "-d", "s1", "touch", "/tmp/detached"]);
    wait_until("the detached exec", POLL_TIMEOUT, || {
        e.rpod(&["exec", "s1", "test", "-e", "/tmp/detached"])
            .status
            .success()
    });

    // The service's own process runs the exec: no rpod child meanwhile.
    let mut slow = Command::new("podman");
    slow.args(["--remote", "--url", &svc.host(), "exec", "s1", "sh", "-c"])
        .arg("touch /tmp/started; sleep 2")
        .stdout(std::process::Stdio::null());
    let mut slow = slow.spawn().unwrap();
    wait_until("the slow exec", POLL_TIMEOUT, || {
        e.rpod(&["exec", "s1", "test", "-e", "/tmp/started"])
            .status
            .success()
    });
    assert_eq!(rpod_children(svc.child.id()), Vec::<u32>::new());
    assert!(wait_child(&mut slow, COMMAND_TIMEOUT).success());

    // A terminal: the process sees one, and its output comes back unframed.
    let mut cmd = Command::new("podman");
    cmd.args(["--remote", "--url", &svc.host(), "exec", "-it", "s1", "sh"]);
    let mut pty = Pty::spawn(cmd);
    pty.send(b"tty; echo marker-$((6*7)); exit 5\r");
    pty.expect("marker-42", 0);
    assert!(pty.text().contains("/dev/pts/"), "{}", pty.text());
    assert_eq!(pty.wait(), Some(5));

    // logs -f follows until the container ends; attach sees its output.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "s2",
        "busybox",
        "sh",
        "-c",
        "echo first; sleep 1; echo second",
    ]);
    let out = podman(&svc, &["logs", "-f", "s2"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "first\nsecond\n");
    e.ok(&[
        "run",
        "-d",
        "--name",
        "s3",
        "busybox",
        "sh",
        "-c",
        "sleep 1; echo attached",
    ]);
    let out = podman(&svc, &["attach", "--no-stdin", "s3"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("attached"),
        "{}",
        describe(&out)
    );

    // run -it: a terminal, input typed into it, the exit code passed on.
    let mut cmd = Command::new("podman");
    cmd.args([
        "--remote",
        "--url",
        &svc.host(),
        "run",
        "-it",
        "--rm",
        "busybox",
        "sh",
    ]);
    let mut pty = Pty::spawn(cmd);
    pty.send(b"echo typed-$((2+3)); exit 4\r");
    pty.expect("typed-5", 0);
    assert_eq!(pty.wait(), Some(4));

    e.ok(&["rm", "-f", "-t", "0", "s1", "s2", "s3"]);
    assert!(e.all_ids().is_empty());
}

/// `podman --remote` sends cgroup settings, umask and unsetenv in its
/// SpecGenerator; they land as the CLI's flags do.
#[test]
fn podman_remote_resources_and_env() {
    assert!(have("podman"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let flags = [
        "--cpu-shares=512",
        "--cpuset-cpus=0",
        "--memory=64m",
        "--memory-reservation=32m",
        "--memory-swap=128m",
        "--memory-swappiness=10",
        "--oom-kill-disable",
        "--umask=0077",
    ];
    let mut remote = vec!["create", "--name", "rres"];
    remote.extend(flags);
    remote.extend(["busybox", "true"]);
    podman_ok(&svc, &remote);
    let mut cli = vec!["create", "--name", "cres"];
    cli.extend(flags);
    cli.extend(["busybox", "true"]);
    e.ok(&cli);
    let template = "{{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}} {{.HostConfig.Memory}} \
        {{.HostConfig.MemoryReservation}} {{.HostConfig.MemorySwap}} \
        {{.HostConfig.MemorySwappiness}} {{.HostConfig.OomKillDisable}} {{.Config.Umask}}";
    assert_eq!(
        e.inspect_fmt("rres", template),
        e.inspect_fmt("cres", template)
    );
    assert_eq!(
        e.inspect_fmt("rres", template),
        "512 0 67108864 33554432 134217728 10 true 0077"
    );
    let out = podman_ok(
        &svc,
        &[
            "run",
            "--rm",
            "--unsetenv-all",
            "-e",
            "KEPT=1",
            "busybox",
            "/bin/env",
        ],
    );
    assert!(out.lines().any(|l| l == "KEPT=1"), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("PATH=")), "{out}");
    e.ok(&["rm", "rres", "cres"]);
}

/// `podman --remote network create` sends Podman's network JSON; rpod
/// makes the same network the CLI makes (IPv6, ranges, options, labels),
/// and `run --ip6` over the API gives the container its address.
#[test]
fn podman_remote_network_create_and_ip6() {
    assert!(have("podman"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let pid = std::process::id();
    let v6 = format!("fd54:{:x}:1", pid % 65536);
    let name = format!("rn6x{pid}");
    let (subnet, range) = (format!("{v6}::/64"), format!("{v6}::100/120"));
    podman_ok(
        &svc,
        &[
            "network",
            "create",
            "--subnet",
            &subnet,
            "--ip-range",
            &range,
            "--label",
            "k=v",
            "--internal",
            &name,
        ],
    );
    let fmt = "{{range .Subnets}}{{.Subnet}} {{.Gateway}} {{.LeaseRange.StartIP}}-{{.LeaseRange.EndIP}}{{end}} {{.IPv6Enabled}} {{.Internal}} {{.Labels}}";
    assert_eq!(
        e.ok(&["network", "inspect", "--format", fmt, &name]),
        format!("{subnet} {v6}::1 {v6}::101-{v6}::1ff true true map[k:v]")
    );
    let ip6 = format!("{v6}::150");
    let out = podman_ok(
        &svc,
        &[
            "run",
            "--rm",
            "--network",
            &name,
            "--ip6",
            &ip6,
            "busybox",
            "ip",
            "-6",
            "addr",
            "show",
            "eth0",
        ],
    );
    assert!(out.contains(&format!("inet6 {ip6}/64")), "{out}");
    // connect --ip6 and disconnect of a running container.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "c6",
        "--network",
        "none",
        "busybox",
        "sleep",
        "1000",
    ]);
    let (code, err) = {
        let out = podman(&svc, &["network", "connect", "--ip6", &ip6, &name, "c6"]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Only bridge-mode containers are connected, as in Podman.
    assert_eq!(code, Some(125), "{err}");
    assert!(err.contains("only bridge-mode containers"), "{err}");
    e.ok(&["rm", "-f", "-t", "0", "c6"]);
    e.ok(&["run", "-d", "--name", "c6", "busybox", "sleep", "1000"]);
    podman_ok(
        &svc,
        &[
            "network", "connect", "--ip6", &ip6, "--alias", "six", &name, "c6",
        ],
    );
    let addrs = e.ok(&["exec", "c6", "ip", "-6", "addr"]);
    assert!(addrs.contains(&format!("inet6 {ip6}/64")), "{addrs}");
    podman_ok(&svc, &["network", "disconnect", &name, "c6"]);
    assert!(!e.ok(&["exec", "c6", "ip", "-6", "addr"]).contains(&ip6));
    e.ok(&["rm", "-f", "-t", "0", "c6"]);
    let spare = format!("spare{pid}");
    e.ok(&["network", "create", &spare]);
    let pruned = podman_ok(&svc, &["network", "prune", "-f"]);
    assert!(
        pruned.contains(&spare) && pruned.contains(&name),
        "{pruned}"
    );
    // A field rpod does not apply is refused by name.
    let (status, _, body) = http(
        &svc.socket,
        "POST",
        "/v4.3.1/libpod/networks/create",
        "application/json",
        Some(br#"{"name":"x1","routes":[{"destination":"10.0.0.0/8"}]}"#),
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("routes"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // Removal answers with Podman's report.
    e.ok(&["network", "create", &name]);
    podman_ok(&svc, &["network", "rm", &name]);
    assert_eq!(e.rpod(&["network", "exists", &name]).status.code(), Some(1));
}

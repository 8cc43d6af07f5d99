//! The docker CLI (and docker-py) against `rpod system service`: networks,
//! volumes, published ports, cp, stats, system df, registry push/pull,
//! save/load, `run -it` and `exec -it` under a pty, and events.

mod api_support;
mod common;

use std::process::Command;

use api_support::*;
use common::*;

/// The docker CLI is a client the suite needs (`.ci/run` installs it).
fn require_docker() {
    assert!(
        have("docker"),
        "a test client is missing (no docker CLI): .ci/run installs it"
    );
}

#[test]
fn networks_volumes_ports_cp_stats() {
    require_docker();
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let net = unique("apinet");
    let vol = unique("apivol");
    let port = free_port();
    svc.docker_ok(&e, &["network", "create", &net]);
    assert!(svc.docker_ok(&e, &["network", "ls"]).contains(&net));
    svc.docker_ok(&e, &["volume", "create", &vol]);
    let vols = svc.docker_ok(&e, &["volume", "ls", "--format", "{{.Name}}"]);
    assert_eq!(vols, vol);

    let publish = format!("127.0.0.1:{port}:80");
    let mount = format!("{vol}:/data");
    svc.docker_ok(
        &e,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            &net,
            "-v",
            &mount,
            "-p",
            &publish,
            "busybox",
            "sh",
            "-c",
            "echo hello-api > /data/index.html; exec httpd -f -p 80 -h /data",
        ],
    );
    let page = wait_for("the published port", POLL_TIMEOUT, || {
        http_get_tcp(port, "/index.html").filter(|p| p.contains("hello-api"))
    });
    assert!(page.starts_with("HTTP/1."), "{page}");
    let ps = svc.docker_ok(&e, &["ps", "--format", "{{.Names}} {{.Ports}}"]);
    assert!(
        ps.contains(&format!("web 127.0.0.1:{port}->80/tcp")),
        "{ps}"
    );
    let ports = svc.docker_ok(&e, &["port", "web"]);
    assert_eq!(ports, format!("80/tcp -> 127.0.0.1:{port}"));

    // A second container joins the network with `network connect` and
    // reaches the first by its address there.
    svc.docker_ok(
        &e,
        &["run", "-d", "--name", "cl", "busybox", "sleep", "1000"],
    );
    svc.docker_ok(&e, &["network", "connect", &net, "cl"]);
    let tmpl = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}");
    let ip = svc.docker_ok(&e, &["inspect", "-f", &tmpl, "web"]);
    assert!(ip.contains('.'), "{ip}");
    let got = svc.docker_ok(
        &e,
        &[
            "exec",
            "cl",
            "wget",
            "-qO-",
            &format!("http://{ip}/index.html"),
        ],
    );
    assert_eq!(got, "hello-api");
    let inspected = svc.docker_ok(
        &e,
        &["network", "inspect", "-f", "{{len .Containers}}", &net],
    );
    assert_eq!(inspected, "2");

    // cp both ways, and to stdout as a tar.
    let src = e.file("note.txt");
    std::fs::write(&src, b"copied in\n").unwrap();
    svc.docker_ok(&e, &["cp", src.to_str().unwrap(), "cl:/tmp/"]);
    assert_eq!(
        svc.docker_ok(&e, &["exec", "cl", "cat", "/tmp/note.txt"]),
        "copied in"
    );
    let back = e.file("back.txt");
    svc.docker_ok(&e, &["cp", "cl:/tmp/note.txt", back.to_str().unwrap()]);
    assert_eq!(std::fs::read(&back).unwrap(), b"copied in\n");
    let out = svc.docker(&e, &["cp", "cl:/etc/hostname", "-"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(tar_entry_names(&out.stdout), vec!["hostname"]);
    let out = svc.docker(&e, &["cp", "cl:/no/such", e.file("x").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such"),
        "{}",
        describe(&out)
    );
    let diff = svc.docker_ok(&e, &["diff", "cl"]);
    assert!(diff.contains("A /tmp/note.txt"), "{diff}");

    // stats and df.
    let stats = svc.docker_ok(&e, &["stats", "--no-stream", "web", "cl"]);
    let header = stats.lines().next().unwrap_or_default();
    assert!(
        header.contains("CPU %") && header.contains("MEM USAGE / LIMIT"),
        "{stats}"
    );
    assert!(stats.contains(" web ") && stats.contains(" cl "), "{stats}");
    let df = svc.docker_ok(&e, &["system", "df"]);
    let volumes_line = df
        .lines()
        .find(|l| l.starts_with("Local Volumes"))
        .unwrap_or_default();
    assert!(volumes_line.split_whitespace().nth(2) == Some("1"), "{df}");

    // Removing: in use is a conflict; after rm -f everything goes.
    let out = svc.docker(&e, &["volume", "rm", &vol]);
    assert!(!out.status.success(), "{}", describe(&out));
    svc.docker_ok(&e, &["rm", "-f", "web", "cl"]);
    svc.docker_ok(&e, &["network", "rm", &net]);
    svc.docker_ok(&e, &["volume", "rm", &vol]);
    assert!(!svc.docker_ok(&e, &["network", "ls"]).contains(&net));
    assert_eq!(svc.docker_ok(&e, &["volume", "ls", "-q"]), "");
    assert!(e.all_ids().is_empty());
}

#[test]
fn registry_push_pull_save_load() {
    require_docker();
    assert!(
        have("docker-registry"),
        "a test client is missing (no docker-registry): .ci/run installs it"
    );
    let reg = Registry::start(None);
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let dest = format!("{}/api/busybox:1", reg.host());
    svc.docker_ok(&e, &["tag", "busybox", &dest]);
    let pushed = svc.docker_ok(&e, &["push", &dest]);
    assert!(
        pushed.contains("digest: sha256:"),
        "{pushed}\n{}",
        reg.log()
    );
    // docker-py's inspect_distribution: the pushed manifest and its platform.
    let digest = pushed
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap()
        .to_string();
    let script = r#"
import docker, json, sys
c = docker.APIClient(base_url=sys.argv[1])
d = c.inspect_distribution(sys.argv[2])
print(json.dumps([d["Descriptor"]["digest"], d["Descriptor"]["size"] > 0, d["Platforms"]]))
"#;
    let mut py = Command::new("python3");
    py.args(["-c", script, &svc.host(), &dest]);
    let out = run_with_timeout(py, None, COMMAND_TIMEOUT);
    assert!(
        out.status.success(),
        "{}
{}",
        describe(&out),
        svc.log()
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got,
        serde_json::json!([digest, true, [{"architecture": "amd64", "os": "linux"}]])
    );
    svc.docker_ok(&e, &["rmi", &dest]);
    let pulled = svc.docker_ok(&e, &["pull", &dest]);
    assert!(
        pulled.contains("Status: Downloaded newer image for"),
        "{pulled}"
    );
    assert!(pulled.trim_end().ends_with(&dest), "{pulled}");
    let images = svc.docker_ok(&e, &["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(images.contains(&dest), "{images}");
    assert_eq!(
        svc.docker_ok(&e, &["run", "--rm", &dest, "echo", "pulled"]),
        "pulled"
    );

    // A missing image: the error comes from the registry, exit code 1.
    let out = svc.docker(&e, &["pull", &format!("{}/api/none:1", reg.host())]);
    assert!(!out.status.success(), "{}", describe(&out));

    let archive = e.file("saved.tar");
    svc.docker_ok(&e, &["save", "-o", archive.to_str().unwrap(), &dest]);
    let names = tar_entry_names(&std::fs::read(&archive).unwrap());
    assert!(names.iter().any(|n| n == "manifest.json"), "{names:?}");
    svc.docker_ok(&e, &["rmi", &dest]);
    let loaded = svc.docker_ok(&e, &["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(loaded, format!("Loaded image: {dest}"));
    let history = svc.docker_ok(&e, &["history", &dest]);
    assert!(history.starts_with("IMAGE"), "{history}");
    svc.docker_ok(&e, &["rmi", &dest]);
}

#[test]
fn run_it_exec_it_and_events() {
    require_docker();
    let e = Engine::with_image();
    let svc = Service::start(&e);

    let mut cli = Pty::spawn(svc.docker_cmd(&e, &["run", "-it", "--name", "t", "busybox", "sh"]));
    cli.expect("#", 0);
    let mark = cli.text().len();
    cli.send(b"tty; echo $((6*7))\r");
    let t = cli.expect("42", mark);
    assert!(t[mark..].contains("/dev/pts/0"), "{t:?}");
    cli.send(b"exit 3\r");
    assert_eq!(cli.wait(), Some(3), "{:?}", cli.text());

    e.sleeper("sl");
    let mut cli = Pty::spawn(svc.docker_cmd(&e, &["exec", "-it", "sl", "sh"]));
    cli.expect("#", 0);
    let mark = cli.text().len();
    cli.send(b"echo $((7*8))\r");
    cli.expect("56", mark);
    cli.send(b"exit 4\r");
    assert_eq!(cli.wait(), Some(4), "{:?}", cli.text());

    let until = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 1
    );
    let events = svc.docker_ok(
        &e,
        &[
            "events",
            "--since",
            "0",
            "--until",
            &until,
            "--filter",
            "container=t",
        ],
    );
    for want in ["container create", "container start", "container die"] {
        assert!(events.contains(want), "{want} missing from\n{events}");
    }
    assert!(events.contains("name=t"), "{events}");

    // logs with timestamps: RFC 3339 times before each line.
    let logs = svc.docker_ok(&e, &["logs", "-t", "t"]);
    let first = logs.lines().next().unwrap_or_default();
    assert!(
        first.len() > 20 && first.as_bytes()[4] == b'-' && first.contains('T'),
        "{logs}"
    );

    // A streaming events client sees a container created after it started.
    let mut cmd = svc.docker_cmd(&e, &["events", "--filter", "container=ev"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("docker events");
    let stdout = child.stdout.take().expect("stdout");
    let lines = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Ok(mut s) = sink.lock() {
                s.push_str(&l);
                s.push('\n');
            }
        }
    });
    wait_until("the events stream to start", POLL_TIMEOUT, || {
        svc.docker(&e, &["run", "--rm", "--name", "ev", "busybox", "true"])
            .status
            .success()
            && lines
                .lock()
                .map(|s| s.contains("container destroy"))
                .unwrap_or(false)
    });
    kill_pid(child.id() as i32, libc::SIGTERM);
    let _ = child.wait();
    let seen = lines.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        seen.contains("container start") && seen.contains("name=ev"),
        "{seen}"
    );
    svc.docker_ok(&e, &["rm", "-f", "t", "sl"]);
}

#[test]
fn docker_py_networks_volumes_archives() {
    if !have_python_module("docker") {
        panic!("a test client is missing (no docker-py): .ci/run installs it");
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let net = unique("pynet");
    let vol = unique("pyvol");
    let script = r#"
import docker, io, sys, tarfile
c = docker.DockerClient(base_url=sys.argv[1])
net, vol = sys.argv[2], sys.argv[3]
assert c.ping()
n = c.networks.create(net, labels={"t": "1"})
v = c.volumes.create(vol)
ctr = c.containers.run("busybox", ["sleep", "1000"], detach=True, name="pyc",
                       network=net, volumes={vol: {"bind": "/data", "mode": "rw"}})
ctr.reload()
assert net in ctr.attrs["NetworkSettings"]["Networks"], ctr.attrs["NetworkSettings"]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"from python\n"
    info = tarfile.TarInfo("py.txt"); info.size = len(data)
    t.addfile(info, io.BytesIO(data))
assert ctr.put_archive("/tmp", buf.getvalue())
code, out = ctr.exec_run("cat /tmp/py.txt")
assert (code, out) == (0, b"from python\n"), (code, out)
stream, stat = ctr.get_archive("/tmp/py.txt")
assert stat["name"] == "py.txt" and stat["size"] == 12, stat
s = ctr.stats(stream=False)
assert s["memory_stats"]["usage"] > 0, s
assert [x.name for x in c.networks.list(names=[net])] == [net]
assert vol in [x.name for x in c.volumes.list()]
ctr.remove(force=True)
n.remove(); v.remove()
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host(), &net, &vol]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    assert!(e.all_ids().is_empty());
}

/// The docker CLI's cgroup settings land in the container's HostConfig as
/// the CLI's own flags do, and the container's cgroups take them.
#[test]
fn docker_cpu_memory_settings() {
    assert!(have("docker"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let flags = [
        "--cpu-shares=512",
        "--cpu-period=50000",
        "--cpu-quota=25000",
        "--cpuset-cpus=0",
        "--memory=64m",
        "--memory-reservation=32m",
        "--memory-swap=128m",
        "--memory-swappiness=10",
        "--oom-kill-disable",
    ];
    let mut args = vec!["create", "--name", "dres"];
    args.extend(flags);
    args.extend(["busybox", "true"]);
    let out = svc.docker(&e, &args);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("WARNING"),
        "{}",
        describe(&out)
    );
    let mut cli = vec!["create", "--name", "cres"];
    cli.extend(flags);
    cli.extend(["busybox", "true"]);
    e.ok(&cli);
    let template = "{{.HostConfig.CpuShares}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} \
        {{.HostConfig.CpusetCpus}} {{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} \
        {{.HostConfig.MemorySwap}} {{.HostConfig.MemorySwappiness}} {{.HostConfig.OomKillDisable}}";
    assert_eq!(
        e.inspect_fmt("dres", template),
        e.inspect_fmt("cres", template)
    );
    assert_eq!(
        e.inspect_fmt("dres", template),
        "512 50000 25000 0 67108864 33554432 134217728 10 true"
    );
    e.ok(&["rm", "dres", "cres"]);
}

/// docker-py against a single-host engine: leaving a swarm fails with
/// Docker's 503, there are no plugins, missing objects raise the
/// exceptions docker-py derives from Docker's phrases, and
/// `containers.commit` applies its message, author, changes and config.
#[test]
fn docker_py_swarm_plugins_errors_and_commit() {
    assert!(have_python_module("docker"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let script = r#"
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
# A forced leave is how fixtures clean up: docker-py takes Docker's 503 as done.
assert c.swarm.leave(force=True) is True
try:
    c.swarm.leave()
    raise SystemExit("swarm leave succeeded")
except docker.errors.APIError as err:
    assert err.status_code == 503, err
    assert "not part of a swarm" in str(err), err
try:
    c.services.list()
    raise SystemExit("services listed")
except docker.errors.APIError as err:
    assert err.status_code == 503, err
assert c.plugins.list() == [], c.plugins.list()
try:
    c.plugins.get("nope")
    raise SystemExit("plugin found")
except docker.errors.NotFound:
    pass
try:
    c.images.get("nope")
    raise SystemExit("image found")
except docker.errors.ImageNotFound:
    pass
try:
    c.containers.get("nope")
    raise SystemExit("container found")
except docker.errors.NotFound as err:
    assert "No such container: nope" in str(err), err
ctr = c.containers.run("busybox", ["sh", "-c", "echo data > /made; sleep 100"], detach=True, name="tocommit")
import time
for _ in range(100):
    if c.containers.get("tocommit").status == "running":
        break
    time.sleep(0.05)
time.sleep(0.3)
img = ctr.commit(repository="committed", tag="v1", message="a message", author="someone",
                 changes=["ENV FROM_CHANGE=1", "EXPOSE 8080"],
                 conf={"Labels": {"from.conf": "yes"}, "Cmd": ["cat", "/made"], "WorkingDir": "/tmp"})
# Names without a registry are localhost/ ones, as in Podman.
assert "localhost/committed:v1" in img.tags, img.tags
cfg = img.attrs["Config"]
assert "FROM_CHANGE=1" in cfg["Env"], cfg
assert "8080/tcp" in cfg["ExposedPorts"], cfg
assert cfg["Labels"]["from.conf"] == "yes", cfg
assert cfg["Cmd"] == ["cat", "/made"], cfg
assert cfg["WorkingDir"] == "/tmp", cfg
assert img.attrs["Author"] == "someone", img.attrs["Author"]
assert img.attrs["Comment"] == "a message", img.attrs["Comment"]
assert c.containers.run("committed:v1", remove=True) == b"data\n"
try:
    ctr.commit(repository="bad", conf={"Hostname": "x"})
    raise SystemExit("a container-only field was committed")
except docker.errors.APIError as err:
    assert err.status_code == 400 and "Hostname" in str(err), err
# update: the limits docker-py sends are applied and recorded.
ctr.update(cpu_shares=512, mem_reservation="32m", cpuset_cpus="0", cpu_period=50000, cpu_quota=25000)
hc = c.containers.get("tocommit").attrs["HostConfig"]
assert (hc["CpuShares"], hc["MemoryReservation"], hc["CpusetCpus"], hc["CpuPeriod"], hc["CpuQuota"]) == \
    (512, 32 << 20, "0", 50000, 25000), hc
ctr.remove(force=True)
print("ok")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &svc.host()])
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "{}\nservice log:\n{}",
        describe(&out),
        svc.log()
    );
}

/// `POST /auth` checks credentials against the registry as a Docker engine
/// does: docker-py's `login` and `docker login` succeed with the right
/// password and get 401 with a wrong one.
#[test]
fn login_checks_credentials_against_the_registry() {
    assert!(have_python_module("docker"));
    let reg = Registry::start(Some(("alice", "s3cret")));
    let e = Engine::new();
    let svc = Service::start(&e);
    let host = reg.host();
    let script = r#"
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
r = c.login(username="alice", password="s3cret", registry=sys.argv[2], reauth=True)
assert r["Status"] == "Login Succeeded", r
try:
    c.login(username="alice", password="wrong", registry=sys.argv[2], reauth=True)
    raise SystemExit("a wrong password logged in")
except docker.errors.APIError as err:
    assert err.status_code == 401, err
print("ok")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &svc.host(), &host])
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "{}\nservice log:\n{}",
        describe(&out),
        svc.log()
    );
    let login = || svc.docker_cmd(&e, &["login", &host, "-u", "alice", "--password-stdin"]);
    let out = run_with_timeout(login(), Some(b"s3cret\n"), COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Login Succeeded"));
    let out = run_with_timeout(login(), Some(b"nope\n"), COMMAND_TIMEOUT);
    assert!(!out.status.success(), "{}", describe(&out));
}

/// Import of a URL: `rpod import URL` and the docker CLI's `docker import
/// URL` (`fromSrc=URL`) fetch the tarball from a server on 127.0.0.1; a
/// missing file is a one-line error naming the URL and the status.
#[test]
fn import_of_a_url_through_the_cli_and_the_api() {
    assert!(have("docker"));
    let e = Engine::new();
    let dir = e.file("www");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(e.busybox_tar(), dir.join("rootfs.tar")).unwrap();
    let port = free_port();
    let server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _server = KillOnDrop(server);
    wait_until("the HTTP server", POLL_TIMEOUT, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let url = format!("http://127.0.0.1:{port}/rootfs.tar");
    e.ok(&["import", "-q", &url, "fromurl"]);
    let layers = |name: &str| e.ok(&["image", "inspect", name, "--format", "{{.RootFS.Layers}}"]);
    assert_eq!(
        e.ok(&["run", "--rm", "--network", "none", "fromurl", "echo", "hi"]),
        "hi"
    );
    let missing = e.rpod(&["import", &format!("http://127.0.0.1:{port}/none.tar"), "x"]);
    let err = String::from_utf8_lossy(&missing.stderr).into_owned();
    assert_eq!(missing.status.code(), Some(125), "{err}");
    assert!(err.contains("404") && err.contains("none.tar"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let svc = Service::start(&e);
    svc.docker_ok(&e, &["import", &url, "viadocker:v1"]);
    assert_eq!(
        layers("viadocker:v1"),
        layers("fromurl"),
        "the same tarball gives the same layer"
    );
}

#[test]
fn volumes_from_is_applied() {
    require_docker();
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let vol = unique("vfvol");
    let mount = format!("{vol}:/shared");
    svc.docker_ok(
        &e,
        &[
            "run",
            "--name",
            "vsrc",
            "-v",
            &mount,
            "busybox",
            "sh",
            "-c",
            "echo kept > /shared/f",
        ],
    );
    let out = svc.docker_ok(
        &e,
        &[
            "run",
            "--rm",
            "--volumes-from",
            "vsrc:ro",
            "busybox",
            "sh",
            "-c",
            "cat /shared/f; touch /shared/g 2>/dev/null || echo ro",
        ],
    );
    assert_eq!(out, "kept\nro");
    svc.docker_ok(&e, &["rm", "vsrc"]);
    svc.docker_ok(&e, &["volume", "rm", &vol]);
}

/// IPv6 and IPAM through docker-py and the docker CLI: a dual-stack network
/// with ranges and auxiliary addresses, static addresses of both families
/// on an endpoint and on `connect`, what inspect shows (container and
/// network) and what the container has; endpoint settings rpod cannot
/// apply are refused by name.
#[test]
fn docker_py_ipv6_networks_ipam_and_endpoints() {
    assert!(have_python_module("docker"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let pid = std::process::id();
    let v4 = format!("10.92.{}", pid % 256);
    let v6 = format!("fd53:{:x}:1", pid % 65536);
    let v6b = format!("fd53:{:x}:2", pid % 65536);
    let script = r#"
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
api = c.api
v4, v6, v6b, pid = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ipam = docker.types.IPAMConfig(pool_configs=[
    docker.types.IPAMPool(subnet=v4 + ".0/24", gateway=v4 + ".1",
                          iprange=v4 + ".128/25", aux_addresses={"router": v4 + ".5"}),
    docker.types.IPAMPool(subnet=v6 + "::/64", gateway=v6 + "::1"),
])
n = c.networks.create("dual" + pid, driver="bridge", ipam=ipam, enable_ipv6=True)
cfg = n.attrs["IPAM"]["Config"]
assert n.attrs["EnableIPv6"] is True, n.attrs
assert cfg[0] == {"Subnet": v4 + ".0/24", "Gateway": v4 + ".1", "IPRange": v4 + ".128/25",
                  "AuxiliaryAddresses": {"router": v4 + ".5"}}, cfg
assert cfg[1] == {"Subnet": v6 + "::/64", "Gateway": v6 + "::1"}, cfg

ep = api.create_endpoint_config(ipv4_address=v4 + ".9", ipv6_address=v6 + "::9", aliases=["al1"])
ctr = api.create_container("busybox", ["sleep", "1000"], name="six",
                           networking_config=api.create_networking_config({n.name: ep}))
api.start(ctr)
s = api.inspect_container(ctr)["NetworkSettings"]["Networks"][n.name]
assert (s["IPAddress"], s["IPPrefixLen"], s["Gateway"]) == (v4 + ".9", 24, v4 + ".1"), s
assert (s["GlobalIPv6Address"], s["GlobalIPv6PrefixLen"], s["IPv6Gateway"]) == (v6 + "::9", 64, v6 + "::1"), s
assert s["IPAMConfig"] == {"IPv4Address": v4 + ".9", "IPv6Address": v6 + "::9"}, s
assert "al1" in s["Aliases"], s
c6 = c.containers.get("six")
code, out = c6.exec_run(["ip", "-6", "addr", "show", "eth0"])
assert code == 0 and (v6 + "::9/64").encode() in out, out
members = c.networks.get(n.name).attrs["Containers"]
assert members[ctr["Id"]]["IPv6Address"] == v6 + "::9/64", members
assert members[ctr["Id"]]["IPv4Address"] == v4 + ".9/24", members

# A container without a static address gets one from the range, never the
# auxiliary one; asking for the auxiliary address is refused.
other = c.containers.run("busybox", ["sleep", "1000"], detach=True, network=n.name)
other.reload()
a = other.attrs["NetworkSettings"]["Networks"][n.name]
last = int(a["IPAddress"].rsplit(".", 1)[1])
assert 129 <= last <= 254, a
assert a["GlobalIPv6Address"].startswith(v6 + ":"), a
try:
    bad = api.create_endpoint_config(ipv4_address=v4 + ".5")
    api.create_container("busybox", ["true"], name="aux",
                         networking_config=api.create_networking_config({n.name: bad}))
    api.start("aux")
    raise SystemExit("the auxiliary address was handed out")
except docker.errors.APIError as err:
    assert "already allocated" in str(err), err

# inspect with verbose and scope; fields of swarm networks are refused.
assert api.inspect_network(n.id, verbose=True, scope="local")["Name"] == n.name
try:
    api.inspect_network(n.id, scope="swarm")
    raise SystemExit("a swarm-scope network was found")
except docker.errors.NotFound:
    pass
try:
    c.networks.create("swarmish" + pid, ingress=True)
    raise SystemExit("Ingress was accepted")
except docker.errors.APIError as err:
    assert err.status_code == 400 and "Ingress" in str(err), err
att = c.networks.create("att" + pid, attachable=True)
assert att.attrs["Attachable"] is True, att.attrs
att.remove()

# connect with an IPv6 address to an IPv6-only network.
n2 = c.networks.create("only6" + pid, ipam=docker.types.IPAMConfig(
    pool_configs=[docker.types.IPAMPool(subnet=v6b + "::/64")]))
assert n2.attrs["EnableIPv6"] is True, n2.attrs
n2.connect(c6, ipv6_address=v6b + "::7")
code, out = c6.exec_run(["ip", "-6", "addr"])
assert (v6b + "::7/64").encode() in out, out
c6.reload()
assert c6.attrs["NetworkSettings"]["Networks"][n2.name]["GlobalIPv6Address"] == v6b + "::7"

# Endpoint settings rpod cannot apply are refused by name.
try:
    api.create_container("busybox", ["true"], networking_config=api.create_networking_config(
        {n.name: api.create_endpoint_config(driver_opt={"com.example": "1"})}))
    raise SystemExit("driver options were accepted")
except docker.errors.APIError as err:
    assert err.status_code == 400 and "DriverOpts" in str(err), err
for x in c.containers.list(all=True):
    x.remove(force=True)
n.remove(); n2.remove()
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host(), &v4, &v6, &v6b, &pid.to_string()]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");

    // The docker CLI: an IPv6 network and --ip6.
    let v6c = format!("fd53:{:x}:3", pid % 65536);
    let subnet = format!("{v6c}::/64");
    let name = format!("cli6x{pid}");
    svc.docker_ok(
        &e,
        &["network", "create", "--ipv6", "--subnet", &subnet, &name],
    );
    let ip6 = format!("{v6c}::42");
    let got = svc.docker_ok(
        &e,
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
    assert!(got.contains(&format!("inet6 {ip6}/64")), "{got}");
    let insp = svc.docker_ok(
        &e,
        &[
            "network",
            "inspect",
            "-f",
            "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}",
            &name,
        ],
    );
    // An IPv4 subnet is added, as a Docker engine adds one.
    let words: Vec<&str> = insp.split(' ').collect();
    assert_eq!(words.len(), 3, "{insp}");
    assert_eq!(&words[..2], ["true", subnet.as_str()], "{insp}");
    assert!(words[2].ends_with(".0/24"), "{insp}");
    svc.docker_ok(&e, &["network", "rm", &name]);
    assert!(e.all_ids().is_empty());
}

/// `attach/ws`: a websocket client (websocket-client, as web front ends
/// use the endpoint) gets the container's past output with `logs=1`, sends
/// stdin as messages, reads the reply, and sees the socket closed when the
/// container exits.
#[test]
fn attach_over_a_websocket() {
    assert!(have_python_module("websocket"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    e.ok(&[
        "run",
        "-d",
        "-i",
        "--name",
        "wsc",
        "busybox",
        "sh",
        "-c",
        "echo first; read line; echo got:$line; echo err >&2",
    ]);
    wait_until("the first line", POLL_TIMEOUT, || {
        e.ok(&["logs", "wsc"]).contains("first")
    });
    let script = r#"
import socket, sys, websocket
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
ws = websocket.create_connection(
    "ws://localhost/v1.41/containers/wsc/attach/ws?logs=1&stream=1&stdin=1&stdout=1&stderr=1",
    socket=s)
got = b""
while b"first" not in got:
    got += ws.recv()
ws.send_binary(b"hello\n")
try:
    while b"err" not in got:
        m = ws.recv()
        if not m:
            break
        got += m if isinstance(m, bytes) else m.encode()
except websocket.WebSocketConnectionClosedException:
    pass
print(got.decode())
"#;
    let mut py = Command::new("python3");
    py.args(["-c", script, svc.socket.to_str().unwrap()]);
    let out = run_with_timeout(py, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "first\ngot:hello\nerr"
    );
    wait_until("the container to exit", POLL_TIMEOUT, || {
        e.status("wsc") == "exited"
    });
    e.ok(&["rm", "wsc"]);
}

/// The build cache through the Docker API: `system df` counts the steps a
/// classic build recorded, docker-py's `prune_builds` empties it (removing
/// the images only the cache kept) and the next build runs every step.
#[test]
fn build_cache_in_df_and_pruned() {
    require_docker();
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let dir = e.file("ctx");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM busybox\nRUN echo a > /a\nRUN echo b > /b\n",
    )
    .unwrap();
    let build = || {
        let mut c = svc.docker_cmd(&e, &["build", "-t", "pc:1", dir.to_str().unwrap()]);
        c.env("DOCKER_BUILDKIT", "0");
        let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
        assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    build();
    assert!(build().contains("Using cache"));
    let df = svc.docker_ok(
        &e,
        &["system", "df", "--format", "{{.Type}}={{.TotalCount}}"],
    );
    assert!(df.contains("Build Cache=2"), "{df}");
    let script = r#"
import docker, json, sys
c = docker.APIClient(base_url=sys.argv[1])
r = c.prune_builds()
print(json.dumps([len(r["CachesDeleted"]), r["SpaceReclaimed"] >= 0]))
"#;
    let mut py = Command::new("python3");
    py.args(["-c", script, &svc.host()]);
    let out = run_with_timeout(py, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    // The first RUN's image only the cache kept; the second is pc:1.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[1, true]");
    let df = svc.docker_ok(
        &e,
        &["system", "df", "--format", "{{.Type}}={{.TotalCount}}"],
    );
    assert!(df.contains("Build Cache=0"), "{df}");
    assert!(!build().contains("Using cache"));
    svc.docker_ok(&e, &["rmi", "pc:1"]);
}

/// `/events` filters through docker-py: by volume, by network (connect and
/// disconnect, with the container in the attributes), by scope; an
/// unknown filter is a 400.
#[test]
fn docker_py_event_filters() {
    assert!(have_python_module("docker"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let script = r#"
import docker, sys, time
c = docker.DockerClient(base_url=sys.argv[1])
pid = sys.argv[2]
t0 = int(time.time())
v1 = c.volumes.create("ev1" + pid); v2 = c.volumes.create("ev2" + pid)
n = c.networks.create("evn" + pid)
ctr = c.containers.run("busybox", ["sleep", "100"], detach=True, name="evc" + pid)
n.connect(ctr); n.disconnect(ctr)
until = int(time.time()) + 1
def ev(filters):
    return list(c.events(since=t0, until=until, filters=filters, decode=True))
vols = ev({"volume": v1.name})
assert [(x["Type"], x["Action"], x["Actor"]["ID"]) for x in vols] == [("volume", "create", v1.name)], vols
nets = ev({"network": n.name})
assert [x["Action"] for x in nets] == ["connect", "disconnect"], nets
assert all(x["Actor"]["Attributes"]["container"] == ctr.id for x in nets), nets
assert ev({"scope": "swarm"}) == []
assert len(ev({"scope": "local", "type": "volume"})) == 2
# docker-py's events() swallows a failed request's APIError (an OSError)
# and ends the stream; the status is checked with a plain request.
assert ev({"bogus": "1"}) == []
r = c.api._get(c.api._url("/events"), params={"filters": '{"bogus": ["1"]}', "until": "1"})
assert r.status_code == 400 and "bogus" in r.json()["message"], r.text
ctr.remove(force=True); n.remove(); v1.remove(); v2.remove()
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host(), &std::process::id().to_string()]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

/// Create fields docker-py sends are applied (Domainname — through the
/// kernel.domainname sysctl —, MacAddress, NetworkDisabled, Runtime runc,
/// Isolation default, typed mounts, restart policy, limits) or refused by
/// name with the reason (DeviceRequests, StorageOpt, another runtime,
/// Windows isolation); nothing is dropped with a warning.
#[test]
fn docker_py_create_fields_applied_or_refused() {
    assert!(have_python_module("docker"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let script = r#"
import docker, sys
api = docker.APIClient(base_url=sys.argv[1])
c = api.create_container("busybox", ["sh", "-c", "cat /proc/sys/kernel/domainname; ip link show eth0 | grep -o 'link/ether [0-9a-f:]*' || echo no-eth0"],
    domainname="example.test", mac_address="92:d0:c6:0a:29:33",
    host_config=api.create_host_config(runtime="runc", isolation="default"))
assert c["Warnings"] == [], c
api.start(c); api.wait(c)
out = api.logs(c).decode().split("\n")
assert out[0] == "example.test", out
assert out[1] == "link/ether 92:d0:c6:0a:29:33", out
assert api.inspect_container(c)["Config"]["Domainname"] == "example.test"
api.remove_container(c)
off = api.create_container("busybox", ["sh", "-c", "ip -o link | grep -c -v ' lo:' || true"], network_disabled=True)
api.start(off); api.wait(off)
assert api.logs(off).decode().strip() == "0", api.logs(off)
api.remove_container(off)
for kwargs, field in [
    (dict(device_requests=[docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]), "HostConfig.DeviceRequests"),
    (dict(storage_opt={"size": "1G"}), "HostConfig.StorageOpt"),
    (dict(runtime="kata"), "HostConfig.Runtime"),
    (dict(isolation="hyperv"), "HostConfig.Isolation"),
]:
    try:
        api.create_container("busybox", ["true"], host_config=api.create_host_config(**kwargs))
        raise SystemExit(f"{field} was accepted")
    except docker.errors.APIError as err:
        assert err.status_code == 400 and field in str(err), err
assert api.containers(all=True) == []
# Typed mounts, restart policy and limits.
mounts = [
    docker.types.Mount("/t", None, type="tmpfs", tmpfs_size=1048576, tmpfs_mode=0o1770),
    docker.types.Mount("/b", "/tmp", type="bind", read_only=True, propagation="rslave"),
]
t = api.create_container("busybox", ["sh", "-c",
    "df -k /t | tail -1 | awk '{print $2}'; stat -c %a /t; grep ' /b ' /proc/self/mountinfo | grep -c ' ro,'; ulimit -n"],
    host_config=api.create_host_config(mounts=mounts,
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 2},
        ulimits=[docker.types.Ulimit(name="nofile", soft=100, hard=200)]))
api.start(t); api.wait(t)
assert api.logs(t).decode().split() == ["1024", "1770", "1", "100"], api.logs(t)
hc = api.inspect_container(t)["HostConfig"]
assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}, hc["RestartPolicy"]
api.remove_container(t)
for policy in [{"Name": "sometimes"}, {"Name": "always", "MaximumRetryCount": 3}]:
    try:
        api.create_container("busybox", ["true"], host_config=api.create_host_config(restart_policy=policy))
        raise SystemExit(f"{policy} was accepted")
    except docker.errors.APIError as err:
        assert err.status_code == 400 and "RestartPolicy" in str(err), err
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host()]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

/// Docker's links: `HostConfig.Links` and an endpoint's `Links` (at create
/// and on connect) make the alias resolve to the linked container in this
/// one's `/etc/hosts`; inspect shows them as Docker does; a stopped linked
/// container fails the start, as with Docker.
#[test]
fn docker_py_links() {
    assert!(have_python_module("docker"));
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let script = r#"
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1]); api = c.api
pid = sys.argv[2]
web = c.containers.run("busybox", ["httpd", "-f", "-p", "80", "-h", "/etc"], detach=True,
                       name="lweb" + pid, hostname="webhost")
web.reload()
ip = web.attrs["NetworkSettings"]["IPAddress"]
assert ip, web.attrs["NetworkSettings"]
def run(**kw):
    ctr = api.create_container("busybox", ["sh", "-c", "grep -w db /etc/hosts; wget -qO- http://db/hostname"], **kw)
    api.start(ctr); api.wait(ctr)
    return ctr, api.logs(ctr).decode().split("\n")
ctr, out = run(host_config=api.create_host_config(links={"lweb" + pid: "db"}))
assert out[0].split() == [ip, "db", "lweb" + pid], out
assert out[1] == "webhost", out
name = api.inspect_container(ctr)["Name"]
assert api.inspect_container(ctr)["HostConfig"]["Links"] == ["/lweb%s:%s/db" % (pid, name)]
# An endpoint's links, at create and on connect.
n = c.networks.create("lnet" + pid)
n.connect(web)
web.reload()
nip = web.attrs["NetworkSettings"]["Networks"][n.name]["IPAddress"]
ep = api.create_networking_config({n.name: api.create_endpoint_config(links={"lweb" + pid: "db"})})
ctr2, out = run(networking_config=ep)
assert out[0].split() == [nip, "db", "lweb" + pid], out
ctr3 = api.create_container("busybox", ["sh", "-c", "grep -w db /etc/hosts"], network_disabled=False)
api.connect_container_to_network(ctr3, n.id, links=[("lweb" + pid, "db")])
api.start(ctr3); api.wait(ctr3)
assert api.logs(ctr3).decode().split()[:2] == [nip, "db"], api.logs(ctr3)
# A forced disconnect of a container not on the network succeeds.
api.disconnect_container_from_network(ctr, n.id, force=True)
# The linked container stopped: the start fails.
web.stop(timeout=0)
try:
    api.start(ctr)
    raise SystemExit("started with a stopped linked container")
except docker.errors.APIError as err:
    assert "cannot link to a non running container" in str(err), err
for x in c.containers.list(all=True):
    x.remove(force=True)
n.remove()
print("ok")
"#;
    let mut c = Command::new("python3");
    c.args(["-c", script, &svc.host(), &std::process::id().to_string()]);
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

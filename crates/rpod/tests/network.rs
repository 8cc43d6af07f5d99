//! Networks with real containers: netavark bridges, aardvark-dns names,
//! published ports answered from the host, namespaces shared and cleaned.
//!
//! Each test uses its own networks, with names, subnets (10.95-10.98.x.0/24,
//! from the test process's pid) and bridge names of its own, so tests run
//! in parallel; traffic stays on loopback and the test's own bridges.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;

/// A network of this test: (name, subnet prefix `10.A.B`, bridge).
struct TestNet {
    name: String,
    prefix: String,
    bridge: String,
}

impl TestNet {
    /// Creates network number `k` (0..4) of this test process.
    fn create(e: &Engine, k: u32, extra: &[&str]) -> TestNet {
        let pid = std::process::id();
        let prefix = format!("10.{}.{}", 95 + k, pid % 256);
        let t = TestNet {
            name: format!("tn{pid}x{k}"),
            bridge: format!("rpt{}x{k}", pid % 1_000_000),
            prefix,
        };
        let subnet = format!("{}.0/24", t.prefix);
        let mut args = vec![
            "network",
            "create",
            "--subnet",
            &subnet,
            "--interface-name",
            &t.bridge,
        ];
        args.extend_from_slice(extra);
        args.push(&t.name);
        assert_eq!(e.ok(&args), t.name);
        t
    }

    fn bridge_exists(&self) -> bool {
        Path::new("/sys/class/net").join(&self.bridge).exists()
    }
}

/// A free host port for `proto` (bound and released at once).
fn free_port(udp: bool) -> u16 {
    if udp {
        UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}

/// Namespace files left in the engine's run root.
fn netns_left(e: &Engine) -> Vec<String> {
    std::fs::read_dir(e.runroot().join("netns"))
        .map(|d| {
            d.flatten()
                .map(|x| x.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Removes every container and checks no namespace, mount or bridge is left.
fn assert_clean(e: &Engine, nets: &[&TestNet]) {
    e.ok(&["rm", "-a", "-f", "-t", "0"]);
    assert_eq!(netns_left(e), Vec::<String>::new());
    assert_eq!(e.leftover_mounts().len(), 0, "{:?}", e.leftover_mounts());
    for n in nets {
        assert!(!n.bridge_exists(), "bridge {} left behind", n.bridge);
    }
}

fn sh(e: &Engine, flags: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    e.ok(&args)
}

#[test]
fn containers_resolve_each_other_by_name_and_alias() {
    let e = Engine::with_image();
    let n = TestNet::create(&e, 0, &[]);
    e.ok(&[
        "run",
        "-d",
        "--name",
        "srv",
        "--network",
        &n.name,
        "--network-alias",
        "db-alias",
        "busybox",
        "sleep",
        "1000",
    ]);
    let ip = e.inspect_fmt(
        "srv",
        &format!("{{{{.NetworkSettings.Networks.{}.IPAddress}}}}", n.name),
    );
    assert!(ip.starts_with(&n.prefix), "{ip}");
    for name in ["srv", "db-alias"] {
        let out = sh(
            &e,
            &["--network", &n.name],
            &format!("nslookup {name} {}.1", n.prefix),
        );
        assert!(out.contains(&format!("Address: {ip}")), "{name}: {out}");
    }
    // resolv.conf points at aardvark-dns on the gateway, with dns.podman searched.
    let resolv = sh(&e, &["--network", &n.name], "cat /etc/resolv.conf");
    assert!(
        resolv.contains(&format!("nameserver {}.1", n.prefix)),
        "{resolv}"
    );
    assert!(resolv.contains("dns.podman"), "{resolv}");
    assert_clean(&e, &[&n]);
}

/// Not a test of its own: when RPOD_TEST_UDP_ECHO is set this binary is the
/// UDP server inside a container (busybox has none), answering `echo:DATA`.
#[test]
fn udp_echo_helper() {
    let Ok(port) = std::env::var("RPOD_TEST_UDP_ECHO") else {
        return;
    };
    let s = UdpSocket::bind(("0.0.0.0", port.parse::<u16>().unwrap())).unwrap();
    let mut buf = [0u8; 512];
    loop {
        let (n, peer) = s.recv_from(&mut buf).unwrap();
        let mut reply = b"echo:".to_vec();
        reply.extend_from_slice(&buf[..n]);
        let _ = s.send_to(&reply, peer);
    }
}

/// Bind mounts of this test binary and the shared libraries it needs.
fn self_mounts() -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let mut v = vec![format!("{}:/udp-echo:ro", exe.display())];
    let out = std::process::Command::new("ldd")
        .arg(&exe)
        .output()
        .unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(path) = line.split_whitespace().find(|w| w.starts_with('/')) {
            let real = std::fs::canonicalize(path).unwrap();
            v.push(format!("{}:{path}:ro", real.display()));
        }
    }
    v
}

#[test]
fn published_tcp_and_udp_ports_answer_on_loopback() {
    let e = Engine::with_image();
    let n = TestNet::create(&e, 1, &[]);
    let (tcp, udp) = (free_port(false), free_port(true));
    let www = e.file("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "hello from rpod\n").unwrap();
    let tcp_map = format!("{tcp}:80");
    let udp_map = format!("127.0.0.1:{udp}:5000/udp");
    let www_mount = format!("{}:/www:ro", www.display());
    let mut args = vec![
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        &n.name,
        "-p",
        &tcp_map,
        "-p",
        &udp_map,
        "-v",
        &www_mount,
        "-e",
        "RPOD_TEST_UDP_ECHO=5000",
    ];
    let mounts = self_mounts();
    for m in &mounts {
        args.extend_from_slice(&["-v", m]);
    }
    args.extend_from_slice(&[
        "busybox",
        "sh",
        "-c",
        "httpd -p 80 -h /www; exec /udp-echo --exact udp_echo_helper --nocapture",
    ]);
    e.ok(&args);
    let body = wait_for(
        "the web page through the published port",
        POLL_TIMEOUT,
        || {
            let mut s = TcpStream::connect(("127.0.0.1", tcp)).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
            s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").ok()?;
            let mut out = String::new();
            s.read_to_string(&mut out).ok()?;
            out.contains("hello from rpod").then_some(out)
        },
    );
    assert!(body.starts_with("HTTP/1."), "{body}");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let reply = wait_for(
        "the UDP echo through the published port",
        POLL_TIMEOUT,
        || {
            sock.send_to(b"ping", ("127.0.0.1", udp)).ok()?;
            let mut buf = [0u8; 64];
            let (len, _) = sock.recv_from(&mut buf).ok()?;
            Some(String::from_utf8_lossy(&buf[..len]).into_owned())
        },
    );
    assert_eq!(reply, "echo:ping");
    // ps, port and inspect show the mappings like Podman.
    let ports = e.ok(&["ps", "--format", "{{.Ports}}"]);
    assert!(ports.contains(&format!("0.0.0.0:{tcp}->80/tcp")), "{ports}");
    assert!(
        ports.contains(&format!("127.0.0.1:{udp}->5000/udp")),
        "{ports}"
    );
    assert_eq!(e.ok(&["port", "web", "80"]), format!("0.0.0.0:{tcp}"));
    let doc = e.inspect("web");
    assert_eq!(
        doc["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
        tcp.to_string()
    );
    assert_eq!(
        doc["NetworkSettings"]["Ports"]["5000/udp"][0]["HostIp"],
        "127.0.0.1"
    );
    assert!(doc["NetworkSettings"]["IPAddress"]
        .as_str()
        .unwrap()
        .starts_with(&n.prefix));
    // A second container cannot take the same host port.
    let (code, err) = e.fails(&[
        "run",
        "--rm",
        "--network",
        &n.name,
        "-p",
        &tcp_map,
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(
        err.contains(&tcp.to_string()) && err.contains("already"),
        "{err}"
    );
    assert_clean(&e, &[&n]);
}

#[test]
fn host_port_in_use_is_refused_at_start() {
    let e = Engine::with_image();
    let busy = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let map = format!("{port}:80");
    let (code, err) = e.fails(&["run", "--name", "p1", "-p", &map, "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains(&format!("host port {port}/tcp")) && err.contains("in use"),
        "{err}"
    );
    assert_eq!(e.status("p1"), "created");
    assert_eq!(netns_left(&e), Vec::<String>::new());
    drop(busy);
    e.ok(&["start", "p1"]);
    assert_clean(&e, &[]);
}

#[test]
fn network_commands_create_inspect_connect_rm_prune() {
    let e = Engine::with_image();
    let a = TestNet::create(
        &e,
        2,
        &["--label", "team=x", "--disable-dns", "-o", "mtu=1400"],
    );
    let doc: serde_json::Value =
        serde_json::from_str(&e.ok(&["network", "inspect", &a.name])).unwrap();
    let n = &doc[0];
    assert_eq!(n["driver"], "bridge");
    assert_eq!(n["network_interface"], a.bridge.as_str());
    assert_eq!(n["subnets"][0]["subnet"], format!("{}.0/24", a.prefix));
    assert_eq!(n["subnets"][0]["gateway"], format!("{}.1", a.prefix));
    assert_eq!(n["dns_enabled"], false);
    assert_eq!(n["labels"]["team"], "x");
    assert_eq!(n["options"]["mtu"], "1400");
    assert_eq!(
        e.ok(&[
            "network",
            "inspect",
            "--format",
            "{{.Name}} {{.Driver}}",
            &a.name
        ]),
        format!("{} bridge", a.name)
    );
    let ls = e.ok(&["network", "ls", "-q"]);
    assert!(
        ls.lines().any(|l| l == "rpod") && ls.lines().any(|l| l == a.name),
        "{ls}"
    );
    assert_eq!(
        e.rpod(&["network", "exists", &a.name]).status.code(),
        Some(0)
    );
    assert_eq!(
        e.rpod(&["network", "exists", "nope"]).status.code(),
        Some(1)
    );
    let (_, err) = e.fails(&[
        "network",
        "create",
        "--subnet",
        &format!("{}.0/24", a.prefix),
        "dup",
    ]);
    assert!(err.contains("already used"), "{err}");
    let (_, err) = e.fails(&["network", "create", "-d", "ipvlan", "x"]);
    assert!(err.contains("ipvlan"), "{err}");

    // connect / disconnect a running container (default bridge + a).
    let b = TestNet::create(&e, 3, &[]);
    let static_ip = format!("{}.77", b.prefix);
    e.ok(&[
        "run",
        "-d",
        "--name",
        "c1",
        "--network",
        &b.name,
        "--ip",
        &static_ip,
        "--mac-address",
        "92:d0:c6:0a:29:33",
        "busybox",
        "sleep",
        "1000",
    ]);
    let addrs = e.ok(&["exec", "c1", "ip", "-o", "-4", "addr"]);
    assert!(addrs.contains(&format!("{static_ip}/24")), "{addrs}");
    let mac = e.ok(&["exec", "c1", "cat", "/sys/class/net/eth0/address"]);
    assert_eq!(mac, "92:d0:c6:0a:29:33");
    e.ok(&["network", "connect", &a.name, "c1"]);
    let addrs = e.ok(&["exec", "c1", "ip", "-o", "-4", "addr"]);
    assert!(
        addrs.contains(&format!("{}.", a.prefix)) && addrs.contains("eth1"),
        "{addrs}"
    );
    let nets = e.inspect_fmt(
        "c1",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
    );
    assert!(nets.contains(&a.name) && nets.contains(&b.name), "{nets}");
    let (_, err) = e.fails(&["network", "rm", &a.name]);
    assert!(
        err.contains("network is being used") && err.contains("c1"),
        "{err}"
    );
    e.ok(&["network", "disconnect", &a.name, "c1"]);
    let addrs = e.ok(&["exec", "c1", "ip", "-o", "-4", "addr"]);
    assert!(!addrs.contains("eth1"), "{addrs}");
    assert!(!a.bridge_exists());
    // reload keeps the address.
    assert!(e.ok(&["network", "reload", "c1"]).len() == 64);
    let addrs = e.ok(&["exec", "c1", "ip", "-o", "-4", "addr"]);
    assert!(addrs.contains(&format!("{static_ip}/24")), "{addrs}");

    // prune removes only unused networks; rm -f removes the users too.
    assert_eq!(e.ok(&["network", "prune", "-f"]), a.name);
    e.ok(&["network", "rm", "-f", &b.name]);
    assert!(!e.exists("c1"));
    assert_eq!(e.ok(&["network", "ls", "-q"]), "rpod");
    assert!(e
        .fails(&["network", "rm", "rpod"])
        .1
        .contains("default network"));
    assert_clean(&e, &[&a, &b]);
}

#[test]
fn container_mode_shares_the_other_containers_namespace() {
    let e = Engine::with_image();
    let n = TestNet::create(&e, 0, &["--disable-dns"]);
    e.ok(&[
        "run",
        "-d",
        "--name",
        "owner",
        "--network",
        &n.name,
        "busybox",
        "sleep",
        "1000",
    ]);
    let ip = e.inspect_fmt("owner", "{{.NetworkSettings.IPAddress}}");
    let out = sh(
        &e,
        &["--network", "container:owner"],
        "ip -o -4 addr show eth0; cat /etc/hosts",
    );
    assert!(out.contains(&format!("{ip}/24")), "{out}");
    assert!(out.contains(&format!("{ip}\t")), "{out}");
    let pid: i32 = e.inspect_fmt("owner", "{{.State.Pid}}").parse().unwrap();
    let owner_ns = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "guest",
        "--network",
        "container:owner",
        "busybox",
        "sleep",
        "1000",
    ]);
    let gpid: i32 = e.inspect_fmt("guest", "{{.State.Pid}}").parse().unwrap();
    assert_eq!(
        std::fs::read_link(format!("/proc/{gpid}/ns/net")).unwrap(),
        owner_ns
    );
    assert!(e
        .inspect_fmt("guest", "{{.HostConfig.NetworkMode}}")
        .starts_with("container:"));
    assert_clean(&e, &[&n]);
}

#[test]
fn default_bridge_gives_an_address_and_leaves_nothing() {
    let e = Engine::with_image();
    e.ok(&["run", "-d", "--name", "d1", "busybox", "sleep", "1000"]);
    assert_eq!(e.inspect_fmt("d1", "{{.HostConfig.NetworkMode}}"), "bridge");
    let ip = e.inspect_fmt("d1", "{{.NetworkSettings.IPAddress}}");
    assert!(ip.starts_with("10.90."), "{ip}");
    assert_eq!(
        e.inspect_fmt("d1", "{{.NetworkSettings.Gateway}}"),
        "10.90.0.1"
    );
    assert_eq!(
        e.inspect_fmt("d1", "{{.NetworkSettings.Networks.rpod.IPAddress}}"),
        ip
    );
    let inside = e.ok(&["exec", "d1", "ip", "-o", "-4", "addr", "show", "eth0"]);
    assert!(inside.contains(&format!("{ip}/16")), "{inside}");
    let hosts = e.ok(&["exec", "d1", "cat", "/etc/hosts"]);
    assert!(
        hosts.contains(&format!("{ip}\t")) && hosts.contains("d1"),
        "{hosts}"
    );
    e.ok(&["stop", "-t", "0", "d1"]);
    assert_eq!(netns_left(&e), Vec::<String>::new());
    assert_eq!(e.inspect_fmt("d1", "{{.NetworkSettings.IPAddress}}"), "");
    // The gateway answers from inside (traffic stays on rpod's bridge).
    let out = sh(
        &e,
        &["--cap-add", "NET_RAW"],
        "ping -c 1 -W 2 10.90.0.1 >/dev/null && echo reachable",
    );
    assert_eq!(out, "reachable");
    assert_clean(&e, &[]);
}

#[test]
fn hosts_and_resolv_conf_follow_the_flags_in_every_mode() {
    let e = Engine::with_image();
    let flags = [
        "--add-host",
        "db.local:10.1.2.3",
        "--dns",
        "10.9.9.9",
        "--dns-search",
        "example.test",
    ];
    for mode in ["bridge", "none", "host"] {
        let mut f = vec!["--network", mode];
        f.extend_from_slice(&flags);
        let out = sh(&e, &f, "cat /etc/hosts /etc/resolv.conf");
        assert!(out.contains("10.1.2.3\tdb.local"), "{mode}: {out}");
        assert!(out.contains("nameserver 10.9.9.9"), "{mode}: {out}");
        assert!(out.contains("search example.test"), "{mode}: {out}");
    }
    let none = sh(&e, &["--network", "none"], "cat /etc/hosts");
    assert!(none.contains("127.0.0.1\tlocalhost"), "{none}");
    let (code, err) = e.fails(&[
        "create",
        "--network",
        "none",
        "-p",
        "8080:80",
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("bridge network"), "{err}");
    let (_, err) = e.fails(&["create", "--network", "nosuchnet", "busybox", "true"]);
    assert!(err.contains("nosuchnet"), "{err}");
    assert_clean(&e, &[]);
}

#[test]
fn ipam_driver_flag_as_podman_takes_it() {
    let e = Engine::new();
    let p = Podman::new(&e);
    let args = [
        "network",
        "create",
        "--ipam-driver",
        "host-local",
        "ipamnet",
    ];
    e.ok(&args);
    p.ok(&args);
    let fmt = [
        "network",
        "inspect",
        "ipamnet",
        "--format",
        "{{.IPAMOptions}}",
    ];
    assert_eq!(e.ok(&fmt), p.ok(&fmt));
    let bogus = ["network", "create", "--ipam-driver", "bogus", "bogusnet"];
    let (code, err) = e.fails(&bogus);
    let theirs = p.run(&bogus);
    assert_eq!(Some(code), theirs.status.code());
    assert!(err.contains("unsupported ipam driver \"bogus\""), "{err}");
    let _ = p.run(&["network", "rm", "-f", "ipamnet"]);
    e.ok(&["network", "rm", "ipamnet"]);
}

/// One engine's side of the IPv6 test: its subnets (apart from the other
/// engine's, so both can have containers up at once) and a function that
/// puts the other side's text in its place.
struct Side {
    v6: String,
    v4: String,
    bridge: String,
}

impl Side {
    fn new(k: u32) -> Side {
        let pid = std::process::id();
        Side {
            v6: format!("fd5{k}:{:x}:6", pid % 65536),
            v4: format!("10.{}.{}", 95 + k, pid % 256),
            bridge: format!("rp6{}x{k}", pid % 1_000_000),
        }
    }

    /// `text` with this side's subnets and bridge written as `V6`, `V4`, `BR`.
    fn mask(&self, text: &str) -> String {
        text.replace(&self.v6, "V6")
            .replace(&self.v4, "V4")
            .replace(&self.bridge, "BR")
    }
}

/// Runs one engine's command.
type Runner<'a> = dyn Fn(&[&str]) -> Output + 'a;

#[test]
fn ipv6_networks_and_addresses_as_podman_makes_them() {
    let b = Both::new();
    let (mine, theirs) = (Side::new(0), Side::new(1));
    // Podman keeps its networks in /etc/containers/networks, shared by
    // every test: names of this test's own.
    let pid = std::process::id();
    let (dual, auto, bad, second) = (
        format!("dual6x{pid}"),
        format!("auto6x{pid}"),
        format!("bad6x{pid}"),
        format!("second6x{pid}"),
    );
    let rpod = |args: &[&str]| b.e.rpod(args);
    let podman = |args: &[&str]| b.p.run(args);
    let engines: [(&Side, &Runner); 2] = [(&mine, &rpod), (&theirs, &podman)];

    // Networks: a dual-stack one with the subnets, gateway and range given,
    // one from --ipv6 alone, one IPv6-only.
    let mut inspected = Vec::new();
    for (side, run) in &engines {
        let v6 = format!("{}::/64", side.v6);
        let v4 = format!("{}.0/24", side.v4);
        let gw = format!("{}::fe", side.v6);
        let range = format!("{}::100/120", side.v6);
        let mut args = vec![
            "network",
            "create",
            "--subnet",
            &v6,
            "--subnet",
            &v4,
            "--gateway",
            &gw,
            "--ip-range",
            &range,
        ];
        // Podman 4.3 names its bridges itself (podmanN).
        if std::ptr::eq(*side, &mine) {
            args.extend(["--interface-name", &side.bridge]);
        }
        args.push(&dual);
        let out = run(&args);
        assert!(out.status.success(), "{}", describe(&out));
        let fmt = "{{range .Subnets}}{{.Subnet}} {{.Gateway}} {{with .LeaseRange}}{{.StartIP}}-{{.EndIP}}{{end}}; {{end}}{{.IPv6Enabled}} {{.DNSEnabled}} {{.Driver}}";
        let out = run(&["network", "inspect", "--format", fmt, &dual]);
        inspected.push(side.mask(String::from_utf8_lossy(&out.stdout).trim()));
        // --ipv6 alone: a free IPv4 subnet, then a random unique-local /64.
        let out = run(&["network", "create", "--ipv6", &auto]);
        assert!(out.status.success(), "{}", describe(&out));
        let out = run(&[
            "network",
            "inspect",
            "--format",
            "{{range .Subnets}}{{.Subnet}} {{end}}{{.IPv6Enabled}}",
            &auto,
        ]);
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let words: Vec<&str> = text.split(' ').collect();
        assert_eq!(words.len(), 3, "{text}");
        assert!(
            words[0].parse::<std::net::Ipv4Addr>().is_err() && words[0].contains('.'),
            "{text}"
        );
        assert!(
            words[1].starts_with("fd") && words[1].ends_with("::/64"),
            "{text}"
        );
        assert_eq!(words[2], "true");
        let out = run(&["network", "rm", &auto]);
        assert!(out.status.success(), "{}", describe(&out));
    }
    assert_eq!(inspected[0], inspected[1]);
    assert_eq!(
        inspected[0],
        "V6::/64 V6::fe V6::101-V6::1ff; V4.0/24 V4.1 ; true true bridge"
    );

    // Bad requests: the same exit code and message.
    for args in [
        &["network", "create", "--gateway", "10.1.1.1", &bad][..],
        &[
            "network",
            "create",
            "--subnet",
            "fd5e::/64",
            "--gateway",
            "fd5e::1",
            "--gateway",
            "fd5e::2",
            &bad,
        ],
        &["network", "create", "--subnet", "foo", &bad],
    ] {
        let (a, p) = (rpod(args), podman(args));
        assert_eq!(
            a.status.code(),
            p.status.code(),
            "{args:?}\n{}\n{}",
            describe(&a),
            describe(&p)
        );
        assert_eq!(
            String::from_utf8_lossy(&a.stderr).trim(),
            String::from_utf8_lossy(&p.stderr).trim(),
            "{args:?}"
        );
    }

    // A container with static addresses of both families: the same
    // addresses, /etc/hosts and /etc/resolv.conf, and the same inspect.
    let mut seen = Vec::new();
    for (side, run) in &engines {
        let ip6 = format!("{}::99", side.v6);
        let ip4 = format!("{}.9", side.v4);
        let out = run(&[
            "run",
            "-d",
            "--name",
            "web6",
            "--hostname",
            "web6h",
            "--network",
            &dual,
            "--ip6",
            &ip6,
            "--ip",
            &ip4,
            "probe",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ]);
        assert!(out.status.success(), "{}", describe(&out));
        let out = run(&[
            "exec",
            "web6",
            "sh",
            "-c",
            "ip -6 addr show eth0 | grep 'inet6.*global'; cat /etc/hosts /etc/resolv.conf",
        ]);
        assert!(out.status.success(), "{}", describe(&out));
        let fmt = "{{range .NetworkSettings.Networks}}{{.IPAddress}}/{{.IPPrefixLen}} {{.Gateway}} {{.GlobalIPv6Address}}/{{.GlobalIPv6PrefixLen}} {{.IPv6Gateway}}{{end}}";
        let insp = run(&["inspect", "--format", fmt, "web6"]);
        // A second container reaches the first over IPv6.
        let url = format!("http://[{ip6}]/hostname");
        let get = run(&[
            "run",
            "--rm",
            "--network",
            &dual,
            "probe",
            "wget",
            "-qO-",
            &url,
        ]);
        assert!(get.status.success(), "{}", describe(&get));
        seen.push((
            side.mask(String::from_utf8_lossy(&out.stdout).trim()),
            side.mask(String::from_utf8_lossy(&insp.stdout).trim()),
            String::from_utf8_lossy(&get.stdout).trim().to_string(),
        ));
        // An address outside the network's subnets is refused, naming it.
        let out = run(&[
            "run",
            "--rm",
            "--network",
            &dual,
            "--ip6",
            "fd5f::9",
            "probe",
            "true",
        ]);
        assert!(!out.status.success());
        let want = format!("requested static ip fd5f::9 not in any subnet on network {dual}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&want),
            "{}",
            describe(&out)
        );
    }
    assert_eq!(seen[0], seen[1]);
    assert!(seen[0].0.contains("inet6 V6::99/64"), "{}", seen[0].0);
    assert!(seen[0].0.contains("V6::99\tweb6h web6"), "{}", seen[0].0);
    assert_eq!(seen[0].1, "V4.9/24 V4.1 V6::99/64 V6::fe");
    assert_eq!(seen[0].2, "web6h");

    // network connect --ip6: a running container gets the address at once.
    let other = format!("{}::/64", mine.v6.replacen("fd50", "fd52", 1));
    let other_ip = format!("{}::7", mine.v6.replacen("fd50", "fd52", 1));
    let br = format!("{}c", mine.bridge);
    b.e.ok(&[
        "network",
        "create",
        "--subnet",
        &other,
        "--interface-name",
        &br,
        &second,
    ]);
    b.e.ok(&["network", "connect", "--ip6", &other_ip, &second, "web6"]);
    let out = b.e.ok(&["exec", "web6", "ip", "-6", "addr", "show"]);
    assert!(out.contains(&format!("inet6 {other_ip}/64")), "{out}");
    b.e.ok(&["rm", "-f", "-t", "0", "web6"]);
    let _ = podman(&["rm", "-f", "-t", "0", "web6"]);
    let _ = podman(&["network", "rm", "-f", &dual]);
    for n in [&dual, &second] {
        b.e.ok(&["network", "rm", n]);
    }
    assert_eq!(netns_left(&b.e), Vec::<String>::new());
    assert!(!Path::new("/sys/class/net").join(&mine.bridge).exists());
}

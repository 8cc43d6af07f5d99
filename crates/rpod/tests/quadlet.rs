//! `rpod quadlet`: quadlet files become units that pass `systemd-analyze
//! verify`, and the rpod command lines in them create, key by key, the
//! objects the files describe when run by hand.

mod common;
mod unit_support;

use std::path::Path;

use common::*;
use unit_support::*;

fn quadlet(e: &Engine, src: &Path, args: &[&str]) -> std::process::Output {
    let mut full = vec!["quadlet"];
    full.extend_from_slice(args);
    let mut c = e.cmd(&full);
    c.env("QUADLET_UNIT_DIRS", src);
    run_with_timeout(c, None, COMMAND_TIMEOUT)
}

fn inspect_json(e: &Engine, args: &[&str]) -> serde_json::Value {
    let text = e.ok(args);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[0].clone()
}

#[test]
fn quadlet_files_become_units_whose_commands_create_what_they_describe() {
    let e = Engine::with_image();
    let src = e.file("quadlets");
    std::fs::create_dir_all(&src).unwrap();
    let port = free_port();
    std::fs::write(
        src.join("web.container"),
        format!(
            "[Unit]\nDescription=a web server\n\n[Container]\nImage=busybox\nExec=sleep 100\n\
             Environment=A=1 \"B=two words\"\nLabel=tier=front\nAnnotation=note=yes\n\
             Volume=data.volume:/data\nNetwork=net.network\nPublishPort=127.0.0.1:{port}:80\n\
             User=1000\nGroup=1000\nWorkingDir=/tmp\nHostName=qh\nReadOnly=true\n\
             AddCapability=SYS_TIME\nDropCapability=CHOWN\nTmpfs=/scratch\nAutoUpdate=registry\n\
             NoNewPrivileges=true\n\n[Service]\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n"
        ),
    )
    .unwrap();
    std::fs::write(
        src.join("data.volume"),
        "[Volume]\nLabel=kind=data\nType=tmpfs\nDevice=tmpfs\nOptions=size=2m\n",
    )
    .unwrap();
    std::fs::write(
        src.join("net.network"),
        "[Network]\nSubnet=10.231.7.0/24\nGateway=10.231.7.1\nLabel=kind=net\nDisableDNS=true\n",
    )
    .unwrap();
    std::fs::write(src.join("app.kube"), "[Kube]\nYaml=app.yaml\n").unwrap();

    // --dryrun prints every unit.
    let out = quadlet(&e, &src, &["--dryrun"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "web.service",
        "data-volume.service",
        "net-network.service",
        "app.service",
    ] {
        assert!(text.contains(&format!("---{name}---")), "{text}");
    }

    // As a generator: units (and the [Install] link) in the output dir.
    let gen = e.file("generated");
    let early = e.file("early");
    let late = e.file("late");
    let out = quadlet(
        &e,
        &src,
        &[
            gen.to_str().unwrap(),
            early.to_str().unwrap(),
            late.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        std::fs::read_link(gen.join("multi-user.target.wants/web.service")).unwrap(),
        Path::new("../web.service")
    );
    std::fs::write(
        gen.join("multi-user.target"),
        "[Unit]\nDescription=target for the test\n",
    )
    .unwrap();
    verify_units(&gen);

    let web = std::fs::read_to_string(gen.join("web.service")).unwrap();
    let vol = std::fs::read_to_string(gen.join("data-volume.service")).unwrap();
    let net = std::fs::read_to_string(gen.join("net-network.service")).unwrap();
    let kube = std::fs::read_to_string(gen.join("app.service")).unwrap();
    assert_eq!(values(&web, "Unit", "Description"), ["a web server"]);
    assert_eq!(values(&web, "Service", "Restart"), ["always"]);
    assert_eq!(
        values(&web, "Unit", "Requires"),
        ["data-volume.service", "net-network.service"]
    );
    let play = &values(&kube, "Service", "ExecStart")[0];
    assert!(
        play.contains(" kube play --replace ") && play.ends_with("/quadlets/app.yaml"),
        "{play}"
    );

    // Run the commands by hand, in systemd's order.
    let rundir = e.file("unitrun");
    std::fs::create_dir_all(&rundir).unwrap();
    run_exec_ok(
        &values(&vol, "Service", "ExecStart")[0],
        &rundir,
        "data-volume.service",
    );
    // Again: --ignore makes a oneshot that runs at every boot idempotent.
    run_exec_ok(
        &values(&vol, "Service", "ExecStart")[0],
        &rundir,
        "data-volume.service",
    );
    run_exec_ok(
        &values(&net, "Service", "ExecStart")[0],
        &rundir,
        "net-network.service",
    );
    run_exec_ok(
        &values(&net, "Service", "ExecStart")[0],
        &rundir,
        "net-network.service",
    );
    run_exec_ok(
        &values(&web, "Service", "ExecStart")[0],
        &rundir,
        "web.service",
    );

    let v = inspect_json(&e, &["volume", "inspect", "systemd-data"]);
    assert_eq!(v["Labels"]["kind"], "data");
    assert_eq!(v["Options"]["type"], "tmpfs");
    assert_eq!(v["Options"]["device"], "tmpfs");
    assert_eq!(v["Options"]["o"], "size=2m");

    let n = inspect_json(&e, &["network", "inspect", "systemd-net"]);
    assert_eq!(n["labels"]["kind"], "net", "{n}");
    assert_eq!(n["subnets"][0]["subnet"], "10.231.7.0/24", "{n}");
    assert_eq!(n["subnets"][0]["gateway"], "10.231.7.1", "{n}");
    assert_eq!(n["dns_enabled"], false, "{n}");

    let c = e.inspect("systemd-web");
    let id = std::fs::read_to_string(rundir.join("web.cid")).unwrap();
    assert_eq!(c["Id"], id.trim());
    assert_eq!(c["State"]["Status"], "running");
    let env: Vec<&str> = c["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        env.contains(&"A=1") && env.contains(&"B=two words"),
        "{env:?}"
    );
    assert_eq!(c["Config"]["Labels"]["tier"], "front");
    assert_eq!(
        c["Config"]["Labels"]["io.containers.autoupdate"],
        "registry"
    );
    assert_eq!(c["Config"]["Annotations"]["note"], "yes");
    assert_eq!(c["Config"]["User"], "1000:1000");
    assert_eq!(c["Config"]["WorkingDir"], "/tmp");
    assert_eq!(c["Config"]["Hostname"], "qh");
    assert_eq!(c["Config"]["Cmd"], serde_json::json!(["sleep", "100"]));
    assert_eq!(c["HostConfig"]["ReadonlyRootfs"], true);
    assert_eq!(c["HostConfig"]["AutoRemove"], true);
    let caps = c["HostConfig"]["CapAdd"].to_string().to_ascii_uppercase();
    assert!(caps.contains("SYS_TIME"), "{caps}");
    assert!(c["HostConfig"]["CapDrop"]
        .to_string()
        .to_ascii_uppercase()
        .contains("CHOWN"));
    assert!(
        c["HostConfig"]["SecurityOpt"]
            .to_string()
            .contains("no-new-privileges"),
        "{}",
        c["HostConfig"]
    );
    assert!(
        c["HostConfig"]["Tmpfs"].to_string().contains("/scratch"),
        "{}",
        c["HostConfig"]
    );
    assert_eq!(
        c["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
        port.to_string()
    );
    assert!(
        c["NetworkSettings"]["Networks"]["systemd-net"].is_object(),
        "{}",
        c["NetworkSettings"]
    );
    let mounts = c["Mounts"].to_string();
    assert!(
        mounts.contains("systemd-data") && mounts.contains("/data"),
        "{mounts}"
    );

    // ExecStop removes the container (--rm, rm -f -i).
    run_exec_ok(
        &values(&web, "Service", "ExecStop")[0],
        &rundir,
        "web.service",
    );
    for post in values(&web, "Service", "ExecStopPost") {
        run_exec_ok(&post, &rundir, "web.service");
    }
    assert!(!e.exists("systemd-web"));
    assert!(!rundir.join("web.cid").exists());
    e.ok(&["volume", "rm", "systemd-data"]);
    e.ok(&["network", "rm", "systemd-net"]);
}

#[test]
fn bad_quadlet_files_fail_with_one_line_reasons() {
    let e = Engine::new();
    let cases: &[(&str, &str, &str)] = &[
        ("a.container", "[Container]\nExec=true\n", "no Image key"),
        (
            "b.container",
            "[Container]\nImage=x\nBogus=1\n",
            "unsupported key \"Bogus\"",
        ),
        ("c.volume", "[Volume]\nCopy=maybe\n", "unsupported key"),
        (
            "d.container",
            "[Container]\nImage=x\nReadOnly=perhaps\n",
            "not a boolean",
        ),
        ("e.kube", "[Kube]\nNetwork=x\n", "no Yaml key"),
        ("f.container", "Image=x\n", "outside of a section"),
    ];
    for (name, text, want) in cases {
        let dir = e.file(&format!("q-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
        let out = quadlet(&e, &dir, &["--dryrun"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{name}: {}", describe(&out));
        assert!(
            err.contains(want) && err.trim().lines().count() == 1,
            "{name}: {err}"
        );
    }
    let dir = e.file("empty");
    let out = quadlet(&e, &dir, &[]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing output directory"));
}

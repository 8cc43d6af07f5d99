//! Named and anonymous volumes, `--mount`, copy-up, and the volume commands.

mod common;

use common::*;

#[test]
fn a_named_volume_survives_container_removal() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "data:/data",
        "busybox",
        "sh",
        "-c",
        "echo kept > /data/f",
    ]);
    assert_eq!(e.ok(&["volume", "ls", "-q"]), "data");
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "data:/data:ro",
        "busybox",
        "cat",
        "/data/f",
    ]);
    assert_eq!(out, "kept");
    let (code, _) = e.fails(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "data:/data:ro",
        "busybox",
        "touch",
        "/data/x",
    ]);
    assert_ne!(code, 0);
    let mountpoint = e.ok(&["volume", "inspect", "data", "--format", "{{.Mountpoint}}"]);
    assert!(
        mountpoint.starts_with(e.root().to_str().unwrap()),
        "{mountpoint}"
    );
    assert_eq!(
        std::fs::read_to_string(format!("{mountpoint}/f")).unwrap(),
        "kept\n"
    );
}

#[test]
fn volume_commands_create_inspect_exists_rm_prune() {
    let e = Engine::with_image();
    assert_eq!(e.ok(&["volume", "create", "--label", "a=b", "v1"]), "v1");
    let (code, err) = e.fails(&["volume", "create", "v1"]);
    assert_eq!(code, 125);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(e.ok(&["volume", "create", "--ignore", "v1"]), "v1");
    let generated = e.ok(&["volume", "create"]);
    assert_eq!(generated.len(), 64);
    let doc: serde_json::Value = serde_json::from_str(&e.ok(&["volume", "inspect", "v1"])).unwrap();
    assert_eq!(doc[0]["Name"], "v1");
    assert_eq!(doc[0]["Driver"], "local");
    assert_eq!(doc[0]["Labels"]["a"], "b");
    assert_eq!(
        e.ok(&[
            "volume",
            "ls",
            "--filter",
            "label=a=b",
            "--format",
            "{{.Name}}"
        ]),
        "v1"
    );
    e.ok(&["volume", "exists", "v1"]);
    assert_eq!(e.fails(&["volume", "exists", "nope"]).0, 1);
    e.ok(&["create", "--name", "user", "-v", "v1:/v", "busybox", "true"]);
    let (code, err) = e.fails(&["volume", "rm", "v1"]);
    // Podman: 2 for a volume in use.
    assert_eq!(code, 2);
    assert!(err.contains("user"), "in use, naming the container: {err}");
    // prune keeps the used one
    let pruned = e.ok(&["volume", "prune", "-f"]);
    assert!(
        pruned.contains(&generated) && !pruned.contains("v1"),
        "{pruned}"
    );
    e.ok(&["volume", "rm", "-f", "v1"]);
    assert!(!e.exists("user"), "rm -f removed the container using it");
    assert_eq!(e.ok(&["volume", "ls", "-q"]), "");
    let (code, _) = e.fails(&["volume", "create", "bad/name"]);
    assert_eq!(code, 125);
}

#[test]
fn anonymous_volumes_go_with_rm_v_only() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "a", "-v", "/cache", "busybox", "true"]);
    e.ok(&[
        "create",
        "--name",
        "b",
        "--mount",
        "type=volume,target=/cache",
        "busybox",
        "true",
    ]);
    e.ok(&["create", "--name", "n", "-v", "named:/x", "busybox", "true"]);
    let vols = e.ok(&["volume", "ls", "-q"]);
    assert_eq!(vols.lines().count(), 3, "{vols}");
    e.ok(&["rm", "a"]);
    assert_eq!(
        e.ok(&["volume", "ls", "-q"]).lines().count(),
        3,
        "rm without -v keeps it"
    );
    e.ok(&["rm", "-v", "b"]);
    e.ok(&["rm", "-v", "n"]);
    let left = e.ok(&["volume", "ls", "-q"]);
    assert_eq!(
        left.lines().count(),
        2,
        "rm -v removed b's anonymous volume only: {left}"
    );
    assert!(left.contains("named"));
}

#[test]
fn run_rm_removes_its_anonymous_volumes() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "/scratch",
        "busybox",
        "touch",
        "/scratch/x",
    ]);
    assert_eq!(e.ok(&["volume", "ls", "-q"]), "");
}

#[test]
fn a_fresh_volume_gets_the_image_content_copied_up() {
    let e = Engine::with_image();
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "etcvol:/etc",
        "busybox",
        "cat",
        "/etc/passwd",
    ]);
    assert!(out.contains("root:x:0:0"), "{out}");
    let mp = e.ok(&["volume", "inspect", "etcvol", "--format", "{{.Mountpoint}}"]);
    assert!(std::path::Path::new(&mp).join("group").exists());
    // nocopy leaves a new volume empty
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "empty:/etc:nocopy",
        "busybox",
        "ls",
        "/etc",
    ]);
    assert_eq!(out, "");
}

#[test]
fn mount_flag_types() {
    let e = Engine::with_image();
    let dir = e.file("bind");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), "host").unwrap();
    let spec = format!("type=bind,source={},target=/b,readonly", dir.display());
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--mount",
            &spec,
            "busybox",
            "cat",
            "/b/f"
        ]),
        "host"
    );
    let (code, _) = e.fails(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--mount",
        &spec,
        "busybox",
        "touch",
        "/b/x",
    ]);
    assert_ne!(code, 0);
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--mount",
        "type=tmpfs,target=/t,tmpfs-size=1m",
        "busybox",
        "sh",
        "-c",
        "grep ' /t ' /proc/mounts",
    ]);
    assert!(out.contains("tmpfs") && out.contains("size=1024k"), "{out}");
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--mount",
        "type=devpts,destination=/dev/pts2",
        "busybox",
        "sh",
        "-c",
        "grep /dev/pts2 /proc/mounts",
    ]);
    assert!(out.contains("devpts"), "{out}");
    let (code, err) = e.fails(&[
        "create",
        "--mount",
        "type=bind,source=/no/such/dir,target=/x",
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("/no/such/dir"), "{err}");
    let (code, _) = e.fails(&["create", "--mount", "type=nfs,target=/x", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(e.all_ids().is_empty());
}

#[test]
fn tmpfs_volume_options_mount_a_tmpfs() {
    let e = Engine::with_image();
    e.ok(&[
        "volume",
        "create",
        "--opt",
        "type=tmpfs",
        "--opt",
        "device=tmpfs",
        "--opt",
        "o=size=2m",
        "t",
    ]);
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "t:/t",
        "busybox",
        "sh",
        "-c",
        "grep ' /t ' /proc/mounts",
    ]);
    assert!(out.contains("tmpfs") && out.contains("size=2048k"), "{out}");
    e.ok(&["volume", "rm", "t"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn export_and_import_round_trip() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "src:/d",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /d/sub && echo hi > /d/sub/f",
    ]);
    let tar = e.file("vol.tar");
    e.ok(&["volume", "export", "-o", tar.to_str().unwrap(), "src"]);
    e.ok(&["volume", "create", "dst"]);
    e.ok(&["volume", "import", "dst", tar.to_str().unwrap()]);
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            "dst:/d",
            "busybox",
            "cat",
            "/d/sub/f"
        ]),
        "hi"
    );
}

#[test]
fn inspect_shows_volume_mounts() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "-v", "vv:/data", "busybox", "true"]);
    let m = e.inspect("c")["Mounts"][0].clone();
    assert_eq!(m["Type"], "volume");
    assert_eq!(m["Name"], "vv");
    assert_eq!(m["Destination"], "/data");
    assert_eq!(m["Driver"], "local");
}

#[test]
fn the_u_option_gives_the_volume_to_the_container_user() {
    let e = Engine::with_image();
    let out = e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-u",
        "1234:5678",
        "-v",
        "owned:/o:U",
        "busybox",
        "sh",
        "-c",
        "touch /o/f && stat -c '%u:%g' /o /o/f",
    ]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec!["1234:5678", "1234:5678"]
    );
}

#[test]
fn cp_into_and_out_of_a_volume_of_a_running_container_goes_through_the_volume() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "c",
        "-v",
        "cpv:/data",
        "busybox",
        "sleep",
        "300",
    ]);
    let host = e.file("in.txt");
    std::fs::write(&host, "via cp").unwrap();
    e.ok(&["cp", host.to_str().unwrap(), "c:/data/in.txt"]);
    assert_eq!(e.ok(&["exec", "c", "cat", "/data/in.txt"]), "via cp");
    e.ok(&["exec", "c", "sh", "-c", "echo from-inside > /data/out.txt"]);
    let out = e.file("out.txt");
    e.ok(&["cp", "c:/data/out.txt", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "from-inside\n");
}

#[test]
fn volume_rm_force_time_stops_running_users_first() {
    let e = Engine::with_image();
    e.ok(&["volume", "create", "busy"]);
    e.ok(&[
        "run", "-d", "--name", "user", "-v", "busy:/v", "busybox", "sleep", "1000",
    ]);
    let (code, _) = e.fails(&["volume", "rm", "-t", "0", "busy"]);
    assert_eq!(code, 2, "without --force a used volume stays");
    assert_eq!(e.ok(&["volume", "rm", "-f", "-t", "0", "busy"]), "busy");
    assert!(!e.exists("user"));
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn image_volume_modes_and_volumes_from_as_podman_does() {
    let e = Engine::new();
    let p = Podman::new(&e);
    let tar = e.busybox_tar();
    let import = [
        "import",
        "--change",
        "VOLUME=/data",
        tar.to_str().unwrap(),
        "localhost/withvol",
    ];
    e.ok(&import);
    p.ok(&import);
    let fstype = "awk '$2==\"/data\"{print $3}' /proc/mounts";
    for mode in ["tmpfs", "ignore"] {
        let args = [
            "run",
            "--rm",
            "--network",
            "none",
            "--image-volume",
            mode,
            "localhost/withvol",
            "sh",
            "-c",
            fstype,
        ];
        assert_eq!(e.ok(&args), p.ok(&args), "--image-volume {mode}");
    }
    let vols_before = e.ok(&["volume", "ls", "-q"]).lines().count();
    e.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--image-volume",
        "bind",
        "localhost/withvol",
        "true",
    ]);
    // --rm removes the anonymous volume again, as podman does.
    assert_eq!(e.ok(&["volume", "ls", "-q"]).lines().count(), vols_before);
    let (code, err) = e.fails(&[
        "create",
        "--image-volume",
        "nope",
        "localhost/withvol",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid image volume type"), "{err}");

    // --volumes-from: the other's volumes and binds, as they are or :ro.
    let shared = e.file("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let bind = format!("{}:/b", shared.display());
    let src = [
        "create",
        "--name",
        "src",
        "-v",
        "vfvol:/v1",
        "-v",
        &bind,
        "localhost/withvol",
        "true",
    ];
    e.ok(&src);
    p.ok(&src);
    let modes = "for d in /v1 /b /data; do awk -v d=$d '$2==d{split($4,o,\",\"); print d, o[1]}' /proc/mounts; done";
    for from in ["src", "src:ro"] {
        let args = [
            "run",
            "--rm",
            "--network",
            "none",
            "--volumes-from",
            from,
            "localhost/withvol",
            "sh",
            "-c",
            modes,
        ];
        assert_eq!(e.ok(&args), p.ok(&args), "--volumes-from {from}");
    }
    let args = [
        "run",
        "--rm",
        "--volumes-from",
        "src",
        "localhost/withvol",
        "sh",
        "-c",
        "echo x > /v1/f",
    ];
    e.ok(&args);
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "-v",
            "vfvol:/v",
            "localhost/withvol",
            "cat",
            "/v/f"
        ]),
        "x"
    );
    let (code, err) = e.fails(&[
        "create",
        "--volumes-from",
        "nothere",
        "localhost/withvol",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("nothere"), "{err}");
}

#[test]
fn volume_mount_unmount_reload_and_system_renumber_as_podman() {
    let b = Both::new();
    let steps = |run: &dyn Fn(&[&str]) -> std::process::Output, root: &str| -> Vec<String> {
        let mut seen = Vec::new();
        for args in [
            vec!["volume", "create", "vm"],
            vec!["volume", "mount", "vm"],
            vec!["volume", "unmount", "vm"],
            vec!["volume", "reload"],
            vec!["system", "renumber"],
            vec!["volume", "mount", "nope"],
            vec!["volume", "rm", "vm"],
        ] {
            let out = run(&args);
            let text = String::from_utf8_lossy(&out.stdout)
                .trim()
                .replace(root, "ROOT");
            seen.push(format!("{args:?} -> {:?} {text}", out.status.code()));
        }
        seen
    };
    let rroot = b.e.ok(&["info", "--format", "{{.Store.GraphRoot}}"]);
    let proot = b.p.ok(&["info", "--format", "{{.Store.GraphRoot}}"]);
    let mine = steps(&|a| b.e.rpod(a), &rroot);
    let theirs = steps(&|a| b.p.run(a), &proot);
    assert_eq!(mine, theirs, "rpod (left) vs podman (right)");
    assert!(mine[1].ends_with("ROOT/volumes/vm/_data"), "{mine:?}");
}

/// `--volumepath` and `--network-config-dir` put volume data and network
/// definitions where they say, for rpod as for podman, and `info` shows
/// the volume path; an engine's volume path is the one its database was
/// made with (the same refusal as podman's).
#[test]
fn volumepath_and_network_config_dir_as_podman() {
    let b = Both::new();
    let elsewhere = b.e.file("elsewhere");
    let args = ["--volumepath", elsewhere.to_str().unwrap(), "volume", "ls"];
    let (mine, theirs) = (b.e.rpod(&args), b.p.run(&args));
    assert_eq!(
        mine.status.code(),
        theirs.status.code(),
        "{}",
        describe(&mine)
    );
    let msg = |o: &std::process::Output| {
        let text = String::from_utf8_lossy(&o.stderr).into_owned();
        text.replace(b.e.root().to_str().unwrap(), "ROOT")
            .replace(b.e.file("podman/root").to_str().unwrap(), "ROOT")
            .trim()
            .to_string()
    };
    assert_eq!(msg(&mine), msg(&theirs));
    // Fresh engines, with the paths given from their first command on.
    let e = Engine::new();
    let p = Podman::new(&e);
    let tar = e.probe_tar();
    let pid = std::process::id();
    let net = format!("pn{pid}");
    for (ours, base) in [(true, e.file("mine")), (false, e.file("theirs"))] {
        let (vols, nets) = (base.join("vols"), base.join("nets"));
        std::fs::create_dir_all(&vols).unwrap();
        std::fs::create_dir_all(&nets).unwrap();
        let run = |args: &[&str]| -> String {
            let mut all = vec![
                "--volumepath",
                vols.to_str().unwrap(),
                "--network-config-dir",
                nets.to_str().unwrap(),
            ];
            all.extend_from_slice(args);
            if ours {
                e.ok(&all)
            } else {
                p.ok(&all)
            }
        };
        run(&["import", "-q", tar.to_str().unwrap(), "probe"]);
        run(&["volume", "create", "pv"]);
        let mountpoint = run(&["volume", "inspect", "--format", "{{.Mountpoint}}", "pv"]);
        assert_eq!(
            mountpoint,
            vols.join("pv/_data").display().to_string(),
            "ours={ours}"
        );
        run(&[
            "run",
            "--rm",
            "-v",
            "pv:/d",
            "probe",
            "sh",
            "-c",
            "echo hi > /d/f",
        ]);
        assert_eq!(
            std::fs::read_to_string(vols.join("pv/_data/f")).unwrap(),
            "hi\n"
        );
        assert_eq!(
            run(&["info", "--format", "{{.Store.VolumePath}}"]),
            vols.display().to_string()
        );
        run(&["network", "create", &net]);
        assert!(nets.join(format!("{net}.json")).exists(), "ours={ours}");
        run(&["network", "rm", &net]);
        run(&["volume", "rm", "pv"]);
    }
}

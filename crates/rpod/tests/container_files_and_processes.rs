//! A container's files and processes: cp, diff, commit, top, stats, checkpoint.

mod common;

use std::fs;

use common::*;

fn out_of(e: &Engine, name: &str, path: &str) -> String {
    let dest = e.file(&format!("out-{}", path.replace('/', "_")));
    e.ok(&["cp", &format!("{name}:{path}"), dest.to_str().unwrap()]);
    fs::read_to_string(&dest).unwrap()
}

#[test]
fn cp_copies_files_and_directories_both_ways() {
    let e = Engine::with_image();
    e.sleeper("c");
    let host = e.file("hello.txt");
    fs::write(&host, "hello\n").unwrap();
    // Into an existing directory: keeps its name; to a new path: takes that name.
    e.ok(&["cp", host.to_str().unwrap(), "c:/tmp"]);
    e.ok(&["cp", host.to_str().unwrap(), "c:/tmp/renamed"]);
    assert_eq!(out_of(&e, "c", "/tmp/hello.txt"), "hello\n");
    assert_eq!(out_of(&e, "c", "/tmp/renamed"), "hello\n");
    // A file into a missing directory (trailing slash) is refused.
    let (code, err) = e.fails(&["cp", host.to_str().unwrap(), "c:/nonexistent/"]);
    assert_eq!(code, 125, "{err}");

    // Directories: a new destination becomes the copy, an existing one receives it;
    // DIR/. copies the contents.
    let dir = e.file("tree");
    fs::create_dir_all(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/f"), "x").unwrap();
    e.ok(&["cp", dir.to_str().unwrap(), "c:/srv"]);
    assert_eq!(out_of(&e, "c", "/srv/sub/f"), "x");
    e.ok(&["cp", dir.to_str().unwrap(), "c:/srv"]);
    assert_eq!(out_of(&e, "c", "/srv/tree/sub/f"), "x");
    e.ok(&["cp", &format!("{}/.", dir.display()), "c:/tmp"]);
    assert_eq!(out_of(&e, "c", "/tmp/sub/f"), "x");

    // Out: a directory into a new host path, and into an existing one.
    let back = e.file("back");
    e.ok(&["cp", "c:/srv/tree", back.to_str().unwrap()]);
    assert_eq!(fs::read_to_string(back.join("sub/f")).unwrap(), "x");
    e.ok(&["cp", "c:/srv/tree", back.to_str().unwrap()]);
    assert_eq!(fs::read_to_string(back.join("tree/sub/f")).unwrap(), "x");

    // A directory onto a file is refused; a missing source says so.
    let (code, err) = e.fails(&["cp", "c:/srv", host.to_str().unwrap()]);
    assert_eq!(code, 125, "{err}");
    let (code, err) = e.fails(&["cp", "c:/does/not/exist", back.to_str().unwrap()]);
    assert_eq!(code, 125);
    assert!(err.contains("could not be found"), "{err}");
}

#[test]
fn cp_streams_tar_archives() {
    let e = Engine::with_image();
    e.sleeper("c");
    let out = e.rpod(&["cp", "c:/etc/passwd", "-"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(tar_entry_names(&out.stdout), vec!["passwd"]);
    let input = tar_with_entry("from-tar/file", b"data");
    let out = e.rpod_stdin(&["cp", "-", "c:/tmp"], &input);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(out_of(&e, "c", "/tmp/from-tar/file"), "data");
    // Hostile entries are refused.
    let evil = tar_with_entry("../../../../evil-rpod-cp", b"x");
    let out = e.rpod_stdin(&["cp", "-", "c:/tmp"], &evil);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
}

#[test]
fn cp_stays_inside_the_container_through_symlinks() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "ln -s / /escape; ln -s ../../../../../../../ /rel; ln -s /etc/passwd /pw; sleep 1000",
    ]);
    wait_until("symlinks", POLL_TIMEOUT, || {
        e.rpod(&["cp", "c:/pw", e.file("pw").to_str().unwrap()])
            .status
            .success()
    });
    let marker = format!("rpod-cp-escape-{}", std::process::id());
    let host = e.file(&marker);
    fs::write(&host, "inside").unwrap();
    e.ok(&["cp", host.to_str().unwrap(), "c:/escape/tmp/"]);
    e.ok(&["cp", host.to_str().unwrap(), "c:/rel/tmp/"]);
    assert!(!std::path::Path::new("/tmp").join(&marker).exists());
    assert_eq!(out_of(&e, "c", &format!("/tmp/{marker}")), "inside");
    // Reading through the symlinks reads the container's files.
    assert_eq!(
        out_of(&e, "c", "/rel/etc/passwd"),
        out_of(&e, "c", "/etc/passwd")
    );
    // `cp c:/pw` resolves the link inside the container (as podman does): the
    // host gets the container's file, never a link to a host path.
    let link = e.file("pw-link");
    e.ok(&["cp", "c:/pw", link.to_str().unwrap()]);
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
    assert_eq!(
        fs::read_to_string(&link).unwrap(),
        out_of(&e, "c", "/etc/passwd")
    );
}

#[test]
fn cp_works_on_created_containers_and_unmounts() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "busybox", "cat", "/copied"]);
    let host = e.file("f");
    fs::write(&host, "in a created container\n").unwrap();
    e.ok(&["cp", host.to_str().unwrap(), "c:/copied"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    assert_eq!(out_of(&e, "c", "/copied"), "in a created container\n");
    e.ok(&["start", "c"]);
    e.wait_status("c", "exited");
    assert!(e.logs("c").contains("in a created container"));
}

#[test]
fn diff_lists_added_changed_and_deleted_paths() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo x > /tmp/new; rm /bin/ls; echo y >> /etc/passwd",
    ]);
    let out = e.ok(&["diff", "c"]);
    let lines: Vec<&str> = out.lines().collect();
    for want in [
        "A /tmp/new",
        "D /bin/ls",
        "C /etc/passwd",
        "C /tmp",
        "C /bin",
    ] {
        assert!(lines.contains(&want), "{want} missing in\n{out}");
    }
    assert!(
        !out.contains("/etc/hosts") && !out.contains("/proc"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["diff", "--format", "json", "c"])).unwrap();
    assert!(json["added"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "/tmp/new"));
    assert!(json["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "/bin/ls"));
    let (code, _) = e.fails(&["diff", "nosuch"]);
    assert_eq!(code, 125);
}

#[test]
fn commit_makes_a_runnable_image() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--name",
        "c",
        "--env",
        "FROM_CTR=1",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /data && echo committed > /data/file; rm /bin/ls",
    ]);
    let id = e.ok(&[
        "commit",
        "-q",
        "-m",
        "my message",
        "-a",
        "me",
        "-c",
        "ENV=FOO=bar",
        "-c",
        "CMD [\"cat\", \"/data/file\"]",
        "c",
        "snap",
    ]);
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(e.ok(&["run", "--rm", "snap"]), "committed");
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "snap",
            "sh",
            "-c",
            "echo $FOO $FROM_CTR; ls /bin/ls || echo gone"
        ]),
        "bar 1\ngone"
    );
    let history = e.ok(&["image", "inspect", "snap", "--format", "{{json .History}}"]);
    assert!(
        history.contains("my message") && history.contains("me"),
        "{history}"
    );
    // A running container is paused while committing, and keeps running.
    e.sleeper("s");
    e.ok(&["commit", "-q", "s", "snap2"]);
    assert_eq!(e.status("s"), "running");
    // Bad --change and --rootfs containers are refused.
    let (code, _) = e.fails(&["commit", "-c", "BOGUS=1", "c", "x"]);
    assert_eq!(code, 125);
    let rootfs = e.file("rootfs");
    fs::create_dir_all(&rootfs).unwrap();
    e.ok(&[
        "create",
        "--name",
        "r",
        "--rootfs",
        rootfs.to_str().unwrap(),
        "/bin/true",
    ]);
    let (code, err) = e.fails(&["commit", "r", "x"]);
    assert_eq!(code, 125);
    assert!(err.contains("--rootfs"), "{err}");
}

#[test]
fn top_lists_processes() {
    let e = Engine::with_image();
    e.sleeper("c");
    let out = e.ok(&["top", "c"]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        vec!["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"]
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("root") && row.contains("sleep 1000"),
        "{out}"
    );
    let out = e.ok(&["top", "c", "pid,comm", "%U"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, vec!["PID", "COMMAND", "USER"]);
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .eq(["1", "sleep", "root"]),
        "{out}"
    );
    let (code, err) = e.fails(&["top", "c", "bogus"]);
    assert_eq!(code, 125);
    assert!(err.contains("bogus"), "{err}");
    e.ok(&["create", "--name", "idle", "busybox"]);
    let (code, _) = e.fails(&["top", "idle"]);
    assert_eq!(code, 125);
}

#[test]
fn stats_reports_usage() {
    let e = Engine::with_image();
    e.sleeper("c");
    let out = e.ok(&["stats", "--no-stream"]);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    for col in [
        "ID",
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET IO",
        "BLOCK IO",
        "PIDS",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let row = lines.next().unwrap();
    let cols: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!((cols[1], cols[7]), ("c", "1"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["stats", "--no-stream", "--format", "json", "c"])).unwrap();
    assert_eq!(json[0]["name"], "c");
    assert_eq!(json[0]["pids"], "1");
    assert!(json[0]["mem_usage"].as_str().unwrap().contains(" / "));
    let names = e.ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDs}}",
        "c",
    ]);
    assert_eq!(names, "c 1");
    e.ok(&["create", "--name", "idle", "busybox"]);
    let (code, _) = e.fails(&["stats", "--no-stream", "idle"]);
    assert_eq!(code, 125);
}

#[test]
fn checkpoint_is_refused_with_the_reason_when_criu_cannot_work() {
    let e = Engine::with_image();
    e.sleeper("c");
    let criu_works = std::process::Command::new("criu")
        .arg("check")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if criu_works {
        return; // a working CRIU is exercised elsewhere
    }
    let pid_before = e.inspect_fmt("c", "{{.State.Pid}}");
    let (code, err) = e.fails(&["container", "checkpoint", "c"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("checkpoint of container c is not possible on this host"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(e.status("c"), "running");
    assert_eq!(e.inspect_fmt("c", "{{.State.Pid}}"), pid_before);
    let (code, _) = e.fails(&["container", "restore", "c"]);
    assert_eq!(code, 125);
    assert_eq!(e.status("c"), "running");
}

/// `stats` and `pod stats` flags and tables against podman's: the same
/// columns, `--no-trunc`'s full IDs, `--latest`, a zero interval refused,
/// and `pod stats` listing every container of every pod, infra and
/// stopped ones included.
#[test]
fn stats_and_pod_stats_columns_and_flags_match_podman() {
    let b = Both::new();
    for args in [
        &["pod", "create", "--name", "sp"][..],
        &[
            "run", "-d", "--pod", "sp", "--name", "spc", "probe", "sleep", "1000",
        ],
        &["create", "--pod", "sp", "--name", "idle", "probe", "true"],
        &[
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            "lone",
            "probe",
            "sleep",
            "1000",
        ],
    ] {
        b.e.ok(args);
        b.p.ok(args);
    }
    for args in [
        &["stats", "--no-stream", "lone"][..],
        &["stats", "--no-stream", "-l"],
        &["pod", "stats", "--no-stream"],
        &["pod", "stats", "--no-stream", "-a"],
        &["pod", "stats", "--no-stream", "sp"],
    ] {
        let (ours, theirs) = (b.e.ok(args), b.p.ok(args));
        assert_eq!(table_columns(&ours), table_columns(&theirs), "{args:?}");
        assert_eq!(
            ours.lines().count(),
            theirs.lines().count(),
            "{args:?}\n{ours}\n{theirs}"
        );
    }
    let names = |out: String| -> Vec<String> {
        let mut v: Vec<String> = out
            .lines()
            .map(|l| {
                if l.ends_with("-infra") {
                    "infra".into()
                } else {
                    l.to_string()
                }
            })
            .collect();
        v.sort();
        v
    };
    let args = ["pod", "stats", "--no-stream", "--format", "{{.Name}}"];
    assert_eq!(names(b.e.ok(&args)), names(b.p.ok(&args)));
    let id = b.e.inspect_fmt("lone", "{{.Id}}");
    let ours = b.e.ok(&["stats", "--no-stream", "--no-trunc", "lone"]);
    assert!(
        ours.lines().nth(1).unwrap_or_default().starts_with(&id),
        "{ours}"
    );
    for args in [
        &["stats", "--no-stream", "-i", "0", "lone"][..],
        &["stats", "--no-stream", "-l", "lone"],
    ] {
        assert_eq!(
            b.e.rpod(args).status.code(),
            b.p.run(args).status.code(),
            "{args:?}"
        );
    }
}

/// `commit --iidfile` and `--include-volumes` as podman's: the ID in the
/// file, anonymous volumes always image volumes, named ones only with the
/// flag.
#[test]
fn commit_iidfile_and_include_volumes_as_podman() {
    let b = Both::new();
    let run = [
        "run",
        "--network",
        "none",
        "--name",
        "cv",
        "-v",
        "/data",
        "-v",
        "namedv:/named",
        "probe",
        "true",
    ];
    b.e.ok(&run);
    b.p.ok(&run);
    for (flag, image) in [(None, "novol"), (Some("--include-volumes"), "withvol")] {
        let mut args = vec!["commit", "-q"];
        args.extend(flag);
        args.extend(["cv", image]);
        b.e.ok(&args);
        b.p.ok(&args);
        let fmt = ["inspect", "--format", "{{.Config.Volumes}}", image];
        assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt), "{flag:?}");
    }
    let file = b.e.file("iid");
    let id =
        b.e.ok(&["commit", "-q", "--iidfile", file.to_str().unwrap(), "cv"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), id);
}

/// `cp --archive=false` keeps the copied file's owner; by default it is
/// the container's user, as podman's does.
#[test]
fn cp_archive_decides_the_owner_as_podman() {
    let b = Both::new();
    let src = b.e.file("owned");
    std::fs::write(&src, "hi\n").unwrap();
    std::os::unix::fs::chown(&src, Some(1234), Some(1234)).unwrap();
    let run = [
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "cpc",
        "probe",
        "sleep",
        "1000",
    ];
    b.e.ok(&run);
    b.p.ok(&run);
    let s = src.to_str().unwrap();
    for (flags, dest) in [
        (&[][..], "/f1"),
        (&["-a=false"][..], "/f2"),
        (&["--archive=false"][..], "/f3"),
    ] {
        let mut args = vec!["cp"];
        args.extend_from_slice(flags);
        let target = format!("cpc:{dest}");
        args.extend([s, target.as_str()]);
        b.e.ok(&args);
        b.p.ok(&args);
        let stat = ["exec", "cpc", "stat", "-c", "%u:%g", dest];
        assert_eq!(b.e.ok(&stat), b.p.ok(&stat), "{flags:?}");
    }
    assert_eq!(b.e.ok(&["exec", "cpc", "stat", "-c", "%u", "/f2"]), "1234");
}

/// `commit --format docker` records Docker's manifest type, the default
/// OCI's, as podman's; a bad format is podman's error.
#[test]
fn commit_format_picks_the_manifest_type_as_podman() {
    let b = Both::new();
    let run = [
        "run",
        "--network",
        "none",
        "--name",
        "cf",
        "probe",
        "sh",
        "-c",
        "echo x > /made",
    ];
    b.e.ok(&run);
    b.p.ok(&run);
    for (flags, image) in [
        (&[][..], "asoci"),
        (&["-f", "docker"][..], "asdocker"),
        (&["--format=oci"][..], "asoci2"),
    ] {
        let mut args = vec!["commit", "-q"];
        args.extend_from_slice(flags);
        args.extend(["cf", image]);
        b.e.ok(&args);
        b.p.ok(&args);
        let fmt = ["image", "inspect", "--format", "{{.ManifestType}}", image];
        assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt), "{flags:?}");
        assert_eq!(
            b.e.ok(&["run", "--rm", "--network", "none", image, "cat", "/made"]),
            "x"
        );
    }
    let args = ["commit", "-f", "bogus", "cf", "x"];
    let (ours, theirs) = (b.e.rpod(&args), b.p.run(&args));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_eq!(
        String::from_utf8_lossy(&ours.stderr).trim(),
        String::from_utf8_lossy(&theirs.stderr).trim()
    );
}

/// `commit --squash`: one layer with the whole file system and one history
/// entry, as podman's.
#[test]
fn commit_squash_makes_one_layer_as_podman() {
    let b = Both::new();
    let run = [
        "run",
        "--network",
        "none",
        "--name",
        "sq",
        "probe",
        "sh",
        "-c",
        "echo x > /made; rm /bin/true",
    ];
    b.e.ok(&run);
    b.p.ok(&run);
    let commit = ["commit", "-q", "-s", "sq", "localhost/squashed"];
    b.e.ok(&commit);
    b.p.ok(&commit);
    let fmt = [
        "inspect",
        "--format",
        "{{len .RootFS.Layers}} {{len .History}}",
        "localhost/squashed",
    ];
    assert_eq!(b.e.ok(&fmt), "1 1");
    assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt));
    let check = [
        "run",
        "--rm",
        "--network",
        "none",
        "localhost/squashed",
        "sh",
        "-c",
        "cat /made; test -e /bin/true || echo gone",
    ];
    assert_eq!(b.e.ok(&check), "x\ngone");
    assert_eq!(b.e.ok(&check), b.p.ok(&check));
    assert!(
        b.e.leftover_mounts().is_empty(),
        "{:?}",
        b.e.leftover_mounts()
    );
}

#[test]
fn cp_overwrite_and_between_containers_as_podman() {
    let b = Both::new();
    let d = b.e.file("ow");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("x"), "file\n").unwrap();
    let contents = format!("{}/.", d.display());
    let names = |o: &std::process::Output| -> String {
        let mut t = std::process::Command::new("tar")
            .arg("-t")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        t.stdin.take().unwrap().write_all(&o.stdout).unwrap();
        String::from_utf8_lossy(&t.wait_with_output().unwrap().stdout)
            .trim()
            .to_string()
    };
    let steps = |run: &dyn Fn(&[&str]) -> std::process::Output| -> Vec<String> {
        let mut seen = Vec::new();
        let mut step = |args: &[&str], tar: bool| {
            let out = run(args);
            let listed = if tar && out.status.success() {
                names(&out)
            } else {
                String::new()
            };
            seen.push(format!("{args:?} -> {:?} {listed}", out.status.code()));
        };
        step(
            &[
                "run",
                "--name",
                "ow1",
                "probe",
                "mkdir",
                "-p",
                "/target/x/inner",
            ],
            false,
        );
        // A file where a directory is: refused, replaced with --overwrite.
        step(&["cp", &contents, "ow1:/target"], false);
        step(&["cp", "--overwrite", &contents, "ow1:/target"], false);
        step(&["cp", "ow1:/target/x", "-"], true);
        // Between two containers, into a directory and to a new name.
        step(&["create", "--name", "c2", "probe", "true"], false);
        step(&["cp", "ow1:/etc/passwd", "c2:/tmp/"], false);
        step(&["cp", "c2:/tmp/passwd", "-"], true);
        step(&["cp", "ow1:/target", "c2:/copied"], false);
        step(&["cp", "c2:/copied/x", "-"], true);
        step(&["rm", "ow1", "c2"], false);
        seen
    };
    let mine = steps(&|a| b.e.rpod(a));
    let theirs = steps(&|a| b.p.run(a));
    assert_eq!(mine, theirs, "rpod (left) vs podman (right)");
    assert!(
        mine[1].contains("Some(125)") && mine[2].contains("Some(0)"),
        "{mine:?}"
    );
}

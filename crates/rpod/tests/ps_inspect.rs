//! `ps` listings and filters; container `inspect`.

mod common;

use common::*;

/// Two containers: `up` running (label app=web) and `done` exited with 3.
fn two(e: &Engine) -> (String, String) {
    let up = e.ok(&[
        "run", "-d", "--name", "up", "-l", "app=web", "busybox", "sleep", "1000",
    ]);
    let out = e.rpod(&[
        "run", "--name", "done", "-l", "app=db", "busybox", "sh", "-c", "exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let done = e.inspect_fmt("done", "{{.Id}}");
    (up, done)
}

fn names(e: &Engine, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["ps", "--format", "{{.Names}}"];
    args.extend_from_slice(extra);
    let mut v: Vec<String> = e.ok(&args).lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn ps_shows_running_and_all_shows_exited() {
    let e = Engine::with_image();
    two(&e);
    assert_eq!(names(&e, &[]), vec!["up"]);
    assert_eq!(names(&e, &["-a"]), vec!["done", "up"]);
}

#[test]
fn ps_default_table_has_header_and_columns() {
    let e = Engine::with_image();
    two(&e);
    let out = e.ok(&["ps", "-a"]);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    for col in [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "NAMES",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(out.contains("Exited (3)"), "{out}");
    assert!(out.contains("Up "), "{out}");
}

#[test]
fn ps_quiet_prints_short_ids_oldest_first_as_podman_does() {
    let e = Engine::with_image();
    let (up, done) = two(&e);
    let out = e.ok(&["ps", "-a", "-q"]);
    assert_eq!(out, format!("{}\n{}", &up[..12], &done[..12]));
    let full = e.ok(&["ps", "-a", "-q", "--no-trunc"]);
    assert_eq!(full, format!("{up}\n{done}"));
}

#[test]
fn ps_latest_and_last() {
    let e = Engine::with_image();
    two(&e);
    e.ok(&["create", "--name", "newest", "busybox", "true"]);
    assert_eq!(e.ok(&["ps", "-l", "--format", "{{.Names}}"]), "newest");
    // The two newest, shown oldest first as podman shows them.
    assert_eq!(
        e.ok(&["ps", "-n", "2", "--format", "{{.Names}}"]),
        "done\nnewest"
    );
}

#[test]
fn ps_no_trunc_shows_full_id_and_command() {
    let e = Engine::with_image();
    let id = e.ok(&[
        "create",
        "--name",
        "long",
        "busybox",
        "sh",
        "-c",
        "echo a very long command line indeed",
    ]);
    let short = e.ok(&["ps", "-a", "--format", "{{.ID}} {{.Command}}"]);
    assert!(short.starts_with(&format!("{} ", &id[..12])), "{short}");
    assert!(short.contains("..."), "{short}");
    let long = e.ok(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Command}}"]);
    assert_eq!(
        long,
        format!("{id} sh -c echo a very long command line indeed")
    );
}

#[test]
fn ps_size_adds_a_size_column() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--name",
        "s",
        "busybox",
        "sh",
        "-c",
        "dd if=/dev/zero of=/big bs=1024 count=100 2>/dev/null",
    ]);
    let out = e.ok(&["ps", "-a", "-s"]);
    assert!(out.lines().next().unwrap().contains("SIZE"), "{out}");
    assert!(out.contains("virtual"), "{out}");
}

#[test]
fn ps_filter_by_id_name_label() {
    let e = Engine::with_image();
    let (up, _done) = two(&e);
    assert_eq!(
        names(&e, &["-a", "--filter", &format!("id={}", &up[..8])]),
        vec!["up"]
    );
    assert_eq!(names(&e, &["-a", "--filter", "name=don"]), vec!["done"]);
    assert_eq!(names(&e, &["-a", "--filter", "label=app=db"]), vec!["done"]);
    assert_eq!(
        names(&e, &["-a", "--filter", "label=app"]),
        vec!["done", "up"]
    );
    assert!(names(&e, &["-a", "--filter", "label=app=none"]).is_empty());
}

#[test]
fn ps_filter_by_status_and_exited() {
    let e = Engine::with_image();
    two(&e);
    e.ok(&["create", "--name", "fresh", "busybox", "true"]);
    assert_eq!(names(&e, &["--filter", "status=exited"]), vec!["done"]);
    assert_eq!(names(&e, &["--filter", "status=running"]), vec!["up"]);
    assert_eq!(names(&e, &["--filter", "status=created"]), vec!["fresh"]);
    // exited= does not list stopped containers without -a (Podman's rule).
    assert!(names(&e, &["--filter", "exited=3"]).is_empty());
    assert_eq!(names(&e, &["-a", "--filter", "exited=3"]), vec!["done"]);
    assert!(names(&e, &["-a", "--filter", "exited=0"]).is_empty());
}

#[test]
fn ps_filter_by_ancestor() {
    let e = Engine::with_image();
    two(&e);
    let tar = e.busybox_tar();
    e.ok(&[
        "import",
        "--change",
        "CMD=true",
        tar.to_str().unwrap(),
        "other",
    ]);
    e.ok(&["create", "--name", "o", "other"]);
    assert_eq!(
        names(&e, &["-a", "--filter", "ancestor=localhost/other"]),
        vec!["o"]
    );
    assert_eq!(
        names(&e, &["-a", "--filter", "ancestor=other:latest"]),
        vec!["o"]
    );
    assert_eq!(
        names(&e, &["-a", "--filter", "ancestor=localhost/busybox:latest"]),
        vec!["done", "up"]
    );
}

#[test]
fn ps_repeated_filter_keys_or_and_different_keys_and() {
    let e = Engine::with_image();
    two(&e);
    assert_eq!(
        names(&e, &["-a", "--filter", "name=up", "--filter", "name=done"]),
        vec!["done", "up"]
    );
    assert!(names(
        &e,
        &["-a", "--filter", "name=up", "--filter", "status=exited"]
    )
    .is_empty());
}

#[test]
fn ps_unknown_filter_is_refused() {
    let e = Engine::with_image();
    two(&e);
    let (code, err) = e.fails(&["ps", "--filter", "color=blue"]);
    assert_eq!(code, 125);
    assert!(err.contains("color"), "{err}");
}

#[test]
fn ps_format_json_is_an_array_with_id_names_state() {
    let e = Engine::with_image();
    let (up, done) = two(&e);
    let out = e.ok(&["ps", "-a", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out}"));
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    let by_id = |id: &str| {
        arr.iter()
            .find(|x| x["Id"] == id)
            .unwrap_or_else(|| panic!("{id} not in {out}"))
            .clone()
    };
    let u = by_id(&up);
    assert_eq!(u["Names"], serde_json::json!(["up"]));
    assert_eq!(u["State"], "running");
    let d = by_id(&done);
    assert_eq!(d["State"], "exited");
    assert_eq!(d["ExitCode"], 3);
}

#[test]
fn ps_format_json_with_no_containers_is_empty_array() {
    let e = Engine::new();
    let out = e.ok(&["ps", "-a", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out:?}"));
    assert_eq!(v, serde_json::json!([]));
}

#[test]
fn ps_format_template() {
    let e = Engine::with_image();
    let (up, _) = two(&e);
    let out = e.ok(&["ps", "--format", "{{.ID}} {{.Names}}"]);
    assert_eq!(out, format!("{} up", &up[..12]));
}

#[test]
fn ps_format_table_prints_a_header() {
    let e = Engine::with_image();
    two(&e);
    let out = e.ok(&["ps", "-a", "--format", "table {{.Names}}"]);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0].to_uppercase(), "NAMES", "{out}");
}

#[test]
fn ps_format_bad_template_is_an_error() {
    let e = Engine::with_image();
    two(&e);
    let (code, err) = e.fails(&["ps", "--format", "{{.Nope"]);
    assert_eq!(code, 125);
    assert!(!err.is_empty());
}

#[test]
fn inspect_state_fields_of_a_running_container() {
    let e = Engine::with_image();
    e.sleeper("r");
    let doc = e.inspect("r");
    let st = &doc["State"];
    assert_eq!(st["Status"], "running");
    assert_eq!(st["Running"], true);
    assert_eq!(st["Paused"], false);
    assert_eq!(st["OOMKilled"], false);
    assert!(st["Pid"].as_i64().unwrap() > 0, "{st}");
    assert!(pid_alive(st["Pid"].as_i64().unwrap() as i32));
    assert_eq!(st["ExitCode"], 0);
    assert!(
        !st["StartedAt"].as_str().unwrap().starts_with("0001"),
        "{st}"
    );
    assert!(
        st["FinishedAt"].as_str().unwrap().starts_with("0001"),
        "{st}"
    );
    // Podman has RestartCount at the top level only.
    assert!(st.get("RestartCount").is_none(), "{st}");
    assert!(st["ConmonPid"].as_i64().unwrap() > 0);
}

#[test]
fn inspect_state_fields_of_an_exited_container() {
    let e = Engine::with_image();
    let _ = e.rpod(&["run", "--name", "x", "busybox", "sh", "-c", "exit 2"]);
    let st = e.inspect("x")["State"].clone();
    assert_eq!(st["Status"], "exited");
    assert_eq!(st["Running"], false);
    assert_eq!(st["ExitCode"], 2);
    assert_eq!(st["Pid"], 0);
    let started = chrono_like(st["StartedAt"].as_str().unwrap());
    let finished = chrono_like(st["FinishedAt"].as_str().unwrap());
    assert!(!finished.starts_with("0001"));
    assert!(
        finished >= started,
        "FinishedAt {finished} before StartedAt {started}"
    );
}

/// RFC 3339 UTC timestamps with nanoseconds compare as strings once the
/// fraction is padded to the same width.
fn chrono_like(s: &str) -> String {
    let (main, rest) = s.split_once('.').unwrap_or((s.trim_end_matches('Z'), "Z"));
    let frac = rest.trim_end_matches('Z');
    format!("{main}.{frac:0<9}")
}

#[test]
fn inspect_format_state_status() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "busybox", "true"]);
    // As podman: a container not yet in the runtime is "created" too.
    assert_eq!(e.inspect_fmt("c", "{{.State.Status}}"), "created");
    assert_eq!(
        e.ok(&["container", "inspect", "--format", "{{.Name}}", "c"]),
        "c"
    );
}

#[test]
fn inspect_size_has_sizerw_and_sizerootfs() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "--name",
        "s",
        "busybox",
        "sh",
        "-c",
        "dd if=/dev/zero of=/big bs=1024 count=64 2>/dev/null",
    ]);
    let out = e.ok(&["inspect", "-s", "s"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rw = v[0]["SizeRw"]
        .as_u64()
        .unwrap_or_else(|| panic!("no SizeRw: {out}"));
    let rootfs = v[0]["SizeRootFs"]
        .as_u64()
        .unwrap_or_else(|| panic!("no SizeRootFs: {out}"));
    assert!(rw >= 64 * 1024, "SizeRw {rw}");
    assert!(rootfs >= rw, "SizeRootFs {rootfs} < SizeRw {rw}");
    let plain = e.inspect("s");
    assert!(plain.get("SizeRw").is_none());
}

#[test]
fn inspect_hostconfig_mounts_graphdriver() {
    let e = Engine::with_image();
    let host = e.file("d");
    std::fs::create_dir(&host).unwrap();
    let vol = format!("{}:/d", host.display());
    e.ok(&[
        "create",
        "--name",
        "h",
        "--memory",
        "32m",
        "--pids-limit",
        "20",
        "--shm-size",
        "1m",
        "-v",
        &vol,
        "--tmpfs",
        "/t",
        "busybox",
        "true",
    ]);
    let doc = e.inspect("h");
    let hc = &doc["HostConfig"];
    assert_eq!(hc["Memory"], 32 * 1024 * 1024);
    assert_eq!(hc["PidsLimit"], 20);
    assert_eq!(hc["ShmSize"], 1024 * 1024);
    assert!(hc["Tmpfs"].get("/t").is_some(), "{hc}");
    assert_eq!(doc["Mounts"].as_array().unwrap().len(), 1);
    let gd = doc["GraphDriver"]["Name"].as_str().unwrap();
    assert!(gd == "overlay" || gd == "vfs", "{gd}");
    assert_eq!(doc["Name"], "h");
    assert_eq!(doc["ImageName"], "localhost/busybox:latest");
}

#[test]
fn inspect_multiple_gives_an_array() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "a", "busybox", "true"]);
    e.ok(&["create", "--name", "b", "busybox", "true"]);
    let out = e.ok(&["inspect", "a", "b"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn inspect_type_selects_object_kind() {
    let e = Engine::with_image();
    // A name that cannot be an ID prefix of the image.
    e.ok(&["create", "--name", "ctr-x", "busybox", "true"]);
    let (code, _) = e.fails(&["inspect", "--type", "image", "ctr-x"]);
    assert_eq!(code, 125);
    let (code, _) = e.fails(&["inspect", "--type", "container", "busybox"]);
    assert_eq!(code, 125);
    let (code, err) = e.fails(&["inspect", "--type", "volume", "ctr-x"]);
    assert_eq!(code, 125);
    assert!(err.contains("volume"), "{err}");
}

#[test]
fn inspect_unknown_object_fails_with_no_such() {
    let e = Engine::new();
    let (code, err) = e.fails(&["inspect", "nothere"]);
    assert_eq!(code, 125);
    assert!(err.to_lowercase().contains("no such"), "{err}");
}

#[test]
fn ps_filter_by_ancestor_short_name() {
    let e = Engine::with_image();
    two(&e);
    assert_eq!(
        names(&e, &["-a", "--filter", "ancestor=busybox"]),
        vec!["done", "up"]
    );
}

#[test]
fn ps_filter_by_ancestor_image_id_prefix() {
    let e = Engine::with_image();
    two(&e);
    let id = e.ok(&["images", "-q"]);
    assert_eq!(
        names(&e, &["-a", "--filter", &format!("ancestor={id}")]),
        vec!["done", "up"]
    );
}

#[test]
fn ps_unknown_filter_is_refused_without_containers() {
    let e = Engine::new();
    let (code, err) = e.fails(&["ps", "-a", "--filter", "color=blue"]);
    assert_eq!(code, 125);
    assert!(err.contains("color"), "{err}");
}

/// `ps`'s order (oldest first), every `--sort` key, `-p`'s pod columns and
/// `--ns`'s namespace columns, against podman on the same containers.
#[test]
fn ps_sorts_and_pod_and_namespace_columns_match_podman() {
    let b = Both::new();
    let both = |args: &[&str]| {
        b.e.ok(args);
        b.p.ok(args);
    };
    for n in ["zz", "aa", "mm"] {
        both(&[
            "create",
            "--network",
            "none",
            "--name",
            n,
            "probe",
            "echo",
            n,
        ]);
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    both(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "up",
        "probe",
        "sleep",
        "1000",
    ]);
    let keys = podman_sort_keys(&b.p.ok(&["ps", "--help"]));
    assert!(keys.len() >= 8, "{keys:?}");
    for key in &keys {
        if key == "id" {
            // IDs differ between the engines: both ascending.
            let args = ["ps", "-a", "--sort", "id", "--format", "{{.ID}}"];
            for out in [b.e.ok(&args), b.p.ok(&args)] {
                let ids: Vec<&str> = out.lines().collect();
                let mut sorted = ids.clone();
                sorted.sort_unstable();
                assert_eq!(ids, sorted);
            }
            continue;
        }
        let args = ["ps", "-a", "--sort", key, "--format", "{{.Names}}"];
        assert_eq!(b.e.ok(&args), b.p.ok(&args), "--sort {key}");
    }
    let (ours, theirs) = (
        b.e.rpod(&["ps", "-a", "--sort", "bogus"]),
        b.p.run(&["ps", "-a", "--sort", "bogus"]),
    );
    assert_eq!(ours.status.code(), theirs.status.code());
    assert!(!ours.status.success());
    // The first line of each table; then each running container's
    // namespaces are those of its process.
    for args in [
        &["ps", "-a", "-p"][..],
        &["ps", "--ns"],
        &["ps", "-a", "-p", "-s"],
    ] {
        assert_eq!(
            table_columns(&b.e.ok(args)),
            table_columns(&b.p.ok(args)),
            "{args:?}"
        );
    }
    let pid = b.e.inspect_fmt("up", "{{.State.Pid}}");
    let net = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
    let shown =
        b.e.ok(&["ps", "--ns", "--format", "net:[{{.Namespaces.NET}}]"]);
    assert_eq!(shown, net.display().to_string());
    let fields = "{{.Namespaces.MNT}} {{.Namespaces.Cgroup}} {{.Namespaces.IPC}} {{.Namespaces.PIDNS}} {{.Namespaces.UTS}} {{.Namespaces.User}}";
    let count = |s: String| s.split(' ').filter(|f| f.parse::<u64>().is_ok()).count();
    assert_eq!(count(b.e.ok(&["ps", "--ns", "--format", fields])), 6);
    assert_eq!(count(b.p.ok(&["ps", "--ns", "--format", fields])), 6);
    // Without --ns the JSON's Namespaces is empty, as podman's.
    let ours: serde_json::Value =
        serde_json::from_str(&b.e.ok(&["ps", "--format", "json"])).unwrap();
    assert_eq!(ours[0]["Namespaces"], serde_json::json!({}));
}

/// The keys podman's `ps --help` lists for `--sort`.
fn podman_sort_keys(help: &str) -> Vec<String> {
    let line = help
        .lines()
        .find(|l| l.contains("Sort output by:"))
        .unwrap_or_default()
        .to_string();
    line.split_once("Sort output by:")
        .map(|(_, list)| list.split(',').map(|k| k.trim().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn external_flags_add_storage_only_containers_as_podman_does() {
    let b = Both::new();
    for engine in ["rpod", "podman"] {
        let args = [
            "create",
            "--name",
            "made",
            "--network",
            "none",
            "probe",
            "true",
        ];
        if engine == "rpod" {
            b.e.ok(&args);
        } else {
            b.p.ok(&args);
        }
    }
    // No build is running: --external adds nothing, and does not imply -a.
    for args in [
        &["ps", "--external", "--format", "{{.Names}} {{.State}}"][..],
        &[
            "ps",
            "-a",
            "--external",
            "--format",
            "{{.Names}} {{.State}}",
        ],
        &[
            "container",
            "list",
            "-a",
            "--external",
            "--format",
            "{{.Names}}",
        ],
    ] {
        assert_eq!(b.e.ok(args), b.p.ok(args), "{args:?}");
    }
    for (name, code) in [("made", 0), ("nothere", 1)] {
        let args = ["container", "exists", "--external", name];
        assert_eq!(b.e.rpod(&args).status.code(), Some(code), "{name}");
        assert_eq!(b.p.run(&args).status.code(), Some(code), "{name}");
    }
    let args = ["image", "prune", "--external", "-f"];
    assert_eq!(b.e.ok(&args), b.p.ok(&args));
}

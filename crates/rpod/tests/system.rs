//! version, info, system df/prune/reset, completion.

mod common;

use common::*;

#[test]
fn version_prints_the_client_version() {
    let e = Engine::new();
    let v = e.ok(&["version", "--format", "{{.Client.Version}}"]);
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    let plain = e.ok(&["version"]);
    assert!(plain.contains("Version:") && plain.contains(&v), "{plain}");
    let json = e.ok(&["version", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["Client"]["Version"], v);
}

#[test]
fn info_format_podman_template() {
    let e = Engine::new();
    assert_eq!(
        e.ok(&["info", "--format", "{{.Host.OciRuntime.Name}}"]),
        "runc"
    );
    assert_eq!(
        e.ok(&["system", "info", "--format", "{{.Host.OciRuntime.Name}}"]),
        "runc"
    );
}

#[test]
fn info_names_runc_and_the_test_store() {
    let e = Engine::with_image();
    assert_eq!(
        e.ok(&["info", "--format", "{{.Host.OciRuntime.Name}}"]),
        "runc"
    );
    let info = e.ok(&["info"]);
    let v: serde_json::Value =
        serde_json::from_str(&info).unwrap_or_else(|err| panic!("{err}: {info}"));
    let text = v.to_string();
    assert!(
        text.contains(e.root().to_str().unwrap()),
        "root missing: {info}"
    );
    assert!(
        text.contains(e.runroot().to_str().unwrap()),
        "runroot missing: {info}"
    );
    assert!(
        !text.contains("/var/lib/rpod"),
        "default root leaked: {info}"
    );
    assert_eq!(v["host"]["ociRuntime"]["name"], "runc", "{info}");
    assert_eq!(
        v["store"]["graphRoot"],
        e.root().to_str().unwrap(),
        "{info}"
    );
    assert_eq!(
        v["store"]["runRoot"],
        e.runroot().to_str().unwrap(),
        "{info}"
    );
}

#[test]
fn system_df_lists_images_and_containers() {
    let e = Engine::with_image();
    e.sleeper("a");
    e.ok(&["create", "--name", "b", "busybox", "true"]);
    let out = e.ok(&["system", "df"]);
    assert!(out.lines().next().unwrap().contains("TYPE"), "{out}");
    assert!(out.contains("Images"), "{out}");
    assert!(out.contains("Containers"), "{out}");
    let json = e.ok(&["system", "df", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|err| panic!("{err}: {json}"));
    assert!(v.is_array(), "{json}");
    let text = e.ok(&[
        "system",
        "df",
        "--format",
        "{{.Type}} {{.Total}} {{.Active}}",
    ]);
    assert!(text.contains("Containers 2 1"), "{text}");
    assert!(text.contains("Images 1 1"), "{text}");
}

#[test]
fn system_prune_removes_stopped_containers_and_dangling_images() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "done", "busybox", "true"]);
    e.sleeper("alive");
    let dangling = e.ok(&[
        "import",
        "-q",
        "--change",
        "CMD=true",
        e.busybox_tar().to_str().unwrap(),
    ]);
    let out = e.ok(&["system", "prune", "-f"]);
    assert!(
        out.contains("Deleted Containers") && out.contains("Deleted Images"),
        "{out}"
    );
    assert!(!e.exists("done"));
    assert!(e.exists("alive"));
    assert!(!e.ok(&["images", "-q"]).contains(&dangling[..12]));
    assert_eq!(
        e.rpod(&["image", "exists", "busybox"]).status.code(),
        Some(0)
    );
}

#[test]
fn system_prune_all_removes_unused_images() {
    let e = Engine::with_image();
    e.ok(&["system", "prune", "-a", "-f"]);
    assert_eq!(e.ok(&["images", "-q"]), "");
}

#[test]
fn system_reset_empties_the_root() {
    let e = Engine::with_image();
    e.sleeper("a");
    e.ok(&["create", "--name", "b", "busybox", "true"]);
    e.ok(&["system", "reset", "-f"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    let left: Vec<_> = std::fs::read_dir(e.root())
        .map(|d| d.flatten().map(|x| x.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "root not empty after reset: {left:?}");
    // The engine still works afterwards.
    assert_eq!(e.ok(&["ps", "-a", "-q"]), "");
    assert_eq!(e.ok(&["images", "-q"]), "");
}

#[test]
fn completion_scripts_are_generated() {
    let e = Engine::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = e.ok(&["completion", shell]);
        assert!(out.len() > 100, "{shell}: {out}");
        assert!(out.contains("rpod"), "{shell}");
    }
    let (code, _) = e.fails(&["completion", "tcsh-ish"]);
    assert_eq!(code, 125);
}

#[test]
fn nothing_is_written_outside_the_given_roots() {
    let e = Engine::with_image();
    e.ok(&["run", "--rm", "busybox", "true"]);
    assert!(e.path().join("root/rpod.db").exists());
    assert!(e.runroot().join("alive").exists());
}

/// `system df`'s table as podman prints it (empty stores: every figure
/// the same), byte for byte.
#[test]
fn system_df_table_matches_podman() {
    let e = Engine::new();
    let p = Podman::new(&e);
    assert_eq!(e.ok(&["system", "df"]), p.ok(&["system", "df"]));
}

/// The prunes against podman on the same objects: the prompt without
/// `-f` (answered no: nothing goes), `--filter label=`/`label!=`/`until=`,
/// created containers pruned and pod members kept, refused filter keys,
/// and `system prune`'s sections with `--volumes`.
#[test]
fn prunes_prompt_filter_and_report_as_podman_does() {
    let b = Both::new();
    let both = |args: &[&str]| {
        b.e.ok(args);
        b.p.ok(args);
    };
    both(&[
        "create",
        "--network",
        "none",
        "--name",
        "keep",
        "--label",
        "k=v",
        "probe",
        "true",
    ]);
    both(&[
        "create",
        "--network",
        "none",
        "--name",
        "other",
        "probe",
        "true",
    ]);
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
    both(&["volume", "create", "--label", "k=v", "vlab"]);
    both(&["volume", "create", "vplain"]);
    // podman's networks are the host's: a name of this run's own.
    let nlab = format!("nlab{}", std::process::id());
    both(&["network", "create", "--label", "k=v", &nlab]);
    let names = |ours: bool, args: &[&str]| -> String {
        let out = if ours { b.e.ok(args) } else { b.p.ok(args) };
        let mut v: Vec<&str> = out.lines().collect();
        v.sort_unstable();
        v.join(",")
    };
    let state = |ours: bool| {
        [
            names(ours, &["ps", "-a", "--format", "{{.Names}}"]),
            names(ours, &["volume", "ls", "--format", "{{.Name}}"]),
            // The default networks' names differ (podman, rpod).
            names(
                ours,
                &[
                    "network",
                    "ls",
                    "--filter",
                    "label=k=v",
                    "--format",
                    "{{.Name}}",
                ],
            ),
        ]
        .join(" | ")
    };
    let same = |args: &[&str], input: &[u8]| {
        let ours = b.e.rpod_stdin(args, input);
        let theirs = run_with_timeout(b.p.cmd(args), Some(input), COMMAND_TIMEOUT);
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{args:?}: {}",
            describe(&ours)
        );
        (ours, theirs)
    };
    // Answered "n": the same warning, nothing removed.
    for args in [
        &["container", "prune"][..],
        &["image", "prune"],
        &["image", "prune", "-a"],
        &["network", "prune"],
        &["pod", "prune"],
        &["system", "prune"],
        &["system", "prune", "-a", "--volumes"],
    ] {
        let (ours, theirs) = same(args, b"n\n");
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{args:?}"
        );
    }
    // volume prune lists the volumes it would remove (in podman's order).
    let (ours, theirs) = same(&["volume", "prune"], b"n\n");
    let sorted = |o: &std::process::Output| {
        let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&ours), sorted(&theirs));
    assert_eq!(state(true), state(false));
    // Bad keys: podman's exit code, each resource's words.
    for args in [
        &["container", "prune", "-f", "--filter", "name=x"][..],
        &["volume", "prune", "-f", "--filter", "bogus=1"],
        &["network", "prune", "-f", "--filter", "bogus=1"],
        &["image", "prune", "-f", "--filter", "bogus=1"],
        &["system", "prune", "-f", "--filter", "bogus=1"],
    ] {
        let (ours, theirs) = same(args, b"");
        assert_eq!(ours.status.code(), Some(125), "{args:?}");
        let msg = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).trim().to_string();
        assert_eq!(msg(&ours), msg(&theirs), "{args:?}");
    }
    // Filters select; an `until` in the past selects nothing.
    for args in [
        &["container", "prune", "-f", "--filter", "until=2000-01-01"][..],
        &["container", "prune", "-f", "--filter", "label=k=v"],
        &["volume", "prune", "-f", "--filter", "label!=k=v"],
        &["volume", "prune", "-f", "--filter", "label=nothere"],
        &["network", "prune", "-f", "--filter", "label=k=v"],
    ] {
        let (ours, theirs) = same(args, b"");
        let printed = |ours: bool, o: &std::process::Output| -> usize {
            let _ = ours;
            String::from_utf8_lossy(&o.stdout).lines().count()
        };
        assert_eq!(printed(true, &ours), printed(false, &theirs), "{args:?}");
        assert_eq!(state(true), state(false), "after {args:?}");
    }
    // system prune: the rest, in podman's sections.
    let (ours, theirs) = same(&["system", "prune", "-f", "--volumes"], b"");
    let sections = |o: &std::process::Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("Deleted ") || l.starts_with("Total "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        sections(&ours),
        sections(&theirs),
        "system prune: rpod (left) vs podman (right)\n{}\n{}",
        describe(&ours),
        describe(&theirs)
    );
    assert_eq!(state(true), state(false));
    assert!(!b
        .p
        .ok(&["network", "ls", "--format", "{{.Name}}"])
        .contains(&nlab));
}

/// The global `--log-level` (podman's levels; `debug` says what the engine
/// does, `error` silences warnings, a bad one is podman's message and exit
/// code) and `--runtime-flag` (reaches the OCI runtime: an unknown flag
/// makes runc refuse, as with podman).
#[test]
fn log_level_and_runtime_flag_as_podman() {
    let b = Both::new();
    let (ours, theirs) = (
        b.e.rpod(&["--log-level", "bogus", "ps"]),
        b.p.run(&["--log-level", "bogus", "ps"]),
    );
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_eq!(
        String::from_utf8_lossy(&ours.stderr).trim(),
        String::from_utf8_lossy(&theirs.stderr).trim()
    );
    let out = b.e.rpod(&[
        "--log-level",
        "debug",
        "run",
        "--rm",
        "--network",
        "none",
        "probe",
        "true",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in ["level=debug", "Starting container", "state database"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let quiet = b.e.rpod(&[
        "--log-level=error",
        "run",
        "--rm",
        "--network",
        "none",
        "probe",
        "true",
    ]);
    assert!(
        quiet.status.success() && quiet.stderr.is_empty(),
        "{}",
        describe(&quiet)
    );
    // A warning shows by default and not at --log-level error: a blkio
    // weight this host cannot apply, or none on hosts that can.
    let args = [
        "create",
        "--blkio-weight",
        "300",
        "--network",
        "none",
        "probe",
        "true",
    ];
    let default = b.e.rpod(&args);
    let mut silenced = vec!["--log-level", "error"];
    silenced.extend(args);
    let silenced = b.e.rpod(&silenced);
    assert!(default.status.success() && silenced.status.success());
    assert!(silenced.stderr.is_empty(), "{}", describe(&silenced));
    // --runtime-flag reaches runc.
    b.e.ok(&[
        "--runtime-flag",
        "debug",
        "run",
        "--rm",
        "--network",
        "none",
        "probe",
        "true",
    ]);
    let args = [
        "--runtime-flag",
        "no-such-flag",
        "run",
        "--rm",
        "--network",
        "none",
        "probe",
        "true",
    ];
    let (ours, theirs) = (b.e.rpod(&args), b.p.run(&args));
    assert!(!ours.status.success() && !theirs.status.success());
    assert!(
        String::from_utf8_lossy(&ours.stderr).contains("no-such-flag"),
        "{}",
        describe(&ours)
    );
}

/// `system df -v`: podman's three tables with the same columns, every
/// image, container and volume listed; the summary counts volumes.
#[test]
fn system_df_verbose_lists_what_podman_lists() {
    let b = Both::new();
    for args in [
        &["volume", "create", "dfv"][..],
        &[
            "run",
            "--network",
            "none",
            "--name",
            "dfc",
            "-v",
            "dfv:/data",
            "probe",
            "sh",
            "-c",
            "echo x > /data/f",
        ],
    ] {
        b.e.ok(args);
        b.p.ok(args);
    }
    let headings = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| {
                l.ends_with("usage:")
                    || l.starts_with("REPOSITORY")
                    || l.starts_with("CONTAINER ID")
                    || l.starts_with("VOLUME NAME")
            })
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    let (ours, theirs) = (
        b.e.ok(&["system", "df", "-v"]),
        b.p.ok(&["system", "df", "-v"]),
    );
    assert_eq!(headings(&ours), headings(&theirs));
    assert!(
        ours.lines()
            .any(|l| l.starts_with("dfv ") && l.contains(" 1 ")),
        "{ours}"
    );
    assert!(
        ours.lines().any(|l| l.trim_end().ends_with("dfc")),
        "{ours}"
    );
    assert!(
        ours.lines().any(|l| l.starts_with("localhost/probe")),
        "{ours}"
    );
    let fmt = [
        "system",
        "df",
        "--format",
        "{{.Type}} {{.Total}} {{.Active}}",
    ];
    assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt));
}

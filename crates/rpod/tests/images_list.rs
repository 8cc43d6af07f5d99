//! `images` (-a, filters, --digests, --no-trunc, --format), `image inspect` against
//! Podman's shape, `rmi` by digest and ID, `rmi -a`, dangling images and prune, and the
//! import/export round trip.

mod common;

use common::*;

/// Imports the busybox tarball with `changes`, named `name` when given; returns the ID.
/// Imports the busybox tarball from stdin, so that the image is created
/// now (imported from a file, it takes the file's modification time, as in
/// Podman, and the filters by time could not tell the images apart).
fn import(e: &Engine, name: Option<&str>, changes: &[&str]) -> String {
    let tar = std::fs::read(e.busybox_tar()).unwrap();
    let mut args = vec!["import", "-q"];
    for c in changes {
        args.push("--change");
        args.push(c);
    }
    args.push("-");
    if let Some(n) = name {
        args.push(n);
    }
    let out = e.rpod_stdin(&args, &tar);
    assert!(out.status.success(), "import: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn short_ids(e: &Engine, args: &[&str]) -> Vec<String> {
    let mut full = vec!["images", "-q"];
    full.extend_from_slice(args);
    let mut ids: Vec<String> = e.ok(&full).lines().map(str::to_string).collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn images_all_shows_intermediate_images_and_dangling_ones_always() {
    let e = Engine::new();
    // A nameless parent with a named child committed on top of it: intermediate.
    let parent = import(&e, None, &["CMD=sh"]);
    e.ok(&["run", "--name", "c", &parent, "sh", "-c", "echo x > /made"]);
    e.ok(&["commit", "-q", "c", "child"]);
    // A nameless image nobody builds on: dangling.
    let tar = e.file("other.tar");
    std::fs::write(&tar, tar_with_files(&[("hello", b"world")])).unwrap();
    let dangling = e.ok(&["import", "-q", tar.to_str().unwrap()]);
    let child = e.ok(&["image", "inspect", "--format", "{{.Id}}", "child"]);

    let without_a = short_ids(&e, &[]);
    assert_eq!(
        without_a,
        sorted(vec![child[..12].to_string(), dangling[..12].to_string()]),
        "the intermediate parent is hidden: {}",
        e.ok(&["images"])
    );
    let with_a = short_ids(&e, &["-a"]);
    assert_eq!(
        with_a,
        sorted(vec![
            child[..12].to_string(),
            dangling[..12].to_string(),
            parent[..12].to_string()
        ])
    );
    assert_eq!(
        short_ids(&e, &["--filter", "dangling=true"]),
        vec![dangling[..12].to_string()]
    );
    assert_eq!(
        short_ids(&e, &["-a", "--filter", "dangling=true"]),
        vec![dangling[..12].to_string()],
        "an intermediate image is not dangling"
    );
    e.ok(&["rm", "c"]);
}

#[test]
fn images_filters_reference_label_dangling_before_since() {
    let e = Engine::new();
    let first = import(&e, Some("alpha:1"), &["LABEL=team=red", "CMD=sh"]);
    let second = import(&e, Some("beta:2"), &["LABEL=team=blue", "CMD=true"]);
    let third = import(&e, None, &["LABEL=solo=yes", "CMD=false"]);
    let s = |id: &String| id[..12].to_string();

    assert_eq!(short_ids(&e, &["--filter", "reference=alpha"]), [s(&first)]);
    assert_eq!(short_ids(&e, &["--filter", "reference=b*"]), [s(&second)]);
    assert_eq!(
        short_ids(&e, &["--filter", "reference=localhost/beta:2"]),
        [s(&second)]
    );
    assert_eq!(short_ids(&e, &["beta"]), [s(&second)]);
    assert!(short_ids(&e, &["--filter", "reference=gamma"]).is_empty());

    assert_eq!(
        short_ids(&e, &["--filter", "label=team=blue"]),
        [s(&second)]
    );
    assert_eq!(
        short_ids(&e, &["--filter", "label=team"]),
        sorted(vec![s(&first), s(&second)])
    );
    assert_eq!(short_ids(&e, &["--filter", "label=solo"]), [s(&third)]);

    assert_eq!(short_ids(&e, &["--filter", "dangling=true"]), [s(&third)]);
    assert_eq!(
        short_ids(&e, &["--filter", "dangling=false"]),
        sorted(vec![s(&first), s(&second)])
    );

    assert_eq!(short_ids(&e, &["--filter", "before=beta:2"]), [s(&first)]);
    assert_eq!(
        short_ids(&e, &["--filter", "since=alpha:1"]),
        sorted(vec![s(&second), s(&third)])
    );
    // Filters combine.
    assert_eq!(
        short_ids(&e, &["--filter", "since=alpha:1", "--filter", "label=team"]),
        [s(&second)]
    );
    let (code, err) = e.fails(&["images", "--filter", "colour=red"]);
    assert_eq!(code, 125);
    assert_eq!(err, "Error: unsupported image filter \"colour\"");
}

#[test]
fn images_digests_no_trunc_and_format() {
    let e = Engine::new();
    let id = import(&e, Some("shown"), &["CMD=sh"]);
    let digest = e.ok(&["image", "inspect", "--format", "{{.Digest}}", "shown"]);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    let plain = e.ok(&["images"]);
    assert!(
        !plain.contains("DIGEST") && !plain.contains(&digest),
        "{plain}"
    );
    let with_digests = e.ok(&["images", "--digests"]);
    let header = with_digests.lines().next().unwrap_or_default();
    assert!(header.contains("DIGEST"), "{with_digests}");
    assert!(with_digests.contains(&digest), "{with_digests}");

    let no_trunc = e.ok(&["images", "--no-trunc"]);
    assert!(no_trunc.contains(&format!("sha256:{id}")), "{no_trunc}");
    assert!(e.ok(&["images"]).contains(&id[..12]));
    assert!(!e.ok(&["images"]).contains(&id[..13]));

    let formatted = e.ok(&[
        "images",
        "--format",
        "{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Digest}}",
    ]);
    assert_eq!(
        formatted,
        format!("localhost/shown|latest|{}|{digest}", &id[..12])
    );
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["images", "--format", "json"])).unwrap();
    assert_eq!(json[0]["Id"], serde_json::json!(id));
    assert_eq!(json[0]["Digest"], serde_json::json!(digest));
}

/// The JSON type of a value, for comparing shapes.
fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[test]
fn image_inspect_has_podmans_shape() {
    let e = Engine::new();
    let id = import(
        &e,
        Some("shape"),
        &[
            "CMD=sh",
            "ENV=A=1",
            "LABEL=k=v",
            "EXPOSE 8080",
            "USER daemon",
        ],
    );
    let archive = e.file("shape.tar");
    e.ok(&["save", "-q", "-o", archive.to_str().unwrap(), "shape"]);
    let ours: serde_json::Value =
        serde_json::from_str(&e.ok(&["image", "inspect", "shape"])).unwrap();
    let ours = &ours[0];

    // Podman with private storage in the test's directory (vfs: no mounts left behind).
    let proot = e.file("podman-root");
    let prun = e.file("podman-run");
    let podman = |args: &[&str]| {
        let mut c = std::process::Command::new("podman");
        c.arg("--root")
            .arg(&proot)
            .arg("--runroot")
            .arg(&prun)
            .arg("--storage-driver")
            .arg("vfs")
            .args(args);
        run_with_timeout(c, None, COMMAND_TIMEOUT)
    };
    let out = podman(&["load", "-q", "-i", archive.to_str().unwrap()]);
    assert!(out.status.success(), "podman load: {}", describe(&out));
    let out = podman(&["image", "inspect", "localhost/shape:latest"]);
    assert!(out.status.success(), "podman inspect: {}", describe(&out));
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs = &theirs[0];
    let _ = podman(&["rmi", "-a", "-f"]);

    let keys = |v: &serde_json::Value| -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    // Every field Podman prints exists with the same JSON type (GraphDriver aside: rpod's
    // storage is not containers/storage).
    for key in keys(theirs) {
        if key == "GraphDriver" {
            continue;
        }
        assert!(ours.get(&key).is_some(), "rpod lacks {key}: {ours}");
        assert_eq!(
            kind(&ours[&key]),
            kind(&theirs[&key]),
            "type of {key}: rpod {} podman {}",
            ours[&key],
            theirs[&key]
        );
    }
    // Same values where both engines see the same image.
    assert_eq!(ours["Id"], serde_json::json!(id));
    for key in [
        "Id",
        "RepoTags",
        "Config",
        "RootFS",
        "Architecture",
        "Os",
        "History",
        "Labels",
        "User",
        "Created",
    ] {
        assert_eq!(ours[key], theirs[key], "{key}");
    }
    assert_eq!(
        ours["Config"]["ExposedPorts"]["8080/tcp"],
        serde_json::json!({})
    );
    assert_eq!(ours["User"], "daemon");
    let digest = ours["Digest"].as_str().unwrap_or_default();
    assert_eq!(
        ours["RepoDigests"],
        serde_json::json!([format!("localhost/shape@{digest}")])
    );
}

#[test]
fn rmi_by_digest_and_id_and_all() {
    let e = Engine::new();
    let one = import(&e, Some("one"), &["CMD=sh"]);
    let digest = e.ok(&["image", "inspect", "--format", "{{.Digest}}", "one"]);
    let out = e.ok(&["rmi", &format!("localhost/one@{digest}")]);
    assert!(out.contains(&format!("Deleted: {one}")), "{out}");
    assert_eq!(e.rpod(&["image", "exists", &one]).status.code(), Some(1));

    let two = import(&e, Some("two"), &["CMD=true"]);
    let out = e.ok(&["rmi", &format!("sha256:{two}")]);
    assert!(out.contains(&format!("Deleted: {two}")), "{out}");

    // An image with several names: by name only untags, by ID is refused without -f.
    let three = import(&e, Some("three"), &["CMD=false"]);
    e.ok(&["tag", "three", "three-b", "three-c"]);
    assert_eq!(
        e.ok(&["rmi", "three-c"]),
        "Untagged: localhost/three-c:latest"
    );
    let (code, err) = e.fails(&["rmi", &three]);
    assert_eq!(code, 125);
    assert!(err.contains("more than one tag"), "{err}");
    let (_, err) = e.fails(&["rmi", &format!("sha256:{three}")]);
    assert!(err.contains("more than one tag"), "{err}");
    let out = e.ok(&["rmi", "-f", &three[..12]]);
    assert!(out.contains(&format!("Deleted: {three}")), "{out}");

    // rmi -a: everything, several names and nameless images included.
    import(&e, Some("four"), &["CMD=sh"]);
    e.ok(&["tag", "four", "four-b"]);
    import(&e, None, &["CMD=true"]);
    let out = e.ok(&["rmi", "-a"]);
    assert_eq!(out.matches("Deleted:").count(), 2, "{out}");
    assert_eq!(e.ok(&["images", "-a", "-q"]), "");
    let layers = std::fs::read_dir(e.root().join("storage/layers"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(layers, 0, "no layer left");
    let (code, _) = e.fails(&["rmi", "-a", "extra"]);
    assert_eq!(code, 125);
}

#[test]
fn a_name_moved_by_tag_leaves_a_dangling_image_for_prune() {
    let e = Engine::new();
    let old = import(&e, Some("moving"), &["CMD=sh"]);
    let new = import(&e, None, &["CMD=true"]);
    e.ok(&["tag", &new, "moving"]);
    assert_eq!(
        e.ok(&["image", "inspect", "--format", "{{.Id}}", "moving"]),
        new
    );
    assert_eq!(
        e.ok(&["images", "-q", "--no-trunc", "--filter", "dangling=true"]),
        format!("sha256:{old}")
    );
    let pruned = e.ok(&["image", "prune", "-f"]);
    assert!(pruned.contains(&old), "{pruned}");
    assert_eq!(e.rpod(&["image", "exists", &old]).status.code(), Some(1));
    assert_eq!(
        e.ok(&["images", "-q", "--no-trunc"]),
        format!("sha256:{new}")
    );

    // prune -a: unused named images go, images used by a container stay.
    let used = import(&e, Some("used"), &["CMD=false"]);
    e.ok(&["create", "--name", "user", "used", "true"]);
    let pruned = e.ok(&["image", "prune", "-a", "-f"]);
    assert!(pruned.contains(&new), "{pruned}");
    assert!(!pruned.contains(&used), "{pruned}");
    assert_eq!(
        e.ok(&["images", "-q", "--no-trunc"]),
        format!("sha256:{used}")
    );
    e.ok(&["rm", "user"]);
}

#[test]
fn import_run_export_reimport_keeps_the_files() {
    let e = Engine::new();
    import(&e, Some("base"), &["CMD=sh"]);
    e.ok(&[
        "run",
        "--name",
        "first",
        "base",
        "sh",
        "-c",
        "echo marker > /root/made-in-container; mkdir -p /opt/d; ln -s ../../root/made-in-container /opt/d/link",
    ]);
    let first = e.file("first.tar");
    e.ok(&["export", "-o", first.to_str().unwrap(), "first"]);
    e.ok(&["import", "-q", first.to_str().unwrap(), "again"]);
    assert_eq!(
        e.ok(&["run", "--rm", "again", "cat", "/opt/d/link"]),
        "marker"
    );
    e.ok(&["create", "--name", "second", "again", "true"]);
    let second = e.file("second.tar");
    e.ok(&["export", "-o", second.to_str().unwrap(), "second"]);
    let names = |p: &std::path::Path| {
        let mut n = tar_entry_names(&std::fs::read(p).unwrap());
        n.iter_mut()
            .for_each(|x| *x = x.trim_start_matches("./").trim_end_matches('/').to_string());
        n.retain(|x| !x.is_empty());
        n.sort();
        n
    };
    let (a, b) = (names(&first), names(&second));
    assert!(a.contains(&"root/made-in-container".to_string()), "{a:?}");
    assert_eq!(a, b, "the re-imported image has the same files");
    let content = |p: &std::path::Path| {
        let data = std::fs::read(p).unwrap();
        let mut ar = tar::Archive::new(&data[..]);
        let mut found = None;
        for entry in ar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            if path.trim_start_matches("./") == "bin/busybox" {
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut v).unwrap();
                found = Some(sha256_hex(&v));
            }
        }
        found
    };
    assert!(content(&first).is_some());
    assert_eq!(content(&first), content(&second));
    e.ok(&["rm", "first", "second"]);
}

/// `images --sort` by repository and tag, `-n` and `--history`'s column,
/// against podman on the same names.
#[test]
fn images_sort_noheading_and_history_match_podman() {
    let b = Both::new();
    for args in [
        &["tag", "probe", "localhost/aaa:v1"][..],
        &["tag", "probe", "localhost/zzz:a"],
    ] {
        b.e.ok(args);
        b.p.ok(args);
    }
    for key in ["repository", "tag"] {
        let args = [
            "images",
            "--sort",
            key,
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ];
        assert_eq!(b.e.ok(&args), b.p.ok(&args), "--sort {key}");
    }
    let args = ["images", "--sort", "bogus"];
    assert_eq!(b.e.rpod(&args).status.code(), b.p.run(&args).status.code());
    let args = [
        "images",
        "-n",
        "--sort",
        "repository",
        "--format",
        "table {{.Repository}}",
    ];
    assert_eq!(b.e.ok(&args), b.p.ok(&args));
    let first = |s: String| {
        s.lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .last()
            .map(str::to_string)
    };
    assert_eq!(
        first(b.e.ok(&["images", "--history"])),
        first(b.p.ok(&["images", "--history"]))
    );
    let args = [
        "images",
        "--sort",
        "repository",
        "--format",
        "{{.Repository}} {{.History}}",
    ];
    let sorted_names = |s: String| -> Vec<Vec<String>> {
        s.lines()
            .map(|l| {
                let mut v: Vec<String> = l
                    .split([' ', ','])
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                v.sort();
                v
            })
            .collect()
    };
    assert_eq!(sorted_names(b.e.ok(&args)), sorted_names(b.p.ok(&args)));
}

/// `history -H=false` prints RFC 3339 creation times, as podman does.
#[test]
fn history_human_false_prints_rfc3339_times_as_podman() {
    let b = Both::new();
    let re = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$").unwrap();
    for ours in [true, false] {
        let args = ["history", "-H=false", "probe"];
        let out = if ours { b.e.ok(&args) } else { b.p.ok(&args) };
        let row = out.lines().nth(1).unwrap_or_default().to_string();
        let created = row.split_whitespace().nth(1).unwrap_or_default();
        assert!(re.is_match(created), "ours={ours}: {out}");
        let args = ["history", "-H", "probe"];
        let out = if ours { b.e.ok(&args) } else { b.p.ok(&args) };
        assert!(out.contains(" ago"), "ours={ours}: {out}");
    }
}

#[test]
fn image_tree_and_whatrequires_have_podmans_shape() {
    let b = Both::new();
    let ctx = b.e.file("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Containerfile"), "FROM probe\nRUN echo x > /x\n").unwrap();
    let c = ctx.to_str().unwrap();
    b.e.ok(&["build", "-q", "-t", "localhost/child", c]);
    b.p.ok(&["build", "-q", "-t", "localhost/child", c]);
    // IDs and sizes are each engine's own (layer IDs, how a size is counted).
    let mask = |t: String| {
        let ids = regex::Regex::new("[0-9a-f]{12}").unwrap();
        let sizes = regex::Regex::new(r"Size: +[0-9.]+[kMG]?B").unwrap();
        sizes
            .replace_all(&ids.replace_all(&t, "ID"), "Size: N")
            .to_string()
    };
    for args in [
        vec!["image", "tree", "probe"],
        vec!["image", "tree", "--whatrequires", "probe"],
        vec!["image", "tree", "localhost/child"],
    ] {
        let ours = b.e.rpod(&args);
        let theirs = b.p.run(&args);
        assert!(ours.status.success(), "{}", describe(&ours));
        assert_eq!(
            mask(String::from_utf8_lossy(&ours.stdout).to_string()),
            mask(String::from_utf8_lossy(&theirs.stdout).to_string()),
            "{args:?}: rpod (left) vs podman (right)"
        );
    }
}

#[test]
fn runlabel_substitutes_and_runs_the_label_as_podman() {
    let b = Both::new();
    let ctx = b.e.file("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM probe\nLABEL run=\"podman run --rm --name NAME IMAGE echo hello from IMAGE\" \
         install=\"echo installing $RPOD_TEST_UNSET IMAGE NAME\"\n",
    )
    .unwrap();
    let c = ctx.to_str().unwrap();
    b.e.ok(&["build", "-q", "-t", "localhost/lbl", c]);
    b.p.ok(&["build", "-q", "-t", "localhost/lbl", c]);
    for args in [
        vec!["container", "runlabel", "install", "localhost/lbl"],
        vec![
            "container",
            "runlabel",
            "install",
            "--name",
            "foo",
            "localhost/lbl",
            "x",
        ],
        vec!["container", "runlabel", "nolabel", "localhost/lbl"],
    ] {
        let ours = b.e.rpod(&args);
        let theirs = b.p.run(&args);
        assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{args:?}"
        );
        let err = |o: &std::process::Output| {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .filter(|l| l.starts_with("Error"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(err(&ours), err(&theirs), "{args:?}");
    }
    // --display names the command (the engine word is each one's own).
    let shown = |t: String| t.split_once(' ').map(|(_, r)| r.to_string()).unwrap_or(t);
    let args = ["container", "runlabel", "--display", "run", "localhost/lbl"];
    let mine = b.e.ok(&args);
    let theirs = b.p.ok(&args);
    assert!(mine.starts_with("command: "), "{mine}");
    let tail = |t: &str| t.split(" run ").nth(1).unwrap_or("").to_string();
    assert_eq!(tail(&shown(mine.clone())), tail(&shown(theirs)), "{mine}");
    // rpod runs the label's podman command as itself, on the same storage.
    let out = b.e.ok(&["container", "runlabel", "run", "localhost/lbl"]);
    assert_eq!(out, "hello from localhost/lbl:latest");
}

#[test]
fn image_diff_lists_the_top_layers_changes_as_podman() {
    let b = Both::new();
    let ctx = b.e.file("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM probe\nRUN mkdir -p /new/dir && echo x > /new/dir/f && rm /bin/true && echo y >> /etc/passwd\n",
    )
    .unwrap();
    let c = ctx.to_str().unwrap();
    b.e.ok(&["build", "-q", "-t", "localhost/changed", c]);
    b.p.ok(&["build", "-q", "-t", "localhost/changed", c]);
    // Podman lists in its layer's order, rpod sorted. Known difference: the RUN step's
    // layer of rpod shows /run changed (the directory its /run/.containerenv mount point
    // was made and removed in; the file itself no longer ends up in the layer).
    let lines = |t: String| {
        let mut v: Vec<String> = t
            .lines()
            .filter(|l| *l != "C /run")
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let args = ["image", "diff", "localhost/changed"];
    let mine = lines(b.e.ok(&args));
    assert_eq!(mine, lines(b.p.ok(&args)), "rpod (left) vs podman (right)");
    assert!(!mine.iter().any(|l| l.contains("/etc/hosts")), "{mine:?}");
    let json = |t: String| -> serde_json::Value { serde_json::from_str(&t).unwrap() };
    let args = ["image", "diff", "--format", "json", "localhost/changed"];
    let (m, p) = (json(b.e.ok(&args)), json(b.p.ok(&args)));
    for key in ["added", "deleted"] {
        let sorted = |v: &serde_json::Value| {
            let mut a: Vec<String> = v[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            a.sort();
            a
        };
        assert_eq!(sorted(&m), sorted(&p), "{key}");
    }
    // A one-layer image adds everything.
    let all = b.e.ok(&["image", "diff", "probe"]);
    assert!(
        all.lines().count() > 100 && all.lines().all(|l| l.starts_with("A ")),
        "{all}"
    );
}

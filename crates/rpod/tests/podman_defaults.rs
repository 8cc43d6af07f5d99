//! Podman's defaults, side by side with the installed podman: the
//! container environment, `/run/.containerenv`, `/etc/hosts`, the shm size,
//! the history of an imported tarball and the layout of the list tables.

mod common;

use std::collections::BTreeMap;

use common::*;

/// `KEY=VALUE` lines as a map, `container=` taken out (rpod says `rpod`).
fn env_map(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| *k != "container" && *k != "SHLVL" && *k != "PWD")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_container_environment_is_podmans() {
    let b = Both::new();
    let flags = ["--name", "envbox", "--hostname", "hh"];
    let (ours, theirs) = b.both(&flags, &["env"]);
    assert_eq!(env_map(&ours), env_map(&theirs), "\n{ours}\n--\n{theirs}");
    assert!(ours.contains("container=rpod"), "{ours}");
    // As a non-root user: HOME from the image's passwd.
    let (ours, theirs) = b.both(&["--user", "nobody"], &["sh", "-c", "echo $HOME"]);
    assert_eq!(ours, theirs);
    // Config.Env of a container that ran and of one only created: the same
    // keys (Podman's order comes from a Go map, so not compared).
    for args in [
        vec!["run", "--name", "ran", "--network", "none", "probe", "true"],
        vec![
            "create",
            "--name",
            "made",
            "--network",
            "none",
            "probe",
            "true",
        ],
    ] {
        b.e.ok(&args);
        b.p.ok(&args);
    }
    for name in ["ran", "made"] {
        let keys = |text: String| -> Vec<String> {
            let v: Vec<String> = serde_json::from_str(&text).unwrap();
            let mut keys: Vec<String> = v
                .iter()
                .map(|e| e.split('=').next().unwrap_or_default().to_string())
                .collect();
            keys.sort();
            keys
        };
        let tmpl = "{{json .Config.Env}}";
        assert_eq!(
            keys(b.e.inspect_fmt(name, tmpl)),
            keys(b.p.ok(&["inspect", "--format", tmpl, name])),
            "{name}"
        );
    }
}

#[test]
fn containerenv_is_podmans() {
    let b = Both::new();
    let (ours, theirs) = b.both(&[], &["cat", "/run/.containerenv"]);
    assert_eq!(ours, theirs, "unprivileged: empty in both");
    let flags = ["--privileged", "--name", "priv"];
    let (ours, theirs) = b.both(&flags, &["cat", "/run/.containerenv"]);
    let fields = |text: &str| -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (o, t) = (fields(&ours), fields(&theirs));
    assert_eq!(
        o.keys().collect::<Vec<_>>(),
        t.keys().collect::<Vec<_>>(),
        "\n{ours}\n--\n{theirs}"
    );
    for key in ["name", "image", "rootless"] {
        assert_eq!(o[key], t[key], "{key}");
    }
    assert!(o["engine"].starts_with("\"rpod-"), "{ours}");
    assert_eq!(o["id"].len(), 66, "{ours}");
}

/// The hosts file with the container's own address masked.
fn mask_own_line(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if i + 1 == lines.len() {
            let rest = l.split_once('\t').map(|x| x.1).unwrap_or(l);
            out.push(format!("IP\t{rest}"));
        } else if l.ends_with("\thost.containers.internal") {
            out.push("GATEWAY\thost.containers.internal".to_string());
        } else {
            out.push(l.to_string());
        }
    }
    out.join("\n")
}

#[test]
fn etc_hosts_is_podmans() {
    let b = Both::new();
    // Without a network: byte for byte.
    let flags = [
        "--name",
        "hn",
        "--hostname",
        "hh",
        "--add-host",
        "db.local:10.1.2.3",
    ];
    let (ours, theirs) = b.both(&flags, &["cat", "/etc/hosts"]);
    assert_eq!(ours, theirs);
    assert!(ours.contains("\thost.containers.internal"), "{ours}");
    // On the default bridge: the same lines, the addresses masked (the
    // engines' default networks have different subnets).
    let flags = ["--network", "bridge", "--name", "hb", "--hostname", "hh"];
    let (ours, theirs) = b.both(&flags, &["cat", "/etc/hosts"]);
    assert_eq!(
        mask_own_line(&ours),
        mask_own_line(&theirs),
        "\n{ours}\n--\n{theirs}"
    );
}

#[test]
fn the_default_shm_size_is_podmans() {
    let b = Both::new();
    b.e.ok(&["create", "--name", "s", "probe", "true"]);
    b.p.ok(&["create", "--name", "s", "probe", "true"]);
    let tmpl = "{{.HostConfig.ShmSize}}";
    assert_eq!(b.e.inspect_fmt("s", tmpl), "65536000");
    assert_eq!(
        b.e.inspect_fmt("s", tmpl),
        b.p.ok(&["inspect", "--format", tmpl, "s"])
    );
    let (ours, theirs) = b.both(&[], &["sh", "-c", "df -k /dev/shm | tail -1"]);
    let size = |t: &str| t.split_whitespace().nth(1).unwrap_or_default().to_string();
    assert_eq!(size(&ours), size(&theirs), "\n{ours}\n{theirs}");
}

#[test]
fn import_history_is_podmans() {
    let b = Both::new();
    let tar = b.e.file("old.tar");
    std::fs::copy(b.e.busybox_tar(), &tar).unwrap();
    let st = std::process::Command::new("touch")
        .args(["-d", "2020-01-02 03:04:05 UTC"])
        .arg(&tar)
        .status()
        .unwrap();
    assert!(st.success());
    let path = tar.to_str().unwrap();
    for args in [
        vec!["import", "-q", path, "old"],
        vec!["import", "-q", "-m", "a message", path, "withmsg"],
    ] {
        b.e.ok(&args);
        b.p.ok(&args);
    }
    for image in ["old", "withmsg"] {
        let get = |text: String| -> Vec<serde_json::Value> {
            let mut v: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
            for e in &mut v {
                // The image IDs differ (the configs differ), and so do the
                // sizes (Podman counts the tarball, rpod the unpacked files).
                e.as_object_mut().unwrap().remove("id");
                e.as_object_mut().unwrap().remove("size");
            }
            v
        };
        let args = ["history", "--format", "json", image];
        assert_eq!(get(b.e.ok(&args)), get(b.p.ok(&args)), "{image}");
        let tmpl = "{{.Created}}";
        assert_eq!(
            b.e.ok(&["image", "inspect", "--format", tmpl, image]),
            b.p.ok(&["image", "inspect", "--format", tmpl, image]),
            "{image}"
        );
    }
    // From stdin: created now, with the default comment.
    let data = std::fs::read(&tar).unwrap();
    let out = b.e.rpod_stdin(&["import", "-q", "-", "fromstdin"], &data);
    assert!(out.status.success(), "{}", describe(&out));
    let created =
        b.e.ok(&["history", "--format", "{{.Comment}}", "fromstdin"]);
    assert_eq!(created, "imported from tarball");
}

/// The header's columns: (label, width), the last one's width 0.
fn columns(header: &str) -> Vec<(String, usize)> {
    let mut starts = Vec::new();
    let bytes = header.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b' ' && (i == 0 || (i >= 2 && &bytes[i - 2..i] == b"  ")) {
            starts.push(i);
        }
        i += 1;
    }
    starts
        .iter()
        .enumerate()
        .map(|(n, &s)| {
            let end = starts.get(n + 1).copied();
            let label = header[s..end.unwrap_or(header.len())].trim().to_string();
            (label, end.map_or(0, |e| e - s))
        })
        .collect()
}

#[test]
fn list_tables_are_laid_out_as_podmans() {
    let b = Both::new();
    let net = format!("rpod-tables-{}", std::process::id());
    struct Net<'a>(&'a Podman, String);
    impl Drop for Net<'_> {
        fn drop(&mut self) {
            let _ = self.0.run(&["network", "rm", "-f", &self.1]);
        }
    }
    let _guard = Net(&b.p, net.clone());
    let setup: Vec<Vec<&str>> = vec![
        vec![
            "create",
            "--name",
            "tbl",
            "--network",
            "none",
            "probe",
            "true",
        ],
        vec!["volume", "create", "tablevolume"],
        vec!["network", "create", &net],
        vec!["pod", "create", "--name", "tablepod"],
    ];
    for args in &setup {
        b.e.ok(args);
        b.p.ok(args);
    }
    // Columns whose width depends on times and sizes are not compared.
    let varying = ["CREATED", "STATUS", "SIZE"];
    for (args, exact) in [
        (vec!["ps", "-a", "--filter", "name=tbl"], false),
        (vec!["images", "probe"], false),
        (vec!["pod", "ps"], false),
        (vec!["volume", "ls"], true),
        (
            vec!["network", "ls", "--filter", &format!("name={net}")],
            true,
        ),
    ] {
        let (ours, theirs) = (b.e.ok(&args), b.p.ok(&args));
        let (oh, th) = (
            ours.lines().next().unwrap_or_default(),
            theirs.lines().next().unwrap_or_default(),
        );
        let (oc, tc) = (columns(oh), columns(th));
        let labels = |c: &[(String, usize)]| c.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&oc), labels(&tc), "{args:?}\n{ours}\n--\n{theirs}");
        for ((label, ow), (_, tw)) in oc.iter().zip(&tc) {
            if !varying.contains(&label.as_str()) {
                assert_eq!(ow, tw, "{args:?} column {label}\n{ours}\n--\n{theirs}");
            }
        }
        if exact {
            // IDs masked (same length), everything else byte for byte.
            let mask = |t: &str| {
                t.lines()
                    .map(|l| {
                        l.split(' ')
                            .map(|w| {
                                if w.len() == 12 && w.bytes().all(|c| c.is_ascii_hexdigit()) {
                                    "X".repeat(12)
                                } else {
                                    w.to_string()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(mask(&ours), mask(&theirs), "{args:?}");
        }
    }
}

//! One definition of every listing filter: the same filters through the
//! CLI (`--filter`), the Docker API and the libpod API (`filters=` JSON)
//! give the same objects, and the same objects made in podman give the
//! same membership pattern.

mod api_support;
mod common;

use std::collections::{BTreeMap, BTreeSet};

use api_support::*;
use common::*;
use serde_json::Value;

/// One engine's CLI: runs and returns trimmed stdout.
type Cli<'a> = dyn Fn(&[&str]) -> String + 'a;

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `{"key": ["v1", …]}` of `key=value` pairs.
fn filters_json(filters: &[&str]) -> String {
    let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in filters {
        let (k, v) = f.split_once('=').unwrap();
        map.entry(k).or_default().push(v);
    }
    serde_json::to_string(&map).unwrap()
}

fn filter_flags<'a>(filters: &[&'a str]) -> Vec<&'a str> {
    filters.iter().flat_map(|f| ["--filter", f]).collect()
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("sha256:").to_string())
        .collect()
}

/// GET `path` and the JSON body (asserting 200).
fn get_json(svc: &Service, path: &str) -> Value {
    let (status, _, body) = http(&svc.socket, "GET", path, "", None);
    assert_eq!(
        status,
        200,
        "GET {path}: {}\nservice log:\n{}",
        String::from_utf8_lossy(&body),
        svc.log()
    );
    serde_json::from_slice(&body).unwrap()
}

/// The `field` of every element of a JSON array, without `sha256:`.
fn field_set(v: &Value, field: &str) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| {
            x[field]
                .as_str()
                .unwrap_or_else(|| panic!("no {field} in {x}"))
                .trim_start_matches("sha256:")
                .to_string()
        })
        .collect()
}

/// The CLI's, the Docker API's and the libpod API's answers for one
/// listing, asserted equal; returns the IDs.
struct Frontends<'a> {
    e: &'a Engine,
    svc: &'a Service,
}

impl Frontends<'_> {
    fn containers(&self, all: bool, filters: &[&str]) -> BTreeSet<String> {
        let mut args = vec!["ps", "-q", "--no-trunc"];
        if all {
            args.push("-a");
        }
        args.extend(filter_flags(filters));
        let cli = lines(&self.e.ok(&args));
        let q = format!("all={all}&filters={}", enc(&filters_json(filters)));
        let docker = field_set(&get_json(self.svc, &format!("/containers/json?{q}")), "Id");
        let libpod = field_set(
            &get_json(self.svc, &format!("/v4.3.1/libpod/containers/json?{q}")),
            "Id",
        );
        assert_eq!(cli, docker, "ps {filters:?} (all={all}): CLI vs Docker API");
        assert_eq!(cli, libpod, "ps {filters:?} (all={all}): CLI vs libpod API");
        cli
    }

    fn images(&self, filters: &[&str]) -> BTreeSet<String> {
        let mut args = vec!["images", "-q", "--no-trunc"];
        args.extend(filter_flags(filters));
        let cli = lines(&self.e.ok(&args));
        let q = format!("filters={}", enc(&filters_json(filters)));
        let docker = field_set(&get_json(self.svc, &format!("/images/json?{q}")), "Id");
        let libpod = field_set(
            &get_json(self.svc, &format!("/v4.3.1/libpod/images/json?{q}")),
            "Id",
        );
        assert_eq!(cli, docker, "images {filters:?}: CLI vs Docker API");
        assert_eq!(cli, libpod, "images {filters:?}: CLI vs libpod API");
        cli
    }

    fn volumes(&self, filters: &[&str]) -> BTreeSet<String> {
        let mut args = vec!["volume", "ls", "-q"];
        args.extend(filter_flags(filters));
        let cli = lines(&self.e.ok(&args));
        let q = format!("filters={}", enc(&filters_json(filters)));
        let docker = field_set(
            &get_json(self.svc, &format!("/volumes?{q}"))["Volumes"],
            "Name",
        );
        let libpod = field_set(
            &get_json(self.svc, &format!("/v4.3.1/libpod/volumes/json?{q}")),
            "Name",
        );
        assert_eq!(cli, docker, "volume ls {filters:?}: CLI vs Docker API");
        assert_eq!(cli, libpod, "volume ls {filters:?}: CLI vs libpod API");
        cli
    }

    /// Network IDs (the Docker API's `host` and `none` left out).
    fn networks(&self, filters: &[&str]) -> BTreeSet<String> {
        let mut args = vec!["network", "ls", "--no-trunc", "--format", "{{.ID}}"];
        args.extend(filter_flags(filters));
        let cli = lines(&self.e.ok(&args));
        let q = format!("filters={}", enc(&filters_json(filters)));
        let mut docker = field_set(&get_json(self.svc, &format!("/networks?{q}")), "Id");
        docker.remove("host");
        docker.remove("none");
        let libpod = field_set(
            &get_json(self.svc, &format!("/v4.3.1/libpod/networks/json?{q}")),
            "id",
        );
        assert_eq!(cli, docker, "network ls {filters:?}: CLI vs Docker API");
        assert_eq!(cli, libpod, "network ls {filters:?}: CLI vs libpod API");
        cli
    }

    /// Pods: the CLI and the libpod API (Docker has no pods).
    fn pods(&self, filters: &[&str]) -> BTreeSet<String> {
        let mut args = vec!["pod", "ps", "-q", "--no-trunc"];
        args.extend(filter_flags(filters));
        let cli = lines(&self.e.ok(&args));
        let q = format!("filters={}", enc(&filters_json(filters)));
        let libpod = field_set(
            &get_json(self.svc, &format!("/v4.3.1/libpod/pods/json?{q}")),
            "Id",
        );
        assert_eq!(cli, libpod, "pod ps {filters:?}: CLI vs libpod API");
        cli
    }

    /// An invalid filter: exit 125 and `message` on the CLI, 400 with the
    /// same message over both APIs.
    fn refused(
        &self,
        cli: &[&str],
        docker: Option<&str>,
        libpod: &str,
        filters: &[&str],
        message: &str,
    ) {
        let mut args = cli.to_vec();
        args.extend(filter_flags(filters));
        let (code, err) = self.e.fails(&args);
        assert_eq!(code, 125, "{args:?}: {err}");
        assert_eq!(err.trim(), format!("Error: {message}"), "{args:?}");
        let q = format!("filters={}", enc(&filters_json(filters)));
        for path in docker.into_iter().chain([libpod]) {
            let path = format!("{path}?{q}");
            let (status, _, body) = http(&self.svc.socket, "GET", &path, "", None);
            assert_eq!(
                status,
                400,
                "GET {path}: {}",
                String::from_utf8_lossy(&body)
            );
            assert_eq!(api_support::message(&body), message, "GET {path}");
        }
    }
}

/// The membership pattern of a listing: names, with pod infra containers
/// (named differently by each engine) as `infra` and the default network
/// as `default`.
fn names(out: &str) -> BTreeSet<String> {
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|n| {
            if n.ends_with("-infra") {
                "infra".to_string()
            } else if n == "podman" || n == "rpod" {
                "default".to_string()
            } else {
                n.to_string()
            }
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// rpod and podman side by side (podman's networks in its own directory,
/// as `Podman` sets it up).
fn both() -> Both {
    Both::new()
}

/// The same containers in either engine (`run` is that engine's CLI).
fn make_containers(run: &Cli, tar: &str) {
    run(&["import", "--change", "CMD=ls", tar, "other"]);
    run(&["network", "create", "fnet"]);
    run(&["volume", "create", "fvol"]);
    run(&["pod", "create", "--name", "fpod", "--network", "none"]);
    let none = ["--network", "none"];
    run(&[
        &[
            "run",
            "-d",
            "--name",
            "run1",
            "-l",
            "app=web",
            "-l",
            "tier=front",
        ][..],
        &none,
        &["probe", "sleep", "1000"],
    ]
    .concat());
    run(&[
        &["run", "-d", "--name", "run2", "-l", "app=db"][..],
        &none,
        &["other", "sleep", "1000"],
    ]
    .concat());
    run(&[
        &["run", "--name", "ex0", "-l", "app=web"][..],
        &none,
        &["probe", "true"],
    ]
    .concat());
    run(&[
        &["run", "-d", "--name", "ex3"][..],
        &none,
        &["probe", "sh", "-c", "exit 3"],
    ]
    .concat());
    assert_eq!(run(&["wait", "ex3"]), "3");
    run(&[
        &["create", "--name", "cr1", "--restart", "always"][..],
        &none,
        &["probe", "true"],
    ]
    .concat());
    run(&[
        "create",
        "--name",
        "netc",
        "--network",
        "fnet",
        "-v",
        "fvol:/data",
        "other",
        "true",
    ]);
    run(&["create", "--name", "pm1", "--pod", "fpod", "probe", "true"]);
    run(&[
        &["run", "-d", "--name", "pz1"][..],
        &none,
        &["probe", "sleep", "1000"],
    ]
    .concat());
    run(&["pause", "pz1"]);
}

#[test]
fn container_filters_agree_across_front_ends_and_with_podman() {
    let b = both();
    let tar = b.e.probe_tar();
    let tar = tar.to_str().unwrap();
    make_containers(&|args| b.e.ok(args), tar);
    make_containers(&|args| b.p.ok(args), tar);
    let svc = Service::start(&b.e);
    let f = Frontends { e: &b.e, svc: &svc };

    let rpod_id = |name: &str| b.e.inspect_fmt(name, "{{.Id}}");
    let podman_id = |name: &str| b.p.ok(&["inspect", "--format", "{{.Id}}", name]);
    let rpod_name_of: BTreeMap<String, String> =
        b.e.ok(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"])
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(i, n)| (i.to_string(), n.to_string()))
            .collect();
    let other_rpod =
        b.e.ok(&["image", "inspect", "--format", "{{.Id}}", "other"]);
    let other_podman =
        b.p.ok(&["image", "inspect", "--format", "{{.Id}}", "other"]);
    let run1_r = rpod_id("run1");
    let run1_p = podman_id("run1");

    // (filters, expected names, also compared with podman).
    let cases: Vec<(Vec<String>, Vec<&str>, bool)> = vec![
        (vec!["label=app=web".into()], vec!["run1", "ex0"], true),
        (
            vec!["label=app=web".into(), "label=tier=front".into()],
            vec!["run1"],
            true,
        ),
        (vec!["label=app".into()], vec!["run1", "run2", "ex0"], true),
        (
            vec!["label!=app=web".into(), "label=app".into()],
            vec!["run2"],
            false,
        ),
        (vec!["name=^run".into()], vec!["run1", "run2"], true),
        (
            vec!["name=run1".into(), "name=ex0".into()],
            vec!["run1", "ex0"],
            true,
        ),
        (vec!["status=exited".into()], vec!["ex0", "ex3"], true),
        (vec!["status=running".into()], vec!["run1", "run2"], true),
        (vec!["status=paused".into()], vec!["pz1"], true),
        (
            vec!["status=created".into()],
            vec!["cr1", "netc", "pm1", "infra"],
            true,
        ),
        (vec!["exited=3".into()], vec!["ex3"], true),
        (
            vec!["exited=0".into(), "exited=3".into()],
            vec!["ex0", "ex3"],
            true,
        ),
        (
            vec!["exited=0".into(), "label=app=web".into()],
            vec!["ex0"],
            true,
        ),
        (
            vec!["ancestor=localhost/other:latest".into()],
            vec!["run2", "netc"],
            true,
        ),
        (
            vec!["before=ex0".into(), "label=app".into()],
            vec!["run1", "run2"],
            true,
        ),
        (
            vec!["since=ex3".into(), "status=created".into()],
            vec!["cr1", "netc", "pm1"],
            true,
        ),
        (vec!["volume=fvol".into()], vec!["netc"], true),
        // Docker's rule: a mount point of any mount. Podman 4.3 looks only
        // at the runtime spec, which a created container lacks.
        (vec!["volume=/data".into()], vec!["netc"], false),
        (vec!["network=fnet".into()], vec!["netc"], true),
        (vec!["pod=fpod".into()], vec!["pm1", "infra"], true),
        (vec!["restart-policy=always".into()], vec!["cr1"], true),
        (vec!["health=healthy".into()], vec![], true),
        (vec!["until=2000-01-01".into()], vec![], true),
    ];
    // fpod's infra container never started: it is `created`.
    for (filters, want, with_podman) in &cases {
        let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
        let ids = f.containers(true, &filters);
        let got: BTreeSet<String> = ids
            .iter()
            .map(|id| rpod_name_of.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect();
        let got = names(&got.into_iter().collect::<Vec<_>>().join("\n"));
        let want = set(want);
        assert_eq!(got, want, "ps -a {filters:?}");
        if *with_podman {
            let mut args = vec!["ps", "-a", "--format", "{{.Names}}"];
            args.extend(filter_flags(&filters));
            assert_eq!(names(&b.p.ok(&args)), want, "podman ps -a {filters:?}");
        }
    }

    // IDs and image IDs differ per engine: the same pattern with each's own.
    let ids = f.containers(true, &[&format!("id={}", &run1_r[..10])]);
    assert_eq!(ids, set(&[&run1_r]));
    let filter = format!("id={}", &run1_p[..10]);
    let out =
        b.p.ok(&["ps", "-a", "--format", "{{.Names}}", "--filter", &filter]);
    assert_eq!(names(&out), set(&["run1"]));
    let by_image = f.containers(true, &[&format!("ancestor={other_rpod}")]);
    assert_eq!(by_image, set(&[&rpod_id("run2"), &rpod_id("netc")]));
    let out = b.p.ok(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        &format!("ancestor={other_podman}"),
    ]);
    assert_eq!(names(&out), set(&["run2", "netc"]));

    // What a listing without `all` shows: running containers only, not
    // paused ones; a status filter lists any state; exited= does not.
    for (filters, want) in [
        (vec![], vec!["run1", "run2"]),
        (vec!["status=paused"], vec!["pz1"]),
        (vec!["exited=0"], vec![]),
        (vec!["label=app"], vec!["run1", "run2"]),
    ] {
        let ids = f.containers(false, &filters);
        let got: BTreeSet<String> = ids.iter().map(|i| rpod_name_of[i].clone()).collect();
        assert_eq!(got, set(&want), "ps {filters:?}");
        let mut args = vec!["ps", "--format", "{{.Names}}"];
        args.extend(filter_flags(&filters));
        assert_eq!(names(&b.p.ok(&args)), set(&want), "podman ps {filters:?}");
    }

    // Invalid filters: Podman's words, exit 125, 400 over the APIs.
    for (filters, message) in [
        (vec!["foo=bar"], "foo is an invalid filter"),
        (
            vec!["status=bogus"],
            "unknown container state: bogus: invalid argument",
        ),
        (vec!["restart-policy=bogus"], "bogus invalid restart policy"),
    ] {
        f.refused(
            &["ps", "-a"],
            Some("/containers/json"),
            "/v4.3.1/libpod/containers/json",
            &filters,
            message,
        );
        let mut args = vec!["ps", "-a"];
        args.extend(filter_flags(&filters));
        let out = b.p.run(&args);
        assert_eq!(out.status.code(), Some(125));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            format!("Error: {message}")
        );
    }
    let (code, err) = b.e.fails(&["ps", "--filter", "foo"]);
    assert_eq!((code, err.trim()), (125, "Error: invalid filter \"foo\""));
    let (status, _, _) = http(
        &svc.socket,
        "GET",
        "/containers/json?filters=notjson",
        "",
        None,
    );
    assert_eq!(status, 400);

    b.e.ok(&["unpause", "pz1"]);
    b.p.ok(&["unpause", "pz1"]);
}

#[test]
fn image_filters_agree_across_front_ends_and_with_podman() {
    let b = both();
    let tar = b.e.probe_tar();
    let tar = tar.to_str().unwrap();
    // An image with a layer of its own, imported without a name: dangling.
    let lone = b.e.file("lone.tar");
    std::fs::write(&lone, tar_with_entry("x", b"lone")).unwrap();
    let lone = lone.to_str().unwrap().to_string();
    let engines: [&Cli; 2] = [&|a| b.e.ok(a), &|a| b.p.ok(a)];
    for run in engines {
        run(&["import", "--change", "CMD=ls", tar, "other"]);
        run(&["tag", "probe", "localhost/probe:v2"]);
        run(&["import", "--change", "CMD=/x", &lone]);
        // Imports of one tarball share a creation time; a commit is newer.
        run(&[
            "create",
            "--name",
            "cc",
            "--network",
            "none",
            "probe",
            "true",
        ]);
        run(&["commit", "cc", "late"]);
    }
    let svc = Service::start(&b.e);
    let f = Frontends { e: &b.e, svc: &svc };
    let id_of = |run: &Cli, name: &str| {
        run(&["image", "inspect", "--format", "{{.Id}}", name])
            .trim_start_matches("sha256:")
            .to_string()
    };
    let rpod = |a: &[&str]| b.e.ok(a);
    let podman = |a: &[&str]| b.p.ok(a);
    // Each engine's image IDs by role.
    let roles = |run: &Cli| -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert(id_of(run, "probe"), "probe".to_string());
        m.insert(id_of(run, "other"), "other".to_string());
        m.insert(id_of(run, "late"), "late".to_string());
        for id in lines(&run(&[
            "images",
            "-q",
            "--no-trunc",
            "--filter",
            "dangling=true",
        ])) {
            m.insert(id, "none".into());
        }
        m
    };
    let rpod_roles = roles(&rpod);
    let podman_roles = roles(&podman);
    assert_eq!(rpod_roles.len(), 4, "{rpod_roles:?}");

    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec![], vec!["probe", "other", "none", "late"]),
        (vec!["reference=probe"], vec!["probe"]),
        (vec!["reference=oth*"], vec!["other"]),
        (vec!["reference=*:v2"], vec!["probe"]),
        (
            vec!["reference=localhost/*"],
            vec!["probe", "other", "late"],
        ),
        (
            vec!["reference=probe", "reference=other"],
            vec!["probe", "other"],
        ),
        (vec!["dangling=true"], vec!["none"]),
        (vec!["dangling=false"], vec!["probe", "other", "late"]),
        (vec!["dangling=false", "reference=other"], vec!["other"]),
        (vec!["before=late"], vec!["probe", "other", "none"]),
        (vec!["since=probe"], vec!["late", "none"]),
        (vec!["until=2000-01-01"], vec![]),
        (vec!["label=nope"], vec![]),
        (vec!["label!=nope", "reference=probe"], vec!["probe"]),
        (vec!["readonly=false", "reference=probe"], vec!["probe"]),
        (vec!["containers=true"], vec!["probe"]),
        (vec!["containers=false", "reference=other"], vec!["other"]),
    ];
    for (filters, want) in &cases {
        let got: BTreeSet<String> = f
            .images(filters)
            .iter()
            .map(|id| rpod_roles.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect();
        assert_eq!(got, set(want), "images {filters:?}");
        let mut args = vec!["images", "-q", "--no-trunc"];
        args.extend(filter_flags(filters));
        let theirs: BTreeSet<String> = lines(&b.p.ok(&args))
            .iter()
            .map(|id| podman_roles.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect();
        assert_eq!(theirs, set(want), "podman images {filters:?}");
    }
    let probe = id_of(&rpod, "probe");
    assert_eq!(f.images(&[&format!("id={probe}")]), set(&[&probe]));

    f.refused(
        &["images"],
        Some("/images/json"),
        "/v4.3.1/libpod/images/json",
        &["foo=bar"],
        "unsupported image filter \"foo\"",
    );
    let out = b.p.run(&["images", "--filter", "foo=bar"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: unsupported image filter \"foo\""
    );
}

#[test]
fn volume_filters_agree_across_front_ends_and_with_podman() {
    let b = both();
    let engines: [&Cli; 2] = [&|a| b.e.ok(a), &|a| b.p.ok(a)];
    for run in engines {
        run(&["volume", "create", "--label", "a=1", "vol-a"]);
        run(&[
            "volume", "create", "--label", "a=2", "--label", "b=x", "vol-b",
        ]);
        run(&["volume", "create", "vol-c"]);
        run(&[
            "create",
            "--name",
            "user",
            "--network",
            "none",
            "-v",
            "vol-a:/data",
            "probe",
            "true",
        ]);
    }
    let svc = Service::start(&b.e);
    let f = Frontends { e: &b.e, svc: &svc };
    let cases: Vec<(Vec<&str>, Vec<&str>, bool)> = vec![
        (vec![], vec!["vol-a", "vol-b", "vol-c"], true),
        (vec!["name=vol-a"], vec!["vol-a"], true),
        (vec!["name=^vol-[ab]$"], vec!["vol-a", "vol-b"], true),
        (
            vec!["name=vol-a", "name=vol-c"],
            vec!["vol-a", "vol-c"],
            true,
        ),
        (vec!["label=a"], vec!["vol-a", "vol-b"], true),
        (vec!["label=a=1"], vec!["vol-a"], true),
        // Every label must match (Podman 4.3's volume ls OR's them).
        (vec!["label=a", "label=b"], vec!["vol-b"], false),
        (vec!["label!=a=1"], vec!["vol-b", "vol-c"], false),
        (vec!["driver=local"], vec!["vol-a", "vol-b", "vol-c"], true),
        (vec!["dangling=true"], vec!["vol-b", "vol-c"], true),
        (vec!["dangling=false"], vec!["vol-a"], true),
        // Podman 4.3's volume ls OR's different keys too.
        (vec!["dangling=true", "label=a"], vec!["vol-b"], false),
        (vec!["until=2000-01-01"], vec![], true),
    ];
    for (filters, want, with_podman) in &cases {
        assert_eq!(f.volumes(filters), set(want), "volume ls {filters:?}");
        if *with_podman {
            let mut args = vec!["volume", "ls", "-q"];
            args.extend(filter_flags(filters));
            assert_eq!(
                lines(&b.p.ok(&args)),
                set(want),
                "podman volume ls {filters:?}"
            );
        }
    }
    let msg = "\"foo\" is an invalid volume filter";
    f.refused(
        &["volume", "ls"],
        Some("/volumes"),
        "/v4.3.1/libpod/volumes/json",
        &["foo=bar"],
        msg,
    );
    let msg = "\"x\" is not a valid value for the \"dangling\" filter - must be true or false";
    f.refused(
        &["volume", "ls"],
        Some("/volumes"),
        "/v4.3.1/libpod/volumes/json",
        &["dangling=x"],
        msg,
    );
    let out = b.p.run(&["volume", "ls", "--filter", "dangling=x"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!("Error: {msg}")
    );
}

#[test]
fn network_filters_agree_across_front_ends_and_with_podman() {
    let b = both();
    let engines: [&Cli; 2] = [&|a| b.e.ok(a), &|a| b.p.ok(a)];
    for run in engines {
        run(&["network", "create", "--label", "a=1", "net-a"]);
        run(&[
            "network", "create", "--label", "a=2", "--label", "b=x", "net-b",
        ]);
        run(&["network", "create", "net-c"]);
        run(&[
            "create",
            "--name",
            "user",
            "--network",
            "net-a",
            "probe",
            "true",
        ]);
    }
    let svc = Service::start(&b.e);
    let f = Frontends { e: &b.e, svc: &svc };
    let names_by_id = |run: &Cli| -> BTreeMap<String, String> {
        run(&[
            "network",
            "ls",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Name}}",
        ])
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(i, n)| (i.to_string(), n.to_string()))
        .collect()
    };
    let rpod_names = names_by_id(&|a| b.e.ok(a));
    let id_a = rpod_names
        .iter()
        .find(|(_, n)| *n == "net-a")
        .unwrap()
        .0
        .clone();
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (vec![], vec!["default", "net-a", "net-b", "net-c"]),
        (vec!["name=net-a".into()], vec!["net-a"]),
        (vec!["name=^net-[ab]$".into()], vec!["net-a", "net-b"]),
        (
            vec!["name=net-a".into(), "name=net-c".into()],
            vec!["net-a", "net-c"],
        ),
        (vec!["label=a".into()], vec!["net-a", "net-b"]),
        (vec!["label=a=1".into()], vec!["net-a"]),
        (vec!["label=a".into(), "label=b".into()], vec!["net-b"]),
        (vec!["label!=a".into()], vec!["default", "net-c"]),
        (
            vec!["driver=bridge".into()],
            vec!["default", "net-a", "net-b", "net-c"],
        ),
        (vec!["driver=macvlan".into()], vec![]),
        (vec!["dangling=true".into()], vec!["net-b", "net-c"]),
        (vec!["dangling=false".into()], vec!["default", "net-a"]),
        (vec!["until=2000-01-01".into()], vec![]),
    ];
    for (filters, want) in &cases {
        let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
        let got: BTreeSet<String> = f
            .networks(&filters)
            .iter()
            .map(|id| rpod_names[id].clone())
            .collect();
        let got = names(&got.into_iter().collect::<Vec<_>>().join("\n"));
        assert_eq!(got, set(want), "network ls {filters:?}");
        let mut args = vec!["network", "ls", "--format", "{{.Name}}"];
        args.extend(filter_flags(&filters));
        assert_eq!(
            names(&b.p.ok(&args)),
            set(want),
            "podman network ls {filters:?}"
        );
    }
    assert_eq!(f.networks(&[&format!("id={}", &id_a[..8])]), set(&[&id_a]));
    // Docker's names and its `type` filter.
    let q = enc(&filters_json(&["type=builtin"]));
    let builtin = field_set(&get_json(&svc, &format!("/networks?filters={q}")), "Name");
    assert_eq!(builtin, set(&["bridge", "host", "none"]));
    let q = enc(&filters_json(&["name=bridge"]));
    let named = field_set(&get_json(&svc, &format!("/networks?filters={q}")), "Name");
    assert_eq!(named, set(&["bridge"]));

    f.refused(
        &["network", "ls"],
        Some("/networks"),
        "/v4.3.1/libpod/networks/json",
        &["foo=bar"],
        "invalid filter \"foo\"",
    );
    let out = b.p.run(&["network", "ls", "--filter", "foo=bar"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: invalid filter \"foo\""
    );
}

#[test]
fn pod_filters_agree_across_front_ends_and_with_podman() {
    let b = both();
    let engines: [&Cli; 2] = [&|a| b.e.ok(a), &|a| b.p.ok(a)];
    for run in engines {
        run(&["network", "create", "pnet"]);
        run(&[
            "pod",
            "create",
            "--name",
            "pod-a",
            "--label",
            "a=1",
            "--network",
            "none",
        ]);
        run(&[
            "run", "-d", "--name", "mem-a", "--pod", "pod-a", "probe", "sleep", "1000",
        ]);
        run(&[
            "pod",
            "create",
            "--name",
            "pod-b",
            "--label",
            "a=2",
            "--label",
            "b=x",
            "--network",
            "none",
        ]);
        run(&[
            "create", "--name", "mem-b", "--pod", "pod-b", "probe", "true",
        ]);
        run(&["pod", "create", "--name", "pod-c", "--network", "pnet"]);
    }
    let svc = Service::start(&b.e);
    let f = Frontends { e: &b.e, svc: &svc };
    let rpod_names: BTreeMap<String, String> =
        b.e.ok(&["pod", "ps", "--no-trunc", "--format", "{{.Id}} {{.Name}}"])
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(i, n)| (i.to_string(), n.to_string()))
            .collect();
    assert_eq!(rpod_names.len(), 3, "{rpod_names:?}");
    let id_a = rpod_names
        .iter()
        .find(|(_, n)| *n == "pod-a")
        .unwrap()
        .0
        .clone();
    let cases: Vec<(Vec<&str>, Vec<&str>, bool)> = vec![
        (vec![], vec!["pod-a", "pod-b", "pod-c"], true),
        (vec!["name=^pod-a$"], vec!["pod-a"], true),
        (
            vec!["name=pod-a", "name=pod-b"],
            vec!["pod-a", "pod-b"],
            true,
        ),
        (vec!["label=a"], vec!["pod-a", "pod-b"], true),
        (vec!["label=a", "label=b"], vec!["pod-b"], true),
        (vec!["label!=b"], vec!["pod-a", "pod-c"], false),
        (vec!["status=running"], vec!["pod-a"], true),
        (vec!["status=created"], vec!["pod-b", "pod-c"], true),
        (
            vec!["status=running", "status=created"],
            vec!["pod-a", "pod-b", "pod-c"],
            true,
        ),
        (vec!["ctr-number=2"], vec!["pod-a", "pod-b"], true),
        (vec!["ctr-number=1"], vec!["pod-c"], true),
        (vec!["ctr-status=running"], vec!["pod-a"], true),
        (vec!["network=pnet"], vec!["pod-c"], true),
        // Podman 4.3 matches no pod by its containers' names or IDs.
        (vec!["ctr-names=^mem-a$"], vec!["pod-a"], false),
        (vec!["until=2000-01-01"], vec![], true),
    ];
    for (filters, want, with_podman) in &cases {
        let got: BTreeSet<String> = f
            .pods(filters)
            .iter()
            .map(|id| rpod_names[id].clone())
            .collect();
        assert_eq!(got, set(want), "pod ps {filters:?}");
        if *with_podman {
            let mut args = vec!["pod", "ps", "--format", "{{.Name}}"];
            args.extend(filter_flags(filters));
            assert_eq!(
                names(&b.p.ok(&args)),
                set(want),
                "podman pod ps {filters:?}"
            );
        }
    }
    assert_eq!(f.pods(&[&format!("id={}", &id_a[..8])]), set(&[&id_a]));
    let mem_a = b.e.inspect_fmt("mem-a", "{{.Id}}");
    assert_eq!(
        f.pods(&[&format!("ctr-ids={}", &mem_a[..8])]),
        set(&[&id_a])
    );

    f.refused(
        &["pod", "ps"],
        None,
        "/v4.3.1/libpod/pods/json",
        &["foo=bar"],
        "foo is an invalid filter",
    );
    f.refused(
        &["pod", "ps"],
        None,
        "/v4.3.1/libpod/pods/json",
        &["status=bogus"],
        "bogus is not a valid pod status",
    );
    let out = b.p.run(&["pod", "ps", "--filter", "status=bogus"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: bogus is not a valid pod status"
    );
}

//! The shapes of rpod's JSON documents against the installed podman's:
//! the same objects are made in both engines, and for each document the
//! set of key paths with their JSON types must be the same.
//!
//! Arrays contribute the shape of their first element; a path under an
//! empty array or map, or under `null`, on one side is not compared; `null`
//! matches any type. Objects that are maps with free keys (labels,
//! annotations, options, port maps, …) contribute `*` for their keys.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use serde_json::Value;

/// Keys whose objects are maps with free keys, not structs.
const MAP_KEYS: &[&str] = &[
    "Labels",
    "labels",
    "Annotations",
    "Options",
    "options",
    "ipam_options",
    "Data",
    "PortBindings",
    "Ports",
    "Tmpfs",
    "Networks",
    "networks",
    "CgroupConf",
    "Namespaces",
    "Volumes",
    "Attributes",
    "DriverOpts",
    "graphOptions",
    "graphStatus",
    "registries",
];

/// Differences that remain on purpose: (document, path, reason).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "container inspect",
        "[].HostConfig.IDMappings",
        "as Init: Podman leaves it out of its JSON without a user namespace, its \
         templates print null for it ({{json .HostConfig.IDMappings}})",
    ),
    (
        "container inspect",
        "[].HostConfig.Init",
        "Podman's Go struct has it but leaves it out of its JSON when false; \
         rpod's templates read the JSON, so it stays for {{.HostConfig.Init}}",
    ),
    (
        "container inspect",
        "[].NetworkSettings.Networks",
        "as Init: Podman leaves the empty map out of its JSON, its templates print map[]",
    ),
    (
        "container inspect",
        "[].Config.sdNotifyMode",
        "the one lower-case key of Config: rpod's templates take an object whose keys \
         are all exported Go names for a struct, and with it Config would become a map \
         ({{.Config.Nope}} printing <no value> instead of failing as in Podman)",
    ),
    (
        "pod inspect",
        ".Labels",
        "as Init: Podman leaves the empty map out of its JSON, its templates print map[]",
    ),
    (
        "version",
        ".Client.RustVersion",
        "rpod is not built with Go (GoVersion is empty): this names its toolchain",
    ),
    (
        "info",
        ".version.RustVersion",
        "as version's Client.RustVersion",
    ),
];

/// `(path → type)` and the set of paths that are empty arrays/maps or null.
#[derive(Default)]
struct Shape {
    types: BTreeMap<String, &'static str>,
    leaves: BTreeSet<String>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn walk(v: &Value, path: &str, key: &str, out: &mut Shape) {
    out.types.insert(path.to_string(), type_name(v));
    match v {
        Value::Array(items) => match items.first() {
            Some(first) => walk(first, &format!("{path}[]"), key, out),
            None => {
                out.leaves.insert(path.to_string());
            }
        },
        Value::Object(map) if MAP_KEYS.contains(&key) => match map.values().next() {
            Some(first) => walk(first, &format!("{path}.*"), "", out),
            None => {
                out.leaves.insert(path.to_string());
            }
        },
        Value::Object(map) => {
            if map.is_empty() {
                out.leaves.insert(path.to_string());
            }
            for (k, x) in map {
                walk(x, &format!("{path}.{k}"), k, out);
            }
        }
        Value::Null => {
            out.leaves.insert(path.to_string());
        }
        _ => {}
    }
}

fn shape(v: &Value) -> Shape {
    let mut s = Shape::default();
    walk(v, "", "", &mut s);
    s
}

/// True if some proper ancestor of `path` is an empty/null leaf in `s`.
fn under_leaf(s: &Shape, path: &str) -> bool {
    s.leaves.iter().any(|l| {
        path.len() > l.len()
            && path.starts_with(l.as_str())
            && matches!(path.as_bytes()[l.len()], b'.' | b'[')
    })
}

/// The differences between the two documents' shapes, minus the allowed ones.
fn differences(doc: &str, ours: &Value, theirs: &Value) -> (usize, Vec<String>) {
    let (a, b) = (shape(ours), shape(theirs));
    let paths: BTreeSet<&String> = a.types.keys().chain(b.types.keys()).collect();
    let mut out = Vec::new();
    for p in &paths {
        // `inspect` of a container is `container inspect`.
        let alias = if doc == "inspect" {
            "container inspect"
        } else {
            doc
        };
        let allowed = ALLOWED.iter().any(|(d, ap, _)| *d == alias && ap == p);
        let line = match (a.types.get(*p), b.types.get(*p)) {
            (Some(x), Some(y)) if x == y || *x == "null" || *y == "null" => None,
            (Some(x), Some(y)) => Some(format!("{doc}: {p}: rpod {x}, podman {y}")),
            (Some(x), None) if !under_leaf(&b, p) => {
                Some(format!("{doc}: {p}: only in rpod ({x})"))
            }
            (None, Some(y)) if !under_leaf(&a, p) => {
                Some(format!("{doc}: {p}: only in podman ({y})"))
            }
            _ => None,
        };
        if let Some(l) = line {
            if !allowed {
                out.push(l);
            }
        }
    }
    (paths.len(), out)
}

fn parse(engine: &str, what: &str, text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{engine} {what}: {e}\n{text}"))
}

/// The element of a list document whose `key` (a string, or a list of
/// strings) holds `want`.
fn pick(list: &Value, key: &str, want: &str) -> Value {
    list.as_array()
        .and_then(|items| {
            items.iter().find(|i| match &i[key] {
                Value::String(s) => s == want,
                Value::Array(v) => v.iter().any(|x| x.as_str() == Some(want)),
                _ => false,
            })
        })
        .cloned()
        .unwrap_or_else(|| panic!("no element with {key}={want} in {list}"))
}

/// Runs the same command in both engines; the two parsed documents.
fn both_json(b: &Both, args: &[&str]) -> (Value, Value) {
    let what = args.join(" ");
    (
        parse("rpod", &what, &b.e.ok(args)),
        parse("podman", &what, &b.p.ok(args)),
    )
}

/// The first event of `kind` with `status` for the object named `name`,
/// from `events --format json` (one document per line).
fn event(text: &str, kind: &str, status: &str, name: &str) -> Value {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["Type"] == kind && v["Status"] == status && v["Name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {status} event for {name} in\n{text}"))
}

fn setup(run: impl Fn(&[&str]), net: &str) {
    run(&[
        "run",
        "-d",
        "--name",
        "c",
        "--network",
        "none",
        "probe",
        "sleep",
        "1000",
    ]);
    run(&["volume", "create", "v"]);
    run(&["network", "create", net]);
    run(&["pod", "create", "--name", "p"]);
}

/// Podman keeps network definitions outside its --root: the test's network
/// is removed from it on the way out, whatever happens.
struct PodmanNetwork<'a>(&'a Podman, String);

impl Drop for PodmanNetwork<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["network", "rm", "-f", &self.1]);
    }
}

#[test]
fn json_documents_have_podmans_shapes() {
    let b = Both::new();
    let net = format!("rpod-shapes-{}", std::process::id());
    let _net_guard = PodmanNetwork(&b.p, net.clone());
    setup(
        |args| {
            b.e.ok(args);
        },
        &net,
    );
    setup(
        |args| {
            b.p.ok(args);
        },
        &net,
    );
    let mut docs: Vec<(&str, Value, Value)> = Vec::new();
    let mut add = |name: &'static str, (ours, theirs): (Value, Value)| {
        docs.push((name, ours, theirs));
    };
    add(
        "container inspect",
        both_json(&b, &["container", "inspect", "c"]),
    );
    add("inspect", both_json(&b, &["inspect", "c"]));
    add(
        "image inspect",
        both_json(&b, &["image", "inspect", "probe"]),
    );
    add("volume inspect", both_json(&b, &["volume", "inspect", "v"]));
    add(
        "network inspect",
        both_json(&b, &["network", "inspect", &net]),
    );
    add("pod inspect", both_json(&b, &["pod", "inspect", "p"]));
    let (o, t) = both_json(&b, &["ps", "-a", "--format", "json"]);
    add("ps", (pick(&o, "Names", "c"), pick(&t, "Names", "c")));
    let (o, t) = both_json(&b, &["images", "--format", "json"]);
    add(
        "images",
        (
            pick(&o, "Names", "localhost/probe:latest"),
            pick(&t, "Names", "localhost/probe:latest"),
        ),
    );
    let (o, t) = both_json(&b, &["pod", "ps", "--format", "json"]);
    add("pod ps", (pick(&o, "Name", "p"), pick(&t, "Name", "p")));
    let (o, t) = both_json(&b, &["volume", "ls", "--format", "json"]);
    add("volume ls", (pick(&o, "Name", "v"), pick(&t, "Name", "v")));
    let (o, t) = both_json(&b, &["network", "ls", "--format", "json"]);
    add(
        "network ls",
        (pick(&o, "name", &net), pick(&t, "name", &net)),
    );
    add("info", both_json(&b, &["info", "--format", "json"]));
    add("version", both_json(&b, &["version", "--format", "json"]));
    add(
        "history",
        both_json(&b, &["history", "--format", "json", "probe"]),
    );
    let args = ["events", "--stream=false", "--format", "json"];
    let (o, t) = (b.e.ok(&args), b.p.ok(&args));
    add(
        "events",
        (
            event(&o, "container", "create", "c"),
            event(&t, "container", "create", "c"),
        ),
    );

    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (name, ours, theirs) in &docs {
        let (n, diffs) = differences(name, ours, theirs);
        report.push(format!("{name}: {n} paths"));
        failures.extend(diffs);
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "{} differences in JSON shapes:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_shape_comparison_works() {
    let a = serde_json::json!({"A": 1, "B": [], "C": null, "Labels": {"x": "1"}, "D": {"E": "s"}});
    let b =
        serde_json::json!({"A": "1", "B": [{"F": 1}], "C": {"G": 1}, "Labels": {"y": 2}, "D": {}});
    let (_, d) = differences("t", &a, &b);
    assert_eq!(
        d,
        vec![
            "t: .A: rpod number, podman string".to_string(),
            "t: .Labels.*: rpod string, podman number".to_string(),
        ]
    );
}

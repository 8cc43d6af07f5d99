//! The same Docker API requests sent to a real Docker Engine (Debian's
//! dockerd 20.10 on a private socket) and to `rpod system service`: the
//! status codes must be equal, and every key path of Docker's JSON answer
//! must be in rpod's with the same type (`null` matches any type: Go
//! encodes empty slices and maps as `null`). rpod's extra fields are
//! allowed; the differences kept on purpose are listed in `ALLOWED`, each
//! with its reason, and in docs/api.md.

mod api_support;
mod common;

use std::collections::BTreeMap;

use api_support::*;
use common::*;
use serde_json::Value;

/// Object members whose keys are data (names, ports, label keys), not
/// field names: their members are compared as one `{*}`.
const MAPS: &[&str] = &[
    "Labels",
    "Options",
    "Networks",
    "Ports",
    "ExposedPorts",
    "Volumes",
    "Containers",
    "DriverOpts",
    "Status",
    "Annotations",
    "Runtimes",
    "IndexConfigs",
];

/// Key paths of Docker's answers that rpod leaves out on purpose, with the
/// reason, as (request label, path prefix).
const ALLOWED: &[(&str, &str, &str)] = &[
    ("info", ".RegistryConfig.IndexConfigs", "rpod has no implicit docker.io index: registries come from registries.conf"),
    ("info", ".RegistryConfig.InsecureRegistryCIDRs[]", "Docker treats 127.0.0.0/8 as insecure by default; rpod only the registries registries.conf marks insecure"),
    ("committed inspect", ".ContainerConfig", "Docker keeps the committing container's configuration there (deprecated since API 1.44); rpod records the image's Config only"),
    ("image inspect", ".GraphDriver.Data", "rpod shows the merged directory only: the overlay's lower, upper and work directories are storage internals"),
    ("committed inspect", ".GraphDriver.Data", "rpod shows the merged directory only: the overlay's lower, upper and work directories are storage internals"),
    ("inspect created", ".GraphDriver.Data", "rpod shows the merged directory only: the overlay's lower, upper and work directories are storage internals"),
    ("inspect running", ".GraphDriver.Data", "rpod shows the merged directory only: the overlay's lower, upper and work directories are storage internals"),
    ("inspect exited", ".GraphDriver.Data", "rpod shows the merged directory only: the overlay's lower, upper and work directories are storage internals"),
];

fn paths(v: &Value, prefix: &str, map: bool, out: &mut BTreeMap<String, &'static str>) {
    let ty = match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let slot = out.entry(prefix.to_string()).or_insert(ty);
    if *slot == "null" {
        *slot = ty;
    }
    match v {
        Value::Array(items) => {
            for i in items {
                paths(i, &format!("{prefix}[]"), false, out);
            }
        }
        Value::Object(members) => {
            for (k, m) in members {
                let key = if map { "{*}" } else { k.as_str() };
                paths(
                    m,
                    &format!("{prefix}.{key}"),
                    MAPS.contains(&k.as_str()),
                    out,
                );
            }
        }
        _ => {}
    }
}

fn key_paths(body: &[u8]) -> Option<BTreeMap<String, &'static str>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let mut out = BTreeMap::new();
    paths(&v, "", false, &mut out);
    Some(out)
}

/// Both engines and the differences found so far.
struct Diff {
    dockerd: Dockerd,
    rpod: Service,
    problems: Vec<String>,
}

impl Diff {
    /// Sends one request to both; returns their bodies (docker, rpod).
    fn send(
        &mut self,
        label: &str,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> (Vec<u8>, Vec<u8>) {
        let (ct, b) = body.map_or(("", None), |(c, b)| (c, Some(b)));
        let path = format!("/v1.41{path}");
        let (ds, _, db) = http(&self.dockerd.socket, method, &path, ct, b);
        let (rs, _, rb) = http(&self.rpod.socket, method, &path, ct, b);
        if ds != rs {
            self.problems.push(format!(
                "{label}: {method} {path}: dockerd {ds} {:?}, rpod {rs} {:?}",
                String::from_utf8_lossy(&db),
                String::from_utf8_lossy(&rb)
            ));
        }
        if let (Some(dp), Some(rp)) = (key_paths(&db), key_paths(&rb)) {
            for (p, ty) in &dp {
                let allowed = ALLOWED
                    .iter()
                    .any(|(l, a, _)| *l == label && (p == a || p.starts_with(&format!("{a}."))));
                if allowed {
                    continue;
                }
                match rp.get(p) {
                    None => self
                        .problems
                        .push(format!("{label}: rpod lacks {p} ({ty})")),
                    Some(rt) if rt != ty && *rt != "null" && *ty != "null" => self
                        .problems
                        .push(format!("{label}: {p} is {rt} in rpod, {ty} in dockerd")),
                    _ => {}
                }
            }
        }
        (db, rb)
    }
}

#[test]
fn docker_and_rpod_answer_alike() {
    let e = Engine::new();
    let mut d = Diff {
        dockerd: Dockerd::start(&e),
        rpod: Service::start(&e),
        problems: Vec::new(),
    };
    let tar = std::fs::read(e.busybox_tar()).unwrap();
    let tar = ("application/x-tar", tar.as_slice());
    let json = |v: Value| serde_json::to_vec(&v).unwrap();

    d.send("ping", "GET", "/_ping", None);
    d.send("version", "GET", "/version", None);
    d.send("info", "GET", "/info", None);
    d.send(
        "import",
        "POST",
        "/images/create?fromSrc=-&repo=diffimg&tag=latest",
        Some(tar),
    );
    d.send("images", "GET", "/images/json", None);
    d.send("image inspect", "GET", "/images/diffimg/json", None);
    d.send("image history", "GET", "/images/diffimg/history", None);
    d.send("image missing", "GET", "/images/nope/json", None);
    d.send(
        "tag",
        "POST",
        "/images/diffimg/tag?repo=diffimg2&tag=v1",
        None,
    );

    let create = json(serde_json::json!({
        "Image": "diffimg", "Cmd": ["sleep", "60"], "Labels": {"a": "b"},
        "Env": ["X=1"], "HostConfig": {"NetworkMode": "none"}
    }));
    let ct = ("application/json", create.as_slice());
    d.send("create", "POST", "/containers/create?name=c1", Some(ct));
    d.send(
        "create conflict",
        "POST",
        "/containers/create?name=c1",
        Some(ct),
    );
    d.send("inspect created", "GET", "/containers/c1/json", None);
    d.send("start", "POST", "/containers/c1/start", None);
    d.send("start again", "POST", "/containers/c1/start", None);
    d.send("inspect running", "GET", "/containers/c1/json", None);
    d.send("list", "GET", "/containers/json", None);
    d.send("top", "GET", "/containers/c1/top", None);
    d.send(
        "commit",
        "POST",
        "/commit?container=c1&repo=committed&comment=hi&changes=ENV%20Y%3D2",
        None,
    );
    d.send("committed inspect", "GET", "/images/committed/json", None);
    d.send("stop", "POST", "/containers/c1/stop?t=0", None);
    d.send("stop again", "POST", "/containers/c1/stop?t=0", None);
    d.send("wait", "POST", "/containers/c1/wait", None);
    d.send("inspect exited", "GET", "/containers/c1/json", None);
    d.send("list all", "GET", "/containers/json?all=1", None);
    d.send("missing container", "GET", "/containers/nope/json", None);
    d.send("remove missing", "DELETE", "/containers/nope", None);
    d.send("remove", "DELETE", "/containers/c1", None);

    let vol = json(serde_json::json!({"Name": "v1", "Labels": {"k": "v"}}));
    d.send(
        "volume create",
        "POST",
        "/volumes/create",
        Some(("application/json", &vol)),
    );
    d.send("volume inspect", "GET", "/volumes/v1", None);
    d.send("volumes", "GET", "/volumes", None);
    d.send("volume missing", "GET", "/volumes/nope", None);
    d.send("volume remove", "DELETE", "/volumes/v1", None);

    let net = json(serde_json::json!({"Name": "n1", "Labels": {"k": "v"}}));
    d.send(
        "network create",
        "POST",
        "/networks/create",
        Some(("application/json", &net)),
    );
    d.send("network inspect", "GET", "/networks/n1", None);
    d.send("network missing", "GET", "/networks/nope", None);
    d.send("network remove", "DELETE", "/networks/n1", None);

    d.send("swarm", "GET", "/swarm", None);
    d.send("swarm leave", "POST", "/swarm/leave?force=true", None);
    d.send("services", "GET", "/services", None);
    d.send("nodes", "GET", "/nodes", None);
    d.send("tasks", "GET", "/tasks", None);
    d.send("swarm secrets", "GET", "/secrets", None);
    d.send("configs", "GET", "/configs", None);
    d.send("plugins", "GET", "/plugins", None);
    d.send("plugin missing", "GET", "/plugins/nope/json", None);
    d.send("images remove", "DELETE", "/images/committed", None);

    assert!(
        d.problems.is_empty(),
        "{} differences:\n{}",
        d.problems.len(),
        d.problems.join("\n")
    );
}

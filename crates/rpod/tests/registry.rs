//! pull / push / login against a real registry (Debian's docker-registry) on 127.0.0.1, and
//! hostile registry responses from a tiny HTTP server of the test's own.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use common::*;

fn id_of(e: &Engine, name: &str) -> String {
    e.ok(&["image", "inspect", name, "--format", "{{.Id}}"])
}

#[test]
fn push_then_pull_keeps_id_and_digest_and_policies_apply() {
    let reg = Registry::start(None);
    let e = Engine::with_image();
    let dest = format!("{}/test/busybox:1", reg.host());
    // The digest of what was pushed: the layers went out compressed, as
    // Podman pushes them, so it is not the local manifest's.
    let file = e.file("pushed.digest");
    e.ok(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--digestfile",
        file.to_str().unwrap(),
        "busybox",
        &dest,
    ]);
    let id = id_of(&e, "busybox");
    let digest = std::fs::read_to_string(&file).unwrap();
    assert_ne!(
        digest,
        e.ok(&["image", "inspect", "busybox", "--format", "{{.Digest}}"])
    );

    let other = Engine::new();
    let out = other.rpod(&["pull", "--tls-verify=false", &dest]);
    assert!(out.status.success(), "{}\n{}", describe(&out), reg.log());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Copying blob"),
        "plain progress lines: {stderr}"
    );
    assert_eq!(id_of(&other, &dest), id);
    assert_eq!(
        other.ok(&["image", "inspect", &dest, "--format", "{{.Digest}}"]),
        digest
    );
    assert_eq!(
        other.ok(&["run", "--rm", &dest, "echo", "pulled"]),
        "pulled"
    );

    // -q: only the ID.
    let quiet = other.rpod(&["pull", "-q", "--tls-verify=false", &dest]);
    assert!(quiet.status.success());
    assert!(quiet.stderr.is_empty(), "{}", describe(&quiet));

    // Policies on create: never fails for a missing image, missing pulls it.
    let fresh = Engine::new();
    let (code, _) = fresh.fails(&["create", "--pull", "never", &dest, "true"]);
    assert_eq!(code, 125);
    fresh.ok(&[
        "create",
        "--pull",
        "missing",
        "--tls-verify=false",
        "--name",
        "c",
        &dest,
        "true",
    ]);
    assert_eq!(id_of(&fresh, &dest), id);
    fresh.ok(&[
        "create",
        "--pull",
        "newer",
        "--tls-verify=false",
        &dest,
        "true",
    ]);

    // --all-tags: every tag of the repository, as podman pulls them.
    let second = format!("{}/test/busybox:2", reg.host());
    e.ok(&["push", "-q", "--tls-verify=false", "busybox", &second]);
    let repo = format!("{}/test/busybox", reg.host());
    let all = Engine::new();
    let out = all.ok(&["pull", "-q", "-a", "--tls-verify=false", &repo]);
    assert_eq!(out.lines().count(), 2, "{out}");
    let mut tags: Vec<String> = all
        .ok(&["images", "--format", "{{.Tag}}"])
        .lines()
        .map(str::to_string)
        .collect();
    tags.sort();
    assert_eq!(tags, ["1", "2"]);
    let p = Podman::new(&all);
    let args = ["pull", "-q", "--all-tags", "--tls-verify=false", &dest];
    assert_eq!(
        all.rpod(&args).status.code(),
        p.run(&args).status.code(),
        "a tag with --all-tags"
    );
}

#[test]
fn registries_conf_insecure_alias_and_search() {
    let reg = Registry::start(None);
    let e = Engine::with_image();
    std::fs::write(
        e.path().join("registries.conf"),
        format!(
            "unqualified-search-registries = [\"{h}\"]\n[[registry]]\nlocation = \"{h}\"\ninsecure = true\n[aliases]\n\"bb\" = \"{h}/lib/busybox\"\n",
            h = reg.host()
        ),
    )
    .unwrap();
    e.ok(&[
        "push",
        "-q",
        "busybox",
        &format!("{}/lib/busybox:latest", reg.host()),
    ]);
    e.ok(&[
        "push",
        "-q",
        "busybox",
        &format!("{}/searched:latest", reg.host()),
    ]);
    let other = Engine::new();
    std::fs::copy(
        e.path().join("registries.conf"),
        other.path().join("registries.conf"),
    )
    .unwrap();
    other.ok(&["pull", "-q", "bb"]);
    other.ok(&["pull", "-q", "searched"]);
    let names = other.ok(&["images", "--format", "{{.Repository}}"]);
    assert!(
        names.contains(&format!("{}/lib/busybox", reg.host())),
        "{names}"
    );
    assert!(
        names.contains(&format!("{}/searched", reg.host())),
        "{names}"
    );
}

#[test]
fn login_with_basic_auth_and_authfile() {
    let reg = Registry::start(Some(("alice", "s3cret")));
    let e = Engine::with_image();
    let authfile = e.file("auth.json");
    let af = authfile.to_str().unwrap();
    let dest = format!("{}/private/busybox:latest", reg.host());
    let (code, _) = e.fails(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--authfile",
        af,
        "busybox",
        &dest,
    ]);
    assert_eq!(code, 125);
    let (code, err) = e.fails(&[
        "login",
        "--tls-verify=false",
        "--authfile",
        af,
        "-u",
        "alice",
        "-p",
        "wrong",
        &reg.host(),
    ]);
    assert_eq!(code, 125, "{err}");
    e.ok(&[
        "login",
        "--tls-verify=false",
        "--authfile",
        af,
        "-u",
        "alice",
        "-p",
        "s3cret",
        &reg.host(),
    ]);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&authfile).unwrap()).unwrap();
    assert!(saved["auths"][reg.host()]["auth"].is_string(), "{saved}");
    // --get-login reads it back as podman's does; -v names the file.
    let get = ["login", "--get-login", "--authfile", af, &reg.host()];
    assert_eq!(e.ok(&get), "alice");
    let p = Podman::new(&e);
    assert_eq!(p.ok(&get), "alice");
    let other_host = ["login", "--get-login", "--authfile", af, "127.0.0.1:1"];
    assert_eq!(
        e.rpod(&other_host).status.code(),
        p.run(&other_host).status.code()
    );
    let out = e.ok(&[
        "login",
        "-v",
        "--tls-verify=false",
        "--authfile",
        af,
        "-u",
        "alice",
        "-p",
        "s3cret",
        &reg.host(),
    ]);
    assert!(
        out.contains(&format!("Used: {af}")) && out.contains("Login Succeeded!"),
        "{out}"
    );
    e.ok(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--authfile",
        af,
        "busybox",
        &dest,
    ]);
    let other = Engine::new();
    other.ok(&[
        "pull",
        "-q",
        "--tls-verify=false",
        "--creds",
        "alice:s3cret",
        &dest,
    ]);
    e.ok(&["logout", "--authfile", af, &reg.host()]);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&authfile).unwrap()).unwrap();
    assert!(saved["auths"].get(reg.host()).is_none());
}

#[test]
fn manifest_list_picks_the_platform() {
    let reg = Registry::start(None);
    let e = Engine::with_image();
    let host = reg.host();
    // The digests of what was pushed (layers go out compressed, so the
    // registry's manifests are not the local ones).
    let pushed = |image: &str, dest: String| {
        let file = e.file(&format!("{image}.digest"));
        e.ok(&[
            "push",
            "-q",
            "--tls-verify=false",
            "--digestfile",
            file.to_str().unwrap(),
            image,
            &dest,
        ]);
        std::fs::read_to_string(&file).unwrap()
    };
    let manifest_digest = pushed("busybox", format!("{host}/multi:amd"));
    // A second "arm64" image: same layer, a different config.
    let tar = e.busybox_tar();
    e.ok(&[
        "import",
        "--change",
        "CMD=[\"echo\",\"arm\"]",
        tar.to_str().unwrap(),
        "armish",
    ]);
    let arm_digest = pushed("armish", format!("{host}/multi:arm"));
    let size = |name: &str| {
        let out = std::process::Command::new("skopeo")
            .args([
                "inspect",
                "--raw",
                "--tls-verify=false",
                &format!("docker://{host}/multi:{name}"),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        out.stdout.len()
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm_digest,
             "size": size("arm"), "platform": {"architecture": "arm64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
             "size": size("amd"), "platform": {"architecture": "amd64", "os": "linux"}},
        ]
    });
    let body = serde_json::to_vec(&index).unwrap();
    let put = std::process::Command::new("curl")
        .args([
            "-sf",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/vnd.oci.image.index.v1+json",
            "--data-binary",
            "@-",
            &format!("http://{host}/v2/multi/manifests/list"),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&body)?;
            c.wait()
        });
    assert!(
        put.map(|s| s.success()).unwrap_or(false),
        "PUT index: {}",
        reg.log()
    );
    let other = Engine::new();
    let list = format!("{host}/multi:list");
    other.ok(&["pull", "-q", "--tls-verify=false", "--arch", "arm64", &list]);
    assert_eq!(other.ok(&["run", "--rm", &list]), "arm");
    other.ok(&[
        "pull",
        "-q",
        "--tls-verify=false",
        "--platform",
        "linux/amd64",
        &list,
    ]);
    assert_eq!(
        other.ok(&["image", "inspect", &list, "--format", "{{.Digest}}"]),
        manifest_digest
    );
}

/// Serves canned responses: `/v2/` → 200, manifest → `manifest`, blobs by digest.
fn serve(routes: Vec<(String, String, Vec<u8>)>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(false).unwrap();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(40) {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            if path == "/quit" {
                break;
            }
            let found = routes.iter().find(|(p, _, _)| *p == path);
            let (status, ctype, body) = match (path.as_str(), found) {
                ("/v2/", _) => ("200 OK", "application/json".to_string(), b"{}".to_vec()),
                (_, Some((_, ctype, body))) => ("200 OK", ctype.clone(), body.clone()),
                _ => (
                    "404 Not Found",
                    "application/json".to_string(),
                    br#"{"errors":[{"code":"NOT_FOUND","message":"no"}]}"#.to_vec(),
                ),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(10)));
            let _ = reader.read_to_end(&mut rest);
        }
    });
    (port, handle)
}

fn stop(port: u16, handle: std::thread::JoinHandle<()>) {
    let _ = std::net::TcpStream::connect(("127.0.0.1", port))
        .and_then(|mut s| s.write_all(b"GET /quit HTTP/1.1\r\n\r\n"));
    let _ = handle.join();
}

/// Routes for one image `repo:tag` with the given (possibly inconsistent) manifest.
fn image_routes(
    config: &[u8],
    layer: &[u8],
    manifest: serde_json::Value,
) -> Vec<(String, String, Vec<u8>)> {
    let m = serde_json::to_vec(&manifest).unwrap();
    vec![
        (
            "/v2/evil/manifests/latest".into(),
            "application/vnd.oci.image.manifest.v1+json".into(),
            m,
        ),
        (
            format!("/v2/evil/blobs/sha256:{}", sha256_hex(config)),
            "application/octet-stream".into(),
            config.to_vec(),
        ),
        (
            format!("/v2/evil/blobs/sha256:{}", sha256_hex(layer)),
            "application/octet-stream".into(),
            layer.to_vec(),
        ),
    ]
}

fn manifest_for(config: &[u8], layer: &[u8], layer_size: u64) -> serde_json::Value {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{}", sha256_hex(config)), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": format!("sha256:{}", sha256_hex(layer)), "size": layer_size}],
    })
}

fn pull_refused(routes: Vec<(String, String, Vec<u8>)>, needle: &str) {
    let (port, handle) = serve(routes);
    let e = Engine::new();
    let (code, err) = e.fails(&[
        "pull",
        "-q",
        "--tls-verify=false",
        &format!("127.0.0.1:{port}/evil:latest"),
    ]);
    stop(port, handle);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert_eq!(e.ok(&["images", "-q"]), "", "nothing stored");
    let layers = std::fs::read_dir(e.root().join("storage/layers"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(layers, 0);
}

#[test]
fn hostile_registry_responses_are_refused() {
    let layer = tar_with_files(&[("f", b"data")]);
    let config = image_config_json(&[format!("sha256:{}", sha256_hex(&layer))], &["sh"]);

    // A 10 GB declared size on a tiny blob.
    let routes = image_routes(&config, &layer, manifest_for(&config, &layer, 10 << 30));
    pull_refused(routes, "declared 10737418240 bytes");

    // A blob served with other content than its digest.
    let mut routes = image_routes(
        &config,
        &layer,
        manifest_for(&config, &layer, layer.len() as u64),
    );
    routes[2].2 = tar_with_files(&[("f", b"evil")]);
    pull_refused(routes, "igest");

    // A config that is not JSON.
    let bad_config = b"not json at all".to_vec();
    let routes = image_routes(
        &bad_config,
        &layer,
        manifest_for(&bad_config, &layer, layer.len() as u64),
    );
    pull_refused(routes, "config is not JSON");

    // A layer escaping with ../
    let evil = tar_with_files(&[("../../escape", b"x")]);
    let evil_config = image_config_json(&[format!("sha256:{}", sha256_hex(&evil))], &["sh"]);
    let routes = image_routes(
        &evil_config,
        &evil,
        manifest_for(&evil_config, &evil, evil.len() as u64),
    );
    pull_refused(routes, "unsafe archive entry");
}

/// `search` lists a registry's catalog as podman does (the same output
/// byte for byte for tables, JSON, templates, tags, limits and filters),
/// and the Docker API's `/images/search` answers docker-py.
#[test]
fn search_lists_the_catalog_as_podman_does() {
    let reg = Registry::start(None);
    let e = Engine::with_image();
    let host = reg.host();
    for repo in [
        "alpha/one:latest",
        "alpha/two:latest",
        "beta:latest",
        "beta:v2",
    ] {
        e.ok(&[
            "push",
            "-q",
            "--tls-verify=false",
            "busybox",
            &format!("{host}/{repo}"),
        ]);
    }
    let p = Podman::new(&e);
    let all = format!("{host}/");
    let alpha = format!("{host}/alpha");
    let al = format!("{host}/al");
    let beta = format!("{host}/beta");
    let beta_v2 = format!("{host}/beta:v2");
    let none = format!("{host}/zzz");
    let cases: Vec<Vec<&str>> = vec![
        vec![&all],
        vec![&alpha],
        vec!["--compatible", &al],
        vec!["--limit", "1", &all],
        vec!["--list-tags", &beta],
        vec!["--list-tags", &beta_v2],
        vec!["--format", "json", &beta],
        vec!["--list-tags", "--format", "json", &beta],
        vec![
            "--format",
            "{{.Index}} {{.Name}} {{.Stars}} [{{.Official}}]",
            &all,
        ],
        vec!["--filter", "stars=1", &all],
        vec!["--filter", "is-official", &all],
        vec!["--no-trunc", &none],
        vec!["--filter", "bogus=1", &all],
    ];
    // `image search` is the same command.
    for (i, case) in cases.iter().enumerate() {
        let mut args = if i % 2 == 0 {
            vec!["search", "--tls-verify=false"]
        } else {
            vec!["image", "search", "--tls-verify=false"]
        };
        args.extend(case.iter().copied());
        let (ours, theirs) = (e.rpod(&args), p.run(&args));
        assert_eq!(
            (ours.status.code(), String::from_utf8_lossy(&ours.stdout)),
            (
                theirs.status.code(),
                String::from_utf8_lossy(&theirs.stdout)
            ),
            "{args:?}\nrpod: {}\npodman: {}",
            describe(&ours),
            describe(&theirs)
        );
    }

    let svc = e.file("api.sock");
    let uri = format!("unix://{}", svc.display());
    let mut child = e
        .cmd(&["system", "service", &uri, "--time", "0"])
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the API socket", POLL_TIMEOUT, || {
        std::os::unix::net::UnixStream::connect(&svc).is_ok()
    });
    let script = r#"
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
found = c.images.search(sys.argv[2] + "/alpha")
assert [f["name"] for f in found] == [sys.argv[2] + "/alpha/one", sys.argv[2] + "/alpha/two"], found
assert found[0]["star_count"] == 0 and found[0]["is_official"] is False, found
assert c.images.search(sys.argv[2] + "/alpha", limit=1)[0]["name"].endswith("/alpha/one")
print("ok")
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &uri, &host])
        .output()
        .unwrap();
    kill_pid(child.id() as i32, libc::SIGKILL);
    let _ = child.wait();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "{}",
        describe(&out)
    );
}

/// Removes a per-host directory under `/etc/containers/certs.d` on drop.
struct CertsD(std::path::PathBuf);

impl Drop for CertsD {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn cert_dir_and_certs_d_trust_a_registrys_ca_as_podman_does() {
    let reg = Registry::start_tls();
    let b = Both::new();
    let certs = b.e.file("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(reg.ca_cert(), certs.join("ca.crt")).unwrap();
    let c = certs.to_str().unwrap();
    let host = reg.host();
    let dest = format!("{host}/test/probe:1");
    // Without the CA neither engine trusts the registry; with --cert-dir both push.
    for (args, ok) in [
        (vec!["push", "-q", "probe", &dest], false),
        (vec!["push", "-q", "--cert-dir", c, "probe", &dest], true),
        (
            vec!["login", "--cert-dir", c, "-u", "u", "-p", "p", &host],
            true,
        ),
        (vec!["image", "pull", "-q", "--cert-dir", c, &dest], true),
    ] {
        let ours = b.e.rpod(&args);
        let theirs = b.p.run(&args);
        assert_eq!(
            (ours.status.success(), theirs.status.success()),
            (ok, ok),
            "{args:?}\nrpod: {}\npodman: {}\n{}",
            describe(&ours),
            describe(&theirs),
            reg.log()
        );
        if !ok {
            assert_eq!(ours.status.code(), Some(125));
            let err = String::from_utf8_lossy(&ours.stderr);
            assert_eq!(err.trim().lines().count(), 1, "{err}");
        }
    }
    // A fresh engine pulls, builds FROM and plays a pod of the image with --cert-dir.
    let e = Engine::new();
    e.ok(&["pull", "-q", "--cert-dir", c, &dest]);
    e.ok(&["rmi", &dest]);
    let ctx = e.file("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        format!("FROM {dest}\nRUN true\n"),
    )
    .unwrap();
    e.ok(&[
        "build",
        "-q",
        "--cert-dir",
        c,
        "-t",
        "localhost/fromtls",
        ctx.to_str().unwrap(),
    ]);
    e.ok(&["rmi", "-f", "localhost/fromtls", &dest]);
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tp\nspec:\n  containers:\n  - name: c\n    image: {dest}\n    command: [\"sleep\", \"1000\"]\n"
    );
    let file = e.file("pod.yaml");
    std::fs::write(&file, yaml).unwrap();
    e.ok(&[
        "kube",
        "play",
        "--network",
        "none",
        "--cert-dir",
        c,
        file.to_str().unwrap(),
    ]);
    e.ok(&["kube", "down", file.to_str().unwrap()]);
    e.ok(&["rmi", &dest]);
    // The per-host directory of /etc/containers/certs.d is read without a flag.
    let per_host = std::path::Path::new("/etc/containers/certs.d").join(&host);
    std::fs::create_dir_all(&per_host).unwrap();
    let _cleanup = CertsD(per_host.clone());
    std::fs::copy(reg.ca_cert(), per_host.join("ca.crt")).unwrap();
    e.ok(&["pull", "-q", &dest]);
    // A client certificate pair cannot be presented: refused with the reason.
    let client = e.file("client");
    std::fs::create_dir_all(&client).unwrap();
    std::fs::write(client.join("client.cert"), "x").unwrap();
    std::fs::write(client.join("client.key"), "x").unwrap();
    let (code, err) = e.fails(&["pull", "--cert-dir", client.to_str().unwrap(), &dest]);
    assert_eq!(code, 125);
    assert!(err.contains("client certificates"), "{err}");
}

/// The manifest a registry holds for `reference` (HOST/PATH:TAG), asked for
/// in any format: its content type and the media types inside.
fn manifest_types(host: &str, path: &str, tag: &str) -> (String, String, Vec<String>) {
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /v2/{path}/manifests/{tag} HTTP/1.0\r\nHost: {host}\r\nAccept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let ct = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Type: "))
        .unwrap_or("")
        .to_string();
    let m: serde_json::Value = serde_json::from_str(body).unwrap();
    let layers = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap().to_string())
        .collect();
    (
        ct,
        m["config"]["mediaType"].as_str().unwrap().to_string(),
        layers,
    )
}

/// `push --format oci|v2s2` writes that manifest type, as podman's push
/// does for the same image; signing and compression flags are refused by
/// name, and an unknown format with Podman's words.
#[test]
fn push_format_writes_the_manifest_type_as_podman() {
    let reg = Registry::start(None);
    let b = Both::new();
    for format in ["v2s2", "oci"] {
        let mine = format!("{}/mine/{format}:1", reg.host());
        let theirs = format!("{}/theirs/{format}:1", reg.host());
        b.e.ok(&[
            "push",
            "-q",
            "--tls-verify=false",
            "--format",
            format,
            "probe",
            &mine,
        ]);
        b.p.ok(&[
            "push",
            "-q",
            "--tls-verify=false",
            "--format",
            format,
            "probe",
            &theirs,
        ]);
        let (a, p) = (
            manifest_types(&reg.host(), &format!("mine/{format}"), "1"),
            manifest_types(&reg.host(), &format!("theirs/{format}"), "1"),
        );
        assert_eq!(a, p, "{format}");
        // What was pushed pulls and runs.
        let other = Engine::new();
        other.ok(&["pull", "-q", "--tls-verify=false", &mine]);
        assert_eq!(other.ok(&["run", "--rm", &mine, "echo", "ok"]), "ok");
    }
    let dest = format!("{}/mine/x:1", reg.host());
    let args = [
        "push",
        "--tls-verify=false",
        "--format",
        "bogus",
        "probe",
        &dest,
    ];
    let (mine, theirs) = (b.e.rpod(&args), b.p.run(&args));
    assert_eq!(mine.status.code(), theirs.status.code());
    assert_eq!(
        String::from_utf8_lossy(&mine.stderr).trim(),
        String::from_utf8_lossy(&theirs.stderr).trim()
    );
    for flags in [
        &["--sign-by", "me@example.org"][..],
        &["--compression-format", "zstd"],
        &["--compress"],
    ] {
        let mut args = vec!["push", "--tls-verify=false"];
        args.extend_from_slice(flags);
        args.extend(["probe", &dest]);
        let (code, err) = b.e.fails(&args);
        assert_eq!(code, 125, "{flags:?}");
        assert!(
            err.contains(flags[0].trim_start_matches('-').split('-').next().unwrap()),
            "{err}"
        );
    }
    // --remove-signatures: rpod stores no signatures; the push goes on.
    b.e.ok(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--remove-signatures",
        "probe",
        &dest,
    ]);
}

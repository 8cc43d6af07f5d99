//! Secrets: `rpod secret …` side by side with `podman secret …`, `--secret`
//! as a file and as an environment variable, values kept out of every
//! record, and the libpod API.

mod api_support;
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Output};

use api_support::*;
use common::*;
use serde_json::Value;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

fn is_secret_id(s: &str) -> bool {
    s.len() == 25 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The structure of a JSON value: object keys (recursively), array element
/// shapes, and the kind of each scalar.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().take(1).map(shape).collect()),
        Value::String(_) => Value::String("string".into()),
        Value::Number(_) => Value::String("number".into()),
        Value::Bool(_) => Value::String("bool".into()),
        Value::Null => Value::Null,
    }
}

/// The inspect document's shape without the label and option maps, whose
/// keys are the user's.
fn inspect_shape(v: &Value) -> Value {
    let mut v = v.clone();
    v["Spec"]["Labels"] = Value::Null;
    v["Spec"]["Driver"]["Options"] = Value::Null;
    shape(&v)
}

/// podman is the reference: a missing one fails the test (`.ci/run` installs it).
fn podman_available() -> bool {
    assert!(have("podman"), "podman is not installed");
    true
}

/// Runs the same `secret` command line in rpod and podman.
struct Both<'a> {
    e: &'a Engine,
    p: Option<Podman>,
}

impl Both<'_> {
    fn run(&self, args: &[&str], input: Option<&[u8]>) -> (Output, Option<Output>) {
        let r = run_with_timeout(self.e.cmd(args), input, COMMAND_TIMEOUT);
        let p = self
            .p
            .as_ref()
            .map(|p| run_with_timeout(p.cmd(args), input, COMMAND_TIMEOUT));
        (r, p)
    }

    /// Runs in both; asserts both exit with `want`; returns rpod's and
    /// podman's outputs.
    fn expect(&self, args: &[&str], input: Option<&[u8]>, want: i32) -> (Output, Option<Output>) {
        let (r, p) = self.run(args, input);
        assert_eq!(code(&r), want, "rpod {args:?}: {}", describe(&r));
        if let Some(p) = &p {
            assert_eq!(code(p), want, "podman {args:?}: {}", describe(p));
        }
        (r, p)
    }
}

#[test]
fn secret_commands_match_podman() {
    let e = Engine::new();
    let both = Both {
        e: &e,
        p: podman_available().then(|| Podman::new(&e)),
    };
    let file = e.file("value");
    std::fs::write(&file, "from-a-file").unwrap();
    let file = file.to_str().unwrap();

    // Create from a file and from stdin; the output is the new ID.
    let (r, p) = both.expect(&["secret", "create", "one", file], None, 0);
    assert!(is_secret_id(&stdout(&r)), "{}", describe(&r));
    if let Some(p) = &p {
        assert!(is_secret_id(&stdout(p)));
    }
    let one_id = stdout(&r);
    let (r, _) = both.expect(
        &[
            "secret", "create", "--label", "a=b", "--label", "c=d", "two", "-",
        ],
        Some(b"from-stdin"),
        0,
    );
    let two_id = stdout(&r);
    // --env reads the value from the named variable.
    let mut rc = e.cmd(&["secret", "create", "--env", "three", "SECRET_SOURCE_VAR"]);
    rc.env("SECRET_SOURCE_VAR", "from-env");
    let r = run_with_timeout(rc, None, COMMAND_TIMEOUT);
    assert!(r.status.success(), "{}", describe(&r));
    if let Some(pm) = &both.p {
        let mut pc = pm.cmd(&["secret", "create", "--env", "three", "SECRET_SOURCE_VAR"]);
        pc.env("SECRET_SOURCE_VAR", "from-env");
        let p = run_with_timeout(pc, None, COMMAND_TIMEOUT);
        assert!(p.status.success(), "{}", describe(&p));
    }

    // Failures: same exit code (125), one line each.
    for (args, input) in [
        (vec!["secret", "create", "one", file], None),
        (vec!["secret", "create", "bad/name", file], None),
        (vec!["secret", "create", "-bad", file], None),
        (vec!["secret", "create", "empty", "/dev/null"], None),
        (
            vec!["secret", "create", "nofile", "/nonexistent/file"],
            None,
        ),
        (vec!["secret", "create", "-d", "pass", "other", file], None),
        (
            vec!["secret", "create", "--env", "noenv", "SECRET_UNSET_VAR"],
            None,
        ),
        (vec!["secret", "inspect", "nosuch"], None),
        (vec!["secret", "rm", "nosuch"], None),
        (vec!["secret", "rm"], None),
        (vec!["secret", "ls", "--filter", "bogus=x"], None),
    ] {
        let (r, _) = both.expect(&args, input, 125);
        assert_eq!(stderr(&r).lines().count(), 1, "{args:?}: {}", describe(&r));
    }
    let (r, _) = both.expect(
        &["secret", "create", "-d", "pass", "other", file],
        None,
        125,
    );
    assert!(stderr(&r).contains("only \"file\""), "{}", describe(&r));
    let (r, _) = both.expect(&["secret", "create", "one", file], None, 125);
    assert!(
        stderr(&r).contains("secret name in use"),
        "{}",
        describe(&r)
    );

    // ls: the table, templates, -q, --noheading, filters.
    let (r, p) = both.expect(&["secret", "ls"], None, 0);
    let table = stdout(&r);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ID", "NAME", "DRIVER", "CREATED", "UPDATED"]
    );
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[1].starts_with(&format!("{one_id}  one ")), "{table}");
    if let Some(p) = &p {
        let ptable = stdout(p);
        let words = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            words(ptable.lines().next().unwrap()),
            words(lines[0]),
            "{ptable}"
        );
        assert_eq!(ptable.lines().count(), 4);
        // Same column layout for the ID, NAME and DRIVER columns.
        let pl: Vec<&str> = ptable.lines().collect();
        assert_eq!(
            pl[1].find(" file "),
            lines[1].find(" file "),
            "{ptable}\n{table}"
        );
    }
    let fmt = "{{.Name}} {{.Driver}} {{.CreatedAt}}";
    let (r, p) = both.expect(&["secret", "ls", "--format", fmt], None, 0);
    let names = stdout(&r);
    assert!(names.contains("one file "), "{names}");
    if let Some(p) = &p {
        let pn = stdout(p);
        // The ages may tick between the two commands: compare the rest.
        // Podman lists in no particular order.
        let strip = |s: &str| -> Vec<String> {
            let mut v: Vec<String> = s
                .lines()
                .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
                .collect();
            v.sort();
            v
        };
        assert_eq!(strip(&names), strip(&pn));
    }
    let (r, p) = both.expect(&["secret", "ls", "-q"], None, 0);
    assert_eq!(stdout(&r).lines().count(), 3);
    assert!(stdout(&r).lines().all(is_secret_id));
    if let Some(p) = &p {
        assert_eq!(stdout(p).lines().count(), 3);
    }
    let (r, _) = both.expect(&["secret", "ls", "--noheading"], None, 0);
    assert_eq!(stdout(&r).lines().count(), 3);
    assert!(!stdout(&r).contains("DRIVER"));
    let (r, p) = both.expect(
        &[
            "secret",
            "ls",
            "--filter",
            "name=tw",
            "--format",
            "{{.Name}}",
        ],
        None,
        0,
    );
    assert_eq!(stdout(&r), "two");
    if let Some(p) = &p {
        assert_eq!(stdout(p), "two");
    }
    let (r, _) = both.expect(
        &[
            "secret",
            "ls",
            "--filter",
            &format!("id={}", &two_id[..8]),
            "-q",
        ],
        None,
        0,
    );
    assert_eq!(stdout(&r), two_id);

    // inspect: Podman's document, by name, ID and ID prefix.
    let (r, p) = both.expect(&["secret", "inspect", "one", "two"], None, 0);
    let docs: Value = serde_json::from_str(&stdout(&r)).unwrap();
    assert_eq!(docs.as_array().unwrap().len(), 2);
    let d = &docs[1];
    assert_eq!(d["ID"], two_id.as_str());
    assert_eq!(d["Spec"]["Name"], "two");
    assert_eq!(d["Spec"]["Driver"]["Name"], "file");
    assert_eq!(d["Spec"]["Labels"], serde_json::json!({"a": "b", "c": "d"}));
    assert_eq!(
        d["Spec"]["Driver"]["Options"]["path"],
        e.root().join("secrets/filedriver").to_str().unwrap()
    );
    assert_eq!(d["CreatedAt"], d["UpdatedAt"]);
    if let Some(p) = &p {
        let pdocs: Value = serde_json::from_str(&stdout(p)).unwrap();
        assert_eq!(inspect_shape(d), inspect_shape(&pdocs[1]));
        assert_eq!(pdocs[1]["Spec"]["Labels"], d["Spec"]["Labels"]);
        let opts = pdocs[1]["Spec"]["Driver"]["Options"].as_object().unwrap();
        assert_eq!(
            opts.keys().collect::<Vec<_>>(),
            d["Spec"]["Driver"]["Options"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>()
        );
    }
    let by_id: Value = serde_json::from_str(&e.ok(&["secret", "inspect", &one_id[..10]])).unwrap();
    assert_eq!(by_id[0]["Spec"]["Name"], "one");
    let (r, p) = both.expect(
        &[
            "secret",
            "inspect",
            "--format",
            "{{.Spec.Name}}:{{.Spec.Driver.Name}}",
            "two",
        ],
        None,
        0,
    );
    assert_eq!(stdout(&r), "two:file");
    if let Some(p) = &p {
        assert_eq!(stdout(p), "two:file");
    }
    let (r, p) = both.expect(&["secret", "inspect", "--pretty", "one"], None, 0);
    let labels = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split(':').next().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        labels(&stdout(&r)),
        ["ID", "Name", "Driver", "Created at", "Updated at"]
    );
    if let Some(p) = &p {
        assert_eq!(labels(&stdout(p)), labels(&stdout(&r)));
    }
    // A missing one among found ones: the found ones are printed, exit 125.
    let (r, p) = both.expect(&["secret", "inspect", "one", "nosuch"], None, 125);
    assert!(stdout(&r).contains(&one_id));
    assert!(stderr(&r).contains("no such secret"), "{}", describe(&r));
    if let Some(p) = &p {
        assert!(stdout(p).contains("\"one\""));
    }

    // exists (not in Podman 4.3): 0 or 1.
    assert_eq!(code(&e.rpod(&["secret", "exists", "one"])), 0);
    assert_eq!(code(&e.rpod(&["secret", "exists", &one_id])), 0);
    assert_eq!(code(&e.rpod(&["secret", "exists", "nosuch"])), 1);

    // rm: prints the IDs; a missing one fails the command after the others go.
    let (r, _) = both.expect(&["secret", "rm", "one", "nosuch"], None, 125);
    assert_eq!(stdout(&r), one_id);
    assert!(stderr(&r).contains("no such secret"), "{}", describe(&r));
    assert_eq!(code(&e.rpod(&["secret", "exists", "one"])), 1);
    let (r, _) = both.expect(&["secret", "rm", "-a", "two"], None, 125);
    assert!(stderr(&r).contains("--all"), "{}", describe(&r));
    let (r, p) = both.expect(&["secret", "rm", "-a"], None, 0);
    assert_eq!(stdout(&r).lines().count(), 2);
    if let Some(p) = &p {
        assert_eq!(stdout(p).lines().count(), 2);
    }
    let (r, _) = both.expect(&["secret", "ls", "-q"], None, 0);
    assert_eq!(stdout(&r), "");
    let left: Vec<_> = std::fs::read_dir(e.root().join("secrets/filedriver"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "values left behind: {left:?}");
}

#[test]
fn secret_files_are_private() {
    let e = Engine::new();
    let out = e.rpod_stdin(&["secret", "create", "priv2", "-"], b"value-of-priv2");
    assert!(out.status.success(), "{}", describe(&out));
    let id = stdout(&out);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = e.root().join("secrets");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("filedriver")), 0o700);
    let value = dir.join("filedriver").join(&id);
    assert_eq!(mode(&value), 0o600);
    assert_eq!(std::fs::read(&value).unwrap(), b"value-of-priv2");
    let index = std::fs::read_to_string(dir.join("secrets.json")).unwrap();
    assert!(index.contains("priv2"));
    assert!(!index.contains("value-of-priv2"));
    assert_eq!(mode(&dir.join("secrets.json")), 0o600);
}

#[test]
fn mount_secrets_match_podman() {
    let e = Engine::with_image();
    let p = podman_available().then(|| {
        let p = Podman::new(&e);
        p.ok(&[
            "import",
            "--change",
            "CMD=sh",
            e.busybox_tar().to_str().unwrap(),
            "busybox",
        ]);
        p
    });
    let cases: &[(&str, &str)] = &[
        // (--secret, what the container prints)
        (
            "db",
            "stat -c '%a %u:%g' /run/secrets/db; cat /run/secrets/db",
        ),
        (
            "db,uid=1000,gid=1001,mode=0400",
            "stat -c '%a %u:%g' /run/secrets/db; cat /run/secrets/db",
        ),
        (
            "db,target=/etc/app/db.conf,mode=0440",
            "stat -c '%a %u:%g' /etc/app/db.conf; cat /etc/app/db.conf; ls /run/secrets | wc -l",
        ),
        (
            "db,target=sub/file",
            "stat -c '%a %u:%g' /run/secrets/sub/file; cat /run/secrets/sub/file",
        ),
        (
            "db,mode=400",
            "stat -c '%a' /run/secrets/db; cat /run/secrets/db",
        ),
    ];
    for engine in ["rpod", "podman"] {
        let create = |args: &[&str], input: &[u8]| match engine {
            "rpod" => run_with_timeout(e.cmd(args), Some(input), COMMAND_TIMEOUT),
            _ => run_with_timeout(p.as_ref().unwrap().cmd(args), Some(input), COMMAND_TIMEOUT),
        };
        if engine == "podman" && p.is_none() {
            continue;
        }
        let out = create(
            &["secret", "create", "db", "-"],
            b"user=app\npass=hunter2\n",
        );
        assert!(out.status.success(), "{engine}: {}", describe(&out));
    }
    for (secret, script) in cases {
        let args = [
            "run", "--rm", "--secret", secret, "busybox", "sh", "-c", script,
        ];
        let r = e.rpod(&args);
        assert!(r.status.success(), "rpod {args:?}: {}", describe(&r));
        let rs = stdout(&r);
        assert!(rs.contains("pass=hunter2"), "{secret}: {rs}");
        if let Some(p) = &p {
            let po = p.run(&args);
            assert!(po.status.success(), "podman {args:?}: {}", describe(&po));
            // On purpose: rpod's default mode is 0400, tighter than Podman's 0444.
            assert_eq!(
                rs,
                stdout(&po).replace("444 0:0", "400 0:0"),
                "--secret {secret}"
            );
        }
    }
    // Read-only (Podman 4.3 mounts it writable: a write changes the
    // container's copy).
    let rs = e.ok(&[
        "run",
        "--rm",
        "--secret",
        "db",
        "busybox",
        "sh",
        "-c",
        "echo x > /run/secrets/db || echo read-only; cat /run/secrets/db",
    ]);
    assert_eq!(rs, "read-only\nuser=app\npass=hunter2");
    let rs = stdout(&e.rpod(&[
        "run",
        "--rm",
        "--secret",
        "db,uid=1000,gid=1001,mode=0400",
        "busybox",
        "stat",
        "-c",
        "%a %u %g",
        "/run/secrets/db",
    ]));
    assert_eq!(rs, "400 1000 1001");

    // inspect shows Podman's Config.Secrets, no value.
    e.ok(&[
        "create",
        "--name",
        "withsec",
        "--secret",
        "db,uid=7,gid=8,mode=0400",
        "busybox",
        "true",
    ]);
    let doc = e.inspect("withsec");
    let secrets = &doc["Config"]["Secrets"];
    let id = e.ok(&["secret", "inspect", "--format", "{{.ID}}", "db"]);
    assert_eq!(
        secrets,
        &serde_json::json!([{"Name": "db", "ID": id, "UID": 7, "GID": 8, "Mode": 256}])
    );
    if let Some(p) = &p {
        p.ok(&[
            "create",
            "--name",
            "withsec",
            "--secret",
            "db,uid=7,gid=8,mode=0400",
            "busybox",
            "true",
        ]);
        let pdoc: Value = serde_json::from_str(&p.ok(&["inspect", "withsec"])).unwrap();
        let ps = &pdoc[0]["Config"]["Secrets"];
        assert_eq!(shape(ps), shape(secrets));
        for k in ["Name", "UID", "GID", "Mode"] {
            assert_eq!(ps[0][k], secrets[0][k], "{k}");
        }
        // No secrets: no Secrets key in either.
        p.ok(&["create", "--name", "nosec", "busybox", "true"]);
        let pdoc: Value = serde_json::from_str(&p.ok(&["inspect", "nosec"])).unwrap();
        assert!(pdoc[0]["Config"].get("Secrets").is_none());
    }
    e.ok(&["create", "--name", "nosec", "busybox", "true"]);
    assert!(e.inspect("nosec")["Config"].get("Secrets").is_none());

    // Bad requests: same exit codes as Podman.
    for bad in [
        "nosuch",
        "db,type=bogus",
        "db,bogus=1",
        "db,type",
        "db,uid=-1",
        "db,mode=999",
        "db,type=env,uid=1",
        "db,type=env,mode=0400",
        ",type=env",
    ] {
        let args = ["run", "--rm", "--secret", bad, "busybox", "true"];
        let r = e.rpod(&args);
        assert_eq!(code(&r), 125, "rpod --secret {bad}: {}", describe(&r));
        if let Some(p) = &p {
            assert_eq!(code(&p.run(&args)), 125, "podman --secret {bad}");
        }
    }
    assert!(e.all_ids().len() == 2, "failed runs left containers behind");
}

#[test]
fn env_secrets_match_podman() {
    let e = Engine::with_image();
    let p = podman_available().then(|| {
        let p = Podman::new(&e);
        p.ok(&[
            "import",
            "--change",
            "CMD=sh",
            e.busybox_tar().to_str().unwrap(),
            "busybox",
        ]);
        p
    });
    let make = |args: &[&str]| {
        let r = e.rpod_stdin(args, b"tok-123");
        assert!(r.status.success(), "{}", describe(&r));
        if let Some(p) = &p {
            let o = run_with_timeout(p.cmd(args), Some(b"tok-123"), COMMAND_TIMEOUT);
            assert!(o.status.success(), "{}", describe(&o));
        }
    };
    make(&["secret", "create", "apitoken", "-"]);
    for (secret, script) in [
        (
            "apitoken,type=env",
            "env | grep -c tok-123; echo \"$apitoken\"",
        ),
        (
            "apitoken,type=env,target=API_TOKEN",
            "echo \"$API_TOKEN\"; echo \"${apitoken:-unset}\"",
        ),
        ("apitoken,type=env", "ls /run/secrets 2>/dev/null | wc -l"),
    ] {
        let args = [
            "run", "--rm", "--secret", secret, "busybox", "sh", "-c", script,
        ];
        let r = e.rpod(&args);
        assert!(r.status.success(), "rpod {args:?}: {}", describe(&r));
        if let Some(p) = &p {
            let po = p.run(&args);
            assert!(po.status.success(), "podman {args:?}: {}", describe(&po));
            assert_eq!(stdout(&r), stdout(&po), "--secret {secret}");
        }
    }
    // printenv reads the variable the secret set (and overrides -e).
    let out = e.ok(&[
        "run",
        "--rm",
        "-e",
        "API_TOKEN=plain",
        "--secret",
        "apitoken,type=env,target=API_TOKEN",
        "busybox",
        "sh",
        "-c",
        "env | grep ^API_TOKEN=",
    ]);
    assert_eq!(out, "API_TOKEN=tok-123");
    // Not in inspect's environment or its Secrets list (as Podman).
    e.ok(&[
        "create",
        "--name",
        "envc",
        "--secret",
        "apitoken,type=env",
        "busybox",
        "true",
    ]);
    let doc = e.inspect("envc");
    assert!(!doc.to_string().contains("tok-123"));
    assert!(doc["Config"].get("Secrets").is_none());

    // exec'd processes get it too; it is looked up again for each, so once
    // the secret is gone an exec fails.
    let run = [
        "run",
        "-d",
        "--name",
        "envexec",
        "--secret",
        "apitoken,type=env",
        "busybox",
        "sleep",
        "1000",
    ];
    let exec = ["exec", "envexec", "sh", "-c", "echo \"[$apitoken]\""];
    e.ok(&run);
    assert_eq!(e.ok(&exec), "[tok-123]");
    // Health checks run as exec'd processes: they see it too.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "envhealth",
        "--secret",
        "apitoken,type=env",
        "--health-cmd",
        "test \"$apitoken\" = tok-123",
        "--health-interval",
        "1h",
        "--health-retries",
        "1",
        "busybox",
        "sleep",
        "1000",
    ]);
    e.ok(&["healthcheck", "run", "envhealth"]);
    e.ok(&["rm", "-f", "-t", "0", "envhealth"]);
    e.ok(&["secret", "rm", "apitoken"]);
    let (_, err) = e.fails(&exec);
    assert!(err.contains("no such secret"), "{err}");
    if let Some(p) = &p {
        p.ok(&run);
        assert_eq!(p.ok(&exec), "[tok-123]");
        p.ok(&["secret", "rm", "apitoken"]);
        let out = p.run(&exec);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("no such secret"),
            "{}",
            describe(&out)
        );
        p.ok(&["rm", "-f", "-t", "0", "envexec"]);
    }
    e.ok(&["rm", "-f", "-t", "0", "envexec"]);
}

fn assert_absent(what: &str, haystack: &[u8], needle: &str) {
    assert!(
        !haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes()),
        "the secret value is in {what}"
    );
}

#[test]
fn values_never_appear_in_records() {
    let e = Engine::with_image();
    let value = "Zq7-UNMISTAKABLE-secret-4417";
    let out = e.rpod_stdin(
        &["secret", "create", "--label", "l=1", "tok", "-"],
        value.as_bytes(),
    );
    assert!(out.status.success(), "{}", describe(&out));
    e.ok(&[
        "run",
        "--name",
        "user",
        "--secret",
        "tok",
        "--secret",
        "tok,type=env,target=TOK",
        "busybox",
        "sh",
        "-c",
        "test \"$(cat /run/secrets/tok)\" = \"$TOK\" && echo same",
    ]);
    assert_eq!(e.logs("user").trim(), "same");
    e.ok(&["start", "-a", "user"]);

    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    for args in [
        vec!["inspect", "user"],
        vec!["container", "inspect", "--size", "user"],
        vec!["logs", "user"],
        vec!["ps", "-a", "--format", "json"],
        vec!["secret", "inspect", "tok"],
        vec!["secret", "ls", "--format", "json"],
        vec!["events", "--stream=false"],
    ] {
        let out = e.rpod(&args);
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        let mut all = out.stdout.clone();
        all.extend_from_slice(&out.stderr);
        texts.push((format!("rpod {}", args.join(" ")), all));
    }
    let events = e.runroot().join("events/events.log");
    texts.push(("the events file".into(), std::fs::read(&events).unwrap()));
    let db = e.root().join("rpod.db");
    for suffix in ["", "-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(bytes) = std::fs::read(&p) {
            texts.push((p.display().to_string(), bytes));
        }
    }
    let row = Command::new("sqlite3")
        .arg("-readonly")
        .arg(&db)
        .arg("SELECT config FROM containers WHERE name = 'user'")
        .output();
    if let Ok(row) = row {
        assert!(row.status.success(), "sqlite3: {}", describe(&row));
        let config: Value = serde_json::from_slice(&row.stdout).unwrap();
        let recorded = config["secrets"].as_array().expect("secrets in the config");
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[0]["name"], "tok");
        texts.push(("the config row".into(), row.stdout));
    }
    texts.push((
        "the log file".into(),
        std::fs::read(e.inspect_fmt("user", "{{.HostConfig.LogConfig.Path}}")).unwrap(),
    ));
    texts.push((
        "secrets.json".into(),
        std::fs::read(e.root().join("secrets/secrets.json")).unwrap(),
    ));
    for (what, bytes) in &texts {
        assert_absent(what, bytes, value);
    }

    // Where the value may be: the driver's file, the container's own copy and
    // its mounted file (0700 directories), the 0600 runtime spec.
    let id = e.inspect_fmt("user", "{{.Id}}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let userdata = e.root().join("containers").join(&id).join("userdata");
    assert_eq!(mode(&userdata.join("secrets")), 0o700);
    for f in std::fs::read_dir(userdata.join("secrets")).unwrap() {
        let f = f.unwrap().path();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read_to_string(&f).unwrap(), value);
    }
    assert_eq!(mode(&userdata.join("config.json")), 0o600);
    let rundir = e.runroot().join("containers").join(&id).join("secrets");
    assert_eq!(mode(&rundir), 0o700);
    let mounted: Vec<_> = std::fs::read_dir(&rundir).unwrap().collect();
    assert_eq!(mounted.len(), 1);
    let meta = std::fs::metadata(mounted[0].as_ref().unwrap().path()).unwrap();
    assert_eq!((meta.mode() & 0o777, meta.uid()), (0o400, 0));

    e.ok(&["rm", "user"]);
    assert!(!userdata.exists());
    assert!(!rundir.exists());
}

#[test]
fn removing_a_secret_in_use_matches_podman() {
    let e = Engine::with_image();
    let p = podman_available().then(|| {
        let p = Podman::new(&e);
        p.ok(&[
            "import",
            "--change",
            "CMD=sh",
            e.busybox_tar().to_str().unwrap(),
            "busybox",
        ]);
        p
    });
    type Run<'a> = Box<dyn Fn(&[&str], Option<&[u8]>) -> Output + 'a>;
    let mut engines: Vec<(&str, Run)> = vec![(
        "rpod",
        Box::new(|a: &[&str], i: Option<&[u8]>| run_with_timeout(e.cmd(a), i, COMMAND_TIMEOUT)),
    )];
    if let Some(p) = &p {
        engines.push((
            "podman",
            Box::new(move |a: &[&str], i: Option<&[u8]>| {
                run_with_timeout(p.cmd(a), i, COMMAND_TIMEOUT)
            }),
        ));
    }
    for (name, run) in &engines {
        let ok = |a: &[&str], i: Option<&[u8]>| {
            let o = run(a, i);
            assert!(o.status.success(), "{name} {a:?}: {}", describe(&o));
            stdout(&o)
        };
        ok(&["secret", "create", "m", "-"], Some(b"old-mount"));
        ok(&["secret", "create", "v", "-"], Some(b"old-env"));
        ok(
            &[
                "create",
                "--name",
                "fm",
                "--secret",
                "m",
                "busybox",
                "cat",
                "/run/secrets/m",
            ],
            None,
        );
        ok(
            &[
                "create",
                "--name",
                "fv",
                "--secret",
                "v,type=env",
                "busybox",
                "sh",
                "-c",
                "echo $v",
            ],
            None,
        );
        // Removing a secret in use is allowed.
        ok(&["secret", "rm", "m", "v"], None);
        // A mount secret was copied at creation: the container keeps the old value,
        // even once a new secret takes the name.
        ok(&["secret", "create", "m", "-"], Some(b"new-mount"));
        assert_eq!(ok(&["start", "-a", "fm"], None), "old-mount", "{name}");
        // An env secret is looked up at start: gone means the start fails.
        let out = run(&["start", "-a", "fv"], None);
        assert_eq!(code(&out), 125, "{name}: {}", describe(&out));
        assert!(
            stderr(&out).contains("no such secret"),
            "{name}: {}",
            describe(&out)
        );
        // A new secret of that name is used from then on.
        ok(&["secret", "create", "v", "-"], Some(b"new-env"));
        assert_eq!(ok(&["start", "-a", "fv"], None), "new-env", "{name}");
        ok(&["rm", "-f", "fm", "fv"], None);
        ok(&["secret", "rm", "-a"], None);
    }
}

#[test]
fn libpod_api_secrets() {
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let sock = svc.socket.clone();
    let value = "api-value-8812-UNIQUE";
    let (st, _, body) = http(
        &sock,
        "POST",
        "/v4.3.1/libpod/secrets/create?name=apisec&labels=%7B%22k%22%3A%22v%22%7D",
        "application/octet-stream",
        Some(value.as_bytes()),
    );
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
    let created: Value = serde_json::from_slice(&body).unwrap();
    let id = created["ID"].as_str().unwrap().to_string();
    assert!(is_secret_id(&id));
    // The same name again: 409.
    let (st, _, body) = http(
        &sock,
        "POST",
        "/libpod/secrets/create?name=apisec",
        "application/octet-stream",
        Some(b"x"),
    );
    assert_eq!(st, 409, "{}", String::from_utf8_lossy(&body));
    assert!(message(&body).contains("in use"));
    // Another driver: 400, one line.
    let (st, _, body) = http(
        &sock,
        "POST",
        "/libpod/secrets/create?name=other&driver=pass",
        "application/octet-stream",
        Some(b"x"),
    );
    assert_eq!(st, 400, "{}", String::from_utf8_lossy(&body));
    // No name: 400.
    let (st, _, _) = http(
        &sock,
        "POST",
        "/libpod/secrets/create",
        "application/octet-stream",
        Some(b"x"),
    );
    assert_eq!(st, 400);

    let (st, _, body) = http(&sock, "GET", "/libpod/secrets/json", "", None);
    assert_eq!(st, 200);
    let list: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["ID"], id.as_str());
    assert_eq!(list[0]["Spec"]["Name"], "apisec");
    assert_eq!(list[0]["Spec"]["Labels"]["k"], "v");
    assert_absent("the list", &body, value);
    let (st, _, body) = http(
        &sock,
        "GET",
        "/libpod/secrets/json?filters=%7B%22name%22%3A%5B%22nomatch%22%5D%7D",
        "",
        None,
    );
    assert_eq!(st, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        serde_json::json!([])
    );

    let (st, _, body) = http(&sock, "GET", "/libpod/secrets/apisec/json", "", None);
    assert_eq!(st, 200);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["ID"], id.as_str());
    assert_eq!(doc["Spec"]["Driver"]["Name"], "file");
    assert_absent("the inspect answer", &body, value);
    let (st, _, body) = http(&sock, "GET", "/libpod/secrets/nosuch/json", "", None);
    assert_eq!(st, 404);
    assert!(message(&body).contains("no such secret"));
    let (st, _, _) = http(
        &sock,
        "GET",
        &format!("/libpod/secrets/{id}/exists"),
        "",
        None,
    );
    assert_eq!(st, 204);
    let (st, _, _) = http(&sock, "GET", "/libpod/secrets/nosuch/exists", "", None);
    assert_eq!(st, 404);

    // A SpecGenerator with secrets and secret_env.
    let spec = serde_json::json!({
        "name": "apictr",
        "image": "busybox",
        "command": ["sh", "-c", "stat -c '%a %u:%g' /run/secrets/custom; cat /run/secrets/custom; echo; echo \"$FROM_SECRET\""],
        "secrets": [{"Source": "apisec", "Target": "custom", "UID": 5, "GID": 6, "Mode": 288}],
        "secret_env": {"FROM_SECRET": "apisec"},
    });
    let (st, _, body) = http(
        &sock,
        "POST",
        "/libpod/containers/create",
        "application/json",
        Some(spec.to_string().as_bytes()),
    );
    assert_eq!(st, 201, "{}", String::from_utf8_lossy(&body));
    let out = e.ok(&["start", "-a", "apictr"]);
    assert_eq!(out, format!("440 5:6\n{value}\n{value}"));
    let (st, _, body) = http(&sock, "GET", "/libpod/containers/apictr/json", "", None);
    assert_eq!(st, 200);
    assert_absent("the container's inspect answer", &body, value);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["Config"]["Secrets"][0]["Mode"], 288);
    // An unknown secret in a create body: 404.
    let bad = serde_json::json!({"image": "busybox", "secret_env": {"X": "nosuch"}});
    let (st, _, _) = http(
        &sock,
        "POST",
        "/libpod/containers/create",
        "application/json",
        Some(bad.to_string().as_bytes()),
    );
    assert_eq!(st, 404);

    let (st, _, _) = http(&sock, "DELETE", "/libpod/secrets/apisec", "", None);
    assert_eq!(st, 204);
    let (st, _, body) = http(&sock, "DELETE", "/libpod/secrets/apisec", "", None);
    assert_eq!(st, 404);
    assert!(message(&body).contains("no such secret"));
    // ?all=true
    for n in ["a1", "a2"] {
        let (st, _, _) = http(
            &sock,
            "POST",
            &format!("/libpod/secrets/create?name={n}"),
            "application/octet-stream",
            Some(b"v"),
        );
        assert_eq!(st, 200);
    }
    let (st, _, _) = http(&sock, "DELETE", "/libpod/secrets/a1?all=true", "", None);
    assert_eq!(st, 204);
    assert_eq!(e.ok(&["secret", "ls", "-q"]), "");
    // Docker's /secrets stay swarm's: 503 as on an engine outside a swarm.
    let (st, _, body) = http(&sock, "GET", "/secrets", "", None);
    assert_eq!(st, 503);
    assert!(message(&body).contains("swarm"), "{}", message(&body));
}

#[test]
fn podman_remote_secrets() {
    if !have("podman") {
        panic!("a test client is missing (no podman): .ci/run installs it");
    }
    let e = Engine::with_image();
    let svc = Service::start(&e);
    let remote = |args: &[&str], input: Option<&[u8]>| {
        let mut c = Command::new("podman");
        c.arg("--remote")
            .arg("--url")
            .arg(svc.host())
            .args(args)
            .env_remove("CONTAINER_HOST")
            .env_remove("CONTAINER_CONNECTION");
        run_with_timeout(c, input, COMMAND_TIMEOUT)
    };
    let ok = |args: &[&str], input: Option<&[u8]>| {
        let o = remote(args, input);
        assert!(
            o.status.success(),
            "podman --remote {args:?}: {}\nservice log:\n{}",
            describe(&o),
            svc.log()
        );
        stdout(&o)
    };
    let id = ok(
        &["secret", "create", "--label", "x=y", "rs", "-"],
        Some(b"remote-val"),
    );
    assert!(is_secret_id(&id), "{id}");
    assert_eq!(
        e.ok(&["secret", "inspect", "--format", "{{.ID}}", "rs"]),
        id
    );
    assert!(ok(&["secret", "ls"], None).contains("rs"));
    assert_eq!(
        ok(
            &[
                "secret",
                "inspect",
                "--format",
                "{{.Spec.Name}} {{.Spec.Labels.x}}",
                "rs"
            ],
            None
        ),
        "rs y"
    );
    assert_eq!(
        ok(
            &[
                "run",
                "--rm",
                "--secret",
                "rs",
                "busybox",
                "cat",
                "/run/secrets/rs"
            ],
            None
        ),
        "remote-val"
    );
    assert_eq!(
        ok(
            &[
                "run",
                "--rm",
                "--secret",
                "rs,type=env,target=RV",
                "busybox",
                "sh",
                "-c",
                "echo $RV"
            ],
            None
        ),
        "remote-val"
    );
    assert_eq!(code(&remote(&["secret", "rm", "nosuch"], None)), 125);
    assert_eq!(ok(&["secret", "rm", "rs"], None), id);
}

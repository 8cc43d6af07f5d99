//! Pods: an infra container holding shared namespaces, members that depend
//! on it, and the pod commands.

mod common;

use common::*;

#[test]
fn two_containers_in_a_pod_talk_over_localhost_and_share_a_hostname() {
    let e = Engine::with_image();
    let id = e.ok(&["pod", "create", "--name", "web", "--hostname", "podhost"]);
    assert_eq!(id.len(), 64);
    e.ok(&[
        "run",
        "-d",
        "--pod",
        "web",
        "--name",
        "srv",
        "busybox",
        "sh",
        "-c",
        "mkdir /w; echo pod-ok > /w/index.html; httpd -f -p 8080 -h /w",
    ]);
    let out = wait_for("the pod's web server", POLL_TIMEOUT, || {
        let o = e.rpod(&[
            "run",
            "--rm",
            "--pod",
            "web",
            "busybox",
            "sh",
            "-c",
            "hostname; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 8080 | tail -1",
        ]);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        text.contains("pod-ok").then_some(text)
    });
    assert!(out.starts_with("podhost"), "{out}");
    // The infra container started first and is a dependency of the members.
    let infra = e.ok(&["pod", "inspect", "web", "--format", "{{.InfraContainerID}}"]);
    assert_eq!(e.inspect_fmt(&infra, "{{.State.Status}}"), "running");
    assert_eq!(e.inspect("srv")["Dependencies"][0], infra.as_str());
    assert_eq!(
        e.ok(&[
            "pod",
            "ps",
            "--format",
            "{{.Name}} {{.Status}} {{.NumberOfContainers}}"
        ]),
        "web Running 2"
    );
    let (code, err) = e.fails(&[
        "run",
        "--rm",
        "--pod",
        "web",
        "--hostname",
        "x",
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("hostname"), "{err}");
}

#[test]
fn pod_lifecycle_commands_act_on_all_containers() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "p"]);
    e.ok(&[
        "create", "--pod", "p", "--name", "a", "busybox", "sleep", "300",
    ]);
    e.ok(&[
        "create", "--pod", "p", "--name", "b", "busybox", "sleep", "300",
    ]);
    assert_eq!(e.ok(&["pod", "ps", "--format", "{{.Status}}"]), "Created");
    e.ok(&["pod", "start", "p"]);
    assert_eq!(e.status("a"), "running");
    assert_eq!(e.status("b"), "running");
    e.ok(&["pod", "pause", "p"]);
    assert_eq!(e.status("a"), "paused");
    assert_eq!(e.ok(&["pod", "ps", "--format", "{{.Status}}"]), "Paused");
    e.ok(&["pod", "unpause", "p"]);
    let top = e.ok(&["pod", "top", "p"]);
    assert!(top.contains("sleep 300"), "{top}");
    e.ok(&["pod", "stop", "-t", "0", "p"]);
    assert_eq!(e.status("a"), "exited");
    assert_eq!(e.ok(&["pod", "ps", "--format", "{{.Status}}"]), "Exited");
    e.ok(&["pod", "restart", "-t", "0", "p"]);
    assert_eq!(e.status("b"), "running");
    e.ok(&["pod", "kill", "p"]);
    e.wait_status("a", "exited");
    e.ok(&["pod", "exists", "p"]);
    assert_eq!(e.fails(&["pod", "exists", "nope"]).0, 1);
    let events = e.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "type=pod",
        "--format",
        "{{.Status}}",
    ]);
    assert!(
        events.contains("create") && events.contains("stop"),
        "{events}"
    );
}

#[test]
fn removing_a_pod_removes_its_containers_and_refuses_running_ones() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "p"]);
    e.ok(&[
        "run", "-d", "--pod", "p", "--name", "m", "busybox", "sleep", "300",
    ]);
    let (code, err) = e.fails(&["pod", "rm", "p"]);
    assert_eq!(code, 125);
    assert!(err.contains("running"), "{err}");
    e.ok(&["pod", "rm", "-f", "-t", "0", "p"]);
    assert!(e.all_ids().is_empty());
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
    assert!(e.leftover_mounts().is_empty());
}

#[test]
fn run_pod_new_creates_the_pod_and_prune_removes_stopped_pods() {
    let e = Engine::with_image();
    let out = e.ok(&[
        "run",
        "--pod",
        "new:fresh",
        "--name",
        "x",
        "busybox",
        "echo",
        "in-pod",
    ]);
    assert_eq!(out, "in-pod");
    e.ok(&["pod", "exists", "fresh"]);
    e.ok(&["pod", "stop", "-t", "0", "fresh"]);
    let pruned = e.ok(&["pod", "prune", "-f"]);
    assert_eq!(pruned.lines().count(), 1, "{pruned}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn pods_share_pid_namespace_when_asked() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "p", "--share", "net,ipc,uts,pid"]);
    e.ok(&[
        "run", "-d", "--pod", "p", "--name", "s", "busybox", "sleep", "300",
    ]);
    let ps = e.ok(&["run", "--rm", "--pod", "p", "busybox", "ps", "-o", "args"]);
    assert!(ps.contains("sleep 300"), "{ps}");
    assert!(ps.contains("catatonit"), "{ps}");
    let (code, err) = e.fails(&["pod", "create", "--share", "bogus"]);
    assert_eq!(code, 125);
    assert!(err.contains("bogus"), "{err}");
}

#[test]
fn a_pod_without_infra_runs_containers_on_their_own() {
    let e = Engine::with_image();
    e.ok(&["pod", "create", "--name", "bare", "--infra=false"]);
    assert_eq!(
        e.ok(&[
            "pod",
            "inspect",
            "bare",
            "--format",
            "{{.InfraContainerID}}"
        ]),
        ""
    );
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--pod",
            "bare",
            "busybox",
            "echo",
            "ok"
        ]),
        "ok"
    );
}

#[test]
fn ports_published_on_the_pod_reach_its_containers_and_pod_stats_lists_them() {
    use std::io::{Read, Write};
    let e = Engine::with_image();
    let port = free_port();
    let publish = format!("{port}:8080");
    e.ok(&["pod", "create", "--name", "pp", "-p", &publish]);
    e.ok(&[
        "run",
        "-d",
        "--pod",
        "pp",
        "--name",
        "web",
        "busybox",
        "sh",
        "-c",
        "mkdir /w; echo from-the-pod > /w/index.html; httpd -f -p 8080 -h /w",
    ]);
    let body = wait_for("the pod's published port", POLL_TIMEOUT, || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .ok()?;
        s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.contains("from-the-pod").then_some(out)
    });
    assert!(body.starts_with("HTTP/1."), "{body}");
    let stats = e.ok(&["pod", "stats", "--no-stream", "--format", "{{.Name}}", "pp"]);
    assert!(stats.lines().any(|l| l == "web"), "{stats}");
    e.ok(&["pod", "rm", "-f", "-t", "0", "pp"]);
}

/// `pod ps`'s order and `--sort` keys, `--latest`, and the member and
/// namespace columns against podman on the same pods.
#[test]
fn pod_ps_sorts_and_member_columns_match_podman() {
    let b = Both::new();
    let both = |args: &[&str]| {
        b.e.ok(args);
        b.p.ok(args);
    };
    both(&["pod", "create", "--name", "p1"]);
    both(&[
        "create", "--pod", "p1", "--name", "m1", "probe", "sleep", "1000",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    both(&["pod", "create", "--name", "p2"]);
    // 12-hex IDs (in infra names too) masked.
    let mask = |s: String| -> String {
        let re = regex::Regex::new("[0-9a-f]{12,64}").unwrap();
        re.replace_all(&s, "ID").into_owned()
    };
    for args in [
        &["pod", "ps", "--format", "{{.Name}}"][..],
        &["pod", "ps", "--sort", "name", "--format", "{{.Name}}"],
        &["pod", "ps", "--sort", "number", "--format", "{{.Name}}"],
        &["pod", "ps", "-l", "--format", "{{.Name}}"],
        // (The cgroup parents differ by name: /libpod_parent, /rpod; the
        // members are in ID order, and the IDs differ.)
        &[
            "pod",
            "ps",
            "--sort",
            "name",
            "--format",
            "{{.ContainerStatuses}}|{{.Namespace}}",
        ],
        &[
            "pod",
            "ps",
            "--ctr-names",
            "--ctr-ids",
            "--ctr-status",
            "--noheading",
            "--sort",
            "name",
            "--format",
            "{{.ContainerIds}}",
        ],
    ] {
        assert_eq!(mask(b.e.ok(args)), mask(b.p.ok(args)), "{args:?}");
    }
    let args = [
        "pod",
        "ps",
        "--sort",
        "name",
        "--format",
        "{{.ContainerNames}}",
    ];
    let sets = |out: String| -> Vec<Vec<String>> {
        out.lines()
            .map(|l| {
                let mut v: Vec<String> = l.split(',').map(|n| mask(n.to_string())).collect();
                v.sort();
                v
            })
            .collect()
    };
    assert_eq!(sets(b.e.ok(&args)), sets(b.p.ok(&args)));
    for args in [
        &["pod", "ps", "--ctr-names"][..],
        &["pod", "ps", "--ctr-ids", "--ctr-status"],
        &["pod", "ps", "--ns"],
    ] {
        assert_eq!(
            table_columns(&b.e.ok(args)),
            table_columns(&b.p.ok(args)),
            "{args:?}"
        );
    }
    let args = ["pod", "ps", "--sort", "bogus"];
    assert_eq!(b.e.rpod(&args).status.code(), b.p.run(&args).status.code());
}

/// `--latest`, `--pod-id-file` and `pod stop --ignore` on the pod batch
/// commands, against podman: the pods acted on (by name) and exit codes.
#[test]
fn pod_latest_id_files_and_ignore_act_as_podman_does() {
    let b = Both::new();
    let ours_file = b.e.file("ours.podid");
    let theirs_file = b.e.file("theirs.podid");
    b.e.ok(&[
        "pod",
        "create",
        "--name",
        "first",
        "--pod-id-file",
        ours_file.to_str().unwrap(),
    ]);
    b.p.ok(&[
        "pod",
        "create",
        "--name",
        "first",
        "--pod-id-file",
        theirs_file.to_str().unwrap(),
    ]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let args = ["pod", "create", "--name", "second"];
    b.e.ok(&args);
    b.p.ok(&args);
    let status = |ours: bool| -> String {
        let args = [
            "pod",
            "ps",
            "--sort",
            "name",
            "--format",
            "{{.Name}}={{.Status}}",
        ];
        if ours {
            b.e.ok(&args)
        } else {
            b.p.ok(&args)
        }
    };
    let pod_name = |ours: bool, id: &str| -> String {
        let args = ["pod", "inspect", "--format", "{{.Name}}", id];
        if ours {
            b.e.ok(&args)
        } else {
            b.p.ok(&args)
        }
    };
    let missing = b.e.file("missing.podid");
    let missing = missing.to_str().unwrap();
    let steps: Vec<Vec<&str>> = vec![
        vec!["pod", "start", "-l"],
        vec!["pod", "inspect", "-l", "--format", "{{.Name}}"],
        vec!["pod", "stop", "-t", "0", "-l"],
        vec!["pod", "start", "--pod-id-file", "FILE"],
        vec!["pod", "stop", "-t", "0", "--pod-id-file", "FILE"],
        vec!["pod", "stop", "-i", "nothere", "second"],
        vec!["pod", "stop", "nothere"],
        vec!["pod", "stop", "-i", "--pod-id-file", missing],
        vec!["pod", "start", "-l", "second"],
        vec!["pod", "rm", "--pod-id-file", "FILE"],
        vec!["pod", "rm", "-l"],
    ];
    for step in steps {
        let with = |file: &std::path::Path| -> Vec<String> {
            step.iter()
                .map(|a| {
                    if *a == "FILE" {
                        file.display().to_string()
                    } else {
                        a.to_string()
                    }
                })
                .collect()
        };
        let (oa, ta) = (with(&ours_file), with(&theirs_file));
        let oa: Vec<&str> = oa.iter().map(String::as_str).collect();
        let ta: Vec<&str> = ta.iter().map(String::as_str).collect();
        let (ours, theirs) = (b.e.rpod(&oa), b.p.run(&ta));
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{step:?}: {}",
            describe(&ours)
        );
        // Printed pod IDs as names.
        let named = |ours_side: bool, out: &std::process::Output| -> Vec<String> {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| {
                    if l.len() == 64 {
                        pod_name(ours_side, l)
                    } else {
                        l.to_string()
                    }
                })
                .collect()
        };
        if step[1] != "rm" {
            assert_eq!(named(true, &ours), named(false, &theirs), "{step:?}");
        } else {
            assert_eq!(
                String::from_utf8_lossy(&ours.stdout).lines().count(),
                String::from_utf8_lossy(&theirs.stdout).lines().count(),
                "{step:?}"
            );
        }
        assert_eq!(status(true), status(false), "after {step:?}");
    }
}

/// `pod logs` as podman's: several containers' lines after their short IDs
/// (names with `-n`), one container's (`-c`) bare, `--tail`, `--latest`,
/// and a container outside the pod refused.
#[test]
fn pod_logs_prefix_filter_and_tail_as_podman() {
    let b = Both::new();
    for args in [
        &["pod", "create", "--name", "lp"][..],
        &[
            "run",
            "-d",
            "--pod",
            "lp",
            "--name",
            "lp1",
            "probe",
            "sh",
            "-c",
            "echo one; echo uno",
        ],
        &[
            "run",
            "-d",
            "--pod",
            "lp",
            "--name",
            "lp2",
            "probe",
            "sh",
            "-c",
            "echo two; echo dos",
        ],
        &["wait", "lp1", "lp2"],
    ] {
        b.e.ok(args);
        b.p.ok(args);
    }
    let re = regex::Regex::new("^[0-9a-f]{12} ").unwrap();
    let sorted = |out: &std::process::Output| -> Vec<String> {
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| re.replace(l, "ID ").into_owned())
            .collect();
        v.sort();
        v
    };
    for args in [
        &["pod", "logs", "lp"][..],
        &["pod", "logs", "-n", "lp"],
        &["pod", "logs", "-c", "lp2", "lp"],
        &["pod", "logs", "--tail", "1", "-n", "lp"],
        &["pod", "logs", "-l"],
        &["pod", "logs", "-c", "nothere", "lp"],
    ] {
        let (ours, theirs) = (b.e.rpod(args), b.p.run(args));
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{args:?}: {}",
            describe(&ours)
        );
        assert_eq!(sorted(&ours), sorted(&theirs), "{args:?}");
    }
}

/// `pod create`'s limits on the pod's cgroup (recorded under podman's
/// inspect keys, in force for the containers below), `--infra-name`,
/// `--replace`, `--label-file` and `--infra-conmon-pidfile`, against podman.
#[test]
fn pod_create_limits_names_replace_and_label_files_as_podman() {
    let b = Both::new();
    let labels = b.e.file("pod.labels");
    std::fs::write(&labels, "tier=db\nowner=me\n").unwrap();
    let pidfile = b.e.file("infra.pid");
    let create = [
        "pod",
        "create",
        "--name",
        "lim",
        "--cpus",
        "0.5",
        "--memory",
        "64m",
        "--memory-swap",
        "128m",
        "--cpu-shares",
        "512",
        "--cpuset-cpus",
        "0",
        "--infra-name",
        "lim-infra",
        "--label-file",
        labels.to_str().unwrap(),
    ];
    b.p.ok(&create);
    let mut ours = create.to_vec();
    ours.extend(["--infra-conmon-pidfile", pidfile.to_str().unwrap()]);
    b.e.ok(&ours);
    let keys = [
        "cpu_period",
        "cpu_quota",
        "cpu_shares",
        "cpuset_cpus",
        "memory_limit",
        "memory_swap",
    ];
    let pick = |doc: serde_json::Value| -> Vec<serde_json::Value> {
        let doc = if doc.is_array() { doc[0].clone() } else { doc };
        keys.iter().map(|k| doc[k].clone()).collect()
    };
    let inspect = |ours: bool| -> serde_json::Value {
        let args = ["pod", "inspect", "lim"];
        serde_json::from_str(&if ours { b.e.ok(&args) } else { b.p.ok(&args) }).unwrap()
    };
    let (o, t) = (pick(inspect(true)), pick(inspect(false)));
    assert_eq!(o, t);
    assert_eq!(o[0], 100000);
    let fmt = [
        "pod",
        "inspect",
        "--format",
        "{{.Labels.tier}} {{.Labels.owner}}",
        "lim",
    ];
    assert_eq!(b.e.ok(&fmt), b.p.ok(&fmt));
    let names = ["ps", "-a", "--filter", "pod=lim", "--format", "{{.Names}}"];
    assert_eq!(b.e.ok(&names), b.p.ok(&names));
    // --replace: without it the name is taken; with it the pod is new.
    let again = ["pod", "create", "--name", "lim"];
    assert_eq!(
        b.e.rpod(&again).status.code(),
        b.p.run(&again).status.code()
    );
    // In force: a member's process is below the pod's cgroup and limited.
    b.e.ok(&[
        "run", "-d", "--pod", "lim", "--name", "member", "probe", "sleep", "1000",
    ]);
    let pid = b.e.inspect_fmt("member", "{{.State.Pid}}");
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let memory = cgroup
        .lines()
        .find_map(|l| l.split_once(":memory:").map(|(_, p)| p.to_string()))
        .expect("a memory cgroup");
    let pod_dir = std::path::Path::new("/sys/fs/cgroup/memory").join(
        std::path::Path::new(memory.trim_start_matches('/'))
            .parent()
            .unwrap(),
    );
    let read = |f: &str| {
        std::fs::read_to_string(pod_dir.join(f))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(read("memory.limit_in_bytes"), (64u64 << 20).to_string());
    let cpu_dir = std::path::Path::new("/sys/fs/cgroup/cpu")
        .join(pod_dir.strip_prefix("/sys/fs/cgroup/memory").unwrap());
    assert_eq!(
        std::fs::read_to_string(cpu_dir.join("cpu.cfs_quota_us"))
            .unwrap()
            .trim(),
        "50000"
    );
    assert_eq!(
        std::fs::read_to_string(cpu_dir.join("cpu.shares"))
            .unwrap()
            .trim(),
        "512"
    );
    let monitor = b.e.inspect_fmt("lim-infra", "{{.State.ConmonPid}}");
    assert_eq!(std::fs::read_to_string(&pidfile).unwrap().trim(), monitor);
    let replace = ["pod", "create", "--replace", "--name", "lim"];
    let replaced = b.p.ok(&["pod", "inspect", "--format", "{{.Id}}", "lim"]);
    b.e.ok(&replace);
    b.p.ok(&replace);
    // Podman leaves the replaced pod's cgroup behind: removed here.
    for c in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let _ = std::fs::remove_dir(c.path().join("libpod_parent").join(&replaced));
    }
    assert!(!b.e.exists("member"));
    assert!(!pod_dir.exists(), "the old pod's cgroup is removed");
}

/// The steps of the init-container test, through one engine: what each printed
/// (exit code, trimmed stdout, and stderr with IDs masked).
fn init_container_steps(run: &dyn Fn(&[&str]) -> std::process::Output) -> Vec<String> {
    let mut seen = Vec::new();
    let ids = regex::Regex::new("[0-9a-f]{64}").unwrap();
    let mut step = |args: &[&str]| {
        let out = run(args);
        let text = format!(
            "{:?} -> {:?} {} | {}",
            args,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim(),
            ids.replace_all(String::from_utf8_lossy(&out.stderr).trim(), "ID")
        );
        seen.push(text);
    };
    let log = [
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "iv:/data",
        "probe",
        "cat",
        "/data/log",
    ];
    let names = [
        "ps",
        "-a",
        "--sort",
        "names",
        "--format",
        "{{.Names}} {{.State}}",
    ];
    step(&["pod", "create", "--name", "ip", "--infra-name", "ip-infra"]);
    for (name, kind, word) in [("ia", "always", "a"), ("io", "once", "o")] {
        let script = format!("echo {word} >> /data/log");
        step(&[
            "create",
            "--pod",
            "ip",
            "--name",
            name,
            "--init-ctr",
            kind,
            "-v",
            "iv:/data",
            "probe",
            "sh",
            "-c",
            &script,
        ]);
    }
    // Ends at SIGTERM (a restart stops it with the default grace period).
    let main = "trap 'exit 0' TERM; while :; do sleep 0.2; done";
    step(&[
        "create", "--pod", "ip", "--name", "main", "probe", "sh", "-c", main,
    ]);
    step(&["pod", "start", "ip"]);
    step(&log);
    step(&names);
    step(&["pod", "ps", "--format", "{{.Name}} {{.Status}}"]);
    // A new start runs the `always` one again; a restart runs none.
    step(&["pod", "stop", "-t", "0", "ip"]);
    step(&["pod", "start", "ip"]);
    step(&log);
    step(&["pod", "restart", "ip"]);
    step(&log);
    // Refusals, in Podman's words.
    step(&["create", "--init-ctr", "once", "probe", "true"]);
    step(&[
        "create",
        "--pod",
        "ip",
        "--init-ctr",
        "sometimes",
        "probe",
        "true",
    ]);
    // A failing init container stops the pod's start there.
    step(&["pod", "create", "--name", "fp", "--infra-name", "fp-infra"]);
    step(&[
        "create",
        "--pod",
        "fp",
        "--name",
        "fi",
        "--init-ctr",
        "always",
        "probe",
        "sh",
        "-c",
        "exit 3",
    ]);
    step(&[
        "create", "--pod", "fp", "--name", "fm", "probe", "sleep", "1000",
    ]);
    step(&["pod", "start", "fp"]);
    step(&names);
    seen
}

#[test]
fn init_containers_run_when_the_pod_starts_as_in_podman() {
    let b = Both::new();
    let mine = init_container_steps(&|a| b.e.rpod(a));
    let theirs = init_container_steps(&|a| b.p.run(a));
    let strip = |v: &[String]| -> Vec<String> {
        // Creation prints IDs; podman's stderr may carry its own log lines.
        v.iter()
            .map(|l| {
                let (head, err) = l.split_once(" | ").unwrap();
                let head = regex::Regex::new("[0-9a-f]{64}")
                    .unwrap()
                    .replace_all(head, "ID");
                let head = regex::Regex::new(r"(Less than a second|\d+ seconds?) ago")
                    .unwrap()
                    .replace_all(&head, "T ago")
                    .to_string();
                let err: Vec<&str> = err.lines().filter(|l| l.starts_with("Error:")).collect();
                format!("{head} | {}", err.join(" / "))
            })
            .collect()
    };
    assert_eq!(
        strip(&mine),
        strip(&theirs),
        "rpod (left) vs podman (right)"
    );
    // kube generate puts them in initContainers, in their order (the `once` one is gone).
    let yaml = b.e.ok(&["kube", "generate", "ip"]);
    let doc: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
    let inits: Vec<&str> = doc["spec"]["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let ctrs: Vec<&str> = doc["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!((inits, ctrs), (vec!["ia"], vec!["main"]), "{yaml}");
    let pyaml = b.p.ok(&["kube", "generate", "ip"]);
    let pdoc: serde_json::Value = serde_norway::from_str(&pyaml).unwrap();
    assert_eq!(
        pdoc["spec"]["initContainers"][0]["command"],
        doc["spec"]["initContainers"][0]["command"]
    );
    b.e.ok(&["pod", "rm", "-f", "-t", "0", "-a"]);
    b.p.run(&["pod", "rm", "-f", "-t", "0", "-a"]);
    b.e.ok(&["volume", "rm", "-f", "iv"]);
    b.p.run(&["volume", "rm", "-f", "iv"]);
}

#[test]
fn pod_shm_size_no_hosts_volumes_and_exit_policy_as_podman() {
    let b = Both::new();
    let dir = b.e.file("shared");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), "from the host\n").unwrap();
    let vol = format!("{}:/data:ro", dir.display());
    let probe = "df -k /dev/shm | tail -1 | awk '{print $2}'; cat /data/f; \
                 test -e /etc/hosts && echo hosts || echo no-hosts; \
                 touch /data/x 2>/dev/null && echo rw || echo ro";
    let steps = |run: &dyn Fn(&[&str]) -> std::process::Output| -> Vec<String> {
        let mut seen = Vec::new();
        // The output is kept when it is the same on both engines (no IDs).
        let mut step = |args: &[&str], keep: bool| {
            let out = run(args);
            assert!(out.status.success(), "{args:?}: {}", describe(&out));
            if keep {
                seen.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
            }
        };
        step(
            &[
                "pod",
                "create",
                "--name",
                "sp",
                "--shm-size",
                "10m",
                "--no-hosts",
                "-v",
                &vol,
                "--exit-policy",
                "stop",
            ],
            false,
        );
        step(
            &["run", "--rm", "--pod", "sp", "probe", "sh", "-c", probe],
            true,
        );
        step(&[
            "pod", "inspect", "--format",
            "{{.ExitPolicy}} {{.InfraConfig.NoManageHosts}} {{range .Mounts}}{{.Destination}} {{.RW}}{{end}}",
            "sp",
        ], true);
        // The command line is recorded (after the program and the global flags).
        step(
            &[
                "pod", "inspect", "--format",
                "{{range .CreateCommand}}{{if eq . \"create\" \"--shm-size\" \"10m\"}}{{.}} {{end}}{{end}}",
                "sp",
            ],
            true,
        );
        // The last container's exit stops the pod.
        step(
            &[
                "run", "-d", "--pod", "sp", "--name", "last", "probe", "true",
            ],
            false,
        );
        step(&["wait", "last"], true);
        seen
    };
    let mine = steps(&|a| b.e.rpod(a));
    let theirs = steps(&|a| b.p.run(a));
    assert_eq!(mine, theirs, "rpod (left) vs podman (right)");
    assert_eq!(mine[0], "10240\nfrom the host\nno-hosts\nro");
    let status = |run: &dyn Fn(&[&str]) -> String| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let s = run(&["pod", "ps", "--format", "{{.Status}}"]);
            if s == "Exited" || std::time::Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    assert_eq!(status(&|a| b.e.ok(a)), "Exited");
    assert_eq!(status(&|a| b.p.ok(a)), "Exited");
    // Podman's refusal of an unknown policy.
    let (code, err) = b.e.fails(&["pod", "create", "--exit-policy", "sometimes"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid pod exit policy"), "{err}");
}

#[test]
fn shm_is_shared_with_ipc_container_and_in_pods_as_podman() {
    let b = Both::new();
    let steps = |run: &dyn Fn(&[&str]) -> std::process::Output| -> Vec<String> {
        let mut seen = Vec::new();
        let mut step = |args: &[&str], keep: bool| {
            let out = run(args);
            assert!(out.status.success(), "{args:?}: {}", describe(&out));
            if keep {
                seen.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
            }
        };
        let writer = "echo from-owner > /dev/shm/mark; sleep 1000";
        let reader = "df -k /dev/shm | tail -1 | awk '{print $2}'; cat /dev/shm/mark";
        step(
            &[
                "run",
                "-d",
                "--name",
                "owner",
                "--ipc",
                "shareable",
                "--shm-size",
                "8m",
                "probe",
                "sh",
                "-c",
                writer,
            ],
            false,
        );
        step(
            &[
                "exec",
                "owner",
                "sh",
                "-c",
                "while [ ! -e /dev/shm/mark ]; do sleep 0.1; done",
            ],
            false,
        );
        step(
            &[
                "run",
                "--rm",
                "--ipc",
                "container:owner",
                "probe",
                "sh",
                "-c",
                reader,
            ],
            true,
        );
        step(
            &["pod", "create", "--name", "shp", "--shm-size", "10m"],
            false,
        );
        step(
            &[
                "run", "-d", "--pod", "shp", "--name", "pw", "probe", "sh", "-c", writer,
            ],
            false,
        );
        step(
            &[
                "exec",
                "pw",
                "sh",
                "-c",
                "while [ ! -e /dev/shm/mark ]; do sleep 0.1; done",
            ],
            false,
        );
        step(
            &["run", "--rm", "--pod", "shp", "probe", "sh", "-c", reader],
            true,
        );
        step(&["rm", "-f", "-t", "0", "owner"], false);
        step(&["pod", "rm", "-f", "-t", "0", "shp"], false);
        seen
    };
    let mine = steps(&|a| b.e.rpod(a));
    let theirs = steps(&|a| b.p.run(a));
    assert_eq!(mine, theirs, "rpod (left) vs podman (right)");
    assert_eq!(mine, ["8192\nfrom-owner", "10240\nfrom-owner"]);
    // rpod's own mounts are gone (podman's storage lives in the engine's directory too).
    let left: Vec<_> =
        b.e.leftover_mounts()
            .into_iter()
            .filter(|m| !m.to_string_lossy().contains("/podman"))
            .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `pod create --infra-image`: the infra container is made from that image
/// (with `--infra-command`, or the image's own command), as in Podman; an
/// image without a command is refused with Podman's words and no pod left.
#[test]
fn infra_image_makes_the_infra_container_from_an_image_as_podman() {
    let b = Both::new();
    let infra = |ours: bool| {
        let out = if ours {
            b.e.ok(&["ps", "-a", "--pod", "--format", "{{.Image}} {{.IsInfra}}"])
        } else {
            b.p.ok(&["ps", "-a", "--pod", "--format", "{{.Image}} {{.IsInfra}}"])
        };
        out.lines()
            .filter(|l| l.ends_with(" true"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let args = [
        "pod",
        "create",
        "--name",
        "ii",
        "--infra-image",
        "probe",
        "--infra-command",
        "/bin/sh",
    ];
    b.e.ok(&args);
    b.p.ok(&args);
    assert_eq!(infra(true), infra(false));
    assert_eq!(infra(true), vec!["localhost/probe:latest true"]);
    b.e.ok(&["pod", "rm", "-f", "ii"]);
    b.p.ok(&["pod", "rm", "-f", "ii"]);
    // probe has no command of its own.
    let args = ["pod", "create", "--name", "nocmd", "--infra-image", "probe"];
    let (mine, theirs) = (b.e.rpod(&args), b.p.run(&args));
    assert_eq!(
        mine.status.code(),
        theirs.status.code(),
        "{}",
        describe(&mine)
    );
    assert_eq!(
        String::from_utf8_lossy(&mine.stderr).trim(),
        String::from_utf8_lossy(&theirs.stderr).trim()
    );
    assert_eq!(b.e.ok(&["pod", "ps", "-q"]), "");
}

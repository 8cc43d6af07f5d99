//! Kubernetes YAML: `kube generate` against Podman's and the schema,
//! `kube play` of each kind with inspects checked, `kube down`, and the
//! round trip generate → down → play.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

/// The documents of a YAML stream.
fn docs(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// Every document passes the upstream schema, strictly.
fn validate(e: &Engine, yaml: &str) {
    let path = e.file("validate.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.30.0"])
        .arg(&path)
        .output()
        .expect("kubernetes-validate (pip install kubernetes-validate)");
    assert!(
        out.status.success(),
        "kubernetes-validate: {}\n{yaml}",
        describe(&out)
    );
}

/// Output with IDs replaced, for comparing shapes.
fn shape(text: &str) -> String {
    regex::Regex::new("[0-9a-f]{64}")
        .unwrap()
        .replace_all(text, "ID")
        .into_owned()
}

#[test]
fn generate_has_podmans_keys_is_deterministic_and_passes_the_schema() {
    let b = Both::new();
    let port = free_port().to_string();
    let publish = format!("{port}:80");
    let host_dir = b.e.file("shared");
    std::fs::create_dir_all(&host_dir).unwrap();
    let bind = format!("{}:/host:ro", host_dir.display());
    let create = [
        "create",
        "--pod",
        "web",
        "--name",
        "app",
        "-e",
        "FOO=bar",
        "-w",
        "/tmp",
        "-v",
        "data:/data",
        "-v",
        &bind,
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "CHOWN",
        "--user",
        "1000:1000",
        "--restart",
        "always",
        "probe",
        "sleep",
        "1000",
    ];
    let mut gen = Vec::new();
    for (name, run) in [("rpod", true), ("podman", false)] {
        let ok = |args: &[&str]| {
            if run {
                b.e.ok(args)
            } else {
                b.p.ok(args)
            }
        };
        ok(&["volume", "create", "data"]);
        ok(&["pod", "create", "--name", "web", "-p", &publish]);
        ok(&create);
        let yaml = ok(&["kube", "generate", "web"]);
        gen.push((name, yaml));
    }
    let (rpod_yaml, podman_yaml) = (&gen[0].1, &gen[1].1);
    // Deterministic: byte-identical twice, and through `generate kube -f`.
    assert_eq!(rpod_yaml, &b.e.ok(&["kube", "generate", "web"]));
    let file = b.e.file("out.yaml");
    b.e.ok(&["generate", "kube", "-f", file.to_str().unwrap(), "web"]);
    assert_eq!(
        rpod_yaml.trim(),
        std::fs::read_to_string(&file).unwrap().trim()
    );
    let r = &docs(rpod_yaml)[0];
    let p = &docs(podman_yaml)[0];
    // The same keys as Podman's, down to the container (Podman 4.3 adds
    // `status: {}` and drops health checks; rpod carries them as livenessProbe).
    for (rv, pv) in [
        (&r["metadata"], &p["metadata"]),
        (&r["spec"], &p["spec"]),
        (&r["spec"]["containers"][0], &p["spec"]["containers"][0]),
        (
            &r["spec"]["containers"][0]["securityContext"],
            &p["spec"]["containers"][0]["securityContext"],
        ),
        (
            &r["spec"]["containers"][0]["resources"]["limits"],
            &p["spec"]["containers"][0]["resources"]["limits"],
        ),
    ] {
        let rk = keys(rv);
        // Podman's annotations are its own internals (cri-o sandbox IDs).
        for k in keys(pv).into_iter().filter(|k| k != "annotations") {
            assert!(
                rk.contains(&k),
                "key {k} missing: rpod {rk:?}\n{rpod_yaml}\npodman:\n{podman_yaml}"
            );
        }
    }
    let c = &r["spec"]["containers"][0];
    assert_eq!(c["command"], serde_json::json!(["sleep", "1000"]));
    assert_eq!(
        c["env"],
        serde_json::json!([{"name": "FOO", "value": "bar"}])
    );
    assert_eq!(c["workingDir"], "/tmp");
    assert_eq!(
        c["resources"]["limits"],
        p["spec"]["containers"][0]["resources"]["limits"]
    );
    assert_eq!(c["ports"][0]["containerPort"], 80);
    assert_eq!(c["ports"][0]["hostPort"].to_string(), port);
    assert_eq!(c["securityContext"]["runAsUser"], 1000);
    assert_eq!(r["spec"]["restartPolicy"], "Always");
    let vols = r["spec"]["volumes"].to_string();
    assert!(vols.contains("\"claimName\":\"data\""), "{vols}");
    assert!(
        vols.contains(&format!("\"path\":\"{}\"", host_dir.display())),
        "{vols}"
    );
    validate(&b.e, rpod_yaml);
    // A Service, a deployment, a volume's claim: all valid too.
    let all = b.e.ok(&[
        "kube",
        "generate",
        "-s",
        "--type",
        "deployment",
        "--replicas",
        "2",
        "web",
        "data",
    ]);
    let kinds: Vec<String> = docs(&all)
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "Service", "Deployment"]);
    assert_eq!(docs(&all)[2]["spec"]["replicas"], 2);
    validate(&b.e, &all);
    // A tmpfs is an emptyDir in memory.
    b.e.ok(&[
        "create", "--name", "alone", "--tmpfs", "/scratch", "probe", "sleep", "1",
    ]);
    let alone = b.e.ok(&["kube", "generate", "alone"]);
    assert!(alone.contains("medium: Memory"), "{alone}");
    assert_eq!(docs(&alone)[0]["metadata"]["name"], "alone-pod");
    validate(&b.e, &alone);
    let (code, err) = b.e.fails(&["kube", "generate", "nosuch"]);
    assert_eq!(code, 125, "{err}");
}

const PLAY: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  GREETING: hello
  app.conf: "key=value\n"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pvc1
  annotations:
    example.com/owner: team-a
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  labels:
    app: p1
spec:
  restartPolicy: OnFailure
  initContainers:
  - name: init1
    image: probe
    command: ["/bin/sh", "-c", "echo from-init > /work/init.txt"]
    volumeMounts:
    - {name: pvc, mountPath: /work}
  containers:
  - name: c1
    image: probe
    command: ["/bin/sleep"]
    args: ["1000"]
    workingDir: /tmp
    env:
    - name: G
      valueFrom:
        configMapKeyRef: {name: cfg, key: GREETING}
    - name: PLAIN
      value: "1"
    envFrom:
    - configMapRef: {name: cfg}
      prefix: CM_
    resources:
      limits: {memory: 64Mi, cpu: 500m}
    securityContext:
      capabilities: {add: [NET_ADMIN], drop: [CHOWN]}
      readOnlyRootFilesystem: true
      runAsUser: 1000
      runAsGroup: 1000
    livenessProbe:
      exec:
        command: ["true"]
      periodSeconds: 30
    volumeMounts:
    - {name: pvc, mountPath: /work}
    - {name: host, mountPath: /host, readOnly: true}
    - {name: scratch, mountPath: /scratch}
    - {name: conf, mountPath: /etc/app}
  volumes:
  - name: pvc
    persistentVolumeClaim: {claimName: pvc1}
  - name: host
    hostPath: {path: HOSTDIR, type: DirectoryOrCreate}
  - name: scratch
    emptyDir: {medium: Memory}
  - name: conf
    configMap: {name: cfg}
"#;

#[test]
fn play_applies_each_kind_in_podmans_output_shape() {
    let b = Both::new();
    let host_dir = b.e.file("hostdir");
    let yaml = PLAY.replace("HOSTDIR", host_dir.to_str().unwrap());
    let file = b.e.file("play.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let f = file.to_str().unwrap();
    let out = b.e.rpod(&["kube", "play", "--network", "none", f]);
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    // The shape of Podman's output, for the same YAML.
    let pod_host = b.e.file("podman-hostdir");
    let pyaml = PLAY.replace("HOSTDIR", pod_host.to_str().unwrap());
    let pfile = b.e.file("podman-play.yaml");
    std::fs::write(&pfile, &pyaml).unwrap();
    let pout =
        b.p.run(&["kube", "play", "--network", "none", pfile.to_str().unwrap()]);
    assert!(pout.status.success(), "{}", describe(&pout));
    assert_eq!(
        shape(&stdout),
        shape(&String::from_utf8_lossy(&pout.stdout))
    );
    assert_eq!(
        shape(&stdout),
        "Volumes:\npvc1\nPod:\nID\nContainer:\nID\n\n"
    );
    // The init container ran first, into the claim's volume, and is gone.
    assert!(!b.e.exists("p1-init1"));
    e_wait_running(&b.e, "p1-c1");
    let c = b.e.inspect("p1-c1");
    let env: Vec<String> = serde_json::from_value(c["Config"]["Env"].clone()).unwrap();
    for want in ["G=hello", "PLAIN=1", "CM_GREETING=hello"] {
        assert!(env.iter().any(|e| e == want), "{want} not in {env:?}");
    }
    assert_eq!(c["Config"]["WorkingDir"], "/tmp");
    assert_eq!(c["Config"]["User"], "1000:1000");
    assert_eq!(c["HostConfig"]["Memory"], 64 << 20);
    assert_eq!(c["HostConfig"]["NanoCpus"], 500_000_000);
    assert_eq!(c["HostConfig"]["ReadonlyRootfs"], true);
    assert_eq!(c["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    assert!(
        c["Config"]["Healthcheck"]["Test"]
            .to_string()
            .contains("true"),
        "{}",
        c["Config"]["Healthcheck"]
    );
    let caps = c["HostConfig"]["CapAdd"].to_string();
    assert!(caps.contains("NET_ADMIN"), "{caps}");
    let mounts = c["Mounts"].to_string();
    assert!(mounts.contains("\"Name\":\"pvc1\""), "{mounts}");
    assert!(
        mounts.contains(&format!("\"Source\":\"{}\"", host_dir.display())),
        "{mounts}"
    );
    assert!(
        host_dir.is_dir(),
        "DirectoryOrCreate made the host directory"
    );
    assert_eq!(
        b.e.ok(&[
            "exec",
            "p1-c1",
            "cat",
            "/work/init.txt",
            "/etc/app/app.conf"
        ]),
        "from-init\nkey=value"
    );
    let tmpfs = b.e.ok(&[
        "exec",
        "p1-c1",
        "sh",
        "-c",
        "grep ' /scratch ' /proc/mounts",
    ]);
    assert!(tmpfs.starts_with("tmpfs"), "{tmpfs}");
    // The claim's volume carries its annotations.
    let vol =
        b.e.ok(&["volume", "inspect", "pvc1", "--format", "{{json .Labels}}"]);
    assert!(vol.contains("\"example.com/owner\":\"team-a\""), "{vol}");
    // Down: the pod and its containers go, the volume stays.
    let down = b.e.ok(&["kube", "down", f]);
    let pdown = b.p.ok(&["kube", "down", pfile.to_str().unwrap()]);
    assert_eq!(shape(&down), shape(&pdown));
    assert!(!b.e.exists("p1-c1"));
    assert_eq!(b.e.ok(&["pod", "ps", "-q"]), "");
    assert!(b.e.rpod(&["volume", "exists", "pvc1"]).status.success());
    assert_eq!(b.e.ok(&["ps", "-aq"]), "");
}

fn e_wait_running(e: &Engine, name: &str) {
    e.wait_status(name, "running");
}

const SIMPLE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: simple
spec:
  containers:
  - name: one
    image: busybox
    command: ["sleep", "1000"]
"#;

#[test]
fn replace_start_false_and_down_flags() {
    let e = Engine::with_image();
    let file = e.file("simple.yaml");
    std::fs::write(&file, SIMPLE).unwrap();
    let f = file.to_str().unwrap();
    let first = e.ok(&["kube", "play", "--network", "none", "--start=false", f]);
    // Created, not started.
    assert_eq!(e.status("simple-one"), "created");
    let (code, err) = e.fails(&["kube", "play", "--network", "none", f]);
    assert_eq!(code, 125);
    assert!(err.contains("simple") && err.contains("--replace"), "{err}");
    let second = e.ok(&["play", "kube", "--network", "none", "--replace", f]);
    assert_ne!(first, second);
    e.wait_status("simple-one", "running");
    assert_eq!(e.ok(&["pod", "ps", "-q"]).lines().count(), 1);
    // From stdin, with play kube --down.
    let out = e.rpod_stdin(&["play", "kube", "--down", "-"], SIMPLE.as_bytes());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Pods stopped:\n"));
    assert_eq!(e.ok(&["ps", "-aq"]), "");
    let (code, err) = e.fails(&["kube", "down", f]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("no pod with name or ID simple"), "{err}");
    // Volumes are kept unless --force.
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: keepme\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
    e.rpod_stdin(&["kube", "play", "-"], pvc.as_bytes());
    e.ok(&["volume", "exists", "keepme"]);
    e.rpod_stdin(&["kube", "down", "-"], pvc.as_bytes());
    e.ok(&["volume", "exists", "keepme"]);
    let out = e.rpod_stdin(&["kube", "down", "--force", "-"], pvc.as_bytes());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(!e.rpod(&["volume", "exists", "keepme"]).status.success());
}

#[test]
fn deployments_secrets_and_what_play_cannot_apply() {
    let e = Engine::with_image();
    let yaml = r#"apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: hunter2
data:
  user: YWRtaW4=
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
  labels: {app: dep}
spec:
  replicas: 2
  selector:
    matchLabels: {app: dep}
  template:
    metadata:
      labels: {app: dep}
    spec:
      containers:
      - name: web
        image: busybox
        command: ["sleep", "1000"]
        env:
        - name: PASSWORD
          valueFrom:
            secretKeyRef: {name: creds, key: password}
        readinessProbe:
          exec:
            command: ["true"]
        volumeMounts:
        - {name: s, mountPath: /secret}
      volumes:
      - name: s
        secret: {secretName: creds}
"#;
    let out = e.rpod_stdin(&["kube", "play", "--network", "none", "-"], yaml.as_bytes());
    assert!(out.status.success(), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("readinessProbe"),
        "the ignored field is named: {err}"
    );
    // One pod per replica, with Podman's names.
    e.wait_status("dep-pod-0-web", "running");
    e.wait_status("dep-pod-1-web", "running");
    assert_eq!(
        e.ok(&["pod", "ps", "--sort", "name", "--format", "{{.Name}}"]),
        "dep-pod-0\ndep-pod-1"
    );
    assert_eq!(e.inspect_fmt("dep-pod-0-web", "{{.Pod}}").len(), 64);
    let env = e.ok(&[
        "exec",
        "dep-pod-1-web",
        "sh",
        "-c",
        "echo $PASSWORD; cat /secret/user",
    ]);
    assert_eq!(env, "hunter2\nadmin");
    assert_eq!(e.ok(&["secret", "ls", "--format", "{{.Name}}"]), "creds");
    let down = e.rpod_stdin(&["kube", "down", "-"], yaml.as_bytes());
    assert!(down.status.success(), "{}", describe(&down));
    assert_eq!(e.ok(&["secret", "ls", "-q"]), "");
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
    // A kind play cannot apply is an error that names it; nothing is made.
    let job =
        format!("{SIMPLE}---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec: {{}}\n");
    let out = e.rpod_stdin(&["kube", "play", "-"], job.as_bytes());
    assert_eq!(out.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"Job\""),
        "{}",
        describe(&out)
    );
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
}

#[test]
fn an_error_halfway_leaves_nothing_created() {
    let e = Engine::with_image();
    let yaml = format!(
        "{}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\nstringData:\n  k: v\n---\n{SIMPLE}---\n{}",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: half\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: second\nspec:\n  containers:\n  - name: bad\n    image: nosuchimage\n    imagePullPolicy: Never\n",
    );
    let out = e.rpod_stdin(&["kube", "play", "--network", "none", "-"], yaml.as_bytes());
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    assert_eq!(e.ok(&["pod", "ps", "-q"]), "");
    assert_eq!(e.ok(&["ps", "-aq"]), "");
    assert_eq!(e.ok(&["volume", "ls", "-q"]), "");
    assert_eq!(e.ok(&["secret", "ls", "-q"]), "");
}

#[test]
fn round_trip_generate_down_play_keeps_the_pod() {
    let e = Engine::with_image();
    let port = free_port().to_string();
    e.ok(&["volume", "create", "keep"]);
    e.ok(&["pod", "create", "--name", "rt", "-p", &format!("{port}:80")]);
    let bind = format!("{}:/host:ro", e.path().display());
    e.ok(&[
        "run",
        "-d",
        "--pod",
        "rt",
        "--name",
        "rt-a",
        "-e",
        "A=1",
        "-e",
        "B=two words",
        "-v",
        "keep:/keep",
        "-v",
        &bind,
        "--tmpfs",
        "/scratch",
        "-m",
        "32m",
        "--cpus",
        "1.5",
        "-w",
        "/tmp",
        "busybox",
        "sleep",
        "1000",
    ]);
    e.ok(&[
        "run",
        "-d",
        "--pod",
        "rt",
        "--name",
        "rt-b",
        "busybox",
        "sh",
        "-c",
        "sleep 900",
    ]);
    let summary = |e: &Engine| -> Vec<Value> {
        let mut names: Vec<String> = e
            .ok(&["ps", "-a", "--filter", "pod=rt", "--format", "{{.Names}}"])
            .lines()
            .filter(|n| !n.ends_with("-infra"))
            .map(str::to_string)
            .collect();
        names.sort();
        names
            .iter()
            .map(|n| {
                let c = e.inspect(n);
                let mut env: Vec<String> =
                    serde_json::from_value(c["Config"]["Env"].clone()).unwrap();
                env.retain(|v| !v.starts_with("HOSTNAME=") && !v.starts_with("HOME="));
                env.sort();
                let mut mounts: Vec<String> = c["Mounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        format!(
                            "{} {} {} {}",
                            m["Type"], m["Name"], m["Destination"], m["RW"]
                        )
                    })
                    .collect();
                mounts.sort();
                serde_json::json!({
                    "name": n,
                    "command": [c["Path"].clone(), c["Args"].clone()],
                    "env": env,
                    "workdir": c["Config"]["WorkingDir"],
                    "mounts": mounts,
                    "tmpfs": c["HostConfig"]["Tmpfs"],
                    "memory": c["HostConfig"]["Memory"],
                    "cpus": c["HostConfig"]["NanoCpus"],
                })
            })
            .collect()
    };
    let before = summary(&e);
    let pod_ports = |e: &Engine| {
        let p: Value = serde_json::from_str(&e.ok(&["pod", "inspect", "rt"])).unwrap();
        let p = if p.is_array() { p[0].clone() } else { p };
        p["InfraConfig"]["PortBindings"].clone()
    };
    let ports_before = pod_ports(&e);
    let yaml = e.ok(&["kube", "generate", "rt"]);
    let file = e.file("rt.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let f = file.to_str().unwrap();
    e.ok(&["kube", "down", f]);
    assert_eq!(e.ok(&["ps", "-aq"]), "");
    e.ok(&["kube", "play", f]);
    e.wait_status("rt-a", "running");
    let after = summary(&e);
    assert_eq!(before, after, "\n{yaml}");
    assert_eq!(ports_before, pod_ports(&e));
    e.ok(&["kube", "down", f]);
}

#[test]
fn build_log_driver_and_publish_flags_take_effect() {
    let e = Engine::with_image();
    let dir = e.file("proj");
    std::fs::create_dir_all(dir.join("myimg")).unwrap();
    std::fs::write(
        dir.join("myimg/Containerfile"),
        "FROM busybox\nRUN echo built > /built\n",
    )
    .unwrap();
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n  - name: c\n    image: localhost/myimg:latest\n    command: [\"sleep\", \"1000\"]\n";
    let file = dir.join("pod.yaml");
    std::fs::write(&file, yaml).unwrap();
    let port = free_port().to_string();
    let publish = format!("127.0.0.1:{port}:80");
    e.ok(&[
        "kube",
        "play",
        "--build",
        "--log-driver",
        "none",
        "--publish",
        &publish,
        file.to_str().unwrap(),
    ]);
    e.wait_status("b-c", "running");
    assert_eq!(e.ok(&["exec", "b-c", "cat", "/built"]), "built");
    assert_eq!(
        e.inspect_fmt("b-c", "{{.HostConfig.LogConfig.Type}}"),
        "none"
    );
    let p: Value = serde_json::from_str(&e.ok(&["pod", "inspect", "b"])).unwrap();
    let p = if p.is_array() { p[0].clone() } else { p };
    let ports = p["InfraConfig"]["PortBindings"].to_string();
    assert!(ports.contains(&port), "{ports}");
    e.ok(&["kube", "down", file.to_str().unwrap()]);
    assert_eq!(e.ok(&["ps", "-aq"]), "");
}

#[test]
fn ip_mac_address_and_log_opt_of_play_as_podman() {
    let b = Both::new();
    let pid = std::process::id();
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sa\nspec:\n  containers:\n  - name: c\n    image: localhost/probe:latest\n    command: [\"/bin/sleep\", \"1000\"]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: sb\nspec:\n  containers:\n  - name: c\n    image: localhost/probe:latest\n    command: [\"/bin/sleep\", \"1000\"]\n";
    let file = b.e.file("pods.yaml");
    std::fs::write(&file, yaml).unwrap();
    let f = file.to_str().unwrap();
    // Each engine on a bridge of its own (subnets 10.93/10.94.PID), the same steps.
    let mut seen = Vec::new();
    for (k, (run, net_of)) in [
        (
            &(|a: &[&str]| b.e.rpod(a)) as &dyn Fn(&[&str]) -> std::process::Output,
            93,
        ),
        (&|a: &[&str]| b.p.run(a), 94),
    ]
    .into_iter()
    .enumerate()
    {
        let prefix = format!("10.{net_of}.{}", pid % 256);
        let net = format!("kn{pid}x{k}");
        let subnet = format!("{prefix}.0/24");
        let bridge = format!("rpk{}x{k}", pid % 1_000_000);
        // Podman 4.3 names its bridges itself (podmanN).
        let mut args = vec!["network", "create", "--subnet", &subnet];
        if k == 0 {
            args.extend(["--interface-name", &bridge]);
        }
        args.push(&net);
        let out = run(&args);
        assert!(out.status.success(), "{}", describe(&out));
        let ip = format!("{prefix}.7");
        let out = run(&[
            "kube",
            "play",
            "--network",
            &net,
            "--ip",
            &ip,
            "--mac-address",
            "52:54:00:12:34:56",
            "--log-opt",
            "max-size=1mb",
            f,
        ]);
        assert!(out.status.success(), "{}", describe(&out));
        let warn = String::from_utf8_lossy(&out.stderr).to_string();
        let inspect = |name: &str, fmt: &str| {
            let o = run(&["inspect", "--format", fmt, name]);
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        };
        let addr = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}");
        let mac = format!("{{{{(index .NetworkSettings.Networks \"{net}\").MacAddress}}}}");
        let a_ip = inspect("sa-c", &addr);
        let b_ip = inspect("sb-c", &addr);
        seen.push((
            a_ip == ip,
            b_ip.starts_with(&prefix) && b_ip != ip,
            inspect("sa-c", &mac),
            inspect("sb-c", &mac) != "52:54:00:12:34:56",
            inspect("sa-c", "{{.HostConfig.LogConfig.Size}}"),
            warn.contains("No more static ips left using a random one"),
            warn.contains("No more static macs left using a random one"),
        ));
        let out = run(&["kube", "down", f]);
        assert!(out.status.success(), "{}", describe(&out));
        run(&["network", "rm", "-f", &net]);
    }
    assert_eq!(seen[0], seen[1], "rpod (left) vs podman (right)");
    assert_eq!(
        seen[0],
        (
            true,
            true,
            "52:54:00:12:34:56".into(),
            true,
            "1MB".into(),
            true,
            true
        )
    );
}

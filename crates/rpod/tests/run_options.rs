//! `run`/`create` options, each checked from inside a real container.

mod common;

use common::*;

/// Runs `sh -c SCRIPT` in a throw-away container with extra flags; returns stdout.
fn sh(e: &Engine, flags: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    e.ok(&args)
}

fn cap_eff(text: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.starts_with("CapEff:"))
        .unwrap_or_else(|| panic!("no CapEff in {text}"));
    u64::from_str_radix(line.trim_start_matches("CapEff:").trim(), 16).unwrap()
}

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_CHOWN: u32 = 0;

#[test]
fn env_flag_sets_variables() {
    let e = Engine::with_image();
    let out = sh(
        &e,
        &["-e", "FOO=bar", "-e", "EMPTY="],
        "echo \"$FOO|$EMPTY|$container\"",
    );
    assert_eq!(out, "bar||rpod");
}

#[test]
fn env_flag_without_value_copies_from_caller() {
    let e = Engine::with_image();
    let mut cmd = e.cmd(&[
        "run",
        "--rm",
        "-e",
        "RPOD_TEST_PASSTHRU",
        "busybox",
        "sh",
        "-c",
        "echo $RPOD_TEST_PASSTHRU",
    ]);
    cmd.env("RPOD_TEST_PASSTHRU", "from-host");
    let out = run_with_timeout(cmd, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "from-host");
}

#[test]
fn env_file_sets_variables_and_skips_comments() {
    let e = Engine::with_image();
    let f = e.file("vars.env");
    std::fs::write(&f, "# comment\nA=1\n\nB=two words\n").unwrap();
    let out = sh(
        &e,
        &["--env-file", f.to_str().unwrap(), "-e", "A=override"],
        "echo \"$A|$B\"",
    );
    assert_eq!(out, "override|two words");
}

#[test]
fn missing_env_file_is_a_clear_error() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&[
        "create",
        "--env-file",
        "/nonexistent/x.env",
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("/nonexistent/x.env"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn workdir_sets_the_working_directory() {
    let e = Engine::with_image();
    assert_eq!(sh(&e, &["-w", "/tmp"], "pwd"), "/tmp");
    assert_eq!(sh(&e, &[], "pwd"), "/");
}

#[test]
fn workdir_that_does_not_exist_is_created_or_refused_clearly() {
    let e = Engine::with_image();
    let out = e.rpod(&["run", "--rm", "-w", "/new/dir", "busybox", "pwd"]);
    if out.status.success() {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "/new/dir");
    } else {
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("/new/dir"),
            "{}",
            describe(&out)
        );
    }
}

#[test]
fn user_flag_sets_uid_and_gid() {
    let e = Engine::with_image();
    assert_eq!(sh(&e, &["-u", "1:1"], "id -u; id -g"), "1\n1");
    assert_eq!(sh(&e, &["-u", "daemon"], "id -u"), "1");
    assert_eq!(sh(&e, &["-u", "1234"], "id -u"), "1234");
}

#[test]
fn unknown_user_name_is_a_clear_error() {
    let e = Engine::with_image();
    let out = e.rpod(&["run", "--rm", "-u", "nosuchuser", "busybox", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nosuchuser"),
        "{}",
        describe(&out)
    );
}

#[test]
fn entrypoint_replaces_and_cmd_becomes_arguments() {
    let e = Engine::with_image();
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "--entrypoint",
            "echo",
            "busybox",
            "hi",
            "there"
        ]),
        "hi there"
    );
    // As in Docker, --entrypoint clears the image's CMD.
    let out = e.ok(&["run", "--rm", "--entrypoint", "echo", "busybox"]);
    assert_eq!(out, "");
}

#[test]
fn entrypoint_json_form() {
    let e = Engine::with_image();
    let out = e.ok(&[
        "run",
        "--rm",
        "--entrypoint",
        r#"["/bin/echo","a b"]"#,
        "busybox",
        "c",
    ]);
    assert_eq!(out, "a b c");
}

#[test]
fn empty_entrypoint_clears_the_image_entrypoint() {
    let e = Engine::new();
    let tar = e.busybox_tar();
    e.ok(&[
        "import",
        "--change",
        r#"ENTRYPOINT ["/bin/false"]"#,
        tar.to_str().unwrap(),
        "withep",
    ]);
    let out = e.rpod(&["run", "--rm", "withep", "echo", "x"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "image entrypoint /bin/false should run: {}",
        describe(&out)
    );
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "--entrypoint",
            "",
            "withep",
            "echo",
            "cleared"
        ]),
        "cleared"
    );
}

#[test]
fn hostname_flag_sets_hostname_files() {
    let e = Engine::with_image();
    let out = sh(
        &e,
        &["--hostname", "myhost"],
        "hostname; cat /etc/hostname; grep -c myhost /etc/hosts",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "myhost");
    assert_eq!(lines[1], "myhost");
    assert!(lines[2].parse::<u32>().unwrap() >= 1, "{out}");
}

#[test]
fn default_hostname_is_the_short_id() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "h", "busybox", "hostname"]);
    let id = e.inspect_fmt("h", "{{.Id}}");
    assert_eq!(e.logs("h").trim(), &id[..12]);
}

#[test]
fn labels_and_annotations_are_recorded() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "la",
        "-l",
        "team=core",
        "--label",
        "tier=1",
        "--annotation",
        "org.test/a=b",
        "busybox",
        "true",
    ]);
    let doc = e.inspect("la");
    assert_eq!(doc["Config"]["Labels"]["team"], "core");
    assert_eq!(doc["Config"]["Labels"]["tier"], "1");
    assert_eq!(
        doc["Config"]["Annotations"]["org.test/a"], "b",
        "{}",
        doc["Config"]
    );
}

#[test]
fn annotations_reach_the_runtime_spec() {
    let e = Engine::with_image();
    let id = e.ok(&[
        "create",
        "--name",
        "an",
        "--annotation",
        "org.test/x=y",
        "busybox",
        "true",
    ]);
    e.ok(&["init", "an"]);
    let spec = std::fs::read_to_string(
        e.root()
            .join("containers")
            .join(&id)
            .join("userdata/config.json"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(v["annotations"]["org.test/x"], "y");
}

#[test]
fn stop_signal_is_recorded_and_used_by_stop() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "ss",
        "--stop-signal",
        "USR1",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 7' USR1; echo ready; while :; do sleep 0.1; done",
    ]);
    let sig = e.inspect_fmt("ss", "{{.Config.StopSignal}}");
    assert!(sig == "SIGUSR1" || sig == "10" || sig == "USR1", "{sig}");
    e.wait_logs("ss", "ready");
    e.ok(&["stop", "-t", "30", "ss"]);
    assert_eq!(e.inspect_fmt("ss", "{{.State.ExitCode}}"), "7");
}

#[test]
fn bad_stop_signal_is_refused() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "--stop-signal", "SIGNOPE", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("NOPE"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn stop_timeout_is_recorded_and_used() {
    let e = Engine::with_image();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "st",
        "--stop-timeout",
        "1",
        "busybox",
        "sleep",
        "1000",
    ]);
    assert_eq!(e.inspect_fmt("st", "{{.Config.StopTimeout}}"), "1");
    // sleep as pid 1 ignores TERM: stop must fall back to KILL after the container's timeout.
    e.ok(&["stop", "st"]);
    assert_eq!(e.inspect_fmt("st", "{{.State.ExitCode}}"), "137");
}

#[test]
fn rootfs_directory_runs_without_an_image() {
    let e = Engine::new();
    let dir = e.file("rootfs");
    std::fs::create_dir(&dir).unwrap();
    let st = std::process::Command::new("tar")
        .arg("-xf")
        .arg(e.busybox_tar())
        .arg("-C")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    let out = e.ok(&[
        "run",
        "--name",
        "rf",
        "--rootfs",
        dir.to_str().unwrap(),
        "sh",
        "-c",
        "echo from-rootfs > /written; cat /written",
    ]);
    assert_eq!(out, "from-rootfs");
    assert!(
        dir.join("written").exists(),
        "--rootfs writes go to the directory"
    );
    e.ok(&["rm", "rf"]);
    assert!(
        dir.join("bin/busybox").exists(),
        "rm must not delete the user's rootfs"
    );
}

#[test]
fn rootfs_that_is_not_a_directory_is_refused() {
    let e = Engine::new();
    let (code, err) = e.fails(&["create", "--rootfs", "/nonexistent-rootfs", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("/nonexistent-rootfs"), "{err}");
}

#[test]
fn read_only_root_refuses_writes_but_tmp_works() {
    let e = Engine::with_image();
    let out = sh(
        &e,
        &["--read-only"],
        "touch /x 2>/dev/null && echo root-writable || echo root-ro; touch /tmp/y && echo tmp-ok",
    );
    assert_eq!(out, "root-ro\ntmp-ok");
    assert_eq!(
        sh(&e, &[], "touch /x && echo root-writable"),
        "root-writable"
    );
}

#[test]
fn read_only_is_in_inspect() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "ro", "--read-only", "busybox", "true"]);
    assert_eq!(
        e.inspect_fmt("ro", "{{.HostConfig.ReadonlyRootfs}}"),
        "true"
    );
}

#[test]
fn default_capabilities_are_limited() {
    let e = Engine::with_image();
    let caps = cap_eff(&sh(&e, &[], "cat /proc/self/status"));
    assert_ne!(caps, 0);
    assert_eq!(
        caps & (1 << CAP_SYS_ADMIN),
        0,
        "SYS_ADMIN must not be a default cap: {caps:x}"
    );
    assert_ne!(caps & (1 << CAP_CHOWN), 0);
}

#[test]
fn cap_add_and_cap_drop_change_capeff() {
    let e = Engine::with_image();
    let default = cap_eff(&sh(&e, &[], "cat /proc/self/status"));
    let added = cap_eff(&sh(
        &e,
        &["--cap-add", "NET_ADMIN"],
        "cat /proc/self/status",
    ));
    assert_ne!(added & (1 << CAP_NET_ADMIN), 0, "{added:x}");
    assert_eq!(
        added & !(1 << CAP_NET_ADMIN),
        default & !(1 << CAP_NET_ADMIN)
    );
    let dropped = cap_eff(&sh(&e, &["--cap-drop", "CHOWN"], "cat /proc/self/status"));
    assert_eq!(dropped & (1 << CAP_CHOWN), 0, "{dropped:x}");
    let lower = cap_eff(&sh(
        &e,
        &["--cap-add", "cap_net_raw"],
        "cat /proc/self/status",
    ));
    assert_ne!(lower & (1 << CAP_NET_RAW), 0);
    let none = cap_eff(&sh(&e, &["--cap-drop", "ALL"], "cat /proc/self/status"));
    assert_eq!(none, 0);
}

#[test]
fn unknown_capability_is_refused() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "--cap-add", "NOT_A_CAP", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("NOT_A_CAP"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn privileged_gets_all_capabilities() {
    let e = Engine::with_image();
    let caps = cap_eff(&sh(&e, &["--privileged"], "cat /proc/self/status"));
    assert_ne!(caps & (1 << CAP_SYS_ADMIN), 0, "{caps:x}");
    let host_bnd = std::fs::read_to_string("/proc/self/status").unwrap();
    let bnd_line = host_bnd.lines().find(|l| l.starts_with("CapBnd:")).unwrap();
    let bnd = u64::from_str_radix(bnd_line.trim_start_matches("CapBnd:").trim(), 16).unwrap();
    assert_eq!(
        caps, bnd,
        "privileged CapEff {caps:x} vs host bounding set {bnd:x}"
    );
}

#[test]
fn ulimit_nofile_sets_soft_and_hard() {
    let e = Engine::with_image();
    assert_eq!(
        sh(&e, &["--ulimit", "nofile=100:200"], "ulimit -n; ulimit -Hn"),
        "100\n200"
    );
    assert_eq!(
        sh(&e, &["--ulimit", "nofile=150"], "ulimit -n; ulimit -Hn"),
        "150\n150"
    );
}

#[test]
fn ulimit_is_in_inspect() {
    let e = Engine::with_image();
    e.ok(&[
        "create",
        "--name",
        "u",
        "--ulimit",
        "nofile=100:200",
        "busybox",
        "true",
    ]);
    let doc = e.inspect("u");
    let ul = &doc["HostConfig"]["Ulimits"][0];
    assert_eq!(ul["Soft"], 100, "{ul}");
    assert_eq!(ul["Hard"], 200, "{ul}");
}

#[test]
fn default_nofile_is_at_most_the_callers_hard_limit() {
    let e = Engine::with_image();
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit into a valid struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    let out = sh(&e, &[], "ulimit -n; ulimit -Hn");
    let nums: Vec<u64> = out.lines().map(|l| l.parse().unwrap()).collect();
    assert!(
        nums[0] <= rl.rlim_max && nums[1] <= rl.rlim_max,
        "inside {nums:?}, our hard limit {}",
        rl.rlim_max
    );
}

#[test]
fn memory_limit_is_in_inspect_and_cgroup() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "mem", "--memory", "64m", "busybox", "sh", "-c",
        "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo none"]);
    assert_eq!(e.inspect_fmt("mem", "{{.HostConfig.Memory}}"), "67108864");
    let inside = e.logs("mem");
    let inside = inside.trim();
    assert!(
        inside == "67108864" || inside == "none",
        "cgroup memory limit inside: {inside}"
    );
}

#[test]
fn cpus_is_in_inspect() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "cpu", "--cpus", "1.5", "busybox", "sh", "-c",
        "cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || echo none"]);
    assert_eq!(
        e.inspect_fmt("cpu", "{{.HostConfig.NanoCpus}}"),
        "1500000000"
    );
    let inside = e.logs("cpu");
    let inside = inside.trim();
    assert!(
        inside == "150000 100000" || inside == "150000" || inside == "none",
        "cpu quota inside: {inside}"
    );
}

#[test]
fn pids_limit_is_in_inspect_and_cgroup() {
    let e = Engine::with_image();
    e.ok(&["run", "--name", "pids", "--pids-limit", "50", "busybox", "sh", "-c",
        "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo none"]);
    assert_eq!(e.inspect_fmt("pids", "{{.HostConfig.PidsLimit}}"), "50");
    let inside = e.logs("pids");
    let inside = inside.trim();
    assert!(
        inside == "50" || inside == "none",
        "pids.max inside: {inside}"
    );
}

#[test]
fn shm_size_sets_size_and_mode() {
    let e = Engine::with_image();
    let line = sh(&e, &["--shm-size", "10m"], "grep ' /dev/shm ' /proc/mounts");
    assert!(line.contains("size=10240k"), "{line}");
    // tmpfs shows no mode= in /proc/mounts when it is the default 1777: check with stat.
    assert!(
        !line.contains("mode=") || line.contains("mode=1777"),
        "{line}"
    );
    let df = sh(&e, &["--shm-size", "10m"], "df -k /dev/shm | tail -n 1");
    assert!(df.contains("10240"), "{df}");
    let st = sh(&e, &["--shm-size", "10m"], "stat -c %a /dev/shm");
    assert_eq!(st, "1777");
}

#[test]
fn init_runs_catatonit_as_pid_one() {
    let e = Engine::with_image();
    let out = sh(&e, &["--init"], "tr '\\0' ' ' < /proc/1/cmdline");
    assert!(
        out.starts_with("/run/rpod-init") || out.contains("catatonit"),
        "pid 1 is {out:?}"
    );
    assert!(out.contains("sh -c"), "{out}");
    let code = e
        .rpod(&["run", "--rm", "--init", "busybox", "sh", "-c", "exit 12"])
        .status
        .code();
    assert_eq!(code, Some(12));
}

#[test]
fn init_lets_stop_use_term_promptly() {
    let e = Engine::with_image();
    e.ok(&[
        "run", "-d", "--init", "--name", "ini", "busybox", "sleep", "1000",
    ]);
    e.ok(&["stop", "-t", "60", "ini"]);
    // catatonit forwards TERM to sleep, which dies of it: 143, not 137.
    assert_eq!(e.inspect_fmt("ini", "{{.State.ExitCode}}"), "143");
    assert_eq!(e.inspect_fmt("ini", "{{.HostConfig.Init}}"), "true");
}

#[test]
fn cidfile_gets_the_id_and_an_existing_file_is_refused() {
    let e = Engine::with_image();
    let f = e.file("cid");
    let id = e.ok(&[
        "create",
        "--cidfile",
        f.to_str().unwrap(),
        "busybox",
        "true",
    ]);
    assert_eq!(std::fs::read_to_string(&f).unwrap().trim(), id);
    let before = e.all_ids();
    let (code, err) = e.fails(&[
        "create",
        "--cidfile",
        f.to_str().unwrap(),
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains(f.to_str().unwrap()), "{err}");
    assert_eq!(e.all_ids(), before, "refused create left a container");
}

#[test]
fn cidfile_with_run_detached() {
    let e = Engine::with_image();
    let f = e.file("cid");
    let id = e.ok(&[
        "run",
        "-d",
        "--cidfile",
        f.to_str().unwrap(),
        "busybox",
        "sleep",
        "100",
    ]);
    assert_eq!(std::fs::read_to_string(&f).unwrap().trim(), id);
}

#[test]
fn bind_volume_read_write() {
    let e = Engine::with_image();
    let host = e.file("shared");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("in"), "from-host\n").unwrap();
    let vol = format!("{}:/data", host.display());
    let out = sh(&e, &["-v", &vol], "cat /data/in; echo from-ctr > /data/out");
    assert_eq!(out, "from-host");
    assert_eq!(
        std::fs::read_to_string(host.join("out")).unwrap(),
        "from-ctr\n"
    );
}

#[test]
fn bind_volume_read_only() {
    let e = Engine::with_image();
    let host = e.file("shared");
    std::fs::create_dir(&host).unwrap();
    let vol = format!("{}:/data:ro", host.display());
    let out = sh(
        &e,
        &["-v", &vol],
        "touch /data/x 2>/dev/null && echo writable || echo ro",
    );
    assert_eq!(out, "ro");
    assert!(!host.join("x").exists());
}

#[test]
fn bind_volume_is_in_inspect_mounts() {
    let e = Engine::with_image();
    let host = e.file("shared");
    std::fs::create_dir(&host).unwrap();
    let vol = format!("{}:/data:ro", host.display());
    e.ok(&["create", "--name", "v", "-v", &vol, "busybox", "true"]);
    let doc = e.inspect("v");
    let m = &doc["Mounts"][0];
    assert_eq!(m["Source"], host.to_str().unwrap(), "{m}");
    assert_eq!(m["Destination"], "/data");
    assert_eq!(m["RW"], false);
}

#[test]
fn bind_volume_with_missing_source_is_a_clear_error() {
    let e = Engine::with_image();
    let out = e.rpod(&[
        "run",
        "--rm",
        "-v",
        "/nonexistent-rpod-src:/data",
        "busybox",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent-rpod-src"), "{err}");
    assert!(
        err.contains("does not exist") || err.contains("no such"),
        "{err}"
    );
    assert!(
        e.all_ids().is_empty(),
        "--rm container left behind after failed start"
    );
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn relative_volume_source_is_refused() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "-v", "./rel:/data", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("./rel:/data"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn tmpfs_mount_is_a_writable_tmpfs() {
    let e = Engine::with_image();
    let out = sh(
        &e,
        &["--tmpfs", "/scratch"],
        "grep ' /scratch ' /proc/mounts; touch /scratch/f && echo ok",
    );
    assert!(out.contains("tmpfs /scratch tmpfs"), "{out}");
    assert!(out.ends_with("ok"), "{out}");
}

#[test]
fn network_none_has_only_loopback() {
    let e = Engine::with_image();
    let out = sh(
        &e,
        &["--network", "none"],
        "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
    );
    assert_eq!(out, "lo");
    assert_eq!(
        e.ok(&["create", "--name", "n", "busybox", "true"]).len(),
        64
    );
    // The default is a bridge network, as in Podman.
    assert_eq!(e.inspect_fmt("n", "{{.HostConfig.NetworkMode}}"), "bridge");
}

#[test]
fn network_host_sees_host_interfaces_and_resolv_conf() {
    let e = Engine::with_image();
    let host_ifaces = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_to_string("/proc/net/dev")
            .unwrap()
            .lines()
            .skip(2)
            .map(|l| l.split(':').next().unwrap().trim().to_string())
            .collect();
        v.sort();
        v
    };
    // Other tests add and remove interfaces meanwhile: compare while the
    // host's list stayed the same around the container's look.
    let mut seen = Vec::new();
    for _ in 0..10 {
        let before = host_ifaces();
        let out = sh(
            &e,
            &["--network", "host"],
            "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
        );
        let mut inside: Vec<String> = out.lines().map(str::to_string).collect();
        inside.sort();
        if before == host_ifaces() {
            seen = vec![(inside, before)];
            if seen[0].0 == seen[0].1 {
                break;
            }
        }
    }
    let (inside, host) = seen.pop().expect("the host's interfaces never held still");
    assert_eq!(inside, host);
    let resolv = sh(&e, &["--network", "host"], "cat /etc/resolv.conf");
    for ns in std::fs::read_to_string("/etc/resolv.conf")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("nameserver"))
    {
        assert!(resolv.contains(ns.trim()), "{ns} missing from {resolv}");
    }
}

#[test]
fn unknown_network_mode_is_refused() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "--network", "warp", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("warp"), "{err}");
    assert!(e.all_ids().is_empty());
}

#[test]
fn log_opt_path_is_refused_clearly() {
    let e = Engine::with_image();
    let (code, err) = e.fails(&["create", "--log-opt", "path=/tmp/x", "busybox", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("path"), "{err}");
}

/// `--storage-opt overlay.mount_program=` mounts containers with that
/// program (fuse-overlayfs); an option rpod does not apply is refused by name.
#[test]
fn storage_opt_mount_program_is_used() {
    let e = Engine::with_image();
    let opt = [
        "--storage-opt",
        "overlay.mount_program=/usr/bin/fuse-overlayfs",
    ];
    let mut args = opt.to_vec();
    args.extend(["run", "-d", "busybox", "sleep", "100"]);
    let id = e.ok(&args);
    let root = e.root().display().to_string();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        mounts
            .lines()
            .any(|l| l.contains(&root) && l.contains(" - fuse.fuse-overlayfs ")),
        "no fuse-overlayfs mount under {root}"
    );
    let mut rm = opt.to_vec();
    rm.extend(["rm", "-f", "-t", "0", &id]);
    e.ok(&rm);
    assert_eq!(e.leftover_mounts().len(), 0, "{:?}", e.leftover_mounts());
    let (code, err) = e.fails(&[
        "--storage-opt",
        "overlay.size=1G",
        "run",
        "--rm",
        "busybox",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(
        err.contains("storage option \"overlay.size=1G\" is not supported yet"),
        "{err}"
    );
}

/// `--network-cmd-path` is the slirp4netns that a slirp4netns network runs;
/// `--conmon`, `--namespace` and `--tmpdir` are refused with their reason.
#[test]
fn network_cmd_path_and_refused_global_flags() {
    let e = Engine::with_image();
    let wrapper = e.file("slirp-wrapper");
    let called = e.file("slirp-called");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\nexec /usr/bin/slirp4netns \"$@\"\n",
            called.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = e.ok(&[
        "--network-cmd-path",
        wrapper.to_str().unwrap(),
        "run",
        "--rm",
        "--network",
        "slirp4netns",
        "busybox",
        "sh",
        "-c",
        "ip -4 addr show tap0 | grep -o 'inet [0-9.]*'",
    ]);
    assert_eq!(out, "inet 10.0.2.100");
    let args = std::fs::read_to_string(&called).unwrap();
    assert!(args.contains("--configure"), "{args}");
    for (flag, value, why) in [
        ("--conmon", "/usr/bin/conmon", "rpod runs its own monitor"),
        ("--namespace", "ns1", "no libpod namespaces"),
        ("--tmpdir", "/tmp", "under --runroot"),
    ] {
        let (code, err) = e.fails(&[flag, value, "ps"]);
        assert_eq!(code, 125, "{flag}");
        assert!(err.contains(flag) && err.contains(why), "{err}");
    }
}

//! Shared harness for rpod's integration tests: one [`Engine`] per test,
//! with its own root, run root and (empty) configuration file inside a
//! temporary directory, cleaned up completely on drop.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// How long any single rpod command may take before the test fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(90);
/// How long polled conditions are given.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(20);

pub const RPOD: &str = env!("CARGO_BIN_EXE_rpod");

/// The busybox root file system script.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/busybox-rootfs.sh")
}

/// Polls `f` until it returns true; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if f() {
            return;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Like [`wait_until`] but returns a value.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a command with optional stdin, collecting its output, failing the
/// test if it takes longer than `timeout`.
pub fn run_with_timeout(mut cmd: Command, input: Option<&[u8]>, timeout: Duration) -> Output {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let desc = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {desc}: {e}"));
    if let Some(data) = input {
        let mut stdin = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            break st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command timed out after {timeout:?}: {desc}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

/// Waits for a child with a timeout; kills it and panics on timeout.
pub fn wait_child(child: &mut Child, timeout: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child {} did not exit within {timeout:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn describe(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Mount points under `dir` in this mount namespace, deepest first.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut v: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mountinfo)
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    v.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    v.dedup();
    v
}

fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let n = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 4]).unwrap(), 8)
                .unwrap_or(b'?');
            out.push(n);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True if a process with this pid exists (zombies count as gone).
pub fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // state is the field after the parenthesised command name
            let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
            !after.trim_start().starts_with('Z') && !after.trim_start().starts_with('X')
        }
        Err(_) => false,
    }
}

/// A field of /proc/PID/status, e.g. "PPid".
pub fn proc_status_field(pid: i32, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim().to_string())
    })
}

pub fn kill_pid(pid: i32, sig: i32) {
    if pid > 0 {
        // SAFETY: plain kill(2).
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// One isolated engine: a temporary directory with `root/`, `runroot/` and
/// `rpod.conf`.
pub struct Engine {
    dir: Option<tempfile::TempDir>,
    tarball: std::sync::OnceLock<PathBuf>,
}

impl Engine {
    pub fn new() -> Engine {
        let dir = tempfile::Builder::new()
            .prefix("rpod-it-")
            .tempdir()
            .expect("tempdir");
        std::fs::create_dir_all(dir.path().join("root")).unwrap();
        std::fs::create_dir_all(dir.path().join("runroot")).unwrap();
        std::fs::write(dir.path().join("rpod.conf"), "").unwrap();
        Engine {
            dir: Some(dir),
            tarball: std::sync::OnceLock::new(),
        }
    }

    /// An engine with the busybox image imported as `busybox` (CMD sh).
    pub fn with_image() -> Engine {
        let e = Engine::new();
        let tar = e.busybox_tar();
        e.ok(&[
            "import",
            "--change",
            "CMD=sh",
            tar.to_str().unwrap(),
            "busybox",
        ]);
        e
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().unwrap().path()
    }

    pub fn root(&self) -> PathBuf {
        self.path().join("root")
    }

    pub fn runroot(&self) -> PathBuf {
        self.path().join("runroot")
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("rpod.conf")
    }

    /// Writes the engine configuration file.
    pub fn set_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).unwrap();
    }

    /// The busybox root file system tarball (built once per engine).
    pub fn busybox_tar(&self) -> PathBuf {
        self.tarball
            .get_or_init(|| {
                let out = self.path().join("busybox.tar");
                let st = Command::new("sh")
                    .arg(script())
                    .arg(&out)
                    .stdin(Stdio::null())
                    .status()
                    .expect("running busybox-rootfs.sh");
                assert!(st.success(), "busybox-rootfs.sh failed");
                out
            })
            .clone()
    }

    /// A scratch path inside the test's directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// The rpod command with this engine's global flags.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(RPOD);
        c.arg("--root")
            .arg(self.root())
            .arg("--runroot")
            .arg(self.runroot())
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .env_remove("RPOD_CONFIG");
        c
    }

    pub fn rpod(&self, args: &[&str]) -> Output {
        run_with_timeout(self.cmd(args), None, COMMAND_TIMEOUT)
    }

    pub fn rpod_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        run_with_timeout(self.cmd(args), Some(input), COMMAND_TIMEOUT)
    }

    /// Runs and asserts success; returns trimmed stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.rpod(args);
        assert!(
            out.status.success(),
            "rpod {args:?} failed\n{}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs and asserts failure; returns (exit code, stderr).
    pub fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.rpod(args);
        assert!(
            !out.status.success(),
            "rpod {args:?} unexpectedly succeeded\n{}",
            describe(&out)
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    }

    /// Spawns rpod with piped stdout/stderr and null stdin.
    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut c = self.cmd(args);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.spawn().expect("spawn rpod")
    }

    /// `inspect --format TEMPLATE NAME`.
    pub fn inspect_fmt(&self, name: &str, template: &str) -> String {
        self.ok(&["inspect", "--format", template, name])
    }

    pub fn status(&self, name: &str) -> String {
        self.inspect_fmt(name, "{{.State.Status}}")
    }

    /// The container's inspect document.
    pub fn inspect(&self, name: &str) -> serde_json::Value {
        let text = self.ok(&["container", "inspect", name]);
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("inspect json: {e}\n{text}"));
        v[0].clone()
    }

    pub fn wait_status(&self, name: &str, want: &str) {
        let start = Instant::now();
        loop {
            let last = self.status(name);
            if last == want {
                return;
            }
            if start.elapsed() > POLL_TIMEOUT {
                panic!("container {name} did not reach {want}: last status {last}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts a detached, long-sleeping container; returns its ID.
    pub fn sleeper(&self, name: &str) -> String {
        self.ok(&["run", "-d", "--name", name, "busybox", "sleep", "1000"])
    }

    /// `ps -a -q --no-trunc`, as a list.
    pub fn all_ids(&self) -> Vec<String> {
        self.ok(&["ps", "-a", "-q", "--no-trunc"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn exists(&self, name: &str) -> bool {
        match self.rpod(&["container", "exists", name]).status.code() {
            Some(0) => true,
            Some(1) => false,
            other => panic!("container exists {name}: exit {other:?}"),
        }
    }

    /// The container's logs (stdout and stderr).
    pub fn logs(&self, name: &str) -> String {
        let out = self.rpod(&["logs", name]);
        assert!(out.status.success(), "logs {name}\n{}", describe(&out));
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Polls the logs until they contain `needle`.
    pub fn wait_logs(&self, name: &str, needle: &str) -> String {
        wait_for(
            &format!("{needle:?} in the logs of {name}"),
            POLL_TIMEOUT,
            || {
                let l = self.logs(name);
                l.contains(needle).then_some(l)
            },
        )
    }

    /// Mounts still present under the test directory.
    pub fn leftover_mounts(&self) -> Vec<PathBuf> {
        mounts_under(self.path())
    }

    fn cleanup(&mut self) {
        let Some(dir) = self.dir.as_ref() else { return };
        let path = dir.path().to_path_buf();
        // Pods first (their cgroups go with them), then the other containers.
        let removals: [&[&str]; 2] = [
            &["pod", "rm", "-a", "-f", "-t", "0"],
            &["rm", "-a", "-f", "-t", "0"],
        ];
        for args in removals.iter().filter(|_| Path::new(RPOD).exists()) {
            let mut cmd = self.cmd(args);
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Ok(mut child) = cmd.spawn() {
                let start = Instant::now();
                loop {
                    match child.try_wait() {
                        Ok(Some(_)) | Err(_) => break,
                        Ok(None) if start.elapsed() > Duration::from_secs(60) => {
                            let _ = child.kill();
                            let _ = child.wait();
                            break;
                        }
                        Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            }
        }
        // Leftover processes: monitors and container processes whose files
        // are in this run root, checked before killing so a reused pid of an
        // unrelated process is never hit.
        let containers = path.join("runroot/containers");
        if let Ok(rd) = std::fs::read_dir(&containers) {
            for entry in rd.flatten() {
                let id = entry.file_name().to_string_lossy().into_owned();
                if let Some(pid) = read_pid(&entry.path().join("monitor.pid")) {
                    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                    let cmdline = String::from_utf8_lossy(&cmdline);
                    if cmdline.contains("rpod-monitor") && cmdline.contains(&id) {
                        kill_pid(pid, libc::SIGKILL);
                    }
                }
                if let Some(pid) = read_pid(&entry.path().join("pidfile")) {
                    if let Ok(root) = std::fs::read_link(format!("/proc/{pid}/root")) {
                        if root.starts_with(&path) {
                            kill_pid(pid, libc::SIGKILL);
                        }
                    }
                }
            }
        }
        for m in mounts_under(&path) {
            if let Ok(c) = std::ffi::CString::new(m.as_os_str().as_encoded_bytes()) {
                // SAFETY: umount2 with a valid C string.
                unsafe {
                    libc::umount2(c.as_ptr(), libc::MNT_DETACH);
                }
            }
        }
        if let Some(dir) = self.dir.take() {
            let p = dir.path().to_path_buf();
            if dir.close().is_err() {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.cleanup();
    }
}

pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|p: &i32| *p > 0)
}

/// A tar archive with one regular file at an arbitrary (even hostile)
/// path, built by hand so nothing sanitises the name.
pub fn tar_with_entry(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    let put_octal = |h: &mut [u8; 512], off: usize, len: usize, v: u64| {
        let s = format!("{:0width$o}\0", v, width = len - 1);
        h[off..off + len].copy_from_slice(s.as_bytes());
    };
    put_octal(&mut header, 100, 8, 0o644);
    put_octal(&mut header, 108, 8, 0);
    put_octal(&mut header, 116, 8, 0);
    put_octal(&mut header, 124, 12, content.len() as u64);
    put_octal(&mut header, 136, 12, 0);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| *b as u32).sum();
    let s = format!("{:06o}\0 ", sum);
    header[148..156].copy_from_slice(s.as_bytes());
    let mut out = header.to_vec();
    out.extend_from_slice(content);
    let pad = (512 - content.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0, pad));
    out.extend(std::iter::repeat_n(0, 1024));
    out
}

/// Reads the names of the entries of a (plain, ustar/gnu) tar archive.
pub fn tar_entry_names(data: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut off = 0;
    let mut long_name: Option<String> = None;
    while off + 512 <= data.len() {
        let h = &data[off..off + 512];
        if h.iter().all(|b| *b == 0) {
            break;
        }
        let field = |a: usize, b: usize| {
            let raw = &h[a..b];
            let end = raw.iter().position(|c| *c == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).into_owned()
        };
        let size = u64::from_str_radix(field(124, 136).trim(), 8).unwrap_or(0) as usize;
        let typ = h[156];
        let prefix = field(345, 500);
        let mut name = field(0, 100);
        if &h[257..262] == b"ustar" && !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
        let body = off + 512;
        if typ == b'L' {
            let raw = &data[body..body + size];
            let end = raw.iter().position(|c| *c == 0).unwrap_or(raw.len());
            long_name = Some(String::from_utf8_lossy(&raw[..end]).into_owned());
        } else if typ == b'x' || typ == b'g' {
            // PAX headers: look for a path record.
            let text = String::from_utf8_lossy(&data[body..body + size]).into_owned();
            for rec in text.lines() {
                if let Some(p) = rec.split_once(" path=") {
                    long_name = Some(p.1.to_string());
                }
            }
        } else {
            names.push(long_name.take().unwrap_or(name));
        }
        off = body + size.div_ceil(512) * 512;
    }
    names
}

/// Simulates a reboot: kills every container and monitor of the engine,
/// unmounts its storage and empties the run root.
pub fn reboot(e: &Engine) {
    for name in e.ok(&["ps", "-a", "--format", "{{.Names}}"]).lines() {
        let pid: i32 = e.inspect_fmt(name, "{{.State.Pid}}").parse().unwrap_or(0);
        let monitor: i32 = e
            .inspect_fmt(name, "{{.State.ConmonPid}}")
            .parse()
            .unwrap_or(0);
        // The monitor first, so it cannot record the container's death.
        if monitor > 0 && pid_alive(monitor) {
            kill_pid(monitor, libc::SIGKILL);
            wait_until("monitor to die", POLL_TIMEOUT, || !pid_alive(monitor));
        }
        if pid > 0 {
            kill_pid(pid, libc::SIGKILL);
            wait_until("container process to die", POLL_TIMEOUT, || !pid_alive(pid));
        }
    }
    for m in e.leftover_mounts() {
        let c = std::ffi::CString::new(m.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: umount2 with a valid path.
        unsafe {
            libc::umount2(c.as_ptr(), libc::MNT_DETACH);
        }
    }
    std::fs::remove_dir_all(e.runroot()).unwrap();
    std::fs::create_dir(e.runroot()).unwrap();
}

/// A free TCP port on 127.0.0.1 (bound to port 0, then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A registry v2 server (Debian's `docker-registry`) on 127.0.0.1 with its own storage in a
/// temporary directory; killed by PID on drop.
pub struct Registry {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl Registry {
    /// Starts a registry; with `auth`, requests need basic auth as `(user, password)`.
    pub fn start(auth: Option<(&str, &str)>) -> Registry {
        Registry::start_with(auth, false)
    }

    /// Starts a registry that speaks HTTPS only, with a certificate for 127.0.0.1 from a
    /// CA of its own ([`Registry::ca_cert`]).
    pub fn start_tls() -> Registry {
        Registry::start_with(None, true)
    }

    /// The PEM file of the CA that signed a TLS registry's certificate.
    pub fn ca_cert(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.crt")
    }

    fn start_with(auth: Option<(&str, &str)>, tls: bool) -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("rpod-registry-")
            .tempdir()
            .expect("tempdir");
        let mut auth_section = String::new();
        if let Some((user, password)) = auth {
            let htpasswd = dir.path().join("htpasswd");
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("htpasswd (apache2-utils)");
            assert!(out.status.success(), "htpasswd: {}", describe(&out));
            std::fs::write(&htpasswd, &out.stdout).unwrap();
            auth_section = format!(
                "auth:\n  htpasswd:\n    realm: rpod-test\n    path: {}\n",
                htpasswd.display()
            );
        }
        let mut tls_section = String::new();
        if tls {
            let d = dir.path();
            let openssl = |args: &[&str]| {
                let out = Command::new("openssl")
                    .args(args)
                    .current_dir(d)
                    .output()
                    .expect("openssl");
                assert!(out.status.success(), "openssl {args:?}: {}", describe(&out));
            };
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=rpod test CA",
            ]);
            openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ]);
            std::fs::write(
                d.join("ext.cnf"),
                "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
            )
            .unwrap();
            openssl(&[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ]);
            tls_section = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                d.join("server.crt").display(),
                d.join("server.key").display()
            );
        }
        for _ in 0..5 {
            let port = free_port();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: rpod-test-secret\n{tls_section}{auth_section}",
                    dir.path().join("data").display()
                ),
            )
            .unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.path().join("registry.log")).unwrap())
                .spawn()
                .expect("docker-registry (apt-get install docker-registry)");
            let deadline = Instant::now() + POLL_TIMEOUT;
            let mut up = false;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    up = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if up {
                return Registry { child, dir, port };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start");
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's log (errors only).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        kill_pid(self.child.id() as i32, libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// A tarball with one regular file per `(name, content)`.
pub fn tar_with_files(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, content) in files {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[108..115].copy_from_slice(b"0000000");
        header[116..123].copy_from_slice(b"0000000");
        let size = format!("{:011o}", content.len());
        header[124..135].copy_from_slice(size.as_bytes());
        header[136..147].copy_from_slice(b"00000000000");
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| *b as u32).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(content);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// sha256 hex of `data` (via sha256sum, to keep the tests free of crypto crates).
pub fn sha256_hex(data: &[u8]) -> String {
    let out = run_with_timeout(
        {
            let mut c = Command::new("sha256sum");
            c.arg("-");
            c
        },
        Some(data),
        COMMAND_TIMEOUT,
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Writes an OCI layout at `dir` holding one image: `layers` (raw blobs, with their media
/// types and diff IDs) and `config` (written verbatim). Returns the manifest's digest.
/// `tamper` may change the manifest JSON before it is written.
pub fn write_oci_layout(
    dir: &Path,
    config: &[u8],
    layers: &[(Vec<u8>, &str)],
    tamper: impl FnOnce(&mut serde_json::Value),
) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut layer_descs = Vec::new();
    for (data, media_type) in layers {
        let hex = sha256_hex(data);
        std::fs::write(blobs.join(&hex), data).unwrap();
        layer_descs.push(serde_json::json!({
            "mediaType": media_type, "digest": format!("sha256:{hex}"), "size": data.len()
        }));
    }
    let config_hex = sha256_hex(config);
    std::fs::write(blobs.join(&config_hex), config).unwrap();
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{config_hex}"), "size": config.len()},
        "layers": layer_descs,
    });
    tamper(&mut manifest);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let manifest_hex = sha256_hex(&manifest);
    std::fs::write(blobs.join(&manifest_hex), &manifest).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": format!("sha256:{manifest_hex}"), "size": manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": "localhost/crafted:latest"}}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    format!("sha256:{manifest_hex}")
}

/// The column titles of a table's first line (cells are at least two
/// spaces apart).
pub fn table_columns(out: &str) -> Vec<String> {
    out.lines()
        .next()
        .unwrap_or_default()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// An image config JSON for layers with `diff_ids`.
pub fn image_config_json(diff_ids: &[String], cmd: &[&str]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "created": "2024-01-01T00:00:00Z",
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": cmd, "Env": ["PATH=/bin", "FROM_IMAGE=yes"], "WorkingDir": "/srv",
                   "Labels": {"origin": "crafted"}, "StopSignal": "SIGUSR1"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": diff_ids.iter().map(|_| serde_json::json!({"created_by": "test"})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

/// The installed podman, with storage of its own inside a test's directory
/// (vfs: no mounts left behind), cgroupfs and file events (no systemd here),
/// and the containers.conf this host needs (runc, low default rlimits).
pub struct Podman {
    dir: PathBuf,
}

impl Podman {
    /// A podman whose files live under `e`'s directory (removed with it).
    pub fn new(e: &Engine) -> Podman {
        let dir = e.file("podman");
        std::fs::create_dir_all(&dir).unwrap();
        // Networks of its own (podman keeps them in /etc/containers/networks
        // otherwise, where another test's `system prune` removes them), with
        // automatic subnets from a pool of this process's own.
        let pool = 64 + std::process::id() % 16;
        // Its netavark calls take the host lock rpod's take
        // (`rpod_network::netavark::HOST_LOCK`): netavark's
        // firewall chains are the host's, and two netavarks creating them at
        // once fail with "Chain already exists". The lock is not passed on to
        // the aardvark-dns a setup may start.
        let helpers = dir.join("helpers");
        std::fs::create_dir_all(&helpers).unwrap();
        let real = ["/usr/lib/podman/netavark", "/usr/libexec/podman/netavark"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .unwrap_or("/usr/lib/podman/netavark");
        let wrapper = helpers.join("netavark");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nmkdir -p /run/lock\nexec 9>>/run/lock/rpod-netavark.lock\nflock 9\n{real} \"$@\" 9>&-\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        std::fs::write(
            dir.join("containers.conf"),
            format!(
                "[containers]\ndefault_ulimits=[\"nofile=1024:1024\",\"nproc=5000:5000\"]\n\
                 [network]\nnetwork_backend=\"netavark\"\nnetwork_config_dir=\"{}\"\n\
                 default_subnet_pools=[{{\"base\"=\"10.{pool}.0.0/16\",\"size\"=24}}]\n\
                 [engine]\nruntime=\"runc\"\ncgroup_manager=\"cgroupfs\"\nevents_logger=\"file\"\n\
                 helper_binaries_dir=[\"{}\",\"/usr/lib/podman\",\"/usr/libexec/podman\"]\n",
                dir.join("networks").display(),
                helpers.display()
            ),
        )
        .unwrap();
        Podman { dir }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", self.dir.join("containers.conf"))
            .arg("--root")
            .arg(self.dir.join("root"))
            .arg("--runroot")
            .arg(self.dir.join("run"))
            .arg("--storage-driver")
            .arg("vfs")
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run_with_timeout(self.cmd(args), None, COMMAND_TIMEOUT)
    }

    /// Runs and asserts success; returns trimmed stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "podman {args:?}: {}", describe(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.run(&["pod", "rm", "-a", "-f"]);
        let _ = self.run(&["rm", "-a", "-f", "-t", "0"]);
        let _ = self.run(&["rmi", "-a", "-f"]);
        // Anything podman could not remove: its conmon processes (found by
        // this podman's directory on their command line) and their children.
        let dir = self.dir.to_string_lossy().into_owned();
        if let Ok(rd) = std::fs::read_dir("/proc") {
            for entry in rd.flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                    continue;
                };
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline);
                if cmdline.starts_with("/usr/bin/conmon") && cmdline.contains(&dir) {
                    if let Some(child) =
                        read_pid(Path::new(&format!("/proc/{pid}/task/{pid}/children")))
                    {
                        kill_pid(child, libc::SIGKILL);
                    }
                    kill_pid(pid, libc::SIGKILL);
                }
            }
        }
    }
}

/// Builds the syscall probe (`tests/probe/syscalls.c`) statically into `out`.
pub fn build_probe(out: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probe/syscalls.c");
    let out_put = Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(out)
        .arg(&src)
        .output()
        .expect("running cc (gcc and libc6-dev are needed for the syscall probe)");
    assert!(out_put.status.success(), "cc: {}", describe(&out_put));
}

impl Engine {
    /// A tarball of the busybox root file system plus `/probe`, the
    /// syscall probe, for importing into rpod and podman alike.
    pub fn probe_tar(&self) -> PathBuf {
        let out = self.file("probe.tar");
        if out.exists() {
            return out;
        }
        let probe_dir = self.file("probe-bin");
        std::fs::create_dir_all(&probe_dir).unwrap();
        build_probe(&probe_dir.join("probe"));
        std::fs::copy(self.busybox_tar(), &out).unwrap();
        let st = Command::new("tar")
            .arg("-rf")
            .arg(&out)
            .arg("-C")
            .arg(&probe_dir)
            .arg("probe")
            .status()
            .unwrap();
        assert!(st.success(), "tar -rf failed");
        out
    }
}

/// rpod and podman side by side, each with the probe image (busybox plus
/// `/probe`) imported as `probe`.
pub struct Both {
    // Declared first so it is dropped first: podman removes its containers
    // while its storage (inside the engine's directory) still exists.
    pub p: Podman,
    pub e: Engine,
}

impl Both {
    pub fn new() -> Both {
        let e = Engine::new();
        let tar = e.probe_tar();
        e.ok(&["import", tar.to_str().unwrap(), "probe"]);
        let p = Podman::new(&e);
        p.ok(&["import", "-q", tar.to_str().unwrap(), "probe"]);
        Both { e, p }
    }

    fn run_args<'a>(flags: &[&'a str], cmd: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["run", "--rm"];
        if !flags.iter().any(|f| f.starts_with("--network")) {
            args.extend(["--network", "none"]);
        }
        args.extend_from_slice(flags);
        args.push("probe");
        args.extend_from_slice(cmd);
        args
    }

    /// Runs `cmd` with `flags` in a fresh container of each engine (with
    /// `--network none` unless a network flag is given); returns the two
    /// trimmed outputs, each asserted to succeed.
    pub fn both(&self, flags: &[&str], cmd: &[&str]) -> (String, String) {
        let args = Self::run_args(flags, cmd);
        (self.e.ok(&args), self.p.ok(&args))
    }

    /// The same, returning the raw outputs (for failures).
    pub fn both_raw(&self, flags: &[&str], cmd: &[&str]) -> (Output, Output) {
        let args = Self::run_args(flags, cmd);
        (self.e.rpod(&args), self.p.run(&args))
    }
}

/// Lines of a `/proc/PID/uid_map` or `gid_map` as `(inside, outside, count)`.
pub fn map_lines(text: &str) -> Vec<(u64, u64, u64)> {
    text.lines()
        .map(|l| {
            let n: Vec<u64> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (n[0], n[1], n[2])
        })
        .collect()
}

/// Runs a user-database command (`useradd`, `usermod`, `userdel`), again
/// while another suite holds the password files' lock or the user's last
/// processes are still being reaped.
pub fn user_db(cmd: &mut Command) -> Output {
    let mut out = cmd.output().expect("running a user-database command");
    for _ in 0..50 {
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() || !(err.contains("lock") || err.contains("currently used")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        out = cmd.output().expect("running a user-database command");
    }
    out
}

//! User-mode networking for rootless containers: pasta (the default, as in
//! Podman 5) and slirp4netns. Either connects a network namespace that an
//! ordinary user made to the host's network through a process of the user's
//! own, and forwards the published host ports into it. Neither lets the
//! container reach the host's loopback addresses unless asked to
//! (`pasta:--map-gw`, `slirp4netns:allow_host_loopback=true`).

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::types::PortMapping;

/// Where Debian installs the helpers, besides `$PATH`.
const HELPER_DIRS: &[&str] = &["/usr/bin", "/usr/local/bin", "/usr/libexec/podman"];

/// The slirp4netns address of the container, as Podman uses it.
pub const SLIRP_GUEST_ADDR: &str = "10.0.2.100";

fn helper(name: &str) -> Result<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    from_path
        .into_iter()
        .chain(HELPER_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{name} is needed for rootless networking and is not installed (Debian package {})",
                if name == "pasta" { "passt" } else { name }
            ))
        })
}

/// pasta's `-t`/`-u` arguments for the published ports.
pub fn pasta_port_args(ports: &[PortMapping]) -> Vec<String> {
    let mut tcp = Vec::new();
    let mut udp = Vec::new();
    for p in ports {
        let host = if p.range > 1 {
            format!("{}-{}", p.host_port, p.host_port + (p.range - 1))
        } else {
            p.host_port.to_string()
        };
        let guest = if p.range > 1 {
            format!("{}-{}", p.container_port, p.container_port + (p.range - 1))
        } else {
            p.container_port.to_string()
        };
        let addr = if p.host_ip.is_empty() {
            String::new()
        } else {
            format!("{}/", p.host_ip)
        };
        let spec = format!("{addr}{host}:{guest}");
        for proto in p.protocol.split(',') {
            match proto {
                "udp" => udp.push(spec.clone()),
                _ => tcp.push(spec.clone()),
            }
        }
    }
    let mut args = Vec::new();
    for (flag, specs) in [("-t", tcp), ("-u", udp)] {
        if specs.is_empty() {
            args.extend([flag.to_string(), "none".to_string()]);
        }
        for s in specs {
            args.extend([flag.to_string(), s]);
        }
    }
    args
}

/// Starts pasta on the namespace at `netns` (it configures the interface,
/// forwards `ports`, writes its PID to `pid_file` and runs in the
/// background). `options` are the user's own pasta options
/// (`--network pasta:OPT,OPT`).
pub fn start_pasta(
    netns: &Path,
    ports: &[PortMapping],
    options: &[String],
    pid_file: &Path,
) -> Result<()> {
    let pasta = helper("pasta")?;
    let mut args: Vec<String> = vec!["--config-net".into()];
    args.extend(pasta_port_args(ports));
    // Nothing from the namespace to the host's ports, and the gateway is
    // not the host's loopback, unless the user's options say otherwise.
    args.extend(["-T".into(), "none".into(), "-U".into(), "none".into()]);
    if !options.iter().any(|o| o == "--map-gw") {
        args.push("--no-map-gw".into());
    }
    args.extend(options.iter().filter(|o| *o != "--map-gw").cloned());
    args.extend([
        "--quiet".into(),
        "--pid".into(),
        pid_file.display().to_string(),
        "--netns".into(),
        netns.display().to_string(),
    ]);
    let out = Command::new(&pasta)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Invalid(format!("running {}: {e}", pasta.display())))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        let msg = text
            .lines()
            .filter(|l| !l.starts_with("Failed to send") && !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::Invalid(format!("pasta failed: {msg}")));
    }
    Ok(())
}

/// slirp4netns options given as `--network slirp4netns:KEY=VALUE,…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlirpOptions {
    pub allow_host_loopback: bool,
    pub mtu: Option<u32>,
    pub cidr: Option<String>,
    pub enable_ipv6: bool,
    /// The slirp4netns binary (`--network-cmd-path`); default: found in PATH.
    pub program: Option<PathBuf>,
}

impl SlirpOptions {
    /// Parses Podman's slirp4netns option words; unknown ones are refused.
    pub fn parse(options: &[String]) -> Result<SlirpOptions> {
        let mut o = SlirpOptions::default();
        for opt in options {
            let (k, v) = opt.split_once('=').unwrap_or((opt.as_str(), "true"));
            let flag = |v: &str| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Error::Invalid(format!(
                    "slirp4netns option {k}: {v:?} is not true or false"
                ))),
            };
            match k {
                "allow_host_loopback" => o.allow_host_loopback = flag(v)?,
                "enable_ipv6" => o.enable_ipv6 = flag(v)?,
                "mtu" => {
                    o.mtu = Some(v.parse().map_err(|_| {
                        Error::Invalid(format!("slirp4netns option mtu: {v:?} is not a number"))
                    })?)
                }
                "cidr" => o.cidr = Some(v.to_string()),
                _ => {
                    return Err(Error::Invalid(format!(
                        "unknown slirp4netns option {opt:?} (supported: allow_host_loopback, cidr, enable_ipv6, mtu)"
                    )))
                }
            }
        }
        Ok(o)
    }
}

/// Starts slirp4netns on the namespace at `netns`, waits until it is
/// ready, forwards `ports` and records its PID in `pid_file`. Its messages
/// go to `log`. The ports are added through its API socket, made for that in
/// a private directory of its own (a socket path must be short) and removed
/// once they are in place.
pub fn start_slirp4netns(
    netns: &Path,
    ports: &[PortMapping],
    options: &SlirpOptions,
    pid_file: &Path,
    log: &Path,
) -> Result<()> {
    let api_dir = if ports.is_empty() {
        None
    } else {
        Some(
            tempfile::Builder::new()
                .prefix("rpod-slirp-")
                .tempdir()
                .map_err(|e| {
                    Error::Invalid(format!("making the slirp4netns API directory: {e}"))
                })?,
        )
    };
    let api = api_dir.as_ref().map(|d| ApiSocket {
        dir: d.path().to_path_buf(),
        name: "api.sock".into(),
    });
    spawn_slirp(netns, options, api.as_ref(), pid_file, log)?;
    let Some(api) = api else {
        return Ok(());
    };
    for p in ports {
        add_hostfwd(&api, p, SLIRP_GUEST_ADDR, false)?;
    }
    Ok(())
}

/// A slirp4netns API socket: `name` in `dir`. slirp4netns binds it from
/// inside `dir` and rpod reaches it through the directory's descriptor, so
/// the path's length does not matter.
#[derive(Debug, Clone)]
pub struct ApiSocket {
    pub dir: PathBuf,
    pub name: String,
}

/// Forwards the host ports of `p` to `guest_addr` (the container's ports, or
/// with `same_port` the same ports there); returns slirp4netns's rule IDs.
pub(crate) fn add_hostfwd(
    api: &ApiSocket,
    p: &PortMapping,
    guest_addr: &str,
    same_port: bool,
) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    for i in 0..p.range {
        for proto in p.protocol.split(',') {
            let host_addr = if p.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                p.host_ip.as_str()
            };
            let guest_port = if same_port {
                p.host_port + i
            } else {
                p.container_port + i
            };
            let request = serde_json::json!({
                "execute": "add_hostfwd",
                "arguments": {
                    "proto": proto,
                    "host_addr": host_addr,
                    "host_port": p.host_port + i,
                    "guest_addr": guest_addr,
                    "guest_port": guest_port,
                }
            });
            let reply = slirp_api(api, &request)?;
            if let Some(id) = reply.pointer("/return/id").and_then(|v| v.as_u64()) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// Removes forwarding rules by their IDs; best effort.
pub(crate) fn remove_hostfwd(api: &ApiSocket, ids: &[u64]) {
    for id in ids {
        let request = serde_json::json!({"execute": "remove_hostfwd", "arguments": {"id": id}});
        let _ = slirp_api(api, &request);
    }
}

/// Runs slirp4netns on `netns` (in the background, in a session of its
/// own), waits until it says it is ready, and records its PID.
pub(crate) fn spawn_slirp(
    netns: &Path,
    options: &SlirpOptions,
    api: Option<&ApiSocket>,
    pid_file: &Path,
    log: &Path,
) -> Result<()> {
    let slirp = match &options.program {
        Some(p) => p.clone(),
        None => helper("slirp4netns")?,
    };
    let (ready_r, ready_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| Error::Invalid(format!("making a pipe for slirp4netns: {e}")))?;
    let mut args = vec![
        "--configure".to_string(),
        format!("--mtu={}", options.mtu.unwrap_or(65520)),
        "--netns-type=path".into(),
        "--ready-fd=3".into(),
    ];
    if let Some(api) = api {
        let _ = std::fs::remove_file(api.dir.join(&api.name));
        args.push(format!("--api-socket={}", api.name));
    }
    if !options.allow_host_loopback {
        args.push("--disable-host-loopback".into());
    }
    if options.enable_ipv6 {
        args.push("--enable-ipv6".into());
    }
    if let Some(c) = &options.cidr {
        args.push(format!("--cidr={c}"));
    }
    args.extend([netns.display().to_string(), "tap0".into()]);
    let log_file = std::fs::File::create(log)
        .map_err(|e| Error::Invalid(format!("creating {}: {e}", log.display())))?;
    let ready_fd = ready_w.as_raw_fd();
    let mut cmd = Command::new(&slirp);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(
            log_file
                .try_clone()
                .map_err(|e| Error::Invalid(e.to_string()))?,
        )
        .stderr(log_file);
    if let Some(api) = api {
        cmd.current_dir(&api.dir);
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if nix::libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // dup2 onto itself keeps close-on-exec: clear it then.
            let ok = if ready_fd == 3 {
                nix::libc::fcntl(3, nix::libc::F_SETFD, 0)
            } else {
                nix::libc::dup2(ready_fd, 3)
            };
            if ok < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| Error::Invalid(format!("running {}: {e}", slirp.display())))?;
    drop(ready_w);
    let pid = child.id();
    // Recorded at once, so that a failure from here on still ends it.
    std::fs::write(pid_file, pid.to_string())
        .map_err(|e| Error::Invalid(format!("writing {}: {e}", pid_file.display())))?;
    let mut ready = std::fs::File::from(ready_r);
    let mut byte = [0u8; 1];
    if ready.read_exact(&mut byte).is_err() || byte[0] != b'1' {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        return Err(Error::Invalid(format!(
            "slirp4netns failed: {}",
            text.lines()
                .last()
                .unwrap_or("it exited before it was ready")
        )));
    }
    Ok(())
}

/// One request on slirp4netns's API socket; its reply.
fn slirp_api(api: &ApiSocket, request: &serde_json::Value) -> Result<serde_json::Value> {
    let fail = |e: String| Error::Invalid(format!("slirp4netns port forwarding: {e}"));
    let dir = std::fs::File::open(&api.dir).map_err(|e| fail(e.to_string()))?;
    let path = format!("/proc/self/fd/{}/{}", dir.as_raw_fd(), api.name);
    let mut s = std::os::unix::net::UnixStream::connect(&path).map_err(|e| fail(e.to_string()))?;
    drop(dir);
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    s.write_all(request.to_string().as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut reply = String::new();
    s.read_to_string(&mut reply)
        .map_err(|e| fail(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_str(&reply).map_err(|e| fail(e.to_string()))?;
    if let Some(err) = v.get("error") {
        return Err(fail(
            err.get("desc")
                .and_then(|d| d.as_str())
                .unwrap_or("refused")
                .to_string(),
        ));
    }
    Ok(v)
}

/// Ends the helper whose PID `pid_file` holds (pasta or slirp4netns) and
/// removes the file; a missing file or process is not an error.
pub fn stop(pid_file: &Path) {
    if let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
        .filter(|p| *p > 1)
    {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    let _ = std::fs::remove_file(pid_file);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(host_ip: &str, host: u16, ctr: u16, range: u16, proto: &str) -> PortMapping {
        PortMapping {
            host_ip: host_ip.into(),
            container_port: ctr,
            host_port: host,
            range,
            protocol: proto.into(),
        }
    }

    #[test]
    fn pasta_ports_name_address_range_and_protocol() {
        assert_eq!(pasta_port_args(&[]), ["-t", "none", "-u", "none"]);
        assert_eq!(
            pasta_port_args(&[
                port("", 8080, 80, 1, "tcp"),
                port("127.0.0.1", 9000, 90, 3, "udp"),
            ]),
            ["-t", "8080:80", "-u", "127.0.0.1/9000-9002:90-92"]
        );
    }

    #[test]
    fn slirp_options_are_checked() {
        let o =
            SlirpOptions::parse(&["allow_host_loopback=true".into(), "mtu=1500".into()]).unwrap();
        assert!(o.allow_host_loopback);
        assert_eq!(o.mtu, Some(1500));
        assert!(SlirpOptions::parse(&["port_handler=rootlesskit".into()]).is_err());
    }
}

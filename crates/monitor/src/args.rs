//! The monitor's command line: one type, built by the caller with
//! [`MonitorArgs::to_args`] and parsed by the binary with
//! [`MonitorArgs::parse`].
//!
//! All options are long options taking their value in the next argument
//! (`--cid ID`); `--opt=value` is accepted too. A value is taken verbatim even
//! when it starts with `--`, so `--runtime-arg --root` works.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::logfile::LogDriver;

/// Everything the monitor needs to know, as passed on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorArgs {
    /// Container id (`--cid`); also the exit file's name, so it must be a
    /// plain file name.
    pub cid: String,
    /// Container name (`--name`), used in diagnostics.
    pub name: String,
    /// Path of the OCI runtime binary (`--runtime`).
    pub runtime: PathBuf,
    /// Global runtime arguments put before the `create` subcommand
    /// (`--runtime-arg`, repeatable). A `--log FILE` among them is where the
    /// monitor looks for the runtime's error message when `create` fails.
    pub runtime_args: Vec<OsString>,
    /// OCI bundle directory (`--bundle`).
    pub bundle: PathBuf,
    /// Where the runtime writes the container pid (`--pidfile`).
    pub pidfile: PathBuf,
    /// Directory receiving the exit file `<exit-dir>/<cid>` (`--exit-dir`).
    pub exit_dir: PathBuf,
    /// Per-container directory owned by the monitor (`--persist-dir`): its
    /// cwd, `monitor.pid`, `monitor.log`, `oom`.
    pub persist_dir: PathBuf,
    /// Directory of the attach socket (`--socket-dir`).
    pub socket_dir: PathBuf,
    /// Log driver (`--log-driver`, default `k8s-file`).
    pub log_driver: LogDriver,
    /// Log file (`--log-path`); required unless the driver is `none`.
    pub log_path: Option<PathBuf>,
    /// Truncate the log file when it would grow past this many bytes
    /// (`--log-max-size`); 0 means unlimited.
    pub log_max_size: u64,
    /// Give the container a pseudo-terminal (`--terminal`).
    pub terminal: bool,
    /// Keep the container's stdin open for attach clients (`--stdin`).
    pub stdin: bool,
    /// Inherited fd to report the start-up result on (`--sync-fd`).
    pub sync_fd: Option<RawFd>,
    /// Command run after the container exited (`--exit-command`).
    pub exit_command: Option<PathBuf>,
    /// Arguments of the exit command (`--exit-command-arg`, repeatable).
    pub exit_command_args: Vec<OsString>,
    /// Run the health command every this many milliseconds while the
    /// container runs (`--health-interval-ms`); 0 means never.
    pub health_interval_ms: u64,
    /// The health command (`--health-command`): the monitor only schedules
    /// it; the command records the result itself.
    pub health_command: Option<PathBuf>,
    /// Arguments of the health command (`--health-command-arg`, repeatable).
    pub health_command_args: Vec<OsString>,
    /// Kill the container with SIGKILL this many seconds after it was
    /// created (`--timeout`, `run --timeout`); 0 means never.
    pub timeout_secs: u64,
    /// The service manager's notify socket (`--notify-socket`): where the
    /// monitor sends `READY=1` and `MAINPID=<container pid>`. A leading `@`
    /// names an abstract socket.
    pub notify_socket: Option<OsString>,
    /// `--notify-proxy` (with `--notify-socket`): bind
    /// `<persist-dir>/notify/notify.sock` for the container and relay its
    /// messages, `MAINPID` set to the container's pid. Without it the
    /// monitor notifies once the caller reports the container started.
    pub notify_proxy: bool,
}

/// A command line the monitor cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsError(String);

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgsError {}

fn err(msg: impl Into<String>) -> ArgsError {
    ArgsError(msg.into())
}

/// Options that may be given once.
#[derive(Default)]
struct Single {
    cid: Option<OsString>,
    name: Option<OsString>,
    runtime: Option<OsString>,
    bundle: Option<OsString>,
    pidfile: Option<OsString>,
    exit_dir: Option<OsString>,
    persist_dir: Option<OsString>,
    socket_dir: Option<OsString>,
    log_driver: Option<OsString>,
    log_path: Option<OsString>,
    log_max_size: Option<OsString>,
    sync_fd: Option<OsString>,
    exit_command: Option<OsString>,
    health_interval_ms: Option<OsString>,
    health_command: Option<OsString>,
    notify_socket: Option<OsString>,
    timeout: Option<OsString>,
}

impl MonitorArgs {
    /// Creates arguments with the required values set and every optional
    /// one at its default (`k8s-file` driver without a log path: set
    /// [`log_path`](Self::log_path) or the driver before use).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cid: impl Into<String>,
        name: impl Into<String>,
        runtime: impl Into<PathBuf>,
        bundle: impl Into<PathBuf>,
        pidfile: impl Into<PathBuf>,
        exit_dir: impl Into<PathBuf>,
        persist_dir: impl Into<PathBuf>,
        socket_dir: impl Into<PathBuf>,
    ) -> Self {
        MonitorArgs {
            cid: cid.into(),
            name: name.into(),
            runtime: runtime.into(),
            runtime_args: Vec::new(),
            bundle: bundle.into(),
            pidfile: pidfile.into(),
            exit_dir: exit_dir.into(),
            persist_dir: persist_dir.into(),
            socket_dir: socket_dir.into(),
            log_driver: LogDriver::default(),
            log_path: None,
            log_max_size: 0,
            terminal: false,
            stdin: false,
            sync_fd: None,
            exit_command: None,
            exit_command_args: Vec::new(),
            health_interval_ms: 0,
            health_command: None,
            health_command_args: Vec::new(),
            timeout_secs: 0,
            notify_socket: None,
            notify_proxy: false,
        }
    }

    /// Parses the arguments (without `argv[0]`).
    pub fn parse<I, S>(args: I) -> Result<Self, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut single = Single::default();
        let mut runtime_args = Vec::new();
        let mut exit_command_args = Vec::new();
        let mut health_command_args = Vec::new();
        let mut terminal = false;
        let mut stdin = false;
        let mut notify_proxy = false;

        let mut it = args.into_iter().map(Into::into);
        while let Some(arg) = it.next() {
            let (opt, inline) = split_option(&arg)?;
            let mut value = || -> Result<OsString, ArgsError> {
                match &inline {
                    Some(v) => Ok(v.clone()),
                    None => it
                        .next()
                        .ok_or_else(|| err(format!("option {opt} needs a value"))),
                }
            };
            let slot = match opt.as_str() {
                "--notify-proxy" => {
                    if inline.is_some() {
                        return Err(err(format!("option {opt} takes no value")));
                    }
                    notify_proxy = true;
                    continue;
                }
                "--terminal" | "--stdin" => {
                    if inline.is_some() {
                        return Err(err(format!("option {opt} takes no value")));
                    }
                    let flag = if opt == "--terminal" {
                        &mut terminal
                    } else {
                        &mut stdin
                    };
                    *flag = true;
                    continue;
                }
                "--runtime-arg" => {
                    runtime_args.push(value()?);
                    continue;
                }
                "--exit-command-arg" => {
                    exit_command_args.push(value()?);
                    continue;
                }
                "--health-command-arg" => {
                    health_command_args.push(value()?);
                    continue;
                }
                "--health-interval-ms" => &mut single.health_interval_ms,
                "--timeout" => &mut single.timeout,
                "--health-command" => &mut single.health_command,
                "--cid" => &mut single.cid,
                "--name" => &mut single.name,
                "--runtime" => &mut single.runtime,
                "--bundle" => &mut single.bundle,
                "--pidfile" => &mut single.pidfile,
                "--exit-dir" => &mut single.exit_dir,
                "--persist-dir" => &mut single.persist_dir,
                "--socket-dir" => &mut single.socket_dir,
                "--log-driver" => &mut single.log_driver,
                "--log-path" => &mut single.log_path,
                "--log-max-size" => &mut single.log_max_size,
                "--sync-fd" => &mut single.sync_fd,
                "--exit-command" => &mut single.exit_command,
                "--notify-socket" => &mut single.notify_socket,
                _ => return Err(err(format!("unknown option {opt}"))),
            };
            if slot.is_some() {
                return Err(err(format!("option {opt} given more than once")));
            }
            *slot = Some(value()?);
        }

        let mut parsed =
            Self::from_parts(single, runtime_args, exit_command_args, terminal, stdin)?;
        parsed.health_command_args = health_command_args;
        parsed.notify_proxy = notify_proxy;
        parsed.validate()?;
        Ok(parsed)
    }

    fn from_parts(
        s: Single,
        runtime_args: Vec<OsString>,
        exit_command_args: Vec<OsString>,
        terminal: bool,
        stdin: bool,
    ) -> Result<Self, ArgsError> {
        fn required(v: Option<OsString>, opt: &str) -> Result<OsString, ArgsError> {
            v.ok_or_else(|| err(format!("missing required option {opt}")))
        }
        fn utf8(v: OsString, opt: &str) -> Result<String, ArgsError> {
            v.into_string()
                .map_err(|_| err(format!("option {opt} is not valid UTF-8")))
        }
        let log_driver = match s.log_driver {
            Some(v) => utf8(v, "--log-driver")?
                .parse()
                .map_err(|e: crate::logfile::UnknownLogDriver| err(e.to_string()))?,
            None => LogDriver::default(),
        };
        let log_max_size = match s.log_max_size {
            Some(v) => utf8(v, "--log-max-size")?
                .parse::<u64>()
                .map_err(|_| err("option --log-max-size needs a number of bytes"))?,
            None => 0,
        };
        let health_interval_ms = match s.health_interval_ms {
            Some(v) => utf8(v, "--health-interval-ms")?
                .parse::<u64>()
                .map_err(|_| err("option --health-interval-ms needs a number of milliseconds"))?,
            None => 0,
        };
        let timeout_secs = match s.timeout {
            Some(v) => utf8(v, "--timeout")?
                .parse::<u64>()
                .map_err(|_| err("option --timeout needs a number of seconds"))?,
            None => 0,
        };
        let sync_fd = match s.sync_fd {
            Some(v) => Some(
                utf8(v, "--sync-fd")?
                    .parse::<RawFd>()
                    .ok()
                    .filter(|fd| *fd >= 0)
                    .ok_or_else(|| err("option --sync-fd needs a file descriptor number"))?,
            ),
            None => None,
        };
        Ok(MonitorArgs {
            cid: utf8(required(s.cid, "--cid")?, "--cid")?,
            name: utf8(required(s.name, "--name")?, "--name")?,
            runtime: required(s.runtime, "--runtime")?.into(),
            runtime_args,
            bundle: required(s.bundle, "--bundle")?.into(),
            pidfile: required(s.pidfile, "--pidfile")?.into(),
            exit_dir: required(s.exit_dir, "--exit-dir")?.into(),
            persist_dir: required(s.persist_dir, "--persist-dir")?.into(),
            socket_dir: required(s.socket_dir, "--socket-dir")?.into(),
            log_driver,
            log_path: s.log_path.map(PathBuf::from),
            log_max_size,
            terminal,
            stdin,
            sync_fd,
            exit_command: s.exit_command.map(PathBuf::from),
            exit_command_args,
            health_interval_ms,
            health_command: s.health_command.map(PathBuf::from),
            health_command_args: Vec::new(),
            timeout_secs,
            notify_socket: s.notify_socket.filter(|v| !v.is_empty()),
            notify_proxy: false,
        })
    }

    /// Checks the cross-field rules; [`parse`](Self::parse) calls it, a
    /// caller may call it before spawning.
    pub fn validate(&self) -> Result<(), ArgsError> {
        if self.cid.is_empty()
            || self.cid == "."
            || self.cid == ".."
            || self.cid.contains('/')
            || self.cid.contains('\0')
        {
            return Err(err(format!("invalid container id {:?}", self.cid)));
        }
        if self.log_driver != LogDriver::None && self.log_path.is_none() {
            return Err(err(format!(
                "log driver {} needs --log-path",
                self.log_driver.as_str()
            )));
        }
        if self.exit_command.is_none() && !self.exit_command_args.is_empty() {
            return Err(err("--exit-command-arg given without --exit-command"));
        }
        if self.health_command.is_none() && !self.health_command_args.is_empty() {
            return Err(err("--health-command-arg given without --health-command"));
        }
        if self.notify_proxy && self.notify_socket.is_none() {
            return Err(err("--notify-proxy given without --notify-socket"));
        }
        if (self.health_interval_ms > 0) != self.health_command.is_some() {
            return Err(err("--health-interval-ms and --health-command go together"));
        }
        Ok(())
    }

    /// Builds the command line (without `argv[0]`) that [`parse`](Self::parse)
    /// turns back into `self`.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut out = Vec::new();
        let mut push = |opt: &str, value: &OsStr| {
            out.push(OsString::from(opt));
            out.push(value.to_os_string());
        };
        push("--cid", self.cid.as_ref());
        push("--name", self.name.as_ref());
        push("--runtime", self.runtime.as_os_str());
        for arg in &self.runtime_args {
            push("--runtime-arg", arg);
        }
        push("--bundle", self.bundle.as_os_str());
        push("--pidfile", self.pidfile.as_os_str());
        push("--exit-dir", self.exit_dir.as_os_str());
        push("--persist-dir", self.persist_dir.as_os_str());
        push("--socket-dir", self.socket_dir.as_os_str());
        push("--log-driver", self.log_driver.as_str().as_ref());
        if let Some(path) = &self.log_path {
            push("--log-path", path.as_os_str());
        }
        if self.log_max_size > 0 {
            push("--log-max-size", self.log_max_size.to_string().as_ref());
        }
        if let Some(fd) = self.sync_fd {
            push("--sync-fd", fd.to_string().as_ref());
        }
        if let Some(cmd) = &self.exit_command {
            push("--exit-command", cmd.as_os_str());
            for arg in &self.exit_command_args {
                push("--exit-command-arg", arg);
            }
        }
        if let Some(cmd) = &self.health_command {
            push(
                "--health-interval-ms",
                self.health_interval_ms.to_string().as_ref(),
            );
            push("--health-command", cmd.as_os_str());
            for arg in &self.health_command_args {
                push("--health-command-arg", arg);
            }
        }
        if self.timeout_secs > 0 {
            push("--timeout", self.timeout_secs.to_string().as_ref());
        }
        if let Some(sock) = &self.notify_socket {
            push("--notify-socket", sock);
            if self.notify_proxy {
                out.push("--notify-proxy".into());
            }
        }
        if self.terminal {
            out.push("--terminal".into());
        }
        if self.stdin {
            out.push("--stdin".into());
        }
        out
    }
}

/// Splits `--opt=value` into the option name and the inline value.
fn split_option(arg: &OsStr) -> Result<(String, Option<OsString>), ArgsError> {
    let bytes = arg.as_bytes();
    if !bytes.starts_with(b"--") {
        return Err(err(format!(
            "unexpected argument {:?}",
            arg.to_string_lossy()
        )));
    }
    let (name, value) = match bytes.iter().position(|b| *b == b'=') {
        Some(eq) => (
            &bytes[..eq],
            Some(OsStr::from_bytes(&bytes[eq + 1..]).to_os_string()),
        ),
        None => (bytes, None),
    };
    Ok((String::from_utf8_lossy(name).into_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MonitorArgs {
        let mut a = MonitorArgs::new(
            "abc123",
            "web",
            "/usr/sbin/runc",
            "/b",
            "/p/pidfile",
            "/e",
            "/p",
            "/s",
        );
        a.log_path = Some("/p/ctr.log".into());
        a
    }

    #[test]
    fn round_trip_minimal() {
        let a = sample();
        assert_eq!(MonitorArgs::parse(a.to_args()).unwrap(), a);
    }

    #[test]
    fn round_trip_everything() {
        let mut a = sample();
        a.runtime_args = vec!["--root".into(), "/run/x".into(), "--log=/l".into()];
        a.log_driver = LogDriver::JsonFile;
        a.log_max_size = 4096;
        a.terminal = true;
        a.stdin = true;
        a.sync_fd = Some(5);
        a.exit_command = Some("/bin/rpod".into());
        a.exit_command_args = vec!["--flag".into(), "container".into(), "cleanup".into()];
        a.notify_socket = Some("@abstract".into());
        a.notify_proxy = true;
        assert_eq!(MonitorArgs::parse(a.to_args()).unwrap(), a);
    }

    #[test]
    fn notify_proxy_needs_a_socket() {
        let mut a = sample();
        a.notify_proxy = true;
        assert!(a.validate().is_err());
    }

    #[test]
    fn inline_values_and_dash_values() {
        let a = MonitorArgs::parse([
            "--cid=x",
            "--name",
            "n",
            "--runtime",
            "r",
            "--runtime-arg",
            "--root",
            "--runtime-arg",
            "/tmp",
            "--bundle",
            "b",
            "--pidfile",
            "p",
            "--exit-dir",
            "e",
            "--persist-dir",
            "d",
            "--socket-dir",
            "s",
            "--log-driver=none",
        ])
        .unwrap();
        assert_eq!(a.cid, "x");
        assert_eq!(
            a.runtime_args,
            vec![OsString::from("--root"), "/tmp".into()]
        );
        assert_eq!(a.log_driver, LogDriver::None);
    }

    #[test]
    fn rejects_bad_input() {
        let base = sample().to_args();
        let with = |extra: &[&str]| {
            let mut v = base.clone();
            v.extend(extra.iter().map(OsString::from));
            MonitorArgs::parse(v)
        };
        assert!(with(&["--bogus"]).is_err());
        assert!(with(&["--cid", "again"]).is_err());
        assert!(with(&["--sync-fd", "-1"]).is_err());
        assert!(with(&["--log-max-size", "big"]).is_err());
        assert!(with(&["--log-driver", "journald"]).is_err());
        assert!(with(&["--exit-command-arg", "x"]).is_err());
        assert!(with(&["--terminal=yes"]).is_err());
        assert!(with(&["stray"]).is_err());
        assert!(with(&["--runtime-arg"]).is_err());
        assert!(MonitorArgs::parse(["--cid", "x"]).is_err());

        let mut bad = sample();
        bad.cid = "../x".into();
        assert!(bad.validate().is_err());
        let mut nolog = sample();
        nolog.log_path = None;
        assert!(nolog.validate().is_err());
        nolog.log_driver = LogDriver::None;
        assert!(nolog.validate().is_ok());
    }
}

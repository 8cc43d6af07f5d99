//! Quadlet: `.container`, `.volume`, `.network` and `.kube` files with
//! Podman's keys (podman-systemd.unit(5)) translated to service units whose
//! commands run rpod. The sections other than the type's own (`[Unit]`,
//! `[Service]`, `[Install]`, …) pass through unchanged.

use std::path::{Path, PathBuf};

use super::units::quote_exec_word;
use crate::error::{Error, Result};
use crate::Runtime;

/// Where Podman's generator reads unit files (system units), unless
/// `QUADLET_UNIT_DIRS` (colon-separated) says otherwise.
pub const DEFAULT_UNIT_DIRS: &[&str] =
    &["/etc/containers/systemd", "/usr/share/containers/systemd"];

/// The file types quadlet reads.
pub const EXTENSIONS: &[&str] = &["container", "volume", "network", "kube"];

/// One generated unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuadletUnit {
    /// The service's file name (`web.service`, `data-volume.service`).
    pub service: String,
    /// The file it was made from.
    pub source: PathBuf,
    pub text: String,
    /// `[Install]`'s `WantedBy=`/`RequiredBy=` targets: the generator
    /// links the service into `<target>.wants/` or `.requires/`.
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
}

/// A unit file: sections in order, each with its `(key, value)` entries.
#[derive(Debug, Clone, Default)]
struct UnitFile {
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl UnitFile {
    fn parse(text: &str, path: &Path) -> Result<UnitFile> {
        let mut f = UnitFile::default();
        let mut pending = String::new();
        for (n, raw) in text.lines().enumerate() {
            let line = if pending.is_empty() {
                raw.trim().to_string()
            } else {
                format!("{pending} {}", raw.trim())
            };
            if let Some(more) = line.strip_suffix('\\') {
                pending = more.trim_end().to_string();
                continue;
            }
            pending.clear();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                f.sections
                    .push((line[1..line.len() - 1].to_string(), Vec::new()));
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(Error::InvalidArgument(format!(
                    "{}:{}: not a key=value line: {line:?}",
                    path.display(),
                    n + 1
                )));
            };
            let Some(section) = f.sections.last_mut() else {
                return Err(Error::InvalidArgument(format!(
                    "{}:{}: key outside of a section",
                    path.display(),
                    n + 1
                )));
            };
            section.1.push((k.trim().to_string(), v.trim().to_string()));
        }
        Ok(f)
    }

    fn section(&self, name: &str) -> Vec<(String, String)> {
        self.sections
            .iter()
            .filter(|(s, _)| s == name)
            .flat_map(|(_, e)| e.iter().cloned())
            .collect()
    }
}

/// The words of a value, split on white space with double or single
/// quotes kept together (as systemd splits `Exec=`).
fn split_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' | '\'' if quote == Some(c) => quote = None,
            '"' | '\'' if quote.is_none() => {
                quote = Some(c);
                in_word = true;
            }
            c if c.is_whitespace() && quote.is_none() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn truthy(file: &Path, key: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        _ => Err(Error::InvalidArgument(format!(
            "{}: {key}={v:?} is not a boolean",
            file.display()
        ))),
    }
}

fn unsupported_key(file: &Path, section: &str, key: &str) -> Error {
    Error::InvalidArgument(format!(
        "{}: unsupported key {key:?} in group {section:?}",
        file.display()
    ))
}

/// The name of the volume or network a `Volume=`/`Network=` value names:
/// `NAME.volume` is quadlet's `systemd-NAME` (its service a dependency).
fn reference(value: &str, ext: &str, deps: &mut Vec<String>) -> String {
    match value.strip_suffix(&format!(".{ext}")) {
        Some(base) if !base.contains('/') => {
            deps.push(format!("{base}-{ext}.service"));
            format!("systemd-{base}")
        }
        _ => value.to_string(),
    }
}

impl Runtime {
    /// Reads every quadlet file in `dirs` (the first of the same name
    /// wins) and translates it.
    pub fn quadlet_units(&self, dirs: &[PathBuf]) -> Result<Vec<QuadletUnit>> {
        let mut seen = std::collections::BTreeSet::new();
        let mut files = Vec::new();
        for dir in dirs {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut here: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| EXTENSIONS.contains(&e))
                })
                .collect();
            here.sort();
            for p in here {
                if let Some(name) = p.file_name().map(|n| n.to_os_string()) {
                    if seen.insert(name) {
                        files.push(p);
                    }
                }
            }
        }
        files.iter().map(|f| self.quadlet_unit(f)).collect()
    }

    /// Translates one quadlet file.
    pub fn quadlet_unit(&self, path: &Path) -> Result<QuadletUnit> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            context: format!("reading {}", path.display()),
            source,
        })?;
        let file = UnitFile::parse(&text, path)?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::InvalidArgument(format!("{}: no unit name", path.display())))?
            .to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let mut rpod = quote_exec_word(
            &std::env::current_exe()
                .unwrap_or_else(|_| PathBuf::from("rpod"))
                .display()
                .to_string(),
        );
        for f in self.engine_flags() {
            rpod.push(' ');
            rpod.push_str(&f);
        }
        let (own, service, body) = match ext {
            "container" => (
                "Container",
                format!("{stem}.service"),
                container(&file, path, &rpod)?,
            ),
            "volume" => (
                "Volume",
                format!("{stem}-volume.service"),
                volume(&file, path, &stem, &rpod)?,
            ),
            "network" => (
                "Network",
                format!("{stem}-network.service"),
                network(&file, path, &stem, &rpod)?,
            ),
            "kube" => ("Kube", format!("{stem}.service"), kube(&file, path, &rpod)?),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "{}: unknown quadlet file type {other:?}",
                    path.display()
                )))
            }
        };
        let run_root = std::path::absolute(&self.paths.run_root)
            .unwrap_or_else(|_| self.paths.run_root.clone());
        let mut out = String::from("# Automatically generated by rpod quadlet\n");
        let mut unit = file.section("Unit");
        unit.push(("SourcePath".into(), path.display().to_string()));
        unit.push((
            "RequiresMountsFor".into(),
            quote_exec_word(&run_root.display().to_string()),
        ));
        for d in &body.deps {
            unit.push(("Requires".into(), d.clone()));
            unit.push(("After".into(), d.clone()));
        }
        let mut emitted = vec![own.to_string(), "Unit".to_string(), "Service".to_string()];
        write_section(&mut out, "Unit", &unit);
        let mut svc = body.service;
        svc.extend(file.section("Service"));
        write_section(&mut out, "Service", &svc);
        for (name, _) in &file.sections {
            if emitted.contains(name) {
                continue;
            }
            emitted.push(name.clone());
            write_section(&mut out, name, &file.section(name));
        }
        let install = file.section("Install");
        let list = |key: &str| -> Vec<String> {
            install
                .iter()
                .filter(|(k, _)| k == key)
                .flat_map(|(_, v)| split_words(v))
                .collect()
        };
        Ok(QuadletUnit {
            service,
            source: path.to_path_buf(),
            text: out,
            wanted_by: list("WantedBy"),
            required_by: list("RequiredBy"),
        })
    }
}

fn write_section(out: &mut String, name: &str, entries: &[(String, String)]) {
    out.push_str(&format!("\n[{name}]\n"));
    for (k, v) in entries {
        out.push_str(&format!("{k}={v}\n"));
    }
}

/// The `[Service]` entries made from the type's section, and the units it
/// depends on.
struct Body {
    service: Vec<(String, String)>,
    deps: Vec<String>,
}

fn exec_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| quote_exec_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Our own words are written raw (they hold `%t`, `%N`), the user's quoted.
fn command(rpod: &str, fixed: &[&str], user: &[String]) -> String {
    let mut s = rpod.to_string();
    for f in fixed {
        s.push(' ');
        s.push_str(f);
    }
    if !user.is_empty() {
        s.push(' ');
        s.push_str(&exec_line(user));
    }
    s
}

fn container(file: &UnitFile, path: &Path, rpod: &str) -> Result<Body> {
    let mut args: Vec<String> = Vec::new();
    let mut name = "systemd-%N".to_string();
    let mut image = None;
    let mut exec = Vec::new();
    let mut notify = false;
    let mut deps = Vec::new();
    let mut podman_args = Vec::new();
    for (k, v) in file.section("Container") {
        let flag = |f: &str, args: &mut Vec<String>| args.push(format!("--{f}={v}"));
        match k.as_str() {
            "Image" => image = Some(v.clone()),
            "ContainerName" => name = v.replace('%', "%%"),
            "Exec" => exec = split_words(&v),
            "Environment" => {
                for w in split_words(&v) {
                    args.push(format!("--env={w}"));
                }
            }
            "EnvironmentFile" => flag("env-file", &mut args),
            "EnvironmentHost" => {
                if truthy(path, &k, &v)? {
                    args.push("--env-host".into());
                }
            }
            "Label" => {
                for w in split_words(&v) {
                    args.push(format!("--label={w}"));
                }
            }
            "Annotation" => {
                for w in split_words(&v) {
                    args.push(format!("--annotation={w}"));
                }
            }
            "PublishPort" => flag("publish", &mut args),
            "ExposeHostPort" => flag("expose", &mut args),
            "Volume" => {
                let (src, rest) = v.split_once(':').unwrap_or((&v, ""));
                let src = reference(src, "volume", &mut deps);
                if rest.is_empty() {
                    args.push(format!("--volume={src}"));
                } else {
                    args.push(format!("--volume={src}:{rest}"));
                }
            }
            "Network" => {
                let (net, rest) = v.split_once(':').unwrap_or((&v, ""));
                let net = reference(net, "network", &mut deps);
                if rest.is_empty() {
                    args.push(format!("--network={net}"));
                } else {
                    args.push(format!("--network={net}:{rest}"));
                }
            }
            "User" => flag("user", &mut args),
            "Group" => {
                // Quadlet joins User and Group into one --user.
                match args.iter().position(|a| a.starts_with("--user=")) {
                    Some(i) => args[i] = format!("{}:{v}", args[i]),
                    None => args.push(format!("--user=:{v}")),
                }
            }
            "WorkingDir" => flag("workdir", &mut args),
            "HostName" => flag("hostname", &mut args),
            "IP" => flag("ip", &mut args),
            "IP6" => flag("ip6", &mut args),
            "Tmpfs" => flag("tmpfs", &mut args),
            "AddCapability" => {
                for w in split_words(&v) {
                    args.push(format!("--cap-add={}", w.to_ascii_lowercase()));
                }
            }
            "DropCapability" => {
                for w in split_words(&v) {
                    args.push(format!("--cap-drop={}", w.to_ascii_lowercase()));
                }
            }
            "AddDevice" => flag("device", &mut args),
            "ReadOnly" => {
                if truthy(path, &k, &v)? {
                    args.push("--read-only".into());
                }
            }
            "RunInit" => {
                if truthy(path, &k, &v)? {
                    args.push("--init".into());
                }
            }
            "NoNewPrivileges" => {
                if truthy(path, &k, &v)? {
                    args.push("--security-opt=no-new-privileges".into());
                }
            }
            "Notify" => notify = truthy(path, &k, &v)?,
            "LogDriver" => flag("log-driver", &mut args),
            "HealthCmd" => flag("health-cmd", &mut args),
            "HealthInterval" => flag("health-interval", &mut args),
            "HealthRetries" => flag("health-retries", &mut args),
            "HealthTimeout" => flag("health-timeout", &mut args),
            "HealthStartPeriod" => flag("health-start-period", &mut args),
            "HealthOnFailure" => flag("health-on-failure", &mut args),
            "Pull" => flag("pull", &mut args),
            "ShmSize" => flag("shm-size", &mut args),
            "Ulimit" => flag("ulimit", &mut args),
            "Sysctl" => {
                for w in split_words(&v) {
                    args.push(format!("--sysctl={w}"));
                }
            }
            "AutoUpdate" => args.push(format!("--label=io.containers.autoupdate={v}")),
            "PodmanArgs" => podman_args.extend(split_words(&v)),
            _ => return Err(unsupported_key(path, "Container", &k)),
        }
    }
    let image = image.ok_or_else(|| {
        Error::InvalidArgument(format!("{}: no Image key specified", path.display()))
    })?;
    let sdnotify = if notify {
        "--sdnotify=container"
    } else {
        "--sdnotify=conmon"
    };
    let mut user = args;
    user.extend(podman_args);
    user.push(image);
    user.extend(exec);
    let name_flag = format!("--name={name}");
    let start = command(
        rpod,
        &[
            "run",
            &name_flag,
            "--cidfile=%t/%N.cid",
            "--replace",
            "--rm",
            "--cgroups=no-conmon",
            sdnotify,
            "-d",
        ],
        &user,
    );
    let service = vec![
        ("Environment".into(), "PODMAN_SYSTEMD_UNIT=%n".into()),
        ("KillMode".into(), "mixed".into()),
        (
            "ExecStop".into(),
            command(rpod, &["rm", "-f", "-i", "--cidfile=%t/%N.cid"], &[]),
        ),
        (
            "ExecStopPost".into(),
            format!(
                "-{}",
                command(rpod, &["rm", "-f", "-i", "--cidfile=%t/%N.cid"], &[])
            ),
        ),
        ("ExecStopPost".into(), "-/bin/rm -f %t/%N.cid".into()),
        ("Delegate".into(), "yes".into()),
        ("Type".into(), "notify".into()),
        ("NotifyAccess".into(), "all".into()),
        ("SyslogIdentifier".into(), "%N".into()),
        ("ExecStart".into(), start),
    ];
    Ok(Body { service, deps })
}

fn oneshot(start: String) -> Vec<(String, String)> {
    vec![
        ("ExecStart".into(), start),
        ("Type".into(), "oneshot".into()),
        ("RemainAfterExit".into(), "yes".into()),
        ("SyslogIdentifier".into(), "%N".into()),
    ]
}

fn volume(file: &UnitFile, path: &Path, stem: &str, rpod: &str) -> Result<Body> {
    let mut name = format!("systemd-{stem}");
    let mut args = Vec::new();
    let mut mount_opts = Vec::new();
    for (k, v) in file.section("Volume") {
        match k.as_str() {
            "VolumeName" => name = v.clone(),
            "Label" => {
                for w in split_words(&v) {
                    args.push(format!("--label={w}"));
                }
            }
            "Device" => args.push(format!("--opt=device={v}")),
            "Type" => args.push(format!("--opt=type={v}")),
            "Options" => mount_opts.push(v.clone()),
            "User" => mount_opts.push(format!("uid={v}")),
            "Group" => mount_opts.push(format!("gid={v}")),
            _ => return Err(unsupported_key(path, "Volume", &k)),
        }
    }
    if !mount_opts.is_empty() {
        args.push(format!("--opt=o={}", mount_opts.join(",")));
    }
    args.push(name);
    let start = command(rpod, &["volume", "create", "--ignore"], &args);
    Ok(Body {
        service: oneshot(start),
        deps: Vec::new(),
    })
}

fn network(file: &UnitFile, path: &Path, stem: &str, rpod: &str) -> Result<Body> {
    let mut name = format!("systemd-{stem}");
    let mut args = Vec::new();
    for (k, v) in file.section("Network") {
        let flag = |f: &str, args: &mut Vec<String>| args.push(format!("--{f}={v}"));
        match k.as_str() {
            "NetworkName" => name = v.clone(),
            "Driver" => flag("driver", &mut args),
            "Subnet" => flag("subnet", &mut args),
            "Gateway" => flag("gateway", &mut args),
            "IPRange" => flag("ip-range", &mut args),
            "IPv6" => {
                if truthy(path, &k, &v)? {
                    args.push("--ipv6".into());
                }
            }
            "Internal" => {
                if truthy(path, &k, &v)? {
                    args.push("--internal".into());
                }
            }
            "DisableDNS" => {
                if truthy(path, &k, &v)? {
                    args.push("--disable-dns".into());
                }
            }
            "Label" => {
                for w in split_words(&v) {
                    args.push(format!("--label={w}"));
                }
            }
            "Options" => {
                for w in v.split(',').filter(|w| !w.is_empty()) {
                    args.push(format!("--opt={w}"));
                }
            }
            _ => return Err(unsupported_key(path, "Network", &k)),
        }
    }
    args.push(name);
    let start = command(rpod, &["network", "create", "--ignore"], &args);
    Ok(Body {
        service: oneshot(start),
        deps: Vec::new(),
    })
}

fn kube(file: &UnitFile, path: &Path, rpod: &str) -> Result<Body> {
    let mut yaml = None;
    let mut args = Vec::new();
    let mut deps = Vec::new();
    for (k, v) in file.section("Kube") {
        match k.as_str() {
            "Yaml" => {
                let p = Path::new(&v);
                let p = if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    path.parent().unwrap_or(Path::new("/")).join(p)
                };
                yaml = Some(p.display().to_string());
            }
            "Network" => {
                let net = reference(&v, "network", &mut deps);
                args.push(format!("--network={net}"));
            }
            "PublishPort" => args.push(format!("--publish={v}")),
            "ConfigMap" => args.push(format!("--configmap={v}")),
            "LogDriver" => args.push(format!("--log-driver={v}")),
            "UserNS" => args.push(format!("--userns={v}")),
            _ => return Err(unsupported_key(path, "Kube", &k)),
        }
    }
    let yaml = yaml.ok_or_else(|| {
        Error::InvalidArgument(format!("{}: no Yaml key specified", path.display()))
    })?;
    let mut play = args;
    play.push(yaml.clone());
    let start = command(rpod, &["kube", "play", "--replace"], &play);
    let down = command(rpod, &["kube", "down"], &[yaml]);
    Ok(Body {
        service: vec![
            ("Environment".into(), "PODMAN_SYSTEMD_UNIT=%n".into()),
            ("KillMode".into(), "mixed".into()),
            ("Type".into(), "oneshot".into()),
            ("RemainAfterExit".into(), "yes".into()),
            ("ExecStart".into(), start),
            ("ExecStopPost".into(), down),
            ("SyslogIdentifier".into(), "%N".into()),
        ],
        deps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_quotes_together() {
        assert_eq!(
            split_words(r#"A=1 "B=two words" C='x y'"#),
            ["A=1", "B=two words", "C=x y"]
        );
    }

    #[test]
    fn references_to_quadlet_files() {
        let mut deps = Vec::new();
        assert_eq!(
            reference("data.volume", "volume", &mut deps),
            "systemd-data"
        );
        assert_eq!(reference("/srv/x", "volume", &mut deps), "/srv/x");
        assert_eq!(deps, ["data-volume.service"]);
    }
}

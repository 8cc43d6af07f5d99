//! `generate systemd`: service units of Podman's shape for an existing
//! container or pod, whose commands run rpod (the running executable, with
//! the global flags that open this engine).

use std::path::{Path, PathBuf};

use crate::container::policy::RestartPolicyName;
use crate::error::{Error, Result};
use crate::pods::PodConfig;
use crate::{Container, Runtime};

/// The systemd restart policies `--restart-policy` accepts.
pub const RESTART_POLICIES: &[&str] = &[
    "no",
    "on-success",
    "on-failure",
    "on-abnormal",
    "on-watchdog",
    "on-abort",
    "always",
];

/// What `generate systemd` is asked for (Podman's flags).
#[derive(Debug, Clone)]
pub struct SystemdOptions {
    /// `--new`: the unit creates the container and removes it when stopped.
    pub new: bool,
    /// `--name`: units are named after names, not IDs.
    pub use_name: bool,
    /// `--no-header`: no comment lines before `[Unit]`.
    pub no_header: bool,
    /// `--restart-policy`; `None` is `on-failure`, or with `new` the
    /// container's own policy.
    pub restart_policy: Option<String>,
    /// `--restart-sec`.
    pub restart_sec: Option<u64>,
    /// `--start-timeout`.
    pub start_timeout: Option<u64>,
    /// `--stop-timeout`; `None` takes the container's stop timeout.
    pub stop_timeout: Option<u32>,
    pub container_prefix: String,
    pub pod_prefix: String,
    pub separator: String,
    pub wants: Vec<String>,
    pub after: Vec<String>,
    pub requires: Vec<String>,
    /// `--env KEY=VALUE`: `Environment=` lines of every unit.
    pub env: Vec<String>,
    /// The rpod binary the units run.
    pub executable: PathBuf,
}

impl Default for SystemdOptions {
    fn default() -> Self {
        SystemdOptions {
            new: false,
            use_name: false,
            no_header: false,
            restart_policy: None,
            restart_sec: None,
            start_timeout: None,
            stop_timeout: None,
            container_prefix: "container".into(),
            pod_prefix: "pod".into(),
            separator: "-".into(),
            wants: Vec::new(),
            after: Vec::new(),
            requires: Vec::new(),
            env: Vec::new(),
            executable: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("rpod")),
        }
    }
}

/// One generated unit: its name without `.service`, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemdUnit {
    pub name: String,
    pub text: String,
}

impl SystemdUnit {
    pub fn file_name(&self) -> String {
        format!("{}.service", self.name)
    }
}

/// Quotes one word for an `Exec*=` line: systemd splits on white space,
/// honours double quotes and backslash escapes, and expands `%` specifiers
/// and `$` variables, so those are escaped in words that come from users.
pub fn quote_exec_word(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    let needs_quotes = escaped.is_empty()
        || escaped
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
    if !needs_quotes {
        return escaped;
    }
    let mut out = String::from("\"");
    for c in escaped.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes words as Podman does: a line break (` \` newline tab) before each
/// flag, values on the flag's line; after `tail_from` everything stays on
/// one line (the image and the container's command).
fn format_words(words: &[String], tail_from: usize) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i == 0 {
            out.push_str(w);
        } else if w.starts_with('-') && i < tail_from {
            out.push_str(" \\\n\t");
            out.push_str(w);
        } else {
            out.push(' ');
            out.push_str(w);
        }
    }
    out
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Runtime {
    /// The global flags that make a unit's rpod open this engine: the roots
    /// when they are not the defaults, and the configuration file, storage
    /// driver, OCI runtime, events backend and hook directories given.
    pub fn engine_flags(&self) -> Vec<String> {
        let mut args = Vec::new();
        let root = absolute(&self.paths.root);
        if root != crate::paths::default_root() {
            args.extend(["--root".to_string(), root.display().to_string()]);
        }
        let run_root = absolute(&self.paths.run_root);
        if run_root != crate::paths::default_run_root() {
            args.extend(["--runroot".to_string(), run_root.display().to_string()]);
        }
        let o = &self.options;
        if let Some(c) = &o.config_path {
            args.extend(["--config".to_string(), absolute(c).display().to_string()]);
        }
        if let Some(d) = &o.storage_driver {
            args.extend(["--storage-driver".to_string(), d.clone()]);
        }
        if let Some(r) = &o.runtime {
            args.extend(["--runtime".to_string(), r.clone()]);
        }
        if let Some(e) = &o.events_backend {
            args.extend(["--events-backend".to_string(), e.clone()]);
        }
        for d in &o.hooks_dirs {
            args.extend(["--hooks-dir".to_string(), absolute(d).display().to_string()]);
        }
        args.iter().map(|a| quote_exec_word(a)).collect()
    }

    /// `generate systemd NAME`: the units of a container, or of a pod and
    /// its containers (the pod's first).
    pub fn generate_systemd(
        &self,
        name_or_id: &str,
        opts: &SystemdOptions,
    ) -> Result<Vec<SystemdUnit>> {
        validate(opts)?;
        match self.container(name_or_id) {
            Ok(c) => {
                if c.config().is_infra {
                    return Err(Error::InvalidArgument(format!(
                        "{name_or_id} is an infra container: generate the units of its pod instead"
                    )));
                }
                let g = Generator::new(self, opts);
                Ok(vec![g.container_unit(&c, None)?])
            }
            Err(Error::NoSuchContainer(_)) => match self.pod(name_or_id) {
                Ok(pod) => Generator::new(self, opts).pod_units(&pod, name_or_id),
                Err(Error::NoSuchPod(_)) => Err(Error::NoSuchContainer(name_or_id.to_string())),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

fn validate(opts: &SystemdOptions) -> Result<()> {
    if let Some(p) = &opts.restart_policy {
        if !RESTART_POLICIES.contains(&p.as_str()) {
            return Err(Error::InvalidArgument(format!(
                "{p} is not a valid restart policy"
            )));
        }
    }
    for e in &opts.env {
        let Some((k, _)) = e.split_once('=') else {
            return Err(Error::InvalidArgument(format!(
                "invalid --env {e:?}: use KEY=VALUE"
            )));
        };
        if k.is_empty() || k.contains(char::is_whitespace) {
            return Err(Error::InvalidArgument(format!(
                "invalid --env {e:?}: the name is empty or has white space"
            )));
        }
    }
    for (flag, list) in [
        ("--wants", &opts.wants),
        ("--after", &opts.after),
        ("--requires", &opts.requires),
    ] {
        if let Some(bad) = list
            .iter()
            .find(|u| u.is_empty() || u.contains(char::is_whitespace))
        {
            return Err(Error::InvalidArgument(format!(
                "invalid {flag} {bad:?}: a unit name without white space is needed"
            )));
        }
    }
    for (flag, v) in [
        ("--container-prefix", &opts.container_prefix),
        ("--pod-prefix", &opts.pod_prefix),
        ("--separator", &opts.separator),
    ] {
        if v.contains(|c: char| c == '/' || c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidArgument(format!(
                "invalid {flag} {v:?}: unit names cannot have '/' or white space"
            )));
        }
    }
    Ok(())
}

struct Generator<'a> {
    rt: &'a Runtime,
    opts: &'a SystemdOptions,
    exe: String,
    /// `exe` followed by the engine's global flags.
    rpod: String,
}

impl<'a> Generator<'a> {
    fn new(rt: &'a Runtime, opts: &'a SystemdOptions) -> Self {
        let exe = quote_exec_word(&opts.executable.display().to_string());
        let mut rpod = exe.clone();
        for f in rt.engine_flags() {
            rpod.push(' ');
            rpod.push_str(&f);
        }
        Generator {
            rt,
            opts,
            exe,
            rpod,
        }
    }

    fn unit_name(&self, prefix: &str, name: &str, id: &str) -> String {
        let base = if self.opts.use_name { name } else { id };
        if prefix.is_empty() {
            base.to_string()
        } else {
            format!("{prefix}{}{base}", self.opts.separator)
        }
    }

    fn container_unit_name(&self, c: &Container<'_>) -> String {
        self.unit_name(&self.opts.container_prefix, c.name(), c.id())
    }

    fn pod_unit_name(&self, pod: &PodConfig) -> String {
        self.unit_name(&self.opts.pod_prefix, &pod.name, &pod.id)
    }

    fn header(&self, unit: &str) -> String {
        if self.opts.no_header {
            return String::new();
        }
        let now = chrono::Utc::now().format("%a %b %e %H:%M:%S UTC %Y");
        format!(
            "# {unit}.service\n# autogenerated by rpod {}\n# {now}\n\n",
            env!("CARGO_PKG_VERSION")
        )
    }

    /// `[Unit]` up to and with the user's dependencies, then `extra` lines.
    fn unit_section(&self, unit: &str, extra: &[String]) -> String {
        let mut s = format!(
            "[Unit]\nDescription=Podman {unit}.service\nDocumentation=man:podman-generate-systemd(1)\n\
             Wants=network-online.target\nAfter=network-online.target\nRequiresMountsFor={}\n",
            quote_exec_word(&absolute(&self.rt.paths.run_root).display().to_string())
        );
        for l in extra {
            s.push_str(l);
            s.push('\n');
        }
        if !(self.opts.wants.is_empty()
            && self.opts.after.is_empty()
            && self.opts.requires.is_empty())
        {
            s.push_str("\n# User-defined dependencies\n");
            for (key, list) in [
                ("Wants", &self.opts.wants),
                ("After", &self.opts.after),
                ("Requires", &self.opts.requires),
            ] {
                if !list.is_empty() {
                    s.push_str(&format!("{key}={}\n", list.join(" ")));
                }
            }
        }
        s
    }

    /// `[Service]` from `Environment=` to `TimeoutStopSec=`.
    fn service_head(&self, policy: &str, stop_timeout: u32) -> String {
        let mut s = String::from("[Service]\nEnvironment=PODMAN_SYSTEMD_UNIT=%n\n");
        for e in &self.opts.env {
            s.push_str(&format!("Environment={}\n", quote_exec_word(e)));
        }
        s.push_str(&format!("Restart={policy}\n"));
        if let Some(sec) = self.opts.restart_sec {
            s.push_str(&format!("RestartSec={sec}\n"));
        }
        if let Some(t) = self.opts.start_timeout {
            s.push_str(&format!("TimeoutStartSec={t}\n"));
        }
        s.push_str(&format!(
            "TimeoutStopSec={}\n",
            60 + u64::from(stop_timeout)
        ));
        s
    }

    fn footer() -> &'static str {
        "\n[Install]\nWantedBy=default.target\n"
    }

    fn policy_for(&self, c: &Container<'_>) -> String {
        if let Some(p) = &self.opts.restart_policy {
            return p.clone();
        }
        // As in Podman, only a unit that recreates the container takes
        // its policy (and drops --restart from the command).
        if !self.opts.new {
            return "on-failure".into();
        }
        match c.config().restart_policy.name {
            RestartPolicyName::No => "on-failure",
            RestartPolicyName::OnFailure => "on-failure",
            RestartPolicyName::Always | RestartPolicyName::UnlessStopped => "always",
        }
        .to_string()
    }

    fn container_unit(&self, c: &Container<'_>, pod_unit: Option<&str>) -> Result<SystemdUnit> {
        let unit = self.container_unit_name(c);
        let stop_timeout = self.opts.stop_timeout.unwrap_or(c.config().stop_timeout);
        let mut extra = Vec::new();
        if let Some(p) = pod_unit {
            extra.push(format!("BindsTo={p}.service"));
            extra.push(format!("After={p}.service"));
        }
        let mut text = self.header(&unit);
        text.push_str(&self.unit_section(&unit, &extra));
        text.push('\n');
        text.push_str(&self.service_head(&self.policy_for(c), stop_timeout));
        let rpod = &self.rpod;
        let exe = &self.exe;
        if self.opts.new {
            let run = self.new_run_command(c)?;
            text.push_str("ExecStartPre=/bin/rm \\\n\t-f %t/%n.ctr-id\n");
            text.push_str(&format!("ExecStart={run}\n"));
            text.push_str(&format!(
                "ExecStop={rpod} stop \\\n\t--ignore -t {stop_timeout} \\\n\t--cidfile=%t/%n.ctr-id\n"
            ));
            text.push_str(&format!(
                "ExecStopPost={rpod} rm \\\n\t-f \\\n\t--ignore -t {stop_timeout} \\\n\t--cidfile=%t/%n.ctr-id\n"
            ));
            text.push_str("Type=notify\nNotifyAccess=all\n");
        } else {
            let target = quote_exec_word(if self.opts.use_name { c.name() } else { c.id() });
            let flags = if rpod.len() > exe.len() {
                &rpod[exe.len()..]
            } else {
                ""
            };
            text.push_str(&format!("ExecStart={exe}{flags} start {target}\n"));
            text.push_str(&format!(
                "ExecStop={exe}{flags} stop  \\\n\t-t {stop_timeout} {target}\n"
            ));
            text.push_str(&format!(
                "ExecStopPost={exe}{flags} stop  \\\n\t-t {stop_timeout} {target}\n"
            ));
            let pidfile = absolute(&self.rt.paths.rundir(c.id())).join(monitor::MONITOR_PID_FILE);
            text.push_str(&format!(
                "PIDFile={}\nType=forking\n",
                quote_exec_word(&pidfile.display().to_string())
            ));
        }
        text.push_str(Self::footer());
        Ok(SystemdUnit { name: unit, text })
    }

    /// `--new`'s `ExecStart`: the recorded create command as a detached
    /// `run` that writes its ID to `%t/%n.ctr-id`, replaces a container of
    /// the same name, notifies through the monitor and is removed on exit.
    fn new_run_command(&self, c: &Container<'_>) -> Result<String> {
        let Some(cc) = &c.config().create_command else {
            return Err(Error::InvalidArgument(format!(
                "container {} has no recorded create command (it was not created by the rpod command line): --new needs one",
                c.name()
            )));
        };
        let (sub_at, rest_at) = find_subcommand(&cc.args).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "container {}: the recorded create command has no create or run",
                c.name()
            ))
        })?;
        let image_at = cc.image_index.clamp(rest_at, cc.args.len());
        let mut words = vec![self.exe.clone()];
        words.extend(cc.args[1..sub_at].iter().map(|w| quote_exec_word(w)));
        words.push("run".into());
        let keep_from = words.len();
        words.extend(
            [
                "--cidfile=%t/%n.ctr-id",
                "--cgroups=no-conmon",
                "--rm",
                "--sdnotify=conmon",
                "-d",
                "--replace",
            ]
            .map(String::from),
        );
        let flags = strip_flags(&cc.args[rest_at..image_at]);
        words.extend(flags.iter().map(|w| quote_exec_word(w)));
        let tail_from = words.len();
        words.extend(cc.args[image_at..].iter().map(|w| quote_exec_word(w)));
        // The global flags sit on the first line, `run` on the last of them.
        let head = format_words(&words[..keep_from], usize::MAX);
        let body = format_words(&words[keep_from - 1..], tail_from - (keep_from - 1));
        let body = body.strip_prefix("run").unwrap_or(&body);
        Ok(format!("{head}{body}"))
    }

    fn pod_units(&self, pod: &PodConfig, asked: &str) -> Result<Vec<SystemdUnit>> {
        if self.opts.new {
            return Err(Error::Unsupported(
                "generate systemd --new of a pod is not supported yet: generate the units without --new".into(),
            ));
        }
        let Some(infra_id) = &pod.infra_id else {
            return Err(Error::InvalidArgument(format!(
                "generating systemd unit files: Pod {asked:?} has no infra container"
            )));
        };
        let members = self.rt.pod_containers(pod)?;
        let infra = members
            .iter()
            .find(|c| c.id() == infra_id)
            .ok_or_else(|| Error::NoSuchContainer(infra_id.clone()))?;
        let mut others: Vec<&Container<'_>> =
            members.iter().filter(|c| !c.config().is_infra).collect();
        others.sort_by(|a, b| a.name().cmp(b.name()));
        let pod_unit = self.pod_unit_name(pod);
        let names: Vec<String> = others
            .iter()
            .map(|c| format!("{}.service", self.container_unit_name(c)))
            .collect();
        let mut extra = Vec::new();
        if !names.is_empty() {
            extra.push(format!("Wants={}", names.join(" ")));
            extra.push(format!("Before={}", names.join(" ")));
        }
        let stop_timeout = self
            .opts
            .stop_timeout
            .unwrap_or(infra.config().stop_timeout);
        let policy = self
            .opts
            .restart_policy
            .clone()
            .unwrap_or_else(|| "on-failure".into());
        let mut text = self.header(&pod_unit);
        text.push_str(&self.unit_section(&pod_unit, &extra));
        text.push('\n');
        text.push_str(&self.service_head(&policy, stop_timeout));
        let target = quote_exec_word(infra.name());
        let exe = &self.exe;
        let flags = &self.rpod[exe.len()..];
        text.push_str(&format!("ExecStart={exe}{flags} start {target}\n"));
        text.push_str(&format!(
            "ExecStop={exe}{flags} stop  \\\n\t-t {stop_timeout} {target}\n"
        ));
        text.push_str(&format!(
            "ExecStopPost={exe}{flags} stop  \\\n\t-t {stop_timeout} {target}\n"
        ));
        let pidfile = absolute(&self.rt.paths.rundir(infra.id())).join(monitor::MONITOR_PID_FILE);
        text.push_str(&format!(
            "PIDFile={}\nType=forking\n",
            quote_exec_word(&pidfile.display().to_string())
        ));
        text.push_str(Self::footer());
        let mut units = vec![SystemdUnit {
            name: pod_unit.clone(),
            text,
        }];
        for c in others {
            units.push(self.container_unit(c, Some(&pod_unit))?);
        }
        Ok(units)
    }
}

/// Global flags of rpod that take a value (as the next word or after `=`).
const GLOBAL_VALUE_FLAGS: &[&str] = &[
    "--root",
    "--runroot",
    "--config",
    "--storage-driver",
    "--runtime",
    "--events-backend",
    "--hooks-dir",
    "--log-level",
    "--cgroup-manager",
];

/// Where `create`/`run` is in a command line (after the global flags,
/// maybe after `container`), and where its own arguments begin.
fn find_subcommand(args: &[String]) -> Option<(usize, usize)> {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        if GLOBAL_VALUE_FLAGS.contains(&a) {
            i += 2;
            continue;
        }
        if a.starts_with('-') {
            i += 1;
            continue;
        }
        return match a {
            "create" | "run" => Some((i, i + 1)),
            "container" => match args.get(i + 1).map(String::as_str) {
                Some("create" | "run") => Some((i, i + 2)),
                _ => None,
            },
            _ => None,
        };
    }
    None
}

/// Removes the flags `--new` sets itself from the user's create flags:
/// detaching, removal, replacing, the cidfile, the notify mode, the cgroups
/// mode and the restart policy (systemd restarts the unit instead).
fn strip_flags(flags: &[String]) -> Vec<String> {
    const WITH_VALUE: &[&str] = &["--cidfile", "--sdnotify", "--cgroups", "--restart"];
    const BOOLEAN: &[&str] = &["-d", "--detach", "--rm", "--replace"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < flags.len() {
        let f = flags[i].as_str();
        let name = f.split_once('=').map_or(f, |(n, _)| n);
        if WITH_VALUE.contains(&name) {
            i += if f.contains('=') { 1 } else { 2 };
            continue;
        }
        if BOOLEAN.contains(&name) {
            i += 1;
            continue;
        }
        // A cluster of short boolean flags such as -dit loses its d.
        if f.len() > 2
            && f.starts_with('-')
            && !f.starts_with("--")
            && f[1..].chars().all(|c| matches!(c, 'd' | 'i' | 't'))
            && f.contains('d')
        {
            let rest: String = f[1..].chars().filter(|c| *c != 'd').collect();
            out.push(format!("-{rest}"));
            i += 1;
            continue;
        }
        out.push(flags[i].clone());
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_exec_word("plain"), "plain");
        assert_eq!(quote_exec_word("a b"), "\"a b\"");
        assert_eq!(quote_exec_word("100%"), "100%%");
        assert_eq!(quote_exec_word("$HOME"), "$$HOME");
        assert_eq!(quote_exec_word("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(quote_exec_word(""), "\"\"");
    }

    #[test]
    fn subcommand_after_global_flags() {
        let a = s(&[
            "rpod",
            "--root",
            "/r",
            "--noout",
            "container",
            "create",
            "x",
        ]);
        assert_eq!(find_subcommand(&a), Some((4, 6)));
        let a = s(&["rpod", "run", "x"]);
        assert_eq!(find_subcommand(&a), Some((1, 2)));
        assert_eq!(find_subcommand(&s(&["rpod", "ps"])), None);
    }

    #[test]
    fn new_strips_its_own_flags() {
        let f = s(&[
            "-d",
            "--rm",
            "--name",
            "web",
            "--restart",
            "always",
            "--cidfile=/x",
            "-dit",
            "-e",
            "A=b",
        ]);
        assert_eq!(strip_flags(&f), s(&["--name", "web", "-it", "-e", "A=b"]));
    }
}

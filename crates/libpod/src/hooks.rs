//! OCI hooks (`oci-hooks(5)`, schema 1.0.0): JSON files in hook
//! directories saying which program runs at which stage for which
//! containers. `precreate` hooks may rewrite the runtime spec; `prestart`,
//! `createRuntime`, `createContainer`, `startContainer` and `poststart` go
//! into the spec for the runtime to run; `poststop` hooks are run by the
//! engine after the container is deleted from the runtime.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oci_spec::runtime::{Hook, HookBuilder, Spec};
use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, IoContext, Result};

/// Where hooks are read from when neither the configuration nor
/// `--hooks-dir` says otherwise (the same as Podman's).
pub const DEFAULT_HOOKS_DIRS: &[&str] = &[
    "/usr/share/containers/oci/hooks.d",
    "/etc/containers/oci/hooks.d",
];

/// How long a hook the engine runs itself may take when its file gives no timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The stages a hook can run in.
const STAGES: &[&str] = &[
    "precreate",
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

/// One hook file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookFile {
    pub version: String,
    pub hook: HookCommand,
    pub when: When,
    pub stages: Vec<String>,
}

/// The program a hook runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookCommand {
    pub path: PathBuf,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    /// Seconds.
    #[serde(default)]
    pub timeout: Option<i64>,
}

/// When a hook applies: `always`, or every condition given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct When {
    #[serde(default)]
    pub always: Option<bool>,
    /// Annotation key regex → value regex.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Regexes matched against the container's command (`args[0]`).
    #[serde(default)]
    pub commands: Vec<String>,
    #[serde(default)]
    pub has_bind_mounts: Option<bool>,
}

/// The hooks of the configured directories, in the order they run (by file name).
#[derive(Debug, Clone, Default)]
pub struct HookSet {
    hooks: Vec<(String, HookFile)>,
}

impl HookSet {
    /// Reads every `*.json` file of `dirs`; a file in a later directory
    /// masks one of the same name in an earlier one. Missing directories are
    /// skipped; an invalid file is an error naming it.
    pub fn load(dirs: &[PathBuf]) -> Result<HookSet> {
        let mut by_name: BTreeMap<String, HookFile> = BTreeMap::new();
        for dir in dirs {
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(e).ctx(|| format!("reading hooks directory {}", dir.display()))
                }
            };
            for entry in entries {
                let path = entry
                    .ctx(|| format!("reading hooks directory {}", dir.display()))?
                    .path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                by_name.insert(name, parse_hook_file(&path)?);
            }
        }
        Ok(HookSet {
            hooks: by_name.into_iter().collect(),
        })
    }

    /// The hooks that apply to a container with this spec, by stage.
    pub fn matching(&self, spec: &Spec) -> Result<BTreeMap<String, Vec<HookCommand>>> {
        let mut out: BTreeMap<String, Vec<HookCommand>> = BTreeMap::new();
        for (name, hook) in &self.hooks {
            if hook
                .when
                .matches(spec)
                .map_err(|e| Error::InvalidArgument(format!("hook {name}: {e}")))?
            {
                for stage in &hook.stages {
                    out.entry(stage.clone())
                        .or_default()
                        .push(hook.hook.clone());
                }
            }
        }
        Ok(out)
    }
}

fn parse_hook_file(path: &Path) -> Result<HookFile> {
    let text = std::fs::read(path).ctx(|| format!("reading hook {}", path.display()))?;
    let hook: HookFile = serde_json::from_slice(&text).map_err(|source| Error::Json {
        context: format!("hook {}", path.display()),
        source,
    })?;
    let bad = |why: String| Error::InvalidArgument(format!("hook {}: {why}", path.display()));
    if hook.version != "1.0.0" {
        return Err(bad(format!(
            "unsupported version {:?} (supported: 1.0.0)",
            hook.version
        )));
    }
    if !hook.hook.path.is_absolute() {
        return Err(bad("hook.path must be absolute".into()));
    }
    if hook.stages.is_empty() {
        return Err(bad("no stages".into()));
    }
    if let Some(s) = hook.stages.iter().find(|s| !STAGES.contains(&s.as_str())) {
        return Err(bad(format!("unknown stage {s:?}")));
    }
    let w = &hook.when;
    if w.always.is_none()
        && w.annotations.is_empty()
        && w.commands.is_empty()
        && w.has_bind_mounts.is_none()
    {
        return Err(bad("when needs at least one condition".into()));
    }
    for re in w
        .annotations
        .iter()
        .flat_map(|(k, v)| [k, v])
        .chain(&w.commands)
    {
        Regex::new(re).map_err(|e| bad(format!("invalid regular expression {re:?}: {e}")))?;
    }
    Ok(hook)
}

impl When {
    fn matches(&self, spec: &Spec) -> std::result::Result<bool, regex::Error> {
        if self.always == Some(true) {
            return Ok(true);
        }
        if let Some(want) = self.has_bind_mounts {
            let has = spec
                .mounts()
                .as_ref()
                .is_some_and(|m| m.iter().any(|m| m.typ().as_deref() == Some("bind")));
            if has != want {
                return Ok(false);
            }
        }
        let annotations = spec.annotations().clone().unwrap_or_default();
        for (key_re, value_re) in &self.annotations {
            let (k, v) = (Regex::new(key_re)?, Regex::new(value_re)?);
            if !annotations
                .iter()
                .any(|(ak, av)| k.is_match(ak) && v.is_match(av))
            {
                return Ok(false);
            }
        }
        if !self.commands.is_empty() {
            let cmd = spec
                .process()
                .as_ref()
                .and_then(|p| p.args().as_ref().and_then(|a| a.first().cloned()))
                .unwrap_or_default();
            let mut any = false;
            for re in &self.commands {
                any |= Regex::new(re)?.is_match(&cmd);
            }
            if !any {
                return Ok(false);
            }
        }
        // Every condition given holds; `always: false` alone matches nothing.
        Ok(self.has_bind_mounts.is_some()
            || !self.annotations.is_empty()
            || !self.commands.is_empty())
    }
}

impl HookCommand {
    /// The spec's form of this hook.
    pub fn to_spec_hook(&self) -> Result<Hook> {
        let mut b = HookBuilder::default().path(self.path.clone());
        if !self.args.is_empty() {
            b = b.args(self.args.clone());
        }
        if !self.env.is_empty() {
            b = b.env(self.env.clone());
        }
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        b.build().map_err(|e| Error::Runtime(ocirt::Error::Spec(e)))
    }

    /// Runs the hook with `input` on stdin and returns its stdout; a hook
    /// that fails or outlives its timeout is an error naming it.
    pub fn run(&self, stage: &str, input: &[u8]) -> Result<Vec<u8>> {
        let name = self.path.display().to_string();
        let timeout = self
            .timeout
            .filter(|t| *t > 0)
            .map_or(DEFAULT_TIMEOUT, |t| Duration::from_secs(t as u64));
        let mut cmd = Command::new(&self.path);
        if let Some((argv0, rest)) = self.args.split_first() {
            std::os::unix::process::CommandExt::arg0(&mut cmd, argv0);
            cmd.args(rest);
        }
        if !self.env.is_empty() {
            cmd.env_clear();
            for kv in &self.env {
                if let Some((k, v)) = kv.split_once('=') {
                    cmd.env(k, v);
                }
            }
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ctx(|| format!("running {stage} hook {name}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let data = input.to_vec();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&data);
            });
        }
        let collect = |r: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(mut r) = r {
                    let _ = r.read_to_end(&mut buf);
                }
                buf
            })
        };
        let out = collect(
            child
                .stdout
                .take()
                .map(|o| Box::new(o) as Box<dyn Read + Send>),
        );
        let err = collect(
            child
                .stderr
                .take()
                .map(|e| Box::new(e) as Box<dyn Read + Send>),
        );
        let deadline = Instant::now() + timeout;
        let status = loop {
            match child
                .try_wait()
                .ctx(|| format!("waiting for {stage} hook {name}"))?
            {
                Some(s) => break s,
                None if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::InvalidArgument(format!(
                        "{stage} hook {name} timed out after {}s",
                        timeout.as_secs()
                    )));
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        if !status.success() {
            return Err(Error::InvalidArgument(format!(
                "{stage} hook {name} failed ({status}): {}",
                String::from_utf8_lossy(&stderr).trim()
            )));
        }
        Ok(stdout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, json: &str) {
        std::fs::write(dir.join(name), json).unwrap();
    }

    fn spec_with(args: &[&str], annotations: &[(&str, &str)]) -> Spec {
        let mut spec = Spec::default();
        let mut p = spec.process().clone().unwrap();
        p.set_args(Some(args.iter().map(|s| s.to_string()).collect()));
        spec.set_process(Some(p));
        spec.set_annotations(Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ));
        spec
    }

    #[test]
    fn hooks_match_on_conditions_and_mask_by_name() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        write(
            a.path(),
            "10-always.json",
            r#"{"version":"1.0.0","hook":{"path":"/bin/true"},"when":{"always":true},"stages":["prestart"]}"#,
        );
        write(
            a.path(),
            "20-ann.json",
            r#"{"version":"1.0.0","hook":{"path":"/bin/true"},"when":{"annotations":{"^x$":"^y$"}},"stages":["poststop"]}"#,
        );
        write(
            b.path(),
            "20-ann.json",
            r#"{"version":"1.0.0","hook":{"path":"/bin/false"},"when":{"commands":["^sh$"]},"stages":["poststop"]}"#,
        );
        let set = HookSet::load(&[a.path().to_path_buf(), b.path().to_path_buf()]).unwrap();
        let m = set.matching(&spec_with(&["sh"], &[])).unwrap();
        assert_eq!(m["prestart"].len(), 1);
        assert_eq!(m["poststop"][0].path, PathBuf::from("/bin/false"));
        let m = set.matching(&spec_with(&["cat"], &[("x", "y")])).unwrap();
        assert!(!m.contains_key("poststop"));
    }

    #[test]
    fn annotation_conditions() {
        let w = When {
            annotations: [("^com\\.example$".to_string(), "^on$".to_string())].into(),
            ..Default::default()
        };
        assert!(w
            .matches(&spec_with(&["x"], &[("com.example", "on")]))
            .unwrap());
        assert!(!w
            .matches(&spec_with(&["x"], &[("com.example", "off")]))
            .unwrap());
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "x.json",
            r#"{"version":"2.0.0","hook":{"path":"/bin/true"},"when":{"always":true},"stages":["prestart"]}"#,
        );
        assert!(HookSet::load(&[d.path().to_path_buf()])
            .unwrap_err()
            .to_string()
            .contains("version"));
        write(
            d.path(),
            "x.json",
            r#"{"version":"1.0.0","hook":{"path":"/bin/true"},"when":{"always":true},"stages":["sometime"]}"#,
        );
        assert!(HookSet::load(&[d.path().to_path_buf()])
            .unwrap_err()
            .to_string()
            .contains("stage"));
        write(d.path(), "x.json", "{nope");
        assert!(HookSet::load(&[d.path().to_path_buf()]).is_err());
    }

    #[test]
    fn hooks_run_with_stdin_and_time_out() {
        let hook = HookCommand {
            path: "/bin/cat".into(),
            args: vec![],
            env: vec![],
            timeout: None,
        };
        assert_eq!(hook.run("precreate", b"{}").unwrap(), b"{}");
        let slow = HookCommand {
            path: "/bin/sleep".into(),
            args: vec!["sleep".into(), "5".into()],
            env: vec![],
            timeout: Some(1),
        };
        assert!(slow
            .run("poststop", b"")
            .unwrap_err()
            .to_string()
            .contains("timed out"));
        let failing = HookCommand {
            path: "/bin/false".into(),
            args: vec![],
            env: vec![],
            timeout: None,
        };
        assert!(failing.run("poststop", b"").is_err());
    }
}

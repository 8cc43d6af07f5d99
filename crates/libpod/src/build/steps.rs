//! Executing a stage, one instruction at a time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dockerfile::{Instruction, Keyword};
use serde_json::{json, Map, Value};
use storage::archive::Located;

use super::cache;
use super::copy::{self, Attrs, Item};
use super::{scratch_blob, short, Builder};
use crate::container::options::MountSpec;
use crate::error::{Error, IoContext, Result};
use crate::images::PullPolicy;
use crate::CreateOptions;

/// Keys of Docker's config that OCI image configs do not have.
const DOCKER_ONLY: &[&str] = &["Healthcheck", "OnBuild", "Shell"];

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A stage being built.
pub(crate) struct StageState {
    /// The current image (`None`: FROM scratch and nothing committed yet).
    pub image: Option<String>,
    /// The image config JSON being built (Docker's keys kept in memory).
    pub blob: Value,
    /// ARGs declared in this stage, with their values.
    pub args: Vec<(String, Option<String>)>,
    /// Whether CMD was set in this stage (ENTRYPOINT resets an inherited CMD).
    pub cmd_set: bool,
    /// A WORKDIR not created yet: as in Buildah, the next RUN, COPY or ADD creates it,
    /// owned by the USER of that moment.
    pub pending_workdir: Option<String>,
}

impl StageState {
    pub(crate) fn config(&mut self) -> &mut Map<String, Value> {
        if !self.blob.get("config").is_some_and(Value::is_object) {
            self.blob["config"] = json!({});
        }
        self.blob["config"]
            .as_object_mut()
            .expect("config is an object")
    }

    fn config_str(&self, key: &str) -> String {
        self.blob["config"][key]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn env(&self) -> Vec<String> {
        self.blob["config"]["Env"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn set_env(&mut self, key: &str, value: &str) {
        let mut env = self.env();
        let entry = format!("{key}={value}");
        match env.iter_mut().find(|e| e.split('=').next() == Some(key)) {
            Some(e) => *e = entry,
            None => env.push(entry),
        }
        self.config().insert("Env".into(), json!(env));
    }

    /// Variables for expansion: ENV first, then ARGs.
    fn vars(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in &self.args {
            if let Some(v) = v {
                out.insert(k.clone(), v.clone());
            }
        }
        for e in self.env() {
            let (k, v) = e.split_once('=').unwrap_or((&e, ""));
            out.insert(k.to_string(), v.to_string());
        }
        out
    }

    /// `K=V` of the declared ARGs that have values and no ENV of the same name.
    fn arg_env(&self) -> Vec<String> {
        let env = self.env();
        self.args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
            .filter(|(k, _)| !env.iter().any(|e| e.split('=').next() == Some(k.as_str())))
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    fn shell(&self) -> Vec<String> {
        self.blob["config"]["Shell"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .filter(|v: &Vec<String>| !v.is_empty())
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()])
    }
}

/// A storage container on an image (or on nothing), mounted; removed on drop.
pub(crate) struct WorkLayer<'s> {
    store: &'s storage::Store,
    pub(crate) id: String,
    pub(crate) root: PathBuf,
    mounted: bool,
}

impl<'s> WorkLayer<'s> {
    pub(crate) fn new(store: &'s storage::Store, image: Option<&str>) -> Result<WorkLayer<'s>> {
        let id = crate::ids::new_id()?;
        store.create_container(&id, image)?;
        let mut w = WorkLayer {
            store,
            id,
            root: PathBuf::new(),
            mounted: false,
        };
        w.root = store.mount_container(&w.id)?;
        w.mounted = true;
        Ok(w)
    }

    fn unmount(&mut self) -> Result<()> {
        if self.mounted {
            self.mounted = false;
            self.store.unmount_container(&self.id)?;
        }
        Ok(())
    }
}

impl Drop for WorkLayer<'_> {
    fn drop(&mut self) {
        let _ = self.unmount();
        let _ = self.store.remove_container(&self.id);
    }
}

/// Reads a file of the root file system at `root` (symlinks resolved inside it); empty when
/// missing.
fn read_in_root(root: &Path, path: &str) -> String {
    let Ok(loc) = Located::in_root_following(root, path) else {
        return String::new();
    };
    let Some(name) = loc.name() else {
        return String::new();
    };
    loc.parent()
        .read_file(name)
        .map(|d| String::from_utf8_lossy(&d).into_owned())
        .unwrap_or_default()
}

/// Resolves `user[:group]` (names or numbers) with the root's passwd and group files.
/// A number alone gives the same number as group, a name its primary group (Docker's rule).
pub(crate) fn resolve_owner(root: &Path, spec: &str) -> Result<(u32, u32)> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let passwd = crate::parse::passwd::parse_passwd(&read_in_root(root, "/etc/passwd"));
    let (uid, primary) = match u.parse::<u32>() {
        Ok(n) => (n, n),
        Err(_) => {
            let e = passwd.iter().find(|e| e.name == u).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "looking up user {u:?}: no such user in the image's /etc/passwd"
                ))
            })?;
            (e.uid, e.gid)
        }
    };
    let gid = match g {
        None | Some("") => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                let groups = crate::parse::passwd::parse_group(&read_in_root(root, "/etc/group"));
                groups
                    .iter()
                    .find(|e| e.name == g)
                    .map(|e| e.gid)
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "looking up group {g:?}: no such group in the image's /etc/group"
                        ))
                    })?
            }
        },
    };
    Ok((uid, gid))
}

/// Go's `time.ParseDuration` for HEALTHCHECK options, in nanoseconds.
fn parse_duration(text: &str) -> Option<i64> {
    if text == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += n * mult;
        rest = &rest[unit_end..];
    }
    Some(total as i64)
}

impl<'a, 'o> Builder<'a, 'o> {
    /// Builds stage `idx`; returns the image ID of its result.
    pub(crate) fn build_stage(&mut self, idx: usize, is_target: bool) -> Result<String> {
        let df = self.df;
        self.current = idx;
        let stage = &df.stages[idx];
        self.progress.prefix = if df.stages.len() > 1 {
            format!("[{}/{}] ", idx + 1, df.stages.len())
        } else {
            String::new()
        };
        let total = df.steps(idx);
        let mut base = self.expand_meta(&stage.base, stage.from.line)?;
        if idx == 0 {
            if let Some(f) = &self.opts.from {
                base = f.clone();
            }
        }
        let platform = match &stage.platform {
            Some(p) => {
                let p = self.expand_meta(p, stage.from.line)?;
                super::target_platform(&p).map_err(|e| self.err(stage.from.line, &e.to_string()))?
            }
            None => self.platform.clone(),
        };
        let store = self.rt.store()?;
        let mut st = StageState {
            image: None,
            blob: scratch_blob(&platform),
            args: Vec::new(),
            cmd_set: false,
            pending_workdir: None,
        };
        let from_text = if let Some(dep) = self.stage_dep(&base, idx, stage.from.line, "FROM ")? {
            let id = self
                .stage_images
                .get(&dep)
                .cloned()
                .ok_or_else(|| Error::InvalidArgument(format!("stage {dep} was not built")))?;
            st.blob = self.load_blob(&id)?;
            st.image = Some(id.clone());
            format!("FROM {id}")
        } else if base.eq_ignore_ascii_case("scratch") {
            stage.from.original.clone()
        } else {
            let image = self.base_image(&base, stage.from.line, &platform)?;
            st.blob = self.load_blob(&image.id)?;
            st.image = Some(image.id.clone());
            stage.from.original.clone()
        };
        self.stage_bases.insert(idx, st.image.clone());
        self.progress.line(&format!("STEP 1/{total}: {from_text}"));
        // As Buildah: a config without PATH gets the default one.
        if !st.env().iter().any(|e| e.starts_with("PATH=")) {
            let mut env = vec![DEFAULT_PATH.to_string()];
            env.extend(st.env());
            st.config().insert("Env".into(), json!(env));
        }
        // ONBUILD triggers of the base run first; the new image does not keep them.
        let triggers: Vec<String> = st.blob["config"]["OnBuild"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !triggers.is_empty() {
            st.config().remove("OnBuild");
        }
        let mut instructions: Vec<(Instruction, bool)> = Vec::new();
        for t in &triggers {
            let ins = dockerfile::parse_instruction(t, stage.from.line, df.escape)
                .map_err(|m| self.err(stage.from.line, &format!("ONBUILD trigger {t:?}: {m}")))?;
            instructions.push((ins, true));
        }
        instructions.extend(stage.instructions.iter().cloned().map(|i| (i, false)));
        let last = instructions.len();
        if last == 0 {
            // A stage of a FROM alone still makes an image of its own.
            let id = self.step_commit(
                &mut st,
                None,
                &format!("/bin/sh -c #(nop) {}", stage.from.original),
                is_target,
                None,
            )?;
            return Ok(id);
        }
        let mut step = 1;
        for (n, (ins, trigger)) in instructions.iter().enumerate() {
            if !trigger {
                step += 1;
                self.progress
                    .line(&format!("STEP {step}/{total}: {}", ins.original));
            }
            let is_final = is_target && n + 1 == last;
            self.instruction(&mut st, ins, is_final, n + 1 == last)
                .map_err(|e| match e {
                    Error::InvalidArgument(m) if !m.starts_with(&format!("{}:", df.file)) => {
                        self.err(ins.line, &format!("{}: {m}", ins.original))
                    }
                    other => other,
                })?;
        }
        let _ = store;
        st.image
            .ok_or_else(|| Error::InvalidArgument("the stage made no image".into()))
    }

    fn load_blob(&self, id: &str) -> Result<Value> {
        let store = self.rt.store()?;
        let image = store.lookup_image(id)?;
        let blob = store.image_config_blob(&image)?;
        serde_json::from_slice(&blob).map_err(|source| Error::Json {
            context: format!("reading the config of image {id}"),
            source,
        })
    }

    /// The image a FROM names, for `platform`: the local one when it is for that platform,
    /// else pulled for it (as the pull policy allows).
    fn base_image(
        &self,
        name: &str,
        line: usize,
        platform: &crate::images::Platform,
    ) -> Result<storage::Image> {
        let mut registry = self.opts.registry.clone();
        registry.platform = Some(platform.clone());
        let pull = |policy| {
            self.rt
                .pull_with_policy(name, policy, &registry, &crate::images::NoProgress)
                .map_err(|e| self.err(line, &format!("FROM {name}: {e}")))
        };
        let policy = self.opts.pull;
        let Some(image) = pull(policy)? else {
            return Err(self.err(
                line,
                &format!("FROM {name}: image not known (and --pull=never)"),
            ));
        };
        let arch_of = |id: &str| -> Result<Option<String>> {
            Ok(self.load_blob(id)?["architecture"]
                .as_str()
                .filter(|a| !a.is_empty())
                .map(str::to_string))
        };
        match arch_of(&image.id)? {
            Some(arch) if arch != platform.arch => {}
            _ => return Ok(image),
        }
        let wanted = super::platform_text(platform);
        let mismatch = |id: &str| -> Result<Error> {
            let arch = arch_of(id)?.unwrap_or_default();
            Ok(self.err(
                line,
                &format!("FROM {name}: the image is for linux/{arch}, not for {wanted}"),
            ))
        };
        if policy == PullPolicy::Never {
            return Err(mismatch(&image.id)?);
        }
        // The local image is for another platform: the registry may have this one.
        match pull(PullPolicy::Always) {
            Ok(Some(i)) if arch_of(&i.id)?.is_none_or(|a| a == platform.arch) => Ok(i),
            Ok(Some(i)) => Err(mismatch(&i.id)?),
            _ => Err(mismatch(&image.id)?),
        }
    }

    /// Runs one instruction: the config change, then the cache or the work.
    fn instruction(
        &mut self,
        st: &mut StageState,
        ins: &Instruction,
        is_final: bool,
        _stage_last: bool,
    ) -> Result<()> {
        let df: &'a dockerfile::Dockerfile = self.df;
        let esc = df.escape;
        let vars = st.vars();
        let look = |n: &str| vars.get(n).cloned();
        let line = ins.line;
        let ferr = |m: &str| Error::InvalidArgument(format!("{}:{line}: {m}", df.file));
        let exp = |t: &str| -> Result<String> {
            dockerfile::expand_word(t, &look, esc).map_err(|e| ferr(&e.0))
        };
        let exp_words = |t: &str| -> Result<Vec<String>> {
            dockerfile::expand_words(t, &look, esc).map_err(|e| ferr(&e.0))
        };
        let nop = |text: &str| format!("/bin/sh -c #(nop) {text}");
        let kw = ins.keyword;
        let args = ins.args.as_str();
        match kw {
            Keyword::Env | Keyword::Label => {
                let pairs = key_values(args, &exp, &exp_words, kw)?;
                for (k, v) in &pairs {
                    if kw == Keyword::Env {
                        st.set_env(k, v);
                    } else {
                        let cfg = st.config();
                        if !cfg.get("Labels").is_some_and(Value::is_object) {
                            cfg.insert("Labels".into(), json!({}));
                        }
                        cfg["Labels"][k.as_str()] = json!(v);
                    }
                }
                self.meta_step(st, &nop(&format!("{kw} {args}")), is_final, ins)
            }
            Keyword::Arg => {
                for w in exp_words(args)? {
                    let (name, default) = match w.split_once('=') {
                        Some((n, d)) => (n.to_string(), Some(d.to_string())),
                        None => (w.clone(), None),
                    };
                    let value = if let Some(v) = self.build_args.get(&name) {
                        self.used_args.insert(name.clone());
                        Some(v.clone())
                    } else if default.is_some() {
                        default
                    } else {
                        self.meta.get(&name).cloned()
                    };
                    st.args.retain(|(k, _)| *k != name);
                    st.args.push((name, value));
                }
                let names: Vec<&str> = st.args.iter().map(|(k, _)| k.as_str()).collect();
                let _ = names;
                let shown: Vec<String> = exp_words(args)?
                    .iter()
                    .map(|w| w.split('=').next().unwrap_or_default().to_string())
                    .collect();
                self.meta_step(st, &nop(&format!("ARG {}", shown.join(" "))), is_final, ins)
            }
            Keyword::Workdir => {
                let dir = exp(args)?;
                let cur = st.config_str("WorkingDir");
                let path = if dir.starts_with('/') {
                    dir.clone()
                } else {
                    format!(
                        "{}/{dir}",
                        if cur.is_empty() {
                            ""
                        } else {
                            cur.trim_end_matches('/')
                        }
                    )
                };
                let path = dockerfile::ignore::clean(&format!("/{path}"));
                st.config().insert("WorkingDir".into(), json!(path));
                st.pending_workdir = Some(path);
                self.meta_step(st, &nop(&format!("WORKDIR {dir}")), is_final, ins)
            }
            Keyword::User => {
                let u = exp(args)?;
                st.config().insert("User".into(), json!(u));
                self.meta_step(st, &nop(&format!("USER {u}")), is_final, ins)
            }
            Keyword::Cmd | Keyword::Entrypoint => {
                let cmd = match ins.json_args() {
                    Some(v) => v,
                    None => {
                        let mut s = st.shell();
                        s.push(args.to_string());
                        s
                    }
                };
                let key = if kw == Keyword::Cmd {
                    "Cmd"
                } else {
                    "Entrypoint"
                };
                st.config().insert(key.into(), json!(cmd));
                if kw == Keyword::Cmd {
                    st.cmd_set = true;
                } else if !st.cmd_set {
                    st.config().remove("Cmd");
                }
                self.meta_step(st, &nop(&format!("{kw} {args}")), is_final, ins)
            }
            Keyword::Expose => {
                let cfg = st.config();
                if !cfg.get("ExposedPorts").is_some_and(Value::is_object) {
                    cfg.insert("ExposedPorts".into(), json!({}));
                }
                let ports = exp_words(args)?;
                for p in &ports {
                    let p = if p.contains('/') {
                        p.to_ascii_lowercase()
                    } else {
                        format!("{p}/tcp")
                    };
                    let (num, proto) = p.split_once('/').unwrap_or((&p, "tcp"));
                    if num.split('-').any(|n| n.parse::<u16>().is_err())
                        || !matches!(proto, "tcp" | "udp" | "sctp")
                    {
                        return Err(self.err(ins.line, &format!("EXPOSE {p}: invalid port")));
                    }
                    st.config()["ExposedPorts"][p.as_str()] = json!({});
                }
                self.meta_step(
                    st,
                    &nop(&format!("EXPOSE {}", ports.join(" "))),
                    is_final,
                    ins,
                )
            }
            Keyword::Volume => {
                let vols = match ins.json_args() {
                    Some(v) => v.iter().map(|s| exp(s)).collect::<Result<Vec<_>>>()?,
                    None => exp_words(args)?,
                };
                let cfg = st.config();
                if !cfg.get("Volumes").is_some_and(Value::is_object) {
                    cfg.insert("Volumes".into(), json!({}));
                }
                for v in &vols {
                    if v.is_empty() {
                        return Err(
                            self.err(ins.line, "VOLUME specified can not be an empty string")
                        );
                    }
                    st.config()["Volumes"][v.as_str()] = json!({});
                }
                self.meta_step(
                    st,
                    &nop(&format!("VOLUME {}", vols.join(" "))),
                    is_final,
                    ins,
                )
            }
            Keyword::Stopsignal => {
                let s = exp(args)?;
                crate::parse_signal(&s)
                    .map_err(|e| self.err(ins.line, &format!("STOPSIGNAL {s}: {e}")))?;
                st.config().insert("StopSignal".into(), json!(s));
                self.meta_step(st, &nop(&format!("STOPSIGNAL {s}")), is_final, ins)
            }
            Keyword::Shell => {
                let shell = ins.json_args().filter(|v| !v.is_empty()).ok_or_else(|| {
                    self.err(ins.line, "SHELL requires the arguments to be in JSON form")
                })?;
                st.config().insert("Shell".into(), json!(shell));
                self.meta_step(st, &nop(&format!("SHELL {args}")), is_final, ins)
            }
            Keyword::Maintainer => {
                st.blob["author"] = json!(args);
                self.meta_step(st, &nop(&format!("MAINTAINER {args}")), is_final, ins)
            }
            Keyword::Onbuild => {
                let inner = dockerfile::parse_instruction(args, ins.line, esc)
                    .map_err(|m| self.err(ins.line, &m))?;
                if matches!(
                    inner.keyword,
                    Keyword::Onbuild | Keyword::From | Keyword::Maintainer
                ) {
                    return Err(self.err(
                        ins.line,
                        &format!("{} isn't allowed as an ONBUILD trigger", inner.keyword),
                    ));
                }
                let cfg = st.config();
                let mut list = cfg
                    .get("OnBuild")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                list.push(json!(args));
                cfg.insert("OnBuild".into(), json!(list));
                self.meta_step(st, &nop(&format!("ONBUILD {args}")), is_final, ins)
            }
            Keyword::Healthcheck => {
                let hc = self.healthcheck(ins)?;
                st.config().insert("Healthcheck".into(), hc);
                self.meta_step(st, &nop(&format!("HEALTHCHECK {args}")), is_final, ins)
            }
            Keyword::Run => self.run_step(st, ins, is_final),
            Keyword::Copy | Keyword::Add => self.copy_step(st, ins, is_final, &exp),
            Keyword::From => Err(self.err(ins.line, "FROM inside a stage")),
        }
    }

    fn healthcheck(&self, ins: &Instruction) -> Result<Value> {
        let args = ins.args.trim();
        if args.eq_ignore_ascii_case("none") {
            return Ok(json!({"Test": ["NONE"]}));
        }
        let (word, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        if !word.eq_ignore_ascii_case("cmd") {
            return Err(self.err(ins.line, "HEALTHCHECK needs CMD or NONE"));
        }
        let rest = rest.trim();
        let test: Vec<String> = match dockerfile::json_array(rest) {
            Some(v) => std::iter::once("CMD".to_string()).chain(v).collect(),
            None => vec!["CMD-SHELL".into(), rest.to_string()],
        };
        let mut hc = json!({"Test": test});
        for (flag, key) in [
            ("interval", "Interval"),
            ("timeout", "Timeout"),
            ("start-period", "StartPeriod"),
            ("start-interval", "StartInterval"),
        ] {
            if let Some(v) = ins.flag(flag) {
                let ns = parse_duration(v).ok_or_else(|| {
                    self.err(
                        ins.line,
                        &format!("HEALTHCHECK --{flag}={v}: invalid duration"),
                    )
                })?;
                if ns != 0 {
                    hc[key] = json!(ns);
                }
            }
        }
        if let Some(r) = ins.flag("retries") {
            let n: i64 = r.parse().map_err(|_| {
                self.err(
                    ins.line,
                    &format!("HEALTHCHECK --retries={r}: not a number"),
                )
            })?;
            if n != 0 {
                hc["Retries"] = json!(n);
            }
        }
        Ok(hc)
    }

    /// The cache key of a step.
    fn step_key(&self, st: &StageState, ins_text: &str, extra: &[&str], is_final: bool) -> String {
        let mut parts: Vec<String> = vec![
            st.image.clone().unwrap_or_else(|| "scratch".into()),
            ins_text.to_string(),
            st.arg_env().join("\n"),
            format!("docker={}", self.opts.docker_format),
            format!("ts={:?}", self.opts.timestamp),
            format!("omit={}", self.opts.omit_history),
            // The in-memory config (Docker's keys included) is part of the result.
            serde_json::to_string(&st.blob["config"]).unwrap_or_default(),
            format!("pending-workdir={:?}", st.pending_workdir),
        ];
        if is_final {
            parts.push(format!(
                "final:{:?}:{:?}:{:?}:{:?}",
                self.opts.labels, self.opts.annotations, self.opts.env, self.opts.unsetenv
            ));
        }
        parts.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        cache::key(&refs)
    }

    /// Uses the cached result of a step if there is one. With cache sources (`cachefrom`) a
    /// result of the local cache counts only when it is part of one of them, else the
    /// matching step of a source is taken (and only that source is looked at from then on,
    /// as Docker's classic builder does).
    fn cached_step(
        &mut self,
        st: &mut StageState,
        key: &str,
        created_by: &str,
        is_final: bool,
    ) -> Result<bool> {
        if !self.opts.layers || self.opts.no_cache {
            return Ok(false);
        }
        if let Some(image) = cache::lookup(self.rt, key) {
            let cached = self.load_blob(&image.id)?;
            if self.cache_sources.is_empty()
                || self.cache_sources.iter().any(|s| s.contains(&cached))
            {
                for k in ["rootfs", "history", "created"] {
                    st.blob[k] = cached[k].clone();
                }
                st.image = Some(image.id.clone());
                self.progress
                    .plain(&format!("--> Using cache {}", image.id));
                self.announce(st, is_final);
                return Ok(true);
            }
        }
        let Some(reuse) = self
            .cache_sources
            .iter()
            .find_map(|s| s.next_step(&st.blob, created_by))
        else {
            return Ok(false);
        };
        self.cache_sources.retain(|s| s.id == reuse.image);
        let id = self.step_commit(st, None, created_by, is_final, Some(&reuse))?;
        cache::record(self.rt, key, &id);
        Ok(true)
    }

    fn meta_step(
        &mut self,
        st: &mut StageState,
        created_by: &str,
        is_final: bool,
        ins: &Instruction,
    ) -> Result<()> {
        let key = self.step_key(st, &ins.original, &[], is_final);
        if self.cached_step(st, &key, created_by, is_final)? {
            return Ok(());
        }
        let id = self.step_commit(st, None, created_by, is_final, None)?;
        if self.opts.layers {
            cache::record(self.rt, &key, &id);
        }
        Ok(())
    }

    /// `--> id` (and `COMMIT name` for the final image).
    fn announce(&mut self, st: &StageState, is_final: bool) {
        let id = st.image.clone().unwrap_or_default();
        if is_final {
            let names = self.opts.tags.first().cloned().unwrap_or_default();
            let line = if names.is_empty() {
                "COMMIT".to_string()
            } else {
                format!("COMMIT {names}")
            };
            self.progress.line(&line);
        }
        self.progress.plain(&format!("--> {}", short(&id)));
    }

    /// A step that writes into a work layer of the parent image. `work` returns whether it
    /// changed anything (no change: no new layer).
    fn layer_step(
        &mut self,
        st: &mut StageState,
        created_by: &str,
        is_final: bool,
        ins: &Instruction,
        extra: &[&str],
        work: impl FnOnce(&mut Self, &Path) -> Result<bool>,
    ) -> Result<()> {
        let key = self.step_key(st, &ins.original, extra, is_final);
        if self.cached_step(st, &key, created_by, is_final)? {
            // The cached image holds the pending WORKDIR this step created.
            st.pending_workdir = None;
            return Ok(());
        }
        let rt: &'a crate::Runtime = self.rt;
        let store: &'a storage::Store = rt.store()?;
        let mut layer = WorkLayer::new(store, st.image.as_deref())?;
        let root = layer.root.clone();
        let made_workdir = match st.pending_workdir.take() {
            Some(dir) => create_workdir(&root, &dir, &st.config_str("User"))?,
            None => false,
        };
        let changed = work(self, &root)? || made_workdir;
        layer.unmount()?;
        let container = changed.then(|| layer.id.clone());
        let id = self.step_commit(st, container.as_deref(), created_by, is_final, None)?;
        drop(layer);
        if self.opts.layers {
            cache::record(self.rt, &key, &id);
        }
        Ok(())
    }

    /// Commits the stage's current state as a new image.
    /// Commits the stage's current state as a new image: over the stage's image, with the
    /// changes of `container` as a new layer; or, for `reuse`, over that step of a cache
    /// source (its layers and history up to the step, this build's config).
    pub(crate) fn step_commit(
        &mut self,
        st: &mut StageState,
        container: Option<&str>,
        created_by: &str,
        is_final: bool,
        reuse: Option<&cache::Reuse>,
    ) -> Result<String> {
        let store = self.rt.store()?;
        let reused_created = reuse
            .and_then(|r| r.history.last())
            .and_then(|h| h["created"].as_str())
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map(|c| c.with_timezone(&chrono::Utc));
        let created = match (reused_created, self.opts.timestamp) {
            (Some(c), _) => c,
            (None, Some(ts)) => {
                chrono::DateTime::from_timestamp(ts, 0).unwrap_or_else(chrono::Utc::now)
            }
            (None, None) => chrono::Utc::now(),
        };
        let created_text = storage::oci::go_rfc3339(created);
        let mut blob = st.blob.clone();
        if is_final {
            self.apply_final(&mut blob)?;
        }
        if !self.opts.docker_format {
            if let Some(cfg) = blob["config"].as_object_mut() {
                for k in DOCKER_ONLY {
                    cfg.remove(*k);
                }
            }
        }
        let parent = st.image.clone();
        let omit = self.opts.omit_history;
        let comment = parent
            .as_ref()
            .map(|p| format!("FROM {}", &p[..p.len().min(12)]));
        let image = store.commit_build(
            storage::BuildCommit {
                base: reuse.map(|r| r.image.clone()).or_else(|| parent.clone()),
                base_layers: reuse.map(|r| r.layers),
                container: container.map(str::to_string),
                names: Vec::new(),
                created: Some(created),
                clamp_mtime: self.opts.timestamp.map(|t| t.max(0) as u64),
                docker: self.opts.docker_format,
                annotations: if is_final {
                    self.opts
                        .annotations
                        .iter()
                        .map(|a| {
                            let (k, v) = a.split_once('=').unwrap_or((a, ""));
                            (k.to_string(), v.to_string())
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                squash_tree: None,
            },
            |layers| {
                blob["created"] = json!(created_text);
                blob["rootfs"] = json!({"type": "layers", "diff_ids": layers.diff_ids});
                if !blob["history"].is_array() {
                    blob["history"] = json!([]);
                }
                if let Some(r) = reuse {
                    blob["history"] = json!(r.history);
                } else if !omit {
                    let mut h = json!({"created": created_text, "created_by": created_by});
                    if let Some(c) = &comment {
                        h["comment"] = json!(c);
                    }
                    if layers.new_diff_id.is_none() {
                        h["empty_layer"] = json!(true);
                    }
                    if let Some(a) = blob["history"].as_array_mut() {
                        a.push(h);
                    }
                } else {
                    blob["history"] = json!([]);
                }
                serde_json::to_vec(&blob).map_err(|e| e.to_string())
            },
        )?;
        let stored = self.load_blob(&image.id)?;
        for k in ["rootfs", "history", "created"] {
            st.blob[k] = stored[k].clone();
        }
        st.image = Some(image.id.clone());
        self.made.push(image.id.clone());
        if reuse.is_some() {
            self.progress
                .plain(&format!("--> Using cache {}", image.id));
        }
        self.announce(st, is_final);
        Ok(image.id)
    }

    /// `--label`, `--env`, `--unsetenv` on the final image.
    fn apply_final(&self, blob: &mut Value) -> Result<()> {
        if !blob["config"].is_object() {
            blob["config"] = json!({});
        }
        for l in &self.opts.labels {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            if !blob["config"]["Labels"].is_object() {
                blob["config"]["Labels"] = json!({});
            }
            blob["config"]["Labels"][k] = json!(v);
        }
        let mut env: Vec<String> = blob["config"]["Env"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for e in &self.opts.env {
            let (k, v) = match e.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (e.clone(), std::env::var(e).unwrap_or_default()),
            };
            env.retain(|x| x.split('=').next() != Some(k.as_str()));
            env.push(format!("{k}={v}"));
        }
        for u in &self.opts.unsetenv {
            env.retain(|x| x.split('=').next() != Some(u.as_str()));
        }
        if !env.is_empty() || blob["config"]["Env"].is_array() {
            blob["config"]["Env"] = json!(env);
        }
        Ok(())
    }

    fn run_step(&mut self, st: &mut StageState, ins: &Instruction, is_final: bool) -> Result<()> {
        let shell = st.shell();
        let (cmd, shown): (Vec<String>, String) = match ins.json_args() {
            Some(v) if ins.heredocs.is_empty() => {
                let shown = v.join(" ");
                (v, shown)
            }
            _ => {
                let args = ins.args.trim();
                let script = if !ins.heredocs.is_empty() && is_only_heredoc(args) {
                    ins.heredocs
                        .iter()
                        .map(|h| h.content.clone())
                        .collect::<String>()
                } else if !ins.heredocs.is_empty() {
                    let mut s = args.to_string();
                    s.push('\n');
                    for h in &ins.heredocs {
                        s.push_str(&h.content);
                        s.push_str(&h.name);
                        s.push('\n');
                    }
                    s
                } else {
                    args.to_string()
                };
                let mut c = shell.clone();
                c.push(script.clone());
                (c, format!("{} {script}", shell.join(" ")))
            }
        };
        let arg_env = st.arg_env();
        let created_by = if arg_env.is_empty() {
            shown
        } else {
            format!("|{} {} {shown}", arg_env.len(), arg_env.join(" "))
        };
        let mut extra: Vec<String> = Vec::new();
        for h in &ins.heredocs {
            extra.push(h.content.clone());
        }
        let extra_refs: Vec<&str> = extra.iter().map(String::as_str).collect();
        let key = self.step_key(st, &ins.original, &extra_refs, is_final);
        if self.cached_step(st, &key, &created_by, is_final)? {
            st.pending_workdir = None;
            return Ok(());
        }
        let Some(parent) = st.image.clone() else {
            return Err(self.err(
                ins.line,
                &format!(
                    "{}: a stage FROM scratch has no files to run a command with",
                    ins.original
                ),
            ));
        };
        let mut mounts_keep: Vec<WorkLayer> = Vec::new();
        let mut mounts: Vec<MountSpec> = Vec::new();
        for v in &self.opts.volumes {
            mounts.push(MountSpec::parse_volume(v)?);
        }
        // RUN --mount targets: a mount point the step had to create is removed before the
        // commit, as Buildah does (the -v mount points stay).
        let mut mount_targets: Vec<String> = Vec::new();
        for m in ins.flag_values("mount") {
            let spec = self.run_mount(m, ins, &mut mounts_keep)?;
            mount_targets.push(spec.destination.clone());
            mounts.push(spec);
        }
        let network_text = ins
            .flag("network")
            .map(str::to_string)
            .or_else(|| self.opts.network.clone());
        let mut net = network::NetworkRequest {
            add_hosts: self.opts.add_hosts.clone(),
            dns: self.opts.dns.clone(),
            dns_search: self.opts.dns_search.clone(),
            dns_options: self.opts.dns_options.clone(),
            ..Default::default()
        };
        let mut mode = network::NetworkMode::Bridge;
        if let Some(n) = network_text {
            match n.parse::<network::NetworkMode>() {
                Ok(m) => mode = m,
                Err(_) => net.networks.push(n),
            }
        }
        let workdir = st.config_str("WorkingDir");
        let user = st.config_str("User");
        let argv = cmd.clone();
        let opts = CreateOptions {
            image: Some(parent.clone()),
            pull: crate::images::PullPolicy::Never,
            command: cmd,
            entrypoint: Some(Vec::new()),
            env: arg_env,
            workdir: (!workdir.is_empty()).then_some(workdir),
            user: (!user.is_empty()).then_some(user),
            network: mode,
            net,
            mounts,
            log_driver: Some("none".into()),
            no_hosts: self.opts.no_hosts,
            cap_add: self.opts.cap_add.clone(),
            cap_drop: self.opts.cap_drop.clone(),
            security_opts: self.opts.security_opts.clone(),
            ulimits: self.opts.ulimits.clone(),
            health: crate::container::options::HealthOptions {
                disabled: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let mut ctr = self.rt.create_container(opts)?;
        let pending = st.pending_workdir.take();
        let user = st.config_str("User");
        let workdir = st.config_str("WorkingDir");
        let mut created_targets: Vec<String> = Vec::new();
        // The times of the directories those mount points are made in, put back after the
        // mount points are removed (so the directories are unchanged in the layer).
        let mut parent_times: Vec<(String, std::time::SystemTime, std::time::SystemTime)> =
            Vec::new();
        // The files the engine bind-mounts into every RUN container are mount points too:
        // the ones the step had to create go as well, so no empty /etc/hosts, /etc/resolv.conf,
        // /etc/hostname or /run/.containerenv ends up in the layer.
        let engine_targets = [
            "/etc/hostname",
            "/etc/hosts",
            "/etc/resolv.conf",
            "/run/.containerenv",
        ];
        let result = ctr
            .with_rootfs(|root| {
                for t in engine_targets
                    .iter()
                    .map(|t| t.to_string())
                    .chain(mount_targets.iter().cloned())
                {
                    let t = &t;
                    let abs = if t.starts_with('/') || workdir.is_empty() {
                        t.clone()
                    } else {
                        format!("{}/{t}", workdir.trim_end_matches('/'))
                    };
                    let exists = match Located::in_root(root, &abs) {
                        Ok(l) => l.exists(),
                        Err(e) if e.is_not_found() => false,
                        Err(e) => return Err(e.into()),
                    };
                    if !exists {
                        let parent = abs.rsplit_once('/').map_or("/", |(p, _)| p);
                        let parent = if parent.is_empty() { "/" } else { parent };
                        if let Some(m) = host_path(root, parent).and_then(|p| p.metadata().ok()) {
                            if let (Ok(a), Ok(mt)) = (m.accessed(), m.modified()) {
                                parent_times.push((parent.to_string(), a, mt));
                            }
                        }
                        created_targets.push(abs);
                    }
                }
                match &pending {
                    Some(dir) => create_workdir(root, dir, &user).map(|_| ()),
                    None => Ok(()),
                }
            })
            .and_then(|_| self.run_container(&mut ctr))
            .and_then(|code| {
                if code == 0 && !created_targets.is_empty() {
                    ctr.with_rootfs(|root| {
                        for t in created_targets.iter().rev() {
                            remove_mount_point(root, t)?;
                        }
                        for (dir, atime, mtime) in parent_times.iter().rev() {
                            if let Some(p) = host_path(root, dir) {
                                let times = std::fs::FileTimes::new()
                                    .set_accessed(*atime)
                                    .set_modified(*mtime);
                                if let Ok(f) = std::fs::File::open(&p) {
                                    let _ = f.set_times(times);
                                }
                            }
                        }
                        Ok(())
                    })?;
                }
                Ok(code)
            });
        let code = match result {
            Ok(code) => code,
            Err(e) => {
                if self.opts.force_rm {
                    let _ = ctr.remove_with_volumes(true, Some(0), true);
                }
                return Err(e);
            }
        };
        if code != 0 {
            if self.opts.force_rm {
                let _ = ctr.remove_with_volumes(true, Some(0), true);
            }
            return Err(Error::BuildStepFailed {
                message: format!(
                    "{}:{}: building at STEP \"{}\": while running runtime: exit status {code}",
                    self.df.file, ins.line, ins.original
                ),
                code,
                command: argv,
            });
        }
        let id = ctr.id().to_string();
        let committed = self.step_commit(st, Some(&id), &created_by, is_final, None);
        if self.opts.rm || committed.is_err() {
            let _ = ctr.remove_with_volumes(true, Some(0), true);
        }
        drop(mounts_keep);
        let image = committed?;
        if self.opts.layers {
            cache::record(self.rt, &key, &image);
        }
        Ok(())
    }

    /// Runs a created container to its end, copying its output; returns its exit code.
    fn run_container(&mut self, ctr: &mut crate::Container<'_>) -> Result<i32> {
        ctr.init()?;
        let client = ctr.attach_client()?;
        let claim = ctr.claim_cleanup()?;
        ctr.start()?;
        let mut buf = vec![0u8; monitor::attach::MAX_PAYLOAD];
        loop {
            match client.recv(&mut buf) {
                Ok(monitor::attach::Frame::Stdout(n)) | Ok(monitor::attach::Frame::Stderr(n)) => {
                    self.progress.raw(&buf[..n])
                }
                Ok(monitor::attach::Frame::Eof) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let code = ctr.wait(&[])?;
        match ctr.cleanup(false) {
            Ok(_) | Err(Error::NoSuchContainer(_)) => {}
            Err(e) => return Err(e),
        }
        if let Some(claim) = claim {
            claim.finished();
        }
        Ok(code)
    }

    /// RUN `--mount=type=bind|cache|tmpfs|secret,...`.
    fn run_mount(
        &self,
        spec: &str,
        ins: &Instruction,
        keep: &mut Vec<WorkLayer<'a>>,
    ) -> Result<MountSpec> {
        let mut kind = "bind".to_string();
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        for part in spec.split(',') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            match k {
                "type" => kind = v.to_string(),
                "target" | "dst" | "destination" => {
                    fields.insert("target".into(), v.into());
                }
                "source" | "src" => {
                    fields.insert("source".into(), v.into());
                }
                "readonly" | "ro" => {
                    fields.insert("ro".into(), "true".into());
                }
                "rw" | "readwrite" => {
                    fields.insert("rw".into(), "true".into());
                }
                other => {
                    fields.insert(other.to_string(), v.to_string());
                }
            }
        }
        let bad = |m: &str| self.err(ins.line, &format!("RUN --mount={spec}: {m}"));
        let target = fields.get("target").cloned();
        match kind.as_str() {
            "bind" => {
                let target = target.ok_or_else(|| bad("target is required"))?;
                let src = fields.get("source").cloned().unwrap_or_else(|| "/".into());
                let host = if let Some(from) = fields.get("from") {
                    let root = self.mount_from(from, ins, keep)?;
                    let loc = Located::in_root_following(&root, &src)?;
                    root.join(loc.path().to_string_lossy().trim_start_matches('/'))
                } else {
                    let found = self.ctx.sources(&src)?;
                    found
                        .into_iter()
                        .next()
                        .ok_or_else(|| bad("source not found"))?
                };
                let rw = fields.contains_key("rw");
                MountSpec::parse_volume(&format!(
                    "{}:{target}:{}",
                    host.display(),
                    if rw { "rw" } else { "ro" }
                ))
            }
            "cache" => {
                let target = target.ok_or_else(|| bad("target is required"))?;
                let id = fields.get("id").cloned().unwrap_or_else(|| target.clone());
                let dir = self
                    .rt
                    .paths()
                    .storage_root()
                    .join("build-cache-mounts")
                    .join(cache::key(&[&id]));
                std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
                MountSpec::parse_volume(&format!("{}:{target}:rw", dir.display()))
            }
            "tmpfs" => {
                let target = target.ok_or_else(|| bad("target is required"))?;
                MountSpec::parse_tmpfs(&target)
            }
            "secret" => {
                let id = fields
                    .get("id")
                    .cloned()
                    .ok_or_else(|| bad("id is required"))?;
                let src = self
                    .opts
                    .secrets
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, p)| p.clone())
                    .ok_or_else(|| bad(&format!("no --secret with id {id:?} was given")))?;
                let target = target.unwrap_or_else(|| format!("/run/secrets/{id}"));
                MountSpec::parse_volume(&format!("{}:{target}:ro", src.display()))
            }
            other => Err(bad(&format!("unsupported mount type {other:?}"))),
        }
    }

    /// Mounts the root of a stage or image named by `--from` and keeps it until the step ends.
    fn mount_from(
        &self,
        from: &str,
        ins: &Instruction,
        keep: &mut Vec<WorkLayer<'a>>,
    ) -> Result<PathBuf> {
        let id = self.image_for_from(from, ins)?;
        let rt: &'a crate::Runtime = self.rt;
        let store: &'a storage::Store = rt.store()?;
        let layer = WorkLayer::new(store, Some(&id))?;
        let root = layer.root.clone();
        keep.push(layer);
        Ok(root)
    }

    /// The image ID `--from=X` names: an earlier stage, else an image.
    fn image_for_from(&self, from: &str, ins: &Instruction) -> Result<String> {
        let current = self.current;
        if let Some(dep) =
            self.stage_dep(from, current, ins.line, &format!("{} --from=", ins.keyword))?
        {
            return self
                .stage_images
                .get(&dep)
                .cloned()
                .ok_or_else(|| self.err(ins.line, &format!("stage {from} was not built")));
        }
        match self.rt.pull_with_policy(
            from,
            self.opts.pull,
            &self.opts.registry,
            &crate::images::NoProgress,
        ) {
            Ok(Some(i)) => Ok(i.id),
            _ => Err(self.err(
                ins.line,
                &format!(
                    "{} --from={from}: no stage or image found with that name",
                    ins.keyword
                ),
            )),
        }
    }

    fn copy_step(
        &mut self,
        st: &mut StageState,
        ins: &Instruction,
        is_final: bool,
        exp: &dyn Fn(&str) -> Result<String>,
    ) -> Result<()> {
        let is_add = ins.keyword == Keyword::Add;
        let words: Vec<String> = match ins.json_args() {
            Some(v) => v.iter().map(|w| exp(w)).collect::<Result<_>>()?,
            None => dockerfile::split_words(&ins.args, self.df.escape)
                .map_err(|e| self.err(ins.line, &e.0))?
                .iter()
                .map(|w| {
                    if w.starts_with("<<") {
                        Ok(w.clone())
                    } else {
                        exp(w)
                    }
                })
                .collect::<Result<_>>()?,
        };
        if words.len() < 2 {
            return Err(self.err(
                ins.line,
                &format!("{} requires at least two arguments", ins.keyword),
            ));
        }
        let (srcs, dest) = words.split_at(words.len() - 1);
        let dest = dest[0].clone();
        let workdir = st.config_str("WorkingDir");
        let dest_abs = if dest.starts_with('/') {
            dest.clone()
        } else {
            format!(
                "{}/{dest}",
                if workdir.is_empty() {
                    ""
                } else {
                    workdir.trim_end_matches('/')
                }
            )
        };
        let dest_dir_hint = dest.ends_with('/') || dest.ends_with("/.") || dest == ".";
        let chown = ins.flag("chown").map(exp).transpose()?;
        let chmod = match ins.flag("chmod") {
            Some(m) => Some(
                u32::from_str_radix(m, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| {
                        self.err(
                            ins.line,
                            &format!("invalid --chmod={m}: expected an octal mode"),
                        )
                    })?,
            ),
            None => None,
        };
        let from = ins.flag("from").map(exp).transpose()?;

        // Resolve the sources and hash them for the cache key.
        enum Src {
            Host {
                path: PathBuf,
                is_dir: bool,
                archive: bool,
            },
            Data {
                name: String,
                data: Vec<u8>,
                mode: u32,
            },
            InImage(String),
        }
        let mut resolved: Vec<Src> = Vec::new();
        let mut hashes: Vec<String> = Vec::new();
        let contexts: &'a BTreeMap<String, super::context::Context> = self.named_contexts;
        let named_ctx = from.as_ref().and_then(|f| contexts.get(f));
        let from_image = match (&from, named_ctx) {
            (Some(f), None) => Some(self.image_for_from(f, ins)?),
            _ => None,
        };
        let main_ctx: &'a super::context::Context = self.ctx;
        let ctx = named_ctx.unwrap_or(main_ctx);
        for s in srcs {
            if let Some(name) = s.strip_prefix("<<") {
                let name = name
                    .trim_start_matches('-')
                    .trim_matches(|c| c == '"' || c == '\'');
                let h = ins
                    .heredocs
                    .iter()
                    .find(|h| h.name == name)
                    .ok_or_else(|| self.err(ins.line, &format!("heredoc {name} has no body")))?;
                let data = if h.expand {
                    exp(&h.content).unwrap_or_else(|_| h.content.clone())
                } else {
                    h.content.clone()
                };
                hashes.push(format!("heredoc:{name}:{}", cache::key(&[&data])));
                resolved.push(Src::Data {
                    name: name.to_string(),
                    data: data.into_bytes(),
                    mode: 0o644,
                });
            } else if is_add && (s.starts_with("http://") || s.starts_with("https://")) {
                let mut data = Vec::new();
                crate::fetch::fetch_url(s, &mut data)
                    .map_err(|e| self.err(ins.line, &format!("ADD: {e}")))?;
                let name = s
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("download")
                    .to_string();
                let name = name.split('?').next().unwrap_or("download").to_string();
                hashes.push(format!(
                    "url:{s}:{}",
                    cache::key(&[&String::from_utf8_lossy(&data)])
                ));
                resolved.push(Src::Data {
                    name,
                    data,
                    mode: 0o600,
                });
            } else if let Some(img) = &from_image {
                hashes.push(format!("image:{img}:{s}"));
                resolved.push(Src::InImage(s.clone()));
            } else {
                let found = ctx.sources(s)?;
                for path in found {
                    let is_dir = std::fs::metadata(&path)
                        .map(|m| m.is_dir())
                        .unwrap_or(false);
                    let archive = is_add && !is_dir && copy::is_archive(&path);
                    let skip = |p: &Path| ctx.excluded(p);
                    let h = super::context::tree_hash(&path, &skip)?;
                    hashes.push(format!(
                        "{}:{h}",
                        path.strip_prefix(&ctx.root).unwrap_or(&path).display()
                    ));
                    resolved.push(Src::Host {
                        path,
                        is_dir,
                        archive,
                    });
                }
            }
        }
        let hash_refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let multi = resolved.len() > 1;
        let kw = ins.keyword;
        let created_by = format!(
            "/bin/sh -c #(nop) {kw} {}:{} in {dest} ",
            if multi {
                "multi"
            } else if from_image.is_some() {
                "image"
            } else {
                "file"
            },
            cache::key(&hash_refs)
        );
        let line = ins.line;
        let file = self.df.file.clone();
        let ctx_ref = ctx;
        let from_image2 = from_image.clone();
        let rt: &'a crate::Runtime = self.rt;
        let from_store: &'a storage::Store = rt.store()?;
        self.layer_step(st, &created_by, is_final, ins, &hash_refs, move |_b, root| {
            let owner = match &chown {
                Some(c) => Some(resolve_owner(root, c)?),
                None => None,
            };
            let dest_exists_as_dir = match Located::in_root(root, &dest_abs) {
                Ok(l) => l.as_dir()?.is_some(),
                Err(e) if e.is_not_found() => false,
                Err(e) => return Err(e.into()),
            };
            // Sources in another image (--from) are looked up in a mount of it.
            let mut image_layer: Option<WorkLayer> = None;
            let mut found_in_image: Vec<(Located, bool)> = Vec::new();
            for r in &resolved {
                if let Src::InImage(s) = r {
                    if image_layer.is_none() {
                        image_layer = Some(WorkLayer::new(from_store, from_image2.as_deref())?);
                    }
                    let src_root = image_layer.as_ref().map(|l| l.root.clone()).unwrap_or_default();
                    let loc = Located::in_root_following(&src_root, s).map_err(|e| {
                        Error::InvalidArgument(format!("{file}:{line}: {kw} --from: {s}: {e}"))
                    })?;
                    if !loc.exists() {
                        return Err(Error::InvalidArgument(format!(
                            "{file}:{line}: {kw} --from: {s:?}: no such file or directory"
                        )));
                    }
                    let is_dir = loc.as_dir()?.is_some();
                    found_in_image.push((loc, is_dir));
                }
            }
            let dest_is_dir = dest_dir_hint || multi || dest_exists_as_dir
                || found_in_image.iter().any(|(_, d)| *d)
                || resolved.iter().any(|r| matches!(r, Src::Host { is_dir: true, .. } | Src::Host { archive: true, .. }));
            let mut image_locs = found_in_image.into_iter();
            if multi && !dest_is_dir {
                return Err(Error::InvalidArgument(format!(
                    "{file}:{line}: when using {kw} with more than one source file, the destination must be a directory and end with a /"
                )));
            }
            let attrs = Attrs { owner, keep_owner: false, mode: chmod };
            let skip = |p: &Path| ctx_ref.excluded(p);
            let (dir, single_name) = if dest_is_dir {
                (copy::ensure_dir(root, &dest_abs, owner.unwrap_or((0, 0)))?, None)
            } else {
                let parent = match dest_abs.trim_end_matches('/').rsplit_once('/') {
                    Some((p, _)) => p.to_string(),
                    None => "/".to_string(),
                };
                let name = dest_abs.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
                (copy::ensure_dir(root, &parent, (0, 0))?, Some(name))
            };
            let mut items: Vec<Item> = Vec::new();
            for r in &resolved {
                match r {
                    Src::Host { path, is_dir: true, .. } => items.push(Item::Contents { path: path.clone() }),
                    Src::Host { path, archive: true, .. } => items.push(Item::Archive { path: path.clone() }),
                    Src::Host { path, .. } => {
                        let name = single_name.clone().unwrap_or_else(|| {
                            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                        });
                        items.push(Item::Path { path: path.clone(), name });
                    }
                    Src::Data { name, data, mode } => items.push(Item::Data {
                        data: data.clone(),
                        name: single_name.clone().unwrap_or_else(|| name.clone()),
                        mode: *mode,
                    }),
                    Src::InImage(_) => {
                        let Some((loc, is_dir)) = image_locs.next() else { continue };
                        let top = if is_dir {
                            None
                        } else {
                            Some(single_name.clone().unwrap_or_else(|| {
                                loc.name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                            }))
                        };
                        items.push(Item::Located { loc: Box::new(loc), top });
                    }
                }
            }
            copy::copy_items(&dir, &items, attrs, &skip)?;
            drop(items);
            drop(image_layer);
            Ok(true)
        })
    }
}

/// Creates a pending WORKDIR (and its missing parents) owned by `user`; false if it existed.
fn create_workdir(root: &Path, dir: &str, user: &str) -> Result<bool> {
    let exists = match Located::in_root(root, dir) {
        Ok(l) => l.exists(),
        Err(e) if e.is_not_found() => false,
        Err(e) => return Err(e.into()),
    };
    if exists {
        return Ok(false);
    }
    let owner = if user.is_empty() {
        (0, 0)
    } else {
        resolve_owner(root, user)?
    };
    copy::ensure_dir(root, dir, owner)?;
    Ok(true)
}

/// Removes a mount point a RUN step created (an empty directory or an empty file), resolved
/// inside `root`.
/// The host path of the existing `path` inside `root` (its symlinks resolved inside the root).
fn host_path(root: &Path, path: &str) -> Option<PathBuf> {
    let loc = Located::in_root(root, path).ok()?;
    loc.metadata()?;
    Some(root.join(loc.path().to_string_lossy().trim_start_matches('/')))
}

fn remove_mount_point(root: &Path, path: &str) -> Result<()> {
    let loc = match Located::in_root(root, path) {
        Ok(l) => l,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let Some(meta) = loc.metadata() else {
        return Ok(());
    };
    let host = root.join(loc.path().to_string_lossy().trim_start_matches('/'));
    if meta.is_dir() {
        // Only an empty directory: whatever the step wrote below it stays.
        let _ = std::fs::remove_dir(&host);
    } else if meta.is_file() && meta.len() == 0 {
        let _ = std::fs::remove_file(&host);
    }
    Ok(())
}

fn is_only_heredoc(args: &str) -> bool {
    args.split_whitespace().all(|w| w.starts_with("<<"))
}

/// ENV/LABEL pairs: `k=v k2="v 2"` or the legacy `key value with spaces`.
fn key_values(
    args: &str,
    exp: &dyn Fn(&str) -> Result<String>,
    exp_words: &dyn Fn(&str) -> Result<Vec<String>>,
    kw: Keyword,
) -> Result<Vec<(String, String)>> {
    let first = args.split_whitespace().next().unwrap_or_default();
    if !first.contains('=') {
        let rest = args[first.len()..].trim();
        if rest.is_empty() && kw == Keyword::Env {
            return Err(Error::InvalidArgument(format!(
                "ENV {first} needs a value: ENV names must have a value"
            )));
        }
        return Ok(vec![(first.to_string(), exp(rest)?)]);
    }
    let mut out = Vec::new();
    for w in exp_words(args)? {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| Error::InvalidArgument(format!("{kw} {w}: expected NAME=VALUE")))?;
        if k.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{kw} {w}: the name is empty"
            )));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// `--squash`, `--layers=false` (the final stage's new layers as one layer over the stage's
/// base) and `--squash-all` (everything as one layer), as Podman commits them: the history
/// keeps one entry per instruction, all but the last marked as empty layers.
pub(crate) fn squash(
    b: &mut Builder<'_, '_>,
    image: &storage::Image,
    base: Option<String>,
    all: bool,
) -> Result<storage::Image> {
    let store = b.rt.store()?;
    let blob = b.load_blob(&image.id)?;
    let base = if all { None } else { base };
    // The history entries of the stage's base (kept unless everything is squashed).
    let base_history = match b.stage_bases.get(&b.current).cloned().flatten() {
        Some(id) => b.load_blob(&id)?["history"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
        None => 0,
    };
    let full = WorkLayer::new(store, Some(&image.id))?;
    let created = match b.opts.timestamp {
        Some(ts) => chrono::DateTime::from_timestamp(ts, 0).unwrap_or_else(chrono::Utc::now),
        None => chrono::Utc::now(),
    };
    let docker = b.opts.docker_format;
    let omit = b.opts.omit_history;
    let squashed = store.commit_build(
        storage::BuildCommit {
            base: base.clone(),
            base_layers: None,
            container: None,
            names: Vec::new(),
            created: Some(created),
            clamp_mtime: b.opts.timestamp.map(|t| t.max(0) as u64),
            docker,
            annotations: b
                .opts
                .annotations
                .iter()
                .map(|a| {
                    let (k, v) = a.split_once('=').unwrap_or((a, ""));
                    (k.to_string(), v.to_string())
                })
                .collect(),
            squash_tree: Some(full.root.clone()),
        },
        |layers| {
            let mut blob = blob.clone();
            blob["rootfs"] = json!({"type": "layers", "diff_ids": layers.diff_ids});
            let history: Vec<Value> = blob["history"].as_array().cloned().unwrap_or_default();
            let (old, new) = history.split_at(base_history.min(history.len()));
            let mut out: Vec<Value> = if all { Vec::new() } else { old.to_vec() };
            let n = new.len();
            for (i, h) in new.iter().enumerate() {
                let mut h = h.clone();
                if let Some(o) = h.as_object_mut() {
                    if i + 1 == n {
                        o.remove("empty_layer");
                    } else {
                        o.insert("empty_layer".into(), json!(true));
                    }
                }
                out.push(h);
            }
            if n == 0 {
                out.push(json!({
                    "created": storage::oci::go_rfc3339(created),
                    "created_by": "/bin/sh -c #(nop) squashed",
                }));
            }
            blob["history"] = if omit { json!([]) } else { json!(out) };
            serde_json::to_vec(&blob).map_err(|e| e.to_string())
        },
    )?;
    drop(full);
    Ok(squashed)
}

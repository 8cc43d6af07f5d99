//! `build`: images from a Containerfile, daemonless. The parser is the `dockerfile` crate;
//! this module executes it:
//!
//! * every stage starts from an image (pulled or looked up as `run` does), `scratch` or an
//!   earlier stage's result; only the stages the target needs are built;
//! * RUN steps are rpod containers (the same create/init/start/wait as `run`, so the same
//!   spec generation, seccomp and default network), their output copied to the build's
//!   output, committed and removed;
//! * COPY/ADD/WORKDIR write into a storage container of the parent image (mounted, paths
//!   resolved inside the root), committed as one layer;
//! * the other instructions only change the config;
//! * each step's result is an image, cached under a key made of the parent image, the
//!   instruction, the build args it sees and the content of its sources.

mod cache;
pub mod context;
mod copy;
mod steps;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use dockerfile::{Dockerfile, Keyword};
use serde_json::{json, Value};

pub use cache::CacheRecord;
pub use context::ContextSource;
use context::{Context, TempDir};

use crate::error::{Error, IoContext, Result};
use crate::images::{Platform, PullPolicy, RegistryOptions};
use crate::runtime::Runtime;

/// Where the Containerfile comes from.
#[derive(Debug, Clone)]
pub enum ContainerfileSource {
    /// A file (relative paths: to the current directory, else to the context).
    Path(PathBuf),
    /// Text (`-f -`), with the name used in messages.
    Text { name: String, text: String },
    /// A path inside the context (the APIs' `dockerfile` parameter).
    InContext(String),
}

/// What `build` is asked to do.
pub struct BuildOptions {
    /// `None`: `Containerfile` or `Dockerfile` in the context.
    pub containerfile: Option<ContainerfileSource>,
    pub context: ContextSource,
    /// `--ignorefile`.
    pub ignore_file: Option<PathBuf>,
    /// `--build-context name=DIR`.
    pub build_contexts: Vec<(String, PathBuf)>,
    /// `-t` names.
    pub tags: Vec<String>,
    /// `--build-arg K=V` (or `K`, taken from the environment).
    pub build_args: Vec<String>,
    pub target: Option<String>,
    /// `--no-cache`: build every step (results are still cached for the next build).
    pub no_cache: bool,
    /// Docker's `cachefrom`: local images whose steps may stand for this build's (names that
    /// match no image are passed over, as Docker does).
    pub cache_from: Vec<String>,
    /// `--layers`: use and record the step cache.
    pub layers: bool,
    /// `--rm`: remove the RUN containers after a successful step.
    pub rm: bool,
    /// `--force-rm`: remove them after a failed step too.
    pub force_rm: bool,
    pub pull: PullPolicy,
    pub registry: RegistryOptions,
    /// `--label`, `--annotation`, `--env`, `--unsetenv` for the final image.
    pub labels: Vec<String>,
    pub annotations: Vec<String>,
    pub env: Vec<String>,
    pub unsetenv: Vec<String>,
    /// `--format docker`: Docker's manifest, and the config keeps HEALTHCHECK, SHELL, ONBUILD.
    pub docker_format: bool,
    /// `--timestamp`: seconds since the epoch for every time in the image.
    pub timestamp: Option<i64>,
    /// `-q`: print only the image ID.
    pub quiet: bool,
    /// `--network` for RUN steps.
    pub network: Option<String>,
    /// `--add-host`, `--dns*`.
    pub add_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// `--no-hosts`: RUN steps get the image's own /etc/hosts.
    pub no_hosts: bool,
    /// `--volume` for RUN steps.
    pub volumes: Vec<String>,
    /// `--secret id=ID,src=PATH`.
    pub secrets: Vec<(String, PathBuf)>,
    /// `--squash` (the new layers as one) and `--squash-all` (everything as one layer).
    pub squash: bool,
    pub squash_all: bool,
    /// `--from`: replaces the first FROM's image.
    pub from: Option<String>,
    /// `--platform`.
    pub platform: Option<String>,
    /// `--omit-history`.
    pub omit_history: bool,
    /// `--cap-add`, `--cap-drop`, `--security-opt` for RUN steps.
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opts: Vec<crate::container::security::SecurityOpt>,
    /// `--ulimit` for RUN steps.
    pub ulimits: Vec<crate::container::options::Ulimit>,
    /// `-o type=local,dest=DIR`: the final image's file system is also copied there.
    pub output_dir: Option<PathBuf>,
    /// `--jobs`: how many stages may be built at the same time (0: as many as are ready).
    pub jobs: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            containerfile: None,
            context: ContextSource::Dir(PathBuf::from(".")),
            ignore_file: None,
            build_contexts: Vec::new(),
            tags: Vec::new(),
            build_args: Vec::new(),
            target: None,
            no_cache: false,
            cache_from: Vec::new(),
            layers: true,
            rm: true,
            force_rm: true,
            pull: PullPolicy::Missing,
            registry: RegistryOptions::default(),
            labels: Vec::new(),
            annotations: Vec::new(),
            env: Vec::new(),
            unsetenv: Vec::new(),
            docker_format: false,
            timestamp: None,
            quiet: false,
            network: None,
            add_hosts: Vec::new(),
            dns: Vec::new(),
            dns_search: Vec::new(),
            dns_options: Vec::new(),
            no_hosts: false,
            volumes: Vec::new(),
            secrets: Vec::new(),
            squash: false,
            squash_all: false,
            from: None,
            platform: None,
            omit_history: false,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            security_opts: Vec::new(),
            ulimits: Vec::new(),
            output_dir: None,
            jobs: 1,
        }
    }
}

/// The architecture names of Go (`GOARCH`), which image configs use.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The progress printer: Podman's `[i/n] STEP k/N: …` lines, `--> id`, `COMMIT name`.
pub(crate) struct Progress<'o> {
    out: &'o mut dyn Write,
    quiet: bool,
    prefix: String,
}

impl Progress<'_> {
    pub(crate) fn line(&mut self, text: &str) {
        if !self.quiet {
            let _ = writeln!(self.out, "{}{text}", self.prefix);
        }
    }
    pub(crate) fn plain(&mut self, text: &str) {
        if !self.quiet {
            let _ = writeln!(self.out, "{text}");
        }
    }
    /// Output of a RUN step, as it comes.
    pub(crate) fn raw(&mut self, data: &[u8]) {
        if !self.quiet {
            let _ = self.out.write_all(data);
            let _ = self.out.flush();
        }
    }
}

/// Short form of an image ID, as Podman prints it after `-->`.
pub(crate) fn short(id: &str) -> &str {
    &id[..id.len().min(11)]
}

impl Runtime {
    /// Builds an image; progress goes to `out`. Returns the image (tagged with `tags`).
    pub fn build(&self, opts: BuildOptions, out: &mut dyn Write) -> Result<storage::Image> {
        let operation = match opts.tags.first() {
            Some(t) => format!("build of {t}"),
            None => "build".to_string(),
        };
        self.build_image(opts, out).map_err(|e| match e {
            // A step's own command failed (its exit code is the build's).
            Error::BuildStepFailed { .. } => e,
            e => e.naming_no_space(&operation),
        })
    }

    fn build_image(&self, opts: BuildOptions, out: &mut dyn Write) -> Result<storage::Image> {
        // Not the store's tmp/: opening the store empties that.
        let tmp = self.paths().storage_root().with_file_name("build-tmp");
        self.store()?;
        let mut opts = opts;
        // Squashing commits the stage once: no step cache, as with --layers=false.
        if opts.squash || opts.squash_all {
            opts.layers = false;
        }
        let context_src = std::mem::replace(&mut opts.context, ContextSource::Dir(PathBuf::new()));
        let ctx = Context::open(context_src, &tmp, opts.ignore_file.as_deref())?;
        let (file_name, text) = read_containerfile(&ctx, opts.containerfile.as_ref())?;
        let df = dockerfile::parse(&text, &file_name)
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let build_args = parse_build_args(&opts.build_args)?;
        let mut named_contexts = BTreeMap::new();
        for (name, dir) in &opts.build_contexts {
            named_contexts.insert(name.clone(), Context::plain(dir)?);
        }
        let platform = match &opts.platform {
            Some(p) => target_platform(p)?,
            None => Platform::host(),
        };
        let mut cache_sources = Vec::new();
        for name in &opts.cache_from {
            let image = match self.image(name) {
                Ok(i) => i,
                Err(Error::NoSuchImage(_)) => continue,
                Err(e) => return Err(e),
            };
            let store = self.store()?;
            let blob: Value =
                serde_json::from_slice(&store.image_config_blob(&image)?).map_err(|source| {
                    Error::Json {
                        context: format!("reading the config of image {name}"),
                        source,
                    }
                })?;
            cache_sources.push(cache::Source::new(&image.id, &blob));
        }
        let mut b = Builder {
            rt: self,
            opts: &opts,
            platform,
            cache_sources,
            df: &df,
            ctx: &ctx,
            named_contexts: &named_contexts,
            build_args,
            current: 0,
            used_args: BTreeSet::new(),
            meta: BTreeMap::new(),
            stage_images: BTreeMap::new(),
            progress: Progress {
                out,
                quiet: opts.quiet,
                prefix: String::new(),
            },
            _tmp: Vec::new(),
            stage_bases: BTreeMap::new(),
            made: Vec::new(),
        };
        // The images there were before (a step's image may be one of them: never removed).
        let existing: BTreeSet<String> = if opts.squash || opts.squash_all || !opts.layers {
            self.store()?.images()?.into_iter().map(|i| i.id).collect()
        } else {
            BTreeSet::new()
        };
        b.meta = b.meta_args()?;
        let target = b.target_stage()?;
        let needed = b.needed_stages(target)?;
        let mut last = None;
        if opts.jobs != 1 && needed.len() > 1 {
            last = Some(b.build_parallel(&needed, target)?);
        } else {
            for idx in needed {
                let image = b.build_stage(idx, idx == target)?;
                b.stage_images.insert(idx, image.clone());
                last = Some(image);
            }
        }
        let image_id = last.ok_or_else(|| Error::InvalidArgument("nothing to build".into()))?;
        let unused: Vec<&String> = b
            .build_args
            .keys()
            .filter(|k| !b.used_args.contains(*k) && !PREDEFINED_ARGS.contains(&k.as_str()))
            .collect();
        if !unused.is_empty() && !opts.quiet {
            let list: Vec<&str> = unused.iter().map(|s| s.as_str()).collect();
            b.progress.plain(&format!(
                "[Warning] one or more build args were not consumed: [{}]",
                list.join(" ")
            ));
        }
        let store = self.store()?;
        let mut image = store.lookup_image(&image_id)?;
        // --layers=false, --squash, --squash-all: one commit for the final stage (over its
        // base, or of everything), and none of the steps' images kept, as Podman does.
        if opts.squash || opts.squash_all || !opts.layers {
            let base = b.stage_bases.get(&target).cloned().flatten();
            b.current = target;
            image = steps::squash(&mut b, &image, base, opts.squash_all)?;
            for id in b.made.iter().rev() {
                if *id != image.id && !existing.contains(id) {
                    let named = store
                        .lookup_image(id)
                        .map(|i| !i.names.is_empty())
                        .unwrap_or(true);
                    if !named {
                        let _ = store.remove_image(id);
                    }
                }
            }
        }
        for t in &opts.tags {
            let name = storage::normalize_name(t)?;
            store.tag_image(&image.id, &name)?;
            b.progress.plain(&format!("Successfully tagged {name}"));
        }
        let image = store.lookup_image(&image.id)?;
        if let Some(dest) = &opts.output_dir {
            export_tree(store, &image.id, dest)?;
        }
        self.image_event(
            &image.id,
            image.names.first().map(String::as_str).unwrap_or(""),
            "build",
        );
        let _ = writeln!(b.progress.out, "{}", image.id);
        Ok(image)
    }
}

/// Copies the file system of `image` to the host directory `dest` (created if missing).
fn export_tree(store: &storage::Store, image: &str, dest: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dest).ctx(|| format!("creating {}", dest.display()))?;
    let layer = steps::WorkLayer::new(store, Some(image))?;
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", layer.root.display()))
        .arg(dest)
        .status()
        .ctx(|| "running cp".into())?;
    if !status.success() {
        return Err(Error::InvalidArgument(format!(
            "copying the image's files to {} failed",
            dest.display()
        )));
    }
    Ok(())
}

/// The args Docker defines without an ARG in the global scope.
pub(crate) const PREDEFINED_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The platform `p` (`os[/arch[/variant]]`) names, when this host can build for it: its own
/// architecture, or another one whose binaries an emulator registered with binfmt_misc runs
/// (the kernel hands every foreign binary of a RUN step to it).
pub(crate) fn target_platform(p: &str) -> Result<Platform> {
    let host = Platform::host();
    let mut parts = p.split('/').map(str::trim);
    let os = parts.next().filter(|s| !s.is_empty()).unwrap_or("linux");
    let arch = parts
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(&host.arch)
        .to_string();
    let variant = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
    if os != "linux" {
        return Err(Error::Unsupported(format!(
            "cannot build for platform {p}: this host runs linux/{} and no emulator runs {os} binaries",
            host.arch
        )));
    }
    if arch != host.arch && !emulator_registered(&arch) {
        return Err(Error::Unsupported(format!(
            "cannot build for platform {p}: this host is linux/{} and no emulator for {arch} is registered (binfmt_misc)",
            host.arch
        )));
    }
    Ok(Platform {
        os: os.to_string(),
        arch,
        variant,
    })
}

/// The `os/arch[/variant]` text of a platform.
pub(crate) fn platform_text(p: &Platform) -> String {
    match &p.variant {
        Some(v) => format!("{}/{}/{v}", p.os, p.arch),
        None => format!("{}/{}", p.os, p.arch),
    }
}

/// Whether binfmt_misc has an enabled handler for `arch` (qemu-user's names).
fn emulator_registered(arch: &str) -> bool {
    let qemu = match arch {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "386" => "i386",
        "ppc64le" => "ppc64le",
        "arm" => "arm",
        other => other,
    };
    std::fs::read_to_string(format!("/proc/sys/fs/binfmt_misc/qemu-{qemu}"))
        .map(|t| t.lines().next() == Some("enabled"))
        .unwrap_or(false)
}

fn read_containerfile(
    ctx: &Context,
    src: Option<&ContainerfileSource>,
) -> Result<(String, String)> {
    match src {
        Some(ContainerfileSource::Text { name, text }) => Ok((name.clone(), text.clone())),
        Some(ContainerfileSource::InContext(rel)) => {
            let path = ctx.root.join(rel.trim_start_matches('/'));
            ctx.check_inside(&path, rel).map_err(|_| {
                Error::InvalidArgument(format!("Cannot locate specified Dockerfile: {rel}"))
            })?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::InvalidArgument(format!("reading Dockerfile {rel}: {e}")))?;
            Ok((rel.clone(), text))
        }
        Some(ContainerfileSource::Path(p)) => {
            let path = if p.exists() || p.is_absolute() {
                p.clone()
            } else {
                ctx.root.join(p)
            };
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Error::InvalidArgument(format!("reading Containerfile {}: {e}", p.display()))
            })?;
            Ok((p.display().to_string(), text))
        }
        None => {
            let path = ctx.default_containerfile().ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "no Containerfile or Dockerfile specified or found in context directory, {}: no such file or directory",
                    ctx.root.display()
                ))
            })?;
            let text =
                std::fs::read_to_string(&path).ctx(|| format!("reading {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((name, text))
        }
    }
}

/// `--build-arg` values: `K=V`, or `K` alone for the value of the environment variable.
pub fn parse_build_args(args: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for a in args {
        let (k, v) = match a.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        let valid = !k.is_empty()
            && k.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::InvalidArgument(format!(
                "invalid --build-arg {a:?}: expected NAME=VALUE with a name of letters, digits and _"
            )));
        }
        if let Some(v) = v.or_else(|| std::env::var(k).ok()) {
            out.insert(k.to_string(), v);
        }
    }
    Ok(out)
}

/// What a stage built on a thread of its own (`--jobs`) hands back.
struct StageOutcome {
    idx: usize,
    result: Result<String>,
    out: Vec<u8>,
    used: BTreeSet<String>,
    bases: BTreeMap<usize, Option<String>>,
    made: Vec<String>,
}

/// The build in progress.
pub(crate) struct Builder<'a, 'o> {
    pub(crate) rt: &'a Runtime,
    pub(crate) opts: &'a BuildOptions,
    /// The platform the build is for (`--platform`, else the host's).
    pub(crate) platform: Platform,
    /// The images of `cachefrom` still in the running (see [`cache::Source`]).
    pub(crate) cache_sources: Vec<cache::Source>,
    pub(crate) df: &'a Dockerfile,
    pub(crate) ctx: &'a Context,
    pub(crate) named_contexts: &'a BTreeMap<String, Context>,
    pub(crate) build_args: BTreeMap<String, String>,
    /// Build args some ARG declared.
    pub(crate) used_args: BTreeSet<String>,
    /// The global scope's args (meta ARGs and the predefined platform args).
    pub(crate) meta: BTreeMap<String, String>,
    /// The stage being built.
    pub(crate) current: usize,
    /// Image IDs of the stages built so far.
    pub(crate) stage_images: BTreeMap<usize, String>,
    pub(crate) progress: Progress<'o>,
    pub(crate) _tmp: Vec<TempDir>,
    /// The image each stage started from (`None`: scratch).
    pub(crate) stage_bases: BTreeMap<usize, Option<String>>,
    /// Images this build committed, in order.
    pub(crate) made: Vec<String>,
}

impl Builder<'_, '_> {
    fn meta_args(&mut self) -> Result<BTreeMap<String, String>> {
        let arch = host_arch();
        let target = &self.platform;
        let mut meta: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in [
            ("TARGETPLATFORM", platform_text(target)),
            ("TARGETOS", target.os.clone()),
            ("TARGETARCH", target.arch.clone()),
            ("TARGETVARIANT", target.variant.clone().unwrap_or_default()),
            ("BUILDPLATFORM", format!("linux/{arch}")),
            ("BUILDOS", "linux".into()),
            ("BUILDARCH", arch.into()),
            ("BUILDVARIANT", String::new()),
        ] {
            meta.insert(k.to_string(), v);
        }
        for ins in &self.df.meta_args {
            let words = {
                let m = meta.clone();
                let look = move |n: &str| m.get(n).cloned();
                dockerfile::expand_words(&ins.args, &look, self.df.escape)
                    .map_err(|e| self.err(ins.line, &e.0))?
            };
            for w in words {
                let (name, default) = match w.split_once('=') {
                    Some((n, d)) => (n.to_string(), Some(d.to_string())),
                    None => (w.clone(), None),
                };
                if let Some(v) = self.build_args.get(&name) {
                    self.used_args.insert(name.clone());
                    meta.insert(name, v.clone());
                } else if let Some(d) = default {
                    meta.insert(name, d);
                } else {
                    meta.remove(&name);
                    meta.insert(format!("\0declared:{name}"), String::new());
                }
            }
        }
        meta.retain(|k, _| !k.starts_with('\0'));
        Ok(meta)
    }

    /// `file:line: message`.
    pub(crate) fn err(&self, line: usize, message: &str) -> Error {
        Error::InvalidArgument(format!("{}:{line}: {message}", self.df.file))
    }

    fn target_stage(&self) -> Result<usize> {
        match &self.opts.target {
            None => Ok(self.df.stages.len() - 1),
            Some(t) => self
                .df
                .stage_ref(t, self.df.stages.len())
                .map(|s| s.index)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "{}: target stage {t:?} not found: the Containerfile has no stage of that name",
                        self.df.file
                    ))
                }),
        }
    }

    /// The stage `name` refers to from stage `from` (an earlier one), or an error for a
    /// reference to itself or a later stage (a cycle).
    pub(crate) fn stage_dep(
        &self,
        name: &str,
        from: usize,
        line: usize,
        what: &str,
    ) -> Result<Option<usize>> {
        if let Some(s) = self.df.stage_ref(name, from) {
            return Ok(Some(s.index));
        }
        let lower = name.to_ascii_lowercase();
        if let Some(s) = self.df.stages[from..]
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Err(self.err(
                line,
                &format!(
                    "{what}{name}: stage {:?} is this stage or a later one: stages can only use earlier stages (a cycle)",
                    s.name.clone().unwrap_or_default()
                ),
            ));
        }
        Ok(None)
    }

    /// The stages the target needs, in order.
    fn needed_stages(&self, target: usize) -> Result<Vec<usize>> {
        let mut needed = BTreeSet::new();
        let mut todo = vec![target];
        while let Some(s) = todo.pop() {
            if !needed.insert(s) {
                continue;
            }
            todo.extend(self.stage_deps(s)?);
        }
        Ok(needed.into_iter().collect())
    }

    /// The earlier stages stage `s` uses (its base, `COPY --from`, `RUN --mount=from=`).
    fn stage_deps(&self, s: usize) -> Result<Vec<usize>> {
        let mut todo = Vec::new();
        {
            let stage = &self.df.stages[s];
            let base = self.expand_meta(&stage.base, stage.from.line)?;
            if let Some(d) = self.stage_dep(&base, s, stage.from.line, "FROM ")? {
                todo.push(d);
            }
            for ins in &stage.instructions {
                let mut refs: Vec<String> = Vec::new();
                if matches!(ins.keyword, Keyword::Copy | Keyword::Add) {
                    if let Some(f) = ins.flag("from") {
                        refs.push(f.to_string());
                    }
                }
                if ins.keyword == Keyword::Run {
                    for m in ins.flag_values("mount") {
                        for part in m.split(',') {
                            if let Some(f) = part.strip_prefix("from=") {
                                refs.push(f.to_string());
                            }
                        }
                    }
                }
                for r in refs {
                    let r = self.expand_meta(&r, ins.line)?;
                    if self.named_contexts.contains_key(&r) {
                        continue;
                    }
                    if let Some(d) =
                        self.stage_dep(&r, s, ins.line, &format!("{} --from=", ins.keyword))?
                    {
                        todo.push(d);
                    }
                }
            }
        }
        Ok(todo)
    }

    /// `--jobs`: builds the needed stages, each on a thread with an engine handle of its own
    /// as soon as the stages it uses are built, at most `jobs` at a time (0: no limit). Each
    /// stage's output is printed whole when it is done, in stage order. Returns the target's
    /// image.
    fn build_parallel(&mut self, needed: &[usize], target: usize) -> Result<String> {
        let jobs = if self.opts.jobs == 0 {
            needed.len()
        } else {
            self.opts.jobs
        };
        let mut deps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &s in needed {
            deps.insert(s, self.stage_deps(s)?);
        }
        let mut done: BTreeSet<usize> = BTreeSet::new();
        while done.len() < needed.len() {
            let ready: Vec<usize> = needed
                .iter()
                .copied()
                .filter(|s| !done.contains(s) && deps[s].iter().all(|d| done.contains(d)))
                .take(jobs)
                .collect();
            if ready.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "{}: the stages' dependencies form a cycle",
                    self.df.file
                )));
            }
            // The handles (and their stores) are opened here, before any stage works, so
            // no store opening meets another stage's staging files.
            let mut handles = Vec::new();
            for _ in &ready {
                let rt = Runtime::open(self.rt.options.clone(), self.rt.oci_handle())?;
                rt.store()?;
                handles.push(rt);
            }
            let (opts, df, ctx, named) = (self.opts, self.df, self.ctx, self.named_contexts);
            let quiet = self.progress.quiet;
            let outcomes: Vec<StageOutcome> = std::thread::scope(|sc| {
                let running: Vec<_> = ready
                    .iter()
                    .zip(handles)
                    .map(|(&idx, rt)| {
                        let build_args = self.build_args.clone();
                        let meta = self.meta.clone();
                        let stage_images = self.stage_images.clone();
                        let platform = self.platform.clone();
                        let cache_sources = self.cache_sources.clone();
                        sc.spawn(move || {
                            let mut out: Vec<u8> = Vec::new();
                            let mut sub = Builder {
                                rt: &rt,
                                opts,
                                platform,
                                cache_sources,
                                df,
                                ctx,
                                named_contexts: named,
                                build_args,
                                used_args: BTreeSet::new(),
                                meta,
                                current: idx,
                                stage_images,
                                progress: Progress {
                                    out: &mut out,
                                    quiet,
                                    prefix: String::new(),
                                },
                                _tmp: Vec::new(),
                                stage_bases: BTreeMap::new(),
                                made: Vec::new(),
                            };
                            let result = sub.build_stage(idx, idx == target);
                            let used = std::mem::take(&mut sub.used_args);
                            let bases = std::mem::take(&mut sub.stage_bases);
                            let made = std::mem::take(&mut sub.made);
                            drop(sub);
                            StageOutcome {
                                idx,
                                result,
                                out,
                                used,
                                bases,
                                made,
                            }
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|h| {
                        h.join().map_err(|_| {
                            Error::InvalidArgument("a build stage's thread panicked".into())
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })?;
            let mut first_err = None;
            for o in outcomes {
                let _ = self.progress.out.write_all(&o.out);
                self.used_args.extend(o.used);
                self.stage_bases.extend(o.bases);
                self.made.extend(o.made);
                match o.result {
                    Ok(id) => {
                        self.stage_images.insert(o.idx, id);
                        done.insert(o.idx);
                    }
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first_err {
                return Err(e);
            }
        }
        self.current = target;
        self.stage_images
            .get(&target)
            .cloned()
            .ok_or_else(|| Error::InvalidArgument("nothing to build".into()))
    }

    pub(crate) fn expand_meta(&self, text: &str, line: usize) -> Result<String> {
        let m = &self.meta;
        let look = |n: &str| m.get(n).cloned();
        dockerfile::expand_word(text, &look, self.df.escape).map_err(|e| self.err(line, &e.0))
    }
}

/// A fresh config for `FROM scratch`.
pub(crate) fn scratch_blob(platform: &Platform) -> Value {
    let mut blob = json!({
        "architecture": platform.arch,
        "os": platform.os,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [],
    });
    if let Some(v) = &platform.variant {
        blob["variant"] = json!(v);
    }
    blob
}

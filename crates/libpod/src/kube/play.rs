//! `kube play`: Pod, Deployment, ConfigMap, Secret and PersistentVolumeClaim
//! documents made into pods, containers, volumes and secrets. Everything is
//! checked before anything is made, and what was made is removed again when
//! a later step fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{quantity, Document};
use crate::container::options::{parse_log_opts, HealthOptions, Resources};
use crate::container::policy::{InitContainerType, RestartPolicy};
use crate::container::security::SecurityOpt;
use crate::container::{CreateOptions, MountKind, MountSpec};
use crate::error::{Error, IoContext, Result};
use crate::images::PullPolicy;
use crate::pods::PodCreateOptions;
use crate::runtime::Runtime;

/// `kube play` flags.
#[derive(Debug, Clone)]
pub struct KubePlayOptions {
    /// `--configmap` files' YAML (ConfigMap documents only).
    pub configmaps: Vec<String>,
    /// `--replace`: pods (and secrets) of the same names are removed first.
    pub replace: bool,
    /// `--start` (default true).
    pub start: bool,
    /// `--network`: the pods' networks or network mode.
    pub networks: Vec<String>,
    /// `--publish`: more ports published by every pod.
    pub publish: Vec<String>,
    /// `--log-driver` of every container.
    pub log_driver: Option<String>,
    /// `--log-opt`: options of the containers' log driver (`max-size=`).
    pub log_options: Vec<String>,
    /// `--ip`: static addresses, the first pod gets the first one, and so on.
    pub static_ips: Vec<String>,
    /// `--mac-address`: static MAC addresses, one per pod, in order.
    pub static_macs: Vec<String>,
    /// `--userns` of every pod.
    pub userns: Option<String>,
    /// `--build`: images built from a directory named after them.
    pub build: bool,
    /// `--context-dir`: where `--build` finds those directories (default:
    /// the YAML file's directory, else the current one).
    pub context_dir: Option<PathBuf>,
    /// `--annotation`: added to every container.
    pub annotations: BTreeMap<String, String>,
    /// `--seccomp-profile-root`: where `Localhost` seccomp profiles are.
    pub seccomp_profile_root: PathBuf,
    /// `--tls-verify`, `--authfile`, `--creds` of the images' pulls.
    pub registry: crate::images::RegistryOptions,
    /// `--no-hosts`: the images' `/etc/hosts` are kept.
    pub no_hosts: bool,
}

impl Default for KubePlayOptions {
    fn default() -> Self {
        KubePlayOptions {
            configmaps: Vec::new(),
            replace: false,
            start: true,
            networks: Vec::new(),
            publish: Vec::new(),
            log_driver: None,
            log_options: Vec::new(),
            static_ips: Vec::new(),
            static_macs: Vec::new(),
            userns: None,
            build: false,
            context_dir: None,
            annotations: BTreeMap::new(),
            seccomp_profile_root: PathBuf::from("/var/lib/kubelet/seccomp"),
            registry: Default::default(),
            no_hosts: false,
        }
    }
}

/// One pod play made.
#[derive(Debug, Clone, Default)]
pub struct PlayedPod {
    pub id: String,
    pub name: String,
    pub containers: Vec<String>,
    /// Init containers, run to completion (and removed) when started.
    pub init_containers: Vec<String>,
}

/// What play made, and the fields it could not apply.
#[derive(Debug, Clone, Default)]
pub struct KubePlayReport {
    pub pods: Vec<PlayedPod>,
    pub volumes: Vec<String>,
    pub secrets: Vec<String>,
    pub warnings: Vec<String>,
}

/// The kinds play applies.
const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
];

/// Fields of a container that play applies (`*`: any key, `[]`: any item).
const CONTAINER_FIELDS: &[&str] = &[
    "name",
    "image",
    "imagePullPolicy",
    "command.[]",
    "args.[]",
    "env.[].name",
    "env.[].value",
    "env.[].valueFrom.configMapKeyRef.name",
    "env.[].valueFrom.configMapKeyRef.key",
    "env.[].valueFrom.configMapKeyRef.optional",
    "env.[].valueFrom.secretKeyRef.name",
    "env.[].valueFrom.secretKeyRef.key",
    "env.[].valueFrom.secretKeyRef.optional",
    "envFrom.[].prefix",
    "envFrom.[].configMapRef.name",
    "envFrom.[].configMapRef.optional",
    "envFrom.[].secretRef.name",
    "envFrom.[].secretRef.optional",
    "workingDir",
    "ports.[].containerPort",
    "ports.[].hostPort",
    "ports.[].hostIP",
    "ports.[].protocol",
    "ports.[].name",
    "volumeMounts.[].name",
    "volumeMounts.[].mountPath",
    "volumeMounts.[].readOnly",
    "resources.limits.memory",
    "resources.limits.cpu",
    "resources.requests.memory",
    "resources.requests.cpu",
    "securityContext.capabilities.add.[]",
    "securityContext.capabilities.drop.[]",
    "securityContext.privileged",
    "securityContext.readOnlyRootFilesystem",
    "securityContext.runAsUser",
    "securityContext.runAsGroup",
    "securityContext.allowPrivilegeEscalation",
    "securityContext.seccompProfile.type",
    "securityContext.seccompProfile.localhostProfile",
    "livenessProbe.exec.command.[]",
    "livenessProbe.periodSeconds",
    "livenessProbe.timeoutSeconds",
    "livenessProbe.failureThreshold",
    "livenessProbe.initialDelaySeconds",
    "tty",
    "stdin",
];

/// Fields of a pod spec that play applies.
const POD_SPEC_FIELDS: &[&str] = &[
    "hostname",
    "hostNetwork",
    "restartPolicy",
    "enableServiceLinks",
    "automountServiceAccountToken",
    "volumes.[].name",
    "volumes.[].hostPath.path",
    "volumes.[].hostPath.type",
    "volumes.[].emptyDir.medium",
    "volumes.[].emptyDir.sizeLimit",
    "volumes.[].persistentVolumeClaim.claimName",
    "volumes.[].persistentVolumeClaim.readOnly",
    "volumes.[].configMap.name",
    "volumes.[].configMap.items.[].key",
    "volumes.[].configMap.items.[].path",
    "volumes.[].configMap.optional",
    "volumes.[].configMap.defaultMode",
    "volumes.[].secret.secretName",
    "volumes.[].secret.items.[].key",
    "volumes.[].secret.items.[].path",
    "volumes.[].secret.optional",
    "volumes.[].secret.defaultMode",
    "securityContext.runAsUser",
    "securityContext.runAsGroup",
    "securityContext.seccompProfile.type",
    "securityContext.seccompProfile.localhostProfile",
];

const META_FIELDS: &[&str] = &["name", "labels.*", "annotations.*", "creationTimestamp"];

/// Every field of `doc` play applies, as patterns of path segments.
fn supported_patterns(kind: &str) -> Vec<Vec<String>> {
    let mut out: Vec<String> = vec!["apiVersion".into(), "kind".into(), "status.**".into()];
    let meta = |prefix: &str, out: &mut Vec<String>| {
        for f in META_FIELDS {
            out.push(format!("{prefix}{f}"));
        }
    };
    meta("metadata.", &mut out);
    let pod_spec = |prefix: &str, out: &mut Vec<String>| {
        for f in POD_SPEC_FIELDS {
            out.push(format!("{prefix}{f}"));
        }
        for list in ["containers", "initContainers"] {
            for f in CONTAINER_FIELDS {
                out.push(format!("{prefix}{list}.[].{f}"));
            }
        }
    };
    match kind {
        "Pod" => pod_spec("spec.", &mut out),
        "Deployment" => {
            out.push("spec.replicas".into());
            out.push("spec.selector.matchLabels.*".into());
            meta("spec.template.metadata.", &mut out);
            pod_spec("spec.template.spec.", &mut out);
        }
        "ConfigMap" => {
            out.push("data.*".into());
            out.push("immutable".into());
        }
        "Secret" => {
            out.push("data.*".into());
            out.push("stringData.*".into());
            out.push("type".into());
            out.push("immutable".into());
        }
        "PersistentVolumeClaim" => {
            out.push("spec.accessModes.[]".into());
            out.push("spec.resources.requests.storage".into());
            out.push("spec.volumeMode".into());
        }
        _ => {}
    }
    // Dotted keys (label names) are single segments: split only the pattern.
    out.iter()
        .map(|p| p.split('.').map(str::to_string).collect())
        .collect()
}

fn matches(pattern: &[String], path: &[String], leaf_is_empty: bool) -> bool {
    let mut i = 0;
    for (j, seg) in pattern.iter().enumerate() {
        if seg == "**" {
            return true;
        }
        match path.get(j) {
            Some(p) if seg == "*" || seg == p => i = j + 1,
            Some(_) => return false,
            None => return leaf_is_empty,
        }
    }
    i == path.len()
}

/// The fields of `doc` that play does not apply, as `a.b[].c` paths.
pub(crate) fn unsupported_fields(doc: &Document) -> Vec<String> {
    let patterns = supported_patterns(&doc.kind);
    let mut out = BTreeSet::new();
    fn walk(
        v: &serde_json::Value,
        path: &mut Vec<String>,
        patterns: &[Vec<String>],
        out: &mut BTreeSet<String>,
    ) {
        let leaf = |path: &Vec<String>, empty: bool, out: &mut BTreeSet<String>| {
            if !patterns.iter().any(|p| matches(p, path, empty)) {
                out.insert(path.join(".").replace(".[]", "[]"));
            }
        };
        match v {
            serde_json::Value::Object(m) if !m.is_empty() => {
                for (k, val) in m {
                    path.push(k.clone());
                    walk(val, path, patterns, out);
                    path.pop();
                }
            }
            serde_json::Value::Array(a) if !a.is_empty() => {
                for val in a {
                    path.push("[]".into());
                    walk(val, path, patterns, out);
                    path.pop();
                }
            }
            serde_json::Value::Object(_) | serde_json::Value::Array(_) => leaf(path, true, out),
            serde_json::Value::Null => leaf(path, true, out),
            _ => leaf(path, false, out),
        }
    }
    walk(&doc.value, &mut Vec::new(), &patterns, &mut out);
    out.into_iter().collect()
}

/// What play undoes when a step fails.
enum Made {
    Pod(String),
    Volume(String),
    Secret(String),
}

/// A pod to make: its name, metadata and spec.
struct PodPlan {
    name: String,
    meta: ObjectMeta,
    spec: core::PodSpec,
}

/// The values of ConfigMaps and Secrets, by name.
#[derive(Default)]
struct Values {
    configmaps: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    secrets: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}

fn secret_data(s: &core::Secret) -> BTreeMap<String, Vec<u8>> {
    let mut data: BTreeMap<String, Vec<u8>> = s
        .data
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect();
    for (k, v) in s.string_data.clone().unwrap_or_default() {
        data.insert(k, v.into_bytes());
    }
    data
}

fn configmap_data(c: &core::ConfigMap) -> BTreeMap<String, Vec<u8>> {
    let mut data: BTreeMap<String, Vec<u8>> = c
        .data
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    for (k, v) in c.binary_data.clone().unwrap_or_default() {
        data.insert(k, v.0);
    }
    data
}

impl Values {
    fn configmap(&self, name: &str, optional: bool) -> Result<Option<&BTreeMap<String, Vec<u8>>>> {
        match self.configmaps.get(name) {
            Some(m) => Ok(Some(m)),
            None if optional => Ok(None),
            None => Err(Error::InvalidArgument(format!(
                "ConfigMap {name:?} not found: give it in the YAML or with --configmap"
            ))),
        }
    }

    fn secret(
        &self,
        rt: &Runtime,
        name: &str,
        optional: bool,
    ) -> Result<Option<BTreeMap<String, Vec<u8>>>> {
        if let Some(m) = self.secrets.get(name) {
            return Ok(Some(m.clone()));
        }
        // An rpod secret holding a Kubernetes Secret (as play stores them).
        match rt.secret(name) {
            Ok(s) => {
                let value = rt.secret_value(&s.id)?;
                let text = String::from_utf8_lossy(&value);
                let parsed: core::Secret = serde_norway::from_str(&text).map_err(|_| {
                    Error::InvalidArgument(format!(
                        "secret {name:?} does not hold a Kubernetes Secret: it cannot be read by key"
                    ))
                })?;
                Ok(Some(secret_data(&parsed)))
            }
            Err(Error::NoSuchSecret(_)) if optional => Ok(None),
            Err(Error::NoSuchSecret(_)) => Err(Error::InvalidArgument(format!(
                "Secret {name:?} not found: give it in the YAML or create it with rpod secret create"
            ))),
            Err(e) => Err(e),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Runtime {
    /// Plays `yaml`. `dir` is the YAML file's directory (for `--build`);
    /// build output goes to `out`.
    pub fn kube_play(
        &self,
        yaml: &str,
        dir: Option<&Path>,
        opts: &KubePlayOptions,
        out: &mut dyn Write,
    ) -> Result<KubePlayReport> {
        let docs = super::parse_documents(yaml)?;
        let mut report = KubePlayReport::default();
        for d in &docs {
            if d.kind == "Service" {
                report.warnings.push(format!(
                    "kind Service {:?} is not applied: pods publish their hostPort ports themselves",
                    d.name
                ));
                continue;
            }
            if !KINDS.contains(&d.kind.as_str()) {
                return Err(Error::Unsupported(format!(
                    "kind {:?} ({:?}) is not supported by kube play: it applies {}",
                    d.kind,
                    d.name,
                    KINDS.join(", ")
                )));
            }
            if d.name.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "a {} document has no metadata.name",
                    d.kind
                )));
            }
            for f in unsupported_fields(d) {
                report.warnings.push(format!(
                    "{} {:?}: field {f} is not supported by kube play and is ignored",
                    d.kind, d.name
                ));
            }
        }
        let mut values = Values::default();
        for text in &opts.configmaps {
            for d in super::parse_documents(text)? {
                if d.kind != "ConfigMap" {
                    return Err(Error::InvalidArgument(format!(
                        "--configmap: a {} document where a ConfigMap was expected",
                        d.kind
                    )));
                }
                let c: core::ConfigMap = super::typed(&d)?;
                values.configmaps.insert(d.name.clone(), configmap_data(&c));
            }
        }
        let mut plans = Vec::new();
        let mut claims = Vec::new();
        let mut secrets = Vec::new();
        for d in &docs {
            match d.kind.as_str() {
                "ConfigMap" => {
                    let c: core::ConfigMap = super::typed(d)?;
                    values.configmaps.insert(d.name.clone(), configmap_data(&c));
                }
                "Secret" => {
                    let s: core::Secret = super::typed(d)?;
                    values.secrets.insert(d.name.clone(), secret_data(&s));
                    secrets.push((d.name.clone(), d.value.clone()));
                }
                "PersistentVolumeClaim" => {
                    let c: core::PersistentVolumeClaim = super::typed(d)?;
                    claims.push(c);
                }
                "Pod" => {
                    let p: core::Pod = super::typed(d)?;
                    let spec = p.spec.ok_or_else(|| {
                        Error::InvalidArgument(format!("Pod {:?} has no spec", d.name))
                    })?;
                    plans.push(PodPlan {
                        name: d.name.clone(),
                        meta: p.metadata,
                        spec,
                    });
                }
                "Deployment" => {
                    let dep: Deployment = super::typed(d)?;
                    let spec = dep.spec.ok_or_else(|| {
                        Error::InvalidArgument(format!("Deployment {:?} has no spec", d.name))
                    })?;
                    let pod_spec = spec.template.spec.ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "Deployment {:?} has no spec.template.spec",
                            d.name
                        ))
                    })?;
                    let mut meta = spec.template.metadata.unwrap_or_default();
                    if meta.labels.is_none() {
                        meta.labels = dep.metadata.labels.clone();
                    }
                    // One pod per replica, as Podman runs a Deployment.
                    for i in 0..super::deployment_replicas(&d.value) {
                        plans.push(PodPlan {
                            name: super::deployment_pod_name(&d.name, i),
                            meta: meta.clone(),
                            spec: pod_spec.clone(),
                        });
                    }
                }
                _ => {}
            }
        }
        if plans.is_empty() && claims.is_empty() && secrets.is_empty() {
            return Err(Error::InvalidArgument(
                "the YAML has no Pod, Deployment, PersistentVolumeClaim or Secret to play".into(),
            ));
        }
        // Checks before anything is made.
        let mut seen = BTreeSet::new();
        for p in &plans {
            if !seen.insert(p.name.clone()) {
                return Err(Error::InvalidArgument(format!(
                    "the YAML names the pod {:?} twice",
                    p.name
                )));
            }
            if !opts.replace && self.pod(&p.name).is_ok() {
                return Err(Error::InvalidArgument(format!(
                    "the pod name {:?} is already in use: remove it or use --replace",
                    p.name
                )));
            }
        }
        for c in &claims {
            let name = c.metadata.name.clone().unwrap_or_default();
            if self.volume_exists(&name)? {
                return Err(Error::InvalidArgument(format!(
                    "volume with name {name} already exists: volume already exists"
                )));
            }
        }
        for (name, _) in &secrets {
            if !opts.replace && self.secret_exists(name)? {
                return Err(Error::InvalidArgument(format!(
                    "secret {name:?} already exists: remove it or use --replace"
                )));
            }
        }
        let mut planned = Vec::new();
        for p in &plans {
            planned.push(self.plan_containers(p, &values, opts)?);
        }
        if opts.build {
            self.kube_build(&plans, dir, opts, out)?;
        }
        // Made in order; undone in reverse on failure.
        let mut made: Vec<Made> = Vec::new();
        let result = self.kube_make(
            &plans,
            planned,
            &claims,
            &secrets,
            opts,
            &mut made,
            &mut report,
        );
        if let Err(e) = result {
            for m in made.iter().rev() {
                match m {
                    Made::Pod(id) => {
                        if let Ok(pod) = self.pod(id) {
                            let _ = self.kube_remove_pod(&pod);
                        }
                    }
                    Made::Volume(name) => {
                        let _ = self.remove_volume(name, true);
                    }
                    Made::Secret(name) => {
                        let _ = self.remove_secret(name);
                    }
                }
            }
            return Err(e);
        }
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn kube_make(
        &self,
        plans: &[PodPlan],
        planned: Vec<PodParts>,
        claims: &[core::PersistentVolumeClaim],
        secrets: &[(String, serde_json::Value)],
        opts: &KubePlayOptions,
        made: &mut Vec<Made>,
        report: &mut KubePlayReport,
    ) -> Result<()> {
        for c in claims {
            let name = c.metadata.name.clone().unwrap_or_default();
            let annotations = c.metadata.annotations.clone().unwrap_or_default();
            let mut options = BTreeMap::new();
            let mut labels = c.metadata.labels.clone().unwrap_or_default();
            for (k, v) in &annotations {
                match k.as_str() {
                    "volume.podman.io/driver" if v == "local" => {}
                    "volume.podman.io/driver" => {
                        return Err(Error::Unsupported(format!(
                            "PersistentVolumeClaim {name:?}: volume driver {v:?} is not supported (only local)"
                        )))
                    }
                    "volume.podman.io/type" => {
                        options.insert("type".to_string(), v.clone());
                    }
                    "volume.podman.io/device" => {
                        options.insert("device".to_string(), v.clone());
                    }
                    "volume.podman.io/mount-options" => {
                        options.insert("o".to_string(), v.clone());
                    }
                    _ => {
                        // Other annotations stay with the volume, as labels.
                        labels.insert(k.clone(), v.clone());
                    }
                }
            }
            self.create_volume(Some(&name), labels, options, false)?;
            made.push(Made::Volume(name.clone()));
            report.volumes.push(name);
        }
        for (name, value) in secrets {
            if self.secret_exists(name)? {
                self.remove_secret(name)?;
            }
            let bytes = serde_json::to_vec(value).map_err(|source| Error::Json {
                context: "encoding a Secret".into(),
                source,
            })?;
            self.create_secret(name, &bytes, "", BTreeMap::new(), BTreeMap::new())?;
            made.push(Made::Secret(name.clone()));
            report.secrets.push(name.clone());
        }
        for (index, (plan, (inits, ctrs, ports, files))) in plans.iter().zip(planned).enumerate() {
            if opts.replace {
                if let Ok(old) = self.pod(&plan.name) {
                    self.kube_remove_pod(&old)?;
                }
            }
            let (network, networks) = play_network(&opts.networks, &plan.spec)?;
            let userns = match &opts.userns {
                Some(u) => crate::container::userns::UsernsOptions {
                    mode: Some(crate::container::userns::UsernsMode::parse(u)?),
                    ..Default::default()
                },
                None => Default::default(),
            };
            let pod = self.create_pod(PodCreateOptions {
                name: Some(plan.name.clone()),
                labels: plan.meta.labels.clone().unwrap_or_default(),
                hostname: plan.spec.hostname.clone(),
                infra: true,
                network,
                net: network::NetworkRequest {
                    networks,
                    // `--publish`, for every pod.
                    publish: opts.publish.clone(),
                    ports,
                    ip: static_one(&opts.static_ips, index, "ips"),
                    mac: static_one(&opts.static_macs, index, "macs"),
                    ..Default::default()
                },
                share_parent: true,
                userns,
                ..Default::default()
            })?;
            made.push(Made::Pod(pod.id.clone()));
            let pod_dir = self.paths.root.join("pods").join(&pod.id).join("kube");
            for f in &files {
                let dir = pod_dir.join(&f.volume);
                std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
                for (path, data, mode) in &f.files {
                    let target = dir.join(path);
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent)
                            .ctx(|| format!("creating {}", parent.display()))?;
                    }
                    std::fs::write(&target, data)
                        .ctx(|| format!("writing {}", target.display()))?;
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(*mode))
                        .ctx(|| format!("setting the mode of {}", target.display()))?;
                }
            }
            let fix = |mut o: CreateOptions| -> CreateOptions {
                o.pod = Some(pod.id.clone());
                for m in &mut o.mounts {
                    if let Some(vol) = m.source.as_ref().and_then(|s| {
                        s.to_str()
                            .and_then(|s| s.strip_prefix(FILE_VOLUME_MARK))
                            .map(str::to_string)
                    }) {
                        m.source = Some(pod_dir.join(vol));
                    }
                }
                o
            };
            let mut played = PlayedPod {
                id: pod.id.clone(),
                name: pod.name.clone(),
                ..Default::default()
            };
            // Init containers are Podman's `once` kind: the pod's first start runs them to
            // completion, in order, and removes them.
            let mut init_ids = Vec::new();
            for mut o in inits {
                o.init_container = Some(InitContainerType::Once);
                let c = self.create_container(fix(o))?;
                init_ids.push(c.id().to_string());
            }
            let mut ids = Vec::new();
            for o in ctrs {
                let c = self.create_container(fix(o))?;
                ids.push(c.id().to_string());
            }
            if opts.start {
                self.pod_start(&pod)?;
            }
            played.init_containers = init_ids;
            played.containers = ids;
            report.pods.push(played);
        }
        Ok(())
    }

    /// Stops and removes a pod with its containers' anonymous volumes.
    pub(crate) fn kube_remove_pod(&self, pod: &crate::pods::PodConfig) -> Result<Vec<String>> {
        // Podman's kube down (and --replace) stops the pods with no grace
        // period: a timeout of 0, SIGKILL at once.
        let _ = self.pod_stop(pod, Some(0));
        for mut c in self.pod_containers(pod)? {
            if !c.config().is_infra {
                c.remove_with_volumes(true, None, true)?;
            }
        }
        self.pod_remove(pod, true, None)
    }

    /// `--build`: each image with a directory of its name (holding a
    /// Containerfile or Dockerfile) in the context directory is built.
    fn kube_build(
        &self,
        plans: &[PodPlan],
        dir: Option<&Path>,
        opts: &KubePlayOptions,
        out: &mut dyn Write,
    ) -> Result<()> {
        let base = match (&opts.context_dir, dir) {
            (Some(d), _) => d.clone(),
            (None, Some(d)) => d.to_path_buf(),
            (None, None) => {
                std::env::current_dir().ctx(|| "reading the current directory".to_string())?
            }
        };
        let mut built = BTreeSet::new();
        for p in plans {
            for c in p
                .spec
                .init_containers
                .iter()
                .flatten()
                .chain(&p.spec.containers)
            {
                let Some(image) = &c.image else { continue };
                let last = image.rsplit('/').next().unwrap_or(image);
                let dir_name = last.split([':', '@']).next().unwrap_or(last);
                let ctx = base.join(dir_name);
                let has_file = ["Containerfile", "Dockerfile"]
                    .iter()
                    .any(|f| ctx.join(f).is_file());
                if !has_file || !built.insert(image.clone()) {
                    continue;
                }
                self.build(
                    crate::build::BuildOptions {
                        context: crate::build::ContextSource::Dir(ctx),
                        tags: vec![image.clone()],
                        ..Default::default()
                    },
                    out,
                )?;
            }
        }
        Ok(())
    }

    /// The create options of a pod's init containers and containers, the
    /// ports it publishes and the files of its configMap and secret volumes.
    fn plan_containers(
        &self,
        plan: &PodPlan,
        values: &Values,
        opts: &KubePlayOptions,
    ) -> Result<PodParts> {
        let spec = &plan.spec;
        if spec.containers.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "pod {:?} has no containers",
                plan.name
            )));
        }
        use crate::container::policy::RestartPolicyName as N;
        let policy = |name| RestartPolicy {
            name,
            max_retries: 0,
        };
        let restart: RestartPolicy = match spec.restart_policy.as_deref() {
            None | Some("Always") => policy(N::Always),
            Some("OnFailure") => policy(N::OnFailure),
            Some("Never") => policy(N::No),
            Some(other) => {
                return Err(Error::InvalidArgument(format!(
                    "pod {:?}: invalid restartPolicy {other:?} (Always, OnFailure or Never)",
                    plan.name
                )))
            }
        };
        let (mounts, files) = self.plan_volumes(plan, values)?;
        let annotations = plan.meta.annotations.clone().unwrap_or_default();
        let mut ports = Vec::new();
        let mut names = BTreeSet::new();
        let mut one = |c: &core::Container, init: bool| -> Result<CreateOptions> {
            if !names.insert(c.name.clone()) {
                return Err(Error::InvalidArgument(format!(
                    "pod {:?}: two containers are named {:?}",
                    plan.name, c.name
                )));
            }
            let mut o = self.plan_container(plan, c, values, opts, &mounts, &annotations)?;
            if !init {
                o.restart_policy = Some(restart);
            }
            for p in c.ports.iter().flatten() {
                let Some(host) = p.host_port else { continue };
                let proto = p.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase();
                let port = |n: i32, what: &str| {
                    u16::try_from(n).map_err(|_| {
                        Error::InvalidArgument(format!(
                            "pod {:?}: container {:?}: {what} {n} is not a port number",
                            plan.name, c.name
                        ))
                    })
                };
                ports.extend(network::port_mapping(
                    p.host_ip.as_deref().unwrap_or(""),
                    port(host, "hostPort")?,
                    port(p.container_port, "containerPort")?,
                    1,
                    &proto,
                )?);
            }
            Ok(o)
        };
        let mut inits = Vec::new();
        for c in spec.init_containers.iter().flatten() {
            inits.push(one(c, true)?);
        }
        let mut ctrs = Vec::new();
        for c in &spec.containers {
            ctrs.push(one(c, false)?);
        }
        Ok((inits, ctrs, ports, files))
    }

    /// The pod's volumes by name, as mounts (without destination).
    fn plan_volumes(
        &self,
        plan: &PodPlan,
        values: &Values,
    ) -> Result<(BTreeMap<String, MountSpec>, Vec<FileVolume>)> {
        let mut mounts = BTreeMap::new();
        let mut files = Vec::new();
        for v in plan.spec.volumes.iter().flatten() {
            let bad = |why: String| {
                Error::InvalidArgument(format!("pod {:?}: volume {:?}: {why}", plan.name, v.name))
            };
            let mut m = MountSpec {
                kind: MountKind::Bind,
                source: None,
                destination: String::new(),
                options: Vec::new(),
                volume: None,
                anonymous: false,
            };
            if let Some(h) = &v.host_path {
                let path = PathBuf::from(&h.path);
                if !path.is_absolute() {
                    return Err(bad(format!("hostPath {:?} is not absolute", h.path)));
                }
                match h.type_.as_deref().unwrap_or("") {
                    "" => {}
                    "DirectoryOrCreate" => {
                        if !path.exists() {
                            std::fs::create_dir_all(&path)
                                .ctx(|| format!("creating {}", path.display()))?;
                        }
                    }
                    "Directory" if path.is_dir() => {}
                    "FileOrCreate" => {
                        if !path.exists() {
                            std::fs::write(&path, b"")
                                .ctx(|| format!("creating {}", path.display()))?;
                        }
                    }
                    "File" if path.is_file() => {}
                    "Socket" | "CharDevice" | "BlockDevice" if path.exists() => {}
                    t @ ("Directory" | "File" | "Socket" | "CharDevice" | "BlockDevice") => {
                        return Err(bad(format!("hostPath {}: no {t} there", path.display())))
                    }
                    t => return Err(bad(format!("unknown hostPath type {t:?}"))),
                }
                m.source = Some(path);
            } else if let Some(e) = &v.empty_dir {
                match e.medium.as_deref().unwrap_or("") {
                    "Memory" => {
                        m.kind = MountKind::Tmpfs;
                        if let Some(size) = &e.size_limit {
                            m.options
                                .push(format!("size={}", quantity::parse(&size.0)? as u64));
                        }
                    }
                    "" => {
                        m.kind = MountKind::Volume;
                        m.anonymous = true;
                    }
                    other => {
                        return Err(bad(format!("emptyDir medium {other:?} is not supported")))
                    }
                }
            } else if let Some(c) = &v.persistent_volume_claim {
                m.kind = MountKind::Volume;
                crate::volumes::validate_volume_name(&c.claim_name)?;
                m.volume = Some(c.claim_name.clone());
                if c.read_only == Some(true) {
                    m.options.push("ro".into());
                }
            } else if let Some(c) = &v.config_map {
                let data = values.configmap(&c.name, c.optional.unwrap_or(false))?;
                let list = key_files(data, c.items.as_deref(), c.default_mode, 0o644)
                    .map_err(|e| bad(e.to_string()))?;
                files.push(FileVolume {
                    volume: v.name.clone(),
                    files: list,
                });
                m.source = Some(PathBuf::from(format!("{FILE_VOLUME_MARK}{}", v.name)));
                m.options.push("ro".into());
            } else if let Some(s) = &v.secret {
                let name = s.secret_name.clone().unwrap_or_default();
                let data = values.secret(self, &name, s.optional.unwrap_or(false))?;
                let list = key_files(data.as_ref(), s.items.as_deref(), s.default_mode, 0o644)
                    .map_err(|e| bad(e.to_string()))?;
                files.push(FileVolume {
                    volume: v.name.clone(),
                    files: list,
                });
                m.source = Some(PathBuf::from(format!("{FILE_VOLUME_MARK}{}", v.name)));
                m.options.push("ro".into());
            } else {
                return Err(Error::Unsupported(format!(
                    "pod {:?}: volume {:?}: only hostPath, emptyDir, persistentVolumeClaim, configMap and secret volumes are supported",
                    plan.name, v.name
                )));
            }
            mounts.insert(v.name.clone(), m);
        }
        Ok((mounts, files))
    }

    fn plan_container(
        &self,
        plan: &PodPlan,
        c: &core::Container,
        values: &Values,
        opts: &KubePlayOptions,
        volumes: &BTreeMap<String, MountSpec>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<CreateOptions> {
        let bad = |why: String| {
            Error::InvalidArgument(format!(
                "pod {:?}: container {:?}: {why}",
                plan.name, c.name
            ))
        };
        let image = c
            .image
            .clone()
            .filter(|i| !i.is_empty())
            .ok_or_else(|| bad("no image".into()))?;
        let mut env: Vec<String> = Vec::new();
        for from in c.env_from.iter().flatten() {
            let prefix = from.prefix.clone().unwrap_or_default();
            if let Some(r) = &from.config_map_ref {
                if let Some(data) = values.configmap(&r.name, r.optional.unwrap_or(false))? {
                    env.extend(data.iter().map(|(k, v)| format!("{prefix}{k}={}", text(v))));
                }
            }
            if let Some(r) = &from.secret_ref {
                if let Some(data) = values.secret(self, &r.name, r.optional.unwrap_or(false))? {
                    env.extend(data.iter().map(|(k, v)| format!("{prefix}{k}={}", text(v))));
                }
            }
        }
        for e in c.env.iter().flatten() {
            let value = match &e.value_from {
                None => Some(e.value.clone().unwrap_or_default()),
                Some(from) => {
                    if let Some(r) = &from.config_map_key_ref {
                        let optional = r.optional.unwrap_or(false);
                        match values.configmap(&r.name, optional)? {
                            Some(data) => match data.get(&r.key) {
                                Some(v) => Some(text(v)),
                                None if optional => None,
                                None => {
                                    return Err(bad(format!(
                                        "ConfigMap {:?} has no key {:?}",
                                        r.name, r.key
                                    )))
                                }
                            },
                            None => None,
                        }
                    } else if let Some(r) = &from.secret_key_ref {
                        let optional = r.optional.unwrap_or(false);
                        match values.secret(self, &r.name, optional)? {
                            Some(data) => match data.get(&r.key) {
                                Some(v) => Some(text(v)),
                                None if optional => None,
                                None => {
                                    return Err(bad(format!(
                                        "Secret {:?} has no key {:?}",
                                        r.name, r.key
                                    )))
                                }
                            },
                            None => None,
                        }
                    } else {
                        return Err(Error::Unsupported(format!(
                            "pod {:?}: container {:?}: env {:?}: only configMapKeyRef and secretKeyRef are supported in valueFrom",
                            plan.name, c.name, e.name
                        )));
                    }
                }
            };
            if let Some(v) = value {
                env.push(format!("{}={v}", e.name));
            }
        }
        let mut mounts = Vec::new();
        for vm in c.volume_mounts.iter().flatten() {
            let mut m = volumes.get(&vm.name).cloned().ok_or_else(|| {
                bad(format!(
                    "volumeMount {:?}: no such volume in the pod",
                    vm.name
                ))
            })?;
            if vm.sub_path.is_some() || vm.sub_path_expr.is_some() {
                return Err(Error::Unsupported(format!(
                    "pod {:?}: container {:?}: volumeMount {:?}: subPath is not supported",
                    plan.name, c.name, vm.name
                )));
            }
            m.destination = vm.mount_path.clone();
            if !m.destination.starts_with('/') {
                return Err(bad(format!(
                    "mountPath {:?} is not absolute",
                    vm.mount_path
                )));
            }
            if vm.read_only == Some(true) && !m.options.iter().any(|o| o == "ro") {
                m.options.push("ro".into());
            }
            mounts.push(m);
        }
        let mut resources = Resources::default();
        if let Some(r) = &c.resources {
            let limits = r.limits.clone().unwrap_or_default();
            let requests = r.requests.clone().unwrap_or_default();
            if let Some(m) = limits.get("memory") {
                resources.memory = Some(quantity::parse(&m.0)? as u64);
            }
            if let Some(cpu) = limits.get("cpu") {
                resources.cpus = Some(quantity::parse(&cpu.0)?);
            }
            if let Some(m) = requests.get("memory") {
                resources.memory_reservation = Some(quantity::parse(&m.0)? as u64);
            }
            if let Some(cpu) = requests.get("cpu") {
                let shares = (quantity::parse(&cpu.0)? * 1024.0) as u64;
                resources.cpu_shares = Some(shares.max(2));
            }
            if let (Some(m), Some(r)) = (resources.memory, resources.memory_reservation) {
                if r > m {
                    resources.memory_reservation = Some(m);
                }
            }
            resources.validate().map_err(|e| bad(e.to_string()))?;
        }
        let pod_sc = plan.spec.security_context.clone().unwrap_or_default();
        let sc = c.security_context.clone().unwrap_or_default();
        let uid = sc.run_as_user.or(pod_sc.run_as_user);
        let gid = sc.run_as_group.or(pod_sc.run_as_group);
        let user = match (uid, gid) {
            (Some(u), Some(g)) => Some(format!("{u}:{g}")),
            (Some(u), None) => Some(u.to_string()),
            (None, Some(g)) => Some(format!("0:{g}")),
            (None, None) => None,
        };
        let mut security_opts = Vec::new();
        if let Some(profile) = sc.seccomp_profile.or(pod_sc.seccomp_profile) {
            match profile.type_.as_str() {
                "Unconfined" => security_opts.push(SecurityOpt::Seccomp("unconfined".into())),
                "RuntimeDefault" => {}
                "Localhost" => {
                    let rel = profile.localhost_profile.ok_or_else(|| {
                        bad("a Localhost seccompProfile needs localhostProfile".into())
                    })?;
                    let path = opts.seccomp_profile_root.join(rel.trim_start_matches('/'));
                    security_opts.push(SecurityOpt::Seccomp(path.display().to_string()));
                }
                other => return Err(bad(format!("unknown seccompProfile type {other:?}"))),
            }
        }
        if sc.allow_privilege_escalation == Some(false) {
            security_opts.push(SecurityOpt::NoNewPrivileges(true));
        }
        let caps = sc.capabilities.clone().unwrap_or_default();
        let health = match &c.liveness_probe {
            None => HealthOptions::default(),
            Some(p) => {
                let cmd = p
                    .exec
                    .as_ref()
                    .and_then(|e| e.command.clone())
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        Error::Unsupported(format!(
                            "pod {:?}: container {:?}: only exec liveness probes are supported",
                            plan.name, c.name
                        ))
                    })?;
                let json = serde_json::to_string(&cmd).unwrap_or_default();
                HealthOptions {
                    cmd: Some(json),
                    interval: Some(format!("{}s", p.period_seconds.unwrap_or(10).max(1))),
                    timeout: Some(format!("{}s", p.timeout_seconds.unwrap_or(1).max(1))),
                    retries: Some(p.failure_threshold.unwrap_or(3).max(1) as u32),
                    start_period: p.initial_delay_seconds.map(|s| format!("{}s", s.max(0))),
                    ..Default::default()
                }
            }
        };
        let pull = match c.image_pull_policy.as_deref() {
            None | Some("IfNotPresent") => PullPolicy::Missing,
            Some("Always") => PullPolicy::Always,
            Some("Never") => PullPolicy::Never,
            Some(other) => return Err(bad(format!("invalid imagePullPolicy {other:?}"))),
        };
        // Annotations KEY/CONTAINER are this container's, and labels carried
        // as io.rpod.label.KEY/CONTAINER.
        let mut ctr_annotations = BTreeMap::new();
        let mut labels = BTreeMap::new();
        for (k, v) in annotations {
            let Some(key) = k.strip_suffix(&format!("/{}", c.name)) else {
                continue;
            };
            match key.strip_prefix(super::generate::LABEL_PREFIX) {
                Some(label) => {
                    labels.insert(label.to_string(), v.clone());
                }
                None => {
                    ctr_annotations.insert(key.to_string(), v.clone());
                }
            }
        }
        ctr_annotations.extend(opts.annotations.clone());
        Ok(CreateOptions {
            name: Some(format!("{}-{}", plan.name, c.name)),
            image: Some(image),
            pull,
            registry: opts.registry.clone(),
            no_hosts: opts.no_hosts,
            command: c.args.clone().unwrap_or_default(),
            entrypoint: c.command.clone().filter(|c| !c.is_empty()),
            env,
            workdir: c.working_dir.clone().filter(|w| !w.is_empty()),
            user,
            labels,
            annotations: ctr_annotations,
            privileged: sc.privileged.unwrap_or(false),
            read_only: sc.read_only_root_filesystem.unwrap_or(false),
            cap_add: caps.add.unwrap_or_default(),
            cap_drop: caps.drop.unwrap_or_default(),
            security_opts,
            resources,
            mounts,
            tty: c.tty.unwrap_or(false),
            interactive: c.stdin.unwrap_or(false),
            log_driver: opts.log_driver.clone(),
            log_max_size: parse_log_opts(&opts.log_options)?,
            health,
            passwd: true,
            ..Default::default()
        })
    }
}

/// The `index`-th pod's static address of `list` (`--ip`, `--mac-address`); with too few
/// given the pod gets one of the network's, with Podman's warning.
fn static_one(list: &[String], index: usize, what: &str) -> Option<String> {
    let one = list.get(index).cloned();
    if one.is_none() && !list.is_empty() {
        crate::diagnostics::warn(format_args!(
            "No more static {what} left using a random one"
        ));
    }
    one
}

/// A pod's init containers, containers, published ports (the YAML's
/// hostPorts) and file volumes.
type PodParts = (
    Vec<CreateOptions>,
    Vec<CreateOptions>,
    Vec<network::PortMapping>,
    Vec<FileVolume>,
);

/// A configMap or secret volume: files written under the pod's directory.
struct FileVolume {
    volume: String,
    /// Path inside the volume, content, mode.
    files: Vec<(String, Vec<u8>, u32)>,
}

/// Marks a bind source that is a file volume of the pod, resolved once the
/// pod (and its directory) exists.
const FILE_VOLUME_MARK: &str = "\u{0}kube-volume:";

fn key_files(
    data: Option<&BTreeMap<String, Vec<u8>>>,
    items: Option<&[core::KeyToPath]>,
    default_mode: Option<i32>,
    fallback: u32,
) -> Result<Vec<(String, Vec<u8>, u32)>> {
    let Some(data) = data else {
        return Ok(Vec::new());
    };
    let mode = default_mode.map(|m| (m as u32) & 0o777).unwrap_or(fallback);
    let check = |p: &str| -> Result<()> {
        if p.is_empty() || p.starts_with('/') || p.split('/').any(|s| s == "..") {
            return Err(Error::InvalidArgument(format!(
                "item path {p:?} must be relative and stay inside the volume"
            )));
        }
        Ok(())
    };
    match items {
        None => data
            .iter()
            .map(|(k, v)| {
                check(k)?;
                Ok((k.clone(), v.clone(), mode))
            })
            .collect(),
        Some(items) => items
            .iter()
            .map(|i| {
                check(&i.path)?;
                let v = data.get(&i.key).ok_or_else(|| {
                    Error::InvalidArgument(format!("no key {:?} to project", i.key))
                })?;
                Ok((
                    i.path.clone(),
                    v.clone(),
                    i.mode.map(|m| (m as u32) & 0o777).unwrap_or(mode),
                ))
            })
            .collect(),
    }
}

/// The pod's network mode and networks from `--network` and `hostNetwork`.
fn play_network(
    flags: &[String],
    spec: &core::PodSpec,
) -> Result<(network::NetworkMode, Vec<String>)> {
    if spec.host_network == Some(true) {
        if !flags.is_empty() {
            return Err(Error::InvalidArgument(
                "--network cannot be combined with a pod's hostNetwork".into(),
            ));
        }
        return Ok((network::NetworkMode::Host, Vec::new()));
    }
    match flags {
        [] => Ok((network::NetworkMode::Bridge, Vec::new())),
        [one] if matches!(one.as_str(), "none" | "host" | "bridge") => {
            let mode = match one.as_str() {
                "none" => network::NetworkMode::None,
                "host" => network::NetworkMode::Host,
                _ => network::NetworkMode::Bridge,
            };
            Ok((mode, Vec::new()))
        }
        many => Ok((network::NetworkMode::Bridge, many.to_vec())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_fields_are_named() {
        let docs = super::super::parse_documents(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app.kubernetes.io/name: x\nspec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: busybox\n    readinessProbe:\n      exec:\n        command: [true]\n    resources: {}\n",
        )
        .unwrap();
        assert_eq!(
            unsupported_fields(&docs[0]),
            vec![
                "spec.containers[].readinessProbe.exec.command[]".to_string(),
                "spec.nodeName".to_string()
            ]
        );
    }
}

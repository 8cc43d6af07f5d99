//! `kube generate`: containers, pods and volumes as Kubernetes documents.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use super::quantity;
use crate::container::policy::RestartPolicyName;
use crate::container::security::SeccompSource;
use crate::container::{Container, MountKind};
use crate::error::{Error, Result};
use crate::pods::PodConfig;
use crate::runtime::Runtime;

/// What kind of document holds the containers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KubeGenerateType {
    #[default]
    Pod,
    Deployment,
}

impl std::str::FromStr for KubeGenerateType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pod" => Ok(KubeGenerateType::Pod),
            "deployment" => Ok(KubeGenerateType::Deployment),
            _ => Err(Error::InvalidArgument(format!(
                "invalid type {s:?}: Kubernetes kind can only be \"pod\" or \"deployment\""
            ))),
        }
    }
}

/// `kube generate` flags.
#[derive(Debug, Clone, Default)]
pub struct KubeGenerateOptions {
    /// `-s`: a Service with the published ports beside each pod.
    pub service: bool,
    /// `--type`.
    pub kind: KubeGenerateType,
    /// `--replicas` (deployments only); `None` for 1.
    pub replicas: Option<u32>,
}

/// One output document.
#[derive(Serialize)]
#[serde(untagged)]
enum Doc {
    Pod(Box<core::Pod>),
    Deployment(Box<Deployment>),
    Service(Box<core::Service>),
    Claim(Box<core::PersistentVolumeClaim>),
}

/// The defaults that generate leaves out and play puts back.
const ENGINE_ENV: &[&str] = &["container", "HOSTNAME", "HOME"];

fn time(t: chrono::DateTime<chrono::Utc>) -> Time {
    // Whole seconds, as Kubernetes writes them.
    Time(chrono::DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t))
}

/// A name as a DNS label (lower case, `-` for anything else).
fn dns_label(text: &str) -> String {
    let mut out: String = text
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').to_string()
}

impl Runtime {
    /// Kubernetes YAML for `names` (containers, pods or volumes; containers
    /// outside a pod go together into one pod named after the first).
    pub fn kube_generate(&self, names: &[String], opts: &KubeGenerateOptions) -> Result<String> {
        if names.is_empty() {
            return Err(Error::InvalidArgument(
                "generate kube needs at least one container, pod or volume".into(),
            ));
        }
        if opts.replicas.is_some() && opts.kind != KubeGenerateType::Deployment {
            return Err(Error::InvalidArgument(
                "--replicas can only be set with --type=deployment".into(),
            ));
        }
        let mut pods: Vec<PodConfig> = Vec::new();
        let mut loose: Vec<Container<'_>> = Vec::new();
        let mut volumes = Vec::new();
        for name in names {
            match self.container(name) {
                Ok(c) => {
                    if c.config().is_infra {
                        return Err(Error::InvalidArgument(format!(
                            "{name}: an infra container cannot be generated on its own; generate its pod"
                        )));
                    }
                    match &c.config().pod {
                        Some(pod) => {
                            let pod = self.pod(pod)?;
                            if !pods.iter().any(|p| p.id == pod.id) {
                                pods.push(pod);
                            }
                        }
                        None => loose.push(c),
                    }
                    continue;
                }
                Err(Error::NoSuchContainer(_)) => {}
                Err(e) => return Err(e),
            }
            match self.pod(name) {
                Ok(pod) => {
                    if !pods.iter().any(|p| p.id == pod.id) {
                        pods.push(pod);
                    }
                    continue;
                }
                Err(Error::NoSuchPod(_)) => {}
                Err(e) => return Err(e),
            }
            match self.volume(name) {
                Ok(v) => volumes.push(v),
                Err(Error::NoSuchVolume(_)) => {
                    return Err(Error::InvalidArgument(format!(
                        "name or ID {name:?} not found: no container, pod or volume has it"
                    )))
                }
                Err(e) => return Err(e),
            }
        }
        let mut docs = Vec::new();
        for v in &volumes {
            docs.push(Doc::Claim(Box::new(self.volume_claim(v))));
        }
        let mut groups: Vec<(String, Option<PodConfig>, Vec<Container<'_>>)> = Vec::new();
        for pod in pods {
            let members = self.pod_members_for_kube(&pod)?;
            groups.push((pod.name.clone(), Some(pod), members));
        }
        if let Some(first) = loose.first() {
            let name = format!("{}-pod", first.name());
            groups.push((name, None, loose));
        }
        for (name, pod, members) in &groups {
            let (spec, ports) = self.pod_spec(pod.as_ref(), members)?;
            let mut labels = BTreeMap::from([("app".to_string(), dns_label(name))]);
            if let Some(p) = pod {
                labels.extend(p.labels.clone());
            }
            let created = pod
                .as_ref()
                .map(|p| p.created_at)
                .or_else(|| members.first().map(|c| c.config().created_at))
                .unwrap_or_default();
            let prefix = pod.as_ref().map(|p| format!("{}-", p.name));
            let annotations = pod_annotations(members, prefix.as_deref());
            let meta = ObjectMeta {
                name: Some(name.clone()),
                labels: Some(labels.clone()),
                annotations: (!annotations.is_empty()).then_some(annotations),
                creation_timestamp: Some(time(created)),
                ..Default::default()
            };
            if opts.service && !ports.is_empty() {
                docs.push(Doc::Service(Box::new(service(
                    name, &labels, &ports, created,
                ))));
            }
            match opts.kind {
                KubeGenerateType::Pod => docs.push(Doc::Pod(Box::new(core::Pod {
                    metadata: meta,
                    spec: Some(spec),
                    status: None,
                }))),
                KubeGenerateType::Deployment => {
                    let selector = BTreeMap::from([("app".to_string(), dns_label(name))]);
                    docs.push(Doc::Deployment(Box::new(Deployment {
                        metadata: ObjectMeta {
                            name: Some(format!("{name}-deployment")),
                            labels: Some(selector.clone()),
                            creation_timestamp: Some(time(created)),
                            ..Default::default()
                        },
                        spec: Some(DeploymentSpec {
                            replicas: Some(opts.replicas.unwrap_or(1) as i32),
                            selector: LabelSelector {
                                match_labels: Some(selector),
                                ..Default::default()
                            },
                            template: core::PodTemplateSpec {
                                metadata: Some(ObjectMeta {
                                    name: None,
                                    creation_timestamp: None,
                                    ..meta
                                }),
                                spec: Some(spec),
                            },
                            ..Default::default()
                        }),
                        status: None,
                    })))
                }
            }
        }
        let mut out = format!(
            "# Kubernetes YAML generated by rpod {}; apply it with kubectl create -f FILE.\n",
            env!("CARGO_PKG_VERSION")
        );
        out.push_str(&super::to_yaml(&docs)?);
        Ok(out)
    }

    /// A pod's containers without its infra container, oldest first.
    fn pod_members_for_kube(&self, pod: &PodConfig) -> Result<Vec<Container<'_>>> {
        let mut members: Vec<Container<'_>> = self
            .pod_containers(pod)?
            .into_iter()
            .filter(|c| !c.config().is_infra)
            .collect();
        members
            .sort_by(|a, b| (a.config().created_at, a.id()).cmp(&(b.config().created_at, b.id())));
        if members.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "pod {} has no containers besides its infra container: nothing to generate",
                pod.name
            )));
        }
        Ok(members)
    }

    fn volume_claim(&self, v: &crate::volumes::Volume) -> core::PersistentVolumeClaim {
        let mut annotations = BTreeMap::from([(
            "volume.podman.io/driver".to_string(),
            v.config.driver.clone(),
        )]);
        for (k, key) in [
            ("type", "volume.podman.io/type"),
            ("device", "volume.podman.io/device"),
            ("o", "volume.podman.io/mount-options"),
        ] {
            if let Some(val) = v.config.options.get(k) {
                annotations.insert(key.to_string(), val.clone());
            }
        }
        core::PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some(v.config.name.clone()),
                annotations: Some(annotations),
                labels: (!v.config.labels.is_empty()).then(|| v.config.labels.clone()),
                creation_timestamp: Some(time(v.config.created_at)),
                ..Default::default()
            },
            spec: Some(core::PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                resources: Some(core::VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".to_string(),
                        Quantity("1Gi".into()),
                    )])),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            status: None,
        }
    }

    /// The pod spec of `members`, and the ports published.
    fn pod_spec(
        &self,
        pod: Option<&PodConfig>,
        members: &[Container<'_>],
    ) -> Result<(core::PodSpec, Vec<network::PortMapping>)> {
        let ports = match pod.and_then(|p| p.infra_id.as_ref()) {
            Some(infra) => self.container(infra)?.config().net.ports.clone(),
            None => members
                .iter()
                .flat_map(|c| c.config().net.ports.clone())
                .collect(),
        };
        let mut volumes: Vec<core::Volume> = Vec::new();
        let prefix = pod.map(|p| format!("{}-", p.name));
        // Init containers (`--init-ctr`) go to initContainers, in the order they run.
        let mut init_containers = Vec::new();
        for c in members
            .iter()
            .filter(|c| c.config().init_container.is_some())
        {
            init_containers.push(self.kube_container(c, prefix.as_deref(), &[], &mut volumes)?);
        }
        let regular: Vec<&Container<'_>> = members
            .iter()
            .filter(|c| c.config().init_container.is_none())
            .collect();
        let members: Vec<&Container<'_>> = if regular.is_empty() {
            // A pod of init containers alone: they are its containers.
            init_containers.clear();
            members.iter().collect()
        } else {
            regular
        };
        let mut containers = Vec::new();
        for (i, c) in members.iter().enumerate() {
            let mine = if i == 0 { ports.as_slice() } else { &[] };
            containers.push(self.kube_container(c, prefix.as_deref(), mine, &mut volumes)?);
        }
        let policy = members
            .first()
            .map(|c| match c.config().restart_policy.name {
                RestartPolicyName::Always | RestartPolicyName::UnlessStopped => "Always",
                RestartPolicyName::OnFailure => "OnFailure",
                RestartPolicyName::No => "Never",
            })
            .unwrap_or("Never");
        let hostname = match pod {
            Some(p) if p.shares("uts") => Some(p.hostname.clone()),
            _ => members
                .first()
                .map(|c| c.config().hostname.clone())
                .filter(|h| !h.is_empty() && !members[0].id().starts_with(h.as_str())),
        };
        let host_network = members
            .first()
            .map(|c| c.config().network == network::NetworkMode::Host)
            .unwrap_or(false)
            || pod
                .and_then(|p| p.infra_id.as_ref())
                .and_then(|i| self.container(i).ok())
                .is_some_and(|c| c.config().network == network::NetworkMode::Host);
        Ok((
            core::PodSpec {
                containers,
                init_containers: (!init_containers.is_empty()).then_some(init_containers),
                hostname: hostname.filter(|h| !h.is_empty()),
                host_network: host_network.then_some(true),
                restart_policy: Some(policy.into()),
                volumes: (!volumes.is_empty()).then_some(volumes),
                enable_service_links: Some(false),
                automount_service_account_token: Some(false),
                ..Default::default()
            },
            ports,
        ))
    }

    fn kube_container(
        &self,
        c: &Container<'_>,
        prefix: Option<&str>,
        ports: &[network::PortMapping],
        volumes: &mut Vec<core::Volume>,
    ) -> Result<core::Container> {
        let cfg = c.config();
        let image_cfg = match &cfg.image_id {
            Some(id) => self.inspect_image(id).map(|i| i.config).unwrap_or_default(),
            None => serde_json::Value::Null,
        };
        let strings = |key: &str| -> Vec<String> {
            image_cfg[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let image_entrypoint = strings("Entrypoint");
        let image_cmd = strings("Cmd");
        let image_env = strings("Env");
        let image_name = cfg
            .image_id
            .as_ref()
            .and_then(|id| self.image(id).ok())
            .and_then(|i| i.names.first().cloned())
            .or_else(|| cfg.image_name.clone())
            .unwrap_or_default();
        // command replaces the image's entrypoint, args its cmd.
        let (command, args) = if cfg.entrypoint != image_entrypoint {
            (
                Some(cfg.entrypoint.clone()),
                (!cfg.cmd.is_empty()).then(|| cfg.cmd.clone()),
            )
        } else if cfg.cmd != image_cmd {
            if cfg.entrypoint.is_empty() {
                (Some(cfg.cmd.clone()), None)
            } else {
                (None, Some(cfg.cmd.clone()))
            }
        } else {
            (None, None)
        };
        let env: Vec<core::EnvVar> = cfg
            .env
            .iter()
            .filter(|e| !image_env.contains(e) && !self.config.containers.env.contains(e))
            .filter(|e| {
                let key = e.split('=').next().unwrap_or_default();
                !(ENGINE_ENV.contains(&key) || key == "TERM" && cfg.tty)
            })
            .map(|e| {
                let (k, v) = e.split_once('=').unwrap_or((e, ""));
                core::EnvVar {
                    name: k.to_string(),
                    value: Some(v.to_string()),
                    value_from: None,
                }
            })
            .collect();
        let image_workdir = image_cfg["WorkingDir"].as_str().unwrap_or_default();
        let working_dir =
            (!cfg.workdir.is_empty() && cfg.workdir != "/" && cfg.workdir != image_workdir)
                .then(|| cfg.workdir.clone());
        let ports: Vec<core::ContainerPort> = ports
            .iter()
            .flat_map(|p| {
                (0..p.range.max(1)).map(move |i| core::ContainerPort {
                    container_port: i32::from(p.container_port) + i32::from(i),
                    host_port: (p.host_port != 0).then(|| i32::from(p.host_port) + i32::from(i)),
                    host_ip: (!p.host_ip.is_empty()).then(|| p.host_ip.clone()),
                    protocol: Some(p.protocol.to_ascii_uppercase()),
                    name: None,
                })
            })
            .collect();
        let mut mounts = Vec::new();
        for m in &cfg.mounts {
            let read_only = m.options.iter().any(|o| o == "ro").then_some(true);
            let (name, source) = match m.kind {
                MountKind::Bind => {
                    let Some(src) = &m.source else { continue };
                    // The infra container's pause binary is rpod's own.
                    if cfg.is_infra {
                        continue;
                    }
                    let kind = if src.is_file() { "File" } else { "Directory" };
                    let name = format!(
                        "{}-host",
                        dns_label(&src.display().to_string())
                            .chars()
                            .take(57)
                            .collect::<String>()
                    );
                    let name = if name == "-host" {
                        "root-host".to_string()
                    } else {
                        name
                    };
                    (
                        name,
                        core::Volume {
                            host_path: Some(core::HostPathVolumeSource {
                                path: src.display().to_string(),
                                type_: Some(kind.into()),
                            }),
                            ..Default::default()
                        },
                    )
                }
                MountKind::Volume => {
                    let Some(vol) = &m.volume else { continue };
                    if m.anonymous {
                        // An anonymous volume lives as long as its container: an emptyDir.
                        (
                            format!("{}-empty", dns_label(&m.destination)),
                            core::Volume {
                                empty_dir: Some(core::EmptyDirVolumeSource::default()),
                                ..Default::default()
                            },
                        )
                    } else {
                        (
                            format!("{}-pvc", dns_label(vol)),
                            core::Volume {
                                persistent_volume_claim: Some(
                                    core::PersistentVolumeClaimVolumeSource {
                                        claim_name: vol.clone(),
                                        read_only: None,
                                    },
                                ),
                                ..Default::default()
                            },
                        )
                    }
                }
                MountKind::Tmpfs => (
                    format!("{}-tmpfs", dns_label(&m.destination)),
                    core::Volume {
                        empty_dir: Some(core::EmptyDirVolumeSource {
                            medium: Some("Memory".into()),
                            size_limit: m
                                .options
                                .iter()
                                .find_map(|o| o.strip_prefix("size="))
                                .and_then(|s| crate::container::options::parse_size(s).ok())
                                .map(|b| Quantity(quantity::memory(b))),
                        }),
                        ..Default::default()
                    },
                ),
                MountKind::Devpts => continue,
            };
            let name = if name.starts_with(|ch: char| ch.is_ascii_alphanumeric()) {
                name
            } else {
                format!("v{name}")
            };
            match volumes.iter().find(|v| v.name == name) {
                Some(existing)
                    if *existing
                        != (core::Volume {
                            name: name.clone(),
                            ..source.clone()
                        }) =>
                {
                    return Err(Error::InvalidArgument(format!(
                        "two different volumes would both be named {name:?} in the YAML"
                    )))
                }
                Some(_) => {}
                None => volumes.push(core::Volume {
                    name: name.clone(),
                    ..source
                }),
            }
            mounts.push(core::VolumeMount {
                name,
                mount_path: m.destination.clone(),
                read_only,
                ..Default::default()
            });
        }
        let mut limits = BTreeMap::new();
        if let Some(mem) = cfg.resources.memory {
            limits.insert("memory".to_string(), Quantity(quantity::memory(mem)));
        }
        let cpus = cfg.resources.cpus.or_else(|| {
            let quota = cfg.resources.cpu_quota.filter(|q| *q > 0)?;
            let period = cfg.resources.cpu_period.unwrap_or(100_000).max(1);
            Some(quota as f64 / period as f64)
        });
        if let Some(cpus) = cpus {
            limits.insert("cpu".to_string(), Quantity(quantity::cpu(cpus)));
        }
        let mut requests = BTreeMap::new();
        if let Some(mem) = cfg.resources.memory_reservation {
            requests.insert("memory".to_string(), Quantity(quantity::memory(mem)));
        }
        let resources =
            (!limits.is_empty() || !requests.is_empty()).then(|| core::ResourceRequirements {
                limits: (!limits.is_empty()).then_some(limits),
                requests: (!requests.is_empty()).then_some(requests),
                ..Default::default()
            });
        let caps = |list: &[String]| -> Option<Vec<String>> {
            let mut v: Vec<String> = list.to_vec();
            v.sort();
            v.dedup();
            (!v.is_empty()).then_some(v)
        };
        let (run_as_user, run_as_group) = {
            let (u, g) = cfg.user.split_once(':').unwrap_or((&cfg.user, ""));
            (u.parse::<i64>().ok(), g.parse::<i64>().ok())
        };
        let seccomp = match &cfg.security.seccomp {
            SeccompSource::Unconfined => Some(core::SeccompProfile {
                type_: "Unconfined".into(),
                localhost_profile: None,
            }),
            SeccompSource::File(path) => Some(core::SeccompProfile {
                type_: "Localhost".into(),
                localhost_profile: Some(path.display().to_string()),
            }),
            _ => None,
        };
        let capabilities = match (caps(&cfg.cap_add), caps(&cfg.cap_drop)) {
            (None, None) => None,
            (add, drop) => Some(core::Capabilities { add, drop }),
        };
        let security = core::SecurityContext {
            capabilities,
            privileged: cfg.privileged.then_some(true),
            read_only_root_filesystem: cfg.read_only.then_some(true),
            run_as_user,
            run_as_group,
            seccomp_profile: seccomp,
            allow_privilege_escalation: cfg.security.no_new_privileges.then_some(false),
            ..Default::default()
        };
        let liveness = cfg.health.as_ref().map(|h| core::Probe {
            exec: Some(core::ExecAction {
                command: Some(h.command()),
            }),
            period_seconds: Some(h.interval.as_secs().max(1) as i32),
            timeout_seconds: Some(h.timeout.as_secs().max(1) as i32),
            failure_threshold: Some(h.retries.max(1) as i32),
            initial_delay_seconds: (!h.start_period.is_zero())
                .then_some(h.start_period.as_secs() as i32),
            ..Default::default()
        });
        Ok(core::Container {
            name: kube_ctr_name(c, prefix),
            image: Some(image_name),
            command,
            args,
            env: (!env.is_empty()).then_some(env),
            working_dir,
            ports: (!ports.is_empty()).then_some(ports),
            volume_mounts: (!mounts.is_empty()).then_some(mounts),
            resources,
            security_context: (security != core::SecurityContext::default()).then_some(security),
            liveness_probe: liveness,
            tty: cfg.tty.then_some(true),
            stdin: cfg.interactive.then_some(true),
            ..Default::default()
        })
    }
}

/// The containers' labels and annotations as pod annotations, keyed
/// `KEY/CONTAINER` (labels under `io.rpod.label.KEY/CONTAINER`) so that
/// play gives each container its own back.
fn pod_annotations(members: &[Container<'_>], prefix: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for c in members {
        let name = kube_ctr_name(c, prefix);
        for (k, v) in &c.config().annotations {
            if k.contains('/') || k.starts_with("io.podman.annotations.") {
                continue;
            }
            out.insert(format!("{k}/{name}"), v.clone());
        }
        for (k, v) in &c.config().labels {
            if k.contains('/') {
                continue;
            }
            out.insert(format!("{LABEL_PREFIX}{k}/{name}"), v.clone());
        }
    }
    out
}

/// The annotation prefix that carries a container's label.
pub(crate) const LABEL_PREFIX: &str = "io.rpod.label.";

/// A container's name in the YAML: without its pod's `POD-` prefix.
fn kube_ctr_name(c: &Container<'_>, prefix: Option<&str>) -> String {
    match prefix {
        Some(p) => c.name().strip_prefix(p).unwrap_or(c.name()).to_string(),
        None => c.name().to_string(),
    }
}

fn service(
    name: &str,
    labels: &BTreeMap<String, String>,
    ports: &[network::PortMapping],
    created: chrono::DateTime<chrono::Utc>,
) -> core::Service {
    let mut out: Vec<core::ServicePort> = Vec::new();
    for p in ports {
        for i in 0..p.range.max(1) {
            let host = if p.host_port == 0 {
                p.container_port
            } else {
                p.host_port
            } + i;
            let proto = p.protocol.to_ascii_uppercase();
            out.push(core::ServicePort {
                name: Some(format!("{host}-{}", proto.to_ascii_lowercase())),
                port: i32::from(host),
                protocol: Some(proto),
                target_port: Some(IntOrString::Int(i32::from(p.container_port + i))),
                ..Default::default()
            });
        }
    }
    core::Service {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(BTreeMap::from([(
                "app".to_string(),
                labels.get("app").cloned().unwrap_or_default(),
            )])),
            creation_timestamp: Some(time(created)),
            ..Default::default()
        },
        spec: Some(core::ServiceSpec {
            ports: Some(out),
            selector: Some(BTreeMap::from([(
                "app".to_string(),
                labels.get("app").cloned().unwrap_or_default(),
            )])),
            type_: Some("NodePort".into()),
            ..Default::default()
        }),
        status: None,
    }
}

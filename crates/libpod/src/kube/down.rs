//! `kube down`: removes the pods (and secrets) `kube play` made from the
//! same YAML. Volumes are kept unless asked for.

use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// What down stopped and removed.
#[derive(Debug, Clone, Default)]
pub struct KubeDownReport {
    /// Pods stopped (IDs).
    pub stopped: Vec<String>,
    /// Pods removed (IDs).
    pub removed: Vec<String>,
    /// Secrets removed (IDs).
    pub secrets: Vec<String>,
    /// Volumes removed (names), with `volumes`.
    pub volumes: Vec<String>,
}

impl Runtime {
    /// Removes what `kube play` made from `yaml`: its pods with their
    /// containers, its secrets, and with `volumes` its PersistentVolumeClaims'
    /// volumes. A pod the YAML names that does not exist is an error, as are
    /// kinds play would refuse.
    pub fn kube_down(&self, yaml: &str, volumes: bool) -> Result<KubeDownReport> {
        let docs = super::parse_documents(yaml)?;
        let mut pods = Vec::new();
        for d in &docs {
            for name in super::pod_names_for(d) {
                pods.push(self.pod(&name)?);
            }
        }
        let mut report = KubeDownReport::default();
        for pod in &pods {
            report.stopped.push(pod.id.clone());
        }
        for pod in &pods {
            self.kube_remove_pod(pod)?;
            report.removed.push(pod.id.clone());
        }
        for d in docs.iter().filter(|d| d.kind == "Secret") {
            match self.secret(&d.name) {
                Ok(s) => {
                    self.remove_secret(&s.id)?;
                    report.secrets.push(s.id);
                }
                Err(Error::NoSuchSecret(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if volumes {
            for d in docs.iter().filter(|d| d.kind == "PersistentVolumeClaim") {
                match self.remove_volume(&d.name, true) {
                    Ok(_) => report.volumes.push(d.name.clone()),
                    Err(Error::NoSuchVolume(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(report)
    }
}

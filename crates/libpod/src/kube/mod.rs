//! Kubernetes YAML: `kube generate` (containers, pods and volumes as Pod,
//! Deployment, Service and PersistentVolumeClaim documents), `kube play`
//! (Pod, Deployment, ConfigMap, Secret and PersistentVolumeClaim documents
//! made into pods, containers, volumes and secrets through the engine's own
//! create operations) and `kube down` (the removal of what play made).
//!
//! The documents are `k8s-openapi`'s types for Kubernetes 1.30; YAML is
//! read and written with `serde_norway`. A field play cannot apply is named
//! in a warning (see [`play::unsupported_fields`]); a kind it cannot apply
//! is an error.

mod down;
mod generate;
mod play;
mod quantity;

use serde::Serialize;

use crate::error::{Error, Result};

pub use down::KubeDownReport;
pub use generate::{KubeGenerateOptions, KubeGenerateType};
pub use play::{KubePlayOptions, KubePlayReport, PlayedPod};

/// One document of a multi-document YAML stream, as JSON, with its kind.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub kind: String,
    pub name: String,
    pub value: serde_json::Value,
}

/// Splits a YAML stream into its documents (empty ones skipped).
pub(crate) fn parse_documents(yaml: &str) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    for (i, de) in serde_norway::Deserializer::from_str(yaml).enumerate() {
        let value: serde_json::Value = serde::Deserialize::deserialize(de).map_err(|e| {
            Error::InvalidArgument(format!(
                "reading the Kubernetes YAML (document {}): {e}",
                i + 1
            ))
        })?;
        if value.is_null() {
            continue;
        }
        if !value.is_object() {
            return Err(Error::InvalidArgument(format!(
                "reading the Kubernetes YAML (document {}): not a mapping",
                i + 1
            )));
        }
        let kind = value["kind"].as_str().unwrap_or_default().to_string();
        if kind.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "reading the Kubernetes YAML (document {}): it has no kind",
                i + 1
            )));
        }
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        docs.push(Document { kind, name, value });
    }
    if docs.is_empty() {
        return Err(Error::InvalidArgument(
            "the Kubernetes YAML has no documents".into(),
        ));
    }
    Ok(docs)
}

/// A typed document from its JSON form.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(doc: &Document) -> Result<T> {
    serde_json::from_value(doc.value.clone()).map_err(|e| {
        Error::InvalidArgument(format!(
            "reading the Kubernetes YAML: {} {:?}: {e}",
            doc.kind, doc.name
        ))
    })
}

/// Serializes documents as one YAML stream (`---` between them).
pub(crate) fn to_yaml<T: Serialize>(docs: &[T]) -> Result<String> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let text = serde_norway::to_string(d)
            .map_err(|e| Error::InvalidArgument(format!("writing Kubernetes YAML: {e}")))?;
        out.push_str(&quote_timestamps(&text));
    }
    Ok(out)
}

/// Quotes `creationTimestamp` values: YAML 1.1 readers (PyYAML, hence the
/// schema validators) would otherwise read them as timestamps, not strings.
fn quote_timestamps(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        let trimmed = line.trim_start();
        match trimmed.strip_prefix("creationTimestamp: ") {
            Some(v) if !v.starts_with(['\'', '"']) && v != "null" => {
                let indent = &line[..line.len() - trimmed.len()];
                out.push_str(&format!("{indent}creationTimestamp: \"{v}\""));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The names of the pods `kube play` makes for a document: a Pod's own, and for a
/// Deployment one per replica, `NAME-pod-0`, `NAME-pod-1`, … (Podman's names).
pub(crate) fn pod_names_for(doc: &Document) -> Vec<String> {
    match doc.kind.as_str() {
        "Pod" => vec![doc.name.clone()],
        "Deployment" => (0..deployment_replicas(&doc.value))
            .map(|i| deployment_pod_name(&doc.name, i))
            .collect(),
        _ => Vec::new(),
    }
}

/// `spec.replicas` of a Deployment (1 when not given).
pub(crate) fn deployment_replicas(doc: &serde_json::Value) -> u32 {
    doc["spec"]["replicas"]
        .as_u64()
        .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// The name of a Deployment's pod number `i`.
pub(crate) fn deployment_pod_name(deployment: &str, i: u32) -> String {
    format!("{deployment}-pod-{i}")
}

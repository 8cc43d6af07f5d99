//! Building the OCI image config and manifest of locally created images.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use oci_spec::image::{
    Arch, Descriptor, Digest, HistoryBuilder, ImageConfiguration, ImageConfigurationBuilder,
    ImageManifestBuilder, MediaType, Os, RootFsBuilder,
};

use crate::digest::SHA256_PREFIX;
use crate::error::Result;
use crate::layer::Layer;
use crate::options::{CommitOptions, ImportOptions};

/// The GOARCH name of the architecture this binary runs on.
pub(crate) fn host_architecture() -> Arch {
    let little_endian = cfg!(target_endian = "little");
    let goarch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if little_endian => "ppc64le",
        "powerpc64" => "ppc64",
        "mips64" if little_endian => "mips64le",
        "loongarch64" => "loong64",
        other => other,
    };
    Arch::from(goarch)
}

/// The config JSON of an image made of `layers`: host architecture, linux, the caller's
/// execution config, the layers' diff IDs and one history entry per layer.
pub(crate) fn image_config(
    opts: &ImportOptions,
    layers: &[Layer],
    created: DateTime<Utc>,
) -> Result<Vec<u8>> {
    let created = go_rfc3339(created);
    let mut history = HistoryBuilder::default().created(created.clone());
    if let Some(created_by) = &opts.created_by {
        history = history.created_by(created_by.clone());
    }
    if let Some(comment) = &opts.comment {
        history = history.comment(comment.clone());
    }
    let history = history.build()?;
    let rootfs = RootFsBuilder::default()
        .typ("layers")
        .diff_ids(layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>())
        .build()?;
    let mut config = ImageConfigurationBuilder::default()
        .created(created)
        .architecture(
            opts.architecture
                .as_deref()
                .map(Arch::from)
                .unwrap_or_else(host_architecture),
        )
        .os(opts.os.as_deref().map(Os::from).unwrap_or(Os::Linux))
        .config(opts.config.clone())
        .rootfs(rootfs)
        .history(vec![history; layers.len()])
        .build()?;
    if let Some(v) = &opts.variant {
        config.set_variant(Some(v.clone()));
    }
    Ok(config.to_string()?.into_bytes())
}

/// The config JSON of a committed image: the base image's config with `opts.config`, the
/// new layer's diff ID (if the container changed anything) and one more history entry.
pub(crate) fn commit_config(
    base: &ImageConfiguration,
    opts: &CommitOptions,
    new_diff_id: Option<&str>,
    created: DateTime<Utc>,
) -> Result<Vec<u8>> {
    let created = go_rfc3339(created);
    let mut history = HistoryBuilder::default().created(created.clone());
    if let Some(created_by) = &opts.created_by {
        history = history.created_by(created_by.clone());
    }
    if let Some(comment) = &opts.comment {
        history = history.comment(comment.clone());
    }
    if let Some(author) = &opts.author {
        history = history.author(author.clone());
    }
    let mut config = base.clone();
    config.set_created(Some(created));
    config.set_author(opts.author.clone());
    config.set_config(Some(opts.config.clone()));
    // Squashed: the one new layer is the whole image, with one history entry.
    let squashed = opts.squash_root.is_some();
    let mut diff_ids = if squashed {
        Vec::new()
    } else {
        config.rootfs().diff_ids().clone()
    };
    if let Some(d) = new_diff_id {
        diff_ids.push(d.to_string());
    } else {
        history = history.empty_layer(true);
    }
    config.rootfs_mut().set_diff_ids(diff_ids);
    if squashed {
        config.set_history(vec![history.build()?]);
    } else {
        config.history_mut().push(history.build()?);
    }
    Ok(config.to_string()?.into_bytes())
}

/// The OCI manifest JSON for a config blob with sha256 `config_hex` and uncompressed layers.
pub(crate) fn image_manifest(config: &[u8], config_hex: &str, layers: &[Layer]) -> Result<Vec<u8>> {
    let config_descriptor = Descriptor::new(
        MediaType::ImageConfig,
        config.len() as u64,
        Digest::from_str(&format!("{SHA256_PREFIX}{config_hex}"))?,
    );
    let layer_descriptors = layers
        .iter()
        .map(|layer| {
            Ok(Descriptor::new(
                MediaType::ImageLayer,
                layer.tar_size,
                Digest::from_str(&layer.diff_id)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config_descriptor)
        .layers(layer_descriptors)
        .build()?;
    Ok(manifest.to_string()?.into_bytes())
}

/// One layer of a manifest built by [`build_manifest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestLayer {
    /// The layer's media type, e.g. `application/vnd.oci.image.layer.v1.tar`.
    pub media_type: String,
    /// `sha256:<hex>` of the blob.
    pub digest: String,
    /// Length of the blob.
    pub size: u64,
}

/// An OCI manifest JSON for `config` and `layers`, byte-identical to what the store writes for
/// images it creates itself when the layers are plain tar streams.
pub fn build_manifest(config: &[u8], layers: &[ManifestLayer]) -> Result<Vec<u8>> {
    let config_descriptor = Descriptor::new(
        MediaType::ImageConfig,
        config.len() as u64,
        Digest::from_str(&format!(
            "{SHA256_PREFIX}{}",
            crate::digest::sha256_hex(config)
        ))?,
    );
    let layer_descriptors = layers
        .iter()
        .map(|layer| {
            Ok(Descriptor::new(
                MediaType::from(layer.media_type.as_str()),
                layer.size,
                Digest::from_str(&layer.digest)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config_descriptor)
        .layers(layer_descriptors)
        .build()?;
    Ok(manifest.to_string()?.into_bytes())
}

/// A time as Go's `time.RFC3339Nano` prints it (the form Docker and Podman
/// write in image configs and show in inspect): UTC, `Z`, and the fraction
/// of a second without trailing zeros (none when it is zero).
pub fn go_rfc3339(t: DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S");
    match t.timestamp_subsec_nanos() {
        0 => format!("{base}Z"),
        nanos => {
            let frac = format!("{nanos:09}");
            format!("{base}.{}Z", frac.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::image::{ConfigBuilder, ImageConfiguration, ImageManifest};

    fn layer() -> Layer {
        Layer {
            chain_id: "ab".repeat(32),
            diff_id: format!("sha256:{}", "ab".repeat(32)),
            parent: None,
            size: 10,
            tar_size: 2048,
            created: Utc::now(),
        }
    }

    #[test]
    fn config_describes_the_import() {
        let opts = ImportOptions {
            names: vec![],
            config: ConfigBuilder::default()
                .cmd(vec!["/bin/sh".to_string()])
                .build()
                .unwrap(),
            comment: Some("imported".into()),
            created_by: Some("rpod import".into()),
            created: None,
            ..ImportOptions::default()
        };
        let bytes = image_config(&opts, &[layer()], Utc::now()).unwrap();
        let config: ImageConfiguration = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(config.os(), &Os::Linux);
        assert_eq!(config.architecture(), &host_architecture());
        assert_eq!(config.rootfs().typ(), "layers");
        assert_eq!(config.rootfs().diff_ids(), &vec![layer().diff_id]);
        assert_eq!(config.history()[0].comment().as_deref(), Some("imported"));
        assert_eq!(
            config.config().as_ref().unwrap().cmd(),
            &Some(vec!["/bin/sh".to_string()])
        );
        if cfg!(target_arch = "x86_64") {
            assert_eq!(host_architecture(), Arch::Amd64);
        }
    }

    #[test]
    fn built_manifest_matches_the_stored_one() {
        let config = b"{}";
        let stored = image_manifest(config, &sha256_hex_of(config), &[layer()]).unwrap();
        let built = build_manifest(
            config,
            &[ManifestLayer {
                media_type: "application/vnd.oci.image.layer.v1.tar".into(),
                digest: layer().diff_id,
                size: 2048,
            }],
        )
        .unwrap();
        assert_eq!(stored, built);
    }

    fn sha256_hex_of(data: &[u8]) -> String {
        crate::digest::sha256_hex(data)
    }

    #[test]
    fn manifest_references_config_and_layers() {
        let bytes = image_manifest(b"{}", &"cd".repeat(32), &[layer()]).unwrap();
        let manifest: ImageManifest = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(manifest.schema_version(), 2);
        assert_eq!(manifest.config().size(), 2);
        assert_eq!(manifest.layers()[0].size(), 2048);
        assert_eq!(manifest.layers()[0].digest().to_string(), layer().diff_id);
    }
}

#[cfg(test)]
mod go_time_tests {
    use super::go_rfc3339;
    use chrono::TimeZone;

    #[test]
    fn fractions_lose_trailing_zeros_as_go_prints_them() {
        let t = chrono::Utc
            .timestamp_opt(1_764_400_000, 258_500_890)
            .unwrap();
        assert_eq!(go_rfc3339(t), "2025-11-29T07:06:40.25850089Z");
        let whole = chrono::Utc.timestamp_opt(1_764_400_000, 0).unwrap();
        assert_eq!(go_rfc3339(whole), "2025-11-29T07:06:40Z");
    }
}

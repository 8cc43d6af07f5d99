//! Talking to registries with `oci-client`: pull, push, login.
//!
//! Pulls fetch the manifest (choosing the host's platform, or the requested one, from a
//! manifest list or index), check the config against it before fetching any layer, download
//! the missing layer blobs in parallel into a staging directory (each cut off as soon as it
//! exceeds its declared size, and verified against its digest), then hand everything to the
//! store, which checks again and writes the image record last.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{StreamExt, TryStreamExt};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::auth;
use super::progress::{short_digest, Progress};
use super::registries::RegistriesConf;
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// Manifest media types accepted from registries.
const ACCEPTED_MANIFESTS: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
/// Blobs downloaded at the same time.
const PARALLEL_DOWNLOADS: usize = 4;

/// Errors of registry operations (carried by [`Error::Registry`]).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry client failed (network, HTTP status, authentication, digest check).
    #[error("{0}")]
    Client(#[from] oci_client::errors::OciDistributionError),
    /// The registry sent something malformed or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// A blob is larger than declared.
    #[error("blob {digest}: the registry sent more than the {declared} bytes declared")]
    TooLarge {
        /// The blob.
        digest: String,
        /// Its declared size.
        declared: u64,
    },
}

fn registry_error(context: String, err: impl Into<RegistryError>) -> Error {
    Error::Registry {
        context,
        source: err.into(),
    }
}

/// The platform to pick from a manifest list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// e.g. `linux`.
    pub os: String,
    /// GOARCH name, e.g. `amd64`.
    pub arch: String,
    /// e.g. `v8`.
    pub variant: Option<String>,
}

impl Platform {
    /// The host's platform.
    pub fn host() -> Platform {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform {
            os: "linux".into(),
            arch: arch.into(),
            variant: None,
        }
    }

    /// Parses `os/arch[/variant]`.
    pub fn parse(text: &str) -> Result<Platform> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: Some(variant.to_string()),
            }),
            _ => Err(Error::InvalidArgument(format!(
                "invalid platform {text:?}: expected OS/ARCH[/VARIANT]"
            ))),
        }
    }
}

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// `--tls-verify`: `Some(false)` talks plain HTTP / accepts any certificate.
    pub tls_verify: Option<bool>,
    /// `--authfile`.
    pub authfile: Option<PathBuf>,
    /// `--creds USER:PASS`.
    pub creds: Option<String>,
    /// `--platform` / `--os` / `--arch` / `--variant`.
    pub platform: Option<Platform>,
    /// `--cert-dir`: the TLS certificates for the registry (else the per-host
    /// `certs.d` directories).
    pub cert_dir: Option<PathBuf>,
}

/// The directories whose certificates a registry `host` is trusted with: `cert_dir` when
/// given, else `HOST` under `$HOME/.config/containers/certs.d` (rootless),
/// `/etc/containers/certs.d` and `/etc/docker/certs.d`, as containers/image looks.
fn cert_dirs(host: &str, cert_dir: Option<&std::path::Path>) -> Vec<PathBuf> {
    if let Some(d) = cert_dir {
        return vec![d.to_path_buf()];
    }
    let mut dirs = Vec::new();
    if crate::rootless::is_rootless() {
        if let Some(home) = std::env::var_os("HOME") {
            dirs.push(
                PathBuf::from(home)
                    .join(".config/containers/certs.d")
                    .join(host),
            );
        }
    }
    dirs.push(PathBuf::from("/etc/containers/certs.d").join(host));
    dirs.push(PathBuf::from("/etc/docker/certs.d").join(host));
    dirs
}

/// The CA certificates (`*.crt`, PEM) of the certificate directories for `host`. A client
/// certificate pair (`*.cert` with `*.key`) is refused: the registry client cannot present
/// one.
fn registry_roots(
    host: &str,
    cert_dir: Option<&std::path::Path>,
) -> Result<Vec<oci_client::client::Certificate>> {
    let mut roots = Vec::new();
    for dir in cert_dirs(host, cert_dir) {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && cert_dir.is_none() => continue,
            Err(source) => {
                return Err(Error::Io {
                    context: format!("reading the certificate directory {}", dir.display()),
                    source,
                })
            }
        };
        let mut names: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        names.sort();
        for path in names {
            match path.extension().and_then(|e| e.to_str()) {
                Some("crt") => {
                    let data = std::fs::read(&path).map_err(|source| Error::Io {
                        context: format!("reading {}", path.display()),
                        source,
                    })?;
                    roots.push(oci_client::client::Certificate {
                        encoding: oci_client::client::CertificateEncoding::Pem,
                        data,
                    });
                }
                Some("cert") | Some("key") => {
                    return Err(Error::Unsupported(format!(
                        "{}: client certificates for registries are not supported yet (only CA certificates, *.crt)",
                        path.display()
                    )))
                }
                _ => {}
            }
        }
    }
    Ok(roots)
}

/// Docker's distribution inspect: the manifest's descriptor and the
/// platforms it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    /// Each as OCI writes a platform (`architecture`, `os`, `variant`,
    /// `os.version`, `os.features`, `features`), the keys present kept.
    pub platforms: Vec<Value>,
}

/// The platform fields of a manifest list entry or an image config.
fn platform_doc(v: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in [
        "architecture",
        "os",
        "os.version",
        "os.features",
        "variant",
        "features",
    ] {
        if let Some(x) = v.get(key).filter(|x| !x.is_null()) {
            out.insert(key.to_string(), x.clone());
        }
    }
    Value::Object(out)
}

/// What a pull fetched from the registry, ready for the store.
pub(crate) struct Fetched {
    pub manifest: Vec<u8>,
    pub config: Vec<u8>,
    pub layer_files: Vec<Option<PathBuf>>,
}

/// A connection to one registry.
pub(crate) struct Session {
    client: Client,
    auth: RegistryAuth,
    rt: tokio::runtime::Runtime,
}

impl Session {
    /// A client for `host`, with credentials from `--creds` or the auth file.
    pub(crate) fn new(
        host: &str,
        opts: &RegistryOptions,
        conf: &RegistriesConf,
    ) -> Result<Session> {
        let insecure = opts.tls_verify == Some(false) || conf.is_insecure(host);
        let config = ClientConfig {
            protocol: if insecure {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            accept_invalid_certificates: insecure,
            extra_root_certificates: registry_roots(host, opts.cert_dir.as_deref())?,
            max_concurrent_download: PARALLEL_DOWNLOADS,
            user_agent: "rpod",
            ..Default::default()
        };
        let auth = match &opts.creds {
            Some(creds) => {
                let (user, pass) = auth::parse_creds(creds)?;
                RegistryAuth::Basic(user, pass)
            }
            None => {
                let path = opts
                    .authfile
                    .clone()
                    .unwrap_or_else(auth::default_auth_file);
                match auth::lookup(&path, host)? {
                    Some((user, pass)) => RegistryAuth::Basic(user, pass),
                    None => RegistryAuth::Anonymous,
                }
            }
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| Error::Io {
                context: "starting the registry client".into(),
                source,
            })?;
        // rustls's ring provider, installed once per process before the
        // first client (a second install by another thread is harmless).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Session {
            client: Client::new(config),
            auth,
            rt,
        })
    }

    /// Checks the credentials against the registry (`/v2/_catalog` needs them).
    pub(crate) fn login(&self, host: &str) -> Result<()> {
        let reference = Reference::with_tag(host.into(), "rpod-login".into(), "latest".into());
        self.rt
            .block_on(self.client.catalog(&reference, &self.auth, Some(1), None))
            .map(|_| ())
            .map_err(|e| registry_error(format!("logging in to {host}"), e))
    }

    /// Every repository of the registry's catalog (`/v2/_catalog`, page by
    /// page), up to `max`.
    pub(crate) fn catalog(&self, host: &str, max: usize) -> Result<Vec<String>> {
        const PAGE: usize = 100;
        let reference = Reference::with_tag(host.into(), "rpod-search".into(), "latest".into());
        let mut out: Vec<String> = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let page = self
                .rt
                .block_on(
                    self.client
                        .catalog(&reference, &self.auth, Some(PAGE), last.as_deref()),
                )
                .map_err(|e| registry_error(format!("listing the catalog of {host}"), e))?;
            let n = page.repositories.len();
            last = page.repositories.last().cloned();
            out.extend(page.repositories);
            if n < PAGE || out.len() >= max || last.is_none() {
                break;
            }
        }
        out.truncate(max);
        Ok(out)
    }

    /// The tags of `reference`'s repository.
    pub(crate) fn tags(&self, reference: &Reference) -> Result<Vec<String>> {
        self.rt
            .block_on(self.client.list_tags(reference, &self.auth, None, None))
            .map(|t| t.tags)
            .map_err(|e| registry_error(format!("listing the tags of {reference}"), e))
    }

    /// The digest of the manifest `reference` designates for `platform` (resolving lists).
    pub(crate) fn remote_digest(
        &self,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<String> {
        let (_, digest) = self.manifest(reference, platform)?;
        Ok(digest)
    }

    /// What the registry has under `reference`, without pulling layers:
    /// the top manifest's descriptor and the platforms it serves (every
    /// entry of a list, or the one image's config platform).
    pub(crate) fn distribution(&self, reference: &Reference) -> Result<Distribution> {
        let context = || format!("fetching the manifest of {reference}");
        let (bytes, digest) = self
            .fetch_manifest(reference)
            .map_err(|e| registry_error(context(), e))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            registry_error(
                context(),
                RegistryError::Invalid(format!("manifest is not JSON: {e}")),
            )
        })?;
        let media_type = value
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or(if value.get("manifests").is_some() {
                "application/vnd.oci.image.index.v1+json"
            } else {
                "application/vnd.oci.image.manifest.v1+json"
            })
            .to_string();
        let platforms = match value.get("manifests").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .filter_map(|m| m.get("platform"))
                .map(platform_doc)
                .collect(),
            None => {
                let desc =
                    descriptor(value.get("config")).map_err(|e| registry_error(context(), e))?;
                if desc.size < 0 || desc.size as u64 > storage::MAX_CONFIG_SIZE {
                    return Err(registry_error(
                        context(),
                        RegistryError::Invalid(format!(
                            "config {} declares {} bytes (limit {})",
                            desc.digest,
                            desc.size,
                            storage::MAX_CONFIG_SIZE
                        )),
                    ));
                }
                let mut config = Vec::new();
                self.rt
                    .block_on(self.client.pull_blob(
                        reference,
                        &desc,
                        LimitedWriter::new(&mut config, &desc.digest, desc.size as u64, None),
                    ))
                    .map_err(|e| registry_error(context(), e))?;
                let config: Value = serde_json::from_slice(&config).map_err(|e| {
                    registry_error(
                        context(),
                        RegistryError::Invalid(format!("image config is not JSON: {e}")),
                    )
                })?;
                vec![platform_doc(&config)]
            }
        };
        Ok(Distribution {
            media_type,
            digest,
            size: bytes.len() as u64,
            platforms,
        })
    }

    /// Fetches the image manifest (resolving a list to `platform`) and its digest.
    fn manifest(&self, reference: &Reference, platform: &Platform) -> Result<(Vec<u8>, String)> {
        let context = || format!("fetching the manifest of {reference}");
        let (bytes, digest) = self
            .fetch_manifest(reference)
            .map_err(|e| registry_error(context(), e))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            registry_error(
                context(),
                RegistryError::Invalid(format!("manifest is not JSON: {e}")),
            )
        })?;
        if value.get("manifests").is_none() {
            return Ok((bytes, digest));
        }
        let chosen = choose_platform(&value, platform).ok_or_else(|| {
            registry_error(
                context(),
                RegistryError::Invalid(format!(
                    "no image for {}/{}{} in the manifest list",
                    platform.os,
                    platform.arch,
                    platform
                        .variant
                        .as_deref()
                        .map(|v| format!("/{v}"))
                        .unwrap_or_default()
                )),
            )
        })?;
        let by_digest = reference.clone_with_digest(chosen);
        self.fetch_manifest(&by_digest)
            .map_err(|e| registry_error(context(), e))
    }

    /// One manifest, verified against the digest it was asked by (if any).
    fn fetch_manifest(
        &self,
        reference: &Reference,
    ) -> std::result::Result<(Vec<u8>, String), RegistryError> {
        let (bytes, digest) = self.rt.block_on(self.client.pull_manifest_raw(
            reference,
            &self.auth,
            ACCEPTED_MANIFESTS,
        ))?;
        if bytes.len() as u64 > storage::MAX_MANIFEST_SIZE {
            return Err(RegistryError::Invalid(format!(
                "manifest of {} bytes is larger than the limit of {}",
                bytes.len(),
                storage::MAX_MANIFEST_SIZE
            )));
        }
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if let Some(wanted) = reference.digest() {
            if wanted != actual {
                return Err(RegistryError::Invalid(format!(
                    "manifest digest mismatch: asked for {wanted}, got {actual}"
                )));
            }
        }
        let _ = digest;
        Ok((bytes.to_vec(), actual))
    }

    /// Fetches the manifest, the config and the layers the store lacks (into `staging`).
    pub(crate) fn fetch(
        &self,
        reference: &Reference,
        platform: &Platform,
        store: &storage::Store,
        staging: &Path,
        progress: &dyn Progress,
    ) -> Result<Fetched> {
        let (manifest, digest) = self.manifest(reference, platform)?;
        let context = || format!("pulling {reference}");
        let parsed: Value = serde_json::from_slice(&manifest).map_err(|e| {
            registry_error(
                context(),
                RegistryError::Invalid(format!("manifest is not JSON: {e}")),
            )
        })?;
        let config_desc =
            descriptor(parsed.get("config")).map_err(|e| registry_error(context(), e))?;
        if config_desc.size < 0 || config_desc.size as u64 > storage::MAX_CONFIG_SIZE {
            return Err(registry_error(
                context(),
                RegistryError::Invalid(format!(
                    "config {} declares {} bytes (limit {})",
                    config_desc.digest,
                    config_desc.size,
                    storage::MAX_CONFIG_SIZE
                )),
            ));
        }
        progress.message(&format!(
            "Copying config {}",
            short_digest(&config_desc.digest)
        ));
        let mut config = Vec::new();
        self.rt
            .block_on(self.client.pull_blob(
                reference,
                &config_desc,
                LimitedWriter::new(
                    &mut config,
                    &config_desc.digest,
                    config_desc.size as u64,
                    None,
                ),
            ))
            .map_err(|e| registry_error(context(), e))?;
        // Refuse bad configs (not JSON, wrong digest, wrong layer count) before any layer.
        let checked = storage::check_image(&manifest, &config)?;
        let layers = parsed
            .get("layers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|l| descriptor(Some(l)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| registry_error(context(), e))?;
        let mut jobs = Vec::new();
        let mut layer_files = Vec::with_capacity(layers.len());
        for (index, layer) in layers.iter().enumerate() {
            if layer.size < 0 {
                return Err(registry_error(
                    context(),
                    RegistryError::Invalid(format!("layer {} has a negative size", layer.digest)),
                ));
            }
            if store.layer_reusable(&checked.diff_ids, index, &layer.digest)? {
                progress.finish(&short_digest(&layer.digest), "already exists");
                layer_files.push(None);
                continue;
            }
            let path = staging.join(format!("layer-{index}"));
            layer_files.push(Some(path.clone()));
            jobs.push((layer.clone(), path));
        }
        let client = &self.client;
        let downloads =
            futures_util::stream::iter(jobs.into_iter().map(|(layer, path)| async move {
                let id = short_digest(&layer.digest);
                progress.start(&id, layer.size as u64);
                let mut file = std::fs::File::create(&path).map_err(|source| Error::Io {
                    context: format!("creating {}", path.display()),
                    source,
                })?;
                client
                    .pull_blob(
                        reference,
                        &layer,
                        LimitedWriter::new(
                            &mut file,
                            &layer.digest,
                            layer.size as u64,
                            Some((progress, id.as_str())),
                        ),
                    )
                    .await
                    .map_err(|e| {
                        registry_error(format!("pulling {reference}: layer {}", layer.digest), e)
                    })?;
                let got = file.metadata().map(|m| m.len()).unwrap_or(0);
                if got != layer.size as u64 {
                    return Err(registry_error(
                        format!("pulling {reference}"),
                        RegistryError::Invalid(format!(
                            "layer {}: declared {} bytes, the registry sent {got}",
                            layer.digest, layer.size
                        )),
                    ));
                }
                progress.finish(&id, "done");
                Ok::<(), Error>(())
            }))
            .buffer_unordered(PARALLEL_DOWNLOADS);
        self.rt.block_on(downloads.try_collect::<Vec<()>>())?;
        let _ = digest;
        Ok(Fetched {
            manifest,
            config,
            layer_files,
        })
    }

    /// Pushes the blobs the registry lacks, then the manifest.
    pub(crate) fn push(
        &self,
        reference: &Reference,
        manifest: &[u8],
        blobs: &[(String, PathBuf)],
        progress: &dyn Progress,
    ) -> Result<String> {
        let context = || format!("pushing {reference}");
        self.rt.block_on(async {
            self.client
                .store_auth_if_needed(reference.resolve_registry(), &self.auth)
                .await;
            for (digest, path) in blobs {
                let id = short_digest(digest);
                if self
                    .client
                    .blob_exists(reference, digest)
                    .await
                    .map_err(|e| registry_error(context(), e))?
                {
                    progress.finish(&id, "already exists");
                    continue;
                }
                let data = std::fs::read(path).map_err(|source| Error::Io {
                    context: format!("reading {}", path.display()),
                    source,
                })?;
                progress.start(&id, data.len() as u64);
                let len = data.len() as u64;
                self.client
                    .push_blob(reference, data, digest)
                    .await
                    .map_err(|e| registry_error(context(), e))?;
                progress.advance(&id, len);
                progress.finish(&id, "done");
            }
            Ok::<(), Error>(())
        })?;
        let media_type = serde_json::from_slice::<Value>(manifest)
            .ok()
            .and_then(|v| {
                v.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".to_string());
        let content_type = media_type.parse().map_err(|_| {
            registry_error(
                context(),
                RegistryError::Invalid(format!("bad media type {media_type}")),
            )
        })?;
        progress.message("Writing manifest to image destination");
        self.rt
            .block_on(
                self.client
                    .push_manifest_raw(reference, manifest.to_vec(), content_type),
            )
            .map_err(|e| registry_error(context(), e))?;
        Ok(format!("sha256:{}", hex::encode(Sha256::digest(manifest))))
    }
}

/// Reads a descriptor object (`mediaType`, `digest`, `size`).
fn descriptor(value: Option<&Value>) -> std::result::Result<OciDescriptor, RegistryError> {
    let value = value.ok_or_else(|| RegistryError::Invalid("manifest has no config".into()))?;
    serde_json::from_value(value.clone())
        .map_err(|e| RegistryError::Invalid(format!("bad descriptor in manifest: {e}")))
}

/// The digest of the entry of a manifest list matching `platform`.
pub(crate) fn choose_platform(list: &Value, platform: &Platform) -> Option<String> {
    let entries = list.get("manifests")?.as_array()?;
    let matches = |entry: &&Value, with_variant: bool| {
        let p = entry.get("platform");
        let field = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str);
        field("os") == Some(platform.os.as_str())
            && field("architecture") == Some(platform.arch.as_str())
            && (!with_variant
                || platform.variant.is_none()
                || field("variant") == platform.variant.as_deref())
    };
    entries
        .iter()
        .find(|e| matches(e, true))
        .or_else(|| entries.iter().find(|e| matches(e, false)))
        .and_then(|e| e.get("digest")?.as_str().map(str::to_string))
}

/// Parses a fully qualified name into an `oci-client` reference.
pub(crate) fn parse_reference(name: &str) -> Result<Reference> {
    name.parse::<Reference>()
        .map_err(|e| Error::InvalidArgument(format!("invalid image reference {name:?}: {e}")))
}

/// An `AsyncWrite` over a synchronous writer that refuses more than `limit` bytes and reports
/// progress. Writes go to local files or memory, so doing them inline is fine.
struct LimitedWriter<'a, W: Write> {
    inner: &'a mut W,
    digest: String,
    limit: u64,
    written: u64,
    progress: Option<(&'a dyn Progress, &'a str)>,
}

impl<'a, W: Write> LimitedWriter<'a, W> {
    fn new(
        inner: &'a mut W,
        digest: &str,
        limit: u64,
        progress: Option<(&'a dyn Progress, &'a str)>,
    ) -> Self {
        LimitedWriter {
            inner,
            digest: digest.to_string(),
            limit,
            written: 0,
            progress,
        }
    }
}

impl<W: Write> tokio::io::AsyncWrite for LimitedWriter<'_, W> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.written + buf.len() as u64 > this.limit {
            return Poll::Ready(Err(std::io::Error::other(RegistryError::TooLarge {
                digest: this.digest.clone(),
                declared: this.limit,
            })));
        }
        this.inner.write_all(buf)?;
        this.written += buf.len() as u64;
        if let Some((progress, id)) = this.progress {
            progress.advance(id, buf.len() as u64);
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.get_mut().inner.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Runtime {
    /// The registries configuration in effect.
    pub fn registries_conf(&self) -> Result<RegistriesConf> {
        let engine_config = self
            .options
            .config_path
            .clone()
            .unwrap_or_else(crate::config::default_config_path);
        RegistriesConf::load(&RegistriesConf::path_for(&engine_config))
    }
}

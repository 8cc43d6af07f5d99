//! The engine's registry operations: pull (with pull policies), push, login, logout.

use std::path::PathBuf;
use std::str::FromStr;

use super::auth;
use super::progress::{short_digest, Progress};
use super::registries::has_registry;
use super::registry::{parse_reference, Platform, RegistryOptions, Session};
use crate::error::{Error, IoContext, Result};
use crate::runtime::Runtime;

/// When `pull`, `create` and `run` fetch an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    /// Always pull (the layers already stored are not fetched again).
    Always,
    /// Pull only when no local image matches (the default of `create`/`run`).
    #[default]
    Missing,
    /// Never pull; fail when the image is missing.
    Never,
    /// Pull when the registry has a different manifest than the local image.
    Newer,
}

impl FromStr for PullPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "always" | "true" => Ok(PullPolicy::Always),
            "missing" | "ifmissing" | "ifnotpresent" => Ok(PullPolicy::Missing),
            "never" | "false" => Ok(PullPolicy::Never),
            "newer" | "ifnewer" => Ok(PullPolicy::Newer),
            other => Err(Error::InvalidArgument(format!(
                "invalid pull policy {other:?}: expected always, missing, never or newer"
            ))),
        }
    }
}

/// The registry host of a fully qualified name.
fn host_of(name: &str) -> &str {
    name.split('/').next().unwrap_or(name)
}

impl Runtime {
    /// Pulls `name` (short names resolved with the registries configuration) and returns the
    /// stored image. Tries each candidate name in turn and reports the last error.
    pub fn pull_image(
        &self,
        name: &str,
        opts: &RegistryOptions,
        progress: &dyn Progress,
    ) -> Result<storage::Image> {
        self.pull_with_policy(name, PullPolicy::Always, opts, progress)?
            .ok_or_else(|| Error::NoSuchImage(name.to_string()))
    }

    /// `pull --all-tags`: every tag of the repository `name` (which names
    /// the registry and no tag), pulled one after another.
    pub fn pull_all_tags(
        &self,
        name: &str,
        opts: &RegistryOptions,
        progress: &dyn Progress,
    ) -> Result<Vec<storage::Image>> {
        let last = name.rsplit('/').next().unwrap_or(name);
        if last.contains(':') || name.contains('@') {
            return Err(Error::InvalidArgument(
                "tag can't be used with --all-tags/-a".into(),
            ));
        }
        let lists = self.search_tags(
            name,
            &super::search::SearchOptions {
                registry: opts.clone(),
                ..Default::default()
            },
        )?;
        let mut images = Vec::new();
        for list in lists {
            for tag in &list.tags {
                images.push(self.pull_image(&format!("{}:{tag}", list.name), opts, progress)?);
            }
        }
        Ok(images)
    }

    /// Applies a pull policy: returns the image to use, pulling it when the policy says so.
    /// `None` only with [`PullPolicy::Never`] and no local image.
    pub fn pull_with_policy(
        &self,
        name: &str,
        policy: PullPolicy,
        opts: &RegistryOptions,
        progress: &dyn Progress,
    ) -> Result<Option<storage::Image>> {
        self.pull_with_policy_inner(name, policy, opts, progress)
            .map_err(|e| e.naming_no_space(&format!("pull {name}")))
    }

    fn pull_with_policy_inner(
        &self,
        name: &str,
        policy: PullPolicy,
        opts: &RegistryOptions,
        progress: &dyn Progress,
    ) -> Result<Option<storage::Image>> {
        let local = match self.image(name) {
            Ok(image) => Some(image),
            Err(Error::NoSuchImage(_)) => None,
            Err(e) => return Err(e),
        };
        match (policy, &local) {
            (PullPolicy::Never, _) => return Ok(local),
            (PullPolicy::Missing, Some(_)) => return Ok(local),
            _ => {}
        }
        let conf = self.registries_conf()?;
        let platform = opts.platform.clone().unwrap_or_else(Platform::host);
        let mut last_err = None;
        for candidate in conf.candidates(name)? {
            crate::diagnostics::debug(format_args!("Trying to pull {candidate}"));
            let host = host_of(&candidate).to_string();
            if conf.entry(&host).is_some_and(|e| e.blocked) {
                last_err = Some(Error::InvalidArgument(format!(
                    "registry {host} is blocked in the registries configuration"
                )));
                continue;
            }
            let reference = parse_reference(&candidate)?;
            let session = Session::new(&host, opts, &conf)?;
            if policy == PullPolicy::Newer {
                if let Some(image) = &local {
                    match session.remote_digest(&reference, &platform) {
                        Ok(digest) if digest == image.digest => return Ok(local),
                        Ok(_) => {}
                        // Podman's "newer": a registry that cannot be asked keeps the local one.
                        Err(_) => return Ok(local),
                    }
                }
            }
            progress.message(&format!("Trying to pull {candidate}..."));
            match self.pull_one(&session, &candidate, &reference, &platform, progress) {
                Ok(image) => return Ok(Some(image)),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| Error::NoSuchImage(name.to_string())))
    }

    fn pull_one(
        &self,
        session: &Session,
        candidate: &str,
        reference: &oci_client::Reference,
        platform: &Platform,
        progress: &dyn Progress,
    ) -> Result<storage::Image> {
        let store = self.store()?;
        let staging = store.staging()?;
        let fetched = session.fetch(reference, platform, store, staging.path(), progress)?;
        let names = if reference.digest().is_some() {
            Vec::new()
        } else {
            vec![storage::normalize_name(candidate)?]
        };
        progress.message("Writing manifest to image destination");
        let image = store.put_image(
            storage::NewImage {
                manifest: fetched.manifest,
                config: fetched.config,
                layer_files: fetched.layer_files,
                names,
            },
            &mut |_| crate::fault::point("pull.layer_stored"),
        )?;
        crate::fault::point("pull.image_stored");
        if let Some(digest) = reference.digest() {
            let repo = candidate.split_once('@').map_or(candidate, |(r, _)| r);
            store.add_repo_digest(&image.id, repo, digest)?;
        }
        drop(staging);
        self.image_event(&image.id, candidate, "pull");
        Ok(image)
    }

    /// `create`/`run --pull`: pulls `reference` when `policy` says so. Names that cannot come
    /// from a registry (`localhost/…`, short names with no search registries configured) are
    /// left to the image lookup, which reports them as unknown.
    pub(crate) fn pull_for_create(
        &self,
        reference: &str,
        policy: PullPolicy,
        opts: &RegistryOptions,
    ) -> Result<()> {
        let local = self.image_exists(reference)?;
        match policy {
            PullPolicy::Never => return Ok(()),
            PullPolicy::Missing if local => return Ok(()),
            _ => {}
        }
        if reference.starts_with("localhost/") {
            return Ok(());
        }
        if self.registries_conf()?.candidates(reference).is_err() {
            return Ok(());
        }
        self.pull_with_policy(reference, policy, opts, &super::progress::NoProgress)
            .map(|_| ())
    }

    /// Pushes the local image `source` to `destination` (default: the image's name, which
    /// must then include a registry). Returns the manifest digest.
    pub fn push_image(
        &self,
        source: &str,
        destination: Option<&str>,
        format: Option<ManifestFormat>,
        opts: &RegistryOptions,
        progress: &dyn Progress,
    ) -> Result<String> {
        let image = self.image(source)?;
        let dest = match destination {
            Some(d) => d.strip_prefix("docker://").unwrap_or(d).to_string(),
            None => {
                if has_registry(source) {
                    source.to_string()
                } else {
                    image
                        .names
                        .first()
                        .cloned()
                        .unwrap_or_else(|| source.to_string())
                }
            }
        };
        if !has_registry(&dest) || dest.starts_with("localhost/") {
            return Err(Error::InvalidArgument(format!(
                "{dest}: a destination with a registry host is needed (e.g. 127.0.0.1:5000/{})",
                dest.trim_start_matches("localhost/")
            )));
        }
        let store = self.store()?;
        let manifest = store.image_manifest_blob(&image)?;
        let config = store.image_config_blob(&image)?;
        let checked = storage::check_image(&manifest, &config)?;
        let mut blobs = Vec::new();
        for layer in checked.manifest.layers() {
            let digest = layer.digest().to_string();
            blobs.push((digest.clone(), store.blob_path(&digest)?));
        }
        let config_digest = checked.manifest.config().digest().to_string();
        blobs.push((config_digest.clone(), store.blob_path(&config_digest)?));
        // Uncompressed layers go out gzip-compressed, as Podman pushes them
        // (the local image keeps its blobs; the compressed ones are made for
        // this push only).
        let staging = tempfile::Builder::new()
            .prefix("push-")
            .tempdir_in(self.paths.storage_root())
            .ctx(|| "making a staging directory for the push".to_string())?;
        let manifest = compress_layers(&manifest, &mut blobs, staging.path())?;
        let manifest = match format {
            Some(f) => f.convert(&manifest)?,
            None => manifest,
        };
        let conf = self.registries_conf()?;
        let reference = parse_reference(&dest)?;
        let session = Session::new(host_of(&dest), opts, &conf)?;
        progress.message(&format!("Copying {} blobs to {dest}", blobs.len()));
        let digest = session.push(&reference, &manifest, &blobs, progress)?;
        progress.message(&format!("Pushed {dest}@{}", short_digest(&digest)));
        self.image_event(&image.id, &dest, "push");
        Ok(digest)
    }

    /// Checks credentials against `host` without storing them (what a Docker
    /// engine's `/auth` does); returns the registry's host name.
    pub fn check_login(
        &self,
        host: &str,
        user: &str,
        password: &str,
        opts: &RegistryOptions,
    ) -> Result<String> {
        let host = registry_host(host);
        let conf = self.registries_conf()?;
        let mut with_creds = opts.clone();
        with_creds.creds = Some(format!("{user}:{password}"));
        Session::new(&host, &with_creds, &conf)?.login(&host)?;
        Ok(host)
    }

    /// Checks credentials against `host` and stores them in the auth file.
    pub fn login(
        &self,
        host: &str,
        user: &str,
        password: &str,
        opts: &RegistryOptions,
    ) -> Result<PathBuf> {
        let host = self.check_login(host, user, password, opts)?;
        let path = opts
            .authfile
            .clone()
            .unwrap_or_else(auth::default_auth_file);
        auth::store(&path, &host, user, password)?;
        Ok(path)
    }

    /// Removes stored credentials of `host` (all with `None`). Returns whether any existed.
    pub fn logout(&self, host: Option<&str>, authfile: Option<PathBuf>) -> Result<bool> {
        let path = authfile.unwrap_or_else(auth::default_auth_file);
        auth::remove(&path, host.map(registry_host).as_deref())
    }
}

/// Replaces the uncompressed layers of `manifest` by gzip-compressed copies
/// written to `dir` (their entries of `blobs` too); the manifest is the
/// same bytes when every layer was compressed already.
fn compress_layers(
    manifest: &[u8],
    blobs: &mut [(String, PathBuf)],
    dir: &std::path::Path,
) -> Result<Vec<u8>> {
    use sha2::Digest as _;
    let mut m: serde_json::Value = serde_json::from_slice(manifest)
        .map_err(|e| Error::InvalidArgument(format!("the image's manifest is not JSON: {e}")))?;
    let mut changed = false;
    for (i, layer) in m["layers"].as_array_mut().into_iter().flatten().enumerate() {
        let media = layer["mediaType"].as_str().unwrap_or("").to_string();
        let compressed = match media.as_str() {
            "application/vnd.oci.image.layer.v1.tar" => {
                "application/vnd.oci.image.layer.v1.tar+gzip"
            }
            "application/vnd.docker.image.rootfs.diff.tar" => {
                "application/vnd.docker.image.rootfs.diff.tar.gzip"
            }
            _ => continue,
        };
        let Some((_, source)) = blobs.get(i) else {
            continue;
        };
        let out_path = dir.join(format!("layer-{i}.tar.gz"));
        struct Hashing<W> {
            inner: W,
            hash: sha2::Sha256,
            len: u64,
        }
        impl<W: std::io::Write> std::io::Write for Hashing<W> {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                let n = self.inner.write(b)?;
                self.hash.update(&b[..n]);
                self.len += n as u64;
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                self.inner.flush()
            }
        }
        let io = |what: &str| {
            let what = format!("{what} {}", out_path.display());
            move |source: std::io::Error| Error::Io {
                context: what,
                source,
            }
        };
        let out = std::fs::File::create(&out_path).map_err(io("creating"))?;
        let mut hashing = Hashing {
            inner: std::io::BufWriter::new(out),
            hash: sha2::Sha256::new(),
            len: 0,
        };
        {
            let mut enc =
                flate2::write::GzEncoder::new(&mut hashing, flate2::Compression::default());
            let mut input = std::fs::File::open(source).map_err(io("reading the layer for"))?;
            std::io::copy(&mut input, &mut enc).map_err(io("compressing the layer into"))?;
            enc.finish().map_err(io("compressing the layer into"))?;
        }
        std::io::Write::flush(&mut hashing).map_err(io("writing"))?;
        let digest = format!("sha256:{}", hex::encode(hashing.hash.finalize()));
        layer["mediaType"] = serde_json::Value::from(compressed);
        layer["digest"] = serde_json::Value::from(digest.clone());
        layer["size"] = serde_json::Value::from(hashing.len);
        blobs[i] = (digest, out_path);
        changed = true;
    }
    if !changed {
        return Ok(manifest.to_vec());
    }
    serde_json::to_vec(&m).map_err(|e| Error::InvalidArgument(format!("writing the manifest: {e}")))
}

/// `push --format`: the manifest type written at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    /// `oci`: an OCI image manifest.
    Oci,
    /// `v2s2`: a Docker image manifest, schema 2.
    DockerV2S2,
}

impl std::str::FromStr for ManifestFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "oci" => Ok(ManifestFormat::Oci),
            "v2s2" => Ok(ManifestFormat::DockerV2S2),
            "v2s1" => Err(Error::Unsupported(
                "the v2s1 manifest format is not supported: Docker's schema 1 is deprecated; use oci or v2s2".into(),
            )),
            other => Err(Error::InvalidArgument(format!(
                "unknown format {other:?}. Choose on of the supported formats: 'oci', 'v2s1', or 'v2s2'"
            ))),
        }
    }
}

impl ManifestFormat {
    /// The manifest with this format's media types (the blobs stay the same).
    pub fn convert(self, manifest: &[u8]) -> Result<Vec<u8>> {
        const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
        const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
        let bad = |why: String| Error::InvalidArgument(format!("push --format: {why}"));
        let mut m: serde_json::Value = serde_json::from_slice(manifest)
            .map_err(|e| bad(format!("the image's manifest is not JSON: {e}")))?;
        let current = m["mediaType"].as_str().unwrap_or(OCI).to_string();
        let (want, config) = match self {
            ManifestFormat::Oci => (OCI, "application/vnd.oci.image.config.v1+json"),
            ManifestFormat::DockerV2S2 => {
                (DOCKER, "application/vnd.docker.container.image.v1+json")
            }
        };
        if current == want {
            return Ok(manifest.to_vec());
        }
        let layer = |t: &str| -> Result<&'static str> {
            Ok(match (self, t) {
                (ManifestFormat::DockerV2S2, "application/vnd.oci.image.layer.v1.tar+gzip") => {
                    "application/vnd.docker.image.rootfs.diff.tar.gzip"
                }
                (ManifestFormat::DockerV2S2, "application/vnd.oci.image.layer.v1.tar") => {
                    "application/vnd.docker.image.rootfs.diff.tar"
                }
                (ManifestFormat::Oci, "application/vnd.docker.image.rootfs.diff.tar.gzip") => {
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                }
                (ManifestFormat::Oci, "application/vnd.docker.image.rootfs.diff.tar") => {
                    "application/vnd.oci.image.layer.v1.tar"
                }
                (
                    ManifestFormat::Oci,
                    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                ) => "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                (_, other) => {
                    return Err(bad(format!(
                        "a layer of type {other} has no {want} equivalent"
                    )))
                }
            })
        };
        m["mediaType"] = serde_json::Value::from(want);
        m["config"]["mediaType"] = serde_json::Value::from(config);
        if let Some(layers) = m["layers"].as_array_mut() {
            for l in layers {
                let t = l["mediaType"].as_str().unwrap_or("").to_string();
                l["mediaType"] = serde_json::Value::from(layer(&t)?);
            }
        }
        if self == ManifestFormat::DockerV2S2 {
            if let Some(o) = m.as_object_mut() {
                // Docker's schema has no annotations.
                o.remove("annotations");
            }
        }
        serde_json::to_vec(&m).map_err(|e| bad(format!("writing the manifest: {e}")))
    }
}

/// `https://host/v2/` or `host/path` → `host`.
fn registry_host(text: &str) -> String {
    let text = text
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("docker://");
    text.split('/').next().unwrap_or(text).to_string()
}

impl Runtime {
    /// What the registry serves under `name` (a short name resolves to its
    /// first candidate, as a pull tries it first), without pulling it.
    pub fn inspect_distribution(
        &self,
        name: &str,
        opts: &RegistryOptions,
    ) -> Result<super::registry::Distribution> {
        let conf = self.registries_conf()?;
        let candidate = conf
            .candidates(name)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::InvalidArgument(format!("no registry to ask for {name}")))?;
        let host = host_of(&candidate).to_string();
        if conf.entry(&host).is_some_and(|e| e.blocked) {
            return Err(Error::InvalidArgument(format!(
                "registry {host} is blocked in the registries configuration"
            )));
        }
        let reference = parse_reference(&candidate)?;
        Session::new(&host, opts, &conf)?.distribution(&reference)
    }

    /// The digest the registry has for the fully qualified `name` on this
    /// host's platform (or `opts.platform`), without pulling anything.
    pub(crate) fn remote_digest(&self, name: &str, opts: &RegistryOptions) -> Result<String> {
        let conf = self.registries_conf()?;
        let host = host_of(name).to_string();
        if conf.entry(&host).is_some_and(|e| e.blocked) {
            return Err(Error::InvalidArgument(format!(
                "registry {host} is blocked in the registries configuration"
            )));
        }
        let reference = parse_reference(name)?;
        let platform = opts.platform.clone().unwrap_or_else(Platform::host);
        Session::new(&host, opts, &conf)?.remote_digest(&reference, &platform)
    }
}

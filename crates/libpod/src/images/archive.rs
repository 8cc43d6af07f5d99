//! `save` and `load`: docker-archive, oci-archive and oci-dir.
//!
//! Saving writes the stored blobs unchanged for the OCI formats (so IDs and digests survive a
//! round trip) and uncompressed layer tarballs for docker-archive (what Docker, Podman and
//! skopeo read). Loading unpacks an archive (plain, gzip or zstd) into a staging directory of
//! the store, refusing links and paths leaving it, and stores each image through the same
//! checks as a pull.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::progress::{short_digest, Progress};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

const OCI_LAYOUT: &str = "oci-layout";
const OCI_INDEX: &str = "index.json";
const DOCKER_MANIFEST: &str = "manifest.json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";
const TAR_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

/// Archive formats of `save` and `load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchiveFormat {
    /// Docker's `docker save` format (manifest.json, config, uncompressed layer tars).
    #[default]
    DockerArchive,
    /// An OCI image layout in a tar file.
    OciArchive,
    /// An OCI image layout in a directory.
    OciDir,
}

impl FromStr for ArchiveFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "docker-archive" => Ok(ArchiveFormat::DockerArchive),
            "oci-archive" => Ok(ArchiveFormat::OciArchive),
            "oci-dir" => Ok(ArchiveFormat::OciDir),
            other => Err(Error::InvalidArgument(format!(
                "unsupported format {other:?}: expected docker-archive, oci-archive or oci-dir"
            ))),
        }
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

fn json_err(context: impl Into<String>) -> impl FnOnce(serde_json::Error) -> Error {
    let context = context.into();
    move |source| Error::Json { context, source }
}

fn invalid(message: String) -> Error {
    Error::Storage(storage::Error::InvalidImage(message))
}

fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut file = File::open(path).map_err(io_err(format!("opening {}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(io_err(format!("reading {}", path.display())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), total))
}

/// One image to save: its names, manifest, config and the stored blobs.
struct SavedImage {
    names: Vec<String>,
    manifest: Vec<u8>,
    manifest_digest: String,
    config: Vec<u8>,
    config_hex: String,
    /// (digest, media type, size, stored file, diff ID, uncompressed size)
    layers: Vec<(String, String, u64, PathBuf, String, u64)>,
}

/// Where `save` writes.
pub enum SaveTarget<'a> {
    /// A stream (file or stdout) for the archive formats.
    Stream(&'a mut dyn Write),
    /// A directory for oci-dir.
    Directory(&'a Path),
}

impl Runtime {
    fn saved_image(&self, reference: &str) -> Result<SavedImage> {
        let image = self.image(reference)?;
        let store = self.store()?;
        let manifest = store.image_manifest_blob(&image)?;
        let config = store.image_config_blob(&image)?;
        let checked = storage::check_image(&manifest, &config)?;
        let mut layers = Vec::new();
        for ((descriptor, chain), diff_id) in checked
            .manifest
            .layers()
            .iter()
            .zip(&image.layers)
            .zip(&checked.diff_ids)
        {
            let digest = descriptor.digest().to_string();
            let layer = store.layer(chain)?;
            layers.push((
                digest.clone(),
                descriptor.media_type().to_string(),
                descriptor.size(),
                store.blob_path(&digest)?,
                diff_id.clone(),
                layer.tar_size,
            ));
        }
        // A reference naming the image (not by ID) is what the archive
        // records; by ID it records no name, as Podman and Docker save it.
        let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
        let by_id = !hex.is_empty()
            && image.id.starts_with(hex)
            && hex.bytes().all(|b| b.is_ascii_hexdigit());
        let names = match storage::normalize_name(reference) {
            Ok(n) if image.names.contains(&n) => vec![n],
            _ if by_id => Vec::new(),
            _ => image.names.clone(),
        };
        Ok(SavedImage {
            names,
            manifest_digest: image.digest.clone(),
            manifest,
            config,
            config_hex: image.id.clone(),
            layers,
        })
    }

    /// Writes the images `references` in `format`.
    pub fn save_images(
        &self,
        references: &[String],
        format: ArchiveFormat,
        target: SaveTarget<'_>,
    ) -> Result<()> {
        if references.is_empty() {
            return Err(Error::InvalidArgument("no image to save".into()));
        }
        // One entry per image, with every name it was asked by (as Podman
        // and Docker write them).
        let mut images: Vec<SavedImage> = Vec::new();
        for r in references {
            let image = self.saved_image(r)?;
            match images.iter_mut().find(|i| i.config_hex == image.config_hex) {
                Some(known) => {
                    for n in image.names {
                        if !known.names.contains(&n) {
                            known.names.push(n);
                        }
                    }
                }
                None => images.push(image),
            }
        }
        write_saved(&images, format, target)
    }

    /// `save IMAGE TAG…` (Podman without `--multi-image-archive`): one
    /// image, recorded under the extra `tags` too (first) and its name.
    pub fn save_image_tagged(
        &self,
        reference: &str,
        tags: &[String],
        format: ArchiveFormat,
        target: SaveTarget<'_>,
    ) -> Result<()> {
        let mut image = self.saved_image(reference)?;
        let mut names = tags
            .iter()
            .map(|t| storage::normalize_name(t).map_err(Error::from))
            .collect::<Result<Vec<_>>>()?;
        for n in image.names.drain(..) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        image.names = names;
        write_saved(&[image], format, target)
    }

    /// Loads every image of an archive (a file, `-` for `input`, or an OCI layout directory).
    /// Returns the names (or IDs) of the images loaded.
    pub fn load_images(
        &self,
        input: &mut dyn Read,
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        self.load_images_from(input, progress)
            .map_err(|e| e.naming_no_space("load"))
    }

    fn load_images_from(
        &self,
        input: &mut dyn Read,
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        let store = self.store()?;
        let staging = store.staging()?;
        let root = staging.path().join("archive");
        fs::create_dir(&root).map_err(io_err("creating the staging directory"))?;
        let mut stream = storage::decompress(input).map_err(io_err("reading the archive"))?;
        unpack_plain(&mut *stream, &root)?;
        self.load_layout(&root, staging.path(), progress)
    }

    /// Loads from an unpacked OCI layout or docker-archive directory (`oci-dir` input).
    pub fn load_directory(&self, dir: &Path, progress: &dyn Progress) -> Result<Vec<String>> {
        let store = self.store()?;
        let staging = store.staging()?;
        self.load_layout(dir, staging.path(), progress)
    }

    fn load_layout(
        &self,
        root: &Path,
        staging: &Path,
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        if root.join(OCI_INDEX).is_file() {
            self.load_oci(root, staging, progress)
        } else if root.join(DOCKER_MANIFEST).is_file() {
            self.load_docker(root, staging, progress)
        } else {
            Err(invalid(
                "the archive has neither index.json (OCI) nor manifest.json (docker-archive)"
                    .into(),
            ))
        }
    }

    fn load_oci(
        &self,
        root: &Path,
        staging: &Path,
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        let index = read_json(&root.join(OCI_INDEX))?;
        let mut loaded = Vec::new();
        let entries = index
            .get("manifests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if entries.is_empty() {
            return Err(invalid("index.json lists no manifests".into()));
        }
        for entry in entries {
            let name = entry
                .get("annotations")
                .and_then(|a| a.get(REF_NAME))
                .and_then(Value::as_str)
                .filter(|n| n.contains('/') || n.contains(':'))
                .map(str::to_string);
            let (manifest, _) = read_verified_blob(root, &entry, storage::MAX_MANIFEST_SIZE)?;
            let mut manifest = manifest;
            let parsed: Value =
                serde_json::from_slice(&manifest).map_err(json_err("parsing a manifest"))?;
            if parsed.get("manifests").is_some() {
                let platform = super::registry::Platform::host();
                let digest = super::registry::choose_platform(&parsed, &platform)
                    .ok_or_else(|| invalid("no manifest for this platform in the index".into()))?;
                let nested = parsed
                    .get("manifests")
                    .and_then(Value::as_array)
                    .and_then(|m| {
                        m.iter().find(|e| {
                            e.get("digest").and_then(Value::as_str) == Some(digest.as_str())
                        })
                    })
                    .cloned()
                    .unwrap_or(Value::Null);
                manifest = read_verified_blob(root, &nested, storage::MAX_MANIFEST_SIZE)?.0;
            }
            let names: Vec<String> = name.into_iter().collect();
            let id = self.store_layout_image(root, staging, manifest, names, progress)?;
            loaded.push(id);
        }
        Ok(loaded)
    }

    /// Stores one image whose blobs are under `root/blobs/sha256/`.
    fn store_layout_image(
        &self,
        root: &Path,
        staging: &Path,
        manifest: Vec<u8>,
        names: Vec<String>,
        progress: &dyn Progress,
    ) -> Result<String> {
        let parsed: Value =
            serde_json::from_slice(&manifest).map_err(json_err("parsing a manifest"))?;
        let config_desc = parsed.get("config").cloned().unwrap_or(Value::Null);
        let (config, _) = read_verified_blob(root, &config_desc, storage::MAX_CONFIG_SIZE)?;
        let checked = storage::check_image(&manifest, &config)?;
        let store = self.store()?;
        let mut layer_files = Vec::new();
        for (index, layer) in checked.manifest.layers().iter().enumerate() {
            let digest = layer.digest().to_string();
            let id = short_digest(&digest);
            if store.layer_reusable(&checked.diff_ids, index, &digest)? {
                progress.finish(&id, "already exists");
                layer_files.push(None);
                continue;
            }
            let source = blob_file(root, &digest)?;
            // The store renames blobs into place: copy into staging unless already there.
            let path = if source.starts_with(staging) {
                source
            } else {
                let copy = staging.join(format!("blob-{index}"));
                fs::copy(&source, &copy)
                    .map_err(io_err(format!("copying {}", source.display())))?;
                copy
            };
            progress.start(&id, layer.size());
            progress.advance(&id, layer.size());
            progress.finish(&id, "done");
            layer_files.push(Some(path));
        }
        let image = store.put_image(
            storage::NewImage {
                manifest,
                config,
                layer_files,
                names: names.clone(),
            },
            &mut |_| crate::fault::point("load.layer_stored"),
        )?;
        crate::fault::point("load.image_stored");
        let shown = names
            .first()
            .cloned()
            .unwrap_or_else(|| format!("sha256:{}", image.id));
        self.image_event(
            &image.id,
            names.first().map(String::as_str).unwrap_or(""),
            "loadfromarchive",
        );
        Ok(shown)
    }

    fn load_docker(
        &self,
        root: &Path,
        staging: &Path,
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        let manifest_json = read_json(&root.join(DOCKER_MANIFEST))?;
        let entries = manifest_json
            .as_array()
            .cloned()
            .ok_or_else(|| invalid("manifest.json is not a list".into()))?;
        let mut loaded = Vec::new();
        for entry in entries {
            let config_file = entry
                .get("Config")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("manifest.json entry without Config".into()))?;
            let config_path = archive_path(root, config_file)?;
            let config = read_limited(&config_path, storage::MAX_CONFIG_SIZE)?;
            let config_value: Value = serde_json::from_slice(&config)
                .map_err(|e| invalid(format!("config {config_file} is not JSON: {e}")))?;
            let diff_ids: Vec<String> = config_value
                .pointer("/rootfs/diff_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let layer_names: Vec<String> = entry
                .get("Layers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if layer_names.len() != diff_ids.len() {
                return Err(invalid(format!(
                    "manifest.json lists {} layers but the config {} diff IDs",
                    layer_names.len(),
                    diff_ids.len()
                )));
            }
            let mut layers = Vec::new();
            for (file, diff_id) in layer_names.iter().zip(&diff_ids) {
                let path = archive_path(root, file)?;
                let compressed = {
                    let mut f =
                        File::open(&path).map_err(io_err(format!("opening {}", path.display())))?;
                    let mut magic = [0u8; 4];
                    let n = f
                        .read(&mut magic)
                        .map_err(io_err(format!("reading {}", path.display())))?;
                    (n >= 2 && magic[..2] == [0x1f, 0x8b])
                        || (n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd])
                };
                let size = fs::metadata(&path)
                    .map_err(io_err(format!("reading {}", path.display())))?
                    .len();
                let (media_type, digest) = if compressed {
                    let gz = File::open(&path)
                        .ok()
                        .and_then(|mut f| {
                            let mut m = [0u8; 2];
                            f.read_exact(&mut m).ok().map(|_| m == [0x1f, 0x8b])
                        })
                        .unwrap_or(false);
                    let media = if gz {
                        "application/vnd.oci.image.layer.v1.tar+gzip"
                    } else {
                        "application/vnd.oci.image.layer.v1.tar+zstd"
                    };
                    (media.to_string(), sha256_file(&path)?.0)
                } else {
                    // Checked against the content by the store while extracting.
                    (TAR_MEDIA_TYPE.to_string(), diff_id.clone())
                };
                layers.push((
                    storage::oci::ManifestLayer {
                        media_type,
                        digest,
                        size,
                    },
                    path,
                ));
            }
            let descriptors: Vec<_> = layers.iter().map(|(d, _)| d.clone()).collect();
            let manifest = storage::oci::build_manifest(&config, &descriptors)?;
            // Lay the blobs out like an OCI layout so the common path stores them.
            let blobs = staging
                .join(format!("docker-{}", loaded.len()))
                .join("blobs/sha256");
            fs::create_dir_all(&blobs).map_err(io_err("creating the staging directory"))?;
            for (descriptor, path) in &layers {
                let target = blobs.join(descriptor.digest.trim_start_matches("sha256:"));
                if target.exists() {
                    continue;
                }
                if path.starts_with(staging) {
                    // A link, not a rename: several images of an archive may share a layer file.
                    fs::hard_link(path, &target)
                        .or_else(|_| fs::copy(path, &target).map(|_| ()))
                        .map_err(io_err(format!("staging {}", path.display())))?;
                } else {
                    fs::copy(path, &target)
                        .map_err(io_err(format!("copying {}", path.display())))?;
                }
            }
            let config_hex = hex::encode(Sha256::digest(&config));
            fs::write(blobs.join(&config_hex), &config).map_err(io_err("staging the config"))?;
            let layout_root = blobs
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| staging.to_path_buf());
            let names: Vec<String> = entry
                .get("RepoTags")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str())
                        .filter_map(|n| storage::normalize_name(n).ok())
                        .collect()
                })
                .unwrap_or_default();
            let id =
                self.store_layout_image(&layout_root, staging, manifest, names.clone(), progress)?;
            // Further names of the same image.
            if names.len() > 1 {
                loaded.extend(names.iter().skip(1).cloned());
            }
            loaded.push(id);
        }
        Ok(loaded)
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let data = read_limited(path, storage::MAX_MANIFEST_SIZE)?;
    serde_json::from_slice(&data)
        .map_err(|e| invalid(format!("{} is not JSON: {e}", path.display())))
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(io_err(format!("opening {}", path.display())))?;
    let mut data = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(io_err(format!("reading {}", path.display())))?;
    if data.len() as u64 > limit {
        return Err(invalid(format!(
            "{} is larger than {limit} bytes",
            path.display()
        )));
    }
    Ok(data)
}

/// `root/blobs/sha256/<hex>` for a `sha256:<hex>` digest (validated).
fn blob_file(root: &Path, digest: &str) -> Result<PathBuf> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| invalid(format!("unsupported digest {digest:?}")))?;
    let path = root.join("blobs/sha256").join(hex);
    if !path.is_file() {
        return Err(Error::Storage(storage::Error::BlobNotFound(
            digest.to_string(),
        )));
    }
    Ok(path)
}

/// Reads the blob a descriptor names and checks its digest and size.
fn read_verified_blob(root: &Path, descriptor: &Value, limit: u64) -> Result<(Vec<u8>, String)> {
    let digest = descriptor
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("descriptor without digest".into()))?;
    let size = descriptor.get("size").and_then(Value::as_u64);
    let data = read_limited(&blob_file(root, digest)?, limit)?;
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&data)));
    if actual != digest {
        return Err(Error::Storage(storage::Error::DigestMismatch {
            what: "blob".into(),
            expected: digest.to_string(),
            actual,
        }));
    }
    if let Some(size) = size.filter(|s| *s != data.len() as u64) {
        return Err(Error::Storage(storage::Error::SizeMismatch {
            what: format!("blob {digest}"),
            expected: size,
            actual: data.len() as u64,
        }));
    }
    Ok((data, actual))
}

/// A relative archive path inside `root` (no absolute paths, no `..`).
fn archive_path(root: &Path, name: &str) -> Result<PathBuf> {
    let relative = Path::new(name);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(Error::Storage(storage::Error::UnsafeArchive {
            path: name.to_string(),
            reason: "path leaves the archive".into(),
        }));
    }
    Ok(root.join(relative))
}

/// Unpacks an image archive: regular files and directories only, inside `root`.
fn unpack_plain(input: &mut dyn Read, root: &Path) -> Result<()> {
    let mut archive = tar::Archive::new(input);
    let entries = archive.entries().map_err(io_err("reading the archive"))?;
    for entry in entries {
        let mut entry = entry.map_err(io_err("reading the archive"))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = archive_path(root, &raw)?;
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                fs::create_dir_all(&path)
                    .map_err(io_err(format!("creating {}", path.display())))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)
                        .map_err(io_err(format!("creating {}", parent.display())))?;
                }
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(io_err(format!("creating {}", path.display())))?;
                io::copy(&mut entry, &mut file).map_err(io_err("reading the archive"))?;
            }
            tar::EntryType::Symlink | tar::EntryType::Link => {
                // skopeo and Docker link duplicate files to one copy: allowed only to a file
                // already unpacked inside the archive; materialised as a hard link.
                let link = entry
                    .link_name_bytes()
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .unwrap_or_default();
                let base = if entry.header().entry_type() == tar::EntryType::Symlink {
                    Path::new(&raw)
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default()
                } else {
                    PathBuf::new()
                };
                let target = archive_path(
                    root,
                    &lexical_join(&base, &link).ok_or_else(|| {
                        Error::Storage(storage::Error::UnsafeArchive {
                            path: raw.clone(),
                            reason: format!("link target {link:?} leaves the archive"),
                        })
                    })?,
                )?;
                let meta = fs::symlink_metadata(&target);
                if !meta.map(|m| m.is_file()).unwrap_or(false) {
                    return Err(Error::Storage(storage::Error::UnsafeArchive {
                        path: raw,
                        reason: format!("link target {link:?} is not a file of the archive"),
                    }));
                }
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)
                        .map_err(io_err(format!("creating {}", parent.display())))?;
                }
                fs::hard_link(&target, &path)
                    .map_err(io_err(format!("linking {}", path.display())))?;
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => {}
            other => {
                return Err(Error::Storage(storage::Error::UnsafeArchive {
                    path: raw,
                    reason: format!(
                        "image archives hold only files and directories, not {other:?}"
                    ),
                }))
            }
        }
    }
    Ok(())
}

/// `base/link` resolved lexically (`.` and `..` applied); `None` when it climbs above the
/// archive root or is absolute.
fn lexical_join(base: &Path, link: &str) -> Option<String> {
    if link.starts_with('/') {
        return None;
    }
    let mut parts: Vec<String> = base
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for part in link.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other.to_string()),
        }
    }
    Some(parts.join("/"))
}

fn oci_index(images: &[SavedImage]) -> Value {
    let mut manifests = Vec::new();
    for image in images {
        let mut entry = json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": image.manifest_digest,
            "size": image.manifest.len(),
        });
        if let Some(name) = image.names.first() {
            entry["annotations"] = json!({ REF_NAME: name });
        }
        manifests.push(entry);
    }
    json!({ "schemaVersion": 2, "manifests": manifests })
}

/// The blobs of `images` (manifest, config, layers), each once: (name in blobs/sha256, file or bytes).
fn layout_blobs(images: &[SavedImage]) -> Vec<(String, BlobData<'_>)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for image in images {
        let manifest_hex = image
            .manifest_digest
            .trim_start_matches("sha256:")
            .to_string();
        if seen.insert(manifest_hex.clone()) {
            out.push((manifest_hex, BlobData::Bytes(&image.manifest)));
        }
        if seen.insert(image.config_hex.clone()) {
            out.push((image.config_hex.clone(), BlobData::Bytes(&image.config)));
        }
        for (digest, _, size, path, _, _) in &image.layers {
            let hex = digest.trim_start_matches("sha256:").to_string();
            if seen.insert(hex.clone()) {
                out.push((hex, BlobData::File(path, *size)));
            }
        }
    }
    out
}

enum BlobData<'a> {
    Bytes(&'a [u8]),
    File(&'a Path, u64),
}

fn write_oci_dir(images: &[SavedImage], dir: &Path) -> Result<()> {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).map_err(io_err(format!("creating {}", blobs.display())))?;
    fs::write(dir.join(OCI_LAYOUT), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .map_err(io_err("writing oci-layout"))?;
    for (hex, data) in layout_blobs(images) {
        let path = blobs.join(&hex);
        match data {
            BlobData::Bytes(bytes) => fs::write(&path, bytes),
            BlobData::File(src, _) => fs::copy(src, &path).map(|_| ()),
        }
        .map_err(io_err(format!("writing {}", path.display())))?;
    }
    let index = serde_json::to_vec(&oci_index(images)).map_err(json_err("encoding index.json"))?;
    fs::write(dir.join(OCI_INDEX), index).map_err(io_err("writing index.json"))
}

fn append_bytes(builder: &mut tar::Builder<&mut dyn Write>, name: &str, data: &[u8]) -> Result<()> {
    let mut header = file_header(data.len() as u64);
    builder
        .append_data(&mut header, name, data)
        .map_err(io_err(format!("writing {name}")))
}

fn file_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mtime(0);
    header
}

fn append_dir(builder: &mut tar::Builder<&mut dyn Write>, name: &str) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(0);
    header.set_mode(0o755);
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mtime(0);
    builder
        .append_data(&mut header, name, io::empty())
        .map_err(io_err(format!("writing {name}")))
}

fn write_oci_archive(images: &[SavedImage], out: &mut dyn Write) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    append_bytes(
        &mut builder,
        OCI_LAYOUT,
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    append_dir(&mut builder, "blobs/")?;
    append_dir(&mut builder, "blobs/sha256/")?;
    for (hex, data) in layout_blobs(images) {
        let name = format!("blobs/sha256/{hex}");
        match data {
            BlobData::Bytes(bytes) => append_bytes(&mut builder, &name, bytes)?,
            BlobData::File(src, size) => {
                let file = File::open(src).map_err(io_err(format!("opening {}", src.display())))?;
                let mut header = file_header(size);
                builder
                    .append_data(&mut header, &name, BufReader::new(file).take(size))
                    .map_err(io_err(format!("writing {name}")))?;
            }
        }
    }
    let index = serde_json::to_vec(&oci_index(images)).map_err(json_err("encoding index.json"))?;
    append_bytes(&mut builder, OCI_INDEX, &index)?;
    builder
        .into_inner()
        .and_then(|w| w.flush())
        .map_err(io_err("writing the archive"))
}

fn write_docker_archive(images: &[SavedImage], out: &mut dyn Write) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    let mut written = BTreeSet::new();
    let mut manifest = Vec::new();
    let mut repositories = serde_json::Map::new();
    for image in images {
        let config_name = format!("{}.json", image.config_hex);
        if written.insert(config_name.clone()) {
            append_bytes(&mut builder, &config_name, &image.config)?;
        }
        let mut layer_names = Vec::new();
        for (_, _, _, path, diff_id, tar_size) in &image.layers {
            let name = format!("{}.tar", diff_id.trim_start_matches("sha256:"));
            if written.insert(name.clone()) {
                let mut file =
                    File::open(path).map_err(io_err(format!("opening {}", path.display())))?;
                let stream = storage::decompress(&mut file)
                    .map_err(io_err(format!("reading {}", path.display())))?;
                let mut header = file_header(*tar_size);
                builder
                    .append_data(&mut header, &name, stream.take(*tar_size))
                    .map_err(io_err(format!("writing {name}")))?;
            }
            layer_names.push(name);
        }
        for name in &image.names {
            let (repo, tag) = super::split_name(name);
            let top = repo.rsplit('/').next().unwrap_or(&repo).to_string();
            let _ = top;
            repositories
                .entry(repo)
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .map(|m| {
                    m.insert(
                        tag,
                        json!(image
                            .layers
                            .last()
                            .map(|l| l.4.trim_start_matches("sha256:"))
                            .unwrap_or("")),
                    )
                });
        }
        manifest.push(json!({
            "Config": config_name,
            "RepoTags": image.names,
            "Layers": layer_names,
        }));
    }
    let manifest = serde_json::to_vec(&manifest).map_err(json_err("encoding manifest.json"))?;
    append_bytes(&mut builder, DOCKER_MANIFEST, &manifest)?;
    let repositories = serde_json::to_vec(&Value::Object(repositories))
        .map_err(json_err("encoding repositories"))?;
    append_bytes(&mut builder, "repositories", &repositories)?;
    builder
        .into_inner()
        .and_then(|w| w.flush())
        .map_err(io_err("writing the archive"))
}

/// Writes the images in `format` to `target`.
fn write_saved(images: &[SavedImage], format: ArchiveFormat, target: SaveTarget<'_>) -> Result<()> {
    match (format, target) {
        (ArchiveFormat::OciDir, SaveTarget::Directory(dir)) => write_oci_dir(images, dir),
        (ArchiveFormat::OciArchive, SaveTarget::Stream(out)) => write_oci_archive(images, out),
        (ArchiveFormat::DockerArchive, SaveTarget::Stream(out)) => {
            write_docker_archive(images, out)
        }
        (ArchiveFormat::OciDir, SaveTarget::Stream(_)) => Err(Error::InvalidArgument(
            "oci-dir needs an output directory (-o DIR)".into(),
        )),
        (_, SaveTarget::Directory(_)) => Err(Error::InvalidArgument(
            "archive formats write to a file or stdout".into(),
        )),
    }
}

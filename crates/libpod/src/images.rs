//! Image operations of the engine: import, list, inspect, remove, with the
//! checks that need the container database (images in use).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use chrono::{DateTime, Utc};
use oci_spec::image::{Config, ConfigBuilder};
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::runtime::Runtime;

mod archive;
pub mod auth;
pub mod progress;
pub mod registries;
mod registry;
mod runlabel;
pub mod search;
mod transfer;

pub use archive::{ArchiveFormat, SaveTarget};
pub use progress::{NoProgress, Progress};
pub use registry::{Distribution, Platform, RegistryError, RegistryOptions};
pub use runlabel::RunlabelOptions;
pub use transfer::{ManifestFormat, PullPolicy};

/// A row of `history`, newest first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryEntry {
    /// The image ID for the newest entry, `<missing>` for the others (Podman's convention).
    pub id: String,
    #[serde(serialize_with = "go_time_opt")]
    pub created: Option<DateTime<Utc>>,
    pub created_by: String,
    pub size: u64,
    pub comment: String,
    /// True when the step made no layer.
    pub empty_layer: bool,
}

/// A layer of `image tree`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TreeLayer {
    /// Chain ID of the layer (its storage ID).
    pub id: String,
    pub size: u64,
    /// The names of the images whose top layer this is (Podman's "Top Layer of").
    pub top_of: Vec<String>,
    /// The layers built directly on this one (`--whatrequires` only).
    pub children: Vec<TreeLayer>,
}

/// A row of `images`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageSummary {
    pub id: String,
    /// Always empty: rpod images have no parent image.
    pub parent_id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub shared_size: u64,
    pub virtual_size: u64,
    /// The config's labels; `null` when it has none.
    pub labels: Option<BTreeMap<String, String>>,
    /// The names the image had, newest first.
    pub history: Vec<String>,
    pub names: Vec<String>,
    pub digest: String,
    pub created: i64,
    #[serde(serialize_with = "go_time")]
    pub created_at: DateTime<Utc>,
    pub size: u64,
    pub containers: usize,
    /// Chain IDs of its layers, bottom first (to find intermediate images).
    #[serde(skip)]
    pub layers: Vec<String>,
    /// No name and no child image (set by listings; Podman prints it only
    /// when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dangling: bool,
}

impl ImageSummary {
    /// `(repository, tag)` pairs of its names; `<none>` for an untagged image.
    pub fn repo_tags(&self) -> Vec<(String, String)> {
        if self.names.is_empty() {
            return vec![("<none>".into(), "<none>".into())];
        }
        self.names.iter().map(|n| split_name(n)).collect()
    }
}

/// `repository@digest` for each repository the image is named in, and the
/// ones it was pulled as by digest.
fn repo_digests(image: &storage::Image) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in &image.names {
        let d = format!("{}@{}", split_name(n).0, image.digest);
        if !out.contains(&d) {
            out.push(d);
        }
    }
    for d in &image.repo_digests {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}

/// Splits `host/repo:tag` into repository and tag.
pub fn split_name(name: &str) -> (String, String) {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => (
            name[..slash + i].to_string(),
            name[slash + i + 1..].to_string(),
        ),
        None => (name.to_string(), "latest".into()),
    }
}

/// A time as Go's RFC 3339 with nanoseconds prints it (trailing zeros of the
/// fraction dropped), as Podman's JSON has it.
fn go_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&storage::oci::go_rfc3339(*t))
}

fn go_time_opt<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => go_time(t, s),
        None => s.serialize_none(),
    }
}

/// `image inspect` output, in Podman's shape (same field names, order and types).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInspect {
    pub id: String,
    pub digest: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    /// Always empty: rpod images have no parent image.
    pub parent: String,
    pub comment: String,
    #[serde(serialize_with = "go_time")]
    pub created: DateTime<Utc>,
    pub config: serde_json::Value,
    pub version: String,
    pub author: String,
    pub architecture: String,
    pub os: String,
    pub size: u64,
    pub virtual_size: u64,
    /// `{"Type": "layers", "Layers": [diff IDs]}`.
    #[serde(rename = "RootFS")]
    pub rootfs: InspectRootFs,
    pub labels: serde_json::Value,
    pub annotations: serde_json::Value,
    pub manifest_type: String,
    pub user: String,
    pub history: serde_json::Value,
    pub names_history: Vec<String>,
    /// Docker's HEALTHCHECK of the config, when it has one (Podman's `Healthcheck`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<serde_json::Value>,
    /// The storage driver (`Data` is `null`: rpod shows no layer directories).
    pub graph_driver: serde_json::Value,
    /// The config's `rootfs` as stored (`type`, `diff_ids`); not printed.
    #[serde(skip_serializing)]
    pub root_fs: serde_json::Value,
}

/// `RootFS` of [`ImageInspect`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectRootFs {
    #[serde(rename = "Type")]
    pub kind: String,
    pub layers: Vec<String>,
}

/// The platform an imported image says it is for (`None`: this host's).
#[derive(Debug, Clone, Default)]
pub struct ImportPlatform {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
}

impl Runtime {
    /// Imports a root file system tarball as a one-layer image. As in
    /// Podman, the history names the tarball by its digest, the comment is
    /// the message or "imported from tarball", and the image is created at
    /// `created` (a file's modification time) or now.
    pub fn import_image(
        &self,
        tar: &mut dyn Read,
        name: Option<&str>,
        changes: &[String],
        message: Option<String>,
        created: Option<DateTime<Utc>>,
    ) -> Result<storage::Image> {
        self.import_image_for(
            tar,
            name,
            changes,
            message,
            created,
            &ImportPlatform::default(),
        )
    }

    /// [`Self::import_image`], recording `platform` in the config
    /// (`import --arch/--os/--variant`).
    pub fn import_image_for(
        &self,
        tar: &mut dyn Read,
        name: Option<&str>,
        changes: &[String],
        message: Option<String>,
        created: Option<DateTime<Utc>>,
        platform: &ImportPlatform,
    ) -> Result<storage::Image> {
        let config = apply_changes(changes)?;
        let names = match name {
            Some(n) => vec![storage::normalize_name(n)?],
            None => Vec::new(),
        };
        // The digest of the tarball is known only once it is read: spool it.
        let tmp_dir = self.paths.storage_root().join("tmp");
        std::fs::create_dir_all(&tmp_dir).ctx(|| format!("creating {}", tmp_dir.display()))?;
        let spool_path = tmp_dir.join(format!("import-{}", crate::ids::new_id()?));
        let spooled = spool_hashed(tar, &spool_path);
        let result = spooled.and_then(|hex| {
            let mut file = std::fs::File::open(&spool_path)
                .ctx(|| format!("opening {}", spool_path.display()))?;
            Ok(self.store()?.import(
                &mut file,
                storage::ImportOptions {
                    names,
                    config,
                    comment: Some(message.unwrap_or_else(|| "imported from tarball".into())),
                    created_by: Some(format!("/bin/sh -c #(nop) ADD file:{hex} in /")),
                    created,
                    architecture: platform.architecture.clone(),
                    os: platform.os.clone(),
                    variant: platform.variant.clone(),
                },
            )?)
        });
        let _ = std::fs::remove_file(&spool_path);
        let image = result?;
        self.image_event(
            &image.id,
            image.names.first().map(String::as_str).unwrap_or(""),
            "import",
        );
        Ok(image)
    }

    /// `import URL`: the root file system tarball is fetched (http or
    /// https), then imported as [`Runtime::import_image`] imports a file.
    pub fn import_image_url(
        &self,
        url: &str,
        name: Option<&str>,
        changes: &[String],
        message: Option<String>,
        platform: &ImportPlatform,
    ) -> Result<storage::Image> {
        // The store first: opening it empties its tmp/, where the download goes.
        self.store()?;
        let tmp_dir = self.paths.storage_root().join("tmp");
        std::fs::create_dir_all(&tmp_dir).ctx(|| format!("creating {}", tmp_dir.display()))?;
        let path = tmp_dir.join(format!("import-url-{}", crate::ids::new_id()?));
        let result = (|| {
            let mut file =
                std::fs::File::create(&path).ctx(|| format!("creating {}", path.display()))?;
            crate::fetch::fetch_url(url, &mut file)?;
            let mut file =
                std::fs::File::open(&path).ctx(|| format!("opening {}", path.display()))?;
            self.import_image_for(&mut file, name, changes, message, None, platform)
        })();
        let _ = std::fs::remove_file(&path);
        result.map_err(|e| e.naming_no_space(&format!("import of {url}")))
    }

    /// Every image, newest first.
    pub fn images(&self) -> Result<Vec<ImageSummary>> {
        let containers = self.db.all_containers()?;
        let store = self.store()?;
        Ok(store
            .images()?
            .into_iter()
            .map(|i| ImageSummary {
                containers: containers
                    .iter()
                    .filter(|(c, _)| c.image_id.as_deref() == Some(i.id.as_str()))
                    .count(),
                parent_id: String::new(),
                repo_tags: i.names.clone(),
                repo_digests: repo_digests(&i),
                shared_size: 0,
                virtual_size: i.size,
                labels: store
                    .image_config(&i)
                    .ok()
                    .and_then(|c| c.config().as_ref().and_then(|c| c.labels().clone()))
                    .filter(|l| !l.is_empty())
                    .map(|l| l.into_iter().collect()),
                history: i.names.clone(),
                id: i.id,
                names: i.names,
                digest: i.digest,
                created: i.created.timestamp(),
                created_at: i.created,
                size: i.size,
                layers: i.layers,
                dangling: false,
            })
            .collect())
    }

    /// Looks an image up by name, ID or ID prefix.
    pub fn image(&self, reference: &str) -> Result<storage::Image> {
        self.store()?.lookup_image(reference).map_err(|e| match e {
            storage::Error::ImageNotFound(_) => Error::NoSuchImage(reference.to_string()),
            other => Error::Storage(other),
        })
    }

    /// True when the reference resolves.
    pub fn image_exists(&self, reference: &str) -> Result<bool> {
        match self.image(reference) {
            Ok(_) => Ok(true),
            Err(Error::NoSuchImage(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `image inspect`.
    pub fn inspect_image(&self, reference: &str) -> Result<ImageInspect> {
        let image = self.image(reference)?;
        let store = self.store()?;
        let config = store.image_config(&image)?;
        let value = serde_json::to_value(&config).map_err(|source| Error::Json {
            context: "encoding an image config".into(),
            source,
        })?;
        let field = |k: &str| value.get(k).cloned().unwrap_or(serde_json::Value::Null);
        let text = |k: &str| field(k).as_str().unwrap_or_default().to_string();
        let image_config = field("config");
        // Docker's HEALTHCHECK (`--format docker` builds), which Podman shows at the top level.
        let healthcheck = store
            .image_config_blob(&image)
            .ok()
            .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
            .and_then(|raw| raw["config"].get("Healthcheck").cloned())
            .filter(|h| !h.is_null());
        // A manifest that cannot be read only loses the manifest fields.
        let manifest = store.image_manifest(&image).ok();
        let manifest_type = manifest
            .as_ref()
            .and_then(|m| m.media_type().as_ref().map(|t| t.to_string()))
            .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into());
        let annotations = manifest
            .as_ref()
            .and_then(|m| m.annotations().clone())
            .map(|a| serde_json::json!(a))
            .unwrap_or_else(|| serde_json::json!({}));
        let comment = Some(text("comment"))
            .filter(|c| !c.is_empty())
            .or_else(|| {
                config
                    .history()
                    .iter()
                    .filter_map(|h| h.comment().clone())
                    .rfind(|c| !c.is_empty())
            })
            .unwrap_or_default();
        Ok(ImageInspect {
            id: image.id.clone(),
            digest: image.digest.clone(),
            repo_tags: image.names.clone(),
            repo_digests: repo_digests(&image),
            parent: String::new(),
            comment,
            created: image.created,
            labels: image_config
                .get("Labels")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            user: image_config
                .get("User")
                .and_then(|u| u.as_str())
                .unwrap_or_default()
                .to_string(),
            config: image_config,
            version: text("docker_version"),
            author: text("author"),
            architecture: config.architecture().to_string(),
            os: config.os().to_string(),
            size: image.size,
            virtual_size: image.size,
            rootfs: InspectRootFs {
                kind: "layers".into(),
                layers: config.rootfs().diff_ids().clone(),
            },
            annotations,
            manifest_type,
            history: field("history"),
            names_history: image.names.clone(),
            healthcheck,
            graph_driver: serde_json::json!({"Name": store.driver().to_string(), "Data": null}),
            root_fs: field("rootfs"),
        })
    }

    /// Removes an image (or, given a name of an image with several names,
    /// just that name). Images used by containers are refused unless
    /// `force`, which removes those containers first. Like Podman, an image
    /// with several names given by ID or digest (`sha256:…`, `name@sha256:…`)
    /// is refused unless `force`. Returns Podman's `Untagged:`/`Deleted:` lines.
    pub fn remove_image(&self, reference: &str, force: bool) -> Result<Vec<String>> {
        let image = self.image(reference)?;
        let store = self.store()?;
        let normalized = storage::normalize_name(reference).ok();
        let by_name = normalized
            .as_ref()
            .filter(|n| image.names.contains(n))
            .cloned()
            .or_else(|| {
                image
                    .names
                    .iter()
                    .find(|n| n.ends_with(&format!("/{reference}")) || **n == reference)
                    .cloned()
            })
            .filter(|_| !reference.contains('@') && !reference.starts_with("sha256:"));
        if image.names.len() > 1 {
            if let Some(name) = &by_name {
                store.untag_image(&image.id, name)?;
                self.image_event(&image.id, name, "untag");
                return Ok(vec![format!("Untagged: {name}")]);
            }
            if !force {
                return Err(Error::ImageHasNames {
                    id: image.id.clone(),
                    names: image.names.clone(),
                });
            }
        }
        self.delete_image(&image, force)
    }

    /// `rmi -a`: removes every image (all its names at once).
    pub fn remove_all_images(&self, force: bool) -> Result<Vec<String>> {
        let mut report = Vec::new();
        let mut first_err = None;
        for summary in self.images()? {
            let image = match self.image(&summary.id) {
                Ok(image) => image,
                Err(Error::NoSuchImage(_)) => continue,
                Err(e) => return Err(e),
            };
            match self.delete_image(&image, force) {
                Ok(lines) => report.extend(lines),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Deletes `image` with all its names; containers using it are refused unless `force`,
    /// which removes them first.
    fn delete_image(&self, image: &storage::Image, force: bool) -> Result<Vec<String>> {
        let store = self.store()?;
        let mut report = Vec::new();
        let users = self.db.containers_using_image(&image.id)?;
        if !users.is_empty() {
            if !force {
                return Err(Error::ImageInUse {
                    image: image
                        .names
                        .first()
                        .cloned()
                        .unwrap_or_else(|| image.id[..12].to_string()),
                    containers: users
                        .iter()
                        .map(|(id, name)| format!("{} ({name})", &id[..12]))
                        .collect(),
                });
            }
            for (id, _) in &users {
                self.container(id)?.remove(true, Some(0))?;
            }
        }
        store.remove_image(&image.id)?;
        for n in &image.names {
            report.push(format!("Untagged: {n}"));
        }
        report.push(format!("Deleted: {}", image.id));
        self.image_event(
            &image.id,
            image.names.first().map(String::as_str).unwrap_or(""),
            "remove",
        );
        Ok(report)
    }

    /// Adds names to an image (`tag`).
    pub fn tag_image(&self, reference: &str, names: &[String]) -> Result<()> {
        let image = self.image(reference)?;
        let store = self.store()?;
        for name in names {
            store.tag_image(&image.id, name)?;
            self.image_event(&image.id, name, "tag");
        }
        Ok(())
    }

    /// Removes names from an image (`untag`); all of them when `names` is empty.
    pub fn untag_image(&self, reference: &str, names: &[String]) -> Result<()> {
        let image = self.image(reference)?;
        let store = self.store()?;
        let names = if names.is_empty() {
            image.names.clone()
        } else {
            names.to_vec()
        };
        for name in &names {
            store.untag_image(&image.id, name)?;
            self.image_event(&image.id, name, "untag");
        }
        Ok(())
    }

    /// `history`: the config's history, newest first, with layer sizes.
    pub fn image_history(&self, reference: &str) -> Result<Vec<HistoryEntry>> {
        let image = self.image(reference)?;
        let store = self.store()?;
        let config = store.image_config(&image)?;
        let mut layer_sizes = Vec::new();
        for chain in &image.layers {
            layer_sizes.push(store.layer(chain)?.size);
        }
        let mut next_layer = 0usize;
        let mut entries = Vec::new();
        for h in config.history() {
            let empty = h.empty_layer().unwrap_or(false);
            let size = if empty {
                0
            } else {
                let size = layer_sizes.get(next_layer).copied().unwrap_or(0);
                next_layer += 1;
                size
            };
            entries.push(HistoryEntry {
                id: "<missing>".into(),
                created: h
                    .created()
                    .as_deref()
                    .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
                    .map(|c| c.with_timezone(&Utc)),
                created_by: h.created_by().clone().unwrap_or_default(),
                size,
                comment: h.comment().clone().unwrap_or_default(),
                empty_layer: empty,
            });
        }
        if entries.is_empty() {
            for size in &layer_sizes {
                entries.push(HistoryEntry {
                    id: "<missing>".into(),
                    created: Some(image.created),
                    created_by: String::new(),
                    size: *size,
                    comment: String::new(),
                    empty_layer: false,
                });
            }
        }
        entries.reverse();
        if let Some(first) = entries.first_mut() {
            first.id = image.id.clone();
        }
        Ok(entries)
    }

    /// For each entry of `image_history` (newest first), the ID of another
    /// local image that is exactly the image up to that entry (the same
    /// layers and as many history entries), as Docker's history names the
    /// images an image was built on; `None` where there is none.
    pub fn history_base_images(&self, reference: &str) -> Result<Vec<Option<String>>> {
        let image = self.image(reference)?;
        let store = self.store()?;
        let history_len = |img: &storage::Image| -> Result<usize> {
            Ok(store.image_config(img)?.history().len())
        };
        let config = store.image_config(&image)?;
        let others: Vec<storage::Image> = store
            .images()?
            .into_iter()
            .filter(|o| o.id != image.id && image.layers.starts_with(&o.layers))
            .collect();
        let mut out = Vec::new();
        let mut layers = 0usize;
        for (j, h) in config.history().iter().enumerate() {
            if !h.empty_layer().unwrap_or(false) {
                layers += 1;
            }
            let mut found = None;
            for o in others.iter().filter(|o| o.layers.len() == layers) {
                if history_len(o)? == j + 1 {
                    found = Some(o.id.clone());
                    break;
                }
            }
            out.push(found);
        }
        out.reverse();
        Ok(out)
    }

    /// `image diff IMAGE`: what the image's top layer changed relative to its parent (the
    /// layers below it), as `diff` lists a container's changes.
    pub fn image_changes(&self, reference: &str) -> Result<Vec<storage::Change>> {
        let image = self.image(reference)?;
        Ok(self.store()?.image_changes(&image.id)?)
    }

    /// `image tree`: the image and its layers, bottom first, as Podman lists them; with
    /// `what_requires` instead the image's top layer with every layer built on it
    /// (the layers of the images that need this one), as a tree.
    pub fn image_tree(
        &self,
        reference: &str,
        what_requires: bool,
    ) -> Result<(storage::Image, Vec<TreeLayer>)> {
        let image = self.image(reference)?;
        let store = self.store()?;
        let images = store.images()?;
        // The layer graph of every image: parent of each chain ID, its children, and the
        // names of the images it is the top of.
        let mut parent: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut top_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for i in &images {
            let mut below: Option<&String> = None;
            for chain in &i.layers {
                if !parent.contains_key(chain) {
                    parent.insert(chain.clone(), below.cloned());
                    if let Some(b) = below {
                        children.entry(b.clone()).or_default().push(chain.clone());
                    }
                }
                below = Some(chain);
            }
            if let Some(top) = i.layers.last() {
                top_of
                    .entry(top.clone())
                    .or_default()
                    .extend(i.names.iter().cloned());
            }
        }
        let node = |chain: &str| -> Result<TreeLayer> {
            let layer = store.layer(chain)?;
            Ok(TreeLayer {
                id: layer.chain_id,
                size: layer.size,
                top_of: top_of.get(chain).cloned().unwrap_or_default(),
                children: Vec::new(),
            })
        };
        fn subtree(
            chain: &str,
            children: &BTreeMap<String, Vec<String>>,
            node: &dyn Fn(&str) -> Result<TreeLayer>,
        ) -> Result<TreeLayer> {
            let mut n = node(chain)?;
            for c in children.get(chain).into_iter().flatten() {
                n.children.push(subtree(c, children, node)?);
            }
            Ok(n)
        }
        let Some(top) = image.layers.last().cloned() else {
            return Ok((image, Vec::new()));
        };
        let layers = if what_requires {
            vec![subtree(&top, &children, &node)?]
        } else {
            let mut out = Vec::new();
            let mut at = Some(top);
            while let Some(chain) = at {
                out.push(node(&chain)?);
                at = parent.get(&chain).cloned().flatten();
            }
            out.reverse();
            out
        };
        Ok((image, layers))
    }

    pub(crate) fn image_event(&self, id: &str, name: &str, status: &str) {
        self.events.write(&crate::events::Event {
            id: id.to_string(),
            image: String::new(),
            name: name.to_string(),
            status: status.to_string(),
            time: Utc::now(),
            kind: "image".into(),
            network: String::new(),
            exit_code: None,
            attributes: Default::default(),
        });
    }
}

/// Applies `--change` instructions (Dockerfile syntax, `KEY=value` or
/// `KEY value`) to a fresh image config.
pub fn apply_changes(changes: &[String]) -> Result<Config> {
    let mut b = ConfigBuilder::default();
    let mut env: Vec<String> = Vec::new();
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut exposed: Vec<String> = Vec::new();
    let mut volumes: Vec<String> = Vec::new();
    for change in changes {
        let change = change.trim();
        let split = change
            .find(['=', ' '])
            .ok_or_else(|| bad_change(change, "expected INSTRUCTION=value"))?;
        let (key, value) = (&change[..split], change[split + 1..].trim());
        match key.to_ascii_uppercase().as_str() {
            "CMD" => b = b.cmd(command_form(value)),
            "ENTRYPOINT" => b = b.entrypoint(command_form(value)),
            "ENV" => {
                let kv = match value.split_once('=') {
                    Some((k, v)) => format!("{}={}", k.trim(), v.trim_matches('"')),
                    None => match value.split_once(' ') {
                        Some((k, v)) => format!("{k}={}", v.trim()),
                        None => return Err(bad_change(change, "ENV needs NAME=value")),
                    },
                };
                env.push(kv);
            }
            "WORKDIR" => b = b.working_dir(value.to_string()),
            "USER" => b = b.user(value.to_string()),
            "STOPSIGNAL" => {
                ocirt::spec::parse_signal(value).map_err(|e| bad_change(change, &e.to_string()))?;
                b = b.stop_signal(value.to_string());
            }
            "LABEL" => {
                let (k, v) = value
                    .split_once('=')
                    .ok_or_else(|| bad_change(change, "LABEL needs key=value"))?;
                labels.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
            }
            "EXPOSE" => exposed.extend(value.split_whitespace().map(|p| {
                if p.contains('/') {
                    p.to_string()
                } else {
                    format!("{p}/tcp")
                }
            })),
            "VOLUME" => volumes.extend(volume_list(value)),
            other => {
                return Err(bad_change(
                    change,
                    &format!("unsupported instruction {other}"),
                ))
            }
        }
    }
    if !env.is_empty() {
        b = b.env(env);
    }
    if !labels.is_empty() {
        b = b.labels(labels);
    }
    if !exposed.is_empty() {
        b = b.exposed_ports(exposed);
    }
    if !volumes.is_empty() {
        b = b.volumes(volumes);
    }
    b.build()
        .map_err(|e| Error::InvalidArgument(format!("invalid --change: {e}")))
}

fn bad_change(change: &str, why: &str) -> Error {
    Error::InvalidArgument(format!("invalid --change {change:?}: {why}"))
}

/// `VOLUME ["/a", "/b"]` (JSON) or `VOLUME /a /b`.
fn volume_list(value: &str) -> Vec<String> {
    if value.starts_with('[') {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(value) {
            return list;
        }
    }
    value.split_whitespace().map(str::to_string).collect()
}

/// `["a","b"]` (exec form) or `a b` (shell form, run by /bin/sh -c).
fn command_form(value: &str) -> Vec<String> {
    if value.starts_with('[') {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(value) {
            return list;
        }
    }
    vec!["/bin/sh".into(), "-c".into(), value.to_string()]
}

/// Copies `from` into a new file at `path`; returns the sha256 hex of the data.
fn spool_hashed(from: &mut dyn Read, path: &std::path::Path) -> Result<String> {
    use sha2::Digest;
    use std::io::Write;
    let mut out = std::fs::File::create(path).ctx(|| format!("creating {}", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).ctx(|| "reading the tarball".into()),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .ctx(|| format!("writing {}", path.display()))?;
    }
    out.sync_all()
        .ctx(|| format!("writing {}", path.display()))?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply() {
        let cfg = apply_changes(&[
            "CMD=[\"sh\",\"-c\",\"echo hi\"]".into(),
            "ENV=A=1".into(),
            "ENV B 2".into(),
            "WORKDIR=/srv".into(),
            "ENTRYPOINT /bin/true".into(),
            "LABEL=a=b".into(),
        ])
        .unwrap();
        assert_eq!(cfg.cmd().clone().unwrap(), vec!["sh", "-c", "echo hi"]);
        assert_eq!(cfg.env().clone().unwrap(), vec!["A=1", "B=2"]);
        assert_eq!(cfg.working_dir().clone().unwrap(), "/srv");
        assert_eq!(
            cfg.entrypoint().clone().unwrap(),
            vec!["/bin/sh", "-c", "/bin/true"]
        );
        assert!(apply_changes(&["BOGUS=1".into()]).is_err());
        assert!(apply_changes(&["CMD".into()]).is_err());
    }

    #[test]
    fn names_split() {
        assert_eq!(
            split_name("localhost/busybox:latest"),
            ("localhost/busybox".into(), "latest".into())
        );
        assert_eq!(
            split_name("localhost:5000/a/b:1"),
            ("localhost:5000/a/b".into(), "1".into())
        );
        assert_eq!(
            split_name("localhost:5000/a"),
            ("localhost:5000/a".into(), "latest".into())
        );
    }
}

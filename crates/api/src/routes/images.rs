//! Docker's image endpoints.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use libpod::query::{ImageFilters, ImageListOptions};
use serde_json::{json, Value};

use super::transfer::{error_line, line};
use super::{json, Params};
use crate::body::{BodyReader, ChannelBody};
use crate::docker_types::image_id;
use crate::error::{Error, Result};
use crate::hijack;
use crate::state::AppState;

fn summary(i: &libpod::images::ImageSummary, labels: Value) -> Value {
    // Docker lists an image's tags in lexical order.
    let tags: Vec<String> = if i.names.is_empty() {
        vec!["<none>:<none>".into()]
    } else {
        let mut t = i.names.clone();
        t.sort();
        t
    };
    let digests = i.repo_digests.clone();
    json!({
        "Id": image_id(&i.id),
        "ParentId": "",
        "RepoTags": tags,
        "RepoDigests": if digests.is_empty() { vec![format!("<none>@{}", i.digest)] } else { digests },
        "Created": i.created,
        "Size": i.size,
        "SharedSize": -1,
        "VirtualSize": i.size,
        "Labels": labels,
        "Containers": i.containers,
    })
}

/// Docker image summaries of a listing, newest first.
async fn listing(st: &AppState, opts: ImageListOptions) -> Result<Vec<Value>> {
    st.engine(move |rt| {
        Ok(rt
            .list_images(&opts)?
            .iter()
            .map(|i| summary(i, json!(i.labels)))
            .collect())
    })
    .await
}

/// Docker summaries of every image, newest first.
pub async fn summaries(st: &AppState) -> Result<Vec<Value>> {
    let opts = ImageListOptions {
        all: true,
        ..Default::default()
    };
    listing(st, opts).await
}

/// `GET /images/json?all=&filters=`.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let opts = ImageListOptions {
        all: p.bool("all", false)?,
        filters: ImageFilters::from_json(p.get("filters").unwrap_or(""))?,
    };
    Ok(json(StatusCode::OK, &listing(&st, opts).await?))
}

/// Splits `/images/NAME/ACTION` (NAME may contain slashes).
fn split_action(rest: &str) -> (&str, &str) {
    match rest.rsplit_once('/') {
        Some((name, action)) => (name, action),
        None => (rest, ""),
    }
}

/// The Docker inspect document of an image.
/// An image's configuration in Docker's shape: every member Docker's
/// `ContainerConfig` has, `null` or zero where the image sets nothing.
fn docker_config(config: Value) -> Value {
    let mut doc = json!({
        "Hostname": "", "Domainname": "", "User": "",
        "AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
        "Tty": false, "OpenStdin": false, "StdinOnce": false,
        "Env": null, "Cmd": null, "Image": "", "Volumes": null, "WorkingDir": "",
        "Entrypoint": null, "OnBuild": null, "Labels": null,
    });
    if let (Value::Object(out), Value::Object(given)) = (&mut doc, config) {
        out.extend(given.into_iter().filter(|(_, v)| !v.is_null()));
    }
    doc
}

pub fn inspect_doc(rt: &libpod::Runtime, name: &str) -> Result<Value> {
    let i = rt.inspect_image(name)?;
    let driver = rt
        .store()
        .map(|s| s.driver().to_string())
        .unwrap_or_default();
    // Docker lists an image's tags in lexical order.
    let mut repo_tags = i.repo_tags.clone();
    repo_tags.sort();
    Ok(json!({
        "Id": image_id(&i.id),
        "RepoTags": repo_tags,
        "RepoDigests": i.repo_digests,
        "Parent": "",
        "Comment": i.comment,
        "Created": storage::oci::go_rfc3339(i.created),
        "DockerVersion": "",
        "Author": i.author,
        "Container": "",
        "ContainerConfig": docker_config(Value::Null),
        "Config": docker_config(serde_json::to_value(&i.config).unwrap_or(Value::Null)),
        "Architecture": i.architecture,
        "Os": i.os,
        "Size": i.size,
        "VirtualSize": i.virtual_size,
        "GraphDriver": { "Name": driver, "Data": null },
        "RootFS": {
            "Type": i.root_fs.get("type").cloned().unwrap_or(json!("layers")),
            "Layers": i.root_fs.get("diff_ids").cloned().unwrap_or(json!([])),
        },
        "Metadata": { "LastTagTime": "0001-01-01T00:00:00Z" },
    }))
}

/// Docker's history: newest first, each entry with its layer's size and
/// the local image it was built on where there is one (ID and tags).
fn history_doc(rt: &libpod::Runtime, name: &str) -> Result<Value> {
    let top = rt.image(name)?;
    let entries = rt.image_history(name)?;
    let bases = rt.history_base_images(name)?;
    let mut out = Vec::new();
    for (idx, h) in entries.iter().enumerate() {
        let id = if idx == 0 {
            Some(top.id.clone())
        } else {
            bases.get(idx).cloned().flatten()
        };
        let tags = match &id {
            Some(id) => {
                let img = rt.image(id)?;
                if img.names.is_empty() {
                    Value::Null
                } else {
                    json!(img.names)
                }
            }
            None => Value::Null,
        };
        out.push(json!({
            "Id": id.map(|id| image_id(&id)).unwrap_or_else(|| "<missing>".into()),
            "Created": h.created.map(|t| t.timestamp()).unwrap_or(0),
            "CreatedBy": h.created_by,
            "Tags": tags,
            "Size": h.size,
            "Comment": h.comment,
        }));
    }
    Ok(json!(out))
}

/// `GET /images/get?names=`: `docker save` of several images.
pub async fn save_many(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let names = Params::from_raw(q)?.all("names");
    super::transfer::save(st, names).await
}

/// `POST /images/load`.
pub async fn load(State(st): State<AppState>, body: Body) -> Result<Response> {
    super::transfer::load(st, body).await
}

/// `GET /images/{name}/json|history|get`.
pub async fn get_sub(State(st): State<AppState>, Path(rest): Path<String>) -> Result<Response> {
    let (name, action) = split_action(&rest);
    let name = name.to_string();
    let doc = match action {
        "json" => st.engine(move |rt| inspect_doc(rt, &name)).await?,
        "history" => st.engine(move |rt| history_doc(rt, &name)).await?,
        "get" => return super::transfer::save(st, vec![name]).await,
        _ => return Err(Error::NotFound("page not found".into())),
    };
    Ok(json(StatusCode::OK, &doc))
}

/// `POST /images/{name}/tag?repo=&tag=`, `/push`.
pub async fn post_sub(
    State(st): State<AppState>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    q: RawQuery,
) -> Result<Response> {
    let (name, action) = split_action(&rest);
    let name = name.to_string();
    match action {
        "tag" => {
            let p = Params::from_raw(q)?;
            let repo = p
                .get("repo")
                .filter(|r| !r.is_empty())
                .ok_or_else(|| Error::BadRequest("repo is required".into()))?
                .to_string();
            let target = match p.get("tag").filter(|t| !t.is_empty()) {
                Some(t) => format!("{repo}:{t}"),
                None => repo,
            };
            st.engine(move |rt| {
                let image = rt.image(&name)?;
                rt.store()?
                    .tag_image(&image.id, &target)
                    .map_err(libpod::Error::from)?;
                Ok(())
            })
            .await?;
            Ok(json(StatusCode::CREATED, &Value::Null))
        }
        "push" => {
            let tag = Params::from_raw(q)?.get("tag").map(str::to_string);
            super::transfer::push(st, headers, name, tag).await
        }
        _ => Err(Error::NotFound("page not found".into())),
    }
}

/// `DELETE /images/{name}?force=`.
pub async fn remove(
    State(st): State<AppState>,
    Path(name): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let force = Params::from_raw(q)?.bool("force", false)?;
    let lines = st
        .engine(move |rt| Ok(rt.remove_image(&name, force)?))
        .await?;
    let out: Vec<Value> = lines
        .iter()
        .filter_map(|l| {
            if let Some(n) = l.strip_prefix("Untagged: ") {
                Some(json!({ "Untagged": n }))
            } else {
                l.strip_prefix("Deleted: ")
                    .map(|id| json!({ "Deleted": image_id(id) }))
            }
        })
        .collect();
    Ok(json(StatusCode::OK, &out))
}

/// `POST /images/prune?filters=` (`dangling=false` prunes every unused image).
pub async fn prune(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let filters = p.prune_filters(libpod::query::Resource::Images)?;
    let removed = st
        .engine(move |rt| Ok(rt.prune_images(false, &filters)?))
        .await?;
    let reclaimed: u64 = removed.iter().map(|(_, size)| size).sum();
    let deleted: Vec<Value> = removed
        .iter()
        .map(|(id, _)| json!({ "Deleted": image_id(id) }))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({ "ImagesDeleted": deleted, "SpaceReclaimed": reclaimed }),
    ))
}

/// `POST /images/create`: `fromSrc=-` imports the body as a root file
/// system tarball, `fromSrc=URL` the tarball fetched from the URL;
/// `fromImage` pulls from a registry with progress JSON.
pub async fn create(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: RawQuery,
    body: Body,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    if let Some(src) = p.get("fromSrc") {
        let name = match (
            p.get("repo").filter(|r| !r.is_empty()),
            p.get("tag").filter(|t| !t.is_empty()),
        ) {
            (Some(r), Some(t)) => Some(format!("{r}:{t}")),
            (Some(r), None) => Some(r.to_string()),
            _ => None,
        };
        let changes = p.all("changes");
        let message = p
            .get("message")
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        // `platform=os[/arch[/variant]]`.
        let mut parts = p
            .get("platform")
            .filter(|v| !v.is_empty())
            .map(|v| v.split('/').map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter();
        let platform = libpod::images::ImportPlatform {
            os: parts.next(),
            architecture: parts.next(),
            variant: parts.next(),
        };
        let result = if src == "-" {
            let mut reader = BodyReader::spawn(body);
            st.engine(move |rt| {
                Ok(rt.import_image_for(
                    &mut reader,
                    name.as_deref(),
                    &changes,
                    message,
                    None,
                    &platform,
                )?)
            })
            .await
        } else {
            let url = src.to_string();
            st.engine(move |rt| {
                Ok(rt.import_image_url(&url, name.as_deref(), &changes, message, &platform)?)
            })
            .await
        };
        let (tx, resp_body) = ChannelBody::channel(2);
        let chunk = match result {
            Ok(image) => line(&json!({ "status": image_id(&image.id) })),
            Err(e) => error_line(&e.to_string()),
        };
        let _ = tx.send(chunk).await;
        return Ok(hijack::stream_response("application/json", resp_body));
    }
    let image = p
        .get("fromImage")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| Error::BadRequest("fromImage or fromSrc is required".into()))?;
    // A digest as the tag names the manifest (`repo@sha256:…`); no tag at
    // all (and none in the name) pulls every tag, as from Docker.
    let tagged = image.contains('@') || image.rsplit('/').next().is_some_and(|l| l.contains(':'));
    let (reference, all_tags) = match p.get("tag").filter(|t| !t.is_empty()) {
        Some(_) if image.contains('@') => (image.to_string(), false),
        Some(t) if t.starts_with("sha256:") => (format!("{image}@{t}"), false),
        Some(t) => (format!("{image}:{t}"), false),
        None => (image.to_string(), !tagged),
    };
    super::transfer::pull(st, headers, reference, all_tags).await
}

/// `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=`:
/// a new image from a container; the body's configuration (Docker's
/// `ContainerConfig`) is set on top of the `changes`.
pub async fn commit(State(st): State<AppState>, q: RawQuery, body: Body) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let container = p
        .get("container")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::BadRequest("container is required".into()))?
        .to_string();
    let name = match (
        p.get("repo").filter(|r| !r.is_empty()),
        p.get("tag").filter(|t| !t.is_empty()),
    ) {
        (Some(r), Some(t)) => Some(format!("{r}:{t}")),
        (Some(r), None) => Some(r.to_string()),
        (None, Some(_)) => {
            return Err(Error::BadRequest("tag is given without repo".into()));
        }
        (None, None) => None,
    };
    let config: Option<crate::docker_types::CommitConfig> = crate::body::read_json(body).await?;
    let config = config
        .map(crate::docker_types::CommitConfig::into_image_config)
        .transpose()
        .map_err(Error::BadRequest)?;
    let opts = libpod::container::CommitOptions {
        include_volumes: false,
        // Docker's engine commits Docker images.
        docker_format: true,
        squash: false,
        name,
        changes: p
            .all("changes")
            .into_iter()
            .flat_map(|c| c.lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|c| !c.trim().is_empty())
            .collect(),
        message: p
            .get("comment")
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        author: p
            .get("author")
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        pause: p.bool("pause", true)?,
        config,
    };
    let image = st
        .engine(move |rt| Ok(rt.container(&container)?.commit(&opts)?))
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({ "Id": image_id(&image.id) }),
    ))
}

/// The query of `GET /images/search` and `/libpod/images/search`.
fn search_options(p: &Params) -> Result<(String, libpod::images::search::SearchOptions)> {
    use libpod::images::search::{SearchFilters, SearchOptions};
    let term = p
        .get("term")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::BadRequest("term is required".into()))?
        .to_string();
    let filters: Vec<String> = p
        .filters()?
        .into_iter()
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") })
        .collect();
    let mut registry = super::transfer::registry_options_for_host(&term);
    if p.get("tlsVerify").is_some() {
        registry.tls_verify = Some(p.bool("tlsVerify", true)?);
    }
    Ok((
        term,
        SearchOptions {
            limit: p.num::<usize>("limit")?.filter(|l| *l > 0),
            filters: SearchFilters::parse(&filters)?,
            registry,
        },
    ))
}

/// `GET /images/search?term=&limit=&filters=`: Docker's result shape.
pub async fn search(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let (term, opts) = search_options(&Params::from_raw(q)?)?;
    let found = st.engine(move |rt| Ok(rt.search(&term, &opts)?)).await?;
    let docs: Vec<Value> = found
        .into_iter()
        .map(|r| {
            json!({
                "name": r.name,
                "description": r.description,
                "star_count": r.stars,
                "is_official": !r.official.is_empty(),
                "is_automated": !r.automated.is_empty(),
            })
        })
        .collect();
    Ok(json(StatusCode::OK, &docs))
}

/// `GET /libpod/images/search?term=&limit=&filters=&tlsVerify=&listTags=`:
/// Podman's reports (one per tag with `listTags`).
pub async fn libpod_search(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let list_tags = p.bool("listTags", false)?;
    let (term, opts) = search_options(&p)?;
    let docs = st
        .engine(move |rt| {
            if !list_tags {
                return serde_json::to_value(rt.search(&term, &opts)?)
                    .map_err(|e| Error::Internal(e.to_string()));
            }
            let rows: Vec<Value> = rt
                .search_tags(&term, &opts)?
                .into_iter()
                .flat_map(|l| {
                    let index = l.name.split('/').next().unwrap_or_default().to_string();
                    l.tags
                        .into_iter()
                        .map(|t| json!({"Index": index, "Name": l.name, "Description": "", "Stars": 0, "Official": "", "Automated": "", "Tag": t}))
                        .collect::<Vec<_>>()
                })
                .collect();
            Ok(Value::Array(rows))
        })
        .await?;
    Ok(json(StatusCode::OK, &docs))
}

//! `HEAD/GET/PUT /containers/{id}/archive` (`docker cp`) and
//! `GET /containers/{id}/export`-like spooling: archives go through a
//! temporary file so that the path's stat header can be sent first, and
//! uploads are checked entry by entry before anything is written into the
//! container.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use libpod::container::{CopySource, CopyTarget};
use serde_json::json;

use super::Params;
use crate::body::{BodyReader, ChannelBody};
use crate::error::{Error, Result};
use crate::state::AppState;

/// The header carrying the copied path's stat, base64 JSON.
const STAT_HEADER: &str = "X-Docker-Container-Path-Stat";
/// Go's `os.ModeDir`.
const MODE_DIR: u32 = 1 << 31;
/// Go's `os.ModeSymlink`.
const MODE_SYMLINK: u32 = 1 << 27;

fn io(context: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        context: context.to_string(),
        source,
    }
}

/// A missing container path is 404, as Docker answers.
fn not_found_path(e: libpod::Error) -> Error {
    let text = e.to_string();
    let missing = matches!(
        &e,
        libpod::Error::Storage(storage::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound
    );
    if missing || text.contains("no such file or directory") {
        Error::NotFound(text)
    } else {
        e.into()
    }
}

fn path_param(p: &Params) -> Result<String> {
    p.get("path")
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .ok_or_else(|| Error::BadRequest("path is required".into()))
}

/// Packs `path` of container `id` into a temporary file and returns it
/// (rewound) with the stat JSON of its first entry.
fn spool_out(st_rt: &libpod::Runtime, id: &str, path: &str) -> Result<(File, String)> {
    let mut c = st_rt.container(id)?;
    let mut file = tempfile::tempfile().map_err(io("creating a spool file"))?;
    c.copy_out(path, CopyTarget::Tar(&mut file))
        .map_err(not_found_path)?;
    file.seek(SeekFrom::Start(0))
        .map_err(io("rewinding the spool file"))?;
    let stat = {
        let mut ar = tar::Archive::new(&mut file);
        let mut entries = ar.entries().map_err(io("reading the archive"))?;
        let first = entries
            .next()
            .ok_or_else(|| Error::NotFound(format!("{path}: no such file or directory")))?
            .map_err(io("reading the archive"))?;
        let h = first.header();
        let mut mode = h.mode().unwrap_or(0) & 0o7777;
        let kind = h.entry_type();
        if kind.is_dir() {
            mode |= MODE_DIR;
        } else if kind.is_symlink() {
            mode |= MODE_SYMLINK;
        }
        let name = first
            .path()
            .map(|p| p.to_string_lossy().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let mtime = h.mtime().unwrap_or(0);
        let mtime = chrono::DateTime::from_timestamp(i64::try_from(mtime).unwrap_or(0), 0)
            .unwrap_or_default()
            .to_rfc3339();
        let link = first
            .link_name()
            .ok()
            .flatten()
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default();
        json!({
            "name": name,
            "size": h.size().unwrap_or(0),
            "mode": mode,
            "mtime": mtime,
            "linkTarget": link,
        })
    };
    file.seek(SeekFrom::Start(0))
        .map_err(io("rewinding the spool file"))?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(stat.to_string());
    Ok((file, encoded))
}

fn with_stat(mut r: Response, stat: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(stat) {
        r.headers_mut().insert(STAT_HEADER, v);
    }
    r
}

/// `HEAD /containers/{id}/archive?path=`: the stat header only.
pub async fn head(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let path = path_param(&Params::from_raw(q)?)?;
    let (_, stat) = st.engine(move |rt| spool_out(rt, &id, &path)).await?;
    Ok(with_stat(StatusCode::OK.into_response(), &stat))
}

/// `GET /containers/{id}/archive?path=`: a tar of the path.
pub async fn get(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let path = path_param(&Params::from_raw(q)?)?;
    let (mut file, stat) = st.engine(move |rt| spool_out(rt, &id, &path)).await?;
    let (tx, body) = ChannelBody::channel(8);
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match file.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(Bytes::copy_from_slice(&buf[..n])).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut r = Response::new(body);
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    Ok(with_stat(r, &stat))
}

/// Refuses archives with entries that would leave the destination:
/// `..` components, absolute hard-link targets, or links through `..`.
pub fn check_archive(file: &mut File) -> Result<()> {
    let bad = |p: &str, why: &str| Error::BadRequest(format!("unsafe archive entry {p:?}: {why}"));
    let mut ar = tar::Archive::new(&mut *file);
    let entries = ar
        .entries()
        .map_err(|e| Error::BadRequest(format!("invalid tar archive: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::BadRequest(format!("invalid tar archive: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| Error::BadRequest(format!("invalid tar entry name: {e}")))?
            .to_string_lossy()
            .into_owned();
        if path.split('/').any(|c| c == "..") {
            return Err(bad(&path, "it leaves the destination directory"));
        }
        if entry.header().entry_type().is_hard_link() {
            let target = entry
                .link_name()
                .ok()
                .flatten()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            if target.split('/').any(|c| c == "..") {
                return Err(bad(
                    &path,
                    "its link target leaves the destination directory",
                ));
            }
        }
    }
    file.seek(SeekFrom::Start(0))
        .map_err(io("rewinding the spool file"))?;
    Ok(())
}

/// Copies a request body into a temporary file.
pub fn spool_in(mut reader: BodyReader) -> Result<File> {
    let mut file = tempfile::tempfile().map_err(io("creating a spool file"))?;
    std::io::copy(&mut reader, &mut file).map_err(io("reading the request body"))?;
    file.seek(SeekFrom::Start(0))
        .map_err(io("rewinding the spool file"))?;
    Ok(file)
}

/// `PUT /containers/{id}/archive?path=`: unpacks a tar into the directory
/// `path`; a hostile archive is refused (400) before anything is written.
pub async fn put(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
    body: Body,
) -> Result<Response> {
    // Docker's `noOverwriteDirNonDir`: a directory and a non-directory may replace each
    // other unless it is set.
    let p = Params::from_raw(q)?;
    let overwrite = !p.bool("noOverwriteDirNonDir", false)?;
    let path = path_param(&p)?;
    let reader = BodyReader::spawn(body);
    st.engine(move |rt| {
        let mut c = rt.container(&id)?;
        let mut file = spool_in(reader)?;
        check_archive(&mut file)?;
        c.copy_in(CopySource::Tar(&mut file), &path, true, overwrite)
            .map_err(not_found_path)
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tar_with(name: &str) -> File {
        let mut f = tempfile::tempfile().unwrap();
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[124..135].copy_from_slice(b"00000000000");
        header[136..147].copy_from_slice(b"00000000000");
        header[156] = b'0';
        header[257..262].copy_from_slice(b"ustar");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        let text = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(text.as_bytes());
        f.write_all(&header).unwrap();
        f.write_all(&[0u8; 1024]).unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        f
    }

    #[test]
    fn hostile_archives_are_refused() {
        assert!(check_archive(&mut tar_with("ok.txt")).is_ok());
        let err = check_archive(&mut tar_with("../evil")).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(check_archive(&mut tar_with("a/../../evil")).is_err());
    }
}

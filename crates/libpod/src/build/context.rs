//! The build context: a directory (or a tarball unpacked into one), its ignore file, and
//! the lookup of COPY/ADD sources inside it with globs, never leaving it.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use dockerfile::ignore::{clean, IgnoreMatcher};
use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};

/// Where the context comes from.
pub enum ContextSource {
    /// A directory.
    Dir(PathBuf),
    /// A tar stream (a file, or `-`), plain or compressed.
    Tar(std::sync::Mutex<Box<dyn Read + Send>>),
}

impl ContextSource {
    /// A tar stream.
    pub fn tar(input: impl Read + Send + 'static) -> ContextSource {
        ContextSource::Tar(std::sync::Mutex::new(Box::new(input)))
    }
}

/// A context ready to copy from.
pub struct Context {
    /// The context's directory (canonical).
    pub root: PathBuf,
    pub ignore: IgnoreMatcher,
    /// A directory removed with the context (an unpacked tarball).
    _temp: Option<TempDir>,
}

/// A directory removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One file found for a COPY source.
#[derive(Debug, Clone)]
pub struct Found {
    /// The host path.
    pub path: PathBuf,
    /// Its path relative to the source's base (`""` for the source itself).
    pub rel: String,
}

impl Context {
    /// Opens a context; `tmp` is where a tarball is unpacked. `ignore_file` replaces the
    /// context's `.containerignore`/`.dockerignore`.
    pub fn open(src: ContextSource, tmp: &Path, ignore_file: Option<&Path>) -> Result<Context> {
        let (root, temp) = match src {
            ContextSource::Dir(d) => {
                let root = d
                    .canonicalize()
                    .ctx(|| format!("the build context {}", d.display()))?;
                if !root.is_dir() {
                    return Err(Error::InvalidArgument(format!(
                        "the build context {} is not a directory",
                        d.display()
                    )));
                }
                (root, None)
            }
            ContextSource::Tar(input) => {
                let mut input = input.into_inner().unwrap_or_else(|e| e.into_inner());
                std::fs::create_dir_all(tmp).ctx(|| format!("creating {}", tmp.display()))?;
                let dir = tmp.join(format!("build-context-{}", crate::ids::new_id()?));
                std::fs::create_dir(&dir).ctx(|| format!("creating {}", dir.display()))?;
                let temp = TempDir(dir.clone());
                let handle = storage::archive::DirHandle::open(&dir)?;
                let mut plain =
                    storage::decompress(&mut input).ctx(|| "reading the build context".into())?;
                storage::archive::unpack(
                    &mut plain,
                    &handle,
                    storage::archive::UnpackOptions::default(),
                )
                .map_err(|e| {
                    Error::InvalidArgument(format!("reading the build context tarball: {e}"))
                })?;
                (dir, Some(temp))
            }
        };
        let ignore_text = match ignore_file {
            Some(f) => Some(
                std::fs::read_to_string(f)
                    .ctx(|| format!("reading ignore file {}", f.display()))?,
            ),
            None => [".containerignore", ".dockerignore"]
                .iter()
                .map(|n| root.join(n))
                .find(|p| p.is_file())
                .map(|p| std::fs::read_to_string(&p).ctx(|| format!("reading {}", p.display())))
                .transpose()?,
        };
        let ignore = IgnoreMatcher::parse(ignore_text.as_deref().unwrap_or(""))
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        Ok(Context {
            root,
            ignore,
            _temp: temp,
        })
    }

    /// A context made of a directory with no ignore file (`--build-context name=DIR`).
    pub fn plain(dir: &Path) -> Result<Context> {
        let root = dir
            .canonicalize()
            .ctx(|| format!("the build context {}", dir.display()))?;
        Ok(Context {
            root,
            ignore: IgnoreMatcher::default(),
            _temp: None,
        })
    }

    /// The Containerfile to use when `-f` is not given: `Containerfile`, then `Dockerfile`.
    pub fn default_containerfile(&self) -> Option<PathBuf> {
        ["Containerfile", "Dockerfile"]
            .iter()
            .map(|n| self.root.join(n))
            .find(|p| p.is_file())
    }

    /// The files a COPY source names: `src` may hold globs. Each result is the top-level
    /// match (a file or a directory, walked later). Sources outside the context (`..`, or a
    /// symlink leading out) are refused; excluded paths are skipped.
    pub fn sources(&self, src: &str) -> Result<Vec<PathBuf>> {
        let cleaned = clean(&format!("/{src}"));
        let rel = cleaned.trim_start_matches('/');
        if escapes(src) {
            return Err(Error::InvalidArgument(format!(
                "{src:?} is outside the build context"
            )));
        }
        let mut found = Vec::new();
        if rel.chars().any(|c| matches!(c, '*' | '?' | '[')) {
            let pattern = glob_regex(rel)?;
            self.walk_matches(&self.root, "", &pattern, &mut found)?;
            found.sort();
        } else {
            let path = if rel.is_empty() {
                self.root.clone()
            } else {
                self.root.join(rel)
            };
            if std::fs::symlink_metadata(&path).is_err() {
                return Err(Error::InvalidArgument(format!(
                    "checking on sources under {:?}: {src:?}: no such file or directory",
                    self.root.display().to_string()
                )));
            }
            if !rel.is_empty() && self.ignore.excluded(rel) && !self.ignore.has_exceptions() {
                return Err(Error::InvalidArgument(format!(
                    "{src:?} is excluded by the context's ignore file"
                )));
            }
            found.push(path);
        }
        for path in &found {
            self.check_inside(path, src)?;
        }
        Ok(found)
    }

    /// Refuses a path whose resolution leaves the context.
    pub fn check_inside(&self, path: &Path, src: &str) -> Result<()> {
        let real = path
            .canonicalize()
            .ctx(|| format!("resolving the COPY source {src:?}"))?;
        if !real.starts_with(&self.root) {
            return Err(Error::InvalidArgument(format!(
                "{src:?} is outside the build context (it resolves to {})",
                real.display()
            )));
        }
        Ok(())
    }

    fn walk_matches(
        &self,
        dir: &Path,
        prefix: &str,
        pattern: &regex::Regex,
        out: &mut Vec<PathBuf>,
    ) -> Result<()> {
        let rd = std::fs::read_dir(dir).ctx(|| format!("reading {}", dir.display()))?;
        for entry in rd {
            let entry = entry.ctx(|| format!("reading {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let excluded = self.ignore.excluded(&rel);
            if pattern.is_match(&rel) && !excluded {
                out.push(entry.path());
                continue;
            }
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if is_dir && (!excluded || self.ignore.has_exceptions()) {
                self.walk_matches(&entry.path(), &rel, pattern, out)?;
            }
        }
        Ok(())
    }

    /// Whether `path` (a host path below the root) is excluded.
    pub fn excluded(&self, path: &Path) -> bool {
        match path.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => false,
            Ok(rel) => self.ignore.excluded(&rel.to_string_lossy()),
            Err(_) => false,
        }
    }
}

/// Whether a relative source path climbs out of its base (`../x`, `a/../../x`).
fn escapes(src: &str) -> bool {
    let mut depth: i64 = 0;
    for c in Path::new(src.trim_start_matches('/')).components() {
        match c {
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    false
}

/// A Go `filepath.Match` pattern (`*`, `?`, `[...]`) as an anchored regex over `/` paths.
pub(crate) fn glob_regex(pattern: &str) -> Result<regex::Regex> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') || chars.peek() == Some(&'^') {
                    chars.next();
                    re.push('^');
                }
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == ']' {
                        closed = true;
                        re.push(']');
                        break;
                    }
                    if d == '\\' || d == '[' || d == '&' || d == '~' {
                        re.push('\\');
                    }
                    re.push(d);
                }
                if !closed {
                    return Err(Error::InvalidArgument(format!(
                        "invalid pattern {pattern:?}: unterminated character class"
                    )));
                }
            }
            '\\' => {
                if let Some(d) = chars.next() {
                    re.push_str(&regex::escape(&d.to_string()));
                }
            }
            _ => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re)
        .map_err(|e| Error::InvalidArgument(format!("invalid pattern {pattern:?}: {e}")))
}

/// A content hash of a tree (or file) at `path`: names, types, modes, sizes, link targets
/// and file contents, not times. `skip` says which paths are left out (ignored files).
pub(crate) fn tree_hash(path: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<String> {
    let mut h = Sha256::new();
    hash_into(&mut h, path, "", skip)?;
    Ok(hex::encode(h.finalize()))
}

fn hash_into(h: &mut Sha256, path: &Path, rel: &str, skip: &dyn Fn(&Path) -> bool) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).ctx(|| format!("reading {}", path.display()))?;
    let ft = meta.file_type();
    h.update(format!("{rel}\0{:o}\0", meta.mode()).as_bytes());
    if ft.is_symlink() {
        let target = std::fs::read_link(path).ctx(|| format!("reading {}", path.display()))?;
        h.update(target.to_string_lossy().as_bytes());
    } else if ft.is_file() {
        h.update(meta.len().to_le_bytes());
        let mut f = std::fs::File::open(path).ctx(|| format!("opening {}", path.display()))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = f
                .read(&mut buf)
                .ctx(|| format!("reading {}", path.display()))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    } else if ft.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(path)
            .ctx(|| format!("reading {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for n in names {
            let child = path.join(&n);
            if skip(&child) {
                continue;
            }
            let r = format!("{rel}/{}", n.to_string_lossy());
            hash_into(h, &child, &r, skip)?;
        }
    }
    h.update(b"\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_sources() {
        assert!(escapes("../x"));
        assert!(escapes("a/../../x"));
        assert!(!escapes("a/../x"));
        assert!(!escapes("/x"));
        assert!(!escapes("."));
    }

    #[test]
    fn globs() {
        let re = glob_regex("src/*.rs").unwrap();
        assert!(re.is_match("src/a.rs"));
        assert!(!re.is_match("src/x/a.rs"));
        assert!(glob_regex("f?[0-9]").unwrap().is_match("fa1"));
        assert!(glob_regex("[a").is_err());
    }
}

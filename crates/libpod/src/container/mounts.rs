//! Mounts into a container: `-v`, `--mount`, `--tmpfs`, and the image's
//! VOLUMEs, parsed into one type.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What kind of mount a [`MountSpec`] is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// A host path.
    Bind,
    /// A fresh tmpfs.
    Tmpfs,
    /// A named or anonymous volume.
    Volume,
    /// A new devpts instance.
    Devpts,
}

/// One mount.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MountSpec {
    pub kind: MountKind,
    /// The host path of a bind mount.
    pub source: Option<PathBuf>,
    pub destination: String,
    pub options: Vec<String>,
    /// The volume's name (volumes only); `None` until an anonymous volume
    /// gets its generated name at create time.
    #[serde(default)]
    pub volume: Option<String>,
    /// An anonymous volume: removed with the container by `rm -v`.
    #[serde(default)]
    pub anonymous: bool,
}

/// Options `-v` accepts (bind mounts and volumes).
const VOLUME_OPTIONS: &[&str] = &[
    "ro", "rw", "z", "Z", "U", "rbind", "bind", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
    "private", "rprivate", "shared", "rshared", "slave", "rslave", "copy", "nocopy",
];

impl MountSpec {
    fn new(kind: MountKind, destination: &str) -> Self {
        MountSpec {
            kind,
            source: None,
            destination: destination.to_string(),
            options: Vec::new(),
            volume: None,
            anonymous: false,
        }
    }

    /// Parses `-v`: `/host:/ctr[:opts]` (bind), `name:/ctr[:opts]` (named
    /// volume) or `/ctr` (anonymous volume).
    pub fn parse_volume(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidArgument(format!("invalid volume {text:?}: {why}"));
        let parts: Vec<&str> = text.split(':').collect();
        let (src, dst, opts) = match parts.as_slice() {
            [dst] => ("", *dst, ""),
            [src, dst] => (*src, *dst, ""),
            [src, dst, opts] => (*src, *dst, *opts),
            _ => return Err(bad("expected SOURCE:/container/path[:options]")),
        };
        if !dst.starts_with('/') {
            return Err(bad("the container path must be absolute"));
        }
        let mut m = if src.is_empty() {
            let mut m = MountSpec::new(MountKind::Volume, dst);
            m.anonymous = true;
            m
        } else if src.starts_with('/') {
            let mut m = MountSpec::new(MountKind::Bind, dst);
            m.source = Some(PathBuf::from(src));
            m
        } else if src.starts_with('.') {
            return Err(bad(
                "relative host paths are not supported; give an absolute path or a volume name",
            ));
        } else {
            crate::volumes::validate_volume_name(src)?;
            let mut m = MountSpec::new(MountKind::Volume, dst);
            m.volume = Some(src.to_string());
            m
        };
        for o in opts.split(',').filter(|o| !o.is_empty()) {
            if !VOLUME_OPTIONS.contains(&o) {
                return Err(bad(&format!("unknown option {o:?}")));
            }
            m.options.push(o.to_string());
        }
        Ok(m)
    }

    /// Parses `--tmpfs /path[:opts]`.
    pub fn parse_tmpfs(text: &str) -> Result<Self> {
        let (dst, opts) = text.split_once(':').unwrap_or((text, ""));
        if !dst.starts_with('/') {
            return Err(Error::InvalidArgument(format!(
                "invalid tmpfs {text:?}: the container path must be absolute"
            )));
        }
        let mut m = MountSpec::new(MountKind::Tmpfs, dst);
        m.options = opts
            .split(',')
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect();
        Ok(m)
    }

    /// Parses `--mount type=bind|volume|tmpfs|devpts,source=…,destination=…,…`.
    pub fn parse_mount(text: &str) -> Result<Self> {
        let bad = |why: String| Error::InvalidArgument(format!("invalid --mount {text:?}: {why}"));
        let mut kind = None;
        let mut source = None;
        let mut dest = None;
        let mut options = Vec::new();
        for field in text.split(',').filter(|f| !f.is_empty()) {
            let (k, v) = match field.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (field, None),
            };
            match (k, v) {
                ("type", Some(t)) => {
                    kind = Some(match t {
                        "bind" => MountKind::Bind,
                        "volume" => MountKind::Volume,
                        "tmpfs" => MountKind::Tmpfs,
                        "devpts" => MountKind::Devpts,
                        other => {
                            return Err(bad(format!(
                                "unknown type {other:?} (bind, volume, tmpfs, devpts)"
                            )))
                        }
                    })
                }
                ("source" | "src", Some(s)) => source = Some(s.to_string()),
                ("destination" | "dst" | "target", Some(d)) => dest = Some(d.to_string()),
                ("ro" | "readonly", None | Some("true") | Some("1")) => {
                    options.push("ro".to_string())
                }
                ("ro" | "readonly", Some("false") | Some("0")) => options.push("rw".to_string()),
                ("bind-propagation", Some(p)) => match p {
                    "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" => {
                        options.push(p.to_string())
                    }
                    other => return Err(bad(format!("unknown bind-propagation {other:?}"))),
                },
                ("tmpfs-size", Some(s)) => options.push(format!("size={s}")),
                ("tmpfs-mode", Some(m)) => options.push(format!("mode={m}")),
                ("volume-nocopy", None | Some("true")) => options.push("nocopy".to_string()),
                ("relabel", Some(_)) | ("z" | "Z", None) => {}
                ("U" | "chown", None | Some("true")) => options.push("U".to_string()),
                ("noexec" | "nosuid" | "nodev" | "exec" | "suid" | "dev", None) => {
                    options.push(k.to_string())
                }
                (other, _) => return Err(bad(format!("unknown option {other:?}"))),
            }
        }
        let kind = kind.ok_or_else(|| bad("type= is required".into()))?;
        let dest = dest.ok_or_else(|| bad("destination= (or target=) is required".into()))?;
        Self::checked(kind, source, &dest, options).map_err(bad)
    }

    /// A mount from its parts (the APIs' form): the source is a host path
    /// (bind), a volume name (none: an anonymous volume) or nothing (tmpfs,
    /// devpts); the options are those `-v` and `--mount` produce (`ro`,
    /// `rslave`, `nocopy`, `size=…`, `mode=…`, …).
    pub fn from_parts(
        kind: MountKind,
        source: Option<String>,
        destination: &str,
        options: Vec<String>,
    ) -> Result<Self> {
        Self::checked(kind, source, destination, options).map_err(|why| {
            Error::InvalidArgument(format!("invalid mount at {destination:?}: {why}"))
        })
    }

    fn checked(
        kind: MountKind,
        source: Option<String>,
        dest: &str,
        options: Vec<String>,
    ) -> std::result::Result<Self, String> {
        if !dest.starts_with('/') {
            return Err("the destination must be absolute".into());
        }
        let mut m = MountSpec::new(kind, dest);
        m.options = options;
        match kind {
            MountKind::Bind => {
                let s = source.ok_or_else(|| "a bind mount needs a source".to_string())?;
                if !s.starts_with('/') {
                    return Err("the source of a bind mount must be an absolute path".into());
                }
                m.source = Some(PathBuf::from(s));
            }
            MountKind::Volume => match source.filter(|s| !s.is_empty()) {
                Some(name) => {
                    crate::volumes::validate_volume_name(&name).map_err(|e| e.to_string())?;
                    m.volume = Some(name);
                }
                None => m.anonymous = true,
            },
            MountKind::Tmpfs | MountKind::Devpts => {
                if source.is_some_and(|s| !s.is_empty()) {
                    return Err(format!("{kind:?} mounts take no source").to_lowercase());
                }
            }
        }
        Ok(m)
    }

    pub fn read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }

    /// Image content is copied into a fresh volume unless `nocopy`.
    pub fn copy_up(&self) -> bool {
        !self.options.iter().any(|o| o == "nocopy")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_flags() {
        let m = MountSpec::parse_volume("/tmp:/data:ro").unwrap();
        assert_eq!((m.kind, m.read_only()), (MountKind::Bind, true));
        let v = MountSpec::parse_volume("data:/srv:nocopy").unwrap();
        assert_eq!(
            (v.kind, v.volume.as_deref(), v.copy_up()),
            (MountKind::Volume, Some("data"), false)
        );
        let a = MountSpec::parse_volume("/cache").unwrap();
        assert!(a.anonymous && a.volume.is_none());
        assert!(MountSpec::parse_volume("./rel:/data").is_err());
        assert!(MountSpec::parse_volume("/a:rel").is_err());
        assert!(MountSpec::parse_volume("/a:/b:bogus").is_err());
        assert!(MountSpec::parse_volume("bad/name:/b").is_err());
    }

    #[test]
    fn mount_flags() {
        let b = MountSpec::parse_mount(
            "type=bind,source=/tmp,target=/x,readonly,bind-propagation=rslave",
        )
        .unwrap();
        assert_eq!(b.options, vec!["ro", "rslave"]);
        let t = MountSpec::parse_mount("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=700")
            .unwrap();
        assert_eq!(t.options, vec!["size=1m", "mode=700"]);
        let v = MountSpec::parse_mount("type=volume,src=v1,dst=/v").unwrap();
        assert_eq!(v.volume.as_deref(), Some("v1"));
        assert!(
            MountSpec::parse_mount("type=volume,dst=/v")
                .unwrap()
                .anonymous
        );
        assert_eq!(
            MountSpec::parse_mount("type=devpts,destination=/dev/pts2")
                .unwrap()
                .kind,
            MountKind::Devpts
        );
        assert!(MountSpec::parse_mount("type=bind,target=/x").is_err());
        assert!(MountSpec::parse_mount("type=nfs,target=/x").is_err());
        assert!(MountSpec::parse_mount("source=/a,target=/x").is_err());
        assert!(MountSpec::parse_mount("type=tmpfs,target=x").is_err());
    }

    #[test]
    fn tmpfs_flags() {
        let t = MountSpec::parse_tmpfs("/run:size=1m,mode=700").unwrap();
        assert_eq!(t.options, vec!["size=1m", "mode=700"]);
        assert!(MountSpec::parse_tmpfs("run").is_err());
    }
}

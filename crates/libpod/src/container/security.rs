//! A container's security settings: `--security-opt` (seccomp, no new
//! privileges, AppArmor, SELinux labels, masked and unmasked paths, /proc
//! options) and `--seccomp-policy`, parsed once, recorded in the
//! configuration, and turned into the runtime spec.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where the distribution installs the default seccomp profile.
pub const SYSTEM_SECCOMP_PROFILES: &[&str] = &[
    "/usr/share/containers/seccomp.json",
    "/etc/containers/seccomp.json",
];

/// The image label that carries a seccomp profile for `--seccomp-policy image`.
pub const IMAGE_SECCOMP_LABEL: &str = "io.containers.seccomp.profile";

/// One `--security-opt` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityOpt {
    /// `seccomp=unconfined|PATH`.
    Seccomp(String),
    /// `no-new-privileges[=true|false]`.
    NoNewPrivileges(bool),
    /// `apparmor=PROFILE`.
    AppArmor(String),
    /// `label=user:U|role:R|type:T|level:L|filetype:T|disable|nested`.
    Label(String),
    /// `mask=/a:/b`.
    Mask(Vec<String>),
    /// `unmask=ALL|/a:/b`.
    Unmask(Vec<String>),
    /// `proc-opts=opt1,opt2`.
    ProcOpts(Vec<String>),
}

impl SecurityOpt {
    /// Parses one `--security-opt` value as Podman spells them (`key=value`,
    /// or Docker's `key:value`).
    pub fn parse(text: &str) -> Result<SecurityOpt> {
        let bad = || Error::InvalidArgument(format!("invalid --security-opt {text:?}"));
        if text == "no-new-privileges" {
            return Ok(SecurityOpt::NoNewPrivileges(true));
        }
        let (key, value) = text
            .split_once('=')
            .or_else(|| text.split_once(':'))
            .ok_or_else(bad)?;
        let paths = |v: &str| -> Result<Vec<String>> {
            let list: Vec<String> = v
                .split(':')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            if list.is_empty() {
                return Err(bad());
            }
            for p in &list {
                if p != "ALL" && !p.starts_with('/') {
                    return Err(Error::InvalidArgument(format!(
                        "invalid --security-opt {text:?}: {p:?} is not an absolute path"
                    )));
                }
            }
            Ok(list)
        };
        Ok(match key {
            "seccomp" if !value.is_empty() => SecurityOpt::Seccomp(value.to_string()),
            "no-new-privileges" => SecurityOpt::NoNewPrivileges(match value {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad()),
            }),
            "apparmor" if !value.is_empty() => SecurityOpt::AppArmor(value.to_string()),
            "label" => {
                let known = ["user", "role", "type", "level", "filetype"];
                let ok = matches!(value, "disable" | "nested")
                    || value
                        .split_once(':')
                        .is_some_and(|(k, v)| known.contains(&k) && !v.is_empty());
                if !ok {
                    return Err(Error::InvalidArgument(format!(
                        "invalid --security-opt {text:?}: label takes user:, role:, type:, level:, filetype:, disable or nested"
                    )));
                }
                SecurityOpt::Label(value.to_string())
            }
            "mask" => SecurityOpt::Mask(paths(value)?),
            "unmask" => SecurityOpt::Unmask(paths(value)?),
            "proc-opts" => SecurityOpt::ProcOpts(
                value
                    .split(',')
                    .filter(|o| !o.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            _ => return Err(bad()),
        })
    }
}

/// Where a container's seccomp filter comes from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SeccompSource {
    /// The engine's default, looked up when the container is initialised:
    /// `containers.seccomp_profile`, the system profile, else the built-in one.
    #[default]
    Default,
    /// No filter.
    Unconfined,
    /// A profile file.
    File(PathBuf),
    /// A profile carried by the image (`--seccomp-policy image`).
    Inline(String),
}

/// The security settings recorded in a container's configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SecurityConfig {
    pub seccomp: SeccompSource,
    pub no_new_privileges: bool,
    /// Paths masked in addition to the defaults.
    pub mask: Vec<String>,
    /// Default masked or read-only paths left alone (`ALL` for all of them).
    pub unmask: Vec<String>,
    pub labels: Vec<String>,
    pub apparmor: Option<String>,
    /// Extra options of the /proc mount.
    pub proc_opts: Vec<String>,
    /// The options as inspect shows them (`HostConfig.SecurityOpt`).
    pub security_opt: Vec<String>,
}

impl SecurityConfig {
    /// Resolves the requested options. `image_profile` is the image's
    /// seccomp label, used with `--seccomp-policy image`; `default_nnp` is
    /// containers.conf's `no_new_privileges`.
    pub fn resolve(
        opts: &[SecurityOpt],
        seccomp_policy: Option<&str>,
        image_profile: Option<&str>,
        default_nnp: bool,
    ) -> Result<SecurityConfig> {
        let mut cfg = SecurityConfig {
            no_new_privileges: default_nnp,
            ..SecurityConfig::default()
        };
        match seccomp_policy.unwrap_or("default") {
            "default" => {}
            "image" => {
                if let Some(profile) = image_profile {
                    ocirt::seccomp::Profile::parse(profile.as_bytes(), IMAGE_SECCOMP_LABEL)
                        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
                    cfg.seccomp = SeccompSource::Inline(profile.to_string());
                }
            }
            other => {
                return Err(Error::InvalidArgument(format!(
                    "invalid seccomp policy {other:?}: valid policies are [\"default\" \"image\"]"
                )))
            }
        }
        for opt in opts {
            match opt {
                SecurityOpt::Seccomp(v) if v == "unconfined" => {
                    cfg.seccomp = SeccompSource::Unconfined;
                }
                SecurityOpt::Seccomp(json) if json.trim_start().starts_with('{') => {
                    // The Docker API carries the profile itself.
                    ocirt::seccomp::Profile::parse(json.as_bytes(), "--security-opt seccomp")
                        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
                    cfg.seccomp = SeccompSource::Inline(json.clone());
                }
                SecurityOpt::Seccomp(path) => {
                    let path = PathBuf::from(path);
                    ocirt::seccomp::Profile::load(&path).map_err(|e| {
                        Error::InvalidArgument(format!("opening seccomp profile failed: {e}"))
                    })?;
                    cfg.seccomp = SeccompSource::File(path);
                }
                SecurityOpt::NoNewPrivileges(on) => {
                    cfg.no_new_privileges = *on;
                }
                SecurityOpt::AppArmor(profile) => {
                    if profile != "unconfined" && !apparmor_enabled() {
                        return Err(Error::Unsupported(format!(
                            "apparmor profile {profile:?} specified, but Apparmor is not enabled on this system"
                        )));
                    }
                    if profile != "unconfined" {
                        return Err(Error::Unsupported(format!(
                            "apparmor profile {profile:?}: rpod does not load AppArmor profiles yet"
                        )));
                    }
                    cfg.apparmor = Some(profile.clone());
                }
                SecurityOpt::Label(l) => cfg.labels.push(l.clone()),
                SecurityOpt::Mask(p) => cfg.mask.extend(p.iter().cloned()),
                SecurityOpt::Unmask(p) => cfg.unmask.extend(p.iter().cloned()),
                SecurityOpt::ProcOpts(o) => cfg.proc_opts.extend(o.iter().cloned()),
            }
        }
        cfg.security_opt = cfg.display_opts();
        Ok(cfg)
    }

    /// The options as Podman lists them in inspect: no-new-privileges, the
    /// labels, then seccomp and AppArmor.
    fn display_opts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.no_new_privileges {
            out.push("no-new-privileges".to_string());
        }
        out.extend(self.labels.iter().map(|l| format!("label={l}")));
        match &self.seccomp {
            SeccompSource::Default => {}
            SeccompSource::Unconfined => out.push("seccomp=unconfined".into()),
            SeccompSource::File(p) => out.push(format!("seccomp={}", p.display())),
            SeccompSource::Inline(_) => out.push("seccomp=(inline profile)".into()),
        }
        if let Some(a) = &self.apparmor {
            out.push(format!("apparmor={a}"));
        }
        out
    }

    /// True when `path`, masked or read-only by default, stays as it is.
    pub fn unmasked(&self, path: &str) -> bool {
        self.unmask.iter().any(|u| u == "ALL" || u == path)
    }

    /// The seccomp filter for a container with these effective
    /// capabilities, from `configured` (containers.conf's
    /// `seccomp_profile`) or the system's profile, else the built-in one.
    /// `None` means no filter.
    pub fn seccomp_filter(
        &self,
        caps: &[String],
        configured: Option<&Path>,
    ) -> Result<Option<oci_spec::runtime::LinuxSeccomp>> {
        let invalid = |e: ocirt::Error| Error::InvalidArgument(e.to_string());
        let profile = match &self.seccomp {
            SeccompSource::Unconfined => return Ok(None),
            SeccompSource::File(path) => ocirt::seccomp::Profile::load(path).map_err(invalid)?,
            SeccompSource::Inline(text) => {
                ocirt::seccomp::Profile::parse(text.as_bytes(), IMAGE_SECCOMP_LABEL)
                    .map_err(invalid)?
            }
            SeccompSource::Default => match default_profile_path(configured) {
                Some(path) => ocirt::seccomp::Profile::load(&path).map_err(invalid)?,
                None => ocirt::seccomp::Profile::builtin(),
            },
        };
        profile
            .resolve(caps, &ocirt::seccomp::Target::host())
            .map(Some)
            .map_err(invalid)
    }
}

/// The profile file a default container gets: the configured one when set
/// (`unconfined` there turns filtering off), else the system's; `None` for
/// the built-in profile.
pub fn default_profile_path(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_path_buf());
    }
    SYSTEM_SECCOMP_PROFILES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Is AppArmor enabled in this kernel?
pub fn apparmor_enabled() -> bool {
    std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .map(|s| s.trim() == "Y")
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(list: &[&str]) -> Result<SecurityConfig> {
        let opts = list
            .iter()
            .map(|s| SecurityOpt::parse(s))
            .collect::<Result<Vec<_>>>()?;
        SecurityConfig::resolve(&opts, None, None, false)
    }

    #[test]
    fn options_parse_as_podman_spells_them() {
        assert_eq!(
            SecurityOpt::parse("no-new-privileges").unwrap(),
            SecurityOpt::NoNewPrivileges(true)
        );
        assert_eq!(
            SecurityOpt::parse("no-new-privileges=false").unwrap(),
            SecurityOpt::NoNewPrivileges(false)
        );
        assert_eq!(
            SecurityOpt::parse("seccomp:unconfined").unwrap(),
            SecurityOpt::Seccomp("unconfined".into())
        );
        assert_eq!(
            SecurityOpt::parse("mask=/a:/b").unwrap(),
            SecurityOpt::Mask(vec!["/a".into(), "/b".into()])
        );
        assert_eq!(
            SecurityOpt::parse("label=type:spc_t").unwrap(),
            SecurityOpt::Label("type:spc_t".into())
        );
        for bad in [
            "bogus",
            "seccomp=",
            "mask=relative",
            "label=bogus",
            "no-new-privileges=maybe",
            "frobnicate=1",
        ] {
            assert!(SecurityOpt::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn resolution() {
        let c = parse_all(&["seccomp=unconfined", "no-new-privileges", "label=disable"]).unwrap();
        assert_eq!(c.seccomp, SeccompSource::Unconfined);
        assert!(c.no_new_privileges);
        assert_eq!(
            c.security_opt,
            vec!["no-new-privileges", "label=disable", "seccomp=unconfined"]
        );
        assert!(parse_all(&["seccomp=/nonexistent/profile.json"]).is_err());
        assert!(parse_all(&["apparmor=unconfined"]).is_ok());
        if !apparmor_enabled() {
            let e = parse_all(&["apparmor=foo"]).unwrap_err().to_string();
            assert!(e.contains("Apparmor is not enabled"), "{e}");
        }
        let c = parse_all(&["unmask=ALL"]).unwrap();
        assert!(c.unmasked("/proc/kcore"));
        assert!(SecurityConfig::resolve(&[], Some("bogus"), None, false).is_err());
        let c = SecurityConfig::resolve(
            &[],
            Some("image"),
            Some(r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#),
            false,
        )
        .unwrap();
        assert!(matches!(c.seccomp, SeccompSource::Inline(_)));
    }

    #[test]
    fn unconfined_has_no_filter_and_the_builtin_applies_without_files() {
        let c = parse_all(&["seccomp=unconfined"]).unwrap();
        assert!(c.seccomp_filter(&[], None).unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.json");
        std::fs::write(&p, r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}"#).unwrap();
        let c = SecurityConfig::default();
        let f = c.seccomp_filter(&[], Some(&p)).unwrap().unwrap();
        assert_eq!(
            f.default_action(),
            oci_spec::runtime::LinuxSeccompAction::ScmpActAllow
        );
    }
}

//! `/etc/hosts` for a container.

use std::net::IpAddr;

/// What a container's hosts file starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostsBase<'a> {
    /// The standard loopback entries.
    Loopback,
    /// The host's own hosts file content (for `--network host`).
    Host(&'a str),
}

/// One line of a hosts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    pub ip: IpAddr,
    pub names: Vec<String>,
}

/// Renders a hosts file: the base, then the container's own name (on `own_ip`,
/// or on 127.0.0.1 when it has no address of its own), then `extra` entries
/// (`--add-host`).
pub fn hosts_file(
    base: HostsBase<'_>,
    hostname: &str,
    own_ip: Option<IpAddr>,
    extra: &[HostEntry],
) -> String {
    let mut out = String::new();
    match base {
        HostsBase::Loopback => {
            out.push_str(
                "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n",
            );
            out.push_str(
                "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n",
            );
        }
        HostsBase::Host(content) => {
            out.push_str(content);
            if !content.is_empty() && !content.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    for entry in extra {
        out.push_str(&format!("{}\t{}\n", entry.ip, entry.names.join(" ")));
    }
    let ip = own_ip.map_or_else(|| "127.0.0.1".to_string(), |ip| ip.to_string());
    if !hostname.is_empty() {
        out.push_str(&format!("{ip}\t{hostname}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_name_the_container() {
        let text = hosts_file(HostsBase::Loopback, "box1", None, &[]);
        assert!(text.starts_with("127.0.0.1\tlocalhost"));
        assert!(text.contains("::1\tlocalhost"));
        assert!(text.ends_with("127.0.0.1\tbox1\n"));
    }

    #[test]
    fn host_base_is_kept_and_extra_entries_added() {
        let extra = [HostEntry {
            ip: "10.1.2.3".parse().unwrap(),
            names: vec!["db".into()],
        }];
        let text = hosts_file(HostsBase::Host("1.2.3.4 h"), "c", None, &extra);
        assert_eq!(text, "1.2.3.4 h\n10.1.2.3\tdb\n127.0.0.1\tc\n");
    }
}

//! `/etc/resolv.conf` for a container.

/// Renders a container's resolv.conf from the host's content.
///
/// `dns`/`search`/`options` (`--dns`, `--dns-search`, `--dns-option`) replace
/// the host's lines of the same kind. Unless `keep_loopback` (host network),
/// loopback name servers are dropped, since they are unreachable from a
/// container's own network namespace.
pub fn resolv_conf(
    host: &str,
    dns: &[String],
    search: &[String],
    options: &[String],
    keep_loopback: bool,
) -> String {
    let mut servers = Vec::new();
    let mut searches = Vec::new();
    let mut opts = Vec::new();
    for line in host.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                if let Some(ip) = words.next() {
                    let loopback = ip.starts_with("127.") || ip == "::1";
                    if keep_loopback || !loopback {
                        servers.push(ip.to_string());
                    }
                }
            }
            Some("search") | Some("domain") => searches.extend(words.map(str::to_string)),
            Some("options") => opts.extend(words.map(str::to_string)),
            _ => {}
        }
    }
    if !dns.is_empty() {
        servers = dns.to_vec();
    }
    if !search.is_empty() {
        searches = search
            .iter()
            .filter(|s| s.as_str() != ".")
            .cloned()
            .collect();
    }
    if !options.is_empty() {
        opts = options.to_vec();
    }
    let mut out = String::new();
    if !searches.is_empty() {
        out.push_str(&format!("search {}\n", searches.join(" ")));
    }
    for s in servers {
        out.push_str(&format!("nameserver {s}\n"));
    }
    if !opts.is_empty() {
        out.push_str(&format!("options {}\n", opts.join(" ")));
    }
    out
}

/// The search domains of a resolv.conf (`search` and `domain` lines).
pub fn host_search_domains(host: &str) -> Vec<String> {
    host.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            matches!(w.next(), Some("search") | Some("domain"))
                .then(|| w.map(str::to_string).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

/// The name servers of a resolv.conf other than loopback ones (which a
/// container in a network namespace of its own cannot reach).
pub fn host_nameservers(host: &str) -> Vec<String> {
    host.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("nameserver")).then(|| w.next()).flatten()
        })
        .filter(|ip| !ip.starts_with("127.") && *ip != "::1")
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_are_dropped_outside_the_host_network() {
        let host = "nameserver 127.0.0.53\nnameserver 9.9.9.9\nsearch lan\noptions edns0\n";
        assert_eq!(
            resolv_conf(host, &[], &[], &[], false),
            "search lan\nnameserver 9.9.9.9\noptions edns0\n"
        );
        assert!(resolv_conf(host, &[], &[], &[], true).contains("127.0.0.53"));
    }

    #[test]
    fn user_settings_replace_the_hosts() {
        let text = resolv_conf(
            "nameserver 1.1.1.1\n",
            &["8.8.4.4".into()],
            &["x.y".into()],
            &[],
            false,
        );
        assert_eq!(text, "search x.y\nnameserver 8.8.4.4\n");
    }
}

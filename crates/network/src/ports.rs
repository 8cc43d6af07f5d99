//! Published ports: parsing `-p`/`--expose`, showing them (`ps`, `port`),
//! and checking (or holding) host ports.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::OwnedFd;

use crate::error::{Error, Result};
use crate::types::PortMapping;

/// A port number or range with its protocol (`--expose`, image ExposedPorts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortProto {
    pub port: u16,
    pub range: u16,
    pub protocol: String,
}

fn parse_range(text: &str, what: &str, whole: &str) -> Result<(u16, u16)> {
    let bad = || Error::Invalid(format!("invalid port {whole:?}: bad {what} {text:?}"));
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (a, b),
        None => (text, text),
    };
    let a: u16 = a.parse().map_err(|_| bad())?;
    let b: u16 = b.parse().map_err(|_| bad())?;
    if b < a || (a == 0 && what != "host port") {
        return Err(bad());
    }
    Ok((a, b - a + 1))
}

fn parse_proto(text: &str, whole: &str) -> Result<String> {
    match text {
        "tcp" | "udp" | "sctp" => Ok(text.to_string()),
        other => Err(Error::Invalid(format!(
            "invalid port {whole:?}: unknown protocol {other:?} (tcp, udp or sctp)"
        ))),
    }
}

/// Parses one `-p [[IP:][HOST_PORT]:]CONTAINER_PORT[/PROTO]` value; ranges
/// (`8080-8081:80-81`) are allowed. An empty host port is 0: a random one
/// is picked by [`assign_host_ports`].
pub fn parse_publish(text: &str) -> Result<Vec<PortMapping>> {
    let (body, proto) = match text.rsplit_once('/') {
        Some((b, p)) => (b, parse_proto(p, text)?),
        None => (text, "tcp".to_string()),
    };
    // An IPv6 host address is bracketed: [::1]:8080:80.
    let (host_ip, rest) = if let Some(stripped) = body.strip_prefix('[') {
        let (ip, rest) = stripped
            .split_once("]:")
            .ok_or_else(|| Error::Invalid(format!("invalid port {text:?}")))?;
        (ip.to_string(), rest.to_string())
    } else {
        let parts: Vec<&str> = body.split(':').collect();
        match parts.as_slice() {
            [c] => (String::new(), c.to_string()),
            [h, c] => (String::new(), format!("{h}:{c}")),
            [ip, h, c] => (ip.to_string(), format!("{h}:{c}")),
            _ => {
                return Err(Error::Invalid(format!(
                    "invalid port {text:?}: too many colons"
                )))
            }
        }
    };
    if !host_ip.is_empty() {
        host_ip.parse::<IpAddr>().map_err(|_| {
            Error::Invalid(format!("invalid port {text:?}: bad host IP {host_ip:?}"))
        })?;
    }
    let (host, ctr) = match rest.split_once(':') {
        Some((h, c)) => (h, c),
        None => ("", rest.as_str()),
    };
    let (ctr_port, ctr_range) = parse_range(ctr, "container port", text)?;
    let (host_port, host_range) = if host.is_empty() {
        (0, ctr_range)
    } else {
        parse_range(host, "host port", text)?
    };
    if host_range != ctr_range {
        return Err(Error::Invalid(format!(
            "invalid port {text:?}: the host and container ranges differ in length"
        )));
    }
    if host_port == 0 {
        // One mapping per port, each given its own random host port later.
        return Ok((0..ctr_range)
            .map(|i| PortMapping {
                host_ip: host_ip.clone(),
                container_port: ctr_port + i,
                host_port: 0,
                range: 1,
                protocol: proto.clone(),
            })
            .collect());
    }
    if u32::from(host_port) + u32::from(host_range) - 1 > u32::from(u16::MAX) {
        return Err(Error::Invalid(format!(
            "invalid port {text:?}: range too large"
        )));
    }
    Ok(vec![PortMapping {
        host_ip,
        container_port: ctr_port,
        host_port,
        range: ctr_range,
        protocol: proto,
    }])
}

/// A published port from its parts (the APIs' form), checked as `-p`
/// checks its text: a host IP (empty: every address), a host port (0: a
/// random one), `range` ports from the container port, tcp, udp or sctp.
pub fn port_mapping(
    host_ip: &str,
    host_port: u16,
    container_port: u16,
    range: u16,
    protocol: &str,
) -> Result<Vec<PortMapping>> {
    let what = format!("{host_ip}:{host_port}:{container_port}/{protocol}");
    let protocol = parse_proto(protocol, &what)?;
    if !host_ip.is_empty() {
        host_ip.parse::<IpAddr>().map_err(|_| {
            Error::Invalid(format!("invalid port {what:?}: bad host IP {host_ip:?}"))
        })?;
    }
    let range = range.max(1);
    if container_port == 0
        || u32::from(container_port) + u32::from(range) - 1 > u32::from(u16::MAX)
        || (host_port != 0 && u32::from(host_port) + u32::from(range) - 1 > u32::from(u16::MAX))
    {
        return Err(Error::Invalid(format!(
            "invalid port {what:?}: out of range"
        )));
    }
    if host_port == 0 {
        return Ok((0..range)
            .map(|i| PortMapping {
                host_ip: host_ip.to_string(),
                container_port: container_port + i,
                host_port: 0,
                range: 1,
                protocol: protocol.clone(),
            })
            .collect());
    }
    Ok(vec![PortMapping {
        host_ip: host_ip.to_string(),
        container_port,
        host_port,
        range,
        protocol,
    }])
}

/// Parses `--expose PORT[-END][/PROTO]` (and image ExposedPorts keys).
pub fn parse_expose(text: &str) -> Result<PortProto> {
    let (body, proto) = match text.split_once('/') {
        Some((b, p)) => (b, parse_proto(p, text)?),
        None => (text, "tcp".to_string()),
    };
    let (port, range) = parse_range(body, "port", text)?;
    Ok(PortProto {
        port,
        range,
        protocol: proto,
    })
}

fn bind_addr(m: &PortMapping, port: u16) -> SocketAddr {
    let ip = m
        .host_ip
        .parse::<IpAddr>()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    SocketAddr::new(ip, port)
}

fn bind_one(m: &PortMapping, port: u16) -> std::io::Result<(OwnedFd, u16)> {
    let addr = bind_addr(m, port);
    if m.protocol == "udp" {
        let s = UdpSocket::bind(addr)?;
        let p = s.local_addr()?.port();
        Ok((OwnedFd::from(s), p))
    } else {
        let s = TcpListener::bind(addr)?;
        let p = s.local_addr()?.port();
        Ok((OwnedFd::from(s), p))
    }
}

/// Gives every mapping with host port 0 a free host port, as Podman does at
/// creation.
pub fn assign_host_ports(mappings: &mut [PortMapping]) -> Result<()> {
    for m in mappings.iter_mut().filter(|m| m.host_port == 0) {
        let (_, port) = bind_one(m, 0).map_err(|source| Error::PortInUse {
            ip: m.host_ip.clone(),
            port: 0,
            proto: m.protocol.clone(),
            source,
        })?;
        m.host_port = port;
    }
    Ok(())
}

/// Binds every host port of `mappings` (sctp is not checked): an error
/// names the first port in use. The sockets are returned so the caller can
/// hold the ports for as long as the container runs.
pub fn reserve_ports(mappings: &[PortMapping]) -> Result<Vec<OwnedFd>> {
    let mut held = Vec::new();
    for m in mappings.iter().filter(|m| m.protocol != "sctp") {
        for i in 0..m.range {
            let port = m.host_port.saturating_add(i);
            let (fd, _) = bind_one(m, port).map_err(|source| Error::PortInUse {
                ip: if m.host_ip.is_empty() {
                    "0.0.0.0".into()
                } else {
                    m.host_ip.clone()
                },
                port,
                proto: m.protocol.clone(),
                source,
            })?;
            held.push(fd);
        }
    }
    Ok(held)
}

/// True when the two mappings share a host port, protocol and address.
pub fn conflicts(a: &PortMapping, b: &PortMapping) -> bool {
    let overlap = u32::from(a.host_port) < u32::from(b.host_port) + u32::from(b.range)
        && u32::from(b.host_port) < u32::from(a.host_port) + u32::from(a.range);
    let ips = a.host_ip.is_empty() || b.host_ip.is_empty() || a.host_ip == b.host_ip;
    overlap && ips && a.protocol == b.protocol
}

fn host_ip_text(m: &PortMapping) -> &str {
    if m.host_ip.is_empty() {
        "0.0.0.0"
    } else {
        &m.host_ip
    }
}

/// `ps`'s PORTS: `0.0.0.0:8080->80/tcp, 0.0.0.0:9000-9001->9000-9001/udp`.
pub fn format_port(mappings: &[PortMapping]) -> String {
    mappings
        .iter()
        .map(|m| {
            if m.range > 1 {
                format!(
                    "{}:{}-{}->{}-{}/{}",
                    host_ip_text(m),
                    m.host_port,
                    m.host_port + (m.range - 1),
                    m.container_port,
                    m.container_port + (m.range - 1),
                    m.protocol
                )
            } else {
                format!(
                    "{}:{}->{}/{}",
                    host_ip_text(m),
                    m.host_port,
                    m.container_port,
                    m.protocol
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `rpod port`'s lines (`80/tcp -> 0.0.0.0:8080`), one per port, only those
/// matching `filter` (`80` or `80/udp`) when given.
pub fn port_lines(mappings: &[PortMapping], filter: Option<&str>) -> Result<Vec<String>> {
    let want = filter.map(parse_expose).transpose()?;
    let mut out = Vec::new();
    for m in mappings {
        for i in 0..m.range {
            let cport = m.container_port + i;
            if let Some(w) = &want {
                if w.port != cport || w.protocol != m.protocol {
                    continue;
                }
                out.push(format!("{}:{}", host_ip_text(m), m.host_port + i));
            } else {
                out.push(format!(
                    "{cport}/{} -> {}:{}",
                    m.protocol,
                    host_ip_text(m),
                    m.host_port + i
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(ip: &str, h: u16, c: u16, r: u16, p: &str) -> PortMapping {
        PortMapping {
            host_ip: ip.into(),
            container_port: c,
            host_port: h,
            range: r,
            protocol: p.into(),
        }
    }

    #[test]
    fn publish_forms() {
        assert_eq!(
            parse_publish("8080:80").unwrap(),
            vec![pm("", 8080, 80, 1, "tcp")]
        );
        assert_eq!(
            parse_publish("127.0.0.1:8080:80/udp").unwrap(),
            vec![pm("127.0.0.1", 8080, 80, 1, "udp")]
        );
        assert_eq!(
            parse_publish("9000-9002:90-92").unwrap(),
            vec![pm("", 9000, 90, 3, "tcp")]
        );
        assert_eq!(parse_publish("80").unwrap(), vec![pm("", 0, 80, 1, "tcp")]);
        assert_eq!(
            parse_publish("127.0.0.1::80").unwrap(),
            vec![pm("127.0.0.1", 0, 80, 1, "tcp")]
        );
        assert_eq!(parse_publish("80-81").unwrap().len(), 2);
        assert!(parse_publish("9000-9001:90").is_err());
        assert!(parse_publish("8080:80/icmp").is_err());
        assert!(parse_publish("x:8080:80").is_err());
        assert!(parse_publish("8080:0").is_err());
        assert!(parse_publish("1:2:3:4").is_err());
    }

    #[test]
    fn shown_like_podman() {
        let m = [
            pm("", 8080, 80, 1, "tcp"),
            pm("127.0.0.1", 9000, 90, 2, "udp"),
        ];
        assert_eq!(
            format_port(&m),
            "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9001->90-91/udp"
        );
        assert_eq!(
            port_lines(&m, None).unwrap(),
            vec![
                "80/tcp -> 0.0.0.0:8080",
                "90/udp -> 127.0.0.1:9000",
                "91/udp -> 127.0.0.1:9001"
            ]
        );
        assert_eq!(
            port_lines(&m, Some("91/udp")).unwrap(),
            vec!["127.0.0.1:9001"]
        );
        assert!(port_lines(&m, Some("91")).unwrap().is_empty());
    }

    #[test]
    fn conflicts_and_reservation() {
        assert!(conflicts(
            &pm("", 80, 1, 3, "tcp"),
            &pm("127.0.0.1", 82, 1, 1, "tcp")
        ));
        assert!(!conflicts(
            &pm("", 80, 1, 3, "tcp"),
            &pm("", 83, 1, 1, "tcp")
        ));
        assert!(!conflicts(
            &pm("", 80, 1, 1, "tcp"),
            &pm("", 80, 1, 1, "udp")
        ));
        let mut m = vec![pm("127.0.0.1", 0, 80, 1, "tcp")];
        assert_host_port_assigned(&mut m);
        let held = reserve_ports(&m).unwrap();
        let err = reserve_ports(&m).unwrap_err();
        assert!(err.to_string().contains("already in use"), "{err}");
        drop(held);
        assert!(reserve_ports(&m).is_ok());
    }

    fn assert_host_port_assigned(m: &mut [PortMapping]) {
        assign_host_ports(m).unwrap();
        assert_ne!(m[0].host_port, 0);
    }
}

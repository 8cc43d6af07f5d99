//! Subnet arithmetic on [`IpNet`] (IPv4 and IPv6) that the `ipnet` crate
//! leaves to its users: host addresses, overlaps, addresses as numbers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// An address as a number (IPv4 in the low 32 bits).
pub fn to_number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The address of the same family as `like` numbered `n`.
pub fn from_number(like: IpAddr, n: u128) -> IpAddr {
    match like {
        // Truncation cannot happen for numbers made from IPv4 addresses.
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(n as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(n)),
    }
}

/// True when the two subnets share any address.
pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The first address after the subnet's own (the usual gateway).
pub fn first_host(net: &IpNet) -> IpAddr {
    from_number(net.network(), to_number(net.network()).saturating_add(1))
}

/// The last address before the all-ones one (IPv4's broadcast).
pub fn last_host(net: &IpNet) -> IpAddr {
    from_number(net.network(), to_number(net.broadcast()).saturating_sub(1))
}

/// True when `ip` is in `net` and is neither its own address nor the
/// all-ones one.
pub fn is_host_address(net: &IpNet, ip: IpAddr) -> bool {
    net.contains(&ip) && ip != net.network() && ip != net.broadcast()
}

/// Parses a subnet in CIDR form, host bits cleared (`10.0.0.7/24` is
/// `10.0.0.0/24`).
pub fn parse_subnet(text: &str) -> Result<IpNet, crate::Error> {
    text.trim()
        .parse::<IpNet>()
        .map(|n| n.trunc())
        .map_err(|_| crate::Error::Invalid(format!("invalid subnet {text:?}: not in CIDR form")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_addresses_of_both_families() {
        let v4 = parse_subnet("10.90.3.7/16").unwrap();
        assert_eq!(v4.to_string(), "10.90.0.0/16");
        assert_eq!(first_host(&v4).to_string(), "10.90.0.1");
        assert_eq!(last_host(&v4).to_string(), "10.90.255.254");
        assert!(is_host_address(&v4, "10.90.0.9".parse().unwrap()));
        assert!(!is_host_address(&v4, "10.90.255.255".parse().unwrap()));
        let v6 = parse_subnet("fd5a:1::/64").unwrap();
        assert_eq!(first_host(&v6).to_string(), "fd5a:1::1");
        assert!(is_host_address(&v6, "fd5a:1::99".parse().unwrap()));
        assert!(!is_host_address(&v6, "fd5a:2::99".parse().unwrap()));
        assert!(!is_host_address(&v6, "10.90.0.9".parse().unwrap()));
        assert!(overlaps(&v4, &parse_subnet("10.90.5.0/24").unwrap()));
        assert!(!overlaps(&v4, &v6));
        assert!(parse_subnet("10.0.0.0/33").is_err());
        assert!(parse_subnet("10.0.0.0").is_err());
    }
}

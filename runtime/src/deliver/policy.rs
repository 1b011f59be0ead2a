//! Which URLs and addresses delivery may reach (SSRF protection): https
//! only unless plain http is allowed, and no loopback, private, link-local,
//! shared, multicast or unspecified address unless its network is listed in
//! `allow_private_nets`. Checked on the URL when a webhook is saved and on
//! every resolved address when connecting (DNS can change).

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The policy.
#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    /// Plain `http://` allowed.
    pub allow_http: bool,
    /// Networks allowed although not public.
    pub allowed_nets: Vec<IpNet>,
}

/// Why a URL or address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    Some(if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if ip.is_unspecified() || o[0] == 0 {
        "an unspecified address"
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        "a shared (carrier-grade NAT) address"
    } else if ip.is_multicast() || ip.is_broadcast() || o[0] >= 240 {
        "a multicast, broadcast or reserved address"
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        "an IETF protocol assignment address"
    } else {
        return None;
    })
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let s = ip.segments();
    Some(if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_unspecified() {
        "an unspecified address"
    } else if (s[0] & 0xfe00) == 0xfc00 {
        "a private (unique local) address"
    } else if (s[0] & 0xffc0) == 0xfe80 {
        "a link-local address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else {
        return None;
    })
}

impl NetPolicy {
    /// Whether delivery may connect to `ip`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        let reason = match ip {
            IpAddr::V4(v4) => v4_reason(v4),
            IpAddr::V6(v6) => v6_reason(v6),
        };
        match reason {
            Some(_) if self.allowed_nets.iter().any(|net| net.contains(&ip)) => Ok(()),
            Some(reason) => Err(Refused(format!(
                "{ip} is {reason}; delivery to it is refused (allow its network with HERALD_ALLOW_PRIVATE_NETS)"
            ))),
            None => Ok(()),
        }
    }

    /// Whether a webhook URL is acceptable: scheme, host, and (for IP
    /// literals) the address. Hostnames are checked again after resolution.
    pub fn check_url(&self, url: &str) -> Result<http::Uri, Refused> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| Refused(format!("{url:?} is not a valid URL: {e}")))?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if self.allow_http => {}
            Some("http") => {
                return Err(Refused("plain http:// URLs are refused; use https:// (or set HERALD_ALLOW_HTTP for local development)".into()))
            }
            _ => return Err(Refused(format!("{url:?} must start with https://"))),
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Refused(format!("{url:?} has no host")))?;
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(Refused(
                "credentials in the URL are refused; use the webhook's auth setting".into(),
            ));
        }
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            self.check_ip(ip)?;
        } else if host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost")
        {
            let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
            self.check_ip(loopback).map_err(|_| Refused(format!("{host} is a loopback name; delivery to it is refused (allow 127.0.0.0/8 with HERALD_ALLOW_PRIVATE_NETS)")))?;
        }
        Ok(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_public_addresses_by_default() {
        let p = NetPolicy::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(
                p.check_ip(ip.parse().expect("ip")).is_err(),
                "{ip} should be refused"
            );
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(
                p.check_ip(ip.parse().expect("ip")).is_ok(),
                "{ip} should be allowed"
            );
        }
    }

    #[test]
    fn allowed_networks_open_exactly_themselves() {
        let p = NetPolicy {
            allow_http: false,
            allowed_nets: vec!["127.0.0.0/8".parse().expect("net")],
        };
        assert!(p.check_ip("127.0.0.1".parse().expect("ip")).is_ok());
        assert!(p.check_ip("10.0.0.1".parse().expect("ip")).is_err());
    }

    #[test]
    fn urls() {
        let p = NetPolicy::default();
        assert!(p.check_url("https://example.com/hook").is_ok());
        assert!(p
            .check_url("http://example.com/hook")
            .expect_err("http")
            .0
            .contains("HERALD_ALLOW_HTTP"));
        assert!(p.check_url("ftp://example.com").is_err());
        assert!(p
            .check_url("https://127.0.0.1/x")
            .expect_err("loopback")
            .0
            .contains("loopback"));
        assert!(p.check_url("https://localhost:8443/x").is_err());
        assert!(p.check_url("https://user:pw@example.com/").is_err());
        assert!(p.check_url("not a url").is_err());
        let dev = NetPolicy {
            allow_http: true,
            allowed_nets: vec!["127.0.0.0/8".parse().expect("net")],
        };
        assert!(dev.check_url("http://localhost:8080/x").is_ok());
    }
}

//! Which URLs and addresses delivery may reach (SSRF protection): https
//! only unless plain http is allowed, and no loopback, private, link-local,
//! shared, multicast, broadcast, reserved or unspecified address unless its
//! network is listed in `allow_private_nets`. Checked on the URL when a
//! webhook is saved (numeric hosts in every form a URL parser or
//! `inet_aton` accepts: `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) and
//! on every resolved address when connecting (DNS can change). IPv6
//! addresses that carry an IPv4 address (IPv4-mapped, IPv4-compatible,
//! NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo) are judged by the IPv4
//! address they carry as well.

pub use super::addresses::{embedded_v4, numeric_ipv4, reason, Embedding, Reason, Rule};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr};

/// What every refusal tells the operator to do about it.
const HOW_TO_ALLOW: &str = "delivery may not reach loopback, private, link-local, shared, \
multicast, broadcast, reserved or unspecified addresses unless HERALD_ALLOW_PRIVATE_NETS lists \
their network";

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

/// `localhost` and names under it (RFC 6761), with or without the final dot.
fn is_localhost(host: &str) -> bool {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

impl NetPolicy {
    /// Why delivery may not connect to `ip` under this policy, or `None`
    /// when it may (public, or inside an allowed network).
    pub fn refusal(&self, ip: IpAddr) -> Option<Reason> {
        let why = reason(ip)?;
        let allowed = |ip: IpAddr| self.allowed_nets.iter().any(|net| net.contains(&ip));
        if allowed(ip) || why.via.is_some_and(|(_, v4)| allowed(IpAddr::V4(v4))) {
            None
        } else {
            Some(why)
        }
    }

    /// Whether delivery may connect to `ip`; the error names the rule.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        match self.refusal(ip) {
            Some(why) => Err(Refused(format!("{ip} is {why}; {HOW_TO_ALLOW}"))),
            None => Ok(()),
        }
    }

    /// Whether delivery may connect to `ip`, which `host` resolved to; the
    /// error names the host, the address and the rule.
    pub fn check_resolved(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        match self.refusal(ip) {
            Some(why) => Err(Refused(format!(
                "{host} resolved to {ip}, which is {why}; {HOW_TO_ALLOW}"
            ))),
            None => Ok(()),
        }
    }

    /// Whether a webhook URL is acceptable: scheme, host, and (for IP
    /// literals and numeric hosts in any notation) the address. Hostnames
    /// are checked again after resolution.
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
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if let Some(why) = self.refusal(ip) {
                return Err(Refused(format!(
                    "the URL's host {ip} is {why}; {HOW_TO_ALLOW}"
                )));
            }
        } else if let Some(numeric) = numeric_ipv4(bare) {
            let ip = numeric.map_err(Refused)?;
            if let Some(why) = self.refusal(IpAddr::V4(ip)) {
                return Err(Refused(format!(
                    "the URL's host {host} is the IPv4 address {ip}, which is {why}; {HOW_TO_ALLOW}"
                )));
            }
            return Err(Refused(format!(
                "the URL's host {host} is the IPv4 address {ip} in an unusual notation; write it as {ip}"
            )));
        } else if is_localhost(host) {
            let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
            self.check_ip(loopback).map_err(|_| Refused(format!("{host} is a loopback name; delivery to it is refused (allow 127.0.0.0/8 with HERALD_ALLOW_PRIVATE_NETS)")))?;
        }
        Ok(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> NetPolicy {
        NetPolicy::default()
    }

    /// One row per refused form: the address, and words its message must hold.
    #[test]
    fn every_refused_address_form_names_its_rule() {
        let rows: &[(&str, &[&str])] = &[
            ("127.0.0.1", &["loopback"]),
            ("127.255.0.9", &["loopback"]),
            ("10.1.2.3", &["private"]),
            ("172.16.0.1", &["private"]),
            ("192.168.1.1", &["private"]),
            ("169.254.169.254", &["metadata", "link-local"]),
            ("169.254.1.1", &["link-local"]),
            ("0.0.0.0", &["unspecified"]),
            ("0.1.2.3", &["unspecified"]),
            ("100.64.0.1", &["carrier-grade NAT"]),
            ("100.127.255.254", &["carrier-grade NAT"]),
            ("224.0.0.1", &["multicast"]),
            ("239.255.255.250", &["multicast"]),
            ("255.255.255.255", &["broadcast"]),
            ("240.0.0.1", &["reserved"]),
            ("192.0.0.8", &["protocol assignment"]),
            ("::1", &["loopback"]),
            ("::", &["unspecified"]),
            ("fe80::1", &["link-local"]),
            ("fec0::1", &["site-local"]),
            ("fd00::1", &["unique local"]),
            ("fd00:ec2::254", &["unique local"]),
            ("ff02::1", &["multicast"]),
            // IPv6 forms carrying an IPv4 address: judged by that address.
            (
                "::ffff:127.0.0.1",
                &["IPv4-mapped", "127.0.0.1", "loopback"],
            ),
            ("::ffff:169.254.169.254", &["IPv4-mapped", "metadata"]),
            ("::127.0.0.1", &["IPv4-compatible", "127.0.0.1", "loopback"]),
            ("::10.0.0.1", &["IPv4-compatible", "private"]),
            ("64:ff9b::127.0.0.1", &["NAT64", "127.0.0.1", "loopback"]),
            (
                "64:ff9b::a9fe:a9fe",
                &["NAT64", "169.254.169.254", "metadata"],
            ),
            ("2002:7f00:1::", &["6to4", "127.0.0.1", "loopback"]),
            ("2002:c0a8:101::1", &["6to4", "192.168.1.1", "private"]),
            (
                "2001:0:4136:e378:8000:63bf:f5ff:fffe",
                &["Teredo", "10.0.0.1", "private"],
            ),
        ];
        let p = strict();
        for (ip, words) in rows {
            let ip: IpAddr = ip.parse().expect("ip");
            let message = p.check_ip(ip).expect_err(&format!("{ip} is refused")).0;
            for word in *words {
                assert!(message.contains(word), "{ip}: {message:?} lacks {word:?}");
            }
            assert!(message.contains("HERALD_ALLOW_PRIVATE_NETS"), "{message}");
        }
    }

    #[test]
    fn public_addresses_pass_in_every_form() {
        let p = strict();
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
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
        // The same address carried in IPv6 is allowed by its IPv4 network.
        assert!(p.check_ip("::ffff:127.0.0.1".parse().expect("ip")).is_ok());
        assert!(p.check_ip("64:ff9b::7f00:1".parse().expect("ip")).is_ok());
        assert!(p.check_ip("10.0.0.1".parse().expect("ip")).is_err());
        assert!(p.check_ip("::ffff:10.0.0.1".parse().expect("ip")).is_err());
        assert!(
            p.check_url("https://127.1/").is_err(),
            "notation still refused"
        );
    }

    #[test]
    fn numeric_hosts_are_read_as_url_parsers_and_inet_aton_read_them() {
        let rows = [
            ("2130706433", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"),
            ("0X7F.1", "127.0.0.1"),
            ("0x7f.1", "127.0.0.1"),
            ("0177.0.0.1", "127.0.0.1"),
            ("017700000001", "127.0.0.1"),
            ("127.1", "127.0.0.1"),
            ("127.0.1", "127.0.0.1"),
            ("127.0.0.1.", "127.0.0.1"),
            ("10.0x10.1", "10.16.0.1"),
            ("0xa9.0376.43518", "169.254.169.254"),
            ("0", "0.0.0.0"),
            ("0x", "0.0.0.0"),
            ("134744072", "8.8.8.8"),
        ];
        for (host, ip) in rows {
            assert_eq!(
                numeric_ipv4(host),
                Some(Ok(ip.parse().expect("ip"))),
                "{host}"
            );
        }
        for name in ["example.com", "a.b", "0x7g.com", "localhost", "x1"] {
            assert_eq!(numeric_ipv4(name), None, "{name} is a name");
        }
        for bad in [
            "1.2.3.4.5",
            "256.0.0.1",
            "1.2.3.256",
            "1.16777216",
            "4294967296",
            "08",
            "example.123",
        ] {
            assert!(
                matches!(numeric_ipv4(bad), Some(Err(_))),
                "{bad} is an invalid number host"
            );
        }
    }

    /// One row per numeric URL form refused at creation, with its message.
    #[test]
    fn numeric_url_hosts_are_refused_with_the_rule() {
        let rows = [
            ("https://2130706433/", "the URL's host 2130706433 is the IPv4 address 127.0.0.1, which is a loopback address"),
            ("https://0x7f.1/", "the URL's host 0x7f.1 is the IPv4 address 127.0.0.1, which is a loopback address"),
            ("https://0x7f000001/x", "is the IPv4 address 127.0.0.1, which is a loopback address"),
            ("https://0177.0.0.1/", "the URL's host 0177.0.0.1 is the IPv4 address 127.0.0.1, which is a loopback address"),
            ("https://127.1/", "the URL's host 127.1 is the IPv4 address 127.0.0.1, which is a loopback address"),
            ("https://127.0.0.1./", "which is a loopback address"),
            ("https://0xa9fea9fe/latest", "169.254.169.254, which is the cloud metadata address (link-local)"),
            ("https://167772161:8443/", "10.0.0.1, which is a private address"),
            ("https://100.64.1/", "100.64.0.1, which is a shared (carrier-grade NAT) address"),
            ("https://0/", "0.0.0.0, which is an unspecified address"),
            ("https://4294967295/", "255.255.255.255, which is the broadcast address"),
            ("https://0xe0.1/", "224.0.0.1, which is a multicast address"),
            ("https://1.2.3.4.5/", "is neither a name nor a valid IPv4 address"),
            ("https://134744072/", "in an unusual notation; write it as 8.8.8.8"),
            ("https://[::ffff:7f00:1]/", "IPv4-mapped IPv6 address carrying 127.0.0.1, which is a loopback address"),
            ("https://[::127.0.0.1]/", "IPv4-compatible IPv6 address carrying 127.0.0.1"),
            ("https://[64:ff9b::7f00:1]/", "NAT64 (64:ff9b::/96) address carrying 127.0.0.1"),
            ("https://[2002:a9fe:a9fe::1]/", "6to4 (2002::/16) address carrying 169.254.169.254, which is the cloud metadata address"),
            ("https://[fe80::1]/", "a link-local address"),
            ("https://169.254.169.254/latest/meta-data", "the cloud metadata address"),
            ("https://100.64.0.1/", "carrier-grade NAT"),
            ("https://224.0.0.1/", "multicast"),
            ("https://255.255.255.255/", "broadcast"),
            // Percent-encoded hosts are no valid URI for the http crate.
            ("https://%31%32%37.0.0.1/", "is not a valid URL"),
        ];
        let p = strict();
        for (url, expected) in rows {
            let message = p.check_url(url).expect_err(url).0;
            assert!(message.contains(expected), "{url}: {message:?}");
        }
    }

    #[test]
    fn urls() {
        let p = strict();
        assert!(p.check_url("https://example.com/hook").is_ok());
        assert!(p.check_url("https://8.8.8.8/hook").is_ok());
        assert!(p.check_url("https://[2606:4700::1111]/hook").is_ok());
        assert!(p.check_url("https://api.example.123abc/hook").is_ok());
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
        assert!(p.check_url("https://LOCALHOST./x").is_err());
        assert!(p.check_url("https://a.localhost/x").is_err());
        assert!(p.check_url("https://user:pw@example.com/").is_err());
        assert!(p.check_url("not a url").is_err());
        let dev = NetPolicy {
            allow_http: true,
            allowed_nets: vec!["127.0.0.0/8".parse().expect("net")],
        };
        assert!(dev.check_url("http://localhost:8080/x").is_ok());
        assert!(dev.check_url("http://127.0.0.1:8080/x").is_ok());
    }
}

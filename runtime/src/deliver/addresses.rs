//! Address classification for the delivery policy: which rule refuses an
//! IP address (loopback, private, link-local, metadata, shared, multicast,
//! broadcast, reserved, unspecified), the IPv4 address an IPv6 address
//! carries (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo), and numeric
//! hosts read the way URL parsers and `inet_aton` read them. The policy
//! itself, which applies these to URLs and resolved addresses, is
//! [`super::policy`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A rule that refuses an address; its text names it in every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16.
    Private,
    /// fc00::/7.
    UniqueLocal,
    /// 169.254.169.254, the cloud metadata service.
    Metadata,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// fec0::/10 (deprecated, still routed inside some networks).
    SiteLocal,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 100.64.0.0/10 (carrier-grade NAT).
    Shared,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 240.0.0.0/4.
    Reserved,
    /// 192.0.0.0/24.
    ProtocolAssignment,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::Loopback => "a loopback address",
            Rule::Private => "a private address",
            Rule::UniqueLocal => "a private (unique local) address",
            Rule::Metadata => "the cloud metadata address (link-local)",
            Rule::LinkLocal => "a link-local address",
            Rule::SiteLocal => "a site-local address",
            Rule::Unspecified => "an unspecified address",
            Rule::Shared => "a shared (carrier-grade NAT) address",
            Rule::Multicast => "a multicast address",
            Rule::Broadcast => "the broadcast address",
            Rule::Reserved => "a reserved address",
            Rule::ProtocolAssignment => "an IETF protocol assignment address",
        })
    }
}

/// How an IPv6 address carries an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// `::ffff:a.b.c.d`.
    Mapped,
    /// `::a.b.c.d` (deprecated).
    Compatible,
    /// `64:ff9b::a.b.c.d` (RFC 6052 well-known prefix).
    Nat64,
    /// `2002:aabb:ccdd::/48`.
    SixToFour,
    /// `2001:0::/32`, the client address inverted in the last 32 bits.
    Teredo,
}

impl fmt::Display for Embedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Embedding::Mapped => "an IPv4-mapped IPv6 address",
            Embedding::Compatible => "an IPv4-compatible IPv6 address",
            Embedding::Nat64 => "a NAT64 (64:ff9b::/96) address",
            Embedding::SixToFour => "a 6to4 (2002::/16) address",
            Embedding::Teredo => "a Teredo (2001::/32) address",
        })
    }
}

/// Why one address is refused: the rule, and the IPv4 address it was
/// found on when that was carried inside an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason {
    /// The rule.
    pub rule: Rule,
    /// How the refused IPv4 address was carried, if it was.
    pub via: Option<(Embedding, Ipv4Addr)>,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.via {
            None => write!(f, "{}", self.rule),
            Some((how, v4)) => write!(f, "{how} carrying {v4}, which is {}", self.rule),
        }
    }
}

fn v4_rule(ip: Ipv4Addr) -> Option<Rule> {
    let o = ip.octets();
    Some(if ip.is_unspecified() || o[0] == 0 {
        Rule::Unspecified
    } else if ip.is_loopback() {
        Rule::Loopback
    } else if ip.is_private() {
        Rule::Private
    } else if o == [169, 254, 169, 254] {
        Rule::Metadata
    } else if ip.is_link_local() {
        Rule::LinkLocal
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Rule::Shared
    } else if ip.is_broadcast() {
        Rule::Broadcast
    } else if ip.is_multicast() {
        Rule::Multicast
    } else if o[0] >= 240 {
        Rule::Reserved
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Rule::ProtocolAssignment
    } else {
        return None;
    })
}

/// The IPv4 address an IPv6 address carries, and how.
pub fn embedded_v4(ip: Ipv6Addr) -> Option<(Embedding, Ipv4Addr)> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some((Embedding::Mapped, v4))
    } else if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        Some((Embedding::Compatible, low(s[6], s[7])))
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some((Embedding::Nat64, low(s[6], s[7])))
    } else if s[0] == 0x2002 {
        Some((Embedding::SixToFour, low(s[1], s[2])))
    } else if s[0] == 0x2001 && s[1] == 0 {
        Some((Embedding::Teredo, low(!s[6], !s[7])))
    } else {
        None
    }
}

fn v6_rule(ip: Ipv6Addr) -> Option<Rule> {
    let s = ip.segments();
    Some(if ip.is_loopback() {
        Rule::Loopback
    } else if ip.is_unspecified() {
        Rule::Unspecified
    } else if (s[0] & 0xfe00) == 0xfc00 {
        Rule::UniqueLocal
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Rule::LinkLocal
    } else if (s[0] & 0xffc0) == 0xfec0 {
        Rule::SiteLocal
    } else if ip.is_multicast() {
        Rule::Multicast
    } else {
        return None;
    })
}

/// Why `ip` is not a public address (ignoring any allowed networks), or
/// `None` when it is public.
pub fn reason(ip: IpAddr) -> Option<Reason> {
    match ip {
        IpAddr::V4(v4) => v4_rule(v4).map(|rule| Reason { rule, via: None }),
        IpAddr::V6(v6) => {
            if let Some(rule) = v6_rule(v6) {
                return Some(Reason { rule, via: None });
            }
            let (how, v4) = embedded_v4(v6)?;
            v4_rule(v4).map(|rule| Reason {
                rule,
                via: Some((how, v4)),
            })
        }
    }
}

/// The value of one part of a numeric IPv4 host as the WHATWG URL standard
/// (and `inet_aton`) reads it: `0x` hexadecimal, a leading `0` octal,
/// otherwise decimal. `None` when it is not a number.
fn ipv4_number(part: &str) -> Option<u64> {
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if part.is_empty() {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Too long for u64: larger than any valid part, so say so with a value
    // that fails the range check.
    Some(u64::from_str_radix(digits, radix).unwrap_or(u64::MAX))
}

/// A host that ends in a number is an IPv4 address in some notation
/// (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, `127.0.0.1.`), as URL
/// parsers and the system resolver read it: `None` when the host is a name,
/// `Some(Err)` when it looks numeric but is no valid IPv4 address.
pub fn numeric_ipv4(host: &str) -> Option<Result<Ipv4Addr, String>> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let last = parts.last()?;
    let ends_in_number = (!last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
        || ipv4_number(last).is_some();
    if !ends_in_number {
        return None;
    }
    let invalid = || {
        Err(format!(
            "the URL's host {host} is neither a name nor a valid IPv4 address"
        ))
    };
    if parts.len() > 4 {
        return Some(invalid());
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for part in &parts {
        match ipv4_number(part) {
            Some(n) => numbers.push(n),
            None => return Some(invalid()),
        }
    }
    let (last, rest) = numbers.split_last()?;
    if rest.iter().any(|n| *n > 255) || *last >= 256u64.pow(5 - numbers.len() as u32) {
        return Some(invalid());
    }
    let mut value = *last;
    for (i, n) in rest.iter().enumerate() {
        value += n << (8 * (3 - i));
    }
    Some(
        u32::try_from(value)
            .map(Ipv4Addr::from)
            .or_else(|_| invalid()),
    )
}

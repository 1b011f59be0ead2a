//! The written forms of setting values, shared by the TOML file and the
//! environment: durations (`"30s"`, `"5m"`), byte sizes (`1048576` or
//! `"1MiB"`), addresses and network lists (`"10.0.0.0/8,127.0.0.0/8"` or a
//! TOML array). Each is a `serde(with)` adapter whose error says which form
//! was expected.

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Parses a byte size: a plain number of bytes, or a number followed by
/// `B`, `KiB`, `MiB` or `GiB` (case-insensitive, spaces allowed).
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 1048576 or \"1MiB\""))?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use B, KiB, MiB or GiB"
            ))
        }
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Writes a byte size in the largest binary unit that divides it.
pub fn format_bytes(n: usize) -> String {
    for (unit, scale) in [("GiB", 1usize << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if n >= scale && n % scale == 0 {
            return format!("{}{unit}", n / scale);
        }
    }
    n.to_string()
}

/// `"30s"`-style durations (humantime).
pub mod duration {
    use super::*;

    /// Writes the duration as humantime text (`"150s"`, `"30days"`).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        humantime::format_duration(*d).to_string().serialize(s)
    }

    /// Reads humantime text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(text.trim()).map_err(|e| {
            de::Error::custom(format!(
                "{text:?} is not a duration like \"30s\", \"5m\" or \"250ms\" ({e})"
            ))
        })
    }
}

/// Byte sizes: an integer, or text with a binary unit (`"32MiB"`).
pub mod bytes {
    use super::*;

    /// Writes the number of bytes.
    pub fn serialize<S: Serializer>(n: &usize, s: S) -> Result<S::Ok, S::Error> {
        (*n as u64).serialize(s)
    }

    struct Size;

    impl Visitor<'_> for Size {
        type Value = usize;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a size in bytes, like 1048576 or \"1MiB\"")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
            usize::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<usize, E> {
            u64::try_from(v)
                .map_err(|_| E::custom(format!("{v} is negative")))
                .and_then(|v| self.visit_u64(v))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
            parse_bytes(v).map_err(E::custom)
        }
    }

    /// Reads an integer or a size with a unit.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        d.deserialize_any(Size)
    }
}

/// Values written as text and parsed with `FromStr` (addresses).
pub mod text {
    use super::*;
    use std::str::FromStr;

    /// Writes the value with `Display`.
    pub fn serialize<T: fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Reads text and parses it.
    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: fmt::Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.trim()
            .parse()
            .map_err(|e| de::Error::custom(format!("{text:?}: {e}")))
    }
}

/// Network lists: a TOML array of CIDRs, or one comma-separated string
/// (the form an environment variable has).
pub mod nets {
    use super::*;
    use ipnet::IpNet;

    /// Writes the list as an array of strings.
    pub fn serialize<S: Serializer>(nets: &[IpNet], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(nets.iter().map(ToString::to_string))
    }

    fn parse<E: de::Error>(item: &str) -> Result<IpNet, E> {
        item.parse()
            .map_err(|e| E::custom(format!("{item:?} is not a CIDR like 10.0.0.0/8 ({e})")))
    }

    /// Reads an array of CIDRs or a comma-separated string of them.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
        super::strings::deserialize(d)?
            .iter()
            .map(|s| parse(s))
            .collect()
    }
}

/// Lists of text items: a TOML array of strings, or one comma-separated
/// string (the form an environment variable has); blank items are dropped.
pub mod strings {
    use super::*;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        List(Vec<String>),
        Text(String),
    }

    /// Writes the list as an array of strings.
    pub fn serialize<S: Serializer>(items: &[String], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(items)
    }

    /// Reads an array of strings or a comma-separated string of them.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let items = match Form::deserialize(d)? {
            Form::List(items) => items,
            Form::Text(text) => text.split(',').map(str::to_string).collect(),
        };
        Ok(items
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect())
    }
}

/// Lists of name servers: `"10.0.0.2:53,[2001:db8::53]:53"` or a TOML
/// array; an address without a port means port 53.
pub mod name_servers {
    use super::*;
    use std::net::{IpAddr, SocketAddr};

    /// Writes the list as an array of `ip:port` strings.
    pub fn serialize<S: Serializer>(addrs: &[SocketAddr], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(addrs.iter().map(ToString::to_string))
    }

    /// Reads one name server address.
    pub fn parse(item: &str) -> Result<SocketAddr, String> {
        item.parse::<SocketAddr>()
            .or_else(|_| item.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
            .map_err(|_| {
                format!("{item:?} is not a name server address like 10.0.0.2:53 or 10.0.0.2")
            })
    }

    /// Reads an array of addresses or a comma-separated string of them.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
        super::strings::deserialize(d)?
            .iter()
            .map(|s| parse(s).map_err(de::Error::custom))
            .collect()
    }
}

/// Whether `text` is an `http(s)://host[:port]` origin (a trailing `/`
/// allowed), with nothing a header could be split or widened by.
pub fn web_origin(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.map(|r| r.strip_suffix('/').unwrap_or(r))
        .is_some_and(|host| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_parse_and_print() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("32MiB"), Ok(32 << 20));
        assert_eq!(parse_bytes(" 4 kib "), Ok(4 << 10));
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert!(parse_bytes("32MB").is_err_and(|e| e.contains("KiB")));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("").is_err());
        assert_eq!(format_bytes(32 << 20), "32MiB");
        assert_eq!(format_bytes(1000), "1000");
        assert_eq!(format_bytes(0), "0");
    }

    #[test]
    fn name_servers_parse_with_or_without_port() {
        use name_servers::parse;
        assert_eq!(
            parse("10.0.0.2:5353"),
            Ok("10.0.0.2:5353".parse().expect("addr"))
        );
        assert_eq!(parse("10.0.0.2"), Ok("10.0.0.2:53".parse().expect("addr")));
        assert_eq!(parse("[::1]:53"), Ok("[::1]:53".parse().expect("addr")));
        assert_eq!(
            parse("2001:db8::53"),
            Ok("[2001:db8::53]:53".parse().expect("addr"))
        );
        assert!(parse("dns.example").is_err_and(|e| e.contains("10.0.0.2:53")));
    }
}

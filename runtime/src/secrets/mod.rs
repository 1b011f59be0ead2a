//! Secrets at rest: the master keyring that seals webhook secrets and
//! receiver credentials before they reach Redis.
//!
//! - Cipher: XChaCha20-Poly1305 (RustCrypto), a random 24-byte nonce per
//!   value, the owning webhook's id as associated data (a ciphertext copied
//!   into another webhook does not open).
//! - Stored form: `enc:v1:<key id>:<base64(nonce || ciphertext || tag)>`;
//!   the key id is the hex of the first 4 bytes of SHA-256 of the key, so
//!   every ciphertext names the key that opens it.
//! - A keyring has one current key (seals) and any number of older ones
//!   (open only): during a master-key rotation both open.
//! - A stored value without the `enc:v1:` prefix is a plain value written
//!   before encryption existed; it is read as it is and sealed on the next
//!   write or by `herald secrets rotate-master`.
//!
//! Where the keys come from: [`Keyring::from_settings`] (`master_key`,
//! `master_key_file`, `old_master_keys`, or a key generated into the data
//! directory for the embedded default).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
mod keys;

pub use keys::{generate_key, key_id, parse_key, KeyError, KeySource};
use keys::{generate_key_file, read_key_file};

/// Prefix of a sealed value (format version 1).
pub const SEALED_PREFIX: &str = "enc:v1:";

const NONCE_LEN: usize = 24;

/// Why a sealed value does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The value is not `enc:v1:<key id>:<base64>`.
    #[error("malformed sealed value: {0}")]
    Malformed(&'static str),
    /// No key of this process has that id.
    #[error(
        "sealed with master key {0}, which this process does not have \
         (configure it in HERALD_MASTER_KEY or HERALD_OLD_MASTER_KEYS)"
    )]
    UnknownKey(String),
    /// Authentication failed: tampered, or sealed for another webhook.
    #[error("sealed value does not authenticate under master key {0} (tampered, or it belongs to another record)")]
    Forged(String),
}

/// One master key.
struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl MasterKey {
    fn new(bytes: &[u8; 32]) -> MasterKey {
        MasterKey {
            id: key_id(bytes),
            cipher: XChaCha20Poly1305::new(bytes.into()),
        }
    }
}

/// The master keys of this process: the current one seals, every one opens.
pub struct Keyring {
    current: MasterKey,
    older: Vec<MasterKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field(
                "older",
                &self.older.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// A keyring that seals with `current` and also opens with `older`
    /// (duplicates of the current key are ignored).
    pub fn new(current: &[u8; 32], older: &[[u8; 32]]) -> Keyring {
        let current = MasterKey::new(current);
        let mut keys: Vec<MasterKey> = Vec::new();
        for k in older {
            let k = MasterKey::new(k);
            if k.id != current.id && !keys.iter().any(|o| o.id == k.id) {
                keys.push(k);
            }
        }
        Keyring {
            current,
            older: keys,
        }
    }

    /// The keyring the settings describe: `master_key` or `master_key_file`
    /// as the current key, `old_master_keys` as older ones. With neither set
    /// and no `redis_url` (the embedded default), the key in
    /// `<data_dir>/master.key`, generated (mode 0600) when absent; with a
    /// `redis_url` and no key, [`KeyError::Missing`].
    pub fn from_settings(
        settings: &crate::config::Settings,
    ) -> Result<(Keyring, KeySource), KeyError> {
        let (current, source) = match (&settings.master_key, &settings.master_key_file) {
            (Some(_), Some(_)) => return Err(KeyError::Ambiguous),
            (Some(key), None) => (parse_key(key, "HERALD_MASTER_KEY")?, KeySource::Setting),
            (None, Some(path)) => (read_key_file(path)?, KeySource::File(path.clone())),
            (None, None) if settings.redis_url.is_some() => return Err(KeyError::Missing),
            (None, None) => {
                let path = settings.data_dir.join("master.key");
                if path.exists() {
                    (read_key_file(&path)?, KeySource::DataDir(path))
                } else {
                    (
                        generate_key_file(&path)?,
                        KeySource::Generated(path.clone()),
                    )
                }
            }
        };
        let older = settings
            .old_master_keys
            .iter()
            .map(|k| parse_key(k, "HERALD_OLD_MASTER_KEYS"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((Keyring::new(&current, &older), source))
    }

    /// The id of the current (sealing) key.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// The ids of every key that opens, current first.
    pub fn ids(&self) -> Vec<&str> {
        std::iter::once(self.current.id.as_str())
            .chain(self.older.iter().map(|k| k.id.as_str()))
            .collect()
    }

    /// Seals `plain` for the record `aad` (a webhook id) under the current key.
    pub fn seal(&self, plain: &str, aad: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .current
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            // XChaCha20-Poly1305 fails only beyond 256 GiB of plaintext.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}:{}", self.current.id, B64.encode(out))
    }

    /// Opens a stored value of the record `aad`: a sealed one with the key
    /// it names; a plain one (written before encryption) as it is.
    pub fn open(&self, stored: &str, aad: &str) -> Result<String, SealError> {
        let Some(rest) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_string());
        };
        let (id, body) = rest
            .split_once(':')
            .ok_or(SealError::Malformed("no key id"))?;
        let key = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|k| k.id == id)
            .ok_or_else(|| SealError::UnknownKey(id.to_string()))?;
        let bytes = B64
            .decode(body)
            .map_err(|_| SealError::Malformed("not base64"))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed("too short"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealError::Forged(id.to_string()))?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed("not UTF-8"))
    }

    /// Whether `stored` is sealed under the current key (nothing to redo).
    pub fn is_current(&self, stored: &str) -> bool {
        sealed_key_id(stored) == Some(self.current.id.as_str())
    }
}

/// The key id a stored value is sealed under; `None` for a plain value.
pub fn sealed_key_id(stored: &str) -> Option<&str> {
    stored
        .strip_prefix(SEALED_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: [u8; 32] = [1; 32];
    const K2: [u8; 32] = [2; 32];

    #[test]
    fn round_trip_carries_the_key_id() {
        let ring = Keyring::new(&K1, &[]);
        let sealed = ring.seal("whsec_abc", "wh_1");
        assert!(sealed.starts_with(&format!("enc:v1:{}:", key_id(&K1))));
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(ring.open(&sealed, "wh_1"), Ok("whsec_abc".to_string()));
        assert!(ring.is_current(&sealed));
        // A fresh nonce each time.
        assert_ne!(sealed, ring.seal("whsec_abc", "wh_1"));
    }

    #[test]
    fn an_unknown_key_id_is_named() {
        let sealed = Keyring::new(&K1, &[]).seal("s", "wh_1");
        let other = Keyring::new(&K2, &[]);
        assert_eq!(
            other.open(&sealed, "wh_1"),
            Err(SealError::UnknownKey(key_id(&K1)))
        );
    }

    #[test]
    fn a_wrong_key_under_a_forged_id_does_not_open() {
        // The id of K1 in front of a K2 ciphertext.
        let sealed = Keyring::new(&K2, &[]).seal("s", "wh_1");
        let forged = sealed.replace(&key_id(&K2), &key_id(&K1));
        assert_eq!(
            Keyring::new(&K1, &[]).open(&forged, "wh_1"),
            Err(SealError::Forged(key_id(&K1)))
        );
    }

    #[test]
    fn tampered_ciphertext_does_not_open() {
        let ring = Keyring::new(&K1, &[]);
        let sealed = ring.seal("password", "wh_1");
        let (head, body) = sealed.rsplit_once(':').expect("format");
        let mut bytes = B64.decode(body).expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("{head}:{}", B64.encode(&bytes));
        assert!(matches!(
            ring.open(&tampered, "wh_1"),
            Err(SealError::Forged(_))
        ));
        bytes[last] ^= 1;
        bytes[30] ^= 0x80;
        let tampered = format!("{head}:{}", B64.encode(&bytes));
        assert!(matches!(
            ring.open(&tampered, "wh_1"),
            Err(SealError::Forged(_))
        ));
        assert!(matches!(
            ring.open(&format!("{head}:AAAA"), "wh_1"),
            Err(SealError::Malformed(_))
        ));
        assert!(matches!(
            ring.open("enc:v1:nocolon", "wh_1"),
            Err(SealError::Malformed(_))
        ));
    }

    #[test]
    fn wrong_associated_data_does_not_open() {
        let ring = Keyring::new(&K1, &[]);
        let sealed = ring.seal("token", "wh_1");
        assert!(matches!(
            ring.open(&sealed, "wh_2"),
            Err(SealError::Forged(_))
        ));
    }

    #[test]
    fn older_keys_open_and_the_current_one_seals() {
        let old = Keyring::new(&K1, &[]);
        let sealed_old = old.seal("s", "wh_1");
        let ring = Keyring::new(&K2, &[K1, K2, K1]);
        assert_eq!(ring.ids(), vec![key_id(&K2), key_id(&K1)]);
        assert_eq!(ring.open(&sealed_old, "wh_1"), Ok("s".to_string()));
        assert!(!ring.is_current(&sealed_old));
        let sealed_new = ring.seal("s", "wh_1");
        assert!(ring.is_current(&sealed_new));
        assert_eq!(sealed_key_id(&sealed_new), Some(ring.current_id()));
    }

    #[test]
    fn plain_values_from_before_encryption_are_read_as_they_are() {
        let ring = Keyring::new(&K1, &[]);
        assert_eq!(ring.open("whsec_plain", "wh_1"), Ok("whsec_plain".into()));
        assert_eq!(sealed_key_id("whsec_plain"), None);
        assert!(!ring.is_current("whsec_plain"));
    }

    #[test]
    fn keys_parse_from_base64_of_32_bytes_only() {
        let text = generate_key();
        assert_eq!(
            parse_key(&format!(" {text}\n"), "x").expect("key").len(),
            32
        );
        assert!(parse_key("c2hvcnQ=", "HERALD_MASTER_KEY")
            .expect_err("refused")
            .to_string()
            .contains("HERALD_MASTER_KEY"));
        assert!(parse_key("not base64!", "x").is_err());
    }

    #[test]
    fn the_debug_form_shows_ids_only() {
        let ring = Keyring::new(&K1, &[K2]);
        let text = format!("{ring:?}");
        assert!(text.contains(&key_id(&K1)) && text.contains(&key_id(&K2)));
        assert!(!text.contains("cipher"));
    }

    #[test]
    fn the_embedded_default_generates_a_private_key_file_once() {
        let dir = tempfile::tempdir().expect("dir");
        let settings = crate::config::Settings {
            data_dir: dir.path().join("data"),
            ..Default::default()
        };
        let (first, source) = Keyring::from_settings(&settings).expect("generated");
        let path = dir.path().join("data").join("master.key");
        assert_eq!(source, KeySource::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = Keyring::from_settings(&settings).expect("read");
        assert_eq!(source, KeySource::DataDir(path));
        assert_eq!(first.current_id(), again.current_id());
    }

    #[test]
    fn a_shared_redis_needs_a_configured_key() {
        let settings = crate::config::Settings {
            redis_url: Some("redis://127.0.0.1:6379/".into()),
            ..Default::default()
        };
        let err = Keyring::from_settings(&settings)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("HERALD_MASTER_KEY"), "{err}");
        let settings = crate::config::Settings {
            master_key: Some(B64.encode(K1)),
            old_master_keys: vec![B64.encode(K2)],
            ..settings
        };
        let (ring, source) = Keyring::from_settings(&settings).expect("configured");
        assert_eq!(source, KeySource::Setting);
        assert_eq!(ring.ids(), vec![key_id(&K1), key_id(&K2)]);
    }
}

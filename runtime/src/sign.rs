//! Signing, natively and over the exact bytes sent.
//!
//! - Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`
//!   where the key is the base64 part of the `whsec_…` secret; during a
//!   rotation every live secret signs (space-separated signatures).
//! - Legacy `hex`: `X-Webhook-Signature: <hex HMAC-SHA256(secret text, body)>`
//!   with the full secret text as key, as most legacy verifiers expect. The
//!   header holds one signature, so during a rotation it keeps being signed
//!   with the oldest secret still in its grace period (the one receivers
//!   already verify with), and `X-Webhook-Signature-New` carries the
//!   signature with the current secret; when the grace period ends,
//!   `X-Webhook-Signature` is signed with the current secret and the second
//!   header goes. A hex receiver thus never breaks at the rotation: it may
//!   switch to the new secret (reading `X-Webhook-Signature-New`) at any time
//!   in the 24 hours, and must by their end.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Prefix of Herald's secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new random secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", B64.encode(bytes))
}

/// The HMAC key of a `whsec_` secret (its base64 part, decoded); a secret
/// that is not in that form is used as raw bytes.
pub fn secret_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| B64.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The `webhook-signature` value for `secrets` (current first).
pub fn standard_signature<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let ts = timestamp.to_string();
    secrets
        .into_iter()
        .map(|s| {
            let mac = hmac(
                &secret_key(s),
                &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body],
            );
            format!("v1,{}", B64.encode(mac))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The header of the `hex` scheme's signature.
pub const HEX_HEADER: &str = "x-webhook-signature";
/// The header that carries the current secret's hex signature during a
/// rotation (while an older secret still signs [`HEX_HEADER`]).
pub const HEX_NEW_HEADER: &str = "x-webhook-signature-new";

/// The `hex` scheme's headers for the live `secrets` (current first, oldest
/// last): the [`HEX_HEADER`] value, signed with the oldest live secret, and,
/// during a rotation, the [`HEX_NEW_HEADER`] value signed with the current
/// one. `None` without a secret.
pub fn hex_signatures(secrets: &[&str], body: &[u8]) -> Option<(String, Option<String>)> {
    let (current, oldest) = (secrets.first()?, secrets.last()?);
    let signature = hex_signature(oldest, body);
    let new = (secrets.len() > 1).then(|| hex_signature(current, body));
    Some((signature, new))
}

/// The legacy `X-Webhook-Signature` value (hex HMAC-SHA256 of the body).
pub fn hex_signature(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac(secret.as_bytes(), &[body]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's test vectors.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = standard_signature([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn rotation_signs_with_every_secret() {
        let sig = standard_signature(["whsec_AAAA", "whsec_BBBB"], "m", 1, b"x");
        assert_eq!(sig.split(' ').count(), 2);
        assert!(sig.split(' ').all(|s| s.starts_with("v1,")));
    }

    #[test]
    fn new_secrets_are_random_and_well_formed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(secret_key(&a).len(), 32);
    }

    #[test]
    fn hex_rotation_keeps_the_old_secret_in_the_main_header() {
        assert_eq!(hex_signatures(&[], b"x"), None);
        let (sig, new) = hex_signatures(&["whsec_new"], b"x").expect("one secret");
        assert_eq!(sig, hex_signature("whsec_new", b"x"));
        assert_eq!(new, None);
        let (sig, new) =
            hex_signatures(&["whsec_new", "whsec_mid", "whsec_old"], b"x").expect("rotating");
        assert_eq!(sig, hex_signature("whsec_old", b"x"));
        assert_eq!(new, Some(hex_signature("whsec_new", b"x")));
    }

    #[test]
    fn hex_is_hmac_of_the_body() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), RFC 4231-style known value.
        assert_eq!(
            hex_signature("key", b"The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}

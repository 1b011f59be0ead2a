//! Signing, natively and over the exact bytes sent.
//!
//! - Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`
//!   where the key is the base64 part of the `whsec_…` secret; during a
//!   rotation every live secret signs (space-separated signatures).
//! - Standard Webhooks asymmetric: `webhook-signature: v1a,<base64 ed25519 signature of "{id}.{timestamp}.{body}">`
//!   with a `whsk_…` signing key (base64 of the 32-byte ed25519 seed);
//!   receivers verify with its public key, `whpk_…` (base64 of the 32-byte
//!   public key). During a rotation every live key signs, as with `v1`.
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
use ring::signature::{Ed25519KeyPair, KeyPair as _};
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

/// Prefix of Herald's ed25519 signing keys.
pub const SIGNING_KEY_PREFIX: &str = "whsk_";
/// Prefix of the public keys receivers verify ed25519 signatures with.
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";

/// A new random ed25519 signing key: `whsk_` + base64 of a 32-byte seed.
pub fn new_signing_key() -> String {
    let seed: [u8; 32] = rand::random();
    format!("{SIGNING_KEY_PREFIX}{}", B64.encode(seed))
}

/// The key pair of a `whsk_` signing key; `None` if `key` is not one.
fn key_pair(key: &str) -> Option<Ed25519KeyPair> {
    let seed = B64.decode(key.strip_prefix(SIGNING_KEY_PREFIX)?).ok()?;
    Ed25519KeyPair::from_seed_unchecked(&seed).ok()
}

/// The public key (`whpk_…`) of a `whsk_` signing key; `None` if `key` is
/// not one.
pub fn public_key(key: &str) -> Option<String> {
    let pair = key_pair(key)?;
    Some(format!(
        "{PUBLIC_KEY_PREFIX}{}",
        B64.encode(pair.public_key().as_ref())
    ))
}

/// The `webhook-signature` value of the asymmetric scheme: one
/// `v1a,<base64>` per live signing key (current first), each an ed25519
/// signature of `{msg_id}.{timestamp}.{body}`. Keys that are not `whsk_`
/// keys are skipped.
pub fn ed25519_signature<'a>(
    keys: impl IntoIterator<Item = &'a str>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let ts = timestamp.to_string();
    let mut message = Vec::with_capacity(msg_id.len() + ts.len() + body.len() + 2);
    for part in [msg_id.as_bytes(), b".", ts.as_bytes(), b".", body] {
        message.extend_from_slice(part);
    }
    keys.into_iter()
        .filter_map(key_pair)
        .map(|pair| format!("v1a,{}", B64.encode(pair.sign(&message).as_ref())))
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
    fn ed25519_rfc8032_test_vector() {
        // RFC 8032, section 7.1, TEST 2: seed, public key, one-byte message.
        let seed = hex::decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
            .expect("hex");
        let key = format!("{SIGNING_KEY_PREFIX}{}", B64.encode(seed));
        let public =
            hex::decode("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
                .expect("hex");
        assert_eq!(
            public_key(&key),
            Some(format!("{PUBLIC_KEY_PREFIX}{}", B64.encode(public)))
        );
        let pair = key_pair(&key).expect("key");
        let expected = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                        085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
        assert_eq!(hex::encode(pair.sign(&[0x72]).as_ref()), expected);
    }

    #[test]
    fn ed25519_signs_id_timestamp_body_with_every_key() {
        let (a, b) = (new_signing_key(), new_signing_key());
        let sig = ed25519_signature([a.as_str(), b.as_str(), "whsec_AAAA"], "m", 1, b"x");
        let parts: Vec<&str> = sig.split(' ').collect();
        assert_eq!(parts.len(), 2, "{sig}");
        let public = B64
            .decode(&public_key(&a).expect("public")[PUBLIC_KEY_PREFIX.len()..])
            .expect("b64");
        let signature = B64.decode(&parts[0]["v1a,".len()..]).expect("b64");
        let verifier = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public);
        assert!(verifier.verify(b"m.1.x", &signature).is_ok());
        assert!(verifier.verify(b"m.1.y", &signature).is_err());
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

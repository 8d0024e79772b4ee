//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, keyed by the base64 part of a `whsec_` secret. During a rotation
//! the header carries one signature per live secret, separated by spaces; a receiver accepts the
//! message if any of them verifies with the secret it knows.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: 24 random bytes (192 bits), as Standard Webhooks libraries expect.
pub fn generate_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The HMAC key of a secret: its base64 part decoded (the raw text if it is not base64).
fn key(secret: &str) -> Vec<u8> {
    let body = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD.decode(body).unwrap_or_else(|_| body.as_bytes().to_vec())
}

/// One `v1,…` signature of a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)).expect("HMAC takes keys of any length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: the current secret's signature, and the previous secret's
/// while it has not expired (`now_ms` before `previous.1`).
pub fn signature_header(
    current: &str,
    previous: Option<(&str, i64)>,
    now_ms: i64,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let mut header = sign(current, msg_id, timestamp, body);
    if let Some((old, expires)) = previous {
        if now_ms < expires {
            header.push(' ');
            header.push_str(&sign(old, msg_id, timestamp, body));
        }
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn rotation_signs_with_both_secrets_until_the_old_one_expires() {
        let (new, old) = (generate_secret(), generate_secret());
        assert!(new.starts_with("whsec_") && new.len() == 6 + 32);
        let both = signature_header(&new, Some((&old, 1_000)), 999, "evt_1", 5, b"{}");
        assert_eq!(both.split(' ').count(), 2);
        assert!(both.contains(&sign(&old, "evt_1", 5, b"{}")));
        let one = signature_header(&new, Some((&old, 1_000)), 1_000, "evt_1", 5, b"{}");
        assert_eq!(one, sign(&new, "evt_1", 5, b"{}"));
    }
}

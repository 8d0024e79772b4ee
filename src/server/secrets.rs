//! Webhook signing secrets at rest. They must be readable (a signature needs the secret itself,
//! unlike a password or an API key, which are stored as hashes), so they are sealed with
//! ChaCha20-Poly1305 under a key kept outside the database: a dump of the database alone does
//! not reveal them. The store seals on every write and opens on every read, so no caller can
//! store one in plain text by mistake.
//!
//! The key is `SWITCHBOARD_SECRET_KEY` (64 hex digits, or any passphrase of 16 characters or
//! more, hashed), which every process sharing a database must be given; on SQLite without it,
//! a key file beside the database (`<database>.key`, created on first start, mode 0600); both
//! are read by `config::secret_key`. A PostgreSQL deployment without the setting stores secrets
//! unsealed and says so at start.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

const PREFIX: &str = "sealed:v1:";

/// Seals and opens secrets under one key. Each store holds the sealer it was opened with
/// (`store::open`), so two stores in one process (tests) can use different keys.
#[derive(Clone, Default)]
pub struct Sealer {
    key: Option<[u8; 32]>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.key.is_some() { "Sealer(key)" } else { "Sealer(none)" })
    }
}

impl Sealer {
    /// `None`: secrets are stored as they are (PostgreSQL without `SWITCHBOARD_SECRET_KEY`).
    pub fn new(key: Option<[u8; 32]>) -> Self {
        Sealer { key }
    }

    pub fn seal(&self, plain: &str) -> String {
        match &self.key {
            Some(k) => seal_with(k, plain),
            None => plain.to_string(),
        }
    }

    /// The secret of a stored value; a value stored before sealing existed passes through.
    pub fn open(&self, stored: &str) -> String {
        let Some(rest) = stored.strip_prefix(PREFIX) else { return stored.to_string() };
        match self.key.as_ref().and_then(|k| open_with(k, rest)) {
            Some(plain) => plain,
            None => {
                tracing::error!(
                    "a sealed webhook secret could not be opened: the key differs from the one it was sealed with"
                );
                String::new()
            }
        }
    }
}

pub fn seal_with(key: &[u8; 32], plain: &str) -> String {
    let cipher = ChaCha20Poly1305::new(key.into());
    let nonce: [u8; 12] = rand::random();
    let sealed = cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).expect("sealing never fails");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    format!("{PREFIX}{}", STANDARD.encode(out))
}

pub fn open_with(key: &[u8; 32], sealed: &str) -> Option<String> {
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, body) = bytes.split_at(12);
    let plain = ChaCha20Poly1305::new(key.into()).decrypt(Nonce::from_slice(nonce), body).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key: [u8; 32] = rand::random();
        let sealed = seal_with(&key, "whsec_abc");
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("whsec_abc"));
        assert_ne!(sealed, seal_with(&key, "whsec_abc"), "a fresh nonce every time");
        assert_eq!(open_with(&key, sealed.strip_prefix(PREFIX).unwrap()).as_deref(), Some("whsec_abc"));
        let other: [u8; 32] = rand::random();
        assert_eq!(open_with(&other, sealed.strip_prefix(PREFIX).unwrap()), None);
        let sealer = Sealer::new(Some(key));
        assert_eq!(sealer.open(&sealer.seal("whsec_abc")), "whsec_abc");
        assert_eq!(sealer.open("whsec_plain"), "whsec_plain", "values stored before sealing pass through");
        assert_eq!(Sealer::new(None).seal("whsec_abc"), "whsec_abc");
    }
}

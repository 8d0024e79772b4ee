//! Webhook signing secrets at rest. They must be readable (a signature needs the secret itself,
//! unlike a password or an API key, which are stored as hashes), so they are sealed with
//! ChaCha20-Poly1305 under a key kept outside the database: a dump of the database alone does
//! not reveal them. The store seals on every write and opens on every read, so no caller can
//! store one in plain text by mistake.
//!
//! The key is `SWITCHBOARD_SECRET_KEY` (64 hex digits, or any passphrase of 16 characters or
//! more, hashed), which every process sharing a database must be given; on SQLite without it,
//! a key file beside the database (`<database>.key`, created on first start, mode 0600). A
//! PostgreSQL deployment without the setting stores secrets unsealed and says so at start.

use super::config::{ConfigError, DatabaseUrl};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const PREFIX: &str = "sealed:v1:";
static KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Sets the process's key (the first call wins).
pub fn install(key: [u8; 32]) {
    let _ = KEY.set(key);
}

pub fn seal(plain: &str) -> String {
    match KEY.get() {
        Some(k) => seal_with(k, plain),
        None => plain.to_string(),
    }
}

/// The secret of a stored value; a value stored before sealing existed passes through.
pub fn open(stored: &str) -> String {
    let Some(rest) = stored.strip_prefix(PREFIX) else { return stored.to_string() };
    match KEY.get().and_then(|k| open_with(k, rest)) {
        Some(plain) => plain,
        None => {
            tracing::error!("a sealed webhook secret could not be opened: the key differs from the one it was sealed with");
            String::new()
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

/// The key for this database (module docs); `None` on PostgreSQL without the setting.
pub fn load_key(url: &DatabaseUrl) -> Result<Option<[u8; 32]>, ConfigError> {
    if let Ok(v) = std::env::var("SWITCHBOARD_SECRET_KEY") {
        let v = v.trim();
        if v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()) {
            let mut key = [0u8; 32];
            hex::decode_to_slice(v, &mut key).map_err(|_| bad_key(v))?;
            return Ok(Some(key));
        }
        if v.chars().count() < 16 {
            return Err(bad_key(v));
        }
        return Ok(Some(Sha256::digest(v.as_bytes()).into()));
    }
    let DatabaseUrl::Sqlite(u) = url else { return Ok(None) };
    let path = u.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.contains(":memory:") {
        return Ok(None);
    }
    let file = std::path::PathBuf::from(format!("{path}.key"));
    let unreadable = |e: std::io::Error| {
        ConfigError::new(
            "SWITCHBOARD_SECRET_KEY",
            &file.display().to_string(),
            &format!("a readable key file ({e})"),
        )
    };
    if let Ok(text) = std::fs::read_to_string(&file) {
        let mut key = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut key).map_err(|_| {
            ConfigError::new(
                "SWITCHBOARD_SECRET_KEY",
                &file.display().to_string(),
                "a key file of 64 hex digits",
            )
        })?;
        return Ok(Some(key));
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(unreadable)?;
    }
    let key: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&file) {
        Ok(mut f) => {
            std::io::Write::write_all(&mut f, hex::encode(key).as_bytes()).map_err(unreadable)?;
            Ok(Some(key))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&file).map_err(unreadable)?;
            let mut key = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut key).map_err(|_| {
                ConfigError::new(
                    "SWITCHBOARD_SECRET_KEY",
                    &file.display().to_string(),
                    "a key file of 64 hex digits",
                )
            })?;
            Ok(Some(key))
        }
        Err(e) => Err(unreadable(e)),
    }
}

fn bad_key(v: &str) -> ConfigError {
    let _ = v;
    ConfigError::new(
        "SWITCHBOARD_SECRET_KEY",
        "(hidden)",
        "64 hex digits, or a passphrase of at least 16 characters",
    )
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
        assert_eq!(open("whsec_plain"), "whsec_plain", "values stored before sealing pass through");
    }
}

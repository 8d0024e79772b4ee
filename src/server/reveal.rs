//! Showing a secret once to the browser that created it, when JavaScript is off.
//!
//! Without JavaScript a form post is answered with a redirect, so the page that shows a new API
//! key is a second request. The key must survive until then without being stored: the database
//! keeps it XORed with a random one-time pad of the same length, and only the browser has the
//! pad, in a short-lived HttpOnly cookie scoped to the page that shows it. Neither half alone
//! reveals anything. The database row is deleted by the read that uses it (`DELETE … RETURNING`)
//! and purged after [`TTL_MS`] when never read; the cookie expires then too.

use super::auth::{hash_token, random_token};
use super::store::{NewReveal, Store, StoreResult};
use rand::RngCore;

pub const TTL_MS: i64 = 5 * 60_000;
pub const COOKIE: &str = "sb_reveal";

/// Stores `secret` for one read by this session; returns the cookie value to give the browser.
pub async fn seal(
    store: &dyn Store,
    now: i64,
    session_token_hash: &str,
    secret: &str,
) -> StoreResult<String> {
    let mut pad = vec![0u8; secret.len()];
    rand::rngs::OsRng.fill_bytes(&mut pad);
    let ciphertext: Vec<u8> = secret.bytes().zip(&pad).map(|(a, b)| a ^ b).collect();
    let id = random_token(16);
    store
        .put_reveal(&NewReveal {
            id: hash_token(&id),
            session_token_hash: session_token_hash.to_string(),
            ciphertext: hex::encode(ciphertext),
            expires_at: now + TTL_MS,
        })
        .await?;
    Ok(format!("{id}.{}", hex::encode(pad)))
}

/// Reads (and deletes) the value the cookie points to, if this session stored it and it is
/// still fresh.
pub async fn open(
    store: &dyn Store,
    now: i64,
    session_token_hash: &str,
    cookie: &str,
) -> StoreResult<Option<String>> {
    let Some((id, pad)) = cookie.split_once('.') else { return Ok(None) };
    let Ok(pad) = hex::decode(pad) else { return Ok(None) };
    let Some(ciphertext) = store.take_reveal(&hash_token(id), session_token_hash, now).await? else {
        return Ok(None);
    };
    let Ok(ciphertext) = hex::decode(ciphertext) else { return Ok(None) };
    if ciphertext.len() != pad.len() {
        return Ok(None);
    }
    Ok(String::from_utf8(ciphertext.iter().zip(&pad).map(|(a, b)| a ^ b).collect()).ok())
}

/// The `Set-Cookie` value carrying the pad, limited to `path`.
pub fn cookie_header(value: &str, path: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={}{}",
        TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the pad once used.
pub fn clear_cookie_header(path: &str, secure: bool) -> String {
    format!(
        "{COOKIE}=; Path={path}; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

//! Time-sortable, prefixed identifiers (`req_…`, `conn_…`, `evt_…`).
//!
//! An id is a prefix, an underscore and a 26-character ULID in lowercase Crockford base32: 48 bits
//! of milliseconds since the epoch followed by 80 random bits. Because the time comes first and
//! the alphabet sorts in ASCII order, ids sort by creation time, so the id is both the primary key
//! and the keyset-pagination cursor, and a time range is an id range.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const ULID_LEN: usize = 26;

/// Every prefix the product hands out. Parsing only accepts these.
pub mod prefix {
    pub const ORGANIZATION: &str = "org";
    pub const USER: &str = "usr";
    pub const API_KEY: &str = "key";
    pub const CONNECTION: &str = "conn";
    pub const SYNC_CONFIG: &str = "scfg";
    pub const SYNC_RUN: &str = "run";
    pub const BACKFILL: &str = "bf";
    pub const REQUEST: &str = "req";
    pub const WEBHOOK_ENDPOINT: &str = "ep";
    pub const EVENT: &str = "evt";
    pub const DELIVERY: &str = "dlv";
    pub const ATTEMPT: &str = "att";
    pub const AUDIT: &str = "aud";
    pub const ISSUE: &str = "iss";
    pub const ISSUE_EVENT: &str = "iev";
    pub const NOTIFICATION: &str = "ntf";
}

/// Builds an id from a time in milliseconds and 80 bits of randomness (the high bits of `random`
/// beyond 80 are ignored).
pub fn make_id(prefix: &str, time_ms: i64, random: u128) -> String {
    let value: u128 = ((time_ms.max(0) as u128 & 0xFFFF_FFFF_FFFF) << 80) | (random & ((1u128 << 80) - 1));
    let mut out = String::with_capacity(prefix.len() + 1 + ULID_LEN);
    out.push_str(prefix);
    out.push('_');
    for i in (0..ULID_LEN).rev() {
        let digit = ((value >> (i * 5)) & 0x1f) as usize;
        out.push(ALPHABET[digit] as char);
    }
    out
}

/// The smallest id that can exist at `time_ms`: `id >= id_floor(t)` selects everything created
/// at or after `t`.
pub fn id_floor(prefix: &str, time_ms: i64) -> String {
    make_id(prefix, time_ms, 0)
}

/// Why a string is not a valid id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    WrongPrefix { expected: &'static str },
    BadLength,
    BadCharacter(char),
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::WrongPrefix { expected } => write!(f, "it must start with \"{expected}_\""),
            IdError::BadLength => {
                write!(f, "it must have {ULID_LEN} characters after the prefix")
            }
            IdError::BadCharacter(c) => {
                write!(f, "it contains the character {c:?}, which never appears in an id")
            }
        }
    }
}

/// Parses an id of the given kind, forgiving what people do when they paste: surrounding
/// whitespace and quotes, and upper case. Returns the canonical (lowercase) form.
pub fn parse_id(expected: &'static str, input: &str) -> Result<String, IdError> {
    let trimmed = clean_pasted(input);
    let lower = trimmed.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix(expected).and_then(|r| r.strip_prefix('_')) else {
        return Err(IdError::WrongPrefix { expected });
    };
    if rest.len() != ULID_LEN {
        return Err(IdError::BadLength);
    }
    if let Some(c) = rest.chars().find(|c| !ALPHABET.contains(&(*c as u8)) || !c.is_ascii()) {
        return Err(IdError::BadCharacter(c));
    }
    // The first character carries only 3 bits (48 + 80 = 128 bits in 130).
    if rest.as_bytes()[0] > b'7' {
        return Err(IdError::BadCharacter(rest.chars().next().unwrap_or('?')));
    }
    Ok(lower)
}

/// Strips whitespace and the quotes/backticks that come along when an id is copied from JSON,
/// a log line or a chat message.
pub fn clean_pasted(input: &str) -> &str {
    input.trim().trim_matches(|c: char| c == '"' || c == '\'' || c == '`' || c.is_whitespace())
}

/// The creation time encoded in a canonical id, in milliseconds.
pub fn id_time_ms(id: &str) -> Option<i64> {
    let (_, ulid) = id.split_once('_')?;
    if ulid.len() != ULID_LEN {
        return None;
    }
    let mut value: u128 = 0;
    for b in ulid.bytes().take(10) {
        let digit = ALPHABET.iter().position(|a| *a == b)? as u128;
        value = (value << 5) | digit;
    }
    // The first 10 characters are the top 50 bits of the 130-bit string: two zero bits, then the
    // 48-bit time.
    Some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_round_trip() {
        let a = make_id("req", 1_700_000_000_000, u128::MAX);
        let b = make_id("req", 1_700_000_000_001, 0);
        assert!(a < b, "{a} should sort before {b}");
        assert_eq!(id_time_ms(&a), Some(1_700_000_000_000));
        assert_eq!(parse_id("req", &a).unwrap(), a);
        assert!(id_floor("req", 1_700_000_000_001) <= b);
        assert!(id_floor("req", 1_700_000_000_001) > a);
    }

    #[test]
    fn pasted_ids_are_forgiven_but_garbage_is_named() {
        let id = make_id("req", 1_700_000_000_000, 42);
        let pasted = format!("  \"{}\" ", id.to_uppercase().replace("REQ_", "req_"));
        assert_eq!(parse_id("req", &pasted).unwrap(), id);
        assert_eq!(parse_id("req", "conn_01h"), Err(IdError::WrongPrefix { expected: "req" }));
        assert_eq!(parse_id("req", "req_123"), Err(IdError::BadLength));
        assert!(matches!(parse_id("req", "req_01hzzzzzzzzzzzzzzzzzzzzzzu"), Err(IdError::BadCharacter('u'))));
    }
}

//! Percent-encoding, written once for both builds (server and browser). Query strings and form
//! bodies use `+` for a space; paths do not, so decoding says which it reads.

/// Whether `+` means a space (query strings and form bodies) or itself (paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    Space,
    Literal,
}

/// Decodes `%XX` escapes into bytes; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode_bytes(s: &str, plus: Plus) -> Vec<u8> {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus == Plus::Space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// [`percent_decode_bytes`] as text; bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(s: &str, plus: Plus) -> String {
    String::from_utf8_lossy(&percent_decode_bytes(s, plus)).into_owned()
}

/// Encodes everything but RFC 3986's unreserved characters: safe as a query value.
pub fn encode_component(s: &str) -> String {
    encode(s, b"")
}

/// Like [`encode_component`] but keeps `/`: safe as a path (a `next=` return address).
pub fn encode_path(s: &str) -> String {
    encode(s, b"/")
}

/// The `key=value` pairs of a query string or form body (a leading `?` is skipped), both sides
/// decoded, in order; a repeated key appears once per value.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (percent_decode(k, Plus::Space), percent_decode(v, Plus::Space))
    })
}

fn encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_encoding_round_trip() {
        assert_eq!(percent_decode("a+b%20c%2Fd", Plus::Space), "a b c/d");
        assert_eq!(percent_decode("a+b", Plus::Literal), "a+b");
        assert_eq!(percent_decode("100%", Plus::Space), "100%");
        assert_eq!(percent_decode("%zz%4", Plus::Space), "%zz%4");
        assert_eq!(percent_decode("%41%42", Plus::Literal), "AB");
        assert_eq!(encode_component("a b/ü"), "a%20b%2F%C3%BC");
        assert_eq!(encode_path("/requests?x=1"), "/requests%3Fx%3D1");
        let pairs: Vec<_> = query_pairs("?a=1&b&a=x+y%26z&").collect();
        assert_eq!(
            pairs,
            [("a".into(), "1".into()), ("b".into(), String::new()), ("a".into(), "x y&z".into())]
        );
        for s in ["plain", "with space", "ümlaut/slash?&=", "100% sure"] {
            assert_eq!(percent_decode(&encode_component(s), Plus::Literal), s);
        }
    }
}

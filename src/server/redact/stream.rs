//! JSON text redacted in one forward pass, without building a tree.
//!
//! Parsing a body into a `serde_json::Value` allocates a map, a key and a value per object: a
//! crafted 5 MB body of `{"token":"x"}` objects is 370,000 of each, and building, walking,
//! writing and freeing that tree cost 7.6 times an ordinary batch per byte. Here the text is
//! copied as it was sent (order, spacing and duplicate keys kept) and only the values to redact
//! are rewritten, by the same rules as [`super::json`]: a secret key's value (unless null, empty
//! or already redacted), and strings [`super::string_value`] changes (card numbers, URLs,
//! embedded JSON, XML, free text); numbers that are card numbers.

use super::{is_card_number, is_secret_key, string_value, Redactions, REDACTED};

/// serde_json's own nesting limit: a body it would refuse is refused here too, and then read as
/// text by the caller, as before.
const MAX_DEPTH: usize = 128;

/// `raw` redacted, or `None` when it is not one JSON value (the caller reads it another way).
/// Paths go to `r` only when the whole text was JSON.
pub(super) fn redact(raw: &str, path: &str, r: &mut Redactions) -> Option<String> {
    let mut found = Redactions::default();
    let mut s = Scan {
        raw,
        b: raw.as_bytes(),
        i: 0,
        copied: 0,
        out: String::new(),
        path: String::with_capacity(path.len() + 64),
        r: &mut found,
    };
    s.path.push_str(path);
    s.ws();
    s.value(true, 0)?;
    s.ws();
    if s.i != s.b.len() {
        return None;
    }
    let out = if s.copied == 0 {
        raw.to_string()
    } else {
        let mut out = s.out;
        out.push_str(&raw[s.copied..]);
        out
    };
    r.merge(found);
    Some(out)
}

struct Scan<'a, 'r> {
    raw: &'a str,
    b: &'a [u8],
    i: usize,
    /// `raw[..copied]` is in `out` (with its replacements); the rest is still to copy.
    copied: usize,
    out: String,
    path: String,
    r: &'r mut Redactions,
}

impl<'a> Scan<'a, '_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// Replaces `raw[start..end]` with `with` in the output.
    fn replace(&mut self, start: usize, end: usize, with: &str) {
        if self.out.capacity() == 0 {
            self.out.reserve(self.raw.len() + 64);
        }
        self.out.push_str(&self.raw[self.copied..start]);
        self.out.push_str(with);
        self.copied = end;
    }

    /// One value. With `act` false it is only read (the value of a secret key, replaced whole).
    fn value(&mut self, act: bool, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match *self.b.get(self.i)? {
            b'{' => self.object(act, depth),
            b'[' => self.array(act, depth),
            b'"' => {
                let (start, end, value) = self.string()?;
                if act {
                    let out = string_value(&value, &self.path, self.r);
                    if out != value {
                        let quoted = serde_json::to_string(&out).ok()?;
                        self.replace(start, end, &quoted);
                    }
                }
                Some(())
            }
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => {
                let (start, end) = self.number()?;
                if act && is_card_number(&self.raw[start..end]) {
                    self.r.add(&self.path);
                    self.replace(start, end, &format!("\"{REDACTED}\""));
                }
                Some(())
            }
        }
    }

    fn object(&mut self, act: bool, depth: usize) -> Option<()> {
        self.i += 1;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let len = self.path.len();
        loop {
            self.ws();
            let (_, _, key) = self.string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            self.path.push('.');
            self.path.push_str(&key);
            if act && is_secret_key(&key) {
                let start = self.i;
                let keep = matches!(self.b.get(self.i), Some(b'n'))
                    || self.b.get(self.i) == Some(&b'"') && {
                        let at = self.i;
                        let (_, _, v) = self.string()?;
                        self.i = at;
                        v.is_empty() || v == REDACTED
                    };
                self.value(false, depth + 1)?;
                if !keep {
                    self.r.add(&self.path);
                    let end = self.i;
                    self.replace(start, end, &format!("\"{REDACTED}\""));
                }
            } else {
                self.value(act, depth + 1)?;
            }
            self.path.truncate(len);
            self.ws();
            if self.eat(b',').is_some() {
                continue;
            }
            return self.eat(b'}');
        }
    }

    fn array(&mut self, act: bool, depth: usize) -> Option<()> {
        use std::fmt::Write;
        self.i += 1;
        self.ws();
        if self.eat(b']').is_some() {
            return Some(());
        }
        let len = self.path.len();
        let mut n = 0usize;
        loop {
            self.ws();
            if act {
                let _ = write!(self.path, "[{n}]");
            }
            self.value(act, depth + 1)?;
            self.path.truncate(len);
            n += 1;
            self.ws();
            if self.eat(b',').is_some() {
                continue;
            }
            return self.eat(b']');
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word.as_bytes()).then(|| self.i = end)
    }

    /// A number as JSON writes it: `-`? int (`.` digits)? (`e` sign? digits)?.
    fn number(&mut self) -> Option<(usize, usize)> {
        let start = self.i;
        let digits = |s: &mut Self| {
            let from = s.i;
            while s.b.get(s.i).is_some_and(u8::is_ascii_digit) {
                s.i += 1;
            }
            s.i > from
        };
        self.eat(b'-');
        if self.eat(b'0').is_none() && !digits(self) {
            return None;
        }
        if self.eat(b'.').is_some() && !digits(self) {
            return None;
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some((start, self.i))
    }

    /// A string: where it starts and ends (quotes included) and its value, unescaped.
    fn string(&mut self) -> Option<(usize, usize, std::borrow::Cow<'a, str>)> {
        let start = self.i;
        self.eat(b'"')?;
        let mut escaped = false;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                c if c < 0x20 => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        let end = self.i;
        let raw: &'a str = self.raw;
        let text = raw.get(start..end)?;
        let value = if escaped {
            // Rare: serde_json unescapes (and refuses a bad escape or a lone surrogate).
            std::borrow::Cow::Owned(serde_json::from_str::<String>(text).ok()?)
        } else {
            std::borrow::Cow::Borrowed(&text[1..text.len() - 1])
        };
        Some((start, end, value))
    }
}

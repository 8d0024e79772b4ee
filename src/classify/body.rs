//! A raw error body, parsed once: JSON, XML (SOAP included), an HTML page (a gateway's error
//! page), or plain text. Rules read it through the small helpers here.

use serde_json::Value;

pub enum Doc<'a> {
    Json(Value),
    Xml(roxmltree::Document<'a>),
    /// An HTML page: its title and visible text.
    Html {
        title: String,
        text: String,
    },
    Text(&'a str),
    Empty,
}

impl<'a> Doc<'a> {
    pub fn parse(body: &'a str) -> Doc<'a> {
        let t = body.trim_start_matches('\u{feff}').trim();
        if t.is_empty() {
            return Doc::Empty;
        }
        if t.starts_with('{') || t.starts_with('[') || t.starts_with('"') {
            if let Ok(v) = serde_json::from_str::<Value>(t) {
                return Doc::Json(v);
            }
        }
        if t.starts_with('<') {
            let head = t.get(..t.len().min(200)).unwrap_or(t).to_ascii_lowercase();
            if !head.contains("<!doctype html") && !head.contains("<html") {
                let opts = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
                if let Ok(doc) = roxmltree::Document::parse_with_options(t, opts) {
                    return Doc::Xml(doc);
                }
            }
            if head.contains("<html") || head.contains("<!doctype") || head.contains("<body") {
                return Doc::Html { title: html_title(t), text: html_text(t) };
            }
        }
        Doc::Text(t)
    }

    pub fn json(&self) -> Option<&Value> {
        match self {
            Doc::Json(v) => Some(v),
            _ => None,
        }
    }

    pub fn xml(&self) -> Option<&roxmltree::Document<'a>> {
        match self {
            Doc::Xml(d) => Some(d),
            _ => None,
        }
    }

    /// Every piece of human text in the body, in document order (URLs and ids left out).
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Doc::Json(v) => json_strings(v, None, &mut out),
            Doc::Xml(d) => {
                for n in d.descendants() {
                    if n.is_text() {
                        let s = n.text().unwrap_or("").trim();
                        if !s.is_empty() {
                            out.push(s.to_string());
                        }
                    }
                }
            }
            Doc::Html { title, text } => {
                out.push(title.clone());
                out.push(text.clone());
            }
            Doc::Text(t) => out.push(t.to_string()),
            Doc::Empty => {}
        }
        out
    }
}

/// The string leaves of a JSON document, skipping keys that hold links and identifiers.
fn json_strings(v: &Value, key: Option<&str>, out: &mut Vec<String>) {
    const SKIP: &[&str] = &[
        "href",
        "link",
        "links",
        "doc_url",
        "request_log_url",
        "debug_id",
        "request_id",
        "id",
        "rel",
        "documentation_url",
        "information_link",
        "uri",
        "url",
        "trace_id",
        "correlation_id",
        "instance",
        "o:errorurl",
    ];
    if key.is_some_and(|k| SKIP.iter().any(|s| k.eq_ignore_ascii_case(s))) {
        return;
    }
    match v {
        Value::String(s) if !s.trim().is_empty() && !s.starts_with("http") => out.push(s.trim().to_string()),
        Value::Array(a) => a.iter().for_each(|x| json_strings(x, key, out)),
        Value::Object(m) => {
            for (k, x) in m {
                // An object keyed by field names (`{"errors": {"email": ["is invalid"]}}`)
                // reads as "email is invalid".
                if let Value::Array(items) = x {
                    if items.iter().all(|i| i.is_string()) && !items.is_empty() && looks_like_field(k) {
                        for i in items {
                            out.push(format!("{k} {}", i.as_str().unwrap_or("")));
                        }
                        continue;
                    }
                }
                json_strings(x, Some(k), out)
            }
        }
        _ => {}
    }
}

fn looks_like_field(k: &str) -> bool {
    !matches!(
        k.to_ascii_lowercase().as_str(),
        "errors" | "error" | "messages" | "message" | "details" | "detail" | "base" | "full_messages"
    )
}

pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A field of an object, matched without regard to case (`Message` or `message`).
pub fn key<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, x)| x)
}

pub fn key_text(v: &Value, name: &str) -> Option<String> {
    as_text(key(v, name)?)
}

/// The trimmed text of the first element named `name` under `node` (itself included).
pub fn xml_child_text(node: roxmltree::Node, name: &str) -> Option<String> {
    let n = node.descendants().find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case(name))?;
    let text: String = n.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect();
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub fn xml_text(d: &roxmltree::Document, name: &str) -> Option<String> {
    xml_child_text(d.root(), name)
}

fn html_title(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => s[a + 7..b].trim().to_string(),
        _ => String::new(),
    }
}

/// The visible text of an HTML page, tags, scripts and styles dropped, clipped.
fn html_text(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut skip_until: Option<&str> = None;
    let lower = s.to_ascii_lowercase();
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < bytes.len() && out.len() < 2000 {
        if let Some(end) = skip_until {
            match lower[i..].find(end) {
                Some(j) => {
                    i += j + end.len();
                    skip_until = None;
                    in_tag = false;
                    continue;
                }
                None => break,
            }
        }
        let c = bytes[i];
        if c == b'<' {
            if lower[i..].starts_with("<script") {
                skip_until = Some("</script>");
            } else if lower[i..].starts_with("<style") {
                skip_until = Some("</style>");
            }
            in_tag = true;
        } else if c == b'>' {
            in_tag = false;
            out.push(' ');
        } else if !in_tag {
            // Copy one whole character.
            let ch = s[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        i += 1;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `n` characters of `s`, with an ellipsis when clipped.
pub fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_recognised() {
        assert!(matches!(Doc::parse(r#"{"a":1}"#), Doc::Json(_)));
        assert!(matches!(Doc::parse("<?xml version=\"1.0\"?><a><b>x</b></a>"), Doc::Xml(_)));
        assert!(matches!(
            Doc::parse("<!DOCTYPE html><html><title>502 Bad Gateway</title></html>"),
            Doc::Html { .. }
        ));
        assert!(matches!(Doc::parse("Bad request"), Doc::Text(_)));
        assert!(matches!(Doc::parse("  "), Doc::Empty));
        // Broken JSON is text, not a panic.
        assert!(matches!(Doc::parse("{\"a\": "), Doc::Text(_)));
    }

    #[test]
    fn html_keeps_the_visible_text_only() {
        let d = Doc::parse("<html><head><title>504 Gateway Time-out</title><style>p{}</style></head><body><h1>504 Gateway Time-out</h1><script>x()</script>nginx</body></html>");
        match d {
            Doc::Html { title, text } => {
                assert_eq!(title, "504 Gateway Time-out");
                assert_eq!(text, "504 Gateway Time-out 504 Gateway Time-out nginx");
            }
            _ => panic!("not html"),
        }
    }

    #[test]
    fn messages_read_field_keyed_objects_as_sentences() {
        let d = Doc::parse(r#"{"errors":{"email":["has already been taken"]},"doc_url":"https://x"}"#);
        assert_eq!(d.messages(), vec!["email has already been taken".to_string()]);
    }
}

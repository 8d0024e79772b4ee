//! The classifier's context on the server: `switchboard classify` (JSON lines in, JSON lines
//! out). Ingestion and the sync runs call `crate::classify` directly.

use std::io::{BufRead, Write};

use serde_json::json;

use crate::classify::{classify, Input, RawError};
use crate::domain::PLATFORMS;

/// Reads one raw error per line and writes one classification per line, in order. A line that
/// does not read gets a line naming the problem (`{"line": N, "error": ...}`) and the rest go
/// on. Returns how many lines could not be read.
pub fn run_lines(input: impl BufRead, mut output: impl Write) -> std::io::Result<usize> {
    let mut bad = 0;
    for (n, line) in input.split(b'\n').enumerate() {
        let line = line?;
        let out = match read_line(&line) {
            Ok(raw) => {
                let c = classify(&raw);
                json!({
                    "code": c.code,
                    "cause": c.cause,
                    "field": c.field,
                    "confidence": c.confidence,
                    "retryable": c.retryable,
                    "rule": c.rule,
                    "evidence": c.evidence,
                })
            }
            Err(problem) => {
                bad += 1;
                json!({"line": n + 1, "error": problem})
            }
        };
        serde_json::to_writer(&mut output, &out)?;
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(bad)
}

fn read_line(bytes: &[u8]) -> Result<RawError, String> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| "the line is not UTF-8 text".to_string())?;
    if text.trim().is_empty() {
        return Err("the line is empty: expected a JSON object with platform, http_status and body".into());
    }
    let input: Input = serde_json::from_str(text).map_err(|e| format!("not a raw error: {e}"))?;
    if crate::domain::platform(&input.platform).is_none() {
        return Err(format!(
            "unknown platform \"{}\": use a catalog id ({})",
            input.platform,
            PLATFORMS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(s) = input.http_status.filter(|s| !(100..=599).contains(s)) {
        return Err(format!("http_status {s} is not an HTTP status (100 to 599)"));
    }
    Ok(input.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_output_line_per_input_line_and_bad_lines_name_their_problem() {
        let input = concat!(
            r#"{"platform":"stripe","http_status":404,"body":"{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\",\"param\":\"id\",\"message\":\"No such customer: 'cus_1'\"}}"}"#,
            "\n",
            "not json\n",
            "\n",
            r#"{"platform":"myspace","http_status":400,"body":""}"#,
            "\n",
            r#"{"platform":"xero","http_status":429,"body":"","headers":{"Retry-After":"30"}}"#,
            "\n",
        );
        let mut out = Vec::new();
        let bad = run_lines(input.as_bytes(), &mut out).unwrap();
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(bad, 3);
        assert_eq!(lines[0]["code"], "not-found");
        assert_eq!(lines[1]["line"], 2);
        assert!(lines[1]["error"].as_str().unwrap().starts_with("not a raw error"));
        assert!(lines[2]["error"].as_str().unwrap().contains("empty"));
        assert!(lines[3]["error"].as_str().unwrap().contains("unknown platform \"myspace\""));
        assert_eq!(lines[4]["code"], "rate-limited");
        assert_eq!(lines[4]["retryable"], "yes");
    }
}

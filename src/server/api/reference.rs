//! `GET /api/v1/reference`: the API reference for people, rendered on the server from the same
//! OpenAPI document as `/api/v1/openapi.json`, so the two never disagree. Plain HTML with the
//! console's stylesheet: no script, readable without JavaScript.

use crate::server::AppState;
use axum::extract::State;
use axum::response::Html;
use serde_json::Value;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A path that may wrap at its slashes on a phone, never inside a segment.
fn path_html(path: &str) -> String {
    esc(path).replace('/', "/<wbr>")
}

/// Inline code in descriptions (`like this`) as <code>.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(
                out,
                "<code class=\"rounded bg-slate-100 px-1 font-mono text-[0.85em]\">{part}</code>"
            );
        } else {
            out.push_str(part);
        }
    }
    out
}

/// A schema's type in a few words: `string`, `integer`, `RequestLog`, `array of Rejection`.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a class=\"text-indigo-700 underline\" href=\"#schema-{name}\">{name}</a>");
    }
    if let Some(all) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array) {
        return all.iter().map(type_of).collect::<Vec<_>>().join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!("array of {}", schema.get("items").map(type_of).unwrap_or_else(|| "any".into()))
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(|t| {
                if t == "array" {
                    format!("array of {}", schema.get("items").map(type_of).unwrap_or_default())
                } else {
                    t.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any JSON".into(),
    }
}

const TH: &str = "px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-600";
const PRE: &str = "mt-1 max-h-96 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100";
const TD: &str = "px-3 py-2 align-top text-sm text-slate-800";

fn render(doc: &Value) -> String {
    let mut h = String::new();
    let info = &doc["info"];
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>API reference · Switchboard</title><link rel=\"stylesheet\" href=\"/pkg/switchboard.css\"></head>\
         <body class=\"bg-slate-50 text-slate-900\"><main class=\"mx-auto max-w-5xl px-4 py-10 sm:px-6\">\
         <p class=\"text-sm\"><a class=\"text-indigo-700 underline\" href=\"/\">Switchboard console</a> · \
         <a class=\"text-indigo-700 underline\" href=\"/api/v1/openapi.json\">openapi.json</a> · \
         <a class=\"text-indigo-700 underline\" href=\"/settings/api-keys\">API keys</a></p>\
         <h1 class=\"mt-4 text-3xl font-bold\">{} <span class=\"text-base font-normal text-slate-600\">v{}</span></h1>\
         <p class=\"mt-3 max-w-3xl text-slate-700\">{}</p>",
        esc(info["title"].as_str().unwrap_or("API")),
        esc(info["version"].as_str().unwrap_or("")),
        prose(info["description"].as_str().unwrap_or("")),
    );
    if let Some(base) = doc["servers"][0]["url"].as_str() {
        let _ = write!(
            h,
            "<p class=\"mt-3 text-sm text-slate-700\">Base URL: <code data-testid=\"base-url\" class=\"rounded bg-slate-100 px-1 font-mono\">{}</code>. \
             The examples read the key from <code class=\"font-mono\">$SWITCHBOARD_READ_KEY</code>, \
             <code class=\"font-mono\">$SWITCHBOARD_BACKFILLS_KEY</code> or <code class=\"font-mono\">$SWITCHBOARD_INGEST_KEY</code>, \
             as the operation's key scope says.</p>",
            esc(base)
        );
    }
    // Contents.
    h.push_str("<nav aria-label=\"Endpoints\" class=\"mt-6 rounded-lg border border-slate-200 bg-white p-4\"><h2 class=\"text-sm font-semibold text-slate-700\">Endpoints</h2><ul class=\"mt-2 space-y-1 font-mono text-sm\">");
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for (method, _) in item.as_object().into_iter().flatten() {
            let anchor = format!("{method}-{}", path.replace(['/', '{', '}'], "_"));
            let _ = write!(
                h,
                "<li><a class=\"text-indigo-700 underline\" href=\"#{anchor}\">{} {}</a></li>",
                method.to_ascii_uppercase(),
                path_html(path)
            );
        }
    }
    h.push_str("</ul></nav>");
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let anchor = format!("{method}-{}", path.replace(['/', '{', '}'], "_"));
            let _ = write!(
                h,
                "<section id=\"{anchor}\" class=\"mt-8 rounded-lg border border-slate-200 bg-white p-4 sm:p-5\">\
                 <h2 class=\"font-mono text-base font-semibold sm:text-lg\"><span class=\"mr-2 rounded bg-slate-800 px-2 py-0.5 text-sm text-white\">{}</span>{}</h2>\
                 <p class=\"mt-2 text-slate-700\">{}</p>",
                method.to_ascii_uppercase(),
                path_html(path),
                prose(op["summary"].as_str().unwrap_or("")),
            );
            if let Some(d) = op["description"].as_str() {
                let _ = write!(h, "<p class=\"mt-1 text-sm text-slate-700\">{}</p>", prose(d));
            }
            if let Some(tags) = op["tags"].as_array() {
                let t: Vec<&str> = tags
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|t| if t == "read" { "read (or backfills)" } else { t })
                    .collect();
                let _ = write!(
                    h,
                    "<p class=\"mt-1 text-sm text-slate-600\">Key scope: {}</p>",
                    esc(&t.join(", "))
                );
            }
            if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
                let _ = write!(
                    h,
                    "<h3 class=\"mt-4 text-sm font-semibold\">Parameters</h3><div tabindex=\"0\" class=\"overflow-x-auto\"><table class=\"mt-1 min-w-full divide-y divide-slate-200\">\
                     <thead><tr><th scope=\"col\" class=\"{TH}\">Name</th><th scope=\"col\" class=\"{TH}\">In</th><th scope=\"col\" class=\"{TH}\">Type</th><th scope=\"col\" class=\"{TH}\">Description</th></tr></thead><tbody class=\"divide-y divide-slate-100\">"
                );
                for p in params {
                    let required = p["required"].as_bool().unwrap_or(false);
                    let _ = write!(
                        h,
                        "<tr><td class=\"{TD} font-mono\">{}{}</td><td class=\"{TD}\">{}</td><td class=\"{TD}\">{}</td><td class=\"{TD}\">{}</td></tr>",
                        esc(p["name"].as_str().unwrap_or("")),
                        if required { " <span class=\"text-xs text-red-700\">required</span>" } else { "" },
                        esc(p["in"].as_str().unwrap_or("")),
                        type_of(&p["schema"]),
                        prose(p["description"].as_str().unwrap_or("")),
                    );
                }
                h.push_str("</tbody></table></div>");
            }
            if let Some(body) = op["requestBody"]["content"]["application/json"]["schema"].as_object() {
                let _ = write!(
                    h,
                    "<h3 class=\"mt-4 text-sm font-semibold\">Body</h3><p class=\"text-sm\">{} {}</p>",
                    type_of(&Value::Object(body.clone())),
                    prose(op["requestBody"]["description"].as_str().unwrap_or("")),
                );
                if let Some(items) = body.get("properties").and_then(|p| p.get("items")) {
                    let _ = write!(
                        h,
                        "<p class=\"text-sm text-slate-700\"><code class=\"font-mono\">items</code>: {}</p>",
                        type_of(items)
                    );
                }
            }
            if let Some(curl) = op["x-codeSamples"][0]["source"].as_str() {
                let _ = write!(
                    h,
                    "<h3 class=\"mt-4 text-sm font-semibold\">Example</h3><pre tabindex=\"0\" data-testid=\"curl\" class=\"{PRE}\">{}</pre>",
                    esc(curl)
                );
            }
            let _ = write!(
                h,
                "<h3 class=\"mt-4 text-sm font-semibold\">Responses</h3><ul class=\"mt-1 space-y-1 text-sm\">"
            );
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                let schema = &r["content"]["application/json"]["schema"];
                let _ = write!(
                    h,
                    "<li><span class=\"font-mono font-semibold\">{}</span> {} {}</li>",
                    esc(status),
                    prose(r["description"].as_str().unwrap_or("")),
                    if schema.is_null() { String::new() } else { format!("· {}", type_of(schema)) },
                );
            }
            h.push_str("</ul>");
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                let example = &r["content"]["application/json"]["example"];
                if !example.is_null() {
                    let _ = write!(
                        h,
                        "<h3 class=\"mt-4 text-sm font-semibold\">Example response <span class=\"font-mono\">{}</span></h3><pre tabindex=\"0\" data-testid=\"example-response\" class=\"{PRE}\">{}</pre>",
                        esc(status),
                        esc(&serde_json::to_string_pretty(example).unwrap_or_default())
                    );
                }
            }
            h.push_str("</section>");
        }
    }
    h.push_str("<h2 class=\"mt-12 text-2xl font-bold\">Types</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        let _ = write!(
            h,
            "<section id=\"schema-{name}\" class=\"mt-6 rounded-lg border border-slate-200 bg-white p-5\"><h3 class=\"font-mono text-lg font-semibold\">{name}</h3>"
        );
        if let Some(d) = schema["description"].as_str() {
            let _ = write!(h, "<p class=\"mt-1 text-sm text-slate-700\">{}</p>", prose(d));
        }
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if let Some(props) = schema["properties"].as_object() {
            let _ = write!(
                h,
                "<div tabindex=\"0\" class=\"overflow-x-auto\"><table class=\"mt-2 min-w-full divide-y divide-slate-200\"><thead><tr><th scope=\"col\" class=\"{TH}\">Field</th><th scope=\"col\" class=\"{TH}\">Type</th><th scope=\"col\" class=\"{TH}\">Description</th></tr></thead><tbody class=\"divide-y divide-slate-100\">"
            );
            for (field, s) in props {
                let _ = write!(
                    h,
                    "<tr><td class=\"{TD} font-mono\">{}{}</td><td class=\"{TD}\">{}</td><td class=\"{TD}\">{}</td></tr>",
                    esc(field),
                    if required.contains(&field.as_str()) { " <span class=\"text-xs text-red-700\">required</span>" } else { "" },
                    type_of(s),
                    prose(s["description"].as_str().unwrap_or("")),
                );
            }
            h.push_str("</tbody></table></div>");
        }
        h.push_str("</section>");
    }
    h.push_str("</main></body></html>");
    h
}

pub async fn page(State(state): State<AppState>) -> Html<String> {
    Html(render(&super::document(&state)))
}

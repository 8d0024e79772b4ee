//! The organization's audit log at `/settings/audit`: who did what and when (configuration
//! saves, restores and applies, API keys, backfills, staff access), for owners and admins.
//! Filters are in the URL and the form is a GET, so it works without JavaScript.

use super::ui::{format_time_utc, Card, ErrorNotice, FilterPanel, Loading, PageHeader, Pager};
use crate::domain::AuditAction;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditItem {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: AuditAction,
    pub target: String,
    pub ip: Option<String>,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub items: Vec<AuditItem>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;

#[server(input = GetUrl, endpoint = "audit_log")]
pub async fn audit_log(
    #[server(default)] action: String,
    #[server(default)] actor: String,
    #[server(default)] before: String,
    #[server(default)] after: String,
) -> Result<AuditView, AppError> {
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let page =
        crate::server::audit::log_page(&state, &viewer, &action, &actor, &before, &after, PAGE_SIZE).await?;
    let (rows, newer, older) = (page.rows, page.newer, page.older);
    let (action, actor) = (page.action.map(|a| a.as_str().to_string()).unwrap_or_default(), page.actor);
    let filters: String = [("action", &action), ("actor", &actor)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", crate::url::encode_component(v)))
        .collect();
    Ok(AuditView {
        items: rows
            .into_iter()
            .map(|r| AuditItem {
                id: r.id,
                at: r.created_at,
                actor: r.actor_email,
                action: r.action,
                target: format!("{} {}", r.target_type, r.target_id),
                ip: r.ip,
                details: r.details,
            })
            .collect(),
        newer: newer.map(|c| format!("/settings/audit?{filters}after={c}")),
        older: older.map(|c| format!("/settings/audit?{filters}before={c}")),
    })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let g = |k: &str| q.get(k).unwrap_or_default();
            (g("action"), g("actor"), g("before"), g("after"))
        })
    };
    let data = Resource::new(args, |(a, p, b, af)| audit_log(a, p, b, af));
    let (action, actor) =
        query.with_untracked(|q| (q.get("action").unwrap_or_default(), q.get("actor").unwrap_or_default()));
    view! {
        <PageHeader title="Audit log" subtitle="Every change to configuration, keys and backfills in this organization, and every look by Switchboard staff, newest first." />
        <FilterPanel active=[&action, &actor].iter().filter(|v| !v.is_empty()).count()>
            <form method="get" action="/settings/audit" class="flex flex-wrap items-end gap-4 text-sm" aria-label="Filter the audit log">
                <label class="flex flex-col text-slate-700">"Action"
                    <select name="action" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5">
                        <option value="" selected=action.is_empty()>"All actions"</option>
                        {AuditAction::ALL.iter().map(|a| view! { <option value=a.as_str() selected=a.as_str() == action>{a.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="flex flex-col text-slate-700">"Person (email)"
                    <input name="actor" type="email" value=actor.clone() placeholder="name@example.com" class="mt-1 w-64 rounded-md border border-slate-300 px-2 py-1.5" />
                </label>
                <button class="rounded-md bg-indigo-600 px-4 py-1.5 font-semibold text-white hover:bg-indigo-500">"Filter"</button>
                <a href="/settings/audit" class="py-1.5 text-indigo-700 underline">"Clear"</a>
            </form>
        </FilterPanel>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(v) if v.items.is_empty() => view! { <Card class="p-6"><p class="text-sm text-slate-700" data-testid="audit-empty">"No audit entries match these filters."</p></Card> }.into_any(),
                    Ok(v) => view! {
                        <Card>
                            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Audit entries">
                                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="audit-table">
                                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                                        <tr><th class="px-4 py-2">"When (UTC)"</th><th class="px-4 py-2">"Who"</th><th class="px-4 py-2">"Action"</th><th class="px-4 py-2">"On"</th><th class="px-4 py-2">"Details"</th></tr>
                                    </thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {v.items.into_iter().map(|i| view! {
                                            <tr class="align-top">
                                                <td class="whitespace-nowrap px-4 py-2 text-xs">{format_time_utc(i.at)}</td>
                                                <td class="px-4 py-2 text-xs">{i.actor.clone()}{i.ip.clone().map(|ip| view! { <span class="block text-slate-600">{ip}</span> })}</td>
                                                <td class="px-4 py-2 font-mono text-xs">{i.action.as_str()}</td>
                                                <td class="px-4 py-2 font-mono text-xs">{i.target.clone()}</td>
                                                <td class="max-w-md px-4 py-2 text-xs text-slate-700">
                                                    <dl data-testid="audit-details">
                                                        {detail_lines(&i.details).into_iter().map(|(k, v)| view! {
                                                            <div><dt class="inline font-medium text-slate-600">{k}": "</dt><dd class=if v.contains(' ') { "inline wrap-break-word font-mono" } else { "inline whitespace-nowrap font-mono" }>{v.clone()}</dd></div>
                                                        }).collect_view()}
                                                    </dl>
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager newer=v.newer.clone() older=v.older.clone() />
                        </Card>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// An entry's details as lines a person reads: `reason: Orders missing`, `objects: invoices,
/// bills`, times in UTC (the JSON keeps milliseconds). Anything that is not an object is shown
/// as it is.
fn detail_lines(details: &str) -> Vec<(String, String)> {
    use serde_json::Value;
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(details) else {
        return if details.trim().is_empty() || details.trim() == "{}" {
            vec![]
        } else {
            vec![("details".into(), details.to_string())]
        };
    };
    let text = |k: &str, v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => "—".into(),
            // Milliseconds since the epoch under a time's name.
            Value::Number(n)
                if (k.ends_with("_at")
                    || k.ends_with("_from")
                    || k.ends_with("_to")
                    || k.ends_with("_until"))
                    && n.as_i64().is_some_and(|ms| ms > 1_000_000_000_000) =>
            {
                format_time_utc(n.as_i64().unwrap_or_default())
            }
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    };
    map.iter().map(|(k, v)| (k.replace('_', " "), text(k, v))).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn details_read_as_lines_with_times_in_utc() {
        let lines = super::detail_lines(
            r#"{"objects":["invoices","bills"],"range_from":1794075851423,"reason":"Orders missing","scope":"read"}"#,
        );
        assert_eq!(
            lines,
            vec![
                ("objects".to_string(), "invoices, bills".to_string()),
                ("range from".to_string(), "2026-11-07 18:24:11 UTC".to_string()),
                ("reason".to_string(), "Orders missing".to_string()),
                ("scope".to_string(), "read".to_string()),
            ]
        );
        assert!(super::detail_lines("{}").is_empty());
        assert_eq!(super::detail_lines("not json")[0].1, "not json");
    }
}

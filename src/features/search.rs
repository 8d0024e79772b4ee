//! Where the global search box lands when the input is not an ID it can open.

use super::ui::{Card, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SearchHelpPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q")).unwrap_or_default();
    view! {
        <PageHeader title="Search" />
        <Card class="p-6">
            <p role="alert" data-testid="search-message" class="text-slate-800">
                {move || {
                    let q = q();
                    if q.trim().is_empty() {
                        "Type or paste an ID into the search box.".to_string()
                    } else {
                        format!("\u{201c}{}\u{201d} is not a request ID or a connection ID.", q.trim())
                    }
                }}
            </p>
            <p class="mt-3 text-sm text-slate-600">
                "The search box opens a request from its ID (it starts with " <code class="font-mono">"req_"</code>
                " and is returned in the " <code class="font-mono">"X-Request-ID"</code> " response header) or a connection from its ID (it starts with "
                <code class="font-mono">"conn_"</code> "). Surrounding spaces and quotes are ignored."
            </p>
        </Card>
    }
}

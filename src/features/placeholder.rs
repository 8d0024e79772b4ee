//! Sections whose full views come in later issues. Each says so plainly instead of showing
//! anything invented; the Errors page is already real: the catalog of normalized error codes.

use super::ui::{Card, PageHeader};
use crate::domain::ERROR_CODES;
use leptos::prelude::*;

#[component]
fn ComingSoon(#[prop(into)] title: String, #[prop(into)] what: String) -> impl IntoView {
    view! {
        <PageHeader title=title />
        <Card class="p-8">
            <p class="text-sm font-semibold text-indigo-600">"Coming soon"</p>
            <p class="mt-2 max-w-2xl text-slate-700">{what}</p>
        </Card>
    }
}

#[component]
pub fn WebhooksSoon() -> impl IntoView {
    view! { <ComingSoon title="Webhooks" what="Endpoint configuration, signing secrets, and the webhook log with every delivery attempt and a resend button." /> }
}

/// The normalized error codes, what each means and what to do next.
#[component]
pub fn ErrorsPage() -> impl IntoView {
    view! {
        <PageHeader title="Errors" subtitle="Normalized error codes of the unified API. The raw platform error is always shown beside the code, because the mapping is a classification that can be wrong." />
        <Card>
            <ul class="divide-y divide-slate-100" data-testid="error-codes">
                {ERROR_CODES.iter().map(|e| view! {
                    <li class="px-5 py-4" id=e.code>
                        <div class="flex flex-wrap items-center gap-2">
                            <code class="rounded bg-slate-100 px-2 py-0.5 font-mono text-sm font-medium text-slate-900">{e.code}</code>
                            <span class="text-xs font-medium text-slate-500">{format!("HTTP {}", e.status)}</span>
                            <span class="text-sm font-medium text-slate-900">{e.title}</span>
                        </div>
                        <p class="mt-1 text-sm text-slate-600">{e.meaning}</p>
                        <p class="mt-1 text-sm text-slate-800"><span class="font-medium">"Next step: "</span>{e.next_step}</p>
                    </li>
                }).collect_view()}
            </ul>
        </Card>
    }
}

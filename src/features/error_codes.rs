//! The error code reference (`/errors/codes`): the catalog of normalized error codes.

use super::ui::{Card, PageHeader};
use crate::domain::ERROR_CODES;
use leptos::prelude::*;

/// The normalized error codes, what each means and what to do next.
#[component]
pub fn ErrorCodesPage() -> impl IntoView {
    view! {
        <PageHeader title="Error codes" subtitle="Normalized error codes of the unified API. The raw platform error is always shown beside the code, because the mapping is a classification that can be wrong." />
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

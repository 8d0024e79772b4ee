//! The document shell and the route table.

use crate::features::{api_keys, connections, overview, placeholder, requests, search, shell, sign_in, ui};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.ico" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/switchboard.css" />
        <Title formatter=|text: String| {
            if text.is_empty() { "Switchboard".to_string() } else { format!("{text} · Switchboard") }
        } />
        <Router>
            <Routes fallback=ui::NotFound>
                <Route path=path!("/sign-in") view=sign_in::SignInPage />
                <ParentRoute path=path!("") view=shell::AppShell>
                    <Route path=path!("") view=overview::OverviewPage />
                    <Route path=path!("requests") view=requests::list::RequestLogsPage />
                    <Route path=path!("requests/:id") view=requests::detail::RequestLogPage ssr=SsrMode::Async />
                    <Route path=path!("connections") view=connections::ConnectionsPage />
                    // Detail pages wait for their data before answering, so a missing ID is a real 404.
                    <Route path=path!("connections/:id") view=connections::ConnectionPage ssr=SsrMode::Async />
                    <Route path=path!("sync-configuration") view=placeholder::SyncConfigSoon />
                    <Route path=path!("webhooks") view=placeholder::WebhooksSoon />
                    <Route path=path!("errors") view=placeholder::ErrorsPage />
                    <Route path=path!("settings/api-keys") view=api_keys::ApiKeysPage />
                    <Route path=path!("search/help") view=search::SearchHelpPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

//! The document shell and the route table.

use crate::features::{
    api_keys, audit, backfills, connections, error_codes, failures, issues, notifications, overview,
    requests, retention, search, shell, sign_in, sync_config, ui, webhooks,
};
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
            // Every page renders completely on the server before it is sent (SsrMode::Async):
            // pages then work without JavaScript (out-of-order streaming needs a script to put
            // each piece in place), and a missing ID answers with a real 404 status.
            <Routes fallback=ui::NotFound>
                <Route path=path!("/sign-in") view=sign_in::SignInPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=shell::AppShell ssr=SsrMode::Async>
                    <Route path=path!("") view=overview::OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("issues") view=issues::IssuesPage ssr=SsrMode::Async />
                    <Route path=path!("issues/:id") view=issues::IssuePage ssr=SsrMode::Async />
                    <Route path=path!("requests") view=requests::list::RequestLogsPage ssr=SsrMode::Async />
                    <Route path=path!("requests/:id") view=requests::detail::RequestLogPage ssr=SsrMode::Async />
                    <Route path=path!("connections") view=connections::ConnectionsPage ssr=SsrMode::Async />
                    <Route path=path!("connections/:id") view=connections::ConnectionPage ssr=SsrMode::Async />
                    <Route path=path!("backfills") view=backfills::BackfillsPage ssr=SsrMode::Async />
                    <Route path=path!("backfills/new") view=backfills::new::NewBackfillPage ssr=SsrMode::Async />
                    <Route path=path!("backfills/:id") view=backfills::detail::BackfillPage ssr=SsrMode::Async />
                    <Route path=path!("sync-runs") view=connections::environment_runs::EnvironmentRunsPage ssr=SsrMode::Async />
                    <Route path=path!("sync-runs/:id") view=connections::sync_runs::SyncRunPage ssr=SsrMode::Async />
                    <Route path=path!("sync-configuration") view=sync_config::SyncConfigPage ssr=SsrMode::Async />
                    <Route path=path!("sync-configuration/:type/edit") view=sync_config::edit::EditSyncConfigPage ssr=SsrMode::Async />
                    <Route path=path!("sync-configuration/:type/versions") view=sync_config::history::SyncConfigHistoryPage ssr=SsrMode::Async />
                    <Route path=path!("sync-configuration/:type/versions/:version") view=sync_config::history::SyncConfigVersionPage ssr=SsrMode::Async />
                    <Route path=path!("sync-configuration/:type/apply") view=sync_config::apply::ApplySyncConfigPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks") view=webhooks::WebhooksPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/new") view=webhooks::form::NewEndpointPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/deliveries") view=webhooks::deliveries::DeliveryLogPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/deliveries/:id") view=webhooks::deliveries::DeliveryPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/:id") view=webhooks::endpoint::EndpointPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/:id/edit") view=webhooks::form::EditEndpointPage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/:id/recover") view=webhooks::recover::RecoverPage ssr=SsrMode::Async />
                    <Route path=path!("errors") view=failures::FailuresPage ssr=SsrMode::Async />
                    <Route path=path!("errors/codes") view=error_codes::ErrorCodesPage ssr=SsrMode::Async />
                    <Route path=path!("settings/api-keys") view=api_keys::ApiKeysPage ssr=SsrMode::Async />
                    <Route path=path!("settings/notifications") view=notifications::NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("settings/retention") view=retention::RetentionPage ssr=SsrMode::Async />
                    <Route path=path!("settings/audit") view=audit::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("search/help") view=search::SearchHelpPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

//! The application frame: sidebar navigation, organization and environment switcher, global
//! search, user menu. Every form here is a plain HTML form, so the frame works before the
//! WebAssembly has loaded and with JavaScript off.

use super::session::{get_viewer, ViewerInfo};
use super::ui::ErrorNotice;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;

const NAV: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/issues", "Issues"),
    ("/requests", "Request Logs"),
    ("/connections", "Connections"),
    ("/sync-runs", "Sync Runs"),
    ("/backfills", "Backfills"),
    ("/sync-configuration", "Sync Configuration"),
    ("/webhooks", "Webhooks"),
    ("/errors", "Errors"),
];

#[component]
pub fn AppShell() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    let location = use_location();
    let here = Signal::derive(move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{}", location.pathname.get(), search)
        }
    });

    view! {
        <div class="min-h-full md:flex">
            <aside class="hidden w-60 shrink-0 flex-col border-r border-slate-200 bg-slate-900 text-slate-200 md:flex">
                <a href="/" class="flex items-center gap-2 px-5 py-5 text-lg font-semibold text-white">
                    <span class="inline-flex h-7 w-7 items-center justify-center rounded-md bg-indigo-500 text-sm font-bold">"S"</span>
                    "Switchboard"
                </a>
                <nav aria-label="Main" class="flex-1 space-y-1 px-3">
                    {NAV.iter().map(|(href, label)| view! { <NavLink href=*href label=*label class=SIDEBAR_LINK /> }).collect_view()}
                    <p class="px-3 pt-6 pb-1 text-xs font-semibold uppercase tracking-wider text-slate-400">"Settings"</p>
                    <NavLink href="/settings/api-keys" label="API keys" class=SIDEBAR_LINK />
                    <NavLink href="/settings/notifications" label="Notifications" class=SIDEBAR_LINK />
                    <NavLink href="/settings/retention" label="Data retention" class=SIDEBAR_LINK />
                    <NavLink href="/settings/audit" label="Audit log" class=SIDEBAR_LINK />
                </nav>
                <p class="px-5 py-4 text-xs text-slate-400">"Unified API operations console"</p>
            </aside>
            <div class="flex min-w-0 flex-1 flex-col">
                <header class="border-b border-slate-200 bg-white">
                    <div class="flex flex-wrap items-center gap-3 px-4 py-3 md:px-6">
                        <PhoneMenu />
                        <a href="/" class="font-semibold text-slate-900 md:hidden">"Switchboard"</a>
                        <form method="get" action="/search" role="search" class="order-last flex w-full min-w-0 flex-1 md:order-none md:w-auto">
                            <label for="global-search" class="sr-only">"Find a request or connection by ID"</label>
                            <input
                                id="global-search"
                                name="q"
                                autocomplete="off"
                                spellcheck="false"
                                placeholder="Paste a request ID (req_…) or connection ID (conn_…)"
                                class="w-full rounded-l-md border border-slate-300 px-3 py-1.5 font-mono text-sm placeholder:font-sans focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500"
                            />
                            <button class="rounded-r-md border border-l-0 border-slate-300 bg-slate-50 px-3 text-sm font-medium text-slate-700 hover:bg-slate-100">"Find"</button>
                        </form>
                        <Suspense fallback=|| view! { <span class="text-sm text-slate-400">"…"</span> }>
                            {move || Suspend::new(async move {
                                match viewer.await {
                                    Ok(v) => view! { <ContextSwitcher viewer=v.clone() here /> <UserMenu viewer=v /> }.into_any(),
                                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                                }
                            })}
                        </Suspense>
                    </div>
                </header>
                <main class="mx-auto w-full max-w-7xl flex-1 px-4 py-6 md:px-8">
                    // A page that fails to render shows what went wrong here, inside the frame,
                    // instead of taking the whole console down.
                    <ErrorBoundary fallback=|errors| view! {
                        <div role="alert" class="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-800">
                            <p class="font-medium">"This page could not be shown."</p>
                            <ul class="mt-2 list-disc pl-5">
                                {move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}
                            </ul>
                            <p class="mt-2"><a class="font-medium underline" href="/">"Back to the overview"</a></p>
                        </div>
                    }>
                        <Outlet />
                    </ErrorBoundary>
                </main>
            </div>
        </div>
    }
}

const SIDEBAR_LINK: &str = "block rounded-md px-3 py-2 text-sm font-medium text-slate-300 hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-800 aria-[current=page]:text-white";
const COMPACT_LINK: &str = "block rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100 aria-[current=page]:bg-slate-100 aria-[current=page]:font-medium aria-[current=page]:text-slate-900";

/// The navigation on a phone: a menu button (a `<details>` element, so it opens without
/// JavaScript) instead of a strip of links cut off at the screen's edge. After hydration a
/// client-side navigation closes it, as a full page load does.
#[component]
fn PhoneMenu() -> impl IntoView {
    let menu = NodeRef::<leptos::html::Details>::new();
    let location = use_location();
    // Only on a change of page: not when the page hydrates, which may come after a first tap
    // opened the menu.
    Effect::watch(
        move || location.pathname.get(),
        move |_, _, _| {
            if let Some(menu) = menu.get_untracked() {
                let _ = menu.remove_attribute("open");
            }
        },
        false,
    );
    view! {
        <details node_ref=menu class="relative md:hidden" data-testid="phone-menu">
            <summary class="flex cursor-pointer list-none items-center gap-1.5 rounded-md border border-slate-300 px-2.5 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">
                <svg aria-hidden="true" viewBox="0 0 20 20" class="h-4 w-4" fill="none" stroke="currentColor" stroke-width="2">
                    <path d="M3 5h14M3 10h14M3 15h14" />
                </svg>
                "Menu"
            </summary>
            <nav aria-label="Main (compact)" class="absolute left-0 z-30 mt-2 w-64 space-y-0.5 rounded-md border border-slate-200 bg-white p-2 shadow-lg">
                {NAV.iter().map(|(href, label)| view! { <NavLink href=*href label=*label class=COMPACT_LINK /> }).collect_view()}
                <p class="px-3 pt-3 pb-1 text-xs font-semibold uppercase tracking-wider text-slate-500">"Settings"</p>
                <NavLink href="/settings/api-keys" label="API keys" class=COMPACT_LINK />
                <NavLink href="/settings/notifications" label="Notifications" class=COMPACT_LINK />
                <NavLink href="/settings/retention" label="Data retention" class=COMPACT_LINK />
                <NavLink href="/settings/audit" label="Audit log" class=COMPACT_LINK />
            </nav>
        </details>
    }
}

/// A navigation link; the router marks the current one with `aria-current="page"`.
#[component]
fn NavLink(href: &'static str, label: &'static str, class: &'static str) -> impl IntoView {
    view! {
        <A href=href exact=href == "/" attr:class=class>
            {label}
        </A>
    }
}

/// Organization and environment picker. A plain form posting to /auth/switch: the server checks
/// membership (or staff) and records staff switches in the audit log.
#[component]
fn ContextSwitcher(viewer: ViewerInfo, here: Signal<String>) -> impl IntoView {
    let current_org = viewer.organization.id.clone();
    let env = viewer.environment.clone();
    let production = env == "production";
    view! {
        <form method="post" action="/auth/switch" class="flex items-center gap-2" aria-label="Organization and environment">
            <input type="hidden" name="next" value=move || here.get() />
            <label for="switch-org" class="sr-only">"Organization"</label>
            <select id="switch-org" name="organization_id" class="min-w-0 max-w-[7rem] sm:max-w-[12rem] rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8 text-sm">
                {viewer.organizations.into_iter().map(|o| {
                    let selected = o.id == current_org;
                    view! { <option value=o.id selected=selected>{o.name}</option> }
                }).collect_view()}
            </select>
            <label for="switch-env" class="sr-only">"Environment"</label>
            <select id="switch-env" name="environment" class="rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8 text-sm">
                <option value="production" selected=production>"Production"</option>
                <option value="sandbox" selected=!production>"Sandbox"</option>
            </select>
            <button class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">"Switch"</button>
            <span
                data-testid="current-environment"
                class=if production { "hidden rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 sm:inline" } else { "hidden rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800 sm:inline" }
            >
                {if production { "Production" } else { "Sandbox" }}
            </span>
        </form>
    }
}

/// The user menu: a <details> element, so it opens without JavaScript.
#[component]
fn UserMenu(viewer: ViewerInfo) -> impl IntoView {
    let initial = viewer.email.chars().next().unwrap_or('?').to_ascii_uppercase();
    view! {
        <details class="relative">
            <summary class="flex cursor-pointer list-none items-center gap-2 rounded-md px-2 py-1 text-sm hover:bg-slate-100">
                <span class="sr-only">"User menu"</span>
                <span aria-hidden="true" class="inline-flex h-7 w-7 items-center justify-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-700">{initial.to_string()}</span>
                <span class="hidden text-slate-700 lg:inline" data-testid="user-email">{viewer.email.clone()}</span>
            </summary>
            <div class="absolute right-0 z-20 mt-2 w-64 rounded-md border border-slate-200 bg-white p-3 text-sm shadow-lg">
                <p class="font-medium text-slate-900">{viewer.name.clone()}</p>
                <p class="truncate text-slate-500">{viewer.email.clone()}</p>
                <p class="mt-1 text-xs text-slate-600">
                    {viewer.organization.name.clone()} " · " <span data-testid="user-role">{viewer.role_label.clone()}</span>
                </p>
                {viewer.is_staff.then(|| view! {
                    // Staff reach any organization by slug or ID; the picker lists only the first
                    // ones by name, so it stays small however many customers there are.
                    <form method="post" action="/auth/switch" class="mt-3 border-t border-slate-100 pt-3" aria-label="Open an organization">
                        <input type="hidden" name="environment" value=viewer.environment.clone() />
                        <input type="hidden" name="next" value="/" />
                        <label for="open-org" class="block text-xs font-medium text-slate-700">"Open organization (slug or ID)"</label>
                        <div class="mt-1 flex gap-2">
                            <input id="open-org" name="organization_id" required class="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-sm" placeholder="acme" />
                            <button class="rounded-md border border-slate-300 px-2 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50">"Open"</button>
                        </div>
                        <p class="mt-1 text-xs text-slate-600">"Every look into a customer's organization is recorded in its audit log."</p>
                    </form>
                })}
                <form method="post" action="/auth/sign-out" class="mt-3 border-t border-slate-100 pt-3">
                    <button class="w-full rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700">"Sign out"</button>
                </form>
            </div>
        </details>
    }
}

//! The sign-in page. The form posts to /auth/sign-in (a plain axum handler), which answers with
//! a redirect either way, so it behaves the same with and without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn error_message(code: &str, retry_minutes: Option<String>) -> Option<String> {
    Some(match code {
        "invalid" => "Incorrect email or password.".to_string(),
        "missing" => "Enter your email and password.".to_string(),
        "rate_limited" => format!(
            "Too many failed sign-in attempts. Try again in {}.",
            match retry_minutes.as_deref().unwrap_or("15") {
                "1" => "1 minute".to_string(),
                n => format!("{n} minutes"),
            }
        ),
        "unavailable" => "Sign-in is unavailable right now. Try again shortly.".to_string(),
        _ => return None,
    })
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &str| query.with(|m| m.get(k));
    let error = move || q("error").and_then(|e| error_message(&e, q("retry_minutes")));
    let signed_out = move || q("signed_out").is_some();
    view! {
        <Title text="Sign in" />
        <main class="flex min-h-full items-center justify-center bg-slate-900 px-4 py-12">
            <div class="w-full max-w-sm">
                <div class="mb-8 flex items-center justify-center gap-2 text-xl font-semibold text-white">
                    <span class="inline-flex h-8 w-8 items-center justify-center rounded-md bg-indigo-500 font-bold">"S"</span>
                    "Switchboard"
                </div>
                <div class="rounded-lg bg-white p-6 shadow-xl">
                    <h1 class="text-lg font-semibold text-slate-900">"Sign in to the console"</h1>
                    {move || signed_out().then(|| view! {
                        <p role="status" class="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">"You have been signed out."</p>
                    })}
                    {move || error().map(|e| view! {
                        <p role="alert" data-testid="sign-in-error" class="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">{e}</p>
                    })}
                    <form method="post" action="/auth/sign-in" class="mt-4 space-y-4">
                        <input type="hidden" name="next" value=move || q("next").unwrap_or_else(|| "/".into()) />
                        <div>
                            <label for="email" class="block text-sm font-medium text-slate-700">"Email"</label>
                            <input id="email" name="email" type="email" autocomplete="username" required
                                value=move || q("email").unwrap_or_default()
                                class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500" />
                        </div>
                        <div>
                            <label for="password" class="block text-sm font-medium text-slate-700">"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="current-password" required
                                class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500" />
                        </div>
                        <button type="submit" class="w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Sign in"</button>
                    </form>
                </div>
            </div>
        </main>
    }
}

//! Switchboard: the operations console of a unified API.
//!
//! The crate builds twice: with `ssr` as the server (axum + sqlx) and with `hydrate` as the
//! WebAssembly front-end. `features/` holds one module per product feature (its wire types,
//! server functions and components); `server/` holds what only the server has.

// Leptos views are nested generic types; the larger forms (the configuration editor) need a
// deeper type-layout query than the default 128 in the optimized WebAssembly build.
#![recursion_limit = "256"]

pub mod app;
#[cfg(feature = "ssr")]
pub mod classify;
pub mod domain;
pub mod error;
pub mod features;
pub mod ids;
pub mod platform_data;
#[cfg(feature = "ssr")]
pub mod server;
pub mod url;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Says the page's handlers are attached: browser tests wait for it before clicking a button
    // whose form would otherwise be submitted natively in the middle of hydration.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

# The variables cargo-leptos sets for its release server build (some are read at compile time).
# Sourced by the test and benchmark scripts so `cargo test --release` and `cargo build --release`
# reuse that build's crates instead of compiling the server a second time.
export LEPTOS_OUTPUT_NAME=switchboard LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=. LEPTOS_BIN_DIR=. \
  LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false

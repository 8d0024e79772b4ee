#!/usr/bin/env bash
# Installs what building and testing Switchboard needs, skipping every step that is already
# satisfied, so it is quick on a machine that has run it before. Source it (it exports PATH):
#   source scripts/bootstrap.sh
# The installing runs in a child shell with `set -euo pipefail`, so any failed step stops it.
# Steps: Debian packages (Chromium, PostgreSQL, and the WASM fallback toolchain when needed),
# the wasm32 standard library (rustup target, or Debian's rustc-web with build-std),
# cargo-leptos and wasm-bindgen-cli at pinned versions, and the npm tools (Tailwind, wasm-opt,
# Playwright).

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130

_sb_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_sb_log() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*" >&2; }

_sb_sudo() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

_sb_apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    _sb_log "installing Debian packages: ${missing[*]}"
    if [[ ! -f /tmp/.sb-apt-updated ]]; then
      _sb_sudo apt-get update -q >/dev/null && touch /tmp/.sb-apt-updated
    fi
    _sb_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

_sb_install() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
    echo "Rust (rustup, cargo) is required: see https://rustup.rs" >&2
    return 1
  fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    _sb_apt_install nodejs npm
  fi
  _sb_apt_install chromium postgresql ca-certificates curl python3 python3-venv

  # 1. The wasm32 standard library.
  local libdir
  libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
  if ! ls "$libdir"/libcore-*.rlib >/dev/null 2>&1 && [[ ! -f "$HOME/.cache/switchboard-no-rustup-wasm" ]]; then
    _sb_log "adding the wasm32-unknown-unknown target with rustup"
    timeout 180 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
    libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
    if ! ls "$libdir"/libcore-*.rlib >/dev/null 2>&1; then
      # Remember, so later runs go straight to the fallback instead of waiting on rustup again.
      mkdir -p "$HOME/.cache" && touch "$HOME/.cache/switchboard-no-rustup-wasm"
    fi
  fi
  if ! ls "$libdir"/libcore-*.rlib >/dev/null 2>&1; then
    # rustup cannot provide it here: build std from source with Debian's toolchain, through a
    # cargo shim that only takes the wasm32 build (scripts/wasm-cargo/cargo).
    _sb_apt_install rustc-web cargo-web rust-web-src lld-19
  fi

  # 2. cargo-leptos, pinned. Its lock file needs rustc >= 1.96: use Debian's when rustup's is older.
  if [[ "$(cargo leptos --version 2>/dev/null)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
    _sb_log "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes about 20 minutes on 2 cores)"
    local rustc_minor
    rustc_minor=$(rustc --version | sed -E 's/rustc 1\.([0-9]+).*/\1/')
    if (( rustc_minor < 96 )); then
      _sb_apt_install rustc-web cargo-web
      RUSTC=/usr/bin/rustc /usr/bin/cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --root "$HOME/.cargo"
    else
      cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
    fi
  fi

  # 3. wasm-bindgen CLI, equal to the wasm-bindgen crate pinned in Cargo.toml. Not --locked: its
  # lock file pins a crate version the registry may lack.
  if [[ "$(wasm-bindgen --version 2>/dev/null)" != *"$WASM_BINDGEN_VERSION"* ]]; then
    _sb_log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi

  # 4. npm tools: Tailwind, wasm-opt (binaryen), Playwright (using Debian's Chromium). Versions
  # are exact in package.json. `npm install --no-save` rather than `npm ci`: npm's lock file
  # omits other platforms' optional packages (Tailwind's oxide builds), which makes `npm ci`
  # refuse it.
  local stamp="$_sb_root/node_modules/.sb-package-hash" want
  want=$(cat "$_sb_root/package.json" "$_sb_root/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    _sb_log "installing npm packages"
    (cd "$_sb_root" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-save --no-audit --no-fund >/dev/null)
    echo "$want" > "$stamp"
  fi

  # 5. schemathesis (PyPI), pinned, in a virtual environment of the checkout: the property-based
  # fuzzer the test command runs against the HTTP API (scripts/api-fuzz.sh).
  local venv="$_sb_root/.tools/schemathesis" req="$_sb_root/scripts/api-fuzz-requirements.txt"
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ ! -f "$venv/.sb-hash" || "$(cat "$venv/.sb-hash")" != "$want" ]]; then
    _sb_log "installing schemathesis"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$venv/.sb-hash"
  fi
}

if [[ "${1:-}" == "--install" ]]; then
  set -euo pipefail
  _sb_install
  exit 0
fi

bash "${BASH_SOURCE[0]}" --install || { echo "bootstrap failed" >&2; return 1 2>/dev/null || exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
_sb_libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
if ls "$_sb_libdir"/libcore-*.rlib >/dev/null 2>&1; then
  export SWITCHBOARD_WASM_ROUTE=rustup
else
  export PATH="$_sb_root/scripts/wasm-cargo:$PATH"
  export SWITCHBOARD_WASM_ROUTE=debian
fi
export PATH="$_sb_root/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

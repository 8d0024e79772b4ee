#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust unit and integration tests against SQLite and
# PostgreSQL, then the Playwright suite against a release build with JavaScript on and off.
# Uses TEST_DATABASE_URL (an admin URL of a PostgreSQL server) when set; otherwise starts a
# throwaway PostgreSQL cluster and stops it afterwards. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

work=$(mktemp -d /tmp/switchboard-test.XXXXXX)
chmod 755 "$work"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n "${sinks_pid:-}" ]] && kill "$sinks_pid" 2>/dev/null || true
  [[ -n "${own_pg:-}" ]] && scripts/pg-throwaway.sh stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
  echo "== starting a throwaway PostgreSQL"
  TEST_DATABASE_URL=$(scripts/pg-throwaway.sh start "$work/pg")
  own_pg=1
fi
export TEST_DATABASE_URL
# The integration tests fail instead of skipping PostgreSQL when this is set.
export SWITCHBOARD_REQUIRE_POSTGRES=1

echo "== rustfmt and clippy"
cargo fmt --check
cargo clippy --features ssr --all-targets -- -D warnings

echo "== release build"
cargo leptos build --release

echo "== Rust tests (SQLite and PostgreSQL)"
# The same profile and the same LEPTOS_* variables cargo-leptos sets for its server build, so the
# tests reuse every crate that build compiled, and the server binary they build is the one the
# browser tests below run.
source scripts/leptos-env.sh
cargo test --release --features ssr

echo "== API fuzzing (schemathesis against the live server)"
bash scripts/api-fuzz.sh

echo "== Playwright (JavaScript on and off)"
db="$work/e2e.db"
target/release/switchboard --database-url "sqlite:$db" seed-demo
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
# A local mail server and Slack receiver for the alert tests (end2end/sinks.mjs).
smtp_port=$(free_port)
sink_port=$(free_port)
node end2end/sinks.mjs "$smtp_port" "$sink_port" >"$work/sinks.log" 2>&1 &
sinks_pid=$!
SWITCHBOARD_SMTP_URL="smtp://127.0.0.1:$smtp_port" SWITCHBOARD_SMTP_FROM="Switchboard <alerts@switchboard.test>" \
  SWITCHBOARD_SANDBOX_PAGE_DELAY_MS=100 SWITCHBOARD_SANDBOX_FAILURES=false target/release/switchboard --database-url "sqlite:$db" serve --addr "127.0.0.1:$port" \
  --allow-private-webhook-urls true >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
set +e
BASE_URL="http://127.0.0.1:$port" SINK_URL="http://127.0.0.1:$sink_port" PW_JSON="$work/playwright.json" \
  npx playwright test -c end2end/playwright.config.ts
status=$?
set -e
# The plain closing line CI reads.
node -e '
  let passed = 0, failed = 1, skipped = 0;
  try {
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    passed = r.stats.expected + r.stats.flaky; failed = r.stats.unexpected; skipped = r.stats.skipped;
  } catch (e) {}
  console.log(`browser: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$work/playwright.json"
if [[ $status != 0 ]]; then
  echo "--- server log (tail)"; tail -50 "$work/server.log"
  exit $status
fi

#!/usr/bin/env bash
# Webhook delivery benchmark: sustained deliveries per second to a local receiver that answers
# 200 at once, the time from an event being recorded to its first attempt (p50/p95), and the
# delivery log's first page with 1,000,000 deliveries, on SQLite and PostgreSQL. Fresh databases
# each time (under target/bench-webhooks). Not part of the test suite.
# Usage: scripts/bench-webhooks.sh [DELIVERIES] [LOG_ROWS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
deliveries=${1:-20000}
log_rows=${2:-1000000}
runs=${3:-200}
source scripts/bootstrap.sh
source scripts/leptos-env.sh
cargo build --release --features ssr --bin switchboard
dir="$PWD/target/bench-webhooks"
rm -rf "$dir" && mkdir -p "$dir"
echo "== SQLite"
target/release/switchboard --database-url "sqlite:$dir/bench.db" bench-webhooks \
  --deliveries "$deliveries" --log-rows "$log_rows" --runs "$runs"
echo "== PostgreSQL"
if [[ -z "${BENCH_DATABASE_URL:-}" ]]; then
  url=$(scripts/pg-throwaway.sh start "$dir/pg")
  trap 'scripts/pg-throwaway.sh stop "$dir/pg"' EXIT
else
  url=$BENCH_DATABASE_URL
fi
SWITCHBOARD_SECRET_KEY=bench-key-not-for-production target/release/switchboard --database-url "$url" \
  bench-webhooks --deliveries "$deliveries" --log-rows "$log_rows" --runs "$runs"

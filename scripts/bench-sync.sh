#!/usr/bin/env bash
# Worker and sync-list benchmark: a bulk backfill of 1,000 connections x 5 objects executed at
# zero sandbox latency (runs/s), then p50/p95 of the sync-history tab with 1,000,000 runs in the
# environment and of the connections list with 100,000 connections, on SQLite and PostgreSQL.
# Fresh databases each time (under target/bench-sync). Not part of the test suite.
# Usage: scripts/bench-sync.sh [CONNECTIONS] [HISTORY] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-100000}
history=${2:-1000000}
runs=${3:-200}
source scripts/bootstrap.sh
source scripts/leptos-env.sh
cargo build --release --features ssr --bin switchboard
dir="$PWD/target/bench-sync"
rm -rf "$dir" && mkdir -p "$dir"
echo "== SQLite"
target/release/switchboard --database-url "sqlite:$dir/bench.db" bench-sync \
  --connections "$connections" --history "$history" --runs "$runs"
echo "== PostgreSQL"
if [[ -z "${BENCH_DATABASE_URL:-}" ]]; then
  url=$(scripts/pg-throwaway.sh start "$dir/pg")
  trap 'scripts/pg-throwaway.sh stop "$dir/pg"' EXIT
else
  url=$BENCH_DATABASE_URL
fi
target/release/switchboard --database-url "$url" bench-sync \
  --connections "$connections" --history "$history" --runs "$runs"

#!/usr/bin/env bash
# Ingestion benchmark: 4 concurrent clients send batches of 1,000 realistic request logs over
# HTTP to a `switchboard serve` process, on SQLite and PostgreSQL (fresh databases under
# target/bench-ingest), while a reader times the request log's first page. Prints rows/s, the
# page's p50/p95 and the server's peak RSS. Not part of the test suite.
# Usage: scripts/bench-ingest.sh [BATCHES] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
batches=${1:-200}
clients=${2:-4}
source scripts/bootstrap.sh
source scripts/leptos-env.sh
cargo build --release --features ssr --bin switchboard
dir="$PWD/target/bench-ingest"
rm -rf "$dir" && mkdir -p "$dir"
echo "== SQLite"
target/release/switchboard --database-url "sqlite:$dir/bench.db" migrate >/dev/null
target/release/switchboard --database-url "sqlite:$dir/bench.db" bench-ingest --batches "$batches" --clients "$clients"
echo "== PostgreSQL"
if [[ -z "${BENCH_DATABASE_URL:-}" ]]; then
  url=$(scripts/pg-throwaway.sh start "$dir/pg")
  trap 'scripts/pg-throwaway.sh stop "$dir/pg"' EXIT
else
  url=$BENCH_DATABASE_URL
fi
target/release/switchboard --database-url "$url" bench-ingest --batches "$batches" --clients "$clients"

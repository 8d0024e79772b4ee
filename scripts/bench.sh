#!/usr/bin/env bash
# Request-log benchmark: seeds 10,000,000 request logs into SQLite and PostgreSQL (once; the
# databases are kept under target/bench) and prints p50/p95 server-side timings per query.
# Not part of the test suite. Usage: scripts/bench.sh [REQUEST_LOGS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
runs=${2:-200}
source scripts/bootstrap.sh
source scripts/leptos-env.sh
cargo build --release --features ssr --bin switchboard
dir="$PWD/target/bench"
mkdir -p "$dir"
echo "== SQLite"
target/release/switchboard --database-url "sqlite:$dir/bench-$n.db" bench-request-logs --request-logs "$n" --runs "$runs"
echo "== PostgreSQL"
pgdir="$dir/pg-$n"
if [[ -z "${BENCH_DATABASE_URL:-}" ]]; then
  url=$(scripts/pg-throwaway.sh start "$pgdir")
  trap 'scripts/pg-throwaway.sh stop "$pgdir"' EXIT
else
  url=$BENCH_DATABASE_URL
fi
target/release/switchboard --database-url "$url" bench-request-logs --request-logs "$n" --runs "$runs"

#!/usr/bin/env bash
# Every benchmark, one runner: builds the release binary once, runs the chosen benchmark on
# SQLite, then on PostgreSQL (BENCH_DATABASE_URL, or a throwaway cluster started and stopped
# here), and prints the figures. Not part of the test suite.
#
# Usage: scripts/bench.sh [BENCHMARK] [ARGS...]
#   request-logs [REQUEST_LOGS=10000000] [RUNS=200]   (the default; its databases are kept
#                                                      under target/bench, seeding is slow)
#   ingest       [BATCHES=200] [CLIENTS=4]
#   sync         [CONNECTIONS=100000] [HISTORY=1000000] [RUNS=200]
#   webhooks     [DELIVERIES=20000] [LOG_ROWS=1000000] [RUNS=200]
#   redaction    [MEGABYTES=5] [RUNS=3]                (no database: crafted batches against
#                                                      ordinary request logs, cost per byte)
#   classify     [ROUNDS=200]                          (no database: classifications per second
#                                                      on one core, accuracy on the corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-request-logs}
shift || true
case "$which" in
  request-logs)
    n=${1:-10000000}
    args=(bench-request-logs --request-logs "$n" --runs "${2:-200}")
    dir="$PWD/target/bench"; fresh=false; sqlite="$dir/bench-$n.db"; pgdir="$dir/pg-$n" ;;
  ingest)
    args=(bench-ingest --batches "${1:-200}" --clients "${2:-4}")
    dir="$PWD/target/bench-ingest"; fresh=true ;;
  sync)
    args=(bench-sync --connections "${1:-100000}" --history "${2:-1000000}" --runs "${3:-200}")
    dir="$PWD/target/bench-sync"; fresh=true ;;
  webhooks)
    args=(bench-webhooks --deliveries "${1:-20000}" --log-rows "${2:-1000000}" --runs "${3:-200}")
    dir="$PWD/target/bench-webhooks"; fresh=true ;;
  redaction)
    source scripts/bootstrap.sh
    source scripts/leptos-env.sh
    cargo build --release --features ssr --bin switchboard
    exec target/release/switchboard bench-redaction --megabytes "${1:-5}" --runs "${2:-3}" ;;
  classify)
    source scripts/bootstrap.sh
    source scripts/leptos-env.sh
    cargo build --release --features ssr --bin switchboard
    exec target/release/switchboard bench-classify --rounds "${1:-200}" ;;
  *)
    echo "Unknown benchmark \"$which\": choose request-logs, ingest, sync, webhooks, redaction or classify." >&2
    exit 2 ;;
esac
if $fresh; then
  rm -rf "$dir"
  sqlite="$dir/bench.db"; pgdir="$dir/pg"
fi
mkdir -p "$dir"
source scripts/bootstrap.sh
source scripts/leptos-env.sh
cargo build --release --features ssr --bin switchboard
bin=target/release/switchboard
# Webhook signing secrets are sealed with a key; a benchmark's is not a secret.
export SWITCHBOARD_SECRET_KEY=${SWITCHBOARD_SECRET_KEY:-bench-key-not-for-production}
echo "== SQLite"
"$bin" --database-url "sqlite:$sqlite" migrate >/dev/null
"$bin" --database-url "sqlite:$sqlite" "${args[@]}"
echo "== PostgreSQL"
if [[ -z "${BENCH_DATABASE_URL:-}" ]]; then
  url=$(scripts/pg-throwaway.sh start "$pgdir")
  trap 'scripts/pg-throwaway.sh stop "$pgdir"' EXIT
else
  url=$BENCH_DATABASE_URL
fi
"$bin" --database-url "$url" "${args[@]}"

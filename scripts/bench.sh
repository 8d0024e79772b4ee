#!/usr/bin/env bash
# Every benchmark, one runner: builds the release binary once, runs the chosen benchmark on
# SQLite, then on PostgreSQL (BENCH_DATABASE_URL, or a throwaway cluster started and stopped
# here), and prints the figures. Not part of the test suite.
#
# Usage: scripts/bench.sh [BENCHMARK] [ARGS...]
#   request-logs [REQUEST_LOGS=10000000] [RUNS=200]   (the default; its databases are kept
#                                                      under target/bench, seeding is slow;
#                                                      then the console's pages on that data,
#                                                      as `pages` below)
#   pages        [REQUEST_LOGS=the demo's] [CLIENTS=16] [SECONDS=5]
#                                                     (the signed-in pages over HTTP on the
#                                                      demo: each alone, then CLIENTS at once)
#   ingest       [BATCHES=200] [CLIENTS=4]
#   purge        [ROWS=1000000]                        (ingestion p50/p95 of another organization
#                                                      alone and while the retention purge
#                                                      deletes ROWS request logs)
#   sync         [CONNECTIONS=100000] [HISTORY=1000000] [RUNS=200]
#   webhooks     [DELIVERIES=20000] [LOG_ROWS=1000000] [RUNS=200]
#   redaction    [MEGABYTES=5] [RUNS=3]                (no database: crafted batches against
#                                                      ordinary request logs, cost per byte)
#   classify     [ROUNDS=200]                          (no database: classifications per second
#                                                      on one core, accuracy on the corpus)
#   export       [REQUEST_LOGS=2500000]                (seeds the demo with that many requests,
#                                                      serves it, downloads the whole request
#                                                      log of Acme's production as NDJSON and
#                                                      CSV, prints rows, bytes, time and the
#                                                      server's peak RSS before and after)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-request-logs}
shift || true
case "$which" in
  request-logs)
    n=${1:-10000000}
    args=(bench-request-logs --request-logs "$n" --runs "${2:-200}")
    dir="$PWD/target/bench"; fresh=false; sqlite="$dir/bench-$n.db"; pgdir="$dir/pg-$n" ;;
  pages)
    n=${1:-0}
    args=(bench-pages --clients "${2:-16}" --seconds "${3:-5}")
    dir="$PWD/target/bench-pages"; fresh=true ;;
  purge)
    args=(bench-purge --rows "${1:-1000000}")
    dir="$PWD/target/bench-purge"; fresh=true ;;
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
  export)
    n=${1:-2500000}
    dir="$PWD/target/bench-export"; fresh=true ;;
  *)
    echo "Unknown benchmark \"$which\": choose request-logs, pages, ingest, purge, sync, webhooks, redaction, classify or export." >&2
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

# The export benchmark: a served demo of $n requests, the whole environment downloaded.
export_bench() {
  local url=$1 port log pid jar base
  "$bin" --database-url "$url" seed-demo --request-logs "$n" >/dev/null 2>&1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  log="$dir/serve.log"; jar="$dir/cookies"; base="http://127.0.0.1:$port"
  "$bin" --database-url "$url" serve --addr "127.0.0.1:$port" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf -c "$jar" -o /dev/null -H "Origin: $base" \
    -d "email=owner@acme.test&password=switchboard-demo" "$base/auth/sign-in"
  rss() { awk -v k="$1:" '$1 == k { printf "%.0f MB", $2 / 1024 }' "/proc/$pid/status"; }
  # RSS counts the database file SQLite maps (file) apart from the process's own memory (anon).
  echo "server idle: RSS $(rss VmRSS), peak $(rss VmHWM), anon $(rss RssAnon), file $(rss RssFile)"
  for format in ndjson csv; do
    local started rows bytes secs
    started=$(date +%s.%N)
    read -r rows bytes < <(curl -sf -b "$jar" "$base/requests/export?format=$format" | wc -lc)
    secs=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    [[ $format == csv ]] && rows=$((rows - 1))
    printf '%-6s %9d rows %6d MB in %5.1f s (%6.0f rows/s); server RSS %s, peak %s, anon %s, file %s\n' \
      "$format" "$rows" $((bytes / 1048576)) "$secs" "$(awk -v r="$rows" -v s="$secs" 'BEGIN { print r / s }')" "$(rss VmRSS)" "$(rss VmHWM)" "$(rss RssAnon)" "$(rss RssFile)"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

# One database's run: the benchmark, and after the request-log queries the pages on that data.
run_on() {
  local url=$1
  case "$which" in
    export) export_bench "$url" ;;
    pages)
      if [[ $n == 0 ]]; then "$bin" --database-url "$url" seed-demo >/dev/null 2>&1
      else "$bin" --database-url "$url" seed-demo --request-logs "$n" >/dev/null 2>&1; fi
      "$bin" --database-url "$url" "${args[@]}" ;;
    request-logs)
      "$bin" --database-url "$url" "${args[@]}"
      "$bin" --database-url "$url" bench-pages --clients 16 --seconds 5 ;;
    *) "$bin" --database-url "$url" "${args[@]}" ;;
  esac
}

echo "== SQLite"
"$bin" --database-url "sqlite:$sqlite" migrate >/dev/null
run_on "sqlite:$sqlite"
echo "== PostgreSQL"
if [[ -z "${BENCH_DATABASE_URL:-}" ]]; then
  url=$(scripts/pg-throwaway.sh start "$pgdir")
  trap 'scripts/pg-throwaway.sh stop "$pgdir"' EXIT
else
  url=$BENCH_DATABASE_URL
fi
run_on "$url"

#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API with schemathesis: starts the release server on a fresh
# SQLite database with demo data, creates a read, a backfills and an ingest key, and lets schemathesis
# generate valid and invalid calls for every operation of /api/v1/openapi.json, on SQLite and,
# when TEST_DATABASE_URL is set, on PostgreSQL too. It fails when a call gets a 5xx or a response
# that does not match the document. Called by scripts/test.sh;
# runs alone too (after a release build): bash scripts/api-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n "${SWITCHBOARD_WASM_ROUTE:-}" ]] || source scripts/bootstrap.sh
bin=target/release/switchboard
st=.tools/schemathesis/bin/st
work=$(mktemp -d /tmp/switchboard-fuzz.XXXXXX)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Each database the tests cover: SQLite, and PostgreSQL when TEST_DATABASE_URL (an admin URL)
# is given, in a fresh database of its own.
dbs=("sqlite:$work/fuzz.db")
pg_db=""
if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  pg_db="sb_fuzz_$$_$RANDOM"
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
  dbs+=("${TEST_DATABASE_URL%/*}/$pg_db")
fi
drop_pg() {
  [[ -n "$pg_db" ]] && psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap 'cleanup; drop_pg' EXIT

status=0
for db in "${dbs[@]}"; do
  case "$db" in sqlite*) name=SQLite ;; *) name=PostgreSQL ;; esac
  echo "-- schemathesis on $name"
  "$bin" --database-url "$db" seed-demo --request-logs 5000 >/dev/null
  # The key is the last line (PostgreSQL's notices may be logged before it).
  ingest=$("$bin" --database-url "$db" create-api-key --org acme --environment production --scope ingest --name fuzz-ingest | tail -n1)
  read=$("$bin" --database-url "$db" create-api-key --org acme --environment production --scope read --name fuzz-read | tail -n1)
  backfills=$("$bin" --database-url "$db" create-api-key --org acme --environment production --scope backfills --name fuzz-backfills | tail -n1)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # Limits far above what the fuzzer sends: it tests the API, not the limiter (a test does that).
  SWITCHBOARD_API_READ_RATE=100000 SWITCHBOARD_API_INGEST_RATE=100000 \
    "$bin" --database-url "$db" serve --addr "127.0.0.1:$port" --no-worker >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for run in "read:$read" "backfills:$backfills" "ingest:$ingest"; do
    tag=${run%%:*}
    key=${run#*:}
    echo "-- schemathesis on $name: operations tagged $tag"
    timeout 900 "$st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
      -H "Authorization: Bearer $key" \
      --include-tag "$tag" \
      --checks not_a_server_error,response_schema_conformance \
      --phases examples,coverage,fuzzing \
      --max-examples "${FUZZ_EXAMPLES:-60}" \
      --workers 2 --seed 1 --no-color --generation-database none || status=$?
  done
  if [[ $status != 0 ]]; then
    echo "--- server log on $name (tail)"; tail -30 "$work/server.log"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
done
exit $status

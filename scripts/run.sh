#!/usr/bin/env bash
# Builds the release app and serves it on http://127.0.0.1:3000 with the embedded SQLite
# database data/switchboard.db, seeded with demo data on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
cargo leptos build --release
exec target/release/switchboard serve --demo \
  --database-url "${DATABASE_URL:-sqlite:data/switchboard.db}" \
  --addr "${SWITCHBOARD_ADDR:-127.0.0.1:3000}"

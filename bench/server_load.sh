#!/usr/bin/env bash
# Throughput and latency of `fentguard serve` on loopback, 64 concurrent keep-alive
# clients: public permit verification and export-application submission, on SQLite and
# on PostgreSQL. Prints one JSON line per run and the ratio to the issue's targets
# (10,000 verifications/s and 1,000 submissions/s on SQLite, 2-core machine).
# Usage: bench/server_load.sh [POSTGRES_ADMIN_URL]   (default postgres://postgres@127.0.0.1:5432/test)
source "$(dirname "$0")/lib.sh"
seconds=${SECONDS_PER_RUN:-10}

run() { # db label
  local db=$1 label=$2 port=18191
  start_serve "$db" "$label" $port
  local pid=$serve_pid
  for scenario in verify submit; do
    out=$("$gen" --addr 127.0.0.1:$port --tokens "$tmp/tokens-$label.json" --scenario $scenario --clients 64 --seconds "$seconds")
    target=$([ $scenario = verify ] && echo 10000 || echo 1000)
    echo "$label $out" | tee -a "$tmp/results.txt"
    echo "$out" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f'  {\"$label\"} {r[\"scenario\"]}: {r[\"per_second\"]:.0f}/s, p50 {r[\"p50_ms\"]:.2f} ms, p99 {r[\"p99_ms\"]:.2f} ms, errors {r[\"errors\"]}; ratio to the {$target}/s target: {r[\"per_second\"]/$target:.2f}x')"
  done
  kill -TERM $pid; wait $pid || true
}

run "sqlite://$tmp/bench.db" sqlite
if command -v psql >/dev/null; then
  run "$(fresh_pg fg_bench)" postgres
fi

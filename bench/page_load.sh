#!/usr/bin/env bash
# The portal's pages under load (issue 12 item 9): 64 concurrent keep-alive clients on
# loopback, on SQLite and on PostgreSQL:
#   worklist  the licensing officer's My work (signed in through the sign-in form), with
#             10,000 applications on file, ordered by the statutory clock;
#   check     Check a chemical, judged and drawn, over fentanyl analogues, precursors,
#             names, a CAS number and ethanol in turn.
# Prints p50/p99 latency and throughput, and the p99 as a share of the 50 ms target.
# Usage: bench/page_load.sh [POSTGRES_ADMIN_URL]   (default postgres://postgres@127.0.0.1:5432/test)
source "$(dirname "$0")/lib.sh"
seconds=${SECONDS_PER_RUN:-10}
applications=${APPLICATIONS:-10000}

run() { # db label
  local db=$1 label=$2 port=18193
  start_serve "$db" "$label" $port
  local pid=$serve_pid
  "$gen" --addr 127.0.0.1:$port --tokens "$tmp/tokens-$label.json" --scenario fill --count "$applications" --clients 16 > /dev/null
  for scenario in worklist check; do
    out=$("$gen" --addr 127.0.0.1:$port --tokens "$tmp/tokens-$label.json" --passwords "$tmp/passwords-$label.txt" \
      --scenario $scenario --clients 64 --seconds "$seconds")
    echo "$label $out" >> "$tmp/results.txt"
    echo "$out" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f'{\"$label\":9} {r[\"scenario\"]:9} {r[\"per_second\"]:7.0f}/s  p50 {r[\"p50_ms\"]:6.2f} ms  p99 {r[\"p99_ms\"]:6.2f} ms  errors {r[\"errors\"]}  p99 / 50 ms target: {r[\"p99_ms\"]/50:.2f}')"
  done
  kill -TERM $pid; wait $pid || true
}

echo "pages under load: 64 clients, $seconds s each, $applications applications on file ($(nproc) cores)"
run "sqlite://$tmp/bench.db" sqlite
if command -v psql >/dev/null; then
  run "$(fresh_pg fg_pages)" postgres
fi

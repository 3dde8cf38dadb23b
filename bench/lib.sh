# Shared by the loopback benchmarks (sourced): builds the binaries, then
#   start_serve DB LABEL PORT   starts `fentguard serve`, waits for it, seeds the demo
#                               users (tokens in $tmp/tokens-LABEL.json, their passwords
#                               in $tmp/passwords-LABEL.txt); sets serve_pid
#   fresh_pg NAME               prints the URL of a new, empty PostgreSQL database NAME
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --locked -q -p fentguard -p loadgen
bin=target/release/fentguard
gen=target/release/loadgen
pg_admin=${1:-postgres://postgres@127.0.0.1:5432/test}
tmp=$(mktemp -d)

start_serve() {
  local db=$1 label=$2 port=$3
  "$bin" serve --db "$db" --listen 127.0.0.1:"$port" --key "$tmp/key" 2>"$tmp/serve-$label.log" &
  serve_pid=$!
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  "$bin" demo seed --db "$db" --key "$tmp/key" > "$tmp/tokens-$label.json" 2> "$tmp/passwords-$label.txt"
}

fresh_pg() {
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "${pg_admin%/*}/$1"
}

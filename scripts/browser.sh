#!/usr/bin/env bash
# The browser journey (browser/journey.mjs) against a freshly seeded server. Usage:
#   scripts/browser.sh [DATABASE_URL]     (default: a fresh SQLite file)
# Needs Debian's chromium (CHROMIUM overrides /usr/bin/chromium) and `npm ci` in browser/.
# Screenshots go to FG_SCREENSHOTS (default: docs/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FENTGUARD_BIN:-target/release/fentguard}
port=${PORT:-18095}
tmp=$(mktemp -d)
db=${1:-"sqlite://$tmp/browser.db"}

"$bin" demo seed --db "$db" --key "$tmp/key" > "$tmp/tokens.json" 2> "$tmp/sign-in.txt"
"$bin" serve --db "$db" --listen "127.0.0.1:$port" --key "$tmp/key" 2>"$tmp/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

shots=${FG_SCREENSHOTS:-$PWD/docs/screenshots}
if ! (cd browser && FG_BASE="http://127.0.0.1:$port" FG_TOKENS="$tmp/tokens.json" \
  FG_PASSWORDS="$tmp/sign-in.txt" FG_SCREENSHOTS="$shots" node journey.mjs); then
  echo "browser journey failed on $db; the server's log:" >&2
  tail -n 40 "$tmp/serve.log" >&2
  exit 1
fi

#!/usr/bin/env bash
# The HTTP API against its own OpenAPI description with Schemathesis (PyPI), every check
# (`--checks all`), as each kind of caller: no token, then a token per role of the demo
# seed. Fails (non-zero) on any failure Schemathesis reports. Usage:
#   [ROLES='anonymous customs_officer'] scripts/schemathesis.sh [MAX_EXAMPLES]
# (default: every role, 25 examples per operation and role)
# Needs Schemathesis (pip install schemathesis; `st`, or the path in $SCHEMATHESIS) and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FENTGUARD_BIN:-target/release/fentguard}
port=${PORT:-18091}
examples=${1:-25}
tmp=$(mktemp -d)
db="sqlite://$tmp/st.db"
url="http://127.0.0.1:$port"

"$bin" demo seed --db "$db" --key "$tmp/key" > "$tmp/tokens.json"
"$bin" serve --db "$db" --listen "127.0.0.1:$port" --key "$tmp/key" --checkpoints none 2>"$tmp/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$url/healthz" >/dev/null && break; sleep 0.1; done

# Logging out revokes the token the run uses, and the alert stream never ends: both are
# tested in the Rust suite instead.
run() {
  local who=$1; shift
  echo "== Schemathesis as $who"
  "${SCHEMATHESIS:-st}" --config-file scripts/schemathesis.toml run "$url/openapi.json" --checks all --max-examples "$examples" --workers 2 \
    --exclude-path /api/v1/auth/logout --exclude-path /api/v1/alerts/stream \
    --request-timeout 30 --seed 1 "$@" > "$tmp/st-$who.txt" 2>&1 || {
      cat "$tmp/st-$who.txt"; echo "Schemathesis failed as $who" >&2; exit 1; }
  grep -E "^Test cases:|generated" "$tmp/st-$who.txt" | tail -n 1
}
for who in ${ROLES:-anonymous administrator licensing_officer compliance_officer customs_officer foreign_authority_officer}; do
  if [ "$who" = anonymous ]; then run anonymous; continue; fi
  run "$who" -H "Authorization: Bearer $(jq -r ".$who" "$tmp/tokens.json")"
done
if grep -q "panicked" "$tmp/serve.log"; then
  grep -m 5 "panicked" "$tmp/serve.log"; echo "the server panicked" >&2; exit 1
fi
echo "Schemathesis: no failure"

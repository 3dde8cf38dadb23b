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
mkdir -p "$tmp/permits"
if ! (cd browser && FG_BASE="http://127.0.0.1:$port" FG_TOKENS="$tmp/tokens.json" \
  FG_PASSWORDS="$tmp/sign-in.txt" FG_SCREENSHOTS="$shots" FG_PERMITS="$tmp/permits" node journey.mjs); then
  echo "browser journey failed on $db; the server's log:" >&2
  tail -n 40 "$tmp/serve.log" >&2
  exit 1
fi

# The permits the exporter downloaded: rasterised (poppler's pdftoppm), their QR codes
# read by a QR decoder (zbar), each verified offline with the authority's public key only.
key=$(curl -fs "http://127.0.0.1:$port/api/v1/permits/public-key" | jq -r .public_key)
count=0
for pdf in "$tmp"/permits/*.pdf; do
  pdftoppm -r 200 -png "$pdf" "${pdf%.pdf}"
  text=$(zbarimg -q --raw "${pdf%.pdf}"-1.png 2>/dev/null)
  case "$text" in
    "http://127.0.0.1:$port/verify?number="*) ;;
    *) echo "the QR code of $pdf does not open this server's verification page: ${text:0:80}" >&2; exit 1 ;;
  esac
  # to a file, then its first line: never `producer | head` under pipefail
  "$bin" verify-permit --public-key "$key" "$text" > "${pdf%.pdf}.verified"
  head -n 1 "${pdf%.pdf}.verified"
  # altered by one character of the signed part, it is not genuine
  c=${text:${#text}-12:1}; r=A; [ "$c" = A ] && r=B
  forged="${text:0:${#text}-12}$r${text:${#text}-11}"
  if "$bin" verify-permit --public-key "$key" "$forged" >/dev/null 2>&1; then
    echo "an altered QR text of $pdf verified" >&2; exit 1
  fi
  count=$((count + 1))
done
[ "$count" -ge 2 ] || { echo "expected a permit PDF per language, found $count" >&2; exit 1; }
echo "permit PDFs: $count QR codes decoded by zbarimg, each verified offline"

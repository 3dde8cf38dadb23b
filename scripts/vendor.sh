#!/usr/bin/env bash
# The front-end packages the portal serves, from npm at the versions pinned (with their
# integrity hashes) in crates/portal/vendor/package-lock.json, copied into
# crates/portal/assets/vendor/, which the binary compiles in. Usage:
#   scripts/vendor.sh           copy them (after changing a version in package.json)
#   scripts/vendor.sh --check   fail unless the copies are exactly the npm releases (CI)
set -euo pipefail
cd "$(dirname "$0")/../crates/portal/vendor"
npm ci --no-audit --no-fund --loglevel=error
dst=../assets/vendor
files=(
  "node_modules/openchemlib/dist/openchemlib.js:openchemlib.js"
  "node_modules/openchemlib/LICENSE:openchemlib.LICENSE.txt"
)
for pair in "${files[@]}"; do
  src=${pair%%:*}
  to=$dst/${pair##*:}
  if [ "${1:-}" = --check ]; then
    cmp "$src" "$to" || { echo "$to is not the npm release's $src; run scripts/vendor.sh" >&2; exit 1; }
  else
    cp "$src" "$to"
  fi
done
echo "vendored front-end packages: ${#files[@]} files match their npm releases"

#!/usr/bin/env bash
# Text screening speed (issue 13 item 5): `fentguard scan-text` (one thread) against a
# Python peer doing the matching alone (bench/scan_text_peer.py: pyahocorasick and the
# same regular expressions), on the same corpus in the same run: the evaluation's
# listings repeated to MB megabytes (default 20). Prints MB/s, texts/s and the ratio.
# Needs: pip install pyahocorasick==2.1.0
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${MB:-20}
cargo build --release -q
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/corpus.txt" "$mb" <<'PY'
import json, sys
texts = [json.loads(l)["text"] for f in ["texts", "generated"]
         for l in open(f"crates/screening/tests/data/{f}.jsonl", encoding="utf-8")]
target = int(sys.argv[2]) * 1_000_000
with open(sys.argv[1], "w", encoding="utf-8") as out:
    n = 0
    while n < target:
        for t in texts:
            line = t.replace("\n", " ") + "\n"
            out.write(line)
            n += len(line.encode())
PY
bytes=$(stat -c %s "$tmp/corpus.txt")
lines=$(wc -l < "$tmp/corpus.txt")
run() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
fg=$(run target/release/fentguard scan-text "$tmp/corpus.txt")
py=$(run python3 bench/scan_text_peer.py "$tmp/corpus.txt")
python3 - "$bytes" "$lines" "$fg" "$py" <<'PY'
import sys
b, n, fg, py = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"corpus: {b/1e6:.1f} MB, {n} texts (mean {b/n:.0f} bytes)")
print(f"fentguard scan-text   {b/1e6/fg:7.1f} MB/s  {n/fg:9.0f} texts/s  ({fg:.2f} s)")
print(f"python peer           {b/1e6/py:7.1f} MB/s  {n/py:9.0f} texts/s  ({py:.2f} s)")
print(f"ratio fentguard / peer: {py/fg:.2f}x  (targets: 200 MB/s, 10x)")
PY

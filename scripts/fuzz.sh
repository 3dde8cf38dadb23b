#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/) for SECONDS each, seeded from the repository's
# test data, and prints per target: executions, coverage (libFuzzer's cov/ft), corpus
# size. Fails on any crash, timeout or out-of-memory. Usage:
#   scripts/fuzz.sh [SECONDS] [TARGET ...]      (default 30 seconds, every target)
# Needs cargo-fuzz (cargo install cargo-fuzz --locked); works on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(smiles smarts molfile epcis_document ilmd changes_csv permit_qr)
export RUSTC_BOOTSTRAP=1   # cargo-fuzz passes -Z flags; stable rustc accepts them so

# Seeds: the test data of each reader (kept out of git under fuzz/corpus).
python3 - <<'PY'
import csv, glob, gzip, os, shutil
def put(target, name, text):
    d = os.path.join("corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w", encoding="utf-8") as f:
        f.write(text)
with open("../crates/law/tests/data/fentanyl_cases.csv", encoding="utf-8") as f:
    for i, row in enumerate(csv.DictReader(f)):
        put("smiles", f"case{i}", row["smiles"])
with open("../crates/chem/tests/data/stereo_probes.smi", encoding="utf-8") as f:
    for i, line in enumerate(f):
        if line.strip():
            put("smiles", f"stereo{i}", line.split()[0])
for i, line in enumerate(open("seeds/smarts.txt", encoding="utf-8")):
    if line.strip():
        put("smarts", f"seed{i}", line.strip())
def v2000(title, atoms, bonds, data=None):
    out = [title, "  fuzz seed", "", f"{len(atoms):>3}{len(bonds):>3}  0  0  0  0  0  0  0  0999 V2000"]
    out += [f"{0.0:>10.4f}{0.0:>10.4f}{0.0:>10.4f} {a:<3} 0  0  0  0  0  0  0  0  0  0  0  0" for a in atoms]
    out += [f"{a:>3}{b:>3}{o:>3}  0" for a, b, o in bonds]
    out += ["M  CHG  1   1   1", "M  END"]
    if data is not None:
        for k, v in data.items():
            out += [f">  <{k}>", v, ""]
        out += ["$$$$"]
    return "\n".join(out) + "\n"
ring = [(i, i % 6 + 1, 2 if i % 2 else 1) for i in range(1, 7)]
put("molfile", "benzene", v2000("benzene", ["C"] * 6, ring))
put("molfile", "npp_like", v2000("chain", ["N", "C", "C", "O", "Cl"], [(1, 2, 1), (2, 3, 1), (3, 4, 2), (3, 5, 1)]))
put("molfile", "sd", v2000("one", ["C", "O"], [(1, 2, 1)], {"CAS": "64-17-5", "NAME": "ethanol"})
    + v2000("two", ["N"] * 3, [(1, 2, 1), (2, 3, 2)], {"ID": "2"}))
put("molfile", "v3000", "\n".join([
    "v3000", "  fuzz seed", "", "  0  0  0     0  0            999 V3000",
    "M  V30 BEGIN CTAB", "M  V30 COUNTS 3 2 0 0 0", "M  V30 BEGIN ATOM",
    "M  V30 1 C 0 0 0 0", "M  V30 2 C 0 0 0 0", "M  V30 3 O 0 0 0 0 CHG=-1", "M  V30 END ATOM",
    "M  V30 BEGIN BOND", "M  V30 1 1 1 2", "M  V30 2 1 2 3", "M  V30 END BOND",
    "M  V30 END CTAB", "M  END", ""]))
for p in glob.glob("../crates/epcis/tests/data/gs1/*.jsonld") + ["seeds/ilmd.jsonld"]:
    for t in ("epcis_document", "ilmd"):
        put(t, os.path.basename(p), open(p, encoding="utf-8").read())
put("changes_csv", "seed", open("seeds/changes.csv", encoding="utf-8").read())
put("permit_qr", "seed", open("seeds/permit_qr.txt", encoding="utf-8").read().strip())
PY

cargo fuzz build -O >/dev/null 2>&1 || cargo fuzz build -O
failed=0
for t in "${targets[@]}"; do
  log=$(mktemp)
  if cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 > "$log" 2>&1; then
    runs=$(grep -oE "^stat::number_of_executed_units: [0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
    cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+" "$log" | tail -n 1)
    echo "$t: $runs executions in ${secs}s, $cov, no crash"
  else
    failed=1
    tail -n 40 "$log"
    echo "$t: FAILED (input in fuzz/artifacts/$t/)" >&2
  fi
  rm -f "$log"
done
exit $failed

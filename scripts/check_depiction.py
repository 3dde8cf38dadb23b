#!/usr/bin/env python3
"""The stereo FentGuard's drawings show, checked against RDKit (issue 12 item 6).

Every structure of the stereo fixtures, the evaluation cases and the catalogue is laid
out by FentGuard (chem::layout), its wedges chosen (chem::layout::wedges) and written as
a V2000 molfile (chem::molfile::write_molfile; `cargo run --example molfiles`). RDKit
reads each molfile back, taking tetrahedral stereo from the wedges and double-bond stereo
from the 2D coordinates; its canonical SMILES must equal its canonical SMILES of the
input. So a drawing never shows a configuration the input does not have, and shows every
one it has.

Usage: scripts/check_depiction.py   (needs RDKit: pip install rdkit)
"""
import csv
import pathlib
import subprocess
import sys

from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
root = pathlib.Path(__file__).resolve().parent.parent


def inputs():
    data = root / "crates/chem/tests/data"
    with open(data / "stereo_conformance.csv") as f:
        yield from (r["smiles"] for r in csv.DictReader(f))
    with open(data / "stereo_probes.smi") as f:
        yield from (line.split()[0] for line in f if line.strip())
    with open(root / "crates/law/tests/data/fentanyl_cases.csv") as f:
        yield from (r["smiles"] for r in csv.DictReader(f) if r["smiles"])
    with open(root / "data/catalogue/substances.csv") as f:
        yield from (r["smiles"] for r in csv.DictReader(f) if r["smiles"])


def main():
    smiles = list(inputs())
    sdf = subprocess.run(
        ["cargo", "run", "-q", "--release", "--locked", "-p", "chem", "--example", "molfiles"],
        input="\n".join(smiles) + "\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout
    compared, wrong = 0, []
    for block in sdf.split("$$$$\n"):
        if not block.strip():
            continue
        source = block.split("\n", 1)[0]
        expected = Chem.MolFromSmiles(source)
        drawn = Chem.MolFromMolBlock(block, removeHs=False)
        if expected is None:
            continue  # RDKit cannot read the input itself (not a drawing question)
        if drawn is None:
            wrong.append(f"{source}: RDKit cannot read the molfile")
            continue
        compared += 1
        a = Chem.MolToSmiles(Chem.RemoveHs(expected))
        b = Chem.MolToSmiles(Chem.RemoveHs(drawn))
        if a != b:
            wrong.append(f"{source}: drawn as {b}, expected {a}")
    for w in wrong[:20]:
        print(w)
    print(f"depiction: {compared} structures drawn, {len(wrong)} showing other stereo than their input")
    if wrong or compared < 500:
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate the RDKit conformance fixture for the `chem` crate.

Reads MOSES training SMILES (PyPI `molsets==0.3.1`, file moses/dataset/data/train.csv.gz;
pass its path), samples N molecules with a fixed seed, and writes for each:
RDKit's formula, SSSR ring count, aromatic atom count, and five random atom orders of the
molecule (RDKit `doRandom`). A second set (stereo, charges, isotopes, salts) comes from
`stereo_probes.smi`. The Rust test checks formula/rings/aromatic atoms against RDKit and
that our canonical SMILES is byte-identical across the six spellings.

Usage: python3 scripts/gen_conformance.py MOSES_TRAIN_CSV_GZ [N]
Needs: pip install rdkit==2026.9.1 (the version used for the committed fixture).
"""
import csv, gzip, random, sys, os
from rdkit import Chem, RDLogger
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

RDLogger.DisableLog("rdApp.*")
here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "crates", "chem", "tests", "data")


def rows_for(smiles_list, rng):
    for smi in smiles_list:
        m = Chem.MolFromSmiles(smi)
        if m is None:
            continue
        variants = []
        for _ in range(5):
            # renumber atoms at random, then write without canonical ordering
            order = list(range(m.GetNumAtoms()))
            rng.shuffle(order)
            r = Chem.RenumberAtoms(m, order)
            variants.append(Chem.MolToSmiles(r, canonical=False, doRandom=True, kekuleSmiles=rng.random() < 0.3))
        yield [smi, CalcMolFormula(m), m.GetRingInfo().NumRings(),
               sum(1 for a in m.GetAtoms() if a.GetIsAromatic())] + variants + [Chem.MolToInchiKey(m)]


def main():
    src = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rng = random.Random(20261122)
    with gzip.open(src, "rt") as f:
        allsmi = [l.strip() for l in f if l.strip() and l.strip() != "SMILES"]
    sample = rng.sample(allsmi, n)
    header = ["smiles", "formula", "rings", "aromatic_atoms", "v1", "v2", "v3", "v4", "v5", "inchikey"]
    with gzip.open(os.path.join(out_dir, "moses_conformance.csv.gz"), "wt", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows_for(sample, rng):
            w.writerow(row)
    probes = [l.split()[0] for l in open(os.path.join(out_dir, "stereo_probes.smi")) if l.strip() and not l.startswith("#")]
    with open(os.path.join(out_dir, "stereo_conformance.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows_for(probes, rng):
            w.writerow(row)


if __name__ == "__main__":
    main()

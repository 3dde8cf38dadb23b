#!/usr/bin/env python3
"""Generate the differential fixture for the fail-safe suite (crates/law/tests/failsafe.rs).

Enumerates fentanyl analogues (single and paired modifications of every region), ring
and skeleton changes, salts with small and large counter-ions, hydrates, isotopologues,
stereoisomers, charged forms, mixtures with an uncontrolled component, and decoys; for a
sample, re-spellings of the same molecule (random atom order, Kekule, explicit hydrogens,
molfile) with the map from each re-spelling's atoms back to the original's.

The expected generic verdicts are NOT computed by FentGuard: each modification carries
the state the legal texts give it (read as argued in crates/law/tests/data/
differential_README.md, which follows ../shared/eval/fentanyl/README.md), and a molecule's
verdict per definition is combined from its modifications: any unlisted change -> no;
else any open reading -> AMBIGUOUS; else any listed modification -> yes; none -> parent.
RDKit (generation time only, never at run time) checks every SMILES, writes the
re-spellings and the atom maps.

Usage: pip install rdkit; python3 scripts/gen_differential.py
Writes crates/law/tests/data/differential.csv.gz (deterministic: fixed seed).
"""
import csv, gzip, io, os, random

from rdkit import Chem, RDLogger
from rdkit.Chem.EnumerateStereoisomers import EnumerateStereoisomers, StereoEnumerationOptions

RDLogger.DisableLog("rdApp.*")
here = os.path.dirname(os.path.abspath(__file__))
out_path = os.path.join(here, "..", "crates", "law", "tests", "data", "differential.csv.gz")
rng = random.Random(20261202)

U, M, A, X = "unchanged", "met", "ambiguous", "unlisted"

# --- modifications per region: (SMILES piece, CN state, US state, what) ----------------
# Acyl on the anilide N (China 1, US E): rule 4 of the reading.
ACYL = [
    ("CCC(=O)", U, U, "propionyl"),
    ("CC(=O)", M, M, "acetyl"),
    ("O=C", M, M, "formyl"),
    ("CCCC(=O)", M, M, "butyryl"),
    ("CC(C)C(=O)", M, M, "isobutyryl"),
    ("C=CC(=O)", M, M, "acryloyl"),
    ("COCC(=O)", M, M, "methoxyacetyl"),
    ("C1CC1C(=O)", M, M, "cyclopropanecarbonyl"),
    ("c1ccccc1C(=O)", M, M, "benzoyl"),
    ("c1ccoc1C(=O)", M, M, "furoyl"),
    ("FC(F)(F)C(=O)", M, M, "trifluoroacetyl"),
    ("COC(=O)", M, M, "methoxycarbonyl (carbamate)"),
    ("CN(C)C(=O)", A, A, "dimethylcarbamoyl (urea)"),
    ("CCS(=O)(=O)", A, A, "ethylsulfonyl"),
    ("CCC(=S)", A, A, "propanethioyl"),
    ("C", X, X, "methyl (not acyl)"),
    ("Cc1ccccc1", X, X, "benzyl (not acyl)"),
]
# Aryl on the anilide N (China 2, US D): rule 5.
ARYL = [
    ("c1ccccc1", U, U, "phenyl"),
    ("c1ccc(F)cc1", M, M, "4-fluorophenyl"),
    ("c1ccccc1F", M, M, "2-fluorophenyl"),
    ("c1cccc(Cl)c1", M, M, "3-chlorophenyl"),
    ("c1ccc(OC)cc1", M, M, "4-methoxyphenyl"),
    ("c1ccc(C)cc1", M, M, "4-methylphenyl"),
    ("c1ccccc1C", M, M, "2-methylphenyl"),
    ("c1ccc(C#N)cc1", M, M, "4-cyanophenyl"),
    ("c1ccccn1", M, M, "2-pyridyl"),
    ("c1cccnc1", M, M, "3-pyridyl"),
    ("c1cnccn1", M, M, "pyrazinyl"),
    ("c1cccs1", M, M, "2-thienyl"),
    ("c1ccoc1", M, M, "3-furyl"),
    ("C1CCCCC1", X, X, "cyclohexyl (not aromatic)"),
    ("c1ccc2ccccc2c1", X, X, "2-naphthyl (fused aromatic)"),
    ("c1ccc2ncccc2c1", X, X, "quinolinyl (fused aromatic)"),
    ("c1ccc2c(c1)OCO2", A, A, "benzodioxolyl (benzene fused to a non-aromatic ring)"),
    ("c1ccc2c(c1)CCC2", A, A, "indanyl (benzene fused to a non-aromatic ring)"),
    ("C", X, X, "methyl (not a ring)"),
]
# Group on the piperidine N (China 4; US A/B): rule 7. US states carry the conditions.
NSUB = [
    ("CCc1ccccc1", U, U, "phenethyl"),
    ("CCc1cccs1", M, M, "2-(2-thienyl)ethyl"),
    ("CCc1ccccn1", M, M, "2-(2-pyridyl)ethyl"),
    ("CCC1CCCCC1", M, M, "2-cyclohexylethyl"),
    ("CCc1ccoc1", M, M, "2-(3-furyl)ethyl"),
    ("C(C)Cc1ccccc1", M, M, "alpha-methylphenethyl"),
    ("CC(C)c1ccccc1", M, M, "beta-methylphenethyl"),
    ("CC(O)c1ccccc1", M, M, "beta-hydroxyphenethyl"),
    ("CC(OC)c1ccccc1", M, M, "beta-methoxyphenethyl"),
    ("CC(F)c1ccccc1", M, M, "beta-fluorophenethyl"),
    ("CC(N)c1ccccc1", M, M, "beta-aminophenethyl"),
    ("CC(C=C)c1ccccc1", M, M, "beta-vinylphenethyl"),
    ("CC(CO)c1ccccc1", M, A, "beta-hydroxymethylphenethyl"),
    ("CC(CN)c1ccccc1", M, A, "beta-aminomethylphenethyl"),
    ("CC(C1CC1)c1ccccc1", M, A, "beta-cyclopropylphenethyl"),
    ("CC(OCC=C)c1ccccc1", M, A, "beta-allyloxyphenethyl"),
    ("CC(OC=C)c1ccccc1", M, A, "beta-vinyloxyphenethyl"),
    ("CC(C=CCl)c1ccccc1", M, A, "beta-(2-chlorovinyl)phenethyl"),
    ("CC(OC(F)(F)F)c1ccccc1", M, A, "beta-trifluoromethoxyphenethyl"),
    ("CC(SC)c1ccccc1", M, X, "beta-methylthiophenethyl"),
    ("CC(C#N)c1ccccc1", M, X, "beta-cyanophenethyl"),
    ("CC(COC)c1ccccc1", M, X, "beta-methoxymethylphenethyl (an ether: (B) lists none)"),
    ("Cc1ccccc1", M, X, "benzyl"),
    ("CCCc1ccccc1", M, X, "3-phenylpropyl"),
    ("CCOc1ccccc1", M, X, "2-phenoxyethyl"),
    ("C", M, X, "methyl"),
    ("CCCC", M, X, "butyl"),
    ("C(=O)OC(C)(C)C", M, X, "Boc"),
    ("CC(=O)c1ccccc1", M, X, "phenacyl"),
    ("CCc1ccc2ccccc2c1", M, X, "2-(2-naphthyl)ethyl (fused)"),
    ("CCc1ccc2c(c1)OCO2", M, A, "2-(benzodioxolyl)ethyl (benzene fused to a non-aromatic ring)"),
]
# Substituents on the phenethyl's benzene (US: (B) when its kind is a (B) word, else the
# (A) broad reading: rule 7; China 4 in every case).
RING_SUB = [
    ("F", "B"), ("Cl", "B"), ("Br", "B"), ("C", "B"), ("CC", "B"), ("OC", "B"), ("O", "B"),
    ("N", "B"), ("[N+](=O)[O-]", "B"), ("C(F)(F)F", "B"), ("C=C", "B"),
    ("CO", "A"), ("CN", "A"), ("C1CC1", "A"), ("SC", "A"), ("NN", "A"),
    ("C[N+](=O)[O-]", "A"), ("C(=O)OCc1ccccc1", "A"), ("C=CCl", "A"), ("OCC=C", "A"),
    ("OC(F)(F)F", "A"), ("C#N", "A"), ("C(=O)O", "A"), ("C(C)=O", "A"),
]
# Substituents on piperidine carbons (China 3, US C): rule 6.
PIP_SUB = [
    ("C", M, "methyl"), ("CC", M, "ethyl"), ("C=C", M, "vinyl"), ("CC=C", M, "allyl"),
    ("OC", M, "methoxy"), ("C(=O)OC", M, "methoxycarbonyl"), ("COC(C)=O", M, "acetoxymethyl"),
    ("COC", M, "methoxymethyl"), ("O", M, "hydroxy"), ("F", M, "fluoro"), ("Cl", M, "chloro"),
    ("C(F)(F)F", M, "trifluoromethyl"), ("N", M, "amino"), ("NC", M, "methylamino"),
    ("[N+](=O)[O-]", M, "nitro"),
    ("CO", A, "hydroxymethyl"), ("CN", A, "aminomethyl"), ("C1CC1", A, "cyclopropyl"),
    ("C=CCl", A, "2-chlorovinyl"), ("OCC=C", A, "allyloxy"), ("OC=C", A, "vinyloxy"),
    ("OC(F)(F)F", A, "trifluoromethoxy"), ("COC=C", A, "vinyloxymethyl"),
    ("c1ccccc1", X, "phenyl"), ("Cc1ccccc1", X, "benzyl"), ("C#N", X, "cyano"),
    ("C(=O)O", X, "carboxy"), ("C(N)=O", X, "carbamoyl"), ("SC", X, "methylthio"),
    ("C#C", X, "ethynyl"),
]
PIP_POS = ["3", "2", "4"]

COUNTER_IONS = [  # (as written beside the protonated base, name, size)
    ("[Cl-]", "hydrochloride", "small"),
    ("[Br-]", "hydrobromide", "small"),
    ("OC(=O)CC(O)(CC(=O)O)C(=O)[O-]", "citrate", "small"),
    ("OC(=O)C(=O)[O-]", "oxalate", "small"),
    ("CS(=O)(=O)[O-]", "mesylate", "small"),
    ("OC(=O)/C=C/C(=O)[O-]", "fumarate", "small"),
    ("OS(=O)(=O)[O-]", "hydrogen sulfate", "small"),
    ("[O-]C(=O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O", "pamoate", "large"),
    ("CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)[O-]", "docusate", "large"),
    ("CCCCCCCCCCCCCCCCCC(=O)[O-]", "stearate", "large"),
    ("[B-](c1ccccc1)(c1ccccc1)(c1ccccc1)c1ccccc1", "tetraphenylborate", "large"),
    ("[O-]S(=O)(=O)c1cccc2c(S(=O)(=O)O)cccc12", "napadisilate", "large"),
]
NEUTRAL_PARTNERS = [  # mixtures with an uncontrolled component, and solvates
    ("O", "hydrate"), ("O.O", "dihydrate"), ("CCO", "ethanol solvate"),
    ("CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "mixture with caffeine"),
    ("OCC1OC(O)C(O)C(O)C1O", "mixture with glucose"),
    ("CC(=O)Nc1ccc(O)cc1", "mixture with paracetamol"),
    ("OC(=O)CC(O)(CC(=O)O)C(=O)O", "with citric acid (neutral)"),
    ("OC(=O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O", "with pamoic acid (neutral)"),
]
# Skeleton changes and decoys: structure-level negatives (expected no under both texts).
DECOYS = [
    ("CCC(=O)N(c1ccccc1)C1CCCN(CCc2ccccc2)C1", "3-anilidopiperidine (N on C3)"),
    ("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CCC1", "azepane core"),
    ("CCC(=O)N(c1ccccc1)C1CN(CCc2ccccc2)C1", "azetidine core"),
    ("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)C1", "pyrrolidine core"),
    ("CCC(=O)N(c1ccccc1)C1CCN2CCCCC2C1", "quinolizidine (fused piperidine)"),
    ("CCC(=O)N(c1ccccc1)C1CC2CCC(C1)N2CCc1ccccc1", "tropane (bridged piperidine)"),
    ("CCC(=O)N(c1ccccc1)C1CCNCC1", "norfentanyl skeleton (N-H)"),
    ("CCC(=O)N(c1ccccc1)C1=CCN(CCc2ccccc2)CC1", "tetrahydropyridine (unsaturated ring)"),
    ("CCC(=O)N(c1ccccc1)CC1CCN(CCc2ccccc2)CC1", "anilide on a CH2 (not on C4)"),
    ("CCC(=O)Nc1ccccc1", "propionanilide"),
    ("c1ccc(cc1)C1(CCN(CCc2ccccc2)CC1)C(=O)OCC", "pethidine-like 4-phenyl ester"),
    ("CCOC(=O)C1(c2ccccc2)CCN(C)CC1", "pethidine"),
    ("CN1CCC(CC1)c1ccccc1", "1-methyl-4-phenylpiperidine"),
    ("O=C1CCN(CCc2ccccc2)CC1", "NPP skeleton (no anilide)"),
    ("c1ccc(NC2CCN(CCc3ccccc3)CC2)cc1", "4-ANPP skeleton (no acyl)"),
    ("CN1CCCCC1", "N-methylpiperidine"),
    ("C1CCNCC1", "piperidine"),
    ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", "ibuprofen"),
    ("CC(=O)Oc1ccccc1C(=O)O", "aspirin"),
    ("CN1CCC23C4Oc5c(O)ccc(CC1C2C=CC4O)c53", "morphine"),
    ("COc1ccc2CC3N(C)CCC45C(Oc1c24)C(=O)CCC35", "hydrocodone-like"),
    ("CCN(CC)C(=O)C1CN(C)C2Cc3c[nH]c4cccc(C2=C1)c34", "LSD"),
    ("CN(C)CCCN1c2ccccc2CCc2ccccc21", "imipramine"),
    ("O=C(c1ccccc1)C1CCN(CCc2ccccc2)CC1", "4-benzoylpiperidine"),
    ("CCC(=O)C(CC(C)N(C)C)(c1ccccc1)c1ccccc1", "methadone"),
    ("CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "diazepam"),
    ("Clc1ccc(cc1)C(c1ccccc1)N1CCN(CC1)CCOCC(=O)O", "cetirizine"),
    ("CC(C)NCC(O)COc1cccc2ccccc12", "propranolol"),
    ("OC(c1ccccc1)(c1ccccc1)C1CCN(CCCC(=O)c2ccc(F)cc2)CC1", "haloperidol-like"),
    ("CCCC(=O)N(c1ccccc1)C1CCCCC1", "cyclohexyl anilide (no piperidine)"),
]


def canon(smi):
    m = Chem.MolFromMolBlock(smi) if "M  END" in smi else Chem.MolFromSmiles(smi)
    if m is None:
        raise SystemExit(f"RDKit cannot read {smi!r}")
    return m


def fentanyl(acyl, aryl, nsub, pip=None, protonate=False):
    """The analogue's SMILES, written in a fixed order (our atom numbering = this order).
    pip: (position, piece) on the piperidine (C2, C3 or C4)."""
    b = {"2": "", "3": "", "4": ""}
    if pip:
        b[pip[0]] = f"({pip[1]})"
    n1 = "[NH+]" if protonate else "N"
    nsub_part = f"({nsub})" if nsub else ""
    if not nsub and protonate:
        n1 = "[NH2+]"
    head = f"{acyl}N({aryl})" if aryl else f"{acyl}N"
    return f"{head}C9{b['4']}C{b['3']}C{b['2']}{n1}{nsub_part}CC9"


def combine(states):
    """Combine region states into a verdict (closed reading, rule 3)."""
    if X in states:
        return "no"
    if A in states:
        return "AMBIGUOUS"
    if M in states:
        return "yes"
    return "parent"


rows = []  # id, kind, smiles, of, map, cn, us, us_conditions, note


def add(kind, smi, cn, us, usc="", note="", of="", amap=""):
    canon(smi)
    rows.append({"id": f"g{len(rows) + 1}", "kind": kind, "smiles": smi, "of": of, "map": amap,
                 "cn": cn, "us": us, "us_conditions": usc, "note": note})
    return rows[-1]["id"]


def analogue(acyl, aryl, nsub, pip=None, ring_sub=None, kind="analogue"):
    """One analogue: its SMILES and the verdicts combined from its modifications."""
    states_cn, states_us, usc, what = [], [], set(), []
    a_s, a_cn, a_us, a_w = acyl
    r_s, r_cn, r_us, r_w = aryl
    n_s, n_cn, n_us, n_w = nsub
    states_cn += [a_cn, r_cn, n_cn]
    states_us += [a_us, r_us, n_us]
    if a_us == M:
        usc.add("E")
    if r_us == M:
        usc.add("D")
    nsub_smiles = n_s
    if n_us == M:
        usc.add("A" if n_s in ("CCc1cccs1", "CCc1ccccn1", "CCC1CCCCC1", "CCc1ccoc1") else "B")
    what += [a_w, r_w, n_w]
    if ring_sub is not None:
        piece, letter = ring_sub
        # on the benzene of an unchanged phenethyl: para position
        nsub_smiles = f"CCc8ccc({piece})cc8"
        states_cn.append(M)
        states_us.append(M)
        usc.add(letter)
        what.append(f"4-{piece} on the phenethyl benzene")
    if pip is not None:
        pos, piece, st, w = pip
        states_cn.append(st)
        states_us.append(st)
        if st == M:
            usc.add("C")
        what.append(f"{w} on piperidine C{pos}")
    smi = fentanyl(a_s, r_s, nsub_smiles, (pip[0], pip[1]) if pip else None)
    cn, us = combine(states_cn), combine(states_us)
    return add(kind, smi, cn, us, ";".join(sorted(usc)) if us == "yes" else "", "; ".join(what))


P_ACYL, P_ARYL, P_NSUB = ACYL[0], ARYL[0], NSUB[0]

# 1. Fentanyl itself and single modifications of every region.
base_ids = [analogue(P_ACYL, P_ARYL, P_NSUB, kind="reference")]
for a in ACYL[1:]:
    base_ids.append(analogue(a, P_ARYL, P_NSUB, kind="single"))
for r in ARYL[1:]:
    base_ids.append(analogue(P_ACYL, r, P_NSUB, kind="single"))
for n in NSUB[1:]:
    base_ids.append(analogue(P_ACYL, P_ARYL, n, kind="single"))
for rs in RING_SUB:
    base_ids.append(analogue(P_ACYL, P_ARYL, P_NSUB, ring_sub=rs, kind="single"))
for pos in PIP_POS:
    for piece, st, w in PIP_SUB:
        base_ids.append(analogue(P_ACYL, P_ARYL, P_NSUB, pip=(pos, piece, st, w), kind="single"))
# hydrogen in place of a region
add("single", "N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", "no", "no", note="no acyl (4-ANPP)")
add("single", "CCC(=O)NC1CCN(CCc2ccccc2)CC1", "no", "no", note="no aryl")
add("single", "CCC(=O)N(c1ccccc1)C1CCNCC1", "no", "no", note="N-H piperidine (norfentanyl)")

# 2. Paired modifications: every pair of regions, all combinations.
pairs = []
for a in ACYL[1:]:
    for r in ARYL[1:]:
        pairs.append((a, r, P_NSUB, None, None))
for a in ACYL[1:]:
    for n in NSUB[1:]:
        pairs.append((a, P_ARYL, n, None, None))
for r in ARYL[1:]:
    for n in NSUB[1:]:
        pairs.append((P_ACYL, r, n, None, None))
for pos in PIP_POS:
    for p in PIP_SUB:
        for a in ACYL[1:]:
            pairs.append((a, P_ARYL, P_NSUB, (pos,) + p, None))
        for r in ARYL[1:]:
            pairs.append((P_ACYL, r, P_NSUB, (pos,) + p, None))
        for n in NSUB[1:]:
            pairs.append((P_ACYL, P_ARYL, n, (pos,) + p, None))
for p in PIP_SUB:
    for rs in RING_SUB:
        pairs.append((P_ACYL, P_ARYL, P_NSUB, ("3",) + p, rs))
for a, r, n, p, rs in pairs:
    base_ids.append(analogue(a, r, n, pip=p, ring_sub=rs, kind="pair"))


def expected_of(rid):
    row = next(x for x in rows if x["id"] == rid)
    return row


# 3. Solvates and mixtures with an uncontrolled component, of a sample.
sample = rng.sample(base_ids, 400) + base_ids[:1]
for rid in sample:
    b = expected_of(rid)
    for partner, name in rng.sample(NEUTRAL_PARTNERS, 2):
        add("mixture", f"{b['smiles']}.{partner}", b["cn"], b["us"], b["us_conditions"], name, of=rid)


def protonate_ring_n(smi):
    """The base with its ring nitrogen protonated (atom order unchanged)."""
    m = Chem.MolFromSmiles(smi)
    for a in m.GetAtoms():
        if a.GetSymbol() == "N" and a.IsInRing() and not a.GetIsAromatic() and a.GetDegree() == 3 and a.GetFormalCharge() == 0:
            if all(n.GetSymbol() == "C" for n in a.GetNeighbors()):
                a.SetFormalCharge(1)
                a.SetNumExplicitHs(1)
                break
    return Chem.MolToSmiles(m, canonical=False)


for rid in sample:
    b = expected_of(rid)
    cation = protonate_ring_n(b["smiles"])
    add("cation", cation, b["cn"], b["us"], b["us_conditions"], "protonated", of=rid)
    for ci, name, size in rng.sample(COUNTER_IONS, 4):
        add(f"salt_{size}", f"{cation}.{ci}", b["cn"], b["us"], b["us_conditions"], name, of=rid)
        # the counter-ion written first: the base is not the first component
        add(f"salt_{size}", f"{ci}.{cation}", b["cn"], b["us"], b["us_conditions"], name + " (anion first)", of=rid)
    # 2:1 salt with a dianion
    add("salt_large", f"{cation}.{cation}.[O-]C(=O)c1cc2ccccc2c(Cc2c(O)c(C([O-])=O)cc3ccccc23)c1O",
        b["cn"], b["us"], b["us_conditions"], "pamoate 2:1", of=rid)

# 4. Isotopologues and stereoisomers.
for rid in rng.sample(base_ids, 300):
    b = expected_of(rid)
    m = Chem.AddHs(canon(b["smiles"]))
    hs = [a.GetIdx() for a in m.GetAtoms() if a.GetSymbol() == "H"]
    for h in rng.sample(hs, min(5, len(hs))):
        m.GetAtomWithIdx(h).SetIsotope(2)
    d = Chem.MolToSmiles(Chem.RemoveHs(m, updateExplicitCount=False), canonical=False)
    add("isotopologue", d, b["cn"], b["us"], b["us_conditions"], "deuterated", of=rid)
    m = canon(b["smiles"])
    c = [a.GetIdx() for a in m.GetAtoms() if a.GetSymbol() == "C"]
    m.GetAtomWithIdx(rng.choice(c)).SetIsotope(13)
    add("isotopologue", Chem.MolToSmiles(m, canonical=False), b["cn"], b["us"], b["us_conditions"], "13C", of=rid)
stereo = 0
for rid in base_ids:
    if stereo >= 400:
        break
    b = expected_of(rid)
    m = canon(b["smiles"])
    isomers = list(EnumerateStereoisomers(m, options=StereoEnumerationOptions(onlyUnassigned=True, maxIsomers=4)))
    for iso in isomers:
        smi = Chem.MolToSmiles(iso, canonical=False)
        if "@" in smi or "/" in smi:
            add("stereoisomer", smi, b["cn"], b["us"], b["us_conditions"], "stereoisomer", of=rid)
            stereo += 1

# 5. Decoys and skeleton changes, alone and as salts.
for smi, name in DECOYS:
    rid = add("decoy", smi, "no", "no", note=name)
    for ci, cname, size in rng.sample(COUNTER_IONS, 2):
        add("decoy_salt", f"{protonate_ring_n(smi)}.{ci}", "no", "no", note=f"{name} {cname}", of=rid)


# 6. Re-spellings with atom maps: random atom order, Kekule, explicit H, molfile.
def respell(rid, how):
    b = expected_of(rid)
    m = canon(b["smiles"])
    if how == "molfile":
        perm = list(range(m.GetNumAtoms()))
        rng.shuffle(perm)
        r = Chem.RenumberAtoms(m, perm)
        return Chem.MolToMolBlock(r), " ".join(str(p) for p in perm)
    if how == "kekule":
        Chem.Kekulize(m, clearAromaticFlags=True)
    if how == "explicit_h":
        m = Chem.AddHs(m)
    smi = Chem.MolToSmiles(m, canonical=False, doRandom=True, kekuleSmiles=(how == "kekule"),
                           allHsExplicit=(how == "explicit_h"))
    order = [int(x) for x in m.GetProp("_smilesAtomOutputOrder").strip("[]").split(",") if x]
    heavy = [o for o in order if m.GetAtomWithIdx(o).GetAtomicNum() != 1 or m.GetAtomWithIdx(o).GetIsotope()]
    return smi, " ".join(str(o) for o in heavy)


spell_sample = [r["id"] for r in rows if r["kind"] in ("single", "pair", "reference", "isotopologue", "stereoisomer", "decoy")]
for rid in rng.sample(spell_sample, 1200):
    b = expected_of(rid)
    for how in ("random", "random", "kekule", "explicit_h") + (("molfile",) if rng.random() < 0.25 else ()):
        if how == "explicit_h" and b["kind"] == "isotopologue":
            continue  # explicit H and isotope H would not map one to one
        if how == "molfile" and ("@" in b["smiles"] or "/" in b["smiles"] or "\\" in b["smiles"]):
            continue  # molfile stereo is not read (documented limit)
        smi, amap = respell(rid, how)
        add(f"respelling_{how}", smi, b["cn"], b["us"], b["us_conditions"], how, of=rid, amap=amap)

os.makedirs(os.path.dirname(out_path), exist_ok=True)
buf = io.StringIO()
w = csv.DictWriter(buf, fieldnames=["id", "kind", "smiles", "of", "map", "cn", "us", "us_conditions", "note"], lineterminator="\n")
w.writeheader()
w.writerows(rows)
with gzip.GzipFile(out_path, "wb", mtime=0) as f:
    f.write(buf.getvalue().encode())
kinds = {}
for r in rows:
    kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
print(f"{len(rows)} inputs -> {out_path}")
for k, v in sorted(kinds.items()):
    print(f"  {k}: {v}")

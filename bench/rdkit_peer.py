"""The RDKit peer for bench/screen_vs_rdkit.py: the same work as `fentguard screen`
(parse with sanitisation, standardise, judge the China 2019 and US generic definitions
with the same closed reading) written with RDKit, so both can be timed and compared
molecule by molecule. Outcomes only (explanations are not ported)."""

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

MATCH, NO, AMB = "match", "no_match", "ambiguous"
UNCH, MET, AMBIG, UNL = 0, 1, 2, 3

PIP_ALLOWED = {"alkyl", "alkenyl", "alkoxy", "ester", "ether", "hydroxyl", "halo", "haloalkyl", "amino", "nitro"}
PIP_AMBIG = {"hydroxyalkyl", "aminoalkyl", "cycloalkyl", "ester_with_ring"}
B_ALLOWED = {"alkyl", "alkenyl", "alkoxy", "hydroxyl", "halo", "haloalkyl", "amino", "nitro"}
B_AMBIG = {"hydroxyalkyl", "aminoalkyl", "cycloalkyl"}

_chooser = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
_uncharger = rdMolStandardize.Uncharger()


def standardise(mol):
    mol = _chooser.choose(mol)
    mol = _uncharger.uncharge(mol)
    for a in mol.GetAtoms():
        a.SetIsotope(0)
    Chem.RemoveStereochemistry(mol)
    return Chem.RemoveHs(mol)


def grow(mol, frm, attach, stop):
    atoms, seen = [attach], {frm, attach}
    k = 0
    while k < len(atoms):
        for n in mol.GetAtomWithIdx(atoms[k]).GetNeighbors():
            i = n.GetIdx()
            if i not in stop and i not in seen:
                seen.add(i)
                atoms.append(i)
        k += 1
    return atoms


def single(mol, a, b):
    bd = mol.GetBondBetweenAtoms(a, b)
    return bd is not None and bd.GetBondType() == Chem.BondType.SINGLE


def classify_group(mol, frm, atoms):
    attach = atoms[0]
    A = mol.GetAtomWithIdx
    s = set(atoms)
    bd = mol.GetBondBetweenAtoms(frm, attach)
    if bd.GetBondType() != Chem.BondType.SINGLE:
        return "oxo" if A(attach).GetSymbol() == "O" else "other"
    if A(attach).GetSymbol() == "O" and A(attach).GetFormalCharge() < 0 and A(frm).GetFormalCharge() > 0:
        return "n_oxide"
    ri = mol.GetRingInfo()
    has_ring = any(ri.NumAtomRings(a) > 0 for a in atoms)
    has_arom = any(A(a).GetIsAromatic() for a in atoms)

    def is_carbonyl(a):
        return A(a).GetSymbol() == "C" and any(
            n.GetSymbol() == "O" and mol.GetBondBetweenAtoms(a, n.GetIdx()).GetBondType() == Chem.BondType.DOUBLE
            for n in A(a).GetNeighbors())

    carbonyls = [a for a in atoms if is_carbonyl(a)]

    def is_ester(c):
        for n in A(c).GetNeighbors():
            if n.GetSymbol() == "O" and mol.GetBondBetweenAtoms(c, n.GetIdx()).GetBondType() == Chem.BondType.SINGLE:
                if any(m.GetIdx() != c and m.GetSymbol() == "C" for m in n.GetNeighbors()):
                    return True
        return False

    if has_ring:
        if any(is_ester(c) for c in carbonyls):
            return "ester_with_ring"
        if has_arom:
            return "aryl" if A(attach).GetIsAromatic() else "arylalkyl"
        carbo = all(A(a).GetSymbol() == "C" for a in atoms) and all(
            b.GetBondType() == Chem.BondType.SINGLE for b in mol.GetBonds()
            if b.GetBeginAtomIdx() in s and b.GetEndAtomIdx() in s)
        return "cycloalkyl" if carbo else "other"
    sym = [A(a).GetSymbol() for a in atoms]
    nC, nO, nN, nS = sym.count("C"), sym.count("O"), sym.count("N"), sym.count("S")
    nHal = sum(1 for x in sym if x in ("F", "Cl", "Br", "I", "At"))
    nOther = len(atoms) - nC - nO - nN - nS - nHal
    if len(atoms) == 1:
        x = sym[0]
        return {"O": "hydroxyl", "N": "amino", "C": "alkyl"}.get(x, "halo" if nHal else "other")
    if nOther:
        return "other"
    if nS:
        return "alkylthio" if (sym[0] == "S" and nS == 1 and nO == 0 and nN == 0 and nHal == 0) else "other"
    inner = [b for b in mol.GetBonds() if b.GetBeginAtomIdx() in s and b.GetEndAtomIdx() in s]
    if any(b.GetBondType() == Chem.BondType.TRIPLE for b in inner):
        return "cyano" if nN else "alkynyl"
    if sym[0] == "N" and nO == 2 and len(atoms) == 3:
        return "nitro"
    if carbonyls:
        if nN == 0 and nHal == 0 and all(is_ester(c) for c in carbonyls):
            return "ester"
        for c in carbonyls:
            for n in A(c).GetNeighbors():
                if n.GetSymbol() == "O" and mol.GetBondBetweenAtoms(c, n.GetIdx()).GetBondType() == Chem.BondType.SINGLE and n.GetDegree() == 1:
                    return "carboxylic_acid"
        if any(n.GetSymbol() == "N" for c in carbonyls for n in A(c).GetNeighbors()):
            return "carbamoyl"
        return "acyl"
    dbl = [b for b in inner if b.GetBondType() == Chem.BondType.DOUBLE]
    if any(b.GetBeginAtom().GetSymbol() != "C" or b.GetEndAtom().GetSymbol() != "C" for b in dbl):
        return "other"
    a0 = sym[0]
    if a0 == "C" and nO == 0 and nN == 0 and nHal == 0:
        return "alkenyl" if dbl else "alkyl"
    if a0 == "C" and nO == 0 and nN == 0:
        return "haloalkyl"
    if a0 == "O" and nN == 0 and nHal == 0:
        return "other" if any(a != attach and A(a).GetSymbol() == "O" and A(a).GetTotalNumHs() > 0 for a in atoms) else "alkoxy"
    if a0 == "C" and nN == 0 and nHal == 0:
        return "hydroxyalkyl" if any(A(a).GetSymbol() == "O" and A(a).GetTotalNumHs() > 0 for a in atoms) else "ether"
    if a0 == "N" and nO == 0 and nN == 1 and nHal == 0:
        return "amino"
    if a0 == "C" and nO == 0 and nHal == 0:
        return "aminoalkyl"
    return "other"


def smallest_ring(mol, a):
    rs = [r for r in mol.GetRingInfo().AtomRings() if a in r]
    return min(rs, key=len) if rs else None


def ring_system(mol, a):
    rings = mol.GetRingInfo().AtomRings()
    members = [i for i, r in enumerate(rings) if a in r]
    k = 0
    while k < len(members):
        cur = rings[members[k]]
        k += 1
        for i, r in enumerate(rings):
            if i not in members and any(x in cur for x in r):
                members.append(i)
    return [rings[i] for i in members]


def is_benzene(mol, ring):
    return len(ring) == 6 and all(mol.GetAtomWithIdx(a).GetSymbol() == "C" and mol.GetAtomWithIdx(a).GetIsAromatic() for a in ring)


def ring_subs(mol, ring, exclude):
    stop = set(ring) | set(exclude)
    out = []
    for a in ring:
        for n in mol.GetAtomWithIdx(a).GetNeighbors():
            if n.GetIdx() not in stop:
                out.append((a, grow(mol, a, n.GetIdx(), stop)))
    return out


def aryl_state(mol, frm, atoms):
    a = atoms[0]
    ring = smallest_ring(mol, a)
    if ring is None or not all(mol.GetAtomWithIdx(x).GetIsAromatic() for x in ring):
        return UNL
    sysr = ring_system(mol, a)
    if len(sysr) > 1:
        other_arom = any(all(mol.GetAtomWithIdx(x).GetIsAromatic() for x in r) for r in sysr if tuple(r) != tuple(ring))
        return UNL if other_arom else AMBIG
    if is_benzene(mol, ring) and not ring_subs(mol, ring, [frm]):
        return UNCH
    return MET


def acyl_state(mol, frm, atoms):
    c = atoms[0]
    A = mol.GetAtomWithIdx(c)

    def dbl(sym):
        return sum(1 for n in A.GetNeighbors() if n.GetSymbol() == sym and mol.GetBondBetweenAtoms(c, n.GetIdx()).GetBondType() == Chem.BondType.DOUBLE)

    if A.GetSymbol() == "S" and dbl("O") == 2:
        return AMBIG
    if A.GetSymbol() != "C" or mol.GetRingInfo().NumAtomRings(c) > 0:
        return UNL
    if dbl("S") == 1:
        return AMBIG
    if dbl("O") != 1:
        return UNL
    others = [n.GetIdx() for n in A.GetNeighbors() if n.GetIdx() != frm and not (
        n.GetSymbol() == "O" and mol.GetBondBetweenAtoms(c, n.GetIdx()).GetBondType() == Chem.BondType.DOUBLE)]
    if not others:
        return MET
    if len(others) > 1:
        return UNL
    r = others[0]
    s = mol.GetAtomWithIdx(r).GetSymbol()
    if s == "C":
        R = mol.GetAtomWithIdx(r)
        prop = len(atoms) == 4 and R.GetDegree() == 2 and single(mol, c, r) and any(
            n.GetIdx() != c and n.GetSymbol() == "C" and n.GetDegree() == 1 and single(mol, r, n.GetIdx()) for n in R.GetNeighbors())
        return UNCH if prop else MET
    if s == "O":
        return MET
    return AMBIG


def group_state(kind, allowed, ambig):
    return MET if kind in allowed else (AMBIG if kind in ambig else UNL)


def is_phenethyl(mol, frm, atoms):
    if len(atoms) != 8:
        return False
    c1 = atoms[0]
    A = mol.GetAtomWithIdx
    ri = mol.GetRingInfo()
    if A(c1).GetSymbol() != "C" or A(c1).GetDegree() != 2 or ri.NumAtomRings(c1):
        return False
    c2 = [n.GetIdx() for n in A(c1).GetNeighbors() if n.GetIdx() != frm][0]
    if A(c2).GetSymbol() != "C" or A(c2).GetDegree() != 2 or ri.NumAtomRings(c2) or not single(mol, c1, c2):
        return False
    r = [n.GetIdx() for n in A(c2).GetNeighbors() if n.GetIdx() != c1][0]
    ring = smallest_ring(mol, r)
    return ring is not None and is_benzene(mol, ring) and all(x == r or A(x).GetDegree() == 2 for x in ring) and ri.NumAtomRings(r) == 1


def us_phenethyl(mol, frm, atoms):
    n1, c1 = frm, atoms[0]
    A = mol.GetAtomWithIdx
    ri = mol.GetRingInfo()
    if A(c1).GetSymbol() != "C" or ri.NumAtomRings(c1) or not single(mol, n1, c1):
        return [UNL]
    if any(n.GetIdx() != n1 and ri.NumAtomRings(n.GetIdx()) for n in A(c1).GetNeighbors()):
        return [UNL]
    best = None
    for n2 in A(c1).GetNeighbors():
        c2 = n2.GetIdx()
        if c2 == n1 or n2.GetSymbol() != "C" or ri.NumAtomRings(c2) or not single(mol, c1, c2):
            continue
        for nr in n2.GetNeighbors():
            r = nr.GetIdx()
            if not ri.NumAtomRings(r) or not single(mol, c2, r):
                continue
            states = []
            ring = smallest_ring(mol, r)
            stop = {n1, c1, c2} | set(ring)
            for atom in (c1, c2):
                for n in A(atom).GetNeighbors():
                    if n.GetIdx() not in stop:
                        states.append(group_state(classify_group(mol, atom, grow(mol, atom, n.GetIdx(), stop)), B_ALLOWED, B_AMBIG))
            sysr = ring_system(mol, r)
            if len(sysr) > 1:
                fused_arom = any(all(A(x).GetIsAromatic() for x in rr) for rr in sysr if tuple(rr) != tuple(ring))
                states.append(AMBIG if (is_benzene(mol, ring) and not fused_arom) else UNL)
            else:
                subs = ring_subs(mol, ring, [c2])
                if is_benzene(mol, ring):
                    js = [group_state(classify_group(mol, a, g), B_ALLOWED, B_AMBIG) for a, g in subs]
                    if any(j == UNL for j in js):
                        states.append(MET)
                    else:
                        states.extend(js)
                else:
                    states.append(MET)
            if best is None or max(states, default=UNCH) < max(best, default=UNCH):
                best = states
    return best if best is not None else [UNL]


def judge(mol, cn):
    ri = mol.GetRingInfo()
    results = []
    for ring in ri.AtomRings():
        if len(ring) != 6:
            continue
        syms = [mol.GetAtomWithIdx(a).GetSymbol() for a in ring]
        if syms.count("N") != 1 or syms.count("C") != 5:
            continue
        if not all(single(mol, ring[i], ring[(i + 1) % 6]) for i in range(6)):
            continue
        if any(ri.NumAtomRings(a) != 1 for a in ring):
            continue
        s = syms.index("N")
        o = [ring[(s + k) % 6] for k in range(6)]
        n1, c4 = o[0], o[3]
        for nb in mol.GetAtomWithIdx(c4).GetNeighbors():
            an = nb.GetIdx()
            if nb.GetSymbol() != "N" or ri.NumAtomRings(an) or not single(mol, c4, an):
                continue
            results.append(judge_core(mol, o, an, cn))
    if not results:
        return NO
    order = {MATCH: 3, AMB: 2, NO: 1}
    return max(results, key=lambda r: order[r])


def judge_core(mol, o, an, cn):
    ring = set(o)
    scaffold = ring | {an}
    n1, c4 = o[0], o[3]
    A = mol.GetAtomWithIdx
    ang = [grow(mol, an, n.GetIdx(), scaffold) for n in A(an).GetNeighbors() if n.GetIdx() != c4]
    readings = []
    if A(an).GetFormalCharge() != 0:
        readings.append([UNL])
    elif len(ang) == 2:
        for i, j in ((0, 1), (1, 0)):
            readings.append([aryl_state(mol, an, ang[i]), acyl_state(mol, an, ang[j])])
    else:
        readings.append([UNL])
    rs = []
    for pos, a in enumerate(o):
        if pos == 0:
            continue
        for n in A(a).GetNeighbors():
            i = n.GetIdx()
            if i in ring or (a == c4 and i == an):
                continue
            rs.append(group_state(classify_group(mol, a, grow(mol, a, i, scaffold)), PIP_ALLOWED, PIP_AMBIG))
    ng = [grow(mol, n1, n.GetIdx(), scaffold) for n in A(n1).GetNeighbors() if n.GetIdx() not in ring]
    nreads = []
    if not ng:
        nreads.append([UNL])
    else:
        for i in range(len(ng)):
            g = ng[i]
            if is_phenethyl(mol, n1, g):
                st = [UNCH]
            elif cn:
                st = [MET]
            else:
                st = us_phenethyl(mol, n1, g)
            st = st + [group_state(classify_group(mol, n1, h), PIP_ALLOWED, PIP_AMBIG) for j, h in enumerate(ng) if j != i]
            nreads.append(st)
    best = None
    order = {MATCH: 3, AMB: 2, NO: 1}
    for a in readings:
        for n in nreads:
            worst = max(a + n + rs, default=UNCH)
            res = {UNL: NO, AMBIG: AMB, MET: MATCH, UNCH: NO}[worst]
            if best is None or order[res] > order[best]:
                best = res
    return best


def screen(smiles):
    """(cn, us) outcomes, or None when RDKit cannot read the SMILES."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    mol = standardise(mol)
    return judge(mol, True), judge(mol, False)

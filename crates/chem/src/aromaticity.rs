//! Aromaticity perception following RDKit's default model.
//!
//! Each ring atom donates 0, 1 or 2 pi electrons, decided once per atom from its kekulé
//! bonds (RDKit's `countAtomElec` and donor types: an exocyclic double bond to a more
//! electronegative atom donates nothing, a ring double bond one electron, a lone pair two).
//! A ring is aromatic when every atom is a candidate and the electrons number 4n+2 (n>=1)
//! or exactly 2. Fused systems are also tested as unions of 2..=6 connected SSSR rings,
//! so azulene-like systems whose single rings fail are found; a combination in which
//! one atom lies in three of its rings is not tested (its union has no single perimeter).

use crate::element::Element;
use crate::molecule::{AtomIdx, BondOrder, Molecule};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Donor {
    None,
    Vacant,
    One,
    Two,
}

impl Donor {
    fn electrons(self) -> u32 {
        match self {
            Donor::None | Donor::Vacant => 0,
            Donor::One => 1,
            Donor::Two => 2,
        }
    }
}

/// Largest number of fused rings tested together.
const MAX_FUSED: usize = 6;

/// Clear and recompute aromatic flags on atoms and bonds from the kekulé form.
pub fn perceive(mol: &mut Molecule) {
    for a in &mut mol.atoms {
        a.aromatic = false;
    }
    for b in &mut mol.bonds {
        b.aromatic = false;
    }
    if mol.rings.count() == 0 {
        return;
    }
    let n = mol.atom_count();
    let mut donor = vec![Donor::None; n];
    let mut cand = vec![false; n];
    for a in 0..n as u32 {
        if mol.rings.atom_ring_count(a) == 0 {
            continue;
        }
        let d = donor_type(mol, a);
        donor[a as usize] = d;
        cand[a as usize] = d != Donor::None && is_candidate(mol, a);
    }
    let rings = mol.rings.rings().to_vec();
    let ring_bonds = mol.rings.ring_bonds().to_vec();
    let nr = rings.len();
    let ok_ring: Vec<bool> = rings
        .iter()
        .map(|r| r.iter().all(|&a| cand[a as usize]))
        .collect();
    let mut aromatic_ring = vec![false; nr];
    // Bonds made aromatic by a fused combination: only its perimeter (as RDKit does).
    let mut envelope_bonds: Vec<u32> = Vec::new();
    // Group candidate rings into fused systems (sharing a bond).
    let mut system = vec![usize::MAX; nr];
    let mut systems: Vec<Vec<usize>> = Vec::new();
    for r in 0..nr {
        if !ok_ring[r] || system[r] != usize::MAX {
            continue;
        }
        let id = systems.len();
        let mut members = vec![r];
        system[r] = id;
        let mut k = 0;
        while k < members.len() {
            let cur = members[k];
            k += 1;
            for s in 0..nr {
                if ok_ring[s]
                    && system[s] == usize::MAX
                    && shares_bond(&ring_bonds[cur], &ring_bonds[s])
                {
                    system[s] = id;
                    members.push(s);
                }
            }
        }
        systems.push(members);
    }
    for members in &systems {
        // single rings
        for &r in members {
            if huckel(rings[r].iter().copied(), &donor) {
                aromatic_ring[r] = true;
            }
        }
        let k = members.len();
        if k < 2 {
            continue;
        }
        let max_size = k.min(MAX_FUSED);
        // combinations of 2..=max_size connected rings
        let mut combo = Vec::new();
        let mut fused_aromatic: Vec<usize> = Vec::new();
        for size in 2..=max_size {
            if members
                .iter()
                .all(|&r| aromatic_ring[r] || fused_aromatic.contains(&r))
            {
                break;
            }
            combinations(k, size, &mut combo, &mut |idx: &[usize]| {
                let rs: Vec<usize> = idx.iter().map(|&i| members[i]).collect();
                if rs
                    .iter()
                    .all(|&r| aromatic_ring[r] || fused_aromatic.contains(&r))
                    || !connected(&rs, &ring_bonds)
                {
                    return;
                }
                let mut atoms: Vec<AtomIdx> =
                    rs.iter().flat_map(|&r| rings[r].iter().copied()).collect();
                atoms.sort_unstable();
                // An atom inside three rings of the combination is not on one perimeter.
                if atoms.windows(3).any(|w| w[0] == w[2]) {
                    return;
                }
                atoms.dedup();
                if huckel(atoms.iter().copied(), &donor) {
                    let mut bonds: Vec<u32> = rs
                        .iter()
                        .flat_map(|&r| ring_bonds[r].iter().copied())
                        .collect();
                    bonds.sort_unstable();
                    for (i, &b) in bonds.iter().enumerate() {
                        let dup = (i > 0 && bonds[i - 1] == b) || bonds.get(i + 1) == Some(&b);
                        if !dup {
                            envelope_bonds.push(b);
                        }
                    }
                    for &a in &atoms {
                        mol.atoms[a as usize].aromatic = true;
                    }
                    fused_aromatic.extend(rs.iter().copied());
                }
            });
        }
    }
    for b in envelope_bonds {
        mol.bonds[b as usize].aromatic = true;
    }
    for r in 0..nr {
        if aromatic_ring[r] {
            for &a in &rings[r] {
                mol.atoms[a as usize].aromatic = true;
            }
            for &b in &ring_bonds[r] {
                mol.bonds[b as usize].aromatic = true;
            }
        }
    }
}

fn shares_bond(a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|x| b.contains(x))
}

fn connected(rs: &[usize], ring_bonds: &[Vec<u32>]) -> bool {
    let mut seen = vec![false; rs.len()];
    seen[0] = true;
    let mut stack = vec![0];
    while let Some(i) = stack.pop() {
        for j in 0..rs.len() {
            if !seen[j] && shares_bond(&ring_bonds[rs[i]], &ring_bonds[rs[j]]) {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    seen.iter().all(|&s| s)
}

fn combinations(n: usize, k: usize, buf: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
    fn rec(start: usize, n: usize, k: usize, buf: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
        if buf.len() == k {
            f(buf);
            return;
        }
        for i in start..n {
            if n - i < k - buf.len() {
                break;
            }
            buf.push(i);
            rec(i + 1, n, k, buf, f);
            buf.pop();
        }
    }
    buf.clear();
    rec(0, n, k, buf, f);
}

fn huckel(atoms: impl Iterator<Item = AtomIdx>, donor: &[Donor]) -> bool {
    let e: u32 = atoms.map(|a| donor[a as usize].electrons()).sum();
    if e >= 6 {
        (e - 2).is_multiple_of(4)
    } else {
        e == 2
    }
}

/// RDKit's `countAtomElec`: electrons an atom could put into a pi system, or -1.
fn count_atom_elec(mol: &Molecule, a: AtomIdx) -> i32 {
    let atom = mol.atom(a);
    let dv = atom.element.default_valence();
    if dv <= 1 {
        return -1;
    }
    let degree = mol.degree(a) as i32 + atom.hydrogens as i32;
    if degree > 3 {
        return -1;
    }
    let nlp = (atom.element.outer_electrons() as i32 - dv - atom.charge as i32).max(0);
    let mut res = (dv - degree) + nlp - atom.radicals as i32;
    if res > 1 {
        let explicit_h = if atom.explicit_h {
            atom.hydrogens as i32
        } else {
            0
        };
        let unsat = mol.bond_valence(a) as i32 + explicit_h - mol.degree(a) as i32;
        if unsat > 1 {
            res = 1;
        }
    }
    res
}

fn donor_type(mol: &Molecule, a: AtomIdx) -> Donor {
    let nelec = count_atom_elec(mol, a);
    let atom = mol.atom(a);
    let mut exo_multiple: Option<AtomIdx> = None;
    let mut cyclic_multiple = false;
    for n in mol.neighbours(a) {
        let b = mol.bond(n.bond);
        if b.order.valence() >= 2 {
            if mol.rings.is_ring_bond(n.bond) {
                cyclic_multiple = true;
            } else {
                exo_multiple = Some(n.atom);
            }
        }
    }
    let any_multiple = cyclic_multiple || exo_multiple.is_some();
    match nelec {
        x if x < 0 => Donor::None,
        0 => {
            if exo_multiple.is_some() {
                Donor::Vacant
            } else if cyclic_multiple {
                Donor::One
            } else {
                Donor::None
            }
        }
        1 => {
            if let Some(w) = exo_multiple {
                if mol.atom(w).element.more_electronegative_than(atom.element) {
                    Donor::Vacant
                } else {
                    Donor::One
                }
            } else if any_multiple {
                Donor::One
            } else if atom.charge == 1 {
                Donor::Vacant
            } else {
                Donor::None
            }
        }
        _ => {
            if any_multiple {
                Donor::One
            } else {
                Donor::Two
            }
        }
    }
}

/// RDKit's `isAtomCandForArom` for the default model.
fn is_candidate(mol: &Molecule, a: AtomIdx) -> bool {
    let atom = mol.atom(a);
    let z = atom.element.number();
    if z > 18 && z != 34 && z != 52 {
        return false;
    }
    if z == 0 {
        return false;
    }
    // more than one multiple bond (C1=C=NC=N1): not aromatic
    let multiples = mol
        .neighbours(a)
        .iter()
        .filter(|n| {
            matches!(
                mol.bond(n.bond).order,
                BondOrder::Double | BondOrder::Triple
            )
        })
        .count();
    if multiples > 1 {
        return false;
    }
    // atoms above the default valence of their isoelectronic element are shut out
    let iso = z as i32 - atom.charge as i32;
    if (1..=118).contains(&iso) {
        let dv = Element(iso as u8).default_valence();
        let total = mol.bond_valence(a) as i32 + atom.hydrogens as i32;
        if atom.element.default_valence() > 0 && dv > 0 && total > dv {
            return false;
        }
    }
    true
}

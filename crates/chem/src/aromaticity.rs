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
use crate::limits::{Limit, LimitExceeded, Limits};
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

/// Clear and recompute aromatic flags on atoms and bonds from the kekulé form, after
/// checking that the fused ring combinations to try stay within `limits`.
pub fn perceive_within(mol: &mut Molecule, limits: &Limits) -> Result<(), LimitExceeded> {
    if limits.max_aromatic_combinations != usize::MAX {
        let n = fused_combinations(mol, limits.max_aromatic_combinations);
        limits.check(Limit::AromaticCombinations, n)?;
    }
    perceive(mol);
    Ok(())
}

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
        // Connected combinations only, by size, each size in lexicographic order of
        // member indices: the order a full enumeration of all combinations would test
        // them in, without its cost (40 rings: millions of combinations, a few hundred
        // connected ones in a real fused system).
        let adjacency = ring_adjacency(members, &ring_bonds);
        let mut by_size: Vec<Vec<Vec<usize>>> = vec![Vec::new(); max_size + 1];
        connected_subsets(&adjacency, max_size, usize::MAX, &mut |idx| {
            by_size[idx.len()].push(idx.to_vec());
        });
        let mut fused_aromatic: Vec<usize> = Vec::new();
        for (size, combos) in by_size.iter_mut().enumerate().skip(2) {
            if members
                .iter()
                .all(|&r| aromatic_ring[r] || fused_aromatic.contains(&r))
            {
                break;
            }
            combos.sort_unstable();
            for idx in combos.iter() {
                debug_assert_eq!(idx.len(), size);
                let rs: Vec<usize> = idx.iter().map(|&i| members[i]).collect();
                if rs
                    .iter()
                    .all(|&r| aromatic_ring[r] || fused_aromatic.contains(&r))
                {
                    continue;
                }
                let mut atoms: Vec<AtomIdx> =
                    rs.iter().flat_map(|&r| rings[r].iter().copied()).collect();
                atoms.sort_unstable();
                // An atom inside three rings of the combination is not on one perimeter.
                if atoms.windows(3).any(|w| w[0] == w[2]) {
                    continue;
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
            }
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

/// Which rings (indices into `members`) share a bond with which.
fn ring_adjacency(members: &[usize], ring_bonds: &[Vec<u32>]) -> Vec<Vec<usize>> {
    let mut adj = vec![Vec::new(); members.len()];
    for i in 0..members.len() {
        for j in i + 1..members.len() {
            if shares_bond(&ring_bonds[members[i]], &ring_bonds[members[j]]) {
                adj[i].push(j);
                adj[j].push(i);
            }
        }
    }
    adj
}

/// Call `f` with every connected set of 2..=`max_size` vertices of `adj` (indices in
/// ascending order), each once, and stop after `budget` sets; returns how many were
/// found. Wernicke's ESU: each set is grown from its smallest vertex, with only the
/// exclusive neighbours of the vertex just added as new extensions. Depth is at most
/// `max_size`.
fn connected_subsets(
    adj: &[Vec<usize>],
    max_size: usize,
    budget: usize,
    f: &mut dyn FnMut(&[usize]),
) -> usize {
    struct Search<'a> {
        adj: &'a [Vec<usize>],
        max_size: usize,
        budget: usize,
        found: usize,
        sorted: Vec<usize>,
    }
    impl Search<'_> {
        fn extend(
            &mut self,
            sub: &mut Vec<usize>,
            ext: &[usize],
            root: usize,
            f: &mut dyn FnMut(&[usize]),
        ) {
            if sub.len() >= 2 {
                self.found += 1;
                self.sorted.clear();
                self.sorted.extend_from_slice(sub);
                self.sorted.sort_unstable();
                f(&self.sorted);
            }
            if sub.len() == self.max_size {
                return;
            }
            let mut ext = ext.to_vec();
            while let Some(w) = ext.pop() {
                if self.found >= self.budget {
                    return;
                }
                let mut next = ext.clone();
                for &u in &self.adj[w] {
                    let exclusive = u > root
                        && !sub.contains(&u)
                        && !next.contains(&u)
                        && !sub.iter().any(|&s| self.adj[s].contains(&u));
                    if exclusive && u != w {
                        next.push(u);
                    }
                }
                sub.push(w);
                self.extend(sub, &next, root, f);
                sub.pop();
            }
        }
    }
    let mut s = Search {
        adj,
        max_size,
        budget,
        found: 0,
        sorted: Vec::new(),
    };
    for (root, next) in adj.iter().enumerate() {
        if s.found >= s.budget {
            break;
        }
        let ext: Vec<usize> = next.iter().copied().filter(|&u| u > root).collect();
        let mut sub = vec![root];
        s.extend(&mut sub, &ext, root, f);
    }
    s.found
}

/// How many fused ring combinations aromaticity perception could try in a molecule at
/// most (connected sets of up to six rings sharing bonds, counted up to `budget + 1`):
/// checked against [`Limits::max_aromatic_combinations`] before perception, so that
/// every later perception of the same rings (also after standardisation) stays within it.
pub(crate) fn fused_combinations(mol: &Molecule, budget: usize) -> usize {
    let members: Vec<usize> = (0..mol.rings.count()).collect();
    let adj = ring_adjacency(&members, mol.rings.ring_bonds());
    connected_subsets(&adj, MAX_FUSED, budget.saturating_add(1), &mut |_| {})
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
    let mut res = (dv - degree) + nlp - unpaired(mol, a) as i32;
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

/// Unpaired electrons of an atom: those given, or, for a bracket atom given none, the
/// valence it leaves unfilled (`[N+]` with two single bonds and no H has two, as RDKit
/// assigns them). Without this such an atom counted as an empty p orbital, its ring was
/// called aromatic, and the `[n+]` written for it could not be read back.
fn unpaired(mol: &Molecule, a: AtomIdx) -> u8 {
    let atom = mol.atom(a);
    if atom.radicals > 0 || !atom.explicit_h {
        return atom.radicals;
    }
    let valence = mol.bond_valence(a) as i32 + atom.hydrogens as i32;
    crate::perceive::implicit_h_for(atom.element, atom.charge, valence)
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
    // as RDKit: an atom with unpaired electrons joins an aromatic system only if it is a
    // neutral carbon with one (the phenyl radical `[c]1ccccc1`); `[N]`, `[O+]`, `[Si]`
    // or `[C-]` with a free valence would be written lowercase and not read back
    let radicals = unpaired(mol, a);
    if radicals > 0 && !(z == 6 && atom.charge == 0 && radicals == 1) {
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

//! Canonical atom ranking.
//!
//! Atoms get an invariant (element, degree, hydrogens, charge, isotope, aromaticity,
//! ring membership), refined by neighbour ranks and bond types until stable; the stable
//! partition is the symmetry classes. Stereo parities relative to those classes are added
//! and the partition refined again, then ties are broken one atom at a time (the lowest
//! tied class first) with refinement after each break. Ties that survive refinement are
//! symmetric in ordinary molecules, so which tied atom is picked does not change the
//! output; highly regular graphs where refinement leaves non-symmetric ties are a known
//! limit of this method.

use crate::molecule::{AtomIdx, Chirality, Molecule, IMPLICIT_H};

/// Canonical ranks and the symmetry classes they were derived from.
#[derive(Clone, Debug)]
pub struct Ranking {
    /// Distinct canonical rank per atom (0..n).
    pub ranks: Vec<u32>,
    /// Symmetry class per atom (equal for atoms refinement cannot tell apart).
    pub classes: Vec<u32>,
}

fn bond_code(mol: &Molecule, b: u32) -> u32 {
    let bond = mol.bond(b);
    if bond.aromatic {
        5
    } else {
        bond.order.valence() as u32
    }
}

/// Assign ranks 0..k to atoms sorted by key, equal keys equal ranks (dense rank of the
/// position of the first of each run, so ranks stay comparable across refinements).
fn ranks_from_keys<K: Ord>(keys: &[K]) -> Vec<u32> {
    let n = keys.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    let mut ranks = vec![0u32; n];
    let mut r = 0u32;
    for i in 0..n {
        if i > 0 && keys[order[i] as usize] != keys[order[i - 1] as usize] {
            r = i as u32;
        }
        ranks[order[i] as usize] = r;
    }
    ranks
}

fn count_classes(ranks: &[u32]) -> usize {
    let mut v = ranks.to_vec();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// Refine until the number of classes stops growing.
fn refine(mol: &Molecule, ranks: &mut Vec<u32>) {
    let n = mol.atom_count();
    let mut classes = count_classes(ranks);
    let mut nb: Vec<u64> = Vec::with_capacity(8);
    loop {
        if classes == n {
            return;
        }
        // key = (own rank, sorted neighbour (rank, bond code) list)
        let keys: Vec<(u32, Vec<u64>)> = (0..n as u32)
            .map(|a| {
                nb.clear();
                for x in mol.neighbours(a) {
                    nb.push(((ranks[x.atom as usize] as u64) << 3) | bond_code(mol, x.bond) as u64);
                }
                nb.sort_unstable();
                (ranks[a as usize], nb.clone())
            })
            .collect();
        let new = ranks_from_keys(&keys);
        let c = count_classes(&new);
        *ranks = new;
        if c == classes {
            return;
        }
        classes = c;
    }
}

fn initial_invariants(mol: &Molecule) -> Vec<u64> {
    (0..mol.atom_count() as u32)
        .map(|a| {
            let at = mol.atom(a);
            let deg = mol.degree(a) as u64;
            let ring = mol.rings().atom_ring_count(a).min(7) as u64;
            (deg << 56)
                | ((at.element.number() as u64) << 48)
                | ((at.isotope as u64 & 0x3ff) << 38)
                | (((at.charge as i64 + 16) as u64 & 0x1f) << 33)
                | ((at.hydrogens as u64 & 0xf) << 29)
                | ((at.aromatic as u64) << 28)
                | (ring << 25)
                | ((at.radicals as u64 & 0x3) << 23)
                | (at.atom_class as u64 & 0xffff)
        })
        .collect()
}

/// Parity (0 even, 1 odd) of the permutation taking `from` to `to` (same elements).
pub(crate) fn permutation_parity(from: &[u32], to: &[u32]) -> u32 {
    let mut v: Vec<usize> = to
        .iter()
        .map(|x| from.iter().position(|y| y == x).unwrap_or(0))
        .collect();
    let mut parity = 0;
    for i in 0..v.len() {
        while v[i] != i {
            let j = v[i];
            v.swap(i, j);
            parity ^= 1;
        }
    }
    parity
}

/// Whether a tetrahedral centre is a real stereocentre: all neighbours distinguishable.
pub(crate) fn is_true_centre(neighbours: &[AtomIdx], classes: &[u32]) -> bool {
    let mut keys: Vec<u64> = neighbours
        .iter()
        .map(|&x| {
            if x == IMPLICIT_H {
                u64::MAX
            } else {
                classes[x as usize] as u64
            }
        })
        .collect();
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}

/// Whether a stereo double bond is real: on each end with two substituents, they differ.
pub(crate) fn is_true_double_bond(mol: &Molecule, bond: u32, classes: &[u32]) -> bool {
    let b = mol.bond(bond);
    for (end, other) in [(b.a, b.b), (b.b, b.a)] {
        let subs: Vec<u32> = mol
            .neighbours(end)
            .iter()
            .filter(|x| x.atom != other)
            .map(|x| classes[x.atom as usize])
            .collect();
        if subs.is_empty()
            || (subs.len() == 2 && subs[0] == subs[1] && mol.atom(end).hydrogens == 0)
        {
            return false;
        }
    }
    true
}

/// Stereo label of each atom relative to the current classes (0 = none).
fn stereo_labels(mol: &Molecule, classes: &[u32]) -> Vec<u32> {
    let mut labels = vec![0u32; mol.atom_count()];
    for t in mol.tetrahedral_centres() {
        if !is_true_centre(&t.neighbours, classes) {
            continue;
        }
        let mut sorted = t.neighbours.clone();
        sorted.sort_by_key(|&x| {
            if x == IMPLICIT_H {
                u64::MAX
            } else {
                classes[x as usize] as u64
            }
        });
        let parity = permutation_parity(&t.neighbours, &sorted);
        let cw = (t.chirality == Chirality::Clockwise) as u32;
        labels[t.atom as usize] = 1 + (parity ^ cw);
    }
    for d in mol.double_bond_stereo() {
        if !is_true_double_bond(mol, d.bond, classes) {
            continue;
        }
        let b = mol.bond(d.bond);
        // Express relative to the highest-class substituent on each end.
        let best = |end: AtomIdx, other: AtomIdx| {
            mol.neighbours(end)
                .iter()
                .filter(|x| x.atom != other)
                .max_by_key(|x| classes[x.atom as usize])
                .map(|x| x.atom)
        };
        let (Some(ba), Some(bb)) = (best(b.a, b.b), best(b.b, b.a)) else {
            continue;
        };
        let mut cis = d.cis;
        if ba != d.ref_a {
            cis = !cis;
        }
        if bb != d.ref_b {
            cis = !cis;
        }
        let l = 3 + cis as u32;
        labels[b.a as usize] = labels[b.a as usize].max(l);
        labels[b.b as usize] = labels[b.b as usize].max(l);
    }
    labels
}

/// Compute canonical ranks.
pub fn rank(mol: &Molecule) -> Ranking {
    let n = mol.atom_count();
    let inv = initial_invariants(mol);
    let mut ranks = ranks_from_keys(&inv);
    refine(mol, &mut ranks);
    let classes = ranks.clone();
    if !mol.tetrahedral_centres().is_empty() || !mol.double_bond_stereo().is_empty() {
        let labels = stereo_labels(mol, &classes);
        if labels.iter().any(|&l| l != 0) {
            let keys: Vec<(u32, u32)> = (0..n).map(|i| (ranks[i], labels[i])).collect();
            ranks = ranks_from_keys(&keys);
            refine(mol, &mut ranks);
        }
    }
    // Break ties.
    loop {
        if count_classes(&ranks) == n {
            break;
        }
        let mut sorted: Vec<u32> = ranks.clone();
        sorted.sort_unstable();
        let tied = sorted.windows(2).find(|w| w[0] == w[1]).map(|w| w[0]);
        let Some(t) = tied else { break };
        let pick = (0..n).find(|&i| ranks[i] == t).unwrap_or(0);
        let keys: Vec<(u32, u32)> = (0..n)
            .map(|i| (ranks[i], if ranks[i] == t && i != pick { 1 } else { 0 }))
            .collect();
        ranks = ranks_from_keys(&keys);
        refine(mol, &mut ranks);
    }
    Ranking { ranks, classes }
}

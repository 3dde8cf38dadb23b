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

/// An ordered partition of the atoms into cells of equal rank. The rank of an atom is
/// the position of the first atom of its cell in rank order, so splitting a cell never
/// moves another cell: a refinement round only has to look at the cells next to atoms
/// whose rank changed, and the ranks come out exactly as if every atom were re-sorted
/// every round.
struct Partition {
    /// Rank (cell start) per atom.
    rank: Vec<u32>,
    /// Atoms in rank order; each cell is a contiguous run.
    order: Vec<u32>,
    /// At each cell's start position, the end of the cell (exclusive).
    end: Vec<u32>,
    /// Number of cells.
    cells: usize,
}

impl Partition {
    /// Cells of atoms with equal keys, in key order.
    fn from_keys<K: Ord>(keys: &[K]) -> Partition {
        let n = keys.len();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
        let mut p = Partition {
            rank: vec![0; n],
            order,
            end: vec![0; n],
            cells: 0,
        };
        let mut start = 0;
        for i in 0..=n {
            let boundary =
                i == n || (i > 0 && keys[p.order[i] as usize] != keys[p.order[i - 1] as usize]);
            if boundary && i > start {
                p.end[start] = i as u32;
                p.cells += 1;
                for k in start..i {
                    p.rank[p.order[k] as usize] = start as u32;
                }
                start = i;
            }
        }
        p
    }

    /// Split the cell starting at `start` by the key of each member (`keyed` holds
    /// (key, atom) for every member); pushes the atoms whose rank changed.
    fn split<K: Ord>(&mut self, start: usize, keyed: &mut [(K, u32)], changed: &mut Vec<u32>) {
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut run = start;
        for (i, (key, atom)) in keyed.iter().enumerate() {
            let pos = start + i;
            if i > 0 && *key != keyed[i - 1].0 {
                self.end[run] = pos as u32;
                self.cells += 1;
                run = pos;
            }
            self.order[pos] = *atom;
            if self.rank[*atom as usize] != run as u32 {
                self.rank[*atom as usize] = run as u32;
                changed.push(*atom);
            }
        }
        self.end[run] = (start + keyed.len()) as u32;
    }
}

/// Refine until stable: each round, every cell next to an atom whose rank changed in
/// the last round is split by its members' sorted (neighbour rank, bond) lists, all
/// against the ranks of the last round. `changed` = None: every cell is looked at.
/// An atom's sorted neighbour codes (rank and bond) and the atom itself.
type KeyedAtom = (Vec<u64>, u32);

fn refine(mol: &Molecule, p: &mut Partition, changed: Option<Vec<u32>>) {
    let n = mol.atom_count();
    let mut touched = vec![false; n];
    let mut starts: Vec<usize> = Vec::new();
    match changed {
        None => {
            let mut s = 0;
            while s < n {
                if p.end[s] as usize - s > 1 {
                    starts.push(s);
                }
                s = p.end[s] as usize;
            }
        }
        Some(c) => collect_touched(mol, p, &c, &mut touched, &mut starts),
    }
    let mut codes: Vec<u64> = Vec::new();
    let mut spans: Vec<(usize, usize, u32)> = Vec::new();
    loop {
        if p.cells == n || starts.is_empty() {
            return;
        }
        // Keys from the ranks as they stand (the last round's) for every touched cell,
        // then all splits at once.
        let mut pending: Vec<(usize, Vec<KeyedAtom>)> = Vec::new();
        for &s in &starts {
            codes.clear();
            spans.clear();
            for k in s..p.end[s] as usize {
                let a = p.order[k];
                let from = codes.len();
                for x in mol.neighbours(a) {
                    codes.push(
                        ((p.rank[x.atom as usize] as u64) << 3) | bond_code(mol, x.bond) as u64,
                    );
                }
                codes[from..].sort_unstable();
                spans.push((from, codes.len(), a));
            }
            let first = &codes[spans[0].0..spans[0].1];
            if spans.iter().all(|&(f, t, _)| &codes[f..t] == first) {
                continue;
            }
            let keyed = spans
                .iter()
                .map(|&(f, t, a)| (codes[f..t].to_vec(), a))
                .collect();
            pending.push((s, keyed));
        }
        let mut changed = Vec::new();
        for (s, mut keyed) in pending {
            p.split(s, &mut keyed, &mut changed);
        }
        for &s in &starts {
            touched[s] = false;
        }
        starts.clear();
        collect_touched(mol, p, &changed, &mut touched, &mut starts);
    }
}

/// The starts of the cells (of more than one atom) next to the `changed` atoms.
fn collect_touched(
    mol: &Molecule,
    p: &Partition,
    changed: &[u32],
    touched: &mut [bool],
    starts: &mut Vec<usize>,
) {
    for &a in changed {
        for x in mol.neighbours(a) {
            let s = p.rank[x.atom as usize] as usize;
            if !touched[s] && p.end[s] as usize - s > 1 {
                touched[s] = true;
                starts.push(s);
            }
        }
    }
}

fn initial_invariants(mol: &Molecule) -> Vec<u64> {
    (0..mol.atom_count() as u32)
        .map(|a| {
            let at = mol.atom(a);
            let deg = mol.degree(a) as u64;
            // ring bonds, not SSSR rings: the SSSR of a fused system is not unique, so
            // its per-atom counts differ between spellings of one molecule
            let ring = mol
                .neighbours(a)
                .iter()
                .filter(|x| mol.rings().is_ring_bond(x.bond))
                .count()
                .min(7) as u64;
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
    let mut p = Partition::from_keys(&inv);
    refine(mol, &mut p, None);
    let classes = p.rank.clone();
    if !mol.tetrahedral_centres().is_empty() || !mol.double_bond_stereo().is_empty() {
        let labels = stereo_labels(mol, &classes);
        if labels.iter().any(|&l| l != 0) {
            let mut changed = Vec::new();
            let mut s = 0;
            while s < n {
                let e = p.end[s] as usize;
                if e - s > 1 {
                    let mut keyed: Vec<(u32, u32)> = p.order[s..e]
                        .iter()
                        .map(|&a| (labels[a as usize], a))
                        .collect();
                    p.split(s, &mut keyed, &mut changed);
                }
                s = e;
            }
            refine(mol, &mut p, Some(changed));
        }
    }
    // Break ties: the lowest cell of more than one atom, its lowest-numbered atom first.
    // Cells before it are single atoms and stay so, so the search resumes where it was.
    let mut s = 0;
    while p.cells < n {
        while s < n && p.end[s] as usize - s == 1 {
            s += 1;
        }
        if s >= n {
            break;
        }
        let e = p.end[s] as usize;
        let pick = p.order[s..e].iter().copied().min().unwrap_or(0);
        let mut keyed: Vec<(bool, u32)> = p.order[s..e].iter().map(|&a| (a != pick, a)).collect();
        let mut changed = Vec::new();
        p.split(s, &mut keyed, &mut changed);
        refine(mol, &mut p, Some(changed));
    }
    Ranking {
        ranks: p.rank,
        classes,
    }
}

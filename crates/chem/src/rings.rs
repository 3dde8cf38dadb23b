//! Ring perception: the symmetrized smallest set of smallest rings, as RDKit reports it.
//!
//! Ring bonds are found first (bonds that are not bridges); each ring system (connected
//! set of ring bonds) with one independent cycle is its own ring. Larger systems get
//! Horton-style candidates (a shortest path tree per atom closed by one edge) sorted by
//! size and kept when independent over GF(2) of every strictly smaller cycle (the
//! relevant cycles). This equals the SSSR except in bridged systems, where equally small
//! alternatives are all kept, matching RDKit's symmetrized SSSR (adamantane: 4 rings).

use crate::limits::{Limit, LimitExceeded, Limits};
use crate::molecule::{AtomIdx, BondIdx, Molecule};
use std::collections::VecDeque;

/// Rings of a molecule.
#[derive(Clone, Debug, Default)]
pub struct RingInfo {
    rings: Vec<Vec<AtomIdx>>,
    ring_bonds: Vec<Vec<BondIdx>>,
    atom_ring_count: Vec<u8>,
    bond_ring_count: Vec<u8>,
    atom_min_ring: Vec<u8>,
    bond_in_cycle: Vec<bool>,
    ring_system: Vec<u32>,
}

impl RingInfo {
    /// The rings, each as atoms in cyclic order.
    pub fn rings(&self) -> &[Vec<AtomIdx>] {
        &self.rings
    }

    /// The bonds of each ring.
    pub fn ring_bonds(&self) -> &[Vec<BondIdx>] {
        &self.ring_bonds
    }

    /// Number of SSSR rings.
    pub fn count(&self) -> usize {
        self.rings.len()
    }

    /// Number of SSSR rings containing an atom.
    pub fn atom_ring_count(&self, a: AtomIdx) -> u8 {
        self.atom_ring_count.get(a as usize).copied().unwrap_or(0)
    }

    /// Number of SSSR rings containing a bond.
    pub fn bond_ring_count(&self, b: BondIdx) -> u8 {
        self.bond_ring_count.get(b as usize).copied().unwrap_or(0)
    }

    /// Whether the bond lies on any cycle (not a bridge).
    pub fn is_ring_bond(&self, b: BondIdx) -> bool {
        self.bond_in_cycle.get(b as usize).copied().unwrap_or(false)
    }

    /// Whether the atom lies on any cycle.
    pub fn is_ring_atom(&self, a: AtomIdx) -> bool {
        self.atom_ring_count(a) > 0
    }

    /// Size of the smallest SSSR ring containing the atom, 0 if none.
    pub fn smallest_ring_size(&self, a: AtomIdx) -> u8 {
        self.atom_min_ring.get(a as usize).copied().unwrap_or(0)
    }

    /// Ring-system id of each SSSR ring (rings sharing a bond or atom have the same id).
    pub fn ring_system_of(&self, ring: usize) -> u32 {
        self.ring_system[ring]
    }
}

/// Perceive the SSSR of a molecule (no limits: for structures derived from checked ones).
pub fn perceive(mol: &Molecule) -> RingInfo {
    perceive_within(mol, &Limits::NONE).unwrap_or_default()
}

/// Perceive the SSSR, refusing ring systems beyond `limits` before the candidate search
/// (whose cost grows with atoms times bonds of the system).
pub fn perceive_within(mol: &Molecule, limits: &Limits) -> Result<RingInfo, LimitExceeded> {
    let n = mol.atom_count();
    let nb = mol.bond_count();
    let in_cycle = cycle_bonds(mol);
    let mut info = RingInfo {
        atom_ring_count: vec![0; n],
        bond_ring_count: vec![0; nb],
        atom_min_ring: vec![0; n],
        bond_in_cycle: in_cycle.clone(),
        ..RingInfo::default()
    };
    if !in_cycle.iter().any(|&c| c) {
        return Ok(info);
    }
    // Ring systems: components of the ring-bond graph.
    let mut sys = vec![u32::MAX; n];
    let mut systems: Vec<(Vec<AtomIdx>, Vec<BondIdx>)> = Vec::new();
    for start in 0..n as u32 {
        if sys[start as usize] != u32::MAX {
            continue;
        }
        let has_ring_bond = mol
            .neighbours(start)
            .iter()
            .any(|x| in_cycle[x.bond as usize]);
        if !has_ring_bond {
            continue;
        }
        let id = systems.len() as u32;
        let mut atoms = vec![start];
        let mut bonds = Vec::new();
        sys[start as usize] = id;
        let mut k = 0;
        while k < atoms.len() {
            let a = atoms[k];
            k += 1;
            for x in mol.neighbours(a) {
                if !in_cycle[x.bond as usize] {
                    continue;
                }
                // count each bond once: when seen from its lower-index atom
                if a < x.atom {
                    bonds.push(x.bond);
                }
                if sys[x.atom as usize] == u32::MAX {
                    sys[x.atom as usize] = id;
                    atoms.push(x.atom);
                }
            }
        }
        systems.push((atoms, bonds));
    }
    for (atoms, bonds) in &systems {
        let cyclomatic = (bonds.len() + 1).saturating_sub(atoms.len());
        limits.check(Limit::RingSystemRings, cyclomatic)?;
        if cyclomatic > 1 {
            limits.check(Limit::RingSystemAtoms, atoms.len())?;
        }
    }
    for (sid, (atoms, bonds)) in systems.iter().enumerate() {
        let cyclomatic = bonds.len() + 1 - atoms.len();
        if cyclomatic == 1 {
            let ring = walk_simple_cycle(mol, atoms, &in_cycle);
            push_ring(&mut info, mol, ring, sid as u32);
        } else {
            for ring in system_sssr(mol, atoms, bonds, &in_cycle) {
                push_ring(&mut info, mol, ring, sid as u32);
            }
        }
    }
    Ok(info)
}

fn push_ring(info: &mut RingInfo, mol: &Molecule, ring: Vec<AtomIdx>, system: u32) {
    let size = ring.len() as u8;
    let mut bonds = Vec::with_capacity(ring.len());
    for i in 0..ring.len() {
        let a = ring[i];
        let b = ring[(i + 1) % ring.len()];
        if let Some(bd) = mol.bond_between(a, b) {
            bonds.push(bd);
            info.bond_ring_count[bd as usize] += 1;
        }
    }
    for &a in &ring {
        info.atom_ring_count[a as usize] += 1;
        let m = &mut info.atom_min_ring[a as usize];
        if *m == 0 || size < *m {
            *m = size;
        }
    }
    info.rings.push(ring);
    info.ring_bonds.push(bonds);
    info.ring_system.push(system);
}

/// Bonds on cycles: everything that is not a bridge (iterative Tarjan lowlink).
fn cycle_bonds(mol: &Molecule) -> Vec<bool> {
    let n = mol.atom_count();
    let mut disc = vec![0u32; n];
    let mut low = vec![0u32; n];
    let mut in_cycle = vec![true; mol.bond_count()];
    let mut time = 1u32;
    // (atom, parent bond, next neighbour position)
    let mut stack: Vec<(AtomIdx, u32, usize)> = Vec::new();
    for root in 0..n as u32 {
        if disc[root as usize] != 0 {
            continue;
        }
        disc[root as usize] = time;
        low[root as usize] = time;
        time += 1;
        stack.push((root, u32::MAX, 0));
        while let Some(&mut (a, pbond, ref mut pos)) = stack.last_mut() {
            let nbs = mol.neighbours(a);
            if *pos < nbs.len() {
                let x = nbs[*pos];
                *pos += 1;
                if x.bond == pbond {
                    continue;
                }
                if disc[x.atom as usize] == 0 {
                    disc[x.atom as usize] = time;
                    low[x.atom as usize] = time;
                    time += 1;
                    stack.push((x.atom, x.bond, 0));
                } else {
                    low[a as usize] = low[a as usize].min(disc[x.atom as usize]);
                }
            } else {
                stack.pop();
                if let Some(&(p, _, _)) = stack.last() {
                    low[p as usize] = low[p as usize].min(low[a as usize]);
                    if low[a as usize] > disc[p as usize] {
                        in_cycle[pbond as usize] = false;
                    }
                }
            }
        }
    }
    in_cycle
}

fn walk_simple_cycle(mol: &Molecule, atoms: &[AtomIdx], in_cycle: &[bool]) -> Vec<AtomIdx> {
    let start = *atoms.iter().min().unwrap_or(&0);
    let mut ring = Vec::with_capacity(atoms.len());
    let mut prev = u32::MAX;
    let mut cur = start;
    loop {
        ring.push(cur);
        let next = mol
            .neighbours(cur)
            .iter()
            .filter(|x| in_cycle[x.bond as usize] && x.atom != prev)
            .map(|x| x.atom)
            .min_by_key(|&x| if ring.len() == 1 { x } else { 0 });
        match next {
            Some(nx) if nx != start && ring.len() < atoms.len() => {
                prev = cur;
                cur = nx;
            }
            _ => break,
        }
    }
    ring
}

fn system_sssr(
    mol: &Molecule,
    atoms: &[AtomIdx],
    bonds: &[BondIdx],
    in_cycle: &[bool],
) -> Vec<Vec<AtomIdx>> {
    let m = bonds.len();
    let mut local = vec![u32::MAX; mol.atom_count()];
    for (i, &a) in atoms.iter().enumerate() {
        local[a as usize] = i as u32;
    }
    let mut bond_local = vec![u32::MAX; mol.bond_count()];
    for (i, &b) in bonds.iter().enumerate() {
        bond_local[b as usize] = i as u32;
    }
    let words = m.div_ceil(64);
    let na = atoms.len();
    // Candidate cycles: (size, edge bitset, atom list)
    let mut cands: Vec<(usize, Vec<u64>, Vec<AtomIdx>)> = Vec::new();
    let mut dist = vec![u32::MAX; na];
    let mut parent = vec![u32::MAX; na];
    let mut first = vec![u32::MAX; na];
    let mut queue = VecDeque::new();
    for root in 0..na {
        dist.iter_mut().for_each(|d| *d = u32::MAX);
        dist[root] = 0;
        parent[root] = u32::MAX;
        first[root] = root as u32;
        queue.clear();
        queue.push_back(root as u32);
        while let Some(u) = queue.pop_front() {
            for x in mol.neighbours(atoms[u as usize]) {
                if !in_cycle[x.bond as usize] {
                    continue;
                }
                let v = local[x.atom as usize];
                if v == u32::MAX || dist[v as usize] != u32::MAX {
                    continue;
                }
                dist[v as usize] = dist[u as usize] + 1;
                parent[v as usize] = u;
                first[v as usize] = if u as usize == root {
                    v
                } else {
                    first[u as usize]
                };
                queue.push_back(v);
            }
        }
        for &b in bonds {
            let bd = mol.bond(b);
            let (x, y) = (local[bd.a as usize], local[bd.b as usize]);
            let (dx, dy) = (dist[x as usize], dist[y as usize]);
            if dx == u32::MAX || dy == u32::MAX {
                continue;
            }
            // Only close through edges that are not tree edges, with disjoint paths.
            if parent[x as usize] == y || parent[y as usize] == x {
                continue;
            }
            let disjoint =
                x as usize == root || y as usize == root || first[x as usize] != first[y as usize];
            if !disjoint {
                continue;
            }
            let mut path_x = vec![x];
            let mut c = x;
            while c as usize != root {
                c = parent[c as usize];
                path_x.push(c);
            }
            let mut path_y = vec![y];
            let mut c = y;
            while c as usize != root {
                c = parent[c as usize];
                path_y.push(c);
            }
            // ring: root .. x (reverse of path_x), then y .. root (path_y without root)
            let mut ring: Vec<u32> = path_x.iter().rev().copied().collect();
            ring.extend(path_y.iter().take(path_y.len() - 1));
            // Reject degenerate (a vertex repeated).
            let mut seen = ring.clone();
            seen.sort_unstable();
            if seen.windows(2).any(|w| w[0] == w[1]) {
                continue;
            }
            let mut bits = vec![0u64; words];
            for i in 0..ring.len() {
                let a = atoms[ring[i] as usize];
                let b2 = atoms[ring[(i + 1) % ring.len()] as usize];
                if let Some(bd) = mol.bond_between(a, b2) {
                    let l = bond_local[bd as usize] as usize;
                    bits[l / 64] |= 1 << (l % 64);
                }
            }
            let ring_atoms: Vec<AtomIdx> = ring.iter().map(|&l| atoms[l as usize]).collect();
            cands.push((ring_atoms.len(), bits, ring_atoms));
        }
    }
    cands.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    cands.dedup_by(|a, b| a.1 == b.1);
    // Relevant cycles: a candidate is kept when it is independent (over GF(2)) of all
    // strictly smaller cycles. Equal-size alternatives are all kept, which is what
    // RDKit's symmetrized SSSR reports (adamantane 4 rings, bicyclo[2.2.2]octane 3).
    let mut basis: Vec<(usize, Vec<u64>)> = Vec::new(); // (pivot bit, reduced vector)
    let mut out = Vec::new();
    let mut i = 0;
    while i < cands.len() {
        let size = cands[i].0;
        let mut j = i;
        let mut accepted: Vec<Vec<u64>> = Vec::new();
        while j < cands.len() && cands[j].0 == size {
            let v = reduce(&cands[j].1, &basis);
            if first_bit(&v).is_some() {
                accepted.push(cands[j].1.clone());
                out.push(canonical_ring_order(cands[j].2.clone()));
            }
            j += 1;
        }
        for v in accepted {
            let r = reduce(&v, &basis);
            if let Some(p) = first_bit(&r) {
                basis.push((p, r));
            }
        }
        i = j;
    }
    out
}

fn reduce(bits: &[u64], basis: &[(usize, Vec<u64>)]) -> Vec<u64> {
    let mut v = bits.to_vec();
    for (pivot, bv) in basis {
        if v[pivot / 64] >> (pivot % 64) & 1 == 1 {
            for (w, b) in v.iter_mut().zip(bv) {
                *w ^= b;
            }
        }
    }
    v
}

fn first_bit(v: &[u64]) -> Option<usize> {
    v.iter()
        .enumerate()
        .find(|(_, w)| **w != 0)
        .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
}

/// Rotate a ring so it starts at its lowest atom index (stable output).
fn canonical_ring_order(mut ring: Vec<AtomIdx>) -> Vec<AtomIdx> {
    if let Some(pos) = ring
        .iter()
        .enumerate()
        .min_by_key(|(_, a)| **a)
        .map(|(i, _)| i)
    {
        ring.rotate_left(pos);
    }
    ring
}

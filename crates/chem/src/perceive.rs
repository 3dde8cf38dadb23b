//! From a graph as written to a perceived molecule: explicit hydrogens folded into their
//! heavy atoms, aromatic input turned into a kekulé form, implicit hydrogens, a valence
//! check, rings and RDKit-compatible aromaticity. Every reader ends here, so the same
//! molecule written in kekulé or aromatic form becomes the same `Molecule`.

use crate::aromaticity;
use crate::element::Element;
use crate::limits::{Limit, LimitExceeded, Limits};
use crate::molecule::{AtomIdx, BondOrder, Molecule, MoleculeBuilder, IMPLICIT_H};
use crate::rings;
use thiserror::Error;

/// Why a graph could not be perceived.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PerceiveError {
    /// Aromatic atoms that cannot be given alternating bonds.
    #[error("cannot kekulize the aromatic system containing atom {atom} ({symbol})")]
    Kekulize {
        /// Index (as written) of an atom of the failing system.
        atom: usize,
        /// Its element symbol.
        symbol: String,
    },
    /// An atom with more bonds than allowed.
    #[error("atom {atom} ({symbol}) has valence {valence}, more than allowed ({allowed})")]
    Valence {
        /// Index (as written).
        atom: usize,
        /// Element symbol.
        symbol: String,
        /// Valence found.
        valence: u8,
        /// Allowed valences.
        allowed: String,
    },
    /// Beyond one of the size limits (checked before any costly perception).
    #[error(transparent)]
    TooLarge(#[from] LimitExceeded),
}

/// Perceive a freshly read graph within the default [`Limits`]. Atom indices in errors
/// refer to the builder's atoms.
pub fn finish(builder: MoleculeBuilder) -> Result<Molecule, PerceiveError> {
    finish_with(builder, &Limits::DEFAULT)
}

/// Perceive a freshly read graph, refusing it beyond `limits` before any work that costs
/// more than linear time.
pub fn finish_with(builder: MoleculeBuilder, limits: &Limits) -> Result<Molecule, PerceiveError> {
    let (builder, index_of) = fold_hydrogens(builder);
    limits.check(Limit::Atoms, builder.atoms.len())?;
    limits.check(Limit::Rings, cyclomatic_number(&builder))?;
    let mut mol = builder.into_graph();
    mol.rings = rings::perceive_within(&mol, limits)?;
    let orig = |i: AtomIdx| {
        index_of
            .as_ref()
            .map_or(i as usize, |m| m[i as usize] as usize)
    };
    kekulize(&mut mol).map_err(|a| PerceiveError::Kekulize {
        atom: orig(a),
        symbol: mol.atom(a).element.symbol().to_string(),
    })?;
    assign_implicit_hydrogens(&mut mol);
    check_valences(&mol).map_err(|(a, valence, allowed)| PerceiveError::Valence {
        atom: orig(a),
        symbol: mol.atom(a).element.symbol().to_string(),
        valence,
        allowed,
    })?;
    aromaticity::perceive_within(&mut mol, limits)?;
    cleanup_stereo(&mut mol);
    Ok(mol)
}

/// Bonds minus atoms plus connected components: the number of independent rings, from
/// the bare graph in near-linear time (union-find).
fn cyclomatic_number(b: &MoleculeBuilder) -> usize {
    let n = b.atoms.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    let mut components = n;
    let mut bonds = 0usize;
    for bond in &b.bonds {
        if bond.a as usize >= n || bond.b as usize >= n {
            continue;
        }
        bonds += 1;
        let (ra, rb) = (root(&mut parent, bond.a), root(&mut parent, bond.b));
        if ra != rb {
            parent[ra as usize] = rb;
            components -= 1;
        }
    }
    (bonds + components).saturating_sub(n)
}

/// Remove plain hydrogen atoms bonded to one heavy atom, adding them to its count.
/// Returns the new builder and, when anything was removed, each new atom's old index.
fn fold_hydrogens(mut b: MoleculeBuilder) -> (MoleculeBuilder, Option<Vec<u32>>) {
    if !b.atoms.iter().any(|a| a.element == Element::H) {
        return (b, None);
    }
    let n = b.atoms.len();
    let mut degree = vec![0u32; n];
    let mut partner = vec![u32::MAX; n];
    for bond in &b.bonds {
        degree[bond.a as usize] += 1;
        degree[bond.b as usize] += 1;
        partner[bond.a as usize] = bond.b;
        partner[bond.b as usize] = bond.a;
    }
    let removable: Vec<bool> = (0..n)
        .map(|i| {
            let a = &b.atoms[i];
            a.element == Element::H
                && a.isotope == 0
                && a.charge == 0
                && a.atom_class == 0
                && a.hydrogens == 0
                && degree[i] == 1
                && b.atoms[partner[i] as usize].element != Element::H
                && b.bonds.iter().any(|bd| {
                    (bd.a as usize == i || bd.b as usize == i) && bd.order == BondOrder::Single
                })
        })
        .collect();
    if !removable.iter().any(|&r| r) {
        return (b, None);
    }
    let mut map = vec![u32::MAX; n];
    let mut old_of = Vec::with_capacity(n);
    for i in 0..n {
        if !removable[i] {
            map[i] = old_of.len() as u32;
            old_of.push(i as u32);
        }
    }
    for i in 0..n {
        if removable[i] {
            let p = partner[i] as usize;
            b.atoms[p].hydrogens = b.atoms[p].hydrogens.saturating_add(1);
        }
    }
    let atoms = old_of
        .iter()
        .map(|&o| b.atoms[o as usize].clone())
        .collect();
    let mut bond_map = vec![u32::MAX; b.bonds.len()];
    let mut bonds = Vec::with_capacity(b.bonds.len());
    for (i, bd) in b.bonds.iter().enumerate() {
        if removable[bd.a as usize] || removable[bd.b as usize] {
            continue;
        }
        bond_map[i] = bonds.len() as u32;
        let mut nb = bd.clone();
        nb.a = map[bd.a as usize];
        nb.b = map[bd.b as usize];
        bonds.push(nb);
    }
    let remap = |a: u32| {
        // a folded hydrogen becomes the implicit-H marker
        if a == IMPLICIT_H || removable[a as usize] {
            IMPLICIT_H
        } else {
            map[a as usize]
        }
    };
    let tetrahedral = b
        .tetrahedral
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.atom = map[t.atom as usize];
            t.neighbours = t.neighbours.iter().map(|&x| remap(x)).collect();
            t
        })
        .collect();
    let mut dbs = Vec::new();
    for d in &b.double_bond_stereo {
        let nbi = bond_map[d.bond as usize];
        if nbi == u32::MAX {
            continue;
        }
        let bd = &b.bonds[d.bond as usize];
        let mut d2 = d.clone();
        d2.bond = nbi;
        // A removed hydrogen reference is replaced by the other neighbour of that end.
        let mut ok = true;
        for (end, other_end, r) in [(bd.a, bd.b, &mut d2.ref_a), (bd.b, bd.a, &mut d2.ref_b)] {
            if removable[*r as usize] {
                let alt = b.bonds.iter().find_map(|x| {
                    let o = if x.a == end {
                        x.b
                    } else if x.b == end {
                        x.a
                    } else {
                        return None;
                    };
                    (o != other_end && o != *r && !removable[o as usize]).then_some(o)
                });
                match alt {
                    Some(o) => {
                        *r = o;
                        d2.cis = !d2.cis;
                    }
                    None => ok = false,
                }
            }
        }
        if ok {
            d2.ref_a = map[d2.ref_a as usize];
            d2.ref_b = map[d2.ref_b as usize];
            dbs.push(d2);
        }
    }
    (
        MoleculeBuilder {
            atoms,
            bonds,
            tetrahedral,
            double_bond_stereo: dbs,
        },
        Some(old_of),
    )
}

/// Valence an aromatic atom aims for, from its isoelectronic neutral element.
fn target_valence(element: Element, charge: i8) -> i32 {
    let outer = element.outer_electrons() as i32 - charge as i32;
    if element == Element::H || outer <= 0 {
        return 1;
    }
    if outer >= 4 {
        8 - outer
    } else {
        outer
    }
}

/// Valence of an atom counting aromatic bonds as 1 (as written, before kekulization).
pub(crate) fn written_valence(mol: &Molecule, a: AtomIdx) -> i32 {
    mol.neighbours(a)
        .iter()
        .map(|n| {
            let b = mol.bond(n.bond);
            if b.aromatic {
                1
            } else {
                b.order.valence() as i32
            }
        })
        .sum()
}

/// Whether an atom written aromatic still needs a double bond in the kekulé form.
pub(crate) fn needs_pi_bond(mol: &Molecule, a: AtomIdx) -> bool {
    let atom = mol.atom(a);
    let mut current = written_valence(mol, a);
    current += atom.hydrogens as i32;
    current += atom.radicals as i32;
    let target = target_valence(atom.element, atom.charge);
    target - current >= 1
}

/// Give aromatic bonds alternating single/double orders. Returns an atom of the system
/// that could not be matched.
fn kekulize(mol: &mut Molecule) -> Result<(), AtomIdx> {
    if !mol.bonds.iter().any(|b| b.aromatic) {
        return Ok(());
    }
    // Aromatic bonds that are not in a ring are single (biphenyl written 'c1ccccc1c1ccccc1').
    for i in 0..mol.bonds.len() {
        if mol.bonds[i].aromatic && !mol.rings.is_ring_bond(i as u32) {
            mol.bonds[i].aromatic = false;
            mol.bonds[i].order = BondOrder::Single;
        }
    }
    let n = mol.atom_count();
    let mut need = vec![false; n];
    for a in 0..n as u32 {
        let atom = mol.atom(a);
        if atom.aromatic && mol.neighbours(a).iter().any(|x| mol.bond(x.bond).aromatic) {
            need[a as usize] = needs_pi_bond(mol, a);
        }
    }
    let mut mate = vec![u32::MAX; n];
    let mut budget = 200_000u32;
    if !match_all(mol, &need, &mut mate, &mut budget) {
        let stuck = (0..n)
            .find(|&a| need[a] && mate[a] == u32::MAX)
            .unwrap_or(0);
        return Err(stuck as AtomIdx);
    }
    for i in 0..mol.bonds.len() {
        let b = &mol.bonds[i];
        if b.aromatic {
            let dbl = mate[b.a as usize] == b.b;
            mol.bonds[i].order = if dbl {
                BondOrder::Double
            } else {
                BondOrder::Single
            };
        }
    }
    Ok(())
}

/// Exact perfect matching of the atoms that need a double bond, by backtracking on the
/// most constrained atom first (forced moves propagate, so this is linear on ordinary
/// aromatic systems). `budget` bounds pathological inputs.
///
/// Iterative: one frame per matched pair on an explicit stack, never recursion, so no
/// input can overflow the thread's stack.
fn match_all(mol: &Molecule, need: &[bool], mate: &mut [u32], budget: &mut u32) -> bool {
    // (atom, its candidate partners, how many have been tried)
    let mut stack: Vec<(usize, Vec<u32>, usize)> = Vec::new();
    loop {
        // Descend: the most constrained unmatched atom, or done, or a dead end.
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        match most_constrained(mol, need, mate) {
            Next::Done => return true,
            Next::Atom(a, options) => stack.push((a, options, 0)),
            Next::Dead => {}
        }
        // Take the next choice of the top frame, undoing the one before; pop exhausted
        // frames (backtracking).
        loop {
            let Some((a, options, tried)) = stack.last_mut() else {
                return false;
            };
            let a = *a;
            if *tried > 0 {
                let b = options[*tried - 1];
                mate[a] = u32::MAX;
                mate[b as usize] = u32::MAX;
            }
            if let Some(&b) = options.get(*tried) {
                *tried += 1;
                mate[a] = b;
                mate[b as usize] = a as u32;
                break;
            }
            stack.pop();
        }
    }
}

/// What the matching does next.
enum Next {
    /// Every atom that needs a double bond has one.
    Done,
    /// An atom with no free partner: this branch fails.
    Dead,
    /// The unmatched atom with the fewest free partners, and those partners.
    Atom(usize, Vec<u32>),
}

fn most_constrained(mol: &Molecule, need: &[bool], mate: &[u32]) -> Next {
    let free = |a: usize| {
        mol.neighbours(a as u32).iter().filter(|x| {
            mol.bond(x.bond).aromatic && need[x.atom as usize] && mate[x.atom as usize] == u32::MAX
        })
    };
    let mut best: Option<(usize, usize)> = None;
    for a in 0..need.len() {
        if need[a] && mate[a] == u32::MAX {
            let k = free(a).count();
            if k == 0 {
                return Next::Dead;
            }
            if best.is_none_or(|(_, bk)| k < bk) {
                best = Some((a, k));
                if k == 1 {
                    break;
                }
            }
        }
    }
    match best {
        None => Next::Done,
        Some((a, _)) => Next::Atom(a, free(a).map(|x| x.atom).collect()),
    }
}

/// Implicit hydrogens for atoms written without a bracket (organic subset, molfile atoms).
fn assign_implicit_hydrogens(mol: &mut Molecule) {
    for a in 0..mol.atom_count() as u32 {
        let atom = mol.atom(a);
        if atom.explicit_h {
            continue;
        }
        let valence = mol.bond_valence(a) as i32 + atom.hydrogens as i32 + atom.radicals as i32;
        let h = implicit_h_for(atom.element, atom.charge, valence);
        mol.atom_mut(a).hydrogens += h;
    }
}

/// Implicit hydrogens an unbracketed atom of this element, charge and valence gets.
pub(crate) fn implicit_h_for(element: Element, charge: i8, valence: i32) -> u8 {
    let vals = allowed_valences(element, charge);
    for &v in vals {
        if v as i32 >= valence {
            return (v as i32 - valence) as u8;
        }
    }
    0
}

/// Allowed valences for an element with a charge, from its isoelectronic neighbour in
/// the same period (N+ like C, O- like F). Empty when not checked.
pub(crate) fn allowed_valences(element: Element, charge: i8) -> &'static [u8] {
    if charge == 0 {
        return element.default_valences();
    }
    let z = element.number() as i32;
    let iso = z - charge as i32;
    let period = |z: i32| match z {
        1..=2 => 1,
        3..=10 => 2,
        11..=18 => 3,
        19..=36 => 4,
        37..=54 => 5,
        _ => 6,
    };
    if iso <= 0 || period(iso) != period(z) || matches!(iso, 2 | 10 | 18 | 36 | 54) {
        return &[];
    }
    Element(iso as u8).default_valences()
}

fn check_valences(mol: &Molecule) -> Result<(), (AtomIdx, u8, String)> {
    for a in 0..mol.atom_count() as u32 {
        let atom = mol.atom(a);
        let allowed = allowed_valences(atom.element, atom.charge);
        let Some(&max) = allowed.last() else { continue };
        let v = mol.bond_valence(a) + atom.hydrogens;
        if v > max {
            let list: Vec<String> = allowed.iter().map(|x| x.to_string()).collect();
            return Err((a, v, list.join(",")));
        }
    }
    Ok(())
}

/// Drop stereo that the perceived structure cannot carry: chirality on atoms with two
/// hydrogens or too few neighbours, and double-bond stereo on aromatic or small-ring bonds.
fn cleanup_stereo(mol: &mut Molecule) {
    let atoms = &mol.atoms;
    let degree = |a: AtomIdx| mol.degree(a);
    let keep: Vec<bool> = mol
        .tetrahedral
        .iter()
        .map(|t| {
            let at = &atoms[t.atom as usize];
            at.hydrogens <= 1 && degree(t.atom) + at.hydrogens as usize >= 3
        })
        .collect();
    let mut it = keep.iter();
    mol.tetrahedral.retain(|_| *it.next().unwrap_or(&false));
    let rings = &mol.rings;
    let bonds = &mol.bonds;
    mol.double_bond_stereo.retain(|d| {
        let b = &bonds[d.bond as usize];
        if b.aromatic || b.order != BondOrder::Double {
            return false;
        }
        if rings.is_ring_bond(d.bond) {
            // Stereo in rings smaller than 8 is fixed by the ring.
            let min = rings
                .smallest_ring_size(b.a)
                .max(rings.smallest_ring_size(b.b));
            return min >= 8;
        }
        true
    });
}

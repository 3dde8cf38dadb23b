//! SMILES writer. With canonical ranks the output is the canonical SMILES: the same
//! molecule read from any atom order writes the same bytes. Aromatic atoms are written
//! lowercase; stereo (tetrahedral and double bond) is re-expressed for the output order.

use crate::canon::{self, is_true_centre, is_true_double_bond, permutation_parity};
use crate::element::Element;
use crate::molecule::{AtomIdx, BondIdx, BondOrder, Chirality, Molecule, IMPLICIT_H};
use crate::perceive::{implicit_h_for, written_valence};
use std::fmt::Write;

/// Options for writing.
#[derive(Clone, Copy, Debug)]
pub struct WriteOptions {
    /// Write tetrahedral and double-bond stereo.
    pub stereo: bool,
    /// Write isotopes.
    pub isotopes: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            stereo: true,
            isotopes: true,
        }
    }
}

/// Canonical SMILES with stereo and isotopes.
pub fn canonical_smiles(mol: &Molecule) -> String {
    write_with(mol, WriteOptions::default())
}

/// Canonical SMILES with chosen options.
pub fn write_with(mol: &Molecule, opts: WriteOptions) -> String {
    if mol.atom_count() == 0 {
        return String::new();
    }
    let ranking = canon::rank(mol);
    let mut parts: Vec<String> = mol
        .components()
        .into_iter()
        .map(|comp| {
            let start = *comp
                .iter()
                .min_by_key(|&&a| ranking.ranks[a as usize])
                .unwrap_or(&comp[0]);
            Writer::new(mol, &ranking.ranks, &ranking.classes, opts).component(start)
        })
        .collect();
    parts.sort();
    parts.join(".")
}

/// DFS frame: atom, its neighbours in rank order, next neighbour to visit.
type DfsFrame = (AtomIdx, Vec<(AtomIdx, BondIdx)>, usize);

struct Writer<'a> {
    mol: &'a Molecule,
    ranks: &'a [u32],
    classes: &'a [u32],
    opts: WriteOptions,
    /// Output position of each atom (u32::MAX not yet).
    order: Vec<u32>,
    parent: Vec<u32>,
    /// Ring-closure bonds, per atom: (partner, bond).
    closures: Vec<Vec<(AtomIdx, BondIdx)>>,
    children: Vec<Vec<(AtomIdx, BondIdx)>>,
    /// Direction marks per bond: 0 none, 1 '/', 2 '\' in the written direction.
    marks: Vec<u8>,
    /// Atom a bond is written from.
    written_from: Vec<u32>,
    digit_of: Vec<u32>,
}

impl<'a> Writer<'a> {
    fn new(mol: &'a Molecule, ranks: &'a [u32], classes: &'a [u32], opts: WriteOptions) -> Self {
        let n = mol.atom_count();
        Writer {
            mol,
            ranks,
            classes,
            opts,
            order: vec![u32::MAX; n],
            parent: vec![u32::MAX; n],
            closures: vec![Vec::new(); n],
            children: vec![Vec::new(); n],
            marks: vec![0; mol.bond_count()],
            written_from: vec![u32::MAX; mol.bond_count()],
            digit_of: vec![u32::MAX; mol.bond_count()],
        }
    }

    fn component(mut self, start: AtomIdx) -> String {
        self.plan(start);
        if self.opts.stereo {
            self.plan_double_bond_marks();
        }
        let mut out = String::new();
        let mut free_digits: Vec<bool> = vec![true; 100];
        self.emit(start, &mut out, &mut free_digits);
        out
    }

    /// DFS in rank order: tree edges, ring closures and output order.
    fn plan(&mut self, start: AtomIdx) {
        let mol = self.mol;
        let mut counter = 0u32;
        // iterative DFS with explicit stack of (atom, neighbour cursor)
        let mut stack: Vec<DfsFrame> = Vec::new();
        self.order[start as usize] = counter;
        counter += 1;
        stack.push((start, self.sorted_neighbours(start), 0));
        let mut seen_bond = vec![false; mol.bond_count()];
        while let Some(top) = stack.last_mut() {
            let (a, ref nbrs, ref mut cur) = *top;
            if *cur >= nbrs.len() {
                stack.pop();
                continue;
            }
            let (nb, bond) = nbrs[*cur];
            *cur += 1;
            if seen_bond[bond as usize] {
                continue;
            }
            seen_bond[bond as usize] = true;
            if self.order[nb as usize] == u32::MAX {
                self.order[nb as usize] = counter;
                counter += 1;
                self.parent[nb as usize] = a;
                self.children[a as usize].push((nb, bond));
                self.written_from[bond as usize] = a;
                let list = self.sorted_neighbours(nb);
                stack.push((nb, list, 0));
            } else {
                // ring closure: opened at the atom written first
                self.closures[a as usize].push((nb, bond));
                self.closures[nb as usize].push((a, bond));
                self.written_from[bond as usize] =
                    if self.order[nb as usize] <= self.order[a as usize] {
                        nb
                    } else {
                        a
                    };
            }
        }
    }

    fn sorted_neighbours(&self, a: AtomIdx) -> Vec<(AtomIdx, BondIdx)> {
        let mut v: Vec<(AtomIdx, BondIdx)> = self
            .mol
            .neighbours(a)
            .iter()
            .map(|x| (x.atom, x.bond))
            .collect();
        v.sort_by_key(|&(x, _)| self.ranks[x as usize]);
        v
    }

    /// Neighbours of `a` in the order SMILES will list them.
    fn output_neighbour_order(
        &self,
        a: AtomIdx,
        closure_order: &[(AtomIdx, BondIdx)],
        with_h: bool,
    ) -> Vec<AtomIdx> {
        let mut v = Vec::with_capacity(4);
        if self.parent[a as usize] != u32::MAX {
            v.push(self.parent[a as usize]);
        }
        if with_h {
            v.push(IMPLICIT_H);
        }
        for &(p, _) in closure_order {
            v.push(p);
        }
        for &(c, _) in &self.children[a as usize] {
            v.push(c);
        }
        v
    }

    fn plan_double_bond_marks(&mut self) {
        let mol = self.mol;
        let mut dbs: Vec<_> = mol
            .double_bond_stereo()
            .iter()
            .filter(|d| self.order[mol.bond(d.bond).a as usize] != u32::MAX)
            .filter(|d| is_true_double_bond(mol, d.bond, self.classes))
            .cloned()
            .collect();
        dbs.sort_by_key(|d| {
            let b = mol.bond(d.bond);
            self.order[b.a as usize].min(self.order[b.b as usize])
        });
        for d in dbs {
            let b = mol.bond(d.bond);
            let (u, v, ref_u, ref_v) = if self.order[b.a as usize] < self.order[b.b as usize] {
                (b.a, b.b, d.ref_a, d.ref_b)
            } else {
                (b.b, b.a, d.ref_b, d.ref_a)
            };
            let singles = |end: AtomIdx, other: AtomIdx| -> Vec<(AtomIdx, BondIdx)> {
                let mut s: Vec<(AtomIdx, BondIdx)> = mol
                    .neighbours(end)
                    .iter()
                    .filter(|x| {
                        x.atom != other
                            && mol.bond(x.bond).order == BondOrder::Single
                            && !mol.bond(x.bond).aromatic
                    })
                    .map(|x| (x.atom, x.bond))
                    .collect();
                s.sort_by_key(|&(x, _)| self.order[x as usize]);
                s
            };
            let su = singles(u, v);
            let sv = singles(v, u);
            if su.is_empty() || sv.is_empty() {
                continue;
            }
            let (x, bx) = su
                .iter()
                .copied()
                .find(|&(_, bd)| self.marks[bd as usize] != 0)
                .unwrap_or(su[0]);
            // direction of x -> u
            let du = if self.marks[bx as usize] != 0 {
                self.dir_from(bx, x)
            } else {
                self.set_mark(bx, x, 1);
                1
            };
            let (y, by) = sv
                .iter()
                .copied()
                .find(|&(_, bd)| self.marks[bd as usize] != 0)
                .unwrap_or(sv[0]);
            let mut cis = d.cis;
            if x != ref_u {
                cis = !cis;
            }
            if y != ref_v {
                cis = !cis;
            }
            // trans: marks x->u and v->y equal
            let dv = if cis { 3 - du } else { du };
            if self.marks[by as usize] == 0 {
                self.set_mark(by, v, dv);
            }
        }
    }

    /// Mark of bond `b` as if written starting from atom `from`.
    fn dir_from(&self, b: BondIdx, from: AtomIdx) -> u8 {
        let m = self.marks[b as usize];
        if self.written_from[b as usize] == from {
            m
        } else {
            3 - m
        }
    }

    fn set_mark(&mut self, b: BondIdx, from: AtomIdx, dir: u8) {
        self.marks[b as usize] = if self.written_from[b as usize] == from {
            dir
        } else {
            3 - dir
        };
    }

    fn bond_symbol(&self, b: BondIdx, out: &mut String) {
        let bond = self.mol.bond(b);
        match self.marks[b as usize] {
            1 => return out.push('/'),
            2 => return out.push('\\'),
            _ => {}
        }
        if bond.aromatic {
            return;
        }
        match bond.order {
            BondOrder::Single => {
                if self.mol.atom(bond.a).aromatic && self.mol.atom(bond.b).aromatic {
                    out.push('-');
                }
            }
            BondOrder::Double => out.push('='),
            BondOrder::Triple => out.push('#'),
            BondOrder::Quadruple => out.push('$'),
            BondOrder::Zero => out.push('~'),
        }
    }

    /// Writes the tree from `start` in pre-order. Iterative (an explicit stack of steps,
    /// not recursion): input depth must never be able to overflow the thread's stack.
    fn emit(&mut self, start: AtomIdx, out: &mut String, free: &mut [bool]) {
        let mut todo = vec![Step::Atom(start)];
        while let Some(step) = todo.pop() {
            match step {
                Step::Open => out.push('('),
                Step::Close => out.push(')'),
                Step::Bond(b) => self.bond_symbol(b, out),
                Step::Atom(a) => {
                    self.emit_atom(a, out, free);
                    // children in order: all but the last in a branch; pushed reversed
                    let kids = &self.children[a as usize];
                    for (i, &(c, b)) in kids.iter().enumerate().rev() {
                        let last = i + 1 == kids.len();
                        if !last {
                            todo.push(Step::Close);
                        }
                        todo.push(Step::Atom(c));
                        todo.push(Step::Bond(b));
                        if !last {
                            todo.push(Step::Open);
                        }
                    }
                }
            }
        }
    }

    /// One atom with its ring-closure digits.
    fn emit_atom(&mut self, a: AtomIdx, out: &mut String, free: &mut [bool]) {
        // ring closures at this atom: closing ones (partner already written) first, by
        // digit; then opening ones by partner rank.
        let mut closing: Vec<(AtomIdx, BondIdx)> = Vec::new();
        let mut opening: Vec<(AtomIdx, BondIdx)> = Vec::new();
        for &(p, b) in &self.closures[a as usize] {
            if self.digit_of[b as usize] != u32::MAX {
                closing.push((p, b));
            } else {
                opening.push((p, b));
            }
        }
        closing.sort_by_key(|&(_, b)| self.digit_of[b as usize]);
        opening.sort_by_key(|&(p, _)| self.ranks[p as usize]);
        let closure_order: Vec<(AtomIdx, BondIdx)> =
            closing.iter().chain(opening.iter()).copied().collect();
        self.atom_text(a, &closure_order, out);
        for &(_, b) in &closing {
            let d = self.digit_of[b as usize];
            write_digit(out, d);
            free[d as usize] = true;
        }
        for &(_, b) in &opening {
            let d = free
                .iter()
                .skip(1)
                .position(|&f| f)
                .map(|p| p + 1)
                .unwrap_or(99) as u32;
            free[d as usize] = false;
            self.digit_of[b as usize] = d;
            self.bond_symbol(b, out);
            write_digit(out, d);
        }
    }

    fn atom_text(&self, a: AtomIdx, closure_order: &[(AtomIdx, BondIdx)], out: &mut String) {
        let mol = self.mol;
        let atom = mol.atom(a);
        let mut chir: Option<Chirality> = None;
        if self.opts.stereo {
            if let Some(t) = mol.tetrahedral_centres().iter().find(|t| t.atom == a) {
                if is_true_centre(&t.neighbours, self.classes) {
                    let with_h = t.neighbours.contains(&IMPLICIT_H);
                    let outn = self.output_neighbour_order(a, closure_order, with_h);
                    if outn.len() == t.neighbours.len() {
                        let p = permutation_parity(&t.neighbours, &outn);
                        chir = Some(if p == 0 {
                            t.chirality
                        } else {
                            t.chirality.flipped()
                        });
                    }
                }
            }
        }
        let isotope = if self.opts.isotopes { atom.isotope } else { 0 };
        let sym = atom.element.symbol();
        let aromatic_ok = atom.aromatic
            && matches!(
                atom.element.number(),
                5 | 6 | 7 | 8 | 15 | 16 | 33 | 34 | 52
            );
        let implied = implied_hydrogens(mol, a);
        if atom.element.number() == 0
            && isotope == 0
            && atom.charge == 0
            && atom.hydrogens == 0
            && atom.atom_class == 0
        {
            out.push('*');
            return;
        }
        let plain = atom.element.in_organic_subset()
            && isotope == 0
            && atom.charge == 0
            && atom.atom_class == 0
            && atom.radicals == 0
            && chir.is_none()
            && implied == Some(atom.hydrogens);
        if plain {
            if aromatic_ok {
                out.push_str(&sym.to_ascii_lowercase());
            } else {
                out.push_str(sym);
            }
            return;
        }
        out.push('[');
        if isotope != 0 {
            let _ = write!(out, "{isotope}");
        }
        if aromatic_ok {
            out.push_str(&sym.to_ascii_lowercase());
        } else {
            out.push_str(sym);
        }
        match chir {
            Some(Chirality::Anticlockwise) => out.push('@'),
            Some(Chirality::Clockwise) => out.push_str("@@"),
            None => {}
        }
        match atom.hydrogens {
            0 => {}
            1 => out.push('H'),
            h => {
                let _ = write!(out, "H{h}");
            }
        }
        crate::formula::push_charge(out, atom.charge as i32);
        if atom.atom_class != 0 {
            let _ = write!(out, ":{}", atom.atom_class);
        }
        out.push(']');
    }
}

/// One step of writing: an atom (with its closures, then its children), a bond symbol,
/// or a branch parenthesis.
enum Step {
    Atom(AtomIdx),
    Bond(BondIdx),
    Open,
    Close,
}

fn write_digit(out: &mut String, d: u32) {
    if d < 10 {
        out.push((b'0' + d as u8) as char);
    } else {
        let _ = write!(out, "%{d:02}");
    }
}

/// Hydrogens a reader would give this atom written without brackets, or None when it
/// cannot be written without brackets.
fn implied_hydrogens(mol: &Molecule, a: AtomIdx) -> Option<u8> {
    let atom = mol.atom(a);
    if !atom.element.in_organic_subset() {
        return None;
    }
    if atom.aromatic {
        // The reader gives aromatic atoms one pi bond when their valence needs it.
        let current = written_valence(mol, a);
        let target = match atom.element {
            Element::C => 4,
            Element::N | Element::P | Element::B => 3,
            _ => 2,
        };
        let pi = i32::from(target - current >= 1);
        let in_pi = mol
            .neighbours(a)
            .iter()
            .any(|n| mol.bond(n.bond).aromatic && mol.bond(n.bond).order == BondOrder::Double);
        if (pi == 1) != in_pi {
            return None;
        }
        return Some(implicit_h_for(atom.element, 0, current + pi));
    }
    let valence = mol.bond_valence(a) as i32;
    Some(implicit_h_for(atom.element, 0, valence))
}

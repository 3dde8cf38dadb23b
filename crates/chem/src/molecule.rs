//! The molecule graph: atoms, bonds, adjacency, stereo annotations and perceived rings.
//!
//! A [`Molecule`] is built by a reader (SMILES, molfile) through [`MoleculeBuilder`] and
//! then perceived once (kekulé form, implicit hydrogens, rings, aromaticity); after that it
//! is read-only. Every algorithm in this crate takes `&Molecule`.

use crate::element::Element;
use crate::rings::RingInfo;

/// Index of an atom within its molecule.
pub type AtomIdx = u32;
/// Index of a bond within its molecule.
pub type BondIdx = u32;

/// Marker used in stereo neighbour lists for an implicit hydrogen (or a lone pair).
pub const IMPLICIT_H: AtomIdx = u32::MAX;

/// An atom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Atom {
    /// The element.
    pub element: Element,
    /// Mass number, 0 when not specified.
    pub isotope: u16,
    /// Formal charge.
    pub charge: i8,
    /// Hydrogens attached but not present as atoms (implicit plus bracket count).
    pub hydrogens: u8,
    /// Unpaired electrons.
    pub radicals: u8,
    /// Part of an aromatic ring (after perception).
    pub aromatic: bool,
    /// SMILES atom class (`[CH3:7]`), 0 when absent.
    pub atom_class: u16,
    /// Hydrogen count was given explicitly (bracket atom); no implicit hydrogens added.
    pub explicit_h: bool,
}

impl Atom {
    /// A plain neutral atom of this element.
    pub fn new(element: Element) -> Atom {
        Atom {
            element,
            isotope: 0,
            charge: 0,
            hydrogens: 0,
            radicals: 0,
            aromatic: false,
            atom_class: 0,
            explicit_h: false,
        }
    }
}

/// Bond order of the kekulé form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BondOrder {
    /// Single bond.
    Single = 1,
    /// Double bond.
    Double = 2,
    /// Triple bond.
    Triple = 3,
    /// Quadruple bond.
    Quadruple = 4,
    /// Zero-order bond (`$` is quadruple; zero order comes only from molfiles type 8/10).
    Zero = 0,
}

impl BondOrder {
    /// Contribution to valence.
    pub fn valence(self) -> u8 {
        self as u8
    }
}

/// A bond between two atoms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bond {
    /// First atom.
    pub a: AtomIdx,
    /// Second atom.
    pub b: AtomIdx,
    /// Kekulé order (aromatic bonds are given an alternating single/double order).
    pub order: BondOrder,
    /// Part of an aromatic ring (after perception).
    pub aromatic: bool,
}

impl Bond {
    /// The atom at the other end.
    pub fn other(&self, atom: AtomIdx) -> AtomIdx {
        if self.a == atom {
            self.b
        } else {
            self.a
        }
    }
}

/// Handedness of a tetrahedral centre, as SMILES writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chirality {
    /// `@`: looking from the first neighbour, the others are anticlockwise.
    Anticlockwise,
    /// `@@`: clockwise.
    Clockwise,
}

impl Chirality {
    /// The opposite handedness.
    pub fn flipped(self) -> Chirality {
        match self {
            Chirality::Anticlockwise => Chirality::Clockwise,
            Chirality::Clockwise => Chirality::Anticlockwise,
        }
    }
}

/// A tetrahedral stereocentre: the neighbours in reference order and the handedness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TetrahedralCentre {
    /// The centre.
    pub atom: AtomIdx,
    /// Neighbours in the order the handedness refers to; [`IMPLICIT_H`] for an implicit
    /// hydrogen or lone pair. Three or four entries.
    pub neighbours: Vec<AtomIdx>,
    /// Handedness relative to `neighbours`.
    pub chirality: Chirality,
}

/// Configuration of a stereo double bond, relative to one reference neighbour on each end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoubleBondStereo {
    /// The double bond.
    pub bond: BondIdx,
    /// Reference neighbour of `bonds[bond].a`.
    pub ref_a: AtomIdx,
    /// Reference neighbour of `bonds[bond].b`.
    pub ref_b: AtomIdx,
    /// The two references are on the same side.
    pub cis: bool,
}

/// A neighbour entry in the adjacency list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neighbour {
    /// The neighbouring atom.
    pub atom: AtomIdx,
    /// The bond to it.
    pub bond: BondIdx,
}

/// A molecule (possibly of several disconnected components).
#[derive(Clone, Debug, Default)]
pub struct Molecule {
    pub(crate) atoms: Vec<Atom>,
    pub(crate) bonds: Vec<Bond>,
    adj_start: Vec<u32>,
    adj: Vec<Neighbour>,
    pub(crate) tetrahedral: Vec<TetrahedralCentre>,
    pub(crate) double_bond_stereo: Vec<DoubleBondStereo>,
    pub(crate) rings: RingInfo,
}

impl Molecule {
    /// Number of atoms.
    pub fn atom_count(&self) -> usize {
        self.atoms.len()
    }

    /// Number of bonds.
    pub fn bond_count(&self) -> usize {
        self.bonds.len()
    }

    /// All atoms.
    pub fn atoms(&self) -> &[Atom] {
        &self.atoms
    }

    /// All bonds.
    pub fn bonds(&self) -> &[Bond] {
        &self.bonds
    }

    /// One atom.
    pub fn atom(&self, i: AtomIdx) -> &Atom {
        &self.atoms[i as usize]
    }

    /// One bond.
    pub fn bond(&self, i: BondIdx) -> &Bond {
        &self.bonds[i as usize]
    }

    /// Neighbours of an atom (heavy atoms and explicit hydrogens present as atoms).
    pub fn neighbours(&self, i: AtomIdx) -> &[Neighbour] {
        let s = self.adj_start[i as usize] as usize;
        let e = self.adj_start[i as usize + 1] as usize;
        &self.adj[s..e]
    }

    /// Number of explicit neighbours.
    pub fn degree(&self, i: AtomIdx) -> usize {
        (self.adj_start[i as usize + 1] - self.adj_start[i as usize]) as usize
    }

    /// The bond between two atoms, if any.
    pub fn bond_between(&self, a: AtomIdx, b: AtomIdx) -> Option<BondIdx> {
        self.neighbours(a)
            .iter()
            .find(|n| n.atom == b)
            .map(|n| n.bond)
    }

    /// Sum of kekulé bond orders of an atom, hydrogens not counted.
    pub fn bond_valence(&self, i: AtomIdx) -> u8 {
        self.neighbours(i)
            .iter()
            .map(|n| self.bonds[n.bond as usize].order.valence())
            .sum()
    }

    /// Total hydrogens on an atom: implicit/bracket count plus hydrogen atoms bonded to it.
    pub fn total_hydrogens(&self, i: AtomIdx) -> u8 {
        let explicit = self
            .neighbours(i)
            .iter()
            .filter(|n| self.atoms[n.atom as usize].element == Element::H)
            .count() as u8;
        self.atoms[i as usize].hydrogens + explicit
    }

    /// Number of heavy-atom (non-hydrogen) neighbours.
    pub fn heavy_degree(&self, i: AtomIdx) -> usize {
        self.neighbours(i)
            .iter()
            .filter(|n| self.atoms[n.atom as usize].element != Element::H)
            .count()
    }

    /// Tetrahedral stereocentres.
    pub fn tetrahedral_centres(&self) -> &[TetrahedralCentre] {
        &self.tetrahedral
    }

    /// Stereo double bonds.
    pub fn double_bond_stereo(&self) -> &[DoubleBondStereo] {
        &self.double_bond_stereo
    }

    /// Perceived rings (smallest set of smallest rings).
    pub fn rings(&self) -> &RingInfo {
        &self.rings
    }

    /// Number of heavy atoms.
    pub fn heavy_atom_count(&self) -> usize {
        self.atoms
            .iter()
            .filter(|a| a.element != Element::H)
            .count()
    }

    /// Connected components, each a sorted list of atom indices, in order of first atom.
    pub fn components(&self) -> Vec<Vec<AtomIdx>> {
        let n = self.atoms.len();
        let mut comp = vec![u32::MAX; n];
        let mut out: Vec<Vec<AtomIdx>> = Vec::new();
        let mut stack = Vec::new();
        for start in 0..n {
            if comp[start] != u32::MAX {
                continue;
            }
            let id = out.len() as u32;
            let mut members = Vec::new();
            comp[start] = id;
            stack.push(start as AtomIdx);
            while let Some(a) = stack.pop() {
                members.push(a);
                for nb in self.neighbours(a) {
                    if comp[nb.atom as usize] == u32::MAX {
                        comp[nb.atom as usize] = id;
                        stack.push(nb.atom);
                    }
                }
            }
            members.sort_unstable();
            out.push(members);
        }
        out
    }

    /// The sub-molecule made of the given atoms (and the bonds among them), with the
    /// index of each new atom in this molecule. Stereo annotations are carried over where
    /// all their atoms are kept; rings and aromaticity are carried over unchanged (a
    /// subset of whole components keeps them valid).
    pub fn extract(&self, keep: &[AtomIdx]) -> (Molecule, Vec<AtomIdx>) {
        let mut map = vec![u32::MAX; self.atoms.len()];
        for (new, &old) in keep.iter().enumerate() {
            map[old as usize] = new as u32;
        }
        let mut b = MoleculeBuilder::with_capacity(keep.len(), keep.len() + 4);
        for &old in keep {
            b.atoms.push(self.atoms[old as usize].clone());
        }
        let mut bond_map = vec![u32::MAX; self.bonds.len()];
        for (i, bond) in self.bonds.iter().enumerate() {
            let (na, nb) = (map[bond.a as usize], map[bond.b as usize]);
            if na != u32::MAX && nb != u32::MAX {
                bond_map[i] = b.bonds.len() as u32;
                b.bonds.push(Bond {
                    a: na,
                    b: nb,
                    order: bond.order,
                    aromatic: bond.aromatic,
                });
            }
        }
        let remap = |a: AtomIdx| {
            if a == IMPLICIT_H {
                Some(IMPLICIT_H)
            } else {
                let m = map[a as usize];
                (m != u32::MAX).then_some(m)
            }
        };
        for t in &self.tetrahedral {
            let nbs: Option<Vec<_>> = t.neighbours.iter().map(|&a| remap(a)).collect();
            if let (Some(atom), Some(neighbours)) = (remap(t.atom), nbs) {
                b.tetrahedral.push(TetrahedralCentre {
                    atom,
                    neighbours,
                    chirality: t.chirality,
                });
            }
        }
        for d in &self.double_bond_stereo {
            let nb = bond_map[d.bond as usize];
            if let (true, Some(ra), Some(rb)) = (nb != u32::MAX, remap(d.ref_a), remap(d.ref_b)) {
                b.double_bond_stereo.push(DoubleBondStereo {
                    bond: nb,
                    ref_a: ra,
                    ref_b: rb,
                    cis: d.cis,
                });
            }
        }
        let mut m = b.into_graph();
        m.rings = crate::rings::perceive(&m);
        (m, keep.to_vec())
    }

    /// A substituent as its own molecule, with a `*` atom where it was attached to
    /// `attach` (for showing groups in explanations: `*CCc1cccs1`).
    pub fn fragment_with_attachment(&self, atoms: &[AtomIdx], attach: AtomIdx) -> Molecule {
        let mut keep = atoms.to_vec();
        keep.sort_unstable();
        keep.dedup();
        let (frag, map) = self.extract(&keep);
        let mut b = MoleculeBuilder::with_capacity(frag.atom_count() + 1, frag.bond_count() + 1);
        b.atoms.extend(frag.atoms.iter().cloned());
        b.bonds.extend(frag.bonds.iter().cloned());
        if let Some(pos) = map.iter().position(|&a| a == attach) {
            let star = b.atoms.len() as u32;
            b.atoms.push(Atom::new(Element::ANY));
            b.bonds.push(Bond {
                a: star,
                b: pos as u32,
                order: BondOrder::Single,
                aromatic: false,
            });
        }
        let mut m = b.into_graph();
        m.rings = crate::rings::perceive(&m);
        m
    }

    /// Replace stereo annotations (used by standardisation).
    pub fn clear_stereo(&mut self) {
        self.tetrahedral.clear();
        self.double_bond_stereo.clear();
    }

    /// Set every isotope to natural abundance.
    pub fn clear_isotopes(&mut self) {
        for a in &mut self.atoms {
            a.isotope = 0;
        }
    }

    /// Mutable atom access for in-crate transformations that keep the graph valid.
    pub(crate) fn atom_mut(&mut self, i: AtomIdx) -> &mut Atom {
        &mut self.atoms[i as usize]
    }
}

/// Accumulates atoms and bonds, then builds the adjacency of a [`Molecule`].
#[derive(Default, Debug)]
pub struct MoleculeBuilder {
    /// Atoms so far.
    pub atoms: Vec<Atom>,
    /// Bonds so far.
    pub bonds: Vec<Bond>,
    /// Tetrahedral centres so far.
    pub tetrahedral: Vec<TetrahedralCentre>,
    /// Double-bond stereo so far.
    pub double_bond_stereo: Vec<DoubleBondStereo>,
}

impl MoleculeBuilder {
    /// An empty builder with room for the given counts.
    pub fn with_capacity(atoms: usize, bonds: usize) -> Self {
        MoleculeBuilder {
            atoms: Vec::with_capacity(atoms),
            bonds: Vec::with_capacity(bonds),
            tetrahedral: Vec::new(),
            double_bond_stereo: Vec::new(),
        }
    }

    /// Build adjacency; rings and aromaticity are not perceived.
    pub fn into_graph(self) -> Molecule {
        let n = self.atoms.len();
        let mut deg = vec![0u32; n + 1];
        for b in &self.bonds {
            deg[b.a as usize] += 1;
            deg[b.b as usize] += 1;
        }
        let mut start = vec![0u32; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + deg[i];
        }
        let mut fill = start.clone();
        let mut adj = vec![Neighbour { atom: 0, bond: 0 }; 2 * self.bonds.len()];
        for (i, b) in self.bonds.iter().enumerate() {
            adj[fill[b.a as usize] as usize] = Neighbour {
                atom: b.b,
                bond: i as u32,
            };
            fill[b.a as usize] += 1;
            adj[fill[b.b as usize] as usize] = Neighbour {
                atom: b.a,
                bond: i as u32,
            };
            fill[b.b as usize] += 1;
        }
        Molecule {
            atoms: self.atoms,
            bonds: self.bonds,
            adj_start: start,
            adj,
            tetrahedral: self.tetrahedral,
            double_bond_stereo: self.double_bond_stereo,
            rings: RingInfo::default(),
        }
    }
}

//! OpenSMILES reader.

use crate::element::Element;
use crate::limits::{LimitExceeded, Limits};
use crate::molecule::{
    Atom, AtomIdx, Bond, BondOrder, Chirality, DoubleBondStereo, Molecule, MoleculeBuilder,
    TetrahedralCentre, IMPLICIT_H,
};
use crate::perceive::{self, PerceiveError};
use thiserror::Error;

/// Why a SMILES string could not be read, and where (0-based byte offset).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("SMILES error at position {position}: {kind}")]
pub struct SmilesError {
    /// Byte offset of the offending character.
    pub position: usize,
    /// What is wrong.
    pub kind: SmilesErrorKind,
}

/// The cause of a [`SmilesError`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SmilesErrorKind {
    /// Empty input.
    #[error("empty SMILES")]
    Empty,
    /// A character that cannot start an atom, bond or branch here.
    #[error("unexpected character '{0}'")]
    UnexpectedChar(char),
    /// Input ended in the middle of something.
    #[error("unexpected end of input: {0}")]
    UnexpectedEnd(&'static str),
    /// An element symbol that does not exist (or cannot be aromatic).
    #[error("unknown element '{0}'")]
    UnknownElement(String),
    /// A bracket atom is malformed.
    #[error("malformed bracket atom: {0}")]
    BadBracket(&'static str),
    /// A bond symbol not followed by an atom or ring closure.
    #[error("bond '{0}' is not followed by an atom")]
    DanglingBond(char),
    /// A branch that is empty, unopened or unclosed.
    #[error("{0}")]
    Branch(&'static str),
    /// A ring-closure digit that never closes.
    #[error("ring bond {0} is never closed")]
    UnclosedRing(u32),
    /// A ring closure that bonds an atom to itself or duplicates a bond.
    #[error("ring bond {0} {1}")]
    BadRing(u32, &'static str),
    /// Two ring-closure bond symbols that disagree.
    #[error("ring bond {0} has conflicting bond symbols")]
    RingBondConflict(u32),
    /// The structure cannot be perceived (kekulé form, valence).
    #[error(transparent)]
    Structure(PerceiveError),
}

impl SmilesError {
    fn at(position: usize, kind: SmilesErrorKind) -> SmilesError {
        SmilesError { position, kind }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BondSym {
    Single,
    Double,
    Triple,
    Quadruple,
    Aromatic,
    Up,
    Down,
}

struct RingOpen {
    atom: AtomIdx,
    sym: Option<BondSym>,
    /// Index of the placeholder in the opening atom's stereo neighbour list.
    stereo_slot: Option<usize>,
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    b: MoleculeBuilder,
    atom_pos: Vec<u32>,
    /// Direction marks of bonds: 0 none, 1 '/', 2 '\', always relative to a -> b.
    bond_dir: Vec<u8>,
    ring: Vec<Option<RingOpen>>,
    /// For chiral atoms: index into `stereo` of their neighbour list.
    stereo_of: Vec<u32>,
    stereo: Vec<(AtomIdx, Chirality, Vec<AtomIdx>, bool)>,
    /// The atom each atom was bonded to when read (its parent as written), or MAX.
    tree_parent: Vec<AtomIdx>,
    /// Ring-closure bonds made so far (lower atom, higher atom).
    closures: std::collections::HashSet<(AtomIdx, AtomIdx)>,
}

/// Parse a SMILES string into a perceived molecule (kekulé form, implicit hydrogens,
/// rings and RDKit-compatible aromaticity), within the default [`Limits`].
pub fn parse(smiles: &str) -> Result<Molecule, SmilesError> {
    parse_within(smiles, &Limits::DEFAULT)
}

/// [`parse`] within other size limits.
pub fn parse_within(smiles: &str, limits: &Limits) -> Result<Molecule, SmilesError> {
    let (builder, atom_pos) = parse_graph(smiles)?;
    perceive::finish_with(builder, limits).map_err(|e| perceive_error(e, &atom_pos))
}

impl SmilesError {
    /// The size limit the structure exceeded, when that is why it was refused.
    pub fn limit_exceeded(&self) -> Option<&LimitExceeded> {
        match &self.kind {
            SmilesErrorKind::Structure(PerceiveError::TooLarge(l)) => Some(l),
            _ => None,
        }
    }
}

/// Turn a perception error into a SMILES error located at the offending atom.
fn perceive_error(e: PerceiveError, atom_pos: &[u32]) -> SmilesError {
    let atom = match &e {
        PerceiveError::Kekulize { atom, .. } | PerceiveError::Valence { atom, .. } => *atom,
        // the first atom past the limit when atoms are counted, else the start
        PerceiveError::TooLarge(l) if l.limit == crate::limits::Limit::Atoms => l.max,
        PerceiveError::TooLarge(_) => 0,
    };
    SmilesError::at(
        atom_pos.get(atom).copied().unwrap_or(0) as usize,
        SmilesErrorKind::Structure(e),
    )
}

/// Parse the graph only: atoms, bonds and stereo as written, no perception. Returns the
/// builder and each atom's byte offset in the input.
pub fn parse_graph(smiles: &str) -> Result<(MoleculeBuilder, Vec<u32>), SmilesError> {
    let s = smiles.as_bytes();
    if s.is_empty() {
        return Err(SmilesError::at(0, SmilesErrorKind::Empty));
    }
    let mut p = Parser {
        s,
        pos: 0,
        b: MoleculeBuilder::with_capacity(s.len(), s.len()),
        atom_pos: Vec::with_capacity(s.len()),
        bond_dir: Vec::new(),
        ring: Vec::new(),
        stereo_of: Vec::new(),
        stereo: Vec::new(),
        tree_parent: Vec::with_capacity(s.len()),
        closures: std::collections::HashSet::new(),
    };
    p.run()?;
    p.finish_stereo();
    Ok((p.b, p.atom_pos))
}

impl Parser<'_> {
    fn err<T>(&self, kind: SmilesErrorKind) -> Result<T, SmilesError> {
        Err(SmilesError::at(self.pos, kind))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn run(&mut self) -> Result<(), SmilesError> {
        let mut prev: Option<AtomIdx> = None;
        let mut pending: Option<(BondSym, usize)> = None;
        let mut branches: Vec<(AtomIdx, usize)> = Vec::new();
        // Whether something (atom or ring bond) followed the current '(' yet.
        let mut branch_empty = false;
        while let Some(c) = self.peek() {
            match c {
                b'(' => {
                    let Some(p) = prev else {
                        return self.err(SmilesErrorKind::Branch("branch before any atom"));
                    };
                    if pending.is_some() {
                        return self.err(SmilesErrorKind::UnexpectedChar('('));
                    }
                    if branch_empty {
                        return self.err(SmilesErrorKind::Branch("empty branch"));
                    }
                    branches.push((p, self.pos));
                    branch_empty = true;
                    self.pos += 1;
                }
                b')' => {
                    if let Some((sym, at)) = pending {
                        return Err(SmilesError::at(
                            at,
                            SmilesErrorKind::DanglingBond(sym_char(sym)),
                        ));
                    }
                    if branch_empty {
                        return self.err(SmilesErrorKind::Branch("empty branch"));
                    }
                    match branches.pop() {
                        Some((p, _)) => prev = Some(p),
                        None => {
                            return self.err(SmilesErrorKind::Branch("')' without matching '('"))
                        }
                    }
                    self.pos += 1;
                }
                b'.' => {
                    if let Some((sym, at)) = pending {
                        return Err(SmilesError::at(
                            at,
                            SmilesErrorKind::DanglingBond(sym_char(sym)),
                        ));
                    }
                    if !branches.is_empty() {
                        return self.err(SmilesErrorKind::Branch("'.' inside a branch"));
                    }
                    if prev.is_none() {
                        return self.err(SmilesErrorKind::UnexpectedChar('.'));
                    }
                    prev = None;
                    self.pos += 1;
                }
                b'-' | b'=' | b'#' | b'$' | b':' | b'/' | b'\\' => {
                    if pending.is_some() || prev.is_none() {
                        return self.err(SmilesErrorKind::UnexpectedChar(c as char));
                    }
                    pending = Some((
                        match c {
                            b'-' => BondSym::Single,
                            b'=' => BondSym::Double,
                            b'#' => BondSym::Triple,
                            b'$' => BondSym::Quadruple,
                            b':' => BondSym::Aromatic,
                            b'/' => BondSym::Up,
                            _ => BondSym::Down,
                        },
                        self.pos,
                    ));
                    self.pos += 1;
                }
                b'0'..=b'9' | b'%' => {
                    let Some(p) = prev else {
                        return self.err(SmilesErrorKind::UnexpectedChar(c as char));
                    };
                    let start = self.pos;
                    let num = self.ring_number()?;
                    self.ring_bond(p, num, pending.take().map(|x| x.0), start)?;
                    branch_empty = false;
                }
                _ => {
                    let start = self.pos;
                    let atom = self.atom()?;
                    let idx = self.b.atoms.len() as AtomIdx;
                    self.atom_pos.push(start as u32);
                    self.b.atoms.push(atom.0);
                    self.stereo_of.push(u32::MAX);
                    self.tree_parent.push(prev.unwrap_or(u32::MAX));
                    if let Some(ch) = atom.1 {
                        let mut nbrs = Vec::with_capacity(4);
                        if let Some(p) = prev {
                            nbrs.push(p);
                        }
                        if atom.2 {
                            nbrs.push(IMPLICIT_H);
                        }
                        self.stereo_of[idx as usize] = self.stereo.len() as u32;
                        self.stereo.push((idx, ch, nbrs, prev.is_some()));
                    }
                    if let Some(p) = prev {
                        self.add_bond(p, idx, pending.take().map(|x| x.0));
                        self.note_neighbour(p, idx);
                    } else if let Some((sym, at)) = pending.take() {
                        return Err(SmilesError::at(
                            at,
                            SmilesErrorKind::DanglingBond(sym_char(sym)),
                        ));
                    }
                    prev = Some(idx);
                    branch_empty = false;
                }
            }
        }
        if let Some((sym, at)) = pending {
            return Err(SmilesError::at(
                at,
                SmilesErrorKind::DanglingBond(sym_char(sym)),
            ));
        }
        if let Some((_, at)) = branches.last() {
            return Err(SmilesError::at(
                *at,
                SmilesErrorKind::Branch("'(' is never closed"),
            ));
        }
        if prev.is_none() {
            return self.err(SmilesErrorKind::UnexpectedEnd("expected an atom"));
        }
        for (num, open) in self.ring.iter().enumerate() {
            if let Some(o) = open {
                let at = self.atom_pos[o.atom as usize] as usize;
                return Err(SmilesError::at(
                    at,
                    SmilesErrorKind::UnclosedRing(num as u32),
                ));
            }
        }
        Ok(())
    }

    /// Record `nb` as the next neighbour of chiral atom `a`.
    fn note_neighbour(&mut self, a: AtomIdx, nb: AtomIdx) {
        let si = self.stereo_of[a as usize];
        if si != u32::MAX {
            self.stereo[si as usize].2.push(nb);
        }
    }

    fn ring_number(&mut self) -> Result<u32, SmilesError> {
        let c = self.s[self.pos];
        if c != b'%' {
            self.pos += 1;
            return Ok((c - b'0') as u32);
        }
        self.pos += 1;
        if self.peek() == Some(b'(') {
            // RDKit extension: %(nnn)
            self.pos += 1;
            let start = self.pos;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
            if start == self.pos || self.peek() != Some(b')') || self.pos - start > 5 {
                return self.err(SmilesErrorKind::BadRing(0, "has a malformed %(...) number"));
            }
            let n: u32 = std::str::from_utf8(&self.s[start..self.pos])
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            self.pos += 1;
            return Ok(n);
        }
        let d1 = self.peek();
        let d2 = self.s.get(self.pos + 1).copied();
        match (d1, d2) {
            (Some(a @ b'0'..=b'9'), Some(b @ b'0'..=b'9')) => {
                self.pos += 2;
                Ok(((a - b'0') * 10 + (b - b'0')) as u32)
            }
            _ => self.err(SmilesErrorKind::UnexpectedEnd("'%' needs two digits")),
        }
    }

    fn ring_bond(
        &mut self,
        atom: AtomIdx,
        num: u32,
        sym: Option<BondSym>,
        at: usize,
    ) -> Result<(), SmilesError> {
        let n = num as usize;
        if self.ring.len() <= n {
            self.ring.resize_with(n + 1, || None);
        }
        match self.ring[n].take() {
            None => {
                let si = self.stereo_of[atom as usize];
                let slot = if si != u32::MAX {
                    let list = &mut self.stereo[si as usize].2;
                    list.push(u32::MAX - 1); // placeholder, filled at closure
                    Some(list.len() - 1)
                } else {
                    None
                };
                self.ring[n] = Some(RingOpen {
                    atom,
                    sym,
                    stereo_slot: slot,
                });
            }
            Some(open) => {
                if open.atom == atom {
                    return Err(SmilesError::at(
                        at,
                        SmilesErrorKind::BadRing(num, "bonds an atom to itself"),
                    ));
                }
                // An existing bond between the two is either a chain bond (one is the
                // other's parent as written) or an earlier ring closure; looking these
                // up instead of scanning every bond keeps long inputs linear.
                let pair = (open.atom.min(atom), open.atom.max(atom));
                let chain_bond = self.tree_parent.get(atom as usize) == Some(&open.atom)
                    || self.tree_parent.get(open.atom as usize) == Some(&atom);
                if chain_bond || !self.closures.insert(pair) {
                    return Err(SmilesError::at(
                        at,
                        SmilesErrorKind::BadRing(num, "duplicates an existing bond"),
                    ));
                }
                // A direction mark written at the closing digit points from the closing
                // atom to the opening one: flip it to the bond's a -> b sense.
                let s = match (open.sym, sym) {
                    (Some(a), Some(b)) if a != b => {
                        let flip = |x: BondSym| match x {
                            BondSym::Up => BondSym::Down,
                            BondSym::Down => BondSym::Up,
                            o => o,
                        };
                        if flip(b) == a && matches!(a, BondSym::Up | BondSym::Down) {
                            Some(a)
                        } else {
                            return Err(SmilesError::at(
                                at,
                                SmilesErrorKind::RingBondConflict(num),
                            ));
                        }
                    }
                    (Some(a), _) => Some(a),
                    (None, Some(b)) => Some(match b {
                        BondSym::Up => BondSym::Down,
                        BondSym::Down => BondSym::Up,
                        o => o,
                    }),
                    (None, None) => None,
                };
                self.add_bond(open.atom, atom, s);
                if let Some(slot) = open.stereo_slot {
                    let si = self.stereo_of[open.atom as usize];
                    self.stereo[si as usize].2[slot] = atom;
                }
                self.note_neighbour(atom, open.atom);
            }
        }
        Ok(())
    }

    fn add_bond(&mut self, a: AtomIdx, b: AtomIdx, sym: Option<BondSym>) {
        let both_aromatic = self.b.atoms[a as usize].aromatic && self.b.atoms[b as usize].aromatic;
        let (order, aromatic, dir) = match sym {
            None => (BondOrder::Single, both_aromatic, 0),
            Some(BondSym::Single) => (BondOrder::Single, false, 0),
            Some(BondSym::Double) => (BondOrder::Double, false, 0),
            Some(BondSym::Triple) => (BondOrder::Triple, false, 0),
            Some(BondSym::Quadruple) => (BondOrder::Quadruple, false, 0),
            Some(BondSym::Aromatic) => (BondOrder::Single, true, 0),
            Some(BondSym::Up) => (BondOrder::Single, false, 1),
            Some(BondSym::Down) => (BondOrder::Single, false, 2),
        };
        self.b.bonds.push(Bond {
            a,
            b,
            order,
            aromatic,
        });
        self.bond_dir.push(dir);
    }

    /// Parse one atom: (atom, chirality, has bracket hydrogen).
    fn atom(&mut self) -> Result<(Atom, Option<Chirality>, bool), SmilesError> {
        let c = self.s[self.pos];
        if c == b'[' {
            return self.bracket_atom();
        }
        let two = self.s.get(self.pos + 1).copied();
        let (el, aromatic, len) = match (c, two) {
            (b'C', Some(b'l')) => (Element::CL, false, 2),
            (b'B', Some(b'r')) => (Element::BR, false, 2),
            (b'B', _) => (Element::B, false, 1),
            (b'C', _) => (Element::C, false, 1),
            (b'N', _) => (Element::N, false, 1),
            (b'O', _) => (Element::O, false, 1),
            (b'P', _) => (Element::P, false, 1),
            (b'S', _) => (Element::S, false, 1),
            (b'F', _) => (Element::F, false, 1),
            (b'I', _) => (Element::I, false, 1),
            (b'b', _) => (Element::B, true, 1),
            (b'c', _) => (Element::C, true, 1),
            (b'n', _) => (Element::N, true, 1),
            (b'o', _) => (Element::O, true, 1),
            (b'p', _) => (Element::P, true, 1),
            (b's', _) => (Element::S, true, 1),
            (b'*', _) => (Element::ANY, false, 1),
            _ => {
                let ch = std::str::from_utf8(&self.s[self.pos..])
                    .ok()
                    .and_then(|t| t.chars().next())
                    .unwrap_or('?');
                return self.err(SmilesErrorKind::UnexpectedChar(ch));
            }
        };
        self.pos += len;
        let mut a = Atom::new(el);
        a.aromatic = aromatic;
        Ok((a, None, false))
    }

    fn bracket_atom(&mut self) -> Result<(Atom, Option<Chirality>, bool), SmilesError> {
        let open = self.pos;
        self.pos += 1;
        // isotope
        let mut isotope: u32 = 0;
        let mut digits = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            isotope = isotope * 10 + (d - b'0') as u32;
            digits += 1;
            self.pos += 1;
            if digits > 4 {
                return self.err(SmilesErrorKind::BadBracket("isotope too large"));
            }
        }
        // symbol
        let (el, aromatic) = self.bracket_symbol()?;
        let mut atom = Atom::new(el);
        atom.aromatic = aromatic;
        atom.isotope = isotope as u16;
        atom.explicit_h = true;
        // chirality
        let mut chir = None;
        if self.peek() == Some(b'@') {
            self.pos += 1;
            if self.peek() == Some(b'@') {
                self.pos += 1;
                chir = Some(Chirality::Clockwise);
            } else if self.s[self.pos..].starts_with(b"TH1") {
                self.pos += 3;
                chir = Some(Chirality::Anticlockwise);
            } else if self.s[self.pos..].starts_with(b"TH2") {
                self.pos += 3;
                chir = Some(Chirality::Clockwise);
            } else if let Some(skip) = self.other_chirality_class() {
                // @AL, @SP, @TB, @OH: read and dropped (not perceived by this crate)
                self.pos += skip;
            } else {
                chir = Some(Chirality::Anticlockwise);
            }
        }
        // hydrogens
        let mut has_h = false;
        if self.peek() == Some(b'H') {
            self.pos += 1;
            has_h = true;
            let mut h = 1u8;
            if let Some(d @ b'0'..=b'9') = self.peek() {
                h = d - b'0';
                self.pos += 1;
            }
            atom.hydrogens = h;
        }
        // charge
        if let Some(sign @ (b'+' | b'-')) = self.peek() {
            self.pos += 1;
            let unit: i32 = if sign == b'+' { 1 } else { -1 };
            let mut q = unit;
            if let Some(d @ b'0'..=b'9') = self.peek() {
                let mut v = (d - b'0') as i32;
                self.pos += 1;
                if let Some(d2 @ b'0'..=b'9') = self.peek() {
                    v = v * 10 + (d2 - b'0') as i32;
                    self.pos += 1;
                }
                q = unit * v;
            } else {
                while self.peek() == Some(sign) {
                    q += unit;
                    self.pos += 1;
                }
            }
            if !(-15..=15).contains(&q) {
                return self.err(SmilesErrorKind::BadBracket("charge out of range"));
            }
            atom.charge = q as i8;
        }
        // atom class
        if self.peek() == Some(b':') {
            self.pos += 1;
            let mut v: u32 = 0;
            let mut n = 0;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                v = v * 10 + (d - b'0') as u32;
                n += 1;
                self.pos += 1;
                if n > 5 {
                    return self.err(SmilesErrorKind::BadBracket("atom class too large"));
                }
            }
            if n == 0 {
                return self.err(SmilesErrorKind::BadBracket(
                    "':' needs an atom class number",
                ));
            }
            atom.atom_class = v.min(u16::MAX as u32) as u16;
        }
        match self.peek() {
            Some(b']') => self.pos += 1,
            None => {
                return Err(SmilesError::at(
                    open,
                    SmilesErrorKind::UnexpectedEnd("'[' is never closed"),
                ))
            }
            Some(c) => return self.err(SmilesErrorKind::UnexpectedChar(c as char)),
        }
        // A bracket hydrogen on a chiral centre takes a neighbour slot.
        Ok((atom, chir, has_h && chir.is_some()))
    }

    fn other_chirality_class(&self) -> Option<usize> {
        let rest = &self.s[self.pos..];
        for cls in [&b"AL"[..], b"SP", b"TB", b"OH"] {
            if rest.starts_with(cls) {
                let mut n = 2;
                while rest.get(n).is_some_and(|c| c.is_ascii_digit()) {
                    n += 1;
                }
                return Some(n);
            }
        }
        None
    }

    fn bracket_symbol(&mut self) -> Result<(Element, bool), SmilesError> {
        let rest = &self.s[self.pos..];
        // aromatic two-letter symbols first
        for (sym, el) in [
            (&b"se"[..], Element(34)),
            (b"as", Element(33)),
            (b"te", Element(52)),
        ] {
            if rest.starts_with(sym) {
                self.pos += 2;
                return Ok((el, true));
            }
        }
        match rest.first() {
            Some(b'*') => {
                self.pos += 1;
                Ok((Element::ANY, false))
            }
            Some(c @ (b'b' | b'c' | b'n' | b'o' | b'p' | b's')) => {
                let el = match c {
                    b'b' => Element::B,
                    b'c' => Element::C,
                    b'n' => Element::N,
                    b'o' => Element::O,
                    b'p' => Element::P,
                    _ => Element::S,
                };
                self.pos += 1;
                Ok((el, true))
            }
            Some(c) if c.is_ascii_uppercase() => {
                // Two-letter symbol if it exists, else one letter.
                if let Some(c2) = rest.get(1).filter(|c2| c2.is_ascii_lowercase()) {
                    let two = [*c, *c2];
                    if let Some(el) = std::str::from_utf8(&two)
                        .ok()
                        .and_then(Element::from_symbol)
                    {
                        self.pos += 2;
                        return Ok((el, false));
                    }
                }
                let one = [*c];
                if let Some(el) = std::str::from_utf8(&one)
                    .ok()
                    .and_then(Element::from_symbol)
                {
                    self.pos += 1;
                    return Ok((el, false));
                }
                let shown: String = rest.iter().take(2).map(|&b| b as char).collect();
                self.err(SmilesErrorKind::UnknownElement(shown))
            }
            Some(c) => self.err(SmilesErrorKind::UnknownElement((*c as char).to_string())),
            None => self.err(SmilesErrorKind::UnexpectedEnd(
                "bracket atom needs an element",
            )),
        }
    }

    /// Turn recorded neighbour orders and bond marks into stereo annotations.
    fn finish_stereo(&mut self) {
        for (atom, chirality, nbrs, had_prev) in self.stereo.drain(..) {
            if nbrs.len() == 3 || nbrs.len() == 4 {
                let mut neighbours = nbrs;
                if neighbours.len() == 3 && !neighbours.contains(&IMPLICIT_H) {
                    // Lone pair (e.g. sulfoxide): it stands where an implicit H would.
                    neighbours.insert(usize::from(had_prev), IMPLICIT_H);
                }
                if neighbours.iter().all(|&n| n != u32::MAX - 1) {
                    self.b.tetrahedral.push(TetrahedralCentre {
                        atom,
                        neighbours,
                        chirality,
                    });
                }
            }
        }
        if !self.bond_dir.iter().any(|&d| d != 0) {
            return;
        }
        let nb = self.b.bonds.len();
        for bi in 0..nb {
            let bond = &self.b.bonds[bi];
            // An aromatic bond as written may become a plain double bond when the ring
            // turns out not to be aromatic; marks on both sides then give it stereo, as
            // they do when the kekulé form is read back. Perception drops the stereo of
            // bonds that end up single or aromatic.
            if bond.order != BondOrder::Double && !bond.aromatic {
                continue;
            }
            let (u, v) = (bond.a, bond.b);
            let side = |end: AtomIdx, other: AtomIdx| -> Option<(AtomIdx, u8)> {
                // direction of the neighbour's bond expressed as "from neighbour to end"
                for (j, bj) in self.b.bonds.iter().enumerate() {
                    let d = self.bond_dir[j];
                    if d == 0 || j == bi {
                        continue;
                    }
                    let (nbr, from_nbr) = if bj.a == end && bj.b != other {
                        (bj.b, false)
                    } else if bj.b == end && bj.a != other {
                        (bj.a, true)
                    } else {
                        continue;
                    };
                    let dir = if from_nbr { d } else { 3 - d };
                    return Some((nbr, dir));
                }
                None
            };
            if let (Some((x, dx)), Some((y, dy))) = (side(u, v), side(v, u)) {
                // dx: x -> u ; dy: y -> v. Same marks written x->u and v->y mean trans;
                // y -> v is the flip of v -> y.
                let dv_from_v = 3 - dy;
                let trans = dx == dv_from_v;
                self.b.double_bond_stereo.push(DoubleBondStereo {
                    bond: bi as u32,
                    ref_a: x,
                    ref_b: y,
                    cis: !trans,
                });
            }
        }
    }
}

fn sym_char(s: BondSym) -> char {
    match s {
        BondSym::Single => '-',
        BondSym::Double => '=',
        BondSym::Triple => '#',
        BondSym::Quadruple => '$',
        BondSym::Aromatic => ':',
        BondSym::Up => '/',
        BondSym::Down => '\\',
    }
}

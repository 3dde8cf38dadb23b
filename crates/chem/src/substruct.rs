//! Substructure search: a query graph of atom and bond predicates, matched by
//! backtracking monomorphism (VF2 class): every query bond must map to a target bond,
//! target bonds between matched atoms that the query does not mention are allowed.
//! (A node-induced matcher such as petgraph's VF2 would miss most chemical matches.)

use crate::molecule::{AtomIdx, BondOrder, Molecule};
use std::cell::Cell;

/// Most candidate atoms one search may try (nested recursive-SMARTS searches included).
/// Backtracking is exponential in the worst case (a query of many disconnected
/// wildcards); past this the search stops with [`SearchTooCostly`] instead of stalling.
pub const MAX_SEARCH_STEPS: u64 = 5_000_000;

/// A substructure search stopped before it could answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("substructure search stopped after {0} steps: the query is too costly on this molecule")]
pub struct SearchTooCostly(pub u64);

/// Steps left to a search and its nested searches.
struct Budget {
    left: Cell<u64>,
    exhausted: Cell<bool>,
}

impl Budget {
    fn new() -> Budget {
        Budget {
            left: Cell::new(MAX_SEARCH_STEPS),
            exhausted: Cell::new(false),
        }
    }

    /// Takes one step; false once none are left.
    fn take(&self) -> bool {
        match self.left.get() {
            0 => {
                self.exhausted.set(true);
                false
            }
            n => {
                self.left.set(n - 1);
                true
            }
        }
    }

    fn result<T>(&self, value: T) -> Result<T, SearchTooCostly> {
        if self.exhausted.get() {
            Err(SearchTooCostly(MAX_SEARCH_STEPS))
        } else {
            Ok(value)
        }
    }
}

/// A predicate on a target atom.
#[derive(Clone, Debug, PartialEq)]
pub enum AtomExpr {
    /// Any atom.
    Any,
    /// Atomic number.
    Element(u8),
    /// Aromatic (`a`) or aliphatic (`A`).
    Aromatic(bool),
    /// Explicit connections (`D`).
    Degree(u8),
    /// Total connections including hydrogens (`X`).
    Connectivity(u8),
    /// Total hydrogens (`H`).
    Hydrogens(u8),
    /// Number of rings containing the atom (`R<n>`); `R` alone is `InRing`.
    RingCount(u8),
    /// In any ring (`R`).
    InRing,
    /// Member of a ring of this size (`r<n>`).
    RingSize(u8),
    /// Ring bonds (`x<n>`).
    RingConnectivity(u8),
    /// Total valence (`v<n>`).
    Valence(u8),
    /// Formal charge.
    Charge(i8),
    /// Mass number.
    Isotope(u16),
    /// Recursive SMARTS: the atom is the first atom of a match of the query.
    Recursive(Box<Query>),
    /// Negation.
    Not(Box<AtomExpr>),
    /// Conjunction.
    And(Vec<AtomExpr>),
    /// Disjunction.
    Or(Vec<AtomExpr>),
}

/// A predicate on a target bond.
#[derive(Clone, Debug, PartialEq)]
pub enum BondExpr {
    /// Unspecified in SMARTS: single or aromatic.
    Implicit,
    /// `~`.
    Any,
    /// `-` (non-aromatic single).
    Single,
    /// `=`.
    Double,
    /// `#`.
    Triple,
    /// `:`.
    Aromatic,
    /// `@`.
    Ring,
    /// Negation.
    Not(Box<BondExpr>),
    /// Conjunction.
    And(Vec<BondExpr>),
    /// Disjunction.
    Or(Vec<BondExpr>),
}

/// A query bond.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryBond {
    /// First query atom.
    pub a: u32,
    /// Second query atom.
    pub b: u32,
    /// Predicate.
    pub expr: BondExpr,
}

/// A substructure query.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Query {
    /// Atom predicates.
    pub atoms: Vec<AtomExpr>,
    /// Bonds.
    pub bonds: Vec<QueryBond>,
}

impl AtomExpr {
    /// Evaluate on a target atom. A recursive SMARTS too costly to decide is an error.
    pub fn matches(&self, mol: &Molecule, a: AtomIdx) -> Result<bool, SearchTooCostly> {
        let budget = Budget::new();
        let m = self.matches_in(mol, a, &budget);
        budget.result(m)
    }

    fn matches_in(&self, mol: &Molecule, a: AtomIdx, budget: &Budget) -> bool {
        let at = mol.atom(a);
        match self {
            AtomExpr::Any => true,
            AtomExpr::Element(z) => at.element.number() == *z,
            AtomExpr::Aromatic(ar) => at.aromatic == *ar,
            AtomExpr::Degree(d) => mol.degree(a) == *d as usize,
            AtomExpr::Connectivity(x) => mol.degree(a) + at.hydrogens as usize == *x as usize,
            AtomExpr::Hydrogens(h) => mol.total_hydrogens(a) == *h,
            AtomExpr::RingCount(r) => mol.rings().atom_ring_count(a) == *r,
            AtomExpr::InRing => mol.rings().is_ring_atom(a),
            AtomExpr::RingSize(s) => mol
                .rings()
                .rings()
                .iter()
                .any(|r| r.len() == *s as usize && r.contains(&a)),
            AtomExpr::RingConnectivity(x) => {
                mol.neighbours(a)
                    .iter()
                    .filter(|n| mol.rings().is_ring_bond(n.bond))
                    .count()
                    == *x as usize
            }
            AtomExpr::Valence(v) => mol.bond_valence(a) + at.hydrogens == *v,
            AtomExpr::Charge(q) => at.charge == *q,
            AtomExpr::Isotope(i) => at.isotope == *i,
            AtomExpr::Recursive(q) => {
                let mut found = false;
                q.search(mol, Some(a), budget, &mut |_| {
                    found = true;
                    false
                });
                found
            }
            AtomExpr::Not(e) => !e.matches_in(mol, a, budget),
            AtomExpr::And(v) => v.iter().all(|e| e.matches_in(mol, a, budget)),
            AtomExpr::Or(v) => v.iter().any(|e| e.matches_in(mol, a, budget)),
        }
    }
}

impl BondExpr {
    /// Evaluate on a target bond.
    pub fn matches(&self, mol: &Molecule, b: u32) -> bool {
        let bond = mol.bond(b);
        match self {
            BondExpr::Implicit => bond.aromatic || bond.order == BondOrder::Single,
            BondExpr::Any => true,
            BondExpr::Single => !bond.aromatic && bond.order == BondOrder::Single,
            BondExpr::Double => !bond.aromatic && bond.order == BondOrder::Double,
            BondExpr::Triple => bond.order == BondOrder::Triple,
            BondExpr::Aromatic => bond.aromatic,
            BondExpr::Ring => mol.rings().is_ring_bond(b),
            BondExpr::Not(e) => !e.matches(mol, b),
            BondExpr::And(v) => v.iter().all(|e| e.matches(mol, b)),
            BondExpr::Or(v) => v.iter().any(|e| e.matches(mol, b)),
        }
    }
}

impl Query {
    /// A query that matches this molecule exactly as drawn (element, aromaticity,
    /// charge; bonds by order or aromaticity), for "contains this structure" searches.
    pub fn from_molecule(mol: &Molecule) -> Query {
        let atoms = mol
            .atoms()
            .iter()
            .map(|a| {
                AtomExpr::And(vec![
                    AtomExpr::Element(a.element.number()),
                    AtomExpr::Aromatic(a.aromatic),
                    AtomExpr::Charge(a.charge),
                ])
            })
            .collect();
        let bonds = mol
            .bonds()
            .iter()
            .map(|b| QueryBond {
                a: b.a,
                b: b.b,
                expr: if b.aromatic {
                    BondExpr::Aromatic
                } else {
                    match b.order {
                        BondOrder::Double => BondExpr::Double,
                        BondOrder::Triple => BondExpr::Triple,
                        _ => BondExpr::Single,
                    }
                },
            })
            .collect();
        Query { atoms, bonds }
    }

    /// Whether there is at least one match (an error, never `false`, when the search
    /// could not finish within [`MAX_SEARCH_STEPS`]).
    pub fn is_match(&self, mol: &Molecule) -> Result<bool, SearchTooCostly> {
        let budget = Budget::new();
        let mut found = false;
        self.search(mol, None, &budget, &mut |_| {
            found = true;
            false
        });
        // a match found is a match, however long the rest would have taken
        if found {
            return Ok(true);
        }
        budget.result(false)
    }

    /// All matches (query atom -> target atom), unique by matched atom set.
    pub fn matches(&self, mol: &Molecule) -> Result<Vec<Vec<AtomIdx>>, SearchTooCostly> {
        let budget = Budget::new();
        let mut out: Vec<Vec<AtomIdx>> = Vec::new();
        let mut seen: Vec<Vec<AtomIdx>> = Vec::new();
        self.search(mol, None, &budget, &mut |m| {
            let mut key = m.to_vec();
            key.sort_unstable();
            if !seen.contains(&key) {
                seen.push(key);
                out.push(m.to_vec());
            }
            true
        });
        budget.result(out)
    }

    /// Whether a match exists with query atom 0 on target atom `a` (recursive SMARTS).
    pub fn matches_at(&self, mol: &Molecule, a: AtomIdx) -> Result<bool, SearchTooCostly> {
        let budget = Budget::new();
        let mut found = false;
        self.search(mol, Some(a), &budget, &mut |_| {
            found = true;
            false
        });
        if found {
            return Ok(true);
        }
        budget.result(false)
    }

    /// Enumerate matches; the callback returns false to stop. Stops early, with the
    /// budget marked exhausted, when the budget runs out.
    fn search(
        &self,
        mol: &Molecule,
        anchor: Option<AtomIdx>,
        budget: &Budget,
        f: &mut dyn FnMut(&[AtomIdx]) -> bool,
    ) {
        let nq = self.atoms.len();
        if nq == 0 || nq > mol.atom_count() {
            return;
        }
        // adjacency of the query
        let mut qadj: Vec<Vec<(u32, usize)>> = vec![Vec::new(); nq];
        for (i, b) in self.bonds.iter().enumerate() {
            qadj[b.a as usize].push((b.b, i));
            qadj[b.b as usize].push((b.a, i));
        }
        // order: DFS from atom 0 over each component, so each atom after the first of
        // its component has an already-placed neighbour.
        let mut order = Vec::with_capacity(nq);
        let mut parent = vec![u32::MAX; nq];
        let mut placed = vec![false; nq];
        for root in 0..nq {
            if placed[root] {
                continue;
            }
            let mut stack = vec![root as u32];
            placed[root] = true;
            while let Some(q) = stack.pop() {
                order.push(q);
                for &(nb, _) in qadj[q as usize].iter().rev() {
                    if !placed[nb as usize] {
                        placed[nb as usize] = true;
                        parent[nb as usize] = q;
                        stack.push(nb);
                    }
                }
            }
        }
        let mut map = vec![u32::MAX; nq];
        let mut used = vec![false; mol.atom_count()];
        let mut state = Search {
            q: self,
            mol,
            qadj: &qadj,
            order: &order,
            parent: &parent,
            map: &mut map,
            used: &mut used,
            anchor,
            budget,
        };
        state.step(0, f);
    }
}

struct Search<'a> {
    q: &'a Query,
    mol: &'a Molecule,
    qadj: &'a [Vec<(u32, usize)>],
    order: &'a [u32],
    parent: &'a [u32],
    map: &'a mut Vec<u32>,
    used: &'a mut Vec<bool>,
    anchor: Option<AtomIdx>,
    budget: &'a Budget,
}

impl Search<'_> {
    /// Returns false when the callback asked to stop.
    fn step(&mut self, k: usize, f: &mut dyn FnMut(&[AtomIdx]) -> bool) -> bool {
        if k == self.order.len() {
            return f(self.map);
        }
        let qa = self.order[k];
        let p = self.parent[qa as usize];
        let candidates: Vec<AtomIdx> = if k == 0 && self.anchor.is_some() {
            self.anchor.into_iter().collect()
        } else if p != u32::MAX {
            self.mol
                .neighbours(self.map[p as usize])
                .iter()
                .map(|n| n.atom)
                .collect()
        } else {
            (0..self.mol.atom_count() as u32).collect()
        };
        for t in candidates {
            if !self.budget.take() {
                return false;
            }
            if self.used[t as usize] || !self.feasible(qa, t) {
                continue;
            }
            self.map[qa as usize] = t;
            self.used[t as usize] = true;
            let go_on = self.step(k + 1, f);
            self.used[t as usize] = false;
            self.map[qa as usize] = u32::MAX;
            if !go_on {
                return false;
            }
        }
        true
    }

    fn feasible(&self, qa: u32, t: AtomIdx) -> bool {
        if self.qadj[qa as usize].len() > self.mol.degree(t) {
            return false;
        }
        if !self.q.atoms[qa as usize].matches_in(self.mol, t, self.budget) {
            return false;
        }
        for &(qn, bi) in &self.qadj[qa as usize] {
            let tn = self.map[qn as usize];
            if tn == u32::MAX {
                continue;
            }
            match self.mol.bond_between(t, tn) {
                Some(tb) if self.q.bonds[bi].expr.matches(self.mol, tb) => {}
                _ => return false,
            }
        }
        true
    }
}

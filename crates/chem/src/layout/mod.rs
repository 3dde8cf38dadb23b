//! 2D coordinates for drawing a molecule, and how readable a drawing is.
//!
//! [`layout`] places every atom of a [`Molecule`] in the plane with bonds of length 1:
//!
//! 1. each ring system on its own ([`rings`]: regular polygons and arcs of unit chords;
//!    bridged systems relaxed by a small force field);
//! 2. the rest outwards from the largest ring system (or the middle of the longest chain):
//!    chains zigzag at 120°, the largest branch continuing the chain, ring systems attached
//!    rigidly with their outward direction towards the atom that holds them, as the mirror
//!    image that collides least; linear atoms (triple bonds, allenes) straight; acyclic
//!    double bonds with stereo put their substituents on the sides the stereo says;
//! 3. collisions (atoms closer than a bond, crossing bonds) resolved by flipping or
//!    turning the smaller side of an acyclic single bond, never a move that changes a
//!    double bond's configuration; each move kept only if the drawing gets better;
//! 4. each component turned so that it is wider than tall, and the components set side by
//!    side.
//!
//! [`wedges`] then says which bond of each tetrahedral centre to draw as a wedge or hash
//! so that the drawing shows the centre's handedness. [`readability`] measures a layout
//! the way a reader judges it: the closest two atoms not bonded, bond crossings, and the
//! spread of bond lengths.
//!
//! **Invariant: the cost is bounded.** Layout refuses structures of more than
//! [`MAX_ATOMS`] atoms (`LayoutError::TooLarge`); every step is polynomial in the atom
//! count with fixed iteration caps, and nothing recurses.

pub mod geometry;
mod rings;

pub use geometry::Point;

use crate::molecule::{AtomIdx, BondIdx, BondOrder, Chirality, Molecule, IMPLICIT_H};
use geometry::{centroid, segments_cross};
use std::collections::VecDeque;
use std::f64::consts::PI;

/// Most atoms (hydrogens present as atoms included) a layout is made for.
pub const MAX_ATOMS: usize = 400;

/// Why a structure was not laid out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// More atoms than [`MAX_ATOMS`].
    #[error("{atoms} atoms: too large to draw (at most {max})")]
    TooLarge {
        /// Atoms in the structure.
        atoms: usize,
        /// The most that are drawn.
        max: usize,
    },
}

/// A position for every atom, in bond lengths (bonds have length 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// One point per atom of the molecule, by atom index.
    pub coords: Vec<Point>,
}

/// How readable a layout is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Readability {
    /// The smallest distance between two atoms that are not bonded, in median bond
    /// lengths (infinite for fewer than two such atoms).
    pub closest: f64,
    /// Pairs of bonds that cross (bonds sharing an atom never count).
    pub crossings: usize,
    /// The largest deviation of a bond's length from the median, as a fraction of it.
    pub bond_spread: f64,
}

impl Readability {
    /// The criteria of a readable drawing: no two atoms closer than half a bond, no
    /// crossing, bond lengths within 10 % of each other.
    pub fn is_readable(&self) -> bool {
        self.closest >= 0.5 && self.crossings == 0 && self.bond_spread <= 0.1
    }
}

/// Measures a layout of `mol` (see [`Readability`]).
pub fn readability(mol: &Molecule, layout: &Layout) -> Readability {
    let bonds: Vec<(usize, usize)> = mol
        .bonds()
        .iter()
        .map(|b| (b.a as usize, b.b as usize))
        .collect();
    readability_of(&layout.coords, &bonds)
}

pub(crate) fn readability_of(p: &[Point], bonds: &[(usize, usize)]) -> Readability {
    let n = p.len();
    let mut lengths: Vec<f64> = bonds.iter().map(|&(i, j)| p[i].dist(p[j])).collect();
    lengths.sort_by(f64::total_cmp);
    let median = lengths
        .get(lengths.len() / 2)
        .copied()
        .unwrap_or(1.0)
        .max(1e-9);
    let bond_spread = lengths
        .iter()
        .map(|l| (l - median).abs() / median)
        .fold(0.0, f64::max);
    let mut bonded = std::collections::HashSet::new();
    for &(i, j) in bonds {
        bonded.insert((i.min(j), i.max(j)));
    }
    let mut closest = f64::INFINITY;
    for i in 0..n {
        for j in i + 1..n {
            if !bonded.contains(&(i, j)) {
                closest = closest.min(p[i].dist(p[j]) / median);
            }
        }
    }
    let mut crossings = 0;
    for x in 0..bonds.len() {
        for y in x + 1..bonds.len() {
            let ((a, b), (c, d)) = (bonds[x], bonds[y]);
            if a == c || a == d || b == c || b == d {
                continue;
            }
            if segments_cross(p[a], p[b], p[c], p[d]) {
                crossings += 1;
            }
        }
    }
    Readability {
        closest,
        crossings,
        bond_spread,
    }
}

/// Lays out `mol` (see the module documentation).
pub fn layout(mol: &Molecule) -> Result<Layout, LayoutError> {
    let n = mol.atom_count();
    if n > MAX_ATOMS {
        return Err(LayoutError::TooLarge {
            atoms: n,
            max: MAX_ATOMS,
        });
    }
    let systems = ring_systems(mol);
    let mut coords = vec![Point::default(); n];
    let mut x_offset = 0.0;
    for component in mol.components() {
        let mut placer = Placer::new(mol, &systems, &component);
        placer.place();
        placer.clean_up();
        let mut points: Vec<(AtomIdx, Point)> = component
            .iter()
            .map(|&a| (a, placer.pos[a as usize].unwrap_or_default()))
            .collect();
        level(&mut points);
        let (min_x, max_x, min_y, max_y) = bounds(&points);
        let centre_y = 0.5 * (min_y + max_y);
        for (a, p) in points {
            coords[a as usize] = Point::new(p.x - min_x + x_offset, p.y - centre_y);
        }
        x_offset += max_x - min_x + 1.5;
    }
    Ok(Layout { coords })
}

/// Where bonds leave atom `a` whose other bonds point at `dirs` (neighbour, angle): the
/// largest angular gap that is not the inside of a ring through `a` and the two
/// neighbours bounding it (at a fusion atom every gap may be 120°), or failing that the
/// largest gap. Its start and size; ties go to the gap that starts first.
fn exit_gap(mol: &Molecule, a: AtomIdx, dirs: &[(AtomIdx, f64)]) -> Option<(f64, f64)> {
    let mut sorted: Vec<(f64, AtomIdx)> = dirs
        .iter()
        .map(|&(x, d)| (geometry::normalise(d), x))
        .collect();
    sorted.sort_by(|p, q| p.0.total_cmp(&q.0));
    let inside = |x: AtomIdx, y: AtomIdx| {
        mol.rings()
            .rings()
            .iter()
            .any(|r| r.contains(&a) && r.contains(&x) && r.contains(&y))
    };
    let mut best: Option<(bool, f64, f64)> = None;
    for i in 0..sorted.len() {
        let (from, x) = sorted[i];
        let (to, y) = if i + 1 < sorted.len() {
            sorted[i + 1]
        } else {
            (sorted[0].0 + 2.0 * PI, sorted[0].1)
        };
        let open = sorted.len() < 2 || !inside(x, y);
        let better = match best {
            None => true,
            Some((b_open, _, b_size)) => {
                (open && !b_open) || (open == b_open && to - from > b_size + 1e-9)
            }
        };
        if better {
            best = Some((open, from, to - from));
        }
    }
    best.map(|(_, from, size)| (from, size))
}

/// Ring systems as lists of SSSR ring indices, and each atom's system.
struct Systems {
    rings: Vec<Vec<usize>>,
    of_atom: Vec<Option<usize>>,
}

fn ring_systems(mol: &Molecule) -> Systems {
    let info = mol.rings();
    let mut ids: Vec<u32> = (0..info.count()).map(|r| info.ring_system_of(r)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut rings = vec![Vec::new(); ids.len()];
    let mut of_atom = vec![None; mol.atom_count()];
    for r in 0..info.count() {
        let s = ids.binary_search(&info.ring_system_of(r)).unwrap_or(0);
        rings[s].push(r);
        for &a in &info.rings()[r] {
            of_atom[a as usize] = Some(s);
        }
    }
    Systems { rings, of_atom }
}

/// Turns a component so that its long axis is horizontal (principal axis of its atoms).
fn level(points: &mut [(AtomIdx, Point)]) {
    if points.len() < 2 {
        return;
    }
    let c = centroid(points.iter().map(|p| p.1));
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (_, p) in points.iter() {
        let d = *p - c;
        sxx += d.x * d.x;
        syy += d.y * d.y;
        sxy += d.x * d.y;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    for (_, p) in points.iter_mut() {
        *p = (*p - c).rotated(-angle);
    }
}

fn bounds(points: &[(AtomIdx, Point)]) -> (f64, f64, f64, f64) {
    let mut b = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (_, p) in points {
        b = (b.0.min(p.x), b.1.max(p.x), b.2.min(p.y), b.3.max(p.y));
    }
    if b.0 > b.1 {
        (0.0, 0.0, 0.0, 0.0)
    } else {
        b
    }
}

/// Places one connected component.
struct Placer<'m> {
    mol: &'m Molecule,
    systems: &'m Systems,
    component: &'m [AtomIdx],
    pos: Vec<Option<Point>>,
    /// The atom each atom was placed from (for zigzag sides); none for the first unit.
    parent: Vec<Option<AtomIdx>>,
}

impl<'m> Placer<'m> {
    fn new(mol: &'m Molecule, systems: &'m Systems, component: &'m [AtomIdx]) -> Self {
        Placer {
            mol,
            systems,
            component,
            pos: vec![None; mol.atom_count()],
            parent: vec![None; mol.atom_count()],
        }
    }

    fn place(&mut self) {
        let mut queue = VecDeque::new();
        // The largest ring system first, else the middle of the longest chain.
        let largest = self
            .component
            .iter()
            .filter_map(|&a| self.systems.of_atom[a as usize])
            .max_by_key(|&s| (self.system_size(s), usize::MAX - s));
        match largest {
            Some(s) => {
                for (a, p) in rings::place_system(self.mol, &self.systems.rings[s]) {
                    self.pos[a as usize] = Some(p);
                    queue.push_back(a);
                }
            }
            None => {
                let start = self.chain_middle();
                self.pos[start as usize] = Some(Point::default());
                queue.push_back(start);
            }
        }
        while let Some(a) = queue.pop_front() {
            for placed in self.place_neighbours(a) {
                queue.push_back(placed);
            }
        }
    }

    fn system_size(&self, s: usize) -> usize {
        let all = self.mol.rings().rings();
        let mut atoms: Vec<AtomIdx> = self.systems.rings[s]
            .iter()
            .flat_map(|&r| all[r].iter().copied())
            .collect();
        atoms.sort_unstable();
        atoms.dedup();
        atoms.len()
    }

    /// The middle atom of a longest path (two breadth-first searches; acyclic here).
    fn chain_middle(&self) -> AtomIdx {
        let first = self.component[0];
        let (far, _) = self.farthest(first);
        let (other, parents) = self.farthest(far);
        let mut path = vec![other];
        let mut at = other;
        while let Some(p) = parents[at as usize] {
            path.push(p);
            at = p;
        }
        path[path.len() / 2]
    }

    fn farthest(&self, from: AtomIdx) -> (AtomIdx, Vec<Option<AtomIdx>>) {
        let mut parents = vec![None; self.mol.atom_count()];
        let mut seen = vec![false; self.mol.atom_count()];
        let mut queue = VecDeque::from([from]);
        seen[from as usize] = true;
        let mut last = from;
        while let Some(a) = queue.pop_front() {
            last = a;
            for nb in self.mol.neighbours(a) {
                if !seen[nb.atom as usize] {
                    seen[nb.atom as usize] = true;
                    parents[nb.atom as usize] = Some(a);
                    queue.push_back(nb.atom);
                }
            }
        }
        (last, parents)
    }

    /// Atoms reachable from `from` without passing `not_through` (bounded by the component).
    fn side(&self, from: AtomIdx, not_through: AtomIdx) -> Vec<AtomIdx> {
        let mut seen = vec![false; self.mol.atom_count()];
        seen[not_through as usize] = true;
        seen[from as usize] = true;
        let mut out = vec![from];
        let mut stack = vec![from];
        while let Some(a) = stack.pop() {
            for nb in self.mol.neighbours(a) {
                if !seen[nb.atom as usize] {
                    seen[nb.atom as usize] = true;
                    out.push(nb.atom);
                    stack.push(nb.atom);
                }
            }
        }
        out
    }

    fn is_linear(&self, a: AtomIdx) -> bool {
        let nbs = self.mol.neighbours(a);
        let orders: Vec<BondOrder> = nbs.iter().map(|n| self.mol.bond(n.bond).order).collect();
        nbs.len() == 2
            && (orders.contains(&BondOrder::Triple)
                || orders.iter().all(|&o| o == BondOrder::Double))
    }

    /// Places every unplaced neighbour of `a` (and the ring systems they belong to);
    /// returns the atoms placed.
    fn place_neighbours(&mut self, a: AtomIdx) -> Vec<AtomIdx> {
        let Some(here) = self.pos[a as usize] else {
            return Vec::new();
        };
        let mol = self.mol;
        let mut unplaced: Vec<AtomIdx> = mol
            .neighbours(a)
            .iter()
            .map(|n| n.atom)
            .filter(|&x| self.pos[x as usize].is_none())
            .collect();
        if unplaced.is_empty() {
            return Vec::new();
        }
        // Largest branch first: it takes the slot that continues the chain.
        let mut sizes: Vec<(usize, AtomIdx)> = unplaced
            .iter()
            .map(|&u| (self.side(u, a).len(), u))
            .collect();
        sizes.sort_by_key(|&(s, u)| (usize::MAX - s, u));
        unplaced = sizes.into_iter().map(|(_, u)| u).collect();
        let placed_dirs: Vec<(AtomIdx, f64)> = mol
            .neighbours(a)
            .iter()
            .filter_map(|n| self.pos[n.atom as usize].map(|p| (n.atom, (p - here).angle())))
            .collect();
        let slots = self.slots(a, here, &placed_dirs, &unplaced);
        let mut placed = Vec::new();
        for (&u, angle) in unplaced.iter().zip(slots) {
            let target = here + Point::polar(angle);
            self.parent[u as usize] = Some(a);
            match self.systems.of_atom[u as usize] {
                Some(s) => placed.extend(self.attach_system(s, u, target, here)),
                None => {
                    self.pos[u as usize] = Some(target);
                    placed.push(u);
                }
            }
        }
        placed
    }

    /// The directions for `unplaced` (in that order) around `a`.
    fn slots(
        &self,
        a: AtomIdx,
        here: Point,
        placed: &[(AtomIdx, f64)],
        unplaced: &[AtomIdx],
    ) -> Vec<f64> {
        let m = unplaced.len();
        match placed {
            [] => match m {
                1 => vec![0.0],
                2 => vec![-PI / 6.0, 7.0 * PI / 6.0],
                3 => vec![PI / 2.0, 7.0 * PI / 6.0, -PI / 6.0],
                _ => (0..m)
                    .map(|i| 2.0 * PI * i as f64 / m as f64 + PI / 4.0)
                    .collect(),
            },
            [(p, back)] => {
                let back = *back;
                if m == 1 && self.is_linear(a) {
                    return vec![back + PI];
                }
                match m {
                    1 | 2 => {
                        // The zigzag: the first (largest) branch trans to the atom before.
                        let (left, right) = (back - 2.0 * PI / 3.0, back + 2.0 * PI / 3.0);
                        let want_left = self.first_goes_left(a, *p, here, unplaced[0]);
                        let (first, second) = if want_left {
                            (left, right)
                        } else {
                            (right, left)
                        };
                        if m == 1 {
                            vec![first]
                        } else {
                            vec![first, second]
                        }
                    }
                    3 => vec![back + PI, back + PI / 2.0, back - PI / 2.0],
                    _ => (0..m)
                        .map(|i| back + 2.0 * PI * (i + 1) as f64 / (m + 1) as f64)
                        .collect(),
                }
            }
            _ => {
                // The largest open gap between the placed neighbours, shared evenly.
                let gap = exit_gap(self.mol, a, placed).unwrap_or((0.0, 2.0 * PI));
                (0..m)
                    .map(|i| gap.0 + gap.1 * (i + 1) as f64 / (m + 1) as f64)
                    .collect()
            }
        }
    }

    /// Whether the first new neighbour `u` of `a` (placed from `p`) goes to the left of
    /// p→a: the side a stereo double bond p=a asks for, else the side away from the
    /// atom before `p` (the zigzag).
    fn first_goes_left(&self, a: AtomIdx, p: AtomIdx, here: Point, u: AtomIdx) -> bool {
        let mol = self.mol;
        let Some(from) = self.pos[p as usize] else {
            return true;
        };
        let axis = here - from;
        let side = |x: AtomIdx| self.pos[x as usize].map(|q| axis.cross(q - from));
        if let Some(bond) = mol.bond_between(p, a) {
            for s in mol.double_bond_stereo() {
                if s.bond != bond {
                    continue;
                }
                let b = mol.bond(bond);
                let (ref_p, ref_a) = if b.a == p {
                    (s.ref_a, s.ref_b)
                } else {
                    (s.ref_b, s.ref_a)
                };
                if ref_p == IMPLICIT_H || ref_a == IMPLICIT_H {
                    break;
                }
                let Some(side_p) = side(ref_p).filter(|v| v.abs() > 1e-6) else {
                    break;
                };
                // the reference of a's end is u, or else the other new neighbour
                let same = s.cis == (ref_a == u);
                return if same { side_p > 0.0 } else { side_p < 0.0 };
            }
        }
        // Zigzag: away from the atom `p` was placed from (or p's first other neighbour).
        let before = self.parent[p as usize].or_else(|| {
            mol.neighbours(p)
                .iter()
                .map(|n| n.atom)
                .find(|&x| x != a && self.pos[x as usize].is_some())
        });
        match before.and_then(side) {
            Some(v) if v.abs() > 1e-6 => v < 0.0,
            _ => true,
        }
    }

    /// Places ring system `s` so that `u` sits at `target` with its outward direction
    /// towards `holder`; the mirror image that collides least.
    fn attach_system(
        &mut self,
        s: usize,
        u: AtomIdx,
        target: Point,
        holder: Point,
    ) -> Vec<AtomIdx> {
        let local = rings::place_system(self.mol, &self.systems.rings[s]);
        let Some(&(_, u_local)) = local.iter().find(|(a, _)| *a == u) else {
            return Vec::new();
        };
        // The outward gap between u's ring bonds, shared among its bonds out of the
        // system: the holder takes the first share.
        let ring_dirs: Vec<(AtomIdx, f64)> = self
            .mol
            .neighbours(u)
            .iter()
            .filter_map(|n| {
                local
                    .iter()
                    .find(|(a, _)| *a == n.atom)
                    .map(|x| (n.atom, (x.1 - u_local).angle()))
            })
            .collect();
        let exits = (self.mol.degree(u) - ring_dirs.len()).max(1);
        let out = match exit_gap(self.mol, u, &ring_dirs) {
            Some((start, size)) => Point::polar(start + size / (exits + 1) as f64),
            None => Point::new(1.0, 0.0),
        };
        let turn = (holder - target).angle() - out.angle();
        let variants: Vec<Vec<(AtomIdx, Point)>> = [false, true]
            .iter()
            .map(|&mirror| {
                local
                    .iter()
                    .map(|&(a, p)| {
                        let mut d = p - u_local;
                        if mirror {
                            d = d.reflected(Point::default(), out);
                        }
                        (a, target + d.rotated(turn))
                    })
                    .collect()
            })
            .collect();
        let best = variants
            .into_iter()
            .min_by(|x, y| self.crowding(x).total_cmp(&self.crowding(y)))
            .unwrap_or_default();
        for &(a, p) in &best {
            self.pos[a as usize] = Some(p);
        }
        best.into_iter().map(|(a, _)| a).collect()
    }

    /// How close new points come to the atoms placed already.
    fn crowding(&self, new: &[(AtomIdx, Point)]) -> f64 {
        let mut penalty = 0.0;
        for &(_, p) in new {
            for &q in self.pos.iter().flatten() {
                let d = p.dist(q);
                if d < 1.0 {
                    penalty += (1.0 - d) * (1.0 - d);
                }
            }
        }
        penalty
    }

    /// Flips and turns about acyclic single bonds until no move improves the drawing.
    /// Only the bonds on the paths between the worst collisions are tried, each round.
    fn clean_up(&mut self) {
        let mol = self.mol;
        let atoms = self.component;
        let mut in_component = vec![false; mol.atom_count()];
        for &a in atoms {
            in_component[a as usize] = true;
        }
        let bonds: Vec<(usize, usize)> = mol
            .bonds()
            .iter()
            .filter(|b| in_component[b.a as usize])
            .map(|b| (b.a as usize, b.b as usize))
            .collect();
        let stereo_bonds: Vec<BondIdx> = mol.double_bond_stereo().iter().map(|s| s.bond).collect();
        let movable = |i: BondIdx| {
            let b = mol.bond(i);
            !mol.rings().is_ring_bond(i)
                && !stereo_bonds.contains(&i)
                && b.order != BondOrder::Triple
        };
        let mut points: Vec<Point> = (0..mol.atom_count())
            .map(|a| self.pos[a].unwrap_or_default())
            .collect();
        let mut current = penalty(mol, &points, atoms, &bonds);
        for _round in 0..60 {
            if current.total < 1e-9 {
                break;
            }
            // The hinges: movable bonds on the paths between the worst collisions.
            let mut hinges: Vec<BondIdx> = Vec::new();
            for &(x, y) in current.worst.iter().take(16) {
                if hinges.len() >= 8 {
                    break;
                }
                for bond in self.path_bonds(x, y) {
                    if movable(bond) && !hinges.contains(&bond) {
                        hinges.push(bond);
                    }
                }
            }
            let mut best: Option<(Penalty, Vec<Point>)> = None;
            for &bond in &hinges {
                let b = mol.bond(bond);
                let (side_b, side_a) = (self.side(b.b, b.a), self.side(b.a, b.b));
                let (pivot, head, moving) = if side_b.len() <= side_a.len() {
                    (b.a, b.b, side_b)
                } else {
                    (b.b, b.a, side_a)
                };
                for mv in MOVES {
                    let mut trial = points.clone();
                    let (o, h) = (points[pivot as usize], points[head as usize]);
                    for &x in &moving {
                        let p = points[x as usize];
                        trial[x as usize] = match mv {
                            Move::Flip => p.reflected(o, h),
                            Move::Turn(angle) => o + (p - o).rotated(angle),
                        };
                    }
                    if !self.stereo_kept(&trial) {
                        continue;
                    }
                    let score = penalty(mol, &trial, atoms, &bonds);
                    let to_beat = best.as_ref().map_or(current.total, |b| b.0.total);
                    if score.total + 1e-9 < to_beat {
                        best = Some((score, trial));
                    }
                }
            }
            match best {
                Some((score, trial)) => {
                    points = trial;
                    current = score;
                }
                None => break,
            }
        }
        for &a in atoms {
            self.pos[a as usize] = Some(points[a as usize]);
        }
    }

    /// The bonds of a shortest path between two atoms of the component.
    fn path_bonds(&self, from: AtomIdx, to: AtomIdx) -> Vec<BondIdx> {
        let mut via: Vec<Option<(AtomIdx, BondIdx)>> = vec![None; self.mol.atom_count()];
        let mut seen = vec![false; self.mol.atom_count()];
        seen[from as usize] = true;
        let mut queue = VecDeque::from([from]);
        while let Some(a) = queue.pop_front() {
            if a == to {
                break;
            }
            for nb in self.mol.neighbours(a) {
                if !seen[nb.atom as usize] {
                    seen[nb.atom as usize] = true;
                    via[nb.atom as usize] = Some((a, nb.bond));
                    queue.push_back(nb.atom);
                }
            }
        }
        let mut out = Vec::new();
        let mut at = to;
        while let Some((prev, bond)) = via[at as usize] {
            out.push(bond);
            at = prev;
        }
        out
    }

    /// Whether every acyclic stereo double bond still has its configuration.
    fn stereo_kept(&self, p: &[Point]) -> bool {
        self.mol.double_bond_stereo().iter().all(|s| {
            let b = self.mol.bond(s.bond);
            if s.ref_a == IMPLICIT_H
                || s.ref_b == IMPLICIT_H
                || self.mol.rings().is_ring_bond(s.bond)
            {
                return true;
            }
            let (a, c) = (p[b.a as usize], p[b.b as usize]);
            let axis = c - a;
            let sa = axis.cross(p[s.ref_a as usize] - a);
            let sb = axis.cross(p[s.ref_b as usize] - a);
            sa.abs() < 1e-6 || sb.abs() < 1e-6 || ((sa > 0.0) == (sb > 0.0)) == s.cis
        })
    }
}

#[derive(Clone, Copy)]
enum Move {
    Flip,
    Turn(f64),
}

const MOVES: [Move; 5] = [
    Move::Flip,
    Move::Turn(PI / 6.0),
    Move::Turn(-PI / 6.0),
    Move::Turn(PI / 3.0),
    Move::Turn(-PI / 3.0),
];

/// How crowded a component's drawing is, and where.
struct Penalty {
    /// Squared shortfall below one bond length of every pair of atoms not bonded, and 1.5
    /// per crossing.
    total: f64,
    /// The worst collisions first: two atoms too close, or an atom of each crossing bond.
    worst: Vec<(AtomIdx, AtomIdx)>,
}

/// Measures crowding through a grid of cells, so that only near pairs are compared.
fn penalty(mol: &Molecule, p: &[Point], atoms: &[AtomIdx], bonds: &[(usize, usize)]) -> Penalty {
    use std::collections::HashMap;
    let cell = |q: Point, size: f64| ((q.x / size).floor() as i64, (q.y / size).floor() as i64);
    let mut found: Vec<(f64, AtomIdx, AtomIdx)> = Vec::new();
    let mut grid: HashMap<(i64, i64), Vec<AtomIdx>> = HashMap::new();
    for &a in atoms {
        grid.entry(cell(p[a as usize], 1.0)).or_default().push(a);
    }
    for &a in atoms {
        let (cx, cy) = cell(p[a as usize], 1.0);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &b in grid
                    .get(&(cx + dx, cy + dy))
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    if b <= a || mol.bond_between(a, b).is_some() {
                        continue;
                    }
                    let d = p[a as usize].dist(p[b as usize]);
                    if d < 1.0 - 1e-6 {
                        found.push(((1.0 - d) * (1.0 - d), a, b));
                    }
                }
            }
        }
    }
    let mut by_mid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    let mid = |k: usize| (p[bonds[k].0] + p[bonds[k].1]) * 0.5;
    for k in 0..bonds.len() {
        by_mid.entry(cell(mid(k), 1.5)).or_default().push(k);
    }
    for k in 0..bonds.len() {
        let (cx, cy) = cell(mid(k), 1.5);
        let (a, b) = bonds[k];
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &l in by_mid
                    .get(&(cx + dx, cy + dy))
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    let (c, d) = bonds[l];
                    if l <= k || a == c || a == d || b == c || b == d {
                        continue;
                    }
                    if segments_cross(p[a], p[b], p[c], p[d]) {
                        found.push((1.5, a as AtomIdx, c as AtomIdx));
                    }
                }
            }
        }
    }
    found.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    Penalty {
        total: found.iter().map(|f| f.0).sum(),
        worst: found.into_iter().map(|f| (f.1, f.2)).collect(),
    }
}

/// How a stereo bond is drawn, seen from its narrow end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WedgeKind {
    /// A filled wedge: the far atom is towards the reader.
    Up,
    /// A hashed wedge: the far atom is away from the reader.
    Down,
}

/// A bond drawn as a wedge, narrow at the stereocentre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wedge {
    /// The bond.
    pub bond: BondIdx,
    /// The stereocentre (the narrow end).
    pub centre: AtomIdx,
    /// Filled or hashed.
    pub kind: WedgeKind,
}

/// One wedge per tetrahedral centre that shows its handedness on this layout: on the
/// bond to a neighbour that is not itself a stereocentre and not in a ring, where there
/// is one; never two wedges on one bond.
pub fn wedges(mol: &Molecule, layout: &Layout) -> Vec<Wedge> {
    let p = &layout.coords;
    let centres: Vec<AtomIdx> = mol.tetrahedral_centres().iter().map(|t| t.atom).collect();
    let mut used: Vec<BondIdx> = Vec::new();
    let mut out = Vec::new();
    for t in mol.tetrahedral_centres() {
        let c = t.atom;
        let real: Vec<AtomIdx> = t
            .neighbours
            .iter()
            .copied()
            .filter(|&x| x != IMPLICIT_H)
            .collect();
        // The 3D model a wedge on `chosen` gives: that neighbour towards the reader, the
        // others in the plane, an implicit hydrogen (or lone pair) away from the reader
        // opposite the others. Its handedness, and how clearly the drawing shows it.
        let origin = p[c as usize];
        let model = |chosen: AtomIdx| -> Option<(Chirality, f64)> {
            let others: Vec<Point> = real
                .iter()
                .map(|&x| (p[x as usize] - origin).unit())
                .collect();
            let h_dir = centroid(others.iter().copied()) * -1.0;
            let point3 = |x: AtomIdx| -> [f64; 3] {
                if x == IMPLICIT_H {
                    [h_dir.x, h_dir.y, -1.0]
                } else {
                    let d = (p[x as usize] - origin).unit();
                    [d.x, d.y, if x == chosen { 1.0 } else { 0.0 }]
                }
            };
            let mut v: Vec<[f64; 3]> = t.neighbours.iter().map(|&x| point3(x)).collect();
            if v.len() == 3 {
                // a lone pair (three neighbours) is the fourth, away from the reader
                v.push([h_dir.x, h_dir.y, -1.0]);
            }
            if v.len() != 4 {
                return None;
            }
            handedness(v[0], v[1], v[2], v[3])
        };
        let candidates: Vec<(AtomIdx, BondIdx, Chirality, f64)> = real
            .iter()
            .filter_map(|&x| mol.bond_between(c, x).map(|b| (x, b)))
            .filter(|(_, b)| !used.contains(b))
            .filter_map(|(x, b)| model(x).map(|(h, clarity)| (x, b, h, clarity)))
            .collect();
        // Among the bonds that show the handedness clearly, one to a neighbour that is
        // not a stereocentre, not in a ring, with the fewest bonds.
        let clearest = candidates.iter().map(|c| c.3).fold(0.0, f64::max);
        let choice = candidates
            .iter()
            .filter(|c| c.3 >= 0.5 * clearest)
            .min_by_key(|&&(x, b, _, _)| {
                (
                    centres.contains(&x),
                    mol.rings().is_ring_bond(b),
                    mol.degree(x),
                    x,
                )
            });
        let Some(&(_, bond, shown, _)) = choice else {
            continue;
        };
        used.push(bond);
        out.push(Wedge {
            bond,
            centre: c,
            kind: if shown == t.chirality {
                WedgeKind::Up
            } else {
                WedgeKind::Down
            },
        });
    }
    out
}

/// The handedness of four neighbour positions around a centre at the origin, as SMILES
/// reads it: looking from the first, are the other three anticlockwise (`@`)?
fn handedness(a: [f64; 3], b: [f64; 3], c: [f64; 3], d: [f64; 3]) -> Option<(Chirality, f64)> {
    let sub = |x: [f64; 3], y: [f64; 3]| [x[0] - y[0], x[1] - y[1], x[2] - y[2]];
    let (u, v, w) = (sub(b, a), sub(c, a), sub(d, a));
    let volume = u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0])
        + u[2] * (v[0] * w[1] - v[1] * w[0]);
    if volume.abs() < 1e-9 {
        None
    } else if volume < 0.0 {
        Some((Chirality::Anticlockwise, -volume))
    } else {
        Some((Chirality::Clockwise, volume))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smiles::parse;

    fn laid_out(smiles: &str) -> (Molecule, Layout, Readability) {
        let mol = parse(smiles).expect("SMILES");
        let l = layout(&mol).expect("layout");
        let r = readability(&mol, &l);
        (mol, l, r)
    }

    #[test]
    fn chains_rings_and_fused_systems_are_readable() {
        for smiles in [
            "C",
            "CC",
            "CCCCCCCC",
            "CC(C)(C)C",
            "C#CC#CC",
            "c1ccccc1",
            "c1ccc2ccccc2c1",
            "c1ccc2cc3ccccc3cc2c1",
            "C1CCC2(CC1)CCCC2",
            "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
            "c1ccc2c(c1)ccc1ccccc12",
            "c1cc2ccc3cccc4ccc(c1)c2c34",
            "C1CCCCCCCCCCC1",
            "[Na+].[Cl-]",
        ] {
            let (_, _, r) = laid_out(smiles);
            assert!(r.is_readable(), "{smiles}: {r:?}");
        }
    }

    #[test]
    fn too_large_is_refused() {
        let smiles = "C".repeat(MAX_ATOMS + 1);
        let mol = parse(&smiles).expect("SMILES");
        assert!(matches!(layout(&mol), Err(LayoutError::TooLarge { .. })));
    }

    #[test]
    fn handedness_follows_the_smiles_convention() {
        // looking from +z, the other three anticlockwise: `@`
        let top = [0.0, 0.0, 1.0];
        let at = |deg: f64| {
            let r = deg.to_radians();
            [r.cos(), r.sin(), -0.33]
        };
        assert_eq!(
            handedness(top, at(0.0), at(120.0), at(240.0)).map(|h| h.0),
            Some(Chirality::Anticlockwise)
        );
        assert_eq!(
            handedness(top, at(0.0), at(240.0), at(120.0)).map(|h| h.0),
            Some(Chirality::Clockwise)
        );
    }

    #[test]
    fn double_bond_stereo_is_drawn_as_written() {
        for (smiles, cis) in [("C/C=C/C", false), ("C/C=C\\C", true), ("CC/C=C\\CC", true)] {
            let (mol, l, _) = laid_out(smiles);
            let s = &mol.double_bond_stereo()[0];
            let b = mol.bond(s.bond);
            let (a, c) = (l.coords[b.a as usize], l.coords[b.b as usize]);
            let sa = (c - a).cross(l.coords[s.ref_a as usize] - a);
            let sb = (c - a).cross(l.coords[s.ref_b as usize] - a);
            assert_eq!((sa > 0.0) == (sb > 0.0), cis, "{smiles}");
        }
    }
}

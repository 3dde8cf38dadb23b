//! One ring system laid out on its own, in local coordinates.
//!
//! The first ring is a regular polygon; every later ring is placed where it meets the
//! rings already placed: the runs of its atoms not yet placed are drawn as arcs of unit
//! chords between the placed atoms that bound them (an ortho-fused ring becomes a regular
//! polygon on the shared bond, a peri-fused one an arc through its three placed atoms, a
//! spiro ring a polygon at its one shared atom), on the side that collides least. So every
//! bond of a fused or spiro system has length 1 exactly. A bridged system, where an arc
//! cannot avoid the atoms placed before it, is then relaxed by a small force field
//! (bond springs, ring angles, repulsion) from several starts, and the most readable
//! result is kept.

use super::geometry::{centroid, segments_cross, Point};
use crate::molecule::{AtomIdx, Molecule};
use std::f64::consts::PI;

/// Coordinates of one ring system's atoms (indices of the molecule), bond length 1.
pub(super) fn place_system(mol: &Molecule, rings: &[usize]) -> Vec<(AtomIdx, Point)> {
    let all = mol.rings().rings();
    let mut atoms: Vec<AtomIdx> = rings.iter().flat_map(|&r| all[r].iter().copied()).collect();
    atoms.sort_unstable();
    atoms.dedup();
    let (points, strained) = grow(mol, rings, &atoms, None);
    if !strained && quality(mol, &atoms, &points).1 == 0 {
        // (no crossing, and every bond out of the system has room)
        return points;
    }
    // Bridged: relax, and try again from the system's outline drawn first, with the
    // bridges across it.
    let mut best = relax(mol, &atoms, points);
    if let Some(outline) = outline(mol, rings) {
        let (points, strained) = grow(mol, rings, &atoms, Some(&outline));
        let other = if strained || quality(mol, &atoms, &points).1 > 0 {
            relax(mol, &atoms, points)
        } else {
            points
        };
        if quality(mol, &atoms, &other) < quality(mol, &atoms, &best) {
            best = other;
        }
    }
    best
}

/// How good a system's drawing is, smaller is better: no bond stretched by a quarter,
/// then crossings and bonds out of the system that would land on its atoms or bonds,
/// then the readability criteria, then room.
type Quality = (bool, usize, bool, bool, i64, i64);

fn quality(mol: &Molecule, atoms: &[AtomIdx], points: &[(AtomIdx, Point)]) -> Quality {
    let p: Vec<Point> = points.iter().map(|x| x.1).collect();
    score(mol, atoms, &p, &local_bonds(mol, atoms))
}

fn score(mol: &Molecule, atoms: &[AtomIdx], p: &[Point], bonds: &[(usize, usize)]) -> Quality {
    let r = super::readability_of(p, bonds);
    (
        r.bond_spread > 0.25,
        r.crossings + blocked_exits(mol, atoms, p, bonds),
        r.closest < 0.5,
        r.bond_spread > 0.1,
        -(r.closest.min(1.0) * 1000.0).round() as i64,
        (r.bond_spread * 1000.0).round() as i64,
    )
}

/// Bonds leaving the system whose far atom, placed as the layout will place it (the
/// largest gap between the atom's ring bonds, shared evenly), would come within 0.6 of
/// an atom of the system or cross one of its bonds: a bridge atom drawn inside its ring
/// with a substituent.
fn blocked_exits(
    mol: &Molecule,
    atoms: &[AtomIdx],
    p: &[Point],
    bonds: &[(usize, usize)],
) -> usize {
    let index = |a: AtomIdx| atoms.binary_search(&a).ok();
    let mut blocked = 0;
    for (i, &a) in atoms.iter().enumerate() {
        let inside: Vec<usize> = mol
            .neighbours(a)
            .iter()
            .filter_map(|n| index(n.atom))
            .collect();
        let exits = mol.degree(a) - inside.len();
        if exits == 0 {
            continue;
        }
        let dirs: Vec<(AtomIdx, f64)> = inside
            .iter()
            .map(|&j| (atoms[j], (p[j] - p[i]).angle()))
            .collect();
        let Some((start, size)) = super::exit_gap(mol, a, &dirs) else {
            continue;
        };
        for k in 0..exits {
            let q = p[i] + Point::polar(start + size * (k + 1) as f64 / (exits + 1) as f64);
            let crosses = bonds
                .iter()
                .any(|&(x, y)| x != i && y != i && segments_cross(p[i], q, p[x], p[y]));
            if crosses
                || p.iter()
                    .enumerate()
                    .any(|(j, &o)| j != i && o.dist(q) < 0.6)
            {
                blocked += 1;
            }
        }
    }
    blocked
}

/// The system's bonds as pairs of indices into `atoms` (sorted).
fn local_bonds(mol: &Molecule, atoms: &[AtomIdx]) -> Vec<(usize, usize)> {
    let index = |a: AtomIdx| atoms.binary_search(&a).ok();
    mol.bonds()
        .iter()
        .filter_map(|b| Some((index(b.a)?, index(b.b)?)))
        .collect()
}

/// The largest cycle made by one ring or by two rings without the bonds they share: for
/// a bridged system, the outline the bridges cross (norbornane's six-membered ring).
fn outline(mol: &Molecule, rings: &[usize]) -> Option<Vec<AtomIdx>> {
    let info = mol.rings();
    let mut best: Option<Vec<AtomIdx>> = None;
    for (x, &r) in rings.iter().enumerate() {
        for &o in &rings[x + 1..] {
            let (br, bo) = (&info.ring_bonds()[r], &info.ring_bonds()[o]);
            let edges: Vec<u32> = br
                .iter()
                .filter(|b| !bo.contains(b))
                .chain(bo.iter().filter(|b| !br.contains(b)))
                .copied()
                .collect();
            if let Some(cycle) = as_cycle(mol, &edges) {
                if best.as_ref().is_none_or(|b| cycle.len() > b.len()) {
                    best = Some(cycle);
                }
            }
        }
    }
    best
}

/// The atoms of a set of bonds in cyclic order, if the bonds form one simple cycle.
fn as_cycle(mol: &Molecule, edges: &[u32]) -> Option<Vec<AtomIdx>> {
    let first = mol.bond(*edges.first()?);
    let mut cycle = vec![first.a];
    let (mut prev_bond, mut at) = (edges[0], first.b);
    while at != first.a {
        if cycle.len() > edges.len() {
            return None;
        }
        cycle.push(at);
        let next: Vec<u32> = edges
            .iter()
            .copied()
            .filter(|&e| e != prev_bond && (mol.bond(e).a == at || mol.bond(e).b == at))
            .collect();
        if next.len() != 1 {
            return None;
        }
        prev_bond = next[0];
        at = mol.bond(next[0]).other(at);
    }
    (cycle.len() == edges.len()).then_some(cycle)
}

/// Places the first ring (or `first`, a cycle) as a polygon and the rest ring by ring;
/// true when some run could not be placed without collisions.
fn grow(
    mol: &Molecule,
    rings: &[usize],
    atoms: &[AtomIdx],
    first: Option<&[AtomIdx]>,
) -> (Vec<(AtomIdx, Point)>, bool) {
    let all = mol.rings().rings();
    let mut pos: Vec<Option<Point>> = vec![None; mol.atom_count()];
    // Start from the most fused ring, then the largest: the others grow around it.
    let shared = |r: usize| {
        rings
            .iter()
            .filter(|&&o| o != r && all[o].iter().filter(|a| all[r].contains(a)).count() >= 2)
            .count()
    };
    let start = match first {
        Some(cycle) => cycle,
        None => match rings
            .iter()
            .max_by_key(|&&r| (shared(r), all[r].len(), usize::MAX - r))
        {
            Some(&r) => all[r].as_slice(),
            None => return (Vec::new(), false),
        },
    };
    regular_polygon(start, &mut pos);
    let mut done = vec![false; rings.len()];
    let mut strained = false;
    loop {
        // Next: the ring with the most atoms placed already (fewest new ones on ties).
        let next = (0..rings.len())
            .filter(|&i| !done[i])
            .map(|i| {
                let ring = &all[rings[i]];
                let placed = ring.iter().filter(|&&a| pos[a as usize].is_some()).count();
                (i, placed, ring.len() - placed)
            })
            .filter(|&(_, placed, _)| placed > 0)
            .max_by_key(|&(i, placed, free)| (placed, usize::MAX - free, usize::MAX - i));
        let Some((i, _, _)) = next else { break };
        done[i] = true;
        let ring = &all[rings[i]];
        for run in free_runs(ring, &pos) {
            strained |= place_run(mol, atoms, &run, &mut pos);
        }
    }
    // Never leave an atom without a place (a ring sharing no atom with the others cannot
    // happen in a connected system).
    for &a in atoms {
        if pos[a as usize].is_none() {
            pos[a as usize] = Some(Point::default());
            strained = true;
        }
    }
    let points = atoms
        .iter()
        .map(|&a| (a, pos[a as usize].unwrap_or_default()))
        .collect();
    (points, strained)
}

fn regular_polygon(ring: &[AtomIdx], pos: &mut [Option<Point>]) {
    let n = ring.len() as f64;
    let radius = 0.5 / (PI / n).sin();
    // A flat bottom edge: the first two atoms straddle -90°.
    let start = -PI / 2.0 - PI / n;
    for (i, &a) in ring.iter().enumerate() {
        pos[a as usize] = Some(Point::polar(start + 2.0 * PI * i as f64 / n) * radius);
    }
}

/// A run of unplaced ring atoms and the placed atoms at its two ends (the same atom when
/// only one atom of the ring is placed).
struct Run {
    start: AtomIdx,
    free: Vec<AtomIdx>,
    end: AtomIdx,
}

fn free_runs(ring: &[AtomIdx], pos: &[Option<Point>]) -> Vec<Run> {
    let n = ring.len();
    let placed = |i: usize| pos[ring[i % n] as usize].is_some();
    let Some(first) = (0..n).find(|&i| placed(i)) else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    let mut i = first;
    // Walk once around the ring from a placed atom.
    while i < first + n {
        if placed(i) && !placed(i + 1) {
            let start = ring[i % n];
            let mut free = Vec::new();
            let mut j = i + 1;
            while !placed(j) {
                free.push(ring[j % n]);
                j += 1;
            }
            runs.push(Run {
                start,
                free,
                end: ring[j % n],
            });
            i = j;
        } else {
            i += 1;
        }
    }
    runs
}

/// Places a run as an arc of unit chords on the side that collides least; true when
/// neither side is free of collisions (the system is bridged and needs relaxing).
fn place_run(mol: &Molecule, system: &[AtomIdx], run: &Run, pos: &mut [Option<Point>]) -> bool {
    let (Some(a), Some(b)) = (pos[run.start as usize], pos[run.end as usize]) else {
        return true;
    };
    let k = run.free.len();
    let candidates: Vec<Vec<Point>> = if run.start == run.end {
        // Spiro: a polygon at the one shared atom, pointing away from its neighbours.
        let near: Vec<Point> = mol
            .neighbours(run.start)
            .iter()
            .filter_map(|n| pos[n.atom as usize])
            .collect();
        let out = (a - centroid(near.iter().copied())).unit();
        let out = if out.norm() == 0.0 {
            Point::new(1.0, 0.0)
        } else {
            out
        };
        let m = (k + 1) as f64;
        let radius = 0.5 / (PI / m).sin();
        let centre = a + out * radius;
        let start = (a - centre).angle();
        [1.0, -1.0]
            .iter()
            .map(|s| {
                (1..=k)
                    .map(|i| centre + Point::polar(start + s * 2.0 * PI * i as f64 / m) * radius)
                    .collect()
            })
            .collect()
    } else {
        // the two arcs, and the straight line (a bridge across a ring drawn first)
        let mut c: Vec<Vec<Point>> = [1.0, -1.0].iter().map(|&s| arc(a, b, k, s)).collect();
        let steps = (k + 1) as f64;
        c.push((1..=k).map(|i| a + (b - a) * (i as f64 / steps)).collect());
        c
    };
    let placed_points: Vec<(AtomIdx, Point)> = system
        .iter()
        .filter_map(|&x| pos[x as usize].map(|p| (x, p)))
        .collect();
    let mut chain = vec![run.start];
    chain.extend(&run.free);
    chain.push(run.end);
    let scored: Vec<(f64, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (collision(mol, &placed_points, &chain, c, pos), i))
        .collect();
    let centre = centroid(placed_points.iter().map(|p| p.1));
    let away = |c: &Vec<Point>| -centroid(c.iter().copied()).dist(centre);
    let best = scored
        .iter()
        .min_by(|x, y| {
            x.0.total_cmp(&y.0)
                .then(away(&candidates[x.1]).total_cmp(&away(&candidates[y.1])))
        })
        .map(|x| x.1)
        .unwrap_or(0);
    for (&atom, &p) in run.free.iter().zip(&candidates[best]) {
        pos[atom as usize] = Some(p);
    }
    scored[best].0 > 0.05
}

/// `k` points between `a` and `b` so that the `k + 1` steps a, p1, …, pk, b all have
/// length 1 and lie on one circle, bulging to the left of a→b when `side` is 1, to the
/// right when -1. Straight (and longer steps) when a and b are too far apart for that.
fn arc(a: Point, b: Point, k: usize, side: f64) -> Vec<Point> {
    let d = a.dist(b);
    let steps = (k + 1) as f64;
    if d >= steps - 1e-9 || d < 1e-9 {
        return (1..=k).map(|i| a + (b - a) * (i as f64 / steps)).collect();
    }
    // The chord spanned by `steps` unit chords on a circle of radius r, over the arc
    // through them: increasing in r from the regular polygon (d = 0) to a line.
    let span = |r: f64| {
        let theta = steps * 2.0 * (0.5 / r).min(1.0).asin();
        2.0 * r * (theta / 2.0).sin()
    };
    let mut lo = 0.5 / (PI / steps).sin();
    let mut hi = lo.max(1.0) * 4.0;
    while span(hi) < d && hi < 1e6 {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if span(mid) < d {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let r = 0.5 * (lo + hi);
    let step = 2.0 * (0.5 / r).min(1.0).asin();
    let total = step * steps;
    let normal = (b - a).unit().perp() * side;
    let centre = (a + b) * 0.5 + normal * (-r * (total / 2.0).cos());
    let from = a - centre;
    let turn = if from.cross(normal) >= 0.0 { 1.0 } else { -1.0 };
    (1..=k)
        .map(|i| centre + from.rotated(turn * step * i as f64))
        .collect()
}

/// How badly new points collide with what is placed: squared shortfall below 0.8 of the
/// distance to every placed atom not bonded to them, plus one for each crossing of a new
/// bond with a placed one.
fn collision(
    mol: &Molecule,
    placed: &[(AtomIdx, Point)],
    chain: &[AtomIdx],
    new: &[Point],
    pos: &[Option<Point>],
) -> f64 {
    let mut penalty = 0.0;
    let inner = &chain[1..chain.len() - 1];
    for (&atom, &p) in inner.iter().zip(new) {
        for &(other, q) in placed {
            if mol.bond_between(atom, other).is_some() {
                continue;
            }
            let d = p.dist(q);
            if d < 0.8 {
                penalty += (0.8 - d) * (0.8 - d);
            }
        }
        for (&other, &q) in inner.iter().zip(new) {
            if other < atom && mol.bond_between(atom, other).is_none() && p.dist(q) < 0.8 {
                penalty += (0.8 - p.dist(q)).powi(2);
            }
        }
    }
    let point = |i: usize| {
        if i == 0 {
            pos[chain[0] as usize].unwrap_or_default()
        } else if i == chain.len() - 1 {
            pos[chain[i] as usize].unwrap_or_default()
        } else {
            new[i - 1]
        }
    };
    for i in 0..chain.len() - 1 {
        let (p1, p2) = (point(i), point(i + 1));
        penalty += 2.0 * (p1.dist(p2) - 1.0).powi(2);
        for bond in mol.bonds() {
            let (Some(q1), Some(q2)) = (pos[bond.a as usize], pos[bond.b as usize]) else {
                continue;
            };
            if [bond.a, bond.b]
                .iter()
                .any(|x| *x == chain[i] || *x == chain[i + 1])
            {
                continue;
            }
            if segments_cross(p1, p2, q1, q2) {
                penalty += 1.0;
            }
        }
    }
    penalty
}

/// A force field over the system's atoms, from several starts; the most readable result.
/// A force field over the system's atoms, from several starts; the best result. Each
/// bond leaving the system is a stub atom in the field, so that an atom with substituents
/// is given room for them.
fn relax(mol: &Molecule, atoms: &[AtomIdx], start: Vec<(AtomIdx, Point)>) -> Vec<(AtomIdx, Point)> {
    let first: Vec<Point> = start.iter().map(|p| p.1).collect();
    let system_bonds = local_bonds(mol, atoms);
    // The stubs: one point per bond out of the system, where it would go now.
    let mut bonds = system_bonds.clone();
    let mut with_stubs = first.clone();
    for (i, &a) in atoms.iter().enumerate() {
        let inside: Vec<(AtomIdx, f64)> = mol
            .neighbours(a)
            .iter()
            .filter_map(|n| {
                atoms
                    .binary_search(&n.atom)
                    .ok()
                    .map(|j| (n.atom, (first[j] - first[i]).angle()))
            })
            .collect();
        let exits = mol.degree(a) - inside.len();
        let Some((from, size)) = super::exit_gap(mol, a, &inside) else {
            continue;
        };
        for k in 0..exits {
            bonds.push((i, with_stubs.len()));
            with_stubs
                .push(first[i] + Point::polar(from + size * (k + 1) as f64 / (exits + 1) as f64));
        }
    }
    let n = with_stubs.len();
    let mut kind = vec![0u8; n * n]; // 1: bonded, 2: share a neighbour
    for &(i, j) in &bonds {
        kind[i * n + j] = 1;
        kind[j * n + i] = 1;
    }
    let mut angles = Vec::new();
    for (c, &centre) in atoms.iter().enumerate() {
        let nbs: Vec<usize> = bonds
            .iter()
            .filter_map(|&(i, j)| (i == c).then_some(j).or((j == c).then_some(i)))
            .collect();
        for x in 0..nbs.len() {
            for y in x + 1..nbs.len() {
                let (i, j) = (nbs[x], nbs[y]);
                if kind[i * n + j] == 0 {
                    kind[i * n + j] = 2;
                    kind[j * n + i] = 2;
                }
                // the 1-3 distance of the ring's own interior angle (120° when unsure)
                let size = mol.rings().smallest_ring_size(centre).max(3) as f64;
                let interior = if nbs.len() == 2 {
                    PI * (size - 2.0) / size
                } else {
                    2.0 * PI / 3.0
                };
                angles.push((i, j, 2.0 * (interior / 2.0).sin()));
            }
        }
    }
    // Bounded work: about RELAX_WORK pair evaluations in all, however large the system.
    let pairs = (n * n / 2).max(1);
    let attempts = if n <= 60 { 12 } else { 3 };
    let iterations = (RELAX_WORK / (attempts * pairs)).clamp(50, 1500);
    let mut best: Option<(Quality, Vec<Point>)> = None;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for attempt in 0..attempts {
        let mut p = with_stubs.clone();
        if attempt > 0 {
            for q in &mut p {
                q.x += 0.6 * (next_random(&mut seed) - 0.5);
                q.y += 0.6 * (next_random(&mut seed) - 0.5);
            }
        }
        descend(&mut p, &bonds, &angles, &kind, iterations);
        p.truncate(atoms.len());
        let r = score(mol, atoms, &p, &system_bonds);
        if best.as_ref().is_none_or(|(b, _)| r < *b) {
            best = Some((r, p));
        }
    }
    let points = best.map(|b| b.1).unwrap_or(first);
    atoms.iter().copied().zip(points).collect()
}

fn next_random(state: &mut u64) -> f64 {
    // splitmix64: deterministic, so the same structure is always drawn the same way
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Pair evaluations one relaxation may spend, over all its starts (about 0.05 s).
const RELAX_WORK: usize = 20_000_000;

fn descend(
    p: &mut [Point],
    bonds: &[(usize, usize)],
    angles: &[(usize, usize, f64)],
    kind: &[u8],
    iterations: usize,
) {
    let n = p.len();
    let mut grad = vec![Point::default(); n];
    let spring = |g: &mut [Point], p: &[Point], i: usize, j: usize, target: f64, k: f64| {
        let v = p[i] - p[j];
        let d = v.norm().max(1e-6);
        let f = v * (k * (d - target) / d);
        g[i] = g[i] - f;
        g[j] = g[j] + f;
    };
    for iteration in 0..iterations {
        grad.iter_mut().for_each(|g| *g = Point::default());
        for &(i, j) in bonds {
            spring(&mut grad, p, i, j, 1.0, 2.0);
        }
        for &(i, j, t) in angles {
            spring(&mut grad, p, i, j, t, 0.1);
        }
        for i in 0..n {
            for j in i + 1..n {
                if kind[i * n + j] != 0 {
                    continue;
                }
                let v = p[i] - p[j];
                let d = v.norm().max(1e-6);
                if d < 0.85 {
                    let f = v * (1.0 * (d - 0.85) / d);
                    grad[i] = grad[i] - f;
                    grad[j] = grad[j] + f;
                }
            }
        }
        let step = if 3 * iteration < 2 * iterations {
            0.1
        } else {
            0.03
        };
        for (q, g) in p.iter_mut().zip(&grad) {
            *q = *q + *g * step;
        }
    }
}

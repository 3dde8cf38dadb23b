//! Generic definitions of fentanyl-related substances, judged on a standardised parent.
//!
//! The molecule is cut into fentanyl's regions: the piperidine ring (an isolated,
//! saturated six-membered ring with one N), the anilide N on C4, the group on the
//! anilide N that stands for the phenyl, the one that stands for the propionyl, the
//! group on the ring N (phenethyl), and any other groups on the ring. Each region is
//! compared with fentanyl's and judged against one definition: unchanged, a listed
//! modification (the condition is met), open text (ambiguous), or an unlisted change.
//! Closed reading: one unlisted change puts the molecule outside the class.

use crate::groups::{self, fragment_smiles, Region};
use chem::molecule::{AtomIdx, BondOrder, Molecule};
use chem::Element;
use serde::Deserialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashSet};

/// One legal text's wording of a condition.
#[derive(Clone, Debug, Deserialize)]
pub struct ConditionText {
    /// Its label in the text ("1", "E").
    pub label: String,
    /// Its words.
    pub text: String,
}

/// Which group kinds a definition admits.
#[derive(Clone, Debug, Deserialize, Default)]
pub struct GroupRule {
    /// Kinds the text lists.
    pub allowed: Vec<String>,
    /// Kinds the text leaves open.
    pub ambiguous: Vec<String>,
}

/// A generic definition, as read from `data/definitions/`.
#[derive(Clone, Debug, Deserialize)]
pub struct Definition {
    /// Identifier (`CN-FRS-2019`, `US-FRS`).
    pub id: String,
    /// Jurisdiction code.
    pub jurisdiction: String,
    /// Title.
    pub title: String,
    /// Legal instrument.
    pub instrument: String,
    /// In force from (ISO date).
    pub in_force_from: String,
    /// Where the wording comes from.
    pub source: String,
    /// Conditions by region key.
    pub conditions: BTreeMap<String, ConditionText>,
    /// `any_group_except_hydrogen` (China 4) or `phenethyl_with_monocycle` (US A/B).
    pub n_substituent_rule: String,
    /// Kinds admitted on the piperidine ring.
    pub piperidine_groups: GroupRule,
    /// Kinds admitted on the phenethyl (US B).
    #[serde(default)]
    pub phenethyl_groups: GroupRule,
    /// How each open reading is settled, by group kind or reading key, in words (shown
    /// with the finding it settles).
    #[serde(default)]
    pub readings: BTreeMap<String, String>,
}

impl Definition {
    /// The recorded reading for a key, as a clause to append to a reason.
    fn reading(&self, key: &str) -> String {
        self.readings
            .get(key)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    }
}

/// How one region compares with fentanyl under one definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// As in fentanyl.
    Unchanged,
    /// A listed modification.
    Met,
    /// The text can be read either way.
    Ambiguous,
    /// A change the text does not list.
    Unlisted,
}

/// One finding: a region, its state, the condition it bears on, and a sentence.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Region key (`acyl`, `aryl`, `piperidine`, `n_substituent`, ...).
    pub region: &'static str,
    /// Condition label when the finding meets or bears on one.
    pub condition: Option<String>,
    /// State.
    pub state: State,
    /// A sentence a person can check.
    pub reason: String,
    /// Atoms (parent indices) the finding is about.
    pub atoms: Vec<AtomIdx>,
    /// Interpretive caveat flag.
    pub flag: Option<&'static str>,
}

/// Result of a generic definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A class member.
    Match,
    /// Not a class member (includes fentanyl itself).
    NoMatch,
    /// The text can be read either way.
    Ambiguous,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Outcome {
    /// The word used in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Match => "match",
            Outcome::NoMatch => "no_match",
            Outcome::Ambiguous => "ambiguous",
        }
    }
}

/// The judgement of one definition on one molecule.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// Outcome.
    pub outcome: Outcome,
    /// Condition labels met (sorted).
    pub conditions: Vec<String>,
    /// Sentences, one per finding.
    pub reasons: Vec<String>,
    /// Named atom sets (parent indices): the core and each modified region.
    pub atoms: BTreeMap<String, Vec<AtomIdx>>,
    /// Interpretive caveats.
    pub flags: Vec<String>,
    /// The molecule is fentanyl itself (zero modifications).
    pub is_reference: bool,
    /// Number of unlisted changes (fewer makes a better explanation of a `no_match`).
    pub unlisted: usize,
    /// Number of findings that differ from fentanyl (fewer: the simpler reading).
    pub changed: usize,
}

/// The anilidopiperidine core found in a molecule.
#[derive(Clone, Debug)]
struct Core {
    /// N1, C2, C3, C4, C5, C6.
    ring: [AtomIdx; 6],
    anilide_n: AtomIdx,
}

fn el(mol: &Molecule, a: AtomIdx) -> Element {
    mol.atom(a).element
}

fn is_single(mol: &Molecule, a: AtomIdx, b: AtomIdx) -> bool {
    mol.bond_between(a, b)
        .is_some_and(|x| mol.bond(x).order == BondOrder::Single && !mol.bond(x).aromatic)
}

/// Piperidine rings (isolated, saturated, one N) with an acyclic N on C4. Also returns
/// why no core was found, for the explanation.
fn find_cores(mol: &Molecule) -> (Vec<Core>, String) {
    let rings = mol.rings();
    let mut cores = Vec::new();
    let mut why =
        String::from("no piperidine ring (saturated six-membered ring with one N and five C)");
    for ring in rings.rings() {
        if ring.len() != 6 {
            continue;
        }
        let ns: Vec<usize> = (0..6).filter(|&i| el(mol, ring[i]) == Element::N).collect();
        let cs = ring.iter().filter(|&&a| el(mol, a) == Element::C).count();
        if ns.len() != 1 || cs != 5 {
            continue;
        }
        let saturated = (0..6).all(|i| is_single(mol, ring[i], ring[(i + 1) % 6]));
        if !saturated {
            why = "the six-membered N ring is not saturated (not a piperidine)".into();
            continue;
        }
        if ring.iter().any(|&a| rings.atom_ring_count(a) != 1) {
            why = "the piperidine ring is part of a fused, bridged or spiro ring system".into();
            continue;
        }
        let s = ns[0];
        // C4 is the same atom in either direction; the numbering is settled below
        let ordered: [AtomIdx; 6] = std::array::from_fn(|k| ring[(s + k) % 6]);
        let c4 = ordered[3];
        let mut found = false;
        for n in mol.neighbours(c4) {
            if el(mol, n.atom) == Element::N
                && !rings.is_ring_atom(n.atom)
                && is_single(mol, c4, n.atom)
            {
                cores.push(Core {
                    ring: ordered,
                    anilide_n: n.atom,
                });
                found = true;
            }
        }
        if !found {
            why = "no acyclic nitrogen on C4 of the piperidine ring (not a 4-anilidopiperidine)"
                .into();
        }
    }
    // Numbering costs a pass over each substituent: only for molecules that are judged.
    if cores.len() <= MAX_CORES {
        for core in &mut cores {
            core.ring = lowest_locants(mol, core.ring);
        }
    }
    (cores, why)
}

/// The ring numbered from N1 in the direction that gives the substituents the lowest
/// locants (then, position by position, the smaller group SMILES), so that "C3" means
/// the same atom whatever order the input was written in.
fn lowest_locants(mol: &Molecule, forward: [AtomIdx; 6]) -> [AtomIdx; 6] {
    let reverse = [
        forward[0], forward[5], forward[4], forward[3], forward[2], forward[1],
    ];
    let ring: HashSet<AtomIdx> = forward.iter().copied().collect();
    let c4 = forward[3];
    // locants first; the group SMILES only break a tie
    let locants = |order: &[AtomIdx; 6]| {
        let mut l: Vec<usize> = Vec::new();
        for (pos, &a) in order.iter().enumerate().skip(1) {
            for n in mol.neighbours(a) {
                if !ring.contains(&n.atom) {
                    l.push(pos + 1);
                }
            }
        }
        l.sort_unstable();
        l
    };
    match locants(&reverse).cmp(&locants(&forward)) {
        std::cmp::Ordering::Less => return reverse,
        std::cmp::Ordering::Greater => return forward,
        std::cmp::Ordering::Equal => {}
    }
    let key = |order: &[AtomIdx; 6]| {
        let mut subs: Vec<(usize, String)> = Vec::new();
        for (pos, &a) in order.iter().enumerate().skip(1) {
            for n in mol.neighbours(a) {
                if ring.contains(&n.atom) {
                    continue;
                }
                // the group on C4 that is the anilide N is the same in both directions
                let frag = if a == c4 {
                    String::new()
                } else {
                    let g = Region::grow(mol, a, n.atom, &ring);
                    fragment_smiles(mol, &g.atoms)
                };
                subs.push((pos + 1, frag));
            }
        }
        subs.sort();
        let locants: Vec<usize> = subs.iter().map(|(p, _)| *p).collect();
        (locants, subs)
    };
    if key(&reverse) < key(&forward) {
        reverse
    } else {
        forward
    }
}

/// Judge a standardised parent against a definition.
pub fn judge(mol: &Molecule, def: &Definition) -> Judgement {
    let (cores, why) = find_cores(mol);
    if cores.len() > MAX_CORES {
        // Each core costs a pass over the molecule; no real substance has this many.
        // Not judged is undetermined, never "no match".
        return Judgement {
            outcome: Outcome::Ambiguous,
            conditions: Vec::new(),
            reasons: vec![format!(
                "{} candidate fentanyl cores: molecules with more than {MAX_CORES} are not judged",
                cores.len()
            )],
            atoms: BTreeMap::new(),
            flags: Vec::new(),
            is_reference: false,
            unlisted: 0,
            changed: 0,
        };
    }
    // The reading kept: the most severe outcome, then the fewest unlisted changes, then
    // the fewest changes at all (an N-oxide is the oxygen on the ring N, not a phenethyl
    // replaced by an oxygen), then the smallest explanation text: never the first found,
    // which would depend on the order the input was written in.
    type Rank = (u8, Reverse<usize>, Reverse<usize>, Reverse<Vec<String>>);
    let mut best: Option<(Rank, Judgement)> = None;
    for core in &cores {
        for j in judge_core(mol, core, def) {
            let outcome_rank = match (j.outcome, j.is_reference) {
                (Outcome::Match, _) => 4,
                (Outcome::Ambiguous, _) => 3,
                (Outcome::NoMatch, true) => 2,
                (Outcome::NoMatch, false) => 1,
            };
            let mut text = j.reasons.clone();
            text.extend(j.conditions.iter().cloned());
            let rank = (
                outcome_rank,
                Reverse(j.unlisted),
                Reverse(j.changed),
                Reverse(text),
            );
            if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                best = Some((rank, j));
            }
        }
    }
    match best {
        Some((_, j)) => j,
        None => Judgement {
            outcome: Outcome::NoMatch,
            conditions: Vec::new(),
            reasons: vec![format!("no fentanyl core: {why}")],
            atoms: BTreeMap::new(),
            flags: Vec::new(),
            is_reference: false,
            unlisted: 0,
            changed: 0,
        },
    }
}

fn label(def: &Definition, key: &str) -> Option<String> {
    def.conditions.get(key).map(|c| c.label.clone())
}

/// Most candidate cores judged in one molecule (see [`judge`]).
const MAX_CORES: usize = 8;

/// Judge one core; several readings when a region's role is not fixed (which group on
/// the anilide N is the aryl, which group on a quaternary ring N is the phenethyl).
fn judge_core(mol: &Molecule, core: &Core, def: &Definition) -> Vec<Judgement> {
    let ring_set: HashSet<AtomIdx> = core.ring.iter().copied().collect();
    let n1 = core.ring[0];
    let c4 = core.ring[3];
    let an = core.anilide_n;
    let mut scaffold: HashSet<AtomIdx> = ring_set.clone();
    scaffold.insert(an);

    // Groups on the anilide N.
    let an_groups: Vec<Region> = mol
        .neighbours(an)
        .iter()
        .filter(|n| n.atom != c4)
        .map(|n| Region::grow(mol, an, n.atom, &scaffold))
        .collect();
    let mut anilide_readings: Vec<Vec<Finding>> = Vec::new();
    let an_h = mol.atom(an).hydrogens;
    if mol.atom(an).charge != 0 {
        anilide_readings.push(vec![unlisted(
            "anilide",
            "the anilide nitrogen is charged".into(),
            vec![an],
        )]);
    } else if an_groups.len() == 2 {
        for (ai, ci) in [(0, 1), (1, 0)] {
            anilide_readings.push(vec![
                aryl_finding(mol, &an_groups[ai], def),
                acyl_finding(mol, &an_groups[ci], def),
            ]);
        }
    } else if an_groups.len() == 1 && an_h >= 1 {
        let g = &an_groups[0];
        let as_aryl = aryl_finding(mol, g, def);
        let mut f = vec![as_aryl.clone()];
        f.push(unlisted(
            "acyl",
            "the N-propionyl group is replaced by hydrogen: hydrogen is not an acyl group".into(),
            vec![an],
        ));
        anilide_readings.push(f);
        let mut f2 = vec![acyl_finding(mol, g, def)];
        f2.push(unlisted(
            "aryl",
            "the N-phenyl group is replaced by hydrogen, not by an aromatic monocycle".into(),
            vec![an],
        ));
        anilide_readings.push(f2);
    } else {
        anilide_readings.push(vec![unlisted(
            "anilide",
            "the anilide nitrogen does not carry both an aryl and an acyl group".into(),
            vec![an],
        )]);
    }

    // Groups on ring carbons.
    let mut ring_findings = Vec::new();
    for (pos, &a) in core.ring.iter().enumerate().skip(1) {
        for n in mol.neighbours(a) {
            if ring_set.contains(&n.atom) || (a == c4 && n.atom == an) {
                continue;
            }
            let g = Region::grow(mol, a, n.atom, &scaffold);
            ring_findings.push(piperidine_finding(mol, &g, &format!("C{}", pos + 1), def));
        }
    }
    // Groups on the ring N: the phenethyl position, plus any extra (quaternary N).
    let n_groups: Vec<Region> = mol
        .neighbours(n1)
        .iter()
        .filter(|n| !ring_set.contains(&n.atom))
        .map(|n| Region::grow(mol, n1, n.atom, &scaffold))
        .collect();
    let mut n_readings: Vec<Vec<Finding>> = Vec::new();
    match n_groups.len() {
        0 => n_readings.push(vec![unlisted(
            "n_substituent",
            "the phenethyl group is replaced by hydrogen (N-H piperidine), which no condition allows".into(),
            vec![n1],
        )]),
        1 => n_readings.push(n_substituent_findings(mol, &n_groups[0], def)),
        _ => {
            for i in 0..n_groups.len() {
                let mut f = n_substituent_findings(mol, &n_groups[i], def);
                for (j, g) in n_groups.iter().enumerate() {
                    if j != i {
                        f.push(piperidine_finding(mol, g, "N1", def));
                    }
                }
                n_readings.push(f);
            }
        }
    }

    let mut out = Vec::new();
    for a in &anilide_readings {
        for n in &n_readings {
            let mut findings: Vec<Finding> = a
                .iter()
                .chain(n.iter())
                .chain(ring_findings.iter())
                .cloned()
                .collect();
            // Most severe first, then by region and sentence: the order of the input's
            // atoms (adjacency, ring perception) must not show in the explanation.
            findings.sort_by(|a, b| {
                b.state
                    .cmp(&a.state)
                    .then_with(|| region_rank(a.region).cmp(&region_rank(b.region)))
                    .then_with(|| a.reason.cmp(&b.reason))
            });
            out.push(combine(core, findings));
        }
    }
    out
}

/// The order regions are explained in: the anilide first, then the ring N, then the ring.
fn region_rank(region: &str) -> u8 {
    match region {
        "acyl" => 0,
        "aryl" => 1,
        "anilide" => 2,
        "n_substituent" => 3,
        _ => 4,
    }
}

fn unlisted(region: &'static str, reason: String, atoms: Vec<AtomIdx>) -> Finding {
    Finding {
        region,
        condition: None,
        state: State::Unlisted,
        reason,
        atoms,
        flag: None,
    }
}

fn combine(core: &Core, findings: Vec<Finding>) -> Judgement {
    let worst = findings
        .iter()
        .map(|f| f.state)
        .max()
        .unwrap_or(State::Unchanged);
    let mut atoms: BTreeMap<String, Vec<AtomIdx>> = BTreeMap::new();
    atoms.insert("piperidine".into(), core.ring.to_vec());
    atoms.insert("anilide_n".into(), vec![core.anilide_n]);
    for f in &findings {
        if f.state != State::Unchanged && !f.atoms.is_empty() {
            let key = match &f.condition {
                Some(c) => format!("condition_{c}"),
                None => format!("{}_unlisted", f.region),
            };
            let e = atoms.entry(key).or_default();
            e.extend(f.atoms.iter().copied());
            e.sort_unstable();
            e.dedup();
        }
    }
    let mut conditions: Vec<String> = findings
        .iter()
        .filter(|f| f.state == State::Met)
        .filter_map(|f| f.condition.clone())
        .collect();
    conditions.sort();
    conditions.dedup();
    let flags: Vec<String> = findings
        .iter()
        .filter_map(|f| f.flag.map(String::from))
        .collect();
    let relevant: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.state != State::Unchanged)
        .collect();
    let (outcome, is_reference) = match worst {
        State::Unlisted => (Outcome::NoMatch, false),
        State::Ambiguous => (Outcome::Ambiguous, false),
        State::Met => (Outcome::Match, false),
        State::Unchanged => (Outcome::NoMatch, true),
    };
    let mut reasons: Vec<String> = match worst {
        State::Unlisted => relevant
            .iter()
            .filter(|f| f.state == State::Unlisted)
            .map(|f| f.reason.clone())
            .collect(),
        State::Ambiguous => relevant
            .iter()
            .filter(|f| f.state == State::Ambiguous || f.state == State::Met)
            .map(|f| f.reason.clone())
            .collect(),
        _ => relevant.iter().map(|f| f.reason.clone()).collect(),
    };
    if worst == State::Unlisted {
        reasons
            .push("closed reading: an unlisted change puts the substance outside the class".into());
    }
    if is_reference {
        reasons.push("identical to fentanyl: no listed modification, so not a member of the class; fentanyl is controlled by name".into());
    }
    let unlisted = findings
        .iter()
        .filter(|f| f.state == State::Unlisted)
        .count();
    Judgement {
        outcome,
        conditions,
        reasons,
        atoms,
        flags,
        is_reference,
        unlisted,
        changed: relevant.len(),
    }
}

/// Rings (as atom lists) of the ring system containing `a`.
fn ring_system(mol: &Molecule, a: AtomIdx) -> Vec<Vec<AtomIdx>> {
    let rings = mol.rings().rings();
    let mut members: Vec<usize> = rings
        .iter()
        .enumerate()
        .filter(|(_, r)| r.contains(&a))
        .map(|(i, _)| i)
        .collect();
    let mut k = 0;
    while k < members.len() {
        let cur = members[k];
        k += 1;
        for (i, r) in rings.iter().enumerate() {
            if !members.contains(&i) && r.iter().any(|x| rings[cur].contains(x)) {
                members.push(i);
            }
        }
    }
    members.iter().map(|&i| rings[i].clone()).collect()
}

fn smallest_ring_with(mol: &Molecule, a: AtomIdx) -> Option<Vec<AtomIdx>> {
    mol.rings()
        .rings()
        .iter()
        .filter(|r| r.contains(&a))
        .min_by_key(|r| r.len())
        .cloned()
}

fn is_benzene(mol: &Molecule, ring: &[AtomIdx]) -> bool {
    ring.len() == 6
        && ring
            .iter()
            .all(|&a| el(mol, a) == Element::C && mol.atom(a).aromatic)
}

/// Kinds of the groups on a ring other than through `exclude`.
fn ring_substituents(mol: &Molecule, ring: &[AtomIdx], exclude: &[AtomIdx]) -> Vec<Region> {
    let stop: HashSet<AtomIdx> = ring.iter().chain(exclude).copied().collect();
    let mut out = Vec::new();
    for &a in ring {
        for n in mol.neighbours(a) {
            if !stop.contains(&n.atom) {
                out.push(Region::grow(mol, a, n.atom, &stop));
            }
        }
    }
    out
}

/// The group on the anilide N that stands for fentanyl's phenyl (China 2, US D).
fn aryl_finding(mol: &Molecule, g: &Region, def: &Definition) -> Finding {
    let lab = label(def, "aryl");
    let a = g.attach;
    let mk = |state, reason: String, flag| Finding {
        region: "aryl",
        condition: lab.clone(),
        state,
        reason,
        atoms: g.atoms.clone(),
        flag,
    };
    let Some(ring) = smallest_ring_with(mol, a) else {
        return mk(
            State::Unlisted,
            format!(
                "the N-phenyl group is replaced by {} ({}), not by an aromatic ring",
                groups::classify(mol, g).describe(),
                fragment_smiles(mol, &g.atoms)
            ),
            None,
        );
    };
    if !ring.iter().all(|&x| mol.atom(x).aromatic) {
        return mk(
            State::Unlisted,
            format!(
                "the N-phenyl group is replaced by a non-aromatic ring ({})",
                fragment_smiles(mol, &g.atoms)
            ),
            None,
        );
    }
    let system = ring_system(mol, a);
    let lab_s = lab.clone().unwrap_or_default();
    if system.len() > 1 {
        let other_aromatic = system
            .iter()
            .filter(|r| **r != ring)
            .any(|r| r.iter().all(|&x| mol.atom(x).aromatic));
        return if other_aromatic {
            mk(State::Unlisted, format!("the N-aryl group is a fused aromatic ring system ({}), not an aromatic monocycle", fragment_smiles(mol, &g.atoms)), None)
        } else {
            mk(
                State::Ambiguous,
                format!(
                    "the N-aryl ring is fused to a non-aromatic ring ({}): whether this is a substituted aromatic monocycle (condition {lab_s}) is not settled by the text",
                    fragment_smiles(mol, &g.atoms)
                ),
                Some("fused-ring-on-monocycle"),
            )
        };
    }
    let subs = ring_substituents(mol, &ring, &[g.from]);
    if is_benzene(mol, &ring) && subs.is_empty() {
        return Finding {
            region: "aryl",
            condition: lab,
            state: State::Unchanged,
            reason: "N-phenyl as in fentanyl".into(),
            atoms: g.atoms.clone(),
            flag: None,
        };
    }
    let what = if is_benzene(mol, &ring) {
        let mut kinds: Vec<String> = subs.iter().map(|s| substituent_phrase(mol, s)).collect();
        kinds.sort();
        format!("substituted phenyl ({}) on the anilide N", kinds.join(", "))
    } else {
        format!(
            "aromatic monocycle {} in place of the N-phenyl",
            fragment_smiles(mol, &g.atoms)
        )
    };
    mk(State::Met, format!("{what}: condition {lab_s}"), None)
}

fn substituent_phrase(mol: &Molecule, r: &Region) -> String {
    let k = groups::classify(mol, r);
    let frag = fragment_smiles(mol, &r.atoms);
    let words = k.key().replace('_', " ");
    match groups::common_name(&frag) {
        Some(name) => format!("{words} {frag} ({name})"),
        None => format!("{words} {frag}"),
    }
}

/// The group on the anilide N that stands for fentanyl's propionyl (China 1, US E).
fn acyl_finding(mol: &Molecule, g: &Region, def: &Definition) -> Finding {
    let lab = label(def, "acyl");
    let lab_s = lab.clone().unwrap_or_default();
    let c = g.attach;
    let mk = |state, reason: String, flag| Finding {
        region: "acyl",
        condition: lab.clone(),
        state,
        reason,
        atoms: g.atoms.clone(),
        flag,
    };
    let doubly = |target: Element| {
        mol.neighbours(c)
            .iter()
            .filter(|n| el(mol, n.atom) == target && mol.bond(n.bond).order == BondOrder::Double)
            .count()
    };
    let frag = fragment_smiles(mol, &g.atoms);
    if el(mol, c) == Element::S && doubly(Element::O) == 2 {
        return mk(State::Ambiguous, format!("sulfonyl group {frag} in place of the propionyl: whether a sulfonyl is an acyl group (condition {lab_s}) is not settled"), Some("acyl-scope:sulfonyl"));
    }
    if el(mol, c) != Element::C || mol.rings().is_ring_atom(c) {
        return mk(
            State::Unlisted,
            format!(
                "the N-propionyl group is replaced by {} ({frag}), not an acyl group",
                groups::classify(mol, g).describe()
            ),
            None,
        );
    }
    if doubly(Element::S) == 1 {
        return mk(State::Ambiguous, format!("thioacyl group {frag} in place of the propionyl: a thioacyl is a replacement analogue of an acyl, not plainly an acyl group (condition {lab_s})"), Some("acyl-scope:thioacyl"));
    }
    if doubly(Element::O) != 1 {
        return mk(
            State::Unlisted,
            format!(
                "the N-propionyl group is replaced by {} ({frag}), not an acyl group",
                groups::classify(mol, g).describe()
            ),
            None,
        );
    }
    let others: Vec<AtomIdx> = mol
        .neighbours(c)
        .iter()
        .filter(|n| {
            n.atom != g.from
                && !(el(mol, n.atom) == Element::O && mol.bond(n.bond).order == BondOrder::Double)
        })
        .map(|n| n.atom)
        .collect();
    match others.as_slice() {
        [] => mk(State::Met, format!("formyl group in place of the propionyl: another acyl group, condition {lab_s}"), None),
        [r] => match el(mol, *r) {
            Element::C => {
                let propionyl = g.atoms.len() == 4
                    && mol.degree(*r) == 2
                    && mol.neighbours(*r).iter().any(|n| {
                        n.atom != c && el(mol, n.atom) == Element::C && mol.degree(n.atom) == 1 && is_single(mol, *r, n.atom)
                    })
                    && is_single(mol, c, *r);
                if propionyl {
                    mk(State::Unchanged, "N-propionyl as in fentanyl".into(), None)
                } else {
                    mk(State::Met, format!("acyl group {frag} in place of the propionyl: another acyl group, condition {lab_s}"), None)
                }
            }
            Element::O => mk(
                State::Met,
                format!("alkoxycarbonyl (carbamate) group {frag} in place of the propionyl: an acyl group in the IUPAC sense, condition {lab_s}"),
                Some("acyl-scope:carbamate"),
            ),
            Element::N => mk(
                State::Ambiguous,
                format!("carbamoyl (urea) group {frag} in place of the propionyl: an acyl of carbamic acid in the IUPAC sense, but no ruling says it is an acyl group for condition {lab_s}"),
                Some("acyl-scope:carbamoyl"),
            ),
            _ => mk(State::Ambiguous, format!("group {frag} in place of the propionyl: whether it is an acyl group (condition {lab_s}) is not settled"), None),
        },
        _ => mk(State::Unlisted, format!("the N-propionyl group is replaced by {frag}, not an acyl group"), None),
    }
}

/// A group on a piperidine ring atom other than the phenethyl position (China 3, US C).
fn piperidine_finding(mol: &Molecule, g: &Region, position: &str, def: &Definition) -> Finding {
    let lab = label(def, "piperidine");
    let lab_s = lab.clone().unwrap_or_default();
    let kind = groups::classify(mol, g);
    let what = groups::label(mol, g, kind);
    let (state, reason, flag) = if def
        .piperidine_groups
        .allowed
        .iter()
        .any(|k| k == kind.key())
    {
        (
            State::Met,
            format!("{what} on piperidine {position}: condition {lab_s}"),
            None,
        )
    } else if def
        .piperidine_groups
        .ambiguous
        .iter()
        .any(|k| k == kind.key())
    {
        (
            State::Ambiguous,
            format!(
                "{what} on piperidine {position}: whether it is one of the listed substituents of condition {lab_s} is not settled by the text{}",
                def.reading(kind.key())
            ),
            None,
        )
    } else {
        (
            State::Unlisted,
            format!("{what} on piperidine {position} is not among the substituents listed in condition {lab_s}"),
            Some("CN-text-'等'"),
        )
    };
    Finding {
        region: "piperidine",
        condition: lab,
        state,
        reason,
        atoms: g.atoms.clone(),
        flag: if def.jurisdiction == "CN" { flag } else { None },
    }
}

fn is_phenethyl(mol: &Molecule, g: &Region) -> bool {
    if g.atoms.len() != 8 {
        return false;
    }
    let c1 = g.attach;
    if el(mol, c1) != Element::C || mol.degree(c1) != 2 || mol.rings().is_ring_atom(c1) {
        return false;
    }
    let Some(c2) = mol
        .neighbours(c1)
        .iter()
        .map(|n| n.atom)
        .find(|&x| x != g.from)
    else {
        return false;
    };
    if el(mol, c2) != Element::C
        || mol.degree(c2) != 2
        || mol.rings().is_ring_atom(c2)
        || !is_single(mol, c1, c2)
    {
        return false;
    }
    let Some(r) = mol.neighbours(c2).iter().map(|n| n.atom).find(|&x| x != c1) else {
        return false;
    };
    match smallest_ring_with(mol, r) {
        Some(ring) => {
            is_benzene(mol, &ring)
                && ring.iter().all(|&x| x == r || mol.degree(x) == 2)
                && mol.rings().atom_ring_count(r) == 1
        }
        None => false,
    }
}

fn n_substituent_findings(mol: &Molecule, g: &Region, def: &Definition) -> Vec<Finding> {
    if is_phenethyl(mol, g) {
        return vec![Finding {
            region: "n_substituent",
            condition: None,
            state: State::Unchanged,
            reason: "N-phenethyl as in fentanyl".into(),
            atoms: g.atoms.clone(),
            flag: None,
        }];
    }
    if def.n_substituent_rule == "any_group_except_hydrogen" {
        let lab = label(def, "n_substituent");
        return vec![Finding {
            region: "n_substituent",
            condition: lab.clone(),
            state: State::Met,
            reason: format!(
                "phenethyl group replaced by {} ({}) on the piperidine nitrogen: condition {}",
                groups::classify(mol, g).describe(),
                fragment_smiles(mol, &g.atoms),
                lab.unwrap_or_default()
            ),
            atoms: g.atoms.clone(),
            flag: None,
        }];
    }
    us_phenethyl(mol, g, def)
}

/// US (A) and (B): a two-carbon linker carrying only (B) groups, ending in a monocycle.
fn us_phenethyl(mol: &Molecule, g: &Region, def: &Definition) -> Vec<Finding> {
    let lab_a = label(def, "n_substituent_ring").unwrap_or_default();
    let lab_b = label(def, "n_substituent_chain").unwrap_or_default();
    let n1 = g.from;
    let c1 = g.attach;
    let frag = fragment_smiles(mol, &g.atoms);
    let no_linker = |why: &str| {
        vec![Finding {
            region: "n_substituent",
            condition: None,
            state: State::Unlisted,
            reason: format!("the group on the piperidine nitrogen ({frag}) is not a phenethyl modified by ({lab_a}) or ({lab_b}): {why}"),
            atoms: g.atoms.clone(),
            flag: None,
        }]
    };
    if el(mol, c1) != Element::C || mol.rings().is_ring_atom(c1) || !is_single(mol, n1, c1) {
        return no_linker("it does not start with an acyclic carbon");
    }
    if mol
        .neighbours(c1)
        .iter()
        .any(|n| n.atom != n1 && mol.rings().is_ring_atom(n.atom))
    {
        return no_linker(
            "a one-carbon linker (benzyl-type) instead of the two-carbon ethyl linker",
        );
    }
    let mut best: Option<Vec<Finding>> = None;
    let rank = |f: &Vec<Finding>| f.iter().map(|x| x.state).max().unwrap_or(State::Unchanged);
    for n2 in mol.neighbours(c1) {
        let c2 = n2.atom;
        if c2 == n1
            || el(mol, c2) != Element::C
            || mol.rings().is_ring_atom(c2)
            || !is_single(mol, c1, c2)
        {
            continue;
        }
        for nr in mol.neighbours(c2) {
            let r = nr.atom;
            if !mol.rings().is_ring_atom(r) || !is_single(mol, c2, r) {
                continue;
            }
            let f = us_linker_and_ring(mol, g, c1, c2, r, def, &lab_a, &lab_b);
            // the mildest reading; equal ones by their sentences, not by atom order
            let text = |f: &Vec<Finding>| {
                let mut t: Vec<String> = f.iter().map(|x| x.reason.clone()).collect();
                t.sort();
                t
            };
            if best
                .as_ref()
                .is_none_or(|b| (rank(&f), text(&f)) < (rank(b), text(b)))
            {
                best = Some(f);
            }
        }
    }
    best.unwrap_or_else(|| no_linker("no ring two carbons from the nitrogen (e.g. plain alkyl, longer chain, phenoxyethyl or acyl)"))
}

#[allow(clippy::too_many_arguments)]
fn us_linker_and_ring(
    mol: &Molecule,
    g: &Region,
    c1: AtomIdx,
    c2: AtomIdx,
    r: AtomIdx,
    def: &Definition,
    lab_a: &str,
    lab_b: &str,
) -> Vec<Finding> {
    let n1 = g.from;
    let mut out = Vec::new();
    let b_rule = &def.phenethyl_groups;
    let judge_b = |sub: &Region, place: &str| -> Finding {
        let kind = groups::classify(mol, sub);
        let what = groups::label(mol, sub, kind);
        let (state, reason) = if b_rule.allowed.iter().any(|k| k == kind.key()) {
            (State::Met, format!("{what} on the {place}: ({lab_b})"))
        } else if b_rule.ambiguous.iter().any(|k| k == kind.key()) {
            (
                State::Ambiguous,
                format!(
                    "{what} on the {place}: whether it is a ({lab_b}) substituent is not settled by the text{}",
                    def.reading(kind.key())
                ),
            )
        } else {
            (
                State::Unlisted,
                format!("{what} on the {place} is not a ({lab_b}) substituent"),
            )
        };
        Finding {
            region: "n_substituent",
            condition: Some(lab_b.to_string()),
            state,
            reason,
            atoms: sub.atoms.clone(),
            flag: None,
        }
    };
    let ring = match smallest_ring_with(mol, r) {
        Some(x) => x,
        None => return out,
    };
    let mut stop: HashSet<AtomIdx> = HashSet::from([n1, c1, c2]);
    stop.extend(ring.iter().copied());
    for (atom, place) in [
        (c1, "ethyl linker (alpha carbon)"),
        (c2, "ethyl linker (beta carbon)"),
    ] {
        for n in mol.neighbours(atom) {
            if !stop.contains(&n.atom) {
                let sub = Region::grow(mol, atom, n.atom, &stop);
                out.push(judge_b(&sub, place));
            }
        }
    }
    let system = ring_system(mol, r);
    let ring_atoms: Vec<AtomIdx> = g
        .atoms
        .iter()
        .copied()
        .filter(|a| ring.contains(a))
        .collect();
    if system.len() > 1 {
        let fused_to_aromatic = system
            .iter()
            .filter(|x| **x != ring)
            .any(|x| x.iter().all(|&a| mol.atom(a).aromatic));
        let frag = fragment_smiles(mol, &g.atoms);
        out.push(if is_benzene(mol, &ring) && !fused_to_aromatic {
            Finding {
                region: "n_substituent",
                condition: Some(lab_a.to_string()),
                state: State::Ambiguous,
                reason: format!("the ring on the ethyl linker ({frag}) is a benzene fused to a non-aromatic ring: whether that is a substituted monocycle ({lab_a}/{lab_b}) or not a monocycle is not settled by the text"),
                atoms: ring_atoms,
                flag: Some("fused-ring-on-monocycle"),
            }
        } else {
            Finding {
                region: "n_substituent",
                condition: Some(lab_a.to_string()),
                state: State::Unlisted,
                reason: format!("the ring on the ethyl linker ({frag}) is a fused ring system, not a monocycle ({lab_a})"),
                atoms: ring_atoms,
                flag: None,
            }
        });
        return out;
    }
    let subs = ring_substituents(mol, &ring, &[c2]);
    if is_benzene(mol, &ring) {
        let judged: Vec<Finding> = subs
            .iter()
            .map(|s| judge_b(s, "phenyl ring of the phenethyl"))
            .collect();
        if judged.iter().all(|f| f.state == State::Met) {
            out.extend(judged);
        } else {
            // (A) covers a monocycle "whether or not further substituted": under the
            // broad reading any non-fusing substituent on the benzene is (A), whatever
            // its kind, so an open (B) kind and an unlisted one read alike here.
            let mut kinds: Vec<String> = subs.iter().map(|s| substituent_phrase(mol, s)).collect();
            kinds.sort();
            out.push(Finding {
                region: "n_substituent",
                condition: Some(lab_a.to_string()),
                state: State::Met,
                reason: format!(
                    "benzene ring on the ethyl linker carrying {}: read as 'any monocycle, further substituted', ({lab_a})",
                    kinds.join(", ")
                ),
                atoms: subs.iter().flat_map(|s| s.atoms.iter().copied()).chain(ring_atoms).collect(),
                flag: Some("US-(A)-broad-reading"),
            });
        }
    } else {
        let frag = fragment_smiles(mol, &ring_atoms);
        let aromatic = ring.iter().all(|&a| mol.atom(a).aromatic);
        out.push(Finding {
            region: "n_substituent",
            condition: Some(lab_a.to_string()),
            state: State::Met,
            reason: format!(
                "the phenyl of the phenethyl is replaced by {} monocycle ({frag}){}: ({lab_a})",
                if aromatic { "an aromatic" } else { "a" },
                if subs.is_empty() {
                    String::new()
                } else {
                    " with substituents".into()
                }
            ),
            atoms: ring_atoms,
            flag: None,
        });
    }
    out
}

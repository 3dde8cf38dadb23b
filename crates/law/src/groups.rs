//! What kind of group hangs off the fentanyl scaffold: alkyl, ester, hydroxyalkyl, aryl...
//! The names are the legal texts' words; which kinds a definition admits is data
//! (`data/definitions/`), not code.

use chem::molecule::{AtomIdx, BondOrder, Molecule};
use chem::Element;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A substituent: the atoms of a group and the scaffold atom it is bonded to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// The group's atom bonded to the scaffold.
    pub attach: AtomIdx,
    /// The scaffold atom it hangs from.
    pub from: AtomIdx,
    /// All atoms of the group (attach first).
    pub atoms: Vec<AtomIdx>,
}

impl Region {
    /// The group reached from `from` through its neighbour `attach`, not crossing `stop`.
    pub fn grow(mol: &Molecule, from: AtomIdx, attach: AtomIdx, stop: &HashSet<AtomIdx>) -> Region {
        let mut atoms = vec![attach];
        let mut seen: HashSet<AtomIdx> = HashSet::from([from, attach]);
        let mut k = 0;
        while k < atoms.len() {
            let a = atoms[k];
            k += 1;
            for n in mol.neighbours(a) {
                if !stop.contains(&n.atom) && seen.insert(n.atom) {
                    atoms.push(n.atom);
                }
            }
        }
        Region {
            attach,
            from,
            atoms,
        }
    }
}

/// Kinds of group, in the legal texts' vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// Saturated acyclic carbon chain.
    Alkyl,
    /// Acyclic carbon chain with a C=C.
    Alkenyl,
    /// Acyclic carbon chain with a C#C.
    Alkynyl,
    /// O-alkyl.
    Alkoxy,
    /// Carboxylic ester (C(=O)OR or OC(=O)R), alkyl parts only.
    Ester,
    /// Ester with a ring in it (e.g. quinuclidinyl ester).
    EsterWithRing,
    /// C-O-C inside an alkyl group (CH2OMe).
    Ether,
    /// OH.
    Hydroxyl,
    /// Alkyl carrying OH (CH2OH).
    Hydroxyalkyl,
    /// Alkyl carrying an amino group (CH2NH2).
    Aminoalkyl,
    /// F, Cl, Br, I.
    Halo,
    /// Alkyl carrying halogens.
    Haloalkyl,
    /// Alkenyl carrying halogens (C=CCl): the texts list haloalkyl and alkenyl, not the
    /// combination.
    Haloalkenyl,
    /// O-alkenyl (vinyloxy, allyloxy): alkoxy and alkenyl listed, not the combination.
    Alkenyloxy,
    /// O-haloalkyl (OCF3): alkoxy and haloalkyl listed, not the combination.
    Haloalkoxy,
    /// An ether with a C=C in it (CH2OCH=CH2): ether and alkenyl listed, not the
    /// combination.
    AlkenylEther,
    /// NH2, NHR, NR2.
    Amino,
    /// NO2.
    Nitro,
    /// Saturated carbocycle.
    Cycloalkyl,
    /// Aromatic ring attached directly.
    Aryl,
    /// Alkyl chain bearing an aromatic ring (benzyl).
    Arylalkyl,
    /// C#N.
    Cyano,
    /// COOH.
    CarboxylicAcid,
    /// C(=O)N.
    Carbamoyl,
    /// Ketone or aldehyde group.
    Acyl,
    /// =O on a ring carbon.
    Oxo,
    /// S-alkyl.
    Alkylthio,
    /// O- on the ring nitrogen (N-oxide).
    NOxide,
    /// Anything else.
    Other,
}

impl GroupKind {
    /// The data-file name of the kind.
    pub fn key(self) -> &'static str {
        match self {
            GroupKind::Alkyl => "alkyl",
            GroupKind::Alkenyl => "alkenyl",
            GroupKind::Alkynyl => "alkynyl",
            GroupKind::Alkoxy => "alkoxy",
            GroupKind::Ester => "ester",
            GroupKind::EsterWithRing => "ester_with_ring",
            GroupKind::Ether => "ether",
            GroupKind::Hydroxyl => "hydroxyl",
            GroupKind::Hydroxyalkyl => "hydroxyalkyl",
            GroupKind::Aminoalkyl => "aminoalkyl",
            GroupKind::Halo => "halo",
            GroupKind::Haloalkyl => "haloalkyl",
            GroupKind::Haloalkenyl => "haloalkenyl",
            GroupKind::Alkenyloxy => "alkenyloxy",
            GroupKind::Haloalkoxy => "haloalkoxy",
            GroupKind::AlkenylEther => "alkenyl_ether",
            GroupKind::Amino => "amino",
            GroupKind::Nitro => "nitro",
            GroupKind::Cycloalkyl => "cycloalkyl",
            GroupKind::Aryl => "aryl",
            GroupKind::Arylalkyl => "arylalkyl",
            GroupKind::Cyano => "cyano",
            GroupKind::CarboxylicAcid => "carboxylic_acid",
            GroupKind::Carbamoyl => "carbamoyl",
            GroupKind::Acyl => "acyl",
            GroupKind::Oxo => "oxo",
            GroupKind::Alkylthio => "alkylthio",
            GroupKind::NOxide => "n_oxide",
            GroupKind::Other => "other",
        }
    }

    /// Words for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            GroupKind::Alkyl => "an alkyl group",
            GroupKind::Alkenyl => "an alkenyl group",
            GroupKind::Alkynyl => "an alkynyl group",
            GroupKind::Alkoxy => "an alkoxy group",
            GroupKind::Ester => "an ester group",
            GroupKind::EsterWithRing => "an ester whose alcohol or acid part contains a ring",
            GroupKind::Ether => "an ether group",
            GroupKind::Hydroxyl => "a hydroxyl group",
            GroupKind::Hydroxyalkyl => "a hydroxyalkyl group",
            GroupKind::Aminoalkyl => "an aminoalkyl group",
            GroupKind::Halo => "a halogen",
            GroupKind::Haloalkyl => "a haloalkyl group",
            GroupKind::Haloalkenyl => "a haloalkenyl group",
            GroupKind::Alkenyloxy => "an alkenyloxy group",
            GroupKind::Haloalkoxy => "a haloalkoxy group",
            GroupKind::AlkenylEther => "an alkenyl ether group",
            GroupKind::Amino => "an amino group",
            GroupKind::Nitro => "a nitro group",
            GroupKind::Cycloalkyl => "a cycloalkyl group",
            GroupKind::Aryl => "an aryl group",
            GroupKind::Arylalkyl => "an arylalkyl (e.g. benzyl) group",
            GroupKind::Cyano => "a cyano group",
            GroupKind::CarboxylicAcid => "a carboxylic acid group",
            GroupKind::Carbamoyl => "a carbamoyl (amide) group",
            GroupKind::Acyl => "a keto/acyl group",
            GroupKind::Oxo => "an oxo (=O) group",
            GroupKind::Alkylthio => "an alkylthio group",
            GroupKind::NOxide => "an N-oxide oxygen",
            GroupKind::Other => "an unlisted group",
        }
    }
}

/// The group as SMILES with `*` at its attachment (its first atom).
pub fn fragment_smiles(mol: &Molecule, atoms: &[AtomIdx]) -> String {
    match atoms.first() {
        Some(&attach) => {
            chem::smiles::canonical_smiles(&mol.fragment_with_attachment(atoms, attach))
        }
        None => String::new(),
    }
}

const GROUP_NAMES_CSV: &str = include_str!("../../../data/reference/group_names.csv");

/// Names of common groups by canonical fragment SMILES (`*OCC=C` -> allyloxy), from
/// `data/reference/group_names.csv`; a row that does not parse is skipped (the table is
/// checked by a test).
fn group_names() -> &'static HashMap<String, String> {
    static NAMES: OnceLock<HashMap<String, String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut r = csv::Reader::from_reader(GROUP_NAMES_CSV.as_bytes());
        r.records()
            .flatten()
            .filter_map(|rec| {
                let m = chem::smiles::parse(rec.get(0)?).ok()?;
                Some((chem::smiles::canonical_smiles(&m), rec.get(1)?.to_string()))
            })
            .collect()
    })
}

/// The common name of a group given as canonical fragment SMILES (`*OCC=C` -> allyloxy).
pub fn common_name(fragment: &str) -> Option<&'static str> {
    group_names().get(fragment).map(String::as_str)
}

/// The group in words: its kind, its name when it has a common one, and its SMILES
/// ("an alkenyloxy group (allyloxy, *OCC=C)").
pub fn label(mol: &Molecule, region: &Region, kind: GroupKind) -> String {
    let frag = fragment_smiles(mol, &region.atoms);
    match group_names().get(&frag) {
        Some(name) => format!("{} ({name}, {frag})", kind.describe()),
        None => format!("{} ({frag})", kind.describe()),
    }
}

fn el(mol: &Molecule, a: AtomIdx) -> Element {
    mol.atom(a).element
}

fn bond_order(mol: &Molecule, a: AtomIdx, b: AtomIdx) -> Option<BondOrder> {
    mol.bond_between(a, b).map(|x| mol.bond(x).order)
}

/// Classify a substituent region.
pub fn classify(mol: &Molecule, region: &Region) -> GroupKind {
    let attach = region.attach;
    let set: HashSet<AtomIdx> = region.atoms.iter().copied().collect();
    let in_region = |a: AtomIdx| set.contains(&a);
    if let Some(o) = bond_order(mol, region.from, attach) {
        if o != BondOrder::Single {
            return if el(mol, attach) == Element::O {
                GroupKind::Oxo
            } else {
                GroupKind::Other
            };
        }
    }
    if el(mol, attach) == Element::O
        && mol.atom(attach).charge < 0
        && mol.atom(region.from).charge > 0
    {
        return GroupKind::NOxide;
    }
    let has_ring = region.atoms.iter().any(|&a| mol.rings().is_ring_atom(a));
    let has_aromatic = region.atoms.iter().any(|&a| mol.atom(a).aromatic);
    // carbonyl carbons in the region: C(=O)
    let carbonyls: Vec<AtomIdx> = region
        .atoms
        .iter()
        .copied()
        .filter(|&a| {
            el(mol, a) == Element::C
                && mol.neighbours(a).iter().any(|n| {
                    el(mol, n.atom) == Element::O
                        && mol.bond(n.bond).order == BondOrder::Double
                        && !mol.bond(n.bond).aromatic
                })
        })
        .collect();
    let is_ester_carbon = |c: AtomIdx| {
        mol.neighbours(c).iter().any(|n| {
            el(mol, n.atom) == Element::O
                && mol.bond(n.bond).order == BondOrder::Single
                && mol
                    .neighbours(n.atom)
                    .iter()
                    .any(|m| m.atom != c && el(mol, m.atom) == Element::C)
        })
    };
    if has_ring {
        if carbonyls.iter().any(|&c| is_ester_carbon(c)) {
            return GroupKind::EsterWithRing;
        }
        if has_aromatic {
            return if mol.atom(attach).aromatic {
                GroupKind::Aryl
            } else {
                GroupKind::Arylalkyl
            };
        }
        let carbocycle = region.atoms.iter().all(|&a| el(mol, a) == Element::C)
            && region.atoms.iter().all(|&a| {
                mol.neighbours(a)
                    .iter()
                    .all(|n| !in_region(n.atom) || mol.bond(n.bond).order == BondOrder::Single)
            });
        return if carbocycle {
            GroupKind::Cycloalkyl
        } else {
            GroupKind::Other
        };
    }
    let count = |e: Element| region.atoms.iter().filter(|&&a| el(mol, a) == e).count();
    let n_c = count(Element::C);
    let n_o = count(Element::O);
    let n_n = count(Element::N);
    let n_s = count(Element::S);
    let n_hal = region
        .atoms
        .iter()
        .filter(|&&a| el(mol, a).is_halogen())
        .count();
    let n_other = region.atoms.len() - n_c - n_o - n_n - n_s - n_hal;
    if region.atoms.len() == 1 {
        return match el(mol, attach) {
            e if e.is_halogen() => GroupKind::Halo,
            Element::O => GroupKind::Hydroxyl,
            Element::N => GroupKind::Amino,
            Element::C => GroupKind::Alkyl,
            _ => GroupKind::Other,
        };
    }
    if n_other > 0 {
        return GroupKind::Other;
    }
    if n_s > 0 {
        let thioether =
            el(mol, attach) == Element::S && n_s == 1 && n_o == 0 && n_n == 0 && n_hal == 0;
        return if thioether {
            GroupKind::Alkylthio
        } else {
            GroupKind::Other
        };
    }
    let triple = region.atoms.iter().any(|&a| {
        mol.neighbours(a)
            .iter()
            .any(|n| in_region(n.atom) && mol.bond(n.bond).order == BondOrder::Triple)
    });
    if triple {
        return if n_n > 0 {
            GroupKind::Cyano
        } else {
            GroupKind::Alkynyl
        };
    }
    if el(mol, attach) == Element::N && n_o == 2 && region.atoms.len() == 3 {
        return GroupKind::Nitro;
    }
    if !carbonyls.is_empty() {
        let all_ester = carbonyls.iter().all(|&c| is_ester_carbon(c));
        if n_n == 0 && n_hal == 0 && all_ester {
            return GroupKind::Ester;
        }
        let acid = carbonyls.iter().any(|&c| {
            mol.neighbours(c).iter().any(|n| {
                el(mol, n.atom) == Element::O
                    && mol.bond(n.bond).order == BondOrder::Single
                    && mol.degree(n.atom) == 1
            })
        });
        if acid {
            return GroupKind::CarboxylicAcid;
        }
        if carbonyls.iter().any(|&c| {
            mol.neighbours(c)
                .iter()
                .any(|n| el(mol, n.atom) == Element::N)
        }) {
            return GroupKind::Carbamoyl;
        }
        return GroupKind::Acyl;
    }
    let double_cc = region.atoms.iter().any(|&a| {
        mol.neighbours(a)
            .iter()
            .any(|n| in_region(n.atom) && mol.bond(n.bond).order == BondOrder::Double)
    });
    let hetero_double = double_cc
        && region.atoms.iter().any(|&a| {
            el(mol, a) != Element::C
                && mol
                    .neighbours(a)
                    .iter()
                    .any(|n| in_region(n.atom) && mol.bond(n.bond).order == BondOrder::Double)
        });
    if hetero_double {
        return GroupKind::Other;
    }
    match (el(mol, attach), n_o, n_n, n_hal) {
        (Element::C, 0, 0, 0) => {
            if double_cc {
                GroupKind::Alkenyl
            } else {
                GroupKind::Alkyl
            }
        }
        (Element::C, 0, 0, _) if double_cc => GroupKind::Haloalkenyl,
        (Element::C, 0, 0, _) => GroupKind::Haloalkyl,
        (Element::O, _, 0, hal) => {
            // O-R with R made of carbon (and ether oxygens): alkoxy
            let terminal_oh = region
                .atoms
                .iter()
                .any(|&a| a != attach && el(mol, a) == Element::O && mol.atom(a).hydrogens > 0);
            match (terminal_oh, double_cc, hal > 0) {
                (true, _, _) | (false, true, true) => GroupKind::Other,
                (false, true, false) => GroupKind::Alkenyloxy,
                (false, false, true) => GroupKind::Haloalkoxy,
                (false, false, false) => GroupKind::Alkoxy,
            }
        }
        (Element::C, _, 0, 0) => {
            let hydroxy = region
                .atoms
                .iter()
                .any(|&a| el(mol, a) == Element::O && mol.atom(a).hydrogens > 0);
            if hydroxy {
                GroupKind::Hydroxyalkyl
            } else if double_cc {
                GroupKind::AlkenylEther
            } else {
                GroupKind::Ether
            }
        }
        (Element::N, 0, 1, 0) => GroupKind::Amino,
        (Element::C, 0, _, 0) => GroupKind::Aminoalkyl,
        _ => GroupKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classify the group on atom 1 of "C1(...)": the first atom is the scaffold.
    fn kind(smiles: &str) -> GroupKind {
        let m = chem::smiles::parse(smiles).unwrap();
        let stop = HashSet::from([0u32]);
        let r = Region::grow(&m, 0, 1, &stop);
        classify(&m, &r)
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("CC"), GroupKind::Alkyl);
        assert_eq!(kind("CC=C"), GroupKind::Alkenyl);
        assert_eq!(kind("CC#C"), GroupKind::Alkynyl);
        assert_eq!(kind("COC"), GroupKind::Alkoxy);
        assert_eq!(kind("CC(=O)OC"), GroupKind::Ester);
        assert_eq!(kind("CCOC(C)=O"), GroupKind::Ester);
        assert_eq!(kind("CCOC"), GroupKind::Ether);
        assert_eq!(kind("CO"), GroupKind::Hydroxyl);
        assert_eq!(kind("CCO"), GroupKind::Hydroxyalkyl);
        assert_eq!(kind("CF"), GroupKind::Halo);
        assert_eq!(kind("CC(F)(F)F"), GroupKind::Haloalkyl);
        assert_eq!(kind("CN(C)C"), GroupKind::Amino);
        assert_eq!(kind("C[N+](=O)[O-]"), GroupKind::Nitro);
        assert_eq!(kind("CC1CC1"), GroupKind::Cycloalkyl);
        assert_eq!(kind("Cc1ccccc1"), GroupKind::Aryl);
        assert_eq!(kind("CCc1ccccc1"), GroupKind::Arylalkyl);
        assert_eq!(kind("CC#N"), GroupKind::Cyano);
        assert_eq!(kind("CC(=O)O"), GroupKind::CarboxylicAcid);
        assert_eq!(kind("CC(N)=O"), GroupKind::Carbamoyl);
        assert_eq!(kind("CSC"), GroupKind::Alkylthio);
        assert_eq!(kind("CC(=O)OC1CN2CCC1CC2"), GroupKind::EsterWithRing);
        assert_eq!(kind("C=O"), GroupKind::Oxo);
        assert_eq!(kind("CC=CCl"), GroupKind::Haloalkenyl);
        assert_eq!(kind("COCC=C"), GroupKind::Alkenyloxy);
        assert_eq!(kind("COC=C"), GroupKind::Alkenyloxy);
        assert_eq!(kind("COC(F)(F)F"), GroupKind::Haloalkoxy);
        assert_eq!(kind("CCOC=C"), GroupKind::AlkenylEther);
    }

    #[test]
    fn every_group_name_row_parses_and_is_unique() {
        let mut r = csv::Reader::from_reader(GROUP_NAMES_CSV.as_bytes());
        let rows = r.records().count();
        assert_eq!(
            group_names().len(),
            rows,
            "a row did not parse or repeats a fragment"
        );
        let m = chem::smiles::parse("C1CC1OCC=C").unwrap();
        let region = Region::grow(&m, 2, 3, &HashSet::from([0, 1, 2]));
        assert_eq!(
            label(&m, &region, classify(&m, &region)),
            "an alkenyloxy group (allyloxy, *OCC=C)"
        );
    }
}

//! Standardisation for structural tests: split components, choose the parent (largest
//! organic fragment), neutralise it, and strip isotopes and stereo.
//!
//! The parent keeps a map back to the input's atom indices so that explanations can point
//! at the atoms the user wrote.

use crate::aromaticity;
use crate::element::Element;
use crate::molecule::{AtomIdx, Molecule};

/// A standardised parent and how it was obtained.
#[derive(Clone, Debug)]
pub struct Standardised {
    /// The parent: one component, neutralised, no isotopes, no stereo.
    pub parent: Molecule,
    /// For each parent atom, its index in the input molecule.
    pub input_atom: Vec<AtomIdx>,
    /// Components dropped (counter-ions, solvents, second components).
    pub removed_components: usize,
    /// Input atoms whose charge was neutralised.
    pub neutralised: Vec<AtomIdx>,
    /// Whether any isotope label was removed.
    pub had_isotopes: bool,
    /// Whether any stereo annotation was removed.
    pub had_stereo: bool,
}

/// Standardise a molecule: its parent is the largest organic fragment. Returns `None`
/// for a molecule with no atoms. For a verdict, use [`standardise_components`]: a
/// counter-ion may be larger than the base (pamoate, docusate).
pub fn standardise(mol: &Molecule) -> Option<Standardised> {
    let comps = mol.components();
    let best = comps.iter().enumerate().max_by(|(ia, a), (ib, b)| {
        fragment_score(mol, a)
            .partial_cmp(&fragment_score(mol, b))
            .unwrap_or(std::cmp::Ordering::Equal)
            // earlier component wins a full tie
            .then(ib.cmp(ia))
    })?;
    let (_, keep) = best;
    Some(standardise_part(mol, keep, comps.len()))
}

/// Every component of a molecule standardised on its own (neutralised, isotopes and
/// stereo stripped), in input order, each with its map back to the input's atoms.
/// `removed_components` counts the other components of the input. Empty for a molecule
/// with no atoms.
pub fn standardise_components(mol: &Molecule) -> Vec<Standardised> {
    let comps = mol.components();
    comps
        .iter()
        .map(|c| standardise_part(mol, c, comps.len()))
        .collect()
}

/// Whether a component contains carbon (only organic components are judged).
pub fn is_organic(mol: &Molecule) -> bool {
    mol.atoms().iter().any(|a| a.element == Element::C)
}

fn standardise_part(mol: &Molecule, keep: &[AtomIdx], components: usize) -> Standardised {
    let (mut parent, input_atom) = if components == 1 {
        (mol.clone(), (0..mol.atom_count() as u32).collect())
    } else {
        mol.extract(keep)
    };
    let neutralised_local = neutralise(&mut parent);
    let neutralised = neutralised_local
        .iter()
        .map(|&a| input_atom[a as usize])
        .collect();
    let had_isotopes = parent.atoms().iter().any(|a| a.isotope != 0);
    let had_stereo =
        !parent.tetrahedral_centres().is_empty() || !parent.double_bond_stereo().is_empty();
    parent.clear_isotopes();
    parent.clear_stereo();
    let (parent, input_atom) = fold_plain_hydrogens(parent, input_atom);
    Standardised {
        parent,
        input_atom,
        removed_components: components.saturating_sub(1),
        neutralised,
        had_isotopes,
        had_stereo,
    }
}

/// Hydrogen atoms left as graph atoms (deuterium before its isotope was stripped) become
/// hydrogen counts of their heavy atom.
fn fold_plain_hydrogens(mut mol: Molecule, input_atom: Vec<AtomIdx>) -> (Molecule, Vec<AtomIdx>) {
    let n = mol.atom_count() as u32;
    let is_plain_h = |mol: &Molecule, a: AtomIdx| {
        let at = mol.atom(a);
        at.element == Element::H
            && at.charge == 0
            && mol.degree(a) == 1
            && mol.atom(mol.neighbours(a)[0].atom).element != Element::H
    };
    let hs: Vec<AtomIdx> = (0..n).filter(|&a| is_plain_h(&mol, a)).collect();
    if hs.is_empty() {
        return (mol, input_atom);
    }
    for &h in &hs {
        let heavy = mol.neighbours(h)[0].atom;
        mol.atom_mut(heavy).hydrogens += 1;
    }
    let keep: Vec<AtomIdx> = (0..n).filter(|a| !hs.contains(a)).collect();
    let (m, local) = mol.extract(&keep);
    let map = local.iter().map(|&l| input_atom[l as usize]).collect();
    (m, map)
}

/// (organic, heavy atoms, all atoms including H, mass): larger is preferred.
fn fragment_score(mol: &Molecule, atoms: &[AtomIdx]) -> (bool, usize, usize, f64) {
    let mut organic = false;
    let mut heavy = 0;
    let mut all = 0;
    let mut mass = 0.0;
    for &a in atoms {
        let at = mol.atom(a);
        if at.element == Element::C {
            organic = true;
        }
        if at.element != Element::H {
            heavy += 1;
        }
        all += 1 + at.hydrogens as usize;
        mass += at.element.average_mass() + at.hydrogens as f64 * 1.008;
    }
    (organic, heavy, all, mass)
}

/// Neutralise charges that a proton can remove or add, keeping charge-separated
/// groups that cannot be neutral (nitro, N-oxide) and the negative partner of a
/// quaternary cation. Returns the atoms changed.
pub fn neutralise(mol: &mut Molecule) -> Vec<AtomIdx> {
    let n = mol.atom_count() as u32;
    if !mol.atoms().iter().any(|a| a.charge != 0) {
        return Vec::new();
    }
    let mut changed = Vec::new();
    let has_charged_neighbour = |mol: &Molecule, a: AtomIdx, positive: bool| {
        mol.neighbours(a).iter().any(|x| {
            let q = mol.atom(x.atom).charge;
            if positive {
                q > 0
            } else {
                q < 0
            }
        })
    };
    // Positive atoms with hydrogens lose protons.
    let mut stuck_positive = 0i32;
    for a in 0..n {
        let at = mol.atom(a).clone();
        if at.charge > 0 {
            if at.hydrogens > 0 {
                let k = (at.charge as u8).min(at.hydrogens);
                let m = mol.atom_mut(a);
                m.charge -= k as i8;
                m.hydrogens -= k;
                changed.push(a);
            }
            let left = mol.atom(a).charge as i32;
            if left > 0 && !has_charged_neighbour(mol, a, false) {
                stuck_positive += left;
            }
        }
    }
    // Negative atoms gain protons, except where they balance a cation that cannot lose one.
    for a in 0..n {
        let at = mol.atom(a).clone();
        if at.charge < 0 && !has_charged_neighbour(mol, a, true) {
            if !matches!(
                at.element,
                Element::C | Element::N | Element::O | Element::S | Element::P
            ) && at.element.number() != 34
            {
                continue;
            }
            let mut q = -(at.charge as i32);
            while q > 0 {
                if stuck_positive > 0 {
                    stuck_positive -= 1;
                } else {
                    let m = mol.atom_mut(a);
                    m.charge += 1;
                    m.hydrogens += 1;
                    if !changed.contains(&a) {
                        changed.push(a);
                    }
                }
                q -= 1;
            }
        }
    }
    if !changed.is_empty() {
        aromaticity::perceive(mol);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smiles::{canonical_smiles, parse};

    fn std_smiles(s: &str) -> String {
        canonical_smiles(&standardise(&parse(s).unwrap()).unwrap().parent)
    }

    #[test]
    fn salts_and_charges() {
        let fentanyl = std_smiles("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1");
        assert_eq!(
            std_smiles("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.Cl"),
            fentanyl
        );
        assert_eq!(
            std_smiles("CCC(=O)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1.[Cl-]"),
            fentanyl
        );
        assert_eq!(
            std_smiles("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.OC(=O)CC(O)(CC(=O)O)C(=O)O"),
            fentanyl
        );
        assert_eq!(std_smiles("[NH3+]CC(=O)[O-]"), std_smiles("NCC(=O)O"));
        // nitro and N-oxide stay charge-separated
        assert!(std_smiles("C[N+](=O)[O-]").contains("[N+]"));
        assert!(std_smiles("C[N+]1(CCCCC1)[O-]").contains("[O-]"));
        // betaine: the carboxylate balances the quaternary N
        assert!(std_smiles("C[N+](C)(C)CC(=O)[O-]").contains("[O-]"));
        // isotopes and stereo are dropped
        assert_eq!(std_smiles("[2H]C([2H])([2H])C"), "CC");
        assert_eq!(std_smiles("C[C@H](N)O"), std_smiles("CC(N)O"));
    }

    #[test]
    fn every_component_is_standardised() {
        // fentanyl pamoate: the pamoic acid is larger than the base
        let m = parse("CCC(=O)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1.CCC(=O)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1.[O-]C(=O)c1cc2ccccc2c(Cc2c(O)c(C([O-])=O)cc3ccccc23)c1O").unwrap();
        let parts = standardise_components(&m);
        assert_eq!(parts.len(), 3);
        let fentanyl = std_smiles("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1");
        assert_eq!(canonical_smiles(&parts[0].parent), fentanyl);
        assert_eq!(canonical_smiles(&parts[1].parent), fentanyl);
        assert_ne!(canonical_smiles(&standardise(&m).unwrap().parent), fentanyl);
        assert!(parts.iter().all(|p| p.removed_components == 2));
        assert_eq!(parts[1].input_atom[0], 25);
    }

    #[test]
    fn parent_maps_back_to_input_atoms() {
        let m = parse("Cl.CCO").unwrap();
        let s = standardise(&m).unwrap();
        assert_eq!(s.input_atom, vec![1, 2, 3]);
        assert_eq!(s.removed_components, 1);
    }
}

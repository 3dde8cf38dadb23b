//! Molecular formula (Hill order) and masses.

use crate::element::Element;
use crate::molecule::Molecule;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Element counts including implicit hydrogens.
pub fn element_counts(mol: &Molecule) -> BTreeMap<Element, u32> {
    let mut counts: BTreeMap<Element, u32> = BTreeMap::new();
    for a in mol.atoms() {
        *counts.entry(a.element).or_insert(0) += 1;
        if a.hydrogens > 0 {
            *counts.entry(Element::H).or_insert(0) += a.hydrogens as u32;
        }
    }
    counts
}

/// Molecular formula in Hill order (C, H, then alphabetical; alphabetical without
/// carbon), with the net charge appended as RDKit does (`+`, `-2`).
pub fn formula(mol: &Molecule) -> String {
    let counts = element_counts(mol);
    let mut out = String::new();
    let put = |out: &mut String, e: Element, n: u32| {
        out.push_str(e.symbol());
        if n > 1 {
            let _ = write!(out, "{n}");
        }
    };
    let has_c = counts.contains_key(&Element::C);
    let mut rest: Vec<(&str, Element, u32)> = Vec::new();
    for (&e, &n) in &counts {
        if has_c && (e == Element::C || e == Element::H) {
            continue;
        }
        rest.push((e.symbol(), e, n));
    }
    if has_c {
        put(&mut out, Element::C, counts[&Element::C]);
        if let Some(&h) = counts.get(&Element::H) {
            put(&mut out, Element::H, h);
        }
    }
    rest.sort_by(|a, b| a.0.cmp(b.0));
    for (_, e, n) in rest {
        put(&mut out, e, n);
    }
    let charge: i32 = mol.atoms().iter().map(|a| a.charge as i32).sum();
    push_charge(&mut out, charge);
    out
}

/// Average molecular weight in g/mol. Atoms with an isotope count their mass number
/// (an approximation of the isotope's exact mass good to 0.01 for light elements).
pub fn molecular_weight(mol: &Molecule) -> f64 {
    let h = Element::H.average_mass();
    mol.atoms()
        .iter()
        .map(|a| {
            let m = if a.isotope > 0 {
                a.isotope as f64
            } else {
                a.element.average_mass()
            };
            m + a.hydrogens as f64 * h
        })
        .sum()
}

/// Append a charge as SMILES and formulas write it: `+`, `-`, `+2`, `-2` (nothing for 0).
pub(crate) fn push_charge(out: &mut String, charge: i32) {
    match charge {
        0 => {}
        1 => out.push('+'),
        -1 => out.push('-'),
        q => {
            let _ = write!(out, "{q:+}");
        }
    }
}

//! Standard InChI and InChIKey through the IUPAC reference library (the `inchi` crate,
//! which vendors it): the same identifiers RDKit gives. Enabled by the `inchi` feature.

use crate::molecule::{BondOrder, Chirality, Molecule, IMPLICIT_H};
use thiserror::Error;

/// The IUPAC library rejected the structure.
#[derive(Debug, Error)]
#[error("InChI generation failed: {0}")]
pub struct InchiError(String);

/// Standard InChI of a molecule.
pub fn inchi(mol: &Molecule) -> Result<String, InchiError> {
    let mut m = inchi::Molecule::new();
    for a in mol.atoms() {
        let sym = if a.element.number() == 0 {
            "Zz"
        } else {
            a.element.symbol()
        };
        let mut atom = inchi::Atom::new(sym)
            .charge(a.charge)
            .implicit_hydrogens(inchi::ImplicitH::Exactly(a.hydrogens));
        if a.isotope != 0 {
            atom = atom.isotope(a.isotope);
        }
        if a.radicals == 1 {
            atom = atom.radical(inchi::Radical::Doublet);
        }
        m.add_atom(atom);
    }
    for b in mol.bonds() {
        let order = match b.order {
            BondOrder::Double => inchi::BondOrder::Double,
            BondOrder::Triple => inchi::BondOrder::Triple,
            _ => inchi::BondOrder::Single,
        };
        m.add_bond(b.a as usize, b.b as usize, order)
            .map_err(|e| InchiError(e.to_string()))?;
    }
    for t in mol.tetrahedral_centres() {
        if t.neighbours.len() != 4 {
            continue;
        }
        // InChI stands the centre itself in for an implicit hydrogen or lone pair.
        let nb: Vec<usize> = t
            .neighbours
            .iter()
            .map(|&x| {
                if x == IMPLICIT_H {
                    t.atom as usize
                } else {
                    x as usize
                }
            })
            .collect();
        // SMILES '@' (anticlockwise seen from the first neighbour) is InChI's odd
        // parity for the same neighbour order (checked against RDKit's InChIKeys).
        let parity = match t.chirality {
            Chirality::Anticlockwise => inchi::Parity::Odd,
            Chirality::Clockwise => inchi::Parity::Even,
        };
        m.add_stereo(inchi::Stereo::Tetrahedral {
            center: t.atom as usize,
            neighbors: [nb[0], nb[1], nb[2], nb[3]],
            parity,
        });
    }
    for d in mol.double_bond_stereo() {
        let b = mol.bond(d.bond);
        // cis references: odd parity in InChI's 0D convention
        let parity = if d.cis {
            inchi::Parity::Odd
        } else {
            inchi::Parity::Even
        };
        m.add_stereo(inchi::Stereo::DoubleBond {
            ends: [
                d.ref_a as usize,
                b.a as usize,
                b.b as usize,
                d.ref_b as usize,
            ],
            parity,
        });
    }
    let out = m.to_inchi(()).map_err(|e| InchiError(e.to_string()))?;
    Ok(out.inchi().to_string())
}

/// Standard InChIKey of a molecule.
pub fn inchikey(mol: &Molecule) -> Result<String, InchiError> {
    let i = inchi(mol)?;
    inchi::inchikey(&i).map_err(|e| InchiError(e.to_string()))
}

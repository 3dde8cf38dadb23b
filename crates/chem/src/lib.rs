//! # chem: a fast, pure-Rust chemistry core
//!
//! Reads SMILES, molfiles (V2000, V3000) and SD files into one [`Molecule`] type,
//! perceives rings and aromaticity the way RDKit does, writes canonical SMILES, searches
//! substructures (SMARTS subset) and standardises molecules (parent fragment, neutral,
//! isotopes and stereo stripped). No I/O, no global state.
//!
//! ```
//! let mol = chem::smiles::parse("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1").unwrap();
//! assert_eq!(chem::formula::formula(&mol), "C22H28N2O");
//! let kekule = chem::smiles::parse("CCC(=O)N(C1=CC=CC=C1)C1CCN(CCC2=CC=CC=C2)CC1").unwrap();
//! assert_eq!(chem::smiles::canonical_smiles(&mol), chem::smiles::canonical_smiles(&kekule));
//! ```

#![warn(missing_docs)]

pub mod aromaticity;
pub mod canon;
pub mod element;
pub mod formula;
pub mod layout;
pub mod limits;
pub mod molecule;
pub mod perceive;
pub mod records;
pub mod rings;
pub mod smiles;

pub use element::Element;
pub use limits::{Limit, LimitExceeded, Limits};
pub use molecule::{Atom, AtomIdx, Bond, BondIdx, BondOrder, Molecule};
#[cfg(feature = "inchi")]
pub mod inchi;
pub mod molfile;
pub mod smarts;
pub mod standardise;
pub mod substruct;

//! SMILES: reading (OpenSMILES) and writing (canonical or not).

mod parse;
mod write;

pub use parse::{parse, parse_graph, parse_within, SmilesError, SmilesErrorKind};
pub use write::{canonical_smiles, write_with, WriteOptions};

//! SMILES reader: any bytes give a molecule or an error naming the position, never a
//! panic; a molecule read is written canonically, and that text reads back to the same
//! canonical text (the writer is stable). What this found stays in
//! `fuzz/regressions/smiles/`, read by `crates/chem/tests/properties.rs`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mol) = chem::smiles::parse(text) {
        let canonical = chem::smiles::canonical_smiles(&mol);
        let again = chem::smiles::parse(&canonical).unwrap_or_else(|e| {
            panic!("canonical SMILES {canonical:?} of {text:?} does not read back: {e}")
        });
        assert_eq!(
            chem::smiles::canonical_smiles(&again),
            canonical,
            "canonical SMILES of {text:?} is not stable"
        );
    }
});

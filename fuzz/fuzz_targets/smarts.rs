//! SMARTS reader: any text gives a query or an error, never a panic; a query read is
//! matched against fentanyl within the search budget (an answer or `SearchTooCostly`,
//! never a stall).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn fentanyl() -> &'static chem::Molecule {
    static MOL: OnceLock<chem::Molecule> = OnceLock::new();
    MOL.get_or_init(|| {
        chem::smiles::parse("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1").expect("fentanyl")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(query) = chem::smarts::parse(text) {
        let _ = query.is_match(fentanyl());
    }
});

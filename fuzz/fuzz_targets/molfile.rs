//! Molfile and SD reader: any bytes give molecules or errors naming the line, never a
//! panic; every record of an SD stream is reported (read or refused), and the stream ends.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(mol) = chem::molfile::parse_molfile(text) {
            let _ = chem::smiles::canonical_smiles(&mol);
        }
    }
    let mut records = 0usize;
    for record in chem::molfile::SdReader::new(std::io::Cursor::new(data)) {
        records += 1;
        assert!(records <= data.len() + 1, "more SD records than bytes");
        if record.is_err() {
            break;
        }
    }
});

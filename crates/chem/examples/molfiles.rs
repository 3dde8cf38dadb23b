//! Reads SMILES lines, writes each as a laid-out molfile into an SD file on standard
//! output (scripts/check_depiction.py compares their stereo with RDKit's reading).
use std::io::BufRead;
fn main() {
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("line");
        let smiles = line.split_whitespace().next().unwrap_or_default();
        let Ok(mol) = chem::smiles::parse(smiles) else {
            continue;
        };
        let Ok(layout) = chem::layout::layout(&mol) else {
            continue;
        };
        if let Some(m) = chem::molfile::write_molfile(&mol, &layout, smiles) {
            println!("{m}$$$$");
        }
    }
}

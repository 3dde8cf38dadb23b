//! Print formula, ring count, aromatic atom count and canonical SMILES for each line of stdin.
use std::io::BufRead;
fn main() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let smi = line.split_whitespace().next().unwrap_or("");
        match chem::smiles::parse(smi) {
            Ok(m) => {
                let arom = m.atoms().iter().filter(|a| a.aromatic).count();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    smi,
                    chem::formula::formula(&m),
                    m.rings().count(),
                    arom,
                    chem::smiles::canonical_smiles(&m)
                );
            }
            Err(e) => println!("{smi}\tERROR {e}"),
        }
    }
}

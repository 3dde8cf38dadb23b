//! Print the InChIKey of each SMILES on stdin (needs `--features inchi`).
use std::io::BufRead;
fn main() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let smi = line.split_whitespace().next().unwrap_or("");
        match chem::smiles::parse(smi)
            .map_err(|e| e.to_string())
            .and_then(|m| chem::inchi::inchikey(&m).map_err(|e| e.to_string()))
        {
            Ok(k) => println!("{smi}\t{k}"),
            Err(e) => println!("{smi}\tERROR {e}"),
        }
    }
}

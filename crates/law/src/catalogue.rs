//! The named lists: substances with names, synonyms, CAS numbers and structures, and
//! their listings (jurisdiction, list, category, since when, source). Read from the CSV
//! files in `data/catalogue/` (embedded at build time), validated on load.

use crate::cas::CasNumber;
use crate::names::normalise;
use chem::smiles;
use serde::Deserialize;
use std::collections::HashMap;
use thiserror::Error;

/// A substance named on at least one list.
#[derive(Clone, Debug)]
pub struct Substance {
    /// Stable identifier.
    pub id: String,
    /// Preferred name.
    pub name: String,
    /// Synonyms (English and Chinese).
    pub synonyms: Vec<String>,
    /// CAS number, if known.
    pub cas: Option<CasNumber>,
    /// Structure as given.
    pub smiles: Option<String>,
    /// Canonical SMILES of the standardised parent (the structure key).
    pub parent_key: Option<String>,
    /// Standard InChIKey of the structure as given (from the source data).
    pub inchikey: Option<String>,
    /// Facts flagged unconfirmed ("cas", ...).
    pub unconfirmed: String,
    /// Sources.
    pub source: String,
}

/// A substance's place on one list.
#[derive(Clone, Debug, Deserialize)]
pub struct Listing {
    /// Substance id.
    pub substance: String,
    /// Jurisdiction code (CN, US, UN, EU).
    pub jurisdiction: String,
    /// The list.
    pub list: String,
    /// Category on that list.
    pub category: String,
    /// Since when, as the source gives it (dates become typed in the dated catalogue).
    pub since: String,
    /// "yes" when a fact of this listing is unconfirmed.
    pub unconfirmed: String,
    /// Source.
    pub source: String,
}

#[derive(Deserialize)]
struct SubstanceRow {
    id: String,
    name: String,
    synonyms: String,
    cas: String,
    smiles: String,
    inchikey: String,
    unconfirmed: String,
    source: String,
}

/// A fault in the catalogue data, naming the file and row.
#[derive(Debug, Error)]
pub enum CatalogueError {
    /// A row could not be read.
    #[error("{file} row {row}: {message}")]
    Row {
        /// File.
        file: &'static str,
        /// 1-based data row.
        row: usize,
        /// What is wrong.
        message: String,
    },
}

/// The named lists, indexed by structure, CAS number and name.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    substances: Vec<Substance>,
    listings: Vec<Listing>,
    by_key: HashMap<String, Vec<usize>>,
    by_cas: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    /// Formulas of the parents on file: a cheap prefilter before canonicalising.
    formulas: std::collections::HashSet<String>,
}

const SUBSTANCES_CSV: &str = include_str!("../../../data/catalogue/substances.csv");
const LISTINGS_CSV: &str = include_str!("../../../data/catalogue/listings.csv");

/// Structure key of a molecule: canonical SMILES of its standardised parent.
pub fn parent_key(mol: &chem::Molecule) -> Option<String> {
    chem::standardise::standardise(mol).map(|s| smiles::canonical_smiles(&s.parent))
}

impl Catalogue {
    /// The catalogue shipped with FentGuard.
    pub fn builtin() -> Result<Catalogue, CatalogueError> {
        Catalogue::from_csv(SUBSTANCES_CSV, LISTINGS_CSV)
    }

    /// Build from CSV texts (columns as in `data/catalogue/`).
    pub fn from_csv(substances: &str, listings: &str) -> Result<Catalogue, CatalogueError> {
        let mut cat = Catalogue::default();
        let mut r = csv::Reader::from_reader(substances.as_bytes());
        for (i, row) in r.deserialize::<SubstanceRow>().enumerate() {
            let err = |message: String| CatalogueError::Row {
                file: "substances.csv",
                row: i + 1,
                message,
            };
            let row = row.map_err(|e| err(e.to_string()))?;
            let cas = if row.cas.trim().is_empty() {
                None
            } else {
                Some(
                    row.cas
                        .parse::<CasNumber>()
                        .map_err(|e| err(e.to_string()))?,
                )
            };
            let (smiles_opt, key) = if row.smiles.trim().is_empty() {
                (None, None)
            } else {
                let mol = smiles::parse(row.smiles.trim())
                    .map_err(|e| err(format!("SMILES of {}: {e}", row.name)))?;
                (Some(row.smiles.trim().to_string()), parent_key(&mol))
            };
            let idx = cat.substances.len();
            let synonyms: Vec<String> = row
                .synonyms
                .split(';')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            for n in std::iter::once(&row.name).chain(synonyms.iter()) {
                cat.by_name.entry(normalise(n)).or_insert(idx);
            }
            if let Some(c) = &cas {
                if cat.by_cas.insert(c.to_string(), idx).is_some() {
                    return Err(err(format!("CAS {c} appears twice")));
                }
            }
            if let Some(k) = &key {
                cat.by_key.entry(k.clone()).or_default().push(idx);
            }
            cat.substances.push(Substance {
                id: row.id,
                name: row.name,
                synonyms,
                cas,
                smiles: smiles_opt,
                parent_key: key,
                inchikey: Some(row.inchikey.trim().to_string()).filter(|k| !k.is_empty()),
                unconfirmed: row.unconfirmed,
                source: row.source,
            });
        }
        let mut r = csv::Reader::from_reader(listings.as_bytes());
        for (i, row) in r.deserialize::<Listing>().enumerate() {
            let row = row.map_err(|e| CatalogueError::Row {
                file: "listings.csv",
                row: i + 1,
                message: e.to_string(),
            })?;
            if !cat.substances.iter().any(|s| s.id == row.substance) {
                return Err(CatalogueError::Row {
                    file: "listings.csv",
                    row: i + 1,
                    message: format!("unknown substance id '{}'", row.substance),
                });
            }
            cat.listings.push(row);
        }
        Ok(cat)
    }

    /// All substances.
    pub fn substances(&self) -> &[Substance] {
        &self.substances
    }

    /// Substances whose standardised parent has this key.
    pub fn by_structure_key(&self, key: &str) -> Vec<&Substance> {
        self.by_key
            .get(key)
            .map(|v| v.iter().map(|&i| &self.substances[i]).collect())
            .unwrap_or_default()
    }

    /// Whether any substance on file has a parent with this formula.
    pub fn has_formula(&self, formula: &str) -> bool {
        self.formulas.contains(formula)
    }

    /// The substance with this CAS number.
    pub fn by_cas(&self, cas: &CasNumber) -> Option<&Substance> {
        self.by_cas.get(cas.as_str()).map(|&i| &self.substances[i])
    }

    /// The substance with this name or synonym.
    pub fn by_name(&self, name: &str) -> Option<&Substance> {
        self.by_name
            .get(&normalise(name))
            .map(|&i| &self.substances[i])
    }

    /// Listings of a substance.
    pub fn listings_of(&self, substance_id: &str) -> Vec<&Listing> {
        self.listings
            .iter()
            .filter(|l| l.substance == substance_id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads_and_indexes() {
        let c = Catalogue::builtin().unwrap();
        assert!(c.substances().len() >= 50);
        let npp = c.by_name("NPP").unwrap();
        assert_eq!(npp.cas.as_ref().unwrap().as_str(), "39742-60-4");
        assert_eq!(
            c.by_cas(&"21409-26-7".parse().unwrap()).unwrap().id,
            c.by_name("4-ANPP").unwrap().id
        );
        assert_eq!(c.by_name("芬太尼").unwrap().name, "Fentanyl");
        let key =
            parent_key(&chem::smiles::parse("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.Cl").unwrap())
                .unwrap();
        assert_eq!(c.by_structure_key(&key)[0].name, "Fentanyl");
    }

    /// Every structure on file gives the InChIKey its source records: a check on the
    /// structures (and on our InChI wiring).
    #[test]
    fn structures_match_their_recorded_inchikeys() {
        let c = Catalogue::builtin().unwrap();
        let mut checked = 0;
        for s in c.substances() {
            if let (Some(smi), Some(key)) = (&s.smiles, &s.inchikey) {
                let mol = chem::smiles::parse(smi).unwrap();
                assert_eq!(&chem::inchi::inchikey(&mol).unwrap(), key, "{}", s.name);
                checked += 1;
            }
        }
        assert!(checked >= 50, "only {checked} InChIKeys checked");
    }

    #[test]
    fn bad_rows_are_named() {
        let subs = "id,name,synonyms,cas,smiles,inchikey,unconfirmed,source\nx,X,,437-38-8,C,,,s\n";
        let e = Catalogue::from_csv(
            subs,
            "substance,jurisdiction,list,category,since,unconfirmed,source\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("substances.csv row 1"), "{e}");
        let subs = "id,name,synonyms,cas,smiles,inchikey,unconfirmed,source\nx,X,,,C1CC,,,s\n";
        let e = Catalogue::from_csv(
            subs,
            "substance,jurisdiction,list,category,since,unconfirmed,source\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("ring bond"), "{e}");
    }
}

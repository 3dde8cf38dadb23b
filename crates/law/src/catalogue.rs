//! The named lists: substances with names, synonyms, CAS numbers and structures, and
//! their listings (jurisdiction, list, category, since when, source). Read from the CSV
//! files in `data/catalogue/` (embedded at build time), validated on load.

use crate::cas::CasNumber;
use crate::names::normalise;
use chem::smiles;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
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

/// A list (catalogue, schedule, table) and who keeps it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct List {
    /// Stable identifier (`CN-PRECURSORS`).
    pub list_id: String,
    /// Jurisdiction code (CN, US, UN, EU).
    pub jurisdiction: String,
    /// Name of the list.
    pub name: String,
    /// Authority that keeps it.
    pub authority: String,
    /// Legal instrument.
    pub instrument: String,
    /// Destinations a destination-specific list applies to (ISO 3166 alpha-2, `;`).
    pub destinations: String,
    /// "yes" when the list is known to be incomplete here.
    pub incomplete: String,
    /// Which categories' salts are covered ("yes" = all).
    pub salts_covered: String,
    /// Note.
    pub note: String,
    /// Source.
    pub source: String,
}

impl List {
    /// Destination codes of a destination-specific list (empty for general lists).
    pub fn destination_codes(&self) -> Vec<&str> {
        self.destinations
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Whether the list is known to be incomplete.
    pub fn is_incomplete(&self) -> bool {
        !self.incomplete.trim().is_empty()
    }
}

/// One version of a substance's place on one list, with the dates it is in force.
#[derive(Clone, Debug, PartialEq)]
pub struct Listing {
    /// Substance id.
    pub substance: String,
    /// List id.
    pub list_id: String,
    /// Category on that list (e.g. "Class II").
    pub category: String,
    /// First day in force; `None` when the source gives no date.
    pub effective_from: Option<NaiveDate>,
    /// First day no longer in force (exclusive), if withdrawn or replaced.
    pub effective_until: Option<NaiveDate>,
    /// day, month or year: how precise `effective_from` is.
    pub date_precision: String,
    /// Salts of the substance are covered by this entry.
    pub salts_covered: bool,
    /// A fact of this listing is unconfirmed.
    pub unconfirmed: bool,
    /// The source's wording of the date and qualifiers.
    pub note: String,
    /// Source.
    pub source: String,
}

/// Whether a listing is in force on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InForce {
    /// In force.
    Yes,
    /// Not (yet, or any more).
    No,
    /// The source gives no start date: treated as in force, with a warning.
    DateUnknown,
}

impl Listing {
    /// Whether this listing is in force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> InForce {
        if self.effective_until.is_some_and(|u| date >= u) {
            return InForce::No;
        }
        match self.effective_from {
            Some(f) if date >= f => InForce::Yes,
            Some(_) => InForce::No,
            None => InForce::DateUnknown,
        }
    }
}

#[derive(Deserialize)]
struct ListingRow {
    substance: String,
    list_id: String,
    category: String,
    effective_from: String,
    effective_until: String,
    date_precision: String,
    salts_covered: String,
    unconfirmed: String,
    note: String,
    source: String,
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
    lists: Vec<List>,
    listings: Vec<Listing>,
    by_key: HashMap<String, Vec<usize>>,
    by_cas: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    by_inchikey: HashMap<String, usize>,
    /// Formulas of the parents on file: a cheap prefilter before canonicalising.
    formulas: std::collections::HashSet<String>,
}

const SUBSTANCES_CSV: &str = include_str!("../../../data/catalogue/substances.csv");
const LISTINGS_CSV: &str = include_str!("../../../data/catalogue/listings.csv");
const LISTS_CSV: &str = include_str!("../../../data/catalogue/lists.csv");

/// Structure key of a molecule: canonical SMILES of its standardised parent.
pub fn parent_key(mol: &chem::Molecule) -> Option<String> {
    chem::standardise::standardise(mol).map(|s| smiles::canonical_smiles(&s.parent))
}

/// The structure key and the Hill formula of the standardised parent: the formula set
/// is the screening prefilter, so every structure on file must be in it.
fn parent_key_and_formula(mol: &chem::Molecule) -> (Option<String>, Option<String>) {
    match chem::standardise::standardise(mol) {
        Some(s) => (
            Some(smiles::canonical_smiles(&s.parent)),
            Some(chem::formula::formula(&s.parent)),
        ),
        None => (None, None),
    }
}

impl Catalogue {
    /// The catalogue shipped with FentGuard.
    pub fn builtin() -> Result<Catalogue, CatalogueError> {
        Catalogue::from_csv(SUBSTANCES_CSV, LISTS_CSV, LISTINGS_CSV)
    }

    /// Build from CSV texts (columns as in `data/catalogue/`).
    pub fn from_csv(
        substances: &str,
        lists: &str,
        listings: &str,
    ) -> Result<Catalogue, CatalogueError> {
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
            let (smiles_opt, key, formula) = if row.smiles.trim().is_empty() {
                (None, None, None)
            } else {
                let mol = smiles::parse(row.smiles.trim())
                    .map_err(|e| err(format!("SMILES of {}: {e}", row.name)))?;
                let (key, formula) = parent_key_and_formula(&mol);
                (Some(row.smiles.trim().to_string()), key, formula)
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
            if let Some(f) = &formula {
                cat.formulas.insert(f.clone());
            }
            let inchikey = Some(row.inchikey.trim().to_string()).filter(|k| !k.is_empty());
            if let Some(k) = &inchikey {
                cat.by_inchikey.entry(k.clone()).or_insert(idx);
            }
            cat.substances.push(Substance {
                id: row.id,
                name: row.name,
                synonyms,
                cas,
                smiles: smiles_opt,
                parent_key: key,
                inchikey,
                unconfirmed: row.unconfirmed,
                source: row.source,
            });
        }
        let mut r = csv::Reader::from_reader(lists.as_bytes());
        for (i, row) in r.deserialize::<List>().enumerate() {
            let row = row.map_err(|e| CatalogueError::Row {
                file: "lists.csv",
                row: i + 1,
                message: e.to_string(),
            })?;
            cat.lists.push(row);
        }
        let mut r = csv::Reader::from_reader(listings.as_bytes());
        for (i, row) in r.deserialize::<ListingRow>().enumerate() {
            let err = |message: String| CatalogueError::Row {
                file: "listings.csv",
                row: i + 1,
                message,
            };
            let row = row.map_err(|e| err(e.to_string()))?;
            let date = |t: &str, what: &str| -> Result<Option<NaiveDate>, CatalogueError> {
                if t.trim().is_empty() {
                    return Ok(None);
                }
                NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                    .map(Some)
                    .map_err(|e| err(format!("{what} '{t}' is not a date (YYYY-MM-DD): {e}")))
            };
            let listing = Listing {
                effective_from: date(&row.effective_from, "effective_from")?,
                effective_until: date(&row.effective_until, "effective_until")?,
                substance: row.substance,
                list_id: row.list_id,
                category: row.category,
                date_precision: row.date_precision,
                salts_covered: !row.salts_covered.trim().is_empty(),
                unconfirmed: !row.unconfirmed.trim().is_empty(),
                note: row.note,
                source: row.source,
            };
            cat.check_listing(&listing).map_err(err)?;
            cat.listings.push(listing);
        }
        Ok(cat)
    }

    /// Validate a listing against what is already loaded: known substance and list,
    /// dates in order, and no overlap with another version of the same entry.
    pub fn check_listing(&self, l: &Listing) -> Result<(), String> {
        if !self.substances.iter().any(|s| s.id == l.substance) {
            return Err(format!("unknown substance id '{}'", l.substance));
        }
        if !self.lists.iter().any(|x| x.list_id == l.list_id) {
            return Err(format!("unknown list id '{}'", l.list_id));
        }
        if let (Some(f), Some(u)) = (l.effective_from, l.effective_until) {
            if u <= f {
                return Err(format!(
                    "effective_until {u} is not after effective_from {f}"
                ));
            }
        }
        let overlaps = |a: &Listing| {
            let a_from = a.effective_from.unwrap_or(NaiveDate::MIN);
            let a_until = a.effective_until.unwrap_or(NaiveDate::MAX);
            let b_from = l.effective_from.unwrap_or(NaiveDate::MIN);
            let b_until = l.effective_until.unwrap_or(NaiveDate::MAX);
            a_from < b_until && b_from < a_until
        };
        if let Some(other) = self
            .listings
            .iter()
            .find(|a| a.substance == l.substance && a.list_id == l.list_id && overlaps(a))
        {
            return Err(format!(
                "'{}' is already on {} for an overlapping period (from {:?})",
                l.substance, l.list_id, other.effective_from
            ));
        }
        Ok(())
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

    /// The substance whose recorded standard InChIKey this is.
    pub fn by_inchikey(&self, key: &str) -> Option<&Substance> {
        self.by_inchikey
            .get(key.trim())
            .map(|&i| &self.substances[i])
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

    /// Listings of a substance in force on a date (including those with no known start).
    pub fn listings_on(
        &self,
        substance_id: &str,
        date: NaiveDate,
    ) -> Vec<(&Listing, &List, InForce)> {
        self.listings
            .iter()
            .filter(|l| l.substance == substance_id)
            .filter_map(|l| {
                let f = l.in_force_on(date);
                if f == InForce::No {
                    return None;
                }
                self.list(&l.list_id).map(|list| (l, list, f))
            })
            .collect()
    }

    /// A list by id.
    pub fn list(&self, id: &str) -> Option<&List> {
        self.lists.iter().find(|l| l.list_id == id)
    }

    /// All lists.
    pub fn lists(&self) -> &[List] {
        &self.lists
    }

    /// All listing versions.
    pub fn listings(&self) -> &[Listing] {
        &self.listings
    }

    /// A substance by id.
    pub fn substance(&self, id: &str) -> Option<&Substance> {
        self.substances.iter().find(|s| s.id == id)
    }
}

/// What a catalogue change does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// Put a new substance on file (no listing yet).
    AddSubstance,
    /// List a substance on a list from a date.
    Add,
    /// Change the category or note of a listing from a date (the old version ends then).
    Amend,
    /// Take a substance off a list from a date.
    Withdraw,
}

/// One change to the catalogue, as an authority records it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Change {
    /// What to do.
    pub action: ChangeAction,
    /// Substance: id, name, synonym or CAS number (for `add_substance`, the new id).
    pub substance: String,
    /// List id (not for `add_substance`).
    #[serde(default)]
    pub list_id: String,
    /// Category on the list (add, amend).
    #[serde(default)]
    pub category: String,
    /// Effective date (YYYY-MM-DD).
    pub effective: NaiveDate,
    /// Legal instrument or announcement: required.
    pub source: String,
    /// Note.
    #[serde(default)]
    pub note: String,
    /// Mark the change's facts as unconfirmed.
    #[serde(default)]
    pub unconfirmed: bool,
    /// For `add_substance`: preferred name.
    #[serde(default)]
    pub name: String,
    /// For `add_substance`: synonyms separated by `;`.
    #[serde(default)]
    pub synonyms: String,
    /// For `add_substance`: CAS number.
    #[serde(default)]
    pub cas: String,
    /// For `add_substance`: structure.
    #[serde(default)]
    pub smiles: String,
}

/// A dated difference between two days of the catalogue.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Difference {
    /// Date it took effect.
    pub date: NaiveDate,
    /// added, amended or withdrawn.
    pub kind: String,
    /// Substance name.
    pub substance: String,
    /// List id.
    pub list_id: String,
    /// Category (new category for amendments).
    pub category: String,
    /// Previous category (amendments).
    pub previous_category: Option<String>,
    /// Unconfirmed facts.
    pub unconfirmed: bool,
    /// Source of the version that took effect (or ended).
    pub source: String,
}

impl Catalogue {
    /// Resolve a substance reference (id, name, synonym or CAS number).
    pub fn resolve(&self, reference: &str) -> Option<&Substance> {
        let r = reference.trim();
        self.substance(r)
            .or_else(|| self.by_name(r))
            .or_else(|| r.parse::<CasNumber>().ok().and_then(|c| self.by_cas(&c)))
    }

    /// Apply one change, validated; nothing changes when it is refused. Past versions
    /// are kept, so questions about earlier dates answer as before.
    pub fn apply(&mut self, c: &Change) -> Result<(), String> {
        if c.source.trim().is_empty() {
            return Err("a change needs its source (legal instrument or announcement)".into());
        }
        if c.action == ChangeAction::AddSubstance {
            return self.add_substance(c);
        }
        let sub = self
            .resolve(&c.substance)
            .ok_or_else(|| {
                format!(
                    "unknown substance '{}' (add it first with add_substance)",
                    c.substance
                )
            })?
            .id
            .clone();
        if self.list(&c.list_id).is_none() {
            return Err(format!("unknown list id '{}'", c.list_id));
        }
        let current = self.listings.iter().position(|l| {
            l.substance == sub
                && l.list_id == c.list_id
                && l.in_force_on(c.effective) != InForce::No
        });
        let new_version = |category: String| Listing {
            substance: sub.clone(),
            list_id: c.list_id.clone(),
            category,
            effective_from: Some(c.effective),
            effective_until: None,
            date_precision: "day".into(),
            salts_covered: true,
            unconfirmed: c.unconfirmed,
            note: c.note.clone(),
            source: c.source.clone(),
        };
        match c.action {
            ChangeAction::Add => {
                if c.category.trim().is_empty() {
                    return Err("add needs a category".into());
                }
                let l = new_version(c.category.clone());
                self.check_listing(&l)?;
                self.listings.push(l);
            }
            ChangeAction::Withdraw | ChangeAction::Amend => {
                let i = current
                    .ok_or_else(|| format!("'{sub}' is not on {} on {}", c.list_id, c.effective))?;
                if self.listings[i]
                    .effective_from
                    .is_some_and(|f| f >= c.effective)
                {
                    return Err(format!(
                        "the version in force starts on or after {}; change a later date",
                        c.effective
                    ));
                }
                if self.listings.iter().any(|l| {
                    l.substance == sub
                        && l.list_id == c.list_id
                        && l.effective_from.is_some_and(|f| f > c.effective)
                }) {
                    return Err(format!(
                        "a later version of '{sub}' on {} exists; changes must come in date order",
                        c.list_id
                    ));
                }
                let mut amended = None;
                if c.action == ChangeAction::Amend {
                    let category = if c.category.trim().is_empty() {
                        self.listings[i].category.clone()
                    } else {
                        c.category.clone()
                    };
                    let mut v = new_version(category);
                    v.salts_covered = self.listings[i].salts_covered;
                    amended = Some(v);
                }
                self.listings[i].effective_until = Some(c.effective);
                if let Some(v) = amended {
                    self.listings.push(v);
                }
            }
            ChangeAction::AddSubstance => unreachable!("handled above"),
        }
        Ok(())
    }

    fn add_substance(&mut self, c: &Change) -> Result<(), String> {
        let id = c.substance.trim();
        if id.is_empty() || c.name.trim().is_empty() {
            return Err("add_substance needs an id (substance column) and a name".into());
        }
        if self.substance(id).is_some() {
            return Err(format!("substance id '{id}' already exists"));
        }
        let cas = if c.cas.trim().is_empty() {
            None
        } else {
            let n: CasNumber = c
                .cas
                .parse()
                .map_err(|e: crate::cas::CasError| e.to_string())?;
            if self.by_cas(&n).is_some() {
                return Err(format!("CAS {n} is already on file"));
            }
            Some(n)
        };
        let (smiles_opt, key) = if c.smiles.trim().is_empty() {
            (None, None)
        } else {
            let mol = smiles::parse(c.smiles.trim()).map_err(|e| format!("SMILES: {e}"))?;
            let (key, formula) = parent_key_and_formula(&mol);
            if let Some(f) = formula {
                self.formulas.insert(f);
            }
            (Some(c.smiles.trim().to_string()), key)
        };
        let idx = self.substances.len();
        let synonyms: Vec<String> = c
            .synonyms
            .split(';')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect();
        for n in std::iter::once(&c.name).chain(synonyms.iter()) {
            self.by_name.entry(normalise(n)).or_insert(idx);
        }
        if let Some(n) = &cas {
            self.by_cas.insert(n.to_string(), idx);
        }
        if let Some(k) = &key {
            self.by_key.entry(k.clone()).or_default().push(idx);
        }
        self.substances.push(Substance {
            id: id.to_string(),
            name: c.name.trim().to_string(),
            synonyms,
            cas,
            smiles: smiles_opt,
            parent_key: key,
            inchikey: None,
            unconfirmed: if c.unconfirmed {
                "yes".into()
            } else {
                String::new()
            },
            source: c.source.clone(),
        });
        Ok(())
    }

    /// Apply a CSV of changes (columns as [`Change`]) in order; the first refused row
    /// stops with its row number and nothing of the file is applied.
    pub fn apply_csv(&mut self, text: &str) -> Result<usize, CatalogueError> {
        let mut staged = self.clone();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let mut n = 0;
        for (i, row) in r.deserialize::<Change>().enumerate() {
            let err = |message: String| CatalogueError::Row {
                file: "changes",
                row: i + 1,
                message,
            };
            let change = row.map_err(|e| err(e.to_string()))?;
            staged.apply(&change).map_err(err)?;
            n += 1;
        }
        *self = staged;
        Ok(n)
    }

    /// What changed after `from` up to and including `to`.
    pub fn diff(&self, from: NaiveDate, to: NaiveDate) -> Vec<Difference> {
        let in_window = |d: Option<NaiveDate>| d.is_some_and(|d| d > from && d <= to);
        let name = |id: &str| {
            self.substance(id)
                .map_or(id.to_string(), |s| s.name.clone())
        };
        let mut out = Vec::new();
        for l in &self.listings {
            if in_window(l.effective_from) {
                let previous = self.listings.iter().find(|p| {
                    p.substance == l.substance
                        && p.list_id == l.list_id
                        && p.effective_until == l.effective_from
                });
                out.push(Difference {
                    date: l.effective_from.unwrap_or(from),
                    kind: if previous.is_some() {
                        "amended"
                    } else {
                        "added"
                    }
                    .into(),
                    substance: name(&l.substance),
                    list_id: l.list_id.clone(),
                    category: l.category.clone(),
                    previous_category: previous.map(|p| p.category.clone()),
                    unconfirmed: l.unconfirmed,
                    source: l.source.clone(),
                });
            }
            if in_window(l.effective_until) {
                let successor = self.listings.iter().any(|n| {
                    n.substance == l.substance
                        && n.list_id == l.list_id
                        && n.effective_from == l.effective_until
                });
                if !successor {
                    out.push(Difference {
                        date: l.effective_until.unwrap_or(to),
                        kind: "withdrawn".into(),
                        substance: name(&l.substance),
                        list_id: l.list_id.clone(),
                        category: l.category.clone(),
                        previous_category: None,
                        unconfirmed: l.unconfirmed,
                        source: l.source.clone(),
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            (a.date, &a.list_id, &a.substance).cmp(&(b.date, &b.list_id, &b.substance))
        });
        out
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
        let e = Catalogue::from_csv(subs, LISTS_CSV, "substance\n").unwrap_err();
        assert!(e.to_string().contains("substances.csv row 1"), "{e}");
        let subs = "id,name,synonyms,cas,smiles,inchikey,unconfirmed,source\nx,X,,,C1CC,,,s\n";
        let e = Catalogue::from_csv(subs, LISTS_CSV, "substance\n").unwrap_err();
        assert!(e.to_string().contains("ring bond"), "{e}");
        // overlapping versions of one entry, bad dates, unknown list
        let subs = "id,name,synonyms,cas,smiles,inchikey,unconfirmed,source\nx,X,,,C,,,s\n";
        let head = "substance,list_id,category,effective_from,effective_until,date_precision,salts_covered,unconfirmed,note,source\n";
        let two = format!(
            "{head}x,UN-TABLE-I,p,2001-01-01,,day,,,,s\nx,UN-TABLE-I,p,2005-01-01,,day,,,,s\n"
        );
        let e = Catalogue::from_csv(subs, LISTS_CSV, &two).unwrap_err();
        assert!(
            e.to_string().contains("listings.csv row 2") && e.to_string().contains("overlapping"),
            "{e}"
        );
        let ok = format!("{head}x,UN-TABLE-I,p,2001-01-01,2005-01-01,day,,,,s\nx,UN-TABLE-I,q,2005-01-01,,day,,,,s\n");
        let cat = Catalogue::from_csv(subs, LISTS_CSV, &ok).unwrap();
        let on = |d: &str| {
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
            cat.listings_on("x", date)
                .iter()
                .map(|(l, _, _)| l.category.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(on("2000-12-31"), Vec::<String>::new());
        assert_eq!(on("2001-01-01"), vec!["p"]);
        assert_eq!(on("2004-12-31"), vec!["p"]);
        assert_eq!(on("2005-01-01"), vec!["q"]);
        let bad = format!("{head}x,UN-TABLE-I,p,2001-13-01,,day,,,,s\n");
        assert!(Catalogue::from_csv(subs, LISTS_CSV, &bad)
            .unwrap_err()
            .to_string()
            .contains("not a date"));
        let bad = format!("{head}x,NO-SUCH-LIST,p,2001-01-01,,day,,,,s\n");
        assert!(Catalogue::from_csv(subs, LISTS_CSV, &bad)
            .unwrap_err()
            .to_string()
            .contains("unknown list id"));
        let bad = format!("{head}x,UN-TABLE-I,p,2001-01-01,2000-01-01,day,,,,s\n");
        assert!(Catalogue::from_csv(subs, LISTS_CSV, &bad)
            .unwrap_err()
            .to_string()
            .contains("not after"));
    }
}

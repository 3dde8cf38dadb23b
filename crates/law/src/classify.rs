//! "Is this controlled, where, and why?" for a structure, CAS number or name.

use crate::cas::CasNumber;
use crate::catalogue::{Catalogue, CatalogueError, Substance};
use crate::fentanyl_class::{judge, Definition, Outcome};
use chem::standardise::standardise;
use chem::Molecule;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

const DEFINITIONS_JSON: &str =
    include_str!("../../../data/definitions/fentanyl_related_substances.json");

/// What the user asked about, as understood.
#[derive(Clone, Debug)]
pub enum Query {
    /// A structure (and an optional name given with it).
    Structure {
        /// The molecule.
        molecule: Box<Molecule>,
        /// The SMILES as given.
        smiles: String,
        /// A name written after the SMILES.
        name: Option<String>,
    },
    /// A CAS number.
    Cas(CasNumber),
    /// A name or synonym.
    Name(String),
}

/// Why an input could not be understood.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum InputError {
    /// Empty line.
    #[error("empty input")]
    Empty,
    /// Looks like a CAS number but is not valid.
    #[error(transparent)]
    Cas(#[from] crate::cas::CasError),
    /// Neither a known name nor valid SMILES.
    #[error("'{text}' is not a name in the catalogue, and not valid SMILES ({smiles_error})")]
    Unrecognised {
        /// The text.
        text: String,
        /// Why it is not SMILES.
        smiles_error: String,
    },
    /// A CAS number or name the catalogue does not know.
    #[error("{0} is not in the catalogue; give a structure (SMILES) to test it against the generic definitions")]
    Unknown(String),
    /// A catalogue entry without a structure.
    #[error("{0} is in the catalogue but has no structure on file")]
    NoStructure(String),
}

/// A generic-definition result in the output.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GenericVerdict {
    /// Definition id.
    pub definition: String,
    /// `match`, `no_match` or `ambiguous`.
    pub result: String,
    /// Condition labels met.
    pub conditions: Vec<String>,
    /// One sentence per finding.
    pub reasons: Vec<String>,
    /// Named atom sets, as indices of the input's atoms (0-based, in SMILES order).
    pub atoms: BTreeMap<String, Vec<u32>>,
    /// Interpretive caveats.
    pub flags: Vec<String>,
    /// The legal instrument.
    pub instrument: String,
    /// In force from.
    pub in_force_from: String,
    /// Whether the definition was in force on the date asked about.
    pub in_force: bool,
}

/// A listing in the output.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ListingOut {
    /// The list's name.
    pub list: String,
    /// The list's id.
    pub list_id: String,
    /// The entry (substance name).
    pub entry: String,
    /// Category.
    pub category: String,
    /// In force from (None: the source gives no date).
    pub effective_from: Option<NaiveDate>,
    /// In force until (exclusive), if withdrawn.
    pub effective_until: Option<NaiveDate>,
    /// The legal instrument of the list.
    pub instrument: String,
    /// A fact of this listing is unconfirmed.
    pub unconfirmed: bool,
    /// The list is known to be incomplete here.
    pub list_incomplete: bool,
    /// Destinations, for destination-specific lists.
    pub destinations: Vec<String>,
    /// How the entry was matched: structure, cas or name.
    pub matched_by: String,
    /// The source's wording of dates and qualifiers.
    pub note: String,
}

/// The answer for one jurisdiction.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    /// CN or US.
    pub jurisdiction: String,
    /// Controlled by the generic definition or a listing.
    pub controlled: bool,
    /// `controlled`, `not_controlled`, or `undetermined` (generic definition ambiguous
    /// and no listing).
    pub status: String,
    /// The generic definition's answer (absent when no structure is known).
    pub generic: Option<GenericVerdict>,
    /// Listings in this jurisdiction.
    pub listings: Vec<ListingOut>,
}

/// The full answer for one input.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Classification {
    /// The date the answer is for.
    pub date: NaiveDate,
    /// Name given or found.
    pub name: Option<String>,
    /// Canonical SMILES of the standardised parent.
    pub parent_smiles: Option<String>,
    /// Standard InChIKey of the parent.
    pub parent_inchikey: Option<String>,
    /// Verdicts for the requested jurisdictions.
    pub verdicts: Vec<Verdict>,
    /// Listings in jurisdictions without a generic definition here (UN, EU).
    pub other_listings: Vec<OtherListing>,
    /// Notes on standardisation (salt removed, charges neutralised, isotopes ignored).
    pub notes: Vec<String>,
}

/// A listing outside CN and US.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OtherListing {
    /// Jurisdiction.
    pub jurisdiction: String,
    /// The listing.
    #[serde(flatten)]
    pub listing: ListingOut,
}

/// The compact answer of [`Classifier::screen`].
#[derive(Clone, Debug, Default)]
pub struct ScreenOutcome {
    /// (definition id, outcome) for each definition.
    pub outcomes: Vec<(String, Outcome)>,
    /// Names of listed substances with the same parent.
    pub listed: Vec<String>,
    /// Canonical SMILES of the parent, when it was needed.
    pub parent_smiles: Option<String>,
}

impl ScreenOutcome {
    /// Whether anything was found (a match, an ambiguous reading or a listing).
    pub fn is_hit(&self) -> bool {
        !self.listed.is_empty() || self.outcomes.iter().any(|(_, o)| *o != Outcome::NoMatch)
    }
}

/// Which verdicts to give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jurisdictions {
    /// China only.
    Cn,
    /// United States only.
    Us,
    /// Both.
    All,
}

/// Failure to load the classifier's data.
#[derive(Debug, Error)]
pub enum LoadError {
    /// Catalogue data.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// Definitions data.
    #[error("data/definitions/fentanyl_related_substances.json: {0}")]
    Definitions(String),
}

/// The classifier: the named lists plus the generic definitions.
#[derive(Clone, Debug)]
pub struct Classifier {
    catalogue: Catalogue,
    definitions: Vec<Definition>,
}

#[derive(Deserialize)]
struct DefinitionFile {
    definitions: Vec<Definition>,
}

impl Classifier {
    /// A classifier with the shipped definitions and another catalogue.
    pub fn with_catalogue(catalogue: Catalogue) -> Result<Classifier, LoadError> {
        let mut c = Classifier::builtin()?;
        c.catalogue = catalogue;
        Ok(c)
    }

    /// The classifier with the data shipped in `data/`.
    pub fn builtin() -> Result<Classifier, LoadError> {
        let file: DefinitionFile = serde_json::from_str(DEFINITIONS_JSON)
            .map_err(|e| LoadError::Definitions(e.to_string()))?;
        Ok(Classifier {
            catalogue: Catalogue::builtin()?,
            definitions: file.definitions,
        })
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Apply a CSV of catalogue changes (all or nothing); returns how many.
    pub fn apply_changes_csv(&mut self, text: &str) -> Result<usize, CatalogueError> {
        self.catalogue.apply_csv(text)
    }

    /// The generic definitions.
    pub fn definitions(&self) -> &[Definition] {
        &self.definitions
    }

    /// Understand one input line: "SMILES [name]", a CAS number, or a name.
    pub fn understand(&self, line: &str) -> Result<Query, InputError> {
        let text = line.trim();
        if text.is_empty() {
            return Err(InputError::Empty);
        }
        if CasNumber::looks_like(text) {
            return Ok(Query::Cas(text.parse()?));
        }
        // A known name wins over an accidental SMILES reading ("NPP" is valid SMILES).
        if self.catalogue.by_name(text).is_some() {
            return Ok(Query::Name(text.to_string()));
        }
        let (first, rest) = match text.split_once(char::is_whitespace) {
            Some((a, b)) => (a, Some(b.trim().to_string()).filter(|s| !s.is_empty())),
            None => (text, None),
        };
        match chem::smiles::parse(first) {
            Ok(molecule) => Ok(Query::Structure {
                molecule: Box::new(molecule),
                smiles: first.to_string(),
                name: rest,
            }),
            Err(e) => Err(InputError::Unrecognised {
                text: text.to_string(),
                smiles_error: e.to_string(),
            }),
        }
    }

    /// Classify a query as the law stood on `date`.
    pub fn classify(
        &self,
        query: &Query,
        which: Jurisdictions,
        date: NaiveDate,
    ) -> Result<Classification, InputError> {
        match query {
            Query::Structure { molecule, name, .. } => {
                Ok(self.classify_structure(molecule, name.clone(), None, date))
            }
            Query::Cas(cas) => {
                let s = self
                    .catalogue
                    .by_cas(cas)
                    .ok_or_else(|| InputError::Unknown(format!("CAS {cas}")))?;
                self.classify_substance(s, "cas", date)
            }
            Query::Name(n) => {
                let s = self
                    .catalogue
                    .by_name(n)
                    .ok_or_else(|| InputError::Unknown(format!("'{n}'")))?;
                self.classify_substance(s, "name", date)
            }
        }
        .map(|mut c| {
            c.verdicts.retain(|v| match which {
                Jurisdictions::Cn => v.jurisdiction == "CN",
                Jurisdictions::Us => v.jurisdiction == "US",
                Jurisdictions::All => true,
            });
            c
        })
    }

    fn classify_substance(
        &self,
        s: &Substance,
        matched_by: &str,
        date: NaiveDate,
    ) -> Result<Classification, InputError> {
        match &s.smiles {
            Some(smi) => {
                let mol = chem::smiles::parse(smi)
                    .map_err(|_| InputError::NoStructure(s.name.clone()))?;
                Ok(
                    self.classify_structure(
                        &mol,
                        Some(s.name.clone()),
                        Some((s, matched_by)),
                        date,
                    ),
                )
            }
            None => {
                // Listings only.
                let mut c = Classification {
                    date,
                    name: Some(s.name.clone()),
                    parent_smiles: None,
                    parent_inchikey: None,
                    verdicts: Vec::new(),
                    other_listings: Vec::new(),
                    notes: vec!["no structure on file: generic definitions not applied".into()],
                };
                self.attach_listings(&mut c, &[(s, matched_by)], date, false);
                Ok(c)
            }
        }
    }

    /// Bulk screening: the generic outcomes per definition and the names of listed
    /// substances with the same parent. Canonical SMILES is computed only when the parent's
    /// formula is on file or a definition does not say `no_match`.
    pub fn screen(&self, mol: &Molecule, date: NaiveDate) -> ScreenOutcome {
        let Some(std) = standardise(mol) else {
            return ScreenOutcome::default();
        };
        let outcomes: Vec<(String, Outcome)> = self
            .definitions
            .iter()
            .map(|d| (d.id.clone(), judge(&std.parent, d).outcome))
            .collect();
        let formula = chem::formula::formula(&std.parent);
        let interesting = outcomes.iter().any(|(_, o)| *o != Outcome::NoMatch);
        let mut listed = Vec::new();
        let mut parent_smiles = None;
        if interesting || self.catalogue.has_formula(&formula) {
            let key = chem::smiles::canonical_smiles(&std.parent);
            // only substances with a listing in force on the date
            listed = self
                .catalogue
                .by_structure_key(&key)
                .iter()
                .filter(|s| !self.catalogue.listings_on(&s.id, date).is_empty())
                .map(|s| s.name.clone())
                .collect();
            parent_smiles = Some(key);
        }
        ScreenOutcome {
            outcomes,
            listed,
            parent_smiles,
        }
    }

    /// Classify a molecule: standardise, judge each definition, look up listings.
    pub fn classify_structure(
        &self,
        mol: &Molecule,
        name: Option<String>,
        known: Option<(&Substance, &str)>,
        date: NaiveDate,
    ) -> Classification {
        let Some(std) = standardise(mol) else {
            return Classification {
                date,
                name,
                parent_smiles: None,
                parent_inchikey: None,
                verdicts: Vec::new(),
                other_listings: Vec::new(),
                notes: vec!["empty molecule".into()],
            };
        };
        let mut notes = Vec::new();
        if std.removed_components > 0 {
            notes.push(format!(
                "{} other component(s) removed (salt, solvent); judged on the parent",
                std.removed_components
            ));
        }
        if !std.neutralised.is_empty() {
            notes.push("charges neutralised".into());
        }
        if std.had_isotopes {
            notes.push("isotope labels ignored".into());
        }
        if std.had_stereo {
            notes.push("stereo ignored (isomers are covered)".into());
        }
        let parent_smiles = chem::smiles::canonical_smiles(&std.parent);
        let mut verdicts = Vec::new();
        for def in &self.definitions {
            let j = judge(&std.parent, def);
            let atoms = j
                .atoms
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.into_iter().map(|a| std.input_atom[a as usize]).collect(),
                    )
                })
                .collect();
            verdicts.push(Verdict {
                jurisdiction: def.jurisdiction.clone(),
                controlled: j.outcome == Outcome::Match,
                status: String::new(),
                generic: Some(GenericVerdict {
                    definition: def.id.clone(),
                    result: match j.outcome {
                        Outcome::Match => "match",
                        Outcome::NoMatch => "no_match",
                        Outcome::Ambiguous => "ambiguous",
                    }
                    .into(),
                    conditions: j.conditions,
                    reasons: j.reasons,
                    atoms,
                    flags: j.flags,
                    instrument: def.instrument.clone(),
                    in_force_from: def.in_force_from.clone(),
                    in_force: NaiveDate::parse_from_str(&def.in_force_from, "%Y-%m-%d")
                        .is_ok_and(|d| date >= d),
                }),
                listings: Vec::new(),
            });
        }
        let mut c = Classification {
            date,
            name,
            parent_smiles: Some(parent_smiles.clone()),
            parent_inchikey: chem::inchi::inchikey(&std.parent).ok(),
            verdicts,
            other_listings: Vec::new(),
            notes,
        };
        let mut matched: Vec<(&Substance, &str)> = Vec::new();
        if let Some(k) = known {
            matched.push(k);
        }
        for s in self.catalogue.by_structure_key(&parent_smiles) {
            if !matched.iter().any(|(m, _)| m.id == s.id) {
                matched.push((s, "structure"));
            }
        }
        // A salt form: another component was removed or a charge neutralised.
        let salt_form = std.removed_components > 0 || !std.neutralised.is_empty();
        self.attach_listings(&mut c, &matched, date, salt_form);
        c
    }

    fn attach_listings(
        &self,
        c: &mut Classification,
        matched: &[(&Substance, &str)],
        date: NaiveDate,
        salt_form: bool,
    ) {
        for (s, by) in matched {
            for (l, list, in_force) in self.catalogue.listings_on(&s.id, date) {
                if salt_form && !l.salts_covered {
                    c.notes.push(format!(
                        "{} on {}: this entry does not cover salts, and the input is a salt form",
                        s.name, list.name
                    ));
                    continue;
                }
                let mut note = l.note.clone();
                if in_force == crate::catalogue::InForce::DateUnknown {
                    note = format!("effective date unknown; treated as in force. {note}");
                }
                let out = ListingOut {
                    list: list.name.clone(),
                    list_id: list.list_id.clone(),
                    entry: s.name.clone(),
                    category: l.category.clone(),
                    effective_from: l.effective_from,
                    effective_until: l.effective_until,
                    instrument: list.instrument.clone(),
                    unconfirmed: l.unconfirmed
                        || in_force == crate::catalogue::InForce::DateUnknown,
                    list_incomplete: list.is_incomplete(),
                    destinations: list
                        .destination_codes()
                        .iter()
                        .map(|d| d.to_string())
                        .collect(),
                    matched_by: by.to_string(),
                    note,
                };
                let jur = list.jurisdiction.clone();
                match c.verdicts.iter_mut().find(|v| v.jurisdiction == jur) {
                    Some(v) => v.listings.push(out),
                    None if jur == "CN" || jur == "US" => c.verdicts.push(Verdict {
                        jurisdiction: jur,
                        controlled: false,
                        status: String::new(),
                        generic: None,
                        listings: vec![out],
                    }),
                    None => c.other_listings.push(OtherListing {
                        jurisdiction: jur,
                        listing: out,
                    }),
                }
            }
        }
        for v in &mut c.verdicts {
            let generic = v
                .generic
                .as_ref()
                .filter(|g| g.in_force)
                .map(|g| g.result.as_str());
            v.controlled = generic == Some("match") || !v.listings.is_empty();
            v.status = if v.controlled {
                "controlled"
            } else if generic == Some("ambiguous") {
                "undetermined"
            } else {
                "not_controlled"
            }
            .into();
        }
    }
}

//! "Is this controlled, where, and why?" for a structure, CAS number or name.

use crate::cas::CasNumber;
use crate::catalogue::{Catalogue, CatalogueError, Substance};
use crate::fentanyl_class::{judge, Definition, Outcome};
use crate::salts::Salts;
use chem::standardise::{is_organic, standardise_components, Standardised};
use chem::Molecule;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

const DEFINITIONS_JSON: &str =
    include_str!("../../../data/definitions/fentanyl_related_substances.json");

/// How a substance was recognised in the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The same standardised structure.
    Structure,
    /// Its CAS number.
    Cas,
    /// Its name or a synonym.
    Name,
    /// Its standard InChIKey.
    Inchikey,
}

impl MatchedBy {
    /// The word used in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Structure => "structure",
            MatchedBy::Cas => "cas",
            MatchedBy::Name => "name",
            MatchedBy::Inchikey => "inchikey",
        }
    }
}

/// What the user asked about, as [`Classifier::resolve`] understood it. Every command and
/// endpoint reads its input through that one function.
#[derive(Clone, Debug)]
pub enum Query {
    /// A structure (SMILES or molfile) and an optional name given with it.
    Structure {
        /// The molecule.
        molecule: Box<Molecule>,
        /// The structure as given (SMILES, or `molfile`).
        smiles: String,
        /// A name written after the SMILES (or a molfile's title line).
        name: Option<String>,
    },
    /// A substance on file, found by CAS number, InChIKey, name, or name + salt.
    Substance {
        /// Catalogue id.
        id: String,
        /// How it was found.
        matched_by: MatchedBy,
        /// The salt named after the base name, if any.
        salt: Option<SaltForm>,
    },
    /// A well-formed identifier that is not on file, and from which no structure can be
    /// had: it cannot be judged (`undetermined`), never "not controlled".
    NotOnFile {
        /// What it is ("CAS 79-11-8", "InChIKey ...").
        what: String,
    },
}

/// A salt named after a base name ("fentanyl citrate").
#[derive(Clone, Debug, PartialEq)]
pub struct SaltForm {
    /// The salt's name (`citrate`).
    pub salt: String,
    /// kg of free base per kg of the salt.
    pub base_ratio: f64,
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
    #[error("'{text}' is not a name in the catalogue, and not valid SMILES ({smiles_error}){}", did_you_mean_text(.did_you_mean))]
    Unrecognised {
        /// The text.
        text: String,
        /// Why it is not SMILES.
        smiles_error: String,
        /// The closest names and synonyms on file.
        did_you_mean: Vec<String>,
    },
    /// A molfile that cannot be read.
    #[error("molfile: {0}")]
    Molfile(String),
    /// A structure beyond the size limits: not judged (never "not controlled").
    #[error("{0}")]
    TooLarge(chem::LimitExceeded),
}

impl InputError {
    /// The closest catalogue names, when the input was not recognised.
    pub fn did_you_mean(&self) -> &[String] {
        match self {
            InputError::Unrecognised { did_you_mean, .. } => did_you_mean,
            _ => &[],
        }
    }
}

/// At most the first 80 characters of an input, for messages that quote it (an error
/// never echoes a whole 100 KB input back).
pub fn excerpt(text: &str) -> String {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => text.to_string(),
        Some((end, _)) => format!("{}… ({} bytes in all)", &text[..end], text.len()),
    }
}

fn did_you_mean_text(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", names.join(", "))
    }
}

/// The answer for one jurisdiction, from most to least severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Neither the generic definition nor a list covers it.
    NotControlled,
    /// It could not be judged: open text, a salt a listing may not cover, a structure
    /// not known. Never to be read as "not controlled".
    Undetermined,
    /// Covered by the generic definition or a listing.
    Controlled,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Status {
    /// The word used in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotControlled => "not_controlled",
            Status::Undetermined => "undetermined",
            Status::Controlled => "controlled",
        }
    }
}

/// One component of the input (dot-disconnected part), standardised.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ComponentOut {
    /// Canonical SMILES of the component, neutralised, isotopes and stereo removed.
    pub smiles: String,
    /// The input atoms of the component (0-based, in input order).
    pub atoms: Vec<u32>,
    /// Whether it was judged (organic components are; inorganic counter-ions and
    /// solvents beside an organic component are not).
    pub judged: bool,
    /// Its status per jurisdiction (CN, US) when judged.
    pub status: BTreeMap<String, Status>,
}

/// A generic-definition result in the output.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GenericVerdict {
    /// Definition id.
    pub definition: String,
    /// `match`, `no_match` or `ambiguous`.
    pub result: Outcome,
    /// Condition labels met.
    pub conditions: Vec<String>,
    /// One sentence per finding.
    pub reasons: Vec<String>,
    /// Named atom sets, as indices of the input's atoms (0-based, in input order, sorted).
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
    /// How the entry was matched: structure, cas, name or inchikey.
    pub matched_by: MatchedBy,
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
    /// `controlled`, `not_controlled`, or `undetermined`.
    pub status: Status,
    /// The component that carries this verdict (index into `components`), when a
    /// structure is known.
    pub component: Option<usize>,
    /// The generic definition's answer (absent when no structure is known).
    pub generic: Option<GenericVerdict>,
    /// Listings in this jurisdiction.
    pub listings: Vec<ListingOut>,
    /// Why the status is `undetermined`, when it is not the generic definition's open
    /// text (a listing that may not cover a salt; no structure known).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undetermined_because: Vec<String>,
}

/// The full answer for one input.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Classification {
    /// The date the answer is for.
    pub date: NaiveDate,
    /// Name given or found.
    pub name: Option<String>,
    /// Canonical SMILES of the component that carries the most severe verdict.
    pub parent_smiles: Option<String>,
    /// Standard InChIKey of that component.
    pub parent_inchikey: Option<String>,
    /// The input's components, standardised.
    pub components: Vec<ComponentOut>,
    /// Verdicts for the requested jurisdictions.
    pub verdicts: Vec<Verdict>,
    /// Listings in jurisdictions without a generic definition here (UN, EU).
    pub other_listings: Vec<OtherListing>,
    /// Notes on standardisation (components, charges neutralised, isotopes ignored).
    pub notes: Vec<String>,
}

impl Classification {
    /// The most severe status over the jurisdictions answered.
    pub fn worst(&self) -> Status {
        self.verdicts
            .iter()
            .map(|v| v.status)
            .max()
            .unwrap_or(Status::Undetermined)
    }

    /// The verdict of one jurisdiction.
    pub fn verdict(&self, jurisdiction: &str) -> Option<&Verdict> {
        self.verdicts
            .iter()
            .find(|v| v.jurisdiction == jurisdiction)
    }
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

/// Which verdicts to give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Jurisdictions {
    /// China only.
    Cn,
    /// United States only.
    Us,
    /// Both.
    All,
}

impl Jurisdictions {
    fn keeps(self, jurisdiction: &str) -> bool {
        match self {
            Jurisdictions::Cn => jurisdiction == "CN",
            Jurisdictions::Us => jurisdiction == "US",
            Jurisdictions::All => true,
        }
    }
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
    /// Salt table.
    #[error("{0}")]
    Salts(String),
    /// Customs headings.
    #[error("{0}")]
    Headings(String),
}

/// The classifier: the named lists plus the generic definitions.
#[derive(Clone, Debug)]
pub struct Classifier {
    catalogue: Catalogue,
    definitions: Vec<Definition>,
    salts: Salts,
    headings: crate::hs::HsHeadings,
    limits: chem::Limits,
}

#[derive(Deserialize)]
struct DefinitionFile {
    definitions: Vec<Definition>,
}

/// One judged component: the standardised part, its canonical SMILES, its verdicts.
struct Judged {
    part: Standardised,
    smiles: String,
    verdicts: Vec<Verdict>,
    other: Vec<OtherListing>,
}

/// Largest parent an InChIKey is computed for: the InChI library's canonicalisation
/// grows steeply on large symmetric graphs (0.18 s at 1,000 atoms), and the key is only
/// shown, never used to judge.
const INCHIKEY_MAX_ATOMS: usize = 200;

/// How many suggestions a refusal offers.
const SUGGESTIONS: usize = 5;

fn looks_like_inchikey(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 27
        && b[14] == b'-'
        && b[25] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 14 || i == 25 || c.is_ascii_uppercase())
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
            salts: Salts::builtin().map_err(LoadError::Salts)?,
            headings: crate::hs::HsHeadings::builtin().map_err(LoadError::Headings)?,
            limits: chem::Limits::DEFAULT,
        })
    }

    /// Judge structures within other size limits (the default refuses anything a
    /// control regime never meets; see [`chem::limits`]).
    pub fn set_limits(&mut self, limits: chem::Limits) {
        self.limits = limits;
    }

    /// The size limits structures are read within.
    pub fn limits(&self) -> &chem::Limits {
        &self.limits
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The customs headings of a catalogue substance, when on file.
    pub fn hs_heading(&self, substance: &str) -> Option<&crate::hs::HsHeading> {
        self.headings.of(substance)
    }

    /// The salt table.
    pub fn salts(&self) -> &Salts {
        &self.salts
    }

    /// Apply a CSV of catalogue changes (all or nothing); returns how many.
    pub fn apply_changes_csv(&mut self, text: &str) -> Result<usize, CatalogueError> {
        self.catalogue.apply_csv(text)
    }

    /// The generic definitions.
    pub fn definitions(&self) -> &[Definition] {
        &self.definitions
    }

    /// The structure a classification of `query` numbers its atoms in (a verdict's
    /// `atoms`, a component's `atoms`): the molecule as given, or the catalogue's structure
    /// of a substance found by name, CAS number or InChIKey. `None` without a structure.
    pub fn structure(&self, query: &Query) -> Option<Molecule> {
        match query {
            Query::Structure { molecule, .. } => Some(molecule.as_ref().clone()),
            Query::Substance { id, .. } => self
                .catalogue
                .substance(id)
                .and_then(|s| s.smiles.as_deref())
                .and_then(|smiles| chem::smiles::parse(smiles).ok()),
            Query::NotOnFile { .. } => None,
        }
    }

    /// The text of a definition's condition, found by the definition's id and the
    /// condition's label (`CN-FRS-2019`, `1`), as the law words it.
    pub fn condition_text(&self, definition: &str, label: &str) -> Option<&str> {
        self.definitions
            .iter()
            .find(|d| d.id == definition)?
            .conditions
            .values()
            .find(|c| c.label == label)
            .map(|c| c.text.as_str())
    }

    /// The one reader of every input: a molfile (text with an `M  END` or a V2000/V3000
    /// counts line), a CAS number, a standard InChIKey, a name or synonym, a name
    /// followed by a salt ("fentanyl citrate"), or "SMILES [name]". A well-formed CAS
    /// number or InChIKey that is not on file is [`Query::NotOnFile`]; text that is
    /// none of these is refused with the closest names on file.
    pub fn resolve(&self, input: &str) -> Result<Query, InputError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(InputError::Empty);
        }
        if text.contains('\n') {
            if text.contains("M  END") || text.contains("V2000") || text.contains("V3000") {
                // The counts line is the fourth; a header whose empty first lines were
                // trimmed away (a form field, a copy from a web page) gets them back.
                let lines: Vec<&str> = input.lines().collect();
                let counts = lines
                    .iter()
                    .position(|l| l.contains("V2000") || l.contains("V3000"))
                    .unwrap_or(3);
                let restored;
                let text = if counts == 3 {
                    input
                } else {
                    let from = counts.saturating_sub(3);
                    restored =
                        "\n".repeat(3usize.saturating_sub(counts)) + &lines[from..].join("\n");
                    restored.as_str()
                };
                let molecule =
                    chem::molfile::parse_molfile_within(text, &self.limits).map_err(|e| match e
                        .limit
                    {
                        Some(l) => InputError::TooLarge(l),
                        None => InputError::Molfile(e.to_string()),
                    })?;
                let title = counts.checked_sub(3).map_or("", |i| lines[i].trim());
                return Ok(Query::Structure {
                    molecule: Box::new(molecule),
                    smiles: "molfile".into(),
                    name: Some(title.to_string()).filter(|t| !t.is_empty()),
                });
            }
            return Err(InputError::Unrecognised {
                text: excerpt(text),
                smiles_error: "several lines, but not a molfile (no M  END)".into(),
                did_you_mean: Vec::new(),
            });
        }
        if CasNumber::looks_like(text) {
            let cas: CasNumber = text.parse()?;
            return Ok(match self.catalogue.by_cas(&cas) {
                Some(s) => Query::Substance {
                    id: s.id.clone(),
                    matched_by: MatchedBy::Cas,
                    salt: None,
                },
                None => Query::NotOnFile {
                    what: format!("CAS {cas}"),
                },
            });
        }
        if looks_like_inchikey(text) {
            return Ok(match self.catalogue.by_inchikey(text) {
                Some(s) => Query::Substance {
                    id: s.id.clone(),
                    matched_by: MatchedBy::Inchikey,
                    salt: None,
                },
                None => Query::NotOnFile {
                    what: format!("InChIKey {text}"),
                },
            });
        }
        // A known name wins over an accidental SMILES reading ("NPP" is valid SMILES).
        if let Some(s) = self.catalogue.by_name(text) {
            return Ok(Query::Substance {
                id: s.id.clone(),
                matched_by: MatchedBy::Name,
                salt: None,
            });
        }
        if let Some((base, salt)) = self.salts.split(text) {
            if let Some(s) = self.catalogue.by_name(base) {
                let base_mw = s
                    .smiles
                    .as_deref()
                    .and_then(|x| chem::smiles::parse(x).ok())
                    .map(|m| chem::formula::molecular_weight(&m));
                return Ok(Query::Substance {
                    id: s.id.clone(),
                    matched_by: MatchedBy::Name,
                    salt: Some(SaltForm {
                        salt: salt.name.clone(),
                        base_ratio: base_mw.map_or(1.0, |mw| Salts::base_ratio(salt, mw)),
                    }),
                });
            }
        }
        let (first, rest) = match text.split_once(char::is_whitespace) {
            Some((a, b)) => (a, Some(b.trim().to_string()).filter(|s| !s.is_empty())),
            None => (text, None),
        };
        match chem::smiles::parse_within(first, &self.limits) {
            Ok(molecule) => Ok(Query::Structure {
                molecule: Box::new(molecule),
                smiles: first.to_string(),
                name: rest,
            }),
            Err(e) => Err(match e.limit_exceeded() {
                Some(l) => InputError::TooLarge(l.clone()),
                None => InputError::Unrecognised {
                    text: excerpt(text),
                    smiles_error: e.to_string(),
                    did_you_mean: self.did_you_mean(text),
                },
            }),
        }
    }

    /// The names and synonyms on file closest to a text (a base name followed by a salt
    /// is suggested with the salt).
    pub fn did_you_mean(&self, text: &str) -> Vec<String> {
        let names = || {
            self.catalogue.substances().iter().flat_map(|s| {
                std::iter::once(s.name.as_str()).chain(s.synonyms.iter().map(String::as_str))
            })
        };
        if let Some((base, _)) = self.salts.split(text) {
            let salt = text.trim()[base.len()..].trim();
            let found = crate::names::suggest(base, names(), SUGGESTIONS);
            if !found.is_empty() {
                return found.into_iter().map(|n| format!("{n} {salt}")).collect();
            }
        }
        crate::names::suggest(text, names(), SUGGESTIONS)
    }

    /// Resolve and classify one input.
    pub fn classify_text(
        &self,
        text: &str,
        which: Jurisdictions,
        date: NaiveDate,
    ) -> Result<Classification, InputError> {
        let q = self.resolve(text)?;
        Ok(self.classify(&q, which, date))
    }

    /// Classify a query as the law stood on `date`.
    pub fn classify(&self, query: &Query, which: Jurisdictions, date: NaiveDate) -> Classification {
        let mut c = match query {
            Query::Structure { molecule, name, .. } => {
                self.classify_structure(molecule, name.clone(), None, date)
            }
            Query::Substance {
                id,
                matched_by,
                salt,
            } => match self.catalogue.substance(id) {
                Some(s) => self.classify_substance(s, *matched_by, salt.as_ref(), date),
                None => self.not_on_file(&format!("substance {id}"), date),
            },
            Query::NotOnFile { what } => self.not_on_file(what, date),
        };
        c.verdicts.retain(|v| which.keeps(&v.jurisdiction));
        c
    }

    /// A well-formed identifier with no structure: `undetermined` everywhere.
    fn not_on_file(&self, what: &str, date: NaiveDate) -> Classification {
        let why = format!(
            "{what} is not on the catalogue; structure unknown: cannot be judged by structure (give its SMILES or molfile)"
        );
        Classification {
            date,
            name: None,
            parent_smiles: None,
            parent_inchikey: None,
            components: Vec::new(),
            verdicts: self
                .jurisdictions()
                .into_iter()
                .map(|j| Verdict {
                    jurisdiction: j,
                    controlled: false,
                    status: Status::Undetermined,
                    component: None,
                    generic: None,
                    listings: Vec::new(),
                    undetermined_because: vec![why.clone()],
                })
                .collect(),
            other_listings: Vec::new(),
            notes: vec![why],
        }
    }

    /// The jurisdictions verdicts are given for: those of the generic definitions.
    fn jurisdictions(&self) -> Vec<String> {
        let mut j: Vec<String> = self
            .definitions
            .iter()
            .map(|d| d.jurisdiction.clone())
            .collect();
        j.dedup();
        j
    }

    fn classify_substance(
        &self,
        s: &Substance,
        matched_by: MatchedBy,
        salt: Option<&SaltForm>,
        date: NaiveDate,
    ) -> Classification {
        let name = match salt {
            Some(x) => format!("{} {}", s.name, x.salt),
            None => s.name.clone(),
        };
        match s.smiles.as_deref().map(chem::smiles::parse) {
            Some(Ok(mol)) => {
                let mut c = self.classify_parts(
                    &mol,
                    Some(name),
                    Some((s, matched_by)),
                    salt.is_some(),
                    date,
                );
                if let Some(x) = salt {
                    c.notes.push(format!(
                        "declared as the {}: judged on the base, {:.4} kg of base per kg",
                        x.salt, x.base_ratio
                    ));
                }
                c
            }
            _ => {
                // Listings only: without a structure the generic definitions cannot be
                // applied, so what no list names is undetermined.
                let mut c = Classification {
                    date,
                    name: Some(name),
                    parent_smiles: None,
                    parent_inchikey: None,
                    components: Vec::new(),
                    verdicts: Vec::new(),
                    other_listings: Vec::new(),
                    notes: vec!["no structure on file: generic definitions not applied".into()],
                };
                let (verdicts, other, notes) =
                    self.listings_for(&[(s, matched_by)], date, salt.is_some(), Vec::new());
                c.verdicts = verdicts;
                c.other_listings = other;
                c.notes.extend(notes);
                for j in self.jurisdictions() {
                    if c.verdict(&j).is_none() {
                        c.verdicts.push(empty_verdict(j, None));
                    }
                }
                for v in &mut c.verdicts {
                    if v.status == Status::NotControlled {
                        v.status = Status::Undetermined;
                        v.undetermined_because.push(
                            "no structure on file and no listing: cannot be judged by structure"
                                .into(),
                        );
                    }
                }
                c
            }
        }
    }

    /// The components judged: every organic component; when there is none, every
    /// component (so that an inorganic precursor on its own is looked up).
    fn judged_parts(mol: &Molecule) -> (Vec<Standardised>, Vec<bool>) {
        let parts = standardise_components(mol);
        let organic: Vec<bool> = parts.iter().map(|p| is_organic(&p.parent)).collect();
        let any_organic = organic.iter().any(|&o| o);
        let judged = organic.iter().map(|&o| o || !any_organic).collect();
        (parts, judged)
    }

    /// Bulk screening: the full classification when any jurisdiction answers
    /// `controlled` or `undetermined`, else `None`. The prefilter skips the full answer
    /// only where it cannot change it: every judged component's generic outcome is
    /// `no_match` under every definition and no substance on file has its structure key
    /// (checked only when its formula is on file: the same structure has the same
    /// formula). Without a generic reading or a listing nothing can be `controlled` or
    /// `undetermined` for a structure.
    pub fn screen(&self, mol: &Molecule, date: NaiveDate) -> Option<Classification> {
        let (parts, judged) = Self::judged_parts(mol);
        // The formula is cheap; the canonical SMILES (the structure key a listing
        // needs) only for the rare component whose formula is on file.
        let candidate = parts.is_empty()
            || parts.iter().zip(&judged).any(|(p, &j)| {
                j && (self
                    .definitions
                    .iter()
                    .any(|d| judge(&p.parent, d).outcome != Outcome::NoMatch)
                    || (self
                        .catalogue
                        .has_formula(&chem::formula::formula(&p.parent))
                        && !self
                            .catalogue
                            .by_structure_key(&chem::smiles::canonical_smiles(&p.parent))
                            .is_empty()))
            });
        if !candidate {
            return None;
        }
        let c = self.classify_structure(mol, None, None, date);
        (c.worst() != Status::NotControlled).then_some(c)
    }

    /// [`Classifier::screen`] for one record of a structure file (`chem::records`): its
    /// classification when `controlled` or `undetermined`, none when not controlled, or
    /// why the record could not be read (never "not controlled").
    pub fn screen_record(
        &self,
        record: &chem::records::Record,
        date: NaiveDate,
    ) -> Result<Option<Classification>, String> {
        match &record.payload {
            chem::records::Payload::Smiles(s) => {
                if s.is_empty() {
                    return Err("empty SMILES".into());
                }
                let mol = chem::smiles::parse_within(s, &self.limits).map_err(|e| e.to_string())?;
                Ok(self.screen(&mol, date))
            }
            chem::records::Payload::Molecule(m) => match m.as_ref() {
                Ok(mol) => Ok(self.screen(mol, date)),
                Err(e) => Err(e.clone()),
            },
        }
    }

    /// Classify a molecule: judge each component against each definition and look up
    /// its listings; each jurisdiction's verdict is the most severe over the components.
    pub fn classify_structure(
        &self,
        mol: &Molecule,
        name: Option<String>,
        known: Option<(&Substance, MatchedBy)>,
        date: NaiveDate,
    ) -> Classification {
        self.classify_parts(mol, name, known, false, date)
    }

    fn classify_parts(
        &self,
        mol: &Molecule,
        name: Option<String>,
        known: Option<(&Substance, MatchedBy)>,
        declared_salt: bool,
        date: NaiveDate,
    ) -> Classification {
        let (parts, judged_flags) = Self::judged_parts(mol);
        let several = parts.len() > 1;
        let mut judged: Vec<Option<Judged>> = Vec::with_capacity(parts.len());
        let mut notes: Vec<String> = Vec::new();
        for (part, judge_it) in parts.into_iter().zip(judged_flags) {
            let smiles = chem::smiles::canonical_smiles(&part.parent);
            if !judge_it {
                judged.push(None);
                notes.push(format!(
                    "{smiles}: inorganic counter-ion or solvent beside an organic component, not judged"
                ));
                continue;
            }
            let mut matched: Vec<(&Substance, MatchedBy)> = Vec::new();
            if let Some((s, by)) = known {
                if s.parent_key.as_deref() == Some(smiles.as_str()) || !several {
                    matched.push((s, by));
                }
            }
            for s in self.catalogue.by_structure_key(&smiles) {
                if !matched.iter().any(|(m, _)| m.id == s.id) {
                    matched.push((s, MatchedBy::Structure));
                }
            }
            let generic: Vec<Verdict> = self
                .definitions
                .iter()
                .map(|def| {
                    let j = judge(&part.parent, def);
                    let atoms = j
                        .atoms
                        .into_iter()
                        .map(|(k, v)| {
                            let mut v: Vec<u32> =
                                v.into_iter().map(|a| part.input_atom[a as usize]).collect();
                            v.sort_unstable();
                            (k, v)
                        })
                        .collect();
                    let mut v = empty_verdict(def.jurisdiction.clone(), Some(judged.len()));
                    v.generic = Some(GenericVerdict {
                        definition: def.id.clone(),
                        result: j.outcome,
                        conditions: j.conditions,
                        reasons: j.reasons,
                        atoms,
                        flags: j.flags,
                        instrument: def.instrument.clone(),
                        in_force_from: def.in_force_from.clone(),
                        in_force: NaiveDate::parse_from_str(&def.in_force_from, "%Y-%m-%d")
                            .is_ok_and(|d| date >= d),
                    });
                    v
                })
                .collect();
            // A salt form: another component beside it, a charge neutralised, or a salt
            // named after the base name.
            let salt_form = declared_salt || several || !part.neutralised.is_empty();
            let (verdicts, other, listing_notes) =
                self.listings_for(&matched, date, salt_form, generic);
            notes.extend(listing_notes);
            if !part.neutralised.is_empty() {
                notes.push(format!("{smiles}: charges neutralised"));
            }
            if part.had_isotopes {
                notes.push(format!("{smiles}: isotope labels ignored"));
            }
            if part.had_stereo {
                notes.push(format!("{smiles}: stereo ignored (isomers are covered)"));
            }
            judged.push(Some(Judged {
                part,
                smiles,
                verdicts,
                other,
            }));
        }
        if several {
            notes.insert(
                0,
                format!(
                    "{} components, each judged; the input is controlled if any component is, and each verdict names the component that carries it",
                    judged.len()
                ),
            );
        }
        let mut components: Vec<ComponentOut> = Vec::with_capacity(judged.len());
        // the component atoms come from the standardised part, which maps to the input
        for j in &judged {
            match j {
                Some(j) => {
                    let mut atoms = j.part.input_atom.clone();
                    atoms.sort_unstable();
                    components.push(ComponentOut {
                        smiles: j.smiles.clone(),
                        atoms,
                        judged: true,
                        status: j
                            .verdicts
                            .iter()
                            .map(|v| (v.jurisdiction.clone(), v.status))
                            .collect(),
                    });
                }
                None => components.push(ComponentOut {
                    smiles: String::new(),
                    atoms: Vec::new(),
                    judged: false,
                    status: BTreeMap::new(),
                }),
            }
        }
        // Unjudged components: their SMILES and atoms (cheap; for the output only).
        fill_unjudged(mol, &mut components);
        // Per jurisdiction, the most severe component; ties go to the component with
        // a generic match, then listings, then more atoms, then the canonical SMILES,
        // so the choice does not depend on the order the input was written in.
        let rank = |j: &Judged, v: &Verdict| {
            (
                v.status,
                v.generic
                    .as_ref()
                    .is_some_and(|g| g.result == Outcome::Match),
                !v.listings.is_empty(),
                j.part.parent.heavy_atom_count(),
                std::cmp::Reverse(j.smiles.clone()),
            )
        };
        let mut verdicts: Vec<Verdict> = Vec::new();
        for jur in self.jurisdictions().into_iter().chain(
            judged
                .iter()
                .flatten()
                .flat_map(|j| j.verdicts.iter().map(|v| v.jurisdiction.clone())),
        ) {
            if verdicts.iter().any(|v| v.jurisdiction == jur) {
                continue;
            }
            // equal copies (a 2:1 salt): the first in the input
            let best = judged
                .iter()
                .enumerate()
                .filter_map(|(i, j)| j.as_ref().map(|j| (i, j)))
                .filter_map(|(i, j)| {
                    j.verdicts
                        .iter()
                        .find(|v| v.jurisdiction == jur)
                        .map(|v| (i, j, v))
                })
                .max_by_key(|(i, j, v)| (rank(j, v), std::cmp::Reverse(*i)))
                .map(|(_, j, v)| (j, v));
            if let Some((_, v)) = best {
                verdicts.push(v.clone());
            }
        }
        let carrier = judged
            .iter()
            .enumerate()
            .filter_map(|(i, j)| j.as_ref().map(|j| (i, j)))
            .max_by_key(|(i, j)| {
                let worst = j.verdicts.iter().map(|v| v.status).max();
                (
                    worst,
                    j.verdicts
                        .iter()
                        .filter(|v| Some(v.status) == worst)
                        .count(),
                    j.part.parent.heavy_atom_count(),
                    std::cmp::Reverse(j.smiles.clone()),
                    std::cmp::Reverse(*i),
                )
            })
            .map(|(_, j)| j);
        let mut other_listings: Vec<OtherListing> = Vec::new();
        for o in judged.iter().flatten().flat_map(|j| j.other.iter()) {
            if !other_listings.contains(o) {
                other_listings.push(o.clone());
            }
        }
        let mut seen = std::collections::HashSet::new();
        notes.retain(|n| seen.insert(n.clone()));
        if judged.is_empty() {
            notes.push("empty molecule".into());
            verdicts = self
                .jurisdictions()
                .into_iter()
                .map(|j| {
                    let mut v = empty_verdict(j, None);
                    v.status = Status::Undetermined;
                    v.undetermined_because.push("empty molecule".into());
                    v
                })
                .collect();
        }
        let parent_inchikey = match carrier {
            Some(j) if j.part.parent.atom_count() > INCHIKEY_MAX_ATOMS => {
                notes.push(format!(
                    "no InChIKey: the parent has more than {INCHIKEY_MAX_ATOMS} heavy atoms"
                ));
                None
            }
            Some(j) => chem::inchi::inchikey(&j.part.parent).ok(),
            None => None,
        };
        Classification {
            date,
            name,
            parent_smiles: carrier.map(|j| j.smiles.clone()),
            parent_inchikey,
            components,
            verdicts,
            other_listings,
            notes,
        }
    }

    /// The verdicts of one component: its generic verdicts (if any) with the listings of
    /// the substances it matched, and the status of each. Returns the verdicts, the
    /// listings outside CN/US, and notes.
    fn listings_for(
        &self,
        matched: &[(&Substance, MatchedBy)],
        date: NaiveDate,
        salt_form: bool,
        mut verdicts: Vec<Verdict>,
    ) -> (Vec<Verdict>, Vec<OtherListing>, Vec<String>) {
        let mut other = Vec::new();
        let mut notes = Vec::new();
        let component = verdicts.first().and_then(|v| v.component);
        for (s, by) in matched {
            for (l, list, in_force) in self.catalogue.listings_on(&s.id, date) {
                let jur = list.jurisdiction.clone();
                if salt_form && !l.salts_covered {
                    // Fail safe: a salt never weakens a verdict; the listing's silence on
                    // salts makes the answer undetermined, not "not controlled".
                    let why = format!(
                        "{} on {}: this entry does not say it covers salts, and the input is a salt form or mixture",
                        s.name, list.name
                    );
                    notes.push(why.clone());
                    if let Some(v) = verdicts.iter_mut().find(|v| v.jurisdiction == jur) {
                        v.undetermined_because.push(why);
                    } else if jur == "CN" || jur == "US" {
                        let mut v = empty_verdict(jur, component);
                        v.undetermined_because.push(why);
                        verdicts.push(v);
                    }
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
                    matched_by: *by,
                    note,
                };
                match verdicts.iter_mut().find(|v| v.jurisdiction == jur) {
                    Some(v) => v.listings.push(out),
                    None if jur == "CN" || jur == "US" => {
                        let mut v = empty_verdict(jur, component);
                        v.listings.push(out);
                        verdicts.push(v);
                    }
                    None => other.push(OtherListing {
                        jurisdiction: jur,
                        listing: out,
                    }),
                }
            }
        }
        for v in &mut verdicts {
            let generic = v.generic.as_ref().filter(|g| g.in_force).map(|g| g.result);
            v.controlled = generic == Some(Outcome::Match) || !v.listings.is_empty();
            v.status = if v.controlled {
                Status::Controlled
            } else if generic == Some(Outcome::Ambiguous) || !v.undetermined_because.is_empty() {
                Status::Undetermined
            } else {
                Status::NotControlled
            };
        }
        (verdicts, other, notes)
    }
}

fn empty_verdict(jurisdiction: String, component: Option<usize>) -> Verdict {
    Verdict {
        jurisdiction,
        controlled: false,
        status: Status::NotControlled,
        component,
        generic: None,
        listings: Vec::new(),
        undetermined_because: Vec::new(),
    }
}

/// SMILES and input atoms of the components that were not judged.
fn fill_unjudged(mol: &Molecule, components: &mut [ComponentOut]) {
    if components.iter().all(|c| c.judged) {
        return;
    }
    for (c, atoms) in components.iter_mut().zip(mol.components()) {
        if !c.judged {
            let (part, _) = mol.extract(&atoms);
            c.smiles = chem::smiles::canonical_smiles(&part);
            c.atoms = atoms;
        }
    }
}

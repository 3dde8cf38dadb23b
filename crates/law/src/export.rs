//! "Do I need a licence to export this?": export rules as data (`data/export_rules/`)
//! applied to a substance, quantity, destination, date and optional mixture.

use crate::catalogue::InForce;
use crate::classify::{Classification, Classifier, InputError, Jurisdictions, Query, Status};
use crate::names::normalise;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

const CN_RULES: &str = include_str!("../../../data/export_rules/CN.json");
const COUNTRIES_CSV: &str = include_str!("../../../data/reference/countries.csv");

/// Why an export question could not be answered.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ExportError {
    /// Destination or origin is not an ISO 3166-1 alpha-2 code.
    #[error("'{0}' is not an ISO 3166-1 alpha-2 country code (e.g. MX, DE, CL)")]
    UnknownCountry(String),
    /// No rules on file for the exporting jurisdiction.
    #[error("no export rules on file for exports from {0} (rules on file: {1})")]
    NoRules(String, String),
    /// The quantity cannot be read.
    #[error("quantity '{0}': {1}")]
    BadQuantity(String, String),
    /// The mixture cannot be read.
    #[error("mixture '{0}': {1}")]
    BadMixture(String, String),
    /// The substance text is malformed or names nothing on file (with the closest
    /// names in [`InputError::did_you_mean`]).
    #[error("substance: {0}")]
    Input(InputError),
    /// Rule data are broken.
    #[error("export rules data: {0}")]
    Data(String),
}

// Not `#[from]`: that would make the input error the source as well, and chains of
// causes would print it twice.
impl From<InputError> for ExportError {
    fn from(e: InputError) -> ExportError {
        ExportError::Input(e)
    }
}

/// What an export question comes to, from most to least severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportDecision {
    /// No export rule applies.
    NoLicenceRequired,
    /// The substance could not be judged (open text of a generic definition, a salt a
    /// listing may not cover, a CAS number or InChIKey with no structure on file): never
    /// to be read as "no licence required".
    Undetermined,
    /// A licence or permit is needed.
    LicenceRequired,
    /// Export is prohibited.
    Prohibited,
}

impl std::fmt::Display for ExportDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ExportDecision {
    /// The word used in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportDecision::NoLicenceRequired => "no_licence_required",
            ExportDecision::Undetermined => "undetermined",
            ExportDecision::LicenceRequired => "licence_required",
            ExportDecision::Prohibited => "prohibited",
        }
    }
}

/// One export regime as data.
#[derive(Clone, Debug, Deserialize)]
pub struct Regime {
    /// Identifier.
    pub id: String,
    /// `licence_required` or `prohibited`.
    pub decision: ExportDecision,
    /// Lists that bring the regime into play.
    pub lists: Vec<String>,
    /// Generic definitions that bring it into play.
    pub generic: Vec<String>,
    /// A generic match does not count for substances named on these lists (China: named
    /// fentanyls stay controlled under the narcotic catalogue).
    pub generic_unless_listed_on: Vec<String>,
    /// Whether it applies only to the lists' own destinations.
    pub destination_specific: bool,
    /// Whether the mixture thresholds decide if a mixture falls under it.
    pub mixture_thresholds_apply: bool,
    /// Issuing or enforcing authority.
    pub authority: String,
    /// Legal basis.
    pub basis: String,
    /// Documents the applicant provides.
    pub documents: Vec<String>,
    /// Statutory review time in days, if known.
    pub review_days: Option<u32>,
    /// International verification step.
    pub verification: Option<String>,
    /// One sentence for people.
    pub explanation: String,
    /// What in this regime is unconfirmed.
    pub unconfirmed: String,
    /// Source.
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Threshold {
    substances: Vec<String>,
    over_percent: f64,
}

#[derive(Clone, Debug, Deserialize)]
struct MixtureRules {
    thresholds: Vec<Threshold>,
    otherwise: String,
    source: String,
}

/// The export rules of one exporting jurisdiction.
#[derive(Clone, Debug, Deserialize)]
pub struct ExportRules {
    /// Exporting jurisdiction.
    pub exporter: String,
    /// Regimes, in order of precedence.
    pub regimes: Vec<Regime>,
    mixtures: MixtureRules,
}

/// The answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ExportAnswer {
    /// `licence_required`, `prohibited`, `undetermined` or `no_licence_required`.
    pub decision: ExportDecision,
    /// Substance as identified.
    pub substance: Option<String>,
    /// Catalogue ids of the substance (empty when not in the catalogue).
    pub substance_ids: Vec<String>,
    /// Canonical SMILES of its parent, when a structure is known.
    pub parent_smiles: Option<String>,
    /// Exporting jurisdiction.
    pub from: String,
    /// Destination.
    pub destination: String,
    /// Date of export the rules are taken from.
    pub date: NaiveDate,
    /// Regimes that apply.
    pub regimes: Vec<RegimeOut>,
    /// Quantity, converted to base (free-base) mass.
    pub quantity: Option<QuantityOut>,
    /// The mixture test, when a mixture was given.
    pub mixture: Option<MixtureOut>,
    /// Why, in sentences.
    pub reasons: Vec<String>,
    /// Caveats: incomplete lists, unconfirmed facts, unknown substances.
    pub warnings: Vec<String>,
}

/// A regime that applies.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RegimeOut {
    /// Identifier.
    pub id: String,
    /// What this regime alone decides.
    pub decision: ExportDecision,
    /// Authority.
    pub authority: String,
    /// Legal basis.
    pub basis: String,
    /// Documents to provide.
    pub documents: Vec<String>,
    /// Statutory review time in days (None: not on file).
    pub review_days: Option<u32>,
    /// International verification.
    pub verification: Option<String>,
    /// Which listing or definition brought it into play.
    pub because: String,
    /// The listing's category (e.g. `Class I`), when a listing brought it into play.
    pub category: Option<String>,
    /// Whether it applies only to certain destinations.
    pub destination_specific: bool,
}

/// Quantities.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QuantityOut {
    /// As declared.
    pub declared: String,
    /// Declared mass in kg.
    pub declared_kg: f64,
    /// Mass of the substance asked about as free base, in kg.
    pub base_equivalent_kg: f64,
    /// Factor applied (component fraction x base/salt mass ratio).
    pub factor: f64,
}

/// The mixture test.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MixtureOut {
    /// Percentage of the substance asked about.
    pub percent: f64,
    /// Threshold above which the mixture is controlled (0 = any amount).
    pub over_percent: f64,
    /// Whether the mixture is controlled as a precursor mixture.
    pub controlled: bool,
}

/// Parse a mass like `25kg`, `500 g`, `1.5 t`, `100mg` into kg.
pub fn parse_mass_kg(text: &str) -> Result<f64, ExportError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = |why: &str| ExportError::BadQuantity(text.to_string(), why.to_string());
    let value: f64 = num
        .replace(',', "")
        .parse()
        .map_err(|_| bad("expected a number followed by a mass unit (mg, g, kg, t)"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "mg" => 1e-6,
        "g" => 1e-3,
        "kg" => 1.0,
        "t" | "tonne" | "tonnes" => 1000.0,
        "" => return Err(bad("a unit is needed (mg, g, kg, t)")),
        "l" | "ml" => return Err(bad("volumes need a density; give the mass (mg, g, kg, t)")),
        other => return Err(bad(&format!("unknown unit '{other}' (use mg, g, kg or t)"))),
    };
    if !value.is_finite() || value <= 0.0 {
        return Err(bad("must be a positive amount"));
    }
    Ok(value * factor)
}

/// The export rules engine: rules of each exporting jurisdiction, countries, salts.
#[derive(Clone, Debug)]
pub struct ExportChecker {
    rules: HashMap<String, ExportRules>,
    countries: HashMap<String, String>,
}

/// A substance a text names, as [`ExportChecker::identify`] finds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Identified {
    /// Name (with the salt, if one was named).
    pub name: String,
    /// Catalogue ids.
    pub substance_ids: Vec<String>,
    /// kg of free base per kg of the form named.
    pub base_ratio: f64,
}

/// A substance resolved for an export question.
struct Resolved {
    name: Option<String>,
    /// Catalogue ids of the component that carries the verdict.
    substance_ids: Vec<String>,
    /// The classification on the date (None: no structure and no listing known).
    classification: Classification,
    /// Mass of the carrying component as free base per mass of the form declared.
    base_ratio: f64,
    /// Declared as a salt (a counter-ion or charge was removed, or a salt named).
    salt_form: bool,
    /// Identified (on file or a structure), as opposed to a CAS/InChIKey not on file.
    known: bool,
}

impl ExportChecker {
    /// The rules shipped in `data/export_rules/`.
    pub fn builtin() -> Result<ExportChecker, ExportError> {
        let cn: ExportRules = serde_json::from_str(CN_RULES)
            .map_err(|e| ExportError::Data(format!("CN.json: {e}")))?;
        let mut rules = HashMap::new();
        rules.insert(cn.exporter.clone(), cn);
        let mut countries = HashMap::new();
        let mut r = csv::Reader::from_reader(COUNTRIES_CSV.as_bytes());
        for rec in r.records() {
            let rec = rec.map_err(|e| ExportError::Data(format!("countries.csv: {e}")))?;
            countries.insert(rec[0].to_string(), rec[1].to_string());
        }
        Ok(ExportChecker { rules, countries })
    }

    /// A country's English short name (ISO 3166-1, `data/reference/countries.csv`) by its
    /// alpha-2 code.
    pub fn country_name(&self, code: &str) -> Option<&str> {
        self.countries
            .get(&code.trim().to_ascii_uppercase())
            .map(String::as_str)
    }

    fn country(&self, code: &str) -> Result<String, ExportError> {
        let c = code.trim().to_ascii_uppercase();
        if self.countries.contains_key(&c) {
            Ok(c)
        } else {
            Err(ExportError::UnknownCountry(code.to_string()))
        }
    }

    /// What a substance text names: catalogue ids, the name, and kg of free base per kg
    /// of the form named ("fentanyl citrate" -> fentanyl, 0.637). `None` when the
    /// catalogue does not know it; an error (with the closest names) when the text names
    /// nothing.
    pub fn identify(
        &self,
        classifier: &Classifier,
        text: &str,
        date: NaiveDate,
    ) -> Result<Option<Identified>, ExportError> {
        let r = self.resolve(classifier, text, date)?;
        Ok(
            (r.known && !r.substance_ids.is_empty()).then(|| Identified {
                name: r.name.unwrap_or_else(|| text.to_string()),
                substance_ids: r.substance_ids,
                base_ratio: r.base_ratio,
            }),
        )
    }

    /// Resolve a substance text through [`Classifier::resolve`] and classify it on the
    /// date. For a structure, the component that carries the verdict is the substance:
    /// its catalogue ids and its share of the declared mass (all its copies, as in a 2:1
    /// salt) are what the rules and the base-mass quantity use.
    fn resolve(
        &self,
        classifier: &Classifier,
        text: &str,
        date: NaiveDate,
    ) -> Result<Resolved, ExportError> {
        let cat = classifier.catalogue();
        let query = classifier.resolve(text)?;
        let classification = classifier.classify(&query, Jurisdictions::All, date);
        Ok(match query {
            Query::Structure { molecule, name, .. } => {
                let key = classification.parent_smiles.clone();
                let ids: Vec<String> = key
                    .as_deref()
                    .map(|k| {
                        cat.by_structure_key(k)
                            .iter()
                            .map(|x| x.id.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                let total = chem::formula::molecular_weight(&molecule).max(1e-9);
                let parts = chem::standardise::standardise_components(&molecule);
                let carried: f64 = parts
                    .iter()
                    .filter(|p| {
                        key.as_deref() == Some(chem::smiles::canonical_smiles(&p.parent).as_str())
                    })
                    .map(|p| chem::formula::molecular_weight(&p.parent))
                    .sum();
                let several = parts.len() > 1;
                // from the parts themselves, not from the wording of a note
                let neutralised = parts.iter().any(|p| !p.neutralised.is_empty());
                Resolved {
                    name: name.or_else(|| {
                        ids.first()
                            .and_then(|id| cat.substance(id))
                            .map(|s| s.name.clone())
                    }),
                    substance_ids: ids,
                    base_ratio: if carried > 0.0 {
                        (carried / total).min(1.0)
                    } else {
                        1.0
                    },
                    salt_form: several || neutralised,
                    known: true,
                    classification,
                }
            }
            Query::Substance { id, salt, .. } => Resolved {
                name: classification.name.clone(),
                substance_ids: vec![id],
                base_ratio: salt.as_ref().map_or(1.0, |s| s.base_ratio),
                salt_form: salt.is_some(),
                known: true,
                classification,
            },
            Query::NotOnFile { .. } => Resolved {
                name: None,
                substance_ids: Vec::new(),
                base_ratio: 1.0,
                salt_form: false,
                known: false,
                classification,
            },
        })
    }

    /// Answer an export question. `mixture` is "NAME_OR_CAS=PCT,..."; the substance
    /// asked about must be one of its components.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &self,
        classifier: &Classifier,
        substance: &str,
        destination: &str,
        quantity: Option<&str>,
        date: NaiveDate,
        mixture: Option<&str>,
        from: &str,
    ) -> Result<ExportAnswer, ExportError> {
        let from = self.country(from)?;
        let destination = self.country(destination)?;
        let rules = self.rules.get(&from).ok_or_else(|| {
            let mut on_file: Vec<&str> = self.rules.keys().map(String::as_str).collect();
            on_file.sort_unstable();
            ExportError::NoRules(from.clone(), on_file.join(", "))
        })?;
        let declared_kg = quantity.map(parse_mass_kg).transpose()?;
        let res = self.resolve(classifier, substance, date)?;
        let mut reasons = Vec::new();
        let mut warnings = Vec::new();
        if !res.known {
            warnings.push(format!(
                "'{substance}' is not in the catalogue: no list on file names it; give its structure (SMILES or molfile) so the generic definitions can be applied"
            ));
        }
        // Mixture test (precursor regimes only).
        let mut fraction = 1.0;
        let mut mixture_out = None;
        if let Some(mix) = mixture {
            let (pct, over) = self.mixture_share(classifier, rules, &res, substance, mix, date)?;
            fraction = pct / 100.0;
            let controlled = pct > over;
            let rule = if over > 0.0 {
                format!("over {over} %")
            } else {
                rules.mixtures.otherwise.clone()
            };
            reasons.push(format!(
                "the mixture contains {pct} % of the substance; mixtures are controlled {rule}: {} (source: {})",
                if controlled { "controlled" } else { "below the threshold, not controlled as a precursor mixture" },
                rules.mixtures.source
            ));
            mixture_out = Some(MixtureOut {
                percent: pct,
                over_percent: over,
                controlled,
            });
        }
        let mixture_controlled = mixture_out.as_ref().is_none_or(|m| m.controlled);
        // Generic verdicts on the date, of the component that carries the verdict.
        let classification = &res.classification;
        let generic_matches: Vec<String> = classification
            .verdicts
            .iter()
            .filter_map(|v| v.generic.as_ref())
            .filter(|g| g.in_force && g.result == crate::Outcome::Match)
            .map(|g| g.definition.clone())
            .collect();
        let cat = classifier.catalogue();
        let mut regimes = Vec::new();
        for regime in &rules.regimes {
            let mut because = None;
            let mut category = None;
            for id in &res.substance_ids {
                for (l, list, in_force) in cat.listings_on(id, date) {
                    if !regime.lists.contains(&l.list_id) {
                        continue;
                    }
                    if res.salt_form && !l.salts_covered {
                        warnings.push(format!("the entry on {} does not cover salts; the substance is declared as a salt", list.name));
                        continue;
                    }
                    if regime.destination_specific
                        && !list.destination_codes().contains(&destination.as_str())
                    {
                        continue;
                    }
                    let since = l
                        .effective_from
                        .map(|d| format!(" since {d}"))
                        .unwrap_or_else(|| " (start date unknown)".into());
                    category = Some(l.category.clone());
                    because = Some(format!(
                        "{} on {} ({}){since}",
                        cat.substance(id).map_or(id.as_str(), |s| s.name.as_str()),
                        list.name,
                        l.category
                    ));
                    if l.unconfirmed || in_force == InForce::DateUnknown {
                        warnings.push(format!(
                            "this fact is not confirmed by an official source: the listing on {} ({})",
                            list.name, l.note
                        ));
                    }
                }
            }
            let named_elsewhere = res.substance_ids.iter().any(|id| {
                cat.listings_on(id, date)
                    .iter()
                    .any(|(l, _, _)| regime.generic_unless_listed_on.contains(&l.list_id))
            });
            if because.is_none() && !named_elsewhere {
                if let Some(g) = generic_matches.iter().find(|g| regime.generic.contains(g)) {
                    because = Some(format!("matches the generic definition {g}"));
                }
            }
            // Incomplete destination-specific lists: say so whenever they could matter.
            for lid in &regime.lists {
                if let Some(list) = cat.list(lid) {
                    let relevant = !regime.destination_specific
                        || list.destination_codes().contains(&destination.as_str());
                    if list.is_incomplete() && relevant && regime.destination_specific {
                        warnings.push(format!(
                            "{} is incomplete: not all its members are known ({}); this answer relies on the members known",
                            list.name, list.note
                        ));
                    }
                }
            }
            let Some(because) = because else { continue };
            if regime.mixture_thresholds_apply && !mixture_controlled {
                continue;
            }
            if !regime.unconfirmed.is_empty() {
                warnings.push(format!("{}: {}", regime.id, regime.unconfirmed));
            }
            reasons.push(format!(
                "{}: {} ({})",
                regime.id, regime.explanation, because
            ));
            regimes.push(RegimeOut {
                id: regime.id.clone(),
                decision: regime.decision,
                authority: regime.authority.clone(),
                basis: regime.basis.clone(),
                documents: regime.documents.clone(),
                review_days: regime.review_days,
                verification: regime.verification.clone(),
                because,
                category,
                destination_specific: regime.destination_specific,
            });
        }
        // Fail safe: what could not be judged under the exporting jurisdiction's law is
        // undetermined, never "no licence required".
        let undetermined: Vec<String> = classification
            .verdict(&from)
            .filter(|v| v.status == Status::Undetermined)
            .map(|v| {
                let mut why = v.undetermined_because.clone();
                if let Some(g) = v
                    .generic
                    .as_ref()
                    .filter(|g| g.result == crate::Outcome::Ambiguous)
                {
                    why.extend(g.reasons.iter().map(|r| format!("{}: {r}", g.definition)));
                }
                why
            })
            .unwrap_or_default();
        let decision =
            regimes
                .iter()
                .map(|r| r.decision)
                .max()
                .unwrap_or(if undetermined.is_empty() {
                    ExportDecision::NoLicenceRequired
                } else {
                    ExportDecision::Undetermined
                });
        if decision == ExportDecision::Undetermined {
            reasons.push(format!(
                "undetermined: the substance could not be judged under the law of {from} on {date}, so no answer of 'no licence required' can be given; ask the licensing authority for a ruling"
            ));
            reasons.extend(undetermined);
        } else if regimes.is_empty() {
            reasons.push(format!("no export rule on file for exports from {from} applies to this substance on {date}"));
        }
        warnings.sort();
        warnings.dedup();
        let quantity = declared_kg.map(|kg| QuantityOut {
            declared: quantity.unwrap_or_default().to_string(),
            declared_kg: kg,
            base_equivalent_kg: kg * fraction * res.base_ratio,
            factor: fraction * res.base_ratio,
        });
        let parent_smiles = res.classification.parent_smiles.clone();
        Ok(ExportAnswer {
            decision,
            substance_ids: res.substance_ids.clone(),
            substance: res.name.or_else(|| {
                res.substance_ids
                    .first()
                    .and_then(|id| cat.substance(id))
                    .map(|s| s.name.clone())
            }),
            parent_smiles,
            from,
            destination,
            date,
            regimes,
            quantity,
            mixture: mixture_out,
            reasons,
            warnings,
        })
    }

    /// The percentage of the substance asked about in a mixture and its threshold (0 =
    /// any amount).
    fn mixture_share(
        &self,
        classifier: &Classifier,
        rules: &ExportRules,
        res: &Resolved,
        substance: &str,
        mix: &str,
        date: NaiveDate,
    ) -> Result<(f64, f64), ExportError> {
        let bad = |why: String| ExportError::BadMixture(mix.to_string(), why);
        let mut total = 0.0;
        let mut share = None;
        for part in mix.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, pct) = part
                .rsplit_once('=')
                .ok_or_else(|| bad(format!("'{part}' is not NAME_OR_CAS=PERCENT")))?;
            let pct: f64 = pct
                .trim()
                .trim_end_matches('%')
                .parse()
                .map_err(|_| bad(format!("'{pct}' is not a percentage")))?;
            if !(0.0..=100.0).contains(&pct) {
                return Err(bad(format!("{pct} % is outside 0-100")));
            }
            total += pct;
            let same_text = normalise(name) == normalise(substance);
            let same_substance = !res.substance_ids.is_empty()
                && self.resolve(classifier, name.trim(), date).is_ok_and(|r| {
                    r.substance_ids
                        .iter()
                        .any(|id| res.substance_ids.contains(id))
                });
            if same_text || same_substance {
                share = Some(pct);
            }
        }
        if total > 100.0 + 1e-6 {
            return Err(bad(format!(
                "percentages add up to {total} %, more than 100 %"
            )));
        }
        let pct = share.ok_or_else(|| {
            bad(format!(
                "the substance asked about ('{substance}') is not one of the components"
            ))
        })?;
        let over = rules
            .mixtures
            .thresholds
            .iter()
            .find(|t| t.substances.iter().any(|s| res.substance_ids.contains(s)))
            .map(|t| t.over_percent)
            .unwrap_or(0.0);
        Ok((pct, over))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masses() {
        assert_eq!(parse_mass_kg("25kg").unwrap(), 25.0);
        assert!((parse_mass_kg("500 g").unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(parse_mass_kg("1.5t").unwrap(), 1500.0);
        assert!(parse_mass_kg("10")
            .unwrap_err()
            .to_string()
            .contains("unit"));
        assert!(parse_mass_kg("-3kg").is_err());
        assert!(parse_mass_kg("0kg").is_err());
        assert!(parse_mass_kg("5 L")
            .unwrap_err()
            .to_string()
            .contains("density"));
        assert!(parse_mass_kg("five kg").is_err());
    }
}

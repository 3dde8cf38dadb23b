//! The screening's data: extra terms (misspellings, code words, trade names), sales
//! signals and the weights of the score, each with its source (`data/screening/`).

use serde::Deserialize;
use std::collections::BTreeMap;

/// Terms beyond the catalogue's names and synonyms.
pub const TERMS_CSV: &str = include_str!("../../../data/screening/terms.csv");
/// Sales signals and benign contexts.
pub const SIGNALS_CSV: &str = include_str!("../../../data/screening/signals.csv");
/// Weights and thresholds.
pub const SCORING_JSON: &str = include_str!("../../../data/screening/scoring.json");

/// A term that names a substance of the catalogue.
#[derive(Clone, Debug, Deserialize)]
pub struct TermRow {
    /// As written.
    pub term: String,
    /// Catalogue id.
    pub substance: String,
    /// `misspelling`, `code_word` or `trade_name`.
    pub kind: String,
    /// Where the term is from.
    pub source: String,
}

/// A sales signal or a benign context.
#[derive(Clone, Debug, Deserialize)]
pub struct SignalRow {
    /// Stable id.
    pub id: String,
    /// What it signals (`stock`, `price`, `contact`, ..., or `benign_context`).
    pub kind: String,
    /// Its weight (0 to 1).
    pub weight: f64,
    /// A phrase (case-insensitive), or empty when `regex` is given.
    #[serde(default)]
    pub pattern: String,
    /// A regular expression, or empty.
    #[serde(default)]
    pub regex: String,
    /// Where the indicator is from.
    pub source: String,
}

/// Which lists control drugs and which precursors.
#[derive(Clone, Debug, Deserialize)]
pub struct ListKinds {
    /// Lists of drugs (narcotic drugs, psychotropic substances, schedules).
    pub drugs: Vec<String>,
    /// Lists of precursors.
    pub precursors: Vec<String>,
}

/// How a text's findings are weighed.
#[derive(Clone, Debug, Deserialize)]
pub struct Scoring {
    /// At or above: `flag`.
    pub flag: f64,
    /// At or above: `review`.
    pub review: f64,
    /// A controlled drug named.
    pub drug: f64,
    /// A controlled precursor named (unless `substance_weights` says otherwise).
    pub precursor: f64,
    /// A watched substance.
    pub watched: f64,
    /// A code word (ordinary words among them: weak alone).
    pub code_word: f64,
    /// Weights of particular substances (catalogue id → weight).
    pub substance_weights: BTreeMap<String, serde_json::Value>,
    /// Which lists control drugs.
    pub drug_lists: ListKinds,
}

impl Scoring {
    /// The weight of a substance of the catalogue, if the data gives it one.
    pub fn substance_weight(&self, id: &str) -> Option<f64> {
        self.substance_weights.get(id).and_then(|v| v.as_f64())
    }
}

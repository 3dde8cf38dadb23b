//! "Is this controlled?" and "do I need a licence?": the same resolver and answers for
//! the API, the pages and the CLI. Asking reads no one's records, so anyone may ask
//! (`control::Operation::CheckSubstance`); the cost of an answer is bounded by
//! `chem::Limits` whoever asks.

use crate::{CaseError, Services};
use chrono::NaiveDate;

/// Classify a chemical (a name, name + salt, CAS number, InChIKey, SMILES or molfile)
/// for `which` jurisdictions as the law stood on `date` (default: today).
pub fn classify(
    s: &Services,
    input: &str,
    date: Option<NaiveDate>,
    which: law::Jurisdictions,
) -> Result<law::Classification, CaseError> {
    Ok(check(s, input, date, which)?.classification.clone())
}

/// The longest input whose answer is kept for the next asker (names, CAS numbers,
/// SMILES; a molfile is judged afresh).
const CACHED_INPUT: usize = 1024;

/// A classification and the structure its atom numbers refer to, for a reader who
/// sees the structure drawn.
pub struct Checked {
    /// The answer.
    pub classification: law::Classification,
    /// The structure its verdicts' atoms are numbered in; none for an identifier not on
    /// file or a substance without a structure on file.
    pub structure: Option<chem::Molecule>,
    /// The structure's 2D layout, made the first time someone draws it (an API caller
    /// never needs it; a page asked again reuses it).
    layout: std::sync::OnceLock<Result<chem::layout::Layout, chem::layout::LayoutError>>,
}

impl Checked {
    /// The structure and its 2D layout (or why it could not be laid out), when there is
    /// a structure.
    pub fn drawn(
        &self,
    ) -> Option<(
        &chem::Molecule,
        Result<&chem::layout::Layout, &chem::layout::LayoutError>,
    )> {
        let m = self.structure.as_ref()?;
        let layout = self.layout.get_or_init(|| chem::layout::layout(m));
        Some((m, layout.as_ref()))
    }
}

/// [`classify`], with the structure it judged. Answers to short inputs are kept for an
/// hour (the law does not change while the process runs), so a name asked again is
/// answered at once.
pub fn check(
    s: &Services,
    input: &str,
    date: Option<NaiveDate>,
    which: law::Jurisdictions,
) -> Result<std::sync::Arc<Checked>, CaseError> {
    let date = date.unwrap_or_else(|| s.clock.now().date_naive());
    let key = (input.len() <= CACHED_INPUT).then(|| (input.to_string(), date, which));
    if let Some(hit) = key.as_ref().and_then(|k| s.caches.checks.get(k)) {
        return Ok(hit);
    }
    let classifier = &s.rules.classifier;
    let query = classifier.resolve(input)?;
    let checked = std::sync::Arc::new(Checked {
        classification: classifier.classify(&query, which, date),
        structure: classifier.structure(&query),
        layout: std::sync::OnceLock::new(),
    });
    if let Some(k) = key {
        s.caches.checks.put(k, checked.clone());
    }
    Ok(checked)
}

/// An export question: substance, destination, quantity, date, mixture, and the
/// exporting jurisdiction (default: this authority's).
pub struct ExportQuestion<'a> {
    /// The substance, read as a classification's input is.
    pub substance: &'a str,
    /// Destination (ISO 3166-1 alpha-2).
    pub destination: &'a str,
    /// Quantity with a mass unit ("25 kg").
    pub quantity: Option<&'a str>,
    /// Date of export (default: today).
    pub date: Option<NaiveDate>,
    /// Mixture as "NAME_OR_CAS=PERCENT,...".
    pub mixture: Option<&'a str>,
    /// Exporting jurisdiction.
    pub from: Option<&'a str>,
}

/// Does this export need a licence?
pub fn export_check(s: &Services, q: &ExportQuestion<'_>) -> Result<law::ExportAnswer, CaseError> {
    let r = &s.rules;
    let date = q.date.unwrap_or_else(|| s.clock.now().date_naive());
    Ok(r.export.check(
        &r.classifier,
        q.substance,
        q.destination,
        q.quantity,
        date,
        q.mixture,
        q.from.unwrap_or(&r.workflow.jurisdiction),
    )?)
}

//! "Is this controlled?" and "Do I need a licence?" over HTTP: the same resolver and the
//! same answers as `fentguard classify` and `fentguard export-check` (names, name + salt,
//! CAS, InChIKey, SMILES, molfile). An unknown name is a 422 with the closest names on
//! file in `did_you_mean`; what cannot be judged is `undetermined`, never "not
//! controlled" or "no licence required".

use crate::auth::Caller;
use crate::{AppState, Problem};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use control::access::{may, Operation};
use serde::Deserialize;
use utoipa::ToSchema;

type Body<T> = Result<Json<T>, JsonRejection>;

/// Which jurisdictions to answer for.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JurisdictionIn {
    /// China and the United States.
    #[default]
    All,
    /// China.
    Cn,
    /// The United States.
    Us,
}

/// A chemical to classify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassificationIn {
    /// A name or synonym, a name with a salt ("fentanyl citrate"), a CAS number, a
    /// standard InChIKey, a SMILES (optionally followed by a name) or a molfile.
    pub input: String,
    /// The law as it stood on this date (default: today in UTC).
    pub date: Option<NaiveDate>,
    /// Which jurisdictions (default: all).
    #[serde(default)]
    pub jurisdiction: JurisdictionIn,
}

/// An export question.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportCheckIn {
    /// The substance, read as `input` of a classification is.
    pub substance: String,
    /// Destination (ISO 3166-1 alpha-2).
    pub destination: String,
    /// Quantity with a mass unit ("25 kg"), for the base-mass conversion.
    pub quantity: Option<String>,
    /// Date of export (default: today in UTC).
    pub date: Option<NaiveDate>,
    /// Mixture as "NAME_OR_CAS=PERCENT,...".
    pub mixture: Option<String>,
    /// Exporting jurisdiction (default: the server's).
    pub from: Option<String>,
}

/// Classify a chemical.
#[utoipa::path(post, path = "/api/v1/classifications", request_body = ClassificationIn,
    responses((status = 200, description = "the verdict per jurisdiction, with the component that carries it, reasons, atoms and listings", body = Object),
        (status = 422, description = "not recognised (with did_you_mean)", body = Problem),
        (status = 401, description = "not signed in", body = Problem)),
    security(("bearer" = [])), tag = "law")]
pub async fn classify(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Body<ClassificationIn>,
) -> Result<Json<law::Classification>, Problem> {
    may(&p, &Operation::CheckSubstance)?;
    let Json(input) = body?;
    let which = match input.jurisdiction {
        JurisdictionIn::All => law::Jurisdictions::All,
        JurisdictionIn::Cn => law::Jurisdictions::Cn,
        JurisdictionIn::Us => law::Jurisdictions::Us,
    };
    Ok(Json(cases::substances::classify(
        &s,
        &input.input,
        input.date,
        which,
    )?))
}

/// Do I need a licence to export this?
#[utoipa::path(post, path = "/api/v1/export-checks", request_body = ExportCheckIn,
    responses((status = 200, description = "decision (licence_required, prohibited, undetermined, no_licence_required), regimes, base-mass quantity, reasons, warnings", body = Object),
        (status = 422, description = "substance not recognised (with did_you_mean), or a bad country, quantity or mixture", body = Problem),
        (status = 401, description = "not signed in", body = Problem)),
    security(("bearer" = [])), tag = "law")]
pub async fn export_check(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Body<ExportCheckIn>,
) -> Result<Json<law::ExportAnswer>, Problem> {
    may(&p, &Operation::CheckSubstance)?;
    let Json(q) = body?;
    Ok(Json(cases::substances::export_check(
        &s,
        &cases::substances::ExportQuestion {
            substance: &q.substance,
            destination: &q.destination,
            quantity: q.quantity.as_deref(),
            date: q.date,
            mixture: q.mixture.as_deref(),
            from: q.from.as_deref(),
        },
    )?))
}

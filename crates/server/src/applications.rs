//! Export-licence applications over HTTP: submission (export rules, completeness,
//! documents, risk), review (request information, forward for verification, decide),
//! the applicant's answers and withdrawal; a permit is issued at approval.

use crate::auth::Caller;
use crate::paging::{Paged, Paging};
use crate::{api_name, AppState, Problem};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::Json;
use cases::applications::{Outcome, Step};
pub use cases::applications::{ReviewClock, Summary};
use chrono::{DateTime, Utc};
use control::{may, ApplicationForm, DocumentUpload, Dossier, Operation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type Body<T> = Result<Json<T>, JsonRejection>;

/// The answer to a submission.
#[derive(Serialize, ToSchema)]
pub struct SubmissionOut {
    /// Whether the export needs a licence. When false, nothing was filed.
    pub licence_required: bool,
    /// Application id (when filed).
    pub id: Option<String>,
    /// Workflow state (when filed).
    pub state: Option<String>,
    /// Risk assessment: score, level and reasons (when filed).
    pub risk: Option<control::RiskAssessment>,
    /// When the statutory review time runs out, pauses excluded so far.
    pub review_deadline: Option<DateTime<Utc>>,
    /// The export-rule answer: regimes, quantities, reasons, warnings.
    #[schema(value_type = Object)]
    pub export_check: law::ExportAnswer,
}

/// One application as its reader sees it.
#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    /// Id.
    pub id: String,
    /// Workflow state.
    pub state: String,
    /// Version (changes with every step).
    pub version: i64,
    /// The review clock.
    pub review: ReviewClock,
    /// The whole case: parties, substance, documents, risk, history, notification, permit.
    #[schema(value_type = Object)]
    pub dossier: Dossier,
}

/// The result of a step.
#[derive(Serialize, ToSchema)]
pub struct StepOut {
    /// Application id.
    pub id: String,
    /// New state.
    pub state: String,
    /// What else happened (notification created, permit issued, waiting for a second
    /// officer).
    pub note: String,
    /// Pre-export notification id, when one exists.
    pub notification: Option<String>,
    /// Permit number, when issued.
    pub permit: Option<String>,
    /// The signed permit, when issued by this step.
    pub signed_permit: Option<control::SignedPermit>,
}

/// A request for information.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// What is asked.
    pub question: String,
}

/// The applicant's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The answer.
    pub answer: String,
    /// Further documents.
    #[serde(default)]
    pub documents: Vec<DocumentUpload>,
}

/// An officer's decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// `approve` or `refuse`.
    pub decision: String,
    /// Written reasons (required to refuse; the applicant sees them).
    #[serde(default)]
    pub reasons: Option<String>,
}

fn location(id: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/export-applications/{id}")) {
        h.insert(header::LOCATION, v);
    }
    h
}

/// Submit an export-licence application for the caller's enterprise. If the export needs
/// no licence the answer says so at once and nothing is filed (200); otherwise the
/// application is checked for completeness, assessed for risk and filed (201).
#[utoipa::path(post, path = "/api/v1/export-applications",
    request_body = control::ApplicationForm,
    responses((status = 201, description = "created", body = SubmissionOut), (status = 200, body = SubmissionOut, description = "no licence needed"),
        (status = 422, description = "invalid or refused input", body = Problem), (status = 401, description = "no valid token", body = Problem), (status = 403, description = "the caller may not do this", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn submit(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Body<ApplicationForm>,
) -> Result<(StatusCode, HeaderMap, Json<SubmissionOut>), Problem> {
    may(&p, &Operation::SubmitApplication)?;
    let Json(form) = body?;
    let out = cases::applications::submit(&s, &p, form).await?;
    let Some(filed) = out.filed else {
        return Ok((
            StatusCode::OK,
            HeaderMap::new(),
            Json(SubmissionOut {
                licence_required: false,
                id: None,
                state: None,
                risk: None,
                review_deadline: None,
                export_check: out.answer,
            }),
        ));
    };
    let d = filed.dossier;
    Ok((
        StatusCode::CREATED,
        location(&d.id),
        Json(SubmissionOut {
            licence_required: true,
            state: Some(api_name(d.workflow.state)),
            id: Some(d.id),
            review_deadline: filed.review_deadline,
            risk: Some(d.risk),
            export_check: out.answer,
        }),
    ))
}

fn step(st: Step) -> Json<StepOut> {
    let d = st.dossier;
    Json(StepOut {
        state: api_name(d.workflow.state),
        id: d.id,
        note: st.outcome.to_string(),
        notification: d.notification,
        permit: d.permit,
        signed_permit: st.signed_permit,
    })
}

/// One application (its exporter, or a licensing or public-security officer).
#[utoipa::path(get, path = "/api/v1/export-applications/{id}", operation_id = "get_export_application", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = ApplicationView), (status = 403, description = "the caller may not do this", body = Problem), (status = 404, description = "not found", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn get_one(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, Problem> {
    let case = cases::applications::open(&s, &p, &id).await?;
    Ok(Json(ApplicationView {
        review: ReviewClock::of(&case.dossier, s.clock.now()),
        id: case.row.id,
        state: case.row.state,
        version: case.row.version,
        dossier: case.dossier,
    }))
}

/// A document of an application, as filed: for whoever may read the application, the
/// bytes whose SHA-256 the application lists (checked again as they are read).
#[utoipa::path(get, path = "/api/v1/export-applications/{id}/documents/{sha256}", operation_id = "get_application_document",
    params(("id" = String, Path), ("sha256" = String, Path, description = "the document's SHA-256 (hex), as the application lists it")),
    responses((status = 200, description = "the document as filed: PDF, PNG, JPEG and plain text with their types, anything else as application/octet-stream", content_type = "application/octet-stream"),
        (status = 403, description = "the caller may not do this", body = Problem), (status = 404, description = "no such application, or no such document in it", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn document(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let d = cases::applications::document(&s, &p, &id, &sha256).await?;
    let (kind, _) = cases::applications::document_type(&d.document.filename);
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                cases::applications::document_disposition(&d.document.filename, false),
            ),
        ],
        d.bytes,
    )
        .into_response())
}

/// How the list of applications is ordered.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    /// Newest first.
    #[default]
    Newest,
    /// The statutory review clock: cases with the authority by their deadline (overdue
    /// first), then those waiting on others by the time left, then decided ones.
    Clock,
}

/// Which applications to list, and in which order; each given filter narrows the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// A state (`under_review`, `awaiting_applicant`, …), or `open` for every state that
    /// is not final.
    #[param(max_length = 40)]
    pub state: Option<String>,
    /// Filed on or after this day (`YYYY-MM-DD`, in the authority's time zone).
    pub filed_from: Option<chrono::NaiveDate>,
    /// Filed on or before this day (`YYYY-MM-DD`, in the authority's time zone).
    pub filed_to: Option<chrono::NaiveDate>,
    /// Country of destination (ISO 3166-1 alpha-2).
    #[param(max_length = 2)]
    pub destination: Option<String>,
    /// Part of the substance's name (case-insensitive).
    #[param(max_length = 200)]
    pub substance: Option<String>,
    /// Only this enterprise's (its organisation id; an exporter always sees only its own).
    #[param(max_length = 200)]
    pub enterprise: Option<String>,
    /// Words in the id, the parties, the substance, the destination or the contract
    /// reference (case-insensitive).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// `newest` (default) or `clock`.
    #[param(inline)]
    pub order: Option<ListOrder>,
}

impl ListFilter {
    /// Refuses a filter longer than the OpenAPI description allows (its `max_length`s).
    pub fn check_lengths(&self) -> Result<(), Problem> {
        let limits = [
            ("state", &self.state, 40),
            ("destination", &self.destination, 2),
            ("substance", &self.substance, 200),
            ("enterprise", &self.enterprise, 200),
            ("q", &self.q, 200),
        ];
        for (name, value, max) in limits {
            if value.as_deref().is_some_and(|v| v.chars().count() > max) {
                return Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "query",
                    format!("query parameter {name}: at most {max} characters"),
                ));
            }
        }
        Ok(())
    }

    /// The use case's query.
    pub fn query(self) -> cases::applications::ListQuery {
        cases::applications::ListQuery {
            state: self.state.unwrap_or_default(),
            filed_from: self.filed_from,
            filed_to: self.filed_to,
            destination: self.destination.unwrap_or_default(),
            substance: self.substance.unwrap_or_default(),
            enterprise: self.enterprise.unwrap_or_default(),
            search: self.q.unwrap_or_default(),
            order: match self.order.unwrap_or_default() {
                ListOrder::Newest => store::ApplicationOrder::Newest,
                ListOrder::Clock => store::ApplicationOrder::Worklist,
            },
        }
    }
}

/// Applications, newest first or by the statutory clock, filtered by state, filing
/// dates, destination, substance, enterprise and words (an exporter sees only its own).
#[utoipa::path(get, path = "/api/v1/export-applications", operation_id = "list_export_applications", params(Paging, ListFilter),
    responses((status = 200, description = "OK", body = Vec<Summary>, headers(("Link" = String, description = "the next page, when there is more"))),
        (status = 400, description = "a query parameter does not read", body = Problem),
        (status = 422, description = "a filter's value is not one of its choices", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn list(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    page: Result<Query<Paging>, QueryRejection>,
    filter: Result<Query<ListFilter>, QueryRejection>,
) -> Result<Paged<Summary>, Problem> {
    may(&p, &Operation::ListApplications)?;
    let page = Paging::read(page)?;
    let Query(filter) =
        filter.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "query", e.body_text()))?;
    filter.check_lengths()?;
    Ok(Paged(
        cases::applications::list(&s, &p, &filter.query(), &page).await?,
        uri,
    ))
}

/// The licensing officer asks the applicant for more information (the clock pauses).
#[utoipa::path(post, path = "/api/v1/export-applications/{id}/request-information", params(("id" = String, Path)),
    request_body = Question, responses((status = 200, description = "OK", body = StepOut), (status = 409, description = "not possible in the current state", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn request_information(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
    body: Body<Question>,
) -> Result<Json<StepOut>, Problem> {
    may(&p, &Operation::Review)?;
    let Json(q) = body?;
    Ok(step(
        cases::applications::request_information(&s, &p, &id, q.question).await?,
    ))
}

/// The applicant answers a request for information (with further documents).
#[utoipa::path(post, path = "/api/v1/export-applications/{id}/information", params(("id" = String, Path)),
    request_body = Answer, responses((status = 200, description = "OK", body = StepOut), (status = 409, description = "not possible in the current state", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn provide_information(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
    body: Body<Answer>,
) -> Result<Json<StepOut>, Problem> {
    let case = cases::applications::open_as_applicant(&s, &p, &id).await?;
    let Json(a) = body?;
    Ok(step(
        cases::applications::provide_information(&s, &p, case, a.answer, &a.documents).await?,
    ))
}

/// Forward for international verification: a pre-export notification is prepared for
/// public security to send to the importing country's authority (the clock pauses).
#[utoipa::path(post, path = "/api/v1/export-applications/{id}/forward", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = StepOut), (status = 409, description = "not possible in the current state", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn forward(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<StepOut>, Problem> {
    Ok(step(cases::applications::forward(&s, &p, &id).await?))
}

/// Approve or refuse. A high-risk approval needs two different licensing officers: the
/// first proposes, the second confirms. Approval issues the signed permit.
#[utoipa::path(post, path = "/api/v1/export-applications/{id}/decision", params(("id" = String, Path)),
    request_body = DecisionIn, responses((status = 200, description = "OK", body = StepOut), (status = 202, body = StepOut, description = "approval proposed; a second officer must confirm"),
        (status = 409, description = "not possible in the current state", body = Problem), (status = 422, description = "invalid or refused input", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn decide(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
    body: Body<DecisionIn>,
) -> Result<(StatusCode, Json<StepOut>), Problem> {
    may(&p, &Operation::Review)?;
    let Json(input) = body?;
    let decision = match input.decision.as_str() {
        "approve" => cases::applications::DecisionIn::Approve,
        "refuse" => cases::applications::DecisionIn::Refuse {
            reasons: input.reasons.unwrap_or_default(),
        },
        other => {
            return Err(Problem::unprocessable(
                "invalid-body",
                format!("decision: '{other}' is neither 'approve' nor 'refuse'"),
            ))
        }
    };
    let st = cases::applications::decide(&s, &p, &id, decision).await?;
    let status = if st.outcome == Outcome::ApprovalProposed {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, step(st)))
}

/// The applicant withdraws the application.
#[utoipa::path(post, path = "/api/v1/export-applications/{id}/withdraw", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = StepOut), (status = 409, description = "not possible in the current state", body = Problem)),
    security(("bearer" = [])), tag = "export applications")]
pub async fn withdraw(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<StepOut>, Problem> {
    Ok(step(cases::applications::withdraw(&s, &p, &id).await?))
}

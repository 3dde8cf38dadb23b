//! Export-licence applications over HTTP: submission (export rules, completeness,
//! documents, risk), review (request information, forward for verification, decide),
//! the applicant's answers and withdrawal; a permit is issued at approval.

use crate::auth::{new_id, Caller};
use crate::paging::{Paged, Paging};
use crate::{api_name, AppState, Problem};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Datelike, Utc};
use control::{
    may, Action, Application, ApplicationForm, Decision, Document, DocumentUpload, Dossier,
    NotificationState, Operation, PreExportNotification, ResolvedSubstance, RiskFactors,
};
use law::ExportDecision;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{ApplicationKeys, ApplicationRow, NewApplication, WriteTx};
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

/// The review clock.
#[derive(Serialize, ToSchema)]
pub struct ReviewClock {
    /// Statutory review days.
    pub review_days: u32,
    /// Days used so far (paused time excluded).
    pub used_days: f64,
    /// Deadline given pauses so far.
    pub deadline: Option<DateTime<Utc>>,
    /// Over the statutory time while with the authority.
    pub overdue: bool,
    /// Paused now (waiting on the applicant or the importing authority).
    pub paused: bool,
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

/// A line in a list of applications.
#[derive(Serialize, ToSchema)]
pub struct ApplicationSummary {
    /// Id.
    pub id: String,
    /// State.
    pub state: String,
    /// Exporter.
    pub exporter: String,
    /// Substance.
    pub substance: String,
    /// Destination.
    pub destination: String,
    /// Risk level.
    pub risk_level: String,
    /// Submitted.
    pub submitted_at: Option<DateTime<Utc>>,
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

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// Decode uploaded documents: their records and (sha256, size, base64) to store.
type Stored = (String, u64, String);
fn decode_documents(
    uploads: &[DocumentUpload],
    field: &str,
) -> Result<(Vec<Document>, Vec<Stored>), Problem> {
    let mut docs = Vec::new();
    let mut contents = Vec::new();
    for (i, d) in uploads.iter().enumerate() {
        let b64 = d.content_base64.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| {
                Problem::unprocessable(
                    "invalid-document",
                    format!("{field}[{i}].content_base64: not base64 ({e})"),
                )
            })?;
        let sha = hex::encode(Sha256::digest(&bytes));
        docs.push(Document {
            kind: d.kind.clone(),
            filename: d.filename.clone(),
            sha256: sha.clone(),
            size: bytes.len() as u64,
        });
        contents.push((sha, bytes.len() as u64, b64.to_string()));
    }
    Ok((docs, contents))
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
    let Json(mut form) = body?;
    let r = &s.rules;
    let now = s.clock.now();
    let gaps = form.completeness(&r.workflow);
    if !gaps.is_empty() {
        return Err(Problem::unprocessable(
            "incomplete-application",
            format!("the application is incomplete ({} problems)", gaps.len()),
        )
        .with_errors(gaps));
    }
    let dispatch = form.planned_dispatch.unwrap_or_else(|| now.date_naive());
    let answer = r
        .export
        .check(
            &r.classifier,
            &form.substance,
            &form.destination,
            Some(&form.quantity),
            dispatch,
            form.mixture.as_deref(),
            &r.workflow.jurisdiction,
        )
        .map_err(Problem::from)?;
    match answer.decision {
        ExportDecision::Prohibited => {
            return Err(Problem::unprocessable(
                "export-prohibited",
                "this export is prohibited: no licence can be granted",
            )
            .with_errors(answer.reasons.clone())
            .with_context(&answer))
        }
        // Fail safe: what cannot be judged is neither waved through nor filed as an
        // application for an unknown regime; the exporter gives the structure or asks
        // the authority for a ruling.
        ExportDecision::Undetermined => {
            return Err(Problem::unprocessable(
                "undetermined-substance",
                format!(
                    "substance: '{}' could not be judged (undetermined); give its structure (SMILES or molfile) or ask the licensing authority for a ruling",
                    form.substance
                ),
            )
            .with_errors(answer.reasons.clone())
            .with_context(&answer))
        }
        ExportDecision::NoLicenceRequired => {
            return Ok((
                StatusCode::OK,
                HeaderMap::new(),
                Json(SubmissionOut {
                    licence_required: false,
                    id: None,
                    state: None,
                    risk: None,
                    review_deadline: None,
                    export_check: answer,
                }),
            ))
        }
        ExportDecision::LicenceRequired => {}
    }
    let (org, licences) = s
        .organisation_with_licences(&p.org)
        .await?
        .ok_or_else(|| Problem::not_found(format!("organisation {}", p.org)))?;
    let kind = &r.workflow.exporter_licence_kind;
    if !licences
        .iter()
        .any(|l| l.covers(kind, &answer.substance_ids, dispatch))
    {
        return Err(Problem::unprocessable(
            "no-exporter-licence",
            format!(
                "{} holds no active '{kind}' covering {} on {dispatch}",
                org.name,
                answer.substance.as_deref().unwrap_or(&form.substance)
            ),
        ));
    }
    // The contents go to the documents table; the case keeps their hashes.
    let uploads = std::mem::take(&mut form.documents);
    let (documents, contents) = decode_documents(&uploads, "documents")?;
    let quantity = answer.quantity.clone();
    let keys = ApplicationKeys {
        substance_key: answer
            .substance_ids
            .first()
            .cloned()
            .or_else(|| answer.parent_smiles.clone())
            .unwrap_or_else(|| form.substance.clone()),
        base_kg: quantity.as_ref().map_or(0.0, |q| q.base_equivalent_kg),
        importer_name: form
            .importer
            .as_ref()
            .map(|i| control::customs::normalise_name(&i.name))
            .unwrap_or_default(),
    };
    let history = s.store.exporter_history(&p.org, &keys).await?;
    let factors = RiskFactors {
        destination_on_specific_list: answer.regimes.iter().any(|g| g.destination_specific),
        substance_class: answer.regimes.iter().find_map(|g| g.category.clone()),
        quantity_kg: keys.base_kg,
        usual_quantity_kg: median(&history.approved_kg),
        importer_new: !history.importer_known,
        importer_verified: history.importer_verified,
        broker: form.broker.is_some(),
        transit_countries: form.itinerary.len() as u32,
        end_use_consistent: None,
        earlier_refusals: history.refusals,
        credit_rating: Some(
            crate::oversight::rating_of(&s, &p.org)
                .await?
                .score
                .clamp(0, 100) as u8,
        ),
    };
    let risk = r.risk.assess(&factors);
    let needs_verification = answer
        .regimes
        .iter()
        .any(|g| g.decision == ExportDecision::LicenceRequired && g.verification.is_some());
    let review_days = answer
        .regimes
        .iter()
        .filter_map(|g| g.review_days)
        .max()
        .unwrap_or(r.workflow.review_days);
    let mut workflow = Application::new(needs_verification, review_days);
    workflow.apply(Action::Submit { risk: risk.level }, now)?;
    let id = new_id("app")?;
    let name = answer
        .substance
        .clone()
        .unwrap_or_else(|| form.substance.clone());
    let dossier = Dossier {
        id: id.clone(),
        owner_org: p.org.clone(),
        exporter: control::Party {
            name: org.name.clone(),
            address: org.address.clone(),
            country: org.country.clone(),
        },
        details: form,
        documents,
        substance: ResolvedSubstance {
            name,
            substance_ids: answer.substance_ids.clone(),
            parent_smiles: answer.parent_smiles.clone(),
            declared_kg: quantity.as_ref().map_or(0.0, |q| q.declared_kg),
            base_kg: keys.base_kg,
            regimes: answer.regimes.iter().map(|g| g.id.clone()).collect(),
            destination_specific: factors.destination_on_specific_list,
            class: factors.substance_class.clone(),
            warnings: answer.warnings.clone(),
        },
        risk: risk.clone(),
        workflow,
        notification: None,
        permit: None,
        pending_approval: None,
        refusal_reasons: None,
        open_question: None,
    };
    let body = serde_json::to_value(&dossier)
        .map_err(|e| Problem::unprocessable("encoding", e.to_string()))?;
    let state = api_name(dossier.workflow.state);
    let row = ApplicationRow {
        id: id.clone(),
        owner_org: p.org.clone(),
        state: state.clone(),
        version: 1,
        body,
    };
    // Group commit: filed with whatever else is being submitted now, acknowledged
    // after the commit.
    s.store
        .file_application(NewApplication {
            row: row.clone(),
            keys,
            documents: contents,
            at: now,
            actor: p.user.clone(),
            action: "application.submit".into(),
        })
        .await?;
    // Proportionate review: low risk goes straight to international verification.
    let mut state = state;
    if risk.level == control::RiskLevel::Low && needs_verification && r.workflow.low_risk_fast_track
    {
        let d = forward_case(&s, &row, dossier.clone(), "fentguard:low-risk-fast-track").await?;
        state = api_name(d.workflow.state);
    }
    Ok((
        StatusCode::CREATED,
        location(&id),
        Json(SubmissionOut {
            licence_required: true,
            id: Some(id),
            state: Some(state),
            review_deadline: dossier.workflow.review_deadline(now),
            risk: Some(risk),
            export_check: answer,
        }),
    ))
}

/// Load an application and check the caller may see it.
async fn load(
    s: &AppState,
    p: &control::Principal,
    id: &str,
) -> Result<(ApplicationRow, Dossier), Problem> {
    let (row, d) = fetch(s, id).await?;
    may(
        p,
        &Operation::ReadApplication {
            owner: &row.owner_org,
        },
    )?;
    Ok((row, d))
}

/// Load an application without an access check (for steps driven by a notification).
pub(crate) async fn fetch(s: &AppState, id: &str) -> Result<(ApplicationRow, Dossier), Problem> {
    let row = s
        .store
        .get_application(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no export application {id}")))?;
    let d: Dossier = serde_json::from_value(row.body.clone()).map_err(|e| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            format!("stored application {id} does not read back: {e}"),
        )
    })?;
    Ok((row, d))
}

/// Store the changed case with its audit entry in `tx`.
pub(crate) async fn record(
    tx: &mut WriteTx,
    row: &ApplicationRow,
    d: &Dossier,
    actor: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let body =
        serde_json::to_value(d).map_err(|e| Problem::unprocessable("encoding", e.to_string()))?;
    tx.update_application(
        &row.id,
        row.version,
        &api_name(d.workflow.state),
        &body,
        now,
    )
    .await?;
    tx.audit(
        now,
        actor,
        action,
        &format!("application/{}", row.id),
        row.body.clone(),
        body,
    )
    .await?;
    Ok(())
}

/// Store a case change that needs nothing else in its transaction.
async fn save(
    s: &AppState,
    row: &ApplicationRow,
    d: &Dossier,
    actor: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let mut tx = s.store.write().await?;
    record(&mut tx, row, d, actor, action, now).await?;
    tx.commit().await?;
    Ok(())
}

fn step(d: &Dossier, note: impl Into<String>) -> Json<StepOut> {
    Json(StepOut {
        id: d.id.clone(),
        state: api_name(d.workflow.state),
        note: note.into(),
        notification: d.notification.clone(),
        permit: d.permit.clone(),
        signed_permit: None,
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
    let (row, d) = load(&s, &p, &id).await?;
    let now = s.clock.now();
    let w = &d.workflow;
    Ok(Json(ApplicationView {
        id: row.id,
        state: row.state,
        version: row.version,
        review: ReviewClock {
            review_days: w.review_days,
            used_days: w.review_time_used(now).num_seconds() as f64 / 86_400.0,
            deadline: w.review_deadline(now),
            overdue: w.review_overdue(now),
            paused: w.state.clock_paused(),
        },
        dossier: d,
    }))
}

/// Applications, newest first (an exporter sees only its own).
#[utoipa::path(get, path = "/api/v1/export-applications", operation_id = "list_export_applications", params(Paging),
    responses((status = 200, description = "OK", body = Vec<ApplicationSummary>, headers(("Link" = String, description = "the next page, when there is more")))), security(("bearer" = [])), tag = "export applications")]
pub async fn list(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Paged<ApplicationSummary>, Problem> {
    may(&p, &Operation::ListApplications)?;
    let page = Paging::read(page)?;
    let owner = (p.role == control::Role::ComplianceOfficer).then_some(p.org.as_str());
    let rows = s.store.applications_page(owner, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for r in rows.items {
        // A stored dossier that no longer reads is damage to report, not a row to hide.
        let d: Dossier = serde_json::from_value(r.body).map_err(|e| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage",
                format!("stored application {} does not read: {e}", r.id),
            )
        })?;
        items.push(ApplicationSummary {
            id: r.id,
            state: r.state,
            exporter: d.exporter.name,
            substance: d.substance.name,
            destination: d.details.destination,
            risk_level: format!("{:?}", d.risk.level).to_lowercase(),
            submitted_at: d.workflow.submitted_at,
        });
    }
    Ok(Paged(
        store::Page {
            items,
            next: rows.next,
        },
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
    if q.question.trim().is_empty() {
        return Err(Problem::unprocessable("invalid-body", "question: missing"));
    }
    let (row, mut d) = load(&s, &p, &id).await?;
    let now = s.clock.now();
    d.workflow.apply(
        Action::RequestInformation {
            question: q.question.clone(),
        },
        now,
    )?;
    d.open_question = Some(q.question);
    save(
        &s,
        &row,
        &d,
        &p.user,
        "application.request_information",
        now,
    )
    .await?;
    Ok(step(
        &d,
        "waiting for the applicant; the review clock is paused",
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
    let (row, mut d) = load(&s, &p, &id).await?;
    may(
        &p,
        &Operation::ActAsApplicant {
            owner: &row.owner_org,
        },
    )?;
    let Json(a) = body?;
    if a.answer.trim().is_empty() {
        return Err(Problem::unprocessable("invalid-body", "answer: missing"));
    }
    let now = s.clock.now();
    let (docs, contents) = decode_documents(&a.documents, "documents")?;
    let to = d.workflow.apply(Action::ProvideInformation, now)?;
    d.documents.extend(docs);
    d.open_question = None;
    let mut tx = s.store.write().await?;
    for (sha, size, b64) in &contents {
        tx.put_document(sha, *size, b64).await?;
    }
    // Back to the importing authority: it gets a fresh reply period.
    if to == control::State::AwaitingImportingAuthority {
        if let Some(nid) = &d.notification {
            if let Some((v, mut n)) = s.store.notification(nid).await? {
                n.state = NotificationState::Sent;
                n.reply_deadline = Some(
                    now + chrono::Duration::days(s.rules.workflow.notification_reply_days as i64),
                );
                let before = serde_json::to_value(&n).unwrap_or_default();
                tx.put_notification(&n, v).await?;
                tx.audit(
                    now,
                    &p.user,
                    "notification.reopen",
                    &format!("notification/{nid}"),
                    before,
                    serde_json::json!({"answer": a.answer, "reply_deadline": n.reply_deadline}),
                )
                .await?;
            }
        }
    }
    record(
        &mut tx,
        &row,
        &d,
        &p.user,
        "application.provide_information",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(step(&d, "answer recorded"))
}

/// Forward a case for international verification: the workflow step, the prepared
/// pre-export notification and both audit entries, in one transaction.
async fn forward_case(
    s: &AppState,
    row: &ApplicationRow,
    mut d: Dossier,
    actor: &str,
) -> Result<Dossier, Problem> {
    let now = s.clock.now();
    d.workflow.apply(Action::ForwardForVerification, now)?;
    let det = &d.details;
    let (Some(importer), Some(consignee), Some(dispatch)) = (
        det.importer.clone(),
        det.consignee.clone(),
        det.planned_dispatch,
    ) else {
        return Err(Problem::conflict(
            "incomplete-application",
            "the application lacks importer, consignee or dispatch date",
        ));
    };
    let n = PreExportNotification {
        id: new_id("pen")?,
        application_id: d.id.clone(),
        exporting_country: s.rules.workflow.jurisdiction.clone(),
        importing_country: det.destination.to_ascii_uppercase(),
        notifying_authority: s.rules.workflow.notifying_authority.clone(),
        exporter: d.exporter.clone(),
        importer,
        consignee,
        broker: det.broker.clone(),
        substance: d.substance.name.clone(),
        quantity_kg: d.substance.base_kg,
        quantity_declared: det.quantity.clone(),
        point_of_exit: det.point_of_exit.clone(),
        point_of_entry: det.point_of_entry.clone(),
        transport_mode: det.transport_mode.clone(),
        itinerary: det.itinerary.clone(),
        expected_dispatch: dispatch,
        state: NotificationState::PendingDispatch,
        sent_at: None,
        reply_deadline: None,
        reply: None,
        replied_at: None,
        replied_by: None,
    };
    d.notification = Some(n.id.clone());
    let mut tx = s.store.write().await?;
    tx.put_notification(&n, 0).await?;
    tx.audit(
        now,
        actor,
        "notification.create",
        &format!("notification/{}", n.id),
        serde_json::Value::Null,
        serde_json::to_value(&n).unwrap_or_default(),
    )
    .await?;
    record(&mut tx, row, &d, actor, "application.forward", now).await?;
    tx.commit().await?;
    Ok(d)
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
    may(&p, &Operation::Review)?;
    let (row, d) = load(&s, &p, &id).await?;
    let d = forward_case(&s, &row, d, &p.user).await?;
    Ok(step(
        &d,
        "pre-export notification prepared; public security sends it to the importing authority",
    ))
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
    let (row, mut d) = load(&s, &p, &id).await?;
    let now = s.clock.now();
    let decision = match input.decision.as_str() {
        "approve" => Decision::Approve,
        "refuse" => Decision::Refuse {
            reasons: input.reasons.clone().unwrap_or_default(),
        },
        other => {
            return Err(Problem::unprocessable(
                "invalid-body",
                format!("decision: '{other}' is neither 'approve' nor 'refuse'"),
            ))
        }
    };
    let high = d.workflow.risk == Some(control::RiskLevel::High);
    if matches!(decision, Decision::Approve) && high {
        match d.pending_approval.clone() {
            None => {
                // Check everything but the second officer, then record the proposal.
                let mut trial = d.workflow.clone();
                trial.apply(
                    Action::Decide {
                        decision: Decision::Approve,
                        officer: p.user.clone(),
                        second_officer: Some(format!("{}+second", p.user)),
                    },
                    now,
                )?;
                d.pending_approval = Some(p.user.clone());
                save(&s, &row, &d, &p.user, "application.propose_approval", now).await?;
                return Ok((
                    StatusCode::ACCEPTED,
                    step(
                        &d,
                        "high risk: approval proposed; a second licensing officer must confirm",
                    ),
                ));
            }
            Some(first) => {
                d.workflow.apply(
                    Action::Decide {
                        decision: Decision::Approve,
                        officer: first,
                        second_officer: Some(p.user.clone()),
                    },
                    now,
                )?;
            }
        }
    } else {
        d.workflow.apply(
            Action::Decide {
                decision: decision.clone(),
                officer: p.user.clone(),
                second_officer: None,
            },
            now,
        )?;
    }
    let mut tx = s.store.write().await?;
    let mut signed_out = None;
    let note = match decision {
        Decision::Refuse { reasons } => {
            d.refusal_reasons = Some(reasons);
            d.pending_approval = None;
            "refused; the applicant sees the reasons".to_string()
        }
        Decision::Approve => {
            let rules = &s.rules.workflow;
            let year = now.year();
            let prefix = format!("{}-{year}", rules.permit_number_prefix);
            let serial = tx.next_permit_serial(&prefix).await?;
            let number = format!("{prefix}-{serial:06}");
            let permit = d
                .permit(number.clone(), now.date_naive(), rules)
                .ok_or_else(|| {
                    Problem::conflict(
                        "incomplete-application",
                        "the application lacks importer or consignee",
                    )
                })?;
            let signed = permit.sign(&s.signing_key);
            tx.insert_permit(&signed, &d.id, &d.owner_org, now).await?;
            tx.audit(
                now,
                &p.user,
                "permit.issue",
                &format!("permit/{number}"),
                serde_json::Value::Null,
                serde_json::to_value(&signed).unwrap_or_default(),
            )
            .await?;
            d.permit = Some(number.clone());
            signed_out = Some(signed);
            format!("approved; permit {number} issued")
        }
    };
    record(&mut tx, &row, &d, &p.user, "application.decide", now).await?;
    tx.commit().await?;
    let mut out = step(&d, note);
    out.signed_permit = signed_out;
    Ok((StatusCode::OK, out))
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
    let (row, mut d) = load(&s, &p, &id).await?;
    may(
        &p,
        &Operation::ActAsApplicant {
            owner: &row.owner_org,
        },
    )?;
    let now = s.clock.now();
    d.workflow.apply(Action::Withdraw, now)?;
    save(&s, &row, &d, &p.user, "application.withdraw", now).await?;
    Ok(step(&d, "withdrawn"))
}

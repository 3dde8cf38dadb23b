//! Export-licence applications: submission (export rules, completeness, documents,
//! risk), review (request information, forward for verification, decide), the
//! applicant's answers and withdrawal; a permit is issued at approval.

use crate::{api_name, credit, new_id, CaseError, Code, Services};
use base64::Engine;
use chrono::{DateTime, Datelike, Utc};
use control::{
    may, Action, Application, ApplicationForm, Decision, Document, DocumentUpload, Dossier,
    NotificationState, Operation, PreExportNotification, Principal, ResolvedSubstance, RiskFactors,
    SignedPermit,
};
use law::ExportDecision;
use sha2::{Digest, Sha256};
use store::{
    ApplicationFilter, ApplicationKeys, ApplicationListing, ApplicationOrder, ApplicationRow,
    NewApplication, Page, PageRequest, WriteTx,
};

/// An application as stored: its row (version, state) and its case file.
pub struct Case {
    /// The stored row.
    pub row: ApplicationRow,
    /// The case file.
    pub dossier: Dossier,
}

/// What a submission gave.
pub struct Submission {
    /// The export-rule answer: regimes, quantities, reasons, warnings.
    pub answer: law::ExportAnswer,
    /// The filed application; `None` when the export needs no licence (nothing filed).
    pub filed: Option<Filed>,
}

/// A filed application.
pub struct Filed {
    /// The case as filed (after a low-risk fast track, as forwarded).
    pub dossier: Dossier,
    /// When the statutory review time runs out, pauses excluded so far.
    pub review_deadline: Option<DateTime<Utc>>,
}

/// The review clock of a case at a moment.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl ReviewClock {
    /// The clock of `d` at `now`.
    pub fn of(d: &Dossier, now: DateTime<Utc>) -> ReviewClock {
        ReviewClock::of_workflow(&d.workflow, now)
    }

    /// The clock of a case's workflow at `now`.
    pub fn of_workflow(w: &control::Application, now: DateTime<Utc>) -> ReviewClock {
        ReviewClock {
            review_days: w.review_days,
            used_days: w.review_time_used(now).num_seconds() as f64 / 86_400.0,
            deadline: w.review_deadline(now),
            overdue: w.review_overdue(now),
            paused: w.state.clock_paused(),
        }
    }
}

/// What a step did besides changing the state, in the users' terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Waiting for the applicant's answer; the clock is paused.
    AwaitingApplicant,
    /// The applicant's answer is recorded.
    AnswerRecorded,
    /// A pre-export notification is prepared for public security to send.
    Forwarded,
    /// High risk: the approval is proposed; a second officer must confirm.
    ApprovalProposed,
    /// Refused; the applicant sees the reasons.
    Refused,
    /// Approved; this permit was issued.
    Approved {
        /// The permit number.
        permit: String,
    },
    /// Withdrawn by the applicant.
    Withdrawn,
}

impl std::fmt::Display for Outcome {
    /// The English sentence the API gives (front ends in other languages translate the
    /// variant, not this text).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::AwaitingApplicant => {
                f.write_str("waiting for the applicant; the review clock is paused")
            }
            Outcome::AnswerRecorded => f.write_str("answer recorded"),
            Outcome::Forwarded => f.write_str(
                "pre-export notification prepared; public security sends it to the importing authority",
            ),
            Outcome::ApprovalProposed => f.write_str(
                "high risk: approval proposed; a second licensing officer must confirm",
            ),
            Outcome::Refused => f.write_str("refused; the applicant sees the reasons"),
            Outcome::Approved { permit } => write!(f, "approved; permit {permit} issued"),
            Outcome::Withdrawn => f.write_str("withdrawn"),
        }
    }
}

/// The result of a step on a case.
pub struct Step {
    /// The case after the step.
    pub dossier: Dossier,
    /// What happened.
    pub outcome: Outcome,
    /// The signed permit, when this step issued it.
    pub signed_permit: Option<SignedPermit>,
}

/// A line in a list of applications.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// Id.
    pub id: String,
    /// The statutory review clock now.
    pub review: ReviewClock,
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

/// A step on a case, as a front end offers it to the person looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Available {
    /// Ask the applicant for more information ([`request_information`]).
    RequestInformation,
    /// Forward for international verification ([`forward`]).
    Forward,
    /// Approve ([`decide`]; for a high-risk case the first officer proposes, a second
    /// confirms).
    Approve,
    /// Refuse with written reasons ([`decide`]).
    Refuse,
    /// Answer the open question ([`provide_information`]).
    ProvideInformation,
    /// Withdraw ([`withdraw`]).
    Withdraw,
}

/// The steps `p` may take on `case` at `now`: what its role allows (`control::access`)
/// and what the workflow's state machine accepts, tried on a copy, so that a page never
/// offers a button the step itself would refuse.
pub fn available(case: &Case, p: &Principal, now: DateTime<Utc>) -> Vec<Available> {
    let d = &case.dossier;
    let accepts = |action: Action| d.workflow.clone().apply(action, now).is_ok();
    let mut out = Vec::new();
    if may(p, &Operation::Review).is_ok() {
        if accepts(Action::RequestInformation {
            question: "?".into(),
        }) {
            out.push(Available::RequestInformation);
        }
        if accepts(Action::ForwardForVerification) {
            out.push(Available::Forward);
        }
        // The first officer of a high-risk case may not also confirm it.
        let second = match &d.pending_approval {
            Some(first) if first == &p.user => None,
            Some(_) => Some(p.user.clone()),
            None => Some(format!("{}+second", p.user)),
        };
        if second.is_some()
            && accepts(Action::Decide {
                decision: Decision::Approve,
                officer: d.pending_approval.clone().unwrap_or_else(|| p.user.clone()),
                second_officer: second,
            })
        {
            out.push(Available::Approve);
        }
        if accepts(Action::Decide {
            decision: Decision::Refuse {
                reasons: "?".into(),
            },
            officer: p.user.clone(),
            second_officer: None,
        }) {
            out.push(Available::Refuse);
        }
    }
    if may(
        p,
        &Operation::ActAsApplicant {
            owner: &case.row.owner_org,
        },
    )
    .is_ok()
    {
        if accepts(Action::ProvideInformation) {
            out.push(Available::ProvideInformation);
        }
        if accepts(Action::Withdraw) {
            out.push(Available::Withdraw);
        }
    }
    out
}

/// An officer's decision as given: approve, or refuse with written reasons.
pub enum DecisionIn {
    /// Approve.
    Approve,
    /// Refuse, with the reasons the applicant sees.
    Refuse {
        /// The written reasons (required).
        reasons: String,
    },
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

/// An uploaded document's content to store: (sha256, size, base64).
type Stored = (String, u64, String);

/// Decode uploaded documents: their records for the case file and their contents.
fn decode_documents(
    uploads: &[DocumentUpload],
    field: &str,
) -> Result<(Vec<Document>, Vec<Stored>), CaseError> {
    let mut docs = Vec::new();
    let mut contents = Vec::new();
    for (i, d) in uploads.iter().enumerate() {
        let b64 = d.content_base64.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| {
                CaseError::refused(
                    Code::InvalidDocument,
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

fn refusal(code: Code, detail: String, answer: &law::ExportAnswer) -> CaseError {
    CaseError::Refused {
        code,
        detail,
        errors: answer.reasons.clone(),
        context: serde_json::to_value(answer).ok(),
    }
}

/// Submit an export-licence application for the caller's enterprise. If the export needs
/// no licence the answer says so and nothing is filed; otherwise the application is
/// checked for completeness, assessed for risk and filed (a low-risk case goes straight
/// to international verification where the jurisdiction allows it).
pub async fn submit(
    s: &Services,
    p: &Principal,
    mut form: ApplicationForm,
) -> Result<Submission, CaseError> {
    may(p, &Operation::SubmitApplication)?;
    let r = &s.rules;
    let now = s.clock.now();
    let gaps = form.completeness(&r.workflow);
    if !gaps.is_empty() {
        return Err(CaseError::Refused {
            code: Code::IncompleteApplication,
            detail: format!("the application is incomplete ({} problems)", gaps.len()),
            errors: gaps,
            context: None,
        });
    }
    let dispatch = form.planned_dispatch.unwrap_or_else(|| now.date_naive());
    let answer = r.export.check(
        &r.classifier,
        &form.substance,
        &form.destination,
        Some(&form.quantity),
        dispatch,
        form.mixture.as_deref(),
        &r.workflow.jurisdiction,
    )?;
    match answer.decision {
        ExportDecision::Prohibited => {
            return Err(refusal(
                Code::ExportProhibited,
                "this export is prohibited: no licence can be granted".into(),
                &answer,
            ))
        }
        // Fail safe: what cannot be judged is neither waved through nor filed as an
        // application for an unknown regime; the exporter gives the structure or asks
        // the authority for a ruling.
        ExportDecision::Undetermined => {
            return Err(refusal(
                Code::UndeterminedSubstance,
                format!(
                    "substance: '{}' could not be judged (undetermined); give its structure (SMILES or molfile) or ask the licensing authority for a ruling",
                    form.substance
                ),
                &answer,
            ))
        }
        ExportDecision::NoLicenceRequired => {
            return Ok(Submission {
                answer,
                filed: None,
            })
        }
        ExportDecision::LicenceRequired => {}
    }
    let (org, licences) = s
        .organisation_with_licences(&p.org)
        .await?
        .ok_or_else(|| CaseError::NotFound(format!("organisation {}", p.org)))?;
    let kind = &r.workflow.exporter_licence_kind;
    if !licences
        .iter()
        .any(|l| l.covers(kind, &answer.substance_ids, dispatch))
    {
        return Err(CaseError::refused(
            Code::NoExporterLicence,
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
        credit_rating: Some(credit::rating_of(s, &p.org).await?.score.clamp(0, 100) as u8),
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
            cas: answer.substance_ids.first().and_then(|id| {
                r.classifier
                    .catalogue()
                    .substance(id)
                    .and_then(|x| x.cas.as_ref())
                    .map(|c| c.to_string())
            }),
            hs_code: answer
                .substance_ids
                .first()
                .and_then(|id| r.classifier.hs_heading(id))
                .map(|h| h.hs.clone()),
        },
        risk: risk.clone(),
        workflow,
        notification: None,
        permit: None,
        pending_approval: None,
        refusal_reasons: None,
        open_question: None,
    };
    let body = encode(&dossier)?;
    let row = ApplicationRow {
        id: id.clone(),
        owner_org: p.org.clone(),
        state: api_name(dossier.workflow.state),
        version: 1,
        body,
    };
    // Group commit: filed with whatever else is being submitted now, acknowledged
    // after the commit.
    s.store
        .file_application(NewApplication {
            row: row.clone(),
            keys,
            listing: listing(&dossier, now),
            documents: contents,
            at: now,
            actor: p.user.clone(),
            action: "application.submit".into(),
        })
        .await?;
    let review_deadline = dossier.workflow.review_deadline(now);
    // Proportionate review: low risk goes straight to international verification.
    let dossier = if risk.level == control::RiskLevel::Low
        && needs_verification
        && r.workflow.low_risk_fast_track
    {
        forward_case(s, &row, dossier, "fentguard:low-risk-fast-track").await?
    } else {
        dossier
    };
    Ok(Submission {
        answer,
        filed: Some(Filed {
            dossier,
            review_deadline,
        }),
    })
}

fn encode(d: &Dossier) -> Result<serde_json::Value, CaseError> {
    serde_json::to_value(d).map_err(|e| CaseError::refused(Code::Encoding, e.to_string()))
}

/// Open an application the caller may see.
pub async fn open(s: &Services, p: &Principal, id: &str) -> Result<Case, CaseError> {
    let case = fetch(s, id).await?;
    may(
        p,
        &Operation::ReadApplication {
            owner: &case.row.owner_org,
        },
    )?;
    Ok(case)
}

/// Open an application for its applicant to act on (answer, withdraw): the caller must
/// act for the enterprise that owns it. Front ends open the case before they read the
/// applicant's input, so a stranger is refused before anything else is said.
pub async fn open_as_applicant(s: &Services, p: &Principal, id: &str) -> Result<Case, CaseError> {
    as_applicant(p, open(s, p, id).await?)
}

/// A case already opened by [`open`], for its applicant to act on.
pub fn as_applicant(p: &Principal, case: Case) -> Result<Case, CaseError> {
    may(
        p,
        &Operation::ActAsApplicant {
            owner: &case.row.owner_org,
        },
    )?;
    Ok(case)
}

/// Load an application without an access check: only for steps whose caller was checked
/// against the record that leads here (a notification names its application).
pub async fn fetch(s: &Services, id: &str) -> Result<Case, CaseError> {
    let row = s
        .store
        .get_application(id)
        .await?
        .ok_or_else(|| CaseError::NotFound(format!("no export application {id}")))?;
    let dossier = read_dossier(&row.id, row.body.clone())?;
    Ok(Case { row, dossier })
}

fn read_dossier(id: &str, body: serde_json::Value) -> Result<Dossier, CaseError> {
    serde_json::from_value(body)
        .map_err(|e| CaseError::Damaged(format!("stored application {id} does not read: {e}")))
}

/// A document of a case, as filed.
pub struct DocumentContent {
    /// What the case says of it (kind, file name, hash, size).
    pub document: control::Document,
    /// Its bytes, checked against the hash the case holds.
    pub bytes: Vec<u8>,
}

/// A document of case `id` (by its SHA-256), for whoever may read the case: only a
/// document the case names (another case's document is "not found" here, whoever holds
/// its hash), and only when the stored bytes still have the hash the case was filed with.
pub async fn document(
    s: &Services,
    p: &Principal,
    id: &str,
    sha256: &str,
) -> Result<DocumentContent, CaseError> {
    let case = open(s, p, id).await?;
    let missing = || {
        CaseError::NotFound(format!(
            "no document {} in application {id}",
            sha256.chars().take(64).collect::<String>()
        ))
    };
    let document = case
        .dossier
        .documents
        .iter()
        .find(|d| d.sha256.eq_ignore_ascii_case(sha256))
        .cloned()
        .ok_or_else(missing)?;
    let stored = s
        .store
        .document(&document.sha256)
        .await?
        .ok_or_else(missing)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(stored.as_bytes())
        .map_err(|e| {
            CaseError::Damaged(format!(
                "stored document {} does not decode: {e}",
                document.sha256
            ))
        })?;
    if hex::encode(Sha256::digest(&bytes)) != document.sha256.to_ascii_lowercase() {
        return Err(CaseError::Damaged(format!(
            "stored document {} no longer has the hash it was filed with",
            document.sha256
        )));
    }
    Ok(DocumentContent { document, bytes })
}

/// The content type a document is served with, from its file name: the kinds a browser
/// shows safely (PDF, images, plain text); anything else is a download.
pub fn document_type(filename: &str) -> (&'static str, bool) {
    let ext = filename
        .rsplit_once('.')
        .map(|x| x.1.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => ("application/pdf", true),
        "png" => ("image/png", true),
        "jpg" | "jpeg" => ("image/jpeg", true),
        "txt" => ("text/plain; charset=utf-8", true),
        _ => ("application/octet-stream", false),
    }
}

/// The `Content-Disposition` a document is served with: shown in the browser (`inline`)
/// or saved, under its file name cut to letters, digits, `.`, `-` and `_` (a name is the
/// uploader's, never quoted into a header as given).
pub fn document_disposition(filename: &str, inline: bool) -> String {
    let safe: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(100)
        .collect();
    let name = if safe.trim_matches('.').is_empty() {
        "document".to_string()
    } else {
        safe
    };
    format!(
        "{}; filename=\"{name}\"",
        if inline { "inline" } else { "attachment" }
    )
}

/// The parts of a stored case a list shows (its summary as [`listing`] writes it, or the
/// whole case).
#[derive(serde::Deserialize)]
struct Listed {
    exporter: Named,
    substance: Named,
    details: Destined,
    risk: Leveled,
    workflow: control::Application,
}

#[derive(serde::Deserialize)]
struct Named {
    name: String,
}

#[derive(serde::Deserialize)]
struct Destined {
    destination: String,
}

#[derive(serde::Deserialize)]
struct Leveled {
    level: control::RiskLevel,
}

/// Which applications to list, and in which order (empty fields do not filter).
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// A state (snake_case), or `open` for every state not final.
    pub state: String,
    /// Filed on or after this day (in the authority's time zone).
    pub filed_from: Option<chrono::NaiveDate>,
    /// Filed on or before this day (in the authority's time zone).
    pub filed_to: Option<chrono::NaiveDate>,
    /// Country of destination (ISO 3166-1 alpha-2).
    pub destination: String,
    /// Part of the substance's name.
    pub substance: String,
    /// Only this enterprise's (organisation id).
    pub enterprise: String,
    /// Words in the id, the parties, the substance, the destination or the contract.
    pub search: String,
    /// Newest first, or the worklist's order (the statutory clock, overdue first).
    pub order: ApplicationOrder,
}

/// Applications the caller may see (an exporter only its own), filtered and ordered as
/// `q` says, a page at a time.
pub async fn list(
    s: &Services,
    p: &Principal,
    q: &ListQuery,
    page: &PageRequest,
) -> Result<Page<Summary>, CaseError> {
    may(p, &Operation::ListApplications)?;
    let mut owner = q.enterprise.trim().to_string();
    if p.role == control::Role::ComplianceOfficer {
        // an exporter's list is its own, whatever it asks
        owner = p.org.clone();
    }
    let state = q.state.trim().to_ascii_lowercase();
    let known = state.is_empty()
        || state == "open"
        || serde_json::from_value::<control::State>(serde_json::Value::String(state.clone()))
            .is_ok();
    if !known {
        return Err(CaseError::refused(
            Code::InvalidInput,
            format!(
                "state: '{}' is not a state of an application (or 'open')",
                state.chars().take(40).collect::<String>()
            ),
        ));
    }
    // A day where the authority is, as the instants it begins and ends.
    let zone = s.rules.workflow.time_zone;
    let start_of = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(zone).earliest())
            .map(|t| t.with_timezone(&Utc).to_rfc3339())
            .unwrap_or_default()
    };
    let filter = ApplicationFilter {
        owner,
        state,
        filed_from: q.filed_from.map(start_of).unwrap_or_default(),
        filed_before: q
            .filed_to
            .and_then(|d| d.succ_opt())
            .map(start_of)
            .unwrap_or_default(),
        destination: q.destination.trim().to_ascii_uppercase(),
        substance: q.substance.trim().to_lowercase(),
        search: q.search.trim().to_lowercase(),
    };
    let rows = s.store.applications_page(&filter, q.order, page).await?;
    let now = s.clock.now();
    let mut items = Vec::with_capacity(rows.items.len());
    for r in rows.items {
        // Only what a list shows is read of each case (the rest is skipped unparsed).
        let d: Listed = serde_json::from_str(&r.body_json).map_err(|e| {
            CaseError::Damaged(format!("stored application {} does not read: {e}", r.id))
        })?;
        items.push(Summary {
            review: ReviewClock::of_workflow(&d.workflow, now),
            id: r.id,
            state: r.state,
            exporter: d.exporter.name,
            substance: d.substance.name,
            destination: d.details.destination,
            risk_level: api_name(d.risk.level),
            submitted_at: d.workflow.submitted_at,
        });
    }
    Ok(Page {
        items,
        next: rows.next,
    })
}

/// What the lists filter, search and order on, for `d` as it stands at `now`.
pub(crate) fn listing(d: &Dossier, now: DateTime<Utc>) -> ApplicationListing {
    let f = &d.details;
    let mut words = vec![
        d.id.as_str(),
        d.exporter.name.as_str(),
        d.substance.name.as_str(),
        f.substance.as_str(),
        f.destination.as_str(),
        f.contract_reference.as_str(),
    ];
    for party in [&f.importer, &f.consignee, &f.broker].into_iter().flatten() {
        words.push(&party.name);
    }
    ApplicationListing {
        worklist_key: worklist_key(&d.workflow, now),
        destination: f.destination.trim().to_ascii_uppercase(),
        search_text: words.join(" ").to_lowercase(),
        // the name on file and the words the applicant used ("4-ANPP")
        substance_text: format!("{} {}", d.substance.name, f.substance).to_lowercase(),
        summary_json: serde_json::json!({
            "exporter": {"name": d.exporter.name},
            "substance": {"name": d.substance.name},
            "details": {"destination": f.destination},
            "risk": {"level": d.risk.level},
            "workflow": d.workflow,
        })
        .to_string(),
    }
}

/// The licensing officer's worklist order as one text that sorts as it should: cases
/// with the authority by their review deadline (overdue first); then cases waiting on
/// the applicant or the importing authority by the review time they have left; then
/// decided cases, newest first; drafts last. While a case is with the authority its
/// deadline does not move, and while it waits its time left does not change, so the key
/// is written with each change of the case and stays true in between.
pub fn worklist_key(w: &control::Application, now: DateTime<Utc>) -> String {
    const OFFSET: i64 = 100_000_000_000; // keeps negative "time left" sortable as text
    match (
        w.state.is_final(),
        w.state.clock_paused(),
        w.review_deadline(now),
    ) {
        (false, false, Some(due)) => format!("0|{}", due.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
        (false, true, Some(_)) => {
            let left = i64::from(w.review_days) * 86_400 - w.review_time_used(now).num_seconds();
            format!("1|{:012}", (left + OFFSET).max(0))
        }
        (true, _, _) => {
            let decided = w.history.last().map(|t| t.at.timestamp()).unwrap_or(0);
            format!("2|{:012}", (OFFSET - decided).max(0))
        }
        (false, _, None) => "3|".into(),
    }
}

/// Writes the listing columns of applications filed before they existed (migration
/// 0010), a thousand at a time; returns how many. `serve` calls it at start.
pub async fn list_unlisted(s: &Services) -> Result<usize, CaseError> {
    let mut done = 0;
    loop {
        let rows = s.store.applications_unlisted(1000).await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let now = s.clock.now();
        let mut tx = s.store.write().await?;
        for r in &rows {
            let d = read_dossier(&r.id, r.body.clone())?;
            tx.set_application_listing(&r.id, &listing(&d, now)).await?;
        }
        tx.commit().await?;
        done += rows.len();
    }
}

/// One line of a case's history.
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: the user's name, or the process's name (an automatic step).
    pub actor: String,
    /// The audit action (`application.submit`, ...).
    pub action: String,
}

/// The history of a case as the audit trail tells it (its last 200 entries, oldest
/// first), actors by user name; `case` comes from [`open`], so only those who may see
/// the case read it.
pub async fn history(s: &Services, case: &Case) -> Result<Vec<HistoryEntry>, CaseError> {
    let entries = s
        .store
        .audit_of(&format!("application/{}", case.row.id), 200)
        .await?;
    let mut names: std::collections::BTreeMap<String, String> = Default::default();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        // One lookup per actor, not per entry.
        let actor = match names.get(&e.actor) {
            Some(n) => n.clone(),
            None => {
                let n = s
                    .store
                    .username_of(&e.actor)
                    .await?
                    .unwrap_or(e.actor.clone());
                names.insert(e.actor.clone(), n.clone());
                n
            }
        };
        out.push(HistoryEntry {
            at: e.at,
            actor,
            action: e.action,
        });
    }
    Ok(out)
}

/// Store the changed case with its audit entry in `tx`.
pub(crate) async fn record(
    tx: &mut WriteTx,
    row: &ApplicationRow,
    d: &Dossier,
    actor: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), CaseError> {
    let body = encode(d)?;
    tx.update_application(
        &row.id,
        row.version,
        &api_name(d.workflow.state),
        &body,
        &listing(d, now),
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
    s: &Services,
    case: Case,
    actor: &str,
    action: &str,
    now: DateTime<Utc>,
    outcome: Outcome,
) -> Result<Step, CaseError> {
    let mut tx = s.store.write().await?;
    record(&mut tx, &case.row, &case.dossier, actor, action, now).await?;
    tx.commit().await?;
    Ok(Step {
        dossier: case.dossier,
        outcome,
        signed_permit: None,
    })
}

fn required(field: &str, value: &str) -> Result<(), CaseError> {
    if value.trim().is_empty() {
        return Err(CaseError::refused(
            Code::InvalidInput,
            format!("{field}: missing"),
        ));
    }
    Ok(())
}

/// The licensing officer asks the applicant for more information (the clock pauses).
pub async fn request_information(
    s: &Services,
    p: &Principal,
    id: &str,
    question: String,
) -> Result<Step, CaseError> {
    may(p, &Operation::Review)?;
    required("question", &question)?;
    let mut case = open(s, p, id).await?;
    let now = s.clock.now();
    case.dossier.workflow.apply(
        Action::RequestInformation {
            question: question.clone(),
        },
        now,
    )?;
    case.dossier.open_question = Some(question);
    save(
        s,
        case,
        &p.user,
        "application.request_information",
        now,
        Outcome::AwaitingApplicant,
    )
    .await
}

/// The applicant answers a request for information, with further documents. An answer
/// to the importing authority's question sends the case back to it with a fresh reply
/// period.
/// `case` comes from [`open_as_applicant`].
pub async fn provide_information(
    s: &Services,
    p: &Principal,
    case: Case,
    answer: String,
    documents: &[DocumentUpload],
) -> Result<Step, CaseError> {
    let Case { row, mut dossier } = case;
    required("answer", &answer)?;
    let now = s.clock.now();
    let (docs, contents) = decode_documents(documents, "documents")?;
    let to = dossier.workflow.apply(Action::ProvideInformation, now)?;
    dossier.documents.extend(docs);
    dossier.open_question = None;
    let mut tx = s.store.write().await?;
    for (sha, size, b64) in &contents {
        tx.put_document(sha, *size, b64).await?;
    }
    if to == control::State::AwaitingImportingAuthority {
        if let Some(nid) = &dossier.notification {
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
                    serde_json::json!({"answer": answer, "reply_deadline": n.reply_deadline}),
                )
                .await?;
            }
        }
    }
    record(
        &mut tx,
        &row,
        &dossier,
        &p.user,
        "application.provide_information",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Step {
        dossier,
        outcome: Outcome::AnswerRecorded,
        signed_permit: None,
    })
}

/// Forward a case for international verification: the workflow step, the prepared
/// pre-export notification and both audit entries, in one transaction.
async fn forward_case(
    s: &Services,
    row: &ApplicationRow,
    mut d: Dossier,
    actor: &str,
) -> Result<Dossier, CaseError> {
    let now = s.clock.now();
    d.workflow.apply(Action::ForwardForVerification, now)?;
    let det = &d.details;
    let (Some(importer), Some(consignee), Some(dispatch)) = (
        det.importer.clone(),
        det.consignee.clone(),
        det.planned_dispatch,
    ) else {
        return Err(CaseError::conflict(
            Code::IncompleteApplication,
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
        cas: d.substance.cas.clone(),
        hs_code: d.substance.hs_code.clone(),
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
pub async fn forward(s: &Services, p: &Principal, id: &str) -> Result<Step, CaseError> {
    may(p, &Operation::Review)?;
    let case = open(s, p, id).await?;
    let dossier = forward_case(s, &case.row, case.dossier, &p.user).await?;
    Ok(Step {
        dossier,
        outcome: Outcome::Forwarded,
        signed_permit: None,
    })
}

/// Approve or refuse. A high-risk approval needs two different licensing officers: the
/// first proposes ([`Outcome::ApprovalProposed`]), the second confirms. Approval issues
/// the signed permit in the same transaction.
pub async fn decide(
    s: &Services,
    p: &Principal,
    id: &str,
    decision: DecisionIn,
) -> Result<Step, CaseError> {
    may(p, &Operation::Review)?;
    let Case {
        row,
        dossier: mut d,
    } = open(s, p, id).await?;
    let now = s.clock.now();
    let decision = match decision {
        DecisionIn::Approve => Decision::Approve,
        DecisionIn::Refuse { reasons } => Decision::Refuse { reasons },
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
                return save(
                    s,
                    Case { row, dossier: d },
                    &p.user,
                    "application.propose_approval",
                    now,
                    Outcome::ApprovalProposed,
                )
                .await;
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
    let mut signed_permit = None;
    let outcome = match decision {
        Decision::Refuse { reasons } => {
            d.refusal_reasons = Some(reasons);
            d.pending_approval = None;
            Outcome::Refused
        }
        Decision::Approve => {
            let rules = &s.rules.workflow;
            let prefix = format!("{}-{}", rules.permit_number_prefix, now.year());
            let serial = tx.next_permit_serial(&prefix).await?;
            let number = format!("{prefix}-{serial:06}");
            let permit = d
                .permit(number.clone(), now.date_naive(), rules)
                .ok_or_else(|| {
                    CaseError::conflict(
                        Code::IncompleteApplication,
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
            signed_permit = Some(signed);
            Outcome::Approved { permit: number }
        }
    };
    record(&mut tx, &row, &d, &p.user, "application.decide", now).await?;
    tx.commit().await?;
    Ok(Step {
        dossier: d,
        outcome,
        signed_permit,
    })
}

/// The applicant withdraws the application.
pub async fn withdraw(s: &Services, p: &Principal, id: &str) -> Result<Step, CaseError> {
    let mut case = open_as_applicant(s, p, id).await?;
    let now = s.clock.now();
    case.dossier.workflow.apply(Action::Withdraw, now)?;
    save(
        s,
        case,
        &p.user,
        "application.withdraw",
        now,
        Outcome::Withdrawn,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::worklist_key;
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use control::{Action, Application, Decision, RiskLevel};

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
            .single()
            .expect("time")
            + Duration::days(d)
    }

    fn submitted(at: i64) -> Application {
        let mut a = Application::new(true, 20);
        a.apply(
            Action::Submit {
                risk: RiskLevel::Medium,
            },
            day(at),
        )
        .expect("submit");
        a
    }

    #[test]
    fn the_worklist_puts_the_nearest_deadline_first_then_waiting_then_decided() {
        let now = day(25);
        // filed on day 0: due day 20, overdue now
        let overdue = submitted(0);
        // filed on day 10: due day 30
        let due_later = submitted(10);
        // filed on day 2, waiting on the applicant since day 12 (10 days used, 10 left)
        let mut waiting = submitted(2);
        waiting
            .apply(
                Action::RequestInformation {
                    question: "?".into(),
                },
                day(12),
            )
            .expect("ask");
        // filed on day 1, refused on day 5
        let mut decided = submitted(1);
        decided
            .apply(
                Action::Decide {
                    decision: Decision::Refuse {
                        reasons: "no".into(),
                    },
                    officer: "o".into(),
                    second_officer: None,
                },
                day(5),
            )
            .expect("refuse");
        let mut keys = [
            ("decided", worklist_key(&decided, now)),
            ("waiting", worklist_key(&waiting, now)),
            ("due later", worklist_key(&due_later, now)),
            ("overdue", worklist_key(&overdue, now)),
            ("draft", worklist_key(&Application::new(true, 20), now)),
        ];
        keys.sort_by(|a, b| a.1.cmp(&b.1));
        let order: Vec<&str> = keys.iter().map(|k| k.0).collect();
        assert_eq!(
            order,
            ["overdue", "due later", "waiting", "decided", "draft"]
        );
        // the key of a waiting case does not move while it waits, nor a running one's
        assert_eq!(worklist_key(&waiting, day(40)), worklist_key(&waiting, now));
        assert_eq!(
            worklist_key(&due_later, day(40)),
            worklist_key(&due_later, now)
        );
    }
}

//! Permits and what happens to them: public verification (no login), the full record for
//! those entitled to it, customs declarations (release and draw down, or hold), exit
//! confirmation, the importing authority's endorsement of the quantity received (a
//! difference raises an alert); plus health, alerts and audit verification.

use crate::auth::Caller;
use crate::{AppState, Problem};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::Json;
use chrono::NaiveDate;
use control::{may, CustomsOutcome, Declaration, Operation};
use serde::{Deserialize, Serialize};
use store::{Alert, PermitRecord};
use utoipa::ToSchema;

type Body<T> = Result<Json<T>, JsonRejection>;

/// Health.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// Liveness and database check.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "OK", body = Health), (status = 503, description = "the database is unavailable", body = Problem)), tag = "operations")]
pub async fn healthz(State(s): State<AppState>) -> Result<Json<Health>, Problem> {
    s.store.ping().await?;
    Ok(Json(Health {
        status: "ok",
        database: if s.store.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        },
    }))
}

/// The permit-signing public key.
#[derive(Serialize, ToSchema)]
pub struct PublicKey {
    /// `Ed25519`.
    pub algorithm: &'static str,
    /// The key new permits are signed with, hex.
    pub public_key: String,
    /// Earlier keys (rotated out), hex: permits they signed are still genuine.
    pub earlier_keys: Vec<String>,
}

/// The key permits are signed with, for offline verification.
#[utoipa::path(get, path = "/api/v1/permits/public-key", responses((status = 200, description = "OK", body = PublicKey)), tag = "permits")]
pub async fn public_key(State(s): State<AppState>) -> Json<PublicKey> {
    Json(PublicKey {
        algorithm: "Ed25519",
        public_key: hex::encode(s.verifying_key().to_bytes()),
        earlier_keys: s
            .earlier_keys
            .iter()
            .map(|k| hex::encode(k.to_bytes()))
            .collect(),
    })
}

/// A permit's public status; the parties, substance and signed permit only with the
/// permit's verification code.
#[derive(Serialize, ToSchema)]
pub struct PermitCheck {
    /// Number.
    pub number: String,
    /// valid, not_yet_valid, expired, revoked, exhausted, or invalid_signature.
    pub status: String,
    /// kg left (when valid).
    pub remaining_kg: Option<f64>,
    /// The signature verifies against the authority's key.
    pub signature_valid: bool,
    /// First valid day.
    pub valid_from: NaiveDate,
    /// Last valid day.
    pub valid_until: NaiveDate,
    /// Substance (with the verification code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substance: Option<String>,
    /// Destination (with the verification code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The signed permit, parties and quantity included; check it offline with the
    /// public key (with the verification code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_permit: Option<control::SignedPermit>,
}

/// How a permit is verified.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// The verification code printed on the permit and in its QR code: shows the whole
    /// permit. Without it only validity, status and remaining quantity are shown.
    pub code: Option<String>,
}

/// Verify a permit: no login needed. With only the number: validity, status and
/// remaining quantity; with the verification code printed on the permit (`?code=`), the
/// whole signed permit. A wrong code is refused (403), never answered with less.
#[utoipa::path(get, path = "/api/v1/permits/{number}/verify", params(("number" = String, Path), VerifyQuery),
    responses((status = 200, description = "OK", body = PermitCheck), (status = 400, description = "a query parameter could not be read", body = Problem),
        (status = 403, description = "wrong verification code", body = Problem), (status = 404, description = "not found", body = Problem)), tag = "permits")]
pub async fn verify_permit(
    State(s): State<AppState>,
    Path(number): Path<String>,
    q: Result<axum::extract::Query<VerifyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PermitCheck>, Problem> {
    let q = q
        .map(|axum::extract::Query(v)| v)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "query", e.body_text()))?;
    let v = cases::permits::verify(&s, &number, q.code.as_deref()).await?;
    Ok(Json(PermitCheck {
        number: v.number,
        status: cases::api_name(v.standing),
        remaining_kg: v.remaining_kg,
        signature_valid: v.signature_valid,
        valid_from: v.valid_from,
        valid_until: v.valid_until,
        substance: v.signed.as_ref().map(|p| p.permit.substance.clone()),
        destination: v.signed.as_ref().map(|p| p.permit.destination.clone()),
        signed_permit: v.signed,
    }))
}

/// A permit with its use.
#[derive(Serialize, ToSchema)]
pub struct PermitView {
    /// The signed permit.
    pub signed_permit: control::SignedPermit,
    /// kg drawn down by releases.
    pub drawn_kg: f64,
    /// Revoked.
    pub revoked: bool,
    /// The single shipment left.
    pub shipped: bool,
    /// kg confirmed as exited.
    pub exited_kg: f64,
    /// kg endorsed as received by the importing authority.
    pub received_kg: Option<f64>,
    /// The verification code printed on the permit (shows the whole permit to a
    /// verifier: `GET /api/v1/permits/{number}/verify?code=`).
    pub verification_code: String,
}

impl From<PermitRecord> for PermitView {
    fn from(r: PermitRecord) -> PermitView {
        PermitView {
            verification_code: r.signed.verification_code(),
            signed_permit: r.signed,
            drawn_kg: r.drawn_kg,
            revoked: r.revoked,
            shipped: r.shipped,
            exited_kg: r.exited_kg,
            received_kg: r.received_kg,
        }
    }
}

/// The full permit record (customs, officers, its exporter, the destination's authority).
#[utoipa::path(get, path = "/api/v1/permits/{number}", params(("number" = String, Path)),
    responses((status = 200, description = "OK", body = PermitView), (status = 403, description = "the caller may not do this", body = Problem), (status = 404, description = "not found", body = Problem)),
    security(("bearer" = [])), tag = "permits")]
pub async fn get_permit(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(number): Path<String>,
) -> Result<Json<PermitView>, Problem> {
    Ok(Json(cases::permits::read(&s, &p, &number).await?.into()))
}

/// Why a permit is revoked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeIn {
    /// Written reasons (recorded in the audit trail).
    pub reasons: String,
}

/// The licensing authority revokes a permit: verification then answers `revoked` and
/// customs holds any declaration against it.
#[utoipa::path(post, path = "/api/v1/permits/{number}/revoke", params(("number" = String, Path)), request_body = RevokeIn,
    responses((status = 200, description = "OK", body = PermitView), (status = 409, description = "not possible in the current state", body = Problem), (status = 422, description = "invalid or refused input", body = Problem)),
    security(("bearer" = [])), tag = "permits")]
pub async fn revoke_permit(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(number): Path<String>,
    body: Body<RevokeIn>,
) -> Result<Json<PermitView>, Problem> {
    may(&p, &Operation::Review)?;
    let Json(input) = body?;
    if input.reasons.trim().is_empty() {
        return Err(Problem::unprocessable(
            "reasons-required",
            "reasons: a revocation needs written reasons",
        ));
    }
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    let mut r = tx.get_permit(&number).await?.ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-permit",
            format!("no permit numbered {number}"),
        )
    })?;
    if r.revoked {
        return Err(Problem::conflict(
            "wrong-state",
            format!("permit {number} is already revoked"),
        ));
    }
    r.revoked = true;
    tx.update_permit_use(&r).await?;
    tx.audit(
        now,
        &p.user,
        "permit.revoke",
        &format!("permit/{number}"),
        serde_json::json!({"revoked": false}),
        serde_json::json!({"revoked": true, "reasons": input.reasons}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(r.into()))
}

/// A customs declaration for an export.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationIn {
    /// Permit number quoted.
    pub permit_number: String,
    /// Exporter name.
    pub exporter: String,
    /// Importer name.
    pub importer: String,
    /// Substance.
    pub substance: String,
    /// Quantity, kg as on the permit (base equivalent).
    pub quantity_kg: f64,
    /// Destination country.
    pub destination: String,
    /// Date of the declaration (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Customs' answer.
#[derive(Serialize, ToSchema)]
pub struct DeclarationOut {
    /// Declaration id.
    pub id: String,
    /// `release` or `hold`.
    pub outcome: String,
    /// Why it is held (empty on release).
    pub reasons: Vec<String>,
    /// kg left on the permit after this declaration.
    pub remaining_kg: Option<f64>,
}

/// Lodge a declaration: release and draw down when the permit is valid and everything
/// matches; otherwise hold, with every reason.
#[utoipa::path(post, path = "/api/v1/customs/declarations", request_body = DeclarationIn,
    responses((status = 201, description = "created", body = DeclarationOut)), security(("bearer" = [])), tag = "customs")]
pub async fn declare(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Body<DeclarationIn>,
) -> Result<(StatusCode, HeaderMap, Json<DeclarationOut>), Problem> {
    // Refused before the body is read: a stranger learns nothing of what it would take.
    may(&p, &Operation::Customs)?;
    let Json(d) = body?;
    let now = s.clock.now();
    let declaration = Declaration {
        permit_number: d.permit_number,
        exporter: d.exporter,
        importer: d.importer,
        substance: d.substance,
        quantity_kg: d.quantity_kg,
        destination: d.destination,
        date: d.date.unwrap_or_else(|| now.date_naive()),
    };
    let cases::permits::Lodged {
        record,
        remaining_kg: remaining,
    } = cases::permits::declare(&s, &p, declaration).await?;
    let id = record.id;
    let (name, reasons) = match record.outcome {
        CustomsOutcome::Release { .. } => ("release", Vec::new()),
        CustomsOutcome::Hold { reasons } => ("hold", reasons),
    };
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/customs/declarations/{id}")) {
        h.insert(header::LOCATION, v);
    }
    Ok((
        StatusCode::CREATED,
        h,
        Json(DeclarationOut {
            id,
            outcome: name.into(),
            reasons,
            remaining_kg: remaining,
        }),
    ))
}

/// Exit confirmed.
#[derive(Serialize, ToSchema)]
pub struct ExitOut {
    /// Declaration id.
    pub declaration: String,
    /// Permit number.
    pub permit: String,
    /// kg that left.
    pub exited_kg: f64,
}

/// Customs confirms the released goods left the country (the single shipment is made).
#[utoipa::path(post, path = "/api/v1/customs/declarations/{id}/exit", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = ExitOut), (status = 409, description = "not possible in the current state", body = Problem)), security(("bearer" = [])), tag = "customs")]
pub async fn confirm_exit(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<ExitOut>, Problem> {
    let e = cases::permits::confirm_exit(&s, &p, &id).await?;
    Ok(Json(ExitOut {
        declaration: e.declaration,
        permit: e.permit,
        exited_kg: e.exited_kg,
    }))
}

/// The quantity the importing authority says arrived.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptIn {
    /// kg received (base equivalent, as on the permit).
    pub received_kg: f64,
}

/// The endorsement, with an alert when the quantities differ.
#[derive(Serialize, ToSchema)]
pub struct ReceiptOut {
    /// Permit.
    pub permit: String,
    /// kg that left.
    pub exited_kg: f64,
    /// kg received.
    pub received_kg: f64,
    /// Alert raised, if any.
    #[schema(value_type = Option<Object>)]
    pub alert: Option<Alert>,
}

/// The importing country's authority endorses the quantity received.
#[utoipa::path(post, path = "/api/v1/permits/{number}/receipt", params(("number" = String, Path)), request_body = ReceiptIn,
    responses((status = 200, description = "OK", body = ReceiptOut), (status = 403, description = "the caller may not do this", body = Problem), (status = 409, description = "not possible in the current state", body = Problem)),
    security(("bearer" = [])), tag = "permits")]
pub async fn endorse_receipt(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(number): Path<String>,
    body: Body<ReceiptIn>,
) -> Result<Json<ReceiptOut>, Problem> {
    let rec = cases::permits::open_for_receipt(&s, &p, &number).await?;
    let Json(input) = body?;
    let r = cases::permits::endorse_receipt(&s, &p, rec, input.received_kg).await?;
    Ok(Json(ReceiptOut {
        permit: number,
        exited_kg: r.exited_kg,
        received_kg: input.received_kg,
        alert: r.alert,
    }))
}

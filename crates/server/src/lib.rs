//! # server: FentGuard's HTTP API
//!
//! Thin handlers: decode, call the domain (`control`, `law`) and storage (`store`),
//! encode. Errors are `application/problem+json` (RFC 9457), never a bare 500 page.
//! This first slice serves health, public permit verification (no login) and audit-chain
//! verification; identities, the application workflow and customs endpoints build on it.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;
use std::sync::Arc;
use store::Store;

/// Largest request body accepted (bytes).
pub const MAX_BODY: usize = 1 << 20;

/// Shared state of a running server.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The authority's permit-signing key.
    pub signing_key: Arc<SigningKey>,
}

impl AppState {
    /// The public key anyone can verify permits with.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing_key.verifying_key()
    }
}

/// An error as `application/problem+json`.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// A URI reference naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened, for people.
    pub detail: String,
}

impl Problem {
    /// A problem with a status, a type slug and a detail.
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://fentguard.invalid/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<store::StoreError> for Problem {
    fn from(e: store::StoreError) -> Problem {
        match &e {
            store::StoreError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", e.to_string())
            }
            store::StoreError::Conflict(_) => {
                Problem::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            _ => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "storage", e.to_string()),
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(e: JsonRejection) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "malformed-json", e.body_text())
    }
}

/// The router with all routes and the body limit.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/permits/public-key", get(public_key))
        .route("/api/v1/permits/{number}/verify", get(verify_permit))
        .route("/api/v1/audit/verify", get(verify_audit))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "not-found", "no such endpoint") })
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .with_state(state)
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

async fn healthz(State(s): State<AppState>) -> Result<Json<Health>, Problem> {
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

#[derive(Serialize)]
struct PublicKey {
    algorithm: &'static str,
    public_key: String,
}

async fn public_key(State(s): State<AppState>) -> Json<PublicKey> {
    Json(PublicKey {
        algorithm: "Ed25519",
        public_key: hex::encode(s.verifying_key().to_bytes()),
    })
}

#[derive(Serialize)]
struct PermitCheck {
    number: String,
    /// valid, not_yet_valid, expired, revoked, exhausted, or invalid_signature
    status: String,
    remaining_kg: Option<f64>,
    signature_valid: bool,
    substance: String,
    destination: String,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    signed_permit: control::SignedPermit,
}

async fn verify_permit(
    State(s): State<AppState>,
    Path(number): Path<String>,
) -> Result<Json<PermitCheck>, Problem> {
    let rec = s.store.get_permit(&number).await?.ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-permit",
            format!("no permit numbered {number}"),
        )
    })?;
    let today = chrono::Utc::now().date_naive();
    let signature_valid = rec.signed.verify(&s.verifying_key()).is_ok();
    let st = control::permit::status(
        &rec.signed.permit,
        today,
        rec.drawn_kg,
        rec.revoked,
        rec.shipped,
    );
    let (status, remaining) = match (&st, signature_valid) {
        (_, false) => ("invalid_signature".to_string(), None),
        (control::PermitStatus::Valid { remaining_kg }, true) => {
            ("valid".to_string(), Some(*remaining_kg))
        }
        (other, true) => (
            serde_json::to_value(other)
                .ok()
                .and_then(|v| v.get("status").and_then(|x| x.as_str()).map(String::from))
                .unwrap_or_else(|| "unknown".into()),
            None,
        ),
    };
    let p = &rec.signed.permit;
    Ok(Json(PermitCheck {
        number: p.number.clone(),
        status,
        remaining_kg: remaining,
        signature_valid,
        substance: p.substance.clone(),
        destination: p.destination.clone(),
        valid_from: p.valid_from,
        valid_until: p.valid_until,
        signed_permit: rec.signed.clone(),
    }))
}

#[derive(Serialize)]
struct AuditCheck {
    valid: bool,
    entries: Option<u64>,
    broken_at: Option<u64>,
    reason: Option<String>,
}

async fn verify_audit(State(s): State<AppState>) -> Result<Json<AuditCheck>, Problem> {
    Ok(Json(match s.store.verify_audit().await? {
        Ok(n) => AuditCheck {
            valid: true,
            entries: Some(n),
            broken_at: None,
            reason: None,
        },
        Err(b) => AuditCheck {
            valid: false,
            entries: None,
            broken_at: Some(b.seq),
            reason: Some(b.reason),
        },
    }))
}

/// Serve until `shutdown` resolves, then finish in-flight requests and close the pool.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let res = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    store.close().await;
    res
}

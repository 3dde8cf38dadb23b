//! The audit trail over HTTP: verification (chain, seals, published checkpoints, the
//! business tables' agreement with the trail) and signed checkpoints of its head, for the
//! authority to publish.

use crate::auth::Caller;
use crate::{AppState, Problem};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use control::audit::checkpoint::CheckpointError;
use control::{may, Checkpoint, Operation, SignedCheckpoint};
use serde::{Deserialize, Serialize};
use store::AuditReport;
use utoipa::ToSchema;

/// Disagreements listed in one answer (the total is always given).
const DISAGREEMENTS_SHOWN: usize = 100;

/// One record that does not agree with the audit trail.
#[derive(Serialize, ToSchema)]
pub struct DisagreementView {
    /// The record (e.g. `application/A-1`).
    pub subject: String,
    /// What differs.
    pub what: String,
    /// The last audit entry about it (0: none).
    pub entry: u64,
}

/// Result of verifying the audit trail.
#[derive(Serialize, ToSchema)]
pub struct AuditCheck {
    /// Whether nothing was found wrong: chain, seals, checkpoints and records.
    pub valid: bool,
    /// Entries in the chain.
    pub entries: u64,
    /// The head now (sign it with `GET /api/v1/audit/checkpoint` to publish it).
    pub head: Option<Checkpoint>,
    /// First broken entry of the chain (hash, link or seal).
    pub broken_at: Option<u64>,
    /// Why it is broken, or why a checkpoint fails.
    pub reason: Option<String>,
    /// Checkpoints checked and found in the chain.
    pub checkpoints_checked: usize,
    /// How many records disagree with the trail.
    pub disagreements_total: usize,
    /// The first of them.
    pub disagreements: Vec<DisagreementView>,
}

impl From<AuditReport> for AuditCheck {
    fn from(r: AuditReport) -> AuditCheck {
        let valid = r.intact();
        let (broken_at, reason) = match (&r.chain, &r.checkpoints) {
            (Err(b), _) | (Ok(()), Err(CheckpointError::Break(b))) => {
                (Some(b.seq), Some(b.reason.clone()))
            }
            (Ok(()), Err(e)) => (None, Some(e.to_string())),
            (Ok(()), Ok(_)) => (None, None),
        };
        let checkpoints_checked = *r.checkpoints.as_ref().unwrap_or(&0);
        AuditCheck {
            valid,
            entries: r.entries,
            head: r.head,
            broken_at,
            reason,
            checkpoints_checked,
            disagreements_total: r.disagreements.len(),
            disagreements: r
                .disagreements
                .into_iter()
                .take(DISAGREEMENTS_SHOWN)
                .map(|d| DisagreementView {
                    subject: d.subject,
                    what: d.what,
                    entry: d.seq,
                })
                .collect(),
        }
    }
}

/// Checkpoints published earlier, to check the chain against.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointsIn {
    /// Signed checkpoints (as `GET /api/v1/audit/checkpoint` gave them).
    pub checkpoints: Vec<SignedCheckpoint>,
}

async fn report(s: &AppState, checkpoints: &[SignedCheckpoint]) -> Result<AuditCheck, Problem> {
    let trusted = s.trusted_keys();
    let r = s
        .store
        .audit_report(s.store.seals(), checkpoints, &trusted, s.clock.now())
        .await?;
    Ok(r.into())
}

/// Verify the audit trail: the hash chain, every entry's seal, and that the business
/// tables hold what the trail says (applications, notifications, permits, organisations,
/// users, licences, stored events).
#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200, description = "OK", body = AuditCheck)), security(("bearer" = [])), tag = "operations")]
pub async fn verify_audit(
    State(s): State<AppState>,
    Caller(p, _): Caller,
) -> Result<Json<AuditCheck>, Problem> {
    may(&p, &Operation::VerifyAudit)?;
    Ok(Json(report(&s, &[]).await?))
}

/// Verify the audit trail as `GET` does, and against checkpoints published earlier: a
/// chain cut short, or rewritten up to a published head, fails.
#[utoipa::path(post, path = "/api/v1/audit/verify", request_body = CheckpointsIn, responses((status = 200, description = "OK", body = AuditCheck), (status = 422, description = "invalid input", body = Problem)), security(("bearer" = [])), tag = "operations")]
pub async fn verify_against(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Result<Json<CheckpointsIn>, JsonRejection>,
) -> Result<Json<AuditCheck>, Problem> {
    may(&p, &Operation::VerifyAudit)?;
    let Json(input) = body?;
    // Entries are numbered in the database's signed 64 bits: a larger number names none.
    if let Some((i, c)) = input
        .checkpoints
        .iter()
        .enumerate()
        .find(|(_, c)| i64::try_from(c.checkpoint.seq).is_err())
    {
        return Err(Problem::unprocessable(
            "invalid-body",
            format!(
                "checkpoints[{i}].checkpoint.seq: {} is larger than any entry number",
                c.checkpoint.seq
            ),
        ));
    }
    Ok(Json(report(&s, &input.checkpoints).await?))
}

/// The chain's head signed with the authority's key, to publish outside FentGuard (404
/// while the trail is empty).
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", responses((status = 200, description = "OK", body = SignedCheckpoint), (status = 404, description = "the trail is empty", body = Problem)), security(("bearer" = [])), tag = "operations")]
pub async fn checkpoint(
    State(s): State<AppState>,
    Caller(p, _): Caller,
) -> Result<Json<SignedCheckpoint>, Problem> {
    may(&p, &Operation::VerifyAudit)?;
    let head = s
        .store
        .audit_head()
        .await?
        .ok_or_else(|| Problem::not_found("the audit trail is empty"))?;
    Ok(Json(
        Checkpoint::of(&head, s.clock.now()).sign(&s.signing_key),
    ))
}

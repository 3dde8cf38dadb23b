//! Pre-export notifications over HTTP: public security sends them, the importing
//! country's authority sees only those addressed to its country and replies; after the
//! deadline the jurisdiction's silence rule applies. Each can be downloaded as a document
//! for authorities not on FentGuard.

use crate::auth::Caller;
use crate::paging::{Paged, Paging};
use crate::{api_name, AppState, Problem};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, Uri};
use axum::response::IntoResponse;
use axum::Json;
use cases::notifications::{load, Settled};
use control::{ImporterReply, PreExportNotification};
use serde::Serialize;
use utoipa::ToSchema;

/// The result of a notification step.
#[derive(Serialize, ToSchema)]
pub struct NotificationStep {
    /// Notification id.
    pub id: String,
    /// Notification state.
    pub state: String,
    /// The application's new state.
    pub application_state: String,
    /// What happened.
    pub note: String,
}

fn step(st: Settled) -> Json<NotificationStep> {
    Json(NotificationStep {
        note: st.note(),
        state: api_name(st.notification.state),
        application_state: api_name(st.application_state),
        id: st.notification.id,
    })
}

/// Notifications the caller may see (a foreign authority: those sent to its country).
#[utoipa::path(get, path = "/api/v1/notifications", operation_id = "list_notifications",
    params(Paging), responses((status = 200, description = "OK", body = Vec<control::PreExportNotification>, headers(("Link" = String, description = "the next page, when there is more")))), security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn list(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Paged<PreExportNotification>, Problem> {
    let page = Paging::read(page)?;
    Ok(Paged(cases::notifications::list(&s, &p, &page).await?, uri))
}

/// One notification.
#[utoipa::path(get, path = "/api/v1/notifications/{id}", operation_id = "get_notification", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = control::PreExportNotification), (status = 403, description = "the caller may not do this", body = Problem), (status = 404, description = "not found", body = Problem)),
    security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn get_one(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<PreExportNotification>, Problem> {
    Ok(Json(load(&s, &p, &id).await?.notification))
}

/// The notification as a plain-text document (for authorities not on FentGuard).
#[utoipa::path(get, path = "/api/v1/notifications/{id}/document", params(("id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "text/plain", body = String)), security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn document(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let n = load(&s, &p, &id).await?.notification;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        n.document_text(),
    ))
}

/// Public security sends the notification; the reply deadline starts.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/send", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = NotificationStep), (status = 409, description = "not possible in the current state", body = Problem)), security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn send(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<NotificationStep>, Problem> {
    Ok(step(cases::notifications::send(&s, &p, &id).await?))
}

/// The importing country's authority replies: `{"reply": "no_objection"}`,
/// `{"reply": "objection", "reason": "..."}` or
/// `{"reply": "request_information", "question": "..."}`.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/reply", params(("id" = String, Path)),
    request_body = control::ImporterReply,
    responses((status = 200, description = "OK", body = NotificationStep), (status = 403, description = "the caller may not do this", body = Problem), (status = 409, description = "not possible in the current state", body = Problem)),
    security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn reply(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
    body: Result<Json<ImporterReply>, JsonRejection>,
) -> Result<Json<NotificationStep>, Problem> {
    let stored = cases::notifications::open_for_reply(&s, &p, &id).await?;
    let Json(r) = body?;
    Ok(step(cases::notifications::reply(&s, &p, stored, r).await?))
}

/// After the reply deadline, public security applies the jurisdiction's silence rule.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/lapse", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = NotificationStep), (status = 409, description = "not possible in the current state", body = Problem)), security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn lapse(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<NotificationStep>, Problem> {
    Ok(step(cases::notifications::lapse(&s, &p, &id).await?))
}

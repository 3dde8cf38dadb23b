//! Pre-export notifications over HTTP: public security sends them, the importing
//! country's authority sees only those addressed to its country and replies; after the
//! deadline the jurisdiction's silence rule applies. Each can be downloaded as a document
//! for authorities not on FentGuard.

use crate::applications::{fetch, record};
use crate::auth::Caller;
use crate::paging::{Paged, Paging};
use crate::{api_name, AppState, Problem};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, Uri};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Duration;
use control::{
    may, Action, ImporterReply, NotificationState, Operation, PreExportNotification, Principal,
};
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

async fn load(
    s: &AppState,
    p: &Principal,
    id: &str,
) -> Result<(i64, PreExportNotification), Problem> {
    let (v, n) = s
        .store
        .notification(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no pre-export notification {id}")))?;
    may(
        p,
        &Operation::ReadNotification {
            country: &n.importing_country,
        },
    )?;
    // A foreign authority sees a notification only once it has been sent.
    if p.role == control::Role::ForeignAuthorityOfficer
        && n.state == NotificationState::PendingDispatch
    {
        return Err(Problem::not_found(format!(
            "no pre-export notification {id}"
        )));
    }
    Ok((v, n))
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
    let foreign = p.role == control::Role::ForeignAuthorityOfficer;
    may(
        &p,
        &Operation::ReadNotification {
            country: &p.country,
        },
    )?;
    let page = Paging::read(page)?;
    let mut all = s
        .store
        .notifications_page(foreign.then_some(p.country.as_str()), &page)
        .await?;
    // The page may come out short; its cursor still continues after the last row read.
    all.items
        .retain(|n| !foreign || n.state != NotificationState::PendingDispatch);
    Ok(Paged(all, uri))
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
    Ok(Json(load(&s, &p, &id).await?.1))
}

/// The notification as a plain-text document (for authorities not on FentGuard).
#[utoipa::path(get, path = "/api/v1/notifications/{id}/document", params(("id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "text/plain", body = String)), security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn document(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let (_, n) = load(&s, &p, &id).await?;
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
    may(&p, &Operation::DispatchNotification)?;
    let (v, mut n) = load(&s, &p, &id).await?;
    if n.state != NotificationState::PendingDispatch {
        return Err(Problem::conflict(
            "wrong-state",
            format!(
                "notification {id} was already sent (state {})",
                api_name(n.state)
            ),
        ));
    }
    let now = s.clock.now();
    let before = serde_json::to_value(&n).unwrap_or_default();
    n.state = NotificationState::Sent;
    n.sent_at = Some(now);
    n.reply_deadline = Some(now + Duration::days(s.rules.workflow.notification_reply_days as i64));
    let mut tx = s.store.write().await?;
    tx.put_notification(&n, v).await?;
    tx.audit(
        now,
        &p.user,
        "notification.send",
        &format!("notification/{id}"),
        before,
        serde_json::to_value(&n).unwrap_or_default(),
    )
    .await?;
    tx.commit().await?;
    let (_, d) = fetch(&s, &n.application_id).await?;
    Ok(Json(NotificationStep {
        id,
        state: api_name(n.state),
        application_state: api_name(d.workflow.state),
        note: format!(
            "sent to the competent authority of {}; reply requested by {}",
            n.importing_country,
            n.reply_deadline.map(|d| d.to_rfc3339()).unwrap_or_default()
        ),
    }))
}

async fn settle(
    s: &AppState,
    p: &Principal,
    v: i64,
    mut n: PreExportNotification,
    action: Action,
    audit_action: &str,
) -> Result<Json<NotificationStep>, Problem> {
    let now = s.clock.now();
    let (row, mut d) = fetch(s, &n.application_id).await?;
    let before = serde_json::to_value(&n).unwrap_or_default();
    let to = d.workflow.apply(action.clone(), now)?;
    match &action {
        Action::ImporterReply(reply) => {
            n.reply = Some(reply.clone());
            n.replied_at = Some(now);
            n.replied_by = Some(p.user.clone());
            n.state = match reply {
                // The applicant answers; the notification stays open for the final reply.
                ImporterReply::RequestInformation { question } => {
                    d.open_question = Some(format!("from the importing authority: {question}"));
                    n.reply_deadline = None;
                    NotificationState::Sent
                }
                _ => NotificationState::Answered,
            };
        }
        _ => n.state = NotificationState::Lapsed,
    }
    let mut tx = s.store.write().await?;
    tx.put_notification(&n, v).await?;
    tx.audit(
        now,
        &p.user,
        audit_action,
        &format!("notification/{}", n.id),
        before,
        serde_json::to_value(&n).unwrap_or_default(),
    )
    .await?;
    record(&mut tx, &row, &d, &p.user, audit_action, now).await?;
    tx.commit().await?;
    Ok(Json(NotificationStep {
        id: n.id.clone(),
        state: api_name(n.state),
        application_state: api_name(to),
        note: match to {
            control::State::Verified => {
                "the transaction is confirmed; the licensing officer may decide".into()
            }
            control::State::ObjectionReceived => "no consent: no permit can be issued".into(),
            control::State::AwaitingApplicant => "the applicant must answer first".into(),
            other => format!("application is now {}", api_name(other)),
        },
    }))
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
    let (v, n) = load(&s, &p, &id).await?;
    may(
        &p,
        &Operation::ReplyNotification {
            country: &n.importing_country,
        },
    )?;
    let Json(r) = body?;
    let empty = match &r {
        ImporterReply::Objection { reason } => reason.trim().is_empty(),
        ImporterReply::RequestInformation { question } => question.trim().is_empty(),
        ImporterReply::NoObjection => false,
    };
    if empty {
        return Err(Problem::unprocessable(
            "invalid-body",
            "an objection needs a 'reason' and a request for information a 'question'",
        ));
    }
    if n.state != NotificationState::Sent {
        return Err(Problem::conflict(
            "wrong-state",
            format!(
                "notification {id} is not awaiting a reply (state {})",
                api_name(n.state)
            ),
        ));
    }
    settle(&s, &p, v, n, Action::ImporterReply(r), "notification.reply").await
}

/// After the reply deadline, public security applies the jurisdiction's silence rule.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/lapse", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = NotificationStep), (status = 409, description = "not possible in the current state", body = Problem)), security(("bearer" = [])), tag = "pre-export notifications")]
pub async fn lapse(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<NotificationStep>, Problem> {
    may(&p, &Operation::DispatchNotification)?;
    let (v, n) = load(&s, &p, &id).await?;
    if !n.overdue(s.clock.now()) {
        return Err(Problem::conflict(
            "deadline-not-passed",
            format!(
                "notification {id} is not past its reply deadline ({})",
                n.reply_deadline
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_else(|| "none set".into())
            ),
        ));
    }
    let rule = s.rules.workflow.silence_rule;
    settle(
        &s,
        &p,
        v,
        n,
        Action::ImporterSilence(rule),
        "notification.lapse",
    )
    .await
}

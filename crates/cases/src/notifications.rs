//! Pre-export notifications: public security sends them, the importing country's
//! authority sees only those addressed to its country and replies; after the deadline
//! the jurisdiction's silence rule applies.

use crate::applications::{fetch, record, Case};
use crate::{api_name, CaseError, Code, Services};
use chrono::{DateTime, Duration, Utc};
use control::{
    may, Action, ImporterReply, NotificationState, Operation, PreExportNotification, Principal,
};
use store::{Page, PageRequest};

/// A notification as stored, with its version (for optimistic concurrency).
pub struct Stored {
    /// The version the next write must name.
    pub version: i64,
    /// The notification.
    pub notification: PreExportNotification,
}

/// What a notification step did.
pub struct Settled {
    /// The notification after the step.
    pub notification: PreExportNotification,
    /// The application's state after the step.
    pub application_state: control::State,
    /// Whether this step sent the notification (rather than settling a reply).
    pub sent: bool,
}

impl Settled {
    /// What happened, in the API's English (front ends translate the states instead).
    pub fn note(&self) -> String {
        if self.sent {
            return format!(
                "sent to the competent authority of {}; reply requested by {}",
                self.notification.importing_country,
                self.notification
                    .reply_deadline
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_default()
            );
        }
        match self.application_state {
            control::State::Verified => {
                "the transaction is confirmed; the licensing officer may decide".into()
            }
            control::State::ObjectionReceived => "no consent: no permit can be issued".into(),
            control::State::AwaitingApplicant => "the applicant must answer first".into(),
            other => format!("application is now {}", api_name(other)),
        }
    }
}

/// Load a notification the caller may see. A foreign authority sees it only once sent
/// (before that it does not exist for them).
pub async fn load(s: &Services, p: &Principal, id: &str) -> Result<Stored, CaseError> {
    let not_found = || CaseError::NotFound(format!("no pre-export notification {id}"));
    let (version, notification) = s.store.notification(id).await?.ok_or_else(not_found)?;
    may(
        p,
        &Operation::ReadNotification {
            country: &notification.importing_country,
        },
    )?;
    if p.role == control::Role::ForeignAuthorityOfficer
        && notification.state == NotificationState::PendingDispatch
    {
        return Err(not_found());
    }
    Ok(Stored {
        version,
        notification,
    })
}

/// Notifications the caller may see (a foreign authority: those sent to its country).
/// The page may come out short; its cursor still continues after the last row read.
pub async fn list(
    s: &Services,
    p: &Principal,
    page: &PageRequest,
) -> Result<Page<PreExportNotification>, CaseError> {
    let foreign = p.role == control::Role::ForeignAuthorityOfficer;
    may(
        p,
        &Operation::ReadNotification {
            country: &p.country,
        },
    )?;
    let mut all = s
        .store
        .notifications_page(foreign.then_some(p.country.as_str()), page)
        .await?;
    all.items
        .retain(|n| !foreign || n.state != NotificationState::PendingDispatch);
    Ok(all)
}

/// Public security sends the notification; the reply deadline starts.
pub async fn send(s: &Services, p: &Principal, id: &str) -> Result<Settled, CaseError> {
    may(p, &Operation::DispatchNotification)?;
    let Stored {
        version,
        notification: mut n,
    } = load(s, p, id).await?;
    if n.state != NotificationState::PendingDispatch {
        return Err(CaseError::conflict(
            Code::WrongState,
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
    tx.put_notification(&n, version).await?;
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
    let case = fetch(s, &n.application_id).await?;
    Ok(Settled {
        notification: n,
        application_state: case.dossier.workflow.state,
        sent: true,
    })
}

/// Open a notification for the importing country's authority to reply to. Front ends
/// open it before they read the reply, so a stranger is refused first.
pub async fn open_for_reply(s: &Services, p: &Principal, id: &str) -> Result<Stored, CaseError> {
    let stored = load(s, p, id).await?;
    may(
        p,
        &Operation::ReplyNotification {
            country: &stored.notification.importing_country,
        },
    )?;
    Ok(stored)
}

/// The importing country's authority replies: no objection, objection with a reason, or
/// a request for information (which the applicant answers; the notification stays open).
/// `stored` comes from [`open_for_reply`].
pub async fn reply(
    s: &Services,
    p: &Principal,
    stored: Stored,
    reply: ImporterReply,
) -> Result<Settled, CaseError> {
    let id = stored.notification.id.clone();
    let empty = match &reply {
        ImporterReply::Objection { reason } => reason.trim().is_empty(),
        ImporterReply::RequestInformation { question } => question.trim().is_empty(),
        ImporterReply::NoObjection => false,
    };
    if empty {
        return Err(CaseError::refused(
            Code::InvalidInput,
            "an objection needs a 'reason' and a request for information a 'question'",
        ));
    }
    if stored.notification.state != NotificationState::Sent {
        return Err(CaseError::conflict(
            Code::WrongState,
            format!(
                "notification {id} is not awaiting a reply (state {})",
                api_name(stored.notification.state)
            ),
        ));
    }
    settle(
        s,
        p,
        stored,
        Action::ImporterReply(reply),
        "notification.reply",
    )
    .await
}

/// After the reply deadline, public security applies the jurisdiction's silence rule.
pub async fn lapse(s: &Services, p: &Principal, id: &str) -> Result<Settled, CaseError> {
    may(p, &Operation::DispatchNotification)?;
    let stored = load(s, p, id).await?;
    if !stored.notification.overdue(s.clock.now()) {
        return Err(CaseError::conflict(
            Code::DeadlineNotPassed,
            format!(
                "notification {id} is not past its reply deadline ({})",
                stored
                    .notification
                    .reply_deadline
                    .map(|d: DateTime<Utc>| d.to_rfc3339())
                    .unwrap_or_else(|| "none set".into())
            ),
        ));
    }
    let rule = s.rules.workflow.silence_rule;
    settle(
        s,
        p,
        stored,
        Action::ImporterSilence(rule),
        "notification.lapse",
    )
    .await
}

/// The reply or the silence applied to the notification and its application, both
/// stored with their audit entries in one transaction.
async fn settle(
    s: &Services,
    p: &Principal,
    stored: Stored,
    action: Action,
    audit_action: &str,
) -> Result<Settled, CaseError> {
    let Stored {
        version,
        notification: mut n,
    } = stored;
    let now = s.clock.now();
    let Case { row, mut dossier } = fetch(s, &n.application_id).await?;
    let before = serde_json::to_value(&n).unwrap_or_default();
    let to = dossier.workflow.apply(action.clone(), now)?;
    match &action {
        Action::ImporterReply(reply) => {
            n.reply = Some(reply.clone());
            n.replied_at = Some(now);
            n.replied_by = Some(p.user.clone());
            n.state = match reply {
                // The applicant answers; the notification stays open for the final reply.
                ImporterReply::RequestInformation { question } => {
                    dossier.open_question =
                        Some(format!("from the importing authority: {question}"));
                    n.reply_deadline = None;
                    NotificationState::Sent
                }
                _ => NotificationState::Answered,
            };
        }
        _ => n.state = NotificationState::Lapsed,
    }
    let mut tx = s.store.write().await?;
    tx.put_notification(&n, version).await?;
    tx.audit(
        now,
        &p.user,
        audit_action,
        &format!("notification/{}", n.id),
        before,
        serde_json::to_value(&n).unwrap_or_default(),
    )
    .await?;
    record(&mut tx, &row, &dossier, &p.user, audit_action, now).await?;
    tx.commit().await?;
    Ok(Settled {
        notification: n,
        application_state: to,
        sent: false,
    })
}

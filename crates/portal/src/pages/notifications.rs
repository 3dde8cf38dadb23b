//! Pre-export notifications (`/notifications`, `/notifications/{id}`): for public
//! security, those to send and their reply deadlines, and the replies received; for the
//! importing country's competent authority, the inbox of those sent to its country, each
//! with the fields of the 1988 Convention art. 12(10), and its reply (no objection, an
//! objection with its reason, or a request for information). Through the same use cases
//! as `/api/v1/notifications` (`cases::notifications`).
//!
//! A notification the user may not see (another country's, or one not yet sent, for a
//! foreign authority) is a 404 that tells nothing.

use crate::layout::{Chosen, Nav, Shell};
use crate::pages::{self, cut, error_answer, with_error, Done, StepFields, StepForm};
use crate::session::{forbidden, Forms, SignedIn};
use crate::Lang;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRef, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cases::notifications::Stored;
use cases::signin::Session;
use cases::{api_name, CaseError, Services};
use chrono::{DateTime, Utc};
use control::{ImporterReply, NotificationState, Operation, Party, PreExportNotification, Role};
use maud::{html, Markup};

/// A step on a notification: its form name, whether it needs words (the message id of
/// its text box) and its button's message id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Public security sends it.
    Send,
    /// Public security applies the silence rule after the deadline.
    Lapse,
    /// The importing authority: no objection.
    NoObjection,
    /// The importing authority objects, with its reason.
    Objection,
    /// The importing authority asks for information.
    RequestInformation,
}

const STEPS: [(Step, &str); 5] = [
    (Step::Send, "send"),
    (Step::Lapse, "lapse"),
    (Step::NoObjection, "no_objection"),
    (Step::Objection, "objection"),
    (Step::RequestInformation, "request_information"),
];

fn step_name(s: Step) -> &'static str {
    STEPS.iter().find(|(x, _)| *x == s).map_or("", |(_, n)| *n)
}

/// The steps `session` may take on `n` now: the role's, in the notification's state.
fn available(p: &control::Principal, n: &PreExportNotification, now: DateTime<Utc>) -> Vec<Step> {
    let mut out = Vec::new();
    if control::may(p, &Operation::DispatchNotification).is_ok() {
        if n.state == NotificationState::PendingDispatch {
            out.push(Step::Send);
        }
        if n.overdue(now) {
            out.push(Step::Lapse);
        }
    }
    let replies = control::may(
        p,
        &Operation::ReplyNotification {
            country: &n.importing_country,
        },
    )
    .is_ok();
    if replies && n.state == NotificationState::Sent {
        out.extend([Step::NoObjection, Step::Objection, Step::RequestInformation]);
    }
    out
}

fn shell(chosen: Chosen, session: Session, path: String) -> Shell {
    Shell {
        chosen,
        path,
        nav: Nav::Notifications,
        session: Some(session),
    }
}

/// The reply deadline in words: the date and the days left, or overdue.
fn deadline_text(
    l: Lang,
    n: &PreExportNotification,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> String {
    let Some(d) = n.reply_deadline else {
        return String::new();
    };
    let date = l.day(d, zone);
    if n.state != NotificationState::Sent {
        return date;
    }
    // whole days as people there count them, today to the deadline's day
    let left =
        (d.with_timezone(&zone).date_naive() - now.with_timezone(&zone).date_naive()).num_days();
    if now > d {
        l.t_with("notification-overdue", &[("date", &date)])
    } else {
        l.t_with(
            "notification-days-left",
            &[("date", &date), ("days", &left.to_string())],
        )
    }
}

/// `GET /notifications`.
pub async fn list<S>(State(s): State<S>, chosen: Chosen, SignedIn(session): SignedIn) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let now = s.clock.now();
    let p = session.principal.clone();
    let page = cases::notifications::list(&s, &p, &store::PageRequest::default()).await;
    let shell = shell(chosen, session, "/notifications".into());
    let l = shell.lang();
    let mut status = StatusCode::OK;
    let body = match page {
        Ok(page) if page.items.is_empty() => html! { p { (l.t("notifications-none")) } },
        Ok(page) => html! {
            table {
                thead { tr {
                    th { (l.t("notification")) } th { (l.t("work-state")) } th { (l.t("notification-importing-country")) }
                    th { (l.t("work-substance")) } th.num { (l.t("notification-quantity-kg")) } th { (l.t("notification-reply-deadline")) }
                } }
                tbody { @for n in &page.items { tr {
                    td { a href={ "/notifications/" (n.id) } { code { (n.id) } } }
                    td { (l.t(&format!("notification-state-{}", api_name(n.state)))) }
                    td { (n.importing_country) }
                    td { (n.substance) }
                    td.num { (format!("{:.3}", n.quantity_kg)) }
                    td { (deadline_text(l, n, now, s.rules.workflow.time_zone)) }
                } } }
            }
        },
        Err(e) => {
            let (st, message) = error_answer(l, &e);
            status = st;
            message
        }
    };
    pages::respond(&shell, &l.t("notifications-title"), status, body)
}

/// `GET /notifications/{id}`.
pub async fn show<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    done: Result<Query<Done>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let notice = done
        .map(|Query(d)| d)
        .unwrap_or_default()
        .notice(chosen.lang, "notification-done");
    match cases::notifications::load(&s, &session.principal, &id).await {
        Ok(stored) => page(&s, chosen, session, &stored, notice.as_deref(), None),
        Err(e) => not_shown(chosen, session, &e),
    }
}

/// `POST /notifications/{id}`: one step, then back (303), or the page with what went wrong.
pub async fn act<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    forms: Forms,
    Path(id): Path<String>,
    form: Result<Form<StepFields>, FormRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if !forms.allow(&f.csrf, &session.csrf) {
        return forbidden();
    }
    let s = Services::from_ref(&s);
    let p = session.principal.clone();
    // Opened first: a stranger learns nothing of the step it asked for.
    let stored = match cases::notifications::load(&s, &p, &id).await {
        Ok(x) => x,
        Err(e) => return not_shown(chosen, session, &e),
    };
    let Some(step) = STEPS.iter().find(|(_, n)| *n == f.step).map(|(x, _)| *x) else {
        let e = CaseError::refused(
            cases::Code::InvalidInput,
            format!("step: '{}' is not a step of a notification", cut(&f.step)),
        );
        return page(&s, chosen, session, &stored, None, Some(&e));
    };
    let result = match step {
        Step::Send => cases::notifications::send(&s, &p, &id).await,
        Step::Lapse => cases::notifications::lapse(&s, &p, &id).await,
        Step::NoObjection | Step::Objection | Step::RequestInformation => {
            let r = match step {
                Step::Objection => ImporterReply::Objection { reason: f.text },
                Step::RequestInformation => ImporterReply::RequestInformation { question: f.text },
                _ => ImporterReply::NoObjection,
            };
            match cases::notifications::open_for_reply(&s, &p, &id).await {
                Ok(stored) => cases::notifications::reply(&s, &p, stored, r).await,
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("done", step_name(step))]).unwrap_or_default();
            Redirect::to(&format!("/notifications/{id}?{q}")).into_response()
        }
        Err(e) => match cases::notifications::load(&s, &p, &id).await {
            Ok(stored) => page(&s, chosen, session, &stored, None, Some(&e)),
            Err(again) => not_shown(chosen, session, &again),
        },
    }
}

/// The answer when the notification cannot be shown at all; another country's answers
/// as a missing one.
fn not_shown(chosen: Chosen, session: Session, e: &CaseError) -> Response {
    let shell = shell(chosen, session, "/notifications".into());
    let title = shell.lang().t("notification");
    let back = ("/notifications", "notifications-title");
    pages::not_shown(&shell, e, "no such pre-export notification", &title, back)
}

fn party(p: &Party) -> Markup {
    html! { (p.name) br; (p.address) br; (p.country) }
}

fn reply_text(l: Lang, r: &ImporterReply) -> Markup {
    match r {
        ImporterReply::NoObjection => html! { (l.t("notification-reply-no_objection")) },
        ImporterReply::Objection { reason } => {
            html! { (l.t("notification-reply-objection")) ": " (reason) }
        }
        ImporterReply::RequestInformation { question } => {
            html! { (l.t("notification-reply-request_information")) ": " (question) }
        }
    }
}

fn page(
    s: &Services,
    chosen: Chosen,
    session: Session,
    stored: &Stored,
    notice: Option<&str>,
    error: Option<&CaseError>,
) -> Response {
    let now = s.clock.now();
    let n = &stored.notification;
    let steps = available(&session.principal, n, now);
    let officer = session.principal.role == Role::LicensingOfficer;
    let csrf = session.csrf.clone();
    let shell = shell(chosen, session, format!("/notifications/{}", n.id));
    let l = shell.lang();
    let (status, error) = with_error(l, error);
    let action = format!("/notifications/{}", n.id);
    let body = html! {
        @if let Some(id) = notice { div.notice role="status" { p { (l.t(id)) } } }
        @if let Some(e) = error { (e) }
        dl.facts {
            dt { (l.t("work-state")) } dd.state { (l.t(&format!("notification-state-{}", api_name(n.state)))) }
            @if n.reply_deadline.is_some() {
                dt { (l.t("notification-reply-deadline")) } dd { (deadline_text(l, n, now, s.rules.workflow.time_zone)) }
            }
            @if let Some(r) = &n.reply {
                dt { (l.t("notification-reply")) } dd { (reply_text(l, r)) }
            }
        }
        p { a href={ "/notifications/" (n.id) "/pdf" } download { (l.t("notification-pdf")) } }
        h2 { (l.t("notification-fields")) }
        dl.facts {
            dt { (l.t("notification-exporting-country")) } dd { (n.exporting_country) }
            dt { (l.t("notification-importing-country")) } dd { (n.importing_country) }
            dt { (l.t("notification-notifying-authority")) } dd { (n.notifying_authority) }
            dt { (l.t("work-exporter")) } dd { (party(&n.exporter)) }
            dt { (l.t("case-importer")) } dd { (party(&n.importer)) }
            dt { (l.t("case-consignee")) } dd { (party(&n.consignee)) }
            @if let Some(b) = &n.broker { dt { (l.t("case-broker")) } dd { (party(b)) } }
            dt { (l.t("work-substance")) } dd { (n.substance) }
            @if let Some(cas) = &n.cas { dt { (l.t("permit-pdf-cas")) } dd { (cas) } }
            @if let Some(hs) = &n.hs_code { dt { (l.t("permit-pdf-hs")) } dd { (hs) } }
            dt { (l.t("case-quantity")) } dd {
                (n.quantity_declared) " (" (l.t_with("case-base-kg", &[("kg", &format!("{:.3}", n.quantity_kg))])) ")"
            }
            dt { (l.t("case-route")) } dd {
                (n.point_of_exit) " → " @for t in &n.itinerary { (t) " → " } (n.point_of_entry)
                " (" (l.t_or(&format!("apply-mode-{}", n.transport_mode), &n.transport_mode)) ")"
            }
            dt { (l.t("notification-expected-dispatch")) } dd { (l.date(n.expected_dispatch)) }
            @if let Some(at) = n.sent_at { dt { (l.t("notification-sent")) } dd { (l.moment(at, s.rules.workflow.time_zone)) } }
            @if officer {
                dt { (l.t("notification-application")) } dd { a href={ "/applications/" (n.application_id) } { code { (n.application_id) } } }
            }
        }
        @if !steps.is_empty() {
            h2 { (l.t("case-steps")) }
            @for st in &steps {
                @let name = step_name(*st);
                (StepForm {
                    action: &action,
                    csrf: &csrf,
                    name,
                    label: match st {
                        Step::Objection => Some("notification-objection-reason"),
                        Step::RequestInformation => Some("notification-question"),
                        _ => None,
                    },
                    button: &format!("notification-step-{name}"),
                    danger: matches!(st, Step::Objection | Step::Lapse),
                }.render(l))
            }
        }
    };
    let title = l.t_with("notification-title", &[("id", &n.id)]);
    pages::respond(&shell, &title, status, body)
}

/// `GET /notifications/{id}/pdf`: the pre-export notification to print, for an
/// authority not on FentGuard (and for the file): the art. 12(10) fields with their
/// labels in English and Chinese, the reply deadline as a day where the exporting
/// authority is, and how to reply. For whoever may read the notification
/// (`cases::notifications::load`); anyone else is told there is no such notification.
pub async fn pdf<S>(
    State(state): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Response
where
    Services: FromRef<S>,
    std::sync::Arc<crate::printing::Printing>: FromRef<S>,
{
    let s = Services::from_ref(&state);
    let printing = std::sync::Arc::<crate::printing::Printing>::from_ref(&state);
    let stored = match cases::notifications::load(&s, &session.principal, &id).await {
        Ok(x) => x,
        Err(e) => return not_shown(chosen, session, &e),
    };
    let n = stored.notification;
    let zone = s.rules.workflow.time_zone;
    let country = |code: &str| match s.rules.export.country_name(code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_string(),
    };
    let flow = notification_flow(&n, zone, &country);
    let shell = shell(chosen, session, format!("/notifications/{}", n.id));
    let made = tokio::task::spawn_blocking(move || {
        let fonts = printing.fonts()?;
        documents::flow::flow_pdf(&flow, fonts).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("printing stopped: {e}")));
    match made {
        Ok(bytes) => {
            let file: String =
                n.id.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .take(64)
                    .collect();
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"pre-export-notification-{file}.pdf\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(why) => {
            let l = shell.lang();
            let body = html! {
                div.error role="alert" { p { (l.t("permit-print-unavailable")) } p.detail { (why) } }
            };
            pages::respond(
                &shell,
                &l.t("notification-pdf"),
                StatusCode::SERVICE_UNAVAILABLE,
                body,
            )
        }
    }
}

/// The label `id` in English and Chinese.
fn both(id: &str) -> documents::Bilingual {
    Lang::ALL.map(|l| l.t(id))
}

/// What the printed notification says.
fn notification_flow(
    n: &PreExportNotification,
    zone: chrono_tz::Tz,
    country: &dyn Fn(&str) -> String,
) -> documents::flow::Flow {
    use documents::flow::{Block, Flow};
    let party = |p: &control::Party| vec![p.name.clone(), p.address.clone(), country(&p.country)];
    let field = |id: &str, values: Vec<String>| Block::Field {
        label: both(id),
        values,
    };
    let days = |at: DateTime<Utc>| Lang::ALL.map(|l| l.day(at, zone)).join(" / ");
    let mut blocks = vec![
        Block::Title(both("notification-pdf-title")),
        Block::Note(
            Lang::ALL
                .map(|l| l.t("notification-pdf-convention"))
                .join(" / "),
        ),
        field("notification-pdf-number", vec![n.id.clone()]),
        field(
            "notification-notifying-authority",
            vec![n.notifying_authority.clone(), country(&n.exporting_country)],
        ),
        field(
            "notification-pdf-to",
            vec![Lang::ALL
                .map(|l| {
                    l.t_with(
                        "notification-pdf-authority-of",
                        &[("country", &country(&n.importing_country))],
                    )
                })
                .join(" / ")],
        ),
        Block::Rule,
        field("work-exporter", party(&n.exporter)),
        field("case-importer", party(&n.importer)),
        field("case-consignee", party(&n.consignee)),
    ];
    if let Some(b) = &n.broker {
        blocks.push(field("case-broker", party(b)));
    }
    blocks.extend([
        Block::Rule,
        field("work-substance", vec![n.substance.clone()]),
    ]);
    if let Some(cas) = &n.cas {
        blocks.push(field("permit-pdf-cas", vec![cas.clone()]));
    }
    if let Some(hs) = &n.hs_code {
        blocks.push(field("permit-pdf-hs", vec![hs.clone()]));
    }
    blocks.extend([
        field(
            "case-quantity",
            vec![format!("{} ({:.3} kg)", n.quantity_declared, n.quantity_kg)],
        ),
        field("notification-pdf-exit", vec![n.point_of_exit.clone()]),
        field("notification-pdf-entry", vec![n.point_of_entry.clone()]),
        field(
            "notification-pdf-transport",
            vec![Lang::ALL
                .map(|l| {
                    l.t_or(
                        &format!("apply-mode-{}", n.transport_mode),
                        &n.transport_mode,
                    )
                })
                .join(" / ")],
        ),
    ]);
    if !n.itinerary.is_empty() {
        blocks.push(field(
            "notification-pdf-transit",
            vec![n
                .itinerary
                .iter()
                .map(|c| country(c))
                .collect::<Vec<_>>()
                .join(", ")],
        ));
    }
    blocks.push(field(
        "notification-expected-dispatch",
        vec![Lang::ALL.map(|l| l.date(n.expected_dispatch)).join(" / ")],
    ));
    if let Some(at) = n.sent_at {
        blocks.push(field("notification-sent", vec![days(at)]));
    }
    if let Some(at) = n.reply_deadline {
        blocks.push(field("notification-reply-deadline", vec![days(at)]));
    }
    blocks.push(Block::Rule);
    for l in Lang::ALL {
        blocks.push(Block::Text(
            l.t_with("notification-pdf-how-to-reply", &[("id", &n.id)]),
        ));
    }
    let title = both("notification-pdf-title");
    Flow {
        title: format!("{} {} / {}", title[0], n.id, title[1]),
        footer: format!(
            "FentGuard {} · {} {}",
            env!("CARGO_PKG_VERSION"),
            title[0],
            n.id
        ),
        blocks,
    }
}

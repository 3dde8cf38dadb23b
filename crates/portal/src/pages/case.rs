//! The case page of an export application (`/applications/{id}`): the form as filed,
//! the review clock, the risk factors with their points and reasons, the documents, the
//! open question or the decision, and the history from the audit trail; below it the
//! steps the signed-in user may take now (`cases::applications::available`), each a form
//! posting to the same address.
//!
//! Who may see the case is `cases::applications::open` (an exporter its own, an
//! authority's officer any): another enterprise's case is a 404 page, as if it did not
//! exist, never its contents.

use crate::layout::{Chosen, Nav, Shell};
use crate::pages::{self, cut, with_error, Done, StepFields, StepForm};
use crate::session::{forbidden, Forms, SignedIn};
use crate::Lang;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRef, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use cases::applications::{Available, Case, DecisionIn, Outcome, ReviewClock};
use cases::signin::Session;
use cases::{CaseError, Services};
use control::Party;
use maud::{html, Markup};

/// Every step, with its form name and its button's message.
const STEPS: [(Available, &str); 6] = [
    (Available::RequestInformation, "request_information"),
    (Available::Forward, "forward"),
    (Available::Approve, "approve"),
    (Available::Refuse, "refuse"),
    (Available::ProvideInformation, "provide_information"),
    (Available::Withdraw, "withdraw"),
];

fn step_name(a: Available) -> &'static str {
    STEPS.iter().find(|(s, _)| *s == a).map_or("", |(_, n)| *n)
}

/// An outcome's name in the `done` query (and in the message ids `case-done-…`).
fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::AwaitingApplicant => "awaiting_applicant",
        Outcome::AnswerRecorded => "answer_recorded",
        Outcome::Forwarded => "forwarded",
        Outcome::ApprovalProposed => "approval_proposed",
        Outcome::Refused => "refused",
        Outcome::Approved { .. } => "approved",
        Outcome::Withdrawn => "withdrawn",
    }
}

/// `GET /applications/{id}`.
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
        .notice(chosen.lang, "case-done");
    match cases::applications::open(&s, &session.principal, &id).await {
        Ok(case) => page(&s, chosen, session, &case, notice.as_deref(), None).await,
        Err(e) => not_shown(chosen, session, &e),
    }
}

/// `GET /applications/{id}/documents/{sha256}`: a document of the case, for whoever may
/// read the case (`cases::applications::document`): PDF, images and plain text shown in
/// the browser, anything else saved; another case's document, or a stranger's request,
/// is the case page's 404.
pub async fn document<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    Path((id, sha256)): Path<(String, String)>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    match cases::applications::document(&s, &session.principal, &id, &sha256).await {
        Ok(d) => {
            let (kind, inline) = cases::applications::document_type(&d.document.filename);
            (
                [
                    (axum::http::header::CONTENT_TYPE, kind.to_string()),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        cases::applications::document_disposition(&d.document.filename, inline),
                    ),
                    (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
                ],
                d.bytes,
            )
                .into_response()
        }
        Err(e) => not_shown(chosen, session, &e),
    }
}

/// `POST /applications/{id}`: one step, then back to the case page (303), or the case
/// page again with what went wrong.
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
    let p = &session.principal;
    // The case is opened first: a stranger learns nothing of the step it asked for.
    let case = match cases::applications::open(&s, p, &id).await {
        Ok(c) => c,
        Err(e) => return not_shown(chosen, session, &e),
    };
    let Some(step) = STEPS.iter().find(|(_, n)| *n == f.step).map(|(a, _)| *a) else {
        let e = CaseError::refused(
            cases::Code::InvalidInput,
            format!("step: '{}' is not a step of a case", cut(&f.step)),
        );
        return page(&s, chosen, session, &case, None, Some(&e)).await;
    };
    let text = f.text;
    let result = match step {
        Available::RequestInformation => {
            cases::applications::request_information(&s, p, &id, text).await
        }
        Available::Forward => cases::applications::forward(&s, p, &id).await,
        Available::Approve => cases::applications::decide(&s, p, &id, DecisionIn::Approve).await,
        Available::Refuse => {
            cases::applications::decide(&s, p, &id, DecisionIn::Refuse { reasons: text }).await
        }
        Available::ProvideInformation => match cases::applications::as_applicant(p, case) {
            Ok(c) => cases::applications::provide_information(&s, p, c, text, &[]).await,
            Err(e) => Err(e),
        },
        Available::Withdraw => cases::applications::withdraw(&s, p, &id).await,
    };
    match result {
        Ok(st) => {
            let q = serde_urlencoded::to_string([("done", outcome_name(&st.outcome))])
                .unwrap_or_default();
            Redirect::to(&format!("/applications/{}?{q}", st.dossier.id)).into_response()
        }
        // Shown on the case as it is now (the step changed nothing).
        Err(e) => match cases::applications::open(&s, p, &id).await {
            Ok(case) => page(&s, chosen, session, &case, None, Some(&e)).await,
            Err(again) => not_shown(chosen, session, &again),
        },
    }
}

/// The answer when the case cannot be shown at all (not found, not the caller's, storage).
fn not_shown(chosen: Chosen, session: Session, e: &CaseError) -> Response {
    let shell = Shell {
        chosen,
        path: "/work".into(),
        nav: Nav::Work,
        session: Some(session),
    };
    let title = shell.lang().t("case-title-unknown");
    // Another enterprise's case answers as a missing one.
    pages::not_shown(
        &shell,
        e,
        "no such export application",
        &title,
        ("/work", "nav-work"),
    )
}

fn party(l: Lang, p: &Option<Party>) -> Markup {
    match p {
        Some(p) => html! { (p.name) br; (p.address) br; (p.country) },
        None => html! { em { (l.t("case-none")) } },
    }
}

/// The case page, with a notice of what the last step did or the error of this one.
async fn page(
    s: &Services,
    chosen: Chosen,
    session: Session,
    case: &Case,
    notice: Option<&str>,
    error: Option<&CaseError>,
) -> Response {
    let now = s.clock.now();
    let d = &case.dossier;
    let p = session.principal.clone();
    let steps = cases::applications::available(case, &p, now);
    let history = cases::applications::history(s, case).await;
    // The permit's verification page with its code, for those who may read the permit
    // (the exporter hands the code to its forwarder and to customs).
    let verify_link = match &d.permit {
        Some(number) => cases::permits::read(s, &p, number).await.ok().map(|r| {
            format!(
                "/verify?{}",
                serde_urlencoded::to_string([
                    ("number", number.as_str()),
                    ("code", r.signed.verification_code().as_str()),
                ])
                .unwrap_or_default()
            )
        }),
        None => None,
    };
    let authority = p.role != control::Role::ComplianceOfficer;
    let reads_notifications = control::may(
        &p,
        &control::Operation::ReadNotification {
            country: &d.details.destination,
        },
    )
    .is_ok();
    let clock = ReviewClock::of(d, now);
    let shell = Shell {
        chosen,
        path: format!("/applications/{}", d.id),
        nav: Nav::Work,
        session: Some(session.clone()),
    };
    let l = shell.lang();
    let zone = s.rules.workflow.time_zone;
    let (status, error) = with_error(l, error);
    let det = &d.details;
    let title = l.t_with("case-title", &[("id", &d.id)]);
    let body = html! {
        @if let Some(n) = notice {
            div.notice role="status" {
                p { (l.t(n)) }
                @if let Some(permit) = &d.permit { p { (l.t_with("case-permit-issued", &[("permit", permit)])) } }
            }
        }
        @if let Some(e) = error { (e) }
        dl.facts {
            dt { (l.t("work-state")) } dd.state { (l.t(&format!("state-{}", case.row.state))) }
            dt { (l.t("case-clock")) } dd { (clock_text(l, &clock, zone)) }
            dt { (l.t("work-exporter")) } dd { (d.exporter.name) }
            dt { (l.t("work-substance")) } dd {
                (d.substance.name)
                @for id in &d.substance.substance_ids { " " code { (id) } }
            }
            dt { (l.t("case-quantity")) } dd {
                (det.quantity)
                @if (d.substance.base_kg - d.substance.declared_kg).abs() > 1e-9 {
                    " (" (l.t_with("case-base-kg", &[("kg", &format!("{:.3}", d.substance.base_kg))])) ")"
                }
            }
            dt { (l.t("work-destination")) } dd { (det.destination) }
            dt { (l.t("case-importer")) } dd { (party(l, &det.importer)) }
            dt { (l.t("case-consignee")) } dd { (party(l, &det.consignee)) }
            @if det.broker.is_some() { dt { (l.t("case-broker")) } dd { (party(l, &det.broker)) } }
            dt { (l.t("case-dispatch")) } dd { (det.planned_dispatch.map(|t| l.date(t)).unwrap_or_default()) }
            dt { (l.t("case-route")) } dd {
                (det.point_of_exit) " → " @for t in &det.itinerary { (t) " → " } (det.point_of_entry)
                " (" (det.transport_mode) ")"
            }
            dt { (l.t("case-end-use")) } dd { (det.end_use) }
            dt { (l.t("case-contract")) } dd { (det.contract_reference) }
            @if let Some(n) = &d.notification {
                dt { (l.t("case-notification")) }
                dd { @if reads_notifications { a href={ "/notifications/" (n) } { code { (n) } } } @else { code { (n) } } }
            }
            @if let Some(permit) = &d.permit {
                dt { (l.t("case-permit")) }
                dd {
                    code { (permit) }
                    @if let Some(href) = &verify_link {
                        " " a href=(href) { (l.t("case-permit-verify")) }
                        " · " a href={ "/permits/" (permit) "/pdf" } download { (l.t("case-permit-pdf")) }
                    }
                }
            }
        }
        @if !d.substance.warnings.is_empty() {
            div.warnings { h2 { (l.t("case-warnings")) } ul { @for w in &d.substance.warnings { li { (w) } } } }
        }
        @if let Some(q) = &d.open_question {
            section.question { h2 { (l.t("case-open-question")) } p { (q) } }
        }
        @if let Some(r) = &d.refusal_reasons {
            section.refusal { h2 { (l.t("case-refusal-reasons")) } p { (r) } }
        }
        @if let Some(first) = &d.pending_approval {
            div.notice { p { (l.t_with("case-pending-approval", &[("officer", first)])) } }
        }
        h2 { (l.t("case-risk")) }
        p { (l.t_with("case-risk-summary", &[("level", &l.t(&format!("risk-{}", cases::api_name(d.risk.level)))), ("score", &d.risk.score.to_string())])) }
        @if !d.risk.reasons.is_empty() {
            table.risk {
                thead { tr { th { (l.t("case-risk-factor")) } th.num { (l.t("case-risk-points")) } th { (l.t("case-risk-reason")) } } }
                tbody { @for r in &d.risk.reasons { tr { td { code { (r.code) } } td.num { (r.points) } td { (r.text) } } } }
            }
        }
        h2 { (l.t("case-documents")) }
        @if d.documents.is_empty() { p { (l.t("case-no-documents")) } } @else {
            table {
                thead { tr { th { (l.t("case-document-kind")) } th { (l.t("case-document-file")) } th.num { (l.t("case-document-size")) } th { "SHA-256" } } }
                tbody { @for doc in &d.documents { tr {
                    td { (l.t_or(&format!("document-{}", doc.kind), &doc.kind)) }
                    td { a href={ "/applications/" (d.id) "/documents/" (doc.sha256) } { (doc.filename) } }
                    td.num { (doc.size) } td { code.hash title=(doc.sha256) { (doc.sha256.get(..12).unwrap_or(&doc.sha256)) "…" } }
                } } }
            }
        }
        @if !steps.is_empty() {
            h2 { (l.t("case-steps")) }
            @for a in &steps { (step_form(l, &session, &d.id, *a)) }
        }
        h2 { (l.t("case-history")) }
        @match &history {
            Ok(entries) => {
                table.history {
                    thead { tr { th { (l.t("case-history-when")) } @if authority { th { (l.t("case-history-who")) } } th { (l.t("case-history-what")) } } }
                    tbody { @for e in entries { tr {
                        td { (l.moment(e.at, zone)) }
                        @if authority { td { (e.actor) } }
                        td { (l.t_or(&format!("audit-{}", e.action.replace('.', "-")), &e.action)) }
                    } } }
                }
            }
            Err(e) => { div.error role="alert" { p { (l.t("error-unavailable")) } p.detail { (e.to_string()) } } }
        }
    };
    pages::respond(&shell, &title, status, body)
}

fn clock_text(l: Lang, c: &ReviewClock, zone: chrono_tz::Tz) -> String {
    let used = format!("{:.0}", c.used_days.floor());
    let days = c.review_days.to_string();
    let deadline = c.deadline.map(|t| l.day(t, zone)).unwrap_or_default();
    let id = if c.overdue {
        "case-clock-overdue"
    } else if c.paused {
        "case-clock-paused"
    } else {
        "case-clock-running"
    };
    l.t_with(
        id,
        &[("used", &used), ("days", &days), ("deadline", &deadline)],
    )
}

/// The form of one step: a text box where the step needs words.
fn step_form(l: Lang, session: &Session, id: &str, a: Available) -> Markup {
    let name = step_name(a);
    let label = match a {
        Available::RequestInformation => Some("case-question"),
        Available::Refuse => Some("case-reasons"),
        Available::ProvideInformation => Some("case-answer"),
        _ => None,
    };
    StepForm {
        action: &format!("/applications/{id}"),
        csrf: &session.csrf,
        name,
        label,
        button: &format!("case-step-{name}"),
        danger: matches!(a, Available::Refuse | Available::Withdraw),
    }
    .render(l)
}

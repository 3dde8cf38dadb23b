//! Receipts (`/receipts`, the importing country's authority): look up a permit for its
//! country by number or by scanning its QR code, see what left under it, and endorse the
//! quantity received; a difference beyond the tolerance raises an alert that the
//! exporting country's authority weighs once it confirms it. Through
//! `cases::permits::open_for_receipt` and `endorse_receipt`, as
//! `POST /api/v1/permits/{number}/receipt`.

use super::customs::permit_facts;
use crate::layout::{Chosen, Nav, Shell};
use crate::pages::{self, cut, error_answer};
use crate::session::{forbidden, Forms, SignedIn};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRef, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cases::{CaseError, Services};
use maud::html;
use serde::Deserialize;

/// The lookup: a permit number, or the text of its QR code.
#[derive(Debug, Default, Deserialize)]
pub struct Lookup {
    /// What was typed or scanned.
    #[serde(default)]
    pub permit: String,
    /// What the last step did.
    #[serde(default)]
    pub done: String,
}

/// The endorsement form.
#[derive(Debug, Default, Deserialize)]
pub struct Endorsement {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    permit: String,
    #[serde(default)]
    received_kg: String,
}

fn shell(chosen: Chosen, session: cases::signin::Session) -> Shell {
    Shell {
        chosen,
        path: "/receipts".into(),
        nav: Nav::Receipts,
        session: Some(session),
    }
}

/// `GET /receipts`.
pub async fn show<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    lookup: Result<Query<Lookup>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let p = session.principal.clone();
    let csrf = session.csrf.clone();
    let shell = shell(chosen, session);
    let l = shell.lang();
    let q = lookup.map(|Query(q)| q).unwrap_or_default();
    let number = documents::permit_reference(&q.permit)
        .map(|(n, _)| n)
        .unwrap_or_else(|| q.permit.trim().to_string());
    let (status, found) = if number.is_empty() {
        (StatusCode::OK, html! {})
    } else {
        match cases::permits::open_for_receipt(&s, &p, &number).await {
            Ok(rec) => {
                let notice = match q.done.as_str() {
                    "endorsed" => Some(l.t("receipts-done")),
                    "difference" => Some(l.t("receipts-done-difference")),
                    _ => None,
                };
                let body = html! {
                    @if let Some(n) = notice { div.notice role="status" { p { (n) } } }
                    (permit_facts(l, &rec))
                    @match rec.received_kg {
                        Some(kg) => {
                            p { (l.t_with("receipts-endorsed", &[("kg", &format!("{kg:.3}"))])) }
                        }
                        None if !rec.shipped => { p { (l.t("receipts-not-shipped")) } }
                        None => {
                            h2 { (l.t("receipts-endorse")) }
                            p { (l.t_with("receipts-exited", &[("kg", &format!("{:.3}", rec.exited_kg))])) }
                            form method="post" action="/receipts" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="permit" value=(rec.signed.permit.number);
                                label for="received_kg" { (l.t("receipts-received")) }
                                p.hint { (l.t("customs-quantity-hint")) }
                                input #received_kg name="received_kg" required inputmode="decimal";
                                button type="submit" { (l.t("receipts-submit")) }
                            }
                        }
                    }
                };
                (StatusCode::OK, body)
            }
            Err(e) => error_answer(l, &e),
        }
    };
    let title = l.t("receipts-title");
    pages::respond(
        &shell,
        &title,
        status,
        html! {
            p { (l.t("receipts-intro")) }
            form method="get" action="/receipts" {
                label for="permit" { (l.t("customs-permit-number")) }
                p.hint #permit-hint { (l.t("customs-permit-hint")) }
                input #permit name="permit" value=(number) required spellcheck="false" autocomplete="off" aria-describedby="permit-hint";
                button type="submit" { (l.t("customs-look-up")) }
            }
            (found)
        },
    )
}

/// `POST /receipts`: the endorsement, then back to the permit (303).
pub async fn endorse<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    forms: Forms,
    form: Result<Form<Endorsement>, FormRejection>,
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
    let shell = shell(chosen, session);
    let l = shell.lang();
    let title = l.t("receipts-title");
    // Opened first: a stranger is refused before its quantity is read.
    let rec = match cases::permits::open_for_receipt(&s, &p, f.permit.trim()).await {
        Ok(r) => r,
        Err(e) => {
            let (st, m) = error_answer(l, &e);
            return pages::respond(&shell, &title, st, m);
        }
    };
    let number = rec.signed.permit.number.clone();
    let Ok(kg) = f.received_kg.trim().replace(',', ".").parse::<f64>() else {
        let e = CaseError::refused(
            cases::Code::InvalidInput,
            format!(
                "received_kg: '{}' is not a number of kg",
                cut(&f.received_kg)
            ),
        );
        let (st, m) = error_answer(l, &e);
        return pages::respond(&shell, &title, st, m);
    };
    match cases::permits::endorse_receipt(&s, &p, rec, kg).await {
        Ok(r) => {
            let done = if r.alert.is_some() {
                "difference"
            } else {
                "endorsed"
            };
            let query = serde_urlencoded::to_string([("permit", number.as_str()), ("done", done)])
                .unwrap_or_default();
            Redirect::to(&format!("/receipts?{query}")).into_response()
        }
        Err(e) => {
            let (st, m) = error_answer(l, &e);
            pages::respond(&shell, &title, st, m)
        }
    }
}

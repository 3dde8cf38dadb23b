//! Customs (`/customs`): look a permit up by its number (what the QR code carries), see
//! its record, and lodge the declaration against it as the goods are presented; the
//! answer (`/customs/declarations/{id}`) is released, with the kg left on the permit, or
//! held with each reason; a released declaration's exit is confirmed there. Through
//! `cases::permits` (`read`, `declare`, `declaration`, `confirm_exit`), as
//! `/api/v1/customs/declarations`.

use crate::layout::{Chosen, Nav, Shell};
use crate::pages::{self, cut, error_answer, with_error, Done, StepFields, StepForm};
use crate::session::{forbidden, Forms, SignedIn};
use crate::Lang;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cases::signin::Session;
use cases::{CaseError, Services};
use control::{CustomsOutcome, Declaration, Operation};
use maud::{html, Markup};
use serde::Deserialize;
use store::{DeclarationRecord, PermitRecord};

/// The lookup's field.
#[derive(Debug, Default, Deserialize)]
pub struct Lookup {
    /// The permit's number.
    #[serde(default)]
    pub permit: String,
}

/// The declaration's fields, as the goods are declared.
#[derive(Debug, Default, Deserialize)]
pub struct DeclarationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    permit_number: String,
    #[serde(default)]
    exporter: String,
    #[serde(default)]
    importer: String,
    #[serde(default)]
    substance: String,
    #[serde(default)]
    quantity_kg: String,
    #[serde(default)]
    destination: String,
}

fn shell(chosen: Chosen, session: Session, path: String) -> Shell {
    Shell {
        chosen,
        path,
        nav: Nav::Customs,
        session: Some(session),
    }
}

fn respond(shell: Shell, status: StatusCode, body: Markup) -> Response {
    let title = shell.lang().t("customs-title");
    pages::respond(&shell, &title, status, body)
}

/// `GET /customs`: the lookup, and for a permit found its record and the declaration form.
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
    let shell = shell(chosen, session, "/customs".into());
    let l = shell.lang();
    if let Err(e) = control::may(&p, &Operation::Customs) {
        let (st, m) = error_answer(l, &e.into());
        return respond(shell, st, m);
    }
    let typed = lookup.map(|Query(q)| q.permit).unwrap_or_default();
    // a number typed, or the QR code's text a scanner typed into the box
    let number = documents::permit_reference(&typed)
        .map(|(n, _)| n)
        .unwrap_or(typed);
    let number = number.trim();
    let (status, found) = if number.is_empty() {
        (StatusCode::OK, html! {})
    } else {
        match cases::permits::read(&s, &p, number).await {
            Ok(rec) => {
                let form = DeclarationForm {
                    permit_number: rec.signed.permit.number.clone(),
                    ..DeclarationForm::default()
                };
                (
                    StatusCode::OK,
                    html! { (permit_facts(l, &rec)) (declaration_form(l, &csrf, &form)) },
                )
            }
            Err(e) => error_answer(l, &e),
        }
    };
    respond(shell, status, html! { (lookup_form(l, number)) (found) })
}

fn lookup_form(l: Lang, number: &str) -> Markup {
    html! {
        form method="get" action="/customs" {
            label for="permit" { (l.t("customs-permit-number")) }
            p.hint #permit-hint { (l.t("customs-permit-hint")) }
            input #permit name="permit" value=(number) required spellcheck="false" autocomplete="off" aria-describedby="permit-hint";
            button type="submit" { (l.t("customs-look-up")) }
        }
    }
}

/// A permit's record as an officer at a border reads it (customs, the importing
/// authority's receipts page).
pub(crate) fn permit_facts(l: Lang, r: &PermitRecord) -> Markup {
    let p = &r.signed.permit;
    html! {
        section.answer aria-labelledby="permit-title" {
            h2 #permit-title { (l.t_with("customs-permit", &[("number", &p.number)])) }
            dl.facts {
                dt { (l.t("work-exporter")) } dd { (p.exporter.name) }
                dt { (l.t("case-importer")) } dd { (p.importer.name) }
                dt { (l.t("work-substance")) } dd { (p.substance) }
                dt { (l.t("verify-quantity")) } dd { (format!("{:.3}", p.quantity_kg)) " kg" }
                dt { (l.t("customs-drawn")) } dd { (format!("{:.3}", r.drawn_kg)) " kg" }
                dt { (l.t("work-destination")) } dd { (p.destination) }
                dt { (l.t("verify-valid")) } dd { (l.date(p.valid_from)) " – " (l.date(p.valid_until)) }
                @if r.revoked { dt { (l.t("work-state")) } dd { strong { (l.t("verify-standing-revoked")) } } }
                @if r.shipped { dt { (l.t("work-state")) } dd { strong { (l.t("verify-standing-exhausted")) } } }
            }
        }
    }
}

fn declaration_form(l: Lang, csrf: &str, f: &DeclarationForm) -> Markup {
    let field = |name: &str, value: &str, hint: Option<&str>| {
        html! {
            label for=(name) { (l.t(&format!("customs-{}", name.replace('_', "-")))) }
            @if let Some(h) = hint { p.hint { (l.t(h)) } }
            input id=(name) name=(name) value=(value) required;
        }
    };
    html! {
        h2 { (l.t("customs-declaration")) }
        p { (l.t("customs-declaration-intro")) }
        form method="post" action="/customs" {
            input type="hidden" name="csrf" value=(csrf);
            (field("permit_number", &f.permit_number, None))
            (field("exporter", &f.exporter, None))
            (field("importer", &f.importer, None))
            (field("substance", &f.substance, None))
            (field("quantity_kg", &f.quantity_kg, Some("customs-quantity-hint")))
            (field("destination", &f.destination, Some("apply-country-hint")))
            button type="submit" { (l.t("customs-lodge")) }
        }
    }
}

/// `POST /customs`: lodge the declaration, then its answer (303), or the form again
/// with what is wrong.
pub async fn lodge<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    forms: Forms,
    form: Result<Form<DeclarationForm>, FormRejection>,
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
    let csrf = session.csrf.clone();
    let shell = shell(chosen, session, "/customs".into());
    let l = shell.lang();
    let quantity = f.quantity_kg.trim().replace(',', ".");
    let Ok(quantity_kg) = quantity.parse::<f64>() else {
        let e = CaseError::refused(
            cases::Code::InvalidInput,
            format!(
                "quantity_kg: '{}' is not a number of kg",
                cut(&f.quantity_kg)
            ),
        );
        let (st, m) = error_answer(l, &e);
        return respond(shell, st, html! { (m) (declaration_form(l, &csrf, &f)) });
    };
    let declaration = Declaration {
        permit_number: f.permit_number.trim().to_string(),
        exporter: f.exporter.trim().to_string(),
        importer: f.importer.trim().to_string(),
        substance: f.substance.trim().to_string(),
        quantity_kg,
        destination: f.destination.trim().to_ascii_uppercase(),
        date: s.clock.now().date_naive(),
    };
    match cases::permits::declare(&s, &p, declaration).await {
        Ok(lodged) => {
            Redirect::to(&format!("/customs/declarations/{}", lodged.record.id)).into_response()
        }
        Err(e) => {
            let (st, m) = error_answer(l, &e);
            respond(shell, st, html! { (m) (declaration_form(l, &csrf, &f)) })
        }
    }
}

/// `GET /customs/declarations/{id}`: released or held, with each reason.
pub async fn declaration<S>(
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
        .notice(chosen.lang, "customs-done");
    let p = session.principal.clone();
    match cases::permits::declaration(&s, &p, &id).await {
        Ok(d) => {
            let remaining = match cases::permits::read(&s, &p, &d.declaration.permit_number).await {
                Ok(r) => Some(r.signed.permit.quantity_kg - r.drawn_kg),
                Err(_) => None,
            };
            outcome(chosen, session, &d, remaining, notice.as_deref(), None)
        }
        Err(e) => not_shown(chosen, session, &e),
    }
}

/// `POST /customs/declarations/{id}`: the exit confirmed (`step=exit`), then back (303).
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
    let d = match cases::permits::declaration(&s, &p, &id).await {
        Ok(d) => d,
        Err(e) => return not_shown(chosen, session, &e),
    };
    let result = if f.step == "exit" {
        cases::permits::confirm_exit(&s, &p, &id).await.map(|_| ())
    } else {
        Err(CaseError::refused(
            cases::Code::InvalidInput,
            format!("step: '{}' is not a step of a declaration", cut(&f.step)),
        ))
    };
    match result {
        Ok(()) => Redirect::to(&format!("/customs/declarations/{id}?done=exit")).into_response(),
        Err(e) => outcome(chosen, session, &d, None, None, Some(&e)),
    }
}

fn not_shown(chosen: Chosen, session: Session, e: &CaseError) -> Response {
    let shell = shell(chosen, session, "/customs".into());
    let l = shell.lang();
    let (st, m) = error_answer(l, e);
    respond(
        shell,
        st,
        html! { (m) p { a href="/customs" { (l.t("customs-title")) } } },
    )
}

fn outcome(
    chosen: Chosen,
    session: Session,
    d: &DeclarationRecord,
    remaining_kg: Option<f64>,
    notice: Option<&str>,
    error: Option<&CaseError>,
) -> Response {
    let csrf = session.csrf.clone();
    let shell = shell(chosen, session, format!("/customs/declarations/{}", d.id));
    let l = shell.lang();
    let (status, error) = with_error(l, error);
    let x = &d.declaration;
    let released = matches!(d.outcome, CustomsOutcome::Release { .. });
    let body = html! {
        @if let Some(id) = notice { div.notice role="status" { p { (l.t(id)) } } }
        @if let Some(e) = error { (e) }
        section.answer aria-labelledby="outcome" {
            p #outcome class={ "standing " (if released { "good" } else { "bad" }) } role="status" {
                strong { (l.t(if released { "customs-released" } else { "customs-held" })) }
            }
            @if let CustomsOutcome::Hold { reasons } = &d.outcome {
                h2 { (l.t("customs-reasons")) }
                ul.reasons { @for r in reasons { li { (r) } } }
            }
            dl.facts {
                dt { (l.t("customs-declaration-id")) } dd { code { (d.id) } }
                dt { (l.t("customs-permit-number")) } dd { a href={ "/customs?" (serde_urlencoded::to_string([("permit", &x.permit_number)]).unwrap_or_default()) } { code { (x.permit_number) } } }
                dt { (l.t("customs-exporter")) } dd { (x.exporter) }
                dt { (l.t("customs-importer")) } dd { (x.importer) }
                dt { (l.t("customs-substance")) } dd { (x.substance) }
                dt { (l.t("customs-quantity-kg")) } dd { (format!("{:.3}", x.quantity_kg)) " kg" }
                dt { (l.t("customs-destination")) } dd { (x.destination) }
                @if let Some(kg) = remaining_kg { dt { (l.t("verify-remaining")) } dd { (format!("{kg:.3}")) " kg" } }
                @if d.exited { dt { (l.t("work-state")) } dd { (l.t("customs-exited")) } }
            }
        }
        @if released && !d.exited {
            (StepForm {
                action: &format!("/customs/declarations/{}", d.id),
                csrf: &csrf,
                name: "exit",
                label: None,
                button: "customs-step-exit",
                danger: false,
            }.render(l))
        }
        p { a href="/customs" { (l.t("customs-next")) } }
    };
    respond(shell, status, body)
}

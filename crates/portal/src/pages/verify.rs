//! Verify a permit (`/verify?number=…&code=…`), for anyone and without signing in: a
//! page a border officer can read at a glance. With the number: whether the permit
//! stands (valid, with the kg left; or not yet valid, expired, revoked, used up, or not
//! genuine), its validity and whether its signature verifies. With the code printed on
//! the permit and in its QR code as well: the whole signed permit (parties, substance,
//! quantity, destination). Through `cases::permits::verify`, as
//! `GET /api/v1/permits/{number}/verify`.
//!
//! Fail safe: a number that is not on file, or a wrong code, is said as such, never
//! shown as a permit.

use crate::layout::{Chosen, Nav, Shell};
use crate::pages::{self, error_answer};
use crate::session::Visitor;
use crate::Lang;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, State};
use axum::response::Response;
use cases::permits::{Standing, Verification};
use cases::{api_name, Services};
use maud::{html, Markup};
use serde::Deserialize;

/// The form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct VerifyForm {
    /// The permit's number.
    #[serde(default)]
    pub number: String,
    /// The verification code printed on the permit (optional).
    #[serde(default)]
    pub code: String,
}

/// `GET /verify`.
pub async fn show<S>(
    State(s): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    form: Result<Query<VerifyForm>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let mut f = form.map(|Query(f)| f).unwrap_or_default();
    // The QR code's text, typed by a scanner into the number box, names both.
    if let Some((number, code)) = documents::permit_reference(&f.number) {
        f.number = number;
        if let Some(code) = code {
            f.code = code;
        }
    }
    let shell = Shell {
        chosen,
        path: "/verify".into(),
        nav: Nav::Verify,
        session: visitor.session,
    };
    let l = shell.lang();
    let (status, answer) = if f.number.trim().is_empty() {
        (axum::http::StatusCode::OK, html! {})
    } else {
        match cases::permits::verify(&s, &f.number, Some(f.code.as_str())).await {
            Ok(v) => (axum::http::StatusCode::OK, verification(l, &v)),
            Err(e) => error_answer(l, &e),
        }
    };
    pages::respond(
        &shell,
        &l.t("verify-title"),
        status,
        html! {
            p { (l.t("verify-intro")) }
            form method="get" action="/verify" {
                label for="number" { (l.t("verify-number")) }
                input #number name="number" value=(f.number) required spellcheck="false" autocomplete="off";
                label for="code" { (l.t("verify-code")) }
                p.hint #code-hint { (l.t("verify-code-hint")) }
                input #code name="code" value=(f.code) spellcheck="false" autocomplete="off" aria-describedby="code-hint";
                button type="submit" { (l.t("verify-submit")) }
            }
            (answer)
        },
    )
}

/// The message id of a standing (also the CSS class of its banner).
fn standing_id(s: Standing) -> String {
    format!("verify-standing-{}", api_name(s))
}

fn verification(l: Lang, v: &Verification) -> Markup {
    let good = v.standing == Standing::Valid;
    html! {
        section.answer aria-labelledby="verdict" {
            p #verdict class={ "standing " (if good { "good" } else { "bad" }) } role="status" {
                strong { (l.t(&standing_id(v.standing))) }
            }
            dl.facts {
                dt { (l.t("verify-number")) } dd { code { (v.number) } }
                dt { (l.t("verify-valid")) } dd { (l.date(v.valid_from)) " – " (l.date(v.valid_until)) }
                @if let Some(kg) = v.remaining_kg { dt { (l.t("verify-remaining")) } dd { (format!("{kg:.3}")) " kg" } }
                dt { (l.t("verify-signature")) } dd {
                    (l.t(if v.signature_valid { "verify-signature-good" } else { "verify-signature-bad" }))
                }
                @if let Some(sp) = &v.signed {
                    @let p = &sp.permit;
                    dt { (l.t("verify-issuer")) } dd { (p.issuer) }
                    dt { (l.t("work-exporter")) } dd { (p.exporter.name) br; (p.exporter.address) br; (p.exporter.country) }
                    dt { (l.t("case-importer")) } dd { (p.importer.name) br; (p.importer.address) br; (p.importer.country) }
                    dt { (l.t("case-consignee")) } dd { (p.consignee.name) br; (p.consignee.address) br; (p.consignee.country) }
                    dt { (l.t("work-substance")) } dd { (p.substance) }
                    @if let Some(cas) = &p.cas { dt { (l.t("permit-pdf-cas")) } dd { (cas) } }
                    @if let Some(hs) = &p.hs_code { dt { (l.t("permit-pdf-hs")) } dd { (hs) } }
                    dt { (l.t("verify-quantity")) } dd { (format!("{:.3}", p.quantity_kg)) " kg" }
                    dt { (l.t("work-destination")) } dd { (p.destination) }
                    dt { (l.t("verify-key")) } dd { code.hash { (sp.key) } }
                }
            }
            @if v.signed.is_none() { p.hint { (l.t("verify-more-with-code")) } }
        }
    }
}

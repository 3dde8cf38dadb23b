//! A new export application (`/applications/new`), for an exporter's compliance officer:
//! the goods, the parties, the shipment and the documents the jurisdiction asks for, in
//! one form posted as `multipart/form-data` to the same use case as
//! `POST /api/v1/export-applications` (`cases::applications::submit`).
//!
//! "Licence needed?" is answered beside the goods by `cases::substances::export_check`,
//! the same answer as `POST /api/v1/export-checks`: without JavaScript by the form's
//! *Check* button (the form comes back filled in, files aside), with it live as the
//! substance, quantity, destination or date change (`assets/portal.js` fetches the
//! panel from `/applications/new/licence`).

use crate::layout::{Chosen, Nav, Shell};
use crate::pages::{self, error_answer};
use crate::session::{forbidden, Forms, SignedIn};
use crate::Lang;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use cases::substances::ExportQuestion;
use cases::{CaseError, Services};
use control::{ApplicationForm, DocumentUpload, Operation, Party};
use law::{ExportAnswer, ExportDecision};
use maud::{html, Markup};
use serde::Deserialize;

/// The form's text fields, as posted (every one may be missing or blank).
#[derive(Debug, Default)]
pub struct Fields {
    csrf: String,
    action: String,
    substance: String,
    quantity: String,
    mixture: String,
    destination: String,
    planned_dispatch: String,
    importer_name: String,
    importer_address: String,
    importer_country: String,
    consignee_name: String,
    consignee_address: String,
    consignee_country: String,
    point_of_exit: String,
    point_of_entry: String,
    transport_mode: String,
    contract_reference: String,
    end_use: String,
}

impl Fields {
    /// Sets the field `name` (a part of another name is ignored, as a form's extra
    /// inputs are).
    fn set(&mut self, name: &str, value: String) {
        let field = match name {
            "csrf" => &mut self.csrf,
            "action" => &mut self.action,
            "substance" => &mut self.substance,
            "quantity" => &mut self.quantity,
            "mixture" => &mut self.mixture,
            "destination" => &mut self.destination,
            "planned_dispatch" => &mut self.planned_dispatch,
            "importer_name" => &mut self.importer_name,
            "importer_address" => &mut self.importer_address,
            "importer_country" => &mut self.importer_country,
            "consignee_name" => &mut self.consignee_name,
            "consignee_address" => &mut self.consignee_address,
            "consignee_country" => &mut self.consignee_country,
            "point_of_exit" => &mut self.point_of_exit,
            "point_of_entry" => &mut self.point_of_entry,
            "transport_mode" => &mut self.transport_mode,
            "contract_reference" => &mut self.contract_reference,
            "end_use" => &mut self.end_use,
            _ => return,
        };
        *field = value;
    }
}

/// The goods the live panel asks about (`GET /applications/new/licence`).
#[derive(Debug, Default, Deserialize)]
pub struct Goods {
    #[serde(default)]
    substance: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    mixture: String,
    #[serde(default)]
    destination: String,
    #[serde(default)]
    planned_dispatch: String,
}

/// Transport modes offered (the form's values; their labels are `apply-mode-…`).
const MODES: [&str; 5] = ["sea", "air", "road", "rail", "post"];

/// The most form parts read from one request: the form has 18 fields and a file per
/// document kind; anything beyond is not a browser's form.
const MAX_PARTS: usize = 64;

fn shell(chosen: Chosen, session: cases::signin::Session) -> Shell {
    Shell {
        chosen,
        path: "/applications/new".into(),
        nav: Nav::Work,
        session: Some(session),
    }
}

/// `GET /applications/new`.
pub async fn show<S>(State(s): State<S>, chosen: Chosen, SignedIn(session): SignedIn) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    if let Err(e) = control::may(&session.principal, &Operation::SubmitApplication) {
        return denied(chosen, session, e.into());
    }
    let csrf = session.csrf.clone();
    let shell = shell(chosen, session);
    render(&s, &shell, &csrf, &Fields::default(), None, StatusCode::OK)
}

/// `GET /applications/new/licence`: the "licence needed?" panel alone, for the live form.
pub async fn licence<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(_): SignedIn,
    goods: Result<Query<Goods>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let g = goods.map(|Query(g)| g).unwrap_or_default();
    let panel = licence_panel(chosen.lang, answer(&s, &g).as_ref());
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(panel.into_string()),
    )
        .into_response()
}

/// `POST /applications/new`: *Check* shows the form again with the answer; *Submit*
/// files the application and goes to its case page (303), or shows what is missing.
pub async fn submit<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    forms: Forms,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let (fields, documents) = match read(multipart).await {
        Ok(x) => x,
        // Not a form this page sent (its token cannot even be read): nothing is done.
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    if !forms.allow(&fields.csrf, &session.csrf) {
        return forbidden();
    }
    let p = session.principal.clone();
    if let Err(e) = control::may(&p, &Operation::SubmitApplication) {
        return denied(chosen, session, e.into());
    }
    let csrf = session.csrf.clone();
    let shell = shell(chosen, session);
    if fields.action != "submit" {
        return render(&s, &shell, &csrf, &fields, None, StatusCode::OK);
    }
    match cases::applications::submit(&s, &p, application(&fields, documents)).await {
        Ok(sub) => match sub.filed {
            Some(f) => Redirect::to(&format!("/applications/{}?done=submitted", f.dossier.id))
                .into_response(),
            // No licence needed: nothing filed; the panel says so.
            None => render(&s, &shell, &csrf, &fields, None, StatusCode::OK),
        },
        Err(e) => {
            let status = error_answer(shell.lang(), &e).0;
            render(&s, &shell, &csrf, &fields, Some(&e), status)
        }
    }
}

/// The form's fields and files. A file part is a document of the kind its name says
/// (`document-<kind>`); an empty file input (nothing chosen) is no document.
async fn read(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(Fields, Vec<DocumentUpload>), String> {
    let mut m = multipart.map_err(|e| format!("the form could not be read: {e}"))?;
    let mut fields = Fields::default();
    let mut documents = Vec::new();
    for _ in 0..MAX_PARTS {
        let Some(part) = m
            .next_field()
            .await
            .map_err(|e| format!("the form could not be read: {e}"))?
        else {
            return Ok((fields, documents));
        };
        let name = part.name().unwrap_or_default().to_string();
        if let Some(kind) = name.strip_prefix("document-") {
            let kind = kind.to_string();
            let filename = part.file_name().unwrap_or_default().to_string();
            let bytes = part
                .bytes()
                .await
                .map_err(|e| format!("document {kind}: {e}"))?;
            if !bytes.is_empty() || !filename.is_empty() {
                documents.push(DocumentUpload {
                    kind,
                    filename,
                    content_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
                });
            }
        } else {
            let value = part
                .text()
                .await
                .map_err(|e| format!("field {name}: {e}"))?;
            fields.set(&name, value);
        }
    }
    Err(format!("the form has more than {MAX_PARTS} parts"))
}

fn party(name: &str, address: &str, country: &str) -> Option<Party> {
    let blank = [name, address, country].iter().all(|s| s.trim().is_empty());
    (!blank).then(|| Party {
        name: name.trim().to_string(),
        address: address.trim().to_string(),
        country: country.trim().to_ascii_uppercase(),
    })
}

fn application(f: &Fields, documents: Vec<DocumentUpload>) -> ApplicationForm {
    ApplicationForm {
        importer: party(&f.importer_name, &f.importer_address, &f.importer_country),
        consignee: party(
            &f.consignee_name,
            &f.consignee_address,
            &f.consignee_country,
        ),
        broker: None,
        substance: f.substance.trim().to_string(),
        quantity: f.quantity.trim().to_string(),
        mixture: Some(f.mixture.trim().to_string()).filter(|m| !m.is_empty()),
        destination: f.destination.trim().to_ascii_uppercase(),
        point_of_exit: f.point_of_exit.trim().to_string(),
        point_of_entry: f.point_of_entry.trim().to_string(),
        transport_mode: f.transport_mode.trim().to_string(),
        itinerary: Vec::new(),
        planned_dispatch: f.planned_dispatch.trim().parse().ok(),
        contract_reference: f.contract_reference.trim().to_string(),
        end_use: f.end_use.trim().to_string(),
        documents,
    }
}

/// The export check for the goods as filled in so far; `None` until substance and
/// destination are given (nothing to judge yet, which is not "no licence required").
fn answer(s: &Services, g: &Goods) -> Option<Result<ExportAnswer, CaseError>> {
    let (substance, destination) = (g.substance.trim(), g.destination.trim());
    if substance.is_empty() || destination.is_empty() {
        return None;
    }
    let destination = destination.to_ascii_uppercase();
    let quantity = Some(g.quantity.trim()).filter(|q| !q.is_empty());
    let mixture = Some(g.mixture.trim()).filter(|m| !m.is_empty());
    Some(cases::substances::export_check(
        s,
        &ExportQuestion {
            substance,
            destination: &destination,
            quantity,
            date: g.planned_dispatch.trim().parse().ok(),
            mixture,
            from: None,
        },
    ))
}

fn decision_id(d: ExportDecision) -> &'static str {
    match d {
        ExportDecision::LicenceRequired => "apply-licence-required",
        ExportDecision::NoLicenceRequired => "apply-no-licence-required",
        ExportDecision::Undetermined => "apply-licence-undetermined",
        ExportDecision::Prohibited => "apply-licence-prohibited",
    }
}

/// The "licence needed?" panel's content.
fn licence_panel(l: Lang, a: Option<&Result<ExportAnswer, CaseError>>) -> Markup {
    html! {
        h2 #licence-title { (l.t("apply-licence")) }
        @match a {
            None => p.hint { (l.t("apply-licence-waiting")) },
            Some(Err(e)) => (error_answer(l, e).1),
            Some(Ok(a)) => {
                p class={ "decision " (decision_id(a.decision)) } { strong { (l.t(decision_id(a.decision))) } }
                @if let Some(name) = &a.substance { p { (l.t("check-name")) ": " (name) } }
                @if let Some(q) = &a.quantity {
                    p { (l.t_with("case-base-kg", &[("kg", &format!("{:.3}", q.base_equivalent_kg))])) }
                }
                @for r in &a.regimes {
                    p { (r.authority) " · " (r.basis) }
                }
                @if !a.reasons.is_empty() { ul.reasons { @for r in &a.reasons { li { (r) } } } }
                @if !a.warnings.is_empty() {
                    div.warnings { h3 { (l.t("case-warnings")) } ul { @for w in &a.warnings { li { (w) } } } }
                }
            }
        }
    }
}

fn text_field(l: Lang, name: &str, value: &str, extra: Markup) -> Markup {
    html! {
        label for=(name) { (l.t(&format!("apply-{}", name.replace('_', "-")))) }
        (extra)
        input id=(name) name=(name) value=(value);
    }
}

fn render(
    s: &Services,
    shell: &Shell,
    csrf: &str,
    f: &Fields,
    error: Option<&CaseError>,
    status: StatusCode,
) -> Response {
    let l = shell.lang();
    let goods = Goods {
        substance: f.substance.clone(),
        quantity: f.quantity.clone(),
        mixture: f.mixture.clone(),
        destination: f.destination.clone(),
        planned_dispatch: f.planned_dispatch.clone(),
    };
    let answer = answer(s, &goods);
    let rules = &s.rules.workflow;
    let none = html! {};
    let mode = if f.transport_mode.is_empty() {
        "sea"
    } else {
        &f.transport_mode
    };
    let body = html! {
        @if let Some(e) = error { (error_answer(l, e).1) }
        p { (l.t("apply-intro")) }
        form.application method="post" action="/applications/new" enctype="multipart/form-data" data-licence="/applications/new/licence" {
            input type="hidden" name="csrf" value=(csrf);
            fieldset {
                legend { (l.t("apply-goods")) }
                label for="substance" { (l.t("apply-substance")) }
                p.hint #substance-hint { (l.t("check-input-hint")) }
                input #substance name="substance" value=(f.substance) required spellcheck="false" aria-describedby="substance-hint";
                (text_field(l, "quantity", &f.quantity, html! { p.hint { (l.t("apply-quantity-hint")) } }))
                (text_field(l, "mixture", &f.mixture, html! { p.hint { (l.t("apply-mixture-hint")) } }))
                (text_field(l, "destination", &f.destination, html! { p.hint { (l.t("apply-country-hint")) } }))
                label for="planned_dispatch" { (l.t("apply-planned-dispatch")) }
                input #planned_dispatch type="date" name="planned_dispatch" value=(f.planned_dispatch);
                button type="submit" name="action" value="check" { (l.t("apply-check")) }
            }
            section #licence .licence aria-live="polite" aria-labelledby="licence-title" {
                (licence_panel(l, answer.as_ref()))
            }
            @for (who, name, address, country) in [
                ("importer", &f.importer_name, &f.importer_address, &f.importer_country),
                ("consignee", &f.consignee_name, &f.consignee_address, &f.consignee_country),
            ] {
                fieldset {
                    legend { (l.t(&format!("case-{who}"))) }
                    (text_field(l, &format!("{who}_name"), name, none.clone()))
                    (text_field(l, &format!("{who}_address"), address, none.clone()))
                    (text_field(l, &format!("{who}_country"), country, html! { p.hint { (l.t("apply-country-hint")) } }))
                }
            }
            fieldset {
                legend { (l.t("apply-shipment")) }
                (text_field(l, "point_of_exit", &f.point_of_exit, none.clone()))
                (text_field(l, "point_of_entry", &f.point_of_entry, none.clone()))
                label for="transport_mode" { (l.t("apply-transport-mode")) }
                select #transport_mode name="transport_mode" {
                    @for m in MODES {
                        option value=(m) selected[m == mode] { (l.t(&format!("apply-mode-{m}"))) }
                    }
                }
                (text_field(l, "contract_reference", &f.contract_reference, none.clone()))
                label for="end_use" { (l.t("apply-end-use")) }
                textarea #end_use name="end_use" rows="2" { (f.end_use) }
            }
            fieldset {
                legend { (l.t("case-documents")) }
                p.hint { (l.t("apply-documents-hint")) }
                @for kind in rules.required_documents.iter().chain(&rules.lawful_use_documents) {
                    label for={ "document-" (kind) } {
                        (l.t_or(&format!("document-{kind}"), kind))
                        @if rules.required_documents.contains(kind) { " " (l.t("apply-required")) }
                    }
                    input type="file" id={ "document-" (kind) } name={ "document-" (kind) };
                }
            }
            button type="submit" name="action" value="submit" { (l.t("apply-submit")) }
        }
        script src="/assets/portal.js" defer {}
    };
    pages::respond(shell, &l.t("apply-title"), status, body)
}

/// The page for a user whose role may not file applications.
fn denied(chosen: Chosen, session: cases::signin::Session, e: CaseError) -> Response {
    let shell = shell(chosen, session);
    let l = shell.lang();
    let (status, message) = error_answer(l, &e);
    pages::respond(&shell, &l.t("apply-title"), status, message)
}

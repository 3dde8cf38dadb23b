//! Check a chemical: a name, CAS number, InChIKey, SMILES or molfile in, the verdict per
//! jurisdiction out, with the conditions, reasons, atoms, listings and the date of the
//! law; "did you mean" for names not on file. The same use case as
//! `POST /api/v1/classifications` (`cases::substances::classify`).

use crate::i18n::Lang;
use crate::layout::{Chosen, Nav, Shell};
use crate::session::Visitor;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRef, Query, State};
use axum::response::Response;
use cases::{CaseError, Services};
use chrono::NaiveDate;
use law::{Classification, Status, Verdict};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

/// The form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct CheckForm {
    /// What to check.
    #[serde(default)]
    pub q: String,
    /// The law as it stood on this date (`YYYY-MM-DD`; empty: today).
    #[serde(default)]
    pub date: String,
}

/// `GET /check` (the empty form, or an answer for `?q=`: the "did you mean" links).
pub async fn show<S>(
    State(s): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    form: Result<Query<CheckForm>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let form = form.map(|Query(f)| f).unwrap_or_default();
    answer(Services::from_ref(&s), chosen, visitor, form).await
}

/// `POST /check` (the form; a molfile is too long for a link).
pub async fn submit<S>(
    State(s): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    form: Result<Form<CheckForm>, FormRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let form = form.map(|Form(f)| f).unwrap_or_default();
    answer(Services::from_ref(&s), chosen, visitor, form).await
}

/// `POST /check/file` (multipart): a molfile or SD file uploaded instead of typed; its
/// first record is checked as if pasted into the box.
pub async fn file<S>(
    State(s): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let mut form = CheckForm::default();
    if let Ok(mut m) = multipart {
        for _ in 0..4 {
            let Ok(Some(part)) = m.next_field().await else {
                break;
            };
            match part.name().unwrap_or_default() {
                "date" => form.date = part.text().await.unwrap_or_default(),
                "file" => {
                    let bytes = part.bytes().await.unwrap_or_default();
                    let text = String::from_utf8_lossy(&bytes);
                    // an SD file's first record (the batch check reads them all)
                    form.q = text.split("$$$$").next().unwrap_or_default().to_string();
                }
                _ => {}
            }
        }
    }
    answer(Services::from_ref(&s), chosen, visitor, form).await
}

async fn answer(s: Services, chosen: Chosen, visitor: Visitor, form: CheckForm) -> Response {
    let shell = Shell {
        chosen,
        path: "/check".into(),
        nav: Nav::Check,
        session: visitor.session,
    };
    let l = shell.lang();
    let date = form.date.trim();
    let parsed_date = if date.is_empty() {
        Ok(None)
    } else {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").map(Some)
    };
    let outcome = match (parsed_date, form.q.trim()) {
        (_, "") => html! {},
        (Err(_), _) => error(&l.t_with("check-bad-date", &[("date", date)])),
        (Ok(d), q) => {
            // Judging and drawing are bounded but not instant (a quarter of a second for
            // the largest bridged system the limits allow): off the request threads.
            let q = q.to_string();
            tokio::task::spawn_blocking(move || judged(&s, l, &q, d))
                .await
                .unwrap_or_else(|e| error(&e.to_string()))
        }
    };
    shell.render(
        &l.t("check-title"),
        html! {
            form method="post" action="/check" data-draw {
                label for="q" { (l.t("check-input-label")) }
                p.hint #q-hint { (l.t("check-input-hint")) }
                textarea #q name="q" rows="4" required aria-describedby="q-hint" spellcheck="false" { (form.q) }
                // The structure editor, for browsers with scripts (assets/draw.js).
                button.secondary #draw type="button" hidden { (l.t("check-draw")) }
                div #editor.editor hidden {
                    p.hint { (l.t("check-draw-hint")) " " a href="/assets/openchemlib.LICENSE.txt" { "OpenChemLib" } }
                    div.canvas tabindex="0" role="application" aria-label=(l.t("check-draw-label")) {}
                }
                label for="date" { (l.t("check-date-label")) }
                input #date type="date" name="date" value=(date);
                div.buttons {
                    button type="submit" { (l.t("check-submit")) }
                    button.secondary type="submit" formaction="/check/report.pdf" { (l.t("check-report-button")) }
                }
            }
            form.file method="post" action="/check/file" enctype="multipart/form-data" {
                label for="file" { (l.t("check-file-label")) }
                input #file type="file" name="file" accept=".mol,.sdf,.sd,.mdl,.txt";
                input type="hidden" name="date" value=(date);
                button.secondary type="submit" { (l.t("check-file-submit")) }
            }
            p { a href="/check/batch" { (l.t("check-batch-link")) } }
            (outcome)
            script type="module" src="/assets/draw.js" {}
        },
    )
}

/// The answer for `q` as the law stood on `date`, drawn; or why there is none.
fn judged(s: &Services, l: Lang, q: &str, date: Option<NaiveDate>) -> Markup {
    match cases::substances::check(s, q, date, law::Jurisdictions::All) {
        Ok(c) => {
            let reader = Reader {
                l,
                classifier: &s.rules.classifier,
                drawn: c.drawn(),
            };
            reader.classification(&c.classification)
        }
        Err(e) => refusal(l, &e),
    }
}

fn error(text: &str) -> Markup {
    html! { div.error role="alert" { p { (text) } } }
}

fn refusal(l: Lang, e: &CaseError) -> Markup {
    match e {
        CaseError::Input(law::InputError::TooLarge(limit)) => {
            error(&l.t_with("check-too-large", &[("limit", &limit.to_string())]))
        }
        CaseError::Input(i) => html! {
            div.error role="alert" {
                p { (l.t("check-not-recognised")) }
                p.detail { (i.to_string()) }
                @if !i.did_you_mean().is_empty() {
                    p { (l.t("check-did-you-mean")) }
                    ul.suggestions {
                        @for name in i.did_you_mean() {
                            li { a href={ "/check?" (serde_urlencoded::to_string([("q", name)]).unwrap_or_default()) } { (name) } }
                        }
                    }
                }
            }
        },
        other => error(&other.to_string()),
    }
}

pub(crate) fn status_id(s: Status) -> &'static str {
    match s {
        Status::Controlled => "status-controlled",
        Status::Undetermined => "status-undetermined",
        Status::NotControlled => "status-not-controlled",
    }
}

/// What the answer is read with: the language, the definitions' wording, and the
/// structure as drawn (or why it is not).
pub(crate) struct Reader<'a> {
    pub(crate) l: Lang,
    pub(crate) classifier: &'a law::Classifier,
    pub(crate) drawn: Option<(
        &'a chem::Molecule,
        Result<&'a chem::layout::Layout, &'a chem::layout::LayoutError>,
    )>,
}

impl Reader<'_> {
    fn classification(&self, c: &Classification) -> Markup {
        let l = self.l;
        html! {
            section.answer aria-labelledby="answer-title" {
                h2 #answer-title { (l.t("check-answer")) }
                dl.facts {
                    @if let Some(name) = &c.name { dt { (l.t("check-name")) } dd { (name) } }
                    @if let Some(smiles) = &c.parent_smiles { dt { (l.t("check-smiles")) } dd { code { (smiles) } } }
                    @if let Some(key) = &c.parent_inchikey { dt { "InChIKey" } dd { code { (key) } } }
                    dt { (l.t("check-law-date")) } dd { (l.date(c.date)) }
                }
                @if let Some((_, Err(chem::layout::LayoutError::TooLarge { atoms, max }))) = &self.drawn {
                    p.notice { (l.t_with("check-not-drawn", &[("atoms", &atoms.to_string()), ("max", &max.to_string())])) }
                }
                @for v in &c.verdicts { (self.verdict(v)) }
                @if !c.other_listings.is_empty() {
                    h3 { (l.t("check-other-listings")) }
                    table {
                        thead { tr { th { (l.t("check-jurisdiction")) } th { (l.t("check-list")) } th { (l.t("check-entry")) } th { (l.t("check-category")) } th { (l.t("check-from")) } } }
                        tbody {
                            @for o in &c.other_listings {
                                tr { td { (o.jurisdiction) } td { (o.listing.list) } td { (o.listing.entry) } td { (o.listing.category) } td { (o.listing.effective_from.map(|d| l.date(d)).unwrap_or_else(|| l.t("check-no-date"))) } }
                            }
                        }
                    }
                }
                @if !c.notes.is_empty() {
                    h3 { (l.t("check-notes")) }
                    ul { @for n in &c.notes { li { (n) } } }
                }
            }
        }
    }

    /// A region's name in the reader's words: the core's parts, a condition with the
    /// law's wording of it, or a change the definition does not list.
    pub(crate) fn region_name(&self, definition: &str, key: &str) -> String {
        let l = self.l;
        if let Some(label) = key.strip_prefix("condition_") {
            let name = l.t_with("check-region-condition", &[("label", label)]);
            return match self.classifier.condition_text(definition, label) {
                Some(text) => format!("{name}: {text}"),
                None => name,
            };
        }
        if let Some(region) = key.strip_suffix("_unlisted") {
            let part = l.t_or(&format!("check-part-{region}"), region);
            return l.t_with("check-region-unlisted", &[("part", &part)]);
        }
        l.t_or(&format!("check-region-{key}"), key)
    }

    fn verdict(&self, v: &Verdict) -> Markup {
        let l = self.l;
        let jurisdiction = l.t(&format!("jurisdiction-{}", v.jurisdiction));
        let regions = v
            .generic
            .as_ref()
            .map(|g| documents::drawing::regions(&g.atoms))
            .unwrap_or_default();
        let definition = v
            .generic
            .as_ref()
            .map(|g| g.definition.as_str())
            .unwrap_or_default();
        html! {
            article.verdict {
                h3 {
                    (jurisdiction) " "
                    span class={ "status " (status_id(v.status)) } { (l.t(status_id(v.status))) }
                }
                @if let Some((mol, Ok(layout))) = &self.drawn {
                    figure.structure {
                        (PreEscaped(documents::drawing::draw(mol, layout, &documents::drawing::Options {
                            highlights: regions.iter().map(|r| r.highlight.clone()).collect(),
                            numbers: true,
                        }).svg(&l.t_with("check-drawing-title", &[("jurisdiction", &jurisdiction)]))))
                        @if !regions.is_empty() {
                            figcaption {
                                ul.legend {
                                    @for r in &regions {
                                        li {
                                            svg.swatch width="14" height="14" aria-hidden="true" {
                                                rect width="14" height="14" fill=(r.highlight.colour.hex()) {}
                                            }
                                            " " (self.region_name(definition, &r.key))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(g) = &v.generic {
                    h4 { (l.t("check-generic")) }
                    p { (g.instrument) " · " (l.t_with("check-in-force-from", &[("date", &g.in_force_from)])) }
                    @if !g.conditions.is_empty() {
                        p { (l.t("check-conditions")) " " @for (i, c) in g.conditions.iter().enumerate() { @if i > 0 { ", " } code { (c) } } }
                    }
                    @if !g.reasons.is_empty() {
                        ul.reasons { @for r in &g.reasons { li { (r) } } }
                    }
                    @if !g.atoms.is_empty() {
                        table.atoms {
                            caption { (l.t("check-atoms-caption")) }
                            thead { tr { th { (l.t("check-region")) } th { (l.t("check-atoms")) } } }
                            tbody {
                                @for r in &regions {
                                    tr {
                                        td { (self.region_name(definition, &r.key)) }
                                        td { (r.highlight.atoms.iter().map(|a| (a + 1).to_string()).collect::<Vec<_>>().join(", ")) }
                                    }
                                }
                            }
                        }
                    }
                    @if !g.flags.is_empty() {
                        p.flags { (l.t("check-flags")) " " @for f in &g.flags { code { (f) } " " } }
                    }
                }
                @if !v.listings.is_empty() {
                    h4 { (l.t("check-listings")) }
                    table {
                        thead { tr { th { (l.t("check-list")) } th { (l.t("check-entry")) } th { (l.t("check-category")) } th { (l.t("check-from")) } th { (l.t("check-instrument")) } } }
                        tbody {
                            @for x in &v.listings {
                                tr {
                                    td { (x.list) }
                                    td { (x.entry) }
                                    td { (x.category) }
                                    td { (x.effective_from.map(|d| l.date(d)).unwrap_or_else(|| l.t("check-no-date"))) }
                                    td { (x.instrument) }
                                }
                            }
                        }
                    }
                }
                @if !v.undetermined_because.is_empty() {
                    h4 { (l.t("check-undetermined-because")) }
                    ul { @for r in &v.undetermined_because { li { (r) } } }
                }
            }
        }
    }
}

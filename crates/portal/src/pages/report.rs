//! The classification report to print (`GET`/`POST /check/report.pdf`, anyone): what
//! "Check a chemical" answers, as an A4 PDF: the input, the structure drawn with the
//! regions of each jurisdiction's definition marked and a legend, the verdicts with their
//! conditions, reasons and listings, the date of the law applied, when it was made and by
//! which FentGuard. Labels in English and Chinese; the rest in the reader's language.
//! The same use case as the page (`cases::substances::check`), the same drawing
//! (`documents::drawing`).

use super::check::{status_id, CheckForm, Reader};
use crate::layout::{Chosen, Nav, Shell};
use crate::pages;
use crate::printing::Printing;
use crate::session::Visitor;
use crate::Lang;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRef, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use cases::Services;
use chrono::NaiveDate;
use documents::flow::{Block, Flow};
use documents::Bilingual;
use maud::html;
use std::sync::Arc;

/// `GET /check/report.pdf?q=&date=`.
pub async fn show<S>(
    State(state): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    form: Result<Query<CheckForm>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
    Arc<Printing>: FromRef<S>,
{
    let form = form.map(|Query(f)| f).unwrap_or_default();
    report(state, chosen, visitor, form).await
}

/// `POST /check/report.pdf` (the check form's second button; a molfile is too long for
/// a link).
pub async fn submit<S>(
    State(state): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    form: Result<Form<CheckForm>, FormRejection>,
) -> Response
where
    Services: FromRef<S>,
    Arc<Printing>: FromRef<S>,
{
    let form = form.map(|Form(f)| f).unwrap_or_default();
    report(state, chosen, visitor, form).await
}

/// The label `id` in both languages.
fn both(id: &str) -> Bilingual {
    Lang::ALL.map(|l| l.t(id))
}

async fn report<S>(state: S, chosen: Chosen, visitor: Visitor, form: CheckForm) -> Response
where
    Services: FromRef<S>,
    Arc<Printing>: FromRef<S>,
{
    let s = Services::from_ref(&state);
    let printing = Arc::<Printing>::from_ref(&state);
    let shell = Shell {
        chosen,
        path: "/check".into(),
        nav: Nav::Check,
        session: visitor.session,
    };
    let l = shell.lang();
    let title = l.t("check-report-title");
    let refuse = |status: StatusCode, text: String| {
        let body = html! {
            div.error role="alert" { p { (text) } }
            p { a href="/check" { (l.t("check-title")) } }
        };
        pages::respond(&shell, &title, status, body)
    };
    let q = form.q.trim().to_string();
    let date = match form.date.trim() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                return refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    l.t_with("check-bad-date", &[("date", d)]),
                )
            }
        },
    };
    if q.is_empty() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, l.t("check-report-empty"));
    }
    let now = s.clock.now();
    // Classifying, laying out and setting the page are bounded but not instant: off the
    // request threads.
    let made = tokio::task::spawn_blocking(move || {
        let checked = cases::substances::check(&s, &q, date, law::Jurisdictions::All)
            .map_err(|e| (true, e.to_string()))?;
        let fonts = printing.fonts().map_err(|why| (false, why))?;
        let reader = Reader {
            l,
            classifier: &s.rules.classifier,
            drawn: checked.drawn(),
        };
        let flow = content(
            &reader,
            &q,
            &checked.classification,
            now,
            s.rules.workflow.time_zone,
        );
        documents::flow::flow_pdf(&flow, fonts).map_err(|e| (false, e.to_string()))
    })
    .await
    .unwrap_or_else(|e| Err((false, format!("printing stopped: {e}"))));
    match made {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"classification-report.pdf\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        // Not recognised: said as the check page says it (never a report of nothing).
        Err((true, why)) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} {}", l.t("check-not-recognised"), why),
        ),
        Err((false, why)) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{} {why}", l.t("check-report-unavailable")),
        ),
    }
}

/// What the report says.
fn content(
    r: &Reader<'_>,
    input: &str,
    c: &law::Classification,
    now: chrono::DateTime<chrono::Utc>,
    zone: chrono_tz::Tz,
) -> Flow {
    let l = r.l;
    let mut blocks = vec![Block::Title(both("check-report-title"))];
    let shown: String = if input.chars().count() > 300 {
        input.chars().take(300).chain(['…']).collect()
    } else {
        input.to_string()
    };
    let mut field = |id: &str, value: String| {
        blocks.push(Block::Field {
            label: both(id),
            values: vec![value],
        });
    };
    field("check-report-input", shown);
    if let Some(name) = &c.name {
        field("check-name", name.clone());
    }
    if let Some(smiles) = &c.parent_smiles {
        field("check-smiles", smiles.clone());
    }
    if let Some(key) = &c.parent_inchikey {
        field("check-report-inchikey", key.clone());
    }
    field(
        "check-law-date",
        Lang::ALL.map(|x| x.date(c.date)).join(" / "),
    );
    field(
        "check-report-made",
        format!(
            "{} · FentGuard {}",
            l.moment(now, zone),
            env!("CARGO_PKG_VERSION")
        ),
    );
    if let Some((_, Err(chem::layout::LayoutError::TooLarge { atoms, max }))) = &r.drawn {
        blocks.push(Block::Note(l.t_with(
            "check-not-drawn",
            &[("atoms", &atoms.to_string()), ("max", &max.to_string())],
        )));
    }
    for v in &c.verdicts {
        let jurisdiction = Lang::ALL.map(|x| x.t(&format!("jurisdiction-{}", v.jurisdiction)));
        let status = Lang::ALL.map(|x| x.t(status_id(v.status)));
        blocks.push(Block::Rule);
        blocks.push(Block::Heading(format!(
            "{} / {}: {} / {}",
            jurisdiction[0], jurisdiction[1], status[0], status[1]
        )));
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
        if let Some((mol, Ok(layout))) = &r.drawn {
            let drawing = documents::drawing::draw(
                mol,
                layout,
                &documents::drawing::Options {
                    highlights: regions.iter().map(|x| x.highlight.clone()).collect(),
                    numbers: true,
                },
            );
            let legend = regions
                .iter()
                .map(|x| {
                    let atoms: Vec<String> = x
                        .highlight
                        .atoms
                        .iter()
                        .map(|a| (a + 1).to_string())
                        .collect();
                    (
                        x.highlight.colour,
                        format!(
                            "{} ({})",
                            r.region_name(definition, &x.key),
                            atoms.join(", ")
                        ),
                    )
                })
                .collect();
            blocks.push(Block::Structure { drawing, legend });
        }
        if let Some(g) = &v.generic {
            blocks.push(Block::Field {
                label: both("check-generic"),
                values: vec![
                    g.instrument.clone(),
                    l.t_with("check-in-force-from", &[("date", &g.in_force_from)]),
                ],
            });
            if !g.conditions.is_empty() {
                blocks.push(Block::Field {
                    label: both("check-report-conditions"),
                    values: vec![g.conditions.join(", ")],
                });
            }
            if !g.reasons.is_empty() {
                blocks.push(Block::Bullets(g.reasons.clone()));
            }
            if !g.flags.is_empty() {
                blocks.push(Block::Note(format!(
                    "{} {}",
                    l.t("check-flags"),
                    g.flags.join(", ")
                )));
            }
        }
        if !v.listings.is_empty() {
            blocks.push(Block::Heading(l.t("check-listings")));
            blocks.push(Block::Table {
                header: [
                    "check-list",
                    "check-entry",
                    "check-category",
                    "check-from",
                    "check-instrument",
                ]
                .iter()
                .map(|id| l.t(id))
                .collect(),
                rows: v
                    .listings
                    .iter()
                    .map(|x| {
                        vec![
                            x.list.clone(),
                            x.entry.clone(),
                            x.category.clone(),
                            x.effective_from
                                .map(|d| l.date(d))
                                .unwrap_or_else(|| l.t("check-no-date")),
                            x.instrument.clone(),
                        ]
                    })
                    .collect(),
                widths: vec![0.26, 0.18, 0.14, 0.14, 0.28],
            });
        }
        if !v.undetermined_because.is_empty() {
            blocks.push(Block::Heading(l.t("check-undetermined-because")));
            blocks.push(Block::Bullets(v.undetermined_because.clone()));
        }
    }
    if !c.other_listings.is_empty() {
        blocks.push(Block::Rule);
        blocks.push(Block::Heading(l.t("check-other-listings")));
        blocks.push(Block::Table {
            header: [
                "check-jurisdiction",
                "check-list",
                "check-entry",
                "check-category",
                "check-from",
            ]
            .iter()
            .map(|id| l.t(id))
            .collect(),
            rows: c
                .other_listings
                .iter()
                .map(|o| {
                    vec![
                        o.jurisdiction.clone(),
                        o.listing.list.clone(),
                        o.listing.entry.clone(),
                        o.listing.category.clone(),
                        o.listing
                            .effective_from
                            .map(|d| l.date(d))
                            .unwrap_or_else(|| l.t("check-no-date")),
                    ]
                })
                .collect(),
            widths: vec![0.14, 0.32, 0.22, 0.16, 0.16],
        });
    }
    if !c.notes.is_empty() {
        blocks.push(Block::Heading(l.t("check-notes")));
        blocks.push(Block::Bullets(c.notes.clone()));
    }
    blocks.push(Block::Rule);
    blocks.push(Block::Note(l.t("check-report-disclaimer")));
    let title = both("check-report-title");
    Flow {
        title: format!("{} / {}", title[0], title[1]),
        footer: format!("FentGuard {} · {}", env!("CARGO_PKG_VERSION"), title[0]),
        blocks,
    }
}

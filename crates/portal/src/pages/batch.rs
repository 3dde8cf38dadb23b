//! Batch check (anyone): upload a file of structures (SMILES lines, CSV or TSV with a
//! SMILES column, an SD file, optionally gzip-compressed) and see its progress, then the
//! records the law controls or could not judge as a table and as CSV, and every record
//! that could not be read with its line. The use case is `cases::batch` (the same reader
//! and answers as `fentguard screen`); the page refreshes itself while the batch runs
//! (an HTTP `Refresh`, no script needed).
//!
//! `GET /check/batch` (the form), `POST /check/batches` (the upload: its own, larger body
//! limit, [`MAX_UPLOAD`]), `GET /check/batches/{id}` (progress, then the answer),
//! `GET /check/batches/{id}/hits.csv`. The form carries a token also set in its own
//! Strict cookie (double submit), and a cross-site post is refused.

use super::check::status_id;
use crate::layout::{Chosen, Nav, Shell};
use crate::pages;
use crate::session::{
    cookie, forbidden, set_cookie, visitor_form_token, Client, Forms, Visitor, FORM_COOKIE,
};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{FromRef, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cases::batch::{Batch, Stage, MAX_ERRORS, MAX_HITS};
use cases::Services;
use chrono::NaiveDate;
use maud::html;

/// The most bytes an upload may have (a compressed file may hold more text; see
/// `cases::batch::MAX_TEXT_BYTES`).
pub const MAX_UPLOAD: usize = 16 << 20;
/// Hits shown on the page (the CSV has all that are kept).
const SHOWN_HITS: usize = 500;
/// Unreadable records shown on the page.
const SHOWN_ERRORS: usize = 100;
/// Where the form's cookie is sent.
const COOKIE_PATH: &str = "/check";

fn shell(chosen: Chosen, visitor: Visitor, path: &str) -> Shell {
    Shell {
        chosen,
        path: path.into(),
        nav: Nav::Check,
        session: visitor.session,
    }
}

/// `GET /check/batch`: the upload form.
pub async fn form(
    chosen: Chosen,
    visitor: Visitor,
    Client(peer): Client,
    headers: HeaderMap,
) -> Response {
    let shell = shell(chosen, visitor, "/check/batch");
    let l = shell.lang();
    let Some(token) = visitor_form_token(&headers) else {
        return pages::respond(
            &shell,
            &l.t("batch-title"),
            StatusCode::SERVICE_UNAVAILABLE,
            html! { div.error role="alert" { p { (l.t("batch-no-randomness")) } } },
        );
    };
    let mut res = shell.render(
        &l.t("batch-title"),
        html! {
            p { (l.t("batch-lead")) }
            form method="post" action="/check/batches" enctype="multipart/form-data" {
                input type="hidden" name="form_token" value=(token);
                label for="file" { (l.t("batch-file-label")) }
                p.hint #file-hint { (l.t_with("batch-file-hint", &[("mb", &(MAX_UPLOAD >> 20).to_string())])) }
                input #file type="file" name="file" required aria-describedby="file-hint"
                    accept=".smi,.smiles,.ism,.txt,.csv,.tsv,.sdf,.sd,.mol,.gz";
                label for="date" { (l.t("check-date-label")) }
                input #date type="date" name="date";
                button type="submit" { (l.t("batch-submit")) }
            }
            p { a href="/check" { (l.t("batch-one")) } }
        },
    );
    if let Some(c) = set_cookie(
        FORM_COOKIE,
        &token,
        COOKIE_PATH,
        "Strict",
        peer.https,
        Some(3600),
    ) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// `POST /check/batches`: starts the batch and sends the browser to its page.
pub async fn upload<S>(
    State(state): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    forms: Forms,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&state);
    let shell = shell(chosen, visitor, "/check/batch");
    let l = shell.lang();
    let refuse = |status: StatusCode, text: String| {
        pages::respond(
            &shell,
            &l.t("batch-title"),
            status,
            html! {
                div.error role="alert" { p { (text) } }
                p { a href="/check/batch" { (l.t("batch-again")) } }
            },
        )
    };
    let form = match read(multipart).await {
        Ok(f) => f,
        Err(why) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, why),
    };
    if !forms.allow(
        &form.token,
        cookie(&headers, FORM_COOKIE).unwrap_or_default(),
    ) {
        return forbidden();
    }
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
    if form.bytes.is_empty() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, l.t("batch-empty"));
    }
    match cases::batch::start(&s, &form.file, form.bytes, date) {
        Ok(b) => Redirect::to(&format!("/check/batches/{}", b.id)).into_response(),
        Err(e) => {
            let status = match e.kind() {
                cases::ErrorKind::Conflict => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            refuse(status, e.to_string())
        }
    }
}

struct Upload {
    token: String,
    date: String,
    file: String,
    bytes: Vec<u8>,
}

async fn read(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, String> {
    let mut m = multipart.map_err(|e| format!("the form could not be read: {e}"))?;
    let mut up = Upload {
        token: String::new(),
        date: String::new(),
        file: String::new(),
        bytes: Vec::new(),
    };
    for _ in 0..8 {
        let Some(part) = m
            .next_field()
            .await
            .map_err(|e| format!("the form could not be read: {e}"))?
        else {
            return Ok(up);
        };
        match part.name().unwrap_or_default() {
            "file" => {
                up.file = part.file_name().unwrap_or_default().to_string();
                up.bytes = part
                    .bytes()
                    .await
                    .map_err(|e| format!("the file could not be read: {e}"))?
                    .to_vec();
            }
            "form_token" => up.token = part.text().await.map_err(|e| e.to_string())?,
            "date" => up.date = part.text().await.map_err(|e| e.to_string())?,
            _ => {}
        }
    }
    Err("the form has more parts than it should".into())
}

/// `GET /check/batches/{id}`.
pub async fn show<S>(
    State(state): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&state);
    let shell = shell(
        chosen,
        visitor,
        &format!("/check/batches/{}", pages::cut(&id)),
    );
    let l = shell.lang();
    let Some(batch) = s.batches.get(&id) else {
        return pages::respond(
            &shell,
            &l.t("batch-title"),
            StatusCode::NOT_FOUND,
            html! {
                div.error role="alert" { p { (l.t("batch-gone")) } }
                p { a href="/check/batch" { (l.t("batch-again")) } }
            },
        );
    };
    // what the page shows and whether it refreshes come from one look at the batch
    let (body, running) = page(l, &batch);
    let mut res = shell.render(&l.t("batch-title"), body);
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if running {
        // Reload in two seconds while it runs (browsers honour Refresh as the meta tag).
        h.insert(
            header::HeaderName::from_static("refresh"),
            HeaderValue::from_static("2"),
        );
    }
    res
}

fn page(l: crate::Lang, batch: &Batch) -> (maud::Markup, bool) {
    let p = batch.progress();
    let running = p.stage == Stage::Running;
    let hits = p.hits.len() + p.more_hits;
    let errors = p.errors.len() + p.more_errors;
    let jurisdictions: Vec<String> = p
        .hits
        .iter()
        .flat_map(|h| h.status.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let body = html! {
        dl.facts {
            dt { (l.t("batch-file")) } dd { (batch.file) }
            dt { (l.t("check-law-date")) } dd { (l.date(batch.date)) }
        }
        @match &p.stage {
            Stage::Running => {
                p role="status" {
                    (l.t_with("batch-running", &[("read", &p.read.to_string()), ("hits", &hits.to_string())]))
                }
                progress value=(batch.consumed()) max=(batch.size.max(1)) aria-label=(l.t("batch-progress")) {}
            }
            Stage::Done => {
                p role="status" { (l.t("batch-done")) }
            }
            Stage::Stopped(why) => {
                div.error role="alert" { p { (l.t("batch-stopped")) } p.detail { (why) } }
            }
        }
        table.summary {
            tbody {
                tr { th scope="row" { (l.t("batch-read")) } td.num { (p.read) } }
                tr { th scope="row" { (l.t("batch-hits")) } td.num { (hits) } }
                tr { th scope="row" { (l.t("batch-clear")) } td.num { (p.clear) } }
                tr { th scope="row" { (l.t("batch-errors")) } td.num { (errors) } }
            }
        }
        @if p.stage != Stage::Running && hits > 0 {
            p { a.button href={ "/check/batches/" (batch.id) "/hits.csv" } download { (l.t("batch-csv")) } }
        }
        @if hits > 0 {
            h2 { (l.t("batch-hits-title")) }
            @if hits > SHOWN_HITS.min(p.hits.len()) {
                p.notice { (l.t_with("batch-hits-cut", &[("shown", &SHOWN_HITS.min(p.hits.len()).to_string()), ("kept", &p.hits.len().to_string()), ("max", &MAX_HITS.to_string())])) }
            }
            table.hits {
                thead {
                    tr {
                        th.num { (l.t("batch-line")) }
                        th { (l.t("check-name")) }
                        th { (l.t("check-smiles")) }
                        @for j in &jurisdictions { th { (l.t(&format!("jurisdiction-{j}"))) } }
                        th { (l.t("batch-why")) }
                    }
                }
                tbody {
                    @for h in p.hits.iter().take(SHOWN_HITS) {
                        tr {
                            td.num { (h.line) }
                            td { (h.name) }
                            td { a href={ "/check?" (serde_urlencoded::to_string([("q", &h.smiles), ("date", &batch.date.to_string())]).unwrap_or_default()) } { code { (h.smiles) } } }
                            @for j in &jurisdictions {
                                td {
                                    @if let Some(st) = h.status.get(j) {
                                        span class={ "status " (status_id(*st)) } { (l.t(status_id(*st))) }
                                    }
                                }
                            }
                            td { @for w in &h.why { (w) br; } }
                        }
                    }
                }
            }
        }
        @if errors > 0 {
            h2 { (l.t("batch-errors-title")) }
            p { (l.t("batch-errors-lead")) }
            @if errors > SHOWN_ERRORS.min(p.errors.len()) {
                p.notice { (l.t_with("batch-errors-cut", &[("shown", &SHOWN_ERRORS.min(p.errors.len()).to_string()), ("max", &MAX_ERRORS.to_string())])) }
            }
            ul.errors {
                @for (line, why) in p.errors.iter().take(SHOWN_ERRORS) {
                    li { (l.t_with("batch-error-line", &[("line", &line.to_string())])) " " (why) }
                }
            }
        }
        p { a href="/check/batch" { (l.t("batch-again")) } }
    };
    (body, running)
}

/// `GET /check/batches/{id}/hits.csv`.
pub async fn csv<S>(State(state): State<S>, Path(id): Path<String>) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&state);
    match s.batches.get(&id) {
        Some(b) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"hits.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            b.csv(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "no such batch check (answers are kept for an hour)\n",
        )
            .into_response(),
    }
}

//! The permit to print (`GET /permits/{number}/pdf`): for whoever may read the permit's
//! record (its exporter, the licensing authority, customs; `cases::permits::read`), the
//! A4 PDF of `documents::permit_pdf` in both languages, whose QR code opens the
//! verification page and carries the signed permit for an offline check. Anyone else
//! is told no such permit exists.

use crate::layout::{Chosen, Nav, Shell};
use crate::pages::{self, cut};
use crate::printing::{Catalogues, Printing};
use crate::session::SignedIn;
use axum::extract::{FromRef, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use cases::Services;
use maud::html;
use std::sync::Arc;

/// `GET /permits/{number}/pdf`.
pub async fn pdf<S>(
    State(state): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    Path(number): Path<String>,
) -> Response
where
    Services: FromRef<S>,
    Arc<Printing>: FromRef<S>,
{
    let s = Services::from_ref(&state);
    let printing = Arc::<Printing>::from_ref(&state);
    let p = session.principal.clone();
    let shell = Shell {
        chosen,
        path: "/work".into(),
        nav: Nav::Work,
        session: Some(session),
    };
    let l = shell.lang();
    let title = l.t("permit-print-title");
    let rec = match cases::permits::read(&s, &p, &number).await {
        Ok(r) => r,
        Err(e) => {
            let missing = format!("no permit numbered {}", cut(&number));
            return pages::not_shown(&shell, &e, &missing, &title, ("/work", "nav-work"));
        }
    };
    // Printing not set up (no font) is the deployment's to fix, said as such.
    let unprintable = |why: String| {
        let message = html! {
            div.error role="alert" { p { (l.t("permit-print-unavailable")) } p.detail { (why) } }
        };
        pages::respond(&shell, &title, StatusCode::SERVICE_UNAVAILABLE, message)
    };
    // Setting the page subsets a 20 MB font: off the request threads.
    let made = tokio::task::spawn_blocking(move || {
        let fonts = printing.fonts()?;
        documents::permit_pdf(&rec.signed, printing.verify_page(), &Catalogues, fonts)
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("printing stopped: {e}")));
    match made {
        Ok(bytes) => {
            // The number is the authority's (letters, digits, dashes); anything else is
            // left out of the file name rather than quoted.
            let file: String = number
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(64)
                .collect();
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"permit-{file}.pdf\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(why) => unprintable(why),
    }
}

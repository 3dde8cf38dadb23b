//! # portal: FentGuard in a browser
//!
//! Pages rendered on the server (maud templates compiled into the binary), in English
//! and Simplified Chinese ([`i18n`]: Fluent catalogues), calling the same use cases as
//! the JSON API (`cases`), never the API itself and never a rule of their own. Every form
//! works without JavaScript; no script, style or font comes from anywhere but FentGuard
//! ([`assets`]), and each page's Content-Security-Policy says so to the browser.
//!
//! Who is signed in comes from the session cookie ([`session`]); a page that needs a
//! signed-in user takes [`session::SignedIn`], and every state-changing form is checked
//! with [`session::Forms::allow`] before anything else.
//!
//! Where to add a page: a module under `pages`, its texts in both `locales/*/portal.ftl`,
//! its route in [`routes`], a case in `crates/server/tests/pages.rs`.

#![warn(missing_docs)]

pub mod assets;
pub mod i18n;
pub mod layout;
mod pages;
pub mod printing;
pub mod session;

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use cases::Services;
pub use i18n::Lang;
pub use layout::Shell;
pub use printing::Printing;

/// The routes that take uploads larger than the server's usual body limit: a batch
/// check's file, up to [`UPLOAD_MAX_BODY`] bytes (the server gives them that limit).
pub fn upload_routes<S>() -> Router<S>
where
    Services: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/check/batches", post(pages::batch::upload))
}

/// The most bytes an upload route takes (the file and the form around it).
pub const UPLOAD_MAX_BODY: usize = pages::batch::MAX_UPLOAD + (64 << 10);

/// The portal's routes, for a router whose state gives the use cases' [`Services`] and
/// how the deployment prints ([`Printing`]).
pub fn routes<S>() -> Router<S>
where
    Services: FromRef<S>,
    std::sync::Arc<Printing>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(pages::landing::show))
        .route("/check", get(pages::check::show).post(pages::check::submit))
        .route("/check/file", post(pages::check::file))
        .route("/check/batch", get(pages::batch::form))
        .route("/check/batches/{id}", get(pages::batch::show))
        .route("/check/batches/{id}/hits.csv", get(pages::batch::csv))
        .route(
            "/check/report.pdf",
            get(pages::report::show).post(pages::report::submit),
        )
        .route(
            "/sign-in",
            get(pages::signin::show).post(pages::signin::submit),
        )
        .route("/sign-out", post(pages::signin::sign_out))
        .route("/work", get(pages::work::show))
        .route(
            "/applications/new",
            get(pages::apply::show).post(pages::apply::submit),
        )
        .route("/applications/new/licence", get(pages::apply::licence))
        .route(
            "/applications/{id}",
            get(pages::case::show).post(pages::case::act),
        )
        .route(
            "/applications/{id}/documents/{sha256}",
            get(pages::case::document),
        )
        .route("/notifications", get(pages::notifications::list))
        .route(
            "/notifications/{id}",
            get(pages::notifications::show).post(pages::notifications::act),
        )
        .route("/notifications/{id}/pdf", get(pages::notifications::pdf))
        .route("/verify", get(pages::verify::show))
        .route("/permits/{number}/pdf", get(pages::permit::pdf))
        .route(
            "/customs",
            get(pages::customs::show).post(pages::customs::lodge),
        )
        .route(
            "/customs/declarations/{id}",
            get(pages::customs::declaration).post(pages::customs::act),
        )
        .route(
            "/receipts",
            get(pages::receipts::show).post(pages::receipts::endorse),
        )
        .route("/assets/{name}", get(assets::serve))
}

//! Security headers on every response (issue 11 item 10): no content-type sniffing, no
//! framing, no referrer, a content security policy that allows nothing an API answer
//! needs (the `/docs` page keeps its own script), and `no-store` on every answer to an
//! authenticated request, so no browser or proxy keeps a copy of someone's data; and,
//! over HTTPS, Strict-Transport-Security.

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of everything but the documentation page: nothing may load or frame it.
const API_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The documentation page loads its viewer (see `openapi`); it still may not be framed.
const DOCS_POLICY: &str = "frame-ancestors 'none'; base-uri 'none'";

/// Adds the headers; a header the handler set itself is kept.
pub async fn secure(req: Request, next: Next) -> Response {
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let docs = req.uri().path().starts_with("/docs");
    let https = req
        .extensions()
        .get::<crate::edge::Peer>()
        .is_some_and(|p| p.https);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        h.entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        header::CONTENT_SECURITY_POLICY,
        if docs { DOCS_POLICY } else { API_POLICY },
    );
    if authenticated {
        set(header::CACHE_CONTROL, "no-store");
    }
    if https {
        // Told over HTTPS only: a browser that once reached the server securely does
        // not fall back to plain HTTP for a year.
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    res
}

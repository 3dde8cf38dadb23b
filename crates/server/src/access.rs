//! The access log (issue 11 item 10): one structured line per request at target
//! `fentguard::access`, with method, path, status, duration, client address and a request
//! id the answer carries in `X-Request-Id`, so a user's report can be found in the log.
//!
//! Invariant: the line never holds a secret. It has no header values (tokens, cookies),
//! no body (passwords) and no query string (a permit's verification code travels there);
//! the path is cut at 200 characters, since it is the client's to choose.

use crate::edge::Peer;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Logs the request when its answer is ready.
pub async fn log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(200).collect();
    let client = req
        .extensions()
        .get::<Peer>()
        .and_then(|p| p.client)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let id = crate::auth::new_id("req").unwrap_or_else(|_| "req-unknown".into());
    let mut res = next.run(req).await;
    let status = res.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    tracing::info!(
        target: "fentguard::access",
        request_id = %id,
        %method,
        %path,
        status,
        ms = (ms * 10.0).round() / 10.0,
        %client,
        "request"
    );
    res
}

//! What the HTTP tests share: a server state on a database with the demo organisations,
//! users and their tokens.

#![allow(dead_code)] // each test file uses part of the harness

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use ed25519_dalek::SigningKey;
use serde_json::Value;
use server::{router, AppState};
use std::collections::BTreeMap;
use store::Store;
use tower::ServiceExt;

/// A server state on `url` (migrated) and the demo tokens by role.
pub async fn seeded(url: &str) -> (AppState, BTreeMap<String, String>) {
    let s = AppState::new(
        Store::connect(url).await.expect("connect"),
        SigningKey::from_bytes(&[9u8; 32]),
    )
    .expect("state");
    let tokens = server::demo::seed(&s.store, Utc::now())
        .await
        .expect("seed");
    (s, tokens)
}

/// Calls to the router as a demo user (by role name, or a raw token), checking that
/// every error is a problem document and never a 500.
pub struct Api {
    /// The server state.
    pub s: AppState,
    /// Demo tokens by role.
    pub tokens: BTreeMap<String, String>,
}

impl Api {
    /// On a seeded database.
    pub async fn new(url: &str) -> Api {
        let (s, tokens) = seeded(url).await;
        Api { s, tokens }
    }

    /// On a seeded database, reading structures within other size limits.
    pub async fn with_limits(url: &str, limits: chem::Limits) -> Api {
        let (mut s, tokens) = seeded(url).await;
        std::sync::Arc::get_mut(&mut s.rules)
            .expect("rules not shared yet")
            .classifier
            .set_limits(limits);
        Api { s, tokens }
    }

    /// A request with a raw body.
    pub async fn raw(
        &self,
        method: &str,
        uri: &str,
        who: Option<&str>,
        body: Body,
        ctype: &str,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(w) = who {
            let token = self.tokens.get(w).map_or(w, |t| t.as_str());
            req = req.header("authorization", format!("Bearer {token}"));
        }
        if !ctype.is_empty() {
            req = req.header("content-type", ctype);
        }
        let res = router(self.s.clone())
            .oneshot(req.body(body).expect("request"))
            .await
            .expect("response");
        let status = res.status();
        if status.is_client_error() || status.is_server_error() {
            let ct = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            assert_eq!(ct, "application/problem+json", "{method} {uri} -> {status}");
        }
        let bytes = axum::body::to_bytes(res.into_body(), 4 << 20)
            .await
            .expect("body");
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{method} {uri}: {v}"
        );
        (status, v)
    }

    /// A request with an optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        who: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        match body {
            Some(b) => {
                self.raw(
                    method,
                    uri,
                    who,
                    Body::from(b.to_string()),
                    "application/json",
                )
                .await
            }
            None => self.raw(method, uri, who, Body::empty(), "").await,
        }
    }
}

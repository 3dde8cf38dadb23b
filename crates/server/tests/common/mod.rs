//! What the HTTP tests share: a server state on a database with the demo organisations,
//! users and their tokens.

#![allow(dead_code)] // each test file uses part of the harness

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use chrono::{Duration, Utc};
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use server::{router, AppState};
use std::collections::BTreeMap;
use store::Store;
use tower::ServiceExt;

/// A server state on `url` (migrated) and the demo tokens by role.
pub async fn seeded(url: &str) -> (AppState, BTreeMap<String, String>) {
    let s = AppState::new(
        Store::connect(url, store::testing::seal())
            .await
            .expect("connect"),
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
        std::sync::Arc::get_mut(&mut s.services.rules)
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
        let (status, _, v) = self.send(method, uri, who, body, ctype).await;
        (status, v)
    }

    /// A request with a raw body; the answer with its headers.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        who: Option<&str>,
        body: Body,
        ctype: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
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
        let headers = res.headers().clone();
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
        (status, headers, v)
    }

    /// A page request (no token; pages answer HTML, so no problem+json check): the
    /// status, headers and body text.
    pub async fn page(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let (status, headers, bytes) = self.page_bytes(method, uri, headers, body).await;
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// [`Api::page`], the body as bytes (a PDF).
    pub async fn page_bytes(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.page_raw(method, uri, headers, body.as_bytes().to_vec())
            .await
    }

    /// [`Api::page_bytes`] with a body of bytes (an upload).
    pub async fn page_raw(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = router(self.s.clone())
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("response");
        let status = res.status();
        assert!(!status.is_server_error(), "{method} {uri} -> {status}");
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
            .await
            .expect("body");
        (status, headers, bytes.to_vec())
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

/// Base64 of a text (documents in a JSON body).
pub fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// An export application's body: `quantity` of `substance` to Mexico, with the two
/// documents every application carries.
pub fn application(substance: &str, quantity: &str) -> Value {
    let party =
        |n: &str| json!({"name": n, "address": "Av. Industria 10, Monterrey", "country": "MX"});
    json!({
        "importer": party("Quimica Demo SA de CV"),
        "consignee": party("Quimica Demo SA de CV"),
        "substance": substance, "quantity": quantity, "destination": "MX",
        "point_of_exit": "Shanghai", "point_of_entry": "Manzanillo", "transport_mode": "sea",
        "planned_dispatch": (Utc::now() + Duration::days(30)).date_naive().to_string(),
        "contract_reference": "QS-1", "end_use": "synthesis of a licensed analgesic",
        "documents": [
            {"kind": "importer_guarantee", "filename": "g.txt", "content_base64": b64("guarantee")},
            {"kind": "contract", "filename": "c.txt", "content_base64": b64("contract")}
        ]
    })
}

/// An application of `quantity` of `substance` to Mexico filed by the demo exporter over
/// the API: its id.
pub async fn filed(api: &Api, substance: &str, quantity: &str) -> String {
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/export-applications",
            Some("compliance_officer"),
            Some(application(substance, quantity)),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().expect("id").to_string()
}

/// The `state` of the record at the API's `path`, as `role` reads it.
pub async fn state_at(api: &Api, path: &str, role: &str) -> String {
    let (_, v) = api.call("GET", path, Some(role), None).await;
    v["state"].as_str().unwrap_or_default().to_string()
}

/// An application of `substance` taken through the workflow over the API to its permit
/// (forwarded, notified, no objection, approved by one or two officers): its id and the
/// permit's number.
pub async fn approved_permit(api: &Api, substance: &str, quantity: &str) -> (String, String) {
    let app = filed(api, substance, quantity).await;
    let path = format!("/api/v1/export-applications/{app}");
    let (_, v) = api
        .call(
            "POST",
            &format!("{path}/forward"),
            Some("licensing_officer"),
            None,
        )
        .await;
    let pen = v["notification"]
        .as_str()
        .expect("notification")
        .to_string();
    let (st, v) = api
        .call(
            "POST",
            &format!("/api/v1/notifications/{pen}/send"),
            Some("public_security_officer"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = api
        .call(
            "POST",
            &format!("/api/v1/notifications/{pen}/reply"),
            Some("foreign_authority_officer"),
            Some(json!({"reply": "no_objection"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let mut permit = Value::Null;
    for officer in ["licensing_officer", "second_licensing_officer"] {
        let (st, v) = api
            .call(
                "POST",
                &format!("{path}/decision"),
                Some(officer),
                Some(json!({"decision": "approve"})),
            )
            .await;
        assert!(st.is_success(), "{st} {v}");
        permit = v["permit"].clone();
        if permit.is_string() {
            break;
        }
    }
    (app, permit.as_str().expect("a permit").to_string())
}

/// Every `src=` and `href=` of a page points into FentGuard (a path, a fragment or a
/// query of the same page), and no message id is left untranslated.
pub fn assert_self_contained(page: &str) {
    for attr in ["src=\"", "href=\"", "action=\""] {
        for (i, _) in page.match_indices(attr) {
            let value = &page[i + attr.len()..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            assert!(
                value.starts_with('/') || value.starts_with('#') || value.starts_with('?'),
                "{attr}{value}\" leaves FentGuard"
            );
            assert!(!value.starts_with("//"), "{value} is another host");
        }
    }
    // A missing message shows as [its-id].
    let bytes = page.as_bytes();
    for (i, _) in page.match_indices('[') {
        let rest = &bytes[i + 1..];
        let n = rest
            .iter()
            .take_while(|b| b.is_ascii_lowercase() || **b == b'-' || **b == b'_')
            .count();
        let id = &page[i + 1..i + 1 + n];
        assert!(
            !(id.contains('-') && rest.get(n) == Some(&b']')),
            "untranslated message [{id}]"
        );
    }
}

/// Runs SQL straight against the database, as someone with write access to it (not
/// through FentGuard) would.
pub async fn behind_the_back(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .expect("direct connection");
    sqlx::query(sql)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    pool.close().await;
}

/// Tampers with the database as someone who can write it would, and checks that audit
/// verification finds each change (issue 11 item 6): a record's state changed in its
/// table, a permit's quantities, stored events deleted (when there are any), the tail of
/// the trail cut off (caught against a checkpoint published before), and an entry
/// rewritten with every hash after it recomputed. Leaves the database tampered with.
pub async fn tampering_is_caught(api: &Api, url: &str) {
    let verify = |body: Option<Value>| async move {
        let (st, v) = match body {
            None => {
                api.call("GET", "/api/v1/audit/verify", Some("administrator"), None)
                    .await
            }
            Some(b) => {
                api.call(
                    "POST",
                    "/api/v1/audit/verify",
                    Some("administrator"),
                    Some(b),
                )
                .await
            }
        };
        assert_eq!(st, StatusCode::OK, "{v}");
        v
    };
    let subjects = |v: &Value| -> Vec<String> {
        v["disagreements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["subject"].as_str().map(String::from))
            .collect()
    };
    let v = verify(None).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["disagreements_total"], 0, "{v}");
    let (st, published) = api
        .call(
            "GET",
            "/api/v1/audit/checkpoint",
            Some("administrator"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{published}");
    let chain = api.s.store.audit_chain().await.expect("chain");
    let first = |action: &str| {
        chain.iter().find(|e| e.action == action).map(|e| {
            e.subject
                .split_once('/')
                .map_or("", |(_, id)| id)
                .to_string()
        })
    };

    if let Some(app) = first("application.submit") {
        behind_the_back(
            url,
            &format!("UPDATE applications SET state = CASE WHEN state = 'approved' THEN 'refused' ELSE 'approved' END WHERE id = '{app}'"),
        )
        .await;
        let v = verify(None).await;
        assert_eq!(v["valid"], false, "{v}");
        assert!(subjects(&v).contains(&format!("application/{app}")), "{v}");
    }
    if let Some(permit) = first("permit.issue") {
        behind_the_back(
            url,
            &format!("UPDATE permits SET drawn_kg = drawn_kg + 5 WHERE number = '{permit}'"),
        )
        .await;
        let v = verify(None).await;
        assert!(subjects(&v).contains(&format!("permit/{permit}")), "{v}");
    }
    if let Some(capture) = first("epcis.capture") {
        behind_the_back(
            url,
            &format!("DELETE FROM epcis_events WHERE capture_id = '{capture}'"),
        )
        .await;
        let v = verify(None).await;
        assert!(subjects(&v).contains(&format!("capture/{capture}")), "{v}");
    }

    // The last 50 entries deleted (half a shorter trail): every remaining seal is valid,
    // the published head is gone.
    let n = chain.len();
    let cut = if n > 60 { 50 } else { n / 2 };
    assert!(n - cut > 3, "a trail long enough to cut: {n}");
    behind_the_back(
        url,
        &format!("DELETE FROM audit_log WHERE seq > {}", n - cut),
    )
    .await;
    let v = verify(Some(serde_json::json!({"checkpoints": [published]}))).await;
    assert_eq!(v["valid"], false, "{v}");
    assert!(
        v["reason"].as_str().unwrap_or("").contains("truncated"),
        "{v}"
    );
    assert_eq!(v["broken_at"], n - cut + 1, "{v}");

    // Entry 3 rewritten and every hash after it recomputed (seals kept): the plain chain
    // would pass, its seals do not.
    let kept = api.s.store.audit_chain().await.expect("chain");
    let mut prev: Option<control::AuditEntry> = Some(kept[1].clone());
    for e in &kept[2..] {
        let actor = if e.seq == 3 {
            "someone-else"
        } else {
            e.actor.as_str()
        };
        let n = control::AuditEntry::next(
            prev.as_ref(),
            e.at,
            actor,
            &e.action,
            &e.subject,
            e.before.clone(),
            e.after.clone(),
        );
        behind_the_back(
            url,
            &format!(
                "UPDATE audit_log SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                n.actor, n.prev_hash, n.hash, n.seq
            ),
        )
        .await;
        prev = Some(n);
    }
    assert!(
        control::audit::verify_chain(&api.s.store.audit_chain().await.expect("chain")).is_ok(),
        "the forger's chain hashes check"
    );
    let v = verify(None).await;
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["broken_at"], 3, "{v}");
    assert!(v["reason"].as_str().unwrap_or("").contains("seal"), "{v}");
}

/// A SMILES ladder of `rings` fused four-membered rings: a small text with very many
/// ring combinations (620 rings, 2.5 KB, took 15 s and 1.2 GB before the input limits).
pub fn ladder(rings: usize) -> String {
    let n = 2 * rings + 2;
    let mut s = String::new();
    for p in 0..n {
        s.push('C');
        if p >= 3 && (p - 3) % 2 == 0 {
            s.push_str(&(1 + ((p - 3) / 2) % 2).to_string());
        }
        if p % 2 == 0 && p + 3 < n {
            s.push_str(&(1 + (p / 2) % 2).to_string());
        }
    }
    s
}

// Pages as a browser uses them: cookies, hidden fields, signing in through the form.

/// The password of the users the page tests make.
pub const PASSWORD: &str = "correct horse battery";

/// Every `Set-Cookie` of an answer.
pub fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect()
}

/// The `Set-Cookie` of `name`, if the answer sets it.
pub fn set_cookie(h: &HeaderMap, name: &str) -> Option<String> {
    set_cookies(h)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The value a `Set-Cookie` line gives.
pub fn value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// The value of the hidden input `name` of a page.
pub fn hidden(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no hidden {name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').expect("end of value")].to_string()
}

pub fn location(h: &HeaderMap) -> &str {
    h.get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A `multipart/form-data` body as a browser sends a form with files: its content type
/// (with the boundary) and the body. `files` are (field, file name, content).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &str)]) -> (String, String) {
    let boundary = "----fentguard-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    for (name, file, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
             Content-Type: text/plain\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the step form `step` with `text` from the page `path` (a case, a notification)
/// as `cookie`, its form token taken from the page as a browser would (`csrf` overrides
/// it): the status, the redirect's location and the page.
pub async fn post_step(
    api: &Api,
    cookie: &str,
    path: &str,
    step: &str,
    text: &str,
    csrf: Option<&str>,
) -> (StatusCode, String, String) {
    let (_, _, page) = api.page("GET", path, &[("cookie", cookie)], "").await;
    let token = csrf.map_or_else(|| hidden(&page, "csrf"), String::from);
    let body =
        serde_urlencoded::to_string([("csrf", token.as_str()), ("step", step), ("text", text)])
            .expect("form");
    let (st, h, page) = api
        .page("POST", path, &[FORM, ("cookie", cookie)], &body)
        .await;
    (st, location(&h).to_string(), page)
}

/// The content type of a form as a browser posts it.
pub const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// Signs in through the form as a browser does (the page, then the post); the post's
/// answer.
pub async fn sign_in(api: &Api, user: &str, password: &str) -> (StatusCode, HeaderMap, String) {
    let (st, h, page) = api.page("GET", "/sign-in?next=/work", &[], "").await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let form_cookie = set_cookie(&h, "fg_form").expect("the form's cookie");
    let token = hidden(&page, "form_token");
    assert_eq!(
        value(&form_cookie),
        token,
        "double submit: cookie and field agree"
    );
    let body = serde_urlencoded::to_string([
        ("username", user),
        ("password", password),
        ("form_token", &token),
        ("next", "/work"),
    ])
    .expect("form");
    let cookie = format!("fg_form={token}");
    api.page("POST", "/sign-in", &[FORM, ("cookie", &cookie)], &body)
        .await
}

/// Signs in; the session cookie to send.
pub async fn session_of(api: &Api, user: &str) -> String {
    let (st, h, page) = sign_in(api, user, PASSWORD).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(location(&h), "/work");
    format!(
        "fg_session={}",
        value(&set_cookie(&h, "fg_session").expect("session cookie"))
    )
}

/// Creates users (name, organisation, role) with [`PASSWORD`], as the administrator.
pub async fn create_users(api: &Api, users: &[(&str, &str, &str)]) {
    for (name, org, role) in users {
        let (st, v) = api
            .call(
                "POST",
                "/api/v1/users",
                Some("administrator"),
                Some(json!({"username": name, "password": PASSWORD, "org": org, "role": role})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
}

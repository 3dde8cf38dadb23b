//! The HTTP API on both databases: health, public permit verification, audit
//! verification, problem responses; and a real server on a random loopback port with
//! graceful shutdown.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{NaiveDate, Utc};
use control::{Party, Permit};
use ed25519_dalek::SigningKey;
use server::{router, AppState};
use store::Store;
use tower::ServiceExt;

async fn state(url: &str) -> AppState {
    AppState::new(
        Store::connect(url, store::testing::seal())
            .await
            .expect("connect"),
        SigningKey::from_bytes(&[42u8; 32]),
    )
    .expect("state")
}

async fn get(s: &AppState, uri: &str) -> (StatusCode, String, serde_json::Value) {
    get_as(s, uri, None).await
}

async fn get_as(
    s: &AppState,
    uri: &str,
    token: Option<&str>,
) -> (StatusCode, String, serde_json::Value) {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = router(s.clone())
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        ctype,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn permit(valid_until: NaiveDate) -> Permit {
    let p = |n: &str, c: &str| Party {
        name: n.into(),
        address: "1 Road".into(),
        country: c.into(),
    };
    Permit {
        number: "CN-EXP-2026-000042".into(),
        exporter: p("Exporter Co", "CN"),
        importer: p("Importer SA", "MX"),
        consignee: p("Importer SA", "MX"),
        substance: "N-Phenethyl-4-piperidone".into(),
        quantity_kg: 25.0,
        destination: "MX".into(),
        valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("d"),
        valid_until,
        issuer: "Ministry of Commerce".into(),
        cas: None,
        hs_code: None,
    }
}

async fn api_on(url: &str) {
    let s = state(url).await;
    let (st, _, body) = get(&s, "/healthz").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["database"],
        if url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
    );

    // unknown endpoint and unknown permit: problem+json, not an HTML page
    let (st, ctype, body) = get(&s, "/api/v1/nothing").await;
    assert_eq!(
        (st, ctype.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
    assert_eq!(body["status"], 404);
    let (st, ctype, body) = get(&s, "/api/v1/permits/NOPE-1/verify").await;
    assert_eq!(
        (st, ctype.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
    assert!(body["detail"].as_str().unwrap_or("").contains("NOPE-1"));

    // a valid permit, verified without login; then a tampered one
    let signed = permit(NaiveDate::from_ymd_opt(2099, 12, 31).expect("d")).sign(&s.signing_key);
    let mut tx = s.store.write().await.expect("tx");
    tx.insert_permit(&signed, "app-1", "org-1", Utc::now())
        .await
        .expect("permit");
    tx.commit().await.expect("commit");
    let (st, _, body) = get(&s, "/api/v1/permits/CN-EXP-2026-000042/verify").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (
            body["status"].as_str(),
            body["remaining_kg"].as_f64(),
            body["signature_valid"].as_bool()
        ),
        (Some("valid"), Some(25.0), Some(true))
    );
    // The number alone tells nobody's business: no parties, substance or signed permit.
    assert!(
        body.get("signed_permit").is_none() && body.get("substance").is_none(),
        "{body}"
    );
    assert!(!body.to_string().contains("Importer SA"), "{body}");
    // The verification code printed on the permit shows the whole permit; a wrong one
    // is refused.
    let code = signed.verification_code();
    let (st, _, body) = get(
        &s,
        &format!("/api/v1/permits/CN-EXP-2026-000042/verify?code={code}"),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        body["signed_permit"]["permit"]["number"], "CN-EXP-2026-000042",
        "{body}"
    );
    assert!(
        body["signed_permit"]["permit"]["importer"].is_object(),
        "{body}"
    );
    let last = if code.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &code[..15]);
    let (st, _, body) = get(
        &s,
        &format!("/api/v1/permits/CN-EXP-2026-000042/verify?code={wrong}"),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(!body.to_string().contains("Importer SA"), "{body}");
    // After a key rotation the permit, signed by the earlier key, is still genuine; a
    // server that does not know the earlier key calls it invalid.
    let rotated = AppState::new(s.store.clone(), SigningKey::from_bytes(&[43u8; 32]))
        .expect("state")
        .with_earlier_keys(vec![s.signing_key.verifying_key()]);
    let (_, _, body) = get(&rotated, "/api/v1/permits/CN-EXP-2026-000042/verify").await;
    assert_eq!(body["status"], "valid", "{body}");
    let (_, _, key) = get(&rotated, "/api/v1/permits/public-key").await;
    assert_eq!(
        key["earlier_keys"][0].as_str(),
        Some(hex::encode(s.signing_key.verifying_key().to_bytes()).as_str())
    );
    let forgetful =
        AppState::new(s.store.clone(), SigningKey::from_bytes(&[43u8; 32])).expect("state");
    let (_, _, body) = get(&forgetful, "/api/v1/permits/CN-EXP-2026-000042/verify").await;
    assert_eq!(body["status"], "invalid_signature", "{body}");
    // anyone can check the signature offline with the published key
    let (_, _, key) = get(&s, "/api/v1/permits/public-key").await;
    assert_eq!(
        key["public_key"].as_str(),
        Some(hex::encode(s.signing_key.verifying_key().to_bytes()).as_str())
    );
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(url).await.expect("raw");
    sqlx::query("UPDATE permits SET signed_json = REPLACE(signed_json, '25.0', '2500.0')")
        .execute(&raw)
        .await
        .expect("tamper");
    let (_, _, body) = get(&s, "/api/v1/permits/CN-EXP-2026-000042/verify").await;
    assert_eq!(
        (body["status"].as_str(), body["signature_valid"].as_bool()),
        (Some("invalid_signature"), Some(false))
    );

    // audit verification (needs an authority's token)
    let tokens = server::demo::seed(&s.store, Utc::now())
        .await
        .expect("seed");
    let admin = tokens["administrator"].clone();
    let seeded = s.store.audit_chain().await.expect("chain").len() as u64;
    let (st, _, _) = get(&s, "/api/v1/audit/verify").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    for i in 0..3 {
        s.store
            .append_audit(
                Utc::now(),
                "u",
                "a",
                &format!("s{i}"),
                serde_json::Value::Null,
                serde_json::json!(i),
            )
            .await
            .expect("audit");
    }
    let (_, _, body) = get_as(&s, "/api/v1/audit/verify", Some(&admin)).await;
    assert_eq!(
        (body["entries"].as_u64(), body["broken_at"].as_u64()),
        (Some(seeded + 3), None),
        "{body}"
    );
    // The chain is whole, but the permit above was stored without an audit entry (and
    // then tampered with): the records do not agree with the trail.
    assert_eq!(body["valid"], false, "{body}");
    assert_eq!(body["disagreements_total"], 1, "{body}");
    assert_eq!(
        body["disagreements"][0]["subject"], "permit/CN-EXP-2026-000042",
        "{body}"
    );
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&raw)
        .await
        .expect("delete");
    let (_, _, body) = get_as(&s, "/api/v1/audit/verify", Some(&admin)).await;
    assert_eq!(
        (body["valid"].as_bool(), body["broken_at"].as_u64()),
        (Some(false), Some(2))
    );
}

#[tokio::test]
async fn api_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    api_on(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
}

#[tokio::test]
async fn api_on_postgres() {
    api_on(&store::testing::fresh_postgres("api").await).await;
}

#[tokio::test]
async fn real_server_on_loopback_shuts_down_gracefully() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("tmp");
    let s = state(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, s, async {
        let _ = rx.await;
    }));
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    conn.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");
    tx.send(()).expect("shutdown");
    tokio::time::timeout(std::time::Duration::from_secs(10), task)
        .await
        .expect("stops in time")
        .expect("join")
        .expect("serve");
}

/// Every answer carries the security headers; an answer to an authenticated request is
/// never stored by a browser or proxy; the documentation page keeps its viewer's policy.
#[tokio::test]
async fn security_headers_on_every_answer() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = state(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
    let tokens = server::demo::seed(&s.store, Utc::now())
        .await
        .expect("seed");
    let headers = |uri: &'static str, token: Option<String>| {
        let s = s.clone();
        async move {
            let mut req = Request::get(uri);
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            router(s)
                .oneshot(req.body(Body::empty()).expect("request"))
                .await
                .expect("response")
                .headers()
                .clone()
        }
    };
    let get = |h: &axum::http::HeaderMap, name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    for (uri, token) in [
        ("/healthz", None),
        ("/no/such/endpoint", None),
        ("/api/v1/me", Some(tokens["administrator"].clone())),
        ("/api/v1/me", Some("fg_unknown".to_string())),
        (
            "/epcis/events",
            Some(tokens["public_security_officer"].clone()),
        ),
    ] {
        let h = headers(uri, token.clone()).await;
        assert_eq!(get(&h, "x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(get(&h, "x-frame-options"), "DENY", "{uri}");
        assert_eq!(get(&h, "referrer-policy"), "no-referrer", "{uri}");
        let csp = get(&h, "content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{uri}: {csp}"
        );
        if token.is_some() {
            assert!(get(&h, "cache-control").contains("no-store"), "{uri}");
        } else {
            assert_eq!(get(&h, "cache-control"), "", "{uri}");
        }
    }
    // Pages (the API reference too) may load FentGuard's own styles, nothing else.
    let h = headers("/docs", None).await;
    let csp = get(&h, "content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("default-src 'none'")
            && csp.contains("style-src 'self'"),
        "{csp}"
    );
}

//! Logins against guessing and floods (issue 11 item 4), on SQLite and PostgreSQL: an
//! account locks after five wrong passwords, an address after twenty, unknown names are
//! answered the same way after the same work, every failure is audited without the
//! password, an administrator unlocks, and a burst of logins is answered without a 5xx.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use server::router;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use tower::ServiceExt;

mod common;

/// A login from a client address; the status, the body and the Retry-After header.
async fn login(
    s: &server::AppState,
    from: &str,
    user: &str,
    password: &str,
) -> (StatusCode, Value, Option<String>) {
    let addr: SocketAddr = format!("{from}:40000").parse().expect("address");
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": user, "password": password}).to_string(),
        ))
        .expect("request");
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = router(s.clone()).oneshot(req).await.expect("response");
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry,
    )
}

async fn scenario(url: &str) {
    let api = common::Api::new(url).await;
    let (st, v) = api
        .call("POST", "/api/v1/users", Some("administrator"), Some(json!({"username": "li.wei", "password": "correct horse battery", "org": "cn-customs", "role": "customs_officer"})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    // Five wrong passwords lock the account: the right one is then refused too.
    for i in 1..=5 {
        let (st, v, _) = login(&api.s, "10.0.0.1", "li.wei", &format!("guess-{i}")).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    let (st, v, retry) = login(&api.s, "10.0.0.1", "li.wei", "correct horse battery").await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("account"),
        "{v}"
    );
    let secs: u64 = retry.and_then(|r| r.parse().ok()).unwrap_or(0);
    assert!(
        (800..=900).contains(&secs),
        "Retry-After about 15 minutes: {secs}"
    );
    // ...from another address as well: the lock is the account's.
    let (st, _, _) = login(&api.s, "10.0.0.2", "li.wei", "correct horse battery").await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);

    // Every failure is audited, the lock too, and no password is written down.
    let chain = api.s.store.audit_chain().await.expect("audit");
    let failed = chain
        .iter()
        .filter(|e| e.action == "user.login_failed" && e.subject == "login/li.wei")
        .count();
    assert_eq!(failed, 5);
    assert!(chain
        .iter()
        .any(|e| e.action == "user.locked" && e.subject == "login/li.wei"));
    let text = serde_json::to_string(
        &chain
            .iter()
            .map(|e| (&e.before, &e.after))
            .collect::<Vec<_>>(),
    )
    .expect("json");
    assert!(
        !text.contains("guess-") && !text.contains("correct horse"),
        "{text}"
    );

    // An unknown name: the same answers, after the same password work each time.
    let before = api.s.logins.checks.load(Ordering::Relaxed);
    for i in 1..=5 {
        let (st, v, _) = login(&api.s, "10.0.0.3", "no.such.user", &format!("guess-{i}")).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(v["detail"], "wrong user name or password");
    }
    assert_eq!(
        api.s.logins.checks.load(Ordering::Relaxed) - before,
        5,
        "a password check for every attempt on an unknown name"
    );
    let (st, v, _) = login(&api.s, "10.0.0.3", "no.such.user", "x").await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{v}");

    // Only an administrator unlocks; then the right password works again.
    let (st, _) = api
        .call(
            "POST",
            "/api/v1/users/li.wei/unlock",
            Some("licensing_officer"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/users/li.wei/unlock",
            Some("administrator"),
            None,
        )
        .await;
    assert_eq!((st, &v["unlocked"]), (StatusCode::OK, &json!(true)), "{v}");
    let (st, v, _) = login(&api.s, "10.0.0.4", "li.wei", "correct horse battery").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(api
        .s
        .store
        .audit_chain()
        .await
        .expect("audit")
        .iter()
        .any(|e| e.action == "user.unlock" && e.subject == "login/li.wei"));

    // One address guessing at many accounts is stopped after twenty failures, whatever
    // the names.
    for i in 0..20 {
        let (st, v, _) = login(&api.s, "10.0.0.5", &format!("user{i}"), "guess").await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    let (st, v, _) = login(&api.s, "10.0.0.5", "li.wei", "correct horse battery").await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("address"),
        "{v}"
    );

    // A burst of logins at once: each answered (no 5xx), the password checks bounded.
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..24 {
        let s = api.s.clone();
        burst.spawn(async move {
            login(&s, &format!("10.1.0.{i}"), &format!("burst{i}"), "guess").await
        });
    }
    while let Some(r) = burst.join_next().await {
        let (st, v, _) = r.expect("answered");
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    scenario(&format!("sqlite://{}", dir.path().join("t.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_on_postgres() {
    let url = store::testing::fresh_postgres("logins").await;
    scenario(&url).await;
}

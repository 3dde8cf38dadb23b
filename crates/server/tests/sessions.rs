//! Signing in to the portal (issue 12 item 2), on SQLite and PostgreSQL: the cookies'
//! attributes, forms refused without their token or from another site, sign-out, the
//! idle and the absolute expiry, the lock-out shared with the API's login, and "My work"
//! showing each user only what its role and enterprise may see.

use axum::http::{header, HeaderMap, StatusCode};
use serde_json::json;

mod common;
use common::{
    application, assert_self_contained, create_users, hidden, location, session_of, set_cookie,
    sign_in, value, Api, FORM, PASSWORD,
};

async fn work(api: &Api, cookie: &str) -> (StatusCode, HeaderMap, String) {
    api.page("GET", "/work", &[("cookie", cookie)], "").await
}

async fn audited(api: &Api, action: &str) -> usize {
    api.s
        .store
        .audit_chain()
        .await
        .expect("chain")
        .iter()
        .filter(|e| e.action == action)
        .count()
}

async fn scenario(url: &str) {
    let api = Api::new(url).await;
    create_users(
        &api,
        &[
            ("wang.fang", "cn-exporter", "compliance_officer"),
            ("zhao.lei", "cn-exporter-2", "compliance_officer"),
            ("chen.jing", "cn-mofcom", "licensing_officer"),
            ("sun.li", "cn-customs", "customs_officer"),
        ],
    )
    .await;
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/export-applications",
            Some("compliance_officer"),
            Some(application("N-phenethyl-4-piperidone", "25 kg")),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let app = v["id"].as_str().expect("id").to_string();

    // Not signed in: My work sends the browser to sign in, and back.
    let (st, h, _) = api.page("GET", "/work", &[], "").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/sign-in?next=%2Fwork");

    // The sign-in page: its form cookie is HttpOnly and Strict, the page is not cached.
    let (_, h, page) = api.page("GET", "/sign-in", &[], "").await;
    let c = set_cookie(&h, "fg_form").expect("form cookie");
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict"),
        "{c}"
    );
    assert!(!c.contains("Secure"), "plain HTTP: {c}");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(page.contains("type=\"password\""), "{page}");
    assert_self_contained(&page);

    // A forged sign-in: without the form's token, with a token of its own, or from
    // another site's page. Nothing is done: no session, no audit entry.
    let logins = audited(&api, "user.login").await;
    let failures = audited(&api, "user.login_failed").await;
    let forged = serde_urlencoded::to_string([("username", "wang.fang"), ("password", PASSWORD)])
        .expect("form");
    let token = value(&c);
    let with_token = format!("{forged}&form_token={token}");
    let cookie = format!("fg_form={token}");
    for (body, headers) in [
        (forged.clone(), vec![FORM]),
        (forged.clone(), vec![FORM, ("cookie", cookie.as_str())]),
        (
            format!("{forged}&form_token={}", "a".repeat(64)),
            vec![FORM, ("cookie", cookie.as_str())],
        ),
        (with_token.clone(), vec![FORM]),
        (
            with_token.clone(),
            vec![
                FORM,
                ("cookie", cookie.as_str()),
                ("sec-fetch-site", "cross-site"),
            ],
        ),
    ] {
        let (st, h, _) = api.page("POST", "/sign-in", &headers, &body).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body} {headers:?}");
        assert!(set_cookie(&h, "fg_session").is_none());
    }
    assert_eq!(audited(&api, "user.login").await, logins);
    assert_eq!(audited(&api, "user.login_failed").await, failures);

    // A wrong password: said so, the name kept, no session, counted.
    let (st, h, page) = sign_in(&api, "wang.fang", "not the password").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Wrong user name or password"), "{page}");
    assert!(page.contains("value=\"wang.fang\""), "{page}");
    assert!(set_cookie(&h, "fg_session").is_none());
    assert_eq!(audited(&api, "user.login_failed").await, failures + 1);

    // Signed in: the session cookie is HttpOnly, Lax, for the whole site, gone with
    // the browser; the page is the exporter's own work.
    let (st, h, _) = sign_in(&api, "wang.fang", PASSWORD).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let c = set_cookie(&h, "fg_session").expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(c.contains(attr), "{attr}: {c}");
    }
    assert!(!c.contains("Secure") && !c.contains("Max-Age"), "{c}");
    assert!(
        set_cookie(&h, "fg_form").is_some_and(|f| f.contains("Max-Age=0")),
        "the form cookie is cleared"
    );
    let exporter = format!("fg_session={}", value(&c));
    let (st, _, page) = work(&api, &exporter).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    for text in [
        "wang.fang",
        "Jiangsu Demo Fine Chemicals Co., Ltd.",
        "Compliance officer (exporter)",
        app.as_str(),
        "N-Phenethyl-4-piperidone",
        "Under review",
        "Sign out",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    assert_self_contained(&page);
    let (_, _, zh) = work(&api, &format!("{exporter}; fg_lang=zh-CN")).await;
    assert!(zh.contains("我的工作") && zh.contains("合规专员"), "{zh}");
    assert!(zh.contains("审查中") && zh.contains("退出登录"), "{zh}");
    assert_self_contained(&zh);

    // Another enterprise's officer does not see it; the authority's officer does; a
    // role without applications sees none and no error.
    let other = session_of(&api, "zhao.lei").await;
    let (_, _, page) = work(&api, &other).await;
    assert!(!page.contains(&app), "another enterprise's case: {page}");
    assert!(page.contains("There are no export applications for you to see"));
    let officer = session_of(&api, "chen.jing").await;
    let (_, _, page) = work(&api, &officer).await;
    assert!(
        page.contains(&app) && page.contains("Licensing officer"),
        "{page}"
    );
    let customs = session_of(&api, "sun.li").await;
    let (st, _, page) = work(&api, &customs).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        !page.contains(&app) && !page.contains("role=\"alert\""),
        "{page}"
    );

    // Sign-out needs the session's form token: a forged one does nothing.
    let (_, _, page) = work(&api, &exporter).await;
    let csrf = hidden(&page, "csrf");
    for forged in ["", "0000", &"a".repeat(64), &csrf[1..]] {
        let (st, _, _) = api
            .page(
                "POST",
                "/sign-out",
                &[FORM, ("cookie", &exporter)],
                &format!("csrf={forged}"),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{forged}");
    }
    // Another session's token is not this one's.
    let (_, _, other_page) = work(&api, &other).await;
    let (st, _, _) = api
        .page(
            "POST",
            "/sign-out",
            &[FORM, ("cookie", &exporter)],
            &format!("csrf={}", hidden(&other_page, "csrf")),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(
        work(&api, &exporter).await.0,
        StatusCode::OK,
        "still signed in"
    );
    let logouts = audited(&api, "user.logout").await;
    let (st, h, _) = api
        .page(
            "POST",
            "/sign-out",
            &[FORM, ("cookie", &exporter)],
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/");
    assert!(set_cookie(&h, "fg_session").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(audited(&api, "user.logout").await, logouts + 1);
    // The old cookie no longer works anywhere, even if the browser kept it.
    assert_eq!(work(&api, &exporter).await.0, StatusCode::SEE_OTHER);
    let (_, _, page) = api
        .page("GET", "/sign-in", &[("cookie", &exporter)], "")
        .await;
    assert!(page.contains("You are signed out"), "{page}");

    // Idle: 31 minutes without a request end the session.
    let idle = session_of(&api, "wang.fang").await;
    api.s.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(work(&api, &idle).await.0, StatusCode::SEE_OTHER);
    let (_, _, page) = api.page("GET", "/sign-in", &[("cookie", &idle)], "").await;
    assert!(page.contains("30 minutes without use"), "{page}");
    // Absolute: used every 20 minutes, it still ends 12 hours after sign-in.
    let busy = session_of(&api, "wang.fang").await;
    for _ in 0..35 {
        api.s.clock.advance(chrono::Duration::minutes(20));
        assert_eq!(work(&api, &busy).await.0, StatusCode::OK);
    }
    api.s.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(work(&api, &busy).await.0, StatusCode::SEE_OTHER);
    let (_, _, page) = api.page("GET", "/sign-in", &[("cookie", &busy)], "").await;
    assert!(page.contains("12 hours after you signed in"), "{page}");

    // Five wrong passwords on the page lock the account for the page and the API alike.
    for i in 0..5 {
        let (st, _, _) = sign_in(&api, "chen.jing", &format!("guess {i}")).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let (st, _, page) = sign_in(&api, "chen.jing", PASSWORD).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.contains("Too many failed sign-ins for this account"),
        "{page}"
    );
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "chen.jing", "password": PASSWORD})),
        )
        .await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{v}");

    // Over HTTPS the session cookie is Secure.
    let tls = Api {
        s: api.s.clone().with_edge(server::edge::Edge {
            tls: true,
            trusted_proxies: Vec::new(),
        }),
        tokens: api.tokens.clone(),
    };
    let (_, h, _) = sign_in(&tls, "wang.fang", PASSWORD).await;
    let c = set_cookie(&h, "fg_session").expect("session cookie");
    assert!(c.contains("Secure") && c.contains("HttpOnly"), "{c}");

    // A following link goes back only within FentGuard.
    let (_, h, page) = api.page("GET", "/sign-in", &[], "").await;
    let token = value(&set_cookie(&h, "fg_form").expect("form cookie"));
    assert!(page.contains("form_token"));
    let body = serde_urlencoded::to_string([
        ("username", "zhao.lei"),
        ("password", PASSWORD),
        ("form_token", &token),
        ("next", "//evil.example/"),
    ])
    .expect("form");
    let (st, h, _) = api
        .page(
            "POST",
            "/sign-in",
            &[FORM, ("cookie", &format!("fg_form={token}"))],
            &body,
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/work");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    scenario(&format!("sqlite://{}", dir.path().join("t.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_on_postgres() {
    let url = store::testing::fresh_postgres("sessions").await;
    scenario(&url).await;
}

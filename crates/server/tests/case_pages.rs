//! The case page of an export application (issue 12 item 4), on SQLite and PostgreSQL:
//! each role sees what it may and is offered only the steps it may take; an officer asks
//! for information, the exporter answers, the officer refuses with reasons, all through
//! the page's forms; a stranger's URL is a 404 that tells nothing; a form without the
//! session's token or a step the role may not take changes nothing.

use axum::http::StatusCode;

mod common;
use common::{
    assert_self_contained, create_users, filed, hidden, post_step, session_of, state_at, Api,
};

async fn state(api: &Api, id: &str) -> String {
    let path = format!("/api/v1/export-applications/{id}");
    state_at(api, &path, "licensing_officer").await
}

async fn scenario(url: &str) {
    let api = Api::new(url).await;
    create_users(
        &api,
        &[
            ("wang.fang", "cn-exporter", "compliance_officer"),
            ("zhao.lei", "cn-exporter-2", "compliance_officer"),
            ("chen.jing", "cn-mofcom", "licensing_officer"),
        ],
    )
    .await;
    let id = filed(&api, "N-phenethyl-4-piperidone", "25 kg").await;
    assert_eq!(state(&api, &id).await, "under_review");
    let path = format!("/applications/{id}");
    let exporter = session_of(&api, "wang.fang").await;
    let stranger = session_of(&api, "zhao.lei").await;
    let officer = session_of(&api, "chen.jing").await;

    // My work links to the case.
    let (_, _, work) = api.page("GET", "/work", &[("cookie", &officer)], "").await;
    assert!(work.contains(&format!("href=\"{path}\"")), "{work}");

    // The language switch stays on the case.
    let (_, _, page) = api.page("GET", &path, &[("cookie", &officer)], "").await;
    assert!(
        page.contains(&format!("href=\"{path}?lang=zh-CN\"")),
        "{page}"
    );

    // The officer: the form, the clock, the risk factors, the history, the officer's steps.
    let (st, _, page) = api.page("GET", &path, &[("cookie", &officer)], "").await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_self_contained(&page);
    for want in [
        "Under review",
        "Review clock",
        "decision due by",
        "N-Phenethyl-4-piperidone",
        "Risk assessment",
        "Submitted",
        "value=\"request_information\"",
        "value=\"forward\"",
        "value=\"refuse\"",
    ] {
        assert!(page.contains(want), "officer's page lacks {want}: {page}");
    }
    // Not verified by the importing country yet: approval is not offered.
    assert!(!page.contains("value=\"approve\""), "{page}");
    assert!(!page.contains("value=\"withdraw\""), "{page}");

    // The exporter: its own case, its own steps only, officers' names not shown.
    let (st, _, page) = api.page("GET", &path, &[("cookie", &exporter)], "").await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("value=\"withdraw\""), "{page}");
    assert!(!page.contains("value=\"refuse\""), "{page}");
    assert!(!page.contains("<th>Who</th>"), "{page}");

    // Another enterprise: as if the case did not exist.
    let (st, _, page) = api.page("GET", &path, &[("cookie", &stranger)], "").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{page}");
    assert!(!page.to_lowercase().contains("phenethyl"), "{page}");
    // Its form token (the not-found page's sign-out form carries it) does not help.
    let (st, _, _) = post_step(&api, &stranger, &path, "withdraw", "", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(state(&api, &id).await, "under_review");

    // The documents, as filed: linked from the case page, shown to the case's readers,
    // never to another enterprise, and only the case's own documents by its address.
    let (_, v) = api
        .call(
            "GET",
            &format!("/api/v1/export-applications/{id}"),
            Some("licensing_officer"),
            None,
        )
        .await;
    let docs = v["dossier"]["documents"]
        .as_array()
        .expect("documents")
        .clone();
    let contract = docs
        .iter()
        .find(|d| d["kind"] == "contract")
        .expect("contract");
    let sha = contract["sha256"].as_str().expect("sha");
    let doc = format!("{path}/documents/{sha}");
    let (_, _, page) = api.page("GET", &path, &[("cookie", &officer)], "").await;
    assert!(page.contains(&format!("href=\"{doc}\"")), "{page}");
    for who in [&officer, &exporter] {
        let (st, h, body) = api.page("GET", &doc, &[("cookie", who)], "").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body, "contract", "the bytes as filed");
        assert_eq!(h["content-type"], "text/plain; charset=utf-8");
        assert!(h["content-disposition"]
            .to_str()
            .unwrap_or("")
            .starts_with("inline; filename=\"c.txt\""));
    }
    let (st, _, body) = api.page("GET", &doc, &[("cookie", &stranger)], "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_ne!(body, "contract");
    let other = filed(&api, "N-phenethyl-4-piperidone", "5 kg").await;
    let (st, _, _) = api
        .page(
            "GET",
            &format!("/applications/{other}/documents/{}", "0".repeat(64)),
            &[("cookie", &officer)],
            "",
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "a hash the case does not list");
    // the API gives the same bytes, always as a download
    let (st, h, body) = api
        .send(
            "GET",
            &format!("/api/v1/export-applications/{id}/documents/{sha}"),
            Some("licensing_officer"),
            axum::body::Body::empty(),
            "application/json",
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body, "contract");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap_or("")
        .starts_with("attachment"));

    // A forged form (no token, or another session's) does nothing.
    let (st, _, _) = post_step(
        &api,
        &officer,
        &path,
        "request_information",
        "Why?",
        Some(""),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let exporters_token = {
        let (_, _, p) = api.page("GET", &path, &[("cookie", &exporter)], "").await;
        hidden(&p, "csrf")
    };
    let (st, _, _) = post_step(&api, &officer, &path, "forward", "", Some(&exporters_token)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(state(&api, &id).await, "under_review");

    // A step the role may not take, or no step at all: said on the page, nothing done.
    let (st, _, page) = post_step(&api, &exporter, &path, "refuse", "mine", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("Your role may not do this"), "{page}");
    let (st, _, page) = post_step(&api, &officer, &path, "approve-all", "", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("approve-all"), "{page}");
    assert_eq!(state(&api, &id).await, "under_review");

    // The officer asks; the clock pauses; the exporter sees the question and answers.
    let question = "Send the end-user statement signed by the importer.";
    let (st, to, page) =
        post_step(&api, &officer, &path, "request_information", question, None).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(to, format!("{path}?done=awaiting_applicant"));
    let (_, _, page) = api.page("GET", &to, &[("cookie", &officer)], "").await;
    assert!(page.contains("the review clock is paused"), "{page}");
    assert!(page.contains("Information requested"), "{page}");
    assert_eq!(state(&api, &id).await, "awaiting_applicant");
    let (_, _, page) = api.page("GET", &path, &[("cookie", &exporter)], "").await;
    assert!(page.contains(question), "{page}");
    let (st, to, page) = post_step(
        &api,
        &exporter,
        &path,
        "provide_information",
        "Attached by post.",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(to, format!("{path}?done=answer_recorded"));
    assert_eq!(state(&api, &id).await, "under_review");

    // A refusal needs reasons; with them the exporter reads them.
    let (st, _, page) = post_step(&api, &officer, &path, "refuse", "  ", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert_eq!(state(&api, &id).await, "under_review");
    let reasons = "The end user is not registered with the importing authority.";
    let (st, to, _) = post_step(&api, &officer, &path, "refuse", reasons, None).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("{path}?done=refused"));
    assert_eq!(state(&api, &id).await, "refused");
    let (_, _, page) = api
        .page(
            "GET",
            &format!("{path}?lang=zh-CN"),
            &[("cookie", &exporter)],
            "",
        )
        .await;
    assert!(page.contains(reasons), "{page}");
    assert!(
        page.contains("不予许可的理由") && page.contains("已拒绝"),
        "{page}"
    );
    // A decided case offers nothing more.
    assert!(!page.contains("name=\"step\""), "{page}");

    // The history is the audit trail's: each step by whom, as the officer sees it.
    let (_, _, page) = api.page("GET", &path, &[("cookie", &officer)], "").await;
    for want in ["Information provided", "Decided", "chen.jing", "wang.fang"] {
        assert!(page.contains(want), "history lacks {want}: {page}");
    }
}

#[tokio::test]
async fn case_pages_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    scenario(&format!("sqlite://{}", dir.path().join("c.db").display())).await;
}

#[tokio::test]
async fn case_pages_on_postgres() {
    scenario(&store::testing::fresh_postgres("case_pages").await).await;
}

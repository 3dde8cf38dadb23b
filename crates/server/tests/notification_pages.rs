//! The pre-export notification pages (issue 12 item 4, public security and the foreign
//! competent authority), on SQLite and PostgreSQL: public security sees the notification
//! to send and sends it; the importing country's authority finds it in its inbox with
//! the art. 12(10) fields and replies; another country's authority and an exporter find
//! nothing; a forged form, a reply without its reason, or a step the role may not take
//! change nothing.

use axum::http::StatusCode;

mod common;
use common::{assert_self_contained, create_users, filed, post_step, session_of, state_at, Api};

async fn notification_state(api: &Api, id: &str) -> String {
    let path = format!("/api/v1/notifications/{id}");
    state_at(api, &path, "public_security_officer").await
}

async fn scenario(url: &str) {
    let api = Api::new(url).await;
    create_users(
        &api,
        &[
            ("wang.fang", "cn-exporter", "compliance_officer"),
            ("li.wei", "cn-mps", "public_security_officer"),
            ("maria.lopez", "mx-authority", "foreign_authority_officer"),
            ("john.smith", "us-authority", "foreign_authority_officer"),
            ("chen.jing", "cn-mofcom", "licensing_officer"),
        ],
    )
    .await;
    let app = filed(&api, "N-phenethyl-4-piperidone", "25 kg").await;
    let (st, v) = api
        .call(
            "POST",
            &format!("/api/v1/export-applications/{app}/forward"),
            Some("licensing_officer"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let id = v["notification"]
        .as_str()
        .expect("notification")
        .to_string();
    let path = format!("/notifications/{id}");
    let police = session_of(&api, "li.wei").await;
    let mexico = session_of(&api, "maria.lopez").await;
    let usa = session_of(&api, "john.smith").await;
    let exporter = session_of(&api, "wang.fang").await;
    let officer = session_of(&api, "chen.jing").await;

    // Public security: the inbox lists it as to be sent; the navigation leads there.
    let (st, _, page) = api
        .page("GET", "/notifications", &[("cookie", &police)], "")
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_self_contained(&page);
    assert!(
        page.contains(&format!("href=\"{path}\"")) && page.contains("To be sent"),
        "{page}"
    );
    assert!(page.contains("href=\"/notifications\""), "{page}");
    // The exporter has no inbox, nor a link to one.
    let (st, _, page) = api
        .page("GET", "/notifications", &[("cookie", &exporter)], "")
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{page}");
    let (_, _, page) = api.page("GET", "/work", &[("cookie", &exporter)], "").await;
    assert!(!page.contains("href=\"/notifications\""), "{page}");
    // Mexico's authority sees nothing before it is sent.
    let (_, _, page) = api
        .page("GET", "/notifications", &[("cookie", &mexico)], "")
        .await;
    assert!(!page.contains(&id), "{page}");
    let (st, _, _) = api.page("GET", &path, &[("cookie", &mexico)], "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The page: the art. 12(10) fields, and only public security's step.
    let (st, _, page) = api.page("GET", &path, &[("cookie", &police)], "").await;
    assert_eq!(st, StatusCode::OK, "{page}");
    for want in [
        "art. 12(10)",
        "Quimica Demo SA de CV",
        "Shanghai",
        "Manzanillo",
        "25.000 kg as base",
        "value=\"send\"",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert!(!page.contains("value=\"no_objection\""), "{page}");

    // A forged form does nothing; a reply is not public security's to give.
    let (st, _, _) = post_step(&api, &police, &path, "send", "", Some("")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, page) = post_step(&api, &police, &path, "no_objection", "", None).await;
    assert!(st.is_client_error(), "{st} {page}");
    assert_eq!(notification_state(&api, &id).await, "pending_dispatch");

    // Sent: the deadline runs, as a date with the days left.
    let (st, to, page) = post_step(&api, &police, &path, "send", "", None).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(to, format!("{path}?done=send"));
    let (_, _, page) = api.page("GET", &to, &[("cookie", &police)], "").await;
    assert!(page.contains("Sent: the importing country"), "{page}");
    assert!(page.contains("days left"), "{page}");
    assert_eq!(notification_state(&api, &id).await, "sent");

    // The notification to print, for an authority not on FentGuard: the art. 12(10)
    // fields with bilingual labels, the deadline as a day, how to reply; read back with
    // pdftotext where it is installed (CI installs it). Not for another country.
    let pdf = format!("{path}/pdf");
    let (st, h, bytes) = api
        .page_bytes("GET", &pdf, &[("cookie", &police)], "")
        .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(h["content-type"], "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("pen.pdf");
    std::fs::write(&file, &bytes).expect("write");
    match std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            for want in [
                "Pre-export notification",
                "出口前通知",
                "article 12, paragraph 10",
                "The competent authority of Mexico (MX)",
                "39742-60-4",
                "2933.37",
                "Quimica",
                "Reply deadline",
                &id,
            ] {
                assert!(text.contains(want), "the notification lacks {want}: {text}");
            }
        }
        _ => assert!(
            std::env::var_os("CI").is_none(),
            "CI reads the PDF back with pdftotext"
        ),
    }
    let (st, _, bytes) = api.page_bytes("GET", &pdf, &[("cookie", &usa)], "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!bytes.starts_with(b"%PDF-"));

    // Another country's authority: as if it did not exist, even by its address.
    let (_, _, page) = api
        .page("GET", "/notifications", &[("cookie", &usa)], "")
        .await;
    assert!(!page.contains(&id), "{page}");
    let (st, _, page) = api.page("GET", &path, &[("cookie", &usa)], "").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{page}");
    assert!(!page.contains("Quimica"), "{page}");
    let (st, _, _) = post_step(&api, &usa, &path, "objection", "no", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Mexico's inbox has it; an objection needs its reason; no objection is recorded.
    let (_, _, page) = api
        .page(
            "GET",
            "/notifications?lang=zh-CN",
            &[("cookie", &mexico)],
            "",
        )
        .await;
    assert!(
        page.contains(&id) && page.contains("已发送，等待答复"),
        "{page}"
    );
    let (_, _, page) = api.page("GET", &path, &[("cookie", &mexico)], "").await;
    for want in [
        "value=\"no_objection\"",
        "value=\"objection\"",
        "value=\"request_information\"",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert!(
        !page.contains("href=\"/applications/"),
        "the application is not the foreign authority's: {page}"
    );
    let (st, _, page) = post_step(&api, &mexico, &path, "objection", " ", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert_eq!(notification_state(&api, &id).await, "sent");
    let (st, to, _) = post_step(&api, &mexico, &path, "no_objection", "", None).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("{path}?done=no_objection"));
    assert_eq!(notification_state(&api, &id).await, "answered");
    let (_, _, page) = api.page("GET", &path, &[("cookie", &mexico)], "").await;
    assert!(
        page.contains("No objection") && !page.contains("name=\"step\""),
        "{page}"
    );

    // The licensing officer reads the reply and goes on to the application.
    let (_, _, page) = api.page("GET", &path, &[("cookie", &officer)], "").await;
    assert!(
        page.contains(&format!("href=\"/applications/{app}\"")),
        "{page}"
    );
    let (_, _, page) = api
        .page(
            "GET",
            &format!("/applications/{app}"),
            &[("cookie", &officer)],
            "",
        )
        .await;
    assert!(page.contains(&format!("href=\"{path}\"")), "{page}");
    assert!(page.contains("Verified by the importing country"), "{page}");
}

#[tokio::test]
async fn notification_pages_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    scenario(&format!("sqlite://{}", dir.path().join("n.db").display())).await;
}

#[tokio::test]
async fn notification_pages_on_postgres() {
    scenario(&store::testing::fresh_postgres("notification_pages").await).await;
}

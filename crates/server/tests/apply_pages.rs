//! The new-application page (issue 12 item 4, exporter), on SQLite and PostgreSQL, as a
//! browser without JavaScript uses it: the form, "licence needed?" by its Check button
//! and as the live panel, what is missing said by field with the values kept, a complete
//! application filed with its documents and shown on its case page; an export needing no
//! licence files nothing; another role is refused the form; a forged form does nothing.

use axum::http::StatusCode;
use chrono::{Duration, Utc};

mod common;
use common::{assert_self_contained, create_users, hidden, location, multipart, session_of, Api};

/// The form's fields for 25 kg of NPP to Mexico (every field given).
fn npp(csrf: &str, action: &str, dispatch: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf),
        ("action", action),
        ("substance", "N-phenethyl-4-piperidone"),
        ("quantity", "25 kg"),
        ("mixture", ""),
        ("destination", "mx"),
        ("planned_dispatch", dispatch),
        ("importer_name", "Quimica Demo SA de CV"),
        ("importer_address", "Av. Industria 10, Monterrey"),
        ("importer_country", "MX"),
        ("consignee_name", "Quimica Demo SA de CV"),
        ("consignee_address", "Planta 2, Monterrey"),
        ("consignee_country", "mx"),
        ("point_of_exit", "Shanghai"),
        ("point_of_entry", "Manzanillo"),
        ("transport_mode", "sea"),
        ("contract_reference", "QS-2026-118"),
        ("end_use", "synthesis of a licensed analgesic"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn post(
    api: &Api,
    cookie: &str,
    fields: &[(String, String)],
    files: &[(&str, &str, &str)],
) -> (StatusCode, String, String) {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (content_type, body) = multipart(&fields, files);
    let (st, h, page) = api
        .page(
            "POST",
            "/applications/new",
            &[("content-type", &content_type), ("cookie", cookie)],
            &body,
        )
        .await;
    (st, location(&h).to_string(), page)
}

async fn count(api: &Api) -> usize {
    let (_, v) = api
        .call(
            "GET",
            "/api/v1/export-applications",
            Some("licensing_officer"),
            None,
        )
        .await;
    v.as_array().map_or(0, Vec::len)
}

async fn scenario(url: &str) {
    let api = Api::new(url).await;
    create_users(
        &api,
        &[
            ("wang.fang", "cn-exporter", "compliance_officer"),
            ("chen.jing", "cn-mofcom", "licensing_officer"),
        ],
    )
    .await;
    let exporter = session_of(&api, "wang.fang").await;
    let officer = session_of(&api, "chen.jing").await;
    let dispatch = (Utc::now() + Duration::days(30)).date_naive().to_string();

    // My work offers the form to the exporter only; the officer is refused it.
    let (_, _, work) = api.page("GET", "/work", &[("cookie", &exporter)], "").await;
    assert!(work.contains("href=\"/applications/new\""), "{work}");
    let (_, _, work) = api.page("GET", "/work", &[("cookie", &officer)], "").await;
    assert!(!work.contains("href=\"/applications/new\""), "{work}");
    let (st, _, page) = api
        .page("GET", "/applications/new", &[("cookie", &officer)], "")
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{page}");
    assert!(!page.contains("name=\"substance\""), "{page}");

    // The empty form: nothing judged yet (which is not "no licence required").
    let (st, _, page) = api
        .page("GET", "/applications/new", &[("cookie", &exporter)], "")
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_self_contained(&page);
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(
        page.contains("Give the substance and the destination"),
        "{page}"
    );
    assert!(!page.contains("No licence is required"), "{page}");
    for kind in ["contract", "import_certificate", "importer_guarantee"] {
        assert!(
            page.contains(&format!("name=\"document-{kind}\"")),
            "{kind}: {page}"
        );
    }
    let csrf = hidden(&page, "csrf");

    // Check: the answer beside the goods, the form kept as filled in, nothing filed.
    let (st, _, page) = post(&api, &exporter, &npp(&csrf, "check", &dispatch), &[]).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("A licence is required"), "{page}");
    assert!(page.contains("value=\"QS-2026-118\""), "{page}");
    assert_eq!(count(&api).await, 0);

    // The live panel: the same answer, alone; a misspelt name is never "no licence".
    let (st, h, panel) = api
        .page(
            "GET",
            "/applications/new/licence?substance=NPP&quantity=25%20kg&destination=MX",
            &[("cookie", &exporter)],
            "",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{panel}");
    assert_eq!(h["cache-control"], "no-store");
    assert!(
        panel.contains("A licence is required") && !panel.contains("<html"),
        "{panel}"
    );
    let (_, _, panel) = api
        .page(
            "GET",
            "/applications/new/licence?substance=fentanil&destination=MX",
            &[("cookie", &exporter)],
            "",
        )
        .await;
    assert!(
        panel.contains("Fentanyl") && !panel.contains("No licence"),
        "{panel}"
    );
    let (st, _, _) = api
        .page(
            "GET",
            "/applications/new/licence?substance=NPP&destination=MX",
            &[],
            "",
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "signed-in users only");

    // Submitted without the documents and without an importer's name: each gap said,
    // the values kept, nothing filed.
    let mut fields = npp(&csrf, "submit", &dispatch);
    fields.retain(|(k, _)| k != "importer_name");
    let (st, _, page) = post(&api, &exporter, &fields, &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    for want in [
        "importer.name: missing",
        "documents: a 'contract' is required",
        "value=\"Manzanillo\"",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert_eq!(count(&api).await, 0);

    // A forged form (another token, or none) does nothing.
    let (st, _, _) = post(&api, &exporter, &npp("forged", "submit", &dispatch), &[]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(count(&api).await, 0);

    // Complete: filed, and the case page shows it with its documents.
    let files = [
        (
            "document-contract",
            "contract.txt",
            "Sales contract QS-2026-118",
        ),
        (
            "document-importer_guarantee",
            "guarantee.txt",
            "Importer guarantee",
        ),
        // No file chosen: an empty part, which is no document.
        ("document-import_certificate", "", ""),
    ];
    let (st, to, page) = post(&api, &exporter, &npp(&csrf, "submit", &dispatch), &files).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
    let id = to
        .strip_prefix("/applications/")
        .and_then(|r| r.strip_suffix("?done=submitted"))
        .unwrap_or_else(|| panic!("to the case: {to}"))
        .to_string();
    let (_, _, page) = api.page("GET", &to, &[("cookie", &exporter)], "").await;
    for want in [
        "The application is filed",
        "contract.txt",
        "guarantee.txt",
        "Importer's guarantee",
        "Planta 2, Monterrey",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    let (_, v) = api
        .call(
            "GET",
            &format!("/api/v1/export-applications/{id}"),
            Some("licensing_officer"),
            None,
        )
        .await;
    assert_eq!(v["state"], "under_review", "{v}");
    assert_eq!(v["dossier"]["details"]["destination"], "MX", "{v}");
    assert_eq!(
        v["dossier"]["documents"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );

    // No licence needed (a dilute toluene mixture to Germany): said, and nothing filed.
    let mut fields = npp(&csrf, "submit", &dispatch);
    for (k, v) in fields.iter_mut() {
        match k.as_str() {
            "substance" => *v = "toluene".into(),
            "mixture" => *v = "toluene=35,water=65".into(),
            "destination" | "importer_country" | "consignee_country" => *v = "DE".into(),
            _ => {}
        }
    }
    let (st, _, page) = post(&api, &exporter, &fields, &files).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("No licence is required"), "{page}");
    assert_eq!(count(&api).await, 1);

    // In Chinese, the same form.
    let (_, _, page) = api
        .page(
            "GET",
            "/applications/new?lang=zh-CN",
            &[("cookie", &exporter)],
            "",
        )
        .await;
    assert!(
        page.contains("新建出口申请") && page.contains("是否需要许可证"),
        "{page}"
    );
}

#[tokio::test]
async fn apply_pages_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    scenario(&format!("sqlite://{}", dir.path().join("a.db").display())).await;
}

#[tokio::test]
async fn apply_pages_on_postgres() {
    scenario(&store::testing::fresh_postgres("apply_pages").await).await;
}

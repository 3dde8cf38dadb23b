//! The lists of export applications (issue 12 items 4 and 7), on SQLite and PostgreSQL:
//! the API filters by state (or every open case), filing dates, destination, substance,
//! enterprise and words, and orders by the statutory clock; bad filters are clear
//! errors; an exporter never sees another's cases however it asks. The licensing
//! officer's My work page is that worklist, with the days left on each case, its filters
//! a GET form, and a next page.

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{application, assert_self_contained, create_users, filed, post_step, session_of, Api};

async fn ids(api: &Api, role: &str, query: &str) -> Vec<String> {
    let (st, v) = api
        .call(
            "GET",
            &format!("/api/v1/export-applications?{query}"),
            Some(role),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{query}: {v}");
    v.as_array()
        .expect("a list")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect()
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
    // three cases of the demo exporter: NPP to Mexico, 4-ANPP to Mexico, NPP to Germany
    let npp = filed(&api, "N-phenethyl-4-piperidone", "25 kg").await;
    let anpp = filed(&api, "4-ANPP", "5 kg").await;
    let mut to_germany = application("N-phenethyl-4-piperidone", "10 kg");
    to_germany["destination"] = "DE".into();
    to_germany["importer"]["country"] = "DE".into();
    to_germany["consignee"]["country"] = "DE".into();
    to_germany["contract_reference"] = "BAYER-77".into();
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/export-applications",
            Some("compliance_officer"),
            Some(to_germany),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let germany = v["id"].as_str().expect("id").to_string();
    // the officer asks about the 4-ANPP case: its clock pauses
    let (st, v) = api
        .call(
            "POST",
            &format!("/api/v1/export-applications/{anpp}/request-information"),
            Some("licensing_officer"),
            Some(serde_json::json!({"question": "Who is the end user?"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    let officer = "licensing_officer";
    let mut all = ids(&api, officer, "").await;
    all.retain(|i| [&npp, &anpp, &germany].contains(&i));
    assert_eq!(
        all,
        [germany.clone(), anpp.clone(), npp.clone()],
        "newest first"
    );
    // the clock: running cases by deadline (the earliest filed first), the paused one last
    let clock = ids(&api, officer, "order=clock").await;
    let pos = |id: &str| clock.iter().position(|x| x == id).expect("listed");
    let mut states = Vec::new();
    for id in [&npp, &germany, &anpp] {
        let (_, v) = api
            .call(
                "GET",
                &format!("/api/v1/export-applications/{id}"),
                Some(officer),
                None,
            )
            .await;
        states.push(v["state"].as_str().unwrap_or_default().to_string());
    }
    assert!(
        pos(&npp) < pos(&germany) && pos(&germany) < pos(&anpp),
        "{clock:?} {states:?}"
    );
    assert_eq!(
        ids(&api, officer, "destination=de").await,
        [germany.as_str()]
    );
    assert_eq!(ids(&api, officer, "q=bayer-77").await, [germany.as_str()]);
    assert_eq!(ids(&api, officer, "substance=anpp").await, [anpp.as_str()]);
    assert_eq!(
        ids(&api, officer, "state=awaiting_applicant").await,
        [anpp.as_str()]
    );
    assert!(ids(&api, officer, "state=open").await.contains(&anpp));
    assert!(ids(&api, officer, "state=approved").await.is_empty());
    // days where the authority is (its time zone, from its rules)
    let zone = api.s.services.rules.workflow.time_zone;
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let tomorrow = today.succ_opt().expect("day");
    assert_eq!(
        ids(&api, officer, &format!("filed_from={tomorrow}")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&api, officer, &format!("filed_to={today}&destination=MX"))
            .await
            .len(),
        2
    );
    // every summary carries its review clock
    let (_, v) = api
        .call(
            "GET",
            "/api/v1/export-applications?order=clock",
            Some(officer),
            None,
        )
        .await;
    let first: &Value = &v[0];
    assert_eq!(first["review"]["review_days"], 20, "{first}");
    // bad filters are said, not ignored
    let (st, v) = api
        .call(
            "GET",
            "/api/v1/export-applications?state=lost",
            Some(officer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["detail"].as_str().unwrap_or("").contains("'lost'"), "{v}");
    let (st, _) = api
        .call(
            "GET",
            "/api/v1/export-applications?filed_from=yesterday",
            Some(officer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = api
        .call(
            "GET",
            "/api/v1/export-applications?order=random",
            Some(officer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // longer than the OpenAPI description allows: refused, not searched
    let long = format!("/api/v1/export-applications?substance={}", "0".repeat(201));
    let (st, v) = api.call("GET", &long, Some(officer), None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, _) = api
        .call(
            "GET",
            &format!("/api/v1/export-applications?substance={}", "0".repeat(200)),
            Some(officer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // another enterprise asking for the demo exporter's cases gets its own (none)
    let (st, v) = api
        .call("POST", "/api/v1/users", Some("administrator"), Some(serde_json::json!({"username": "li.qiang", "password": common::PASSWORD, "org": "cn-exporter-2", "role": "compliance_officer"})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let exporter_org = {
        let (_, v) = api
            .call(
                "GET",
                &format!("/api/v1/export-applications/{npp}"),
                Some(officer),
                None,
            )
            .await;
        v["dossier"]["owner_org"]
            .as_str()
            .expect("owner")
            .to_string()
    };
    let stranger = session_of(&api, "li.qiang").await;
    let (_, _, page) = api
        .page(
            "GET",
            &format!("/work?enterprise={exporter_org}"),
            &[("cookie", &stranger)],
            "",
        )
        .await;
    assert!(!page.contains(&npp) && !page.contains(&anpp), "{page}");

    // My work, as the licensing officer: the worklist with days left, filters, next page.
    let cookie = session_of(&api, "chen.jing").await;
    let (st, _, page) = api.page("GET", "/work", &[("cookie", &cookie)], "").await;
    assert_eq!(st, StatusCode::OK);
    assert_self_contained(&page);
    assert!(
        page.contains("form class=\"filters\" method=\"get\" action=\"/work\""),
        "{page}"
    );
    assert!(
        page.contains("days left (by "),
        "the days left on a running case: {page}"
    );
    assert!(
        page.contains("Paused, 20 days left") || page.contains("Paused, 19 days left"),
        "{page}"
    );
    let worklist = |p: &str| {
        [&npp, &germany, &anpp]
            .iter()
            .map(|id| {
                p.find(&format!("href=\"/applications/{id}\""))
                    .expect("listed")
            })
            .collect::<Vec<_>>()
    };
    let at = worklist(&page);
    assert!(at[0] < at[1] && at[1] < at[2], "ordered by the clock");
    let (_, _, page) = api
        .page(
            "GET",
            "/work?destination=DE&state=open",
            &[("cookie", &cookie)],
            "",
        )
        .await;
    assert!(
        page.contains(&germany) && !page.contains(&format!("href=\"/applications/{npp}\"")),
        "{page}"
    );
    assert!(
        page.contains("value=\"DE\""),
        "the filter is kept in the form"
    );
    let (_, _, page) = api
        .page(
            "GET",
            "/work?filed_from=someday",
            &[("cookie", &cookie)],
            "",
        )
        .await;
    assert!(page.contains("is not a date"), "{page}");
    // the exporter answers: the case runs again
    let wang = session_of(&api, "wang.fang").await;
    let (st, _, _) = post_step(
        &api,
        &wang,
        &format!("/applications/{anpp}"),
        "provide_information",
        "the importer itself",
        None,
    )
    .await;
    assert_ne!(st, StatusCode::OK, "a redirect after the step");
}

#[tokio::test]
async fn worklist_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    scenario(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
}

#[tokio::test]
async fn worklist_on_postgres() {
    scenario(&store::testing::fresh_postgres("worklist").await).await;
}

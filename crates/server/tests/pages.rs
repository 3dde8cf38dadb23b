//! The portal's pages as a browser gets them: languages, the chemical check answering
//! as the API does, the API reference, assets served by FentGuard itself, and no page
//! referring to anything outside it.

use axum::http::{header, StatusCode};
use serde_json::json;

mod common;
use common::{assert_self_contained, Api};

async fn api() -> (tempfile::TempDir, Api) {
    let dir = tempfile::tempdir().expect("tmp");
    let api = Api::new(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
    (dir, api)
}

/// The check form as a browser posts it: the status and the page.
async fn post_check(api: &Api, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let body = serde_urlencoded::to_string(fields).expect("form");
    let (st, _, page) = api
        .page(
            "POST",
            "/check",
            &[("content-type", "application/x-www-form-urlencoded")],
            &body,
        )
        .await;
    (st, page)
}

#[tokio::test]
async fn landing_page_in_the_browsers_language_and_by_choice() {
    let (_d, api) = api().await;
    let (st, h, en) = api.page("GET", "/", &[], "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert!(en.contains("<html lang=\"en\">"), "{en}");
    assert!(en.contains("Check a chemical"));
    assert_self_contained(&en);

    let (_, _, zh) = api
        .page(
            "GET",
            "/",
            &[("accept-language", "fr;q=0.9, zh-CN;q=0.8, en;q=0.5")],
            "",
        )
        .await;
    // French is not ours; of the rest, zh-CN (q 0.8) beats en (q 0.5).
    assert!(zh.contains("<html lang=\"zh-CN\">"), "{zh}");
    let (_, _, zh) = api
        .page(
            "GET",
            "/",
            &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")],
            "",
        )
        .await;
    assert!(zh.contains("<html lang=\"zh-CN\">"), "{zh}");
    assert!(zh.contains("查询化学品"));
    assert_self_contained(&zh);

    // The switch: ?lang= answers in that language and remembers it in a cookie, which
    // then wins over Accept-Language.
    let (_, h, chosen) = api
        .page("GET", "/?lang=zh-CN", &[("accept-language", "en")], "")
        .await;
    assert!(chosen.contains("<html lang=\"zh-CN\">"));
    let cookie = h[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("fg_lang=zh-CN;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let (_, h, remembered) = api
        .page(
            "GET",
            "/check",
            &[("accept-language", "en"), ("cookie", "fg_lang=zh-CN")],
            "",
        )
        .await;
    assert!(remembered.contains("<html lang=\"zh-CN\">"));
    assert!(
        h.get(header::SET_COOKIE).is_none(),
        "nothing new to remember"
    );
}

#[tokio::test]
async fn the_check_page_answers_as_the_api_does() {
    let (_d, api) = api().await;
    for input in [
        "acetylfentanyl",
        "3258-84-2",
        "fentanyl citrate",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        "piperidine",
    ] {
        let (st, v) = api
            .call(
                "POST",
                "/api/v1/classifications",
                Some("customs_officer"),
                Some(json!({"input": input, "date": "2026-06-01"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{input}: {v}");
        let (st, page) = post_check(&api, &[("q", input), ("date", "2026-06-01")]).await;
        assert_eq!(st, StatusCode::OK);
        assert_self_contained(&page);
        for verdict in v["verdicts"].as_array().unwrap() {
            let class = match verdict["status"].as_str().unwrap() {
                "controlled" => "status-controlled",
                "undetermined" => "status-undetermined",
                _ => "status-not-controlled",
            };
            let jurisdiction = if verdict["jurisdiction"] == "CN" {
                "China"
            } else {
                "United States"
            };
            let shown = format!("{jurisdiction} <span class=\"status {class}\">");
            assert!(page.contains(&shown), "{input}: the page lacks {shown}");
            for reason in verdict["generic"]["reasons"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let r = reason.as_str().unwrap();
                let escaped = r
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;");
                assert!(
                    page.contains(&escaped),
                    "{input}: the page lacks the reason {r}"
                );
            }
        }
        assert!(
            page.contains("1 June 2026"),
            "the date of the law as people read it"
        );
    }
    // In Chinese, with the date as Chinese readers write it.
    let (_, _, zh) = api
        .page(
            "GET",
            "/check?q=acetylfentanyl&date=2026-06-01&lang=zh-CN",
            &[],
            "",
        )
        .await;
    assert!(
        zh.contains("中国 <span class=\"status status-controlled\">受管制</span>"),
        "{zh}"
    );
    assert!(zh.contains("2026年6月1日"));
}

#[tokio::test]
async fn what_cannot_be_identified_is_never_shown_as_not_controlled() {
    let (_d, api) = api().await;
    let (st, _, page) = api.page("GET", "/check?q=acetylfentanil", &[], "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("role=\"alert\""));
    assert!(!page.contains("status-not-controlled"), "{page}");
    assert!(page.contains("Did you mean"));
    assert!(page.contains("href=\"/check?q=Acetylfentanyl\""), "{page}");
    assert_self_contained(&page);
    let (_, _, bad_date) = api
        .page("GET", "/check?q=fentanyl&date=2026-13-40", &[], "")
        .await;
    assert!(bad_date.contains("is not a date") && !bad_date.contains("class=\"status "));
    // A structure beyond the limits is refused on the page too, not judged.
    let ladder = common::ladder(60);
    let (st, big) = post_check(&api, &[("q", ladder.as_str())]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        big.contains("larger than FentGuard judges"),
        "{}",
        &big[..big.len().min(3000)]
    );
    assert!(!big.contains("class=\"status "));
}

#[tokio::test]
async fn the_api_reference_is_served_here_and_lists_every_operation() {
    let (_d, api) = api().await;
    let (_, doc) = api.call("GET", "/openapi.json", None, None).await;
    let (st, _, page) = api.page("GET", "/docs", &[], "").await;
    assert_eq!(st, StatusCode::OK);
    assert_self_contained(&page);
    assert!(
        !page.contains("<script"),
        "no script needed to read the reference"
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let shown = format!("{} {}", method.to_uppercase(), path.replace('&', "&amp;"));
            assert!(page.contains(&shown), "/docs lacks {shown}");
        }
    }
}

#[tokio::test]
async fn assets_come_from_fentguard_with_revalidation() {
    let (_d, api) = api().await;
    let (st, h, css) = api.page("GET", "/assets/portal.css", &[], "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(
        !css.contains("url(http") && !css.contains("@import"),
        "nothing fetched from elsewhere"
    );
    let tag = h[header::ETAG].to_str().unwrap().to_string();
    let (st, _, _) = api
        .page("GET", "/assets/portal.css", &[("if-none-match", &tag)], "")
        .await;
    assert_eq!(st, StatusCode::NOT_MODIFIED);
    let (st, _, _) = api.page("GET", "/assets/../Cargo.toml", &[], "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

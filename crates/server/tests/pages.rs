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
async fn the_check_page_draws_the_structure_with_each_verdicts_regions() {
    let (_d, api) = api().await;
    // 4-fluoroisobutyrfentanyl: China's conditions 1 and 2, the US's D and E
    let (st, page) = post_check(
        &api,
        &[("q", "CC(C)C(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1")],
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_self_contained(&page);
    assert_eq!(
        page.matches("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"structure\"")
            .count(),
        2,
        "one drawing per jurisdiction"
    );
    assert!(
        !page.contains("style="),
        "no style attribute: the page's CSP forbids them"
    );
    for legend in [
        "Condition 1: replacement of the N-propionyl group by another acyl group",
        "Condition 2: replacement of the N-phenyl group",
        "Condition E: replacement of the N-propionyl group",
        "Piperidine ring (the core)",
    ] {
        assert!(page.contains(legend), "the legend lacks {legend}");
    }
    // each region in its own colour, the core in grey; every atom numbered
    for colour in ["#f6c177", "#9ed3f0", "#e4e4e4"] {
        assert!(page.contains(&format!("fill=\"{colour}\"")), "{colour}");
    }
    assert!(page.contains(">27</text>"), "the 27th atom is numbered");
    // In Chinese, the legend's words are Chinese (the law's wording stays as written).
    let (_, _, zh) = api
        .page("GET", "/check?q=acetylfentanyl&lang=zh-CN", &[], "")
        .await;
    assert!(
        zh.contains("哌啶环（母核）") && zh.contains("条件1"),
        "{zh}"
    );
    // A name on file is drawn from the catalogue's structure; an identifier with no
    // structure on file is not drawn (and is undetermined, never not controlled).
    let (_, _, salt) = api
        .page("GET", "/check?q=fentanyl%20citrate", &[], "")
        .await;
    assert!(salt.contains("class=\"structure\""));
    let (_, _, cas) = api.page("GET", "/check?q=50-00-0", &[], "").await;
    assert!(!cas.contains("class=\"structure\""));
    assert!(!cas.contains("status-not-controlled"), "{cas}");
}

#[tokio::test]
async fn a_molfile_uploaded_is_checked_as_if_typed() {
    let (_d, api) = api().await;
    let mol = chem::smiles::parse("CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1").expect("SMILES");
    let layout = chem::layout::layout(&mol).expect("layout");
    let molfile = chem::molfile::write_molfile(&mol, &layout, "").expect("molfile");
    // an SD file of two records: the first is checked
    let sd = format!("{molfile}$$$$\n{molfile}$$$$\n");
    let body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.sdf\"\r\n\r\n{sd}\r\n--b\r\nContent-Disposition: form-data; name=\"date\"\r\n\r\n2026-06-01\r\n--b--\r\n"
    );
    let (st, _, page) = api
        .page(
            "POST",
            "/check/file",
            &[("content-type", "multipart/form-data; boundary=b")],
            &body,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        page.matches("status status-controlled").count(),
        2,
        "thiofentanyl, CN and US"
    );
    assert!(page.contains("1 June 2026"), "the date sent with it");
}

#[tokio::test]
async fn the_classification_report_prints_what_the_page_says() {
    let (_d, api) = api().await;
    let smiles = "CC(C)C(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1";
    let body = serde_urlencoded::to_string([("q", smiles), ("date", "2026-06-01")]).expect("form");
    let (st, h, pdf) = api
        .page_bytes(
            "POST",
            "/check/report.pdf",
            &[("content-type", "application/x-www-form-urlencoded")],
            &body,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    // Read back with poppler's pdftotext where it is installed (CI installs it).
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &pdf).expect("write");
    match std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            for expected in [
                "Classification report",
                "管制状态判定报告",
                "China / 中国: Controlled / 受管制",
                "Condition 2: replacement of the N-phenyl group",
                "substituted phenyl",
                "1 June 2026 / 2026年6月1日",
                "Listings",
            ] {
                assert!(
                    text.contains(expected),
                    "the report lacks {expected}: {text}"
                );
            }
        }
        _ => assert!(
            std::env::var_os("CI").is_none(),
            "CI reads the report back with pdftotext"
        ),
    }
    // What cannot be identified gets no report, but the did-you-mean; nothing asked, nothing printed.
    let (st, _, page) = api
        .page("GET", "/check/report.pdf?q=acetylfentanil", &[], "")
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Acetylfentanyl") && !page.starts_with("%PDF"),
        "{page}"
    );
    let (st, _, _) = api.page("GET", "/check/report.pdf?q=", &[], "").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
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

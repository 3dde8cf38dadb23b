//! Batch check through the pages, as a browser does it: the form with its token, the
//! upload, the progress page, the answer (hits, the records that could not be read),
//! the CSV; forged and cross-site uploads refused; what is not a file of structures
//! refused; a gzip-compressed SD file read like the rest.

use axum::http::{header, StatusCode};
use std::io::Write;

mod common;
use common::{assert_self_contained, Api};

async fn api() -> (tempfile::TempDir, Api) {
    let dir = tempfile::tempdir().expect("tmp");
    let api = Api::new(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
    (dir, api)
}

/// The form's token and the cookie that carries it, as the form page sets them.
async fn form_token(api: &Api) -> (String, String) {
    let (st, h, page) = api.page("GET", "/check/batch", &[], "").await;
    assert_eq!(st, StatusCode::OK);
    assert_self_contained(&page);
    let token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the form has a token")
        .to_string();
    let cookie = h[header::SET_COOKIE].to_str().expect("cookie");
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_string();
    (token, pair)
}

fn multipart(token: &str, file: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "fentguard-test-boundary";
    let mut body = Vec::new();
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"form_token\"\r\n\r\n{token}\r\n"
    )
    .expect("write");
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"date\"\r\n\r\n2026-06-01\r\n"
    )
    .expect("write");
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .expect("write");
    body.extend_from_slice(content);
    write!(body, "\r\n--{boundary}--\r\n").expect("write");
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads `content` as `file`; the status and where it sends the browser.
async fn upload(
    api: &Api,
    file: &str,
    content: &[u8],
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let (token, cookie) = form_token(api).await;
    let (kind, body) = multipart(&token, file, content);
    let mut headers = vec![("content-type", kind.as_str()), ("cookie", cookie.as_str())];
    headers.extend_from_slice(extra);
    let (st, h, page) = api.page_raw("POST", "/check/batches", &headers, body).await;
    let to = h
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&page).into_owned());
    (st, to)
}

/// The batch's page once it has finished (it runs in the background).
async fn finished(api: &Api, at: &str) -> String {
    for _ in 0..200 {
        let (st, h, page) = api.page("GET", at, &[], "").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        if h.get("refresh").is_none() {
            return page;
        }
        assert!(
            page.contains("<progress"),
            "a running batch shows its progress"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the batch did not finish");
}

#[tokio::test]
async fn a_file_of_structures_is_checked_and_listed_with_what_could_not_be_read() {
    let (_d, api) = api().await;
    let file = "SMILES name\n\
        CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1 fentanyl\n\
        O=C1CCN(CCc2ccccc2)CC1 NPP\n\
        CCO ethanol\n\
        C1CC( broken\n\
        CC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1 =HYPERLINK(\"x\")\n";
    let (st, at) = upload(&api, "library.smi", file.as_bytes(), &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{at}");
    assert!(
        at.starts_with("/check/batches/") && at.len() == "/check/batches/".len() + 32,
        "{at}"
    );
    let page = finished(&api, &at).await;
    assert_self_contained(&page);
    assert!(page.contains("Every record was read"), "{page}");
    // three hits (fentanyl, NPP, the thiophene analogue), ethanol clear, one unreadable
    for (label, n) in [
        ("Records read", 5),
        ("Controlled or undetermined somewhere", 3),
        ("Not controlled in any jurisdiction", 1),
        ("Could not be read or judged", 1),
    ] {
        assert!(
            page.contains(&format!(
                "<th scope=\"row\">{label}</th><td class=\"num\">{n}</td>"
            )),
            "{label}: {n}"
        );
    }
    assert!(
        page.contains("Line 5:") && page.contains("never closed"),
        "the unreadable line, with why"
    );
    assert!(
        !page.contains("ethanol"),
        "what is not controlled is counted, not listed"
    );
    // each hit links to its full answer on the check page, with the date asked about
    assert!(
        page.contains("href=\"/check?q=O%3DC1CCN%28CCc2ccccc2%29CC1&amp;date=2026-06-01\""),
        "{page}"
    );
    let (st, h, csv) = api.page("GET", &format!("{at}/hits.csv"), &[], "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "line,name,smiles,CN,US,why");
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(rows[1]
        .starts_with("2,fentanyl,CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1,controlled,controlled,"));
    // a name that a spreadsheet would run as a formula is written as text
    assert!(
        rows[3].starts_with("6,\"'=HYPERLINK(\"\"x\"\")\","),
        "{}",
        rows[3]
    );
    // another address is no batch
    let (st, _, _) = api
        .page(
            "GET",
            "/check/batches/0123456789abcdef0123456789abcdef",
            &[],
            "",
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_gzipped_sd_file_is_read_like_the_rest() {
    let (_d, api) = api().await;
    let mol = "fentanyl\n\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0\n    0.0000    0.0000    0.0000 C   0  0\n    0.0000    0.0000    0.0000 O   0  0\n  1  2  1  0\n  2  3  1  0\nM  END\n$$$$\n";
    let fentanyl = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1";
    let m = chem::smiles::parse(fentanyl).expect("SMILES");
    let l = chem::layout::layout(&m).expect("layout");
    let sdf = format!(
        "{mol}{}$$$$\n",
        chem::molfile::write_molfile(&m, &l, "fentanyl").expect("molfile")
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(sdf.as_bytes()).expect("gzip");
    let (st, at) = upload(&api, "two.sdf.gz", &gz.finish().expect("gzip"), &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{at}");
    let page = finished(&api, &at).await;
    assert!(
        page.contains("<th scope=\"row\">Records read</th><td class=\"num\">2</td>"),
        "{page}"
    );
    assert!(page.contains(
        "<th scope=\"row\">Controlled or undetermined somewhere</th><td class=\"num\">1</td>"
    ));
}

#[tokio::test]
async fn forged_cross_site_and_unreadable_uploads_are_refused() {
    let (_d, api) = api().await;
    let file = b"CCO ethanol\n";
    // a token that is not the cookie's
    let (_, cookie) = form_token(&api).await;
    let (kind, body) = multipart(&"0".repeat(64), "x.smi", file);
    let (st, _, _) = api
        .page_raw(
            "POST",
            "/check/batches",
            &[("content-type", &kind), ("cookie", &cookie)],
            body,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // the right token, sent by another site's page
    let (st, _) = upload(&api, "x.smi", file, &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // not a file of structures, and an empty one
    let (st, why) = upload(&api, "x.xlsx", file, &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(why.contains("not a file of structures"), "{why}");
    let (st, _) = upload(&api, "x.smi", b"", &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // a file that is not gzip but says it is: stopped, said, never "not controlled"
    let (st, at) = upload(&api, "x.smi.gz", b"CCO not compressed", &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let page = finished(&api, &at).await;
    assert!(
        page.contains("The check stopped before the end of the file"),
        "{page}"
    );
}

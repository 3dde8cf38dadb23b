//! The EPCIS 2.0 capture and query interface over HTTP, on SQLite and on PostgreSQL:
//! GS1's published example documents are accepted; duplicates answer 409 and store
//! nothing; invalid documents name the event and field; queries filter and page with
//! opaque tokens; error declarations mark an event without deleting it; enterprises see
//! only their own events.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};
use server::{router, AppState};
use std::collections::BTreeMap;
use tower::ServiceExt;

mod common;

struct Api {
    s: AppState,
    tokens: BTreeMap<String, String>,
}

fn gs1_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../epcis/tests/data/gs1")
}

fn gs1_examples() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(gs1_dir())
        .expect("GS1 examples")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let doc =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
            (name, doc)
        })
        .collect()
}

impl Api {
    async fn new(url: &str) -> Api {
        let (s, tokens) = common::seeded(url).await;
        Api { s, tokens }
    }
    async fn call(
        &self,
        method: &str,
        uri: &str,
        who: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = self.tokens.get(who) {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/ld+json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
        let res = router(self.s.clone())
            .oneshot(req.body(body).expect("request"))
            .await
            .expect("response");
        let status = res.status();
        let headers = res.headers().clone();
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                headers.get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/problem+json"),
                "{method} {uri} -> {status}"
            );
        }
        let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
            .await
            .expect("body");
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{method} {uri}: {v}"
        );
        (status, headers, v)
    }

    async fn capture(&self, who: &str, doc: &Value) -> (StatusCode, HeaderMap, Value) {
        self.call("POST", "/epcis/capture", who, Some(doc), &[])
            .await
    }

    async fn events(&self, who: &str, query: &str) -> (StatusCode, HeaderMap, Vec<Value>) {
        let (st, h, v) = self
            .call("GET", &format!("/epcis/events{query}"), who, None, &[])
            .await;
        let list = v["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (st, h, list)
    }
}

fn one_event_doc(event: Value) -> Value {
    json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-22T08:00:00Z",
           "epcisBody": {"eventList": [event]}})
}

async fn scenario(url: &str) {
    let api = Api::new(url).await;
    let co = "compliance_officer";

    // GS1's example documents are accepted, each with a capture job, except that a
    // Digital Link twin of an example already captured is the same event (same hash ID).
    let mut total = 0;
    let mut hashes = std::collections::HashSet::new();
    for (name, doc) in gs1_examples() {
        let twin = epcis::read_document(&doc)
            .expect("valid")
            .iter()
            .any(|e| !hashes.insert(e.hash_id.clone()));
        let (st, h, job) = api.capture(co, &doc).await;
        if twin {
            assert_eq!(st, StatusCode::CONFLICT, "{name}: {job}");
            continue;
        }
        assert_eq!(st, StatusCode::ACCEPTED, "{name}: {job}");
        let loc = h
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location")
            .to_string();
        assert!(loc.starts_with("/epcis/capture/"), "{loc}");
        let (st, _, j) = api.call("GET", &loc, co, None, &[]).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(j["success"], json!(true), "{name}: {j}");
        assert_eq!(j["running"], json!(false));
        total += doc["epcisBody"]["eventList"].as_array().map_or(0, Vec::len);
    }
    let (_, _, all) = api.events(co, "?perPage=1000").await;
    assert_eq!(all.len(), total);
    assert!(all
        .iter()
        .all(|e| e["eventID"].is_string() && e["recordTime"].is_string()));

    // The same document again: 409, and nothing more is stored.
    let (_, doc) = &gs1_examples()[1];
    let (st, _, p) = api.capture(co, doc).await;
    assert_eq!(st, StatusCode::CONFLICT, "{p}");
    assert_eq!(
        p["type"],
        json!("epcisException:ResourceAlreadyExistsException")
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("already captured"),
        "{p}"
    );
    let (_, _, again) = api.events(co, "?perPage=1000").await;
    assert_eq!(again.len(), total);

    // The same event in another spelling (Digital Link, UTC, URN vocabulary) is the same
    // event by its hash: 409 too.
    let ev = json!({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
        "eventTime": "2026-03-01T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.9001"]});
    assert_eq!(
        api.capture(co, &one_event_doc(ev)).await.0,
        StatusCode::ACCEPTED
    );
    let respelled = json!({"type": "ObjectEvent", "action": "OBSERVE",
        "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
        "eventTime": "2026-03-01T02:00:00Z", "eventTimeZoneOffset": "+08:00",
        "epcList": ["https://example.org/01/10614141073464/21/9001"]});
    assert_eq!(
        api.capture(co, &one_event_doc(respelled)).await.0,
        StatusCode::CONFLICT
    );

    // "proceed" stores the good events and reports the bad one in the job.
    let fresh = json!({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
        "eventTime": "2026-03-02T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.9002"]});
    let mixed = json!({"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-22T08:00:00Z",
        "epcisBody": {"eventList": [fresh, gs1_examples()[1].1["epcisBody"]["eventList"][0].clone()]}});
    let (st, _, job) = api
        .call(
            "POST",
            "/epcis/capture",
            co,
            Some(&mixed),
            &[("GS1-Capture-Error-Behaviour", "proceed")],
        )
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["success"], json!(false));
    assert_eq!(job["errors"].as_array().map(Vec::len), Some(1), "{job}");
    let (_, _, found) = api
        .events(
            co,
            "?EQ_bizStep=receiving&MATCH_epc=urn:epc:id:sgtin:0614141.107346.9002",
        )
        .await;
    assert_eq!(found.len(), 1);

    // Invalid: the problem names the event and the field; nothing is stored.
    let mut bad = one_event_doc(json!({"type": "ObjectEvent", "action": "OBSERVE",
        "eventTime": "2026-03-01T10:00:00+08:00", "eventTimeZoneOffset": "+08:00", "epcList": []}));
    bad["epcisBody"]["eventList"]
        .as_array_mut()
        .expect("list")
        .push(
            json!({"type": "ObjectEvent", "action": "OBSERVE", "eventID": "urn:uuid:broken",
            "eventTime": "last tuesday", "eventTimeZoneOffset": "+08:00"}),
        );
    let (st, _, p) = api.capture(co, &bad).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(p["type"], json!("epcisException:ValidationException"));
    let detail = p["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("event 2")
            && detail.contains("urn:uuid:broken")
            && detail.contains("eventTime"),
        "{detail}"
    );
    assert_eq!(
        p["context"]["pointer"],
        json!("/epcisBody/eventList/1/eventTime")
    );
    let (st, _, _) = api.call("POST", "/epcis/capture", co, None, &[]).await;
    assert!(st == StatusCode::UNSUPPORTED_MEDIA_TYPE || st == StatusCode::BAD_REQUEST);

    // Filters: type, bizStep as bare word, EPC in URN form matching a Digital Link capture,
    // class patterns, time ranges, unknown parameters.
    let (_, _, objects) = api.events(co, "?eventType=ObjectEvent&perPage=1000").await;
    assert!(!objects.is_empty() && objects.iter().all(|e| e["type"] == json!("ObjectEvent")));
    let (_, _, shipping) = api.events(co, "?EQ_bizStep=shipping&perPage=1000").await;
    assert!(shipping.len() >= 2, "{}", shipping.len());
    // Example_9.6.1-ObjectEventWithDigitalLink carries https://id.gs1.org/01/70614141123451/21/2018
    let (_, _, by_urn) = api
        .events(co, "?MATCH_epc=urn:epc:id:sgtin:0614141.712345.2018")
        .await;
    assert!(
        !by_urn.is_empty(),
        "URN query finds the Digital Link capture"
    );
    let (_, _, by_class) = api
        .events(
            co,
            "?MATCH_anyEPCClass=urn:epc:idpat:sgtin:4012345.022222.*&perPage=1000",
        )
        .await;
    assert!(!by_class.is_empty(), "a pattern finds the lots under it");
    let (_, _, old) = api
        .events(co, "?LT_eventTime=2006-01-01T00:00:00Z&perPage=1000")
        .await;
    assert!(
        !old.is_empty()
            && old
                .iter()
                .all(|e| e["eventTime"].as_str().unwrap_or("9") < "2006")
    );
    let (st, _, p) = api
        .call("GET", "/epcis/events?EQ_colour=red", co, None, &[])
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(p["type"], json!("epcisException:QueryParameterException"));
    let (st, _, _) = api
        .call("GET", "/epcis/events?GE_eventTime=yesterday", co, None, &[])
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // Paging: follow the Link header one event at a time; every event exactly once.
    let mut seen = Vec::new();
    let mut next = Some("/epcis/events?perPage=2".to_string());
    while let Some(uri) = next.take() {
        let (st, h, v) = api.call("GET", &uri, co, None, &[]).await;
        assert_eq!(st, StatusCode::OK, "{uri}: {v}");
        for e in v["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            seen.push(e["eventID"].as_str().unwrap_or("").to_string());
        }
        next = h.get("link").and_then(|l| l.to_str().ok()).and_then(|l| {
            l.strip_prefix('<')
                .and_then(|r| r.split_once('>'))
                .map(|(u, _)| u.to_string())
        });
    }
    let (_, _, all) = api.events(co, "?perPage=1000").await;
    assert_eq!(seen.len(), all.len());
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), seen.len(), "an event came twice");
    // A token belongs to its query.
    let (_, h, _) = api.events(co, "?perPage=1").await;
    let token = h
        .get("GS1-Next-Page-Token")
        .and_then(|v| v.to_str().ok())
        .expect("token")
        .to_string();
    let (st, _, _) = api
        .call(
            "GET",
            &format!("/epcis/events?eventType=ObjectEvent&nextPageToken={token}"),
            co,
            None,
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // One event by id (percent-encoded, ni:/// hash IDs included).
    let id = all[0]["eventID"].as_str().expect("id").to_string();
    let enc: String = id
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let (st, _, v) = api
        .call("GET", &format!("/epcis/events/{enc}"), co, None, &[])
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"],
        json!(id)
    );
    assert_eq!(
        api.call("GET", "/epcis/events/urn%3Auuid%3Anone", co, None, &[])
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Error declaration: the stored event is marked, not deleted; a second one is refused.
    let target = json!({"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
        "eventID": "urn:uuid:6a1c0000-0000-4000-8000-000000000001",
        "eventTime": "2026-03-03T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.NPP-7", "quantity": 25, "uom": "KGM"}]});
    assert_eq!(
        api.capture(co, &one_event_doc(target.clone())).await.0,
        StatusCode::ACCEPTED
    );
    let mut declared = target.clone();
    declared["errorDeclaration"] =
        json!({"declarationTime": "2026-03-04T09:00:00+08:00", "reason": "incorrect_data"});
    let (st, _, j) = api.capture(co, &one_event_doc(declared.clone())).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{j}");
    let (_, _, marked) = api
        .events(co, "?EXISTS_errorDeclaration=true&perPage=1000")
        .await;
    assert!(marked.iter().any(|e| e["eventID"] == target["eventID"]
        && e["errorDeclaration"]["reason"] == json!("incorrect_data")
        && e["quantityList"][0]["quantity"] == json!(25)));
    assert_eq!(
        api.capture(co, &one_event_doc(declared)).await.0,
        StatusCode::CONFLICT
    );

    // Access: another enterprise sees none of these; a foreign authority may not query;
    // a licensing officer sees everything; only enterprises capture.
    let (st, _, theirs) = api
        .events("other_compliance_officer", "?perPage=1000")
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(theirs.is_empty());
    assert_eq!(
        api.call(
            "GET",
            &format!("/epcis/events/{enc}"),
            "other_compliance_officer",
            None,
            &[]
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.events("foreign_authority_officer", "").await.0,
        StatusCode::FORBIDDEN
    );
    let (st, _, every) = api.events("licensing_officer", "?perPage=1000").await;
    assert_eq!(st, StatusCode::OK);
    assert!(every.len() > total);
    assert_eq!(
        api.capture("licensing_officer", &gs1_examples()[0].1)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.call("GET", "/epcis/events", "", None, &[]).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Every capture is in the audit chain, and the chain is intact.
    let (st, _, a) = api
        .call(
            "GET",
            "/api/v1/audit/verify",
            "licensing_officer",
            None,
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(a["valid"], json!(true), "{a}");
    let chain = api.s.store.audit_chain().await.expect("chain");
    assert!(chain.iter().filter(|e| e.action == "epcis.capture").count() >= gs1_examples().len());
}

#[tokio::test]
async fn epcis_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    scenario(&format!("sqlite://{}", dir.path().join("e.db").display())).await;
}

#[tokio::test]
async fn epcis_on_postgres() {
    scenario(&store::testing::fresh_postgres("epcis_http").await).await;
}

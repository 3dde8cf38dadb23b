//! Event queries on SQLite and PostgreSQL give the same answers whichever shape the
//! planner probe picks: a filter matching few events (collected through the identifier
//! index) or many (events walked in order), a narrow or a wide time window; pages join up.

use chrono::Utc;
use serde_json::json;
use store::{EventQuery, IdentifierFilter, NewEvent, Store};

const LOT: &str = "https://id.gs1.org/01/04012345123456/10/L1";
const N: usize = 2100; // above the probe's "wide" bound

fn document() -> serde_json::Value {
    let events: Vec<serde_json::Value> = (0..N)
        .map(|i| {
            json!({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                "eventTime": format!("2026-01-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                "eventTimeZoneOffset": "+00:00",
                "epcList": [format!("urn:epc:id:sgtin:4012345.012345.S{i}")],
                "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "quantity": 1, "uom": "KGM"}]})
        })
        .collect();
    json!({"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}})
}

async fn all_pages(s: &Store, q: &EventQuery) -> Vec<i64> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = s.query_events(q, after, 300).await.expect("query");
        if page.is_empty() {
            return out;
        }
        after = page.last().map_or(after, |r| r.seq);
        out.extend(page.iter().map(|r| r.seq));
    }
}

async fn queries(url: &str) {
    let s = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    let events = epcis::read_document(&document()).expect("valid");
    let now = Utc::now();
    let new: Vec<NewEvent> = events
        .iter()
        .map(|e| NewEvent {
            event: e,
            record_time: now,
            capture_id: "cap-1",
            owner_org: "e1",
        })
        .collect();
    let mut tx = s.write().await.expect("tx");
    tx.insert_events(&new).await.expect("insert");
    tx.commit().await.expect("commit");

    // many: the whole lot, by class and by the GTIN pattern
    for (roles, value) in [
        (vec!["class", "child_class"], LOT.to_string()),
        (
            vec!["epc", "class"],
            "https://id.gs1.org/01/04012345123456".to_string(),
        ),
    ] {
        let q = EventQuery {
            identifiers: vec![IdentifierFilter {
                roles,
                values: vec![value],
            }],
            ..EventQuery::default()
        };
        let seqs = all_pages(&s, &q).await;
        assert_eq!(seqs.len(), N);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
    }
    // few: one pack
    let q = EventQuery {
        identifiers: vec![IdentifierFilter {
            roles: vec!["epc"],
            values: vec![epcis::identifier::canonical_or_same(
                "urn:epc:id:sgtin:4012345.012345.S77",
            )],
        }],
        ..EventQuery::default()
    };
    assert_eq!(all_pages(&s, &q).await.len(), 1);
    // a wide window, a narrow one, an empty one
    let t = |m: u32, sec: u32| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-01-01T00:{m:02}:{sec:02}Z"))
            .expect("time")
            .with_timezone(&Utc)
    };
    for (from, to, want) in [
        (t(0, 0), t(59, 59), N),
        (t(1, 0), t(1, 10), 10),
        (t(50, 0), t(51, 0), 0),
    ] {
        let q = EventQuery {
            ge_event_time: Some(from),
            lt_event_time: Some(to),
            ..EventQuery::default()
        };
        assert_eq!(all_pages(&s, &q).await.len(), want, "{from} .. {to}");
    }
    // many by class, narrowed by another filter: nothing is lost or invented
    let q = EventQuery {
        identifiers: vec![IdentifierFilter {
            roles: vec!["class"],
            values: vec![LOT.into()],
        }],
        ge_event_time: Some(t(1, 0)),
        lt_event_time: Some(t(1, 10)),
        ..EventQuery::default()
    };
    assert_eq!(all_pages(&s, &q).await.len(), 10);
}

#[tokio::test]
async fn event_queries_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    queries(&format!("sqlite://{}", dir.path().join("q.db").display())).await;
}

#[tokio::test]
async fn event_queries_on_postgres() {
    queries(&store::testing::fresh_postgres("event_queries").await).await;
}

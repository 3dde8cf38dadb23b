//! Reading documents: refusals name the event and the field; arbitrary input never panics.

use epcis::{read_document, Action, EventType, Role};
use proptest::prelude::*;
use serde_json::{json, Value};

fn doc(events: Value) -> Value {
    json!({"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-22T08:00:00Z",
           "epcisBody": {"eventList": events}})
}

fn ok_event() -> Value {
    json!({"type": "ObjectEvent", "action": "ADD", "eventTime": "2026-01-05T09:00:00+08:00",
           "eventTimeZoneOffset": "+08:00", "bizStep": "commissioning",
           "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.LOT1", "quantity": 25.5, "uom": "KGM"}],
           "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00001"}]})
}

#[test]
fn a_good_event_is_read_with_canonical_identifiers() {
    let events = read_document(&doc(json!([ok_event()]))).expect("valid");
    let e = &events[0];
    assert_eq!(e.kind, EventType::ObjectEvent);
    assert_eq!(e.action, Some(Action::Add));
    assert_eq!(
        e.biz_step.as_deref(),
        Some("https://ref.gs1.org/cbv/BizStep-commissioning")
    );
    assert_eq!(
        e.quantities[0].epc_class,
        "https://id.gs1.org/01/04012345123456/10/LOT1"
    );
    assert_eq!(e.quantities[0].role, Role::Object);
    assert_eq!(e.quantities[0].quantity, Some(25.5));
    assert_eq!(
        e.sources[0].kind.as_deref(),
        Some("https://ref.gs1.org/cbv/SDT-owning_party")
    );
    assert!(e.hash_id.starts_with("ni:///sha-256;"));
    assert_eq!(e.id(), e.hash_id);
    assert_eq!(e.body["eventID"], json!(e.hash_id));
}

#[test]
fn refusals_name_event_and_field() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"eventTime": "yesterday"}),
            "/epcisBody/eventList/1/eventTime",
            "RFC 3339",
        ),
        (
            json!({"eventTimeZoneOffset": "8"}),
            "/epcisBody/eventList/1/eventTimeZoneOffset",
            "offset",
        ),
        (
            json!({"action": "MOVE"}),
            "/epcisBody/eventList/1/action",
            "ADD, OBSERVE or DELETE",
        ),
        (
            json!({"type": "ShipEvent"}),
            "/epcisBody/eventList/1/type",
            "event type",
        ),
        (
            json!({"quantityList": [{"epcClass": "urn:x", "quantity": -1}]}),
            "/epcisBody/eventList/1/quantityList/0/quantity",
            "non-negative",
        ),
        (
            json!({"quantityList": [{"epcClass": "urn:x", "quantity": 1, "uom": "kilo"}]}),
            "/epcisBody/eventList/1/quantityList/0/uom",
            "UN/CEFACT",
        ),
        (
            json!({"sourceList": [{"type": "owning_party"}]}),
            "/epcisBody/eventList/1/sourceList/0/source",
            "missing",
        ),
        (
            json!({"readPoint": "here"}),
            "/epcisBody/eventList/1/readPoint",
            "object",
        ),
        (
            json!({"epcList": [1]}),
            "/epcisBody/eventList/1/epcList/0",
            "string",
        ),
    ];
    for (patch, pointer, words) in cases {
        let mut bad = ok_event();
        for (k, v) in patch.as_object().expect("object") {
            bad[k] = v.clone();
        }
        bad["eventID"] = json!("urn:uuid:bad");
        let err = read_document(&doc(json!([ok_event(), bad]))).expect_err("must be refused");
        assert_eq!(err.pointer, pointer, "{err}");
        assert_eq!(err.event_index, Some(1));
        assert_eq!(err.event_id.as_deref(), Some("urn:uuid:bad"));
        assert!(err.message.contains(words), "{err}");
    }
    let err =
        read_document(&json!({"type": "EPCISDocument", "epcisBody": {}})).expect_err("no list");
    assert!(err.message.contains("no event list"), "{err}");
    let err = read_document(&json!({"type": "Foo"})).expect_err("not a document");
    assert_eq!(err.field, "type");
    let mut t = ok_event();
    t["type"] = json!("TransactionEvent");
    let err = read_document(&doc(json!([t]))).expect_err("no transaction");
    assert_eq!(err.field, "bizTransactionList");
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        "[a-zA-Z:._/+-]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("ObjectEvent"),
            Just("ADD"),
            Just("2026-01-01T00:00:00Z"),
            Just("+08:00"),
            Just("urn:epc:id:sgtin:0614141.107346.1")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("type".to_string()),
                    Just("eventTime".to_string()),
                    Just("eventTimeZoneOffset".to_string()),
                    Just("action".to_string()),
                    Just("epcList".to_string()),
                    Just("quantityList".to_string()),
                    Just("epcClass".to_string()),
                    Just("quantity".to_string()),
                    Just("uom".to_string()),
                    Just("bizTransactionList".to_string()),
                    Just("sourceList".to_string()),
                    Just("errorDeclaration".to_string()),
                    Just("readPoint".to_string()),
                    Just("id".to_string()),
                    Just("example:x".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_events(events in proptest::collection::vec(json_value(), 0..4)) {
        let _ = read_document(&doc(Value::Array(events)));
    }

    #[test]
    fn never_panics_on_arbitrary_documents(d in json_value()) {
        let _ = read_document(&d);
    }

    #[test]
    fn identifiers_never_panic(s in "\\PC{0,60}") {
        let _ = epcis::identifier::canonical(&s);
        let _ = epcis::identifier::canonical(&format!("urn:epc:id:sgtin:{s}"));
        let _ = epcis::identifier::canonical(&format!("https://id.gs1.org/01/{s}"));
    }
}

/// Stored events (eventID filled in at capture) read back without re-hashing are the
/// same events, with the stored eventID as their hash ID.
#[test]
fn stored_events_read_back_as_captured() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gs1");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("GS1 examples")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut compared = 0;
    for f in files {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&f).expect("read")).expect("json");
        let Ok(events) = epcis::read_document(&doc) else {
            continue;
        };
        let stored: Vec<Value> = events
            .iter()
            .map(|e| Value::Object(e.body.clone()))
            .collect();
        let again =
            epcis::read_stored_events(&json!({"type": "EPCISDocument", "schemaVersion": "2.0",
            "epcisBody": {"eventList": stored}}))
            .expect("stored events read back");
        assert_eq!(again.len(), events.len(), "{}", f.display());
        for (a, b) in events.iter().zip(&again) {
            assert_eq!(a.id(), b.id());
            assert_eq!(b.hash_id, a.id());
            assert_eq!(
                (&a.epcs, &a.quantities, &a.biz_step),
                (&b.epcs, &b.quantities, &b.biz_step)
            );
            compared += 1;
        }
    }
    assert!(compared >= 14, "{compared} events compared");
}

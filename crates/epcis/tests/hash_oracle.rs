//! The CBV 2.0 event hash against GS1's reference implementation: every fixture line is
//! a one-event document with the oracle's pre-hash string and hash
//! (`scripts/gen_epcis_hash_fixtures.py`).

use epcis::read_document;
use serde_json::Value;

#[test]
fn hashes_agree_with_gs1_reference_implementation() {
    let text = include_str!("data/hash_oracle.jsonl");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fixture: Value = serde_json::from_str(line).expect("fixture line is JSON");
        let events = read_document(&fixture["document"])
            .unwrap_or_else(|e| panic!("line {}: fixture document refused: {e}", n + 1));
        assert_eq!(events.len(), 1);
        let ev = &events[0];
        let doc = &fixture["document"];
        let ns = epcis::hash::namespaces(doc);
        let raw = doc["epcisBody"]["eventList"][0]
            .as_object()
            .expect("the fixture's event");
        let vocab = epcis::hash::vocabulary_in_use(&[raw]);
        let pre = epcis::hash::prehash(raw, &ns, &vocab);
        if pre != fixture["prehash"].as_str().unwrap_or_default() {
            failures.push(format!(
                "line {}:\n ours:   {pre}\n oracle: {}",
                n + 1,
                fixture["prehash"]
            ));
        } else {
            assert_eq!(ev.hash_id, fixture["hash"].as_str().unwrap_or_default());
        }
        checked += 1;
    }
    assert!(checked >= 400, "only {checked} fixtures");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

/// GS1's published example documents: every one is read, and where the oracle hashes a
/// document our hash IDs are the same.
#[test]
fn gs1_examples_are_read_and_hashed_as_the_oracle_does() {
    let oracle: Value =
        serde_json::from_str(include_str!("data/gs1_oracle.json")).expect("oracle JSON");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gs1");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("gs1 examples folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 9, "examples missing in {}", dir.display());
    let mut compared = 0;
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let events = read_document(&doc).unwrap_or_else(|e| panic!("{name} refused: {e}"));
        assert!(!events.is_empty(), "{name}: no events");
        if let Some(hashes) = oracle.get(&name).and_then(Value::as_array) {
            let ours: Vec<&str> = events.iter().map(|e| e.hash_id.as_str()).collect();
            let theirs: Vec<&str> = hashes.iter().filter_map(Value::as_str).collect();
            assert_eq!(ours, theirs, "{name}");
            compared += 1;
        }
    }
    assert!(compared >= 8, "only {compared} documents compared");
}

/// An event hashes the same whatever the spelling: URN or Digital Link, local time or
/// UTC, bare CBV word or URN, key order.
#[test]
fn spellings_of_one_event_share_a_hash() {
    let doc = |ev: Value| {
        serde_json::json!({"type": "EPCISDocument", "schemaVersion": "2.0",
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "epcisBody": {"eventList": [ev]}})
    };
    let a = doc(
        serde_json::json!({"type": "ObjectEvent", "action": "OBSERVE",
        "eventTime": "2025-11-10T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"], "bizStep": "shipping"}),
    );
    let b = doc(
        serde_json::json!({"bizStep": "urn:epcglobal:cbv:bizstep:shipping",
        "epcList": ["https://example.com/01/10614141073464/21/2017"],
        "eventTimeZoneOffset": "+08:00", "eventTime": "2025-11-10T00:00:00.000Z",
        "action": "OBSERVE", "type": "ObjectEvent", "eventID": "urn:uuid:7"}),
    );
    let c = doc(
        serde_json::json!({"type": "ObjectEvent", "action": "OBSERVE",
        "eventTime": "2025-11-10T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"], "bizStep": "shipping"}),
    );
    let h = |d: &Value| read_document(d).expect("valid")[0].hash_id.clone();
    assert_eq!(h(&a), h(&b));
    assert_ne!(h(&a), h(&c));
}

//! EPCIS document reader: any JSON gives events or an error naming the field, never a
//! panic; every event read carries its canonical hash ID (the eventID FentGuard computes).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = epcis::read_stored_events(&doc);
    if let Ok(events) = epcis::read_document(&doc) {
        for e in &events {
            assert!(e.hash_id.starts_with("ni:///sha-256;"), "{}", e.hash_id);
        }
    }
});

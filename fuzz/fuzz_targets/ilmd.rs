//! ILMD reader: the substance and item mass an event's ILMD gives, or an error naming the
//! field, never a panic, for any event the document reader accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn rules() -> &'static control::TrackingRules {
    static RULES: OnceLock<control::TrackingRules> = OnceLock::new();
    RULES.get_or_init(|| control::TrackingRules::builtin("CN").expect("rules"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let prefixes = doc
        .get("@context")
        .map(custody::context_prefixes)
        .unwrap_or_default();
    if let Ok(events) = epcis::read_document(&doc) {
        for e in &events {
            if let Ok(Some(ilmd)) = custody::ilmd_of(e, rules(), &prefixes) {
                assert!(!ilmd.substance.trim().is_empty());
                assert!(ilmd.unit_kg.is_none_or(|kg| kg.is_finite() && kg > 0.0));
            }
        }
    }
});

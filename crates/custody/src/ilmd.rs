//! What an event's ILMD (instance/lot master data) says of the lot it makes: the
//! substance, under FentGuard's namespace with any prefix the document binds to it, and
//! the mass of one item.

use epcis::Event;
use serde_json::Value;

/// Namespace of FentGuard's EPCIS extensions (ILMD `substance`, `netContent`).
pub const NAMESPACE: &str = "https://ns.fentguard.org/epcis/";

/// What an event's ILMD says of the lot it makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Ilmd {
    /// The substance as named (name, CAS number or structure).
    pub substance: String,
    /// Mass of one serialised item (kg), if given.
    pub unit_kg: Option<f64>,
}

/// The ILMD of an event: the substance named and the mass of one item, if given.
/// `prefixes`: those the document's `@context` binds to FentGuard's namespace. A damaged
/// ILMD is an error naming the field, never a panic (fuzzed: `fuzz/fuzz_targets/ilmd.rs`).
pub fn ilmd_of(
    e: &Event,
    rules: &control::TrackingRules,
    prefixes: &[String],
) -> Result<Option<Ilmd>, String> {
    let Some(ilmd) = e.body.get("ilmd").and_then(Value::as_object) else {
        return Ok(None);
    };
    // `fg:substance` with any prefix bound to our namespace (by the document's or the
    // event's own context), or the expanded key.
    let prefixes: Vec<String> = e
        .body
        .get("@context")
        .into_iter()
        .flat_map(context_prefixes)
        .chain(prefixes.iter().cloned())
        .collect();
    let find = |local: &str| {
        ilmd.iter().find_map(|(k, v)| {
            let hit = k == &format!("{NAMESPACE}{local}")
                || k.split_once(':').is_some_and(|(p, l)| {
                    l == local && (p == "fg" || prefixes.iter().any(|x| x == p))
                });
            hit.then_some(v)
        })
    };
    let Some(sub) = find("substance") else {
        return Ok(None);
    };
    let sub = sub
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .ok_or("ilmd fg:substance must be a non-empty string (a name, CAS number or SMILES)")?;
    let unit_kg = match find("netContent") {
        None => None,
        Some(v) => {
            let value = v.get("value").and_then(Value::as_f64);
            let uom = v.get("uom").and_then(Value::as_str);
            match (value, uom) {
                (Some(x), Some(u)) if x.is_finite() && x > 0.0 => {
                    Some(rules.kilograms(x, u).ok_or_else(|| {
                        format!("ilmd fg:netContent unit '{u}' is not a mass unit")
                    })?)
                }
                _ => {
                    return Err(
                        "ilmd fg:netContent must be {\"value\": a positive number, \"uom\": a UN/CEFACT mass unit}"
                            .into(),
                    )
                }
            }
        }
    };
    Ok(Some(Ilmd {
        substance: sub.to_string(),
        unit_kg,
    }))
}

/// Prefixes an `@context` binds to FentGuard's namespace.
pub fn context_prefixes(ctx: &Value) -> Vec<String> {
    let objects: Vec<&serde_json::Map<String, Value>> = match ctx {
        Value::Object(o) => vec![o],
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        _ => vec![],
    };
    objects
        .into_iter()
        .flat_map(|o| o.iter())
        .filter(|(_, v)| v.as_str() == Some(NAMESPACE))
        .map(|(k, _)| k.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn event_with(ilmd: Value) -> Event {
        let doc = json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"chem": NAMESPACE}],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
            "epcisBody": {"eventList": [{
                "type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
                "action": "ADD", "bizStep": "commissioning",
                "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.L1", "quantity": 1, "uom": "KGM"}],
                "ilmd": ilmd
            }]}
        });
        epcis::read_document(&doc)
            .ok()
            .and_then(|mut v| v.pop())
            .expect("a valid event")
    }

    fn rules() -> control::TrackingRules {
        control::TrackingRules::builtin("CN").expect("rules")
    }

    #[test]
    fn ilmd_names_the_substance_under_any_bound_prefix() {
        let r = rules();
        let e = event_with(
            json!({"chem:substance": "NPP", "chem:netContent": {"value": 2, "uom": "GRM"}}),
        );
        let bound = context_prefixes(
            &json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"chem": NAMESPACE}]),
        );
        assert_eq!(bound, ["chem"]);
        let got = ilmd_of(&e, &r, &bound).expect("ok").expect("some");
        assert_eq!((got.substance.as_str(), got.unit_kg), ("NPP", Some(0.002)));
        let e = event_with(json!({"https://ns.fentguard.org/epcis/substance": "NPP"}));
        assert!(ilmd_of(&e, &r, &[]).expect("ok").is_some());
        // another namespace's `substance` is not ours
        let e = event_with(json!({"other:substance": "NPP"}));
        assert!(ilmd_of(&e, &r, &[]).expect("ok").is_none());
        for bad in [
            json!({"fg:substance": ""}),
            json!({"fg:substance": 7}),
            json!({"fg:substance": "NPP", "fg:netContent": {"value": -1, "uom": "GRM"}}),
            json!({"fg:substance": "NPP", "fg:netContent": {"value": 1, "uom": "LTR"}}),
            json!({"fg:substance": "NPP", "fg:netContent": "4 mg"}),
        ] {
            let e = event_with(bad.clone());
            let err = ilmd_of(&e, &r, &[]).err().unwrap_or_default();
            assert!(err.contains("ilmd fg:"), "{bad}: {err}");
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|f| json!(f)),
            any::<i64>().prop_map(|i| json!(i)),
            "\\PC{0,12}".prop_map(Value::String),
            Just(json!("fg:substance")),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("fg:substance".to_string()),
                        Just("fg:netContent".to_string()),
                        Just("value".to_string()),
                        Just("uom".to_string()),
                        "\\PC{0,8}"
                    ],
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever an ILMD holds, reading it answers (a substance, nothing, or a reason)
        /// and never panics.
        #[test]
        fn any_ilmd_is_read_or_refused(ilmd in json_value()) {
            let r = rules();
            let e = event_with(json!({"x": 1}));
            let mut e = e;
            e.body.insert("ilmd".into(), ilmd);
            match ilmd_of(&e, &r, &[]) {
                Ok(Some(i)) => prop_assert!(!i.substance.trim().is_empty()),
                Ok(None) => {}
                Err(why) => prop_assert!(why.starts_with("ilmd fg:")),
            }
        }
    }
}

//! The law over HTTP answers as the library (and so the CLI) does: every input of a
//! sample of the generated fixture classified and export-checked through the API and
//! compared field by field; unknown names refused with the same suggestions.

use axum::http::StatusCode;
use serde_json::{json, Value};
use std::io::Read;

mod common;
use common::Api;

/// Inputs of `crates/law/tests/data/differential.csv.gz` (SMILES and molfiles).
fn fixture_inputs() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../law/tests/data/differential.csv.gz"
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("fixture"))
        .read_to_string(&mut text)
        .expect("gzip");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let col = r
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "smiles")
        .expect("smiles column");
    r.records()
        .map(|rec| rec.expect("row")[col].to_string())
        .collect()
}

/// A library answer as a client reads it: through the same JSON text and parser as the
/// response (serde_json's default float parsing is not exact both ways).
fn as_client_reads(v: &impl serde::Serialize) -> Value {
    serde_json::from_str(&serde_json::to_string(v).expect("json")).expect("parse")
}

fn date() -> law::NaiveDate {
    law::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date")
}

#[tokio::test]
async fn the_api_answers_as_the_library_on_the_generated_inputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let api = Api::new(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
    let r = &api.s.rules;
    let inputs = fixture_inputs();
    let mut checked = 0;
    for (i, input) in inputs.iter().enumerate().step_by(37) {
        let (st, v) = api
            .call(
                "POST",
                "/api/v1/classifications",
                Some("customs_officer"),
                Some(json!({"input": input, "date": "2026-06-01"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{input}: {v}");
        let want = r
            .classifier
            .classify_text(input, law::Jurisdictions::All, date())
            .expect("library");
        assert_eq!(v, as_client_reads(&want), "{input}");
        if i % 5 == 0 {
            let (st, v) = api
                .call(
                    "POST",
                    "/api/v1/export-checks",
                    Some("compliance_officer"),
                    Some(json!({"substance": input, "destination": "MX", "quantity": "2 kg", "date": "2026-06-01"})),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{input}: {v}");
            let want = r
                .export
                .check(&r.classifier, input, "MX", Some("2 kg"), date(), None, "CN")
                .expect("library");
            assert_eq!(v, as_client_reads(&want), "{input}");
        }
        checked += 1;
    }
    assert!(checked > 400, "{checked}");
}

#[tokio::test]
async fn unknown_names_are_refused_with_suggestions_and_unknown_cas_is_undetermined() {
    let dir = tempfile::tempdir().expect("tmp");
    let api = Api::new(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
    for (uri, body) in [
        ("/api/v1/classifications", json!({"input": "fentanil"})),
        (
            "/api/v1/export-checks",
            json!({"substance": "fentanil", "destination": "MX"}),
        ),
    ] {
        let (st, v) = api
            .call("POST", uri, Some("licensing_officer"), Some(body))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {v}");
        assert_eq!(v["did_you_mean"], json!(["Fentanyl"]), "{uri}: {v}");
        assert!(
            v["detail"]
                .as_str()
                .is_some_and(|d| d.contains("did you mean")),
            "{v}"
        );
    }
    // the same suggestion as the library (and so the CLI) gives
    let lib = api
        .s
        .rules
        .classifier
        .resolve("carfentanyl")
        .expect_err("unknown");
    let (_, v) = api
        .call(
            "POST",
            "/api/v1/classifications",
            Some("licensing_officer"),
            Some(json!({"input": "carfentanyl"})),
        )
        .await;
    assert_eq!(v["did_you_mean"], json!(lib.did_you_mean()), "{v}");
    // a valid CAS number not on file: undetermined, never "not controlled"
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/classifications",
            Some("licensing_officer"),
            Some(json!({"input": "79-11-8"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    for verdict in v["verdicts"].as_array().expect("verdicts") {
        assert_eq!(verdict["status"], "undetermined", "{v}");
    }
    let (_, v) = api
        .call(
            "POST",
            "/api/v1/export-checks",
            Some("compliance_officer"),
            Some(json!({"substance": "79-11-8", "destination": "MX"})),
        )
        .await;
    assert_eq!(v["decision"], "undetermined", "{v}");
    // fentanyl pamoate: controlled, carried by the fentanyl component
    let pamoate =
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.OC(=O)c1cc2ccccc2c(Cc2c(O)c(C(O)=O)cc3ccccc23)c1O";
    let (_, v) = api
        .call(
            "POST",
            "/api/v1/classifications",
            Some("customs_officer"),
            Some(json!({"input": pamoate, "jurisdiction": "cn"})),
        )
        .await;
    let cn = &v["verdicts"][0];
    assert_eq!(cn["status"], "controlled", "{v}");
    let comp: &Value = &v["components"][cn["component"].as_u64().expect("component") as usize];
    assert_eq!(
        comp["smiles"], "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        "{v}"
    );
}

#[tokio::test]
async fn a_deep_structure_within_raised_limits_gets_an_answer_not_a_crashed_worker() {
    // 1,500 cyclohexanes in a chain: the recursive SMILES writer overflowed a worker's
    // stack on inputs like this (issue 11); with limits raised to admit it, the answer
    // is an ordinary one.
    let dir = tempfile::tempdir().expect("tmp");
    let limits = chem::Limits {
        max_atoms: 10_000,
        max_rings: 2_000,
        ..chem::Limits::DEFAULT
    };
    let url = format!("sqlite://{}", dir.path().join("fg.db").display());
    let api = Api::with_limits(&url, limits).await;
    let input = "C1CCCCC1".repeat(1500);
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/export-checks",
            Some("compliance_officer"),
            Some(json!({"substance": input, "destination": "MX"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], "no_licence_required", "{v}");
}

/// Every way a structure reaches the server refuses one beyond the size limits with a
/// problem naming the limit, and without quoting the whole input back.
#[tokio::test]
async fn structures_beyond_the_limits_are_refused_everywhere_naming_the_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let api = Api::new(&format!("sqlite://{}", dir.path().join("fg.db").display())).await;
    let huge = "C1CCCCC1".repeat(1000); // 6,000 atoms, 8 KB
                                        // 399 fused four-membered rings in 1.6 KB: 1.3 s and 320 MB before the limits
    let ladder = common::ladder(399);
    let check = |st: StatusCode, v: &Value, setting: &str| {
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(
            v["type"]
                .as_str()
                .map(|t| t.ends_with("structure-too-large")),
            Some(true),
            "{v}"
        );
        let detail = v["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(setting), "{v}");
        assert!(v.to_string().len() < 2_000, "the input is not echoed: {v}");
    };
    for (input, setting) in [(&huge, "max_atoms"), (&ladder, "max_rings")] {
        let (st, v) = api
            .call(
                "POST",
                "/api/v1/classifications",
                Some("customs_officer"),
                Some(json!({"input": input})),
            )
            .await;
        check(st, &v, setting);
        let (st, v) = api
            .call(
                "POST",
                "/api/v1/export-checks",
                Some("compliance_officer"),
                Some(json!({"substance": input, "destination": "MX"})),
            )
            .await;
        check(st, &v, setting);
    }
    // an export application naming it
    let party = json!({"name": "Quimica Demo SA de CV", "address": "Av. Industria 10, Monterrey", "country": "MX"});
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/export-applications",
            Some("compliance_officer"),
            Some(json!({
                "importer": party, "consignee": party, "substance": huge, "quantity": "10kg",
                "destination": "MX", "point_of_exit": "Shanghai", "point_of_entry": "Manzanillo",
                "transport_mode": "sea", "planned_dispatch": "2027-01-15",
                "contract_reference": "QS-1", "end_use": "synthesis", "documents": [
                    {"kind": "importer_guarantee", "filename": "g.txt", "content_base64": "Z3VhcmFudGVl"},
                    {"kind": "contract", "filename": "c.txt", "content_base64": "Y29udHJhY3Q="}
                ]
            })),
        )
        .await;
    check(st, &v, "max_atoms");
    // a production plan naming it
    let (st, v) = api
        .call(
            "PUT",
            "/api/v1/production-plans",
            Some("administrator"),
            Some(
                json!({"enterprise": "cn-exporter", "substance": huge, "year": 2026, "plan_kg": 1.0}),
            ),
        )
        .await;
    check(st, &v, "max_atoms");
    // an EPCIS commissioning naming it in its ILMD: refused, naming the event
    let doc = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"fg": "https://ns.fentguard.org/epcis/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-06-01T00:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": "2026-06-01T00:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "ADD", "bizStep": "commissioning",
            "bizLocation": {"id": "urn:epc:id:sgln:6901234.00001.0"},
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.BIG-1", "quantity": 5.0, "uom": "KGM"}],
            "ilmd": {"fg:substance": huge}
        }]}
    });
    let (st, v) = api
        .call(
            "POST",
            "/epcis/capture",
            Some("compliance_officer"),
            Some(doc),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("max_atoms"), "{v}");
    assert!(v.to_string().len() < 4_000, "the input is not echoed: {v}");
}

//! The closed loop, end to end over HTTP on SQLite and PostgreSQL: a Class I precursor
//! and a fentanyl medicine followed from production through sale, transport, receipt and
//! dispensing as EPCIS events; each rule fires on its breach (refused with the reason, or
//! stored and flagged); an inventory gap and a physical-count discrepancy are found; an
//! overdue Class II report is listed; the enterprise's credit rating moves.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};
use server::{router, AppState};
use std::collections::BTreeMap;
use tower::ServiceExt;

mod common;

const NPP_LOT: &str = "urn:epc:class:lgtin:6901234.012345.NPP-2026-001";
const AP_LOT: &str = "urn:epc:class:lgtin:6901234.012347.4AP-2026-01";
const TRANSPORT_PERMIT: &str = "https://ns.fentguard.org/btt/transport_permit";

struct Api {
    s: AppState,
    tokens: BTreeMap<String, String>,
    now: DateTime<Utc>,
}

fn pgln(n: u32) -> String {
    format!("urn:epc:id:pgln:6901234.{n:05}")
}

fn site(n: u32) -> String {
    format!("urn:epc:id:sgln:6901234.{n:05}.0")
}

fn patch(serial: u32) -> String {
    format!("urn:epc:id:sgtin:6901234.112346.{serial}")
}

fn patient(n: u32) -> String {
    format!("urn:fentguard:patient:{:064x}", n)
}

impl Api {
    async fn new(url: &str) -> Api {
        let (s, mut tokens) = common::seeded(url).await;
        let now = s.clock.now();
        tokens.extend(
            server::demo::seed_supply_chain(&s.store, now)
                .await
                .expect("supply chain"),
        );
        Api { s, tokens, now }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        who: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = self.tokens.get(who) {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
        let res = router(self.s.clone())
            .oneshot(req.body(body).expect("request"))
            .await
            .expect("response");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body");
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }

    /// Capture one event as `who`; the answer's status and body.
    async fn capture(&self, who: &str, event: Value) -> (StatusCode, Value) {
        let doc = json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"fg": "https://ns.fentguard.org/epcis/"}],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": at(self.s.clock.now()),
            "epcisBody": {"eventList": [event]}
        });
        self.call("POST", "/epcis/capture", who, Some(&doc)).await
    }

    fn ago(&self, days: i64) -> String {
        at(self.s.clock.now() - Duration::days(days))
    }

    fn hours_ago(&self, hours: i64) -> String {
        at(self.s.clock.now() - Duration::hours(hours))
    }

    async fn alerts(&self, kind: &str, enterprise: &str) -> Vec<Value> {
        let (st, v) = self
            .call(
                "GET",
                &format!("/api/v1/alerts?kind={kind}&enterprise={enterprise}"),
                "public_security_officer",
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v.as_array().cloned().unwrap_or_default()
    }

    async fn balance(&self, holder: &str, lot_contains: &str) -> f64 {
        let (st, v) = self
            .call(
                "GET",
                &format!("/api/v1/inventory?holder={holder}"),
                "public_security_officer",
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v.as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["lot"].as_str().is_some_and(|l| l.contains(lot_contains)))
            .map(|r| r["kg"].as_f64().unwrap_or(f64::NAN))
            .sum()
    }

    async fn credit(&self, enterprise: &str) -> Value {
        let (st, v) = self
            .call(
                "GET",
                &format!("/api/v1/enterprises/{enterprise}/credit-rating"),
                "licensing_officer",
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v
    }
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An ObjectEvent.
fn object(when: &str, step: &str, action: &str, place: &str, extra: Value) -> Value {
    let mut e = json!({
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+08:00",
        "action": action,
        "bizStep": step,
        "bizLocation": {"id": place},
    });
    if let (Some(o), Some(x)) = (e.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            o.insert(k.clone(), v.clone());
        }
    }
    e
}

fn kg(lot: &str, amount: f64) -> Value {
    json!([{"epcClass": lot, "quantity": amount, "uom": "KGM"}])
}

fn owners(from: u32, to: u32) -> Value {
    json!({
        "sourceList": [{"type": "owning_party", "source": pgln(from)}],
        "destinationList": [{"type": "owning_party", "destination": pgln(to)}]
    })
}

fn merge(a: Value, b: Value) -> Value {
    let mut a = a;
    if let (Some(o), Some(x)) = (a.as_object_mut(), b.as_object()) {
        for (k, v) in x {
            o.insert(k.clone(), v.clone());
        }
    }
    a
}

fn rules_of(v: &Value) -> Vec<String> {
    v["context"]["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["breaches"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["rule"].as_str().map(String::from))
        .collect()
}

async fn precursor_loop(api: &Api) {
    // Production of a Class I precursor: refused without the provincial approval...
    let commission = |lot_kg: f64| {
        object(
            &api.hours_ago(10),
            "commissioning",
            "ADD",
            &site(1),
            json!({"quantityList": kg(NPP_LOT, lot_kg), "ilmd": {"fg:substance": "39742-60-4"}}),
        )
    };
    let (st, v) = api
        .capture("other_compliance_officer", commission(500.0))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(rules_of(&v), ["CN-PC1-PRODUCTION-APPROVAL"], "{v}");
    // ...accepted with it; the lot is registered from the ILMD and the book opens.
    let (st, v) = api.capture("compliance_officer", commission(500.0)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 500.0);

    // A sale to a buyer without a purchase permit, and with no transport permit: refused,
    // every reason named; nothing moves; the attempt is on the seller's record.
    let sale = |to: u32, amount: f64, hours: i64, permit: bool| {
        let mut e = merge(
            object(
                &api.hours_ago(hours),
                "shipping",
                "OBSERVE",
                &site(1),
                json!({"quantityList": kg(NPP_LOT, amount)}),
            ),
            owners(1, to),
        );
        if permit {
            e["bizTransactionList"] = json!([{"type": TRANSPORT_PERMIT, "bizTransaction": format!("urn:fentguard:transport-permit:TP-{hours}")}]);
        }
        e
    };
    let (st, v) = api
        .capture("compliance_officer", sale(3, 100.0, 9, false))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        rules_of(&v),
        ["CN-PC1-PURCHASE-PERMIT", "CN-PC1-TRANSPORT-PERMIT"],
        "{v}"
    );
    assert!(
        v["detail"].as_str().unwrap_or("").contains("cn-unlicensed"),
        "the reason names the buyer: {v}"
    );
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 500.0);
    assert_eq!(
        api.alerts("rule_breach_blocked", "cn-exporter").await.len(),
        1
    );

    // Lawful sale under a transport permit to the permit holder; received in full.
    let (st, v) = api
        .capture("compliance_officer", sale(2, 200.0, 8, true))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let receipt = |amount: f64, hours: i64| {
        merge(
            object(
                &api.hours_ago(hours),
                "receiving",
                "OBSERVE",
                &site(2),
                json!({"quantityList": kg(NPP_LOT, amount)}),
            ),
            owners(1, 2),
        )
    };
    let (st, v) = api.capture("buyer_officer", receipt(200.0, 7)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 300.0);
    assert_eq!(api.balance("cn-buyer", "/10/NPP-2026-001").await, 200.0);

    // A second sale is never received: once the receipt is overdue, reconciliation raises
    // a gap on the seller, once.
    let (st, v) = api
        .capture("compliance_officer", sale(2, 50.0, 6, true))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (_, v) = api
        .call(
            "GET",
            "/api/v1/deadlines?overdue=true",
            "compliance_officer",
            None,
        )
        .await;
    assert_eq!(
        v["receipts"].as_array().map(Vec::len),
        Some(0),
        "not yet due: {v}"
    );
    api.s.clock.advance(Duration::days(8));
    let (st, v) = api
        .call(
            "GET",
            "/api/v1/deadlines?overdue=true",
            "compliance_officer",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let late: Vec<&Value> = v["receipts"].as_array().into_iter().flatten().collect();
    assert_eq!(late.len(), 1, "{v}");
    assert_eq!(late[0]["shipment"]["kg"], 50.0);
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/reconciliation",
            "public_security_officer",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let gaps = api.alerts("receipt_gap", "cn-exporter").await;
    assert_eq!(gaps.len(), 1, "{v}");
    assert!(
        gaps[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("50.000 kg"),
        "{}",
        gaps[0]
    );
    let (_, again) = api
        .call(
            "POST",
            "/api/v1/reconciliation",
            "public_security_officer",
            None,
        )
        .await;
    assert!(
        !again["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["kind"] == "receipt_gap"),
        "a gap is raised once: {again}"
    );

    // Physical count: 250 kg on the book, 248 kg on the shelf.
    let count = object(
        &api.hours_ago(1),
        "cycle_counting",
        "OBSERVE",
        &site(1),
        json!({"quantityList": kg(NPP_LOT, 248.0)}),
    );
    let (st, v) = api.capture("compliance_officer", count).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let d = &v["alerts"][0];
    assert_eq!(d["kind"], "inventory_discrepancy", "{v}");
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("250.000 kg on the book"),
        "{d}"
    );
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 248.0);

    // A transformation consumes its inputs and makes its outputs (a Class I production:
    // the lot of 4-ANPP is registered from the event's ILMD).
    let transform = json!({
        "type": "TransformationEvent",
        "eventTime": api.hours_ago(0),
        "eventTimeZoneOffset": "+08:00",
        "bizStep": "commissioning",
        "bizLocation": {"id": site(1)},
        "inputQuantityList": kg(NPP_LOT, 48.0),
        "outputQuantityList": kg("urn:epc:class:lgtin:6901234.012348.ANPP-2026-001", 40.0),
        "ilmd": {"fg:substance": "21409-26-7"}
    });
    let (st, v) = api.capture("compliance_officer", transform).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 200.0);
    assert_eq!(api.balance("cn-exporter", "ANPP-2026-001").await, 40.0);
    // Export: a sale abroad names the exporter's permit. An unknown permit is refused; the
    // licensing authority's permit (issued through the workflow of issue 4; stored here
    // directly) lets 40 kg leave.
    let export = |permit: &str| {
        json!({
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "eventTime": api.hours_ago(0), "eventTimeZoneOffset": "+08:00",
            "bizLocation": {"id": site(1)},
            "quantityList": kg(NPP_LOT, 40.0),
            "bizTransactionList": [
                {"type": TRANSPORT_PERMIT, "bizTransaction": "urn:fentguard:transport-permit:TP-EXPORT"},
                {"type": "https://ns.fentguard.org/btt/export_permit", "bizTransaction": format!("urn:fentguard:permit:{permit}")}
            ],
            "sourceList": [{"type": "owning_party", "source": pgln(1)}],
            "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:7501234.00002"}]
        })
    };
    let (st, v) = api
        .capture("compliance_officer", export("CN-PEL-2026-999999"))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(rules_of(&v), ["CN-EXPORT-PERMIT"], "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap_or("")
            .contains("no permit CN-PEL-2026-999999"),
        "{v}"
    );
    let party = |n: &str, c: &str| control::Party {
        name: n.into(),
        address: "Av. Industria 10".into(),
        country: c.into(),
    };
    let today = api.s.clock.now().date_naive();
    let permit = control::Permit {
        number: "CN-PEL-2026-000777".into(),
        exporter: party("Jiangsu Demo Fine Chemicals Co., Ltd.", "CN"),
        importer: party("Quimica Demo SA de CV", "MX"),
        consignee: party("Quimica Demo SA de CV", "MX"),
        substance: "N-phenethyl-4-piperidone".into(),
        quantity_kg: 40.0,
        destination: "MX".into(),
        valid_from: today - Duration::days(1),
        valid_until: today + Duration::days(90),
        issuer: "cn-mofcom".into(),
        cas: None,
        hs_code: None,
    }
    .sign(&api.s.signing_key);
    let mut tx = api.s.store.write().await.expect("tx");
    tx.insert_permit(&permit, "app-direct", "cn-exporter", api.s.clock.now())
        .await
        .expect("permit");
    // audited as issuing does, or audit verification rightly finds it unaudited
    tx.audit(
        api.s.clock.now(),
        "licensing-officer",
        "permit.issue",
        "permit/CN-PEL-2026-000777",
        Value::Null,
        serde_json::to_value(&permit).expect("permit JSON"),
    )
    .await
    .expect("audit");
    tx.commit().await.expect("commit");
    let (st, v) = api
        .capture("other_compliance_officer", export("CN-PEL-2026-000777"))
        .await;
    assert_eq!(
        st,
        StatusCode::BAD_REQUEST,
        "another enterprise's permit: {v}"
    );
    let (st, v) = api
        .capture("compliance_officer", export("CN-PEL-2026-000777"))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 160.0);
    // A sale declared erroneous afterwards: the event stays, the book takes it back.
    let mistaken = sale(2, 10.0, 0, true);
    let (st, v) = api.capture("compliance_officer", mistaken.clone()).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 150.0);
    let mut declared = mistaken;
    declared["errorDeclaration"] =
        json!({"declarationTime": api.hours_ago(0), "reason": "incorrect_data"});
    let (st, v) = api.capture("compliance_officer", declared).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(api.balance("cn-exporter", "/10/NPP-2026-001").await, 160.0);
    let (_, v) = api
        .call("GET", "/api/v1/deadlines", "compliance_officer", None)
        .await;
    assert!(
        !v["receipts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["shipment"]["kg"] == 10.0),
        "the withdrawn shipment is no longer awaited: {v}"
    );
    // Import: a Mexican supplier registered by the administrator; a receipt from it is an
    // import and needs an import permit named on the event.
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/organisations",
            "administrator",
            Some(&json!({
            "id": "mx-supplier", "name": "Proveedora Demo SA", "country": "MX",
            "address": "Monterrey", "kind": "enterprise", "activities": ["producer", "exporter"]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = api
        .call(
            "PUT",
            "/api/v1/parties/urn:epc:id:pgln:7501234.00009",
            "administrator",
            Some(&json!({"organisation": "mx-supplier"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let import = |permit: bool| {
        let mut e = merge(
            object(
                &api.hours_ago(0),
                "receiving",
                "ADD",
                &site(2),
                json!({
                "quantityList": kg("urn:epc:class:lgtin:7501234.012349.MX-1", 5.0),
                "ilmd": {"fg:substance": "N-phenethyl-4-piperidone"}}),
            ),
            json!({"sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:7501234.00009"}],
                   "destinationList": [{"type": "owning_party", "destination": pgln(2)}]}),
        );
        if permit {
            e["bizTransactionList"] = json!([{"type": "https://ns.fentguard.org/btt/import_permit", "bizTransaction": "urn:fentguard:import-permit:IM-1"}]);
        }
        e
    };
    let (st, v) = api.capture("buyer_officer", import(false)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(rules_of(&v), ["CN-IMPORT-PERMIT"], "{v}");
    let (st, v) = api.capture("buyer_officer", import(true)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert!(
        v["alerts"].as_array().is_some_and(Vec::is_empty),
        "an import is no unreported sale: {v}"
    );
    assert_eq!(api.balance("cn-buyer", "MX-1").await, 5.0);
    // The credit rating moved: two refused attempts, one gap, one discrepancy.
    let r = api.credit("cn-exporter").await;
    assert_eq!(r["score"], 50, "{r}");
    assert_eq!(r["grade"], "C", "{r}");
    let codes: Vec<&str> = r["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "inventory_discrepancy",
            "receipt_gap",
            "rule_breach_blocked"
        ],
        "{r}"
    );
    assert_eq!(r["history"].as_array().map(Vec::len), Some(4), "{r}");
    // The export-licence risk assessment reads the rating: below 60, a reason of its own.
    let b64 = |t: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(t)
    };
    let party = json!({"name": "Quimica Demo SA de CV", "address": "Av. Industria 10, Monterrey", "country": "MX"});
    let application = json!({
        "importer": party, "consignee": party,
        "substance": "N-phenethyl-4-piperidone", "quantity": "25 kg", "destination": "MX",
        "point_of_exit": "Shanghai", "point_of_entry": "Manzanillo", "transport_mode": "sea",
        "planned_dispatch": (api.s.clock.now() + Duration::days(30)).date_naive().to_string(),
        "contract_reference": "QS-9", "end_use": "synthesis of a licensed analgesic",
        "documents": [
            {"kind": "importer_guarantee", "filename": "g.txt", "content_base64": b64("guarantee")},
            {"kind": "contract", "filename": "c.txt", "content_base64": b64("contract")}
        ]
    });
    let (st, v) = api
        .call(
            "POST",
            "/api/v1/export-applications",
            "compliance_officer",
            Some(&application),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let risk_codes: Vec<&str> = v["risk"]["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert!(risk_codes.contains(&"CREDIT_RATING"), "{risk_codes:?}");
    // An enterprise sees its own rating and not another's.
    let (st, _) = api
        .call(
            "GET",
            "/api/v1/enterprises/cn-exporter/credit-rating",
            "buyer_officer",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

async fn class_two_reports(api: &Api) {
    // The trader's filing started 60 days ago and it has never reported: overdue.
    let (st, v) = api
        .call(
            "GET",
            "/api/v1/deadlines?overdue=true",
            "trader_officer",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let reports = v["reports"].as_array().cloned().unwrap_or_default();
    assert_eq!(reports.len(), 1, "{v}");
    assert_eq!(reports[0]["duty"], "CN-PC2-PERIODIC-30D");
    // 60 days of filing, 8 of them after the clock moved, less the 30 allowed
    assert_eq!(reports[0]["overdue_days"], 38, "{v}");
    // Reconciliation (run above, and again now) raises it as an alert, once.
    let (st, _) = api
        .call("POST", "/api/v1/reconciliation", "licensing_officer", None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let overdue = api.alerts("overdue_report", "cn-trader").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert!(
        overdue[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("38 days overdue"),
        "{}",
        overdue[0]
    );
    // A production 40 days old reported now: stored, flagged as late.
    let late = object(
        &api.ago(40),
        "commissioning",
        "ADD",
        &site(4),
        json!({"quantityList": kg(AP_LOT, 30.0), "ilmd": {"fg:substance": "4-anilinopiperidine"}}),
    );
    let (st, v) = api.capture("trader_officer", late).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        v["flagged"][0]["breaches"][0]["rule"], "CN-PC2-REPORT-30D",
        "{v}"
    );
    assert!(!v["flagged"][0]["breaches"][0]["blocked"]
        .as_bool()
        .unwrap_or(true));
    assert_eq!(api.balance("cn-trader", "4AP").await, 30.0);
    // Having reported, it is no longer overdue.
    let (_, v) = api
        .call(
            "GET",
            "/api/v1/deadlines?overdue=true",
            "trader_officer",
            None,
        )
        .await;
    assert_eq!(v["reports"].as_array().map(Vec::len), Some(0), "{v}");
    let r = api.credit("cn-trader").await;
    assert_eq!(r["score"], 90, "overdue report and a late one: {r}");
}

async fn medicine_loop(api: &Api) {
    let year = api.now.format("%Y").to_string();
    let make = |serials: &[u32]| {
        object(
            &api.hours_ago(9),
            "commissioning",
            "ADD",
            &site(10),
            json!({"epcList": serials.iter().map(|s| patch(*s)).collect::<Vec<_>>(),
                   "ilmd": {"fg:substance": "fentanyl", "fg:netContent": {"value": 4.2, "uom": "MGM"}}}),
        )
    };
    // No production plan on file: refused.
    let (st, v) = api.capture("manufacturer_officer", make(&[1, 2, 3])).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(rules_of(&v), ["CN-MED-PLAN"], "{v}");
    // The authority sets the plan: 10 mg of fentanyl base this year.
    let (st, v) = api
        .call(
            "PUT",
            "/api/v1/production-plans",
            "administrator",
            Some(&json!({"enterprise": "cn-pharma", "substance": "fentanyl", "year": year.parse::<i32>().unwrap_or(2026), "plan_kg": 0.00001})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // Three 4.2 mg patches would exceed it; two do not.
    let (st, v) = api.capture("manufacturer_officer", make(&[1, 2, 3])).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("over its plan"),
        "{v}"
    );
    let (st, v) = api.capture("manufacturer_officer", make(&[1, 2])).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");

    let packs = json!([patch(1), patch(2)]);
    let ship = |from: u32, to: u32, hours: i64, epcs: &Value| {
        merge(
            object(
                &api.hours_ago(hours),
                "shipping",
                "OBSERVE",
                &site(from),
                json!({"epcList": epcs}),
            ),
            owners(from, to),
        )
    };
    let receive = |from: u32, to: u32, hours: i64, epcs: &Value| {
        merge(
            object(
                &api.hours_ago(hours),
                "receiving",
                "OBSERVE",
                &site(to),
                json!({"epcList": epcs}),
            ),
            owners(from, to),
        )
    };
    // Manufacturer straight to a hospital: outside the channel.
    let (st, v) = api
        .capture("manufacturer_officer", ship(10, 13, 8, &packs))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(rules_of(&v), ["CN-MED-CHANNEL"], "{v}");
    // Manufacturer -> national wholesaler -> Hebei wholesaler.
    for (who, from, to, receiver, d) in [
        (
            "manufacturer_officer",
            10,
            11,
            "national_wholesaler_officer",
            8,
        ),
        (
            "national_wholesaler_officer",
            11,
            12,
            "regional_wholesaler_officer",
            6,
        ),
    ] {
        let (st, v) = api.capture(who, ship(from, to, d, &packs)).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{who}: {v}");
        let (st, v) = api
            .capture(receiver, receive(from, to, d - 1, &packs))
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{receiver}: {v}");
        assert!(v["alerts"].as_array().is_some_and(Vec::is_empty), "{v}");
    }
    // The Hebei wholesaler may not supply a Shanxi hospital, nor sell at retail.
    let (st, v) = api
        .capture("regional_wholesaler_officer", ship(12, 14, 4, &packs))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["detail"].as_str().unwrap_or("").contains("Shanxi"), "{v}");
    let retail = object(
        &api.hours_ago(4),
        "retail_selling",
        "OBSERVE",
        &site(12),
        json!({"epcList": [patch(1)]}),
    );
    let (st, v) = api.capture("regional_wholesaler_officer", retail).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(rules_of(&v), ["CN-MED-NO-RETAIL"], "{v}");
    // To the Hebei hospital it may.
    let (st, v) = api
        .capture("regional_wholesaler_officer", ship(12, 13, 4, &packs))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (st, v) = api
        .capture("hospital_officer", receive(12, 13, 3, &packs))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert!((api.balance("hb-hospital", "/01/1690123412346").await - 8.4e-6).abs() < 1e-12);

    // Dispensing: prescription and pseudonymised patient required; the used package back
    // before the next one.
    let dispense = |serial: u32, who: &str, prescription: bool| {
        let mut e = object(
            &api.hours_ago(2),
            "dispensing",
            "OBSERVE",
            &site(13),
            json!({"epcList": [patch(serial)], "destinationList": [{"type": "https://ns.fentguard.org/sdt/patient", "destination": who}]}),
        );
        if prescription {
            e["bizTransactionList"] = json!([{"type": "https://ns.fentguard.org/btt/prescription", "bizTransaction": format!("urn:fentguard:prescription:RX-{serial}")}]);
        }
        e
    };
    let (st, v) = api
        .capture(
            "hospital_officer",
            dispense(1, "urn:fentguard:patient:Zhang San", false),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        rules_of(&v),
        ["CN-MED-PRESCRIPTION", "CN-MED-PATIENT"],
        "{v}"
    );
    let (st, v) = api
        .capture("hospital_officer", dispense(1, &patient(7), true))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (st, v) = api
        .capture("hospital_officer", dispense(2, &patient(7), true))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(rules_of(&v), ["CN-MED-PACKAGE-RETURN"], "{v}");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("6901234"),
        "names the pack: {v}"
    );
    let give_back = object(
        &api.hours_ago(1),
        "collecting",
        "OBSERVE",
        &site(13),
        json!({"epcList": [patch(1)]}),
    );
    let (st, v) = api.capture("hospital_officer", give_back).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (st, v) = api
        .capture("hospital_officer", dispense(2, &patient(7), true))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert!(api.balance("hb-hospital", "/01/1690123412346").await.abs() < 1e-12);
    // Every refused attempt is on record, named by rule.
    let refused = api.alerts("rule_breach_blocked", "hb-wholesaler").await;
    let mut rules: Vec<&str> = refused.iter().filter_map(|a| a["rule"].as_str()).collect();
    rules.sort_unstable();
    assert_eq!(rules, ["CN-MED-CHANNEL", "CN-MED-NO-RETAIL"]);
}

/// Opens the alert stream as `who`.
async fn subscribe(api: &Api, who: &str) -> axum::body::BodyDataStream {
    let req = Request::builder()
        .uri("/api/v1/alerts/stream")
        .header("authorization", format!("Bearer {}", api.tokens[who]))
        .body(Body::empty())
        .expect("request");
    let res = router(api.s.clone()).oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    res.into_body().into_data_stream()
}

/// The text the stream sends within `wait`.
async fn drain(stream: &mut axum::body::BodyDataStream, wait: std::time::Duration) -> String {
    use futures_util::StreamExt;
    let mut text = String::new();
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout(wait, stream.next()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

async fn scenario(url: &str) {
    let api = Api::new(url).await;
    let mut authority = subscribe(&api, "public_security_officer").await;
    let mut buyer = subscribe(&api, "buyer_officer").await;
    precursor_loop(&api).await;
    // Subscribers heard of the alerts as they were raised; an enterprise only of its own.
    let heard = drain(&mut authority, std::time::Duration::from_millis(300)).await;
    for kind in [
        "rule_breach_blocked",
        "receipt_gap",
        "inventory_discrepancy",
    ] {
        assert!(
            heard.contains(&format!("\"kind\":\"{kind}\"")),
            "{kind} in {heard}"
        );
    }
    assert!(heard.contains("event: alert"), "{heard}");
    let own = drain(&mut buyer, std::time::Duration::from_millis(100)).await;
    assert!(!own.contains("cn-exporter"), "{own}");
    let (st, _) = api
        .call(
            "GET",
            "/api/v1/alerts/stream",
            "foreign_authority_officer",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    class_two_reports(&api).await;
    medicine_loop(&api).await;
    // Enterprises see only their own alerts.
    let (st, v) = api
        .call("GET", "/api/v1/alerts", "buyer_officer", None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        v.as_array()
            .into_iter()
            .flatten()
            .all(|a| a["org"] == "cn-buyer"),
        "{v}"
    );
    // Bad ILMD names the event and field.
    let bad = object(
        &api.hours_ago(1),
        "commissioning",
        "ADD",
        &site(1),
        json!({"quantityList": kg("urn:epc:class:lgtin:6901234.012345.X1", 1.0), "ilmd": {"fg:substance": "unobtainium"}}),
    );
    let (st, v) = api.capture("compliance_officer", bad).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        v["detail"].as_str().unwrap_or("").contains("unobtainium"),
        "{v}"
    );
    // The book kept at capture is what replaying the whole ledger gives.
    let (st, v) = api
        .call(
            "GET",
            "/api/v1/inventory/verify",
            "public_security_officer",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["differences"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(v["events_read"], 20, "every stored event: {v}");
    assert!(v["places"].as_u64().unwrap_or(0) >= 8, "{v}");
    // ...and a book edited behind FentGuard's back is caught.
    let mut tx = api.s.store.write().await.expect("tx");
    let mut row = api
        .s
        .store
        .inventory(Some("cn-buyer"), None)
        .await
        .expect("book")[0]
        .clone();
    row.kg += 1.0;
    tx.put_inventory(&[row], api.s.clock.now())
        .await
        .expect("edit");
    tx.commit().await.expect("commit");
    let (_, v) = api
        .call(
            "GET",
            "/api/v1/inventory/verify",
            "public_security_officer",
            None,
        )
        .await;
    assert_eq!(v["differences"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["differences"][0]["holder"], "cn-buyer", "{v}");
    // The audit chain still holds.
    let (_, v) = api
        .call(
            "GET",
            "/api/v1/audit/verify",
            "public_security_officer",
            None,
        )
        .await;
    assert_eq!(v["valid"], true, "{v}");
    // Every alert of the loop (blocked and flagged breaches, gaps, counts, negative
    // balances, overdue reports) weighs only on the enterprise whose events raised it.
    let kinds: std::collections::BTreeSet<String> = api
        .s
        .store
        .alerts()
        .await
        .expect("alerts")
        .into_iter()
        .map(|a| a.kind)
        .collect();
    assert!(kinds.len() >= 5, "{kinds:?}");
    alerts_weigh_only_on_their_source(&api).await;
    // Stored events deleted behind FentGuard's back are caught, as other tampering is.
    let harness = common::Api {
        s: api.s.clone(),
        tokens: api.tokens.clone(),
    };
    common::tampering_is_caught(&harness, url).await;
}

/// The trust rule: an event is a claim by whoever captured it. What a receipt says of the
/// seller (nothing sent, or less than received) is an open claim on the receiver's record
/// that weighs on nobody until an authority confirms it; a count is refused at another
/// enterprise's site; and every alert that weighs on an enterprise comes from its own
/// events, an authority's finding, or a confirmed claim.
async fn trust_rule(url: &str) {
    let api = Api::new(url).await;
    let lot = "urn:epc:class:lgtin:6901234.012345.NPP-TRUST";
    let commission = object(
        &api.hours_ago(20),
        "commissioning",
        "ADD",
        &site(1),
        json!({"quantityList": kg(lot, 500.0), "ilmd": {"fg:substance": "39742-60-4"}}),
    );
    let (st, v) = api.capture("compliance_officer", commission).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let score = |v: &Value| v["score"].as_i64().unwrap_or(-1);
    let exporter_before = score(&api.credit("cn-exporter").await);
    let buyer_before = score(&api.credit("cn-buyer").await);
    assert_eq!(exporter_before, 100);

    // Six receipts by the buyer naming the exporter as seller, with no shipment behind
    // them: accepted (the buyer's own book), each an open claim about the exporter.
    let receipt = |amount: f64, hours: i64| {
        merge(
            object(
                &api.hours_ago(hours),
                "receiving",
                "OBSERVE",
                &site(2),
                json!({"quantityList": kg(lot, amount)}),
            ),
            owners(1, 2),
        )
    };
    for h in 0..6 {
        let (st, v) = api.capture("buyer_officer", receipt(10.0, 19 - h)).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    }
    let claims = api.alerts("unreported_sale", "cn-exporter").await;
    assert_eq!(
        claims.len(),
        6,
        "an authority sees the open claims: {claims:?}"
    );
    for c in &claims {
        assert_eq!(
            (&c["org"], &c["concerns"], c.get("confirmed")),
            (&json!("cn-buyer"), &json!("cn-exporter"), None),
            "{c}"
        );
    }
    assert_eq!(score(&api.credit("cn-exporter").await), exporter_before);
    assert_eq!(score(&api.credit("cn-buyer").await), buyer_before);
    let (_, own) = api
        .call("GET", "/api/v1/alerts", "compliance_officer", None)
        .await;
    assert!(
        !own.to_string().contains("unreported_sale"),
        "an open claim is not on the exporter's own list: {own}"
    );
    let (_, open) = api
        .call(
            "GET",
            "/api/v1/alerts?open_claims=true",
            "licensing_officer",
            None,
        )
        .await;
    assert_eq!(open.as_array().map(Vec::len), Some(6), "{open}");

    // An authority confirms one: from then on it weighs on the exporter, who sees it.
    let id = claims[0]["id"].as_str().unwrap_or_default().to_string();
    let confirm = format!("/api/v1/alerts/{id}/confirmation");
    let (st, v) = api
        .call(
            "POST",
            &confirm,
            "public_security_officer",
            Some(&json!({"reason": " "})),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required: {v}"
    );
    let (st, v) = api
        .call(
            "POST",
            &confirm,
            "public_security_officer",
            Some(&json!({"reason": "the exporter's warehouse log shows the dispatch"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["confirmed"]["by"].as_str().map(|b| !b.is_empty()),
        Some(true),
        "{v}"
    );
    let (st, v) = api
        .call(
            "POST",
            &confirm,
            "licensing_officer",
            Some(&json!({"reason": "again"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let r = api.credit("cn-exporter").await;
    assert_eq!(score(&r), exporter_before - 10, "{r}");
    assert_eq!(score(&api.credit("cn-buyer").await), buyer_before);
    let (_, own) = api
        .call("GET", "/api/v1/alerts", "compliance_officer", None)
        .await;
    let seen: Vec<&Value> = own
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["kind"] == "unreported_sale")
        .collect();
    assert_eq!(seen.len(), 1, "the confirmed claim only: {own}");
    assert!(api
        .s
        .store
        .audit_chain()
        .await
        .expect("audit")
        .iter()
        .any(|e| e.action == "alert.confirm_claim" && e.subject == format!("alert/{id}")));

    // A real shipment, received short: the difference is the receiver's claim about the
    // seller, not (yet) a mark on the seller.
    let sale = merge(
        object(
            &api.hours_ago(10),
            "shipping",
            "OBSERVE",
            &site(1),
            json!({"quantityList": kg(lot, 100.0), "bizTransactionList": [{"type": TRANSPORT_PERMIT, "bizTransaction": "urn:fentguard:transport-permit:TP-TRUST"}]}),
        ),
        owners(1, 2),
    );
    let (st, v) = api.capture("compliance_officer", sale).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (st, v) = api.capture("buyer_officer", receipt(90.0, 9)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let diff = api.alerts("receipt_difference", "cn-exporter").await;
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(
        (&diff[0]["org"], &diff[0]["concerns"]),
        (&json!("cn-buyer"), &json!("cn-exporter"))
    );
    assert_eq!(
        score(&api.credit("cn-exporter").await),
        exporter_before - 10
    );

    // A count at a site registered to another enterprise is refused, naming the field.
    let count = object(
        &api.hours_ago(1),
        "cycle_counting",
        "OBSERVE",
        &site(1),
        json!({"quantityList": kg(lot, 1.0)}),
    );
    let (st, v) = api.capture("buyer_officer", count).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("bizLocation") && detail.contains("cn-exporter"),
        "{v}"
    );
    assert_eq!(api.balance("cn-buyer", "NPP-TRUST").await, 150.0);
    assert_eq!(api.balance("cn-exporter", "NPP-TRUST").await, 400.0);

    let all = api.s.store.alerts().await.expect("alerts");
    assert_eq!(
        all.len(),
        7,
        "six unreported sales, one receipt difference: {all:?}"
    );
    alerts_weigh_only_on_their_source(&api).await;
}

/// Every stored alert weighs on an enterprise only for its own captured event, an
/// authority's finding (no event), or a claim an authority confirmed; an open claim
/// weighs on nobody.
async fn alerts_weigh_only_on_their_source(api: &Api) {
    let all = api.s.store.alerts().await.expect("alerts");
    for a in &all {
        let Some(against) = a.counts_against() else {
            assert!(a.concerns.is_some() && a.confirmed.is_none(), "{a:?}");
            continue;
        };
        match (&a.concerns, &a.event_id) {
            (Some(c), _) => assert!(a.confirmed.is_some() && c == against, "{a:?}"),
            (None, Some(ev)) => {
                let id = ev.split('#').next().unwrap_or(ev);
                let owner = api
                    .s
                    .store
                    .event(id)
                    .await
                    .expect("event")
                    .map(|e| e.owner_org);
                // A refused event is not stored: its attempt is the capturer's own.
                if owner.is_some() || a.kind != "rule_breach_blocked" {
                    assert_eq!(owner.as_deref(), Some(against), "{a:?}");
                }
            }
            (None, None) => {}
        }
    }
}

/// An open alert stream stops delivering once its token is revoked (issue 11 item 8):
/// checked against the database, so a revocation by another process counts as well.
async fn revoked_streams_end(url: &str) {
    let api = Api::new(url).await;
    let mut kept = subscribe(&api, "licensing_officer").await;
    let mut revoked = subscribe(&api, "public_security_officer").await;
    // The token has just been used (a cache, if there were one, would hold it).
    let (st, _) = api
        .call("GET", "/api/v1/me", "public_security_officer", None)
        .await;
    assert_eq!(st, StatusCode::OK);
    // Revoked behind this process's back (as another `serve` process would).
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            api.tokens["public_security_officer"].as_bytes(),
        ))
    };
    let mut tx = api.s.store.write().await.expect("tx");
    tx.revoke_token(&hash).await.expect("revoke");
    tx.commit().await.expect("commit");
    // Refused at once, not some seconds later.
    let (st, v) = api
        .call("GET", "/api/v1/me", "public_security_officer", None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    // An attempt refused by a rule raises an alert.
    let sale = merge(
        object(
            &api.hours_ago(1),
            "shipping",
            "OBSERVE",
            &site(1),
            json!({"quantityList": kg(NPP_LOT, 1.0)}),
        ),
        owners(1, 3),
    );
    let commission = object(
        &api.hours_ago(2),
        "commissioning",
        "ADD",
        &site(1),
        json!({"quantityList": kg(NPP_LOT, 5.0), "ilmd": {"fg:substance": "39742-60-4"}}),
    );
    let (st, v) = api.capture("compliance_officer", commission).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (st, v) = api.capture("compliance_officer", sale).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let heard = drain(&mut kept, std::time::Duration::from_millis(300)).await;
    assert!(
        heard.contains("rule_breach_blocked"),
        "a valid token hears it: {heard}"
    );
    let heard = drain(&mut revoked, std::time::Duration::from_millis(300)).await;
    assert!(
        !heard.contains("event: alert"),
        "a revoked token hears nothing: {heard}"
    );
    use futures_util::StreamExt;
    assert!(revoked.next().await.is_none(), "and its stream has ended");
}

#[tokio::test]
async fn revoked_streams_end_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    revoked_streams_end(&format!("sqlite://{}", dir.path().join("t.db").display())).await;
}

#[tokio::test]
async fn revoked_streams_end_on_postgres() {
    let url = store::testing::fresh_postgres("revoked_streams").await;
    revoked_streams_end(&url).await;
}

#[tokio::test]
async fn trust_rule_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    trust_rule(&format!("sqlite://{}", dir.path().join("t.db").display())).await;
}

#[tokio::test]
async fn trust_rule_on_postgres() {
    let url = store::testing::fresh_postgres("trust_rule").await;
    trust_rule(&url).await;
}

#[tokio::test]
async fn closed_loop_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    scenario(&format!("sqlite://{}", dir.path().join("t.db").display())).await;
}

#[tokio::test]
async fn closed_loop_on_postgres() {
    let url = store::testing::fresh_postgres("closed_loop").await;
    scenario(&url).await;
}

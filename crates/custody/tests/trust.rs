//! The meaning of events with no storage and no HTTP: an in-memory book, events in,
//! effects out. Here the trust rule (an event is a claim by whoever captured it) and a
//! capture, withdrawal and replay that agree with each other.

use chrono::{DateTime, NaiveDate, Utc};
use control::{EnterpriseLicence, LicenceStatus};
use custody::{
    Book, InventoryRow, Law, LotRecord, PartyRecord, PermitOnFile, Replay, ShipmentRecord,
};
use epcis::identifier::canonical_or_same;
use serde_json::{json, Value};
use std::convert::Infallible;

const LOT: &str = "urn:epc:class:lgtin:6901234.012345.NPP-1";

/// The stored book: two enterprises, A (`cn-a`, party 00001) and B (`cn-b`, 00002), one
/// registered lot of NPP, balances as given, nothing else.
#[derive(Clone, Default)]
struct MemBook {
    lots: Vec<LotRecord>,
    parties: Vec<PartyRecord>,
    balances: Vec<InventoryRow>,
}

impl Book for MemBook {
    type Error = Infallible;
    async fn lots(&mut self, classes: &[String]) -> Result<Vec<LotRecord>, Infallible> {
        Ok(self
            .lots
            .iter()
            .filter(|l| classes.contains(&l.lot))
            .cloned()
            .collect())
    }
    async fn parties(
        &mut self,
        glns: &[String],
        orgs: &[String],
    ) -> Result<Vec<PartyRecord>, Infallible> {
        Ok(self
            .parties
            .iter()
            .filter(|p| glns.contains(&p.gln) || orgs.contains(&p.org))
            .cloned()
            .collect())
    }
    async fn organisation(
        &mut self,
        org: &str,
    ) -> Result<Option<(String, Vec<EnterpriseLicence>)>, Infallible> {
        let kinds: &[&str] = match org {
            "cn-a" => &[
                "precursor_class1_production_approval",
                "precursor_class1_sale_approval",
            ],
            "cn-b" => &["precursor_class1_purchase_permit"],
            _ => return Ok(None),
        };
        let licences = kinds
            .iter()
            .map(|k| EnterpriseLicence {
                id: format!("{org}-{k}"),
                holder: org.into(),
                kind: (*k).into(),
                scope: Vec::new(),
                valid_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
                valid_until: NaiveDate::from_ymd_opt(2030, 12, 31).unwrap_or_default(),
                status: LicenceStatus::Active,
                issuer: "cn-mps".into(),
            })
            .collect();
        Ok(Some(("CN".into(), licences)))
    }
    async fn balance(
        &mut self,
        holder: &str,
        site: &str,
        lot: &str,
    ) -> Result<Option<InventoryRow>, Infallible> {
        Ok(self
            .balances
            .iter()
            .find(|b| b.holder == holder && b.site == site && b.lot == lot)
            .cloned())
    }
    async fn production(
        &mut self,
        _: &str,
        _: &str,
        _: i32,
    ) -> Result<(Option<f64>, f64), Infallible> {
        Ok((None, 0.0))
    }
    async fn outstanding_packages(&mut self, _: &str) -> Result<Vec<String>, Infallible> {
        Ok(Vec::new())
    }
    async fn open_shipments(
        &mut self,
        _: &str,
        _: &str,
        _: usize,
    ) -> Result<Vec<ShipmentRecord>, Infallible> {
        Ok(Vec::new())
    }
    async fn permit(&mut self, _: &str) -> Result<Option<PermitOnFile>, Infallible> {
        Ok(None)
    }
}

struct World {
    tracking: control::TrackingRules,
    classifier: law::Classifier,
    export: law::ExportChecker,
    book: MemBook,
    now: DateTime<Utc>,
}

impl World {
    fn new() -> World {
        let classifier = law::Classifier::builtin().expect("classifier");
        let export = law::ExportChecker::builtin().expect("export rules");
        let now = "2026-06-01T12:00:00Z".parse().expect("time");
        let npp = export
            .identify(
                &classifier,
                "NPP",
                NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default(),
            )
            .expect("identified")
            .expect("on file");
        let lot = LotRecord {
            lot: canonical_or_same(LOT),
            substance_id: npp.substance_ids[0].clone(),
            substance_name: npp.name.clone(),
            base_ratio: npp.base_ratio,
            unit_kg: None,
            registered_by: "cn-a".into(),
            event_id: "commissioning".into(),
        };
        let mut parties = Vec::new();
        for (org, n) in [("cn-a", 1), ("cn-b", 2)] {
            for gln in [
                format!("urn:epc:id:pgln:6901234.{n:05}"),
                format!("urn:epc:id:sgln:6901234.{n:05}.0"),
            ] {
                parties.push(PartyRecord {
                    gln: canonical_or_same(&gln),
                    org: org.into(),
                    province: String::new(),
                });
            }
        }
        let balances = vec![InventoryRow {
            holder: "cn-a".into(),
            site: canonical_or_same("urn:epc:id:sgln:6901234.00001.0"),
            lot: lot.lot.clone(),
            substance_id: lot.substance_id.clone(),
            kg: 100.0,
            base_kg: 100.0,
            last_event_id: "commissioning".into(),
        }];
        World {
            tracking: control::TrackingRules::builtin("CN").expect("rules"),
            classifier,
            export,
            book: MemBook {
                lots: vec![lot],
                parties,
                balances,
            },
            now,
        }
    }

    fn law(&self) -> Law<'_> {
        Law {
            tracking: &self.tracking,
            classifier: &self.classifier,
            export: &self.export,
        }
    }
}

fn event(step: &str, site: u32, kg: f64, from_to: Option<(u32, u32)>) -> epcis::Event {
    let mut e = json!({
        "type": "ObjectEvent", "action": "OBSERVE", "bizStep": step,
        "eventTime": "2026-06-01T10:00:00Z", "eventTimeZoneOffset": "+08:00",
        "bizLocation": {"id": format!("urn:epc:id:sgln:6901234.{site:05}.0")},
        "quantityList": [{"epcClass": LOT, "quantity": kg, "uom": "KGM"}],
    });
    if let (Some((from, to)), Some(o)) = (from_to, e.as_object_mut()) {
        o.insert("sourceList".into(), json!([{"type": "owning_party", "source": format!("urn:epc:id:pgln:6901234.{from:05}")}]));
        o.insert("destinationList".into(), json!([{"type": "owning_party", "destination": format!("urn:epc:id:pgln:6901234.{to:05}")}]));
    }
    let doc: Value = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-06-01T12:00:00Z",
        "epcisBody": {"eventList": [e]}
    });
    epcis::read_document(&doc)
        .expect("a valid event")
        .pop()
        .expect("one event")
}

#[tokio::test]
async fn a_receipt_nobody_reported_sending_is_the_receivers_claim_about_the_seller() {
    let w = World::new();
    let receipt = event("receiving", 2, 10.0, Some((1, 2)));
    let t = custody::capture(w.law(), w.book.clone(), "cn-b", &[&receipt], &[], w.now)
        .await
        .expect("no storage failure")
        .unwrap_or_else(|r| panic!("refused: {}", r.message));
    assert!(t.blocked.is_empty(), "accepted");
    let a = &t.writes.alerts;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].kind, "unreported_sale");
    assert_eq!(a[0].org, "cn-b", "on the claimant's record");
    assert_eq!(a[0].concerns.as_deref(), Some("cn-a"), "about the seller");
    assert_eq!(
        a[0].counts_against(),
        None,
        "weighing on nobody until confirmed"
    );
    // The receiver's own book moves; the seller's is not touched.
    let rows: Vec<&InventoryRow> = t.writes.inventory.values().collect();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].holder.as_str(), rows[0].kg), ("cn-b", 10.0));
}

#[tokio::test]
async fn a_count_at_another_enterprises_site_is_refused_and_at_ones_own_is_a_finding() {
    let w = World::new();
    let at_a = event("cycle_counting", 1, 90.0, None);
    let refused = custody::capture(w.law(), w.book.clone(), "cn-b", &[&at_a], &[], w.now)
        .await
        .expect("no storage failure");
    let r = refused.err().expect("refused");
    assert_eq!(r.field, "bizLocation");
    assert!(r.message.contains("cn-a"), "{}", r.message);
    // A counting at its own site: 90 kg against 100 on the book, on its own record.
    let t = custody::capture(w.law(), w.book.clone(), "cn-a", &[&at_a], &[], w.now)
        .await
        .expect("no storage failure")
        .unwrap_or_else(|r| panic!("refused: {}", r.message));
    let a = &t.writes.alerts;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        (a[0].kind.as_str(), a[0].counts_against()),
        ("inventory_discrepancy", Some("cn-a"))
    );
}

#[tokio::test]
async fn withdrawal_takes_back_what_capture_did_and_replay_rebuilds_it() {
    let w = World::new();
    let receipt = event("receiving", 2, 10.0, Some((1, 2)));
    let t = custody::capture(w.law(), w.book.clone(), "cn-b", &[&receipt], &[], w.now)
        .await
        .expect("no storage failure")
        .unwrap_or_else(|r| panic!("refused: {}", r.message));
    let after: Vec<InventoryRow> = t.writes.inventory.values().cloned().collect();
    assert_eq!(after.len(), 1);
    // Replaying the lot's making and the receipt from an empty book gives the same
    // balances: the lot registered as its registering event comes by.
    let made = event("commissioning", 1, 100.0, None);
    let mut lots = w.book.lots.clone();
    lots[0].event_id = made.id().to_string();
    let mut replay = Replay::new(w.book.clone(), lots, w.book.parties.clone());
    for (who, e) in [("cn-a", &made), ("cn-b", &receipt)] {
        replay
            .events(w.law(), who, &[e], w.now)
            .await
            .expect("no storage failure")
            .unwrap_or_else(|r| panic!("refused: {}", r.message));
    }
    let rebuilt: Vec<(String, f64)> = replay
        .balances()
        .into_iter()
        .map(|r| (r.holder, r.kg))
        .collect();
    assert_eq!(
        rebuilt,
        [
            ("cn-a".to_string(), 100.0),
            ("cn-b".to_string(), after[0].kg)
        ]
    );
    // Withdrawn against the book as it now stands, the receipt leaves nothing.
    let mut book = w.book.clone();
    book.balances.extend(after.clone());
    let undone = custody::withdraw(w.law(), book, "cn-b", &receipt, receipt.id(), w.now)
        .await
        .expect("no storage failure");
    let rows: Vec<&InventoryRow> = undone.inventory.values().collect();
    assert_eq!((rows[0].holder.as_str(), rows[0].kg), ("cn-b", 0.0));
    assert_eq!(undone.withdrawn, [receipt.id().to_string()]);
    assert!(undone.alerts.is_empty(), "taking back raises nothing");
}
